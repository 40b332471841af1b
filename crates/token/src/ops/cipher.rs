//! Encryption and decryption operations.

use craton_crypto::aes::ccm::{self, CcmParams};
use craton_crypto::aes::cts::CtsOp;
use craton_crypto::aes::gcm::{self, GcmParams};
use craton_crypto::aes::gcm_stream::GcmEncryptor;
use craton_crypto::aes::modes::{BlockOp, Mode};
use craton_crypto::aes::wrap;
use craton_crypto::chacha_stream::ChaCha20Stream;
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
    /// A stream cipher (CKM_CHACHA20): every input byte gives one output byte at once.
    Stream(Box<ChaCha20Stream>),
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
            sys::CKM_CHACHA20 => Kind::Stream(Box::new(chacha20_stream(m, &key)?)),
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
            Kind::Stream(c) => {
                let mut out = Zeroizing::new(input.to_vec());
                c.apply(&mut out).map_err(|e| crypto_err(e, dec))?;
                Ok(out)
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
            Kind::Block(_) | Kind::Cts(_) | Kind::GcmStream(_) | Kind::Stream(_) => {
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

    /// Single-part encryption (and, for the stream cipher, decryption too) written straight
    /// into `out` (exactly [`Self::output_len`] bytes), for the mechanisms that can;
    /// `Ok(false)` leaves the work to [`Self::run`].
    pub fn run_into(self, data: &[u8], out: &mut [u8]) -> Result<bool> {
        if let Kind::Stream(mut c) = self.kind {
            // Both directions: the keystream is applied in the caller's buffer.
            if out.len() != data.len() || !self.buf.is_empty() {
                return Err(Error::GeneralError);
            }
            out.copy_from_slice(data);
            return match c.apply(out) {
                Ok(()) => Ok(true),
                Err(e) => {
                    out.fill(0);
                    Err(crypto_err(e, !self.encrypt))
                }
            };
        }
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
            Kind::Stream(_) => Some(n),
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
            // Nothing held back: every byte came out of its update.
            (Kind::Stream(_), _) => Vec::new(),
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

/// The keystream of CKM_CHACHA20: a CKK_CHACHA20 key and a CK_CHACHA20_PARAMS of one of the
/// two layouts PKCS#11 3.0 allows (96-bit nonce with a 32-bit counter, 64-bit nonce with a
/// 64-bit counter; the counter's bytes little-endian).
fn chacha20_stream(m: &Mechanism, key: &KeyObj) -> Result<ChaCha20Stream> {
    let secret = key
        .secret()
        .filter(|s| s.key_type == crate::types::KeyType::CHACHA20)
        .ok_or(Error::KeyTypeInconsistent)?;
    let Param::ChaCha20 { counter, counter_bits, nonce } = &m.param else {
        return Err(Error::MechanismParamInvalid);
    };
    ChaCha20Stream::new(secret.bytes(), nonce, counter, *counter_bits).map_err(|e| match e {
        craton_crypto::CryptoError::InvalidParameter => Error::MechanismParamInvalid,
        e => crypto_err(e, false),
    })
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

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::attrs::{Attributes, ulong_bytes};
    use crate::types::{AttrType, KeyType, ObjectClass};

    fn secret(kt: KeyType, value: &[u8]) -> KeyRef {
        let mut a = Attributes::new();
        a.set(AttrType::CLASS, ulong_bytes(ObjectClass::SECRET_KEY.0));
        a.set(AttrType::KEY_TYPE, ulong_bytes(kt.0));
        a.set(AttrType::VALUE, value.to_vec());
        Arc::new(Arc::new(KeyObj::from_attrs(&a).unwrap()))
    }

    fn chacha20(counter: &[u8], bits: u64, nonce: &[u8]) -> Mechanism {
        Mechanism {
            ty: sys::CKM_CHACHA20 as u64,
            param: Param::ChaCha20 {
                counter: counter.to_vec(),
                counter_bits: bits,
                nonce: nonce.to_vec(),
            },
        }
    }

    #[test]
    fn chacha20_streams_both_ways() {
        let key = secret(KeyType::CHACHA20, &[5; 32]);
        let m = chacha20(&[1, 0, 0, 0], 32, &[6; 12]);
        let data: Vec<u8> = (0..300u32).map(|i| i as u8).collect();
        let whole = CipherOp::new(&m, key.clone(), true).unwrap().run(&data).unwrap();
        assert_eq!(whole.len(), data.len());
        for encrypt in [true, false] {
            let input = if encrypt { &data } else { &*whole };
            let op = CipherOp::new(&m, key.clone(), encrypt).unwrap();
            assert_eq!(op.output_len(input.len()), Some(input.len()));
            let mut out = vec![0u8; input.len()];
            assert_eq!(op.run_into(input, &mut out), Ok(true));
            let want = if encrypt { &*whole } else { &data };
            assert_eq!(&out, want);
            let mut op = CipherOp::new(&m, key.clone(), encrypt).unwrap();
            let mut parts = Vec::new();
            for chunk in input.chunks(37) {
                let o = op.update(chunk).unwrap();
                assert_eq!(o.len(), chunk.len(), "each update gives back as much as it got");
                parts.extend_from_slice(&o);
            }
            assert!(op.finish().unwrap().is_empty());
            assert_eq!(&parts, want);
        }
    }

    #[test]
    fn chacha20_refuses_bad_keys_parameters_and_running_out() {
        let key = secret(KeyType::CHACHA20, &[5; 32]);
        let aes = secret(KeyType::AES, &[5; 32]);
        let good = chacha20(&[0; 8], 64, &[1; 8]);
        assert_eq!(CipherOp::new(&good, aes, true).err(), Some(Error::KeyTypeInconsistent));
        for bad in [
            chacha20(&[0; 4], 32, &[1; 8]),
            chacha20(&[0; 8], 64, &[1; 12]),
            chacha20(&[0; 4], 64, &[1; 8]),
            chacha20(&[0; 8], 32, &[1; 12]),
            chacha20(&[0; 8], 64, &[1; 24]),
            Mechanism { ty: sys::CKM_CHACHA20 as u64, param: Param::None },
        ] {
            assert_eq!(
                CipherOp::new(&bad, key.clone(), true).err(),
                Some(Error::MechanismParamInvalid),
                "{bad:?}"
            );
        }
        let last = chacha20(&[0xff; 4], 32, &[1; 12]);
        let op = CipherOp::new(&last, key.clone(), true).unwrap();
        assert_eq!(op.run(&[0; 65]).err(), Some(Error::DataLenRange));
        let op = CipherOp::new(&last, key.clone(), false).unwrap();
        assert_eq!(op.run_into(&[0; 65], &mut [0; 65]), Err(Error::EncryptedDataLenRange));
        let mut op = CipherOp::new(&last, key, true).unwrap();
        assert_eq!(op.update(&[0; 64]).unwrap().len(), 64);
        assert_eq!(op.update(&[0; 1]).err(), Some(Error::DataLenRange));
    }
}
