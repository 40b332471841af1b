//! C_GenerateKey, C_GenerateKeyPair, C_WrapKey, C_UnwrapKey and C_DeriveKey.

use pkcs11_sys::*;

use crate::state::{self, guard};
use crate::{mech, ptr};

/// Generate a secret key.
///
/// # Safety
/// Pointer arguments must satisfy the PKCS#11 specification of this function.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn C_GenerateKey(
    hSession: CK_SESSION_HANDLE,
    pMechanism: CK_MECHANISM_PTR,
    pTemplate: CK_ATTRIBUTE_PTR,
    ulCount: CK_ULONG,
    phKey: CK_OBJECT_HANDLE_PTR,
) -> CK_RV {
    guard("C_GenerateKey", || {
        let module = state::module()?;
        module.check_session(hSession as u64)?;
        // SAFETY: pMechanism and pTemplate per the spec.
        let (m, t) = unsafe { (mech::read(pMechanism)?, ptr::read_template(pTemplate, ulCount)?) };
        if phKey.is_null() {
            return Err(craton_token::Error::ArgumentsBad);
        }
        let h = module.generate_key(hSession as u64, &m, &t)?;
        // SAFETY: phKey checked non-NULL, valid for a write per the spec.
        unsafe { ptr::write(phKey, h as CK_OBJECT_HANDLE) }
    })
}

/// Generate a key pair.
///
/// # Safety
/// Pointer arguments must satisfy the PKCS#11 specification of this function.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn C_GenerateKeyPair(
    hSession: CK_SESSION_HANDLE,
    pMechanism: CK_MECHANISM_PTR,
    pPublicKeyTemplate: CK_ATTRIBUTE_PTR,
    ulPublicKeyAttributeCount: CK_ULONG,
    pPrivateKeyTemplate: CK_ATTRIBUTE_PTR,
    ulPrivateKeyAttributeCount: CK_ULONG,
    phPublicKey: CK_OBJECT_HANDLE_PTR,
    phPrivateKey: CK_OBJECT_HANDLE_PTR,
) -> CK_RV {
    guard("C_GenerateKeyPair", || {
        let module = state::module()?;
        module.check_session(hSession as u64)?;
        // SAFETY: pMechanism and both templates per the spec.
        let (m, pt, kt) = unsafe {
            (
                mech::read(pMechanism)?,
                ptr::read_template(pPublicKeyTemplate, ulPublicKeyAttributeCount)?,
                ptr::read_template(pPrivateKeyTemplate, ulPrivateKeyAttributeCount)?,
            )
        };
        if phPublicKey.is_null() || phPrivateKey.is_null() {
            return Err(craton_token::Error::ArgumentsBad);
        }
        let (p, k) = module.generate_key_pair(hSession as u64, &m, &pt, &kt)?;
        // SAFETY: both checked non-NULL, valid for writes per the spec.
        unsafe {
            ptr::write(phPublicKey, p as CK_OBJECT_HANDLE)?;
            ptr::write(phPrivateKey, k as CK_OBJECT_HANDLE)
        }
    })
}

/// Wrap (encrypt) a key.
///
/// # Safety
/// Pointer arguments must satisfy the PKCS#11 specification of this function.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn C_WrapKey(
    hSession: CK_SESSION_HANDLE,
    pMechanism: CK_MECHANISM_PTR,
    hWrappingKey: CK_OBJECT_HANDLE,
    hKey: CK_OBJECT_HANDLE,
    pWrappedKey: CK_BYTE_PTR,
    pulWrappedKeyLen: CK_ULONG_PTR,
) -> CK_RV {
    guard("C_WrapKey", || {
        let module = state::module()?;
        module.check_session(hSession as u64)?;
        // SAFETY: pMechanism per the spec.
        let m = unsafe { mech::read(pMechanism) }?;
        let wrapped = module.wrap_key(hSession as u64, &m, hWrappingKey as u64, hKey as u64)?;
        // SAFETY: output pointers per the spec.
        unsafe { mech::deliver_whole(wrapped.to_vec(), pWrappedKey, pulWrappedKeyLen) }
    })
}

/// Unwrap (decrypt) a key into a new object.
///
/// # Safety
/// Pointer arguments must satisfy the PKCS#11 specification of this function.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn C_UnwrapKey(
    hSession: CK_SESSION_HANDLE,
    pMechanism: CK_MECHANISM_PTR,
    hUnwrappingKey: CK_OBJECT_HANDLE,
    pWrappedKey: CK_BYTE_PTR,
    ulWrappedKeyLen: CK_ULONG,
    pTemplate: CK_ATTRIBUTE_PTR,
    ulAttributeCount: CK_ULONG,
    phKey: CK_OBJECT_HANDLE_PTR,
) -> CK_RV {
    guard("C_UnwrapKey", || {
        let module = state::module()?;
        module.check_session(hSession as u64)?;
        // SAFETY: pMechanism, pWrappedKey and pTemplate per the spec.
        let (m, wrapped, t) = unsafe {
            (
                mech::read(pMechanism)?,
                ptr::required_slice(pWrappedKey, ulWrappedKeyLen)?,
                ptr::read_template(pTemplate, ulAttributeCount)?,
            )
        };
        if phKey.is_null() {
            return Err(craton_token::Error::ArgumentsBad);
        }
        let h = module.unwrap_key(hSession as u64, &m, hUnwrappingKey as u64, wrapped, &t)?;
        // SAFETY: phKey checked non-NULL, valid for a write per the spec.
        unsafe { ptr::write(phKey, h as CK_OBJECT_HANDLE) }
    })
}

/// Derive a key from a base key.
///
/// # Safety
/// Pointer arguments must satisfy the PKCS#11 specification of this function.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn C_DeriveKey(
    hSession: CK_SESSION_HANDLE,
    pMechanism: CK_MECHANISM_PTR,
    hBaseKey: CK_OBJECT_HANDLE,
    pTemplate: CK_ATTRIBUTE_PTR,
    ulAttributeCount: CK_ULONG,
    phKey: CK_OBJECT_HANDLE_PTR,
) -> CK_RV {
    guard("C_DeriveKey", || {
        let module = state::module()?;
        module.check_session(hSession as u64)?;
        // SAFETY: pMechanism and pTemplate per the spec.
        let (m, t) =
            unsafe { (mech::read(pMechanism)?, ptr::read_template(pTemplate, ulAttributeCount)?) };
        if phKey.is_null() {
            return Err(craton_token::Error::ArgumentsBad);
        }
        let handles = module.derive_key(hSession as u64, &m, hBaseKey as u64, &t)?;
        let (first, more) = handles.split_first().ok_or(craton_token::Error::GeneralError)?;
        if !more.is_empty() {
            // SAFETY: pMechanism was read successfully above, as `read` requires.
            let outs = unsafe { mech::kbkdf_key_outputs(pMechanism) }?;
            for (out, h) in outs.iter().zip(more) {
                // SAFETY: each phKey of CK_DERIVED_KEY was checked non-NULL when read, and
                // is valid for a write per the spec.
                unsafe { ptr::write(*out, *h as CK_OBJECT_HANDLE) }?;
            }
        }
        // SAFETY: phKey checked non-NULL, valid for a write per the spec.
        unsafe { ptr::write(phKey, *first as CK_OBJECT_HANDLE) }
    })
}
