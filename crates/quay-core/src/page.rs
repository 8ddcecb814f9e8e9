//! Opaque `next_page` tokens.
//!
//! Quay hands out Fernet-encrypted page tokens that expire after two days and treats an
//! invalid or expired token as "first page". Ours carry the same information (a JSON
//! position and an expiry) signed with HMAC-SHA256: the position is not secret, but it
//! must not be forgeable into a query we did not plan for.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use serde::{de::DeserializeOwned, Deserialize, Serialize};
use sha2::Sha256;

/// How long a page token stays valid, as in Quay.
pub const PAGE_TOKEN_TTL_SECS: i64 = 2 * 24 * 3600;

#[derive(Clone)]
pub struct PageTokens {
    key: Vec<u8>,
}

#[derive(Serialize, Deserialize)]
struct Envelope<T> {
    exp: i64,
    pos: T,
}

impl PageTokens {
    pub fn new(key: impl Into<Vec<u8>>) -> Self {
        Self { key: key.into() }
    }

    fn mac(&self) -> Hmac<Sha256> {
        Hmac::<Sha256>::new_from_slice(&self.key).expect("HMAC accepts any key length")
    }

    /// Encodes a position that expires `PAGE_TOKEN_TTL_SECS` after `now`.
    pub fn encode<T: Serialize>(&self, pos: &T, now: i64) -> String {
        let body = serde_json::to_vec(&Envelope {
            exp: now + PAGE_TOKEN_TTL_SECS,
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
        let tokens = PageTokens::new(b"k".to_vec());
        let t = tokens.encode(&42u64, 1000);
        assert_eq!(tokens.decode::<u64>(&t, 1001), Some(42));
        assert_eq!(tokens.decode::<u64>(&t, 1000 + PAGE_TOKEN_TTL_SECS), None);
        let other = PageTokens::new(b"other".to_vec());
        assert_eq!(other.decode::<u64>(&t, 1001), None);
        let mut forged = t.clone();
        forged.replace_range(0..1, if t.starts_with('e') { "f" } else { "e" });
        assert_eq!(tokens.decode::<u64>(&forged, 1001), None);
        assert_eq!(tokens.decode::<u64>("garbage", 1001), None);
    }
}
