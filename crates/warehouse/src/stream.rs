//! A delivery streamed into every table at once, each table committed once at the end.
//!
//! Producers (the parsing threads) push record batches per table through bounded channels; one
//! writer task per table consumes its channel and writes the delivery's partition as Parquet files
//! as the rows arrive, so memory stays bounded by the channel depth and the writers' buffers, not
//! by the size of the delivery. Nothing is visible to readers until [`DeliveryLoad::commit`]: if the
//! load is dropped or a producer fails first, every stream ends in an error and no table commits.

use std::{
    collections::BTreeMap,
    sync::{
        Arc,
        atomic::{AtomicBool, AtomicU64, Ordering},
    },
};

use arrow::record_batch::RecordBatch;
use futures::Stream;
use tokio::{sync::mpsc, task::JoinHandle};

use crate::{Result, TableSpec, Warehouse, WarehouseError, tables};

/// Batches in flight per table: enough to keep a writer busy while the producers parse.
const CHANNEL_DEPTH: usize = 4;

/// Largest batch handed to a writer; bigger ones are sliced (zero-copy) to keep memory even.
const MAX_BATCH_ROWS: usize = 64 * 1024;

/// Rows and version of one table after a load.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TableCommit {
    /// Rows written for the delivery.
    pub rows: u64,
    /// Table version after the commit.
    pub version: u64,
}

struct Channel {
    spec: &'static TableSpec,
    sender: mpsc::Sender<RecordBatch>,
    rows: AtomicU64,
    writer: JoinHandle<Result<u64>>,
}

/// One delivery being loaded into every table (see the module docs).
pub struct DeliveryLoad {
    channels: BTreeMap<&'static str, Channel>,
    complete: Arc<AtomicBool>,
}

/// The batches of a table's channel, as its writer reads them. When the senders are gone the
/// stream ends normally only if the load asked to commit; otherwise it ends in an error, so the
/// writer does not commit.
fn batches(
    spec: &'static TableSpec,
    receiver: mpsc::Receiver<RecordBatch>,
    complete: Arc<AtomicBool>,
) -> impl Stream<Item = Result<RecordBatch>> {
    futures::stream::unfold(Some(receiver), move |receiver| {
        let complete = complete.clone();
        async move {
            let mut receiver = receiver?;
            match receiver.recv().await {
                Some(batch) => Some((Ok(batch), Some(receiver))),
                None if complete.load(Ordering::SeqCst) => None,
                None => Some((
                    Err(WarehouseError::Abandoned {
                        table: spec.name.to_string(),
                    }),
                    None,
                )),
            }
        }
    })
}

impl DeliveryLoad {
    /// Start writing `delivery` into every table of `warehouse`. Must run inside a multi-thread
    /// Tokio runtime: the writers run as tasks while producers block on full channels.
    pub fn begin(warehouse: &Warehouse, delivery: &str) -> Self {
        let complete = Arc::new(AtomicBool::new(false));
        let mut channels = BTreeMap::new();
        for spec in tables() {
            let (sender, receiver) = mpsc::channel(CHANNEL_DEPTH);
            let batches = batches(spec, receiver, complete.clone());
            let warehouse = warehouse.clone();
            let delivery_name = delivery.to_string();
            let writer = tokio::spawn(async move { warehouse.replace_delivery(spec, &delivery_name, batches).await });
            channels.insert(
                spec.name,
                Channel {
                    spec,
                    sender,
                    rows: AtomicU64::new(0),
                    writer,
                },
            );
        }
        Self { channels, complete }
    }

    /// Hand rows of `table` to its writer, waiting while its channel is full. Call from a thread
    /// that is not a Tokio worker (a rayon or blocking thread).
    pub fn send_blocking(&self, table: &TableSpec, batch: RecordBatch) -> Result<()> {
        let table = table.name;
        let channel = self.channels.get(table).ok_or_else(|| WarehouseError::Unknown {
            table: table.to_string(),
        })?;
        if batch.schema() != channel.spec.schema() {
            return Err(WarehouseError::Schema {
                table: table.to_string(),
            });
        }
        let mut offset = 0;
        while offset < batch.num_rows() {
            let length = MAX_BATCH_ROWS.min(batch.num_rows() - offset);
            channel
                .sender
                .blocking_send(batch.slice(offset, length))
                .map_err(|_| WarehouseError::WriterGone {
                    table: table.to_string(),
                })?;
            channel.rows.fetch_add(length as u64, Ordering::Relaxed);
            offset += length;
        }
        Ok(())
    }

    /// Give the load up: every stream ends in an error, no table commits; waits until every
    /// writer has stopped.
    pub async fn abort(self) {
        let writers: Vec<JoinHandle<Result<u64>>> = self.channels.into_values().map(|channel| channel.writer).collect();
        for writer in writers {
            let _ = writer.await;
        }
    }

    /// End the streams and wait for every table's commit. Each table commits on its own: if one
    /// fails, the others may already be at their new version; a rerun of the delivery converges.
    pub async fn commit(self) -> Result<BTreeMap<String, TableCommit>> {
        self.complete.store(true, Ordering::SeqCst);
        let mut commits = BTreeMap::new();
        let mut pending = Vec::new();
        for (name, channel) in self.channels {
            drop(channel.sender);
            pending.push((name, channel.rows.into_inner(), channel.writer));
        }
        let mut first_error = None;
        for (name, rows, writer) in pending {
            match writer.await {
                Ok(Ok(version)) => {
                    crate::crash_point(&format!("committed:{name}"));
                    commits.insert(name.to_string(), TableCommit { rows, version });
                }
                Ok(Err(error)) => {
                    first_error.get_or_insert(error);
                }
                Err(join) => {
                    first_error.get_or_insert(WarehouseError::WriterGone {
                        table: format!("{name} ({join})"),
                    });
                }
            }
        }
        match first_error {
            Some(error) => Err(error),
            None => Ok(commits),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        columns::Table,
        rows::TableRows,
        tables::{InsurerRow, Lineage, PersonMapRow, ProviderActivityRow},
    };

    fn activity_rows(delivery: &str, count: i64) -> RecordBatch {
        let mut rows = TableRows::new(ProviderActivityRow::spec());
        for line in 0..count {
            let lineage = Lineage {
                delivery_month: delivery,
                source_file_id: "f1",
                source_line: line + 2,
            };
            rows.push_loaded(
                lineage,
                ProviderActivityRow {
                    service_month: "202610",
                    provider_number: "1370100421",
                    insurer_number: "131011",
                    n_users: line,
                    n_users_with_consent: 0,
                    n_record_views: 0,
                },
            );
        }
        rows.finish().unwrap()
    }

    fn runtime() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap()
    }

    #[test]
    fn a_committed_load_writes_every_table_once_and_an_abandoned_one_nothing() {
        let root = tempfile::tempdir().unwrap();
        let warehouse = Warehouse::new(root.path());
        let runtime = runtime();
        let spec = ProviderActivityRow::spec();

        let load = runtime.block_on(async { DeliveryLoad::begin(&warehouse, "202611") });
        std::thread::scope(|scope| {
            scope.spawn(|| {
                load.send_blocking(ProviderActivityRow::spec(), activity_rows("202611", 100_000))
                    .unwrap()
            });
        });
        let commits = runtime.block_on(load.commit()).unwrap();
        assert_eq!(commits.len(), tables().len());
        assert_eq!(commits["provider_activity"].rows, 100_000);
        assert_eq!(commits["insurers"].rows, 0);
        let version = runtime.block_on(warehouse.version(spec)).unwrap();
        assert_eq!(version, Some(commits["provider_activity"].version));

        // Rows sent, then the load is dropped without a commit: no table moves.
        let load = runtime.block_on(async { DeliveryLoad::begin(&warehouse, "202611") });
        std::thread::scope(|scope| {
            scope.spawn(|| {
                load.send_blocking(ProviderActivityRow::spec(), activity_rows("202611", 10))
                    .unwrap()
            });
        });
        runtime.block_on(load.abort());
        assert_eq!(runtime.block_on(warehouse.version(spec)).unwrap(), version);

        let load = runtime.block_on(async { DeliveryLoad::begin(&warehouse, "202611") });
        let wrong = InsurerRow::spec();
        let error = load
            .send_blocking(ProviderActivityRow::spec(), RecordBatch::new_empty(wrong.schema()))
            .unwrap_err();
        assert!(matches!(error, WarehouseError::Schema { .. }), "{error}");
        // A table no delivery load writes.
        assert!(
            load.send_blocking(PersonMapRow::spec(), activity_rows("202611", 1))
                .is_err()
        );
    }
}
