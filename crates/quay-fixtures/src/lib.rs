//! Named data sets (`fixtures/<set>/data.yaml`, compiled in) for `quayd fixtures load`
//! and for tests, built through the same services the API uses, so a fixture is exactly
//! what the API would have made of the same requests. The first set, `quay-test`, is
//! Quay's own test database as far as who-may-do-what goes
//! (`shared/reference/FIXTURES-CONTRACT.md`).

use std::collections::BTreeMap;

use chrono::Utc;
use quay_auth::secret::hash_password;
use quay_core::config::Config;
use quay_core::names::RepositoryName;
use quay_core::role::{RepositoryKind, Role, TeamRole, Visibility};
use quay_core::scope::ScopeSet;
use quay_core::{AuthMethod, Caller, Principal};
use quay_http::AppState;
use quay_logs::{LogKind, NewLogEntry};
use quay_orgs::applications::ApplicationFields;
use quay_orgs::teams::{SaveTeam, TeamStore};
use quay_orgs::{CreateOrganization, NamespaceStore, NewUser};
use quay_persistence::SqlStore;
use quay_repos::autoprune::{PolicyInput, PolicyTarget};
use quay_repos::CreateRepository;
use serde::Deserialize;
use serde_json::json;

/// The password of every fixture user.
pub const PASSWORD: &str = "password";

/// The sets this binary knows, by name.
pub fn data(set: &str) -> Option<&'static str> {
    match set {
        "quay-test" => Some(include_str!("../../../fixtures/quay-test/data.yaml")),
        _ => None,
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FixtureSet {
    users: Vec<User>,
    organizations: Vec<Organization>,
    repositories: Vec<Repository>,
    #[serde(default)]
    autoprune_policies: Vec<AutoprunePolicy>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct User {
    name: String,
    email: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Organization {
    name: String,
    email: String,
    owner: String,
    #[serde(default)]
    teams: Vec<Team>,
    #[serde(default)]
    applications: Vec<Application>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Team {
    name: String,
    role: String,
    #[serde(default)]
    members: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Application {
    name: String,
    #[serde(default)]
    application_uri: String,
    #[serde(default)]
    redirect_uri: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Repository {
    name: String,
    visibility: String,
    description: String,
    creator: String,
    #[serde(default = "yes")]
    creator_permission: bool,
    #[serde(default)]
    users: BTreeMap<String, String>,
    #[serde(default)]
    teams: BTreeMap<String, String>,
}

/// A namespace's policy (`namespace`) or a repository's (`repository`).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AutoprunePolicy {
    namespace: Option<String>,
    repository: Option<String>,
    method: String,
    value: serde_yaml::Value,
    by: String,
}

fn yes() -> bool {
    true
}

/// What a load made, for the command's report.
#[derive(Debug, Default)]
pub struct Loaded {
    pub users: usize,
    pub organizations: usize,
    pub teams: usize,
    pub repositories: usize,
    pub autoprune_policies: usize,
}

/// Acting users by name, signed in now (fresh), as the API would see them.
struct Actors {
    ids: BTreeMap<String, i64>,
    config: Config,
}

impl Actors {
    fn caller(&self, name: &str) -> Result<Caller, String> {
        let user_id = *self
            .ids
            .get(name)
            .ok_or_else(|| format!("fixture names an unknown user: {name}"))?;
        Ok(Caller::user(Principal {
            user_id,
            username: name.to_string(),
            scopes: ScopeSet::session(),
            method: AuthMethod::Session {
                login_time: Utc::now().timestamp(),
            },
            superuser: self.config.super_users.iter().any(|s| s == name),
            global_readonly_superuser: self
                .config
                .global_readonly_super_users
                .iter()
                .any(|s| s == name),
        }))
    }
}

fn role<T>(parse: fn(&str) -> Option<T>, s: &str) -> Result<T, String> {
    parse(s).ok_or_else(|| format!("fixture names an unknown role: {s}"))
}

/// Loads `text` (a fixture set) into the empty database behind `state`.
pub async fn load(state: &AppState, text: &str) -> Result<Loaded, String> {
    // One hash for all: same password, and bcrypt is slow on purpose.
    load_with_password_hash(state, text, &hash_password(PASSWORD)?).await
}

/// [`load`] with the bcrypt hash of [`PASSWORD`] computed once by the caller (tests
/// that load a set many times).
pub async fn load_with_password_hash(
    state: &AppState,
    text: &str,
    hash: &str,
) -> Result<Loaded, String> {
    let set: FixtureSet =
        serde_yaml::from_str(text).map_err(|e| format!("invalid fixture set: {e}"))?;
    let store = SqlStore::new(state.db.clone());
    let err = |e: quay_core::DomainError| e.to_string();
    let mut loaded = Loaded::default();

    let mut actors = Actors {
        ids: BTreeMap::new(),
        config: (*state.config).clone(),
    };
    for user in &set.users {
        let log = NewLogEntry::new(
            LogKind::UserCreate,
            &Caller::anonymous(),
            None,
            json!({"username": user.name, "email": user.email}),
        );
        let new = NewUser {
            username: user.name.clone(),
            email: Some(user.email.clone()),
            password_hash: hash.to_string(),
            verified: true,
            tag_expiration_s: state.config.default_tag_expiration_seconds(),
            created: Utc::now(),
        };
        let created = store.create_user(new, log).await.map_err(err)?;
        actors.ids.insert(user.name.clone(), created.id);
        loaded.users += 1;
    }

    for org in &set.organizations {
        let owner = actors.caller(&org.owner)?;
        let create = CreateOrganization {
            name: org.name.clone(),
            email: Some(org.email.clone()),
        };
        state
            .orgs
            .create_organization(&owner, create)
            .await
            .map_err(err)?;
        loaded.organizations += 1;
        for team in &org.teams {
            let save = SaveTeam {
                role: role(TeamRole::parse, &team.role)?,
                description: None,
            };
            let view = state
                .teams
                .save_team(&owner, &org.name, &team.name, save)
                .await
                .map_err(err)?;
            loaded.teams += 1;
            // Members join directly: an invite would wait for the invitee.
            for member in &team.members {
                let user_id = *actors
                    .ids
                    .get(member)
                    .ok_or_else(|| format!("fixture names an unknown user: {member}"))?;
                let log = NewLogEntry::new(
                    LogKind::OrgAddTeamMember,
                    &owner,
                    Some(view.team.org_id),
                    json!({"member": member, "team": team.name}),
                );
                store
                    .add_team_member(view.team.id, user_id, log)
                    .await
                    .map_err(err)?;
            }
        }
        for app in &org.applications {
            let fields = ApplicationFields {
                name: app.name.clone(),
                description: String::new(),
                application_uri: app.application_uri.clone(),
                redirect_uri: app.redirect_uri.clone(),
                avatar_email: None,
            };
            state
                .applications
                .create_application(&owner, &org.name, fields, json!({"name": app.name}))
                .await
                .map_err(err)?;
        }
    }

    for repo in &set.repositories {
        let (namespace, name) = repo
            .name
            .split_once('/')
            .ok_or_else(|| format!("repository {} has no namespace", repo.name))?;
        let creator = actors.caller(&repo.creator)?;
        let create = CreateRepository {
            namespace: Some(namespace.to_string()),
            name: name.to_string(),
            visibility: role(Visibility::parse, &repo.visibility)?,
            description: repo.description.clone(),
            kind: RepositoryKind::Image,
        };
        state
            .repos
            .create_repository(&creator, create)
            .await
            .map_err(err)?;
        loaded.repositories += 1;
        let target = RepositoryName::new(namespace, name);
        for (user, r) in &repo.users {
            state
                .permissions
                .set_user_permission(&creator, &target, user, role(Role::parse, r)?)
                .await
                .map_err(err)?;
        }
        for (team, r) in &repo.teams {
            state
                .permissions
                .set_team_permission(&creator, &target, team, role(Role::parse, r)?)
                .await
                .map_err(err)?;
        }
        if !repo.creator_permission {
            state
                .permissions
                .delete_user_permission(&creator, &target, &repo.creator)
                .await
                .map_err(err)?;
        }
    }

    for policy in &set.autoprune_policies {
        let target = match (&policy.namespace, &policy.repository) {
            (Some(ns), None) => PolicyTarget::Organization(ns.clone()),
            (None, Some(repo)) => {
                let (ns, name) = repo
                    .split_once('/')
                    .ok_or_else(|| format!("repository {repo} has no namespace"))?;
                PolicyTarget::Repository(RepositoryName::new(ns, name))
            }
            _ => return Err("an auto-prune policy names a namespace or a repository".into()),
        };
        let value = serde_json::to_value(&policy.value).map_err(|e| e.to_string())?;
        let input = PolicyInput {
            method: json!(policy.method),
            value,
            tag_pattern: None,
            tag_pattern_matches: None,
        };
        state
            .autoprune
            .create_policy(&actors.caller(&policy.by)?, &target, input)
            .await
            .map_err(err)?;
        loaded.autoprune_policies += 1;
    }
    Ok(loaded)
}
