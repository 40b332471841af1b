//! Slots, tokens, mechanisms and PIN management.

use craton_token::Error;
use craton_token::mechanism;
use pkcs11_sys::*;

use crate::ptr;
use crate::state::{self, guard};

/// `YYYYMMDDhhmmss00` in UTC, as CK_TOKEN_INFO.utcTime wants it.
pub fn utc_time() -> [u8; 16] {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    let s = format!(
        "{year:04}{month:02}{day:02}{:02}{:02}{:02}00",
        rem / 3600,
        rem / 60 % 60,
        rem % 60
    );
    ptr::pad(s.as_bytes())
}

/// The slot list (every slot always has its token present).
///
/// # Safety
/// Pointer arguments must satisfy the PKCS#11 specification of this function.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn C_GetSlotList(
    tokenPresent: CK_BBOOL,
    pSlotList: CK_SLOT_ID_PTR,
    pulCount: CK_ULONG_PTR,
) -> CK_RV {
    guard("C_GetSlotList", || {
        let _ = tokenPresent;
        let slots: Vec<CK_SLOT_ID> =
            state::module()?.slot_list()?.into_iter().map(|s| s as CK_SLOT_ID).collect();
        // SAFETY: pulCount valid per the spec; pSlotList NULL or *pulCount entries long.
        unsafe { ptr::write_list(pSlotList, pulCount, &slots) }
    })
}

/// Slot information.
///
/// # Safety
/// Pointer arguments must satisfy the PKCS#11 specification of this function.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn C_GetSlotInfo(slotID: CK_SLOT_ID, pInfo: CK_SLOT_INFO_PTR) -> CK_RV {
    guard("C_GetSlotInfo", || {
        state::module()?.check_slot(slotID as u64)?;
        let info = CK_SLOT_INFO {
            slotDescription: ptr::pad(format!("Craton HSM slot {slotID}").as_bytes()),
            manufacturerID: ptr::pad(b"Craton HSM"),
            flags: CKF_TOKEN_PRESENT as CK_FLAGS,
            hardwareVersion: crate::LIBRARY_VERSION,
            firmwareVersion: crate::LIBRARY_VERSION,
        };
        // SAFETY: pInfo NULL or writable per the spec.
        unsafe { ptr::write(pInfo, info) }
    })
}

/// Token information.
///
/// # Safety
/// Pointer arguments must satisfy the PKCS#11 specification of this function.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn C_GetTokenInfo(slotID: CK_SLOT_ID, pInfo: CK_TOKEN_INFO_PTR) -> CK_RV {
    guard("C_GetTokenInfo", || {
        let t = state::module()?.token_info(slotID as u64)?;
        let info = CK_TOKEN_INFO {
            label: t.label,
            manufacturerID: ptr::pad(b"Craton HSM"),
            model: ptr::pad(b"Craton soft"),
            serialNumber: ptr::pad(t.serial.as_bytes()),
            flags: t.flags as CK_FLAGS,
            ulMaxSessionCount: t.max_sessions as CK_ULONG,
            ulSessionCount: t.sessions as CK_ULONG,
            ulMaxRwSessionCount: t.max_sessions as CK_ULONG,
            ulRwSessionCount: t.rw_sessions as CK_ULONG,
            ulMaxPinLen: t.max_pin as CK_ULONG,
            ulMinPinLen: t.min_pin as CK_ULONG,
            ulTotalPublicMemory: CK_UNAVAILABLE_INFORMATION,
            ulFreePublicMemory: CK_UNAVAILABLE_INFORMATION,
            ulTotalPrivateMemory: CK_UNAVAILABLE_INFORMATION,
            ulFreePrivateMemory: CK_UNAVAILABLE_INFORMATION,
            hardwareVersion: crate::LIBRARY_VERSION,
            firmwareVersion: crate::LIBRARY_VERSION,
            utcTime: utc_time(),
        };
        // SAFETY: pInfo NULL or writable per the spec.
        unsafe { ptr::write(pInfo, info) }
    })
}

/// Slot events are not reported: slots only change through this library's own calls.
///
/// # Safety
/// Pointer arguments must satisfy the PKCS#11 specification of this function.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn C_WaitForSlotEvent(
    flags: CK_FLAGS,
    pSlot: CK_SLOT_ID_PTR,
    pRserved: CK_VOID_PTR,
) -> CK_RV {
    guard("C_WaitForSlotEvent", || {
        let _ = (flags, pSlot, pRserved);
        state::module()?;
        Err(Error::FunctionNotSupported)
    })
}

/// The mechanisms of a slot's token (the registry, crates/token/src/mechanism.rs).
///
/// # Safety
/// Pointer arguments must satisfy the PKCS#11 specification of this function.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn C_GetMechanismList(
    slotID: CK_SLOT_ID,
    pMechanismList: CK_MECHANISM_TYPE_PTR,
    pulCount: CK_ULONG_PTR,
) -> CK_RV {
    guard("C_GetMechanismList", || {
        state::module()?.check_slot(slotID as u64)?;
        let list: Vec<CK_MECHANISM_TYPE> =
            mechanism::ALL.iter().map(|m| m.ty as CK_MECHANISM_TYPE).collect();
        // SAFETY: pulCount valid per the spec; the list pointer NULL or *pulCount long.
        unsafe { ptr::write_list(pMechanismList, pulCount, &list) }
    })
}

/// Key sizes and functions of one mechanism.
///
/// # Safety
/// Pointer arguments must satisfy the PKCS#11 specification of this function.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn C_GetMechanismInfo(
    slotID: CK_SLOT_ID,
    type_: CK_MECHANISM_TYPE,
    pInfo: CK_MECHANISM_INFO_PTR,
) -> CK_RV {
    guard("C_GetMechanismInfo", || {
        state::module()?.check_slot(slotID as u64)?;
        let m = mechanism::info(type_ as u64).ok_or(Error::MechanismInvalid)?;
        let info = CK_MECHANISM_INFO {
            ulMinKeySize: m.min as CK_ULONG,
            ulMaxKeySize: m.max as CK_ULONG,
            flags: m.flags as CK_FLAGS,
        };
        // SAFETY: pInfo valid for a write per the spec (NULL is refused).
        unsafe { ptr::write(pInfo, info) }
    })
}

/// Initialize or re-initialize a token.
///
/// # Safety
/// Pointer arguments must satisfy the PKCS#11 specification of this function.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn C_InitToken(
    slotID: CK_SLOT_ID,
    pPin: CK_UTF8CHAR_PTR,
    ulPinLen: CK_ULONG,
    pLabel: CK_UTF8CHAR_PTR,
) -> CK_RV {
    guard("C_InitToken", || {
        let m = state::module()?;
        // SAFETY: pPin covers ulPinLen bytes when non-NULL; pLabel is 32 bytes per the spec.
        let (pin, label) =
            unsafe { (ptr::required_slice(pPin, ulPinLen)?, ptr::required_slice(pLabel, 32)?) };
        let label: [u8; 32] = label.try_into().map_err(|_| Error::ArgumentsBad)?;
        m.init_token(slotID as u64, pin, &label)
    })
}

/// The SO sets the user PIN.
///
/// # Safety
/// Pointer arguments must satisfy the PKCS#11 specification of this function.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn C_InitPIN(
    hSession: CK_SESSION_HANDLE,
    pPin: CK_UTF8CHAR_PTR,
    ulPinLen: CK_ULONG,
) -> CK_RV {
    guard("C_InitPIN", || {
        let m = state::module()?;
        m.check_session(hSession)?;
        // SAFETY: pPin covers ulPinLen bytes when non-NULL.
        let pin = unsafe { ptr::required_slice(pPin, ulPinLen) }?;
        m.init_pin(hSession, pin)
    })
}

/// Change the current PIN.
///
/// # Safety
/// Pointer arguments must satisfy the PKCS#11 specification of this function.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn C_SetPIN(
    hSession: CK_SESSION_HANDLE,
    pOldPin: CK_UTF8CHAR_PTR,
    ulOldLen: CK_ULONG,
    pNewPin: CK_UTF8CHAR_PTR,
    ulNewLen: CK_ULONG,
) -> CK_RV {
    guard("C_SetPIN", || {
        let m = state::module()?;
        m.check_session(hSession)?;
        // SAFETY: each PIN pointer covers its length when non-NULL.
        let (old, new) = unsafe {
            (ptr::required_slice(pOldPin, ulOldLen)?, ptr::required_slice(pNewPin, ulNewLen)?)
        };
        m.set_pin(hSession, old, new)
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn utc_time_shape() {
        let t = super::utc_time();
        assert!(t.iter().all(u8::is_ascii_digit), "{:?}", String::from_utf8_lossy(&t));
        assert!(t.starts_with(b"20"));
        assert_eq!(&t[14..], b"00");
    }
}
