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
//!   writer at a time and would otherwise fail concurrent transactions with `BUSY`. A
//!   single statement or a small transaction of writes only is one call to a connection
//!   of the writers' own (`Database::write_one`, `Database::write_batch`).
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

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use migration::{Migrator, MigratorTrait};
use quay_core::DomainError;
use sea_orm::sea_query::Value;
use sea_orm::sqlx::sqlite::{
    SqliteConnectOptions, SqliteConnection, SqliteJournalMode, SqliteSynchronous,
};
use sea_orm::sqlx::ConnectOptions as _;
use sea_orm::{
    ConnectOptions, ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr,
    SqlErr, Statement, TransactionTrait,
};
use sea_query_binder::SqlxValues;
use tokio::sync::{Mutex, MutexGuard};

/// A connected database.
#[derive(Clone)]
pub struct Database {
    conn: DatabaseConnection,
    /// SQLite's writers; `None` on PostgreSQL.
    writer: Option<Arc<Writer>>,
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
        if !is_sqlite {
            let mut opts = connect_options(&url);
            opts.max_connections(16).min_connections(1);
            return Ok(Database {
                conn: sea_orm::Database::connect(opts).await?,
                writer: None,
                digest_locks: Arc::new(digest_lock::DigestLocks::new()),
            });
        }
        let conn = sea_orm::Database::connect(sqlite_options(&url, 8)).await?;
        let writer = Writer::connect(&url).await?;
        Ok(Database {
            conn,
            writer: Some(Arc::new(writer)),
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

    /// Starts a write transaction (on SQLite holding the writer for its duration).
    async fn begin_write(&self) -> Result<WriteTxn<'_>, DomainError> {
        let guard = match &self.writer {
            Some(writer) => Some(writer.hold().await),
            None => None,
        };
        let txn = self.conn.begin().await.map_err(db_err)?;
        Ok(WriteTxn { txn, _guard: guard })
    }

    /// Runs one write statement (atomic on its own) and returns the rows it changed: on
    /// SQLite one call to the writer connection, on PostgreSQL one round trip.
    async fn write_one(&self, sql: &str, values: Vec<Value>) -> Result<u64, DomainError> {
        let Some(writer) = &self.writer else {
            return execute(self, &self.conn, sql, values).await;
        };
        let mut held = writer.hold().await;
        held.run(sql, values).await
    }

    /// Runs `statements` in one transaction. On SQLite the whole transaction (`BEGIN
    /// IMMEDIATE`, the statements, `COMMIT`) is one call to the writer connection; on
    /// PostgreSQL, statement by statement in a transaction.
    async fn write_batch(&self, statements: Vec<(&str, Vec<Value>)>) -> Result<(), DomainError> {
        let Some(writer) = &self.writer else {
            let txn = self.conn.begin().await.map_err(db_err)?;
            execute_each(self, &txn, statements).await?;
            return txn.commit().await.map_err(db_err);
        };
        let mut sql = String::from("BEGIN IMMEDIATE;\n");
        let mut all = Vec::new();
        for (statement, values) in statements {
            sql.push_str(statement);
            sql.push_str(";\n");
            all.extend(values);
        }
        sql.push_str("COMMIT;");
        let mut held = writer.hold().await;
        // Until the call returns: a caller that goes away meanwhile leaves the
        // transaction to the next writer to roll back.
        held.left_open = true;
        let done = held.run(&sql, all).await;
        if done.is_err() {
            held.roll_back().await;
        }
        held.left_open = false;
        done.map(|_| ())
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

/// SQLite's writers, one at a time, and a connection of their own outside the pool:
/// every call to a SQLite connection is a trip to its thread and back, and on a virtual
/// machine waking that thread costs more than a few small writes, so a write of a few
/// statements is one call ([`Database::write_batch`]). Outside the pool, because
/// giving a connection back to the pool is a task of its own that the next writer
/// would wait for. Transactions begun with [`Database::begin_write`] run on the pool,
/// holding the writer all the same.
struct Writer {
    conn: Mutex<WriterConnection>,
}

struct WriterConnection {
    conn: SqliteConnection,
    /// The last [`Database::write_batch`] may have left its transaction open (its
    /// caller went away mid-call).
    left_open: bool,
}

impl Writer {
    async fn connect(url: &str) -> Result<Writer, DbErr> {
        let conn = sqlite_connect_options(url)
            .map_err(sqlx_err)?
            .connect()
            .await
            .map_err(sqlx_err)?;
        Ok(Writer {
            conn: Mutex::new(WriterConnection {
                conn,
                left_open: false,
            }),
        })
    }

    /// Waits for the writer, with no transaction of an earlier batch left open.
    async fn hold(&self) -> MutexGuard<'_, WriterConnection> {
        let mut held = self.conn.lock().await;
        if held.left_open {
            held.roll_back().await;
            held.left_open = false;
        }
        held
    }
}

/// A future that is `Send` for the caller's lifetimes: sqlx's executor futures are
/// `Send` only for each lifetime in turn, which `async_trait` methods cannot prove.
type Call<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

impl WriterConnection {
    fn run<'a>(
        &'a mut self,
        sql: &'a str,
        values: Vec<Value>,
    ) -> Call<'a, Result<u64, DomainError>> {
        Box::pin(async move {
            let values = SqlxValues(sea_orm::sea_query::Values(values));
            let done = sea_orm::sqlx::query_with(sql, values)
                .execute(&mut self.conn)
                .await;
            Ok(done.map_err(|e| db_err(sqlx_err(e)))?.rows_affected())
        })
    }

    /// Ends whatever transaction is open (none is fine: the error is expected then).
    fn roll_back(&mut self) -> Call<'_, ()> {
        Box::pin(async move {
            let _ = sea_orm::sqlx::query("ROLLBACK")
                .execute(&mut self.conn)
                .await;
        })
    }
}

fn sqlx_err(e: sea_orm::sqlx::Error) -> DbErr {
    DbErr::Exec(sea_orm::RuntimeErr::SqlxError(e))
}

/// Options common to every pool.
fn connect_options(url: &str) -> ConnectOptions {
    let mut opts = ConnectOptions::new(url.to_string());
    opts.sqlx_logging(false)
        .connect_timeout(Duration::from_secs(10))
        .acquire_timeout(Duration::from_secs(30));
    opts
}

/// A pool of at most `connections` to the SQLite file at `url`.
fn sqlite_options(url: &str, connections: u32) -> ConnectOptions {
    let mut opts = connect_options(url);
    // A connection to a local file cannot go stale: no ping (a round trip to the
    // connection's thread) before every query.
    opts.max_connections(connections)
        .min_connections(1)
        .test_before_acquire(false);
    opts.map_sqlx_sqlite_opts(sqlite_settings);
    opts
}

/// Options for one SQLite connection to the file at `url`, outside any pool.
fn sqlite_connect_options(url: &str) -> Result<SqliteConnectOptions, sea_orm::sqlx::Error> {
    Ok(sqlite_settings(url.parse::<SqliteConnectOptions>()?))
}

/// What every SQLite connection is set to.
fn sqlite_settings(o: SqliteConnectOptions) -> SqliteConnectOptions {
    o.create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .foreign_keys(true)
        .busy_timeout(Duration::from_secs(30))
}

struct WriteTxn<'a> {
    txn: DatabaseTransaction,
    _guard: Option<MutexGuard<'a, WriterConnection>>,
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

/// Runs `statements` on `conn` one after another.
async fn execute_each(
    db: &Database,
    conn: &impl ConnectionTrait,
    statements: Vec<(&str, Vec<Value>)>,
) -> Result<(), DomainError> {
    for (sql, values) in statements {
        execute(db, conn, sql, values).await?;
    }
    Ok(())
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

    #[derive(sea_orm::FromQueryResult)]
    struct Key {
        k: String,
    }

    /// A database with table `t` of unique keys.
    async fn keys_table() -> testing::TestDatabase {
        let t = testing::TestDatabase::new().await;
        t.db.conn
            .execute_unprepared("CREATE TABLE t (k TEXT PRIMARY KEY)")
            .await
            .unwrap();
        t
    }

    async fn keys(db: &Database) -> Vec<String> {
        let rows: Vec<Key> = query_all(db, &db.conn, "SELECT k FROM t ORDER BY k", vec![])
            .await
            .unwrap();
        rows.into_iter().map(|r| r.k).collect()
    }

    fn insert(k: &str) -> (&'static str, Vec<Value>) {
        ("INSERT INTO t (k) VALUES (?)", vec![k.into()])
    }

    #[tokio::test]
    async fn a_batch_commits_all_of_its_statements() {
        let t = keys_table().await;
        t.db.write_batch(vec![insert("a"), insert("b")])
            .await
            .unwrap();
        assert_eq!(keys(&t.db).await, ["a", "b"]);
        let changed =
            t.db.write_one("DELETE FROM t WHERE k = ?", vec!["a".into()])
                .await
                .unwrap();
        assert_eq!(changed, 1);
        assert_eq!(keys(&t.db).await, ["b"]);
    }

    #[tokio::test]
    async fn a_failing_batch_leaves_nothing_and_the_next_one_commits() {
        let t = keys_table().await;
        t.db.write_batch(vec![insert("a")]).await.unwrap();
        let failed = t.db.write_batch(vec![insert("b"), insert("a")]).await;
        assert!(
            matches!(failed, Err(DomainError::Conflict(_))),
            "{failed:?}"
        );
        assert_eq!(keys(&t.db).await, ["a"]);
        t.db.write_batch(vec![insert("c")]).await.unwrap();
        assert_eq!(keys(&t.db).await, ["a", "c"]);
    }

    #[tokio::test]
    async fn a_transaction_left_open_by_a_caller_that_went_away_is_rolled_back() {
        let t = keys_table().await;
        let Some(writer) = &t.db.writer else {
            return println!("skipped: PostgreSQL has no writer connection");
        };
        // What a batch whose caller was dropped mid-call leaves: its transaction open.
        {
            let mut held = writer.conn.lock().await;
            held.left_open = true;
            held.run(
                "BEGIN IMMEDIATE; INSERT INTO t (k) VALUES ('dangling')",
                vec![],
            )
            .await
            .unwrap();
        }
        t.db.write_one("INSERT INTO t (k) VALUES (?)", vec!["next".into()])
            .await
            .unwrap();
        assert_eq!(keys(&t.db).await, ["next"]);
    }
}
