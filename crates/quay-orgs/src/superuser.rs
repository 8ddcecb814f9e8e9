//! [`SuperUsers`]: the superuser panel's management of users and organizations
//! (`/api/v1/superuser/users/`, `/organizations/`, `/takeownership/`).
//!
//! Only callers with superuser powers (listed in `SUPER_USERS`, and a session or a token
//! with `super:user`) get in, after a fresh login; superusers themselves cannot be
//! changed or deleted through it, as in Quay.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::Utc;
use quay_auth::{secret, Authorizer};
use quay_core::config::Config;
use quay_core::names::check_namespace;
use quay_core::{Caller, DomainError, DomainResult};
use quay_logs::{LogKind, NewLogEntry};
use serde_json::json;

use crate::users::{check_email, is_valid_password, INVALID_PASSWORD_MESSAGE};
use crate::*;

/// Most users one page of the listing holds.
pub const MAX_USERS_PER_PAGE: u64 = 100;

/// A user created by a superuser, with the generated password (shown once).
#[derive(Debug, Clone, PartialEq)]
pub struct CreatedUser {
    pub user: Namespace,
    pub password: String,
}

/// Changes a superuser may make to a user.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct UserChanges {
    pub password: Option<String>,
    pub email: Option<String>,
    pub enabled: Option<bool>,
}

#[async_trait]
pub trait SuperuserService: Send + Sync {
    /// Users in id order after `after_id`; `None` for the next page when this is the last.
    async fn list_users(
        &self,
        caller: &Caller,
        include_disabled: bool,
        after_id: Option<i64>,
        limit: u64,
    ) -> DomainResult<(Vec<Namespace>, Option<i64>)>;
    async fn create_user(
        &self,
        caller: &Caller,
        username: String,
        email: Option<String>,
    ) -> DomainResult<CreatedUser>;
    async fn get_user(&self, caller: &Caller, username: &str) -> DomainResult<Namespace>;
    async fn update_user(
        &self,
        caller: &Caller,
        username: &str,
        changes: UserChanges,
    ) -> DomainResult<Namespace>;
    async fn delete_user(&self, caller: &Caller, username: &str) -> DomainResult<()>;

    /// `GET /api/v1/superuser/organizations/`: organizations in id order after
    /// `after_id`, and the id to continue after when there are more.
    async fn list_organizations(
        &self,
        caller: &Caller,
        after_id: Option<i64>,
        limit: u64,
    ) -> DomainResult<(Vec<Namespace>, Option<i64>)>;

    /// `PUT /api/v1/superuser/organizations/{name}`: renames the organization (and its
    /// robots) when `new_name` is given.
    async fn change_organization(
        &self,
        caller: &Caller,
        name: &str,
        new_name: Option<String>,
    ) -> DomainResult<Namespace>;

    /// `DELETE /api/v1/superuser/organizations/{name}`.
    async fn delete_organization(&self, caller: &Caller, name: &str) -> DomainResult<()>;

    /// `POST /api/v1/superuser/takeownership/{namespace}`: the caller becomes an
    /// administrator of the organization, or of the user turned into one.
    async fn take_ownership(&self, caller: &Caller, namespace: &str) -> DomainResult<()>;
}

/// Cuts a `limit + 1` fetch to `limit`: the page, and the id to continue after.
fn next_page(rows: &mut Vec<Namespace>, limit: u64) -> (Vec<Namespace>, Option<i64>) {
    let next = if rows.len() as u64 > limit {
        rows.truncate(limit as usize);
        rows.last().map(|n| n.id)
    } else {
        None
    };
    (std::mem::take(rows), next)
}

pub struct SuperUsers {
    store: Arc<dyn NamespaceStore>,
    config: Arc<Config>,
    authz: Authorizer,
}

impl SuperUsers {
    pub fn new(store: Arc<dyn NamespaceStore>, config: Arc<Config>) -> Self {
        let authz = Authorizer::new(&config);
        Self {
            store,
            config,
            authz,
        }
    }

    /// Quay's `@require_fresh_login` + `SuperUserPermission`.
    fn require_superuser(&self, caller: &Caller) -> DomainResult<()> {
        self.require_panel(caller, |p| p.superuser)
    }

    /// Reading through the superuser panel: superusers, and global read-only superusers
    /// (`GLOBAL_READONLY_SUPER_USERS`), who may read everything and change nothing.
    fn require_superuser_read(&self, caller: &Caller) -> DomainResult<()> {
        self.require_panel(caller, |p| p.superuser || p.global_readonly_superuser)
    }

    fn require_panel(
        &self,
        caller: &Caller,
        allowed: impl Fn(&quay_core::Principal) -> bool,
    ) -> DomainResult<()> {
        let timeout = self.config.fresh_login_timeout_seconds();
        self.authz
            .require_fresh_login(caller, Utc::now().timestamp(), timeout)?;
        match &caller.principal {
            Some(p) if allowed(p) => Ok(()),
            _ => Err(DomainError::unauthorized(caller.is_authenticated())),
        }
    }

    /// The organization `name`, or Quay's 400 about it.
    async fn organization(&self, name: &str) -> DomainResult<Namespace> {
        self.store
            .find_namespace(name)
            .await?
            .filter(|n| n.organization)
            .ok_or_else(|| DomainError::invalid(format!("Organization does not exist: {name}")))
    }

    /// A user (not a robot or organization) the superuser may manage.
    async fn managed_user(&self, username: &str) -> DomainResult<Namespace> {
        let user = self
            .store
            .find_namespace(username)
            .await?
            .filter(|n| !n.robot && !n.organization)
            .ok_or(DomainError::NotFound)?;
        Ok(user)
    }
}

#[async_trait]
impl SuperuserService for SuperUsers {
    async fn list_users(
        &self,
        caller: &Caller,
        include_disabled: bool,
        after_id: Option<i64>,
        limit: u64,
    ) -> DomainResult<(Vec<Namespace>, Option<i64>)> {
        self.require_superuser_read(caller)?;
        let limit = limit.clamp(1, MAX_USERS_PER_PAGE);
        let mut users = self
            .store
            .list_users(include_disabled, after_id, limit + 1)
            .await?;
        Ok(next_page(&mut users, limit))
    }

    async fn create_user(
        &self,
        caller: &Caller,
        username: String,
        email: Option<String>,
    ) -> DomainResult<CreatedUser> {
        self.require_superuser(caller)?;
        if let Err(issue) = check_namespace(&username) {
            return Err(DomainError::invalid(format!(
                "Invalid namespace {username}: {issue}"
            )));
        }
        if self.store.find_namespace(&username).await?.is_some() {
            return Err(DomainError::invalid(format!(
                "Username has already been taken by user cannot be reused: {username}"
            )));
        }
        let email = email.filter(|e| !e.is_empty());
        match &email {
            Some(e) => {
                check_email(e)?;
                if self.store.email_in_use(e).await? {
                    return Err(DomainError::invalid(format!(
                        "Email has already been used: {e}"
                    )));
                }
            }
            None if self.config.feature_mailing => {
                return Err(DomainError::invalid("Invalid email address: None"))
            }
            None => {}
        }
        // Quay's generated password: 32 characters of [A-Z0-9].
        let password = secret::random_upper_alnum(32);
        let password_hash = secret::hash_password_off_thread(password.clone()).await?;
        let log = NewLogEntry::new(
            LogKind::UserCreate,
            caller,
            None,
            json!({"username": username, "email": email}),
        );
        let new = NewUser {
            username: username.clone(),
            email,
            password_hash,
            // Without mail there is no way to verify an address: trust the superuser.
            verified: !self.config.feature_mailing,
            tag_expiration_s: self.config.default_tag_expiration_seconds(),
            created: Utc::now(),
        };
        let user = match self.store.create_user(new, log).await {
            Err(DomainError::Conflict(_)) => {
                return Err(DomainError::invalid(format!(
                    "Username has already been taken by user cannot be reused: {username}"
                )))
            }
            other => other?,
        };
        Ok(CreatedUser { user, password })
    }

    async fn get_user(&self, caller: &Caller, username: &str) -> DomainResult<Namespace> {
        self.require_superuser_read(caller)?;
        self.managed_user(username).await
    }

    async fn update_user(
        &self,
        caller: &Caller,
        username: &str,
        changes: UserChanges,
    ) -> DomainResult<Namespace> {
        self.require_superuser(caller)?;
        let user = self.managed_user(username).await?;
        if self.config.is_superuser(&user.username) {
            return Err(DomainError::invalid("Cannot update a superuser"));
        }
        let mut update = NamespaceChanges::default();
        let mut logs = Vec::new();
        let entry = |kind, metadata| NewLogEntry::new(kind, caller, Some(user.id), metadata);
        if let Some(password) = changes.password {
            if !is_valid_password(&password) {
                return Err(DomainError::invalid(INVALID_PASSWORD_MESSAGE));
            }
            let hash = secret::hash_password_off_thread(password).await?;
            update.password_hash = Some(hash);
            // A new password ends every session of the user, as in Quay.
            update.rotate_uuid = true;
            logs.push(entry(
                LogKind::UserChangePassword,
                json!({"username": user.username}),
            ));
        }
        if let Some(email) = changes.email.filter(|e| Some(e) != user.email.as_ref()) {
            check_email(&email)?;
            if self.store.email_in_use(&email).await? {
                return Err(DomainError::invalid("E-mail address already used"));
            }
            logs.push(entry(
                LogKind::UserChangeEmail,
                json!({"username": user.username, "email": email, "old_email": user.email}),
            ));
            update.email = Some(email);
            update.verified = Some(true);
        }
        if let Some(enabled) = changes.enabled.filter(|e| *e != user.enabled) {
            let kind = if enabled {
                LogKind::UserEnable
            } else {
                LogKind::UserDisable
            };
            logs.push(entry(kind, json!({"username": user.username})));
            update.enabled = Some(enabled);
        }
        if update == NamespaceChanges::default() {
            return Ok(user);
        }
        match self.store.update_namespace(user.id, update, logs).await {
            Err(DomainError::Conflict(_)) => {
                Err(DomainError::invalid("E-mail address already used"))
            }
            other => other,
        }
    }

    async fn delete_user(&self, caller: &Caller, username: &str) -> DomainResult<()> {
        self.require_superuser(caller)?;
        let user = self.managed_user(username).await?;
        if self.config.is_superuser(&user.username) {
            return Err(DomainError::invalid("Cannot delete a superuser"));
        }
        let log = NewLogEntry::new(
            LogKind::UserDelete,
            caller,
            Some(user.id),
            json!({"username": user.username}),
        );
        self.store.delete_namespace(user.id, log).await
    }

    async fn list_organizations(
        &self,
        caller: &Caller,
        after_id: Option<i64>,
        limit: u64,
    ) -> DomainResult<(Vec<Namespace>, Option<i64>)> {
        self.require_superuser_read(caller)?;
        let limit = limit.clamp(1, MAX_USERS_PER_PAGE);
        let mut orgs = self.store.list_organizations(after_id, limit + 1).await?;
        Ok(next_page(&mut orgs, limit))
    }

    async fn change_organization(
        &self,
        caller: &Caller,
        name: &str,
        new_name: Option<String>,
    ) -> DomainResult<Namespace> {
        self.require_superuser(caller)?;
        let org = self.organization(name).await?;
        let Some(new_name) = new_name.filter(|n| *n != org.username) else {
            return Ok(org);
        };
        if let Err(issue) = check_namespace(&new_name) {
            return Err(DomainError::invalid(format!(
                "Invalid username {new_name}: {issue}"
            )));
        }
        const TAKEN: &str = "A user or organization with this name already exists";
        if self.store.find_namespace(&new_name).await?.is_some() {
            return Err(DomainError::invalid(TAKEN));
        }
        let superuser = caller.principal.as_ref().map(|p| p.username.clone());
        let log = NewLogEntry::new(
            LogKind::OrgChangeName,
            caller,
            Some(org.id),
            json!({"old_name": org.username, "new_name": new_name, "superuser": superuser}),
        );
        let changes = NamespaceChanges {
            username: Some(new_name),
            ..NamespaceChanges::default()
        };
        match self
            .store
            .update_namespace(org.id, changes, vec![log])
            .await
        {
            Err(DomainError::Conflict(_)) => Err(DomainError::invalid(TAKEN)),
            other => other,
        }
    }

    async fn delete_organization(&self, caller: &Caller, name: &str) -> DomainResult<()> {
        self.require_superuser(caller)?;
        let org = self.organization(name).await?;
        let superuser = caller.principal.as_ref().map(|p| p.username.clone());
        let log = NewLogEntry::new(
            LogKind::OrgDelete,
            caller,
            Some(org.id),
            json!({"namespace": org.username, "superuser": superuser}),
        );
        self.store.delete_namespace(org.id, log).await
    }

    async fn take_ownership(&self, caller: &Caller, namespace: &str) -> DomainResult<()> {
        self.require_superuser(caller)?;
        let p = caller
            .principal
            .as_ref()
            .ok_or_else(|| DomainError::unauthorized(false))?;
        if self.config.is_superuser(namespace) {
            return Err(DomainError::invalid("Cannot take ownership of a superuser"));
        }
        let entity = self
            .store
            .find_namespace(namespace)
            .await?
            .filter(|n| !n.robot)
            .ok_or(DomainError::NotFound)?;
        let log = NewLogEntry::new(
            LogKind::TakeOwnership,
            caller,
            Some(p.user_id),
            json!({
                "entity_id": entity.id,
                "namespace": namespace,
                "was_user": !entity.organization,
                "superuser": p.username,
            }),
        );
        self.store.take_ownership(entity.id, p.user_id, log).await
    }
}
