//! `ManifestStore`: manifests, their references, tags with lifetimes.

use async_trait::async_trait;
use chrono::Utc;
use quay_core::DomainResult;
use quay_repos::manifests::{ManifestRejection, ManifestStore, NewManifest, StoredManifest};
use sea_orm::sea_query::Value;
use sea_orm::{ConnectionTrait, FromQueryResult};

use crate::{execute, query_all, Database, SqlStore};

#[derive(FromQueryResult)]
struct Row {
    digest: String,
    media_type: String,
    artifact_type: Option<String>,
    config_media_type: Option<String>,
    subject_digest: Option<String>,
    bytes: Vec<u8>,
}

impl From<Row> for StoredManifest {
    fn from(r: Row) -> Self {
        StoredManifest {
            digest: r.digest,
            media_type: r.media_type,
            artifact_type: r.artifact_type,
            config_media_type: r.config_media_type,
            subject_digest: r.subject_digest,
            bytes: r.bytes,
        }
    }
}

const COLUMNS: &str = "m.digest, m.media_type, m.artifact_type, m.config_media_type, \
     m.subject_digest, m.bytes";

#[derive(FromQueryResult)]
struct Id {
    id: i64,
}

async fn id_of(
    db: &Database,
    conn: &impl ConnectionTrait,
    sql: &str,
    values: Vec<Value>,
) -> DomainResult<Option<i64>> {
    let rows: Vec<Id> = query_all(db, conn, sql, values).await?;
    Ok(rows.first().map(|r| r.id))
}

#[async_trait]
impl ManifestStore for SqlStore {
    async fn manifest_by_digest(
        &self,
        repository_id: i64,
        digest: &str,
    ) -> DomainResult<Option<StoredManifest>> {
        let rows: Vec<Row> = query_all(
            &self.db,
            &self.db.conn,
            &format!("SELECT {COLUMNS} FROM manifest m WHERE m.repository_id = ? AND m.digest = ?"),
            vec![repository_id.into(), digest.into()],
        )
        .await?;
        Ok(rows.into_iter().next().map(StoredManifest::from))
    }

    async fn manifest_by_tag(
        &self,
        repository_id: i64,
        tag: &str,
    ) -> DomainResult<Option<StoredManifest>> {
        let rows: Vec<Row> = query_all(
            &self.db,
            &self.db.conn,
            &format!(
                "SELECT {COLUMNS} FROM tag t JOIN manifest m ON m.id = t.manifest_id \
                 WHERE t.repository_id = ? AND t.name = ? AND t.lifetime_end_ms IS NULL"
            ),
            vec![repository_id.into(), tag.into()],
        )
        .await?;
        Ok(rows.into_iter().next().map(StoredManifest::from))
    }

    async fn put_manifest(
        &self,
        m: NewManifest,
        tag: Option<&str>,
        now_ms: i64,
    ) -> DomainResult<Result<(), ManifestRejection>> {
        let db = &self.db;
        let txn = db.begin_write().await?;
        let repo = m.repository_id;
        let mut blob_ids = Vec::with_capacity(m.blobs.len());
        for digest in &m.blobs {
            let found = id_of(
                db,
                &*txn,
                "SELECT b.id FROM blob b JOIN repository_blob rb ON rb.blob_id = b.id \
                 WHERE rb.repository_id = ? AND b.digest = ?",
                vec![repo.into(), digest.clone().into()],
            )
            .await?;
            match found {
                Some(id) => blob_ids.push(id),
                None => return Ok(Err(ManifestRejection::MissingReference(digest.clone()))),
            }
        }
        let mut child_ids = Vec::with_capacity(m.children.len());
        for digest in &m.children {
            let found = id_of(
                db,
                &*txn,
                "SELECT id FROM manifest WHERE repository_id = ? AND digest = ?",
                vec![repo.into(), digest.clone().into()],
            )
            .await?;
            match found {
                Some(id) => child_ids.push(id),
                None => return Ok(Err(ManifestRejection::MissingReference(digest.clone()))),
            }
        }
        let existing = id_of(
            db,
            &*txn,
            "SELECT id FROM manifest WHERE repository_id = ? AND digest = ?",
            vec![repo.into(), m.digest.clone().into()],
        )
        .await?;
        let manifest_id = match existing {
            Some(id) => id,
            None => {
                execute(
                    db,
                    &*txn,
                    "INSERT INTO manifest (repository_id, digest, media_type, artifact_type, \
                     config_media_type, subject_digest, size, bytes, created) \
                     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    vec![
                        repo.into(),
                        m.digest.clone().into(),
                        m.media_type.into(),
                        m.artifact_type.into(),
                        m.config_media_type.into(),
                        m.subject_digest.into(),
                        (m.bytes.len() as i64).into(),
                        m.bytes.into(),
                        Utc::now().into(),
                    ],
                )
                .await?;
                let id = id_of(
                    db,
                    &*txn,
                    "SELECT id FROM manifest WHERE repository_id = ? AND digest = ?",
                    vec![repo.into(), m.digest.clone().into()],
                )
                .await?
                .ok_or_else(|| quay_core::DomainError::internal("manifest vanished"))?;
                for blob in &blob_ids {
                    execute(
                        db,
                        &*txn,
                        "INSERT INTO manifest_blob (manifest_id, blob_id) VALUES (?, ?)",
                        vec![id.into(), (*blob).into()],
                    )
                    .await?;
                }
                for child in &child_ids {
                    execute(
                        db,
                        &*txn,
                        "INSERT INTO manifest_child (manifest_id, child_manifest_id) VALUES (?, ?)",
                        vec![id.into(), (*child).into()],
                    )
                    .await?;
                }
                id
            }
        };
        if let Some(tag) = tag {
            #[derive(FromQueryResult)]
            struct Live {
                id: i64,
                manifest_id: i64,
            }
            let live: Vec<Live> = query_all(
                db,
                &*txn,
                "SELECT id, manifest_id FROM tag WHERE repository_id = ? AND name = ? \
                 AND lifetime_end_ms IS NULL",
                vec![repo.into(), tag.into()],
            )
            .await?;
            let unchanged = live.first().is_some_and(|t| t.manifest_id == manifest_id);
            if !unchanged {
                if let Some(old) = live.first() {
                    execute(
                        db,
                        &*txn,
                        "UPDATE tag SET lifetime_end_ms = ? WHERE id = ?",
                        vec![now_ms.into(), old.id.into()],
                    )
                    .await?;
                }
                execute(
                    db,
                    &*txn,
                    "INSERT INTO tag (repository_id, name, manifest_id, lifetime_start_ms) \
                     VALUES (?, ?, ?, ?)",
                    vec![repo.into(), tag.into(), manifest_id.into(), now_ms.into()],
                )
                .await?;
            }
        }
        execute(
            db,
            &*txn,
            "UPDATE repository SET last_modified = ? WHERE id = ?",
            vec![Utc::now().into(), repo.into()],
        )
        .await?;
        txn.commit().await?;
        Ok(Ok(()))
    }

    async fn delete_manifest(
        &self,
        repository_id: i64,
        digest: &str,
        now_ms: i64,
    ) -> DomainResult<bool> {
        let txn = self.db.begin_write().await?;
        let Some(id) = id_of(
            &self.db,
            &*txn,
            "SELECT id FROM manifest WHERE repository_id = ? AND digest = ?",
            vec![repository_id.into(), digest.into()],
        )
        .await?
        else {
            return Ok(false);
        };
        execute(
            &self.db,
            &*txn,
            "UPDATE tag SET lifetime_end_ms = ? WHERE manifest_id = ? AND lifetime_end_ms IS NULL",
            vec![now_ms.into(), id.into()],
        )
        .await?;
        txn.commit().await?;
        Ok(true)
    }

    async fn tags(
        &self,
        repository_id: i64,
        after: Option<&str>,
        limit: u64,
    ) -> DomainResult<Vec<String>> {
        #[derive(FromQueryResult)]
        struct Name {
            name: String,
        }
        let rows: Vec<Name> = query_all(
            &self.db,
            &self.db.conn,
            "SELECT name FROM tag WHERE repository_id = ? AND lifetime_end_ms IS NULL \
             AND name > ? ORDER BY name LIMIT ?",
            vec![
                repository_id.into(),
                after.unwrap_or("").into(),
                (limit.min(i64::MAX as u64) as i64).into(),
            ],
        )
        .await?;
        Ok(rows.into_iter().map(|r| r.name).collect())
    }

    async fn referrers(
        &self,
        repository_id: i64,
        digest: &str,
        artifact_type: Option<&str>,
    ) -> DomainResult<Vec<StoredManifest>> {
        let mut sql = format!(
            "SELECT {COLUMNS} FROM manifest m WHERE m.repository_id = ? AND m.subject_digest = ?"
        );
        let mut values: Vec<Value> = vec![repository_id.into(), digest.into()];
        if let Some(t) = artifact_type {
            sql.push_str(" AND COALESCE(m.artifact_type, m.config_media_type) = ?");
            values.push(t.into());
        }
        sql.push_str(" ORDER BY m.id");
        let rows: Vec<Row> = query_all(&self.db, &self.db.conn, &sql, values).await?;
        Ok(rows.into_iter().map(StoredManifest::from).collect())
    }
}
