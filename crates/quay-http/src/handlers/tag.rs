//! `endpoints/api/tag.py`: tag history, moving, expiring, deleting and restoring tags.

use actix_web::web::{Bytes, Data, Path};
use actix_web::{HttpRequest, HttpResponse};
use chrono::DateTime;
use quay_core::date::format_rfc2822;
use quay_repos::tags::{ChangeTag, ExpireTag, TagHistoryQuery, TagLifetime, TagNameFilter};
use serde::Deserialize;
use serde_json::{json, Map, Value};

use crate::error::ApiResult;
use crate::extract::{json_body, Caller, QueryArgs};
use crate::handlers::repository::repository_name;
use crate::{schemas, AppState};

/// Quay's `_tag_dict`: times in whole seconds, as `start_ts`/`end_ts` and RFC 2822.
fn tag_view(t: &TagLifetime) -> Value {
    let start = t.start_ms.div_euclid(1000);
    let end = t.end_ms.map(|ms| ms.div_euclid(1000));
    let date = |s: i64| DateTime::from_timestamp(s, 0).map(format_rfc2822);
    let mut view = Map::new();
    view.insert("name".into(), json!(t.name));
    view.insert("reversion".into(), json!(t.reversion));
    if start > 0 {
        view.insert("start_ts".into(), json!(start));
    }
    if let Some(end) = end.filter(|e| *e > 0) {
        view.insert("end_ts".into(), json!(end));
    }
    view.insert("manifest_digest".into(), json!(t.manifest_digest));
    view.insert("is_manifest_list".into(), json!(t.is_manifest_list));
    view.insert("size".into(), json!(t.layers_size));
    if start > 0 {
        view.insert("last_modified".into(), json!(date(start)));
    }
    if let Some(end) = end {
        view.insert("expiration".into(), json!(date(end)));
    }
    Value::Object(view)
}

pub async fn list_repo_tags(
    state: Data<AppState>,
    Caller(caller): Caller,
    path: Path<String>,
    req: HttpRequest,
) -> ApiResult {
    let repo = repository_name(&path)?;
    let q = QueryArgs::parse(&req);
    let non_empty = |name: &str| q.string(name).filter(|s| !s.is_empty());
    let name_filter = non_empty("filter_tag_name")
        .map(TagNameFilter::parse)
        .transpose()?;
    let limit = q.integer(
        "limit",
        "Limit to the number of results to return per page. Max 100.",
    )?;
    let page = q.integer("page", "Page index for the results. Default 1.")?;
    let query = TagHistoryQuery {
        specific_tag: non_empty("specificTag").map(String::from),
        name_filter,
        only_active: q.flag("onlyActiveTags", false),
        page: page.unwrap_or(1).max(1) as u64,
        limit: limit.unwrap_or(50).clamp(1, 100) as u64,
    };
    let history = state.tags.list_tags(&caller, &repo, query).await?;
    Ok(HttpResponse::Ok().json(json!({
        "tags": history.tags.iter().map(tag_view).collect::<Vec<_>>(),
        "page": history.page,
        "has_additional": history.has_additional,
    })))
}

/// The body of `PUT .../tag/{tag}`: which keys are present matters, not just values.
fn change_tag_body(body: &Bytes) -> ApiResult<ChangeTag> {
    let value: Map<String, Value> = json_body(body, &schemas::change_tag())?;
    Ok(ChangeTag {
        manifest_digest: value
            .get("manifest_digest")
            .map(|v| v.as_str().map(String::from)),
        expiration: value.get("expiration").map(Value::as_f64),
    })
}

pub async fn change_tag(
    state: Data<AppState>,
    Caller(caller): Caller,
    path: Path<(String, String)>,
    body: Bytes,
) -> ApiResult {
    let (repo, tag) = path.into_inner();
    let repo = repository_name(&repo)?;
    let change = change_tag_body(&body)?;
    state.tags.change_tag(&caller, &repo, &tag, change).await?;
    Ok(HttpResponse::Created().json("Updated"))
}

pub async fn delete_full_tag(
    state: Data<AppState>,
    Caller(caller): Caller,
    path: Path<(String, String)>,
) -> ApiResult {
    let (repo, tag) = path.into_inner();
    let repo = repository_name(&repo)?;
    state.tags.delete_tag(&caller, &repo, &tag).await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Deserialize)]
struct RestoreBody {
    manifest_digest: Option<String>,
}

pub async fn restore_tag(
    state: Data<AppState>,
    Caller(caller): Caller,
    path: Path<(String, String)>,
    body: Bytes,
) -> ApiResult {
    let (repo, tag) = path.into_inner();
    let repo = repository_name(&repo)?;
    let req: RestoreBody = json_body(&body, &schemas::restore_tag())?;
    state
        .tags
        .restore_tag(&caller, &repo, &tag, req.manifest_digest)
        .await?;
    Ok(HttpResponse::Ok().json(json!({})))
}

#[derive(Deserialize)]
struct ExpireBody {
    manifest_digest: Option<String>,
    #[serde(default)]
    include_submanifests: bool,
    #[serde(default)]
    is_alive: bool,
}

pub async fn remove_tag_from_timemachine(
    state: Data<AppState>,
    Caller(caller): Caller,
    path: Path<(String, String)>,
    body: Bytes,
) -> ApiResult {
    let (repo, tag) = path.into_inner();
    let repo = repository_name(&repo)?;
    let req: ExpireBody = json_body(&body, &schemas::expire_tag())?;
    let request = ExpireTag {
        manifest_digest: req.manifest_digest,
        include_submanifests: req.include_submanifests,
        is_alive: req.is_alive,
    };
    state.tags.expire_tag(&caller, &repo, &tag, request).await?;
    Ok(HttpResponse::Ok().json(""))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lifetime(end_ms: Option<i64>) -> TagLifetime {
        TagLifetime {
            id: 1,
            name: "latest".into(),
            reversion: false,
            start_ms: 1_639_395_676_500,
            end_ms,
            manifest_digest: "sha256:abc".into(),
            is_manifest_list: false,
            layers_size: Some(1234),
        }
    }

    #[test]
    fn tag_view_has_quays_fields_and_dates() {
        let v = tag_view(&lifetime(None));
        assert_eq!(v["start_ts"], 1_639_395_676);
        assert_eq!(v["last_modified"], "Mon, 13 Dec 2021 11:41:16 -0000");
        assert!(v.get("end_ts").is_none() && v.get("expiration").is_none());
        let v = tag_view(&lifetime(Some(1_639_399_276_000)));
        assert_eq!(v["end_ts"], 1_639_399_276);
        assert_eq!(v["expiration"], "Mon, 13 Dec 2021 12:41:16 -0000");
        let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(
            keys,
            [
                "name",
                "reversion",
                "start_ts",
                "end_ts",
                "manifest_digest",
                "is_manifest_list",
                "size",
                "last_modified",
                "expiration"
            ]
        );
    }

    #[test]
    fn change_tag_bodies_tell_null_from_absent() {
        let c = change_tag_body(&Bytes::from_static(br#"{"expiration": null}"#)).unwrap();
        assert_eq!(c.expiration, Some(None));
        assert_eq!(c.manifest_digest, None);
        let c =
            change_tag_body(&Bytes::from_static(br#"{"manifest_digest": "sha256:x"}"#)).unwrap();
        assert_eq!(c.manifest_digest, Some(Some("sha256:x".into())));
        assert!(change_tag_body(&Bytes::from_static(br#"{"expiration": "soon"}"#)).is_err());
    }
}
