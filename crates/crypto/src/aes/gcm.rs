//! AES-GCM with the caller's IV, AAD and tag length.
//!
//! A 96-bit IV (the length SP 800-38D recommends and nearly every client uses) goes to the
//! backend's AEAD, the fast path. Any other IV length PKCS#11 allows (1 to 256 bytes) goes to
//! [`super::gcm_stream`], GCM built from GHASH and counter mode, which also serves
//! multi-part encryption. Tags may be shortened to the SP 800-38D lengths; a shortened tag is
//! checked by recomputing the full tag and comparing the prefix in constant time.

use aws_lc_rs::aead::{Aad, Nonce};
use aws_lc_rs::cipher::{EncryptingKey, EncryptionContext};
use zeroize::Zeroizing;

use super::{AesKey, gcm_stream};
use crate::CryptoError;

/// The recommended IV length, the one the backend's fast path takes.
pub const IV_LEN: usize = 12;
/// The longest IV accepted (the PKCS#11 bound on `ulIvLen`).
pub const IV_MAX: usize = 256;
/// Full tag length.
pub const TAG_LEN: usize = 16;

/// Validated GCM parameters.
#[derive(Debug, Clone)]
pub struct GcmParams {
    /// The IV, 1 to 256 bytes ([`IV_LEN`] recommended).
    pub iv: Vec<u8>,
    /// Additional authenticated data.
    pub aad: Vec<u8>,
    /// Tag length in bytes.
    pub tag_len: usize,
}

impl GcmParams {
    /// Check an IV, AAD and tag length in bits as PKCS#11 passes them.
    pub fn new(iv: &[u8], aad: &[u8], tag_bits: u64) -> Result<Self, CryptoError> {
        if !matches!(tag_bits, 32 | 64 | 96 | 104 | 112 | 120 | 128) {
            return Err(CryptoError::InvalidParameter);
        }
        let p = Self { iv: iv.to_vec(), aad: aad.to_vec(), tag_len: (tag_bits / 8) as usize };
        p.check()?;
        Ok(p)
    }

    /// The rules of [`Self::new`] (the fields are public, so the operations check again).
    pub(crate) fn check(&self) -> Result<(), CryptoError> {
        if !(1..=IV_MAX).contains(&self.iv.len())
            || !matches!(self.tag_len, 4 | 8 | 12 | 13 | 14 | 15 | 16)
        {
            return Err(CryptoError::InvalidParameter);
        }
        Ok(())
    }

    /// The IV as the backend's nonce, when it is 96 bits.
    fn iv96(&self) -> Option<[u8; IV_LEN]> {
        self.iv.as_slice().try_into().ok()
    }
}

/// Encrypt: ciphertext followed by the (possibly shortened) tag.
pub fn seal(key: &AesKey, p: &GcmParams, plaintext: &[u8]) -> Result<Vec<u8>, CryptoError> {
    p.check()?;
    let mut out = Vec::with_capacity(plaintext.len() + p.tag_len);
    out.extend_from_slice(plaintext);
    let tag = seal_in_place(key, p, &mut out)?;
    out.extend_from_slice(&tag[..p.tag_len]);
    Ok(out)
}

/// Encrypt into `out` (exactly plaintext length + tag length): no intermediate buffer.
pub fn seal_into(
    key: &AesKey,
    p: &GcmParams,
    plaintext: &[u8],
    out: &mut [u8],
) -> Result<(), CryptoError> {
    p.check()?;
    if out.len() != plaintext.len() + p.tag_len {
        return Err(CryptoError::InvalidLength);
    }
    let (body, tag_out) = out.split_at_mut(plaintext.len());
    body.copy_from_slice(plaintext);
    let tag = seal_in_place(key, p, body)?;
    tag_out.copy_from_slice(&tag[..p.tag_len]);
    Ok(())
}

/// Encrypt in place; the full tag.
fn seal_in_place(
    key: &AesKey,
    p: &GcmParams,
    data: &mut [u8],
) -> Result<[u8; TAG_LEN], CryptoError> {
    let Some(iv) = p.iv96() else { return gcm_stream::seal_in_place(key, p, data) };
    let nonce = Nonce::assume_unique_for_key(iv);
    let tag = key.gcm().seal_in_place_separate_tag(nonce, Aad::from(&p.aad[..]), data)?;
    let mut full = [0u8; TAG_LEN];
    full.copy_from_slice(tag.as_ref());
    Ok(full)
}

/// Decrypt and authenticate ciphertext followed by its tag.
pub fn open(key: &AesKey, p: &GcmParams, input: &[u8]) -> Result<Vec<u8>, CryptoError> {
    p.check()?;
    if input.len() < p.tag_len {
        return Err(CryptoError::InvalidLength);
    }
    let (ct, tag) = input.split_at(input.len() - p.tag_len);
    let Some(iv) = p.iv96() else { return gcm_stream::open(key, p, ct, tag) };
    if p.tag_len == TAG_LEN {
        let mut buf = Zeroizing::new(input.to_vec());
        let nonce = Nonce::assume_unique_for_key(iv);
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
    counter[..IV_LEN].copy_from_slice(&iv);
    counter[15] = 2;
    let ctr = EncryptingKey::ctr(key.unbound()?)?;
    ctr.less_safe_encrypt(&mut pt, EncryptionContext::Iv128(counter.into()))?;
    let mut again = pt.to_vec();
    let full = seal_in_place(key, p, &mut again)?;
    again.iter_mut().for_each(|b| *b = 0);
    crate::digest::verify_mac(&full[..p.tag_len], tag)
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
        assert!(GcmParams::new(&[], &[], 128).is_err());
        assert!(GcmParams::new(&[0; IV_MAX + 1], &[], 128).is_err());
        assert!(GcmParams::new(&[0; 12], &[], 100).is_err());
        assert!(GcmParams::new(&[0; 12], &[], 96).is_ok());
        assert!(GcmParams::new(&[0; 1], &[], 32).is_ok());
        assert!(GcmParams::new(&[0; IV_MAX], &[], 128).is_ok());
        let key = AesKey::new(&[0; 16]).unwrap();
        let bad = GcmParams { tag_len: 17, ..GcmParams::new(&[0; 16], &[], 128).unwrap() };
        assert_eq!(seal(&key, &bad, &[]), Err(CryptoError::InvalidParameter));
    }

    /// One encrypt case: seal and seal_into give CT || Tag, and open reverses it.
    fn encrypt_case(key: &str, iv: &str, pt: &str, aad: &str, ct: &str, tag: &str) {
        let key = AesKey::new(&unhex(key)).unwrap();
        let tag = unhex(tag);
        let p = GcmParams::new(&unhex(iv), &unhex(aad), tag.len() as u64 * 8).unwrap();
        let mut want = unhex(ct);
        want.extend_from_slice(&tag);
        let pt = unhex(pt);
        assert_eq!(seal(&key, &p, &pt).unwrap(), want);
        let mut into = vec![0u8; want.len()];
        seal_into(&key, &p, &pt, &mut into).unwrap();
        assert_eq!(into, want);
        assert_eq!(open(&key, &p, &want).unwrap(), pt);
        let mut bad = want.clone();
        *bad.last_mut().unwrap() ^= 0x40;
        assert_eq!(open(&key, &p, &bad), Err(CryptoError::AuthenticationFailed));
    }

    /// NIST CAVP gcmEncryptExtIV128.rsp [Keylen = 128, IVlen = 8, PTlen = 128, AADlen = 128,
    /// Taglen = 128] Count = 0: a one-byte IV.
    #[test]
    fn cavp_8_bit_iv() {
        encrypt_case(
            "83f9d97d4ab759fddcc3ef54a0e2a8ec",
            "cf",
            "77e6329cf9424f71c808df9170bfd298",
            "6dd49eaeb4103dac8f97e3234946dd2d",
            "50de86a7a92a8a5ea33db5696b96cd77",
            "aa181e84bc8b4bf5a68927c409d422cb",
        );
    }

    /// NIST CAVP gcmEncryptExtIV256.rsp [Keylen = 256, IVlen = 1024, PTlen = 408, AADlen = 720,
    /// Taglen = 128] Count = 0: a 128-byte IV, a partial last block.
    #[test]
    fn cavp_1024_bit_iv() {
        encrypt_case(
            "65b7171b55b22edd711a076f2eb6a125e873993e8d54564cd62d03c665cd6374",
            "54d118d32a56138f04212684b1e47c5d6808c128996e1d6ebf739ef9ff138aac\
             1181fcde820a5f68749e1fed791314c73c54169aee5556bf206998d95432719f\
             c9ffe22fbbc4925f32774d31e075393c0907e27c3f40da02c424b402eff596f6\
             300b881b8f561d5ae4535a1fa9d4bafe86dd6751b0da245ae7b74ddcc3f5033c",
            "0521e41d827d6104ecdab1f8e7fb70cd8abca87500ecd36e65906194327b1b61\
             014fd310f4e1bf7d5bf356a5d731c0d0d47c7e",
            "4a3b04decbec0a549666e87036e78433b896270792e7932810c38eb063139ade\
             6a4befd4dfdb38d53cdb95accbdee7ad5478c3bc55a21226c2b0fa79fe7c3026\
             2fa5383de3d3b45e951d7ef955f3a18b9689783898bedb66f0b8",
            "2ecf7a3a35abb50d212588c2ef50880212b53c052738767c9ea215709208afae\
             6e94acd68980207bf63382495be1acde784b92",
            "49563e12797eefbee2fd75a1e844869b",
        );
    }

    /// NIST CAVP gcmEncryptExtIV256.rsp [Keylen = 256, IVlen = 8, PTlen = 256, AADlen = 384,
    /// Taglen = 32] Count = 0: a one-byte IV and a 32-bit tag.
    #[test]
    fn cavp_8_bit_iv_short_tag() {
        encrypt_case(
            "af1e34e59f945b0996d19ff63d2a3e60af56c94a0624b1e6d163a9e071c8eac4",
            "e6",
            "9c2aebd2f9bcd54e028deec91a9bcb21a76c5aad4bb4c18b9723389d20aa02bd",
            "7d274f8f78b6bf39f1bd1aa465ff197f9d6218b4d714801bbdf9b980de2d8476\
             3e6d6ae72d67617e6d78c7c17247a807",
            "4eb2ec1815bd40ce546a75df39e5d8d4c56db577869803a028a54a3faf521ec0",
            "5e1ea7f8",
        );
    }

    /// McGrew & Viega, "The Galois/Counter Mode of Operation", test case 6 (60-byte IV).
    #[test]
    fn spec_test_case_6_long_iv() {
        encrypt_case(
            "feffe9928665731c6d6a8f9467308308",
            "9313225df88406e555909c5aff5269aa6a7a9538534f7da1e4c303d2a318a728\
             c3c0c95156809539fcf0e2429a6b525416aedbf5a0de6a57a637b39b",
            "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72\
             1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39",
            "feedfacedeadbeeffeedfacedeadbeefabaddad2",
            "8ce24998625615b603a033aca13fb894be9112a5c3a211a8ba262a3cca7e2ca7\
             01e4a9a4fba43c90ccdcb281d48c7c6fd62875d2aca417034c34aee5",
            "619cc5aefffe0bfa462af43c1699d050",
        );
    }

    /// NIST CAVP gcmDecrypt128.rsp [Keylen = 128, IVlen = 8, PTlen = 128, AADlen = 128,
    /// Taglen = 128] Count = 1 (FAIL), and gcmDecrypt256.rsp [Keylen = 256, IVlen = 1024,
    /// PTlen = 256, AADlen = 160, Taglen = 104] Count = 0 (FAIL).
    #[test]
    fn cavp_decrypt_fail() {
        let cases = [
            (
                "9c0f5ddaafa6607f53ca1a8be5363dbe",
                "0d",
                "f95675ca26da00174e5f95fdbcbc0733",
                "8bf158f144612aaacc8a55df20e65f01",
                "b08472da09d271312f664062bfb9f229",
            ),
            (
                "6d0d96dc8330a8eb76467fe55525badedbe6b39903d9c33172bf49f4f28b9c2d",
                "4339aaf334a882b46f107175794322d9aa4c8f8037eb610886ee990dddcc5860\
                 bae1f83571b4ee13ecb67f728086feaac827b6b4b3f6fd776a534e801f8ccc17\
                 302add2687565ae445053428be3c1c8acf289393049d850bcdb9b97c73e0750b\
                 c0ee27dfeff72fb3ed0e20174b19a3f47cecdb82ddccabc2e7fe502ed21a1126",
                "bd5b4f605c9a99109ac449fb078adda67b9901b4d46df1dd415bfce5993c41f1",
                "d406b4155e5399cfd445b006dbcb2420d53294a2",
                "603bbddc0d6011bb52519e8aa7",
            ),
        ];
        for (key, iv, ct, aad, tag) in cases {
            let key = AesKey::new(&unhex(key)).unwrap();
            let tag = unhex(tag);
            let p = GcmParams::new(&unhex(iv), &unhex(aad), tag.len() as u64 * 8).unwrap();
            let mut input = unhex(ct);
            input.extend_from_slice(&tag);
            assert_eq!(open(&key, &p, &input), Err(CryptoError::AuthenticationFailed));
        }
    }
}
