//! The notification endpoints' service and the [`Notifier`] that queues an event's
//! deliveries.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::Utc;
use quay_auth::secret::random_uuid;
use quay_core::config::Config;
use quay_core::names::RepositoryName;
use quay_core::role::Role;
use quay_core::{Caller, DomainError, DomainResult};
use quay_logs::{LogKind, NewLogEntry};
use quay_repos::{Repositories, Repository};
use serde_json::{json, Value};

use crate::events::{notification_data, Event, Performer};
use crate::methods::Method;
use crate::worker::MAX_RETRIES;
use crate::{NewDelivery, NewRepoNotification, NotifyStore, RepoNotification, TargetKind};

/// A create body as the schema let it through (`event`, `method` strings; `config`,
/// `eventConfig` objects).
#[derive(Debug, Clone, PartialEq)]
pub struct NotificationInput {
    pub event: String,
    pub method: String,
    pub config: Value,
    pub event_config: Value,
    pub title: Option<String>,
}

/// The repository notification endpoints. Every call needs repository admin
/// (superusers with full access too; global read-only superusers may read).
#[async_trait]
pub trait RepoNotificationService: Send + Sync {
    async fn list(
        &self,
        caller: &Caller,
        repo: &RepositoryName,
    ) -> DomainResult<Vec<RepoNotification>>;

    async fn get(
        &self,
        caller: &Caller,
        repo: &RepositoryName,
        uuid: &str,
    ) -> DomainResult<RepoNotification>;

    async fn create(
        &self,
        caller: &Caller,
        repo: &RepositoryName,
        input: NotificationInput,
    ) -> DomainResult<RepoNotification>;

    async fn delete(&self, caller: &Caller, repo: &RepositoryName, uuid: &str) -> DomainResult<()>;

    async fn reset_failures(
        &self,
        caller: &Caller,
        repo: &RepositoryName,
        uuid: &str,
    ) -> DomainResult<()>;

    /// Queues a delivery of the event's sample data (Quay's `queue_test_notification`).
    async fn queue_test(
        &self,
        caller: &Caller,
        repo: &RepositoryName,
        uuid: &str,
    ) -> DomainResult<()>;
}

/// Queues deliveries of repository events.
pub struct Notifier {
    store: Arc<dyn NotifyStore>,
    config: Arc<Config>,
}

impl Notifier {
    pub fn new(store: Arc<dyn NotifyStore>, config: Arc<Config>) -> Self {
        Self { store, config }
    }

    /// Quay's `spawn_notification`: the event's data (the repository's, then `extra`)
    /// queued once for every notification of the repository on `event`; how many.
    pub async fn spawn(
        &self,
        repository_id: i64,
        namespace: &str,
        repository: &str,
        event: Event,
        extra: Value,
        performer: Option<&Performer>,
    ) -> DomainResult<usize> {
        let notifications = self
            .store
            .notifications(repository_id, Some(event.name()))
            .await?;
        if notifications.is_empty() {
            return Ok(0);
        }
        let data =
            crate::events::repository_event_data(&self.config, namespace, repository, extra, None);
        let deliveries: Vec<NewDelivery> = notifications
            .iter()
            .map(|n| NewDelivery {
                notification_id: n.id,
                body: notification_data(&n.uuid, data.clone(), performer),
            })
            .collect();
        let count = deliveries.len();
        self.store
            .enqueue(deliveries, Utc::now().timestamp_millis(), MAX_RETRIES)
            .await?;
        Ok(count)
    }

    /// `repo_push` after tags were pushed (`updated_tags`, as Quay's registry sends it).
    pub async fn repo_push(
        &self,
        repository_id: i64,
        namespace: &str,
        repository: &str,
        tags: &[String],
        performer: Option<&Performer>,
    ) -> DomainResult<usize> {
        self.spawn(
            repository_id,
            namespace,
            repository,
            Event::RepoPush,
            json!({ "updated_tags": tags }),
            performer,
        )
        .await
    }
}

/// [`RepoNotificationService`] over the repository service (access) and a
/// [`NotifyStore`].
pub struct RepoNotifications {
    repos: Arc<Repositories>,
    store: Arc<dyn NotifyStore>,
    config: Arc<Config>,
}

fn not_found_for(repo: &RepositoryName, uuid: &str) -> DomainError {
    DomainError::invalid(format!(
        "No repository notification found for: {}, {}, {uuid}",
        repo.namespace, repo.name
    ))
}

impl RepoNotifications {
    pub fn new(repos: Arc<Repositories>, store: Arc<dyn NotifyStore>, config: Arc<Config>) -> Self {
        Self {
            repos,
            store,
            config,
        }
    }

    /// The notification a change (delete, reset, test) is about, after the admin check;
    /// Quay's 400 when there is none.
    async fn existing(
        &self,
        caller: &Caller,
        repo: &RepositoryName,
        uuid: &str,
    ) -> DomainResult<(Repository, RepoNotification)> {
        let r = self.resolve(caller, repo, true).await?;
        let found = self
            .store
            .notification(r.id, uuid)
            .await?
            .ok_or_else(|| not_found_for(repo, uuid))?;
        Ok((r, found))
    }

    /// Repository admin; for reads, global read-only superusers too. Permission before
    /// existence.
    async fn resolve(
        &self,
        caller: &Caller,
        name: &RepositoryName,
        write: bool,
    ) -> DomainResult<Repository> {
        let reads_all = !write
            && caller
                .principal
                .as_ref()
                .is_some_and(|p| p.global_readonly_superuser);
        match self.repos.authorize(caller, name, Role::Admin).await {
            Err(DomainError::Forbidden) if reads_all => {
                self.repos.authorize(caller, name, Role::Read).await
            }
            other => other,
        }
    }

    fn log(
        &self,
        kind: LogKind,
        caller: &Caller,
        repo: &Repository,
        n: &RepoNotification,
    ) -> NewLogEntry {
        NewLogEntry::new(
            kind,
            caller,
            Some(repo.namespace_id),
            json!({
                "repo": repo.name,
                "namespace": repo.namespace,
                "notification_id": n.uuid,
                "event": n.event,
                "method": n.method,
            }),
        )
        .with_repository(repo.id)
    }

    /// Quay's `QuayNotificationMethod.validate`: the target must exist (a team of the
    /// repository's organization; the organization itself).
    async fn check_target(&self, repo: &Repository, config: &Value) -> DomainResult<()> {
        let spec = Method::target(config)?;
        let found = self
            .store
            .find_target(&repo.namespace, spec.kind, &spec.name)
            .await?;
        let unknown = match spec.kind {
            TargetKind::User => "Unknown user",
            TargetKind::Org => "Unknown organization",
            TargetKind::Team => "Unknown team",
        };
        if found.is_none() {
            return Err(DomainError::invalid(format!("{unknown} {}", spec.name)));
        }
        if spec.kind == TargetKind::Org && spec.name != repo.namespace {
            return Err(DomainError::invalid(
                "Organization name must match repository namespace",
            ));
        }
        Ok(())
    }
}

fn performer(caller: &Caller) -> Option<Performer> {
    caller.principal.as_ref().map(|p| Performer {
        id: p.user_id,
        name: p.username.clone(),
    })
}

#[async_trait]
impl RepoNotificationService for RepoNotifications {
    async fn list(
        &self,
        caller: &Caller,
        repo: &RepositoryName,
    ) -> DomainResult<Vec<RepoNotification>> {
        let r = self.resolve(caller, repo, false).await?;
        self.store.notifications(r.id, None).await
    }

    async fn get(
        &self,
        caller: &Caller,
        repo: &RepositoryName,
        uuid: &str,
    ) -> DomainResult<RepoNotification> {
        let r = self.resolve(caller, repo, false).await?;
        self.store
            .notification(r.id, uuid)
            .await?
            .ok_or(DomainError::NotFound)
    }

    async fn create(
        &self,
        caller: &Caller,
        repo: &RepositoryName,
        input: NotificationInput,
    ) -> DomainResult<RepoNotification> {
        let r = self.resolve(caller, repo, true).await?;
        // Quay's order: the method, its config, then the event.
        let method = Method::parse(&input.method).ok_or_else(|| {
            DomainError::invalid(format!("Unable to find method: {}", input.method))
        })?;
        method.validate(&input.config, &self.config)?;
        if method == Method::QuayNotification {
            self.check_target(&r, &input.config).await?;
        }
        let event = Event::parse(&input.event).ok_or_else(|| {
            DomainError::invalid(format!("Unable to find event: {}", input.event))
        })?;
        let new = NewRepoNotification {
            uuid: random_uuid(),
            repository_id: r.id,
            title: input.title,
            event: event.name().into(),
            method: method.name().into(),
            config: input.config,
            event_config: input.event_config,
        };
        let draft = RepoNotification {
            id: 0,
            uuid: new.uuid.clone(),
            repository_id: r.id,
            title: new.title.clone(),
            event: new.event.clone(),
            method: new.method.clone(),
            config: Value::Null,
            event_config: Value::Null,
            number_of_failures: 0,
        };
        let log = self.log(LogKind::AddRepoNotification, caller, &r, &draft);
        self.store.create_notification(new, log).await
    }

    async fn delete(&self, caller: &Caller, repo: &RepositoryName, uuid: &str) -> DomainResult<()> {
        let (r, found) = self.existing(caller, repo, uuid).await?;
        let log = self.log(LogKind::DeleteRepoNotification, caller, &r, &found);
        self.store
            .delete_notification(r.id, uuid, log)
            .await?
            .map(|_| ())
            .ok_or_else(|| not_found_for(repo, uuid))
    }

    async fn reset_failures(
        &self,
        caller: &Caller,
        repo: &RepositoryName,
        uuid: &str,
    ) -> DomainResult<()> {
        let (r, found) = self.existing(caller, repo, uuid).await?;
        let log = self.log(LogKind::ResetRepoNotification, caller, &r, &found);
        self.store
            .reset_failures(r.id, uuid, log)
            .await?
            .map(|_| ())
            .ok_or_else(|| not_found_for(repo, uuid))
    }

    async fn queue_test(
        &self,
        caller: &Caller,
        repo: &RepositoryName,
        uuid: &str,
    ) -> DomainResult<()> {
        let (r, n) = self.existing(caller, repo, uuid).await?;
        let event = Event::parse(&n.event)
            .ok_or_else(|| DomainError::Internal(format!("notification {uuid}: event")))?;
        let sample = event.sample_data(&self.config, &r.namespace, &r.name, &n.event_config);
        let body = notification_data(&n.uuid, sample, performer(caller).as_ref());
        self.store
            .enqueue(
                vec![NewDelivery {
                    notification_id: n.id,
                    body,
                }],
                Utc::now().timestamp_millis(),
                MAX_RETRIES,
            )
            .await
    }
}
