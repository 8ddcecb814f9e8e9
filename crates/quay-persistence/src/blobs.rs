//! `BlobMetaStore`: blobs, the repositories holding them, uploads in progress.

use async_trait::async_trait;
use chrono::Utc;
use quay_core::DomainResult;
use quay_repos::blobs::{BlobMetaStore, CommitBytes, Upload};
use sea_orm::sea_query::Value;
use sea_orm::FromQueryResult;

use crate::digest_lock::DigestGuard;
use crate::{db_err, execute_each, query_all, SqlStore};

pub(crate) fn count(n: u64) -> i64 {
    n.min(i64::MAX as u64) as i64
}

#[async_trait]
impl BlobMetaStore for SqlStore {
    async fn repository_blob(&self, repository_id: i64, digest: &str) -> DomainResult<Option<u64>> {
        #[derive(FromQueryResult)]
        struct Row {
            size: i64,
        }
        const SQL: &str = "SELECT b.size FROM blob b JOIN repository_blob rb ON rb.blob_id = b.id \
                           WHERE rb.repository_id = ? AND b.digest = ?";
        // Every pull and every existence check of a layer asks this.
        let direct = self.db.read_direct(|conn| {
            use rusqlite::OptionalExtension;
            conn.prepare_cached(SQL)?
                .query_row((repository_id, digest), |row| row.get::<_, i64>(0))
                .optional()
        });
        let size = match direct {
            Some(size) => size?,
            None => {
                let rows: Vec<Row> = query_all(
                    &self.db,
                    &self.db.conn,
                    SQL,
                    vec![repository_id.into(), digest.into()],
                )
                .await?;
                rows.first().map(|r| r.size)
            }
        };
        Ok(size.map(|s| s.max(0) as u64))
    }

    async fn create_upload(&self, uuid: &str, repository_id: i64) -> DomainResult<()> {
        let now = Utc::now();
        self.db
            .write_one(
                "INSERT INTO blob_upload (uuid, repository_id, byte_count, chunk_count, created, updated) \
                 VALUES (?, ?, 0, 0, ?, ?)",
                vec![uuid.into(), repository_id.into(), now.into(), now.into()],
            )
            .await?;
        Ok(())
    }

    async fn find_upload(&self, repository_id: i64, uuid: &str) -> DomainResult<Option<Upload>> {
        #[derive(FromQueryResult)]
        struct Row {
            uuid: String,
            repository_id: i64,
            byte_count: i64,
            chunk_count: i32,
        }
        let rows: Vec<Row> = query_all(
            &self.db,
            &self.db.conn,
            "SELECT uuid, repository_id, byte_count, chunk_count FROM blob_upload \
             WHERE repository_id = ? AND uuid = ?",
            vec![repository_id.into(), uuid.into()],
        )
        .await?;
        Ok(rows.into_iter().next().map(|r| Upload {
            uuid: r.uuid,
            repository_id: r.repository_id,
            byte_count: r.byte_count.max(0) as u64,
            chunk_count: r.chunk_count.max(0) as u32,
        }))
    }

    async fn advance_upload(
        &self,
        uuid: &str,
        expected_bytes: u64,
        byte_count: u64,
        chunk_count: u32,
    ) -> DomainResult<bool> {
        let updated = self
            .db
            .write_one(
                "UPDATE blob_upload SET byte_count = ?, chunk_count = ?, updated = ? \
                 WHERE uuid = ? AND byte_count = ?",
                vec![
                    count(byte_count).into(),
                    (chunk_count as i32).into(),
                    Utc::now().into(),
                    uuid.into(),
                    count(expected_bytes).into(),
                ],
            )
            .await?;
        Ok(updated == 1)
    }

    async fn store_blob(
        &self,
        repository_id: i64,
        digest: &str,
        size: u64,
        upload: Option<&str>,
        commit: CommitBytes<'_>,
    ) -> DomainResult<()> {
        let guard = self.db.lock_digests(&[digest]).await?;
        commit.await?;
        self.hold_blob(guard, hold_statements(repository_id, digest, size, upload))
            .await
    }

    async fn mount_blob(
        &self,
        repository_id: i64,
        source_repository_id: i64,
        digest: &str,
    ) -> DomainResult<Option<u64>> {
        let guard = self.db.lock_digests(&[digest]).await?;
        let Some(size) = self.repository_blob(source_repository_id, digest).await? else {
            return Ok(None);
        };
        self.hold_blob(guard, hold_statements(repository_id, digest, size, None))
            .await?;
        Ok(Some(size))
    }

    async fn delete_upload(&self, uuid: &str) -> DomainResult<bool> {
        let deleted = self
            .db
            .write_one("DELETE FROM blob_upload WHERE uuid = ?", vec![uuid.into()])
            .await?;
        Ok(deleted > 0)
    }
}

impl SqlStore {
    /// Runs `statements` in one transaction with the digest lock `guard` held: on
    /// PostgreSQL in the lock's transaction, on SQLite as one batch on the writer.
    async fn hold_blob(
        &self,
        guard: DigestGuard<'_>,
        statements: Vec<(&str, Vec<Value>)>,
    ) -> DomainResult<()> {
        match guard {
            DigestGuard::Postgres(txn) => {
                execute_each(&self.db, &txn, statements).await?;
                txn.commit().await.map_err(db_err)
            }
            DigestGuard::Local { .. } => self.db.write_batch(statements).await,
        }
    }
}

/// The statements that record blob `digest` (if new) as held by the repository,
/// received now (which starts its grace against collection again), and end the upload
/// `upload` if given.
fn hold_statements(
    repository_id: i64,
    digest: &str,
    size: u64,
    upload: Option<&str>,
) -> Vec<(&'static str, Vec<Value>)> {
    let now = Utc::now();
    let mut statements = vec![
        (
            "INSERT INTO blob (digest, size, created) SELECT ?, ?, ? \
             WHERE NOT EXISTS (SELECT 1 FROM blob WHERE digest = ?)",
            vec![digest.into(), count(size).into(), now.into(), digest.into()],
        ),
        (
            "INSERT INTO repository_blob (repository_id, blob_id, created) \
             SELECT ?, b.id, ? FROM blob b WHERE b.digest = ? \
             ON CONFLICT (repository_id, blob_id) DO UPDATE SET created = excluded.created",
            vec![repository_id.into(), now.into(), digest.into()],
        ),
    ];
    if let Some(uuid) = upload {
        statements.push(("DELETE FROM blob_upload WHERE uuid = ?", vec![uuid.into()]));
    }
    statements
}
