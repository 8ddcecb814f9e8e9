//! Access to a repository on `/v2`: the bearer token's grants (what `/v2/auth` decided),
//! or, without a token, anonymous pulls of public repositories. Refusals are 401 with a
//! challenge naming the scope to ask for, and never tell whether the repository exists.

use actix_web::http::header::AUTHORIZATION;
use actix_web::http::StatusCode;
use actix_web::HttpRequest;
use quay_core::names::{check_namespace, is_valid_repository_name, RepositoryName};
use quay_core::role::{RepositoryKind, RepositoryState, Visibility};
use quay_repos::Repository;
use serde::de::DeserializeOwned;

use crate::error::RegistryError;
use crate::scope::Action;
use crate::RegistryState;

/// The query string as `T` (repeated keys: the last wins).
pub fn query_pairs<T: DeserializeOwned>(req: &HttpRequest) -> Result<T, RegistryError> {
    serde_urlencoded::from_str(req.query_string())
        .map_err(|_| RegistryError::invalid_request("Invalid request"))
}

fn bearer(req: &HttpRequest) -> Option<&str> {
    let value = req.headers().get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("Bearer").then(|| token.trim())
}

/// The repository `name` names, if it is a valid name.
pub fn repository_name(state: &RegistryState, name: &str) -> Result<RepositoryName, RegistryError> {
    let config = &state.config;
    let library = config
        .feature_library_support
        .then_some(config.library_namespace.as_str());
    let parsed =
        RepositoryName::parse_path(name, library).ok_or_else(RegistryError::name_invalid)?;
    if check_namespace(&parsed.namespace).is_err()
        || !is_valid_repository_name(&parsed.name, config.feature_extended_repository_names)
    {
        return Err(RegistryError::name_invalid());
    }
    Ok(parsed)
}

/// The repository `name`, if the request may take `action` on it.
pub async fn authorize(
    state: &RegistryState,
    req: &HttpRequest,
    name: &str,
    action: Action,
) -> Result<Repository, RegistryError> {
    let repo_name = repository_name(state, name)?;
    let wanted = match action {
        Action::Pull => "pull",
        Action::Push => "pull,push",
        Action::All => "*",
    };
    let challenge = || {
        RegistryError::unauthorized(
            state
                .auth
                .challenge(Some(&format!("repository:{repo_name}:{wanted}"))),
        )
    };
    let granted = match bearer(req) {
        Some(token) => {
            let claims = state.auth.verify(token).await?.ok_or_else(challenge)?;
            let host_name = format!("{}/{}", state.config.server_hostname, repo_name);
            claims.access.iter().any(|a| {
                a.kind == "repository"
                    && (a.name == repo_name.to_string() || a.name == host_name || a.name == name)
                    && a.actions.iter().any(|x| x == action.as_str() || x == "*")
            })
        }
        None => false,
    };
    let access = state
        .repos
        .repository_access(&repo_name, None)
        .await
        .map_err(RegistryError::internal)?;
    let repo = access
        .repository
        .filter(|r| r.state != RepositoryState::MarkedForDeletion);
    let anonymous_pull = |r: &Repository| {
        action == Action::Pull
            && r.visibility == Visibility::Public
            && state.config.feature_anonymous_access
    };
    match repo {
        Some(r) if granted || anonymous_pull(&r) => {
            if r.kind != RepositoryKind::Image {
                return Err(RegistryError::unsupported());
            }
            Ok(r)
        }
        None if granted => Err(RegistryError::new(
            StatusCode::NOT_FOUND,
            "NAME_UNKNOWN",
            "repository name not known to registry",
        )),
        _ => Err(challenge()),
    }
}
