//! Robot accounts: a namespace row (`owner+shortname`, `robot = true`) plus this row with
//! the owner, the description, unstructured metadata and the token, sealed with the
//! server's field key (administrators can read robot tokens back, as in Quay).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum RobotAccount {
    Table,
    RobotId,
    OwnerId,
    Description,
    UnstructuredJson,
    TokenSealed,
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
                .table(RobotAccount::Table)
                .col(
                    ColumnDef::new(RobotAccount::RobotId)
                        .big_integer()
                        .not_null()
                        .primary_key(),
                )
                .col(
                    ColumnDef::new(RobotAccount::OwnerId)
                        .big_integer()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(RobotAccount::Description)
                        .string_len(255)
                        .not_null()
                        .default(""),
                )
                .col(
                    ColumnDef::new(RobotAccount::UnstructuredJson)
                        .text()
                        .not_null(),
                )
                .col(ColumnDef::new(RobotAccount::TokenSealed).text().not_null())
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_robot_account_robot")
                        .from(RobotAccount::Table, RobotAccount::RobotId)
                        .to(Namespace::Table, Namespace::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_robot_account_owner")
                        .from(RobotAccount::Table, RobotAccount::OwnerId)
                        .to(Namespace::Table, Namespace::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_robot_account_owner")
                .table(RobotAccount::Table)
                .col(RobotAccount::OwnerId)
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(RobotAccount::Table).to_owned())
            .await
    }
}
