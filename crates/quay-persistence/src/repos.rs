//! `RepoStore`.

use async_trait::async_trait;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use quay_auth::NamespaceGrant;
use quay_core::names::RepositoryName;
use quay_core::role::{RepositoryKind, RepositoryState, Role, TeamRole, Visibility};
use quay_core::{DomainError, DomainResult};
use quay_logs::NewLogEntry;
use quay_repos::*;
use sea_orm::sea_query::{Expr, Value};
use sea_orm::{
    ActiveModelTrait, ConnectionTrait, EntityTrait, FromQueryResult, NotSet, QueryFilter, Set,
};

use crate::entity::{namespace, repository, repository_permission};
use crate::logs::insert_log;
use crate::{db_err, SqlStore};

/// How many days of pulls and pushes make up `popularity` (Quay: one week).
const POPULARITY_DAYS: i64 = 7;

/// No user has this id; binding it keeps the SQL the same for anonymous viewers.
const NOBODY: i64 = -1;

/// The repository columns (with their namespace's) every repository query selects.
const REPO_COLUMNS: &str = "r.id AS id, n.id AS namespace_id, n.username AS namespace, \
    n.organization AS namespace_is_org, n.enabled AS namespace_enabled, \
    n.removed_tag_expiration_s AS namespace_tag_expiration_s, r.name AS name, r.visibility AS visibility, r.description AS description, r.kind AS kind, \
    r.state AS state, r.trust_enabled AS trust_enabled, r.badge_token AS badge_token, \
    r.created AS created, r.last_modified AS last_modified";

/// The viewer's roles: direct, through teams, and organization-wide through admin teams.
const ROLE_COLUMNS: &str = "\
    (SELECT MAX(p.role) FROM repository_permission p WHERE p.repository_id = r.id AND p.user_id = ?) AS direct_role, \
    (SELECT MAX(p.role) FROM repository_permission p JOIN team_member tm ON tm.team_id = p.team_id \
        WHERE p.repository_id = r.id AND tm.user_id = ?) AS team_repo_role, \
    (SELECT MAX(t.role) FROM team t JOIN team_member tm ON tm.team_id = t.id \
        WHERE t.organization_id = n.id AND tm.user_id = ?) AS org_team_role, \
    EXISTS(SELECT 1 FROM star s WHERE s.repository_id = r.id AND s.user_id = ?) AS starred";

/// Repositories `r` (in namespace `r.namespace_id`) the viewer holds a grant on: directly,
/// through a team, through an organization admin team, or in their own namespace. Bind
/// [`granted_values`].
pub(crate) const GRANTED_TO_VIEWER: &str =
    "(r.id IN (SELECT p.repository_id FROM repository_permission p WHERE p.user_id = ?) \
     OR r.id IN (SELECT p.repository_id FROM repository_permission p \
         JOIN team_member tm ON tm.team_id = p.team_id WHERE tm.user_id = ?) \
     OR r.namespace_id IN (SELECT t.organization_id FROM team t \
         JOIN team_member tm ON tm.team_id = t.id WHERE t.role = ? AND tm.user_id = ?) \
     OR r.namespace_id = ?)";

/// The values [`GRANTED_TO_VIEWER`] binds, for `viewer` (an id no user has for nobody).
pub(crate) fn granted_values(viewer: i64) -> Vec<Value> {
    vec![
        viewer.into(),
        viewer.into(),
        TeamRole::Admin.code().into(),
        viewer.into(),
        viewer.into(),
    ]
}

/// The namespace and the viewer's roles; the repository columns (NULL when there is no
/// such repository) are decoded as a [`RepoRow`] from the same row.
#[derive(FromQueryResult)]
struct AccessRow {
    namespace_id: i64,
    namespace_enabled: bool,
    id: Option<i64>,
    direct_role: Option<i16>,
    team_repo_role: Option<i16>,
    org_team_role: Option<i16>,
    starred: Option<bool>,
}

#[derive(FromQueryResult)]
struct RepoRow {
    id: i64,
    namespace_id: i64,
    namespace: String,
    namespace_is_org: bool,
    namespace_enabled: bool,
    namespace_tag_expiration_s: i64,
    name: String,
    visibility: String,
    description: Option<String>,
    kind: String,
    state: i16,
    trust_enabled: bool,
    badge_token: String,
    created: DateTime<Utc>,
    last_modified: Option<DateTime<Utc>>,
}

impl RepoRow {
    fn into_domain(self) -> DomainResult<Repository> {
        let corrupt =
            |what: &str| DomainError::Internal(format!("repository {}: bad {what}", self.id));
        Ok(Repository {
            visibility: Visibility::parse(&self.visibility).ok_or_else(|| corrupt("visibility"))?,
            kind: RepositoryKind::parse(&self.kind).ok_or_else(|| corrupt("kind"))?,
            state: RepositoryState::from_code(self.state).ok_or_else(|| corrupt("state"))?,
            id: self.id,
            namespace_id: self.namespace_id,
            namespace: self.namespace,
            namespace_is_org: self.namespace_is_org,
            namespace_enabled: self.namespace_enabled,
            namespace_tag_expiration_s: self.namespace_tag_expiration_s,
            name: self.name,
            description: self.description,
            trust_enabled: self.trust_enabled,
            badge_token: self.badge_token,
            created: self.created,
            last_modified: self.last_modified,
        })
    }
}

/// The role a viewer holds in a namespace: its owner, or through admin teams.
fn namespace_role(
    namespace_id: i64,
    viewer: Option<i64>,
    org_team_role: Option<i16>,
) -> Option<Role> {
    if viewer == Some(namespace_id)
        || org_team_role.and_then(TeamRole::from_code) == Some(TeamRole::Admin)
    {
        Some(Role::Admin)
    } else {
        None
    }
}

impl SqlStore {
    async fn repository_by_id(
        &self,
        conn: &impl ConnectionTrait,
        id: i64,
    ) -> DomainResult<Repository> {
        let sql = format!(
            "SELECT {REPO_COLUMNS} FROM repository r JOIN namespace n ON n.id = r.namespace_id WHERE r.id = ?"
        );
        let row = conn
            .query_one(self.db.stmt(&sql, vec![id.into()]))
            .await
            .map_err(db_err)?
            .ok_or(DomainError::NotFound)?;
        RepoRow::from_query_result(&row, "")
            .map_err(db_err)?
            .into_domain()
    }
}

#[async_trait]
impl RepoStore for SqlStore {
    async fn repository_access(
        &self,
        name: &RepositoryName,
        viewer: Option<i64>,
    ) -> DomainResult<RepositoryAccess> {
        let v = viewer.unwrap_or(NOBODY);
        let sql = format!(
            "SELECT n.id AS namespace_id, n.username AS namespace, n.organization AS namespace_is_org, \
             n.enabled AS namespace_enabled, n.removed_tag_expiration_s AS namespace_tag_expiration_s, r.id AS id, r.name AS name, \
             r.visibility AS visibility, r.description AS description, r.kind AS kind, r.state AS state, \
             r.trust_enabled AS trust_enabled, r.badge_token AS badge_token, r.created AS created, \
             r.last_modified AS last_modified, {ROLE_COLUMNS} \
             FROM namespace n LEFT JOIN repository r ON r.namespace_id = n.id AND r.name = ? \
             WHERE n.username = ? AND n.robot = ?"
        );
        let values: Vec<Value> = vec![
            v.into(),
            v.into(),
            v.into(),
            v.into(),
            name.name.clone().into(),
            name.namespace.clone().into(),
            false.into(),
        ];
        let row = self
            .db
            .conn
            .query_one(self.db.stmt(&sql, values))
            .await
            .map_err(db_err)?;
        let Some(row) = row else {
            return Ok(RepositoryAccess {
                repository: None,
                granted: None,
                starred: false,
                namespace_disabled: false,
            });
        };
        let a = AccessRow::from_query_result(&row, "").map_err(db_err)?;
        let granted = namespace_role(a.namespace_id, viewer, a.org_team_role)
            .max(a.direct_role.and_then(Role::from_code))
            .max(a.team_repo_role.and_then(Role::from_code));
        let repository = match a.id {
            Some(_) => Some(
                RepoRow::from_query_result(&row, "")
                    .map_err(db_err)?
                    .into_domain()?,
            ),
            None => None,
        };
        Ok(RepositoryAccess {
            repository,
            granted,
            starred: a.starred.unwrap_or(false),
            namespace_disabled: !a.namespace_enabled,
        })
    }

    async fn namespace_grant_by_name(
        &self,
        namespace: &str,
        user_id: i64,
    ) -> DomainResult<Option<(NamespaceRef, NamespaceGrant)>> {
        let ns = namespace::Entity::find()
            .filter(Expr::col(namespace::Column::Username).eq(namespace))
            .one(&self.db.conn)
            .await
            .map_err(db_err)?;
        let Some(ns) = ns.filter(|n| !n.robot) else {
            return Ok(None);
        };
        let grant = crate::orgs::grant(&self.db, &self.db.conn, ns.id, user_id).await?;
        Ok(Some((
            NamespaceRef {
                id: ns.id,
                is_org: ns.organization,
            },
            grant,
        )))
    }

    async fn create_repository(
        &self,
        new: NewRepository,
        mut log: NewLogEntry,
    ) -> DomainResult<Repository> {
        let txn = self.db.begin_write().await?;
        let created = repository::ActiveModel {
            id: NotSet,
            namespace_id: Set(new.namespace_id),
            name: Set(new.name),
            visibility: Set(new.visibility.as_str().to_string()),
            description: Set(new.description),
            kind: Set(new.kind.as_str().to_string()),
            state: Set(RepositoryState::Normal.code()),
            trust_enabled: Set(false),
            badge_token: Set(new.badge_token),
            created: Set(new.created),
            last_modified: Set(None),
        }
        .insert(&*txn)
        .await
        .map_err(db_err)?;
        if let Some(creator) = new.creator_id {
            repository_permission::ActiveModel {
                id: NotSet,
                repository_id: Set(created.id),
                user_id: Set(Some(creator)),
                team_id: Set(None),
                role: Set(Role::Admin.code()),
            }
            .insert(&*txn)
            .await
            .map_err(db_err)?;
            // Prototypes exist only for organizations; one's own namespace has none.
            if creator != new.namespace_id {
                crate::permissions::apply_prototypes(
                    &self.db,
                    &*txn,
                    new.namespace_id,
                    created.id,
                    creator,
                )
                .await?;
            }
        }
        log.repository_id = Some(created.id);
        insert_log(&*txn, log).await?;
        let repo = self.repository_by_id(&*txn, created.id).await?;
        txn.commit().await?;
        Ok(repo)
    }

    async fn update_repository(
        &self,
        id: i64,
        change: RepositoryChange,
        log: NewLogEntry,
    ) -> DomainResult<()> {
        let txn = self.db.begin_write().await?;
        let update =
            repository::Entity::update_many().filter(Expr::col(repository::Column::Id).eq(id));
        let update = match change {
            RepositoryChange::Description(d) => {
                update.col_expr(repository::Column::Description, Expr::value(d))
            }
            RepositoryChange::Visibility(v) => {
                update.col_expr(repository::Column::Visibility, Expr::value(v.as_str()))
            }
        };
        let result = update.exec(&*txn).await.map_err(db_err)?;
        if result.rows_affected == 0 {
            return Err(DomainError::NotFound);
        }
        insert_log(&*txn, log).await?;
        txn.commit().await
    }

    async fn delete_repository(&self, id: i64, log: NewLogEntry) -> DomainResult<()> {
        let txn = self.db.begin_write().await?;
        let result = repository::Entity::delete_by_id(id)
            .exec(&*txn)
            .await
            .map_err(db_err)?;
        if result.rows_affected == 0 {
            return Err(DomainError::NotFound);
        }
        insert_log(&*txn, log).await?;
        txn.commit().await
    }

    async fn set_star(&self, user_id: i64, repository_id: i64, starred: bool) -> DomainResult<()> {
        let txn = self.db.begin_write().await?;
        let values = || vec![user_id.into(), repository_id.into()];
        if starred {
            let exists = txn
                .query_one(self.db.stmt(
                    "SELECT 1 AS one FROM star WHERE user_id = ? AND repository_id = ?",
                    values(),
                ))
                .await
                .map_err(db_err)?;
            if exists.is_none() {
                let mut v = values();
                v.push(Utc::now().into());
                txn.execute(self.db.stmt(
                    "INSERT INTO star (user_id, repository_id, created) VALUES (?, ?, ?)",
                    v,
                ))
                .await
                .map_err(db_err)?;
            }
        } else {
            txn.execute(self.db.stmt(
                "DELETE FROM star WHERE user_id = ? AND repository_id = ?",
                values(),
            ))
            .await
            .map_err(db_err)?;
        }
        txn.commit().await
    }

    async fn list_repositories(&self, q: &RepositoryQuery) -> DomainResult<RepositoryPage> {
        let v = q.viewer.unwrap_or(NOBODY);
        let since = (Utc::now() - Duration::days(POPULARITY_DAYS)).date_naive();
        let mut values: Vec<Value> = vec![v.into(), since.into()];
        let mut sql = format!(
            "SELECT {REPO_COLUMNS}, \
             EXISTS(SELECT 1 FROM star s WHERE s.repository_id = r.id AND s.user_id = ?) AS starred, \
             CAST((SELECT SUM(c.count) FROM repository_action_count c WHERE c.repository_id = r.id AND c.date >= ?) AS BIGINT) AS action_count \
             FROM repository r JOIN namespace n ON n.id = r.namespace_id \
             WHERE r.state <> ? AND r.kind = ?"
        );
        values.push(RepositoryState::MarkedForDeletion.code().into());
        values.push(q.kind.as_str().into());
        if let Some(ns) = &q.namespace {
            sql.push_str(" AND n.username = ?");
            values.push(ns.clone().into());
        }
        if let Some(after) = q.after_id {
            sql.push_str(" AND r.id > ?");
            values.push(after.into());
        }
        if q.starred_only {
            sql.push_str(" AND r.id IN (SELECT s.repository_id FROM star s WHERE s.user_id = ?)");
            values.push(v.into());
        }
        // Visible: public (when asked), or granted directly, through a team, through an
        // organization admin team, or in the viewer's own namespace.
        sql.push_str(" AND (");
        if q.include_public {
            sql.push_str("r.visibility = 'public' OR ");
        }
        sql.push_str(GRANTED_TO_VIEWER);
        sql.push(')');
        values.extend(granted_values(v));
        sql.push_str(" ORDER BY r.id LIMIT ?");
        values.push(((q.limit + 1) as i64).into());

        let rows = self
            .db
            .conn
            .query_all(self.db.stmt(&sql, values))
            .await
            .map_err(db_err)?;
        let mut items = Vec::with_capacity(rows.len());
        for row in &rows {
            let repository = RepoRow::from_query_result(row, "")
                .map_err(db_err)?
                .into_domain()?;
            let starred: bool = row.try_get("", "starred").map_err(db_err)?;
            let action_count: Option<i64> = row.try_get("", "action_count").map_err(db_err)?;
            items.push(RepositoryListItem {
                repository,
                starred,
                action_count: action_count.unwrap_or(0),
            });
        }
        let next_after_id = if items.len() as u64 > q.limit {
            items.truncate(q.limit as usize);
            items.last().map(|i| i.repository.id)
        } else {
            None
        };
        Ok(RepositoryPage {
            items,
            next_after_id,
        })
    }

    async fn action_counts(
        &self,
        repository_id: i64,
        since: NaiveDate,
    ) -> DomainResult<Vec<(NaiveDate, i64)>> {
        #[derive(FromQueryResult)]
        struct Row {
            date: NaiveDate,
            count: i64,
        }
        let stmt = self.db.stmt(
            "SELECT date, count FROM repository_action_count WHERE repository_id = ? AND date >= ? ORDER BY date",
            vec![repository_id.into(), since.into()],
        );
        let rows = self.db.conn.query_all(stmt).await.map_err(db_err)?;
        rows.iter()
            .map(|row| {
                Row::from_query_result(row, "")
                    .map(|r| (r.date, r.count))
                    .map_err(db_err)
            })
            .collect()
    }
}
