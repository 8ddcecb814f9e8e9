//! Repositories: creation, descriptions, visibility, deletion and listing.
//!
//! The public face is the [`RepoService`] trait, implemented by [`Repositories`] over any
//! [`RepoStore`]. Every method takes the [`Caller`] and decides access itself, in Quay's
//! order: permission first (401 anonymous / 403 authenticated), existence second (404),
//! so outsiders learn nothing about private names. Every change is stored together with
//! its audit log entry.

pub mod autoprune;
pub mod blobs;
pub mod gc;
pub mod labels;
pub mod manifests;
mod model;
pub mod permissions;
pub mod quota;
mod service;
pub mod tags;
pub mod usage_logs;

use async_trait::async_trait;
use chrono::NaiveDate;
use quay_auth::NamespaceGrant;
use quay_core::names::RepositoryName;
use quay_core::role::{RepositoryKind, Visibility};
use quay_core::{Caller, DomainResult};
use quay_logs::NewLogEntry;

pub use model::*;
pub use permissions::{PermissionStore, RepoPermissionService, RepoPermissions};
pub use service::{Repositories, STATS_DAYS};

/// A namespace as repository creation sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NamespaceRef {
    pub id: i64,
    pub is_org: bool,
}

/// A change to one repository attribute.
#[derive(Debug, Clone, PartialEq)]
pub enum RepositoryChange {
    Description(String),
    Visibility(Visibility),
}

/// Storage of repositories (implemented by `quay-persistence`).
#[async_trait]
pub trait RepoStore: Send + Sync {
    /// The repository and the viewer's granted role and star, in as few queries as the
    /// backend allows (this is on every repository request's path).
    async fn repository_access(
        &self,
        name: &RepositoryName,
        viewer: Option<i64>,
    ) -> DomainResult<RepositoryAccess>;

    /// The namespace and the user's standing in it; `None` if no such user or
    /// organization exists.
    async fn namespace_grant_by_name(
        &self,
        namespace: &str,
        user_id: i64,
    ) -> DomainResult<Option<(NamespaceRef, NamespaceGrant)>>;

    /// Creates the repository (plus the creator's admin permission in organizations)
    /// and writes `log` with the new repository's id, atomically. A repository of the
    /// same name yields `DomainError::Conflict`.
    async fn create_repository(
        &self,
        new: NewRepository,
        log: NewLogEntry,
    ) -> DomainResult<Repository>;

    async fn update_repository(
        &self,
        id: i64,
        change: RepositoryChange,
        log: NewLogEntry,
    ) -> DomainResult<()>;

    /// Deletes the repository with its permissions and stars, and writes `log`.
    async fn delete_repository(&self, id: i64, log: NewLogEntry) -> DomainResult<()>;

    async fn list_repositories(&self, query: &RepositoryQuery) -> DomainResult<RepositoryPage>;

    /// Stars (or unstars) the repository for the user; starring twice is one star.
    async fn set_star(&self, user_id: i64, repository_id: i64, starred: bool) -> DomainResult<()>;

    /// Pull and push counts per day since `since`, oldest first.
    async fn action_counts(
        &self,
        repository_id: i64,
        since: NaiveDate,
    ) -> DomainResult<Vec<(NaiveDate, i64)>>;
}

/// What `POST /api/v1/repository` asks for.
#[derive(Debug, Clone, PartialEq)]
pub struct CreateRepository {
    /// Defaults to the caller's own namespace.
    pub namespace: Option<String>,
    pub name: String,
    pub visibility: Visibility,
    pub description: String,
    pub kind: RepositoryKind,
}

/// What `GET /api/v1/repository` asks for.
#[derive(Debug, Clone, PartialEq)]
pub struct ListRepositories {
    pub namespace: Option<String>,
    pub public: bool,
    pub starred: bool,
    pub kind: RepositoryKind,
    pub after_id: Option<i64>,
}

/// Repositories page size, as Quay's `REPOS_PER_PAGE`.
pub const REPOS_PER_PAGE: u64 = 100;

/// The repository operations of the API, for embedding without HTTP.
#[async_trait]
pub trait RepoService: Send + Sync {
    async fn create_repository(
        &self,
        caller: &Caller,
        req: CreateRepository,
    ) -> DomainResult<Repository>;

    /// The repository as the caller sees it; with `include_stats`, its daily action
    /// counts over the last three months too.
    async fn get_repository(
        &self,
        caller: &Caller,
        name: &RepositoryName,
        include_stats: bool,
    ) -> DomainResult<RepositoryDetails>;

    async fn list_repositories(
        &self,
        caller: &Caller,
        req: ListRepositories,
    ) -> DomainResult<RepositoryPage>;

    async fn set_description(
        &self,
        caller: &Caller,
        name: &RepositoryName,
        description: String,
    ) -> DomainResult<()>;

    async fn set_visibility(
        &self,
        caller: &Caller,
        name: &RepositoryName,
        visibility: Visibility,
    ) -> DomainResult<()>;

    async fn delete_repository(&self, caller: &Caller, name: &RepositoryName) -> DomainResult<()>;

    /// `GET /api/v1/user/starred`: the caller's starred repositories they can still read.
    async fn list_starred(
        &self,
        caller: &Caller,
        after_id: Option<i64>,
    ) -> DomainResult<RepositoryPage>;

    /// `POST /api/v1/user/starred` (`starred`) and `DELETE /api/v1/user/starred/{repo}`.
    async fn set_star(
        &self,
        caller: &Caller,
        name: &RepositoryName,
        starred: bool,
    ) -> DomainResult<()>;
}
