//! AES: the key type and its modes (block modes, GCM, key wrap, CMAC).

pub mod ccm;
pub mod cmac;
pub mod cts;
pub mod gcm;
pub mod gcm_stream;
pub mod mac;
pub mod modes;
pub mod wrap;

use aws_lc_rs::cipher::{self, EncryptingKey, EncryptionContext, UnboundCipherKey};

use crate::CryptoError;
use crate::locked::SecretBytes;

/// The AES block size.
pub const BLOCK: usize = 16;

/// An AES key (128, 192 or 256 bits) with its GCM key schedule prepared once.
pub struct AesKey {
    bytes: SecretBytes,
    gcm: aws_lc_rs::aead::LessSafeKey,
}

impl AesKey {
    /// A key from its bytes (16, 24 or 32).
    pub fn new(bytes: &[u8]) -> Result<Self, CryptoError> {
        let alg = match bytes.len() {
            16 => &aws_lc_rs::aead::AES_128_GCM,
            24 => &aws_lc_rs::aead::AES_192_GCM,
            32 => &aws_lc_rs::aead::AES_256_GCM,
            _ => return Err(CryptoError::InvalidLength),
        };
        let gcm = aws_lc_rs::aead::LessSafeKey::new(aws_lc_rs::aead::UnboundKey::new(alg, bytes)?);
        Ok(Self { bytes: SecretBytes::from(bytes), gcm })
    }

    /// The key bytes.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    fn cipher_alg(&self) -> &'static cipher::Algorithm {
        match self.bytes.len() {
            16 => &cipher::AES_128,
            24 => &cipher::AES_192,
            _ => &cipher::AES_256,
        }
    }

    pub(crate) fn unbound(&self) -> Result<UnboundCipherKey, CryptoError> {
        Ok(UnboundCipherKey::new(self.cipher_alg(), &self.bytes)?)
    }

    pub(crate) fn gcm(&self) -> &aws_lc_rs::aead::LessSafeKey {
        &self.gcm
    }

    /// Encrypt whole blocks in ECB mode (derivation, check values, CTS).
    pub fn ecb_encrypt(&self, data: &mut [u8]) -> Result<(), CryptoError> {
        if data.len() % BLOCK != 0 {
            return Err(CryptoError::InvalidLength);
        }
        let k = EncryptingKey::ecb(self.unbound()?)?;
        k.less_safe_encrypt(data, EncryptionContext::None)?;
        Ok(())
    }

    /// CKA_CHECK_VALUE: the first three bytes of the encryption of a zero block.
    pub fn check_value(&self) -> Result<Vec<u8>, CryptoError> {
        let mut b = [0u8; BLOCK];
        self.ecb_encrypt(&mut b)?;
        Ok(b[..3].to_vec())
    }
}

/// The first `n` bytes of `held || input`, in one new buffer (one copy); the rest stays in
/// `held`. The streaming modes use it to hand out what is ready and keep the tail.
pub(crate) fn take_ready(held: &mut Vec<u8>, input: &[u8], n: usize) -> Vec<u8> {
    let from_held = n.min(held.len());
    let mut out = Vec::with_capacity(n);
    out.extend_from_slice(&held[..from_held]);
    out.extend_from_slice(&input[..n - from_held]);
    held.drain(..from_held);
    held.extend_from_slice(&input[n - from_held..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fips197_appendix_c1() {
        let key: Vec<u8> = (0u8..16).collect();
        let mut block: Vec<u8> = (0u8..16).map(|i| i * 0x11).collect();
        AesKey::new(&key).unwrap().ecb_encrypt(&mut block).unwrap();
        let hex: String = block.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(hex, "69c4e0d86a7b0430d8cdb78070b4c55a");
    }

    #[test]
    fn bad_lengths() {
        assert!(AesKey::new(&[0; 15]).is_err());
        let k = AesKey::new(&[0; 32]).unwrap();
        assert!(k.ecb_encrypt(&mut [0; 15]).is_err());
    }
}
