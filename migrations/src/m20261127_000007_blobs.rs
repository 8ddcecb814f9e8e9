//! Blobs (content-addressed, stored once), the repositories they were pushed to or
//! mounted into, and uploads in progress (so an upload can continue on any replica).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Blob {
    Table,
    Id,
    Digest,
    Size,
    Created,
}

#[derive(DeriveIden)]
enum RepositoryBlob {
    Table,
    Id,
    RepositoryId,
    BlobId,
    Created,
}

#[derive(DeriveIden)]
enum BlobUpload {
    Table,
    Id,
    Uuid,
    RepositoryId,
    ByteCount,
    ChunkCount,
    Created,
    Updated,
}

#[derive(DeriveIden)]
enum Repository {
    Table,
    Id,
}

fn pk(col: impl IntoIden) -> ColumnDef {
    ColumnDef::new(col)
        .big_integer()
        .not_null()
        .auto_increment()
        .primary_key()
        .to_owned()
}

fn fk(
    name: &str,
    from: (impl IntoIden + 'static, impl IntoIden + 'static),
    to: (impl IntoIden + 'static, impl IntoIden + 'static),
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(name)
        .from(from.0, from.1)
        .to(to.0, to.1)
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Blob::Table)
                .col(pk(Blob::Id))
                .col(
                    ColumnDef::new(Blob::Digest)
                        .string_len(80)
                        .not_null()
                        .unique_key(),
                )
                .col(ColumnDef::new(Blob::Size).big_integer().not_null())
                .col(
                    ColumnDef::new(Blob::Created)
                        .timestamp_with_time_zone()
                        .not_null(),
                )
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(RepositoryBlob::Table)
                .col(pk(RepositoryBlob::Id))
                .col(
                    ColumnDef::new(RepositoryBlob::RepositoryId)
                        .big_integer()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(RepositoryBlob::BlobId)
                        .big_integer()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(RepositoryBlob::Created)
                        .timestamp_with_time_zone()
                        .not_null(),
                )
                .foreign_key(&mut fk(
                    "fk_repository_blob_repository",
                    (RepositoryBlob::Table, RepositoryBlob::RepositoryId),
                    (Repository::Table, Repository::Id),
                ))
                .foreign_key(&mut fk(
                    "fk_repository_blob_blob",
                    (RepositoryBlob::Table, RepositoryBlob::BlobId),
                    (Blob::Table, Blob::Id),
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_repository_blob_unique")
                .table(RepositoryBlob::Table)
                .col(RepositoryBlob::RepositoryId)
                .col(RepositoryBlob::BlobId)
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_repository_blob_blob")
                .table(RepositoryBlob::Table)
                .col(RepositoryBlob::BlobId)
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(BlobUpload::Table)
                .col(pk(BlobUpload::Id))
                .col(
                    ColumnDef::new(BlobUpload::Uuid)
                        .string_len(36)
                        .not_null()
                        .unique_key(),
                )
                .col(
                    ColumnDef::new(BlobUpload::RepositoryId)
                        .big_integer()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(BlobUpload::ByteCount)
                        .big_integer()
                        .not_null(),
                )
                .col(ColumnDef::new(BlobUpload::ChunkCount).integer().not_null())
                .col(
                    ColumnDef::new(BlobUpload::Created)
                        .timestamp_with_time_zone()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(BlobUpload::Updated)
                        .timestamp_with_time_zone()
                        .not_null(),
                )
                .foreign_key(&mut fk(
                    "fk_blob_upload_repository",
                    (BlobUpload::Table, BlobUpload::RepositoryId),
                    (Repository::Table, Repository::Id),
                ))
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            BlobUpload::Table.into_iden(),
            RepositoryBlob::Table.into_iden(),
            Blob::Table.into_iden(),
        ] {
            m.drop_table(Table::drop().table(t).to_owned()).await?;
        }
        Ok(())
    }
}
