//! A test harness: the real application on a fresh database (see
//! `quay_persistence::testing`), driven through actix's test service.
#![allow(dead_code)]

use actix_web::http::{Method, StatusCode};
use actix_web::test::{self, TestRequest};
use actix_web::web::Data;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use quay_core::config::Config;
use quay_http::{app, AppState};
use quay_persistence::testing::{seed_namespace, seed_token, seed_user, TestDatabase};
use serde_json::{json, Value};

pub const ALL_SCOPES: &str =
    "repo:read repo:write repo:admin repo:create user:read user:admin org:admin super:user";

pub struct Harness {
    /// Shared, so a second server (another replica) can run on the same database.
    pub t: std::sync::Arc<TestDatabase>,
    pub state: Data<AppState>,
}

pub struct Response {
    pub status: StatusCode,
    pub body: Value,
    pub headers: actix_web::http::header::HeaderMap,
}

impl Response {
    /// The `_csrf_token=...` session cookie this response sets, ready for a `Cookie`
    /// header.
    pub fn session_cookie(&self) -> String {
        self.headers
            .get_all("set-cookie")
            .filter_map(|v| v.to_str().ok())
            .find(|c| c.starts_with("_csrf_token="))
            .map(|c| c.split(';').next().unwrap().to_string())
            .expect("a session cookie")
    }
}

impl Harness {
    pub async fn new() -> Self {
        Self::with_config(Config::default()).await
    }

    pub async fn with_config(config: Config) -> Self {
        let t = std::sync::Arc::new(TestDatabase::new().await);
        let state = Data::new(AppState::new(config, t.db.clone(), b"test-secret", None));
        Harness { t, state }
    }

    /// Another server on the same database (a replica), with `config`.
    pub fn replica(&self, config: Config) -> Harness {
        let state = Data::new(AppState::new(
            config,
            self.t.db.clone(),
            b"test-secret",
            None,
        ));
        Harness {
            t: self.t.clone(),
            state,
        }
    }

    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<&str>,
    ) -> Response {
        let auth = token.map(|t| ("Authorization", format!("Bearer {t}")));
        self.call_with(method, path, auth.as_slice(), body).await
    }

    /// A request with arbitrary headers (cookies, CSRF tokens).
    pub async fn call_with(
        &self,
        method: Method,
        path: &str,
        headers: &[(&str, String)],
        body: Option<&str>,
    ) -> Response {
        let service = test::init_service(app(self.state.clone())).await;
        let mut req = TestRequest::default().method(method).uri(path);
        for (name, value) in headers {
            req = req.insert_header((*name, value.clone()));
        }
        if let Some(body) = body {
            req = req
                .insert_header(("Content-Type", "application/json"))
                .set_payload(body.to_string());
        }
        let res = test::call_service(&service, req.to_request()).await;
        let status = res.status();
        let headers = res.headers().clone();
        let bytes = test::read_body(res).await;
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes)
                .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into()))
        };
        Response {
            status,
            body,
            headers,
        }
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> Response {
        self.call(Method::GET, path, token, None).await
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: Value) -> Response {
        self.call(Method::POST, path, token, Some(&body.to_string()))
            .await
    }

    pub async fn put(&self, path: &str, token: Option<&str>, body: Value) -> Response {
        self.call(Method::PUT, path, token, Some(&body.to_string()))
            .await
    }

    pub async fn delete(&self, path: &str, token: Option<&str>) -> Response {
        self.call(Method::DELETE, path, token, None).await
    }

    /// The first user through `/api/v1/user/initialize`; returns its all-scopes token.
    pub async fn initialize(&self, username: &str) -> String {
        let r = self
            .post(
                "/api/v1/user/initialize",
                None,
                json!({"username": username, "password": "password", "email": format!("{username}@example.com"), "access_token": true}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        r.body["access_token"].as_str().unwrap().to_string()
    }

    /// Another user with a token carrying `scopes`: (user id, token).
    pub async fn user(&self, name: &str, scopes: &str) -> (i64, String) {
        let id = seed_user(&self.t.db, name).await;
        (id, seed_token(&self.t.db, id, scopes, 3600).await)
    }

    pub async fn token(&self, user_id: i64, scopes: &str) -> String {
        seed_token(&self.t.db, user_id, scopes, 3600).await
    }

    pub async fn org_without_owners(&self, name: &str) -> i64 {
        seed_namespace(&self.t.db, name, true).await
    }

    /// A fresh anonymous session from `/csrf_token`: (the `Cookie` header value, the
    /// session's CSRF token).
    pub async fn anonymous_session(&self) -> (String, String) {
        let r = self.call_with(Method::GET, "/csrf_token", &[], None).await;
        (
            r.session_cookie(),
            r.body["csrf_token"].as_str().unwrap().to_string(),
        )
    }

    /// Signs in with a password: (the `Cookie` header value, the next CSRF token).
    pub async fn signed_in(&self, username: &str, password: &str) -> (String, String) {
        let (cookie, csrf) = self.anonymous_session().await;
        let body = json!({"username": username, "password": password}).to_string();
        let r = self
            .call_with(
                Method::POST,
                "/api/v1/signin",
                &[("Cookie", cookie), ("X-CSRF-Token", csrf)],
                Some(&body),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let csrf = r
            .headers
            .get("X-Next-CSRF-Token")
            .unwrap()
            .to_str()
            .unwrap();
        let csrf = csrf.to_string();
        (r.session_cookie(), csrf)
    }

    /// The kinds of the namespace's audit log, oldest first.
    pub async fn log_kinds(&self, namespace_id: i64) -> Vec<String> {
        use quay_logs::LogStore;
        let store = quay_persistence::SqlStore::new(self.t.db.clone());
        let mut kinds: Vec<String> = store
            .namespace_logs(namespace_id, 100)
            .await
            .unwrap()
            .into_iter()
            .map(|l| l.kind)
            .collect();
        kinds.reverse();
        kinds
    }

    pub async fn namespace_id(&self, name: &str) -> i64 {
        use quay_orgs::NamespaceStore;
        let store = quay_persistence::SqlStore::new(self.t.db.clone());
        store
            .find_namespace(name)
            .await
            .unwrap()
            .expect("namespace exists")
            .id
    }
}

/// Asserts a Quay error body with this status, type and detail.
pub fn assert_error(r: &Response, status: u16, error_type: &str, detail: &str) {
    assert_eq!(r.status.as_u16(), status, "{}", r.body);
    assert_eq!(r.body["error_type"], error_type, "{}", r.body);
    assert_eq!(r.body["title"], error_type);
    assert_eq!(r.body["detail"], detail, "{}", r.body);
    assert_eq!(r.body["error_message"], detail);
    assert_eq!(r.body["status"], status);
    assert_eq!(
        r.body["type"],
        format!("http://localhost:8080/api/v1/error/{error_type}")
    );
}

/// The directory of Quay's API catalog (`shared/spec`), if this checkout has it beside
/// it. With `QUAY_REQUIRE_SPEC` set (as `.ci/run` does) it must be there; elsewhere tests
/// that need it skip with a message.
pub fn spec_dir() -> Option<std::path::PathBuf> {
    let dir = std::env::var("QUAY_SPEC_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|_| {
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/spec")
        });
    if dir.join("quay-api-v1.json").exists() {
        Some(dir)
    } else if std::env::var("QUAY_REQUIRE_SPEC").is_ok() {
        panic!(
            "the API catalog is missing at {} (QUAY_REQUIRE_SPEC is set)",
            dir.display()
        );
    } else {
        eprintln!(
            "skipping: the API catalog is not at {} (set QUAY_SPEC_DIR)",
            dir.display()
        );
        None
    }
}

/// A raw response (registry endpoints answer bytes, not always JSON).
pub struct Reply {
    pub status: StatusCode,
    pub headers: actix_web::http::header::HeaderMap,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .map(|v| v.to_str().unwrap())
            .unwrap_or("")
    }

    pub fn error_code(&self) -> String {
        let v: Value = serde_json::from_slice(&self.body).unwrap_or(Value::Null);
        v["errors"][0]["code"].as_str().unwrap_or("").to_string()
    }
}

/// A request with a raw body and an optional bearer token.
pub async fn send(
    h: &Harness,
    method: Method,
    path: &str,
    token: Option<&str>,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Reply {
    let service = test::init_service(app(h.state.clone())).await;
    let mut req = TestRequest::default().method(method).uri(path);
    if let Some(t) = token {
        req = req.insert_header(("Authorization", format!("Bearer {t}")));
    }
    for (k, v) in headers {
        req = req.insert_header((*k, *v));
    }
    if !body.is_empty() {
        req = req
            .insert_header(("Content-Length", body.len().to_string()))
            .set_payload(body.to_vec());
    }
    let res = test::call_service(&service, req.to_request()).await;
    let status = res.status();
    let headers = res.headers().clone();
    let body = test::read_body(res).await.to_vec();
    Reply {
        status,
        headers,
        body,
    }
}

/// A registry token for `scopes`, as `user`/`password`.
pub async fn registry_token(h: &Harness, user: &str, password: &str, scopes: &[&str]) -> String {
    let query: Vec<String> = scopes.iter().map(|s| format!("scope={s}")).collect();
    let auth = format!("Basic {}", STANDARD.encode(format!("{user}:{password}")));
    let r = h
        .call_with(
            Method::GET,
            &format!("/v2/auth?service=localhost:8080&{}", query.join("&")),
            &[("Authorization", auth)],
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    r.body["token"].as_str().unwrap().to_string()
}

/// Uploads `bytes` as a blob of repository `repo` (`namespace/name`) in one request;
/// its descriptor (`digest`, `size`) for a manifest.
pub async fn push_blob(h: &Harness, token: &str, repo: &str, bytes: &[u8]) -> Value {
    let digest = quay_storage::Digest::of(bytes);
    let r = send(
        h,
        Method::POST,
        &format!("/v2/{repo}/blobs/uploads/?digest={digest}"),
        Some(token),
        &[],
        bytes,
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED);
    json!({"digest": digest.as_str(), "size": bytes.len()})
}

/// `PUT /v2/{repo}/manifests/{reference}` with `body` of `media_type`.
pub async fn push_manifest(
    h: &Harness,
    token: &str,
    repo: &str,
    reference: &str,
    media_type: &str,
    body: &[u8],
) -> Reply {
    send(
        h,
        Method::PUT,
        &format!("/v2/{repo}/manifests/{reference}"),
        Some(token),
        &[("Content-Type", media_type)],
        body,
    )
    .await
}
