//! Team invites, permission prototypes (an organization's default permissions) and user
//! notifications (the channel through which a user learns of an invite).
//!
//! An invite's code is a bearer secret (an e-mail invite can be accepted by whoever holds
//! it), so it is stored as a SHA-256 digest for lookup plus a sealed copy that the
//! invitee's notification shows back, never in plain text.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum TeamMemberInvite {
    Table,
    Id,
    UserId,
    Email,
    TeamId,
    InviterId,
    TokenDigest,
    TokenSealed,
    Created,
}

#[derive(DeriveIden)]
enum PermissionPrototype {
    Table,
    Id,
    OrgId,
    Uuid,
    ActivatingUserId,
    DelegateUserId,
    DelegateTeamId,
    Role,
}

#[derive(DeriveIden)]
enum Notification {
    Table,
    Id,
    Uuid,
    Kind,
    TargetId,
    MetadataJson,
    InviteId,
    Created,
    Dismissed,
}

#[derive(DeriveIden)]
enum Namespace {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Team {
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
                .table(TeamMemberInvite::Table)
                .col(pk(TeamMemberInvite::Id))
                .col(ColumnDef::new(TeamMemberInvite::UserId).big_integer())
                .col(ColumnDef::new(TeamMemberInvite::Email).string_len(255))
                .col(
                    ColumnDef::new(TeamMemberInvite::TeamId)
                        .big_integer()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(TeamMemberInvite::InviterId)
                        .big_integer()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(TeamMemberInvite::TokenDigest)
                        .string_len(64)
                        .not_null()
                        .unique_key(),
                )
                .col(
                    ColumnDef::new(TeamMemberInvite::TokenSealed)
                        .text()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(TeamMemberInvite::Created)
                        .timestamp_with_time_zone()
                        .not_null(),
                )
                .foreign_key(&mut fk(
                    "fk_invite_user",
                    (TeamMemberInvite::Table, TeamMemberInvite::UserId),
                    (Namespace::Table, Namespace::Id),
                ))
                .foreign_key(&mut fk(
                    "fk_invite_team",
                    (TeamMemberInvite::Table, TeamMemberInvite::TeamId),
                    (Team::Table, Team::Id),
                ))
                .foreign_key(&mut fk(
                    "fk_invite_inviter",
                    (TeamMemberInvite::Table, TeamMemberInvite::InviterId),
                    (Namespace::Table, Namespace::Id),
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_invite_team")
                .table(TeamMemberInvite::Table)
                .col(TeamMemberInvite::TeamId)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(PermissionPrototype::Table)
                .col(pk(PermissionPrototype::Id))
                .col(
                    ColumnDef::new(PermissionPrototype::OrgId)
                        .big_integer()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(PermissionPrototype::Uuid)
                        .string_len(36)
                        .not_null()
                        .unique_key(),
                )
                .col(ColumnDef::new(PermissionPrototype::ActivatingUserId).big_integer())
                .col(ColumnDef::new(PermissionPrototype::DelegateUserId).big_integer())
                .col(ColumnDef::new(PermissionPrototype::DelegateTeamId).big_integer())
                .col(
                    ColumnDef::new(PermissionPrototype::Role)
                        .small_integer()
                        .not_null(),
                )
                .foreign_key(&mut fk(
                    "fk_prototype_org",
                    (PermissionPrototype::Table, PermissionPrototype::OrgId),
                    (Namespace::Table, Namespace::Id),
                ))
                .foreign_key(&mut fk(
                    "fk_prototype_activating_user",
                    (
                        PermissionPrototype::Table,
                        PermissionPrototype::ActivatingUserId,
                    ),
                    (Namespace::Table, Namespace::Id),
                ))
                .foreign_key(&mut fk(
                    "fk_prototype_delegate_user",
                    (
                        PermissionPrototype::Table,
                        PermissionPrototype::DelegateUserId,
                    ),
                    (Namespace::Table, Namespace::Id),
                ))
                .foreign_key(&mut fk(
                    "fk_prototype_delegate_team",
                    (
                        PermissionPrototype::Table,
                        PermissionPrototype::DelegateTeamId,
                    ),
                    (Team::Table, Team::Id),
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_prototype_org_activating")
                .table(PermissionPrototype::Table)
                .col(PermissionPrototype::OrgId)
                .col(PermissionPrototype::ActivatingUserId)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Notification::Table)
                .col(pk(Notification::Id))
                .col(
                    ColumnDef::new(Notification::Uuid)
                        .string_len(36)
                        .not_null()
                        .unique_key(),
                )
                .col(ColumnDef::new(Notification::Kind).string_len(64).not_null())
                .col(
                    ColumnDef::new(Notification::TargetId)
                        .big_integer()
                        .not_null(),
                )
                .col(ColumnDef::new(Notification::MetadataJson).text().not_null())
                .col(ColumnDef::new(Notification::InviteId).big_integer())
                .col(
                    ColumnDef::new(Notification::Created)
                        .timestamp_with_time_zone()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(Notification::Dismissed)
                        .boolean()
                        .not_null()
                        .default(false),
                )
                .foreign_key(&mut fk(
                    "fk_notification_target",
                    (Notification::Table, Notification::TargetId),
                    (Namespace::Table, Namespace::Id),
                ))
                // An accepted, declined or revoked invite takes its notification along.
                .foreign_key(&mut fk(
                    "fk_notification_invite",
                    (Notification::Table, Notification::InviteId),
                    (TeamMemberInvite::Table, TeamMemberInvite::Id),
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_notification_target")
                .table(Notification::Table)
                .col(Notification::TargetId)
                .col(Notification::Id)
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(Notification::Table).to_owned())
            .await?;
        m.drop_table(Table::drop().table(PermissionPrototype::Table).to_owned())
            .await?;
        m.drop_table(Table::drop().table(TeamMemberInvite::Table).to_owned())
            .await
    }
}
