//! Users, organizations and robots (one namespace table, as in Quay) and their teams.
//!
//! Public faces: [`UserService`] (the first user, the caller's own account, other users'
//! public views) and [`OrgService`] (organization lifecycle), implemented by [`Users`] and
//! [`Organizations`] over a [`NamespaceStore`]; [`RobotService`] (user and organization
//! robots), implemented by [`Robots`] over a [`RobotStore`]; [`ApplicationService`]
//! (organizations' OAuth applications) by [`Applications`] over an [`ApplicationStore`];
//! [`TeamService`] (teams, members, invites) by [`Teams`] over a [`TeamStore`].

pub mod applications;
pub mod messages;
mod model;
pub mod notifications;
mod orgs;
pub mod prototypes;
pub mod robots;
pub mod superuser;
pub mod teams;
mod users;

use async_trait::async_trait;
use quay_auth::NamespaceGrant;
use quay_core::role::TeamRole;
use quay_core::{Caller, DomainResult};
use quay_logs::NewLogEntry;

pub use applications::{ApplicationService, ApplicationStore, Applications};
pub use messages::{GlobalMessages, MessageService, MessageStore};
pub use model::*;
pub use notifications::{NotificationService, NotificationStore, Notifications};
pub use orgs::Organizations;
pub use prototypes::{PrototypeService, PrototypeStore, Prototypes};
pub use robots::{RobotOwner, RobotService, RobotStore, Robots};
pub use superuser::{SuperUsers, SuperuserService};
pub use teams::{TeamService, TeamStore, Teams};
pub use users::Users;

/// Storage of namespaces and teams (implemented by `quay-persistence`).
#[async_trait]
pub trait NamespaceStore: Send + Sync {
    /// Whether any user, organization or robot exists (the first-user rule).
    async fn has_namespaces(&self) -> DomainResult<bool>;

    async fn find_namespace(&self, name: &str) -> DomainResult<Option<Namespace>>;

    /// The caller's own account is found by id: a rename must not lose it.
    async fn find_namespace_by_id(&self, id: i64) -> DomainResult<Option<Namespace>>;

    async fn email_in_use(&self, email: &str) -> DomainResult<bool>;

    /// Users (not organizations or robots) in id order after `after_id`, at most `limit`;
    /// disabled ones only with `include_disabled`.
    async fn list_users(
        &self,
        include_disabled: bool,
        after_id: Option<i64>,
        limit: u64,
    ) -> DomainResult<Vec<Namespace>>;

    /// Creates a user and writes `log` (whose account becomes the new user), atomically.
    /// A taken name or e-mail address yields `Conflict`.
    async fn create_user(&self, user: NewUser, log: NewLogEntry) -> DomainResult<Namespace>;

    /// Creates the first user, the token grant if asked, and `log` (whose account and
    /// performer become the new user), atomically; refuses with `Conflict` if any
    /// namespace exists by then.
    async fn initialize_user(
        &self,
        user: NewUser,
        grant: Option<NewTokenGrant>,
        log: NewLogEntry,
    ) -> DomainResult<Namespace>;

    /// Creates the organization with its `owners` team (role admin) holding the creator,
    /// and writes `log` (whose account becomes the new organization), atomically. A taken
    /// name yields `Conflict`.
    async fn create_organization(
        &self,
        org: NewOrganization,
        log: NewLogEntry,
    ) -> DomainResult<Namespace>;

    /// Applies the changes and writes the logs atomically; returns the updated row.
    async fn update_namespace(
        &self,
        id: i64,
        changes: NamespaceChanges,
        logs: Vec<NewLogEntry>,
    ) -> DomainResult<Namespace>;

    /// Deletes the namespace with its repositories, teams and permissions; writes `log`.
    async fn delete_namespace(&self, id: i64, log: NewLogEntry) -> DomainResult<()>;

    /// Organizations in id order after `after_id`, at most `limit`.
    async fn list_organizations(
        &self,
        after_id: Option<i64>,
        limit: u64,
    ) -> DomainResult<Vec<Namespace>>;

    /// Makes `admin_id` an administrator of the namespace, atomically with `log`: a user
    /// is first converted into an organization (no password, sessions, credentials or
    /// direct permissions left) with an `owners` team; the administrator joins the first
    /// admin team (created as `owners` if there is none).
    async fn take_ownership(
        &self,
        namespace_id: i64,
        admin_id: i64,
        log: NewLogEntry,
    ) -> DomainResult<()>;

    /// The organization's teams in creation order, with counts and whether `viewer` is
    /// a member of each.
    async fn teams(&self, org_id: i64, viewer: Option<i64>) -> DomainResult<Vec<TeamSummary>>;

    /// The user's standing in the namespace `namespace_id`.
    async fn namespace_grant(
        &self,
        namespace_id: i64,
        user_id: i64,
    ) -> DomainResult<NamespaceGrant>;

    /// Names of the organizations whose only (human) administrator the user is.
    async fn sole_admin_organizations(&self, user_id: i64) -> DomainResult<Vec<String>>;

    /// Organizations the user is in a team of, with the highest team role.
    async fn user_organizations(&self, user_id: i64) -> DomainResult<Vec<(Namespace, TeamRole)>>;
}

/// The account operations of the API.
#[async_trait]
pub trait UserService: Send + Sync {
    /// `POST /api/v1/user/initialize`: the first user of an empty install.
    async fn initialize(&self, req: InitializeUser) -> DomainResult<InitializedUser>;

    /// `GET /api/v1/user/`: the caller's own account.
    async fn current_user(&self, caller: &Caller) -> DomainResult<UserDetails>;

    /// `GET /api/v1/users/{username}`: any user's view, as much as the caller may see.
    async fn get_user(&self, caller: &Caller, username: &str) -> DomainResult<UserDetails>;

    /// `POST /api/v1/user/`: a new account (signed in by the HTTP layer afterwards).
    async fn create_account(&self, caller: &Caller, req: CreateAccount) -> DomainResult<Namespace>;

    /// `PUT /api/v1/user/`: the caller changes their own account (fresh login needed).
    /// A new password ends every session of the user.
    async fn update_current_user(
        &self,
        caller: &Caller,
        req: UpdateAccount,
    ) -> DomainResult<Namespace>;

    /// `DELETE /api/v1/user/`: the caller deletes their own account.
    async fn delete_current_user(&self, caller: &Caller) -> DomainResult<()>;

    /// `POST /api/v1/user/convert`: the caller's account becomes an organization that
    /// `admin_id` (whose credentials the HTTP layer checked) administers.
    async fn convert_to_organization(&self, caller: &Caller, admin_id: i64) -> DomainResult<()>;
}

/// The organization operations of the API.
#[async_trait]
pub trait OrgService: Send + Sync {
    async fn create_organization(
        &self,
        caller: &Caller,
        req: CreateOrganization,
    ) -> DomainResult<()>;

    async fn get_organization(
        &self,
        caller: &Caller,
        name: &str,
    ) -> DomainResult<OrganizationDetails>;

    async fn update_organization(
        &self,
        caller: &Caller,
        name: &str,
        req: UpdateOrganization,
    ) -> DomainResult<OrganizationDetails>;

    async fn delete_organization(&self, caller: &Caller, name: &str) -> DomainResult<()>;
}

#[cfg(test)]
mod tests;
