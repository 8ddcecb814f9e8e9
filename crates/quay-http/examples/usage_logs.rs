//! Usage logs of a namespace with a million entries: latency of `GET /api/v1/user/logs`
//! (the first page, the next page through its `next_page` token, the performer filter)
//! and of the day's aggregates, through the whole application (routing, token check,
//! permission, queries, view) in process. Prints Markdown table rows;
//! `scripts/bench-logs.sh` puts them into `docs/benchmarks.md`.
//!
//! Run: `cargo run --release -p quay-http --example usage_logs` (SQLite), or with
//! `QUAY_TEST_DATABASE_URL=postgres://...` for PostgreSQL. `LOGS` sets the count.

use std::time::Instant;

use actix_web::test::{self, TestRequest};
use actix_web::web::Data;
use chrono::{Duration, Utc};
use quay_core::config::Config;
use quay_http::{app, AppState};
use quay_logs::{LogKind, NewLogEntry};
use quay_orgs::InitializeUser;
use quay_persistence::testing::{analyze, seed_token, TestDatabase};
use quay_persistence::SqlStore;
use serde_json::{json, Value};

const SAMPLES: usize = 200;
/// Aggregates read the whole window: fewer samples.
const AGGREGATE_SAMPLES: usize = 20;
/// Entries per import call (each a few transactions).
const LOAD_CHUNK: u64 = 50_000;

#[actix_web::main]
async fn main() {
    let count: u64 = std::env::var("LOGS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let t = TestDatabase::new().await;
    let backend = if t.is_postgres() {
        "PostgreSQL"
    } else {
        "SQLite"
    };
    let state = Data::new(AppState::new(
        Config::default(),
        t.db.clone(),
        b"bench-secret",
        None,
    ));
    let user = state
        .users
        .initialize(InitializeUser {
            username: "bench".into(),
            password: "benchmark".into(),
            email: None,
            access_token: false,
        })
        .await
        .expect("first user");
    let user_id = user.user.id;
    let token = seed_token(&t.db, user_id, "user:admin", 3600).await;

    // Spread over the last 20 hours (inside the default window), newest last; every
    // tenth by another performer id, so the performer filter has work to do.
    let store = SqlStore::new(t.db.clone());
    let loading = Instant::now();
    let now = Utc::now();
    let span_ms = 20 * 3600 * 1000;
    let mut n = 0;
    while n < count {
        let end = (n + LOAD_CHUNK).min(count);
        let entries = (n..end)
            .map(|i| {
                let at =
                    now - Duration::milliseconds(span_ms - (i as i64 * span_ms) / count as i64);
                let entry = NewLogEntry {
                    kind: if i % 3 == 0 {
                        LogKind::PushRepo
                    } else {
                        LogKind::PullRepo
                    },
                    account_id: Some(user_id),
                    performer_id: Some(if i % 10 == 0 { user_id + 1 } else { user_id }),
                    repository_id: None,
                    ip: Some("10.0.0.1".into()),
                    metadata: json!({"repo": "big", "namespace": "bench", "i": i}),
                };
                (entry, at)
            })
            .collect();
        store.import_logs(entries).await.expect("import");
        n = end;
    }
    analyze(&t.db).await;
    eprintln!(
        "{backend}: {count} log entries loaded in {:.1} s",
        loading.elapsed().as_secs_f64()
    );

    let service = test::init_service(app(state.clone())).await;
    let get = |uri: String| {
        TestRequest::get()
            .uri(&uri)
            .insert_header(("Authorization", format!("Bearer {token}")))
            .to_request()
    };
    let first = test::call_service(&service, get("/api/v1/user/logs".into())).await;
    let body: Value = test::read_body_json(first).await;
    let next = body["next_page"].as_str().unwrap_or_default().to_string();
    for (what, uri, samples_wanted) in [
        ("first page", "/api/v1/user/logs".to_string(), SAMPLES),
        (
            "second page (next_page)",
            format!("/api/v1/user/logs?next_page={next}"),
            SAMPLES,
        ),
        (
            "first page, performer filter",
            "/api/v1/user/logs?performer=bench".to_string(),
            SAMPLES,
        ),
        (
            "aggregates of the window",
            "/api/v1/user/aggregatelogs".to_string(),
            AGGREGATE_SAMPLES,
        ),
    ] {
        let mut samples = Vec::with_capacity(samples_wanted);
        for i in 0..=samples_wanted {
            let started = Instant::now();
            let res = test::call_service(&service, get(uri.clone())).await;
            let status = res.status();
            let body = test::read_body(res).await;
            let elapsed = started.elapsed();
            assert!(status.is_success(), "{status}: {body:?}");
            // The first request warms the caches and the statement cache.
            if i > 0 {
                samples.push(elapsed.as_secs_f64() * 1e3);
            }
        }
        samples.sort_by(f64::total_cmp);
        let p = |q: f64| samples[((samples.len() - 1) as f64 * q) as usize];
        println!(
            "| {backend} | {count} | {what} | {samples_wanted} | {:.2} ms | {:.2} ms |",
            p(0.5),
            p(0.95)
        );
    }
}
