//! `TagStore`: the tags API's reads and changes of tag lifetimes.

use async_trait::async_trait;
use chrono::Utc;
use quay_core::DomainResult;
use quay_logs::NewLogEntry;
use quay_repos::labels::is_manifest_list_type;
use quay_repos::tags::{
    Availability, LiveTag, Retarget, RetargetOutcome, TagHistoryQuery, TagLifetime, TagNameFilter,
    TagStore,
};
use sea_orm::sea_query::Value;
use sea_orm::{DbBackend, FromQueryResult};

use crate::logs::{insert_log, insert_logs};
use crate::manifests::{id_of, live_named_tag, reached, start_lifetime, NextLifetime, LIVE};
use crate::{execute, query_all, SqlStore};

#[derive(FromQueryResult)]
struct Row {
    id: i64,
    name: String,
    reversion: bool,
    start_ms: i64,
    end_ms: Option<i64>,
    digest: String,
    media_type: String,
    layers_size: Option<i64>,
}

impl From<Row> for TagLifetime {
    fn from(r: Row) -> Self {
        TagLifetime {
            id: r.id,
            name: r.name,
            reversion: r.reversion,
            start_ms: r.start_ms,
            end_ms: r.end_ms,
            manifest_digest: r.digest,
            is_manifest_list: is_manifest_list_type(&r.media_type),
            layers_size: r.layers_size,
        }
    }
}

const COLUMNS: &str = "t.id, t.name, t.reversion, t.lifetime_start_ms AS start_ms, \
     t.lifetime_end_ms AS end_ms, m.digest, m.media_type, m.layers_size";

/// `s` as a literal inside a `LIKE` pattern (escape character `\`).
pub(crate) fn like_literal(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[derive(FromQueryResult)]
struct LiveRow {
    id: i64,
    name: String,
    start_ms: i64,
}

#[derive(FromQueryResult)]
struct IdRow {
    id: i64,
}

#[async_trait]
impl TagStore for SqlStore {
    async fn tag_history(
        &self,
        repository_id: i64,
        q: &TagHistoryQuery,
        now_ms: i64,
        history_from_ms: i64,
    ) -> DomainResult<Vec<TagLifetime>> {
        let mut sql = format!(
            "SELECT {COLUMNS} FROM tag t JOIN manifest m ON m.id = t.manifest_id \
             WHERE t.repository_id = ? AND NOT t.hidden \
             AND (t.lifetime_end_ms IS NULL OR t.lifetime_end_ms > ?)"
        );
        let bound = if q.only_active {
            now_ms
        } else {
            history_from_ms
        };
        let mut values: Vec<Value> = vec![repository_id.into(), bound.into()];
        if let Some(tag) = &q.specific_tag {
            sql.push_str(" AND t.name = ?");
            values.push(tag.clone().into());
        }
        match &q.name_filter {
            Some(TagNameFilter::Equals(v)) => {
                sql.push_str(" AND t.name = ?");
                values.push(v.clone().into());
            }
            Some(TagNameFilter::Contains(v)) => {
                // Quay's `contains` is case-insensitive (ILIKE); SQLite's LIKE already is
                // for ASCII.
                let op = match self.db.backend() {
                    DbBackend::Postgres => "ILIKE",
                    _ => "LIKE",
                };
                sql.push_str(&format!(" AND t.name {op} ? ESCAPE '\\'"));
                values.push(format!("%{}%", like_literal(v)).into());
            }
            None => {}
        }
        // With one name asked for, its few lifetimes come from the (repository, name)
        // index; the history order must not tempt the planner into walking the whole
        // repository in (repository, start) order instead.
        let by_name =
            q.specific_tag.is_some() || matches!(q.name_filter, Some(TagNameFilter::Equals(_)));
        let start = if by_name {
            "t.lifetime_start_ms + 0"
        } else {
            "t.lifetime_start_ms"
        };
        sql.push_str(&format!(" ORDER BY {start} DESC, t.name LIMIT ? OFFSET ?"));
        let limit = q.limit.min(1000) as i64;
        let offset = (q.page.saturating_sub(1) as i64).saturating_mul(limit);
        values.push((limit + 1).into());
        values.push(offset.into());
        let rows: Vec<Row> = query_all(&self.db, &self.db.conn, &sql, values).await?;
        Ok(rows.into_iter().map(TagLifetime::from).collect())
    }

    async fn live_tag(
        &self,
        repository_id: i64,
        name: &str,
        now_ms: i64,
    ) -> DomainResult<Option<TagLifetime>> {
        let rows: Vec<Row> = query_all(
            &self.db,
            &self.db.conn,
            &format!(
                "SELECT {COLUMNS} FROM tag t JOIN manifest m ON m.id = t.manifest_id \
                 WHERE t.repository_id = ? AND t.name = ? AND NOT t.hidden AND {LIVE}"
            ),
            vec![repository_id.into(), name.into(), now_ms.into()],
        )
        .await?;
        Ok(rows.into_iter().next().map(TagLifetime::from))
    }

    async fn retarget_tag(
        &self,
        r: Retarget<'_>,
        log: NewLogEntry,
    ) -> DomainResult<RetargetOutcome> {
        let db = &self.db;
        let txn = db.begin_write().await?;
        let repo = r.repository_id;
        let manifest_id = match r.availability {
            Availability::Alive => {
                id_of(
                    db,
                    &*txn,
                    &format!(
                        "SELECT m.id FROM manifest m WHERE m.repository_id = ? AND m.digest = ? \
                         AND {}{}",
                        reached(),
                        db.share_lock(Some("m"))
                    ),
                    vec![
                        repo.into(),
                        r.manifest_digest.into(),
                        r.now_ms.into(),
                        r.now_ms.into(),
                    ],
                )
                .await?
            }
            // Alive now, or named by a lifetime still in the time machine.
            Availability::Since(since) => {
                id_of(
                    db,
                    &*txn,
                    &format!(
                        "SELECT m.id FROM manifest m WHERE m.repository_id = ? AND m.digest = ? \
                         AND ({} OR EXISTS (SELECT 1 FROM tag h WHERE h.manifest_id = m.id \
                         AND NOT h.hidden AND (h.lifetime_end_ms IS NULL OR h.lifetime_end_ms > ?))){}",
                        reached(),
                        db.share_lock(Some("m"))
                    ),
                    vec![
                        repo.into(),
                        r.manifest_digest.into(),
                        r.now_ms.into(),
                        r.now_ms.into(),
                        since.into(),
                    ],
                )
                .await?
            }
        };
        let Some(manifest_id) = manifest_id else {
            return Ok(RetargetOutcome::ManifestUnavailable);
        };
        let live = live_named_tag(db, &*txn, repo, r.name, r.now_ms).await?;
        if live.as_ref().map(|t| (t.id, t.lifetime_end_ms)) != r.replacing {
            return Ok(RetargetOutcome::Changed);
        }
        let next = NextLifetime {
            repository_id: repo,
            name: r.name,
            manifest_id,
            now_ms: r.now_ms,
            keep_replaced_ms: r.keep_replaced_ms,
            reversion: r.reversion,
        };
        start_lifetime(db, &*txn, live.as_ref(), next).await?;
        execute(
            db,
            &*txn,
            "UPDATE repository SET last_modified = ? WHERE id = ?",
            vec![Utc::now().into(), repo.into()],
        )
        .await?;
        insert_log(&*txn, log).await?;
        txn.commit().await?;
        Ok(RetargetOutcome::Done)
    }

    async fn set_tag_end(
        &self,
        tag_id: i64,
        expected_end_ms: Option<i64>,
        end_ms: Option<i64>,
        log: Option<NewLogEntry>,
    ) -> DomainResult<bool> {
        let db = &self.db;
        let txn = db.begin_write().await?;
        let mut sql = String::from("UPDATE tag SET lifetime_end_ms = ? WHERE id = ?");
        let mut values: Vec<Value> = vec![end_ms.into(), tag_id.into()];
        match expected_end_ms {
            Some(expected) => {
                sql.push_str(" AND lifetime_end_ms = ?");
                values.push(expected.into());
            }
            None => sql.push_str(" AND lifetime_end_ms IS NULL"),
        }
        if execute(db, &*txn, &sql, values).await? != 1 {
            return Ok(false);
        }
        if let Some(log) = log {
            insert_log(&*txn, log).await?;
        }
        txn.commit().await?;
        Ok(true)
    }

    async fn remove_from_time_machine(
        &self,
        repository_id: i64,
        name: &str,
        manifest_digest: &str,
        alive: bool,
        include_children: bool,
        now_ms: i64,
        history_from_ms: i64,
        log: NewLogEntry,
    ) -> DomainResult<bool> {
        let db = &self.db;
        let txn = db.begin_write().await?;
        let Some(manifest_id) = id_of(
            db,
            &*txn,
            "SELECT id FROM manifest WHERE repository_id = ? AND digest = ?",
            vec![repository_id.into(), manifest_digest.into()],
        )
        .await?
        else {
            return Ok(false);
        };
        let changed = if alive {
            execute(
                db,
                &*txn,
                &format!(
                    "UPDATE tag SET lifetime_end_ms = ? WHERE id IN (SELECT t.id FROM tag t \
                     WHERE t.repository_id = ? AND t.name = ? AND t.manifest_id = ? \
                     AND NOT t.hidden AND {LIVE})"
                ),
                vec![
                    history_from_ms.into(),
                    repository_id.into(),
                    name.into(),
                    manifest_id.into(),
                    now_ms.into(),
                ],
            )
            .await?
        } else {
            execute(
                db,
                &*txn,
                "UPDATE tag SET lifetime_end_ms = ? WHERE repository_id = ? AND name = ? \
                 AND manifest_id = ? AND NOT hidden AND lifetime_end_ms <= ? \
                 AND lifetime_end_ms > ?",
                vec![
                    history_from_ms.into(),
                    repository_id.into(),
                    name.into(),
                    manifest_id.into(),
                    now_ms.into(),
                    history_from_ms.into(),
                ],
            )
            .await?
        };
        if changed == 0 {
            return Ok(false);
        }
        // Whatever else kept the manifest reachable for a while (the hidden tag of a
        // push by digest, or of a move away from it) goes too, or it could still be
        // restored; a hidden tag without an end (an artifact's) stays.
        let mut manifests = String::from("manifest_id = ?");
        let mut values: Vec<Value> = vec![
            history_from_ms.into(),
            repository_id.into(),
            manifest_id.into(),
        ];
        if include_children {
            manifests.push_str(
                " OR manifest_id IN (SELECT child_manifest_id FROM manifest_child \
                 WHERE manifest_id = ?)",
            );
            values.push(manifest_id.into());
        }
        values.push(history_from_ms.into());
        execute(
            db,
            &*txn,
            &format!(
                "UPDATE tag SET lifetime_end_ms = ? WHERE repository_id = ? AND hidden \
                 AND ({manifests}) AND lifetime_end_ms > ?"
            ),
            values,
        )
        .await?;
        insert_log(&*txn, log).await?;
        txn.commit().await?;
        Ok(true)
    }

    async fn live_tags(&self, repository_id: i64, now_ms: i64) -> DomainResult<Vec<LiveTag>> {
        let rows: Vec<LiveRow> = query_all(
            &self.db,
            &self.db.conn,
            &format!(
                "SELECT t.id, t.name, t.lifetime_start_ms AS start_ms FROM tag t \
                 WHERE t.repository_id = ? AND NOT t.hidden AND {LIVE} \
                 ORDER BY t.lifetime_start_ms DESC, t.id DESC"
            ),
            vec![repository_id.into(), now_ms.into()],
        )
        .await?;
        Ok(rows
            .into_iter()
            .map(|r| LiveTag {
                id: r.id,
                name: r.name,
                start_ms: r.start_ms,
            })
            .collect())
    }

    async fn end_live_tags(&self, tags: Vec<(i64, NewLogEntry)>, now_ms: i64) -> DomainResult<u64> {
        if tags.is_empty() {
            return Ok(0);
        }
        let db = &self.db;
        let txn = db.begin_write().await?;
        let marks = vec!["?"; tags.len()].join(", ");
        let mut values: Vec<Value> = vec![now_ms.into()];
        values.extend(tags.iter().map(|(id, _)| Value::from(*id)));
        values.push(now_ms.into());
        // Only what is still alive ends (a push or the API may have moved a tag since
        // it was selected), and only those get an entry.
        let ended: Vec<IdRow> = query_all(
            db,
            &*txn,
            &format!(
                "UPDATE tag SET lifetime_end_ms = ? WHERE id IN ({marks}) \
                 AND (lifetime_end_ms IS NULL OR lifetime_end_ms > ?) RETURNING id"
            ),
            values,
        )
        .await?;
        let ended: std::collections::HashSet<i64> = ended.into_iter().map(|r| r.id).collect();
        let logs: Vec<NewLogEntry> = tags
            .into_iter()
            .filter(|(id, _)| ended.contains(id))
            .map(|(_, log)| log)
            .collect();
        insert_logs(&*txn, logs).await?;
        txn.commit().await?;
        Ok(ended.len() as u64)
    }
}
