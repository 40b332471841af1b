//! The module instance: configuration, store, the per-token caches and the session table.
//! Slot and session management live here; login and objects in their own files.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use parking_lot::{Mutex, RwLock};
use pkcs11_sys as sys;

use crate::cache::TokenCache;
use crate::config::Config;
use crate::error::{Error, Result};
use crate::session::{self, Session};
use crate::session_table::SessionTable;
use crate::store::{Role, Store};
use crate::types::{SessionHandle, SlotId};

/// What C_GetTokenInfo reports (strings unpadded; the C ABI pads them).
#[derive(Debug, Clone)]
pub struct TokenInfo {
    /// Whether the token has been initialized.
    pub initialized: bool,
    /// Label, 32 bytes blank padded (blanks when uninitialized).
    pub label: [u8; 32],
    /// 16 characters.
    pub serial: String,
    /// `CKF_*` token flags.
    pub flags: u64,
    /// Configured session limit (also the R/W limit).
    pub max_sessions: u64,
    /// Sessions this application has open on the token.
    pub sessions: u64,
    /// Of which R/W.
    pub rw_sessions: u64,
    /// PIN length policy.
    pub min_pin: u64,
    /// PIN length policy.
    pub max_pin: u64,
}

/// What C_GetSessionInfo reports.
#[derive(Debug, Clone, Copy)]
pub struct SessionInfo {
    /// Slot of the session.
    pub slot: SlotId,
    /// `CKS_*`.
    pub state: u64,
    /// `CKF_*` session flags.
    pub flags: u64,
}

type Shared<T> = Arc<RwLock<T>>;

/// How long (µs) an answer about other processes' commits is reused (see `store_gen`).
pub const COHERENCE_WINDOW_US: u64 = 1_000;

/// A PIN's (consecutive failures, locked).
pub type PinState = (u32, bool);

/// One initialized module (between C_Initialize and C_Finalize).
pub struct Module {
    pub(crate) config: Config,
    pub(crate) store: Store,
    store_gen: AtomicU64,
    last_data_version: Mutex<i64>,
    /// When the store was last asked for its data version (µs since `epoch`; 0: never).
    last_check_us: AtomicU64,
    epoch: std::time::Instant,
    slots_seen: Mutex<Option<(u64, Vec<SlotId>)>>,
    tokens: RwLock<BTreeMap<SlotId, Shared<TokenCache>>>,
    pub(crate) sessions: SessionTable,
}

impl Module {
    /// Open the store named by `config`. The error is a message for the log.
    pub fn new(config: Config) -> std::result::Result<Self, String> {
        let store = Store::open(&config.storage_path)?;
        let dv = store.data_version().map_err(|e| format!("store: {e}"))?;
        Ok(Self {
            config,
            store,
            store_gen: AtomicU64::new(0),
            last_data_version: Mutex::new(dv),
            last_check_us: AtomicU64::new(0),
            epoch: std::time::Instant::now(),
            slots_seen: Mutex::new(None),
            tokens: RwLock::new(BTreeMap::new()),
            sessions: SessionTable::default(),
        })
    }

    /// The configuration in force.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The slots: pinned by the configuration, or every initialized token plus one free slot.
    pub fn slot_list(&self) -> Result<Vec<SlotId>> {
        if let Some(n) = self.config.slots {
            return Ok((0..n).collect());
        }
        let store_gen = self.store_gen()?;
        if let Some((g, slots)) = self.slots_seen.lock().as_ref() {
            if *g == store_gen {
                return Ok(slots.clone());
            }
        }
        let mut slots = self.store.token_slots()?;
        let free = (0..).find(|s| !slots.contains(s)).unwrap_or(0);
        slots.push(free);
        slots.sort_unstable();
        *self.slots_seen.lock() = Some((store_gen, slots.clone()));
        Ok(slots)
    }

    /// The store generation: bumped whenever another process committed (or we invalidated).
    ///
    /// Asking SQLite (`PRAGMA data_version`, under the connection's mutex and its file locks)
    /// on every call made C_FindObjectsInit spend two thirds of its time there and serialised
    /// threads on it, so the answer is reused for [`COHERENCE_WINDOW_US`]: another process's
    /// commit becomes visible within that window. This process's own writes are seen at once
    /// (they update the cache directly or call [`Self::invalidate`]).
    fn store_gen(&self) -> Result<u64> {
        let now = u64::try_from(self.epoch.elapsed().as_micros()).unwrap_or(u64::MAX).max(1);
        let checked = self.last_check_us.load(Ordering::Acquire);
        if checked != 0 && now.saturating_sub(checked) < COHERENCE_WINDOW_US {
            return Ok(self.store_gen.load(Ordering::Acquire));
        }
        let dv = self.store.data_version()?;
        {
            let mut last = self.last_data_version.lock();
            if *last != dv {
                *last = dv;
                self.store_gen.fetch_add(1, Ordering::AcqRel);
            }
        }
        self.last_check_us.store(now, Ordering::Release);
        Ok(self.store_gen.load(Ordering::Acquire))
    }

    /// `Ok` when `slot` is listed.
    pub fn check_slot(&self, slot: SlotId) -> Result<()> {
        if self.slot_list()?.contains(&slot) { Ok(()) } else { Err(Error::SlotIdInvalid) }
    }

    /// The cache of `slot`'s token, synchronised with the store.
    pub(crate) fn token(&self, slot: SlotId) -> Result<Shared<TokenCache>> {
        let t = {
            let map = self.tokens.read();
            map.get(&slot).cloned()
        };
        let t = match t {
            Some(t) => t,
            None => self
                .tokens
                .write()
                .entry(slot)
                .or_insert_with(|| Arc::new(RwLock::new(TokenCache::new(slot))))
                .clone(),
        };
        self.sync(slot, &t)?;
        Ok(t)
    }

    /// The cache of `slot`'s token as last synchronised (hot path: no store query). Callers
    /// fall back to [`Self::token`] when what they look for is missing.
    pub(crate) fn token_cached(&self, slot: SlotId) -> Result<Shared<TokenCache>> {
        if let Some(t) = self.tokens.read().get(&slot) {
            return Ok(t.clone());
        }
        self.token(slot)
    }

    /// Follow other processes' commits: cheap when nothing changed.
    fn sync(&self, slot: SlotId, t: &Shared<TokenCache>) -> Result<()> {
        let gen_now = self.store_gen()?;
        if t.read().synced_gen == gen_now {
            return Ok(());
        }
        let mut cache = t.write();
        let uid = self.store.token(slot)?.map(|r| r.uid).unwrap_or_default();
        if uid != cache.uid {
            if !cache.uid.is_empty() {
                log::info!("slot {slot}: token re-initialized by another process; logging out");
            }
            cache.reset(uid);
        }
        if !cache.uid.is_empty() {
            let changes = self.store.changes_since(slot, cache.seq)?;
            cache.apply(changes)?;
        }
        cache.synced_gen = gen_now;
        Ok(())
    }

    /// Mark our own view stale (after our own writes that bypass the cache).
    pub(crate) fn invalidate(&self) {
        self.store_gen.fetch_add(1, Ordering::AcqRel);
    }

    /// C_GetTokenInfo.
    pub fn token_info(&self, slot: SlotId) -> Result<TokenInfo> {
        self.check_slot(slot)?;
        let rec = self.store.token(slot)?;
        let (sessions, rw_sessions) = self.session_counts(slot);
        let sec = &self.config.security;
        let mut info = TokenInfo {
            initialized: rec.is_some(),
            label: [b' '; 32],
            serial: format!("{:016x}", slot),
            flags: (sys::CKF_RNG | sys::CKF_CLOCK_ON_TOKEN | sys::CKF_LOGIN_REQUIRED) as u64,
            max_sessions: self.config.max_sessions,
            sessions,
            rw_sessions,
            min_pin: sec.min_pin_length as u64,
            max_pin: sec.max_pin_length as u64,
        };
        let Some(rec) = rec else { return Ok(info) };
        info.label.copy_from_slice(&rec.label[..32.min(rec.label.len())]);
        info.serial = rec.serial.clone();
        info.flags |= sys::CKF_TOKEN_INITIALIZED as u64;
        let pin_flags = |p: &crate::store::PinRecord, low, final_try, locked| {
            let mut f = 0;
            if p.locked {
                f |= locked;
            } else if p.failures > 0 {
                f |= low;
                if p.failures + 1 >= sec.max_failed_logins {
                    f |= final_try;
                }
            }
            f as u64
        };
        info.flags |= pin_flags(
            &rec.so,
            sys::CKF_SO_PIN_COUNT_LOW,
            sys::CKF_SO_PIN_FINAL_TRY,
            sys::CKF_SO_PIN_LOCKED,
        );
        if let Some(user) = &rec.user {
            info.flags |= sys::CKF_USER_PIN_INITIALIZED as u64;
            info.flags |= pin_flags(
                user,
                sys::CKF_USER_PIN_COUNT_LOW,
                sys::CKF_USER_PIN_FINAL_TRY,
                sys::CKF_USER_PIN_LOCKED,
            );
        }
        Ok(info)
    }

    /// (all, read-write) sessions this application has on `slot`.
    pub fn session_counts(&self, slot: SlotId) -> (u64, u64) {
        self.sessions.counts(slot)
    }

    /// The session behind a handle.
    pub(crate) fn session(&self, h: SessionHandle) -> Result<Arc<Mutex<Session>>> {
        self.sessions.get(h)
    }

    /// `Ok` when `h` names an open session (for functions with nothing else to check yet).
    pub fn check_session(&self, h: SessionHandle) -> Result<()> {
        self.session(h).map(|_| ())
    }

    /// C_OpenSession.
    pub fn open_session(&self, slot: SlotId, flags: u64) -> Result<SessionHandle> {
        // A token seen initialized stays initialized (re-initialization keeps its slot), and
        // the login state is this process's own: no store round trip on this path.
        let known = self.tokens.read().get(&slot).cloned().filter(|t| !t.read().uid.is_empty());
        let t = match known {
            Some(t) => t,
            None => {
                self.check_slot(slot)?;
                self.token(slot)?
            }
        };
        if flags & sys::CKF_SERIAL_SESSION as u64 == 0 {
            return Err(Error::SessionParallelNotSupported);
        }
        let rw = flags & sys::CKF_RW_SESSION as u64 != 0;
        let (initialized, so) = {
            let c = t.read();
            (!c.uid.is_empty(), matches!(c.login.as_ref().map(|l| l.role), Some(Role::So)))
        };
        if !initialized {
            return Err(Error::TokenNotRecognized);
        }
        if so && !rw {
            return Err(Error::SessionReadWriteSoExists);
        }
        self.sessions.open(slot, rw, self.config.max_sessions)
    }

    /// C_CloseSession: its session objects go; the last session of a token logs out.
    pub fn close_session(&self, h: SessionHandle) -> Result<()> {
        let slot = self.sessions.close(h)?;
        self.after_close(slot, &[h])
    }

    fn after_close(&self, slot: SlotId, closed: &[SessionHandle]) -> Result<()> {
        let Some(t) = self.tokens.read().get(&slot).cloned() else { return Ok(()) };
        // Counted before the cache lock: a session mutex is never taken while a cache lock is
        // held (the find path takes them in the other order).
        let none_left = self.session_counts(slot).0 == 0;
        let needs_write = {
            let c = t.read();
            (none_left && c.login.is_some())
                || closed.iter().any(|h| !c.session_objects_of(*h).is_empty())
        };
        if !needs_write {
            return Ok(());
        }
        let mut cache = t.write();
        for h in closed {
            for o in cache.session_objects_of(*h) {
                cache.remove(o);
            }
        }
        if none_left && cache.login.is_some() {
            cache.logout()?;
        }
        Ok(())
    }

    /// C_CloseAllSessions.
    pub fn close_all_sessions(&self, slot: SlotId) -> Result<()> {
        self.check_slot(slot)?;
        let closed = self.sessions.close_slot(slot);
        self.after_close(slot, &closed)
    }

    /// C_GetSessionInfo.
    pub fn session_info(&self, h: SessionHandle) -> Result<SessionInfo> {
        let (slot, rw) = {
            let s = self.session(h)?;
            let s = s.lock();
            (s.slot, s.rw)
        };
        let t = self.token(slot)?;
        let state = session::state(rw, &t.read());
        let mut flags = sys::CKF_SERIAL_SESSION as u64;
        if rw {
            flags |= sys::CKF_RW_SESSION as u64;
        }
        Ok(SessionInfo { slot, state, flags })
    }

    /// C_SessionCancel: end the operations named by `flags`. Only object search exists so far,
    /// and it is not one of the cancellable operations; nothing else can be active.
    pub fn session_cancel(&self, h: SessionHandle, _flags: u64) -> Result<()> {
        self.session(h).map(|_| ())
    }

    /// C_GenerateRandom.
    pub fn generate_random(&self, h: SessionHandle, out: &mut [u8]) -> Result<()> {
        self.session(h)?;
        craton_crypto::rng::fill(out)?;
        Ok(())
    }

    /// (public, private) token objects stored in `slot` (store-level, no login needed).
    pub fn object_counts(&self, slot: SlotId) -> Result<(u64, u64)> {
        self.store.object_counts(slot)
    }

    /// The store directory.
    pub fn store_dir(&self) -> &std::path::Path {
        self.store.dir()
    }

    /// Failure count and lock state of (SO, user) PINs, for operators.
    pub fn pin_states(&self, slot: SlotId) -> Result<Option<(PinState, Option<PinState>)>> {
        Ok(self
            .store
            .token(slot)?
            .map(|t| ((t.so.failures, t.so.locked), t.user.map(|u| (u.failures, u.locked)))))
    }

    /// C_SeedRandom: the caller's bytes become additional input to a reseed.
    pub fn seed_random(&self, h: SessionHandle, data: &[u8]) -> Result<()> {
        self.session(h)?;
        craton_crypto::rng::seed(data)?;
        Ok(())
    }

    /// Checkpoint the store so nothing lingers in the WAL (C_Finalize).
    pub fn shutdown(&self) {
        self.sessions.clear();
        if let Err(e) = self.store.checkpoint() {
            log::warn!("checkpoint at finalize failed: {e}");
        }
    }
}
