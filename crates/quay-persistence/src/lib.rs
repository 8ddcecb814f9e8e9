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
//!   single statement or a small transaction of writes only (`Database::write_one`,
//!   `Database::write_batch`), and the hottest reads, run on the caller's thread on
//!   connections of our own ([`direct`]), not through the pool's threads.
//!
//! With the `testing` feature, [`testing`] hands each test its own fresh database.

mod apptokens;
mod auth;
mod autoprune;
mod blobs;
mod credentials;
mod digest_lock;
mod direct;
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
use sea_orm::sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
use sea_orm::{
    ConnectOptions, ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr,
    SqlErr, Statement, TransactionTrait,
};
use tokio::sync::{Mutex, MutexGuard};

/// A connected database.
#[derive(Clone)]
pub struct Database {
    conn: DatabaseConnection,
    /// SQLite's writers; `None` on PostgreSQL.
    writer: Option<Arc<Writer>>,
    /// Connections for SQLite's hottest reads, on the caller's thread; `None` on
    /// PostgreSQL.
    readers: Option<Arc<direct::Readers>>,
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
                readers: None,
                digest_locks: Arc::new(digest_lock::DigestLocks::new()),
            });
        }
        // The pool first: its first connection creates the file and sets it to WAL.
        let conn = sea_orm::Database::connect(sqlite_options(&url, 8)).await?;
        let path = sqlite_connect_options(&url)
            .map_err(|e| DbErr::Custom(e.to_string()))?
            .get_filename()
            .to_path_buf();
        let custom = |e: DomainError| DbErr::Custom(e.to_string());
        let writer = direct::open_writer(&path).map_err(custom)?;
        let checkpointer = direct::Checkpointer::start(&path).map_err(custom)?;
        Ok(Database {
            conn,
            writer: Some(Arc::new(Writer {
                turn: Mutex::new(()),
                conn: std::sync::Mutex::new(writer),
                checkpointer,
            })),
            readers: Some(Arc::new(direct::Readers::new(path))),
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
            Some(writer) => Some(writer.turn.lock().await),
            None => None,
        };
        let txn = self.conn.begin().await.map_err(db_err)?;
        Ok(WriteTxn { txn, _guard: guard })
    }

    /// Runs one write statement (atomic on its own) and returns the rows it changed: on
    /// SQLite on the writer connection, on the caller's thread; on PostgreSQL one round
    /// trip.
    async fn write_one(&self, sql: &str, values: Vec<Value>) -> Result<u64, DomainError> {
        let Some(writer) = &self.writer else {
            return execute(self, &self.conn, sql, values).await;
        };
        writer.run(|conn| direct::execute(conn, sql, &values)).await
    }

    /// Runs `statements` in one transaction: on SQLite on the writer connection, on the
    /// caller's thread (so no caller going away can leave it half done); on PostgreSQL,
    /// statement by statement in a transaction.
    async fn write_batch(&self, statements: Vec<(&str, Vec<Value>)>) -> Result<(), DomainError> {
        let Some(writer) = &self.writer else {
            let txn = self.conn.begin().await.map_err(db_err)?;
            execute_each(self, &txn, statements).await?;
            return txn.commit().await.map_err(db_err);
        };
        writer
            .run(|conn| direct::execute_batch(conn, &statements))
            .await
    }

    /// Runs `read` on one of SQLite's direct read connections, on the caller's thread;
    /// `None` on PostgreSQL (whose reads go through the pool).
    fn read_direct<T>(
        &self,
        read: impl FnOnce(&rusqlite::Connection) -> rusqlite::Result<T>,
    ) -> Option<Result<T, DomainError>> {
        self.readers.as_ref().map(|readers| readers.with(read))
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

/// SQLite's writers, one at a time, and a connection of their own: a statement or a
/// small transaction of them runs on it on the caller's thread ([`direct`]).
/// Transactions begun with [`Database::begin_write`] run on the pool, holding the writer
/// all the same, so no two connections ever write at once.
struct Writer {
    /// Held for a whole write, awaits included.
    turn: Mutex<()>,
    /// Locked only with `turn` held, and never across an await.
    conn: std::sync::Mutex<rusqlite::Connection>,
    checkpointer: direct::Checkpointer,
}

impl Writer {
    /// Waits for the writers' turn, then runs `write` on the writer connection.
    async fn run<T>(&self, write: impl FnOnce(&rusqlite::Connection) -> T) -> T {
        let _turn = self.turn.lock().await;
        let conn = self.conn.lock().unwrap_or_else(|e| e.into_inner());
        let written = write(&conn);
        self.checkpointer.committed();
        written
    }
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

    /// The writer's commits reach the database file (not only its log) with no commit
    /// checkpointing: fewer pages than SQLite's own checkpoint threshold (1000), over
    /// three checkpoints' worth of commits.
    #[tokio::test]
    async fn the_writers_log_is_checkpointed_in_the_background() {
        let t = testing::TestDatabase::sqlite().await;
        let path = t.url().trim_start_matches("sqlite://");
        let path = std::path::PathBuf::from(path.split('?').next().unwrap());
        t.db.write_one("CREATE TABLE big (v BLOB)", vec![])
            .await
            .unwrap();
        let before = std::fs::metadata(&path).unwrap().len();
        let commits = 3 * direct::COMMITS_PER_CHECKPOINT as usize;
        for _ in 0..commits {
            t.db.write_one("INSERT INTO big (v) VALUES (zeroblob(4096))", vec![])
                .await
                .unwrap();
        }
        // Each row fills a page of its own: two checkpoints' worth, at least.
        let grown = before + 2 * direct::COMMITS_PER_CHECKPOINT as u64 * 4096;
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while std::fs::metadata(&path).unwrap().len() < grown {
            assert!(
                std::time::Instant::now() < deadline,
                "the database file stayed at {} bytes; {grown} expected",
                std::fs::metadata(&path).unwrap().len()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
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
}
