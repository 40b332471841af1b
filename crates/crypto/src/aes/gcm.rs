//! AES-GCM with the caller's IV, AAD and tag length.
//!
//! The backend takes 96-bit IVs only (the length SP 800-38D recommends and every client we
//! serve uses); other lengths are refused as a parameter error. Tags may be shortened to the
//! SP 800-38D lengths. A shortened tag is checked by recomputing the full tag over the
//! decrypted data and comparing the prefix in constant time.

use aws_lc_rs::aead::{Aad, Nonce, Tag};
use aws_lc_rs::cipher::{EncryptingKey, EncryptionContext};
use zeroize::Zeroizing;

use super::AesKey;
use crate::CryptoError;

/// The only IV length accepted.
pub const IV_LEN: usize = 12;
/// Full tag length.
pub const TAG_LEN: usize = 16;

/// Validated GCM parameters.
#[derive(Debug, Clone)]
pub struct GcmParams {
    /// The 96-bit IV.
    pub iv: [u8; IV_LEN],
    /// Additional authenticated data.
    pub aad: Vec<u8>,
    /// Tag length in bytes.
    pub tag_len: usize,
}

impl GcmParams {
    /// Check an IV, AAD and tag length in bits as PKCS#11 passes them.
    pub fn new(iv: &[u8], aad: &[u8], tag_bits: u64) -> Result<Self, CryptoError> {
        let iv: [u8; IV_LEN] = iv.try_into().map_err(|_| CryptoError::InvalidParameter)?;
        if !matches!(tag_bits, 32 | 64 | 96 | 104 | 112 | 120 | 128) {
            return Err(CryptoError::InvalidParameter);
        }
        Ok(Self { iv, aad: aad.to_vec(), tag_len: (tag_bits / 8) as usize })
    }
}

/// Encrypt: ciphertext followed by the (possibly shortened) tag.
pub fn seal(key: &AesKey, p: &GcmParams, plaintext: &[u8]) -> Result<Vec<u8>, CryptoError> {
    let mut out = Vec::with_capacity(plaintext.len() + p.tag_len);
    out.extend_from_slice(plaintext);
    let tag = seal_in_place(key, p, &mut out)?;
    out.extend_from_slice(&tag.as_ref()[..p.tag_len]);
    Ok(out)
}

/// Encrypt into `out` (exactly plaintext length + tag length): no intermediate buffer.
pub fn seal_into(
    key: &AesKey,
    p: &GcmParams,
    plaintext: &[u8],
    out: &mut [u8],
) -> Result<(), CryptoError> {
    if out.len() != plaintext.len() + p.tag_len {
        return Err(CryptoError::InvalidLength);
    }
    let (body, tag_out) = out.split_at_mut(plaintext.len());
    body.copy_from_slice(plaintext);
    let tag = seal_in_place(key, p, body)?;
    tag_out.copy_from_slice(&tag.as_ref()[..p.tag_len]);
    Ok(())
}

fn seal_in_place(key: &AesKey, p: &GcmParams, data: &mut [u8]) -> Result<Tag, CryptoError> {
    let nonce = Nonce::assume_unique_for_key(p.iv);
    Ok(key.gcm().seal_in_place_separate_tag(nonce, Aad::from(&p.aad[..]), data)?)
}

/// Decrypt and authenticate ciphertext followed by its tag.
pub fn open(key: &AesKey, p: &GcmParams, input: &[u8]) -> Result<Vec<u8>, CryptoError> {
    if input.len() < p.tag_len {
        return Err(CryptoError::InvalidLength);
    }
    let (ct, tag) = input.split_at(input.len() - p.tag_len);
    if p.tag_len == TAG_LEN {
        let mut buf = Zeroizing::new(input.to_vec());
        let nonce = Nonce::assume_unique_for_key(p.iv);
        let n = key
            .gcm()
            .open_in_place(nonce, Aad::from(&p.aad[..]), &mut buf)
            .map_err(|_| CryptoError::AuthenticationFailed)?
            .len();
        return Ok(buf[..n].to_vec());
    }
    // Shortened tag: CTR-decrypt from counter block 2, then recompute the tag.
    let mut pt = Zeroizing::new(ct.to_vec());
    let mut counter = [0u8; 16];
    counter[..IV_LEN].copy_from_slice(&p.iv);
    counter[15] = 2;
    let ctr = EncryptingKey::ctr(key.unbound()?)?;
    ctr.less_safe_encrypt(&mut pt, EncryptionContext::Iv128(counter.into()))?;
    let mut again = pt.to_vec();
    let full = seal_in_place(key, p, &mut again)?;
    again.iter_mut().for_each(|b| *b = 0);
    crate::digest::verify_mac(&full.as_ref()[..p.tag_len], tag)
        .map_err(|_| CryptoError::AuthenticationFailed)?;
    Ok(pt.to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unhex(s: &str) -> Vec<u8> {
        (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
    }

    /// "The Galois/Counter Mode of Operation" (McGrew, Viega), test case 4 (AES-128).
    #[test]
    fn spec_test_case_4_with_full_and_short_tags() {
        let key = AesKey::new(&unhex("feffe9928665731c6d6a8f9467308308")).unwrap();
        let pt = unhex(
            "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39",
        );
        let aad = unhex("feedfacedeadbeeffeedfacedeadbeefabaddad2");
        let p = GcmParams::new(&unhex("cafebabefacedbaddecaf888"), &aad, 128).unwrap();
        let out = seal(&key, &p, &pt).unwrap();
        let want_ct = "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091";
        let hex: String = out.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(&hex[..want_ct.len()], want_ct);
        assert_eq!(&hex[want_ct.len()..], "5bc94fbc3221a5db94fae95ae7121a47");
        assert_eq!(open(&key, &p, &out).unwrap(), pt);

        let short = GcmParams { tag_len: 12, ..p.clone() };
        let out12 = seal(&key, &short, &pt).unwrap();
        assert_eq!(out12[..], out[..out.len() - 4]);
        assert_eq!(open(&key, &short, &out12).unwrap(), pt);
        let mut bad = out12.clone();
        *bad.last_mut().unwrap() ^= 1;
        assert_eq!(open(&key, &short, &bad), Err(CryptoError::AuthenticationFailed));
        let mut bad = out.clone();
        bad[0] ^= 1;
        assert_eq!(open(&key, &p, &bad), Err(CryptoError::AuthenticationFailed));
    }

    #[test]
    fn parameters_are_checked() {
        assert!(GcmParams::new(&[0; 16], &[], 128).is_err());
        assert!(GcmParams::new(&[0; 12], &[], 100).is_err());
        assert!(GcmParams::new(&[0; 12], &[], 96).is_ok());
    }
}
