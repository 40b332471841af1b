//! Sessions and their state as the spec defines it.

use pkcs11_sys as sys;

use crate::cache::TokenCache;
use crate::message::MsgOps;
use crate::ops::Active;
use crate::ops::cipher::CipherOp;
use crate::ops::sign::SigOp;
use crate::opstate::DigestOp;
use crate::store::Role;
use crate::types::{ObjectHandle, SlotId};

/// One open session.
pub struct Session {
    /// The slot it was opened on.
    pub slot: SlotId,
    /// Opened with CKF_RW_SESSION.
    pub rw: bool,
    /// Results of an active C_FindObjectsInit not yet returned.
    pub find: Option<std::collections::VecDeque<ObjectHandle>>,
    /// Active encryption.
    pub encrypt: Option<Active<CipherOp>>,
    /// Active decryption.
    pub decrypt: Option<Active<CipherOp>>,
    /// Active digest.
    pub digest: Option<Active<DigestOp>>,
    /// Active signature (or MAC).
    pub sign: Option<Active<SigOp>>,
    /// Active verification.
    pub verify: Option<Active<SigOp>>,
    /// Active signature with recovery.
    pub sign_recover: Option<Active<SigOp>>,
    /// Active verification with recovery.
    pub verify_recover: Option<Active<SigOp>>,
    /// Message-based operations (PKCS#11 3.0).
    pub messages: MsgOps,
    /// The last key this session used, for the next `*Init` on it.
    pub last_key: Option<LastKey>,
}

/// A key a session used, valid while its token cache's generation has not moved.
pub struct LastKey {
    /// Its handle.
    pub handle: ObjectHandle,
    /// The token cache's generation counter.
    pub generation: std::sync::Arc<std::sync::atomic::AtomicU64>,
    /// Its value when the key was looked up.
    pub seen: u64,
    /// The key's attributes then.
    pub attrs: std::sync::Arc<crate::attrs::Attributes>,
    /// The key, through this session's own reference.
    pub key: crate::keys::KeyRef,
}

impl LastKey {
    /// The cached key if it is still `handle`'s current one.
    pub fn get(&self, handle: ObjectHandle) -> Option<&Self> {
        let fresh = self.generation.load(std::sync::atomic::Ordering::Acquire) == self.seen;
        (self.handle == handle && fresh).then_some(self)
    }
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session").field("slot", &self.slot).field("rw", &self.rw).finish()
    }
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
        Self {
            slot,
            rw,
            find: None,
            encrypt: None,
            decrypt: None,
            digest: None,
            sign: None,
            verify: None,
            sign_recover: None,
            verify_recover: None,
            messages: MsgOps::default(),
            last_key: None,
        }
    }

    /// End every active operation (logout, cancel).
    pub fn end_operations(&mut self) {
        self.find = None;
        self.encrypt = None;
        self.decrypt = None;
        self.digest = None;
        self.sign = None;
        self.verify = None;
        self.sign_recover = None;
        self.verify_recover = None;
        self.messages.clear();
        // Private keys must not outlive the login in this cache.
        self.last_key = None;
    }
}
