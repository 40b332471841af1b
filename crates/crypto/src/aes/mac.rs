//! The general block-cipher MAC of PKCS#11 over AES (CKM_AES_MAC, CKM_AES_MAC_GENERAL): the
//! CBC-MAC of FIPS 113 / ISO/IEC 9797-1 MAC algorithm 1.
//!
//! The data is CBC-encrypted under a zero IV; a final partial block is completed with zero
//! bytes (ISO/IEC 9797-1 padding method 1) and the MAC is the leading `mac_len` bytes of the
//! last ciphertext block. CKM_AES_MAC takes half a block (8 bytes), CKM_AES_MAC_GENERAL any
//! length from 1 to 16.
//!
//! Empty data: padding method 1 asks for a padded string whose length is a *positive*
//! multiple of the block, so the empty message becomes one all-zero block and its MAC is the
//! encryption of that block (truncated). This is a choice; PKCS#11 says nothing about it.
//!
//! Zero padding is ambiguous (`m` and `m || 00` share a MAC), and CBC-MAC is only secure for
//! messages of one fixed length; the mechanism exists for compatibility, CMAC is the modern
//! replacement.
//!
//! CCM builds its authentication tag on the same state, padding each of its sections to a
//! block boundary.

use aws_lc_rs::cipher::{EncryptingKey, EncryptionContext};
use zeroize::Zeroizing;

use super::{AesKey, BLOCK};
use crate::CryptoError;

/// CKM_AES_MAC's MAC length: half a block.
pub const HALF_BLOCK: usize = BLOCK / 2;

/// How many whole blocks one backend call takes at most (bounds the scratch copy).
const CHUNK: usize = 64 * BLOCK;

/// A CBC-MAC in progress.
pub struct CbcMac {
    key: EncryptingKey,
    /// The chaining value: the last ciphertext block so far (zero at the start).
    state: Zeroizing<[u8; BLOCK]>,
    /// Bytes of an unfinished block.
    pending: Zeroizing<[u8; BLOCK]>,
    pending_len: usize,
    /// Whether any block has gone through the cipher.
    started: bool,
    mac_len: usize,
}

impl CbcMac {
    /// Start a MAC of `mac_len` bytes (1..=16) under `key`.
    pub fn new(key: &AesKey, mac_len: usize) -> Result<Self, CryptoError> {
        if !(1..=BLOCK).contains(&mac_len) {
            return Err(CryptoError::InvalidParameter);
        }
        Ok(Self {
            key: EncryptingKey::cbc(key.unbound()?)?,
            state: Zeroizing::new([0; BLOCK]),
            pending: Zeroizing::new([0; BLOCK]),
            pending_len: 0,
            started: false,
            mac_len,
        })
    }

    /// The MAC length this instance produces.
    pub fn mac_len(&self) -> usize {
        self.mac_len
    }

    /// CBC-encrypt whole blocks in place under the running state; keep the last one.
    fn chain(&mut self, blocks: &mut [u8]) -> Result<(), CryptoError> {
        self.key.less_safe_encrypt(blocks, EncryptionContext::Iv128((*self.state).into()))?;
        self.state.copy_from_slice(&blocks[blocks.len() - BLOCK..]);
        self.started = true;
        Ok(())
    }

    /// Absorb the (complete) pending block.
    fn absorb_pending(&mut self) -> Result<(), CryptoError> {
        let mut block = Zeroizing::new(*self.pending);
        self.chain(&mut block[..])?;
        self.pending_len = 0;
        Ok(())
    }

    /// Absorb more data.
    pub fn update(&mut self, mut data: &[u8]) -> Result<(), CryptoError> {
        if self.pending_len > 0 {
            let take = (BLOCK - self.pending_len).min(data.len());
            self.pending[self.pending_len..self.pending_len + take].copy_from_slice(&data[..take]);
            self.pending_len += take;
            data = &data[take..];
            if self.pending_len < BLOCK {
                return Ok(());
            }
            self.absorb_pending()?;
        }
        let whole = data.len() - data.len() % BLOCK;
        if whole > 0 {
            // The backend encrypts in place: copy through a bounded scratch buffer.
            let mut scratch = Zeroizing::new([0u8; CHUNK]);
            for chunk in data[..whole].chunks(CHUNK) {
                let buf = &mut scratch[..chunk.len()];
                buf.copy_from_slice(chunk);
                self.chain(buf)?;
            }
        }
        let rest = &data[whole..];
        self.pending[..rest.len()].copy_from_slice(rest);
        self.pending_len = rest.len();
        Ok(())
    }

    /// Complete a pending partial block with zero bytes and absorb it (CCM pads its sections
    /// this way). Nothing happens on a block boundary.
    pub(crate) fn pad_block(&mut self) -> Result<(), CryptoError> {
        if self.pending_len == 0 {
            return Ok(());
        }
        self.pending[self.pending_len..].fill(0);
        self.absorb_pending()
    }

    /// The full last ciphertext block, after padding (an empty message counts as one zero
    /// block).
    pub(crate) fn finish_block(mut self) -> Result<Zeroizing<[u8; BLOCK]>, CryptoError> {
        if self.pending_len > 0 || !self.started {
            self.pending[self.pending_len..].fill(0);
            self.absorb_pending()?;
        }
        Ok(Zeroizing::new(*self.state))
    }

    /// The MAC: the first `mac_len` bytes of the last ciphertext block.
    pub fn finish(self) -> Result<Vec<u8>, CryptoError> {
        let n = self.mac_len;
        Ok(self.finish_block()?[..n].to_vec())
    }
}

/// One-shot CBC-MAC of `data`, `mac_len` bytes long.
pub fn cbc_mac(key: &AesKey, mac_len: usize, data: &[u8]) -> Result<Vec<u8>, CryptoError> {
    let mut m = CbcMac::new(key, mac_len)?;
    m.update(data)?;
    m.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unhex(s: &str) -> Vec<u8> {
        (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
    }

    /// SP 800-38A F.2.1 (CBC-AES128.Encrypt): the four plaintext blocks and the ciphertext
    /// blocks under the IV 000102..0f. With a zero IV the CBC chain differs, so the published
    /// blocks serve through this identity: CBC-MAC(K, (P1 xor IV) || P2 || ...) equals the
    /// CBC encryption of P1 || P2 || ... under IV, last block.
    const F21_KEY: &str = "2b7e151628aed2a6abf7158809cf4f3c";
    const F21_IV: &str = "000102030405060708090a0b0c0d0e0f";
    const F21_PT: &str = "6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51\
                          30c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710";
    const F21_CT: &str = "7649abac8119b246cee98e9b12e9197d5086cb9b507219ee95db113a917678b2\
                          73bed6b8e3c1743b7116e69e222295163ff1caa1681fac09120eca307586e1a7";

    fn f21_message() -> Vec<u8> {
        let mut m = unhex(F21_PT);
        for (b, i) in m.iter_mut().zip(unhex(F21_IV)) {
            *b ^= i;
        }
        m
    }

    #[test]
    fn sp800_38a_f21_prefixes_in_chunks() {
        let key = AesKey::new(&unhex(F21_KEY)).unwrap();
        let msg = f21_message();
        let ct = unhex(F21_CT);
        for blocks in 1..=4 {
            let want = &ct[(blocks - 1) * BLOCK..blocks * BLOCK];
            assert_eq!(cbc_mac(&key, 16, &msg[..blocks * BLOCK]).unwrap(), want);
            for chunk in [1, 5, 16, 17, 33] {
                let mut m = CbcMac::new(&key, HALF_BLOCK).unwrap();
                for c in msg[..blocks * BLOCK].chunks(chunk) {
                    m.update(c).unwrap();
                }
                assert_eq!(m.finish().unwrap(), want[..HALF_BLOCK]);
            }
        }
    }

    #[test]
    fn partial_block_is_zero_padded_and_empty_is_one_zero_block() {
        let key = AesKey::new(&[9; 24]).unwrap();
        let msg: Vec<u8> = (0u8..21).collect();
        let mut padded = msg.clone();
        padded.resize(32, 0);
        assert_eq!(cbc_mac(&key, 16, &msg).unwrap(), cbc_mac(&key, 16, &padded).unwrap());
        let mut zero = [0u8; 16];
        key.ecb_encrypt(&mut zero).unwrap();
        assert_eq!(cbc_mac(&key, 5, &[]).unwrap(), zero[..5]);
        assert_eq!(cbc_mac(&key, 16, &[0; 16]).unwrap(), zero);
    }

    #[test]
    fn mac_length_is_checked() {
        let key = AesKey::new(&[1; 16]).unwrap();
        assert!(CbcMac::new(&key, 0).is_err());
        assert!(CbcMac::new(&key, 17).is_err());
        assert_eq!(CbcMac::new(&key, 1).unwrap().mac_len(), 1);
    }
}
