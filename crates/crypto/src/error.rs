//! The one error type of the crypto crate.

use std::fmt;

/// Why a cryptographic operation failed. Deliberately coarse: callers map each to a CKR code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CryptoError {
    /// Authenticated decryption failed: wrong key, or the data or AAD was altered.
    AuthenticationFailed,
    /// An input had a length the algorithm does not accept.
    InvalidLength,
    /// A parameter (cost, size) is outside what the algorithm accepts.
    InvalidParameter,
    /// The random source could not deliver.
    RandomFailure,
    /// Encoded input (DER, padding) is malformed.
    InvalidEncoding,
    /// A signature or MAC did not verify.
    BadSignature,
    /// Key material is malformed or inconsistent.
    InvalidKey,
    /// The backend failed for no reason we can name.
    Backend,
}

impl fmt::Display for CryptoError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = match self {
            Self::AuthenticationFailed => "authentication failed",
            Self::InvalidLength => "invalid length",
            Self::InvalidParameter => "invalid parameter",
            Self::RandomFailure => "random source failure",
            Self::InvalidEncoding => "invalid encoding",
            Self::BadSignature => "signature invalid",
            Self::InvalidKey => "invalid key",
            Self::Backend => "backend failure",
        };
        f.write_str(text)
    }
}

impl std::error::Error for CryptoError {}

impl From<aws_lc_rs::error::Unspecified> for CryptoError {
    fn from(_: aws_lc_rs::error::Unspecified) -> Self {
        Self::Backend
    }
}

impl From<aws_lc_rs::error::KeyRejected> for CryptoError {
    fn from(_: aws_lc_rs::error::KeyRejected) -> Self {
        Self::InvalidKey
    }
}
