//! The calibration holds on a hub of 20,000 persons over three fiscal years: every compared
//! marginal within its tolerance (the acceptance run uses 100,000; see benches/README.md).

use kaigo_synth::{SynthConfig, generate};

use crate::hub::month;

#[test]
fn calibration_is_within_tolerance() {
    let dir = tempfile::tempdir().unwrap();
    let summary = generate(
        &SynthConfig::new(20_000, month(2025, 4), month(2028, 3), 7),
        &dir.path().join("hub"),
    )
    .unwrap();
    let report = &summary.calibration;
    assert!(report.rows.len() > 50);
    let failures: Vec<String> = report
        .failures()
        .iter()
        .map(|row| format!("{}: target {} generated {}", row.measure, row.target, row.generated))
        .collect();
    assert!(
        failures.is_empty(),
        "outside tolerance:\n{}\n\n{}",
        failures.join("\n"),
        report.render()
    );
    // Events and noise happen at their configured orders of magnitude.
    let stats = &report.stats;
    assert!(stats.moves > 100 && stats.surname_changes > 20 && stats.hospital_admissions > 1000);
    assert!(
        stats.number_reissues > 20,
        "{} numbers re-issued",
        stats.number_reissues
    );
    for kind in [
        "kana_small",
        "kana_voiced_mark",
        "kana_long_vowel",
        "kana_spacing",
        "kana_half_width",
        "kana_name_order",
        "full_width_digits",
        "digit_typo",
        "missing_birth_day",
        "birth_month_wrong",
        "sex_wrong",
    ] {
        assert!(stats.noise.get(kind).copied().unwrap_or(0) > 0, "no {kind} noise");
    }
    assert!(!report.not_modelled.is_empty());
}
