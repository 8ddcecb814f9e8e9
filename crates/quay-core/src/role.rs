//! Repository roles, team roles, visibility and repository state, ordered as in Quay.

use serde::{Deserialize, Serialize};

/// A role on a repository: `read < write < admin`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Read = 1,
    Write = 2,
    Admin = 3,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Read => "read",
            Role::Write => "write",
            Role::Admin => "admin",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "read" => Some(Role::Read),
            "write" => Some(Role::Write),
            "admin" => Some(Role::Admin),
            _ => None,
        }
    }

    /// The stored code (roles are compared with `MAX` in SQL, so they are integers).
    pub fn code(self) -> i16 {
        self as i16
    }

    pub fn from_code(code: i16) -> Option<Self> {
        match code {
            1 => Some(Role::Read),
            2 => Some(Role::Write),
            3 => Some(Role::Admin),
            _ => None,
        }
    }
}

/// A team's role in its organization: `member < creator < admin`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TeamRole {
    Member = 1,
    Creator = 2,
    Admin = 3,
}

impl TeamRole {
    pub fn as_str(self) -> &'static str {
        match self {
            TeamRole::Member => "member",
            TeamRole::Creator => "creator",
            TeamRole::Admin => "admin",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "member" => Some(TeamRole::Member),
            "creator" => Some(TeamRole::Creator),
            "admin" => Some(TeamRole::Admin),
            _ => None,
        }
    }

    pub fn code(self) -> i16 {
        self as i16
    }

    pub fn from_code(code: i16) -> Option<Self> {
        match code {
            1 => Some(TeamRole::Member),
            2 => Some(TeamRole::Creator),
            3 => Some(TeamRole::Admin),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Visibility {
    Public,
    Private,
}

impl Visibility {
    pub fn as_str(self) -> &'static str {
        match self {
            Visibility::Public => "public",
            Visibility::Private => "private",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "public" => Some(Visibility::Public),
            "private" => Some(Visibility::Private),
            _ => None,
        }
    }

    pub fn is_public(self) -> bool {
        self == Visibility::Public
    }
}

/// Repository state; the API shows the names (`NORMAL`, `READ_ONLY`, `MIRROR`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RepositoryState {
    Normal = 0,
    ReadOnly = 1,
    Mirror = 2,
    MarkedForDeletion = 3,
}

impl RepositoryState {
    pub fn as_str(self) -> &'static str {
        match self {
            RepositoryState::Normal => "NORMAL",
            RepositoryState::ReadOnly => "READ_ONLY",
            RepositoryState::Mirror => "MIRROR",
            RepositoryState::MarkedForDeletion => "MARKED_FOR_DELETION",
        }
    }

    pub fn code(self) -> i16 {
        self as i16
    }

    pub fn from_code(code: i16) -> Option<Self> {
        match code {
            0 => Some(RepositoryState::Normal),
            1 => Some(RepositoryState::ReadOnly),
            2 => Some(RepositoryState::Mirror),
            3 => Some(RepositoryState::MarkedForDeletion),
            _ => None,
        }
    }
}

/// Repository kind: container images, or Quay's legacy application (Helm app registry) kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RepositoryKind {
    Image,
    Application,
}

impl RepositoryKind {
    pub fn as_str(self) -> &'static str {
        match self {
            RepositoryKind::Image => "image",
            RepositoryKind::Application => "application",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "image" => Some(RepositoryKind::Image),
            "application" => Some(RepositoryKind::Application),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_are_ordered_and_round_trip() {
        assert!(Role::Read < Role::Write && Role::Write < Role::Admin);
        assert!(TeamRole::Member < TeamRole::Creator && TeamRole::Creator < TeamRole::Admin);
        for r in [Role::Read, Role::Write, Role::Admin] {
            assert_eq!(Role::parse(r.as_str()), Some(r));
            assert_eq!(Role::from_code(r.code()), Some(r));
        }
        for r in [TeamRole::Member, TeamRole::Creator, TeamRole::Admin] {
            assert_eq!(TeamRole::parse(r.as_str()), Some(r));
            assert_eq!(TeamRole::from_code(r.code()), Some(r));
        }
        assert_eq!(Role::parse("owner"), None);
    }
}
