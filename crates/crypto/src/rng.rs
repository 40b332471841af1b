//! The module's random source: one HMAC_DRBG per thread, seeded from the operating system's
//! entropy through the SP 800-90B continuous health tests.
//!
//! Every random byte the module emits goes through [`fill`]. Per-thread instances mean two
//! threads never contend; nothing here takes a lock, so a fork at any instant is safe. After
//! [`note_fork`] (called by the library's fork handler) every thread's DRBG re-instantiates
//! from fresh entropy before its next output, so parent and child never share a stream.
//! A health-test failure is latched process-wide: every later draw fails until
//! [`clear_failure`] (a new C_Initialize whose self-tests pass).

use std::cell::RefCell;
use std::sync::atomic::{AtomicU8, AtomicU64, Ordering};

use crate::CryptoError;
use crate::entropy::{HealthFailure, HealthTested, OsEntropy};
use crate::hmac_drbg::{HmacDrbg, MAX_REQUEST, SECURITY_STRENGTH};
use crate::locked::SecretBytes;

/// Bumped in a forked child: every thread's DRBG re-instantiates.
static FORK_EPOCH: AtomicU64 = AtomicU64::new(0);
/// Latched health-test failure: 0 none, else a `HealthFailure` code.
static FAILED: AtomicU8 = AtomicU8::new(0);
/// Distinguishes instances within a process (personalization).
static INSTANCES: AtomicU64 = AtomicU64::new(0);

/// Small requests are served from a block generated ahead (one DRBG call per 1 KiB instead
/// of one per request); served bytes are zeroized at once, and the block is discarded on
/// reseed, on request for prediction resistance, and after fork (the whole state is).
/// It is future output, so it lives in a [`SecretBytes`] like the DRBG state.
const BLOCK: usize = 1024;

struct ThreadRng {
    epoch: u64,
    drbg: HmacDrbg,
    source: HealthTested<OsEntropy>,
    /// Always `BLOCK` bytes long, except while it is being refilled.
    block: SecretBytes,
    /// Bytes of `block` already served (BLOCK: empty).
    used: usize,
}

thread_local! {
    static LOCAL: RefCell<Option<ThreadRng>> = const { RefCell::new(None) };
}

fn code(f: HealthFailure) -> u8 {
    match f {
        HealthFailure::SourceFailed => 1,
        HealthFailure::RepetitionCount => 2,
        HealthFailure::AdaptiveProportion => 3,
    }
}

fn latch(f: HealthFailure) -> CryptoError {
    FAILED.store(code(f), Ordering::Release);
    CryptoError::RandomFailure
}

/// The latched health-test failure, if any.
pub fn failure() -> Option<HealthFailure> {
    match FAILED.load(Ordering::Acquire) {
        0 => None,
        1 => Some(HealthFailure::SourceFailed),
        2 => Some(HealthFailure::RepetitionCount),
        _ => Some(HealthFailure::AdaptiveProportion),
    }
}

/// Clear the latch (only after the power-on self-tests passed again).
pub fn clear_failure() {
    FAILED.store(0, Ordering::Release);
}

/// Called in a forked child: all DRBG state inherited from the parent is abandoned.
pub fn note_fork() {
    FORK_EPOCH.fetch_add(1, Ordering::AcqRel);
}

/// Process- and instance-unique personalization: pid, a per-process counter, the time.
fn personalization() -> [u8; 28] {
    let mut p = [0u8; 28];
    p[..4].copy_from_slice(&std::process::id().to_le_bytes());
    p[4..12].copy_from_slice(&INSTANCES.fetch_add(1, Ordering::Relaxed).to_le_bytes());
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    p[12..].copy_from_slice(&nanos.to_le_bytes());
    p
}

fn instantiate(epoch: u64) -> Result<ThreadRng, CryptoError> {
    let mut source = HealthTested::new(OsEntropy);
    // Entropy (security strength) plus a nonce of half that, as SP 800-90A asks.
    let mut seed = zeroize::Zeroizing::new([0u8; SECURITY_STRENGTH + SECURITY_STRENGTH / 2]);
    source.fill(seed.as_mut()).map_err(latch)?;
    let (entropy, nonce) = seed.split_at(SECURITY_STRENGTH);
    let drbg = HmacDrbg::new(entropy, nonce, &personalization());
    Ok(ThreadRng { epoch, drbg, source, block: SecretBytes::zeroed(BLOCK), used: BLOCK })
}

fn with_rng<T>(f: impl FnOnce(&mut ThreadRng) -> Result<T, CryptoError>) -> Result<T, CryptoError> {
    if failure().is_some() {
        return Err(CryptoError::RandomFailure);
    }
    LOCAL.with(|cell| {
        let mut slot = cell.borrow_mut();
        let epoch = FORK_EPOCH.load(Ordering::Acquire);
        if slot.as_ref().is_none_or(|r| r.epoch != epoch) {
            *slot = Some(instantiate(epoch)?);
        }
        let rng = slot.as_mut().ok_or(CryptoError::RandomFailure)?;
        f(rng)
    })
}

fn reseed(rng: &mut ThreadRng, additional: &[u8]) -> Result<(), CryptoError> {
    let mut entropy = zeroize::Zeroizing::new([0u8; SECURITY_STRENGTH]);
    rng.source.fill(entropy.as_mut()).map_err(latch)?;
    rng.drbg.reseed(entropy.as_ref(), additional);
    // Nothing generated before the reseed is handed out after it.
    rng.block.fill(0);
    rng.used = BLOCK;
    Ok(())
}

fn drbg_generate(rng: &mut ThreadRng, out: &mut [u8]) -> Result<(), CryptoError> {
    for chunk in out.chunks_mut(MAX_REQUEST) {
        if rng.drbg.needs_reseed() {
            reseed(rng, b"")?;
        }
        rng.drbg.generate(chunk, b"").map_err(|_| CryptoError::RandomFailure)?;
    }
    Ok(())
}

fn generate(rng: &mut ThreadRng, out: &mut [u8]) -> Result<(), CryptoError> {
    if out.len() > BLOCK / 4 {
        return drbg_generate(rng, out);
    }
    let mut done = 0;
    while done < out.len() {
        if rng.used == BLOCK {
            // Refill in place, with the block taken out for the duration: a reseed inside
            // `drbg_generate` clears `rng.block`, which must not be the buffer being written.
            // The empty placeholder allocates nothing and is never reported to the locker.
            let mut fresh = std::mem::replace(&mut rng.block, SecretBytes::zeroed(0));
            let filled = drbg_generate(rng, &mut fresh);
            rng.block = fresh;
            if let Err(e) = filled {
                // A partial block is never served.
                rng.block.fill(0);
                return Err(e);
            }
            rng.used = 0;
        }
        let n = (out.len() - done).min(BLOCK - rng.used);
        let served = &mut rng.block[rng.used..rng.used + n];
        out[done..done + n].copy_from_slice(served);
        served.fill(0);
        rng.used += n;
        done += n;
    }
    Ok(())
}

/// Fill `out` with random bytes from this thread's DRBG.
pub fn fill(out: &mut [u8]) -> Result<(), CryptoError> {
    if out.is_empty() {
        return Ok(());
    }
    with_rng(|rng| generate(rng, out))
}

/// Like [`fill`], with prediction resistance: fresh entropy is mixed in first.
pub fn fill_with_prediction_resistance(out: &mut [u8]) -> Result<(), CryptoError> {
    with_rng(|rng| {
        reseed(rng, b"")?;
        drbg_generate(rng, out)
    })
}

/// Mix caller-supplied data in (C_SeedRandom): a reseed with fresh entropy, the caller's
/// bytes as additional input — never the only entropy.
pub fn seed(additional: &[u8]) -> Result<(), CryptoError> {
    with_rng(|rng| reseed(rng, additional))
}

/// A fresh random array.
pub fn array<const N: usize>() -> Result<[u8; N], CryptoError> {
    let mut out = [0u8; N];
    fill(&mut out)?;
    Ok(out)
}

/// The module's generator as a `rand_core` RNG, so key generation in the RustCrypto crates
/// draws from it. `fill_bytes` cannot report an error: on a latched failure it panics, which
/// the C boundary turns into CKR_GENERAL_ERROR — never a key from zeroed bytes.
#[derive(Debug, Clone, Copy, Default)]
pub struct ModuleRng;

impl rand_core::RngCore for ModuleRng {
    fn next_u32(&mut self) -> u32 {
        let mut b = [0u8; 4];
        self.fill_bytes(&mut b);
        u32::from_le_bytes(b)
    }

    fn next_u64(&mut self) -> u64 {
        let mut b = [0u8; 8];
        self.fill_bytes(&mut b);
        u64::from_le_bytes(b)
    }

    fn fill_bytes(&mut self, dest: &mut [u8]) {
        if fill(dest).is_err() {
            panic!("random source in error state");
        }
    }

    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand_core::Error> {
        fill(dest).map_err(|_| {
            rand_core::Error::from(
                std::num::NonZeroU32::new(rand_core::Error::CUSTOM_START)
                    .unwrap_or(std::num::NonZeroU32::MIN),
            )
        })
    }
}

impl rand_core::CryptoRng for ModuleRng {}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_core::RngCore;

    #[test]
    fn two_draws_differ() {
        let a: [u8; 32] = array().unwrap();
        let b: [u8; 32] = array().unwrap();
        assert_ne!(a, b);
    }

    #[test]
    fn empty_and_large_fills() {
        fill(&mut []).unwrap();
        let mut big = vec![0u8; 3 * MAX_REQUEST + 5];
        fill(&mut big).unwrap();
        assert!(big[3 * MAX_REQUEST..].iter().any(|b| *b != 0));
    }

    #[test]
    fn threads_get_distinct_streams() {
        let a = std::thread::spawn(|| array::<32>().unwrap()).join().unwrap();
        let b = std::thread::spawn(|| array::<32>().unwrap()).join().unwrap();
        assert_ne!(a, b);
    }

    #[test]
    fn fork_epoch_reinstantiates() {
        let before: [u8; 16] = array().unwrap();
        note_fork();
        let after: [u8; 16] = array().unwrap();
        assert_ne!(before, after);
        seed(b"caller data").unwrap();
        fill_with_prediction_resistance(&mut [0u8; 16]).unwrap();
    }

    #[test]
    fn small_requests_across_block_boundaries_never_repeat() {
        let mut seen = std::collections::HashSet::new();
        for _ in 0..(3 * BLOCK / 24) {
            let mut b = [0u8; 24];
            fill(&mut b).unwrap();
            assert!(seen.insert(b), "a 24-byte draw repeated");
        }
        // After a seed, buffered bytes from before are not served.
        seed(b"x").unwrap();
        let a: [u8; 8] = array().unwrap();
        assert_ne!(a, [0u8; 8]);
    }

    #[test]
    fn rand_core_interface() {
        let mut r = ModuleRng;
        assert_ne!(r.next_u64(), r.next_u64());
        r.try_fill_bytes(&mut [0u8; 8]).unwrap();
    }
}
