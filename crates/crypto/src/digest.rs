//! Message digests (streaming), their DigestInfo prefixes, and HMAC over any of them.

use aws_lc_rs::digest as d;
use zeroize::Zeroizing;

use crate::CryptoError;

/// A hash function the module offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HashAlg {
    /// SHA-1 (legacy: HMAC, OAEP/MGF1, verification).
    Sha1,
    /// SHA-224.
    Sha224,
    /// SHA-256.
    Sha256,
    /// SHA-384.
    Sha384,
    /// SHA-512.
    Sha512,
    /// SHA-512/256.
    Sha512_256,
    /// SHA3-256.
    Sha3_256,
    /// SHA3-384.
    Sha3_384,
    /// SHA3-512.
    Sha3_512,
}

impl HashAlg {
    /// Every algorithm, in registry order.
    pub const ALL: [HashAlg; 9] = [
        Self::Sha1,
        Self::Sha224,
        Self::Sha256,
        Self::Sha384,
        Self::Sha512,
        Self::Sha512_256,
        Self::Sha3_256,
        Self::Sha3_384,
        Self::Sha3_512,
    ];

    /// The backend's algorithm.
    pub fn aws(self) -> &'static d::Algorithm {
        match self {
            Self::Sha1 => &d::SHA1_FOR_LEGACY_USE_ONLY,
            Self::Sha224 => &d::SHA224,
            Self::Sha256 => &d::SHA256,
            Self::Sha384 => &d::SHA384,
            Self::Sha512 => &d::SHA512,
            Self::Sha512_256 => &d::SHA512_256,
            Self::Sha3_256 => &d::SHA3_256,
            Self::Sha3_384 => &d::SHA3_384,
            Self::Sha3_512 => &d::SHA3_512,
        }
    }

    /// Output length in bytes.
    pub fn output_len(self) -> usize {
        self.aws().output_len()
    }

    /// Input block length in bytes (HMAC's pad length).
    pub fn block_len(self) -> usize {
        self.aws().block_len()
    }

    /// The DER of DigestInfo up to (and including) the OCTET STRING header of the digest.
    pub fn digest_info_prefix(self) -> &'static [u8] {
        match self {
            Self::Sha1 => &[
                0x30, 0x21, 0x30, 0x09, 0x06, 0x05, 0x2b, 0x0e, 0x03, 0x02, 0x1a, 0x05, 0x00, 0x04,
                0x14,
            ],
            Self::Sha224 => &NIST_PREFIX[4],
            Self::Sha256 => &NIST_PREFIX[1],
            Self::Sha384 => &NIST_PREFIX[2],
            Self::Sha512 => &NIST_PREFIX[3],
            Self::Sha512_256 => &NIST_PREFIX[6],
            Self::Sha3_256 => &NIST_PREFIX[8],
            Self::Sha3_384 => &NIST_PREFIX[9],
            Self::Sha3_512 => &NIST_PREFIX[10],
        }
    }

    /// DigestInfo around `digest`.
    pub fn digest_info(self, digest: &[u8]) -> Vec<u8> {
        let mut v = self.digest_info_prefix().to_vec();
        v.extend_from_slice(digest);
        v
    }

    /// Which algorithm a DigestInfo names, and its digest, if it is one we know.
    pub fn parse_digest_info(info: &[u8]) -> Option<(HashAlg, &[u8])> {
        Self::ALL.into_iter().find_map(|h| {
            let p = h.digest_info_prefix();
            (info.len() == p.len() + h.output_len() && info.starts_with(p))
                .then(|| (h, &info[p.len()..]))
        })
    }

    /// One-shot digest.
    pub fn digest(self, data: &[u8]) -> Vec<u8> {
        d::digest(self.aws(), data).as_ref().to_vec()
    }
}

/// DigestInfo prefixes of the hashes under 2.16.840.1.101.3.4.2.N, indexed by N.
const NIST_PREFIX: [[u8; 19]; 11] = {
    let mut out = [[0u8; 19]; 11];
    let mut n = 1;
    while n < 11 {
        let len: u8 = match n {
            1 | 6 | 8 => 32,
            2 | 9 => 48,
            3 | 10 => 64,
            4 | 5 | 7 => 28,
            _ => 0,
        };
        out[n] = [
            0x30,
            0x11 + len,
            0x30,
            0x0d,
            0x06,
            0x09,
            0x60,
            0x86,
            0x48,
            0x01,
            0x65,
            0x03,
            0x04,
            0x02,
            n as u8,
            0x05,
            0x00,
            0x04,
            len,
        ];
        n += 1;
    }
    out
};

/// A streaming digest.
#[derive(Clone)]
pub struct Hasher {
    alg: HashAlg,
    ctx: d::Context,
}

impl Hasher {
    /// Start hashing.
    pub fn new(alg: HashAlg) -> Self {
        Self { alg, ctx: d::Context::new(alg.aws()) }
    }

    /// The algorithm.
    pub fn alg(&self) -> HashAlg {
        self.alg
    }

    /// Absorb data.
    pub fn update(&mut self, data: &[u8]) {
        self.ctx.update(data);
    }

    /// The digest.
    pub fn finish(self) -> Vec<u8> {
        self.ctx.finish().as_ref().to_vec()
    }

    /// The digest as the backend's type (for signing a digest).
    pub fn finish_raw(self) -> d::Digest {
        self.ctx.finish()
    }
}

/// An HMAC key: the inner and outer hash states after absorbing the padded key, computed once
/// so each MAC costs only the data's hashing.
#[derive(Clone)]
pub struct HmacKey {
    inner: d::Context,
    outer: d::Context,
    alg: HashAlg,
}

impl HmacKey {
    /// Prepare `key` for HMAC with `alg` (RFC 2104; keys longer than a block are hashed).
    pub fn new(alg: HashAlg, key: &[u8]) -> Self {
        let block = alg.block_len();
        let mut k = Zeroizing::new(vec![0u8; block]);
        if key.len() > block {
            let h = alg.digest(key);
            k[..h.len()].copy_from_slice(&h);
        } else {
            k[..key.len()].copy_from_slice(key);
        }
        let mut pad = Zeroizing::new(vec![0u8; block]);
        let mut inner = d::Context::new(alg.aws());
        pad.iter_mut().zip(k.iter()).for_each(|(p, k)| *p = k ^ 0x36);
        inner.update(&pad);
        let mut outer = d::Context::new(alg.aws());
        pad.iter_mut().zip(k.iter()).for_each(|(p, k)| *p = k ^ 0x5c);
        outer.update(&pad);
        Self { inner, outer, alg }
    }

    /// Start a MAC computation.
    pub fn start(&self) -> Hmac {
        Hmac { inner: self.inner.clone(), outer: self.outer.clone() }
    }

    /// The hash in use.
    pub fn alg(&self) -> HashAlg {
        self.alg
    }

    /// One-shot MAC.
    pub fn mac(&self, data: &[u8]) -> Vec<u8> {
        let mut m = self.start();
        m.update(data);
        m.finish()
    }
}

/// A MAC computation in progress.
#[derive(Clone)]
pub struct Hmac {
    inner: d::Context,
    outer: d::Context,
}

impl Hmac {
    /// Absorb data.
    pub fn update(&mut self, data: &[u8]) {
        self.inner.update(data);
    }

    /// The full-length MAC.
    pub fn finish(self) -> Vec<u8> {
        let mut outer = self.outer;
        outer.update(self.inner.finish().as_ref());
        outer.finish().as_ref().to_vec()
    }
}

/// PBKDF2 (RFC 8018 section 5.2) with HMAC over `alg`.
pub fn pbkdf2(
    alg: HashAlg,
    password: &[u8],
    salt: &[u8],
    iterations: u32,
    out: &mut [u8],
) -> Result<(), CryptoError> {
    if iterations == 0 || out.is_empty() {
        return Err(CryptoError::InvalidParameter);
    }
    let key = HmacKey::new(alg, password);
    for (i, chunk) in out.chunks_mut(alg.output_len()).enumerate() {
        let block = u32::try_from(i + 1).map_err(|_| CryptoError::InvalidLength)?;
        let mut m = key.start();
        m.update(salt);
        m.update(&block.to_be_bytes());
        let mut u = Zeroizing::new(m.finish());
        let mut t = Zeroizing::new(u.to_vec());
        for _ in 1..iterations {
            u = Zeroizing::new(key.mac(&u));
            t.iter_mut().zip(u.iter()).for_each(|(a, b)| *a ^= b);
        }
        chunk.copy_from_slice(&t[..chunk.len()]);
    }
    Ok(())
}

/// Constant-time comparison of a MAC (or a prefix length of one) with the expected value.
pub fn verify_mac(expected: &[u8], given: &[u8]) -> Result<(), CryptoError> {
    aws_lc_rs::constant_time::verify_slices_are_equal(expected, given)
        .map_err(|_| CryptoError::BadSignature)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(b: &[u8]) -> String {
        b.iter().map(|x| format!("{x:02x}")).collect()
    }

    #[test]
    fn digest_info_prefixes_parse_back() {
        for h in HashAlg::ALL {
            let dg = h.digest(b"abc");
            let info = h.digest_info(&dg);
            assert_eq!(HashAlg::parse_digest_info(&info), Some((h, &dg[..])), "{h:?}");
        }
        // RFC 8017 section 9.2 note 1: SHA-256's prefix.
        assert_eq!(
            hex(HashAlg::Sha256.digest_info_prefix()),
            "3031300d060960864801650304020105000420"
        );
        assert_eq!(
            hex(HashAlg::Sha512_256.digest_info_prefix()),
            "3031300d060960864801650304020605000420"
        );
    }

    #[test]
    fn hmac_rfc4231_case_2() {
        let k = HmacKey::new(HashAlg::Sha256, b"Jefe");
        assert_eq!(
            hex(&k.mac(b"what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn pbkdf2_rfc6070_and_rfc7914() {
        let mut out = [0u8; 20];
        pbkdf2(HashAlg::Sha1, b"password", b"salt", 2, &mut out).unwrap();
        assert_eq!(hex(&out), "ea6c014dc72d6f8ccd1ed92ace1d41f0d8de8957");
        let mut out = [0u8; 64];
        pbkdf2(HashAlg::Sha256, b"passwd", b"salt", 1, &mut out).unwrap();
        assert_eq!(&hex(&out)[..32], "55ac046e56e3089fec1691c22544b605");
        assert!(pbkdf2(HashAlg::Sha256, b"p", b"s", 0, &mut out).is_err());
    }

    #[test]
    fn hmac_long_key_is_hashed() {
        // RFC 4231 test case 6 (131-byte key), SHA-512.
        let k = HmacKey::new(HashAlg::Sha512, &[0xaa; 131]);
        let m = k.mac(b"Test Using Larger Than Block-Size Key - Hash Key First");
        assert_eq!(&hex(&m)[..32], "80b24263c7c1a3ebb71493c1dd7be8b4");
    }
}
