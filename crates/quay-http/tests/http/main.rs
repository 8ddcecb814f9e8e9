//! The HTTP API tests, one binary: the real application on its own database per test
//! (SQLite, or PostgreSQL when `QUAY_TEST_DATABASE_URL` is set), through actix's test
//! service. One binary rather than one per area, so the workspace links (and stores) it once.

mod common;

mod accounts;
mod api;
mod apptoken;
mod autoprune;
mod contract;
mod coverage;
mod credentials;
mod gc;
mod identities;
mod logs;
mod manifests;
mod messages;
mod notifications;
mod oauth;
mod permissions;
mod registry_auth;
mod registry_blobs;
mod registry_effects;
mod registry_manifests;
mod robots;
mod search;
mod session;
mod stars;
mod superuser;
mod tags;
mod teams;
