//! The exported `C_*` functions, one file per group. Each is written out literally (so
//! cbindgen sees it) and runs its body inside `state::guard`.
//!
//! Argument names are the specification's (`hSession`, `pTemplate`), hence the lint allowance.
#![allow(non_snake_case)]

pub mod cipher;
pub mod common;
pub mod general;
pub mod keys;
pub mod message;
pub mod objects;
pub mod random;
pub mod sessions;
pub mod sign;
pub mod slots;

pub use cipher::*;
pub use general::*;
pub use keys::*;
pub use message::*;
pub use objects::*;
pub use random::*;
pub use sessions::*;
pub use sign::*;
pub use slots::*;
