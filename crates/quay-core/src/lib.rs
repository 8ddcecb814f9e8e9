//! The shared vocabulary of the registry, free of I/O.
//!
//! Everything other crates agree on lives here: Quay's names and their validation
//! ([`names`]), repository and team roles ([`role`]), OAuth scopes ([`scope`]), the
//! authenticated caller ([`Principal`]), the domain error every service returns
//! ([`DomainError`]), the configuration with Quay's key names ([`config`]), Quay's date
//! format ([`date`]), a TTL cache for hot lookups ([`cache`]), avatars ([`avatar`]), opaque page tokens and sessions ([`signed`]) and the
//! JSON-Schema subset Quay validates request bodies with ([`schema`]).

pub mod avatar;
pub mod cache;
pub mod config;
pub mod date;
mod error;
pub mod names;
mod principal;
pub mod role;
pub mod schema;
pub mod scope;
pub mod signed;

pub use error::{DomainError, DomainResult};
pub use principal::{AuthMethod, Caller, Principal};
