//! OAuth scopes and the role caps they impose (Quay's `auth/scopes.py` and the
//! `SCOPE_MAX_*_ROLES` tables of `auth/permissions.py`).
//!
//! A scope does not grant anything by itself: it caps what the token's user may do. A
//! `repo:read` token of an organization owner reads every repository of the organization
//! but cannot change any of them.

use crate::role::{Role, TeamRole};
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scope {
    RepoRead,
    RepoWrite,
    RepoAdmin,
    RepoCreate,
    UserRead,
    UserAdmin,
    OrgAdmin,
    SuperUser,
    /// The implicit scope of a signed-in browser session: everything the user may do.
    DirectLogin,
}

impl Scope {
    pub const ALL: [Scope; 9] = [
        Scope::RepoRead,
        Scope::RepoWrite,
        Scope::RepoAdmin,
        Scope::RepoCreate,
        Scope::UserRead,
        Scope::UserAdmin,
        Scope::OrgAdmin,
        Scope::SuperUser,
        Scope::DirectLogin,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Scope::RepoRead => "repo:read",
            Scope::RepoWrite => "repo:write",
            Scope::RepoAdmin => "repo:admin",
            Scope::RepoCreate => "repo:create",
            Scope::UserRead => "user:read",
            Scope::UserAdmin => "user:admin",
            Scope::OrgAdmin => "org:admin",
            Scope::SuperUser => "super:user",
            Scope::DirectLogin => "direct_user_login",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Scope::ALL.into_iter().find(|scope| scope.as_str() == s)
    }

    /// Quay's human-readable title for the scope (shown in discovery and OAuth prompts).
    pub fn title(self) -> &'static str {
        match self {
            Scope::RepoRead => "View all visible repositories",
            Scope::RepoWrite => "Read/Write to any accessible repositories",
            Scope::RepoAdmin => "Administer Repositories",
            Scope::RepoCreate => "Create Repositories",
            Scope::UserRead => "Read User Information",
            Scope::UserAdmin => "Administer User",
            Scope::OrgAdmin => "Administer Organization",
            Scope::SuperUser => "Super User Access",
            Scope::DirectLogin => "Full Access",
        }
    }

    /// Quay's description of what a token with this scope can do.
    pub fn description(self) -> &'static str {
        match self {
            Scope::RepoRead => "This application will be able to view and pull all repositories visible to the granting user or robot account",
            Scope::RepoWrite => "This application will be able to view, push and pull to all repositories to which the granting user or robot account has write access",
            Scope::RepoAdmin => "This application will have administrator access to all repositories to which the granting user or robot account has access",
            Scope::RepoCreate => "This application will be able to create repositories in to any namespaces that the granting user or robot account is allowed to create repositories",
            Scope::UserRead => "This application will be able to read user information such as username and email address.",
            Scope::UserAdmin => "This application will be able to administer your account including creating robots and granting them permissions to your repositories. You should have absolute trust in the requesting application before granting this permission.",
            Scope::OrgAdmin => "This application will be able to administer your organizations including creating robots, creating teams, adjusting team membership, and changing billing settings. You should have absolute trust in the requesting application before granting this permission.",
            Scope::SuperUser => "This application will be able to administer your installation including managing users, managing organizations and other features found in the superuser panel. You should have absolute trust in the requesting application before granting this permission.",
            Scope::DirectLogin => "This scope should not be available to OAuth applications. Never approve a request for this scope!",
        }
    }

    /// Whether Quay warns about granting the scope (it hands over the account).
    pub fn dangerous(self) -> bool {
        matches!(
            self,
            Scope::UserAdmin | Scope::OrgAdmin | Scope::SuperUser | Scope::DirectLogin
        )
    }

    /// Quay's Font Awesome icon for the scope.
    pub fn icon(self) -> &'static str {
        match self {
            Scope::RepoRead | Scope::RepoWrite | Scope::RepoAdmin => "fa-hdd-o",
            Scope::RepoCreate => "fa-plus",
            Scope::UserRead => "fa-user",
            Scope::UserAdmin | Scope::OrgAdmin => "fa-gear",
            Scope::SuperUser => "fa-street-view",
            Scope::DirectLogin => "fa-exclamation-triangle",
        }
    }

    fn bit(self) -> u16 {
        1 << (self as u16)
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A set of scopes, as granted to one token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct ScopeSet(u16);

impl ScopeSet {
    pub const EMPTY: ScopeSet = ScopeSet(0);

    /// Every scope an OAuth token can carry (what `/api/v1/user/initialize` grants).
    pub fn all_oauth() -> Self {
        Scope::ALL
            .into_iter()
            .filter(|s| *s != Scope::DirectLogin)
            .collect()
    }

    /// The scope set of a signed-in session.
    pub fn session() -> Self {
        [Scope::DirectLogin].into_iter().collect()
    }

    pub fn contains(self, scope: Scope) -> bool {
        self.0 & scope.bit() != 0
    }

    pub fn insert(&mut self, scope: Scope) {
        self.0 |= scope.bit();
    }

    pub fn iter(self) -> impl Iterator<Item = Scope> {
        Scope::ALL.into_iter().filter(move |s| self.contains(*s))
    }

    /// Parses Quay's stored scope string: names separated by spaces or commas.
    /// Unknown names are an error so that a typo never silently drops a permission.
    pub fn parse(s: &str) -> Result<Self, String> {
        let mut set = ScopeSet::EMPTY;
        for part in s.split([' ', ',']).filter(|p| !p.is_empty()) {
            let scope = Scope::parse(part).ok_or_else(|| format!("Unknown scope: {part}"))?;
            set.insert(scope);
        }
        Ok(set)
    }

    /// The highest repository role these scopes let a token exercise.
    pub fn max_repo_role(self) -> Option<Role> {
        if self.contains(Scope::RepoAdmin) || self.contains(Scope::DirectLogin) {
            Some(Role::Admin)
        } else if self.contains(Scope::RepoWrite) {
            Some(Role::Write)
        } else if self.contains(Scope::RepoRead) {
            Some(Role::Read)
        } else {
            None
        }
    }

    /// The highest organization (team) role these scopes let a token exercise.
    pub fn max_team_role(self) -> Option<TeamRole> {
        if self.contains(Scope::OrgAdmin) || self.contains(Scope::DirectLogin) {
            Some(TeamRole::Admin)
        } else if self.contains(Scope::RepoCreate) {
            Some(TeamRole::Creator)
        } else {
            None
        }
    }

    /// The highest role on the token owner's own account.
    pub fn max_user_role(self) -> Option<UserRole> {
        if self.contains(Scope::UserAdmin) || self.contains(Scope::DirectLogin) {
            Some(UserRole::Admin)
        } else if self.contains(Scope::UserRead) {
            Some(UserRole::Read)
        } else {
            None
        }
    }
}

/// A role on one's own user account (`user:read` / `user:admin`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum UserRole {
    Read,
    Admin,
}

impl FromIterator<Scope> for ScopeSet {
    fn from_iter<I: IntoIterator<Item = Scope>>(iter: I) -> Self {
        let mut set = ScopeSet::EMPTY;
        for s in iter {
            set.insert(s);
        }
        set
    }
}

impl fmt::Display for ScopeSet {
    /// Space-separated, in Quay's canonical order.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for s in self.iter() {
            if !first {
                f.write_str(" ")?;
            }
            first = false;
            f.write_str(s.as_str())?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_and_display_round_trip() {
        let set = ScopeSet::parse("repo:read,user:admin repo:create").unwrap();
        assert!(set.contains(Scope::RepoRead));
        assert!(set.contains(Scope::UserAdmin));
        assert!(!set.contains(Scope::RepoWrite));
        assert_eq!(ScopeSet::parse(&set.to_string()).unwrap(), set);
        assert!(ScopeSet::parse("repo:read repo:steal").is_err());
    }

    #[test]
    fn caps_follow_quay_tables() {
        let read = ScopeSet::parse("repo:read").unwrap();
        assert_eq!(read.max_repo_role(), Some(Role::Read));
        assert_eq!(read.max_team_role(), None);
        assert_eq!(read.max_user_role(), None);
        let create = ScopeSet::parse("repo:create").unwrap();
        assert_eq!(create.max_team_role(), Some(TeamRole::Creator));
        assert_eq!(create.max_repo_role(), None);
        let all = ScopeSet::all_oauth();
        assert_eq!(all.max_repo_role(), Some(Role::Admin));
        assert_eq!(all.max_team_role(), Some(TeamRole::Admin));
        assert_eq!(all.max_user_role(), Some(UserRole::Admin));
        assert!(!all.contains(Scope::DirectLogin));
        assert_eq!(ScopeSet::session().max_repo_role(), Some(Role::Admin));
    }
}
