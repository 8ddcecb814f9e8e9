//! The one error type every domain service returns.
//!
//! Kinds, not transports: the HTTP layer maps each kind once to Quay's `/api/v1` error
//! body or to the registry's `/v2` error body.

use thiserror::Error;

pub type DomainResult<T> = Result<T, DomainError>;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DomainError {
    /// Bad input (Quay's `invalid_request`, 400), with the message shown to the caller.
    #[error("{0}")]
    InvalidRequest(String),
    /// The caller is anonymous (or not a user) and the action needs a user (401).
    #[error("{0}")]
    Unauthenticated(String),
    /// The caller is authenticated but not permitted (403 `insufficient_scope`).
    #[error("Unauthorized")]
    Forbidden,
    /// The action needs a recent password entry (401 `fresh_login_required`).
    #[error("Requires fresh login")]
    FreshLoginRequired,
    #[error("Not Found")]
    NotFound,
    /// A data-model rule refused the change (Quay's `DataModelException`: 400 with a
    /// `message` key besides the standard ones).
    #[error("{0}")]
    Rejected(String),
    /// A uniqueness rule was violated (Quay answers these with 400 and a message).
    #[error("{0}")]
    Conflict(String),
    /// The target cannot change in its current state (Quay answers 503 with a message,
    /// e.g. writes to a read-only or mirrored repository).
    #[error("{0}")]
    Unavailable(String),
    /// A service we depend on cannot answer (Quay's `DownstreamIssue`: 520), with the
    /// message shown to the caller.
    #[error("{0}")]
    Downstream(String),
    /// A failure of ours (database, storage); never caused by input. The message is for
    /// logs, not for the caller.
    #[error("internal error: {0}")]
    Internal(String),
}

impl DomainError {
    pub fn invalid(msg: impl Into<String>) -> Self {
        DomainError::InvalidRequest(msg.into())
    }

    pub fn rejected(msg: impl Into<String>) -> Self {
        DomainError::Rejected(msg.into())
    }

    pub fn internal(err: impl std::fmt::Display) -> Self {
        DomainError::Internal(err.to_string())
    }

    /// Quay's `Unauthorized()`: 401 for anonymous callers, 403 for authenticated ones.
    pub fn unauthorized(authenticated: bool) -> Self {
        if authenticated {
            DomainError::Forbidden
        } else {
            DomainError::Unauthenticated("Requires authentication".into())
        }
    }
}
