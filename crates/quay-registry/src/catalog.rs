//! `GET /v2/_catalog`: the repositories the token's user or robot may read (public ones
//! too with `FEATURE_PUBLIC_CATALOG`, the only ones an anonymous caller sees), in
//! creation order, paged by `n` and the opaque `next_page` (or `last`) of the `Link`
//! header, as Quay.

use actix_web::web::Data;
use actix_web::{HttpRequest, HttpResponse};
use quay_core::role::RepositoryKind;
use quay_repos::{RepositoryPage, RepositoryQuery};
use serde::Deserialize;
use serde_json::json;

use crate::access::{bearer, query_pairs, Actor};
use crate::auth::CATALOG_SCOPE;
use crate::error::{RegistryError, API_VERSION};
use crate::manifests::page_size;
use crate::RegistryState;

#[derive(Deserialize)]
struct CatalogQuery {
    n: Option<String>,
    next_page: Option<String>,
    last: Option<String>,
}

pub async fn catalog(
    state: Data<RegistryState>,
    req: HttpRequest,
) -> Result<HttpResponse, RegistryError> {
    let challenge = || RegistryError::unauthorized(state.auth.challenge(Some(CATALOG_SCOPE)));
    let actor = match bearer(&req) {
        Some(token) => {
            let claims = state.auth.verify(token).await?.ok_or_else(challenge)?;
            Actor::from_claims(&claims)
        }
        None if state.config.feature_anonymous_access => Actor::default(),
        None => return Err(challenge()),
    };
    let q: CatalogQuery = query_pairs(&req)?;
    let limit = page_size(&state, q.n.as_deref());
    let after_id = match q.next_page.or(q.last) {
        Some(token) => Some(
            token
                .parse::<i64>()
                .map_err(|_| RegistryError::invalid_request("Invalid next_page token"))?,
        ),
        None => None,
    };
    let include_public = state.config.feature_public_catalog;
    let page = if actor.id.is_none() && !include_public {
        RepositoryPage {
            items: Vec::new(),
            next_after_id: None,
        }
    } else {
        let query = RepositoryQuery {
            viewer: actor.id,
            include_public,
            namespace: None,
            starred_only: false,
            kind: RepositoryKind::Image,
            after_id,
            limit,
        };
        state
            .repos
            .list_repositories(&query)
            .await
            .map_err(RegistryError::internal)?
    };
    let names: Vec<String> = page
        .items
        .iter()
        .map(|i| format!("{}/{}", i.repository.namespace, i.repository.name))
        .collect();
    let mut res = HttpResponse::Ok();
    res.insert_header(API_VERSION);
    if let Some(next) = page.next_after_id {
        res.insert_header((
            "Link",
            format!("</v2/_catalog?n={limit}&next_page={next}>; rel=\"next\""),
        ));
    }
    Ok(res.json(json!({ "repositories": names })))
}
