//! What the store leaves on disk, and refusing unsafe or broken configuration.

use craton_blackbox::{CONFIG_NAME, TestToken, wait_with_timeout};
use cryptoki::object::{Attribute, ObjectClass};
use std::io::Read;
use std::os::unix::fs::{PermissionsExt, symlink};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

/// Every regular file under `dir` (db, -wal, -shm, anything else).
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).expect("read store dir") {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(files_under(&path));
        } else {
            out.push(path);
        }
    }
    out
}

fn random_marker() -> Vec<u8> {
    let mut marker = vec![0; 32];
    std::fs::File::open("/dev/urandom").unwrap().read_exact(&mut marker).unwrap();
    marker
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[track_caller]
fn assert_not_in_store(store: &Path, marker: &[u8]) {
    let files = files_under(store);
    assert!(files.iter().any(|f| f.ends_with("craton.db")), "no craton.db in {files:?}");
    let lower = hex(marker);
    let upper = lower.to_uppercase();
    let needles: [&[u8]; 3] = [marker, lower.as_bytes(), upper.as_bytes()];
    for file in files {
        let content = std::fs::read(&file).unwrap();
        for needle in needles {
            let found = content.windows(needle.len()).any(|w| w == needle);
            assert!(!found, "private value readable in {}", file.display());
        }
    }
}

#[test]
fn private_value_never_reaches_disk_in_clear() {
    let mut t = TestToken::new();
    let slot = t.init_token();
    let marker = random_marker();
    let s = t.user_rw(slot);
    let template = [
        Attribute::Class(ObjectClass::DATA),
        Attribute::Token(true),
        Attribute::Private(true),
        Attribute::Label(b"secret".to_vec()),
        Attribute::Value(marker.clone()),
    ];
    let obj = s.create_object(&template).unwrap();
    s.copy_object(obj, &[Attribute::Label(b"secret-copy".to_vec())]).unwrap();
    // While the module runs (fresh pages sit in the WAL) ...
    assert_not_in_store(t.store_path(), &marker);
    drop(s);
    // ... and after C_Finalize (checkpointed into the db).
    t.finalize();
    assert_not_in_store(t.store_path(), &marker);
}

#[track_caller]
fn assert_private_modes(store: &Path) {
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(store), 0o700, "store dir {}", store.display());
    for file in files_under(store) {
        assert_eq!(mode(&file), 0o600, "{}", file.display());
    }
}

#[test]
fn store_dir_is_0700_and_files_0600() {
    let mut t = TestToken::new();
    let slot = t.init_token();
    let s = t.user_rw(slot);
    s.create_object(&[Attribute::Class(ObjectClass::DATA), Attribute::Token(true)]).unwrap();
    assert_private_modes(t.store_path());
    drop(s);
    t.finalize();
    assert_private_modes(t.store_path());
}

/// A real store dir and a symlink to it, in their own temp dir.
fn symlinked_dir() -> (tempfile::TempDir, PathBuf, PathBuf) {
    let outside = tempfile::tempdir().unwrap();
    let real = outside.path().join("real");
    std::fs::create_dir(&real).unwrap();
    std::fs::set_permissions(&real, std::fs::Permissions::from_mode(0o700)).unwrap();
    let link = outside.path().join("link");
    symlink(&real, &link).unwrap();
    (outside, real, link)
}

#[test]
fn storage_path_that_is_a_symlink_is_refused() {
    let (_outside, real, link) = symlinked_dir();
    let mut t = TestToken::builder().storage_path(link).build_unloaded();
    let result = t.load();
    assert!(result.is_err(), "C_Initialize must refuse a symlinked storage_path");
    assert!(std::fs::read_dir(real).unwrap().next().is_none(), "nothing written through it");
}

#[test]
fn storage_path_through_a_symlinked_parent_is_refused() {
    let (_outside, real, link) = symlinked_dir();
    let mut t = TestToken::builder().storage_path(link.join("store")).build_unloaded();
    let result = t.load();
    assert!(result.is_err(), "C_Initialize must refuse a storage_path through a symlink");
    assert!(std::fs::read_dir(real).unwrap().next().is_none(), "nothing written through it");
}

/// Run init_probe on `t`'s library copy with extra environment.
fn probe(t: &TestToken, env: &[(&str, &Path)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_init_probe"));
    cmd.arg(t.lib_path()).env_remove("CRATON_HSM_CONF");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    wait_with_timeout(cmd.spawn().unwrap(), Duration::from_secs(60))
}

fn valid_config(store: &Path) -> String {
    format!("[token]\nstorage_path = \"{}\"\n", store.display())
}

#[test]
fn bad_config_fails_initialize_with_a_message() {
    let outside = tempfile::tempdir().unwrap();
    let good = valid_config(&outside.path().join("store"));
    let cases = [
        (format!("{good}bogus_key = 1\n"), Some("bogus_key")),
        (good.replace("[token]\n", "[token]\nmax_sessions = \"many\"\n"), Some("max_sessions")),
        (format!("{good}[log]\nlevel = \"loud\"\n"), Some("level")),
        (format!("{good}[nonsense]\nx = 1\n"), Some("nonsense")),
        (format!("{good}[security\n"), None),
    ];
    // Check every case before failing, so one run shows all deviations.
    let mut problems = Vec::new();
    for (text, key) in cases {
        let t = TestToken::builder().config_text(&text).build_unloaded();
        let out = probe(&t, &[]);
        let (stdout, stderr) =
            (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        // Contract: `craton-hsm: config <file>: <key>: <problem>`.
        let prefix = format!("craton-hsm: config {}: ", t.config_path().display());
        let line = stderr.lines().find(|l| l.starts_with(&prefix));
        let mut wrong = Vec::new();
        if out.status.code() != Some(1) {
            wrong.push("C_Initialize did not fail".to_string());
        } else if !stdout.contains("GeneralError") {
            wrong.push("not CKR_GENERAL_ERROR".to_string());
        }
        match (line, key) {
            (None, _) => wrong.push(format!("no line starting `{prefix}`")),
            (Some(line), Some(key)) if !line.contains(&format!("{key}: ")) => {
                wrong.push(format!("message does not name `{key}: `"))
            }
            _ => {}
        }
        if !wrong.is_empty() {
            problems.push(format!(
                "{}\n--- config:\n{text}--- stdout: {stdout}--- stderr: {stderr}",
                wrong.join("; ")
            ));
        }
    }
    assert!(problems.is_empty(), "\n{}", problems.join("\n\n"));
}

#[test]
fn explicit_config_env_must_exist_and_wins() {
    let outside = tempfile::tempdir().unwrap();
    let good = outside.path().join("explicit.toml");
    std::fs::write(&good, valid_config(&outside.path().join("store"))).unwrap();
    let t = TestToken::builder().build_unloaded();

    let missing = outside.path().join("missing.toml");
    let out = probe(&t, &[("CRATON_HSM_CONF", &missing)]);
    assert_eq!(out.status.code(), Some(1), "missing $CRATON_HSM_CONF must fail: {out:?}");

    // Break the config beside the library: $CRATON_HSM_CONF comes first.
    std::fs::write(t.dir().join(CONFIG_NAME), "[token\n").unwrap();
    let out = probe(&t, &[("CRATON_HSM_CONF", &good)]);
    assert_eq!(out.status.code(), Some(0), "$CRATON_HSM_CONF is used first: {out:?}");
}
