//! Service keys (Quay's `ServiceKey`): the public halves of the keys that sign registry
//! tokens. Every instance registers its own key at start, so a token signed by one
//! replica verifies on any other; an unapproved or expired key verifies nothing.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ServiceKey {
    Table,
    Id,
    Kid,
    Service,
    Name,
    JwkJson,
    MetadataJson,
    Created,
    ExpiresAt,
    ApprovalType,
    ApprovedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(ServiceKey::Table)
                .col(
                    ColumnDef::new(ServiceKey::Id)
                        .big_integer()
                        .not_null()
                        .auto_increment()
                        .primary_key(),
                )
                .col(
                    ColumnDef::new(ServiceKey::Kid)
                        .string_len(255)
                        .not_null()
                        .unique_key(),
                )
                .col(
                    ColumnDef::new(ServiceKey::Service)
                        .string_len(255)
                        .not_null(),
                )
                .col(ColumnDef::new(ServiceKey::Name).string_len(255))
                .col(ColumnDef::new(ServiceKey::JwkJson).text().not_null())
                .col(ColumnDef::new(ServiceKey::MetadataJson).text().not_null())
                .col(
                    ColumnDef::new(ServiceKey::Created)
                        .timestamp_with_time_zone()
                        .not_null(),
                )
                .col(ColumnDef::new(ServiceKey::ExpiresAt).timestamp_with_time_zone())
                // NULL: not approved (Quay's approval row), verifies nothing.
                .col(ColumnDef::new(ServiceKey::ApprovalType).string_len(64))
                .col(ColumnDef::new(ServiceKey::ApprovedAt).timestamp_with_time_zone())
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(ServiceKey::Table).to_owned())
            .await
    }
}
