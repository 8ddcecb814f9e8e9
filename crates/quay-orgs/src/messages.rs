//! Global messages (`/api/v1/messages`): banners every user sees, written by superusers.
//! [`MessageService`], implemented by [`GlobalMessages`] over a [`MessageStore`].

use std::sync::Arc;

use async_trait::async_trait;
use chrono::Utc;
use quay_auth::Authorizer;
use quay_core::config::Config;
use quay_core::{Caller, DomainError, DomainResult};

/// How a message's content is to be shown.
pub const MEDIA_TYPES: [&str; 2] = ["text/plain", "text/markdown"];
pub const SEVERITIES: [&str; 3] = ["info", "warning", "error"];

/// A global message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GlobalMessage {
    pub uuid: String,
    pub content: String,
    pub media_type: String,
    pub severity: String,
}

/// Storage of global messages (implemented by `quay-persistence`).
#[async_trait]
pub trait MessageStore: Send + Sync {
    /// Every message, oldest first.
    async fn list_messages(&self) -> DomainResult<Vec<GlobalMessage>>;

    async fn create_message(&self, message: &GlobalMessage) -> DomainResult<()>;

    /// Deletes the message if there is one; whether there was.
    async fn delete_message(&self, uuid: &str) -> DomainResult<bool>;
}

#[async_trait]
pub trait MessageService: Send + Sync {
    /// `GET /api/v1/messages`: anyone may read them.
    async fn list(&self) -> DomainResult<Vec<GlobalMessage>>;

    /// `POST /api/v1/messages`: superusers, after a fresh login (not found without
    /// `FEATURE_SUPER_USERS`).
    async fn create(
        &self,
        caller: &Caller,
        content: String,
        media_type: String,
        severity: String,
    ) -> DomainResult<GlobalMessage>;

    /// `DELETE /api/v1/message/{uuid}`: superusers, after a fresh login. Deleting a
    /// message that is not there succeeds, as in Quay.
    async fn delete(&self, caller: &Caller, uuid: &str) -> DomainResult<()>;
}

pub struct GlobalMessages {
    store: Arc<dyn MessageStore>,
    config: Arc<Config>,
    authz: Authorizer,
}

impl GlobalMessages {
    pub fn new(store: Arc<dyn MessageStore>, config: Arc<Config>) -> Self {
        let authz = Authorizer::new(&config);
        GlobalMessages {
            store,
            config,
            authz,
        }
    }

    /// Quay's `@require_fresh_login` and `SuperUserPermission` (401 anonymous, 403 for
    /// anyone else).
    fn require_superuser(&self, caller: &Caller) -> DomainResult<()> {
        let timeout = self.config.fresh_login_timeout_seconds();
        self.authz
            .require_fresh_login(caller, Utc::now().timestamp(), timeout)?;
        match &caller.principal {
            Some(p) if p.superuser => Ok(()),
            _ => Err(DomainError::unauthorized(caller.is_authenticated())),
        }
    }
}

#[async_trait]
impl MessageService for GlobalMessages {
    async fn list(&self) -> DomainResult<Vec<GlobalMessage>> {
        self.store.list_messages().await
    }

    async fn create(
        &self,
        caller: &Caller,
        content: String,
        media_type: String,
        severity: String,
    ) -> DomainResult<GlobalMessage> {
        // Quay's resource exists without superusers, and answers 404.
        if !self.config.feature_super_users {
            return Err(DomainError::NotFound);
        }
        self.require_superuser(caller)?;
        // The request schema already limits both to their enums; the store never sees
        // anything else.
        if !MEDIA_TYPES.contains(&media_type.as_str()) || !SEVERITIES.contains(&severity.as_str()) {
            return Err(DomainError::invalid("Invalid message"));
        }
        let message = GlobalMessage {
            uuid: quay_auth::secret::random_uuid(),
            content,
            media_type,
            severity,
        };
        self.store.create_message(&message).await?;
        Ok(message)
    }

    async fn delete(&self, caller: &Caller, uuid: &str) -> DomainResult<()> {
        self.require_superuser(caller)?;
        self.store.delete_message(uuid).await?;
        Ok(())
    }
}
