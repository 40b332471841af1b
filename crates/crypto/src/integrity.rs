//! Integrity of the shipped library: an HMAC-SHA256 over the library file's bytes, kept in a
//! sidecar file `<library>.hmac` (64 hex digits). The key is fixed and public: this detects
//! modification (a corrupted or patched file), it does not prove who built it.

use std::path::{Path, PathBuf};

use aws_lc_rs::hmac;

const KEY: &[u8] = b"craton-hsm library integrity v1";

/// What the check found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Integrity {
    /// The sidecar matches the file.
    Verified,
    /// No sidecar (a development build).
    Unsealed,
    /// The sidecar does not match: the file changed after sealing.
    Mismatch,
    /// The file or sidecar could not be read or parsed.
    Unreadable(String),
}

/// The sidecar path for `library`.
pub fn sidecar(library: &Path) -> PathBuf {
    let mut p = library.as_os_str().to_owned();
    p.push(".hmac");
    PathBuf::from(p)
}

/// The integrity value of `bytes`, as hex.
pub fn mac_hex(bytes: &[u8]) -> String {
    let key = hmac::Key::new(hmac::HMAC_SHA256, KEY);
    hmac::sign(&key, bytes).as_ref().iter().map(|b| format!("{b:02x}")).collect()
}

/// Write the sidecar for `library`.
pub fn seal(library: &Path) -> std::io::Result<PathBuf> {
    let bytes = std::fs::read(library)?;
    let out = sidecar(library);
    std::fs::write(&out, format!("{}\n", mac_hex(&bytes)))?;
    Ok(out)
}

/// Check `library` against its sidecar.
pub fn verify(library: &Path) -> Integrity {
    let side = sidecar(library);
    let expected = match std::fs::read_to_string(&side) {
        Ok(s) => s.trim().to_owned(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Integrity::Unsealed,
        Err(e) => return Integrity::Unreadable(format!("{}: {e}", side.display())),
    };
    if expected.len() != 64 || !expected.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Integrity::Unreadable(format!("{}: not a 64-digit hex value", side.display()));
    }
    match std::fs::read(library) {
        Ok(bytes) => {
            let got = mac_hex(&bytes);
            // Both values are public; a plain comparison leaks nothing.
            if got.eq_ignore_ascii_case(&expected) {
                Integrity::Verified
            } else {
                Integrity::Mismatch
            }
        }
        Err(e) => Integrity::Unreadable(format!("{}: {e}", library.display())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seal_verify_tamper() {
        let d = tempfile::tempdir().unwrap();
        let lib = d.path().join("lib.so");
        std::fs::write(&lib, b"library bytes").unwrap();
        assert_eq!(verify(&lib), Integrity::Unsealed);
        seal(&lib).unwrap();
        assert_eq!(verify(&lib), Integrity::Verified);
        std::fs::write(&lib, b"library bytes!").unwrap();
        assert_eq!(verify(&lib), Integrity::Mismatch);
        std::fs::write(sidecar(&lib), "zz").unwrap();
        assert!(matches!(verify(&lib), Integrity::Unreadable(_)));
    }
}
