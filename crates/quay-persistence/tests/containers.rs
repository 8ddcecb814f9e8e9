//! The store on a PostgreSQL started by testcontainers, where a Docker engine answers.
//! Machines without one (this project's CI among them) skip with the reason printed; the
//! store tests cover PostgreSQL there through `QUAY_TEST_DATABASE_URL`.

use quay_persistence::testing::TestDatabase;

/// Why no Docker engine can run a container here, if that is so.
fn docker_unavailable() -> Option<String> {
    if std::env::var("DOCKER_HOST").is_ok() {
        return None;
    }
    let socket = std::path::Path::new("/var/run/docker.sock");
    if !socket.exists() {
        return Some("no DOCKER_HOST and no /var/run/docker.sock".into());
    }
    match std::os::unix::net::UnixStream::connect(socket) {
        Ok(_) => None,
        Err(e) => Some(format!("/var/run/docker.sock does not answer: {e}")),
    }
}

#[tokio::test]
async fn store_runs_on_a_testcontainers_postgres() {
    if let Some(why) = docker_unavailable() {
        eprintln!("skipping testcontainers PostgreSQL test: {why}");
        return;
    }
    let t = match TestDatabase::container().await {
        Ok(t) => t,
        Err(e) => {
            eprintln!(
                "skipping testcontainers PostgreSQL test: the engine could not start postgres: {e}"
            );
            return;
        }
    };
    assert!(t.is_postgres());
    assert!(t.db.pending_migrations().await.unwrap().is_empty());
    t.db.ping().await.unwrap();
}
