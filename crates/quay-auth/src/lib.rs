//! Credentials and access decisions.
//!
//! - [`secret`]: random tokens, SHA-256 digests of token secrets compared in constant
//!   time, bcrypt password hashes.
//! - [`oauth`]: OAuth bearer tokens. A token is 40 characters: the first 20 name the row
//!   (indexed lookup), the last 20 are the secret, stored only as a SHA-256 digest. Quay
//!   bcrypt-checks the secret on every request (~300 ms); a digest is enough because the
//!   secret has ~119 bits of entropy, so nothing is gained by a slow hash.
//! - [`apptoken`]: app-specific tokens (`$app` logins): 120 characters, a 60-character
//!   lookup name and a 60-character secret stored as a SHA-256 digest; shown once.
//! - [`session`]: password sign-in for browser sessions, with Quay's backoff.
//! - [`credentials`]: registry basic-auth logins (`$app`, `$oauthtoken`, robot
//!   `owner+name`, password), audited as `login_success`/`login_failure`.
//! - [`registry_token`]: the RS256 registry tokens of `/v2/auth` and the service keys
//!   that verify them on every replica.
//! - [`oauthflow`]: the OAuth 2 provider (implicit and authorization-code grants) and
//!   the user's list of granted tokens.
//! - [`cipher`]: AES-256-GCM sealing of secrets the server must read back (robot tokens).
//! - [`authz`]: the Authorizer: principal + scopes + granted role → allow, 401 or 403, in
//!   Quay's order.

pub mod apptoken;
pub mod authz;
pub mod cipher;
pub mod credentials;
pub mod oauth;
pub mod oauthflow;
pub mod registry_token;
pub mod secret;
pub mod session;

pub use apptoken::{AppTokenService, AppTokenStore, AppTokens};
pub use authz::{Authorizer, NamespaceGrant};
pub use credentials::{CredentialValidator, RegistryCredentialStore};
pub use oauth::{Authenticator, OAuthTokenRecord, OAuthTokenStore};
pub use oauthflow::{OAuthProvider, OAuthProviderStore};
pub use registry_token::{RegistryTokens, ServiceKeyStore};
pub use session::{CredentialStore, Sessions, SignIn};
