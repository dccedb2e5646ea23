//! Benchmark (not a test): secondary suppression and the audit for a national release — the
//! shipped release's twelve counts with their nesting (level 3+ within certified…), over 47
//! prefectures × 1,571 insurers × 36 months. Counts are drawn around national rates for
//! heavy-tailed populations, a nested count from its superset's (seeded, so every run protects
//! the same tables). Each linked group is protected on its own, one after the other, so each has
//! its time. Prints one JSON line per count, one per group and a total.
//!
//! `cargo bench --workspace --bench national` (or benches/disclosure_national.sh);
//! `KAIGO_BENCH_AREAS` and `KAIGO_BENCH_MONTHS` set a smaller size.

use std::time::Instant;

use kaigo_disclosure::{
    CellStatus, Rules,
    release::{ReleaseSpec, protect_release},
};
use national_source::national_source;

#[path = "common/national_source.rs"]
mod national_source;

fn setting(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(default)
}

fn main() {
    let n_areas = setting("KAIGO_BENCH_AREAS", 1_571);
    let n_months = setting("KAIGO_BENCH_MONTHS", 36);
    let national = national_source(n_areas, n_months);
    let shipped = ReleaseSpec::shipped();
    let mut totals = (0, 0, 0, 0, 0.0);
    for group in shipped.linked_groups() {
        let (spec, source) = national.group(&shipped, &group);
        let started = Instant::now();
        let release = protect_release(&spec, &source, &Rules::default()).expect("protects");
        let seconds = started.elapsed().as_secs_f64();
        let mut group_programs = 0;
        for (count, table, protection) in release.indicators() {
            let (primary, secondary) = (
                protection.count(CellStatus::Primary),
                protection.count(CellStatus::Secondary),
            );
            println!(
                "{{\"indicator\": \"{}\", \"cells\": {}, \"primary\": {primary}, \"secondary\": {secondary}, \"rounds\": {}, \"linear_programs\": {}, \"recoverable\": {}}}",
                count.column,
                table.len(),
                protection.n_rounds,
                protection.audit.n_linear_programs,
                protection.audit.failures().count()
            );
            // A group's counts share one audit: its programs are counted once.
            group_programs = protection.audit.n_linear_programs;
            totals = (
                totals.0 + table.len(),
                totals.1 + primary,
                totals.2 + secondary,
                totals.3,
                totals.4,
            );
        }
        let names: Vec<&str> = group
            .iter()
            .map(|count| shipped.counts[*count].column.as_str())
            .collect();
        println!("{{\"group\": {names:?}, \"linear_programs\": {group_programs}, \"seconds\": {seconds:.1}}}");
        totals.3 += group_programs;
        totals.4 += seconds;
    }
    println!(
        "{{\"benchmark\": \"disclosure national\", \"areas\": {n_areas}, \"months\": {n_months}, \"counts\": {}, \"cells\": {}, \"primary\": {}, \"secondary\": {}, \"linear_programs\": {}, \"seconds\": {:.1}}}",
        shipped.counts.len(),
        totals.0,
        totals.1,
        totals.2,
        totals.3,
        totals.4
    );
}
