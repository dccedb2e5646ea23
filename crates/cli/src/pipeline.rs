//! Pipeline run definitions (`pipelines/*.toml`) and the embedded default.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use kaigo_codes::calendar::YearMonth;

use crate::UserError;

/// The embedded default run (`pipelines/demo.toml`).
pub const DEMO: &str = include_str!("../../../pipelines/demo.toml");

/// A run definition.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Pipeline {
    /// Synthetic hub.
    #[serde(default)]
    pub synth: SynthSection,
    /// Loading into the warehouse.
    #[serde(default)]
    pub ingest: IngestSection,
    /// Where outputs go.
    #[serde(default)]
    pub output: OutputSection,
}

/// `[ingest]`.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct IngestSection {
    /// Key file, created if missing.
    pub key: PathBuf,
}

impl Default for IngestSection {
    fn default() -> Self {
        Self {
            key: PathBuf::from("out/demo/demo.key"),
        }
    }
}

/// `[synth]`, with optional `[synth.rates]` and `[synth.noise]` tables.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SynthSection {
    /// Persons certified at the start.
    pub persons: u64,
    /// `YYYY-MM..YYYY-MM`.
    pub months: String,
    /// Seed.
    pub seed: u64,
    /// Life-event and roll-out rates.
    pub rates: kaigo_synth::EventRates,
    /// Identifier noise and invalid-record rates.
    pub noise: kaigo_synth::NoiseRates,
    /// Names only from this many of the most common surnames and given names (a hub full of
    /// natural coincidences); absent: the full pools.
    pub narrow_names: Option<u16>,
}

impl Default for SynthSection {
    fn default() -> Self {
        Self {
            persons: 20_000,
            months: "2025-04..2028-03".into(),
            seed: 7,
            rates: kaigo_synth::EventRates::default(),
            noise: kaigo_synth::NoiseRates::default(),
            narrow_names: None,
        }
    }
}

impl SynthSection {
    /// The generator configuration this section describes.
    pub fn config(&self) -> anyhow::Result<kaigo_synth::SynthConfig> {
        let (first, last) = parse_months(&self.months)?;
        let mut config = kaigo_synth::SynthConfig::new(self.persons, first, last, self.seed);
        config.rates = self.rates.clone();
        config.noise = self.noise.clone();
        config.narrow_names = self.narrow_names;
        Ok(config)
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

/// `YYYY-MM..YYYY-MM`, inclusive.
fn parse_months(text: &str) -> anyhow::Result<(YearMonth, YearMonth)> {
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

/// Load a pipeline file, or the embedded default.
pub fn load(path: Option<&Path>) -> anyhow::Result<Pipeline> {
    let (text, origin) = match path {
        Some(path) => (
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?,
            path.display().to_string(),
        ),
        None => (DEMO.to_string(), "embedded pipelines/demo.toml".to_string()),
    };
    toml::from_str(&text).map_err(|error| anyhow::Error::new(UserError(format!("{origin}: {error}"))))
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
        assert_eq!(pipeline.ingest.key, IngestSection::default().key);
    }

    #[test]
    fn rates_and_noise_tables_override_defaults() {
        let text = "[synth]\npersons = 10\nnarrow_names = 7\n[synth.rates]\nmoves_per_year = 0.05\n[synth.noise]\ninvalid = 0\n";
        let pipeline: Pipeline = toml::from_str(text).unwrap();
        let config = pipeline.synth.config().unwrap();
        assert_eq!(config.narrow_names, Some(7));
        assert_eq!(load(None).unwrap().synth.config().unwrap().narrow_names, None);
        assert_eq!(config.rates.moves_per_year, 0.05);
        assert_eq!(config.noise.invalid, 0.0);
        assert_eq!(
            config.noise.kana_variant,
            kaigo_synth::NoiseRates::default().kana_variant
        );
        assert!(toml::from_str::<Pipeline>("[synth.noise]\ntypo = 1\n").is_err());
    }

    #[test]
    fn embedded_demo_states_the_library_defaults() {
        let pipeline = load(None).unwrap();
        let rates = serde_json::to_value(&pipeline.synth.rates).unwrap();
        assert_eq!(rates, serde_json::to_value(kaigo_synth::EventRates::default()).unwrap());
        let noise = serde_json::to_value(&pipeline.synth.noise).unwrap();
        assert_eq!(noise, serde_json::to_value(kaigo_synth::NoiseRates::default()).unwrap());
    }

    #[test]
    fn unknown_keys_are_refused() {
        let error = toml::from_str::<Pipeline>("[synth]\npersns = 5\n").unwrap_err();
        assert!(error.to_string().contains("persns"));
    }
}
