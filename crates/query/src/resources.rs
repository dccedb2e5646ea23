//! The memory budget of a command: one DataFusion runtime for the whole process, whose memory
//! pool every session of the command shares and whose sorts, aggregates and joins spill to a
//! scratch folder instead of growing past it.
//!
//! The CLI sets it once at start ([`configure`]); a library caller that does not gets
//! DataFusion's default (no limit, spill files in the OS temporary folder). `kaigo serve` gives
//! each connection a pool of its own instead (its `[limits]`).

use std::{
    num::NonZeroUsize,
    path::{Path, PathBuf},
    sync::{Arc, OnceLock},
};

use deltalake::datafusion::execution::{
    disk_manager::{DiskManagerBuilder, DiskManagerMode},
    memory_pool::{GreedyMemoryPool, TrackConsumersPool},
    runtime_env::{RuntimeEnv, RuntimeEnvBuilder},
};

use crate::{QueryError, datafusion_error};

/// The share of the budget DataFusion's operators may hold; the rest is for what the pool does
/// not track (Parquet readers, batches in flight, the allocator's slack).
const POOL_SHARE: f64 = 0.75;

/// The runtime, and the budget when one is configured.
static RUNTIME: OnceLock<(Arc<RuntimeEnv>, Option<Budget>)> = OnceLock::new();

/// How much memory a command may use and where it spills.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Budget {
    /// Bytes.
    pub memory: u64,
    /// The folder spill files are written to (the caller creates and removes it).
    pub scratch: PathBuf,
}

impl Budget {
    /// Half of the machine's memory, the default when no limit is given.
    pub fn machine_default() -> u64 {
        let mut system = sysinfo::System::new();
        system.refresh_memory();
        match system.total_memory() {
            0 => 4 << 30,
            total => total / 2,
        }
    }
}

/// Make `budget` the one every session of this process runs within. Fails if a runtime was
/// already configured or handed out.
pub fn configure(budget: &Budget) -> Result<(), QueryError> {
    let runtime = build(budget.memory, &budget.scratch)?;
    RUNTIME
        .set((runtime, Some(budget.clone())))
        .map_err(|_| QueryError::Budget {
            reason: "the memory budget is set once, before the first session".into(),
        })
}

/// The runtime sessions run in: the configured budget, or DataFusion's unbounded default.
pub fn runtime() -> Arc<RuntimeEnv> {
    RUNTIME
        .get_or_init(|| (Arc::new(RuntimeEnv::default()), None))
        .0
        .clone()
}

/// The configured budget's bytes, for the stages that size their own buffers from it (ingest);
/// None when none was configured.
pub fn memory_limit() -> Option<u64> {
    RUNTIME
        .get()
        .and_then(|(_, budget)| budget.as_ref().map(|budget| budget.memory))
}

/// The bytes DataFusion's operators may hold under the configured budget; None when none was
/// configured.
pub(crate) fn pool_limit() -> Option<usize> {
    memory_limit().map(pool_size)
}

/// Where a command keeps its intermediate files: the budget's scratch folder, else the OS
/// temporary folder.
pub(crate) fn scratch() -> PathBuf {
    RUNTIME
        .get()
        .and_then(|(_, budget)| budget.as_ref().map(|budget| budget.scratch.clone()))
        .unwrap_or_else(std::env::temp_dir)
}

/// The pool each partition of a plan should have. Each partition's sorts and aggregates grow
/// and merge their spilled runs on their own, first come first served: under a pool much
/// smaller than this, one partition's merge takes what the other's sort needs to spill, and
/// the statement fails where it would run in one partition.
const POOL_PER_PARTITION: usize = 1 << 30;

/// How many partitions plans run in: `cores`, fewer under a `pool` that cannot give each
/// [`POOL_PER_PARTITION`], and at least one.
pub(crate) fn partitions(cores: usize, pool: Option<usize>) -> usize {
    match pool {
        Some(pool) => cores.min(pool / POOL_PER_PARTITION).max(1),
        None => cores,
    }
}

/// What a sort holds back for merging its spilled runs: DataFusion's 10 MB, less under a small
/// budget so that the sorts of one plan (each partition has its own) fit in the pool together.
pub(crate) fn sort_spill_reservation(partitions: usize) -> Option<usize> {
    let pool = pool_size(memory_limit()?);
    Some((pool / (8 * partitions.max(1))).clamp(64 << 10, 10 << 20))
}

fn pool_size(memory: u64) -> usize {
    (memory as f64 * POOL_SHARE) as usize
}

fn build(memory: u64, scratch: &Path) -> Result<Arc<RuntimeEnv>, QueryError> {
    RuntimeEnvBuilder::new()
        .with_memory_pool(Arc::new(TrackConsumersPool::new(
            GreedyMemoryPool::new(pool_size(memory)),
            NonZeroUsize::new(5).expect("five"),
        )))
        .with_disk_manager_builder(
            DiskManagerBuilder::default().with_mode(DiskManagerMode::Directories(vec![scratch.to_path_buf()])),
        )
        .build_arc()
        .map_err(|error| datafusion_error("memory budget", error))
}

/// Parse a size as people write it: `4GiB`, `512MiB`, `1.5GB`, `2048` (bytes). `KiB`…`TiB` are
/// powers of 1024, `KB`…`TB` of 1000, as in DuckDB's `memory_limit`.
pub fn parse_size(text: &str) -> Result<u64, QueryError> {
    let invalid = || QueryError::Budget {
        reason: format!("`{text}` is not a size (e.g. 4GiB, 512MiB, 1.5GB)"),
    };
    let text = text.trim();
    let split = text
        .find(|character: char| !(character.is_ascii_digit() || character == '.'))
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: f64 = number.parse().map_err(|_| invalid())?;
    let factor: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "kb" => 1_000,
        "mb" => 1_000_000,
        "gb" => 1_000_000_000,
        "tb" => 1_000_000_000_000,
        "kib" => 1 << 10,
        "mib" => 1 << 20,
        "gib" => 1 << 30,
        "tib" => 1 << 40,
        _ => return Err(invalid()),
    };
    let bytes = number * factor as f64;
    if !bytes.is_finite() || bytes < 1.0 || bytes > u64::MAX as f64 {
        return Err(invalid());
    }
    Ok(bytes as u64)
}

/// A size as `parse_size` reads it back, in binary units.
pub fn format_size(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes}B")
    } else {
        format!("{value:.1}{}", UNITS[unit])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_small_pool_runs_plans_in_fewer_partitions() {
        assert_eq!(partitions(2, None), 2);
        assert_eq!(partitions(2, Some(768 << 20)), 1);
        assert_eq!(partitions(2, Some(3 << 30)), 2);
        assert_eq!(partitions(16, Some(3 << 30)), 3);
    }

    #[test]
    fn sizes_parse_in_binary_and_decimal_units() {
        assert_eq!(parse_size("4GiB").unwrap(), 4 << 30);
        assert_eq!(parse_size("512 MiB").unwrap(), 512 << 20);
        assert_eq!(parse_size("1.5GB").unwrap(), 1_500_000_000);
        assert_eq!(parse_size("2048").unwrap(), 2048);
        assert_eq!(parse_size("1gib").unwrap(), 1 << 30);
        for wrong in ["", "GiB", "4 GiBs", "-1GiB", "0", "1e3MiB"] {
            assert!(parse_size(wrong).is_err(), "{wrong}");
        }
        assert_eq!(format_size(4 << 30), "4.0GiB");
        assert_eq!(format_size(1536 << 20), "1.5GiB");
        assert_eq!(format_size(100), "100B");
    }
}
