//! HMAC_DRBG with SHA-256, as NIST SP 800-90A rev. 1 (section 10.1.2) specifies it.
//!
//! Why HMAC_DRBG rather than CTR_DRBG: its security rests only on HMAC-SHA-256 (no block
//! cipher key schedule, no derivation function to get right), it needs no padding of seed
//! material, and it is the construction RFC 6979 reuses — one well-studied primitive.
//!
//! This type is the deterministic core only: it takes entropy as bytes. Drawing entropy from
//! the operating system through the continuous health tests is the caller's job
//! (the entropy module that follows this one).

use aws_lc_rs::hmac;

use crate::locked::SecretBytes;

/// Security strength in bytes (SHA-256: 256 bits).
pub const SECURITY_STRENGTH: usize = 32;
/// Largest single request SP 800-90A allows for HMAC_DRBG: 2^19 bits.
pub const MAX_REQUEST: usize = 1 << 16;
/// Generate calls allowed between reseeds. SP 800-90A allows 2^48; we reseed far sooner.
pub const RESEED_INTERVAL: u64 = 1 << 20;

const OUT_LEN: usize = 32;

/// Why a generate request was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DrbgError {
    /// The reseed interval is exhausted: reseed first.
    ReseedRequired,
    /// More than [`MAX_REQUEST`] bytes were asked for at once.
    RequestTooLarge,
}

/// The working state: key `K`, value `V` and the reseed counter. `K` and `V` live in
/// [`SecretBytes`]: zeroized on drop, and in locked pages when a page locker is installed.
pub struct HmacDrbg {
    k: SecretBytes,
    v: SecretBytes,
    reseed_counter: u64,
}

impl std::fmt::Debug for HmacDrbg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the state.
        f.debug_struct("HmacDrbg")
            .field("reseed_counter", &self.reseed_counter)
            .finish_non_exhaustive()
    }
}

/// `V = HMAC(K, V)`, written straight into `V`'s buffer (no copy of the state elsewhere).
fn advance_v(key: &hmac::Key, v: &mut [u8]) {
    let tag = hmac::sign(key, v);
    v.copy_from_slice(tag.as_ref());
}

impl HmacDrbg {
    /// Instantiate from entropy, a nonce and an optional personalization string.
    pub fn new(entropy: &[u8], nonce: &[u8], personalization: &[u8]) -> Self {
        let mut v = SecretBytes::zeroed(OUT_LEN);
        v.fill(1);
        let mut d = Self { k: SecretBytes::zeroed(OUT_LEN), v, reseed_counter: 1 };
        d.update(&[entropy, nonce, personalization]);
        d
    }

    /// HMAC_DRBG_Update with the concatenation of `provided`.
    fn update(&mut self, provided: &[&[u8]]) {
        let empty = provided.iter().all(|p| p.is_empty());
        for round in [0u8, 1u8] {
            if round == 1 && empty {
                break;
            }
            let key = hmac::Key::new(hmac::HMAC_SHA256, &self.k);
            let mut ctx = hmac::Context::with_key(&key);
            ctx.update(&self.v);
            ctx.update(&[round]);
            for p in provided {
                ctx.update(p);
            }
            self.k.copy_from_slice(ctx.sign().as_ref());
            advance_v(&hmac::Key::new(hmac::HMAC_SHA256, &self.k), &mut self.v);
        }
    }

    /// Mix in fresh entropy (and optional additional input); the counter restarts.
    pub fn reseed(&mut self, entropy: &[u8], additional: &[u8]) {
        self.update(&[entropy, additional]);
        self.reseed_counter = 1;
    }

    /// Whether the next generate call needs a reseed first.
    pub fn needs_reseed(&self) -> bool {
        self.reseed_counter > RESEED_INTERVAL
    }

    /// Fill `out` (at most [`MAX_REQUEST`] bytes), mixing in `additional` if non-empty.
    pub fn generate(&mut self, out: &mut [u8], additional: &[u8]) -> Result<(), DrbgError> {
        if out.len() > MAX_REQUEST {
            return Err(DrbgError::RequestTooLarge);
        }
        if self.needs_reseed() {
            return Err(DrbgError::ReseedRequired);
        }
        if !additional.is_empty() {
            self.update(&[additional]);
        }
        // One key schedule for the whole request: K does not change until the update below.
        let key = hmac::Key::new(hmac::HMAC_SHA256, &self.k);
        for chunk in out.chunks_mut(OUT_LEN) {
            advance_v(&key, &mut self.v);
            chunk.copy_from_slice(&self.v[..chunk.len()]);
        }
        self.update(&[additional]);
        self.reseed_counter += 1;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_limits() {
        let mut d = HmacDrbg::new(&[7u8; 32], &[1u8; 16], b"");
        let mut big = vec![0u8; MAX_REQUEST + 1];
        assert_eq!(d.generate(&mut big, b""), Err(DrbgError::RequestTooLarge));
        d.reseed_counter = RESEED_INTERVAL + 1;
        assert_eq!(d.generate(&mut [0u8; 4], b""), Err(DrbgError::ReseedRequired));
        d.reseed(&[9u8; 32], b"");
        assert!(d.generate(&mut [0u8; 4], b"").is_ok());
    }

    #[test]
    fn additional_input_changes_output() {
        let mut a = HmacDrbg::new(&[7u8; 32], &[1u8; 16], b"p");
        let mut b = HmacDrbg::new(&[7u8; 32], &[1u8; 16], b"p");
        let (mut x, mut y) = ([0u8; 40], [0u8; 40]);
        a.generate(&mut x, b"").unwrap();
        b.generate(&mut y, b"seed from the caller").unwrap();
        assert_ne!(x, y);
    }

    #[test]
    fn debug_hides_state() {
        let d = HmacDrbg::new(&[7u8; 32], &[1u8; 16], b"");
        assert!(!format!("{d:?}").contains('['));
    }
}
