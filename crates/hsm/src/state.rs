//! The module's global state, the fork check and the panic guard every entry point uses.
//!
//! Fork: a `pthread_atfork` child handler bumps a generation counter. Every call compares the
//! module's generation with it (one atomic load, no system call); a child that inherited an
//! initialized module gets CKR_CRYPTOKI_NOT_INITIALIZED, and its C_Initialize leaks — never
//! uses, never closes — the parent's state, then builds a fresh one.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::Once;
use std::sync::atomic::{AtomicU64, Ordering};

use craton_token::{Error, Module, Result};
use parking_lot::RwLock;
use parking_lot::lock_api::RawRwLock as _;
use pkcs11_sys::{CK_RV, CKR_GENERAL_ERROR, CKR_OK};

/// An initialized module and the fork generation it was made in.
pub struct Loaded {
    /// The module.
    pub module: Arc<Module>,
    fork_gen: u64,
}

static STATE: RwLock<Option<Loaded>> = RwLock::new(None);
static FORK_GEN: AtomicU64 = AtomicU64::new(0);
static ATFORK: Once = Once::new();

extern "C" fn before_fork() {
    // Hold the state lock across fork() so the child never inherits it half-taken.
    // SAFETY: taking the raw lock is sound; `raw()` is unsafe only because a raw unlock could
    // break guards, and the matching unlocks below release exactly this acquisition.
    unsafe { STATE.raw().lock_exclusive() };
}

extern "C" fn after_fork_parent() {
    // SAFETY: `before_fork` took the exclusive lock on this thread, and nothing released it.
    unsafe { STATE.raw().unlock_exclusive() };
}

extern "C" fn after_fork_child() {
    FORK_GEN.fetch_add(1, Ordering::AcqRel);
    // SAFETY: the forking thread (now the child's only thread) holds the lock from
    // `before_fork`.
    unsafe { STATE.raw().unlock_exclusive() };
}

fn register_atfork() {
    ATFORK.call_once(|| {
        // SAFETY: the three handlers are plain `extern "C"` functions without arguments that
        // live as long as the process (the library is never unloaded while registered: the
        // loader keeps it, and the handlers touch only statics).
        let rc = unsafe {
            libc::pthread_atfork(Some(before_fork), Some(after_fork_parent), Some(after_fork_child))
        };
        if rc != 0 {
            log::warn!("pthread_atfork failed ({rc}); fork detection is unavailable");
        }
    });
}

/// The current module, if initialized in this process.
pub fn module() -> Result<Arc<Module>> {
    let state = STATE.read();
    match state.as_ref() {
        Some(l) if l.fork_gen == FORK_GEN.load(Ordering::Acquire) => Ok(l.module.clone()),
        _ => Err(Error::CryptokiNotInitialized),
    }
}

/// Install a module built by `make` (C_Initialize).
pub fn initialize(make: impl FnOnce() -> Result<Module>) -> Result<()> {
    register_atfork();
    let mut state = STATE.write();
    let current = FORK_GEN.load(Ordering::Acquire);
    match state.take() {
        Some(l) if l.fork_gen == current => {
            *state = Some(l);
            return Err(Error::CryptokiAlreadyInitialized);
        }
        // Inherited from the parent: its connections and locks belong to the parent.
        Some(l) => std::mem::forget(l),
        None => {}
    }
    let module = make()?;
    *state = Some(Loaded { module: Arc::new(module), fork_gen: current });
    Ok(())
}

/// Remove the module (C_Finalize).
pub fn finalize() -> Result<()> {
    let mut state = STATE.write();
    match state.take() {
        Some(l) if l.fork_gen == FORK_GEN.load(Ordering::Acquire) => {
            l.module.shutdown();
            Ok(())
        }
        Some(l) => {
            std::mem::forget(l);
            Err(Error::CryptokiNotInitialized)
        }
        None => Err(Error::CryptokiNotInitialized),
    }
}

/// Run an entry point body: errors become their CKR, panics become CKR_GENERAL_ERROR and never
/// unwind into the caller.
pub fn guard(name: &str, f: impl FnOnce() -> Result<()>) -> CK_RV {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(())) => CKR_OK as CK_RV,
        Ok(Err(e)) => {
            log::debug!("{name}: {e}");
            crate::rv::of(e)
        }
        Err(_) => {
            log::error!("{name}: internal error (panic caught at the C boundary)");
            CKR_GENERAL_ERROR as CK_RV
        }
    }
}
