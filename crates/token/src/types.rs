//! Newtypes for the open-ended `CK_ULONG` values the token reasons about.

use pkcs11_sys as sys;

/// A `CKA_*` attribute type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AttrType(pub u64);

/// A `CKO_*` object class.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ObjectClass(pub u64);

/// A `CKU_*` user type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct UserType(pub u64);

/// The module's slot identifier (`CK_SLOT_ID`).
pub type SlotId = u64;
/// A session handle as the application sees it.
pub type SessionHandle = u64;
/// An object handle as the application sees it.
pub type ObjectHandle = u64;

impl AttrType {
    pub const CLASS: Self = Self(sys::CKA_CLASS as u64);
    pub const TOKEN: Self = Self(sys::CKA_TOKEN as u64);
    pub const PRIVATE: Self = Self(sys::CKA_PRIVATE as u64);
    pub const LABEL: Self = Self(sys::CKA_LABEL as u64);
    pub const UNIQUE_ID: Self = Self(sys::CKA_UNIQUE_ID as u64);
    pub const APPLICATION: Self = Self(sys::CKA_APPLICATION as u64);
    pub const VALUE: Self = Self(sys::CKA_VALUE as u64);
    pub const OBJECT_ID: Self = Self(sys::CKA_OBJECT_ID as u64);
    pub const CERTIFICATE_TYPE: Self = Self(sys::CKA_CERTIFICATE_TYPE as u64);
    pub const ISSUER: Self = Self(sys::CKA_ISSUER as u64);
    pub const SERIAL_NUMBER: Self = Self(sys::CKA_SERIAL_NUMBER as u64);
    pub const TRUSTED: Self = Self(sys::CKA_TRUSTED as u64);
    pub const CERTIFICATE_CATEGORY: Self = Self(sys::CKA_CERTIFICATE_CATEGORY as u64);
    pub const JAVA_MIDP_SECURITY_DOMAIN: Self = Self(sys::CKA_JAVA_MIDP_SECURITY_DOMAIN as u64);
    pub const URL: Self = Self(sys::CKA_URL as u64);
    pub const HASH_OF_SUBJECT_PUBLIC_KEY: Self = Self(sys::CKA_HASH_OF_SUBJECT_PUBLIC_KEY as u64);
    pub const HASH_OF_ISSUER_PUBLIC_KEY: Self = Self(sys::CKA_HASH_OF_ISSUER_PUBLIC_KEY as u64);
    pub const NAME_HASH_ALGORITHM: Self = Self(sys::CKA_NAME_HASH_ALGORITHM as u64);
    pub const CHECK_VALUE: Self = Self(sys::CKA_CHECK_VALUE as u64);
    pub const SUBJECT: Self = Self(sys::CKA_SUBJECT as u64);
    pub const ID: Self = Self(sys::CKA_ID as u64);
    pub const START_DATE: Self = Self(sys::CKA_START_DATE as u64);
    pub const END_DATE: Self = Self(sys::CKA_END_DATE as u64);
    pub const PUBLIC_KEY_INFO: Self = Self(sys::CKA_PUBLIC_KEY_INFO as u64);
    pub const MODIFIABLE: Self = Self(sys::CKA_MODIFIABLE as u64);
    pub const COPYABLE: Self = Self(sys::CKA_COPYABLE as u64);
    pub const DESTROYABLE: Self = Self(sys::CKA_DESTROYABLE as u64);
    pub const KEY_TYPE: Self = Self(sys::CKA_KEY_TYPE as u64);
    pub const SENSITIVE: Self = Self(sys::CKA_SENSITIVE as u64);
    pub const ENCRYPT: Self = Self(sys::CKA_ENCRYPT as u64);
    pub const DECRYPT: Self = Self(sys::CKA_DECRYPT as u64);
    pub const WRAP: Self = Self(sys::CKA_WRAP as u64);
    pub const UNWRAP: Self = Self(sys::CKA_UNWRAP as u64);
    pub const SIGN: Self = Self(sys::CKA_SIGN as u64);
    pub const SIGN_RECOVER: Self = Self(sys::CKA_SIGN_RECOVER as u64);
    pub const VERIFY: Self = Self(sys::CKA_VERIFY as u64);
    pub const VERIFY_RECOVER: Self = Self(sys::CKA_VERIFY_RECOVER as u64);
    pub const DERIVE: Self = Self(sys::CKA_DERIVE as u64);
    pub const MODULUS: Self = Self(sys::CKA_MODULUS as u64);
    pub const MODULUS_BITS: Self = Self(sys::CKA_MODULUS_BITS as u64);
    pub const PUBLIC_EXPONENT: Self = Self(sys::CKA_PUBLIC_EXPONENT as u64);
    pub const PRIVATE_EXPONENT: Self = Self(sys::CKA_PRIVATE_EXPONENT as u64);
    pub const PRIME_1: Self = Self(sys::CKA_PRIME_1 as u64);
    pub const PRIME_2: Self = Self(sys::CKA_PRIME_2 as u64);
    pub const EXPONENT_1: Self = Self(sys::CKA_EXPONENT_1 as u64);
    pub const EXPONENT_2: Self = Self(sys::CKA_EXPONENT_2 as u64);
    pub const COEFFICIENT: Self = Self(sys::CKA_COEFFICIENT as u64);
    pub const VALUE_LEN: Self = Self(sys::CKA_VALUE_LEN as u64);
    pub const EXTRACTABLE: Self = Self(sys::CKA_EXTRACTABLE as u64);
    pub const LOCAL: Self = Self(sys::CKA_LOCAL as u64);
    pub const NEVER_EXTRACTABLE: Self = Self(sys::CKA_NEVER_EXTRACTABLE as u64);
    pub const ALWAYS_SENSITIVE: Self = Self(sys::CKA_ALWAYS_SENSITIVE as u64);
    pub const KEY_GEN_MECHANISM: Self = Self(sys::CKA_KEY_GEN_MECHANISM as u64);
    pub const EC_PARAMS: Self = Self(sys::CKA_EC_PARAMS as u64);
    pub const EC_POINT: Self = Self(sys::CKA_EC_POINT as u64);
    pub const ALWAYS_AUTHENTICATE: Self = Self(sys::CKA_ALWAYS_AUTHENTICATE as u64);
    pub const WRAP_WITH_TRUSTED: Self = Self(sys::CKA_WRAP_WITH_TRUSTED as u64);
    pub const WRAP_TEMPLATE: Self = Self(sys::CKA_WRAP_TEMPLATE as u64);
    pub const UNWRAP_TEMPLATE: Self = Self(sys::CKA_UNWRAP_TEMPLATE as u64);
    pub const DERIVE_TEMPLATE: Self = Self(sys::CKA_DERIVE_TEMPLATE as u64);
    pub const ALLOWED_MECHANISMS: Self = Self(sys::CKA_ALLOWED_MECHANISMS as u64);
}

impl ObjectClass {
    pub const DATA: Self = Self(sys::CKO_DATA as u64);
    pub const CERTIFICATE: Self = Self(sys::CKO_CERTIFICATE as u64);
    pub const PUBLIC_KEY: Self = Self(sys::CKO_PUBLIC_KEY as u64);
    pub const PRIVATE_KEY: Self = Self(sys::CKO_PRIVATE_KEY as u64);
    pub const SECRET_KEY: Self = Self(sys::CKO_SECRET_KEY as u64);

    /// Whether objects of this class are keys.
    pub fn is_key(self) -> bool {
        matches!(self, Self::PUBLIC_KEY | Self::PRIVATE_KEY | Self::SECRET_KEY)
    }
}

impl UserType {
    pub const SO: Self = Self(sys::CKU_SO as u64);
    pub const USER: Self = Self(sys::CKU_USER as u64);
    pub const CONTEXT_SPECIFIC: Self = Self(sys::CKU_CONTEXT_SPECIFIC as u64);
}

/// `CKC_X_509`.
pub const CKC_X_509: u64 = sys::CKC_X_509 as u64;
/// `CK_UNAVAILABLE_INFORMATION`.
pub const UNAVAILABLE: u64 = u64::MAX;

/// A `CKK_*` key type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct KeyType(pub u64);

impl KeyType {
    pub const RSA: Self = Self(sys::CKK_RSA as u64);
    pub const EC: Self = Self(sys::CKK_EC as u64);
    pub const EC_EDWARDS: Self = Self(sys::CKK_EC_EDWARDS as u64);
    pub const EC_MONTGOMERY: Self = Self(sys::CKK_EC_MONTGOMERY as u64);
    pub const GENERIC_SECRET: Self = Self(sys::CKK_GENERIC_SECRET as u64);
    pub const AES: Self = Self(sys::CKK_AES as u64);
    pub const CHACHA20: Self = Self(sys::CKK_CHACHA20 as u64);
    pub const SHA_1_HMAC: Self = Self(sys::CKK_SHA_1_HMAC as u64);
    pub const SHA224_HMAC: Self = Self(sys::CKK_SHA224_HMAC as u64);
    pub const SHA256_HMAC: Self = Self(sys::CKK_SHA256_HMAC as u64);
    pub const SHA384_HMAC: Self = Self(sys::CKK_SHA384_HMAC as u64);
    pub const SHA512_HMAC: Self = Self(sys::CKK_SHA512_HMAC as u64);
    pub const SHA512_224_HMAC: Self = Self(sys::CKK_SHA512_224_HMAC as u64);
    pub const SHA512_256_HMAC: Self = Self(sys::CKK_SHA512_256_HMAC as u64);
    pub const SHA3_224_HMAC: Self = Self(sys::CKK_SHA3_224_HMAC as u64);
    pub const SHA3_256_HMAC: Self = Self(sys::CKK_SHA3_256_HMAC as u64);
    pub const SHA3_384_HMAC: Self = Self(sys::CKK_SHA3_384_HMAC as u64);
    pub const SHA3_512_HMAC: Self = Self(sys::CKK_SHA3_512_HMAC as u64);

    /// Secret key types whose value is an HMAC key.
    pub fn is_hmac(self) -> bool {
        matches!(
            self,
            Self::GENERIC_SECRET
                | Self::SHA_1_HMAC
                | Self::SHA224_HMAC
                | Self::SHA256_HMAC
                | Self::SHA384_HMAC
                | Self::SHA512_HMAC
                | Self::SHA512_224_HMAC
                | Self::SHA512_256_HMAC
                | Self::SHA3_224_HMAC
                | Self::SHA3_256_HMAC
                | Self::SHA3_384_HMAC
                | Self::SHA3_512_HMAC
        )
    }
}
