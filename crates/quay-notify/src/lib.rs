//! Repository notifications (Quay's `endpoints/api/repositorynotification.py`,
//! `notifications/`, `workers/notificationworker/`).
//!
//! A notification ties an [`events::Event`] of one repository to a [`methods::Method`]
//! with its config. [`RepoNotifications`] is the API's service (repository admins only,
//! permission before existence, every change with its audit entry). [`Notifier`] turns an
//! event into deliveries queued in the database, one per matching notification; the
//! [`DeliveryWorker`] claims them under a lease (so replicas share the queue), makes them
//! and counts failures as Quay does: a notification that failed
//! [`MAX_FAILURES`] times in a row is skipped until its count is reset over the API, and
//! a delivery is retried with a growing delay while it has retries left.

pub mod events;
pub mod methods;
mod service;
mod worker;

use async_trait::async_trait;
use quay_core::DomainResult;
use quay_logs::NewLogEntry;
use serde_json::Value;

pub use service::{NotificationInput, Notifier, RepoNotificationService, RepoNotifications};
pub use worker::{DeliveryReport, DeliveryWorker, MAX_FAILURES, MAX_RETRIES, POLL_PERIOD};

/// A stored repository notification.
#[derive(Debug, Clone, PartialEq)]
pub struct RepoNotification {
    pub id: i64,
    pub uuid: String,
    pub repository_id: i64,
    pub title: Option<String>,
    pub event: String,
    pub method: String,
    pub config: Value,
    pub event_config: Value,
    pub number_of_failures: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewRepoNotification {
    pub uuid: String,
    pub repository_id: i64,
    pub title: Option<String>,
    pub event: String,
    pub method: String,
    pub config: Value,
    pub event_config: Value,
}

/// A delivery to queue: the notification and Quay's notification data
/// (`notification_uuid`, `event_data`, `performer_data`).
#[derive(Debug, Clone, PartialEq)]
pub struct NewDelivery {
    pub notification_id: i64,
    pub body: Value,
}

/// A claimed delivery.
#[derive(Debug, Clone, PartialEq)]
pub struct Delivery {
    pub id: i64,
    pub notification_id: i64,
    pub body: Value,
    /// What is left after this attempt.
    pub retries_remaining: i64,
}

/// A delivery's notification and the repository it belongs to.
#[derive(Debug, Clone, PartialEq)]
pub struct DeliveryTarget {
    pub notification: RepoNotification,
    pub namespace: String,
    pub repository: String,
}

/// Who a `quay_notification` goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TargetKind {
    User,
    Org,
    Team,
}

/// Storage of notifications and of the delivery queue (implemented by
/// `quay-persistence`).
#[async_trait]
pub trait NotifyStore: Send + Sync {
    /// The repository's notifications (of `event` only, when given), oldest first.
    async fn notifications(
        &self,
        repository_id: i64,
        event: Option<&str>,
    ) -> DomainResult<Vec<RepoNotification>>;

    async fn notification(
        &self,
        repository_id: i64,
        uuid: &str,
    ) -> DomainResult<Option<RepoNotification>>;

    /// Stores the notification and writes `log`, atomically.
    async fn create_notification(
        &self,
        new: NewRepoNotification,
        log: NewLogEntry,
    ) -> DomainResult<RepoNotification>;

    /// Deletes the repository's notification `uuid` (and its queued deliveries) and
    /// writes `log`; `None` if there is none.
    async fn delete_notification(
        &self,
        repository_id: i64,
        uuid: &str,
        log: NewLogEntry,
    ) -> DomainResult<Option<RepoNotification>>;

    /// Sets the failure count of the repository's notification `uuid` to zero and
    /// writes `log`; `None` if there is none.
    async fn reset_failures(
        &self,
        repository_id: i64,
        uuid: &str,
        log: NewLogEntry,
    ) -> DomainResult<Option<RepoNotification>>;

    /// The outcome of a delivery: a success sets the failure count to zero, a failure
    /// adds one.
    async fn record_outcome(&self, notification_id: i64, success: bool) -> DomainResult<()>;

    /// Queues deliveries, available from `now_ms` with `retries` attempts.
    async fn enqueue(
        &self,
        deliveries: Vec<NewDelivery>,
        now_ms: i64,
        retries: i64,
    ) -> DomainResult<()>;

    /// Claims up to `limit` deliveries available at `now_ms` that no lease holds and
    /// that have retries left, leasing them until `lease_until_ms` and taking one retry
    /// each; oldest first. Concurrent claims never get the same delivery.
    async fn claim_deliveries(
        &self,
        now_ms: i64,
        lease_until_ms: i64,
        limit: u64,
    ) -> DomainResult<Vec<Delivery>>;

    /// Removes a finished delivery.
    async fn complete_delivery(&self, id: i64) -> DomainResult<()>;

    /// Makes a failed delivery available again at `available_after_ms` (removes it
    /// when it has no retries left).
    async fn retry_delivery(&self, id: i64, available_after_ms: i64) -> DomainResult<()>;

    /// A delivery's notification with its repository; `None` once deleted.
    async fn delivery_target(&self, notification_id: i64) -> DomainResult<Option<DeliveryTarget>>;

    /// The users a `quay_notification` target stands for: a user who is not a robot, an
    /// organization (itself: its administrators see its notifications), or a team of
    /// the organization `namespace` (its members). `None` when there is no such target.
    async fn find_target(
        &self,
        namespace: &str,
        kind: TargetKind,
        name: &str,
    ) -> DomainResult<Option<Vec<i64>>>;

    /// One user notification of `kind` with `metadata` per target.
    async fn create_user_notifications(
        &self,
        kind: &str,
        targets: Vec<i64>,
        metadata: Value,
    ) -> DomainResult<()>;
}
