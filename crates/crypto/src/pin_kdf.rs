//! PIN → key-encryption key, through Argon2id.
//!
//! A PIN is never stored, hashed or compared: the key derived here unwraps the token's master
//! key, and the PIN is right exactly when that unwrap authenticates.

use argon2::{Algorithm, Argon2, Params, Version};
use zeroize::Zeroizing;

use crate::CryptoError;

/// Argon2id cost parameters, stored with each token so they can be raised later.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PinKdfParams {
    /// Memory in KiB.
    pub memory_kib: u32,
    /// Passes over memory.
    pub iterations: u32,
    /// Lanes.
    pub parallelism: u32,
}

impl Default for PinKdfParams {
    /// OWASP's minimum for Argon2id: 19 MiB, 2 passes, 1 lane.
    fn default() -> Self {
        Self { memory_kib: 19 * 1024, iterations: 2, parallelism: 1 }
    }
}

/// Length of the salt stored beside each wrapped master key.
pub const SALT_LEN: usize = 16;

/// Derive a 32-byte key-encryption key from `pin` and `salt`.
pub fn derive(
    pin: &[u8],
    salt: &[u8],
    params: PinKdfParams,
) -> Result<Zeroizing<[u8; 32]>, CryptoError> {
    let p = Params::new(params.memory_kib, params.iterations, params.parallelism, Some(32))
        .map_err(|_| CryptoError::InvalidParameter)?;
    let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, p);
    let mut out = Zeroizing::new([0u8; 32]);
    argon.hash_password_into(pin, salt, out.as_mut()).map_err(|_| CryptoError::InvalidParameter)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const CHEAP: PinKdfParams = PinKdfParams { memory_kib: 64, iterations: 1, parallelism: 1 };

    #[test]
    fn deterministic_and_pin_sensitive() {
        let salt = [3u8; SALT_LEN];
        let a = derive(b"1234", &salt, CHEAP).unwrap();
        let b = derive(b"1234", &salt, CHEAP).unwrap();
        let c = derive(b"1235", &salt, CHEAP).unwrap();
        assert_eq!(*a, *b);
        assert_ne!(*a, *c);
    }

    #[test]
    fn rejects_bad_params() {
        let bad = PinKdfParams { memory_kib: 1, iterations: 0, parallelism: 1 };
        assert_eq!(derive(b"x", &[0u8; SALT_LEN], bad), Err(CryptoError::InvalidParameter));
    }
}
