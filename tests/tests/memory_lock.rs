//! Key material is kept in locked pages (docs/SELF-TESTS.md, "Key material hygiene"): the
//! process's VmLck grows while keys exist and goes back when they are gone; a refusal to
//! lock is one warning, never a failure; a forked child locks its own.
//!
//! VmLck is process-wide, so the in-process check is a single test, and it is the only test
//! of this binary that loads the library into the test process itself; the others run
//! `memlock_probe` as a separate process.

use craton_blackbox::{TestToken, run_helper, vm_lck_kb};
use cryptoki::mechanism::Mechanism;
use cryptoki::object::{Attribute, KeyType, ObjectClass, ObjectHandle};

const WARNING: &str = "cannot lock key material in memory";

/// Soft RLIMIT_MEMLOCK in bytes (`None`: unlimited), from /proc/self/limits.
fn memlock_soft_limit() -> Option<u64> {
    let limits = std::fs::read_to_string("/proc/self/limits").expect("read /proc/self/limits");
    let line = limits
        .lines()
        .find(|l| l.starts_with("Max locked memory"))
        .expect("Max locked memory in /proc/self/limits");
    let soft = line["Max locked memory".len()..].split_whitespace().next().expect("soft limit");
    soft.parse().ok()
}

/// Whether CAP_IPC_LOCK is effective (then the limit does not apply).
fn has_cap_ipc_lock() -> bool {
    let status = std::fs::read_to_string("/proc/self/status").expect("read /proc/self/status");
    let eff = status.lines().find_map(|l| l.strip_prefix("CapEff:")).expect("CapEff");
    u64::from_str_radix(eff.trim(), 16).expect("CapEff is hex") & (1 << 14) != 0
}

/// Why locking cannot be expected to work here, if it cannot. With less than 1 MiB the
/// module may legitimately hit the limit midway (and warn) while this test runs.
fn locking_unavailable() -> Option<String> {
    if has_cap_ipc_lock() {
        return None;
    }
    match memlock_soft_limit() {
        Some(n) if n < 1 << 20 => Some(format!(
            "RLIMIT_MEMLOCK soft limit is {n} bytes and CAP_IPC_LOCK is not effective: the \
             module only warns (see refusal_to_lock_is_one_warning_and_not_a_failure)"
        )),
        _ => None,
    }
}

/// VmLck at each stage of one module lifetime.
#[derive(Debug)]
struct Stages {
    logged_in: u64,
    with_keys: u64,
    keys_destroyed: u64,
    finalized: u64,
}

/// 64 generated and 64 imported AES keys, each used once.
fn make_keys(s: &cryptoki::session::Session) -> Vec<ObjectHandle> {
    let mut keys = Vec::new();
    for i in 0..64u8 {
        let gen_template = [Attribute::ValueLen(32u64.into()), Attribute::Token(false)];
        keys.push(s.generate_key(&Mechanism::AesKeyGen, &gen_template).expect("C_GenerateKey"));
        let import = [
            Attribute::Class(ObjectClass::SECRET_KEY),
            Attribute::KeyType(KeyType::AES),
            Attribute::Value(vec![i; 16]),
            Attribute::Token(false),
            Attribute::Encrypt(true),
        ];
        keys.push(s.create_object(&import).expect("C_CreateObject"));
    }
    for k in &keys {
        let ct = s.encrypt(&Mechanism::AesEcb, *k, &[0x5a; 16]).expect("C_Encrypt");
        assert_eq!(ct.len(), 16);
    }
    keys
}

/// One whole module lifetime on the calling thread.
fn lifetime() -> Stages {
    let mut t = TestToken::new();
    let slot = t.init_token();
    let s = t.user_rw(slot);
    let logged_in = vm_lck_kb();
    let keys = make_keys(&s);
    let with_keys = vm_lck_kb();
    for k in keys {
        s.destroy_object(k).expect("C_DestroyObject");
    }
    // The session may keep the last key it used until it closes.
    drop(s);
    let keys_destroyed = vm_lck_kb();
    t.finalize();
    let finalized = vm_lck_kb();
    Stages { logged_in, with_keys, keys_destroyed, finalized }
}

#[test]
fn key_material_is_locked_while_keys_exist() {
    if let Some(why) = locking_unavailable() {
        println!("skipped: {why}");
        return;
    }
    let baseline = vm_lck_kb();
    // On a thread of its own, so that its per-thread random generator (whose state is
    // locked too) is gone when the thread ends.
    let st = std::thread::spawn(lifetime).join().expect("the module lifetime thread");
    let after = vm_lck_kb();
    println!("VmLck kB: baseline {baseline}, {st:?}, after thread exit {after}");
    assert!(st.logged_in > baseline, "master key and DRBG state locked: {st:?}");
    assert!(st.with_keys > st.logged_in, "128 keys' material adds locked pages: {st:?}");
    assert!(st.keys_destroyed < st.with_keys, "destroyed keys release their pages: {st:?}");
    assert!(st.finalized <= st.keys_destroyed, "C_Finalize releases the login: {st:?}");
    assert_eq!(after, baseline, "every locked page released: {st:?}");
}

/// Run memlock_probe on a fresh library copy; (exit code, stdout, stderr).
fn probe(mode: &str) -> (Option<i32>, String, String) {
    let t = TestToken::builder().build_unloaded();
    let out =
        run_helper(env!("CARGO_BIN_EXE_memlock_probe"), &[t.lib_path().as_os_str(), mode.as_ref()]);
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The `<label> <kB>` value printed by the probe.
fn reported(stdout: &str, label: &str) -> u64 {
    stdout
        .lines()
        .find_map(|l| l.strip_prefix(label)?.strip_prefix(' ')?.parse().ok())
        .unwrap_or_else(|| panic!("no `{label}` line in:\n{stdout}"))
}

#[test]
fn refusal_to_lock_is_one_warning_and_not_a_failure() {
    let (code, stdout, stderr) = probe("deny");
    if code == Some(3) {
        println!("skipped: locking could not be denied to the probe: {stdout}");
        return;
    }
    let report = format!("exit {code:?}\nstdout:\n{stdout}\nstderr:\n{stderr}");
    assert_eq!(code, Some(0), "the module works without locked memory\n{report}");
    assert!(stdout.contains("done"), "{report}");
    assert_eq!(reported(&stdout, "vmlck"), 0, "{report}");
    let warnings = stderr.lines().filter(|l| l.contains(WARNING)).count();
    assert_eq!(warnings, 1, "exactly one warning\n{report}");
    assert!(!stderr.contains("craton-hsm: error"), "no error logged\n{report}");
}

#[test]
fn no_warning_when_locking_is_permitted() {
    if let Some(why) = locking_unavailable() {
        println!("skipped: {why}");
        return;
    }
    let (code, stdout, stderr) = probe("allow");
    let report = format!("exit {code:?}\nstdout:\n{stdout}\nstderr:\n{stderr}");
    assert_eq!(code, Some(0), "{report}");
    assert!(reported(&stdout, "vmlck") > 0, "{report}");
    assert!(!stderr.contains(WARNING), "{report}");
}

#[test]
fn a_forked_child_locks_its_own_key_material() {
    if let Some(why) = locking_unavailable() {
        println!("skipped: {why}");
        return;
    }
    let (code, stdout, stderr) = probe("fork");
    let report = format!("exit {code:?}\nstdout:\n{stdout}\nstderr:\n{stderr}");
    assert_eq!(code, Some(0), "{report}");
    assert!(reported(&stdout, "parent vmlck") > 0, "{report}");
    assert_eq!(reported(&stdout, "child-start vmlck"), 0, "locks are not inherited\n{report}");
    assert!(reported(&stdout, "child vmlck") > 0, "{report}");
    assert!(reported(&stdout, "parent-after vmlck") > 0, "{report}");
    assert!(!stderr.contains(WARNING), "{report}");
}
