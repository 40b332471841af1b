//! AES-CMAC (SP 800-38B), streaming.

use aws_lc_rs::cmac;

use super::AesKey;
use crate::CryptoError;

/// A prepared CMAC key.
pub struct CmacKey(cmac::Key);

impl CmacKey {
    /// From an AES key.
    pub fn new(key: &AesKey) -> Result<Self, CryptoError> {
        let alg = match key.bytes().len() {
            16 => cmac::AES_128,
            24 => cmac::AES_192,
            _ => cmac::AES_256,
        };
        Ok(Self(cmac::Key::new(alg, key.bytes())?))
    }

    /// Start a MAC.
    pub fn start(&self) -> Cmac {
        Cmac(cmac::Context::with_key(&self.0))
    }
}

/// A CMAC in progress.
#[derive(Clone)]
pub struct Cmac(cmac::Context);

impl Cmac {
    /// Absorb data.
    pub fn update(&mut self, data: &[u8]) -> Result<(), CryptoError> {
        Ok(self.0.update(data)?)
    }

    /// The 16-byte MAC.
    pub fn finish(self) -> Result<Vec<u8>, CryptoError> {
        Ok(self.0.sign()?.as_ref().to_vec())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sp800_38b_example_2() {
        // SP 800-38B appendix D.1, example 2 (AES-128, 16-byte message).
        let unhex = |s: &str| -> Vec<u8> {
            (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
        };
        let k = CmacKey::new(&AesKey::new(&unhex("2b7e151628aed2a6abf7158809cf4f3c")).unwrap())
            .unwrap();
        let mut m = k.start();
        m.update(&unhex("6bc1bee22e409f96")).unwrap();
        m.update(&unhex("e93d7e117393172a")).unwrap();
        assert_eq!(m.finish().unwrap(), unhex("070a16b46b4d4144f79bdd9dd04a287c"));
    }
}
