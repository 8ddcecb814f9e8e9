//! SQLite connections used on the caller's own thread, beside sqlx's pool.
//!
//! Every call to a sqlx SQLite connection is a trip to that connection's thread and back;
//! on a virtual machine waking an idle thread costs more than a small statement (a
//! blob's link, an upload's row), so the hot statements run here instead, on
//! connections of our own to the same file. Only statements that touch a few rows
//! belong here: the caller's thread (an actix worker) waits for them.
//!
//! Values are bound as sqlx binds them (timestamps as RFC 3339 text, booleans as
//! integers), so rows written here read back through sea-orm unchanged.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::mpsc::{sync_channel, SyncSender};
use std::time::Duration;

use chrono::SecondsFormat;
use quay_core::DomainError;
use rusqlite::types::Value as Sqlite;
use rusqlite::{Connection, OpenFlags};
use sea_orm::sea_query::Value;

/// Opens a connection to the SQLite file at `path` with the pool's settings.
pub(crate) fn open(path: &Path) -> Result<Connection, DomainError> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(sqlite_err)?;
    conn.busy_timeout(Duration::from_secs(30))
        .map_err(sqlite_err)?;
    conn.execute_batch("PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;")
        .map_err(sqlite_err)?;
    Ok(conn)
}

/// Opens the writer connection: one that never checkpoints the write-ahead log itself.
///
/// With SQLite's default every commit that takes the log past 1000 pages copies it
/// into the database and syncs both files before it returns: a few ms, on a virtual
/// disk at times much more, on the thread of whichever request committed last (one
/// push in a hundred or so). [`Checkpointer`] does that work on a thread of its own.
pub(crate) fn open_writer(path: &Path) -> Result<Connection, DomainError> {
    let conn = open(path)?;
    conn.execute_batch("PRAGMA wal_autocheckpoint = 0;")
        .map_err(sqlite_err)?;
    Ok(conn)
}

/// Commits on the writer between two checkpoints: about half the log SQLite's own
/// checkpoints would let grow (at most a few pages per commit).
pub(crate) const COMMITS_PER_CHECKPOINT: u32 = 64;

/// Checkpoints the write-ahead log of the writer's commits, on a thread of its own.
///
/// A `PASSIVE` checkpoint takes no writer lock, so commits go on while it copies and
/// syncs; the log is rewound by the first commit after a checkpoint that reached its
/// end. The thread ends when this is dropped.
pub(crate) struct Checkpointer {
    commits: AtomicU32,
    wake: SyncSender<()>,
}

impl Checkpointer {
    /// Starts the checkpointing thread, with a connection of its own to `path`.
    pub(crate) fn start(path: &Path) -> Result<Checkpointer, DomainError> {
        let conn = open(path)?;
        let (wake, woken) = sync_channel::<()>(1);
        std::thread::Builder::new()
            .name("sqlite-checkpoint".into())
            .spawn(move || {
                while woken.recv().is_ok() {
                    let done = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()));
                    if let Err(e) = done {
                        tracing::warn!(error = %e, "checkpointing SQLite's log failed");
                    }
                }
            })
            .map_err(|e| DomainError::Internal(format!("starting the checkpoint thread: {e}")))?;
        Ok(Checkpointer {
            commits: AtomicU32::new(0),
            wake,
        })
    }

    /// Counts a commit on the writer; every [`COMMITS_PER_CHECKPOINT`]th wakes the
    /// thread (unless it has a wake-up pending already).
    pub(crate) fn committed(&self) {
        let n = self.commits.fetch_add(1, Ordering::Relaxed) + 1;
        if n % COMMITS_PER_CHECKPOINT == 0 {
            let _ = self.wake.try_send(());
        }
    }
}

/// Runs one statement with `?` placeholders; returns the rows it changed.
pub(crate) fn execute(conn: &Connection, sql: &str, values: &[Value]) -> Result<u64, DomainError> {
    let values = bind(values)?;
    let mut statement = conn.prepare_cached(sql).map_err(sqlite_err)?;
    let changed = statement
        .execute(rusqlite::params_from_iter(values))
        .map_err(sqlite_err)?;
    Ok(changed as u64)
}

/// Runs `statements` in one transaction (`BEGIN IMMEDIATE`), rolled back if any fails.
pub(crate) fn execute_batch(
    conn: &Connection,
    statements: &[(&str, Vec<Value>)],
) -> Result<(), DomainError> {
    conn.execute_batch("BEGIN IMMEDIATE").map_err(sqlite_err)?;
    let done = statements
        .iter()
        .try_for_each(|(sql, values)| execute(conn, sql, values).map(drop))
        .and_then(|()| conn.execute_batch("COMMIT").map_err(sqlite_err));
    if done.is_err() {
        // Nothing to roll back if COMMIT itself ended the transaction.
        let _ = conn.execute_batch("ROLLBACK");
    }
    done
}

/// Connections for reads, one per thread using one at the moment.
pub(crate) struct Readers {
    path: PathBuf,
    idle: std::sync::Mutex<Vec<Connection>>,
}

impl Readers {
    pub(crate) fn new(path: PathBuf) -> Readers {
        Readers {
            path,
            idle: std::sync::Mutex::new(Vec::new()),
        }
    }

    /// Runs `read` on an idle connection (a new one if none is).
    pub(crate) fn with<T>(
        &self,
        read: impl FnOnce(&Connection) -> rusqlite::Result<T>,
    ) -> Result<T, DomainError> {
        let idle = self.idle.lock().unwrap_or_else(|e| e.into_inner()).pop();
        let conn = match idle {
            Some(conn) => conn,
            None => open(&self.path)?,
        };
        let done = read(&conn).map_err(sqlite_err);
        self.idle
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(conn);
        done
    }
}

/// `values` as sqlx-sqlite encodes them.
fn bind(values: &[Value]) -> Result<Vec<Sqlite>, DomainError> {
    values.iter().map(bind_one).collect()
}

fn bind_one(value: &Value) -> Result<Sqlite, DomainError> {
    fn int(v: Option<impl Into<i64>>) -> Sqlite {
        v.map_or(Sqlite::Null, |v| Sqlite::Integer(v.into()))
    }
    fn text<T>(v: &Option<T>, f: impl FnOnce(&T) -> String) -> Sqlite {
        v.as_ref().map_or(Sqlite::Null, |v| Sqlite::Text(f(v)))
    }
    Ok(match value {
        Value::Bool(v) => int(*v),
        Value::TinyInt(v) => int(*v),
        Value::SmallInt(v) => int(*v),
        Value::Int(v) => int(*v),
        Value::BigInt(v) => int(*v),
        Value::TinyUnsigned(v) => int(*v),
        Value::SmallUnsigned(v) => int(*v),
        Value::Unsigned(v) => int(*v),
        Value::BigUnsigned(v) => match v {
            None => Sqlite::Null,
            Some(v) => Sqlite::Integer(
                i64::try_from(*v)
                    .map_err(|_| DomainError::Internal(format!("{v} exceeds SQLite's integers")))?,
            ),
        },
        Value::Float(v) => v.map_or(Sqlite::Null, |v| Sqlite::Real(v.into())),
        Value::Double(v) => v.map_or(Sqlite::Null, Sqlite::Real),
        Value::String(v) => text(v, |s| s.to_string()),
        Value::Char(v) => text(v, |c| c.to_string()),
        Value::Bytes(v) => v
            .as_ref()
            .map_or(Sqlite::Null, |b| Sqlite::Blob(b.to_vec())),
        Value::Json(v) => text(v, |j| j.to_string()),
        Value::ChronoDate(v) => text(v, |d| d.format("%F").to_string()),
        Value::ChronoTime(v) => text(v, |t| t.format("%T%.f").to_string()),
        Value::ChronoDateTime(v) => text(v, |t| t.format("%F %T%.f").to_string()),
        Value::ChronoDateTimeUtc(v) => text(v, |t| t.to_rfc3339_opts(SecondsFormat::AutoSi, false)),
        Value::ChronoDateTimeLocal(v) => {
            text(v, |t| t.to_rfc3339_opts(SecondsFormat::AutoSi, false))
        }
        Value::ChronoDateTimeWithTimeZone(v) => {
            text(v, |t| t.to_rfc3339_opts(SecondsFormat::AutoSi, false))
        }
        other => {
            return Err(DomainError::Internal(format!(
                "no SQLite binding for {other:?}"
            )))
        }
    })
}

/// As `db_err` for sqlx's errors: a unique key's violation is a conflict.
pub(crate) fn sqlite_err(err: rusqlite::Error) -> DomainError {
    if let rusqlite::Error::SqliteFailure(code, message) = &err {
        if matches!(
            code.extended_code,
            rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE | rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY
        ) {
            return DomainError::Conflict(message.clone().unwrap_or_else(|| err.to_string()));
        }
    }
    tracing::error!(error = %err, "database error");
    DomainError::Internal(err.to_string())
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};

    use super::*;

    #[test]
    fn binds_values_as_sqlx_does() {
        let at = Utc.with_ymd_and_hms(2026, 12, 4, 23, 1, 2).unwrap();
        let bound = bind(&[
            true.into(),
            7i32.into(),
            Value::BigUnsigned(Some(9)),
            "x".into(),
            at.into(),
            Value::String(None),
        ])
        .unwrap();
        assert_eq!(
            bound,
            vec![
                Sqlite::Integer(1),
                Sqlite::Integer(7),
                Sqlite::Integer(9),
                Sqlite::Text("x".into()),
                Sqlite::Text("2026-12-04T23:01:02+00:00".into()),
                Sqlite::Null,
            ]
        );
        assert!(bind(&[Value::BigUnsigned(Some(u64::MAX))]).is_err());
    }
}
