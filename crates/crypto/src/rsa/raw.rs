//! The raw RSA operations: the public one (m^e mod n) and the private one through the CRT,
//! both in constant time (crypto-bigint's Montgomery arithmetic). The private operation
//! blinds its input with a fresh random value from the module's DRBG and checks its result
//! with the public exponent before release (a faulty CRT half must never leak a factor).
//!
//! Used where the backend offers no interface: RSA_X_509, PKCS#1 v1.5 signatures over
//! arbitrary data, and PSS/OAEP parameter combinations outside its fixed menu.

use crypto_bigint::modular::{BoxedMontyForm, BoxedMontyParams};
use crypto_bigint::{BoxedUint, NonZero, Odd};
use zeroize::Zeroize;

use crate::CryptoError;

fn precision(bytes: &[u8]) -> u32 {
    let bits = (bytes.len() * 8).max(64) as u32;
    bits.div_ceil(64) * 64
}

fn fit(x: &BoxedUint, bits: u32) -> BoxedUint {
    use std::cmp::Ordering;
    match x.bits_precision().cmp(&bits) {
        Ordering::Less => x.widen(bits),
        Ordering::Greater => x.shorten(bits),
        Ordering::Equal => x.clone(),
    }
}

fn uint(bytes: &[u8], bits: u32) -> Result<BoxedUint, CryptoError> {
    BoxedUint::from_be_slice(bytes, bits).map_err(|_| CryptoError::InvalidKey)
}

fn odd_params(x: &BoxedUint) -> Result<BoxedMontyParams, CryptoError> {
    let odd: Option<Odd<BoxedUint>> = Odd::new(x.clone()).into();
    Ok(BoxedMontyParams::new(odd.ok_or(CryptoError::InvalidKey)?))
}

fn to_bytes(x: &BoxedUint, k: usize) -> Vec<u8> {
    let be = x.to_be_bytes();
    let skip = be.len().saturating_sub(k);
    let mut out = vec![0u8; k.saturating_sub(be.len())];
    out.extend_from_slice(&be[skip..]);
    out
}

/// The public half.
pub struct RawPublic {
    n: BoxedUint,
    n_params: BoxedMontyParams,
    e: BoxedUint,
    e_bits: u32,
    k: usize,
}

impl RawPublic {
    /// From big-endian modulus and exponent.
    pub fn new(n: &[u8], e: &[u8]) -> Result<Self, CryptoError> {
        let n = crate::der::strip_zeros(n);
        let e = crate::der::strip_zeros(e);
        if n.is_empty() || e.is_empty() || e.len() > n.len() {
            return Err(CryptoError::InvalidKey);
        }
        let bits = precision(n);
        let nn = uint(n, bits)?;
        let n_params = odd_params(&nn)?;
        let ee = uint(e, precision(e))?;
        let e_bits = ee.bits();
        Ok(Self { n: nn, n_params, e: ee, e_bits, k: n.len() })
    }

    /// Modulus length in bytes.
    pub fn k(&self) -> usize {
        self.k
    }

    /// The input as an integer, if it is below the modulus.
    fn input(&self, data: &[u8]) -> Result<BoxedUint, CryptoError> {
        if data.len() > self.k {
            return Err(CryptoError::InvalidLength);
        }
        let x = uint(data, self.n.bits_precision()).map_err(|_| CryptoError::InvalidLength)?;
        if x >= self.n {
            return Err(CryptoError::InvalidLength);
        }
        Ok(x)
    }

    fn pow_e(&self, x: &BoxedUint) -> BoxedUint {
        BoxedMontyForm::new(x.clone(), self.n_params.clone())
            .pow_bounded_exp(&self.e, self.e_bits)
            .retrieve()
    }

    /// `data^e mod n`, `k` bytes long. `InvalidLength` when `data >= n`.
    pub fn apply(&self, data: &[u8]) -> Result<Vec<u8>, CryptoError> {
        let x = self.input(data)?;
        Ok(to_bytes(&self.pow_e(&x), self.k))
    }
}

/// The private half, with its CRT values.
pub struct RawPrivate {
    public: RawPublic,
    p: BoxedUint,
    q: BoxedUint,
    p_params: BoxedMontyParams,
    q_params: BoxedMontyParams,
    dp: BoxedUint,
    dq: BoxedUint,
    qinv: BoxedUint,
    /// Blinding pair (r^e mod n, r^-1 mod n) and how often it has been used.
    blinding: std::sync::Mutex<Option<(BoxedUint, BoxedUint, u32)>>,
}

/// A blinding pair is squared after each use and replaced by a fresh one this often.
const BLINDING_REFRESH: u32 = 32;

impl Drop for RawPrivate {
    fn drop(&mut self) {
        self.p.zeroize();
        self.q.zeroize();
        self.dp.zeroize();
        self.dq.zeroize();
        self.qinv.zeroize();
    }
}

impl RawPrivate {
    /// From the public key and big-endian CRT components.
    pub fn new(
        public: RawPublic,
        p: &[u8],
        q: &[u8],
        dp: &[u8],
        dq: &[u8],
        qinv: &[u8],
    ) -> Result<Self, CryptoError> {
        let pb = precision(crate::der::strip_zeros(p)).max(precision(crate::der::strip_zeros(q)));
        let pp = uint(crate::der::strip_zeros(p), pb)?;
        let qq = uint(crate::der::strip_zeros(q), pb)?;
        let p_params = odd_params(&pp)?;
        let q_params = odd_params(&qq)?;
        let dp = uint(crate::der::strip_zeros(dp), pb)?;
        let dq = uint(crate::der::strip_zeros(dq), pb)?;
        let qinv = uint(crate::der::strip_zeros(qinv), pb)?;
        Ok(Self {
            public,
            p: pp,
            q: qq,
            p_params,
            q_params,
            dp,
            dq,
            qinv,
            blinding: std::sync::Mutex::new(None),
        })
    }

    /// Combine residues mod p and mod q into the value mod n (Garner): m2 + q·(qinv·(m1 - m2)).
    fn crt(&self, m1: BoxedMontyForm, m2: &BoxedUint) -> Result<BoxedUint, CryptoError> {
        let nbits = self.public.n.bits_precision();
        let pbits = self.p.bits_precision();
        let wide_p = fit(&self.p, nbits);
        let m2_mod_p = fit(&fit(m2, nbits).rem(&nonzero(&wide_p)?), pbits);
        let diff = m1 - BoxedMontyForm::new(m2_mod_p, self.p_params.clone());
        let h = (diff * BoxedMontyForm::new(self.qinv.clone(), self.p_params.clone())).retrieve();
        let hq = fit(&h.mul(&self.q), nbits);
        Ok(fit(m2, nbits).wrapping_add(&hq))
    }

    /// x mod p and x mod q (x below n).
    fn residues(&self, x: &BoxedUint) -> Result<(BoxedUint, BoxedUint), CryptoError> {
        let nbits = self.public.n.bits_precision();
        let pbits = self.p.bits_precision();
        let xp = fit(&x.rem(&nonzero(&fit(&self.p, nbits))?), pbits);
        let xq = fit(&x.rem(&nonzero(&fit(&self.q, nbits))?), pbits);
        Ok((xp, xq))
    }

    /// A fresh blinding pair: r from the DRBG, its inverse by Fermat in each prime (constant
    /// time, no modular inversion over n).
    fn fresh_blinding(&self) -> Result<(BoxedUint, BoxedUint), CryptoError> {
        let pb = &self.public;
        let nbits = pb.n.bits_precision();
        let two = BoxedUint::from(2u64).widen(self.p.bits_precision());
        loop {
            let mut bytes = vec![0u8; pb.k];
            crate::rng::fill(&mut bytes)?;
            let r = uint(&bytes, nbits)?.rem(&nonzero(&pb.n)?);
            bytes.zeroize();
            let (rp, rq) = self.residues(&r)?;
            if !bool::from(rp.is_nonzero()) || !bool::from(rq.is_nonzero()) {
                continue;
            }
            let inv_p =
                BoxedMontyForm::new(rp, self.p_params.clone()).pow(&self.p.wrapping_sub(&two));
            let inv_q = BoxedMontyForm::new(rq, self.q_params.clone())
                .pow(&self.q.wrapping_sub(&two))
                .retrieve();
            let r_inv = self.crt(inv_p, &inv_q)?;
            return Ok((pb.pow_e(&r), r_inv));
        }
    }

    /// The blinding pair for one operation: the cached one (then squared for the next use),
    /// or a fresh one every [`BLINDING_REFRESH`] uses.
    fn blinding(&self) -> Result<(BoxedUint, BoxedUint), CryptoError> {
        let params = &self.public.n_params;
        let mut cache = self.blinding.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let (re, rinv, uses) = match cache.take() {
            Some((re, rinv, uses)) if uses < BLINDING_REFRESH => (re, rinv, uses),
            _ => {
                let (re, rinv) = self.fresh_blinding()?;
                (re, rinv, 0)
            }
        };
        *cache = Some((mul_mod(&re, &re, params), mul_mod(&rinv, &rinv, params), uses + 1));
        Ok((re, rinv))
    }

    /// `data^d mod n`, `k` bytes long, blinded and checked. `InvalidLength` when `data >= n`.
    pub fn apply(&self, data: &[u8]) -> Result<Vec<u8>, CryptoError> {
        let pb = &self.public;
        let c = pb.input(data)?;
        // Blinding: c' = c * r^e, result * r^-1.
        let (r_e, r_inv) = self.blinding()?;
        let blinded = mul_mod(&c, &r_e, &pb.n_params);
        let (cp, cq) = self.residues(&blinded)?;
        let m1 = BoxedMontyForm::new(cp, self.p_params.clone()).pow(&self.dp);
        let m2 = BoxedMontyForm::new(cq, self.q_params.clone()).pow(&self.dq).retrieve();
        let m_blinded = self.crt(m1, &m2)?;
        if pb.pow_e(&m_blinded) != blinded {
            log::error!("rsa: private operation failed its consistency check");
            return Err(CryptoError::Backend);
        }
        let m = mul_mod(&m_blinded, &r_inv, &pb.n_params);
        Ok(to_bytes(&m, pb.k))
    }
}

fn nonzero(x: &BoxedUint) -> Result<NonZero<BoxedUint>, CryptoError> {
    Option::<NonZero<BoxedUint>>::from(NonZero::new(x.clone())).ok_or(CryptoError::InvalidKey)
}

fn mul_mod(a: &BoxedUint, b: &BoxedUint, params: &BoxedMontyParams) -> BoxedUint {
    (BoxedMontyForm::new(a.clone(), params.clone())
        * BoxedMontyForm::new(b.clone(), params.clone()))
    .retrieve()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A toy key (p=61, q=53; n=3233, e=17, d=2753) checks the arithmetic end to end.
    #[test]
    fn toy_key_round_trip() {
        let public = RawPublic::new(&[0x0c, 0xa1], &[17]).unwrap();
        let private = RawPrivate::new(
            RawPublic::new(&[0x0c, 0xa1], &[17]).unwrap(),
            &[61],
            &[53],
            &[53], // d mod (p-1) = 2753 mod 60
            &[49], // d mod (q-1) = 2753 mod 52
            &[38], // q^-1 mod p
        )
        .unwrap();
        // 65^17 mod 3233 = 2790 (the textbook example).
        assert_eq!(public.apply(&[0, 65]).unwrap(), vec![0x0a, 0xe6]);
        assert_eq!(private.apply(&[0x0a, 0xe6]).unwrap(), vec![0, 65]);
        assert_eq!(public.apply(&[0x0c, 0xa1]), Err(CryptoError::InvalidLength), "n itself");
    }
}
