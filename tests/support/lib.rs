//! Support for the black-box tests: every test gets its own copy of
//! `libcraton_hsm.so` in a fresh temp dir with `craton-hsm.toml` beside it
//! (docs/BEHAVIOUR.md), so each test has its own module state and store
//! and tests can run in parallel.

pub mod kat;
pub mod raw;

use cryptoki::context::{CInitializeArgs, CInitializeFlags, Pkcs11};
use cryptoki::error::{Error, RvError};
use cryptoki::session::{Session, UserType};
use cryptoki::slot::{Slot, TokenInfo};
use cryptoki::types::AuthPin;
use std::fmt::Debug;
use std::path::{Path, PathBuf};
use std::process::{Child, Output};
use std::time::{Duration, Instant};
use tempfile::TempDir;

pub use raw::{RawAttr, RawModule};

pub const SO_PIN: &str = "so-secret-1";
pub const USER_PIN: &str = "user-secret-1";
pub const TOKEN_LABEL: &str = "craton-test";
/// Name of the config file the module looks for beside itself.
pub const CONFIG_NAME: &str = "craton-hsm.toml";

/// A small self-signed X.509 certificate (CN=craton-test) and its subject DER.
pub const TEST_CERT_DER: &[u8] = include_bytes!("cert.der");
pub const TEST_CERT_SUBJECT: &[u8] = &[
    0x30, 0x16, 0x31, 0x14, 0x30, 0x12, 0x06, 0x03, 0x55, 0x04, 0x03, 0x0c, 0x0b, b'c', b'r', b'a',
    b't', b'o', b'n', b'-', b't', b'e', b's', b't',
];

/// Path of the library under test: `$CRATON_HSM_LIB`, else
/// `target/<profile>/libcraton_hsm.so` next to the `deps/` dir holding this
/// test binary.
pub fn library_path() -> PathBuf {
    let path = match std::env::var_os("CRATON_HSM_LIB") {
        Some(p) => PathBuf::from(p),
        None => {
            let exe = std::env::current_exe().expect("current_exe");
            let deps = exe.parent().expect("test binary has a parent dir");
            // Test binaries live in target/<profile>/deps/, helper binaries in
            // target/<profile>/.
            let profile = if deps.ends_with("deps") { deps.parent().unwrap() } else { deps };
            profile.join("libcraton_hsm.so")
        }
    };
    assert!(
        path.is_file(),
        "{} is missing: build it first: cargo build -p craton-hsm",
        path.display()
    );
    path
}

pub fn pin(s: &str) -> AuthPin {
    AuthPin::from(s)
}

/// The PKCS#11 error code of a failed call; panics if the call succeeded or
/// failed outside the module (library loading, conversions).
#[track_caller]
pub fn rv_of<T: Debug>(result: cryptoki::error::Result<T>) -> RvError {
    match result {
        Err(Error::Pkcs11(rv, _)) => rv,
        other => panic!("expected a PKCS#11 error, got {other:?}"),
    }
}

/// Assert a call failed with exactly `want`.
#[track_caller]
pub fn expect_rv<T: Debug>(result: cryptoki::error::Result<T>, want: RvError) {
    match result {
        Err(Error::Pkcs11(rv, f)) => assert_eq!(rv, want, "{f} returned the wrong error"),
        other => panic!("expected {want:?}, got {other:?}"),
    }
}

/// `s` blank padded to `n` bytes, as PKCS#11 info strings are.
pub fn padded(s: &str, n: usize) -> Vec<u8> {
    assert!(s.len() <= n);
    let mut v = s.as_bytes().to_vec();
    v.resize(n, b' ');
    v
}

/// Fork; run `child` in the child process and leave it with `_exit` (no destructors, no
/// atexit handlers of the parent), and return the child's exit code in the parent
/// (100 if it did not exit normally). Call it only from a single-threaded program.
pub fn fork_and_wait(child: impl FnOnce() -> i32) -> i32 {
    use std::io::Write;
    // Nothing buffered may be written twice.
    let _ = std::io::stdout().flush();
    // SAFETY: the caller is single-threaded (the module may run threads of its own; coping
    // with that across fork is what the helpers test).
    let pid = unsafe { libc::fork() };
    if pid < 0 {
        panic!("fork: {}", std::io::Error::last_os_error());
    }
    if pid == 0 {
        let code = child();
        let _ = std::io::stdout().flush();
        let _ = std::io::stderr().flush();
        // SAFETY: leave without running the parent's destructors or atexit handlers.
        unsafe { libc::_exit(code) };
    }
    let mut status = 0;
    // SAFETY: pid is our child; status is a valid out-pointer.
    let waited = unsafe { libc::waitpid(pid, &mut status, 0) };
    assert_eq!(waited, pid, "waitpid: {}", std::io::Error::last_os_error());
    if libc::WIFEXITED(status) { libc::WEXITSTATUS(status) } else { 100 }
}

/// Run one of this package's helper programs with piped output; fails the test if it
/// runs longer than two minutes.
pub fn run_helper(exe: &str, args: &[&std::ffi::OsStr]) -> Output {
    let child = std::process::Command::new(exe)
        .args(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("spawn {exe}: {e}"));
    wait_with_timeout(child, Duration::from_secs(120))
}

/// Wait for a helper process, killing it after `limit` so a deadlocked
/// module fails the test instead of hanging it.
pub fn wait_with_timeout(mut child: Child, limit: Duration) -> Output {
    let deadline = Instant::now() + limit;
    while child.try_wait().expect("try_wait").is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            let out = child.wait_with_output().expect("wait after kill");
            panic!(
                "helper timed out after {limit:?}\nstdout:\n{}\nstderr:\n{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().expect("wait_with_output")
}

/// Config knobs; defaults are the fast settings from the contract.
#[derive(Debug, Clone)]
pub struct Builder {
    max_sessions: Option<u64>,
    slots: Option<u64>,
    max_failed_logins: u64,
    pin_length: Option<(u64, u64)>,
    backoff_base_ms: u64,
    backoff_cap_ms: u64,
    storage_path: Option<PathBuf>,
    config_text: Option<String>,
}

impl Default for Builder {
    fn default() -> Self {
        Self {
            max_sessions: None,
            slots: None,
            max_failed_logins: 10,
            pin_length: None,
            backoff_base_ms: 1,
            backoff_cap_ms: 10,
            storage_path: None,
            config_text: None,
        }
    }
}

impl Builder {
    pub fn max_sessions(mut self, n: u64) -> Self {
        self.max_sessions = Some(n);
        self
    }

    /// Pin the slot layout to exactly `n` slots.
    pub fn slots(mut self, n: u64) -> Self {
        self.slots = Some(n);
        self
    }

    pub fn max_failed_logins(mut self, n: u64) -> Self {
        self.max_failed_logins = n;
        self
    }

    pub fn pin_length(mut self, min: u64, max: u64) -> Self {
        self.pin_length = Some((min, max));
        self
    }

    pub fn backoff(mut self, base_ms: u64, cap_ms: u64) -> Self {
        self.backoff_base_ms = base_ms;
        self.backoff_cap_ms = cap_ms;
        self
    }

    /// Store somewhere other than `<tempdir>/store`.
    pub fn storage_path(mut self, path: PathBuf) -> Self {
        self.storage_path = Some(path);
        self
    }

    /// Write this text verbatim as the config file (for bad-config tests).
    pub fn config_text(mut self, text: &str) -> Self {
        self.config_text = Some(text.to_owned());
        self
    }

    fn render(&self, store: &Path) -> String {
        if let Some(text) = &self.config_text {
            return text.clone();
        }
        let mut t = format!("[token]\nstorage_path = {}\n", toml_string(store));
        if let Some(n) = self.max_sessions {
            t += &format!("max_sessions = {n}\n");
        }
        if let Some(n) = self.slots {
            t += &format!("slots = {n}\n");
        }
        t += &format!(
            "[security]\nmax_failed_logins = {}\nbackoff_base_ms = {}\nbackoff_cap_ms = {}\n",
            self.max_failed_logins, self.backoff_base_ms, self.backoff_cap_ms
        );
        // Cheap Argon2 so PIN operations cost microseconds, not a second.
        t += "argon2_memory_kib = 64\nargon2_iterations = 1\nargon2_parallelism = 1\n";
        if let Some((min, max)) = self.pin_length {
            t += &format!("min_pin_length = {min}\nmax_pin_length = {max}\n");
        }
        t + "[log]\nlevel = \"warn\"\n"
    }

    /// Temp dir with the library copy and config, module not loaded yet.
    pub fn build_unloaded(self) -> TestToken {
        assert!(
            std::env::var_os("CRATON_HSM_CONF").is_none(),
            "unset CRATON_HSM_CONF: the tests rely on the config beside the library"
        );
        let source = library_path();
        let dir = tempfile::Builder::new().prefix("craton-bb-").tempdir().expect("tempdir");
        let store = self.storage_path.clone().unwrap_or_else(|| dir.path().join("store"));
        std::fs::write(dir.path().join(CONFIG_NAME), self.render(&store)).expect("write config");
        let lib = dir.path().join("libcraton_hsm.so");
        std::fs::copy(&source, &lib).expect("copy the library");
        TestToken { dir, source, store, lib, generation: 0, ctx: None }
    }

    /// Temp dir, library copy and config, module loaded and C_Initialize'd.
    pub fn build(self) -> TestToken {
        let mut token = self.build_unloaded();
        token.load().expect("C_Initialize");
        token
    }
}

/// Keep an already loaded library mapped for the life of the process.
///
/// Test threads call into the module and may leave per-thread state whose
/// destructors live in the module; if the copy were unmapped when its
/// `TestToken` drops, the harness thread would crash on exit and take every
/// other test of the binary with it. Unloading is tested on its own, in a
/// subprocess (unload.rs).
fn pin_loaded(lib: &Path) {
    let c = std::ffi::CString::new(lib.as_os_str().as_encoded_bytes()).expect("NUL in path");
    let flags = libc::RTLD_NOW | libc::RTLD_NOLOAD | libc::RTLD_NODELETE;
    // SAFETY: c is NUL-terminated; RTLD_NOLOAD only looks up the copy that
    // Pkcs11::new loaded. The handle is leaked on purpose.
    let handle = unsafe { libc::dlopen(c.as_ptr(), flags) };
    assert!(!handle.is_null(), "{} is not loaded", lib.display());
}

fn toml_string(path: &Path) -> String {
    let s = path.to_str().expect("temp paths are UTF-8");
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

/// One private module instance with its own store.
pub struct TestToken {
    dir: TempDir,
    source: PathBuf,
    store: PathBuf,
    lib: PathBuf,
    generation: u32,
    ctx: Option<Pkcs11>,
}

impl TestToken {
    /// Default config, loaded and initialized; no token initialized yet.
    pub fn new() -> Self {
        Builder::default().build()
    }

    pub fn builder() -> Builder {
        Builder::default()
    }

    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// The library copy currently in use.
    pub fn lib_path(&self) -> &Path {
        &self.lib
    }

    pub fn config_path(&self) -> PathBuf {
        self.dir.path().join(CONFIG_NAME)
    }

    pub fn store_path(&self) -> &Path {
        &self.store
    }

    /// Load the current library copy and C_Initialize it with OS locking.
    pub fn load(&mut self) -> cryptoki::error::Result<()> {
        assert!(self.ctx.is_none(), "already loaded");
        let ctx = match Pkcs11::new(&self.lib) {
            Ok(ctx) => ctx,
            Err(e) => panic!("cannot load {}: {e}", self.lib.display()),
        };
        pin_loaded(&self.lib);
        ctx.initialize(CInitializeArgs::new(CInitializeFlags::OS_LOCKING_OK))?;
        self.ctx = Some(ctx);
        Ok(())
    }

    /// C_Finalize and unload. Sessions must have been dropped first.
    pub fn finalize(&mut self) {
        if let Some(ctx) = self.ctx.take() {
            ctx.finalize().expect("C_Finalize");
        }
    }

    /// Finalize, then load a fresh copy of the library (a new dlopen instance
    /// with no in-memory state) that uses the same config and store.
    pub fn reload(&mut self) {
        self.finalize();
        self.generation += 1;
        let lib = self.dir.path().join(format!("libcraton_hsm-{}.so", self.generation));
        std::fs::copy(&self.source, &lib).expect("copy the library");
        self.lib = lib;
        self.load().expect("C_Initialize after reload");
    }

    pub fn ctx(&self) -> &Pkcs11 {
        self.ctx.as_ref().expect("module not loaded")
    }

    /// Raw function list of the same loaded instance.
    pub fn raw(&self) -> RawModule {
        RawModule::open(&self.lib)
    }

    pub fn slot(id: u64) -> Slot {
        Slot::try_from(id).expect("slot id")
    }

    pub fn slot_ids(&self) -> Vec<u64> {
        self.ctx().get_all_slots().expect("C_GetSlotList").iter().map(Slot::id).collect()
    }

    pub fn token_info(&self, slot: Slot) -> TokenInfo {
        self.ctx().get_token_info(slot).expect("C_GetTokenInfo")
    }

    /// The first listed slot whose token is not initialized.
    pub fn free_slot(&self) -> Slot {
        let slots = self.ctx().get_all_slots().expect("C_GetSlotList");
        *slots
            .iter()
            .find(|s| !self.token_info(**s).token_initialized())
            .unwrap_or_else(|| panic!("no uninitialized slot among {slots:?}"))
    }

    /// Initialize a free slot with SO_PIN/TOKEN_LABEL and set USER_PIN.
    pub fn init_token(&self) -> Slot {
        let slot = self.free_slot();
        self.init_with(slot, TOKEN_LABEL, SO_PIN, Some(USER_PIN));
        slot
    }

    /// Initialize a free slot with SO_PIN only: the user PIN stays unset.
    pub fn init_token_so_only(&self) -> Slot {
        let slot = self.free_slot();
        self.init_with(slot, TOKEN_LABEL, SO_PIN, None);
        slot
    }

    /// C_InitToken on `slot`, then C_InitPIN as the SO if `user` is given.
    pub fn init_with(&self, slot: Slot, label: &str, so: &str, user: Option<&str>) {
        self.ctx().init_token(slot, &pin(so), label).expect("C_InitToken");
        if let Some(user) = user {
            let s = self.rw(slot);
            s.login(UserType::So, Some(&pin(so))).expect("SO C_Login");
            s.init_pin(&pin(user)).expect("C_InitPIN");
            s.logout().expect("C_Logout");
        }
    }

    pub fn rw(&self, slot: Slot) -> Session {
        self.ctx().open_rw_session(slot).expect("C_OpenSession R/W")
    }

    pub fn ro(&self, slot: Slot) -> Session {
        self.ctx().open_ro_session(slot).expect("C_OpenSession R/O")
    }

    /// R/W session logged in as the user with USER_PIN.
    pub fn user_rw(&self, slot: Slot) -> Session {
        let s = self.rw(slot);
        s.login(UserType::User, Some(&pin(USER_PIN))).expect("user C_Login");
        s
    }

    /// R/W session logged in as the SO with SO_PIN.
    pub fn so_rw(&self, slot: Slot) -> Session {
        let s = self.rw(slot);
        s.login(UserType::So, Some(&pin(SO_PIN))).expect("SO C_Login");
        s
    }
}

impl Default for TestToken {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for TestToken {
    fn drop(&mut self) {
        if let Some(ctx) = self.ctx.take() {
            // Best effort: a failing test may already have broken the module.
            let _ = ctx.finalize();
        }
    }
}

/// VmLck (memory locked in RAM) of this process, in kB, from /proc/self/status.
pub fn vm_lck_kb() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("read /proc/self/status");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmLck:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmLck in /proc/self/status")
}
