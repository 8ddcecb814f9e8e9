//! `TeamStore`: teams, memberships, invites (with their notifications).

use std::collections::BTreeMap;

use async_trait::async_trait;
use chrono::Utc;
use quay_core::role::{Role, TeamRole, Visibility};
use quay_core::{DomainError, DomainResult};
use quay_logs::NewLogEntry;
use quay_orgs::notifications::{NotificationRecord, NotificationStore};
use quay_orgs::teams::*;
use sea_orm::sea_query::Value;
use sea_orm::{ActiveModelTrait, ConnectionTrait, FromQueryResult, NotSet, Set};

use crate::entity::{notification, team_member_invite};
use crate::logs::insert_log;
use crate::{db_err, execute, query_all, Database, SqlStore};

#[derive(FromQueryResult)]
struct TeamRow {
    id: i64,
    organization_id: i64,
    name: String,
    description: String,
    role: i16,
}

impl TeamRow {
    fn into_domain(self) -> DomainResult<Team> {
        Ok(Team {
            role: TeamRole::from_code(self.role)
                .ok_or_else(|| DomainError::Internal(format!("team {}: bad role", self.id)))?,
            id: self.id,
            org_id: self.organization_id,
            name: self.name,
            description: self.description,
        })
    }
}

#[derive(FromQueryResult)]
struct MemberRow {
    id: i64,
    name: String,
    robot: bool,
    email: Option<String>,
}

impl From<MemberRow> for Member {
    fn from(r: MemberRow) -> Self {
        Member {
            id: r.id,
            name: r.name,
            robot: r.robot,
            email: r.email,
        }
    }
}

#[derive(FromQueryResult)]
struct InviteRow {
    id: i64,
    team_id: i64,
    email: Option<String>,
    user_id: Option<i64>,
    user_name: Option<String>,
    user_robot: Option<bool>,
    user_email: Option<String>,
    inviter: String,
}

impl From<InviteRow> for Invite {
    fn from(r: InviteRow) -> Self {
        let user = match (r.user_id, r.user_name) {
            (Some(id), Some(name)) => Some(Member {
                id,
                name,
                robot: r.user_robot.unwrap_or(false),
                email: r.user_email,
            }),
            _ => None,
        };
        Invite {
            id: r.id,
            team_id: r.team_id,
            user,
            email: r.email,
            inviter: r.inviter,
        }
    }
}

const SELECT_INVITE: &str = "SELECT i.id, i.team_id, i.email, u.id AS user_id, \
     u.username AS user_name, u.robot AS user_robot, u.email AS user_email, \
     inv.username AS inviter FROM team_member_invite i \
     LEFT JOIN namespace u ON u.id = i.user_id JOIN namespace inv ON inv.id = i.inviter_id";

async fn find_team_by(
    db: &Database,
    conn: &impl ConnectionTrait,
    org_id: i64,
    name: &str,
) -> DomainResult<Option<Team>> {
    let rows: Vec<TeamRow> = query_all(
        db,
        conn,
        "SELECT id, organization_id, name, description, role FROM team \
         WHERE organization_id = ? AND name = ?",
        vec![org_id.into(), name.into()],
    )
    .await?;
    rows.into_iter()
        .next()
        .map(TeamRow::into_domain)
        .transpose()
}

/// Adds the user to the team unless already there, and drops their invites to it.
async fn join_team(
    db: &Database,
    conn: &impl ConnectionTrait,
    team_id: i64,
    user_id: i64,
) -> DomainResult<()> {
    execute(
        db,
        conn,
        "INSERT INTO team_member (user_id, team_id) SELECT ?, ? WHERE NOT EXISTS \
         (SELECT 1 FROM team_member WHERE user_id = ? AND team_id = ?)",
        vec![
            user_id.into(),
            team_id.into(),
            user_id.into(),
            team_id.into(),
        ],
    )
    .await?;
    execute(
        db,
        conn,
        "DELETE FROM team_member_invite WHERE team_id = ? AND user_id = ?",
        vec![team_id.into(), user_id.into()],
    )
    .await?;
    Ok(())
}

/// Groups `(member, value)` rows by member, in row order.
fn group_members(rows: Vec<(Member, Option<String>)>) -> Vec<(Member, Vec<String>)> {
    let mut out: Vec<(Member, Vec<String>)> = Vec::new();
    for (member, value) in rows {
        match out.last_mut() {
            Some((last, values)) if last.id == member.id => values.extend(value),
            _ => out.push((member, value.into_iter().collect())),
        }
    }
    out
}

#[async_trait]
impl TeamStore for SqlStore {
    async fn find_team(&self, org_id: i64, name: &str) -> DomainResult<Option<Team>> {
        find_team_by(&self.db, &self.db.conn, org_id, name).await
    }

    async fn save_team(
        &self,
        org_id: i64,
        name: &str,
        role: TeamRole,
        description: &str,
        logs: Vec<NewLogEntry>,
    ) -> DomainResult<Team> {
        let txn = self.db.begin_write().await?;
        let updated = execute(
            &self.db,
            &*txn,
            "UPDATE team SET role = ?, description = ? WHERE organization_id = ? AND name = ?",
            vec![
                role.code().into(),
                description.into(),
                org_id.into(),
                name.into(),
            ],
        )
        .await?;
        if updated == 0 {
            execute(
                &self.db,
                &*txn,
                "INSERT INTO team (organization_id, name, role, description) VALUES (?, ?, ?, ?)",
                vec![
                    org_id.into(),
                    name.into(),
                    role.code().into(),
                    description.into(),
                ],
            )
            .await?;
        }
        for log in logs {
            insert_log(&*txn, log).await?;
        }
        let team = find_team_by(&self.db, &*txn, org_id, name)
            .await?
            .ok_or_else(|| DomainError::Internal(format!("team {name} vanished")))?;
        txn.commit().await?;
        Ok(team)
    }

    async fn delete_team(&self, team_id: i64, log: NewLogEntry) -> DomainResult<()> {
        let txn = self.db.begin_write().await?;
        // Memberships, invites (with their notifications), permissions and prototypes
        // naming the team cascade.
        let deleted = execute(
            &self.db,
            &*txn,
            "DELETE FROM team WHERE id = ?",
            vec![team_id.into()],
        )
        .await?;
        if deleted == 0 {
            return Err(DomainError::NotFound);
        }
        insert_log(&*txn, log).await?;
        txn.commit().await
    }

    async fn team_members(&self, team_id: i64) -> DomainResult<Vec<Member>> {
        let rows: Vec<MemberRow> = query_all(
            &self.db,
            &self.db.conn,
            "SELECT n.id, n.username AS name, n.robot, n.email FROM team_member tm \
             JOIN namespace n ON n.id = tm.user_id WHERE tm.team_id = ? ORDER BY n.username",
            vec![team_id.into()],
        )
        .await?;
        Ok(rows.into_iter().map(Member::from).collect())
    }

    async fn team_invites(&self, team_id: i64) -> DomainResult<Vec<Invite>> {
        let sql = format!("{SELECT_INVITE} WHERE i.team_id = ? ORDER BY i.id");
        let rows: Vec<InviteRow> =
            query_all(&self.db, &self.db.conn, &sql, vec![team_id.into()]).await?;
        Ok(rows.into_iter().map(Invite::from).collect())
    }

    async fn admin_teams_of(&self, org_id: i64, user_id: i64) -> DomainResult<Vec<String>> {
        #[derive(FromQueryResult)]
        struct Row {
            name: String,
        }
        let rows: Vec<Row> = query_all(
            &self.db,
            &self.db.conn,
            "SELECT t.name FROM team t JOIN team_member tm ON tm.team_id = t.id \
             WHERE t.organization_id = ? AND tm.user_id = ? AND t.role = ? ORDER BY t.name",
            vec![org_id.into(), user_id.into(), TeamRole::Admin.code().into()],
        )
        .await?;
        Ok(rows.into_iter().map(|r| r.name).collect())
    }

    async fn org_admins(&self, org_id: i64) -> DomainResult<Vec<i64>> {
        #[derive(FromQueryResult)]
        struct Row {
            user_id: i64,
        }
        let rows: Vec<Row> = query_all(
            &self.db,
            &self.db.conn,
            "SELECT DISTINCT tm.user_id FROM team t JOIN team_member tm ON tm.team_id = t.id \
             JOIN namespace n ON n.id = tm.user_id \
             WHERE t.organization_id = ? AND t.role = ? AND n.robot = ? ORDER BY tm.user_id",
            vec![org_id.into(), TeamRole::Admin.code().into(), false.into()],
        )
        .await?;
        Ok(rows.into_iter().map(|r| r.user_id).collect())
    }

    async fn add_team_member(
        &self,
        team_id: i64,
        user_id: i64,
        log: NewLogEntry,
    ) -> DomainResult<()> {
        let txn = self.db.begin_write().await?;
        join_team(&self.db, &*txn, team_id, user_id).await?;
        insert_log(&*txn, log).await?;
        txn.commit().await
    }

    async fn remove_team_member(
        &self,
        team_id: i64,
        user_id: i64,
        log: NewLogEntry,
    ) -> DomainResult<bool> {
        let txn = self.db.begin_write().await?;
        let removed = execute(
            &self.db,
            &*txn,
            "DELETE FROM team_member WHERE team_id = ? AND user_id = ?",
            vec![team_id.into(), user_id.into()],
        )
        .await?;
        if removed == 0 {
            return Ok(false);
        }
        insert_log(&*txn, log).await?;
        txn.commit().await?;
        Ok(true)
    }

    async fn create_invite(&self, invite: NewInvite, log: NewLogEntry) -> DomainResult<Invite> {
        let txn = self.db.begin_write().await?;
        let now = Utc::now();
        let row = team_member_invite::ActiveModel {
            id: NotSet,
            user_id: Set(invite.user_id),
            email: Set(invite.email),
            team_id: Set(invite.team_id),
            inviter_id: Set(invite.inviter_id),
            token_digest: Set(invite.token_digest),
            token_sealed: Set(invite.token_sealed),
            created: Set(now),
        }
        .insert(&*txn)
        .await
        .map_err(db_err)?;
        if let (Some(note), Some(target)) = (invite.notify, invite.user_id) {
            notification::ActiveModel {
                id: NotSet,
                uuid: Set(note.uuid),
                kind: Set("org_team_invite".into()),
                target_id: Set(target),
                metadata_json: Set(note.metadata.to_string()),
                invite_id: Set(Some(row.id)),
                created: Set(now),
                dismissed: Set(false),
            }
            .insert(&*txn)
            .await
            .map_err(db_err)?;
        }
        insert_log(&*txn, log).await?;
        let sql = format!("{SELECT_INVITE} WHERE i.id = ?");
        let rows: Vec<InviteRow> = query_all(&self.db, &*txn, &sql, vec![row.id.into()]).await?;
        txn.commit().await?;
        rows.into_iter()
            .next()
            .map(Invite::from)
            .ok_or_else(|| DomainError::Internal("invite vanished".into()))
    }

    async fn find_invite(&self, token_digest: &str) -> DomainResult<Option<InviteTarget>> {
        let sql = format!("{SELECT_INVITE} WHERE i.token_digest = ?");
        let rows: Vec<InviteRow> =
            query_all(&self.db, &self.db.conn, &sql, vec![token_digest.into()]).await?;
        let Some(invite) = rows.into_iter().next().map(Invite::from) else {
            return Ok(None);
        };
        #[derive(FromQueryResult)]
        struct Row {
            id: i64,
            organization_id: i64,
            name: String,
            description: String,
            role: i16,
            org: String,
        }
        let teams: Vec<Row> = query_all(
            &self.db,
            &self.db.conn,
            "SELECT t.id, t.organization_id, t.name, t.description, t.role, n.username AS org \
             FROM team t JOIN namespace n ON n.id = t.organization_id WHERE t.id = ?",
            vec![invite.team_id.into()],
        )
        .await?;
        let Some(row) = teams.into_iter().next() else {
            return Ok(None);
        };
        let org = row.org;
        let team = TeamRow {
            id: row.id,
            organization_id: row.organization_id,
            name: row.name,
            description: row.description,
            role: row.role,
        }
        .into_domain()?;
        Ok(Some(InviteTarget { invite, team, org }))
    }

    async fn accept_invite(
        &self,
        invite: &Invite,
        org_id: i64,
        user_id: i64,
        email: Option<&str>,
        log: NewLogEntry,
    ) -> DomainResult<()> {
        #[derive(FromQueryResult)]
        struct Row {
            id: i64,
            team_id: i64,
        }
        let txn = self.db.begin_write().await?;
        let invites: Vec<Row> = query_all(
            &self.db,
            &*txn,
            "SELECT i.id, i.team_id FROM team_member_invite i JOIN team t ON t.id = i.team_id \
             WHERE t.organization_id = ? AND (i.id = ? OR i.user_id = ? OR i.email = ?)",
            vec![
                org_id.into(),
                invite.id.into(),
                user_id.into(),
                email.unwrap_or("").into(),
            ],
        )
        .await?;
        if !invites.iter().any(|i| i.id == invite.id) {
            // Accepted or withdrawn concurrently.
            return Err(DomainError::rejected("Invalid confirmation code."));
        }
        for row in &invites {
            execute(
                &self.db,
                &*txn,
                "DELETE FROM team_member_invite WHERE id = ?",
                vec![row.id.into()],
            )
            .await?;
            join_team(&self.db, &*txn, row.team_id, user_id).await?;
        }
        insert_log(&*txn, log).await?;
        txn.commit().await
    }

    async fn delete_invite(&self, invite_id: i64, log: NewLogEntry) -> DomainResult<()> {
        let txn = self.db.begin_write().await?;
        let gone = execute(
            &self.db,
            &*txn,
            "DELETE FROM team_member_invite WHERE id = ?",
            vec![invite_id.into()],
        )
        .await?;
        if gone == 0 {
            return Err(DomainError::rejected("Invalid confirmation code."));
        }
        insert_log(&*txn, log).await?;
        txn.commit().await
    }

    async fn delete_email_invites(
        &self,
        team_id: i64,
        email: &str,
        log: NewLogEntry,
    ) -> DomainResult<bool> {
        let txn = self.db.begin_write().await?;
        let gone = execute(
            &self.db,
            &*txn,
            "DELETE FROM team_member_invite WHERE team_id = ? AND email = ?",
            vec![team_id.into(), email.into()],
        )
        .await?;
        if gone == 0 {
            return Ok(false);
        }
        insert_log(&*txn, log).await?;
        txn.commit().await?;
        Ok(true)
    }

    async fn team_permissions(&self, team_id: i64) -> DomainResult<Vec<TeamRepositoryPermission>> {
        #[derive(FromQueryResult)]
        struct Row {
            name: String,
            visibility: String,
            role: i16,
        }
        let rows: Vec<Row> = query_all(
            &self.db,
            &self.db.conn,
            "SELECT r.name, r.visibility, p.role FROM repository_permission p \
             JOIN repository r ON r.id = p.repository_id WHERE p.team_id = ? ORDER BY r.name",
            vec![team_id.into()],
        )
        .await?;
        rows.into_iter()
            .map(|r| {
                Ok(TeamRepositoryPermission {
                    public: Visibility::parse(&r.visibility).is_some_and(Visibility::is_public),
                    role: Role::from_code(r.role).ok_or_else(|| {
                        DomainError::Internal(format!("permission on {}: bad role", r.name))
                    })?,
                    repository: r.name,
                })
            })
            .collect()
    }

    async fn org_members(&self, org_id: i64) -> DomainResult<Vec<OrgMember>> {
        #[derive(FromQueryResult)]
        struct Row {
            id: i64,
            name: String,
            robot: bool,
            email: Option<String>,
            value: Option<String>,
        }
        let split = |rows: Vec<Row>| {
            rows.into_iter()
                .map(|r| {
                    (
                        Member {
                            id: r.id,
                            name: r.name,
                            robot: r.robot,
                            email: r.email,
                        },
                        r.value,
                    )
                })
                .collect::<Vec<_>>()
        };
        let teams: Vec<Row> = query_all(
            &self.db,
            &self.db.conn,
            "SELECT n.id, n.username AS name, n.robot, n.email, t.name AS value FROM team t \
             JOIN team_member tm ON tm.team_id = t.id JOIN namespace n ON n.id = tm.user_id \
             WHERE t.organization_id = ? ORDER BY n.username, t.name",
            vec![org_id.into()],
        )
        .await?;
        let repos: Vec<Row> = query_all(
            &self.db,
            &self.db.conn,
            "SELECT n.id, n.username AS name, n.robot, n.email, r.name AS value \
             FROM repository_permission p JOIN repository r ON r.id = p.repository_id \
             JOIN namespace n ON n.id = p.user_id WHERE r.namespace_id = ? \
             ORDER BY n.username, r.name",
            vec![org_id.into()],
        )
        .await?;
        let mut repositories: BTreeMap<i64, Vec<String>> = BTreeMap::new();
        for (member, repos) in group_members(split(repos)) {
            repositories.insert(member.id, repos);
        }
        Ok(group_members(split(teams))
            .into_iter()
            .map(|(member, teams)| OrgMember {
                repositories: repositories.remove(&member.id).unwrap_or_default(),
                member,
                teams,
            })
            .collect())
    }

    async fn org_collaborators(&self, org_id: i64) -> DomainResult<Vec<OrgMember>> {
        #[derive(FromQueryResult)]
        struct Row {
            id: i64,
            name: String,
            robot: bool,
            email: Option<String>,
            repo: String,
        }
        let rows: Vec<Row> = query_all(
            &self.db,
            &self.db.conn,
            "SELECT n.id, n.username AS name, n.robot, n.email, r.name AS repo \
             FROM repository_permission p JOIN repository r ON r.id = p.repository_id \
             JOIN namespace n ON n.id = p.user_id \
             WHERE r.namespace_id = ? AND n.robot = ? AND NOT EXISTS (SELECT 1 FROM team_member tm \
               JOIN team t ON t.id = tm.team_id WHERE t.organization_id = ? AND tm.user_id = n.id) \
             ORDER BY n.username, r.name",
            vec![org_id.into(), false.into(), org_id.into()],
        )
        .await?;
        let rows = rows
            .into_iter()
            .map(|r| {
                (
                    Member {
                        id: r.id,
                        name: r.name,
                        robot: r.robot,
                        email: r.email,
                    },
                    Some(r.repo),
                )
            })
            .collect();
        Ok(group_members(rows)
            .into_iter()
            .map(|(member, repositories)| OrgMember {
                member,
                teams: Vec::new(),
                repositories,
            })
            .collect())
    }

    async fn direct_repositories(&self, org_id: i64, user_id: i64) -> DomainResult<Vec<String>> {
        #[derive(FromQueryResult)]
        struct Row {
            name: String,
        }
        let rows: Vec<Row> = query_all(
            &self.db,
            &self.db.conn,
            "SELECT r.name FROM repository_permission p JOIN repository r ON r.id = p.repository_id \
             WHERE r.namespace_id = ? AND p.user_id = ? ORDER BY r.name",
            vec![org_id.into(), user_id.into()],
        )
        .await?;
        Ok(rows.into_iter().map(|r| r.name).collect())
    }

    async fn remove_org_member(
        &self,
        org_id: i64,
        user_id: i64,
        log: NewLogEntry,
    ) -> DomainResult<()> {
        let txn = self.db.begin_write().await?;
        let values = || vec![user_id.into(), org_id.into()];
        execute(
            &self.db,
            &*txn,
            "DELETE FROM team_member WHERE user_id = ? AND team_id IN \
             (SELECT id FROM team WHERE organization_id = ?)",
            values(),
        )
        .await?;
        execute(
            &self.db,
            &*txn,
            "DELETE FROM team_member_invite WHERE user_id = ? AND team_id IN \
             (SELECT id FROM team WHERE organization_id = ?)",
            values(),
        )
        .await?;
        execute(
            &self.db,
            &*txn,
            "DELETE FROM repository_permission WHERE user_id = ? AND repository_id IN \
             (SELECT id FROM repository WHERE namespace_id = ?)",
            values(),
        )
        .await?;
        insert_log(&*txn, log).await?;
        txn.commit().await
    }
}

#[async_trait]
impl NotificationStore for SqlStore {
    async fn list_notifications(
        &self,
        user_id: i64,
        uuid: Option<&str>,
        include_dismissed: bool,
        offset: u64,
        limit: u64,
    ) -> DomainResult<Vec<NotificationRecord>> {
        #[derive(FromQueryResult)]
        struct Row {
            uuid: String,
            kind: String,
            target_name: String,
            target_is_org: bool,
            created: chrono::DateTime<Utc>,
            metadata_json: String,
            dismissed: bool,
            invite_token_sealed: Option<String>,
        }
        let mut sql = String::from(
            "SELECT no.uuid, no.kind, tgt.username AS target_name, tgt.organization AS target_is_org, \
             no.created, no.metadata_json, no.dismissed, i.token_sealed AS invite_token_sealed \
             FROM notification no JOIN namespace tgt ON tgt.id = no.target_id \
             LEFT JOIN team_member_invite i ON i.id = no.invite_id \
             WHERE (no.target_id = ? OR no.target_id IN (SELECT t.organization_id FROM team t \
               JOIN team_member tm ON tm.team_id = t.id WHERE tm.user_id = ? AND t.role = ?))",
        );
        let mut values: Vec<Value> = vec![
            user_id.into(),
            user_id.into(),
            TeamRole::Admin.code().into(),
        ];
        if let Some(uuid) = uuid {
            sql.push_str(" AND no.uuid = ?");
            values.push(uuid.into());
        }
        if !include_dismissed {
            sql.push_str(" AND no.dismissed = ?");
            values.push(false.into());
        }
        sql.push_str(" ORDER BY no.created DESC, no.id DESC LIMIT ? OFFSET ?");
        values.push((limit.min(i64::MAX as u64) as i64).into());
        values.push((offset.min(i64::MAX as u64) as i64).into());
        let rows: Vec<Row> = query_all(&self.db, &self.db.conn, &sql, values).await?;
        rows.into_iter()
            .map(|r| {
                Ok(NotificationRecord {
                    metadata: serde_json::from_str(&r.metadata_json).map_err(|e| {
                        DomainError::Internal(format!("notification {}: {e}", r.uuid))
                    })?,
                    uuid: r.uuid,
                    kind: r.kind,
                    organization: r.target_is_org.then_some(r.target_name),
                    created: r.created,
                    dismissed: r.dismissed,
                    invite_token_sealed: r.invite_token_sealed,
                })
            })
            .collect()
    }

    async fn set_dismissed(&self, uuid: &str, dismissed: bool) -> DomainResult<()> {
        let txn = self.db.begin_write().await?;
        execute(
            &self.db,
            &*txn,
            "UPDATE notification SET dismissed = ? WHERE uuid = ?",
            vec![dismissed.into(), uuid.into()],
        )
        .await?;
        txn.commit().await
    }
}
