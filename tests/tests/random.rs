//! C_GenerateRandom and C_SeedRandom.

use craton_blackbox::TestToken;

#[test]
fn generate_random_lengths() {
    let t = TestToken::new();
    let slot = t.init_token();
    // No login needed: random numbers are a public function.
    let s = t.ro(slot);
    for len in [0u32, 1, 32, 4096] {
        let bytes = s.generate_random_vec(len).expect("C_GenerateRandom");
        assert_eq!(bytes.len(), len as usize);
    }
    // 4096 random bytes cover (nearly) every byte value; zeros or a short
    // repeating pattern would not.
    let big = s.generate_random_vec(4096).unwrap();
    let distinct = big.iter().collect::<std::collections::BTreeSet<_>>().len();
    assert!(distinct >= 240, "only {distinct} distinct byte values in 4096 bytes");
}

#[test]
fn two_calls_differ() {
    let t = TestToken::new();
    let slot = t.init_token();
    let s = t.ro(slot);
    let a = s.generate_random_vec(32).unwrap();
    let b = s.generate_random_vec(32).unwrap();
    assert_ne!(a, b);
    assert_ne!(a, vec![0; 32]);
}

#[test]
fn seeding_mixes_in_and_never_replaces_entropy() {
    let t = TestToken::new();
    let slot = t.init_token();
    let s = t.ro(slot);
    s.seed_random(b"predictable").expect("C_SeedRandom");
    let a = s.generate_random_vec(32).unwrap();
    s.seed_random(b"predictable").expect("C_SeedRandom");
    let b = s.generate_random_vec(32).unwrap();
    assert_ne!(a, b, "the same seed twice must not repeat the output");
}
