//! Helper for unload.rs: use the module from a worker thread, C_Finalize,
//! unload it (dlclose), then let the thread exit. A module that leaves
//! per-thread destructors pointing into its unmapped code crashes here.
//!
//! `usage: unloader <library> <slot> <user-pin>`
//! Prints "ok" and exits 0 if the process survives.

use cryptoki::context::{CInitializeArgs, CInitializeFlags, Pkcs11};
use cryptoki::session::UserType;
use cryptoki::slot::Slot;
use cryptoki::types::AuthPin;

fn main() {
    let a: Vec<String> = std::env::args().skip(1).collect();
    let [lib, slot, pin] = &a[..] else {
        eprintln!("usage: unloader <library> <slot> <user-pin>");
        std::process::exit(2)
    };
    let slot = Slot::try_from(slot.parse::<u64>().expect("slot")).unwrap();
    let (lib, pin) = (lib.clone(), pin.clone());
    let worker = std::thread::spawn(move || {
        let ctx = Pkcs11::new(&lib).expect("load library");
        ctx.initialize(CInitializeArgs::new(CInitializeFlags::OS_LOCKING_OK))
            .expect("C_Initialize");
        let s = ctx.open_rw_session(slot).expect("C_OpenSession");
        s.login(UserType::User, Some(&AuthPin::from(pin.as_str()))).expect("C_Login");
        s.generate_random_vec(32).expect("C_GenerateRandom");
        drop(s);
        ctx.finalize().expect("C_Finalize");
        // The last Pkcs11 handle is gone: the library has been dlclose'd.
    });
    worker.join().expect("worker thread");
    println!("ok");
}
