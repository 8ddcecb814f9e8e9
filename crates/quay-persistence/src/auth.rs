//! `OAuthTokenStore`: one indexed lookup joined with the token's user.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use quay_auth::{OAuthTokenRecord, OAuthTokenStore};
use quay_core::DomainResult;
use sea_orm::{ConnectionTrait, FromQueryResult};

use crate::{db_err, SqlStore};

#[derive(FromQueryResult)]
struct TokenRow {
    id: i64,
    user_id: i64,
    username: String,
    enabled: bool,
    organization: bool,
    robot: bool,
    scope: String,
    token_code_digest: String,
    expires_at: DateTime<Utc>,
}

#[async_trait]
impl OAuthTokenStore for SqlStore {
    async fn find_oauth_token(&self, token_name: &str) -> DomainResult<Option<OAuthTokenRecord>> {
        let stmt = self.db.stmt(
            "SELECT t.id, t.authorized_user_id AS user_id, n.username, n.enabled, n.organization, \
             n.robot, t.scope, t.token_code_digest, t.expires_at \
             FROM oauth_access_token t JOIN namespace n ON n.id = t.authorized_user_id \
             WHERE t.token_name = ?",
            vec![token_name.into()],
        );
        let row = self.db.conn.query_one(stmt).await.map_err(db_err)?;
        let Some(row) = row else { return Ok(None) };
        let r = TokenRow::from_query_result(&row, "").map_err(db_err)?;
        Ok(Some(OAuthTokenRecord {
            id: r.id,
            user_id: r.user_id,
            username: r.username,
            user_can_login: r.enabled && !r.organization && !r.robot,
            scope: r.scope,
            code_digest: r.token_code_digest,
            expires_at: r.expires_at,
        }))
    }
}
