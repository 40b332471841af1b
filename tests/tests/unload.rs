//! Host applications (p11-kit, browsers) dlclose modules after C_Finalize:
//! that must not crash them. Run in a subprocess so a crash is reported as a
//! failure instead of killing the test binary.

use craton_blackbox::{TestToken, USER_PIN, run_helper};

#[test]
fn finalize_and_unload_leaves_the_host_running() {
    let t = TestToken::new();
    let slot = t.init_token();
    let slot_id = slot.id().to_string();
    let args = [t.lib_path().as_os_str(), slot_id.as_ref(), USER_PIN.as_ref()];
    let out = run_helper(env!("CARGO_BIN_EXE_unloader"), &args);
    assert!(
        out.status.success() && out.stdout.starts_with(b"ok"),
        "host process did not survive C_Finalize + dlclose: {}\nstdout:\n{}\nstderr:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
