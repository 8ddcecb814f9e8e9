//! [`Organizations`]: the [`OrgService`] over a [`NamespaceStore`].

use std::sync::Arc;

use async_trait::async_trait;
use chrono::Utc;
use quay_auth::{Authorizer, NamespaceGrant};
use quay_core::config::Config;
use quay_core::names::check_namespace;
use quay_core::{Caller, DomainError, DomainResult};
use quay_logs::{LogKind, NewLogEntry};
use serde_json::json;

use crate::users::check_email;
use crate::*;

/// The organization `name`, if the caller administers it; permission before existence
/// (an outsider asking about a missing organization is refused like for an existing one).
pub(crate) async fn administered_org(
    store: &dyn NamespaceStore,
    authz: &Authorizer,
    caller: &Caller,
    name: &str,
) -> DomainResult<Namespace> {
    let org = store.find_namespace(name).await?.filter(|n| n.organization);
    let grant = match (&org, caller.user_id()) {
        (Some(org), Some(uid)) => store.namespace_grant(org.id, uid).await?,
        _ => NamespaceGrant::None,
    };
    authz.require_org_admin(caller, grant)?;
    org.ok_or(DomainError::NotFound)
}

pub struct Organizations {
    store: Arc<dyn NamespaceStore>,
    config: Arc<Config>,
    authz: Authorizer,
}

impl Organizations {
    pub fn new(store: Arc<dyn NamespaceStore>, config: Arc<Config>) -> Self {
        let authz = Authorizer::new(&config);
        Self {
            store,
            config,
            authz,
        }
    }

    async fn find_org(&self, name: &str) -> DomainResult<Option<Namespace>> {
        Ok(self
            .store
            .find_namespace(name)
            .await?
            .filter(|n| n.organization))
    }

    async fn grant(&self, caller: &Caller, org: &Namespace) -> DomainResult<NamespaceGrant> {
        match caller.user_id() {
            Some(uid) => self.store.namespace_grant(org.id, uid).await,
            None => Ok(NamespaceGrant::None),
        }
    }

    async fn administered(&self, caller: &Caller, name: &str) -> DomainResult<Namespace> {
        administered_org(&*self.store, &self.authz, caller, name).await
    }

    async fn details(&self, caller: &Caller, org: Namespace) -> DomainResult<OrganizationDetails> {
        let grant = self.grant(caller, &org).await?;
        let is_admin = self.authz.is_org_admin(caller, grant);
        let is_member = self.authz.is_org_member(caller, grant);
        let teams = if is_member || is_admin {
            let teams = self.store.teams(org.id, caller.user_id()).await?;
            Some(
                teams
                    .into_iter()
                    .map(|team| TeamDetails {
                        can_view: team.viewer_is_member || is_admin,
                        team,
                    })
                    .collect(),
            )
        } else {
            None
        };
        Ok(OrganizationDetails {
            org,
            is_admin,
            is_member,
            teams,
        })
    }
}

#[async_trait]
impl OrgService for Organizations {
    async fn create_organization(
        &self,
        caller: &Caller,
        req: CreateOrganization,
    ) -> DomainResult<()> {
        const TAKEN: &str = "A user or organization with this name already exists";
        let principal = self.authz.require_user_admin(caller)?;
        if self.config.feature_superusers_org_creation_only && !principal.superuser {
            return Err(DomainError::Forbidden);
        }
        if self.store.find_namespace(&req.name).await?.is_some() {
            return Err(DomainError::invalid(TAKEN));
        }
        let email = req.email.filter(|e| !e.is_empty());
        if self.config.feature_mailing && email.is_none() {
            return Err(DomainError::invalid("Email address is required"));
        }
        if let Err(issue) = check_namespace(&req.name) {
            return Err(DomainError::invalid(format!(
                "Invalid namespace {}: {issue}",
                req.name
            )));
        }
        if let Some(email) = &email {
            check_email(email)?;
            if self.store.email_in_use(email).await? {
                return Err(DomainError::invalid(format!(
                    "Email has already been used: {email}"
                )));
            }
        }
        let log = NewLogEntry::new(
            LogKind::OrgCreate,
            caller,
            None,
            json!({"email": email, "namespace": req.name}),
        );
        let new = NewOrganization {
            name: req.name,
            email,
            creator_id: principal.user_id,
            tag_expiration_s: self.config.default_tag_expiration_seconds(),
            created: Utc::now(),
        };
        match self.store.create_organization(new, log).await {
            Err(DomainError::Conflict(_)) => Err(DomainError::invalid(TAKEN)),
            other => other.map(|_| ()),
        }
    }

    async fn get_organization(
        &self,
        caller: &Caller,
        name: &str,
    ) -> DomainResult<OrganizationDetails> {
        let org = self.find_org(name).await?.ok_or(DomainError::NotFound)?;
        self.details(caller, org).await
    }

    async fn update_organization(
        &self,
        caller: &Caller,
        name: &str,
        req: UpdateOrganization,
    ) -> DomainResult<OrganizationDetails> {
        let org = self.administered(caller, name).await?;
        let ns = json!(org.username);
        let entry = |kind, metadata| NewLogEntry::new(kind, caller, Some(org.id), metadata);
        // Everything is validated before anything is written: a refused change changes nothing.
        let mut changes = NamespaceChanges::default();
        let mut logs = Vec::new();
        if let Some(invoice_email) = req.invoice_email {
            changes.invoice_email = Some(invoice_email);
            logs.push(entry(
                LogKind::OrgChangeInvoicing,
                json!({"invoice_email": invoice_email, "namespace": ns}),
            ));
        }
        if let Some(address) = req.invoice_email_address {
            let address = address.filter(|a| !a.is_empty());
            if address != org.invoice_email_address {
                if let Some(a) = &address {
                    check_email(a)?;
                }
                logs.push(entry(
                    LogKind::OrgChangeInvoicing,
                    json!({"invoice_email_address": address, "namespace": ns}),
                ));
                changes.invoice_email_address = Some(address);
            }
        }
        if let Some(email) = req.email.filter(|e| Some(e) != org.email.as_ref()) {
            if self.store.email_in_use(&email).await? {
                return Err(DomainError::invalid("E-mail address already used"));
            }
            check_email(&email)?;
            logs.push(entry(
                LogKind::OrgChangeEmail,
                json!({"email": email, "namespace": ns, "old_email": org.email}),
            ));
            changes.email = Some(email);
            // A new address is unverified, as in Quay's `update_email`.
            changes.verified = Some(false);
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
                LogKind::OrgChangeTagExpiration,
                json!({"tag_expiration": seconds, "namespace": ns}),
            ));
        }
        let org = if changes.is_empty() {
            org
        } else {
            match self.store.update_namespace(org.id, changes, logs).await {
                Err(DomainError::Conflict(_)) => {
                    return Err(DomainError::invalid("E-mail address already used"))
                }
                other => other?,
            }
        };
        self.details(caller, org).await
    }

    async fn delete_organization(&self, caller: &Caller, name: &str) -> DomainResult<()> {
        let timeout = self.config.fresh_login_timeout_seconds();
        self.authz
            .require_fresh_login(caller, Utc::now().timestamp(), timeout)?;
        let org = self.administered(caller, name).await?;
        let log = NewLogEntry::new(
            LogKind::OrgDelete,
            caller,
            Some(org.id),
            json!({"namespace": org.username}),
        );
        self.store.delete_namespace(org.id, log).await
    }
}
