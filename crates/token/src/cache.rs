//! One token's in-memory view: its objects (token objects mirrored from the store, and the
//! application's session objects), indexes for C_FindObjects, and the login state.
//!
//! Token objects are followed by sequence number, so another process's commit costs one small
//! query, never a reload. Private records stay sealed in memory until a login provides the
//! master key, and go back to sealed-only at logout.

use std::collections::{BTreeSet, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};

use craton_crypto::aead;
use craton_crypto::locked::SecretBytes;

use crate::attrs::Attributes;
use crate::error::{Error, Result};
use crate::keys::KeyObj;
use crate::pin::MasterKey;
use crate::store::{Changes, ObjectRow, Role};
use crate::types::{AttrType, ObjectHandle, SessionHandle, SlotId};

/// Attributes indexed for C_FindObjects.
const INDEXED: [AttrType; 3] = [AttrType::LABEL, AttrType::ID, AttrType::CLASS];

/// Where an object lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    /// A token object: its row id and version in the store.
    Token {
        /// Row id.
        db_id: i64,
        /// Row version.
        version: i64,
    },
    /// A session object owned by that session.
    Session(SessionHandle),
}

/// One object known to this process.
#[derive(Debug, Clone)]
pub struct Entry {
    /// Where it lives.
    pub place: Place,
    /// Only the logged-in user may see it.
    pub private: bool,
    /// Its attributes, when readable now (`None`: private and nobody is logged in).
    pub attrs: Option<Arc<Attributes>>,
    /// The stored row, kept to decrypt at login (token objects only).
    row: Option<ObjectRow>,
    /// The usable key, built on first use from these attributes (keys only).
    pub material: Arc<OnceLock<Result<Arc<KeyObj>>>>,
}

/// Who is logged in to this token in this application.
pub struct Login {
    /// SO or user.
    pub role: Role,
    /// The unwrapped master key, for as long as the login lasts: zeroized at logout, and in
    /// locked pages when the library installed a page locker.
    master_key: SecretBytes,
}

impl Login {
    /// A login by `role`; keeps its own copy of `master_key`.
    pub fn new(role: Role, master_key: &MasterKey) -> Self {
        Self { role, master_key: SecretBytes::from(&master_key[..]) }
    }

    /// The master key.
    pub fn master_key(&self) -> Result<&[u8; 32]> {
        // Always 32 bytes (the constructor takes an array); no panic path all the same.
        self.master_key.as_array().ok_or(Error::GeneralError)
    }
}

/// The in-memory state of one slot's token.
pub struct TokenCache {
    slot: SlotId,
    /// Identity of the token initialization this cache follows (empty: none yet).
    pub uid: Vec<u8>,
    /// Current login, shared by all the application's sessions on this token.
    pub login: Option<Login>,
    /// Last store sequence number applied.
    pub seq: i64,
    /// Store generation this cache was last synchronised with.
    pub synced_gen: u64,
    entries: HashMap<ObjectHandle, Entry>,
    by_db: HashMap<i64, ObjectHandle>,
    index: HashMap<(AttrType, Vec<u8>), BTreeSet<ObjectHandle>>,
    /// Session objects by owning session (closing a session never scans all objects).
    owned: HashMap<SessionHandle, BTreeSet<ObjectHandle>>,
    next: u64,
    /// Bumped by every change to the objects or the login: sessions keep the last key they
    /// used and trust it while this has not moved (one shared read, no lock).
    pub generation: Arc<AtomicU64>,
}

/// AAD binding a sealed record to its token, row and version.
pub fn object_aad(uid: &[u8], db_id: i64, version: i64) -> Vec<u8> {
    let mut a = b"craton-hsm object v1 ".to_vec();
    a.extend_from_slice(uid);
    a.extend_from_slice(&db_id.to_le_bytes());
    a.extend_from_slice(&version.to_le_bytes());
    a
}

impl TokenCache {
    /// An empty cache for `slot`.
    pub fn new(slot: SlotId) -> Self {
        Self {
            slot,
            uid: Vec::new(),
            login: None,
            seq: 0,
            synced_gen: u64::MAX,
            entries: HashMap::new(),
            by_db: HashMap::new(),
            index: HashMap::new(),
            owned: HashMap::new(),
            next: 1,
            generation: Arc::default(),
        }
    }

    /// Forget everything (the token was re-initialized, here or elsewhere).
    pub fn reset(&mut self, uid: Vec<u8>) {
        let slot = self.slot;
        let next = self.next;
        let generation = self.generation.clone();
        *self = Self::new(slot);
        self.generation = generation;
        self.bump();
        self.uid = uid;
        // Handles are never reused within a process.
        self.next = next;
    }

    /// The slot a handle belongs to (encoded in its upper half).
    pub fn slot_of(handle: ObjectHandle) -> Option<SlotId> {
        (handle >> 32).checked_sub(1)
    }

    fn new_handle(&mut self) -> Result<ObjectHandle> {
        let n = self.next;
        if n > u64::from(u32::MAX) {
            return Err(Error::DeviceMemory);
        }
        self.next += 1;
        Ok(((self.slot + 1) << 32) | n)
    }

    fn unindex(&mut self, h: ObjectHandle) {
        if let Some(attrs) = self.entries.get(&h).and_then(|e| e.attrs.clone()) {
            for t in INDEXED {
                if let Some(v) = attrs.get(t) {
                    if let Some(set) = self.index.get_mut(&(t, v.to_vec())) {
                        set.remove(&h);
                        if set.is_empty() {
                            self.index.remove(&(t, v.to_vec()));
                        }
                    }
                }
            }
        }
    }

    fn bump(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
    }

    fn put(&mut self, h: ObjectHandle, entry: Entry) {
        self.bump();
        self.unindex(h);
        if let Some(attrs) = &entry.attrs {
            for t in INDEXED {
                if let Some(v) = attrs.get(t) {
                    self.index.entry((t, v.to_vec())).or_default().insert(h);
                }
            }
        }
        self.entries.insert(h, entry);
    }

    fn open_row(&self, row: &ObjectRow) -> Option<Attributes> {
        let mut attrs = Attributes::decode(&row.public_attrs)?;
        if let Some(sealed) = &row.sealed {
            let mk = self.login.as_ref()?.master_key().ok()?;
            let aad = object_aad(&self.uid, row.id, row.version);
            let Ok(plain) = aead::open(mk, &aad, sealed) else {
                log::error!(
                    "slot {}: object record {} failed authentication; ignored",
                    self.slot,
                    row.id
                );
                return None;
            };
            let plain = zeroize::Zeroizing::new(plain);
            attrs.extend(Attributes::decode(&plain)?);
        } else if row.private {
            return None;
        }
        Some(attrs)
    }

    /// Mirror a stored row (new, updated, or written by this process). Returns its handle.
    pub fn upsert_row(&mut self, row: ObjectRow) -> Result<ObjectHandle> {
        let h = match self.by_db.get(&row.id) {
            Some(h) => *h,
            None => {
                let h = self.new_handle()?;
                self.by_db.insert(row.id, h);
                h
            }
        };
        let attrs = self.open_row(&row).map(Arc::new);
        if attrs.is_none() && !row.private {
            log::warn!("slot {}: object record {} could not be decoded", self.slot, row.id);
        }
        let entry = Entry {
            place: Place::Token { db_id: row.id, version: row.version },
            private: row.private,
            attrs,
            row: Some(row),
            material: Arc::default(),
        };
        self.put(h, entry);
        Ok(h)
    }

    /// Apply changes read from the store.
    pub fn apply(&mut self, changes: Changes) -> Result<()> {
        for id in changes.deletes {
            if let Some(h) = self.by_db.remove(&id) {
                self.unindex(h);
                self.entries.remove(&h);
            }
        }
        for row in changes.upserts {
            self.upsert_row(row)?;
        }
        self.seq = self.seq.max(changes.seq);
        Ok(())
    }

    /// Add a session object.
    pub fn add_session_object(
        &mut self,
        owner: SessionHandle,
        private: bool,
        attrs: Attributes,
    ) -> Result<ObjectHandle> {
        let h = self.new_handle()?;
        self.put(
            h,
            Entry {
                place: Place::Session(owner),
                private,
                attrs: Some(Arc::new(attrs)),
                row: None,
                material: Arc::default(),
            },
        );
        self.owned.entry(owner).or_default().insert(h);
        Ok(h)
    }

    /// Replace a session object's attributes.
    pub fn replace_session_attrs(&mut self, h: ObjectHandle, attrs: Attributes) {
        if let Some(mut e) = self.entries.get(&h).cloned() {
            e.attrs = Some(Arc::new(attrs));
            e.material = Arc::default();
            self.put(h, e);
        }
    }

    /// Remove an object from the view (token object: after it left the store).
    pub fn remove(&mut self, h: ObjectHandle) {
        self.bump();
        self.unindex(h);
        match self.entries.remove(&h).map(|e| e.place) {
            Some(Place::Token { db_id, .. }) => {
                self.by_db.remove(&db_id);
            }
            Some(Place::Session(owner)) => {
                if let Some(set) = self.owned.get_mut(&owner) {
                    set.remove(&h);
                    if set.is_empty() {
                        self.owned.remove(&owner);
                    }
                }
            }
            None => {}
        }
    }

    /// Hand an entry the usable key already built for it (key generation).
    pub fn prime_material(&self, h: ObjectHandle, key: KeyObj) {
        if let Some(e) = self.entries.get(&h) {
            let _ = e.material.set(Ok(Arc::new(key)));
        }
    }

    /// Session objects owned by `owner`.
    pub fn session_objects_of(&self, owner: SessionHandle) -> Vec<ObjectHandle> {
        self.owned.get(&owner).map(|s| s.iter().copied().collect()).unwrap_or_default()
    }

    /// Whether the current login lets the application see private objects.
    pub fn user_logged_in(&self) -> bool {
        matches!(self.login, Some(Login { role: Role::User, .. }))
    }

    /// The entry behind `h` if the application may see it now.
    pub fn visible(&self, h: ObjectHandle) -> Option<&Entry> {
        let e = self.entries.get(&h)?;
        if e.private && !self.user_logged_in() {
            return None;
        }
        e.attrs.as_ref()?;
        Some(e)
    }

    /// Log in: keep the key and open the private records.
    pub fn set_login(&mut self, login: Login) -> Result<()> {
        self.bump();
        self.login = Some(login);
        self.reopen_sealed_rows()
    }

    /// Log out: drop the key and every decrypted private record. Private session objects
    /// become invisible (they live until their session closes).
    pub fn logout(&mut self) -> Result<()> {
        self.bump();
        self.login = None;
        self.reopen_sealed_rows()
    }

    /// Re-derive every sealed row's attributes under the current login (none: sealed only).
    fn reopen_sealed_rows(&mut self) -> Result<()> {
        let rows: Vec<ObjectRow> = self
            .entries
            .values()
            .filter_map(|e| e.row.clone())
            .filter(|r| r.sealed.is_some())
            .collect();
        for row in rows {
            self.upsert_row(row)?;
        }
        Ok(())
    }

    /// Handles of visible objects matching every attribute of `template`.
    pub fn find(&self, template: &Attributes) -> Vec<ObjectHandle> {
        let candidates: Vec<ObjectHandle> = match INDEXED
            .iter()
            .filter_map(|t| template.get(*t).map(|v| self.index.get(&(*t, v.to_vec()))))
            .min_by_key(|s| s.map_or(0, BTreeSet::len))
        {
            Some(Some(set)) => set.iter().copied().collect(),
            Some(None) => Vec::new(),
            None => {
                let mut all: Vec<_> = self.entries.keys().copied().collect();
                all.sort_unstable();
                all
            }
        };
        candidates
            .into_iter()
            .filter(|h| {
                self.visible(*h)
                    .and_then(|e| e.attrs.as_ref())
                    .is_some_and(|a| template.iter().all(|(t, v)| a.get(t) == Some(v)))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_objects_are_indexed_by_owner() {
        let mut c = TokenCache::new(0);
        let a = c.add_session_object(7, false, Attributes::new()).unwrap();
        let b = c.add_session_object(7, false, Attributes::new()).unwrap();
        let other = c.add_session_object(8, false, Attributes::new()).unwrap();
        let mut owned = c.session_objects_of(7);
        owned.sort_unstable();
        assert_eq!(owned, vec![a, b]);
        c.remove(a);
        assert_eq!(c.session_objects_of(7), vec![b]);
        c.remove(b);
        c.remove(other);
        assert!(c.session_objects_of(7).is_empty() && c.session_objects_of(8).is_empty());
        assert!(c.visible(other).is_none());
        assert_eq!(TokenCache::slot_of(a), Some(0));
    }
}
