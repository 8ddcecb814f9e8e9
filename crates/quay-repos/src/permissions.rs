//! Repository permissions of users, robots and teams (`endpoints/api/permission.py`):
//! [`RepoPermissionService`], implemented by [`Repositories`](crate::Repositories) over a
//! [`PermissionStore`].
//!
//! Only repository administrators (and, for reads, global read-only superusers) see or
//! change them; the check comes before the repository's existence is revealed. The
//! namespace owner of a user repository always stays admin.

use std::sync::Arc;

use async_trait::async_trait;
use quay_core::names::RepositoryName;
use quay_core::role::Role;
use quay_core::{Caller, DomainError, DomainResult};
use quay_logs::{LogKind, NewLogEntry};
use serde_json::json;

use crate::{Repositories, Repository};

/// A user or robot account as permission views show it.
#[derive(Debug, Clone, PartialEq)]
pub struct Account {
    pub id: i64,
    pub name: String,
    pub robot: bool,
    pub organization: bool,
    pub email: Option<String>,
}

/// A direct permission of a user or robot.
#[derive(Debug, Clone, PartialEq)]
pub struct UserPermission {
    pub account: Account,
    pub role: Role,
    /// In organization repositories: whether the account is a robot or in a team of the
    /// organization (`None` in user namespaces, where Quay leaves the key out).
    pub is_org_member: Option<bool>,
}

/// A team's permission.
#[derive(Debug, Clone, PartialEq)]
pub struct TeamPermission {
    pub team: String,
    pub role: Role,
}

/// Storage of repository permissions (implemented by `quay-persistence`).
#[async_trait]
pub trait PermissionStore: Send + Sync {
    /// A user, robot or organization by name.
    async fn find_account(&self, name: &str) -> DomainResult<Option<Account>>;

    /// The id of the organization's team `name`.
    async fn find_team_id(&self, org_id: i64, name: &str) -> DomainResult<Option<i64>>;

    /// Direct user and robot permissions on the repository, by name; `org_id` asks for
    /// `is_org_member`.
    async fn user_permissions(
        &self,
        repository_id: i64,
        org_id: Option<i64>,
    ) -> DomainResult<Vec<UserPermission>>;

    async fn team_permissions(&self, repository_id: i64) -> DomainResult<Vec<TeamPermission>>;

    /// The user's direct role and the roles of their teams on the repository.
    async fn transitive_roles(&self, repository_id: i64, user_id: i64) -> DomainResult<Vec<Role>>;

    /// Creates or changes the permission of a user (`team_id: None`) or a team, and
    /// writes `log`, atomically.
    async fn set_permission(
        &self,
        repository_id: i64,
        user_id: Option<i64>,
        team_id: Option<i64>,
        role: Role,
        log: NewLogEntry,
    ) -> DomainResult<()>;

    /// Removes the permission and writes `log`; `false` (nothing written) if there was
    /// none.
    async fn delete_permission(
        &self,
        repository_id: i64,
        user_id: Option<i64>,
        team_id: Option<i64>,
        log: NewLogEntry,
    ) -> DomainResult<bool>;
}

/// The permission operations of the API.
#[async_trait]
pub trait RepoPermissionService: Send + Sync {
    async fn list_user_permissions(
        &self,
        caller: &Caller,
        repo: &RepositoryName,
    ) -> DomainResult<Vec<UserPermission>>;

    async fn get_user_permission(
        &self,
        caller: &Caller,
        repo: &RepositoryName,
        username: &str,
    ) -> DomainResult<UserPermission>;

    /// Every role the user holds on the repository: direct and through teams.
    async fn user_transitive_roles(
        &self,
        caller: &Caller,
        repo: &RepositoryName,
        username: &str,
    ) -> DomainResult<Vec<Role>>;

    async fn set_user_permission(
        &self,
        caller: &Caller,
        repo: &RepositoryName,
        username: &str,
        role: Role,
    ) -> DomainResult<UserPermission>;

    async fn delete_user_permission(
        &self,
        caller: &Caller,
        repo: &RepositoryName,
        username: &str,
    ) -> DomainResult<()>;

    async fn list_team_permissions(
        &self,
        caller: &Caller,
        repo: &RepositoryName,
    ) -> DomainResult<Vec<TeamPermission>>;

    async fn get_team_permission(
        &self,
        caller: &Caller,
        repo: &RepositoryName,
        team: &str,
    ) -> DomainResult<TeamPermission>;

    async fn set_team_permission(
        &self,
        caller: &Caller,
        repo: &RepositoryName,
        team: &str,
        role: Role,
    ) -> DomainResult<TeamPermission>;

    async fn delete_team_permission(
        &self,
        caller: &Caller,
        repo: &RepositoryName,
        team: &str,
    ) -> DomainResult<()>;
}

/// [`RepoPermissionService`] on the repository service (for its access checks and its
/// access cache, which every change here invalidates) and a [`PermissionStore`].
pub struct RepoPermissions {
    repos: Arc<Repositories>,
    store: Arc<dyn PermissionStore>,
}

impl RepoPermissions {
    pub fn new(repos: Arc<Repositories>, store: Arc<dyn PermissionStore>) -> Self {
        Self { repos, store }
    }

    /// The repository, if the caller administers it; reads are also open to global
    /// read-only superusers.
    async fn administered(
        &self,
        caller: &Caller,
        name: &RepositoryName,
        read: bool,
    ) -> DomainResult<Repository> {
        let reader = read
            && caller
                .principal
                .as_ref()
                .is_some_and(|p| p.global_readonly_superuser);
        let need = if reader { Role::Read } else { Role::Admin };
        Ok(self.repos.authorized(caller, name, need).await?.0)
    }

    async fn account(&self, name: &str) -> DomainResult<Option<Account>> {
        self.store.find_account(name).await
    }

    /// The account a change names, checked as Quay does.
    async fn target_account(&self, repo: &Repository, username: &str) -> DomainResult<Account> {
        if !repo.namespace_is_org && username == repo.namespace {
            return Err(DomainError::invalid(
                "Namespace owner must always be admin.",
            ));
        }
        let account = self
            .account(username)
            .await?
            .filter(|a| !a.organization)
            .ok_or_else(|| DomainError::invalid(format!("Invalid username: {username}")))?;
        if account.robot {
            let Some((owner, _)) = username.split_once('+') else {
                return Err(DomainError::invalid(format!("Invalid robot: {username}")));
            };
            if owner != repo.namespace {
                return Err(DomainError::invalid(format!(
                    "Cannot add robot {username} under namespace {}",
                    repo.namespace
                )));
            }
        }
        Ok(account)
    }

    async fn team_id(&self, repo: &Repository, team: &str) -> DomainResult<Option<i64>> {
        if !repo.namespace_is_org {
            return Ok(None);
        }
        self.store.find_team_id(repo.namespace_id, team).await
    }

    fn log(
        kind: LogKind,
        caller: &Caller,
        repo: &Repository,
        metadata: serde_json::Value,
    ) -> NewLogEntry {
        NewLogEntry::new(kind, caller, Some(repo.namespace_id), metadata).with_repository(repo.id)
    }

    async fn user_permission(
        &self,
        repo: &Repository,
        user_id: i64,
    ) -> DomainResult<Option<UserPermission>> {
        let org = repo.namespace_is_org.then_some(repo.namespace_id);
        Ok(self
            .store
            .user_permissions(repo.id, org)
            .await?
            .into_iter()
            .find(|p| p.account.id == user_id))
    }
}

const USER_HAS_NO_PERMISSION: &str = "User does not have permission for repo.";
const TEAM_HAS_NO_PERMISSION: &str = "Team does not have permission for repo.";

#[async_trait]
impl RepoPermissionService for RepoPermissions {
    async fn list_user_permissions(
        &self,
        caller: &Caller,
        name: &RepositoryName,
    ) -> DomainResult<Vec<UserPermission>> {
        let repo = self.administered(caller, name, true).await?;
        let org = repo.namespace_is_org.then_some(repo.namespace_id);
        self.store.user_permissions(repo.id, org).await
    }

    async fn get_user_permission(
        &self,
        caller: &Caller,
        name: &RepositoryName,
        username: &str,
    ) -> DomainResult<UserPermission> {
        let repo = self.administered(caller, name, true).await?;
        let account = self.account(username).await?;
        let found = match account {
            Some(a) => self.user_permission(&repo, a.id).await?,
            None => None,
        };
        found.ok_or_else(|| DomainError::rejected(USER_HAS_NO_PERMISSION))
    }

    async fn user_transitive_roles(
        &self,
        caller: &Caller,
        name: &RepositoryName,
        username: &str,
    ) -> DomainResult<Vec<Role>> {
        let repo = self.administered(caller, name, true).await?;
        let account = self.account(username).await?.ok_or(DomainError::NotFound)?;
        let roles = self.store.transitive_roles(repo.id, account.id).await?;
        if roles.is_empty() {
            return Err(DomainError::NotFound);
        }
        Ok(roles)
    }

    async fn set_user_permission(
        &self,
        caller: &Caller,
        name: &RepositoryName,
        username: &str,
        role: Role,
    ) -> DomainResult<UserPermission> {
        let repo = self.administered(caller, name, false).await?;
        let account = self.target_account(&repo, username).await?;
        let log = Self::log(
            LogKind::ChangeRepoPermission,
            caller,
            &repo,
            json!({"username": username, "repo": repo.name, "namespace": repo.namespace, "role": role.as_str()}),
        );
        self.store
            .set_permission(repo.id, Some(account.id), None, role, log)
            .await?;
        self.repos.forget(&repo.namespace, &repo.name);
        self.user_permission(&repo, account.id)
            .await?
            .ok_or_else(|| DomainError::Internal("permission vanished".into()))
    }

    async fn delete_user_permission(
        &self,
        caller: &Caller,
        name: &RepositoryName,
        username: &str,
    ) -> DomainResult<()> {
        let repo = self.administered(caller, name, false).await?;
        let account = self.target_account(&repo, username).await?;
        let log = Self::log(
            LogKind::DeleteRepoPermission,
            caller,
            &repo,
            json!({"username": username, "repo": repo.name, "namespace": repo.namespace}),
        );
        let deleted = self
            .store
            .delete_permission(repo.id, Some(account.id), None, log)
            .await?;
        self.repos.forget(&repo.namespace, &repo.name);
        if !deleted {
            return Err(DomainError::invalid(USER_HAS_NO_PERMISSION));
        }
        Ok(())
    }

    async fn list_team_permissions(
        &self,
        caller: &Caller,
        name: &RepositoryName,
    ) -> DomainResult<Vec<TeamPermission>> {
        let repo = self.administered(caller, name, true).await?;
        self.store.team_permissions(repo.id).await
    }

    async fn get_team_permission(
        &self,
        caller: &Caller,
        name: &RepositoryName,
        team: &str,
    ) -> DomainResult<TeamPermission> {
        let repo = self.administered(caller, name, true).await?;
        self.store
            .team_permissions(repo.id)
            .await?
            .into_iter()
            .find(|p| p.team == team)
            .ok_or_else(|| DomainError::rejected(TEAM_HAS_NO_PERMISSION))
    }

    async fn set_team_permission(
        &self,
        caller: &Caller,
        name: &RepositoryName,
        team: &str,
        role: Role,
    ) -> DomainResult<TeamPermission> {
        let repo = self.administered(caller, name, false).await?;
        let team_id = self.team_id(&repo, team).await?.ok_or_else(|| {
            DomainError::invalid(format!("No team {team} in organization {}", repo.namespace))
        })?;
        let log = Self::log(
            LogKind::ChangeRepoPermission,
            caller,
            &repo,
            json!({"team": team, "repo": repo.name, "role": role.as_str()}),
        );
        self.store
            .set_permission(repo.id, None, Some(team_id), role, log)
            .await?;
        self.repos.forget(&repo.namespace, &repo.name);
        Ok(TeamPermission {
            team: team.to_string(),
            role,
        })
    }

    async fn delete_team_permission(
        &self,
        caller: &Caller,
        name: &RepositoryName,
        team: &str,
    ) -> DomainResult<()> {
        let repo = self.administered(caller, name, false).await?;
        let team_id = self
            .team_id(&repo, team)
            .await?
            .ok_or_else(|| DomainError::invalid(TEAM_HAS_NO_PERMISSION))?;
        let log = Self::log(
            LogKind::DeleteRepoPermission,
            caller,
            &repo,
            json!({"team": team, "repo": repo.name}),
        );
        let deleted = self
            .store
            .delete_permission(repo.id, None, Some(team_id), log)
            .await?;
        self.repos.forget(&repo.namespace, &repo.name);
        if !deleted {
            return Err(DomainError::invalid(TEAM_HAS_NO_PERMISSION));
        }
        Ok(())
    }
}
