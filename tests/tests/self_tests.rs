//! Module assurance: power-on self-tests in C_Initialize, the error state a
//! failure latches, the `CRATON_HSM_SELFTEST_FAIL` test hook (refused in
//! approved mode) and the library integrity check against `<library>.hmac`.
//!
//! The hook is an environment variable, which is process-wide, so every run
//! that sets it, and every run whose stderr is checked, goes through the
//! `post_probe` helper in a child process (see src/bin/post_probe.rs for the
//! calls it makes and the names it prints).

use craton_blackbox::{TestToken, USER_PIN, library_path, wait_with_timeout};
use pkcs11_sys::{
    CK_RV, CKR_CRYPTOKI_ALREADY_INITIALIZED, CKR_CRYPTOKI_NOT_INITIALIZED, CKR_GENERAL_ERROR,
    CKR_OK,
};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const HOOK: &str = "CRATON_HSM_SELFTEST_FAIL";

/// The probe's calls, in order, and what a healthy module answers (token in
/// slot 0 initialized, user PIN `USER_PIN`).
const HEALTHY: [(&str, CK_RV); 18] = [
    ("initialize", CKR_OK),
    ("get_info", CKR_OK),
    ("get_slot_list", CKR_OK),
    ("get_slot_info", CKR_OK),
    ("get_token_info", CKR_OK),
    ("get_mechanism_list", CKR_OK),
    ("open_session", CKR_OK),
    ("get_session_info", CKR_OK),
    ("login", CKR_OK),
    ("generate_random", CKR_OK),
    ("close_session", CKR_OK),
    ("initialize_again", CKR_CRYPTOKI_ALREADY_INITIALIZED),
    ("finalize", CKR_OK),
    ("get_slot_list_after_finalize", CKR_CRYPTOKI_NOT_INITIALIZED),
    ("initialize_after_finalize", CKR_OK),
    ("get_info_after_reinit", CKR_OK),
    ("get_slot_list_after_reinit", CKR_OK),
    ("final_finalize", CKR_OK),
];

/// The same calls when every C_Initialize fails a self-test: the module is
/// latched in the error state, where only C_GetInfo and C_Finalize succeed;
/// C_Finalize clears the state, and the next C_Initialize tests (and fails)
/// again.
const LATCHED: [(&str, CK_RV); 18] = [
    ("initialize", CKR_GENERAL_ERROR),
    ("get_info", CKR_OK),
    ("get_slot_list", CKR_GENERAL_ERROR),
    ("get_slot_info", CKR_GENERAL_ERROR),
    ("get_token_info", CKR_GENERAL_ERROR),
    ("get_mechanism_list", CKR_GENERAL_ERROR),
    ("open_session", CKR_GENERAL_ERROR),
    ("get_session_info", CKR_GENERAL_ERROR),
    ("login", CKR_GENERAL_ERROR),
    ("generate_random", CKR_GENERAL_ERROR),
    ("close_session", CKR_GENERAL_ERROR),
    ("initialize_again", CKR_GENERAL_ERROR),
    ("finalize", CKR_OK),
    ("get_slot_list_after_finalize", CKR_CRYPTOKI_NOT_INITIALIZED),
    ("initialize_after_finalize", CKR_GENERAL_ERROR),
    ("get_info_after_reinit", CKR_OK),
    ("get_slot_list_after_reinit", CKR_GENERAL_ERROR),
    ("final_finalize", CKR_OK),
];

/// What one `post_probe` run printed.
struct Probe {
    calls: Vec<(String, CK_RV)>,
    report: String,
    stderr: String,
}

impl Probe {
    /// Run `post_probe` on `lib`, with `CRATON_HSM_SELFTEST_FAIL=<name>` if
    /// `fail` is given and without the variable otherwise.
    fn run(lib: &Path, fail: Option<&str>) -> Self {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_post_probe"));
        cmd.arg(lib).arg(USER_PIN).env_remove(HOOK);
        if let Some(name) = fail {
            cmd.env(HOOK, name);
        }
        let child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn post_probe");
        let out = wait_with_timeout(child, Duration::from_secs(120));
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        let report = format!(
            "post_probe {} ({HOOK}={}): {}\nstdout:\n{stdout}stderr:\n{stderr}",
            lib.display(),
            fail.unwrap_or("<unset>"),
            out.status
        );
        assert!(out.status.success(), "{report}");
        let calls = stdout
            .lines()
            .map(|line| {
                let (name, rv) = line
                    .split_once("=0x")
                    .unwrap_or_else(|| panic!("unexpected line {line:?}\n{report}"));
                let rv = CK_RV::from_str_radix(rv, 16)
                    .unwrap_or_else(|_| panic!("unexpected line {line:?}\n{report}"));
                (name.to_owned(), rv)
            })
            .collect();
        Self { calls, report, stderr }
    }

    fn rv(&self, call: &str) -> CK_RV {
        match self.calls.iter().find(|(name, _)| name == call) {
            Some(&(_, rv)) => rv,
            None => panic!("the probe did not report {call}\n{}", self.report),
        }
    }

    /// Every call in `want` returned exactly the listed code.
    #[track_caller]
    fn expect(&self, want: &[(&str, CK_RV)]) {
        let wrong: Vec<String> = want
            .iter()
            .filter(|&&(call, rv)| self.rv(call) != rv)
            .map(|&(call, rv)| format!("  {call}: got {:#x}, want {rv:#x}", self.rv(call)))
            .collect();
        assert!(
            wrong.is_empty(),
            "unexpected return values:\n{}\n{}",
            wrong.join("\n"),
            self.report
        );
    }

    /// The whole sequence, in order, is exactly `want`.
    #[track_caller]
    fn expect_all(&self, want: &[(&str, CK_RV)]) {
        let names: Vec<&str> = self.calls.iter().map(|(n, _)| n.as_str()).collect();
        let want_names: Vec<&str> = want.iter().map(|&(n, _)| n).collect();
        assert_eq!(names, want_names, "the probe's calls\n{}", self.report);
        self.expect(want);
    }

    /// Some stderr line satisfies `pred`.
    fn stderr_has(&self, pred: impl Fn(&str) -> bool) -> bool {
        self.stderr.lines().any(pred)
    }
}

/// `line` contains `word` as a whole word (so `sha256` does not match a line
/// that only names `hmac_sha256`).
fn has_word(line: &str, word: &str) -> bool {
    line.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).any(|w| w == word)
}

/// A private library copy whose slot 0 holds an initialized token with
/// `USER_PIN`, prepared by this (hook-free) process; the module is finalized
/// again so only the probe's process uses it afterwards.
fn token_in_slot_0() -> TestToken {
    let mut t = TestToken::new();
    let slot = t.init_token();
    assert_eq!(slot.id(), 0, "a fresh store initializes slot 0 first");
    t.finalize();
    t
}

/// `target/<profile>/craton-hsm-admin`, beside the library under test.
fn admin_path() -> PathBuf {
    let lib = library_path();
    let admin = lib.parent().expect("library has a parent dir").join("craton-hsm-admin");
    assert!(
        admin.is_file(),
        "{} is missing: build it first: cargo build -p craton-hsm-admin",
        admin.display()
    );
    admin
}

fn sidecar(lib: &Path) -> PathBuf {
    let mut p = lib.as_os_str().to_owned();
    p.push(".hmac");
    PathBuf::from(p)
}

/// `craton-hsm-admin integrity seal --library <lib>`; checks the sidecar's
/// format (64 hex digits and a newline).
fn seal(lib: &Path) {
    let out = Command::new(admin_path())
        .args(["integrity", "seal", "--library"])
        .arg(lib)
        .env_remove(HOOK)
        .stdin(Stdio::null())
        .output()
        .expect("run craton-hsm-admin");
    assert!(
        out.status.success(),
        "craton-hsm-admin integrity seal: {}\nstdout:\n{}\nstderr:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let path = sidecar(lib);
    let text = std::fs::read(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    let well_formed =
        text.len() == 65 && text[..64].iter().all(u8::is_ascii_hexdigit) && text[64] == b'\n';
    assert!(well_formed, "{} is not 64 hex digits + newline: {:?}", path.display(), text);
}

/// Replace the config beside `t`'s library with the minimal approved-mode one
/// (the test-speed Argon2 settings are left out on purpose: approved mode may
/// refuse them, and these tests never set a PIN).
fn approved_mode(t: &TestToken) {
    let store = t.store_path().to_str().expect("temp paths are UTF-8");
    assert!(!store.contains(['"', '\\']), "store path needs TOML escaping: {store}");
    let text = format!(
        "[token]\nstorage_path = \"{store}\"\n[security]\napproved_mode = true\n[log]\nlevel = \"warn\"\n"
    );
    std::fs::write(t.config_path(), text).expect("write config");
}

// ---------------------------------------------------------------------------
// Power-on self-tests and the error state

#[test]
fn without_the_hook_every_self_test_passes() {
    let t = token_in_slot_0();
    Probe::run(t.lib_path(), None).expect_all(&HEALTHY);
}

/// A failed self-test latches only the process it happened in: the same
/// library and store work in a fresh process without the hook.
#[test]
fn a_fresh_process_without_the_hook_passes_after_a_failed_one() {
    let t = token_in_slot_0();
    Probe::run(t.lib_path(), Some("sha256")).expect_all(&LATCHED);
    Probe::run(t.lib_path(), None).expect_all(&HEALTHY);
}

/// Run the probe with the hook naming `name` (one test per self-test below:
/// integrity, sha256, hmac_sha256, aes_256_gcm, hmac_drbg, argon2id,
/// entropy_health): every C_Initialize fails, the
/// module is latched in between, and stderr names the failed test.
fn failing_self_test_latches(name: &str) {
    let t = token_in_slot_0();
    let probe = Probe::run(t.lib_path(), Some(name));
    probe.expect_all(&LATCHED);
    assert!(
        probe.stderr_has(|line| line.contains("self-test") && has_word(line, name)),
        "no stderr line names self-test {name}\n{}",
        probe.report
    );
}

#[test]
fn failing_integrity_self_test_latches() {
    failing_self_test_latches("integrity");
}

#[test]
fn failing_sha256_self_test_latches() {
    failing_self_test_latches("sha256");
}

#[test]
fn failing_hmac_sha256_self_test_latches() {
    failing_self_test_latches("hmac_sha256");
}

#[test]
fn failing_aes_256_gcm_self_test_latches() {
    failing_self_test_latches("aes_256_gcm");
}

#[test]
fn failing_hmac_drbg_self_test_latches() {
    failing_self_test_latches("hmac_drbg");
}

#[test]
fn failing_argon2id_self_test_latches() {
    failing_self_test_latches("argon2id");
}

#[test]
fn failing_entropy_health_self_test_latches() {
    failing_self_test_latches("entropy_health");
}

#[test]
fn failing_sha1_self_test_latches() {
    failing_self_test_latches("sha1");
}

#[test]
fn failing_sha384_self_test_latches() {
    failing_self_test_latches("sha384");
}

#[test]
fn failing_sha512_self_test_latches() {
    failing_self_test_latches("sha512");
}

#[test]
fn failing_sha3_256_self_test_latches() {
    failing_self_test_latches("sha3_256");
}

#[test]
fn failing_hmac_sha512_self_test_latches() {
    failing_self_test_latches("hmac_sha512");
}

#[test]
fn failing_aes_ecb_self_test_latches() {
    failing_self_test_latches("aes_ecb");
}

#[test]
fn failing_aes_cbc_self_test_latches() {
    failing_self_test_latches("aes_cbc");
}

#[test]
fn failing_aes_ctr_self_test_latches() {
    failing_self_test_latches("aes_ctr");
}

#[test]
fn failing_aes_kw_self_test_latches() {
    failing_self_test_latches("aes_kw");
}

#[test]
fn failing_aes_cmac_self_test_latches() {
    failing_self_test_latches("aes_cmac");
}

#[test]
fn failing_chacha20_poly1305_self_test_latches() {
    failing_self_test_latches("chacha20_poly1305");
}

#[test]
fn failing_chacha20_self_test_latches() {
    failing_self_test_latches("chacha20");
}

#[test]
fn failing_pbkdf2_self_test_latches() {
    failing_self_test_latches("pbkdf2");
}

#[test]
fn failing_rsa_x509_self_test_latches() {
    failing_self_test_latches("rsa_x509");
}

#[test]
fn failing_ecdh_p256_self_test_latches() {
    failing_self_test_latches("ecdh_p256");
}

#[test]
fn failing_ed25519_self_test_latches() {
    failing_self_test_latches("ed25519");
}

#[test]
fn failing_x25519_self_test_latches() {
    failing_self_test_latches("x25519");
}

#[test]
fn failing_sha512_224_self_test_latches() {
    failing_self_test_latches("sha512_224");
}

#[test]
fn failing_sha3_224_self_test_latches() {
    failing_self_test_latches("sha3_224");
}

#[test]
fn failing_aes_ccm_self_test_latches() {
    failing_self_test_latches("aes_ccm");
}

#[test]
fn failing_aes_cts_self_test_latches() {
    failing_self_test_latches("aes_cts");
}

#[test]
fn failing_aes_gcm_stream_self_test_latches() {
    failing_self_test_latches("aes_gcm_stream");
}

#[test]
fn failing_kbkdf_hmac_sha256_self_test_latches() {
    failing_self_test_latches("kbkdf_hmac_sha256");
}

/// A loose sanity bound only: the 30 ms budget of a release build is measured
/// separately (timing asserts flake on a shared machine). Two seconds leaves a
/// debug build on a busy runner a wide margin.
#[test]
fn initialize_with_self_tests_is_not_slow() {
    let mut t = TestToken::builder().build_unloaded();
    let start = Instant::now();
    t.load().expect("C_Initialize");
    let elapsed = start.elapsed();
    assert!(elapsed < Duration::from_secs(2), "dlopen + C_Initialize took {elapsed:?}");
}

// ---------------------------------------------------------------------------
// Approved mode

/// Control for the approved-mode refusals below: a sealed library in approved
/// mode without the hook initializes.
#[test]
fn approved_mode_accepts_a_sealed_library() {
    let t = TestToken::builder().build_unloaded();
    approved_mode(&t);
    seal(t.lib_path());
    Probe::run(t.lib_path(), None).expect(&[
        ("initialize", CKR_OK),
        ("get_info", CKR_OK),
        ("get_slot_list", CKR_OK),
        ("finalize", CKR_OK),
        ("initialize_after_finalize", CKR_OK),
        ("final_finalize", CKR_OK),
    ]);
}

#[test]
fn approved_mode_refuses_the_test_hook() {
    let t = TestToken::builder().build_unloaded();
    approved_mode(&t);
    seal(t.lib_path());
    let probe = Probe::run(t.lib_path(), Some("sha256"));
    // Refused, not necessarily latched: only C_Initialize's answer is fixed.
    probe.expect(&[
        ("initialize", CKR_GENERAL_ERROR),
        ("initialize_after_finalize", CKR_GENERAL_ERROR),
    ]);
    assert!(
        probe.stderr_has(|line| line.contains(HOOK)),
        "stderr does not say {HOOK} is refused\n{}",
        probe.report
    );
}

// ---------------------------------------------------------------------------
// Library integrity

#[test]
fn sealed_library_initializes() {
    let t = TestToken::builder().build_unloaded();
    seal(t.lib_path());
    let probe = Probe::run(t.lib_path(), None);
    probe.expect(&[
        ("initialize", CKR_OK),
        ("get_slot_list", CKR_OK),
        ("finalize", CKR_OK),
        ("initialize_after_finalize", CKR_OK),
        ("final_finalize", CKR_OK),
    ]);
    assert!(
        !probe.stderr_has(|line| line.contains("integrity") || line.contains("error")),
        "a sealed library initializes without complaint\n{}",
        probe.report
    );
}

#[test]
fn library_changed_after_sealing_fails_integrity() {
    let t = TestToken::builder().build_unloaded();
    seal(t.lib_path());
    let mut lib = std::fs::OpenOptions::new().append(true).open(t.lib_path()).expect("open copy");
    lib.write_all(b"tampered").expect("append to the library copy");
    drop(lib);
    let probe = Probe::run(t.lib_path(), None);
    probe.expect(&[
        ("initialize", CKR_GENERAL_ERROR),
        ("get_info", CKR_OK),
        ("get_slot_list", CKR_GENERAL_ERROR),
        ("initialize_again", CKR_GENERAL_ERROR),
        ("finalize", CKR_OK),
        ("initialize_after_finalize", CKR_GENERAL_ERROR),
        ("final_finalize", CKR_OK),
    ]);
    assert!(
        probe.stderr_has(|line| has_word(line, "integrity")),
        "stderr does not name the integrity check\n{}",
        probe.report
    );
}

/// A development build has no sidecar: it initializes, and says so at info level (quiet at
/// the default `warn`, so every client run of a development build is not noisy).
#[test]
fn unsealed_library_initializes_and_says_so_at_info_level() {
    let t = TestToken::builder().build_unloaded();
    assert!(!sidecar(t.lib_path()).exists(), "a fresh copy has no sidecar");
    let store = t.store_path().to_str().expect("temp paths are UTF-8");
    let text = format!("[token]\nstorage_path = \"{store}\"\n[log]\nlevel = \"info\"\n");
    std::fs::write(t.config_path(), text).expect("write config");
    let probe = Probe::run(t.lib_path(), None);
    probe.expect(&[
        ("initialize", CKR_OK),
        ("get_slot_list", CKR_OK),
        ("finalize", CKR_OK),
        ("final_finalize", CKR_OK),
    ]);
    let says_unsealed = |line: &str| {
        line.contains("info") && ["integrity", ".hmac", "seal"].iter().any(|w| line.contains(w))
    };
    assert!(
        probe.stderr_has(says_unsealed),
        "no info line about the missing integrity sidecar\n{}",
        probe.report
    );
}

#[test]
fn approved_mode_refuses_an_unsealed_library() {
    let t = TestToken::builder().build_unloaded();
    approved_mode(&t);
    let probe = Probe::run(t.lib_path(), None);
    probe.expect(&[
        ("initialize", CKR_GENERAL_ERROR),
        ("initialize_after_finalize", CKR_GENERAL_ERROR),
    ]);
    assert!(
        probe.stderr_has(|line| has_word(line, "integrity")),
        "stderr does not name the integrity check\n{}",
        probe.report
    );
}

/// The self-tests that use the backend's own random generator run before the first
/// private-key RSA/ECDSA use, not at power-on: with one of them forced to fail,
/// C_Initialize succeeds, the first key-pair generation fails and latches the error state.
#[test]
fn deferred_self_tests_fail_at_first_use_and_latch() {
    let t = token_in_slot_0();
    for name in ["rsa_pkcs1_sha256", "ecdsa_p256"] {
        let out = Command::new(env!("CARGO_BIN_EXE_deferred_probe"))
            .arg(t.lib_path())
            .arg(USER_PIN)
            .env(HOOK, name)
            .output()
            .expect("spawn deferred_probe");
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        let report = format!("{name}:\n{stdout}{stderr}");
        assert!(stdout.contains("initialize=Ok\n"), "{report}");
        assert!(
            stdout.contains("generate_ec=GeneralError\n"),
            "CKR_GENERAL_ERROR expected: {report}"
        );
        assert!(stdout.contains("slot_list_after=GeneralError\n"), "latched: {report}");
        assert!(stdout.contains("finalize=Ok\n"), "{report}");
        assert!(stderr.contains(name), "the log names the test: {report}");
    }
    let out = Command::new(env!("CARGO_BIN_EXE_deferred_probe"))
        .arg(t.lib_path())
        .arg(USER_PIN)
        .env_remove(HOOK)
        .output()
        .expect("spawn deferred_probe");
    assert!(String::from_utf8_lossy(&out.stdout).contains("generate_ec=Ok\n"));
}
