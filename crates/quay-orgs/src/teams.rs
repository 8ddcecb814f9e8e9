//! Teams of organizations and organization membership: [`TeamService`] over a
//! [`TeamStore`].
//!
//! A team has a role in its organization (`member` < `creator` < `admin`); membership of
//! any team makes a user an organization member. With `FEATURE_MAILING` and
//! `FEATURE_REQUIRE_TEAM_INVITE`, adding a user who is not yet a member of the
//! organization creates an invite instead, which the invitee accepts or declines with its
//! code (`/api/v1/teaminvite/{code}`); the code reaches a user as an `org_team_invite`
//! notification. Every organization keeps at least one administrator: the calling user
//! cannot demote, delete or leave their own last admin team.

use std::sync::Arc;

use async_trait::async_trait;
use quay_auth::cipher::FieldCipher;
use quay_auth::secret::{digest, random_token, random_uuid};
use quay_auth::{Authorizer, NamespaceGrant};
use quay_core::config::Config;
use quay_core::role::{Role, TeamRole};
use quay_core::{Caller, DomainError, DomainResult};
use quay_logs::{LogKind, NewLogEntry};
use serde_json::json;

use quay_core::names::check_namespace;

use crate::users::check_email;
use crate::{Namespace, NamespaceStore};

/// Length of an invite code.
const INVITE_CODE_LEN: usize = 64;

/// Quay's team name rule: the namespace expression, 2 to 255 characters.
pub fn check_team_name(name: &str) -> Result<(), String> {
    check_namespace(name).map_err(|issue| {
        format!(
            "Invalid team name {name}: {}",
            issue.replacen("Namespace must be between", "Team must be between", 1)
        )
    })
}

/// A stored team.
#[derive(Debug, Clone, PartialEq)]
pub struct Team {
    pub id: i64,
    pub org_id: i64,
    pub name: String,
    pub description: String,
    pub role: TeamRole,
}

/// A user or robot as membership lists show it.
#[derive(Debug, Clone, PartialEq)]
pub struct Member {
    pub id: i64,
    pub name: String,
    pub robot: bool,
    pub email: Option<String>,
}

/// A pending invite to a team: for a user, or for an e-mail address.
#[derive(Debug, Clone, PartialEq)]
pub struct Invite {
    pub id: i64,
    pub team_id: i64,
    pub user: Option<Member>,
    pub email: Option<String>,
    pub inviter: String,
}

/// A new invite; `token_digest` finds it by code, `token_sealed` shows the code to the
/// invitee.
#[derive(Debug, Clone, PartialEq)]
pub struct NewInvite {
    pub team_id: i64,
    pub user_id: Option<i64>,
    pub email: Option<String>,
    pub inviter_id: i64,
    pub token_digest: String,
    pub token_sealed: String,
    /// An `org_team_invite` notification for the invited user.
    pub notify: Option<InviteNotification>,
}

/// The notification telling a user of their invite; its code is added when shown.
#[derive(Debug, Clone, PartialEq)]
pub struct InviteNotification {
    pub uuid: String,
    pub metadata: serde_json::Value,
}

/// An invite found by its code, with the team and organization it leads to.
#[derive(Debug, Clone, PartialEq)]
pub struct InviteTarget {
    pub invite: Invite,
    pub team: Team,
    pub org: String,
}

/// A repository a team holds a permission on.
#[derive(Debug, Clone, PartialEq)]
pub struct TeamRepositoryPermission {
    pub repository: String,
    pub public: bool,
    pub role: Role,
}

/// A member of an organization (of one of its teams), with their teams.
#[derive(Debug, Clone, PartialEq)]
pub struct OrgMember {
    pub member: Member,
    pub teams: Vec<String>,
    /// Repositories of the organization the member holds a direct permission on.
    pub repositories: Vec<String>,
}

/// Storage of teams, memberships and invites (implemented by `quay-persistence`).
#[async_trait]
pub trait TeamStore: Send + Sync {
    async fn find_team(&self, org_id: i64, name: &str) -> DomainResult<Option<Team>>;

    /// Creates the team or changes its role and description, and writes the logs,
    /// atomically.
    async fn save_team(
        &self,
        org_id: i64,
        name: &str,
        role: TeamRole,
        description: &str,
        logs: Vec<NewLogEntry>,
    ) -> DomainResult<Team>;

    /// Deletes the team with its memberships, invites and permissions; writes `log`.
    async fn delete_team(&self, team_id: i64, log: NewLogEntry) -> DomainResult<()>;

    /// Members of the team by name.
    async fn team_members(&self, team_id: i64) -> DomainResult<Vec<Member>>;

    async fn team_invites(&self, team_id: i64) -> DomainResult<Vec<Invite>>;

    /// Names of the organization's admin teams the user is a member of.
    async fn admin_teams_of(&self, org_id: i64, user_id: i64) -> DomainResult<Vec<String>>;

    /// Ids of the users (not robots) in the organization's admin teams.
    async fn org_admins(&self, org_id: i64) -> DomainResult<Vec<i64>>;

    /// Adds the user to the team (a no-op if already there) and writes `log`.
    async fn add_team_member(
        &self,
        team_id: i64,
        user_id: i64,
        log: NewLogEntry,
    ) -> DomainResult<()>;

    /// Removes the user from the team and writes `log`; `false` (nothing written) if
    /// they were not a member.
    async fn remove_team_member(
        &self,
        team_id: i64,
        user_id: i64,
        log: NewLogEntry,
    ) -> DomainResult<bool>;

    /// Stores the invite (and its notification) and writes `log`, atomically.
    async fn create_invite(&self, invite: NewInvite, log: NewLogEntry) -> DomainResult<Invite>;

    async fn find_invite(&self, token_digest: &str) -> DomainResult<Option<InviteTarget>>;

    /// Makes the user a member of every team of `org_id` they (or `email`, their
    /// verified address) are invited to, removes those invites (`invite` among them) and
    /// writes `log`, atomically.
    async fn accept_invite(
        &self,
        invite: &Invite,
        org_id: i64,
        user_id: i64,
        email: Option<&str>,
        log: NewLogEntry,
    ) -> DomainResult<()>;

    /// Removes the invite (and its notification) and writes `log`.
    async fn delete_invite(&self, invite_id: i64, log: NewLogEntry) -> DomainResult<()>;

    /// Removes the team's invites for an e-mail address and writes `log`; `false`
    /// (nothing written) if there were none.
    async fn delete_email_invites(
        &self,
        team_id: i64,
        email: &str,
        log: NewLogEntry,
    ) -> DomainResult<bool>;

    /// Repository permissions the team holds, by repository name.
    async fn team_permissions(&self, team_id: i64) -> DomainResult<Vec<TeamRepositoryPermission>>;

    /// Members of any team of the organization, by name.
    async fn org_members(&self, org_id: i64) -> DomainResult<Vec<OrgMember>>;

    /// Users (not robots) holding direct permissions on the organization's repositories
    /// without being in any of its teams, with those repositories.
    async fn org_collaborators(&self, org_id: i64) -> DomainResult<Vec<OrgMember>>;

    /// Names of the organization's repositories the user or robot holds a direct
    /// permission on.
    async fn direct_repositories(&self, org_id: i64, user_id: i64) -> DomainResult<Vec<String>>;

    /// Removes the user from every team of the organization and their direct
    /// permissions on its repositories, and writes `log`.
    async fn remove_org_member(
        &self,
        org_id: i64,
        user_id: i64,
        log: NewLogEntry,
    ) -> DomainResult<()>;
}

/// What `PUT /api/v1/organization/{orgname}/team/{teamname}` asks for.
#[derive(Debug, Clone, PartialEq)]
pub struct SaveTeam {
    pub role: TeamRole,
    pub description: Option<String>,
}

/// A team as its view shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct TeamView {
    pub team: Team,
    /// Whether the caller may look inside (member of the team or organization admin).
    pub can_view: bool,
    /// The request created the team.
    pub new_team: bool,
}

/// A team member or a pending invite.
#[derive(Debug, Clone, PartialEq)]
pub enum TeamEntry {
    Member(Member),
    InvitedUser(Member),
    InvitedEmail(String),
}

/// `GET .../team/{teamname}/members`.
#[derive(Debug, Clone, PartialEq)]
pub struct TeamMembers {
    pub team: Team,
    pub entries: Vec<TeamEntry>,
    pub can_edit: bool,
}

/// The organization operations on teams and members.
#[async_trait]
pub trait TeamService: Send + Sync {
    /// Creates the team or updates its role and description.
    async fn save_team(
        &self,
        caller: &Caller,
        org: &str,
        team: &str,
        req: SaveTeam,
    ) -> DomainResult<TeamView>;

    async fn delete_team(&self, caller: &Caller, org: &str, team: &str) -> DomainResult<()>;

    async fn team_members(
        &self,
        caller: &Caller,
        org: &str,
        team: &str,
        include_pending: bool,
    ) -> DomainResult<TeamMembers>;

    /// Adds a user or robot, or invites a user who is not yet in the organization.
    async fn add_team_member(
        &self,
        caller: &Caller,
        org: &str,
        team: &str,
        member: &str,
    ) -> DomainResult<TeamEntry>;

    /// Removes a member, or withdraws the invite of a user.
    async fn remove_team_member(
        &self,
        caller: &Caller,
        org: &str,
        team: &str,
        member: &str,
    ) -> DomainResult<()>;

    /// Invites an e-mail address to the team.
    async fn invite_email(
        &self,
        caller: &Caller,
        org: &str,
        team: &str,
        email: &str,
    ) -> DomainResult<TeamEntry>;

    async fn delete_email_invite(
        &self,
        caller: &Caller,
        org: &str,
        team: &str,
        email: &str,
    ) -> DomainResult<()>;

    async fn team_permissions(
        &self,
        caller: &Caller,
        org: &str,
        team: &str,
    ) -> DomainResult<Vec<TeamRepositoryPermission>>;

    /// Joins the caller to the invite's team; returns the organization and team names.
    async fn accept_invite(&self, caller: &Caller, code: &str) -> DomainResult<(String, String)>;

    async fn decline_invite(&self, caller: &Caller, code: &str) -> DomainResult<()>;

    /// Users in any team of the organization.
    async fn org_members(&self, caller: &Caller, org: &str) -> DomainResult<Vec<OrgMember>>;

    /// A user or robot of the organization.
    async fn org_member(&self, caller: &Caller, org: &str, member: &str)
        -> DomainResult<OrgMember>;

    async fn remove_org_member(&self, caller: &Caller, org: &str, member: &str)
        -> DomainResult<()>;

    async fn org_collaborators(&self, caller: &Caller, org: &str) -> DomainResult<Vec<OrgMember>>;

    /// `POST .../syncing`: there is no federated authentication backend to sync from.
    async fn enable_team_sync(
        &self,
        caller: &Caller,
        org: &str,
        team: &str,
    ) -> DomainResult<TeamView>;

    /// `DELETE .../syncing`: no team is synced, so there is nothing to stop.
    async fn disable_team_sync(
        &self,
        caller: &Caller,
        org: &str,
        team: &str,
    ) -> DomainResult<TeamView>;
}

/// How much of an organization a caller may see.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Standing {
    Admin,
    /// A global read-only superuser: reads what admins read, changes nothing.
    Reader,
    Member,
    Outsider,
}

pub struct Teams {
    namespaces: Arc<dyn NamespaceStore>,
    store: Arc<dyn TeamStore>,
    cipher: FieldCipher,
    authz: Authorizer,
    invites_required: bool,
    sync_setup_for_admins: bool,
    fresh_login_timeout: i64,
}

impl Teams {
    pub fn new(
        namespaces: Arc<dyn NamespaceStore>,
        store: Arc<dyn TeamStore>,
        cipher: FieldCipher,
        config: &Config,
    ) -> Self {
        Self {
            namespaces,
            store,
            cipher,
            authz: Authorizer::new(config),
            invites_required: config.feature_mailing && config.feature_require_team_invite,
            sync_setup_for_admins: config.feature_nonsuperuser_team_syncing_setup,
            fresh_login_timeout: config.fresh_login_timeout_seconds(),
        }
    }

    /// The organization (if it exists) and the caller's standing in it.
    async fn standing(
        &self,
        caller: &Caller,
        name: &str,
    ) -> DomainResult<(Option<Namespace>, Standing)> {
        let org = self
            .namespaces
            .find_namespace(name)
            .await?
            .filter(|n| n.organization);
        let grant = match (&org, caller.user_id()) {
            (Some(org), Some(uid)) => self.namespaces.namespace_grant(org.id, uid).await?,
            _ => NamespaceGrant::None,
        };
        let standing = if self.authz.is_org_admin(caller, grant) {
            Standing::Admin
        } else if caller
            .principal
            .as_ref()
            .is_some_and(|p| p.global_readonly_superuser)
        {
            Standing::Reader
        } else if self.authz.is_org_member(caller, grant) {
            Standing::Member
        } else {
            Standing::Outsider
        };
        Ok((org, standing))
    }

    /// The organization, if the caller administers it (permission before existence).
    async fn administered(&self, caller: &Caller, name: &str) -> DomainResult<Namespace> {
        match self.standing(caller, name).await? {
            (org, Standing::Admin) => org.ok_or(DomainError::NotFound),
            _ => Err(DomainError::unauthorized(caller.is_authenticated())),
        }
    }

    /// The organization, if the caller administers it or reads everything.
    async fn readable(&self, caller: &Caller, name: &str) -> DomainResult<Namespace> {
        match self.standing(caller, name).await? {
            (org, Standing::Admin | Standing::Reader) => org.ok_or(DomainError::NotFound),
            _ => Err(DomainError::unauthorized(caller.is_authenticated())),
        }
    }

    /// The organization, if the caller administers it (for other organization
    /// services).
    pub async fn administered_org(&self, caller: &Caller, name: &str) -> DomainResult<Namespace> {
        self.administered(caller, name).await
    }

    /// The organization, if the caller administers it or reads everything.
    pub async fn readable_org(&self, caller: &Caller, name: &str) -> DomainResult<Namespace> {
        self.readable(caller, name).await
    }

    async fn team(&self, org: &Namespace, name: &str) -> DomainResult<Team> {
        self.store
            .find_team(org.id, name)
            .await?
            .ok_or(DomainError::NotFound)
    }

    fn log(
        &self,
        kind: LogKind,
        caller: &Caller,
        org: &Namespace,
        metadata: serde_json::Value,
    ) -> NewLogEntry {
        NewLogEntry::new(kind, caller, Some(org.id), metadata)
    }

    fn principal(caller: &Caller) -> DomainResult<&quay_core::Principal> {
        caller
            .principal
            .as_ref()
            .ok_or_else(|| DomainError::unauthorized(false))
    }

    /// Whether `team` is the only admin team of the calling user (so demoting, deleting
    /// or leaving it would leave them without admin rights in the organization).
    async fn is_callers_last_admin_team(
        &self,
        caller: &Caller,
        org: &Namespace,
        team: &Team,
    ) -> DomainResult<bool> {
        if team.role != TeamRole::Admin {
            return Ok(false);
        }
        let uid = Self::principal(caller)?.user_id;
        let admin_teams = self.store.admin_teams_of(org.id, uid).await?;
        Ok(admin_teams.contains(&team.name) && admin_teams.len() <= 1)
    }

    /// A user or robot (not an organization) by name.
    async fn account(&self, name: &str) -> DomainResult<Option<Namespace>> {
        Ok(self
            .namespaces
            .find_namespace(name)
            .await?
            .filter(|n| !n.organization))
    }

    async fn invite(
        &self,
        caller: &Caller,
        org: &Namespace,
        team: &Team,
        user: Option<&Namespace>,
        email: Option<&str>,
    ) -> DomainResult<TeamEntry> {
        let inviter = Self::principal(caller)?;
        let code = random_token(INVITE_CODE_LEN);
        let notify = user.map(|_| InviteNotification {
            uuid: random_uuid(),
            metadata: json!({"inviter": inviter.username, "org": org.username, "team": team.name}),
        });
        let metadata = match (user, email) {
            (Some(u), _) => json!({"user": u.username, "member": u.username, "team": team.name}),
            (None, e) => json!({"email": e, "member": e, "team": team.name}),
        };
        let log = self.log(LogKind::OrgInviteTeamMember, caller, org, metadata);
        let invite = self
            .store
            .create_invite(
                NewInvite {
                    team_id: team.id,
                    user_id: user.map(|u| u.id),
                    email: email.map(str::to_string),
                    inviter_id: inviter.user_id,
                    token_digest: digest(&code),
                    token_sealed: self.cipher.encrypt(&code),
                    notify,
                },
                log,
            )
            .await?;
        Ok(match invite.user {
            Some(user) => TeamEntry::InvitedUser(user),
            None => TeamEntry::InvitedEmail(invite.email.unwrap_or_default()),
        })
    }

    /// Quay's checks before a team-sync change: fresh login, then who may set syncing
    /// up, then the team.
    async fn sync_target(&self, caller: &Caller, org: &str, team: &str) -> DomainResult<TeamView> {
        self.authz.require_fresh_login(
            caller,
            chrono::Utc::now().timestamp(),
            self.fresh_login_timeout,
        )?;
        let p = Self::principal(caller)?;
        if !self.sync_setup_for_admins && !p.superuser {
            return Err(DomainError::unauthorized(true));
        }
        let org = self.administered(caller, org).await?;
        let team = self.team(&org, team).await?;
        Ok(TeamView {
            team,
            can_view: true,
            new_team: false,
        })
    }

    async fn invite_target(&self, code: &str) -> DomainResult<InviteTarget> {
        self.store
            .find_invite(&digest(code))
            .await?
            .ok_or_else(|| DomainError::rejected(INVALID_CODE))
    }
}

/// Quay's answer to an unknown, used or foreign invite code.
const INVALID_CODE: &str = "Invalid confirmation code.";

#[async_trait]
impl TeamService for Teams {
    async fn save_team(
        &self,
        caller: &Caller,
        org_name: &str,
        name: &str,
        req: SaveTeam,
    ) -> DomainResult<TeamView> {
        let org = self.administered(caller, org_name).await?;
        let existing = self.store.find_team(org.id, name).await?;
        let new_team = existing.is_none();
        let mut logs = Vec::new();
        let (role, description) = match &existing {
            None => {
                check_team_name(name).map_err(DomainError::rejected)?;
                logs.push(self.log(LogKind::OrgCreateTeam, caller, &org, json!({"team": name})));
                (req.role, req.description.unwrap_or_default())
            }
            Some(team) => {
                let mut description = team.description.clone();
                if let Some(d) = req.description.filter(|d| *d != team.description) {
                    logs.push(self.log(
                        LogKind::OrgSetTeamDescription,
                        caller,
                        &org,
                        json!({"team": name, "description": d}),
                    ));
                    description = d;
                }
                if req.role != team.role {
                    if req.role != TeamRole::Admin
                        && self.is_callers_last_admin_team(caller, &org, team).await?
                    {
                        return Err(DomainError::rejected(format!(
                            "Cannot remove admin from team '{}' because calling user would no longer have admin on org '{}'",
                            team.name, org.username
                        )));
                    }
                    logs.push(self.log(
                        LogKind::OrgSetTeamRole,
                        caller,
                        &org,
                        json!({"team": name, "role": req.role.as_str()}),
                    ));
                }
                (req.role, description)
            }
        };
        let team = match existing {
            Some(team) if logs.is_empty() => team,
            _ => {
                self.store
                    .save_team(org.id, name, role, &description, logs)
                    .await?
            }
        };
        Ok(TeamView {
            team,
            can_view: true,
            new_team,
        })
    }

    async fn delete_team(&self, caller: &Caller, org_name: &str, name: &str) -> DomainResult<()> {
        let org = self.administered(caller, org_name).await?;
        let team = self.store.find_team(org.id, name).await?.ok_or_else(|| {
            DomainError::rejected(format!(
                "Team '{name}' is not a team in org '{}'",
                org.username
            ))
        })?;
        if self.is_callers_last_admin_team(caller, &org, &team).await? {
            return Err(DomainError::rejected(format!(
                "Deleting team '{}' would remove admin ability for user '{}' in organization '{}'",
                team.name,
                Self::principal(caller)?.username,
                org.username
            )));
        }
        let log = self.log(LogKind::OrgDeleteTeam, caller, &org, json!({"team": name}));
        self.store.delete_team(team.id, log).await
    }

    async fn team_members(
        &self,
        caller: &Caller,
        org_name: &str,
        name: &str,
        include_pending: bool,
    ) -> DomainResult<TeamMembers> {
        let (org, standing) = self.standing(caller, org_name).await?;
        let (team, members) = match (org, standing) {
            (Some(org), Standing::Admin | Standing::Reader) => {
                let team = self.team(&org, name).await?;
                let members = self.store.team_members(team.id).await?;
                (team, members)
            }
            (None, Standing::Admin) => return Err(DomainError::NotFound),
            // Members see inside the teams they are in (Quay's `ViewTeamPermission`).
            (Some(org), Standing::Member) => {
                let uid = Self::principal(caller)?.user_id;
                let Some(team) = self.store.find_team(org.id, name).await? else {
                    return Err(DomainError::unauthorized(true));
                };
                let members = self.store.team_members(team.id).await?;
                if !members.iter().any(|m| m.id == uid) {
                    return Err(DomainError::unauthorized(true));
                }
                (team, members)
            }
            _ => return Err(DomainError::unauthorized(caller.is_authenticated())),
        };
        let can_edit = standing == Standing::Admin;
        let mut entries: Vec<TeamEntry> = members.into_iter().map(TeamEntry::Member).collect();
        if include_pending && can_edit {
            for invite in self.store.team_invites(team.id).await? {
                entries.push(match invite.user {
                    Some(user) => TeamEntry::InvitedUser(user),
                    None => TeamEntry::InvitedEmail(invite.email.unwrap_or_default()),
                });
            }
        }
        Ok(TeamMembers {
            team,
            entries,
            can_edit,
        })
    }

    async fn add_team_member(
        &self,
        caller: &Caller,
        org_name: &str,
        name: &str,
        member: &str,
    ) -> DomainResult<TeamEntry> {
        let org = self.administered(caller, org_name).await?;
        let team = self.team(&org, name).await?;
        let account = self
            .account(member)
            .await?
            .ok_or_else(|| DomainError::invalid("Unknown user"))?;
        // Quay skips this check when invites are off, letting other namespaces' robots
        // into the team; a robot belongs to its owner, so it is checked either way.
        if account.robot && !member.starts_with(&format!("{}+", org.username)) {
            return Err(DomainError::rejected(
                "Cannot add the specified robot to this team, as it is not a member of the organization",
            ));
        }
        let in_org = matches!(
            self.namespaces.namespace_grant(org.id, account.id).await?,
            NamespaceGrant::Team(_)
        );
        if self.invites_required && !account.robot && !in_org {
            let pending = self.store.team_invites(team.id).await?;
            if let Some(user) = pending
                .into_iter()
                .filter_map(|i| i.user)
                .find(|u| u.id == account.id)
            {
                return Ok(TeamEntry::InvitedUser(user));
            }
            return self.invite(caller, &org, &team, Some(&account), None).await;
        }
        if self
            .store
            .team_members(team.id)
            .await?
            .iter()
            .any(|m| m.id == account.id)
        {
            return Err(DomainError::rejected(format!(
                "User {} is already a member of team {}",
                account.username, team.name
            )));
        }
        let log = self.log(
            LogKind::OrgAddTeamMember,
            caller,
            &org,
            json!({"member": account.username, "team": team.name}),
        );
        self.store.add_team_member(team.id, account.id, log).await?;
        Ok(TeamEntry::Member(Member {
            id: account.id,
            name: account.username,
            robot: account.robot,
            email: account.email,
        }))
    }

    async fn remove_team_member(
        &self,
        caller: &Caller,
        org_name: &str,
        name: &str,
        member: &str,
    ) -> DomainResult<()> {
        let org = self.administered(caller, org_name).await?;
        let team = self.team(&org, name).await?;
        let account = self.account(member).await?.ok_or(DomainError::NotFound)?;
        let invite = self
            .store
            .team_invites(team.id)
            .await?
            .into_iter()
            .find(|i| i.user.as_ref().is_some_and(|u| u.id == account.id));
        if let Some(invite) = invite {
            let log = self.log(
                LogKind::OrgDeleteTeamMemberInvite,
                caller,
                &org,
                json!({"user": member, "member": member, "team": team.name}),
            );
            return self.store.delete_invite(invite.id, log).await;
        }
        if Some(account.id) == caller.user_id()
            && self.is_callers_last_admin_team(caller, &org, &team).await?
        {
            return Err(DomainError::rejected(
                "User cannot remove themselves from their only admin team.",
            ));
        }
        let log = self.log(
            LogKind::OrgRemoveTeamMember,
            caller,
            &org,
            json!({"member": member, "team": team.name}),
        );
        if !self
            .store
            .remove_team_member(team.id, account.id, log)
            .await?
        {
            return Err(DomainError::rejected(format!(
                "User {member} does not belong to team {}",
                team.name
            )));
        }
        Ok(())
    }

    async fn invite_email(
        &self,
        caller: &Caller,
        org_name: &str,
        name: &str,
        email: &str,
    ) -> DomainResult<TeamEntry> {
        let org = self.administered(caller, org_name).await?;
        let team = self.team(&org, name).await?;
        // Quay does not validate the address; an invite nobody can receive helps nobody.
        check_email(email)?;
        self.invite(caller, &org, &team, None, Some(email)).await
    }

    async fn delete_email_invite(
        &self,
        caller: &Caller,
        org_name: &str,
        name: &str,
        email: &str,
    ) -> DomainResult<()> {
        let org = self.administered(caller, org_name).await?;
        let team = self.team(&org, name).await?;
        let log = self.log(
            LogKind::OrgDeleteTeamMemberInvite,
            caller,
            &org,
            json!({"email": email, "member": email, "team": team.name}),
        );
        if !self.store.delete_email_invites(team.id, email, log).await? {
            return Err(DomainError::NotFound);
        }
        Ok(())
    }

    async fn team_permissions(
        &self,
        caller: &Caller,
        org_name: &str,
        name: &str,
    ) -> DomainResult<Vec<TeamRepositoryPermission>> {
        let org = self.readable(caller, org_name).await?;
        let team = self.team(&org, name).await?;
        self.store.team_permissions(team.id).await
    }

    async fn accept_invite(&self, caller: &Caller, code: &str) -> DomainResult<(String, String)> {
        let p = self.authz.require_user_admin(caller)?;
        let target = self.invite_target(code).await?;
        let me = self
            .namespaces
            .find_namespace_by_id(p.user_id)
            .await?
            .ok_or_else(|| DomainError::unauthorized(true))?;
        let verified_email = me.email.as_deref().filter(|_| me.verified);
        match (&target.invite.user, &target.invite.email) {
            (Some(user), _) if user.id != me.id => {
                return Err(DomainError::rejected(format!(
                    "This invite is intended for user \"{}\".\n                 Please login to that account and try again.",
                    user.name
                )));
            }
            (None, Some(email)) if Some(email.as_str()) != verified_email => {
                return Err(DomainError::rejected(format!(
                    "This invite is intended for email \"{email}\".\n                   Please login to that account and try again."
                )));
            }
            _ => {}
        }
        let org = self
            .namespaces
            .find_namespace_by_id(target.team.org_id)
            .await?
            .ok_or(DomainError::NotFound)?;
        let log = self.log(
            LogKind::OrgTeamMemberInviteAccepted,
            caller,
            &org,
            json!({"member": me.username, "team": target.team.name, "inviter": target.invite.inviter}),
        );
        self.store
            .accept_invite(&target.invite, org.id, me.id, verified_email, log)
            .await?;
        Ok((target.org, target.team.name))
    }

    async fn decline_invite(&self, caller: &Caller, code: &str) -> DomainResult<()> {
        let p = self.authz.require_user_admin(caller)?;
        let target = self.invite_target(code).await?;
        if target.invite.user.as_ref().map(|u| u.id) != Some(p.user_id) {
            return Err(DomainError::rejected(INVALID_CODE));
        }
        let org = self
            .namespaces
            .find_namespace_by_id(target.team.org_id)
            .await?
            .ok_or(DomainError::NotFound)?;
        let log = self.log(
            LogKind::OrgTeamMemberInviteDeclined,
            caller,
            &org,
            json!({"member": p.username, "team": target.team.name, "inviter": target.invite.inviter}),
        );
        self.store.delete_invite(target.invite.id, log).await
    }

    async fn org_members(&self, caller: &Caller, org_name: &str) -> DomainResult<Vec<OrgMember>> {
        let org = self.readable(caller, org_name).await?;
        let mut members = self.store.org_members(org.id).await?;
        members.retain(|m| !m.member.robot);
        Ok(members)
    }

    async fn org_member(
        &self,
        caller: &Caller,
        org_name: &str,
        member: &str,
    ) -> DomainResult<OrgMember> {
        let org = self.readable(caller, org_name).await?;
        let account = self.account(member).await?.ok_or(DomainError::NotFound)?;
        let found = self
            .store
            .org_members(org.id)
            .await?
            .into_iter()
            .find(|m| m.member.id == account.id);
        match found {
            Some(m) => Ok(m),
            // An organization's own robot is one of its members even in no team.
            None if account.robot && member.starts_with(&format!("{}+", org.username)) => {
                Ok(OrgMember {
                    member: Member {
                        id: account.id,
                        name: account.username,
                        robot: true,
                        email: None,
                    },
                    teams: Vec::new(),
                    repositories: self.store.direct_repositories(org.id, account.id).await?,
                })
            }
            None => Err(DomainError::NotFound),
        }
    }

    async fn remove_org_member(
        &self,
        caller: &Caller,
        org_name: &str,
        member: &str,
    ) -> DomainResult<()> {
        let org = self.administered(caller, org_name).await?;
        let account = self
            .account(member)
            .await?
            .filter(|a| !a.robot)
            .ok_or(DomainError::NotFound)?;
        if self.store.org_admins(org.id).await? == [account.id] {
            return Err(DomainError::rejected(
                "Cannot remove user as they are the only organization admin",
            ));
        }
        // Quay writes no log here; removing someone from every team is worth one.
        let log = self.log(
            LogKind::OrgRemoveTeamMember,
            caller,
            &org,
            json!({"member": account.username}),
        );
        self.store.remove_org_member(org.id, account.id, log).await
    }

    async fn org_collaborators(
        &self,
        caller: &Caller,
        org_name: &str,
    ) -> DomainResult<Vec<OrgMember>> {
        let org = self.readable(caller, org_name).await?;
        self.store.org_collaborators(org.id).await
    }

    async fn enable_team_sync(
        &self,
        caller: &Caller,
        org: &str,
        team: &str,
    ) -> DomainResult<TeamView> {
        self.sync_target(caller, org, team).await?;
        Err(DomainError::invalid(
            "Could not sync to group: Not supported",
        ))
    }

    async fn disable_team_sync(
        &self,
        caller: &Caller,
        org: &str,
        team: &str,
    ) -> DomainResult<TeamView> {
        self.sync_target(caller, org, team).await
    }
}
