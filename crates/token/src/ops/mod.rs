//! Active cryptographic operations of a session and the two-call output convention.

pub mod cipher;
pub mod sign;

use zeroize::Zeroizing;

use crate::error::{Error, Result};

/// An operation with the state PKCS#11 tracks around it.
pub struct Active<T> {
    /// The operation (taken by the call that finishes it).
    pub op: Option<T>,
    /// Output computed for a call whose buffer was missing or short, returned next time.
    pub(crate) pending: Option<Zeroizing<Vec<u8>>>,
    /// An `*Update` has been called (one-shot calls are then refused).
    pub updated: bool,
    /// The key is CKA_ALWAYS_AUTHENTICATE and no context-specific login happened yet.
    pub needs_auth: bool,
}

impl<T> Active<T> {
    /// A fresh operation.
    pub fn new(op: T) -> Self {
        Self { op: Some(op), pending: None, updated: false, needs_auth: false }
    }
}

/// Refuse to use an operation whose key still waits for its context-specific login (the
/// operation stays active so the application can log in and retry).
pub fn check_auth<T>(slot: &Option<Active<T>>) -> Result<()> {
    match slot {
        Some(a) if a.needs_auth => Err(Error::UserNotLoggedIn),
        _ => Ok(()),
    }
}

/// What a call with an output buffer of `cap` bytes (None: length query) gets.
#[derive(Debug)]
pub enum Out {
    /// The needed length; the operation stays active (NULL buffer or short buffer).
    Len(usize),
    /// The output, which fits.
    Data(Zeroizing<Vec<u8>>),
    /// This many bytes were written straight into the caller's buffer.
    Written(usize),
}

/// Run one step of the operation in `slot` under the two-call convention.
///
/// `last` marks a call that ends the operation on success. Any error other than a short
/// buffer ends it too.
pub fn step<T>(
    slot: &mut Option<Active<T>>,
    cap: Option<usize>,
    last: bool,
    known_len: impl FnOnce(&T) -> Option<usize>,
    compute: impl FnOnce(&mut Active<T>) -> Result<Zeroizing<Vec<u8>>>,
) -> Result<Out> {
    let active = slot.as_mut().ok_or(Error::OperationNotInitialized)?;
    if active.pending.is_none() {
        // A length query whose answer is known in advance costs no computation.
        if let Some(n) = active.op.as_ref().and_then(known_len) {
            if cap.is_none_or(|c| c < n) {
                return Ok(Out::Len(n));
            }
        }
    }
    let data = match active.pending.take() {
        Some(d) => d,
        None => match compute(active) {
            Ok(d) => d,
            Err(e) => {
                *slot = None;
                return Err(e);
            }
        },
    };
    match cap {
        Some(c) if c >= data.len() => {
            if last {
                *slot = None;
            }
            Ok(Out::Data(data))
        }
        _ => {
            let n = data.len();
            active.pending = Some(data);
            Ok(Out::Len(n))
        }
    }
}

/// Map a crypto failure during an operation to the CKR the spec names for it.
pub fn crypto_err(e: craton_crypto::CryptoError, decrypting: bool) -> Error {
    use craton_crypto::CryptoError as C;
    match e {
        C::InvalidLength if decrypting => Error::EncryptedDataLenRange,
        C::InvalidLength => Error::DataLenRange,
        C::InvalidEncoding | C::AuthenticationFailed if decrypting => Error::EncryptedDataInvalid,
        C::InvalidEncoding | C::AuthenticationFailed => Error::DataInvalid,
        C::BadSignature => Error::SignatureInvalid,
        C::InvalidParameter => Error::MechanismParamInvalid,
        C::InvalidKey => Error::KeySizeRange,
        C::RandomFailure | C::Backend => Error::from(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_call_convention() {
        let mut slot = Some(Active::new(0u32));
        let mut computed = 0;
        let mut f = |a: &mut Active<u32>| {
            computed += 1;
            a.op.take();
            Ok(Zeroizing::new(vec![1, 2, 3]))
        };
        assert!(matches!(step(&mut slot, None, true, |_| None, &mut f), Ok(Out::Len(3))));
        assert!(matches!(step(&mut slot, Some(2), true, |_| None, &mut f), Ok(Out::Len(3))));
        assert!(
            matches!(step(&mut slot, Some(3), true, |_| None, &mut f), Ok(Out::Data(d)) if d.len() == 3)
        );
        assert!(slot.is_none());
        assert_eq!(computed, 1, "the output is computed once and held for the second call");
        let mut slot = Some(Active::new(0u32));
        let r = step(&mut slot, Some(9), true, |_| None, |_| Err(Error::DataLenRange));
        assert_eq!(r.err(), Some(Error::DataLenRange));
        assert!(slot.is_none(), "an error ends the operation");
        let mut slot = Some(Active::new(0u32));
        let r = step(&mut slot, None, true, |_| Some(5), |_| Err(Error::GeneralError));
        assert!(matches!(r, Ok(Out::Len(5))), "a known length needs no computation");
        assert!(slot.is_some());
    }
}
