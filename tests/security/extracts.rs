//! Researcher extracts: the cohort cannot be injected into, refusals say no count below k, the
//! audit trail is written before any file and cannot be cut or forged unnoticed, and the
//! restricted zones are private.

use std::{os::unix::fs::PermissionsExt, path::Path, process::Output};

use crate::fixture::{kaigo, key, warehouse_copy};

/// A request over the whole fixture period with `cohort` (TOML-escaped by the caller).
fn request(dir: &Path, project: &str, cohort: &str) -> std::path::PathBuf {
    let path = dir.join(format!("{project}.toml"));
    std::fs::write(
        &path,
        format!(
            "project = \"{project}\"\nrequested_by = \"security test\"\nperiod = \"2027-07..2027-09\"\n\
             cohort = {cohort:?}\nquasi_identifiers = [\"sex_code\"]\nk = 10\ngeneralize_months = \"quarter\"\n\n\
             [[tables]]\nname = \"fct_person_months\"\ncolumns = [\"month_key\", \"care_level_code\"]\n"
        ),
    )
    .unwrap();
    path
}

fn extract(warehouse: &Path, request: &Path) -> Output {
    kaigo()
        .arg("extract")
        .arg(request)
        .arg("--warehouse")
        .arg(warehouse)
        .arg("--key")
        .arg(key())
        .args(["--operator", "security-test"])
        .output()
        .unwrap()
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn the_cohort_is_parsed_never_pasted_and_refusals_give_no_small_counts() {
    let dir = tempfile::tempdir().unwrap();
    let warehouse = warehouse_copy(dir.path());
    let all = extract(&warehouse, &request(dir.path(), "everyone", "true"));
    assert!(all.status.success(), "{}", String::from_utf8_lossy(&all.stderr));
    let manifest: serde_json::Value = serde_json::from_slice(&all.stdout).unwrap();
    let everyone = manifest["anonymity"]["n_persons"].as_u64().unwrap();
    assert!(everyone >= 10);
    // The panel's months are released at the quarter asked for: July to September is 202707.
    let folder = std::fs::read_dir(warehouse.join("extracts/everyone"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let file = std::fs::File::open(folder.join("fct_person_months.parquet")).unwrap();
    let mut months = std::collections::BTreeSet::new();
    for batch in parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file)
        .unwrap()
        .build()
        .unwrap()
    {
        let batch = batch.unwrap();
        let column = arrow::compute::cast(
            batch.column_by_name("month_key").unwrap(),
            &arrow::datatypes::DataType::Int64,
        )
        .unwrap();
        let values = column.as_any().downcast_ref::<arrow::array::Int64Array>().unwrap();
        months.extend(values.iter().flatten());
    }
    assert_eq!(months.into_iter().collect::<Vec<_>>(), [202707]);

    let person_key = String::from_utf8(
        kaigo()
            .args(["sql", "--format", "csv", "--warehouse"])
            .arg(&warehouse)
            .args(["-c", "select min(person_key) from fct_person_months"])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap()
    .lines()
    .nth(1)
    .unwrap()
    .to_string();
    for (project, cohort, rule) in [
        ("inject-or", "care_level_code = '99') or (true", "text follows it"),
        ("inject-cast", "cast(person_key as int) = 0", "no functions, casts"),
        (
            "inject-key",
            &format!("person_key = '{person_key}'"),
            "a key picks out persons",
        ),
        (
            "inject-sub",
            "care_level_code in (select care_level_code from person_map)",
            "subqueries",
        ),
        ("inject-stmt", "true; drop table insurers", "text follows it"),
    ] {
        let output = extract(&warehouse, &request(dir.path(), project, cohort));
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "{project}: {stderr}");
        assert!(stderr.contains(rule), "{project}: {stderr}");
        assert!(!stderr.contains(&person_key), "{project}: a person key in the message");
        assert!(
            !warehouse.join("extracts").join(project).exists(),
            "{project} wrote files"
        );
    }
    // A cohort below k is refused without its size.
    let tiny = extract(
        &warehouse,
        &request(dir.path(), "tiny", "care_level_code = '25' and cost_yen > 1000000000"),
    );
    let stderr = String::from_utf8_lossy(&tiny.stderr);
    assert_eq!(tiny.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("fewer than k = 10"), "{stderr}");
    assert!(!stderr.contains("has 1 ") && !stderr.contains("smallest"), "{stderr}");
    let log = std::fs::read_to_string(warehouse.join("extracts/audit.log")).unwrap();
    assert!(!log.contains(&person_key), "a person key in the audit log");
}

#[test]
fn the_audit_log_is_written_first_and_a_damaged_log_stops_extracts() {
    let dir = tempfile::tempdir().unwrap();
    let warehouse = warehouse_copy(dir.path());
    let first = extract(&warehouse, &request(dir.path(), "first", "true"));
    assert!(first.status.success(), "{}", String::from_utf8_lossy(&first.stderr));
    let log_path = warehouse.join("extracts/audit.log");
    let log = std::fs::read_to_string(&log_path).unwrap();
    let outcomes: Vec<serde_json::Value> = log.lines().map(|line| serde_json::from_str(line).unwrap()).collect();
    assert_eq!(outcomes[0]["outcome"], "started");
    assert_eq!(outcomes[1]["outcome"], "written");
    assert_eq!(outcomes[1]["started"], 1);
    assert_eq!(outcomes[1]["operator"], "security-test");
    assert!(!outcomes[1]["os_user"].as_str().unwrap().is_empty());

    let verify = |expect: Option<&str>| {
        let mut command = kaigo();
        command
            .args(["audit", "verify", "--warehouse"])
            .arg(&warehouse)
            .arg("--key")
            .arg(key());
        if let Some(expect) = expect {
            command.args(["--expect", expect]);
        }
        command.output().unwrap()
    };
    let head = verify(None);
    assert!(head.status.success(), "{}", String::from_utf8_lossy(&head.stderr));
    let head = String::from_utf8(head.stdout).unwrap().trim().to_string();
    assert!(head.starts_with("2:"), "{head}");
    assert!(verify(Some(&head)).status.success());

    // Cut the last entry: the chain still holds, but not the head that was kept.
    let first_line = format!("{}\n", log.lines().next().unwrap());
    std::fs::write(&log_path, &first_line).unwrap();
    let cut = verify(Some(&head));
    assert_eq!(cut.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&cut.stderr).contains("not the one kept"));

    // An edited or truncated log stops the next extract before it writes anything.
    for damaged in [
        log.replacen("\"written\"", "\"refused\"", 1),
        log[..log.len() - 7].to_string(),
        "not json\n".to_string(),
    ] {
        std::fs::write(&log_path, &damaged).unwrap();
        let output = extract(&warehouse, &request(dir.path(), "after-damage", "true"));
        assert_eq!(
            output.status.code(),
            Some(2),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        assert!(String::from_utf8_lossy(&output.stderr).contains("audit log"));
        assert!(!warehouse.join("extracts/after-damage").exists());
        assert_eq!(
            std::fs::read_to_string(&log_path).unwrap(),
            damaged,
            "the damaged log was extended"
        );
        assert_eq!(verify(None).status.code(), Some(1));
    }
    // Without the key nobody writes an entry that verifies.
    std::fs::write(&log_path, &log).unwrap();
    let forged = log.replace("\"security-test\"", "\"somebody-else\"");
    std::fs::write(&log_path, forged).unwrap();
    assert_eq!(verify(None).status.code(), Some(1));
}

#[test]
fn restricted_zones_are_private_and_checked() {
    let dir = tempfile::tempdir().unwrap();
    let warehouse = warehouse_copy(dir.path());
    // The shared warehouse as the main job left it.
    for folder in ["vault", "manifests"] {
        assert_eq!(mode(&crate::fixture::warehouse().join(folder)), 0o700, "{folder}");
    }
    let output = extract(&warehouse, &request(dir.path(), "modes", "true"));
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let manifest: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(mode(&warehouse.join("extracts")), 0o700);
    assert_eq!(mode(&warehouse.join("extracts/audit.log")), 0o600);
    let folder = std::fs::read_dir(warehouse.join("extracts/modes"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    for file in manifest["files"].as_array().unwrap() {
        assert_eq!(mode(&folder.join(file["name"].as_str().unwrap())), 0o600);
    }
    assert_eq!(mode(&folder.join("manifest.json")), 0o600);
    for manifest in std::fs::read_dir(warehouse.join("manifests")).unwrap() {
        assert_eq!(mode(&manifest.unwrap().path()), 0o600);
    }
    // A restricted folder opened to others is refused, like a readable key file.
    std::fs::set_permissions(warehouse.join("extracts"), std::fs::Permissions::from_mode(0o755)).unwrap();
    let refused = extract(&warehouse, &request(dir.path(), "open", "true"));
    assert_ne!(refused.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("chmod go-rwx"));
    assert!(!warehouse.join("extracts/open").exists());
}
