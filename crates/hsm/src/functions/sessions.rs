//! Sessions and login.

use craton_token::Error;
use craton_token::types::UserType;
use pkcs11_sys::*;

use crate::ptr;
use crate::state::{self, ck_fn};

ck_fn! {
    /// Open a session (notification callbacks are accepted and never called).
    fn C_OpenSession(
        slotID: CK_SLOT_ID,
        flags: CK_FLAGS,
        pApplication: CK_VOID_PTR,
        Notify: CK_NOTIFY,
        phSession: CK_SESSION_HANDLE_PTR,
    ) {
        let _ = (pApplication, Notify);
        let m = state::module()?;
        if phSession.is_null() {
            return Err(Error::ArgumentsBad);
        }
        let h = m.open_session(slotID as u64, flags as u64)?;
        // SAFETY: phSession checked non-NULL; writable per the spec.
        unsafe { ptr::write(phSession, h as CK_SESSION_HANDLE) }
    }
}

ck_fn! {
    /// Close one session.
    fn C_CloseSession(hSession: CK_SESSION_HANDLE) {
        state::module()?.close_session(hSession as u64)
    }
}

ck_fn! {
    /// Close every session of a slot.
    fn C_CloseAllSessions(slotID: CK_SLOT_ID) {
        state::module()?.close_all_sessions(slotID as u64)
    }
}

ck_fn! {
    /// Session information.
    fn C_GetSessionInfo(hSession: CK_SESSION_HANDLE, pInfo: CK_SESSION_INFO_PTR) {
        let s = state::module()?.session_info(hSession as u64)?;
        let info = CK_SESSION_INFO {
            slotID: s.slot as CK_SLOT_ID,
            state: s.state as CK_STATE,
            flags: s.flags as CK_FLAGS,
            ulDeviceError: 0,
        };
        // SAFETY: pInfo NULL or writable per the spec.
        unsafe { ptr::write(pInfo, info) }
    }
}

ck_fn! {
    /// Cancel the session's operations named by `flags`.
    fn C_SessionCancel(hSession: CK_SESSION_HANDLE, flags: CK_FLAGS) {
        state::module()?.session_cancel(hSession as u64, flags as u64)
    }
}

ck_fn! {
    /// Saving operation state arrives with the digest mechanisms.
    fn C_GetOperationState(hSession: CK_SESSION_HANDLE, pOperationState: CK_BYTE_PTR, pulOperationStateLen: CK_ULONG_PTR) {
        let _ = (pOperationState, pulOperationStateLen);
        state::module()?.check_session(hSession)?;
        Err(Error::FunctionNotSupported)
    }
}

ck_fn! {
    /// Restoring operation state arrives with the digest mechanisms.
    fn C_SetOperationState(
        hSession: CK_SESSION_HANDLE,
        pOperationState: CK_BYTE_PTR,
        ulOperationStateLen: CK_ULONG,
        hEncryptionKey: CK_OBJECT_HANDLE,
        hAuthenticationKey: CK_OBJECT_HANDLE,
    ) {
        let _ = (pOperationState, ulOperationStateLen, hEncryptionKey, hAuthenticationKey);
        state::module()?.check_session(hSession)?;
        Err(Error::FunctionNotSupported)
    }
}

ck_fn! {
    /// Log in the application on this session's token.
    fn C_Login(hSession: CK_SESSION_HANDLE, userType: CK_USER_TYPE, pPin: CK_UTF8CHAR_PTR, ulPinLen: CK_ULONG) {
        let m = state::module()?;
        m.check_session(hSession)?;
        // SAFETY: pPin covers ulPinLen bytes when non-NULL.
        let pin = unsafe { ptr::required_slice(pPin, ulPinLen) }?;
        m.login(hSession as u64, UserType(userType as u64), pin)
    }
}

ck_fn! {
    /// C_Login with a user name; this token has no named users, so the name is ignored.
    fn C_LoginUser(
        hSession: CK_SESSION_HANDLE,
        userType: CK_USER_TYPE,
        pPin: CK_UTF8CHAR_PTR,
        ulPinLen: CK_ULONG,
        pUsername: CK_UTF8CHAR_PTR,
        ulUsernameLen: CK_ULONG,
    ) {
        let m = state::module()?;
        m.check_session(hSession)?;
        // SAFETY: each pointer covers its length when non-NULL.
        let pin = unsafe {
            ptr::slice(pUsername, ulUsernameLen)?;
            ptr::required_slice(pPin, ulPinLen)?
        };
        m.login(hSession as u64, UserType(userType as u64), pin)
    }
}

ck_fn! {
    /// Log the application out of this session's token.
    fn C_Logout(hSession: CK_SESSION_HANDLE) {
        state::module()?.logout(hSession as u64)
    }
}

ck_fn! {
    /// Legacy parallel-function management.
    fn C_GetFunctionStatus(hSession: CK_SESSION_HANDLE) {
        state::module()?.check_session(hSession)?;
        Err(Error::FunctionNotParallel)
    }
}

ck_fn! {
    /// Legacy parallel-function management.
    fn C_CancelFunction(hSession: CK_SESSION_HANDLE) {
        state::module()?.check_session(hSession)?;
        Err(Error::FunctionNotParallel)
    }
}
