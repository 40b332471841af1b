//! The PKCS#11 C ABI of Craton HSM: `libcraton_hsm.so`.
//!
//! This crate only decodes arguments, calls the token crate and encodes results. It is the
//! one crate with `unsafe`: every pointer from the caller goes through [`ptr`], every entry
//! point through the `ck_fn!` macro (C ABI, panic guard), every error through [`rv`].

mod funclist;
pub mod functions;
mod libpath;
mod logger;
pub mod mech;
mod mlock;
mod post;
pub mod ptr;
pub mod rv;
mod state;

pub use functions::*;

/// Major version of the library (CK_INFO.libraryVersion.major).
pub const CRATON_HSM_VERSION_MAJOR: u8 = 0;
/// Minor version of the library (CK_INFO.libraryVersion.minor).
pub const CRATON_HSM_VERSION_MINOR: u8 = 1;

/// The library's version as PKCS#11 reports it.
pub(crate) const LIBRARY_VERSION: pkcs11_sys::CK_VERSION =
    pkcs11_sys::CK_VERSION { major: CRATON_HSM_VERSION_MAJOR, minor: CRATON_HSM_VERSION_MINOR };
