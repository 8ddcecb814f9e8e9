//! Usage-log exports (Quay's `exportactionlogsworker`): a task per queued export writes
//! the entries as Quay's JSON document to storage (`exports/<id>-<key>`, served at
//! `/exportedlogs/<id>-<key>`), then POSTs Quay's callback payload to `callback_url`
//! and records the e-mail Quay would send to `callback_email` (no mail server here).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::web::Bytes;
use quay_core::date::format_rfc2822;
use quay_logs::{LogPosition, LogStore};
use quay_repos::usage_logs::ExportJob;
use quay_storage::BlobStore;
use serde_json::{json, Value};

/// Entries read per query while exporting.
const EXPORT_BATCH: u64 = 1000;
/// Attempts at the callback (Quay's queue item has three retries).
const CALLBACK_ATTEMPTS: u32 = 3;

/// An e-mail Quay's `send_logs_exported_email` would send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportEmail {
    pub to: String,
    pub export_id: String,
    pub status: String,
    pub exported_data_url: Option<String>,
}

/// Runs exports in the background of the server that queued them.
pub struct LogExporter {
    logs: Arc<dyn LogStore>,
    base_url: String,
    client: reqwest::Client,
    outbox: Mutex<Vec<ExportEmail>>,
}

impl LogExporter {
    pub fn new(logs: Arc<dyn LogStore>, base_url: String) -> Self {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(30))
            .build()
            .unwrap_or_default();
        Self {
            logs,
            base_url,
            client,
            outbox: Mutex::new(Vec::new()),
        }
    }

    /// The export e-mails recorded so far.
    pub fn sent_emails(&self) -> Vec<ExportEmail> {
        self.outbox.lock().map(|o| o.clone()).unwrap_or_default()
    }

    /// Starts the export of `job` into `storage`.
    pub fn spawn(self: &Arc<Self>, job: ExportJob, storage: BlobStore) {
        let exporter = self.clone();
        tokio::spawn(async move {
            let (status, url) = match exporter.export(&job, &storage).await {
                Ok(url) => ("success", Some(url)),
                Err(error) => {
                    tracing::error!(export_id = %job.export_id, %error, "log export failed");
                    ("failed", None)
                }
            };
            exporter.report(&job, status, url).await;
        });
    }

    async fn export(&self, job: &ExportJob, storage: &BlobStore) -> Result<String, String> {
        let mut logs: Vec<Value> = Vec::new();
        let mut before: Option<LogPosition> = None;
        loop {
            let batch = self
                .logs
                .lookup_logs(&job.filter, before, EXPORT_BATCH)
                .await
                .map_err(|e| e.to_string())?;
            before = batch.last().map(|r| LogPosition {
                datetime: r.entry.datetime,
                id: r.entry.id,
            });
            let done = (batch.len() as u64) < EXPORT_BATCH;
            logs.extend(
                batch
                    .iter()
                    .map(|r| crate::handlers::logs::log_view(r, false)),
            );
            if done {
                break;
            }
        }
        logs.push(json!({"terminator": true}));
        let document = json!({
            "export_id": job.export_id,
            "details": {
                "start_time": format_rfc2822(job.filter.start),
                "end_time": format_rfc2822(job.filter.end - chrono::Duration::milliseconds(1)),
                "namespace": job.namespace,
                "repository": job.repository,
            },
            "logs": logs,
        });
        // A key of its own, so the file's URL cannot be made from the export id alone.
        let name = format!("{}-{}", job.export_id, uuid::Uuid::new_v4());
        let bytes = serde_json::to_vec(&document).map_err(|e| e.to_string())?;
        storage
            .put_export(&name, Bytes::from(bytes))
            .await
            .map_err(|e| e.to_string())?;
        Ok(format!("{}/exportedlogs/{name}", self.base_url))
    }

    async fn report(&self, job: &ExportJob, status: &str, url: Option<String>) {
        if let Some(callback) = &job.callback_url {
            let payload = json!({
                "export_id": job.export_id,
                "start_time": job.start_time,
                "end_time": job.end_time,
                "namespace": job.namespace,
                "repository": job.repository,
                "exported_data_url": url,
                "status": status,
            });
            for attempt in 1..=CALLBACK_ATTEMPTS {
                let sent = self
                    .client
                    .post(callback)
                    .header("Content-Type", "application/json")
                    .body(payload.to_string())
                    .send()
                    .await;
                match sent {
                    Ok(res) if res.status().as_u16() == 200 => break,
                    Ok(res) => tracing::warn!(
                        export_id = %job.export_id, status = res.status().as_u16(), attempt,
                        "log export callback refused"
                    ),
                    Err(error) => tracing::warn!(
                        export_id = %job.export_id, %error, attempt, "log export callback failed"
                    ),
                }
                tokio::time::sleep(Duration::from_secs(u64::from(attempt))).await;
            }
        }
        if let Some(to) = &job.callback_email {
            tracing::info!(export_id = %job.export_id, "log export e-mail recorded");
            if let Ok(mut outbox) = self.outbox.lock() {
                outbox.push(ExportEmail {
                    to: to.clone(),
                    export_id: job.export_id.clone(),
                    status: status.to_string(),
                    exported_data_url: url,
                });
            }
        }
    }
}
