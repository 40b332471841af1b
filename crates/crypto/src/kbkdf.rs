//! The SP 800-108 key derivation function in counter mode (NIST SP 800-108 section 5.1),
//! shaped after PKCS#11 3.0's `CKM_SP800_108_COUNTER_KDF` (PKCS#11 3.0 Current Mechanisms,
//! section 2.42).
//!
//! The PRF input of every iteration is the caller's [`Segment`]s concatenated in order
//! (section 2.42.8), where the one [`Segment::Counter`] stands for the iteration number
//! `i = 1, 2, ..` and a [`Segment::DkmLength`] for the total length of the derived keying
//! material, in bits. Each iteration yields one PRF output (a "segment of PRF output" in the
//! spec's words); the keys are cut from those outputs as section 2.42.6 prescribes (see
//! [`derive()`]).

use zeroize::Zeroizing;

use crate::CryptoError;
use crate::aes::AesKey;
use crate::aes::cmac::CmacKey;
use crate::digest::{HashAlg, HmacKey};

/// The pseudorandom function (`CK_SP800_108_PRF_TYPE`), keyed with the base key's bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Prf {
    /// HMAC over a hash (`CKM_SHA*_HMAC`); any key length.
    Hmac(HashAlg),
    /// AES-CMAC (`CKM_AES_CMAC`); the key must be 16, 24 or 32 bytes.
    Cmac,
}

impl Prf {
    /// Bytes of one PRF output (`h / 8` in SP 800-108).
    pub fn output_len(self) -> usize {
        match self {
            Self::Hmac(h) => h.output_len(),
            Self::Cmac => 16,
        }
    }
}

/// How the value of a [`Segment::DkmLength`] is computed (`CK_SP800_108_DKM_LENGTH_METHOD`,
/// PKCS#11 3.0 section 2.42.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DkmMethod {
    /// `CK_SP800_108_DKM_LENGTH_SUM_OF_KEYS`: the sum of the lengths of all keys derived.
    SumOfKeys,
    /// `CK_SP800_108_DKM_LENGTH_SUM_OF_SEGMENTS`: the sum of the lengths of all PRF outputs
    /// produced, i.e. each key's length rounded up to whole PRF outputs, summed.
    SumOfSegments,
}

/// One piece of the PRF input (a `CK_PRF_DATA_PARAM`), in the order the caller gives them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment {
    /// The iteration counter (`CK_SP800_108_ITERATION_VARIABLE` with its
    /// `CK_SP800_108_COUNTER_FORMAT`): mandatory in counter mode, exactly once. It counts from
    /// 1, `width_bits` is 8, 16, 24 or 32, and the number of iterations may not exceed
    /// `2^width_bits - 1` (SP 800-108 section 5.1).
    Counter {
        /// Width of the encoding in bits.
        width_bits: u32,
        /// Least significant byte first (`bLittleEndian`); CAVP counters are big-endian.
        little_endian: bool,
    },
    /// The length in bits of the derived keying material (`CK_SP800_108_DKM_LENGTH` with its
    /// `CK_SP800_108_DKM_LENGTH_FORMAT`): optional, at most once. `width_bits` is a multiple
    /// of 8 from 8 to 64, and the value must fit it.
    DkmLength {
        /// Width of the encoding in bits.
        width_bits: u32,
        /// Least significant byte first (`bLittleEndian`).
        little_endian: bool,
        /// Which length is encoded.
        method: DkmMethod,
    },
    /// Literal bytes (`CK_SP800_108_BYTE_ARRAY`): label, separator, context, or anything else
    /// the protocol wants; any number of them, none empty (the spec requires a non-zero
    /// `ulValueLen`).
    Bytes(Vec<u8>),
}

/// A keyed PRF.
enum Keyed {
    Hmac(HmacKey),
    Cmac(CmacKey),
}

impl Keyed {
    fn new(prf: Prf, key: &[u8]) -> Result<Self, CryptoError> {
        Ok(match prf {
            Prf::Hmac(h) => Self::Hmac(HmacKey::new(h, key)),
            Prf::Cmac => Self::Cmac(CmacKey::new(&AesKey::new(key)?)?),
        })
    }

    /// PRF(key, a || b || c).
    fn compute(&self, a: &[u8], b: &[u8], c: &[u8]) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
        Ok(Zeroizing::new(match self {
            Self::Hmac(k) => {
                let mut m = k.start();
                m.update(a);
                m.update(b);
                m.update(c);
                m.finish()
            }
            Self::Cmac(k) => {
                let mut m = k.start();
                m.update(a)?;
                m.update(b)?;
                m.update(c)?;
                m.finish()?
            }
        }))
    }
}

/// `value` in `width_bits / 8` bytes of the given order; `None` if it does not fit.
fn encode(value: u64, width_bits: u32, little_endian: bool) -> Option<Vec<u8>> {
    let n = usize::try_from(width_bits / 8).ok()?;
    if width_bits < 64 && value >> width_bits != 0 {
        return None;
    }
    Some(if little_endian {
        value.to_le_bytes()[..n].to_vec()
    } else {
        value.to_be_bytes()[8 - n..].to_vec()
    })
}

/// Derive one key per entry of `lengths` (in bytes) from the base key `key`, with the PRF
/// input laid out by `segments`. The first length is the key `C_DeriveKey` itself derives,
/// the others the "additional derived keys" of `CK_SP800_108_KDF_PARAMS`, in array order.
///
/// How the keys share the output (PKCS#11 3.0 Current Mechanisms section 2.42.6, "Deriving
/// Additional Keys"): the iterations run once, for all keys, and their outputs are handed out
/// left to right, first to the `C_DeriveKey` key, then to the additional keys in order. No
/// key may use part of a PRF output that another key used: each key starts at a fresh PRF
/// output, and whatever its last output has left over is discarded. So key `j` takes
/// `ceil(lengths[j] / h)` outputs, where `h` is [`Prf::output_len`], and the counter keeps
/// running across keys. The spec's example: a 48-byte and a 16-byte key with HMAC-SHA-256
/// take three outputs; the first key is the first output and half the second, the second
/// key is the first half of the third.
///
/// A [`Segment::DkmLength`] encodes, in bits, the same value in every iteration
/// (section 2.42.2): with [`DkmMethod::SumOfKeys`] the sum of `lengths` (512 in the example),
/// with [`DkmMethod::SumOfSegments`] the number of PRF outputs produced times `h` (768 in the
/// example). For a single key the two differ only when its length is not a multiple of `h`.
///
/// `InvalidParameter` if the counter is missing or given twice, the DKM length is given
/// twice, a width is not allowed, a byte segment is empty, `lengths` is empty or holds a zero,
/// the iterations would overflow the counter (more than `2^r - 1`), or the DKM length does
/// not fit its width. `InvalidLength` (from [`AesKey::new`]) if a CMAC key is not 16, 24 or
/// 32 bytes.
pub fn derive(
    prf: Prf,
    key: &[u8],
    segments: &[Segment],
    lengths: &[usize],
) -> Result<Vec<Zeroizing<Vec<u8>>>, CryptoError> {
    let bad = CryptoError::InvalidParameter;
    let h = prf.output_len();

    // The layout: exactly one counter, at most one DKM length, widths the spec allows.
    let mut counter = None;
    let mut dkm = None;
    for (i, s) in segments.iter().enumerate() {
        match *s {
            Segment::Counter { width_bits, little_endian } => {
                if counter.is_some() || !matches!(width_bits, 8 | 16 | 24 | 32) {
                    return Err(bad);
                }
                counter = Some((i, width_bits, little_endian));
            }
            Segment::DkmLength { width_bits, .. } => {
                if dkm.is_some() || width_bits == 0 || width_bits > 64 || width_bits % 8 != 0 {
                    return Err(bad);
                }
                dkm = Some(i);
            }
            Segment::Bytes(ref b) if b.is_empty() => return Err(bad),
            Segment::Bytes(_) => {}
        }
    }
    let (counter_at, counter_bits, counter_le) = counter.ok_or(bad)?;

    // How many PRF outputs each key takes, and how many there are in all.
    if lengths.is_empty() || lengths.contains(&0) {
        return Err(bad);
    }
    let blocks: Vec<usize> = lengths.iter().map(|l| l.div_ceil(h)).collect();
    let total_blocks = blocks.iter().try_fold(0usize, |a, b| a.checked_add(*b)).ok_or(bad)?;
    let total_blocks = u64::try_from(total_blocks).map_err(|_| bad)?;
    if total_blocks > (1u64 << counter_bits) - 1 {
        return Err(bad);
    }

    // Everything but the counter is the same in every iteration: encode it once, as the bytes
    // before the counter and the bytes after it.
    let mut before = Vec::new();
    let mut after = Vec::new();
    for (i, s) in segments.iter().enumerate() {
        let out = if i < counter_at { &mut before } else { &mut after };
        match s {
            Segment::Counter { .. } => {}
            Segment::Bytes(b) => out.extend_from_slice(b),
            Segment::DkmLength { width_bits, little_endian, method } => {
                let bytes = match method {
                    DkmMethod::SumOfKeys => {
                        lengths.iter().try_fold(0u64, |a, l| a.checked_add(u64::try_from(*l).ok()?))
                    }
                    DkmMethod::SumOfSegments => {
                        u64::try_from(h).ok().and_then(|h| total_blocks.checked_mul(h))
                    }
                };
                let bits = bytes.and_then(|b| b.checked_mul(8)).ok_or(bad)?;
                out.extend(encode(bits, *width_bits, *little_endian).ok_or(bad)?);
            }
        }
    }

    let prf = Keyed::new(prf, key)?;
    let mut i: u64 = 0;
    let mut keys = Vec::with_capacity(lengths.len());
    for (&len, &n) in lengths.iter().zip(&blocks) {
        let mut k = Zeroizing::new(Vec::with_capacity(n * h));
        for _ in 0..n {
            i += 1;
            let ctr = encode(i, counter_bits, counter_le).ok_or(bad)?;
            k.extend_from_slice(&prf.compute(&before, &ctr, &after)?);
        }
        k.truncate(len);
        keys.push(k);
    }
    Ok(keys)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unhex(s: &str) -> Vec<u8> {
        (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
    }

    fn ctr(width_bits: u32) -> Segment {
        Segment::Counter { width_bits, little_endian: false }
    }

    /// One case of `tests/vectors/kbkdf_ctr.txt`: its `[PRF]` section and its fields.
    struct Case {
        prf: String,
        fields: Vec<(String, String)>,
    }

    impl Case {
        fn get(&self, k: &str) -> &str {
            self.fields.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str()).unwrap()
        }
    }

    fn cases() -> Vec<Case> {
        let mut out = Vec::new();
        let mut prf = String::new();
        let mut cur: Option<Case> = None;
        for line in include_str!("../../../tests/vectors/kbkdf_ctr.txt").lines() {
            let line = line.trim();
            if line.is_empty() {
                out.extend(cur.take());
            } else if let Some(p) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
                prf = p.to_owned();
            } else if let Some((k, v)) = line.split_once('=').filter(|_| !line.starts_with('#')) {
                cur.get_or_insert_with(|| Case { prf: prf.clone(), fields: Vec::new() })
                    .fields
                    .push((k.trim().to_owned(), v.trim().to_owned()));
            }
        }
        out.extend(cur);
        out
    }

    #[test]
    fn cavp_counter_mode() {
        let cases = cases();
        assert_eq!(cases.len(), 24);
        let mut seen = std::collections::BTreeSet::new();
        for c in &cases {
            let prf = match c.prf.as_str() {
                "HMAC_SHA1" => Prf::Hmac(HashAlg::Sha1),
                "HMAC_SHA224" => Prf::Hmac(HashAlg::Sha224),
                "HMAC_SHA256" => Prf::Hmac(HashAlg::Sha256),
                "HMAC_SHA384" => Prf::Hmac(HashAlg::Sha384),
                "HMAC_SHA512" => Prf::Hmac(HashAlg::Sha512),
                "CMAC_AES128" | "CMAC_AES192" | "CMAC_AES256" => Prf::Cmac,
                other => panic!("PRF {other}"),
            };
            let r: u32 = c.get("RLEN").parse().unwrap();
            let fixed = unhex(c.get("FixedInputData"));
            let location = c.get("CTRLOCATION");
            let segments = match location {
                "BEFORE_FIXED" => vec![ctr(r), Segment::Bytes(fixed)],
                "AFTER_FIXED" => vec![Segment::Bytes(fixed), ctr(r)],
                "MIDDLE_FIXED" => {
                    let at: usize = c.get("DataBeforeCtrLen").parse().unwrap();
                    vec![
                        Segment::Bytes(fixed[..at].to_vec()),
                        ctr(r),
                        Segment::Bytes(fixed[at..].to_vec()),
                    ]
                }
                other => panic!("CTRLOCATION {other}"),
            };
            let l: usize = c.get("L").parse().unwrap();
            let got = derive(prf, &unhex(c.get("KI")), &segments, &[l / 8]).unwrap();
            let id = format!("[{}] COUNT = {} {location} r={r}", c.prf, c.get("COUNT"));
            assert_eq!(got.len(), 1, "{id}");
            assert_eq!(*got[0], unhex(c.get("KO")), "{id}");
            seen.insert((c.prf.clone(), location.to_owned(), r));
        }
        // Every PRF in every location, every width in every location.
        for loc in ["BEFORE_FIXED", "AFTER_FIXED", "MIDDLE_FIXED"] {
            for r in [8, 16, 24, 32] {
                assert!(seen.iter().any(|(_, l, w)| l == loc && *w == r), "{loc} r={r}");
            }
            assert_eq!(seen.iter().filter(|(_, l, _)| l == loc).count(), 8, "{loc}");
        }
    }

    /// PRF(key, data) straight from the HMAC code, to build expectations independently of
    /// the segment layout.
    fn hmac256(key: &[u8], data: &[u8]) -> Vec<u8> {
        HmacKey::new(HashAlg::Sha256, key).mac(data)
    }

    #[test]
    fn additional_keys_start_at_fresh_prf_outputs() {
        // PKCS#11 3.0 section 2.42.6's example: 48- and 16-byte keys, HMAC-SHA-256, so three
        // iterations; the DKM length is 512 bits (sum of keys) or 768 (sum of segments).
        let key = [0x0bu8; 32];
        for (method, dkm) in [(DkmMethod::SumOfKeys, 512u16), (DkmMethod::SumOfSegments, 768)] {
            let segments = [
                ctr(16),
                Segment::Bytes(b"label".to_vec()),
                Segment::Bytes(vec![0]),
                Segment::DkmLength { width_bits: 16, little_endian: false, method },
            ];
            let got = derive(Prf::Hmac(HashAlg::Sha256), &key, &segments, &[48, 16]).unwrap();
            let t = |i: u16| {
                let mut d = i.to_be_bytes().to_vec();
                d.extend_from_slice(b"label\0");
                d.extend_from_slice(&dkm.to_be_bytes());
                hmac256(&key, &d)
            };
            let first = [t(1), t(2)[..16].to_vec()].concat();
            assert_eq!(*got[0], first, "{method:?}");
            assert_eq!(*got[1], t(3)[..16].to_vec(), "{method:?}");
        }
    }

    #[test]
    fn single_key_dkm_methods_and_little_endian() {
        // One 40-byte key with HMAC-SHA-256: two outputs, so 320 bits of key but 512 of
        // segments. Little-endian encodings, DKM length before the counter.
        let key = b"base key";
        for (method, bits) in [(DkmMethod::SumOfKeys, 320u32), (DkmMethod::SumOfSegments, 512)] {
            let segments = [
                Segment::DkmLength { width_bits: 32, little_endian: true, method },
                Segment::Counter { width_bits: 24, little_endian: true },
                Segment::Bytes(b"ctx".to_vec()),
            ];
            let got = derive(Prf::Hmac(HashAlg::Sha256), key, &segments, &[40]).unwrap();
            let t = |i: u32| {
                let mut d = bits.to_le_bytes().to_vec();
                d.extend_from_slice(&i.to_le_bytes()[..3]);
                d.extend_from_slice(b"ctx");
                hmac256(key, &d)
            };
            assert_eq!(*got[0], [t(1), t(2)[..8].to_vec()].concat(), "{method:?}");
        }
    }

    #[test]
    fn new_hashes_work_as_prf() {
        // The counter and block arithmetic use the PRF's own output length (28 bytes here).
        for h in [HashAlg::Sha512_224, HashAlg::Sha3_224] {
            let got = derive(Prf::Hmac(h), b"k", &[ctr(8)], &[30]).unwrap();
            let k = HmacKey::new(h, b"k");
            assert_eq!(*got[0], [k.mac(&[1]), k.mac(&[2])[..2].to_vec()].concat(), "{h:?}");
        }
    }

    #[test]
    fn counter_limits() {
        // r = 8 allows 255 iterations: 255 CMAC outputs, not 256.
        let k = [7u8; 16];
        assert_eq!(derive(Prf::Cmac, &k, &[ctr(8)], &[255 * 16]).unwrap()[0].len(), 255 * 16);
        assert_eq!(
            derive(Prf::Cmac, &k, &[ctr(8)], &[255 * 16 + 1]),
            Err(CryptoError::InvalidParameter)
        );
        // Split over keys, the rounding counts: 2 x 128 outputs exceed 255.
        assert_eq!(
            derive(Prf::Cmac, &k, &[ctr(8)], &[127 * 16 + 1, 128 * 16]),
            Err(CryptoError::InvalidParameter)
        );
        assert!(derive(Prf::Cmac, &k, &[ctr(16)], &[256 * 16]).is_ok());
    }

    #[test]
    fn rejects_bad_layouts_and_lengths() {
        let p = Prf::Hmac(HashAlg::Sha256);
        let k = [1u8; 32];
        let dkm =
            |width_bits, method| Segment::DkmLength { width_bits, little_endian: false, method };
        let bad: &[(&[Segment], &[usize])] = &[
            (&[Segment::Bytes(vec![1])], &[16]),               // no counter
            (&[ctr(8), ctr(8)], &[16]),                        // two counters
            (&[ctr(12)], &[16]),                               // counter width
            (&[ctr(0)], &[16]),                                // counter width
            (&[ctr(40)], &[16]),                               // counter width
            (&[ctr(8), dkm(0, DkmMethod::SumOfKeys)], &[16]),  // DKM width
            (&[ctr(8), dkm(12, DkmMethod::SumOfKeys)], &[16]), // DKM width
            (&[ctr(8), dkm(72, DkmMethod::SumOfKeys)], &[16]), // DKM width
            (&[ctr(8), dkm(16, DkmMethod::SumOfKeys), dkm(16, DkmMethod::SumOfKeys)], &[16]),
            (&[ctr(8), dkm(8, DkmMethod::SumOfKeys)], &[32]), // 256 does not fit 8 bits
            (&[ctr(8), dkm(8, DkmMethod::SumOfSegments)], &[1]), // 256 again
            (&[ctr(8), Segment::Bytes(Vec::new())], &[16]),   // empty byte array
            (&[ctr(8)], &[]),                                 // no key
            (&[ctr(8)], &[16, 0]),                            // empty key
        ];
        for (i, (segments, lengths)) in bad.iter().enumerate() {
            assert_eq!(derive(p, &k, segments, lengths), Err(CryptoError::InvalidParameter), "{i}");
        }
        // The widest encodings are fine; 248 bits fit 8 bits.
        assert!(derive(p, &k, &[ctr(32), dkm(64, DkmMethod::SumOfKeys)], &[16]).is_ok());
        assert!(derive(p, &k, &[ctr(8), dkm(8, DkmMethod::SumOfKeys)], &[31]).is_ok());
        // CMAC needs an AES key.
        assert_eq!(
            derive(Prf::Cmac, &[0u8; 10], &[ctr(8)], &[16]),
            Err(CryptoError::InvalidLength)
        );
        assert!(derive(Prf::Cmac, &[0u8; 24], &[ctr(8)], &[16]).is_ok());
    }
}
