//! The module's global state, the fork check and the panic guard every entry point uses.
//!
//! Fork: a `pthread_atfork` child handler bumps a generation counter. Every call compares the
//! module's generation with it (one atomic load, no system call); a child that inherited an
//! initialized module gets CKR_CRYPTOKI_NOT_INITIALIZED, and its C_Initialize leaks — never
//! uses, never closes — the parent's state, then builds a fresh one.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::Once;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use craton_token::{Error, Module, Result};
use parking_lot::lock_api::RawRwLock as _;
use parking_lot::{RwLock, RwLockReadGuard, RwLockWriteGuard};
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

/// The state is replicated into shards, each on its own cache line: a call locks only its
/// thread's shard for reading, so two threads never write to a shared line (a lock's reader
/// count, an `Arc`'s reference count) just to reach the module. C_Initialize, C_Finalize,
/// the error latch and fork take every shard, in order.
const SHARDS: usize = 8;

#[repr(align(128))]
struct Shard(RwLock<Loaded>);

static STATE: [Shard; SHARDS] =
    [const { Shard(RwLock::new(Loaded { phase: Phase::Idle, fork_gen: 0 })) }; SHARDS];
static FORK_GEN: AtomicU64 = AtomicU64::new(0);
static ATFORK: Once = Once::new();
static NEXT_SHARD: AtomicUsize = AtomicUsize::new(0);

thread_local! {
    static MY_SHARD: usize = NEXT_SHARD.fetch_add(1, Ordering::Relaxed) % SHARDS;
}

fn my_shard() -> &'static RwLock<Loaded> {
    let i = MY_SHARD.try_with(|i| *i).unwrap_or(0);
    &STATE[i].0
}

extern "C" fn before_fork() {
    // Hold every state lock across fork() so the child never inherits one half-taken.
    for shard in &STATE {
        // SAFETY: taking the raw lock is sound; `raw()` is unsafe only because a raw unlock
        // could break guards, and the matching unlocks below release exactly these.
        unsafe { shard.0.raw().lock_exclusive() };
    }
    // Last: threads inside a call may still be creating or dropping secrets until the
    // shards are ours; the page table's critical sections take no other lock.
    crate::mlock::before_fork();
}

extern "C" fn after_fork_parent() {
    crate::mlock::after_fork_parent();
    for shard in &STATE {
        // SAFETY: `before_fork` took every exclusive lock on this thread; none was released.
        unsafe { shard.0.raw().unlock_exclusive() };
    }
}

extern "C" fn after_fork_child() {
    FORK_GEN.fetch_add(1, Ordering::AcqRel);
    craton_crypto::rng::note_fork();
    crate::mlock::after_fork_child();
    for shard in &STATE {
        // SAFETY: the forking thread (now the child's only thread) holds every lock from
        // `before_fork`.
        unsafe { shard.0.raw().unlock_exclusive() };
    }
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

/// Every shard, write-locked in order.
fn write_all() -> [RwLockWriteGuard<'static, Loaded>; SHARDS] {
    std::array::from_fn(|i| STATE[i].0.write())
}

/// The module for the duration of one call: the thread's shard stays read-locked, so
/// C_Finalize waits for calls in flight.
pub struct ModuleRef(RwLockReadGuard<'static, Loaded>);

impl std::ops::Deref for ModuleRef {
    type Target = Module;

    fn deref(&self) -> &Module {
        match &self.0.phase {
            Phase::Ready(m) => m,
            // `module()` only builds a ModuleRef over a ready phase, and the guard keeps it so.
            _ => unreachable!("ModuleRef over a module that is not ready"),
        }
    }
}

/// The current module. Not initialized (or inherited across fork): NOT_INITIALIZED. Failed,
/// or the random source's health tests tripped since: GENERAL_ERROR.
pub fn module() -> Result<ModuleRef> {
    // Recursive: a call nested in another never waits behind a queued writer.
    let state = my_shard().read_recursive();
    match current(&state) {
        Phase::Ready(_) => {
            if let Some(f) = craton_crypto::rng::failure() {
                drop(state);
                enter_failed(&format!("random source: {f}"));
                return Err(Error::GeneralError);
            }
            if craton_crypto::self_test::deferred_failure() {
                drop(state);
                enter_failed("a self-test run before first use failed");
                return Err(Error::GeneralError);
            }
            Ok(ModuleRef(state))
        }
        Phase::Failed => Err(Error::GeneralError),
        Phase::Idle => Err(Error::CryptokiNotInitialized),
    }
}

/// `Ok` when initialized, working or failed (C_GetInfo answers in the error state too).
pub fn initialized() -> Result<()> {
    match current(&my_shard().read_recursive()) {
        Phase::Idle => Err(Error::CryptokiNotInitialized),
        _ => Ok(()),
    }
}

fn enter_failed(why: &str) {
    let mut all = write_all();
    if matches!(current(&all[0]), Phase::Ready(_)) {
        log::error!("{why}; the module is in the error state until C_Finalize");
        for s in all.iter_mut() {
            s.phase = Phase::Failed;
        }
    }
}

/// C_Initialize: `check` runs the power-on self-tests (an error names the failed test and
/// latches the error state), then `make` builds the module.
pub fn initialize(
    check: impl FnOnce() -> std::result::Result<(), String>,
    make: impl FnOnce() -> Result<Module>,
) -> Result<()> {
    register_atfork();
    let mut all = write_all();
    let gen_now = FORK_GEN.load(Ordering::Acquire);
    if all[0].fork_gen == gen_now {
        match all[0].phase {
            Phase::Ready(_) => return Err(Error::CryptokiAlreadyInitialized),
            Phase::Failed => return Err(Error::GeneralError),
            Phase::Idle => {}
        }
    } else {
        // Inherited from the parent: its connections and locks belong to the parent.
        for s in all.iter_mut() {
            std::mem::forget(std::mem::replace(&mut s.phase, Phase::Idle));
            s.fork_gen = gen_now;
        }
    }
    craton_crypto::rng::clear_failure();
    if let Err(why) = check() {
        log::error!("{why}; the module is in the error state until C_Finalize");
        for s in all.iter_mut() {
            s.phase = Phase::Failed;
        }
        return Err(Error::GeneralError);
    }
    let m = Arc::new(make()?);
    for s in all.iter_mut() {
        s.phase = Phase::Ready(m.clone());
    }
    Ok(())
}

/// C_Finalize: release the module, or leave the error state.
pub fn finalize() -> Result<()> {
    let mut all = write_all();
    if all[0].fork_gen != FORK_GEN.load(Ordering::Acquire) {
        for s in all.iter_mut() {
            std::mem::forget(std::mem::replace(&mut s.phase, Phase::Idle));
        }
        return Err(Error::CryptokiNotInitialized);
    }
    let mut module = None;
    let mut was = Phase::Idle;
    for s in all.iter_mut() {
        match std::mem::replace(&mut s.phase, Phase::Idle) {
            Phase::Ready(m) => module = Some(m),
            other => was = other,
        }
    }
    match (module, was) {
        (Some(m), _) => {
            m.shutdown();
            Ok(())
        }
        (None, Phase::Failed) => Ok(()),
        _ => Err(Error::CryptokiNotInitialized),
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
