//! The `kaigo` command. Parses arguments, installs logging, calls one library entry per command
//! and alone decides the exit code: 0 ok, 1 bad input or failed check, 2 internal or I/O error.

mod audit;
mod budget;
mod linkage;
mod load;
mod pipeline;
mod sql;

use std::{path::PathBuf, process::ExitCode};

use anyhow::{Context, bail};
use clap::{Parser, Subcommand};
use kaigo_codes::calendar::YearMonth;

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
    /// Run a pipeline: the embedded demo by default (synthetic hub → calibration report).
    Run {
        /// A pipeline definition (see pipelines/demo.toml); the embedded demo when omitted.
        pipeline: Option<PathBuf>,
    },
    /// Generate a calibrated synthetic hub with ground truth.
    Synth(SynthArgs),
    /// Load hub deliveries into the warehouse: validate, quarantine, pseudonymize, commit.
    Ingest(IngestArgs),
    /// Create or inspect the secret key.
    #[command(subcommand)]
    Key(KeyCommand),
    /// Person linkage over the vault's tokens.
    #[command(subcommand)]
    Linkage(LinkageCommand),
    /// Build the SQL models (sql/) over the warehouse with DataFusion in dependency order,
    /// running each model's checks on its rows; run after ingest and `kaigo linkage run`. A
    /// failed check fails the build (exit 1) and leaves that model's previous version.
    Build {
        /// Warehouse root.
        #[arg(long)]
        warehouse: PathBuf,
    },
    /// Publish the public release to <warehouse>/publish/: the counts of the release spec by
    /// municipality, prefecture and nation × month and fiscal year, with the disclosure rules
    /// applied, secondary suppression, and the attacker's audit (the release fails, exit 1, if
    /// any suppressed cell stays recoverable). Run after `kaigo build`.
    Release {
        /// Warehouse root.
        #[arg(long)]
        warehouse: PathBuf,
        /// A release spec (see crates/disclosure/release.toml, the default).
        #[arg(long)]
        spec: Option<PathBuf>,
    },
    /// Build the policymakers' dashboard from the public release (<warehouse>/publish/): a static
    /// site that opens from file:// with no network; every count it shows is checked against the
    /// release before the command succeeds. Run after `kaigo release`.
    Publish {
        /// Warehouse root.
        #[arg(long)]
        warehouse: PathBuf,
        /// The site's folder (replaced).
        #[arg(long)]
        out: PathBuf,
    },
    /// Write a researcher extract for an approved request (pipelines/extract_request.example.toml):
    /// re-keyed per project, generalized, refused (exit 1, nothing written) below k or ℓ or for a
    /// forbidden column or cohort; every attempt is logged in <warehouse>/extracts/audit.log.
    Extract {
        /// The request (TOML).
        request: PathBuf,
        /// Warehouse root.
        #[arg(long)]
        warehouse: PathBuf,
        /// Key file (else KAIGO_KEY).
        #[arg(long)]
        key: Option<PathBuf>,
        /// Reproduce an earlier extract: read the tables at the versions its manifest pins.
        #[arg(long, value_name = "MANIFEST")]
        as_of: Option<PathBuf>,
        /// Who runs it, for the audit log (default: the account this process runs as).
        #[arg(long)]
        operator: Option<String>,
    },
    /// The extracts' audit log.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Query the warehouse, read-only: -c, -f, stdin, or an interactive prompt.
    Sql(sql::SqlArgs),
    /// Serve the warehouse over the Postgres wire protocol (psql, DBeaver, Metabase, ODBC),
    /// read-only, with password authentication and roles from a config file; loopback by
    /// default. `--hash-password` turns a password read from stdin into a config line instead.
    Serve(ServeArgs),
    /// Write the generated documentation: extract formats (docs/formats/*.md) and the data
    /// dictionary (docs/tables.md).
    Docs {
        /// Documentation folder.
        #[arg(long, default_value = "docs")]
        out: PathBuf,
    },
}

#[derive(clap::Subcommand)]
enum AuditCommand {
    /// Verify the log's HMAC chain under the key and print its head (`sequence:hmac`); keep the
    /// head elsewhere and pass it as --expect next time to detect entries cut from the end.
    Verify {
        /// Warehouse root.
        #[arg(long)]
        warehouse: PathBuf,
        /// Key file (else KAIGO_KEY).
        #[arg(long)]
        key: Option<PathBuf>,
        /// A head printed earlier: the log must still end there.
        #[arg(long)]
        expect: Option<String>,
    },
}

#[derive(clap::Args)]
#[command(group = clap::ArgGroup::new("mode").required(true).args(["warehouse", "hash_password"]))]
struct ServeArgs {
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
    /// Read a password from stdin and print its `password_hash` (a SCRAM-SHA-256 verifier, in
    /// PostgreSQL's format) for the config file.
    #[arg(long)]
    hash_password: bool,
    /// PBKDF2 iterations of the verifier `--hash-password` prints (at least 4096).
    #[arg(long, default_value_t = kaigo_serve::DEFAULT_ITERATIONS, requires = "hash_password")]
    iterations: u32,
}

#[derive(clap::Args)]
struct IngestArgs {
    /// A delivery folder (`<hub>/<YYYYMM>`), or a hub root to load every delivery in order.
    #[arg(long)]
    drop: PathBuf,
    /// Warehouse root (created if missing).
    #[arg(long)]
    warehouse: PathBuf,
    /// Key file; otherwise KAIGO_KEY_FILE or KAIGO_KEY.
    #[arg(long)]
    key: Option<PathBuf>,
    /// Write the load reports as JSON to this file.
    #[arg(long)]
    report_json: Option<PathBuf>,
}

#[derive(Subcommand)]
enum LinkageCommand {
    /// Resolve persons and rewrite the warehouse's person_map (identity_key → person_key).
    /// Incremental: reads only deliveries loaded since the last run; the result equals linking
    /// every delivery at once.
    Run {
        /// Warehouse root.
        #[arg(long)]
        warehouse: PathBuf,
        /// Key file; otherwise KAIGO_KEY_FILE or KAIGO_KEY.
        #[arg(long)]
        key: Option<PathBuf>,
    },
    /// Link a warehouse loaded from a synthetic hub and measure it against the hub's truth:
    /// prints precision, recall and F1 beside the ID1/ID2 baselines; writes
    /// <warehouse>/linkage/evaluation.json and .txt.
    Evaluate {
        /// Warehouse root.
        #[arg(long)]
        warehouse: PathBuf,
        /// The synthetic hub the warehouse was loaded from (its truth/ is read).
        #[arg(long)]
        hub: PathBuf,
    },
    /// Explain the link between two records (operators: reads the vault): the match weight,
    /// comparison by comparison. Records are SOURCE_FILE_ID:LINE (see vault/quarantine,
    /// source_files or any table's lineage columns).
    Explain {
        /// Warehouse root.
        #[arg(long)]
        warehouse: PathBuf,
        /// First record.
        left: String,
        /// Second record.
        right: String,
    },
}

#[derive(Subcommand)]
enum KeyCommand {
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

#[derive(clap::Args)]
struct SynthArgs {
    /// Read `[synth]` (persons, months, seed, `[synth.rates]`, `[synth.noise]`) from a pipeline
    /// file; the flags below override it.
    #[arg(long)]
    config: Option<PathBuf>,
    /// Persons holding a certification at the start (national ≈ 7,100,000). Default 20,000.
    #[arg(long)]
    persons: Option<u64>,
    /// Service months to simulate, `YYYY-MM..YYYY-MM` (inclusive). Default 2025-04..2028-03.
    #[arg(long)]
    months: Option<String>,
    /// Seed: same seed, same bytes. Default 7.
    #[arg(long)]
    seed: Option<u64>,
    /// Output folder (delivery folders and truth/).
    #[arg(long)]
    out: PathBuf,
    /// Print the calibration report (each marginal beside its published target) on stdout.
    #[arg(long)]
    report: bool,
    /// Also write the calibration report as JSON to this file.
    #[arg(long)]
    report_json: Option<PathBuf>,
    /// Exit with code 1 if a calibration row is outside its tolerance.
    #[arg(long)]
    strict: bool,
}

/// An error the user can fix (exit code 1) rather than an internal one (exit code 2).
#[derive(Debug)]
pub(crate) struct UserError(pub(crate) String);

impl std::fmt::Display for UserError {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str(&self.0)
    }
}

impl std::error::Error for UserError {}

pub(crate) fn parse_months(text: &str) -> anyhow::Result<(YearMonth, YearMonth)> {
    let (first, last) = text
        .split_once("..")
        .ok_or_else(|| UserError(format!("--months must be YYYY-MM..YYYY-MM, got {text:?}")))?;
    let first = YearMonth::parse_dashed(first).map_err(|error| UserError(format!("--months start: {error}")))?;
    let last = YearMonth::parse_dashed(last).map_err(|error| UserError(format!("--months end: {error}")))?;
    if last < first {
        bail!(UserError("--months: the end is before the start".into()));
    }
    Ok((first, last))
}

fn run(path: Option<PathBuf>) -> anyhow::Result<ExitCode> {
    let pipeline = pipeline::load(path.as_deref())?;
    let root = pipeline.output.root;
    let reports = root.join("reports");
    std::fs::create_dir_all(&reports).with_context(|| format!("creating {}", reports.display()))?;
    let config = pipeline.synth.config()?;
    let (first, last) = (config.first_month, config.last_month);
    let started = std::time::Instant::now();

    eprintln!(
        "kaigo run: 1/6 synthetic hub ({} persons, {first}..{last}, seed {})",
        config.persons, config.seed
    );
    let hub = root.join("hub");
    let summary = generate(&config, &hub)?;
    let report = summary.calibration.render();
    std::fs::write(reports.join("calibration.txt"), &report)?;
    std::fs::write(
        reports.join("calibration.json"),
        serde_json::to_vec_pretty(&summary.calibration)?,
    )?;
    let failures = summary.calibration.failures().len();

    eprintln!("kaigo run: 2/6 ingest → {}", root.join("warehouse").display());
    let key_path = pipeline.ingest.key;
    if !key_path.exists() {
        if let Some(parent) = key_path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        kaigo_pseudonymize::key::SecretKey::write_new(&key_path).map_err(key_error)?;
    }
    let key = kaigo_pseudonymize::key::SecretKey::load(&key_path).map_err(key_error)?;
    let warehouse = kaigo_warehouse::Warehouse::new(root.join("warehouse"));
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    let loads = load::load_all(&runtime, &delivery_folders(&hub)?, &warehouse, &key)?;
    let sum = |field: fn(&kaigo_ingest::IngestReport) -> u64| loads.iter().map(field).sum::<u64>();
    let (rows_in, loaded, quarantined) = (
        sum(|load| load.rows_in),
        sum(|load| load.rows_loaded),
        sum(|load| load.rows_quarantined),
    );
    let rejected = sum(|load| load.files_rejected as u64);
    let flagged = sum(|load| load.quality.insurers_flagged as u64);

    eprintln!("kaigo run: 3/6 linkage");
    linkage::link(&runtime, &warehouse, &key)?;
    let linkage = linkage::evaluate_against_truth(&runtime, &warehouse, &hub)?;
    eprintln!("kaigo run: 4/6 models");
    build_models(&runtime, &warehouse)?;
    eprintln!("kaigo run: 5/6 public release");
    let release = publish_release(&runtime, &warehouse, None)?;
    eprintln!("kaigo run: 6/6 dashboard");
    let site = publish_site(&warehouse, &root.join("site"))?;
    std::fs::write(reports.join("ingest.json"), serde_json::to_vec_pretty(&loads)?)?;

    println!("synthetic hub   {}", hub.display());
    println!(
        "  insurers      {} simulated, {} providers",
        summary.insurers, summary.providers
    );
    println!(
        "  deliveries    {} ({}..{})",
        summary.deliveries.len(),
        summary.deliveries.first().map_or("-", String::as_str),
        summary.deliveries.last().map_or("-", String::as_str)
    );
    println!(
        "  records       {} ({} claim statements)",
        summary.records, summary.statements
    );
    println!(
        "calibration     {} of {} marginals within tolerance",
        summary.calibration.rows.len() - failures,
        summary.calibration.rows.len()
    );
    println!("warehouse       {}", root.join("warehouse").display());
    println!("  rows          {rows_in} in = {loaded} loaded + {quarantined} quarantined; {rejected} files rejected");
    println!("  quality       {flagged} insurer-deliveries flagged (see warehouse/quality/)");
    println!("  key           {}", key.fingerprint());
    println!(
        "linkage         precision {:.5}, recall {:.5}, F1 {:.5} (ID1 ∪ ID2: F1 {:.5}); {} homonym/twin false merges",
        linkage.kaigo.precision,
        linkage.kaigo.recall,
        linkage.kaigo.f1,
        linkage.baselines["ID1 ∪ ID2"].f1,
        linkage.lookalike_false_merges
    );
    let cells: usize = release.indicators.iter().map(|indicator| indicator.n_cells).sum();
    let by_rule: usize = release.indicators.iter().map(|indicator| indicator.n_primary).sum();
    let to_protect: usize = release.indicators.iter().map(|indicator| indicator.n_secondary).sum();
    let recoverable: usize = release.indicators.iter().map(|indicator| indicator.n_recoverable).sum();
    println!("release         {}", release.folder.display());
    println!(
        "  cells         {cells} counts: {by_rule} suppressed by rule + {to_protect} to protect them; \
         audit: {recoverable} recoverable"
    );
    println!(
        "roll-out        {} of {} insurers live in {}-{:02}",
        site.n_live,
        site.n_insurers,
        site.as_of / 100,
        site.as_of % 100
    );
    println!(
        "dashboard       {} (open index.html)",
        site.folder.join("index.html").display()
    );
    println!("reports         {}", reports.display());
    println!("done in {:.1}s", started.elapsed().as_secs_f64());
    Ok(if rejected > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn generate(config: &kaigo_synth::SynthConfig, out: &std::path::Path) -> anyhow::Result<kaigo_synth::SynthSummary> {
    kaigo_synth::generate(config, out).map_err(|error| match error {
        kaigo_synth::SynthError::Config(message) => anyhow::Error::new(UserError(message)),
        other => anyhow::Error::new(other),
    })
}

fn synth(args: SynthArgs) -> anyhow::Result<ExitCode> {
    let mut section = match &args.config {
        Some(path) => pipeline::load(Some(path))?.synth,
        None => pipeline::SynthSection::default(),
    };
    section.persons = args.persons.unwrap_or(section.persons);
    section.months = args.months.clone().unwrap_or(section.months);
    section.seed = args.seed.unwrap_or(section.seed);
    let config = section.config()?;
    let (first, last) = (config.first_month, config.last_month);
    let started = std::time::Instant::now();
    tracing::info!(persons = config.persons, %first, %last, seed = config.seed, out = %args.out.display(), "generating synthetic hub");
    let summary = generate(&config, &args.out)?;
    tracing::info!(
        insurers = summary.insurers,
        providers = summary.providers,
        deliveries = summary.deliveries.len(),
        records = summary.records,
        statements = summary.statements,
        seconds = started.elapsed().as_secs_f64(),
        "synthetic hub written"
    );
    eprintln!(
        "kaigo synth: {} insurers, {} providers, {} delivery folders, {} records ({} statements) in {:.1}s → {}",
        summary.insurers,
        summary.providers,
        summary.deliveries.len(),
        summary.records,
        summary.statements,
        started.elapsed().as_secs_f64(),
        args.out.display()
    );
    if args.report {
        print!("{}", summary.calibration.render());
    }
    if let Some(path) = &args.report_json {
        std::fs::write(path, serde_json::to_vec_pretty(&summary.calibration)?)
            .with_context(|| format!("writing {}", path.display()))?;
    }
    if args.strict && !summary.calibration.failures().is_empty() {
        eprintln!(
            "kaigo synth: {} calibration rows outside tolerance",
            summary.calibration.failures().len()
        );
        return Ok(ExitCode::from(1));
    }
    Ok(ExitCode::SUCCESS)
}

/// Key problems are the user's to fix (exit 1), as are missing files; other I/O is internal.
pub(crate) fn key_error(error: kaigo_pseudonymize::KeyError) -> anyhow::Error {
    anyhow::Error::new(UserError(error.to_string()))
}

fn key_new(out: &std::path::Path) -> anyhow::Result<ExitCode> {
    let fingerprint = kaigo_pseudonymize::key::SecretKey::write_new(out).map_err(key_error)?;
    println!("{fingerprint}");
    eprintln!(
        "kaigo key: wrote a new key to {} (mode 0600). Keep it outside the repository and back it up: data keyed with it cannot be re-linked without it.",
        out.display()
    );
    Ok(ExitCode::SUCCESS)
}

fn key_fingerprint(path: Option<&std::path::Path>) -> anyhow::Result<ExitCode> {
    let key = kaigo_pseudonymize::key::SecretKey::resolve(path).map_err(key_error)?;
    println!("{}", key.fingerprint());
    Ok(ExitCode::SUCCESS)
}

/// Delivery folders to load: the folder itself, or every `YYYYMM` folder of a hub root in order.
fn delivery_folders(path: &std::path::Path) -> anyhow::Result<Vec<PathBuf>> {
    if kaigo_formats::is_delivery_folder(path) {
        return Ok(vec![path.to_path_buf()]);
    }
    let folders = kaigo_formats::delivery_folders(path)
        .map_err(|error| UserError(format!("--drop {}: {error}", path.display())))?;
    if folders.is_empty() {
        bail!(UserError(format!(
            "--drop {}: neither a delivery folder (YYYYMM) nor a hub root holding any",
            path.display()
        )));
    }
    Ok(folders)
}

fn ingest(args: IngestArgs) -> anyhow::Result<ExitCode> {
    let key = kaigo_pseudonymize::key::SecretKey::resolve(args.key.as_deref()).map_err(key_error)?;
    let folders = delivery_folders(&args.drop)?;
    let warehouse = kaigo_warehouse::Warehouse::new(&args.warehouse);
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    let reports = load::load_all(&runtime, &folders, &warehouse, &key)?;
    let rejected: usize = reports.iter().map(|report| report.files_rejected).sum();
    if let Some(path) = &args.report_json {
        std::fs::write(path, serde_json::to_vec_pretty(&reports)?)
            .with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(if rejected > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// Build the models; one line per model on stderr. A failed check is a data problem (exit 1).
fn build_models(runtime: &tokio::runtime::Runtime, warehouse: &kaigo_warehouse::Warehouse) -> anyhow::Result<()> {
    let started = std::time::Instant::now();
    let built = runtime
        .block_on(kaigo_query::runner::build(warehouse))
        .map_err(|error| match error {
            kaigo_query::QueryError::Checks { .. } => anyhow::Error::new(UserError(error.to_string())),
            other => anyhow::Error::new(other),
        })?;
    for table in built {
        eprintln!(
            "build: {:<40} {:>10} rows  {:>2} checks  version {:<3} {:>6.1}s",
            table.name, table.rows, table.checks, table.version, table.seconds
        );
    }
    eprintln!("build: done in {:.1}s", started.elapsed().as_secs_f64());
    for name in kaigo_query::runner::stale_tables(warehouse)? {
        eprintln!(
            "build: warning: warehouse/{name} is no model any more (renamed or removed?): it was not rebuilt and \
             still answers queries with old rows; delete its folder to drop it"
        );
    }
    Ok(())
}

/// `kaigo docs`: the extract formats and the data dictionary.
fn docs(out: &std::path::Path) -> anyhow::Result<ExitCode> {
    let formats = out.join("formats");
    let files = kaigo_formats::docs::write_all(&formats)?;
    let models = kaigo_query::model::shipped(&kaigo_query::runner::sources())?;
    let dictionary = out.join("tables.md");
    std::fs::write(&dictionary, kaigo_query::dictionary::render(&models))
        .with_context(|| format!("writing {}", dictionary.display()))?;
    eprintln!(
        "kaigo docs: wrote {files} files to {} and {}",
        formats.display(),
        dictionary.display()
    );
    Ok(ExitCode::SUCCESS)
}

fn build(warehouse: &std::path::Path) -> anyhow::Result<ExitCode> {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    build_models(&runtime, &kaigo_warehouse::Warehouse::new(warehouse))?;
    Ok(ExitCode::SUCCESS)
}

/// `kaigo release`: protect and write the public release.
/// Build the site and scan it against the release; a count that should not be there fails.
fn publish_site(
    warehouse: &kaigo_warehouse::Warehouse,
    out: &std::path::Path,
) -> anyhow::Result<kaigo_site::SiteReport> {
    let publish = warehouse.root().join("publish");
    let report = kaigo_site::build(&publish, out)?;
    let scan = kaigo_site::scan(out, &publish)?;
    if !scan.violations.is_empty() {
        bail!(
            "the site shows what the release does not ({} problems): {}",
            scan.violations.len(),
            scan.violations.join("; ")
        );
    }
    let largest = report.pages.iter().map(|(_, bytes)| *bytes).max().unwrap_or(0);
    eprintln!(
        "publish: {} pages ({} counts checked against the release), largest {:.0} KB, in {}",
        report.pages.len(),
        scan.n_counts,
        largest as f64 / 1024.0,
        out.display()
    );
    Ok(report)
}

fn release(warehouse: &std::path::Path, spec: Option<&std::path::Path>) -> anyhow::Result<ExitCode> {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    publish_release(&runtime, &kaigo_warehouse::Warehouse::new(warehouse), spec)?;
    Ok(ExitCode::SUCCESS)
}

/// Protect and write the release; one summary line per indicator on stderr. A spec error or an
/// unprotectable table is the user's to fix (exit 1).
fn publish_release(
    runtime: &tokio::runtime::Runtime,
    warehouse: &kaigo_warehouse::Warehouse,
    spec: Option<&std::path::Path>,
) -> anyhow::Result<kaigo_disclosure::release::ReleaseReport> {
    use kaigo_disclosure::{DisclosureError, release::ReleaseSpec};
    let spec = match spec {
        Some(path) => {
            let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
            ReleaseSpec::parse(&text, &path.display().to_string()).map_err(|error| UserError(error.to_string()))?
        }
        None => ReleaseSpec::shipped(),
    };
    let started = std::time::Instant::now();
    let report = runtime
        .block_on(kaigo_disclosure::release::release(
            warehouse,
            &spec,
            &Default::default(),
        ))
        .map_err(|error| match error {
            DisclosureError::Spec { .. } | DisclosureError::Unprotectable { .. } => {
                anyhow::Error::new(UserError(error.to_string()))
            }
            other => anyhow::Error::new(other),
        })?;
    for indicator in &report.indicators {
        eprintln!(
            "release: {:<32} {:>7} cells  {:>6} suppressed by rule  {:>6} to protect them  {:>7} LPs",
            indicator.indicator,
            indicator.n_cells,
            indicator.n_primary,
            indicator.n_secondary,
            indicator.n_linear_programs
        );
    }
    let recoverable: usize = report.indicators.iter().map(|indicator| indicator.n_recoverable).sum();
    eprintln!(
        "release: audited, {recoverable} recoverable cells; wrote {} in {:.1}s (digest {})",
        report.folder.display(),
        started.elapsed().as_secs_f64(),
        &report.digest[..16]
    );
    Ok(report)
}

/// `kaigo extract`: check, write and log a researcher extract; the manifest goes to stdout.
fn extract(
    request: &std::path::Path,
    warehouse: &std::path::Path,
    key: Option<&std::path::Path>,
    as_of: Option<&std::path::Path>,
    operator: Option<String>,
) -> anyhow::Result<ExitCode> {
    use kaigo_extracts::{Extract, ExtractError, ExtractRequest, Manifest};
    let key = kaigo_pseudonymize::key::SecretKey::resolve(key).map_err(key_error)?;
    let text = std::fs::read_to_string(request).with_context(|| format!("reading {}", request.display()))?;
    let request =
        ExtractRequest::parse(&text, &request.display().to_string()).map_err(|error| UserError(error.to_string()))?;
    let warehouse = kaigo_warehouse::Warehouse::new(warehouse);
    let mut extract = Extract::new(&warehouse, &key, request);
    if let Some(operator) = operator {
        extract = extract.operator(operator);
    }
    if let Some(path) = as_of {
        let manifest: Manifest =
            serde_json::from_slice(&std::fs::read(path).with_context(|| format!("reading {}", path.display()))?)
                .with_context(|| format!("{} is not an extract manifest", path.display()))?;
        extract = extract.pinned(manifest.warehouse_versions);
    }
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    let report = runtime.block_on(extract.run()).map_err(|error| match error {
        ExtractError::Refused { .. } | ExtractError::Request { .. } => anyhow::Error::new(UserError(error.to_string())),
        other => anyhow::Error::new(other),
    })?;
    eprintln!(
        "kaigo extract: {} persons (smallest class {}, k = {}) → {}",
        report.manifest.anonymity.n_persons,
        report.manifest.anonymity.smallest_class,
        report.manifest.anonymity.k,
        report.folder.display()
    );
    println!("{}", serde_json::to_string_pretty(&report.manifest)?);
    Ok(ExitCode::SUCCESS)
}

/// `kaigo serve`: run the Postgres endpoint until interrupted, or hash a password.
fn serve(args: ServeArgs) -> anyhow::Result<ExitCode> {
    if args.hash_password {
        let mut password = String::new();
        std::io::stdin().read_line(&mut password)?;
        let password = password.trim_end_matches(['\r', '\n']);
        if password.is_empty() {
            return Err(UserError("no password on stdin".into()).into());
        }
        if args.iterations < kaigo_serve::DEFAULT_ITERATIONS {
            return Err(UserError(format!(
                "--iterations must be at least {}",
                kaigo_serve::DEFAULT_ITERATIONS
            ))
            .into());
        }
        println!(
            "password_hash = \"{}\"",
            kaigo_serve::hash_password(password, args.iterations)
        );
        return Ok(ExitCode::SUCCESS);
    }
    let (Some(warehouse), Some(config)) = (args.warehouse, args.config) else {
        unreachable!("clap requires --warehouse with --config")
    };
    let config = kaigo_serve::ServeConfig::read(&config).map_err(|error| UserError(error.to_string()))?;
    let address = args.listen.unwrap_or(config.listen);
    let roles: Vec<String> = config
        .roles()
        .iter()
        .map(|(name, role)| match role.description.as_str() {
            "" => format!("{name} ({:?})", role.zone).to_lowercase(),
            description => format!("{name}: {description}"),
        })
        .collect();
    eprintln!(
        "serve: listening on {address} (roles — {}); Ctrl-C stops",
        roles.join("; ")
    );
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    let warehouse = kaigo_warehouse::Warehouse::new(warehouse);
    runtime.block_on(async {
        tokio::select! {
            served = kaigo_serve::serve(&warehouse, &config, address) => served.map_err(|error| match error {
                kaigo_serve::ServeError::NeedsTls { .. } | kaigo_serve::ServeError::Tls { .. } => {
                    UserError(error.to_string()).into()
                }
                error => anyhow::Error::from(error),
            }),
            _ = tokio::signal::ctrl_c() => Ok(()),
        }
    })?;
    Ok(ExitCode::SUCCESS)
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // Two library messages are noise at the default level: deltalake warns once per binary column
    // per file that it keeps no statistics (the vault's token columns are binary by design), and
    // the Delta kernel logs an error for a log segment without files while delta-rs goes on
    // normally. `-vv` or RUST_LOG shows both.
    const QUIET: &str = "deltalake_core::writer::stats=error,buoyant_kernel::snapshot::builder=off";
    let default_level = match cli.verbose {
        0 => format!("warn,{QUIET}"),
        1 => format!("info,{QUIET}"),
        _ => "debug".to_string(),
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default_level));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match cli.log_format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder.json().init(),
    }
    // Batch commands say what budget they run within; interactive ones log it.
    let announce = matches!(
        cli.command,
        Command::Run { .. } | Command::Build { .. } | Command::Release { .. } | Command::Extract { .. }
    );
    let _scratch = match budget::set(cli.memory_limit, cli.scratch, announce) {
        Ok(folder) => folder,
        Err(error) => {
            eprintln!("error: {error:#}");
            return ExitCode::from(1);
        }
    };
    let result = match cli.command {
        Command::Run { pipeline } => run(pipeline),
        Command::Synth(args) => synth(args),
        Command::Ingest(args) => ingest(args),
        Command::Key(KeyCommand::New { out }) => key_new(&out),
        Command::Build { warehouse } => build(&warehouse),
        Command::Release { warehouse, spec } => release(&warehouse, spec.as_deref()),
        Command::Publish { warehouse, out } => {
            publish_site(&kaigo_warehouse::Warehouse::new(warehouse), &out).map(|_| ExitCode::SUCCESS)
        }
        Command::Extract {
            request,
            warehouse,
            key,
            as_of,
            operator,
        } => extract(&request, &warehouse, key.as_deref(), as_of.as_deref(), operator),
        Command::Audit(AuditCommand::Verify { warehouse, key, expect }) => {
            audit::verify(&warehouse, key.as_deref(), expect.as_deref())
        }
        Command::Linkage(LinkageCommand::Run { warehouse, key }) => linkage::run_command(&warehouse, key.as_deref()),
        Command::Linkage(LinkageCommand::Evaluate { warehouse, hub }) => linkage::evaluate_command(&warehouse, &hub),
        Command::Linkage(LinkageCommand::Explain { warehouse, left, right }) => {
            linkage::explain_command(&warehouse, &left, &right)
        }
        Command::Key(KeyCommand::Fingerprint { key }) => key_fingerprint(key.as_deref()),
        Command::Sql(args) => sql::sql(args),
        Command::Serve(args) => serve(args),
        Command::Docs { out } => docs(&out),
    };
    match result {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            if error.chain().any(|cause| cause.is::<UserError>()) {
                ExitCode::from(1)
            } else {
                ExitCode::from(2)
            }
        }
    }
}
