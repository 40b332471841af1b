//! Ed25519 signatures (RFC 8032) and X25519 agreement (RFC 7748). Private keys are 32 bytes
//! drawn from the module's DRBG.

use aws_lc_rs::agreement;
use aws_lc_rs::signature::{self as sig, Ed25519KeyPair, KeyPair};
use zeroize::Zeroizing;

use crate::CryptoError;
use crate::der;
use crate::locked::SecretBytes;

/// Which 25519 algorithm CKA_EC_PARAMS names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Params {
    /// Ed25519.
    Ed25519,
    /// X25519.
    X25519,
}

impl Params {
    /// Recognise an OID or a curve name (PrintableString), as PKCS#11 3.0 allows both.
    pub fn from_params(params: &[u8]) -> Option<Self> {
        match params {
            p if p == der::oid::ED25519 => Some(Self::Ed25519),
            p if p == der::oid::X25519 => Some(Self::X25519),
            _ => match der::only(params, der::tag::PRINTABLE)? {
                b"edwards25519" | b"Ed25519" => Some(Self::Ed25519),
                b"curve25519" | b"X25519" => Some(Self::X25519),
                _ => None,
            },
        }
    }

    /// The OID (encoded).
    pub fn oid(self) -> &'static [u8] {
        match self {
            Self::Ed25519 => der::oid::ED25519,
            Self::X25519 => der::oid::X25519,
        }
    }
}

/// A 32-byte public key given raw or as DER OCTET STRING.
pub fn unwrap_public(input: &[u8]) -> Option<[u8; 32]> {
    input
        .try_into()
        .ok()
        .or_else(|| der::only(input, der::tag::OCTET_STRING).and_then(|p| p.try_into().ok()))
}

/// An Ed25519 private key.
pub struct Ed25519Private {
    pair: Ed25519KeyPair,
    /// Our copy of the seed (AWS-LC keeps its own inside `pair`).
    seed: SecretBytes,
    public: [u8; 32],
}

impl Ed25519Private {
    /// From the 32-byte seed.
    pub fn new(seed: &[u8]) -> Result<Self, CryptoError> {
        if seed.len() != 32 {
            return Err(CryptoError::InvalidKey);
        }
        let pair = Ed25519KeyPair::from_seed_unchecked(seed)?;
        let public = pair.public_key().as_ref().try_into().map_err(|_| CryptoError::Backend)?;
        Ok(Self { pair, seed: SecretBytes::from(seed), public })
    }

    /// Generate from the DRBG, with a pairwise-consistency test.
    pub fn generate() -> Result<Self, CryptoError> {
        let seed = Zeroizing::new(crate::rng::array::<32>()?);
        let k = Self::new(&*seed)?;
        let s = k.sign(b"craton-hsm pct")?;
        ed25519_verify(&k.public, b"craton-hsm pct", &s).map_err(|_| CryptoError::InvalidKey)?;
        Ok(k)
    }

    /// The seed (CKA_VALUE).
    pub fn seed(&self) -> &[u8] {
        &self.seed
    }

    /// The public key.
    pub fn public(&self) -> &[u8; 32] {
        &self.public
    }

    /// Sign (pure Ed25519).
    pub fn sign(&self, msg: &[u8]) -> Result<Vec<u8>, CryptoError> {
        Ok(self.pair.try_sign(msg)?.as_ref().to_vec())
    }

    /// PKCS#8 (RFC 8410), for wrapping.
    pub fn to_pkcs8(&self) -> Zeroizing<Vec<u8>> {
        let inner = Zeroizing::new(der::octet_string(&self.seed));
        Zeroizing::new(der::pkcs8(der::oid::ED25519, &[], &inner))
    }
}

/// Verify an Ed25519 signature.
pub fn ed25519_verify(public: &[u8; 32], msg: &[u8], signature: &[u8]) -> Result<(), CryptoError> {
    if signature.len() != 64 {
        return Err(CryptoError::InvalidLength);
    }
    sig::UnparsedPublicKey::new(&sig::ED25519, public)
        .verify(msg, signature)
        .map_err(|_| CryptoError::BadSignature)
}

/// An X25519 private key.
pub struct X25519Private {
    key: agreement::PrivateKey,
    /// Our copy of the private value (AWS-LC keeps its own inside `key`).
    bytes: SecretBytes,
    public: [u8; 32],
}

impl X25519Private {
    /// From the 32-byte private value.
    pub fn new(bytes: &[u8]) -> Result<Self, CryptoError> {
        if bytes.len() != 32 {
            return Err(CryptoError::InvalidKey);
        }
        let key = agreement::PrivateKey::from_private_key(&agreement::X25519, bytes)?;
        let public =
            key.compute_public_key()?.as_ref().try_into().map_err(|_| CryptoError::Backend)?;
        Ok(Self { key, bytes: SecretBytes::from(bytes), public })
    }

    /// Generate from the DRBG.
    pub fn generate() -> Result<Self, CryptoError> {
        let b = Zeroizing::new(crate::rng::array::<32>()?);
        Self::new(&*b)
    }

    /// The private value (CKA_VALUE).
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The public value.
    pub fn public(&self) -> &[u8; 32] {
        &self.public
    }

    /// The shared secret with `peer` (32 bytes raw or DER OCTET STRING).
    pub fn agree(&self, peer: &[u8]) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
        let peer = unwrap_public(peer).ok_or(CryptoError::InvalidParameter)?;
        let peer = agreement::UnparsedPublicKey::new(&agreement::X25519, peer);
        agreement::agree(&self.key, peer, CryptoError::InvalidParameter, |s| {
            Ok(Zeroizing::new(s.to_vec()))
        })
    }

    /// PKCS#8 (RFC 8410), for wrapping.
    pub fn to_pkcs8(&self) -> Zeroizing<Vec<u8>> {
        let inner = Zeroizing::new(der::octet_string(&self.bytes));
        Zeroizing::new(der::pkcs8(der::oid::X25519, &[], &inner))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unhex(s: &str) -> Vec<u8> {
        (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
    }

    #[test]
    fn rfc8032_test_1() {
        let k = Ed25519Private::new(&unhex(
            "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
        ))
        .unwrap();
        assert_eq!(
            k.public().to_vec(),
            unhex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")
        );
        let s = k.sign(b"").unwrap();
        assert_eq!(
            s,
            unhex(
                "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"
            )
        );
        ed25519_verify(k.public(), b"", &s).unwrap();
        assert!(ed25519_verify(k.public(), b"x", &s).is_err());
    }

    #[test]
    fn rfc7748_section_6_1() {
        let a = X25519Private::new(&unhex(
            "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a",
        ))
        .unwrap();
        let b_pub = unhex("de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f");
        let shared = a.agree(&der::octet_string(&b_pub)).unwrap();
        assert_eq!(
            *shared,
            unhex("4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742")
        );
    }

    #[test]
    fn params() {
        let name = der::tlv(der::tag::PRINTABLE, b"edwards25519");
        assert_eq!(Params::from_params(&name), Some(Params::Ed25519));
        assert_eq!(Params::from_params(der::oid::X25519), Some(Params::X25519));
        assert!(Ed25519Private::generate().is_ok());
        assert!(X25519Private::generate().is_ok());
    }
}
