//! Arrow Flight SQL (`kaigo serve --flight-sql ADDRESS`): bulk reads that arrive as Arrow record
//! batches rather than rows of text (ADBC's Flight SQL driver, pyarrow, polars), under the same
//! users, roles, limits and plan check as the Postgres endpoint.
//!
//! - **Login**: the handshake's Basic credentials are checked against the same SCRAM verifiers
//!   (the password salted and hashed as PostgreSQL checks a plaintext password against one), with
//!   the same lockout per address and the same answer for an unknown user. A login opens a
//!   session of the user's role — its own DataFusion session, as a Postgres connection's — named
//!   by a random bearer token. Flight has no connection to count: a session counts against the
//!   user's connection limit (and Flight sessions together against the server's) until it has
//!   been unused for `idle_session_seconds`; a login beyond a limit ends the least recently used
//!   idle session within it, or is refused when every one is running a query.
//! - **Queries**: `GetFlightInfo` parses one statement, refuses all but queries, plans it in the
//!   session and checks the plan ([`crate::hook`]); its ticket names that checked plan, held in
//!   the session, and `DoGet` executes exactly it, once, within the statement timeout. Prepared
//!   statements are planned and checked when created; their bound plan is checked again before
//!   it is handed out.
//! - **Catalog**: catalogs, schemas, tables (with their Arrow schemas), table types and SQL info,
//!   from the session's own catalog, so a role lists only what it may read.
//! - **TLS**: beyond loopback the server does not start without it; when configured, every
//!   connection uses it.
//!
//! Not here: writes, transactions, Substrait plans, `DoExchange`.

use std::{
    collections::HashMap,
    net::{IpAddr, Ipv4Addr, SocketAddr},
    ops::ControlFlow,
    pin::Pin,
    sync::{Arc, Mutex, OnceLock},
    time::Duration,
};

use arrow_flight::{
    Action, FlightDescriptor, FlightEndpoint, FlightInfo, HandshakeRequest, HandshakeResponse, IpcMessage, SchemaAsIpc,
    Ticket,
    decode::FlightRecordBatchStream,
    encode::FlightDataEncoderBuilder,
    error::FlightError,
    flight_service_server::{FlightService, FlightServiceServer},
    sql::{
        ActionClosePreparedStatementRequest, ActionCreatePreparedStatementRequest, ActionCreatePreparedStatementResult,
        CommandGetCatalogs, CommandGetDbSchemas, CommandGetSqlInfo, CommandGetTableTypes, CommandGetTables,
        CommandPreparedStatementQuery, CommandStatementQuery, DoPutPreparedStatementResult, ProstMessageExt, SqlInfo,
        TicketStatementQuery,
        metadata::{SqlInfoData, SqlInfoDataBuilder},
        server::{FlightSqlService, PeekableFlightDataStream},
    },
};
use base64::{
    Engine,
    engine::general_purpose::{STANDARD, STANDARD_NO_PAD},
};
use datafusion::{
    arrow::{
        datatypes::{DataType, Field, Schema, SchemaRef},
        ipc::writer::IpcWriteOptions,
        record_batch::RecordBatch,
    },
    common::{ParamValues, ScalarValue},
    logical_expr::LogicalPlan,
    prelude::SessionContext,
    sql::sqlparser::{
        ast::{Expr, Statement, Value, visit_expressions_mut},
        dialect::{GenericDialect, PostgreSqlDialect},
        parser::Parser,
    },
};
use datafusion_postgres::pgwire::error::PgWireError;
use futures::{Stream, StreamExt, TryStreamExt};
use prost::Message;
use tokio::time::Instant;
use tonic::{
    Request, Response, Status, Streaming,
    metadata::MetadataMap,
    transport::{Identity, Server, ServerTlsConfig, server::TcpIncoming},
};

use crate::{
    ServeError,
    config::{self, Zone},
    hook::{self, AccessHook, Kind, kind},
    login::{Gate, UserSlot},
    password::Verifier,
};

/// Checked plans a session holds for `DoGet`s still to come (beyond it the oldest goes), and
/// prepared statements it may keep open (beyond it creating one is refused): a client that asks
/// and never fetches or closes does not grow the server.
const HELD_PER_SESSION: usize = 64;

/// Serve Flight SQL on `address` with the Postgres endpoint's gate until the process ends.
pub(crate) async fn serve(gate: Arc<Gate>, address: SocketAddr) -> Result<(), ServeError> {
    let incoming = TcpIncoming::bind(address).map_err(|source| ServeError::Io { address, source })?;
    let mut server = Server::builder();
    if let Some(files) = &gate.config.tls {
        // The tree carries two rustls back ends; tonic takes the process's default, so it is
        // set to ring, the Postgres endpoint's.
        let _ = datafusion_postgres::pgwire::tokio::tokio_rustls::rustls::crypto::ring::default_provider()
            .install_default();
        let read = |path: &std::path::Path| {
            std::fs::read(path).map_err(|error| ServeError::Tls {
                path: path.display().to_string(),
                message: error.to_string(),
            })
        };
        let identity = Identity::from_pem(read(&files.cert)?, read(&files.key)?);
        server = server
            .tls_config(ServerTlsConfig::new().identity(identity))
            .map_err(|error| ServeError::Tls {
                path: files.cert.display().to_string(),
                message: error.to_string(),
            })?;
    }
    tracing::info!(%address, tls = gate.config.tls.is_some(), "serving the warehouse over Arrow Flight SQL");
    let service = FlightServiceServer::new(FlightSql {
        gate,
        sessions: Mutex::new(HashMap::new()),
    });
    server
        .add_service(service)
        .serve_with_incoming(incoming)
        .await
        .map_err(|error| ServeError::Io {
            address,
            source: std::io::Error::other(error),
        })
}

/// The Flight SQL service: the shared gate and the open sessions by token.
struct FlightSql {
    gate: Arc<Gate>,
    sessions: Mutex<HashMap<String, Arc<Session>>>,
}

/// One login's session.
struct Session {
    user: String,
    zone: Zone,
    hook: AccessHook,
    context: SessionContext,
    /// Counted against the user's connection limit while the session lasts.
    _slot: UserSlot,
    last_used: Mutex<Instant>,
    /// Checked plans by ticket handle, oldest first, each for one `DoGet`.
    tickets: Mutex<Vec<(Vec<u8>, LogicalPlan)>>,
    prepared: Mutex<HashMap<Vec<u8>, Prepared>>,
}

/// A prepared statement: its plan with placeholders and the parameters last bound.
struct Prepared {
    plan: LogicalPlan,
    parameters: Option<ParamValues>,
}

type Batches = Pin<Box<dyn Stream<Item = Result<arrow_flight::FlightData, Status>> + Send + 'static>>;

impl FlightSql {
    /// The session a request's bearer token names.
    fn session<T>(&self, request: &Request<T>) -> Result<Arc<Session>, Status> {
        let token = request
            .metadata()
            .get("authorization")
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.strip_prefix("Bearer "))
            .ok_or_else(|| Status::unauthenticated("log in first: a handshake with a user name and password"))?;
        let mut sessions = self.sessions.lock().expect("not poisoned");
        self.end_idle(&mut sessions);
        let session = sessions
            .get(token)
            .cloned()
            .ok_or_else(|| Status::unauthenticated("the session has ended: log in again"))?;
        *session.last_used.lock().expect("not poisoned") = Instant::now();
        Ok(session)
    }

    /// End the sessions unused for longer than the idle limit.
    fn end_idle(&self, sessions: &mut HashMap<String, Arc<Session>>) {
        let idle = Duration::from_secs(self.gate.config.limits.idle_session_seconds);
        sessions.retain(|_, session| session.last_used.lock().expect("not poisoned").elapsed() < idle);
    }

    /// A slot for `user`: within the server's limit of sessions and the user's of connections,
    /// each made room for by ending the least recently used idle session (of anyone, of the user).
    fn admit(&self, user: &str) -> Option<UserSlot> {
        let mut sessions = self.sessions.lock().expect("not poisoned");
        self.end_idle(&mut sessions);
        if sessions.len() >= self.gate.config.limits.max_connections
            && !end_least_recently_used(&mut sessions, |_| true)
        {
            return None;
        }
        if let Some(slot) = self.gate.admit(user) {
            return Some(slot);
        }
        if !end_least_recently_used(&mut sessions, |session| session.user == user) {
            return None;
        }
        drop(sessions);
        self.gate.admit(user)
    }

    /// Check the handshake's credentials and open a session: its token.
    async fn login(&self, metadata: &MetadataMap, address: IpAddr) -> Result<String, Status> {
        if self.gate.locked_out(address) {
            tracing::warn!(%address, "refused a Flight SQL login from a locked-out address");
            return Err(Status::unauthenticated(
                "too many failed logins from this address; try again later",
            ));
        }
        let (user, password) = basic_credentials(metadata).ok_or_else(|| {
            Status::unauthenticated("the handshake needs Basic credentials: a user name and password")
        })?;
        let (verifier, known) = self.gate.verifier(&user);
        let stored_key = verifier.stored_key;
        // PBKDF2 takes milliseconds: off the threads that serve requests.
        let derived = tokio::task::spawn_blocking(move || {
            Verifier::derive(&password, &verifier.salt, verifier.iterations).stored_key
        })
        .await
        .map_err(|error| Status::internal(error.to_string()))?;
        if !(known && derived == stored_key) {
            self.gate
                .record_failure(address, &user, "wrong password or unknown user");
            return Err(Status::unauthenticated(format!(
                "password authentication failed for user \"{user}\""
            )));
        }
        self.gate.record_success(address);
        let role = self
            .gate
            .config
            .role_of(self.gate.config.user(&user).expect("a known user"))
            .clone();
        let Some(slot) = self.admit(&user) else {
            tracing::warn!(%address, user, "refused a Flight SQL login over the server's or the user's limit");
            return Err(Status::resource_exhausted(format!(
                "too many connections for user \"{user}\" or for the server"
            )));
        };
        let limits = &self.gate.config.limits;
        let context = self
            .gate
            .zones
            .connect(&role, limits)
            .map_err(|error| Status::internal(error.to_string()))?;
        let mut random = [0u8; 32];
        getrandom::fill(&mut random).expect("the operating system's random source");
        let token = STANDARD.encode(random);
        let session = Session {
            user: user.clone(),
            zone: role.zone,
            hook: AccessHook::new(user.clone(), role, limits.statement_timeout()),
            context,
            _slot: slot,
            last_used: Mutex::new(Instant::now()),
            tickets: Mutex::new(Vec::new()),
            prepared: Mutex::new(HashMap::new()),
        };
        self.sessions
            .lock()
            .expect("not poisoned")
            .insert(token.clone(), Arc::new(session));
        tracing::info!(%address, user, "login (Flight SQL)");
        Ok(token)
    }

    /// Parse one statement, refuse all but queries, plan it and check the plan, within the
    /// statement timeout.
    async fn plan(&self, session: &Session, sql: &str) -> Result<LogicalPlan, Status> {
        crate::check_length(sql, self.gate.config.limits.max_statement_bytes).map_err(from_pgwire)?;
        let statement = parse(sql)?;
        match kind(&statement) {
            Kind::Query => {}
            Kind::Refused(code, message) => return Err(status(code, message)),
            _ => {
                return Err(Status::permission_denied(
                    "only queries run over Flight SQL (no cursors, COPY, settings or transactions)",
                ));
            }
        }
        let planned = session.hook.checked_plan(&statement, &session.context);
        tokio::time::timeout(self.gate.config.limits.statement_timeout(), planned)
            .await
            .map_err(|_| timed_out())?
            .map_err(from_pgwire)
    }

    /// Hold a checked plan for one `DoGet` and describe it: its schema and its ticket.
    fn hand_out(
        &self,
        session: &Session,
        plan: LogicalPlan,
        descriptor: FlightDescriptor,
    ) -> Result<FlightInfo, Status> {
        let schema: Schema = plan.schema().as_arrow().clone();
        let mut handle = vec![0u8; 16];
        getrandom::fill(&mut handle).expect("the operating system's random source");
        let mut tickets = session.tickets.lock().expect("not poisoned");
        if tickets.len() >= HELD_PER_SESSION {
            tickets.remove(0);
        }
        tickets.push((handle.clone(), plan));
        let ticket = TicketStatementQuery {
            statement_handle: handle.into(),
        };
        flight_info(&schema, ticket.as_any().encode_to_vec(), descriptor)
    }

    /// Describe a catalog call for its logged-in session: its schema, and the command itself as
    /// the ticket (its answer is made at `DoGet`, from that session's catalog).
    fn describe(
        &self,
        request: Request<FlightDescriptor>,
        schema: SchemaRef,
        ticket: Vec<u8>,
    ) -> Result<Response<FlightInfo>, Status> {
        self.session(&request)?;
        Ok(Response::new(flight_info(&schema, ticket, request.into_inner())?))
    }

    /// Stream the rows of one checked plan, within the statement timeout; the session stays
    /// open (and counted) until the last batch is sent.
    async fn run(&self, session: Arc<Session>, plan: LogicalPlan) -> Result<Response<Batches>, Status> {
        let deadline = Instant::now() + self.gate.config.limits.statement_timeout();
        let started = async { session.context.execute_logical_plan(plan).await?.execute_stream().await };
        let rows = tokio::time::timeout_at(deadline, started)
            .await
            .map_err(|_| timed_out())?
            .map_err(|error| Status::invalid_argument(error.to_string()))?;
        let schema = rows.schema();
        let batches = hook::ending_at(
            rows.map_err(|error| FlightError::ExternalError(Box::new(error))),
            deadline,
            || FlightError::Tonic(Box::new(timed_out())),
        );
        let encoded = FlightDataEncoderBuilder::new()
            .with_schema(schema)
            .build(batches)
            .map_err(Status::from)
            .map(move |data| {
                let _open = &session;
                data
            });
        Ok(Response::new(Box::pin(encoded)))
    }
}

/// One statement of PostgreSQL's SQL, its parameters numbered (`$1`) or, as ADBC's DB-API and
/// JDBC write them, marked `?` — numbered here in the order they appear.
fn parse(sql: &str) -> Result<Statement, Status> {
    let mut statements = match Parser::parse_sql(&PostgreSqlDialect {}, sql) {
        Ok(statements) => statements,
        // PostgreSQL's grammar has no `?` parameter (it is a JSON operator there).
        Err(error) if sql.contains('?') => {
            let mut statements =
                Parser::parse_sql(&GenericDialect {}, sql).map_err(|_| Status::invalid_argument(error.to_string()))?;
            let mut number = 0;
            let _ = visit_expressions_mut(&mut statements, |expression| {
                if let Expr::Value(value) = expression
                    && let Value::Placeholder(name) = &mut value.value
                    && name == "?"
                {
                    number += 1;
                    *name = format!("${number}");
                }
                ControlFlow::<()>::Continue(())
            });
            statements
        }
        Err(error) => return Err(Status::invalid_argument(error.to_string())),
    };
    match (statements.pop(), statements.is_empty()) {
        (Some(statement), true) => Ok(statement),
        _ => Err(Status::invalid_argument("send exactly one statement")),
    }
}

/// End the least recently used idle session of those `chosen`: whether there was one. A
/// session a running query holds is not idle (its slot would not come free).
fn end_least_recently_used(sessions: &mut HashMap<String, Arc<Session>>, chosen: impl Fn(&Session) -> bool) -> bool {
    let oldest = sessions
        .iter()
        .filter(|(_, session)| chosen(session) && Arc::strong_count(session) == 1)
        .min_by_key(|(_, session)| *session.last_used.lock().expect("not poisoned"))
        .map(|(token, _)| token.clone());
    let Some(oldest) = oldest else {
        return false;
    };
    if let Some(session) = sessions.remove(&oldest) {
        tracing::info!(
            user = session.user,
            "ended a least recently used Flight SQL session, at a limit"
        );
    }
    true
}

/// The user name and password of an `authorization: Basic …` header.
fn basic_credentials(metadata: &MetadataMap) -> Option<(String, String)> {
    let header = metadata.get("authorization")?.to_str().ok()?;
    let encoded = header.strip_prefix("Basic ")?;
    // Go's Flight client (under ADBC's driver) leaves out base64's padding; others send it.
    let encoded = encoded.trim().trim_end_matches('=');
    let decoded = String::from_utf8(STANDARD_NO_PAD.decode(encoded).ok()?).ok()?;
    let (user, password) = decoded.split_once(':')?;
    Some((user.to_string(), password.to_string()))
}

fn timed_out() -> Status {
    from_pgwire(hook::timed_out())
}

/// A refusal of the Postgres endpoint, as gRPC says it.
fn status(code: &str, message: String) -> Status {
    match code {
        "42501" | "25006" => Status::permission_denied(message),
        "57014" => Status::deadline_exceeded(message),
        "54000" | "42601" | "0A000" => Status::invalid_argument(message),
        _ => Status::internal(message),
    }
}

fn from_pgwire(error: PgWireError) -> Status {
    match error {
        PgWireError::UserError(info) => status(&info.code, info.message),
        // A statement that does not plan: an unknown table or column, a type that does not fit.
        other => Status::invalid_argument(other.to_string()),
    }
}

fn flight_info(schema: &Schema, ticket: Vec<u8>, descriptor: FlightDescriptor) -> Result<FlightInfo, Status> {
    Ok(FlightInfo::new()
        .try_with_schema(schema)
        .map_err(|error| Status::internal(error.to_string()))?
        .with_endpoint(FlightEndpoint::new().with_ticket(Ticket::new(ticket)))
        .with_descriptor(descriptor))
}

/// A schema in the IPC form Flight SQL's prepared-statement results carry.
fn ipc_schema(schema: &Schema) -> Result<prost::bytes::Bytes, Status> {
    let message: IpcMessage = SchemaAsIpc::new(schema, &IpcWriteOptions::default())
        .try_into()
        .map_err(|error: datafusion::arrow::error::ArrowError| Status::internal(error.to_string()))?;
    Ok(message.0)
}

/// One batch as a `DoGet` answer.
fn one_batch(schema: SchemaRef, batch: arrow_flight::error::Result<RecordBatch>) -> Response<Batches> {
    let stream = FlightDataEncoderBuilder::new()
        .with_schema(schema)
        .build(futures::stream::once(async move { batch }))
        .map_err(Status::from);
    Response::new(Box::pin(stream))
}

/// What the server tells a client about itself: kaigo, read-only, no transactions.
fn sql_info() -> &'static SqlInfoData {
    static INFO: OnceLock<SqlInfoData> = OnceLock::new();
    INFO.get_or_init(|| {
        let mut builder = SqlInfoDataBuilder::new();
        builder.append(SqlInfo::FlightSqlServerName, "kaigo");
        builder.append(SqlInfo::FlightSqlServerVersion, env!("CARGO_PKG_VERSION"));
        builder.append(SqlInfo::FlightSqlServerArrowVersion, "59");
        builder.append(SqlInfo::FlightSqlServerReadOnly, true);
        builder.append(SqlInfo::FlightSqlServerSql, true);
        builder.append(SqlInfo::FlightSqlServerSubstrait, false);
        builder.append(SqlInfo::FlightSqlServerTransaction, 0i32);
        builder.append(SqlInfo::FlightSqlServerCancel, false);
        builder.build().expect("a fixed set of infos")
    })
}

/// The catalog every session's tables live in.
const CATALOG: &str = "kaigo";

fn schema_name(zone: Zone) -> &'static str {
    match zone {
        config::Zone::Warehouse => "warehouse",
        config::Zone::Publish => "publish",
    }
}

#[tonic::async_trait]
impl FlightSqlService for FlightSql {
    type FlightService = FlightSql;

    async fn do_handshake(
        &self,
        request: Request<Streaming<HandshakeRequest>>,
    ) -> Result<Response<Pin<Box<dyn Stream<Item = Result<HandshakeResponse, Status>> + Send>>>, Status> {
        let address = request
            .remote_addr()
            .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |address| address.ip());
        let token = self.login(request.metadata(), address).await?;
        let bearer = format!("Bearer {token}");
        let answer = HandshakeResponse {
            protocol_version: 0,
            payload: token.into_bytes().into(),
        };
        let mut response: Response<Pin<Box<dyn Stream<Item = Result<HandshakeResponse, Status>> + Send>>> =
            Response::new(Box::pin(futures::stream::once(async { Ok(answer) })));
        response.metadata_mut().insert(
            "authorization",
            bearer
                .parse()
                .map_err(|_| Status::internal("a token that is no header"))?,
        );
        Ok(response)
    }

    async fn get_flight_info_statement(
        &self,
        query: CommandStatementQuery,
        request: Request<FlightDescriptor>,
    ) -> Result<Response<FlightInfo>, Status> {
        let session = self.session(&request)?;
        let plan = self.plan(&session, &query.query).await?;
        Ok(Response::new(self.hand_out(&session, plan, request.into_inner())?))
    }

    async fn get_flight_info_prepared_statement(
        &self,
        query: CommandPreparedStatementQuery,
        request: Request<FlightDescriptor>,
    ) -> Result<Response<FlightInfo>, Status> {
        let session = self.session(&request)?;
        let plan = {
            let prepared = session.prepared.lock().expect("not poisoned");
            let statement = prepared
                .get(&query.prepared_statement_handle[..])
                .ok_or_else(|| Status::not_found("no such prepared statement in this session"))?;
            let parameters = statement.parameters.clone().unwrap_or(ParamValues::List(Vec::new()));
            statement
                .plan
                .clone()
                .with_param_values(parameters)
                .map_err(|error| Status::invalid_argument(error.to_string()))?
        };
        // The bound plan is the one that runs: it is checked, not the one checked at creation.
        session.hook.check_plan(&plan).map_err(from_pgwire)?;
        Ok(Response::new(self.hand_out(&session, plan, request.into_inner())?))
    }

    async fn get_flight_info_catalogs(
        &self,
        query: CommandGetCatalogs,
        request: Request<FlightDescriptor>,
    ) -> Result<Response<FlightInfo>, Status> {
        let ticket = query.as_any().encode_to_vec();
        self.describe(request, query.into_builder().schema(), ticket)
    }

    async fn get_flight_info_schemas(
        &self,
        query: CommandGetDbSchemas,
        request: Request<FlightDescriptor>,
    ) -> Result<Response<FlightInfo>, Status> {
        let ticket = query.as_any().encode_to_vec();
        self.describe(request, query.into_builder().schema(), ticket)
    }

    async fn get_flight_info_tables(
        &self,
        query: CommandGetTables,
        request: Request<FlightDescriptor>,
    ) -> Result<Response<FlightInfo>, Status> {
        let ticket = query.as_any().encode_to_vec();
        self.describe(request, query.into_builder().schema(), ticket)
    }

    async fn get_flight_info_table_types(
        &self,
        query: CommandGetTableTypes,
        request: Request<FlightDescriptor>,
    ) -> Result<Response<FlightInfo>, Status> {
        let ticket = query.as_any().encode_to_vec();
        self.describe(request, query.into_builder().schema(), ticket)
    }

    async fn get_flight_info_sql_info(
        &self,
        query: CommandGetSqlInfo,
        request: Request<FlightDescriptor>,
    ) -> Result<Response<FlightInfo>, Status> {
        let ticket = query.as_any().encode_to_vec();
        self.describe(request, query.into_builder(sql_info()).schema(), ticket)
    }

    async fn do_get_statement(
        &self,
        ticket: TicketStatementQuery,
        request: Request<Ticket>,
    ) -> Result<Response<<Self as FlightService>::DoGetStream>, Status> {
        let session = self.session(&request)?;
        let plan = {
            let mut tickets = session.tickets.lock().expect("not poisoned");
            let position = tickets
                .iter()
                .position(|(handle, _)| handle[..] == ticket.statement_handle[..])
                .ok_or_else(|| Status::not_found("no such ticket in this session (each is good for one DoGet)"))?;
            tickets.remove(position).1
        };
        self.run(session, plan).await
    }

    async fn do_get_catalogs(
        &self,
        query: CommandGetCatalogs,
        request: Request<Ticket>,
    ) -> Result<Response<<Self as FlightService>::DoGetStream>, Status> {
        self.session(&request)?;
        let mut builder = query.into_builder();
        builder.append(CATALOG);
        Ok(one_batch(builder.schema(), builder.build()))
    }

    async fn do_get_schemas(
        &self,
        query: CommandGetDbSchemas,
        request: Request<Ticket>,
    ) -> Result<Response<<Self as FlightService>::DoGetStream>, Status> {
        let session = self.session(&request)?;
        let mut builder = query.into_builder();
        builder.append(CATALOG, schema_name(session.zone));
        Ok(one_batch(builder.schema(), builder.build()))
    }

    async fn do_get_tables(
        &self,
        query: CommandGetTables,
        request: Request<Ticket>,
    ) -> Result<Response<<Self as FlightService>::DoGetStream>, Status> {
        let session = self.session(&request)?;
        let schema_name = schema_name(session.zone);
        let mut builder = query.into_builder();
        // The session's own catalog: only the tables its role was given are registered there.
        if let Some(schema) = session
            .context
            .catalog(CATALOG)
            .and_then(|catalog| catalog.schema(schema_name))
        {
            let mut names = schema.table_names();
            names.sort();
            for name in names {
                let Some(table) = schema
                    .table(&name)
                    .await
                    .map_err(|error| Status::internal(error.to_string()))?
                else {
                    continue;
                };
                builder
                    .append(CATALOG, schema_name, &name, "TABLE", &table.schema())
                    .map_err(|error| Status::internal(error.to_string()))?;
            }
        }
        Ok(one_batch(builder.schema(), builder.build()))
    }

    async fn do_get_table_types(
        &self,
        query: CommandGetTableTypes,
        request: Request<Ticket>,
    ) -> Result<Response<<Self as FlightService>::DoGetStream>, Status> {
        self.session(&request)?;
        let mut builder = query.into_builder();
        builder.append("TABLE");
        Ok(one_batch(builder.schema(), builder.build()))
    }

    async fn do_get_sql_info(
        &self,
        query: CommandGetSqlInfo,
        request: Request<Ticket>,
    ) -> Result<Response<<Self as FlightService>::DoGetStream>, Status> {
        self.session(&request)?;
        let builder = query.into_builder(sql_info());
        Ok(one_batch(builder.schema(), builder.build()))
    }

    async fn do_put_prepared_statement_query(
        &self,
        query: CommandPreparedStatementQuery,
        request: Request<PeekableFlightDataStream>,
    ) -> Result<DoPutPreparedStatementResult, Status> {
        let session = self.session(&request)?;
        let batches: Vec<RecordBatch> =
            FlightRecordBatchStream::new_from_flight_data(request.into_inner().map_err(FlightError::from))
                .try_collect()
                .await
                .map_err(Status::from)?;
        let rows: usize = batches.iter().map(RecordBatch::num_rows).sum();
        let Some(batch) = batches.iter().find(|batch| batch.num_rows() > 0) else {
            return Err(Status::invalid_argument("no row of parameters"));
        };
        if rows > 1 {
            return Err(Status::invalid_argument(format!(
                "{rows} rows of parameters: a query takes one"
            )));
        }
        let mut prepared = session.prepared.lock().expect("not poisoned");
        let statement = prepared
            .get_mut(&query.prepared_statement_handle[..])
            .ok_or_else(|| Status::not_found("no such prepared statement in this session"))?;
        let types = statement
            .plan
            .get_parameter_types()
            .map_err(|error| Status::internal(error.to_string()))?;
        let mut values = Vec::new();
        for (position, column) in batch.columns().iter().enumerate() {
            let value =
                ScalarValue::try_from_array(column, 0).map_err(|error| Status::invalid_argument(error.to_string()))?;
            // Clients send their own integer and float widths: each value takes the type the
            // plan inferred for its placeholder, as PostgreSQL casts a bound parameter.
            let value = match types.get(&format!("${}", position + 1)) {
                Some(Some(wanted)) if value.data_type() != *wanted && !value.is_null() => value
                    .cast_to(wanted)
                    .map_err(|error| Status::invalid_argument(format!("parameter {}: {error}", position + 1)))?,
                _ => value,
            };
            values.push(value);
        }
        statement.parameters = Some(ParamValues::List(values.into_iter().map(Into::into).collect()));
        Ok(DoPutPreparedStatementResult {
            prepared_statement_handle: Some(query.prepared_statement_handle),
        })
    }

    async fn do_action_create_prepared_statement(
        &self,
        query: ActionCreatePreparedStatementRequest,
        request: Request<Action>,
    ) -> Result<ActionCreatePreparedStatementResult, Status> {
        let session = self.session(&request)?;
        let plan = self.plan(&session, &query.query).await?;
        let types = plan
            .get_parameter_types()
            .map_err(|error| Status::internal(error.to_string()))?;
        let mut numbered: Vec<(usize, DataType)> = types
            .into_iter()
            .filter_map(|(id, data_type)| {
                Some((id.strip_prefix('$')?.parse().ok()?, data_type.unwrap_or(DataType::Null)))
            })
            .collect();
        numbered.sort_by_key(|(number, _)| *number);
        let parameters = Schema::new(
            numbered
                .iter()
                .map(|(number, data_type)| Field::new(format!("${number}"), data_type.clone(), true))
                .collect::<Vec<_>>(),
        );
        let dataset = plan.schema().as_arrow().clone();
        let mut handle = vec![0u8; 16];
        getrandom::fill(&mut handle).expect("the operating system's random source");
        let mut prepared = session.prepared.lock().expect("not poisoned");
        if prepared.len() >= HELD_PER_SESSION {
            return Err(Status::resource_exhausted(format!(
                "{HELD_PER_SESSION} prepared statements are open in this session: close some first"
            )));
        }
        prepared.insert(handle.clone(), Prepared { plan, parameters: None });
        drop(prepared);
        Ok(ActionCreatePreparedStatementResult {
            prepared_statement_handle: handle.into(),
            dataset_schema: ipc_schema(&dataset)?,
            parameter_schema: ipc_schema(&parameters)?,
        })
    }

    async fn do_action_close_prepared_statement(
        &self,
        query: ActionClosePreparedStatementRequest,
        request: Request<Action>,
    ) -> Result<(), Status> {
        let session = self.session(&request)?;
        session
            .prepared
            .lock()
            .expect("not poisoned")
            .remove(&query.prepared_statement_handle[..]);
        Ok(())
    }

    async fn register_sql_info(&self, _id: i32, _result: &SqlInfo) {}
}

#[cfg(test)]
mod tests {
    use tonic::metadata::MetadataValue;

    use super::*;

    #[test]
    fn question_marks_are_numbered_in_the_order_they_appear() {
        let statement = parse("select * from t where a = ? and b in (?, ?) order by ?").unwrap();
        assert_eq!(
            statement.to_string(),
            "SELECT * FROM t WHERE a = $1 AND b IN ($2, $3) ORDER BY $4"
        );
        // PostgreSQL's own spellings are kept as they are, `?` as its JSON operator included.
        let statement = parse("select payload ? 'k' from t where a = $2 and b = $1").unwrap();
        assert_eq!(
            statement.to_string(),
            "SELECT payload ? 'k' FROM t WHERE a = $2 AND b = $1"
        );
        for sql in ["select 1; select 2", "", "select (", "select ? ? ?"] {
            assert!(parse(sql).is_err(), "{sql}");
        }
    }

    #[test]
    fn basic_credentials_are_read_with_or_without_padding() {
        let header = |value: &str| {
            let mut metadata = MetadataMap::new();
            metadata.insert("authorization", MetadataValue::try_from(value).unwrap());
            basic_credentials(&metadata)
        };
        let expected = Some(("ana".to_string(), "pass:word ü".to_string()));
        let encoded = STANDARD.encode("ana:pass:word ü");
        assert_eq!(header(&format!("Basic {encoded}")), expected);
        assert_eq!(header(&format!("Basic {}", encoded.trim_end_matches('='))), expected);
        for refused in [
            "Bearer abc",
            "Basic !!!",
            &format!("Basic {}", STANDARD.encode("no colon")),
        ] {
            assert_eq!(header(refused), None, "{refused}");
        }
    }
}
