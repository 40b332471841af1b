//! Helper for random_quality.rs: does a forked child get random numbers of its
//! own? The parent initializes the module and draws 32 bytes, then forks two
//! children one after the other from that same state; each child calls
//! C_Initialize again (PKCS#11 3.0, 5.4) and draws 32 bytes; finally the
//! parent draws 32 bytes. A separate single-threaded program, because forking
//! the multi-threaded test harness is unsafe.
//!
//! `usage: rng_forker <library> <slot>` (the token in `slot` is initialized)
//!
//! Prints `before=<hex>`, `child1=<hex>`, `child2=<hex>`, `parent=<hex>`
//! (64 hex digits each); exit 0 if every step worked, else the failing side
//! explains on stderr.

use craton_blackbox::fork_and_wait;
use cryptoki::context::{CInitializeArgs, CInitializeFlags, Pkcs11};
use cryptoki::slot::Slot;
use std::io::Write;
use std::process::exit;

fn init_args() -> CInitializeArgs {
    CInitializeArgs::new(CInitializeFlags::OS_LOCKING_OK)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Open a session, draw 32 bytes and print them as `<label>=<hex>`.
fn draw(ctx: &Pkcs11, slot: Slot, label: &str) -> Result<(), String> {
    let session = ctx.open_ro_session(slot).map_err(|e| format!("C_OpenSession: {e}"))?;
    let bytes = session.generate_random_vec(32).map_err(|e| format!("C_GenerateRandom: {e}"))?;
    println!("{label}={}", hex(&bytes));
    std::io::stdout().flush().map_err(|e| format!("stdout: {e}"))?;
    Ok(())
}

/// The child's side; returns its exit code.
fn child(ctx: &Pkcs11, slot: Slot, label: &str) -> i32 {
    if let Err(e) = ctx.initialize(init_args()) {
        eprintln!("{label}: C_Initialize: {e}");
        return 11;
    }
    if let Err(e) = draw(ctx, slot, label) {
        eprintln!("{label}: {e}");
        return 12;
    }
    if let Err(e) = ctx.clone().finalize() {
        eprintln!("{label}: C_Finalize: {e}");
        return 13;
    }
    0
}

/// Fork, run [`child`] in the child and return its exit code in the parent.
fn fork_child(ctx: &Pkcs11, slot: Slot, label: &str) -> i32 {
    fork_and_wait(|| child(ctx, slot, label))
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [lib, slot] = &args[..] else {
        eprintln!("usage: rng_forker <library> <slot>");
        exit(2)
    };
    let slot = Slot::try_from(slot.parse::<u64>().expect("slot")).expect("slot id");
    let ctx = Pkcs11::new(lib).expect("load library");
    ctx.initialize(init_args()).expect("C_Initialize");
    if let Err(e) = draw(&ctx, slot, "before") {
        eprintln!("parent before fork: {e}");
        exit(20);
    }

    for label in ["child1", "child2"] {
        let code = fork_child(&ctx, slot, label);
        if code != 0 {
            eprintln!("{label} exited with {code}");
            exit(code);
        }
    }

    if let Err(e) = draw(&ctx, slot, "parent") {
        eprintln!("parent after fork: {e}");
        exit(21);
    }
    ctx.finalize().expect("C_Finalize");
}
