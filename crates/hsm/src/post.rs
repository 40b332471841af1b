//! The power-on self-tests run by C_Initialize: the library's integrity, then every
//! known-answer test of `craton_crypto::self_test`.

use std::time::Instant;

use craton_crypto::integrity::{self, Integrity};

/// Test-only hook: names one self-test to fail. Refused in approved mode.
pub const HOOK_ENV: &str = "CRATON_HSM_SELFTEST_FAIL";

fn integrity_test(approved: bool, forced: bool) -> Result<(), String> {
    if forced {
        return Err(format!("self-test integrity failed (forced by {HOOK_ENV})"));
    }
    let Some(lib) = crate::libpath::library_file() else {
        if approved {
            return Err("self-test integrity failed: cannot locate the library file".into());
        }
        log::warn!("cannot locate the library file; integrity not checked");
        return Ok(());
    };
    match integrity::verify(&lib) {
        Integrity::Verified => Ok(()),
        Integrity::Unsealed if approved => Err(format!(
            "self-test integrity failed: {} is missing (approved mode requires it; \
             write it with `craton-hsm-admin integrity seal`)",
            integrity::sidecar(&lib).display()
        )),
        Integrity::Unsealed => {
            // A development build: said at info level so that every client run is not
            // noisy; `craton-hsm-admin status` reports it, and approved mode refuses it.
            log::info!(
                "{} has no integrity sidecar (development build): not checked",
                lib.display()
            );
            Ok(())
        }
        Integrity::Mismatch => Err(format!(
            "self-test integrity failed: {} does not match {}",
            lib.display(),
            integrity::sidecar(&lib).display()
        )),
        Integrity::Unreadable(why) => Err(format!("self-test integrity failed: {why}")),
    }
}

/// Run everything; the error is the log line naming the failed test.
pub fn run(approved: bool) -> Result<(), String> {
    let hook = std::env::var(HOOK_ENV).ok().filter(|s| !s.is_empty());
    if let Some(name) = &hook {
        if approved {
            return Err(format!("{HOOK_ENV} is a test-only hook and is refused in approved mode"));
        }
        let known =
            name == "integrity" || craton_crypto::self_test::KATS.iter().any(|k| k.name == name);
        if !known {
            log::warn!("{HOOK_ENV}={name} names no self-test; ignored");
        }
        log::warn!("test hook {HOOK_ENV}={name} is set");
    }
    let start = Instant::now();
    integrity_test(approved, hook.as_deref() == Some("integrity"))?;
    craton_crypto::self_test::run_power_on(hook.as_deref())
        .map_err(|name| format!("self-test {name} failed"))?;
    log::info!("power-on self-tests passed in {:.1} ms", start.elapsed().as_secs_f64() * 1e3);
    Ok(())
}
