//! PIN policy: the master key wrapped under each PIN, length rules and login back-off.

use std::time::Duration;

use craton_crypto::pin_kdf::{self, PinKdfParams, SALT_LEN};
use craton_crypto::{aead, rng};
use zeroize::Zeroizing;

use crate::config::Security;
use crate::error::{Error, Result};
use crate::store::{PinRecord, Role};

/// The token master key (AES-256), zeroized on drop.
pub type MasterKey = Zeroizing<[u8; 32]>;

fn aad(uid: &[u8], role: Role) -> Vec<u8> {
    let mut a = b"craton-hsm master-key v1 ".to_vec();
    a.extend_from_slice(uid);
    a.push(match role {
        Role::So => b'S',
        Role::User => b'U',
    });
    a
}

/// A fresh master key from the module's random source.
pub fn new_master_key() -> Result<MasterKey> {
    let mut k = Zeroizing::new([0u8; 32]);
    rng::fill(k.as_mut())?;
    Ok(k)
}

/// Seal `mk` under a key derived from `pin`. Returns (salt, wrapped).
pub fn wrap(
    pin: &[u8],
    kdf: PinKdfParams,
    uid: &[u8],
    role: Role,
    mk: &MasterKey,
) -> Result<(Vec<u8>, Vec<u8>)> {
    let salt: [u8; SALT_LEN] = rng::array()?;
    let kek = pin_kdf::derive(pin, &salt, kdf)?;
    let wrapped = aead::seal(&kek, &aad(uid, role), mk.as_ref())?;
    Ok((salt.to_vec(), wrapped))
}

/// Unwrap with `pin`: `None` means the PIN is wrong (the seal did not authenticate).
pub fn unwrap(
    pin: &[u8],
    kdf: PinKdfParams,
    uid: &[u8],
    role: Role,
    rec: &PinRecord,
) -> Result<Option<MasterKey>> {
    let kek = pin_kdf::derive(pin, &rec.salt, kdf)?;
    match aead::open(&kek, &aad(uid, role), &rec.wrapped) {
        Ok(plain) => {
            let plain = Zeroizing::new(plain);
            let mut mk = Zeroizing::new([0u8; 32]);
            if plain.len() != 32 {
                return Err(Error::GeneralError);
            }
            mk.copy_from_slice(&plain);
            Ok(Some(mk))
        }
        Err(_) => Ok(None),
    }
}

/// Reject a PIN being set whose length is outside the policy.
pub fn check_length(pin: &[u8], sec: &Security) -> Result<()> {
    if (sec.min_pin_length..=sec.max_pin_length).contains(&pin.len()) {
        Ok(())
    } else {
        Err(Error::PinLenRange)
    }
}

/// Delay owed after `failures` consecutive failures: base, doubling, capped.
pub fn delay_after(failures: u32, sec: &Security) -> Duration {
    if failures == 0 {
        return Duration::ZERO;
    }
    let shift = (failures - 1).min(32);
    let ms = sec.backoff_base_ms.saturating_mul(1u64 << shift).min(sec.backoff_cap_ms);
    Duration::from_millis(ms)
}

/// How long the next attempt must still wait, given when the last failure happened.
pub fn remaining_wait(rec: &PinRecord, sec: &Security, now_ms: i64) -> Duration {
    let owed = delay_after(rec.failures, sec);
    let elapsed = u64::try_from(now_ms.saturating_sub(rec.last_failure_ms)).unwrap_or(0);
    owed.saturating_sub(Duration::from_millis(elapsed))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sec() -> Security {
        crate::config::Config::from_toml("", None).unwrap().security
    }

    #[test]
    fn backoff_doubles_and_caps() {
        let s = sec();
        let ms: Vec<u128> = (0..9).map(|n| delay_after(n, &s).as_millis()).collect();
        assert_eq!(ms, vec![0, 100, 200, 400, 800, 1600, 3200, 5000, 5000]);
        assert_eq!(delay_after(u32::MAX, &s).as_millis(), 5000);
    }

    #[test]
    fn remaining_wait_counts_elapsed_time() {
        let s = sec();
        let rec = PinRecord {
            salt: vec![],
            wrapped: vec![],
            failures: 2,
            last_failure_ms: 1000,
            locked: false,
        };
        assert_eq!(remaining_wait(&rec, &s, 1050).as_millis(), 150);
        assert_eq!(remaining_wait(&rec, &s, 5000), Duration::ZERO);
    }

    #[test]
    fn wrap_unwrap() {
        let kdf = PinKdfParams { memory_kib: 8, iterations: 1, parallelism: 1 };
        let mk = new_master_key().unwrap();
        let (salt, wrapped) = wrap(b"1234", kdf, b"uid", Role::User, &mk).unwrap();
        let rec = PinRecord { salt, wrapped, failures: 0, last_failure_ms: 0, locked: false };
        assert_eq!(*unwrap(b"1234", kdf, b"uid", Role::User, &rec).unwrap().unwrap(), *mk);
        assert!(unwrap(b"1235", kdf, b"uid", Role::User, &rec).unwrap().is_none());
        assert!(unwrap(b"1234", kdf, b"uid", Role::So, &rec).unwrap().is_none());
    }

    #[test]
    fn length_policy() {
        let s = sec();
        assert_eq!(check_length(b"123", &s), Err(Error::PinLenRange));
        assert!(check_length(b"1234", &s).is_ok());
    }
}
