//! The PKCS#11 3.0 message-based API: AES-GCM encryption and decryption with per-message
//! parameters (the token can generate the IV), and HMAC signing and verification.
//!
//! Multi-part messages (`*MessageBegin` / `*MessageNext`) are accumulated and processed at the
//! part flagged CKF_END_OF_MESSAGE: the backend's GCM is one-shot.

use std::sync::Arc;

use craton_crypto::aes::gcm::{self, GcmParams};
use craton_crypto::digest::{self, HashAlg};
use pkcs11_sys as sys;
use zeroize::Zeroizing;

use crate::error::{Error, Result};
use crate::keys::KeyObj;
use crate::mechanism::Mechanism;
use crate::module::Module;
use crate::ops::crypto_err;
use crate::ops::sign::hmac_hash;
use crate::types::{AttrType, ObjectHandle, SessionHandle};

/// Which message operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MsgKind {
    /// C_MessageEncrypt*.
    Encrypt,
    /// C_MessageDecrypt*.
    Decrypt,
    /// C_MessageSign*.
    Sign,
    /// C_MessageVerify*.
    Verify,
}

impl MsgKind {
    fn flag(self) -> u64 {
        (match self {
            Self::Encrypt => sys::CKF_MESSAGE_ENCRYPT,
            Self::Decrypt => sys::CKF_MESSAGE_DECRYPT,
            Self::Sign => sys::CKF_MESSAGE_SIGN,
            Self::Verify => sys::CKF_MESSAGE_VERIFY,
        }) as u64
    }

    fn usage(self) -> AttrType {
        match self {
            Self::Encrypt => AttrType::ENCRYPT,
            Self::Decrypt => AttrType::DECRYPT,
            Self::Sign => AttrType::SIGN,
            Self::Verify => AttrType::VERIFY,
        }
    }
}

/// Per-message AES-GCM parameters (CK_GCM_MESSAGE_PARAMS without its pointers).
#[derive(Debug, Clone)]
pub struct GcmMessage {
    /// The IV as the caller passed it (its fixed part, when the token generates the rest).
    pub iv: Vec<u8>,
    /// Leading IV bits the caller fixes when the token generates.
    pub iv_fixed_bits: u64,
    /// `CKG_*` generator.
    pub generator: u64,
    /// Tag length in bits.
    pub tag_bits: u64,
}

/// A message in progress (Begin/Next).
struct Part {
    params: Option<GcmMessage>,
    aad: Vec<u8>,
    data: Zeroizing<Vec<u8>>,
}

/// One message-based operation of a session.
pub struct MsgOp {
    key: Arc<KeyObj>,
    hash: Option<HashAlg>,
    counter: u64,
    part: Option<Part>,
}

/// The session's four message operations.
#[derive(Default)]
pub struct MsgOps {
    ops: [Option<MsgOp>; 4],
}

impl MsgOps {
    fn slot(&mut self, k: MsgKind) -> &mut Option<MsgOp> {
        &mut self.ops[k as usize]
    }

    /// End all (logout, session close).
    pub fn clear(&mut self) {
        self.ops = Default::default();
    }
}

/// The result of encrypting one message.
pub struct Sealed {
    /// The IV used (generated ones included), to return to the caller.
    pub iv: Vec<u8>,
    /// Ciphertext (same length as the plaintext).
    pub ciphertext: Vec<u8>,
    /// The tag.
    pub tag: Vec<u8>,
}

impl MsgOp {
    /// The IV for this message: as given, or with the non-fixed part generated.
    fn iv(&mut self, p: &GcmMessage) -> Result<Vec<u8>> {
        if p.iv.len() != gcm::IV_LEN {
            return Err(Error::MechanismParamInvalid);
        }
        let fixed = (p.iv_fixed_bits / 8) as usize;
        if p.generator != sys::CKG_NO_GENERATE as u64
            && (p.iv_fixed_bits % 8 != 0 || fixed > gcm::IV_LEN - 4)
        {
            return Err(Error::MechanismParamInvalid);
        }
        let mut iv = p.iv.clone();
        match p.generator as sys::CK_GENERATOR_FUNCTION {
            sys::CKG_NO_GENERATE => {}
            sys::CKG_GENERATE | sys::CKG_GENERATE_RANDOM => {
                craton_crypto::rng::fill(&mut iv[fixed..])?;
            }
            sys::CKG_GENERATE_COUNTER => {
                self.counter = self.counter.checked_add(1).ok_or(Error::DataLenRange)?;
                let c = self.counter.to_be_bytes();
                let n = (gcm::IV_LEN - fixed).min(8);
                iv[gcm::IV_LEN - n..].copy_from_slice(&c[8 - n..]);
            }
            _ => return Err(Error::MechanismParamInvalid),
        }
        Ok(iv)
    }

    fn aes(&self) -> Result<&craton_crypto::aes::AesKey> {
        self.key.secret().and_then(|s| s.aes()).ok_or(Error::KeyTypeInconsistent)
    }

    fn seal(&mut self, p: &GcmMessage, aad: &[u8], plaintext: &[u8]) -> Result<Sealed> {
        let iv = self.iv(p)?;
        let params =
            GcmParams::new(&iv, aad, p.tag_bits).map_err(|_| Error::MechanismParamInvalid)?;
        let mut out =
            gcm::seal(self.aes()?, &params, plaintext).map_err(|e| crypto_err(e, false))?;
        let tag = out.split_off(plaintext.len());
        Ok(Sealed { iv, ciphertext: out, tag })
    }

    fn open(
        &self,
        p: &GcmMessage,
        aad: &[u8],
        ct: &[u8],
        tag: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>> {
        let params =
            GcmParams::new(&p.iv, aad, p.tag_bits).map_err(|_| Error::MechanismParamInvalid)?;
        if tag.len() != params.tag_len {
            return Err(Error::MechanismParamInvalid);
        }
        let mut input = Zeroizing::new(ct.to_vec());
        input.extend_from_slice(tag);
        gcm::open(self.aes()?, &params, &input).map(Zeroizing::new).map_err(|e| crypto_err(e, true))
    }

    fn mac(&self, data: &[u8]) -> Result<Vec<u8>> {
        let h = self.hash.ok_or(Error::GeneralError)?;
        let s = self.key.secret().ok_or(Error::KeyTypeInconsistent)?;
        Ok(s.hmac(h).mac(data))
    }
}

impl Module {
    /// C_MessageEncryptInit and friends: mechanism without parameters (they come per message).
    pub fn message_init(
        &self,
        h: SessionHandle,
        kind: MsgKind,
        m: &Mechanism,
        key: ObjectHandle,
    ) -> Result<()> {
        let s = self.session(h)?;
        let slot = s.lock().slot;
        if s.lock().messages.slot(kind).is_some() {
            return Err(Error::OperationActive);
        }
        Self::check_mechanism(m, kind.flag())?;
        let (_, k) =
            self.usable_key(slot, key, Some(kind.usage()), m.ty, Error::KeyHandleInvalid)?;
        let hash = match kind {
            MsgKind::Encrypt | MsgKind::Decrypt => {
                k.secret().and_then(|s| s.aes()).ok_or(Error::KeyTypeInconsistent)?;
                None
            }
            MsgKind::Sign | MsgKind::Verify => {
                let s = k.secret().ok_or(Error::KeyTypeInconsistent)?;
                if !s.key_type.is_hmac() {
                    return Err(Error::KeyTypeInconsistent);
                }
                Some(hmac_hash(m.ty as sys::CK_MECHANISM_TYPE).ok_or(Error::MechanismInvalid)?)
            }
        };
        let mut s = s.lock();
        let slot = s.messages.slot(kind);
        if slot.is_some() {
            return Err(Error::OperationActive);
        }
        *slot = Some(MsgOp { key: k, hash, counter: 0, part: None });
        Ok(())
    }

    fn with_msg<R>(
        &self,
        h: SessionHandle,
        kind: MsgKind,
        f: impl FnOnce(&mut MsgOp) -> Result<R>,
    ) -> Result<R> {
        let s = self.session(h)?;
        let mut s = s.lock();
        let op = s.messages.slot(kind).as_mut().ok_or(Error::OperationNotInitialized)?;
        f(op)
    }

    /// C_EncryptMessage.
    pub fn encrypt_message(
        &self,
        h: SessionHandle,
        p: &GcmMessage,
        aad: &[u8],
        pt: &[u8],
    ) -> Result<Sealed> {
        self.with_msg(h, MsgKind::Encrypt, |op| {
            if op.part.is_some() {
                return Err(Error::OperationActive);
            }
            op.seal(p, aad, pt)
        })
    }

    /// C_DecryptMessage.
    pub fn decrypt_message(
        &self,
        h: SessionHandle,
        p: &GcmMessage,
        aad: &[u8],
        ct: &[u8],
        tag: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>> {
        self.with_msg(h, MsgKind::Decrypt, |op| {
            if op.part.is_some() {
                return Err(Error::OperationActive);
            }
            op.open(p, aad, ct, tag)
        })
    }

    /// C_SignMessage.
    pub fn sign_message(&self, h: SessionHandle, data: &[u8]) -> Result<Vec<u8>> {
        self.with_msg(h, MsgKind::Sign, |op| op.mac(data))
    }

    /// C_VerifyMessage.
    pub fn verify_message(&self, h: SessionHandle, data: &[u8], sig: &[u8]) -> Result<()> {
        self.with_msg(h, MsgKind::Verify, |op| {
            let want = op.mac(data)?;
            if sig.len() != want.len() {
                return Err(Error::SignatureLenRange);
            }
            digest::verify_mac(&want, sig).map_err(|_| Error::SignatureInvalid)
        })
    }

    /// Bytes accumulated so far in the multi-part message of `kind`.
    pub fn message_buffered(&self, h: SessionHandle, kind: MsgKind) -> Result<usize> {
        self.with_msg(h, kind, |op| {
            Ok(op.part.as_ref().ok_or(Error::OperationNotInitialized)?.data.len())
        })
    }

    /// C_*MessageBegin: start a multi-part message.
    pub fn message_begin(
        &self,
        h: SessionHandle,
        kind: MsgKind,
        params: Option<GcmMessage>,
        aad: &[u8],
    ) -> Result<()> {
        self.with_msg(h, kind, |op| {
            if op.part.is_some() {
                return Err(Error::OperationActive);
            }
            op.part = Some(Part { params, aad: aad.to_vec(), data: Zeroizing::new(Vec::new()) });
            Ok(())
        })
    }

    /// C_EncryptMessageNext / C_DecryptMessageNext: absorb a part; at the last one, the
    /// whole message's result (encryption: the sealed message; decryption: the plaintext).
    pub fn message_next(
        &self,
        h: SessionHandle,
        kind: MsgKind,
        part: &[u8],
        last: Option<&[u8]>,
    ) -> Result<Option<MsgResult>> {
        self.with_msg(h, kind, |op| {
            let p = op.part.as_mut().ok_or(Error::OperationNotInitialized)?;
            p.data.extend_from_slice(part);
            let Some(tag_or_sig) = last else { return Ok(None) };
            let p = op.part.take().ok_or(Error::OperationNotInitialized)?;
            Ok(Some(match kind {
                MsgKind::Encrypt => {
                    let params = p.params.ok_or(Error::MechanismParamInvalid)?;
                    MsgResult::Sealed(op.seal(&params, &p.aad, &p.data)?)
                }
                MsgKind::Decrypt => {
                    let params = p.params.ok_or(Error::MechanismParamInvalid)?;
                    MsgResult::Plain(op.open(&params, &p.aad, &p.data, tag_or_sig)?)
                }
                MsgKind::Sign => MsgResult::Mac(op.mac(&p.data)?),
                MsgKind::Verify => {
                    let want = op.mac(&p.data)?;
                    if tag_or_sig.len() != want.len() {
                        return Err(Error::SignatureLenRange);
                    }
                    digest::verify_mac(&want, tag_or_sig).map_err(|_| Error::SignatureInvalid)?;
                    MsgResult::Verified
                }
            }))
        })
    }

    /// C_MessageEncryptFinal and friends.
    pub fn message_final(&self, h: SessionHandle, kind: MsgKind) -> Result<()> {
        let s = self.session(h)?;
        let mut s = s.lock();
        s.messages.slot(kind).take().map(|_| ()).ok_or(Error::OperationNotInitialized)
    }
}

/// What the last part of a multi-part message yields.
pub enum MsgResult {
    /// An encrypted message.
    Sealed(Sealed),
    /// A decrypted message.
    Plain(Zeroizing<Vec<u8>>),
    /// A MAC.
    Mac(Vec<u8>),
    /// A MAC that verified.
    Verified,
}
