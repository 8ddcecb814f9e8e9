//! `endpoints/api/organization.py`: create, get, change and delete organizations.

use actix_web::http::StatusCode;
use actix_web::web::{Bytes, Data, Path};
use actix_web::HttpResponse;
use quay_orgs::{CreateOrganization, UpdateOrganization};
use serde::Deserialize;

use crate::error::ApiResult;
use crate::extract::{json_body, Caller};
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
