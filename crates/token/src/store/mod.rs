//! The persistent store: one SQLite database (WAL) per store directory, shared by every
//! process that uses it. Every write is one IMMEDIATE transaction; other processes notice
//! commits through `PRAGMA data_version` and follow them by sequence number.

mod schema;

use std::path::{Path, PathBuf};
use std::time::Duration;

use parking_lot::Mutex;
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

use crate::error::Result;
use crate::fsperm;
use crate::types::SlotId;
use craton_crypto::pin_kdf::PinKdfParams;

/// File name of the database inside the store directory.
pub const DB_FILE: &str = "craton.db";

/// Which PIN a row field belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// The security officer.
    So,
    /// The normal user.
    User,
}

impl Role {
    fn prefix(self) -> &'static str {
        match self {
            Role::So => "so",
            Role::User => "user",
        }
    }
}

/// A PIN's wrapped copy of the master key and its failure state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PinRecord {
    /// Argon2id salt.
    pub salt: Vec<u8>,
    /// The master key sealed under the PIN-derived key.
    pub wrapped: Vec<u8>,
    /// Consecutive failures.
    pub failures: u32,
    /// When the last failure happened (ms since the epoch).
    pub last_failure_ms: i64,
    /// Locked until reset.
    pub locked: bool,
}

/// One initialized token as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRecord {
    /// Slot it lives in.
    pub slot_id: SlotId,
    /// Random identity of this initialization (bound into every sealed record).
    pub uid: Vec<u8>,
    /// Serial number shown in CK_TOKEN_INFO; kept across re-initialization.
    pub serial: String,
    /// 32-byte blank-padded label.
    pub label: Vec<u8>,
    /// Argon2id cost for this token's PINs.
    pub kdf: PinKdfParams,
    /// SO PIN.
    pub so: PinRecord,
    /// User PIN, once C_InitPIN ran.
    pub user: Option<PinRecord>,
}

/// A token (re-)initialization, as written by [`Store::init_token`].
#[derive(Debug, Clone, Copy)]
pub struct NewToken<'a> {
    /// New random identity.
    pub uid: &'a [u8],
    /// Serial number (kept from the old token on re-initialization).
    pub serial: &'a str,
    /// 32-byte blank-padded label.
    pub label: &'a [u8],
    /// Argon2id cost for this token's PINs.
    pub kdf: PinKdfParams,
    /// Salt of the SO PIN's key.
    pub so_salt: &'a [u8],
    /// The master key sealed under the SO PIN's key.
    pub so_wrapped: &'a [u8],
}

/// One object row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectRow {
    /// Database identity.
    pub id: i64,
    /// Private object (its attributes are all in `sealed`).
    pub private: bool,
    /// Incremented at each update; bound into the sealed part.
    pub version: i64,
    /// Encoded attributes readable without login.
    pub public_attrs: Vec<u8>,
    /// Sealed encoded attributes, if any.
    pub sealed: Option<Vec<u8>>,
}

/// What changed in a slot since a sequence number.
#[derive(Debug, Default)]
pub struct Changes {
    /// New or updated rows.
    pub upserts: Vec<ObjectRow>,
    /// Deleted row ids.
    pub deletes: Vec<i64>,
    /// The highest sequence number seen.
    pub seq: i64,
}

/// The store handle of one module instance.
pub struct Store {
    conn: Mutex<Connection>,
    dir: PathBuf,
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

fn next_seq(tx: &rusqlite::Transaction<'_>) -> rusqlite::Result<i64> {
    tx.query_row("UPDATE meta SET value = value + 1 WHERE key = 'seq' RETURNING value", [], |r| {
        r.get(0)
    })
}

fn pin_record(r: &rusqlite::Row<'_>, base: usize) -> rusqlite::Result<PinRecord> {
    Ok(PinRecord {
        salt: r.get(base)?,
        wrapped: r.get(base + 1)?,
        failures: r.get(base + 2)?,
        last_failure_ms: r.get(base + 3)?,
        locked: r.get(base + 4)?,
    })
}

impl Store {
    /// Open (creating if needed) the store in `dir`. The error is a message for the log.
    pub fn open(dir: &Path) -> std::result::Result<Self, String> {
        fsperm::ensure_store_dir(dir)?;
        let path = dir.join(DB_FILE);
        if std::fs::symlink_metadata(&path).is_ok_and(|m| m.file_type().is_symlink()) {
            return Err(format!("{} is a symbolic link; refusing", path.display()));
        }
        let mut conn =
            Connection::open(&path).map_err(|e| format!("cannot open {}: {e}", path.display()))?;
        conn.busy_timeout(Duration::from_secs(10)).map_err(|e| e.to_string())?;
        conn.execute_batch(
            "PRAGMA journal_mode = WAL;
             PRAGMA synchronous = FULL;
             PRAGMA secure_delete = ON;
             PRAGMA foreign_keys = ON;",
        )
        .map_err(|e| format!("cannot configure {}: {e}", path.display()))?;
        schema::migrate(&mut conn).map_err(|e| format!("{}: {e}", path.display()))?;
        for suffix in ["", "-wal", "-shm"] {
            fsperm::restrict_file(&dir.join(format!("{DB_FILE}{suffix}")));
        }
        Ok(Self { conn: Mutex::new(conn), dir: dir.to_path_buf() })
    }

    /// The store directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Changes whenever another connection commits (cheap: no disk read in WAL mode).
    pub fn data_version(&self) -> Result<i64> {
        let conn = self.conn.lock();
        let mut st = conn.prepare_cached("PRAGMA data_version")?;
        Ok(st.query_row([], |r| r.get(0))?)
    }

    /// Slots holding an initialized token.
    pub fn token_slots(&self) -> Result<Vec<SlotId>> {
        let conn = self.conn.lock();
        let mut st = conn.prepare_cached("SELECT slot_id FROM tokens ORDER BY slot_id")?;
        let rows = st.query_map([], |r| r.get::<_, i64>(0))?;
        let mut out = Vec::new();
        for r in rows {
            out.push(r? as SlotId);
        }
        Ok(out)
    }

    /// The token in `slot`, if initialized.
    pub fn token(&self, slot: SlotId) -> Result<Option<TokenRecord>> {
        let conn = self.conn.lock();
        let mut st = conn.prepare_cached(
            "SELECT uid, serial, label, kdf_memory_kib, kdf_iterations, kdf_parallelism,
                    so_salt, so_wrapped, so_failures, so_last_failure_ms, so_locked,
                    user_salt, user_wrapped, user_failures, user_last_failure_ms, user_locked
             FROM tokens WHERE slot_id = ?1",
        )?;
        let rec = st
            .query_row([slot as i64], |r| {
                let user_salt: Option<Vec<u8>> = r.get(11)?;
                Ok(TokenRecord {
                    slot_id: slot,
                    uid: r.get(0)?,
                    serial: r.get(1)?,
                    label: r.get(2)?,
                    kdf: PinKdfParams {
                        memory_kib: r.get(3)?,
                        iterations: r.get(4)?,
                        parallelism: r.get(5)?,
                    },
                    so: pin_record(r, 6)?,
                    user: match user_salt {
                        Some(_) => Some(pin_record(r, 11)?),
                        None => None,
                    },
                })
            })
            .optional()?;
        Ok(rec)
    }

    /// (Re-)initialize the token in `slot`: its objects are deleted (with tombstones so other
    /// processes drop them), the user PIN is cleared, the SO PIN and identity replaced.
    /// `replaces` is the identity the caller checked (`None`: the slot was free); if another
    /// process initialized the slot meanwhile, nothing changes and the answer is `false`.
    /// The serial number is set only when the slot had no token before.
    pub fn init_token(
        &self,
        slot: SlotId,
        replaces: Option<&[u8]>,
        t: &NewToken<'_>,
    ) -> Result<bool> {
        let mut conn = self.conn.lock();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let slot_i = slot as i64;
        let current: Option<Vec<u8>> = tx
            .query_row("SELECT uid FROM tokens WHERE slot_id = ?1", [slot_i], |r| r.get(0))
            .optional()?;
        if current.as_deref() != replaces {
            return Ok(false);
        }
        let seq = next_seq(&tx)?;
        tx.execute(
            "INSERT OR REPLACE INTO tombstones (object_id, slot_id, seq)
             SELECT id, slot_id, ?2 FROM objects WHERE slot_id = ?1",
            params![slot_i, seq],
        )?;
        tx.execute("DELETE FROM objects WHERE slot_id = ?1", [slot_i])?;
        tx.execute(
            "INSERT INTO tokens (slot_id, uid, serial, label, kdf_memory_kib, kdf_iterations,
                                 kdf_parallelism, so_salt, so_wrapped)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
             ON CONFLICT (slot_id) DO UPDATE SET
                uid = excluded.uid, label = excluded.label,
                kdf_memory_kib = excluded.kdf_memory_kib,
                kdf_iterations = excluded.kdf_iterations,
                kdf_parallelism = excluded.kdf_parallelism,
                so_salt = excluded.so_salt, so_wrapped = excluded.so_wrapped,
                user_salt = NULL, user_wrapped = NULL,
                so_failures = 0, so_last_failure_ms = 0, so_locked = 0,
                user_failures = 0, user_last_failure_ms = 0, user_locked = 0",
            params![
                slot_i,
                t.uid,
                t.serial,
                t.label,
                t.kdf.memory_kib,
                t.kdf.iterations,
                t.kdf.parallelism,
                t.so_salt,
                t.so_wrapped
            ],
        )?;
        tx.commit()?;
        Ok(true)
    }

    /// Store a new wrapped master key for `role` and clear its failures and lock. `uid` must
    /// still be the token's identity (a concurrent re-initialization wins otherwise).
    pub fn set_pin(
        &self,
        slot: SlotId,
        uid: &[u8],
        role: Role,
        salt: &[u8],
        wrapped: &[u8],
    ) -> Result<bool> {
        let p = role.prefix();
        let sql = format!(
            "UPDATE tokens SET {p}_salt = ?3, {p}_wrapped = ?4, {p}_failures = 0,
                {p}_last_failure_ms = 0, {p}_locked = 0
             WHERE slot_id = ?1 AND uid = ?2"
        );
        let conn = self.conn.lock();
        let n = conn.execute(&sql, params![slot as i64, uid, salt, wrapped])?;
        Ok(n == 1)
    }

    /// Count one failed PIN attempt; lock at `max`. Returns (failures, locked).
    pub fn record_failure(&self, slot: SlotId, role: Role, max: u32) -> Result<(u32, bool)> {
        let p = role.prefix();
        let sql = format!(
            "UPDATE tokens SET {p}_failures = {p}_failures + 1, {p}_last_failure_ms = ?2,
                {p}_locked = ({p}_failures + 1 >= ?3) OR {p}_locked
             WHERE slot_id = ?1 RETURNING {p}_failures, {p}_locked"
        );
        let mut conn = self.conn.lock();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let out = tx
            .query_row(&sql, params![slot as i64, now_ms(), max], |r| Ok((r.get(0)?, r.get(1)?)))?;
        tx.commit()?;
        Ok(out)
    }

    /// Clear the failure count after a correct PIN (not a lock: only a PIN reset clears that).
    pub fn reset_failures(&self, slot: SlotId, role: Role) -> Result<()> {
        let p = role.prefix();
        let sql = format!(
            "UPDATE tokens SET {p}_failures = 0, {p}_last_failure_ms = 0
             WHERE slot_id = ?1 AND {p}_failures != 0"
        );
        self.conn.lock().execute(&sql, [slot as i64])?;
        Ok(())
    }

    /// Insert an object. `seal` receives the new row id and version 1 and returns the sealed
    /// part, so the seal can bind both.
    pub fn insert_object(
        &self,
        slot: SlotId,
        private: bool,
        public_attrs: &[u8],
        seal: impl FnOnce(i64, i64) -> Result<Option<Vec<u8>>>,
    ) -> Result<ObjectRow> {
        let mut conn = self.conn.lock();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let seq = next_seq(&tx)?;
        tx.execute(
            "INSERT INTO objects (slot_id, private, version, seq, public_attrs)
             VALUES (?1, ?2, 1, ?3, ?4)",
            params![slot as i64, private, seq, public_attrs],
        )?;
        let id = tx.last_insert_rowid();
        let sealed = seal(id, 1)?;
        tx.execute("UPDATE objects SET sealed = ?2 WHERE id = ?1", params![id, sealed])?;
        tx.commit()?;
        Ok(ObjectRow { id, private, version: 1, public_attrs: public_attrs.to_vec(), sealed })
    }

    /// Replace an object's attributes; the version goes up by one. `None` if it is gone.
    pub fn update_object(
        &self,
        slot: SlotId,
        id: i64,
        public_attrs: &[u8],
        seal: impl FnOnce(i64) -> Result<Option<Vec<u8>>>,
    ) -> Result<Option<ObjectRow>> {
        let mut conn = self.conn.lock();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let row: Option<(i64, bool)> = tx
            .query_row(
                "SELECT version, private FROM objects WHERE id = ?1 AND slot_id = ?2",
                params![id, slot as i64],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        let Some((version, private)) = row else { return Ok(None) };
        let version = version + 1;
        let sealed = seal(version)?;
        let seq = next_seq(&tx)?;
        tx.execute(
            "UPDATE objects SET version = ?2, seq = ?3, public_attrs = ?4, sealed = ?5
             WHERE id = ?1",
            params![id, version, seq, public_attrs, sealed],
        )?;
        tx.commit()?;
        Ok(Some(ObjectRow { id, private, version, public_attrs: public_attrs.to_vec(), sealed }))
    }

    /// Delete an object. `false` if it was already gone.
    pub fn delete_object(&self, slot: SlotId, id: i64) -> Result<bool> {
        let mut conn = self.conn.lock();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let n = tx.execute(
            "DELETE FROM objects WHERE id = ?1 AND slot_id = ?2",
            params![id, slot as i64],
        )?;
        if n == 1 {
            let seq = next_seq(&tx)?;
            tx.execute(
                "INSERT OR REPLACE INTO tombstones (object_id, slot_id, seq) VALUES (?1, ?2, ?3)",
                params![id, slot as i64, seq],
            )?;
        }
        tx.commit()?;
        Ok(n == 1)
    }

    /// Rows and deletions in `slot` after sequence number `since`.
    pub fn changes_since(&self, slot: SlotId, since: i64) -> Result<Changes> {
        let mut conn = self.conn.lock();
        // One read transaction: the rows, tombstones and sequence form one snapshot.
        let tx = conn.transaction_with_behavior(TransactionBehavior::Deferred)?;
        let mut out = Changes {
            seq: tx.query_row("SELECT value FROM meta WHERE key = 'seq'", [], |r| r.get(0))?,
            ..Changes::default()
        };
        {
            let mut st = tx.prepare_cached(
                "SELECT id, private, version, public_attrs, sealed FROM objects
                 WHERE slot_id = ?1 AND seq > ?2",
            )?;
            let rows = st.query_map(params![slot as i64, since], |r| {
                Ok(ObjectRow {
                    id: r.get(0)?,
                    private: r.get(1)?,
                    version: r.get(2)?,
                    public_attrs: r.get(3)?,
                    sealed: r.get(4)?,
                })
            })?;
            for r in rows {
                out.upserts.push(r?);
            }
            let mut st = tx.prepare_cached(
                "SELECT object_id FROM tombstones WHERE slot_id = ?1 AND seq > ?2",
            )?;
            for r in st.query_map(params![slot as i64, since], |r| r.get(0))? {
                out.deletes.push(r?);
            }
        }
        tx.commit()?;
        Ok(out)
    }

    /// (public, private) object counts of `slot`.
    pub fn object_counts(&self, slot: SlotId) -> Result<(u64, u64)> {
        let conn = self.conn.lock();
        Ok(conn.query_row(
            "SELECT COALESCE(SUM(private = 0), 0), COALESCE(SUM(private != 0), 0) FROM objects
             WHERE slot_id = ?1",
            [slot as i64],
            |r| Ok((r.get::<_, i64>(0)? as u64, r.get::<_, i64>(1)? as u64)),
        )?)
    }

    /// Checkpoint the WAL into the database and truncate it (no stale pages left behind).
    pub fn checkpoint(&self) -> Result<()> {
        self.conn.lock().execute_batch("PRAGMA wal_checkpoint(TRUNCATE);")?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store() -> (tempfile::TempDir, Store) {
        let t = tempfile::tempdir().unwrap();
        let s = Store::open(&t.path().join("store")).unwrap();
        (t, s)
    }

    fn new_token(uid: &[u8]) -> NewToken<'_> {
        let kdf = PinKdfParams { memory_kib: 8, iterations: 1, parallelism: 1 };
        let label = &[b' '; 32];
        NewToken { uid, serial: "0123456789abcdef", label, kdf, so_salt: b"salt", so_wrapped: b"w" }
    }

    /// Initialize (or re-initialize, keeping the identity "uid") the token in `slot`.
    fn init(s: &Store, slot: SlotId) {
        let current = s.token(slot).unwrap().map(|t| t.uid);
        assert!(s.init_token(slot, current.as_deref(), &new_token(b"uid")).unwrap());
    }

    #[test]
    fn concurrent_initialization_is_detected() {
        let (_t, s) = store();
        assert!(s.init_token(0, None, &new_token(b"first")).unwrap());
        // A second initializer that saw the slot free must not clobber the first.
        assert!(!s.init_token(0, None, &new_token(b"second")).unwrap());
        assert!(!s.init_token(0, Some(b"stale"), &new_token(b"second")).unwrap());
        assert_eq!(s.token(0).unwrap().unwrap().uid, b"first");
        assert!(s.init_token(0, Some(b"first"), &new_token(b"second")).unwrap());
    }

    #[test]
    fn token_round_trip_and_failures() {
        let (_t, s) = store();
        assert_eq!(s.token(0).unwrap(), None);
        init(&s, 0);
        let t = s.token(0).unwrap().unwrap();
        assert_eq!(t.serial, "0123456789abcdef");
        assert!(t.user.is_none());
        assert_eq!(s.record_failure(0, Role::So, 2).unwrap(), (1, false));
        assert_eq!(s.record_failure(0, Role::So, 2).unwrap(), (2, true));
        s.reset_failures(0, Role::So).unwrap();
        let t = s.token(0).unwrap().unwrap();
        assert_eq!((t.so.failures, t.so.locked), (0, true));
        assert!(s.set_pin(0, b"uid", Role::User, b"s", b"w").unwrap());
        assert!(!s.set_pin(0, b"other", Role::User, b"s", b"w").unwrap());
        assert!(s.token(0).unwrap().unwrap().user.is_some());
        assert_eq!(s.token_slots().unwrap(), vec![0]);
    }

    #[test]
    fn objects_and_changes() {
        let (_t, s) = store();
        init(&s, 0);
        let a = s.insert_object(0, false, b"pub", |_, _| Ok(None)).unwrap();
        let b = s
            .insert_object(0, true, b"", |id, v| Ok(Some(format!("{id}/{v}").into_bytes())))
            .unwrap();
        assert_eq!(b.sealed.as_deref(), Some(format!("{}/1", b.id).as_bytes()));
        let c = s.changes_since(0, 0).unwrap();
        assert_eq!(c.upserts.len(), 2);
        let seq = c.seq;
        let a2 = s.update_object(0, a.id, b"pub2", |_| Ok(None)).unwrap().unwrap();
        assert_eq!(a2.version, 2);
        assert!(s.delete_object(0, b.id).unwrap());
        assert!(!s.delete_object(0, b.id).unwrap());
        let c = s.changes_since(0, seq).unwrap();
        assert_eq!(c.upserts, vec![a2]);
        assert_eq!(c.deletes, vec![b.id]);
        init(&s, 0);
        let c = s.changes_since(0, c.seq).unwrap();
        assert_eq!(c.deletes, vec![a.id]);
    }
}
