use sea_orm::entity::prelude::*;

/// An invite to a team, for a user or an e-mail address; the code is kept as a digest
/// (lookup) and sealed (shown to the invitee).
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "team_member_invite")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub user_id: Option<i64>,
    pub email: Option<String>,
    pub team_id: i64,
    pub inviter_id: i64,
    pub token_digest: String,
    pub token_sealed: String,
    pub created: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
