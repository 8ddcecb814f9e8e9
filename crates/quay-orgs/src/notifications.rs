//! A user's notifications (`/api/v1/user/notifications`): [`NotificationService`] over a
//! [`NotificationStore`].
//!
//! Team invites are the first kind (`org_team_invite`); the invite's code is stored
//! sealed with the invite and added to the notification's metadata only when its owner
//! reads it.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use quay_auth::cipher::FieldCipher;
use quay_auth::Authorizer;
use quay_core::config::Config;
use quay_core::{Caller, DomainError, DomainResult};
use serde_json::Value;

/// A stored notification; `invite_token_sealed` is set for invite notifications.
#[derive(Debug, Clone, PartialEq)]
pub struct NotificationRecord {
    pub uuid: String,
    pub kind: String,
    /// The organization it is about, when its target is one.
    pub organization: Option<String>,
    pub created: DateTime<Utc>,
    pub metadata: Value,
    pub dismissed: bool,
    pub invite_token_sealed: Option<String>,
}

/// A notification as its owner sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct Notification {
    pub uuid: String,
    pub kind: String,
    pub organization: Option<String>,
    pub created: DateTime<Utc>,
    pub metadata: Value,
    pub dismissed: bool,
}

/// Storage of notifications (implemented by `quay-persistence`).
#[async_trait]
pub trait NotificationStore: Send + Sync {
    /// The user's notifications (and those of organizations they administer), newest
    /// first; dismissed ones only with `include_dismissed`.
    async fn list_notifications(
        &self,
        user_id: i64,
        uuid: Option<&str>,
        include_dismissed: bool,
        offset: u64,
        limit: u64,
    ) -> DomainResult<Vec<NotificationRecord>>;

    async fn set_dismissed(&self, uuid: &str, dismissed: bool) -> DomainResult<()>;
}

#[async_trait]
pub trait NotificationService: Send + Sync {
    /// One page (`page` counts from 1; 0 is the first page too) and whether more follow.
    async fn list(
        &self,
        caller: &Caller,
        page: u64,
        limit: u64,
    ) -> DomainResult<(Vec<Notification>, bool)>;

    async fn get(&self, caller: &Caller, uuid: &str) -> DomainResult<Notification>;

    async fn set_dismissed(
        &self,
        caller: &Caller,
        uuid: &str,
        dismissed: bool,
    ) -> DomainResult<Notification>;
}

pub struct Notifications {
    store: Arc<dyn NotificationStore>,
    cipher: FieldCipher,
    authz: Authorizer,
}

impl Notifications {
    pub fn new(store: Arc<dyn NotificationStore>, cipher: FieldCipher, config: &Config) -> Self {
        Self {
            store,
            cipher,
            authz: Authorizer::new(config),
        }
    }

    fn view(&self, r: NotificationRecord) -> DomainResult<Notification> {
        let mut metadata = r.metadata;
        if let (Some(sealed), Some(m)) = (&r.invite_token_sealed, metadata.as_object_mut()) {
            m.insert("code".into(), self.cipher.decrypt(sealed)?.into());
        }
        Ok(Notification {
            uuid: r.uuid,
            kind: r.kind,
            organization: r.organization,
            created: r.created,
            metadata,
            dismissed: r.dismissed,
        })
    }
}

#[async_trait]
impl NotificationService for Notifications {
    async fn list(
        &self,
        caller: &Caller,
        page: u64,
        limit: u64,
    ) -> DomainResult<(Vec<Notification>, bool)> {
        let p = self.authz.require_user_admin(caller)?;
        let offset = page.saturating_sub(1).saturating_mul(limit);
        let mut records = self
            .store
            .list_notifications(p.user_id, None, false, offset, limit.saturating_add(1))
            .await?;
        let more = records.len() as u64 > limit;
        records.truncate(limit as usize);
        let views = records
            .into_iter()
            .map(|r| self.view(r))
            .collect::<DomainResult<_>>()?;
        Ok((views, more))
    }

    async fn get(&self, caller: &Caller, uuid: &str) -> DomainResult<Notification> {
        let p = self.authz.require_user_admin(caller)?;
        let record = self
            .store
            .list_notifications(p.user_id, Some(uuid), true, 0, 1)
            .await?
            .into_iter()
            .next()
            .ok_or(DomainError::NotFound)?;
        self.view(record)
    }

    async fn set_dismissed(
        &self,
        caller: &Caller,
        uuid: &str,
        dismissed: bool,
    ) -> DomainResult<Notification> {
        // Only a notification the caller can see may be changed.
        self.get(caller, uuid).await?;
        self.store.set_dismissed(uuid, dismissed).await?;
        self.get(caller, uuid).await
    }
}
