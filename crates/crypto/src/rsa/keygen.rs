//! RSA key generation from the module's DRBG (the `rsa` crate's prime search driven by
//! [`crate::rng::ModuleRng`]); the result is loaded into the backend and must pass a
//! pairwise-consistency test before anyone sees it.

use rsa::BigUint;
use rsa::traits::{PrivateKeyParts, PublicKeyParts};
use zeroize::Zeroizing;

use super::{Components, MAX_BITS, MIN_BITS, PrivateKey};
use crate::CryptoError;
use crate::digest::HashAlg;

/// Generate a key of `bits` with public exponent `e` (big-endian).
pub fn generate(bits: usize, e: &[u8]) -> Result<PrivateKey, CryptoError> {
    if !(MIN_BITS..=MAX_BITS).contains(&bits) || bits % 8 != 0 {
        return Err(CryptoError::InvalidParameter);
    }
    let e = crate::der::strip_zeros(e);
    if e.is_empty() || e.len() > 4 || e[e.len() - 1] & 1 == 0 || e == [1] {
        return Err(CryptoError::InvalidParameter);
    }
    let exp = BigUint::from_bytes_be(e);
    let mut rng = crate::rng::ModuleRng;
    let mut key = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        rsa::RsaPrivateKey::new_with_exp(&mut rng, bits, &exp)
    }))
    .map_err(|_| CryptoError::RandomFailure)?
    .map_err(|_| CryptoError::Backend)?;
    key.precompute().map_err(|_| CryptoError::Backend)?;
    let z = |b: &BigUint| Zeroizing::new(b.to_bytes_be());
    let primes = key.primes();
    let c = Components {
        n: key.n().to_bytes_be(),
        e: key.e().to_bytes_be(),
        d: z(key.d()),
        p: z(&primes[0]),
        q: z(&primes[1]),
        dp: z(key.dp().ok_or(CryptoError::Backend)?),
        dq: z(key.dq().ok_or(CryptoError::Backend)?),
        qinv: Zeroizing::new(key.crt_coefficient().ok_or(CryptoError::Backend)?.to_bytes_be()),
    };
    drop(key);
    let private = PrivateKey::new(c)?;
    pairwise_test(&private)?;
    Ok(private)
}

/// Sign and verify a fixed message (FIPS 140-3 IG 10.3.A pairwise consistency).
pub fn pairwise_test(key: &PrivateKey) -> Result<(), CryptoError> {
    let info = HashAlg::Sha256.digest_info(&HashAlg::Sha256.digest(b"craton-hsm pct"));
    let s = key.sign_pkcs1(&info)?;
    key.public().verify_pkcs1(&info, &s).map_err(|_| {
        log::error!("rsa: generated key failed its pairwise-consistency test");
        CryptoError::InvalidKey
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generate_sign_verify_every_path() {
        let k = generate(2048, &[1, 0, 1]).unwrap();
        assert_eq!(k.public().bits(), 2048);
        let pk = k.public();
        let dg = HashAlg::Sha256.digest(b"m");
        // Backend path and raw path must agree on PKCS#1 v1.5 (deterministic).
        let info = HashAlg::Sha256.digest_info(&dg);
        let fast = k.sign_pkcs1(&info).unwrap();
        let slow = k.apply_raw(&super::super::pad::pkcs1_sign_block(256, &info).unwrap()).unwrap();
        assert_eq!(fast, slow);
        pk.verify_pkcs1(&info, &fast).unwrap();
        let sha1 = HashAlg::Sha1.digest_info(&HashAlg::Sha1.digest(b"m"));
        pk.verify_pkcs1(&sha1, &k.sign_pkcs1(&sha1).unwrap()).unwrap();
        assert!(pk.verify_pkcs1(&sha1, &fast).is_err());
        // PSS through the backend and through our encoding, verified both ways.
        let s = k.sign_pss(&dg, HashAlg::Sha256, HashAlg::Sha256, 32).unwrap();
        pk.verify_pss(&dg, HashAlg::Sha256, HashAlg::Sha256, 32, &s).unwrap();
        let em = pk.recover_raw(&s).unwrap();
        super::super::pad::pss_verify(&dg, &em, 2048, HashAlg::Sha256, HashAlg::Sha256, 32)
            .unwrap();
        let s = k.sign_pss(&dg, HashAlg::Sha256, HashAlg::Sha1, 0).unwrap();
        pk.verify_pss(&dg, HashAlg::Sha256, HashAlg::Sha1, 0, &s).unwrap();
        // Encryption with our padding, decryption through the backend and the raw path.
        let c = pk.encrypt_pkcs1(b"hi").unwrap();
        assert_eq!(&k.decrypt_pkcs1(&c).unwrap()[..], b"hi");
        let c = pk.encrypt_oaep(b"hi", HashAlg::Sha256, HashAlg::Sha256, b"L").unwrap();
        assert_eq!(&k.decrypt_oaep(&c, HashAlg::Sha256, HashAlg::Sha256, b"L").unwrap()[..], b"hi");
        assert!(k.decrypt_oaep(&c, HashAlg::Sha256, HashAlg::Sha256, b"M").is_err());
        let c = pk.encrypt_oaep(b"hi", HashAlg::Sha256, HashAlg::Sha1, b"").unwrap();
        assert_eq!(&k.decrypt_oaep(&c, HashAlg::Sha256, HashAlg::Sha1, b"").unwrap()[..], b"hi");
        // PKCS#8 round trip.
        let p8 = k.components().to_pkcs8();
        let info = crate::der::parse_pkcs8(&p8).unwrap();
        let back = Components::from_rsa_private_key(info.key).unwrap();
        assert_eq!(back.n, k.components().n);
        assert_eq!(*back.qinv, *k.components().qinv);
    }

    #[test]
    fn refuses_bad_sizes() {
        assert!(generate(1024, &[1, 0, 1]).is_err());
        assert!(generate(2048, &[2]).is_err());
    }
}
