//! Random secrets, their digests, and password hashes.

use rand::distr::{Alphanumeric, SampleString};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// Quay's bcrypt cost for passwords.
pub const BCRYPT_COST: u32 = 12;

/// A random string of `len` characters from `[A-Za-z0-9]` (Quay's token alphabet).
pub fn random_token(len: usize) -> String {
    Alphanumeric.sample_string(&mut rand::rng(), len)
}

/// A random string of `len` characters from `[A-Z0-9]` (Quay's generated passwords).
pub fn random_upper_alnum(len: usize) -> String {
    use rand::Rng;
    const CHARS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    let mut rng = rand::rng();
    (0..len)
        .map(|_| CHARS[rng.random_range(0..CHARS.len())] as char)
        .collect()
}

/// A random UUID (version 4) in its usual text form.
pub fn random_uuid() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// Hex SHA-256 of a token secret: what we store instead of the secret.
pub fn digest(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// Whether `secret` matches a stored digest, in time independent of where they differ.
pub fn verify_digest(secret: &str, stored_hex: &str) -> bool {
    constant_time_eq(digest(secret).as_bytes(), stored_hex.as_bytes())
}

/// Equality in time independent of where the inputs differ (lengths are not secret).
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.ct_eq(b).into()
}

/// Hashes a password with bcrypt (the format Quay stores, so databases can move over).
pub fn hash_password(password: &str) -> Result<String, String> {
    bcrypt::hash(password, BCRYPT_COST).map_err(|e| e.to_string())
}

/// [`hash_password`] on a blocking thread (bcrypt takes ~250 ms), as a domain result.
pub async fn hash_password_off_thread(password: String) -> quay_core::DomainResult<String> {
    use quay_core::DomainError;
    tokio::task::spawn_blocking(move || hash_password(&password))
        .await
        .map_err(DomainError::internal)?
        .map_err(DomainError::internal)
}

/// Checks a password against a bcrypt hash; a malformed hash never matches.
pub fn verify_password(password: &str, hash: &str) -> bool {
    bcrypt::verify(password, hash).unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_alphanumeric() {
        let a = random_token(40);
        let b = random_token(40);
        assert_eq!(a.len(), 40);
        assert_ne!(a, b);
        assert!(a.chars().all(|c| c.is_ascii_alphanumeric()));
    }

    #[test]
    fn uuids_are_version_4() {
        let u = random_uuid();
        assert_eq!(u.len(), 36);
        assert_eq!(&u[14..15], "4");
        assert!(matches!(&u[19..20], "8" | "9" | "a" | "b"));
        assert_ne!(u, random_uuid());
    }

    #[test]
    fn digests_verify_only_their_secret() {
        let d = digest("secret");
        assert!(verify_digest("secret", &d));
        assert!(!verify_digest("secreT", &d));
        assert!(!verify_digest("secret", "00"));
    }

    #[test]
    fn passwords() {
        let h = bcrypt::hash("password", 4).unwrap();
        assert!(verify_password("password", &h));
        assert!(!verify_password("Password", &h));
        assert!(!verify_password("password", "not-a-hash"));
    }
}
