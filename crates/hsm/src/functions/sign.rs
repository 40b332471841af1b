//! C_Sign*, C_Verify*, C_SignRecover, C_VerifyRecover and the dual sign/verify updates.

use craton_token::crypto::SigKind;
use craton_token::ops::Out;
use pkcs11_sys::*;

use crate::mech::produce;
use crate::state::{self, guard};
use crate::{mech, ptr};

/// Shared body of the four `*Init` calls.
///
/// # Safety
/// `p` per the spec of the calling function.
unsafe fn init(
    h: CK_SESSION_HANDLE,
    kind: SigKind,
    p: CK_MECHANISM_PTR,
    key: CK_OBJECT_HANDLE,
) -> craton_token::Result<()> {
    let module = state::module()?;
    module.check_session(h as u64)?;
    // SAFETY: forwarded contract.
    let m = unsafe { mech::read(p) }?;
    module.sig_init(h as u64, kind, &m, key as u64)
}

/// Start a signature or MAC.
///
/// # Safety
/// Pointer arguments must satisfy the PKCS#11 specification of this function.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn C_SignInit(
    hSession: CK_SESSION_HANDLE,
    pMechanism: CK_MECHANISM_PTR,
    hKey: CK_OBJECT_HANDLE,
) -> CK_RV {
    // SAFETY: pMechanism per the spec.
    guard("C_SignInit", || unsafe { init(hSession, SigKind::Sign, pMechanism, hKey) })
}

/// Sign in one call.
///
/// # Safety
/// Pointer arguments must satisfy the PKCS#11 specification of this function.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn C_Sign(
    hSession: CK_SESSION_HANDLE,
    pData: CK_BYTE_PTR,
    ulDataLen: CK_ULONG,
    pSignature: CK_BYTE_PTR,
    pulSignatureLen: CK_ULONG_PTR,
) -> CK_RV {
    guard("C_Sign", || {
        let module = state::module()?;
        // SAFETY: pData covers ulDataLen bytes.
        let data = unsafe { ptr::slice(pData, ulDataLen) }?;
        // SAFETY: output pointers per the spec.
        unsafe {
            produce(pSignature, pulSignatureLen, |cap| {
                module.sign(hSession as u64, SigKind::Sign, data, cap)
            })
        }
    })
}

/// Continue a multi-part signature.
///
/// # Safety
/// Pointer arguments must satisfy the PKCS#11 specification of this function.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn C_SignUpdate(
    hSession: CK_SESSION_HANDLE,
    pPart: CK_BYTE_PTR,
    ulPartLen: CK_ULONG,
) -> CK_RV {
    guard("C_SignUpdate", || {
        let module = state::module()?;
        // SAFETY: pPart covers ulPartLen bytes.
        let data = unsafe { ptr::slice(pPart, ulPartLen) }?;
        module.sig_update(hSession as u64, SigKind::Sign, data)
    })
}

/// Finish a multi-part signature.
///
/// # Safety
/// Pointer arguments must satisfy the PKCS#11 specification of this function.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn C_SignFinal(
    hSession: CK_SESSION_HANDLE,
    pSignature: CK_BYTE_PTR,
    pulSignatureLen: CK_ULONG_PTR,
) -> CK_RV {
    guard("C_SignFinal", || {
        let module = state::module()?;
        // SAFETY: output pointers per the spec.
        unsafe {
            produce(pSignature, pulSignatureLen, |cap| module.sign_final(hSession as u64, cap))
        }
    })
}

/// Start a signature with data recovery.
///
/// # Safety
/// Pointer arguments must satisfy the PKCS#11 specification of this function.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn C_SignRecoverInit(
    hSession: CK_SESSION_HANDLE,
    pMechanism: CK_MECHANISM_PTR,
    hKey: CK_OBJECT_HANDLE,
) -> CK_RV {
    // SAFETY: pMechanism per the spec.
    guard("C_SignRecoverInit", || unsafe { init(hSession, SigKind::SignRecover, pMechanism, hKey) })
}

/// Sign with data recovery.
///
/// # Safety
/// Pointer arguments must satisfy the PKCS#11 specification of this function.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn C_SignRecover(
    hSession: CK_SESSION_HANDLE,
    pData: CK_BYTE_PTR,
    ulDataLen: CK_ULONG,
    pSignature: CK_BYTE_PTR,
    pulSignatureLen: CK_ULONG_PTR,
) -> CK_RV {
    guard("C_SignRecover", || {
        let module = state::module()?;
        // SAFETY: pData covers ulDataLen bytes.
        let data = unsafe { ptr::slice(pData, ulDataLen) }?;
        // SAFETY: output pointers per the spec.
        unsafe {
            produce(pSignature, pulSignatureLen, |cap| {
                module.sign(hSession as u64, SigKind::SignRecover, data, cap)
            })
        }
    })
}

/// Start a verification.
///
/// # Safety
/// Pointer arguments must satisfy the PKCS#11 specification of this function.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn C_VerifyInit(
    hSession: CK_SESSION_HANDLE,
    pMechanism: CK_MECHANISM_PTR,
    hKey: CK_OBJECT_HANDLE,
) -> CK_RV {
    // SAFETY: pMechanism per the spec.
    guard("C_VerifyInit", || unsafe { init(hSession, SigKind::Verify, pMechanism, hKey) })
}

/// Verify in one call.
///
/// # Safety
/// Pointer arguments must satisfy the PKCS#11 specification of this function.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn C_Verify(
    hSession: CK_SESSION_HANDLE,
    pData: CK_BYTE_PTR,
    ulDataLen: CK_ULONG,
    pSignature: CK_BYTE_PTR,
    ulSignatureLen: CK_ULONG,
) -> CK_RV {
    guard("C_Verify", || {
        let module = state::module()?;
        // SAFETY: each pointer covers its stated length.
        let (data, sig) =
            unsafe { (ptr::slice(pData, ulDataLen)?, ptr::slice(pSignature, ulSignatureLen)?) };
        module.verify(hSession as u64, data, sig)
    })
}

/// Continue a multi-part verification.
///
/// # Safety
/// Pointer arguments must satisfy the PKCS#11 specification of this function.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn C_VerifyUpdate(
    hSession: CK_SESSION_HANDLE,
    pPart: CK_BYTE_PTR,
    ulPartLen: CK_ULONG,
) -> CK_RV {
    guard("C_VerifyUpdate", || {
        let module = state::module()?;
        // SAFETY: pPart covers ulPartLen bytes.
        let data = unsafe { ptr::slice(pPart, ulPartLen) }?;
        module.sig_update(hSession as u64, SigKind::Verify, data)
    })
}

/// Finish a multi-part verification.
///
/// # Safety
/// Pointer arguments must satisfy the PKCS#11 specification of this function.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn C_VerifyFinal(
    hSession: CK_SESSION_HANDLE,
    pSignature: CK_BYTE_PTR,
    ulSignatureLen: CK_ULONG,
) -> CK_RV {
    guard("C_VerifyFinal", || {
        let module = state::module()?;
        // SAFETY: pSignature covers ulSignatureLen bytes.
        let sig = unsafe { ptr::slice(pSignature, ulSignatureLen) }?;
        module.verify_final(hSession as u64, sig)
    })
}

/// Start a verification with data recovery.
///
/// # Safety
/// Pointer arguments must satisfy the PKCS#11 specification of this function.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn C_VerifyRecoverInit(
    hSession: CK_SESSION_HANDLE,
    pMechanism: CK_MECHANISM_PTR,
    hKey: CK_OBJECT_HANDLE,
) -> CK_RV {
    // SAFETY: pMechanism per the spec.
    guard("C_VerifyRecoverInit", || unsafe {
        init(hSession, SigKind::VerifyRecover, pMechanism, hKey)
    })
}

/// Verify and recover the signed data.
///
/// # Safety
/// Pointer arguments must satisfy the PKCS#11 specification of this function.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn C_VerifyRecover(
    hSession: CK_SESSION_HANDLE,
    pSignature: CK_BYTE_PTR,
    ulSignatureLen: CK_ULONG,
    pData: CK_BYTE_PTR,
    pulDataLen: CK_ULONG_PTR,
) -> CK_RV {
    guard("C_VerifyRecover", || {
        let module = state::module()?;
        // SAFETY: pSignature covers ulSignatureLen bytes.
        let sig = unsafe { ptr::slice(pSignature, ulSignatureLen) }?;
        // SAFETY: output pointers per the spec.
        unsafe {
            produce(pData, pulDataLen, |cap| module.verify_recover(hSession as u64, sig, cap))
        }
    })
}

/// Sign and encrypt the same part.
///
/// # Safety
/// Pointer arguments must satisfy the PKCS#11 specification of this function.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn C_SignEncryptUpdate(
    hSession: CK_SESSION_HANDLE,
    pPart: CK_BYTE_PTR,
    ulPartLen: CK_ULONG,
    pEncryptedPart: CK_BYTE_PTR,
    pulEncryptedPartLen: CK_ULONG_PTR,
) -> CK_RV {
    guard("C_SignEncryptUpdate", || {
        let module = state::module()?;
        let h = hSession as u64;
        // SAFETY: pPart covers ulPartLen bytes.
        let data = unsafe { ptr::slice(pPart, ulPartLen) }?;
        // SAFETY: output pointers per the spec.
        unsafe {
            produce(pEncryptedPart, pulEncryptedPartLen, |cap| {
                let r = module.cipher_update(h, true, data, cap)?;
                if matches!(r, Out::Data(_)) {
                    module.sig_update(h, SigKind::Sign, data)?;
                }
                Ok(r)
            })
        }
    })
}

/// Decrypt a part and verify the plaintext.
///
/// # Safety
/// Pointer arguments must satisfy the PKCS#11 specification of this function.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn C_DecryptVerifyUpdate(
    hSession: CK_SESSION_HANDLE,
    pEncryptedPart: CK_BYTE_PTR,
    ulEncryptedPartLen: CK_ULONG,
    pPart: CK_BYTE_PTR,
    pulPartLen: CK_ULONG_PTR,
) -> CK_RV {
    guard("C_DecryptVerifyUpdate", || {
        let module = state::module()?;
        let h = hSession as u64;
        // SAFETY: pEncryptedPart covers ulEncryptedPartLen bytes.
        let data = unsafe { ptr::slice(pEncryptedPart, ulEncryptedPartLen) }?;
        // SAFETY: output pointers per the spec.
        unsafe {
            produce(pPart, pulPartLen, |cap| {
                let r = module.cipher_update(h, false, data, cap)?;
                if let Out::Data(d) = &r {
                    module.sig_update(h, SigKind::Verify, d)?;
                }
                Ok(r)
            })
        }
    })
}
