//! Helper for fork.rs: initialize the module, log in, fork, and check that
//! the child must C_Initialize again (PKCS#11 3.0, 5.4 "fork") while the
//! parent keeps working. A separate single-threaded program, because forking
//! the multi-threaded test harness is unsafe.
//!
//! `usage: forker <library> <slot> <user-pin>`
//! Prints "child ok" / "parent ok"; exit 0 if both sides passed.

use craton_blackbox::fork_and_wait;
use cryptoki::context::{CInitializeArgs, CInitializeFlags, Pkcs11};
use cryptoki::error::{Error, RvError};
use cryptoki::session::{Session, SessionState, UserType};
use cryptoki::slot::Slot;
use cryptoki::types::AuthPin;
use std::process::exit;

fn args() -> (String, Slot, String) {
    let a: Vec<String> = std::env::args().skip(1).collect();
    let [lib, slot, pin] = &a[..] else {
        eprintln!("usage: forker <library> <slot> <user-pin>");
        exit(2)
    };
    (lib.clone(), Slot::try_from(slot.parse::<u64>().expect("slot")).unwrap(), pin.clone())
}

fn init_args() -> CInitializeArgs {
    CInitializeArgs::new(CInitializeFlags::OS_LOCKING_OK)
}

/// The child's checks; returns the exit code.
fn child(ctx: &Pkcs11, slot: Slot, inherited: &Session) -> i32 {
    match ctx.get_all_slots() {
        Err(Error::Pkcs11(RvError::CryptokiNotInitialized, _)) => {}
        other => {
            eprintln!("child: C_GetSlotList before C_Initialize: {other:?}");
            return 10;
        }
    }
    if let Err(e) = ctx.initialize(init_args()) {
        eprintln!("child: C_Initialize: {e}");
        return 11;
    }
    if let Err(e) = ctx.get_all_slots() {
        eprintln!("child: C_GetSlotList after C_Initialize: {e}");
        return 12;
    }
    match inherited.get_session_info() {
        Err(Error::Pkcs11(RvError::SessionHandleInvalid, _)) => {}
        other => {
            eprintln!("child: the parent's session must not survive: {other:?}");
            return 13;
        }
    }
    let s = match ctx.open_ro_session(slot) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("child: C_OpenSession: {e}");
            return 14;
        }
    };
    match s.get_session_info().map(|i| i.session_state()) {
        Ok(SessionState::RoPublic) => {}
        other => {
            eprintln!("child: fresh state must be logged out: {other:?}");
            return 15;
        }
    }
    if let Err(e) = s.generate_random_vec(16) {
        eprintln!("child: C_GenerateRandom: {e}");
        return 16;
    }
    drop(s);
    if let Err(e) = ctx.clone().finalize() {
        eprintln!("child: C_Finalize: {e}");
        return 17;
    }
    println!("child ok");
    0
}

fn parent_checks(ctx: &Pkcs11, session: &Session) -> Result<(), String> {
    ctx.get_all_slots().map_err(|e| format!("C_GetSlotList: {e}"))?;
    let state = session.get_session_info().map_err(|e| format!("C_GetSessionInfo: {e}"))?;
    if state.session_state() != SessionState::RwUser {
        return Err(format!("parent lost its login: {:?}", state.session_state()));
    }
    session.generate_random_vec(16).map_err(|e| format!("C_GenerateRandom: {e}"))?;
    Ok(())
}

fn main() {
    let (lib, slot, pin) = args();
    let ctx = Pkcs11::new(&lib).expect("load library");
    ctx.initialize(init_args()).expect("C_Initialize");
    let session = ctx.open_rw_session(slot).expect("C_OpenSession");
    session.login(UserType::User, Some(&AuthPin::from(pin.as_str()))).expect("C_Login");
    let child_code = fork_and_wait(|| child(&ctx, slot, &session));

    if let Err(e) = parent_checks(&ctx, &session) {
        eprintln!("parent: {e}");
        exit(20);
    }
    println!("parent ok");
    drop(session);
    ctx.finalize().expect("C_Finalize");
    exit(child_code);
}
