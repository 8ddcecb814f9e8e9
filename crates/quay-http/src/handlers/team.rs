//! `endpoints/api/team.py`: teams, their members and invites, and team invite codes.

use actix_web::web::{Bytes, Data, Path};
use actix_web::{HttpRequest, HttpResponse};
use quay_core::avatar::{avatar, Avatar, AvatarKind};
use quay_core::role::TeamRole;
use quay_orgs::teams::{Member, SaveTeam, TeamEntry, TeamRepositoryPermission, TeamView};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::error::ApiResult;
use crate::extract::{json_body, Caller, QueryArgs};
use crate::{schemas, AppState};

pub fn team_avatar(name: &str) -> Avatar {
    avatar(name, Some(name), AvatarKind::Team)
}

pub fn member_avatar(m: &Member) -> Avatar {
    let kind = if m.robot {
        AvatarKind::Robot
    } else {
        AvatarKind::User
    };
    avatar(&m.name, m.email.as_deref(), kind)
}

/// Quay's `team_view` of `team.py`.
fn team_view(v: TeamView) -> Value {
    json!({
        "name": v.team.name,
        "description": v.team.description,
        "can_view": v.can_view,
        "role": v.team.role.as_str(),
        "avatar": team_avatar(&v.team.name),
        "new_team": v.new_team,
    })
}

/// Quay's `member_view` / `invite_view`.
#[derive(Serialize)]
#[serde(untagged)]
enum EntryView {
    Member {
        name: String,
        kind: &'static str,
        is_robot: bool,
        avatar: Avatar,
        invited: bool,
    },
    Email {
        email: String,
        kind: &'static str,
        avatar: Avatar,
        invited: bool,
    },
}

impl EntryView {
    fn new(entry: TeamEntry) -> Self {
        let member = |m: Member, invited| EntryView::Member {
            avatar: member_avatar(&m),
            name: m.name,
            kind: "user",
            is_robot: m.robot,
            invited,
        };
        match entry {
            TeamEntry::Member(m) => member(m, false),
            TeamEntry::InvitedUser(m) => member(m, true),
            TeamEntry::InvitedEmail(email) => EntryView::Email {
                avatar: avatar(&email, Some(&email), AvatarKind::User),
                email,
                kind: "invite",
                invited: true,
            },
        }
    }
}

pub fn permission_view(p: TeamRepositoryPermission) -> Value {
    json!({
        "repository": {"name": p.repository, "is_public": p.public},
        "role": p.role.as_str(),
    })
}

#[derive(Deserialize)]
struct TeamDescription {
    role: String,
    description: Option<String>,
}

pub async fn update_organization_team(
    state: Data<AppState>,
    Caller(caller): Caller,
    path: Path<(String, String)>,
    body: Bytes,
) -> ApiResult {
    let (org, team) = path.into_inner();
    let req: TeamDescription = json_body(&body, &schemas::team_description())?;
    // The schema's enum has already refused any other role.
    let role = TeamRole::parse(&req.role).unwrap_or(TeamRole::Member);
    let save = SaveTeam {
        role,
        description: req.description,
    };
    let view = state.teams.save_team(&caller, &org, &team, save).await?;
    Ok(HttpResponse::Ok().json(team_view(view)))
}

pub async fn delete_organization_team(
    state: Data<AppState>,
    Caller(caller): Caller,
    path: Path<(String, String)>,
) -> ApiResult {
    let (org, team) = path.into_inner();
    state.teams.delete_team(&caller, &org, &team).await?;
    Ok(HttpResponse::NoContent().finish())
}

pub async fn get_organization_team_members(
    state: Data<AppState>,
    Caller(caller): Caller,
    req: HttpRequest,
    path: Path<(String, String)>,
) -> ApiResult {
    let (org, team) = path.into_inner();
    let include_pending = QueryArgs::parse(&req).flag("includePending", false);
    let members = state
        .teams
        .team_members(&caller, &org, &team, include_pending)
        .await?;
    let entries: Vec<EntryView> = members.entries.into_iter().map(EntryView::new).collect();
    Ok(HttpResponse::Ok().json(json!({
        "name": members.team.name,
        "members": entries,
        "can_edit": members.can_edit,
    })))
}

pub async fn update_organization_team_member(
    state: Data<AppState>,
    Caller(caller): Caller,
    path: Path<(String, String, String)>,
) -> ApiResult {
    let (org, team, member) = path.into_inner();
    let entry = state
        .teams
        .add_team_member(&caller, &org, &team, &member)
        .await?;
    Ok(HttpResponse::Ok().json(EntryView::new(entry)))
}

pub async fn delete_organization_team_member(
    state: Data<AppState>,
    Caller(caller): Caller,
    path: Path<(String, String, String)>,
) -> ApiResult {
    let (org, team, member) = path.into_inner();
    state
        .teams
        .remove_team_member(&caller, &org, &team, &member)
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

pub async fn invite_team_member_email(
    state: Data<AppState>,
    Caller(caller): Caller,
    path: Path<(String, String, String)>,
) -> ApiResult {
    let (org, team, email) = path.into_inner();
    let entry = state
        .teams
        .invite_email(&caller, &org, &team, &email)
        .await?;
    Ok(HttpResponse::Ok().json(EntryView::new(entry)))
}

pub async fn delete_team_member_email_invite(
    state: Data<AppState>,
    Caller(caller): Caller,
    path: Path<(String, String, String)>,
) -> ApiResult {
    let (org, team, email) = path.into_inner();
    state
        .teams
        .delete_email_invite(&caller, &org, &team, &email)
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

pub async fn get_organization_team_permissions(
    state: Data<AppState>,
    Caller(caller): Caller,
    path: Path<(String, String)>,
) -> ApiResult {
    let (org, team) = path.into_inner();
    let permissions = state.teams.team_permissions(&caller, &org, &team).await?;
    let permissions: Vec<Value> = permissions.into_iter().map(permission_view).collect();
    Ok(HttpResponse::Ok().json(json!({ "permissions": permissions })))
}

pub async fn enable_organization_team_sync(
    state: Data<AppState>,
    Caller(caller): Caller,
    path: Path<(String, String)>,
) -> ApiResult {
    let (org, team) = path.into_inner();
    let view = state.teams.enable_team_sync(&caller, &org, &team).await?;
    Ok(HttpResponse::Ok().json(team_view(view)))
}

pub async fn disable_organization_team_sync(
    state: Data<AppState>,
    Caller(caller): Caller,
    path: Path<(String, String)>,
) -> ApiResult {
    let (org, team) = path.into_inner();
    let view = state.teams.disable_team_sync(&caller, &org, &team).await?;
    Ok(HttpResponse::Ok().json(team_view(view)))
}

pub async fn accept_organization_team_invite(
    state: Data<AppState>,
    Caller(caller): Caller,
    code: Path<String>,
) -> ApiResult {
    let (org, team) = state.teams.accept_invite(&caller, &code).await?;
    Ok(HttpResponse::Ok().json(json!({"org": org, "team": team})))
}

pub async fn decline_organization_team_invite(
    state: Data<AppState>,
    Caller(caller): Caller,
    code: Path<String>,
) -> ApiResult {
    state.teams.decline_invite(&caller, &code).await?;
    Ok(HttpResponse::NoContent().finish())
}
