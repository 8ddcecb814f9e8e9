//! Usage logs (`endpoints/api/logs.py`, the superuser panel's `SuperUserLogs` and
//! `SuperUserAggregateLogs`): a page of a namespace's, a repository's or the whole
//! registry's audit entries, and their counts per kind and day.
//!
//! The window is Quay's `_validate_logs_arguments`: `starttime`/`endtime` are
//! `%m/%d/%Y` days in UTC; the end is inclusive of its whole day; an unparseable date
//! counts as not given (start: a day before now; end: now, plus that day).

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use quay_auth::{Authorizer, NamespaceGrant};
use quay_core::config::Config;
use quay_core::names::RepositoryName;
use quay_core::role::Role;
use quay_core::{Caller, DomainError, DomainResult};
use quay_logs::{KindCount, LogFilter, LogKind, LogPosition, LogRecord, LogScope, LogStore};

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
}

/// [`LogService`] over the repository service (repository access), the repository
/// store (namespaces and standing) and the log store.
pub struct UsageLogs {
    repos: Arc<Repositories>,
    namespaces: Arc<dyn RepoStore>,
    logs: Arc<dyn LogStore>,
    authz: Authorizer,
    fresh_login_timeout: i64,
}

impl UsageLogs {
    pub fn new(
        repos: Arc<Repositories>,
        namespaces: Arc<dyn RepoStore>,
        logs: Arc<dyn LogStore>,
        config: &Config,
    ) -> Self {
        Self {
            repos,
            namespaces,
            logs,
            authz: Authorizer::new(config),
            fresh_login_timeout: config.fresh_login_timeout_seconds(),
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
