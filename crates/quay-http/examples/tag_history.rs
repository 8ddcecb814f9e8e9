//! The tags API on a repository with a million tags: latency of
//! `GET /api/v1/repository/{repository}/tag/?limit=100` (the first page, the first page
//! of active tags only, a page deep into the history, and one tag by name), through the
//! whole application (routing, token check, permission, query, view) in process.
//! Prints Markdown table rows; `scripts/bench-tags.sh` puts them into
//! `docs/benchmarks.md`.
//!
//! Run: `cargo run --release -p quay-http --example tag_history` (SQLite), or with
//! `QUAY_TEST_DATABASE_URL=postgres://...` for PostgreSQL. `TAGS` sets the count.

use std::time::Instant;

use actix_web::test::{self, TestRequest};
use actix_web::web::Data;
use quay_core::config::Config;
use quay_core::role::{RepositoryKind, Visibility};
use quay_http::{app, AppState};
use quay_orgs::InitializeUser;
use quay_persistence::testing::{bulk_load_tags, seed_token, TestDatabase};
use quay_repos::CreateRepository;

const SAMPLES: usize = 200;

#[actix_web::main]
async fn main() {
    let count: u64 = std::env::var("TAGS")
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
    let token = seed_token(&t.db, user.user.id, "repo:read repo:create", 3600).await;
    let caller = quay_core::Caller::user(
        state
            .authenticator
            .authenticate_bearer(&token, chrono::Utc::now())
            .await
            .expect("token lookup")
            .expect("token"),
    );
    let repo = state
        .repos
        .create_repository(
            &caller,
            CreateRepository {
                namespace: None,
                name: "big".into(),
                visibility: Visibility::Private,
                description: String::new(),
                kind: RepositoryKind::Image,
            },
        )
        .await
        .expect("repository");
    let loading = Instant::now();
    bulk_load_tags(&t.db, repo.id, count).await;
    eprintln!(
        "{backend}: {count} tags loaded in {:.1} s",
        loading.elapsed().as_secs_f64()
    );

    let service = test::init_service(app(state.clone())).await;
    let deep = count / 100 / 2;
    for (what, query) in [
        ("first page, limit=100", "?limit=100".to_string()),
        (
            "first page of active tags",
            "?limit=100&onlyActiveTags=true".to_string(),
        ),
        (
            "a page in the middle",
            format!("?limit=100&page={}", deep.max(1)),
        ),
        ("one tag by name", "?specificTag=tag-12345".to_string()),
    ] {
        let uri = format!("/api/v1/repository/bench/big/tag/{query}");
        let mut samples = Vec::with_capacity(SAMPLES);
        for i in 0..=SAMPLES {
            let req = TestRequest::get()
                .uri(&uri)
                .insert_header(("Authorization", format!("Bearer {token}")))
                .to_request();
            let started = Instant::now();
            let res = test::call_service(&service, req).await;
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
            "| {backend} | {count} | {what} | {SAMPLES} | {:.2} ms | {:.2} ms |",
            p(0.5),
            p(0.95)
        );
    }
}
