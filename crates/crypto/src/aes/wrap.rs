//! AES key wrap: RFC 3394 (KW) and RFC 5649 (KWP). The backend wraps under 128- and
//! 256-bit keys; 192-bit wrapping keys go through the `generic` module, the RFC's algorithm over the
//! backend's ECB blocks.

use aws_lc_rs::key_wrap::{AES_128, AES_256, AesKek, KeyWrap, KeyWrapPadded};

use super::AesKey;
use crate::CryptoError;

fn kek(key: &AesKey) -> Result<AesKek, CryptoError> {
    let cipher = match key.bytes().len() {
        16 => &AES_128,
        32 => &AES_256,
        _ => return Err(CryptoError::InvalidKey),
    };
    Ok(AesKek::new(cipher, key.bytes())?)
}

/// RFC 3394 section 2.2 over ECB blocks, for the key sizes the backend's key wrap lacks.
mod generic {
    use aws_lc_rs::cipher::{DecryptingKey, DecryptionContext, EncryptingKey, EncryptionContext};
    use zeroize::Zeroizing;

    use super::AesKey;
    use crate::CryptoError;

    /// Wrap `data` (a multiple of 8 bytes, at least 16) under integrity value `iv`.
    pub fn wrap(key: &AesKey, iv: [u8; 8], data: &[u8]) -> Result<Vec<u8>, CryptoError> {
        let k = EncryptingKey::ecb(key.unbound()?)?;
        let n = data.len() / 8;
        let mut a = iv;
        let mut r = Zeroizing::new(data.to_vec());
        let mut b = [0u8; 16];
        for j in 0..6u64 {
            for i in 0..n {
                b[..8].copy_from_slice(&a);
                b[8..].copy_from_slice(&r[8 * i..8 * i + 8]);
                k.less_safe_encrypt(&mut b, EncryptionContext::None)?;
                let t = (n as u64) * j + i as u64 + 1;
                a.copy_from_slice(&b[..8]);
                a.iter_mut().zip(t.to_be_bytes()).for_each(|(x, y)| *x ^= y);
                r[8 * i..8 * i + 8].copy_from_slice(&b[8..]);
            }
        }
        b.fill(0);
        let mut out = a.to_vec();
        out.extend_from_slice(&r);
        Ok(out)
    }

    /// Unwrap; returns (integrity value, data) for the caller to check.
    pub fn unwrap(key: &AesKey, data: &[u8]) -> Result<([u8; 8], Vec<u8>), CryptoError> {
        let k = DecryptingKey::ecb(key.unbound()?)?;
        let n = data.len() / 8 - 1;
        let mut a: [u8; 8] = data[..8].try_into().map_err(|_| CryptoError::InvalidLength)?;
        let mut r = Zeroizing::new(data[8..].to_vec());
        let mut b = [0u8; 16];
        for j in (0..6u64).rev() {
            for i in (0..n).rev() {
                let t = (n as u64) * j + i as u64 + 1;
                a.iter_mut().zip(t.to_be_bytes()).for_each(|(x, y)| *x ^= y);
                b[..8].copy_from_slice(&a);
                b[8..].copy_from_slice(&r[8 * i..8 * i + 8]);
                k.decrypt(&mut b, DecryptionContext::None)?;
                a.copy_from_slice(&b[..8]);
                r[8 * i..8 * i + 8].copy_from_slice(&b[8..]);
            }
        }
        b.fill(0);
        Ok((a, r.to_vec()))
    }

    /// RFC 5649 wrap.
    pub fn wrap_padded(key: &AesKey, data: &[u8]) -> Result<Vec<u8>, CryptoError> {
        let mut iv = [0xa6, 0x59, 0x59, 0xa6, 0, 0, 0, 0];
        iv[4..].copy_from_slice(&(data.len() as u32).to_be_bytes());
        let mut padded = Zeroizing::new(data.to_vec());
        padded.resize(data.len().div_ceil(8) * 8, 0);
        if padded.len() == 8 {
            let mut b = [0u8; 16];
            b[..8].copy_from_slice(&iv);
            b[8..].copy_from_slice(&padded);
            key.ecb_encrypt(&mut b)?;
            return Ok(b.to_vec());
        }
        wrap(key, iv, &padded)
    }

    /// RFC 5649 unwrap with its checks (message length indicator and zero padding).
    pub fn unwrap_padded(key: &AesKey, data: &[u8]) -> Result<Vec<u8>, CryptoError> {
        let (a, r) = if data.len() == 16 {
            let k = DecryptingKey::ecb(key.unbound()?)?;
            let mut b = data.to_vec();
            k.decrypt(&mut b, DecryptionContext::None)?;
            let a: [u8; 8] = b[..8].try_into().map_err(|_| CryptoError::InvalidLength)?;
            (a, b[8..].to_vec())
        } else {
            unwrap(key, data)?
        };
        let mli = u32::from_be_bytes([a[4], a[5], a[6], a[7]]) as usize;
        let ok = a[..4] == [0xa6, 0x59, 0x59, 0xa6]
            && mli <= r.len()
            && mli + 8 > r.len()
            && r[mli..].iter().all(|b| *b == 0);
        if !ok {
            return Err(CryptoError::AuthenticationFailed);
        }
        Ok(r[..mli].to_vec())
    }
}

/// Wrap `data` (RFC 3394 needs a multiple of 8 bytes, at least 16; RFC 5649 any length >= 1).
pub fn wrap(key: &AesKey, data: &[u8], padded: bool) -> Result<Vec<u8>, CryptoError> {
    if (!padded && (data.len() < 16 || data.len() % 8 != 0)) || data.is_empty() {
        return Err(CryptoError::InvalidLength);
    }
    if key.bytes().len() == 24 {
        return if padded {
            generic::wrap_padded(key, data)
        } else {
            generic::wrap(key, [0xa6; 8], data)
        };
    }
    let mut out = vec![0u8; data.len() + 16];
    let n = if padded {
        kek(key)?.wrap_with_padding(data, &mut out)?.len()
    } else {
        kek(key)?.wrap(data, &mut out)?.len()
    };
    out.truncate(n);
    Ok(out)
}

/// Unwrap and check the integrity value.
pub fn unwrap(key: &AesKey, data: &[u8], padded: bool) -> Result<Vec<u8>, CryptoError> {
    if data.len() < 16 || data.len() % 8 != 0 {
        return Err(CryptoError::InvalidLength);
    }
    if key.bytes().len() == 24 {
        return if padded {
            generic::unwrap_padded(key, data)
        } else {
            let (a, r) = generic::unwrap(key, data)?;
            if aws_lc_rs::constant_time::verify_slices_are_equal(&a, &[0xa6; 8]).is_err() {
                return Err(CryptoError::AuthenticationFailed);
            }
            Ok(r)
        };
    }
    let mut out = vec![0u8; data.len()];
    let r = if padded {
        kek(key)?.unwrap_with_padding(data, &mut out).map(|s| s.len())
    } else {
        kek(key)?.unwrap(data, &mut out).map(|s| s.len())
    };
    let n = r.map_err(|_| CryptoError::AuthenticationFailed)?;
    out.truncate(n);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unhex(s: &str) -> Vec<u8> {
        (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
    }

    #[test]
    fn rfc3394_4_1() {
        let k = AesKey::new(&unhex("000102030405060708090A0B0C0D0E0F")).unwrap();
        let data = unhex("00112233445566778899AABBCCDDEEFF");
        let w = wrap(&k, &data, false).unwrap();
        assert_eq!(w, unhex("1FA68B0A8112B447AEF34BD8FB5A7B829D3E862371D2CFE5"));
        assert_eq!(unwrap(&k, &w, false).unwrap(), data);
        let mut bad = w.clone();
        bad[3] ^= 1;
        assert_eq!(unwrap(&k, &bad, false), Err(CryptoError::AuthenticationFailed));
    }

    #[test]
    fn rfc3394_4_2_192_bit_kek() {
        let k = AesKey::new(&unhex("000102030405060708090A0B0C0D0E0F1011121314151617")).unwrap();
        let data = unhex("00112233445566778899AABBCCDDEEFF");
        let w = wrap(&k, &data, false).unwrap();
        assert_eq!(w, unhex("96778B25AE6CA435F92B5B97C050AED2468AB8A17AD84E5D"));
        assert_eq!(unwrap(&k, &w, false).unwrap(), data);
    }

    #[test]
    fn rfc5649_section_6_both_examples() {
        let k = AesKey::new(&unhex("5840df6e29b02af1ab493b705bf16ea1ae8338f4dcc176a8")).unwrap();
        let w = wrap(&k, &unhex("466f7250617369"), true).unwrap();
        assert_eq!(w, unhex("afbeb0f07dfbf5419200f2ccb50bb24f"));
        assert_eq!(unwrap(&k, &w, true).unwrap(), unhex("466f7250617369"));
        let data = unhex("c37b7e6492584340bed12207808941155068f738");
        let w = wrap(&k, &data, true).unwrap();
        assert_eq!(w, unhex("138bdeaa9b8fa7fc61f97742e72248ee5ae6ae5360d1ae6a5f54f373fa543b6a"));
        assert_eq!(unwrap(&k, &w, true).unwrap(), data);
        let mut bad = w.clone();
        bad[5] ^= 1;
        assert!(unwrap(&k, &bad, true).is_err());
        let k = AesKey::new(&[9; 32]).unwrap();
        for n in [1usize, 7, 8, 20] {
            let data = vec![0x5a; n];
            let w = wrap(&k, &data, true).unwrap();
            assert_eq!(unwrap(&k, &w, true).unwrap(), data);
        }
    }
}
