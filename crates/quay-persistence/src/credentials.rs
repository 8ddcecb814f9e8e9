//! `CredentialStore`: sign-in lookups, failure counting, session invalidation.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use quay_auth::session::LoginRecord;
use quay_auth::CredentialStore;
use quay_core::DomainResult;
use quay_logs::NewLogEntry;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

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
        log: NewLogEntry,
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
        insert_log(&*txn, log).await?;
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
