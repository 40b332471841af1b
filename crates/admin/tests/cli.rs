//! The admin CLI run as a program against a temporary store.

use std::process::{Command, Output};

fn admin(config: &std::path::Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_craton-hsm-admin"))
        .arg("--config")
        .arg(config)
        .args(args)
        .output()
        .expect("run craton-hsm-admin")
}

fn setup() -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let conf = dir.path().join("c.toml");
    std::fs::write(
        &conf,
        format!(
            "[token]\nstorage_path = \"{}\"\n[security]\nargon2_memory_kib = 64\nargon2_iterations = 1\n\
             backoff_base_ms = 1\nbackoff_cap_ms = 2\nmax_failed_logins = 2\n",
            dir.path().join("store").display()
        ),
    )
    .unwrap();
    (dir, conf)
}

fn status_json(conf: &std::path::Path) -> serde_json::Value {
    let out = admin(conf, &["status", "--format", "json"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn init_then_status() {
    let (_d, conf) = setup();
    let s = status_json(&conf);
    assert_eq!(s["tokens"][0]["initialized"], false);
    let out =
        admin(&conf, &["token", "init", "--slot", "0", "--label", "ops", "--so-pin", "12345678"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let s = status_json(&conf);
    assert_eq!(s["tokens"][0]["label"], "ops");
    assert_eq!(s["tokens"][0]["so_pin"], "ok");
    assert_eq!(s["tokens"][0]["user_pin"], "not initialized");
    assert_eq!(s["tokens"][1]["initialized"], false, "a free slot follows");
    assert_eq!(s["verdict"], "ATTENTION");
}

#[test]
fn locked_so_pin_needs_force() {
    let (_d, conf) = setup();
    assert!(
        admin(&conf, &["token", "init", "--label", "a", "--so-pin", "12345678"]).status.success()
    );
    // Two wrong SO PINs lock it (max_failed_logins = 2).
    for _ in 0..2 {
        let out = admin(&conf, &["token", "init", "--label", "b", "--so-pin", "00000000"]);
        assert_eq!(out.status.code(), Some(1));
    }
    let s = status_json(&conf);
    assert_eq!(s["tokens"][0]["so_pin"], "LOCKED");
    let out = admin(&conf, &["token", "init", "--label", "b", "--so-pin", "12345678"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("PIN_LOCKED"));
    let out = admin(&conf, &["token", "init", "--label", "b", "--so-pin", "87654321", "--force"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let s = status_json(&conf);
    assert_eq!(s["tokens"][0]["so_pin"], "ok");
    assert_eq!(s["tokens"][0]["label"], "b");
}

#[test]
fn bad_config_is_reported_with_key() {
    let (d, _) = setup();
    let conf = d.path().join("bad.toml");
    std::fs::write(&conf, "[security]\nmax_failed_logins = 0\n").unwrap();
    let out = admin(&conf, &["status"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("security.max_failed_logins") && err.contains("bad.toml"), "{err}");
}

#[test]
fn pin_from_env_and_file() {
    let (d, conf) = setup();
    let pin_file = d.path().join("so.pin");
    std::fs::write(&pin_file, "12345678\n").unwrap();
    let out = admin(
        &conf,
        &["token", "init", "--label", "f", "--so-pin-file", pin_file.to_str().unwrap()],
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let out = Command::new(env!("CARGO_BIN_EXE_craton-hsm-admin"))
        .args([
            "--config",
            conf.to_str().unwrap(),
            "token",
            "init",
            "--label",
            "g",
            "--so-pin-env",
            "SOPIN",
        ])
        .env("SOPIN", "12345678")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn integrity_seal_verify_and_status() {
    let (d, conf) = setup();
    let lib = d.path().join("libcraton_hsm.so");
    std::fs::write(&lib, b"pretend library").unwrap();
    let lib_s = lib.to_str().unwrap();
    let out = admin(&conf, &["integrity", "verify", "--library", lib_s]);
    assert_eq!(out.status.code(), Some(1), "unsealed must not verify");
    assert!(admin(&conf, &["integrity", "seal", "--library", lib_s]).status.success());
    assert!(admin(&conf, &["integrity", "verify", "--library", lib_s]).status.success());
    let out = admin(&conf, &["status", "--format", "json", "--library", lib_s]);
    let s: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(s["integrity"], "verified");
    assert_eq!(s["self_tests"], "passed");
    std::fs::write(&lib, b"pretend library, patched").unwrap();
    let out = admin(&conf, &["integrity", "verify", "--library", lib_s]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("does NOT match"));
    let out = admin(&conf, &["status", "--format", "json", "--library", lib_s]);
    let s: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(s["integrity"], "MISMATCH");
    assert_eq!(s["verdict"], "ATTENTION");
}

#[test]
fn readme_mechanism_table_matches_the_registry() {
    let out = Command::new(env!("CARGO_BIN_EXE_craton-hsm-admin"))
        .arg("mechanisms")
        .output()
        .expect("run craton-hsm-admin");
    assert!(out.status.success());
    let table = String::from_utf8(out.stdout).expect("UTF-8");
    let readme_path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../README.md");
    let readme = std::fs::read_to_string(readme_path).expect("README.md");
    let begin = "<!-- mechanisms:begin -->\n";
    let start = readme.find(begin).expect("begin marker") + begin.len();
    let end = readme.find("<!-- mechanisms:end -->").expect("end marker");
    assert!(
        readme[start..end] == table,
        "README.md's mechanism table is stale: regenerate it with `craton-hsm-admin mechanisms`"
    );
    assert!(table.contains("| CKM_AES_GCM |") && table.lines().count() > 40);
}
