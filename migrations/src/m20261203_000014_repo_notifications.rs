//! Repository notifications (Quay's `RepositoryNotification`) and the queue of their
//! deliveries (Quay's `QueueItem` rows of the `notification` queue, a table of its own
//! here).
//!
//! A notification goes with its repository; a queued delivery with its notification
//! (deleting a notification drops what was still to be sent). A delivery is claimable
//! once `available_after_ms` has passed and no lease (`lease_expires_ms`) holds it, while
//! it has retries left; the index serves that scan.
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum RepositoryNotification {
    Table,
    Id,
    Uuid,
    RepositoryId,
    Event,
    Method,
    Title,
    ConfigJson,
    EventConfigJson,
    NumberOfFailures,
}

#[derive(DeriveIden)]
enum NotificationQueue {
    Table,
    Id,
    NotificationId,
    BodyJson,
    AvailableAfterMs,
    LeaseExpiresMs,
    RetriesRemaining,
    CreatedMs,
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
                .table(RepositoryNotification::Table)
                .col(
                    ColumnDef::new(RepositoryNotification::Id)
                        .big_integer()
                        .not_null()
                        .auto_increment()
                        .primary_key(),
                )
                .col(
                    ColumnDef::new(RepositoryNotification::Uuid)
                        .string_len(36)
                        .not_null()
                        .unique_key(),
                )
                .col(
                    ColumnDef::new(RepositoryNotification::RepositoryId)
                        .big_integer()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(RepositoryNotification::Event)
                        .string_len(64)
                        .not_null(),
                )
                .col(
                    ColumnDef::new(RepositoryNotification::Method)
                        .string_len(64)
                        .not_null(),
                )
                .col(ColumnDef::new(RepositoryNotification::Title).text())
                .col(
                    ColumnDef::new(RepositoryNotification::ConfigJson)
                        .text()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(RepositoryNotification::EventConfigJson)
                        .text()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(RepositoryNotification::NumberOfFailures)
                        .integer()
                        .not_null()
                        .default(0),
                )
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_repository_notification_repository")
                        .from(
                            RepositoryNotification::Table,
                            RepositoryNotification::RepositoryId,
                        )
                        .to(Repository::Table, Repository::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_repository_notification_repository")
                .table(RepositoryNotification::Table)
                .col(RepositoryNotification::RepositoryId)
                .col(RepositoryNotification::Event)
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(NotificationQueue::Table)
                .col(
                    ColumnDef::new(NotificationQueue::Id)
                        .big_integer()
                        .not_null()
                        .auto_increment()
                        .primary_key(),
                )
                .col(
                    ColumnDef::new(NotificationQueue::NotificationId)
                        .big_integer()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(NotificationQueue::BodyJson)
                        .text()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(NotificationQueue::AvailableAfterMs)
                        .big_integer()
                        .not_null(),
                )
                .col(ColumnDef::new(NotificationQueue::LeaseExpiresMs).big_integer())
                .col(
                    ColumnDef::new(NotificationQueue::RetriesRemaining)
                        .integer()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(NotificationQueue::CreatedMs)
                        .big_integer()
                        .not_null(),
                )
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_notification_queue_notification")
                        .from(NotificationQueue::Table, NotificationQueue::NotificationId)
                        .to(RepositoryNotification::Table, RepositoryNotification::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_notification_queue_available")
                .table(NotificationQueue::Table)
                .col(NotificationQueue::AvailableAfterMs)
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_notification_queue_notification")
                .table(NotificationQueue::Table)
                .col(NotificationQueue::NotificationId)
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(NotificationQueue::Table).to_owned())
            .await?;
        m.drop_table(
            Table::drop()
                .table(RepositoryNotification::Table)
                .to_owned(),
        )
        .await
    }
}
