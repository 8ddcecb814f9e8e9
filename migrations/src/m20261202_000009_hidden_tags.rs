//! Hidden tags: what keeps a manifest pushed by digest alive (Quay's `$temp-<uuid>`
//! tags). They are never listed, and a manifest no live tag reaches, directly or
//! through a parent index, is gone for clients.
//!
//! Tag names compare byte by byte on PostgreSQL too (collation `C`, as SQLite's
//! `BINARY`), so tag lists come in the lexical order the distribution spec asks for
//! whatever the database's locale, with the index still serving the order.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Tag {
    Table,
    Hidden,
}

#[derive(DeriveIden)]
enum ManifestChild {
    Table,
    ChildManifestId,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(Tag::Table)
                .add_column(
                    ColumnDef::new(Tag::Hidden)
                        .boolean()
                        .not_null()
                        .default(false),
                )
                .to_owned(),
        )
        .await?;
        if m.get_database_backend() == sea_orm_migration::sea_orm::DatabaseBackend::Postgres {
            m.get_connection()
                .execute_unprepared(
                    "ALTER TABLE tag ALTER COLUMN name TYPE varchar(255) COLLATE \"C\"",
                )
                .await?;
        }
        // Is a manifest the child of a live index: looked up by child.
        m.create_index(
            Index::create()
                .name("idx_manifest_child_child")
                .table(ManifestChild::Table)
                .col(ManifestChild::ChildManifestId)
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(
            Index::drop()
                .name("idx_manifest_child_child")
                .table(ManifestChild::Table)
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(Tag::Table)
                .drop_column(Tag::Hidden)
                .to_owned(),
        )
        .await
    }
}
