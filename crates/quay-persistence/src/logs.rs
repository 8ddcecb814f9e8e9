//! Writing audit entries inside a transaction, and `LogStore`.

use async_trait::async_trait;
use chrono::Utc;
use quay_core::{DomainError, DomainResult};
use quay_logs::{LogEntry, LogStore, LogWriter, NewLogEntry};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, NotSet, QueryFilter, QueryOrder,
    QuerySelect, Set,
};

use crate::entity::log_entry;
use crate::{db_err, SqlStore};

/// Inserts `entry` on `conn` (the transaction of the change it records).
pub(crate) async fn insert_log(
    conn: &impl ConnectionTrait,
    entry: NewLogEntry,
) -> Result<(), DomainError> {
    log_entry::ActiveModel {
        id: NotSet,
        kind: Set(entry.kind.as_str().to_string()),
        account_id: Set(entry.account_id),
        performer_id: Set(entry.performer_id),
        repository_id: Set(entry.repository_id),
        datetime: Set(Utc::now()),
        ip: Set(entry.ip),
        metadata_json: Set(entry.metadata.to_string()),
    }
    .insert(conn)
    .await
    .map_err(db_err)?;
    Ok(())
}

/// Inserts `entries` on `conn` in one statement.
pub(crate) async fn insert_logs(
    conn: &impl ConnectionTrait,
    entries: Vec<NewLogEntry>,
) -> Result<(), DomainError> {
    if entries.is_empty() {
        return Ok(());
    }
    let now = Utc::now();
    let models = entries.into_iter().map(|entry| log_entry::ActiveModel {
        id: NotSet,
        kind: Set(entry.kind.as_str().to_string()),
        account_id: Set(entry.account_id),
        performer_id: Set(entry.performer_id),
        repository_id: Set(entry.repository_id),
        datetime: Set(now),
        ip: Set(entry.ip),
        metadata_json: Set(entry.metadata.to_string()),
    });
    log_entry::Entity::insert_many(models)
        .exec(conn)
        .await
        .map_err(db_err)?;
    Ok(())
}

fn to_domain(m: log_entry::Model) -> LogEntry {
    LogEntry {
        id: m.id,
        kind: m.kind,
        account_id: m.account_id,
        performer_id: m.performer_id,
        repository_id: m.repository_id,
        datetime: m.datetime,
        ip: m.ip,
        metadata: serde_json::from_str(&m.metadata_json).unwrap_or_default(),
    }
}

#[async_trait]
impl LogStore for SqlStore {
    async fn namespace_logs(&self, account_id: i64, limit: u64) -> DomainResult<Vec<LogEntry>> {
        let rows = log_entry::Entity::find()
            .filter(log_entry::Column::AccountId.eq(account_id))
            .order_by_desc(log_entry::Column::Datetime)
            .order_by_desc(log_entry::Column::Id)
            .limit(limit)
            .all(&self.db.conn)
            .await
            .map_err(db_err)?;
        Ok(rows.into_iter().map(to_domain).collect())
    }
}

#[async_trait]
impl LogWriter for SqlStore {
    async fn write_log(&self, log: NewLogEntry) -> DomainResult<()> {
        let txn = self.db.begin_write().await?;
        insert_log(&*txn, log).await?;
        txn.commit().await
    }
}
