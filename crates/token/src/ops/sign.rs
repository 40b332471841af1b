//! Signing, verification and recovery operations (including MACs).

use craton_crypto::aes::cmac::{Cmac, CmacKey};
use craton_crypto::aes::mac::CbcMac;
use craton_crypto::digest::{self, HashAlg, Hasher, Hmac};
use craton_crypto::edwards;
use pkcs11_sys as sys;
use zeroize::Zeroizing;

use super::crypto_err;
use crate::error::{Error, Result};
use crate::keys::{KeyObj, KeyRef};
use crate::mechanism::{self, Mechanism, Param};

/// Largest input held for a mechanism that works on one short value (digest, RSA block).
const SHORT_INPUT_MAX: usize = 4096;

/// What is computed over the accumulated input.
#[derive(Debug, Clone, Copy)]
enum Alg {
    /// PKCS#1 v1.5 over the data as given (CKM_RSA_PKCS).
    RsaPkcs,
    /// Raw RSA (CKM_RSA_X_509).
    RsaRaw,
    /// PKCS#1 v1.5 over the DigestInfo of the hash.
    RsaPkcsHash(HashAlg),
    /// PSS: hash, MGF1 hash, salt length; `prehashed` when the data is the digest.
    Pss { hash: HashAlg, mgf: HashAlg, salt: usize },
    /// ECDSA over a digest.
    Ecdsa,
    /// EdDSA (pure).
    EdDsa,
    /// HMAC or CMAC truncated to `len`.
    Mac { len: usize },
}

/// How input is absorbed.
enum Acc {
    /// Held whole; `true` for mechanisms over one short value, `false` for EdDSA.
    Buffer(Zeroizing<Vec<u8>>, bool),
    /// Hashed as it arrives.
    Hash(Hasher),
    /// HMAC.
    Hmac(Hmac),
    /// CMAC.
    Cmac(Cmac),
    /// AES CBC-MAC (CKM_AES_MAC and CKM_AES_MAC_GENERAL).
    CbcMac(Box<CbcMac>),
}

/// One sign/verify/recover operation.
pub struct SigOp {
    key: KeyRef,
    alg: Alg,
    acc: Acc,
}

fn mac_len(m: &Mechanism, full: usize) -> Result<usize> {
    match m.param {
        Param::MacLen(n) if n >= 1 && n as usize <= full => Ok(n as usize),
        Param::MacLen(_) => Err(Error::MechanismParamInvalid),
        _ => Ok(full),
    }
}

/// The hash of an HMAC mechanism (full-length or _GENERAL).
pub(crate) fn hmac_hash(ty: sys::CK_MECHANISM_TYPE) -> Option<HashAlg> {
    Some(match ty {
        sys::CKM_SHA_1_HMAC | sys::CKM_SHA_1_HMAC_GENERAL => HashAlg::Sha1,
        sys::CKM_SHA224_HMAC | sys::CKM_SHA224_HMAC_GENERAL => HashAlg::Sha224,
        sys::CKM_SHA256_HMAC | sys::CKM_SHA256_HMAC_GENERAL => HashAlg::Sha256,
        sys::CKM_SHA384_HMAC | sys::CKM_SHA384_HMAC_GENERAL => HashAlg::Sha384,
        sys::CKM_SHA512_HMAC | sys::CKM_SHA512_HMAC_GENERAL => HashAlg::Sha512,
        sys::CKM_SHA512_224_HMAC | sys::CKM_SHA512_224_HMAC_GENERAL => HashAlg::Sha512_224,
        sys::CKM_SHA512_256_HMAC | sys::CKM_SHA512_256_HMAC_GENERAL => HashAlg::Sha512_256,
        sys::CKM_SHA3_224_HMAC | sys::CKM_SHA3_224_HMAC_GENERAL => HashAlg::Sha3_224,
        sys::CKM_SHA3_256_HMAC | sys::CKM_SHA3_256_HMAC_GENERAL => HashAlg::Sha3_256,
        sys::CKM_SHA3_384_HMAC | sys::CKM_SHA3_384_HMAC_GENERAL => HashAlg::Sha3_384,
        sys::CKM_SHA3_512_HMAC | sys::CKM_SHA3_512_HMAC_GENERAL => HashAlg::Sha3_512,
        _ => return None,
    })
}

fn pss(m: &Mechanism, hash_in_mech: Option<HashAlg>) -> Result<(HashAlg, HashAlg, usize)> {
    let Param::Pss { hash, mgf, salt } = m.param else {
        return Err(Error::MechanismParamInvalid);
    };
    let h = mechanism::hash_of(hash).ok_or(Error::MechanismParamInvalid)?;
    let g = mechanism::mgf_of(mgf).ok_or(Error::MechanismParamInvalid)?;
    if hash_in_mech.is_some_and(|mh| mh != h) {
        return Err(Error::MechanismParamInvalid);
    }
    Ok((h, g, salt as usize))
}

impl SigOp {
    /// Start; `signing` selects the private (or MAC) side. The caller checked usage flags.
    pub fn new(m: &Mechanism, key: KeyRef, signing: bool) -> Result<Self> {
        use sys::*;
        let ty = m.ty as CK_MECHANISM_TYPE;
        let buffer = |single: bool| Acc::Buffer(Zeroizing::new(Vec::new()), single);
        let is_rsa = matches!(
            (&**key, signing),
            (KeyObj::RsaPrivate(_), true) | (KeyObj::RsaPublic(_), false)
        );
        let is_ec = matches!(
            (&**key, signing),
            (KeyObj::EcPrivate(_), true) | (KeyObj::EcPublic(_), false)
        );
        let is_ed = matches!(
            (&**key, signing),
            (KeyObj::EdPrivate(_), true) | (KeyObj::EdPublic(_), false)
        );
        let inconsistent = Err(Error::KeyTypeInconsistent);
        let (alg, acc) = match ty {
            CKM_RSA_PKCS | CKM_RSA_X_509 | CKM_RSA_PKCS_PSS if !is_rsa => return inconsistent,
            CKM_RSA_PKCS => (Alg::RsaPkcs, buffer(true)),
            CKM_RSA_X_509 => (Alg::RsaRaw, buffer(true)),
            CKM_RSA_PKCS_PSS => {
                let (hash, mgf, salt) = pss(m, None)?;
                (Alg::Pss { hash, mgf, salt }, buffer(true))
            }
            CKM_SHA1_RSA_PKCS | CKM_SHA224_RSA_PKCS | CKM_SHA256_RSA_PKCS | CKM_SHA384_RSA_PKCS
            | CKM_SHA512_RSA_PKCS => {
                if !is_rsa {
                    return inconsistent;
                }
                let h = match ty {
                    CKM_SHA1_RSA_PKCS => HashAlg::Sha1,
                    CKM_SHA224_RSA_PKCS => HashAlg::Sha224,
                    CKM_SHA256_RSA_PKCS => HashAlg::Sha256,
                    CKM_SHA384_RSA_PKCS => HashAlg::Sha384,
                    _ => HashAlg::Sha512,
                };
                (Alg::RsaPkcsHash(h), Acc::Hash(Hasher::new(h)))
            }
            CKM_SHA1_RSA_PKCS_PSS
            | CKM_SHA224_RSA_PKCS_PSS
            | CKM_SHA256_RSA_PKCS_PSS
            | CKM_SHA384_RSA_PKCS_PSS
            | CKM_SHA512_RSA_PKCS_PSS => {
                if !is_rsa {
                    return inconsistent;
                }
                let mh = match ty {
                    CKM_SHA1_RSA_PKCS_PSS => HashAlg::Sha1,
                    CKM_SHA224_RSA_PKCS_PSS => HashAlg::Sha224,
                    CKM_SHA256_RSA_PKCS_PSS => HashAlg::Sha256,
                    CKM_SHA384_RSA_PKCS_PSS => HashAlg::Sha384,
                    _ => HashAlg::Sha512,
                };
                let (hash, mgf, salt) = pss(m, Some(mh))?;
                (Alg::Pss { hash, mgf, salt }, Acc::Hash(Hasher::new(hash)))
            }
            CKM_ECDSA if is_ec => (Alg::Ecdsa, buffer(true)),
            CKM_ECDSA_SHA1 | CKM_ECDSA_SHA224 | CKM_ECDSA_SHA256 | CKM_ECDSA_SHA384
            | CKM_ECDSA_SHA512
                if is_ec =>
            {
                let h = match ty {
                    CKM_ECDSA_SHA1 => HashAlg::Sha1,
                    CKM_ECDSA_SHA224 => HashAlg::Sha224,
                    CKM_ECDSA_SHA256 => HashAlg::Sha256,
                    CKM_ECDSA_SHA384 => HashAlg::Sha384,
                    _ => HashAlg::Sha512,
                };
                (Alg::Ecdsa, Acc::Hash(Hasher::new(h)))
            }
            CKM_ECDSA | CKM_ECDSA_SHA1 | CKM_ECDSA_SHA224 | CKM_ECDSA_SHA256 | CKM_ECDSA_SHA384
            | CKM_ECDSA_SHA512 => return inconsistent,
            CKM_EDDSA if is_ed => {
                if !matches!(m.param, Param::None) {
                    // Ed25519ph and contexts are not offered.
                    return Err(Error::MechanismParamInvalid);
                }
                (Alg::EdDsa, buffer(false))
            }
            CKM_EDDSA => return inconsistent,
            CKM_AES_CMAC | CKM_AES_CMAC_GENERAL => {
                let aes = key.secret().and_then(|s| s.aes()).ok_or(Error::KeyTypeInconsistent)?;
                let k = CmacKey::new(aes).map_err(Error::from)?;
                (Alg::Mac { len: mac_len(m, 16)? }, Acc::Cmac(k.start()))
            }
            CKM_AES_MAC | CKM_AES_MAC_GENERAL => {
                let aes = key.secret().and_then(|s| s.aes()).ok_or(Error::KeyTypeInconsistent)?;
                let full = CbcMac::new(aes, 16).map_err(Error::from)?;
                // CKM_AES_MAC is half a block; the _GENERAL length comes with the mechanism.
                let len = if ty == CKM_AES_MAC { 8 } else { mac_len(m, 16)? };
                (Alg::Mac { len }, Acc::CbcMac(Box::new(full)))
            }
            _ => {
                let h = hmac_hash(ty).ok_or(Error::MechanismInvalid)?;
                let s = key.secret().ok_or(Error::KeyTypeInconsistent)?;
                if !s.key_type.is_hmac() {
                    return inconsistent;
                }
                (Alg::Mac { len: mac_len(m, h.output_len())? }, Acc::Hmac(s.hmac(h).start()))
            }
        };
        Ok(Self { key, alg, acc })
    }

    /// Absorb more data.
    pub fn update(&mut self, data: &[u8]) -> Result<()> {
        match &mut self.acc {
            // Mechanisms over short inputs (a digest, one RSA block) take multi-part input
            // too, bounded well above any valid length.
            Acc::Buffer(b, true) if b.len() + data.len() > SHORT_INPUT_MAX => {
                return Err(Error::DataLenRange);
            }
            Acc::Buffer(b, _) => b.extend_from_slice(data),
            Acc::Hash(h) => h.update(data),
            Acc::Hmac(m) => m.update(data),
            Acc::Cmac(m) => m.update(data).map_err(Error::from)?,
            Acc::CbcMac(m) => m.update(data).map_err(Error::from)?,
        }
        Ok(())
    }

    /// Absorb data for a single-part call.
    pub fn absorb_all(&mut self, data: &[u8]) -> Result<()> {
        match &mut self.acc {
            Acc::Buffer(b, _) => {
                b.extend_from_slice(data);
                Ok(())
            }
            _ => self.update(data),
        }
    }

    fn input(acc: Acc) -> Result<Zeroizing<Vec<u8>>> {
        Ok(match acc {
            Acc::Buffer(b, _) => b,
            Acc::Hash(h) => Zeroizing::new(h.finish()),
            Acc::Hmac(m) => Zeroizing::new(m.finish()),
            Acc::Cmac(m) => Zeroizing::new(m.finish().map_err(Error::from)?),
            Acc::CbcMac(m) => Zeroizing::new((*m).finish().map_err(Error::from)?),
        })
    }

    /// The signature (or MAC) over everything absorbed.
    pub fn sign(self) -> Result<Zeroizing<Vec<u8>>> {
        let alg = self.alg;
        let input = Self::input(self.acc)?;
        let err = |e| crypto_err(e, false);
        let out = match (&**self.key, alg) {
            (KeyObj::RsaPrivate(k), Alg::RsaPkcs) => k.sign_pkcs1(&input).map_err(err)?,
            (KeyObj::RsaPrivate(k), Alg::RsaRaw) => {
                k.apply_raw(&super::cipher::raw_input(&input, k.public().k())?).map_err(err)?
            }
            (KeyObj::RsaPrivate(k), Alg::RsaPkcsHash(h)) => {
                k.sign_pkcs1(&h.digest_info(&input)).map_err(err)?
            }
            (KeyObj::RsaPrivate(k), Alg::Pss { hash, mgf, salt }) => {
                k.sign_pss(&input, hash, mgf, salt).map_err(err)?
            }
            (KeyObj::EcPrivate(k), Alg::Ecdsa) => k.sign_digest(&input).map_err(err)?,
            (KeyObj::EdPrivate(k), Alg::EdDsa) => k.sign(&input).map_err(err)?,
            (_, Alg::Mac { len }) => input[..len].to_vec(),
            _ => return Err(Error::KeyTypeInconsistent),
        };
        Ok(Zeroizing::new(out))
    }

    /// Check `signature` over everything absorbed.
    pub fn verify(self, signature: &[u8]) -> Result<()> {
        let alg = self.alg;
        let input = Self::input(self.acc)?;
        let err = |e| match e {
            craton_crypto::CryptoError::InvalidLength => Error::SignatureLenRange,
            craton_crypto::CryptoError::BadSignature => Error::SignatureInvalid,
            e => crypto_err(e, false),
        };
        match (&**self.key, alg) {
            (KeyObj::RsaPublic(k), Alg::RsaPkcs) => {
                if input.len() + 11 > k.k() {
                    return Err(Error::DataLenRange);
                }
                k.verify_pkcs1(&input, signature).map_err(err)
            }
            (KeyObj::RsaPublic(k), Alg::RsaRaw) => {
                let want = super::cipher::raw_input(&input, k.k())?;
                let got = k.recover_raw(signature).map_err(err)?;
                digest::verify_mac(&want, &got).map_err(err)
            }
            (KeyObj::RsaPublic(k), Alg::RsaPkcsHash(h)) => {
                k.verify_pkcs1(&h.digest_info(&input), signature).map_err(err)
            }
            (KeyObj::RsaPublic(k), Alg::Pss { hash, mgf, salt }) => {
                if input.len() != hash.output_len() {
                    return Err(Error::DataLenRange);
                }
                k.verify_pss(&input, hash, mgf, salt, signature).map_err(err)
            }
            (KeyObj::EcPublic(k), Alg::Ecdsa) => k.verify_digest(&input, signature).map_err(err),
            (KeyObj::EdPublic(p), Alg::EdDsa) => {
                edwards::ed25519_verify(p, &input, signature).map_err(err)
            }
            (_, Alg::Mac { len }) => {
                if signature.len() != len {
                    return Err(Error::SignatureLenRange);
                }
                digest::verify_mac(&input[..len], signature).map_err(err)
            }
            _ => Err(Error::KeyTypeInconsistent),
        }
    }

    /// C_SignRecover: like sign, for the mechanisms that allow recovery.
    pub fn sign_recover(self) -> Result<Zeroizing<Vec<u8>>> {
        match self.alg {
            Alg::RsaPkcs | Alg::RsaRaw => self.sign(),
            _ => Err(Error::MechanismInvalid),
        }
    }

    /// C_VerifyRecover: the data inside `signature`.
    pub fn verify_recover(self, signature: &[u8]) -> Result<Zeroizing<Vec<u8>>> {
        let KeyObj::RsaPublic(k) = &**self.key else {
            return Err(Error::KeyTypeInconsistent);
        };
        let err = |e| match e {
            craton_crypto::CryptoError::InvalidLength => Error::SignatureLenRange,
            _ => Error::SignatureInvalid,
        };
        let out = match self.alg {
            Alg::RsaPkcs => k.recover_pkcs1(signature).map_err(err)?,
            Alg::RsaRaw => k.recover_raw(signature).map_err(err)?,
            _ => return Err(Error::MechanismInvalid),
        };
        Ok(Zeroizing::new(out))
    }

    /// Signature length for a length query without computing (fixed-size schemes).
    pub fn signature_len(&self) -> Option<usize> {
        Some(match (&**self.key, self.alg) {
            (_, Alg::Mac { len }) => len,
            (KeyObj::RsaPrivate(k), _) => k.public().k(),
            (KeyObj::EcPrivate(k), _) => k.public().curve().signature_len(),
            (KeyObj::EdPrivate(_), _) => 64,
            _ => return None,
        })
    }
}
