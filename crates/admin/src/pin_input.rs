//! Where a PIN comes from: a file, an environment variable, the command line (visible in the
//! process list — for throw-away test tokens only), or a line on standard input.

use std::io::BufRead;

use clap::Args;
use zeroize::Zeroizing;

/// The SO PIN sources.
#[derive(Args)]
pub struct SoPinArgs {
    /// Read the SO PIN from this file (first line).
    #[arg(long, conflicts_with_all = ["so_pin_env", "so_pin"])]
    so_pin_file: Option<std::path::PathBuf>,
    /// Read the SO PIN from this environment variable.
    #[arg(long, conflicts_with = "so_pin")]
    so_pin_env: Option<String>,
    /// The SO PIN itself (visible to other users in the process list).
    #[arg(long)]
    so_pin: Option<String>,
}

fn first_line(s: &str) -> Zeroizing<String> {
    Zeroizing::new(s.lines().next().unwrap_or("").to_owned())
}

impl SoPinArgs {
    /// The PIN, or a message saying why it could not be read.
    pub fn read(&self) -> Result<Zeroizing<String>, String> {
        if let Some(f) = &self.so_pin_file {
            let text = Zeroizing::new(
                std::fs::read_to_string(f)
                    .map_err(|e| format!("cannot read {}: {e}", f.display()))?,
            );
            return Ok(first_line(&text));
        }
        if let Some(var) = &self.so_pin_env {
            let v = Zeroizing::new(
                std::env::var(var).map_err(|_| format!("environment variable {var} is not set"))?,
            );
            return Ok(first_line(&v));
        }
        if let Some(p) = &self.so_pin {
            return Ok(Zeroizing::new(p.clone()));
        }
        eprintln!("SO PIN (one line on standard input):");
        let mut line = Zeroizing::new(String::new());
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .map_err(|e| format!("cannot read the PIN: {e}"))?;
        Ok(first_line(&line))
    }
}
