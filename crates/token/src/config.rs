//! Module configuration: a TOML file found in a fixed order, or the built-in defaults.
//!
//! Lookup (first existing file wins): `$CRATON_HSM_CONF` (must exist when set),
//! `craton-hsm.toml` beside the loaded library, `$XDG_CONFIG_HOME/craton-hsm/config.toml`
//! (`~/.config/...`), `/etc/craton-hsm/config.toml`. With none, every key has its default and
//! the store lives in `$XDG_DATA_HOME/craton-hsm` (`~/.local/share/craton-hsm`).

use std::fmt;
use std::path::{Path, PathBuf};

use craton_crypto::pin_kdf::PinKdfParams;
use serde::Deserialize;

/// Name of the environment variable that names the configuration file.
pub const ENV_CONF: &str = "CRATON_HSM_CONF";
/// File name looked for beside the library.
pub const BESIDE_LIBRARY: &str = "craton-hsm.toml";

/// The whole configuration, after validation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// Where it came from (`None`: built-in defaults).
    pub source: Option<PathBuf>,
    /// Token store directory.
    pub storage_path: PathBuf,
    /// Sessions per token (R/O and R/W together).
    pub max_sessions: u64,
    /// `Some(n)`: exactly slots `0..n`. `None`: initialized tokens plus one free slot.
    pub slots: Option<u64>,
    /// PIN and login policy.
    pub security: Security,
    /// Log level name (`off`, `error`, `warn`, `info`, `debug`, `trace`).
    pub log_level: String,
}

/// `[security]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Security {
    /// Consecutive failures that lock a PIN.
    pub max_failed_logins: u32,
    /// Shortest PIN accepted when a PIN is set.
    pub min_pin_length: usize,
    /// Longest PIN accepted.
    pub max_pin_length: usize,
    /// Delay after the first failure; it doubles with each further one.
    pub backoff_base_ms: u64,
    /// Upper bound of the delay.
    pub backoff_cap_ms: u64,
    /// Argon2id cost for PINs set from now on.
    pub pin_kdf: PinKdfParams,
    /// Approved mode: the library's integrity sidecar is mandatory and test hooks are refused.
    pub approved_mode: bool,
}

/// A configuration problem, naming the file and the key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// The file (or the variable) at fault.
    pub file: String,
    /// The key, dotted (`security.max_failed_logins`), or empty for a syntax error.
    pub key: String,
    /// What was wrong.
    pub problem: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.key.is_empty() {
            write!(f, "config {}: {}", self.file, self.problem)
        } else {
            write!(f, "config {}: {}: {}", self.file, self.key, self.problem)
        }
    }
}

impl std::error::Error for ConfigError {}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    token: RawToken,
    #[serde(default)]
    security: RawSecurity,
    #[serde(default)]
    log: RawLog,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawToken {
    storage_path: Option<PathBuf>,
    max_sessions: Option<u64>,
    slots: Option<u64>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawSecurity {
    max_failed_logins: Option<u32>,
    min_pin_length: Option<usize>,
    max_pin_length: Option<usize>,
    backoff_base_ms: Option<u64>,
    backoff_cap_ms: Option<u64>,
    argon2_memory_kib: Option<u32>,
    argon2_iterations: Option<u32>,
    argon2_parallelism: Option<u32>,
    approved_mode: Option<bool>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawLog {
    level: Option<String>,
}

impl Config {
    /// Find and load the configuration. `library_dir` is the directory of the loaded library.
    pub fn discover(library_dir: Option<&Path>) -> Result<Self, ConfigError> {
        if let Some(path) = std::env::var_os(ENV_CONF) {
            let path = PathBuf::from(path);
            if !path.is_file() {
                return Err(ConfigError {
                    file: path.display().to_string(),
                    key: String::new(),
                    problem: format!("named by {ENV_CONF} but not a readable file"),
                });
            }
            return Self::load(&path);
        }
        for candidate in candidates(library_dir) {
            if candidate.is_file() {
                return Self::load(&candidate);
            }
        }
        Self::from_toml("", None)
    }

    /// Load one file.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError {
            file: path.display().to_string(),
            key: String::new(),
            problem: format!("cannot read: {e}"),
        })?;
        Self::from_toml(&text, Some(path))
    }

    /// Parse and validate TOML text; `source` names it in errors.
    pub fn from_toml(text: &str, source: Option<&Path>) -> Result<Self, ConfigError> {
        let file = source.map_or_else(|| "<defaults>".to_owned(), |p| p.display().to_string());
        let err = |key: &str, problem: String| ConfigError {
            file: file.clone(),
            key: key.to_owned(),
            problem,
        };
        let raw: RawFile = toml::from_str(text).map_err(|e| {
            let (key, line) = e.span().map_or((String::new(), 0), |sp| key_at(text, sp.start));
            let problem = e.message().replace('\n', " ");
            let problem = if line > 0 { format!("{problem} (line {line})") } else { problem };
            err(&key, problem)
        })?;
        let defaults = PinKdfParams::default();
        let security = Security {
            max_failed_logins: raw.security.max_failed_logins.unwrap_or(10),
            min_pin_length: raw.security.min_pin_length.unwrap_or(4),
            max_pin_length: raw.security.max_pin_length.unwrap_or(64),
            backoff_base_ms: raw.security.backoff_base_ms.unwrap_or(100),
            backoff_cap_ms: raw.security.backoff_cap_ms.unwrap_or(5000),
            pin_kdf: PinKdfParams {
                memory_kib: raw.security.argon2_memory_kib.unwrap_or(defaults.memory_kib),
                iterations: raw.security.argon2_iterations.unwrap_or(defaults.iterations),
                parallelism: raw.security.argon2_parallelism.unwrap_or(defaults.parallelism),
            },
            approved_mode: raw.security.approved_mode.unwrap_or(false),
        };
        let s = &security;
        if !(1..=1000).contains(&s.max_failed_logins) {
            return Err(err("security.max_failed_logins", "must be between 1 and 1000".into()));
        }
        if s.min_pin_length == 0 || s.min_pin_length > s.max_pin_length {
            return Err(err(
                "security.min_pin_length",
                "must be at least 1 and not above security.max_pin_length".into(),
            ));
        }
        if s.max_pin_length > 1024 {
            return Err(err("security.max_pin_length", "must be at most 1024".into()));
        }
        if s.backoff_cap_ms < s.backoff_base_ms || s.backoff_cap_ms > 600_000 {
            return Err(err(
                "security.backoff_cap_ms",
                "must be at least security.backoff_base_ms and at most 600000".into(),
            ));
        }
        if s.pin_kdf.memory_kib < 8 * s.pin_kdf.parallelism.max(1) || s.pin_kdf.memory_kib > 4 << 20
        {
            return Err(err(
                "security.argon2_memory_kib",
                "must be between 8 x parallelism and 4194304".into(),
            ));
        }
        if !(1..=100).contains(&s.pin_kdf.iterations) {
            return Err(err("security.argon2_iterations", "must be between 1 and 100".into()));
        }
        if !(1..=64).contains(&s.pin_kdf.parallelism) {
            return Err(err("security.argon2_parallelism", "must be between 1 and 64".into()));
        }
        let max_sessions = raw.token.max_sessions.unwrap_or(256);
        if !(1..=1_000_000).contains(&max_sessions) {
            return Err(err("token.max_sessions", "must be between 1 and 1000000".into()));
        }
        if let Some(n) = raw.token.slots {
            if !(1..=64).contains(&n) {
                return Err(err("token.slots", "must be between 1 and 64".into()));
            }
        }
        let storage_path = match raw.token.storage_path {
            Some(p) if p.is_relative() => {
                return Err(err("token.storage_path", "must be an absolute path".into()));
            }
            Some(p) => p,
            None => default_storage_path()
                .ok_or_else(|| err("token.storage_path", "no HOME to default to; set it".into()))?,
        };
        let log_level = raw.log.level.unwrap_or_else(|| "warn".to_owned());
        if !["off", "error", "warn", "info", "debug", "trace"].contains(&log_level.as_str()) {
            return Err(err("log.level", format!("unknown level {log_level:?}")));
        }
        Ok(Self {
            source: source.map(Path::to_path_buf),
            storage_path,
            max_sessions,
            slots: raw.token.slots,
            security,
            log_level,
        })
    }
}

/// The dotted key (`table.key`) written at byte `pos` of `text`, and its 1-based line.
fn key_at(text: &str, pos: usize) -> (String, usize) {
    let pos = pos.min(text.len());
    let line_start = text[..pos].rfind('\n').map_or(0, |i| i + 1);
    let line_no = text[..line_start].matches('\n').count() + 1;
    let line = text[line_start..].lines().next().unwrap_or("");
    let table = text[..line_start]
        .lines()
        .rev()
        .map(str::trim)
        .find(|l| l.starts_with('[') && l.ends_with(']'))
        .map(|l| l.trim_matches(|c| c == '[' || c == ']').trim().to_owned());
    let trimmed = line.trim();
    let key = if trimmed.starts_with('[') {
        trimmed.trim_matches(|c| c == '[' || c == ']').trim().to_owned()
    } else {
        let name = trimmed.split('=').next().unwrap_or("").trim();
        match table {
            Some(t) if !name.is_empty() => format!("{t}.{name}"),
            _ => name.to_owned(),
        }
    };
    (key, line_no)
}

fn env_dir(var: &str, home_suffix: &str) -> Option<PathBuf> {
    match std::env::var_os(var) {
        Some(v) if Path::new(&v).is_absolute() => Some(PathBuf::from(v)),
        _ => std::env::var_os("HOME").map(|h| PathBuf::from(h).join(home_suffix)),
    }
}

fn candidates(library_dir: Option<&Path>) -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Some(dir) = library_dir {
        out.push(dir.join(BESIDE_LIBRARY));
    }
    if let Some(dir) = env_dir("XDG_CONFIG_HOME", ".config") {
        out.push(dir.join("craton-hsm").join("config.toml"));
    }
    out.push(PathBuf::from("/etc/craton-hsm/config.toml"));
    out
}

/// The store directory used when the configuration names none.
pub fn default_storage_path() -> Option<PathBuf> {
    env_dir("XDG_DATA_HOME", ".local/share").map(|d| d.join("craton-hsm"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Config, ConfigError> {
        Config::from_toml(text, Some(Path::new("/x/c.toml")))
    }

    #[test]
    fn full_file() {
        let c = parse(
            "[token]\nstorage_path = \"/s\"\nmax_sessions = 3\nslots = 2\n\
             [security]\nmax_failed_logins = 4\nbackoff_base_ms = 1\nbackoff_cap_ms = 2\n\
             [log]\nlevel = \"debug\"\n",
        )
        .unwrap();
        assert_eq!(c.storage_path, PathBuf::from("/s"));
        assert_eq!(c.max_sessions, 3);
        assert_eq!(c.slots, Some(2));
        assert_eq!(c.security.max_failed_logins, 4);
        assert_eq!(c.log_level, "debug");
    }

    #[test]
    fn defaults() {
        let c = parse("[token]\nstorage_path = \"/s\"\n").unwrap();
        assert_eq!(c.security.max_failed_logins, 10);
        assert_eq!(c.security.backoff_base_ms, 100);
        assert_eq!(c.security.backoff_cap_ms, 5000);
        assert_eq!(c.slots, None);
    }

    #[test]
    fn unknown_key_names_it() {
        let e = parse("[security]\nmax_failed_login = 3\n").unwrap_err();
        assert!(e.to_string().contains("/x/c.toml"), "{e}");
        assert!(e.to_string().contains("max_failed_login"), "{e}");
    }

    #[test]
    fn bad_value_names_key() {
        let e = parse("[security]\nmax_failed_logins = 0\n").unwrap_err();
        assert_eq!(e.key, "security.max_failed_logins");
        let e = parse("[token]\nstorage_path = \"rel\"\n").unwrap_err();
        assert_eq!(e.key, "token.storage_path");
        let e = parse("[log]\nlevel = \"loud\"\n").unwrap_err();
        assert_eq!(e.key, "log.level");
    }

    #[test]
    fn wrong_type_is_an_error() {
        let e = parse("[token]\nmax_sessions = \"many\"\n").unwrap_err();
        assert_eq!(e.key, "token.max_sessions", "{e}");
        assert!(e.problem.contains("line 2"), "{e}");
    }

    #[test]
    fn unknown_key_is_named_with_its_table() {
        let e = parse("[security]\nmax_failed_logins = 3\nbogus_key = 1\n").unwrap_err();
        assert_eq!(e.key, "security.bogus_key", "{e}");
        let e = parse("[token]\nstorage_path = \"/s\"\n[nonsense]\nx = 1\n").unwrap_err();
        assert_eq!(e.key, "nonsense", "{e}");
    }
}
