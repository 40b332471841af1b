//! After fork() the child must call C_Initialize again; the parent carries on.

use craton_blackbox::{TestToken, USER_PIN, run_helper};

#[test]
fn child_must_reinitialize_and_parent_is_unaffected() {
    let t = TestToken::new();
    let slot = t.init_token();
    let slot_id = slot.id().to_string();
    let args = [t.lib_path().as_os_str(), slot_id.as_ref(), USER_PIN.as_ref()];
    let out = run_helper(env!("CARGO_BIN_EXE_forker"), &args);
    let (stdout, stderr) =
        (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    let report = format!("status {}\nstdout:\n{stdout}\nstderr:\n{stderr}", out.status);
    assert!(out.status.success(), "{report}");
    assert!(stdout.contains("child ok") && stdout.contains("parent ok"), "{report}");
}
