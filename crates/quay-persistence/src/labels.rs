//! `LabelStore`: manifest labels, and the manifests the manifests API may show.

use async_trait::async_trait;
use quay_core::{DomainError, DomainResult};
use quay_logs::NewLogEntry;
use quay_repos::labels::{Label, LabelSource, LabelStore, ManifestRecord};
use sea_orm::sea_query::Value;
use sea_orm::{ConnectionTrait, DbBackend, FromQueryResult};

use crate::logs::insert_log;
use crate::manifests::reached;
use crate::tags::like_literal;
use crate::{execute, query_all, Database, SqlStore};

#[derive(FromQueryResult)]
struct ManifestRow {
    id: i64,
    digest: String,
    media_type: String,
    config_media_type: Option<String>,
    bytes: Vec<u8>,
}

impl From<ManifestRow> for ManifestRecord {
    fn from(r: ManifestRow) -> Self {
        ManifestRecord {
            id: r.id,
            digest: r.digest,
            media_type: r.media_type,
            config_media_type: r.config_media_type,
            bytes: r.bytes,
        }
    }
}

const MANIFEST_COLUMNS: &str = "m.id, m.digest, m.media_type, m.config_media_type, m.bytes";

#[derive(FromQueryResult)]
struct LabelRow {
    uuid: String,
    key: String,
    value: String,
    media_type: String,
    source_type: String,
}

impl TryFrom<LabelRow> for Label {
    type Error = DomainError;

    fn try_from(r: LabelRow) -> DomainResult<Self> {
        let source = LabelSource::parse(&r.source_type)
            .ok_or_else(|| DomainError::internal(format!("label source {}", r.source_type)))?;
        Ok(Label {
            uuid: r.uuid,
            key: r.key,
            value: r.value,
            media_type: r.media_type,
            source,
        })
    }
}

const LABEL_COLUMNS: &str = "l.uuid, l.key, l.value, l.media_type, l.source_type";

/// Inserts `label` on manifest `manifest_id`.
pub(crate) async fn insert_label(
    db: &Database,
    conn: &impl ConnectionTrait,
    manifest_id: i64,
    label: &Label,
) -> DomainResult<()> {
    execute(
        db,
        conn,
        "INSERT INTO manifest_label (uuid, manifest_id, key, value, media_type, source_type) \
         VALUES (?, ?, ?, ?, ?, ?)",
        vec![
            label.uuid.clone().into(),
            manifest_id.into(),
            label.key.clone().into(),
            label.value.clone().into(),
            label.media_type.clone().into(),
            label.source.as_str().into(),
        ],
    )
    .await?;
    Ok(())
}

/// The values of label `key` that were read from the manifest at push.
pub(crate) async fn manifest_sourced_values(
    db: &Database,
    conn: &impl ConnectionTrait,
    manifest_id: i64,
    key: &str,
) -> DomainResult<Vec<String>> {
    #[derive(FromQueryResult)]
    struct V {
        value: String,
    }
    let rows: Vec<V> = query_all(
        db,
        conn,
        "SELECT value FROM manifest_label WHERE manifest_id = ? AND key = ? \
         AND source_type = 'manifest' ORDER BY id",
        vec![manifest_id.into(), key.into()],
    )
    .await?;
    Ok(rows.into_iter().map(|r| r.value).collect())
}

#[async_trait]
impl LabelStore for SqlStore {
    async fn visible_manifest(
        &self,
        repository_id: i64,
        digest: &str,
        now_ms: i64,
        history_from_ms: i64,
    ) -> DomainResult<Option<ManifestRecord>> {
        let rows: Vec<ManifestRow> = query_all(
            &self.db,
            &self.db.conn,
            &format!(
                "SELECT {MANIFEST_COLUMNS} FROM manifest m WHERE m.repository_id = ? \
                 AND m.digest = ? AND ({} OR EXISTS (SELECT 1 FROM tag h \
                 WHERE h.manifest_id = m.id AND NOT h.hidden AND h.lifetime_end_ms > ?))",
                reached()
            ),
            vec![
                repository_id.into(),
                digest.into(),
                now_ms.into(),
                now_ms.into(),
                history_from_ms.into(),
            ],
        )
        .await?;
        Ok(rows.into_iter().next().map(ManifestRecord::from))
    }

    async fn stored_manifest(
        &self,
        repository_id: i64,
        digest: &str,
    ) -> DomainResult<Option<ManifestRecord>> {
        let rows: Vec<ManifestRow> = query_all(
            &self.db,
            &self.db.conn,
            &format!(
                "SELECT {MANIFEST_COLUMNS} FROM manifest m WHERE m.repository_id = ? \
                 AND m.digest = ?"
            ),
            vec![repository_id.into(), digest.into()],
        )
        .await?;
        Ok(rows.into_iter().next().map(ManifestRecord::from))
    }

    async fn manifest_labels(
        &self,
        manifest_id: i64,
        prefix: Option<&str>,
    ) -> DomainResult<Vec<Label>> {
        let mut sql =
            format!("SELECT {LABEL_COLUMNS} FROM manifest_label l WHERE l.manifest_id = ?");
        let mut values: Vec<Value> = vec![manifest_id.into()];
        if let Some(prefix) = prefix {
            // Quay's `prefix_search` is case-insensitive (ILIKE); SQLite's LIKE already
            // is for ASCII.
            let op = match self.db.backend() {
                DbBackend::Postgres => "ILIKE",
                _ => "LIKE",
            };
            sql.push_str(&format!(" AND l.key {op} ? ESCAPE '\\'"));
            values.push(format!("{}%", like_literal(prefix)).into());
        }
        sql.push_str(" ORDER BY l.id");
        let rows: Vec<LabelRow> = query_all(&self.db, &self.db.conn, &sql, values).await?;
        rows.into_iter().map(Label::try_from).collect()
    }

    async fn manifest_label(&self, manifest_id: i64, uuid: &str) -> DomainResult<Option<Label>> {
        let rows: Vec<LabelRow> = query_all(
            &self.db,
            &self.db.conn,
            &format!(
                "SELECT {LABEL_COLUMNS} FROM manifest_label l \
                 WHERE l.manifest_id = ? AND l.uuid = ?"
            ),
            vec![manifest_id.into(), uuid.into()],
        )
        .await?;
        rows.into_iter().next().map(Label::try_from).transpose()
    }

    async fn add_manifest_label(
        &self,
        manifest_id: i64,
        label: &Label,
        log: NewLogEntry,
    ) -> DomainResult<bool> {
        let db = &self.db;
        let txn = db.begin_write().await?;
        let exists = crate::manifests::id_of(
            db,
            &*txn,
            "SELECT id FROM manifest WHERE id = ?",
            vec![manifest_id.into()],
        )
        .await?;
        if exists.is_none() {
            return Ok(false);
        }
        insert_label(db, &*txn, manifest_id, label).await?;
        insert_log(&*txn, log).await?;
        txn.commit().await?;
        Ok(true)
    }

    async fn delete_manifest_label(
        &self,
        manifest_id: i64,
        uuid: &str,
        log: NewLogEntry,
    ) -> DomainResult<bool> {
        let db = &self.db;
        let txn = db.begin_write().await?;
        let deleted = execute(
            db,
            &*txn,
            "DELETE FROM manifest_label WHERE manifest_id = ? AND uuid = ?",
            vec![manifest_id.into(), uuid.into()],
        )
        .await?;
        if deleted == 0 {
            return Ok(false);
        }
        insert_log(&*txn, log).await?;
        txn.commit().await?;
        Ok(true)
    }
}
