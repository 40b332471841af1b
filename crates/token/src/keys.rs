//! Key objects as ready-to-use cryptographic keys: built once from an object's attributes
//! and cached beside it (the hot path never parses), plus the attributes the token derives
//! itself when a key enters (modulus size, check value, public key info).

use std::sync::{Arc, OnceLock};

use craton_crypto::aes::AesKey;
use craton_crypto::chacha::ChaChaKey;
use craton_crypto::digest::{HashAlg, HmacKey};
use craton_crypto::edwards::{self, Ed25519Private, X25519Private};
use craton_crypto::locked::SecretBytes;
use craton_crypto::{der, ec, rsa};
use zeroize::Zeroizing;

use crate::attrs::{Attributes, ulong_bytes};
use crate::error::{Error, Result};
use crate::types::{AttrType, KeyType, ObjectClass};

/// A secret key's value with the per-algorithm preparations made on first use.
pub struct SecretKey {
    /// `CKK_*`.
    pub key_type: KeyType,
    /// Zeroized on drop; in locked pages when the library installed a page locker.
    bytes: SecretBytes,
    aes: Option<AesKey>,
    chacha: Option<ChaChaKey>,
    hmac: [OnceLock<HmacKey>; HashAlg::ALL.len()],
}

impl SecretKey {
    fn new(key_type: KeyType, bytes: &[u8]) -> Result<Self> {
        let aes = match key_type {
            KeyType::AES => Some(AesKey::new(bytes).map_err(|_| Error::AttributeValueInvalid)?),
            _ => None,
        };
        let chacha = match key_type {
            KeyType::CHACHA20 => {
                Some(ChaChaKey::new(bytes).map_err(|_| Error::AttributeValueInvalid)?)
            }
            _ => None,
        };
        if bytes.is_empty() {
            return Err(Error::AttributeValueInvalid);
        }
        Ok(Self {
            key_type,
            bytes: SecretBytes::from(bytes),
            aes,
            chacha,
            hmac: Default::default(),
        })
    }

    /// The value.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The AES key, if this is one.
    pub fn aes(&self) -> Option<&AesKey> {
        self.aes.as_ref()
    }

    /// The ChaCha20-Poly1305 key, if this is one.
    pub fn chacha(&self) -> Option<&ChaChaKey> {
        self.chacha.as_ref()
    }

    /// The HMAC key for `alg` (pads precomputed once per algorithm).
    pub fn hmac(&self, alg: HashAlg) -> &HmacKey {
        let i = HashAlg::ALL.iter().position(|a| *a == alg).unwrap_or(0);
        self.hmac[i].get_or_init(|| HmacKey::new(alg, &self.bytes))
    }
}

/// A key as an operation holds it: a session-private handle on the shared key, so that
/// operations on different sessions never write to the same reference count.
pub type KeyRef = Arc<Arc<KeyObj>>;

impl std::fmt::Debug for KeyObj {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("KeyObj { .. }")
    }
}

/// Any key the module can compute with.
// One per key object, always behind an Arc: variant sizes do not matter.
#[allow(clippy::large_enum_variant)]
pub enum KeyObj {
    /// RSA private key.
    RsaPrivate(Box<rsa::PrivateKey>),
    /// RSA public key.
    RsaPublic(rsa::PublicKey),
    /// NIST-curve private key.
    EcPrivate(ec::PrivateKey),
    /// NIST-curve public key.
    EcPublic(ec::PublicKey),
    /// Ed25519 private key.
    EdPrivate(Ed25519Private),
    /// Ed25519 public key.
    EdPublic([u8; 32]),
    /// X25519 private key.
    XPrivate(X25519Private),
    /// X25519 public key.
    XPublic([u8; 32]),
    /// A secret key.
    Secret(SecretKey),
}

fn need(attrs: &Attributes, t: AttrType) -> Result<&[u8]> {
    attrs.get(t).ok_or(Error::TemplateIncomplete)
}

fn rsa_components(attrs: &Attributes) -> Result<rsa::Components> {
    let z = |t| need(attrs, t).map(|v| Zeroizing::new(v.to_vec()));
    Ok(rsa::Components {
        n: need(attrs, AttrType::MODULUS)?.to_vec(),
        e: need(attrs, AttrType::PUBLIC_EXPONENT)?.to_vec(),
        d: z(AttrType::PRIVATE_EXPONENT)?,
        p: z(AttrType::PRIME_1)?,
        q: z(AttrType::PRIME_2)?,
        dp: z(AttrType::EXPONENT_1)?,
        dq: z(AttrType::EXPONENT_2)?,
        qinv: z(AttrType::COEFFICIENT)?,
    })
}

/// Which curve family CKA_EC_PARAMS names for this key type.
enum CurveOf {
    Nist(ec::Curve),
    Ed,
    X,
}

fn curve_of(attrs: &Attributes) -> Result<CurveOf> {
    let kt = KeyType(attrs.get_ulong(AttrType::KEY_TYPE).ok_or(Error::TemplateIncomplete)?);
    let params = need(attrs, AttrType::EC_PARAMS)?;
    let c = match kt {
        KeyType::EC => ec::Curve::from_params(params).map(CurveOf::Nist),
        KeyType::EC_EDWARDS => match edwards::Params::from_params(params) {
            Some(edwards::Params::Ed25519) => Some(CurveOf::Ed),
            _ => None,
        },
        KeyType::EC_MONTGOMERY => match edwards::Params::from_params(params) {
            Some(edwards::Params::X25519) => Some(CurveOf::X),
            _ => None,
        },
        _ => return Err(Error::AttributeValueInvalid),
    };
    c.ok_or(Error::CurveNotSupported)
}

impl KeyObj {
    /// Build the usable key from an object's attributes.
    pub fn from_attrs(attrs: &Attributes) -> Result<Self> {
        let class = ObjectClass(attrs.get_ulong(AttrType::CLASS).ok_or(Error::GeneralError)?);
        let kt = KeyType(attrs.get_ulong(AttrType::KEY_TYPE).ok_or(Error::KeyTypeInconsistent)?);
        let bad = |_| Error::AttributeValueInvalid;
        Ok(match (class, kt) {
            (ObjectClass::PRIVATE_KEY, KeyType::RSA) => Self::RsaPrivate(Box::new(
                rsa::PrivateKey::new(rsa_components(attrs)?).map_err(bad)?,
            )),
            (ObjectClass::PUBLIC_KEY, KeyType::RSA) => Self::RsaPublic(
                rsa::PublicKey::new(
                    need(attrs, AttrType::MODULUS)?,
                    need(attrs, AttrType::PUBLIC_EXPONENT)?,
                )
                .map_err(bad)?,
            ),
            (ObjectClass::PRIVATE_KEY, _) => {
                let v = need(attrs, AttrType::VALUE)?;
                match curve_of(attrs)? {
                    CurveOf::Nist(c) => Self::EcPrivate(ec::PrivateKey::new(c, v).map_err(bad)?),
                    CurveOf::Ed => Self::EdPrivate(Ed25519Private::new(v).map_err(bad)?),
                    CurveOf::X => Self::XPrivate(X25519Private::new(v).map_err(bad)?),
                }
            }
            (ObjectClass::PUBLIC_KEY, _) => {
                let p = need(attrs, AttrType::EC_POINT)?;
                match curve_of(attrs)? {
                    CurveOf::Nist(c) => Self::EcPublic(ec::PublicKey::new(c, p).map_err(bad)?),
                    CurveOf::Ed => Self::EdPublic(
                        edwards::unwrap_public(p).ok_or(Error::AttributeValueInvalid)?,
                    ),
                    CurveOf::X => Self::XPublic(
                        edwards::unwrap_public(p).ok_or(Error::AttributeValueInvalid)?,
                    ),
                }
            }
            (ObjectClass::SECRET_KEY, kt) => {
                Self::Secret(SecretKey::new(kt, need(attrs, AttrType::VALUE)?)?)
            }
            _ => return Err(Error::KeyTypeInconsistent),
        })
    }

    /// Key size as C_GetMechanismInfo counts it (bits for asymmetric keys, bytes otherwise).
    pub fn size(&self) -> u64 {
        match self {
            Self::RsaPrivate(k) => k.public().bits() as u64,
            Self::RsaPublic(k) => k.bits() as u64,
            Self::EcPrivate(k) => k.public().curve().bits() as u64,
            Self::EcPublic(k) => k.curve().bits() as u64,
            Self::EdPrivate(_) | Self::EdPublic(_) | Self::XPrivate(_) | Self::XPublic(_) => 255,
            Self::Secret(s) => s.bytes().len() as u64,
        }
    }

    /// The secret key, if this is one.
    pub fn secret(&self) -> Option<&SecretKey> {
        match self {
            Self::Secret(s) => Some(s),
            _ => None,
        }
    }

    /// PKCS#8 of a private key (for wrapping).
    pub fn pkcs8(&self) -> Option<Zeroizing<Vec<u8>>> {
        match self {
            Self::RsaPrivate(k) => Some(k.components().to_pkcs8()),
            Self::EcPrivate(k) => Some(k.to_pkcs8()),
            Self::EdPrivate(k) => Some(k.to_pkcs8()),
            Self::XPrivate(k) => Some(k.to_pkcs8()),
            _ => None,
        }
    }

    /// SubjectPublicKeyInfo of the key's public half (None for secret keys).
    pub fn spki(&self) -> Option<Vec<u8>> {
        Some(match self {
            Self::RsaPrivate(k) => k.public().spki(),
            Self::RsaPublic(k) => k.spki(),
            Self::EcPrivate(k) => k.public().spki(),
            Self::EcPublic(k) => k.spki(),
            Self::EdPrivate(k) => der::raw_spki(der::oid::ED25519, k.public()),
            Self::EdPublic(p) => der::raw_spki(der::oid::ED25519, p),
            Self::XPrivate(k) => der::raw_spki(der::oid::X25519, k.public()),
            Self::XPublic(p) => der::raw_spki(der::oid::X25519, p),
            Self::Secret(_) => return None,
        })
    }
}

/// Check a key being created or unwrapped and add what the token derives: MODULUS_BITS,
/// VALUE_LEN, CHECK_VALUE, PUBLIC_KEY_INFO, and EC_POINT in DER form.
/// Returns the key it built (None for objects that are not keys).
pub fn complete(attrs: &mut Attributes) -> Result<Option<KeyObj>> {
    let class = ObjectClass(attrs.get_ulong(AttrType::CLASS).unwrap_or(0));
    if !class.is_key() {
        return Ok(None);
    }
    let key = KeyObj::from_attrs(attrs)?;
    complete_with(attrs, &key)?;
    Ok(Some(key))
}

/// [`complete`] with the key already built from these attributes (key generation).
pub fn complete_with(attrs: &mut Attributes, key: &KeyObj) -> Result<()> {
    match key {
        KeyObj::RsaPublic(k) => attrs.set(AttrType::MODULUS_BITS, ulong_bytes(k.bits() as u64)),
        KeyObj::EcPublic(k) => attrs.set(AttrType::EC_POINT, k.ec_point()),
        KeyObj::EdPublic(p) | KeyObj::XPublic(p) => {
            attrs.set(AttrType::EC_POINT, der::octet_string(p));
        }
        KeyObj::Secret(s) => {
            attrs.set(AttrType::VALUE_LEN, ulong_bytes(s.bytes().len() as u64));
            let check = match s.aes() {
                Some(a) => a.check_value().map_err(|_| Error::GeneralError)?,
                None => HashAlg::Sha1.digest(s.bytes())[..3].to_vec(),
            };
            attrs.set(AttrType::CHECK_VALUE, check);
        }
        _ => {}
    }
    if let Some(spki) = key.spki() {
        attrs.set(AttrType::PUBLIC_KEY_INFO, spki);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::attrs::bool_bytes;

    #[test]
    fn aes_key_gets_check_value_and_length() {
        let mut a = Attributes::new();
        a.set(AttrType::CLASS, ulong_bytes(ObjectClass::SECRET_KEY.0));
        a.set(AttrType::KEY_TYPE, ulong_bytes(KeyType::AES.0));
        a.set(AttrType::VALUE, vec![0; 16]);
        a.set(AttrType::SENSITIVE, bool_bytes(true));
        complete(&mut a).unwrap();
        assert_eq!(a.get_ulong(AttrType::VALUE_LEN), Some(16));
        // AES-128 of a zero block under the zero key starts 66 e9 4b.
        assert_eq!(a.get(AttrType::CHECK_VALUE), Some(&[0x66, 0xe9, 0x4b][..]));
        a.set(AttrType::VALUE, vec![0; 15]);
        assert_eq!(complete(&mut a).err(), Some(Error::AttributeValueInvalid));
    }

    #[test]
    fn unknown_curve_is_reported() {
        let mut a = Attributes::new();
        a.set(AttrType::CLASS, ulong_bytes(ObjectClass::PUBLIC_KEY.0));
        a.set(AttrType::KEY_TYPE, ulong_bytes(KeyType::EC.0));
        a.set(AttrType::EC_PARAMS, vec![0x06, 0x03, 1, 2, 3]);
        a.set(AttrType::EC_POINT, vec![4]);
        assert_eq!(complete(&mut a).err(), Some(Error::CurveNotSupported));
    }
}
