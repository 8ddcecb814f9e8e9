//! Registry bearer tokens (Docker token auth, Quay's `/v2/auth`): RS256 JWTs signed by
//! this instance's service key, verified against the service keys registered in the
//! database, so any replica verifies a token any other replica signed.
//!
//! Claims as Quay's: `iss` = `quay`, `aud` = `SERVER_HOSTNAME`, `sub` = the user (or
//! `(anonymous)`), `nbf`/`iat` = now, `exp` = now + 1 h, `access` = the granted
//! repository actions, `context` = who was authenticated. Verification: the `kid` must
//! name an approved, unexpired key of service `quay`; `aud` and `iss` must match; the
//! token may not claim to live longer than `exp - iat` = 3660 s; 30 s leeway for clocks.

use std::sync::Arc;

use async_trait::async_trait;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, Duration, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use quay_core::cache::TtlCache;
use quay_core::{DomainError, DomainResult};
use rsa::pkcs8::{DecodePrivateKey, EncodePrivateKey, LineEnding};
use rsa::traits::PublicKeyParts;
use rsa::RsaPrivateKey;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use tokio::sync::OnceCell;

/// Quay's `INSTANCE_SERVICE_KEY_SERVICE`: issuer of registry tokens, service of the key.
pub const SERVICE: &str = "quay";
/// Lifetime of a registry token (Quay: one hour).
pub const TOKEN_LIFETIME_SECS: i64 = 3600;
/// Quay's `REGISTRY_JWT_AUTH_MAX_FRESH_S`: the longest lifetime a token may claim.
pub const MAX_FRESH_SECS: i64 = 3660;
/// Clock skew tolerated on `exp`/`nbf`/`iat`.
pub const LEEWAY_SECS: u64 = 30;
/// Quay's `INSTANCE_SERVICE_KEY_EXPIRATION`: a registration lasts two hours and is
/// renewed well before (`INSTANCE_SERVICE_KEY_REFRESH`, 55 minutes).
pub const KEY_REGISTRATION_SECS: i64 = 2 * 3600;
pub const KEY_REFRESH_SECS: u64 = 55 * 60;
/// The subject of tokens handed to anonymous callers.
pub const ANONYMOUS_SUBJECT: &str = "(anonymous)";

/// A registered service key (public part only).
#[derive(Debug, Clone, PartialEq)]
pub struct ServiceKey {
    pub kid: String,
    pub service: String,
    pub name: Option<String>,
    /// The public key as a JWK (`kty`, `n`, `e`, ...).
    pub jwk: Value,
    pub created: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    /// `None`: not approved, so it verifies nothing.
    pub approval_type: Option<String>,
}

/// Storage of service keys (implemented by `quay-persistence`).
#[async_trait]
pub trait ServiceKeyStore: Send + Sync {
    async fn find_service_key(&self, kid: &str) -> DomainResult<Option<ServiceKey>>;

    /// Registers the key, or renews its expiry and approval if `kid` is known.
    async fn register_service_key(&self, key: ServiceKey) -> DomainResult<()>;
}

/// This instance's signing key.
pub struct InstanceKey {
    kid: String,
    jwk: Value,
    encoding: EncodingKey,
    pem: String,
}

impl InstanceKey {
    /// A new 2048-bit RSA key.
    pub fn generate() -> DomainResult<Self> {
        let key = RsaPrivateKey::new(&mut rsa::rand_core::OsRng, 2048)
            .map_err(|e| DomainError::internal(format!("RSA key generation: {e}")))?;
        Self::from_key(key)
    }

    /// The key from its PKCS#8 PEM (as [`InstanceKey::pem`] wrote it).
    pub fn from_pem(pem: &str) -> DomainResult<Self> {
        let key = RsaPrivateKey::from_pkcs8_pem(pem)
            .map_err(|e| DomainError::internal(format!("instance key: {e}")))?;
        Self::from_key(key)
    }

    fn from_key(key: RsaPrivateKey) -> DomainResult<Self> {
        let pem = key
            .to_pkcs8_pem(LineEnding::LF)
            .map_err(|e| DomainError::internal(format!("instance key: {e}")))?
            .to_string();
        let encoding = EncodingKey::from_rsa_pem(pem.as_bytes())
            .map_err(|e| DomainError::internal(format!("instance key: {e}")))?;
        let n = URL_SAFE_NO_PAD.encode(key.n().to_bytes_be());
        let e = URL_SAFE_NO_PAD.encode(key.e().to_bytes_be());
        // RFC 7638 thumbprint: SHA-256 of the required members in lexicographic order.
        let canonical = format!(r#"{{"e":"{e}","kty":"RSA","n":"{n}"}}"#);
        let kid = URL_SAFE_NO_PAD.encode(Sha256::digest(canonical.as_bytes()));
        let jwk = json!({"kty": "RSA", "n": n, "e": e, "kid": kid, "alg": "RS256", "use": "sig"});
        Ok(InstanceKey {
            kid,
            jwk,
            encoding,
            pem,
        })
    }

    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The private key as PKCS#8 PEM, for keeping it across restarts.
    pub fn pem(&self) -> &str {
        &self.pem
    }
}

/// A repository grant inside a token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Access {
    #[serde(rename = "type")]
    pub kind: String,
    pub name: String,
    pub actions: Vec<String>,
}

/// The claims of a registry token.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RegistryClaims {
    pub iss: String,
    pub aud: String,
    pub nbf: i64,
    pub iat: i64,
    pub exp: i64,
    pub sub: String,
    pub access: Vec<Access>,
    #[serde(default)]
    pub context: Value,
}

/// Mints and verifies registry tokens.
pub struct RegistryTokens {
    store: Arc<dyn ServiceKeyStore>,
    audience: String,
    key: OnceCell<Arc<InstanceKey>>,
    /// Verification keys by `kid`, so a token's key is read from the database once per
    /// `CACHE_TTL_MS`, not per request.
    keys: TtlCache<String, Option<Arc<DecodingKey>>>,
    /// Tokens that verified, by the SHA-256 of their text: an RS256 check costs a quarter
    /// of a millisecond, and a client sends the same token with every request of a pull
    /// or push. Kept no longer than the key cache, so a revoked key stops verifying
    /// within the same `CACHE_TTL_MS`; expiry is checked again on every hit.
    verified: TtlCache<[u8; 32], Arc<RegistryClaims>>,
}

impl RegistryTokens {
    /// Tokens for `audience` (`SERVER_HOSTNAME`); the instance key is generated and
    /// registered on first use unless [`RegistryTokens::use_key`] provides one.
    pub fn new(
        store: Arc<dyn ServiceKeyStore>,
        audience: String,
        cache_ttl: std::time::Duration,
    ) -> Self {
        Self {
            store,
            audience,
            key: OnceCell::new(),
            keys: TtlCache::new(cache_ttl, 100),
            verified: TtlCache::new(cache_ttl, 10_000),
        }
    }

    /// Signs with `key` (kept by the server across restarts) and registers it.
    pub async fn use_key(&self, key: InstanceKey) -> DomainResult<()> {
        let key = Arc::new(key);
        self.register(&key).await?;
        self.key
            .set(key)
            .map_err(|_| DomainError::internal("the instance key is already set"))
    }

    async fn register(&self, key: &InstanceKey) -> DomainResult<()> {
        let now = Utc::now();
        self.store
            .register_service_key(ServiceKey {
                kid: key.kid.clone(),
                service: SERVICE.into(),
                name: Some("Instance key".into()),
                jwk: key.jwk.clone(),
                created: now,
                expires_at: Some(now + Duration::seconds(KEY_REGISTRATION_SECS)),
                approval_type: Some("Automatic".into()),
            })
            .await
    }

    async fn key(&self) -> DomainResult<Arc<InstanceKey>> {
        self.key
            .get_or_try_init(|| async {
                let key = Arc::new(InstanceKey::generate()?);
                self.register(&key).await?;
                Ok::<_, DomainError>(key)
            })
            .await
            .cloned()
    }

    /// Renews the instance key's registration (run every [`KEY_REFRESH_SECS`]).
    pub async fn refresh_registration(&self) -> DomainResult<()> {
        let key = self.key().await?;
        self.register(&key).await
    }

    /// A token for `subject` (`None`: anonymous) with `access`.
    pub async fn mint(
        &self,
        subject: Option<&str>,
        access: Vec<Access>,
        context: Value,
    ) -> DomainResult<String> {
        let key = self.key().await?;
        let now = Utc::now().timestamp();
        let claims = RegistryClaims {
            iss: SERVICE.into(),
            aud: self.audience.clone(),
            nbf: now,
            iat: now,
            exp: now + TOKEN_LIFETIME_SECS,
            sub: subject.unwrap_or(ANONYMOUS_SUBJECT).into(),
            access,
            context,
        };
        let mut header = Header::new(Algorithm::RS256);
        header.kid = Some(key.kid.clone());
        jsonwebtoken::encode(&header, &claims, &key.encoding)
            .map_err(|e| DomainError::internal(format!("signing a registry token: {e}")))
    }

    /// The verifying key of `kid`, if it is a usable key of the registry.
    async fn decoding_key(&self, kid: &str) -> DomainResult<Option<Arc<DecodingKey>>> {
        if let Some(hit) = self.keys.get(&kid.to_string()) {
            return Ok(hit);
        }
        let now = Utc::now();
        let key = self
            .store
            .find_service_key(kid)
            .await?
            .filter(|k| k.service == SERVICE && k.approval_type.is_some())
            .filter(|k| k.expires_at.is_none_or(|e| e > now));
        let decoding = match key {
            Some(k) => {
                let n = k.jwk["n"].as_str().unwrap_or_default();
                let e = k.jwk["e"].as_str().unwrap_or_default();
                DecodingKey::from_rsa_components(n, e).ok().map(Arc::new)
            }
            None => None,
        };
        self.keys.insert(kid.to_string(), decoding.clone());
        Ok(decoding)
    }

    /// The claims of a valid token; `None` for anything else (bad signature, unknown or
    /// unapproved key, wrong audience or issuer, expired, too long-lived).
    /// Shared: a remembered token's claims are not copied for each request.
    pub async fn verify(&self, token: &str) -> DomainResult<Option<Arc<RegistryClaims>>> {
        let fingerprint: [u8; 32] = Sha256::digest(token.as_bytes()).into();
        if let Some(claims) = self.verified.get(&fingerprint) {
            let now = Utc::now().timestamp();
            let leeway = LEEWAY_SECS as i64;
            let current = claims.exp >= now - leeway && claims.nbf <= now + leeway;
            return Ok(current.then_some(claims));
        }
        let Ok(header) = jsonwebtoken::decode_header(token) else {
            return Ok(None);
        };
        if header.alg != Algorithm::RS256 {
            return Ok(None);
        }
        let Some(kid) = header.kid else {
            return Ok(None);
        };
        let Some(key) = self.decoding_key(&kid).await? else {
            return Ok(None);
        };
        let mut validation = Validation::new(Algorithm::RS256);
        validation.leeway = LEEWAY_SECS;
        validation.validate_nbf = true;
        validation.set_audience(&[&self.audience]);
        validation.set_issuer(&[SERVICE]);
        validation.set_required_spec_claims(&["exp", "iat", "nbf", "aud", "iss", "sub"]);
        let Ok(data) = jsonwebtoken::decode::<RegistryClaims>(token, &key, &validation) else {
            return Ok(None);
        };
        let claims = data.claims;
        if claims.exp - claims.iat > MAX_FRESH_SECS
            || claims.iat > Utc::now().timestamp() + LEEWAY_SECS as i64
        {
            return Ok(None);
        }
        let claims = Arc::new(claims);
        self.verified.insert(fingerprint, claims.clone());
        Ok(Some(claims))
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;

    #[derive(Default)]
    struct Keys(Mutex<Vec<ServiceKey>>);

    #[async_trait]
    impl ServiceKeyStore for Keys {
        async fn find_service_key(&self, kid: &str) -> DomainResult<Option<ServiceKey>> {
            Ok(self
                .0
                .lock()
                .unwrap()
                .iter()
                .find(|k| k.kid == kid)
                .cloned())
        }
        async fn register_service_key(&self, key: ServiceKey) -> DomainResult<()> {
            let mut keys = self.0.lock().unwrap();
            keys.retain(|k| k.kid != key.kid);
            keys.push(key);
            Ok(())
        }
    }

    fn tokens(store: &Arc<Keys>, audience: &str) -> RegistryTokens {
        RegistryTokens::new(
            store.clone(),
            audience.into(),
            std::time::Duration::from_millis(0),
        )
    }

    fn pull(name: &str) -> Vec<Access> {
        vec![Access {
            kind: "repository".into(),
            name: name.into(),
            actions: vec!["pull".into()],
        }]
    }

    /// Signs `claims` with `key` as a token of the registry would be.
    fn sign(key: &InstanceKey, claims: &Value) -> String {
        let mut header = Header::new(Algorithm::RS256);
        header.kid = Some(key.kid.clone());
        jsonwebtoken::encode(&header, claims, &key.encoding).unwrap()
    }

    #[tokio::test]
    async fn a_token_from_one_replica_verifies_on_another() {
        let store = Arc::new(Keys::default());
        let one = tokens(&store, "quay.example.com");
        let other = tokens(&store, "quay.example.com");
        let token = one
            .mint(Some("alice"), pull("acme/app"), json!({"kind": "user"}))
            .await
            .unwrap();
        let claims = other.verify(&token).await.unwrap().expect("valid");
        assert_eq!(claims.sub, "alice");
        assert_eq!(claims.iss, "quay");
        assert_eq!(claims.aud, "quay.example.com");
        assert_eq!(claims.exp - claims.iat, TOKEN_LIFETIME_SECS);
        assert_eq!(claims.access, pull("acme/app"));
        // Each instance registered its own key.
        assert_eq!(store.0.lock().unwrap().len(), 1);
        other.mint(None, vec![], json!({})).await.unwrap();
        assert_eq!(store.0.lock().unwrap().len(), 2);
    }

    #[tokio::test]
    async fn foreign_expired_or_unapproved_tokens_are_refused() {
        let store = Arc::new(Keys::default());
        let registry = tokens(&store, "quay.example.com");
        let token = registry.mint(None, pull("a/b"), json!({})).await.unwrap();
        assert!(registry.verify(&token).await.unwrap().is_some());

        // Another audience, garbage, a tampered payload.
        assert!(tokens(&store, "elsewhere")
            .verify(&token)
            .await
            .unwrap()
            .is_none());
        assert!(registry.verify("not.a.jwt").await.unwrap().is_none());
        let mut parts: Vec<String> = token.split('.').map(str::to_string).collect();
        parts[1] = URL_SAFE_NO_PAD.encode(r#"{"sub":"admin"}"#);
        assert!(registry.verify(&parts.join(".")).await.unwrap().is_none());

        // A key nobody registered, however well-formed the token.
        let stranger = InstanceKey::generate().unwrap();
        let now = Utc::now().timestamp();
        let claims = |iat: i64, exp: i64| {
            json!({"iss": "quay", "aud": "quay.example.com", "nbf": iat, "iat": iat, "exp": exp,
                   "sub": "x", "access": [], "context": {}})
        };
        assert!(registry
            .verify(&sign(&stranger, &claims(now, now + 60)))
            .await
            .unwrap()
            .is_none());

        // The registry's own key: expiry (beyond the 30 s leeway) and claimed lifetime.
        let key = registry.key().await.unwrap();
        let ok = sign(&key, &claims(now, now + 60));
        assert!(registry.verify(&ok).await.unwrap().is_some());
        let leeway = sign(&key, &claims(now - 100, now - 10));
        assert!(registry.verify(&leeway).await.unwrap().is_some());
        let expired = sign(&key, &claims(now - 100, now - 40));
        assert!(registry.verify(&expired).await.unwrap().is_none());
        let too_long = sign(&key, &claims(now, now + MAX_FRESH_SECS + 1));
        assert!(registry.verify(&too_long).await.unwrap().is_none());

        // An unapproved or expired registration verifies nothing.
        for change in [
            |k: &mut ServiceKey| k.approval_type = None,
            |k: &mut ServiceKey| k.expires_at = Some(Utc::now() - Duration::seconds(1)),
        ] {
            let original = {
                let mut keys = store.0.lock().unwrap();
                let original = keys[0].clone();
                change(&mut keys[0]);
                original
            };
            assert!(registry.verify(&ok).await.unwrap().is_none());
            store.0.lock().unwrap()[0] = original;
            assert!(registry.verify(&ok).await.unwrap().is_some());
        }
    }

    #[tokio::test]
    async fn a_remembered_token_still_expires() {
        let store = Arc::new(Keys::default());
        let registry = RegistryTokens::new(
            store.clone(),
            "h".into(),
            std::time::Duration::from_secs(60),
        );
        let key = registry.key().await.unwrap();
        let now = Utc::now().timestamp();
        // Expired 29 s ago: valid for one more second of leeway.
        let claims = json!({"iss": "quay", "aud": "h", "nbf": now - 100, "iat": now - 100,
                            "exp": now - 29, "sub": "x", "access": [], "context": {}});
        let token = sign(&key, &claims);
        assert!(registry.verify(&token).await.unwrap().is_some());
        // Remembered: verifies without its key.
        store.0.lock().unwrap().clear();
        registry.keys.invalidate(|_| true);
        assert!(registry.verify(&token).await.unwrap().is_some());
        tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
        assert!(registry.verify(&token).await.unwrap().is_none());
    }

    #[tokio::test]
    async fn a_kept_key_signs_again_after_a_restart() {
        let store = Arc::new(Keys::default());
        let key = InstanceKey::generate().unwrap();
        let pem = key.pem().to_string();
        let kid = key.kid().to_string();
        let before = tokens(&store, "h");
        before.use_key(key).await.unwrap();
        let token = before.mint(Some("u"), vec![], json!({})).await.unwrap();
        let after = tokens(&store, "h");
        let again = InstanceKey::from_pem(&pem).unwrap();
        assert_eq!(again.kid(), kid);
        after.use_key(again).await.unwrap();
        assert!(after.verify(&token).await.unwrap().is_some());
        assert_eq!(store.0.lock().unwrap().len(), 1);
    }
}
