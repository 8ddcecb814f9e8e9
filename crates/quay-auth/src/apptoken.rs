//! App-specific tokens (`/api/v1/user/apptoken`): credentials a user creates for
//! docker/podman logins (`$app` + token). The token is shown once, at creation; only the
//! digest of its secret half is kept, so it cannot be shown again (Quay shows it again
//! from an encrypted copy; we choose not to keep one).

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use quay_core::config::Config;
use quay_core::{Caller, DomainError, DomainResult};
use quay_logs::{LogKind, NewLogEntry};
use serde_json::json;

use crate::{secret, Authorizer};

/// Length of the lookup half and of the secret half of a token.
pub const NAME_LEN: usize = 60;
pub const SECRET_LEN: usize = 60;

/// The window `?expiring=true` looks ahead when no expiration is configured (Quay's).
const DEFAULT_EXPIRATION_WINDOW_SECS: i64 = 4 * 7 * 86_400;

#[derive(Debug, Clone, PartialEq)]
pub struct AppToken {
    pub id: i64,
    pub uuid: String,
    pub user_id: i64,
    pub title: String,
    pub created: DateTime<Utc>,
    pub expiration: Option<DateTime<Utc>>,
    pub last_accessed: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewAppToken {
    pub uuid: String,
    pub user_id: i64,
    pub title: String,
    pub token_name: String,
    pub secret_digest: String,
    pub created: DateTime<Utc>,
    pub expiration: Option<DateTime<Utc>>,
}

/// A token created just now, with the full token string (shown this once).
#[derive(Debug, Clone, PartialEq)]
pub struct CreatedAppToken {
    pub token: AppToken,
    pub token_code: String,
}

#[async_trait]
pub trait AppTokenStore: Send + Sync {
    /// Stores the token and writes `log`, atomically.
    async fn create_app_token(&self, new: NewAppToken, log: NewLogEntry) -> DomainResult<AppToken>;

    /// The user's tokens, oldest first; with `expiring_before`, only those that have not
    /// expired yet but will by then.
    async fn list_app_tokens(
        &self,
        user_id: i64,
        expiring_before: Option<DateTime<Utc>>,
    ) -> DomainResult<Vec<AppToken>>;

    async fn find_app_token(&self, user_id: i64, uuid: &str) -> DomainResult<Option<AppToken>>;

    /// Deletes the token and writes `log`, atomically; `None` if the user has no such token.
    async fn revoke_app_token(
        &self,
        user_id: i64,
        uuid: &str,
        log: NewLogEntry,
    ) -> DomainResult<Option<AppToken>>;
}

/// The app-specific token operations of the API.
#[async_trait]
pub trait AppTokenService: Send + Sync {
    /// The caller's tokens; with `expiring`, only those expiring soon.
    async fn list(&self, caller: &Caller, expiring: bool) -> DomainResult<Vec<AppToken>>;
    async fn create(&self, caller: &Caller, title: String) -> DomainResult<CreatedAppToken>;
    async fn get(&self, caller: &Caller, uuid: &str) -> DomainResult<AppToken>;
    async fn revoke(&self, caller: &Caller, uuid: &str) -> DomainResult<()>;
}

pub struct AppTokens {
    store: Arc<dyn AppTokenStore>,
    config: Arc<Config>,
    authz: Authorizer,
}

impl AppTokens {
    /// `@require_user_admin` then `@require_fresh_login`, as on Quay's token endpoints.
    fn fresh_user_admin<'c>(&self, caller: &'c Caller) -> DomainResult<&'c quay_core::Principal> {
        let p = self.authz.require_user_admin(caller)?;
        let timeout = self.config.fresh_login_timeout_seconds();
        self.authz
            .require_fresh_login(caller, Utc::now().timestamp(), timeout)?;
        Ok(p)
    }

    pub fn new(store: Arc<dyn AppTokenStore>, config: Arc<Config>) -> Self {
        let authz = Authorizer::new(&config);
        Self {
            store,
            config,
            authz,
        }
    }

    fn log(kind: LogKind, caller: &Caller, user_id: i64, token: &AppToken) -> NewLogEntry {
        NewLogEntry::new(
            kind,
            caller,
            Some(user_id),
            json!({"app_specific_token_title": token.title, "app_specific_token": token.uuid}),
        )
    }
}

#[async_trait]
impl AppTokenService for AppTokens {
    async fn list(&self, caller: &Caller, expiring: bool) -> DomainResult<Vec<AppToken>> {
        let p = self.authz.require_user_admin(caller)?;
        let before = expiring.then(|| {
            // Quay: a tenth of the configured lifetime (or of four weeks), at least 1 s.
            let lifetime = self
                .config
                .app_specific_token_expiration_seconds()
                .unwrap_or(DEFAULT_EXPIRATION_WINDOW_SECS);
            Utc::now() + Duration::seconds(((lifetime + 9) / 10).max(1))
        });
        self.store.list_app_tokens(p.user_id, before).await
    }

    async fn create(&self, caller: &Caller, title: String) -> DomainResult<CreatedAppToken> {
        let p = self.fresh_user_admin(caller)?;
        if title.trim().is_empty() {
            return Err(DomainError::invalid("Token title must not be empty"));
        }
        let now = Utc::now();
        let token_name = secret::random_token(NAME_LEN);
        let token_secret = secret::random_token(SECRET_LEN);
        let new = NewAppToken {
            uuid: secret::random_uuid(),
            user_id: p.user_id,
            title,
            secret_digest: secret::digest(&token_secret),
            token_name: token_name.clone(),
            created: now,
            expiration: self
                .config
                .app_specific_token_expiration_seconds()
                .map(|s| now + Duration::seconds(s)),
        };
        let pending = AppToken {
            id: 0,
            uuid: new.uuid.clone(),
            user_id: p.user_id,
            title: new.title.clone(),
            created: now,
            expiration: new.expiration,
            last_accessed: None,
        };
        let log = Self::log(LogKind::CreateAppSpecificToken, caller, p.user_id, &pending);
        let token = self.store.create_app_token(new, log).await?;
        Ok(CreatedAppToken {
            token,
            token_code: format!("{token_name}{token_secret}"),
        })
    }

    async fn get(&self, caller: &Caller, uuid: &str) -> DomainResult<AppToken> {
        let p = self.fresh_user_admin(caller)?;
        self.store
            .find_app_token(p.user_id, uuid)
            .await?
            .ok_or(DomainError::NotFound)
    }

    async fn revoke(&self, caller: &Caller, uuid: &str) -> DomainResult<()> {
        let p = self.fresh_user_admin(caller)?;
        let token = self
            .store
            .find_app_token(p.user_id, uuid)
            .await?
            .ok_or(DomainError::NotFound)?;
        let log = Self::log(LogKind::RevokeAppSpecificToken, caller, p.user_id, &token);
        self.store
            .revoke_app_token(p.user_id, uuid, log)
            .await?
            .map(|_| ())
            .ok_or(DomainError::NotFound)
    }
}
