//! The store's schema and its migrations. `meta.schema_version` names the last applied step;
//! each step runs in the transaction that records it, so an interrupted upgrade leaves the
//! previous version intact.

use rusqlite::{Connection, OptionalExtension};

/// Migrations in order; index + 1 is the schema version each one produces.
const MIGRATIONS: &[&str] = &[
    // 1: tokens, objects, and tombstones so other processes can follow deletions.
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
     INSERT INTO meta (key, value) VALUES ('seq', 0);
     CREATE TABLE tokens (
        slot_id INTEGER PRIMARY KEY,
        uid BLOB NOT NULL,
        serial TEXT NOT NULL,
        label BLOB NOT NULL,
        kdf_memory_kib INTEGER NOT NULL,
        kdf_iterations INTEGER NOT NULL,
        kdf_parallelism INTEGER NOT NULL,
        so_salt BLOB NOT NULL,
        so_wrapped BLOB NOT NULL,
        user_salt BLOB,
        user_wrapped BLOB,
        so_failures INTEGER NOT NULL DEFAULT 0,
        so_last_failure_ms INTEGER NOT NULL DEFAULT 0,
        so_locked INTEGER NOT NULL DEFAULT 0,
        user_failures INTEGER NOT NULL DEFAULT 0,
        user_last_failure_ms INTEGER NOT NULL DEFAULT 0,
        user_locked INTEGER NOT NULL DEFAULT 0
     );
     CREATE TABLE objects (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        slot_id INTEGER NOT NULL,
        private INTEGER NOT NULL,
        version INTEGER NOT NULL,
        seq INTEGER NOT NULL,
        public_attrs BLOB NOT NULL,
        sealed BLOB
     );
     CREATE INDEX objects_by_seq ON objects (slot_id, seq);
     CREATE TABLE tombstones (
        object_id INTEGER PRIMARY KEY,
        slot_id INTEGER NOT NULL,
        seq INTEGER NOT NULL
     );
     CREATE INDEX tombstones_by_seq ON tombstones (slot_id, seq);",
];

/// The schema version this build writes.
pub const CURRENT: i64 = MIGRATIONS.len() as i64;

fn version(conn: &Connection) -> rusqlite::Result<i64> {
    let has_meta: bool = conn
        .query_row("SELECT 1 FROM sqlite_master WHERE type='table' AND name='meta'", [], |_| {
            Ok(true)
        })
        .optional()?
        .unwrap_or(false);
    if !has_meta {
        return Ok(0);
    }
    Ok(conn
        .query_row("SELECT value FROM meta WHERE key='schema_version'", [], |r| r.get(0))
        .optional()?
        .unwrap_or(0))
}

/// Bring the schema up to [`CURRENT`]. A store newer than this build is refused.
pub fn migrate(conn: &mut Connection) -> Result<(), String> {
    loop {
        let tx = conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(|e| e.to_string())?;
        let v = version(&tx).map_err(|e| e.to_string())?;
        if v > CURRENT {
            return Err(format!(
                "store schema version {v} is newer than this library supports ({CURRENT})"
            ));
        }
        if v == CURRENT {
            return Ok(());
        }
        tx.execute_batch(MIGRATIONS[v as usize]).map_err(|e| e.to_string())?;
        tx.execute(
            "INSERT INTO meta (key, value) VALUES ('schema_version', ?1)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            [v + 1],
        )
        .map_err(|e| e.to_string())?;
        tx.commit().map_err(|e| e.to_string())?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrates_once_and_is_idempotent() {
        let mut c = Connection::open_in_memory().unwrap();
        migrate(&mut c).unwrap();
        assert_eq!(version(&c).unwrap(), CURRENT);
        migrate(&mut c).unwrap();
        assert_eq!(version(&c).unwrap(), CURRENT);
    }

    #[test]
    fn refuses_newer_store() {
        let mut c = Connection::open_in_memory().unwrap();
        migrate(&mut c).unwrap();
        c.execute("UPDATE meta SET value = 99 WHERE key='schema_version'", []).unwrap();
        assert!(migrate(&mut c).unwrap_err().contains("newer"));
    }
}
