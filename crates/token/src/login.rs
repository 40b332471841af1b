//! Token initialization, login, logout and PIN management.
//!
//! Argon2 and the back-off sleep run with no lock held: other sessions and other tokens keep
//! working while one login is being decided.

use std::time::Duration;

use zeroize::Zeroizing;

use crate::cache::Login;
use crate::error::{Error, Result};
use crate::module::Module;
use crate::pin::{self, MasterKey};
use crate::store::{NewToken, Role};
use crate::types::{SessionHandle, SlotId, UserType};

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

fn role_name(role: Role) -> &'static str {
    match role {
        Role::So => "SO",
        Role::User => "user",
    }
}

impl Module {
    /// Check `pin` for `role`, waiting out the back-off first. Returns the master key and the
    /// token identity it belongs to. Failures are counted in the store.
    pub(crate) fn verify_pin(
        &self,
        slot: SlotId,
        role: Role,
        pin: &[u8],
    ) -> Result<(MasterKey, Vec<u8>)> {
        let sec = self.config.security;
        loop {
            let rec = self.store.token(slot)?.ok_or(Error::TokenNotRecognized)?;
            let pr = match role {
                Role::So => rec.so.clone(),
                Role::User => rec.user.clone().ok_or(Error::UserPinNotInitialized)?,
            };
            if pr.locked {
                return Err(Error::PinLocked);
            }
            let wait = pin::remaining_wait(&pr, &sec, now_ms());
            if wait > Duration::ZERO {
                std::thread::sleep(wait);
                continue; // another process may have failed or locked meanwhile
            }
            return match pin::unwrap(pin, rec.kdf, &rec.uid, role, &pr)? {
                Some(mk) => {
                    if pr.failures > 0 {
                        self.store.reset_failures(slot, role)?;
                    }
                    Ok((mk, rec.uid))
                }
                None => {
                    let (n, locked) =
                        self.store.record_failure(slot, role, sec.max_failed_logins)?;
                    if locked {
                        log::warn!(
                            "slot {slot}: {} PIN locked after {n} failed attempts",
                            role_name(role)
                        );
                        Err(Error::PinLocked)
                    } else {
                        log::info!(
                            "slot {slot}: incorrect {} PIN ({n} consecutive failures)",
                            role_name(role)
                        );
                        Err(Error::PinIncorrect)
                    }
                }
            };
        }
    }

    /// C_InitToken: a new token, or a re-initialization (with the current SO PIN) that erases
    /// every object and the user PIN. The slot ID and serial number stay.
    pub fn init_token(&self, slot: SlotId, so_pin: &[u8], label: &[u8; 32]) -> Result<()> {
        self.check_slot(slot)?;
        if self.session_counts(slot).0 > 0 {
            return Err(Error::SessionExists);
        }
        self.init_token_inner(slot, so_pin, label, true)
    }

    /// Operator recovery (the admin CLI, with access to the store): re-initialize without the
    /// current SO PIN — the way out of a locked SO PIN. Every object of the token is destroyed.
    pub fn force_init_token(&self, slot: SlotId, so_pin: &[u8], label: &[u8; 32]) -> Result<()> {
        self.check_slot(slot)?;
        if self.session_counts(slot).0 > 0 {
            return Err(Error::SessionExists);
        }
        log::warn!("slot {slot}: token re-initialized by the operator without the SO PIN");
        self.init_token_inner(slot, so_pin, label, false)
    }

    fn init_token_inner(
        &self,
        slot: SlotId,
        so_pin: &[u8],
        label: &[u8; 32],
        verify: bool,
    ) -> Result<()> {
        let existing = self.store.token(slot)?;
        let serial = match &existing {
            Some(rec) => {
                if verify {
                    self.verify_pin(slot, Role::So, so_pin)?;
                } else {
                    pin::check_length(so_pin, &self.config.security)?;
                }
                rec.serial.clone()
            }
            None => {
                pin::check_length(so_pin, &self.config.security)?;
                let bytes: [u8; 8] = craton_crypto::rng::array()?;
                bytes.iter().map(|b| format!("{b:02x}")).collect()
            }
        };
        let kdf = self.config.security.pin_kdf;
        let uid: [u8; 16] = craton_crypto::rng::array()?;
        let mk = pin::new_master_key()?;
        let (salt, wrapped) = pin::wrap(so_pin, kdf, &uid, Role::So, &mk)?;
        let new = NewToken {
            uid: &uid,
            serial: &serial,
            label,
            kdf,
            so_salt: &salt,
            so_wrapped: &wrapped,
        };
        let replaces = existing.as_ref().map(|r| r.uid.as_slice());
        if !self.store.init_token(slot, replaces, &new)? {
            log::warn!("slot {slot}: initialized by another process meanwhile; nothing changed");
            return Err(Error::FunctionFailed);
        }
        // Old records are gone from the WAL too, not only from the database pages.
        self.store.checkpoint()?;
        let t = self.token(slot)?;
        t.write().reset(uid.to_vec());
        self.invalidate();
        log::info!("slot {slot}: token initialized");
        Ok(())
    }

    /// C_Login / C_LoginUser (user names are not supported and are ignored).
    pub fn login(&self, h: SessionHandle, user_type: UserType, pin: &[u8]) -> Result<()> {
        let slot = self.session(h)?.lock().slot;
        let role = match user_type {
            UserType::SO => Role::So,
            UserType::USER => Role::User,
            UserType::CONTEXT_SPECIFIC => return self.context_login(h, pin),
            _ => return Err(Error::UserTypeInvalid),
        };
        let t = self.token(slot)?;
        let check_state = |login: Option<Role>| match login {
            Some(r) if r == role => Err(Error::UserAlreadyLoggedIn),
            Some(_) => Err(Error::UserAnotherAlreadyLoggedIn),
            None => Ok(()),
        };
        check_state(t.read().login.as_ref().map(|l| l.role))?;
        let (all, rw) = self.session_counts(slot);
        if role == Role::So && all > rw {
            return Err(Error::SessionReadOnlyExists);
        }
        let (mk, uid) = self.verify_pin(slot, role, pin)?;
        // Synchronise again: the store may have moved on while Argon2 ran.
        let t = self.token(slot)?;
        let mut cache = t.write();
        check_state(cache.login.as_ref().map(|l| l.role))?;
        if cache.uid != uid {
            return Err(Error::TokenNotRecognized);
        }
        cache.set_login(Login::new(role, &mk))?;
        log::info!("slot {slot}: {} logged in", role_name(role));
        Ok(())
    }

    /// C_Logout: every session of the token returns to a public state and loses its
    /// operations.
    pub fn logout(&self, h: SessionHandle) -> Result<()> {
        let slot = self.session(h)?.lock().slot;
        let t = self.token(slot)?;
        {
            let mut cache = t.write();
            if cache.login.is_none() {
                return Err(Error::UserNotLoggedIn);
            }
            cache.logout()?;
        }
        let sessions = self.sessions.all();
        for s in sessions {
            let mut s = s.lock();
            if s.slot == slot {
                s.end_operations();
            }
        }
        Ok(())
    }

    fn master_key_of(&self, slot: SlotId, want: Option<Role>) -> Result<(MasterKey, Vec<u8>)> {
        let t = self.token(slot)?;
        let cache = t.read();
        match &cache.login {
            Some(l) if want.is_none_or(|r| r == l.role) => {
                Ok((Zeroizing::new(*l.master_key()?), cache.uid.clone()))
            }
            _ => Err(Error::UserNotLoggedIn),
        }
    }

    fn store_new_pin(
        &self,
        slot: SlotId,
        uid: &[u8],
        role: Role,
        new_pin: &[u8],
        mk: &MasterKey,
    ) -> Result<()> {
        let kdf = self.store.token(slot)?.ok_or(Error::TokenNotRecognized)?.kdf;
        let (salt, wrapped) = pin::wrap(new_pin, kdf, uid, role, mk)?;
        if !self.store.set_pin(slot, uid, role, &salt, &wrapped)? {
            // The token was re-initialized underneath us.
            return Err(Error::TokenNotRecognized);
        }
        self.invalidate();
        Ok(())
    }

    /// C_InitPIN: the SO sets (or resets, unlocking) the user PIN.
    pub fn init_pin(&self, h: SessionHandle, new_pin: &[u8]) -> Result<()> {
        let (slot, rw) = {
            let s = self.session(h)?;
            let s = s.lock();
            (s.slot, s.rw)
        };
        let (mk, uid) = self.master_key_of(slot, Some(Role::So))?;
        if !rw {
            return Err(Error::SessionReadOnly);
        }
        pin::check_length(new_pin, &self.config.security)?;
        self.store_new_pin(slot, &uid, Role::User, new_pin, &mk)?;
        log::info!("slot {slot}: user PIN initialized by the SO");
        Ok(())
    }

    /// C_SetPIN: the logged-in role's PIN, or the user's from a public session.
    pub fn set_pin(&self, h: SessionHandle, old_pin: &[u8], new_pin: &[u8]) -> Result<()> {
        let (slot, rw) = {
            let s = self.session(h)?;
            let s = s.lock();
            (s.slot, s.rw)
        };
        if !rw {
            return Err(Error::SessionReadOnly);
        }
        let role = {
            let t = self.token(slot)?;
            let cache = t.read();
            cache.login.as_ref().map_or(Role::User, |l| l.role)
        };
        pin::check_length(new_pin, &self.config.security)?;
        let (mk, uid) = self.verify_pin(slot, role, old_pin)?;
        self.store_new_pin(slot, &uid, role, new_pin, &mk)?;
        log::info!("slot {slot}: {} PIN changed", role_name(role));
        Ok(())
    }
}
