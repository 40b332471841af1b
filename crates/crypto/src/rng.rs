//! The module's random source.
//!
//! Every random byte the module emits goes through [`fill`]. Today it draws from the operating
//! system through aws-lc-rs; the health-tested SP 800-90A DRBG replaces the body of this
//! function without changing its callers.

use crate::CryptoError;

/// Fill `out` with random bytes.
pub fn fill(out: &mut [u8]) -> Result<(), CryptoError> {
    if out.is_empty() {
        return Ok(());
    }
    aws_lc_rs::rand::fill(out).map_err(|_| CryptoError::RandomFailure)
}

/// A fresh random array.
pub fn array<const N: usize>() -> Result<[u8; N], CryptoError> {
    let mut out = [0u8; N];
    fill(&mut out)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_draws_differ() {
        let a: [u8; 32] = array().unwrap();
        let b: [u8; 32] = array().unwrap();
        assert_ne!(a, b);
    }

    #[test]
    fn empty_fill_is_fine() {
        fill(&mut []).unwrap();
    }
}
