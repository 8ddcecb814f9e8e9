//! Signed, expiring tokens: `next_page` positions and session cookies.
//!
//! Quay hands out Fernet-encrypted page tokens that expire after two days (an invalid or
//! expired one means "first page") and Flask-signed session cookies. Ours carry the same
//! information (JSON and an expiry) signed with HMAC-SHA256 under a key derived per
//! purpose from the server secret: the content is not secret, but it must not be
//! forgeable.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use serde::{de::DeserializeOwned, Deserialize, Serialize};
use sha2::Sha256;

/// How long a page token stays valid, as in Quay.
pub const PAGE_TOKEN_TTL_SECS: i64 = 2 * 24 * 3600;

#[derive(Clone)]
pub struct SignedTokens {
    key: Vec<u8>,
    ttl_secs: i64,
}

#[derive(Serialize, Deserialize)]
struct Envelope<T> {
    exp: i64,
    pos: T,
}

impl SignedTokens {
    pub fn new(key: impl Into<Vec<u8>>, ttl_secs: i64) -> Self {
        Self {
            key: key.into(),
            ttl_secs,
        }
    }

    /// Tokens for one `purpose`, under a key derived from the server `secret`, so that a
    /// token made for one purpose is worthless for another.
    pub fn derived(secret: &[u8], purpose: &str, ttl_secs: i64) -> Self {
        let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC accepts any key length");
        mac.update(purpose.as_bytes());
        Self::new(mac.finalize().into_bytes().to_vec(), ttl_secs)
    }

    fn mac(&self) -> Hmac<Sha256> {
        Hmac::<Sha256>::new_from_slice(&self.key).expect("HMAC accepts any key length")
    }

    /// Encodes `pos`, valid for the TTL from `now`.
    pub fn encode<T: Serialize>(&self, pos: &T, now: i64) -> String {
        let body = serde_json::to_vec(&Envelope {
            exp: now + self.ttl_secs,
            pos,
        })
        .expect("page positions serialize");
        let mut mac = self.mac();
        mac.update(&body);
        let sig = mac.finalize().into_bytes();
        format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(&body),
            URL_SAFE_NO_PAD.encode(sig)
        )
    }

    /// Decodes a token; `None` for anything forged, malformed or expired.
    pub fn decode<T: DeserializeOwned>(&self, token: &str, now: i64) -> Option<T> {
        let (body, sig) = token.split_once('.')?;
        let body = URL_SAFE_NO_PAD.decode(body).ok()?;
        let sig = URL_SAFE_NO_PAD.decode(sig).ok()?;
        let mut mac = self.mac();
        mac.update(&body);
        mac.verify_slice(&sig).ok()?;
        let env: Envelope<T> = serde_json::from_slice(&body).ok()?;
        (env.exp > now).then_some(env.pos)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_tamper_and_expiry() {
        let tokens = SignedTokens::new(b"k".to_vec(), PAGE_TOKEN_TTL_SECS);
        let t = tokens.encode(&42u64, 1000);
        assert_eq!(tokens.decode::<u64>(&t, 1001), Some(42));
        assert_eq!(tokens.decode::<u64>(&t, 1000 + PAGE_TOKEN_TTL_SECS), None);
        let other = SignedTokens::new(b"other".to_vec(), PAGE_TOKEN_TTL_SECS);
        assert_eq!(other.decode::<u64>(&t, 1001), None);
        let mut forged = t.clone();
        forged.replace_range(0..1, if t.starts_with('e') { "f" } else { "e" });
        assert_eq!(tokens.decode::<u64>(&forged, 1001), None);
        assert_eq!(tokens.decode::<u64>("garbage", 1001), None);
        let pages = SignedTokens::derived(b"secret", "page", 60);
        let sessions = SignedTokens::derived(b"secret", "session", 60);
        assert_eq!(sessions.decode::<u64>(&pages.encode(&1u64, 0), 1), None);
    }
}
