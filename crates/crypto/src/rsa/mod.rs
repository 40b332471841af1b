//! RSA keys and their operations.
//!
//! The backend (aws-lc-rs) does the work wherever its interface covers the request: PKCS#1
//! v1.5 and PSS signatures with SHA-256/384/512 (salt = hash length), verification of those,
//! PKCS#1 v1.5 and OAEP (equal hash and MGF1 hash) decryption. Everything else — RSA_X_509,
//! PKCS#1 v1.5 over arbitrary data, other PSS/OAEP parameters, encryption with our own
//! padding randomness — goes through [`raw`] and [`pad`].

pub mod keygen;
pub mod pad;
pub mod raw;

use std::sync::OnceLock;

use aws_lc_rs::rsa::{
    KeyPair, KeyPairComponents, OaepPrivateDecryptingKey, Pkcs1PrivateDecryptingKey,
    PrivateDecryptingKey, PublicKeyComponents,
};
use aws_lc_rs::signature::{self as sig, ParsedPublicKey, RsaEncoding};
use zeroize::Zeroizing;

use crate::CryptoError;
use crate::der;
use crate::digest::HashAlg;

/// Smallest modulus accepted for private-key operations and generation.
pub const MIN_BITS: usize = 2048;
/// Smallest modulus accepted for public-key operations (legacy verification).
pub const MIN_PUBLIC_BITS: usize = 1024;
/// Largest modulus.
pub const MAX_BITS: usize = 8192;

/// Big-endian components of a private key.
#[derive(Clone)]
pub struct Components {
    /// Modulus.
    pub n: Vec<u8>,
    /// Public exponent.
    pub e: Vec<u8>,
    /// Private exponent.
    pub d: Zeroizing<Vec<u8>>,
    /// First prime.
    pub p: Zeroizing<Vec<u8>>,
    /// Second prime.
    pub q: Zeroizing<Vec<u8>>,
    /// d mod (p-1).
    pub dp: Zeroizing<Vec<u8>>,
    /// d mod (q-1).
    pub dq: Zeroizing<Vec<u8>>,
    /// q^-1 mod p.
    pub qinv: Zeroizing<Vec<u8>>,
}

impl Components {
    /// PKCS#8 PrivateKeyInfo (RFC 8017 RSAPrivateKey inside), for wrapping.
    pub fn to_pkcs8(&self) -> Zeroizing<Vec<u8>> {
        let parts: Vec<Vec<u8>> = [
            &[0u8][..],
            &self.n,
            &self.e,
            &self.d,
            &self.p,
            &self.q,
            &self.dp,
            &self.dq,
            &self.qinv,
        ]
        .iter()
        .map(|c| der::uint(c))
        .collect();
        let refs: Vec<&[u8]> = parts.iter().map(Vec::as_slice).collect();
        let key = Zeroizing::new(der::seq(&refs));
        Zeroizing::new(der::pkcs8(der::oid::RSA, &der::tlv(der::tag::NULL, &[]), &key))
    }

    /// From the privateKey content of a PKCS#8 with the rsaEncryption algorithm.
    pub fn from_rsa_private_key(key: &[u8]) -> Result<Self, CryptoError> {
        let body = der::only(key, der::tag::SEQUENCE).ok_or(CryptoError::InvalidEncoding)?;
        let v = der::uints(body, 9)?;
        if !v[0].is_empty() {
            return Err(CryptoError::InvalidKey); // multi-prime keys are not supported
        }
        let z = |b: &[u8]| Zeroizing::new(b.to_vec());
        Ok(Self {
            n: v[1].to_vec(),
            e: v[2].to_vec(),
            d: z(v[3]),
            p: z(v[4]),
            q: z(v[5]),
            dp: z(v[6]),
            dq: z(v[7]),
            qinv: z(v[8]),
        })
    }
}

/// Modulus size in bits of big-endian `n`.
pub fn modulus_bits(n: &[u8]) -> usize {
    let n = der::strip_zeros(n);
    n.first().map_or(0, |b| n.len() * 8 - b.leading_zeros() as usize)
}

/// Which padding the aws-lc-rs verifier cache slot stands for.
const VERIFIERS: usize = 6;

fn backend_hash_index(h: HashAlg) -> Option<usize> {
    match h {
        HashAlg::Sha256 => Some(0),
        HashAlg::Sha384 => Some(1),
        HashAlg::Sha512 => Some(2),
        _ => None,
    }
}

/// An RSA public key.
pub struct PublicKey {
    n: Vec<u8>,
    e: Vec<u8>,
    bits: usize,
    raw: raw::RawPublic,
    verifiers: [OnceLock<Option<ParsedPublicKey>>; VERIFIERS],
}

impl PublicKey {
    /// From big-endian modulus and exponent.
    pub fn new(n: &[u8], e: &[u8]) -> Result<Self, CryptoError> {
        let n = der::strip_zeros(n).to_vec();
        let e = der::strip_zeros(e).to_vec();
        let bits = modulus_bits(&n);
        if !(MIN_PUBLIC_BITS..=MAX_BITS).contains(&bits) || e.is_empty() || e[e.len() - 1] & 1 == 0
        {
            return Err(CryptoError::InvalidKey);
        }
        let raw = raw::RawPublic::new(&n, &e)?;
        Ok(Self { n, e, bits, raw, verifiers: Default::default() })
    }

    /// Modulus, big-endian without leading zeros.
    pub fn n(&self) -> &[u8] {
        &self.n
    }

    /// Public exponent.
    pub fn e(&self) -> &[u8] {
        &self.e
    }

    /// Modulus bits.
    pub fn bits(&self) -> usize {
        self.bits
    }

    /// Modulus bytes (signature and ciphertext length).
    pub fn k(&self) -> usize {
        self.raw.k()
    }

    /// SubjectPublicKeyInfo DER.
    pub fn spki(&self) -> Vec<u8> {
        der::rsa_spki(&self.n, &self.e)
    }

    fn verifier(&self, pss: bool, h: HashAlg) -> Option<&ParsedPublicKey> {
        let i = backend_hash_index(h)? + if pss { 3 } else { 0 };
        if self.bits < MIN_BITS {
            return None;
        }
        self.verifiers[i]
            .get_or_init(|| {
                let params: &'static sig::RsaParameters = match (pss, h) {
                    (false, HashAlg::Sha256) => &sig::RSA_PKCS1_2048_8192_SHA256,
                    (false, HashAlg::Sha384) => &sig::RSA_PKCS1_2048_8192_SHA384,
                    (false, _) => &sig::RSA_PKCS1_2048_8192_SHA512,
                    (true, HashAlg::Sha256) => &sig::RSA_PSS_2048_8192_SHA256,
                    (true, HashAlg::Sha384) => &sig::RSA_PSS_2048_8192_SHA384,
                    (true, _) => &sig::RSA_PSS_2048_8192_SHA512,
                };
                PublicKeyComponents { n: &self.n[..], e: &self.e[..] }
                    .to_parsed_public_key(params)
                    .ok()
            })
            .as_ref()
    }

    fn open_signature(&self, signature: &[u8]) -> Result<Vec<u8>, CryptoError> {
        if signature.len() != self.k() {
            return Err(CryptoError::InvalidLength);
        }
        self.raw.apply(signature).map_err(|_| CryptoError::BadSignature)
    }

    /// Verify a PKCS#1 v1.5 signature over the encoded `t` (a DigestInfo, or any data for
    /// CKM_RSA_PKCS).
    pub fn verify_pkcs1(&self, t: &[u8], signature: &[u8]) -> Result<(), CryptoError> {
        if signature.len() != self.k() {
            return Err(CryptoError::InvalidLength);
        }
        if let Some((h, dg)) = HashAlg::parse_digest_info(t) {
            if let Some(v) = self.verifier(false, h) {
                let alg = h.aws().ok_or(CryptoError::InvalidParameter)?;
                let d = aws_lc_rs::digest::Digest::import_less_safe(dg, alg)?;
                return v.verify_digest_sig(&d, signature).map_err(|_| CryptoError::BadSignature);
            }
        }
        let em = self.open_signature(signature)?;
        let want = pad::pkcs1_sign_block(self.k(), t).map_err(|_| CryptoError::BadSignature)?;
        crate::digest::verify_mac(&want, &em)
    }

    /// Recover the data of a PKCS#1 v1.5 signature (C_VerifyRecover).
    pub fn recover_pkcs1(&self, signature: &[u8]) -> Result<Vec<u8>, CryptoError> {
        let em = self.open_signature(signature)?;
        Ok(pad::pkcs1_sign_unblock(&em)?.to_vec())
    }

    /// `signature^e mod n` (RSA_X_509 verification and recovery).
    pub fn recover_raw(&self, signature: &[u8]) -> Result<Vec<u8>, CryptoError> {
        self.open_signature(signature)
    }

    /// Verify a PSS signature over the digest `m_hash`.
    pub fn verify_pss(
        &self,
        m_hash: &[u8],
        hash: HashAlg,
        mgf: HashAlg,
        salt_len: usize,
        signature: &[u8],
    ) -> Result<(), CryptoError> {
        if signature.len() != self.k() {
            return Err(CryptoError::InvalidLength);
        }
        if mgf == hash && salt_len == hash.output_len() {
            if let Some(v) = self.verifier(true, hash) {
                let alg = hash.aws().ok_or(CryptoError::InvalidParameter)?;
                let d = aws_lc_rs::digest::Digest::import_less_safe(m_hash, alg)?;
                return v.verify_digest_sig(&d, signature).map_err(|_| CryptoError::BadSignature);
            }
        }
        let em = self.open_signature(signature)?;
        pad::pss_verify(m_hash, &em, self.bits, hash, mgf, salt_len)
    }

    /// PKCS#1 v1.5 encryption.
    pub fn encrypt_pkcs1(&self, m: &[u8]) -> Result<Vec<u8>, CryptoError> {
        self.raw.apply(&pad::pkcs1_encrypt_block(self.k(), m)?)
    }

    /// OAEP encryption.
    pub fn encrypt_oaep(
        &self,
        m: &[u8],
        hash: HashAlg,
        mgf: HashAlg,
        label: &[u8],
    ) -> Result<Vec<u8>, CryptoError> {
        self.raw.apply(&pad::oaep_encode(self.k(), m, label, hash, mgf)?)
    }

    /// Raw encryption (RSA_X_509): the input, left-padded with zeros, must be below n.
    pub fn encrypt_raw(&self, m: &[u8]) -> Result<Vec<u8>, CryptoError> {
        self.raw.apply(m)
    }
}

/// An RSA private key with everything prepared for use.
pub struct PrivateKey {
    components: Components,
    pair: KeyPair,
    pkcs1: Pkcs1PrivateDecryptingKey,
    oaep: OaepPrivateDecryptingKey,
    raw: raw::RawPrivate,
    public: PublicKey,
}

impl PrivateKey {
    /// From CRT components; checks the key is consistent and of a supported size.
    pub fn new(c: Components) -> Result<Self, CryptoError> {
        let public = PublicKey::new(&c.n, &c.e)?;
        if public.bits() < MIN_BITS {
            return Err(CryptoError::InvalidKey);
        }
        let strip = |b: &[u8]| der::strip_zeros(b).to_vec();
        let pair = KeyPair::from_components(&KeyPairComponents {
            public_key: PublicKeyComponents { n: strip(&c.n), e: strip(&c.e) },
            d: Zeroizing::new(strip(&c.d)),
            p: Zeroizing::new(strip(&c.p)),
            q: Zeroizing::new(strip(&c.q)),
            dP: Zeroizing::new(strip(&c.dp)),
            dQ: Zeroizing::new(strip(&c.dq)),
            qInv: Zeroizing::new(strip(&c.qinv)),
        })?;
        let decrypting = PrivateDecryptingKey::from_pkcs8(&c.to_pkcs8())?;
        let raw = raw::RawPrivate::new(
            raw::RawPublic::new(&c.n, &c.e)?,
            &c.p,
            &c.q,
            &c.dp,
            &c.dq,
            &c.qinv,
        )?;
        let pkcs1 = Pkcs1PrivateDecryptingKey::new(decrypting.clone())?;
        let oaep = OaepPrivateDecryptingKey::new(decrypting)?;
        Ok(Self { components: c, pair, pkcs1, oaep, raw, public })
    }

    /// The public half.
    pub fn public(&self) -> &PublicKey {
        &self.public
    }

    /// The components (for wrapping as PKCS#8).
    pub fn components(&self) -> &Components {
        &self.components
    }

    /// PKCS#1 v1.5 signature over `t` (a DigestInfo, or any data up to k-11 bytes).
    pub fn sign_pkcs1(&self, t: &[u8]) -> Result<Vec<u8>, CryptoError> {
        if let Some((h, dg)) = HashAlg::parse_digest_info(t) {
            let enc: Option<&'static dyn RsaEncoding> = match h {
                HashAlg::Sha256 => Some(&sig::RSA_PKCS1_SHA256),
                HashAlg::Sha384 => Some(&sig::RSA_PKCS1_SHA384),
                HashAlg::Sha512 => Some(&sig::RSA_PKCS1_SHA512),
                _ => None,
            };
            if let Some(enc) = enc {
                let alg = h.aws().ok_or(CryptoError::InvalidParameter)?;
                let d = aws_lc_rs::digest::Digest::import_less_safe(dg, alg)?;
                let mut out = vec![0u8; self.public.k()];
                self.pair.sign_digest(enc, &d, &mut out)?;
                return Ok(out);
            }
        }
        self.raw.apply(&pad::pkcs1_sign_block(self.public.k(), t)?)
    }

    /// PSS signature over the digest `m_hash`.
    pub fn sign_pss(
        &self,
        m_hash: &[u8],
        hash: HashAlg,
        mgf: HashAlg,
        salt_len: usize,
    ) -> Result<Vec<u8>, CryptoError> {
        if m_hash.len() != hash.output_len() {
            return Err(CryptoError::InvalidLength);
        }
        if mgf == hash && salt_len == hash.output_len() {
            let enc: Option<&'static dyn RsaEncoding> = match hash {
                HashAlg::Sha256 => Some(&sig::RSA_PSS_SHA256),
                HashAlg::Sha384 => Some(&sig::RSA_PSS_SHA384),
                HashAlg::Sha512 => Some(&sig::RSA_PSS_SHA512),
                _ => None,
            };
            if let Some(enc) = enc {
                let alg = hash.aws().ok_or(CryptoError::InvalidParameter)?;
                let d = aws_lc_rs::digest::Digest::import_less_safe(m_hash, alg)?;
                let mut out = vec![0u8; self.public.k()];
                self.pair.sign_digest(enc, &d, &mut out)?;
                return Ok(out);
            }
        }
        let em = pad::pss_encode(m_hash, self.public.bits(), hash, mgf, salt_len)?;
        self.raw.apply(&em)
    }

    /// The raw private operation (RSA_X_509 signing and decryption).
    pub fn apply_raw(&self, data: &[u8]) -> Result<Vec<u8>, CryptoError> {
        self.raw.apply(data)
    }

    /// PKCS#1 v1.5 decryption.
    pub fn decrypt_pkcs1(&self, c: &[u8]) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
        if c.len() != self.public.k() {
            return Err(CryptoError::InvalidLength);
        }
        let key = &self.pkcs1;
        let mut out = Zeroizing::new(vec![0u8; self.public.k()]);
        let n = key.decrypt(c, &mut out).map_err(|_| CryptoError::InvalidEncoding)?.len();
        out.truncate(n);
        Ok(out)
    }

    /// OAEP decryption.
    pub fn decrypt_oaep(
        &self,
        c: &[u8],
        hash: HashAlg,
        mgf: HashAlg,
        label: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
        if c.len() != self.public.k() {
            return Err(CryptoError::InvalidLength);
        }
        use aws_lc_rs::rsa::{
            OAEP_SHA1_MGF1SHA1, OAEP_SHA256_MGF1SHA256, OAEP_SHA384_MGF1SHA384,
            OAEP_SHA512_MGF1SHA512,
        };
        let alg = match (hash, mgf) {
            (HashAlg::Sha1, HashAlg::Sha1) => Some(&OAEP_SHA1_MGF1SHA1),
            (HashAlg::Sha256, HashAlg::Sha256) => Some(&OAEP_SHA256_MGF1SHA256),
            (HashAlg::Sha384, HashAlg::Sha384) => Some(&OAEP_SHA384_MGF1SHA384),
            (HashAlg::Sha512, HashAlg::Sha512) => Some(&OAEP_SHA512_MGF1SHA512),
            _ => None,
        };
        if let Some(alg) = alg {
            let key = &self.oaep;
            let mut out = Zeroizing::new(vec![0u8; self.public.k()]);
            let label = (!label.is_empty()).then_some(label);
            let n = key
                .decrypt(alg, c, &mut out, label)
                .map_err(|_| CryptoError::InvalidEncoding)?
                .len();
            out.truncate(n);
            return Ok(out);
        }
        let em = Zeroizing::new(self.raw.apply(c)?);
        Ok(Zeroizing::new(pad::oaep_decode(&em, label, hash, mgf)?))
    }
}
