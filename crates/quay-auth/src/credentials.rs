//! Basic-auth credentials for the registry (`docker login`, `/v2/auth`): Quay's
//! `validate_credentials`.
//!
//! | username        | password                         | acts as                      |
//! |-----------------|----------------------------------|------------------------------|
//! | `$app`          | app-specific token (120 chars)   | the token's user             |
//! | `$oauthtoken`   | OAuth access token (40 chars)    | the user, within its scopes  |
//! | `owner+short`   | robot token (64 chars)           | the robot                    |
//! | anything else   | the user's password (bcrypt)     | the user                     |
//!
//! Only the password row runs bcrypt; tokens are checked against digests or sealed
//! values in constant time. Failures are audited as `login_failure`; `login_success` is
//! written when the caller asks (Quay logs it for pure logins only).

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use quay_core::config::Config;
use quay_core::scope::{Scope, ScopeSet};
use quay_core::{AuthMethod, Caller, DomainResult, Principal};
use quay_logs::{LogKind, LogWriter, NewLogEntry};
use serde_json::{json, Value};

use crate::apptoken::{NAME_LEN as APP_NAME_LEN, SECRET_LEN as APP_SECRET_LEN};
use crate::cipher::FieldCipher;
use crate::secret::{constant_time_eq, verify_digest};
use crate::session::{Sessions, SignIn, INVALID_CREDENTIALS};
use crate::Authenticator;

pub const APP_TOKEN_USERNAME: &str = "$app";
pub const OAUTH_TOKEN_USERNAME: &str = "$oauthtoken";

/// Quay refreshes `last_accessed` at most this often, so logins rarely write.
const LAST_ACCESSED_THRESHOLD_SECS: i64 = 60;

const DISABLED: &str = "This user has been disabled. Please contact your administrator.";

/// What the store knows about an app-specific token and its user.
#[derive(Debug, Clone, PartialEq)]
pub struct AppTokenLogin {
    pub id: i64,
    pub title: String,
    pub secret_digest: String,
    pub expiration: Option<DateTime<Utc>>,
    pub user_id: i64,
    pub username: String,
    pub user_enabled: bool,
    pub last_accessed: Option<DateTime<Utc>>,
}

/// What the store knows about a robot and its owner.
#[derive(Debug, Clone, PartialEq)]
pub struct RobotLogin {
    pub id: i64,
    pub name: String,
    pub token_sealed: String,
    pub owner_id: i64,
    pub owner_enabled: bool,
    pub last_accessed: Option<DateTime<Utc>>,
}

#[async_trait]
pub trait RegistryCredentialStore: LogWriter {
    async fn find_app_token_login(&self, token_name: &str) -> DomainResult<Option<AppTokenLogin>>;

    async fn find_robot_login(&self, name: &str) -> DomainResult<Option<RobotLogin>>;

    /// Sets the app token's `last_accessed` to `at`.
    async fn touch_app_token(&self, id: i64, at: DateTime<Utc>) -> DomainResult<()>;

    /// Sets the robot's `last_accessed` to `at`.
    async fn touch_robot(&self, id: i64, at: DateTime<Utc>) -> DomainResult<()>;
}

/// Which kind of credential was presented.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CredentialKind {
    User,
    Robot,
    AppSpecificToken { title: String },
    OAuthToken,
}

impl CredentialKind {
    /// The `kind` Quay writes in login audit entries.
    pub fn audit_name(&self) -> &'static str {
        match self {
            CredentialKind::User => "user",
            CredentialKind::Robot => "robot",
            CredentialKind::AppSpecificToken { .. } => "app_specific_token",
            CredentialKind::OAuthToken => "oauth",
        }
    }
}

/// Credentials that checked out.
#[derive(Debug, Clone, PartialEq)]
pub struct ValidatedLogin {
    pub principal: Principal,
    pub kind: CredentialKind,
    /// The namespace login audit entries belong to (the robot's owner for robots).
    pub namespace_id: i64,
}

/// Why credentials were refused, in Quay's words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoginFailure {
    Invalid(String),
    /// Too many failed password attempts: retry after this many seconds.
    TooManyAttempts {
        retry_after_secs: i64,
    },
}

impl LoginFailure {
    pub fn message(&self) -> &str {
        match self {
            LoginFailure::Invalid(m) => m,
            LoginFailure::TooManyAttempts { .. } => "Too many login attempts.",
        }
    }
}

pub struct CredentialValidator {
    store: Arc<dyn RegistryCredentialStore>,
    sessions: Sessions,
    authenticator: Authenticator,
    cipher: FieldCipher,
    /// Seals passwords into client keys (`/api/v1/user/clientkey`).
    client_keys: FieldCipher,
    authz: crate::Authorizer,
    config: Arc<Config>,
}

/// Quay's refusal of a plain password when `FEATURE_REQUIRE_ENCRYPTED_BASIC_AUTH` is on.
pub const ENCRYPTED_PASSWORD_REQUIRED: &str = "Client login with unencrypted passwords is disabled. Please generate an encrypted password in the user admin panel for use here.";

/// What a robot token may do: everything its repository and team grants allow.
fn robot_scopes() -> ScopeSet {
    [
        Scope::RepoRead,
        Scope::RepoWrite,
        Scope::RepoAdmin,
        Scope::RepoCreate,
    ]
    .into_iter()
    .collect()
}

impl CredentialValidator {
    /// `secret` keys the client keys (the instance secret, shared by replicas).
    pub fn new(
        store: Arc<dyn RegistryCredentialStore>,
        sessions: Sessions,
        authenticator: Authenticator,
        cipher: FieldCipher,
        secret: &[u8],
        config: Arc<Config>,
    ) -> Self {
        Self {
            store,
            sessions,
            authenticator,
            cipher,
            client_keys: FieldCipher::for_purpose(secret, "client-key"),
            authz: crate::Authorizer::new(&config),
            config,
        }
    }

    /// `POST /api/v1/user/clientkey`: the caller's password, sealed into a key that
    /// logs in like the password (`docker login`) without revealing it. The password is
    /// checked first; a wrong one is Quay's 400. Writes `user_generate_client_key`.
    pub async fn client_key(&self, caller: &Caller, password: &str) -> DomainResult<String> {
        let p = self.authz.require_user_admin(caller)?;
        if !self.sessions.verify(&p.username, password).await? {
            return Err(quay_core::DomainError::invalid(INVALID_CREDENTIALS));
        }
        let log = NewLogEntry::new(
            LogKind::UserGenerateClientKey,
            caller,
            Some(p.user_id),
            json!({}),
        );
        self.store.write_log(log).await?;
        Ok(self.client_keys.encrypt(password))
    }

    /// Checks basic-auth credentials. `log_success` writes `login_success` (Quay does so
    /// for pure logins: `docker login`, `/v2/auth` without scopes).
    pub async fn validate(
        &self,
        caller: &Caller,
        username: &str,
        password: &str,
        log_success: bool,
    ) -> DomainResult<Result<ValidatedLogin, LoginFailure>> {
        let now = Utc::now();
        let (result, failure_meta) =
            if username == APP_TOKEN_USERNAME && self.config.feature_app_specific_tokens {
                self.app_token(password, now).await?
            } else if username == OAUTH_TOKEN_USERNAME {
                self.oauth_token(password, now).await?
            } else if username.contains('+') {
                self.robot(username, password, now).await?
            } else {
                return self.password(caller, username, password, log_success).await;
            };
        match &result {
            Ok(login) if log_success => {
                let mut metadata = json!({"type": "v2auth", "kind": login.kind.audit_name()});
                match &login.kind {
                    CredentialKind::Robot => metadata["robot"] = json!(login.principal.username),
                    CredentialKind::AppSpecificToken { title } => {
                        metadata["app_specific_token_title"] = json!(title)
                    }
                    _ => {}
                }
                let log = NewLogEntry {
                    performer_id: Some(login.principal.user_id),
                    ..NewLogEntry::new(
                        LogKind::LoginSuccess,
                        caller,
                        Some(login.namespace_id),
                        metadata,
                    )
                };
                self.store.write_log(log).await?;
            }
            Ok(_) => {}
            Err(failure) => {
                let (namespace_id, performer_id, mut metadata) = failure_meta;
                metadata["type"] = json!("v2auth");
                metadata["message"] = json!(failure.message());
                let log = NewLogEntry {
                    performer_id,
                    ..NewLogEntry::new(LogKind::LoginFailure, caller, namespace_id, metadata)
                };
                self.store.write_log(log).await?;
            }
        }
        Ok(result)
    }

    async fn password(
        &self,
        caller: &Caller,
        username: &str,
        password: &str,
        log_success: bool,
    ) -> DomainResult<Result<ValidatedLogin, LoginFailure>> {
        // A client key stands for the password it seals.
        let unsealed = self.client_keys.decrypt(password).ok();
        if unsealed.is_none() && self.config.feature_require_encrypted_basic_auth {
            return Ok(Err(LoginFailure::Invalid(
                ENCRYPTED_PASSWORD_REQUIRED.into(),
            )));
        }
        let password = unsealed.as_deref().unwrap_or(password);
        let outcome = self
            .sessions
            .check_password(caller, username, password, "v2auth", log_success)
            .await?;
        Ok(match outcome {
            SignIn::Success {
                user_id, username, ..
            } => Ok(ValidatedLogin {
                principal: self.authenticator.principal(
                    user_id,
                    username,
                    ScopeSet::session(),
                    AuthMethod::Basic,
                ),
                kind: CredentialKind::User,
                namespace_id: user_id,
            }),
            SignIn::InvalidCredentials | SignIn::NeedsVerification => {
                Err(LoginFailure::Invalid(INVALID_CREDENTIALS.into()))
            }
            SignIn::TooManyAttempts { retry_after_secs } => {
                Err(LoginFailure::TooManyAttempts { retry_after_secs })
            }
        })
    }

    async fn app_token(
        &self,
        token: &str,
        now: DateTime<Utc>,
    ) -> DomainResult<(Result<ValidatedLogin, LoginFailure>, FailureMeta)> {
        let mut meta: FailureMeta = (None, None, json!({"kind": "app_specific_token"}));
        let invalid = || Err(LoginFailure::Invalid("Invalid token".into()));
        if token.len() != APP_NAME_LEN + APP_SECRET_LEN || !token.is_ascii() {
            return Ok((invalid(), meta));
        }
        let (name, secret) = token.split_at(APP_NAME_LEN);
        let Some(found) = self.store.find_app_token_login(name).await? else {
            return Ok((invalid(), meta));
        };
        if !verify_digest(secret, &found.secret_digest)
            || found.expiration.is_some_and(|e| e <= now)
        {
            return Ok((invalid(), meta));
        }
        if !found.user_enabled {
            meta = (
                Some(found.user_id),
                Some(found.user_id),
                json!({"kind": "app_specific_token", "app_specific_token_title": found.title, "username": found.username}),
            );
            return Ok((Err(LoginFailure::Invalid(DISABLED.into())), meta));
        }
        if is_stale(found.last_accessed, now) {
            self.store.touch_app_token(found.id, now).await?;
        }
        let login = ValidatedLogin {
            principal: self.authenticator.principal(
                found.user_id,
                found.username,
                ScopeSet::session(),
                AuthMethod::Basic,
            ),
            kind: CredentialKind::AppSpecificToken { title: found.title },
            namespace_id: found.user_id,
        };
        Ok((Ok(login), meta))
    }

    async fn oauth_token(
        &self,
        token: &str,
        now: DateTime<Utc>,
    ) -> DomainResult<(Result<ValidatedLogin, LoginFailure>, FailureMeta)> {
        let meta: FailureMeta = (None, None, json!({"kind": "oauth"}));
        Ok(
            match self.authenticator.authenticate_bearer(token, now).await? {
                Some(principal) => {
                    let namespace_id = principal.user_id;
                    let login = ValidatedLogin {
                        principal,
                        kind: CredentialKind::OAuthToken,
                        namespace_id,
                    };
                    (Ok(login), meta)
                }
                None => (
                    Err(LoginFailure::Invalid(
                        "OAuth access token could not be validated".into(),
                    )),
                    meta,
                ),
            },
        )
    }

    async fn robot(
        &self,
        name: &str,
        token: &str,
        now: DateTime<Utc>,
    ) -> DomainResult<(Result<ValidatedLogin, LoginFailure>, FailureMeta)> {
        let wrong = || {
            Err(LoginFailure::Invalid(format!(
                "Could not find robot with username: {name} and supplied password."
            )))
        };
        let owner_name = name.split('+').next().unwrap_or_default();
        let mut meta: FailureMeta = (
            None,
            None,
            json!({"kind": "robot", "robot": name, "username": owner_name}),
        );
        let Some(robot) = self.store.find_robot_login(name).await? else {
            return Ok((
                Err(LoginFailure::Invalid(
                    "Could not find robot with specified username".into(),
                )),
                meta,
            ));
        };
        meta.0 = Some(robot.owner_id);
        meta.1 = Some(robot.id);
        let stored = self.cipher.decrypt(&robot.token_sealed)?;
        if !token.is_ascii() || !constant_time_eq(stored.as_bytes(), token.as_bytes()) {
            return Ok((wrong(), meta));
        }
        if !robot.owner_enabled {
            return Ok((Err(LoginFailure::Invalid(DISABLED.into())), meta));
        }
        if is_stale(robot.last_accessed, now) {
            self.store.touch_robot(robot.id, now).await?;
        }
        let login = ValidatedLogin {
            principal: Principal {
                user_id: robot.id,
                username: robot.name,
                scopes: robot_scopes(),
                method: AuthMethod::Basic,
                superuser: false,
                global_readonly_superuser: false,
            },
            kind: CredentialKind::Robot,
            namespace_id: robot.owner_id,
        };
        Ok((Ok(login), meta))
    }
}

/// For a failure: the namespace and performer of its audit entry, and its metadata.
type FailureMeta = (Option<i64>, Option<i64>, Value);

/// Whether `last_accessed` is old enough to be worth a write.
fn is_stale(last_accessed: Option<DateTime<Utc>>, now: DateTime<Utc>) -> bool {
    last_accessed.is_none_or(|t| t < now - Duration::seconds(LAST_ACCESSED_THRESHOLD_SECS))
}
