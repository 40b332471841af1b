//! Known-answer tests of the SP 800-108 counter-mode KDF (`crate::kbkdf`) and of the two
//! digests that run on the RustCrypto backend (SHA-512/224 and SHA3-224), through the same
//! wrappers the mechanisms use.

use super::{expect, hex};
use crate::digest::{HashAlg, Hasher};
use crate::kbkdf::{self, Prf, Segment};

/// Hash `msg` through the streaming path (one update per half) and compare.
fn streamed(alg: HashAlg, msg: &[u8], expected_hex: &str, corrupt: bool) -> bool {
    let mut h = Hasher::new(alg);
    let (a, b) = msg.split_at(msg.len() / 2);
    h.update(a);
    h.update(b);
    h.finish() == expect(expected_hex, corrupt)
}

/// NIST CAVP SHA512_224ShortMsg.rsp (shabytetestvectors.zip), Len = 8, Msg = cf.
pub fn sha512_224(corrupt: bool) -> bool {
    streamed(
        HashAlg::Sha512_224,
        &[0xcf],
        "4199239e87d47b6feda016802bf367fb6e8b5655eff6225cb2668f4a",
        corrupt,
    )
}

/// NIST CAVP SHA3_224ShortMsg.rsp (sha-3bytetestvectors.zip), Len = 8, Msg = 01.
pub fn sha3_224(corrupt: bool) -> bool {
    streamed(
        HashAlg::Sha3_224,
        &[0x01],
        "488286d9d32716e5881ea1ee51f36d3660d70f0db03b3f612ce9eda4",
        corrupt,
    )
}

/// NIST CAVP KBKDF counter mode (nist-800-108-KBKDF-CTR.txt), [PRF=HMAC_SHA256]
/// [CTRLOCATION=AFTER_FIXED] [RLEN=32_BITS] COUNT=30: 320 bits, so two PRF outputs and a
/// counter that increments.
pub fn kbkdf_hmac_sha256(corrupt: bool) -> bool {
    let segments = [
        Segment::Bytes(hex("96987325eba124f7ecb4768d3b53f88d917f6e58f8eaec2b1f30cfd90c5d3176\
             87788a7156cdffb159e02c71010ce51e05635d83275b566fc0377ee6")),
        Segment::Counter { width_bits: 32, little_endian: false },
    ];
    let key = hex("9bf5b12f020f550bffeb3e20d5e59b8c6df5aca37156fbebd2ea98f38896d7ba");
    let Ok(out) = kbkdf::derive(Prf::Hmac(HashAlg::Sha256), &key, &segments, &[40]) else {
        return false;
    };
    out.len() == 1
        && out[0][..]
            == expect(
                "3bd8c80796053099b32bacd01a6dadd4bb5aab62421532b381727708dee9ed6a\
                 54c150367ffbc353",
                corrupt,
            )[..]
}
