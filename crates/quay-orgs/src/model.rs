//! Namespace data as the domain sees it.

use chrono::{DateTime, Utc};
use quay_core::role::TeamRole;

/// A row of the namespace table: a user, an organization or a robot.
#[derive(Debug, Clone, PartialEq)]
pub struct Namespace {
    pub id: i64,
    pub uuid: String,
    pub username: String,
    pub email: Option<String>,
    pub verified: bool,
    pub organization: bool,
    pub robot: bool,
    pub enabled: bool,
    pub invoice_email: bool,
    pub invoice_email_address: Option<String>,
    /// The time-machine window (`tag_expiration_s` in the API).
    pub tag_expiration_s: i64,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    pub company: Option<String>,
    pub location: Option<String>,
    /// Billing customer id; `None` means a free account.
    pub stripe_id: Option<String>,
    pub has_password: bool,
    pub creation_date: DateTime<Utc>,
}

/// A user to create (the password already hashed).
#[derive(Debug, Clone, PartialEq)]
pub struct NewUser {
    pub username: String,
    pub email: Option<String>,
    pub password_hash: String,
    pub verified: bool,
    pub tag_expiration_s: i64,
    pub created: DateTime<Utc>,
}

/// An OAuth application and an access token for the new user, created with it.
#[derive(Debug, Clone, PartialEq)]
pub struct NewTokenGrant {
    pub client_id: String,
    pub application_name: String,
    pub application_description: String,
    pub token_name: String,
    pub token_code_digest: String,
    pub scope: String,
    pub expires_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewOrganization {
    pub name: String,
    pub email: Option<String>,
    pub creator_id: i64,
    pub tag_expiration_s: i64,
    pub created: DateTime<Utc>,
}

/// Changes to a namespace's settings; `None` leaves a field alone.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NamespaceChanges {
    /// A new name; the namespace's robots are renamed with it.
    pub username: Option<String>,
    pub email: Option<String>,
    /// Whether the (new) e-mail address counts as verified.
    pub verified: Option<bool>,
    pub password_hash: Option<String>,
    pub enabled: Option<bool>,
    /// Give the user a new uuid, ending all their sessions.
    pub rotate_uuid: bool,
    /// Profile fields (`Some(None)` clears one).
    pub given_name: Option<Option<String>>,
    pub family_name: Option<Option<String>>,
    pub company: Option<Option<String>>,
    pub location: Option<Option<String>>,
    pub invoice_email: Option<bool>,
    /// `Some(None)` clears the address.
    pub invoice_email_address: Option<Option<String>>,
    pub tag_expiration_s: Option<i64>,
}

impl NamespaceChanges {
    pub fn is_empty(&self) -> bool {
        *self == NamespaceChanges::default()
    }
}

/// A team as an organization view lists it.
#[derive(Debug, Clone, PartialEq)]
pub struct TeamSummary {
    pub id: i64,
    pub name: String,
    pub description: String,
    pub role: TeamRole,
    pub member_count: i64,
    pub repo_count: i64,
    pub viewer_is_member: bool,
}

/// A team with whether the viewer may look inside it.
#[derive(Debug, Clone, PartialEq)]
pub struct TeamDetails {
    pub team: TeamSummary,
    pub can_view: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct InitializeUser {
    pub username: String,
    pub password: String,
    pub email: Option<String>,
    /// Also create an OAuth application and an access token with every scope.
    pub access_token: bool,
}

/// Changes to one's own account (`PUT /api/v1/user/`); `None` leaves a field alone.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct UpdateAccount {
    pub password: Option<String>,
    pub email: Option<String>,
    pub username: Option<String>,
    pub invoice_email: Option<bool>,
    pub invoice_email_address: Option<Option<String>>,
    pub tag_expiration_s: Option<i64>,
    pub given_name: Option<Option<String>>,
    pub family_name: Option<Option<String>>,
    pub company: Option<Option<String>>,
    pub location: Option<Option<String>>,
}

/// A self-service account (`POST /api/v1/user/`).
#[derive(Debug, Clone, PartialEq)]
pub struct CreateAccount {
    pub username: String,
    pub password: String,
    pub email: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct InitializedUser {
    pub user: Namespace,
    /// Shown once; only its digest is stored.
    pub access_token: Option<String>,
}

/// An organization the viewed user belongs to, as the user view shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct UserOrganization {
    pub org: Namespace,
    pub can_create_repo: bool,
    pub is_org_admin: bool,
    pub public: bool,
}

/// A user as one caller may see them.
#[derive(Debug, Clone, PartialEq)]
pub struct UserDetails {
    pub user: Namespace,
    /// The caller administers this account: the full view.
    pub is_admin_view: bool,
    /// Present when the caller may read the account: its organizations.
    pub organizations: Option<Vec<UserOrganization>>,
    /// Present only when the caller is a superuser: whether this is the caller.
    pub super_user: Option<bool>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct CreateOrganization {
    pub name: String,
    pub email: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct UpdateOrganization {
    pub email: Option<String>,
    pub invoice_email: Option<bool>,
    pub invoice_email_address: Option<Option<String>>,
    pub tag_expiration_s: Option<i64>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct OrganizationDetails {
    pub org: Namespace,
    pub is_admin: bool,
    pub is_member: bool,
    /// Present for members (and superusers with full access).
    pub teams: Option<Vec<TeamDetails>>,
}
