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
}

impl ObjectClass {
    pub const DATA: Self = Self(sys::CKO_DATA as u64);
    pub const CERTIFICATE: Self = Self(sys::CKO_CERTIFICATE as u64);
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
