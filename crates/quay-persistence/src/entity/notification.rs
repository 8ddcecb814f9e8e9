use sea_orm::entity::prelude::*;

/// A notification for a user (`target_id`); invite notifications point at their invite.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "notification")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub uuid: String,
    pub kind: String,
    pub target_id: i64,
    pub metadata_json: String,
    pub invite_id: Option<i64>,
    pub created: DateTimeUtc,
    pub dismissed: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
