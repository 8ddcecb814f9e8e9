use sea_orm::entity::prelude::*;

/// A role on a repository for a user (or robot) or a team: exactly one of the two is set.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "repository_permission")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub repository_id: i64,
    pub user_id: Option<i64>,
    pub team_id: Option<i64>,
    /// `Role::code`.
    pub role: i16,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
