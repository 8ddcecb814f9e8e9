use super::*;
use quay_auth::NamespaceGrant;
use quay_core::role::RepositoryKind;
use quay_core::scope::ScopeSet;
use quay_core::{AuthMethod, Principal};
use std::sync::Mutex;

/// An in-memory `RepoStore`: namespaces by name, with per-user grants.
#[derive(Default)]
struct FakeStore {
    state: Mutex<State>,
}

/// A namespace, its name, and each user's standing in it.
type FakeNamespace = (NamespaceRef, String, Vec<(i64, NamespaceGrant)>);

#[derive(Default)]
struct State {
    namespaces: Vec<FakeNamespace>,
    repos: Vec<Repository>,
    direct: Vec<(i64, i64, Role)>, // (repo, user, role)
    logs: Vec<NewLogEntry>,
}

impl State {
    fn grant(&self, ns_id: i64, user: i64) -> NamespaceGrant {
        self.namespaces
            .iter()
            .find(|(n, _, _)| n.id == ns_id)
            .and_then(|(_, _, g)| g.iter().find(|(u, _)| *u == user).map(|(_, g)| *g))
            .unwrap_or(NamespaceGrant::None)
    }

    fn granted(&self, ns_id: i64, repo_id: Option<i64>, user: i64) -> Option<Role> {
        let ns = match self.grant(ns_id, user) {
            NamespaceGrant::Owner | NamespaceGrant::Team(quay_core::role::TeamRole::Admin) => {
                Some(Role::Admin)
            }
            _ => None,
        };
        let direct = repo_id.and_then(|r| {
            self.direct
                .iter()
                .filter(|(repo, u, _)| *repo == r && *u == user)
                .map(|(_, _, role)| *role)
                .max()
        });
        ns.max(direct)
    }
}

#[async_trait]
impl RepoStore for FakeStore {
    async fn repository_access(
        &self,
        name: &RepositoryName,
        viewer: Option<i64>,
    ) -> DomainResult<RepositoryAccess> {
        let s = self.state.lock().unwrap();
        let Some((ns, _, _)) = s.namespaces.iter().find(|(_, n, _)| *n == name.namespace) else {
            return Ok(RepositoryAccess {
                repository: None,
                granted: None,
                starred: false,
                namespace_disabled: false,
            });
        };
        let repo = s
            .repos
            .iter()
            .find(|r| r.namespace_id == ns.id && r.name == name.name)
            .cloned();
        let granted = viewer.and_then(|u| s.granted(ns.id, repo.as_ref().map(|r| r.id), u));
        Ok(RepositoryAccess {
            repository: repo,
            granted,
            starred: false,
            namespace_disabled: false,
        })
    }

    async fn namespace_grant_by_name(
        &self,
        namespace: &str,
        user_id: i64,
    ) -> DomainResult<Option<(NamespaceRef, NamespaceGrant)>> {
        let s = self.state.lock().unwrap();
        Ok(s.namespaces
            .iter()
            .find(|(_, n, _)| n == namespace)
            .map(|(ns, _, _)| (*ns, s.grant(ns.id, user_id))))
    }

    async fn create_repository(
        &self,
        new: NewRepository,
        mut log: NewLogEntry,
    ) -> DomainResult<Repository> {
        let mut s = self.state.lock().unwrap();
        if s.repos
            .iter()
            .any(|r| r.namespace_id == new.namespace_id && r.name == new.name)
        {
            return Err(DomainError::Conflict("duplicate".into()));
        }
        let (ns, ns_name, _) = s
            .namespaces
            .iter()
            .find(|(n, _, _)| n.id == new.namespace_id)
            .unwrap()
            .clone();
        let repo = Repository {
            id: s.repos.len() as i64 + 1,
            namespace_id: ns.id,
            namespace: ns_name,
            namespace_is_org: ns.is_org,
            namespace_enabled: true,
            namespace_tag_expiration_s: 1_209_600,
            name: new.name,
            visibility: new.visibility,
            description: new.description,
            kind: new.kind,
            state: RepositoryState::Normal,
            trust_enabled: false,
            badge_token: new.badge_token,
            created: new.created,
            last_modified: None,
        };
        if let Some(creator) = new.creator_id {
            s.direct.push((repo.id, creator, Role::Admin));
        }
        log.repository_id = Some(repo.id);
        s.logs.push(log);
        s.repos.push(repo.clone());
        Ok(repo)
    }

    async fn update_repository(
        &self,
        id: i64,
        change: RepositoryChange,
        log: NewLogEntry,
    ) -> DomainResult<()> {
        let mut s = self.state.lock().unwrap();
        let repo = s
            .repos
            .iter_mut()
            .find(|r| r.id == id)
            .ok_or(DomainError::NotFound)?;
        match change {
            RepositoryChange::Description(d) => repo.description = Some(d),
            RepositoryChange::Visibility(v) => repo.visibility = v,
        }
        s.logs.push(log);
        Ok(())
    }

    async fn set_star(&self, _: i64, _: i64, _: bool) -> DomainResult<()> {
        Ok(())
    }

    async fn delete_repository(&self, id: i64, log: NewLogEntry) -> DomainResult<()> {
        let mut s = self.state.lock().unwrap();
        s.repos.retain(|r| r.id != id);
        s.logs.push(log);
        Ok(())
    }

    async fn list_repositories(&self, q: &RepositoryQuery) -> DomainResult<RepositoryPage> {
        let s = self.state.lock().unwrap();
        let items = s
            .repos
            .iter()
            .filter(|r| q.namespace.as_ref().is_none_or(|n| *n == r.namespace))
            .filter(|r| {
                let granted = q
                    .viewer
                    .and_then(|u| s.granted(r.namespace_id, Some(r.id), u));
                granted.is_some() || (q.include_public && r.visibility.is_public())
            })
            .map(|r| RepositoryListItem {
                repository: r.clone(),
                starred: false,
                action_count: 0,
            })
            .collect();
        Ok(RepositoryPage {
            items,
            next_after_id: None,
        })
    }

    async fn action_counts(
        &self,
        _: i64,
        _: chrono::NaiveDate,
    ) -> DomainResult<Vec<(chrono::NaiveDate, i64)>> {
        Ok(vec![])
    }
}

const DEVTABLE: i64 = 1;
const OUTSIDER: i64 = 2;
const BUYNLARGE: i64 = 10;

fn setup() -> (Repositories, Arc<FakeStore>) {
    let store = Arc::new(FakeStore::default());
    {
        let mut s = store.state.lock().unwrap();
        s.namespaces.push((
            NamespaceRef {
                id: DEVTABLE,
                is_org: false,
            },
            "devtable".into(),
            vec![(DEVTABLE, NamespaceGrant::Owner)],
        ));
        s.namespaces.push((
            NamespaceRef {
                id: OUTSIDER,
                is_org: false,
            },
            "outsider".into(),
            vec![(OUTSIDER, NamespaceGrant::Owner)],
        ));
        s.namespaces.push((
            NamespaceRef {
                id: BUYNLARGE,
                is_org: true,
            },
            "buynlarge".into(),
            vec![(
                DEVTABLE,
                NamespaceGrant::Team(quay_core::role::TeamRole::Creator),
            )],
        ));
    }
    let config = Arc::new(Config::default());
    (Repositories::new(store.clone(), config), store)
}

fn user(id: i64, name: &str, scopes: &str) -> Caller {
    Caller::user(Principal {
        user_id: id,
        username: name.into(),
        scopes: ScopeSet::parse(scopes).unwrap(),
        method: AuthMethod::OAuthToken(1),
        superuser: false,
        global_readonly_superuser: false,
    })
}

fn create(namespace: Option<&str>, name: &str, visibility: Visibility) -> CreateRepository {
    CreateRepository {
        namespace: namespace.map(String::from),
        name: name.into(),
        visibility,
        description: "d".into(),
        kind: RepositoryKind::Image,
    }
}

const ALL: &str = "repo:read repo:write repo:admin repo:create user:admin";

#[tokio::test]
async fn create_in_own_namespace_logs_create_repo() {
    let (svc, store) = setup();
    let dev = user(DEVTABLE, "devtable", ALL);
    let repo = svc
        .create_repository(&dev, create(None, "simple", Visibility::Private))
        .await
        .unwrap();
    assert_eq!(repo.namespace, "devtable");
    let s = store.state.lock().unwrap();
    assert_eq!(s.logs.len(), 1);
    assert_eq!(s.logs[0].kind, LogKind::CreateRepo);
    assert_eq!(s.logs[0].repository_id, Some(repo.id));
    assert_eq!(
        s.logs[0].metadata,
        json!({"repo": "simple", "namespace": "devtable"})
    );
    // The creator gets an explicit admin permission even in their own namespace.
    assert_eq!(s.direct, vec![(repo.id, DEVTABLE, Role::Admin)]);
}

#[tokio::test]
async fn creator_team_members_create_in_orgs_and_become_admins() {
    let (svc, store) = setup();
    let dev = user(DEVTABLE, "devtable", ALL);
    let repo = svc
        .create_repository(
            &dev,
            create(Some("buynlarge"), "orgrepo", Visibility::Private),
        )
        .await
        .unwrap();
    assert_eq!(
        store.state.lock().unwrap().direct,
        vec![(repo.id, DEVTABLE, Role::Admin)]
    );
    let details = svc
        .get_repository(&dev, &RepositoryName::new("buynlarge", "orgrepo"), false)
        .await
        .unwrap();
    assert!(details.can_admin);
}

#[tokio::test]
async fn create_refusals_in_quay_order() {
    let (svc, _) = setup();
    let dev = user(DEVTABLE, "devtable", ALL);
    assert_eq!(
        svc.create_repository(&Caller::anonymous(), create(None, "x", Visibility::Public))
            .await,
        Err(DomainError::Unauthenticated(
            "Requires authentication".into()
        ))
    );
    assert_eq!(
        svc.create_repository(&dev, create(Some("outsider"), "x", Visibility::Public))
            .await,
        Err(DomainError::Forbidden)
    );
    assert_eq!(
        svc.create_repository(&dev, create(Some("nosuchns"), "x", Visibility::Public))
            .await,
        Err(DomainError::Forbidden)
    );
    // repo:create is what makes creation possible; repo:admin alone is not enough.
    let admin_only = user(DEVTABLE, "devtable", "repo:admin");
    assert_eq!(
        svc.create_repository(&admin_only, create(None, "x", Visibility::Public))
            .await,
        Err(DomainError::Forbidden)
    );
    for bad in ["UPPER", "-x", "a b", &"a".repeat(256)] {
        assert_eq!(
            svc.create_repository(&dev, create(None, bad, Visibility::Public))
                .await,
            Err(DomainError::invalid("Invalid repository name")),
            "{bad}"
        );
    }
    svc.create_repository(&dev, create(None, "dup", Visibility::Public))
        .await
        .unwrap();
    assert_eq!(
        svc.create_repository(&dev, create(None, "dup", Visibility::Public))
            .await,
        Err(DomainError::invalid("Repository already exists"))
    );
}

#[tokio::test]
async fn reads_check_permission_before_existence() {
    let (svc, _) = setup();
    let dev = user(DEVTABLE, "devtable", ALL);
    let outsider = user(OUTSIDER, "outsider", ALL);
    svc.create_repository(&dev, create(None, "private", Visibility::Private))
        .await
        .unwrap();
    svc.create_repository(&dev, create(None, "public", Visibility::Public))
        .await
        .unwrap();
    let private = RepositoryName::new("devtable", "private");
    let missing = RepositoryName::new("devtable", "missing");
    let public = RepositoryName::new("devtable", "public");

    assert_eq!(
        svc.get_repository(&outsider, &private, false).await,
        Err(DomainError::Forbidden)
    );
    assert_eq!(
        svc.get_repository(&outsider, &missing, false).await,
        Err(DomainError::Forbidden)
    );
    assert_eq!(
        svc.get_repository(&dev, &missing, false).await,
        Err(DomainError::NotFound)
    );
    assert!(matches!(
        svc.get_repository(&Caller::anonymous(), &private, false)
            .await,
        Err(DomainError::Unauthenticated(_))
    ));
    let seen = svc
        .get_repository(&Caller::anonymous(), &public, false)
        .await
        .unwrap();
    assert!(!seen.can_write && !seen.can_admin);
    let mine = svc
        .get_repository(&user(DEVTABLE, "devtable", "repo:read"), &private, false)
        .await
        .unwrap();
    assert!(!mine.can_write, "scopes cap can_write");
}

#[tokio::test]
async fn writes_need_their_role_and_log() {
    let (svc, store) = setup();
    let dev = user(DEVTABLE, "devtable", ALL);
    let outsider = user(OUTSIDER, "outsider", ALL);
    svc.create_repository(&dev, create(None, "r", Visibility::Public))
        .await
        .unwrap();
    let r = RepositoryName::new("devtable", "r");
    assert_eq!(
        svc.set_description(&outsider, &r, "x".into()).await,
        Err(DomainError::Forbidden)
    );
    assert_eq!(
        svc.set_visibility(&outsider, &r, Visibility::Private).await,
        Err(DomainError::Forbidden)
    );
    assert_eq!(
        svc.delete_repository(&outsider, &r).await,
        Err(DomainError::Forbidden)
    );
    let writer = user(DEVTABLE, "devtable", "repo:write");
    svc.set_description(&writer, &r, "new".into())
        .await
        .unwrap();
    assert_eq!(
        svc.set_visibility(&writer, &r, Visibility::Private).await,
        Err(DomainError::Forbidden)
    );
    svc.set_visibility(&dev, &r, Visibility::Private)
        .await
        .unwrap();
    svc.delete_repository(&dev, &r).await.unwrap();
    let kinds: Vec<_> = store
        .state
        .lock()
        .unwrap()
        .logs
        .iter()
        .map(|l| l.kind)
        .collect();
    assert_eq!(
        kinds,
        vec![
            LogKind::CreateRepo,
            LogKind::SetRepoDescription,
            LogKind::ChangeRepoVisibility,
            LogKind::DeleteRepo
        ]
    );
    let visibility_log = store.state.lock().unwrap().logs[2].metadata.clone();
    assert_eq!(
        visibility_log,
        json!({"repo": "r", "namespace": "devtable", "visibility": "private"})
    );
    assert_eq!(
        svc.get_repository(&dev, &r, false).await,
        Err(DomainError::NotFound)
    );
}

#[tokio::test]
async fn listing_needs_a_filter_and_respects_scopes() {
    let (svc, _) = setup();
    let dev = user(DEVTABLE, "devtable", ALL);
    svc.create_repository(&dev, create(None, "private", Visibility::Private))
        .await
        .unwrap();
    svc.create_repository(&dev, create(None, "public", Visibility::Public))
        .await
        .unwrap();
    let req = |ns: Option<&str>, public: bool, starred: bool| ListRepositories {
        namespace: ns.map(String::from),
        public,
        starred,
        kind: RepositoryKind::Image,
        after_id: None,
    };
    assert!(matches!(
        svc.list_repositories(&dev, req(None, false, false)).await,
        Err(DomainError::InvalidRequest(_))
    ));
    assert!(matches!(
        svc.list_repositories(&Caller::anonymous(), req(None, false, true))
            .await,
        Err(DomainError::InvalidRequest(_))
    ));
    let names = |page: RepositoryPage| {
        page.items
            .into_iter()
            .map(|i| i.repository.name)
            .collect::<Vec<_>>()
    };
    assert_eq!(
        names(
            svc.list_repositories(&dev, req(Some("devtable"), false, false))
                .await
                .unwrap()
        ),
        ["private", "public"]
    );
    let no_repo_scope = user(DEVTABLE, "devtable", "user:read");
    assert!(names(
        svc.list_repositories(&no_repo_scope, req(Some("devtable"), false, false))
            .await
            .unwrap()
    )
    .is_empty());
    assert_eq!(
        names(
            svc.list_repositories(&Caller::anonymous(), req(Some("devtable"), true, false))
                .await
                .unwrap()
        ),
        ["public"]
    );
}
