//! `status`: the state of the store and its tokens, with a verdict an operator can act on.

use craton_token::{Error, Module};
use serde_json::json;

/// The CKR name (without `CKR_`) of a token error.
pub fn ckr_name(e: Error) -> String {
    let mut out = String::new();
    for (i, c) in format!("{e:?}").chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            out.push('_');
        }
        out.push(c.to_ascii_uppercase());
    }
    out
}

fn dir_size(dir: &std::path::Path) -> u64 {
    std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok()?.metadata().ok())
                .filter(|m| m.is_file())
                .map(|m| m.len())
                .sum()
        })
        .unwrap_or(0)
}

fn pin_state(p: Option<(u32, bool)>) -> String {
    match p {
        None => "not initialized".into(),
        Some((_, true)) => "LOCKED".into(),
        Some((0, false)) => "ok".into(),
        Some((n, false)) => format!("ok ({n} recent failures)"),
    }
}

/// Print the status; JSON for scripts.
pub fn run(m: &Module, library: &std::path::Path, as_json: bool) -> Result<(), (u8, String)> {
    use craton_crypto::integrity::{self, Integrity};
    let fail = |e: Error| (1u8, format!("cannot read the store: CKR_{}", ckr_name(e)));
    let mut tokens = Vec::new();
    let mut advice = Vec::new();
    let self_tests = match craton_crypto::self_test::run_all(None) {
        Ok(()) => "passed".to_owned(),
        Err(name) => {
            advice.push(format!(
                "self-test {name} FAILED on this machine: do not use the module; report it"
            ));
            format!("FAILED: {name}")
        }
    };
    let integrity = match integrity::verify(library) {
        Integrity::Verified => "verified".to_owned(),
        Integrity::Unsealed => "unsealed (development build; approved mode refuses it)".to_owned(),
        Integrity::Mismatch => {
            advice.push(format!(
                "{} does not match its sidecar: C_Initialize will fail; reinstall it (or re-seal a build you trust)",
                library.display()
            ));
            "MISMATCH".to_owned()
        }
        Integrity::Unreadable(why) => format!("not checked ({why})"),
    };
    for slot in m.slot_list().map_err(fail)? {
        let info = m.token_info(slot).map_err(fail)?;
        if !info.initialized {
            tokens.push(json!({"slot": slot, "initialized": false}));
            continue;
        }
        let (public, private) = m.object_counts(slot).map_err(fail)?;
        let Some((so, user)) = m.pin_states(slot).map_err(fail)? else { continue };
        let label = String::from_utf8_lossy(&info.label).trim_end().to_owned();
        if so.1 {
            advice.push(format!(
                "slot {slot}: SO PIN locked; recover with `craton-hsm-admin token init --slot {slot} --label ... --force` (destroys objects)"
            ));
        }
        if user.is_some_and(|u| u.1) {
            advice.push(format!("slot {slot}: user PIN locked; the SO resets it with C_InitPIN (pkcs11-tool --init-pin --login --login-type so)"));
        }
        if user.is_none() {
            advice.push(format!(
                "slot {slot}: user PIN not initialized; the SO sets it with C_InitPIN"
            ));
        }
        tokens.push(json!({
            "slot": slot, "initialized": true, "label": label, "serial": info.serial,
            "so_pin": pin_state(Some(so)), "user_pin": pin_state(user),
            "public_objects": public, "private_objects": private,
        }));
    }
    let cfg = m.config();
    let verdict = if advice.is_empty() { "OK" } else { "ATTENTION" };
    let doc = json!({
        "version": env!("CARGO_PKG_VERSION"),
        "self_tests": self_tests,
        "library": library.display().to_string(),
        "integrity": integrity,
        "approved_mode": cfg.security.approved_mode,
        "config": cfg.source.as_ref().map(|p| p.display().to_string()),
        "store": m.store_dir().display().to_string(),
        "store_bytes": dir_size(m.store_dir()),
        "tokens": tokens,
        "verdict": verdict,
        "advice": advice,
    });
    if as_json {
        println!("{doc:#}");
        return Ok(());
    }
    println!("craton-hsm {}", env!("CARGO_PKG_VERSION"));
    println!("self-tests: {}", doc["self_tests"].as_str().unwrap_or(""));
    println!(
        "library : {} (integrity: {})",
        doc["library"].as_str().unwrap_or(""),
        doc["integrity"].as_str().unwrap_or("")
    );
    println!("config : {}", doc["config"].as_str().unwrap_or("(built-in defaults)"));
    println!("store  : {} ({} bytes)", doc["store"].as_str().unwrap_or(""), doc["store_bytes"]);
    for t in &tokens {
        if t["initialized"] == false {
            println!("slot {:<3} (free: uninitialized)", t["slot"]);
        } else {
            println!(
                "slot {:<3} label={} serial={} so_pin={} user_pin={} objects={} public + {} private",
                t["slot"],
                t["label"],
                t["serial"].as_str().unwrap_or(""),
                t["so_pin"].as_str().unwrap_or(""),
                t["user_pin"].as_str().unwrap_or(""),
                t["public_objects"],
                t["private_objects"]
            );
        }
    }
    println!("verdict: {verdict}");
    for a in &advice {
        println!("  - {a}");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn ckr_names() {
        assert_eq!(super::ckr_name(craton_token::Error::PinLocked), "PIN_LOCKED");
        assert_eq!(super::ckr_name(craton_token::Error::SlotIdInvalid), "SLOT_ID_INVALID");
    }
}
