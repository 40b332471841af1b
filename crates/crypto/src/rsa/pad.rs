//! RSA encodings done here rather than in the backend: PKCS#1 v1.5 (RFC 8017 8.2, 7.2),
//! EMSA-PSS (9.1) and EME-OAEP (7.1) with any hash and MGF1 hash.

use crate::CryptoError;
use crate::digest::{HashAlg, Hasher};

/// MGF1 mask of `len` bytes from `seed`.
pub fn mgf1(hash: HashAlg, seed: &[u8], len: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(len + hash.output_len());
    let mut counter = 0u32;
    while out.len() < len {
        let mut h = Hasher::new(hash);
        h.update(seed);
        h.update(&counter.to_be_bytes());
        out.extend(h.finish());
        counter += 1;
    }
    out.truncate(len);
    out
}

fn xor(a: &mut [u8], b: &[u8]) {
    a.iter_mut().zip(b).for_each(|(x, y)| *x ^= y);
}

/// EMSA-PKCS1-v1_5 block (type 1) of `k` bytes around `t`.
pub fn pkcs1_sign_block(k: usize, t: &[u8]) -> Result<Vec<u8>, CryptoError> {
    if t.len() + 11 > k {
        return Err(CryptoError::InvalidLength);
    }
    let mut em = vec![0xff; k];
    em[0] = 0;
    em[1] = 1;
    em[k - t.len() - 1] = 0;
    em[k - t.len()..].copy_from_slice(t);
    Ok(em)
}

/// The data inside a type-1 block (signature recovery).
pub fn pkcs1_sign_unblock(em: &[u8]) -> Result<&[u8], CryptoError> {
    let bad = CryptoError::BadSignature;
    let rest = em.strip_prefix(&[0, 1]).ok_or(bad)?;
    let ff = rest.iter().take_while(|b| **b == 0xff).count();
    if ff < 8 || rest.get(ff) != Some(&0) {
        return Err(bad);
    }
    Ok(&rest[ff + 1..])
}

/// EME-PKCS1-v1_5 block (type 2) of `k` bytes around `m`, padding from the module's DRBG.
pub fn pkcs1_encrypt_block(k: usize, m: &[u8]) -> Result<Vec<u8>, CryptoError> {
    if m.len() + 11 > k {
        return Err(CryptoError::InvalidLength);
    }
    let ps_len = k - m.len() - 3;
    let mut em = vec![0u8; k];
    em[1] = 2;
    let mut ps = vec![0u8; ps_len];
    crate::rng::fill(&mut ps)?;
    for b in ps.iter_mut() {
        while *b == 0 {
            let [x] = crate::rng::array::<1>()?;
            *b = x;
        }
    }
    em[2..2 + ps_len].copy_from_slice(&ps);
    em[k - m.len()..].copy_from_slice(m);
    Ok(em)
}

/// EMSA-PSS encoding of `m_hash` for a modulus of `mod_bits`, with a salt from the DRBG.
pub fn pss_encode(
    m_hash: &[u8],
    mod_bits: usize,
    hash: HashAlg,
    mgf: HashAlg,
    salt_len: usize,
) -> Result<Vec<u8>, CryptoError> {
    let em_bits = mod_bits - 1;
    let em_len = em_bits.div_ceil(8);
    let h_len = hash.output_len();
    if m_hash.len() != h_len || em_len < h_len + salt_len + 2 {
        return Err(CryptoError::InvalidLength);
    }
    let mut salt = vec![0u8; salt_len];
    crate::rng::fill(&mut salt)?;
    let mut hh = Hasher::new(hash);
    hh.update(&[0u8; 8]);
    hh.update(m_hash);
    hh.update(&salt);
    let h = hh.finish();
    let mut db = vec![0u8; em_len - h_len - 1];
    let ps = db.len() - salt_len - 1;
    db[ps] = 1;
    db[ps + 1..].copy_from_slice(&salt);
    let mask = mgf1(mgf, &h, db.len());
    xor(&mut db, &mask);
    db[0] &= 0xff >> (8 * em_len - em_bits);
    db.extend_from_slice(&h);
    db.push(0xbc);
    Ok(db)
}

/// EMSA-PSS verification of `em` (the integer `s^e`, `k` bytes) for `m_hash`.
pub fn pss_verify(
    m_hash: &[u8],
    em_full: &[u8],
    mod_bits: usize,
    hash: HashAlg,
    mgf: HashAlg,
    salt_len: usize,
) -> Result<(), CryptoError> {
    let bad = CryptoError::BadSignature;
    let em_bits = mod_bits - 1;
    let em_len = em_bits.div_ceil(8);
    let h_len = hash.output_len();
    if m_hash.len() != h_len || em_len < h_len + salt_len + 2 {
        return Err(bad);
    }
    // With mod_bits = 8k+1 the encoded message is one byte shorter than the modulus.
    let (lead, em) = em_full.split_at(em_full.len() - em_len);
    if lead.iter().any(|b| *b != 0) || em[em_len - 1] != 0xbc {
        return Err(bad);
    }
    let (masked, rest) = em.split_at(em_len - h_len - 1);
    let h = &rest[..h_len];
    let top = 0xffu8 >> (8 * em_len - em_bits);
    if masked[0] & !top != 0 {
        return Err(bad);
    }
    let mut db = masked.to_vec();
    let mask = mgf1(mgf, h, db.len());
    xor(&mut db, &mask);
    db[0] &= top;
    let ps = em_len - h_len - salt_len - 2;
    if db[..ps].iter().any(|b| *b != 0) || db[ps] != 1 {
        return Err(bad);
    }
    let mut hh = Hasher::new(hash);
    hh.update(&[0u8; 8]);
    hh.update(m_hash);
    hh.update(&db[ps + 1..]);
    crate::digest::verify_mac(&hh.finish(), h)
}

/// EME-OAEP encoding of `m` in `k` bytes with `label`; the seed comes from the DRBG.
pub fn oaep_encode(
    k: usize,
    m: &[u8],
    label: &[u8],
    hash: HashAlg,
    mgf: HashAlg,
) -> Result<Vec<u8>, CryptoError> {
    let h_len = hash.output_len();
    if k < 2 * h_len + 2 || m.len() > k - 2 * h_len - 2 {
        return Err(CryptoError::InvalidLength);
    }
    let mut db = hash.digest(label);
    db.resize(k - m.len() - h_len - 2, 0);
    db.push(1);
    db.extend_from_slice(m);
    let mut seed = vec![0u8; h_len];
    crate::rng::fill(&mut seed)?;
    let mask = mgf1(mgf, &seed, db.len());
    xor(&mut db, &mask);
    xor(&mut seed, &mgf1(mgf, &db, h_len));
    let mut em = vec![0u8];
    em.extend(seed);
    em.extend(db);
    Ok(em)
}

/// EME-OAEP decoding. The checks run over the whole block without early exit, so the
/// failure point does not show in the timing.
pub fn oaep_decode(
    em: &[u8],
    label: &[u8],
    hash: HashAlg,
    mgf: HashAlg,
) -> Result<Vec<u8>, CryptoError> {
    let h_len = hash.output_len();
    let k = em.len();
    if k < 2 * h_len + 2 {
        return Err(CryptoError::InvalidEncoding);
    }
    let mut seed = em[1..1 + h_len].to_vec();
    let mut db = em[1 + h_len..].to_vec();
    xor(&mut seed, &mgf1(mgf, &db, h_len));
    let mask = mgf1(mgf, &seed, db.len());
    xor(&mut db, &mask);
    let l_hash = hash.digest(label);
    let mut bad = u32::from(em[0] != 0);
    bad |= u32::from(
        aws_lc_rs::constant_time::verify_slices_are_equal(&db[..h_len], &l_hash).is_err(),
    );
    // Find the 0x01 separator after the zero run, without branching on secret bytes.
    let mut found = 0u32;
    let mut index = 0usize;
    for (i, b) in db[h_len..].iter().enumerate() {
        let is_one = u32::from(*b == 1);
        let is_zero = u32::from(*b == 0);
        let take = is_one & (1 - found);
        index |= (take as usize).wrapping_neg() & i;
        bad |= (1 - found) & (1 - is_one) & (1 - is_zero);
        found |= is_one;
    }
    bad |= 1 - found;
    if bad != 0 {
        return Err(CryptoError::InvalidEncoding);
    }
    Ok(db[h_len + index + 1..].to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pkcs1_blocks() {
        let em = pkcs1_sign_block(64, b"hello").unwrap();
        assert_eq!(&em[..3], &[0, 1, 0xff]);
        assert_eq!(pkcs1_sign_unblock(&em).unwrap(), b"hello");
        assert!(pkcs1_sign_block(64, &[0; 54]).is_err());
        let em = pkcs1_encrypt_block(64, b"x").unwrap();
        assert_eq!(&em[..2], &[0, 2]);
        assert!(em[2..62].iter().all(|b| *b != 0));
    }

    #[test]
    fn pss_round_trip_with_odd_modulus_sizes() {
        for bits in [1024usize, 1025, 1031, 2048] {
            let mh = HashAlg::Sha256.digest(b"m");
            let em = pss_encode(&mh, bits, HashAlg::Sha256, HashAlg::Sha1, 20).unwrap();
            let mut full = vec![0u8; bits.div_ceil(8) - em.len()];
            full.extend(&em);
            pss_verify(&mh, &full, bits, HashAlg::Sha256, HashAlg::Sha1, 20).unwrap();
            assert!(pss_verify(&mh, &full, bits, HashAlg::Sha256, HashAlg::Sha1, 19).is_err());
        }
    }

    #[test]
    fn oaep_round_trip_and_tamper() {
        let em = oaep_encode(256, b"secret", b"label", HashAlg::Sha224, HashAlg::Sha1).unwrap();
        assert_eq!(oaep_decode(&em, b"label", HashAlg::Sha224, HashAlg::Sha1).unwrap(), b"secret");
        assert!(oaep_decode(&em, b"other", HashAlg::Sha224, HashAlg::Sha1).is_err());
        let mut bad = em.clone();
        bad[0] = 1;
        assert!(oaep_decode(&bad, b"label", HashAlg::Sha224, HashAlg::Sha1).is_err());
        let empty = oaep_encode(256, b"", b"", HashAlg::Sha256, HashAlg::Sha256).unwrap();
        assert_eq!(oaep_decode(&empty, b"", HashAlg::Sha256, HashAlg::Sha256).unwrap(), b"");
    }
}
