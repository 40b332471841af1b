//! Raw entropy input with SP 800-90B continuous health tests.
//!
//! Samples are 64-bit words read from the source. We credit the operating system's source
//! with H = 32 bits of min-entropy per 64-bit sample — half its size, a deliberately
//! conservative assessment of an already-conditioned source — and size both tests for a
//! false-alarm probability of alpha = 2^-20 per SP 800-90B section 4.4:
//!
//! - Repetition Count Test: cut-off C = 1 + ceil(20 / H) = 2. Two identical consecutive
//!   samples fail.
//! - Adaptive Proportion Test: window W = 512 samples. With p = 2^-32 per value, the chance
//!   that any of the other 511 samples repeats the window's first one is below 2^-22, so the
//!   cut-off is C = 2 occurrences (the first included): a second occurrence fails.
//!
//! A failure is latched: the source refuses all later reads, and the module treats it as a
//! fatal self-test failure.

use std::fmt;

/// Repetition Count Test cut-off (identical consecutive samples that fail).
pub const RCT_CUTOFF: u32 = 2;
/// Adaptive Proportion Test window, in samples.
pub const APT_WINDOW: u32 = 512;
/// Adaptive Proportion Test cut-off (occurrences of the window's first sample that fail).
pub const APT_CUTOFF: u32 = 2;

/// Which continuous test failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HealthFailure {
    /// The source itself reported an error.
    SourceFailed,
    /// Repetition Count Test.
    RepetitionCount,
    /// Adaptive Proportion Test.
    AdaptiveProportion,
}

impl fmt::Display for HealthFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::SourceFailed => "entropy source failed",
            Self::RepetitionCount => "entropy repetition count test failed",
            Self::AdaptiveProportion => "entropy adaptive proportion test failed",
        })
    }
}

impl std::error::Error for HealthFailure {}

/// Where raw entropy comes from (the seam tests use to inject stuck or biased streams).
pub trait EntropySource: Send {
    /// Fill `out` with raw entropy.
    fn fill(&mut self, out: &mut [u8]) -> Result<(), HealthFailure>;
}

/// The operating system's entropy source (`getrandom(2)` on Linux).
#[derive(Debug, Default)]
pub struct OsEntropy;

impl EntropySource for OsEntropy {
    fn fill(&mut self, out: &mut [u8]) -> Result<(), HealthFailure> {
        getrandom::fill(out).map_err(|_| HealthFailure::SourceFailed)
    }
}

/// A source behind the two continuous tests.
pub struct HealthTested<S> {
    source: S,
    failed: Option<HealthFailure>,
    last: Option<u64>,
    run: u32,
    apt_first: u64,
    apt_count: u32,
    apt_seen: u32,
}

impl<S> fmt::Debug for HealthTested<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HealthTested").field("failed", &self.failed).finish_non_exhaustive()
    }
}

impl<S: EntropySource> HealthTested<S> {
    /// Wrap `source`.
    pub fn new(source: S) -> Self {
        Self { source, failed: None, last: None, run: 0, apt_first: 0, apt_count: 0, apt_seen: 0 }
    }

    /// The latched failure, if any.
    pub fn failure(&self) -> Option<HealthFailure> {
        self.failed
    }

    fn check(&mut self, sample: u64) -> Result<(), HealthFailure> {
        if self.last == Some(sample) {
            self.run += 1;
            if self.run >= RCT_CUTOFF {
                return Err(HealthFailure::RepetitionCount);
            }
        } else {
            self.last = Some(sample);
            self.run = 1;
        }
        if self.apt_seen == 0 {
            self.apt_first = sample;
            self.apt_count = 1;
        } else if sample == self.apt_first {
            self.apt_count += 1;
            if self.apt_count >= APT_CUTOFF {
                return Err(HealthFailure::AdaptiveProportion);
            }
        }
        self.apt_seen = (self.apt_seen + 1) % APT_WINDOW;
        Ok(())
    }

    /// Fill `out` (a multiple of 8 bytes) with tested entropy. Any failure is latched.
    pub fn fill(&mut self, out: &mut [u8]) -> Result<(), HealthFailure> {
        if let Some(f) = self.failed {
            return Err(f);
        }
        let result = self.source.fill(out).and_then(|()| {
            out.chunks(8).try_for_each(|c| {
                let mut w = [0u8; 8];
                w[..c.len()].copy_from_slice(c);
                self.check(u64::from_le_bytes(w))
            })
        });
        if let Err(f) = result {
            out.fill(0);
            self.failed = Some(f);
        }
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Replays a fixed pattern of 64-bit samples.
    struct Pattern(Vec<u64>, usize);

    impl EntropySource for Pattern {
        fn fill(&mut self, out: &mut [u8]) -> Result<(), HealthFailure> {
            for c in out.chunks_mut(8) {
                let w = self.0[self.1 % self.0.len()].to_le_bytes();
                c.copy_from_slice(&w[..c.len()]);
                self.1 += 1;
            }
            Ok(())
        }
    }

    #[test]
    fn os_source_passes() {
        let mut s = HealthTested::new(OsEntropy);
        for _ in 0..200 {
            s.fill(&mut [0u8; 64]).unwrap();
        }
        assert_eq!(s.failure(), None);
    }

    #[test]
    fn stuck_source_trips_repetition_count() {
        let mut s = HealthTested::new(Pattern(vec![0x4242_4242_4242_4242], 0));
        assert_eq!(s.fill(&mut [0u8; 16]), Err(HealthFailure::RepetitionCount));
        // Latched, even for a read that would pass.
        assert_eq!(s.fill(&mut [0u8; 8]), Err(HealthFailure::RepetitionCount));
    }

    #[test]
    fn biased_source_trips_adaptive_proportion() {
        // Never two equal in a row (the RCT passes), but the first value keeps coming back.
        let mut s = HealthTested::new(Pattern(vec![1, 2, 3, 1, 4, 5], 0));
        assert_eq!(s.fill(&mut [0u8; 48]), Err(HealthFailure::AdaptiveProportion));
    }

    #[test]
    fn failing_source_is_reported() {
        struct Broken;
        impl EntropySource for Broken {
            fn fill(&mut self, _: &mut [u8]) -> Result<(), HealthFailure> {
                Err(HealthFailure::SourceFailed)
            }
        }
        let mut s = HealthTested::new(Broken);
        assert_eq!(s.fill(&mut [0u8; 8]), Err(HealthFailure::SourceFailed));
    }
}
