//! Cryptographic building blocks of Craton HSM.
//!
//! This crate knows nothing of sessions, handles or objects: it works on typed parameters and
//! key bytes, so known-answer tests and fuzzing can exercise it alone.
#![forbid(unsafe_code)]

pub mod aead;
pub mod aes;
pub mod chacha;
pub mod chacha_stream;
pub mod der;
pub mod digest;
pub mod ec;
pub mod edwards;
pub mod entropy;
pub mod error;
pub mod hash;
pub mod hmac_drbg;
pub mod integrity;
pub mod kbkdf;
pub mod locked;
pub mod pin_kdf;
pub mod rng;
pub mod rsa;
pub mod self_test;

pub use error::CryptoError;
