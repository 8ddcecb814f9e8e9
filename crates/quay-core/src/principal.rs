//! The authenticated caller of a request.

use crate::scope::ScopeSet;

/// How the caller proved who they are; it decides CSRF and fresh-login rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthMethod {
    /// `Authorization: Bearer` with an OAuth access token (its id).
    OAuthToken(i64),
    /// A signed-in browser session, signed in (or re-verified) at `login_time` (unix s).
    Session { login_time: i64 },
    /// Registry basic-auth credentials (password, app-specific, OAuth or robot token);
    /// never fresh enough for `@require_fresh_login`.
    Basic,
}

/// An authenticated user. Anonymous callers are `Option<Principal>::None`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub user_id: i64,
    pub username: String,
    pub scopes: ScopeSet,
    pub method: AuthMethod,
    /// Listed in `SUPER_USERS` *and* authenticated in a way that may use it
    /// (a session, or a token carrying `super:user`).
    pub superuser: bool,
    /// Listed in `GLOBAL_READONLY_SUPER_USERS`: may read everything, change nothing extra.
    pub global_readonly_superuser: bool,
}

/// Who is calling and from where: what every service method receives.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Caller {
    pub principal: Option<Principal>,
    /// The client address, recorded in audit logs.
    pub ip: Option<String>,
}

impl Caller {
    pub fn anonymous() -> Self {
        Caller::default()
    }

    pub fn user(principal: Principal) -> Self {
        Caller {
            principal: Some(principal),
            ip: None,
        }
    }

    pub fn is_authenticated(&self) -> bool {
        self.principal.is_some()
    }

    pub fn user_id(&self) -> Option<i64> {
        self.principal.as_ref().map(|p| p.user_id)
    }
}
