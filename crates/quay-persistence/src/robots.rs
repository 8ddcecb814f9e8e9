//! `RobotStore`: robots are namespace rows plus a `robot_account` row.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use quay_core::role::Role;
use quay_core::{DomainError, DomainResult};
use quay_logs::NewLogEntry;
use quay_orgs::robots::{NewRobot, RobotRecord, RobotRepositoryPermission, RobotStore};
use sea_orm::sea_query::Expr;
use sea_orm::sea_query::Value;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, NotSet,
    QueryFilter, Set,
};

use crate::entity::{namespace, robot_account};
use crate::logs::insert_log;
use crate::{db_err, query_all, Database, SqlStore};

const SELECT_ROBOT: &str = "SELECT n.id AS id, n.username AS name, r.owner_id AS owner_id, \
     n.creation_date AS created, n.last_accessed AS last_accessed, r.description AS description, \
     r.unstructured_json AS unstructured_json, r.token_sealed AS token_sealed \
     FROM namespace n JOIN robot_account r ON r.robot_id = n.id";

#[derive(FromQueryResult)]
struct Row {
    id: i64,
    name: String,
    owner_id: i64,
    created: DateTime<Utc>,
    last_accessed: Option<DateTime<Utc>>,
    description: String,
    unstructured_json: String,
    token_sealed: String,
}

impl Row {
    fn into_record(self) -> DomainResult<RobotRecord> {
        Ok(RobotRecord {
            unstructured_metadata: serde_json::from_str(&self.unstructured_json)
                .map_err(|e| DomainError::Internal(format!("robot {}: {e}", self.id)))?,
            id: self.id,
            name: self.name,
            owner_id: self.owner_id,
            created: self.created,
            last_accessed: self.last_accessed,
            description: self.description,
            token_sealed: self.token_sealed,
        })
    }
}

/// `?, ?, ...` for `n` values.
fn placeholders(n: usize) -> String {
    vec!["?"; n].join(", ")
}

/// Deletes the robots owned by `owner_id` (before the owner itself goes).
pub(crate) async fn delete_owned_robots(
    db: &Database,
    conn: &impl ConnectionTrait,
    owner_id: i64,
) -> DomainResult<()> {
    conn.execute(db.stmt(
        "DELETE FROM namespace WHERE id IN (SELECT robot_id FROM robot_account WHERE owner_id = ?)",
        vec![owner_id.into()],
    ))
    .await
    .map_err(db_err)?;
    Ok(())
}

/// Renames the robots of `owner_id` to `<new_owner_name>+<shortname>`.
pub(crate) async fn rename_owned_robots(
    db: &Database,
    conn: &impl ConnectionTrait,
    owner_id: i64,
    new_owner_name: &str,
) -> DomainResult<()> {
    #[derive(FromQueryResult)]
    struct Named {
        id: i64,
        username: String,
    }
    let robots: Vec<Named> = query_all(
        db,
        conn,
        "SELECT n.id, n.username FROM namespace n JOIN robot_account r ON r.robot_id = n.id \
         WHERE r.owner_id = ?",
        vec![owner_id.into()],
    )
    .await?;
    for robot in robots {
        let short = robot.username.split_once('+').map_or("", |(_, s)| s);
        conn.execute(db.stmt(
            "UPDATE namespace SET username = ? WHERE id = ?",
            vec![format!("{new_owner_name}+{short}").into(), robot.id.into()],
        ))
        .await
        .map_err(db_err)?;
    }
    Ok(())
}

#[async_trait]
impl RobotStore for SqlStore {
    async fn find_robot(&self, name: &str) -> DomainResult<Option<RobotRecord>> {
        let sql = format!("{SELECT_ROBOT} WHERE n.username = ? AND n.robot = ?");
        let rows: Vec<Row> = query_all(
            &self.db,
            &self.db.conn,
            &sql,
            vec![name.into(), true.into()],
        )
        .await?;
        rows.into_iter().next().map(Row::into_record).transpose()
    }

    async fn list_robots(
        &self,
        owner_id: i64,
        limit: Option<u64>,
    ) -> DomainResult<Vec<RobotRecord>> {
        let mut sql = format!("{SELECT_ROBOT} WHERE r.owner_id = ? ORDER BY n.username");
        let mut values: Vec<Value> = vec![owner_id.into()];
        if let Some(limit) = limit {
            sql.push_str(" LIMIT ?");
            values.push((limit.min(i64::MAX as u64) as i64).into());
        }
        let rows: Vec<Row> = query_all(&self.db, &self.db.conn, &sql, values).await?;
        rows.into_iter().map(Row::into_record).collect()
    }

    async fn robot_teams(&self, robot_ids: &[i64]) -> DomainResult<Vec<(i64, String)>> {
        #[derive(FromQueryResult)]
        struct TeamRow {
            user_id: i64,
            name: String,
        }
        let sql = format!(
            "SELECT tm.user_id AS user_id, t.name AS name FROM team_member tm \
             JOIN team t ON t.id = tm.team_id WHERE tm.user_id IN ({}) ORDER BY t.name",
            placeholders(robot_ids.len())
        );
        let values = robot_ids.iter().map(|&id| id.into()).collect();
        let rows: Vec<TeamRow> = query_all(&self.db, &self.db.conn, &sql, values).await?;
        Ok(rows.into_iter().map(|r| (r.user_id, r.name)).collect())
    }

    async fn robot_permissions(
        &self,
        robot_ids: &[i64],
    ) -> DomainResult<Vec<(i64, RobotRepositoryPermission)>> {
        #[derive(FromQueryResult)]
        struct PermRow {
            user_id: i64,
            name: String,
            visibility: String,
            role: i16,
        }
        let sql = format!(
            "SELECT p.user_id AS user_id, r.name AS name, r.visibility AS visibility, \
             p.role AS role FROM repository_permission p \
             JOIN repository r ON r.id = p.repository_id \
             WHERE p.user_id IN ({}) ORDER BY r.name",
            placeholders(robot_ids.len())
        );
        let values = robot_ids.iter().map(|&id| id.into()).collect();
        let rows: Vec<PermRow> = query_all(&self.db, &self.db.conn, &sql, values).await?;
        rows.into_iter()
            .map(|r| {
                let role = Role::from_code(r.role)
                    .ok_or_else(|| DomainError::Internal(format!("bad role code {}", r.role)))?;
                Ok((
                    r.user_id,
                    RobotRepositoryPermission {
                        repository: r.name,
                        public: r.visibility == "public",
                        role,
                    },
                ))
            })
            .collect()
    }

    async fn create_robot(&self, robot: NewRobot, log: NewLogEntry) -> DomainResult<RobotRecord> {
        let txn = self.db.begin_write().await?;
        let row = namespace::ActiveModel {
            id: NotSet,
            uuid: Set(uuid::Uuid::new_v4().to_string()),
            username: Set(robot.name.clone()),
            password_hash: Set(None),
            email: Set(None),
            verified: Set(true),
            organization: Set(false),
            robot: Set(true),
            enabled: Set(true),
            invoice_email: Set(false),
            invoice_email_address: Set(None),
            removed_tag_expiration_s: Set(0),
            given_name: Set(None),
            family_name: Set(None),
            company: Set(None),
            location: Set(None),
            stripe_id: Set(None),
            invalid_login_attempts: Set(0),
            last_invalid_login: Set(None),
            creation_date: Set(robot.created),
            last_accessed: Set(None),
        }
        .insert(&*txn)
        .await
        .map_err(db_err)?;
        robot_account::ActiveModel {
            robot_id: Set(row.id),
            owner_id: Set(robot.owner_id),
            description: Set(robot.description.clone()),
            unstructured_json: Set(robot.unstructured_metadata.to_string()),
            token_sealed: Set(robot.token_sealed.clone()),
        }
        .insert(&*txn)
        .await
        .map_err(db_err)?;
        insert_log(&*txn, log).await?;
        txn.commit().await?;
        Ok(RobotRecord {
            id: row.id,
            name: robot.name,
            owner_id: robot.owner_id,
            created: row.creation_date,
            last_accessed: None,
            description: robot.description,
            unstructured_metadata: robot.unstructured_metadata,
            token_sealed: robot.token_sealed,
        })
    }

    async fn delete_robot(&self, id: i64, log: NewLogEntry) -> DomainResult<()> {
        let txn = self.db.begin_write().await?;
        // Foreign keys cascade to the robot row, permissions and team memberships.
        let result = namespace::Entity::delete_by_id(id)
            .exec(&*txn)
            .await
            .map_err(db_err)?;
        if result.rows_affected == 0 {
            return Err(DomainError::NotFound);
        }
        insert_log(&*txn, log).await?;
        txn.commit().await
    }

    async fn set_robot_token(
        &self,
        id: i64,
        token_sealed: String,
        log: NewLogEntry,
    ) -> DomainResult<()> {
        let txn = self.db.begin_write().await?;
        let result = robot_account::Entity::update_many()
            .col_expr(
                robot_account::Column::TokenSealed,
                Expr::value(token_sealed),
            )
            .filter(robot_account::Column::RobotId.eq(id))
            .exec(&*txn)
            .await
            .map_err(db_err)?;
        if result.rows_affected == 0 {
            return Err(DomainError::NotFound);
        }
        insert_log(&*txn, log).await?;
        txn.commit().await
    }
}
