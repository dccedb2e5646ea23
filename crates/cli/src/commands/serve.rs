//! `kaigo serve`: the Postgres endpoint (and Arrow Flight SQL, when asked), until interrupted;
//! or a password's verifier for the config file.

use std::{path::PathBuf, process::ExitCode};

use kaigo_warehouse::Warehouse;

use crate::UserError;

/// Arguments of `kaigo serve`.
#[derive(clap::Args)]
#[command(group = clap::ArgGroup::new("mode").required(true).args(["warehouse", "hash_password"]))]
pub(crate) struct Args {
    /// Warehouse root.
    #[arg(long, requires = "config")]
    warehouse: Option<PathBuf>,
    /// Users, roles, limits, listen address and TLS (see crates/serve/src/config.rs); mode
    /// 0600, outside the repository.
    #[arg(long)]
    config: Option<PathBuf>,
    /// Listen here instead of the config's address (default 127.0.0.1:5433).
    #[arg(long)]
    listen: Option<std::net::SocketAddr>,
    /// Also serve Arrow Flight SQL here (same users, roles, limits and TLS), for bulk reads
    /// as Arrow record batches (ADBC's Flight SQL driver).
    #[arg(long, value_name = "ADDRESS", requires = "warehouse")]
    flight_sql: Option<std::net::SocketAddr>,
    /// Read a password from stdin and print its `password_hash` (a SCRAM-SHA-256 verifier, in
    /// PostgreSQL's format) for the config file.
    #[arg(long)]
    hash_password: bool,
    /// PBKDF2 iterations of the verifier `--hash-password` prints (at least 4096).
    #[arg(long, default_value_t = kaigo_serve::DEFAULT_ITERATIONS, requires = "hash_password")]
    iterations: u32,
}

pub(crate) fn run(args: Args, runtime: &tokio::runtime::Runtime) -> anyhow::Result<ExitCode> {
    if args.hash_password {
        return hash_password(args.iterations);
    }
    let (Some(warehouse), Some(config)) = (args.warehouse, args.config) else {
        unreachable!("clap requires --warehouse with --config")
    };
    let config = kaigo_serve::ServeConfig::read(&config)?;
    let address = args.listen.unwrap_or(config.listen);
    let roles: Vec<String> = config
        .roles()
        .iter()
        .map(|(name, role)| match role.description.as_str() {
            "" => format!("{name} ({:?})", role.zone).to_lowercase(),
            description => format!("{name}: {description}"),
        })
        .collect();
    let flight = args
        .flight_sql
        .map(|flight| format!(", Flight SQL on {flight}"))
        .unwrap_or_default();
    eprintln!(
        "serve: listening on {address}{flight} (roles — {}); Ctrl-C stops",
        roles.join("; ")
    );
    let warehouse = Warehouse::new(warehouse);
    runtime.block_on(async {
        tokio::select! {
            served = kaigo_serve::serve(&warehouse, &config, address, args.flight_sql) => served,
            _ = tokio::signal::ctrl_c() => Ok(()),
        }
    })?;
    Ok(ExitCode::SUCCESS)
}

fn hash_password(iterations: u32) -> anyhow::Result<ExitCode> {
    let mut password = String::new();
    std::io::stdin().read_line(&mut password)?;
    let password = password.trim_end_matches(['\r', '\n']);
    if password.is_empty() {
        return Err(UserError("no password on stdin".into()).into());
    }
    if iterations < kaigo_serve::DEFAULT_ITERATIONS {
        return Err(UserError(format!(
            "--iterations must be at least {}",
            kaigo_serve::DEFAULT_ITERATIONS
        ))
        .into());
    }
    println!(
        "password_hash = \"{}\"",
        kaigo_serve::hash_password(password, iterations)
    );
    Ok(ExitCode::SUCCESS)
}
