//! `kaigo key`: create a key, or print a key's fingerprint.

use std::{path::PathBuf, process::ExitCode};

use kaigo_pseudonymize::key::SecretKey;

/// Subcommands of `kaigo key`.
#[derive(clap::Subcommand)]
pub(crate) enum Command {
    /// Write a new random 256-bit key (mode 0600; never overwrites). Prints its fingerprint.
    New {
        /// Key file to create.
        #[arg(long)]
        out: PathBuf,
    },
    /// Print the fingerprint of a key (from --key, KAIGO_KEY_FILE or KAIGO_KEY).
    Fingerprint {
        /// Key file.
        #[arg(long)]
        key: Option<PathBuf>,
    },
}

pub(crate) fn run(command: Command) -> anyhow::Result<ExitCode> {
    match command {
        Command::New { out } => {
            let fingerprint = SecretKey::write_new(&out)?;
            println!("{fingerprint}");
            eprintln!(
                "kaigo key: wrote a new key to {} (mode 0600). Keep it outside the repository and back it up: data keyed with it cannot be re-linked without it.",
                out.display()
            );
        }
        Command::Fingerprint { key } => println!("{}", SecretKey::resolve(key.as_deref())?.fingerprint()),
    }
    Ok(ExitCode::SUCCESS)
}
