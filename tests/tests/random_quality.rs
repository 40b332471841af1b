//! Quality of C_GenerateRandom: statistics over 1 MiB of output, distinct
//! streams after fork(), and C_SeedRandom mixing caller data in as additional
//! input without ever becoming the only entropy.
//!
//! The statistical checks use fixed thresholds. Each comment gives the chance
//! that output from an ideal generator fails the check; the sum over all of
//! them is below 4e-8, so a failure means a broken generator, not bad luck.

use craton_blackbox::{TestToken, wait_with_timeout};
use std::collections::HashSet;
use std::process::{Command, Stdio};
use std::time::Duration;

const MIB: usize = 1 << 20;

/// 1 MiB drawn from one session: half in a single large request, half in
/// 2048 requests of 256 bytes, so both the splitting of big requests and the
/// state update between requests are covered.
fn one_mebibyte() -> Vec<u8> {
    let t = TestToken::new();
    let slot = t.init_token();
    let s = t.ro(slot);
    let mut data = s.generate_random_vec((MIB / 2) as u32).expect("C_GenerateRandom 512 KiB");
    while data.len() < MIB {
        data.extend(s.generate_random_vec(256).expect("C_GenerateRandom 256 bytes"));
    }
    assert_eq!(data.len(), MIB);
    data
}

fn ones(data: &[u8]) -> u64 {
    data.iter().map(|b| u64::from(b.count_ones())).sum()
}

/// Pearson's chi-square of the byte histogram against uniform (255 degrees of
/// freedom).
fn byte_chi_square(data: &[u8]) -> f64 {
    let mut counts = [0u64; 256];
    for &b in data {
        counts[usize::from(b)] += 1;
    }
    let expected = data.len() as f64 / 256.0;
    counts.iter().map(|&c| (c as f64 - expected).powi(2) / expected).sum()
}

/// Number of runs (maximal blocks of equal bits) and the longest run, reading
/// each byte most significant bit first.
fn runs(data: &[u8]) -> (u64, u64) {
    let mut bits = data.iter().flat_map(|&b| (0..8).rev().map(move |i| (b >> i) & 1));
    let Some(mut prev) = bits.next() else { return (0, 0) };
    let (mut count, mut current, mut longest) = (1u64, 1u64, 1u64);
    for bit in bits {
        if bit == prev {
            current += 1;
        } else {
            count += 1;
            current = 1;
            prev = bit;
        }
        longest = longest.max(current);
    }
    (count, longest)
}

#[test]
fn one_mebibyte_passes_statistical_checks() {
    let data = one_mebibyte();
    let n = (data.len() * 8) as f64;

    // Monobit: the fraction of ones has standard deviation 0.5 / sqrt(n) =
    // 1.73e-4 for n = 2^23 bits, so +-0.002 is 11.6 sigma: P(fail) ~ 5e-31.
    let fraction = ones(&data) as f64 / n;
    assert!((fraction - 0.5).abs() < 0.002, "monobit: ones fraction {fraction}");

    // Byte frequencies: chi-square with 255 degrees of freedom has mean 255
    // and standard deviation 22.6. P(chi2 > 420) = 3.4e-8. (A bound of 330
    // would fail an ideal generator about once in a thousand runs:
    // P(chi2 > 330) = 1.1e-3.)
    let chi2 = byte_chi_square(&data);
    assert!(chi2 < 420.0, "byte chi-square {chi2:.1} over 256 bins (255 d.o.f.)");

    // No 16-byte block twice: 65536 blocks, P(any repeat) ~ 2^31 / 2^128.
    let mut seen = HashSet::new();
    for (i, block) in data.chunks_exact(16).enumerate() {
        assert!(seen.insert(block), "16-byte block {i} repeats an earlier one: {block:02x?}");
    }

    // Runs (NIST SP 800-22 2.3): with pi the ones fraction, the number of runs
    // has mean 2 n pi (1 - pi) and standard deviation 2 sqrt(n) pi (1 - pi)
    // (about 1448 here); |z| < 7 fails with P = 2.6e-12.
    let (count, longest) = runs(&data);
    let pi = fraction;
    let z = (count as f64 - 2.0 * n * pi * (1.0 - pi)) / (2.0 * n.sqrt() * pi * (1.0 - pi));
    assert!(z.abs() < 7.0, "runs: {count} runs in {n} bits, z = {z:.2}");
    // Longest run: P(some run of >= 65 equal bits in 2^23 bits) < 2^23 * 2^-64 = 4.5e-13.
    assert!(longest <= 64, "a run of {longest} equal bits");
}

#[test]
fn the_statistics_reject_bad_data() {
    // The checks above must be able to fail: a counter, a biased stream and a
    // repeating stream each trip at least one of them.
    let counter: Vec<u8> = (0..MIB).map(|i| (i % 251) as u8).collect();
    assert!(byte_chi_square(&counter) > 420.0);

    let biased: Vec<u8> =
        (0..MIB).map(|i| if i % 97 == 0 { 0xff } else { (i * 131) as u8 }).collect();
    assert!(byte_chi_square(&biased) > 420.0);

    let alternating = vec![0x55u8; 1024];
    let (count, longest) = runs(&alternating);
    assert_eq!((count, longest), (8192, 1));
    let zeros = vec![0u8; 1024];
    assert_eq!(runs(&zeros), (1, 8192));
    assert_eq!(ones(&[0xff, 0x01, 0x00]), 9);
}

fn parse_hex(s: &str) -> Option<Vec<u8>> {
    if s.len() % 2 != 0 {
        return None;
    }
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok()).collect()
}

#[test]
fn forked_children_and_parent_draw_different_bytes() {
    let t = TestToken::new();
    let slot = t.init_token();
    let child = Command::new(env!("CARGO_BIN_EXE_rng_forker"))
        .arg(t.lib_path())
        .arg(slot.id().to_string())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn rng_forker");
    let out = wait_with_timeout(child, Duration::from_secs(120));
    let (stdout, stderr) =
        (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    let report = format!("status {}\nstdout:\n{stdout}\nstderr:\n{stderr}", out.status);
    assert!(out.status.success(), "{report}");

    let draws: Vec<(&str, Vec<u8>)> = ["before", "child1", "child2", "parent"]
        .into_iter()
        .map(|label| {
            let hex = stdout
                .lines()
                .find_map(|l| l.strip_prefix(label)?.strip_prefix('='))
                .unwrap_or_else(|| panic!("no {label}= line\n{report}"));
            let bytes = parse_hex(hex).unwrap_or_else(|| panic!("{label}: bad hex\n{report}"));
            assert_eq!(bytes.len(), 32, "{label}\n{report}");
            (label, bytes)
        })
        .collect();
    for (i, (a, x)) in draws.iter().enumerate() {
        for (b, y) in &draws[i + 1..] {
            assert_ne!(x, y, "{a} and {b} drew the same bytes\n{report}");
        }
    }
}

#[test]
fn seed_random_accepts_caller_data() {
    let t = TestToken::new();
    let slot = t.init_token();
    let s = t.ro(slot);
    s.seed_random(b"caller-supplied additional input").expect("C_SeedRandom");
    let a = s.generate_random_vec(32).expect("C_GenerateRandom after seeding");
    let b = s.generate_random_vec(32).expect("C_GenerateRandom after seeding");
    assert_ne!(a, b);
    assert_ne!(a, vec![0; 32]);
}

/// Seeding is additional input, never the only entropy: two module instances
/// seeded identically still produce different bytes.
#[test]
fn identically_seeded_instances_differ() {
    let seed = [0x42u8; 48];
    let draw = || {
        let t = TestToken::new();
        let slot = t.init_token();
        let s = t.ro(slot);
        s.seed_random(&seed).expect("C_SeedRandom");
        s.generate_random_vec(32).expect("C_GenerateRandom after seeding")
    };
    let (a, b) = (draw(), draw());
    assert_ne!(a, b, "two instances seeded with the same bytes drew the same output");
}
