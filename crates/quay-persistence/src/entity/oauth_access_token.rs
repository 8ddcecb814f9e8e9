use sea_orm::entity::prelude::*;

/// An OAuth access token: looked up by `token_name`, verified against `token_code_digest`
/// (hex SHA-256 of the secret part; the secret itself is never stored).
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "oauth_access_token")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub uuid: String,
    pub application_id: i64,
    pub authorized_user_id: i64,
    pub scope: String,
    pub token_name: String,
    pub token_code_digest: String,
    pub token_type: String,
    pub expires_at: DateTimeUtc,
    pub data: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
