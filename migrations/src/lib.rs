//! Database schema migrations, applied by `quayd migrate` and at `quayd serve` start.
//!
//! One migration per schema change, never edited once released. The schema follows Quay's
//! data model (one table for users, organizations and robots; repositories owned by a
//! namespace; permissions for users or teams) with roles stored as small integers so that
//! effective permissions are a `MAX` in SQL.

pub use sea_orm_migration::prelude::*;

mod m20261123_000001_initial;
mod m20261123_000002_app_specific_token;
mod m20261124_000003_robot_account;
mod m20261124_000004_oauth_authorization_code;
mod m20261125_000005_invites_prototypes_notifications;
mod m20261126_000006_service_key;
mod m20261127_000007_blobs;
mod m20261128_000008_manifests_tags;
mod m20261202_000009_hidden_tags;
mod m20261203_000010_tag_history;
mod m20261203_000011_labels;
mod m20261203_000012_autoprune;
mod m20261203_000013_logs;
mod m20261203_000014_repo_notifications;
mod m20261203_000015_messages;
mod m20261203_000016_gc_indexes;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261123_000001_initial::Migration),
            Box::new(m20261123_000002_app_specific_token::Migration),
            Box::new(m20261124_000003_robot_account::Migration),
            Box::new(m20261124_000004_oauth_authorization_code::Migration),
            Box::new(m20261125_000005_invites_prototypes_notifications::Migration),
            Box::new(m20261126_000006_service_key::Migration),
            Box::new(m20261127_000007_blobs::Migration),
            Box::new(m20261128_000008_manifests_tags::Migration),
            Box::new(m20261202_000009_hidden_tags::Migration),
            Box::new(m20261203_000010_tag_history::Migration),
            Box::new(m20261203_000011_labels::Migration),
            Box::new(m20261203_000012_autoprune::Migration),
            Box::new(m20261203_000013_logs::Migration),
            Box::new(m20261203_000014_repo_notifications::Migration),
            Box::new(m20261203_000015_messages::Migration),
            Box::new(m20261203_000016_gc_indexes::Migration),
        ]
    }
}
