//! Checks a built site against the release it was built from: every count it shows (tagged
//! `data-count`) is a cell the release shows, with the same text; no count of persons is between
//! 1 and the person minimum; and no page refers to anything outside the site.

use std::path::Path;

use crate::{Published, Result, SiteError};

/// What the scan found.
#[derive(Debug, Clone, Default)]
pub struct ScanReport {
    /// Files read.
    pub n_files: usize,
    /// Tagged counts checked.
    pub n_counts: usize,
    /// Problems, each naming the file and the tag (never more than the release shows).
    pub violations: Vec<String>,
}

/// Scans every file under `site` against the release in `publish`.
pub fn scan(site: &Path, publish: &Path) -> Result<ScanReport> {
    let published = Published::read(publish)?;
    let person_minimum = published.rules["person_minimum"].as_f64().unwrap_or(10.0);
    let persons: Vec<&str> = published
        .indicators
        .iter()
        .filter(|indicator| indicator.unit == "persons")
        .map(|indicator| indicator.name.as_str())
        .collect();
    let mut report = ScanReport::default();
    let mut files = Vec::new();
    collect(site, &mut files)?;
    files.sort();
    for path in files {
        let text = std::fs::read_to_string(&path).map_err(|source| SiteError::Io {
            path: path.clone(),
            source,
        })?;
        report.n_files += 1;
        let name = path.strip_prefix(site).unwrap_or(&path).display().to_string();
        for reference in ["http://", "https://", "src=\"//", "href=\"//", "url(//"] {
            if text.contains(reference) {
                report
                    .violations
                    .push(format!("{name}: refers outside the site ({reference})"));
            }
        }
        let mut rest = text.as_str();
        while let Some(start) = rest.find("data-count=\"") {
            rest = &rest[start + "data-count=\"".len()..];
            let Some(end) = rest.find('"') else { break };
            let tag = &rest[..end];
            let shown = rest[end..]
                .split_once('>')
                .map(|(_, after)| after.split('<').next().unwrap_or_default().trim())
                .unwrap_or_default();
            report.n_counts += 1;
            let parts: Vec<&str> = tag.split('|').collect();
            let cell = match parts.as_slice() {
                [indicator, area, month] => month
                    .parse::<u32>()
                    .ok()
                    .and_then(|month| published.month_cell(indicator, area, month)),
                _ => None,
            };
            let Some(cell) = cell else {
                report
                    .violations
                    .push(format!("{name}: {tag} is not a cell of the release"));
                continue;
            };
            if shown != cell.display {
                report
                    .violations
                    .push(format!("{name}: {tag} shows other than the release"));
            }
            if let Ok(value) = shown.replace(',', "").parse::<f64>()
                && persons.contains(&parts[0])
                && value > 0.0
                && value < person_minimum
            {
                report
                    .violations
                    .push(format!("{name}: {tag} is a count of persons below {person_minimum}"));
            }
        }
    }
    Ok(report)
}

fn collect(folder: &Path, files: &mut Vec<std::path::PathBuf>) -> Result<()> {
    let entries = std::fs::read_dir(folder).map_err(|source| SiteError::Io {
        path: folder.to_path_buf(),
        source,
    })?;
    for entry in entries {
        let path = entry
            .map_err(|source| SiteError::Io {
                path: folder.to_path_buf(),
                source,
            })?
            .path();
        if path.is_dir() {
            collect(&path, files)?;
        } else {
            files.push(path);
        }
    }
    Ok(())
}
