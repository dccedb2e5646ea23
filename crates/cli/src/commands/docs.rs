//! `kaigo docs`: the extract formats and the data dictionary, generated from their declarations.

use std::{path::PathBuf, process::ExitCode};

use anyhow::Context;

/// Arguments of `kaigo docs`.
#[derive(clap::Args)]
pub(crate) struct Args {
    /// Documentation folder.
    #[arg(long, default_value = "docs")]
    out: PathBuf,
}

pub(crate) fn run(args: Args) -> anyhow::Result<ExitCode> {
    let formats = args.out.join("formats");
    let files = kaigo_formats::docs::write_all(&formats)?;
    let models = kaigo_query::model::shipped(&kaigo_query::runner::sources())?;
    let dictionary = args.out.join("tables.md");
    std::fs::write(&dictionary, kaigo_query::dictionary::render(&models))
        .with_context(|| format!("writing {}", dictionary.display()))?;
    eprintln!(
        "kaigo docs: wrote {files} files to {} and {}",
        formats.display(),
        dictionary.display()
    );
    Ok(ExitCode::SUCCESS)
}
