//! `OAuthTokenStore` (one indexed lookup joined with the token's user) and
//! `OAuthProviderStore` (grants and authorization codes) and `ApplicationStore`.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use quay_auth::oauthflow::{
    Authorization, ClientApplication, NewAccessToken, NewAuthorizationCode, StoredCode,
};
use quay_auth::{OAuthProviderStore, OAuthTokenRecord, OAuthTokenStore};
use quay_core::{DomainError, DomainResult};
use quay_logs::NewLogEntry;
use quay_orgs::applications::{ApplicationFields, NewApplication};
use quay_orgs::ApplicationStore;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, NotSet,
    QueryFilter, Set,
};

use crate::entity::{oauth_access_token, oauth_application};
use crate::logs::insert_log;
use crate::{db_err, query_all, SqlStore};

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

const SELECT_CLIENT: &str = "SELECT a.id, a.client_id, a.name, a.description, a.application_uri, \
     a.redirect_uri, a.avatar_email, a.secure_client_secret, a.organization_id AS org_id, \
     o.username AS org_name, o.email AS org_email \
     FROM oauth_application a JOIN namespace o ON o.id = a.organization_id";

#[derive(FromQueryResult)]
struct ClientRow {
    id: i64,
    client_id: String,
    name: String,
    description: String,
    application_uri: String,
    redirect_uri: String,
    avatar_email: Option<String>,
    secure_client_secret: Option<String>,
    org_id: i64,
    org_name: String,
    org_email: Option<String>,
}

impl From<ClientRow> for ClientApplication {
    fn from(r: ClientRow) -> Self {
        ClientApplication {
            id: r.id,
            client_id: r.client_id,
            name: r.name,
            description: r.description,
            application_uri: r.application_uri,
            redirect_uri: r.redirect_uri,
            avatar_email: r.avatar_email,
            client_secret_sealed: r.secure_client_secret,
            org_id: r.org_id,
            org_name: r.org_name,
            org_email: r.org_email,
        }
    }
}

#[async_trait]
impl OAuthProviderStore for SqlStore {
    async fn find_client(&self, client_id: &str) -> DomainResult<Option<ClientApplication>> {
        let stmt = self.db.stmt(
            &format!("{SELECT_CLIENT} WHERE a.client_id = ?"),
            vec![client_id.into()],
        );
        let Some(row) = self.db.conn.query_one(stmt).await.map_err(db_err)? else {
            return Ok(None);
        };
        Ok(Some(
            ClientRow::from_query_result(&row, "")
                .map_err(db_err)?
                .into(),
        ))
    }

    async fn granted_scopes(
        &self,
        user_id: i64,
        application_id: i64,
        now: DateTime<Utc>,
    ) -> DomainResult<Vec<String>> {
        let rows = oauth_access_token::Entity::find()
            .filter(oauth_access_token::Column::AuthorizedUserId.eq(user_id))
            .filter(oauth_access_token::Column::ApplicationId.eq(application_id))
            .filter(oauth_access_token::Column::ExpiresAt.gt(now))
            .all(&self.db.conn)
            .await
            .map_err(db_err)?;
        Ok(rows.into_iter().map(|t| t.scope).collect())
    }

    async fn create_access_token(&self, token: NewAccessToken) -> DomainResult<()> {
        let txn = self.db.begin_write().await?;
        oauth_access_token::ActiveModel {
            id: NotSet,
            uuid: Set(token.uuid),
            application_id: Set(token.application_id),
            authorized_user_id: Set(token.user_id),
            scope: Set(token.scope),
            token_name: Set(token.token_name),
            token_code_digest: Set(token.code_digest),
            token_type: Set("Bearer".into()),
            expires_at: Set(token.expires_at),
            data: Set(None),
        }
        .insert(&*txn)
        .await
        .map_err(db_err)?;
        txn.commit().await
    }

    async fn create_authorization_code(&self, code: NewAuthorizationCode) -> DomainResult<()> {
        let txn = self.db.begin_write().await?;
        txn.execute(self.db.stmt(
            "INSERT INTO oauth_authorization_code (application_id, user_id, code_name, \
             code_digest, scope, redirect_uri, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            vec![
                code.application_id.into(),
                code.user_id.into(),
                code.code_name.into(),
                code.code_digest.into(),
                code.scope.into(),
                code.redirect_uri.into(),
                code.expires_at.into(),
            ],
        ))
        .await
        .map_err(db_err)?;
        txn.commit().await
    }

    async fn take_authorization_code(&self, code_name: &str) -> DomainResult<Option<StoredCode>> {
        #[derive(FromQueryResult)]
        struct Row {
            id: i64,
            application_id: i64,
            user_id: i64,
            scope: String,
            redirect_uri: String,
            code_digest: String,
            expires_at: DateTime<Utc>,
        }
        let txn = self.db.begin_write().await?;
        let row = txn
            .query_one(self.db.stmt(
                "SELECT id, application_id, user_id, scope, redirect_uri, code_digest, expires_at \
                 FROM oauth_authorization_code WHERE code_name = ?",
                vec![code_name.into()],
            ))
            .await
            .map_err(db_err)?;
        let Some(row) = row else { return Ok(None) };
        let r = Row::from_query_result(&row, "").map_err(db_err)?;
        // Whoever deletes the row owns the code: a concurrent exchange gets nothing.
        let deleted = txn
            .execute(self.db.stmt(
                "DELETE FROM oauth_authorization_code WHERE id = ?",
                vec![r.id.into()],
            ))
            .await
            .map_err(db_err)?;
        txn.commit().await?;
        if deleted.rows_affected() == 0 {
            return Ok(None);
        }
        Ok(Some(StoredCode {
            application_id: r.application_id,
            user_id: r.user_id,
            scope: r.scope,
            redirect_uri: r.redirect_uri,
            code_digest: r.code_digest,
            expires_at: r.expires_at,
        }))
    }

    async fn user_authorizations(&self, user_id: i64) -> DomainResult<Vec<Authorization>> {
        #[derive(FromQueryResult)]
        struct Row {
            uuid: String,
            scope: String,
            client_id: String,
        }
        let rows: Vec<Row> = query_all(
            &self.db,
            &self.db.conn,
            "SELECT t.uuid, t.scope, a.client_id FROM oauth_access_token t \
             JOIN oauth_application a ON a.id = t.application_id \
             WHERE t.authorized_user_id = ? ORDER BY t.id",
            vec![user_id.into()],
        )
        .await?;
        let clients: Vec<ClientRow> = query_all(
            &self.db,
            &self.db.conn,
            &format!(
                "{SELECT_CLIENT} WHERE a.id IN (SELECT application_id FROM oauth_access_token \
                 WHERE authorized_user_id = ?)"
            ),
            vec![user_id.into()],
        )
        .await?;
        let clients: Vec<ClientApplication> = clients.into_iter().map(Into::into).collect();
        rows.into_iter()
            .map(|r| {
                let application = clients
                    .iter()
                    .find(|c| c.client_id == r.client_id)
                    .cloned()
                    .ok_or_else(|| DomainError::Internal("token without application".into()))?;
                Ok(Authorization {
                    uuid: r.uuid,
                    scope: r.scope,
                    application,
                })
            })
            .collect()
    }

    async fn delete_user_authorization(
        &self,
        user_id: i64,
        uuid: &str,
    ) -> DomainResult<Option<String>> {
        let txn = self.db.begin_write().await?;
        let found = oauth_access_token::Entity::find()
            .filter(oauth_access_token::Column::AuthorizedUserId.eq(user_id))
            .filter(oauth_access_token::Column::Uuid.eq(uuid))
            .one(&*txn)
            .await
            .map_err(db_err)?;
        let Some(token) = found else { return Ok(None) };
        oauth_access_token::Entity::delete_by_id(token.id)
            .exec(&*txn)
            .await
            .map_err(db_err)?;
        txn.commit().await?;
        Ok(Some(token.token_name))
    }
}

#[async_trait]
impl ApplicationStore for SqlStore {
    async fn list_applications(&self, org_id: i64) -> DomainResult<Vec<ClientApplication>> {
        let rows: Vec<ClientRow> = query_all(
            &self.db,
            &self.db.conn,
            &format!("{SELECT_CLIENT} WHERE a.organization_id = ? ORDER BY a.id"),
            vec![org_id.into()],
        )
        .await?;
        Ok(rows.into_iter().map(Into::into).collect())
    }

    async fn find_application(&self, client_id: &str) -> DomainResult<Option<ClientApplication>> {
        self.find_client(client_id).await
    }

    async fn create_application(&self, app: NewApplication, log: NewLogEntry) -> DomainResult<()> {
        let txn = self.db.begin_write().await?;
        let f = app.fields;
        oauth_application::ActiveModel {
            id: NotSet,
            client_id: Set(app.client_id),
            secure_client_secret: Set(Some(app.client_secret_sealed)),
            organization_id: Set(app.org_id),
            name: Set(f.name),
            description: Set(f.description),
            redirect_uri: Set(f.redirect_uri),
            application_uri: Set(f.application_uri),
            avatar_email: Set(f.avatar_email),
        }
        .insert(&*txn)
        .await
        .map_err(db_err)?;
        insert_log(&*txn, log).await?;
        txn.commit().await
    }

    async fn update_application(
        &self,
        id: i64,
        fields: ApplicationFields,
        log: NewLogEntry,
    ) -> DomainResult<()> {
        let txn = self.db.begin_write().await?;
        oauth_application::ActiveModel {
            id: Set(id),
            name: Set(fields.name),
            description: Set(fields.description),
            redirect_uri: Set(fields.redirect_uri),
            application_uri: Set(fields.application_uri),
            avatar_email: Set(fields.avatar_email),
            ..Default::default()
        }
        .update(&*txn)
        .await
        .map_err(db_err)?;
        insert_log(&*txn, log).await?;
        txn.commit().await
    }

    async fn set_client_secret(
        &self,
        id: i64,
        sealed: String,
        log: NewLogEntry,
    ) -> DomainResult<()> {
        let txn = self.db.begin_write().await?;
        oauth_application::ActiveModel {
            id: Set(id),
            secure_client_secret: Set(Some(sealed)),
            ..Default::default()
        }
        .update(&*txn)
        .await
        .map_err(db_err)?;
        insert_log(&*txn, log).await?;
        txn.commit().await
    }

    async fn delete_application(&self, id: i64, log: NewLogEntry) -> DomainResult<()> {
        let txn = self.db.begin_write().await?;
        // Foreign keys cascade to the application's tokens and authorization codes.
        oauth_application::Entity::delete_by_id(id)
            .exec(&*txn)
            .await
            .map_err(db_err)?;
        insert_log(&*txn, log).await?;
        txn.commit().await
    }
}
