//! What the tags API shows of a tag's history: whether a lifetime was a restore
//! (`reversion`), and the manifest's layer size (`layers_size`, Quay's
//! `layers_compressed_size`: the sum of the layers' sizes, none for an index).
//!
//! The history is listed newest first per repository; the index serves that order so
//! the first page of a repository with a million tags is an index range, not a sort.
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Tag {
    Table,
    Reversion,
    RepositoryId,
    LifetimeStartMs,
    Name,
}

#[derive(DeriveIden)]
enum Manifest {
    Table,
    LayersSize,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(Tag::Table)
                .add_column(
                    ColumnDef::new(Tag::Reversion)
                        .boolean()
                        .not_null()
                        .default(false),
                )
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(Manifest::Table)
                .add_column(ColumnDef::new(Manifest::LayersSize).big_integer())
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_tag_repository_start")
                .table(Tag::Table)
                .col(Tag::RepositoryId)
                .col((Tag::LifetimeStartMs, IndexOrder::Desc))
                .col(Tag::Name)
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(
            Index::drop()
                .name("idx_tag_repository_start")
                .table(Tag::Table)
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(Manifest::Table)
                .drop_column(Manifest::LayersSize)
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(Tag::Table)
                .drop_column(Tag::Reversion)
                .to_owned(),
        )
        .await
    }
}
