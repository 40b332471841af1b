//! Where this library was loaded from (to find `craton-hsm.toml` beside it).

use std::ffi::CStr;
use std::path::PathBuf;

/// The directory of the loaded `libcraton_hsm.so`, if the loader can tell.
pub fn library_dir() -> Option<PathBuf> {
    library_file().and_then(|p| p.parent().map(PathBuf::from))
}

/// The loaded `libcraton_hsm.so` itself, if the loader can tell.
pub fn library_file() -> Option<PathBuf> {
    let mut info = libc::Dl_info {
        dli_fname: std::ptr::null(),
        dli_fbase: std::ptr::null_mut(),
        dli_sname: std::ptr::null(),
        dli_saddr: std::ptr::null_mut(),
    };
    let addr = library_file as *const () as *const libc::c_void;
    // SAFETY: `addr` is the address of a function of this library and `info` a valid,
    // writable Dl_info; dladdr only fills it in.
    let ok = unsafe { libc::dladdr(addr, &mut info) };
    if ok == 0 || info.dli_fname.is_null() {
        return None;
    }
    // SAFETY: dladdr succeeded, so dli_fname points to a NUL-terminated path owned by the
    // loader that stays valid while the library is loaded; we copy it at once.
    let name = unsafe { CStr::from_ptr(info.dli_fname) };
    let path = PathBuf::from(std::ffi::OsStr::new(std::str::from_utf8(name.to_bytes()).ok()?));
    if path.is_absolute() { Some(path) } else { std::fs::canonicalize(&path).ok() }
}
