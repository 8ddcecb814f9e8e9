//! `NamespaceStore`.

use async_trait::async_trait;
use quay_auth::NamespaceGrant;
use quay_core::role::TeamRole;
use quay_core::{DomainError, DomainResult};
use quay_logs::NewLogEntry;
use quay_orgs::*;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, NotSet,
    QueryFilter, QueryOrder, QuerySelect, Set,
};

use crate::entity::{namespace, oauth_access_token, oauth_application, team, team_member};
use crate::logs::insert_log;
use crate::{db_err, Database, SqlStore};

/// The user's standing in a namespace: its owner, or the highest role of their teams.
pub(crate) async fn grant(
    db: &Database,
    conn: &impl ConnectionTrait,
    namespace_id: i64,
    user_id: i64,
) -> DomainResult<NamespaceGrant> {
    if namespace_id == user_id {
        return Ok(NamespaceGrant::Owner);
    }
    #[derive(FromQueryResult)]
    struct Row {
        role: Option<i16>,
    }
    let stmt = db.stmt(
        "SELECT MAX(t.role) AS role FROM team t JOIN team_member tm ON tm.team_id = t.id \
         WHERE t.organization_id = ? AND tm.user_id = ?",
        vec![namespace_id.into(), user_id.into()],
    );
    let role = match conn.query_one(stmt).await.map_err(db_err)? {
        Some(row) => Row::from_query_result(&row, "").map_err(db_err)?.role,
        None => None,
    };
    Ok(role
        .and_then(TeamRole::from_code)
        .map_or(NamespaceGrant::None, NamespaceGrant::Team))
}

fn to_domain(m: namespace::Model) -> Namespace {
    Namespace {
        id: m.id,
        uuid: m.uuid,
        username: m.username,
        email: m.email,
        verified: m.verified,
        organization: m.organization,
        robot: m.robot,
        enabled: m.enabled,
        invoice_email: m.invoice_email,
        invoice_email_address: m.invoice_email_address,
        tag_expiration_s: m.removed_tag_expiration_s,
        given_name: m.given_name,
        family_name: m.family_name,
        company: m.company,
        location: m.location,
        stripe_id: m.stripe_id,
        has_password: m.password_hash.is_some(),
        creation_date: m.creation_date,
    }
}

/// Inserts a user row (with its password hash) on `conn`.
async fn insert_user(conn: &impl ConnectionTrait, user: NewUser) -> DomainResult<namespace::Model> {
    new_namespace(
        user.username,
        user.email,
        Some(user.password_hash),
        false,
        user.verified,
        user.tag_expiration_s,
        user.created,
    )
    .insert(conn)
    .await
    .map_err(db_err)
}

fn new_namespace(
    username: String,
    email: Option<String>,
    password_hash: Option<String>,
    organization: bool,
    verified: bool,
    tag_expiration_s: i64,
    created: chrono::DateTime<chrono::Utc>,
) -> namespace::ActiveModel {
    namespace::ActiveModel {
        id: NotSet,
        uuid: Set(uuid::Uuid::new_v4().to_string()),
        username: Set(username),
        password_hash: Set(password_hash),
        email: Set(email),
        verified: Set(verified),
        organization: Set(organization),
        robot: Set(false),
        enabled: Set(true),
        invoice_email: Set(false),
        invoice_email_address: Set(None),
        removed_tag_expiration_s: Set(tag_expiration_s),
        given_name: Set(None),
        family_name: Set(None),
        company: Set(None),
        location: Set(None),
        stripe_id: Set(None),
        invalid_login_attempts: Set(0),
        last_invalid_login: Set(None),
        creation_date: Set(created),
        last_accessed: Set(None),
    }
}

#[async_trait]
impl NamespaceStore for SqlStore {
    async fn has_namespaces(&self) -> DomainResult<bool> {
        let any = namespace::Entity::find()
            .one(&self.db.conn)
            .await
            .map_err(db_err)?;
        Ok(any.is_some())
    }

    async fn find_namespace(&self, name: &str) -> DomainResult<Option<Namespace>> {
        let found = namespace::Entity::find()
            .filter(namespace::Column::Username.eq(name))
            .one(&self.db.conn)
            .await
            .map_err(db_err)?;
        Ok(found.map(to_domain))
    }

    async fn find_namespace_by_id(&self, id: i64) -> DomainResult<Option<Namespace>> {
        let found = namespace::Entity::find_by_id(id)
            .one(&self.db.conn)
            .await
            .map_err(db_err)?;
        Ok(found.map(to_domain))
    }

    async fn email_in_use(&self, email: &str) -> DomainResult<bool> {
        let found = namespace::Entity::find()
            .filter(namespace::Column::Email.eq(email))
            .one(&self.db.conn)
            .await
            .map_err(db_err)?;
        Ok(found.is_some())
    }

    async fn list_users(
        &self,
        include_disabled: bool,
        after_id: Option<i64>,
        limit: u64,
    ) -> DomainResult<Vec<Namespace>> {
        use sea_orm::QuerySelect;
        let mut query = namespace::Entity::find()
            .filter(namespace::Column::Organization.eq(false))
            .filter(namespace::Column::Robot.eq(false));
        if !include_disabled {
            query = query.filter(namespace::Column::Enabled.eq(true));
        }
        if let Some(after) = after_id {
            query = query.filter(namespace::Column::Id.gt(after));
        }
        let rows = query
            .order_by_asc(namespace::Column::Id)
            .limit(limit)
            .all(&self.db.conn)
            .await
            .map_err(db_err)?;
        Ok(rows.into_iter().map(to_domain).collect())
    }

    async fn create_user(&self, user: NewUser, mut log: NewLogEntry) -> DomainResult<Namespace> {
        let txn = self.db.begin_write().await?;
        let created = insert_user(&*txn, user).await?;
        log.account_id = Some(created.id);
        insert_log(&*txn, log).await?;
        txn.commit().await?;
        Ok(to_domain(created))
    }

    async fn initialize_user(
        &self,
        user: NewUser,
        grant: Option<NewTokenGrant>,
        mut log: NewLogEntry,
    ) -> DomainResult<Namespace> {
        let txn = self.db.begin_write().await?;
        // Checked again inside the transaction: two racing initializations make one user.
        if namespace::Entity::find()
            .one(&*txn)
            .await
            .map_err(db_err)?
            .is_some()
        {
            return Err(DomainError::Conflict("database is not empty".into()));
        }
        let created = insert_user(&*txn, user).await?;
        if let Some(g) = grant {
            let app = oauth_application::ActiveModel {
                id: NotSet,
                client_id: Set(g.client_id),
                secure_client_secret: Set(None),
                organization_id: Set(created.id),
                name: Set(g.application_name),
                description: Set(g.application_description),
                redirect_uri: Set(String::new()),
                application_uri: Set(String::new()),
                avatar_email: Set(None),
            }
            .insert(&*txn)
            .await
            .map_err(db_err)?;
            oauth_access_token::ActiveModel {
                id: NotSet,
                uuid: Set(uuid::Uuid::new_v4().to_string()),
                application_id: Set(app.id),
                authorized_user_id: Set(created.id),
                scope: Set(g.scope),
                token_name: Set(g.token_name),
                token_code_digest: Set(g.token_code_digest),
                token_type: Set("token".into()),
                expires_at: Set(g.expires_at),
                data: Set(None),
            }
            .insert(&*txn)
            .await
            .map_err(db_err)?;
        }
        log.account_id = Some(created.id);
        log.performer_id = Some(created.id);
        insert_log(&*txn, log).await?;
        txn.commit().await?;
        Ok(to_domain(created))
    }

    async fn create_organization(
        &self,
        org: NewOrganization,
        mut log: NewLogEntry,
    ) -> DomainResult<Namespace> {
        let txn = self.db.begin_write().await?;
        let created = new_namespace(
            org.name,
            org.email,
            None,
            true,
            false,
            org.tag_expiration_s,
            org.created,
        )
        .insert(&*txn)
        .await
        .map_err(db_err)?;
        let owners = team::ActiveModel {
            id: NotSet,
            organization_id: Set(created.id),
            name: Set("owners".into()),
            role: Set(TeamRole::Admin.code()),
            description: Set(String::new()),
        }
        .insert(&*txn)
        .await
        .map_err(db_err)?;
        team_member::ActiveModel {
            id: NotSet,
            user_id: Set(org.creator_id),
            team_id: Set(owners.id),
        }
        .insert(&*txn)
        .await
        .map_err(db_err)?;
        log.account_id = Some(created.id);
        insert_log(&*txn, log).await?;
        txn.commit().await?;
        Ok(to_domain(created))
    }

    async fn update_namespace(
        &self,
        id: i64,
        changes: NamespaceChanges,
        logs: Vec<NewLogEntry>,
    ) -> DomainResult<Namespace> {
        let txn = self.db.begin_write().await?;
        let mut update = namespace::Entity::update_many().filter(namespace::Column::Id.eq(id));
        if let Some(email) = changes.email {
            update = update.col_expr(namespace::Column::Email, Expr::value(email));
        }
        if let Some(v) = changes.verified {
            update = update.col_expr(namespace::Column::Verified, Expr::value(v));
        }
        if let Some(hash) = changes.password_hash {
            update = update.col_expr(namespace::Column::PasswordHash, Expr::value(hash));
        }
        if let Some(v) = changes.enabled {
            update = update.col_expr(namespace::Column::Enabled, Expr::value(v));
        }
        for (column, value) in [
            (namespace::Column::GivenName, changes.given_name),
            (namespace::Column::FamilyName, changes.family_name),
            (namespace::Column::Company, changes.company),
            (namespace::Column::Location, changes.location),
        ] {
            if let Some(v) = value {
                update = update.col_expr(column, Expr::value(v));
            }
        }
        if changes.rotate_uuid {
            let uuid = uuid::Uuid::new_v4().to_string();
            update = update.col_expr(namespace::Column::Uuid, Expr::value(uuid));
        }
        if let Some(v) = changes.invoice_email {
            update = update.col_expr(namespace::Column::InvoiceEmail, Expr::value(v));
        }
        if let Some(v) = changes.invoice_email_address {
            update = update.col_expr(namespace::Column::InvoiceEmailAddress, Expr::value(v));
        }
        if let Some(v) = changes.tag_expiration_s {
            update = update.col_expr(namespace::Column::RemovedTagExpirationS, Expr::value(v));
        }
        if let Some(name) = &changes.username {
            update = update.col_expr(namespace::Column::Username, Expr::value(name.clone()));
            crate::robots::rename_owned_robots(&self.db, &*txn, id, name).await?;
        }
        update.exec(&*txn).await.map_err(db_err)?;
        for log in logs {
            insert_log(&*txn, log).await?;
        }
        let row = namespace::Entity::find_by_id(id)
            .one(&*txn)
            .await
            .map_err(db_err)?
            .ok_or(DomainError::NotFound)?;
        txn.commit().await?;
        Ok(to_domain(row))
    }

    async fn delete_namespace(&self, id: i64, log: NewLogEntry) -> DomainResult<()> {
        let txn = self.db.begin_write().await?;
        insert_log(&*txn, log).await?;
        crate::robots::delete_owned_robots(&self.db, &*txn, id).await?;
        // Foreign keys cascade to teams, members, repositories, permissions, stars,
        // applications and tokens.
        let result = namespace::Entity::delete_by_id(id)
            .exec(&*txn)
            .await
            .map_err(db_err)?;
        if result.rows_affected == 0 {
            return Err(DomainError::NotFound);
        }
        txn.commit().await
    }

    async fn list_organizations(
        &self,
        after_id: Option<i64>,
        limit: u64,
    ) -> DomainResult<Vec<Namespace>> {
        let rows = namespace::Entity::find()
            .filter(namespace::Column::Organization.eq(true))
            .filter(namespace::Column::Id.gt(after_id.unwrap_or(0)))
            .order_by_asc(namespace::Column::Id)
            .limit(limit)
            .all(&self.db.conn)
            .await
            .map_err(db_err)?;
        Ok(rows.into_iter().map(to_domain).collect())
    }

    async fn take_ownership(
        &self,
        namespace_id: i64,
        admin_id: i64,
        log: NewLogEntry,
    ) -> DomainResult<()> {
        let txn = self.db.begin_write().await?;
        let ns = namespace::Entity::find_by_id(namespace_id)
            .one(&*txn)
            .await
            .map_err(db_err)?
            .ok_or(DomainError::NotFound)?;
        if !ns.organization {
            // Quay's `convert_user_to_organization`: no password, no sessions, no
            // credentials, no direct permissions of its own any more.
            namespace::Entity::update_many()
                .filter(namespace::Column::Id.eq(namespace_id))
                .col_expr(namespace::Column::Organization, Expr::value(true))
                .col_expr(
                    namespace::Column::PasswordHash,
                    Expr::value(Option::<String>::None),
                )
                .col_expr(
                    namespace::Column::Uuid,
                    Expr::value(uuid::Uuid::new_v4().to_string()),
                )
                .exec(&*txn)
                .await
                .map_err(db_err)?;
            for sql in [
                "DELETE FROM repository_permission WHERE user_id = ?",
                "DELETE FROM oauth_access_token WHERE authorized_user_id = ?",
                "DELETE FROM app_specific_token WHERE user_id = ?",
            ] {
                txn.execute(self.db.stmt(sql, vec![namespace_id.into()]))
                    .await
                    .map_err(db_err)?;
            }
        }
        let admin_team = team::Entity::find()
            .filter(team::Column::OrganizationId.eq(namespace_id))
            .filter(team::Column::Role.eq(TeamRole::Admin.code()))
            .order_by_asc(team::Column::Id)
            .one(&*txn)
            .await
            .map_err(db_err)?;
        let team_id = match admin_team {
            Some(t) => t.id,
            None => {
                team::ActiveModel {
                    id: NotSet,
                    organization_id: Set(namespace_id),
                    name: Set("owners".into()),
                    role: Set(TeamRole::Admin.code()),
                    description: Set(String::new()),
                }
                .insert(&*txn)
                .await
                .map_err(db_err)?
                .id
            }
        };
        let already = team_member::Entity::find()
            .filter(team_member::Column::TeamId.eq(team_id))
            .filter(team_member::Column::UserId.eq(admin_id))
            .one(&*txn)
            .await
            .map_err(db_err)?;
        if already.is_none() {
            team_member::ActiveModel {
                id: NotSet,
                user_id: Set(admin_id),
                team_id: Set(team_id),
            }
            .insert(&*txn)
            .await
            .map_err(db_err)?;
        }
        insert_log(&*txn, log).await?;
        txn.commit().await
    }

    async fn teams(&self, org_id: i64, viewer: Option<i64>) -> DomainResult<Vec<TeamSummary>> {
        #[derive(FromQueryResult)]
        struct Row {
            id: i64,
            name: String,
            description: String,
            role: i16,
            member_count: i64,
            repo_count: i64,
            viewer_is_member: bool,
        }
        let stmt = self.db.stmt(
            "SELECT t.id, t.name, t.description, t.role, \
             (SELECT COUNT(*) FROM team_member tm WHERE tm.team_id = t.id) AS member_count, \
             (SELECT COUNT(*) FROM repository_permission p WHERE p.team_id = t.id) AS repo_count, \
             EXISTS(SELECT 1 FROM team_member tm WHERE tm.team_id = t.id AND tm.user_id = ?) AS viewer_is_member \
             FROM team t WHERE t.organization_id = ? ORDER BY t.id",
            vec![viewer.unwrap_or(-1).into(), org_id.into()],
        );
        let rows = self.db.conn.query_all(stmt).await.map_err(db_err)?;
        rows.iter()
            .map(|row| {
                let r = Row::from_query_result(row, "").map_err(db_err)?;
                Ok(TeamSummary {
                    role: TeamRole::from_code(r.role)
                        .ok_or_else(|| DomainError::Internal(format!("team {}: bad role", r.id)))?,
                    id: r.id,
                    name: r.name,
                    description: r.description,
                    member_count: r.member_count,
                    repo_count: r.repo_count,
                    viewer_is_member: r.viewer_is_member,
                })
            })
            .collect()
    }

    async fn namespace_grant(
        &self,
        namespace_id: i64,
        user_id: i64,
    ) -> DomainResult<NamespaceGrant> {
        grant(&self.db, &self.db.conn, namespace_id, user_id).await
    }

    async fn sole_admin_organizations(&self, user_id: i64) -> DomainResult<Vec<String>> {
        #[derive(FromQueryResult)]
        struct Row {
            username: String,
        }
        let admin = TeamRole::Admin.code();
        let rows: Vec<Row> = crate::query_all(
            &self.db,
            &self.db.conn,
            "SELECT o.username FROM namespace o WHERE o.organization = ? AND EXISTS \
             (SELECT 1 FROM team t JOIN team_member tm ON tm.team_id = t.id \
              WHERE t.organization_id = o.id AND t.role = ? AND tm.user_id = ?) \
             AND (SELECT COUNT(DISTINCT tm.user_id) FROM team t JOIN team_member tm ON tm.team_id = t.id \
              JOIN namespace u ON u.id = tm.user_id \
              WHERE t.organization_id = o.id AND t.role = ? AND u.robot = ?) = 1 ORDER BY o.username",
            vec![
                true.into(),
                admin.into(),
                user_id.into(),
                admin.into(),
                false.into(),
            ],
        )
        .await?;
        Ok(rows.into_iter().map(|r| r.username).collect())
    }

    async fn user_organizations(&self, user_id: i64) -> DomainResult<Vec<(Namespace, TeamRole)>> {
        #[derive(FromQueryResult)]
        struct Row {
            org_id: i64,
            role: i16,
        }
        let stmt = self.db.stmt(
            "SELECT t.organization_id AS org_id, MAX(t.role) AS role FROM team t \
             JOIN team_member tm ON tm.team_id = t.id WHERE tm.user_id = ? GROUP BY t.organization_id",
            vec![user_id.into()],
        );
        let rows = self.db.conn.query_all(stmt).await.map_err(db_err)?;
        let mut roles = std::collections::HashMap::new();
        for row in &rows {
            let r = Row::from_query_result(row, "").map_err(db_err)?;
            if let Some(role) = TeamRole::from_code(r.role) {
                roles.insert(r.org_id, role);
            }
        }
        let orgs = namespace::Entity::find()
            .filter(namespace::Column::Id.is_in(roles.keys().copied()))
            .order_by_asc(namespace::Column::Username)
            .all(&self.db.conn)
            .await
            .map_err(db_err)?;
        Ok(orgs
            .into_iter()
            .filter_map(|o| roles.get(&o.id).map(|r| (to_domain(o), *r)))
            .collect())
    }
}
