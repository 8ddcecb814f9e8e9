//! `GcStore`: what garbage collection deletes, each stage re-checked under lock.
//!
//! On PostgreSQL a stage first locks its candidates (`FOR UPDATE`) and then deletes
//! them with the conditions checked again in a new statement, which sees every write
//! committed while it waited: a push that referenced a candidate holds it `FOR SHARE`
//! (see `Database::share_lock`) until its rows are in. On SQLite each stage is one
//! write transaction, and writers run one at a time.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use quay_core::DomainResult;
use quay_repos::gc::{AbandonedUpload, DeleteBytes, GcStore};
use sea_orm::sea_query::Value;
use sea_orm::{ConnectionTrait, DbBackend, FromQueryResult, TransactionTrait};

use crate::blobs::count;
use crate::{db_err, execute, query_all, Database, SqlStore};

/// Manifest `manifest` is referenced by no tag row and no index.
const MANIFEST_UNREFERENCED: &str =
    "NOT EXISTS (SELECT 1 FROM tag t WHERE t.manifest_id = manifest.id) \
     AND NOT EXISTS (SELECT 1 FROM manifest_child c WHERE c.child_manifest_id = manifest.id)";

/// Blob `blob` is referenced by no manifest, and was created and last received before
/// the instant bound twice.
const BLOB_UNREFERENCED: &str = "blob.created < ? \
     AND NOT EXISTS (SELECT 1 FROM manifest_blob mb WHERE mb.blob_id = blob.id) \
     AND NOT EXISTS (SELECT 1 FROM repository_blob rb WHERE rb.blob_id = blob.id AND rb.created >= ?)";

#[derive(FromQueryResult)]
struct Id {
    id: i64,
}

#[derive(FromQueryResult)]
struct Candidate {
    id: i64,
    digest: String,
}

fn marks(n: usize) -> String {
    vec!["?"; n].join(", ")
}

/// Locks rows `ids` of `table` for deletion (PostgreSQL; SQLite's write transaction
/// already excludes every other writer).
async fn lock_rows(
    db: &Database,
    conn: &impl ConnectionTrait,
    table: &str,
    ids: &[i64],
) -> DomainResult<()> {
    if db.backend() == DbBackend::Postgres && !ids.is_empty() {
        query_all::<Id>(
            db,
            conn,
            &format!(
                "SELECT id FROM {table} WHERE id IN ({}) ORDER BY id FOR UPDATE",
                marks(ids.len())
            ),
            ids.iter().map(|i| Value::from(*i)).collect(),
        )
        .await?;
    }
    Ok(())
}

#[async_trait]
impl GcStore for SqlStore {
    async fn purge_tags(&self, now_ms: i64, limit: u64) -> DomainResult<u64> {
        let txn = self.db.begin_write().await?;
        let purged = execute(
            &self.db,
            &*txn,
            "DELETE FROM tag WHERE id IN (SELECT t.id FROM tag t \
             JOIN repository r ON r.id = t.repository_id \
             JOIN namespace n ON n.id = r.namespace_id \
             WHERE t.lifetime_end_ms IS NOT NULL AND ((t.hidden AND t.lifetime_end_ms <= ?) \
             OR (NOT t.hidden AND t.lifetime_end_ms <= ? - n.removed_tag_expiration_s * 1000)) \
             LIMIT ?)",
            vec![now_ms.into(), now_ms.into(), count(limit).into()],
        )
        .await?;
        txn.commit().await?;
        Ok(purged)
    }

    async fn purge_manifests(&self, limit: u64) -> DomainResult<u64> {
        let db = &self.db;
        let candidates: Vec<Id> = query_all(
            db,
            &db.conn,
            &format!("SELECT id FROM manifest WHERE {MANIFEST_UNREFERENCED} LIMIT ?"),
            vec![count(limit).into()],
        )
        .await?;
        if candidates.is_empty() {
            return Ok(0);
        }
        let ids: Vec<i64> = candidates.iter().map(|c| c.id).collect();
        let txn = db.begin_write().await?;
        lock_rows(db, &*txn, "manifest", &ids).await?;
        let purged = execute(
            db,
            &*txn,
            &format!(
                "DELETE FROM manifest WHERE id IN ({}) AND {MANIFEST_UNREFERENCED}",
                marks(ids.len())
            ),
            ids.iter().map(|i| Value::from(*i)).collect(),
        )
        .await?;
        txn.commit().await?;
        Ok(purged)
    }

    async fn collect_blobs(
        &self,
        received_before: DateTime<Utc>,
        limit: u64,
        delete: DeleteBytes<'_>,
    ) -> DomainResult<u64> {
        let db = &self.db;
        let candidates: Vec<Candidate> = query_all(
            db,
            &db.conn,
            &format!("SELECT id, digest FROM blob WHERE {BLOB_UNREFERENCED} LIMIT ?"),
            vec![
                received_before.into(),
                received_before.into(),
                count(limit).into(),
            ],
        )
        .await?;
        if candidates.is_empty() {
            return Ok(0);
        }
        let digests: Vec<&str> = candidates.iter().map(|c| c.digest.as_str()).collect();
        // Held until the bytes are gone: a commit of one of these digests waits, and
        // then finds neither row nor bytes, so it stores both again.
        let _held = db.lock_digests(&digests).await?;
        let ids: Vec<i64> = candidates.iter().map(|c| c.id).collect();
        let mut values: Vec<Value> = ids.iter().map(|i| Value::from(*i)).collect();
        values.push(received_before.into());
        values.push(received_before.into());
        let sql = format!(
            "DELETE FROM blob WHERE id IN ({}) AND {BLOB_UNREFERENCED} RETURNING id, digest",
            marks(ids.len())
        );
        let deleted: Vec<Candidate> = if db.backend() == DbBackend::Postgres {
            // Its own transaction, committed before the bytes go: the advisory locks'
            // transaction only ends after.
            let txn = db.conn.begin().await.map_err(db_err)?;
            lock_rows(db, &txn, "blob", &ids).await?;
            let deleted = query_all(db, &txn, &sql, values).await?;
            txn.commit().await.map_err(db_err)?;
            deleted
        } else {
            let txn = db.begin_write().await?;
            let deleted = query_all(db, &*txn, &sql, values).await?;
            txn.commit().await?;
            deleted
        };
        let count = deleted.len() as u64;
        delete(deleted.into_iter().map(|b| b.digest).collect()).await;
        Ok(count)
    }

    async fn purge_uploads(
        &self,
        updated_before: DateTime<Utc>,
        limit: u64,
    ) -> DomainResult<Vec<AbandonedUpload>> {
        #[derive(FromQueryResult)]
        struct Row {
            uuid: String,
            chunk_count: i32,
        }
        let txn = self.db.begin_write().await?;
        let rows: Vec<Row> = query_all(
            &self.db,
            &*txn,
            "DELETE FROM blob_upload WHERE id IN \
             (SELECT id FROM blob_upload WHERE updated < ? LIMIT ?) RETURNING uuid, chunk_count",
            vec![updated_before.into(), count(limit).into()],
        )
        .await?;
        txn.commit().await?;
        Ok(rows
            .into_iter()
            .map(|r| AbandonedUpload {
                uuid: r.uuid,
                chunk_count: r.chunk_count.max(0) as u32,
            })
            .collect())
    }

    async fn uploads_in_progress(&self, uuids: &[String]) -> DomainResult<Vec<String>> {
        #[derive(FromQueryResult)]
        struct Row {
            uuid: String,
        }
        if uuids.is_empty() {
            return Ok(Vec::new());
        }
        let rows: Vec<Row> = query_all(
            &self.db,
            &self.db.conn,
            &format!(
                "SELECT uuid FROM blob_upload WHERE uuid IN ({})",
                marks(uuids.len())
            ),
            uuids.iter().map(|u| Value::from(u.clone())).collect(),
        )
        .await?;
        Ok(rows.into_iter().map(|r| r.uuid).collect())
    }
}
