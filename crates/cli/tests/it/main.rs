//! The real `kaigo` binary: commands, outputs and exit codes.

use std::process::Command;

mod crash;

fn kaigo() -> Command {
    Command::new(env!("CARGO_BIN_EXE_kaigo"))
}

/// `kaigo synth --persons N --months M --out <folder>`, which must succeed.
fn synth_hub(folder: &std::path::Path, persons: &str, months: &str) {
    let status = kaigo()
        .args(["synth", "--persons", persons, "--months", months, "--out"])
        .arg(folder)
        .status()
        .unwrap();
    assert!(status.success());
}

/// Run `command`; it must fail as the user's to fix (exit code 1), saying `says` on stderr.
fn fails_for_the_user(command: &mut Command, says: &str) {
    let output = command.output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains(says), "expected {says:?} in: {stderr}");
}

/// `kaigo ingest --drop <hub> --warehouse <warehouse> --key <key>`.
fn ingest(hub: &std::path::Path, warehouse: &std::path::Path, key: &std::path::Path) -> Command {
    let mut command = kaigo();
    command
        .args(["ingest", "--drop"])
        .arg(hub)
        .arg("--warehouse")
        .arg(warehouse)
        .arg("--key")
        .arg(key);
    command
}

/// `kaigo key new --out <path>`, which must succeed.
fn new_key(path: &std::path::Path) {
    let status = kaigo().args(["key", "new", "--out"]).arg(path).status().unwrap();
    assert!(status.success());
}

#[test]
fn synth_writes_a_hub_and_prints_the_calibration_report() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("hub");
    let json = dir.path().join("calibration.json");
    let output = kaigo()
        .args([
            "synth",
            "--persons",
            "800",
            "--months",
            "2026-09..2027-03",
            "--seed",
            "3",
            "--report",
            "--report-json",
        ])
        .arg(&json)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(
        stdout.contains("level share 要支援1") && stdout.contains("not modelled:"),
        "{stdout}"
    );
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(stderr.contains("kaigo synth: 47 insurers"), "{stderr}");
    let report: serde_json::Value = serde_json::from_slice(&std::fs::read(json).unwrap()).unwrap();
    assert!(report["rows"].as_array().unwrap().len() > 50);
    assert!(out.join("202611/insurers.csv").exists());
    assert!(out.join("truth/202611/records.csv").exists());
}

#[test]
fn bad_arguments_are_user_errors_with_exit_code_1() {
    let dir = tempfile::tempdir().unwrap();
    for months in ["2025-04", "2025-13..2026-01", "2027-01..2026-01"] {
        fails_for_the_user(
            kaigo().args(["synth", "--months", months, "--out"]).arg(dir.path()),
            "--months",
        );
    }
    fails_for_the_user(
        kaigo().args(["synth", "--persons", "0", "--out"]).arg(dir.path()),
        "--persons",
    );
    for deliveries in ["2027-01", "202703..202701", "203001"] {
        fails_for_the_user(
            kaigo()
                .args(["synth", "--persons", "50", "--deliveries", deliveries, "--out"])
                .arg(dir.path()),
            "--deliveries",
        );
    }
    let pipeline = dir.path().join("bad.toml");
    std::fs::write(&pipeline, "[synth]\npersns = 5\n").unwrap();
    fails_for_the_user(kaigo().arg("run").arg(&pipeline), "persns");
}

#[test]
fn strict_mode_fails_when_a_hub_is_too_small_to_calibrate() {
    let dir = tempfile::tempdir().unwrap();
    fails_for_the_user(
        kaigo()
            .args([
                "synth",
                "--persons",
                "100",
                "--months",
                "2027-01..2027-03",
                "--strict",
                "--out",
            ])
            .arg(dir.path().join("hub")),
        "outside tolerance",
    );
}

#[test]
fn run_executes_a_pipeline_file() {
    let dir = tempfile::tempdir().unwrap();
    let pipeline = dir.path().join("small.toml");
    let root = dir.path().join("out");
    std::fs::write(
        &pipeline,
        format!(
            "[synth]\npersons = 500\nmonths = \"2026-10..2027-01\"\n\n[output]\nroot = {:?}\n",
            root.display().to_string()
        ),
    )
    .unwrap();
    let output = kaigo().arg("run").arg(&pipeline).output().unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(
        stdout.contains("marginals within tolerance") && stdout.contains("quarantined"),
        "{stdout}"
    );
    assert!(root.join("reports/calibration.txt").exists() && root.join("hub/truth/persons.csv").exists());
    assert!(root.join("warehouse/warehouse/claim_statements/_delta_log").exists());
    assert!(root.join("reports/ingest.json").exists());
    // The public release: audited, written, summarized.
    assert!(stdout.contains("audit: 0 recoverable"), "{stdout}");
    assert!(
        root.join("warehouse/publish/cells.parquet").exists() && root.join("warehouse/publish/manifest.json").exists()
    );

    // kaigo sql over the warehouse the run built: formats, stdin, files, refusals.
    let warehouse = root.join("warehouse");
    let sql = |arguments: &[&str], stdin: Option<&str>| {
        let mut command = kaigo();
        command.arg("sql").arg("--warehouse").arg(&warehouse).args(arguments);
        command.stdin(std::process::Stdio::piped());
        command.stdout(std::process::Stdio::piped());
        command.stderr(std::process::Stdio::piped());
        let mut child = command.spawn().unwrap();
        {
            use std::io::Write;
            let mut input = child.stdin.take().unwrap();
            input.write_all(stdin.unwrap_or("").as_bytes()).unwrap();
        }
        child.wait_with_output().unwrap()
    };
    let csv = sql(
        &["-c", "select count(*) as n from fct_person_months", "--format", "csv"],
        None,
    );
    assert!(csv.status.success(), "{}", String::from_utf8_lossy(&csv.stderr));
    let text = String::from_utf8(csv.stdout).unwrap();
    let rows: u64 = text.strip_prefix("n\n").unwrap().trim().parse().unwrap();
    assert!(rows > 100, "{text}");
    let json = sql(
        &[
            "-c",
            "select insurer_number, is_live from rollout_status_by_insurer_month order by 1 limit 2",
            "--format",
            "json",
        ],
        None,
    );
    let parsed: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(parsed.as_array().unwrap().len(), 2, "{parsed}");
    let piped = sql(&["--format", "csv"], Some("select 1 as one;\nselect 'two' as two;"));
    assert_eq!(String::from_utf8(piped.stdout).unwrap(), "one\n1\ntwo\ntwo\n");
    let query = dir.path().join("query.sql");
    std::fs::write(&query, "select wareki(date '2026-11-27') as day;").unwrap();
    let parquet = dir.path().join("out.parquet");
    let written = sql(
        &[
            "-f",
            query.to_str().unwrap(),
            "--format",
            "parquet",
            "--out",
            parquet.to_str().unwrap(),
        ],
        None,
    );
    assert!(written.status.success(), "{}", String::from_utf8_lossy(&written.stderr));
    assert!(std::fs::read(&parquet).unwrap().starts_with(b"PAR1"));
    for refused in ["drop table insurers", "copy (select 1) to '/tmp/kaigo-cli-leak.csv'"] {
        let output = sql(&["-c", refused], None);
        assert_eq!(output.status.code(), Some(1), "{refused}");
        assert!(
            String::from_utf8_lossy(&output.stderr).contains("read-only"),
            "{refused}"
        );
    }
    let vault = sql(&["-c", "select * from record_tokens"], None);
    assert_eq!(vault.status.code(), Some(1));

    // Under a small memory budget (one partition), with the models that declare `slice_by` in
    // slices, the models come out the same (what fits no longer spills); a query that cannot fit
    // (a hash join's build side does not spill) fails with a message naming the budget.
    let budgeted = dir.path().join("budgeted");
    kaigo_testkit::copy_folder(&warehouse, &budgeted);
    let build = kaigo()
        .args(["build", "--memory-limit", "48MiB", "--slices", "4", "--warehouse"])
        .arg(&budgeted)
        .output()
        .unwrap();
    assert!(build.status.success(), "{}", String::from_utf8_lossy(&build.stderr));
    let log = String::from_utf8_lossy(&build.stderr);
    assert!(log.contains("memory limit 48.0MiB"));
    for sliced in ["fct_person_months", "fct_person_month_follow_up", "fct_outcome_cohorts"] {
        assert!(
            log.lines()
                .any(|line| line.contains(sliced) && line.ends_with("in 4 slices")),
            "{log}"
        );
    }
    for model in models() {
        let read = |root: &std::path::Path| {
            let output = kaigo()
                .args([
                    "sql",
                    "--format",
                    "csv",
                    "-c",
                    &format!("select * from {model}"),
                    "--warehouse",
                ])
                .arg(root)
                .output()
                .unwrap();
            assert!(
                output.status.success(),
                "{model}: {}",
                String::from_utf8_lossy(&output.stderr)
            );
            rows_as_values(&String::from_utf8(output.stdout).unwrap())
        };
        assert_eq!(read(&budgeted), read(&warehouse), "{model}");
    }
    let starved = kaigo()
        .args(["sql", "--memory-limit", "64KiB", "--warehouse"])
        .arg(&warehouse)
        .args([
            "-c",
            "select count(*) from generate_series(1, 200000) a join generate_series(1, 200000) b on a.value = b.value",
        ])
        .output()
        .unwrap();
    assert!(!starved.status.success());
    assert!(String::from_utf8_lossy(&starved.stderr).contains("raise --memory-limit"));

    // kaigo extract refuses a birth date with exit 1, and logs the attempt.
    let key = dir.path().join("extract.key");
    new_key(&key);
    let request = dir.path().join("request.toml");
    let manifest_dir = std::path::PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets it"));
    let example = std::fs::read_to_string(manifest_dir.join("../../pipelines/extract_request.example.toml")).unwrap();
    std::fs::write(
        &request,
        example.replace(
            "\"sex_code\", \"age_band\", \"first_certified_month_key\"",
            "\"birth_year_month\"",
        ),
    )
    .unwrap();
    let refused = kaigo()
        .arg("extract")
        .arg(&request)
        .arg("--warehouse")
        .arg(&warehouse)
        .arg("--key")
        .arg(&key)
        .output()
        .unwrap();
    assert_eq!(
        refused.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );
    assert!(String::from_utf8_lossy(&refused.stderr).contains("birth date"));
    assert!(
        std::fs::read_to_string(warehouse.join("extracts/audit.log"))
            .unwrap()
            .contains("\"refused\"")
    );
}

#[test]
fn docs_command_writes_the_format_pages() {
    let dir = tempfile::tempdir().unwrap();
    let output = kaigo().args(["docs", "--out"]).arg(dir.path()).output().unwrap();
    assert!(output.status.success());
    assert!(
        std::fs::read_to_string(dir.path().join("formats/claims.md"))
            .unwrap()
            .contains("基本情報")
    );
    let dictionary = std::fs::read_to_string(dir.path().join("tables.md")).unwrap();
    assert!(dictionary.contains("### `fct_person_months`") && dictionary.contains("要介護状態区分コード"));
}

#[test]
fn key_new_writes_a_private_key_and_prints_only_its_fingerprint() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("kaigo.key");
    let output = kaigo().args(["key", "new", "--out"]).arg(&path).output().unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let key_text = std::fs::read_to_string(&path).unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(stdout.starts_with("kf1:"), "{stdout}");
    assert!(
        !stdout.contains(key_text.trim()) && !stderr.contains(key_text.trim()),
        "the key is never printed"
    );
    let again = kaigo()
        .args(["key", "fingerprint", "--key"])
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(String::from_utf8(again.stdout).unwrap(), stdout);
    let from_env = kaigo()
        .args(["key", "fingerprint"])
        .env("KAIGO_KEY", key_text.trim())
        .env_remove("KAIGO_KEY_FILE")
        .output()
        .unwrap();
    assert_eq!(String::from_utf8(from_env.stdout).unwrap(), stdout);
    let overwrite = kaigo().args(["key", "new", "--out"]).arg(&path).output().unwrap();
    assert_eq!(overwrite.status.code(), Some(1));
    let missing = kaigo()
        .args(["key", "fingerprint"])
        .env_remove("KAIGO_KEY")
        .env_remove("KAIGO_KEY_FILE")
        .output()
        .unwrap();
    assert_eq!(missing.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("KAIGO_KEY"));
}

#[test]
fn ingest_loads_a_hub_and_refuses_a_readable_key() {
    let dir = tempfile::tempdir().unwrap();
    let hub = dir.path().join("hub");
    synth_hub(&hub, "400", "2026-10..2026-12");
    let key = dir.path().join("k.key");
    new_key(&key);
    let warehouse = dir.path().join("wh");
    let output = ingest(&hub, &warehouse, &key).output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(
        stderr.contains("ingest 202611:") && stderr.contains("loaded"),
        "{stderr}"
    );
    assert!(warehouse.join("manifests/202611.json").exists());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).unwrap();
        fails_for_the_user(&mut ingest(&hub, &warehouse, &key), "chmod 600");
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    fails_for_the_user(&mut ingest(&dir.path().join("nothing"), &warehouse, &key), "nothing");
}

/// Every model the build writes as a table (staging models are views).
fn models() -> Vec<String> {
    kaigo_query::model::shipped(&kaigo_query::runner::sources())
        .unwrap()
        .into_iter()
        .filter(|model| model.layer != kaigo_query::model::Layer::Staging)
        .map(|model| model.name)
        .collect()
}

/// CSV rows, sorted, with each decimal number kept to 12 significant digits: a sum of doubles
/// may differ in its last bits with the order DataFusion adds it in.
fn rows_as_values(csv: &str) -> Vec<String> {
    let mut rows: Vec<String> = csv
        .lines()
        .map(|line| {
            line.split(',')
                .map(|field| match field.parse::<f64>() {
                    Ok(number) if field.contains(['.', 'e']) => format!("{number:.11e}"),
                    _ => field.to_string(),
                })
                .collect::<Vec<_>>()
                .join(",")
        })
        .collect();
    rows.sort();
    rows
}
