//! Repository data as the domain sees it.

use chrono::{DateTime, Utc};
use quay_core::role::{RepositoryKind, RepositoryState, Role, Visibility};

/// A repository with the namespace facts its views need.
#[derive(Debug, Clone, PartialEq)]
pub struct Repository {
    pub id: i64,
    pub namespace_id: i64,
    pub namespace: String,
    pub namespace_is_org: bool,
    /// `false` once a superuser disabled the namespace's user or organization.
    pub namespace_enabled: bool,
    /// The namespace's time-machine window (`tag_expiration_s`).
    pub namespace_tag_expiration_s: i64,
    pub name: String,
    pub visibility: Visibility,
    pub description: Option<String>,
    pub kind: RepositoryKind,
    pub state: RepositoryState,
    pub trust_enabled: bool,
    pub badge_token: String,
    pub created: DateTime<Utc>,
    /// When a tag last changed (set by pushes); `None` for a repository never pushed to.
    pub last_modified: Option<DateTime<Utc>>,
}

/// A repository looked up on behalf of a viewer.
#[derive(Debug, Clone, PartialEq)]
pub struct RepositoryAccess {
    pub repository: Option<Repository>,
    /// The role the database grants the viewer (direct, team, organization admin or own
    /// namespace), before token scopes. For a missing repository this is still the
    /// namespace-wide grant, so that permission is checked before existence.
    pub granted: Option<Role>,
    pub starred: bool,
    /// The namespace exists and is disabled (for a missing repository too, so that a
    /// push into a disabled namespace is refused rather than creating anything).
    pub namespace_disabled: bool,
}

/// What creating a repository stores.
#[derive(Debug, Clone, PartialEq)]
pub struct NewRepository {
    pub namespace_id: i64,
    pub name: String,
    pub visibility: Visibility,
    pub description: Option<String>,
    pub kind: RepositoryKind,
    pub badge_token: String,
    /// The creating user, who receives an explicit `admin` permission (as in Quay, even
    /// in their own namespace, so the permission shows in the repository's permissions).
    pub creator_id: Option<i64>,
    pub created: DateTime<Utc>,
}

/// Which repositories a listing covers.
#[derive(Debug, Clone, PartialEq)]
pub struct RepositoryQuery {
    /// The viewer whose grants make private repositories visible; `None` shows only
    /// public ones.
    pub viewer: Option<i64>,
    pub include_public: bool,
    pub namespace: Option<String>,
    pub starred_only: bool,
    pub kind: RepositoryKind,
    /// Paging: repositories with an id greater than this, in id order.
    pub after_id: Option<i64>,
    pub limit: u64,
}

/// One row of a repository listing.
#[derive(Debug, Clone, PartialEq)]
pub struct RepositoryListItem {
    pub repository: Repository,
    pub starred: bool,
    /// Pull and push actions over the last weeks (Quay's `popularity`).
    pub action_count: i64,
}

/// A page of a listing; `next_after_id` is set when more rows follow.
#[derive(Debug, Clone, PartialEq)]
pub struct RepositoryPage {
    pub items: Vec<RepositoryListItem>,
    pub next_after_id: Option<i64>,
}

/// Repository details for one viewer (what `GET /repository/{repo}` shows).
#[derive(Debug, Clone, PartialEq)]
pub struct RepositoryDetails {
    pub repository: Repository,
    pub can_write: bool,
    pub can_admin: bool,
    pub starred: bool,
    /// Daily action counts, when asked for.
    pub action_counts: Option<Vec<(chrono::NaiveDate, i64)>>,
}
