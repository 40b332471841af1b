//! The one, exhaustive map from the token crate's errors to `CK_RV`.

use craton_token::Error;
use pkcs11_sys::*;

/// The return value for `e`.
pub fn of(e: Error) -> CK_RV {
    let rv = match e {
        Error::ActionProhibited => CKR_ACTION_PROHIBITED,
        Error::ArgumentsBad => CKR_ARGUMENTS_BAD,
        Error::AttributeReadOnly => CKR_ATTRIBUTE_READ_ONLY,
        Error::AttributeSensitive => CKR_ATTRIBUTE_SENSITIVE,
        Error::AttributeTypeInvalid => CKR_ATTRIBUTE_TYPE_INVALID,
        Error::AttributeValueInvalid => CKR_ATTRIBUTE_VALUE_INVALID,
        Error::BufferTooSmall => CKR_BUFFER_TOO_SMALL,
        Error::CryptokiAlreadyInitialized => CKR_CRYPTOKI_ALREADY_INITIALIZED,
        Error::CryptokiNotInitialized => CKR_CRYPTOKI_NOT_INITIALIZED,
        Error::DeviceError => CKR_DEVICE_ERROR,
        Error::DeviceMemory => CKR_DEVICE_MEMORY,
        Error::FunctionFailed => CKR_FUNCTION_FAILED,
        Error::FunctionNotParallel => CKR_FUNCTION_NOT_PARALLEL,
        Error::FunctionNotSupported => CKR_FUNCTION_NOT_SUPPORTED,
        Error::GeneralError => CKR_GENERAL_ERROR,
        Error::KeyHandleInvalid => CKR_KEY_HANDLE_INVALID,
        Error::MechanismInvalid => CKR_MECHANISM_INVALID,
        Error::ObjectHandleInvalid => CKR_OBJECT_HANDLE_INVALID,
        Error::OperationActive => CKR_OPERATION_ACTIVE,
        Error::OperationNotInitialized => CKR_OPERATION_NOT_INITIALIZED,
        Error::PinIncorrect => CKR_PIN_INCORRECT,
        Error::PinLenRange => CKR_PIN_LEN_RANGE,
        Error::PinLocked => CKR_PIN_LOCKED,
        Error::SessionCount => CKR_SESSION_COUNT,
        Error::SessionExists => CKR_SESSION_EXISTS,
        Error::SessionHandleInvalid => CKR_SESSION_HANDLE_INVALID,
        Error::SessionParallelNotSupported => CKR_SESSION_PARALLEL_NOT_SUPPORTED,
        Error::SessionReadOnly => CKR_SESSION_READ_ONLY,
        Error::SessionReadOnlyExists => CKR_SESSION_READ_ONLY_EXISTS,
        Error::SessionReadWriteSoExists => CKR_SESSION_READ_WRITE_SO_EXISTS,
        Error::SlotIdInvalid => CKR_SLOT_ID_INVALID,
        Error::TemplateIncomplete => CKR_TEMPLATE_INCOMPLETE,
        Error::TemplateInconsistent => CKR_TEMPLATE_INCONSISTENT,
        Error::TokenNotRecognized => CKR_TOKEN_NOT_RECOGNIZED,
        Error::UserAlreadyLoggedIn => CKR_USER_ALREADY_LOGGED_IN,
        Error::UserAnotherAlreadyLoggedIn => CKR_USER_ANOTHER_ALREADY_LOGGED_IN,
        Error::UserNotLoggedIn => CKR_USER_NOT_LOGGED_IN,
        Error::UserPinNotInitialized => CKR_USER_PIN_NOT_INITIALIZED,
        Error::UserTypeInvalid => CKR_USER_TYPE_INVALID,
    };
    rv as CK_RV
}
