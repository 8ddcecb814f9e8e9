//! `GET /api/v1/discovery`: the Swagger 2.0 document of the registered API, built from
//! the route table (so it lists exactly what is served), in the shape Quay serves it.

use actix_web::web::Data;
use actix_web::{HttpRequest, HttpResponse};
use quay_core::config::Config;
use quay_core::scope::Scope;
use serde_json::{json, Map, Value};

use crate::extract::{AnyCaller, QueryArgs};
use crate::routes::{endpoints, PATH_PARAMS, SCOPED_PATH_PARAMS, TAGS};
use crate::AppState;

pub async fn discovery(state: Data<AppState>, _: AnyCaller, req: HttpRequest) -> HttpResponse {
    let internal = QueryArgs::parse(&req).flag("internal", false);
    HttpResponse::Ok().json(document(&state.config, internal))
}

fn path_params(path: &str) -> Vec<Value> {
    PATH_PARAMS
        .iter()
        .filter(|(name, _)| path.contains(&format!("{{{name}}}")))
        .map(|(name, description)| {
            let description = SCOPED_PATH_PARAMS
                .iter()
                .find(|(prefix, n, _)| n == name && path.starts_with(prefix))
                .map_or(*description, |(_, _, d)| d);
            json!({"name": name, "in": "path", "required": true, "description": description, "type": "string"})
        })
        .collect()
}

/// The discovery document; `include_internal` adds Quay's internal-only operations.
pub fn document(config: &Config, include_internal: bool) -> Value {
    let mut table = endpoints(config);
    table.retain(|e| include_internal || !e.internal);
    // Quay sorts paths by tag, keeping registration order within a tag.
    table.sort_by_key(|e| e.tag);

    let mut paths = Map::new();
    let mut definitions = Map::new();
    let mut tags: Vec<&str> = Vec::new();
    for e in &table {
        if !tags.contains(&e.tag) {
            tags.push(e.tag);
        }
        let entry = paths.entry(e.path.to_string()).or_insert_with(
            || json!({"x-path": e.path, "x-tag": e.tag, "parameters": path_params(e.path)}),
        );
        let mut parameters: Vec<Value> = e
            .query
            .iter()
            .map(|q| json!({"name": q.name, "in": "query", "required": false, "description": q.help, "type": q.kind}))
            .collect();
        if let Some((name, schema)) = e.body {
            parameters.push(json!({
                "name": "body", "in": "body", "required": true,
                "description": "Request body contents.",
                "schema": {"$ref": format!("#/definitions/{name}")},
            }));
            definitions.insert(name.to_string(), schema());
        }
        let mut op = json!({
            "operationId": e.nickname,
            "parameters": parameters,
            "description": e.summary,
            "tags": [e.tag],
        });
        if let Some(scope) = e.scope {
            op["security"] = json!([{"oauth2_implicit": [scope.as_str()]}]);
        }
        let error =
            |d: &str| json!({"description": d, "schema": {"$ref": "#/definitions/ApiError"}});
        let mut responses = json!({
            "400": error("Bad Request"),
            "401": error("Session required"),
            "403": error("Unauthorized access"),
            "404": error("Not found"),
        });
        let (code, desc) = match e.method.as_str() {
            "DELETE" => ("204", "Deleted"),
            "POST" => ("201", "Successful creation"),
            _ => ("200", "Successful invocation"),
        };
        responses[code] = json!({"description": desc});
        op["responses"] = responses;
        entry[e.method.as_str().to_lowercase()] = op;
    }
    definitions.insert("ApiError".into(), json!({
        "type": "object",
        "properties": {
            "status": {"type": "integer", "description": "Status code of the response."},
            "type": {"type": "string", "description": "Reference to the type of the error."},
            "detail": {"type": "string", "description": "Details about the specific instance of the error."},
            "title": {"type": "string", "description": "Unique error code to identify the type of error."},
            "error_message": {"type": "string", "description": "Deprecated; alias for detail"},
            "error_type": {"type": "string", "description": "Deprecated; alias for detail"},
        },
        "required": ["status", "type", "title"],
    }));
    tags.sort();
    let tags: Vec<Value> = tags
        .iter()
        .map(|t| {
            let description = TAGS.iter().find(|(n, _)| n == t).map_or("", |(_, d)| *d);
            json!({"name": t, "description": description})
        })
        .collect();
    let scopes: Map<String, Value> = Scope::ALL
        .into_iter()
        .filter(|s| {
            *s != Scope::DirectLogin && (*s != Scope::SuperUser || config.feature_super_users)
        })
        .map(|s| (s.as_str().to_string(), s.description().into()))
        .collect();
    let scheme = &config.preferred_url_scheme;
    let host = &config.server_hostname;
    json!({
        "swagger": "2.0",
        "host": host,
        "basePath": "/",
        "schemes": [scheme],
        "info": {
            "version": "v1",
            "title": "Quay Frontend",
            "description": "This API allows you to perform many of the operations required to work with Quay repositories, users, and organizations.",
        },
        "securityDefinitions": {"oauth2_implicit": {
            "type": "oauth2",
            "flow": "implicit",
            "authorizationUrl": format!("{scheme}://{host}/oauth/authorize"),
            "scopes": scopes,
        }},
        "paths": paths,
        "definitions": definitions,
        "tags": tags,
    })
}
