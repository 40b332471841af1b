//! The token crate's error type: one variant per CKR code it produces.

use std::fmt;

/// A PKCS#11 failure. The C ABI crate maps each variant to its `CKR_*` value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(missing_docs)] // each variant is the CKR code of the same name
pub enum Error {
    ActionProhibited,
    ArgumentsBad,
    AttributeReadOnly,
    AttributeSensitive,
    AttributeTypeInvalid,
    AttributeValueInvalid,
    BufferTooSmall,
    CryptokiAlreadyInitialized,
    CryptokiNotInitialized,
    CurveNotSupported,
    DataInvalid,
    DataLenRange,
    DeviceError,
    DeviceMemory,
    DomainParamsInvalid,
    EncryptedDataInvalid,
    EncryptedDataLenRange,
    FunctionFailed,
    FunctionNotParallel,
    FunctionNotSupported,
    GeneralError,
    KeyFunctionNotPermitted,
    KeyHandleInvalid,
    KeyIndigestible,
    KeyNotNeeded,
    KeyNotWrappable,
    KeySizeRange,
    KeyTypeInconsistent,
    KeyUnextractable,
    MechanismInvalid,
    MechanismParamInvalid,
    ObjectHandleInvalid,
    OperationActive,
    OperationNotInitialized,
    PinIncorrect,
    PinLenRange,
    PinLocked,
    SavedStateInvalid,
    SessionCount,
    SessionExists,
    SessionHandleInvalid,
    SessionParallelNotSupported,
    SessionReadOnly,
    SessionReadOnlyExists,
    SessionReadWriteSoExists,
    SignatureInvalid,
    SignatureLenRange,
    SlotIdInvalid,
    StateUnsaveable,
    TemplateIncomplete,
    TemplateInconsistent,
    TokenNotRecognized,
    UnwrappingKeyHandleInvalid,
    UnwrappingKeySizeRange,
    UnwrappingKeyTypeInconsistent,
    UserAlreadyLoggedIn,
    UserAnotherAlreadyLoggedIn,
    UserNotLoggedIn,
    UserPinNotInitialized,
    UserTypeInvalid,
    WrappedKeyInvalid,
    WrappedKeyLenRange,
    WrappingKeyHandleInvalid,
    WrappingKeySizeRange,
    WrappingKeyTypeInconsistent,
}

/// Result with the token crate's [`Error`].
pub type Result<T> = std::result::Result<T, Error>;

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

impl std::error::Error for Error {}

impl From<rusqlite::Error> for Error {
    fn from(e: rusqlite::Error) -> Self {
        // The store's failures reach the caller as a device error; the detail goes to the log
        // (SQLite messages never contain attribute values: those are bound parameters).
        if let rusqlite::Error::SqliteFailure(code, _) = &e {
            if code.code == rusqlite::ErrorCode::DiskFull {
                log::error!("store: disk full: {e}");
                return Error::DeviceMemory;
            }
        }
        log::error!("store: {e}");
        Error::DeviceError
    }
}

impl From<craton_crypto::CryptoError> for Error {
    fn from(e: craton_crypto::CryptoError) -> Self {
        log::error!("crypto: {e}");
        Error::GeneralError
    }
}
