//! `endpoints/api/manifest.py`: a manifest by digest with its layers, and its labels.

use actix_web::http::header::LOCATION;
use actix_web::web::{Bytes, Data, Path};
use actix_web::{HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};
use quay_core::date::format_rfc2822;
use quay_registry::manifests::{read_config, DOCKER_MANIFEST, OCI_IMAGE_CONFIG, OCI_MANIFEST};
use quay_repos::labels::{Label, ManifestRecord, NewLabel};
use serde::Deserialize;
use serde_json::{json, Map, Value};

use crate::error::ApiResult;
use crate::extract::{json_body, Caller, QueryArgs};
use crate::handlers::repository::repository_name;
use crate::{schemas, AppState};

/// The blob Docker leaves out of schema 2 manifests for history entries without a layer
/// (Quay's `EMPTY_LAYER_BLOB_DIGEST` and `EMPTY_LAYER_SIZE`).
const EMPTY_LAYER_DIGEST: &str =
    "sha256:a3ed95caeb02ffe68cdd9fd84406680ae93d633cb16422d00e8a7c22955b46d4";
const EMPTY_LAYER_SIZE: i64 = 32;

/// Quay's `_label_dict`.
fn label_view(l: &Label) -> Value {
    json!({
        "id": l.uuid,
        "key": l.key,
        "value": l.value,
        "source_type": l.source.as_str(),
        "media_type": l.media_type,
    })
}

/// One filesystem layer as the manifest lists it.
struct BlobLayer {
    digest: String,
    size: Option<i64>,
    urls: Option<Vec<String>>,
}

/// One entry of the image config's `history`.
struct History<'a>(&'a Value);

impl History<'_> {
    fn is_empty(&self) -> bool {
        self.0.get("empty_layer").and_then(Value::as_bool) == Some(true)
    }

    fn text(&self, key: &str) -> Option<&str> {
        self.0
            .get(key)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
    }

    /// Quay's normalization: a JSON array (schema 1) or a single command string.
    fn command(&self) -> Value {
        match self.text("created_by") {
            Some(c) => serde_json::from_str(c).unwrap_or_else(|_| json!([c])),
            None => Value::Null,
        }
    }

    fn created(&self) -> Value {
        self.text("created")
            .and_then(|c| DateTime::parse_from_rfc3339(c).ok())
            .map_or(Value::Null, |d| {
                json!(format_rfc2822(d.with_timezone(&Utc)))
            })
    }
}

/// Quay's `_layer_dict`.
fn layer_view(index: usize, blob: Option<&BlobLayer>, history: Option<&History<'_>>) -> Value {
    let mut v = Map::new();
    v.insert("index".into(), json!(index));
    v.insert(
        "compressed_size".into(),
        json!(blob.map_or(Some(EMPTY_LAYER_SIZE), |b| b.size)),
    );
    v.insert(
        "is_remote".into(),
        json!(blob.is_some_and(|b| b.urls.is_some())),
    );
    v.insert("urls".into(), json!(blob.and_then(|b| b.urls.clone())));
    v.insert(
        "command".into(),
        history.map_or(Value::Null, History::command),
    );
    v.insert(
        "comment".into(),
        json!(history.and_then(|h| h.text("comment"))),
    );
    v.insert(
        "author".into(),
        json!(history.and_then(|h| h.text("author"))),
    );
    v.insert(
        "blob_digest".into(),
        json!(blob.map_or(EMPTY_LAYER_DIGEST, |b| b.digest.as_str())),
    );
    v.insert(
        "created_datetime".into(),
        history.map_or(Value::Null, History::created),
    );
    Value::Object(v)
}

/// The layers of an image manifest, base first: one per `history` entry of its config
/// (entries without a layer stand for Docker's empty layer), as Quay lists them. A
/// config whose history does not account for every layer gives the layers alone.
fn layers(manifest: &Value, config: Option<&Value>) -> Vec<Value> {
    let blobs: Vec<BlobLayer> = manifest
        .get("layers")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|l| BlobLayer {
            digest: l
                .get("digest")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string(),
            size: l.get("size").and_then(Value::as_i64),
            urls: l
                .get("urls")
                .and_then(Value::as_array)
                .filter(|u| !u.is_empty())
                .map(|u| {
                    u.iter()
                        .filter_map(|s| s.as_str().map(String::from))
                        .collect()
                }),
        })
        .collect();
    let history: Vec<History<'_>> = config
        .and_then(|c| c.get("history"))
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(History)
        .collect();
    let with_layers = history.iter().filter(|h| !h.is_empty()).count();
    if with_layers != blobs.len() {
        return blobs
            .iter()
            .enumerate()
            .map(|(i, b)| layer_view(i, Some(b), None))
            .collect();
    }
    let mut next_blob = blobs.iter();
    history
        .iter()
        .enumerate()
        .map(|(i, h)| {
            let blob = if h.is_empty() { None } else { next_blob.next() };
            layer_view(i, blob, Some(h))
        })
        .collect()
}

/// Quay's `_manifest_dict`; `config` is the image config (for the layers' history).
fn manifest_view(m: &ManifestRecord, config: Option<&Value>) -> Value {
    let parsed: Value = serde_json::from_slice(&m.bytes).unwrap_or(Value::Null);
    let image = match m.media_type.as_str() {
        DOCKER_MANIFEST => true,
        OCI_MANIFEST => m.config_media_type.as_deref() == Some(OCI_IMAGE_CONFIG),
        _ => false,
    };
    let layers = if image && !m.is_manifest_list() {
        layers(&parsed, config)
    } else {
        Vec::new()
    };
    json!({
        "digest": m.digest,
        "is_manifest_list": m.is_manifest_list(),
        "manifest_data": String::from_utf8_lossy(&m.bytes),
        "config_media_type": m.config_media_type,
        "layers": if layers.is_empty() { Value::Null } else { json!(layers) },
    })
}

/// The config digest of an image manifest.
fn config_digest(m: &ManifestRecord) -> Option<String> {
    let parsed: Value = serde_json::from_slice(&m.bytes).ok()?;
    parsed
        .get("config")?
        .get("digest")?
        .as_str()
        .map(String::from)
}

pub async fn get_repo_manifest(
    state: Data<AppState>,
    Caller(caller): Caller,
    path: Path<(String, String)>,
) -> ApiResult {
    let (repo, digest) = path.into_inner();
    let repo = repository_name(&repo)?;
    let manifest = state.manifests.manifest(&caller, &repo, &digest).await?;
    let config = match config_digest(&manifest) {
        Some(d) if !manifest.is_manifest_list() => read_config(&state.registry.blobs, &d).await,
        _ => None,
    };
    Ok(HttpResponse::Ok().json(manifest_view(&manifest, config.as_ref())))
}

pub async fn list_manifest_labels(
    state: Data<AppState>,
    Caller(caller): Caller,
    path: Path<(String, String)>,
    req: HttpRequest,
) -> ApiResult {
    let (repo, digest) = path.into_inner();
    let repo = repository_name(&repo)?;
    let q = QueryArgs::parse(&req);
    let labels = state
        .manifests
        .list_labels(&caller, &repo, &digest, q.string("filter"))
        .await?;
    Ok(HttpResponse::Ok().json(json!({
        "labels": labels.iter().map(label_view).collect::<Vec<_>>(),
    })))
}

#[derive(Deserialize)]
struct AddLabel {
    key: String,
    value: String,
    media_type: Option<String>,
}

pub async fn add_manifest_label(
    state: Data<AppState>,
    Caller(caller): Caller,
    path: Path<(String, String)>,
    body: Bytes,
) -> ApiResult {
    let (repo_path, digest) = path.into_inner();
    let repo = repository_name(&repo_path)?;
    let new = json_body::<AddLabel>(&body, &schemas::add_label())
        .map(|req| NewLabel {
            key: req.key,
            value: req.value,
            media_type: req.media_type,
        })
        .map_err(|e| e.detail);
    let label = state
        .manifests
        .add_label(&caller, &repo, &digest, new)
        .await?;
    let location = format!(
        "/api/v1/repository/{}/{}/manifest/{digest}/labels/{}",
        repo.namespace, repo.name, label.uuid
    );
    Ok(HttpResponse::Created()
        .insert_header((LOCATION, location))
        .json(json!({"label": label_view(&label)})))
}

pub async fn get_manifest_label(
    state: Data<AppState>,
    Caller(caller): Caller,
    path: Path<(String, String, String)>,
) -> ApiResult {
    let (repo, digest, label) = path.into_inner();
    let repo = repository_name(&repo)?;
    let label = state
        .manifests
        .get_label(&caller, &repo, &digest, &label)
        .await?;
    Ok(HttpResponse::Ok().json(label_view(&label)))
}

pub async fn delete_manifest_label(
    state: Data<AppState>,
    Caller(caller): Caller,
    path: Path<(String, String, String)>,
) -> ApiResult {
    let (repo, digest, label) = path.into_inner();
    let repo = repository_name(&repo)?;
    state
        .manifests
        .delete_label(&caller, &repo, &digest, &label)
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(media_type: &str, bytes: &Value) -> ManifestRecord {
        ManifestRecord {
            id: 1,
            digest: "sha256:abc".into(),
            media_type: media_type.into(),
            config_media_type: Some("application/vnd.docker.container.image.v1+json".into()),
            bytes: serde_json::to_vec(bytes).unwrap(),
        }
    }

    #[test]
    fn layers_follow_the_config_history_with_empty_layers() {
        let manifest = json!({"schemaVersion": 2, "mediaType": DOCKER_MANIFEST,
            "config": {"digest": "sha256:c", "size": 1},
            "layers": [{"digest": "sha256:l0", "size": 10}, {"digest": "sha256:l1", "size": 20, "urls": ["https://x"]}]});
        let config = json!({"history": [
            {"created": "2021-12-13T11:41:16Z", "created_by": "/bin/sh -c #(nop) ADD file:x in /", "author": "me"},
            {"created": "2021-12-13T11:41:17Z", "created_by": "/bin/sh -c #(nop) ENV A=1", "empty_layer": true},
            {"created_by": "[\"/bin/sh\", \"-c\", \"make\"]", "comment": "built"},
        ]});
        let v = manifest_view(&record(DOCKER_MANIFEST, &manifest), Some(&config));
        let layers = v["layers"].as_array().unwrap();
        assert_eq!(layers.len(), 3);
        assert_eq!(layers[0]["blob_digest"], "sha256:l0");
        assert_eq!(layers[0]["compressed_size"], 10);
        assert_eq!(
            layers[0]["command"],
            json!(["/bin/sh -c #(nop) ADD file:x in /"])
        );
        assert_eq!(layers[0]["author"], "me");
        assert_eq!(
            layers[0]["created_datetime"],
            "Mon, 13 Dec 2021 11:41:16 -0000"
        );
        assert_eq!(layers[1]["blob_digest"], EMPTY_LAYER_DIGEST);
        assert_eq!(layers[1]["compressed_size"], 32);
        assert_eq!(layers[2]["blob_digest"], "sha256:l1");
        assert_eq!(layers[2]["is_remote"], true);
        assert_eq!(layers[2]["urls"], json!(["https://x"]));
        assert_eq!(layers[2]["command"], json!(["/bin/sh", "-c", "make"]));
        assert_eq!(layers[2]["comment"], "built");
        let keys: Vec<&str> = layers[0]
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(
            keys,
            [
                "index",
                "compressed_size",
                "is_remote",
                "urls",
                "command",
                "comment",
                "author",
                "blob_digest",
                "created_datetime"
            ]
        );
    }

    #[test]
    fn without_history_the_layers_stand_alone_and_indexes_have_none() {
        let manifest = json!({"schemaVersion": 2, "mediaType": DOCKER_MANIFEST,
            "config": {"digest": "sha256:c", "size": 1},
            "layers": [{"digest": "sha256:l0", "size": 10}]});
        let v = manifest_view(&record(DOCKER_MANIFEST, &manifest), None);
        assert_eq!(v["layers"][0]["blob_digest"], "sha256:l0");
        assert_eq!(v["layers"][0]["command"], Value::Null);
        let index = json!({"schemaVersion": 2, "manifests": []});
        let v = manifest_view(
            &record("application/vnd.oci.image.index.v1+json", &index),
            None,
        );
        assert_eq!(v["is_manifest_list"], true);
        assert_eq!(v["layers"], Value::Null);
        let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(
            keys,
            [
                "digest",
                "is_manifest_list",
                "manifest_data",
                "config_media_type",
                "layers"
            ]
        );
    }
}
