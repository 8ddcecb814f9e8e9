//! The registry's error body, `{"errors": [{"code", "message", "detail"}]}`, with the
//! distribution spec's codes and Quay's messages; a 401 also carries the
//! `WWW-Authenticate` challenge that tells clients where to get a token.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use serde_json::{json, Value};

/// `Docker-Distribution-API-Version`, on every `/v2` response.
pub const API_VERSION: (&str, &str) = ("Docker-Distribution-API-Version", "registry/2.0");

#[derive(Debug, Clone, PartialEq)]
pub struct RegistryError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    /// Boxed: errors travel in `Result`s and should stay small.
    pub detail: Box<Value>,
    /// The `WWW-Authenticate` value of a 401.
    pub challenge: Option<String>,
    /// A write refused because the registry is read-only (`is_readonly` in the body).
    pub readonly: bool,
}

impl RegistryError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        RegistryError {
            status,
            code,
            message: message.into(),
            detail: Box::new(json!({})),
            challenge: None,
            readonly: false,
        }
    }

    pub fn unauthorized(challenge: String) -> Self {
        RegistryError {
            challenge: Some(challenge),
            ..Self::new(
                StatusCode::UNAUTHORIZED,
                "UNAUTHORIZED",
                "access to the requested resource is not authorized",
            )
        }
    }

    pub fn invalid_login(message: &str, challenge: String) -> Self {
        RegistryError {
            challenge: Some(challenge),
            ..Self::new(StatusCode::UNAUTHORIZED, "UNAUTHORIZED", message)
        }
    }

    pub fn invalid_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "INVALID_REQUEST", message)
    }

    pub fn name_invalid() -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "NAME_INVALID",
            "invalid repository name",
        )
    }

    pub fn unsupported() -> Self {
        Self::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "UNSUPPORTED",
            "The operation is unsupported.",
        )
    }

    /// `REGISTRY_STATE: readonly`: pulls work, writes do not.
    pub fn readonly() -> Self {
        RegistryError {
            readonly: true,
            ..Self::new(
                StatusCode::METHOD_NOT_ALLOWED,
                "DENIED",
                "System is currently read-only. Pulls will succeed but all write operations are currently suspended.",
            )
        }
    }

    /// The repository's namespace was disabled by a superuser.
    pub fn namespace_disabled() -> Self {
        Self::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "DENIED",
            "This namespace is disabled. Please contact your system administrator.",
        )
    }

    /// The namespace's quota refuses more bytes.
    pub fn quota_exceeded() -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "DENIED",
            "Quota has been exceeded on namespace",
        )
    }

    /// A failure of ours: logged, never shown.
    pub fn internal(err: impl std::fmt::Display) -> Self {
        tracing::error!(error = %err, "registry internal error");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "UNKNOWN",
            "unknown error",
        )
    }
}

impl std::fmt::Display for RegistryError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {}: {}",
            self.status.as_u16(),
            self.code,
            self.message
        )
    }
}

impl ResponseError for RegistryError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        let mut res = HttpResponse::build(self.status);
        res.insert_header(API_VERSION);
        if let Some(challenge) = &self.challenge {
            res.insert_header(("WWW-Authenticate", challenge.clone()));
        }
        let mut error = json!({
            "code": self.code,
            "message": self.message,
            "detail": *self.detail,
        });
        if self.readonly {
            error["is_readonly"] = json!(true);
        }
        res.json(json!({ "errors": [error] }))
    }
}
