//! Avatars as Quay renders them: `{name, hash, color, kind}`.
//!
//! The hash is MD5 of the trimmed, lowercased e-mail address (or name when there is
//! none); the colour is picked from Quay's 32-colour palette by the hash's first hex
//! digits, as many as it takes to index the palette (`ceil(log16(len))` = 2). The seed
//! guide's examples (a 32-digit hash, `#5254a3` for a hash starting `35`) pin both.

use md5::{Digest, Md5};
use serde::Serialize;

/// Quay's default `AVATAR_COLORS`.
pub const DEFAULT_COLORS: [&str; 32] = [
    "#969696", "#aec7e8", "#ff7f0e", "#ffbb78", "#2ca02c", "#98df8a", "#d62728", "#ff9896",
    "#9467bd", "#c5b0d5", "#8c564b", "#c49c94", "#e377c2", "#f7b6d2", "#7f7f7f", "#c7c7c7",
    "#bcbd22", "#1f77b4", "#17becf", "#9edae5", "#393b79", "#5254a3", "#6b6ecf", "#9c9ede",
    "#9ecae1", "#31a354", "#b5cf6b", "#a1d99b", "#8c6d31", "#ad494a", "#e7ba52", "#a55194",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum AvatarKind {
    User,
    Robot,
    Org,
    Team,
    /// An OAuth application.
    App,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Avatar {
    pub name: String,
    pub hash: String,
    pub color: String,
    pub kind: AvatarKind,
}

/// The avatar of `name`, hashed from `email_or_id` when there is one.
pub fn avatar(name: &str, email_or_id: Option<&str>, kind: AvatarKind) -> Avatar {
    let source = email_or_id.filter(|s| !s.is_empty()).unwrap_or(name);
    let hash = hex::encode(Md5::digest(source.trim().to_lowercase().as_bytes()));
    let colors = &DEFAULT_COLORS;
    let digits = hex_digits_for(colors.len());
    let index = usize::from_str_radix(&hash[..digits], 16).unwrap_or(0) % colors.len();
    Avatar {
        name: name.to_string(),
        hash,
        color: colors[index].to_string(),
        kind,
    }
}

/// `ceil(log16(n))`: how many hex digits index `n` colours.
fn hex_digits_for(n: usize) -> usize {
    let mut digits = 0;
    let mut reach = 1usize;
    while reach < n {
        reach *= 16;
        digits += 1;
    }
    digits.max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_and_color_follow_quay() {
        // Python: hashlib.md5(b"quayadmin@example.com").hexdigest()
        let a = avatar(
            "quayadmin",
            Some(" QuayAdmin@example.com"),
            AvatarKind::User,
        );
        assert_eq!(a.hash, "90026ace95495835e7d6c3b9ff648e21");
        assert_eq!(a.color, "#bcbd22"); // 0x90 % 32 = 16
                                        // The seed guide's example: a hash starting with 35 is #5254a3 (0x35 % 32 = 21).
        assert_eq!(DEFAULT_COLORS[0x35 % DEFAULT_COLORS.len()], "#5254a3");
        let team = avatar("owners", None, AvatarKind::Team);
        assert_eq!(team.hash, hex::encode(Md5::digest(b"owners")));
        assert_eq!(hex_digits_for(32), 2);
        assert_eq!(hex_digits_for(16), 1);
    }
}
