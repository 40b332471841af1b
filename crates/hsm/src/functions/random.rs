//! C_GenerateRandom and C_SeedRandom.

use craton_token::Error;
use pkcs11_sys::*;

use crate::state::{self, guard};

/// Largest single request served (a larger one is CKR_ARGUMENTS_BAD rather than a huge
/// allocation in the host process).
const MAX_RANDOM: usize = 1 << 30;

/// Random bytes from the module's random source.
///
/// # Safety
/// Pointer arguments must satisfy the PKCS#11 specification of this function.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn C_GenerateRandom(
    hSession: CK_SESSION_HANDLE,
    RandomData: CK_BYTE_PTR,
    ulRandomLen: CK_ULONG,
) -> CK_RV {
    guard("C_GenerateRandom", || {
        let m = state::module()?;
        let len = usize::try_from(ulRandomLen).map_err(|_| Error::ArgumentsBad)?;
        if len > MAX_RANDOM || (RandomData.is_null() && len > 0) {
            m.check_session(hSession)?;
            return Err(Error::ArgumentsBad);
        }
        // SAFETY: RandomData is non-NULL when len > 0 (checked above) and, per the spec,
        // writable for ulRandomLen bytes that nothing else accesses during the call.
        let out = unsafe { crate::ptr::slice_mut(RandomData, ulRandomLen) }?;
        m.generate_random(hSession, out)?;
        Ok(())
    })
}

/// Mix caller data into the session thread's DRBG as additional input to a reseed with
/// fresh entropy (never the only entropy).
///
/// # Safety
/// Pointer arguments must satisfy the PKCS#11 specification of this function.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn C_SeedRandom(
    hSession: CK_SESSION_HANDLE,
    pSeed: CK_BYTE_PTR,
    ulSeedLen: CK_ULONG,
) -> CK_RV {
    guard("C_SeedRandom", || {
        let m = state::module()?;
        m.check_session(hSession)?;
        // SAFETY: pSeed covers ulSeedLen bytes when non-NULL.
        let seed = unsafe { crate::ptr::slice(pSeed, ulSeedLen) }?;
        m.seed_random(hSession, seed)
    })
}
