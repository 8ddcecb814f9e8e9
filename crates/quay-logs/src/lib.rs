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

/// Reading audit logs back.
#[async_trait::async_trait]
pub trait LogStore: Send + Sync {
    /// The newest entries of a namespace, newest first.
    async fn namespace_logs(&self, account_id: i64, limit: u64) -> DomainResult<Vec<LogEntry>>;
}
