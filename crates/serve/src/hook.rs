//! What a connection may run, decided on the plan that runs.
//!
//! Every statement is sorted by kind before anything else happens:
//! - **queries** (`SELECT`, `WITH`, `VALUES`, `EXPLAIN` of one, `SHOW TABLES`/`COLUMNS`) are
//!   planned once in the connection's own session; the plan is checked (nothing that writes,
//!   defines, prepares or describes; every table scanned granted to the role, Postgres catalogs
//!   open) and **that same plan** is executed — the statement text is never planned again;
//! - `DECLARE … CURSOR FOR <query>` likewise: the cursor is started from the checked plan, and
//!   the time its `FETCH`es spend producing rows counts against the statement timeout;
//! - `SET` of a short list of client settings, `SHOW`, `BEGIN`/`COMMIT`/`ROLLBACK`, `FETCH`,
//!   `CLOSE`, `DEALLOCATE`, `DISCARD` are answered without touching the session's engine
//!   settings;
//! - `COPY (query) TO STDOUT` and `COPY table TO STDOUT` likewise, the rows sent in COPY's text,
//!   CSV or binary format (`crate::copy`);
//! - **everything else is refused**: DDL, DML, any other `COPY`, SQL-level `PREPARE`/`EXECUTE`, `SET` of
//!   any engine setting, and any statement that does not parse or plan.
//!
//! In the extended protocol the plan made at Parse is the one Execute runs (after its
//! parameters are bound): it is checked at Execute, and the statement kind at Parse. A COPY has
//! no rows to describe (Parse gives it an empty plan); its query is planned, checked and run at
//! Execute.

use std::{sync::Arc, time::Duration};

use datafusion::{
    common::{DFSchema, ParamValues, tree_node::TreeNodeRecursion},
    logical_expr::{EmptyRelation, Expr, LogicalPlan, LogicalPlanBuilder, expr::Placeholder, lit},
    prelude::{DataFrame, SessionContext},
    sql::{
        parser::Statement as DfStatement,
        sqlparser::{
            ast::{DeclareType, Set, Statement},
            dialect::PostgreSqlDialect,
            parser::Parser,
        },
    },
};
use datafusion_postgres::{
    QueryHook,
    arrow_pg::datatypes::df,
    hooks::{HookClient, cursor::CursorStatementHook, set_show::SetShowHook, transactions::TransactionStatementHook},
    pgwire::{
        api::{
            ClientInfo,
            portal::{Format, Portal},
            results::{QueryResponse, Response, Tag},
            stmt::StoredStatement,
            store::PortalStore,
        },
        error::{ErrorInfo, PgWireError, PgWireResult},
        types::format::FormatOptions,
    },
};

use futures::{Stream, StreamExt};
use tokio::time::Instant;

use crate::{
    config::{Role, Zone},
    copy::{self, CopyOut},
};

/// The client's `SET statement_timeout`, in milliseconds (datafusion-postgres keeps it here).
const CLIENT_TIMEOUT: &str = "statement_timeout_ms";

/// When a statement starting now must have sent its last row: the server's `limit`, or the
/// client's own `statement_timeout` if shorter.
pub(crate) fn deadline(client: &(impl ClientInfo + ?Sized), limit: Duration) -> Instant {
    let client = client
        .metadata()
        .get(CLIENT_TIMEOUT)
        .and_then(|milliseconds| milliseconds.parse().ok())
        .map(Duration::from_millis)
        .unwrap_or(limit);
    Instant::now() + limit.min(client)
}

pub(crate) fn timed_out() -> PgWireError {
    refusal("57014", "canceling statement due to statement timeout".into())
}

/// Let a result's rows flow until `deadline`, then end them with a timeout error.
pub(crate) fn until(response: Response, deadline: Instant) -> Response {
    let Response::Query(mut query) = response else {
        return response;
    };
    let rows = std::mem::replace(&mut query.data_rows, Box::pin(futures::stream::empty()));
    query.data_rows = Box::pin(ending_at(rows, deadline, timed_out));
    Response::Query(query)
}

/// `items` as they come until `deadline`, then `timed_out()` and the end (a Postgres result's
/// rows, a Flight SQL answer's batches).
pub(crate) fn ending_at<T, E>(
    items: impl Stream<Item = Result<T, E>> + Unpin + Send + 'static,
    deadline: Instant,
    timed_out: fn() -> E,
) -> impl Stream<Item = Result<T, E>> + Send + 'static
where
    T: Send + 'static,
    E: Send + 'static,
{
    futures::stream::unfold(Some(items), move |items| async move {
        let mut items = items?;
        match tokio::time::timeout_at(deadline, items.next()).await {
            Ok(Some(item)) => Some((item, Some(items))),
            Ok(None) => None,
            Err(_) => Some((Err(timed_out()), None)),
        }
    })
}

/// Let a cursor's rows flow while the time spent producing them stays within `budget`, then end
/// them with a timeout error. Time between `FETCH`es does not count: a cursor read slowly is no
/// load, a query that works long is.
fn working_for(mut query: QueryResponse, budget: Duration) -> QueryResponse {
    let rows = std::mem::replace(&mut query.data_rows, Box::pin(futures::stream::empty()));
    query.data_rows = Box::pin(futures::stream::unfold(Some((rows, budget)), |state| async move {
        let (mut rows, left) = state?;
        let started = Instant::now();
        match tokio::time::timeout(left, rows.next()).await {
            Ok(Some(row)) => Some((row, Some((rows, left.saturating_sub(started.elapsed()))))),
            Ok(None) => None,
            Err(_) => Some((Err(timed_out()), None)),
        }
    }));
    query
}

/// The client settings a user may `SET`: each is answered from the connection's metadata and
/// none changes what the engine reads, where it writes or how much it may use.
const SETTABLE: [&str; 8] = [
    "application_name",
    "bytea_output",
    "client_encoding",
    "client_min_messages",
    "datestyle",
    "extra_float_digits",
    "intervalstyle",
    "statement_timeout",
];

/// How a statement is handled.
pub(crate) enum Kind {
    /// Planned, checked and run from its checked plan.
    Query,
    /// A cursor over a query: planned, checked, started from the checked plan.
    Declare,
    /// `COPY … TO STDOUT`: its query planned, checked and run, the rows sent in COPY's format.
    CopyOut,
    /// Answered by datafusion-postgres's client-state hooks (settings, transactions, cursors).
    ClientState,
    /// Acknowledged and nothing else (there is nothing to deallocate or discard).
    NoOp(&'static str),
    /// Refused, with the SQLSTATE and why.
    Refused(&'static str, String),
}

pub(crate) fn kind(statement: &Statement) -> Kind {
    match statement {
        Statement::Query(_) | Statement::ShowTables { .. } | Statement::ShowColumns { .. } => Kind::Query,
        Statement::Explain { statement, .. } if matches!(**statement, Statement::Query(_)) => Kind::Query,
        Statement::Declare { .. } => Kind::Declare,
        statement if copy::is_copy_out(statement) => Kind::CopyOut,
        Statement::Set(set) => match settable(set) {
            Ok(()) => Kind::ClientState,
            Err(name) => Kind::Refused(
                "42501",
                format!(
                    "permission denied to set {name}: only {} may be set",
                    SETTABLE.join(", ") + ", TIME ZONE"
                ),
            ),
        },
        Statement::Rollback { savepoint: Some(_), .. } => Kind::NoOp("ROLLBACK"),
        Statement::ShowVariable { .. }
        | Statement::ShowStatus { .. }
        | Statement::ShowCatalogs { .. }
        | Statement::StartTransaction { .. }
        | Statement::Commit { .. }
        | Statement::Rollback { .. }
        | Statement::Fetch { .. }
        | Statement::Close { .. } => Kind::ClientState,
        // Savepoints mark nothing in a session that cannot write, but drivers nest their own
        // work in them (psycopg's `transaction()` inside a transaction, SQLAlchemy's type lookups).
        Statement::Savepoint { .. } => Kind::NoOp("SAVEPOINT"),
        Statement::ReleaseSavepoint { .. } => Kind::NoOp("RELEASE"),
        Statement::Deallocate { .. } => Kind::NoOp("DEALLOCATE"),
        Statement::Discard { .. } => Kind::NoOp("DISCARD ALL"),
        Statement::Prepare { .. } | Statement::Execute { .. } => Kind::Refused(
            "42501",
            "PREPARE and EXECUTE are not available: use the protocol's prepared statements (every driver does)".into(),
        ),
        other => Kind::Refused("25006", format!("refused: {} — kaigo serve is read-only", verb(other))),
    }
}

/// The first words of a statement, for a refusal (never its values).
fn verb(statement: &Statement) -> String {
    let text = statement.to_string();
    text.split_whitespace()
        .take(2)
        .collect::<Vec<_>>()
        .join(" ")
        .to_uppercase()
}

/// `Ok` when a `SET` only changes a client setting; else the setting's name.
fn settable(set: &Set) -> Result<(), String> {
    match set {
        Set::SingleAssignment {
            hivevar: false,
            variable,
            ..
        } => {
            let name = variable.to_string().to_lowercase();
            if SETTABLE.contains(&name.as_str()) {
                Ok(())
            } else {
                Err(name)
            }
        }
        Set::SetTimeZone { .. } => Ok(()),
        other => Err(verb(&Statement::Set(other.clone())).to_lowercase()),
    }
}

/// Plan a query of the extended protocol so that its parameters bind where the client put them.
///
/// datafusion-postgres lines up the values a client binds with the plan's placeholders in order
/// of their numbers, and its catalog emulation replaces some subqueries of a catalog query's
/// select list with NULL (SQLAlchemy's column reflection has two), taking their placeholders with
/// them: `$1` gone, the value for `$1` was decoded as `$2`'s type and the query failed to bind. So
/// every number up to the highest left is kept in the plan, under a filter that is always true
/// and is optimized away.
async fn plan_keeping_parameters(statement: &Statement, context: &SessionContext) -> PgWireResult<LogicalPlan> {
    context
        .state()
        .statement_to_plan(DfStatement::Statement(Box::new(statement.clone())))
        .await
        .and_then(keep_every_parameter)
        .map_err(|error| PgWireError::ApiError(Box::new(error)))
}

/// `plan` with a placeholder for every parameter number below its highest (see [`plan_keeping_parameters`]).
fn keep_every_parameter(plan: LogicalPlan) -> datafusion::error::Result<LogicalPlan> {
    let numbers: Vec<usize> = plan
        .get_parameter_types()?
        .keys()
        .filter_map(|id| id.strip_prefix('$')?.parse().ok())
        .collect();
    let highest = numbers.iter().copied().max().unwrap_or(0);
    let missing = (1..highest).filter(|number| !numbers.contains(number));
    let always = missing.fold(None, |predicate: Option<Expr>, number| {
        let kept = Expr::Placeholder(Placeholder::new_with_field(format!("${number}"), None))
            .is_null()
            .or(lit(true));
        Some(predicate.map_or(kept.clone(), |predicate| predicate.and(kept)))
    });
    match always {
        Some(predicate) => LogicalPlanBuilder::from(plan).filter(predicate)?.build(),
        None => Ok(plan),
    }
}

/// The access check of one connection: its user and role, and the server's statement timeout.
pub(crate) struct AccessHook {
    user: String,
    role: Role,
    statement_timeout: Duration,
}

impl AccessHook {
    pub(crate) fn new(user: String, role: Role, statement_timeout: Duration) -> Self {
        Self {
            user,
            role,
            statement_timeout,
        }
    }

    /// Check a plan: nothing that writes, defines, prepares or describes, and every table
    /// scanned granted (the Postgres catalogs and information_schema are open, and list only
    /// what this session registered).
    pub(crate) fn check_plan(&self, plan: &LogicalPlan) -> PgWireResult<()> {
        if let Err(error) = kaigo_query::session::refuse_writes(plan) {
            return Err(refusal("25006", error.to_string()));
        }
        let own_schema = match self.role.zone {
            Zone::Warehouse => "warehouse",
            Zone::Publish => "publish",
        };
        let mut denied = None;
        plan.apply_with_subqueries(|node| {
            match node {
                LogicalPlan::TableScan(scan) => {
                    let name = &scan.table_name;
                    let catalog_ok = name.catalog().is_none_or(|catalog| catalog == "kaigo");
                    let open = matches!(name.schema(), Some("pg_catalog" | "information_schema"));
                    let granted =
                        name.schema().is_none_or(|schema| schema == own_schema) && self.role.grants(name.table());
                    if !catalog_ok || !(open || granted) {
                        denied = Some(format!("permission denied for table {}", name.table()));
                    }
                }
                LogicalPlan::Statement(_) | LogicalPlan::DescribeTable(_) | LogicalPlan::Extension(_) => {
                    denied = Some("permission denied: only queries run here".to_string());
                }
                _ => {}
            }
            Ok(if denied.is_some() {
                TreeNodeRecursion::Stop
            } else {
                TreeNodeRecursion::Continue
            })
        })
        .map_err(|error| PgWireError::ApiError(Box::new(error)))?;
        match denied {
            Some(message) => Err(refusal(
                "42501",
                format!("{message}: the role of user {} does not grant it", self.user),
            )),
            None => Ok(()),
        }
    }

    /// Plan `statement` in the connection's session and check the plan.
    pub(crate) async fn checked_plan(
        &self,
        statement: &Statement,
        context: &SessionContext,
    ) -> PgWireResult<LogicalPlan> {
        let plan = context
            .state()
            .statement_to_plan(DfStatement::Statement(Box::new(statement.clone())))
            .await
            .map_err(|error| PgWireError::ApiError(Box::new(error)))?;
        self.check_plan(&plan)?;
        Ok(plan)
    }

    /// The frame of `statement`'s checked plan (nothing runs yet), and the plan.
    async fn checked_frame(
        &self,
        statement: &Statement,
        context: &SessionContext,
    ) -> PgWireResult<(DataFrame, LogicalPlan)> {
        let plan = self.checked_plan(statement, context).await?;
        let frame = context
            .execute_logical_plan(plan.clone())
            .await
            .map_err(|error| PgWireError::ApiError(Box::new(error)))?;
        Ok((frame, plan))
    }

    /// Start a query from its checked plan, planning within the statement timeout: its rows
    /// (not produced yet) and the statement's deadline.
    async fn start(
        &self,
        statement: &Statement,
        context: &SessionContext,
        client: &dyn HookClient,
        options: Option<Arc<FormatOptions>>,
    ) -> PgWireResult<(QueryResponse, LogicalPlan, Instant)> {
        let deadline = deadline(client, self.statement_timeout);
        let run = async {
            let (frame, plan) = self.checked_frame(statement, context).await?;
            Ok::<_, PgWireError>((df::encode_dataframe(frame, &Format::UnifiedText, options).await?, plan))
        };
        let (rows, plan) = tokio::time::timeout_at(deadline, run)
            .await
            .map_err(|_| timed_out())??;
        Ok((rows, plan, deadline))
    }

    /// Run a query from its checked plan, within the statement timeout.
    async fn query(
        &self,
        statement: &Statement,
        context: &SessionContext,
        client: &dyn HookClient,
    ) -> PgWireResult<Response> {
        let options = Arc::new(FormatOptions::from_client_metadata(client.metadata()));
        let (rows, _, deadline) = self.start(statement, context, client, Some(options)).await?;
        Ok(until(Response::Query(rows), deadline))
    }

    /// `COPY … TO STDOUT` from its query's checked plan, within the statement timeout.
    async fn copy_out(
        &self,
        statement: &Statement,
        context: &SessionContext,
        client: &dyn HookClient,
    ) -> PgWireResult<Response> {
        let copy = CopyOut::parse(statement)?;
        let deadline = deadline(client, self.statement_timeout);
        let run = async {
            let (frame, _) = self.checked_frame(&copy.query, context).await?;
            frame
                .execute_stream()
                .await
                .map_err(|error| PgWireError::ApiError(Box::new(error)))
        };
        let rows = tokio::time::timeout_at(deadline, run)
            .await
            .map_err(|_| timed_out())??;
        Ok(Response::CopyOut(copy.respond(rows, deadline)?))
    }

    /// `SHOW server_version` as login reported it ([`crate::SERVER_VERSION`]), not
    /// datafusion-postgres's "datafusion … on datafusion-postgres …".
    async fn show_server_version(&self, context: &SessionContext, client: &dyn HookClient) -> PgWireResult<Response> {
        let sql = format!("select '{}' as server_version", crate::SERVER_VERSION);
        let statement = Parser::parse_sql(&PostgreSqlDialect {}, &sql)
            .expect("a literal SELECT parses")
            .remove(0);
        self.query(&statement, context, client).await
    }

    /// Open each cursor of a `DECLARE` from its query's checked plan.
    async fn declare(
        &self,
        statement: &Statement,
        context: &SessionContext,
        client: &dyn HookClient,
    ) -> PgWireResult<Response> {
        let Statement::Declare { stmts } = statement else {
            unreachable!("sorted as a DECLARE")
        };
        for declare in stmts {
            let (Some(DeclareType::Cursor), Some(name), Some(query)) =
                (&declare.declare_type, declare.names.first(), &declare.for_query)
            else {
                return Err(refusal(
                    "42601",
                    "only DECLARE name CURSOR FOR query is supported".into(),
                ));
            };
            let query = Statement::Query(query.clone());
            let (rows, plan, deadline) = self.start(&query, context, client, None).await?;
            // What is left of the statement's time is what producing its rows may take.
            let rows = working_for(rows, deadline.saturating_duration_since(Instant::now()));
            // With its plan, a Describe of the cursor's portal answers with its columns, as
            // PostgreSQL does (psycopg's named cursors describe before they fetch).
            let stored = Arc::new(StoredStatement::new(
                name.value.clone(),
                (query.to_string(), Some((query, plan))),
                vec![],
            ));
            let portal = Portal::new_cursor(name.value.clone(), stored);
            portal.start(rows).await;
            client.portal_store().put_portal(Arc::new(portal));
        }
        Ok(Response::Execution(Tag::new("DECLARE CURSOR")))
    }
}

/// Whether `statement` is `SHOW server_version`.
fn shows_server_version(statement: &Statement) -> bool {
    matches!(statement, Statement::ShowVariable { variable }
        if variable.len() == 1 && variable[0].value.eq_ignore_ascii_case("server_version"))
}

/// An error the client sees, with its SQLSTATE.
pub(crate) fn refusal(code: &str, message: String) -> PgWireError {
    PgWireError::UserError(Box::new(ErrorInfo::new("ERROR".into(), code.into(), message)))
}

/// datafusion-postgres's hooks for client state, asked in turn.
fn client_state_hooks() -> [&'static dyn QueryHook; 3] {
    [&SetShowHook, &TransactionStatementHook, &CursorStatementHook]
}

#[async_trait::async_trait]
impl QueryHook for AccessHook {
    /// Answer every statement of the simple protocol: none reaches datafusion-postgres's
    /// default path, which would plan the text again.
    async fn handle_simple_query(
        &self,
        statement: &Statement,
        context: &SessionContext,
        client: &mut dyn HookClient,
    ) -> Option<PgWireResult<Response>> {
        Some(match kind(statement) {
            Kind::Query => self.query(statement, context, client).await,
            Kind::Declare => self.declare(statement, context, client).await,
            Kind::CopyOut => self.copy_out(statement, context, client).await,
            Kind::NoOp(tag) => Ok(Response::Execution(Tag::new(tag))),
            Kind::Refused(code, message) => Err(refusal(code, message)),
            Kind::ClientState if shows_server_version(statement) => self.show_server_version(context, client).await,
            Kind::ClientState => {
                for hook in client_state_hooks() {
                    if let Some(answer) = hook.handle_simple_query(statement, context, client).await {
                        return Some(answer);
                    }
                }
                // A SHOW of a setting the hooks do not know: an information_schema query.
                self.query(statement, context, client).await
            }
        })
    }

    /// Refuse at Parse what may not run; let the client-state hooks give their placeholder
    /// plans; plan everything else the default way (nothing runs at Parse).
    async fn handle_extended_parse_query(
        &self,
        statement: &Statement,
        context: &SessionContext,
        client: &(dyn ClientInfo + Send + Sync),
    ) -> Option<PgWireResult<LogicalPlan>> {
        match kind(statement) {
            Kind::Refused(code, message) => Some(Err(refusal(code, message))),
            Kind::Query => Some(plan_keeping_parameters(statement, context).await),
            // Rows come as COPY data, not a portal's rows: Describe answers NoData, as PostgreSQL's.
            Kind::CopyOut => Some(Ok(LogicalPlan::EmptyRelation(EmptyRelation {
                produce_one_row: false,
                schema: Arc::new(DFSchema::empty()),
            }))),
            Kind::Declare | Kind::ClientState | Kind::NoOp(_) => {
                for hook in client_state_hooks() {
                    if let Some(plan) = hook.handle_extended_parse_query(statement, context, client).await {
                        return Some(plan);
                    }
                }
                None
            }
        }
    }

    /// Check the plan about to run; a query then runs on the default path from exactly this
    /// plan (its parameters bound).
    async fn handle_extended_query(
        &self,
        statement: &Statement,
        plan: &LogicalPlan,
        parameters: &ParamValues,
        context: &SessionContext,
        client: &mut dyn HookClient,
    ) -> Option<PgWireResult<Response>> {
        match kind(statement) {
            Kind::Refused(code, message) => Some(Err(refusal(code, message))),
            Kind::Query => self.check_plan(plan).err().map(Err),
            Kind::Declare => Some(self.declare(statement, context, client).await),
            Kind::CopyOut => Some(self.copy_out(statement, context, client).await),
            Kind::NoOp(tag) => Some(Ok(Response::Execution(Tag::new(tag)))),
            Kind::ClientState if shows_server_version(statement) => {
                Some(self.show_server_version(context, client).await)
            }
            Kind::ClientState => {
                for hook in client_state_hooks() {
                    if let Some(answer) = hook
                        .handle_extended_query(statement, plan, parameters, context, client)
                        .await
                    {
                        return Some(answer);
                    }
                }
                Some(Err(refusal("0A000", "this statement is not supported here".into())))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use datafusion::sql::sqlparser::{dialect::PostgreSqlDialect, parser::Parser};

    use super::*;

    fn sorted(sql: &str) -> Kind {
        let statements = Parser::parse_sql(&PostgreSqlDialect {}, sql).unwrap();
        kind(&statements[0])
    }

    #[test]
    fn only_queries_and_client_state_pass() {
        for sql in [
            "select 1",
            "with a as (select 1) select * from a",
            "explain select 1",
            "show tables",
        ] {
            assert!(matches!(sorted(sql), Kind::Query), "{sql}");
        }
        for sql in [
            "set application_name = 'x'",
            "SET DateStyle = 'ISO'",
            "set time zone 'Asia/Tokyo'",
            "begin",
            "commit",
            "show server_version",
            "fetch 10 from c",
            "close c",
        ] {
            assert!(matches!(sorted(sql), Kind::ClientState), "{sql}");
        }
        for sql in [
            "set datafusion.sql_parser.dialect = 'mysql'",
            "set datafusion.runtime.temp_directory = '/tmp/x'",
            "set datafusion.runtime.memory_limit = '1K'",
            "set session authorization other",
            "set role other",
            "prepare p as select 1",
            "execute p",
            "create table t as select 1",
            "drop table insurers",
            "insert into t values (1)",
            "copy insurers to '/tmp/x'",
            "copy insurers to program 'sh'",
            "copy insurers from stdin",
            "explain create table t as select 1",
            "describe insurers",
            "create view v as select 1",
        ] {
            assert!(matches!(sorted(sql), Kind::Refused(..)), "{sql}");
        }
        // Savepoints are acknowledged (drivers nest their work in them); a plain ROLLBACK
        // still ends the transaction through the client-state hooks.
        for (sql, tag) in [
            ("savepoint _pg3_1", "SAVEPOINT"),
            ("release savepoint _pg3_1", "RELEASE"),
            ("rollback to savepoint _pg3_1", "ROLLBACK"),
        ] {
            assert!(matches!(sorted(sql), Kind::NoOp(found) if found == tag), "{sql}");
        }
        assert!(matches!(sorted("rollback"), Kind::ClientState));
        for sql in [
            "copy (select 1) to stdout",
            "copy insurers to stdout with (format csv, header)",
            "copy insurers (insurer_number) to stdout csv header",
        ] {
            assert!(matches!(sorted(sql), Kind::CopyOut), "{sql}");
        }
    }
}
