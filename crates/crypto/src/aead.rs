//! AES-256-GCM sealing of records at rest and of wrapped master keys.
//!
//! Format of a sealed blob: `nonce (12) || ciphertext || tag (16)`. The nonce is random; a key
//! seals far fewer than 2^32 records, well inside GCM's random-nonce bound.

use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};

use crate::{CryptoError, rng};

/// Length of the key this module seals with.
pub const KEY_LEN: usize = 32;
const TAG_LEN: usize = 16;
/// Bytes a sealed blob adds to its plaintext.
pub const OVERHEAD: usize = NONCE_LEN + TAG_LEN;

fn key(key: &[u8; KEY_LEN]) -> Result<LessSafeKey, CryptoError> {
    let unbound = UnboundKey::new(&AES_256_GCM, key).map_err(|_| CryptoError::InvalidLength)?;
    Ok(LessSafeKey::new(unbound))
}

/// Encrypt and authenticate `plaintext`, binding `aad`.
pub fn seal(k: &[u8; KEY_LEN], aad: &[u8], plaintext: &[u8]) -> Result<Vec<u8>, CryptoError> {
    let nonce_bytes: [u8; NONCE_LEN] = rng::array()?;
    let mut out = Vec::with_capacity(plaintext.len() + OVERHEAD);
    out.extend_from_slice(&nonce_bytes);
    out.extend_from_slice(plaintext);
    let mut body = out.split_off(NONCE_LEN);
    key(k)?
        .seal_in_place_append_tag(
            Nonce::assume_unique_for_key(nonce_bytes),
            Aad::from(aad),
            &mut body,
        )
        .map_err(|_| CryptoError::InvalidLength)?;
    out.extend_from_slice(&body);
    Ok(out)
}

/// Check and decrypt a blob made by [`seal`] with the same key and `aad`.
pub fn open(k: &[u8; KEY_LEN], aad: &[u8], sealed: &[u8]) -> Result<Vec<u8>, CryptoError> {
    if sealed.len() < OVERHEAD {
        return Err(CryptoError::AuthenticationFailed);
    }
    let (nonce, body) = sealed.split_at(NONCE_LEN);
    let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| CryptoError::InvalidLength)?;
    let mut buf = body.to_vec();
    let plain_len = key(k)?
        .open_in_place(nonce, Aad::from(aad), &mut buf)
        .map_err(|_| CryptoError::AuthenticationFailed)?
        .len();
    buf.truncate(plain_len);
    Ok(buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_tamper() {
        let k = [7u8; 32];
        let blob = seal(&k, b"aad", b"secret").unwrap();
        assert_eq!(blob.len(), 6 + OVERHEAD);
        assert_eq!(open(&k, b"aad", &blob).unwrap(), b"secret");
        assert_eq!(open(&k, b"other", &blob), Err(CryptoError::AuthenticationFailed));
        let mut bad = blob.clone();
        bad[13] ^= 1;
        assert_eq!(open(&k, b"aad", &bad), Err(CryptoError::AuthenticationFailed));
        assert_eq!(open(&[8u8; 32], b"aad", &blob), Err(CryptoError::AuthenticationFailed));
        assert_eq!(open(&k, b"aad", &blob[..10]), Err(CryptoError::AuthenticationFailed));
    }

    #[test]
    fn empty_plaintext() {
        let k = [1u8; 32];
        let blob = seal(&k, b"", b"").unwrap();
        assert_eq!(open(&k, b"", &blob).unwrap(), b"");
    }
}
