use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "repository")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub namespace_id: i64,
    pub name: String,
    pub visibility: String,
    pub description: Option<String>,
    pub kind: String,
    /// `RepositoryState::code`.
    pub state: i16,
    pub trust_enabled: bool,
    pub badge_token: String,
    pub created: DateTimeUtc,
    pub last_modified: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
