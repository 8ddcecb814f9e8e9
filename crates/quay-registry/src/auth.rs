//! Docker token auth (`/v2/auth`): who the caller is (basic credentials of any kind, or
//! anonymous), what each requested scope grants them, and the signed token.
//!
//! Down-scoping is silent, as in Quay: an action the caller may not take is left out
//! of the token, and the request still succeeds. A push to a repository that does not
//! exist creates it when the caller may create repositories in the namespace.

use std::sync::Arc;

use quay_auth::credentials::{CredentialValidator, ValidatedLogin};
use quay_auth::registry_token::{Access, RegistryClaims, RegistryTokens};
use quay_auth::Authorizer;
use quay_core::config::Config;
use quay_core::names::{check_namespace, is_valid_repository_name, RepositoryName};
use quay_core::role::{RepositoryKind, RepositoryState, Role, Visibility};
use quay_core::{Caller, DomainError};
use quay_repos::{CreateRepository, RepoService, RepoStore};
use serde_json::json;

use crate::error::RegistryError;
use crate::scope::{parse_scope, Action, RepositoryScope};

/// The scope registry clients ask for before listing the catalog.
pub const CATALOG_SCOPE: &str = "registry:catalog:*";

/// A token request.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TokenRequest {
    /// Basic credentials, if any were sent.
    pub basic: Option<(String, String)>,
    /// The `scope` parameters, as sent.
    pub scopes: Vec<String>,
    pub ip: Option<String>,
}

pub struct TokenService {
    tokens: Arc<RegistryTokens>,
    credentials: Arc<CredentialValidator>,
    repos: Arc<dyn RepoStore>,
    repo_service: Arc<dyn RepoService>,
    authz: Authorizer,
    config: Arc<Config>,
}

impl TokenService {
    pub fn new(
        tokens: Arc<RegistryTokens>,
        credentials: Arc<CredentialValidator>,
        repos: Arc<dyn RepoStore>,
        repo_service: Arc<dyn RepoService>,
        config: Arc<Config>,
    ) -> Self {
        Self {
            tokens,
            credentials,
            repos,
            repo_service,
            authz: Authorizer::new(&config),
            config,
        }
    }

    /// The `WWW-Authenticate` challenge, naming `scope` when a request needed one.
    pub fn challenge(&self, scope: Option<&str>) -> String {
        let mut c = format!(
            r#"Bearer realm="{}/v2/auth",service="{}""#,
            self.config.base_url(),
            self.config.server_hostname
        );
        if let Some(scope) = scope {
            c.push_str(&format!(r#",scope="{scope}""#));
        }
        c
    }

    /// The claims of a valid registry token.
    pub async fn verify(&self, token: &str) -> Result<Option<Arc<RegistryClaims>>, RegistryError> {
        self.tokens
            .verify(token)
            .await
            .map_err(RegistryError::internal)
    }

    /// `GET /v2/auth`: a token for what the caller may do of what they asked.
    pub async fn token(&self, req: TokenRequest) -> Result<String, RegistryError> {
        let mut caller = Caller::anonymous();
        caller.ip = req.ip.clone();
        let login = match &req.basic {
            Some((user, password)) => {
                // A request without scopes is a `docker login`: audited as a login.
                let checked = self
                    .credentials
                    .validate(&caller, user, password, req.scopes.is_empty())
                    .await
                    .map_err(RegistryError::internal)?;
                match checked {
                    Ok(login) => Some(login),
                    Err(failure) => {
                        return Err(RegistryError::invalid_login(
                            failure.message(),
                            self.challenge(None),
                        ))
                    }
                }
            }
            None => None,
        };
        if login.is_none() && (req.scopes.is_empty() || !self.config.feature_anonymous_access) {
            return Err(RegistryError::unauthorized(self.challenge(None)));
        }
        if let Some(login) = &login {
            caller = Caller::user(login.principal.clone());
            caller.ip = req.ip.clone();
        }
        let mut access = Vec::new();
        for raw in &req.scopes {
            // Quay refuses this scope (400); registry clients ask for it before
            // `/v2/_catalog`, which lists only what the token's user may read anyway.
            if raw == CATALOG_SCOPE {
                access.push(Access {
                    kind: "registry".into(),
                    name: "catalog".into(),
                    actions: vec!["*".into()],
                });
                continue;
            }
            let scope = parse_scope(raw, &self.config.server_hostname).ok_or_else(|| {
                RegistryError::invalid_request("Unable to decode repository and actions")
            })?;
            let actions = self.granted(&caller, &scope).await?;
            access.push(Access {
                kind: "repository".into(),
                name: scope.requested.clone(),
                actions: actions.iter().map(|a| a.as_str().to_string()).collect(),
            });
        }
        let subject = login.as_ref().map(|l| l.principal.username.as_str());
        self.tokens
            .mint(subject, access, context(login.as_ref()))
            .await
            .map_err(RegistryError::internal)
    }

    fn repository_name(&self, path: &str) -> Result<RepositoryName, RegistryError> {
        let library = self
            .config
            .feature_library_support
            .then_some(self.config.library_namespace.as_str());
        let name =
            RepositoryName::parse_path(path, library).ok_or_else(RegistryError::name_invalid)?;
        if check_namespace(&name.namespace).is_err()
            || !is_valid_repository_name(&name.name, self.config.feature_extended_repository_names)
        {
            return Err(RegistryError::name_invalid());
        }
        Ok(name)
    }

    /// The requested actions the caller may take on the scope's repository.
    async fn granted(
        &self,
        caller: &Caller,
        scope: &RepositoryScope,
    ) -> Result<Vec<Action>, RegistryError> {
        let name = self.repository_name(&scope.path)?;
        let viewer = caller.user_id();
        let mut access = self
            .repos
            .repository_access(&name, viewer)
            .await
            .map_err(RegistryError::internal)?;
        if access.namespace_disabled {
            return Err(RegistryError::namespace_disabled());
        }
        let wants_push = scope.actions.contains(&Action::Push);
        if access.repository.is_none()
            && wants_push
            && !self.config.is_readonly()
            && self.create_on_push(caller, &name).await?
        {
            access = self
                .repos
                .repository_access(&name, viewer)
                .await
                .map_err(RegistryError::internal)?;
        }
        let Some(repo) = access
            .repository
            .filter(|r| r.state != RepositoryState::MarkedForDeletion)
        else {
            return Ok(Vec::new());
        };
        if repo.kind != RepositoryKind::Image {
            return Err(RegistryError::unsupported());
        }
        let public = repo.visibility == Visibility::Public;
        let normal = repo.state == RepositoryState::Normal;
        let may = |need: Role| {
            self.authz
                .require_repo(caller, access.granted, need, public)
                .is_ok()
        };
        let mut granted = Vec::new();
        for action in &scope.actions {
            let ok = match action {
                Action::Pull => may(Role::Read),
                Action::Push => normal && may(Role::Write),
                Action::All => normal && may(Role::Admin),
            };
            if ok {
                granted.push(*action);
            }
        }
        Ok(granted)
    }

    /// Creates the repository a push names, if the caller may create repositories in
    /// its namespace; `false` if they may not.
    async fn create_on_push(
        &self,
        caller: &Caller,
        name: &RepositoryName,
    ) -> Result<bool, RegistryError> {
        if caller.principal.is_none() {
            return Ok(false);
        }
        let visibility = if self.config.create_private_repo_on_push {
            Visibility::Private
        } else {
            Visibility::Public
        };
        let create = CreateRepository {
            namespace: Some(name.namespace.clone()),
            name: name.name.clone(),
            visibility,
            description: String::new(),
            kind: RepositoryKind::Image,
        };
        match self.repo_service.create_repository(caller, create).await {
            Ok(_) => Ok(true),
            // Created concurrently by another push: it exists now.
            Err(DomainError::InvalidRequest(msg)) if msg == "Repository already exists" => Ok(true),
            Err(DomainError::InvalidRequest(_)) => Err(RegistryError::name_invalid()),
            Err(DomainError::Forbidden | DomainError::Unauthenticated(_)) => Ok(false),
            Err(e) => Err(RegistryError::internal(e)),
        }
    }
}

/// The token's `context`: who authenticated, and how.
fn context(login: Option<&ValidatedLogin>) -> serde_json::Value {
    match login {
        Some(l) => {
            let kind = l.kind.audit_name();
            json!({
                "version": 2,
                "entity_kind": kind,
                "entity_reference": l.principal.username,
                "kind": kind,
                "user": l.principal.username,
                // Ours: the performer of the audit entries the token's requests write.
                "entity_id": l.principal.user_id,
                "com.apostille.roots": {},
                "com.apostille.root": "$disabled",
            })
        }
        None => json!({
            "version": 2,
            "entity_kind": "anonymous",
            "entity_reference": null,
            "kind": "anonymous",
            "user": null,
            "com.apostille.roots": {},
            "com.apostille.root": "$disabled",
        }),
    }
}
