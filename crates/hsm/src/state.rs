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

/// What the library is, between C_Initialize and C_Finalize.
pub enum Phase {
    /// Not initialized.
    Idle,
    /// Initialized and working.
    Ready(Arc<Module>),
    /// A self-test, integrity or health test failed: only C_GetInfo and C_Finalize work.
    Failed,
}

struct Loaded {
    phase: Phase,
    fork_gen: u64,
}

static STATE: RwLock<Loaded> = RwLock::new(Loaded { phase: Phase::Idle, fork_gen: 0 });
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
    craton_crypto::rng::note_fork();
    // SAFETY: the forking thread (now the child's only thread) holds the lock from
    // `before_fork`.
    unsafe { STATE.raw().unlock_exclusive() };
}

fn register_atfork() {
    ATFORK.call_once(|| {
        // SAFETY: the three handlers are plain `extern "C"` functions without arguments; the
        // library is linked nodelete, so they stay mapped for the life of the process.
        let rc = unsafe {
            libc::pthread_atfork(Some(before_fork), Some(after_fork_parent), Some(after_fork_child))
        };
        if rc != 0 {
            log::warn!("pthread_atfork failed ({rc}); fork detection is unavailable");
        }
    });
}

fn current(l: &Loaded) -> &Phase {
    if l.fork_gen == FORK_GEN.load(Ordering::Acquire) { &l.phase } else { &Phase::Idle }
}

/// The current module. Not initialized (or inherited across fork): NOT_INITIALIZED. Failed,
/// or the random source's health tests tripped since: GENERAL_ERROR.
pub fn module() -> Result<Arc<Module>> {
    let state = STATE.read();
    match current(&state) {
        Phase::Ready(m) => {
            if let Some(f) = craton_crypto::rng::failure() {
                drop(state);
                enter_failed(&format!("random source: {f}"));
                return Err(Error::GeneralError);
            }
            Ok(m.clone())
        }
        Phase::Failed => Err(Error::GeneralError),
        Phase::Idle => Err(Error::CryptokiNotInitialized),
    }
}

/// `Ok` when initialized, working or failed (C_GetInfo answers in the error state too).
pub fn initialized() -> Result<()> {
    match current(&STATE.read()) {
        Phase::Idle => Err(Error::CryptokiNotInitialized),
        _ => Ok(()),
    }
}

fn enter_failed(why: &str) {
    let mut state = STATE.write();
    if matches!(current(&state), Phase::Ready(_)) {
        log::error!("{why}; the module is in the error state until C_Finalize");
        state.phase = Phase::Failed;
    }
}

/// C_Initialize: `check` runs the power-on self-tests (an error names the failed test and
/// latches the error state), then `make` builds the module.
pub fn initialize(
    check: impl FnOnce() -> std::result::Result<(), String>,
    make: impl FnOnce() -> Result<Module>,
) -> Result<()> {
    register_atfork();
    let mut state = STATE.write();
    let gen_now = FORK_GEN.load(Ordering::Acquire);
    if state.fork_gen == gen_now {
        match state.phase {
            Phase::Ready(_) => return Err(Error::CryptokiAlreadyInitialized),
            Phase::Failed => return Err(Error::GeneralError),
            Phase::Idle => {}
        }
    } else {
        // Inherited from the parent: its connections and locks belong to the parent.
        std::mem::forget(std::mem::replace(&mut state.phase, Phase::Idle));
        state.fork_gen = gen_now;
    }
    craton_crypto::rng::clear_failure();
    if let Err(why) = check() {
        log::error!("{why}; the module is in the error state until C_Finalize");
        state.phase = Phase::Failed;
        return Err(Error::GeneralError);
    }
    state.phase = Phase::Ready(Arc::new(make()?));
    Ok(())
}

/// C_Finalize: release the module, or leave the error state.
pub fn finalize() -> Result<()> {
    let mut state = STATE.write();
    if state.fork_gen != FORK_GEN.load(Ordering::Acquire) {
        std::mem::forget(std::mem::replace(&mut state.phase, Phase::Idle));
        return Err(Error::CryptokiNotInitialized);
    }
    match std::mem::replace(&mut state.phase, Phase::Idle) {
        Phase::Ready(m) => {
            m.shutdown();
            Ok(())
        }
        Phase::Failed => Ok(()),
        Phase::Idle => Err(Error::CryptokiNotInitialized),
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
