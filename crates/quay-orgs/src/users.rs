//! [`Users`]: the [`UserService`] over a [`NamespaceStore`].

use std::sync::Arc;

use async_trait::async_trait;
use chrono::Utc;
use quay_auth::{oauth, secret, Authorizer, NamespaceGrant};
use quay_core::config::Config;
use quay_core::names::check_namespace;
use quay_core::role::TeamRole;
use quay_core::scope::{Scope, ScopeSet};
use quay_core::{Caller, DomainError, DomainResult};
use quay_logs::{LogKind, NewLogEntry};
use serde_json::json;

use crate::*;

pub const INVALID_PASSWORD_MESSAGE: &str =
    "Invalid password, password must be at least 8 characters and contain no whitespace.";

/// Quay's `validate_password`: at least 8 characters, no whitespace.
pub fn is_valid_password(password: &str) -> bool {
    password.chars().count() > 7 && !password.chars().any(char::is_whitespace)
}

/// Quay's `validate_email`: `[^@]+@[^@]+\.[^@]+`.
pub fn is_valid_email(email: &str) -> bool {
    let Some((local, domain)) = email.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && !domain.contains('@')
        && domain.split_once('.').is_some_and(|(a, _)| !a.is_empty())
        && domain
            .rsplit_once('.')
            .is_some_and(|(_, tld)| !tld.is_empty())
}

/// [`is_valid_email`] as Quay's error.
pub(crate) fn check_email(email: &str) -> DomainResult<()> {
    if is_valid_email(email) {
        Ok(())
    } else {
        Err(DomainError::invalid(format!(
            "Invalid email address: {email}"
        )))
    }
}

/// Quay's answer when a new username belongs to someone else.
const USERNAME_TAKEN: &str = "Username is already in use";

pub struct Users {
    store: Arc<dyn NamespaceStore>,
    config: Arc<Config>,
    authz: Authorizer,
}

impl Users {
    pub fn new(store: Arc<dyn NamespaceStore>, config: Arc<Config>) -> Self {
        let authz = Authorizer::new(&config);
        Self {
            store,
            config,
            authz,
        }
    }

    /// The view of `user` that `caller` may see (Quay's `user_view`).
    async fn details(&self, caller: &Caller, user: Namespace) -> DomainResult<UserDetails> {
        let own = caller.principal.as_ref().filter(|p| p.user_id == user.id);
        let is_admin_view = own.is_some() && self.authz.require_user_admin(caller).is_ok();
        let organizations = match own.filter(|_| self.authz.require_user_read(caller).is_ok()) {
            Some(p) => {
                let mut orgs = Vec::new();
                for (org, role) in self.store.user_organizations(user.id).await? {
                    orgs.push(self.user_org(p, org, NamespaceGrant::Team(role)));
                }
                for name in &self.config.public_namespaces {
                    if orgs.iter().any(|o| &o.org.username == name) {
                        continue;
                    }
                    if let Some(ns) = self.store.find_namespace(name).await? {
                        let grant = self.store.namespace_grant(ns.id, p.user_id).await?;
                        orgs.push(self.user_org(p, ns, grant));
                    }
                }
                Some(orgs)
            }
            None => None,
        };
        let super_user = caller
            .principal
            .as_ref()
            .filter(|p| p.superuser)
            .map(|p| p.user_id == user.id);
        Ok(UserDetails {
            user,
            is_admin_view,
            organizations,
            super_user,
        })
    }

    /// The caller's own account, for a change that needs `user:admin` and a fresh login.
    async fn own_account_for_change(&self, caller: &Caller) -> DomainResult<Namespace> {
        let p = self.authz.require_user_admin(caller)?;
        let timeout = self.config.fresh_login_timeout_seconds();
        self.authz
            .require_fresh_login(caller, Utc::now().timestamp(), timeout)?;
        self.store
            .find_namespace_by_id(p.user_id)
            .await?
            .filter(|u| !u.organization && !u.robot)
            .ok_or(DomainError::NotFound)
    }

    fn user_org(
        &self,
        p: &quay_core::Principal,
        org: Namespace,
        grant: NamespaceGrant,
    ) -> UserOrganization {
        UserOrganization {
            can_create_repo: self.authz.can_create_repo(p, grant),
            is_org_admin: self.authz.namespace_role(p, grant) == Some(TeamRole::Admin),
            public: self.config.public_namespaces.contains(&org.username),
            org,
        }
    }
}

fn failed(msg: impl std::fmt::Display) -> DomainError {
    DomainError::invalid(format!("Failed to initialize user: {msg}"))
}

#[async_trait]
impl UserService for Users {
    async fn initialize(&self, req: InitializeUser) -> DomainResult<InitializedUser> {
        const NON_EMPTY: &str = "Cannot initialize user in a non-empty database";
        if !self.config.feature_user_initialize {
            return Err(DomainError::invalid(
                "Cannot initialize user, FEATURE_USER_INITIALIZE is False",
            ));
        }
        if self.store.has_namespaces().await? {
            return Err(DomainError::invalid(NON_EMPTY));
        }
        if !is_valid_password(&req.password) {
            return Err(failed(INVALID_PASSWORD_MESSAGE));
        }
        let email = req.email.filter(|e| !e.is_empty());
        match &email {
            Some(e) if !is_valid_email(e) => {
                return Err(failed(format!("Invalid email address: {e}")))
            }
            None if self.config.feature_mailing => {
                return Err(failed("Invalid email address: None"))
            }
            _ => {}
        }
        if let Err(issue) = check_namespace(&req.username) {
            return Err(failed(format!(
                "Invalid namespace {}: {issue}",
                req.username
            )));
        }
        let password = req.password;
        let password_hash = secret::hash_password_off_thread(password).await?;
        let now = Utc::now();
        let minted = req.access_token.then(|| {
            let scopes: ScopeSet = ScopeSet::all_oauth()
                .iter()
                .filter(|s| *s != Scope::SuperUser || self.config.feature_super_users)
                .collect();
            oauth::mint(scopes, now, oauth::USER_TOKEN_TTL_SECS)
        });
        let grant = minted.as_ref().map(|m| NewTokenGrant {
            client_id: req.username.clone(),
            application_name: "automation".into(),
            application_description: "Application token generated via /api/v1/user/initialize"
                .into(),
            token_name: m.token_name.clone(),
            token_code_digest: m.code_digest.clone(),
            scope: m.scopes.to_string(),
            expires_at: m.expires_at,
        });
        let new = NewUser {
            username: req.username,
            email,
            password_hash,
            verified: true,
            tag_expiration_s: self.config.default_tag_expiration_seconds(),
            created: now,
        };
        let log = NewLogEntry::new(
            LogKind::UserCreate,
            &Caller::anonymous(),
            None,
            json!({"username": new.username, "email": new.email}),
        );
        let user = match self.store.initialize_user(new, grant, log).await {
            Err(DomainError::Conflict(_)) => return Err(DomainError::invalid(NON_EMPTY)),
            other => other?,
        };
        Ok(InitializedUser {
            user,
            access_token: minted.map(|m| m.token),
        })
    }

    async fn current_user(&self, caller: &Caller) -> DomainResult<UserDetails> {
        let unauthenticated = || DomainError::Unauthenticated("Requires authentication".into());
        let p = self
            .authz
            .require_user_read(caller)
            .map_err(|_| unauthenticated())?;
        let user = self
            .store
            .find_namespace_by_id(p.user_id)
            .await?
            .filter(|u| !u.organization)
            .ok_or_else(unauthenticated)?;
        self.details(caller, user).await
    }

    async fn create_account(&self, caller: &Caller, req: CreateAccount) -> DomainResult<Namespace> {
        const TAKEN: &str = "The username already exists";
        if self.store.find_namespace(&req.username).await?.is_some() {
            return Err(DomainError::invalid(TAKEN));
        }
        let email = req.email.filter(|e| !e.is_empty());
        if self.config.feature_mailing && email.is_none() {
            return Err(DomainError::invalid("Email address is required"));
        }
        if !is_valid_password(&req.password) {
            return Err(DomainError::invalid(INVALID_PASSWORD_MESSAGE));
        }
        if let Some(e) = &email {
            check_email(e)?;
            if self.store.email_in_use(e).await? {
                return Err(DomainError::invalid(format!(
                    "Email has already been used: {e}"
                )));
            }
        }
        if let Err(issue) = check_namespace(&req.username) {
            return Err(DomainError::invalid(format!(
                "Invalid namespace {}: {issue}",
                req.username
            )));
        }
        let password = req.password;
        let password_hash = secret::hash_password_off_thread(password).await?;
        let log = NewLogEntry::new(
            LogKind::UserCreate,
            caller,
            None,
            json!({"username": req.username, "email": email}),
        );
        let new = NewUser {
            username: req.username,
            email,
            password_hash,
            // Without mail there is no way to confirm the address (Quay: auto_verify).
            verified: !self.config.feature_mailing,
            tag_expiration_s: self.config.default_tag_expiration_seconds(),
            created: Utc::now(),
        };
        match self.store.create_user(new, log).await {
            Err(DomainError::Conflict(_)) => Err(DomainError::invalid(TAKEN)),
            other => other,
        }
    }

    async fn update_current_user(
        &self,
        caller: &Caller,
        req: UpdateAccount,
    ) -> DomainResult<Namespace> {
        let user = self.own_account_for_change(caller).await?;
        let entry = |kind, metadata| NewLogEntry::new(kind, caller, Some(user.id), metadata);
        // Everything is validated before anything is written.
        let mut changes = NamespaceChanges::default();
        let mut logs = Vec::new();
        // Without FEATURE_USER_RENAME a new name is ignored, as in Quay.
        if let Some(name) = req
            .username
            .filter(|u| !u.is_empty() && *u != user.username && self.config.feature_user_rename)
        {
            if let Err(issue) = check_namespace(&name) {
                return Err(DomainError::invalid(format!(
                    "Invalid username {name}: {issue}"
                )));
            }
            if self.store.find_namespace(&name).await?.is_some() {
                return Err(DomainError::invalid(USERNAME_TAKEN));
            }
            logs.push(entry(
                LogKind::UserChangeName,
                json!({"old_username": user.username}),
            ));
            changes.username = Some(name);
        }
        if let Some(password) = req.password {
            if !is_valid_password(&password) {
                return Err(DomainError::invalid(INVALID_PASSWORD_MESSAGE));
            }
            changes.password_hash = Some(secret::hash_password_off_thread(password).await?);
            changes.rotate_uuid = true;
            logs.push(entry(LogKind::AccountChangePassword, json!({})));
        }
        if let Some(email) = req.email.filter(|e| Some(e) != user.email.as_ref()) {
            check_email(&email)?;
            if self.store.email_in_use(&email).await? {
                return Err(DomainError::invalid("E-mail address already used"));
            }
            logs.push(entry(
                LogKind::UserChangeEmail,
                json!({"email": email, "old_email": user.email}),
            ));
            changes.email = Some(email);
            changes.verified = Some(!self.config.feature_mailing);
        }
        if let Some(v) = req.invoice_email {
            changes.invoice_email = Some(v);
            logs.push(entry(
                LogKind::UserChangeInvoicing,
                json!({"invoice_email": v}),
            ));
        }
        if let Some(address) = req.invoice_email_address {
            let address = address.filter(|a| !a.is_empty());
            if let Some(a) = &address {
                check_email(a)?;
            }
            logs.push(entry(
                LogKind::UserChangeInvoicing,
                json!({"invoice_email_address": address}),
            ));
            changes.invoice_email_address = Some(address);
        }
        if let Some(seconds) = req
            .tag_expiration_s
            .filter(|_| self.config.feature_change_tag_expiration)
        {
            if !self.config.tag_expiration_seconds().contains(&seconds) {
                return Err(DomainError::invalid("Invalid tag expiration option"));
            }
            changes.tag_expiration_s = Some(seconds);
            logs.push(entry(
                LogKind::UserChangeTagExpiration,
                json!({"tag_expiration": seconds}),
            ));
        }
        let metadata = [
            &req.given_name,
            &req.family_name,
            &req.company,
            &req.location,
        ];
        if metadata.iter().any(|f| f.is_some()) {
            changes.given_name = req.given_name;
            changes.family_name = req.family_name;
            changes.company = req.company;
            changes.location = req.location;
            logs.push(entry(LogKind::UserChangeMetadata, json!({})));
        }
        if changes == NamespaceChanges::default() {
            return Ok(user);
        }
        let renaming = changes.username.is_some();
        match self.store.update_namespace(user.id, changes, logs).await {
            // Lost a race for the name or the address since the checks above.
            Err(DomainError::Conflict(_)) if renaming => Err(DomainError::invalid(USERNAME_TAKEN)),
            Err(DomainError::Conflict(_)) => {
                Err(DomainError::invalid("E-mail address already used"))
            }
            other => other,
        }
    }

    async fn convert_to_organization(&self, caller: &Caller, admin_id: i64) -> DomainResult<()> {
        let p = self.authz.require_user_admin(caller)?;
        let user = self
            .store
            .find_namespace_by_id(p.user_id)
            .await?
            .filter(|u| !u.organization && !u.robot)
            .ok_or(DomainError::NotFound)?;
        if admin_id == user.id {
            return Err(DomainError::invalid("The admin user is not valid"));
        }
        let log = NewLogEntry::new(LogKind::AccountConvert, caller, Some(user.id), json!({}));
        self.store.take_ownership(user.id, admin_id, log).await
    }

    async fn delete_current_user(&self, caller: &Caller) -> DomainResult<()> {
        let user = self.own_account_for_change(caller).await?;
        // An organization must keep an administrator.
        let sole = self.store.sole_admin_organizations(user.id).await?;
        if !sole.is_empty() {
            return Err(DomainError::invalid(format!(
                "Cannot delete account: you are the only administrator of organization(s) {}",
                sole.join(", ")
            )));
        }
        let log = NewLogEntry::new(
            LogKind::UserDelete,
            caller,
            Some(user.id),
            json!({"username": user.username}),
        );
        self.store.delete_namespace(user.id, log).await
    }

    async fn get_user(&self, caller: &Caller, username: &str) -> DomainResult<UserDetails> {
        let user = self
            .store
            .find_namespace(username)
            .await?
            .filter(|u| !u.robot)
            .ok_or(DomainError::NotFound)?;
        self.details(caller, user).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn password_and_email_rules() {
        assert!(is_valid_password("password"));
        assert!(!is_valid_password("short"));
        assert!(!is_valid_password("has space in it"));
        assert!(is_valid_email("a@b.co"));
        for bad in ["", "a", "a@b", "@b.c", "a@.c", "a@b.", "a@b@c.d"] {
            assert!(!is_valid_email(bad), "{bad}");
        }
    }
}
