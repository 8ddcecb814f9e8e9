//! Our own OCI distribution-spec conformance suite, against a live `quayd`: the four
//! workflows of the spec's conformance tests (pull, push, content discovery, content
//! management) with the status codes and headers the spec requires, plus a test of bad
//! input (broken uploads, wrong digests, oversized or unknown manifests, bad names,
//! tokens for another repository). Each test starts its own server (on PostgreSQL when
//! `QUAY_TEST_DATABASE_URL` is set), and no answer anywhere may be a 5xx.

mod common;

use std::io::{Read, Write};
use std::net::{Shutdown, TcpStream};
use std::path::PathBuf;
use std::time::Duration;

use common::{free_port, Server};
use quay_persistence::testing::TestDatabase;
use quay_storage::testing::S3Service;
use reqwest::header::HeaderMap;
use reqwest::{Method, RequestBuilder};
use serde_json::{json, Value};
use sha2::{Digest as _, Sha256};

const USER: &str = "admin";
const PASSWORD: &str = "password123";

const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
const OCI_CONFIG: &str = "application/vnd.oci.image.config.v1+json";
const OCI_LAYER: &str = "application/vnd.oci.image.layer.v1.tar+gzip";
const OCI_EMPTY: &str = "application/vnd.oci.empty.v1+json";
const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
const DOCKER_CONFIG: &str = "application/vnd.docker.container.image.v1+json";
const DOCKER_LAYER: &str = "application/vnd.docker.image.rootfs.diff.tar.gzip";
const OCTET: &str = "application/octet-stream";

/// The spec's well-known digest of the empty JSON object `{}`.
const EMPTY_JSON_DIGEST: &str =
    "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a";

fn sha256(bytes: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(bytes)))
}

/// `len` bytes that differ per `seed`, so every blob of a test has its own digest.
fn bytes(seed: u32, len: usize) -> Vec<u8> {
    (0..len as u32)
        .map(|n| {
            (n.wrapping_mul(2_654_435_761)
                .wrapping_add(seed.wrapping_mul(97))
                >> 13) as u8
        })
        .collect()
}

fn descriptor(media_type: &str, content: &[u8]) -> Value {
    json!({"mediaType": media_type, "digest": sha256(content), "size": content.len()})
}

fn image_manifest(media_type: &str, config: Value, layers: Vec<Value>) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "schemaVersion": 2, "mediaType": media_type, "config": config, "layers": layers,
    }))
    .unwrap()
}

fn repo_scope(repo: &str, actions: &str) -> String {
    format!("repository:{repo}:{actions}")
}

/// Appends `pair` to the query of `location` (an upload URL may carry its own query).
fn with_query(location: &str, pair: &str) -> String {
    let sep = if location.contains('?') { '&' } else { '?' };
    format!("{location}{sep}{pair}")
}

/// A whole answer: status, headers and body.
struct Reply {
    status: u16,
    headers: HeaderMap,
    body: Vec<u8>,
}

impl std::fmt::Debug for Reply {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let body = String::from_utf8_lossy(&self.body);
        let body: String = body.chars().take(600).collect();
        f.debug_struct("Reply")
            .field("status", &self.status)
            .field("headers", &self.headers)
            .field("body", &body)
            .finish()
    }
}

impl Reply {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    fn must_header(&self, name: &str) -> &str {
        self.header(name)
            .unwrap_or_else(|| panic!("no {name} header in {self:?}"))
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {self:?}"))
    }

    fn expect(&self, status: u16) -> &Self {
        assert_eq!(self.status, status, "{self:?}");
        self
    }

    /// An error in the spec's shape, `{"errors": [{"code", "message", "detail"}]}`,
    /// whose first code is `code`.
    fn expect_error(&self, status: u16, code: &str) -> &Self {
        self.expect(status);
        assert!(
            self.header("content-type")
                .is_some_and(|c| c.starts_with("application/json")),
            "{self:?}"
        );
        let body = self.json();
        let errors = body["errors"].as_array().expect("an errors list");
        assert!(!errors.is_empty(), "{self:?}");
        for e in errors {
            assert!(e["code"].is_string(), "{self:?}");
            assert!(e["message"].is_string(), "{self:?}");
            assert!(e.get("detail").is_some(), "{self:?}");
        }
        assert_eq!(errors[0]["code"], code, "{self:?}");
        self
    }

    /// The challenge of a 401, which must name `scope`.
    fn expect_challenge(&self, reg: &Registry, scope: &str) -> &Self {
        self.expect_error(401, "UNAUTHORIZED");
        let expected = format!(
            r#"Bearer realm="http://{host}/v2/auth",service="{host}",scope="{scope}""#,
            host = reg.host
        );
        assert_eq!(self.must_header("www-authenticate"), expected, "{self:?}");
        self
    }
}

trait Fetch {
    async fn fetch(self) -> Reply;
}

impl Fetch for RequestBuilder {
    /// Sends the request and reads the whole answer; a 5xx fails the test wherever it
    /// happens, so every request in the suite doubles as a "no server error" check.
    async fn fetch(self) -> Reply {
        let res = self.send().await.expect("the request reaches quayd");
        let status = res.status().as_u16();
        let headers = res.headers().clone();
        let body = res.bytes().await.expect("a whole body").to_vec();
        let reply = Reply {
            status,
            headers,
            body,
        };
        assert!(status < 500, "server error: {reply:?}");
        reply
    }
}

/// A live `quayd` with its first user, and the calls the tests make to it.
struct Registry {
    server: Option<Server>,
    data: tempfile::TempDir,
    _db: TestDatabase,
    port: u16,
    host: String,
    base: String,
    http: reqwest::Client,
    /// The first user's `/api/v1` token.
    api_token: String,
}

impl Registry {
    async fn start() -> Registry {
        Self::start_with(&[]).await
    }

    /// A server keeping its blobs in a new bucket of `s3` (Quay's `S3Storage`) and
    /// streaming them itself (`FEATURE_PROXY_STORAGE`) rather than redirecting to S3.
    async fn start_on_s3(s3: &S3Service) -> Registry {
        let location = json!({"default": ["S3Storage", s3.bucket("registry", "/quay")]});
        Self::start_with(&[
            ("QUAY_DISTRIBUTED_STORAGE_CONFIG", &location.to_string()),
            ("QUAY_DISTRIBUTED_STORAGE_PREFERENCE", "[default]"),
            ("QUAY_FEATURE_PROXY_STORAGE", "true"),
        ])
        .await
    }

    /// A server with these environment variables set too.
    async fn start_with(env: &[(&str, &str)]) -> Registry {
        let db = TestDatabase::new().await;
        let data = tempfile::tempdir().unwrap();
        let port = free_port();
        let host = format!("127.0.0.1:{port}");
        let server = Server::start(
            data.path(),
            port,
            db.is_postgres().then(|| db.url()),
            &[&[("QUAY_SERVER_HOSTNAME", host.as_str())], env].concat(),
        );
        let http = reqwest::Client::builder()
            .no_proxy()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(60))
            .build()
            .unwrap();
        let mut reg = Registry {
            server: Some(server),
            data,
            _db: db,
            port,
            base: format!("http://{host}"),
            host,
            http,
            api_token: String::new(),
        };
        let body = json!({
            "username": USER, "password": PASSWORD, "email": "admin@example.com",
            "access_token": true,
        });
        let init = reg
            .http
            .post(format!("{}/api/v1/user/initialize", reg.base))
            .header("content-type", "application/json")
            .body(serde_json::to_vec(&body).unwrap())
            .fetch()
            .await;
        init.expect(200);
        reg.api_token = init.json()["access_token"].as_str().unwrap().to_string();
        reg
    }

    /// Stops the server; it must exit cleanly and never have logged an internal error
    /// (which a client sees only as a 500 we might have missed).
    fn finish(mut self) {
        let (status, output) = self.server.take().unwrap().terminate();
        assert!(status.success(), "quayd exited with {status}:\n{output}");
        assert!(
            !output.contains("registry internal error") && !output.contains("panicked"),
            "quayd logged a failure:\n{output}"
        );
    }

    fn url(&self, path: &str) -> String {
        if path.starts_with("http://") {
            path.to_string()
        } else {
            format!("{}{path}", self.base)
        }
    }

    fn anon(&self, method: Method, path: &str) -> RequestBuilder {
        self.http.request(method, self.url(path))
    }

    fn req(&self, method: Method, path: &str, token: &str) -> RequestBuilder {
        self.anon(method, path).bearer_auth(token)
    }

    /// An `/api/v1` call by the first user, which must succeed.
    async fn api(&self, method: Method, path: &str, body: Value) -> Value {
        let reply = self
            .req(method, path, &self.api_token)
            .header("content-type", "application/json")
            .body(serde_json::to_vec(&body).unwrap())
            .fetch()
            .await;
        assert!((200..300).contains(&reply.status), "{path}: {reply:?}");
        if reply.body.is_empty() {
            Value::Null
        } else {
            reply.json()
        }
    }

    /// `GET /v2/auth` with basic credentials: the raw answer.
    async fn token_reply(&self, user: &str, password: &str, scopes: &[&str]) -> Reply {
        let mut url = format!("{}/v2/auth?service={}", self.base, self.host);
        for s in scopes {
            url.push_str("&scope=");
            url.push_str(s);
        }
        self.http
            .get(url)
            .basic_auth(user, Some(password))
            .fetch()
            .await
    }

    async fn token(&self, user: &str, password: &str, scopes: &[&str]) -> String {
        let reply = self.token_reply(user, password, scopes).await;
        reply.expect(200);
        reply.json()["token"].as_str().unwrap().to_string()
    }

    /// A registry token of the first user.
    async fn user_token(&self, scopes: &[&str]) -> String {
        self.token(USER, PASSWORD, scopes).await
    }

    /// A robot of the first user with `role` on each of `repos`; its password.
    async fn robot(&self, short: &str, role: &str, repos: &[&str]) -> String {
        let robot = self
            .api(
                Method::PUT,
                &format!("/api/v1/user/robots/{short}"),
                json!({}),
            )
            .await;
        for repo in repos {
            self.api(
                Method::PUT,
                &format!("/api/v1/repository/{repo}/permissions/user/{USER}+{short}"),
                json!({ "role": role }),
            )
            .await;
        }
        robot["token"].as_str().unwrap().to_string()
    }

    /// A private repository of the first user, made over the API (not by a push).
    async fn create_repo(&self, name: &str) {
        self.api(
            Method::POST,
            "/api/v1/repository",
            json!({"namespace": USER, "repository": name, "visibility": "private", "description": ""}),
        )
        .await;
    }

    /// A monolithic upload (`POST ?digest=`); the blob's digest.
    async fn push_blob(&self, repo: &str, token: &str, content: &[u8]) -> String {
        let digest = sha256(content);
        self.req(
            Method::POST,
            &format!("/v2/{repo}/blobs/uploads/?digest={digest}"),
            token,
        )
        .header("content-type", OCTET)
        .body(content.to_vec())
        .fetch()
        .await
        .expect(201);
        digest
    }

    async fn put_manifest(
        &self,
        repo: &str,
        token: &str,
        reference: &str,
        media_type: &str,
        content: &[u8],
    ) -> Reply {
        self.req(
            Method::PUT,
            &format!("/v2/{repo}/manifests/{reference}"),
            token,
        )
        .header("content-type", media_type)
        .body(content.to_vec())
        .fetch()
        .await
    }

    /// Pushes a one-layer OCI image (its config and layer first) under `reference`;
    /// the manifest's bytes.
    async fn push_image(&self, repo: &str, token: &str, reference: &str, seed: u32) -> Vec<u8> {
        let config = serde_json::to_vec(&json!({
            "architecture": "amd64", "os": "linux", "seed": seed,
            "rootfs": {"type": "layers", "diff_ids": []},
        }))
        .unwrap();
        let layer = bytes(seed, 1000 + seed as usize);
        self.push_blob(repo, token, &config).await;
        self.push_blob(repo, token, &layer).await;
        let manifest = image_manifest(
            OCI_MANIFEST,
            descriptor(OCI_CONFIG, &config),
            vec![descriptor(OCI_LAYER, &layer)],
        );
        self.put_manifest(repo, token, reference, OCI_MANIFEST, &manifest)
            .await
            .expect(201);
        manifest
    }

    /// Starts an upload session; its `Location`.
    async fn start_upload(&self, repo: &str, token: &str) -> String {
        let reply = self
            .req(Method::POST, &format!("/v2/{repo}/blobs/uploads/"), token)
            .fetch()
            .await;
        reply.expect(202);
        reply.must_header("location").to_string()
    }

    fn blob_file(&self, digest: &str) -> PathBuf {
        let hex = digest.strip_prefix("sha256:").unwrap();
        self.data
            .path()
            .join("storage/sha256")
            .join(&hex[..2])
            .join(hex)
    }

    /// Everything in the uploads area, files and directories: a finished or failed
    /// upload must leave neither.
    fn upload_files(&self) -> Vec<PathBuf> {
        match std::fs::read_dir(self.data.path().join("storage/uploads")) {
            Ok(entries) => entries.map(|e| e.unwrap().path()).collect(),
            Err(_) => Vec::new(),
        }
    }

    /// Sends `method path` declaring `declared` body bytes, sends only `partial`, then
    /// closes the write side: a client that died mid-upload. Returns the status the
    /// server answered, if it answered before closing.
    async fn truncated(
        &self,
        method: &str,
        path: &str,
        token: &str,
        declared: usize,
        partial: &[u8],
    ) -> Option<u16> {
        assert!(partial.len() < declared);
        let head = format!(
            "{method} {path} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {token}\r\n\
             Content-Type: {OCTET}\r\nContent-Length: {declared}\r\n\r\n",
            host = self.host
        );
        let port = self.port;
        let partial = partial.to_vec();
        tokio::task::spawn_blocking(move || {
            let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
            stream
                .set_read_timeout(Some(Duration::from_secs(15)))
                .unwrap();
            stream.write_all(head.as_bytes()).unwrap();
            stream.write_all(&partial).unwrap();
            stream.flush().unwrap();
            stream.shutdown(Shutdown::Write).unwrap();
            let mut answer = Vec::new();
            // The answer then the close; a reset after the answer changes nothing.
            let _ = stream.read_to_end(&mut answer);
            let answer = String::from_utf8_lossy(&answer);
            answer
                .strip_prefix("HTTP/1.1 ")
                .and_then(|rest| rest.get(..3))
                .and_then(|code| code.parse().ok())
        })
        .await
        .unwrap()
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        // A failed test must not leave its server running.
        if let Some(server) = self.server.take() {
            let _ = server.terminate();
        }
    }
}

/// 01_pull: manifests by tag and digest, blobs whole and by range, and the errors of
/// what is not there.
#[tokio::test]
async fn pull() {
    pull_workflow(Registry::start().await).await;
}

#[tokio::test]
async fn pull_on_s3() {
    if let Some(s3) = S3Service::start() {
        pull_workflow(Registry::start_on_s3(&s3).await).await;
    }
}

async fn pull_workflow(reg: Registry) {
    let repo = "admin/pull";

    // The API version check: a challenge without a token, 200 with one.
    let ping = reg.anon(Method::GET, "/v2/").fetch().await;
    ping.expect(401);
    assert_eq!(
        ping.must_header("www-authenticate"),
        format!(
            r#"Bearer realm="http://{h}/v2/auth",service="{h}""#,
            h = reg.host
        )
    );
    assert_eq!(
        ping.must_header("docker-distribution-api-version"),
        "registry/2.0"
    );

    let push = reg.user_token(&[&repo_scope(repo, "pull,push")]).await;
    reg.req(Method::GET, "/v2/", &push)
        .fetch()
        .await
        .expect(200);
    let config = serde_json::to_vec(&json!({
        "architecture": "amd64", "os": "linux", "rootfs": {"type": "layers", "diff_ids": []},
    }))
    .unwrap();
    let layer = bytes(1, 5000);
    let config_digest = reg.push_blob(repo, &push, &config).await;
    let layer_digest = reg.push_blob(repo, &push, &layer).await;
    let manifest = image_manifest(
        OCI_MANIFEST,
        descriptor(OCI_CONFIG, &config),
        vec![descriptor(OCI_LAYER, &layer)],
    );
    let digest = sha256(&manifest);
    reg.put_manifest(repo, &push, "v1", OCI_MANIFEST, &manifest)
        .await
        .expect(201);
    // A Docker schema 2 manifest keeps its own media type.
    let docker = image_manifest(
        DOCKER_MANIFEST,
        json!({"mediaType": DOCKER_CONFIG, "digest": config_digest, "size": config.len()}),
        vec![json!({"mediaType": DOCKER_LAYER, "digest": layer_digest, "size": layer.len()})],
    );
    reg.put_manifest(repo, &push, "docker", DOCKER_MANIFEST, &docker)
        .await
        .expect(201);

    // Pulls need only a pull token.
    let pull = reg.user_token(&[&repo_scope(repo, "pull")]).await;
    for (reference, media_type, content) in [
        ("v1".to_string(), OCI_MANIFEST, &manifest),
        (digest.clone(), OCI_MANIFEST, &manifest),
        ("docker".to_string(), DOCKER_MANIFEST, &docker),
        (sha256(&docker), DOCKER_MANIFEST, &docker),
    ] {
        let path = format!("/v2/{repo}/manifests/{reference}");
        let accept = format!("{OCI_MANIFEST}, {OCI_INDEX}, {DOCKER_MANIFEST}");
        let head = reg
            .req(Method::HEAD, &path, &pull)
            .header("accept", &accept)
            .fetch()
            .await;
        head.expect(200);
        assert_eq!(head.must_header("docker-content-digest"), sha256(content));
        assert_eq!(head.must_header("content-type"), media_type);
        // Content-Length of HEAD: see `head_content_length`.
        assert!(head.body.is_empty());
        let get = reg
            .req(Method::GET, &path, &pull)
            .header("accept", &accept)
            .fetch()
            .await;
        get.expect(200);
        assert_eq!(get.must_header("docker-content-digest"), sha256(content));
        assert_eq!(get.must_header("content-type"), media_type);
        assert_eq!(&get.body, content, "the bytes exactly as pushed");
    }

    // Blobs, whole and in part.
    let blob_path = format!("/v2/{repo}/blobs/{layer_digest}");
    let head = reg.req(Method::HEAD, &blob_path, &pull).fetch().await;
    head.expect(200);
    assert_eq!(head.must_header("docker-content-digest"), layer_digest);
    assert!(head.body.is_empty());
    let get = reg.req(Method::GET, &blob_path, &pull).fetch().await;
    get.expect(200);
    assert_eq!(get.must_header("docker-content-digest"), layer_digest);
    assert_eq!(get.must_header("content-length"), "5000");
    assert_eq!(get.body, layer);
    let config_blob = reg
        .req(
            Method::GET,
            &format!("/v2/{repo}/blobs/{config_digest}"),
            &pull,
        )
        .fetch()
        .await;
    assert_eq!(config_blob.expect(200).body, config);
    for (range, content_range, slice) in [
        ("bytes=100-199", "bytes 100-199/5000", 100..200),
        ("bytes=0-0", "bytes 0-0/5000", 0..1),
        ("bytes=4990-", "bytes 4990-4999/5000", 4990..5000),
        ("bytes=4990-9999", "bytes 4990-4999/5000", 4990..5000),
    ] {
        let part = reg
            .req(Method::GET, &blob_path, &pull)
            .header("range", range)
            .fetch()
            .await;
        part.expect(206);
        assert_eq!(part.must_header("content-range"), content_range);
        assert_eq!(part.must_header("content-length"), slice.len().to_string());
        assert_eq!(part.body, layer[slice]);
    }
    reg.req(Method::GET, &blob_path, &pull)
        .header("range", "bytes=6000-7000")
        .fetch()
        .await
        .expect(416);

    // What is not there.
    let missing = sha256(b"never pushed");
    for reference in ["nope", missing.as_str()] {
        let path = format!("/v2/{repo}/manifests/{reference}");
        reg.req(Method::GET, &path, &pull)
            .fetch()
            .await
            .expect_error(404, "MANIFEST_UNKNOWN");
        let head = reg.req(Method::HEAD, &path, &pull).fetch().await;
        head.expect(404);
        assert!(head.body.is_empty());
    }
    let path = format!("/v2/{repo}/blobs/{missing}");
    reg.req(Method::GET, &path, &pull)
        .fetch()
        .await
        .expect_error(404, "BLOB_UNKNOWN");
    reg.req(Method::HEAD, &path, &pull)
        .fetch()
        .await
        .expect(404);

    // A private repository: anonymous pulls get the challenge naming the scope to ask
    // for, and so does a repository that does not exist (existence is not revealed).
    reg.anon(Method::GET, &format!("/v2/{repo}/manifests/v1"))
        .fetch()
        .await
        .expect_challenge(&reg, &repo_scope(repo, "pull"));
    let ghost = reg.user_token(&[&repo_scope("admin/ghost", "pull")]).await;
    reg.req(Method::GET, "/v2/admin/ghost/manifests/v1", &ghost)
        .fetch()
        .await
        .expect_challenge(&reg, &repo_scope("admin/ghost", "pull"));
    reg.finish();
}

/// 01_pull, HEAD: the spec requires the Content-Length of what a GET would return, so
/// that clients can learn a manifest's or blob's size without fetching it.
#[tokio::test]
async fn head_content_length() {
    let reg = Registry::start().await;
    let repo = "admin/head";
    let tok = reg.user_token(&[&repo_scope(repo, "pull,push")]).await;
    let manifest = reg.push_image(repo, &tok, "v1", 2).await;
    let layer = bytes(2, 1002);
    let blob = format!("/v2/{repo}/blobs/{}", sha256(&layer));
    let mut wrong = Vec::new();
    for (path, range, length) in [
        (format!("/v2/{repo}/manifests/v1"), None, manifest.len()),
        (
            format!("/v2/{repo}/manifests/{}", sha256(&manifest)),
            None,
            manifest.len(),
        ),
        (blob.clone(), None, layer.len()),
        (blob, Some("bytes=0-9"), 10),
    ] {
        let mut req = reg.req(Method::HEAD, &path, &tok);
        if let Some(range) = range {
            req = req.header("range", range);
        }
        let head = req.fetch().await;
        assert!(head.status == 200 || head.status == 206, "{head:?}");
        let got = head.header("content-length").unwrap_or("none").to_string();
        if got != length.to_string() {
            wrong.push(format!(
                "HEAD {path} {range:?}: Content-Length {got}, not {length}"
            ));
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
    reg.finish();
}

/// Upload status: "The response to an active upload `<location>` MUST be a `204 No
/// Content` response code, and MUST have the following headers: `Location`, `Range`".
#[tokio::test]
async fn upload_status_has_location() {
    let reg = Registry::start().await;
    let repo = "admin/status";
    let tok = reg.user_token(&[&repo_scope(repo, "pull,push")]).await;
    let location = reg.start_upload(repo, &tok).await;
    reg.req(Method::PATCH, &location, &tok)
        .header("content-type", OCTET)
        .header("content-range", "0-99")
        .body(bytes(3, 100))
        .fetch()
        .await
        .expect(202);
    let status = reg.req(Method::GET, &location, &tok).fetch().await;
    status.expect(204);
    assert_eq!(status.must_header("range"), "0-99");
    assert_eq!(status.must_header("location"), location);
    reg.finish();
}

/// On S3, as in Quay, a blob's `GET` is a 302 to a URL signed for a minute, from
/// which the client reads the bytes (or a range of them) without credentials; `HEAD`
/// and every refusal are answered as anywhere else. The S3 keys come from the
/// environment (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`), not the configuration.
#[tokio::test]
async fn blob_downloads_redirect_to_s3() {
    let Some(s3) = S3Service::start() else {
        return;
    };
    // The keys from the environment, as boto's default chain finds them.
    let mut params = s3.bucket("registry", "/quay");
    let keys = params.as_object_mut().unwrap();
    let access = keys.remove("s3_access_key").unwrap();
    let secret = keys.remove("s3_secret_key").unwrap();
    let location = json!({"default": ["S3Storage", params]}).to_string();
    let reg = Registry::start_with(&[
        ("QUAY_DISTRIBUTED_STORAGE_CONFIG", &location),
        ("QUAY_DISTRIBUTED_STORAGE_PREFERENCE", "[default]"),
        ("AWS_ACCESS_KEY_ID", access.as_str().unwrap()),
        ("AWS_SECRET_ACCESS_KEY", secret.as_str().unwrap()),
    ])
    .await;
    let repo = "admin/direct";
    let tok = reg.user_token(&[&repo_scope(repo, "pull,push")]).await;
    let content = bytes(7, 300_000);
    let digest = reg.push_blob(repo, &tok, &content).await;
    let path = format!("/v2/{repo}/blobs/{digest}");

    let redirect = reg.req(Method::GET, &path, &tok).fetch().await;
    redirect.expect(302);
    assert_eq!(redirect.must_header("docker-content-digest"), digest);
    let location = redirect.must_header("location");
    assert!(
        location.contains(&format!("/quay/sha256/{}/{}", &digest[7..9], &digest[7..]))
            && location.contains("X-Amz-Expires=60"),
        "{location}"
    );
    let direct = reg.http.get(location).fetch().await;
    direct.expect(200);
    assert_eq!(direct.body, content);
    let part = reg
        .http
        .get(location)
        .header("range", "bytes=10-19")
        .fetch()
        .await;
    part.expect(206);
    assert_eq!(part.body, content[10..20]);

    let head = reg.req(Method::HEAD, &path, &tok).fetch().await;
    head.expect(200);
    assert_eq!(
        head.must_header("content-length"),
        content.len().to_string()
    );
    let unknown = format!("/v2/{repo}/blobs/{}", sha256(b"never pushed"));
    reg.req(Method::GET, &unknown, &tok)
        .fetch()
        .await
        .expect_error(404, "BLOB_UNKNOWN");
    reg.anon(Method::GET, &path)
        .fetch()
        .await
        .expect_challenge(&reg, &repo_scope(repo, "pull"));
    reg.finish();
}

/// 02_push: uploads of every kind, mounts, manifests by tag and digest, artifacts with
/// a subject, and an index.
#[tokio::test]
async fn push() {
    push_workflow(Registry::start().await).await;
}

#[tokio::test]
async fn push_on_s3() {
    if let Some(s3) = S3Service::start() {
        push_workflow(Registry::start_on_s3(&s3).await).await;
    }
}

async fn push_workflow(reg: Registry) {
    let repo = "admin/push";
    let tok = reg.user_token(&[&repo_scope(repo, "pull,push")]).await;
    let get_blob = |digest: String| {
        reg.req(Method::GET, &format!("/v2/{repo}/blobs/{digest}"), &tok)
            .fetch()
    };

    // POST then PUT with the whole body.
    let blob_a = bytes(10, 3000);
    let digest_a = sha256(&blob_a);
    let start = reg
        .req(Method::POST, &format!("/v2/{repo}/blobs/uploads/"), &tok)
        .fetch()
        .await;
    start.expect(202);
    let location = start.must_header("location").to_string();
    let uuid = start.must_header("docker-upload-uuid");
    assert!(
        location.ends_with(&format!("/blobs/uploads/{uuid}")),
        "{start:?}"
    );
    let put = reg
        .req(
            Method::PUT,
            &with_query(&location, &format!("digest={digest_a}")),
            &tok,
        )
        .header("content-type", OCTET)
        .body(blob_a.clone())
        .fetch()
        .await;
    put.expect(201);
    assert_eq!(
        put.must_header("location"),
        format!("/v2/{repo}/blobs/{digest_a}")
    );
    assert_eq!(put.must_header("docker-content-digest"), digest_a);
    assert_eq!(get_blob(digest_a.clone()).await.expect(200).body, blob_a);

    // Monolithic: POST ?digest= with the body.
    let blob_b = bytes(11, 2000);
    let digest_b = sha256(&blob_b);
    let post = reg
        .req(
            Method::POST,
            &format!("/v2/{repo}/blobs/uploads/?digest={digest_b}"),
            &tok,
        )
        .header("content-type", OCTET)
        .body(blob_b.clone())
        .fetch()
        .await;
    post.expect(201);
    assert_eq!(
        post.must_header("location"),
        format!("/v2/{repo}/blobs/{digest_b}")
    );
    assert_eq!(post.must_header("docker-content-digest"), digest_b);
    assert_eq!(get_blob(digest_b.clone()).await.expect(200).body, blob_b);

    // Chunked: PATCHes with Content-Range, progress in between, an out-of-order chunk
    // refused; finished by a PUT carrying the last chunk, or by an empty PUT.
    for last_chunk_in_put in [true, false] {
        let blob = bytes(if last_chunk_in_put { 12 } else { 13 }, 3500);
        let digest = sha256(&blob);
        let chunks = [&blob[..1000], &blob[1000..2500], &blob[2500..]];
        let mut location = reg.start_upload(repo, &tok).await;
        let mut offset = 0;
        let patched = if last_chunk_in_put { 2 } else { 3 };
        for chunk in &chunks[..patched] {
            let end = offset + chunk.len();
            let patch = reg
                .req(Method::PATCH, &location, &tok)
                .header("content-type", OCTET)
                .header("content-range", format!("{offset}-{}", end - 1))
                .body(chunk.to_vec())
                .fetch()
                .await;
            patch.expect(202);
            assert_eq!(patch.must_header("range"), format!("0-{}", end - 1));
            let uuid = patch.must_header("docker-upload-uuid");
            location = patch.must_header("location").to_string();
            assert!(location.ends_with(uuid), "{patch:?}");
            offset = end;
            let status = reg.req(Method::GET, &location, &tok).fetch().await;
            status.expect(204);
            assert_eq!(status.must_header("range"), format!("0-{}", end - 1));
            assert_eq!(status.must_header("docker-upload-uuid"), uuid);
        }
        // A chunk that does not continue where the upload stands.
        reg.req(Method::PATCH, &location, &tok)
            .header("content-type", OCTET)
            .header("content-range", format!("{}-{}", offset + 10, offset + 19))
            .body(vec![0u8; 10])
            .fetch()
            .await
            .expect(416);
        let status = reg.req(Method::GET, &location, &tok).fetch().await;
        assert_eq!(
            status.expect(204).must_header("range"),
            format!("0-{}", offset - 1)
        );
        let mut finish = reg
            .req(
                Method::PUT,
                &with_query(&location, &format!("digest={digest}")),
                &tok,
            )
            .header("content-type", OCTET);
        if last_chunk_in_put {
            finish = finish
                .header("content-range", format!("{offset}-{}", blob.len() - 1))
                .body(chunks[2].to_vec());
        }
        let put = finish.fetch().await;
        put.expect(201);
        assert_eq!(
            put.must_header("location"),
            format!("/v2/{repo}/blobs/{digest}")
        );
        assert_eq!(put.must_header("docker-content-digest"), digest);
        assert_eq!(get_blob(digest.clone()).await.expect(200).body, blob);
        reg.req(Method::GET, &location, &tok)
            .fetch()
            .await
            .expect_error(404, "BLOB_UPLOAD_UNKNOWN");
    }

    // The empty blob, which some images have as a layer.
    let empty_digest = reg.push_blob(repo, &tok, b"").await;
    assert_eq!(empty_digest, sha256(b""));
    let empty = get_blob(empty_digest.clone()).await;
    assert!(empty.expect(200).body.is_empty());
    assert_eq!(empty.must_header("content-length"), "0");

    // A mount from a repository the token may pull.
    let target = "admin/mounted";
    let mount_tok = reg
        .user_token(&[&repo_scope(target, "pull,push"), &repo_scope(repo, "pull")])
        .await;
    let mount = reg
        .req(
            Method::POST,
            &format!("/v2/{target}/blobs/uploads/?mount={digest_a}&from={repo}"),
            &mount_tok,
        )
        .fetch()
        .await;
    mount.expect(201);
    assert_eq!(
        mount.must_header("location"),
        format!("/v2/{target}/blobs/{digest_a}")
    );
    assert_eq!(mount.must_header("docker-content-digest"), digest_a);
    let mounted = reg
        .req(
            Method::GET,
            &format!("/v2/{target}/blobs/{digest_a}"),
            &mount_tok,
        )
        .fetch()
        .await;
    assert_eq!(mounted.expect(200).body, blob_a);
    // A digest the source does not have: a plain upload session instead.
    let unknown = sha256(b"not in the source");
    let reply = reg
        .req(
            Method::POST,
            &format!("/v2/{target}/blobs/uploads/?mount={unknown}&from={repo}"),
            &mount_tok,
        )
        .fetch()
        .await;
    reply.expect(202);
    reply.must_header("location");
    reply.must_header("docker-upload-uuid");
    // Without `from` the registry may find the blob itself (201) or not (202).
    let reply = reg
        .req(
            Method::POST,
            &format!("/v2/{target}/blobs/uploads/?mount={digest_b}"),
            &mount_tok,
        )
        .fetch()
        .await;
    assert!(matches!(reply.status, 201 | 202), "{reply:?}");
    reply.must_header("location");

    // A robot that may write one repository and not read the source: its mount is a
    // fresh upload session, which works as any other, and the blob did not leak.
    reg.create_repo("robot-target").await;
    let robot = reg.robot("pusher", "write", &["admin/robot-target"]).await;
    let robot_tok = reg
        .token(
            "admin+pusher",
            &robot,
            &[
                &repo_scope("admin/robot-target", "pull,push"),
                &repo_scope(repo, "pull"),
            ],
        )
        .await;
    let refused = reg
        .req(
            Method::POST,
            &format!("/v2/admin/robot-target/blobs/uploads/?mount={digest_a}&from={repo}"),
            &robot_tok,
        )
        .fetch()
        .await;
    refused.expect(202);
    refused.must_header("docker-upload-uuid");
    let robot_blob = format!("/v2/admin/robot-target/blobs/{digest_a}");
    reg.req(Method::HEAD, &robot_blob, &robot_tok)
        .fetch()
        .await
        .expect(404);
    reg.req(
        Method::PUT,
        &with_query(
            refused.must_header("location"),
            &format!("digest={digest_a}"),
        ),
        &robot_tok,
    )
    .header("content-type", OCTET)
    .body(blob_a.clone())
    .fetch()
    .await
    .expect(201);
    reg.req(Method::HEAD, &robot_blob, &robot_tok)
        .fetch()
        .await
        .expect(200);

    // Manifests by tag and by digest.
    let config = serde_json::to_vec(&json!({"architecture": "amd64", "os": "linux"})).unwrap();
    reg.push_blob(repo, &tok, &config).await;
    let manifest = image_manifest(
        OCI_MANIFEST,
        descriptor(OCI_CONFIG, &config),
        vec![
            descriptor(OCI_LAYER, &blob_a),
            descriptor(OCI_LAYER, &blob_b),
        ],
    );
    let digest = sha256(&manifest);
    let by_tag = reg
        .put_manifest(repo, &tok, "v1", OCI_MANIFEST, &manifest)
        .await;
    by_tag.expect(201);
    assert_eq!(
        by_tag.must_header("location"),
        format!("/v2/{repo}/manifests/{digest}")
    );
    assert_eq!(by_tag.must_header("docker-content-digest"), digest);
    let pulled = reg
        .req(Method::GET, &format!("/v2/{repo}/manifests/v1"), &tok)
        .fetch()
        .await;
    assert_eq!(pulled.expect(200).body, manifest);

    let other = image_manifest(
        OCI_MANIFEST,
        descriptor(OCI_CONFIG, &config),
        vec![descriptor(OCI_LAYER, &blob_b)],
    );
    let other_digest = sha256(&other);
    let by_digest = reg
        .put_manifest(repo, &tok, &other_digest, OCI_MANIFEST, &other)
        .await;
    by_digest.expect(201);
    assert_eq!(
        by_digest.must_header("location"),
        format!("/v2/{repo}/manifests/{other_digest}")
    );
    assert_eq!(by_digest.must_header("docker-content-digest"), other_digest);
    let pulled = reg
        .req(
            Method::GET,
            &format!("/v2/{repo}/manifests/{other_digest}"),
            &tok,
        )
        .fetch()
        .await;
    assert_eq!(pulled.expect(200).body, other);
    // Parameters of the Content-Type are ignored, as the spec asks.
    reg.put_manifest(
        repo,
        &tok,
        "with-params",
        &format!("{OCI_MANIFEST}; charset=utf-8"),
        &other,
    )
    .await
    .expect(201);
    // The digest in the URL must be the body's.
    reg.put_manifest(repo, &tok, &digest_a, OCI_MANIFEST, &other)
        .await
        .expect_error(400, "DIGEST_INVALID");

    // A layer the repository does not have.
    let absent = bytes(14, 100);
    let dangling = image_manifest(
        OCI_MANIFEST,
        descriptor(OCI_CONFIG, &config),
        vec![descriptor(OCI_LAYER, &absent)],
    );
    let reply = reg
        .put_manifest(repo, &tok, "dangling", OCI_MANIFEST, &dangling)
        .await;
    reply.expect_error(400, "MANIFEST_BLOB_UNKNOWN");
    reg.req(Method::GET, &format!("/v2/{repo}/manifests/dangling"), &tok)
        .fetch()
        .await
        .expect_error(404, "MANIFEST_UNKNOWN");

    // An artifact about the image: pushed by digest, answered with OCI-Subject.
    let empty_digest = reg.push_blob(repo, &tok, b"{}").await;
    assert_eq!(empty_digest, EMPTY_JSON_DIGEST);
    let signature = bytes(15, 300);
    reg.push_blob(repo, &tok, &signature).await;
    let artifact = serde_json::to_vec(&json!({
        "schemaVersion": 2, "mediaType": OCI_MANIFEST,
        "artifactType": "application/vnd.example.signature",
        "config": {"mediaType": OCI_EMPTY, "digest": EMPTY_JSON_DIGEST, "size": 2},
        "layers": [descriptor("application/vnd.example.signature.v1", &signature)],
        "subject": {"mediaType": OCI_MANIFEST, "digest": digest, "size": manifest.len()},
    }))
    .unwrap();
    let artifact_digest = sha256(&artifact);
    let reply = reg
        .put_manifest(repo, &tok, &artifact_digest, OCI_MANIFEST, &artifact)
        .await;
    reply.expect(201);
    assert_eq!(reply.must_header("oci-subject"), digest);
    assert_eq!(reply.must_header("docker-content-digest"), artifact_digest);

    // An index of two platforms' images pushed by digest.
    let mut children = Vec::new();
    for (arch, seed) in [("amd64", 16), ("arm64", 17)] {
        let config = serde_json::to_vec(&json!({"architecture": arch, "os": "linux"})).unwrap();
        let layer = bytes(seed, 700);
        reg.push_blob(repo, &tok, &config).await;
        reg.push_blob(repo, &tok, &layer).await;
        let child = image_manifest(
            OCI_MANIFEST,
            descriptor(OCI_CONFIG, &config),
            vec![descriptor(OCI_LAYER, &layer)],
        );
        reg.put_manifest(repo, &tok, &sha256(&child), OCI_MANIFEST, &child)
            .await
            .expect(201);
        let mut d = descriptor(OCI_MANIFEST, &child);
        d["platform"] = json!({"architecture": arch, "os": "linux"});
        children.push((d, child));
    }
    let index = serde_json::to_vec(&json!({
        "schemaVersion": 2, "mediaType": OCI_INDEX,
        "manifests": children.iter().map(|(d, _)| d.clone()).collect::<Vec<_>>(),
    }))
    .unwrap();
    let index_digest = sha256(&index);
    let reply = reg
        .put_manifest(repo, &tok, "multi", OCI_INDEX, &index)
        .await;
    reply.expect(201);
    assert_eq!(reply.must_header("docker-content-digest"), index_digest);
    let pulled = reg
        .req(Method::GET, &format!("/v2/{repo}/manifests/multi"), &tok)
        .header("accept", OCI_INDEX)
        .fetch()
        .await;
    pulled.expect(200);
    assert_eq!(pulled.must_header("content-type"), OCI_INDEX);
    assert_eq!(pulled.must_header("docker-content-digest"), index_digest);
    assert_eq!(pulled.body, index);
    for (d, child) in &children {
        let path = format!("/v2/{repo}/manifests/{}", d["digest"].as_str().unwrap());
        let reply = reg.req(Method::GET, &path, &tok).fetch().await;
        assert_eq!(&reply.expect(200).body, child);
    }
    reg.finish();
}

/// 03_discovery: tags in lexical order with `n`/`last` pages and `Link`, referrers with
/// and without a filter, and the catalog of what the token's user may read.
#[tokio::test]
async fn content_discovery() {
    content_discovery_workflow(Registry::start().await).await;
}

#[tokio::test]
async fn content_discovery_on_s3() {
    if let Some(s3) = S3Service::start() {
        content_discovery_workflow(Registry::start_on_s3(&s3).await).await;
    }
}

async fn content_discovery_workflow(reg: Registry) {
    // Tags, pushed in no particular order. The spec allows case-insensitive or
    // "ASCIIbetical" order; ours is the latter (byte order), which mixed case and
    // punctuation pin down.
    let repo = "admin/tags";
    let tok = reg.user_token(&[&repo_scope(repo, "pull,push")]).await;
    let manifest = reg.push_image(repo, &tok, "latest", 20).await;
    let pushed = [
        "v2", "v10", "Zeta", "alpha", "1.0", "_under", "beta-1", "beta.2", "B",
    ];
    for tag in pushed {
        reg.put_manifest(repo, &tok, tag, OCI_MANIFEST, &manifest)
            .await
            .expect(201);
    }
    let mut expected: Vec<&str> = pushed.to_vec();
    expected.push("latest");
    expected.sort_unstable();
    assert_eq!(
        expected,
        ["1.0", "B", "Zeta", "_under", "alpha", "beta-1", "beta.2", "latest", "v10", "v2"]
    );
    let list = reg
        .req(Method::GET, &format!("/v2/{repo}/tags/list"), &tok)
        .fetch()
        .await;
    list.expect(200);
    assert!(list.header("link").is_none(), "{list:?}");
    assert_eq!(list.json(), json!({"name": repo, "tags": expected}));

    // Pages of `n`, each naming the next in `Link`, the last with none.
    let mut next = Some(format!("/v2/{repo}/tags/list?n=3"));
    let mut paged = Vec::new();
    let mut pages = 0;
    while let Some(path) = next.take() {
        let page = reg.req(Method::GET, &path, &tok).fetch().await;
        page.expect(200);
        let tags: Vec<String> = serde_json::from_value(page.json()["tags"].clone()).unwrap();
        assert!(tags.len() <= 3, "{page:?}");
        if let Some(link) = page.header("link") {
            let target = link
                .strip_prefix('<')
                .and_then(|l| l.strip_suffix(">; rel=\"next\""))
                .unwrap_or_else(|| panic!("a Link to the next page: {link}"));
            assert_eq!(
                target,
                format!("/v2/{repo}/tags/list?n=3&last={}", tags.last().unwrap())
            );
            next = Some(target.to_string());
        }
        paged.extend(tags);
        pages += 1;
    }
    assert_eq!(paged, expected);
    assert_eq!(pages, 4);
    // `last` alone and with `n`.
    let after = reg
        .req(
            Method::GET,
            &format!("/v2/{repo}/tags/list?last=beta-1"),
            &tok,
        )
        .fetch()
        .await;
    assert_eq!(
        after.expect(200).json()["tags"],
        json!(["beta.2", "latest", "v10", "v2"])
    );
    let after = reg
        .req(
            Method::GET,
            &format!("/v2/{repo}/tags/list?n=2&last=Zeta"),
            &tok,
        )
        .fetch()
        .await;
    assert_eq!(after.expect(200).json()["tags"], json!(["_under", "alpha"]));
    assert_eq!(
        after.must_header("link"),
        format!("</v2/{repo}/tags/list?n=2&last=alpha>; rel=\"next\"")
    );
    let end = reg
        .req(Method::GET, &format!("/v2/{repo}/tags/list?last=v2"), &tok)
        .fetch()
        .await;
    assert_eq!(end.expect(200).json()["tags"], json!([]));

    // Referrers: two image-manifest artifacts (one typed by `artifactType`, one by its
    // config's media type) and two index artifacts (with and without `artifactType`),
    // all pushed by digest.
    let repo = "admin/refs";
    let tok = reg.user_token(&[&repo_scope(repo, "pull,push")]).await;
    let subject = reg.push_image(repo, &tok, "subject", 21).await;
    let subject_digest = sha256(&subject);
    let subject_descriptor = descriptor(OCI_MANIFEST, &subject);
    reg.push_blob(repo, &tok, b"{}").await;
    let empty = json!({"mediaType": OCI_EMPTY, "digest": EMPTY_JSON_DIGEST, "size": 2});
    const SIGNATURE: &str = "application/vnd.example.signature";
    const SBOM: &str = "application/vnd.example.sbom";
    let signature = bytes(22, 64);
    let sbom_config = serde_json::to_vec(&json!({"sbom": true})).unwrap();
    let sbom = bytes(23, 128);
    for blob in [&signature, &sbom_config, &sbom] {
        reg.push_blob(repo, &tok, blob).await;
    }
    let kind = |k: &str| json!({"org.example.kind": k});
    let sig_artifact = serde_json::to_vec(&json!({
        "schemaVersion": 2, "mediaType": OCI_MANIFEST, "artifactType": SIGNATURE,
        "config": empty, "layers": [descriptor(SIGNATURE, &signature)],
        "subject": subject_descriptor, "annotations": kind("signature"),
    }))
    .unwrap();
    let sbom_artifact = serde_json::to_vec(&json!({
        "schemaVersion": 2, "mediaType": OCI_MANIFEST,
        "config": descriptor(SBOM, &sbom_config), "layers": [descriptor(OCI_LAYER, &sbom)],
        "subject": subject_descriptor, "annotations": kind("sbom"),
    }))
    .unwrap();
    let index_artifact = serde_json::to_vec(&json!({
        "schemaVersion": 2, "mediaType": OCI_INDEX, "artifactType": SIGNATURE,
        "manifests": [], "subject": subject_descriptor, "annotations": kind("index"),
    }))
    .unwrap();
    // An index without artifactType: its descriptor has none either.
    let bare_index = serde_json::to_vec(&json!({
        "schemaVersion": 2, "mediaType": OCI_INDEX,
        "manifests": [], "subject": subject_descriptor, "annotations": kind("bare-index"),
    }))
    .unwrap();
    let artifacts = [
        (&sig_artifact, OCI_MANIFEST, Some(SIGNATURE), "signature"),
        (&sbom_artifact, OCI_MANIFEST, Some(SBOM), "sbom"),
        (&index_artifact, OCI_INDEX, Some(SIGNATURE), "index"),
        (&bare_index, OCI_INDEX, None, "bare-index"),
    ];
    for (content, media_type, _, _) in artifacts {
        let reply = reg
            .put_manifest(repo, &tok, &sha256(content), media_type, content)
            .await;
        reply.expect(201);
        assert_eq!(reply.must_header("oci-subject"), subject_digest);
    }
    // An artifact whose subject is not (yet) in the repository is accepted too.
    let later = sha256(b"a manifest pushed later");
    let orphan = serde_json::to_vec(&json!({
        "schemaVersion": 2, "mediaType": OCI_MANIFEST, "artifactType": SIGNATURE,
        "config": empty, "layers": [descriptor(SIGNATURE, &signature)],
        "subject": {"mediaType": OCI_MANIFEST, "digest": later, "size": 1234},
        "annotations": kind("orphan"),
    }))
    .unwrap();
    let reply = reg
        .put_manifest(repo, &tok, &sha256(&orphan), OCI_MANIFEST, &orphan)
        .await;
    reply.expect(201);
    assert_eq!(reply.must_header("oci-subject"), later);

    let referrers = |digest: String, query: &'static str| {
        reg.req(
            Method::GET,
            &format!("/v2/{repo}/referrers/{digest}{query}"),
            &tok,
        )
        .fetch()
    };
    let descriptors = |reply: &Reply| -> Vec<Value> {
        reply.expect(200);
        assert_eq!(reply.must_header("content-type"), OCI_INDEX);
        let index = reply.json();
        assert_eq!(index["schemaVersion"], 2);
        assert_eq!(index["mediaType"], OCI_INDEX);
        let mut manifests = index["manifests"].as_array().expect("manifests").clone();
        manifests.sort_by_key(|d| d["digest"].as_str().unwrap().to_string());
        manifests
    };
    let expected_descriptors = |only: Option<&str>| -> Vec<Value> {
        let mut all: Vec<Value> = artifacts
            .iter()
            .filter(|(_, _, t, _)| only.is_none_or(|o| *t == Some(o)))
            .map(|(content, media_type, artifact_type, k)| {
                let mut d = json!({
                    "mediaType": media_type, "digest": sha256(content), "size": content.len(),
                    "annotations": kind(k),
                });
                if let Some(t) = artifact_type {
                    d["artifactType"] = json!(t);
                }
                d
            })
            .collect();
        all.sort_by_key(|d| d["digest"].as_str().unwrap().to_string());
        all
    };
    let all = referrers(subject_digest.clone(), "").await;
    assert!(all.header("oci-filters-applied").is_none(), "{all:?}");
    assert_eq!(descriptors(&all), expected_descriptors(None));
    let filtered = referrers(
        subject_digest.clone(),
        "?artifactType=application/vnd.example.signature",
    )
    .await;
    assert_eq!(filtered.must_header("oci-filters-applied"), "artifactType");
    assert_eq!(
        descriptors(&filtered),
        expected_descriptors(Some(SIGNATURE))
    );
    let none = referrers(
        subject_digest.clone(),
        "?artifactType=application/vnd.example.none",
    )
    .await;
    assert_eq!(none.must_header("oci-filters-applied"), "artifactType");
    assert!(descriptors(&none).is_empty());
    // A digest nothing refers to: an empty index, not a 404.
    let nothing = referrers(sha256(b"nothing refers to this"), "").await;
    assert!(descriptors(&nothing).is_empty());
    let orphans = referrers(later, "").await;
    let orphans = descriptors(&orphans);
    assert_eq!(orphans.len(), 1);
    assert_eq!(orphans[0]["digest"], sha256(&orphan));

    // The catalog: what the token's user or robot may read, in pages.
    reg.create_repo("shared").await;
    let robot = reg.robot("reader", "read", &["admin/shared"]).await;
    let catalog_tok = reg.user_token(&["registry:catalog:*"]).await;
    let catalog = reg
        .req(Method::GET, "/v2/_catalog", &catalog_tok)
        .fetch()
        .await;
    catalog.expect(200);
    let mut names: Vec<String> =
        serde_json::from_value(catalog.json()["repositories"].clone()).unwrap();
    let full = names.clone();
    names.sort();
    assert_eq!(names, ["admin/refs", "admin/shared", "admin/tags"]);
    let mut next = Some("/v2/_catalog?n=1".to_string());
    let mut paged = Vec::new();
    while let Some(path) = next.take() {
        let page = reg.req(Method::GET, &path, &catalog_tok).fetch().await;
        page.expect(200);
        let repos: Vec<String> =
            serde_json::from_value(page.json()["repositories"].clone()).unwrap();
        assert_eq!(repos.len(), 1, "{page:?}");
        if let Some(link) = page.header("link") {
            let target = link
                .strip_prefix('<')
                .and_then(|l| l.strip_suffix(">; rel=\"next\""))
                .unwrap_or_else(|| panic!("a Link to the next page: {link}"));
            assert!(target.starts_with("/v2/_catalog?n=1&"), "{link}");
            next = Some(target.to_string());
        }
        paged.extend(repos);
    }
    assert_eq!(
        paged, full,
        "the pages add up to the whole list, in its order"
    );
    let robot_tok = reg
        .token("admin+reader", &robot, &["registry:catalog:*"])
        .await;
    let catalog = reg
        .req(Method::GET, "/v2/_catalog", &robot_tok)
        .fetch()
        .await;
    assert_eq!(
        catalog.expect(200).json(),
        json!({"repositories": ["admin/shared"]})
    );
    // Anonymous callers see nothing: FEATURE_PUBLIC_CATALOG is off by default.
    let catalog = reg.anon(Method::GET, "/v2/_catalog").fetch().await;
    assert_eq!(catalog.expect(200).json(), json!({"repositories": []}));
    reg.finish();
}

/// Tags list: "When `n` is zero, this endpoint MUST return an empty list, and MUST NOT
/// include a `Link` header."
#[tokio::test]
async fn tags_list_n_zero_is_empty() {
    let reg = Registry::start().await;
    let repo = "admin/zero";
    let tok = reg.user_token(&[&repo_scope(repo, "pull,push")]).await;
    let manifest = reg.push_image(repo, &tok, "a", 4).await;
    reg.put_manifest(repo, &tok, "b", OCI_MANIFEST, &manifest)
        .await
        .expect(201);
    let list = reg
        .req(Method::GET, &format!("/v2/{repo}/tags/list?n=0"), &tok)
        .fetch()
        .await;
    list.expect(200);
    assert!(list.header("link").is_none(), "{list:?}");
    assert_eq!(list.json()["tags"], json!([]), "{list:?}");
    reg.finish();
}

/// 04_management: manifests deleted by digest, tags with them; blob deletion refused
/// (Quay's documented behaviour); upload sessions cancelled.
#[tokio::test]
async fn content_management() {
    let reg = Registry::start().await;
    let repo = "admin/manage";
    let tok = reg.user_token(&[&repo_scope(repo, "pull,push")]).await;
    let doomed = reg.push_image(repo, &tok, "doomed", 30).await;
    let digest = sha256(&doomed);
    reg.put_manifest(repo, &tok, "alias", OCI_MANIFEST, &doomed)
        .await
        .expect(201);
    let kept = reg.push_image(repo, &tok, "kept", 31).await;
    let manifest = |reference: &str| format!("/v2/{repo}/manifests/{reference}");

    // A tag is not deleted over the API (Quay deletes by digest only): 405, as the
    // spec allows when tag deletion is not supported, and the tag stays.
    reg.req(Method::DELETE, &manifest("doomed"), &tok)
        .fetch()
        .await
        .expect_error(405, "UNSUPPORTED");
    reg.req(Method::GET, &manifest("doomed"), &tok)
        .fetch()
        .await
        .expect(200);

    let deleted = reg
        .req(Method::DELETE, &manifest(&digest), &tok)
        .fetch()
        .await;
    deleted.expect(202);
    for reference in [digest.as_str(), "doomed", "alias"] {
        // The spec asks for a 404; Quay names a deleted tag TAG_EXPIRED.
        let code = if reference == digest {
            "MANIFEST_UNKNOWN"
        } else {
            "TAG_EXPIRED"
        };
        reg.req(Method::GET, &manifest(reference), &tok)
            .fetch()
            .await
            .expect_error(404, code);
        reg.req(Method::HEAD, &manifest(reference), &tok)
            .fetch()
            .await
            .expect(404);
    }
    let tags = reg
        .req(Method::GET, &format!("/v2/{repo}/tags/list"), &tok)
        .fetch()
        .await;
    assert_eq!(tags.expect(200).json()["tags"], json!(["kept"]));
    reg.req(Method::DELETE, &manifest(&digest), &tok)
        .fetch()
        .await
        .expect_error(404, "MANIFEST_UNKNOWN");
    reg.req(Method::DELETE, &manifest(&sha256(b"never pushed")), &tok)
        .fetch()
        .await
        .expect_error(404, "MANIFEST_UNKNOWN");
    // The other image is untouched.
    let pulled = reg.req(Method::GET, &manifest("kept"), &tok).fetch().await;
    assert_eq!(pulled.expect(200).body, kept);

    // Blobs are not deleted over the API; the blob stays readable.
    let layer = bytes(30, 1030);
    let layer_path = format!("/v2/{repo}/blobs/{}", sha256(&layer));
    reg.req(Method::DELETE, &layer_path, &tok)
        .fetch()
        .await
        .expect_error(405, "UNSUPPORTED");
    let blob = reg.req(Method::GET, &layer_path, &tok).fetch().await;
    assert_eq!(blob.expect(200).body, layer);

    // A cancelled upload is gone, chunks included.
    let location = reg.start_upload(repo, &tok).await;
    reg.req(Method::PATCH, &location, &tok)
        .header("content-type", OCTET)
        .body(bytes(32, 500))
        .fetch()
        .await
        .expect(202);
    assert!(!reg.upload_files().is_empty(), "the chunk is stored");
    reg.req(Method::DELETE, &location, &tok)
        .fetch()
        .await
        .expect(204);
    reg.req(Method::GET, &location, &tok)
        .fetch()
        .await
        .expect_error(404, "BLOB_UPLOAD_UNKNOWN");
    reg.req(Method::PATCH, &location, &tok)
        .header("content-type", OCTET)
        .body(bytes(32, 10))
        .fetch()
        .await
        .expect_error(404, "BLOB_UPLOAD_UNKNOWN");
    reg.req(Method::DELETE, &location, &tok)
        .fetch()
        .await
        .expect_error(404, "BLOB_UPLOAD_UNKNOWN");
    assert_eq!(reg.upload_files(), Vec::<PathBuf>::new());
    reg.finish();
}

/// Bad input: broken and lying uploads leave nothing behind, oversized and unknown
/// manifests are refused with the spec's codes, bad names and foreign tokens are
/// client errors (never 5xx, never an HTML 404).
#[tokio::test]
async fn bad_input() {
    let reg = Registry::start().await;
    let repo = "admin/bad";
    let tok = reg.user_token(&[&repo_scope(repo, "pull,push")]).await;
    let whole = bytes(40, 100_000);
    let whole_digest = sha256(&whole);
    let partial = &whole[..30_000];
    let blob_path = format!("/v2/{repo}/blobs/{whole_digest}");
    let nothing_stored = |what: &str| {
        assert_eq!(reg.upload_files(), Vec::<PathBuf>::new(), "{what}");
        for digest in [&whole_digest, &sha256(partial)] {
            let file = reg.blob_file(digest);
            assert!(!file.exists(), "{what}: {} exists", file.display());
        }
    };

    // A PATCH that dies mid-body: no byte of it counts, no chunk stays.
    let location = reg.start_upload(repo, &tok).await;
    let answered = reg
        .truncated("PATCH", &location, &tok, whole.len(), partial)
        .await;
    // quayd answers once it has given up on the body and cleaned up, so the checks
    // below see the final state.
    assert!(
        answered.is_some_and(|s| (400..500).contains(&s)),
        "{answered:?}"
    );
    let status = reg.req(Method::GET, &location, &tok).fetch().await;
    status.expect(204);
    assert_eq!(status.must_header("range"), "0-0");
    reg.req(Method::HEAD, &blob_path, &tok)
        .fetch()
        .await
        .expect(404);
    nothing_stored("after a truncated PATCH");

    // The same for the PUT that would finish the upload.
    let with_digest = with_query(&location, &format!("digest={whole_digest}"));
    let answered = reg
        .truncated("PUT", &with_digest, &tok, whole.len(), partial)
        .await;
    assert!(
        answered.is_some_and(|s| (400..500).contains(&s)),
        "{answered:?}"
    );
    let status = reg.req(Method::GET, &location, &tok).fetch().await;
    if status.status != 404 {
        assert_eq!(status.expect(204).must_header("range"), "0-0");
    }
    reg.req(Method::HEAD, &blob_path, &tok)
        .fetch()
        .await
        .expect(404);
    nothing_stored("after a truncated PUT");

    // And for a monolithic POST.
    let answered = reg
        .truncated(
            "POST",
            &format!("/v2/{repo}/blobs/uploads/?digest={whole_digest}"),
            &tok,
            whole.len(),
            partial,
        )
        .await;
    assert!(
        answered.is_some_and(|s| (400..500).contains(&s)),
        "{answered:?}"
    );
    reg.req(Method::HEAD, &blob_path, &tok)
        .fetch()
        .await
        .expect(404);
    nothing_stored("after a truncated POST");
    // A monolithic POST too large to be received whole streams to storage instead.
    let large = bytes(42, 3 * 1024 * 1024);
    let large_digest = sha256(&large);
    let answered = reg
        .truncated(
            "POST",
            &format!("/v2/{repo}/blobs/uploads/?digest={large_digest}"),
            &tok,
            large.len(),
            &large[..2 * 1024 * 1024],
        )
        .await;
    assert!(
        answered.is_some_and(|s| (400..500).contains(&s)),
        "{answered:?}"
    );
    assert!(!reg.blob_file(&large_digest).exists());
    nothing_stored("after a truncated large POST");

    // The upload interrupted twice still takes the whole blob: nothing partial stuck.
    if status.status == 204 {
        reg.req(Method::PUT, &with_digest, &tok)
            .header("content-type", OCTET)
            .body(whole.clone())
            .fetch()
            .await
            .expect(201);
        let blob = reg.req(Method::GET, &blob_path, &tok).fetch().await;
        assert_eq!(blob.expect(200).body, whole);
        assert_eq!(reg.upload_files(), Vec::<PathBuf>::new());
    }

    // A digest that does not match the bytes: refused, nothing stored, upload gone.
    let content = bytes(41, 4000);
    let claimed = sha256(b"something else");
    let location = reg.start_upload(repo, &tok).await;
    reg.req(
        Method::PUT,
        &with_query(&location, &format!("digest={claimed}")),
        &tok,
    )
    .header("content-type", OCTET)
    .body(content.clone())
    .fetch()
    .await
    .expect_error(400, "DIGEST_INVALID");
    reg.req(
        Method::POST,
        &format!("/v2/{repo}/blobs/uploads/?digest={claimed}"),
        &tok,
    )
    .header("content-type", OCTET)
    .body(content.clone())
    .fetch()
    .await
    .expect_error(400, "DIGEST_INVALID");
    reg.req(
        Method::POST,
        &format!("/v2/{repo}/blobs/uploads/?digest={claimed}"),
        &tok,
    )
    .header("content-type", OCTET)
    .body(large.clone())
    .fetch()
    .await
    .expect_error(400, "DIGEST_INVALID");
    for digest in [&claimed, &sha256(&content), &large_digest] {
        reg.req(Method::HEAD, &format!("/v2/{repo}/blobs/{digest}"), &tok)
            .fetch()
            .await
            .expect(404);
        assert!(!reg.blob_file(digest).exists());
    }
    reg.req(Method::GET, &location, &tok)
        .fetch()
        .await
        .expect_error(404, "BLOB_UPLOAD_UNKNOWN");
    assert_eq!(reg.upload_files(), Vec::<PathBuf>::new());
    // Not a digest at all.
    let location = reg.start_upload(repo, &tok).await;
    reg.req(
        Method::PUT,
        &with_query(&location, "digest=sha256:xyz"),
        &tok,
    )
    .header("content-type", OCTET)
    .body(content.clone())
    .fetch()
    .await
    .expect_error(400, "DIGEST_INVALID");
    reg.req(Method::GET, &format!("/v2/{repo}/blobs/md5:abc"), &tok)
        .fetch()
        .await
        .expect_error(400, "DIGEST_INVALID");
    // The referrers API must answer 400 to a digest of invalid syntax.
    for digest in ["latest", "sha256:xyz"] {
        reg.req(Method::GET, &format!("/v2/{repo}/referrers/{digest}"), &tok)
            .fetch()
            .await
            .expect_error(400, "DIGEST_INVALID");
    }

    // Manifests: over 4 MiB, an unknown media type, not JSON.
    let config = reg.push_blob(repo, &tok, b"{}").await;
    let config = json!({"mediaType": OCI_CONFIG, "digest": config, "size": 2});
    let huge = serde_json::to_vec(&json!({
        "schemaVersion": 2, "mediaType": OCI_MANIFEST, "config": config, "layers": [],
        "annotations": {"padding": "x".repeat(4 * 1024 * 1024)},
    }))
    .unwrap();
    reg.put_manifest(repo, &tok, "huge", OCI_MANIFEST, &huge)
        .await
        .expect_error(413, "SIZE_INVALID");
    const UNKNOWN: &str = "application/vnd.example.unknown.v1+json";
    let unknown = serde_json::to_vec(&json!({
        "schemaVersion": 2, "mediaType": UNKNOWN, "config": config, "layers": [],
    }))
    .unwrap();
    reg.put_manifest(repo, &tok, "unknown", UNKNOWN, &unknown)
        .await
        .expect_error(400, "MANIFEST_INVALID");
    reg.put_manifest(repo, &tok, "garbage", OCI_MANIFEST, b"{not json")
        .await
        .expect_error(400, "MANIFEST_INVALID");
    for reference in ["huge", "unknown", "garbage"] {
        reg.req(
            Method::GET,
            &format!("/v2/{repo}/manifests/{reference}"),
            &tok,
        )
        .fetch()
        .await
        .expect_error(404, "MANIFEST_UNKNOWN");
    }

    // Names that are not repository names: 400 NAME_INVALID (or 401 for one that is
    // valid to Quay but that the token does not cover), in the registry's error body.
    for (method, path) in [
        (Method::GET, "/v2/Admin/UPPER/tags/list"),
        (Method::GET, "/v2/admin/UPPER/manifests/latest"),
        (Method::GET, "/v2/admin/a..b/tags/list"),
        (Method::GET, "/v2/admin/a%20b/tags/list"),
        (Method::GET, "/v2/admin/%C3%A9t%C3%A9/manifests/latest"),
        (Method::GET, "/v2/admin%2Fzzz/tags/list"),
        (Method::GET, "/v2/admin/-lead/blobs/sha256:0"),
        (Method::POST, "/v2/admin/bad%00/blobs/uploads/"),
        (Method::PUT, "/v2/admin/x%3Fy/manifests/latest"),
    ] {
        let reply = reg.req(method.clone(), path, &tok).fetch().await;
        match reply.status {
            400 => {
                reply.expect_error(400, "NAME_INVALID");
            }
            401 => {
                reply.expect_error(401, "UNAUTHORIZED");
                reply.must_header("www-authenticate");
            }
            _ => panic!("{method} {path}: {reply:?}"),
        }
    }
    let long = format!("/v2/admin/{}/tags/list", "a".repeat(300));
    reg.req(Method::GET, &long, &tok)
        .fetch()
        .await
        .expect_error(400, "NAME_INVALID");
    // Asking for a token for such a name is a client error as well.
    for scope in ["repository:Admin/x:pull", "repository:admin/a b:pull"] {
        let reply = reg.token_reply(USER, PASSWORD, &[scope]).await;
        reply.expect(400);
        reply.json()["errors"][0]["code"]
            .as_str()
            .expect("an error code");
    }

    // A token for one repository used on another: 401 naming the other's scope, for
    // a repository that exists and for one that does not.
    let other = "admin/other";
    let other_tok = reg.user_token(&[&repo_scope(other, "pull,push")]).await;
    reg.push_image(other, &other_tok, "latest", 42).await;
    for target in [other, "admin/nowhere"] {
        reg.req(Method::GET, &format!("/v2/{target}/tags/list"), &tok)
            .fetch()
            .await
            .expect_challenge(&reg, &repo_scope(target, "pull"));
        reg.req(Method::GET, &format!("/v2/{target}/manifests/latest"), &tok)
            .fetch()
            .await
            .expect_challenge(&reg, &repo_scope(target, "pull"));
        reg.req(Method::POST, &format!("/v2/{target}/blobs/uploads/"), &tok)
            .fetch()
            .await
            .expect_challenge(&reg, &repo_scope(target, "pull,push"));
        reg.put_manifest(target, &tok, "latest", OCI_MANIFEST, &unknown)
            .await
            .expect_challenge(&reg, &repo_scope(target, "pull,push"));
    }
    // A pull token cannot push.
    let pull_only = reg.user_token(&[&repo_scope(other, "pull")]).await;
    reg.req(
        Method::POST,
        &format!("/v2/{other}/blobs/uploads/"),
        &pull_only,
    )
    .fetch()
    .await
    .expect_challenge(&reg, &repo_scope(other, "pull,push"));
    reg.req(Method::GET, &format!("/v2/{repo}/tags/list"), "not-a-jwt")
        .fetch()
        .await
        .expect_challenge(&reg, &repo_scope(repo, "pull"));

    // Odd but harmless parameters.
    for path in [
        format!("/v2/{repo}/tags/list?n=abc"),
        format!("/v2/{repo}/tags/list?n=-1"),
        format!("/v2/{repo}/tags/list?n=99999999999999999999999"),
    ] {
        reg.req(Method::GET, &path, &tok).fetch().await.expect(200);
    }
    let catalog_tok = reg.user_token(&["registry:catalog:*"]).await;
    reg.req(Method::GET, "/v2/_catalog?next_page=abc", &catalog_tok)
        .fetch()
        .await
        .expect_error(400, "INVALID_REQUEST");
    reg.req(
        Method::GET,
        &format!("/v2/{repo}/blobs/uploads/not-an-upload"),
        &tok,
    )
    .fetch()
    .await
    .expect_error(404, "BLOB_UPLOAD_UNKNOWN");

    // Last: a failed login may slow down the next ones.
    let refused = reg
        .token_reply(USER, "wrong", &[&repo_scope(repo, "pull")])
        .await;
    refused.expect_error(401, "UNAUTHORIZED");
    refused.must_header("www-authenticate");
    reg.finish();
}
