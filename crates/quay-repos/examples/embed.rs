//! Embedding the repository service in another Rust program: no HTTP, SQLite store.
//!
//! Creates the first user (getting a token), authenticates it into a principal, creates
//! two repositories and lists them. Run with `cargo run -p quay-repos --example embed`.

use std::sync::Arc;

use quay_auth::Authenticator;
use quay_core::config::Config;
use quay_core::role::{RepositoryKind, Visibility};
use quay_core::Caller;
use quay_orgs::{InitializeUser, UserService, Users};
use quay_persistence::{Database, SqlStore};
use quay_repos::{CreateRepository, ListRepositories, RepoService, Repositories};

/// Runs the example against the SQLite database at `path`; returns the listed names.
pub async fn run(path: &std::path::Path) -> Result<Vec<String>, Box<dyn std::error::Error>> {
    let db = Database::connect(&format!("sqlite://{}?mode=rwc", path.display())).await?;
    db.migrate().await?;
    let config = Arc::new(Config::default());
    let store = Arc::new(SqlStore::new(db));

    let users = Users::new(store.clone(), config.clone());
    let admin = users
        .initialize(InitializeUser {
            username: "embedder".into(),
            password: "correct horse".replace(' ', "-"),
            email: None,
            access_token: true,
        })
        .await?;
    let token = admin.access_token.expect("asked for a token");
    let principal = Authenticator::new(store.clone(), store.clone(), config.clone())
        .authenticate_bearer(&token, chrono::Utc::now())
        .await?
        .expect("a fresh token authenticates");
    let caller = Caller::user(principal);

    let repos = Repositories::new(store, config);
    for (name, visibility) in [("api", Visibility::Public), ("worker", Visibility::Private)] {
        repos
            .create_repository(
                &caller,
                CreateRepository {
                    namespace: None,
                    name: name.into(),
                    visibility,
                    description: format!("the {name}"),
                    kind: RepositoryKind::Image,
                },
            )
            .await?;
    }
    let page = repos
        .list_repositories(
            &caller,
            ListRepositories {
                namespace: Some("embedder".into()),
                public: false,
                starred: false,
                kind: RepositoryKind::Image,
                after_id: None,
            },
        )
        .await?;
    Ok(page.items.into_iter().map(|i| i.repository.name).collect())
}

#[allow(dead_code)]
#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    for name in run(&dir.path().join("embed.db")).await? {
        println!("{name}");
    }
    Ok(())
}
