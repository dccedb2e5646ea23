//! Pipeline run definitions (`pipelines/*.toml`) and the embedded default.

use std::path::{Path, PathBuf};

use anyhow::Context;

/// The embedded default run (`pipelines/demo.toml`).
pub const DEMO: &str = include_str!("../../../pipelines/demo.toml");

/// A run definition.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Pipeline {
    /// Synthetic hub.
    #[serde(default)]
    pub synth: SynthSection,
    /// Where outputs go.
    #[serde(default)]
    pub output: OutputSection,
}

/// `[synth]`.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SynthSection {
    /// Persons certified at the start.
    pub persons: u64,
    /// `YYYY-MM..YYYY-MM`.
    pub months: String,
    /// Seed.
    pub seed: u64,
}

impl Default for SynthSection {
    fn default() -> Self {
        Self {
            persons: 20_000,
            months: "2025-04..2028-03".into(),
            seed: 7,
        }
    }
}

/// `[output]`.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct OutputSection {
    /// Root folder.
    pub root: PathBuf,
}

impl Default for OutputSection {
    fn default() -> Self {
        Self {
            root: PathBuf::from("out/demo"),
        }
    }
}

/// Load a pipeline file, or the embedded default.
pub fn load(path: Option<&Path>) -> anyhow::Result<Pipeline> {
    let (text, origin) = match path {
        Some(path) => (
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?,
            path.display().to_string(),
        ),
        None => (DEMO.to_string(), "embedded pipelines/demo.toml".to_string()),
    };
    toml::from_str(&text).map_err(|error| anyhow::Error::new(crate::UserError(format!("{origin}: {error}"))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_demo_parses_to_the_documented_defaults() {
        let pipeline = load(None).unwrap();
        assert_eq!(pipeline.synth.persons, SynthSection::default().persons);
        assert_eq!(pipeline.synth.months, SynthSection::default().months);
        assert_eq!(pipeline.output.root, OutputSection::default().root);
    }

    #[test]
    fn unknown_keys_are_refused() {
        let error = toml::from_str::<Pipeline>("[synth]\npersns = 5\n").unwrap_err();
        assert!(error.to_string().contains("persns"));
    }
}
