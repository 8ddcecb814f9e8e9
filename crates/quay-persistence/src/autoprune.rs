//! `AutoPruneStore`: auto-prune policies and the repositories they apply to.

use std::collections::BTreeMap;

use async_trait::async_trait;
use quay_core::role::RepositoryState;
use quay_core::DomainResult;
use quay_logs::NewLogEntry;
use quay_repos::autoprune::{
    AutoPruneStore, NewPolicy, Policy, PolicyConfig, PolicyOwner, PruneTarget,
};
use sea_orm::sea_query::Value;
use sea_orm::FromQueryResult;

use crate::logs::insert_log;
use crate::{execute, query_all, SqlStore};

#[derive(FromQueryResult)]
struct PolicyRow {
    uuid: String,
    namespace_id: i64,
    repository_id: Option<i64>,
    method: String,
    value: String,
    tag_pattern: Option<String>,
    tag_pattern_matches: bool,
}

impl PolicyRow {
    fn config(&self) -> Option<PolicyConfig> {
        PolicyConfig::from_stored(
            &self.method,
            &self.value,
            self.tag_pattern.clone(),
            self.tag_pattern_matches,
        )
    }
}

#[derive(FromQueryResult)]
struct RepoRow {
    id: i64,
    namespace_id: i64,
    namespace: String,
    name: String,
}

const POLICY_COLUMNS: &str =
    "uuid, namespace_id, repository_id, method, value, tag_pattern, tag_pattern_matches";

/// The owner's rows: `(condition, values)`.
fn owned_by(owner: PolicyOwner) -> (&'static str, Vec<Value>) {
    match owner {
        PolicyOwner::Namespace(id) => (
            "namespace_id = ? AND repository_id IS NULL",
            vec![id.into()],
        ),
        PolicyOwner::Repository { repository_id, .. } => {
            ("repository_id = ?", vec![repository_id.into()])
        }
    }
}

#[async_trait]
impl AutoPruneStore for SqlStore {
    async fn policies(&self, owner: PolicyOwner) -> DomainResult<Vec<Policy>> {
        let (condition, values) = owned_by(owner);
        let rows: Vec<PolicyRow> = query_all(
            &self.db,
            &self.db.conn,
            &format!("SELECT {POLICY_COLUMNS} FROM autoprune_policy WHERE {condition} ORDER BY id"),
            values,
        )
        .await?;
        Ok(rows
            .into_iter()
            .filter_map(|r| {
                Some(Policy {
                    config: r.config()?,
                    uuid: r.uuid,
                })
            })
            .collect())
    }

    async fn create_policy(&self, new: NewPolicy, log: NewLogEntry) -> DomainResult<()> {
        let (namespace_id, repository_id) = match new.owner {
            PolicyOwner::Namespace(id) => (id, None),
            PolicyOwner::Repository {
                namespace_id,
                repository_id,
            } => (namespace_id, Some(repository_id)),
        };
        let c = &new.config;
        let txn = self.db.begin_write().await?;
        execute(
            &self.db,
            &*txn,
            "INSERT INTO autoprune_policy (uuid, namespace_id, repository_id, method, value, \
             tag_pattern, tag_pattern_matches) VALUES (?, ?, ?, ?, ?, ?, ?)",
            vec![
                new.uuid.clone().into(),
                namespace_id.into(),
                repository_id.into(),
                c.method.name().into(),
                c.method.stored_value().into(),
                c.tag_pattern.clone().into(),
                c.tag_pattern_matches.into(),
            ],
        )
        .await?;
        insert_log(&*txn, log).await?;
        txn.commit().await
    }

    async fn update_policy(
        &self,
        owner: PolicyOwner,
        uuid: &str,
        config: &PolicyConfig,
        log: NewLogEntry,
    ) -> DomainResult<bool> {
        let (condition, owner_values) = owned_by(owner);
        let mut values: Vec<Value> = vec![
            config.method.name().into(),
            config.method.stored_value().into(),
            config.tag_pattern.clone().into(),
            config.tag_pattern_matches.into(),
            uuid.into(),
        ];
        values.extend(owner_values);
        let txn = self.db.begin_write().await?;
        let changed = execute(
            &self.db,
            &*txn,
            &format!(
                "UPDATE autoprune_policy SET method = ?, value = ?, tag_pattern = ?, \
                 tag_pattern_matches = ? WHERE uuid = ? AND {condition}"
            ),
            values,
        )
        .await?;
        if changed == 0 {
            return Ok(false);
        }
        insert_log(&*txn, log).await?;
        txn.commit().await?;
        Ok(true)
    }

    async fn delete_policy(
        &self,
        owner: PolicyOwner,
        uuid: &str,
        log: NewLogEntry,
    ) -> DomainResult<bool> {
        let (condition, owner_values) = owned_by(owner);
        let mut values: Vec<Value> = vec![uuid.into()];
        values.extend(owner_values);
        let txn = self.db.begin_write().await?;
        let changed = execute(
            &self.db,
            &*txn,
            &format!("DELETE FROM autoprune_policy WHERE uuid = ? AND {condition}"),
            values,
        )
        .await?;
        if changed == 0 {
            return Ok(false);
        }
        insert_log(&*txn, log).await?;
        txn.commit().await?;
        Ok(true)
    }

    async fn prune_targets(&self) -> DomainResult<Vec<PruneTarget>> {
        let policies: Vec<PolicyRow> = query_all(
            &self.db,
            &self.db.conn,
            &format!("SELECT {POLICY_COLUMNS} FROM autoprune_policy ORDER BY id"),
            vec![],
        )
        .await?;
        if policies.is_empty() {
            return Ok(Vec::new());
        }
        let repos: Vec<RepoRow> = query_all(
            &self.db,
            &self.db.conn,
            "SELECT r.id, r.namespace_id, n.username AS namespace, r.name FROM repository r \
             JOIN namespace n ON n.id = r.namespace_id \
             WHERE r.state = ? AND n.enabled AND (r.namespace_id IN \
             (SELECT namespace_id FROM autoprune_policy WHERE repository_id IS NULL) \
             OR r.id IN (SELECT repository_id FROM autoprune_policy \
             WHERE repository_id IS NOT NULL)) ORDER BY r.id",
            vec![RepositoryState::Normal.code().into()],
        )
        .await?;
        let mut by_namespace: BTreeMap<i64, Vec<PolicyConfig>> = BTreeMap::new();
        let mut by_repository: BTreeMap<i64, Vec<PolicyConfig>> = BTreeMap::new();
        for row in &policies {
            let Some(config) = row.config() else { continue };
            match row.repository_id {
                Some(id) => by_repository.entry(id).or_default().push(config),
                None => by_namespace
                    .entry(row.namespace_id)
                    .or_default()
                    .push(config),
            }
        }
        Ok(repos
            .into_iter()
            .map(|r| {
                let mut policies = by_namespace
                    .get(&r.namespace_id)
                    .cloned()
                    .unwrap_or_default();
                policies.extend(by_repository.get(&r.id).cloned().unwrap_or_default());
                PruneTarget {
                    repository_id: r.id,
                    namespace_id: r.namespace_id,
                    namespace: r.namespace,
                    repository: r.name,
                    policies,
                }
            })
            .collect())
    }
}
