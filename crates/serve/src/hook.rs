//! The access check every statement passes before datafusion-postgres runs it: read-only, and
//! only the tables the user's role grants.

use std::sync::Arc;

use datafusion::{
    common::{ParamValues, tree_node::TreeNodeRecursion},
    logical_expr::LogicalPlan,
    prelude::SessionContext,
    sql::sqlparser::ast::Statement,
};
use datafusion_postgres::{
    QueryHook,
    hooks::HookClient,
    pgwire::{
        api::{ClientInfo, METADATA_USER, results::Response},
        error::{ErrorInfo, PgWireError, PgWireResult},
    },
};

use crate::config::Users;

/// Refuses writes and tables outside the user's role. It answers no statement itself: a
/// statement it lets through goes on to the other hooks and the default path.
pub(crate) struct AccessHook {
    users: Arc<Users>,
}

impl AccessHook {
    pub(crate) fn new(users: Arc<Users>) -> Self {
        Self { users }
    }

    /// Check a plan: nothing that writes, every table scanned granted (the Postgres catalogs and
    /// information_schema are open to all, as in Postgres).
    fn check_plan(&self, user: &str, plan: &LogicalPlan) -> PgWireResult<()> {
        if let Err(error) = kaigo_query::session::refuse_writes(plan) {
            return Err(refusal("25006", error.to_string()));
        }
        let mut denied = None;
        plan.apply_with_subqueries(|node| {
            if let LogicalPlan::TableScan(scan) = node {
                let name = &scan.table_name;
                let open = matches!(name.schema(), Some("pg_catalog" | "information_schema"));
                if !open && !self.users.may_read(user, name.table()) {
                    denied = Some(name.table().to_string());
                    return Ok(TreeNodeRecursion::Stop);
                }
            }
            Ok(TreeNodeRecursion::Continue)
        })
        .map_err(|error| PgWireError::ApiError(Box::new(error)))?;
        match denied {
            Some(table) => Err(refusal(
                "42501",
                format!("permission denied for table {table}: the role of user {user} does not grant it"),
            )),
            None => Ok(()),
        }
    }

    /// Check a statement by planning it as the default path will. A statement that does not
    /// plan is let through: the default path fails on it the same way.
    async fn check_statement(&self, user: &str, statement: &Statement, context: &SessionContext) -> PgWireResult<()> {
        let queries: Vec<String> = match statement {
            // A cursor runs its query inside the cursor hook: check that query.
            Statement::Declare { stmts } => stmts
                .iter()
                .filter_map(|declare| declare.for_query.as_ref().map(ToString::to_string))
                .collect(),
            Statement::Set(_)
            | Statement::ShowVariable { .. }
            | Statement::ShowStatus { .. }
            | Statement::StartTransaction { .. }
            | Statement::Commit { .. }
            | Statement::Rollback { .. }
            | Statement::Fetch { .. }
            | Statement::Close { .. } => Vec::new(),
            other => vec![other.to_string()],
        };
        for query in queries {
            if let Ok(plan) = context.state().create_logical_plan(&query).await {
                self.check_plan(user, &plan)?;
            }
        }
        Ok(())
    }
}

fn user_of(client: &(impl ClientInfo + ?Sized)) -> String {
    client.metadata().get(METADATA_USER).cloned().unwrap_or_default()
}

fn refusal(code: &str, message: String) -> PgWireError {
    PgWireError::UserError(Box::new(ErrorInfo::new("ERROR".into(), code.into(), message)))
}

#[async_trait::async_trait]
impl QueryHook for AccessHook {
    async fn handle_simple_query(
        &self,
        statement: &Statement,
        context: &SessionContext,
        client: &mut dyn HookClient,
    ) -> Option<PgWireResult<Response>> {
        let user = user_of(client);
        self.check_statement(&user, statement, context).await.err().map(Err)
    }

    async fn handle_extended_parse_query(
        &self,
        _statement: &Statement,
        _context: &SessionContext,
        _client: &(dyn ClientInfo + Send + Sync),
    ) -> Option<PgWireResult<LogicalPlan>> {
        None
    }

    /// The plan given is the one about to run (a cursor's is empty: its query is checked from
    /// the statement).
    async fn handle_extended_query(
        &self,
        statement: &Statement,
        plan: &LogicalPlan,
        _parameters: &ParamValues,
        context: &SessionContext,
        client: &mut dyn HookClient,
    ) -> Option<PgWireResult<Response>> {
        let user = user_of(client);
        let checked = match statement {
            Statement::Declare { .. } => self.check_statement(&user, statement, context).await,
            _ => self.check_plan(&user, plan),
        };
        checked.err().map(Err)
    }
}
