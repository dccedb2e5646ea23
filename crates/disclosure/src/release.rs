//! The public release: the counts of one model (see `release.toml`) by municipality, prefecture
//! and nation × month and fiscal year, protected and audited, written to `<root>/publish/`.
//!
//! Each count column becomes one [`Table`] (nation ⊃ prefecture ⊃ municipality × fiscal year ⊃
//! month), so the six published levels are slices of one cube and are protected together. Rates
//! are derived afterwards and shown only where both their counts are.

mod protect;
mod source;
mod spec;
mod write;

pub use protect::{AreaLevel, NOT_AVAILABLE_MARK, PublishedCell, Release, protect_release};
pub use source::{REGISTRY_MODEL, SourceArea, SourceRows, read_source};
use source::{read_registry, registry_column};
pub use spec::{CountSpec, OverTime, RateSpec, ReleaseSpec};
pub use write::{DATA_FLOW_INDICATOR, IndicatorReport, ReleaseReport, write};

use kaigo_warehouse::Warehouse;

use crate::{Result, Rules};

/// Build, protect, audit and write the release to `<root>/publish/` (replaced whole: written
/// beside it, then swapped in).
pub async fn release(warehouse: &Warehouse, spec: &ReleaseSpec, rules: &Rules) -> Result<ReleaseReport> {
    let (source, source_version) = read_source(warehouse, spec).await?;
    let release = protect_release(spec, &source, rules)?;
    let registry = read_registry(warehouse).await?;
    let folder = warehouse.root().join("publish");
    write(&release, &folder, &spec.source, source_version, Some(&registry))
}
