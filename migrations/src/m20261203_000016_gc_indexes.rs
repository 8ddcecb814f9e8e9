//! Indexes on the manifest side of `manifest_blob` and `manifest_child`: deleting a
//! manifest deletes its rows there (`ON DELETE CASCADE`), and without an index each
//! deletion scanned both tables whole (garbage collection deletes manifests by the
//! thousand).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ManifestBlob {
    Table,
    ManifestId,
}

#[derive(DeriveIden)]
enum ManifestChild {
    Table,
    ManifestId,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_index(
            Index::create()
                .name("idx_manifest_blob_manifest")
                .table(ManifestBlob::Table)
                .col(ManifestBlob::ManifestId)
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_manifest_child_parent")
                .table(ManifestChild::Table)
                .col(ManifestChild::ManifestId)
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(
            Index::drop()
                .name("idx_manifest_child_parent")
                .table(ManifestChild::Table)
                .to_owned(),
        )
        .await?;
        m.drop_index(
            Index::drop()
                .name("idx_manifest_blob_manifest")
                .table(ManifestBlob::Table)
                .to_owned(),
        )
        .await
    }
}
