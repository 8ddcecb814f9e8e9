//! The tags API (`endpoints/api/tag.py`): a repository's tag history, alive and dead,
//! moving and creating tags, expiries, deletion, restores from the time machine and
//! removal from it.
//!
//! A tag row is one lifetime of a name, `[start, end)`; alive while `end` is unset or in
//! the future. Moving a tag ends its lifetime and starts another, so the history is
//! kept; the namespace's time-machine window (`tag_expiration_s`) says how long an ended
//! lifetime can still be restored (and how long garbage collection leaves it alone).

use std::sync::Arc;

use async_trait::async_trait;
use chrono::Utc;
use quay_core::config::Config;
use quay_core::names::RepositoryName;
use quay_core::role::{RepositoryState, Role};
use quay_core::{Caller, DomainError, DomainResult};
use quay_logs::{LogKind, NewLogEntry};
use serde_json::json;

use crate::{Repositories, Repository};

/// Quay's `TAG_ERROR`, for names outside `^[\w][\w.-]{0,127}$`.
pub const TAG_ERROR: &str = "Invalid tag: must match [A-Za-z0-9_.-], NOT start with \".\" or \"-\", and can contain 1-128 characters";

/// Quay's `TAG_REGEX`: `^[\w][\w.-]{0,127}$` (ASCII word characters).
pub fn is_valid_tag_name(name: &str) -> bool {
    let word = |c: char| c.is_ascii_alphanumeric() || c == '_';
    let mut chars = name.chars();
    chars.next().is_some_and(word)
        && name.len() <= 128
        && chars.all(|c| word(c) || c == '.' || c == '-')
}

/// One lifetime of a tag, with what the history shows of its manifest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TagLifetime {
    pub id: i64,
    pub name: String,
    /// Started by a restore.
    pub reversion: bool,
    pub start_ms: i64,
    /// When it ended or will end; `None`: alive with no expiry.
    pub end_ms: Option<i64>,
    pub manifest_digest: String,
    pub is_manifest_list: bool,
    /// The sum of the manifest's layer sizes (none for an index).
    pub layers_size: Option<i64>,
}

/// A live named tag, as auto-pruning sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveTag {
    pub id: i64,
    pub name: String,
    pub start_ms: i64,
}

/// `filter_tag_name`: `like:<s>` (the name contains `s`) or `eq:<s>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TagNameFilter {
    Contains(String),
    Equals(String),
}

impl TagNameFilter {
    /// Quay's `<op>:<name>` syntax.
    pub fn parse(s: &str) -> DomainResult<Self> {
        match s.split_once(':') {
            Some(("like", v)) => Ok(TagNameFilter::Contains(v.to_string())),
            Some(("eq", v)) => Ok(TagNameFilter::Equals(v.to_string())),
            _ => Err(DomainError::invalid(
                "Unsupported syntax for filter_tag_name. Expected <operation>:<tag_name> where <operation>can be 'like' or 'eq'.",
            )),
        }
    }
}

/// A page of the tag history: newest lifetime first, then by name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TagHistoryQuery {
    pub specific_tag: Option<String>,
    pub name_filter: Option<TagNameFilter>,
    /// Only lifetimes alive now.
    pub only_active: bool,
    /// 1-based.
    pub page: u64,
    /// 1 to 100.
    pub limit: u64,
}

/// Which manifests a tag may be pointed at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Availability {
    /// Reached by a live tag (directly or through an index) now.
    Alive,
    /// Reached by a tag that was alive at or after this instant (the time machine).
    Since(i64),
}

/// Pointing a tag at a manifest: ends `replacing` (the live lifetime the caller saw,
/// `(id, end_ms)`) and starts a new lifetime at `now_ms`.
#[derive(Debug, Clone)]
pub struct Retarget<'a> {
    pub repository_id: i64,
    pub name: &'a str,
    pub manifest_digest: &'a str,
    pub availability: Availability,
    pub replacing: Option<(i64, Option<i64>)>,
    pub reversion: bool,
    pub now_ms: i64,
    /// How long the manifest a tag leaves stays reachable by digest (the namespace's
    /// time-machine window), as for pushes.
    pub keep_replaced_ms: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetargetOutcome {
    Done,
    /// No such manifest, or not available as asked.
    ManifestUnavailable,
    /// The live lifetime is no longer the one the caller saw.
    Changed,
}

/// Storage of tag lifetimes (implemented by `quay-persistence`).
#[async_trait]
pub trait TagStore: Send + Sync {
    /// A page of the named (not hidden) lifetimes, one more than `limit` if there are
    /// more; only those alive at `now_ms` with `only_active`, else those that ended
    /// after `history_from_ms` (still in the time machine) or have not ended.
    async fn tag_history(
        &self,
        repository_id: i64,
        query: &TagHistoryQuery,
        now_ms: i64,
        history_from_ms: i64,
    ) -> DomainResult<Vec<TagLifetime>>;

    /// The live lifetime of the named tag `name`.
    async fn live_tag(
        &self,
        repository_id: i64,
        name: &str,
        now_ms: i64,
    ) -> DomainResult<Option<TagLifetime>>;

    /// Does the retarget and writes `log`, atomically.
    async fn retarget_tag(
        &self,
        retarget: Retarget<'_>,
        log: NewLogEntry,
    ) -> DomainResult<RetargetOutcome>;

    /// Sets the lifetime's end to `end_ms` if it still is `expected_end_ms`, writing
    /// `log` with it; `false` if it changed meanwhile.
    async fn set_tag_end(
        &self,
        tag_id: i64,
        expected_end_ms: Option<i64>,
        end_ms: Option<i64>,
        log: Option<NewLogEntry>,
    ) -> DomainResult<bool>;

    /// Ends, at `end_ms`, the lifetimes of `name` pointing at `manifest_digest` that
    /// ended within the time machine (after `history_from_ms`, by `now_ms`), or with
    /// `alive` its live lifetime; with `include_children`, the hidden tags of the
    /// manifest's children too. Writes `log` if anything changed; `false` if nothing did.
    #[allow(clippy::too_many_arguments)]
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
    ) -> DomainResult<bool>;

    /// The live named tags of the repository, newest first (by start, then id).
    async fn live_tags(&self, repository_id: i64, now_ms: i64) -> DomainResult<Vec<LiveTag>>;

    /// Ends at `now_ms`, as a delete through the tags API does, those of `tags` (ids,
    /// each with its log entry) still alive, writing the entries of the ones it ended,
    /// atomically; how many it ended.
    async fn end_live_tags(&self, tags: Vec<(i64, NewLogEntry)>, now_ms: i64) -> DomainResult<u64>;
}

/// A page of tag history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TagHistoryPage {
    pub tags: Vec<TagLifetime>,
    pub page: u64,
    pub has_additional: bool,
}

/// `PUT .../tag/{tag}`: each field present in the body (`Some`), possibly `null`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ChangeTag {
    pub manifest_digest: Option<Option<String>>,
    /// Unix seconds.
    pub expiration: Option<Option<f64>>,
}

/// `POST .../tag/{tag}/expire`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExpireTag {
    pub manifest_digest: Option<String>,
    pub include_submanifests: bool,
    pub is_alive: bool,
}

/// The tags API of repositories.
#[async_trait]
pub trait TagService: Send + Sync {
    async fn list_tags(
        &self,
        caller: &Caller,
        repo: &RepositoryName,
        query: TagHistoryQuery,
    ) -> DomainResult<TagHistoryPage>;

    async fn change_tag(
        &self,
        caller: &Caller,
        repo: &RepositoryName,
        tag: &str,
        change: ChangeTag,
    ) -> DomainResult<()>;

    async fn delete_tag(
        &self,
        caller: &Caller,
        repo: &RepositoryName,
        tag: &str,
    ) -> DomainResult<()>;

    async fn restore_tag(
        &self,
        caller: &Caller,
        repo: &RepositoryName,
        tag: &str,
        manifest_digest: Option<String>,
    ) -> DomainResult<()>;

    async fn expire_tag(
        &self,
        caller: &Caller,
        repo: &RepositoryName,
        tag: &str,
        request: ExpireTag,
    ) -> DomainResult<()>;
}

/// [`TagService`] on the repository service (access checks) and a [`TagStore`].
pub struct Tags {
    repos: Arc<Repositories>,
    store: Arc<dyn TagStore>,
    /// Expiry bounds after a tag's start, in seconds.
    expiration_bounds: (i64, i64),
}

fn now_ms() -> i64 {
    Utc::now().timestamp_millis()
}

impl Tags {
    pub fn new(repos: Arc<Repositories>, store: Arc<dyn TagStore>, config: &Config) -> Self {
        Self {
            repos,
            store,
            expiration_bounds: config.labeled_expiration_bounds(),
        }
    }

    /// Quay's `require_repo_write` then `disallow_for_non_normal_repositories`.
    async fn writable(&self, caller: &Caller, name: &RepositoryName) -> DomainResult<Repository> {
        let (repo, _) = self.repos.authorized(caller, name, Role::Write).await?;
        if repo.state != RepositoryState::Normal {
            return Err(DomainError::Unavailable(format!(
                "Repository is in read only or mirror mode: {}",
                repo.state.as_str()
            )));
        }
        Ok(repo)
    }

    /// Quay's tag log metadata: the repository, the acting user and the tag.
    fn log(
        &self,
        kind: LogKind,
        caller: &Caller,
        repo: &Repository,
        tag: &str,
        extra: serde_json::Value,
    ) -> NewLogEntry {
        let username = caller.principal.as_ref().map(|p| p.username.clone());
        let mut metadata = json!({"username": username, "tag": tag});
        if let (Some(m), Some(extra)) = (metadata.as_object_mut(), extra.as_object()) {
            m.extend(extra.clone());
        }
        self.repos.log(kind, caller, repo, metadata)
    }

    fn window_ms(repo: &Repository) -> i64 {
        repo.namespace_tag_expiration_s.saturating_mul(1000)
    }

    /// Quay's `change_tag_expiration`: the expiry, clamped to the configured bounds
    /// after the tag's start.
    fn clamped_end_ms(&self, start_ms: i64, expiration_s: f64) -> i64 {
        let (min, max) = self.expiration_bounds;
        let start_s = start_ms.div_euclid(1000);
        let offset = (expiration_s.floor() as i64).saturating_sub(start_s);
        start_ms.saturating_add(offset.clamp(min, max).saturating_mul(1000))
    }

    async fn change_expiration(
        &self,
        caller: &Caller,
        repo: &Repository,
        tag: &str,
        expiration: Option<f64>,
    ) -> DomainResult<()> {
        let now = now_ms();
        let live = self
            .store
            .live_tag(repo.id, tag, now)
            .await?
            .ok_or(DomainError::NotFound)?;
        if let Some(at) = expiration {
            if !at.is_finite() || at * 1000.0 <= now as f64 {
                return Err(DomainError::invalid(
                    "Expiration must be a time in the future",
                ));
            }
        }
        let end = expiration.map(|at| self.clamped_end_ms(live.start_ms, at));
        if end == live.end_ms {
            return Ok(());
        }
        let log = (live.end_ms.is_some() || end.is_some()).then(|| {
            self.log(
                LogKind::ChangeTagExpiration,
                caller,
                repo,
                tag,
                json!({
                    "expiration_date": end.map(|ms| ms / 1000),
                    "old_expiration_date": live.end_ms.map(|ms| ms / 1000),
                }),
            )
        });
        if !self
            .store
            .set_tag_end(live.id, live.end_ms, end, log)
            .await?
        {
            return Err(DomainError::invalid(
                "Could not update tag expiration; Tag has probably changed",
            ));
        }
        Ok(())
    }

    async fn retarget(
        &self,
        caller: &Caller,
        repo: &Repository,
        tag: &str,
        digest: &str,
        reversion: bool,
    ) -> DomainResult<RetargetOutcome> {
        let now = now_ms();
        let existing = self.store.live_tag(repo.id, tag, now).await?;
        let log = if reversion {
            self.log(
                LogKind::RevertTag,
                caller,
                repo,
                tag,
                json!({"manifest_digest": digest}),
            )
        } else {
            let kind = if existing.is_some() {
                LogKind::MoveTag
            } else {
                LogKind::CreateTag
            };
            self.log(
                kind,
                caller,
                repo,
                tag,
                json!({
                    "manifest_digest": digest,
                    "original_manifest_digest": existing.as_ref().map(|t| t.manifest_digest.clone()),
                }),
            )
        };
        let availability = if reversion {
            Availability::Since(now.saturating_sub(Self::window_ms(repo)))
        } else {
            Availability::Alive
        };
        let retarget = Retarget {
            repository_id: repo.id,
            name: tag,
            manifest_digest: digest,
            availability,
            replacing: existing.as_ref().map(|t| (t.id, t.end_ms)),
            reversion,
            now_ms: now,
            keep_replaced_ms: Self::window_ms(repo),
        };
        self.store.retarget_tag(retarget, log).await
    }
}

#[async_trait]
impl TagService for Tags {
    async fn list_tags(
        &self,
        caller: &Caller,
        name: &RepositoryName,
        query: TagHistoryQuery,
    ) -> DomainResult<TagHistoryPage> {
        let (repo, _) = self.repos.authorized(caller, name, Role::Read).await?;
        let query = TagHistoryQuery {
            page: query.page.max(1),
            limit: query.limit.clamp(1, 100),
            ..query
        };
        let now = now_ms();
        let from = now.saturating_sub(Self::window_ms(&repo));
        let mut tags = self.store.tag_history(repo.id, &query, now, from).await?;
        let has_additional = tags.len() as u64 > query.limit;
        tags.truncate(query.limit as usize);
        Ok(TagHistoryPage {
            tags,
            page: query.page,
            has_additional,
        })
    }

    async fn change_tag(
        &self,
        caller: &Caller,
        name: &RepositoryName,
        tag: &str,
        change: ChangeTag,
    ) -> DomainResult<()> {
        let repo = self.writable(caller, name).await?;
        if !is_valid_tag_name(tag) {
            return Err(DomainError::invalid(TAG_ERROR));
        }
        if let Some(expiration) = change.expiration {
            self.change_expiration(caller, &repo, tag, expiration)
                .await?;
        }
        if let Some(digest) = change.manifest_digest {
            let digest = digest.ok_or(DomainError::NotFound)?;
            match self.retarget(caller, &repo, tag, &digest, false).await? {
                RetargetOutcome::Done => {}
                RetargetOutcome::ManifestUnavailable => return Err(DomainError::NotFound),
                RetargetOutcome::Changed => return Err(DomainError::invalid("Could not move tag")),
            }
        }
        Ok(())
    }

    async fn delete_tag(
        &self,
        caller: &Caller,
        name: &RepositoryName,
        tag: &str,
    ) -> DomainResult<()> {
        let repo = self.writable(caller, name).await?;
        let now = now_ms();
        let live = self
            .store
            .live_tag(repo.id, tag, now)
            .await?
            .ok_or(DomainError::NotFound)?;
        let log = self.log(LogKind::DeleteTag, caller, &repo, tag, json!({}));
        if !self
            .store
            .set_tag_end(live.id, live.end_ms, Some(now), Some(log))
            .await?
        {
            // Moved or deleted meanwhile: this lifetime is no longer the live one.
            return Err(DomainError::NotFound);
        }
        Ok(())
    }

    async fn restore_tag(
        &self,
        caller: &Caller,
        name: &RepositoryName,
        tag: &str,
        manifest_digest: Option<String>,
    ) -> DomainResult<()> {
        let repo = self.writable(caller, name).await?;
        let digest =
            manifest_digest.ok_or_else(|| DomainError::invalid("Missing manifest_digest"))?;
        if !is_valid_tag_name(tag) {
            return Err(DomainError::invalid(TAG_ERROR));
        }
        match self.retarget(caller, &repo, tag, &digest, true).await? {
            RetargetOutcome::Done => Ok(()),
            RetargetOutcome::ManifestUnavailable => Err(DomainError::NotFound),
            RetargetOutcome::Changed => Err(DomainError::invalid("Could not restore tag")),
        }
    }

    async fn expire_tag(
        &self,
        caller: &Caller,
        name: &RepositoryName,
        tag: &str,
        request: ExpireTag,
    ) -> DomainResult<()> {
        let (repo, _) = self.repos.authorized(caller, name, Role::Write).await?;
        let now = now_ms();
        let digest = if request.is_alive {
            self.store
                .live_tag(repo.id, tag, now)
                .await?
                .ok_or(DomainError::NotFound)?
                .manifest_digest
        } else {
            request.manifest_digest.ok_or_else(|| {
                DomainError::invalid("manifest_digest required when is_alive set to false")
            })?
        };
        let log = self.log(
            LogKind::PermanentlyDeleteTag,
            caller,
            &repo,
            tag,
            json!({"manifest_digest": digest}),
        );
        let window = Self::window_ms(&repo);
        let changed = self
            .store
            .remove_from_time_machine(
                repo.id,
                tag,
                &digest,
                request.is_alive,
                request.include_submanifests,
                now,
                now.saturating_sub(window),
                log,
            )
            .await?;
        if changed {
            Ok(())
        } else {
            Err(DomainError::NotFound)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tag_names_follow_quays_expression() {
        for good in ["latest", "v1.0", "_x", "1", "a-b_c.d", &"a".repeat(128)] {
            assert!(is_valid_tag_name(good), "{good}");
        }
        for bad in ["", ".x", "-x", "a/b", "a:b", "ä", &"a".repeat(129)] {
            assert!(!is_valid_tag_name(bad), "{bad}");
        }
    }

    #[test]
    fn name_filters_parse_like_and_eq_only() {
        assert_eq!(
            TagNameFilter::parse("like:v1").unwrap(),
            TagNameFilter::Contains("v1".into())
        );
        assert_eq!(
            TagNameFilter::parse("eq:a:b").unwrap(),
            TagNameFilter::Equals("a:b".into())
        );
        for bad in ["v1", "ne:v1", ""] {
            assert!(TagNameFilter::parse(bad).is_err(), "{bad}");
        }
    }
}
