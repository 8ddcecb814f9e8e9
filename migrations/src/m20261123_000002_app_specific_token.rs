//! App-specific tokens: per-user credentials for docker/podman logins (`$app`), shown
//! once at creation and stored as the SHA-256 digest of their secret half.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum AppSpecificToken {
    Table,
    Id,
    Uuid,
    UserId,
    Title,
    TokenName,
    TokenSecretDigest,
    Created,
    Expiration,
    LastAccessed,
}

#[derive(DeriveIden)]
enum Namespace {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(AppSpecificToken::Table)
                .col(
                    ColumnDef::new(AppSpecificToken::Id)
                        .big_integer()
                        .not_null()
                        .auto_increment()
                        .primary_key(),
                )
                .col(
                    ColumnDef::new(AppSpecificToken::Uuid)
                        .string_len(36)
                        .not_null()
                        .unique_key(),
                )
                .col(
                    ColumnDef::new(AppSpecificToken::UserId)
                        .big_integer()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(AppSpecificToken::Title)
                        .string_len(255)
                        .not_null(),
                )
                .col(
                    ColumnDef::new(AppSpecificToken::TokenName)
                        .string_len(60)
                        .not_null()
                        .unique_key(),
                )
                .col(
                    ColumnDef::new(AppSpecificToken::TokenSecretDigest)
                        .string_len(64)
                        .not_null(),
                )
                .col(
                    ColumnDef::new(AppSpecificToken::Created)
                        .timestamp_with_time_zone()
                        .not_null(),
                )
                .col(ColumnDef::new(AppSpecificToken::Expiration).timestamp_with_time_zone())
                .col(ColumnDef::new(AppSpecificToken::LastAccessed).timestamp_with_time_zone())
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_app_token_user")
                        .from(AppSpecificToken::Table, AppSpecificToken::UserId)
                        .to(Namespace::Table, Namespace::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_app_token_user")
                .table(AppSpecificToken::Table)
                .col(AppSpecificToken::UserId)
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(AppSpecificToken::Table).to_owned())
            .await
    }
}
