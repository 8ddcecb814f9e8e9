//! Quay's names (namespaces, repositories) and their validation rules.
//!
//! The rules are Quay's regular expressions, written as small character-class scanners so
//! that this crate needs no regex engine:
//! - namespace (user, organization, robot short name): `^[a-z0-9]+(?:[._-][a-z0-9]+)*$`,
//!   2 to 255 characters;
//! - repository: `^[a-z0-9][.a-z0-9_-]{0,254}$`, and with extended names
//!   (`FEATURE_EXTENDED_REPOSITORY_NAMES`) several such components joined by `/`, 255
//!   characters in all.

use std::fmt;

pub const MIN_NAMESPACE_LENGTH: usize = 2;
pub const MAX_NAMESPACE_LENGTH: usize = 255;
pub const MAX_REPOSITORY_LENGTH: usize = 255;

/// The expression Quay prints in its "must match expression" message.
pub const NAMESPACE_EXPRESSION: &str = "^([a-z0-9]+(?:[._-][a-z0-9]+)*)$";

fn is_lower_alnum(c: char) -> bool {
    c.is_ascii_lowercase() || c.is_ascii_digit()
}

/// Checks a namespace name; on failure returns Quay's explanation (without the
/// "Invalid namespace X: " prefix, which the caller adds where Quay does).
pub fn check_namespace(name: &str) -> Result<(), String> {
    let mut prev_separator = true; // a name may not start with a separator
    let mut shape_ok = !name.is_empty();
    for c in name.chars() {
        if is_lower_alnum(c) {
            prev_separator = false;
        } else if matches!(c, '.' | '_' | '-') && !prev_separator {
            prev_separator = true;
        } else {
            shape_ok = false;
            break;
        }
    }
    if prev_separator {
        shape_ok = false;
    }
    if !shape_ok {
        return Err(format!(
            "Namespace must match expression {NAMESPACE_EXPRESSION}"
        ));
    }
    let len = name.len();
    if !(MIN_NAMESPACE_LENGTH..=MAX_NAMESPACE_LENGTH).contains(&len) {
        return Err(format!(
            "Namespace must be between {MIN_NAMESPACE_LENGTH} and {MAX_NAMESPACE_LENGTH} characters in length"
        ));
    }
    Ok(())
}

fn is_repository_component(part: &str) -> bool {
    let mut chars = part.chars();
    match chars.next() {
        Some(c) if is_lower_alnum(c) => {}
        _ => return false,
    }
    chars.all(|c| is_lower_alnum(c) || matches!(c, '.' | '_' | '-'))
}

/// Whether `name` is a valid repository name (the part after the namespace).
pub fn is_valid_repository_name(name: &str, extended: bool) -> bool {
    if name.is_empty() || name.len() > MAX_REPOSITORY_LENGTH {
        return false;
    }
    if extended {
        name.split('/').all(is_repository_component)
    } else {
        is_repository_component(name)
    }
}

/// A repository's full name: `namespace/name`, where `name` may itself contain `/`
/// when extended repository names are enabled.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RepositoryName {
    pub namespace: String,
    pub name: String,
}

impl RepositoryName {
    pub fn new(namespace: impl Into<String>, name: impl Into<String>) -> Self {
        Self {
            namespace: namespace.into(),
            name: name.into(),
        }
    }

    /// Splits an API repository path (`namespace/name[/more]`) at its first `/`.
    /// A path without a namespace belongs to `library_namespace` when library support is
    /// on (Quay's `parse_repository_name`); otherwise it is not a repository path.
    pub fn parse_path(path: &str, library_namespace: Option<&str>) -> Option<Self> {
        match path.split_once('/') {
            Some((ns, name)) if !ns.is_empty() && !name.is_empty() => Some(Self::new(ns, name)),
            Some(_) => None,
            None => library_namespace
                .filter(|_| !path.is_empty())
                .map(|lib| Self::new(lib, path)),
        }
    }
}

impl fmt::Display for RepositoryName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.namespace, self.name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn namespaces_follow_quay_expression_and_length() {
        for ok in ["devtable", "buynlarge", "a1", "my-org", "my.org_x", "ab"] {
            assert_eq!(check_namespace(ok), Ok(()), "{ok}");
        }
        for bad in ["Devtable", "-abc", "abc-", "a..b", "a b", "", "ab/c", "é1"] {
            let err = check_namespace(bad).unwrap_err();
            assert!(
                err.starts_with("Namespace must match expression"),
                "{bad}: {err}"
            );
        }
        let err = check_namespace("a").unwrap_err();
        assert_eq!(
            err,
            "Namespace must be between 2 and 255 characters in length"
        );
        assert!(check_namespace(&"a".repeat(256)).is_err());
        assert!(check_namespace(&"a".repeat(255)).is_ok());
    }

    #[test]
    fn repository_names() {
        for ok in ["simple", "a", "0x", "with.dots-and_under", "x-"] {
            assert!(is_valid_repository_name(ok, false), "{ok}");
        }
        for bad in ["", "Upper", "-lead", ".lead", "a/b", "sp ace", "a:b"] {
            assert!(!is_valid_repository_name(bad, false), "{bad}");
        }
        assert!(is_valid_repository_name("a/b/c", true));
        assert!(!is_valid_repository_name("a//b", true));
        assert!(!is_valid_repository_name("a/", true));
        assert!(!is_valid_repository_name("a/-b", true));
        assert!(is_valid_repository_name(&"a".repeat(255), false));
        assert!(!is_valid_repository_name(&"a".repeat(256), false));
    }

    #[test]
    fn repository_paths() {
        assert_eq!(
            RepositoryName::parse_path("devtable/a/b", None),
            Some(RepositoryName::new("devtable", "a/b"))
        );
        assert_eq!(
            RepositoryName::parse_path("ubuntu", Some("library")),
            Some(RepositoryName::new("library", "ubuntu"))
        );
        assert_eq!(RepositoryName::parse_path("ubuntu", None), None);
        assert_eq!(RepositoryName::parse_path("/x", None), None);
    }
}
