//! Usage logs (`endpoints/api/logs.py`, the superuser panel's `SuperUserLogs` and
//! `SuperUserAggregateLogs`): a page of a namespace's, a repository's or the whole
//! registry's audit entries, and their counts per kind and day.
//!
//! The window is Quay's `_validate_logs_arguments`: `starttime`/`endtime` are
//! `%m/%d/%Y` days in UTC; the end is inclusive of its whole day; an unparseable date
//! counts as not given (start: a day before now; end: now, plus that day).

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Duration, NaiveDate, NaiveTime, Utc};
use quay_auth::{Authorizer, NamespaceGrant};
use quay_core::config::Config;
use quay_core::names::RepositoryName;
use quay_core::role::Role;
use quay_core::{Caller, DomainError, DomainResult};
use quay_logs::{
    KindCount, LogFilter, LogKind, LogPosition, LogRecord, LogScope, LogStore, LogWriter,
    NewLogEntry,
};
use serde_json::json;

use crate::{RepoStore, Repositories};

/// Entries per page, as Quay's table logs model.
pub const LOGS_PER_PAGE: u64 = 20;

/// Quay's `SERVICE_LEVEL_LOG_KINDS`: hidden from a user's own logs.
const SERVICE_LEVEL_KINDS: &[LogKind] = &[
    LogKind::ServiceKeyCreate,
    LogKind::ServiceKeyApprove,
    LogKind::ServiceKeyDelete,
    LogKind::ServiceKeyModify,
    LogKind::ServiceKeyExtend,
    LogKind::ServiceKeyRotate,
];

/// Quay refuses aggregates over four weeks or more.
const MAX_AGGREGATE_DAYS: i64 = 28;

/// Whose logs a call is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LogTarget {
    /// `/user/...`: the caller's own namespace.
    CurrentUser,
    Organization(String),
    Repository(RepositoryName),
    /// `/superuser/...`: everything.
    System,
}

/// The query arguments as given.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LogsQuery {
    pub starttime: Option<String>,
    pub endtime: Option<String>,
    pub performer: Option<String>,
}

/// A page of entries with the window it covers.
#[derive(Debug, Clone, PartialEq)]
pub struct LogsPage {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub logs: Vec<LogRecord>,
    /// Where the next page starts, when there is one.
    pub next: Option<LogPosition>,
    /// Whether entries name their namespace (only when the call spans namespaces).
    pub include_namespace: bool,
}

fn parse_day(text: Option<&str>) -> Option<DateTime<Utc>> {
    let date = NaiveDate::parse_from_str(text?.trim(), "%m/%d/%Y").ok()?;
    Some(date.and_hms_opt(0, 0, 0)?.and_utc())
}

/// Quay's `_validate_logs_arguments` at `now`: `(start, end)`, the end exclusive.
pub fn logs_window(q: &LogsQuery, now: DateTime<Utc>) -> (DateTime<Utc>, DateTime<Utc>) {
    let start = parse_day(q.starttime.as_deref()).unwrap_or(now - Duration::days(1));
    let end = parse_day(q.endtime.as_deref()).unwrap_or(now) + Duration::days(1);
    (start, end)
}

/// A queued export (Quay's `exportactionlogs` queue item): the export task writes the
/// entries of `filter` and reports to the callbacks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportJob {
    pub export_id: String,
    pub namespace: String,
    pub repository: Option<String>,
    /// `%m/%d/%Y`, as Quay's queue item carries them.
    pub start_time: String,
    pub end_time: String,
    pub filter: LogFilter,
    pub callback_url: Option<String>,
    pub callback_email: Option<String>,
}

/// The usage-log endpoints.
#[async_trait]
pub trait LogService: Send + Sync {
    /// One page, continuing before `after` (a decoded `next_page`).
    async fn list_logs(
        &self,
        caller: &Caller,
        target: &LogTarget,
        query: &LogsQuery,
        after: Option<LogPosition>,
    ) -> DomainResult<LogsPage>;

    async fn aggregate_logs(
        &self,
        caller: &Caller,
        target: &LogTarget,
        query: &LogsQuery,
    ) -> DomainResult<Vec<KindCount>>;

    /// Quay's `_queue_logs_export` behind the export endpoints' checks; writes
    /// `export_logs_success` or `export_logs_failure`.
    async fn queue_export(
        &self,
        caller: &Caller,
        target: &LogTarget,
        query: &LogsQuery,
        callback_url: Option<String>,
        callback_email: Option<String>,
    ) -> DomainResult<ExportJob>;
}

/// [`LogService`] over the repository service (repository access), the repository
/// store (namespaces and standing) and the log store.
pub struct UsageLogs {
    repos: Arc<Repositories>,
    namespaces: Arc<dyn RepoStore>,
    logs: Arc<dyn LogStore>,
    writer: Arc<dyn LogWriter>,
    authz: Authorizer,
    fresh_login_timeout: i64,
    /// For the hosts a callback may go to.
    config: Arc<Config>,
}

impl UsageLogs {
    pub fn new(
        repos: Arc<Repositories>,
        namespaces: Arc<dyn RepoStore>,
        logs: Arc<dyn LogStore>,
        writer: Arc<dyn LogWriter>,
        config: &Config,
    ) -> Self {
        Self {
            repos,
            namespaces,
            logs,
            writer,
            authz: Authorizer::new(config),
            fresh_login_timeout: config.fresh_login_timeout_seconds(),
            config: Arc::new(config.clone()),
        }
    }

    /// Quay's permission checks, before existence: the user themselves
    /// (`UserAdminPermission`), organization admins, repository admins; superusers with
    /// full access too, and global read-only superusers for reads. The superuser panel
    /// needs superuser powers and a fresh login. `write` is an export.
    pub(crate) async fn scope(
        &self,
        caller: &Caller,
        target: &LogTarget,
        write: bool,
    ) -> DomainResult<(LogScope, &'static [LogKind])> {
        let reads_all = |c: &Caller| {
            !write
                && c.principal
                    .as_ref()
                    .is_some_and(|p| p.global_readonly_superuser)
        };
        match target {
            LogTarget::CurrentUser => {
                let p = self.authz.require_user_admin(caller)?;
                Ok((LogScope::Namespace(p.user_id), SERVICE_LEVEL_KINDS))
            }
            LogTarget::Organization(name) => {
                let Some(p) = &caller.principal else {
                    return Err(DomainError::unauthorized(false));
                };
                let found = self
                    .namespaces
                    .namespace_grant_by_name(name, p.user_id)
                    .await?;
                let grant = found.map_or(NamespaceGrant::None, |(_, g)| g);
                if !self.authz.is_org_admin(caller, grant) && !reads_all(caller) {
                    return Err(DomainError::Forbidden);
                }
                let (ns, _) = found.ok_or(DomainError::NotFound)?;
                Ok((LogScope::Namespace(ns.id), &[]))
            }
            LogTarget::Repository(name) => {
                let repo = match self.repos.authorized(caller, name, Role::Admin).await {
                    Err(DomainError::Forbidden) if reads_all(caller) => {
                        self.repos.authorized(caller, name, Role::Read).await?.0
                    }
                    other => other?.0,
                };
                Ok((LogScope::Repository(repo.id), &[]))
            }
            LogTarget::System => {
                self.authz.require_fresh_login(
                    caller,
                    Utc::now().timestamp(),
                    self.fresh_login_timeout,
                )?;
                match &caller.principal {
                    Some(p) if p.superuser || p.global_readonly_superuser => {
                        Ok((LogScope::All, &[]))
                    }
                    _ => Err(DomainError::unauthorized(caller.is_authenticated())),
                }
            }
        }
    }

    /// The performer filter's user id; `Ok(None)` when no user has the name (nothing
    /// can match).
    async fn performer(&self, caller: &Caller, name: &str) -> DomainResult<Option<i64>> {
        let viewer = caller.user_id().unwrap_or(0);
        Ok(self
            .namespaces
            .namespace_grant_by_name(name, viewer)
            .await?
            .filter(|(ns, _)| !ns.is_org)
            .map(|(ns, _)| ns.id))
    }

    async fn filter(
        &self,
        caller: &Caller,
        target: &LogTarget,
        query: &LogsQuery,
        (start, end): (DateTime<Utc>, DateTime<Utc>),
    ) -> DomainResult<Option<LogFilter>> {
        let (scope, ignore_kinds) = self.scope(caller, target, false).await?;
        // Only the user and organization endpoints take a performer.
        let performer = match (target, query.performer.as_deref()) {
            (LogTarget::CurrentUser | LogTarget::Organization(_), Some(name))
                if !name.is_empty() =>
            {
                match self.performer(caller, name).await? {
                    Some(id) => Some(id),
                    None => return Ok(None),
                }
            }
            _ => None,
        };
        Ok(Some(LogFilter {
            scope,
            performer_id: performer,
            start,
            end,
            ignore_kinds,
        }))
    }
}

#[async_trait]
impl LogService for UsageLogs {
    async fn list_logs(
        &self,
        caller: &Caller,
        target: &LogTarget,
        query: &LogsQuery,
        after: Option<LogPosition>,
    ) -> DomainResult<LogsPage> {
        let (start, end) = logs_window(query, Utc::now());
        let filter = self.filter(caller, target, query, (start, end)).await?;
        // The superuser panel does not check the window (an inverted one is empty).
        if end < start && *target != LogTarget::System {
            return Err(DomainError::rejected(BAD_REQUEST));
        }
        let mut page = LogsPage {
            start,
            end,
            logs: Vec::new(),
            next: None,
            include_namespace: *target == LogTarget::System,
        };
        let Some(filter) = filter else {
            return Ok(page);
        };
        let mut logs = self
            .logs
            .lookup_logs(&filter, after, LOGS_PER_PAGE + 1)
            .await?;
        if logs.len() as u64 > LOGS_PER_PAGE {
            logs.truncate(LOGS_PER_PAGE as usize);
            page.next = logs.last().map(|r| LogPosition {
                datetime: r.entry.datetime,
                id: r.entry.id,
            });
        }
        page.logs = logs;
        Ok(page)
    }

    async fn aggregate_logs(
        &self,
        caller: &Caller,
        target: &LogTarget,
        query: &LogsQuery,
    ) -> DomainResult<Vec<KindCount>> {
        let (start, end) = logs_window(query, Utc::now());
        let filter = self.filter(caller, target, query, (start, end)).await?;
        // The panel's aggregates are for superusers only (no global read-only reading).
        let superuser = caller.principal.as_ref().is_some_and(|p| p.superuser);
        if *target == LogTarget::System && !superuser {
            return Err(DomainError::unauthorized(caller.is_authenticated()));
        }
        if end < start && *target != LogTarget::System {
            return Err(DomainError::rejected(BAD_REQUEST));
        }
        if end - start >= Duration::days(MAX_AGGREGATE_DAYS) {
            return Err(DomainError::rejected("Invalid date range for logs"));
        }
        match filter {
            Some(filter) if start < end => self.logs.aggregate_logs(&filter).await,
            _ => Ok(Vec::new()),
        }
    }

    async fn queue_export(
        &self,
        caller: &Caller,
        target: &LogTarget,
        query: &LogsQuery,
        callback_url: Option<String>,
        callback_email: Option<String>,
    ) -> DomainResult<ExportJob> {
        let scope = self.scope(caller, target, true).await;
        if matches!(scope, Err(DomainError::Unauthenticated(_))) {
            return Err(scope.err().unwrap_or(DomainError::Forbidden));
        }
        let (namespace, namespace_id, repository) = self.export_subject(caller, target).await?;
        let namespace_id = match namespace_id {
            Some(id) => Some(id),
            None => self
                .namespaces
                .namespace_grant_by_name(&namespace, caller.user_id().unwrap_or(0))
                .await?
                .map(|(ns, _)| ns.id),
        };
        let with_repo = |mut metadata: serde_json::Value| {
            if let Some(repo) = &repository {
                metadata["repo"] = json!(repo);
            }
            metadata
        };
        let (url, email) = (
            callback_url.clone().filter(|s| !s.is_empty()),
            callback_email.clone().filter(|s| !s.is_empty()),
        );
        let failure = |error: &str| with_repo(json!({"error": error, "url": url, "email": email}));
        let scope = match scope {
            Ok((scope, _)) => scope,
            Err(DomainError::NotFound) if repository.is_some() => {
                let meta = failure("non-existent repository");
                self.log_export(caller, namespace_id, LogKind::ExportLogsFailure, meta)
                    .await?;
                return Err(DomainError::NotFound);
            }
            Err(DomainError::NotFound) => {
                let msg = "Invalid export request";
                self.log_export(
                    caller,
                    namespace_id,
                    LogKind::ExportLogsFailure,
                    failure(msg),
                )
                .await?;
                return Err(DomainError::rejected(msg));
            }
            Err(DomainError::Forbidden) if matches!(target, LogTarget::Organization(_)) => {
                let meta = failure("unauthorized");
                self.log_export(caller, namespace_id, LogKind::ExportLogsFailure, meta)
                    .await?;
                return Err(DomainError::Forbidden);
            }
            Err(e) => return Err(e),
        };
        let (start, end) = logs_window(query, Utc::now());
        // Quay checks only the scheme; the host is checked too, so that an export
        // cannot make the server call itself or a blacklisted host (as webhooks).
        let callback_refused = |u: &str| {
            let host_allowed = url::Url::parse(u)
                .ok()
                .and_then(|p| p.host_str().map(|h| self.config.outbound_host_allowed(h)))
                .unwrap_or(false);
            !(u.starts_with("https://") || u.starts_with("http://")) || !host_allowed
        };
        let invalid = if url.as_deref().is_some_and(callback_refused) {
            Some("Invalid callback URL")
        } else if email.as_deref().is_some_and(|e| !e.contains('@')) {
            Some("Invalid callback e-mail")
        } else if end < start {
            Some("Invalid time span selected")
        } else {
            None
        };
        if let Some(msg) = invalid {
            self.log_export(
                caller,
                namespace_id,
                LogKind::ExportLogsFailure,
                failure(msg),
            )
            .await?;
            return Err(DomainError::rejected(msg));
        }
        let export_id = uuid::Uuid::new_v4().to_string();
        let meta = with_repo(json!({"export_id": export_id, "url": url, "email": email}));
        let mut log = NewLogEntry::new(LogKind::ExportLogsSuccess, caller, namespace_id, meta);
        if let LogScope::Repository(id) = scope {
            log = log.with_repository(id);
        }
        self.writer.write_log(log).await?;
        Ok(ExportJob {
            export_id,
            namespace,
            repository,
            start_time: start.format("%m/%d/%Y").to_string(),
            end_time: end.format("%m/%d/%Y").to_string(),
            // Quay's worker reads the queued days back and adds the end's whole day.
            filter: LogFilter {
                scope,
                performer_id: None,
                start: start.date_naive().and_time(NaiveTime::MIN).and_utc(),
                end: end.date_naive().and_time(NaiveTime::MIN).and_utc() + Duration::days(1),
                ignore_kinds: &[],
            },
            callback_url: url,
            callback_email: email,
        })
    }
}

impl UsageLogs {
    /// The namespace an export is about, by name and id, and the repository's name.
    async fn export_subject(
        &self,
        caller: &Caller,
        target: &LogTarget,
    ) -> DomainResult<(String, Option<i64>, Option<String>)> {
        Ok(match target {
            LogTarget::CurrentUser => {
                let p = self.authz.require_user_admin(caller)?;
                (p.username.clone(), Some(p.user_id), None)
            }
            LogTarget::Organization(name) => {
                let viewer = caller.user_id().unwrap_or(0);
                let id = self
                    .namespaces
                    .namespace_grant_by_name(name, viewer)
                    .await?
                    .map(|(ns, _)| ns.id);
                (name.clone(), id, None)
            }
            LogTarget::Repository(name) => (name.namespace.clone(), None, Some(name.name.clone())),
            LogTarget::System => return Err(DomainError::NotFound),
        })
    }

    async fn log_export(
        &self,
        caller: &Caller,
        account: Option<i64>,
        kind: LogKind,
        metadata: serde_json::Value,
    ) -> DomainResult<()> {
        self.writer
            .write_log(NewLogEntry::new(kind, caller, account, metadata))
            .await
    }
}

/// Werkzeug's description of a bare `abort(400)`, which Quay answers an inverted window
/// with.
pub const BAD_REQUEST: &str =
    "The browser (or proxy) sent a request that this server could not understand.";

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn window_is_quays() {
        let now = Utc.with_ymd_and_hms(2026, 12, 3, 11, 30, 0).unwrap();
        let q = |s: Option<&str>, e: Option<&str>| LogsQuery {
            starttime: s.map(String::from),
            endtime: e.map(String::from),
            performer: None,
        };
        let (s, e) = logs_window(&q(None, None), now);
        assert_eq!(s, Utc.with_ymd_and_hms(2026, 12, 2, 11, 30, 0).unwrap());
        assert_eq!(e, Utc.with_ymd_and_hms(2026, 12, 4, 11, 30, 0).unwrap());
        let (s, e) = logs_window(&q(Some("11/30/2026"), Some("12/1/2026")), now);
        assert_eq!(s, Utc.with_ymd_and_hms(2026, 11, 30, 0, 0, 0).unwrap());
        assert_eq!(e, Utc.with_ymd_and_hms(2026, 12, 2, 0, 0, 0).unwrap());
        let (s, _) = logs_window(&q(Some("2026-11-30"), None), now);
        assert_eq!(s, Utc.with_ymd_and_hms(2026, 12, 2, 11, 30, 0).unwrap());
    }
}
