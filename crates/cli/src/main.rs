//! The `kaigo` command. Parses arguments, installs logging, sets the memory budget, builds the
//! one async runtime, hands over to the subcommand's module (`commands/`) and alone decides the
//! exit code: 0 ok, 1 bad input or a failed check (the user's to fix), 2 internal or I/O error.

mod budget;
mod commands;
mod pipeline;

use std::{path::PathBuf, process::ExitCode};

use clap::{Parser, Subcommand};

use crate::commands::{audit, build, docs, extract, ingest, key, linkage, publish, release, run, serve, sql, synth};

/// jemalloc instead of the system allocator (see the workspace Cargo.toml).
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

#[derive(Parser)]
#[command(
    name = "kaigo",
    version,
    about = "Analytics warehouse for Japan's long-term-care information hub"
)]
struct Cli {
    /// More log output on stderr (-v info, -vv debug). RUST_LOG overrides.
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    verbose: u8,
    /// Log format on stderr.
    #[arg(long, value_enum, default_value = "text", global = true)]
    log_format: LogFormat,
    /// Memory the command may use, e.g. 4GiB (else KAIGO_MEMORY_LIMIT, else half the machine's):
    /// SQL sorts and aggregates spill to disk beyond it.
    #[arg(long, global = true, value_name = "SIZE")]
    memory_limit: Option<String>,
    /// Where the spill folder is made (else KAIGO_SCRATCH, else the OS temporary folder); it is
    /// private and removed when the command ends.
    #[arg(long, global = true, value_name = "DIR")]
    scratch: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum LogFormat {
    Text,
    Json,
}

#[derive(Subcommand)]
enum Command {
    /// Run a pipeline end to end — synthetic hub, ingest, linkage, models, public release,
    /// dashboard — from a pipeline file, or the embedded demo when none is given.
    Run(run::Args),
    /// Generate a calibrated synthetic hub with ground truth.
    Synth(synth::Args),
    /// Load hub deliveries into the warehouse: validate, quarantine, pseudonymize, commit.
    Ingest(ingest::Args),
    /// Create or inspect the secret key.
    #[command(subcommand)]
    Key(key::Command),
    /// Person linkage over the vault's tokens.
    #[command(subcommand)]
    Linkage(linkage::Command),
    /// Build the SQL models (sql/) over the warehouse with DataFusion in dependency order,
    /// running each model's checks on its rows; run after ingest and `kaigo linkage run`. A
    /// failed check fails the build (exit 1) and leaves that model's previous version.
    Build(build::Args),
    /// Publish the public release to <warehouse>/publish/: the counts of the release spec by
    /// municipality, prefecture and nation × month and fiscal year, with the disclosure rules
    /// applied, secondary suppression, and the attacker's audit (the release fails, exit 1, if
    /// any suppressed cell stays recoverable). Run after `kaigo build`.
    Release(release::Args),
    /// Build the policymakers' dashboard from the public release (<warehouse>/publish/): a static
    /// site that opens from file:// with no network; every count it shows is checked against the
    /// release before the command succeeds. Run after `kaigo release`.
    Publish(publish::Args),
    /// Write a researcher extract for an approved request (pipelines/extract_request.example.toml):
    /// re-keyed per project, generalized, refused (exit 1, nothing written) below k or ℓ or for a
    /// forbidden column or cohort; every attempt is logged in <warehouse>/extracts/audit.log.
    Extract(extract::Args),
    /// The extracts' audit log.
    #[command(subcommand)]
    Audit(audit::Command),
    /// Query the warehouse, read-only: -c, -f, stdin, or an interactive prompt.
    Sql(sql::Args),
    /// Serve the warehouse over the Postgres wire protocol (psql, DBeaver, Metabase, ODBC),
    /// read-only, with password authentication and roles from a config file; loopback by
    /// default. `--hash-password` turns a password read from stdin into a config line instead.
    Serve(serve::Args),
    /// Write the generated documentation: extract formats (docs/formats/*.md) and the data
    /// dictionary (docs/tables.md).
    Docs(docs::Args),
}

/// An error the user can fix (exit 1) that no library error type describes: an argument, a
/// file that is not what the command expects.
#[derive(Debug)]
pub(crate) struct UserError(pub(crate) String);

impl std::fmt::Display for UserError {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str(&self.0)
    }
}

impl std::error::Error for UserError {}

/// Whether an error is the user's to fix: the first cause that says so decides (a library's
/// error type through its `is_user`), and an error no cause claims is kaigo's (exit 2).
fn is_user(error: &anyhow::Error) -> bool {
    // The first of the listed types the cause is, asked whether it is the user's.
    macro_rules! ask {
        ($cause:expr, $($type:ty),+) => {
            None$(.or_else(|| $cause.downcast_ref::<$type>().map(<$type>::is_user)))+
        };
    }
    error
        .chain()
        .find_map(|cause| {
            if cause.is::<UserError>() {
                return Some(true);
            }
            ask!(
                cause,
                sql::StatementError,
                kaigo_pseudonymize::KeyError,
                kaigo_synth::SynthError,
                kaigo_ingest::IngestError,
                kaigo_linkage::LinkageError,
                kaigo_query::QueryError,
                kaigo_disclosure::DisclosureError,
                kaigo_site::SiteError,
                kaigo_extracts::ExtractError,
                kaigo_serve::ServeError,
                kaigo_warehouse::WarehouseError
            )
        })
        .unwrap_or(false)
}

/// The error and its causes, each said once: many library messages already end with their
/// cause's text (`{path}: {source}`), which `{:#}` would repeat.
fn describe(error: &anyhow::Error) -> String {
    let mut message = error.to_string();
    for cause in error.chain().skip(1) {
        let text = cause.to_string();
        if !message.contains(&text) {
            message = format!("{message}: {text}");
        }
    }
    message
}

fn install_logging(verbose: u8, format: LogFormat) {
    // Two library messages are noise at the default level: deltalake warns once per binary column
    // per file that it keeps no statistics (the vault's token columns are binary by design), and
    // the Delta kernel logs an error for a log segment without files while delta-rs goes on
    // normally. `-vv` or RUST_LOG shows both.
    const QUIET: &str = "deltalake_core::writer::stats=error,buoyant_kernel::snapshot::builder=off";
    let default_level = match verbose {
        0 => format!("warn,{QUIET}"),
        1 => format!("info,{QUIET}"),
        _ => "debug".to_string(),
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default_level));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder.json().init(),
    }
}

fn dispatch(command: Command, runtime: &tokio::runtime::Runtime) -> anyhow::Result<ExitCode> {
    match command {
        Command::Run(args) => run::run(args, runtime),
        Command::Synth(args) => synth::run(args),
        Command::Ingest(args) => ingest::run(args, runtime),
        Command::Key(command) => key::run(command),
        Command::Linkage(command) => linkage::run(command, runtime),
        Command::Build(args) => build::run(args, runtime),
        Command::Release(args) => release::run(args, runtime),
        Command::Publish(args) => publish::run(args),
        Command::Extract(args) => extract::run(args, runtime),
        Command::Audit(command) => audit::run(command),
        Command::Sql(args) => sql::run(args, runtime),
        Command::Serve(args) => serve::run(args, runtime),
        Command::Docs(args) => docs::run(args),
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    install_logging(cli.verbose, cli.log_format);
    // Batch commands say what budget they run within; interactive ones log it.
    let announce = matches!(
        cli.command,
        Command::Run(_) | Command::Build(_) | Command::Release(_) | Command::Extract(_)
    );
    let result = budget::set(cli.memory_limit, cli.scratch, announce).and_then(|scratch| {
        let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
        let code = dispatch(cli.command, &runtime);
        // The runtime's tasks go before the spill folder they may write to.
        drop(runtime);
        drop(scratch);
        code
    });
    match result {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {}", describe(&error));
            ExitCode::from(if is_user(&error) { 1 } else { 2 })
        }
    }
}
