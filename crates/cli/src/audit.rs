//! `kaigo audit verify`: check the extracts' audit log and print its head.

use std::{path::Path, process::ExitCode};

use kaigo_extracts::audit_log::AuditLog;

use crate::UserError;

/// Verify the chain of `<warehouse>/extracts/audit.log` under the key; print the entry count
/// and the head (`sequence:hmac`) to stdout, to be kept elsewhere and compared next time (a
/// log cut at its end still verifies, but its head is no longer the one kept).
pub(crate) fn verify(warehouse: &Path, key: Option<&Path>, expect: Option<&str>) -> anyhow::Result<ExitCode> {
    let key = kaigo_pseudonymize::key::SecretKey::resolve(key).map_err(crate::key_error)?;
    let log = AuditLog::new(warehouse.join("extracts").join("audit.log"), &key);
    let head = log.verify().map_err(|error| UserError(error.to_string()))?;
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
