use sea_orm::entity::prelude::*;

/// An audit log entry (Quay's `LogEntry3`); ids are plain numbers, not foreign keys, so
/// entries survive what they describe.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "log_entry")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub kind: String,
    pub account_id: Option<i64>,
    pub performer_id: Option<i64>,
    pub repository_id: Option<i64>,
    pub datetime: DateTimeUtc,
    pub ip: Option<String>,
    pub metadata_json: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
