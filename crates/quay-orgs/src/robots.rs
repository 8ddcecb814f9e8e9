//! Robot accounts of users and organizations: [`RobotService`] over a [`RobotStore`].
//!
//! A robot is a namespace row named `owner+shortname` that can hold repository
//! permissions and team memberships like a user, but signs in only with its 64-character
//! token (`quay_auth::credentials`). Administrators of the owner can read the token back,
//! as in Quay, so it is stored sealed with the server's field key, never in plain text.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use quay_auth::cipher::FieldCipher;
use quay_auth::secret::random_upper_alnum;
use quay_auth::{Authorizer, NamespaceGrant};
use quay_core::config::Config;
use quay_core::names::check_namespace;
use quay_core::role::Role;
use quay_core::{Caller, DomainError, DomainResult};
use quay_logs::{LogKind, NewLogEntry};
use serde_json::{json, Value};

use crate::{Namespace, NamespaceStore};

/// Length of a robot token (`[A-Z0-9]`, as Quay generates them).
pub const ROBOT_TOKEN_LEN: usize = 64;

/// Quay's answer (400) about a robot that does not exist.
const NOT_FOUND: &str = "Could not find robot with specified username";

/// Quay's limit on the robot description.
pub const MAX_DESCRIPTION_LEN: usize = 255;

/// A stored robot: its namespace row and robot data, the token still sealed.
#[derive(Debug, Clone, PartialEq)]
pub struct RobotRecord {
    pub id: i64,
    /// The full name, `owner+shortname`.
    pub name: String,
    pub owner_id: i64,
    pub created: DateTime<Utc>,
    pub last_accessed: Option<DateTime<Utc>>,
    pub description: String,
    pub unstructured_metadata: Value,
    pub token_sealed: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewRobot {
    pub owner_id: i64,
    pub name: String,
    pub description: String,
    pub unstructured_metadata: Value,
    pub token_sealed: String,
    pub created: DateTime<Utc>,
}

/// A repository a robot holds a direct permission on.
#[derive(Debug, Clone, PartialEq)]
pub struct RobotRepositoryPermission {
    /// The repository's name without its namespace (robots only get permissions in
    /// their owner's namespace), as Quay shows it.
    pub repository: String,
    pub public: bool,
    pub role: Role,
}

/// Storage of robots (implemented by `quay-persistence`).
#[async_trait]
pub trait RobotStore: Send + Sync {
    /// The robot named `owner+shortname`, if there is one.
    async fn find_robot(&self, name: &str) -> DomainResult<Option<RobotRecord>>;

    /// The owner's robots by name, at most `limit`.
    async fn list_robots(
        &self,
        owner_id: i64,
        limit: Option<u64>,
    ) -> DomainResult<Vec<RobotRecord>>;

    /// `(robot id, team name)` for every team the robots are members of.
    async fn robot_teams(&self, robot_ids: &[i64]) -> DomainResult<Vec<(i64, String)>>;

    /// Direct repository permissions of the robots, as `(robot id, permission)`.
    async fn robot_permissions(
        &self,
        robot_ids: &[i64],
    ) -> DomainResult<Vec<(i64, RobotRepositoryPermission)>>;

    /// Creates the robot and writes `log`, atomically; a taken name yields `Conflict`.
    async fn create_robot(&self, robot: NewRobot, log: NewLogEntry) -> DomainResult<RobotRecord>;

    /// Deletes the robot with its permissions and memberships; writes `log`.
    async fn delete_robot(&self, id: i64, log: NewLogEntry) -> DomainResult<()>;

    /// Replaces the robot's sealed token; writes `log`.
    async fn set_robot_token(
        &self,
        id: i64,
        token_sealed: String,
        log: NewLogEntry,
    ) -> DomainResult<()>;
}

/// What a call does with an owner's robots: list them (members may), read one (global
/// read-only superusers may, without its token), or change them (administrators only).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Need {
    List,
    Read,
    Write,
}

/// Whose robots a call is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RobotOwner<'a> {
    /// The calling user's own robots (`/api/v1/user/robots`).
    CurrentUser,
    /// An organization's robots (`/api/v1/organization/{orgname}/robots`).
    Organization(&'a str),
}

/// A robot as the API shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct Robot {
    pub name: String,
    pub created: DateTime<Utc>,
    pub last_accessed: Option<DateTime<Utc>>,
    pub description: String,
    /// Present where Quay includes it (single robot views).
    pub unstructured_metadata: Option<Value>,
    /// Present only for administrators of the owner.
    pub token: Option<String>,
    /// Team names, present when permissions were asked for.
    pub teams: Option<Vec<String>>,
    /// Repository names, present when permissions were asked for.
    pub repositories: Option<Vec<String>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ListRobots {
    pub permissions: bool,
    pub token: bool,
    pub limit: Option<u64>,
}

impl Default for ListRobots {
    fn default() -> Self {
        Self {
            permissions: false,
            token: true,
            limit: None,
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct CreateRobot {
    pub description: Option<String>,
    pub unstructured_metadata: Option<Value>,
}

/// The robot operations of the API.
#[async_trait]
pub trait RobotService: Send + Sync {
    async fn list_robots(
        &self,
        caller: &Caller,
        owner: RobotOwner<'_>,
        opts: ListRobots,
    ) -> DomainResult<Vec<Robot>>;

    async fn get_robot(
        &self,
        caller: &Caller,
        owner: RobotOwner<'_>,
        shortname: &str,
    ) -> DomainResult<Robot>;

    async fn create_robot(
        &self,
        caller: &Caller,
        owner: RobotOwner<'_>,
        shortname: &str,
        req: CreateRobot,
    ) -> DomainResult<Robot>;

    async fn delete_robot(
        &self,
        caller: &Caller,
        owner: RobotOwner<'_>,
        shortname: &str,
    ) -> DomainResult<()>;

    async fn regenerate_token(
        &self,
        caller: &Caller,
        owner: RobotOwner<'_>,
        shortname: &str,
    ) -> DomainResult<Robot>;

    async fn robot_permissions(
        &self,
        caller: &Caller,
        owner: RobotOwner<'_>,
        shortname: &str,
    ) -> DomainResult<Vec<RobotRepositoryPermission>>;
}

pub struct Robots {
    namespaces: Arc<dyn NamespaceStore>,
    store: Arc<dyn RobotStore>,
    cipher: FieldCipher,
    authz: Authorizer,
}

/// What the caller may do with the owner's robots.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Access {
    Admin,
    /// An organization member who is not an administrator, or a global read-only
    /// superuser: names only.
    Member,
}

impl Robots {
    pub fn new(
        namespaces: Arc<dyn NamespaceStore>,
        store: Arc<dyn RobotStore>,
        cipher: FieldCipher,
        config: &Config,
    ) -> Self {
        Self {
            namespaces,
            store,
            cipher,
            authz: Authorizer::new(config),
        }
    }

    /// The owner namespace and the caller's access to its robots; permission before
    /// existence, as Quay (an outsider asking about a missing organization gets 403).
    async fn owner(
        &self,
        caller: &Caller,
        owner: RobotOwner<'_>,
        need: Need,
    ) -> DomainResult<(Namespace, Access)> {
        match owner {
            RobotOwner::CurrentUser => {
                let p = self.authz.require_user_admin(caller)?;
                let user = self
                    .namespaces
                    .find_namespace_by_id(p.user_id)
                    .await?
                    .filter(|n| !n.organization && !n.robot)
                    .ok_or_else(|| DomainError::unauthorized(true))?;
                Ok((user, Access::Admin))
            }
            RobotOwner::Organization(name) => {
                let org = self
                    .namespaces
                    .find_namespace(name)
                    .await?
                    .filter(|n| n.organization);
                let grant = match (&org, caller.user_id()) {
                    (Some(org), Some(uid)) => self.namespaces.namespace_grant(org.id, uid).await?,
                    _ => NamespaceGrant::None,
                };
                let reader = caller
                    .principal
                    .as_ref()
                    .is_some_and(|p| p.global_readonly_superuser);
                let access = if self.authz.is_org_admin(caller, grant) {
                    Access::Admin
                } else if (need != Need::Write && reader)
                    || (need == Need::List && self.authz.is_org_member(caller, grant))
                {
                    Access::Member
                } else {
                    return Err(DomainError::unauthorized(caller.is_authenticated()));
                };
                Ok((org.ok_or(DomainError::NotFound)?, access))
            }
        }
    }

    /// The owner's robot; a missing one is Quay's 400 with `missing` as the message.
    async fn find(
        &self,
        owner: &Namespace,
        shortname: &str,
        missing: impl FnOnce(&str) -> String,
    ) -> DomainResult<RobotRecord> {
        let name = format!("{}+{shortname}", owner.username);
        match self.store.find_robot(&name).await? {
            Some(robot) if robot.owner_id == owner.id => Ok(robot),
            _ => Err(DomainError::invalid(missing(&name))),
        }
    }

    fn view(&self, r: RobotRecord, metadata: bool, token: bool) -> DomainResult<Robot> {
        let token = if token {
            Some(self.cipher.decrypt(&r.token_sealed)?)
        } else {
            None
        };
        Ok(Robot {
            name: r.name,
            created: r.created,
            last_accessed: r.last_accessed,
            description: r.description,
            unstructured_metadata: metadata.then_some(r.unstructured_metadata),
            token,
            teams: None,
            repositories: None,
        })
    }

    fn log(caller: &Caller, kind: LogKind, owner: &Namespace, shortname: &str) -> NewLogEntry {
        NewLogEntry::new(kind, caller, Some(owner.id), json!({ "robot": shortname }))
    }
}

#[async_trait]
impl RobotService for Robots {
    async fn list_robots(
        &self,
        caller: &Caller,
        owner: RobotOwner<'_>,
        opts: ListRobots,
    ) -> DomainResult<Vec<Robot>> {
        let (owner, access) = self.owner(caller, owner, Need::List).await?;
        let admin = access == Access::Admin;
        let (with_token, with_permissions) = (admin && opts.token, admin && opts.permissions);
        let records = self.store.list_robots(owner.id, opts.limit).await?;
        let ids: Vec<i64> = records.iter().map(|r| r.id).collect();
        let (teams, permissions) = if with_permissions && !ids.is_empty() {
            (
                self.store.robot_teams(&ids).await?,
                self.store.robot_permissions(&ids).await?,
            )
        } else {
            (Vec::new(), Vec::new())
        };
        records
            .into_iter()
            .map(|r| {
                let id = r.id;
                let mut robot = self.view(r, false, with_token)?;
                if with_permissions {
                    robot.teams = Some(
                        teams
                            .iter()
                            .filter(|(rid, _)| *rid == id)
                            .map(|(_, t)| t.clone())
                            .collect(),
                    );
                    let mut repositories: Vec<String> = permissions
                        .iter()
                        .filter(|(rid, _)| *rid == id)
                        .map(|(_, p)| p.repository.clone())
                        .collect();
                    repositories.dedup();
                    robot.repositories = Some(repositories);
                }
                Ok(robot)
            })
            .collect()
    }

    async fn get_robot(
        &self,
        caller: &Caller,
        owner: RobotOwner<'_>,
        shortname: &str,
    ) -> DomainResult<Robot> {
        let (owner, access) = self.owner(caller, owner, Need::Read).await?;
        let robot = self.find(&owner, shortname, |_| NOT_FOUND.into()).await?;
        self.view(robot, true, access == Access::Admin)
    }

    async fn create_robot(
        &self,
        caller: &Caller,
        owner: RobotOwner<'_>,
        shortname: &str,
        req: CreateRobot,
    ) -> DomainResult<Robot> {
        let (owner, _) = self.owner(caller, owner, Need::Write).await?;
        if let Err(issue) = check_namespace(shortname) {
            return Err(DomainError::invalid(format!(
                "The name for the robot '{shortname}' is invalid: {issue}"
            )));
        }
        let name = format!("{}+{shortname}", owner.username);
        let existing = || DomainError::invalid(format!("Existing robot with name: {name}"));
        if self.store.find_robot(&name).await?.is_some() {
            return Err(existing());
        }
        let description: String = req
            .description
            .clone()
            .unwrap_or_default()
            .chars()
            .take(MAX_DESCRIPTION_LEN)
            .collect();
        let metadata = req
            .unstructured_metadata
            .clone()
            .unwrap_or_else(|| json!({}));
        let log = NewLogEntry::new(
            LogKind::CreateRobot,
            caller,
            Some(owner.id),
            json!({
                "robot": shortname,
                "description": req.description,
                "unstructured_metadata": req.unstructured_metadata,
            }),
        );
        let token = random_upper_alnum(ROBOT_TOKEN_LEN);
        let created = self
            .store
            .create_robot(
                NewRobot {
                    owner_id: owner.id,
                    name: name.clone(),
                    description,
                    unstructured_metadata: metadata,
                    token_sealed: self.cipher.encrypt(&token),
                    created: Utc::now(),
                },
                log,
            )
            .await
            .map_err(|e| match e {
                DomainError::Conflict(_) => existing(),
                other => other,
            })?;
        let mut robot = self.view(created, true, false)?;
        robot.token = Some(token);
        Ok(robot)
    }

    async fn delete_robot(
        &self,
        caller: &Caller,
        owner: RobotOwner<'_>,
        shortname: &str,
    ) -> DomainResult<()> {
        let (owner, _) = self.owner(caller, owner, Need::Write).await?;
        let robot = self
            .find(&owner, shortname, |name| {
                format!("Could not find robot with username: {name}")
            })
            .await?;
        let log = Self::log(caller, LogKind::DeleteRobot, &owner, shortname);
        self.store.delete_robot(robot.id, log).await
    }

    async fn regenerate_token(
        &self,
        caller: &Caller,
        owner: RobotOwner<'_>,
        shortname: &str,
    ) -> DomainResult<Robot> {
        let (owner, _) = self.owner(caller, owner, Need::Write).await?;
        let robot = self.find(&owner, shortname, |_| NOT_FOUND.into()).await?;
        let token = random_upper_alnum(ROBOT_TOKEN_LEN);
        let log = Self::log(caller, LogKind::RegenerateRobotToken, &owner, shortname);
        self.store
            .set_robot_token(robot.id, self.cipher.encrypt(&token), log)
            .await?;
        let mut robot = self.view(robot, false, false)?;
        robot.token = Some(token);
        Ok(robot)
    }

    async fn robot_permissions(
        &self,
        caller: &Caller,
        owner: RobotOwner<'_>,
        shortname: &str,
    ) -> DomainResult<Vec<RobotRepositoryPermission>> {
        // Quay guards the organization variant with `@require_user_admin` as well.
        self.authz.require_user_admin(caller)?;
        let (owner, _) = self.owner(caller, owner, Need::Read).await?;
        let robot = self.find(&owner, shortname, |_| NOT_FOUND.into()).await?;
        Ok(self
            .store
            .robot_permissions(&[robot.id])
            .await?
            .into_iter()
            .map(|(_, p)| p)
            .collect())
    }
}
