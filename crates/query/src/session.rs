//! The read-only SQL session analysts get (`kaigo sql`, `kaigo serve`, notebooks through
//! extracts): every table of the analysts' zone, the kaigo functions, and nothing that writes.
//!
//! Statements that would change or create anything — `CREATE`, `DROP`, `INSERT`, `UPDATE`,
//! `DELETE`, `COPY … TO` (also under `EXPLAIN ANALYZE`) — are refused before they run; tables
//! change only through `kaigo ingest`, `kaigo linkage run` and `kaigo build`. The vault and the
//! landing zone are not registered, and with external tables refused and URL tables off there is
//! no statement that reaches a file by path.

use std::{
    collections::BTreeMap,
    sync::Arc,
    time::{Duration, Instant},
};

use deltalake::datafusion::{
    arrow::{array::RecordBatch, compute::concat_batches, datatypes::SchemaRef},
    common::tree_node::{TreeNode, TreeNodeRecursion},
    dataframe::DataFrame,
    logical_expr::LogicalPlan,
    physical_plan::collect,
    prelude::{SessionConfig, SessionContext},
    sql::parser::{DFParser, Statement},
};
use kaigo_warehouse::Warehouse;

use crate::{QueryError, datafusion_error};

/// A read-only session over a warehouse.
pub struct Session {
    context: SessionContext,
    tables: Vec<String>,
    versions: BTreeMap<String, u64>,
}

impl Session {
    /// Register every table of the analysts' zone and the kaigo functions.
    pub async fn open(warehouse: &Warehouse) -> Result<Self, QueryError> {
        Self::open_at(warehouse, &BTreeMap::new()).await
    }

    /// Like [`Self::open`], with the tables named in `pinned` as they were at those versions
    /// (an extract repeated exactly after later loads).
    pub async fn open_at(warehouse: &Warehouse, pinned: &BTreeMap<String, u64>) -> Result<Self, QueryError> {
        let context = SessionContext::new_with_config_rt(session_config("warehouse"), crate::resources::runtime());
        crate::udf::register(&context);
        let versions = warehouse.register_tables_at(&context, pinned).await?;
        Ok(Self {
            context,
            tables: versions.keys().cloned().collect(),
            versions,
        })
    }

    /// The DataFusion context (for callers that plan themselves; writes are theirs to refuse).
    pub fn context(&self) -> &SessionContext {
        &self.context
    }

    /// The tables registered, sorted.
    pub fn tables(&self) -> &[String] {
        &self.tables
    }

    /// The version each table was registered at.
    pub fn versions(&self) -> &BTreeMap<String, u64> {
        &self.versions
    }

    /// Parse `sql` into its statements, planning none of them yet.
    pub fn parse(sql: &str) -> Result<Vec<Statement>, QueryError> {
        Ok(DFParser::parse_sql(sql)
            .map_err(|error| datafusion_error("query", error))?
            .into_iter()
            .collect())
    }

    /// Plan one statement, refusing writes; a `SET` takes effect as it is planned. The frame is
    /// lazy: nothing has been read yet.
    pub async fn plan(&self, statement: Statement) -> Result<DataFrame, QueryError> {
        let plan = self
            .context
            .state()
            .statement_to_plan(statement)
            .await
            .map_err(|error| datafusion_error("query", error))?;
        refuse_writes(&plan)?;
        self.context
            .execute_logical_plan(plan)
            .await
            .map_err(|error| datafusion_error("query", error))
    }

    /// Plan and run one statement: its rows, and how long planning took (from SQL to the
    /// physical plan; the rest is execution).
    pub async fn run(&self, statement: Statement) -> Result<(Vec<RecordBatch>, Duration), QueryError> {
        let started = Instant::now();
        let frame = self.plan(statement).await?;
        let task = Arc::new(frame.task_ctx());
        let plan = frame
            .create_physical_plan()
            .await
            .map_err(|error| datafusion_error("query", error))?;
        let planning = started.elapsed();
        let batches = collect(plan, task)
            .await
            .map_err(|error| datafusion_error("query", error))?;
        Ok((batches, planning))
    }

    /// Plan every statement of `sql` in order (see [`Session::plan`]).
    pub async fn statements(&self, sql: &str) -> Result<Vec<DataFrame>, QueryError> {
        let mut frames = Vec::new();
        for statement in Self::parse(sql)? {
            frames.push(self.plan(statement).await?);
        }
        Ok(frames)
    }

    /// The one statement of `sql` (see [`Session::statements`]).
    pub async fn query(&self, sql: &str) -> Result<DataFrame, QueryError> {
        let mut frames = self.statements(sql).await?;
        match frames.len() {
            1 => Ok(frames.pop().expect("one frame")),
            count => Err(QueryError::Statements { count }),
        }
    }

    /// The rows of the one statement of `sql`, in one batch (for callers that read a model
    /// whole: a release's source, an extract's table).
    pub async fn collect(&self, sql: &str) -> Result<RecordBatch, QueryError> {
        let frame = self.query(sql).await?;
        let schema = Arc::new(frame.schema().as_arrow().clone());
        let batches = frame
            .collect()
            .await
            .map_err(|error| datafusion_error("query", error))?;
        concat_batches(&schema, &batches).map_err(|error| datafusion_error("query", error.into()))
    }

    /// The columns of a registered table.
    pub async fn table_schema(&self, table: &str) -> Result<SchemaRef, QueryError> {
        let provider = self
            .context
            .table_provider(table)
            .await
            .map_err(|error| datafusion_error(&format!("table {table}"), error))?;
        Ok(provider.schema())
    }
}

/// The settings of every analysts' session: information_schema on, catalog `kaigo` with
/// `schema` as the default schema, text read as `Utf8` (the types the tables declare).
pub fn session_config(schema: &str) -> SessionConfig {
    let mut config = SessionConfig::new()
        .with_information_schema(true)
        .with_default_catalog_and_schema("kaigo", schema);
    config.options_mut().execution.parquet.schema_force_view_types = false;
    let partitions = crate::resources::partitions(config.target_partitions(), crate::resources::pool_limit());
    config = config.with_target_partitions(partitions);
    if let Some(bytes) = crate::resources::sort_spill_reservation(partitions) {
        config.options_mut().execution.sort_spill_reservation_bytes = bytes;
    }
    config
}

/// Refuse a plan that writes or defines anything, wherever it sits in the plan.
pub fn refuse_writes(plan: &LogicalPlan) -> Result<(), QueryError> {
    let mut refused = None;
    plan.apply(|node| {
        refused = match node {
            LogicalPlan::Ddl(ddl) => Some(ddl.name().to_string()),
            LogicalPlan::Dml(dml) => Some(dml.op.to_string()),
            LogicalPlan::Copy(_) => Some("COPY".to_string()),
            _ => None,
        };
        Ok(if refused.is_some() {
            TreeNodeRecursion::Stop
        } else {
            TreeNodeRecursion::Continue
        })
    })
    .map_err(|error| datafusion_error("query", error))?;
    match refused {
        Some(statement) => Err(QueryError::ReadOnly { statement }),
        None => Ok(()),
    }
}
