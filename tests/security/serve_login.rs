//! Who gets in, how: TLS when configured, verifiers that do not log in, stable challenges for
//! unknown names, failed logins logged and locked out, connection limits, a private config.

use std::{
    io::{Read, Write},
    net::TcpStream,
    process::Command,
};

use base64::{Engine, engine::general_purpose::STANDARD};

use crate::fixture::{
    ANALYST, POLICY, Server, config, free_port, kaigo, message, psql, refused, rows, runtime, warehouse,
};

/// Read one backend message: its tag and body.
fn read_message(stream: &mut TcpStream) -> (u8, Vec<u8>) {
    let mut header = [0u8; 5];
    stream.read_exact(&mut header).unwrap();
    let length = u32::from_be_bytes(header[1..5].try_into().unwrap()) as usize;
    let mut body = vec![0u8; length - 4];
    stream.read_exact(&mut body).unwrap();
    (header[0], body)
}

/// Start a SCRAM login as `user` by hand and return the server's challenge: salt and
/// iteration count.
fn challenge(port: u16, user: &str) -> (Vec<u8>, String) {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    let mut body = 196_608u32.to_be_bytes().to_vec();
    for (key, value) in [("user", user), ("database", "kaigo")] {
        body.extend(key.as_bytes());
        body.push(0);
        body.extend(value.as_bytes());
        body.push(0);
    }
    body.push(0);
    let mut startup = ((body.len() + 4) as u32).to_be_bytes().to_vec();
    startup.extend(body);
    stream.write_all(&startup).unwrap();
    let (tag, body) = read_message(&mut stream);
    assert_eq!(
        (tag, &body[..4]),
        (b'R', &10u32.to_be_bytes()[..]),
        "AuthenticationSASL"
    );
    let client_first = b"n,,n=,r=0123456789abcdefghijklmn";
    let mut payload = b"SCRAM-SHA-256\0".to_vec();
    payload.extend((client_first.len() as u32).to_be_bytes());
    payload.extend(client_first);
    let mut message = vec![b'p'];
    message.extend(((payload.len() + 4) as u32).to_be_bytes());
    message.extend(payload);
    stream.write_all(&message).unwrap();
    let (tag, body) = read_message(&mut stream);
    assert_eq!(
        (tag, &body[..4]),
        (b'R', &11u32.to_be_bytes()[..]),
        "AuthenticationSASLContinue"
    );
    let server_first = String::from_utf8(body[4..].to_vec()).unwrap();
    let attribute = |key: &str| {
        server_first
            .split(',')
            .find_map(|part| part.strip_prefix(key))
            .unwrap()
            .to_string()
    };
    (STANDARD.decode(attribute("s=")).unwrap(), attribute("i="))
}

#[test]
fn unknown_users_get_a_stable_challenge_shaped_like_a_real_one() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &config(dir.path(), ""));
    let real = challenge(server.port, ANALYST.0);
    let unknown = challenge(server.port, "no_such_user");
    assert_eq!(
        unknown,
        challenge(server.port, "no_such_user"),
        "the same salt each time"
    );
    assert_ne!(unknown.0, challenge(server.port, "another_unknown").0);
    assert_eq!((real.0.len(), &real.1), (unknown.0.len(), &unknown.1));
    assert_eq!(real, challenge(server.port, ANALYST.0));
    // The config holds a verifier, not anything that logs in, in PostgreSQL's format.
    let text = std::fs::read_to_string(dir.path().join("serve.toml")).unwrap();
    assert!(text.contains("password_hash = \"SCRAM-SHA-256$4096:"), "{text}");
}

#[test]
fn failed_logins_are_logged_and_lock_the_address_out() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(
        dir.path(),
        &config(dir.path(), "[limits]\nfailed_logins_before_lockout = 3\n"),
    );
    for _ in 0..3 {
        let wrong = server.libpq((ANALYST.0, "Tr0ub4dor&3"), "sslmode=disable");
        refused(&psql(&wrong, "select 1"), "password authentication failed");
    }
    let right = server.libpq(ANALYST, "sslmode=disable");
    refused(&psql(&right, "select 1"), "too many failed logins");
    let log = server.log();
    assert!(
        log.matches("failed login").count() >= 3 && log.contains("127.0.0.1") && log.contains("locked out"),
        "{log}"
    );
    assert!(
        !log.contains(ANALYST.1) && !log.contains("Tr0ub4dor"),
        "a password in the log"
    );
}

#[test]
fn connections_are_limited_per_user() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(
        dir.path(),
        &config(dir.path(), "[limits]\nmax_connections_per_user = 1\n"),
    );
    runtime().block_on(async {
        let first = server.connect(ANALYST).await.unwrap();
        let error = server.connect(ANALYST).await.unwrap_err();
        assert!(
            message(&error).contains("too many connections for user"),
            "{}",
            message(&error)
        );
        let other = server.connect(POLICY).await.unwrap();
        assert_eq!(other.simple_query("select 1").await.unwrap().len(), 3);
        drop(first);
        // The slot is given back when the first connection ends.
        let mut again = None;
        for _ in 0..100 {
            if let Ok(client) = server.connect(ANALYST).await {
                again = Some(client);
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        assert!(again.is_some(), "the first connection's slot was not released");
    });
}

fn openssl(dir: &std::path::Path, arguments: &[&str]) {
    let status = Command::new("openssl")
        .current_dir(dir)
        .args(arguments)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .expect("openssl");
    assert!(status.success(), "openssl {arguments:?}");
}

#[test]
fn tls_is_required_when_configured_and_binds_scram_to_the_certificate() {
    let dir = tempfile::tempdir().unwrap();
    // A self-signed certificate with a PKCS#1 key (the form that used to fall back to plaintext).
    openssl(
        dir.path(),
        &[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "pkcs8.pem",
            "-out",
            "cert.pem",
            "-days",
            "2",
            "-subj",
            "/CN=localhost",
            "-addext",
            "subjectAltName=DNS:localhost",
            "-addext",
            "basicConstraints=critical,CA:FALSE",
        ],
    );
    openssl(
        dir.path(),
        &["rsa", "-in", "pkcs8.pem", "-out", "key.pem", "-traditional"],
    );
    assert!(
        std::fs::read_to_string(dir.path().join("key.pem"))
            .unwrap()
            .contains("BEGIN RSA PRIVATE KEY")
    );
    let tls = format!(
        "tls_cert = {:?}\ntls_key = {:?}\n",
        dir.path().join("cert.pem").display().to_string(),
        dir.path().join("key.pem").display().to_string()
    );
    let server = Server::start_with_flight_sql(dir.path(), &config(dir.path(), &tls));
    crate::flight::tls_is_required(&server, &std::fs::read(dir.path().join("cert.pem")).unwrap());
    refused(
        &psql(&server.libpq(ANALYST, "sslmode=disable"), "select 1"),
        "only TLS connections",
    );
    assert_eq!(
        rows(&psql(&server.libpq(ANALYST, "sslmode=require"), "select 1")).trim(),
        "1"
    );
    // libpq refuses to go on unless the server completes SCRAM-SHA-256-PLUS.
    let bound = server.libpq(POLICY, "sslmode=require channel_binding=require");
    assert!(
        rows(&psql(&bound, "select count(*) from cells"))
            .trim()
            .parse::<u64>()
            .unwrap()
            > 0
    );
    drop(server);

    // A certificate that does not load stops the server: no fallback to plaintext.
    let broken = format!(
        "tls_cert = {:?}\ntls_key = {:?}\n",
        dir.path().join("missing.pem").display().to_string(),
        dir.path().join("key.pem").display().to_string()
    );
    let broken_config = dir.path().join("broken");
    std::fs::create_dir(&broken_config).unwrap();
    let output = kaigo()
        .args(["serve", "--warehouse"])
        .arg(warehouse())
        .arg("--config")
        .arg(config(&broken_config, &broken))
        .args(["--listen", &format!("127.0.0.1:{}", free_port())])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("TLS file"),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn the_server_refuses_to_start_open_or_with_a_readable_config() {
    let dir = tempfile::tempdir().unwrap();
    let path = config(dir.path(), "");
    let start = |listen: &str| {
        kaigo()
            .args(["serve", "--warehouse"])
            .arg(warehouse())
            .arg("--config")
            .arg(&path)
            .args(["--listen", listen])
            .output()
            .unwrap()
    };
    let open = start(&format!("0.0.0.0:{}", free_port()));
    assert_eq!(open.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&open.stderr).contains("needs tls_cert"));
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    let readable = start(&format!("127.0.0.1:{}", free_port()));
    assert_eq!(readable.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&readable.stderr).contains("chmod 600"));
}
