//! AES-CCM (NIST SP 800-38C, RFC 3610): counter mode for confidentiality, CBC-MAC for
//! authentication, as CKM_AES_CCM uses it.
//!
//! The first block of the MAC input (B0) carries the payload length, so CCM must know it
//! before it starts: CK_CCM_PARAMS declares it as `ulDataLen`, and [`seal`] and [`open`]
//! refuse data of any other length. The tag covers the plaintext, so decryption recovers the
//! whole plaintext first and releases it only once the tag has been verified.
//!
//! Formatting (SP 800-38C A.2): with `n` the nonce length and `q = 15 - n` the width of the
//! length field,
//! - B0 = flags || nonce || payload length in `q` bytes, where flags holds whether there is
//!   AAD (0x40), `(t - 2) / 2` for the tag length `t` (bits 3..5) and `q - 1` (bits 0..2);
//! - non-empty AAD follows, prefixed with its length (2 bytes below 0xff00; 0xfffe and 4 bytes
//!   below 2^32; 0xffff and 8 bytes beyond) and zero-padded to a block;
//! - then the payload, zero-padded to a block.
//!
//! The counter blocks are `q - 1 || nonce || i` with `i` in `q` bytes; block 0 masks the tag
//! and blocks 1, 2, ... encrypt the payload. The payload length bound (below 2^(8q) bytes)
//! keeps `i` inside its field, so the backend's 128-bit counter increment is exact here.

use aws_lc_rs::cipher::{EncryptingKey, EncryptionContext};
use zeroize::Zeroizing;

use super::mac::CbcMac;
use super::{AesKey, BLOCK};
use crate::CryptoError;

/// Shortest nonce (q = 8 length bytes).
pub const NONCE_MIN: usize = 7;
/// Longest nonce (q = 2 length bytes).
pub const NONCE_MAX: usize = 13;
/// Longest (full) tag.
pub const TAG_MAX: usize = 16;

/// Validated CCM parameters (CK_CCM_PARAMS). Built only through [`CcmParams::new`], so every
/// instance satisfies its rules.
#[derive(Debug, Clone)]
pub struct CcmParams {
    nonce: Vec<u8>,
    aad: Vec<u8>,
    data_len: u64,
    tag_len: usize,
}

impl CcmParams {
    /// Check a nonce (7 to 13 bytes), AAD, declared payload length and tag length in bytes
    /// (4, 6, 8, 10, 12, 14 or 16), as PKCS#11 passes them; the payload length must fit the
    /// `15 - nonce length` bytes of its field. Errors are [`CryptoError::InvalidParameter`].
    pub fn new(
        nonce: &[u8],
        aad: &[u8],
        data_len: u64,
        tag_len: usize,
    ) -> Result<Self, CryptoError> {
        if !(NONCE_MIN..=NONCE_MAX).contains(&nonce.len())
            || !matches!(tag_len, 4 | 6 | 8 | 10 | 12 | 14 | 16)
        {
            return Err(CryptoError::InvalidParameter);
        }
        let q = 15 - nonce.len();
        if q < 8 && data_len >> (8 * q) != 0 {
            return Err(CryptoError::InvalidParameter);
        }
        Ok(Self { nonce: nonce.to_vec(), aad: aad.to_vec(), data_len, tag_len })
    }

    /// The nonce.
    pub fn nonce(&self) -> &[u8] {
        &self.nonce
    }

    /// The additional authenticated data.
    pub fn aad(&self) -> &[u8] {
        &self.aad
    }

    /// The payload length declared up front (`ulDataLen`).
    pub fn data_len(&self) -> u64 {
        self.data_len
    }

    /// The tag length in bytes (`ulMACLen`).
    pub fn tag_len(&self) -> usize {
        self.tag_len
    }

    /// The width in bytes of the payload length field (and of the block counter).
    pub fn length_field(&self) -> usize {
        15 - self.nonce.len()
    }

    /// Output length of an encryption (and input length of a decryption).
    pub fn sealed_len(&self) -> u64 {
        self.data_len.saturating_add(self.tag_len as u64)
    }

    /// Counter block `i`: flags `q - 1`, the nonce, then `i` in the last `q` bytes.
    fn counter_block(&self, i: u8) -> [u8; BLOCK] {
        let mut b = [0u8; BLOCK];
        b[0] = (self.length_field() - 1) as u8;
        b[1..1 + self.nonce.len()].copy_from_slice(&self.nonce);
        b[BLOCK - 1] = i;
        b
    }

    /// B0, the first block of the MAC input.
    fn b0(&self) -> [u8; BLOCK] {
        let q = self.length_field();
        let mut b = [0u8; BLOCK];
        let aad_flag = if self.aad.is_empty() { 0 } else { 0x40 };
        b[0] = aad_flag | (((self.tag_len - 2) / 2) << 3) as u8 | (q - 1) as u8;
        b[1..1 + self.nonce.len()].copy_from_slice(&self.nonce);
        b[BLOCK - q..].copy_from_slice(&self.data_len.to_be_bytes()[8 - q..]);
        b
    }
}

/// The unmasked tag T: the CBC-MAC of B0, the encoded AAD and the payload.
fn cbc_mac_tag(
    key: &AesKey,
    p: &CcmParams,
    payload: &[u8],
) -> Result<Zeroizing<[u8; BLOCK]>, CryptoError> {
    let mut m = CbcMac::new(key, BLOCK)?;
    m.update(&p.b0())?;
    if !p.aad.is_empty() {
        let a = p.aad.len() as u64;
        if a < 0xff00 {
            m.update(&(a as u16).to_be_bytes())?;
        } else if let Ok(a32) = u32::try_from(a) {
            m.update(&[0xff, 0xfe])?;
            m.update(&a32.to_be_bytes())?;
        } else {
            m.update(&[0xff, 0xff])?;
            m.update(&a.to_be_bytes())?;
        }
        m.update(&p.aad)?;
        m.pad_block()?;
    }
    m.update(payload)?;
    m.finish_block()
}

/// The counter-mode half: a CTR key, the tag mask S0 = E(counter block 0), and the payload
/// keystream from counter block 1.
struct Ctr {
    key: EncryptingKey,
    s0: Zeroizing<[u8; BLOCK]>,
}

impl Ctr {
    fn new(key: &AesKey, p: &CcmParams) -> Result<Self, CryptoError> {
        let k = EncryptingKey::ctr(key.unbound()?)?;
        let mut s0 = Zeroizing::new([0u8; BLOCK]);
        k.less_safe_encrypt(&mut s0[..], EncryptionContext::Iv128(p.counter_block(0).into()))?;
        Ok(Self { key: k, s0 })
    }

    /// Encrypt or decrypt the payload in place.
    fn apply(&self, p: &CcmParams, data: &mut [u8]) -> Result<(), CryptoError> {
        if !data.is_empty() {
            let ctx = EncryptionContext::Iv128(p.counter_block(1).into());
            self.key.less_safe_encrypt(data, ctx)?;
        }
        Ok(())
    }

    /// The transmitted tag: T xor S0, truncated.
    fn mask(&self, t: &[u8; BLOCK], tag_len: usize) -> Zeroizing<[u8; BLOCK]> {
        let mut out = Zeroizing::new([0u8; BLOCK]);
        for ((o, a), b) in out.iter_mut().zip(t).zip(self.s0.iter()).take(tag_len) {
            *o = a ^ b;
        }
        out
    }
}

/// Encrypt into `out`, which must be exactly plaintext length + tag length long: the
/// ciphertext, then the tag. The plaintext must be `p.data_len()` bytes.
pub fn seal_into(
    key: &AesKey,
    p: &CcmParams,
    plaintext: &[u8],
    out: &mut [u8],
) -> Result<(), CryptoError> {
    if plaintext.len() as u64 != p.data_len || out.len() != plaintext.len() + p.tag_len {
        return Err(CryptoError::InvalidLength);
    }
    let ctr = Ctr::new(key, p)?;
    let t = cbc_mac_tag(key, p, plaintext)?;
    let (body, tag_out) = out.split_at_mut(plaintext.len());
    body.copy_from_slice(plaintext);
    ctr.apply(p, body)?;
    tag_out.copy_from_slice(&ctr.mask(&t, p.tag_len)[..p.tag_len]);
    Ok(())
}

/// Encrypt: ciphertext followed by the tag. The plaintext must be `p.data_len()` bytes.
pub fn seal(key: &AesKey, p: &CcmParams, plaintext: &[u8]) -> Result<Vec<u8>, CryptoError> {
    let mut out = vec![0u8; plaintext.len() + p.tag_len];
    seal_into(key, p, plaintext, &mut out)?;
    Ok(out)
}

/// Decrypt and verify ciphertext followed by its tag (`p.sealed_len()` bytes). A tag
/// that does not verify gives [`CryptoError::AuthenticationFailed`], and the recovered
/// plaintext is wiped, never returned.
pub fn open(key: &AesKey, p: &CcmParams, input: &[u8]) -> Result<Vec<u8>, CryptoError> {
    if input.len() as u64 != p.sealed_len() {
        return Err(CryptoError::InvalidLength);
    }
    let (ct, tag) = input.split_at(input.len() - p.tag_len);
    let ctr = Ctr::new(key, p)?;
    let mut pt = Zeroizing::new(ct.to_vec());
    ctr.apply(p, &mut pt)?;
    let t = cbc_mac_tag(key, p, &pt)?;
    let expected = ctr.mask(&t, p.tag_len);
    crate::digest::verify_mac(&expected[..p.tag_len], tag)
        .map_err(|_| CryptoError::AuthenticationFailed)?;
    Ok(std::mem::take(&mut *pt))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unhex(s: &str) -> Vec<u8> {
        (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
    }

    fn run(key: &str, nonce: &str, aad: &[u8], pt: &[u8], tag_len: usize, want: &str) {
        let key = AesKey::new(&unhex(key)).unwrap();
        let p = CcmParams::new(&unhex(nonce), aad, pt.len() as u64, tag_len).unwrap();
        let out = seal(&key, &p, pt).unwrap();
        assert_eq!(out, unhex(want));
        let mut into = vec![0u8; out.len()];
        seal_into(&key, &p, pt, &mut into).unwrap();
        assert_eq!(into, out);
        assert_eq!(open(&key, &p, &out).unwrap(), pt);
        for i in [0, out.len() - 1] {
            let mut bad = out.clone();
            bad[i] ^= 0x80;
            assert_eq!(open(&key, &p, &bad), Err(CryptoError::AuthenticationFailed));
        }
    }

    const SP800_38C_KEY: &str = "404142434445464748494a4b4c4d4e4f";

    /// SP 800-38C appendix C.1: 7-byte nonce, 8-byte AAD, 4-byte payload, 4-byte tag.
    #[test]
    fn sp800_38c_example_1() {
        run(
            SP800_38C_KEY,
            "10111213141516",
            &unhex("0001020304050607"),
            &unhex("20212223"),
            4,
            "7162015b4dac255d",
        );
    }

    /// SP 800-38C appendix C.2: 8-byte nonce, 16-byte AAD and payload, 6-byte tag.
    #[test]
    fn sp800_38c_example_2() {
        run(
            SP800_38C_KEY,
            "1011121314151617",
            &unhex("000102030405060708090a0b0c0d0e0f"),
            &unhex("202122232425262728292a2b2c2d2e2f"),
            6,
            "d2a1f0e051ea5f62081a7792073d593d1fc64fbfaccd",
        );
    }

    /// SP 800-38C appendix C.3: 12-byte nonce, 20-byte AAD, 24-byte payload, 8-byte tag.
    #[test]
    fn sp800_38c_example_3() {
        run(
            SP800_38C_KEY,
            "101112131415161718191a1b",
            &unhex("000102030405060708090a0b0c0d0e0f10111213"),
            &unhex("202122232425262728292a2b2c2d2e2f3031323334353637"),
            8,
            "e3b201a9f5b71a7a9b1ceaeccd97e70b6176aad9a4428aa5484392fbc1b09951",
        );
    }

    /// SP 800-38C appendix C.4: 65536 bytes of AAD (the 0xfffe length encoding), 13-byte
    /// nonce, 32-byte payload, 14-byte tag.
    #[test]
    fn sp800_38c_example_4_long_aad() {
        let aad: Vec<u8> = (0..65536u32).map(|i| i as u8).collect();
        let pt: Vec<u8> = (0x20u8..0x40).collect();
        run(
            SP800_38C_KEY,
            "101112131415161718191a1b1c",
            &aad,
            &pt,
            14,
            "69915dad1e84c6376a68c2967e4dab615ae0fd1faec44cc484828529463ccf72\
             b4ac6bec93e8598e7f0dadbcea5b",
        );
    }

    /// NIST CAVP DVPT (ccmtestvectors.zip, as in cryptography_vectors 50.0.2): decryption
    /// cases, Pass and Fail. `Adata = 00` / `Payload = 00` mean empty when the length is 0.
    #[test]
    fn cavp_dvpt() {
        struct Case {
            key: &'static str,
            nonce: &'static str,
            aad: &'static str,
            ct: &'static str,
            tag_len: usize,
            pt: Option<&'static str>,
        }
        let cases = [
            // DVPT128.rsp [Alen = 0, Plen = 0, Nlen = 7, Tlen = 4] Count = 0
            Case {
                key: "4ae701103c63deca5b5a3939d7d05992",
                nonce: "5a8aa485c316e9",
                aad: "",
                ct: "02209f55",
                tag_len: 4,
                pt: Some(""),
            },
            // DVPT128.rsp [Alen = 0, Plen = 0, Nlen = 7, Tlen = 4] Count = 1 (Fail)
            Case {
                key: "4ae701103c63deca5b5a3939d7d05992",
                nonce: "3796cf51b87266",
                aad: "",
                ct: "9a04c241",
                tag_len: 4,
                pt: None,
            },
            // DVPT256.rsp [Alen = 32, Plen = 24, Nlen = 13, Tlen = 16] Count = 225
            Case {
                key: "314a202f836f9f257e22d8c11757832ae5131d357a72df88f3eff0ffcee0da4e",
                nonce: "a544218dadd3c10583db49cf39",
                aad: "3c0e2815d37d844f7ac240ba9d6e3a0b2a86f706e885959e09a1005e024f6907",
                ct: "8d34cdca37ce77be68f65baf3382e31efa693e63f914a781\
                     367f30f2eaad8c063ca50795acd90203",
                tag_len: 16,
                pt: Some("e8de970f6ee8e80ede933581b5bcf4d837e2b72baa8b00c3"),
            },
            // DVPT256.rsp [Alen = 32, Plen = 24, Nlen = 13, Tlen = 16] Count = 226 (Fail)
            Case {
                key: "314a202f836f9f257e22d8c11757832ae5131d357a72df88f3eff0ffcee0da4e",
                nonce: "8fa501c5dd9ac9b868144c9fa5",
                aad: "5bb40e3bb72b4509324a7edc852f72535f1f6283156e63f6959ffaf39dcde800",
                ct: "516c0095cc3d85fd55e48da17c592e0c7014b9daafb82bdc\
                     4b41096dfdbe9cc1ab610f8f3e038d16",
                tag_len: 16,
                pt: None,
            },
        ];
        for c in cases {
            let key = AesKey::new(&unhex(c.key)).unwrap();
            let ct = unhex(c.ct);
            let p = CcmParams::new(
                &unhex(c.nonce),
                &unhex(c.aad),
                (ct.len() - c.tag_len) as u64,
                c.tag_len,
            )
            .unwrap();
            match c.pt {
                Some(pt) => {
                    assert_eq!(open(&key, &p, &ct).unwrap(), unhex(pt));
                    assert_eq!(seal(&key, &p, &unhex(pt)).unwrap(), ct);
                }
                None => assert_eq!(open(&key, &p, &ct), Err(CryptoError::AuthenticationFailed)),
            }
        }
    }

    #[test]
    fn parameters_are_checked() {
        assert!(CcmParams::new(&[0; 6], &[], 0, 8).is_err());
        assert!(CcmParams::new(&[0; 14], &[], 0, 8).is_err());
        for t in [0, 2, 5, 18] {
            assert!(CcmParams::new(&[0; 12], &[], 0, t).is_err(), "tag {t}");
        }
        // A 13-byte nonce leaves two length bytes: at most 65535 bytes of payload.
        assert!(CcmParams::new(&[0; 13], &[], 0xffff, 16).is_ok());
        assert!(CcmParams::new(&[0; 13], &[], 0x1_0000, 16).is_err());
        assert!(CcmParams::new(&[0; 7], &[], u64::MAX, 16).is_ok());
        assert_eq!(CcmParams::new(&[0; 12], &[], 0, 16).unwrap().length_field(), 3);
    }

    #[test]
    fn declared_length_is_enforced() {
        let key = AesKey::new(&[5; 32]).unwrap();
        let p = CcmParams::new(&[1; 12], b"aad", 10, 8).unwrap();
        assert_eq!(seal(&key, &p, &[0; 9]), Err(CryptoError::InvalidLength));
        assert_eq!(seal(&key, &p, &[0; 11]), Err(CryptoError::InvalidLength));
        assert_eq!(seal_into(&key, &p, &[0; 10], &mut [0; 17]), Err(CryptoError::InvalidLength));
        let sealed = seal(&key, &p, &[7; 10]).unwrap();
        assert_eq!(sealed.len() as u64, p.sealed_len());
        assert_eq!(open(&key, &p, &sealed[..17]), Err(CryptoError::InvalidLength));
        let mut longer = sealed.clone();
        longer.push(0);
        assert_eq!(open(&key, &p, &longer), Err(CryptoError::InvalidLength));
        assert_eq!(open(&key, &p, &sealed).unwrap(), [7; 10]);
    }
}
