//! [`Repositories`]: the [`RepoService`] over a [`RepoStore`].

use std::sync::Arc;

use async_trait::async_trait;
use chrono::Utc;
use quay_auth::{secret, Authorizer};
use quay_core::cache::TtlCache;
use quay_core::config::Config;
use quay_core::names::{is_valid_repository_name, RepositoryName};
use quay_core::role::{RepositoryKind, RepositoryState, Role, Visibility};
use quay_core::{Caller, DomainError, DomainResult};
use quay_logs::{LogKind, NewLogEntry};
use serde_json::json;

use crate::*;

/// How far back `includeStats` looks (Quay: three months).
pub const STATS_DAYS: i64 = 92;

/// How many (repository, viewer) lookups the per-process cache keeps.
const ACCESS_CACHE_CAPACITY: usize = 10_000;

/// A repository lookup for one viewer.
type AccessKey = (String, String, Option<i64>);

pub struct Repositories {
    store: Arc<dyn RepoStore>,
    config: Arc<Config>,
    authz: Authorizer,
    /// Repository access by (namespace, name, viewer), for `CACHE_TTL_MS`; this
    /// service's writes drop the entries of the repository they change.
    access_cache: TtlCache<AccessKey, RepositoryAccess>,
}

impl Repositories {
    pub fn new(store: Arc<dyn RepoStore>, config: Arc<Config>) -> Self {
        let authz = Authorizer::new(&config);
        Self {
            store,
            access_cache: TtlCache::new(config.cache_ttl(), ACCESS_CACHE_CAPACITY),
            config,
            authz,
        }
    }

    async fn access(
        &self,
        name: &RepositoryName,
        viewer: Option<i64>,
    ) -> DomainResult<RepositoryAccess> {
        let key = (name.namespace.clone(), name.name.clone(), viewer);
        if let Some(hit) = self.access_cache.get(&key) {
            return Ok(hit);
        }
        let access = self.store.repository_access(name, viewer).await?;
        self.access_cache.insert(key, access.clone());
        Ok(access)
    }

    /// The repository `name` as anyone sees it (no viewer's role): for requests whose
    /// grant was checked already, such as the registry's token-bearing ones. Cached
    /// with the viewers' lookups, so this service's writes drop it too.
    pub async fn lookup(&self, name: &RepositoryName) -> DomainResult<RepositoryAccess> {
        self.access(name, None).await
    }

    pub(crate) fn forget(&self, namespace: &str, name: &str) {
        self.access_cache
            .invalidate(|(ns, n, _)| ns == namespace && n == name);
    }

    /// Looks a repository up and checks `need` before revealing whether it exists.
    pub(crate) async fn authorized(
        &self,
        caller: &Caller,
        name: &RepositoryName,
        need: Role,
    ) -> DomainResult<(Repository, RepositoryAccess)> {
        let access = self.access(name, caller.user_id()).await?;
        let public = access
            .repository
            .as_ref()
            .is_some_and(|r| r.visibility.is_public());
        self.authz
            .require_repo(caller, access.granted, need, public)?;
        match &access.repository {
            Some(repo) if repo.state != RepositoryState::MarkedForDeletion => {
                Ok((repo.clone(), access))
            }
            _ => Err(DomainError::NotFound),
        }
    }

    /// The repository if the caller holds `need` on it, checked before existence (for
    /// the services of other crates that hang off a repository).
    pub async fn authorize(
        &self,
        caller: &Caller,
        name: &RepositoryName,
        need: Role,
    ) -> DomainResult<Repository> {
        Ok(self.authorized(caller, name, need).await?.0)
    }

    /// An entry about `repo`, its metadata naming it (`repo`, `namespace`) besides `extra`.
    pub(crate) fn log(
        &self,
        kind: LogKind,
        caller: &Caller,
        repo: &Repository,
        extra: serde_json::Value,
    ) -> NewLogEntry {
        let mut metadata = json!({"repo": repo.name, "namespace": repo.namespace});
        if let (Some(m), Some(extra)) = (metadata.as_object_mut(), extra.as_object()) {
            m.extend(extra.clone());
        }
        NewLogEntry::new(kind, caller, Some(repo.namespace_id), metadata).with_repository(repo.id)
    }
}

#[async_trait]
impl RepoService for Repositories {
    async fn create_repository(
        &self,
        caller: &Caller,
        req: CreateRepository,
    ) -> DomainResult<Repository> {
        let Some(principal) = &caller.principal else {
            return Err(DomainError::unauthorized(false));
        };
        let namespace = req
            .namespace
            .clone()
            .unwrap_or_else(|| principal.username.clone());
        let grant = self
            .store
            .namespace_grant_by_name(&namespace, principal.user_id)
            .await?;
        let Some((ns, _)) = grant.filter(|(_, g)| self.authz.can_create_repo(principal, *g)) else {
            return Err(DomainError::Forbidden);
        };
        let name = RepositoryName::new(namespace.clone(), req.name.clone());
        if self
            .store
            .repository_access(&name, None)
            .await?
            .repository
            .is_some()
        {
            return Err(DomainError::invalid("Repository already exists"));
        }
        if !is_valid_repository_name(&req.name, self.config.feature_extended_repository_names) {
            return Err(DomainError::invalid("Invalid repository name"));
        }
        let new = NewRepository {
            namespace_id: ns.id,
            name: req.name.clone(),
            visibility: req.visibility,
            description: Some(req.description),
            kind: req.kind,
            badge_token: secret::random_token(32),
            creator_id: Some(principal.user_id),
            created: Utc::now(),
        };
        let log = NewLogEntry::new(
            LogKind::CreateRepo,
            caller,
            Some(ns.id),
            json!({"repo": req.name, "namespace": namespace}),
        );
        let created = self.store.create_repository(new, log).await;
        self.forget(&namespace, &req.name);
        match created {
            // Lost a race with a concurrent create of the same name.
            Err(DomainError::Conflict(_)) => Err(DomainError::invalid("Repository already exists")),
            other => other,
        }
    }

    async fn get_repository(
        &self,
        caller: &Caller,
        name: &RepositoryName,
        include_stats: bool,
    ) -> DomainResult<RepositoryDetails> {
        let (repository, access) = self.authorized(caller, name, Role::Read).await?;
        let action_counts = if include_stats {
            let since = (Utc::now() - chrono::Duration::days(STATS_DAYS)).date_naive();
            Some(self.store.action_counts(repository.id, since).await?)
        } else {
            None
        };
        let role = caller
            .principal
            .as_ref()
            .and_then(|p| self.authz.repo_role(p, access.granted));
        Ok(RepositoryDetails {
            repository,
            can_write: role >= Some(Role::Write),
            can_admin: role >= Some(Role::Admin),
            starred: access.starred,
            action_counts,
        })
    }

    async fn list_repositories(
        &self,
        caller: &Caller,
        req: ListRepositories,
    ) -> DomainResult<RepositoryPage> {
        if req.namespace.is_none() && !req.starred && !req.public {
            return Err(DomainError::invalid(
                "namespace, starred or public are required for this API call",
            ));
        }
        if req.starred && !caller.is_authenticated() {
            return Err(DomainError::invalid(
                "You must be logged in to view starred repositories",
            ));
        }
        // A token without any repository scope sees only what anyone sees. (Quay lists
        // the user's private repositories to any token; we enforce the scope.)
        let viewer = caller
            .principal
            .as_ref()
            .filter(|p| p.scopes.max_repo_role().is_some())
            .map(|p| p.user_id);
        // Quay's starred listing ignores `namespace` and `public`: every starred
        // repository the caller can still see, public ones included.
        let query = RepositoryQuery {
            viewer,
            include_public: req.public || req.starred,
            namespace: req.namespace.filter(|_| !req.starred),
            starred_only: req.starred,
            kind: req.kind,
            after_id: req.after_id,
            limit: REPOS_PER_PAGE,
        };
        self.store.list_repositories(&query).await
    }

    async fn set_description(
        &self,
        caller: &Caller,
        name: &RepositoryName,
        description: String,
    ) -> DomainResult<()> {
        let (repo, _) = self.authorized(caller, name, Role::Write).await?;
        let log = self.log(
            LogKind::SetRepoDescription,
            caller,
            &repo,
            json!({"description": description}),
        );
        let updated = self
            .store
            .update_repository(repo.id, RepositoryChange::Description(description), log)
            .await;
        self.forget(&repo.namespace, &repo.name);
        updated
    }

    async fn set_visibility(
        &self,
        caller: &Caller,
        name: &RepositoryName,
        visibility: Visibility,
    ) -> DomainResult<()> {
        let (repo, _) = self.authorized(caller, name, Role::Admin).await?;
        let log = self.log(
            LogKind::ChangeRepoVisibility,
            caller,
            &repo,
            json!({"visibility": visibility.as_str()}),
        );
        let updated = self
            .store
            .update_repository(repo.id, RepositoryChange::Visibility(visibility), log)
            .await;
        self.forget(&repo.namespace, &repo.name);
        updated
    }

    async fn delete_repository(&self, caller: &Caller, name: &RepositoryName) -> DomainResult<()> {
        let (repo, _) = self.authorized(caller, name, Role::Admin).await?;
        let log = self.log(LogKind::DeleteRepo, caller, &repo, json!({}));
        let deleted = self.store.delete_repository(repo.id, log).await;
        self.forget(&repo.namespace, &repo.name);
        deleted
    }

    async fn list_starred(
        &self,
        caller: &Caller,
        after_id: Option<i64>,
    ) -> DomainResult<RepositoryPage> {
        let p = self.authz.require_user_admin(caller)?;
        let query = RepositoryQuery {
            viewer: Some(p.user_id),
            include_public: true,
            namespace: None,
            starred_only: true,
            kind: RepositoryKind::Image,
            after_id,
            limit: REPOS_PER_PAGE,
        };
        self.store.list_repositories(&query).await
    }

    async fn set_star(
        &self,
        caller: &Caller,
        name: &RepositoryName,
        starred: bool,
    ) -> DomainResult<()> {
        // Quay needs `user:admin` (the star is the user's) and, to star, `repo:read`.
        // It stars repositories the caller cannot read; we do not, so names of private
        // repositories stay private.
        let p = self.authz.require_user_admin(caller)?;
        let user_id = p.user_id;
        let (repo, _) = self.authorized(caller, name, Role::Read).await?;
        let changed = self.store.set_star(user_id, repo.id, starred).await;
        self.forget(&repo.namespace, &repo.name);
        changed
    }
}

#[cfg(test)]
mod tests;
