use sea_orm::entity::prelude::*;

/// What a robot has beyond its namespace row: owner, description, metadata and the
/// sealed token (see `quay_auth::cipher`).
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "robot_account")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub robot_id: i64,
    pub owner_id: i64,
    pub description: String,
    pub unstructured_json: String,
    pub token_sealed: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
