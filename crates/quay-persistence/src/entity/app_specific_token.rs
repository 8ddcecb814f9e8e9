use sea_orm::entity::prelude::*;

/// An app-specific token: looked up by `token_name`, verified against
/// `token_secret_digest` (hex SHA-256 of the secret half, which is never stored).
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "app_specific_token")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub uuid: String,
    pub user_id: i64,
    pub title: String,
    pub token_name: String,
    pub token_secret_digest: String,
    pub created: DateTimeUtc,
    pub expiration: Option<DateTimeUtc>,
    pub last_accessed: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
