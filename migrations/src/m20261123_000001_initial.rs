//! Namespaces (users, organizations, robots), teams, repositories, permissions, stars,
//! OAuth applications and tokens, audit log entries.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Namespace {
    Table,
    Id,
    Uuid,
    Username,
    PasswordHash,
    Email,
    Verified,
    Organization,
    Robot,
    Enabled,
    InvoiceEmail,
    InvoiceEmailAddress,
    RemovedTagExpirationS,
    GivenName,
    FamilyName,
    Company,
    Location,
    StripeId,
    InvalidLoginAttempts,
    LastInvalidLogin,
    CreationDate,
    LastAccessed,
}

#[derive(DeriveIden)]
enum Team {
    Table,
    Id,
    OrganizationId,
    Name,
    Role,
    Description,
}

#[derive(DeriveIden)]
enum TeamMember {
    Table,
    Id,
    UserId,
    TeamId,
}

#[derive(DeriveIden)]
enum Repository {
    Table,
    Id,
    NamespaceId,
    Name,
    Visibility,
    Description,
    Kind,
    State,
    TrustEnabled,
    BadgeToken,
    Created,
    LastModified,
}

#[derive(DeriveIden)]
enum RepositoryPermission {
    Table,
    Id,
    RepositoryId,
    UserId,
    TeamId,
    Role,
}

#[derive(DeriveIden)]
enum Star {
    Table,
    Id,
    UserId,
    RepositoryId,
    Created,
}

#[derive(DeriveIden)]
enum RepositoryActionCount {
    Table,
    Id,
    RepositoryId,
    Date,
    Count,
}

#[derive(DeriveIden)]
enum OauthApplication {
    Table,
    Id,
    ClientId,
    SecureClientSecret,
    OrganizationId,
    Name,
    Description,
    RedirectUri,
    ApplicationUri,
    AvatarEmail,
}

#[derive(DeriveIden)]
enum OauthAccessToken {
    Table,
    Id,
    Uuid,
    ApplicationId,
    AuthorizedUserId,
    Scope,
    TokenName,
    TokenCodeDigest,
    TokenType,
    ExpiresAt,
    Data,
}

#[derive(DeriveIden)]
enum LogEntry {
    Table,
    Id,
    Kind,
    AccountId,
    PerformerId,
    RepositoryId,
    Datetime,
    Ip,
    MetadataJson,
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
                .table(Namespace::Table)
                .col(pk(Namespace::Id))
                .col(
                    ColumnDef::new(Namespace::Uuid)
                        .string_len(36)
                        .not_null()
                        .unique_key(),
                )
                .col(
                    ColumnDef::new(Namespace::Username)
                        .string_len(255)
                        .not_null()
                        .unique_key(),
                )
                .col(ColumnDef::new(Namespace::PasswordHash).string())
                .col(
                    ColumnDef::new(Namespace::Email)
                        .string_len(255)
                        .unique_key(),
                )
                .col(
                    ColumnDef::new(Namespace::Verified)
                        .boolean()
                        .not_null()
                        .default(false),
                )
                .col(
                    ColumnDef::new(Namespace::Organization)
                        .boolean()
                        .not_null()
                        .default(false),
                )
                .col(
                    ColumnDef::new(Namespace::Robot)
                        .boolean()
                        .not_null()
                        .default(false),
                )
                .col(
                    ColumnDef::new(Namespace::Enabled)
                        .boolean()
                        .not_null()
                        .default(true),
                )
                .col(
                    ColumnDef::new(Namespace::InvoiceEmail)
                        .boolean()
                        .not_null()
                        .default(false),
                )
                .col(ColumnDef::new(Namespace::InvoiceEmailAddress).string_len(255))
                .col(
                    ColumnDef::new(Namespace::RemovedTagExpirationS)
                        .big_integer()
                        .not_null()
                        .default(1_209_600),
                )
                .col(ColumnDef::new(Namespace::GivenName).string_len(255))
                .col(ColumnDef::new(Namespace::FamilyName).string_len(255))
                .col(ColumnDef::new(Namespace::Company).string_len(255))
                .col(ColumnDef::new(Namespace::Location).string_len(255))
                .col(ColumnDef::new(Namespace::StripeId).string_len(255))
                .col(
                    ColumnDef::new(Namespace::InvalidLoginAttempts)
                        .integer()
                        .not_null()
                        .default(0),
                )
                .col(ColumnDef::new(Namespace::LastInvalidLogin).timestamp_with_time_zone())
                .col(
                    ColumnDef::new(Namespace::CreationDate)
                        .timestamp_with_time_zone()
                        .not_null(),
                )
                .col(ColumnDef::new(Namespace::LastAccessed).timestamp_with_time_zone())
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Team::Table)
                .col(pk(Team::Id))
                .col(
                    ColumnDef::new(Team::OrganizationId)
                        .big_integer()
                        .not_null(),
                )
                .col(ColumnDef::new(Team::Name).string_len(255).not_null())
                .col(ColumnDef::new(Team::Role).small_integer().not_null())
                .col(
                    ColumnDef::new(Team::Description)
                        .text()
                        .not_null()
                        .default(""),
                )
                .foreign_key(&mut fk(
                    "fk_team_org",
                    (Team::Table, Team::OrganizationId),
                    (Namespace::Table, Namespace::Id),
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_team_org_name")
                .table(Team::Table)
                .col(Team::OrganizationId)
                .col(Team::Name)
                .unique()
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(TeamMember::Table)
                .col(pk(TeamMember::Id))
                .col(ColumnDef::new(TeamMember::UserId).big_integer().not_null())
                .col(ColumnDef::new(TeamMember::TeamId).big_integer().not_null())
                .foreign_key(&mut fk(
                    "fk_team_member_user",
                    (TeamMember::Table, TeamMember::UserId),
                    (Namespace::Table, Namespace::Id),
                ))
                .foreign_key(&mut fk(
                    "fk_team_member_team",
                    (TeamMember::Table, TeamMember::TeamId),
                    (Team::Table, Team::Id),
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_team_member")
                .table(TeamMember::Table)
                .col(TeamMember::UserId)
                .col(TeamMember::TeamId)
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_team_member_team")
                .table(TeamMember::Table)
                .col(TeamMember::TeamId)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Repository::Table)
                .col(pk(Repository::Id))
                .col(
                    ColumnDef::new(Repository::NamespaceId)
                        .big_integer()
                        .not_null(),
                )
                .col(ColumnDef::new(Repository::Name).string_len(255).not_null())
                .col(
                    ColumnDef::new(Repository::Visibility)
                        .string_len(16)
                        .not_null(),
                )
                .col(ColumnDef::new(Repository::Description).text())
                .col(
                    ColumnDef::new(Repository::Kind)
                        .string_len(16)
                        .not_null()
                        .default("image"),
                )
                .col(
                    ColumnDef::new(Repository::State)
                        .small_integer()
                        .not_null()
                        .default(0),
                )
                .col(
                    ColumnDef::new(Repository::TrustEnabled)
                        .boolean()
                        .not_null()
                        .default(false),
                )
                .col(
                    ColumnDef::new(Repository::BadgeToken)
                        .string_len(255)
                        .not_null(),
                )
                .col(
                    ColumnDef::new(Repository::Created)
                        .timestamp_with_time_zone()
                        .not_null(),
                )
                .col(ColumnDef::new(Repository::LastModified).timestamp_with_time_zone())
                .foreign_key(&mut fk(
                    "fk_repository_namespace",
                    (Repository::Table, Repository::NamespaceId),
                    (Namespace::Table, Namespace::Id),
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_repository_ns_name")
                .table(Repository::Table)
                .col(Repository::NamespaceId)
                .col(Repository::Name)
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_repository_visibility")
                .table(Repository::Table)
                .col(Repository::Visibility)
                .col(Repository::Id)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(RepositoryPermission::Table)
                .col(pk(RepositoryPermission::Id))
                .col(
                    ColumnDef::new(RepositoryPermission::RepositoryId)
                        .big_integer()
                        .not_null(),
                )
                .col(ColumnDef::new(RepositoryPermission::UserId).big_integer())
                .col(ColumnDef::new(RepositoryPermission::TeamId).big_integer())
                .col(
                    ColumnDef::new(RepositoryPermission::Role)
                        .small_integer()
                        .not_null(),
                )
                .foreign_key(&mut fk(
                    "fk_repo_perm_repo",
                    (
                        RepositoryPermission::Table,
                        RepositoryPermission::RepositoryId,
                    ),
                    (Repository::Table, Repository::Id),
                ))
                .foreign_key(&mut fk(
                    "fk_repo_perm_user",
                    (RepositoryPermission::Table, RepositoryPermission::UserId),
                    (Namespace::Table, Namespace::Id),
                ))
                .foreign_key(&mut fk(
                    "fk_repo_perm_team",
                    (RepositoryPermission::Table, RepositoryPermission::TeamId),
                    (Team::Table, Team::Id),
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_repo_perm_user")
                .table(RepositoryPermission::Table)
                .col(RepositoryPermission::RepositoryId)
                .col(RepositoryPermission::UserId)
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_repo_perm_team")
                .table(RepositoryPermission::Table)
                .col(RepositoryPermission::RepositoryId)
                .col(RepositoryPermission::TeamId)
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_repo_perm_user")
                .table(RepositoryPermission::Table)
                .col(RepositoryPermission::UserId)
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_repo_perm_team")
                .table(RepositoryPermission::Table)
                .col(RepositoryPermission::TeamId)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Star::Table)
                .col(pk(Star::Id))
                .col(ColumnDef::new(Star::UserId).big_integer().not_null())
                .col(ColumnDef::new(Star::RepositoryId).big_integer().not_null())
                .col(
                    ColumnDef::new(Star::Created)
                        .timestamp_with_time_zone()
                        .not_null(),
                )
                .foreign_key(&mut fk(
                    "fk_star_user",
                    (Star::Table, Star::UserId),
                    (Namespace::Table, Namespace::Id),
                ))
                .foreign_key(&mut fk(
                    "fk_star_repo",
                    (Star::Table, Star::RepositoryId),
                    (Repository::Table, Repository::Id),
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_star")
                .table(Star::Table)
                .col(Star::UserId)
                .col(Star::RepositoryId)
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_star_repo")
                .table(Star::Table)
                .col(Star::RepositoryId)
                .to_owned(),
        )
        .await?;

        // Pulls and pushes per repository per day (Quay's popularity and stats).
        m.create_table(
            Table::create()
                .table(RepositoryActionCount::Table)
                .col(pk(RepositoryActionCount::Id))
                .col(
                    ColumnDef::new(RepositoryActionCount::RepositoryId)
                        .big_integer()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(RepositoryActionCount::Date)
                        .date()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(RepositoryActionCount::Count)
                        .big_integer()
                        .not_null(),
                )
                .foreign_key(&mut fk(
                    "fk_action_count_repo",
                    (
                        RepositoryActionCount::Table,
                        RepositoryActionCount::RepositoryId,
                    ),
                    (Repository::Table, Repository::Id),
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_action_count")
                .table(RepositoryActionCount::Table)
                .col(RepositoryActionCount::RepositoryId)
                .col(RepositoryActionCount::Date)
                .unique()
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(OauthApplication::Table)
                .col(pk(OauthApplication::Id))
                .col(
                    ColumnDef::new(OauthApplication::ClientId)
                        .string_len(255)
                        .not_null()
                        .unique_key(),
                )
                .col(ColumnDef::new(OauthApplication::SecureClientSecret).string_len(255))
                .col(
                    ColumnDef::new(OauthApplication::OrganizationId)
                        .big_integer()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(OauthApplication::Name)
                        .string_len(255)
                        .not_null(),
                )
                .col(
                    ColumnDef::new(OauthApplication::Description)
                        .text()
                        .not_null()
                        .default(""),
                )
                .col(
                    ColumnDef::new(OauthApplication::RedirectUri)
                        .string_len(255)
                        .not_null()
                        .default(""),
                )
                .col(
                    ColumnDef::new(OauthApplication::ApplicationUri)
                        .string_len(255)
                        .not_null()
                        .default(""),
                )
                .col(ColumnDef::new(OauthApplication::AvatarEmail).string_len(255))
                .foreign_key(&mut fk(
                    "fk_oauth_app_org",
                    (OauthApplication::Table, OauthApplication::OrganizationId),
                    (Namespace::Table, Namespace::Id),
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_oauth_app_org")
                .table(OauthApplication::Table)
                .col(OauthApplication::OrganizationId)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(OauthAccessToken::Table)
                .col(pk(OauthAccessToken::Id))
                .col(
                    ColumnDef::new(OauthAccessToken::Uuid)
                        .string_len(36)
                        .not_null()
                        .unique_key(),
                )
                .col(
                    ColumnDef::new(OauthAccessToken::ApplicationId)
                        .big_integer()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(OauthAccessToken::AuthorizedUserId)
                        .big_integer()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(OauthAccessToken::Scope)
                        .string_len(255)
                        .not_null(),
                )
                .col(
                    ColumnDef::new(OauthAccessToken::TokenName)
                        .string_len(32)
                        .not_null()
                        .unique_key(),
                )
                .col(
                    ColumnDef::new(OauthAccessToken::TokenCodeDigest)
                        .string_len(64)
                        .not_null(),
                )
                .col(
                    ColumnDef::new(OauthAccessToken::TokenType)
                        .string_len(255)
                        .not_null()
                        .default("Bearer"),
                )
                .col(
                    ColumnDef::new(OauthAccessToken::ExpiresAt)
                        .timestamp_with_time_zone()
                        .not_null(),
                )
                .col(ColumnDef::new(OauthAccessToken::Data).text())
                .foreign_key(&mut fk(
                    "fk_oauth_token_app",
                    (OauthAccessToken::Table, OauthAccessToken::ApplicationId),
                    (OauthApplication::Table, OauthApplication::Id),
                ))
                .foreign_key(&mut fk(
                    "fk_oauth_token_user",
                    (OauthAccessToken::Table, OauthAccessToken::AuthorizedUserId),
                    (Namespace::Table, Namespace::Id),
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_oauth_token_user")
                .table(OauthAccessToken::Table)
                .col(OauthAccessToken::AuthorizedUserId)
                .to_owned(),
        )
        .await?;

        // Audit entries outlive what they describe: no foreign keys, as Quay's LogEntry3.
        m.create_table(
            Table::create()
                .table(LogEntry::Table)
                .col(pk(LogEntry::Id))
                .col(ColumnDef::new(LogEntry::Kind).string_len(64).not_null())
                .col(ColumnDef::new(LogEntry::AccountId).big_integer())
                .col(ColumnDef::new(LogEntry::PerformerId).big_integer())
                .col(ColumnDef::new(LogEntry::RepositoryId).big_integer())
                .col(
                    ColumnDef::new(LogEntry::Datetime)
                        .timestamp_with_time_zone()
                        .not_null(),
                )
                .col(ColumnDef::new(LogEntry::Ip).string_len(64))
                .col(ColumnDef::new(LogEntry::MetadataJson).text().not_null())
                .to_owned(),
        )
        .await?;
        for (name, col) in [
            ("ix_log_account_dt", LogEntry::AccountId),
            ("ix_log_repo_dt", LogEntry::RepositoryId),
            ("ix_log_performer_dt", LogEntry::PerformerId),
        ] {
            m.create_index(
                Index::create()
                    .name(name)
                    .table(LogEntry::Table)
                    .col(col)
                    .col(LogEntry::Datetime)
                    .to_owned(),
            )
            .await?;
        }
        m.create_index(
            Index::create()
                .name("ix_log_dt")
                .table(LogEntry::Table)
                .col(LogEntry::Datetime)
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            LogEntry::Table.into_iden(),
            OauthAccessToken::Table.into_iden(),
            OauthApplication::Table.into_iden(),
            Star::Table.into_iden(),
            RepositoryActionCount::Table.into_iden(),
            RepositoryPermission::Table.into_iden(),
            Repository::Table.into_iden(),
            TeamMember::Table.into_iden(),
            Team::Table.into_iden(),
            Namespace::Table.into_iden(),
        ] {
            m.drop_table(Table::drop().table(t).to_owned()).await?;
        }
        Ok(())
    }
}
