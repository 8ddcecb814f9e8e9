//! The `scope` parameter of `/v2/auth`:
//! `repository:[<SERVER_HOSTNAME>/]<namespace>/<name>:<pull|push|*>[,...]`.

/// An action a registry token may grant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Action {
    Pull,
    Push,
    /// `*`: everything, for repository administrators.
    All,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Pull => "pull",
            Action::Push => "push",
            Action::All => "*",
        }
    }
}

/// A parsed repository scope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepositoryScope {
    /// The name as requested (with the host prefix if one was given): the token's
    /// `access[].name`.
    pub requested: String,
    /// The repository path, without the host.
    pub path: String,
    pub actions: Vec<Action>,
}

/// Quay's scope expression; `None` when the scope does not match it.
pub fn parse_scope(scope: &str, hostname: &str) -> Option<RepositoryScope> {
    let rest = scope.strip_prefix("repository:")?;
    let (requested, actions) = rest.rsplit_once(':')?;
    let path = requested
        .strip_prefix(hostname)
        .and_then(|p| p.strip_prefix('/'))
        .unwrap_or(requested);
    let component_ok = |c: &str| {
        !c.is_empty()
            && c.chars()
                .all(|ch| ch.is_ascii_alphanumeric() || matches!(ch, '.' | '_' | '-'))
    };
    if !path.split('/').all(component_ok) {
        return None;
    }
    let mut parsed = Vec::new();
    for a in actions.split(',') {
        let action = match a {
            "pull" => Action::Pull,
            "push" => Action::Push,
            "*" => Action::All,
            _ => return None,
        };
        if !parsed.contains(&action) {
            parsed.push(action);
        }
    }
    Some(RepositoryScope {
        requested: requested.to_string(),
        path: path.to_string(),
        actions: parsed,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_parse_as_quay_matches_them() {
        let s = parse_scope("repository:acme/app:pull,push", "quay.io").unwrap();
        assert_eq!(s.requested, "acme/app");
        assert_eq!(s.path, "acme/app");
        assert_eq!(s.actions, [Action::Pull, Action::Push]);
        let s = parse_scope("repository:quay.io/acme/app:*", "quay.io").unwrap();
        assert_eq!(s.requested, "quay.io/acme/app");
        assert_eq!(s.path, "acme/app");
        assert_eq!(s.actions, [Action::All]);
        let s = parse_scope("repository:library:pull,pull", "quay.io").unwrap();
        assert_eq!(s.path, "library");
        assert_eq!(s.actions, [Action::Pull]);
        for bad in [
            "registry:catalog:*",
            "repository:acme/app",
            "repository:acme/app:delete",
            "repository:acme//app:pull",
            "repository:acme/a pp:pull",
            "repository::pull",
            "repository:acme/app:",
        ] {
            assert_eq!(parse_scope(bad, "quay.io"), None, "{bad}");
        }
    }
}
