//! Load a library and C_Initialize it once, so a test can see the exit status
//! and the module's stderr (config errors are logged there).
//!
//! `usage: init_probe <library>`
//! exit: 0 initialized, 1 C_Initialize failed (error on stdout), 2 usage/load.

use cryptoki::context::{CInitializeArgs, CInitializeFlags, Pkcs11};
use std::process::ExitCode;

fn main() -> ExitCode {
    let Some(lib) = std::env::args_os().nth(1) else {
        eprintln!("usage: init_probe <library>");
        return ExitCode::from(2);
    };
    let ctx = match Pkcs11::new(&lib) {
        Ok(ctx) => ctx,
        Err(e) => {
            eprintln!("init_probe: cannot load {}: {e}", lib.to_string_lossy());
            return ExitCode::from(2);
        }
    };
    match ctx.initialize(CInitializeArgs::new(CInitializeFlags::OS_LOCKING_OK)) {
        Ok(()) => {
            println!("ok");
            let _ = ctx.finalize();
            ExitCode::SUCCESS
        }
        Err(e) => {
            println!("error: {e:?}");
            ExitCode::from(1)
        }
    }
}
