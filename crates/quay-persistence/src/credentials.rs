//! `CredentialStore` (sign-in lookups, failure counting, session invalidation) and
//! `RegistryCredentialStore` (app-token and robot logins).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use quay_auth::credentials::{AppTokenLogin, RobotLogin};
use quay_auth::session::LoginRecord;
use quay_auth::{CredentialStore, RegistryCredentialStore};
use quay_core::DomainResult;
use quay_logs::NewLogEntry;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, QueryFilter};

use crate::entity::namespace;
use crate::logs::insert_log;
use crate::{db_err, SqlStore};

fn record(m: namespace::Model) -> LoginRecord {
    LoginRecord {
        can_login: m.enabled && !m.organization && !m.robot,
        id: m.id,
        uuid: m.uuid,
        username: m.username,
        password_hash: m.password_hash,
        verified: m.verified,
        invalid_login_attempts: m.invalid_login_attempts,
        last_invalid_login: m.last_invalid_login,
    }
}

#[async_trait]
impl CredentialStore for SqlStore {
    async fn find_login(&self, username_or_email: &str) -> DomainResult<Option<LoginRecord>> {
        for column in [namespace::Column::Username, namespace::Column::Email] {
            let found = namespace::Entity::find()
                .filter(column.eq(username_or_email))
                .one(&self.db.conn)
                .await
                .map_err(db_err)?;
            if let Some(found) = found {
                return Ok(Some(record(found)));
            }
        }
        Ok(None)
    }

    async fn find_session_user(&self, uuid: &str) -> DomainResult<Option<(i64, String)>> {
        let found = namespace::Entity::find()
            .filter(namespace::Column::Uuid.eq(uuid))
            .one(&self.db.conn)
            .await
            .map_err(db_err)?;
        Ok(found
            .filter(|n| n.enabled && !n.organization && !n.robot)
            .map(|n| (n.id, n.username)))
    }

    async fn record_login(
        &self,
        user_id: Option<i64>,
        success: bool,
        at: DateTime<Utc>,
        log: Option<NewLogEntry>,
    ) -> DomainResult<()> {
        let txn = self.db.begin_write().await?;
        if let Some(id) = user_id {
            let update = namespace::Entity::update_many().filter(namespace::Column::Id.eq(id));
            let update = if success {
                update
                    .col_expr(namespace::Column::InvalidLoginAttempts, Expr::value(0))
                    .col_expr(
                        namespace::Column::LastInvalidLogin,
                        Expr::value(Option::<DateTime<Utc>>::None),
                    )
            } else {
                update
                    .col_expr(
                        namespace::Column::InvalidLoginAttempts,
                        Expr::col(namespace::Column::InvalidLoginAttempts).add(1),
                    )
                    .col_expr(namespace::Column::LastInvalidLogin, Expr::value(Some(at)))
            };
            update.exec(&*txn).await.map_err(db_err)?;
        }
        if let Some(log) = log {
            insert_log(&*txn, log).await?;
        }
        txn.commit().await
    }

    async fn rotate_uuid(&self, user_id: i64, log: NewLogEntry) -> DomainResult<()> {
        let txn = self.db.begin_write().await?;
        namespace::Entity::update_many()
            .filter(namespace::Column::Id.eq(user_id))
            .col_expr(
                namespace::Column::Uuid,
                Expr::value(uuid::Uuid::new_v4().to_string()),
            )
            .exec(&*txn)
            .await
            .map_err(db_err)?;
        insert_log(&*txn, log).await?;
        txn.commit().await
    }
}

#[async_trait]
impl RegistryCredentialStore for SqlStore {
    async fn find_app_token_login(&self, token_name: &str) -> DomainResult<Option<AppTokenLogin>> {
        #[derive(FromQueryResult)]
        struct Row {
            id: i64,
            title: String,
            token_secret_digest: String,
            expiration: Option<DateTime<Utc>>,
            user_id: i64,
            username: String,
            enabled: bool,
            last_accessed: Option<DateTime<Utc>>,
        }
        let stmt = self.db.stmt(
            "SELECT t.id, t.title, t.token_secret_digest, t.expiration, t.user_id, \
             n.username, n.enabled, t.last_accessed FROM app_specific_token t \
             JOIN namespace n ON n.id = t.user_id WHERE t.token_name = ?",
            vec![token_name.into()],
        );
        let Some(row) = self.db.conn.query_one(stmt).await.map_err(db_err)? else {
            return Ok(None);
        };
        let r = Row::from_query_result(&row, "").map_err(db_err)?;
        Ok(Some(AppTokenLogin {
            id: r.id,
            title: r.title,
            secret_digest: r.token_secret_digest,
            expiration: r.expiration,
            user_id: r.user_id,
            username: r.username,
            user_enabled: r.enabled,
            last_accessed: r.last_accessed,
        }))
    }

    async fn find_robot_login(&self, name: &str) -> DomainResult<Option<RobotLogin>> {
        #[derive(FromQueryResult)]
        struct Row {
            id: i64,
            username: String,
            token_sealed: String,
            owner_id: i64,
            owner_enabled: bool,
            last_accessed: Option<DateTime<Utc>>,
        }
        let stmt = self.db.stmt(
            "SELECT n.id, n.username, r.token_sealed, r.owner_id, o.enabled AS owner_enabled, \
             n.last_accessed \
             FROM namespace n JOIN robot_account r ON r.robot_id = n.id \
             JOIN namespace o ON o.id = r.owner_id WHERE n.username = ? AND n.robot = ?",
            vec![name.into(), true.into()],
        );
        let Some(row) = self.db.conn.query_one(stmt).await.map_err(db_err)? else {
            return Ok(None);
        };
        let r = Row::from_query_result(&row, "").map_err(db_err)?;
        Ok(Some(RobotLogin {
            id: r.id,
            name: r.username,
            token_sealed: r.token_sealed,
            owner_id: r.owner_id,
            owner_enabled: r.owner_enabled,
            last_accessed: r.last_accessed,
        }))
    }

    async fn touch_app_token(&self, id: i64, at: DateTime<Utc>) -> DomainResult<()> {
        self.touch("app_specific_token", id, at).await
    }

    async fn touch_robot(&self, id: i64, at: DateTime<Utc>) -> DomainResult<()> {
        self.touch("namespace", id, at).await
    }
}

impl SqlStore {
    async fn touch(&self, table: &'static str, id: i64, at: DateTime<Utc>) -> DomainResult<()> {
        let txn = self.db.begin_write().await?;
        txn.execute(self.db.stmt(
            &format!("UPDATE {table} SET last_accessed = ? WHERE id = ?"),
            vec![at.into(), id.into()],
        ))
        .await
        .map_err(db_err)?;
        txn.commit().await
    }
}
