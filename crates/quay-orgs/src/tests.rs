//! Service tests over an in-memory `NamespaceStore`.

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use chrono::Utc;
use quay_auth::NamespaceGrant;
use quay_core::config::Config;
use quay_core::role::TeamRole;
use quay_core::scope::ScopeSet;
use quay_core::{AuthMethod, Caller, DomainError, DomainResult, Principal};
use quay_logs::{LogKind, NewLogEntry};
use serde_json::json;

use crate::*;

#[derive(Default)]
struct State {
    namespaces: Vec<Namespace>,
    /// (namespace, user, highest team role)
    members: Vec<(i64, i64, TeamRole)>,
    logs: Vec<NewLogEntry>,
    tokens: Vec<NewTokenGrant>,
}

#[derive(Default)]
struct FakeStore(Mutex<State>);

fn namespace(id: i64, name: &str, organization: bool, email: Option<&str>) -> Namespace {
    Namespace {
        id,
        uuid: format!("uuid-{id}"),
        username: name.into(),
        email: email.map(String::from),
        verified: true,
        organization,
        robot: false,
        enabled: true,
        invoice_email: false,
        invoice_email_address: None,
        tag_expiration_s: 1_209_600,
        given_name: None,
        family_name: None,
        company: None,
        location: None,
        stripe_id: None,
        has_password: !organization,
        creation_date: Utc::now(),
    }
}

#[async_trait]
impl NamespaceStore for FakeStore {
    async fn has_namespaces(&self) -> DomainResult<bool> {
        Ok(!self.0.lock().unwrap().namespaces.is_empty())
    }

    async fn find_namespace(&self, name: &str) -> DomainResult<Option<Namespace>> {
        Ok(self
            .0
            .lock()
            .unwrap()
            .namespaces
            .iter()
            .find(|n| n.username == name)
            .cloned())
    }

    async fn find_namespace_by_id(&self, id: i64) -> DomainResult<Option<Namespace>> {
        let s = self.0.lock().unwrap();
        Ok(s.namespaces.iter().find(|n| n.id == id).cloned())
    }

    async fn email_in_use(&self, email: &str) -> DomainResult<bool> {
        Ok(self
            .0
            .lock()
            .unwrap()
            .namespaces
            .iter()
            .any(|n| n.email.as_deref() == Some(email)))
    }

    async fn list_users(
        &self,
        include_disabled: bool,
        after_id: Option<i64>,
        limit: u64,
    ) -> DomainResult<Vec<Namespace>> {
        let s = self.0.lock().unwrap();
        Ok(s.namespaces
            .iter()
            .filter(|n| {
                !n.organization
                    && (include_disabled || n.enabled)
                    && after_id.is_none_or(|a| n.id > a)
            })
            .take(limit as usize)
            .cloned()
            .collect())
    }

    async fn create_user(&self, user: NewUser, log: NewLogEntry) -> DomainResult<Namespace> {
        let mut s = self.0.lock().unwrap();
        let ns = namespace(
            s.namespaces.len() as i64 + 1,
            &user.username,
            false,
            user.email.as_deref(),
        );
        s.namespaces.push(ns.clone());
        s.logs.push(log);
        Ok(ns)
    }

    async fn initialize_user(
        &self,
        user: NewUser,
        grant: Option<NewTokenGrant>,
        log: NewLogEntry,
    ) -> DomainResult<Namespace> {
        let mut s = self.0.lock().unwrap();
        if !s.namespaces.is_empty() {
            return Err(DomainError::Conflict("not empty".into()));
        }
        let ns = namespace(1, &user.username, false, user.email.as_deref());
        s.namespaces.push(ns.clone());
        s.tokens.extend(grant);
        s.logs.push(log);
        Ok(ns)
    }

    async fn create_organization(
        &self,
        org: NewOrganization,
        mut log: NewLogEntry,
    ) -> DomainResult<Namespace> {
        let mut s = self.0.lock().unwrap();
        let id = s.namespaces.len() as i64 + 100;
        let ns = namespace(id, &org.name, true, org.email.as_deref());
        s.namespaces.push(ns.clone());
        s.members.push((id, org.creator_id, TeamRole::Admin));
        log.account_id = Some(id);
        s.logs.push(log);
        Ok(ns)
    }

    async fn update_namespace(
        &self,
        id: i64,
        changes: NamespaceChanges,
        logs: Vec<NewLogEntry>,
    ) -> DomainResult<Namespace> {
        let mut s = self.0.lock().unwrap();
        let ns = s
            .namespaces
            .iter_mut()
            .find(|n| n.id == id)
            .ok_or(DomainError::NotFound)?;
        if let Some(e) = changes.email {
            ns.email = Some(e);
        }
        if let Some(name) = changes.username {
            ns.username = name;
        }
        if let Some(t) = changes.tag_expiration_s {
            ns.tag_expiration_s = t;
        }
        let updated = ns.clone();
        s.logs.extend(logs);
        Ok(updated)
    }

    async fn delete_namespace(&self, id: i64, log: NewLogEntry) -> DomainResult<()> {
        let mut s = self.0.lock().unwrap();
        s.namespaces.retain(|n| n.id != id);
        s.logs.push(log);
        Ok(())
    }

    async fn list_organizations(
        &self,
        after_id: Option<i64>,
        limit: u64,
    ) -> DomainResult<Vec<Namespace>> {
        let s = self.0.lock().unwrap();
        Ok(s.namespaces
            .iter()
            .filter(|n| n.organization && after_id.is_none_or(|a| n.id > a))
            .take(limit as usize)
            .cloned()
            .collect())
    }

    async fn take_ownership(&self, id: i64, admin_id: i64, log: NewLogEntry) -> DomainResult<()> {
        let mut s = self.0.lock().unwrap();
        let ns = s
            .namespaces
            .iter_mut()
            .find(|n| n.id == id)
            .ok_or(DomainError::NotFound)?;
        ns.organization = true;
        ns.has_password = false;
        s.members.push((id, admin_id, TeamRole::Admin));
        s.logs.push(log);
        Ok(())
    }

    async fn teams(&self, org_id: i64, viewer: Option<i64>) -> DomainResult<Vec<TeamSummary>> {
        let s = self.0.lock().unwrap();
        let members: Vec<_> = s.members.iter().filter(|(o, _, _)| *o == org_id).collect();
        Ok(vec![TeamSummary {
            id: 1,
            name: "owners".into(),
            description: String::new(),
            role: TeamRole::Admin,
            member_count: members.len() as i64,
            repo_count: 0,
            viewer_is_member: members.iter().any(|(_, u, _)| Some(*u) == viewer),
        }])
    }

    async fn namespace_grant(
        &self,
        namespace_id: i64,
        user_id: i64,
    ) -> DomainResult<NamespaceGrant> {
        if namespace_id == user_id {
            return Ok(NamespaceGrant::Owner);
        }
        let s = self.0.lock().unwrap();
        Ok(s.members
            .iter()
            .find(|(o, u, _)| *o == namespace_id && *u == user_id)
            .map_or(NamespaceGrant::None, |(_, _, r)| NamespaceGrant::Team(*r)))
    }

    async fn sole_admin_organizations(&self, user_id: i64) -> DomainResult<Vec<String>> {
        let s = self.0.lock().unwrap();
        let admins = |org: i64| {
            s.members
                .iter()
                .filter(|(o, _, r)| *o == org && *r == TeamRole::Admin)
                .map(|(_, u, _)| *u)
                .collect::<Vec<_>>()
        };
        Ok(s.namespaces
            .iter()
            .filter(|n| n.organization && admins(n.id) == [user_id])
            .map(|n| n.username.clone())
            .collect())
    }

    async fn user_organizations(&self, user_id: i64) -> DomainResult<Vec<(Namespace, TeamRole)>> {
        let s = self.0.lock().unwrap();
        Ok(s.members
            .iter()
            .filter(|(_, u, _)| *u == user_id)
            .filter_map(|(o, _, r)| {
                s.namespaces
                    .iter()
                    .find(|n| n.id == *o)
                    .map(|n| (n.clone(), *r))
            })
            .collect())
    }
}

fn caller(id: i64, name: &str, scopes: &str) -> Caller {
    Caller::user(Principal {
        user_id: id,
        username: name.into(),
        scopes: ScopeSet::parse(scopes).unwrap(),
        method: AuthMethod::OAuthToken(1),
        superuser: false,
        global_readonly_superuser: false,
    })
}

const ADMIN: &str = "user:admin user:read org:admin repo:create";

fn setup() -> (Arc<FakeStore>, Users, Organizations) {
    let store = Arc::new(FakeStore::default());
    let config = Arc::new(Config::default());
    (
        store.clone(),
        Users::new(store.clone(), config.clone()),
        Organizations::new(store, config),
    )
}

fn init(name: &str, token: bool) -> InitializeUser {
    InitializeUser {
        username: name.into(),
        password: "password".into(),
        email: None,
        access_token: token,
    }
}

#[tokio::test]
async fn initialize_once_with_a_token_grant() {
    let (store, users, _) = setup();
    let created = users.initialize(init("admin", true)).await.unwrap();
    let token = created.access_token.unwrap();
    assert_eq!(token.len(), 40);
    {
        let s = store.0.lock().unwrap();
        assert_eq!(s.tokens.len(), 1);
        assert_eq!(s.tokens[0].token_name, token[..20]);
        assert_eq!(s.tokens[0].client_id, "admin");
        assert!(s.tokens[0].scope.contains("super:user"));
        assert_eq!(s.logs[0].kind, LogKind::UserCreate);
    }
    assert_eq!(
        users.initialize(init("other", false)).await.unwrap_err(),
        DomainError::invalid("Cannot initialize user in a non-empty database")
    );
}

#[tokio::test]
async fn current_user_needs_a_user_scope() {
    let (_, users, _) = setup();
    users.initialize(init("admin", false)).await.unwrap();
    let details = users
        .current_user(&caller(1, "admin", "user:read"))
        .await
        .unwrap();
    assert!(!details.is_admin_view);
    assert_eq!(details.organizations, Some(vec![]));
    assert!(
        users
            .current_user(&caller(1, "admin", "user:admin"))
            .await
            .unwrap()
            .is_admin_view
    );
    assert!(matches!(
        users.current_user(&caller(1, "admin", "repo:read")).await,
        Err(DomainError::Unauthenticated(_))
    ));
}

#[tokio::test]
async fn organization_creation_checks_in_quay_order_and_logs() {
    let (store, users, orgs) = setup();
    users.initialize(init("admin", false)).await.unwrap();
    let admin = caller(1, "admin", ADMIN);
    let create = |name: &str, email: Option<&str>| CreateOrganization {
        name: name.into(),
        email: email.map(String::from),
    };
    assert_eq!(
        orgs.create_organization(&caller(1, "admin", "org:admin"), create("x1", None))
            .await,
        Err(DomainError::Forbidden)
    );
    assert_eq!(
        orgs.create_organization(&admin, create("admin", None))
            .await,
        Err(DomainError::invalid(
            "A user or organization with this name already exists"
        ))
    );
    assert!(
        matches!(orgs.create_organization(&admin, create("Bad", None)).await, Err(DomainError::InvalidRequest(m)) if m.starts_with("Invalid namespace Bad: "))
    );
    orgs.create_organization(&admin, create("buynlarge", Some("org@example.com")))
        .await
        .unwrap();
    let s = store.0.lock().unwrap();
    let log = s.logs.last().unwrap();
    assert_eq!(log.kind, LogKind::OrgCreate);
    assert_eq!(
        log.metadata,
        json!({"email": "org@example.com", "namespace": "buynlarge"})
    );
    assert_eq!(s.members, vec![(101, 1, TeamRole::Admin)]);
}

#[tokio::test]
async fn refused_updates_change_nothing() {
    let (store, users, orgs) = setup();
    users.initialize(init("admin", false)).await.unwrap();
    let admin = caller(1, "admin", ADMIN);
    orgs.create_organization(
        &admin,
        CreateOrganization {
            name: "buynlarge".into(),
            email: None,
        },
    )
    .await
    .unwrap();
    let logs_before = store.0.lock().unwrap().logs.len();
    let update = UpdateOrganization {
        email: Some("new@example.com".into()),
        tag_expiration_s: Some(7),
        ..Default::default()
    };
    assert_eq!(
        orgs.update_organization(&admin, "buynlarge", update).await,
        Err(DomainError::invalid("Invalid tag expiration option"))
    );
    let s = store.0.lock().unwrap();
    assert_eq!(s.logs.len(), logs_before);
    assert_eq!(
        s.namespaces
            .iter()
            .find(|n| n.username == "buynlarge")
            .unwrap()
            .email,
        None
    );
}

#[tokio::test]
async fn organization_views_depend_on_membership() {
    let (store, users, orgs) = setup();
    users.initialize(init("admin", false)).await.unwrap();
    store
        .0
        .lock()
        .unwrap()
        .namespaces
        .push(namespace(2, "outsider", false, None));
    let admin = caller(1, "admin", ADMIN);
    orgs.create_organization(
        &admin,
        CreateOrganization {
            name: "buynlarge".into(),
            email: None,
        },
    )
    .await
    .unwrap();
    let mine = orgs.get_organization(&admin, "buynlarge").await.unwrap();
    assert!(mine.is_admin && mine.is_member);
    assert!(mine.teams.unwrap()[0].can_view);
    let theirs = orgs
        .get_organization(&caller(2, "outsider", ADMIN), "buynlarge")
        .await
        .unwrap();
    assert!(!theirs.is_admin && !theirs.is_member && theirs.teams.is_none());
    assert!(orgs
        .get_organization(&Caller::anonymous(), "buynlarge")
        .await
        .unwrap()
        .teams
        .is_none());
    // Permission before existence for changes; users are not organizations.
    assert_eq!(
        orgs.delete_organization(&caller(2, "outsider", ADMIN), "buynlarge")
            .await,
        Err(DomainError::Forbidden)
    );
    assert_eq!(
        orgs.delete_organization(&caller(2, "outsider", ADMIN), "ghost")
            .await,
        Err(DomainError::Forbidden)
    );
    assert_eq!(
        orgs.get_organization(&admin, "admin").await,
        Err(DomainError::NotFound)
    );
    orgs.delete_organization(&admin, "buynlarge").await.unwrap();
    assert_eq!(
        store.0.lock().unwrap().logs.last().unwrap().kind,
        LogKind::OrgDelete
    );
}
