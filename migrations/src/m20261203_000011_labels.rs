//! Manifest labels (Quay's `Label` + `ManifestLabel`, folded into one row per label):
//! read from the image config at push (`source_type` `manifest`) or added over the API
//! (`api`). A label belongs to exactly one manifest, so its row goes with the manifest's
//! row (ON DELETE CASCADE): garbage collection deletes manifests and nothing else.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ManifestLabel {
    Table,
    Id,
    Uuid,
    ManifestId,
    Key,
    Value,
    MediaType,
    SourceType,
}

#[derive(DeriveIden)]
enum Manifest {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(ManifestLabel::Table)
                .col(
                    ColumnDef::new(ManifestLabel::Id)
                        .big_integer()
                        .not_null()
                        .auto_increment()
                        .primary_key(),
                )
                .col(
                    ColumnDef::new(ManifestLabel::Uuid)
                        .string_len(36)
                        .not_null(),
                )
                .col(
                    ColumnDef::new(ManifestLabel::ManifestId)
                        .big_integer()
                        .not_null(),
                )
                .col(ColumnDef::new(ManifestLabel::Key).text().not_null())
                .col(ColumnDef::new(ManifestLabel::Value).text().not_null())
                .col(
                    ColumnDef::new(ManifestLabel::MediaType)
                        .string_len(64)
                        .not_null(),
                )
                .col(
                    ColumnDef::new(ManifestLabel::SourceType)
                        .string_len(16)
                        .not_null(),
                )
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_manifest_label_manifest")
                        .from(ManifestLabel::Table, ManifestLabel::ManifestId)
                        .to(Manifest::Table, Manifest::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_manifest_label_uuid")
                .table(ManifestLabel::Table)
                .col(ManifestLabel::Uuid)
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_manifest_label_manifest")
                .table(ManifestLabel::Table)
                .col(ManifestLabel::ManifestId)
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(ManifestLabel::Table).to_owned())
            .await
    }
}
