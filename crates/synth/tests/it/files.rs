//! Every generated file reads back with the formats crate; files without injected invalid
//! records re-write to the same bytes; the only row errors are injected ones; truth covers
//! every person record; deliveries start at go-live with the back-fill.

use std::{collections::BTreeMap, io::Read, path::Path};

use kaigo_formats::{
    RowError,
    care_plan::{PlanMonth, PlanSheet1, PlanSheet2, PlanSupplement},
    certification::CertificationRecord,
    claims::{ClaimsReader, ClaimsWriter},
    flat::{FlatExtract, FlatReader, FlatWriter},
    life::LifeRecord,
    register::RegisterRecord,
    registry::{InsurerRecord, ProviderActivityRecord, ProviderRecord},
};

use crate::hub::{data_files, invalid_lines, record_ranges, shared};

/// Outcome of reading one file: lines read, lines with a row error, whether a re-write matched.
struct Checked {
    kind: &'static str,
    lines: Vec<u64>,
    errors: Vec<RowError>,
    rewrite_matches: Option<bool>,
}

fn flat<E: FlatExtract>(bytes: &[u8]) -> Checked {
    let rows = FlatReader::<_, E>::open(bytes).unwrap().read_all().unwrap();
    let lines = rows.iter().map(|(line, _)| *line).collect();
    let errors: Vec<RowError> = rows.iter().filter_map(|(_, row)| row.as_ref().err().cloned()).collect();
    let rewrite_matches = errors.is_empty().then(|| {
        let mut writer = FlatWriter::<_, E>::new(Vec::new()).unwrap();
        for (_, row) in &rows {
            writer.write(row.as_ref().unwrap()).unwrap();
        }
        writer.finish().unwrap() == bytes
    });
    Checked {
        kind: E::NAME,
        lines,
        errors,
        rewrite_matches,
    }
}

fn claims(bytes: &[u8]) -> Checked {
    let reader = ClaimsReader::open(bytes).unwrap();
    let kind = reader.data_kind();
    let (control, rows) = reader.read_all().unwrap();
    let lines = rows.iter().map(|(line, _)| *line).collect();
    let errors: Vec<RowError> = rows.iter().filter_map(|(_, row)| row.as_ref().err().cloned()).collect();
    let rewrite_matches = errors.is_empty().then(|| {
        let mut writer = ClaimsWriter::new(
            kind,
            &control.insurer_number,
            control.prefecture.parse().unwrap(),
            control.processing_month,
        );
        for (_, row) in &rows {
            writer.write(row.as_ref().unwrap()).unwrap();
        }
        let mut out = Vec::new();
        writer.finish(&mut out).unwrap();
        out == bytes
    });
    Checked {
        kind: kind.code(),
        lines,
        errors,
        rewrite_matches,
    }
}

fn check(path: &Path) -> Checked {
    let mut bytes = Vec::new();
    std::fs::File::open(path).unwrap().read_to_end(&mut bytes).unwrap();
    let name = path.file_name().unwrap().to_string_lossy().to_string();
    match name.as_str() {
        "certification.csv" => flat::<CertificationRecord>(&bytes),
        "life.csv" => flat::<LifeRecord>(&bytes),
        "register.csv" => flat::<RegisterRecord>(&bytes),
        "provider_activity.csv" => flat::<ProviderActivityRecord>(&bytes),
        "insurers.csv" => flat::<InsurerRecord>(&bytes),
        "providers.csv" => flat::<ProviderRecord>(&bytes),
        _ if name.starts_with("UP1KYO_") => flat::<PlanSheet1>(&bytes),
        _ if name.starts_with("UP2KYO_") => flat::<PlanSheet2>(&bytes),
        _ if name.starts_with("UPPLAN_") || name.starts_with("UPJSK_") => flat::<PlanMonth>(&bytes),
        _ if name.starts_with("UPHOSOKU_") => flat::<PlanSupplement>(&bytes),
        _ if name.starts_with('d') && name.ends_with(".csv") => claims(&bytes),
        _ => panic!("unexpected file {name}"),
    }
}

#[test]
fn every_file_reads_back_and_rewrites_to_the_same_bytes() {
    let hub = shared();
    let invalid = invalid_lines(&hub.root);
    let mut rewritten: BTreeMap<&'static str, usize> = BTreeMap::new();
    let mut records = 0u64;
    for (relative, path) in data_files(&hub.root) {
        let checked = check(&path);
        records += checked.lines.len() as u64;
        for error in &checked.errors {
            let injected = invalid.get(&relative).is_some_and(|lines| lines.contains(&error.line));
            assert!(injected, "{relative}: {error} is not an injected invalid record");
        }
        match checked.rewrite_matches {
            Some(true) => *rewritten.entry(checked.kind).or_default() += 1,
            Some(false) => panic!("{relative}: re-writing the records read gives different bytes"),
            None => {}
        }
    }
    assert_eq!(records, hub.summary.records, "every record written is read");
    for kind in [
        "711",
        "812",
        "821",
        "certification",
        "life",
        "register",
        "insurers",
        "providers",
        "provider_activity",
        "UP1KYO",
        "UP2KYO",
        "UPPLAN",
        "UPHOSOKU",
    ] {
        assert!(
            rewritten.get(kind).copied().unwrap_or(0) > 0,
            "no {kind} file was checked byte for byte: {rewritten:?}"
        );
    }
}

#[test]
fn claims_files_are_ms932_with_crlf_control_and_end_records() {
    let hub = shared();
    let mut files = 0;
    for (relative, path) in data_files(&hub.root) {
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        if !(name.starts_with('d') && name.ends_with(".csv")) {
            continue;
        }
        files += 1;
        let bytes = std::fs::read(&path).unwrap();
        let (_, _, had_errors) = encoding_rs::SHIFT_JIS.decode(&bytes);
        assert!(!had_errors, "{relative} is not valid MS932");
        assert!(bytes.ends_with(b"\r\n"));
        assert_eq!(
            bytes
                .windows(2)
                .filter(|pair| pair[1] == b'\n' && pair[0] != b'\r')
                .count(),
            0,
            "{relative}: bare LF"
        );
        let text = encoding_rs::SHIFT_JIS.decode(&bytes).0;
        let lines: Vec<&str> = text.split_terminator("\r\n").collect();
        assert!(lines[0].starts_with("1,1,"), "{relative}: control record first");
        assert!(lines.last().unwrap().starts_with("3,"), "{relative}: end record last");
        assert!(
            lines[1..lines.len() - 1].iter().all(|line| line.starts_with("2,")),
            "{relative}: data records between"
        );
    }
    assert!(files > 0);
}

#[test]
fn truth_names_the_person_of_every_record() {
    let hub = shared();
    let ranges = record_ranges(&hub.root);
    for (relative, path) in data_files(&hub.root) {
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        if matches!(
            name.as_str(),
            "insurers.csv" | "providers.csv" | "provider_activity.csv"
        ) {
            continue;
        }
        let checked = check(&path);
        let covered = ranges.get(&relative).cloned().unwrap_or_default();
        for line in checked.lines {
            assert!(
                covered.iter().any(|&(first, last, _)| (first..=last).contains(&line)),
                "{relative}:{line} has no truth row"
            );
        }
    }
}

#[test]
fn an_insurer_appears_from_its_go_live_with_its_history_back_filled() {
    let hub = shared();
    let truth = std::fs::read_to_string(hub.root.join("truth/insurers.csv")).unwrap();
    let files = data_files(&hub.root);
    let mut checked = 0;
    for line in truth.lines().skip(1) {
        let fields: Vec<&str> = line.split(',').collect();
        let (number, go_live) = (fields[0], fields[9].replace('-', ""));
        let folders: Vec<String> = files
            .iter()
            .filter(|(relative, _)| relative.split('/').nth(1) == Some(number))
            .map(|(relative, _)| relative.split('/').next().unwrap().to_string())
            .collect();
        if go_live.as_str() > "202804" {
            assert!(folders.is_empty(), "{number} delivered before its go-live {go_live}");
            continue;
        }
        let first = folders.iter().min().unwrap();
        assert_eq!(*first, go_live, "{number}: first delivery is the go-live month");
        // The go-live delivery back-fills every service month from the start of the period.
        let claims = files
            .iter()
            .find(|(relative, _)| relative.starts_with(&format!("{go_live}/{number}/d")) && relative.ends_with("a.csv"))
            .unwrap();
        let (_, records) = ClaimsReader::open(std::fs::File::open(&claims.1).unwrap())
            .unwrap()
            .read_all()
            .unwrap();
        let months: std::collections::BTreeSet<String> = records
            .iter()
            .filter_map(|(_, record)| match record {
                Ok(kaigo_formats::claims::ClaimRecord::Basic(basic)) => Some(basic.service_month.compact()),
                _ => None,
            })
            .collect();
        if let (Some(first_month), Some(last_month)) = (months.first(), months.last()) {
            assert_eq!(first_month, "202504", "{number}: back-fill starts at the first month");
            assert!(
                last_month.as_str() < go_live.as_str(),
                "{number}: back-fill stops before go-live"
            );
            checked += 1;
        }
    }
    assert!(checked > 0);
}
