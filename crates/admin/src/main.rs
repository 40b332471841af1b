//! `craton-hsm-admin`: the operator's command line for Craton HSM.
//!
//! Store-level commands work on the token store directly (the same configuration the library
//! reads), so they also work when the token cannot be logged in to — a locked SO PIN is
//! recovered here.

mod pin_input;
mod status;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};
use craton_token::{Config, Module};

/// Exit code for a usage or configuration problem.
const EXIT_CONFIG: u8 = 2;
/// Exit code for a failed operation on the token.
const EXIT_FAILED: u8 = 1;

#[derive(Parser)]
#[command(name = "craton-hsm-admin", version, about = "Operate a Craton HSM token store")]
struct Cli {
    /// Configuration file (default: the library's lookup, CRATON_HSM_CONF first).
    #[arg(long, global = true)]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Module and store health: tokens, PIN states, objects, and what to do next.
    Status {
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
        /// The library whose integrity to report (default: the one beside this program).
        #[arg(long)]
        library: Option<PathBuf>,
    },
    /// The library's integrity sidecar.
    #[command(subcommand)]
    Integrity(IntegrityCommand),
    /// Token management.
    #[command(subcommand)]
    Token(TokenCommand),
    /// The mechanisms the library offers, as the Markdown table in README.md.
    Mechanisms,
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    Text,
    Json,
}

#[derive(Subcommand)]
enum IntegrityCommand {
    /// Write `<library>.hmac`, which C_Initialize verifies.
    Seal {
        /// The library (default: libcraton_hsm.so beside this program).
        #[arg(long)]
        library: Option<PathBuf>,
    },
    /// Check the library against its sidecar (exit 1 when it does not match).
    Verify {
        /// The library (default: libcraton_hsm.so beside this program).
        #[arg(long)]
        library: Option<PathBuf>,
    },
}

/// The library beside this program (how `cargo build` and `make install` lay them out).
fn default_library() -> PathBuf {
    std::env::current_exe()
        .ok()
        .and_then(|p| p.parent().map(|d| d.join("libcraton_hsm.so")))
        .unwrap_or_else(|| PathBuf::from("libcraton_hsm.so"))
}

fn integrity(cmd: &IntegrityCommand) -> Result<(), (u8, String)> {
    use craton_crypto::integrity::{self, Integrity};
    match cmd {
        IntegrityCommand::Seal { library } => {
            let lib = library.clone().unwrap_or_else(default_library);
            let out = integrity::seal(&lib)
                .map_err(|e| (EXIT_FAILED, format!("cannot seal {}: {e}", lib.display())))?;
            println!("sealed {} -> {}", lib.display(), out.display());
            Ok(())
        }
        IntegrityCommand::Verify { library } => {
            let lib = library.clone().unwrap_or_else(default_library);
            match integrity::verify(&lib) {
                Integrity::Verified => {
                    println!("{}: verified", lib.display());
                    Ok(())
                }
                Integrity::Unsealed => {
                    Err((EXIT_FAILED, format!("{}: no sidecar (unsealed)", lib.display())))
                }
                Integrity::Mismatch => {
                    Err((EXIT_FAILED, format!("{}: does NOT match its sidecar", lib.display())))
                }
                Integrity::Unreadable(why) => Err((EXIT_FAILED, why)),
            }
        }
    }
}

#[derive(Subcommand)]
enum TokenCommand {
    /// Initialize a token (or re-initialize it, erasing every object).
    Init(InitArgs),
}

#[derive(Args)]
struct InitArgs {
    /// Slot to initialize.
    #[arg(long, default_value_t = 0)]
    slot: u64,
    /// Token label (at most 32 bytes).
    #[arg(long)]
    label: String,
    #[command(flatten)]
    pin: pin_input::SoPinArgs,
    /// Re-initialize without the current SO PIN (recovers a locked SO PIN). Destroys every
    /// object of the token.
    #[arg(long)]
    force: bool,
}

fn open(config: Option<&PathBuf>) -> Result<Module, (u8, String)> {
    let cfg = match config {
        Some(p) => Config::load(p),
        None => Config::discover(None),
    }
    .map_err(|e| (EXIT_CONFIG, e.to_string()))?;
    Module::new(cfg).map_err(|e| (EXIT_FAILED, format!("cannot open the store: {e}")))
}

fn token_init(m: &Module, a: &InitArgs) -> Result<(), (u8, String)> {
    if a.label.len() > 32 {
        return Err((EXIT_CONFIG, "the label is longer than 32 bytes".into()));
    }
    let mut label = [b' '; 32];
    label[..a.label.len()].copy_from_slice(a.label.as_bytes());
    let pin = a.pin.read().map_err(|e| (EXIT_CONFIG, e))?;
    let r = if a.force {
        m.force_init_token(a.slot, pin.as_bytes(), &label)
    } else {
        m.init_token(a.slot, pin.as_bytes(), &label)
    };
    r.map_err(|e| {
        let hint = match e {
            craton_token::Error::PinLocked => {
                " (the SO PIN is locked: re-run with --force to re-initialize)"
            }
            craton_token::Error::PinIncorrect => " (wrong SO PIN)",
            craton_token::Error::PinLenRange => " (PIN length outside the configured policy)",
            craton_token::Error::SlotIdInvalid => " (no such slot: see `craton-hsm-admin status`)",
            _ => "",
        };
        (EXIT_FAILED, format!("token init failed: CKR_{}{hint}", status::ckr_name(e)))
    })?;
    println!("slot {}: token '{}' initialized", a.slot, a.label);
    Ok(())
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match &cli.command {
        Command::Integrity(cmd) => integrity(cmd),
        Command::Status { format, library } => open(cli.config.as_ref()).and_then(|m| {
            let lib = library.clone().unwrap_or_else(default_library);
            status::run(&m, &lib, matches!(format, Format::Json))
        }),
        Command::Mechanisms => {
            print!("{}", craton_token::mechanism::markdown_table());
            Ok(())
        }
        Command::Token(TokenCommand::Init(a)) => {
            open(cli.config.as_ref()).and_then(|m| token_init(&m, a))
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err((code, msg)) => {
            eprintln!("craton-hsm-admin: {msg}");
            ExitCode::from(code)
        }
    }
}
