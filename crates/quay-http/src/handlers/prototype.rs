//! `endpoints/api/prototype.py`: an organization's default permissions.

use actix_web::web::{Bytes, Data, Path};
use actix_web::HttpResponse;
use quay_core::role::Role;
use quay_orgs::prototypes::{CreatePrototype, Delegate, DelegateRef, Prototype, PrototypeUser};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::error::ApiResult;
use crate::extract::{json_body, Caller};
use crate::handlers::team::{member_avatar, team_avatar};
use crate::{schemas, AppState};

fn user_view(u: &PrototypeUser) -> Value {
    json!({
        "name": u.member.name,
        "is_robot": u.member.robot,
        "kind": "user",
        "is_org_member": u.is_org_member,
        "avatar": member_avatar(&u.member),
    })
}

/// Quay's `prototype_view`.
fn prototype_view(p: &Prototype) -> Value {
    let delegate = match &p.delegate {
        Delegate::User(u) => user_view(u),
        Delegate::Team(t) => json!({"name": t, "kind": "team", "avatar": team_avatar(t)}),
    };
    json!({
        "activating_user": p.activating_user.as_ref().map(user_view),
        "delegate": delegate,
        "role": p.role.as_str(),
        "id": p.uuid,
    })
}

#[derive(Deserialize)]
struct Named {
    name: String,
}

#[derive(Deserialize)]
struct DelegateBody {
    name: String,
    kind: String,
}

#[derive(Deserialize)]
struct NewPrototype {
    role: String,
    activating_user: Option<Named>,
    delegate: DelegateBody,
}

#[derive(Deserialize)]
struct PrototypeUpdate {
    role: String,
}

pub async fn get_organization_prototype_permissions(
    state: Data<AppState>,
    Caller(caller): Caller,
    path: Path<String>,
) -> ApiResult {
    let prototypes = state.prototypes.list(&caller, &path).await?;
    let views: Vec<Value> = prototypes.iter().map(prototype_view).collect();
    Ok(HttpResponse::Ok().json(json!({ "prototypes": views })))
}

pub async fn create_organization_prototype_permission(
    state: Data<AppState>,
    Caller(caller): Caller,
    path: Path<String>,
    body: Bytes,
) -> ApiResult {
    let req: NewPrototype = json_body(&body, &schemas::new_prototype())?;
    // The schema's enums have already refused anything else.
    let delegate = if req.delegate.kind == "team" {
        DelegateRef::Team(req.delegate.name)
    } else {
        DelegateRef::User(req.delegate.name)
    };
    let create = CreatePrototype {
        activating_user: req.activating_user.map(|u| u.name),
        delegate,
        role: Role::parse(&req.role).unwrap_or(Role::Read),
    };
    let prototype = state.prototypes.create(&caller, &path, create).await?;
    Ok(HttpResponse::Ok().json(prototype_view(&prototype)))
}

pub async fn update_organization_prototype_permission(
    state: Data<AppState>,
    Caller(caller): Caller,
    path: Path<(String, String)>,
    body: Bytes,
) -> ApiResult {
    let (org, id) = path.into_inner();
    let req: PrototypeUpdate = json_body(&body, &schemas::prototype_update())?;
    let role = Role::parse(&req.role).unwrap_or(Role::Read);
    let prototype = state.prototypes.set_role(&caller, &org, &id, role).await?;
    Ok(HttpResponse::Ok().json(prototype_view(&prototype)))
}

pub async fn delete_organization_prototype_permission(
    state: Data<AppState>,
    Caller(caller): Caller,
    path: Path<(String, String)>,
) -> ApiResult {
    let (org, id) = path.into_inner();
    state.prototypes.delete(&caller, &org, &id).await?;
    Ok(HttpResponse::NoContent().finish())
}
