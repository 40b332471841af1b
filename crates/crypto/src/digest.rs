//! Message digests (streaming), their DigestInfo prefixes, and HMAC over any of them.
//!
//! aws-lc-rs backs every hash it exposes. SHA-512/224 and SHA3-224 are missing there, so
//! those two run on the RustCrypto `sha2` and `sha3` crates; a small enum picks the backend
//! per context, and finished digests go through a stack buffer, so the aws-lc-rs path
//! allocates no more than before (the RustCrypto states live in a box of their own).

use aws_lc_rs::digest as d;
use sha2::Digest as _;
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
    /// SHA-512/224 (FIPS 180-4 section 6.7; RustCrypto backend).
    Sha512_224,
    /// SHA-512/256.
    Sha512_256,
    /// SHA3-224 (FIPS 202; RustCrypto backend).
    Sha3_224,
    /// SHA3-256.
    Sha3_256,
    /// SHA3-384.
    Sha3_384,
    /// SHA3-512.
    Sha3_512,
}

impl HashAlg {
    /// Every algorithm, in registry order. The index of an algorithm here is part of the
    /// saved operation state's encoding.
    pub const ALL: [HashAlg; 11] = [
        Self::Sha1,
        Self::Sha224,
        Self::Sha256,
        Self::Sha384,
        Self::Sha512,
        Self::Sha512_224,
        Self::Sha512_256,
        Self::Sha3_224,
        Self::Sha3_256,
        Self::Sha3_384,
        Self::Sha3_512,
    ];

    /// The aws-lc-rs algorithm, or `None` for the two hashes aws-lc-rs lacks (SHA-512/224
    /// and SHA3-224), which only this module's own [`Hasher`] and [`HmacKey`] compute.
    pub fn aws(self) -> Option<&'static d::Algorithm> {
        match self {
            Self::Sha1 => Some(&d::SHA1_FOR_LEGACY_USE_ONLY),
            Self::Sha224 => Some(&d::SHA224),
            Self::Sha256 => Some(&d::SHA256),
            Self::Sha384 => Some(&d::SHA384),
            Self::Sha512 => Some(&d::SHA512),
            Self::Sha512_256 => Some(&d::SHA512_256),
            Self::Sha3_256 => Some(&d::SHA3_256),
            Self::Sha3_384 => Some(&d::SHA3_384),
            Self::Sha3_512 => Some(&d::SHA3_512),
            Self::Sha512_224 | Self::Sha3_224 => None,
        }
    }

    /// Output length in bytes.
    pub fn output_len(self) -> usize {
        match self {
            Self::Sha1 => 20,
            Self::Sha224 | Self::Sha512_224 | Self::Sha3_224 => 28,
            Self::Sha256 | Self::Sha512_256 | Self::Sha3_256 => 32,
            Self::Sha384 | Self::Sha3_384 => 48,
            Self::Sha512 | Self::Sha3_512 => 64,
        }
    }

    /// Input block length in bytes (HMAC's pad length): the SHA-2 block size, or the SHA-3
    /// rate (200 bytes minus twice the output length).
    pub fn block_len(self) -> usize {
        match self {
            Self::Sha1 | Self::Sha224 | Self::Sha256 => 64,
            Self::Sha384 | Self::Sha512 | Self::Sha512_224 | Self::Sha512_256 => 128,
            Self::Sha3_224 | Self::Sha3_256 | Self::Sha3_384 | Self::Sha3_512 => {
                200 - 2 * self.output_len()
            }
        }
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
            Self::Sha512_224 => &NIST_PREFIX[5],
            Self::Sha512_256 => &NIST_PREFIX[6],
            Self::Sha3_224 => &NIST_PREFIX[7],
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
        let mut h = Context::new(self);
        h.update(data);
        h.finish().as_ref().to_vec()
    }
}

/// The longest output of any [`HashAlg`].
const MAX_OUTPUT_LEN: usize = 64;

/// A hash state on whichever backend computes its algorithm. The RustCrypto states are
/// boxed (224 and 360 bytes against aws-lc-rs's 72), so that a key holding HMAC states for
/// every algorithm does not grow fivefold for the two hashes rarely used.
#[derive(Clone)]
enum Context {
    Aws(d::Context),
    Sha512_224(Box<sha2::Sha512_224>),
    Sha3_224(Box<sha3::Sha3_224>),
}

impl Context {
    fn new(alg: HashAlg) -> Self {
        match alg.aws() {
            Some(a) => Self::Aws(d::Context::new(a)),
            // aws() is None for exactly these two.
            None if alg == HashAlg::Sha3_224 => Self::Sha3_224(Box::default()),
            None => Self::Sha512_224(Box::default()),
        }
    }

    fn update(&mut self, data: &[u8]) {
        match self {
            Self::Aws(c) => c.update(data),
            Self::Sha512_224(c) => c.update(data),
            Self::Sha3_224(c) => c.update(data),
        }
    }

    fn finish(self) -> Output {
        let mut out = Output { bytes: [0; MAX_OUTPUT_LEN], len: 0 };
        let mut put = |b: &[u8]| {
            out.bytes[..b.len()].copy_from_slice(b);
            out.len = b.len();
        };
        match self {
            Self::Aws(c) => put(c.finish().as_ref()),
            Self::Sha512_224(c) => put(&(*c).finalize()),
            Self::Sha3_224(c) => put(&(*c).finalize()),
        }
        out
    }
}

/// A finished digest, held on the stack.
struct Output {
    bytes: [u8; MAX_OUTPUT_LEN],
    len: usize,
}

impl AsRef<[u8]> for Output {
    fn as_ref(&self) -> &[u8] {
        &self.bytes[..self.len]
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
    ctx: Context,
}

impl Hasher {
    /// Start hashing.
    pub fn new(alg: HashAlg) -> Self {
        Self { alg, ctx: Context::new(alg) }
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

    /// The digest as aws-lc-rs's type (for signing a digest); `InvalidParameter` for the
    /// hashes aws-lc-rs does not have.
    pub fn finish_raw(self) -> Result<d::Digest, CryptoError> {
        match self.ctx {
            Context::Aws(c) => Ok(c.finish()),
            _ => Err(CryptoError::InvalidParameter),
        }
    }
}

/// An HMAC key: the inner and outer hash states after absorbing the padded key, computed once
/// so each MAC costs only the data's hashing.
#[derive(Clone)]
pub struct HmacKey {
    inner: Context,
    outer: Context,
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
        let mut inner = Context::new(alg);
        pad.iter_mut().zip(k.iter()).for_each(|(p, k)| *p = k ^ 0x36);
        inner.update(&pad);
        let mut outer = Context::new(alg);
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
    inner: Context,
    outer: Context,
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

    fn unhex(s: &str) -> Vec<u8> {
        (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
    }

    /// One case of a `tests/vectors` file: its section, line and fields.
    type Case = (String, usize, Vec<(String, String)>);

    /// The cases of a `tests/vectors` file.
    fn vector_cases(text: &str) -> Vec<Case> {
        let mut out = Vec::new();
        let mut section = String::new();
        let mut cur: Option<Case> = None;
        for (n, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() {
                out.extend(cur.take());
            } else if let Some(s) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
                section = s.to_owned();
            } else if let Some((k, v)) = line.split_once('=').filter(|_| !line.starts_with('#')) {
                cur.get_or_insert_with(|| (section.clone(), n + 1, Vec::new()))
                    .2
                    .push((k.trim().to_owned(), v.trim().to_owned()));
            }
        }
        out.extend(cur);
        out
    }

    fn field<'a>(fields: &'a [(String, String)], k: &str) -> &'a str {
        fields.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str()).unwrap()
    }

    fn by_name(name: &str) -> HashAlg {
        match name {
            "SHA-512/224" => HashAlg::Sha512_224,
            "SHA-512/256" => HashAlg::Sha512_256,
            "SHA3-224" => HashAlg::Sha3_224,
            "SHA3-256" => HashAlg::Sha3_256,
            "SHA3-384" => HashAlg::Sha3_384,
            "SHA3-512" => HashAlg::Sha3_512,
            other => panic!("section [{other}]"),
        }
    }

    #[test]
    fn cavp_sha512_224_and_sha3_224() {
        // tests/vectors/digests_extra.rsp: CAVP ShortMsg (Len = 0 included) and LongMsg cases.
        let cases = vector_cases(include_str!("../../../tests/vectors/digests_extra.rsp"));
        for alg in [HashAlg::Sha512_224, HashAlg::Sha3_224] {
            let mut n = 0;
            for (section, line, f) in &cases {
                if by_name(section) != alg {
                    continue;
                }
                let len: usize = field(f, "Len").parse().unwrap();
                let msg = &unhex(field(f, "Msg"))[..len / 8];
                let want = unhex(field(f, "MD"));
                assert_eq!(alg.digest(msg), want, "line {line}: one-shot");
                let mut h = Hasher::new(alg);
                for part in msg.chunks(37) {
                    h.update(part);
                }
                assert_eq!(h.finish(), want, "line {line}: streamed");
                n += 1;
            }
            assert!(n >= 8, "{alg:?}: {n} cases");
        }
        assert!(cases.iter().any(|(s, _, f)| s == "SHA3-224" && field(f, "Len") == "0"));
        assert!(cases.iter().any(|(s, _, f)| s == "SHA-512/224" && field(f, "Len") == "0"));
    }

    #[test]
    fn hmac_over_the_newer_hashes() {
        // tests/vectors/hmac_extra.txt: Wycheproof's published cases for HMAC-SHA-512/224 and
        // HMAC-SHA3-224 ("W" counts), and values computed with Python's hmac for RFC 4231's
        // inputs. A cloned key state must give the same MAC in several updates.
        let cases = vector_cases(include_str!("../../../tests/vectors/hmac_extra.txt"));
        let mut published = 0;
        for (section, line, f) in &cases {
            let alg = by_name(section);
            let key = HmacKey::new(alg, &unhex(field(f, "Key")));
            let msg = unhex(field(f, "Msg"));
            let want = unhex(field(f, "Mac"));
            let mac = key.mac(&msg);
            assert_eq!(mac.len(), alg.output_len(), "line {line}");
            assert_eq!(mac[..want.len()], want[..], "line {line}");
            let mut m = key.clone().start();
            for part in msg.chunks(7) {
                m.update(part);
            }
            assert_eq!(m.finish(), mac, "line {line}: streamed");
            published += usize::from(field(f, "Count").starts_with('W'));
        }
        assert_eq!(cases.len(), 54);
        assert_eq!(published, 6);
    }

    #[test]
    fn lengths_match_the_backend() {
        assert_eq!(HashAlg::ALL.len(), 11);
        for h in HashAlg::ALL {
            match h.aws() {
                Some(a) => {
                    assert_eq!(h.output_len(), a.output_len(), "{h:?}");
                    assert_eq!(h.block_len(), a.block_len(), "{h:?}");
                }
                None => assert!(matches!(h, HashAlg::Sha512_224 | HashAlg::Sha3_224)),
            }
            assert_eq!(h.digest(b"").len(), h.output_len(), "{h:?}");
        }
        assert_eq!(HashAlg::Sha512_224.block_len(), 128);
        assert_eq!(HashAlg::Sha3_224.block_len(), 144);
        assert!(Hasher::new(HashAlg::Sha3_224).finish_raw().is_err());
        assert!(Hasher::new(HashAlg::Sha256).finish_raw().is_ok());
    }

    #[test]
    fn digest_info_of_the_new_hashes() {
        // id-sha512-224 is 2.16.840.1.101.3.4.2.5, id-sha3-224 2.16.840.1.101.3.4.2.7.
        assert_eq!(
            hex(HashAlg::Sha512_224.digest_info_prefix()),
            "302d300d06096086480165030402050500041c"
        );
        assert_eq!(
            hex(HashAlg::Sha3_224.digest_info_prefix()),
            "302d300d06096086480165030402070500041c"
        );
        // Same length as SHA-224's, different OID: parsing must tell them apart.
        for h in [HashAlg::Sha224, HashAlg::Sha512_224, HashAlg::Sha3_224] {
            let info = h.digest_info(&[0x5a; 28]);
            assert_eq!(HashAlg::parse_digest_info(&info), Some((h, &[0x5a; 28][..])));
        }
    }

    #[test]
    fn pbkdf2_over_the_new_hashes() {
        // Expected values computed with Python's hashlib.pbkdf2_hmac (no published vector):
        // "password" / "salt", 2 iterations, 40 bytes (two blocks, the second partial).
        let mut out = [0u8; 40];
        pbkdf2(HashAlg::Sha3_224, b"password", b"salt", 2, &mut out).unwrap();
        assert_eq!(
            hex(&out),
            "7979d7e05025f5b056e995939694ad55c644f43f1f748895c4ca881177e246578ec1abe6b65f15ec"
        );
        pbkdf2(HashAlg::Sha512_224, b"password", b"salt", 2, &mut out).unwrap();
        assert_eq!(
            hex(&out),
            "b8878ac5e4509c165c1b508961fa3c3afcef3f37b7b081874e718d8daea670147a7b33584f131f9f"
        );
    }

    #[test]
    fn hmac_long_key_is_hashed() {
        // RFC 4231 test case 6 (131-byte key), SHA-512.
        let k = HmacKey::new(HashAlg::Sha512, &[0xaa; 131]);
        let m = k.mac(b"Test Using Larger Than Block-Size Key - Hash Key First");
        assert_eq!(&hex(&m)[..32], "80b24263c7c1a3ebb71493c1dd7be8b4");
    }
}
