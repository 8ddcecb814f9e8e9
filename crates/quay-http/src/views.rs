//! Wire types: Quay's JSON views, field names and key order, built from domain types.

use quay_core::avatar::{avatar, Avatar, AvatarKind};
use quay_orgs::{Namespace, OrganizationDetails, TeamDetails, UserDetails, UserOrganization};
use quay_repos::{RepositoryDetails, RepositoryListItem};
use serde::Serialize;
use serde_json::{Map, Value};

fn namespace_avatar(ns: &Namespace, kind: AvatarKind) -> Avatar {
    avatar(&ns.username, ns.email.as_deref(), kind)
}

/// `GET /api/v1/repository/{repository}`.
#[derive(Serialize)]
pub struct RepositoryView {
    pub namespace: String,
    pub name: String,
    pub kind: &'static str,
    pub description: Option<String>,
    pub is_public: bool,
    pub is_organization: bool,
    pub is_starred: bool,
    pub status_token: String,
    pub trust_enabled: bool,
    pub tag_expiration_s: i64,
    pub is_free_account: bool,
    pub state: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tags: Option<Map<String, Value>>,
    pub can_write: bool,
    pub can_admin: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stats: Option<Vec<DailyCount>>,
}

#[derive(Serialize)]
pub struct DailyCount {
    pub date: String,
    pub count: i64,
}

impl RepositoryView {
    pub fn new(d: RepositoryDetails, include_tags: bool, stats: Option<Vec<DailyCount>>) -> Self {
        let r = d.repository;
        let public = r.visibility.is_public();
        RepositoryView {
            kind: r.kind.as_str(),
            is_public: public,
            is_organization: r.namespace_is_org,
            is_starred: d.starred,
            // Quay hides the badge token of public repositories (their badge needs none).
            status_token: if public { String::new() } else { r.badge_token },
            // Content trust (FEATURE_SIGNING) is not supported, so never enabled.
            trust_enabled: false,
            tag_expiration_s: r.namespace_tag_expiration_s,
            // Billing is not supported: every account is a free account.
            is_free_account: true,
            state: r.state.as_str(),
            // No tags exist until the registry can push them; the view lists what exists.
            tags: include_tags.then(Map::new),
            can_write: d.can_write,
            can_admin: d.can_admin,
            stats,
            namespace: r.namespace,
            name: r.name,
            description: r.description,
        }
    }
}

/// One repository of `GET /api/v1/repository`.
#[derive(Serialize)]
pub struct RepositoryListItemView {
    pub namespace: String,
    pub name: String,
    pub description: Option<String>,
    pub is_public: bool,
    /// Quay echoes the requested `repo_kind` here.
    pub kind: String,
    pub state: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_modified: Option<Option<i64>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub popularity: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_starred: Option<bool>,
}

/// Which optional fields a listing shows.
pub struct ListOptions<'a> {
    pub kind: &'a str,
    pub last_modified: bool,
    pub popularity: bool,
    pub authenticated: bool,
}

impl RepositoryListItemView {
    pub fn new(item: RepositoryListItem, o: &ListOptions<'_>) -> Self {
        let r = item.repository;
        RepositoryListItemView {
            is_public: r.visibility.is_public(),
            kind: o.kind.to_string(),
            state: r.state.as_str(),
            last_modified: o
                .last_modified
                .then(|| r.last_modified.map(|t| t.timestamp())),
            popularity: o.popularity.then_some(item.action_count as f64),
            is_starred: o.authenticated.then_some(item.starred),
            namespace: r.namespace,
            name: r.name,
            description: r.description,
        }
    }
}

#[derive(Serialize)]
pub struct RepositoryList {
    pub repositories: Vec<RepositoryListItemView>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_page: Option<String>,
}

/// A team inside an organization view.
#[derive(Serialize)]
pub struct TeamView {
    pub name: String,
    pub description: String,
    pub role: &'static str,
    pub avatar: Avatar,
    pub can_view: bool,
    pub repo_count: i64,
    pub member_count: i64,
    /// Team syncing with an external directory is not supported.
    pub is_synced: bool,
}

impl TeamView {
    fn new(t: TeamDetails) -> Self {
        TeamView {
            avatar: avatar(&t.team.name, Some(&t.team.name), AvatarKind::Team),
            role: t.team.role.as_str(),
            can_view: t.can_view,
            repo_count: t.team.repo_count,
            member_count: t.team.member_count,
            is_synced: false,
            name: t.team.name,
            description: t.team.description,
        }
    }
}

/// `GET /api/v1/organization/{orgname}`.
#[derive(Serialize)]
pub struct OrganizationView {
    pub name: String,
    pub email: String,
    pub avatar: Avatar,
    pub is_admin: bool,
    pub is_member: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub teams: Option<Map<String, Value>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ordered_teams: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub invoice_email: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub invoice_email_address: Option<Option<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tag_expiration_s: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_free_account: Option<bool>,
}

impl OrganizationView {
    pub fn new(d: OrganizationDetails) -> Self {
        let org = d.org;
        let admin = d.is_admin;
        let (teams, ordered_teams) = match d.teams {
            Some(teams) => {
                let ordered: Vec<String> = teams.iter().map(|t| t.team.name.clone()).collect();
                let map = teams
                    .into_iter()
                    .map(|t| {
                        let name = t.team.name.clone();
                        (
                            name,
                            serde_json::to_value(TeamView::new(t)).unwrap_or_default(),
                        )
                    })
                    .collect();
                (Some(map), Some(ordered))
            }
            None => (None, None),
        };
        OrganizationView {
            // Quay renders the organization's own avatar as a user's.
            avatar: namespace_avatar(&org, AvatarKind::User),
            email: if admin {
                org.email.clone().unwrap_or_default()
            } else {
                String::new()
            },
            is_admin: admin,
            is_member: d.is_member,
            teams,
            ordered_teams,
            invoice_email: admin.then_some(org.invoice_email),
            invoice_email_address: admin.then(|| org.invoice_email_address.clone()),
            tag_expiration_s: admin.then_some(org.tag_expiration_s),
            is_free_account: admin.then_some(org.stripe_id.is_none()),
            name: org.username,
        }
    }
}

/// An organization inside a user view.
#[derive(Serialize)]
pub struct UserOrganizationView {
    pub name: String,
    pub avatar: Avatar,
    pub can_create_repo: bool,
    pub public: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_org_admin: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub preferred_namespace: Option<bool>,
}

/// `GET /api/v1/user/` and `GET /api/v1/users/{username}` (Quay's `user_view`).
#[derive(Serialize)]
pub struct UserView {
    pub anonymous: bool,
    pub username: String,
    pub avatar: Avatar,
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub private: Option<UserPrivateView>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub organizations: Option<Vec<UserOrganizationView>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub super_user: Option<bool>,
}

/// The fields only the account's administrator sees.
#[derive(Serialize)]
pub struct UserPrivateView {
    pub can_create_repo: bool,
    pub is_me: bool,
    pub verified: bool,
    pub email: Option<String>,
    pub logins: Vec<Value>,
    pub invoice_email: bool,
    pub invoice_email_address: Option<String>,
    pub preferred_namespace: bool,
    pub tag_expiration_s: i64,
    pub prompts: Vec<String>,
    pub company: Option<String>,
    pub family_name: Option<String>,
    pub given_name: Option<String>,
    pub location: Option<String>,
    pub is_free_account: bool,
    pub has_password_set: bool,
}

impl UserView {
    pub fn new(d: UserDetails) -> Self {
        let u = d.user;
        let admin = d.is_admin_view;
        let private = admin.then(|| UserPrivateView {
            can_create_repo: true,
            is_me: true,
            verified: u.verified,
            email: u.email.clone(),
            // External login providers are not supported: a user has none linked.
            logins: Vec::new(),
            invoice_email: u.invoice_email,
            invoice_email_address: u.invoice_email_address.clone(),
            preferred_namespace: u.stripe_id.is_some(),
            tag_expiration_s: u.tag_expiration_s,
            prompts: Vec::new(),
            company: u.company.clone(),
            family_name: u.family_name.clone(),
            given_name: u.given_name.clone(),
            location: u.location.clone(),
            is_free_account: u.stripe_id.is_none(),
            has_password_set: u.has_password,
        });
        let organizations = d.organizations.map(|orgs| {
            orgs.into_iter()
                .map(|o: UserOrganization| UserOrganizationView {
                    avatar: namespace_avatar(&o.org, AvatarKind::Org),
                    can_create_repo: o.can_create_repo,
                    public: o.public,
                    is_org_admin: admin.then_some(o.is_org_admin),
                    preferred_namespace: admin.then_some(o.org.stripe_id.is_some()),
                    name: o.org.username,
                })
                .collect()
        });
        UserView {
            anonymous: false,
            avatar: namespace_avatar(
                &u,
                if u.robot {
                    AvatarKind::Robot
                } else {
                    AvatarKind::User
                },
            ),
            username: u.username,
            private,
            organizations,
            super_user: d.super_user,
        }
    }
}
