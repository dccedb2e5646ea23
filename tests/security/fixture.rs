//! The shared warehouse (one small main job, built once per test run), servers with their
//! config files, and clients.

use std::{
    io::Write,
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    sync::OnceLock,
    time::Duration,
};

pub(crate) const ANALYST: (&str, &str) = ("ana", "analyst password");
pub(crate) const POLICY: (&str, &str) = ("pol", "policy password");

pub(crate) fn kaigo() -> Command {
    Command::new(env!("CARGO_BIN_EXE_kaigo"))
}

/// The warehouse of a 1,500-person, three-month main job (with its release in publish/), built on
/// first use under the target directory and reused by every test of this run.
pub(crate) fn warehouse() -> &'static Path {
    static WAREHOUSE: OnceLock<PathBuf> = OnceLock::new();
    WAREHOUSE.get_or_init(|| {
        let root = Path::new(env!("CARGO_TARGET_TMPDIR")).join("security");
        let _ = std::fs::remove_dir_all(&root);
        std::fs::create_dir_all(&root).unwrap();
        let pipeline = root.join("pipeline.toml");
        std::fs::write(
            &pipeline,
            format!(
                "[synth]\npersons = 1500\nmonths = \"2027-07..2027-09\"\nseed = 5\n\n[ingest]\nkey = {:?}\n\n\
                 [output]\nroot = {:?}\n",
                root.join("kaigo.key").display().to_string(),
                root.join("out").display().to_string()
            ),
        )
        .unwrap();
        let output = kaigo().arg("run").arg(&pipeline).output().unwrap();
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        let warehouse = root.join("out/warehouse");
        assert!(warehouse.join("publish/cells.parquet").exists());
        assert!(warehouse.join("vault").is_dir());
        warehouse
    })
}

/// The key the shared warehouse was loaded with.
pub(crate) fn key() -> PathBuf {
    warehouse();
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("security/kaigo.key")
}

/// A copy of the shared warehouse that a test may damage.
pub(crate) fn warehouse_copy(dir: &Path) -> PathBuf {
    let copy = dir.join("warehouse");
    let status = Command::new("cp")
        .arg("-a")
        .arg(warehouse())
        .arg(&copy)
        .status()
        .unwrap();
    assert!(status.success());
    copy
}

/// A verifier for the config file.
pub(crate) fn hash(password: &str) -> String {
    let mut child = kaigo()
        .args(["serve", "--hash-password"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    writeln!(child.stdin.take().unwrap(), "{password}").unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success());
    String::from_utf8(output.stdout).unwrap()
}

/// A config with the analyst (warehouse zone) and policy (publish zone) users, `extra` lines
/// first (listen, tls, [limits]), written 0600.
pub(crate) fn config(dir: &Path, extra: &str) -> PathBuf {
    static HASHES: OnceLock<(String, String)> = OnceLock::new();
    let (analyst, policy) = HASHES.get_or_init(|| (hash(ANALYST.1), hash(POLICY.1)));
    let path = dir.join("serve.toml");
    std::fs::write(
        &path,
        format!(
            "{extra}\n[roles.analyst]\nzone = \"warehouse\"\n\n[roles.policy]\nzone = \"publish\"\n\n\
             [[users]]\nname = \"{}\"\nrole = \"analyst\"\n{analyst}\n[[users]]\nname = \"{}\"\nrole = \"policy\"\n{policy}",
            ANALYST.0, POLICY.0
        ),
    )
    .unwrap();
    private(&path);
    path
}

pub(crate) fn private(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).unwrap();
}

/// A port nothing listens on now (the kernel's pick, released for the server to take).
pub(crate) fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A running `kaigo serve`, stopped when dropped; its stderr goes to a file the test can read.
pub(crate) struct Server {
    child: Child,
    pub(crate) port: u16,
    /// The Arrow Flight SQL port, when it serves one.
    pub(crate) flight_port: Option<u16>,
    log: PathBuf,
}

impl Server {
    /// Start on a free loopback port with `config`; wait until it accepts connections.
    pub(crate) fn start(dir: &Path, config: &Path) -> Self {
        Self::spawn(dir, config, None)
    }

    /// Start with Arrow Flight SQL too, on another free loopback port.
    pub(crate) fn start_with_flight_sql(dir: &Path, config: &Path) -> Self {
        Self::spawn(dir, config, Some(free_port()))
    }

    fn spawn(dir: &Path, config: &Path, flight_port: Option<u16>) -> Self {
        let port = free_port();
        let log = dir.join(format!("serve-{port}.log"));
        let mut command = kaigo();
        command
            .args(["serve", "--warehouse"])
            .arg(warehouse())
            .arg("--config")
            .arg(config)
            .args(["--listen", &format!("127.0.0.1:{port}")]);
        if let Some(flight_port) = flight_port {
            command.args(["--flight-sql", &format!("127.0.0.1:{flight_port}")]);
        }
        let child = command.stderr(std::fs::File::create(&log).unwrap()).spawn().unwrap();
        let mut server = Self {
            child,
            port,
            flight_port,
            log,
        };
        for _ in 0..600 {
            let listening = |port| std::net::TcpStream::connect(("127.0.0.1", port)).is_ok();
            if listening(port) && flight_port.is_none_or(listening) {
                return server;
            }
            if let Some(status) = server.child.try_wait().unwrap() {
                panic!("kaigo serve exited with {status}: {}", server.log());
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("kaigo serve did not start listening: {}", server.log());
    }

    /// What the server logged so far.
    pub(crate) fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// A connection string for libpq (psql).
    pub(crate) fn libpq(&self, (user, password): (&str, &str), options: &str) -> (String, String) {
        (
            format!(
                "host=127.0.0.1 port={} user={user} dbname=kaigo connect_timeout=10 {options}",
                self.port
            ),
            password.to_string(),
        )
    }

    /// A tokio-postgres connection (no TLS), its driver task spawned on the current runtime.
    pub(crate) async fn connect(
        &self,
        (user, password): (&str, &str),
    ) -> Result<tokio_postgres::Client, tokio_postgres::Error> {
        let (client, connection) = tokio_postgres::Config::new()
            .host("127.0.0.1")
            .port(self.port)
            .user(user)
            .password(password)
            .dbname("kaigo")
            .connect(tokio_postgres::NoTls)
            .await?;
        tokio::spawn(connection);
        Ok(client)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Run `sql` through psql (simple protocol, unaligned, comma-separated, stop on error).
pub(crate) fn psql((connection, password): &(String, String), sql: &str) -> std::process::Output {
    Command::new("psql")
        .arg(connection)
        .args(["-X", "-A", "-t", "-F", ",", "-v", "ON_ERROR_STOP=1", "-c", sql])
        .env("PGPASSWORD", password)
        .output()
        .expect("psql (scripts/system-packages.sh installs it)")
}

/// The rows psql printed; panics with its stderr if it failed.
pub(crate) fn rows(output: &std::process::Output) -> String {
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout.clone()).unwrap()
}

/// psql failed, saying `message`.
pub(crate) fn refused(output: &std::process::Output, message: &str) {
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        !output.status.success(),
        "not refused; printed {}",
        String::from_utf8_lossy(&output.stdout)
    );
    assert!(stderr.contains(message), "expected {message:?} in: {stderr}");
}

/// The message of a tokio-postgres error (the server's text, when it sent one).
pub(crate) fn message(error: &tokio_postgres::Error) -> String {
    error
        .as_db_error()
        .map(|db| format!("{}: {}", db.code().code(), db.message()))
        .unwrap_or_else(|| error.to_string())
}

/// A runtime for the async clients of one test.
pub(crate) fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}
