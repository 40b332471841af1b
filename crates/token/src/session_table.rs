//! The application's open sessions: sharded by handle so that threads opening, closing and
//! using different sessions do not queue on one lock, with per-slot counters so limits and
//! C_GetTokenInfo never walk the table.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use parking_lot::{Mutex, RwLock};

use crate::error::{Error, Result};
use crate::session::Session;
use crate::types::{SessionHandle, SlotId};

const SHARDS: usize = 16;

type Shard = RwLock<HashMap<SessionHandle, Arc<Mutex<Session>>>>;

#[derive(Default)]
struct SlotCount {
    all: AtomicU64,
    rw: AtomicU64,
}

/// Sessions by handle, plus counts by slot.
pub struct SessionTable {
    shards: [Shard; SHARDS],
    counts: RwLock<HashMap<SlotId, Arc<SlotCount>>>,
    next: AtomicU64,
}

impl Default for SessionTable {
    fn default() -> Self {
        Self {
            shards: std::array::from_fn(|_| RwLock::new(HashMap::new())),
            counts: RwLock::new(HashMap::new()),
            next: AtomicU64::new(1),
        }
    }
}

impl SessionTable {
    fn shard(&self, h: SessionHandle) -> &Shard {
        &self.shards[(h % SHARDS as u64) as usize]
    }

    fn count(&self, slot: SlotId) -> Arc<SlotCount> {
        if let Some(c) = self.counts.read().get(&slot) {
            return c.clone();
        }
        self.counts.write().entry(slot).or_default().clone()
    }

    /// The session behind `h`.
    pub fn get(&self, h: SessionHandle) -> Result<Arc<Mutex<Session>>> {
        self.shard(h).read().get(&h).cloned().ok_or(Error::SessionHandleInvalid)
    }

    /// Open a session on `slot`, at most `max` per slot.
    pub fn open(&self, slot: SlotId, rw: bool, max: u64) -> Result<SessionHandle> {
        let c = self.count(slot);
        if c.all.fetch_add(1, Ordering::AcqRel) >= max {
            c.all.fetch_sub(1, Ordering::AcqRel);
            return Err(Error::SessionCount);
        }
        if rw {
            c.rw.fetch_add(1, Ordering::AcqRel);
        }
        let h = self.next.fetch_add(1, Ordering::Relaxed);
        self.shard(h).write().insert(h, Arc::new(Mutex::new(Session::new(slot, rw))));
        Ok(h)
    }

    fn uncount(&self, slot: SlotId, rw: bool) {
        let c = self.count(slot);
        c.all.fetch_sub(1, Ordering::AcqRel);
        if rw {
            c.rw.fetch_sub(1, Ordering::AcqRel);
        }
    }

    /// Close one session; returns its slot.
    pub fn close(&self, h: SessionHandle) -> Result<SlotId> {
        let s = self.shard(h).write().remove(&h).ok_or(Error::SessionHandleInvalid)?;
        let (slot, rw) = {
            let s = s.lock();
            (s.slot, s.rw)
        };
        self.uncount(slot, rw);
        Ok(slot)
    }

    /// Close every session of `slot`; returns their handles.
    pub fn close_slot(&self, slot: SlotId) -> Vec<SessionHandle> {
        let mut closed = Vec::new();
        for shard in &self.shards {
            let mut map = shard.write();
            let hs: Vec<_> =
                map.iter().filter(|(_, s)| s.lock().slot == slot).map(|(h, _)| *h).collect();
            for h in hs {
                if let Some(s) = map.remove(&h) {
                    self.uncount(slot, s.lock().rw);
                    closed.push(h);
                }
            }
        }
        closed
    }

    /// (all, read-write) sessions open on `slot`.
    pub fn counts(&self, slot: SlotId) -> (u64, u64) {
        let c = self.count(slot);
        (c.all.load(Ordering::Acquire), c.rw.load(Ordering::Acquire))
    }

    /// Every open session (for operations that touch all sessions of a token).
    pub fn all(&self) -> Vec<Arc<Mutex<Session>>> {
        self.shards.iter().flat_map(|s| s.read().values().cloned().collect::<Vec<_>>()).collect()
    }

    /// Drop every session (C_Finalize).
    pub fn clear(&self) {
        for shard in &self.shards {
            shard.write().clear();
        }
        self.counts.write().clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_and_counts() {
        let t = SessionTable::default();
        let a = t.open(0, true, 2).unwrap();
        let _b = t.open(0, false, 2).unwrap();
        assert_eq!(t.open(0, false, 2), Err(Error::SessionCount));
        assert_eq!(t.counts(0), (2, 1));
        assert!(t.open(1, false, 2).is_ok(), "limits are per slot");
        assert_eq!(t.close(a), Ok(0));
        assert_eq!(t.close(a), Err(Error::SessionHandleInvalid));
        assert_eq!(t.counts(0), (1, 0));
        assert_eq!(t.close_slot(0).len(), 1);
        assert_eq!(t.counts(0), (0, 0));
        assert_eq!(t.all().len(), 1);
    }

    #[test]
    fn concurrent_open_close_keeps_counts_exact() {
        let t = SessionTable::default();
        std::thread::scope(|s| {
            for _ in 0..4 {
                s.spawn(|| {
                    for _ in 0..1000 {
                        let h = t.open(0, true, 1_000_000).unwrap();
                        t.close(h).unwrap();
                    }
                });
            }
        });
        assert_eq!(t.counts(0), (0, 0));
    }
}
