//! Arrow Flight SQL (`kaigo serve --flight-sql`): the same roles, plan check and login rules as
//! the Postgres endpoint, and tickets, prepared statements and sessions that belong to the login
//! that made them.

use arrow::{
    array::{AsArray, RecordBatch},
    datatypes::Int64Type,
};
use arrow_flight::{
    Ticket,
    error::FlightError,
    sql::{CommandGetTables, client::FlightSqlServiceClient},
};
use futures::TryStreamExt;
use tonic::transport::{Certificate, Channel, ClientTlsConfig};

use crate::{
    fixture::{ANALYST, POLICY, Server, config, psql, rows, runtime, warehouse},
    serve::PERSON_LEVEL,
};

type Client = FlightSqlServiceClient<Channel>;

/// A client logged in as `user`.
async fn login(server: &Server, (user, password): (&str, &str)) -> Result<Client, FlightError> {
    let address = format!("http://127.0.0.1:{}", server.flight_port.expect("serves Flight SQL"));
    let channel = Channel::from_shared(address)
        .unwrap()
        .connect()
        .await
        .map_err(|error| FlightError::ExternalError(Box::new(error)))?;
    let mut client = FlightSqlServiceClient::new(channel);
    client.handshake(user, password).await?;
    Ok(client)
}

/// The ticket of a query, not yet fetched.
async fn ticket(client: &mut Client, sql: &str) -> Result<Ticket, FlightError> {
    let info = client.execute(sql.to_string(), None).await?;
    Ok(info.endpoint[0].ticket.clone().expect("a ticket"))
}

async fn fetch(client: &mut Client, ticket: Ticket) -> Result<Vec<RecordBatch>, FlightError> {
    client.do_get(ticket).await?.try_collect().await
}

async fn query(client: &mut Client, sql: &str) -> Result<Vec<RecordBatch>, FlightError> {
    let ticket = ticket(client, sql).await?;
    fetch(client, ticket).await
}

fn count(batches: &[RecordBatch]) -> i64 {
    batches[0].column(0).as_primitive::<Int64Type>().value(0)
}

/// `schema.table` of every table the catalog lists to `client`.
async fn tables(client: &mut Client) -> Vec<String> {
    let info = client
        .get_tables(CommandGetTables {
            include_schema: true,
            ..Default::default()
        })
        .await
        .unwrap();
    let batches = fetch(client, info.endpoint[0].ticket.clone().unwrap()).await.unwrap();
    let mut names = Vec::new();
    for batch in batches {
        let schemas = batch.column_by_name("db_schema_name").unwrap().as_string::<i32>();
        let tables = batch.column_by_name("table_name").unwrap().as_string::<i32>();
        for row in 0..batch.num_rows() {
            names.push(format!("{}.{}", schemas.value(row), tables.value(row)));
        }
    }
    names
}

#[test]
fn a_policy_user_reads_released_tables_and_nothing_else_over_flight_sql() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_with_flight_sql(dir.path(), &config(dir.path(), ""));
    let released = rows(&psql(
        &server.libpq(POLICY, "sslmode=disable"),
        "select count(*) from cells",
    ));
    runtime().block_on(async {
        let mut policy = login(&server, POLICY).await.unwrap();
        assert_eq!(tables(&mut policy).await, ["publish.cells", "publish.registry"]);
        let cells = query(&mut policy, "select count(*) from cells").await.unwrap();
        assert_eq!(
            count(&cells).to_string(),
            released.trim(),
            "the same cells as over Postgres"
        );
        let person_level = PERSON_LEVEL.iter().copied().chain([
            "select * from cells, fct_person_months limit 1",
            "select * from publish.cells where exists (select 1 from warehouse.person_map)",
            "select count(*) from cells; select count(*) from person_map",
            "create table kaigo.publish.copy as select * from cells",
            "copy (select * from person_map) to stdout",
            "set datafusion.runtime.temp_directory = '/tmp'",
            "declare c cursor for select * from person_map",
            "select * from person_map where person_key = ?",
        ]);
        for sql in person_level {
            let answer = query(&mut policy, sql).await;
            assert!(answer.is_err(), "{sql}: {answer:?}");
            let prepared = policy.prepare(sql.to_string(), None).await;
            assert!(prepared.is_err(), "{sql}: prepared");
        }

        // The analyst's zone is the warehouse: neither the vault nor the release.
        let mut analyst = login(&server, ANALYST).await.unwrap();
        let listed = tables(&mut analyst).await;
        assert!(
            listed.contains(&"warehouse.fct_person_months".to_string()),
            "{listed:?}"
        );
        assert!(listed.iter().all(|name| name.starts_with("warehouse.")), "{listed:?}");
        assert!(
            !listed
                .iter()
                .any(|name| name.contains("record_tokens") || name.contains("quarantine"))
        );
        for sql in [
            "select * from record_tokens limit 1",
            "select * from kaigo.vault.record_tokens limit 1",
            "select count(*) from cells",
        ] {
            assert!(query(&mut analyst, sql).await.is_err(), "{sql}");
        }
        let months = query(&mut analyst, "select count(*) from fct_person_months")
            .await
            .unwrap();
        assert!(count(&months) > 0);
    });
}

#[test]
fn tickets_prepared_statements_and_tokens_belong_to_their_login() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_with_flight_sql(dir.path(), &config(dir.path(), ""));
    runtime().block_on(async {
        let mut analyst = login(&server, ANALYST).await.unwrap();
        let mut other_analyst = login(&server, ANALYST).await.unwrap();
        let mut policy = login(&server, POLICY).await.unwrap();
        let stolen = ticket(&mut analyst, "select person_key from person_map").await.unwrap();
        // Another login, of another role or of the same user, cannot redeem it.
        assert!(fetch(&mut policy, stolen.clone()).await.is_err());
        assert!(fetch(&mut other_analyst, stolen.clone()).await.is_err());
        // Its own login can, once.
        let rows: usize = fetch(&mut analyst, stolen.clone())
            .await
            .unwrap()
            .iter()
            .map(RecordBatch::num_rows)
            .sum();
        assert!(rows > 0);
        assert!(fetch(&mut analyst, stolen).await.is_err(), "a ticket redeemed twice");

        // A prepared statement is the analyst's: its handle names nothing in another session.
        let mut prepared = analyst
            .prepare(
                "select count(*) from fct_person_months where month_key >= $1".into(),
                None,
            )
            .await
            .unwrap();
        let parameters = RecordBatch::try_from_iter([(
            "$1",
            std::sync::Arc::new(arrow::array::Int64Array::from(vec![0])) as arrow::array::ArrayRef,
        )])
        .unwrap();
        prepared.set_parameters(parameters).unwrap();
        let info = prepared.execute().await.unwrap();
        let all_months = fetch(&mut analyst, info.endpoint[0].ticket.clone().unwrap())
            .await
            .unwrap();
        let direct = query(&mut analyst, "select count(*) from fct_person_months")
            .await
            .unwrap();
        assert_eq!(count(&all_months), count(&direct), "the bound parameter took effect");

        // No token, a made-up token, or a token of a session that ended: nothing answers.
        let mut anonymous = login(&server, ANALYST).await.unwrap();
        anonymous.clear_token();
        assert!(query(&mut anonymous, "select 1").await.is_err());
        anonymous.set_token("bm90IGEgdG9rZW4=".into());
        assert!(query(&mut anonymous, "select 1").await.is_err());
        assert!(query(&mut anonymous, "select count(*) from person_map").await.is_err());
    });
}

#[test]
fn flight_sql_logins_follow_the_postgres_endpoint_rules() {
    let dir = tempfile::tempdir().unwrap();
    let limits = "[limits]\nfailed_logins_before_lockout = 3\nlockout_seconds = 600\nmax_connections_per_user = 2\n\
                  max_connections = 3\n";
    let server = Server::start_with_flight_sql(dir.path(), &config(dir.path(), limits));
    runtime().block_on(async {
        // At the user's limit, a new login ends the least recently used idle session.
        let mut first = login(&server, POLICY).await.unwrap();
        let mut second = login(&server, POLICY).await.unwrap();
        assert!(query(&mut second, "select count(*) from cells").await.is_ok());
        let mut third = login(&server, POLICY).await.unwrap();
        assert!(
            query(&mut first, "select count(*) from cells").await.is_err(),
            "the oldest session ended"
        );
        assert!(query(&mut second, "select count(*) from cells").await.is_ok());
        assert!(query(&mut third, "select count(*) from cells").await.is_ok());
        // At the server's limit, the least recently used idle session of anyone.
        let mut analyst = login(&server, ANALYST).await.unwrap();
        assert!(query(&mut analyst, "select count(*) from insurers").await.is_ok());
        let mut another = login(&server, ANALYST).await.unwrap();
        assert!(
            query(&mut second, "select count(*) from cells").await.is_err(),
            "the oldest session ended"
        );
        for client in [&mut third, &mut analyst, &mut another] {
            assert!(query(client, "select 1").await.is_ok());
        }

        // Wrong passwords and unknown users get one answer; enough of them lock the address
        // out, for the right password too.
        let wrong = reason(login(&server, (POLICY.0, "not the password")).await.unwrap_err());
        let unknown = reason(login(&server, ("nobody", "not the password")).await.unwrap_err());
        assert_eq!(
            wrong,
            format!("password authentication failed for user \"{}\"", POLICY.0)
        );
        assert_eq!(unknown, "password authentication failed for user \"nobody\"");
        let _ = login(&server, ("nobody", "x")).await;
        let locked = reason(login(&server, ANALYST).await.unwrap_err());
        assert!(locked.contains("too many failed logins"), "{locked}");
    });
    assert!(server.log().contains("failed login"));
    assert!(!server.log().contains("not the password"));
}

/// The server's message in a client error (without the response's headers).
fn reason(error: FlightError) -> String {
    if let FlightError::Tonic(status) = &error {
        return status.message().to_string();
    }
    // The handshake's error is the status as text.
    let text = error.to_string();
    let start = text.find("message: \"").expect("a gRPC status") + "message: \"".len();
    let end = text.rfind('"').filter(|end| *end >= start).expect("a quoted message");
    text[start..end].replace("\\\"", "\"")
}

#[test]
fn flight_sql_beyond_loopback_needs_tls() {
    let dir = tempfile::tempdir().unwrap();
    let output = crate::fixture::kaigo()
        .args(["serve", "--warehouse"])
        .arg(warehouse())
        .arg("--config")
        .arg(config(dir.path(), ""))
        .args(["--listen", "127.0.0.1:0", "--flight-sql", "0.0.0.0:0"])
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("needs tls_cert and tls_key"));
}

/// With TLS configured, a Flight SQL client must use it too (`certificate`: the server's, PEM).
pub(crate) fn tls_is_required(server: &Server, certificate: &[u8]) {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let port = server.flight_port.expect("serves Flight SQL");
    runtime().block_on(async {
        assert!(login(server, POLICY).await.is_err(), "a plaintext login");
        let tls = ClientTlsConfig::new()
            .ca_certificate(Certificate::from_pem(certificate))
            .domain_name("localhost");
        let channel = Channel::from_shared(format!("https://localhost:{port}"))
            .unwrap()
            .tls_config(tls)
            .unwrap()
            .connect()
            .await
            .unwrap();
        let mut client = FlightSqlServiceClient::new(channel);
        client.handshake(POLICY.0, POLICY.1).await.unwrap();
        let cells = query(&mut client, "select count(*) from cells").await.unwrap();
        assert!(count(&cells) > 0);
    });
}
