//! OAuth bearer tokens: minting, storage format and authentication.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use quay_core::cache::TtlCache;
use quay_core::config::Config;
use quay_core::scope::{Scope, ScopeSet};
use quay_core::{AuthMethod, DomainResult, Principal};

use crate::secret;
use crate::session::CredentialStore;

/// Length of an OAuth access token, and of its public (lookup) part.
pub const TOKEN_LEN: usize = 40;
pub const TOKEN_NAME_LEN: usize = 20;

/// Lifetime of tokens minted by `/api/v1/user/initialize` (Quay's
/// `create_user_access_token` default).
pub const USER_TOKEN_TTL_SECS: i64 = 9000;

/// A freshly minted token: `token` is shown to the caller once; only `token_name` and
/// `code_digest` are stored.
#[derive(Debug, Clone)]
pub struct MintedToken {
    pub token: String,
    pub token_name: String,
    pub code_digest: String,
    pub scopes: ScopeSet,
    pub expires_at: DateTime<Utc>,
}

pub fn mint(scopes: ScopeSet, now: DateTime<Utc>, ttl_secs: i64) -> MintedToken {
    let token = secret::random_token(TOKEN_LEN);
    let (name, code) = token.split_at(TOKEN_NAME_LEN);
    MintedToken {
        token_name: name.to_string(),
        code_digest: secret::digest(code),
        token: token.clone(),
        scopes,
        expires_at: now + Duration::seconds(ttl_secs),
    }
}

/// What the store knows about a token and its user.
#[derive(Debug, Clone)]
pub struct OAuthTokenRecord {
    pub id: i64,
    pub user_id: i64,
    pub username: String,
    /// Disabled users, organizations and robots can never act through a token.
    pub user_can_login: bool,
    pub scope: String,
    pub code_digest: String,
    pub expires_at: DateTime<Utc>,
}

#[async_trait]
pub trait OAuthTokenStore: Send + Sync {
    async fn find_oauth_token(&self, token_name: &str) -> DomainResult<Option<OAuthTokenRecord>>;
}

/// How many token records the per-process cache keeps.
const TOKEN_CACHE_CAPACITY: usize = 10_000;

/// Turns credentials into a [`Principal`].
#[derive(Clone)]
pub struct Authenticator {
    store: Arc<dyn OAuthTokenStore>,
    credentials: Arc<dyn CredentialStore>,
    config: Arc<Config>,
    /// Token records by token name, for `CACHE_TTL_MS`. The secret is still checked on
    /// every request; only the lookup is saved.
    cache: Arc<TtlCache<String, OAuthTokenRecord>>,
    /// Session users by uuid (id, username), for `CACHE_TTL_MS`.
    session_cache: Arc<TtlCache<String, (i64, String)>>,
}

impl Authenticator {
    pub fn new(
        store: Arc<dyn OAuthTokenStore>,
        credentials: Arc<dyn CredentialStore>,
        config: Arc<Config>,
    ) -> Self {
        Self {
            cache: Arc::new(TtlCache::new(config.cache_ttl(), TOKEN_CACHE_CAPACITY)),
            session_cache: Arc::new(TtlCache::new(config.cache_ttl(), TOKEN_CACHE_CAPACITY)),
            store,
            credentials,
            config,
        }
    }

    /// The principal of a session naming the user `uuid`, signed in at `login_time`;
    /// `None` once the user signed out everywhere (new uuid) or may no longer log in.
    pub async fn authenticate_session(
        &self,
        uuid: &str,
        login_time: i64,
    ) -> DomainResult<Option<Principal>> {
        let user = match self.session_cache.get(&uuid.to_string()) {
            Some(hit) => Some(hit),
            None => {
                let found = self.credentials.find_session_user(uuid).await?;
                if let Some(user) = &found {
                    self.session_cache.insert(uuid.to_string(), user.clone());
                }
                found
            }
        };
        Ok(user.map(|(id, username)| {
            self.principal(
                id,
                username,
                ScopeSet::session(),
                AuthMethod::Session { login_time },
            )
        }))
    }

    /// Forgets a cached session user (after signing out).
    pub fn forget_session(&self, uuid: &str) {
        self.session_cache.invalidate(|k| k == uuid);
    }

    /// Forgets a cached token record (after revoking the token or disabling its user).
    pub fn forget_token(&self, token_name: &str) {
        self.cache.invalidate(|k| k == token_name);
    }

    async fn record(&self, token_name: &str) -> DomainResult<Option<OAuthTokenRecord>> {
        if let Some(hit) = self.cache.get(&token_name.to_string()) {
            return Ok(Some(hit));
        }
        let found = self.store.find_oauth_token(token_name).await?;
        if let Some(record) = &found {
            self.cache.insert(token_name.to_string(), record.clone());
        }
        Ok(found)
    }

    /// Authenticates an `Authorization: Bearer` token. A token that is malformed,
    /// unknown, wrong, expired, or whose user is disabled yields `None`: as in Quay the
    /// request then proceeds anonymously and permission checks answer 401/403.
    pub async fn authenticate_bearer(
        &self,
        token: &str,
        now: DateTime<Utc>,
    ) -> DomainResult<Option<Principal>> {
        if token.len() != TOKEN_LEN || !token.is_ascii() {
            return Ok(None);
        }
        let (name, code) = token.split_at(TOKEN_NAME_LEN);
        let Some(record) = self.record(name).await? else {
            return Ok(None);
        };
        if !secret::verify_digest(code, &record.code_digest) {
            return Ok(None);
        }
        if record.expires_at <= now || !record.user_can_login {
            return Ok(None);
        }
        let Ok(scopes) = ScopeSet::parse(&record.scope) else {
            tracing::warn!(
                token_id = record.id,
                "stored OAuth token has an unknown scope"
            );
            return Ok(None);
        };
        Ok(Some(self.principal(
            record.user_id,
            record.username,
            scopes,
            AuthMethod::OAuthToken(record.id),
        )))
    }

    /// Builds a principal, deciding the superuser powers the credentials carry.
    pub fn principal(
        &self,
        user_id: i64,
        username: String,
        scopes: ScopeSet,
        method: AuthMethod,
    ) -> Principal {
        let may_use_superuser =
            scopes.contains(Scope::SuperUser) || scopes.contains(Scope::DirectLogin);
        Principal {
            superuser: may_use_superuser && self.config.is_superuser(&username),
            global_readonly_superuser: self.config.is_global_readonly_superuser(&username),
            user_id,
            username,
            scopes,
            method,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    struct FakeStore(Mutex<Vec<OAuthTokenRecord>>);

    #[async_trait]
    impl OAuthTokenStore for FakeStore {
        async fn find_oauth_token(&self, name: &str) -> DomainResult<Option<OAuthTokenRecord>> {
            let all = self.0.lock().unwrap();
            Ok(all
                .iter()
                .find(|r| r.code_digest.starts_with(name))
                .cloned()
                .map(|mut r| {
                    r.code_digest = r.code_digest[name.len()..].to_string();
                    r
                }))
        }
    }

    struct NoSessions;

    #[async_trait]
    impl CredentialStore for NoSessions {
        async fn find_login(&self, _: &str) -> DomainResult<Option<crate::session::LoginRecord>> {
            Ok(None)
        }
        async fn find_session_user(&self, _: &str) -> DomainResult<Option<(i64, String)>> {
            Ok(None)
        }
        async fn record_login(
            &self,
            _: Option<i64>,
            _: bool,
            _: DateTime<Utc>,
            _: Option<quay_logs::NewLogEntry>,
        ) -> DomainResult<()> {
            Ok(())
        }
        async fn rotate_uuid(&self, _: i64, _: quay_logs::NewLogEntry) -> DomainResult<()> {
            Ok(())
        }
    }

    fn setup(
        scope: &str,
        ttl: i64,
        can_login: bool,
        superusers: &[&str],
    ) -> (Authenticator, String) {
        let now = Utc::now();
        let minted = mint(ScopeSet::parse(scope).unwrap(), now, ttl);
        // The fake keys records by token name, prefixed onto the digest.
        let record = OAuthTokenRecord {
            id: 7,
            user_id: 1,
            username: "devtable".into(),
            user_can_login: can_login,
            scope: minted.scopes.to_string(),
            code_digest: format!("{}{}", minted.token_name, minted.code_digest),
            expires_at: minted.expires_at,
        };
        let config = Config {
            super_users: superusers.iter().map(|s| s.to_string()).collect(),
            ..Config::default()
        };
        let auth = Authenticator::new(
            Arc::new(FakeStore(Mutex::new(vec![record]))),
            Arc::new(NoSessions),
            Arc::new(config),
        );
        (auth, minted.token)
    }

    #[tokio::test]
    async fn valid_token_yields_principal_with_its_scopes() {
        let (auth, token) = setup("repo:read super:user", 60, true, &["devtable"]);
        let p = auth
            .authenticate_bearer(&token, Utc::now())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(p.username, "devtable");
        assert!(p.scopes.contains(Scope::RepoRead));
        assert!(p.superuser);
        assert_eq!(p.method, AuthMethod::OAuthToken(7));
    }

    #[tokio::test]
    async fn superuser_power_needs_the_scope() {
        let (auth, token) = setup("repo:read", 60, true, &["devtable"]);
        let p = auth
            .authenticate_bearer(&token, Utc::now())
            .await
            .unwrap()
            .unwrap();
        assert!(!p.superuser);
    }

    #[tokio::test]
    async fn wrong_expired_disabled_or_malformed_tokens_are_anonymous() {
        let (auth, token) = setup("repo:read", 60, true, &[]);
        let mut wrong = token.clone();
        let last = if wrong.ends_with('A') { "B" } else { "A" };
        wrong.replace_range(39..40, last);
        assert!(auth
            .authenticate_bearer(&wrong, Utc::now())
            .await
            .unwrap()
            .is_none());
        assert!(auth
            .authenticate_bearer("short", Utc::now())
            .await
            .unwrap()
            .is_none());
        let later = Utc::now() + Duration::seconds(61);
        assert!(auth
            .authenticate_bearer(&token, later)
            .await
            .unwrap()
            .is_none());
        let (auth, token) = setup("repo:read", 60, false, &[]);
        assert!(auth
            .authenticate_bearer(&token, Utc::now())
            .await
            .unwrap()
            .is_none());
    }
}
