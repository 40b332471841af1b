//! ECDSA and ECDH on the NIST curves P-256, P-384 and P-521.
//!
//! Keys come from the module's DRBG (RustCrypto's `SecretKey::random` over
//! [`crate::rng::ModuleRng`]) and are loaded into aws-lc-rs for use. Signatures are raw
//! r‖s of fixed length, as PKCS#11 has them. CKM_ECDSA takes any digest length: it is
//! truncated or left-padded to the curve's size as SEC 1 4.1.3 step 5 prescribes.

use aws_lc_rs::agreement;
use aws_lc_rs::digest::Digest;
use aws_lc_rs::signature::{self as sig, EcdsaKeyPair, KeyPair, ParsedPublicKey};
use zeroize::Zeroizing;

use crate::CryptoError;
use crate::der;
use crate::digest::HashAlg;

/// A NIST curve.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Curve {
    /// secp256r1.
    P256,
    /// secp384r1.
    P384,
    /// secp521r1.
    P521,
}

impl Curve {
    /// Recognise CKA_EC_PARAMS: a namedCurve OID, or a PrintableString curve name.
    pub fn from_params(params: &[u8]) -> Option<Self> {
        match params {
            p if p == der::oid::P256 => Some(Self::P256),
            p if p == der::oid::P384 => Some(Self::P384),
            p if p == der::oid::P521 => Some(Self::P521),
            _ => match der::only(params, der::tag::PRINTABLE)? {
                b"prime256v1" | b"secp256r1" | b"P-256" => Some(Self::P256),
                b"secp384r1" | b"P-384" => Some(Self::P384),
                b"secp521r1" | b"P-521" => Some(Self::P521),
                _ => None,
            },
        }
    }

    /// The namedCurve OID (encoded).
    pub fn oid(self) -> &'static [u8] {
        match self {
            Self::P256 => der::oid::P256,
            Self::P384 => der::oid::P384,
            Self::P521 => der::oid::P521,
        }
    }

    /// Field (and scalar) length in bytes.
    pub fn field_len(self) -> usize {
        match self {
            Self::P256 => 32,
            Self::P384 => 48,
            Self::P521 => 66,
        }
    }

    /// Order size in bits.
    pub fn bits(self) -> usize {
        match self {
            Self::P256 => 256,
            Self::P384 => 384,
            Self::P521 => 521,
        }
    }

    /// The hash the backend's key pair is bound to (digests are passed in as this type).
    fn hash(self) -> HashAlg {
        match self {
            Self::P256 => HashAlg::Sha256,
            Self::P384 => HashAlg::Sha384,
            Self::P521 => HashAlg::Sha512,
        }
    }

    fn signing(self) -> &'static sig::EcdsaSigningAlgorithm {
        match self {
            Self::P256 => &sig::ECDSA_P256_SHA256_FIXED_SIGNING,
            Self::P384 => &sig::ECDSA_P384_SHA384_FIXED_SIGNING,
            Self::P521 => &sig::ECDSA_P521_SHA512_FIXED_SIGNING,
        }
    }

    fn verifying(self) -> &'static sig::EcdsaVerificationAlgorithm {
        match self {
            Self::P256 => &sig::ECDSA_P256_SHA256_FIXED,
            Self::P384 => &sig::ECDSA_P384_SHA384_FIXED,
            Self::P521 => &sig::ECDSA_P521_SHA512_FIXED,
        }
    }

    fn agreement(self) -> &'static agreement::Algorithm {
        match self {
            Self::P256 => &agreement::ECDH_P256,
            Self::P384 => &agreement::ECDH_P384,
            Self::P521 => &agreement::ECDH_P521,
        }
    }

    /// The digest as the backend's digest type: truncated to the order's bits or
    /// left-padded with zeros.
    fn digest(self, data: &[u8]) -> Result<Digest, CryptoError> {
        let h = self.hash();
        let n = h.output_len();
        let mut buf = [0u8; 64];
        if data.len() >= n {
            if self == Self::P521 && data.len() > n {
                // The leftmost 521 bits of a longer input do not fit the backend's digest.
                return Err(CryptoError::InvalidLength);
            }
            buf[..n].copy_from_slice(&data[..n]);
        } else {
            buf[n - data.len()..n].copy_from_slice(data);
        }
        Ok(Digest::import_less_safe(&buf[..n], h.aws().ok_or(CryptoError::InvalidParameter)?)?)
    }

    /// Signature length (r‖s).
    pub fn signature_len(self) -> usize {
        2 * self.field_len()
    }
}

/// Accept a point as raw `04‖X‖Y` or DER OCTET STRING around it; returns the raw point.
pub fn unwrap_point(curve_len: usize, input: &[u8]) -> Option<&[u8]> {
    let raw_len = 1 + 2 * curve_len;
    if input.len() == raw_len && input[0] == 4 {
        return Some(input);
    }
    der::only(input, der::tag::OCTET_STRING).filter(|p| p.len() == raw_len && p[0] == 4)
}

/// An EC public key.
pub struct PublicKey {
    curve: Curve,
    point: Vec<u8>,
    verifier: ParsedPublicKey,
}

impl PublicKey {
    /// From an uncompressed point (raw or DER OCTET STRING); checks it is on the curve.
    pub fn new(curve: Curve, point: &[u8]) -> Result<Self, CryptoError> {
        let point = unwrap_point(curve.field_len(), point).ok_or(CryptoError::InvalidKey)?.to_vec();
        let verifier = sig::UnparsedPublicKey::new(curve.verifying(), &point).parse()?;
        Ok(Self { curve, point, verifier })
    }

    /// The curve.
    pub fn curve(&self) -> Curve {
        self.curve
    }

    /// The raw uncompressed point.
    pub fn point(&self) -> &[u8] {
        &self.point
    }

    /// CKA_EC_POINT: DER OCTET STRING around the point.
    pub fn ec_point(&self) -> Vec<u8> {
        der::octet_string(&self.point)
    }

    /// SubjectPublicKeyInfo DER.
    pub fn spki(&self) -> Vec<u8> {
        der::ec_spki(self.curve.oid(), &self.point)
    }

    /// Verify r‖s over a digest (any length; see the module notes).
    pub fn verify_digest(&self, digest: &[u8], signature: &[u8]) -> Result<(), CryptoError> {
        if signature.len() != self.curve.signature_len() {
            return Err(CryptoError::InvalidLength);
        }
        let d = self.curve.digest(digest)?;
        self.verifier.verify_digest_sig(&d, signature).map_err(|_| CryptoError::BadSignature)
    }
}

/// An EC private key, ready to sign and agree.
pub struct PrivateKey {
    pair: EcdsaKeyPair,
    agree: agreement::PrivateKey,
    scalar: Zeroizing<Vec<u8>>,
    public: PublicKey,
}

impl PrivateKey {
    /// From the big-endian private scalar.
    pub fn new(curve: Curve, scalar: &[u8]) -> Result<Self, CryptoError> {
        let s = der::strip_zeros(scalar);
        if s.is_empty() || s.len() > curve.field_len() {
            return Err(CryptoError::InvalidKey);
        }
        let mut padded = Zeroizing::new(vec![0u8; curve.field_len()]);
        padded[curve.field_len() - s.len()..].copy_from_slice(s);
        let agree = agreement::PrivateKey::from_private_key(curve.agreement(), &padded)?;
        let point = agree.compute_public_key()?.as_ref().to_vec();
        let pair = EcdsaKeyPair::from_private_key_and_public_key(curve.signing(), &padded, &point)?;
        let public = PublicKey::new(curve, &point)?;
        Ok(Self { pair, agree, scalar: padded, public })
    }

    /// Generate a key from the module's DRBG and check it (pairwise consistency).
    pub fn generate(curve: Curve) -> Result<Self, CryptoError> {
        let mut rng = crate::rng::ModuleRng;
        let scalar = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| match curve {
            Curve::P256 => Zeroizing::new(p256::SecretKey::random(&mut rng).to_bytes().to_vec()),
            Curve::P384 => Zeroizing::new(p384::SecretKey::random(&mut rng).to_bytes().to_vec()),
            Curve::P521 => Zeroizing::new(p521::SecretKey::random(&mut rng).to_bytes().to_vec()),
        }))
        .map_err(|_| CryptoError::RandomFailure)?;
        let key = Self::new(curve, &scalar)?;
        let d = [0x5a; 32];
        let s = key.sign_digest(&d)?;
        key.public.verify_digest(&d, &s).map_err(|_| {
            log::error!("ec: generated key failed its pairwise-consistency test");
            CryptoError::InvalidKey
        })?;
        Ok(key)
    }

    /// The public half.
    pub fn public(&self) -> &PublicKey {
        &self.public
    }

    /// The scalar, padded to the field length.
    pub fn scalar(&self) -> &[u8] {
        &self.scalar
    }

    /// Sign a digest: r‖s.
    pub fn sign_digest(&self, digest: &[u8]) -> Result<Vec<u8>, CryptoError> {
        let d = self.public.curve.digest(digest)?;
        Ok(self.pair.sign_digest(&d)?.as_ref().to_vec())
    }

    /// ECDH: the x-coordinate of the shared point with `peer` (raw or DER point).
    pub fn agree(&self, peer: &[u8]) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
        let curve = self.public.curve;
        let peer = unwrap_point(curve.field_len(), peer).ok_or(CryptoError::InvalidParameter)?;
        let peer = agreement::UnparsedPublicKey::new(curve.agreement(), peer);
        agreement::agree(&self.agree, peer, CryptoError::InvalidParameter, |s| {
            Ok(Zeroizing::new(s.to_vec()))
        })
    }

    /// PKCS#8 (RFC 5915 ECPrivateKey inside), for wrapping.
    pub fn to_pkcs8(&self) -> Zeroizing<Vec<u8>> {
        let pub_field = der::tlv(0xa1, &der::bit_string(&self.public.point));
        let ec = Zeroizing::new(der::seq(&[
            &[der::tag::INTEGER, 1, 1],
            &der::octet_string(&self.scalar),
            &pub_field,
        ]));
        Zeroizing::new(der::pkcs8(der::oid::EC_PUBLIC_KEY, self.public.curve.oid(), &ec))
    }

    /// The scalar inside an ECPrivateKey (the privateKey of a PKCS#8).
    pub fn scalar_from_ec_private_key(key: &[u8]) -> Result<&[u8], CryptoError> {
        let bad = CryptoError::InvalidEncoding;
        let body = der::only(key, der::tag::SEQUENCE).ok_or(bad)?;
        let (v, rest) = der::expect(body, der::tag::INTEGER).ok_or(bad)?;
        if v != [1] {
            return Err(bad);
        }
        Ok(der::expect(rest, der::tag::OCTET_STRING).ok_or(bad)?.0)
    }
}

/// The public point of the backend's key pair (for tests against the pair's own view).
pub fn pair_public(key: &PrivateKey) -> &[u8] {
    key.pair.public_key().as_ref()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn params_by_oid_and_name() {
        assert_eq!(Curve::from_params(der::oid::P384), Some(Curve::P384));
        let name = der::tlv(der::tag::PRINTABLE, b"prime256v1");
        assert_eq!(Curve::from_params(&name), Some(Curve::P256));
        assert_eq!(Curve::from_params(der::oid::ED25519), None);
    }

    #[test]
    fn generate_sign_verify_agree_every_curve() {
        for curve in [Curve::P256, Curve::P384, Curve::P521] {
            let a = PrivateKey::generate(curve).unwrap();
            let b = PrivateKey::generate(curve).unwrap();
            assert_eq!(pair_public(&a), a.public().point());
            for len in [20usize, 32, 48, 64] {
                let d = vec![0x11; len];
                let s = a.sign_digest(&d).unwrap();
                assert_eq!(s.len(), curve.signature_len());
                a.public().verify_digest(&d, &s).unwrap();
                assert!(b.public().verify_digest(&d, &s).is_err());
            }
            let ab = a.agree(&b.public().ec_point()).unwrap();
            let ba = b.agree(b.public().point()).map(|_| ()).and(b.agree(a.public().point()));
            assert_eq!(*ab, *ba.unwrap());
            let again = PrivateKey::new(curve, a.scalar()).unwrap();
            assert_eq!(again.public().point(), a.public().point());
            let p8 = a.to_pkcs8();
            let info = der::parse_pkcs8(&p8).unwrap();
            assert_eq!(info.params, curve.oid());
            assert_eq!(PrivateKey::scalar_from_ec_private_key(info.key).unwrap(), a.scalar());
        }
    }

    #[test]
    fn truncation_matches_sec1() {
        // A 48-byte digest on P-256 signs as its leftmost 32 bytes.
        let k = PrivateKey::generate(Curve::P256).unwrap();
        let long: Vec<u8> = (0..48).collect();
        let s = k.sign_digest(&long).unwrap();
        k.public().verify_digest(&long[..32], &s).unwrap();
    }
}
