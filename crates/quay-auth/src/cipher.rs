//! Encryption of stored secrets the server must read back: robot tokens (shown to
//! administrators, as Quay does) and OAuth client secrets.
//!
//! AES-256-GCM with a random 96-bit nonce per value, under a key derived from
//! `DATABASE_SECRET_KEY` (or the instance secret). Stored form: `v1$$` followed by
//! base64(nonce ‖ ciphertext ‖ tag). Changing the key makes stored values unreadable, so
//! replicas sharing a database must share the key.

use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use hmac::{Hmac, Mac};
use quay_core::{DomainError, DomainResult};
use sha2::Sha256;

const PREFIX: &str = "v1$$";
const NONCE_LEN: usize = 12;

#[derive(Clone)]
pub struct FieldCipher {
    aead: Aes256Gcm,
}

impl std::fmt::Debug for FieldCipher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("FieldCipher(..)")
    }
}

impl FieldCipher {
    /// A cipher keyed by HMAC-SHA256(`secret`, "field-encryption").
    pub fn derived(secret: &[u8]) -> Self {
        Self::for_purpose(secret, "field-encryption")
    }

    /// A cipher for one `purpose`, so values sealed for one use never open for another.
    pub fn for_purpose(secret: &[u8], purpose: &str) -> Self {
        let mut mac =
            <Hmac<Sha256> as Mac>::new_from_slice(secret).expect("HMAC accepts any key length");
        mac.update(purpose.as_bytes());
        let key = mac.finalize().into_bytes();
        Self {
            aead: Aes256Gcm::new(&key),
        }
    }

    pub fn encrypt(&self, plaintext: &str) -> String {
        let nonce: [u8; NONCE_LEN] = rand::random();
        let sealed = self
            .aead
            .encrypt(Nonce::from_slice(&nonce), plaintext.as_bytes())
            .expect("AES-GCM encryption of a short value cannot fail");
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        format!("{PREFIX}{}", STANDARD.encode(out))
    }

    /// The plaintext of a stored value; a value sealed under another key, or tampered
    /// with, is an internal error (the configuration lost its key), never a wrong answer.
    pub fn decrypt(&self, stored: &str) -> DomainResult<String> {
        let fail = || DomainError::internal("stored secret cannot be decrypted with this key");
        let raw = stored
            .strip_prefix(PREFIX)
            .and_then(|b| STANDARD.decode(b).ok())
            .ok_or_else(fail)?;
        if raw.len() < NONCE_LEN {
            return Err(fail());
        }
        let (nonce, sealed) = raw.split_at(NONCE_LEN);
        let plain = self
            .aead
            .decrypt(Nonce::from_slice(nonce), sealed)
            .map_err(|_| fail())?;
        String::from_utf8(plain).map_err(|_| fail())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_with_fresh_nonces() {
        let c = FieldCipher::derived(b"secret");
        let a = c.encrypt("ROBOTTOKEN");
        let b = c.encrypt("ROBOTTOKEN");
        assert_ne!(a, b, "each value gets its own nonce");
        assert!(a.starts_with("v1$$"));
        assert!(!a.contains("ROBOTTOKEN"));
        assert_eq!(c.decrypt(&a).unwrap(), "ROBOTTOKEN");
    }

    #[test]
    fn another_key_or_tampering_fails() {
        let c = FieldCipher::derived(b"secret");
        let sealed = c.encrypt("x");
        assert!(FieldCipher::derived(b"other").decrypt(&sealed).is_err());
        let mut raw = STANDARD.decode(&sealed[4..]).unwrap();
        *raw.last_mut().unwrap() ^= 1;
        let tampered = format!("v1$${}", STANDARD.encode(raw));
        assert!(c.decrypt(&tampered).is_err());
        assert!(c.decrypt("plain").is_err());
    }
}
