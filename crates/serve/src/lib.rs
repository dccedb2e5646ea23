//! `kaigo serve`: the warehouse over the Postgres wire protocol, so psql, DBeaver, Metabase or an
//! ODBC driver can query it (pgwire and datafusion-postgres underneath).
//!
//! What it adds to datafusion-postgres, which by default lets anyone in, runs anything and
//! shares one session between all connections:
//! - **Login** ([`login`]): SCRAM-SHA-256 against PostgreSQL-format verifiers (StoredKey and
//!   ServerKey, never a password or anything that logs in), SCRAM-SHA-256-PLUS where TLS is on,
//!   the same challenge shape for unknown users, failed logins logged and locked out per
//!   address, connection limits per server and per user.
//! - **One session per connection** ([`session`]): its own settings, prepared statements and
//!   memory pool, and only the tables of its role's zone — `warehouse/` (pseudonymous tables and
//!   models) or `publish/` (released files). The vault and the landing zone are never opened.
//! - **Authorization of the plan that runs** ([`hook`]): statements are sorted by kind; a query
//!   is planned once, its plan checked (read-only, tables granted) and that plan executed;
//!   anything that does not parse or plan, defines, writes, prepares by SQL or changes an
//!   engine setting is refused.
//! - **Limits per statement**: a timeout covering planning and every row sent, a length limit,
//!   and the connection's memory pool (a statement beyond it fails; nothing spills to disk).
//! - **TLS** ([`tls`]): required beyond loopback; when configured, every connection must use
//!   it; a certificate or key that does not load stops the server.
//! - **Arrow Flight SQL** ([`flight`]), when asked for: the same users, roles, limits, TLS and
//!   plan check, for reads that arrive as Arrow record batches.
//!
//! Not here: writing, per-role row filters, client certificates.

pub mod config;
mod copy;
mod flight;
mod hook;
mod login;
mod password;
mod regproc;
mod reloptions;
mod session;
mod subqueries;
mod tls;

use std::{
    fmt::Debug,
    net::SocketAddr,
    sync::{Arc, OnceLock},
};

use async_trait::async_trait;
use datafusion::prelude::SessionContext;
use datafusion_postgres::{
    DfSessionService, Parser,
    pgwire::{
        api::{
            ClientInfo, ClientPortalStore, PgWireServerHandlers, Type,
            auth::StartupHandler,
            cancel::{CancelHandler, DefaultCancelHandler},
            portal::{Format, Portal},
            query::{ExtendedQueryHandler, SimpleQueryHandler},
            results::{FieldInfo, Response},
            stmt::QueryParser,
            store::PortalStore,
        },
        error::{PgWireError, PgWireResult},
        messages::PgWireBackendMessage,
        tokio::{TlsAcceptor, process_socket},
    },
};
use futures::Sink;
use kaigo_warehouse::Warehouse;
use tokio::{net::TcpListener, sync::Semaphore};

pub use config::ServeConfig;
pub use password::{DEFAULT_ITERATIONS, hash_password};

use crate::{hook::refusal, login::Gate};

/// The PostgreSQL version the endpoint reports (`server_version` at login and in `SHOW`): the
/// protocol and catalogs it speaks are PostgreSQL 16's, and drivers (JDBC, SQLAlchemy, libpq)
/// parse the leading number. The parenthesis names the server, as Debian's builds name theirs.
pub const SERVER_VERSION: &str = concat!("16.6 (kaigo ", env!("CARGO_PKG_VERSION"), ")");

/// What `version()` answers: PostgreSQL's shape (`PostgreSQL 16.6 … on …`), which SQLAlchemy and
/// other tools parse before anything else.
pub fn version_text() -> String {
    format!(
        "PostgreSQL 16.6 (kaigo {}, DataFusion {}) on {}-{}",
        env!("CARGO_PKG_VERSION"),
        datafusion::DATAFUSION_VERSION,
        std::env::consts::ARCH,
        std::env::consts::OS
    )
}

/// What can go wrong starting the server.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// The config file is unreadable, not private, or inconsistent.
    #[error("{path}: {message}")]
    Config {
        /// The file.
        path: String,
        /// What is wrong (never a password or verifier).
        message: String,
    },
    /// Listening beyond loopback without TLS would send query results in the clear.
    #[error("listening on {address} (not loopback) needs tls_cert and tls_key in the config")]
    NeedsTls {
        /// The address asked for.
        address: SocketAddr,
    },
    /// The TLS certificate or key did not load; the server does not start without it.
    #[error("TLS file {path}: {message}")]
    Tls {
        /// The file.
        path: String,
        /// What is wrong.
        message: String,
    },
    /// The warehouse could not be opened.
    #[error(transparent)]
    Query(#[from] kaigo_query::QueryError),
    /// A table or a connection's session could not be set up.
    #[error("setting up {what}: {source}")]
    Catalog {
        /// The table, file or part of the session.
        what: String,
        /// The cause.
        #[source]
        source: Box<datafusion::error::DataFusionError>,
    },
    /// The release folder could not be listed.
    #[error("{path}: {source}", path = path.display())]
    Publish {
        /// The folder.
        path: std::path::PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The socket could not be bound.
    #[error("listening on {address}: {source}")]
    Io {
        /// The address.
        address: SocketAddr,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
}

impl ServeError {
    /// Whether the user can fix it: the config, TLS, the address, or the warehouse's own cases.
    pub fn is_user(&self) -> bool {
        use ServeError as E;
        match self {
            E::Query(error) => error.is_user(),
            E::Config { .. } | E::NeedsTls { .. } | E::Tls { .. } | E::Io { .. } => true,
            E::Catalog { .. } | E::Publish { .. } => false,
        }
    }
}

/// Serve `warehouse` over the Postgres protocol on `address` (normally the config's `listen`)
/// and, when given, over Arrow Flight SQL on `flight_sql`, until the process ends.
pub async fn serve(
    warehouse: &Warehouse,
    config: &ServeConfig,
    address: SocketAddr,
    flight_sql: Option<SocketAddr>,
) -> Result<(), ServeError> {
    for address in std::iter::once(address).chain(flight_sql) {
        if !address.ip().is_loopback() && config.tls.is_none() {
            return Err(ServeError::NeedsTls { address });
        }
    }
    let tls = config.tls.as_ref().map(tls::Tls::load).transpose()?;
    let zones = session::Zones::open(warehouse).await?;
    let listener = TcpListener::bind(address)
        .await
        .map_err(|source| ServeError::Io { address, source })?;
    tracing::info!(
        %address,
        tls = tls.is_some(),
        warehouse_tables = zones.names(config::Zone::Warehouse).len(),
        released_tables = zones.names(config::Zone::Publish).len(),
        "serving the warehouse over the Postgres protocol"
    );
    let (acceptor, end_point) = match tls {
        Some(tls) => (Some(tls.acceptor), Some(tls.end_point)),
        None => (None, None),
    };
    let gate = Arc::new(Gate::new(config.clone(), zones, end_point));
    match flight_sql {
        Some(flight_address) => {
            tokio::try_join!(
                postgres(listener, acceptor, gate.clone()),
                flight::serve(gate, flight_address)
            )?;
            Ok(())
        }
        None => postgres(listener, acceptor, gate).await,
    }
}

/// Accept Postgres connections until the process ends.
async fn postgres(listener: TcpListener, acceptor: Option<TlsAcceptor>, gate: Arc<Gate>) -> Result<(), ServeError> {
    let config = &gate.config;
    let slots = Arc::new(Semaphore::new(config.limits.max_connections));
    loop {
        let (socket, peer) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(error) => {
                tracing::warn!(%error, "accepting a connection failed");
                continue;
            }
        };
        let permit = slots.clone().try_acquire_owned().ok();
        if permit.is_none() {
            tracing::warn!(%peer, limit = config.limits.max_connections, "refused a connection over the server's limit");
        }
        let handlers = Arc::new(Handlers::new(gate.clone(), permit.is_none()));
        let acceptor = acceptor.clone();
        tokio::spawn(async move {
            let _permit = permit;
            if let Err(error) = process_socket(socket, acceptor, handlers).await {
                tracing::debug!(%peer, %error, "connection ended with an error");
            }
        });
    }
}

/// The handlers of one connection: its login and its query service.
struct Handlers {
    login: Arc<login::Login>,
    connection: Arc<Connection>,
    cancel: Arc<DefaultCancelHandler>,
}

impl Handlers {
    fn new(gate: Arc<Gate>, over_limit: bool) -> Self {
        let service = Arc::new(OnceLock::new());
        Self {
            login: Arc::new(login::Login::new(gate.clone(), service.clone(), over_limit)),
            cancel: Arc::new(DefaultCancelHandler::new(gate.connections.clone())),
            connection: Arc::new(Connection { gate, service }),
        }
    }
}

impl PgWireServerHandlers for Handlers {
    fn simple_query_handler(&self) -> Arc<impl SimpleQueryHandler> {
        self.connection.clone()
    }

    fn extended_query_handler(&self) -> Arc<impl ExtendedQueryHandler> {
        self.connection.clone()
    }

    fn startup_handler(&self) -> Arc<impl StartupHandler> {
        self.login.clone()
    }

    fn cancel_handler(&self) -> Arc<impl CancelHandler> {
        self.cancel.clone()
    }
}

/// The query side of one connection: its session's service (set at login), with the
/// statement limits around it.
struct Connection {
    gate: Arc<Gate>,
    service: Arc<OnceLock<Arc<DfSessionService>>>,
}

impl Connection {
    fn service(&self) -> PgWireResult<&Arc<DfSessionService>> {
        self.service
            .get()
            .ok_or_else(|| refusal("28000", "not logged in".into()))
    }
}

/// Refuse a statement longer than `limit` bytes, before it is parsed.
fn check_length(statement: &str, limit: usize) -> PgWireResult<()> {
    if statement.len() > limit {
        return Err(refusal(
            "54000",
            format!("statement too long: {} bytes, the limit is {limit}", statement.len()),
        ));
    }
    Ok(())
}

#[async_trait]
impl SimpleQueryHandler for Connection {
    async fn do_query<C>(&self, client: &mut C, query: &str) -> PgWireResult<Vec<Response>>
    where
        C: ClientInfo + ClientPortalStore + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::PortalStore: PortalStore,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        // Each statement's timeout is applied by the access hook, which runs them one by one.
        let service = self.service()?.clone();
        check_length(query, self.gate.config.limits.max_statement_bytes)?;
        let query = subqueries::keep_select_list_subqueries(query);
        let query = regproc::compare_function_columns_by_name(&query);
        let query = reloptions::no_storage_options(&query);
        SimpleQueryHandler::do_query(&*service, client, &query).await
    }
}

/// datafusion-postgres's parser with the statement length limit in front, analysts' select-list
/// subqueries kept from its catalog rewrites, `pg_type`'s function columns compared by name and
/// no storage options.
struct LimitedParser {
    inner: Arc<Parser>,
    max_statement_bytes: usize,
}

type Statement = <Parser as QueryParser>::Statement;

#[async_trait]
impl QueryParser for LimitedParser {
    type Statement = Statement;

    async fn parse_sql<C>(&self, client: &C, sql: &str, types: &[Option<Type>]) -> PgWireResult<Option<Statement>>
    where
        C: ClientInfo + Unpin + Send + Sync,
    {
        check_length(sql, self.max_statement_bytes)?;
        let sql = subqueries::keep_select_list_subqueries(sql);
        let sql = regproc::compare_function_columns_by_name(&sql);
        let sql = reloptions::no_storage_options(&sql);
        self.inner.parse_sql(client, &sql, types).await
    }

    fn get_parameter_types(&self, statement: &Statement) -> PgWireResult<Vec<Type>> {
        self.inner.get_parameter_types(statement)
    }

    fn get_result_schema(&self, statement: &Statement, format: Option<&Format>) -> PgWireResult<Vec<FieldInfo>> {
        self.inner.get_result_schema(statement, format)
    }
}

#[async_trait]
impl ExtendedQueryHandler for Connection {
    type Statement = Statement;
    type QueryParser = LimitedParser;

    fn query_parser(&self) -> Arc<LimitedParser> {
        // Before login no Parse reaches here (pgwire routes it to the login); an empty session
        // answers if one ever did.
        let inner = match self.service.get() {
            Some(service) => service.query_parser(),
            None => DfSessionService::new_with_hooks(Arc::new(SessionContext::new()), Vec::new()).query_parser(),
        };
        Arc::new(LimitedParser {
            inner,
            max_statement_bytes: self.gate.config.limits.max_statement_bytes,
        })
    }

    async fn do_query<C>(&self, client: &mut C, portal: &Portal<Statement>, max_rows: usize) -> PgWireResult<Response>
    where
        C: ClientInfo + ClientPortalStore + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::PortalStore: PortalStore<Statement = Statement>,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        let service = self.service()?.clone();
        let deadline = hook::deadline(client, self.gate.config.limits.statement_timeout());
        let response = tokio::time::timeout_at(
            deadline,
            ExtendedQueryHandler::do_query(&*service, client, portal, max_rows),
        )
        .await
        .map_err(|_| hook::timed_out())??;
        Ok(hook::until(response, deadline))
    }
}
