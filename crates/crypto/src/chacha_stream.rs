//! Plain ChaCha20 as a stream cipher (CKM_CHACHA20), on RustCrypto's `chacha20` crate:
//! aws-lc-rs only offers ChaCha20 inside its AEAD.
//!
//! PKCS#11 3.0 (CK_CHACHA20_PARAMS) allows two layouts of the last four words of the state:
//!
//! | variant              | counter | nonce   | state words 12, 13, 14, 15                  |
//! |----------------------|---------|---------|---------------------------------------------|
//! | IETF (RFC 8439)      | 32 bits | 96 bits | counter, nonce[0..4], nonce[4..8], [8..12]  |
//! | original (Bernstein) | 64 bits | 64 bits | counter low, counter high, nonce[0..4], [4..8] |
//!
//! The standard does not say how the bytes behind `pBlockCounter` encode the counter. They
//! are read here as little-endian, as NSS's softoken does (`lib/softoken/pkcs11c.c`, "The
//! counter is little endian"), which is also how ChaCha lays out every state word: in both
//! variants the block counter's bytes followed by the nonce are then exactly the 16 bytes of
//! state words 12 to 15 (RFC 8439 section 2.3), and QUIC header protection (RFC 9001 section
//! 5.4.4) can pass its sample bytes through unchanged.
//!
//! The stream ends where the counter does: 2^32 blocks (256 GiB) after counter 0 in the IETF
//! layout, 2^64 blocks in the original one. Input that would need a block past the last is
//! refused whole ([`CryptoError::InvalidLength`]); the counter never wraps around to reuse
//! keystream.
//!
//! The crate's `ChaCha20Legacy` keeps a 32-bit counter (its high word is always zero), and its
//! wrappers stop one block short of the counter's end, so both layouts run on the crate's
//! ChaCha20 core directly: the original layout puts the counter's high word where the IETF
//! layout has the first nonce word, and this type carries into it at each 2^32-block
//! boundary.

use chacha20::ChaChaCore;
use chacha20::cipher::consts::{U10, U64};
use chacha20::cipher::generic_array::GenericArray;
use chacha20::cipher::inout::InOutBuf;
use chacha20::cipher::{KeyIvInit, StreamCipherCore, StreamCipherSeekCore};
use zeroize::Zeroizing;

use crate::CryptoError;

/// Key length.
pub const KEY_LEN: usize = 32;
/// Keystream block length.
pub const BLOCK_LEN: usize = 64;

/// ChaCha20 with 20 rounds (10 double rounds); its state is zeroized on drop.
type Core = ChaChaCore<U10>;

/// Blocks the 32-bit low word of the counter covers before it wraps.
const LOW_WORD_SPAN: u128 = 1 << 32;

/// The nonce, which also fixes the layout.
#[derive(Clone, Copy)]
enum Layout {
    /// RFC 8439: 96-bit nonce, 32-bit counter.
    Ietf([u8; 12]),
    /// Bernstein's original: 64-bit nonce, 64-bit counter.
    Original([u8; 8]),
}

/// A ChaCha20 keystream applied incrementally: calls may cut the data anywhere, and the
/// result equals one call over all of it.
pub struct ChaCha20Stream {
    key: Zeroizing<[u8; KEY_LEN]>,
    layout: Layout,
    core: Core,
    /// Counter's high word the core was set up with (always 0 in the IETF layout).
    core_high: u64,
    /// Block counter of the next block the core produces.
    next: u128,
    /// One past the last block counter: 2^32 or 2^64.
    end: u128,
    /// The last keystream block produced; bytes from `used` on are still unused.
    pending: Zeroizing<[u8; BLOCK_LEN]>,
    used: usize,
}

impl std::fmt::Debug for ChaCha20Stream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ChaCha20Stream { .. }")
    }
}

impl ChaCha20Stream {
    /// Start the keystream of `key` (32 bytes) at block `counter` for `nonce`.
    ///
    /// `counter` holds `counter_bits / 8` bytes, least significant first. The accepted
    /// combinations are a 12-byte nonce with a 32-bit counter (RFC 8439) and an 8-byte nonce
    /// with a 64-bit counter (the original layout); anything else is
    /// [`CryptoError::InvalidParameter`]. A key of another length is
    /// [`CryptoError::InvalidKey`].
    pub fn new(
        key: &[u8],
        nonce: &[u8],
        counter: &[u8],
        counter_bits: u64,
    ) -> Result<Self, CryptoError> {
        let key: [u8; KEY_LEN] = key.try_into().map_err(|_| CryptoError::InvalidKey)?;
        let key = Zeroizing::new(key);
        let layout = match (nonce.len(), counter_bits) {
            (12, 32) => Layout::Ietf(nonce.try_into().map_err(|_| CryptoError::InvalidParameter)?),
            (8, 64) => {
                Layout::Original(nonce.try_into().map_err(|_| CryptoError::InvalidParameter)?)
            }
            _ => return Err(CryptoError::InvalidParameter),
        };
        let width = usize::try_from(counter_bits / 8).map_err(|_| CryptoError::InvalidParameter)?;
        if counter.len() != width {
            return Err(CryptoError::InvalidParameter);
        }
        let mut le = [0u8; 8];
        le[..width].copy_from_slice(counter);
        let start = u64::from_le_bytes(le);
        let end = 1u128 << counter_bits;
        let core = Self::make_core(&key, layout, start >> 32, start as u32);
        Ok(Self {
            key,
            layout,
            core,
            core_high: start >> 32,
            next: u128::from(start),
            end,
            pending: Zeroizing::new([0; BLOCK_LEN]),
            used: BLOCK_LEN,
        })
    }

    /// The core positioned at block `high * 2^32 + low`.
    fn make_core(key: &[u8; KEY_LEN], layout: Layout, high: u64, low: u32) -> Core {
        // Words 13..16 of the state, as the core takes them: the IETF nonce, or the counter's
        // high word followed by the original 64-bit nonce.
        let mut words = Zeroizing::new([0u8; 12]);
        match layout {
            Layout::Ietf(n) => words.copy_from_slice(&n),
            Layout::Original(n) => {
                words[..4].copy_from_slice(&(high as u32).to_le_bytes());
                words[4..].copy_from_slice(&n);
            }
        }
        let mut core =
            Core::new(GenericArray::from_slice(&key[..]), GenericArray::from_slice(&words[..]));
        core.set_block_pos(low);
        core
    }

    /// Keystream bytes left before the counter runs out.
    pub fn remaining(&self) -> u128 {
        (BLOCK_LEN - self.used) as u128 + (self.end - self.next) * BLOCK_LEN as u128
    }

    /// Rebuild the core when the next block's counter has carried into the high word.
    fn follow_carry(&mut self) {
        let high = (self.next >> 32) as u64;
        if high != self.core_high {
            self.core = Self::make_core(&self.key, self.layout, high, self.next as u32);
            self.core_high = high;
        }
    }

    /// XOR the next `data.len()` keystream bytes into `data` (encryption and decryption
    /// alike). Data that would run past the last block counter is refused before anything is
    /// changed: [`CryptoError::InvalidLength`].
    pub fn apply(&mut self, data: &mut [u8]) -> Result<(), CryptoError> {
        if data.len() as u128 > self.remaining() {
            return Err(CryptoError::InvalidLength);
        }
        // What is left of the last block.
        let take = (BLOCK_LEN - self.used).min(data.len());
        let (head, mut rest) = data.split_at_mut(take);
        xor(head, &self.pending[self.used..self.used + take]);
        self.used += take;
        // Whole blocks straight from the core, never across a wrap of the counter's low word.
        while rest.len() >= BLOCK_LEN {
            self.follow_carry();
            let room = LOW_WORD_SPAN - (self.next % LOW_WORD_SPAN);
            let blocks = (rest.len() / BLOCK_LEN).min(usize::try_from(room).unwrap_or(usize::MAX));
            let (now, later) = rest.split_at_mut(blocks * BLOCK_LEN);
            let (whole, _) = InOutBuf::from(now).into_chunks::<U64>();
            self.core.apply_keystream_blocks_inout(whole);
            self.next += blocks as u128;
            rest = later;
        }
        // A partial block: keep the rest of its keystream for the next call.
        if !rest.is_empty() {
            self.follow_carry();
            self.core.write_keystream_block(GenericArray::from_mut_slice(&mut self.pending[..]));
            self.next += 1;
            xor(rest, &self.pending[..rest.len()]);
            self.used = rest.len();
        }
        Ok(())
    }
}

fn xor(data: &mut [u8], keystream: &[u8]) {
    for (d, k) in data.iter_mut().zip(keystream) {
        *d ^= k;
    }
}

#[cfg(test)]
mod tests {
    use chacha20::cipher::StreamCipher;
    use chacha20::{ChaCha20, ChaCha20Legacy};

    use super::*;

    fn unhex(s: &str) -> Vec<u8> {
        let s: String = s.split_whitespace().collect();
        (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
    }

    fn one_shot(key: &[u8], nonce: &[u8], counter: &[u8], bits: u64, data: &[u8]) -> Vec<u8> {
        let mut s = ChaCha20Stream::new(key, nonce, counter, bits).unwrap();
        let mut out = data.to_vec();
        s.apply(&mut out).unwrap();
        out
    }

    const SUNSCREEN: &[u8] = b"Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.";

    /// RFC 8439 section 2.4.2: 96-bit nonce, counter 1.
    #[test]
    fn rfc8439_2_4_2() {
        let key = unhex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
        let nonce = unhex("000000000000004a00000000");
        let want = unhex(
            "6e2e359a2568f98041ba0728dd0d6981e97e7aec1d4360c20a27afccfd9fae0b
             f91b65c5524733ab8f593dabcd62b3571639d624e65152ab8f530c359f0861d8
             07ca0dbf500d6a6156a38e088a22b65e52bc514d16ccf806818ce91ab7793736
             5af90bbf74a35be6b40b8eedf2785e42874d",
        );
        assert_eq!(one_shot(&key, &nonce, &[1, 0, 0, 0], 32, SUNSCREEN), want);
        // Decryption is the same operation.
        assert_eq!(one_shot(&key, &nonce, &[1, 0, 0, 0], 32, &want), SUNSCREEN);
    }

    /// draft-strombergson-chacha-test-vectors-01 section 3, TC8 (256-bit key, 20 rounds):
    /// the original layout, 64-bit nonce, counter 0, two keystream blocks.
    #[test]
    fn strombergson_tc8_original_layout() {
        let key = unhex("c46ec1b18ce8a878725a37e780dfb7351f68ed2e194c79fbc6aebee1a667975d");
        let nonce = unhex("1ada31d5cf688221");
        let want = unhex(
            "f63a89b75c2271f9368816542ba52f06ed49241792302b00b5e8f80ae9a473af
             c25b218f519af0fdd406362e8d69de7f54c604a6e00f353f110f771bdca8ab92
             e5fbc34e60a1d9a9db17345b0a402736853bf910b060bdf1f897b6290f01d138
             ae2c4c90225ba9ea14d518f55929dea098ca7a6ccfe61227053c84e49a4a3332",
        );
        assert_eq!(one_shot(&key, &nonce, &[0; 8], 64, &[0; 128]), want);
    }

    /// RFC 8439 section 2.3.2 (one block at counter 1, nonce 00000009 0000004a 00000000) in
    /// the original layout: the nonce's first word becomes the counter's high word, so this
    /// is block 0x0900000000000001 under the 64-bit nonce 0000004a00000000.
    #[test]
    fn rfc8439_2_3_2_with_a_64_bit_counter() {
        let key = unhex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
        let want = unhex(
            "10f1e7e4d13b5915500fdd1fa32071c4c7d1f4c733c068030422aa9ac3d46c4e
             d2826446079faa0914c2d705d98b02a2b5129cd1de164eb9cbd083e8a2503c4e",
        );
        let counter = unhex("0100000000000009");
        assert_eq!(one_shot(&key, &unhex("0000004a00000000"), &counter, 64, &[0; 64]), want);
        let ietf = one_shot(&key, &unhex("000000090000004a00000000"), &[1, 0, 0, 0], 32, &[0; 64]);
        assert_eq!(ietf, want);
    }

    /// Both layouts agree with the crate's own stream ciphers where those can go.
    #[test]
    fn matches_the_crate_wrappers() {
        let key = [0x42u8; 32];
        let data: Vec<u8> = (0..1000u32).map(|i| (i * 7) as u8).collect();
        for start in [0u32, 1, 7, 1000] {
            let counter = start.to_le_bytes();
            let mut want = data.clone();
            let mut c = ChaCha20::new(&key.into(), &[9u8; 12].into());
            chacha20::cipher::StreamCipherSeek::seek(&mut c, u64::from(start) * 64);
            c.apply_keystream(&mut want);
            assert_eq!(one_shot(&key, &[9; 12], &counter, 32, &data), want);

            let mut want = data.clone();
            let mut c = ChaCha20Legacy::new(&key.into(), &[5u8; 8].into());
            chacha20::cipher::StreamCipherSeek::seek(&mut c, u64::from(start) * 64);
            c.apply_keystream(&mut want);
            let counter = u64::from(start).to_le_bytes();
            assert_eq!(one_shot(&key, &[5; 8], &counter, 64, &data), want);
        }
    }

    #[test]
    fn odd_chunks_equal_one_shot() {
        let key = [7u8; 32];
        let data: Vec<u8> = (0..700u32).map(|i| (i * 13 + 1) as u8).collect();
        let cases: [(&[u8], &[u8], u64); 2] =
            [(&[3; 12], &[2, 0, 0, 0], 32), (&[3; 8], &[1, 2, 3, 4, 0, 0, 0, 0], 64)];
        for (nonce, counter, bits) in cases {
            let want = one_shot(&key, nonce, counter, bits, &data);
            for sizes in [&[0usize, 1, 63, 64, 65, 2, 127, 129][..], &[5], &[64], &[200, 3]] {
                let mut s = ChaCha20Stream::new(&key, nonce, counter, bits).unwrap();
                let mut got = data.clone();
                let mut at = 0;
                for size in sizes.iter().cycle() {
                    let n = (*size).min(got.len() - at);
                    s.apply(&mut got[at..at + n]).unwrap();
                    at += n;
                    if at == got.len() {
                        break;
                    }
                }
                assert_eq!(got, want, "{sizes:?}");
            }
        }
    }

    /// The IETF counter stops after block 2^32 - 1, which is still produced.
    #[test]
    fn the_32_bit_counter_runs_out_and_never_wraps() {
        let key = [1u8; 32];
        let nonce = [2u8; 12];
        let mut s = ChaCha20Stream::new(&key, &nonce, &[0xff; 4], 32).unwrap();
        assert_eq!(s.remaining(), 64);
        assert_eq!(s.apply(&mut [0; 65]), Err(CryptoError::InvalidLength));
        let mut last = [0u8; 64];
        s.apply(&mut last[..10]).unwrap();
        s.apply(&mut last[10..]).unwrap();
        assert_ne!(last, [0; 64]);
        assert_eq!(s.remaining(), 0);
        assert_eq!(s.apply(&mut [0; 1]), Err(CryptoError::InvalidLength));
        s.apply(&mut []).unwrap();
        // A refused call changes nothing: one block before the end, 65 bytes are refused and
        // the 64 that remain still come out right.
        let mut s = ChaCha20Stream::new(&key, &nonce, &[0xff; 4], 32).unwrap();
        assert!(s.apply(&mut [0; 65]).is_err());
        let mut again = [0u8; 64];
        s.apply(&mut again).unwrap();
        assert_eq!(again, last);
    }

    /// The original layout carries from the low counter word into the high one, and stops
    /// at the end of the 64-bit counter.
    #[test]
    fn the_64_bit_counter_carries_and_runs_out() {
        let key = [3u8; 32];
        let nonce = [4u8; 8];
        let low_end = 0xffff_ffffu64.to_le_bytes();
        let got = one_shot(&key, &nonce, &low_end, 64, &[0; 128]);
        let at = |counter: u64| one_shot(&key, &nonce, &counter.to_le_bytes(), 64, &[0; 64]);
        assert_eq!(got[..64], at(0xffff_ffff)[..]);
        assert_eq!(got[64..], at(1 << 32)[..]);
        // Block 2^32 is IETF block 0 under the nonce 01000000 || nonce.
        let mut ietf_nonce = vec![1, 0, 0, 0];
        ietf_nonce.extend_from_slice(&nonce);
        assert_eq!(got[64..], one_shot(&key, &ietf_nonce, &[0; 4], 32, &[0; 64])[..]);
        // Streamed in pieces across the carry.
        let mut s = ChaCha20Stream::new(&key, &nonce, &low_end, 64).unwrap();
        let mut pieces = [0u8; 128];
        for chunk in pieces.chunks_mut(50) {
            s.apply(chunk).unwrap();
        }
        assert_eq!(pieces[..], got[..]);

        let mut s = ChaCha20Stream::new(&key, &nonce, &[0xff; 8], 64).unwrap();
        assert_eq!(s.remaining(), 64);
        assert_eq!(s.apply(&mut [0; 100]), Err(CryptoError::InvalidLength));
        s.apply(&mut [0; 64]).unwrap();
        assert_eq!(s.apply(&mut [0; 1]), Err(CryptoError::InvalidLength));
    }

    #[test]
    fn parameter_shapes() {
        let key = [0u8; 32];
        let ok = |n: &[u8], c: &[u8], b| ChaCha20Stream::new(&key, n, c, b).map(|_| ());
        assert_eq!(ok(&[0; 12], &[0; 4], 32), Ok(()));
        assert_eq!(ok(&[0; 8], &[0; 8], 64), Ok(()));
        for (n, c, b) in [
            (&[0u8; 12][..], &[0u8; 8][..], 64),
            (&[0; 8], &[0; 4], 32),
            (&[0; 12], &[0; 8], 32),
            (&[0; 8], &[0; 4], 64),
            (&[0; 24], &[0; 8], 64),
            (&[0; 16], &[0; 4], 32),
            (&[0; 12], &[0; 0], 0),
            (&[0; 12], &[0; 16], 128),
        ] {
            assert_eq!(
                ok(n, c, b),
                Err(CryptoError::InvalidParameter),
                "{} {} {b}",
                n.len(),
                c.len()
            );
        }
        assert_eq!(
            ChaCha20Stream::new(&[0; 16], &[0; 12], &[0; 4], 32).map(|_| ()),
            Err(CryptoError::InvalidKey)
        );
    }
}
