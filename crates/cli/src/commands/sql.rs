//! `kaigo sql`: the read-only session of kaigo-query from the command line — one query (`-c`),
//! a file of statements (`-f`), statements on stdin, or an interactive prompt with history,
//! multi-line input and `\d` to describe tables. Results go to stdout as a table, CSV, JSON or
//! Parquet; row counts and timings to stderr.

use std::{
    io::{IsTerminal, Write},
    path::{Path, PathBuf},
    process::ExitCode,
};

use anyhow::Context;
use arrow::array::RecordBatch;
use kaigo_query::{QueryError, session::Session};

use super::WarehouseRoot;
use crate::UserError;

/// Output format of results.
#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Format {
    /// Aligned table (the default).
    Table,
    /// CSV with a header line.
    Csv,
    /// A JSON array of objects, one per row.
    Json,
    /// Parquet (binary: redirect stdout or use --out).
    Parquet,
}

/// Arguments of `kaigo sql`.
#[derive(clap::Args)]
pub(crate) struct Args {
    #[command(flatten)]
    warehouse: WarehouseRoot,
    /// Run this statement (repeatable) and exit.
    #[arg(short = 'c', long = "command")]
    commands: Vec<String>,
    /// Run the statements of this file and exit.
    #[arg(short = 'f', long = "file")]
    file: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value = "table")]
    format: Format,
    /// Write results to this file instead of stdout.
    #[arg(long)]
    out: Option<PathBuf>,
}

/// An error of a statement the user typed: a statement that does not plan or run is theirs
/// to fix (in a shipped model it would be a bug); the rest as the query side says. Shown as its
/// one message: the user needs the parser's or planner's words, not the engine's chain.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub(crate) struct StatementError(QueryError);

impl StatementError {
    pub(crate) fn is_user(&self) -> bool {
        matches!(self.0, QueryError::DataFusion { .. }) || self.0.is_user()
    }
}

fn render(batches: &[RecordBatch], format: Format, sink: &mut (dyn Write + Send)) -> anyhow::Result<()> {
    match format {
        Format::Table => writeln!(sink, "{}", arrow::util::pretty::pretty_format_batches(batches)?)?,
        Format::Csv => {
            let mut writer = arrow::csv::WriterBuilder::new().with_header(true).build(&mut *sink);
            for batch in batches {
                writer.write(batch)?;
            }
        }
        Format::Json => {
            let mut writer = arrow::json::ArrayWriter::new(&mut *sink);
            writer.write_batches(&batches.iter().collect::<Vec<_>>())?;
            writer.finish()?;
            writeln!(sink)?;
        }
        Format::Parquet => {
            let schema = batches
                .first()
                .map(RecordBatch::schema)
                .context("no rows to write as Parquet")?;
            let mut writer = parquet::arrow::ArrowWriter::try_new(&mut *sink, schema, None)?;
            for batch in batches {
                writer.write(batch)?;
            }
            writer.close()?;
        }
    }
    Ok(())
}

/// Run every statement of `sql`, writing each result. Each statement is planned just before it
/// runs (so a `SET` applies to the ones after it). The time printed runs from the parsed
/// statement to the last row written; of it, planning (logical and physical) and writing the
/// result (formatting, output) are printed on their own.
async fn run_statements(
    session: &Session,
    sql: &str,
    format: Format,
    sink: &mut (dyn Write + Send),
) -> anyhow::Result<()> {
    for statement in Session::parse(sql).map_err(StatementError)? {
        let started = std::time::Instant::now();
        let (batches, planning) = session.run(statement).await.map_err(StatementError)?;
        let collected = started.elapsed();
        let rows: usize = batches.iter().map(RecordBatch::num_rows).sum();
        if !batches.is_empty() {
            render(&batches, format, sink)?;
        }
        sink.flush()?;
        let total = started.elapsed();
        eprintln!(
            "({rows} rows, {:.4}s; planning {:.4}s, writing {:.4}s)",
            total.as_secs_f64(),
            planning.as_secs_f64(),
            (total - collected).as_secs_f64()
        );
    }
    Ok(())
}

const HELP: &str = "Statements end with ';' and may span lines. Read-only: CREATE, DROP, INSERT, COPY … are refused.
  \\d          list tables          \\d TABLE    describe a table
  \\q          quit                 \\?          this help
Functions: wareki, wareki_to_date, fiscal_year, age_at_month, age_band, care_level_ordinal, care_level_label(_en),
service_kind_label, service_kind_group, is_valid_insurer_number. Tables: docs/tables.md.";

/// The interactive prompt: history in the cache folder, statements until `;`.
async fn repl(session: &Session, format: Format) -> anyhow::Result<()> {
    let mut editor = rustyline::DefaultEditor::new()?;
    let history = std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cache/kaigo/sql_history"));
    if let Some(path) = &history {
        let _ = editor.load_history(path);
    }
    eprintln!(
        "kaigo sql — {} tables, read-only. \\? for help, \\q to quit.",
        session.tables().len()
    );
    let mut buffer = String::new();
    loop {
        let prompt = if buffer.is_empty() { "kaigo> " } else { "  ...> " };
        let line = match editor.readline(prompt) {
            Ok(line) => line,
            Err(rustyline::error::ReadlineError::Interrupted) => {
                buffer.clear();
                continue;
            }
            Err(rustyline::error::ReadlineError::Eof) => break,
            Err(error) => return Err(error.into()),
        };
        let trimmed = line.trim();
        if buffer.is_empty() && trimmed.starts_with('\\') {
            let _ = editor.add_history_entry(trimmed);
            let (command, argument) = trimmed.split_once(' ').unwrap_or((trimmed, ""));
            let outcome = match command {
                "\\q" => break,
                "\\?" | "\\h" => {
                    eprintln!("{HELP}");
                    Ok(())
                }
                "\\d" => {
                    let table = argument.trim();
                    let models = kaigo_query::model::shipped(&kaigo_query::runner::sources()).unwrap_or_default();
                    if let Some(doc) = kaigo_query::dictionary::table_doc(table, &models) {
                        println!("{}\n", doc.description);
                    }
                    let sql = kaigo_query::dictionary::describe_sql(table, &models);
                    run_statements(session, &sql, format, &mut std::io::stdout()).await
                }
                other => Err(anyhow::anyhow!("unknown command {other}; \\? for help")),
            };
            if let Err(error) = outcome {
                eprintln!("error: {error:#}");
            }
            continue;
        }
        if !buffer.is_empty() {
            buffer.push('\n');
        }
        buffer.push_str(&line);
        if trimmed.ends_with(';') {
            let _ = editor.add_history_entry(buffer.as_str());
            if let Err(error) = run_statements(session, &buffer, format, &mut std::io::stdout()).await {
                eprintln!("error: {error:#}");
            }
            buffer.clear();
        }
    }
    if let Some(path) = &history {
        if let Some(folder) = path.parent() {
            let _ = std::fs::create_dir_all(folder);
        }
        let _ = editor.save_history(path);
    }
    Ok(())
}

fn open_sink(out: Option<&Path>, format: Format) -> anyhow::Result<Box<dyn Write + Send>> {
    match out {
        Some(path) => Ok(Box::new(std::io::BufWriter::new(
            std::fs::File::create(path).with_context(|| format!("creating {}", path.display()))?,
        ))),
        None if format == Format::Parquet && std::io::stdout().is_terminal() => Err(anyhow::Error::new(UserError(
            "Parquet output is binary: redirect stdout or use --out FILE".into(),
        ))),
        None => Ok(Box::new(std::io::BufWriter::new(std::io::stdout()))),
    }
}

pub(crate) fn run(args: Args, runtime: &tokio::runtime::Runtime) -> anyhow::Result<ExitCode> {
    runtime.block_on(async {
        let warehouse = args.warehouse.open()?;
        let session = Session::open(&warehouse).await.map_err(StatementError)?;
        let mut sink = open_sink(args.out.as_deref(), args.format)?;
        if !args.commands.is_empty() || args.file.is_some() {
            for command in &args.commands {
                run_statements(&session, command, args.format, &mut sink).await?;
            }
            if let Some(file) = &args.file {
                let text = std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
                run_statements(&session, &text, args.format, &mut sink).await?;
            }
        } else if std::io::stdin().is_terminal() && args.out.is_none() {
            repl(&session, args.format).await?;
        } else {
            let mut text = String::new();
            std::io::Read::read_to_string(&mut std::io::stdin(), &mut text)?;
            run_statements(&session, &text, args.format, &mut sink).await?;
        }
        Ok(ExitCode::SUCCESS)
    })
}
