//! Manifests (kept byte for byte, addressed by the digest of those bytes), what they
//! reference (blobs, child manifests: what garbage collection must keep), and tags with
//! their history: a tag row lives from `lifetime_start_ms` until `lifetime_end_ms`, so a
//! moved or deleted tag leaves a row the time machine can restore.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Manifest {
    Table,
    Id,
    RepositoryId,
    Digest,
    MediaType,
    ArtifactType,
    ConfigMediaType,
    SubjectDigest,
    Size,
    Bytes,
    Created,
}

#[derive(DeriveIden)]
enum ManifestBlob {
    Table,
    Id,
    ManifestId,
    BlobId,
}

#[derive(DeriveIden)]
enum ManifestChild {
    Table,
    Id,
    ManifestId,
    ChildManifestId,
}

#[derive(DeriveIden)]
enum Tag {
    Table,
    Id,
    RepositoryId,
    Name,
    ManifestId,
    LifetimeStartMs,
    LifetimeEndMs,
}

#[derive(DeriveIden)]
enum Repository {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Blob {
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
                .table(Manifest::Table)
                .col(pk(Manifest::Id))
                .col(
                    ColumnDef::new(Manifest::RepositoryId)
                        .big_integer()
                        .not_null(),
                )
                .col(ColumnDef::new(Manifest::Digest).string_len(80).not_null())
                .col(
                    ColumnDef::new(Manifest::MediaType)
                        .string_len(255)
                        .not_null(),
                )
                .col(ColumnDef::new(Manifest::ArtifactType).string_len(255))
                .col(ColumnDef::new(Manifest::ConfigMediaType).string_len(255))
                .col(ColumnDef::new(Manifest::SubjectDigest).string_len(80))
                .col(ColumnDef::new(Manifest::Size).big_integer().not_null())
                .col(ColumnDef::new(Manifest::Bytes).binary().not_null())
                .col(
                    ColumnDef::new(Manifest::Created)
                        .timestamp_with_time_zone()
                        .not_null(),
                )
                .foreign_key(&mut fk(
                    "fk_manifest_repository",
                    (Manifest::Table, Manifest::RepositoryId),
                    (Repository::Table, Repository::Id),
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_manifest_repository_digest")
                .table(Manifest::Table)
                .col(Manifest::RepositoryId)
                .col(Manifest::Digest)
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_manifest_subject")
                .table(Manifest::Table)
                .col(Manifest::RepositoryId)
                .col(Manifest::SubjectDigest)
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(ManifestBlob::Table)
                .col(pk(ManifestBlob::Id))
                .col(
                    ColumnDef::new(ManifestBlob::ManifestId)
                        .big_integer()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(ManifestBlob::BlobId)
                        .big_integer()
                        .not_null(),
                )
                .foreign_key(&mut fk(
                    "fk_manifest_blob_manifest",
                    (ManifestBlob::Table, ManifestBlob::ManifestId),
                    (Manifest::Table, Manifest::Id),
                ))
                .foreign_key(&mut fk(
                    "fk_manifest_blob_blob",
                    (ManifestBlob::Table, ManifestBlob::BlobId),
                    (Blob::Table, Blob::Id),
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_manifest_blob_blob")
                .table(ManifestBlob::Table)
                .col(ManifestBlob::BlobId)
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(ManifestChild::Table)
                .col(pk(ManifestChild::Id))
                .col(
                    ColumnDef::new(ManifestChild::ManifestId)
                        .big_integer()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(ManifestChild::ChildManifestId)
                        .big_integer()
                        .not_null(),
                )
                .foreign_key(&mut fk(
                    "fk_manifest_child_parent",
                    (ManifestChild::Table, ManifestChild::ManifestId),
                    (Manifest::Table, Manifest::Id),
                ))
                .foreign_key(&mut fk(
                    "fk_manifest_child_child",
                    (ManifestChild::Table, ManifestChild::ChildManifestId),
                    (Manifest::Table, Manifest::Id),
                ))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(Tag::Table)
                .col(pk(Tag::Id))
                .col(ColumnDef::new(Tag::RepositoryId).big_integer().not_null())
                .col(ColumnDef::new(Tag::Name).string_len(255).not_null())
                .col(ColumnDef::new(Tag::ManifestId).big_integer().not_null())
                .col(
                    ColumnDef::new(Tag::LifetimeStartMs)
                        .big_integer()
                        .not_null(),
                )
                .col(ColumnDef::new(Tag::LifetimeEndMs).big_integer())
                .foreign_key(&mut fk(
                    "fk_tag_repository",
                    (Tag::Table, Tag::RepositoryId),
                    (Repository::Table, Repository::Id),
                ))
                .foreign_key(&mut fk(
                    "fk_tag_manifest",
                    (Tag::Table, Tag::ManifestId),
                    (Manifest::Table, Manifest::Id),
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_tag_repository_name")
                .table(Tag::Table)
                .col(Tag::RepositoryId)
                .col(Tag::Name)
                .col(Tag::LifetimeEndMs)
                .to_owned(),
        )
        .await?;
        // At most one live tag of a name per repository (a partial index: both SQLite
        // and PostgreSQL have them).
        m.get_connection()
            .execute_unprepared(
                "CREATE UNIQUE INDEX idx_tag_live ON tag (repository_id, name) \
                 WHERE lifetime_end_ms IS NULL",
            )
            .await?;
        m.create_index(
            Index::create()
                .name("idx_tag_manifest")
                .table(Tag::Table)
                .col(Tag::ManifestId)
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            Tag::Table.into_iden(),
            ManifestChild::Table.into_iden(),
            ManifestBlob::Table.into_iden(),
            Manifest::Table.into_iden(),
        ] {
            m.drop_table(Table::drop().table(t).to_owned()).await?;
        }
        Ok(())
    }
}
