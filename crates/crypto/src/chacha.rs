//! ChaCha20-Poly1305 (RFC 8439) with the caller's 96-bit nonce and AAD, 128-bit tag.

use aws_lc_rs::aead::{Aad, CHACHA20_POLY1305, LessSafeKey, Nonce, UnboundKey};
use zeroize::Zeroizing;

use crate::CryptoError;

/// Nonce length.
pub const NONCE_LEN: usize = 12;
/// Tag length.
pub const TAG_LEN: usize = 16;

/// A ChaCha20-Poly1305 key (32 bytes).
pub struct ChaChaKey(LessSafeKey);

impl ChaChaKey {
    /// From the 32-byte key.
    pub fn new(bytes: &[u8]) -> Result<Self, CryptoError> {
        if bytes.len() != 32 {
            return Err(CryptoError::InvalidLength);
        }
        Ok(Self(LessSafeKey::new(UnboundKey::new(&CHACHA20_POLY1305, bytes)?)))
    }

    /// Encrypt: ciphertext followed by the tag.
    pub fn seal(&self, nonce: &[u8], aad: &[u8], plaintext: &[u8]) -> Result<Vec<u8>, CryptoError> {
        let nonce =
            Nonce::try_assume_unique_for_key(nonce).map_err(|_| CryptoError::InvalidParameter)?;
        let mut out = plaintext.to_vec();
        let tag = self.0.seal_in_place_separate_tag(nonce, Aad::from(aad), &mut out)?;
        out.extend_from_slice(tag.as_ref());
        Ok(out)
    }

    /// Decrypt and authenticate ciphertext followed by its tag.
    pub fn open(&self, nonce: &[u8], aad: &[u8], input: &[u8]) -> Result<Vec<u8>, CryptoError> {
        let nonce =
            Nonce::try_assume_unique_for_key(nonce).map_err(|_| CryptoError::InvalidParameter)?;
        if input.len() < TAG_LEN {
            return Err(CryptoError::InvalidLength);
        }
        let mut buf = Zeroizing::new(input.to_vec());
        let n = self
            .0
            .open_in_place(nonce, Aad::from(aad), &mut buf)
            .map_err(|_| CryptoError::AuthenticationFailed)?
            .len();
        Ok(buf[..n].to_vec())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unhex(s: &str) -> Vec<u8> {
        (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
    }

    /// RFC 8439 section 2.8.2.
    #[test]
    fn rfc8439_2_8_2() {
        let key = ChaChaKey::new(&unhex(
            "808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f",
        ))
        .unwrap();
        let nonce = unhex("070000004041424344454647");
        let aad = unhex("50515253c0c1c2c3c4c5c6c7");
        let pt = b"Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.";
        let out = key.seal(&nonce, &aad, pt).unwrap();
        assert_eq!(&out[..4], &unhex("d31a8d34"));
        assert_eq!(&out[out.len() - 16..], &unhex("1ae10b594f09e26a7e902ecbd0600691")[..]);
        assert_eq!(key.open(&nonce, &aad, &out).unwrap(), pt);
        let mut bad = out.clone();
        bad[0] ^= 1;
        assert_eq!(key.open(&nonce, &aad, &bad), Err(CryptoError::AuthenticationFailed));
        assert!(key.seal(&[0; 8], &aad, pt).is_err());
    }
}
