//! Quay's `/api/v1` error body, produced for every failure in one place.
//!
//! Body keys in Quay's order: extra payload keys, then `detail`, `error_message`,
//! `error_type`, `title`, `type` (an absolute URL), `status`.

use actix_web::body::BoxBody;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use quay_core::DomainError;
use serde_json::{Map, Value};

#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    pub status: StatusCode,
    pub error_type: &'static str,
    pub detail: String,
    /// Keys Quay puts before the standard ones (e.g. `session_required`).
    pub payload: Map<String, Value>,
}

impl ApiError {
    pub fn new(status: StatusCode, error_type: &'static str, detail: impl Into<String>) -> Self {
        ApiError {
            status,
            error_type,
            detail: detail.into(),
            payload: Map::new(),
        }
    }

    pub fn invalid_request(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_request", detail)
    }

    pub fn not_found(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", detail)
    }

    pub fn unauthenticated(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "invalid_token", detail)
    }

    pub fn with_payload(mut self, key: &str, value: Value) -> Self {
        self.payload.insert(key.into(), value);
        self
    }

    /// The JSON body, with `type` under `base_url` (`<scheme>://<host>`).
    pub fn body(&self, base_url: &str) -> Value {
        let mut body = self.payload.clone();
        body.insert("detail".into(), self.detail.clone().into());
        body.insert("error_message".into(), self.detail.clone().into());
        body.insert("error_type".into(), self.error_type.into());
        body.insert("title".into(), self.error_type.into());
        body.insert(
            "type".into(),
            format!("{base_url}/api/v1/error/{}", self.error_type).into(),
        );
        body.insert("status".into(), self.status.as_u16().into());
        Value::Object(body)
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {}: {}",
            self.status.as_u16(),
            self.error_type,
            self.detail
        )
    }
}

impl From<DomainError> for ApiError {
    fn from(err: DomainError) -> Self {
        match err {
            DomainError::InvalidRequest(msg) | DomainError::Conflict(msg) => {
                Self::invalid_request(msg)
            }
            DomainError::Rejected(msg) => {
                Self::invalid_request(msg.clone()).with_payload("message", msg.into())
            }
            DomainError::Unauthenticated(msg) => Self::unauthenticated(msg),
            DomainError::Forbidden => {
                Self::new(StatusCode::FORBIDDEN, "insufficient_scope", "Unauthorized")
            }
            DomainError::FreshLoginRequired => Self::new(
                StatusCode::UNAUTHORIZED,
                "fresh_login_required",
                "Requires fresh login",
            ),
            DomainError::NotFound => Self::not_found("Not Found"),
            DomainError::Unavailable(msg) => {
                Self::new(StatusCode::SERVICE_UNAVAILABLE, "invalid_request", msg)
            }
            DomainError::Downstream(msg) => Self::new(
                StatusCode::from_u16(520).unwrap_or(StatusCode::BAD_GATEWAY),
                "downstream_issue",
                msg,
            ),
            DomainError::Internal(msg) => {
                tracing::error!(error = %msg, "internal error");
                Self::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal_error",
                    "Internal Server Error",
                )
            }
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    /// Renders with a relative `type`; the error middleware re-renders it with the
    /// configured base URL (it keeps the error in the response extensions for that).
    fn error_response(&self) -> HttpResponse<BoxBody> {
        let mut res = HttpResponse::build(self.status).json(self.body(""));
        res.extensions_mut().insert(self.clone());
        res
    }
}

/// The result type of every handler.
pub type ApiResult<T = HttpResponse> = Result<T, ApiError>;
