//! Host applications (p11-kit, browsers) dlclose modules after C_Finalize:
//! that must not crash them. Run in a subprocess so a crash is reported as a
//! failure instead of killing the test binary.

use craton_blackbox::{TestToken, USER_PIN, wait_with_timeout};
use std::process::{Command, Stdio};
use std::time::Duration;

#[test]
fn finalize_and_unload_leaves_the_host_running() {
    let t = TestToken::new();
    let slot = t.init_token();
    let child = Command::new(env!("CARGO_BIN_EXE_unloader"))
        .arg(t.lib_path())
        .arg(slot.id().to_string())
        .arg(USER_PIN)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn unloader");
    let out = wait_with_timeout(child, Duration::from_secs(120));
    assert!(
        out.status.success() && out.stdout.starts_with(b"ok"),
        "host process did not survive C_Finalize + dlclose: {}\nstdout:\n{}\nstderr:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
