//! `PermissionStore` (repository permissions), `PrototypeStore` (default permissions)
//! and the application of prototypes when a repository is created.

use std::collections::BTreeMap;

use async_trait::async_trait;
use quay_core::role::Role;
use quay_core::{DomainError, DomainResult};
use quay_logs::NewLogEntry;
use quay_orgs::prototypes::{Delegate, NewPrototype, Prototype, PrototypeStore, PrototypeUser};
use quay_orgs::teams::Member;
use quay_repos::permissions::{Account, PermissionStore, TeamPermission, UserPermission};
use sea_orm::sea_query::Value;
use sea_orm::{ConnectionTrait, FromQueryResult};

use crate::logs::insert_log;
use crate::{execute, query_all, Database, SqlStore};

fn role(code: i16) -> DomainResult<Role> {
    Role::from_code(code).ok_or_else(|| DomainError::Internal(format!("bad role code {code}")))
}

/// Whether the user is in a team of organization `org` (an SQL expression on `n.id`).
const IN_ORG_TEAM: &str = "EXISTS(SELECT 1 FROM team_member tm JOIN team t ON t.id = tm.team_id \
     WHERE t.organization_id = ? AND tm.user_id = n.id)";

/// Sets (insert or update) a user's or team's role on a repository.
async fn upsert_permission(
    db: &Database,
    conn: &impl ConnectionTrait,
    repository_id: i64,
    user_id: Option<i64>,
    team_id: Option<i64>,
    role: Role,
) -> DomainResult<()> {
    let (column, id) = match (user_id, team_id) {
        (Some(u), None) => ("user_id", u),
        (None, Some(t)) => ("team_id", t),
        _ => {
            return Err(DomainError::Internal(
                "a permission is for a user or a team".into(),
            ))
        }
    };
    let updated = execute(
        db,
        conn,
        &format!(
            "UPDATE repository_permission SET role = ? WHERE repository_id = ? AND {column} = ?"
        ),
        vec![role.code().into(), repository_id.into(), id.into()],
    )
    .await?;
    if updated == 0 {
        execute(
            db,
            conn,
            &format!("INSERT INTO repository_permission (repository_id, {column}, role) VALUES (?, ?, ?)"),
            vec![repository_id.into(), id.into(), role.code().into()],
        )
        .await?;
    }
    Ok(())
}

/// Applies the organization's prototypes to a repository `creator` just created in it:
/// those of the creator and the generic ones, a creator-specific prototype winning over
/// a generic one for the same delegate; never a grant to the creator (already admin).
pub(crate) async fn apply_prototypes(
    db: &Database,
    conn: &impl ConnectionTrait,
    org_id: i64,
    repository_id: i64,
    creator: i64,
) -> DomainResult<()> {
    #[derive(FromQueryResult)]
    struct Row {
        activating_user_id: Option<i64>,
        delegate_user_id: Option<i64>,
        delegate_team_id: Option<i64>,
        role: i16,
    }
    let rows: Vec<Row> = query_all(
        db,
        conn,
        "SELECT activating_user_id, delegate_user_id, delegate_team_id, role \
         FROM permission_prototype WHERE org_id = ? \
         AND (activating_user_id = ? OR activating_user_id IS NULL) ORDER BY id",
        vec![org_id.into(), creator.into()],
    )
    .await?;
    // (is_team, delegate id) -> role
    let mut grants: BTreeMap<(bool, i64), i16> = BTreeMap::new();
    for r in rows {
        let key = match (r.delegate_user_id, r.delegate_team_id) {
            (Some(u), _) if u == creator => continue,
            (Some(u), _) => (false, u),
            (None, Some(t)) => (true, t),
            (None, None) => continue,
        };
        let specific = r.activating_user_id.is_some();
        if specific || !grants.contains_key(&key) {
            grants.insert(key, r.role);
        }
    }
    for ((is_team, id), code) in grants {
        let (user, team) = if is_team {
            (None, Some(id))
        } else {
            (Some(id), None)
        };
        upsert_permission(db, conn, repository_id, user, team, role(code)?).await?;
    }
    Ok(())
}

#[async_trait]
impl PermissionStore for SqlStore {
    async fn find_account(&self, name: &str) -> DomainResult<Option<Account>> {
        #[derive(FromQueryResult)]
        struct Row {
            id: i64,
            username: String,
            robot: bool,
            organization: bool,
            email: Option<String>,
        }
        let rows: Vec<Row> = query_all(
            &self.db,
            &self.db.conn,
            "SELECT id, username, robot, organization, email FROM namespace WHERE username = ?",
            vec![name.into()],
        )
        .await?;
        Ok(rows.into_iter().next().map(|r| Account {
            id: r.id,
            name: r.username,
            robot: r.robot,
            organization: r.organization,
            email: r.email,
        }))
    }

    async fn find_team_id(&self, org_id: i64, name: &str) -> DomainResult<Option<i64>> {
        #[derive(FromQueryResult)]
        struct Row {
            id: i64,
        }
        let rows: Vec<Row> = query_all(
            &self.db,
            &self.db.conn,
            "SELECT id FROM team WHERE organization_id = ? AND name = ?",
            vec![org_id.into(), name.into()],
        )
        .await?;
        Ok(rows.into_iter().next().map(|r| r.id))
    }

    async fn user_permissions(
        &self,
        repository_id: i64,
        org_id: Option<i64>,
    ) -> DomainResult<Vec<UserPermission>> {
        #[derive(FromQueryResult)]
        struct Row {
            id: i64,
            username: String,
            robot: bool,
            organization: bool,
            email: Option<String>,
            role: i16,
            in_org: bool,
        }
        let sql = format!(
            "SELECT n.id, n.username, n.robot, n.organization, n.email, p.role, {IN_ORG_TEAM} AS in_org \
             FROM repository_permission p JOIN namespace n ON n.id = p.user_id \
             WHERE p.repository_id = ? ORDER BY n.username"
        );
        let rows: Vec<Row> = query_all(
            &self.db,
            &self.db.conn,
            &sql,
            vec![org_id.unwrap_or(-1).into(), repository_id.into()],
        )
        .await?;
        rows.into_iter()
            .map(|r| {
                Ok(UserPermission {
                    role: role(r.role)?,
                    is_org_member: org_id.map(|_| r.robot || r.in_org),
                    account: Account {
                        id: r.id,
                        name: r.username,
                        robot: r.robot,
                        organization: r.organization,
                        email: r.email,
                    },
                })
            })
            .collect()
    }

    async fn team_permissions(&self, repository_id: i64) -> DomainResult<Vec<TeamPermission>> {
        #[derive(FromQueryResult)]
        struct Row {
            name: String,
            role: i16,
        }
        let rows: Vec<Row> = query_all(
            &self.db,
            &self.db.conn,
            "SELECT t.name, p.role FROM repository_permission p JOIN team t ON t.id = p.team_id \
             WHERE p.repository_id = ? ORDER BY t.name",
            vec![repository_id.into()],
        )
        .await?;
        rows.into_iter()
            .map(|r| {
                Ok(TeamPermission {
                    team: r.name,
                    role: role(r.role)?,
                })
            })
            .collect()
    }

    async fn transitive_roles(&self, repository_id: i64, user_id: i64) -> DomainResult<Vec<Role>> {
        #[derive(FromQueryResult)]
        struct Row {
            role: i16,
        }
        let rows: Vec<Row> = query_all(
            &self.db,
            &self.db.conn,
            "SELECT p.role FROM repository_permission p WHERE p.repository_id = ? AND \
             (p.user_id = ? OR p.team_id IN (SELECT team_id FROM team_member WHERE user_id = ?)) \
             ORDER BY p.id",
            vec![repository_id.into(), user_id.into(), user_id.into()],
        )
        .await?;
        rows.into_iter().map(|r| role(r.role)).collect()
    }

    async fn set_permission(
        &self,
        repository_id: i64,
        user_id: Option<i64>,
        team_id: Option<i64>,
        role: Role,
        log: NewLogEntry,
    ) -> DomainResult<()> {
        let txn = self.db.begin_write().await?;
        upsert_permission(&self.db, &*txn, repository_id, user_id, team_id, role).await?;
        insert_log(&*txn, log).await?;
        txn.commit().await
    }

    async fn delete_permission(
        &self,
        repository_id: i64,
        user_id: Option<i64>,
        team_id: Option<i64>,
        log: NewLogEntry,
    ) -> DomainResult<bool> {
        let (column, id) = match (user_id, team_id) {
            (Some(u), None) => ("user_id", u),
            (None, Some(t)) => ("team_id", t),
            _ => {
                return Err(DomainError::Internal(
                    "a permission is for a user or a team".into(),
                ))
            }
        };
        let txn = self.db.begin_write().await?;
        let deleted = execute(
            &self.db,
            &*txn,
            &format!("DELETE FROM repository_permission WHERE repository_id = ? AND {column} = ?"),
            vec![repository_id.into(), id.into()],
        )
        .await?;
        if deleted == 0 {
            return Ok(false);
        }
        insert_log(&*txn, log).await?;
        txn.commit().await?;
        Ok(true)
    }
}

#[async_trait]
impl PrototypeStore for SqlStore {
    async fn prototypes(&self, org_id: i64, uuid: Option<&str>) -> DomainResult<Vec<Prototype>> {
        #[derive(FromQueryResult)]
        struct Row {
            uuid: String,
            role: i16,
            a_id: Option<i64>,
            a_name: Option<String>,
            a_robot: Option<bool>,
            a_email: Option<String>,
            a_member: Option<bool>,
            d_id: Option<i64>,
            d_name: Option<String>,
            d_robot: Option<bool>,
            d_email: Option<String>,
            d_member: Option<bool>,
            team_name: Option<String>,
        }
        let member = |alias: &str| {
            format!(
                "EXISTS(SELECT 1 FROM team_member tm JOIN team tt ON tt.id = tm.team_id \
                 WHERE tt.organization_id = p.org_id AND tm.user_id = {alias}.id)"
            )
        };
        let mut sql = format!(
            "SELECT p.uuid, p.role, au.id AS a_id, au.username AS a_name, au.robot AS a_robot, \
             au.email AS a_email, {} AS a_member, du.id AS d_id, du.username AS d_name, \
             du.robot AS d_robot, du.email AS d_email, {} AS d_member, t.name AS team_name \
             FROM permission_prototype p LEFT JOIN namespace au ON au.id = p.activating_user_id \
             LEFT JOIN namespace du ON du.id = p.delegate_user_id \
             LEFT JOIN team t ON t.id = p.delegate_team_id WHERE p.org_id = ?",
            member("au"),
            member("du")
        );
        let mut values: Vec<Value> = vec![org_id.into()];
        if let Some(uuid) = uuid {
            sql.push_str(" AND p.uuid = ?");
            values.push(uuid.into());
        }
        sql.push_str(" ORDER BY p.id");
        let rows: Vec<Row> = query_all(&self.db, &self.db.conn, &sql, values).await?;
        let user = |id: Option<i64>,
                    name: Option<String>,
                    robot: Option<bool>,
                    email: Option<String>,
                    member: Option<bool>| {
            match (id, name) {
                (Some(id), Some(name)) => {
                    let robot = robot.unwrap_or(false);
                    Some(PrototypeUser {
                        member: Member {
                            id,
                            name,
                            robot,
                            email,
                        },
                        is_org_member: robot || member.unwrap_or(false),
                    })
                }
                _ => None,
            }
        };
        rows.into_iter()
            .map(|r| {
                let delegate = match (
                    user(r.d_id, r.d_name, r.d_robot, r.d_email, r.d_member),
                    r.team_name,
                ) {
                    (Some(u), _) => Delegate::User(u),
                    (None, Some(t)) => Delegate::Team(t),
                    (None, None) => {
                        return Err(DomainError::Internal(format!(
                            "prototype {}: no delegate",
                            r.uuid
                        )))
                    }
                };
                Ok(Prototype {
                    activating_user: user(r.a_id, r.a_name, r.a_robot, r.a_email, r.a_member),
                    delegate,
                    role: role(r.role)?,
                    uuid: r.uuid,
                })
            })
            .collect()
    }

    async fn create_prototype(&self, new: NewPrototype, log: NewLogEntry) -> DomainResult<()> {
        let txn = self.db.begin_write().await?;
        execute(
            &self.db,
            &*txn,
            "INSERT INTO permission_prototype (org_id, uuid, activating_user_id, delegate_user_id, \
             delegate_team_id, role) VALUES (?, ?, ?, ?, ?, ?)",
            vec![
                new.org_id.into(),
                new.uuid.into(),
                new.activating_user_id.into(),
                new.delegate_user_id.into(),
                new.delegate_team_id.into(),
                new.role.code().into(),
            ],
        )
        .await?;
        insert_log(&*txn, log).await?;
        txn.commit().await
    }

    async fn set_prototype_role(
        &self,
        org_id: i64,
        uuid: &str,
        role: Role,
        log: NewLogEntry,
    ) -> DomainResult<()> {
        let txn = self.db.begin_write().await?;
        let updated = execute(
            &self.db,
            &*txn,
            "UPDATE permission_prototype SET role = ? WHERE org_id = ? AND uuid = ?",
            vec![role.code().into(), org_id.into(), uuid.into()],
        )
        .await?;
        if updated == 0 {
            return Err(DomainError::NotFound);
        }
        insert_log(&*txn, log).await?;
        txn.commit().await
    }

    async fn delete_prototype(
        &self,
        org_id: i64,
        uuid: &str,
        log: NewLogEntry,
    ) -> DomainResult<()> {
        let txn = self.db.begin_write().await?;
        let deleted = execute(
            &self.db,
            &*txn,
            "DELETE FROM permission_prototype WHERE org_id = ? AND uuid = ?",
            vec![org_id.into(), uuid.into()],
        )
        .await?;
        if deleted == 0 {
            return Err(DomainError::NotFound);
        }
        insert_log(&*txn, log).await?;
        txn.commit().await
    }
}
