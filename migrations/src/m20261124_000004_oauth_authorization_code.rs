//! OAuth authorization codes (`/oauth/authorize` with `response_type=code`): single use,
//! short-lived, looked up by the code's first 20 characters with the rest stored as a
//! SHA-256 digest, like access tokens.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum OauthAuthorizationCode {
    Table,
    Id,
    ApplicationId,
    UserId,
    CodeName,
    CodeDigest,
    Scope,
    RedirectUri,
    ExpiresAt,
}

#[derive(DeriveIden)]
enum OauthApplication {
    Table,
    Id,
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
                .table(OauthAuthorizationCode::Table)
                .col(
                    ColumnDef::new(OauthAuthorizationCode::Id)
                        .big_integer()
                        .not_null()
                        .auto_increment()
                        .primary_key(),
                )
                .col(
                    ColumnDef::new(OauthAuthorizationCode::ApplicationId)
                        .big_integer()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(OauthAuthorizationCode::UserId)
                        .big_integer()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(OauthAuthorizationCode::CodeName)
                        .string_len(32)
                        .not_null()
                        .unique_key(),
                )
                .col(
                    ColumnDef::new(OauthAuthorizationCode::CodeDigest)
                        .string_len(64)
                        .not_null(),
                )
                .col(
                    ColumnDef::new(OauthAuthorizationCode::Scope)
                        .string_len(255)
                        .not_null(),
                )
                .col(
                    ColumnDef::new(OauthAuthorizationCode::RedirectUri)
                        .text()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(OauthAuthorizationCode::ExpiresAt)
                        .timestamp_with_time_zone()
                        .not_null(),
                )
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_oauth_code_app")
                        .from(
                            OauthAuthorizationCode::Table,
                            OauthAuthorizationCode::ApplicationId,
                        )
                        .to(OauthApplication::Table, OauthApplication::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_oauth_code_user")
                        .from(
                            OauthAuthorizationCode::Table,
                            OauthAuthorizationCode::UserId,
                        )
                        .to(Namespace::Table, Namespace::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(
            Table::drop()
                .table(OauthAuthorizationCode::Table)
                .to_owned(),
        )
        .await
    }
}
