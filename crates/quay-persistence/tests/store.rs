//! Store tests: each runs on its own database, SQLite by default and PostgreSQL when
//! `QUAY_TEST_DATABASE_URL` is set.

use std::sync::Arc;

use chrono::{Duration, Utc};
use quay_auth::{NamespaceGrant, OAuthTokenStore};
use quay_core::names::RepositoryName;
use quay_core::role::{RepositoryKind, Role, TeamRole, Visibility};
use quay_core::{Caller, DomainError};
use quay_logs::{LogKind, LogStore, NewLogEntry};
use quay_orgs::{NamespaceChanges, NamespaceStore, NewOrganization, NewTokenGrant, NewUser};
use quay_persistence::entity::{log_entry, repository, repository_permission, team, team_member};
use quay_persistence::testing::TestDatabase;
use quay_persistence::SqlStore;
use quay_repos::{NewRepository, RepoStore, RepositoryChange, RepositoryQuery};
use sea_orm::{ActiveModelTrait, EntityTrait, NotSet, PaginatorTrait, Set};
use serde_json::json;

fn log(kind: LogKind) -> NewLogEntry {
    NewLogEntry::new(kind, &Caller::anonymous(), None, json!({}))
}

async fn user(store: &SqlStore, name: &str) -> i64 {
    quay_persistence::testing::seed_user(store.database(), name).await
}

fn new_repo(ns: i64, name: &str, visibility: Visibility, creator: Option<i64>) -> NewRepository {
    NewRepository {
        namespace_id: ns,
        name: name.into(),
        visibility,
        description: Some("d".into()),
        kind: RepositoryKind::Image,
        badge_token: "badge".into(),
        creator_id: creator,
        created: Utc::now(),
    }
}

async fn log_count(store: &SqlStore) -> u64 {
    log_entry::Entity::find()
        .count(store.database().connection())
        .await
        .unwrap()
}

#[tokio::test]
async fn migrations_are_all_applied() {
    let t = TestDatabase::new().await;
    assert!(t.db.pending_migrations().await.unwrap().is_empty());
    t.db.ping().await.unwrap();
}

#[tokio::test]
async fn initialize_creates_user_application_token_and_log_once() {
    let t = TestDatabase::new().await;
    let store = SqlStore::new(t.db.clone());
    assert!(!store.has_namespaces().await.unwrap());
    let new = NewUser {
        username: "admin".into(),
        email: Some("admin@example.com".into()),
        password_hash: "$2b$04$hash".into(),
        verified: true,
        tag_expiration_s: 1_209_600,
        created: Utc::now(),
    };
    let grant = NewTokenGrant {
        client_id: "admin".into(),
        application_name: "automation".into(),
        application_description: "d".into(),
        token_name: "ABCDEFGHIJKLMNOPQRST".into(),
        token_code_digest: "digest".into(),
        scope: "repo:read user:admin".into(),
        expires_at: Utc::now() + Duration::seconds(9000),
    };
    let user = store
        .initialize_user(new.clone(), Some(grant), log(LogKind::UserCreate))
        .await
        .unwrap();
    assert!(store.has_namespaces().await.unwrap());
    let record = store
        .find_oauth_token("ABCDEFGHIJKLMNOPQRST")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(record.user_id, user.id);
    assert_eq!(record.username, "admin");
    assert!(record.user_can_login);
    assert_eq!(record.code_digest, "digest");
    assert!(store.find_oauth_token("NOPE").await.unwrap().is_none());
    let logs = store.namespace_logs(user.id, 10).await.unwrap();
    assert_eq!(logs.len(), 1);
    assert_eq!(logs[0].kind, "user_create");
    assert_eq!(logs[0].performer_id, Some(user.id));
    // A second initialization is refused inside the transaction, and writes nothing.
    let before = log_count(&store).await;
    let again = NewUser {
        username: "other".into(),
        email: None,
        ..new
    };
    assert!(matches!(
        store
            .initialize_user(again, None, log(LogKind::UserCreate))
            .await,
        Err(DomainError::Conflict(_))
    ));
    assert_eq!(log_count(&store).await, before);
    assert!(store.find_namespace("other").await.unwrap().is_none());
}

#[tokio::test]
async fn organizations_get_an_owners_team_with_their_creator() {
    let t = TestDatabase::new().await;
    let store = SqlStore::new(t.db.clone());
    let devtable = user(&store, "devtable").await;
    let outsider = user(&store, "outsider").await;
    let org = store
        .create_organization(
            NewOrganization {
                name: "buynlarge".into(),
                email: None,
                creator_id: devtable,
                tag_expiration_s: 1_209_600,
                created: Utc::now(),
            },
            log(LogKind::OrgCreate),
        )
        .await
        .unwrap();
    assert!(org.organization);
    assert_eq!(
        store.namespace_grant(org.id, devtable).await.unwrap(),
        NamespaceGrant::Team(TeamRole::Admin)
    );
    assert_eq!(
        store.namespace_grant(org.id, outsider).await.unwrap(),
        NamespaceGrant::None
    );
    assert_eq!(
        store.namespace_grant(devtable, devtable).await.unwrap(),
        NamespaceGrant::Owner
    );
    let teams = store.teams(org.id, Some(devtable)).await.unwrap();
    assert_eq!(teams.len(), 1);
    assert_eq!(
        (teams[0].name.as_str(), teams[0].role, teams[0].member_count),
        ("owners", TeamRole::Admin, 1)
    );
    assert!(teams[0].viewer_is_member);
    assert!(!store.teams(org.id, Some(outsider)).await.unwrap()[0].viewer_is_member);
    let orgs = store.user_organizations(devtable).await.unwrap();
    assert_eq!(orgs.len(), 1);
    assert_eq!(
        (orgs[0].0.username.as_str(), orgs[0].1),
        ("buynlarge", TeamRole::Admin)
    );
    assert_eq!(
        store.namespace_logs(org.id, 5).await.unwrap()[0].kind,
        "org_create"
    );

    // Names are unique across users and organizations.
    let dup = NewOrganization {
        name: "devtable".into(),
        email: None,
        creator_id: devtable,
        tag_expiration_s: 0,
        created: Utc::now(),
    };
    assert!(matches!(
        store
            .create_organization(dup, log(LogKind::OrgCreate))
            .await,
        Err(DomainError::Conflict(_))
    ));
}

#[tokio::test]
async fn effective_roles_combine_direct_team_and_org_admin_grants() {
    let t = TestDatabase::new().await;
    let store = SqlStore::new(t.db.clone());
    let conn = store.database().connection();
    let devtable = user(&store, "devtable").await;
    let reader = user(&store, "reader").await;
    let outsider = user(&store, "outsider").await;
    let org = store
        .create_organization(
            NewOrganization {
                name: "buynlarge".into(),
                email: None,
                creator_id: devtable,
                tag_expiration_s: 0,
                created: Utc::now(),
            },
            log(LogKind::OrgCreate),
        )
        .await
        .unwrap();
    let repo = store
        .create_repository(
            new_repo(org.id, "orgrepo", Visibility::Private, Some(devtable)),
            log(LogKind::CreateRepo),
        )
        .await
        .unwrap();
    assert_eq!(repo.namespace, "buynlarge");
    assert!(repo.namespace_is_org);

    // `reader` reads through a member team holding a read permission.
    let readers = team::ActiveModel {
        id: NotSet,
        organization_id: Set(org.id),
        name: Set("readers".into()),
        role: Set(TeamRole::Member.code()),
        description: Set(String::new()),
    }
    .insert(conn)
    .await
    .unwrap();
    team_member::ActiveModel {
        id: NotSet,
        user_id: Set(reader),
        team_id: Set(readers.id),
    }
    .insert(conn)
    .await
    .unwrap();
    repository_permission::ActiveModel {
        id: NotSet,
        repository_id: Set(repo.id),
        user_id: Set(None),
        team_id: Set(Some(readers.id)),
        role: Set(Role::Read.code()),
    }
    .insert(conn)
    .await
    .unwrap();

    let name = RepositoryName::new("buynlarge", "orgrepo");
    let access = |viewer| {
        let store = store.clone();
        let name = name.clone();
        async move { store.repository_access(&name, viewer).await.unwrap() }
    };
    assert_eq!(access(Some(devtable)).await.granted, Some(Role::Admin));
    assert_eq!(access(Some(reader)).await.granted, Some(Role::Read));
    assert_eq!(access(Some(outsider)).await.granted, None);
    assert_eq!(access(None).await.granted, None);
    assert_eq!(access(Some(reader)).await.repository.unwrap().id, repo.id);

    // A missing repository still reports the namespace-wide grant (permission before existence).
    let missing = store
        .repository_access(&RepositoryName::new("buynlarge", "nope"), Some(devtable))
        .await
        .unwrap();
    assert!(missing.repository.is_none());
    assert_eq!(missing.granted, Some(Role::Admin));
    let missing = store
        .repository_access(&RepositoryName::new("buynlarge", "nope"), Some(reader))
        .await
        .unwrap();
    assert_eq!(missing.granted, None);
    let no_ns = store
        .repository_access(&RepositoryName::new("nobody", "x"), Some(devtable))
        .await
        .unwrap();
    assert!(no_ns.repository.is_none() && no_ns.granted.is_none());
}

#[tokio::test]
async fn listing_filters_visibility_and_pages_by_id() {
    let t = TestDatabase::new().await;
    let store = SqlStore::new(t.db.clone());
    let devtable = user(&store, "devtable").await;
    let other = user(&store, "other").await;
    for i in 0..5 {
        let vis = if i % 2 == 0 {
            Visibility::Public
        } else {
            Visibility::Private
        };
        store
            .create_repository(
                new_repo(devtable, &format!("r{i}"), vis, Some(devtable)),
                log(LogKind::CreateRepo),
            )
            .await
            .unwrap();
    }
    store
        .create_repository(
            new_repo(other, "theirs", Visibility::Private, Some(other)),
            log(LogKind::CreateRepo),
        )
        .await
        .unwrap();
    let query = |viewer, public, namespace: Option<&str>, after, limit| RepositoryQuery {
        viewer,
        include_public: public,
        namespace: namespace.map(String::from),
        starred_only: false,
        kind: RepositoryKind::Image,
        after_id: after,
        limit,
    };
    let names = |p: quay_repos::RepositoryPage| {
        p.items
            .into_iter()
            .map(|i| i.repository.name)
            .collect::<Vec<_>>()
    };

    assert_eq!(
        names(
            store
                .list_repositories(&query(Some(devtable), false, None, None, 100))
                .await
                .unwrap()
        ),
        ["r0", "r1", "r2", "r3", "r4"]
    );
    assert_eq!(
        names(
            store
                .list_repositories(&query(None, true, None, None, 100))
                .await
                .unwrap()
        ),
        ["r0", "r2", "r4"]
    );
    assert!(store
        .list_repositories(&query(None, false, None, None, 100))
        .await
        .unwrap()
        .items
        .is_empty());
    assert_eq!(
        names(
            store
                .list_repositories(&query(Some(other), true, Some("devtable"), None, 100))
                .await
                .unwrap()
        ),
        ["r0", "r2", "r4"]
    );
    assert_eq!(
        names(
            store
                .list_repositories(&query(Some(other), false, None, None, 100))
                .await
                .unwrap()
        ),
        ["theirs"]
    );

    let first = store
        .list_repositories(&query(Some(devtable), false, None, None, 2))
        .await
        .unwrap();
    let after = first.next_after_id.expect("more pages");
    assert_eq!(names(first), ["r0", "r1"]);
    let second = store
        .list_repositories(&query(Some(devtable), false, None, Some(after), 2))
        .await
        .unwrap();
    let after = second.next_after_id.expect("more pages");
    assert_eq!(names(second), ["r2", "r3"]);
    let last = store
        .list_repositories(&query(Some(devtable), false, None, Some(after), 2))
        .await
        .unwrap();
    assert_eq!(last.next_after_id, None);
    assert_eq!(names(last), ["r4"]);
}

#[tokio::test]
async fn writes_are_atomic_with_their_logs() {
    let t = TestDatabase::new().await;
    let store = SqlStore::new(t.db.clone());
    let conn = store.database().connection();
    let devtable = user(&store, "devtable").await;
    let repo = store
        .create_repository(
            new_repo(devtable, "r", Visibility::Private, Some(devtable)),
            log(LogKind::CreateRepo),
        )
        .await
        .unwrap();
    let logs = log_count(&store).await;

    // A failing insert (unknown namespace) leaves neither a repository nor a log behind.
    assert!(store
        .create_repository(
            new_repo(999_999, "x", Visibility::Private, None),
            log(LogKind::CreateRepo)
        )
        .await
        .is_err());
    assert!(matches!(
        store
            .create_repository(
                new_repo(devtable, "r", Visibility::Private, Some(devtable)),
                log(LogKind::CreateRepo)
            )
            .await,
        Err(DomainError::Conflict(_))
    ));
    assert_eq!(log_count(&store).await, logs);
    assert_eq!(repository::Entity::find().count(conn).await.unwrap(), 1);

    store
        .update_repository(
            repo.id,
            RepositoryChange::Visibility(Visibility::Public),
            log(LogKind::ChangeRepoVisibility),
        )
        .await
        .unwrap();
    store
        .update_repository(
            repo.id,
            RepositoryChange::Description("new".into()),
            log(LogKind::SetRepoDescription),
        )
        .await
        .unwrap();
    let seen = store
        .repository_access(&RepositoryName::new("devtable", "r"), None)
        .await
        .unwrap()
        .repository
        .unwrap();
    assert_eq!(
        (seen.visibility, seen.description.as_deref()),
        (Visibility::Public, Some("new"))
    );
    assert_eq!(
        store
            .update_repository(
                424_242,
                RepositoryChange::Description("x".into()),
                log(LogKind::SetRepoDescription)
            )
            .await,
        Err(DomainError::NotFound)
    );
    assert_eq!(log_count(&store).await, logs + 2);

    store
        .delete_repository(repo.id, log(LogKind::DeleteRepo))
        .await
        .unwrap();
    assert_eq!(
        repository_permission::Entity::find()
            .count(conn)
            .await
            .unwrap(),
        0,
        "permissions cascade"
    );
    assert_eq!(log_count(&store).await, logs + 3);
}

#[tokio::test]
async fn namespace_updates_and_deletion() {
    let t = TestDatabase::new().await;
    let store = SqlStore::new(t.db.clone());
    let devtable = user(&store, "devtable").await;
    let org = store
        .create_organization(
            NewOrganization {
                name: "buynlarge".into(),
                email: Some("org@example.com".into()),
                creator_id: devtable,
                tag_expiration_s: 1_209_600,
                created: Utc::now(),
            },
            log(LogKind::OrgCreate),
        )
        .await
        .unwrap();
    assert!(store.email_in_use("org@example.com").await.unwrap());
    let changes = NamespaceChanges {
        tag_expiration_s: Some(0),
        invoice_email: Some(true),
        ..Default::default()
    };
    let updated = store
        .update_namespace(org.id, changes, vec![log(LogKind::OrgChangeTagExpiration)])
        .await
        .unwrap();
    assert_eq!((updated.tag_expiration_s, updated.invoice_email), (0, true));
    // Taking another namespace's e-mail is a conflict and changes nothing.
    let steal = NamespaceChanges {
        email: Some("devtable@example.com".into()),
        ..Default::default()
    };
    assert!(matches!(
        store.update_namespace(org.id, steal, vec![]).await,
        Err(DomainError::Conflict(_))
    ));
    assert_eq!(
        store
            .find_namespace("buynlarge")
            .await
            .unwrap()
            .unwrap()
            .email
            .as_deref(),
        Some("org@example.com")
    );

    store
        .create_repository(
            new_repo(org.id, "r", Visibility::Public, Some(devtable)),
            log(LogKind::CreateRepo),
        )
        .await
        .unwrap();
    store
        .delete_namespace(org.id, log(LogKind::OrgDelete))
        .await
        .unwrap();
    assert!(store.find_namespace("buynlarge").await.unwrap().is_none());
    assert_eq!(
        repository::Entity::find()
            .count(store.database().connection())
            .await
            .unwrap(),
        0
    );
    assert!(store.user_organizations(devtable).await.unwrap().is_empty());
    assert_eq!(
        store
            .delete_namespace(org.id, log(LogKind::OrgDelete))
            .await,
        Err(DomainError::NotFound)
    );
}

#[tokio::test]
async fn stars_mark_and_filter_repositories() {
    use sea_orm::ConnectionTrait;
    let t = TestDatabase::new().await;
    let store = SqlStore::new(t.db.clone());
    let devtable = user(&store, "devtable").await;
    let other = user(&store, "other").await;
    let mine = store
        .create_repository(
            new_repo(devtable, "mine", Visibility::Private, Some(devtable)),
            log(LogKind::CreateRepo),
        )
        .await
        .unwrap();
    let public = store
        .create_repository(
            new_repo(other, "public", Visibility::Public, Some(other)),
            log(LogKind::CreateRepo),
        )
        .await
        .unwrap();
    let private = store
        .create_repository(
            new_repo(other, "private", Visibility::Private, Some(other)),
            log(LogKind::CreateRepo),
        )
        .await
        .unwrap();
    for repo in [mine.id, public.id, private.id] {
        store
            .database()
            .connection()
            .execute_unprepared(&format!(
                "INSERT INTO star (user_id, repository_id, created) VALUES ({devtable}, {repo}, '2026-01-01T00:00:00Z')"
            ))
            .await
            .unwrap();
    }
    let access = store
        .repository_access(&RepositoryName::new("devtable", "mine"), Some(devtable))
        .await
        .unwrap();
    assert!(access.starred);
    assert!(
        !store
            .repository_access(&RepositoryName::new("devtable", "mine"), Some(other))
            .await
            .unwrap()
            .starred
    );
    // Starred and still visible: the private repository of someone else is left out.
    let query = RepositoryQuery {
        viewer: Some(devtable),
        include_public: true,
        namespace: None,
        starred_only: true,
        kind: RepositoryKind::Image,
        after_id: None,
        limit: 100,
    };
    let page = store.list_repositories(&query).await.unwrap();
    let names: Vec<_> = page
        .items
        .iter()
        .map(|i| (i.repository.name.as_str(), i.starred))
        .collect();
    assert_eq!(names, [("mine", true), ("public", true)]);
}

#[tokio::test]
async fn registry_tokens_verify_across_instances_through_registered_keys() {
    use quay_auth::registry_token::{Access, RegistryTokens};
    let t = TestDatabase::new().await;
    let store = Arc::new(SqlStore::new(t.db.clone()));
    let ttl = std::time::Duration::from_millis(0);
    let one = RegistryTokens::new(store.clone(), "quay.example.com".into(), ttl);
    let other = RegistryTokens::new(store.clone(), "quay.example.com".into(), ttl);
    let access = vec![Access {
        kind: "repository".into(),
        name: "acme/app".into(),
        actions: vec!["pull".into(), "push".into()],
    }];
    let token = one
        .mint(Some("alice"), access.clone(), serde_json::json!({}))
        .await
        .unwrap();
    let claims = other.verify(&token).await.unwrap().expect("verifies");
    assert_eq!(claims.access, access);
    // Renewing a registration keeps the key usable; it is stored once.
    one.refresh_registration().await.unwrap();
    assert!(other.verify(&token).await.unwrap().is_some());
    let kids = quay_persistence::testing::query_texts(&t.db, "SELECT kid FROM service_key").await;
    assert_eq!(kids.len(), 1);
}

#[tokio::test]
async fn labels_go_with_their_manifest_row() {
    use quay_repos::blobs::BlobMetaStore;
    use quay_repos::labels::{Label, LabelStore};
    use quay_repos::manifests::{ManifestStore, NewManifest, PushTarget};
    use sea_orm::ConnectionTrait;
    let t = TestDatabase::new().await;
    let store = SqlStore::new(t.db.clone());
    let owner = user(&store, "devtable").await;
    let repo = store
        .create_repository(
            new_repo(owner, "app", Visibility::Private, Some(owner)),
            log(LogKind::CreateRepo),
        )
        .await
        .unwrap();
    let config = format!("sha256:{}", "c".repeat(64));
    store
        .store_blob(repo.id, &config, 2, None, Box::pin(async { Ok(()) }))
        .await
        .unwrap();
    let digest = format!("sha256:{}", "a".repeat(64));
    let manifest = NewManifest {
        repository_id: repo.id,
        digest: digest.clone(),
        media_type: "application/vnd.oci.image.manifest.v1+json".into(),
        artifact_type: None,
        config_media_type: Some("application/vnd.oci.image.config.v1+json".into()),
        subject_digest: None,
        bytes: b"{}".to_vec(),
        blobs: vec![config],
        children: Vec::new(),
        layers_size: Some(0),
        labels: vec![
            Label::from_manifest("a".into(), "b".into()),
            Label::from_manifest("quay.expires-after".into(), "2h".into()),
        ],
    };
    let target = PushTarget::Tag {
        name: "v1",
        keep_replaced_ms: 0,
    };
    let now = Utc::now().timestamp_millis();
    store
        .put_manifest(manifest, target, now, None)
        .await
        .unwrap()
        .unwrap();
    let stored = store
        .stored_manifest(repo.id, &digest)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        store.manifest_labels(stored.id, None).await.unwrap().len(),
        2
    );
    // What garbage collection does: it deletes the manifest row and what references it,
    // never the labels themselves.
    let conn = store.database().connection();
    for sql in [
        "DELETE FROM tag".to_string(),
        "DELETE FROM manifest_blob".to_string(),
        format!("DELETE FROM manifest WHERE id = {}", stored.id),
    ] {
        conn.execute_unprepared(&sql).await.unwrap();
    }
    let left = conn
        .query_one(sea_orm::Statement::from_string(
            conn.get_database_backend(),
            "SELECT COUNT(*) AS n FROM manifest_label",
        ))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(left.try_get::<i64>("", "n").unwrap(), 0);
}
