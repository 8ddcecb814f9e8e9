//! A fresh, migrated database for every test.
//!
//! - `QUAY_TEST_CONTAINERS=1` and a Docker engine that answers: a PostgreSQL container
//!   (testcontainers), one per test;
//! - else `QUAY_TEST_DATABASE_URL=postgres://...`: a new database on that server, named
//!   `quay_test_<random>`, dropped when the test ends;
//! - else a SQLite file in a temporary directory.

use std::path::PathBuf;

use sea_orm::{ConnectionTrait, Statement};
use testcontainers_modules::postgres::Postgres;
use testcontainers_modules::testcontainers::runners::AsyncRunner;
use testcontainers_modules::testcontainers::ContainerAsync;

use crate::Database;

pub const DATABASE_URL_VAR: &str = "QUAY_TEST_DATABASE_URL";
pub const CONTAINERS_VAR: &str = "QUAY_TEST_CONTAINERS";

pub struct TestDatabase {
    pub db: Database,
    url: String,
    cleanup: Cleanup,
}

enum Cleanup {
    Sqlite(#[allow(dead_code)] tempfile::TempDir),
    Postgres { admin_url: String, name: String },
    Container(#[allow(dead_code)] Box<ContainerAsync<Postgres>>),
}

impl TestDatabase {
    /// A migrated database for one test, chosen by the environment (see the module doc).
    pub async fn new() -> TestDatabase {
        if std::env::var(CONTAINERS_VAR).as_deref() == Ok("1") {
            match Self::container().await {
                Ok(db) => return db,
                Err(why) => eprintln!("testcontainers PostgreSQL unavailable ({why}); using the next option"),
            }
        }
        match std::env::var(DATABASE_URL_VAR) {
            Ok(url) if !url.is_empty() => Self::postgres(&url).await,
            _ => Self::sqlite().await,
        }
    }

    /// A SQLite database regardless of the environment.
    pub async fn sqlite() -> TestDatabase {
        let dir = tempfile::tempdir().expect("temp dir");
        let path: PathBuf = dir.path().join("quay.db");
        let url = format!("sqlite://{}?mode=rwc", path.display());
        let db = Database::connect(&url).await.expect("connect sqlite");
        db.migrate().await.expect("migrate sqlite");
        TestDatabase { db, url, cleanup: Cleanup::Sqlite(dir) }
    }

    /// A new database on the PostgreSQL server behind `admin_url`.
    pub async fn postgres(admin_url: &str) -> TestDatabase {
        let name = format!("quay_test_{}", uuid::Uuid::new_v4().simple());
        let admin = Database::connect(admin_url).await.expect("connect to QUAY_TEST_DATABASE_URL");
        admin
            .connection()
            .execute(Statement::from_string(admin.backend(), format!("CREATE DATABASE \"{name}\"")))
            .await
            .expect("create test database");
        admin.connection().clone().close().await.ok();
        let url = with_database_name(admin_url, &name);
        let db = Database::connect(&url).await.expect("connect test database");
        db.migrate().await.expect("migrate postgres");
        TestDatabase {
            db,
            url,
            cleanup: Cleanup::Postgres { admin_url: admin_url.to_string(), name },
        }
    }

    /// A PostgreSQL container; fails when no Docker engine can run it.
    pub async fn container() -> Result<TestDatabase, String> {
        let node = Postgres::default().start().await.map_err(|e| e.to_string())?;
        let port = node.get_host_port_ipv4(5432).await.map_err(|e| e.to_string())?;
        let url = format!("postgres://postgres:postgres@127.0.0.1:{port}/postgres");
        let db = Database::connect(&url).await.map_err(|e| e.to_string())?;
        db.migrate().await.map_err(|e| e.to_string())?;
        Ok(TestDatabase { db, url, cleanup: Cleanup::Container(Box::new(node)) })
    }

    /// The URL of this test's database, for starting a server on it.
    pub fn url(&self) -> &str {
        &self.url
    }

    pub fn is_postgres(&self) -> bool {
        !matches!(self.cleanup, Cleanup::Sqlite(_))
    }
}

/// `scheme://user@host:port/db?params` with `db` replaced.
fn with_database_name(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let prefix = match base.rfind('/') {
        Some(i) if i > base.find("//").map_or(0, |j| j + 1) => &base[..i],
        _ => base,
    };
    match query {
        Some(q) => format!("{prefix}/{name}?{q}"),
        None => format!("{prefix}/{name}"),
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if let Cleanup::Postgres { admin_url, name } = &self.cleanup {
            let (admin_url, name) = (admin_url.clone(), name.clone());
            // Drop runs outside any runtime guarantee: use a thread with its own.
            let dropped = std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().ok()?;
                rt.block_on(async {
                    let admin = Database::connect(&admin_url).await.ok()?;
                    let sql = format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)");
                    admin
                        .connection()
                        .execute(Statement::from_string(admin.backend(), sql))
                        .await
                        .ok()
                })
            })
            .join();
            if !matches!(dropped, Ok(Some(_))) {
                eprintln!("could not drop test database {}", match &self.cleanup {
                    Cleanup::Postgres { name, .. } => name.as_str(),
                    _ => "",
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::with_database_name;

    #[test]
    fn database_names_are_replaced() {
        assert_eq!(
            with_database_name("postgres://postgres@127.0.0.1:5432/test", "x"),
            "postgres://postgres@127.0.0.1:5432/x"
        );
        assert_eq!(
            with_database_name("postgres://u@h/test?sslmode=disable", "x"),
            "postgres://u@h/x?sslmode=disable"
        );
        assert_eq!(with_database_name("postgres://u@h", "x"), "postgres://u@h/x");
    }
}
