//! Usage-log pages as index ranges: a page is the newest entries of one namespace,
//! repository or performer (or of everything) before a `(datetime, id)` position, so
//! each index ends in `datetime, id` and replaces the `(x, datetime)` one that could not
//! order ties without a sort.
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum LogEntry {
    Table,
    Id,
    AccountId,
    PerformerId,
    RepositoryId,
    Datetime,
}

const REPLACED: [&str; 4] = [
    "ix_log_account_dt",
    "ix_log_repo_dt",
    "ix_log_performer_dt",
    "ix_log_dt",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for name in REPLACED {
            m.drop_index(Index::drop().name(name).table(LogEntry::Table).to_owned())
                .await?;
        }
        for (name, col) in [
            ("ix_log_account_dt_id", Some(LogEntry::AccountId)),
            ("ix_log_repo_dt_id", Some(LogEntry::RepositoryId)),
            ("ix_log_performer_dt_id", Some(LogEntry::PerformerId)),
            ("ix_log_dt_id", None),
        ] {
            let mut index = Index::create();
            index.name(name).table(LogEntry::Table);
            if let Some(col) = col {
                index.col(col);
            }
            index
                .col((LogEntry::Datetime, IndexOrder::Desc))
                .col((LogEntry::Id, IndexOrder::Desc));
            m.create_index(index.to_owned()).await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for name in [
            "ix_log_account_dt_id",
            "ix_log_repo_dt_id",
            "ix_log_performer_dt_id",
            "ix_log_dt_id",
        ] {
            m.drop_index(Index::drop().name(name).table(LogEntry::Table).to_owned())
                .await?;
        }
        for (name, col) in [
            ("ix_log_account_dt", Some(LogEntry::AccountId)),
            ("ix_log_repo_dt", Some(LogEntry::RepositoryId)),
            ("ix_log_performer_dt", Some(LogEntry::PerformerId)),
            ("ix_log_dt", None),
        ] {
            let mut index = Index::create();
            index.name(name).table(LogEntry::Table);
            if let Some(col) = col {
                index.col(col);
            }
            index.col(LogEntry::Datetime);
            m.create_index(index.to_owned()).await?;
        }
        Ok(())
    }
}
