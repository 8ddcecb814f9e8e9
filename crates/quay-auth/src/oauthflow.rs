//! Quay's OAuth 2 provider (`/oauth/authorize`, `/oauth/authorizeapp`, `/oauth/denyapp`,
//! `/oauth/access_token`) and the user's view of the tokens it granted
//! (`/api/v1/user/authorizations`).
//!
//! Both grants Quay offers work: implicit (`response_type=token`: the token comes back in
//! the redirect's fragment) and authorization code (`response_type=code`, exchanged with
//! the client secret at `/oauth/access_token`). Tokens live ten years, as Quay's. Where
//! Quay's 3.11 code is broken we do what it meant: the exchange reads `client_secret`
//! (Quay reads `client_id` twice and then fails on its refresh-token assertion), codes
//! expire after ten minutes and are single use, and `state` is echoed back. Protocol
//! errors are redirected to the client only once its redirect URI is known to be
//! registered, so the endpoints are never an open redirect.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use quay_core::scope::{Scope, ScopeSet};
use quay_core::{Caller, DomainError, DomainResult, Principal};
use url::Url;

use crate::cipher::FieldCipher;
use crate::oauth::{mint, TOKEN_LEN, TOKEN_NAME_LEN};
use crate::secret::{constant_time_eq, random_token, random_uuid, verify_digest};
use crate::{Authenticator, Authorizer};

/// Lifetime of tokens granted through the OAuth flows (Quay: ten years).
pub const GRANTED_TOKEN_TTL_SECS: i64 = 315_576_000;

/// Lifetime of an authorization code.
const CODE_TTL_SECS: i64 = 600;

/// Quay's page that shows a token to a human (`LOCAL_OAUTH_HANDLER`): always an
/// acceptable redirect URI.
pub const LOCAL_HANDLER_PATH: &str = "/oauth/localapp";

/// An OAuth application with its organization, as the flows need it.
#[derive(Debug, Clone, PartialEq)]
pub struct ClientApplication {
    pub id: i64,
    pub client_id: String,
    pub name: String,
    pub description: String,
    pub application_uri: String,
    pub redirect_uri: String,
    pub avatar_email: Option<String>,
    pub client_secret_sealed: Option<String>,
    pub org_id: i64,
    pub org_name: String,
    pub org_email: Option<String>,
}

/// A token the user granted an application.
#[derive(Debug, Clone, PartialEq)]
pub struct Authorization {
    pub uuid: String,
    pub scope: String,
    pub application: ClientApplication,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewAccessToken {
    pub uuid: String,
    pub application_id: i64,
    pub user_id: i64,
    pub scope: String,
    pub token_name: String,
    pub code_digest: String,
    pub expires_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewAuthorizationCode {
    pub application_id: i64,
    pub user_id: i64,
    pub scope: String,
    pub redirect_uri: String,
    pub code_name: String,
    pub code_digest: String,
    pub expires_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct StoredCode {
    pub application_id: i64,
    pub user_id: i64,
    pub scope: String,
    pub redirect_uri: String,
    pub code_digest: String,
    pub expires_at: DateTime<Utc>,
}

#[async_trait]
pub trait OAuthProviderStore: Send + Sync {
    async fn find_client(&self, client_id: &str) -> DomainResult<Option<ClientApplication>>;

    /// Scope strings of the user's unexpired tokens for the application.
    async fn granted_scopes(
        &self,
        user_id: i64,
        application_id: i64,
        now: DateTime<Utc>,
    ) -> DomainResult<Vec<String>>;

    async fn create_access_token(&self, token: NewAccessToken) -> DomainResult<()>;

    async fn create_authorization_code(&self, code: NewAuthorizationCode) -> DomainResult<()>;

    /// Removes and returns the code named `code_name`: a code is used at most once.
    async fn take_authorization_code(&self, code_name: &str) -> DomainResult<Option<StoredCode>>;

    /// Every token the user granted, expired ones included, oldest first.
    async fn user_authorizations(&self, user_id: i64) -> DomainResult<Vec<Authorization>>;

    /// Deletes the user's token `uuid`; returns its name (to drop cached lookups).
    async fn delete_user_authorization(
        &self,
        user_id: i64,
        uuid: &str,
    ) -> DomainResult<Option<String>>;
}

/// OAuth 2 error codes (RFC 6749 plus Quay's own).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OAuthError {
    InvalidRequest,
    UnauthorizedClient,
    AccessDenied,
    UnsupportedResponseType,
    InvalidScope,
    InvalidClient,
    InvalidGrant,
    UnsupportedGrantType,
    RedirectUriMismatch,
    AuthorizationDenied,
}

impl OAuthError {
    pub fn as_str(self) -> &'static str {
        match self {
            OAuthError::InvalidRequest => "invalid_request",
            OAuthError::UnauthorizedClient => "unauthorized_client",
            OAuthError::AccessDenied => "access_denied",
            OAuthError::UnsupportedResponseType => "unsupported_response_type",
            OAuthError::InvalidScope => "invalid_scope",
            OAuthError::InvalidClient => "invalid_client",
            OAuthError::InvalidGrant => "invalid_grant",
            OAuthError::UnsupportedGrantType => "unsupported_grant_type",
            OAuthError::RedirectUriMismatch => "redirect_uri_mismatch",
            OAuthError::AuthorizationDenied => "authorization_denied",
        }
    }
}

/// What an authorization request asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthorizeRequest {
    pub client_id: String,
    pub redirect_uri: String,
    pub scope: String,
    pub response_type: String,
    pub state: Option<String>,
}

/// What an OAuth web endpoint answers.
#[derive(Debug, Clone, PartialEq)]
pub enum FlowOutcome {
    /// 302 to this URL (a grant, or an error the client should see).
    Redirect(String),
    /// The user must approve: show the consent page.
    Consent {
        application: Box<ClientApplication>,
        scopes: Vec<Scope>,
    },
    /// 400 `{"error": ...}`: the client cannot be redirected to.
    Error(OAuthError),
    /// The user must sign in first.
    LoginRequired,
    NotFound,
}

/// A successful code exchange.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenGrant {
    pub access_token: String,
    pub expires_in: i64,
    pub scope: String,
}

/// Parses an OAuth scope string (comma or space separated); `None` when empty, unknown
/// or asking for `direct_user_login`, which no application may hold.
pub fn parse_requested_scopes(scope: &str) -> Option<ScopeSet> {
    let set = ScopeSet::parse(scope).ok()?;
    (set != ScopeSet::EMPTY && !set.contains(Scope::DirectLogin)).then_some(set)
}

fn with_params(uri: &str, params: &[(&str, &str)], fragment: Option<String>) -> Option<String> {
    let mut url = Url::parse(uri).ok()?;
    {
        let mut query = url.query_pairs_mut();
        for (k, v) in params {
            query.append_pair(k, v);
        }
    }
    url.set_fragment(fragment.as_deref());
    Some(url.to_string())
}

pub struct OAuthProvider {
    store: Arc<dyn OAuthProviderStore>,
    cipher: FieldCipher,
    authenticator: Authenticator,
    authz: Authorizer,
    /// `<scheme>://<host>` of this server (for the local handler).
    base_url: String,
}

impl OAuthProvider {
    pub fn new(
        store: Arc<dyn OAuthProviderStore>,
        cipher: FieldCipher,
        authenticator: Authenticator,
        authz: Authorizer,
        base_url: String,
    ) -> Self {
        Self {
            store,
            cipher,
            authenticator,
            authz,
            base_url,
        }
    }

    /// Quay's `validate_redirect_uri`: our own token page, or an address under the
    /// application's registered redirect URI (matching scheme and host).
    fn redirect_allowed(&self, app: &ClientApplication, redirect_uri: &str) -> bool {
        if redirect_uri == format!("{}{LOCAL_HANDLER_PATH}", self.base_url) {
            return true;
        }
        let (Ok(wanted), Ok(registered)) =
            (Url::parse(redirect_uri), Url::parse(&app.redirect_uri))
        else {
            return false;
        };
        wanted.scheme() == registered.scheme()
            && wanted.host_str() == registered.host_str()
            && wanted.port_or_known_default() == registered.port_or_known_default()
            && wanted.path().starts_with(registered.path())
            && !wanted.path().contains("..")
    }

    /// An application and a redirect URI it registered, or the JSON error to answer.
    async fn client(
        &self,
        req: &AuthorizeRequest,
    ) -> DomainResult<Result<ClientApplication, FlowOutcome>> {
        let Some(app) = self.store.find_client(&req.client_id).await? else {
            return Ok(Err(FlowOutcome::Error(OAuthError::UnauthorizedClient)));
        };
        if !self.redirect_allowed(&app, &req.redirect_uri) {
            return Ok(Err(FlowOutcome::Error(OAuthError::InvalidRequest)));
        }
        Ok(Ok(app))
    }

    fn error_redirect(req: &AuthorizeRequest, error: OAuthError) -> FlowOutcome {
        let mut params = vec![("error", error.as_str())];
        if let Some(state) = &req.state {
            params.push(("state", state));
        }
        match with_params(&req.redirect_uri, &params, None) {
            Some(url) => FlowOutcome::Redirect(url),
            None => FlowOutcome::Error(OAuthError::InvalidRequest),
        }
    }

    /// `GET /oauth/authorize`: grant at once what the user already granted the
    /// application, otherwise ask.
    pub async fn authorize(
        &self,
        principal: Option<&Principal>,
        req: &AuthorizeRequest,
        now: DateTime<Utc>,
    ) -> DomainResult<FlowOutcome> {
        let Some(app) = self.store.find_client(&req.client_id).await? else {
            return Ok(FlowOutcome::NotFound);
        };
        if !self.redirect_allowed(&app, &req.redirect_uri) {
            // As Quay: tell the application at the address it registered.
            let registered = AuthorizeRequest {
                redirect_uri: app.redirect_uri.clone(),
                ..req.clone()
            };
            return Ok(Self::error_redirect(
                &registered,
                OAuthError::RedirectUriMismatch,
            ));
        }
        let Some(wanted) = parse_requested_scopes(&req.scope) else {
            return Ok(FlowOutcome::NotFound);
        };
        let Some(principal) = principal else {
            return Ok(FlowOutcome::LoginRequired);
        };
        let granted = self
            .store
            .granted_scopes(principal.user_id, app.id, now)
            .await?;
        let mut have = ScopeSet::EMPTY;
        for s in granted.iter().filter_map(|s| ScopeSet::parse(s).ok()) {
            for scope in s.iter() {
                have.insert(scope);
            }
        }
        if wanted.iter().all(|s| have.contains(s)) {
            return self.grant(Some(principal), req, now).await;
        }
        Ok(FlowOutcome::Consent {
            application: Box::new(app),
            scopes: wanted.iter().collect(),
        })
    }

    /// `POST /oauth/authorizeapp`: the user approved; issue a token (implicit grant) or
    /// a code (authorization-code grant).
    pub async fn grant(
        &self,
        principal: Option<&Principal>,
        req: &AuthorizeRequest,
        now: DateTime<Utc>,
    ) -> DomainResult<FlowOutcome> {
        let app = match self.client(req).await? {
            Ok(app) => app,
            Err(outcome) => return Ok(outcome),
        };
        let Some(principal) = principal else {
            return Ok(FlowOutcome::LoginRequired);
        };
        let Some(scopes) = parse_requested_scopes(&req.scope) else {
            return Ok(Self::error_redirect(req, OAuthError::InvalidScope));
        };
        let scope = scopes.to_string();
        let state: Vec<(&str, &str)> = req.state.iter().map(|s| ("state", s.as_str())).collect();
        match req.response_type.as_str() {
            "token" => {
                let minted = mint(scopes, now, GRANTED_TOKEN_TTL_SECS);
                self.store
                    .create_access_token(NewAccessToken {
                        uuid: random_uuid(),
                        application_id: app.id,
                        user_id: principal.user_id,
                        scope: scope.clone(),
                        token_name: minted.token_name,
                        code_digest: minted.code_digest,
                        expires_at: minted.expires_at,
                    })
                    .await?;
                let mut params = vec![("scope", scope.as_str())];
                params.extend(state);
                let fragment = format!(
                    "access_token={}&token_type=Bearer&expires_in={GRANTED_TOKEN_TTL_SECS}",
                    minted.token
                );
                Ok(
                    with_params(&req.redirect_uri, &params, Some(fragment)).map_or(
                        FlowOutcome::Error(OAuthError::InvalidRequest),
                        FlowOutcome::Redirect,
                    ),
                )
            }
            "code" => {
                let code = random_token(TOKEN_LEN);
                let (name, secret) = code.split_at(TOKEN_NAME_LEN);
                self.store
                    .create_authorization_code(NewAuthorizationCode {
                        application_id: app.id,
                        user_id: principal.user_id,
                        scope: scope.clone(),
                        redirect_uri: req.redirect_uri.clone(),
                        code_name: name.to_string(),
                        code_digest: crate::secret::digest(secret),
                        expires_at: now + Duration::seconds(CODE_TTL_SECS),
                    })
                    .await?;
                let mut params = vec![("code", code.as_str()), ("scope", scope.as_str())];
                params.extend(state);
                Ok(with_params(&req.redirect_uri, &params, None).map_or(
                    FlowOutcome::Error(OAuthError::InvalidRequest),
                    FlowOutcome::Redirect,
                ))
            }
            _ => Ok(Self::error_redirect(
                req,
                OAuthError::UnsupportedResponseType,
            )),
        }
    }

    /// `POST /oauth/denyapp`: the user said no.
    pub async fn deny(
        &self,
        principal: Option<&Principal>,
        req: &AuthorizeRequest,
    ) -> DomainResult<FlowOutcome> {
        if let Err(outcome) = self.client(req).await? {
            return Ok(outcome);
        }
        if principal.is_none() {
            return Ok(FlowOutcome::LoginRequired);
        }
        Ok(Self::error_redirect(req, OAuthError::AuthorizationDenied))
    }

    /// `POST /oauth/access_token`: exchanges an authorization code for a token.
    pub async fn exchange_code(
        &self,
        grant_type: &str,
        client_id: &str,
        client_secret: &str,
        redirect_uri: &str,
        code: &str,
        now: DateTime<Utc>,
    ) -> DomainResult<Result<TokenGrant, OAuthError>> {
        if grant_type != "authorization_code" {
            return Ok(Err(OAuthError::UnsupportedGrantType));
        }
        let Some(app) = self.store.find_client(client_id).await? else {
            return Ok(Err(OAuthError::InvalidClient));
        };
        let secret_ok = match &app.client_secret_sealed {
            Some(sealed) => constant_time_eq(
                self.cipher.decrypt(sealed)?.as_bytes(),
                client_secret.as_bytes(),
            ),
            None => false,
        };
        if !secret_ok {
            return Ok(Err(OAuthError::InvalidClient));
        }
        if code.len() != TOKEN_LEN || !code.is_ascii() {
            return Ok(Err(OAuthError::InvalidGrant));
        }
        let (name, secret) = code.split_at(TOKEN_NAME_LEN);
        let Some(stored) = self.store.take_authorization_code(name).await? else {
            return Ok(Err(OAuthError::InvalidGrant));
        };
        if !verify_digest(secret, &stored.code_digest)
            || stored.application_id != app.id
            || stored.expires_at <= now
            || stored.redirect_uri != redirect_uri
        {
            return Ok(Err(OAuthError::InvalidGrant));
        }
        let Ok(scopes) = ScopeSet::parse(&stored.scope) else {
            return Ok(Err(OAuthError::InvalidScope));
        };
        let minted = mint(scopes, now, GRANTED_TOKEN_TTL_SECS);
        self.store
            .create_access_token(NewAccessToken {
                uuid: random_uuid(),
                application_id: app.id,
                user_id: stored.user_id,
                scope: stored.scope.clone(),
                token_name: minted.token_name,
                code_digest: minted.code_digest,
                expires_at: minted.expires_at,
            })
            .await?;
        Ok(Ok(TokenGrant {
            access_token: minted.token,
            expires_in: GRANTED_TOKEN_TTL_SECS,
            scope: stored.scope,
        }))
    }

    /// `GET /api/v1/user/authorizations`.
    pub async fn authorizations(&self, caller: &Caller) -> DomainResult<Vec<Authorization>> {
        let p = self.authz.require_user_admin(caller)?;
        self.store.user_authorizations(p.user_id).await
    }

    /// `GET /api/v1/user/authorizations/{uuid}`.
    pub async fn authorization(&self, caller: &Caller, uuid: &str) -> DomainResult<Authorization> {
        self.authorizations(caller)
            .await?
            .into_iter()
            .find(|a| a.uuid == uuid)
            .ok_or(DomainError::NotFound)
    }

    /// `DELETE /api/v1/user/authorizations/{uuid}`: the token stops working at once.
    pub async fn revoke_authorization(&self, caller: &Caller, uuid: &str) -> DomainResult<()> {
        let p = self.authz.require_user_admin(caller)?;
        let name = self
            .store
            .delete_user_authorization(p.user_id, uuid)
            .await?
            .ok_or(DomainError::NotFound)?;
        self.authenticator.forget_token(&name);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requested_scopes() {
        assert!(parse_requested_scopes("repo:read,user:read").is_some());
        assert!(parse_requested_scopes("repo:read user:read").is_some());
        assert!(parse_requested_scopes("").is_none());
        assert!(parse_requested_scopes("repo:read,nope").is_none());
        assert!(parse_requested_scopes("direct_user_login").is_none());
    }

    #[test]
    fn params_are_added_to_the_redirect() {
        assert_eq!(
            with_params("https://app.example/cb?x=1", &[("code", "abc")], None).unwrap(),
            "https://app.example/cb?x=1&code=abc"
        );
        assert_eq!(
            with_params(
                "https://app.example/cb",
                &[("scope", "repo:read")],
                Some("access_token=T&token_type=Bearer".into())
            )
            .unwrap(),
            "https://app.example/cb?scope=repo%3Aread#access_token=T&token_type=Bearer"
        );
    }
}
