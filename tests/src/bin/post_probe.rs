//! Helper for self_tests.rs: walk a module through its life cycle around the
//! power-on self-tests and print the result of every call, so a test can run
//! it with `CRATON_HSM_SELFTEST_FAIL` set (an environment variable is
//! process-wide, hence a separate program) and read what the module answered.
//!
//! `usage: post_probe <library> <user-pin>`
//!
//! Uses slot 0 (the test initializes its token beforehand when it needs
//! sessions to work). Prints one line per call, `<call>=0x<CK_RV in hex>`, in
//! this order:
//!
//! ```text
//! initialize                   C_Initialize(NULL)
//! get_info                     C_GetInfo
//! get_slot_list                C_GetSlotList(FALSE, NULL, &count)
//! get_slot_info                C_GetSlotInfo(0)
//! get_token_info               C_GetTokenInfo(0)
//! get_mechanism_list           C_GetMechanismList(0, NULL, &count)
//! open_session                 C_OpenSession(0, CKF_SERIAL_SESSION | CKF_RW_SESSION)
//! get_session_info             C_GetSessionInfo   (on that handle, or 0 if none)
//! login                        C_Login(CKU_USER, <user-pin>)
//! generate_random              C_GenerateRandom(16 bytes)
//! close_session                C_CloseSession
//! initialize_again             C_Initialize(NULL) while initialized (or latched)
//! finalize                     C_Finalize
//! get_slot_list_after_finalize C_GetSlotList
//! initialize_after_finalize    C_Initialize(NULL): runs the self-tests again
//! get_info_after_reinit        C_GetInfo
//! get_slot_list_after_reinit   C_GetSlotList
//! final_finalize               C_Finalize
//! ```
//!
//! Exit 0 once every call was made (whatever they returned), 2 on usage errors.

use craton_blackbox::RawModule;
use pkcs11_sys::{CK_RV, CKF_RW_SESSION, CKF_SERIAL_SESSION, CKU_USER};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

const SLOT: u64 = 0;

fn report(call: &str, rv: CK_RV) {
    println!("{call}=0x{rv:02x}");
    // Keep the lines on stdout even if a later call crashes the process.
    let _ = std::io::stdout().flush();
}

fn main() -> ExitCode {
    let args: Vec<_> = std::env::args_os().skip(1).collect();
    let [lib, pin] = &args[..] else {
        eprintln!("usage: post_probe <library> <user-pin>");
        return ExitCode::from(2);
    };
    let module = RawModule::open(&PathBuf::from(lib));
    let pin = pin.as_encoded_bytes();

    report("initialize", module.initialize_null());
    report("get_info", module.get_info().0);
    report("get_slot_list", module.slot_count().0);
    report("get_slot_info", module.get_slot_info(SLOT).0);
    report("get_token_info", module.get_token_info(SLOT).0);
    report("get_mechanism_list", module.mechanism_count(SLOT).0);
    let (rv, session) = module.open_session(SLOT, CKF_SERIAL_SESSION | CKF_RW_SESSION);
    report("open_session", rv);
    report("get_session_info", module.get_session_info(session).0);
    report("login", module.login(session, CKU_USER, pin));
    report("generate_random", module.generate_random(session, 16).0);
    report("close_session", module.close_session(session));
    report("initialize_again", module.initialize_null());
    report("finalize", module.finalize());
    report("get_slot_list_after_finalize", module.slot_count().0);
    report("initialize_after_finalize", module.initialize_null());
    report("get_info_after_reinit", module.get_info().0);
    report("get_slot_list_after_reinit", module.slot_count().0);
    report("final_finalize", module.finalize());
    ExitCode::SUCCESS
}
