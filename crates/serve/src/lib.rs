//! `kaigo serve`: the analysts' read-only warehouse over the Postgres wire protocol, so psql,
//! DBeaver, Metabase or an ODBC driver can query it (datafusion-postgres on pgwire underneath).
//!
//! What it adds to datafusion-postgres, which by default lets anyone in and run anything:
//! - **Authentication**: SCRAM-SHA-256 against the users of a config file (see [`config`]),
//!   which holds salted password hashes only. An unknown user fails exactly like a wrong password.
//! - **Roles**: each user has one role, and a role names the warehouse tables it may read
//!   (`*`, `prefix*` or a name). The catalog lists every table, as Postgres does; reading one the
//!   role does not grant is refused (SQLSTATE 42501).
//! - **Read-only**: every statement is planned before it runs, and one that defines, changes or
//!   copies anything is refused (SQLSTATE 25006), as in `kaigo sql`.
//! - **Loopback by default**; listening elsewhere requires TLS.
//!
//! The session is kaigo-query's: the analysts' zone and the kaigo functions. The vault and the
//! landing zone are never registered, so no role can reach them.
//!
//! Not here: writing, per-role row filters, and client certificates.

pub mod config;
mod hook;
mod password;

use std::{net::SocketAddr, sync::Arc};

use datafusion_postgres::{
    DfSessionService, QueryHook, ServerOptions,
    datafusion_pg_catalog::pg_catalog::{context::EmptyContextProvider, setup_pg_catalog},
    hooks::{cursor::CursorStatementHook, set_show::SetShowHook, transactions::TransactionStatementHook},
    pgwire::api::{
        ConnectionManager, PgWireServerHandlers,
        auth::{
            DefaultServerParameterProvider, StartupHandler,
            sasl::{SASLAuthStartupHandler, scram::ScramAuth},
        },
        cancel::{CancelHandler, DefaultCancelHandler},
        query::{ExtendedQueryHandler, SimpleQueryHandler},
    },
};
use kaigo_query::session::Session;
use kaigo_warehouse::Warehouse;

pub use config::ServeConfig;
pub use password::hash_password;

/// What can go wrong starting the server.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// The config file is unreadable or inconsistent.
    #[error("{path}: {message}")]
    Config {
        /// The file.
        path: String,
        /// What is wrong (never a password or hash).
        message: String,
    },
    /// Listening beyond loopback without TLS would send query results in the clear.
    #[error("listening on {address} (not loopback) needs tls_cert and tls_key in the config")]
    NeedsTls {
        /// The address asked for.
        address: SocketAddr,
    },
    /// The warehouse could not be opened.
    #[error(transparent)]
    Query(#[from] kaigo_query::QueryError),
    /// The Postgres catalog could not be set up.
    #[error("setting up pg_catalog: {0}")]
    Catalog(String),
    /// The socket could not be bound or served.
    #[error("serving on {address}: {source}")]
    Io {
        /// The address.
        address: SocketAddr,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
}

/// The pgwire handlers: kaigo's authentication in front of datafusion-postgres's query service.
struct Handlers {
    service: Arc<DfSessionService>,
    users: Arc<config::Users>,
    connections: Arc<ConnectionManager>,
}

impl PgWireServerHandlers for Handlers {
    fn simple_query_handler(&self) -> Arc<impl SimpleQueryHandler> {
        self.service.clone()
    }

    fn extended_query_handler(&self) -> Arc<impl ExtendedQueryHandler> {
        self.service.clone()
    }

    /// One handler per connection: the SASL exchange keeps its state in it.
    fn startup_handler(&self) -> Arc<impl StartupHandler> {
        let mut scram = ScramAuth::new(self.users.clone());
        scram.set_iterations(password::ITERATIONS);
        let mut parameters = DefaultServerParameterProvider::default();
        parameters.default_transaction_read_only = true;
        Arc::new(
            SASLAuthStartupHandler::new(Arc::new(parameters))
                .with_scram(scram)
                .with_connection_manager(self.connections.clone()),
        )
    }

    fn cancel_handler(&self) -> Arc<impl CancelHandler> {
        Arc::new(DefaultCancelHandler::new(self.connections.clone()))
    }
}

/// Serve `warehouse` on `address` (normally the config's `listen`) until the process ends.
pub async fn serve(warehouse: &Warehouse, config: &ServeConfig, address: SocketAddr) -> Result<(), ServeError> {
    if !address.ip().is_loopback() && config.tls.is_none() {
        return Err(ServeError::NeedsTls { address });
    }
    let session = Session::open(warehouse).await?;
    let context = Arc::new(session.context().clone());
    setup_pg_catalog(&context, "kaigo", EmptyContextProvider)
        .map_err(|error| ServeError::Catalog(error.to_string()))?;
    let users = Arc::new(config.users());
    let hooks: Vec<Arc<dyn QueryHook>> = vec![
        Arc::new(hook::AccessHook::new(users.clone())),
        Arc::new(CursorStatementHook),
        Arc::new(SetShowHook),
        Arc::new(TransactionStatementHook),
    ];
    let handlers = Arc::new(Handlers {
        service: Arc::new(DfSessionService::new_with_hooks(context, hooks)),
        users,
        connections: Arc::new(ConnectionManager::new()),
    });
    let mut options = ServerOptions::new()
        .with_host(address.ip().to_string())
        .with_port(address.port());
    if let Some(tls) = &config.tls {
        options = options
            .with_tls_cert_path(Some(tls.cert.display().to_string()))
            .with_tls_key_path(Some(tls.key.display().to_string()));
    }
    tracing::info!(%address, tables = session.tables().len(), "serving the warehouse over the Postgres protocol");
    datafusion_postgres::serve_with_handlers(handlers, &options)
        .await
        .map_err(|source| ServeError::Io { address, source })
}
