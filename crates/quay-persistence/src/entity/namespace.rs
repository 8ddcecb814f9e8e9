use sea_orm::entity::prelude::*;

/// Users, organizations and robots (Quay's `User` table).
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "namespace")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub uuid: String,
    pub username: String,
    pub password_hash: Option<String>,
    pub email: Option<String>,
    pub verified: bool,
    pub organization: bool,
    pub robot: bool,
    pub enabled: bool,
    pub invoice_email: bool,
    pub invoice_email_address: Option<String>,
    pub removed_tag_expiration_s: i64,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    pub company: Option<String>,
    pub location: Option<String>,
    pub stripe_id: Option<String>,
    pub invalid_login_attempts: i32,
    pub last_invalid_login: Option<DateTimeUtc>,
    pub creation_date: DateTimeUtc,
    pub last_accessed: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
