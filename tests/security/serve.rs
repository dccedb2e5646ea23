//! What a logged-in user can reach: only the tables of the role's zone, only by queries, with
//! every statement bounded — whatever another connection does meanwhile.

use crate::fixture::{ANALYST, POLICY, Server, config, message, psql, refused, rows, runtime, warehouse};

/// Statements that name person-level tables, the unsuppressed release sources or the vault,
/// spelled as an attacker would.
pub(crate) const PERSON_LEVEL: [&str; 14] = [
    "select person_key, month_key, cost_yen from fct_person_months limit 1",
    "SELECT person_key, month_key, cost_yen FROM FCT_PERSON_MONTHS LIMIT 1",
    "select * from \"fct_person_months\" limit 1",
    "select * from kaigo.warehouse.fct_person_months limit 1",
    "select * from U&\"fct\\005fperson_months\" limit 1",
    "explain select * from fct_person_months",
    "explain analyze select count(*) from fct_person_months",
    "with x as (select * from fct_person_months) select count(*) from x",
    "select 1 where exists (select 1 from fct_person_months)",
    "select (select count(*) from person_map)",
    "select * from rollout_counts_by_insurer_month limit 1",
    "select * from outcomes_adl_maintenance_by_provider limit 1",
    "select * from record_tokens limit 1",
    "select * from kaigo.vault.record_tokens limit 1",
];

#[test]
fn a_policy_user_reads_released_cells_and_nothing_else() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &config(dir.path(), ""));
    let policy = server.libpq(POLICY, "sslmode=disable");
    let cells: u64 = rows(&psql(&policy, "select count(*) from cells"))
        .trim()
        .parse()
        .unwrap();
    let released = std::fs::read_to_string(warehouse().join("publish/cells.csv")).unwrap();
    assert_eq!(
        cells as usize,
        released.lines().count() - 1,
        "every released cell, as published"
    );
    // COPY … TO STDOUT is a read like any query: the same statements as COPYs are refused too.
    let as_copies = PERSON_LEVEL
        .iter()
        .filter(|sql| !sql.starts_with("explain"))
        .map(|sql| format!("copy ({sql}) to stdout with (format csv)"));
    let tables = [
        "copy fct_person_months to stdout",
        "copy kaigo.vault.record_tokens to stdout (format binary)",
        "COPY \"person_map\" (person_key) TO STDOUT CSV HEADER",
    ];
    for sql in PERSON_LEVEL
        .iter()
        .map(|sql| sql.to_string())
        .chain(as_copies)
        .chain(tables.map(String::from))
    {
        let output = psql(&policy, &sql);
        assert!(
            !output.status.success(),
            "{sql}: {}",
            String::from_utf8_lossy(&output.stdout)
        );
        assert!(output.stdout.is_empty(), "{sql}");
    }
    let copied = psql(&policy, "copy cells to stdout with (format csv, header)");
    assert!(copied.status.success(), "{}", String::from_utf8_lossy(&copied.stderr));
    assert_eq!(
        String::from_utf8_lossy(&copied.stdout).lines().count(),
        released.lines().count(),
        "every released cell and a header, copied"
    );
    // The catalogs list what the session holds: the released files, nothing else.
    let listed = rows(&psql(
        &policy,
        "select table_schema || '.' || table_name from information_schema.tables \
         where table_schema not in ('information_schema', 'pg_catalog') order by 1",
    ));
    assert_eq!(
        listed.lines().collect::<Vec<_>>(),
        ["publish.cells", "publish.registry"]
    );
    let classes = rows(&psql(&policy, "select relname from pg_catalog.pg_class"));
    for forbidden in ["fct_", "rollout_", "person_map", "record_tokens", "quarantine"] {
        assert!(!classes.contains(forbidden), "pg_class lists {forbidden}: {classes}");
    }
    let tables = rows(&psql(&policy, "select tablename from pg_catalog.pg_tables"));
    assert!(!tables.contains("fct_") && !tables.contains("person_map"), "{tables}");

    // The analyst reads the warehouse zone: not the vault, not the release's files.
    let analyst = server.libpq(ANALYST, "sslmode=disable");
    let listed = rows(&psql(&analyst, "select table_name from information_schema.tables"));
    assert!(
        listed.contains("fct_person_months") && listed.contains("person_map"),
        "{listed}"
    );
    assert!(
        !listed.contains("record_tokens") && !listed.contains("quarantine"),
        "{listed}"
    );
    for sql in [
        "select * from record_tokens limit 1",
        "select * from kaigo.vault.record_tokens limit 1",
        "select count(*) from cells",
        "select count(*) from publish.cells",
    ] {
        let output = psql(&analyst, sql);
        assert!(!output.status.success(), "{sql}");
    }
    assert!(
        rows(&psql(&analyst, "select count(*) from fct_person_months"))
            .trim()
            .parse::<u64>()
            .unwrap()
            > 0
    );
}

#[test]
fn a_set_race_never_changes_what_another_connection_may_read() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &config(dir.path(), ""));
    runtime().block_on(async {
        let flipper = server.connect(ANALYST).await.unwrap();
        let reader = server.connect(POLICY).await.unwrap();
        let flips = tokio::spawn(async move {
            let mut refused = 0;
            for round in 0..100 {
                for setting in [
                    format!(
                        "set datafusion.sql_parser.enable_ident_normalization = {}",
                        round % 2 == 0
                    ),
                    format!(
                        "set datafusion.sql_parser.dialect = '{}'",
                        ["mysql", "generic"][round % 2]
                    ),
                    "set datafusion.catalog.information_schema = false".to_string(),
                ] {
                    if flipper.simple_query(&setting).await.is_err() {
                        refused += 1;
                    }
                }
            }
            refused
        });
        let mut rows = 0;
        let mut errors = 0;
        for _ in 0..200 {
            match reader
                .simple_query("SELECT person_key, month_key, cost_yen FROM FCT_PERSON_MONTHS LIMIT 1")
                .await
            {
                Ok(messages) => {
                    rows += messages
                        .iter()
                        .filter(|message| matches!(message, tokio_postgres::SimpleQueryMessage::Row(_)))
                        .count()
                }
                Err(_) => errors += 1,
            }
        }
        assert_eq!(flips.await.unwrap(), 300, "every engine SET is refused");
        assert_eq!((rows, errors), (0, 200), "the policy user read person-level rows");
        // The policy user's own flips are refused too.
        let error = reader
            .simple_query("set datafusion.sql_parser.enable_ident_normalization = false")
            .await
            .unwrap_err();
        assert!(
            message(&error).contains("permission denied to set"),
            "{}",
            message(&error)
        );
    });
}

#[test]
fn definitions_writes_files_and_engine_settings_are_refused_for_every_role() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &config(dir.path(), ""));
    let leak = dir.path().join("leak.csv");
    let spill = dir.path().join("spill");
    let vault = warehouse().join("vault/record_tokens");
    let attacks = [
        format!(
            "CREATE EXTERNAL TABLE \"rollout_v\" STORED AS PARQUET LOCATION '{}/'",
            vault.display()
        ),
        "create table t as select 1".to_string(),
        "create view rollout_v as select 1".to_string(),
        "drop table cells".to_string(),
        "insert into cells select * from cells".to_string(),
        "delete from cells".to_string(),
        format!("copy (select 1) to '{}'", leak.display()),
        format!("copy cells to program 'touch {}'", leak.display()),
        "copy cells from stdin".to_string(),
        format!("set datafusion.runtime.temp_directory = '{}'", spill.display()),
        "set datafusion.runtime.memory_limit = '1K'".to_string(),
        "set datafusion.execution.target_partitions = 1".to_string(),
        "set session authorization ana".to_string(),
        "prepare p as select 1".to_string(),
        "execute p".to_string(),
        "describe cells".to_string(),
        "select 1; drop table cells".to_string(),
        "this is not sql".to_string(),
    ];
    for user in [ANALYST, POLICY] {
        let connection = server.libpq(user, "sslmode=disable");
        for attack in &attacks {
            let output = psql(&connection, attack);
            assert!(!output.status.success(), "{}: {attack}", user.0);
        }
        refused(&psql(&connection, "select count(*) from rollout_v"), "not found");
    }
    assert!(!leak.exists() && !spill.exists(), "a refused statement wrote a file");
    let connection = server.libpq(ANALYST, "sslmode=disable");
    refused(&psql(&connection, "drop table insurers"), "read-only");
    refused(
        &psql(&connection, "prepare p as select 1"),
        "PREPARE and EXECUTE are not available",
    );
    refused(
        &psql(&connection, "set datafusion.runtime.temp_directory = '/tmp'"),
        "permission denied to set datafusion.runtime.temp_directory",
    );
    // Client settings are fine.
    let settings = rows(&psql(
        &connection,
        "set application_name = 'dbeaver'; set datestyle = 'ISO, MDY'; set time zone 'Asia/Tokyo'; \
         set extra_float_digits = 3; select 1",
    ));
    assert_eq!(settings.lines().collect::<Vec<_>>(), ["SET", "SET", "SET", "SET", "1"]);
}

#[test]
fn prepared_statements_and_cursors_belong_to_their_connection_and_are_checked() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &config(dir.path(), ""));
    runtime().block_on(async {
        let analyst = server.connect(ANALYST).await.unwrap();
        let policy = server.connect(POLICY).await.unwrap();
        let statement = analyst
            .prepare("select person_key from fct_person_months where month_key >= $1 limit 1")
            .await
            .unwrap();
        assert_eq!(analyst.query(&statement, &[&0i32]).await.unwrap().len(), 1);
        // The policy connection neither sees the analyst's statement nor can prepare its own.
        assert!(policy.query(&statement, &[&0i32]).await.is_err());
        for sql in [
            "select person_key from fct_person_months limit 1",
            "explain select * from fct_person_months",
            "select count(*) from rollout_counts_by_insurer_month",
        ] {
            let error = policy.prepare(sql).await.unwrap_err();
            assert!(!message(&error).is_empty(), "{sql}");
        }
        let error = policy.simple_query("execute p").await.unwrap_err();
        assert!(message(&error).contains("PREPARE and EXECUTE"), "{}", message(&error));
        // The extended protocol reads what the role grants, with parameters.
        let released = policy
            .query("select count(*) from cells where indicator <> $1", &[&"none"])
            .await
            .unwrap();
        assert!(released[0].get::<_, i64>(0) > 0);

        // A cursor's query is checked like any query.
        let error = policy
            .simple_query("begin; declare c cursor for select person_key from fct_person_months; fetch 1 from c")
            .await
            .unwrap_err();
        assert!(!message(&error).is_empty());
        let fetched = analyst
            .simple_query(
                "begin; declare c cursor for select person_key from fct_person_months; fetch 2 from c; close c; commit",
            )
            .await
            .unwrap();
        let fetched_rows = fetched
            .iter()
            .filter(|message| matches!(message, tokio_postgres::SimpleQueryMessage::Row(_)))
            .count();
        assert_eq!(fetched_rows, 2);
    });
}

#[test]
fn statements_are_bounded_in_length_time_and_memory() {
    let dir = tempfile::tempdir().unwrap();
    let config = config(
        dir.path(),
        // 32 MiB: far below the sort of 9 million rows below, and room for the batches the
        // timed-out statements' repartitioning holds when the machine is busy (with 1 MiB they
        // ran out of memory before their timeout under load).
        "[limits]\nmax_statement_bytes = 10000\nmemory_per_connection_mib = 32\n",
    );
    let server = Server::start(dir.path(), &config);
    let analyst = server.libpq(ANALYST, "sslmode=disable");
    let long = format!("select 1 /* {} */", "x".repeat(20_000));
    refused(&psql(&analyst, &long), "statement too long");
    refused(
        &psql(
            &analyst,
            "set statement_timeout = 1; select sum(value) from generate_series(1, 10000000000)",
        ),
        "statement timeout",
    );
    // A cursor's rows are bounded too: the work of its FETCHes counts against the time left.
    refused(
        &psql(
            &analyst,
            "set statement_timeout = 500; begin; \
             declare c cursor for select sum(value) from generate_series(1, 10000000000); fetch 1 from c",
        ),
        "statement timeout",
    );
    // A COPY's too: planning and every row sent.
    refused(
        &psql(
            &analyst,
            "set statement_timeout = 500; \
             copy (select sum(value) from generate_series(1, 10000000000)) to stdout",
        ),
        "statement timeout",
    );
    refused(
        &psql(
            &analyst,
            "select a.value, b.value from generate_series(1, 3000) a \
             cross join generate_series(1, 3000) b order by 1 desc, 2 desc",
        ),
        "Resources exhausted",
    );
    runtime().block_on(async {
        let client = server.connect(ANALYST).await.unwrap();
        let error = client.query(long.as_str(), &[]).await.unwrap_err();
        assert!(message(&error).contains("statement too long"), "{}", message(&error));
        // The server goes on serving.
        assert_eq!(
            client
                .query_one("select 1::bigint", &[])
                .await
                .unwrap()
                .get::<_, i64>(0),
            1
        );
    });
}

/// psql lists the analyst's tables and gets over the wire the rows `kaigo sql` gets; wrong
/// passwords and unknown users fail alike.
#[test]
fn psql_lists_and_reads_what_kaigo_sql_reads() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &config(dir.path(), ""));
    let analyst = server.libpq(ANALYST, "sslmode=disable");
    let listed = rows(&psql(&analyst, "\\dt"));
    for table in [
        "claim_statements",
        "fct_person_months",
        "rollout_status_by_insurer_month",
    ] {
        assert!(listed.contains(&format!("warehouse,{table},table")), "{listed}");
    }
    assert!(!listed.contains("record_tokens"), "the vault is listed: {listed}");
    let rollout = "select insurer_number, count(*) as months, sum(case when is_live then 1 else 0 end) as live \
                   from rollout_status_by_insurer_month group by insurer_number order by insurer_number";
    let local = crate::fixture::kaigo()
        .args(["sql", "--format", "csv", "--warehouse"])
        .arg(warehouse())
        .args(["-c", rollout])
        .output()
        .unwrap();
    let local: Vec<String> = rows(&local).lines().skip(1).map(String::from).collect();
    assert!(local.len() > 1, "{local:?}");
    assert_eq!(rows(&psql(&analyst, rollout)).lines().collect::<Vec<_>>(), local);
    for user in [(ANALYST.0, "not the password"), ("nobody", ANALYST.1)] {
        refused(
            &psql(&server.libpq(user, "sslmode=disable"), "select 1"),
            "password authentication failed",
        );
    }
}
