//! What authenticating a caller costs, in CPU time of the process per operation:
//! bearer tokens (cached lookup, and with the cache off so every call queries the
//! database), registry logins with a robot token and with an app-specific token, and a
//! password login (bcrypt). Prints Markdown table rows; `scripts/bench-auth.sh` puts
//! them into `docs/benchmarks.md`.
//!
//! Run: `cargo run --release -p quay-http --example auth_cost` (SQLite), or with
//! `QUAY_TEST_DATABASE_URL=postgres://...` for PostgreSQL.

use std::time::Instant;

use chrono::Utc;
use quay_core::config::Config;
use quay_core::Caller;
use quay_http::AppState;
use quay_orgs::robots::{CreateRobot, RobotOwner};
use quay_orgs::InitializeUser;
use quay_persistence::testing::{seed_token, TestDatabase};

/// CPU time all threads of this process have used, in nanoseconds (Linux): the
/// database driver's threads and bcrypt's blocking thread count too.
fn process_cpu_ns() -> u64 {
    let tasks = std::fs::read_dir("/proc/self/task").expect("/proc (Linux) is needed");
    tasks
        .filter_map(|t| std::fs::read_to_string(t.ok()?.path().join("schedstat")).ok())
        .filter_map(|s| s.split_whitespace().next()?.parse::<u64>().ok())
        .sum()
}

/// Runs `op` `n` times; returns (CPU µs per op, wall µs per op).
async fn measure<F, Fut>(n: u32, mut op: F) -> (f64, f64)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    op().await; // warm-up: caches, prepared statements, connections
    let (cpu, wall) = (process_cpu_ns(), Instant::now());
    for _ in 0..n {
        op().await;
    }
    let cpu = (process_cpu_ns() - cpu) as f64 / 1e3 / f64::from(n);
    let wall = wall.elapsed().as_secs_f64() * 1e6 / f64::from(n);
    (cpu, wall)
}

fn row(backend: &str, what: &str, n: u32, (cpu, wall): (f64, f64)) {
    println!("| {backend} | {what} | {n} | {cpu:.1} µs | {wall:.1} µs |");
}

async fn state(t: &TestDatabase, cache_ttl_ms: u64) -> AppState {
    let config = Config {
        cache_ttl_ms,
        ..Config::default()
    };
    AppState::new(config, t.db.clone(), b"bench-secret", None)
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let t = TestDatabase::new().await;
    let backend = if t.is_postgres() {
        "PostgreSQL"
    } else {
        "SQLite"
    };
    let cached = state(&t, 2000).await;
    let user = cached
        .users
        .initialize(InitializeUser {
            username: "bench".into(),
            password: "benchmark".into(),
            email: None,
            access_token: false,
        })
        .await
        .expect("first user");
    let token = seed_token(&t.db, user.user.id, "repo:read user:read", 3600).await;
    let robot = cached
        .robots
        .create_robot(
            &caller_with_admin(&cached, &t, user.user.id).await,
            RobotOwner::CurrentUser,
            "ci",
            CreateRobot::default(),
        )
        .await
        .expect("robot");
    let robot_token = robot.token.expect("token shown at creation");
    let app_token = cached
        .app_tokens
        .create(
            &caller_with_admin(&cached, &t, user.user.id).await,
            "bench".into(),
        )
        .await
        .expect("app token")
        .token_code;

    let a = &cached.authenticator;
    row(
        backend,
        "bearer token, cached lookup (default)",
        200_000,
        measure(200_000, || async {
            assert!(a
                .authenticate_bearer(&token, Utc::now())
                .await
                .unwrap()
                .is_some());
        })
        .await,
    );
    let uncached = state(&t, 0).await;
    let u = &uncached.authenticator;
    row(
        backend,
        "bearer token, cache off (a database query each time)",
        20_000,
        measure(20_000, || async {
            assert!(u
                .authenticate_bearer(&token, Utc::now())
                .await
                .unwrap()
                .is_some());
        })
        .await,
    );
    let anonymous = Caller::anonymous();
    let c = &uncached.credentials;
    row(
        backend,
        "registry login, robot token (`owner+name`)",
        20_000,
        measure(20_000, || async {
            let ok = c
                .validate(&anonymous, "bench+ci", &robot_token, false)
                .await;
            assert!(ok.unwrap().is_ok());
        })
        .await,
    );
    row(
        backend,
        "registry login, app-specific token (`$app`)",
        20_000,
        measure(20_000, || async {
            let ok = c.validate(&anonymous, "$app", &app_token, false).await;
            assert!(ok.unwrap().is_ok());
        })
        .await,
    );
    row(
        backend,
        "password login (bcrypt cost 12)",
        10,
        measure(10, || async {
            let ok = c.validate(&anonymous, "bench", "benchmark", false).await;
            assert!(ok.unwrap().is_ok());
        })
        .await,
    );
}

/// A caller with every scope for `user_id` (to create the robot and app token).
async fn caller_with_admin(state: &AppState, t: &TestDatabase, user_id: i64) -> Caller {
    let token = seed_token(
        &t.db,
        user_id,
        "repo:read repo:write repo:admin repo:create user:read user:admin org:admin",
        3600,
    )
    .await;
    Caller {
        principal: state
            .authenticator
            .authenticate_bearer(&token, Utc::now())
            .await
            .unwrap(),
        ip: None,
    }
}
