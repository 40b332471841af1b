//! Helper for multiprocess.rs: create token data objects from a separate
//! process.
//!
//! `usage: writer --lib PATH --conf PATH --slot N --count N --prefix S`
//!               [--pin USER_PIN] [--expect-visible N]
//! With --pin it logs in and the objects are private, else they are public.
//! --expect-visible first checks how many data objects this process sees.
//! Objects are labelled `<prefix>-<i>`. Exit 0 on success, 1 on a module
//! error, 2 on bad usage, 3 if the visible count differs.

use cryptoki::context::{CInitializeArgs, CInitializeFlags, Pkcs11};
use cryptoki::object::{Attribute, ObjectClass};
use cryptoki::session::UserType;
use cryptoki::slot::Slot;
use cryptoki::types::AuthPin;
use std::collections::HashMap;
use std::process::exit;

fn fail(code: i32, msg: String) -> ! {
    eprintln!("writer: {msg}");
    exit(code)
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let opts: HashMap<&str, &str> = args
        .chunks(2)
        .map(|kv| match kv {
            [k, v] if k.starts_with("--") => (&k[2..], v.as_str()),
            _ => fail(2, format!("bad arguments {args:?}")),
        })
        .collect();
    let need = |k: &str| *opts.get(k).unwrap_or_else(|| fail(2, format!("missing --{k}")));
    let number =
        |k: &str| need(k).parse::<u64>().unwrap_or_else(|e| fail(2, format!("--{k}: {e}")));

    // SAFETY: still single-threaded: nothing has been loaded or spawned yet.
    unsafe { std::env::set_var("CRATON_HSM_CONF", need("conf")) };
    let ctx = Pkcs11::new(need("lib")).unwrap_or_else(|e| fail(2, format!("load: {e}")));
    let check = |what: &str, r: cryptoki::error::Result<()>| {
        r.unwrap_or_else(|e| fail(1, format!("{what}: {e}")))
    };
    check("C_Initialize", ctx.initialize(CInitializeArgs::new(CInitializeFlags::OS_LOCKING_OK)));
    let slot = Slot::try_from(number("slot")).unwrap();
    let session = ctx.open_rw_session(slot).unwrap_or_else(|e| fail(1, format!("open: {e}")));
    let pin = opts.get("pin");
    if let Some(pin) = pin {
        check("C_Login", session.login(UserType::User, Some(&AuthPin::from(*pin))));
    }

    let data = Attribute::Class(ObjectClass::DATA);
    if opts.contains_key("expect-visible") {
        let seen = session
            .find_objects(std::slice::from_ref(&data))
            .unwrap_or_else(|e| fail(1, format!("find: {e}")));
        let want = number("expect-visible");
        if seen.len() as u64 != want {
            fail(3, format!("sees {} data objects, expected {want}", seen.len()));
        }
    }

    let (count, prefix) = (number("count"), need("prefix"));
    for i in 0..count {
        let template = [
            data.clone(),
            Attribute::Token(true),
            Attribute::Private(pin.is_some()),
            Attribute::Label(format!("{prefix}-{i}").into_bytes()),
            Attribute::Value(i.to_le_bytes().to_vec()),
        ];
        if let Err(e) = session.create_object(&template) {
            fail(1, format!("{prefix}: object {i}: {e}"));
        }
    }
    println!("created {count}");
    drop(session);
    check("C_Finalize", ctx.finalize());
}
