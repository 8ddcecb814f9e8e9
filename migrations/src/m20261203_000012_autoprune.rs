//! Auto-prune policies (Quay's `NamespaceAutoPrunePolicy` and
//! `RepositoryAutoPrunePolicy`, one table here): a namespace's policy, or a
//! repository's when `repository_id` is set. As in Quay 3.11 a namespace and a
//! repository have at most one policy each; the partial unique index keeps it so under
//! concurrent creates. Policies go with their namespace or repository.
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum AutoprunePolicy {
    Table,
    Id,
    Uuid,
    NamespaceId,
    RepositoryId,
    Method,
    Value,
    TagPattern,
    TagPatternMatches,
}

#[derive(DeriveIden)]
enum Namespace {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Repository {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(AutoprunePolicy::Table)
                .col(
                    ColumnDef::new(AutoprunePolicy::Id)
                        .big_integer()
                        .not_null()
                        .auto_increment()
                        .primary_key(),
                )
                .col(
                    ColumnDef::new(AutoprunePolicy::Uuid)
                        .string_len(36)
                        .not_null()
                        .unique_key(),
                )
                .col(
                    ColumnDef::new(AutoprunePolicy::NamespaceId)
                        .big_integer()
                        .not_null(),
                )
                .col(ColumnDef::new(AutoprunePolicy::RepositoryId).big_integer())
                .col(
                    ColumnDef::new(AutoprunePolicy::Method)
                        .string_len(32)
                        .not_null(),
                )
                .col(
                    ColumnDef::new(AutoprunePolicy::Value)
                        .string_len(64)
                        .not_null(),
                )
                .col(ColumnDef::new(AutoprunePolicy::TagPattern).text())
                .col(
                    ColumnDef::new(AutoprunePolicy::TagPatternMatches)
                        .boolean()
                        .not_null()
                        .default(true),
                )
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_autoprune_policy_namespace")
                        .from(AutoprunePolicy::Table, AutoprunePolicy::NamespaceId)
                        .to(Namespace::Table, Namespace::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_autoprune_policy_repository")
                        .from(AutoprunePolicy::Table, AutoprunePolicy::RepositoryId)
                        .to(Repository::Table, Repository::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_autoprune_policy_repository")
                .table(AutoprunePolicy::Table)
                .col(AutoprunePolicy::RepositoryId)
                .unique()
                .to_owned(),
        )
        .await?;
        // Both backends support partial indexes; sea-query cannot state the predicate.
        m.get_connection()
            .execute_unprepared(
                "CREATE UNIQUE INDEX idx_autoprune_policy_namespace ON autoprune_policy \
                 (namespace_id) WHERE repository_id IS NULL",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(AutoprunePolicy::Table).to_owned())
            .await
    }
}
