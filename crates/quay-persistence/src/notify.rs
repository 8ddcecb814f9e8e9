//! `NotifyStore`: repository notifications, their delivery queue, and the user
//! notifications `quay_notification` writes.

use async_trait::async_trait;
use chrono::Utc;
use quay_core::{DomainError, DomainResult};
use quay_logs::NewLogEntry;
use quay_notify::{
    Delivery, DeliveryTarget, NewDelivery, NewRepoNotification, NotifyStore, RepoNotification,
    TargetKind,
};
use sea_orm::sea_query::Value;
use sea_orm::{ActiveModelTrait, DbBackend, FromQueryResult, NotSet, Set};

use crate::entity::notification;
use crate::logs::insert_log;
use crate::{db_err, execute, query_all, SqlStore};

#[derive(FromQueryResult)]
struct Row {
    id: i64,
    uuid: String,
    repository_id: i64,
    title: Option<String>,
    event: String,
    method: String,
    config_json: String,
    event_config_json: String,
    number_of_failures: i32,
}

/// Quay shows `{}` for a config that does not parse.
fn parse_json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|_| serde_json::json!({}))
}

impl From<Row> for RepoNotification {
    fn from(r: Row) -> Self {
        RepoNotification {
            id: r.id,
            uuid: r.uuid,
            repository_id: r.repository_id,
            title: r.title,
            event: r.event,
            method: r.method,
            config: parse_json(&r.config_json),
            event_config: parse_json(&r.event_config_json),
            number_of_failures: i64::from(r.number_of_failures),
        }
    }
}

const COLUMNS: &str = "id, uuid, repository_id, title, event, method, config_json, \
                       event_config_json, number_of_failures";

impl SqlStore {
    async fn notification_where(
        &self,
        conn: &impl sea_orm::ConnectionTrait,
        repository_id: i64,
        uuid: &str,
    ) -> DomainResult<Option<RepoNotification>> {
        let rows: Vec<Row> = query_all(
            &self.db,
            conn,
            &format!(
                "SELECT {COLUMNS} FROM repository_notification \
                 WHERE repository_id = ? AND uuid = ?"
            ),
            vec![repository_id.into(), uuid.into()],
        )
        .await?;
        Ok(rows.into_iter().next().map(Into::into))
    }
}

#[async_trait]
impl NotifyStore for SqlStore {
    async fn notifications(
        &self,
        repository_id: i64,
        event: Option<&str>,
    ) -> DomainResult<Vec<RepoNotification>> {
        let mut sql =
            format!("SELECT {COLUMNS} FROM repository_notification WHERE repository_id = ?");
        let mut values: Vec<Value> = vec![repository_id.into()];
        if let Some(event) = event {
            sql.push_str(" AND event = ?");
            values.push(event.into());
        }
        sql.push_str(" ORDER BY id");
        let rows: Vec<Row> = query_all(&self.db, &self.db.conn, &sql, values).await?;
        Ok(rows.into_iter().map(Into::into).collect())
    }

    async fn notification(
        &self,
        repository_id: i64,
        uuid: &str,
    ) -> DomainResult<Option<RepoNotification>> {
        self.notification_where(&self.db.conn, repository_id, uuid)
            .await
    }

    async fn create_notification(
        &self,
        new: NewRepoNotification,
        log: NewLogEntry,
    ) -> DomainResult<RepoNotification> {
        let txn = self.db.begin_write().await?;
        execute(
            &self.db,
            &*txn,
            "INSERT INTO repository_notification (uuid, repository_id, title, event, method, \
             config_json, event_config_json, number_of_failures) VALUES (?, ?, ?, ?, ?, ?, ?, 0)",
            vec![
                new.uuid.clone().into(),
                new.repository_id.into(),
                new.title.clone().into(),
                new.event.clone().into(),
                new.method.clone().into(),
                new.config.to_string().into(),
                new.event_config.to_string().into(),
            ],
        )
        .await?;
        insert_log(&*txn, log).await?;
        let created = self
            .notification_where(&*txn, new.repository_id, &new.uuid)
            .await?
            .ok_or_else(|| DomainError::Internal("notification not stored".into()))?;
        txn.commit().await?;
        Ok(created)
    }

    async fn delete_notification(
        &self,
        repository_id: i64,
        uuid: &str,
        log: NewLogEntry,
    ) -> DomainResult<Option<RepoNotification>> {
        let txn = self.db.begin_write().await?;
        let Some(found) = self.notification_where(&*txn, repository_id, uuid).await? else {
            return Ok(None);
        };
        // Its queued deliveries go with it (`ON DELETE CASCADE`).
        execute(
            &self.db,
            &*txn,
            "DELETE FROM repository_notification WHERE id = ?",
            vec![found.id.into()],
        )
        .await?;
        insert_log(&*txn, log).await?;
        txn.commit().await?;
        Ok(Some(found))
    }

    async fn reset_failures(
        &self,
        repository_id: i64,
        uuid: &str,
        log: NewLogEntry,
    ) -> DomainResult<Option<RepoNotification>> {
        let txn = self.db.begin_write().await?;
        let changed = execute(
            &self.db,
            &*txn,
            "UPDATE repository_notification SET number_of_failures = 0 \
             WHERE repository_id = ? AND uuid = ?",
            vec![repository_id.into(), uuid.into()],
        )
        .await?;
        if changed == 0 {
            return Ok(None);
        }
        insert_log(&*txn, log).await?;
        let found = self.notification_where(&*txn, repository_id, uuid).await?;
        txn.commit().await?;
        Ok(found)
    }

    async fn record_outcome(&self, notification_id: i64, success: bool) -> DomainResult<()> {
        let sql = if success {
            "UPDATE repository_notification SET number_of_failures = 0 \
             WHERE id = ? AND number_of_failures <> 0"
        } else {
            "UPDATE repository_notification SET number_of_failures = number_of_failures + 1 \
             WHERE id = ?"
        };
        let txn = self.db.begin_write().await?;
        execute(&self.db, &*txn, sql, vec![notification_id.into()]).await?;
        txn.commit().await
    }

    async fn enqueue(
        &self,
        deliveries: Vec<NewDelivery>,
        now_ms: i64,
        retries: i64,
    ) -> DomainResult<()> {
        if deliveries.is_empty() {
            return Ok(());
        }
        let mut sql = String::from(
            "INSERT INTO notification_queue (notification_id, body_json, available_after_ms, \
             lease_expires_ms, retries_remaining, created_ms) VALUES ",
        );
        let mut values: Vec<Value> = Vec::with_capacity(deliveries.len() * 5);
        for (i, d) in deliveries.into_iter().enumerate() {
            if i > 0 {
                sql.push_str(", ");
            }
            sql.push_str("(?, ?, ?, NULL, ?, ?)");
            values.extend([
                d.notification_id.into(),
                d.body.to_string().into(),
                now_ms.into(),
                retries.into(),
                now_ms.into(),
            ]);
        }
        let txn = self.db.begin_write().await?;
        execute(&self.db, &*txn, &sql, values).await?;
        txn.commit().await
    }

    async fn claim_deliveries(
        &self,
        now_ms: i64,
        lease_until_ms: i64,
        limit: u64,
    ) -> DomainResult<Vec<Delivery>> {
        #[derive(FromQueryResult)]
        struct Claimed {
            id: i64,
            notification_id: i64,
            body_json: String,
            retries_remaining: i32,
        }
        // Replicas claim side by side on PostgreSQL; SQLite has one writer anyway.
        let skip_locked = if self.db.backend() == DbBackend::Postgres {
            " FOR UPDATE SKIP LOCKED"
        } else {
            ""
        };
        let sql = format!(
            "UPDATE notification_queue SET lease_expires_ms = ?, \
             retries_remaining = retries_remaining - 1 WHERE id IN (SELECT id FROM \
             notification_queue WHERE available_after_ms <= ? AND retries_remaining > 0 \
             AND (lease_expires_ms IS NULL OR lease_expires_ms <= ?) ORDER BY id LIMIT ?\
             {skip_locked}) RETURNING id, notification_id, body_json, retries_remaining"
        );
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let txn = self.db.begin_write().await?;
        let mut rows: Vec<Claimed> = query_all(
            &self.db,
            &*txn,
            &sql,
            vec![
                lease_until_ms.into(),
                now_ms.into(),
                now_ms.into(),
                limit.into(),
            ],
        )
        .await?;
        txn.commit().await?;
        rows.sort_by_key(|r| r.id);
        Ok(rows
            .into_iter()
            .map(|r| Delivery {
                id: r.id,
                notification_id: r.notification_id,
                body: parse_json(&r.body_json),
                retries_remaining: i64::from(r.retries_remaining),
            })
            .collect())
    }

    async fn complete_delivery(&self, id: i64) -> DomainResult<()> {
        let txn = self.db.begin_write().await?;
        execute(
            &self.db,
            &*txn,
            "DELETE FROM notification_queue WHERE id = ?",
            vec![id.into()],
        )
        .await?;
        txn.commit().await
    }

    async fn retry_delivery(&self, id: i64, available_after_ms: i64) -> DomainResult<()> {
        let txn = self.db.begin_write().await?;
        execute(
            &self.db,
            &*txn,
            "DELETE FROM notification_queue WHERE id = ? AND retries_remaining <= 0",
            vec![id.into()],
        )
        .await?;
        execute(
            &self.db,
            &*txn,
            "UPDATE notification_queue SET available_after_ms = ?, lease_expires_ms = NULL \
             WHERE id = ?",
            vec![available_after_ms.into(), id.into()],
        )
        .await?;
        txn.commit().await
    }

    async fn delivery_target(&self, notification_id: i64) -> DomainResult<Option<DeliveryTarget>> {
        #[derive(FromQueryResult)]
        struct Target {
            namespace: String,
            repository: String,
        }
        let rows: Vec<Row> = query_all(
            &self.db,
            &self.db.conn,
            &format!("SELECT {COLUMNS} FROM repository_notification WHERE id = ?"),
            vec![notification_id.into()],
        )
        .await?;
        let Some(row) = rows.into_iter().next() else {
            return Ok(None);
        };
        let names: Vec<Target> = query_all(
            &self.db,
            &self.db.conn,
            "SELECT n.username AS namespace, r.name AS repository FROM repository r \
             JOIN namespace n ON n.id = r.namespace_id WHERE r.id = ?",
            vec![row.repository_id.into()],
        )
        .await?;
        Ok(names.into_iter().next().map(|t| DeliveryTarget {
            notification: row.into(),
            namespace: t.namespace,
            repository: t.repository,
        }))
    }

    async fn find_target(
        &self,
        namespace: &str,
        kind: TargetKind,
        name: &str,
    ) -> DomainResult<Option<Vec<i64>>> {
        #[derive(FromQueryResult)]
        struct Id {
            id: i64,
        }
        let ids = |rows: Vec<Id>| rows.into_iter().map(|r| r.id).collect::<Vec<_>>();
        match kind {
            TargetKind::User | TargetKind::Org => {
                let org = kind == TargetKind::Org;
                let rows: Vec<Id> = query_all(
                    &self.db,
                    &self.db.conn,
                    "SELECT id FROM namespace WHERE username = ? AND organization = ? \
                     AND NOT robot",
                    vec![name.into(), org.into()],
                )
                .await?;
                Ok((!rows.is_empty()).then(|| ids(rows)))
            }
            TargetKind::Team => {
                let teams: Vec<Id> = query_all(
                    &self.db,
                    &self.db.conn,
                    "SELECT t.id FROM team t JOIN namespace o ON o.id = t.organization_id \
                     WHERE o.username = ? AND o.organization = ? AND t.name = ?",
                    vec![namespace.into(), true.into(), name.into()],
                )
                .await?;
                let Some(team) = teams.into_iter().next() else {
                    return Ok(None);
                };
                let members: Vec<Id> = query_all(
                    &self.db,
                    &self.db.conn,
                    "SELECT u.id FROM team_member tm JOIN namespace u ON u.id = tm.user_id \
                     WHERE tm.team_id = ? AND NOT u.robot ORDER BY u.id",
                    vec![team.id.into()],
                )
                .await?;
                Ok(Some(ids(members)))
            }
        }
    }

    async fn create_user_notifications(
        &self,
        kind: &str,
        targets: Vec<i64>,
        metadata: serde_json::Value,
    ) -> DomainResult<()> {
        let mut targets = targets;
        targets.sort_unstable();
        targets.dedup();
        if targets.is_empty() {
            return Ok(());
        }
        let now = Utc::now();
        let metadata = metadata.to_string();
        let txn = self.db.begin_write().await?;
        for target in targets {
            notification::ActiveModel {
                id: NotSet,
                uuid: Set(uuid::Uuid::new_v4().to_string()),
                kind: Set(kind.to_string()),
                target_id: Set(target),
                metadata_json: Set(metadata.clone()),
                invite_id: Set(None),
                created: Set(now),
                dismissed: Set(false),
            }
            .insert(&*txn)
            .await
            .map_err(db_err)?;
        }
        txn.commit().await
    }
}
