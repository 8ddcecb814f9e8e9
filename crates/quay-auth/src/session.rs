//! Password sign-in for browser sessions (`/api/v1/signin`, `/signin/verify`, `/signout`).
//!
//! A session names its user by the user's `uuid`; signing out rotates that uuid, which
//! ends every session of the user at once (Quay's behaviour). Failed sign-ins back off
//! exponentially: after `n` failures the next attempt waits until
//! `last_failure + 0.5 * (2^n - 1)` seconds.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use quay_core::{Caller, DomainError, DomainResult};
use quay_logs::{LogKind, NewLogEntry};
use serde_json::json;

use crate::secret;

/// What sign-in needs to know about an account.
#[derive(Debug, Clone, PartialEq)]
pub struct LoginRecord {
    pub id: i64,
    pub uuid: String,
    pub username: String,
    pub password_hash: Option<String>,
    /// Enabled, and a user (not an organization or robot).
    pub can_login: bool,
    pub verified: bool,
    pub invalid_login_attempts: i32,
    pub last_invalid_login: Option<DateTime<Utc>>,
}

#[async_trait]
pub trait CredentialStore: Send + Sync {
    /// The account with this username, or else with this e-mail address.
    async fn find_login(&self, username_or_email: &str) -> DomainResult<Option<LoginRecord>>;

    /// The user a session names, if it may still log in: (id, username).
    async fn find_session_user(&self, uuid: &str) -> DomainResult<Option<(i64, String)>>;

    /// Records a sign-in attempt (resetting or counting failures) and writes `log`.
    async fn record_login(
        &self,
        user_id: Option<i64>,
        success: bool,
        at: DateTime<Utc>,
        log: Option<NewLogEntry>,
    ) -> DomainResult<()>;

    /// Gives the user a new uuid, ending all their sessions, and writes `log`.
    async fn rotate_uuid(&self, user_id: i64, log: NewLogEntry) -> DomainResult<()>;
}

/// How a sign-in ended.
#[derive(Debug, Clone, PartialEq)]
pub enum SignIn {
    /// Signed in: the session names `uuid`.
    Success {
        user_id: i64,
        /// The account's name (the sign-in may have used the e-mail address).
        username: String,
        uuid: String,
    },
    InvalidCredentials,
    /// The e-mail address is not verified yet.
    NeedsVerification,
    /// Too many failures: try again after this many seconds.
    TooManyAttempts {
        retry_after_secs: i64,
    },
}

/// Seconds to wait after `attempts` failures, the last at `last`.
pub fn backoff_remaining(
    attempts: i32,
    last: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Option<i64> {
    let last = last?;
    if attempts <= 0 {
        return None;
    }
    let wait_ms = 500.0 * (2f64.powi(attempts.min(20)) - 1.0);
    let until = last + chrono::Duration::milliseconds(wait_ms as i64);
    (until > now).then(|| ((until - now).num_milliseconds() + 999) / 1000)
}

pub struct Sessions {
    store: Arc<dyn CredentialStore>,
}

impl Sessions {
    pub fn new(store: Arc<dyn CredentialStore>) -> Self {
        Self { store }
    }

    async fn password_matches(record: &LoginRecord, password: &str) -> DomainResult<bool> {
        let Some(hash) = record.password_hash.clone() else {
            return Ok(false);
        };
        let password = password.to_string();
        tokio::task::spawn_blocking(move || secret::verify_password(&password, &hash))
            .await
            .map_err(DomainError::internal)
    }

    /// Checks a username (or e-mail) and password for `/api/v1/signin`, with backoff and
    /// audit logs.
    pub async fn sign_in(
        &self,
        caller: &Caller,
        username: &str,
        password: &str,
    ) -> DomainResult<SignIn> {
        self.check_password(caller, username, password, "quayauth", true)
            .await
    }

    /// The password check behind every password login: backoff after failures, a
    /// `login_failure` entry (metadata `type` = `audit_type`) for each failure, and a
    /// `login_success` entry when `log_success`. A success writes nothing else unless
    /// earlier failures must be reset, so registry logins do not queue on the writer.
    pub async fn check_password(
        &self,
        caller: &Caller,
        username: &str,
        password: &str,
        audit_type: &str,
        log_success: bool,
    ) -> DomainResult<SignIn> {
        let now = Utc::now();
        let record = self
            .store
            .find_login(username)
            .await?
            .filter(|r| r.can_login);
        let Some(record) = record else {
            let log = failure_log(caller, None, username, audit_type);
            self.store.record_login(None, false, now, Some(log)).await?;
            return Ok(SignIn::InvalidCredentials);
        };
        if let Some(secs) = backoff_remaining(
            record.invalid_login_attempts,
            record.last_invalid_login,
            now,
        ) {
            return Ok(SignIn::TooManyAttempts {
                retry_after_secs: secs,
            });
        }
        if !Self::password_matches(&record, password).await? {
            // Stamped after the (slow) check, so the backoff runs from the failure.
            let log = failure_log(caller, Some(record.id), username, audit_type);
            self.store
                .record_login(Some(record.id), false, Utc::now(), Some(log))
                .await?;
            return Ok(SignIn::InvalidCredentials);
        }
        if !record.verified {
            return Ok(SignIn::NeedsVerification);
        }
        let log = log_success.then(|| NewLogEntry {
            performer_id: Some(record.id),
            ..NewLogEntry::new(
                LogKind::LoginSuccess,
                caller,
                Some(record.id),
                json!({"type": audit_type, "kind": "user"}),
            )
        });
        if log.is_some() || record.invalid_login_attempts > 0 {
            self.store
                .record_login(Some(record.id), true, now, log)
                .await?;
        }
        Ok(SignIn::Success {
            user_id: record.id,
            username: record.username,
            uuid: record.uuid,
        })
    }

    /// Re-checks the signed-in user's password (`/api/v1/signin/verify`).
    pub async fn verify(&self, username: &str, password: &str) -> DomainResult<bool> {
        match self
            .store
            .find_login(username)
            .await?
            .filter(|r| r.can_login && r.username == username)
        {
            Some(record) => Self::password_matches(&record, password).await,
            None => Ok(false),
        }
    }

    /// Ends every session of the caller's user.
    pub async fn sign_out(&self, caller: &Caller) -> DomainResult<()> {
        let Some(p) = &caller.principal else {
            return Ok(());
        };
        let log = NewLogEntry::new(
            LogKind::LogoutSuccess,
            caller,
            Some(p.user_id),
            json!({"type": "quayauth"}),
        );
        self.store.rotate_uuid(p.user_id, log).await
    }
}

fn failure_log(
    caller: &Caller,
    user_id: Option<i64>,
    username: &str,
    audit_type: &str,
) -> NewLogEntry {
    NewLogEntry::new(
        LogKind::LoginFailure,
        caller,
        user_id,
        json!({"type": audit_type, "kind": "user", "username": username, "message": INVALID_CREDENTIALS}),
    )
}

/// Quay's answer to a wrong username or password.
pub const INVALID_CREDENTIALS: &str = "Invalid Username or Password";

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    #[test]
    fn backoff_doubles_after_each_failure() {
        let now = Utc::now();
        assert_eq!(backoff_remaining(0, Some(now), now), None);
        assert_eq!(backoff_remaining(3, None, now), None);
        // 1 failure: 0.5 s; 3 failures: 3.5 s; 10 failures: ~511 s.
        assert_eq!(backoff_remaining(1, Some(now), now), Some(1));
        assert_eq!(backoff_remaining(3, Some(now), now), Some(4));
        assert_eq!(backoff_remaining(10, Some(now), now), Some(512));
        assert_eq!(
            backoff_remaining(3, Some(now - Duration::seconds(4)), now),
            None
        );
    }
}
