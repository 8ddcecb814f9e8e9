//! Default permissions of organizations ("permission prototypes"): [`PrototypeService`]
//! over a [`PrototypeStore`].
//!
//! A prototype says: when `activating_user` (or anyone, if unset) creates a repository in
//! the organization, give the delegate (a user, robot or team) `role` on it. They are
//! applied by the repository store inside the creating transaction (creator-specific
//! prototypes win over generic ones; the creator is admin anyway).

use std::sync::Arc;

use async_trait::async_trait;
use quay_auth::secret::random_uuid;
use quay_core::role::Role;
use quay_core::{Caller, DomainError, DomainResult};
use quay_logs::{LogKind, NewLogEntry};
use serde_json::json;

use crate::teams::{Member, TeamStore, Teams};
use crate::{Namespace, NamespaceStore};

/// A user or robot named by a prototype.
#[derive(Debug, Clone, PartialEq)]
pub struct PrototypeUser {
    pub member: Member,
    /// A robot, or a user in a team of the organization.
    pub is_org_member: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Delegate {
    User(PrototypeUser),
    Team(String),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Prototype {
    pub uuid: String,
    pub activating_user: Option<PrototypeUser>,
    pub delegate: Delegate,
    pub role: Role,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewPrototype {
    pub org_id: i64,
    pub uuid: String,
    pub activating_user_id: Option<i64>,
    pub delegate_user_id: Option<i64>,
    pub delegate_team_id: Option<i64>,
    pub role: Role,
}

/// Storage of prototypes (implemented by `quay-persistence`).
#[async_trait]
pub trait PrototypeStore: Send + Sync {
    /// The organization's prototypes in creation order (one, with `uuid`).
    async fn prototypes(&self, org_id: i64, uuid: Option<&str>) -> DomainResult<Vec<Prototype>>;

    async fn create_prototype(&self, new: NewPrototype, log: NewLogEntry) -> DomainResult<()>;

    async fn set_prototype_role(
        &self,
        org_id: i64,
        uuid: &str,
        role: Role,
        log: NewLogEntry,
    ) -> DomainResult<()>;

    async fn delete_prototype(&self, org_id: i64, uuid: &str, log: NewLogEntry)
        -> DomainResult<()>;
}

/// What `POST .../prototypes` asks for.
#[derive(Debug, Clone, PartialEq)]
pub struct CreatePrototype {
    pub activating_user: Option<String>,
    pub delegate: DelegateRef,
    pub role: Role,
}

#[derive(Debug, Clone, PartialEq)]
pub enum DelegateRef {
    User(String),
    Team(String),
}

#[async_trait]
pub trait PrototypeService: Send + Sync {
    async fn list(&self, caller: &Caller, org: &str) -> DomainResult<Vec<Prototype>>;

    async fn create(
        &self,
        caller: &Caller,
        org: &str,
        req: CreatePrototype,
    ) -> DomainResult<Prototype>;

    async fn set_role(
        &self,
        caller: &Caller,
        org: &str,
        uuid: &str,
        role: Role,
    ) -> DomainResult<Prototype>;

    async fn delete(&self, caller: &Caller, org: &str, uuid: &str) -> DomainResult<()>;
}

pub struct Prototypes {
    namespaces: Arc<dyn NamespaceStore>,
    teams: Arc<dyn TeamStore>,
    store: Arc<dyn PrototypeStore>,
    access: Arc<Teams>,
}

impl Prototypes {
    /// `access` decides who administers (and who may read) an organization.
    pub fn new(
        namespaces: Arc<dyn NamespaceStore>,
        teams: Arc<dyn TeamStore>,
        store: Arc<dyn PrototypeStore>,
        access: Arc<Teams>,
    ) -> Self {
        Self {
            namespaces,
            teams,
            store,
            access,
        }
    }

    async fn find(&self, org: &Namespace, uuid: &str) -> DomainResult<Prototype> {
        self.store
            .prototypes(org.id, Some(uuid))
            .await?
            .into_iter()
            .next()
            .ok_or(DomainError::NotFound)
    }

    /// Quay's `log_prototype_action` metadata.
    #[allow(clippy::too_many_arguments)]
    fn log(
        kind: LogKind,
        caller: &Caller,
        org: &Namespace,
        uuid: &str,
        activating: Option<&str>,
        delegate: &DelegateRef,
        role: Role,
        original_role: Option<Role>,
    ) -> NewLogEntry {
        let mut metadata = json!({
            "prototypeid": uuid,
            "username": caller.principal.as_ref().map(|c| c.username.clone()),
            "activating_username": activating,
            "role": role.as_str(),
        });
        match delegate {
            DelegateRef::User(name) => metadata["delegate_user"] = json!(name),
            DelegateRef::Team(name) => metadata["delegate_team"] = json!(name),
        }
        if let Some(original) = original_role {
            metadata["original_role"] = json!(original.as_str());
        }
        NewLogEntry::new(kind, caller, Some(org.id), metadata)
    }

    fn log_existing(
        kind: LogKind,
        caller: &Caller,
        org: &Namespace,
        p: &Prototype,
        original_role: Option<Role>,
    ) -> NewLogEntry {
        let delegate = match &p.delegate {
            Delegate::User(u) => DelegateRef::User(u.member.name.clone()),
            Delegate::Team(t) => DelegateRef::Team(t.clone()),
        };
        let activating = p.activating_user.as_ref().map(|u| u.member.name.as_str());
        Self::log(
            kind,
            caller,
            org,
            &p.uuid,
            activating,
            &delegate,
            p.role,
            original_role,
        )
    }

    /// A user or robot (not an organization).
    async fn account(&self, name: &str) -> DomainResult<Option<Namespace>> {
        Ok(self
            .namespaces
            .find_namespace(name)
            .await?
            .filter(|n| !n.organization))
    }
}

#[async_trait]
impl PrototypeService for Prototypes {
    async fn list(&self, caller: &Caller, org: &str) -> DomainResult<Vec<Prototype>> {
        let org = self.access.readable_org(caller, org).await?;
        self.store.prototypes(org.id, None).await
    }

    async fn create(
        &self,
        caller: &Caller,
        org: &str,
        req: CreatePrototype,
    ) -> DomainResult<Prototype> {
        let org = self.access.administered_org(caller, org).await?;
        let activating_user_id = match &req.activating_user {
            Some(name) => Some(
                self.account(name)
                    .await?
                    .ok_or_else(|| DomainError::invalid("Unknown activating user"))?
                    .id,
            ),
            None => None,
        };
        let (delegate_user_id, delegate_team_id) = match &req.delegate {
            DelegateRef::User(name) => {
                let user = self
                    .account(name)
                    .await?
                    .ok_or_else(|| DomainError::invalid("Missing delegate user or team"))?;
                // Quay lets another namespace's robot in; it could never use the grant
                // rightfully, so it is refused as the team API refuses it.
                if user.robot && !name.starts_with(&format!("{}+", org.username)) {
                    return Err(DomainError::invalid(format!(
                        "Cannot add robot {name} under namespace {}",
                        org.username
                    )));
                }
                (Some(user.id), None)
            }
            DelegateRef::Team(name) => {
                let team = self.teams.find_team(org.id, name).await?.ok_or_else(|| {
                    DomainError::rejected(format!("Team does not exist: {}/{name}", org.username))
                })?;
                (None, Some(team.id))
            }
        };
        let uuid = random_uuid();
        let new = NewPrototype {
            org_id: org.id,
            uuid: uuid.clone(),
            activating_user_id,
            delegate_user_id,
            delegate_team_id,
            role: req.role,
        };
        let log = Self::log(
            LogKind::CreatePrototypePermission,
            caller,
            &org,
            &uuid,
            req.activating_user.as_deref(),
            &req.delegate,
            req.role,
            None,
        );
        self.store.create_prototype(new, log).await?;
        self.find(&org, &uuid).await
    }

    async fn set_role(
        &self,
        caller: &Caller,
        org: &str,
        uuid: &str,
        role: Role,
    ) -> DomainResult<Prototype> {
        let org = self.access.administered_org(caller, org).await?;
        let mut prototype = self.find(&org, uuid).await?;
        let original = prototype.role;
        prototype.role = role;
        let log = Self::log_existing(
            LogKind::ModifyPrototypePermission,
            caller,
            &org,
            &prototype,
            Some(original),
        );
        self.store
            .set_prototype_role(org.id, uuid, role, log)
            .await?;
        Ok(prototype)
    }

    async fn delete(&self, caller: &Caller, org: &str, uuid: &str) -> DomainResult<()> {
        let org = self.access.administered_org(caller, org).await?;
        let prototype = self.find(&org, uuid).await?;
        let log = Self::log_existing(
            LogKind::DeletePrototypePermission,
            caller,
            &org,
            &prototype,
            None,
        );
        self.store.delete_prototype(org.id, uuid, log).await
    }
}
