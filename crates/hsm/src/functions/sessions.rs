//! Sessions and login.

use craton_token::Error;
use craton_token::types::UserType;
use pkcs11_sys::*;

use crate::ptr;
use crate::state::{self, guard};

/// Open a session (notification callbacks are accepted and never called).
///
/// # Safety
/// Pointer arguments must satisfy the PKCS#11 specification of this function.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn C_OpenSession(
    slotID: CK_SLOT_ID,
    flags: CK_FLAGS,
    pApplication: CK_VOID_PTR,
    Notify: CK_NOTIFY,
    phSession: CK_SESSION_HANDLE_PTR,
) -> CK_RV {
    guard("C_OpenSession", || {
        let _ = (pApplication, Notify);
        let m = state::module()?;
        if phSession.is_null() {
            return Err(Error::ArgumentsBad);
        }
        let h = m.open_session(slotID as u64, flags as u64)?;
        // SAFETY: phSession checked non-NULL; writable per the spec.
        unsafe { ptr::write(phSession, h as CK_SESSION_HANDLE) }
    })
}

/// Close one session.
///
/// # Safety
/// Pointer arguments must satisfy the PKCS#11 specification of this function.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn C_CloseSession(hSession: CK_SESSION_HANDLE) -> CK_RV {
    guard("C_CloseSession", || state::module()?.close_session(hSession as u64))
}

/// Close every session of a slot.
///
/// # Safety
/// Pointer arguments must satisfy the PKCS#11 specification of this function.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn C_CloseAllSessions(slotID: CK_SLOT_ID) -> CK_RV {
    guard("C_CloseAllSessions", || state::module()?.close_all_sessions(slotID as u64))
}

/// Session information.
///
/// # Safety
/// Pointer arguments must satisfy the PKCS#11 specification of this function.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn C_GetSessionInfo(
    hSession: CK_SESSION_HANDLE,
    pInfo: CK_SESSION_INFO_PTR,
) -> CK_RV {
    guard("C_GetSessionInfo", || {
        let s = state::module()?.session_info(hSession as u64)?;
        let info = CK_SESSION_INFO {
            slotID: s.slot as CK_SLOT_ID,
            state: s.state as CK_STATE,
            flags: s.flags as CK_FLAGS,
            ulDeviceError: 0,
        };
        // SAFETY: pInfo NULL or writable per the spec.
        unsafe { ptr::write(pInfo, info) }
    })
}

/// Cancel the session's operations named by `flags`.
///
/// # Safety
/// Pointer arguments must satisfy the PKCS#11 specification of this function.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn C_SessionCancel(hSession: CK_SESSION_HANDLE, flags: CK_FLAGS) -> CK_RV {
    guard("C_SessionCancel", || state::module()?.session_cancel(hSession as u64, flags as u64))
}

/// Save the session's digest state (other operations cannot be saved).
///
/// # Safety
/// Pointer arguments must satisfy the PKCS#11 specification of this function.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn C_GetOperationState(
    hSession: CK_SESSION_HANDLE,
    pOperationState: CK_BYTE_PTR,
    pulOperationStateLen: CK_ULONG_PTR,
) -> CK_RV {
    guard("C_GetOperationState", || {
        let module = state::module()?;
        let blob = module.get_operation_state(hSession)?;
        // SAFETY: output pointers per the spec.
        unsafe { crate::mech::deliver_whole(blob, pOperationState, pulOperationStateLen) }
    })
}

/// Restore a digest saved by C_GetOperationState in this process.
///
/// # Safety
/// Pointer arguments must satisfy the PKCS#11 specification of this function.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn C_SetOperationState(
    hSession: CK_SESSION_HANDLE,
    pOperationState: CK_BYTE_PTR,
    ulOperationStateLen: CK_ULONG,
    hEncryptionKey: CK_OBJECT_HANDLE,
    hAuthenticationKey: CK_OBJECT_HANDLE,
) -> CK_RV {
    guard("C_SetOperationState", || {
        let module = state::module()?;
        // SAFETY: pOperationState covers ulOperationStateLen bytes.
        let blob = unsafe { ptr::required_slice(pOperationState, ulOperationStateLen) }?;
        module.set_operation_state(hSession, blob, hEncryptionKey, hAuthenticationKey)
    })
}

/// Log in the application on this session's token.
///
/// # Safety
/// Pointer arguments must satisfy the PKCS#11 specification of this function.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn C_Login(
    hSession: CK_SESSION_HANDLE,
    userType: CK_USER_TYPE,
    pPin: CK_UTF8CHAR_PTR,
    ulPinLen: CK_ULONG,
) -> CK_RV {
    guard("C_Login", || {
        let m = state::module()?;
        m.check_session(hSession)?;
        // SAFETY: pPin covers ulPinLen bytes when non-NULL.
        let pin = unsafe { ptr::required_slice(pPin, ulPinLen) }?;
        m.login(hSession as u64, UserType(userType as u64), pin)
    })
}

/// C_Login with a user name; this token has no named users, so the name is ignored.
///
/// # Safety
/// Pointer arguments must satisfy the PKCS#11 specification of this function.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn C_LoginUser(
    hSession: CK_SESSION_HANDLE,
    userType: CK_USER_TYPE,
    pPin: CK_UTF8CHAR_PTR,
    ulPinLen: CK_ULONG,
    pUsername: CK_UTF8CHAR_PTR,
    ulUsernameLen: CK_ULONG,
) -> CK_RV {
    guard("C_LoginUser", || {
        let m = state::module()?;
        m.check_session(hSession)?;
        // SAFETY: each pointer covers its length when non-NULL.
        let pin = unsafe {
            ptr::slice(pUsername, ulUsernameLen)?;
            ptr::required_slice(pPin, ulPinLen)?
        };
        m.login(hSession as u64, UserType(userType as u64), pin)
    })
}

/// Log the application out of this session's token.
///
/// # Safety
/// Pointer arguments must satisfy the PKCS#11 specification of this function.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn C_Logout(hSession: CK_SESSION_HANDLE) -> CK_RV {
    guard("C_Logout", || state::module()?.logout(hSession as u64))
}

/// Legacy parallel-function management.
///
/// # Safety
/// Pointer arguments must satisfy the PKCS#11 specification of this function.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn C_GetFunctionStatus(hSession: CK_SESSION_HANDLE) -> CK_RV {
    guard("C_GetFunctionStatus", || {
        state::module()?.check_session(hSession)?;
        Err(Error::FunctionNotParallel)
    })
}

/// Legacy parallel-function management.
///
/// # Safety
/// Pointer arguments must satisfy the PKCS#11 specification of this function.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn C_CancelFunction(hSession: CK_SESSION_HANDLE) -> CK_RV {
    guard("C_CancelFunction", || {
        state::module()?.check_session(hSession)?;
        Err(Error::FunctionNotParallel)
    })
}
