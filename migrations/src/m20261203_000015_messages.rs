//! Global messages (Quay's `Messages`): banners a superuser shows every user.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Message {
    Table,
    Id,
    Uuid,
    Content,
    MediaType,
    Severity,
    Created,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Message::Table)
                .col(
                    ColumnDef::new(Message::Id)
                        .big_integer()
                        .not_null()
                        .auto_increment()
                        .primary_key(),
                )
                .col(
                    ColumnDef::new(Message::Uuid)
                        .string_len(36)
                        .not_null()
                        .unique_key(),
                )
                .col(ColumnDef::new(Message::Content).text().not_null())
                .col(ColumnDef::new(Message::MediaType).string_len(32).not_null())
                .col(ColumnDef::new(Message::Severity).string_len(16).not_null())
                .col(
                    ColumnDef::new(Message::Created)
                        .timestamp_with_time_zone()
                        .not_null(),
                )
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(Message::Table).to_owned())
            .await
    }
}
