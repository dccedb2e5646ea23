//! `kaigo audit verify`: check the extracts' audit log and print its head.

use std::{
    path::{Path, PathBuf},
    process::ExitCode,
};

use kaigo_extracts::{ExtractError, audit_log::AuditLog};
use kaigo_pseudonymize::key::SecretKey;

use crate::UserError;

/// Subcommands of `kaigo audit`.
#[derive(clap::Subcommand)]
pub(crate) enum Command {
    /// Verify the log's HMAC chain under the key and print its head (`sequence:hmac`); keep the
    /// head elsewhere and pass it as --expect next time to detect entries cut from the end.
    Verify {
        /// Warehouse root.
        #[arg(long)]
        warehouse: PathBuf,
        /// Key file (else KAIGO_KEY_FILE or KAIGO_KEY).
        #[arg(long)]
        key: Option<PathBuf>,
        /// A head printed earlier: the log must still end there.
        #[arg(long)]
        expect: Option<String>,
    },
}

pub(crate) fn run(command: Command) -> anyhow::Result<ExitCode> {
    match command {
        Command::Verify { warehouse, key, expect } => verify(&warehouse, key.as_deref(), expect.as_deref()),
    }
}

/// Verify the chain of `<warehouse>/extracts/audit.log` under the key; print the entry count
/// and the head (`sequence:hmac`) to stdout, to be kept elsewhere and compared next time (a
/// log cut at its end still verifies, but its head is no longer the one kept).
fn verify(warehouse: &Path, key: Option<&Path>, expect: Option<&str>) -> anyhow::Result<ExitCode> {
    let key = SecretKey::resolve(key)?;
    let log = AuditLog::new(warehouse.join("extracts").join("audit.log"), &key);
    // A chain that does not hold is the check failing (exit 1), not an error of the command.
    let head = match log.verify() {
        Err(error @ ExtractError::AuditLog { .. }) => return Err(UserError(error.to_string()).into()),
        head => head?,
    };
    let head = head.map(|head| head.to_string()).unwrap_or_else(|| "0:".to_string());
    println!("{head}");
    if let Some(expected) = expect
        && !head.starts_with(expected)
    {
        return Err(UserError(format!(
            "the chain verifies, but its head {head} is not the one kept ({expected}): entries were removed or added"
        ))
        .into());
    }
    eprintln!("audit log: the chain holds");
    Ok(ExitCode::SUCCESS)
}
