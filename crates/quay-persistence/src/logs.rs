//! Writing audit entries inside a transaction, and `LogStore`.

use std::collections::HashMap;

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use quay_core::{DomainError, DomainResult};
use quay_logs::{
    KindCount, LogAccount, LogEntry, LogFilter, LogPosition, LogRecord, LogScope, LogStore,
    LogWriter, NewLogEntry,
};
use sea_orm::sea_query::Value;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DbBackend, EntityTrait,
    FromQueryResult, NotSet, QueryFilter, QueryOrder, QuerySelect, Select, Set,
};

use crate::entity::{log_entry, namespace};
use crate::{db_err, query_all, SqlStore};

/// Rows per `INSERT` when importing: 8 columns each stays under SQLite's bind limit.
const IMPORT_BATCH: usize = 1000;

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

fn filtered(filter: &LogFilter) -> Select<log_entry::Entity> {
    let mut q = log_entry::Entity::find()
        .filter(log_entry::Column::Datetime.gte(filter.start))
        .filter(log_entry::Column::Datetime.lt(filter.end));
    q = match filter.scope {
        LogScope::Namespace(id) => q.filter(log_entry::Column::AccountId.eq(id)),
        LogScope::Repository(id) => q.filter(log_entry::Column::RepositoryId.eq(id)),
        LogScope::All => q,
    };
    if let Some(id) = filter.performer_id {
        q = q.filter(log_entry::Column::PerformerId.eq(id));
    }
    if !filter.ignore_kinds.is_empty() {
        q = q.filter(
            log_entry::Column::Kind.is_not_in(filter.ignore_kinds.iter().map(|k| k.as_str())),
        );
    }
    q
}

#[derive(FromQueryResult)]
struct DayCount {
    kind: String,
    day: String,
    count: i64,
}

impl SqlStore {
    /// Writes `entries` at the given times, in batches (test data and benchmarks).
    pub async fn import_logs(
        &self,
        entries: Vec<(NewLogEntry, DateTime<Utc>)>,
    ) -> DomainResult<()> {
        let mut rest = entries.into_iter().peekable();
        while rest.peek().is_some() {
            let batch: Vec<_> = rest.by_ref().take(IMPORT_BATCH).collect();
            let txn = self.db.begin_write().await?;
            let models = batch.into_iter().map(|(entry, at)| log_entry::ActiveModel {
                id: NotSet,
                kind: Set(entry.kind.as_str().to_string()),
                account_id: Set(entry.account_id),
                performer_id: Set(entry.performer_id),
                repository_id: Set(entry.repository_id),
                datetime: Set(at),
                ip: Set(entry.ip),
                metadata_json: Set(entry.metadata.to_string()),
            });
            log_entry::Entity::insert_many(models)
                .exec(&*txn)
                .await
                .map_err(db_err)?;
            txn.commit().await?;
        }
        Ok(())
    }

    async fn accounts(&self, ids: Vec<i64>) -> DomainResult<HashMap<i64, LogAccount>> {
        if ids.is_empty() {
            return Ok(HashMap::new());
        }
        let rows = namespace::Entity::find()
            .filter(namespace::Column::Id.is_in(ids))
            .all(&self.db.conn)
            .await
            .map_err(db_err)?;
        Ok(rows
            .into_iter()
            .map(|n| {
                let account = LogAccount {
                    username: n.username,
                    email: n.email,
                    robot: n.robot,
                    organization: n.organization,
                };
                (n.id, account)
            })
            .collect())
    }
}

#[async_trait]
impl LogStore for SqlStore {
    async fn lookup_logs(
        &self,
        filter: &LogFilter,
        before: Option<LogPosition>,
        limit: u64,
    ) -> DomainResult<Vec<LogRecord>> {
        let mut q = filtered(filter);
        if let Some(pos) = before {
            // `(datetime, id) < (d, i)` spelled out, which both databases turn into one
            // range of the `(…, datetime DESC, id DESC)` indexes.
            q = q.filter(
                Condition::any()
                    .add(log_entry::Column::Datetime.lt(pos.datetime))
                    .add(
                        Condition::all()
                            .add(log_entry::Column::Datetime.eq(pos.datetime))
                            .add(log_entry::Column::Id.lt(pos.id)),
                    ),
            );
        }
        let rows = q
            .order_by_desc(log_entry::Column::Datetime)
            .order_by_desc(log_entry::Column::Id)
            .limit(limit)
            .all(&self.db.conn)
            .await
            .map_err(db_err)?;
        let mut ids: Vec<i64> = rows
            .iter()
            .flat_map(|r| [r.performer_id, r.account_id])
            .flatten()
            .collect();
        ids.sort_unstable();
        ids.dedup();
        let accounts = self.accounts(ids).await?;
        let lookup = |id: Option<i64>| id.and_then(|id| accounts.get(&id).cloned());
        Ok(rows
            .into_iter()
            .map(|m| LogRecord {
                performer: lookup(m.performer_id),
                account: lookup(m.account_id),
                entry: to_domain(m),
            })
            .collect())
    }

    async fn aggregate_logs(&self, filter: &LogFilter) -> DomainResult<Vec<KindCount>> {
        let day = match self.db.backend() {
            DbBackend::Postgres => "to_char(datetime AT TIME ZONE 'UTC', 'YYYY-MM-DD')",
            _ => "substr(datetime, 1, 10)",
        };
        let mut sql = format!(
            "SELECT kind, {day} AS day, COUNT(*) AS count FROM log_entry \
             WHERE datetime >= ? AND datetime < ?"
        );
        let mut values: Vec<Value> = vec![filter.start.into(), filter.end.into()];
        match filter.scope {
            LogScope::Namespace(id) => {
                sql.push_str(" AND account_id = ?");
                values.push(id.into());
            }
            LogScope::Repository(id) => {
                sql.push_str(" AND repository_id = ?");
                values.push(id.into());
            }
            LogScope::All => {}
        }
        if let Some(id) = filter.performer_id {
            sql.push_str(" AND performer_id = ?");
            values.push(id.into());
        }
        if !filter.ignore_kinds.is_empty() {
            let marks = vec!["?"; filter.ignore_kinds.len()].join(", ");
            sql.push_str(&format!(" AND kind NOT IN ({marks})"));
            values.extend(filter.ignore_kinds.iter().map(|k| k.as_str().into()));
        }
        sql.push_str(&format!(" GROUP BY kind, {day} ORDER BY day, kind"));
        let rows: Vec<DayCount> = query_all(&self.db, &self.db.conn, &sql, values).await?;
        rows.into_iter()
            .map(|r| {
                let day = NaiveDate::parse_from_str(&r.day, "%Y-%m-%d")
                    .map_err(|e| DomainError::internal(format!("log day {}: {e}", r.day)))?;
                Ok(KindCount {
                    kind: r.kind,
                    day,
                    count: r.count,
                })
            })
            .collect()
    }

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
