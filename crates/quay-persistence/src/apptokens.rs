//! `AppTokenStore`.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use quay_auth::apptoken::{AppToken, NewAppToken};
use quay_auth::AppTokenStore;
use quay_core::DomainResult;
use quay_logs::NewLogEntry;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, NotSet, QueryFilter, QueryOrder, Set};

use crate::entity::app_specific_token as token;
use crate::logs::insert_log;
use crate::{db_err, SqlStore};

fn to_domain(m: token::Model) -> AppToken {
    AppToken {
        id: m.id,
        uuid: m.uuid,
        user_id: m.user_id,
        title: m.title,
        created: m.created,
        expiration: m.expiration,
        last_accessed: m.last_accessed,
    }
}

#[async_trait]
impl AppTokenStore for SqlStore {
    async fn create_app_token(&self, new: NewAppToken, log: NewLogEntry) -> DomainResult<AppToken> {
        let txn = self.db.begin_write().await?;
        let created = token::ActiveModel {
            id: NotSet,
            uuid: Set(new.uuid),
            user_id: Set(new.user_id),
            title: Set(new.title),
            token_name: Set(new.token_name),
            token_secret_digest: Set(new.secret_digest),
            created: Set(new.created),
            expiration: Set(new.expiration),
            last_accessed: Set(None),
        }
        .insert(&*txn)
        .await
        .map_err(db_err)?;
        insert_log(&*txn, log).await?;
        txn.commit().await?;
        Ok(to_domain(created))
    }

    async fn list_app_tokens(
        &self,
        user_id: i64,
        expiring_before: Option<DateTime<Utc>>,
    ) -> DomainResult<Vec<AppToken>> {
        let mut query = token::Entity::find().filter(token::Column::UserId.eq(user_id));
        if let Some(before) = expiring_before {
            query = query
                .filter(token::Column::Expiration.gt(Utc::now()))
                .filter(token::Column::Expiration.lte(before));
        }
        let rows = query
            .order_by_asc(token::Column::Id)
            .all(&self.db.conn)
            .await
            .map_err(db_err)?;
        Ok(rows.into_iter().map(to_domain).collect())
    }

    async fn find_app_token(&self, user_id: i64, uuid: &str) -> DomainResult<Option<AppToken>> {
        let row = token::Entity::find()
            .filter(token::Column::UserId.eq(user_id))
            .filter(token::Column::Uuid.eq(uuid))
            .one(&self.db.conn)
            .await
            .map_err(db_err)?;
        Ok(row.map(to_domain))
    }

    async fn revoke_app_token(
        &self,
        user_id: i64,
        uuid: &str,
        log: NewLogEntry,
    ) -> DomainResult<Option<AppToken>> {
        let txn = self.db.begin_write().await?;
        let found = token::Entity::find()
            .filter(token::Column::UserId.eq(user_id))
            .filter(token::Column::Uuid.eq(uuid))
            .one(&*txn)
            .await
            .map_err(db_err)?;
        let Some(found) = found else { return Ok(None) };
        token::Entity::delete_by_id(found.id)
            .exec(&*txn)
            .await
            .map_err(db_err)?;
        insert_log(&*txn, log).await?;
        txn.commit().await?;
        Ok(Some(to_domain(found)))
    }
}
