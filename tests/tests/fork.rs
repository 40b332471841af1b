//! After fork() the child must call C_Initialize again; the parent carries on.

use craton_blackbox::{TestToken, USER_PIN, wait_with_timeout};
use std::process::{Command, Stdio};
use std::time::Duration;

#[test]
fn child_must_reinitialize_and_parent_is_unaffected() {
    let t = TestToken::new();
    let slot = t.init_token();
    let child = Command::new(env!("CARGO_BIN_EXE_forker"))
        .arg(t.lib_path())
        .arg(slot.id().to_string())
        .arg(USER_PIN)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn forker");
    let out = wait_with_timeout(child, Duration::from_secs(120));
    let (stdout, stderr) =
        (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    let report = format!("status {}\nstdout:\n{stdout}\nstderr:\n{stderr}", out.status);
    assert!(out.status.success(), "{report}");
    assert!(stdout.contains("child ok") && stdout.contains("parent ok"), "{report}");
}
