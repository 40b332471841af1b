//! Every PKCS#11 semantic of Craton HSM: slots, tokens, sessions, login, objects and their
//! attribute policy, and the encrypted SQLite store. The C ABI crate only decodes arguments,
//! calls into [`Module`], and encodes results.
#![forbid(unsafe_code)]

pub mod attrs;
pub mod cache;
pub mod config;
pub mod crypto;
pub mod derive_kdf;
pub mod error;
pub mod fsperm;
pub mod keygen;
pub mod keys;
pub mod login;
pub mod mechanism;
pub mod message;
pub mod module;
pub mod objects;
pub mod ops;
pub mod opstate;
pub mod pin;
pub mod policy;
pub mod session;
pub mod session_table;
pub mod store;
pub mod templates;
pub mod types;
pub mod wrap;

pub use config::Config;
pub use error::{Error, Result};
pub use module::Module;
