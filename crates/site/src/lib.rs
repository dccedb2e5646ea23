//! The policymakers' dashboard: `kaigo publish` turns the public release (`<root>/publish/`) into
//! a static site — an index with the national roll-out and a 47-prefecture tile map, one page per
//! prefecture with its municipalities and a funnel plot, and a page of definitions and
//! suppression rules — in Japanese with English labels.
//!
//! It reads only the released files (`cells.parquet`, `registry.parquet`, `manifest.json`), so
//! everything it shows has passed disclosure control; a count hidden there is "―" here with the
//! release's footnote. Charts are inline SVG and the one stylesheet is written next to the pages:
//! the site opens from `file://` with no network and no script. [`scan`] re-reads a built site
//! and checks every count it shows against the release.
//!
//! Not here: computing or protecting numbers (kaigo-disclosure does), and serving the site.

mod data;
mod pages;
mod scan;
mod svg;

use std::path::{Path, PathBuf};

pub use data::{Cell, Indicator, Insurer, Published};
pub use scan::{ScanReport, scan};

/// Errors building the site.
#[derive(Debug, thiserror::Error)]
pub enum SiteError {
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What failed.
        source: std::io::Error,
    },
    /// A released file is not what the site expects.
    #[error("{path}: {reason} (run `kaigo release` to write the public release)")]
    Input {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
}

impl SiteError {
    /// Whether the user can fix it: a release that is missing or not what the site reads.
    pub fn is_user(&self) -> bool {
        matches!(self, SiteError::Input { .. })
    }
}

/// Result with [`SiteError`].
pub type Result<T> = std::result::Result<T, SiteError>;

/// What was built.
#[derive(Debug, Clone)]
pub struct SiteReport {
    /// The site's folder.
    pub folder: PathBuf,
    /// Pages written (relative paths) and their sizes in bytes.
    pub pages: Vec<(String, u64)>,
    /// Shared assets written (relative paths) and their sizes in bytes.
    pub assets: Vec<(String, u64)>,
    /// The registry month the site describes (YYYYMM).
    pub as_of: u32,
    /// Insurers live in that month, of all insurers.
    pub n_live: usize,
    /// Insurers in that month.
    pub n_insurers: usize,
}

/// Builds the site from a `publish/` folder into `out` (replaced as a whole: written beside it
/// first, then renamed, so a failed build leaves the previous site).
pub fn build(publish: &Path, out: &Path) -> Result<SiteReport> {
    let published = Published::read(publish)?;
    let staging = out.with_extension("staging");
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source: std::io::Error| SiteError::Io { path, source }
    };
    if staging.exists() {
        std::fs::remove_dir_all(&staging).map_err(io(&staging))?;
    }
    std::fs::create_dir_all(staging.join("pref")).map_err(io(&staging))?;
    let mut pages = Vec::new();
    let mut assets = Vec::new();
    let mut write = |relative: &str, text: &str, is_page: bool| -> Result<()> {
        let path = staging.join(relative);
        std::fs::write(&path, text).map_err(io(&path))?;
        let entry = (relative.to_string(), text.len() as u64);
        if is_page {
            pages.push(entry)
        } else {
            assets.push(entry)
        }
        Ok(())
    };
    write("style.css", pages::STYLE, false)?;
    write("index.html", &pages::index(&published), true)?;
    write("about.html", &pages::about(&published), true)?;
    for prefecture in &kaigo_codes::prefecture::PREFECTURES {
        let code = format!("{:02}", prefecture.code);
        write(
            &format!("pref/{code}.html"),
            &pages::prefecture(&published, prefecture),
            true,
        )?;
    }
    if out.exists() {
        std::fs::remove_dir_all(out).map_err(io(out))?;
    }
    std::fs::rename(&staging, out).map_err(io(out))?;
    let as_of = published.as_of();
    let latest: Vec<&Insurer> = published.registry_at(as_of).collect();
    tracing::info!(pages = pages.len(), folder = %out.display(), "site built");
    Ok(SiteReport {
        folder: out.to_path_buf(),
        pages,
        assets,
        as_of,
        n_live: latest.iter().filter(|row| row.is_live).count(),
        n_insurers: latest.len(),
    })
}
