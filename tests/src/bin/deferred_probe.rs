//! Helper for self_tests.rs: the self-tests deferred to the first private-key RSA/ECDSA use.
//! Run with `CRATON_HSM_SELFTEST_FAIL=<deferred test>` (process-wide, hence a program): prints
//! `initialize=<rv>`, `generate_ec=<rv>` (C_GenerateKeyPair P-256, whose pairwise test signs),
//! `slot_list_after=<rv>` and `finalize=<rv>`, one per line (`Ok` or the CKR name).
//!
//! `usage: deferred_probe <library> <user-pin>` (slot 0 must hold an initialized token).

use cryptoki::context::{CInitializeArgs, CInitializeFlags, Pkcs11};
use cryptoki::error::Error;
use cryptoki::mechanism::Mechanism;
use cryptoki::object::Attribute;
use cryptoki::session::UserType;
use cryptoki::types::AuthPin;
use std::process::ExitCode;

fn rv<T>(r: cryptoki::error::Result<T>) -> String {
    match r {
        Ok(_) => "Ok".into(),
        Err(Error::Pkcs11(e, _)) => format!("{e:?}"),
        Err(e) => format!("other: {e}"),
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let [_, lib, pin] = args.as_slice() else {
        eprintln!("usage: deferred_probe <library> <user-pin>");
        return ExitCode::from(2);
    };
    let ctx = Pkcs11::new(lib).expect("load the library");
    println!(
        "initialize={}",
        rv(ctx.initialize(CInitializeArgs::new(CInitializeFlags::OS_LOCKING_OK)))
    );
    let slot = cryptoki::slot::Slot::try_from(0u64).expect("slot 0");
    let generated = ctx.open_rw_session(slot).and_then(|s| {
        s.login(UserType::User, Some(&AuthPin::from(pin.as_str())))?;
        s.generate_key_pair(
            &Mechanism::EccKeyPairGen,
            &[Attribute::EcParams(vec![
                0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07,
            ])],
            &[],
        )
    });
    println!("generate_ec={}", rv(generated));
    println!("slot_list_after={}", rv(ctx.get_all_slots()));
    println!("finalize={}", rv(ctx.finalize()));
    ExitCode::SUCCESS
}
