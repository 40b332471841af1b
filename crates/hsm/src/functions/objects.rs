//! Object management and search.

use craton_token::Error;
use craton_token::objects::AttrValue;
use craton_token::types::AttrType;
use pkcs11_sys::*;

use crate::ptr;
use crate::state::{self, guard};

/// Create an object from a template.
///
/// # Safety
/// Pointer arguments must satisfy the PKCS#11 specification of this function.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn C_CreateObject(
    hSession: CK_SESSION_HANDLE,
    pTemplate: CK_ATTRIBUTE_PTR,
    ulCount: CK_ULONG,
    phObject: CK_OBJECT_HANDLE_PTR,
) -> CK_RV {
    guard("C_CreateObject", || {
        let m = state::module()?;
        m.check_session(hSession)?;
        // SAFETY: pTemplate is NULL or ulCount attributes, each value covering its length.
        let template = unsafe { ptr::read_template(pTemplate, ulCount) }?;
        if phObject.is_null() {
            return Err(Error::ArgumentsBad);
        }
        let h = m.create_object(hSession, &template)?;
        // SAFETY: phObject checked non-NULL; writable per the spec.
        unsafe { ptr::write(phObject, h as CK_OBJECT_HANDLE) }
    })
}

/// Copy an object, changing the attributes the template names.
///
/// # Safety
/// Pointer arguments must satisfy the PKCS#11 specification of this function.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn C_CopyObject(
    hSession: CK_SESSION_HANDLE,
    hObject: CK_OBJECT_HANDLE,
    pTemplate: CK_ATTRIBUTE_PTR,
    ulCount: CK_ULONG,
    phNewObject: CK_OBJECT_HANDLE_PTR,
) -> CK_RV {
    guard("C_CopyObject", || {
        let m = state::module()?;
        m.check_session(hSession)?;
        // SAFETY: as for C_CreateObject.
        let template = unsafe { ptr::read_template(pTemplate, ulCount) }?;
        if phNewObject.is_null() {
            return Err(Error::ArgumentsBad);
        }
        let h = m.copy_object(hSession, hObject, &template)?;
        // SAFETY: phNewObject checked non-NULL; writable per the spec.
        unsafe { ptr::write(phNewObject, h as CK_OBJECT_HANDLE) }
    })
}

/// Destroy an object.
///
/// # Safety
/// Pointer arguments must satisfy the PKCS#11 specification of this function.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn C_DestroyObject(
    hSession: CK_SESSION_HANDLE,
    hObject: CK_OBJECT_HANDLE,
) -> CK_RV {
    guard("C_DestroyObject", || state::module()?.destroy_object(hSession, hObject))
}

/// The size of an object.
///
/// # Safety
/// Pointer arguments must satisfy the PKCS#11 specification of this function.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn C_GetObjectSize(
    hSession: CK_SESSION_HANDLE,
    hObject: CK_OBJECT_HANDLE,
    pulSize: CK_ULONG_PTR,
) -> CK_RV {
    guard("C_GetObjectSize", || {
        let m = state::module()?;
        m.check_session(hSession)?;
        if pulSize.is_null() {
            return Err(Error::ArgumentsBad);
        }
        let size = m.object_size(hSession, hObject)?;
        // SAFETY: pulSize checked non-NULL; writable per the spec.
        unsafe { ptr::write(pulSize, size as CK_ULONG) }
    })
}

/// Read attributes. Every entry is answered; the call reports the last problem met
/// (sensitive, invalid type, buffer too small) with that entry's length unavailable.
///
/// # Safety
/// Pointer arguments must satisfy the PKCS#11 specification of this function.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn C_GetAttributeValue(
    hSession: CK_SESSION_HANDLE,
    hObject: CK_OBJECT_HANDLE,
    pTemplate: CK_ATTRIBUTE_PTR,
    ulCount: CK_ULONG,
) -> CK_RV {
    guard("C_GetAttributeValue", || {
        let m = state::module()?;
        m.check_session(hSession)?;
        // SAFETY: pTemplate is NULL or ulCount writable attributes per the spec.
        let template = unsafe { ptr::slice_mut(pTemplate, ulCount) }?;
        let types: Vec<AttrType> = template.iter().map(|a| AttrType(a.type_)).collect();
        let values = m.get_attributes(hSession, hObject, &types)?;
        let mut result = Ok(());
        for (a, v) in template.iter_mut().zip(values) {
            match v {
                AttrValue::Invalid => {
                    a.ulValueLen = CK_UNAVAILABLE_INFORMATION;
                    result = Err(Error::AttributeTypeInvalid);
                }
                AttrValue::Sensitive => {
                    a.ulValueLen = CK_UNAVAILABLE_INFORMATION;
                    result = Err(Error::AttributeSensitive);
                }
                AttrValue::Value(v) if a.pValue.is_null() => a.ulValueLen = v.len() as CK_ULONG,
                AttrValue::Value(v) if (a.ulValueLen as u128) < v.len() as u128 => {
                    a.ulValueLen = CK_UNAVAILABLE_INFORMATION;
                    result = Err(Error::BufferTooSmall);
                }
                AttrValue::Value(v) => {
                    // SAFETY: pValue is non-NULL and the caller declared ulValueLen >= v.len()
                    // writable bytes there.
                    unsafe { ptr::copy_out(a.pValue as *mut u8, &v) };
                    a.ulValueLen = v.len() as CK_ULONG;
                }
            }
        }
        result
    })
}

/// Change attributes.
///
/// # Safety
/// Pointer arguments must satisfy the PKCS#11 specification of this function.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn C_SetAttributeValue(
    hSession: CK_SESSION_HANDLE,
    hObject: CK_OBJECT_HANDLE,
    pTemplate: CK_ATTRIBUTE_PTR,
    ulCount: CK_ULONG,
) -> CK_RV {
    guard("C_SetAttributeValue", || {
        let m = state::module()?;
        m.check_session(hSession)?;
        // SAFETY: as for C_CreateObject.
        let template = unsafe { ptr::read_template(pTemplate, ulCount) }?;
        m.set_attributes(hSession, hObject, &template)
    })
}

/// Start a search.
///
/// # Safety
/// Pointer arguments must satisfy the PKCS#11 specification of this function.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn C_FindObjectsInit(
    hSession: CK_SESSION_HANDLE,
    pTemplate: CK_ATTRIBUTE_PTR,
    ulCount: CK_ULONG,
) -> CK_RV {
    guard("C_FindObjectsInit", || {
        let m = state::module()?;
        m.check_session(hSession)?;
        // SAFETY: as for C_CreateObject.
        let template = unsafe { ptr::read_template(pTemplate, ulCount) }?;
        m.find_init(hSession, &template)
    })
}

/// Continue a search.
///
/// # Safety
/// Pointer arguments must satisfy the PKCS#11 specification of this function.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn C_FindObjects(
    hSession: CK_SESSION_HANDLE,
    phObject: CK_OBJECT_HANDLE_PTR,
    ulMaxObjectCount: CK_ULONG,
    pulObjectCount: CK_ULONG_PTR,
) -> CK_RV {
    guard("C_FindObjects", || {
        let m = state::module()?;
        m.check_session(hSession)?;
        if pulObjectCount.is_null() || (phObject.is_null() && ulMaxObjectCount > 0) {
            return Err(Error::ArgumentsBad);
        }
        let max = usize::try_from(ulMaxObjectCount).unwrap_or(usize::MAX);
        let found = m.find_next(hSession, max)?;
        // SAFETY: phObject holds ulMaxObjectCount handles (checked non-NULL when > 0) and
        // found.len() <= that.
        let out = unsafe { ptr::slice_mut(phObject, found.len() as CK_ULONG) }?;
        for (o, h) in out.iter_mut().zip(&found) {
            *o = *h as CK_OBJECT_HANDLE;
        }
        // SAFETY: pulObjectCount checked non-NULL.
        unsafe { ptr::write(pulObjectCount, found.len() as CK_ULONG) }
    })
}

/// End a search.
///
/// # Safety
/// Pointer arguments must satisfy the PKCS#11 specification of this function.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn C_FindObjectsFinal(hSession: CK_SESSION_HANDLE) -> CK_RV {
    guard("C_FindObjectsFinal", || state::module()?.find_final(hSession))
}
