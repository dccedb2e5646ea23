//! `kaigo serve` through a real Postgres client: psql, installed by scripts/system-packages.sh.

use std::{
    path::Path,
    process::{Child, Command, Output, Stdio},
};

use crate::kaigo;

/// The server process, stopped when dropped (also when an assertion fails).
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn hash(password: &str) -> String {
    let mut child = kaigo()
        .args(["serve", "--hash-password"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    {
        use std::io::Write;
        writeln!(child.stdin.take().unwrap(), "{password}").unwrap();
    }
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success());
    String::from_utf8(output.stdout).unwrap()
}

/// A port nothing listens on now (the kernel's pick, released for the server to take).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn psql(port: u16, user: &str, password: &str, sql: &str) -> Output {
    Command::new("psql")
        .arg(format!(
            "host=127.0.0.1 port={port} user={user} dbname=kaigo sslmode=disable connect_timeout=10"
        ))
        .args(["-X", "-A", "-t", "-F", ",", "-v", "ON_ERROR_STOP=1", "-c", sql])
        .env("PGPASSWORD", password)
        .output()
        .expect("psql (scripts/system-packages.sh installs it)")
}

fn stdout(output: &Output) -> String {
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout.clone()).unwrap()
}

fn refused(output: &Output, message: &str) {
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains(message), "{stderr}");
}

/// psql lists the tables, gets the rows `kaigo sql` gets, and is refused a wrong password,
/// writes, files and the vault (tests/security/ attacks the boundaries in depth).
pub(crate) fn psql_sees_what_kaigo_sql_sees(dir: &Path, warehouse: &Path) {
    let config = dir.join("serve.toml");
    std::fs::write(
        &config,
        format!(
            "[roles.analyst]\nzone = \"warehouse\"\n\n[roles.policy]\nzone = \"publish\"\n\n\
             [[users]]\nname = \"ana\"\nrole = \"analyst\"\n{}\n[[users]]\nname = \"pol\"\nrole = \"policy\"\n{}",
            hash("analyst password"),
            hash("policy password")
        ),
    )
    .unwrap();
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&config, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    let port = free_port();
    let server = Server(
        kaigo()
            .args(["serve", "--warehouse"])
            .arg(warehouse)
            .arg("--config")
            .arg(&config)
            .args(["--listen", &format!("127.0.0.1:{port}")])
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    // Wait until it accepts connections (the warehouse opens first).
    let ready = (0..600).any(|_| {
        std::thread::sleep(std::time::Duration::from_millis(100));
        std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
    });
    assert!(ready, "kaigo serve did not start listening");

    let listed = stdout(&psql(port, "ana", "analyst password", "\\dt"));
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
    // kaigo sql's CSV rows, without the header.
    let local = |sql: &str| {
        let output = kaigo()
            .args(["sql", "--format", "csv", "--warehouse"])
            .arg(warehouse)
            .args(["-c", sql])
            .output()
            .unwrap();
        stdout(&output).lines().skip(1).map(String::from).collect::<Vec<_>>()
    };
    let over_the_wire = stdout(&psql(port, "ana", "analyst password", rollout));
    let rows = local(rollout);
    assert!(rows.len() > 1, "{rows:?}");
    assert_eq!(over_the_wire.lines().collect::<Vec<_>>(), rows);
    // The policy role reads the released cells, as published.
    let released = std::fs::read_to_string(warehouse.join("publish/cells.csv")).unwrap();
    assert_eq!(
        stdout(&psql(port, "pol", "policy password", "select count(*) from cells")).trim(),
        (released.lines().count() - 1).to_string()
    );

    refused(
        &psql(port, "ana", "wrong password", "select 1"),
        "authentication failed",
    );
    refused(
        &psql(port, "nobody", "analyst password", "select 1"),
        "authentication failed",
    );
    refused(
        &psql(port, "ana", "analyst password", "drop table insurers"),
        "read-only",
    );
    let leak = dir.join("leak.csv");
    refused(
        &psql(
            port,
            "ana",
            "analyst password",
            &format!("copy (select 1) to '{}'", leak.display()),
        ),
        "read-only",
    );
    assert!(!leak.exists());
    refused(
        &psql(port, "ana", "analyst password", "select * from record_tokens"),
        "not found",
    );
    drop(server);
}
