//! The PKCS#11 3.0 message-based API. No mechanism is offered through it yet (the registry
//! has none with the message flags): every `C_Message*Init` reports CKR_MECHANISM_INVALID and
//! every continuation CKR_OPERATION_NOT_INITIALIZED — true statements, never a fake success.

// The arguments are part of the fixed C signatures; these bodies only need the session.
#![allow(unused_variables)]

use pkcs11_sys::*;

use crate::functions::common::{no_mechanism, no_operation};
use crate::state::guard;

/// Not offered yet: no mechanism is available.
///
/// # Safety
/// Pointer arguments must satisfy the PKCS#11 specification of this function.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn C_MessageEncryptInit(
    hSession: CK_SESSION_HANDLE,
    pMechanism: CK_MECHANISM_PTR,
    hKey: CK_OBJECT_HANDLE,
) -> CK_RV {
    guard("C_MessageEncryptInit", || no_mechanism(hSession, pMechanism))
}

/// No operation of this kind can be active yet.
///
/// # Safety
/// Pointer arguments must satisfy the PKCS#11 specification of this function.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn C_EncryptMessage(
    hSession: CK_SESSION_HANDLE,
    pParameter: CK_VOID_PTR,
    ulParameterLen: CK_ULONG,
    pAssociatedData: CK_BYTE_PTR,
    ulAssociatedDataLen: CK_ULONG,
    pPlaintext: CK_BYTE_PTR,
    ulPlaintextLen: CK_ULONG,
    pCiphertext: CK_BYTE_PTR,
    pulCiphertextLen: CK_ULONG_PTR,
) -> CK_RV {
    guard("C_EncryptMessage", || no_operation(hSession))
}

/// No operation of this kind can be active yet.
///
/// # Safety
/// Pointer arguments must satisfy the PKCS#11 specification of this function.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn C_EncryptMessageBegin(
    hSession: CK_SESSION_HANDLE,
    pParameter: CK_VOID_PTR,
    ulParameterLen: CK_ULONG,
    pAssociatedData: CK_BYTE_PTR,
    ulAssociatedDataLen: CK_ULONG,
) -> CK_RV {
    guard("C_EncryptMessageBegin", || no_operation(hSession))
}

/// No operation of this kind can be active yet.
///
/// # Safety
/// Pointer arguments must satisfy the PKCS#11 specification of this function.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn C_EncryptMessageNext(
    hSession: CK_SESSION_HANDLE,
    pParameter: CK_VOID_PTR,
    ulParameterLen: CK_ULONG,
    pPlaintextPart: CK_BYTE_PTR,
    ulPlaintextPartLen: CK_ULONG,
    pCiphertextPart: CK_BYTE_PTR,
    pulCiphertextPartLen: CK_ULONG_PTR,
    flags: CK_FLAGS,
) -> CK_RV {
    guard("C_EncryptMessageNext", || no_operation(hSession))
}

/// No operation of this kind can be active yet.
///
/// # Safety
/// Pointer arguments must satisfy the PKCS#11 specification of this function.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn C_MessageEncryptFinal(hSession: CK_SESSION_HANDLE) -> CK_RV {
    guard("C_MessageEncryptFinal", || no_operation(hSession))
}

/// Not offered yet: no mechanism is available.
///
/// # Safety
/// Pointer arguments must satisfy the PKCS#11 specification of this function.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn C_MessageDecryptInit(
    hSession: CK_SESSION_HANDLE,
    pMechanism: CK_MECHANISM_PTR,
    hKey: CK_OBJECT_HANDLE,
) -> CK_RV {
    guard("C_MessageDecryptInit", || no_mechanism(hSession, pMechanism))
}

/// No operation of this kind can be active yet.
///
/// # Safety
/// Pointer arguments must satisfy the PKCS#11 specification of this function.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn C_DecryptMessage(
    hSession: CK_SESSION_HANDLE,
    pParameter: CK_VOID_PTR,
    ulParameterLen: CK_ULONG,
    pAssociatedData: CK_BYTE_PTR,
    ulAssociatedDataLen: CK_ULONG,
    pCiphertext: CK_BYTE_PTR,
    ulCiphertextLen: CK_ULONG,
    pPlaintext: CK_BYTE_PTR,
    pulPlaintextLen: CK_ULONG_PTR,
) -> CK_RV {
    guard("C_DecryptMessage", || no_operation(hSession))
}

/// No operation of this kind can be active yet.
///
/// # Safety
/// Pointer arguments must satisfy the PKCS#11 specification of this function.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn C_DecryptMessageBegin(
    hSession: CK_SESSION_HANDLE,
    pParameter: CK_VOID_PTR,
    ulParameterLen: CK_ULONG,
    pAssociatedData: CK_BYTE_PTR,
    ulAssociatedDataLen: CK_ULONG,
) -> CK_RV {
    guard("C_DecryptMessageBegin", || no_operation(hSession))
}

/// No operation of this kind can be active yet.
///
/// # Safety
/// Pointer arguments must satisfy the PKCS#11 specification of this function.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn C_DecryptMessageNext(
    hSession: CK_SESSION_HANDLE,
    pParameter: CK_VOID_PTR,
    ulParameterLen: CK_ULONG,
    pCiphertextPart: CK_BYTE_PTR,
    ulCiphertextPartLen: CK_ULONG,
    pPlaintextPart: CK_BYTE_PTR,
    pulPlaintextPartLen: CK_ULONG_PTR,
    flags: CK_FLAGS,
) -> CK_RV {
    guard("C_DecryptMessageNext", || no_operation(hSession))
}

/// No operation of this kind can be active yet.
///
/// # Safety
/// Pointer arguments must satisfy the PKCS#11 specification of this function.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn C_MessageDecryptFinal(hSession: CK_SESSION_HANDLE) -> CK_RV {
    guard("C_MessageDecryptFinal", || no_operation(hSession))
}

/// Not offered yet: no mechanism is available.
///
/// # Safety
/// Pointer arguments must satisfy the PKCS#11 specification of this function.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn C_MessageSignInit(
    hSession: CK_SESSION_HANDLE,
    pMechanism: CK_MECHANISM_PTR,
    hKey: CK_OBJECT_HANDLE,
) -> CK_RV {
    guard("C_MessageSignInit", || no_mechanism(hSession, pMechanism))
}

/// No operation of this kind can be active yet.
///
/// # Safety
/// Pointer arguments must satisfy the PKCS#11 specification of this function.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn C_SignMessage(
    hSession: CK_SESSION_HANDLE,
    pParameter: CK_VOID_PTR,
    ulParameterLen: CK_ULONG,
    pData: CK_BYTE_PTR,
    ulDataLen: CK_ULONG,
    pSignature: CK_BYTE_PTR,
    pulSignatureLen: CK_ULONG_PTR,
) -> CK_RV {
    guard("C_SignMessage", || no_operation(hSession))
}

/// No operation of this kind can be active yet.
///
/// # Safety
/// Pointer arguments must satisfy the PKCS#11 specification of this function.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn C_SignMessageBegin(
    hSession: CK_SESSION_HANDLE,
    pParameter: CK_VOID_PTR,
    ulParameterLen: CK_ULONG,
) -> CK_RV {
    guard("C_SignMessageBegin", || no_operation(hSession))
}

/// No operation of this kind can be active yet.
///
/// # Safety
/// Pointer arguments must satisfy the PKCS#11 specification of this function.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn C_SignMessageNext(
    hSession: CK_SESSION_HANDLE,
    pParameter: CK_VOID_PTR,
    ulParameterLen: CK_ULONG,
    pData: CK_BYTE_PTR,
    ulDataLen: CK_ULONG,
    pSignature: CK_BYTE_PTR,
    pulSignatureLen: CK_ULONG_PTR,
) -> CK_RV {
    guard("C_SignMessageNext", || no_operation(hSession))
}

/// No operation of this kind can be active yet.
///
/// # Safety
/// Pointer arguments must satisfy the PKCS#11 specification of this function.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn C_MessageSignFinal(hSession: CK_SESSION_HANDLE) -> CK_RV {
    guard("C_MessageSignFinal", || no_operation(hSession))
}

/// Not offered yet: no mechanism is available.
///
/// # Safety
/// Pointer arguments must satisfy the PKCS#11 specification of this function.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn C_MessageVerifyInit(
    hSession: CK_SESSION_HANDLE,
    pMechanism: CK_MECHANISM_PTR,
    hKey: CK_OBJECT_HANDLE,
) -> CK_RV {
    guard("C_MessageVerifyInit", || no_mechanism(hSession, pMechanism))
}

/// No operation of this kind can be active yet.
///
/// # Safety
/// Pointer arguments must satisfy the PKCS#11 specification of this function.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn C_VerifyMessage(
    hSession: CK_SESSION_HANDLE,
    pParameter: CK_VOID_PTR,
    ulParameterLen: CK_ULONG,
    pData: CK_BYTE_PTR,
    ulDataLen: CK_ULONG,
    pSignature: CK_BYTE_PTR,
    ulSignatureLen: CK_ULONG,
) -> CK_RV {
    guard("C_VerifyMessage", || no_operation(hSession))
}

/// No operation of this kind can be active yet.
///
/// # Safety
/// Pointer arguments must satisfy the PKCS#11 specification of this function.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn C_VerifyMessageBegin(
    hSession: CK_SESSION_HANDLE,
    pParameter: CK_VOID_PTR,
    ulParameterLen: CK_ULONG,
) -> CK_RV {
    guard("C_VerifyMessageBegin", || no_operation(hSession))
}

/// No operation of this kind can be active yet.
///
/// # Safety
/// Pointer arguments must satisfy the PKCS#11 specification of this function.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn C_VerifyMessageNext(
    hSession: CK_SESSION_HANDLE,
    pParameter: CK_VOID_PTR,
    ulParameterLen: CK_ULONG,
    pData: CK_BYTE_PTR,
    ulDataLen: CK_ULONG,
    pSignature: CK_BYTE_PTR,
    ulSignatureLen: CK_ULONG,
) -> CK_RV {
    guard("C_VerifyMessageNext", || no_operation(hSession))
}

/// No operation of this kind can be active yet.
///
/// # Safety
/// Pointer arguments must satisfy the PKCS#11 specification of this function.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn C_MessageVerifyFinal(hSession: CK_SESSION_HANDLE) -> CK_RV {
    guard("C_MessageVerifyFinal", || no_operation(hSession))
}
