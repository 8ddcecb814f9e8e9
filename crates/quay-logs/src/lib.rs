//! Audit logs: Quay's log kind names and the entry every mutating action writes.
//!
//! Services build a [`NewLogEntry`] and hand it to their store together with the change,
//! so that the store writes both in one transaction: an action is never half-logged.

use chrono::{DateTime, Utc};
use quay_core::{Caller, DomainResult};
use serde_json::Value;

mod kind;
pub use kind::LogKind;

/// An audit log entry about to be written.
#[derive(Debug, Clone, PartialEq)]
pub struct NewLogEntry {
    pub kind: LogKind,
    /// The namespace (user or organization) the action happened in.
    pub account_id: Option<i64>,
    pub performer_id: Option<i64>,
    /// Filled by the store when the action creates the repository.
    pub repository_id: Option<i64>,
    pub ip: Option<String>,
    pub metadata: Value,
}

impl NewLogEntry {
    /// An entry performed by `caller` in the namespace `account_id`.
    pub fn new(kind: LogKind, caller: &Caller, account_id: Option<i64>, metadata: Value) -> Self {
        NewLogEntry {
            kind,
            account_id,
            performer_id: caller.user_id(),
            repository_id: None,
            ip: caller.ip.clone(),
            metadata,
        }
    }

    pub fn with_repository(mut self, repository_id: i64) -> Self {
        self.repository_id = Some(repository_id);
        self
    }
}

/// A stored audit log entry.
#[derive(Debug, Clone, PartialEq)]
pub struct LogEntry {
    pub id: i64,
    pub kind: String,
    pub account_id: Option<i64>,
    pub performer_id: Option<i64>,
    pub repository_id: Option<i64>,
    pub datetime: DateTime<Utc>,
    pub ip: Option<String>,
    pub metadata: Value,
}

/// Writing an entry that records no other change (logins, pulls): one transaction of
/// its own.
#[async_trait::async_trait]
pub trait LogWriter: Send + Sync {
    async fn write_log(&self, entry: NewLogEntry) -> DomainResult<()>;
}

/// Whose entries a lookup covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogScope {
    /// Everything that happened in a namespace (user or organization).
    Namespace(i64),
    Repository(i64),
    /// The whole registry (the superuser panel).
    All,
}

/// Which entries a lookup or an aggregate covers: `start <= datetime < end`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogFilter {
    pub scope: LogScope,
    pub performer_id: Option<i64>,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    /// Kinds left out (Quay hides service-key entries from a user's own logs).
    pub ignore_kinds: &'static [LogKind],
}

/// Where a page of entries (newest first) continues: before this entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LogPosition {
    pub datetime: DateTime<Utc>,
    pub id: i64,
}

/// A user, robot or organization an entry names (performer or namespace).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogAccount {
    pub username: String,
    pub email: Option<String>,
    pub robot: bool,
    pub organization: bool,
}

/// An entry with the accounts it refers to (Quay's `Log` datatype).
#[derive(Debug, Clone, PartialEq)]
pub struct LogRecord {
    pub entry: LogEntry,
    pub performer: Option<LogAccount>,
    pub account: Option<LogAccount>,
}

/// How many entries of one kind a day (UTC) has.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KindCount {
    pub kind: String,
    pub day: chrono::NaiveDate,
    pub count: i64,
}

/// Reading audit logs back.
#[async_trait::async_trait]
pub trait LogStore: Send + Sync {
    /// The newest entries of a namespace, newest first.
    async fn namespace_logs(&self, account_id: i64, limit: u64) -> DomainResult<Vec<LogEntry>>;

    /// Up to `limit` entries matching `filter`, newest first (ties by id), strictly
    /// before `before` when given.
    async fn lookup_logs(
        &self,
        filter: &LogFilter,
        before: Option<LogPosition>,
        limit: u64,
    ) -> DomainResult<Vec<LogRecord>>;

    /// Entries matching `filter` counted per kind and day, by day then kind.
    async fn aggregate_logs(&self, filter: &LogFilter) -> DomainResult<Vec<KindCount>>;
}
