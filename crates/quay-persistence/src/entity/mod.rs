//! SeaORM entities, one per table. Joins and aggregates that
//! sit on hot paths are written as SQL in the store modules instead.

pub mod app_specific_token;
pub mod log_entry;
pub mod namespace;
pub mod notification;
pub mod oauth_access_token;
pub mod oauth_application;
pub mod permission_prototype;
pub mod repository;
pub mod repository_permission;
pub mod robot_account;
pub mod team;
pub mod team_member;
pub mod team_member_invite;
