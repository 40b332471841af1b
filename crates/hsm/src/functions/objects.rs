//! Object management and search.

use craton_token::objects::AttrValue;
use craton_token::templates;
use craton_token::types::AttrType;
use craton_token::{Error, Result};
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
                AttrValue::Value(v) if templates::is_template(AttrType(a.type_)) => {
                    // SAFETY: pValue is NULL or, per the spec for array attributes, an array
                    // of ulValueLen bytes of CK_ATTRIBUTEs whose own buffers the caller set.
                    if let Err(e) = unsafe { write_template(a, &v) } {
                        result = Err(e);
                    }
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

/// Answer a template attribute (an array of `CK_ATTRIBUTE`): with `pValue` NULL, the array's
/// size; otherwise each element gets its type, and its value or length by the usual rules.
///
/// # Safety
/// `a.pValue` must be NULL or valid for writes of `a.ulValueLen` bytes holding
/// `CK_ATTRIBUTE`s whose `pValue`s are NULL or valid for their `ulValueLen` bytes.
unsafe fn write_template(a: &mut CK_ATTRIBUTE, stored: &[u8]) -> Result<()> {
    let list = templates::decode(stored).ok_or(Error::GeneralError)?;
    let need = (list.len() * size_of::<CK_ATTRIBUTE>()) as CK_ULONG;
    if a.pValue.is_null() {
        a.ulValueLen = need;
        return Ok(());
    }
    if a.ulValueLen < need {
        a.ulValueLen = CK_UNAVAILABLE_INFORMATION;
        return Err(Error::BufferTooSmall);
    }
    // SAFETY: per the contract, pValue holds at least `need` bytes of CK_ATTRIBUTEs;
    // `slice_mut` checks alignment.
    let inner = unsafe { ptr::slice_mut(a.pValue as *mut CK_ATTRIBUTE, list.len() as CK_ULONG) }?;
    let mut result = Ok(());
    for (slot, (t, v)) in inner.iter_mut().zip(list.iter()) {
        slot.type_ = t.0 as CK_ATTRIBUTE_TYPE;
        if slot.pValue.is_null() {
            slot.ulValueLen = v.len() as CK_ULONG;
        } else if (slot.ulValueLen as u128) < v.len() as u128 {
            slot.ulValueLen = CK_UNAVAILABLE_INFORMATION;
            result = Err(Error::BufferTooSmall);
        } else {
            // SAFETY: non-NULL, and the caller declared ulValueLen >= v.len() bytes there.
            unsafe { ptr::copy_out(slot.pValue as *mut u8, v) };
            slot.ulValueLen = v.len() as CK_ULONG;
        }
    }
    a.ulValueLen = need;
    result
}
