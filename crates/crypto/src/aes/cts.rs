//! AES-CBC with ciphertext stealing (CKM_AES_CTS), variant CBC-CS1 of the addendum to NIST
//! SP 800-38A ("Three Variants of Ciphertext Stealing for CBC Mode", 2010).
//!
//! PKCS#11 names no variant; CS-1 is the one NSS's softoken implements for CKM_AES_CTS, so
//! tokens agree on it. For input of `n` blocks whose last block `Pn*` holds `d` bytes
//! (1 <= d <= 16):
//! - `Pn*` is completed with zero bytes and the whole message is CBC-encrypted, giving
//!   `C1 .. Cn`;
//! - the output is `C1 .. C(n-2) || first d bytes of C(n-1) || Cn`: as long as the input.
//!
//! When `d` is 16 nothing is cut, so a whole number of blocks gives exactly CBC. The input
//! must be at least one block. CS-2 and CS-3 (Kerberos, RFC 3962) differ only in the order of
//! the last two (partial and full) blocks.
//!
//! Decryption reverses it: decrypting `Cn` gives `Pn || 0-padding` xor `C(n-1)`; its trailing
//! `16 - d` bytes are therefore the bytes of `C(n-1)` that were cut, which restores `C(n-1)`.

use aws_lc_rs::cipher::{DecryptingKey, DecryptionContext, EncryptingKey, EncryptionContext};
use zeroize::Zeroizing;

use super::{AesKey, BLOCK};
use crate::CryptoError;

enum Engine {
    Enc(EncryptingKey),
    Dec(DecryptingKey),
}

impl Engine {
    fn new(key: &AesKey, encrypt: bool) -> Result<Self, CryptoError> {
        let k = key.unbound()?;
        Ok(if encrypt {
            Self::Enc(EncryptingKey::cbc(k)?)
        } else {
            Self::Dec(DecryptingKey::cbc(k)?)
        })
    }

    /// Plain CBC over whole blocks in place; `iv` becomes the last ciphertext block.
    fn cbc(&self, iv: &mut [u8; BLOCK], data: &mut [u8]) -> Result<(), CryptoError> {
        if data.is_empty() {
            return Ok(());
        }
        match self {
            Self::Enc(k) => {
                k.less_safe_encrypt(data, EncryptionContext::Iv128((*iv).into()))?;
                iv.copy_from_slice(&data[data.len() - BLOCK..]);
            }
            Self::Dec(k) => {
                let mut last = [0u8; BLOCK];
                last.copy_from_slice(&data[data.len() - BLOCK..]);
                k.decrypt(data, DecryptionContext::Iv128((*iv).into()))?;
                *iv = last;
            }
        }
        Ok(())
    }

    /// The last (at least one block) bytes of a message, chained on from `iv`.
    fn finish(&self, iv: &mut [u8; BLOCK], data: &[u8]) -> Result<Vec<u8>, CryptoError> {
        if data.len() < BLOCK {
            return Err(CryptoError::InvalidLength);
        }
        let d = data.len() % BLOCK;
        let mut out = data.to_vec();
        if d == 0 {
            self.cbc(iv, &mut out)?;
            return Ok(out);
        }
        match self {
            Self::Enc(_) => {
                // CBC over the whole blocks, ending with C(n-1) in `iv`; then Cn from the
                // zero-padded last block; keep d bytes of C(n-1) and append Cn.
                let whole = data.len() - d;
                self.cbc(iv, &mut out[..whole])?;
                let mut last = Zeroizing::new([0u8; BLOCK]);
                last[..d].copy_from_slice(&data[whole..]);
                self.cbc(iv, &mut last[..])?;
                out.truncate(whole - BLOCK + d);
                out.extend_from_slice(&last[..]);
            }
            Self::Dec(_) => {
                // Layout: whole blocks, then d bytes of C(n-1), then Cn.
                let head = data.len() - BLOCK - d;
                self.cbc(iv, &mut out[..head])?;
                let cut = &data[head..head + d];
                let mut z = Zeroizing::new([0u8; BLOCK]);
                z.copy_from_slice(&data[head + d..]);
                self.cbc(&mut [0u8; BLOCK], &mut z[..])?;
                let mut prev = Zeroizing::new([0u8; BLOCK]);
                prev[..d].copy_from_slice(cut);
                prev[d..].copy_from_slice(&z[d..]);
                self.cbc(iv, &mut prev[..])?;
                out[head..head + BLOCK].copy_from_slice(&prev[..]);
                for (o, (zb, cb)) in out[head + BLOCK..].iter_mut().zip(z.iter().zip(cut)) {
                    *o = zb ^ cb;
                }
            }
        }
        Ok(out)
    }
}

/// How many trailing bytes of `total` buffered bytes may still take part in the stealing.
fn keep(total: usize) -> usize {
    match total % BLOCK {
        _ if total <= BLOCK => total,
        0 => BLOCK,
        d => BLOCK + d,
    }
}

/// One multi-part CTS encryption or decryption.
pub struct CtsOp {
    engine: Engine,
    /// The CBC chaining value after what has been output so far.
    iv: [u8; BLOCK],
    /// Input that may still take part in the stealing: under two blocks.
    buf: Zeroizing<Vec<u8>>,
}

impl CtsOp {
    /// Start encrypting (`encrypt`) or decrypting with `key` and `iv`.
    pub fn new(key: &AesKey, iv: [u8; BLOCK], encrypt: bool) -> Result<Self, CryptoError> {
        Ok(Self { engine: Engine::new(key, encrypt)?, iv, buf: Zeroizing::new(Vec::new()) })
    }

    /// Output length of an update with `n` more input bytes.
    pub fn update_len(&self, n: usize) -> usize {
        let total = self.buf.len() + n;
        total - keep(total)
    }

    /// Output length of [`Self::finish`] now: everything held back.
    pub fn final_len(&self) -> usize {
        self.buf.len()
    }

    /// Process more input; returns the output that can no longer change: everything but the
    /// last whole block and any partial block after it (at most 31 bytes are held back, and
    /// all of the input while it is 16 bytes or less).
    pub fn update(&mut self, input: &[u8]) -> Result<Vec<u8>, CryptoError> {
        let total = self.buf.len() + input.len();
        let n = total - keep(total);
        if n == 0 {
            self.buf.extend_from_slice(input);
            return Ok(Vec::new());
        }
        let mut out = super::take_ready(&mut self.buf, input, n);
        self.engine.cbc(&mut self.iv, &mut out)?;
        Ok(out)
    }

    /// Finish: the stolen last blocks. Fails with [`CryptoError::InvalidLength`] if the whole
    /// input was shorter than one block.
    pub fn finish(mut self) -> Result<Vec<u8>, CryptoError> {
        self.engine.finish(&mut self.iv, &self.buf)
    }
}

/// One-shot CS-1 encryption (input of at least 16 bytes; output as long as the input).
pub fn encrypt(key: &AesKey, iv: &[u8; BLOCK], data: &[u8]) -> Result<Vec<u8>, CryptoError> {
    Engine::new(key, true)?.finish(&mut iv.clone(), data)
}

/// One-shot CS-1 decryption (input of at least 16 bytes; output as long as the input).
pub fn decrypt(key: &AesKey, iv: &[u8; BLOCK], data: &[u8]) -> Result<Vec<u8>, CryptoError> {
    Engine::new(key, false)?.finish(&mut iv.clone(), data)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unhex(s: &str) -> Vec<u8> {
        (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
    }

    /// RFC 3962 appendix B: AES-128 key "chicken teriyaki", zero IV, plaintext prefixes of
    /// "I would like the General Gau's Chicken, please, and wonton soup.". The RFC's outputs
    /// are in CS-3 order, `C1 .. C(n-2) || Cn || C*(n-1)` with `C*(n-1)` the final d bytes
    /// (d = length mod 16, or 16). Moving those d bytes in front of the 16 before them gives
    /// the CS-1 order used here (tests/vectors/aes_cts.txt explains it at length).
    const KEY: &str = "636869636b656e207465726979616b69";
    const TEXT: &[u8] = b"I would like the General Gau's Chicken, please, and wonton soup.";
    const CS1: [(usize, &str); 6] = [
        (17, "97c6353568f2bf8cb4d8a580362da7ff7f"),
        (31, "97687268d6ecccc0c07b25e25ecfe5fc00783e0efdb2c1d445d4c8eff7ed22"),
        (32, "97687268d6ecccc0c07b25e25ecfe58439312523a78662d5be7fcbcc98ebf5a8"),
        (
            47,
            "97687268d6ecccc0c07b25e25ecfe58439312523a78662d5be7fcbcc98ebf5\
             b3fffd940c16a18c1b5549d2f838029e",
        ),
        (
            48,
            "97687268d6ecccc0c07b25e25ecfe58439312523a78662d5be7fcbcc98ebf5a8\
             9dad8bbb96c4cdc03bc103e1a194bbd8",
        ),
        (
            64,
            "97687268d6ecccc0c07b25e25ecfe58439312523a78662d5be7fcbcc98ebf5a8\
             9dad8bbb96c4cdc03bc103e1a194bbd84807efe836ee89a526730dbc2f7bc840",
        ),
    ];

    fn streamed(key: &AesKey, encrypt: bool, data: &[u8], chunk: usize) -> Vec<u8> {
        let mut op = CtsOp::new(key, [0; 16], encrypt).unwrap();
        let mut out = Vec::new();
        for c in data.chunks(chunk) {
            let want = op.update_len(c.len());
            let got = op.update(c).unwrap();
            assert_eq!(got.len(), want);
            assert!(op.final_len() < 2 * BLOCK);
            out.extend(got);
        }
        assert_eq!(op.final_len(), data.len() - out.len());
        out.extend(op.finish().unwrap());
        out
    }

    #[test]
    fn rfc3962_rearranged_to_cs1_one_shot_and_streamed() {
        let key = AesKey::new(&unhex(KEY)).unwrap();
        for (len, want) in CS1 {
            let (pt, ct) = (&TEXT[..len], unhex(want));
            assert_eq!(encrypt(&key, &[0; 16], pt).unwrap(), ct, "{len}");
            assert_eq!(decrypt(&key, &[0; 16], &ct).unwrap(), pt, "{len}");
            for chunk in [1, 7, 15, 16, 17, 33, 64] {
                assert_eq!(streamed(&key, true, pt, chunk), ct, "{len}/{chunk}");
                assert_eq!(streamed(&key, false, &ct, chunk), pt, "{len}/{chunk}");
            }
        }
    }

    /// SP 800-38A F.2.1 / F.2.2 (CBC-AES128): a whole number of blocks is plain CBC.
    #[test]
    fn whole_blocks_are_cbc() {
        let key = AesKey::new(&unhex("2b7e151628aed2a6abf7158809cf4f3c")).unwrap();
        let iv: [u8; 16] = core::array::from_fn(|i| i as u8);
        let pt = unhex(
            "6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51\
             30c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710",
        );
        let ct = unhex(
            "7649abac8119b246cee98e9b12e9197d5086cb9b507219ee95db113a917678b2\
             73bed6b8e3c1743b7116e69e222295163ff1caa1681fac09120eca307586e1a7",
        );
        for blocks in 1..=4 {
            let n = blocks * BLOCK;
            assert_eq!(encrypt(&key, &iv, &pt[..n]).unwrap(), ct[..n]);
            assert_eq!(decrypt(&key, &iv, &ct[..n]).unwrap(), pt[..n]);
        }
    }

    #[test]
    fn short_input_is_refused_and_every_length_round_trips() {
        let key = AesKey::new(&[3; 32]).unwrap();
        assert_eq!(encrypt(&key, &[0; 16], &[1; 15]), Err(CryptoError::InvalidLength));
        assert_eq!(decrypt(&key, &[0; 16], &[]), Err(CryptoError::InvalidLength));
        let mut op = CtsOp::new(&key, [0; 16], true).unwrap();
        assert!(op.update(&[0; 10]).unwrap().is_empty());
        assert_eq!(op.finish(), Err(CryptoError::InvalidLength));
        let iv = [0x5a; 16];
        for n in 16..80 {
            let data: Vec<u8> = (0..n as u8).collect();
            let ct = encrypt(&key, &iv, &data).unwrap();
            assert_eq!(ct.len(), n);
            assert_eq!(decrypt(&key, &iv, &ct).unwrap(), data, "{n}");
            // The first d bytes of the ciphertext block before last are C(n-1)'s prefix,
            // then Cn: CBC of the zero-padded message, with C(n-1) cut.
            let d = n % BLOCK;
            if d != 0 {
                let mut padded = data.clone();
                padded.resize(n - d + BLOCK, 0);
                let cbc = encrypt(&key, &iv, &padded).unwrap();
                let cut = padded.len() - 2 * BLOCK;
                assert_eq!(ct[..cut + d], cbc[..cut + d]);
                assert_eq!(ct[cut + d..], cbc[cut + BLOCK..]);
            }
        }
    }
}
