//! Auto-prune policies (`endpoints/api/policy.py`, `data/model/autoprune.py`) and the
//! pass that applies them (`workers/autopruneworker.py`).
//!
//! A policy belongs to a namespace (it covers every repository there) or to one
//! repository; as in Quay 3.11 each has at most one. `number_of_tags` keeps the N newest
//! live tags (by the start of their lifetime), `creation_date` prunes those older than a
//! duration; a `tagPattern` (a regular expression, found anywhere in the name) narrows
//! the candidates to the names that match it, or with `tagPatternMatches: false` to
//! those that do not. Pruning deletes a tag as the tags API does: its live lifetime
//! ends, so the time machine can still restore it.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::Utc;
use quay_auth::secret::random_uuid;
use quay_auth::{Authorizer, NamespaceGrant};
use quay_core::config::{parse_duration, Config};
use quay_core::names::RepositoryName;
use quay_core::role::Role;
use quay_core::{Caller, DomainError, DomainResult};
use quay_logs::{LogKind, NewLogEntry};
use regex::{Regex, RegexBuilder};
use serde_json::{json, Value};

use crate::tags::{LiveTag, TagStore};
use crate::{RepoStore, Repositories, Repository};

const NAMESPACE_POLICY_EXISTS: &str =
    "Policy for this namespace already exists, delete existing to create new policy";
const REPOSITORY_POLICY_EXISTS: &str =
    "Policy for this repository already exists, delete existing to create new policy";

/// The most memory a compiled tag pattern may take (user input; Rust's regexes run in
/// linear time, so size is the only thing to bound).
const PATTERN_SIZE_LIMIT: usize = 1 << 20;

/// What a policy prunes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PruneMethod {
    /// Keep this many of the newest tags.
    NumberOfTags(i64),
    /// Prune tags older than this: as given (`5d`) and in milliseconds.
    CreationDate { value: String, ms: i64 },
}

impl PruneMethod {
    pub fn name(&self) -> &'static str {
        match self {
            PruneMethod::NumberOfTags(_) => "number_of_tags",
            PruneMethod::CreationDate { .. } => "creation_date",
        }
    }

    /// The value as Quay shows it: a number of tags, or the duration string.
    pub fn value(&self) -> Value {
        match self {
            PruneMethod::NumberOfTags(n) => json!(n),
            PruneMethod::CreationDate { value, .. } => json!(value),
        }
    }

    /// The value as stored.
    pub fn stored_value(&self) -> String {
        match self {
            PruneMethod::NumberOfTags(n) => n.to_string(),
            PruneMethod::CreationDate { value, .. } => value.clone(),
        }
    }

    fn parse(method: &str, value: &Value) -> Option<Self> {
        match method {
            "number_of_tags" => value
                .as_i64()
                .filter(|n| *n > 0)
                .map(PruneMethod::NumberOfTags),
            "creation_date" => {
                let text = value.as_str()?;
                let ms = parse_duration(text).filter(|s| *s > 0)?.checked_mul(1000)?;
                Some(PruneMethod::CreationDate {
                    value: text.to_string(),
                    ms,
                })
            }
            _ => None,
        }
    }
}

/// A policy's rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyConfig {
    pub method: PruneMethod,
    pub tag_pattern: Option<String>,
    /// Whether candidates are the names matching `tag_pattern` (or those that do not).
    pub tag_pattern_matches: bool,
}

/// A policy body as the API received it (the schema has checked `method` is a string
/// and `value` an integer or a string).
#[derive(Debug, Clone, PartialEq)]
pub struct PolicyInput {
    pub method: Value,
    pub value: Value,
    pub tag_pattern: Option<Value>,
    pub tag_pattern_matches: Option<Value>,
}

fn compile(pattern: &str) -> Option<Regex> {
    RegexBuilder::new(pattern)
        .size_limit(PATTERN_SIZE_LIMIT)
        .build()
        .ok()
}

impl PolicyConfig {
    /// Quay's `assert_valid_*_autoprune_policy`, in its order and with its messages;
    /// a pattern must also compile (Quay stores any string and fails in the worker).
    pub fn parse(input: &PolicyInput) -> DomainResult<Self> {
        let method = match input.method.as_str() {
            Some(m @ ("number_of_tags" | "creation_date")) => m,
            _ => return Err(DomainError::invalid("Invalid method provided")),
        };
        let method = PruneMethod::parse(method, &input.value)
            .ok_or_else(|| DomainError::invalid("Invalid value given for method type"))?;
        let tag_pattern = match &input.tag_pattern {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => {
                // Quay strips the pattern before it checks it.
                let s = s.trim();
                if s.is_empty() {
                    return Err(DomainError::invalid("tag_pattern cannot be empty"));
                }
                if compile(s).is_none() {
                    return Err(DomainError::invalid(
                        "tag_pattern must be a valid regular expression",
                    ));
                }
                Some(s.to_string())
            }
            Some(_) => return Err(DomainError::invalid("tag_pattern must be string")),
        };
        let tag_pattern_matches = match &input.tag_pattern_matches {
            None | Some(Value::Null) => true,
            Some(Value::Bool(b)) => *b,
            Some(_) => return Err(DomainError::invalid("tag_pattern_matches must be bool")),
        };
        Ok(PolicyConfig {
            method,
            tag_pattern,
            tag_pattern_matches,
        })
    }

    /// A stored policy; `None` if the row is not one this version wrote.
    pub fn from_stored(
        method: &str,
        value: &str,
        tag_pattern: Option<String>,
        tag_pattern_matches: bool,
    ) -> Option<Self> {
        let value = match method {
            "number_of_tags" => json!(value.parse::<i64>().ok()?),
            _ => json!(value),
        };
        Some(PolicyConfig {
            method: PruneMethod::parse(method, &value)?,
            tag_pattern,
            tag_pattern_matches,
        })
    }

    /// Quay's log metadata of a created or updated policy.
    fn log_metadata(&self, namespace: &str) -> Value {
        json!({
            "method": self.method.name(),
            "value": self.method.value(),
            "tag_pattern": self.tag_pattern,
            "tag_pattern_matches": self.tag_pattern_matches,
            "namespace": namespace,
        })
    }
}

/// A stored policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    pub uuid: String,
    pub config: PolicyConfig,
}

/// Whose policy it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolicyOwner {
    Namespace(i64),
    Repository {
        namespace_id: i64,
        repository_id: i64,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPolicy {
    pub uuid: String,
    pub owner: PolicyOwner,
    pub config: PolicyConfig,
}

/// A repository some policy applies to, with every policy that does (its namespace's,
/// its own).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PruneTarget {
    pub repository_id: i64,
    pub namespace_id: i64,
    pub namespace: String,
    pub repository: String,
    pub policies: Vec<PolicyConfig>,
}

/// Storage of policies (implemented by `quay-persistence`).
#[async_trait]
pub trait AutoPruneStore: Send + Sync {
    /// The owner's own policies (a namespace's are not a repository's).
    async fn policies(&self, owner: PolicyOwner) -> DomainResult<Vec<Policy>>;

    /// Creates the policy and writes `log`, atomically; `Conflict` if the owner has one.
    async fn create_policy(&self, new: NewPolicy, log: NewLogEntry) -> DomainResult<()>;

    /// Replaces the rule of the owner's policy `uuid` and writes `log`; `false` if the
    /// owner has no such policy.
    async fn update_policy(
        &self,
        owner: PolicyOwner,
        uuid: &str,
        config: &PolicyConfig,
        log: NewLogEntry,
    ) -> DomainResult<bool>;

    /// Deletes the owner's policy `uuid` and writes `log`; `false` if there is none.
    async fn delete_policy(
        &self,
        owner: PolicyOwner,
        uuid: &str,
        log: NewLogEntry,
    ) -> DomainResult<bool>;

    /// Every repository in the normal state, of an enabled namespace, that a policy
    /// applies to, in id order.
    async fn prune_targets(&self) -> DomainResult<Vec<PruneTarget>>;
}

/// The policies an API call is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PolicyTarget {
    /// `/organization/{orgname}/autoprunepolicy/`: an organization, or the caller's own
    /// namespace by name.
    Organization(String),
    /// `/user/autoprunepolicy/`: the caller's own namespace.
    CurrentUser,
    Repository(RepositoryName),
}

/// The policy endpoints.
#[async_trait]
pub trait AutoPruneService: Send + Sync {
    async fn list_policies(
        &self,
        caller: &Caller,
        target: &PolicyTarget,
    ) -> DomainResult<Vec<Policy>>;

    async fn get_policy(
        &self,
        caller: &Caller,
        target: &PolicyTarget,
        uuid: &str,
    ) -> DomainResult<Policy>;

    /// The new policy's uuid.
    async fn create_policy(
        &self,
        caller: &Caller,
        target: &PolicyTarget,
        input: PolicyInput,
    ) -> DomainResult<String>;

    async fn update_policy(
        &self,
        caller: &Caller,
        target: &PolicyTarget,
        uuid: &str,
        input: PolicyInput,
    ) -> DomainResult<()>;

    async fn delete_policy(
        &self,
        caller: &Caller,
        target: &PolicyTarget,
        uuid: &str,
    ) -> DomainResult<()>;
}

/// A target the caller may act on.
struct Resolved {
    owner: PolicyOwner,
    namespace: String,
    repository: Option<Repository>,
}

/// [`AutoPruneService`] over the repository service (repository access), the
/// repository store (namespace standing) and an [`AutoPruneStore`].
pub struct AutoPrunePolicies {
    repos: Arc<Repositories>,
    namespaces: Arc<dyn RepoStore>,
    store: Arc<dyn AutoPruneStore>,
    authz: Authorizer,
}

impl AutoPrunePolicies {
    pub fn new(
        repos: Arc<Repositories>,
        namespaces: Arc<dyn RepoStore>,
        store: Arc<dyn AutoPruneStore>,
        config: &Config,
    ) -> Self {
        Self {
            repos,
            namespaces,
            store,
            authz: Authorizer::new(config),
        }
    }

    /// Quay's checks: organization admin (or the namespace's own user), the user
    /// themselves, repository admin; superusers with full access too, and global
    /// read-only superusers for reads. Permission before existence.
    async fn resolve(
        &self,
        caller: &Caller,
        target: &PolicyTarget,
        write: bool,
    ) -> DomainResult<Resolved> {
        let reads_all = |c: &Caller| {
            !write
                && c.principal
                    .as_ref()
                    .is_some_and(|p| p.global_readonly_superuser)
        };
        match target {
            PolicyTarget::Organization(name) => {
                let Some(p) = &caller.principal else {
                    return Err(DomainError::unauthorized(false));
                };
                let found = self
                    .namespaces
                    .namespace_grant_by_name(name, p.user_id)
                    .await?;
                let grant = found.map_or(NamespaceGrant::None, |(_, g)| g);
                if !self.authz.is_org_admin(caller, grant) && !reads_all(caller) {
                    return Err(DomainError::Forbidden);
                }
                let (ns, _) = found.ok_or(DomainError::NotFound)?;
                Ok(Resolved {
                    owner: PolicyOwner::Namespace(ns.id),
                    namespace: name.clone(),
                    repository: None,
                })
            }
            PolicyTarget::CurrentUser => {
                let p = self.authz.require_user_admin(caller)?;
                let (ns, _) = self
                    .namespaces
                    .namespace_grant_by_name(&p.username, p.user_id)
                    .await?
                    .ok_or(DomainError::NotFound)?;
                Ok(Resolved {
                    owner: PolicyOwner::Namespace(ns.id),
                    namespace: p.username.clone(),
                    repository: None,
                })
            }
            PolicyTarget::Repository(name) => {
                let repo = match self.repos.authorized(caller, name, Role::Admin).await {
                    Err(DomainError::Forbidden) if reads_all(caller) => {
                        self.repos.authorized(caller, name, Role::Read).await?.0
                    }
                    other => other?.0,
                };
                Ok(Resolved {
                    owner: PolicyOwner::Repository {
                        namespace_id: repo.namespace_id,
                        repository_id: repo.id,
                    },
                    namespace: repo.namespace.clone(),
                    repository: Some(repo),
                })
            }
        }
    }

    fn log(
        &self,
        caller: &Caller,
        r: &Resolved,
        kinds: (LogKind, LogKind),
        mut metadata: Value,
    ) -> NewLogEntry {
        let namespace_id = match r.owner {
            PolicyOwner::Namespace(id) => id,
            PolicyOwner::Repository { namespace_id, .. } => namespace_id,
        };
        match &r.repository {
            Some(repo) => {
                metadata["repo"] = json!(repo.name);
                NewLogEntry::new(kinds.1, caller, Some(namespace_id), metadata)
                    .with_repository(repo.id)
            }
            None => NewLogEntry::new(kinds.0, caller, Some(namespace_id), metadata),
        }
    }

    fn exists_message(r: &Resolved) -> &'static str {
        match r.owner {
            PolicyOwner::Namespace(_) => NAMESPACE_POLICY_EXISTS,
            PolicyOwner::Repository { .. } => REPOSITORY_POLICY_EXISTS,
        }
    }

    async fn find(&self, r: &Resolved, uuid: &str) -> DomainResult<Policy> {
        self.store
            .policies(r.owner)
            .await?
            .into_iter()
            .find(|p| p.uuid == uuid)
            .ok_or(DomainError::NotFound)
    }
}

#[async_trait]
impl AutoPruneService for AutoPrunePolicies {
    async fn list_policies(
        &self,
        caller: &Caller,
        target: &PolicyTarget,
    ) -> DomainResult<Vec<Policy>> {
        let r = self.resolve(caller, target, false).await?;
        self.store.policies(r.owner).await
    }

    async fn get_policy(
        &self,
        caller: &Caller,
        target: &PolicyTarget,
        uuid: &str,
    ) -> DomainResult<Policy> {
        let r = self.resolve(caller, target, false).await?;
        self.find(&r, uuid).await
    }

    async fn create_policy(
        &self,
        caller: &Caller,
        target: &PolicyTarget,
        input: PolicyInput,
    ) -> DomainResult<String> {
        let r = self.resolve(caller, target, true).await?;
        // Quay 3.11 refuses a second policy before it looks at the new one.
        if !self.store.policies(r.owner).await?.is_empty() {
            return Err(DomainError::invalid(Self::exists_message(&r)));
        }
        let config = PolicyConfig::parse(&input)?;
        let log = self.log(
            caller,
            &r,
            (
                LogKind::CreateNamespaceAutoprunePolicy,
                LogKind::CreateRepositoryAutoprunePolicy,
            ),
            config.log_metadata(&r.namespace),
        );
        let uuid = random_uuid();
        let new = NewPolicy {
            uuid: uuid.clone(),
            owner: r.owner,
            config,
        };
        match self.store.create_policy(new, log).await {
            // Lost a race with a concurrent create.
            Err(DomainError::Conflict(_)) => Err(DomainError::invalid(Self::exists_message(&r))),
            other => other.map(|()| uuid),
        }
    }

    async fn update_policy(
        &self,
        caller: &Caller,
        target: &PolicyTarget,
        uuid: &str,
        input: PolicyInput,
    ) -> DomainResult<()> {
        let r = self.resolve(caller, target, true).await?;
        self.find(&r, uuid).await?;
        let config = PolicyConfig::parse(&input)?;
        let log = self.log(
            caller,
            &r,
            (
                LogKind::UpdateNamespaceAutoprunePolicy,
                LogKind::UpdateRepositoryAutoprunePolicy,
            ),
            config.log_metadata(&r.namespace),
        );
        if self
            .store
            .update_policy(r.owner, uuid, &config, log)
            .await?
        {
            Ok(())
        } else {
            Err(DomainError::NotFound)
        }
    }

    async fn delete_policy(
        &self,
        caller: &Caller,
        target: &PolicyTarget,
        uuid: &str,
    ) -> DomainResult<()> {
        let r = self.resolve(caller, target, true).await?;
        let log = self.log(
            caller,
            &r,
            (
                LogKind::DeleteNamespaceAutoprunePolicy,
                LogKind::DeleteRepositoryAutoprunePolicy,
            ),
            json!({"policy_uuid": uuid, "namespace": r.namespace}),
        );
        if self.store.delete_policy(r.owner, uuid, log).await? {
            Ok(())
        } else {
            Err(DomainError::NotFound)
        }
    }
}

/// Which of `tags` (live, newest first) the policies prune, by index: `creation_date`
/// policies first, then `number_of_tags` ones over what is left, as Quay orders them so
/// that the outcome does not depend on the order policies were made in. A pattern that
/// does not compile (never stored by this version) selects nothing.
pub fn select_prunable(tags: &[LiveTag], policies: &[PolicyConfig], now_ms: i64) -> Vec<usize> {
    let compiled: Vec<(&PolicyConfig, Option<Option<Regex>>)> = policies
        .iter()
        .map(|p| (p, p.tag_pattern.as_deref().map(compile)))
        .collect();
    let candidate = |p: &PolicyConfig, re: &Option<Option<Regex>>, tag: &LiveTag| match re {
        None => true,
        Some(None) => false,
        Some(Some(re)) => re.is_match(&tag.name) == p.tag_pattern_matches,
    };
    let mut pruned = vec![false; tags.len()];
    for (p, re) in &compiled {
        if let PruneMethod::CreationDate { ms, .. } = p.method {
            for (i, tag) in tags.iter().enumerate() {
                if !pruned[i] && candidate(p, re, tag) && now_ms.saturating_sub(tag.start_ms) > ms {
                    pruned[i] = true;
                }
            }
        }
    }
    for (p, re) in &compiled {
        if let PruneMethod::NumberOfTags(keep) = p.method {
            let mut kept = 0;
            for (i, tag) in tags.iter().enumerate() {
                if pruned[i] || !candidate(p, re, tag) {
                    continue;
                }
                if kept < keep {
                    kept += 1;
                } else {
                    pruned[i] = true;
                }
            }
        }
    }
    (0..tags.len()).filter(|i| pruned[*i]).collect()
}

/// The most tags one transaction ends: its log entries are one statement, whose bind
/// parameters the databases limit (PostgreSQL: 65535).
const MAX_BATCH: u64 = 1000;

/// What one pass did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PruneReport {
    /// Repositories some policy applies to.
    pub repositories: usize,
    pub pruned: u64,
}

/// The auto-prune worker's pass (the timer that repeats it lives with the server).
pub struct AutoPruner {
    store: Arc<dyn AutoPruneStore>,
    tags: Arc<dyn TagStore>,
    batch: usize,
}

impl AutoPruner {
    pub fn new(store: Arc<dyn AutoPruneStore>, tags: Arc<dyn TagStore>, config: &Config) -> Self {
        Self {
            store,
            tags,
            batch: config.autoprune_fetch_tags_page_limit.clamp(1, MAX_BATCH) as usize,
        }
    }

    /// Applies every policy once: per repository one query for its live tags, then the
    /// prunable ones deleted in transactions of at most `AUTOPRUNE_FETCH_TAGS_PAGE_LIMIT`
    /// tags, each with Quay's `autoprune_tag_delete` entry.
    pub async fn run_once(&self) -> DomainResult<PruneReport> {
        let targets = self.store.prune_targets().await?;
        let mut report = PruneReport {
            repositories: targets.len(),
            pruned: 0,
        };
        for target in &targets {
            let now = Utc::now().timestamp_millis();
            let tags = self.tags.live_tags(target.repository_id, now).await?;
            let prunable = select_prunable(&tags, &target.policies, now);
            for chunk in prunable.chunks(self.batch) {
                let batch = chunk
                    .iter()
                    .map(|i| (tags[*i].id, Self::log(target, &tags[*i].name)))
                    .collect();
                report.pruned += self.tags.end_live_tags(batch, now).await?;
            }
        }
        Ok(report)
    }

    /// Quay's entry: no performing user, the worker named in the metadata.
    fn log(target: &PruneTarget, tag: &str) -> NewLogEntry {
        NewLogEntry::new(
            LogKind::AutopruneTagDelete,
            &Caller::anonymous(),
            Some(target.namespace_id),
            json!({
                "performer": "autoprune worker",
                "namespace": target.namespace,
                "repo": target.repository,
                "tag": tag,
            }),
        )
        .with_repository(target.repository_id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(method: Value, value: Value) -> PolicyInput {
        PolicyInput {
            method,
            value,
            tag_pattern: None,
            tag_pattern_matches: None,
        }
    }

    fn tags(names: &[(&str, i64)]) -> Vec<LiveTag> {
        names
            .iter()
            .enumerate()
            .map(|(i, (name, start_ms))| LiveTag {
                id: i as i64,
                name: name.to_string(),
                start_ms: *start_ms,
            })
            .collect()
    }

    fn config(method: PruneMethod, pattern: Option<&str>, matches: bool) -> PolicyConfig {
        PolicyConfig {
            method,
            tag_pattern: pattern.map(String::from),
            tag_pattern_matches: matches,
        }
    }

    #[test]
    fn bodies_are_checked_in_quays_order_with_its_messages() {
        let err = |i: PolicyInput| match PolicyConfig::parse(&i) {
            Err(DomainError::InvalidRequest(m)) => m,
            other => panic!("{other:?}"),
        };
        assert_eq!(
            err(input(json!("weekly"), json!(1))),
            "Invalid method provided"
        );
        for (method, value) in [
            ("number_of_tags", json!(0)),
            ("number_of_tags", json!(-3)),
            ("number_of_tags", json!("10")),
            ("creation_date", json!("5x")),
            ("creation_date", json!("d")),
            ("creation_date", json!("0d")),
            ("creation_date", json!(5)),
            ("creation_date", json!("")),
        ] {
            assert_eq!(
                err(input(json!(method), value.clone())),
                "Invalid value given for method type",
                "{method} {value}"
            );
        }
        let with = |pattern: Value, matches: Value| PolicyInput {
            tag_pattern: Some(pattern),
            tag_pattern_matches: Some(matches),
            ..input(json!("number_of_tags"), json!(3))
        };
        assert_eq!(
            err(with(json!(5), json!(true))),
            "tag_pattern must be string"
        );
        assert_eq!(
            err(with(json!("  "), json!(true))),
            "tag_pattern cannot be empty"
        );
        assert_eq!(
            err(with(json!("v[1"), json!(true))),
            "tag_pattern must be a valid regular expression"
        );
        assert_eq!(
            err(with(json!("^v"), json!("yes"))),
            "tag_pattern_matches must be bool"
        );
        let ok = PolicyConfig::parse(&with(json!(" ^v "), json!(false))).unwrap();
        assert_eq!(ok.tag_pattern.as_deref(), Some("^v"));
        assert!(!ok.tag_pattern_matches);
        let ok = PolicyConfig::parse(&input(json!("creation_date"), json!("2w"))).unwrap();
        assert_eq!(
            ok.method,
            PruneMethod::CreationDate {
                value: "2w".into(),
                ms: 14 * 86_400_000
            }
        );
        assert_eq!(
            PolicyConfig::from_stored("creation_date", "2w", None, true),
            Some(ok)
        );
    }

    #[test]
    fn number_of_tags_keeps_the_newest_candidates() {
        let t = tags(&[("v3", 30), ("latest", 25), ("v2", 20), ("v1", 10)]);
        let keep2 = config(PruneMethod::NumberOfTags(2), None, true);
        assert_eq!(select_prunable(&t, &[keep2], 100), [2, 3]);
        let only_v = config(PruneMethod::NumberOfTags(1), Some("^v"), true);
        assert_eq!(select_prunable(&t, &[only_v], 100), [2, 3]);
        let not_v = config(PruneMethod::NumberOfTags(1), Some("^v"), false);
        assert!(select_prunable(&t, &[not_v], 100).is_empty());
    }

    #[test]
    fn creation_date_goes_first_then_counts_what_is_left() {
        let t = tags(&[("a", 95), ("b", 90), ("c", 20), ("d", 10)]);
        let old = config(
            PruneMethod::CreationDate {
                value: "50s".into(),
                ms: 50,
            },
            None,
            true,
        );
        let keep1 = config(PruneMethod::NumberOfTags(1), None, true);
        assert_eq!(
            select_prunable(&t, &[keep1.clone(), old.clone()], 100),
            [1, 2, 3]
        );
        assert_eq!(select_prunable(&t, &[old], 100), [2, 3]);
        let broken = config(PruneMethod::NumberOfTags(1), Some("("), true);
        assert!(select_prunable(&t, &[broken], 100).is_empty());
    }
}
