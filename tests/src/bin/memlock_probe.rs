//! Helper for memory_lock.rs: use the module's key material in a process of its own and
//! report how much memory is locked, so a test can see the module's stderr and run it with
//! locking denied or across fork.
//!
//! `usage: memlock_probe <library> <mode>`, mode one of:
//! - `allow`: as the process is;
//! - `deny`: drop CAP_IPC_LOCK and set the RLIMIT_MEMLOCK soft limit to 0 first, so every
//!   mlock is refused;
//! - `fork`: fork once keys exist; the child must C_Initialize again, and locks its own.
//!
//! Prints `vmlck <kB>` lines (`parent`/`child` prefixed in fork mode) and "done".
//! Exit: 0 ok, 1 a PKCS#11 call failed, 2 usage, 3 denial could not be set up (skip).

use craton_blackbox::{fork_and_wait, vm_lck_kb};
use cryptoki::context::{CInitializeArgs, CInitializeFlags, Pkcs11};
use cryptoki::mechanism::Mechanism;
use cryptoki::object::{Attribute, ObjectHandle};
use cryptoki::session::{Session, UserType};
use cryptoki::slot::Slot;
use cryptoki::types::AuthPin;
use std::process::exit;

const SO_PIN: &str = "so-secret-1";
const USER_PIN: &str = "user-secret-1";

#[repr(C)]
struct CapHeader {
    version: u32,
    pid: i32,
}

#[repr(C)]
#[derive(Clone, Copy, Default)]
struct CapData {
    effective: u32,
    permitted: u32,
    inheritable: u32,
}

const CAPABILITY_VERSION_3: u32 = 0x2008_0522;
const CAP_IPC_LOCK: u32 = 14;

/// Make every later mlock of this process fail; `Err` says why that was not possible.
fn deny_locking() -> Result<(), String> {
    let mut header = CapHeader { version: CAPABILITY_VERSION_3, pid: 0 };
    let mut data = [CapData::default(); 2];
    // SAFETY: capget writes one header and two data structs (version 3), which is what
    // both pointers point to.
    let rc = unsafe { libc::syscall(libc::SYS_capget, &mut header, data.as_mut_ptr()) };
    if rc != 0 {
        return Err(format!("capget: {}", std::io::Error::last_os_error()));
    }
    data[0].effective &= !(1 << CAP_IPC_LOCK);
    data[0].permitted &= !(1 << CAP_IPC_LOCK);
    // SAFETY: capset reads the header and two data structs we own.
    let rc = unsafe { libc::syscall(libc::SYS_capset, &mut header, data.as_ptr()) };
    if rc != 0 {
        return Err(format!("capset: {}", std::io::Error::last_os_error()));
    }
    let mut lim = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: lim is a valid rlimit to write.
    if unsafe { libc::getrlimit(libc::RLIMIT_MEMLOCK, &mut lim) } != 0 {
        return Err(format!("getrlimit: {}", std::io::Error::last_os_error()));
    }
    lim.rlim_cur = 0;
    // SAFETY: lim is a valid rlimit to read.
    if unsafe { libc::setrlimit(libc::RLIMIT_MEMLOCK, &lim) } != 0 {
        return Err(format!("setrlimit: {}", std::io::Error::last_os_error()));
    }
    // Check that it took: a trial lock must now fail.
    let trial = [0u8; 64];
    // SAFETY: mlock and munlock change residency only; `trial` is a live local.
    let locked = unsafe { libc::mlock(trial.as_ptr().cast(), trial.len()) } == 0;
    if locked {
        // SAFETY: as above.
        unsafe { libc::munlock(trial.as_ptr().cast(), trial.len()) };
        return Err("mlock still succeeds after dropping CAP_IPC_LOCK".into());
    }
    Ok(())
}

fn init_args() -> CInitializeArgs {
    CInitializeArgs::new(CInitializeFlags::OS_LOCKING_OK)
}

fn check<T>(what: &str, r: cryptoki::error::Result<T>) -> T {
    r.unwrap_or_else(|e| {
        println!("error: {what}: {e}");
        exit(1)
    })
}

/// Initialize a token with both PINs; its slot.
fn init_token(ctx: &Pkcs11) -> Slot {
    let slot = check("C_GetSlotList", ctx.get_all_slots())[0];
    check("C_InitToken", ctx.init_token(slot, &AuthPin::from(SO_PIN), "memlock"));
    let s = check("C_OpenSession", ctx.open_rw_session(slot));
    check("SO C_Login", s.login(UserType::So, Some(&AuthPin::from(SO_PIN))));
    check("C_InitPIN", s.init_pin(&AuthPin::from(USER_PIN)));
    check("C_Logout", s.logout());
    slot
}

/// Log in and generate `n` AES keys, each used once.
fn use_keys(ctx: &Pkcs11, slot: Slot, n: usize) -> (Session, Vec<ObjectHandle>) {
    let s = check("C_OpenSession", ctx.open_rw_session(slot));
    check("C_Login", s.login(UserType::User, Some(&AuthPin::from(USER_PIN))));
    let template = [Attribute::ValueLen(32u64.into()), Attribute::Token(false)];
    let keys: Vec<ObjectHandle> = (0..n)
        .map(|_| check("C_GenerateKey", s.generate_key(&Mechanism::AesKeyGen, &template)))
        .collect();
    for k in &keys {
        check("C_Encrypt", s.encrypt(&Mechanism::AesEcb, *k, &[0x5a; 16]));
    }
    (s, keys)
}

fn main() {
    let a: Vec<String> = std::env::args().skip(1).collect();
    let [lib, mode] = &a[..] else {
        eprintln!("usage: memlock_probe <library> allow|deny|fork");
        exit(2)
    };
    if mode == "deny" {
        if let Err(why) = deny_locking() {
            println!("skip: {why}");
            exit(3);
        }
    } else if mode != "allow" && mode != "fork" {
        eprintln!("memlock_probe: unknown mode {mode}");
        exit(2);
    }
    let ctx = Pkcs11::new(lib).unwrap_or_else(|e| {
        eprintln!("memlock_probe: cannot load {lib}: {e}");
        exit(2)
    });
    check("C_Initialize", ctx.initialize(init_args()));
    let slot = init_token(&ctx);
    let (session, keys) = use_keys(&ctx, slot, 20);
    let prefix = if mode == "fork" { "parent " } else { "" };
    println!("{prefix}vmlck {}", vm_lck_kb());

    if mode == "fork" {
        let code = fork_and_wait(|| {
            // Memory locks are not inherited across fork.
            println!("child-start vmlck {}", vm_lck_kb());
            if let Err(e) = ctx.initialize(init_args()) {
                println!("error: child C_Initialize: {e}");
                return 1;
            }
            let (s, keys) = use_keys(&ctx, slot, 5);
            println!("child vmlck {}", vm_lck_kb());
            for k in keys {
                check("child C_DestroyObject", s.destroy_object(k));
            }
            drop(s);
            check("child C_Finalize", ctx.clone().finalize());
            0
        });
        if code != 0 {
            println!("error: child exited with {code}");
            exit(1);
        }
        // The parent's keys still work after the fork.
        check("parent C_Encrypt", session.encrypt(&Mechanism::AesEcb, keys[0], &[1; 16]));
        println!("parent-after vmlck {}", vm_lck_kb());
    }

    for k in keys {
        check("C_DestroyObject", session.destroy_object(k));
    }
    drop(session);
    check("C_Finalize", ctx.finalize());
    println!("done");
}
