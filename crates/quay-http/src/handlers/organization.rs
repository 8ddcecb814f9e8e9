//! `endpoints/api/organization.py`: create, get, change and delete organizations.

use actix_web::http::StatusCode;
use actix_web::web::{Bytes, Data, Path};
use actix_web::HttpResponse;
use quay_orgs::teams::OrgMember;
use quay_orgs::{CreateOrganization, UpdateOrganization};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::error::ApiResult;
use crate::extract::{json_body, Caller};
use crate::handlers::team::{member_avatar, team_avatar};
use crate::views::OrganizationView;
use crate::{schemas, AppState};

#[derive(Deserialize)]
struct NewOrg {
    name: String,
    email: Option<String>,
}

pub async fn create_organization(
    state: Data<AppState>,
    Caller(caller): Caller,
    body: Bytes,
) -> ApiResult {
    let req: NewOrg = json_body(&body, &schemas::new_org())?;
    let create = CreateOrganization {
        name: req.name,
        email: req.email,
    };
    state.orgs.create_organization(&caller, create).await?;
    Ok(HttpResponse::Created().json("Created"))
}

pub async fn get_organization(
    state: Data<AppState>,
    Caller(caller): Caller,
    path: Path<String>,
) -> ApiResult {
    let details = state.orgs.get_organization(&caller, &path).await?;
    Ok(HttpResponse::Ok().json(OrganizationView::new(details)))
}

/// `invoice_email_address` distinguishes "absent" from `null` (which clears it).
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(d).map(Some)
}

#[derive(Deserialize)]
struct UpdateOrg {
    email: Option<String>,
    invoice_email: Option<bool>,
    #[serde(default, deserialize_with = "present")]
    invoice_email_address: Option<Option<String>>,
    tag_expiration_s: Option<i64>,
}

pub async fn change_organization_details(
    state: Data<AppState>,
    Caller(caller): Caller,
    path: Path<String>,
    body: Bytes,
) -> ApiResult {
    let req: UpdateOrg = json_body(&body, &schemas::update_org())?;
    let update = UpdateOrganization {
        email: req.email,
        invoice_email: req.invoice_email,
        invoice_email_address: req.invoice_email_address,
        tag_expiration_s: req.tag_expiration_s,
    };
    let details = state
        .orgs
        .update_organization(&caller, &path, update)
        .await?;
    Ok(HttpResponse::Ok().json(OrganizationView::new(details)))
}

pub async fn delete_organization(
    state: Data<AppState>,
    Caller(caller): Caller,
    path: Path<String>,
) -> ApiResult {
    state.orgs.delete_organization(&caller, &path).await?;
    Ok(HttpResponse::build(StatusCode::NO_CONTENT).finish())
}

/// A member or collaborator as Quay's organization member views show it.
fn member_view(m: OrgMember, with_teams: bool) -> Value {
    let kind = if m.member.robot { "robot" } else { "user" };
    let mut view = json!({
        "name": m.member.name,
        "kind": kind,
        "avatar": member_avatar(&m.member),
        "repositories": m.repositories,
    });
    if with_teams {
        view["teams"] = m
            .teams
            .iter()
            .map(|t| json!({"name": t, "avatar": team_avatar(t)}))
            .collect();
    }
    view
}

pub async fn get_organization_members(
    state: Data<AppState>,
    Caller(caller): Caller,
    path: Path<String>,
) -> ApiResult {
    let members = state.teams.org_members(&caller, &path).await?;
    let members: Vec<Value> = members.into_iter().map(|m| member_view(m, true)).collect();
    Ok(HttpResponse::Ok().json(json!({ "members": members })))
}

pub async fn get_organization_member(
    state: Data<AppState>,
    Caller(caller): Caller,
    path: Path<(String, String)>,
) -> ApiResult {
    let (org, member) = path.into_inner();
    let member = state.teams.org_member(&caller, &org, &member).await?;
    Ok(HttpResponse::Ok().json(member_view(member, true)))
}

pub async fn remove_organization_member(
    state: Data<AppState>,
    Caller(caller): Caller,
    path: Path<(String, String)>,
) -> ApiResult {
    let (org, member) = path.into_inner();
    state
        .teams
        .remove_org_member(&caller, &org, &member)
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

pub async fn get_organization_collaborators(
    state: Data<AppState>,
    Caller(caller): Caller,
    path: Path<String>,
) -> ApiResult {
    let collaborators = state.teams.org_collaborators(&caller, &path).await?;
    let collaborators: Vec<Value> = collaborators
        .into_iter()
        .map(|m| member_view(m, false))
        .collect();
    Ok(HttpResponse::Ok().json(json!({ "collaborators": collaborators })))
}
