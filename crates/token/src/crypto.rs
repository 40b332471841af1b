//! The cryptographic functions of a session: *Init resolves the key once (from the cache,
//! with no store query) into a ready-to-use key, and every later call works on the session's
//! operation state alone.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::opstate::DigestOp;
use parking_lot::Mutex;
use pkcs11_sys as sys;
use zeroize::Zeroizing;

use crate::attrs::Attributes;
use crate::cache::TokenCache;
use crate::error::{Error, Result};
use crate::keys::{KeyObj, KeyRef};
use crate::mechanism::{self, Mechanism};
use crate::module::Module;
use crate::ops::cipher::CipherOp;
use crate::ops::sign::SigOp;
use crate::ops::{Active, Out, check_auth, step};
use crate::session::{LastKey, Session};
use crate::types::{AttrType, ObjectClass, ObjectHandle, SessionHandle, SlotId};

/// Which signature-family slot of a session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SigKind {
    /// C_Sign*.
    Sign,
    /// C_Verify*.
    Verify,
    /// C_SignRecover.
    SignRecover,
    /// C_VerifyRecover.
    VerifyRecover,
}

impl SigKind {
    fn slot(self, s: &mut Session) -> &mut Option<Active<SigOp>> {
        match self {
            Self::Sign => &mut s.sign,
            Self::Verify => &mut s.verify,
            Self::SignRecover => &mut s.sign_recover,
            Self::VerifyRecover => &mut s.verify_recover,
        }
    }

    fn flag(self) -> u64 {
        (match self {
            Self::Sign => sys::CKF_SIGN,
            Self::Verify => sys::CKF_VERIFY,
            Self::SignRecover => sys::CKF_SIGN_RECOVER,
            Self::VerifyRecover => sys::CKF_VERIFY_RECOVER,
        }) as u64
    }

    fn usage(self) -> AttrType {
        match self {
            Self::Sign => AttrType::SIGN,
            Self::Verify => AttrType::VERIFY,
            Self::SignRecover => AttrType::SIGN_RECOVER,
            Self::VerifyRecover => AttrType::VERIFY_RECOVER,
        }
    }
}

fn cipher_slot(s: &mut Session, encrypt: bool) -> &mut Option<Active<CipherOp>> {
    if encrypt { &mut s.encrypt } else { &mut s.decrypt }
}

/// Today as CK_DATE digits (UTC), for CKA_START_DATE / CKA_END_DATE.
fn today() -> [u8; 8] {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    // Civil date from days since 1970-01-01 (H. Hinnant's algorithm).
    let z = (secs / 86_400) as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    let s = format!("{y:04}{m:02}{d:02}");
    s.as_bytes().try_into().unwrap_or(*b"19700101")
}

/// A key found in the token cache: attributes, usable key, the cache's generation counter
/// and its value at the lookup.
type Found = (Arc<Attributes>, Arc<KeyObj>, Arc<AtomicU64>, u64);

/// Before a key's first private RSA or ECDSA use in the process, the self-tests deferred to
/// then (craton_crypto::self_test::DEFERRED); a failure latches the module's error state.
pub(crate) fn deferred_self_tests(key: &KeyObj) -> Result<()> {
    if matches!(key, KeyObj::RsaPrivate(_) | KeyObj::EcPrivate(_)) {
        craton_crypto::self_test::ensure_deferred().map_err(|name| {
            log::error!("self-test {name} failed before first use");
            Error::GeneralError
        })?;
    }
    Ok(())
}

/// Usage flag, allowed mechanisms and lifecycle dates.
fn check_key(attrs: &Attributes, usage: Option<AttrType>, mech: u64) -> Result<()> {
    if let Some(u) = usage {
        if attrs.get_bool(u) != Some(true) {
            return Err(Error::KeyFunctionNotPermitted);
        }
    }
    if !mechanism_allowed(attrs, mech) {
        return Err(Error::MechanismInvalid);
    }
    if !dates_allow(attrs) {
        return Err(Error::KeyFunctionNotPermitted);
    }
    Ok(())
}

/// Whether every use of the key needs a context-specific login (private keys only).
fn always_authenticate(attrs: &Attributes) -> bool {
    attrs.get_bool(AttrType::ALWAYS_AUTHENTICATE) == Some(true)
}

/// Whether a key's lifecycle dates allow use today.
pub(crate) fn dates_allow(attrs: &Attributes) -> bool {
    let dated = |t| attrs.get(t).is_some_and(|d: &[u8]| d.len() == 8);
    if !dated(AttrType::START_DATE) && !dated(AttrType::END_DATE) {
        return true;
    }
    let now = today();
    let start_ok = attrs.get(AttrType::START_DATE).is_none_or(|d| d.len() != 8 || d <= &now[..]);
    let end_ok = attrs.get(AttrType::END_DATE).is_none_or(|d| d.len() != 8 || d >= &now[..]);
    start_ok && end_ok
}

/// Passed as the mechanism when a key is only the object of an operation (digested,
/// wrapped), not the key doing the work: CKA_ALLOWED_MECHANISMS does not apply.
pub const ANY_MECHANISM: u64 = u64::MAX;

/// Whether CKA_ALLOWED_MECHANISMS (absent or empty: no restriction) lets `mech` run.
pub(crate) fn mechanism_allowed(attrs: &Attributes, mech: u64) -> bool {
    match attrs.get(AttrType::ALLOWED_MECHANISMS) {
        _ if mech == ANY_MECHANISM => true,
        None => true,
        Some([]) => true,
        Some(list) => list
            .chunks_exact(8)
            .any(|c| c.try_into().map(u64::from_ne_bytes).is_ok_and(|m| m == mech)),
    }
}

impl Module {
    fn session_slot(&self, h: SessionHandle) -> Result<(Arc<Mutex<Session>>, SlotId)> {
        let s = self.session(h)?;
        let slot = s.lock().slot;
        Ok((s, slot))
    }

    /// The visible key object behind `key`: its attributes, its usable key, and the token
    /// cache's generation counter with the value it had at the lookup.
    fn lookup_key(&self, slot: SlotId, key: ObjectHandle, not_found: Error) -> Result<Found> {
        if TokenCache::slot_of(key) != Some(slot) {
            return Err(not_found);
        }
        let lookup = |t: &Arc<parking_lot::RwLock<TokenCache>>| {
            let c = t.read();
            let seen = c.generation.load(Ordering::Acquire);
            c.visible(key).and_then(|e| {
                Some((e.attrs.clone()?, e.material.clone(), c.generation.clone(), seen))
            })
        };
        let found = match lookup(&self.token_cached(slot)?) {
            Some(f) => f,
            None => lookup(&self.token(slot)?).ok_or(not_found)?,
        };
        let (attrs, material, generation, seen) = found;
        let class = ObjectClass(attrs.get_ulong(AttrType::CLASS).unwrap_or(0));
        if !class.is_key() {
            return Err(not_found);
        }
        let obj = material.get_or_init(|| KeyObj::from_attrs(&attrs).map(Arc::new)).clone()?;
        Ok((attrs, obj, generation, seen))
    }

    /// The visible key object behind `key` with its attributes and usable key, after the
    /// checks every operation makes: a key of the session's token, `usage` set, `mech`
    /// allowed, inside its lifecycle dates.
    pub(crate) fn usable_key(
        &self,
        slot: SlotId,
        key: ObjectHandle,
        usage: Option<AttrType>,
        mech: u64,
        not_found: Error,
    ) -> Result<(Arc<Attributes>, Arc<KeyObj>)> {
        let (attrs, obj, _, _) = self.lookup_key(slot, key, not_found)?;
        check_key(&attrs, usage, mech)?;
        Ok((attrs, obj))
    }

    /// [`Self::usable_key`] for an `*Init`: the session's last key is reused while the token
    /// cache has not changed (no lock beyond the session's own, no shared reference count).
    /// Returns the key and whether it is CKA_ALWAYS_AUTHENTICATE.
    fn session_key(
        &self,
        s: &Mutex<Session>,
        slot: SlotId,
        key: ObjectHandle,
        usage: AttrType,
        mech: u64,
    ) -> Result<(KeyRef, bool)> {
        {
            let sess = s.lock();
            if let Some(c) = sess.last_key.as_ref().and_then(|c| c.get(key)) {
                check_key(&c.attrs, Some(usage), mech)?;
                return Ok((c.key.clone(), always_authenticate(&c.attrs)));
            }
        }
        let (attrs, obj, generation, seen) = self.lookup_key(slot, key, Error::KeyHandleInvalid)?;
        check_key(&attrs, Some(usage), mech)?;
        deferred_self_tests(&obj)?;
        let key_ref: KeyRef = Arc::new(obj);
        let aa = always_authenticate(&attrs);
        s.lock().last_key =
            Some(LastKey { handle: key, generation, seen, attrs, key: key_ref.clone() });
        Ok((key_ref, aa))
    }

    /// The mechanism is offered, for the function `flag` names.
    pub(crate) fn check_mechanism(m: &Mechanism, flag: u64) -> Result<()> {
        match mechanism::info(m.ty) {
            Some(i) if i.flags & flag != 0 => Ok(()),
            _ => Err(Error::MechanismInvalid),
        }
    }

    /// C_EncryptInit / C_DecryptInit.
    pub fn cipher_init(
        &self,
        h: SessionHandle,
        m: &Mechanism,
        key: ObjectHandle,
        encrypt: bool,
    ) -> Result<()> {
        let (s, slot) = self.session_slot(h)?;
        if cipher_slot(&mut s.lock(), encrypt).is_some() {
            return Err(Error::OperationActive);
        }
        let (flag, usage) = match encrypt {
            true => (sys::CKF_ENCRYPT as u64, AttrType::ENCRYPT),
            false => (sys::CKF_DECRYPT as u64, AttrType::DECRYPT),
        };
        Self::check_mechanism(m, flag)?;
        let (k, aa) = self.session_key(&s, slot, key, usage, m.ty)?;
        let op = CipherOp::new(m, k, encrypt)?;
        let mut s = s.lock();
        let slot = cipher_slot(&mut s, encrypt);
        if slot.is_some() {
            return Err(Error::OperationActive);
        }
        let mut active = Active::new(op);
        active.needs_auth = !encrypt && aa;
        *slot = Some(active);
        Ok(())
    }

    /// C_Encrypt / C_Decrypt (single part). `direct` is the caller's output buffer when it
    /// may be written in place (it does not overlap the input); `cap` its capacity.
    pub fn cipher(
        &self,
        h: SessionHandle,
        encrypt: bool,
        data: &[u8],
        cap: Option<usize>,
        direct: Option<&mut [u8]>,
    ) -> Result<Out> {
        let s = self.session(h)?;
        let mut s = s.lock();
        let slot = cipher_slot(&mut s, encrypt);
        check_auth(slot)?;
        let active = slot.as_mut().ok_or(Error::OperationNotInitialized)?;
        if active.updated {
            return Err(Error::OperationActive);
        }
        // Fast path: a fresh single-part encryption of known length into a big enough
        // buffer is computed in place, with no intermediate copy.
        if let (Some(out), None) = (direct, &active.pending) {
            if let Some(n) = active.op.as_ref().and_then(|op| op.output_len(data.len())) {
                if out.len() >= n {
                    let op = active.op.take().ok_or(Error::OperationNotInitialized)?;
                    let r = op.run_into(data, &mut out[..n]);
                    *slot = None;
                    return match r {
                        Ok(true) => Ok(Out::Written(n)),
                        Ok(false) => Err(Error::GeneralError),
                        Err(e) => Err(e),
                    };
                }
            }
        }
        let known = |op: &CipherOp| op.output_len(data.len());
        step(slot, cap, true, known, |a| {
            a.op.take().ok_or(Error::OperationNotInitialized)?.run(data)
        })
    }

    /// C_EncryptUpdate / C_DecryptUpdate.
    pub fn cipher_update(
        &self,
        h: SessionHandle,
        encrypt: bool,
        data: &[u8],
        cap: Option<usize>,
    ) -> Result<Out> {
        let s = self.session(h)?;
        let mut s = s.lock();
        check_auth(cipher_slot(&mut s, encrypt))?;
        step(
            cipher_slot(&mut s, encrypt),
            cap,
            false,
            |_| None,
            |a| {
                let op = a.op.as_mut().ok_or(Error::OperationNotInitialized)?;
                if !op.multi_part() {
                    return Err(Error::FunctionNotSupported);
                }
                a.updated = true;
                op.update(data)
            },
        )
    }

    /// C_EncryptFinal / C_DecryptFinal.
    pub fn cipher_final(&self, h: SessionHandle, encrypt: bool, cap: Option<usize>) -> Result<Out> {
        let s = self.session(h)?;
        let mut s = s.lock();
        check_auth(cipher_slot(&mut s, encrypt))?;
        step(
            cipher_slot(&mut s, encrypt),
            cap,
            true,
            |_| None,
            |a| a.op.take().ok_or(Error::OperationNotInitialized)?.finish(),
        )
    }

    /// C_Login(CKU_CONTEXT_SPECIFIC): the user PIN again, for the operation just started
    /// with a CKA_ALWAYS_AUTHENTICATE key.
    pub(crate) fn context_login(&self, h: SessionHandle, pin: &[u8]) -> Result<()> {
        let (s, slot) = self.session_slot(h)?;
        if !self.token(slot)?.read().user_logged_in() {
            return Err(Error::UserNotLoggedIn);
        }
        let waiting = |s: &Session| {
            s.decrypt.as_ref().is_some_and(|a| a.needs_auth)
                || s.sign.as_ref().is_some_and(|a| a.needs_auth)
                || s.sign_recover.as_ref().is_some_and(|a| a.needs_auth)
        };
        if !waiting(&s.lock()) {
            return Err(Error::OperationNotInitialized);
        }
        // The same PIN checks as C_Login: back-off, failure count, lockout.
        self.verify_pin(slot, crate::store::Role::User, pin)?;
        let mut s = s.lock();
        if let Some(a) = s.decrypt.as_mut() {
            a.needs_auth = false;
        }
        if let Some(a) = s.sign.as_mut() {
            a.needs_auth = false;
        }
        if let Some(a) = s.sign_recover.as_mut() {
            a.needs_auth = false;
        }
        Ok(())
    }

    /// C_DigestInit.
    pub fn digest_init(&self, h: SessionHandle, m: &Mechanism) -> Result<()> {
        let s = self.session(h)?;
        let mut s = s.lock();
        if s.digest.is_some() {
            return Err(Error::OperationActive);
        }
        Self::check_mechanism(m, sys::CKF_DIGEST as u64)?;
        if !matches!(m.param, mechanism::Param::None) {
            return Err(Error::MechanismParamInvalid);
        }
        let alg = mechanism::hash_of(m.ty).ok_or(Error::MechanismInvalid)?;
        s.digest = Some(Active::new(DigestOp::new(alg)));
        Ok(())
    }

    /// C_Digest.
    pub fn digest(&self, h: SessionHandle, data: &[u8], cap: Option<usize>) -> Result<Out> {
        let s = self.session(h)?;
        let mut s = s.lock();
        if s.digest.as_ref().is_some_and(|a| a.updated) {
            return Err(Error::OperationActive);
        }
        step(
            &mut s.digest,
            cap,
            true,
            |h: &DigestOp| Some(h.alg().output_len()),
            |a| {
                let mut hs = a.op.take().ok_or(Error::OperationNotInitialized)?;
                hs.update(data);
                Ok(Zeroizing::new(hs.finish()))
            },
        )
    }

    /// C_DigestUpdate.
    pub fn digest_update(&self, h: SessionHandle, data: &[u8]) -> Result<()> {
        let s = self.session(h)?;
        let mut s = s.lock();
        let a = s.digest.as_mut().ok_or(Error::OperationNotInitialized)?;
        a.updated = true;
        a.op.as_mut().ok_or(Error::OperationNotInitialized)?.update(data);
        Ok(())
    }

    /// C_DigestKey: absorb a secret key's value.
    pub fn digest_key(&self, h: SessionHandle, key: ObjectHandle) -> Result<()> {
        let (s, slot) = self.session_slot(h)?;
        if s.lock().digest.is_none() {
            return Err(Error::OperationNotInitialized);
        }
        let r = self.usable_key(slot, key, None, ANY_MECHANISM, Error::KeyHandleInvalid);
        let r = r.and_then(|(_, k)| {
            k.secret().map(|s| s.bytes().to_vec()).ok_or(Error::KeyIndigestible)
        });
        let mut s = s.lock();
        match r {
            Ok(bytes) => {
                let a = s.digest.as_mut().ok_or(Error::OperationNotInitialized)?;
                a.updated = true;
                a.op.as_mut().ok_or(Error::OperationNotInitialized)?.update_secret(&bytes);
                Ok(())
            }
            Err(e) => {
                s.digest = None;
                Err(e)
            }
        }
    }

    /// C_DigestFinal.
    pub fn digest_final(&self, h: SessionHandle, cap: Option<usize>) -> Result<Out> {
        let s = self.session(h)?;
        let mut s = s.lock();
        step(
            &mut s.digest,
            cap,
            true,
            |h: &DigestOp| Some(h.alg().output_len()),
            |a| Ok(Zeroizing::new(a.op.take().ok_or(Error::OperationNotInitialized)?.finish())),
        )
    }

    /// C_SignInit / C_VerifyInit / C_SignRecoverInit / C_VerifyRecoverInit.
    pub fn sig_init(
        &self,
        h: SessionHandle,
        kind: SigKind,
        m: &Mechanism,
        key: ObjectHandle,
    ) -> Result<()> {
        let (s, slot) = self.session_slot(h)?;
        if kind.slot(&mut s.lock()).is_some() {
            return Err(Error::OperationActive);
        }
        Self::check_mechanism(m, kind.flag())?;
        let (k, aa) = self.session_key(&s, slot, key, kind.usage(), m.ty)?;
        let signing = matches!(kind, SigKind::Sign | SigKind::SignRecover);
        let op = SigOp::new(m, k, signing)?;
        let mut s = s.lock();
        let slot = kind.slot(&mut s);
        if slot.is_some() {
            return Err(Error::OperationActive);
        }
        let mut active = Active::new(op);
        active.needs_auth = signing && aa;
        *slot = Some(active);
        Ok(())
    }

    /// C_Sign / C_SignRecover (single part).
    pub fn sign(
        &self,
        h: SessionHandle,
        kind: SigKind,
        data: &[u8],
        cap: Option<usize>,
    ) -> Result<Out> {
        let s = self.session(h)?;
        let mut s = s.lock();
        let slot = kind.slot(&mut s);
        check_auth(slot)?;
        if slot.as_ref().is_some_and(|a| a.updated) {
            return Err(Error::OperationActive);
        }
        let known = |op: &SigOp| if kind == SigKind::Sign { op.signature_len() } else { None };
        step(slot, cap, true, known, |a| {
            let mut op = a.op.take().ok_or(Error::OperationNotInitialized)?;
            op.absorb_all(data)?;
            if kind == SigKind::SignRecover { op.sign_recover() } else { op.sign() }
        })
    }

    /// C_SignUpdate / C_VerifyUpdate.
    pub fn sig_update(&self, h: SessionHandle, kind: SigKind, data: &[u8]) -> Result<()> {
        let s = self.session(h)?;
        let mut s = s.lock();
        let slot = kind.slot(&mut s);
        check_auth(slot)?;
        let a = slot.as_mut().ok_or(Error::OperationNotInitialized)?;
        a.updated = true;
        let r = a.op.as_mut().ok_or(Error::OperationNotInitialized)?.update(data);
        if r.is_err() {
            *slot = None;
        }
        r
    }

    /// C_SignFinal.
    pub fn sign_final(&self, h: SessionHandle, cap: Option<usize>) -> Result<Out> {
        let s = self.session(h)?;
        let mut s = s.lock();
        check_auth(&s.sign)?;
        step(&mut s.sign, cap, true, SigOp::signature_len, |a| {
            a.op.take().ok_or(Error::OperationNotInitialized)?.sign()
        })
    }

    /// C_Verify (single part).
    pub fn verify(&self, h: SessionHandle, data: &[u8], signature: &[u8]) -> Result<()> {
        let s = self.session(h)?;
        let mut s = s.lock();
        if s.verify.as_ref().is_some_and(|a| a.updated) {
            return Err(Error::OperationActive);
        }
        let a = s.verify.take().ok_or(Error::OperationNotInitialized)?;
        let mut op = a.op.ok_or(Error::OperationNotInitialized)?;
        op.absorb_all(data)?;
        op.verify(signature)
    }

    /// C_VerifyFinal.
    pub fn verify_final(&self, h: SessionHandle, signature: &[u8]) -> Result<()> {
        let s = self.session(h)?;
        let mut s = s.lock();
        let a = s.verify.take().ok_or(Error::OperationNotInitialized)?;
        a.op.ok_or(Error::OperationNotInitialized)?.verify(signature)
    }

    /// C_VerifyRecover.
    pub fn verify_recover(
        &self,
        h: SessionHandle,
        signature: &[u8],
        cap: Option<usize>,
    ) -> Result<Out> {
        let s = self.session(h)?;
        let mut s = s.lock();
        step(
            &mut s.verify_recover,
            cap,
            true,
            |_| None,
            |a| a.op.take().ok_or(Error::OperationNotInitialized)?.verify_recover(signature),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::attrs::ulong_bytes;

    #[test]
    fn today_is_a_plausible_date() {
        let t = today();
        assert!(t.iter().all(u8::is_ascii_digit));
        assert!(&t[..] >= b"20250101".as_slice());
    }

    #[test]
    fn dates_and_allowed_mechanisms() {
        let mut a = Attributes::new();
        assert!(dates_allow(&a) && mechanism_allowed(&a, 5));
        a.set(AttrType::END_DATE, b"20000101".to_vec());
        assert!(!dates_allow(&a));
        a.set(AttrType::END_DATE, Vec::new());
        a.set(AttrType::START_DATE, b"99990101".to_vec());
        assert!(!dates_allow(&a));
        let mut list = ulong_bytes(1);
        list.extend(ulong_bytes(5));
        a.set(AttrType::ALLOWED_MECHANISMS, list);
        assert!(mechanism_allowed(&a, 5) && !mechanism_allowed(&a, 2));
    }
}
