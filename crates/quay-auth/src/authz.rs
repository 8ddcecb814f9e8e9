//! The Authorizer: who may do what, and how a refusal is answered.
//!
//! Inputs are facts the stores found (the role granted on a repository, the caller's
//! standing in a namespace) and the caller's principal; the token's scopes cap what the
//! grants are worth (Quay's `SCOPE_MAX_*_ROLES`). A refusal is Quay's `Unauthorized()`:
//! 401 `invalid_token` for anonymous callers, 403 `insufficient_scope` for authenticated
//! ones. Callers check permission *before* looking at existence, so an outsider asking
//! about a missing repository learns nothing (403, not 404).

use quay_core::config::Config;
use quay_core::role::{Role, TeamRole};
use quay_core::scope::UserRole;
use quay_core::{AuthMethod, Caller, DomainError, DomainResult, Principal};

/// A user's standing in a namespace, before scopes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NamespaceGrant {
    /// The namespace is the user's own.
    Owner,
    /// The user is in teams of the organization; the highest team role.
    Team(TeamRole),
    None,
}

#[derive(Debug, Clone)]
pub struct Authorizer {
    superusers_full_access: bool,
}

impl Authorizer {
    pub fn new(config: &Config) -> Self {
        Self {
            superusers_full_access: config.feature_superusers_full_access,
        }
    }

    fn deny(caller: &Caller) -> DomainError {
        DomainError::unauthorized(caller.is_authenticated())
    }

    /// Superuser powers over other people's things (`allow_for_superuser`).
    fn superuser_override(&self, p: &Principal) -> bool {
        p.superuser && self.superusers_full_access
    }

    /// The role the caller may exercise on a repository where `granted` is what the
    /// database gives them (direct, team, organization admin or own namespace).
    pub fn repo_role(&self, p: &Principal, granted: Option<Role>) -> Option<Role> {
        // `None < Some(_)`, so the minimum is `None` when either side grants nothing.
        granted.min(p.scopes.max_repo_role())
    }

    /// Quay's `require_repo_read/write/admin`. `public` is whether the repository is
    /// public (only reads look at it; anonymous access itself is checked by the HTTP
    /// layer, which knows the feature flag).
    pub fn require_repo(
        &self,
        caller: &Caller,
        granted: Option<Role>,
        need: Role,
        public: bool,
    ) -> DomainResult<()> {
        if let Some(p) = &caller.principal {
            if self.repo_role(p, granted) >= Some(need) || self.superuser_override(p) {
                return Ok(());
            }
            if need == Role::Read && p.global_readonly_superuser {
                return Ok(());
            }
        }
        if need == Role::Read && public {
            return Ok(());
        }
        Err(Self::deny(caller))
    }

    /// The caller's effective role in an organization (or own namespace).
    pub fn namespace_role(&self, p: &Principal, grant: NamespaceGrant) -> Option<TeamRole> {
        let granted = match grant {
            NamespaceGrant::Owner => TeamRole::Admin,
            NamespaceGrant::Team(role) => role,
            NamespaceGrant::None => return None,
        };
        p.scopes.max_team_role().map(|cap| cap.min(granted))
    }

    /// `AdministerOrganizationPermission` (or `allow_if_superuser`).
    pub fn require_org_admin(&self, caller: &Caller, grant: NamespaceGrant) -> DomainResult<()> {
        match &caller.principal {
            Some(p)
                if self.namespace_role(p, grant) == Some(TeamRole::Admin)
                    || self.superuser_override(p) =>
            {
                Ok(())
            }
            _ => Err(Self::deny(caller)),
        }
    }

    /// `OrganizationMemberPermission`: any team role (scopes permitting).
    pub fn is_org_member(&self, caller: &Caller, grant: NamespaceGrant) -> bool {
        caller
            .principal
            .as_ref()
            .is_some_and(|p| self.namespace_role(p, grant).is_some())
    }

    pub fn is_org_admin(&self, caller: &Caller, grant: NamespaceGrant) -> bool {
        self.require_org_admin(caller, grant).is_ok()
    }

    /// `CreateRepositoryPermission`: admin or creator in the namespace.
    pub fn can_create_repo(&self, p: &Principal, grant: NamespaceGrant) -> bool {
        self.namespace_role(p, grant) >= Some(TeamRole::Creator) || self.superuser_override(p)
    }

    /// Quay's `@require_fresh_login`: tokens pass; a session must have entered the
    /// password within `FRESH_LOGIN_TIMEOUT` (`timeout_secs`) of `now`.
    pub fn require_fresh_login(
        &self,
        caller: &Caller,
        now: i64,
        timeout_secs: i64,
    ) -> DomainResult<()> {
        match &caller.principal {
            None => Err(Self::deny(caller)),
            Some(p) => match p.method {
                AuthMethod::OAuthToken(_) => Ok(()),
                AuthMethod::Session { login_time } if login_time >= now - timeout_secs => Ok(()),
                AuthMethod::Session { .. } | AuthMethod::Basic => {
                    Err(DomainError::FreshLoginRequired)
                }
            },
        }
    }

    /// `UserAdminPermission` on the caller's own account.
    pub fn require_user_admin<'c>(&self, caller: &'c Caller) -> DomainResult<&'c Principal> {
        match &caller.principal {
            Some(p) if p.scopes.max_user_role() == Some(UserRole::Admin) => Ok(p),
            _ => Err(Self::deny(caller)),
        }
    }

    /// `UserReadPermission` on the caller's own account.
    pub fn require_user_read<'c>(&self, caller: &'c Caller) -> DomainResult<&'c Principal> {
        match &caller.principal {
            Some(p) if p.scopes.max_user_role().is_some() => Ok(p),
            _ => Err(Self::deny(caller)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use quay_core::scope::ScopeSet;

    fn caller(scopes: &str) -> Caller {
        Caller::user(Principal {
            user_id: 1,
            username: "u".into(),
            scopes: ScopeSet::parse(scopes).unwrap(),
            method: AuthMethod::OAuthToken(1),
            superuser: false,
            global_readonly_superuser: false,
        })
    }

    fn authz() -> Authorizer {
        Authorizer::new(&Config::default())
    }

    #[test]
    fn scopes_cap_repository_roles() {
        let a = authz();
        let reader = caller("repo:read");
        assert!(a
            .require_repo(&reader, Some(Role::Admin), Role::Read, false)
            .is_ok());
        assert_eq!(
            a.require_repo(&reader, Some(Role::Admin), Role::Write, false),
            Err(DomainError::Forbidden)
        );
        let writer = caller("repo:write");
        assert!(a
            .require_repo(&writer, Some(Role::Write), Role::Write, false)
            .is_ok());
        assert!(a
            .require_repo(&writer, Some(Role::Read), Role::Write, false)
            .is_err());
        // No repo scope at all: even the owner cannot read a private repository.
        assert!(a
            .require_repo(&caller("user:admin"), Some(Role::Admin), Role::Read, false)
            .is_err());
    }

    #[test]
    fn anonymous_gets_401_authenticated_gets_403() {
        let a = authz();
        assert_eq!(
            a.require_repo(&Caller::anonymous(), None, Role::Read, false),
            Err(DomainError::Unauthenticated(
                "Requires authentication".into()
            ))
        );
        assert_eq!(
            a.require_repo(&caller("repo:admin"), None, Role::Read, false),
            Err(DomainError::Forbidden)
        );
        assert!(a
            .require_repo(&Caller::anonymous(), None, Role::Read, true)
            .is_ok());
        assert!(a
            .require_repo(&Caller::anonymous(), None, Role::Write, true)
            .is_err());
    }

    #[test]
    fn namespace_roles() {
        let a = authz();
        let org_admin_token = caller("org:admin");
        assert!(a
            .require_org_admin(&org_admin_token, NamespaceGrant::Team(TeamRole::Admin))
            .is_ok());
        assert!(a
            .require_org_admin(&org_admin_token, NamespaceGrant::Team(TeamRole::Creator))
            .is_err());
        // repo:read caps team roles to nothing: Quay's example of a 403 for an org owner.
        assert!(a
            .require_org_admin(&caller("repo:read"), NamespaceGrant::Owner)
            .is_err());
        let p = caller("repo:create").principal.unwrap();
        assert!(a.can_create_repo(&p, NamespaceGrant::Owner));
        assert!(a.can_create_repo(&p, NamespaceGrant::Team(TeamRole::Creator)));
        assert!(!a.can_create_repo(&p, NamespaceGrant::Team(TeamRole::Member)));
        assert!(!a.can_create_repo(
            &caller("repo:admin").principal.unwrap(),
            NamespaceGrant::Owner
        ));
        assert!(a.is_org_member(
            &caller("repo:create"),
            NamespaceGrant::Team(TeamRole::Member)
        ));
    }

    #[test]
    fn superusers_need_full_access_for_other_peoples_things() {
        let mut su = caller("repo:read super:user");
        su.principal.as_mut().unwrap().superuser = true;
        assert!(authz().require_repo(&su, None, Role::Admin, false).is_err());
        let config = Config {
            feature_superusers_full_access: true,
            ..Config::default()
        };
        assert!(Authorizer::new(&config)
            .require_repo(&su, None, Role::Admin, false)
            .is_ok());
    }

    #[test]
    fn global_readonly_superusers_read_everything_write_nothing() {
        let mut ro = caller("repo:read");
        ro.principal.as_mut().unwrap().global_readonly_superuser = true;
        assert!(authz().require_repo(&ro, None, Role::Read, false).is_ok());
        assert!(authz().require_repo(&ro, None, Role::Write, false).is_err());
    }

    #[test]
    fn fresh_login_for_sessions_only() {
        let a = authz();
        assert!(a
            .require_fresh_login(&caller("repo:read"), 1000, 600)
            .is_ok());
        let session = |login_time| {
            let mut c = caller("repo:read");
            c.principal.as_mut().unwrap().method = AuthMethod::Session { login_time };
            c
        };
        assert!(a.require_fresh_login(&session(500), 1000, 600).is_ok());
        assert_eq!(
            a.require_fresh_login(&session(300), 1000, 600),
            Err(DomainError::FreshLoginRequired)
        );
        assert!(a
            .require_fresh_login(&Caller::anonymous(), 1000, 600)
            .is_err());
    }

    #[test]
    fn user_roles() {
        let a = authz();
        assert!(a.require_user_admin(&caller("user:admin")).is_ok());
        assert!(a.require_user_admin(&caller("user:read")).is_err());
        assert!(a.require_user_read(&caller("user:read")).is_ok());
        assert!(a.require_user_read(&Caller::anonymous()).is_err());
    }
}
