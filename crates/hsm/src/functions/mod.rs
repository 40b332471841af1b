//! The exported `C_*` functions, one file per group.

pub mod common;
pub mod general;
pub mod objects;
pub mod pending;
pub mod random;
pub mod sessions;
pub mod slots;

pub use general::*;
pub use objects::*;
pub use pending::*;
pub use random::*;
pub use sessions::*;
pub use slots::*;
