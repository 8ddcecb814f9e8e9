//! The delivery worker (Quay's `NotificationWorker` over the `notification` queue).
//!
//! A pass claims available deliveries in batches under a lease (another replica's pass
//! skips them; a crashed one's lease runs out and they come back), makes each batch's
//! deliveries concurrently and settles each: done, or retried later. As in Quay, a
//! delivery of a notification that has failed [`MAX_FAILURES`] times is dropped unsent,
//! a success sets the count back to zero, an event the notification's `event_config`
//! filters out is dropped, and a delivery has [`MAX_RETRIES`] attempts; the delay
//! before the next one doubles from [`RETRY_AFTER_SECS`] (Quay waits 30 s every time).

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use quay_core::config::Config;
use quay_core::DomainResult;
use serde_json::Value;

use crate::events::Event;
use crate::methods::{Deliverer, DeliveryContext, Method};
use crate::{Delivery, NotifyStore};

/// Failures after which a notification is skipped (Quay's `get_enabled_notification`:
/// fewer than 3).
pub const MAX_FAILURES: i64 = 3;
/// Attempts of one delivery (Quay's queue default).
pub const MAX_RETRIES: i64 = 5;
/// The delay before the first retry; it doubles with every further one.
pub const RETRY_AFTER_SECS: i64 = 30;
/// How often `quayd serve` looks at the queue (Quay's worker polls every 10 s).
pub const POLL_PERIOD: Duration = Duration::from_secs(10);
/// Deliveries claimed (and made concurrently) at a time.
const BATCH: u64 = 10;
/// Batches per pass, so that one pass ends even while events keep coming.
const MAX_BATCHES: usize = 100;

/// What one pass did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DeliveryReport {
    pub delivered: usize,
    pub failed: usize,
    /// Dropped unsent: notification gone or disabled, event filtered out.
    pub skipped: usize,
}

enum Outcome {
    Delivered,
    Failed,
    Skipped,
}

pub struct DeliveryWorker {
    store: Arc<dyn NotifyStore>,
    deliverer: Deliverer,
    lease_ms: i64,
}

impl DeliveryWorker {
    pub fn new(store: Arc<dyn NotifyStore>, config: Arc<Config>) -> Self {
        // Long enough for a batch whose every delivery runs into the send timeout.
        let lease_ms = i64::try_from(config.notification_send_timeout.max(1))
            .unwrap_or(i64::MAX / 4_000)
            .saturating_mul(2_000)
            .saturating_add(30_000);
        Self {
            deliverer: Deliverer::new(store.clone(), config),
            store,
            lease_ms,
        }
    }

    /// One pass over what is available now.
    pub async fn run_once(&self) -> DomainResult<DeliveryReport> {
        self.run_at(Utc::now().timestamp_millis()).await
    }

    /// One pass over what is available at `now_ms` (tests move time forward to reach
    /// retries).
    pub async fn run_at(&self, now_ms: i64) -> DomainResult<DeliveryReport> {
        let mut report = DeliveryReport::default();
        for _ in 0..MAX_BATCHES {
            let batch = self
                .store
                .claim_deliveries(now_ms, now_ms.saturating_add(self.lease_ms), BATCH)
                .await?;
            if batch.is_empty() {
                break;
            }
            let outcomes =
                futures_util::future::join_all(batch.iter().map(|d| self.process(d, now_ms))).await;
            for outcome in outcomes {
                match outcome? {
                    Outcome::Delivered => report.delivered += 1,
                    Outcome::Failed => report.failed += 1,
                    Outcome::Skipped => report.skipped += 1,
                }
            }
        }
        Ok(report)
    }

    /// Repeats [`DeliveryWorker::run_once`] every `every`, for good.
    pub async fn run_every(self: Arc<Self>, every: Duration) {
        loop {
            tokio::time::sleep(every).await;
            match self.run_once().await {
                Ok(r) if r.delivered + r.failed + r.skipped > 0 => tracing::info!(
                    delivered = r.delivered,
                    failed = r.failed,
                    skipped = r.skipped,
                    "notification deliveries"
                ),
                Ok(_) => {}
                Err(e) => tracing::error!(error = %e, "notification delivery pass failed"),
            }
        }
    }

    async fn process(&self, d: &Delivery, now_ms: i64) -> DomainResult<Outcome> {
        let Some(target) = self.store.delivery_target(d.notification_id).await? else {
            self.store.complete_delivery(d.id).await?;
            return Ok(Outcome::Skipped);
        };
        let n = &target.notification;
        let (Some(event), Some(method)) = (Event::parse(&n.event), Method::parse(&n.method)) else {
            tracing::warn!(notification = %n.uuid, "unknown event or method: not delivered");
            self.store.complete_delivery(d.id).await?;
            return Ok(Outcome::Skipped);
        };
        let event_data = d.body.get("event_data").cloned().unwrap_or(Value::Null);
        if n.number_of_failures >= MAX_FAILURES
            || !event.should_perform(&event_data, &n.event_config)
        {
            self.store.complete_delivery(d.id).await?;
            return Ok(Outcome::Skipped);
        }
        let ctx = DeliveryContext {
            namespace: &target.namespace,
            method,
            config: &n.config,
            event,
            event_data: &event_data,
        };
        match self.deliverer.deliver(&ctx).await {
            Ok(()) => {
                self.store.record_outcome(n.id, true).await?;
                self.store.complete_delivery(d.id).await?;
                Ok(Outcome::Delivered)
            }
            Err(reason) => {
                tracing::warn!(notification = %n.uuid, method = method.name(), %reason,
                    "notification delivery failed");
                self.store.record_outcome(n.id, false).await?;
                let attempt = (MAX_RETRIES - d.retries_remaining).clamp(1, 16);
                let delay_ms = RETRY_AFTER_SECS * 1000 * (1i64 << (attempt - 1));
                self.store
                    .retry_delivery(d.id, now_ms.saturating_add(delay_ms))
                    .await?;
                Ok(Outcome::Failed)
            }
        }
    }
}
