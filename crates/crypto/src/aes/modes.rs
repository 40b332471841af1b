//! Streaming ECB, CBC (with or without PKCS#7 padding) and CTR.
//!
//! Each update processes every whole block it can and keeps the rest (for CBC-PAD decryption,
//! also the last whole block, which may hold the padding) until more data or the final call.

use aws_lc_rs::cipher::{DecryptingKey, DecryptionContext, EncryptingKey, EncryptionContext};
use zeroize::Zeroizing;

use super::{AesKey, BLOCK};
use crate::CryptoError;

/// Which block mode, with its starting state.
#[derive(Debug, Clone)]
pub enum Mode {
    /// Electronic codebook (whole blocks only).
    Ecb,
    /// CBC without padding (whole blocks only).
    Cbc {
        /// Initialization vector.
        iv: [u8; BLOCK],
    },
    /// CBC with PKCS#7 padding.
    CbcPad {
        /// Initialization vector.
        iv: [u8; BLOCK],
    },
    /// Counter mode: the initial counter block, and how many of its low bits count.
    Ctr {
        /// Initial counter block.
        block: [u8; BLOCK],
        /// Width of the counter field (1..=128).
        counter_bits: u32,
    },
}

enum Engine {
    Enc(EncryptingKey),
    Dec(DecryptingKey),
}

/// One multi-part encryption or decryption.
pub struct BlockOp {
    engine: Engine,
    mode: Mode,
    buf: Zeroizing<Vec<u8>>,
    /// Blocks left before a CTR counter would wrap.
    ctr_left: u128,
}

impl BlockOp {
    /// Start encrypting (`encrypt`) or decrypting with `key` in `mode`.
    pub fn new(key: &AesKey, mode: Mode, encrypt: bool) -> Result<Self, CryptoError> {
        let k = key.unbound()?;
        let engine = match (&mode, encrypt) {
            (Mode::Ecb, true) => Engine::Enc(EncryptingKey::ecb(k)?),
            (Mode::Ecb, false) => Engine::Dec(DecryptingKey::ecb(k)?),
            (Mode::Cbc { .. } | Mode::CbcPad { .. }, true) => Engine::Enc(EncryptingKey::cbc(k)?),
            (Mode::Cbc { .. } | Mode::CbcPad { .. }, false) => Engine::Dec(DecryptingKey::cbc(k)?),
            (Mode::Ctr { .. }, _) => Engine::Enc(EncryptingKey::ctr(k)?),
        };
        let ctr_left = match &mode {
            Mode::Ctr { block, counter_bits } => {
                if !(1..=128).contains(counter_bits) {
                    return Err(CryptoError::InvalidParameter);
                }
                let v = u128::from_be_bytes(*block);
                if *counter_bits == 128 {
                    u128::MAX - v
                } else {
                    let mask = (1u128 << counter_bits) - 1;
                    mask - (v & mask) + 1
                }
            }
            _ => u128::MAX,
        };
        Ok(Self { engine, mode, buf: Zeroizing::new(Vec::new()), ctr_left })
    }

    fn decrypting(&self) -> bool {
        matches!(self.engine, Engine::Dec(_))
    }

    /// Run the cipher over `data` (whole blocks, or any length for CTR) and advance the state.
    fn run(&mut self, data: &mut [u8]) -> Result<(), CryptoError> {
        if data.is_empty() {
            return Ok(());
        }
        let last_in: Option<[u8; BLOCK]> = match self.mode {
            Mode::Cbc { .. } | Mode::CbcPad { .. } if self.decrypting() => {
                data[data.len() - BLOCK..].try_into().ok()
            }
            _ => None,
        };
        match (&self.engine, &mut self.mode) {
            (Engine::Enc(k), Mode::Ecb) => {
                k.less_safe_encrypt(data, EncryptionContext::None)?;
            }
            (Engine::Dec(k), Mode::Ecb) => {
                k.decrypt(data, DecryptionContext::None)?;
            }
            (Engine::Enc(k), Mode::Cbc { iv } | Mode::CbcPad { iv }) => {
                k.less_safe_encrypt(data, EncryptionContext::Iv128((*iv).into()))?;
                iv.copy_from_slice(&data[data.len() - BLOCK..]);
            }
            (Engine::Dec(k), Mode::Cbc { iv } | Mode::CbcPad { iv }) => {
                k.decrypt(data, DecryptionContext::Iv128((*iv).into()))?;
                if let Some(l) = last_in {
                    *iv = l;
                }
            }
            (Engine::Enc(k), Mode::Ctr { block, .. }) => {
                let blocks = data.len().div_ceil(BLOCK) as u128;
                if blocks > self.ctr_left {
                    return Err(CryptoError::InvalidLength);
                }
                k.less_safe_encrypt(data, EncryptionContext::Iv128((*block).into()))?;
                self.ctr_left -= blocks;
                *block = u128::from_be_bytes(*block).wrapping_add(blocks).to_be_bytes();
            }
            (Engine::Dec(_), Mode::Ctr { .. }) => return Err(CryptoError::Backend),
        }
        Ok(())
    }

    /// How many buffered bytes must stay behind after an update.
    fn keep(&self, total: usize) -> usize {
        let rem = total % BLOCK;
        match self.mode {
            Mode::CbcPad { .. } if self.decrypting() && rem == 0 => BLOCK.min(total),
            _ => rem,
        }
    }

    /// Output length an update with `n` more input bytes produces.
    pub fn update_len(&self, n: usize) -> usize {
        let total = self.buf.len() + n;
        total - self.keep(total)
    }

    /// What the final call produces after a single update of `n` more bytes (encryption).
    pub fn final_len_after(&self, n: usize) -> usize {
        let total = self.buf.len() + n;
        let rest = self.keep(total);
        match self.mode {
            Mode::CbcPad { .. } if !self.decrypting() => BLOCK,
            Mode::Ctr { .. } => rest,
            _ => 0,
        }
    }

    /// Upper bound of what the final call produces.
    pub fn final_len(&self) -> usize {
        match self.mode {
            Mode::CbcPad { .. } if !self.decrypting() => BLOCK,
            Mode::CbcPad { .. } | Mode::Ctr { .. } => self.buf.len(),
            _ => 0,
        }
    }

    /// Process more input; returns what is ready.
    pub fn update(&mut self, input: &[u8]) -> Result<Vec<u8>, CryptoError> {
        let total = self.buf.len() + input.len();
        let n = total - self.keep(total);
        let mut out = super::take_ready(&mut self.buf, input, n);
        self.run(&mut out)?;
        Ok(out)
    }

    /// Single-part encryption straight into `out`, which must be exactly
    /// [`Self::update_len`] + [`Self::final_len_after`] long for `data`. Only for a fresh
    /// encryption (nothing held back).
    pub fn encrypt_whole_into(mut self, data: &[u8], out: &mut [u8]) -> Result<(), CryptoError> {
        if self.decrypting() || !self.buf.is_empty() {
            return Err(CryptoError::InvalidParameter);
        }
        let want = self.update_len(data.len()) + self.final_len_after(data.len());
        if out.len() != want {
            return Err(CryptoError::InvalidLength);
        }
        match self.mode {
            Mode::CbcPad { .. } => {
                let pad = BLOCK - data.len() % BLOCK;
                out[..data.len()].copy_from_slice(data);
                out[data.len()..].fill(pad as u8);
            }
            Mode::Ecb | Mode::Cbc { .. } if data.len() % BLOCK != 0 => {
                return Err(CryptoError::InvalidLength);
            }
            _ => out.copy_from_slice(data),
        }
        self.run(out)
    }

    /// Finish: pad or unpad, or fail if the input was not whole blocks.
    pub fn finish(mut self) -> Result<Vec<u8>, CryptoError> {
        let mut rest = std::mem::take(&mut *self.buf);
        match self.mode {
            Mode::Ctr { .. } => {
                self.run(&mut rest)?;
                Ok(rest)
            }
            Mode::CbcPad { .. } if !self.decrypting() => {
                let pad = BLOCK - rest.len();
                rest.resize(BLOCK, pad as u8);
                self.run(&mut rest)?;
                Ok(rest)
            }
            Mode::CbcPad { .. } => {
                if rest.len() != BLOCK {
                    return Err(CryptoError::InvalidLength);
                }
                self.run(&mut rest)?;
                let n = unpad(&rest)?;
                rest.truncate(n);
                Ok(rest)
            }
            _ if rest.is_empty() => Ok(Vec::new()),
            _ => Err(CryptoError::InvalidLength),
        }
    }
}

/// Length of the data before PKCS#7 padding in a final block (checked in constant time).
fn unpad(block: &[u8]) -> Result<usize, CryptoError> {
    let pad = block[BLOCK - 1];
    let mut bad = u8::from(pad == 0) | u8::from(usize::from(pad) > BLOCK);
    for (i, b) in block.iter().enumerate() {
        let in_pad = u8::from(i >= BLOCK.saturating_sub(usize::from(pad)));
        bad |= in_pad & u8::from(*b != pad);
    }
    if bad != 0 {
        return Err(CryptoError::InvalidEncoding);
    }
    Ok(BLOCK - usize::from(pad))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unhex(s: &str) -> Vec<u8> {
        (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
    }

    // NIST SP 800-38A, F.2.1 and F.5.1 (AES-128): the first two blocks.
    const KEY: &str = "2b7e151628aed2a6abf7158809cf4f3c";
    const PT: &str = "6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51";

    fn run_chunks(op: &mut BlockOp, data: &[u8], chunk: usize) -> Vec<u8> {
        let mut out = Vec::new();
        for c in data.chunks(chunk) {
            let expect = op.update_len(c.len());
            let got = op.update(c).unwrap();
            assert_eq!(got.len(), expect);
            out.extend(got);
        }
        out
    }

    #[test]
    fn cbc_sp800_38a_in_odd_chunks() {
        let key = AesKey::new(&unhex(KEY)).unwrap();
        let iv: [u8; 16] = unhex("000102030405060708090a0b0c0d0e0f").try_into().unwrap();
        let mut op = BlockOp::new(&key, Mode::Cbc { iv }, true).unwrap();
        let mut ct = run_chunks(&mut op, &unhex(PT), 7);
        ct.extend(op.finish().unwrap());
        assert_eq!(ct, unhex("7649abac8119b246cee98e9b12e9197d5086cb9b507219ee95db113a917678b2"));
        let mut op = BlockOp::new(&key, Mode::Cbc { iv }, false).unwrap();
        let mut pt = run_chunks(&mut op, &ct, 5);
        pt.extend(op.finish().unwrap());
        assert_eq!(pt, unhex(PT));
    }

    #[test]
    fn ctr_sp800_38a_and_partial_block() {
        let key = AesKey::new(&unhex(KEY)).unwrap();
        let block: [u8; 16] = unhex("f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff").try_into().unwrap();
        let mut op = BlockOp::new(&key, Mode::Ctr { block, counter_bits: 128 }, true).unwrap();
        let pt = unhex(PT);
        let mut ct = run_chunks(&mut op, &pt[..27], 9);
        ct.extend(op.finish().unwrap());
        let want = unhex("874d6191b620e3261bef6864990db6ce9806f66b7970fdff8617187bb9fffdff");
        assert_eq!(ct, want[..27]);
    }

    #[test]
    fn ctr_counter_wrap_is_refused() {
        let key = AesKey::new(&[1; 16]).unwrap();
        let mut block = [0u8; 16];
        block[15] = 0xfe;
        let mut op = BlockOp::new(&key, Mode::Ctr { block, counter_bits: 8 }, true).unwrap();
        assert!(op.update(&[0; 32]).is_ok(), "0xfe and 0xff");
        assert!(op.update(&[0; 16]).is_err(), "would wrap to 0x00");
    }

    #[test]
    fn cbc_pad_round_trip_every_length() {
        let key = AesKey::new(&[7; 32]).unwrap();
        for n in 0..40 {
            let data: Vec<u8> = (0..n as u8).collect();
            let mut e = BlockOp::new(&key, Mode::CbcPad { iv: [3; 16] }, true).unwrap();
            let mut ct = e.update(&data).unwrap();
            ct.extend(e.finish().unwrap());
            assert_eq!(ct.len(), (n / 16 + 1) * 16);
            let mut d = BlockOp::new(&key, Mode::CbcPad { iv: [3; 16] }, false).unwrap();
            let mut pt = run_chunks(&mut d, &ct, 16);
            pt.extend(d.finish().unwrap());
            assert_eq!(pt, data);
        }
    }

    #[test]
    fn unpad_rejects_bad_padding() {
        let mut b = [4u8; 16];
        assert_eq!(unpad(&b), Ok(12));
        b[13] = 3;
        assert!(unpad(&b).is_err());
        assert!(unpad(&[0u8; 16]).is_err());
        assert!(unpad(&[17u8; 16]).is_err());
    }
}
