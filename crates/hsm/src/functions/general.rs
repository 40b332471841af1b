//! C_Initialize, C_Finalize, C_GetInfo and the function-list and interface entry points.

use craton_token::{Config, Error, Module};
use pkcs11_sys::*;

use crate::funclist::{FUNCTION_LIST_2_40, INTERFACES};
use crate::ptr;
use crate::state::{self, guard};

/// Validate C_Initialize's arguments. We always lock with the OS's primitives, which is
/// correct whether the application passes CKF_OS_LOCKING_OK, its own mutex callbacks (its
/// threads are OS threads), or nothing at all.
fn check_init_args(p: CK_VOID_PTR) -> craton_token::Result<()> {
    if p.is_null() {
        return Ok(());
    }
    // SAFETY: non-NULL pInitArgs points to a CK_C_INITIALIZE_ARGS per the spec.
    let args = unsafe { ptr::read(p as *const CK_C_INITIALIZE_ARGS) }?;
    if !args.pReserved.is_null() {
        return Err(Error::ArgumentsBad);
    }
    let given = [
        args.CreateMutex.is_some(),
        args.DestroyMutex.is_some(),
        args.LockMutex.is_some(),
        args.UnlockMutex.is_some(),
    ];
    if given.iter().any(|g| *g) && !given.iter().all(|g| *g) {
        return Err(Error::ArgumentsBad);
    }
    Ok(())
}

fn load_config() -> craton_token::Result<Config> {
    let config = Config::discover(crate::libpath::library_dir().as_deref()).map_err(|e| {
        // Always shown, whatever the log level: the configuration is what sets the level.
        eprintln!("craton-hsm: {e}");
        Error::GeneralError
    })?;
    crate::logger::init(&config.log_level);
    Ok(config)
}

/// Initialize the library.
///
/// # Safety
/// Pointer arguments must satisfy the PKCS#11 specification of this function.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn C_Initialize(pInitArgs: CK_VOID_PTR) -> CK_RV {
    guard("C_Initialize", || {
        check_init_args(pInitArgs)?;
        let config = load_config()?;
        // Before the self-tests and the module create any secret; after the logger is set
        // up, so that a refusal to lock is reported at the configured level.
        crate::mlock::install();
        let approved = config.security.approved_mode;
        state::initialize(
            || crate::post::run(approved),
            || {
                Module::new(config).map_err(|e| {
                    log::error!("cannot open the token store: {e}");
                    Error::GeneralError
                })
            },
        )
    })
}

/// Release everything.
///
/// # Safety
/// Pointer arguments must satisfy the PKCS#11 specification of this function.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn C_Finalize(pReserved: CK_VOID_PTR) -> CK_RV {
    guard("C_Finalize", || {
        if !pReserved.is_null() {
            return Err(Error::ArgumentsBad);
        }
        state::finalize()
    })
}

/// Module information.
///
/// # Safety
/// Pointer arguments must satisfy the PKCS#11 specification of this function.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn C_GetInfo(pInfo: CK_INFO_PTR) -> CK_RV {
    guard("C_GetInfo", || {
        state::initialized()?;
        let info = CK_INFO {
            cryptokiVersion: CK_VERSION { major: 3, minor: 0 },
            manufacturerID: ptr::pad(b"Craton HSM"),
            flags: 0,
            libraryDescription: ptr::pad(b"Craton HSM software token"),
            libraryVersion: crate::LIBRARY_VERSION,
        };
        // SAFETY: pInfo is NULL or points to a CK_INFO the caller owns.
        unsafe { ptr::write(pInfo, info) }
    })
}

/// The PKCS#11 2.40 function list (works before C_Initialize).
///
/// # Safety
/// Pointer arguments must satisfy the PKCS#11 specification of this function.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn C_GetFunctionList(ppFunctionList: CK_FUNCTION_LIST_PTR_PTR) -> CK_RV {
    guard("C_GetFunctionList", || {
        let list = &FUNCTION_LIST_2_40 as *const CK_FUNCTION_LIST_3_0 as CK_FUNCTION_LIST_PTR;
        // SAFETY: ppFunctionList is NULL or writable per the spec.
        unsafe { ptr::write(ppFunctionList, list) }
    })
}

/// Every interface the module offers: "PKCS 11" 3.0 and 2.40.
///
/// # Safety
/// Pointer arguments must satisfy the PKCS#11 specification of this function.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn C_GetInterfaceList(
    pInterfacesList: CK_INTERFACE_PTR,
    pulCount: CK_ULONG_PTR,
) -> CK_RV {
    guard("C_GetInterfaceList", || {
        let items: Vec<CK_INTERFACE> = INTERFACES.iter().map(|i| i.0).collect();
        // SAFETY: pulCount valid per the spec; pInterfacesList NULL or *pulCount entries long.
        unsafe { ptr::write_list(pInterfacesList, pulCount, &items) }
    })
}

/// One interface by name, version and flags (NULL name or version: the newest).
///
/// # Safety
/// Pointer arguments must satisfy the PKCS#11 specification of this function.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn C_GetInterface(
    pInterfaceName: CK_UTF8CHAR_PTR,
    pVersion: CK_VERSION_PTR,
    ppInterface: CK_INTERFACE_PTR_PTR,
    flags: CK_FLAGS,
) -> CK_RV {
    guard("C_GetInterface", || {
        if ppInterface.is_null() {
            return Err(Error::ArgumentsBad);
        }
        if !pInterfaceName.is_null() {
            // SAFETY: a non-NULL name is a NUL-terminated string per the spec.
            let name =
                unsafe { std::ffi::CStr::from_ptr(pInterfaceName as *const std::ffi::c_char) };
            if name.to_bytes() != b"PKCS 11" {
                return Err(Error::ArgumentsBad);
            }
        }
        let version = if pVersion.is_null() {
            None
        } else {
            // SAFETY: non-NULL pVersion points to a CK_VERSION.
            Some(unsafe { ptr::read(pVersion) }?)
        };
        let found = INTERFACES.iter().find(|i| {
            let v = crate::funclist::version_of(&i.0);
            version.is_none_or(|w| w.major == v.major && w.minor == v.minor)
                && i.0.flags & flags == flags
        });
        let found = found.ok_or(Error::ArgumentsBad)?;
        let p = &found.0 as *const CK_INTERFACE as CK_INTERFACE_PTR;
        // SAFETY: ppInterface checked non-NULL; writable per the spec.
        unsafe { ptr::write(ppInterface, p) }
    })
}
