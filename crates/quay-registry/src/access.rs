//! Access to a repository on `/v2`: the bearer token's grants (what `/v2/auth` decided),
//! or, without a token, anonymous pulls of public repositories. Refusals are 401 with a
//! challenge naming the scope to ask for, and never tell whether the repository exists.

use actix_web::http::header::{AUTHORIZATION, USER_AGENT};
use actix_web::http::StatusCode;
use actix_web::HttpRequest;
use quay_auth::registry_token::RegistryClaims;
use quay_core::names::{check_namespace, is_valid_repository_name, RepositoryName};
use quay_core::role::{RepositoryKind, RepositoryState, Visibility};
use quay_logs::{LogKind, NewLogEntry};
use quay_repos::Repository;
use serde::de::DeserializeOwned;
use serde_json::{json, Value};

use crate::error::RegistryError;
use crate::scope::Action;
use crate::RegistryState;

/// The query string as `T` (repeated keys: the last wins).
pub fn query_pairs<T: DeserializeOwned>(req: &HttpRequest) -> Result<T, RegistryError> {
    serde_urlencoded::from_str(req.query_string())
        .map_err(|_| RegistryError::invalid_request("Invalid request"))
}

pub fn bearer(req: &HttpRequest) -> Option<&str> {
    let value = visible_ascii(req.headers().get(AUTHORIZATION)?.as_bytes())?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("Bearer").then(|| token.trim())
}

/// `bytes` as text if they are all visible ASCII or tabs, as `HeaderValue::to_str`
/// requires. A bearer token is over a kilobyte and `to_str` looks at it a byte at a
/// time with an early exit (about 10 000 instructions per request, callgrind); this
/// check has no early exit, so the compiler can vectorize it.
fn visible_ascii(bytes: &[u8]) -> Option<&str> {
    let visible = bytes.iter().fold(true, |all, &b| {
        all & ((b' '..=b'~').contains(&b) | (b == b'\t'))
    });
    visible.then(|| std::str::from_utf8(bytes).ok()).flatten()
}

/// Who a `/v2` request acts for, as its token's `context` says: the performer of the
/// audit entries it writes.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Actor {
    /// The user's or robot's id; `None` for anonymous requests.
    pub id: Option<i64>,
    pub name: Option<String>,
    pub robot: bool,
}

impl Actor {
    pub fn from_claims(claims: &RegistryClaims) -> Actor {
        let c = &claims.context;
        let id = c.get("entity_id").and_then(Value::as_i64);
        Actor {
            id,
            name: id.and(c.get("user").and_then(Value::as_str).map(str::to_string)),
            robot: c.get("kind").and_then(Value::as_str) == Some("robot"),
        }
    }
}

/// A request's repository, and who is acting on it.
pub struct Authorized {
    pub repo: Repository,
    pub actor: Actor,
}

impl Authorized {
    /// An audit entry about the repository, with Quay's `track_and_log` metadata
    /// (repository, namespace, user agent, the actor) plus `extra`.
    pub fn log(&self, kind: LogKind, req: &HttpRequest, extra: Value) -> NewLogEntry {
        let mut metadata = json!({
            "repo": self.repo.name,
            "namespace": self.repo.namespace,
            "user-agent": req.headers().get(USER_AGENT).and_then(|v| v.to_str().ok()).unwrap_or(""),
        });
        if let Some(name) = &self.actor.name {
            let key = if self.actor.robot {
                "robot"
            } else {
                "username"
            };
            metadata[key] = json!(name);
        }
        if let (Value::Object(m), Value::Object(extra)) = (&mut metadata, extra) {
            m.extend(extra);
        }
        NewLogEntry {
            kind,
            account_id: Some(self.repo.namespace_id),
            performer_id: self.actor.id,
            repository_id: Some(self.repo.id),
            ip: req
                .connection_info()
                .realip_remote_addr()
                .map(str::to_string),
            metadata,
        }
    }
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
) -> Result<Authorized, RegistryError> {
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
    let (granted, actor) = match bearer(req) {
        Some(token) => {
            let claims = state.auth.verify(token).await?.ok_or_else(challenge)?;
            let host_name = format!("{}/{}", state.config.server_hostname, repo_name);
            let granted = claims.access.iter().any(|a| {
                a.kind == "repository"
                    && (a.name == repo_name.to_string() || a.name == host_name || a.name == name)
                    && a.actions.iter().any(|x| x == action.as_str() || x == "*")
            });
            (granted, Actor::from_claims(&claims))
        }
        None => (false, Actor::default()),
    };
    let access = state
        .repositories
        .lookup(&repo_name)
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
            if !r.namespace_enabled {
                return Err(RegistryError::namespace_disabled());
            }
            if r.kind != RepositoryKind::Image {
                return Err(RegistryError::unsupported());
            }
            // After authorization, as Quay's `check_readonly`.
            if action != Action::Pull && state.config.is_readonly() {
                return Err(RegistryError::readonly());
            }
            Ok(Authorized { repo: r, actor })
        }
        None if granted => Err(RegistryError::new(
            StatusCode::NOT_FOUND,
            "NAME_UNKNOWN",
            "repository name not known to registry",
        )),
        _ => Err(challenge()),
    }
}

/// Refuses a push that the namespace's quota does not allow.
pub async fn check_quota(
    state: &RegistryState,
    repo: &Repository,
    additional_bytes: u64,
) -> Result<(), RegistryError> {
    let allowed = state
        .quota
        .allows(repo.namespace_id, additional_bytes)
        .await
        .map_err(RegistryError::internal)?;
    if allowed {
        Ok(())
    } else {
        Err(RegistryError::quota_exceeded())
    }
}

#[cfg(test)]
mod tests {
    use actix_web::http::header::HeaderValue;

    use super::visible_ascii;

    #[test]
    fn visible_ascii_accepts_what_header_to_str_accepts() {
        let mut cases: Vec<Vec<u8>> = (0..=255u8).map(|b| vec![b'a', b, b'z']).collect();
        cases.push(b"Bearer eyJ.x\ty".to_vec());
        cases.push(Vec::new());
        for bytes in cases {
            let Ok(value) = HeaderValue::from_bytes(&bytes) else {
                continue;
            };
            assert_eq!(visible_ascii(&bytes), value.to_str().ok(), "{bytes:?}");
        }
    }
}
