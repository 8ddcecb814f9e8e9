//! SeaORM persistence: the one place that knows SQL.
//!
//! [`Database`] connects to SQLite (the embedded default: WAL, foreign keys on) or
//! PostgreSQL and applies the migrations. [`SqlStore`] implements every domain store trait
//! (`OAuthTokenStore`, `AppTokenStore`, `CredentialStore`, `RepoStore`, `NamespaceStore`,
//! `LogStore`) on it. Invariants:
//! - every change and its audit log entry are written in one transaction;
//! - hot-path reads (token lookup, repository access with the caller's role) are one
//!   query each;
//! - on SQLite, writers are serialized in-process (readers are not): SQLite allows one
//!   writer at a time and would otherwise fail concurrent transactions with `BUSY`.
//!
//! With the `testing` feature, [`testing`] hands each test its own fresh database.

mod apptokens;
mod auth;
mod autoprune;
mod blobs;
mod credentials;
mod digest_lock;
pub mod entity;
mod gc;
mod labels;
mod logs;
mod manifests;
mod messages;
mod notify;
mod orgs;
mod permissions;
mod repos;
mod robots;
mod search;
mod servicekeys;
mod tags;
mod teams;
#[cfg(feature = "testing")]
pub mod testing;

use std::sync::Arc;
use std::time::Duration;

use migration::{Migrator, MigratorTrait};
use quay_core::DomainError;
use sea_orm::sea_query::Value;
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{
    ConnectOptions, ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr,
    SqlErr, Statement, TransactionTrait,
};
use tokio::sync::{Mutex, MutexGuard};

/// A connected database.
#[derive(Clone)]
pub struct Database {
    conn: DatabaseConnection,
    /// Serializes writers on SQLite; `None` on PostgreSQL.
    write_lock: Option<Arc<Mutex<()>>>,
    /// Serializes a blob's commits and its collection within this process (SQLite);
    /// PostgreSQL uses advisory locks, which hold across replicas.
    digest_locks: Arc<digest_lock::DigestLocks>,
}

impl Database {
    /// Connects to `url`: `sqlite://<path>` (created if missing) or
    /// `postgres[ql]://...`.
    pub async fn connect(url: &str) -> Result<Database, DbErr> {
        let is_sqlite = url.starts_with("sqlite:");
        let url = if url.starts_with("postgresql://") {
            url.replacen("postgresql://", "postgres://", 1)
        } else {
            url.to_string()
        };
        let mut opts = ConnectOptions::new(url);
        opts.sqlx_logging(false)
            .connect_timeout(Duration::from_secs(10))
            .acquire_timeout(Duration::from_secs(30));
        if is_sqlite {
            // A connection to a local file cannot go stale: no ping (a round trip to
            // the connection's thread) before every query.
            opts.max_connections(8)
                .min_connections(1)
                .test_before_acquire(false);
            opts.map_sqlx_sqlite_opts(|o| {
                o.create_if_missing(true)
                    .journal_mode(SqliteJournalMode::Wal)
                    .synchronous(SqliteSynchronous::Normal)
                    .foreign_keys(true)
                    .busy_timeout(Duration::from_secs(30))
            });
        } else {
            opts.max_connections(16).min_connections(1);
        }
        let conn = sea_orm::Database::connect(opts).await?;
        Ok(Database {
            conn,
            write_lock: is_sqlite.then(|| Arc::new(Mutex::new(()))),
            digest_locks: Arc::new(digest_lock::DigestLocks::new()),
        })
    }

    /// Applies pending migrations.
    pub async fn migrate(&self) -> Result<(), DbErr> {
        Migrator::up(&self.conn, None).await
    }

    /// Rolls every migration back (dropping tables in dependency order, which SQLite's
    /// foreign keys need) and applies them again: an empty database.
    pub async fn reset(&self) -> Result<(), DbErr> {
        Migrator::reset(&self.conn).await?;
        Migrator::up(&self.conn, None).await
    }

    /// Names of migrations not applied yet.
    pub async fn pending_migrations(&self) -> Result<Vec<String>, DbErr> {
        Ok(Migrator::get_pending_migrations(&self.conn)
            .await?
            .iter()
            .map(|m| m.name().to_string())
            .collect())
    }

    /// A round trip to the database (health checks).
    pub async fn ping(&self) -> Result<(), DbErr> {
        self.conn.ping().await
    }

    pub fn backend(&self) -> DbBackend {
        self.conn.get_database_backend()
    }

    pub fn connection(&self) -> &DatabaseConnection {
        &self.conn
    }

    /// Starts a write transaction (holding the SQLite writer lock for its duration).
    async fn begin_write(&self) -> Result<WriteTxn<'_>, DomainError> {
        let guard = match &self.write_lock {
            Some(lock) => Some(lock.lock().await),
            None => None,
        };
        let txn = self.conn.begin().await.map_err(db_err)?;
        Ok(WriteTxn { txn, _guard: guard })
    }

    /// The row-lock clause that keeps rows a write is about to reference from being
    /// collected under it: ` FOR SHARE [OF table]` on PostgreSQL; nothing on SQLite,
    /// whose writers (collection included) run one at a time.
    pub(crate) fn share_lock(&self, of: Option<&str>) -> String {
        match (self.backend(), of) {
            (DbBackend::Postgres, Some(table)) => format!(" FOR SHARE OF {table}"),
            (DbBackend::Postgres, None) => " FOR SHARE".into(),
            _ => String::new(),
        }
    }

    /// A statement with `?` placeholders, rewritten to `$n` for PostgreSQL.
    pub(crate) fn stmt(&self, sql: &str, values: Vec<Value>) -> Statement {
        stmt(self.backend(), sql, values)
    }
}

struct WriteTxn<'a> {
    txn: DatabaseTransaction,
    _guard: Option<MutexGuard<'a, ()>>,
}

impl WriteTxn<'_> {
    async fn commit(self) -> Result<(), DomainError> {
        self.txn.commit().await.map_err(db_err)
    }
}

impl std::ops::Deref for WriteTxn<'_> {
    type Target = DatabaseTransaction;
    fn deref(&self) -> &DatabaseTransaction {
        &self.txn
    }
}

fn stmt(backend: DbBackend, sql: &str, values: Vec<Value>) -> Statement {
    let sql = if backend == DbBackend::Postgres {
        let mut out = String::with_capacity(sql.len() + 8);
        let mut n = 0;
        for c in sql.chars() {
            if c == '?' {
                n += 1;
                out.push('$');
                out.push_str(&n.to_string());
            } else {
                out.push(c);
            }
        }
        out
    } else {
        sql.to_string()
    };
    Statement::from_sql_and_values(backend, sql, values)
}

/// Maps a database error: uniqueness violations are the caller's problem (`Conflict`),
/// anything else is ours (`Internal`, logged, never shown).
fn db_err(err: DbErr) -> DomainError {
    if let Some(SqlErr::UniqueConstraintViolation(msg)) = err.sql_err() {
        return DomainError::Conflict(msg);
    }
    tracing::error!(error = %err, "database error");
    DomainError::Internal(err.to_string())
}

/// Runs `sql` (with `?` placeholders) on `conn` and decodes every row as `T`.
async fn query_all<T: sea_orm::FromQueryResult>(
    db: &Database,
    conn: &impl ConnectionTrait,
    sql: &str,
    values: Vec<Value>,
) -> Result<Vec<T>, DomainError> {
    let rows = conn.query_all(db.stmt(sql, values)).await.map_err(db_err)?;
    rows.iter()
        .map(|row| T::from_query_result(row, "").map_err(db_err))
        .collect()
}

/// Runs `sql` (with `?` placeholders) on `conn`; returns how many rows it touched.
async fn execute(
    db: &Database,
    conn: &impl ConnectionTrait,
    sql: &str,
    values: Vec<Value>,
) -> Result<u64, DomainError> {
    Ok(conn
        .execute(db.stmt(sql, values))
        .await
        .map_err(db_err)?
        .rows_affected())
}

/// Runs `statements` in order on `conn`: on SQLite as one multi-statement call (one trip
/// to the connection's worker thread instead of one each, which is most of a small
/// statement's cost), on PostgreSQL one by one (its prepared statements hold one command
/// each). Returns the rows affected by all of them.
async fn execute_all(
    db: &Database,
    conn: &impl ConnectionTrait,
    statements: Vec<(&str, Vec<Value>)>,
) -> Result<u64, DomainError> {
    if db.backend() != DbBackend::Sqlite {
        let mut affected = 0;
        for (sql, values) in statements {
            affected += execute(db, conn, sql, values).await?;
        }
        return Ok(affected);
    }
    let mut sql = String::new();
    let mut all = Vec::new();
    for (statement, values) in statements {
        sql.push_str(statement);
        sql.push_str(";\n");
        all.extend(values);
    }
    execute(db, conn, &sql, all).await
}

/// Whether any user exists (for the server's first-start hint).
pub async fn has_users(db: &Database) -> Result<bool, DbErr> {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let any = entity::namespace::Entity::find()
        .filter(entity::namespace::Column::Organization.eq(false))
        .one(&db.conn)
        .await?;
    Ok(any.is_some())
}

/// Implements every domain store trait on one [`Database`].
#[derive(Clone)]
pub struct SqlStore {
    db: Database,
}

impl SqlStore {
    pub fn new(db: Database) -> Self {
        Self { db }
    }

    pub fn database(&self) -> &Database {
        &self.db
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_numbered_for_postgres() {
        let s = stmt(DbBackend::Postgres, "a = ? AND b IN (?, ?)", vec![]);
        assert_eq!(s.sql, "a = $1 AND b IN ($2, $3)");
        let s = stmt(DbBackend::Sqlite, "a = ?", vec![]);
        assert_eq!(s.sql, "a = ?");
    }
}
