//! C_Encrypt*, C_Decrypt* and C_Digest*.

use craton_token::ops::Out;
use pkcs11_sys::*;

use crate::mech::produce;
use crate::state::{self, guard};
use crate::{mech, ptr};

/// Start an encryption.
///
/// # Safety
/// Pointer arguments must satisfy the PKCS#11 specification of this function.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn C_EncryptInit(
    hSession: CK_SESSION_HANDLE,
    pMechanism: CK_MECHANISM_PTR,
    hKey: CK_OBJECT_HANDLE,
) -> CK_RV {
    guard("C_EncryptInit", || {
        let module = state::module()?;
        module.check_session(hSession as u64)?;
        // SAFETY: pMechanism per the spec.
        let m = unsafe { mech::read(pMechanism) }?;
        module.cipher_init(hSession as u64, &m, hKey as u64, true)
    })
}

/// Encrypt in one call.
///
/// # Safety
/// Pointer arguments must satisfy the PKCS#11 specification of this function.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn C_Encrypt(
    hSession: CK_SESSION_HANDLE,
    pData: CK_BYTE_PTR,
    ulDataLen: CK_ULONG,
    pEncryptedData: CK_BYTE_PTR,
    pulEncryptedDataLen: CK_ULONG_PTR,
) -> CK_RV {
    guard("C_Encrypt", || {
        let module = state::module()?;
        // SAFETY: pData covers ulDataLen bytes.
        let data = unsafe { ptr::slice(pData, ulDataLen) }?;
        // SAFETY: output pointers per the spec; the direct buffer is checked disjoint.
        unsafe {
            produce(pEncryptedData, pulEncryptedDataLen, |cap| {
                let direct = mech::direct_output(pEncryptedData, cap, data);
                module.cipher(hSession as u64, true, data, cap, direct)
            })
        }
    })
}

/// Continue a multi-part encryption.
///
/// # Safety
/// Pointer arguments must satisfy the PKCS#11 specification of this function.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn C_EncryptUpdate(
    hSession: CK_SESSION_HANDLE,
    pPart: CK_BYTE_PTR,
    ulPartLen: CK_ULONG,
    pEncryptedPart: CK_BYTE_PTR,
    pulEncryptedPartLen: CK_ULONG_PTR,
) -> CK_RV {
    guard("C_EncryptUpdate", || {
        let module = state::module()?;
        // SAFETY: pPart covers ulPartLen bytes.
        let data = unsafe { ptr::slice(pPart, ulPartLen) }?;
        // SAFETY: output pointers per the spec.
        unsafe {
            produce(pEncryptedPart, pulEncryptedPartLen, |cap| {
                module.cipher_update(hSession as u64, true, data, cap)
            })
        }
    })
}

/// Finish a multi-part encryption.
///
/// # Safety
/// Pointer arguments must satisfy the PKCS#11 specification of this function.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn C_EncryptFinal(
    hSession: CK_SESSION_HANDLE,
    pLastEncryptedPart: CK_BYTE_PTR,
    pulLastEncryptedPartLen: CK_ULONG_PTR,
) -> CK_RV {
    guard("C_EncryptFinal", || {
        let module = state::module()?;
        // SAFETY: output pointers per the spec.
        unsafe {
            produce(pLastEncryptedPart, pulLastEncryptedPartLen, |cap| {
                module.cipher_final(hSession as u64, true, cap)
            })
        }
    })
}

/// Start a decryption.
///
/// # Safety
/// Pointer arguments must satisfy the PKCS#11 specification of this function.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn C_DecryptInit(
    hSession: CK_SESSION_HANDLE,
    pMechanism: CK_MECHANISM_PTR,
    hKey: CK_OBJECT_HANDLE,
) -> CK_RV {
    guard("C_DecryptInit", || {
        let module = state::module()?;
        module.check_session(hSession as u64)?;
        // SAFETY: pMechanism per the spec.
        let m = unsafe { mech::read(pMechanism) }?;
        module.cipher_init(hSession as u64, &m, hKey as u64, false)
    })
}

/// Decrypt in one call.
///
/// # Safety
/// Pointer arguments must satisfy the PKCS#11 specification of this function.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn C_Decrypt(
    hSession: CK_SESSION_HANDLE,
    pEncryptedData: CK_BYTE_PTR,
    ulEncryptedDataLen: CK_ULONG,
    pData: CK_BYTE_PTR,
    pulDataLen: CK_ULONG_PTR,
) -> CK_RV {
    guard("C_Decrypt", || {
        let module = state::module()?;
        // SAFETY: pEncryptedData covers ulEncryptedDataLen bytes.
        let data = unsafe { ptr::slice(pEncryptedData, ulEncryptedDataLen) }?;
        // SAFETY: output pointers per the spec.
        unsafe {
            produce(pData, pulDataLen, |cap| module.cipher(hSession as u64, false, data, cap, None))
        }
    })
}

/// Continue a multi-part decryption.
///
/// # Safety
/// Pointer arguments must satisfy the PKCS#11 specification of this function.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn C_DecryptUpdate(
    hSession: CK_SESSION_HANDLE,
    pEncryptedPart: CK_BYTE_PTR,
    ulEncryptedPartLen: CK_ULONG,
    pPart: CK_BYTE_PTR,
    pulPartLen: CK_ULONG_PTR,
) -> CK_RV {
    guard("C_DecryptUpdate", || {
        let module = state::module()?;
        // SAFETY: pEncryptedPart covers ulEncryptedPartLen bytes.
        let data = unsafe { ptr::slice(pEncryptedPart, ulEncryptedPartLen) }?;
        // SAFETY: output pointers per the spec.
        unsafe {
            produce(pPart, pulPartLen, |cap| {
                module.cipher_update(hSession as u64, false, data, cap)
            })
        }
    })
}

/// Finish a multi-part decryption.
///
/// # Safety
/// Pointer arguments must satisfy the PKCS#11 specification of this function.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn C_DecryptFinal(
    hSession: CK_SESSION_HANDLE,
    pLastPart: CK_BYTE_PTR,
    pulLastPartLen: CK_ULONG_PTR,
) -> CK_RV {
    guard("C_DecryptFinal", || {
        let module = state::module()?;
        // SAFETY: output pointers per the spec.
        unsafe {
            produce(pLastPart, pulLastPartLen, |cap| {
                module.cipher_final(hSession as u64, false, cap)
            })
        }
    })
}

/// Start a digest.
///
/// # Safety
/// Pointer arguments must satisfy the PKCS#11 specification of this function.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn C_DigestInit(
    hSession: CK_SESSION_HANDLE,
    pMechanism: CK_MECHANISM_PTR,
) -> CK_RV {
    guard("C_DigestInit", || {
        let module = state::module()?;
        module.check_session(hSession as u64)?;
        // SAFETY: pMechanism per the spec.
        let m = unsafe { mech::read(pMechanism) }?;
        module.digest_init(hSession as u64, &m)
    })
}

/// Digest in one call.
///
/// # Safety
/// Pointer arguments must satisfy the PKCS#11 specification of this function.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn C_Digest(
    hSession: CK_SESSION_HANDLE,
    pData: CK_BYTE_PTR,
    ulDataLen: CK_ULONG,
    pDigest: CK_BYTE_PTR,
    pulDigestLen: CK_ULONG_PTR,
) -> CK_RV {
    guard("C_Digest", || {
        let module = state::module()?;
        // SAFETY: pData covers ulDataLen bytes.
        let data = unsafe { ptr::slice(pData, ulDataLen) }?;
        // SAFETY: output pointers per the spec.
        unsafe { produce(pDigest, pulDigestLen, |cap| module.digest(hSession as u64, data, cap)) }
    })
}

/// Continue a digest.
///
/// # Safety
/// Pointer arguments must satisfy the PKCS#11 specification of this function.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn C_DigestUpdate(
    hSession: CK_SESSION_HANDLE,
    pPart: CK_BYTE_PTR,
    ulPartLen: CK_ULONG,
) -> CK_RV {
    guard("C_DigestUpdate", || {
        let module = state::module()?;
        // SAFETY: pPart covers ulPartLen bytes.
        let data = unsafe { ptr::slice(pPart, ulPartLen) }?;
        module.digest_update(hSession as u64, data)
    })
}

/// Digest a secret key's value.
///
/// # Safety
/// Pointer arguments must satisfy the PKCS#11 specification of this function.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn C_DigestKey(hSession: CK_SESSION_HANDLE, hKey: CK_OBJECT_HANDLE) -> CK_RV {
    guard("C_DigestKey", || state::module()?.digest_key(hSession as u64, hKey as u64))
}

/// Finish a digest.
///
/// # Safety
/// Pointer arguments must satisfy the PKCS#11 specification of this function.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn C_DigestFinal(
    hSession: CK_SESSION_HANDLE,
    pDigest: CK_BYTE_PTR,
    pulDigestLen: CK_ULONG_PTR,
) -> CK_RV {
    guard("C_DigestFinal", || {
        let module = state::module()?;
        // SAFETY: output pointers per the spec.
        unsafe { produce(pDigest, pulDigestLen, |cap| module.digest_final(hSession as u64, cap)) }
    })
}

/// Digest and encrypt the same part.
///
/// # Safety
/// Pointer arguments must satisfy the PKCS#11 specification of this function.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn C_DigestEncryptUpdate(
    hSession: CK_SESSION_HANDLE,
    pPart: CK_BYTE_PTR,
    ulPartLen: CK_ULONG,
    pEncryptedPart: CK_BYTE_PTR,
    pulEncryptedPartLen: CK_ULONG_PTR,
) -> CK_RV {
    guard("C_DigestEncryptUpdate", || {
        let module = state::module()?;
        let h = hSession as u64;
        // SAFETY: pPart covers ulPartLen bytes.
        let data = unsafe { ptr::slice(pPart, ulPartLen) }?;
        // SAFETY: output pointers per the spec.
        unsafe {
            produce(pEncryptedPart, pulEncryptedPartLen, |cap| {
                let r = module.cipher_update(h, true, data, cap)?;
                if matches!(r, Out::Data(_)) {
                    module.digest_update(h, data)?;
                }
                Ok(r)
            })
        }
    })
}

/// Decrypt a part and digest the plaintext.
///
/// # Safety
/// Pointer arguments must satisfy the PKCS#11 specification of this function.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn C_DecryptDigestUpdate(
    hSession: CK_SESSION_HANDLE,
    pEncryptedPart: CK_BYTE_PTR,
    ulEncryptedPartLen: CK_ULONG,
    pPart: CK_BYTE_PTR,
    pulPartLen: CK_ULONG_PTR,
) -> CK_RV {
    guard("C_DecryptDigestUpdate", || {
        let module = state::module()?;
        let h = hSession as u64;
        // SAFETY: pEncryptedPart covers ulEncryptedPartLen bytes.
        let data = unsafe { ptr::slice(pEncryptedPart, ulEncryptedPartLen) }?;
        // SAFETY: output pointers per the spec.
        unsafe {
            produce(pPart, pulPartLen, |cap| {
                let r = module.cipher_update(h, false, data, cap)?;
                if let Out::Data(d) = &r {
                    module.digest_update(h, d)?;
                }
                Ok(r)
            })
        }
    })
}
