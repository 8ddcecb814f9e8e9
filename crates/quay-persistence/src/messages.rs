//! `MessageStore`: global messages.

use async_trait::async_trait;
use chrono::Utc;
use quay_core::DomainResult;
use quay_orgs::messages::{GlobalMessage, MessageStore};
use sea_orm::FromQueryResult;

use crate::{execute, query_all, SqlStore};

#[derive(FromQueryResult)]
struct Row {
    uuid: String,
    content: String,
    media_type: String,
    severity: String,
}

#[async_trait]
impl MessageStore for SqlStore {
    async fn list_messages(&self) -> DomainResult<Vec<GlobalMessage>> {
        let rows: Vec<Row> = query_all(
            &self.db,
            &self.db.conn,
            "SELECT uuid, content, media_type, severity FROM message ORDER BY id",
            Vec::new(),
        )
        .await?;
        Ok(rows
            .into_iter()
            .map(|r| GlobalMessage {
                uuid: r.uuid,
                content: r.content,
                media_type: r.media_type,
                severity: r.severity,
            })
            .collect())
    }

    async fn create_message(&self, m: &GlobalMessage) -> DomainResult<()> {
        let txn = self.db.begin_write().await?;
        execute(
            &self.db,
            &*txn,
            "INSERT INTO message (uuid, content, media_type, severity, created) \
             VALUES (?, ?, ?, ?, ?)",
            vec![
                m.uuid.clone().into(),
                m.content.clone().into(),
                m.media_type.clone().into(),
                m.severity.clone().into(),
                Utc::now().into(),
            ],
        )
        .await?;
        txn.commit().await
    }

    async fn delete_message(&self, uuid: &str) -> DomainResult<bool> {
        let txn = self.db.begin_write().await?;
        let deleted = execute(
            &self.db,
            &*txn,
            "DELETE FROM message WHERE uuid = ?",
            vec![uuid.into()],
        )
        .await?;
        txn.commit().await?;
        Ok(deleted > 0)
    }
}
