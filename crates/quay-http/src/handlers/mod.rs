//! Request handlers, one module per Quay API module. Each reads like the API docs:
//! parse the request, call the service (which authorizes), render the view.

pub mod application;
pub mod apptoken;
pub mod discovery;
pub mod globalmessages;
pub mod logs;
pub mod manifest;
pub mod oauth;
pub mod organization;
pub mod permission;
pub mod policy;
pub mod prototype;
pub mod repository;
pub mod repositorynotification;
pub mod robot;
pub mod search;
pub mod secscan;
pub mod session;
pub mod superuser;
pub mod tag;
pub mod team;
pub mod user;
pub mod web;
