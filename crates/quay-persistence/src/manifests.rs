//! `ManifestStore`: manifests, their references, tags with lifetimes.
//!
//! A tag is live while `lifetime_end_ms` is unset or in the future; hidden tags (those of
//! pushes by digest) keep their manifest alive without being listed.

use async_trait::async_trait;
use chrono::Utc;
use quay_core::{DomainError, DomainResult};
use quay_logs::NewLogEntry;
use quay_repos::labels::{expires_after_seconds, EXPIRES_AFTER_LABEL};
use quay_repos::manifests::{
    ManifestRejection, ManifestStore, NewManifest, PushTarget, StoredManifest,
};
use sea_orm::sea_query::Value;
use sea_orm::{ConnectionTrait, FromQueryResult};

use crate::labels::{insert_label, manifest_sourced_values};
use crate::logs::insert_log;
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

/// Tag `t` is live at the instant bound to `?`.
pub(crate) const LIVE: &str = "(t.lifetime_end_ms IS NULL OR t.lifetime_end_ms > ?)";

/// Manifest `m` is reached by a live tag, directly or through an index (binds two
/// instants).
pub(crate) fn reached() -> String {
    format!(
        "(EXISTS (SELECT 1 FROM tag t WHERE t.manifest_id = m.id AND {LIVE}) \
         OR EXISTS (SELECT 1 FROM manifest_child c JOIN tag t ON t.manifest_id = c.manifest_id \
             WHERE c.child_manifest_id = m.id AND {LIVE}))"
    )
}

fn now_ms() -> i64 {
    Utc::now().timestamp_millis()
}

#[derive(FromQueryResult)]
struct Id {
    id: i64,
}

pub(crate) async fn id_of(
    db: &Database,
    conn: &impl ConnectionTrait,
    sql: &str,
    values: Vec<Value>,
) -> DomainResult<Option<i64>> {
    let rows: Vec<Id> = query_all(db, conn, sql, values).await?;
    Ok(rows.first().map(|r| r.id))
}

/// The ids of `digests` as `sql` (ending in `IN`, followed by `lock`) finds them, in
/// the order given; the first digest it does not find is the error.
async fn ids_of_all(
    db: &Database,
    conn: &impl ConnectionTrait,
    sql: &str,
    lock: &str,
    mut values: Vec<Value>,
    digests: &[String],
) -> DomainResult<Result<Vec<i64>, String>> {
    if digests.is_empty() {
        return Ok(Ok(Vec::new()));
    }
    #[derive(FromQueryResult)]
    struct Found {
        id: i64,
        digest: String,
    }
    let marks = vec!["?"; digests.len()].join(", ");
    values.extend(digests.iter().map(|d| Value::from(d.clone())));
    let found: Vec<Found> = query_all(db, conn, &format!("{sql} ({marks}){lock}"), values).await?;
    let mut ids = Vec::with_capacity(digests.len());
    for digest in digests {
        match found.iter().find(|f| &f.digest == digest) {
            Some(f) => ids.push(f.id),
            None => return Ok(Err(digest.clone())),
        }
    }
    Ok(Ok(ids))
}

#[async_trait]
impl ManifestStore for SqlStore {
    async fn manifest_by_digest(
        &self,
        repository_id: i64,
        digest: &str,
    ) -> DomainResult<Option<StoredManifest>> {
        let now = now_ms();
        let rows: Vec<Row> = query_all(
            &self.db,
            &self.db.conn,
            &format!(
                "SELECT {COLUMNS} FROM manifest m WHERE m.repository_id = ? AND m.digest = ? \
                 AND {}",
                reached()
            ),
            vec![repository_id.into(), digest.into(), now.into(), now.into()],
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
                 WHERE t.repository_id = ? AND t.name = ? AND NOT t.hidden AND {LIVE}"
            ),
            vec![repository_id.into(), tag.into(), now_ms().into()],
        )
        .await?;
        Ok(rows.into_iter().next().map(StoredManifest::from))
    }

    async fn has_expired_tag(&self, repository_id: i64, tag: &str) -> DomainResult<bool> {
        let found = id_of(
            &self.db,
            &self.db.conn,
            "SELECT t.id FROM tag t WHERE t.repository_id = ? AND t.name = ? AND NOT t.hidden \
             AND t.lifetime_end_ms <= ? LIMIT 1",
            vec![repository_id.into(), tag.into(), now_ms().into()],
        )
        .await?;
        Ok(found.is_some())
    }

    async fn put_manifest(
        &self,
        m: NewManifest,
        target: PushTarget<'_>,
        now_ms: i64,
        log: Option<NewLogEntry>,
    ) -> DomainResult<Result<(), ManifestRejection>> {
        let db = &self.db;
        let txn = db.begin_write().await?;
        let repo = m.repository_id;
        let blob_ids = match ids_of_all(
            db,
            &*txn,
            "SELECT b.id AS id, b.digest AS digest FROM blob b \
             JOIN repository_blob rb ON rb.blob_id = b.id \
             WHERE rb.repository_id = ? AND b.digest IN",
            &db.share_lock(Some("b")),
            vec![repo.into()],
            &m.blobs,
        )
        .await?
        {
            Ok(ids) => ids,
            Err(missing) => return Ok(Err(ManifestRejection::MissingReference(missing))),
        };
        let child_ids = match ids_of_all(
            db,
            &*txn,
            "SELECT id, digest FROM manifest WHERE repository_id = ? AND digest IN",
            &db.share_lock(None),
            vec![repo.into()],
            &m.children,
        )
        .await?
        {
            Ok(ids) => ids,
            Err(missing) => return Ok(Err(ManifestRejection::MissingReference(missing))),
        };
        let find_sql = format!(
            "SELECT id FROM manifest WHERE repository_id = ? AND digest = ?{}",
            db.share_lock(None)
        );
        let find_manifest = || {
            id_of(
                db,
                &*txn,
                &find_sql,
                vec![repo.into(), m.digest.clone().into()],
            )
        };
        let mut expires_after_s = None;
        let manifest_id = match find_manifest().await? {
            Some(id) => id,
            None => {
                execute(
                    db,
                    &*txn,
                    "INSERT INTO manifest (repository_id, digest, media_type, artifact_type, \
                     config_media_type, subject_digest, size, layers_size, bytes, created) \
                     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    vec![
                        repo.into(),
                        m.digest.clone().into(),
                        m.media_type.clone().into(),
                        m.artifact_type.clone().into(),
                        m.config_media_type.clone().into(),
                        m.subject_digest.clone().into(),
                        (m.bytes.len() as i64).into(),
                        m.layers_size.into(),
                        m.bytes.clone().into(),
                        Utc::now().into(),
                    ],
                )
                .await?;
                let id = find_manifest()
                    .await?
                    .ok_or_else(|| DomainError::internal("manifest vanished"))?;
                for (table, column, refs) in [
                    ("manifest_blob", "blob_id", &blob_ids),
                    ("manifest_child", "child_manifest_id", &child_ids),
                ] {
                    for r in refs {
                        execute(
                            db,
                            &*txn,
                            &format!("INSERT INTO {table} (manifest_id, {column}) VALUES (?, ?)"),
                            vec![id.into(), (*r).into()],
                        )
                        .await?;
                    }
                }
                for label in &m.labels {
                    insert_label(db, &*txn, id, label).await?;
                }
                expires_after_s = expiry_of_new(db, &*txn, &m, &child_ids).await?;
                id
            }
        };
        match target {
            PushTarget::Tag {
                name: tag,
                keep_replaced_ms,
            } => {
                let live = live_named_tag(db, &*txn, repo, tag, now_ms).await?;
                if live.as_ref().map(|t| t.manifest_id) != Some(manifest_id) {
                    let next = NextLifetime {
                        repository_id: repo,
                        name: tag,
                        manifest_id,
                        now_ms,
                        keep_replaced_ms,
                        reversion: false,
                    };
                    start_lifetime(db, &*txn, live.as_ref(), next).await?;
                }
                if let Some(secs) = expires_after_s {
                    execute(
                        db,
                        &*txn,
                        "UPDATE tag SET lifetime_end_ms = ? WHERE repository_id = ? AND name = ? \
                         AND NOT hidden AND manifest_id = ? AND lifetime_end_ms IS NULL",
                        vec![
                            now_ms.saturating_add(secs.saturating_mul(1000)).into(),
                            repo.into(),
                            tag.into(),
                            manifest_id.into(),
                        ],
                    )
                    .await?;
                }
            }
            PushTarget::Digest { expires_ms } => {
                // One hidden tag per manifest: a second push by digest renews it.
                let renewed = execute(
                    db,
                    &*txn,
                    "UPDATE tag SET lifetime_end_ms = ? WHERE manifest_id = ? AND hidden \
                     AND (lifetime_end_ms IS NULL OR lifetime_end_ms > ?)",
                    vec![expires_ms.into(), manifest_id.into(), now_ms.into()],
                )
                .await?;
                if renewed == 0 {
                    let name = format!("$temp-{}", uuid::Uuid::new_v4());
                    let tag = NewTag {
                        repository_id: repo,
                        name: &name,
                        manifest_id,
                        start_ms: now_ms,
                        end_ms: expires_ms,
                        hidden: true,
                        reversion: false,
                    };
                    insert_tag(db, &*txn, tag).await?;
                }
            }
        }
        execute(
            db,
            &*txn,
            "UPDATE repository SET last_modified = ? WHERE id = ?",
            vec![Utc::now().into(), repo.into()],
        )
        .await?;
        if let Some(log) = log {
            insert_log(&*txn, log).await?;
        }
        txn.commit().await?;
        Ok(Ok(()))
    }

    async fn delete_manifest(
        &self,
        repository_id: i64,
        digest: &str,
        now_ms: i64,
        log: NewLogEntry,
    ) -> DomainResult<bool> {
        let db = &self.db;
        let txn = db.begin_write().await?;
        #[derive(FromQueryResult)]
        struct Ended {
            id: i64,
            name: String,
            hidden: bool,
        }
        let live: Vec<Ended> = query_all(
            db,
            &*txn,
            &format!(
                "SELECT t.id, t.name, t.hidden FROM tag t JOIN manifest m ON m.id = t.manifest_id \
                 WHERE m.repository_id = ? AND m.digest = ? AND {LIVE}"
            ),
            vec![repository_id.into(), digest.into(), now_ms.into()],
        )
        .await?;
        if live.is_empty() {
            return Ok(false);
        }
        for tag in &live {
            execute(
                db,
                &*txn,
                "UPDATE tag SET lifetime_end_ms = ? WHERE id = ?",
                vec![now_ms.into(), tag.id.into()],
            )
            .await?;
            if !tag.hidden {
                let mut entry = log.clone();
                entry.metadata["tag"] = tag.name.clone().into();
                insert_log(&*txn, entry).await?;
            }
        }
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
            &format!(
                "SELECT t.name FROM tag t WHERE t.repository_id = ? AND NOT t.hidden AND {LIVE} \
                 AND t.name > ? ORDER BY t.name LIMIT ?"
            ),
            vec![
                repository_id.into(),
                now_ms().into(),
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
        let now = now_ms();
        let mut sql = format!(
            "SELECT {COLUMNS} FROM manifest m WHERE m.repository_id = ? AND m.subject_digest = ? \
             AND {}",
            reached()
        );
        let mut values: Vec<Value> =
            vec![repository_id.into(), digest.into(), now.into(), now.into()];
        if let Some(t) = artifact_type {
            sql.push_str(" AND COALESCE(m.artifact_type, m.config_media_type) = ?");
            values.push(t.into());
        }
        sql.push_str(" ORDER BY m.id");
        let rows: Vec<Row> = query_all(&self.db, &self.db.conn, &sql, values).await?;
        Ok(rows.into_iter().map(StoredManifest::from).collect())
    }
}

/// The `quay.expires-after` of a manifest being created, in seconds: its own label, or
/// for an index the value all its children were pushed with (Quay applies only labels
/// every child agrees on).
async fn expiry_of_new(
    db: &Database,
    conn: &impl ConnectionTrait,
    m: &NewManifest,
    child_ids: &[i64],
) -> DomainResult<Option<i64>> {
    let value = if child_ids.is_empty() {
        m.labels
            .iter()
            .rev()
            .find(|l| l.key == EXPIRES_AFTER_LABEL)
            .map(|l| l.value.clone())
    } else {
        let mut agreed: Option<String> = None;
        for (i, child) in child_ids.iter().enumerate() {
            let values = manifest_sourced_values(db, conn, *child, EXPIRES_AFTER_LABEL).await?;
            match (values.last(), &agreed) {
                (Some(v), None) if i == 0 => agreed = Some(v.clone()),
                (Some(v), Some(a)) if v == a => {}
                _ => return Ok(None),
            }
        }
        agreed
    };
    Ok(value.as_deref().and_then(expires_after_seconds))
}

/// Keeps manifest `manifest_id`, which a tag just left, reachable until
/// `now_ms + keep_ms` with a hidden tag, unless another live tag still reaches it.
async fn keep_replaced(
    db: &Database,
    conn: &impl ConnectionTrait,
    repository_id: i64,
    manifest_id: i64,
    now_ms: i64,
    keep_ms: i64,
) -> DomainResult<()> {
    let still_live = id_of(
        db,
        conn,
        &format!("SELECT t.id FROM tag t WHERE t.manifest_id = ? AND {LIVE}"),
        vec![manifest_id.into(), now_ms.into()],
    )
    .await?;
    if still_live.is_some() || keep_ms <= 0 {
        return Ok(());
    }
    let name = format!("$temp-{}", uuid::Uuid::new_v4());
    let tag = NewTag {
        repository_id,
        name: &name,
        manifest_id,
        start_ms: now_ms,
        end_ms: Some(now_ms.saturating_add(keep_ms)),
        hidden: true,
        reversion: false,
    };
    insert_tag(db, conn, tag).await
}

/// The live lifetime of a named (not hidden) tag.
#[derive(FromQueryResult)]
pub(crate) struct LiveTag {
    pub id: i64,
    pub manifest_id: i64,
    pub lifetime_end_ms: Option<i64>,
}

/// The live lifetime of a named tag, for a transaction about to change the tag: on
/// PostgreSQL it first takes the name's advisory lock, so two changes of one tag run one
/// after the other and the second sees what the first did (two pushes or moves at once
/// would otherwise both end the same lifetime and both start one).
pub(crate) async fn live_named_tag(
    db: &Database,
    conn: &impl ConnectionTrait,
    repository_id: i64,
    name: &str,
    now_ms: i64,
) -> DomainResult<Option<LiveTag>> {
    if db.backend() == sea_orm::DbBackend::Postgres {
        let key = crate::digest_lock::key(&format!("tag {repository_id} {name}"));
        execute(
            db,
            conn,
            "SELECT pg_advisory_xact_lock(?)",
            vec![(key as i64).into()],
        )
        .await?;
    }
    let live: Vec<LiveTag> = query_all(
        db,
        conn,
        &format!(
            "SELECT t.id, t.manifest_id, t.lifetime_end_ms FROM tag t \
             WHERE t.repository_id = ? AND t.name = ? AND NOT t.hidden AND {LIVE}"
        ),
        vec![repository_id.into(), name.into(), now_ms.into()],
    )
    .await?;
    Ok(live.into_iter().next())
}

/// A new lifetime of a named tag, starting at `now_ms`.
pub(crate) struct NextLifetime<'a> {
    pub repository_id: i64,
    pub name: &'a str,
    pub manifest_id: i64,
    pub now_ms: i64,
    /// How long the manifest the tag leaves stays reachable by digest.
    pub keep_replaced_ms: i64,
    pub reversion: bool,
}

/// Ends the tag's live lifetime `old` (keeping the manifest it leaves reachable for a
/// while) and starts `next`: how pushes and the tags API move a tag alike.
pub(crate) async fn start_lifetime(
    db: &Database,
    conn: &impl ConnectionTrait,
    old: Option<&LiveTag>,
    next: NextLifetime<'_>,
) -> DomainResult<()> {
    if let Some(old) = old {
        execute(
            db,
            conn,
            "UPDATE tag SET lifetime_end_ms = ? WHERE id = ?",
            vec![next.now_ms.into(), old.id.into()],
        )
        .await?;
        if old.manifest_id != next.manifest_id {
            keep_replaced(
                db,
                conn,
                next.repository_id,
                old.manifest_id,
                next.now_ms,
                next.keep_replaced_ms,
            )
            .await?;
        }
    }
    let tag = NewTag {
        repository_id: next.repository_id,
        name: next.name,
        manifest_id: next.manifest_id,
        start_ms: next.now_ms,
        end_ms: None,
        hidden: false,
        reversion: next.reversion,
    };
    insert_tag(db, conn, tag).await
}

/// A tag row to insert.
pub(crate) struct NewTag<'a> {
    pub repository_id: i64,
    pub name: &'a str,
    pub manifest_id: i64,
    pub start_ms: i64,
    pub end_ms: Option<i64>,
    pub hidden: bool,
    pub reversion: bool,
}

pub(crate) async fn insert_tag(
    db: &Database,
    conn: &impl ConnectionTrait,
    t: NewTag<'_>,
) -> DomainResult<()> {
    execute(
        db,
        conn,
        "INSERT INTO tag (repository_id, name, manifest_id, lifetime_start_ms, lifetime_end_ms, \
         hidden, reversion) VALUES (?, ?, ?, ?, ?, ?, ?)",
        vec![
            t.repository_id.into(),
            t.name.into(),
            t.manifest_id.into(),
            t.start_ms.into(),
            t.end_ms.into(),
            t.hidden.into(),
            t.reversion.into(),
        ],
    )
    .await?;
    Ok(())
}
