//! GCM assembled from its parts (SP 800-38D section 7): GHASH from the `ghash` crate and the
//! AES counter mode of aws-lc-rs. It serves what the backend's one-shot AEAD cannot: IVs of
//! any length, and encryption in several parts ([`GcmEncryptor`]).
//!
//! - `H` is the encryption of the zero block.
//! - The pre-counter block `J0` is `IV || 0^31 || 1` for a 96-bit IV; for any other length it
//!   is `GHASH_H(IV || zero padding to a block || 0^64 || [bit length of IV]_64)`.
//! - The data is encrypted in counter mode from `inc32(J0)`, where `inc32` adds one to the
//!   low 32 bits only, modulo 2^32. The backend increments all 128 bits, so each call is cut
//!   where the low word would wrap and the next one restarts it at zero; with a 96-bit IV the
//!   wrap cannot occur within the length limit, with other IVs it can.
//! - The tag is `E(J0) xor GHASH_H(A || pad || C || pad || [len(A)]_64 || [len(C)]_64)`,
//!   truncated to the tag length.
//!
//! At most 2^32 - 2 blocks of data may be encrypted under one IV (SP 800-38D 5.2.1.1); more
//! is refused with [`CryptoError::InvalidLength`].

use aws_lc_rs::cipher::{EncryptingKey, EncryptionContext};
use ghash::GHash;
use ghash::universal_hash::{KeyInit, UniversalHash};
use zeroize::Zeroizing;

use super::gcm::{GcmParams, IV_LEN, TAG_LEN};
use super::{AesKey, BLOCK};
use crate::CryptoError;

/// Longest plaintext under one IV: 2^32 - 2 blocks.
pub const MAX_DATA: u64 = ((1u64 << 32) - 2) * BLOCK as u64;

/// The GCM state: counter, hash and lengths.
pub(crate) struct GcmCore {
    ctr: EncryptingKey,
    ghash: GHash,
    /// The next counter block.
    counter: [u8; BLOCK],
    /// E(J0), which masks the tag.
    tag_mask: Zeroizing<[u8; BLOCK]>,
    aad_len: u64,
    /// Bytes through the counter mode so far.
    ctr_len: u64,
    /// Bytes of ciphertext hashed so far.
    ct_len: u64,
}

impl GcmCore {
    /// Key schedule, `H`, `J0` and `E(J0)` for `iv` (any non-empty length).
    pub(crate) fn new(key: &AesKey, iv: &[u8]) -> Result<Self, CryptoError> {
        if iv.is_empty() {
            return Err(CryptoError::InvalidParameter);
        }
        let ctr = EncryptingKey::ctr(key.unbound()?)?;
        // Counter mode from the zero block over a zero block is E(0) = H.
        let mut h = Zeroizing::new([0u8; BLOCK]);
        ctr.less_safe_encrypt(&mut h[..], EncryptionContext::Iv128([0u8; BLOCK].into()))?;
        let ghash = GHash::new(&ghash::Key::from(*h));
        let mut j0 = [0u8; BLOCK];
        if iv.len() == IV_LEN {
            j0[..IV_LEN].copy_from_slice(iv);
            j0[BLOCK - 1] = 1;
        } else {
            let mut g = ghash.clone();
            g.update_padded(iv);
            let mut lens = [0u8; BLOCK];
            lens[8..].copy_from_slice(&(iv.len() as u64 * 8).to_be_bytes());
            g.update(&[ghash::Block::from(lens)]);
            j0 = g.finalize().into();
        }
        let mut tag_mask = Zeroizing::new([0u8; BLOCK]);
        ctr.less_safe_encrypt(&mut tag_mask[..], EncryptionContext::Iv128(j0.into()))?;
        let mut core =
            Self { ctr, ghash, counter: j0, tag_mask, aad_len: 0, ctr_len: 0, ct_len: 0 };
        core.advance(1);
        Ok(core)
    }

    /// `inc32` applied `blocks` times to the counter.
    fn advance(&mut self, blocks: u64) {
        let mut low = [0u8; 4];
        low.copy_from_slice(&self.counter[BLOCK - 4..]);
        let low = u32::from_be_bytes(low).wrapping_add(blocks as u32);
        self.counter[BLOCK - 4..].copy_from_slice(&low.to_be_bytes());
    }

    /// Hash the AAD (once, before any data).
    pub(crate) fn aad(&mut self, aad: &[u8]) {
        self.ghash.update_padded(aad);
        self.aad_len = aad.len() as u64;
    }

    /// Counter-mode keystream over `data` in place, from the current counter. Every call but
    /// the last of a message must cover whole blocks.
    pub(crate) fn apply_ctr(&mut self, mut data: &mut [u8]) -> Result<(), CryptoError> {
        let total = self.ctr_len.checked_add(data.len() as u64);
        if total.is_none_or(|t| t > MAX_DATA) {
            return Err(CryptoError::InvalidLength);
        }
        self.ctr_len += data.len() as u64;
        while !data.is_empty() {
            let mut low = [0u8; 4];
            low.copy_from_slice(&self.counter[BLOCK - 4..]);
            // Blocks left before the low 32 bits wrap to zero.
            let room = (1u64 << 32) - u64::from(u32::from_be_bytes(low));
            let blocks = (data.len() as u64).div_ceil(BLOCK as u64).min(room);
            let n = data.len().min((blocks * BLOCK as u64).try_into().unwrap_or(usize::MAX));
            let (now, rest) = std::mem::take(&mut data).split_at_mut(n);
            self.ctr.less_safe_encrypt(now, EncryptionContext::Iv128(self.counter.into()))?;
            self.advance(blocks);
            data = rest;
        }
        Ok(())
    }

    /// Hash ciphertext; every call but the last of a message must cover whole blocks.
    pub(crate) fn hash_ciphertext(&mut self, ct: &[u8]) {
        self.ghash.update_padded(ct);
        self.ct_len += ct.len() as u64;
    }

    /// The full 16-byte tag over the AAD and the ciphertext hashed so far.
    pub(crate) fn tag(&self) -> [u8; TAG_LEN] {
        let mut g = self.ghash.clone();
        let mut lens = [0u8; BLOCK];
        lens[..8].copy_from_slice(&(self.aad_len * 8).to_be_bytes());
        lens[8..].copy_from_slice(&(self.ct_len * 8).to_be_bytes());
        g.update(&[ghash::Block::from(lens)]);
        let s: [u8; BLOCK] = g.finalize().into();
        core::array::from_fn(|i| s[i] ^ self.tag_mask[i])
    }
}

/// Encrypt `data` in place; returns the full tag.
pub(crate) fn seal_in_place(
    key: &AesKey,
    p: &GcmParams,
    data: &mut [u8],
) -> Result<[u8; TAG_LEN], CryptoError> {
    let mut core = GcmCore::new(key, &p.iv)?;
    core.aad(&p.aad);
    core.apply_ctr(data)?;
    core.hash_ciphertext(data);
    Ok(core.tag())
}

/// Verify `tag` (a prefix of the full tag) over `ct`, and only then decrypt it: a forgery
/// never produces plaintext.
pub(crate) fn open(
    key: &AesKey,
    p: &GcmParams,
    ct: &[u8],
    tag: &[u8],
) -> Result<Vec<u8>, CryptoError> {
    if ct.len() as u64 > MAX_DATA {
        return Err(CryptoError::InvalidLength);
    }
    let mut core = GcmCore::new(key, &p.iv)?;
    core.aad(&p.aad);
    core.hash_ciphertext(ct);
    let full = core.tag();
    crate::digest::verify_mac(&full[..p.tag_len.min(TAG_LEN)], tag)
        .map_err(|_| CryptoError::AuthenticationFailed)?;
    let mut pt = ct.to_vec();
    core.apply_ctr(&mut pt)?;
    Ok(pt)
}

/// Multi-part GCM encryption, for any IV length: the same output as
/// [`super::gcm::seal`], delivered as it is produced. Each update returns the ciphertext of
/// every whole block it can and keeps a partial block back; [`Self::finish`] returns the
/// rest and the (possibly shortened) tag.
pub struct GcmEncryptor {
    core: GcmCore,
    /// Plaintext of an unfinished block.
    pending: Zeroizing<Vec<u8>>,
    tag_len: usize,
}

impl GcmEncryptor {
    /// Start encrypting under `key` with the IV, AAD and tag length of `p`.
    pub fn new(key: &AesKey, p: &GcmParams) -> Result<Self, CryptoError> {
        p.check()?;
        let mut core = GcmCore::new(key, &p.iv)?;
        core.aad(&p.aad);
        Ok(Self { core, pending: Zeroizing::new(Vec::with_capacity(BLOCK)), tag_len: p.tag_len })
    }

    /// Output length of an update with `n` more bytes.
    pub fn update_len(&self, n: usize) -> usize {
        let total = self.pending.len() + n;
        total - total % BLOCK
    }

    /// Output length of [`Self::finish`] now: the held-back bytes and the tag.
    pub fn final_len(&self) -> usize {
        self.pending.len() + self.tag_len
    }

    /// Encrypt more plaintext; returns the ciphertext of the whole blocks so far. Refuses
    /// ([`CryptoError::InvalidLength`]) to go past 2^32 - 2 blocks.
    pub fn update(&mut self, data: &[u8]) -> Result<Vec<u8>, CryptoError> {
        let n = self.update_len(data.len());
        if n == 0 {
            self.pending.extend_from_slice(data);
            return Ok(Vec::new());
        }
        // n is at least one block, so everything pending goes out.
        let split = n - self.pending.len();
        let mut out = Vec::with_capacity(n);
        out.extend_from_slice(&self.pending);
        out.extend_from_slice(&data[..split]);
        self.core.apply_ctr(&mut out)?;
        self.core.hash_ciphertext(&out);
        self.pending.clear();
        self.pending.extend_from_slice(&data[split..]);
        Ok(out)
    }

    /// The ciphertext of the held-back bytes, then the tag.
    pub fn finish(mut self) -> Result<Vec<u8>, CryptoError> {
        let mut out = Vec::with_capacity(self.final_len());
        out.extend_from_slice(&self.pending);
        self.core.apply_ctr(&mut out)?;
        self.core.hash_ciphertext(&out);
        out.extend_from_slice(&self.core.tag()[..self.tag_len]);
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::super::gcm;
    use super::*;

    /// Multiplication in GF(2^128) as SP 800-38D algorithm 1 states it, bit by bit (bit 0 is
    /// the most significant bit of the big-endian integer).
    fn gf_mul(x: u128, y: u128) -> u128 {
        const R: u128 = 0xe1 << 120;
        let (mut z, mut v) = (0u128, y);
        for i in 0..128 {
            if (x >> (127 - i)) & 1 == 1 {
                z ^= v;
            }
            v = if v & 1 == 1 { (v >> 1) ^ R } else { v >> 1 };
        }
        z
    }

    /// Inverse by Fermat: x^(2^128 - 2). The field's one is the top bit.
    fn gf_inv(x: u128) -> u128 {
        let mut r = 1u128 << 127;
        for i in 0..128 {
            r = gf_mul(r, r);
            if i < 127 {
                r = gf_mul(r, x);
            }
        }
        r
    }

    fn ghash_ref(h: u128, data: &[u8]) -> u128 {
        data.chunks(BLOCK).fold(0, |y, c| {
            let mut b = [0u8; BLOCK];
            b[..c.len()].copy_from_slice(c);
            gf_mul(y ^ u128::from_be_bytes(b), h)
        })
    }

    fn e(key: &AesKey, block: u128) -> u128 {
        let mut b = block.to_be_bytes();
        key.ecb_encrypt(&mut b).unwrap();
        u128::from_be_bytes(b)
    }

    fn inc32(x: u128) -> u128 {
        (x & !0xffff_ffff) | u128::from((x as u32).wrapping_add(1))
    }

    /// SP 800-38D algorithm 4, one block at a time with single-block AES: CT || full tag.
    fn reference_gcm(key: &AesKey, iv: &[u8], aad: &[u8], pt: &[u8]) -> Vec<u8> {
        let h = e(key, 0);
        let j0 = if iv.len() == 12 {
            let mut b = [0u8; BLOCK];
            b[..12].copy_from_slice(iv);
            b[15] = 1;
            u128::from_be_bytes(b)
        } else {
            let mut s = iv.to_vec();
            s.resize(iv.len().div_ceil(BLOCK) * BLOCK + 8, 0);
            s.extend_from_slice(&(iv.len() as u64 * 8).to_be_bytes());
            ghash_ref(h, &s)
        };
        let mut cb = j0;
        let mut out = Vec::new();
        for c in pt.chunks(BLOCK) {
            cb = inc32(cb);
            let ks = e(key, cb).to_be_bytes();
            out.extend(c.iter().zip(ks).map(|(p, k)| p ^ k));
        }
        let mut s = aad.to_vec();
        s.resize(aad.len().div_ceil(BLOCK) * BLOCK, 0);
        s.extend_from_slice(&out);
        s.resize(s.len().div_ceil(BLOCK) * BLOCK, 0);
        s.extend_from_slice(&(aad.len() as u64 * 8).to_be_bytes());
        s.extend_from_slice(&(pt.len() as u64 * 8).to_be_bytes());
        let tag = e(key, j0) ^ ghash_ref(h, &s);
        out.extend_from_slice(&tag.to_be_bytes());
        out
    }

    fn streamed(key: &AesKey, p: &GcmParams, pt: &[u8], chunk: usize) -> Vec<u8> {
        let mut enc = GcmEncryptor::new(key, p).unwrap();
        let mut out = Vec::new();
        for c in pt.chunks(chunk) {
            let want = enc.update_len(c.len());
            let got = enc.update(c).unwrap();
            assert_eq!(got.len(), want);
            out.extend(got);
        }
        let want = enc.final_len();
        let last = enc.finish().unwrap();
        assert_eq!(last.len(), want);
        out.extend(last);
        out
    }

    #[test]
    fn reference_agrees_with_spec_test_case_6() {
        let h = |s: &str| -> Vec<u8> {
            (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
        };
        let key = AesKey::new(&h("feffe9928665731c6d6a8f9467308308")).unwrap();
        let iv = h("9313225df88406e555909c5aff5269aa6a7a9538534f7da1e4c303d2a318a728\
                    c3c0c95156809539fcf0e2429a6b525416aedbf5a0de6a57a637b39b");
        let pt = h("d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72\
                    1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39");
        let aad = h("feedfacedeadbeeffeedfacedeadbeefabaddad2");
        let out = reference_gcm(&key, &iv, &aad, &pt);
        assert_eq!(out[out.len() - 16..], h("619cc5aefffe0bfa462af43c1699d050"));
    }

    #[test]
    fn streaming_in_odd_chunks_equals_one_shot() {
        let key = AesKey::new(&[0x42; 32]).unwrap();
        let pt: Vec<u8> = (0..10_007u32).map(|i| (i * 7 + 3) as u8).collect();
        for iv_len in [12, 1, 16, 60, 256] {
            let iv: Vec<u8> = (0..iv_len).map(|i| i as u8).collect();
            for tag_bits in [128, 96, 32] {
                let p = GcmParams::new(&iv, b"header", tag_bits).unwrap();
                let one = gcm::seal(&key, &p, &pt).unwrap();
                for chunk in [1, 15, 17, 4096] {
                    let n = if chunk == 1 { 300 } else { pt.len() };
                    let want = gcm::seal(&key, &p, &pt[..n]).unwrap();
                    assert_eq!(streamed(&key, &p, &pt[..n], chunk), want, "{iv_len} {chunk}");
                }
                assert_eq!(streamed(&key, &p, &pt, 4096), one);
                assert_eq!(streamed(&key, &p, &[], 16), gcm::seal(&key, &p, &[]).unwrap());
            }
        }
    }

    #[test]
    fn one_shot_matches_the_reference_for_many_iv_lengths() {
        let key = AesKey::new(&[0x17; 24]).unwrap();
        let pt: Vec<u8> = (0..77u8).collect();
        for iv_len in [1, 8, 11, 12, 13, 16, 17, 32, 255, 256] {
            let iv: Vec<u8> = (0..iv_len).map(|i| (i as u8) ^ 0xa5).collect();
            let p = GcmParams::new(&iv, b"aad bytes", 128).unwrap();
            let want = reference_gcm(&key, &iv, b"aad bytes", &pt);
            assert_eq!(gcm::seal(&key, &p, &pt).unwrap(), want, "{iv_len}");
            assert_eq!(gcm::open(&key, &p, &want).unwrap(), pt);
        }
    }

    /// An IV whose J0 ends in the 32-bit word `low`: with a 16-byte IV,
    /// J0 = GHASH(IV || [128]_128) = IV*H^2 + L*H, solved for IV.
    fn iv_for_j0_low(key: &AesKey, low: u32) -> Vec<u8> {
        let h = e(key, 0);
        let j0 = (0x0123_4567_89ab_cdef_0011_2233u128 << 32) | u128::from(low);
        let l = 128u128;
        let iv = gf_mul(j0 ^ gf_mul(l, h), gf_inv(gf_mul(h, h)));
        let mut s = iv.to_be_bytes().to_vec();
        s.extend_from_slice(&[0; 8]);
        s.extend_from_slice(&128u64.to_be_bytes());
        assert_eq!(ghash_ref(h, &s), j0, "the IV was solved for this J0");
        iv.to_be_bytes().to_vec()
    }

    #[test]
    fn counter_wraps_in_its_low_32_bits_only() {
        let key = AesKey::new(&[0x99; 16]).unwrap();
        let pt: Vec<u8> = (0..100u8).collect();
        for low in [0xffff_ffff, 0xffff_fffe, 0xffff_fffc] {
            let iv = iv_for_j0_low(&key, low);
            let p = GcmParams::new(&iv, b"wrap", 128).unwrap();
            let want = reference_gcm(&key, &iv, b"wrap", &pt);
            assert_eq!(gcm::seal(&key, &p, &pt).unwrap(), want, "{low:x}");
            assert_eq!(gcm::open(&key, &p, &want).unwrap(), pt);
            for chunk in [1, 15, 16, 17] {
                assert_eq!(streamed(&key, &p, &pt, chunk), want, "{low:x} {chunk}");
            }
        }
    }

    #[test]
    fn length_limit_is_enforced() {
        let key = AesKey::new(&[1; 16]).unwrap();
        let mut core = GcmCore::new(&key, &[0; 20]).unwrap();
        core.ctr_len = MAX_DATA - 16;
        assert!(core.apply_ctr(&mut [0; 16]).is_ok());
        assert_eq!(core.apply_ctr(&mut [0; 1]), Err(CryptoError::InvalidLength));
        assert!(GcmCore::new(&key, &[]).is_err());
    }
}
