//! Creating the store directory safely: 0700, no symbolic links on the way.

use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::path::{Component, Path, PathBuf};

/// Create `dir` (and missing parents) with mode 0700, refusing any path that traverses a
/// symbolic link. Returns a message for the log on failure.
pub fn ensure_store_dir(dir: &Path) -> Result<(), String> {
    if !dir.is_absolute() {
        return Err(format!("storage path {} is not absolute", dir.display()));
    }
    let mut walked = PathBuf::new();
    for comp in dir.components() {
        if matches!(comp, Component::ParentDir) {
            return Err(format!("storage path {} contains '..'", dir.display()));
        }
        walked.push(comp);
        match std::fs::symlink_metadata(&walked) {
            Ok(meta) if meta.file_type().is_symlink() => {
                return Err(format!(
                    "storage path {} traverses the symbolic link {}; refusing",
                    dir.display(),
                    walked.display()
                ));
            }
            Ok(meta) if !meta.is_dir() => {
                return Err(format!("{} is not a directory", walked.display()));
            }
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                std::fs::DirBuilder::new()
                    .mode(0o700)
                    .create(&walked)
                    .or_else(|e| if walked.is_dir() { Ok(()) } else { Err(e) })
                    .map_err(|e| format!("cannot create {}: {e}", walked.display()))?;
            }
            Err(e) => return Err(format!("cannot inspect {}: {e}", walked.display())),
        }
    }
    let meta = std::fs::metadata(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    if meta.permissions().mode() & 0o077 != 0 {
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
            .map_err(|e| format!("cannot restrict {} to 0700: {e}", dir.display()))?;
    }
    Ok(())
}

/// Restrict an existing file to 0600 (SQLite creates its files with the umask).
pub fn restrict_file(path: &Path) {
    if path.exists() {
        if let Err(e) = std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)) {
            log::warn!("cannot restrict {} to 0600: {e}", path.display());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn creates_private_dir() {
        let t = tempfile::tempdir().unwrap();
        let d = t.path().join("a/b");
        ensure_store_dir(&d).unwrap();
        let mode = std::fs::metadata(&d).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o700);
    }

    #[test]
    fn refuses_symlink() {
        let t = tempfile::tempdir().unwrap();
        let real = t.path().join("real");
        std::fs::create_dir(&real).unwrap();
        std::os::unix::fs::symlink(&real, t.path().join("link")).unwrap();
        let e = ensure_store_dir(&t.path().join("link/store")).unwrap_err();
        assert!(e.contains("symbolic link"), "{e}");
    }
}
