//! Search (`endpoints/api/search.py`): [`SearchService`], implemented by [`Search`] over a
//! [`SearchStore`].
//!
//! Three questions: which repositories match a query (`/api/v1/find/repositories`),
//! which repositories, namespaces, teams and robots match it (`/api/v1/find/all`), and
//! which users, robots, teams and organizations a name prefix may mean when granting
//! something (`/api/v1/entities/{prefix}`). Every answer is permission-aware: a private
//! repository shows up only for callers who may read it (and whose token may read
//! repositories), a namespace only through a repository the caller may see, teams and
//! robots only to their members and administrators.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use quay_auth::{Authorizer, NamespaceGrant};
use quay_core::config::Config;
use quay_core::role::{RepositoryKind, Role};
use quay_core::{Caller, DomainResult};
use quay_orgs::NamespaceStore;

/// Quay's `SEARCH_RESULTS_PER_PAGE`.
pub const RESULTS_PER_PAGE: u64 = 10;
/// Quay's `SEARCH_MAX_RESULT_PAGE_COUNT`.
pub const MAX_RESULT_PAGES: u64 = 10;
/// How many of each kind `/api/v1/find/all` returns.
const ALL_LIMIT: u64 = 5;
/// How many users and teams `/api/v1/entities` returns.
const ENTITY_LIMIT: u64 = 10;

/// A repository that matched.
#[derive(Debug, Clone, PartialEq)]
pub struct RepositoryHit {
    pub namespace: NamespaceHit,
    pub name: String,
    pub description: Option<String>,
    pub public: bool,
    pub kind: RepositoryKind,
    pub last_modified: Option<DateTime<Utc>>,
    pub stars: i64,
    /// Pulls and pushes counted for the repository.
    pub popularity: i64,
}

/// A user or organization.
#[derive(Debug, Clone, PartialEq)]
pub struct NamespaceHit {
    pub name: String,
    pub organization: bool,
    pub email: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TeamHit {
    pub name: String,
    pub organization: NamespaceHit,
}

/// A user or robot for `/api/v1/entities`.
#[derive(Debug, Clone, PartialEq)]
pub struct UserHit {
    pub name: String,
    pub robot: bool,
    pub email: Option<String>,
    /// With an organization: a robot of it, or a user in one of its teams.
    pub org_member: Option<bool>,
}

/// Storage queries of search (implemented by `quay-persistence`). Name matching is
/// case-insensitive; `%` and `_` in queries match themselves.
#[async_trait]
pub trait SearchStore: Send + Sync {
    /// Repositories whose name or description contains `query`, readable by `viewer`
    /// (public ones for anybody); name matches first, then the most popular.
    async fn repositories(
        &self,
        query: &str,
        viewer: Option<i64>,
        offset: u64,
        limit: u64,
    ) -> DomainResult<Vec<RepositoryHit>>;

    /// Users and organizations named `prefix...` that own an image repository `viewer`
    /// may read.
    async fn namespaces(
        &self,
        prefix: &str,
        viewer: Option<i64>,
        limit: u64,
    ) -> DomainResult<Vec<NamespaceHit>>;

    /// Teams named `prefix...` (with at least one member) the user is in, or of
    /// organizations the user administers.
    async fn teams(&self, prefix: &str, user_id: i64, limit: u64) -> DomainResult<Vec<TeamHit>>;

    /// Robots named `<user>+prefix...` or `<org>+prefix...` for organizations the user
    /// administers.
    async fn robots(&self, prefix: &str, user_id: i64, limit: u64) -> DomainResult<Vec<String>>;

    /// Names of the organization's teams starting with `prefix`.
    async fn org_teams(&self, org_id: i64, prefix: &str, limit: u64) -> DomainResult<Vec<String>>;

    /// Users named `prefix` (exactly, or as a prefix unless `exact`), exact match first,
    /// and with `robot_namespace` that namespace's robots named `<ns>+prefix...` (first,
    /// when `org_id` is set). With `org_id`, each hit says whether it is a member.
    async fn users(
        &self,
        prefix: &str,
        exact: bool,
        robot_namespace: Option<&str>,
        org_id: Option<i64>,
        limit: u64,
    ) -> DomainResult<Vec<UserHit>>;
}

/// One page of `/api/v1/find/repositories`.
#[derive(Debug, Clone, PartialEq)]
pub struct RepositoryPage {
    pub results: Vec<RepositoryHit>,
    pub has_additional: bool,
    pub page: u64,
    pub page_size: u64,
    pub start_index: u64,
}

/// A result of `/api/v1/find/all`, with its score.
#[derive(Debug, Clone, PartialEq)]
pub enum Hit {
    Repository(RepositoryHit),
    Namespace(NamespaceHit),
    Team(TeamHit),
    /// A robot's full name.
    Robot(String),
}

/// What `/api/v1/entities/{prefix}` found.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Entities {
    pub teams: Vec<String>,
    pub users: Vec<UserHit>,
    pub organization: Option<NamespaceHit>,
}

#[async_trait]
pub trait SearchService: Send + Sync {
    /// `page` counts from 1 and is clamped to Quay's page range.
    async fn repositories(
        &self,
        caller: &Caller,
        query: &str,
        page: i64,
    ) -> DomainResult<RepositoryPage>;

    /// Everything matching `query`, best first.
    async fn all(&self, caller: &Caller, query: &str) -> DomainResult<Vec<(Hit, f64)>>;

    async fn entities(
        &self,
        caller: &Caller,
        prefix: &str,
        namespace: Option<&str>,
        include_teams: bool,
        include_orgs: bool,
    ) -> DomainResult<Entities>;
}

pub struct Search {
    store: Arc<dyn SearchStore>,
    namespaces: Arc<dyn NamespaceStore>,
    authz: Authorizer,
    partial_user_autocomplete: bool,
}

impl Search {
    pub fn new(
        store: Arc<dyn SearchStore>,
        namespaces: Arc<dyn NamespaceStore>,
        config: &Config,
    ) -> Self {
        Self {
            store,
            namespaces,
            authz: Authorizer::new(config),
            partial_user_autocomplete: config.feature_partial_user_autocomplete,
        }
    }

    /// Whose grants make private repositories visible: the caller's, if their
    /// credentials may read repositories at all.
    fn repository_viewer(caller: &Caller) -> Option<i64> {
        caller
            .principal
            .as_ref()
            .filter(|p| p.scopes.max_repo_role() >= Some(Role::Read))
            .map(|p| p.user_id)
    }
}

/// How well `name` matches `query`, in (0, 1]: in the spirit of Quay's `liquidmetal`
/// scoring (exact beats prefix beats substring beats scattered letters), 0.5 when the
/// letters do not match at all, as Quay's fallback.
pub fn match_score(name: &str, query: &str) -> f64 {
    let name = name.to_lowercase();
    let query = query.to_lowercase();
    if query.is_empty() {
        return 0.5;
    }
    let coverage = query.len() as f64 / name.len().max(1) as f64;
    if name == query {
        1.0
    } else if name.starts_with(&query) {
        0.85 + 0.15 * coverage
    } else if name.contains(&query) {
        0.7 + 0.1 * coverage
    } else {
        let mut rest = name.chars();
        if query.chars().all(|q| rest.any(|c| c == q)) {
            0.6
        } else {
            0.5
        }
    }
}

#[async_trait]
impl SearchService for Search {
    async fn repositories(
        &self,
        caller: &Caller,
        query: &str,
        page: i64,
    ) -> DomainResult<RepositoryPage> {
        let page = page.clamp(1, MAX_RESULT_PAGES as i64) as u64;
        let start_index = (page - 1) * RESULTS_PER_PAGE;
        let mut results = self
            .store
            .repositories(
                query,
                Self::repository_viewer(caller),
                start_index,
                RESULTS_PER_PAGE + 1,
            )
            .await?;
        let has_additional = results.len() as u64 > RESULTS_PER_PAGE;
        results.truncate(RESULTS_PER_PAGE as usize);
        Ok(RepositoryPage {
            results,
            has_additional,
            page,
            page_size: RESULTS_PER_PAGE,
            start_index,
        })
    }

    async fn all(&self, caller: &Caller, query: &str) -> DomainResult<Vec<(Hit, f64)>> {
        let query = query.trim();
        if query.is_empty() {
            return Ok(Vec::new());
        }
        let viewer = Self::repository_viewer(caller);
        let mut hits: Vec<(Hit, f64)> = Vec::new();
        if let Some(p) = &caller.principal {
            for team in self.store.teams(query, p.user_id, ALL_LIMIT).await? {
                let score = 2.0 * match_score(&team.name, query);
                hits.push((Hit::Team(team), score));
            }
            for robot in self.store.robots(query, p.user_id, ALL_LIMIT).await? {
                let short = robot.split_once('+').map_or(robot.as_str(), |(_, s)| s);
                let score = match_score(short, query);
                hits.push((Hit::Robot(robot), score));
            }
        }
        for repo in self.store.repositories(query, viewer, 0, ALL_LIMIT).await? {
            let score = 4.0 * match_score(&repo.name, query);
            hits.push((Hit::Repository(repo), score));
        }
        for ns in self.store.namespaces(query, viewer, ALL_LIMIT).await? {
            let score = match_score(&ns.name, query);
            hits.push((Hit::Namespace(ns), score));
        }
        hits.sort_by(|a, b| b.1.total_cmp(&a.1));
        Ok(hits)
    }

    async fn entities(
        &self,
        caller: &Caller,
        prefix: &str,
        namespace: Option<&str>,
        include_teams: bool,
        include_orgs: bool,
    ) -> DomainResult<Entities> {
        let prefix: String = prefix
            .chars()
            .filter(|c| !c.is_whitespace())
            .flat_map(char::to_lowercase)
            .collect();
        let mut found = Entities::default();
        let mut robot_namespace = None;
        let mut org_id = None;
        let ns = match namespace.filter(|n| !n.is_empty()) {
            Some(name) => self.namespaces.find_namespace(name).await?,
            None => None,
        };
        match &ns {
            Some(org) if org.organization => {
                org_id = Some(org.id);
                let grant = match caller.user_id() {
                    Some(uid) => self.namespaces.namespace_grant(org.id, uid).await?,
                    None => NamespaceGrant::None,
                };
                if self.authz.is_org_member(caller, grant) {
                    robot_namespace = Some(org.username.clone());
                    if include_teams {
                        found.teams = self.store.org_teams(org.id, &prefix, ENTITY_LIMIT).await?;
                    }
                    if include_orgs && org.username.starts_with(&prefix) {
                        found.organization = Some(NamespaceHit {
                            name: org.username.clone(),
                            organization: true,
                            email: org.email.clone(),
                        });
                    }
                }
            }
            Some(user)
                if caller.principal.as_ref().is_some_and(|p| {
                    p.user_id == user.id && p.scopes.max_user_role().is_some()
                }) =>
            {
                robot_namespace = Some(user.username.clone());
            }
            _ => {}
        }
        if !prefix.is_empty() {
            found.users = self
                .store
                .users(
                    &prefix,
                    !self.partial_user_autocomplete,
                    robot_namespace.as_deref(),
                    org_id,
                    ENTITY_LIMIT,
                )
                .await?;
        }
        Ok(found)
    }
}

#[cfg(test)]
mod tests {
    use super::match_score;

    #[test]
    fn scores_rank_exact_prefix_substring_scattered() {
        let exact = match_score("devtable", "devtable");
        let prefix = match_score("devtable", "dev");
        let substring = match_score("devtable", "table");
        let scattered = match_score("devtable", "dvt");
        let none = match_score("devtable", "xyz");
        assert_eq!(exact, 1.0);
        assert!(exact > prefix && prefix > substring && substring > scattered);
        assert!(scattered > none);
        assert_eq!(none, 0.5);
        assert_eq!(
            match_score("DevTable", "devt"),
            match_score("devtable", "DEVT")
        );
    }
}
