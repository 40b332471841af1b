//! C_GetOperationState / C_SetOperationState for digests.
//!
//! The backend cannot export a hash's internal state, so a digest operation keeps the data
//! it has absorbed (up to [`SAVEABLE_MAX`]; beyond that, or after C_DigestKey, its state
//! becomes unsaveable). The saved state is that data, its algorithm and whether an update
//! happened, authenticated with HMAC-SHA256 under a key that lives only in this process: a
//! state can be restored in the process that saved it and nowhere else, and any change to
//! it is refused as CKR_SAVED_STATE_INVALID.

use std::sync::OnceLock;

use craton_crypto::digest::{self, HashAlg, Hasher, HmacKey};
use zeroize::Zeroizing;

use crate::error::{Error, Result};
use crate::module::Module;
use crate::ops::Active;
use crate::types::{ObjectHandle, SessionHandle};

/// Most data a digest operation keeps so that its state can be saved.
pub const SAVEABLE_MAX: usize = 16 * 1024;

const MAGIC: &[u8] = b"craton-hsm digest state v1";
const MAC_LEN: usize = 32;

/// A digest in progress.
pub struct DigestOp {
    hasher: Hasher,
    /// Everything absorbed so far, while the state can still be saved.
    absorbed: Option<Zeroizing<Vec<u8>>>,
}

impl DigestOp {
    /// Start a digest.
    pub fn new(alg: HashAlg) -> Self {
        Self { hasher: Hasher::new(alg), absorbed: Some(Zeroizing::new(Vec::new())) }
    }

    /// The algorithm.
    pub fn alg(&self) -> HashAlg {
        self.hasher.alg()
    }

    /// Absorb data.
    pub fn update(&mut self, data: &[u8]) {
        self.hasher.update(data);
        if let Some(a) = &mut self.absorbed {
            if a.len() + data.len() <= SAVEABLE_MAX {
                a.extend_from_slice(data);
            } else {
                self.absorbed = None;
            }
        }
    }

    /// Absorb key material: never kept, so the state is no longer saveable.
    pub fn update_secret(&mut self, data: &[u8]) {
        self.hasher.update(data);
        self.absorbed = None;
    }

    /// The digest.
    pub fn finish(self) -> Vec<u8> {
        self.hasher.finish()
    }
}

fn process_key() -> Result<&'static HmacKey> {
    static KEY: OnceLock<HmacKey> = OnceLock::new();
    if let Some(k) = KEY.get() {
        return Ok(k);
    }
    let bytes = Zeroizing::new(craton_crypto::rng::array::<32>()?);
    Ok(KEY.get_or_init(|| HmacKey::new(HashAlg::Sha256, &*bytes)))
}

impl Module {
    /// C_GetOperationState: the session's digest state (other operations cannot be saved).
    pub fn get_operation_state(&self, h: SessionHandle) -> Result<Vec<u8>> {
        let s = self.session(h)?;
        let s = s.lock();
        let others = s.encrypt.is_some()
            || s.decrypt.is_some()
            || s.sign.is_some()
            || s.verify.is_some()
            || s.sign_recover.is_some()
            || s.verify_recover.is_some();
        let Some(a) = s.digest.as_ref() else {
            return Err(if others {
                Error::StateUnsaveable
            } else {
                Error::OperationNotInitialized
            });
        };
        let op = a.op.as_ref().ok_or(Error::OperationNotInitialized)?;
        let absorbed = op.absorbed.as_ref().ok_or(Error::StateUnsaveable)?;
        if others {
            return Err(Error::StateUnsaveable);
        }
        let alg = HashAlg::ALL.iter().position(|x| *x == op.alg()).ok_or(Error::GeneralError)?;
        let mut blob = MAGIC.to_vec();
        blob.push(alg as u8);
        blob.push(u8::from(a.updated));
        blob.extend_from_slice(absorbed);
        let mac = process_key()?.mac(&blob);
        blob.extend_from_slice(&mac);
        Ok(blob)
    }

    /// C_SetOperationState: restore a digest saved by this process.
    pub fn set_operation_state(
        &self,
        h: SessionHandle,
        blob: &[u8],
        encryption_key: ObjectHandle,
        authentication_key: ObjectHandle,
    ) -> Result<()> {
        let s = self.session(h)?;
        if encryption_key != 0 || authentication_key != 0 {
            return Err(Error::KeyNotNeeded);
        }
        let invalid = Error::SavedStateInvalid;
        if blob.len() < MAGIC.len() + 2 + MAC_LEN || !blob.starts_with(MAGIC) {
            return Err(invalid);
        }
        let (body, mac) = blob.split_at(blob.len() - MAC_LEN);
        digest::verify_mac(&process_key()?.mac(body), mac).map_err(|_| invalid)?;
        let alg = *HashAlg::ALL.get(usize::from(body[MAGIC.len()])).ok_or(invalid)?;
        let updated = body[MAGIC.len() + 1] != 0;
        let mut op = DigestOp::new(alg);
        op.update(&body[MAGIC.len() + 2..]);
        let mut active = Active::new(op);
        active.updated = updated;
        s.lock().digest = Some(active);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn absorbed_data_is_kept_only_while_saveable() {
        let mut d = DigestOp::new(HashAlg::Sha256);
        d.update(b"abc");
        assert_eq!(d.absorbed.as_deref().map(Vec::as_slice), Some(&b"abc"[..]));
        d.update(&vec![0; SAVEABLE_MAX]);
        assert!(d.absorbed.is_none());
        let mut d = DigestOp::new(HashAlg::Sha256);
        d.update_secret(b"key");
        assert!(d.absorbed.is_none(), "key material never enters a saved state");
    }
}
