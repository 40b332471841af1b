//! Encryption and decryption operations.

use craton_crypto::aes::ccm::{self, CcmParams};
use craton_crypto::aes::cts::CtsOp;
use craton_crypto::aes::gcm::{self, GcmParams};
use craton_crypto::aes::gcm_stream::GcmEncryptor;
use craton_crypto::aes::modes::{BlockOp, Mode};
use craton_crypto::aes::wrap;
use craton_crypto::digest::HashAlg;
use pkcs11_sys as sys;
use zeroize::Zeroizing;

use super::crypto_err;
use crate::error::{Error, Result};
use crate::keys::{KeyObj, KeyRef};
use crate::mechanism::{self, Mechanism, Param};

/// An RSA encryption scheme.
#[derive(Debug, Clone)]
pub enum RsaScheme {
    /// PKCS#1 v1.5.
    Pkcs1,
    /// Raw (RSA_X_509).
    Raw,
    /// OAEP with hash, MGF1 hash and label.
    Oaep(HashAlg, HashAlg, Vec<u8>),
}

enum Kind {
    Block(Box<BlockOp>),
    Cts(Box<CtsOp>),
    Gcm(GcmParams),
    /// Multi-part GCM encryption, streamed (a single-part call stays on the one-shot path).
    GcmStream(Box<GcmEncryptor>),
    Ccm(CcmParams),
    ChaCha {
        nonce: Vec<u8>,
        aad: Vec<u8>,
    },
    Wrap {
        padded: bool,
    },
    Rsa(RsaScheme),
}

/// One encryption or decryption in progress.
pub struct CipherOp {
    key: KeyRef,
    kind: Kind,
    encrypt: bool,
    /// Input held for mechanisms that work on the whole message.
    buf: Zeroizing<Vec<u8>>,
}

fn iv16(p: &Param) -> Result<[u8; 16]> {
    match p {
        Param::Bytes(b) => b.as_slice().try_into().map_err(|_| Error::MechanismParamInvalid),
        _ => Err(Error::MechanismParamInvalid),
    }
}

/// The RSA scheme of an RSA encryption mechanism.
pub fn rsa_scheme(m: &Mechanism) -> Result<RsaScheme> {
    Ok(match m.ty as sys::CK_MECHANISM_TYPE {
        sys::CKM_RSA_PKCS => RsaScheme::Pkcs1,
        sys::CKM_RSA_X_509 => RsaScheme::Raw,
        sys::CKM_RSA_PKCS_OAEP => match &m.param {
            Param::Oaep { hash, mgf, source, label } => {
                let h = mechanism::hash_of(*hash).ok_or(Error::MechanismParamInvalid)?;
                let g = mechanism::mgf_of(*mgf).ok_or(Error::MechanismParamInvalid)?;
                let ok_source =
                    *source == sys::CKZ_DATA_SPECIFIED as u64 || (*source == 0 && label.is_empty());
                if !ok_source {
                    return Err(Error::MechanismParamInvalid);
                }
                RsaScheme::Oaep(h, g, label.clone())
            }
            _ => return Err(Error::MechanismParamInvalid),
        },
        _ => return Err(Error::MechanismInvalid),
    })
}

impl CipherOp {
    /// Start an operation; the caller has checked the key's usage flag.
    pub fn new(m: &Mechanism, key: KeyRef, encrypt: bool) -> Result<Self> {
        let ty = m.ty as sys::CK_MECHANISM_TYPE;
        let kind = match ty {
            sys::CKM_RSA_PKCS | sys::CKM_RSA_X_509 | sys::CKM_RSA_PKCS_OAEP => {
                match (&**key, encrypt) {
                    (KeyObj::RsaPublic(_), true) | (KeyObj::RsaPrivate(_), false) => {}
                    _ => return Err(Error::KeyTypeInconsistent),
                }
                Kind::Rsa(rsa_scheme(m)?)
            }
            sys::CKM_CHACHA20_POLY1305 => {
                key.secret().and_then(|s| s.chacha()).ok_or(Error::KeyTypeInconsistent)?;
                match &m.param {
                    Param::ChaCha { nonce, aad }
                        if nonce.len() == craton_crypto::chacha::NONCE_LEN =>
                    {
                        Kind::ChaCha { nonce: nonce.clone(), aad: aad.clone() }
                    }
                    _ => return Err(Error::MechanismParamInvalid),
                }
            }
            _ => {
                let aes = key.secret().and_then(|s| s.aes()).ok_or(Error::KeyTypeInconsistent)?;
                match ty {
                    sys::CKM_AES_ECB => Kind::Block(Box::new(
                        BlockOp::new(aes, Mode::Ecb, encrypt).map_err(Error::from)?,
                    )),
                    sys::CKM_AES_CBC => {
                        let mode = Mode::Cbc { iv: iv16(&m.param)? };
                        Kind::Block(Box::new(
                            BlockOp::new(aes, mode, encrypt).map_err(Error::from)?,
                        ))
                    }
                    sys::CKM_AES_CBC_PAD => {
                        let mode = Mode::CbcPad { iv: iv16(&m.param)? };
                        Kind::Block(Box::new(
                            BlockOp::new(aes, mode, encrypt).map_err(Error::from)?,
                        ))
                    }
                    sys::CKM_AES_CTR => match &m.param {
                        Param::Ctr { counter_bits, block } => {
                            if !(1..=128).contains(counter_bits) {
                                return Err(Error::MechanismParamInvalid);
                            }
                            let mode =
                                Mode::Ctr { block: *block, counter_bits: *counter_bits as u32 };
                            Kind::Block(Box::new(
                                BlockOp::new(aes, mode, true).map_err(Error::from)?,
                            ))
                        }
                        _ => return Err(Error::MechanismParamInvalid),
                    },
                    sys::CKM_AES_CTS => Kind::Cts(Box::new(
                        CtsOp::new(aes, iv16(&m.param)?, encrypt).map_err(Error::from)?,
                    )),
                    sys::CKM_AES_CCM => match &m.param {
                        Param::Ccm { data_len, nonce, aad, mac_len } => Kind::Ccm(
                            CcmParams::new(nonce, aad, *data_len, *mac_len as usize)
                                .map_err(|_| Error::MechanismParamInvalid)?,
                        ),
                        _ => return Err(Error::MechanismParamInvalid),
                    },
                    sys::CKM_AES_GCM => match &m.param {
                        Param::Gcm { iv, aad, tag_bits } => Kind::Gcm(
                            GcmParams::new(iv, aad, *tag_bits)
                                .map_err(|_| Error::MechanismParamInvalid)?,
                        ),
                        _ => return Err(Error::MechanismParamInvalid),
                    },
                    sys::CKM_AES_KEY_WRAP => {
                        check_wrap_iv(&m.param, false)?;
                        Kind::Wrap { padded: false }
                    }
                    sys::CKM_AES_KEY_WRAP_PAD | sys::CKM_AES_KEY_WRAP_KWP => {
                        check_wrap_iv(&m.param, true)?;
                        Kind::Wrap { padded: true }
                    }
                    _ => return Err(Error::MechanismInvalid),
                }
            }
        };
        Ok(Self { key, kind, encrypt, buf: Zeroizing::new(Vec::new()) })
    }

    /// Whether multi-part calls are allowed.
    pub fn multi_part(&self) -> bool {
        !matches!(self.kind, Kind::Rsa(_))
    }

    /// Process more input (multi-part).
    pub fn update(&mut self, input: &[u8]) -> Result<Zeroizing<Vec<u8>>> {
        let dec = !self.encrypt;
        if let (Kind::Gcm(p), true) = (&self.kind, self.encrypt) {
            let aes = self.key.secret().and_then(|s| s.aes()).ok_or(Error::GeneralError)?;
            let enc = GcmEncryptor::new(aes, p).map_err(|e| crypto_err(e, false))?;
            self.kind = Kind::GcmStream(Box::new(enc));
        }
        match &mut self.kind {
            Kind::Block(b) => b.update(input).map(Zeroizing::new).map_err(|e| crypto_err(e, dec)),
            Kind::Cts(c) => c.update(input).map(Zeroizing::new).map_err(|e| crypto_err(e, dec)),
            Kind::GcmStream(g) => {
                g.update(input).map(Zeroizing::new).map_err(|e| crypto_err(e, dec))
            }
            Kind::Rsa(_) => Err(Error::FunctionNotSupported),
            _ => {
                self.buf.extend_from_slice(input);
                Ok(Zeroizing::new(Vec::new()))
            }
        }
    }

    /// A single-part call: the whole input at once.
    pub fn run(mut self, data: &[u8]) -> Result<Zeroizing<Vec<u8>>> {
        match &mut self.kind {
            Kind::Block(_) | Kind::Cts(_) | Kind::GcmStream(_) => {
                let mut out = self.update(data)?;
                out.extend_from_slice(&self.finish()?);
                Ok(out)
            }
            _ if self.buf.is_empty() => {
                let (kind, key, encrypt) = (self.kind, self.key, self.encrypt);
                Self::whole(kind, &key, encrypt, data)
            }
            _ => {
                self.buf.extend_from_slice(data);
                self.finish()
            }
        }
    }

    /// Single-part encryption written straight into `out` (exactly [`Self::output_len`]
    /// bytes), for the mechanisms that can; `Ok(false)` leaves the work to [`Self::run`].
    pub fn run_into(self, data: &[u8], out: &mut [u8]) -> Result<bool> {
        if !self.encrypt || !self.buf.is_empty() {
            return Ok(false);
        }
        let err = |e| crypto_err(e, false);
        match self.kind {
            Kind::Block(b) => (*b).encrypt_whole_into(data, out).map_err(err)?,
            Kind::Gcm(p) => {
                let aes = self.key.secret().and_then(|s| s.aes()).ok_or(Error::GeneralError)?;
                gcm::seal_into(aes, &p, data, out).map_err(err)?;
            }
            Kind::Ccm(p) => {
                let aes = self.key.secret().and_then(|s| s.aes()).ok_or(Error::GeneralError)?;
                ccm::seal_into(aes, &p, data, out).map_err(err)?;
            }
            Kind::Cts(mut c) => {
                let mut v = c.update(data).map_err(err)?;
                v.extend_from_slice(&(*c).finish().map_err(err)?);
                if v.len() != out.len() {
                    return Err(Error::GeneralError);
                }
                out.copy_from_slice(&v);
            }
            Kind::ChaCha { nonce, aad } => {
                let c = self.key.secret().and_then(|s| s.chacha()).ok_or(Error::GeneralError)?;
                let sealed = c.seal(&nonce, &aad, data).map_err(err)?;
                if sealed.len() != out.len() {
                    return Err(Error::GeneralError);
                }
                out.copy_from_slice(&sealed);
            }
            _ => return Ok(false),
        }
        Ok(true)
    }

    /// Exact output length of a single-part call over `n` bytes, when known in advance
    /// (lets a length query answer without computing).
    pub fn output_len(&self, n: usize) -> Option<usize> {
        match &self.kind {
            Kind::Block(b) if self.encrypt => Some(b.update_len(n) + b.final_len_after(n)),
            Kind::Gcm(p) if self.encrypt => Some(n + p.tag_len),
            Kind::Ccm(p) if self.encrypt => Some(n + p.tag_len()),
            Kind::Cts(_) if self.encrypt && n >= craton_crypto::aes::BLOCK => Some(n),
            Kind::ChaCha { .. } if self.encrypt => Some(n + craton_crypto::chacha::TAG_LEN),
            _ => None,
        }
    }

    /// Finish (multi-part) or run the whole message held so far (single-part).
    pub fn finish(mut self) -> Result<Zeroizing<Vec<u8>>> {
        let data = std::mem::take(&mut self.buf);
        Self::whole(self.kind, &self.key, self.encrypt, &data)
    }

    /// The whole-message mechanisms over `data` (block modes: the final step).
    fn whole(kind: Kind, key: &KeyObj, encrypt: bool, data: &[u8]) -> Result<Zeroizing<Vec<u8>>> {
        let dec = !encrypt;
        let err = |e| crypto_err(e, dec);
        let out = match (kind, key) {
            (Kind::Block(b), _) => (*b).finish().map_err(err)?,
            (Kind::Cts(c), _) => (*c).finish().map_err(err)?,
            (Kind::GcmStream(g), _) => (*g).finish().map_err(err)?,
            (Kind::Ccm(p), k) => {
                let aes = k.secret().and_then(|s| s.aes()).ok_or(Error::GeneralError)?;
                if encrypt { ccm::seal(aes, &p, data) } else { ccm::open(aes, &p, data) }
                    .map_err(err)?
            }
            (Kind::Gcm(p), k) => {
                let aes = k.secret().and_then(|s| s.aes()).ok_or(Error::GeneralError)?;
                if encrypt { gcm::seal(aes, &p, data) } else { gcm::open(aes, &p, data) }
                    .map_err(err)?
            }
            (Kind::ChaCha { nonce, aad }, k) => {
                let c = k.secret().and_then(|s| s.chacha()).ok_or(Error::GeneralError)?;
                if encrypt { c.seal(&nonce, &aad, data) } else { c.open(&nonce, &aad, data) }
                    .map_err(err)?
            }
            (Kind::Wrap { padded }, k) => {
                let aes = k.secret().and_then(|s| s.aes()).ok_or(Error::GeneralError)?;
                if encrypt {
                    wrap::wrap(aes, data, padded)
                } else {
                    wrap::unwrap(aes, data, padded)
                }
                .map_err(|e| match e {
                    craton_crypto::CryptoError::InvalidKey => Error::KeySizeRange,
                    e => err(e),
                })?
            }
            (Kind::Rsa(s), KeyObj::RsaPublic(k)) => match s {
                RsaScheme::Pkcs1 => k.encrypt_pkcs1(data),
                RsaScheme::Raw => k.encrypt_raw(&raw_input(data, k.k())?),
                RsaScheme::Oaep(h, g, l) => k.encrypt_oaep(data, h, g, &l),
            }
            .map_err(err)?,
            (Kind::Rsa(s), KeyObj::RsaPrivate(k)) => {
                let r = match s {
                    RsaScheme::Pkcs1 => k.decrypt_pkcs1(data),
                    RsaScheme::Raw => k.apply_raw(data).map(Zeroizing::new),
                    RsaScheme::Oaep(h, g, l) => k.decrypt_oaep(data, h, g, &l),
                };
                return r.map_err(err);
            }
            _ => return Err(Error::GeneralError),
        };
        Ok(Zeroizing::new(out))
    }
}

fn check_wrap_iv(p: &Param, padded: bool) -> Result<()> {
    // Only the default integrity values of RFC 3394 / RFC 5649 are offered.
    let default: &[u8] = if padded { &[0xa6, 0x59, 0x59, 0xa6] } else { &[0xa6; 8] };
    match p {
        Param::None => Ok(()),
        Param::Bytes(b) if b.is_empty() || b == default => Ok(()),
        _ => Err(Error::MechanismParamInvalid),
    }
}

/// RSA_X_509 input (encryption and signing): shorter data is a smaller integer, left-padded
/// with zeros to the modulus length.
pub(crate) fn raw_input(data: &[u8], k: usize) -> Result<Vec<u8>> {
    if data.len() > k {
        return Err(Error::DataLenRange);
    }
    let mut v = vec![0u8; k - data.len()];
    v.extend_from_slice(data);
    Ok(v)
}
