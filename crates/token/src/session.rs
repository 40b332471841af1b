//! Sessions and their state as the spec defines it.

use pkcs11_sys as sys;

use crate::cache::TokenCache;
use crate::store::Role;
use crate::types::{ObjectHandle, SlotId};

/// One open session.
#[derive(Debug)]
pub struct Session {
    /// The slot it was opened on.
    pub slot: SlotId,
    /// Opened with CKF_RW_SESSION.
    pub rw: bool,
    /// Results of an active C_FindObjectsInit not yet returned.
    pub find: Option<std::collections::VecDeque<ObjectHandle>>,
}

/// `CKS_*` state of a session, derived from its R/W flag and the token's login.
pub fn state(rw: bool, token: &TokenCache) -> u64 {
    let s = match (rw, token.login.as_ref().map(|l| l.role)) {
        (false, None) => sys::CKS_RO_PUBLIC_SESSION,
        (false, Some(_)) => sys::CKS_RO_USER_FUNCTIONS,
        (true, None) => sys::CKS_RW_PUBLIC_SESSION,
        (true, Some(Role::User)) => sys::CKS_RW_USER_FUNCTIONS,
        (true, Some(Role::So)) => sys::CKS_RW_SO_FUNCTIONS,
    };
    s as u64
}

impl Session {
    /// A new session with nothing active.
    pub fn new(slot: SlotId, rw: bool) -> Self {
        Self { slot, rw, find: None }
    }

    /// End every active operation (logout, cancel).
    pub fn end_operations(&mut self) {
        self.find = None;
    }
}
