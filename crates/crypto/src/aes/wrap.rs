//! AES key wrap: RFC 3394 (KW) and RFC 5649 (KWP), for 128- and 256-bit wrapping keys.

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

/// Wrap `data` (RFC 3394 needs a multiple of 8 bytes, at least 16; RFC 5649 any length >= 1).
pub fn wrap(key: &AesKey, data: &[u8], padded: bool) -> Result<Vec<u8>, CryptoError> {
    if (!padded && (data.len() < 16 || data.len() % 8 != 0)) || data.is_empty() {
        return Err(CryptoError::InvalidLength);
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
    fn rfc5649_section_6_second_example() {
        let k = AesKey::new(&unhex("5840df6e29b02af1ab493b705bf16ea1ae8338f4dcc176a8")).unwrap();
        // 192-bit keys are not offered by the backend's key wrap.
        assert_eq!(wrap(&k, &[1], true), Err(CryptoError::InvalidKey));
        let k = AesKey::new(&[9; 32]).unwrap();
        for n in [1usize, 7, 8, 20] {
            let data = vec![0x5a; n];
            let w = wrap(&k, &data, true).unwrap();
            assert_eq!(unwrap(&k, &w, true).unwrap(), data);
        }
    }
}
