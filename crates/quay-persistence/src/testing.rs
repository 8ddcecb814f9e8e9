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
                Err(why) => eprintln!(
                    "testcontainers PostgreSQL unavailable ({why}); using the next option"
                ),
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
        TestDatabase {
            db,
            url,
            cleanup: Cleanup::Sqlite(dir),
        }
    }

    /// A new database on the PostgreSQL server behind `admin_url`.
    pub async fn postgres(admin_url: &str) -> TestDatabase {
        let name = format!("quay_test_{}", uuid::Uuid::new_v4().simple());
        let admin = Database::connect(admin_url)
            .await
            .expect("connect to QUAY_TEST_DATABASE_URL");
        admin
            .connection()
            .execute(Statement::from_string(
                admin.backend(),
                format!("CREATE DATABASE \"{name}\""),
            ))
            .await
            .expect("create test database");
        admin.connection().clone().close().await.ok();
        let url = with_database_name(admin_url, &name);
        let db = Database::connect(&url)
            .await
            .expect("connect test database");
        db.migrate().await.expect("migrate postgres");
        TestDatabase {
            db,
            url,
            cleanup: Cleanup::Postgres {
                admin_url: admin_url.to_string(),
                name,
            },
        }
    }

    /// A PostgreSQL container; fails when no Docker engine can run it.
    pub async fn container() -> Result<TestDatabase, String> {
        let node = Postgres::default()
            .start()
            .await
            .map_err(|e| e.to_string())?;
        let port = node
            .get_host_port_ipv4(5432)
            .await
            .map_err(|e| e.to_string())?;
        let url = format!("postgres://postgres:postgres@127.0.0.1:{port}/postgres");
        let db = Database::connect(&url).await.map_err(|e| e.to_string())?;
        db.migrate().await.map_err(|e| e.to_string())?;
        Ok(TestDatabase {
            db,
            url,
            cleanup: Cleanup::Container(Box::new(node)),
        })
    }

    /// The URL of this test's database, for starting a server on it.
    pub fn url(&self) -> &str {
        &self.url
    }

    pub fn is_postgres(&self) -> bool {
        !matches!(self.cleanup, Cleanup::Sqlite(_))
    }
}

/// Inserts a verified user `name` (e-mail `<name>@example.com`); returns its id.
pub async fn seed_user(db: &Database, name: &str) -> i64 {
    seed_namespace(db, name, false).await
}

/// Inserts a user or organization row directly (no owners team); returns its id.
pub async fn seed_namespace(db: &Database, name: &str, organization: bool) -> i64 {
    use crate::entity::namespace;
    use sea_orm::{ActiveModelTrait, NotSet, Set};
    namespace::ActiveModel {
        id: NotSet,
        uuid: Set(uuid::Uuid::new_v4().to_string()),
        username: Set(name.into()),
        password_hash: Set(None),
        email: Set(Some(format!("{name}@example.com"))),
        verified: Set(true),
        organization: Set(organization),
        robot: Set(false),
        enabled: Set(true),
        invoice_email: Set(false),
        invoice_email_address: Set(None),
        removed_tag_expiration_s: Set(1_209_600),
        given_name: Set(None),
        family_name: Set(None),
        company: Set(None),
        location: Set(None),
        stripe_id: Set(None),
        invalid_login_attempts: Set(0),
        last_invalid_login: Set(None),
        creation_date: Set(chrono::Utc::now()),
        last_accessed: Set(None),
    }
    .insert(db.connection())
    .await
    .expect("seed namespace")
    .id
}

/// Mints an OAuth token with `scopes` (space separated) for `user_id`, valid for an
/// hour (or already expired when `ttl_secs` is negative); returns the token.
pub async fn seed_token(db: &Database, user_id: i64, scopes: &str, ttl_secs: i64) -> String {
    use crate::entity::{oauth_access_token, oauth_application};
    use sea_orm::{ActiveModelTrait, NotSet, Set};
    let scopes = quay_core::scope::ScopeSet::parse(scopes).expect("valid scopes");
    let minted = quay_auth::oauth::mint(scopes, chrono::Utc::now(), ttl_secs);
    let app = oauth_application::ActiveModel {
        id: NotSet,
        client_id: Set(uuid::Uuid::new_v4().simple().to_string()),
        secure_client_secret: Set(None),
        organization_id: Set(user_id),
        name: Set("test".into()),
        description: Set(String::new()),
        redirect_uri: Set(String::new()),
        application_uri: Set(String::new()),
        avatar_email: Set(None),
    }
    .insert(db.connection())
    .await
    .expect("seed application");
    oauth_access_token::ActiveModel {
        id: NotSet,
        uuid: Set(uuid::Uuid::new_v4().to_string()),
        application_id: Set(app.id),
        authorized_user_id: Set(user_id),
        scope: Set(minted.scopes.to_string()),
        token_name: Set(minted.token_name),
        token_code_digest: Set(minted.code_digest),
        token_type: Set("Bearer".into()),
        expires_at: Set(minted.expires_at),
        data: Set(None),
    }
    .insert(db.connection())
    .await
    .expect("seed token");
    minted.token
}

/// Puts `user_id` (a user or robot) in the organization's team `team`, creating the team
/// with `role` if it does not exist; returns the team id.
pub async fn seed_team_member(
    db: &Database,
    org_id: i64,
    team: &str,
    role: quay_core::role::TeamRole,
    user_id: i64,
) -> i64 {
    use crate::entity::{team as t, team_member};
    use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, NotSet, QueryFilter, Set};
    let existing = t::Entity::find()
        .filter(t::Column::OrganizationId.eq(org_id))
        .filter(t::Column::Name.eq(team))
        .one(db.connection())
        .await
        .expect("find team");
    let team_id = match existing {
        Some(row) => row.id,
        None => {
            t::ActiveModel {
                id: NotSet,
                organization_id: Set(org_id),
                name: Set(team.into()),
                role: Set(role.code()),
                description: Set(String::new()),
            }
            .insert(db.connection())
            .await
            .expect("seed team")
            .id
        }
    };
    team_member::ActiveModel {
        id: NotSet,
        user_id: Set(user_id),
        team_id: Set(team_id),
    }
    .insert(db.connection())
    .await
    .expect("seed team member");
    team_id
}

/// Grants `user_id` (a user or robot) `role` on the repository `namespace/name`.
pub async fn seed_repo_permission(
    db: &Database,
    namespace: &str,
    name: &str,
    user_id: i64,
    role: quay_core::role::Role,
) {
    use crate::entity::{namespace as ns, repository, repository_permission};
    use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, NotSet, QueryFilter, Set};
    let owner = ns::Entity::find()
        .filter(ns::Column::Username.eq(namespace))
        .one(db.connection())
        .await
        .expect("find namespace")
        .expect("namespace exists");
    let repo = repository::Entity::find()
        .filter(repository::Column::NamespaceId.eq(owner.id))
        .filter(repository::Column::Name.eq(name))
        .one(db.connection())
        .await
        .expect("find repository")
        .expect("repository exists");
    repository_permission::ActiveModel {
        id: NotSet,
        repository_id: Set(repo.id),
        user_id: Set(Some(user_id)),
        team_id: Set(None),
        role: Set(role.code()),
    }
    .insert(db.connection())
    .await
    .expect("seed permission");
}

/// The first column of every row `sql` returns, as text (for tests that look at what
/// is stored, e.g. that a secret is not).
pub async fn query_texts(db: &Database, sql: &str) -> Vec<String> {
    use sea_orm::ConnectionTrait;
    let rows = db
        .connection()
        .query_all(db.stmt(sql, vec![]))
        .await
        .expect("test query");
    rows.iter()
        .map(|row| {
            row.try_get_by_index::<String>(0)
                .or_else(|_| row.try_get_by_index::<i64>(0).map(|n| n.to_string()))
                .expect("a text or integer column")
        })
        .collect()
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
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .ok()?;
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
                eprintln!(
                    "could not drop test database {}",
                    match &self.cleanup {
                        Cleanup::Postgres { name, .. } => name.as_str(),
                        _ => "",
                    }
                );
            }
        }
    }
}

/// The id of the user, organization or robot `name`.
pub async fn namespace_id(db: &Database, name: &str) -> i64 {
    use crate::entity::namespace;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    namespace::Entity::find()
        .filter(namespace::Column::Username.eq(name))
        .one(db.connection())
        .await
        .expect("query namespace")
        .expect("namespace exists")
        .id
}

/// Moves the start of the live lifetime of the named tag `tag` of `namespace/name` to
/// `start_ms` (tests of what happens to old tags).
pub async fn set_tag_start(db: &Database, repository: &str, tag: &str, start_ms: i64) {
    use sea_orm::ConnectionTrait;
    let (namespace, name) = repository.split_once('/').expect("namespace/name");
    let changed = db
        .connection()
        .execute(db.stmt(
            "UPDATE tag SET lifetime_start_ms = ? WHERE name = ? AND NOT hidden \
             AND lifetime_end_ms IS NULL AND repository_id = (SELECT r.id FROM repository r \
             JOIN namespace n ON n.id = r.namespace_id WHERE n.username = ? AND r.name = ?)",
            vec![start_ms.into(), tag.into(), namespace.into(), name.into()],
        ))
        .await
        .expect("set tag start")
        .rows_affected();
    assert_eq!(changed, 1, "{repository}:{tag} has one live lifetime");
}

/// Bulk-loads `count` tags (`tag-<n>`, one lifetime each, started a millisecond apart,
/// every tenth one ended) on one new manifest of the repository, in one statement;
/// returns the manifest's digest. For benchmarks of large repositories.
pub async fn bulk_load_tags(db: &Database, repository_id: i64, count: u64) -> String {
    use sea_orm::ConnectionTrait;
    let digest = format!("sha256:{:064x}", repository_id);
    let now = chrono::Utc::now();
    let start = now.timestamp_millis() - count as i64;
    db.connection()
        .execute(db.stmt(
            "INSERT INTO manifest (repository_id, digest, media_type, size, layers_size, bytes, \
             created) VALUES (?, ?, ?, 2, 0, ?, ?)",
            vec![
                repository_id.into(),
                digest.clone().into(),
                "application/vnd.oci.image.manifest.v1+json".into(),
                b"{}".to_vec().into(),
                now.into(),
            ],
        ))
        .await
        .expect("bulk manifest");
    db.connection()
        .execute(db.stmt(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?) \
             INSERT INTO tag (repository_id, name, manifest_id, lifetime_start_ms, \
             lifetime_end_ms, hidden, reversion) \
             SELECT ?, 'tag-' || CAST(i AS VARCHAR(20)), m.id, ? + i, \
             CASE WHEN i % 10 = 0 THEN ? + i + 1 ELSE NULL END, false, false \
             FROM n, manifest m WHERE m.repository_id = ? AND m.digest = ?",
            vec![
                (count as i64).into(),
                repository_id.into(),
                start.into(),
                start.into(),
                repository_id.into(),
                digest.clone().into(),
            ],
        ))
        .await
        .expect("bulk tags");
    // Statistics, as the database would gather them after such a load on its own.
    db.connection()
        .execute_unprepared("ANALYZE")
        .await
        .expect("analyze");
    digest
}

/// Gathers planner statistics, as the database would on its own after a bulk load.
pub async fn analyze(db: &Database) {
    use sea_orm::ConnectionTrait;
    db.connection()
        .execute_unprepared("ANALYZE")
        .await
        .expect("analyze");
}

/// An image for [`bulk_load_images`]: its manifest's digest and its blobs.
pub struct BulkImage {
    pub manifest_digest: String,
    /// `(digest, size)` of the config and layers.
    pub blobs: Vec<(String, u64)>,
}

/// Bulk-loads `images` into the repository: blob rows (received `received_ms_ago`
/// milliseconds ago), manifests referencing them, and one tag `<tag_prefix><n>` each, ended
/// `ended_ms_ago` milliseconds ago or live (`None`). For benchmarks of collection; the
/// bytes are the caller's to store.
pub async fn bulk_load_images(
    db: &Database,
    repository_id: i64,
    images: &[BulkImage],
    tag_prefix: &str,
    received_ms_ago: i64,
    ended_ms_ago: Option<i64>,
) {
    use sea_orm::ConnectionTrait;
    let now = chrono::Utc::now();
    let received = now - chrono::Duration::milliseconds(received_ms_ago);
    let run = |sql: String, values: Vec<sea_orm::Value>| async move {
        db.connection()
            .execute(db.stmt(&sql, values))
            .await
            .expect("bulk load");
    };
    for (batch, images) in images.chunks(100).enumerate() {
        let blobs: Vec<&(String, u64)> = images.iter().flat_map(|i| &i.blobs).collect();
        let marks = vec!["(?, ?, ?)"; blobs.len()].join(", ");
        let mut values = Vec::new();
        for (digest, size) in &blobs {
            values.extend([
                digest.clone().into(),
                (*size as i64).into(),
                received.into(),
            ]);
        }
        run(
            format!("INSERT INTO blob (digest, size, created) VALUES {marks} ON CONFLICT (digest) DO NOTHING"),
            values,
        )
        .await;
        let mut values = Vec::new();
        for (digest, _) in &blobs {
            values.push(digest.clone().into());
        }
        let marks = vec!["?"; blobs.len()].join(", ");
        run(
            format!(
                "INSERT INTO repository_blob (repository_id, blob_id, created) \
                 SELECT {repository_id}, id, created FROM blob WHERE digest IN ({marks}) \
                 ON CONFLICT (repository_id, blob_id) DO NOTHING"
            ),
            values,
        )
        .await;
        for (n, image) in images.iter().enumerate() {
            let n = batch * 100 + n;
            run(
                "INSERT INTO manifest (repository_id, digest, media_type, size, layers_size, \
                 bytes, created) VALUES (?, ?, ?, 2, 0, ?, ?)"
                    .into(),
                vec![
                    repository_id.into(),
                    image.manifest_digest.clone().into(),
                    "application/vnd.oci.image.manifest.v1+json".into(),
                    b"{}".to_vec().into(),
                    now.into(),
                ],
            )
            .await;
            let marks = vec!["?"; image.blobs.len()].join(", ");
            let mut values: Vec<sea_orm::Value> =
                vec![repository_id.into(), image.manifest_digest.clone().into()];
            values.extend(image.blobs.iter().map(|(d, _)| d.clone().into()));
            run(
                format!(
                    "INSERT INTO manifest_blob (manifest_id, blob_id) SELECT m.id, b.id \
                     FROM manifest m, blob b WHERE m.repository_id = ? AND m.digest = ? \
                     AND b.digest IN ({marks})"
                ),
                values,
            )
            .await;
            let start = now.timestamp_millis() - received_ms_ago;
            let end = ended_ms_ago.map(|ago| now.timestamp_millis() - ago);
            run(
                "INSERT INTO tag (repository_id, name, manifest_id, lifetime_start_ms, \
                 lifetime_end_ms, hidden, reversion) SELECT ?, ?, id, ?, ?, false, false \
                 FROM manifest WHERE repository_id = ? AND digest = ?"
                    .into(),
                vec![
                    repository_id.into(),
                    format!("{tag_prefix}{n}").into(),
                    start.into(),
                    end.into(),
                    repository_id.into(),
                    image.manifest_digest.clone().into(),
                ],
            )
            .await;
        }
    }
    db.connection()
        .execute_unprepared("ANALYZE")
        .await
        .expect("analyze");
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
        assert_eq!(
            with_database_name("postgres://u@h", "x"),
            "postgres://u@h/x"
        );
    }
}
