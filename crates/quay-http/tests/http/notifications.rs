//! Repository notifications: the endpoints (views, statuses, Quay's messages, who may
//! call them, audit entries) and deliveries by the worker to real receivers on
//! loopback: a webhook and a Slack callback (HTTP), e-mail (SMTP), and Quay
//! notifications in `/api/v1/user/notifications`; a push fires `repo_push`, failures
//! count up to Quay's limit and are reset over the API.

use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::{Arc, Mutex};

use crate::common::*;
use actix_web::http::{Method, StatusCode};
use chrono::Utc;
use quay_core::config::Config;
use quay_storage::Digest;
use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

const DOCKER: &str = "application/vnd.docker.distribution.manifest.v2+json";
const HOUR_MS: i64 = 3_600_000;

fn config() -> Config {
    Config {
        webhook_allow_localhost: true,
        ..Config::default()
    }
}

/// An HTTP receiver on 127.0.0.1: keeps every request body and answers `status`.
struct Receiver {
    url: String,
    bodies: Arc<Mutex<Vec<Value>>>,
    status: Arc<AtomicU16>,
}

impl Receiver {
    async fn start() -> Receiver {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        let bodies = Arc::new(Mutex::new(Vec::new()));
        let status = Arc::new(AtomicU16::new(200));
        let (b, s) = (bodies.clone(), status.clone());
        tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                let (b, s) = (b.clone(), s.clone());
                tokio::spawn(async move {
                    let mut reader = BufReader::new(stream);
                    let mut length = 0usize;
                    let mut content_type = String::new();
                    loop {
                        let mut line = String::new();
                        if reader.read_line(&mut line).await.unwrap_or(0) == 0 {
                            return;
                        }
                        let line = line.trim_end();
                        if line.is_empty() {
                            break;
                        }
                        let lower = line.to_ascii_lowercase();
                        if let Some(v) = lower.strip_prefix("content-length:") {
                            length = v.trim().parse().unwrap_or(0);
                        }
                        if let Some(v) = lower.strip_prefix("content-type:") {
                            content_type = v.trim().to_string();
                        }
                    }
                    let mut body = vec![0; length];
                    reader.read_exact(&mut body).await.unwrap();
                    assert_eq!(content_type, "application/json");
                    b.lock()
                        .unwrap()
                        .push(serde_json::from_slice(&body).unwrap());
                    let code = s.load(Ordering::SeqCst);
                    let reply = format!(
                        "HTTP/1.1 {code} Reply\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                    );
                    let mut stream = reader.into_inner();
                    let _ = stream.write_all(reply.as_bytes()).await;
                    let _ = stream.shutdown().await;
                });
            }
        });
        Receiver {
            url,
            bodies,
            status,
        }
    }

    fn received(&self) -> Vec<Value> {
        self.bodies.lock().unwrap().clone()
    }
}

/// A minimal SMTP server on 127.0.0.1 (EHLO, MAIL, RCPT, DATA, QUIT): keeps each
/// message's envelope and data.
struct SmtpServer {
    port: u16,
    messages: Arc<Mutex<Vec<(String, String, String)>>>,
}

impl SmtpServer {
    async fn start() -> SmtpServer {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let messages = Arc::new(Mutex::new(Vec::new()));
        let m = messages.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let m = m.clone();
                tokio::spawn(async move {
                    let (read, mut write) = stream.into_split();
                    let mut lines = BufReader::new(read);
                    write.write_all(b"220 test ESMTP\r\n").await.unwrap();
                    let (mut from, mut to) = (String::new(), String::new());
                    loop {
                        let mut line = String::new();
                        if lines.read_line(&mut line).await.unwrap_or(0) == 0 {
                            return;
                        }
                        let upper = line.to_ascii_uppercase();
                        let reply: &[u8] = if upper.starts_with("EHLO") || upper.starts_with("HELO")
                        {
                            b"250-test\r\n250 8BITMIME\r\n"
                        } else if upper.starts_with("MAIL FROM:") {
                            from = line[10..].trim().to_string();
                            b"250 OK\r\n"
                        } else if upper.starts_with("RCPT TO:") {
                            to = line[8..].trim().to_string();
                            b"250 OK\r\n"
                        } else if upper.starts_with("DATA") {
                            write.write_all(b"354 go ahead\r\n").await.unwrap();
                            let mut data = String::new();
                            loop {
                                let mut l = String::new();
                                if lines.read_line(&mut l).await.unwrap_or(0) == 0 {
                                    return;
                                }
                                if l == ".\r\n" {
                                    break;
                                }
                                data.push_str(&l);
                            }
                            m.lock().unwrap().push((from.clone(), to.clone(), data));
                            b"250 queued\r\n"
                        } else if upper.starts_with("QUIT") {
                            let _ = write.write_all(b"221 bye\r\n").await;
                            return;
                        } else {
                            b"250 OK\r\n"
                        };
                        write.write_all(reply).await.unwrap();
                    }
                });
            }
        });
        SmtpServer { port, messages }
    }
}

/// `admin` (all scopes) owning the private repository `admin/app`.
struct Setup {
    h: Harness,
    api: String,
}

impl Setup {
    async fn new() -> Setup {
        Self::with_config(config()).await
    }

    async fn with_config(config: Config) -> Setup {
        let h = Harness::with_config(config).await;
        let api = h.initialize("admin").await;
        let r = h
            .post(
                "/api/v1/repository",
                Some(&api),
                json!({"namespace": "admin", "repository": "app", "description": "", "visibility": "private"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        Setup { h, api }
    }

    async fn create(&self, body: Value) -> crate::common::Response {
        self.h
            .post(
                "/api/v1/repository/admin/app/notification/",
                Some(&self.api),
                body,
            )
            .await
    }

    /// A notification on `event` by `method` with `config`; its uuid.
    async fn notification(&self, event: &str, method: &str, config: Value) -> String {
        let r = self
            .create(json!({"event": event, "method": method, "config": config, "eventConfig": {}}))
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        r.body["uuid"].as_str().unwrap().to_string()
    }

    async fn get(&self, uuid: &str) -> Value {
        let r = self
            .h
            .get(
                &format!("/api/v1/repository/admin/app/notification/{uuid}"),
                Some(&self.api),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        r.body
    }

    async fn blob(&self, token: &str, bytes: &[u8]) -> Value {
        let digest = Digest::of(bytes);
        let r = send(
            &self.h,
            Method::POST,
            &format!("/v2/admin/app/blobs/uploads/?digest={digest}"),
            Some(token),
            &[],
            bytes,
        )
        .await;
        assert_eq!(r.status, StatusCode::CREATED);
        json!({"digest": digest.as_str(), "size": bytes.len()})
    }

    /// Pushes an image to `admin/app` by `reference` (a tag or a digest).
    async fn push(&self, tag: Option<&str>) {
        let token = registry_token(
            &self.h,
            "admin",
            "password",
            &["repository:admin/app:pull,push"],
        )
        .await;
        let mut config = self.blob(&token, b"{\"c\": 1}").await;
        config["mediaType"] = json!("application/vnd.docker.container.image.v1+json");
        let mut layer = self.blob(&token, b"layer").await;
        layer["mediaType"] = json!("application/vnd.docker.image.rootfs.diff.tar.gzip");
        let body = serde_json::to_vec(&json!({
            "schemaVersion": 2, "mediaType": DOCKER, "config": config, "layers": [layer],
        }))
        .unwrap();
        let digest = Digest::of(&body).to_string();
        let r = push_manifest(
            &self.h,
            &token,
            "admin/app",
            tag.unwrap_or(&digest),
            DOCKER,
            &body,
        )
        .await;
        assert_eq!(r.status, StatusCode::CREATED);
    }

    async fn deliver(&self) -> quay_notify::DeliveryReport {
        self.h.state.notification_worker.run_once().await.unwrap()
    }
}

#[actix_web::test]
async fn notifications_are_created_listed_shown_and_deleted_with_log_entries() {
    let s = Setup::new().await;
    let r = s
        .create(json!({
            "event": "repo_push",
            "method": "webhook",
            "config": {"url": "https://example.com/hook"},
            "eventConfig": {},
            "title": "CI",
        }))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let uuid = r.body["uuid"].as_str().unwrap().to_string();
    let view = json!({
        "uuid": uuid,
        "title": "CI",
        "event": "repo_push",
        "method": "webhook",
        "config": {"url": "https://example.com/hook"},
        "event_config": {},
        "number_of_failures": 0,
    });
    assert_eq!(r.body, view);
    let keys: Vec<&String> = r.body.as_object().unwrap().keys().collect();
    assert_eq!(
        keys,
        [
            "uuid",
            "title",
            "event",
            "method",
            "config",
            "event_config",
            "number_of_failures"
        ]
    );
    assert_eq!(s.get(&uuid).await, view);
    // No title: null, as Quay.
    let other = s
        .notification(
            "build_success",
            "slack",
            json!({"url": "https://hooks.example/x"}),
        )
        .await;
    assert_eq!(s.get(&other).await["title"], Value::Null);

    let r =
        s.h.get("/api/v1/repository/admin/app/notification/", Some(&s.api))
            .await;
    assert_eq!(r.status, StatusCode::OK);
    let uuids: Vec<&str> = r.body["notifications"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["uuid"].as_str().unwrap())
        .collect();
    assert_eq!(uuids, [uuid.as_str(), other.as_str()]);

    let path = format!("/api/v1/repository/admin/app/notification/{uuid}");
    let r = s.h.delete(&path, Some(&s.api)).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
    let r = s.h.get(&path, Some(&s.api)).await;
    assert_error(&r, 404, "not_found", "Not Found");
    let r = s.h.delete(&path, Some(&s.api)).await;
    assert_error(
        &r,
        400,
        "invalid_request",
        &format!("No repository notification found for: admin, app, {uuid}"),
    );
    let r = s.h.post(&path, Some(&s.api), json!({})).await;
    assert_error(
        &r,
        400,
        "invalid_request",
        &format!("No repository notification found for: admin, app, {uuid}"),
    );
    let r =
        s.h.post(&format!("{path}/test"), Some(&s.api), json!({}))
            .await;
    assert_error(
        &r,
        400,
        "invalid_request",
        &format!("No repository notification found for: admin, app, {uuid}"),
    );

    let ns = s.h.namespace_id("admin").await;
    let kinds = s.h.log_kinds(ns).await;
    assert_eq!(
        kinds
            .iter()
            .filter(|k| k.contains("repo_notification"))
            .collect::<Vec<_>>(),
        [
            "add_repo_notification",
            "add_repo_notification",
            "delete_repo_notification"
        ]
    );
}

#[actix_web::test]
async fn bad_bodies_get_quays_messages() {
    let s = Setup::new().await;
    let base = |method: &str, config: Value| json!({"event": "repo_push", "method": method, "config": config, "eventConfig": {}});
    let cases = [
        (
            json!({"method": "webhook", "config": {}, "eventConfig": {}}),
            "'event' is a required property",
        ),
        (
            json!({"event": "repo_push", "method": "webhook", "config": [], "eventConfig": {}}),
            "[] is not of type 'object'",
        ),
        (
            base("carrier_pigeon", json!({})),
            "Unable to find method: carrier_pigeon",
        ),
        (base("webhook", json!({})), "Missing webhook URL"),
        (
            base("webhook", json!({"url": "ftp://example.com"})),
            "Invalid webhook URL",
        ),
        (base("slack", json!({})), "Missing Slack Callback URL"),
        (base("email", json!({})), "Missing e-mail address"),
        (
            base("email", json!({"email": "not-an-address"})),
            "Invalid e-mail address",
        ),
        (base("quay_notification", json!({})), "Missing target"),
        (
            base(
                "quay_notification",
                json!({"target": {"kind": "user", "name": "ghost"}}),
            ),
            "Unknown user ghost",
        ),
        (
            base(
                "quay_notification",
                json!({"target": {"kind": "team", "name": "owners"}}),
            ),
            "Unknown team owners",
        ),
        (
            base(
                "quay_notification",
                json!({"target": {"kind": "org", "name": "nope"}}),
            ),
            "Unknown organization nope",
        ),
        (
            json!({"event": "repo_pull", "method": "webhook", "config": {"url": "https://example.com"}, "eventConfig": {}}),
            "Unable to find event: repo_pull",
        ),
    ];
    for (body, detail) in cases {
        let r = s.create(body.clone()).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{body}: {}", r.body);
        assert!(
            r.body["detail"].as_str().unwrap().contains(detail),
            "{body}: {}",
            r.body
        );
    }
    let r =
        s.h.call(
            Method::POST,
            "/api/v1/repository/admin/app/notification/",
            Some(&s.api),
            Some("{not json"),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);

    // Webhooks to this machine are refused unless allowed.
    let strict = Setup::with_config(Config::default()).await;
    for url in ["http://localhost:9/x", "http://127.0.0.1:9/x"] {
        let r = strict.create(base("webhook", json!({ "url": url }))).await;
        assert_error(&r, 400, "invalid_request", "Invalid webhook URL");
    }
    let ns = strict.h.namespace_id("admin").await;
    assert!(!strict
        .h
        .log_kinds(ns)
        .await
        .contains(&"add_repo_notification".to_string()));
}

#[actix_web::test]
async fn only_repository_admins_may_call_and_permission_comes_first() {
    let s = Setup::new().await;
    let uuid = s
        .notification(
            "repo_push",
            "webhook",
            json!({"url": "https://example.com"}),
        )
        .await;
    let (_, bob) = s.h.user("bob", ALL_SCOPES).await;
    // A writer is not enough.
    let r =
        s.h.put(
            "/api/v1/repository/admin/app/permissions/user/bob",
            Some(&s.api),
            json!({"role": "write"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let create = json!({"event": "repo_push", "method": "webhook", "config": {"url": "https://example.com"}, "eventConfig": {}});
    for repo in ["admin/app", "admin/missing"] {
        let base = format!("/api/v1/repository/{repo}/notification/");
        let one = format!("{base}{uuid}");
        for (method, path, body) in [
            (Method::GET, base.clone(), None),
            (Method::POST, base.clone(), Some(create.to_string())),
            (Method::GET, one.clone(), None),
            (Method::POST, one.clone(), Some("{}".to_string())),
            (Method::DELETE, one.clone(), None),
            (Method::POST, format!("{one}/test"), Some("{}".to_string())),
        ] {
            let r =
                s.h.call(method.clone(), &path, Some(&bob), body.as_deref())
                    .await;
            assert_eq!(
                r.status,
                StatusCode::FORBIDDEN,
                "{method} {path}: {}",
                r.body
            );
            let r = s.h.call(method.clone(), &path, None, body.as_deref()).await;
            assert_eq!(
                r.status,
                StatusCode::UNAUTHORIZED,
                "{method} {path}: {}",
                r.body
            );
        }
    }
    // A token without repo:admin cannot reach the endpoint even for the owner.
    let admin_id = s.h.namespace_id("admin").await;
    let read = s.h.token(admin_id, "repo:read repo:write").await;
    let r =
        s.h.get("/api/v1/repository/admin/app/notification/", Some(&read))
            .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // The owner sees a missing repository as missing.
    let r =
        s.h.get(
            "/api/v1/repository/admin/missing/notification/",
            Some(&s.api),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    // Admins of the repository may; another repository's uuid is not theirs.
    let r =
        s.h.put(
            "/api/v1/repository/admin/app/permissions/user/bob",
            Some(&s.api),
            json!({"role": "admin"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r =
        s.h.get(
            &format!("/api/v1/repository/admin/app/notification/{uuid}"),
            Some(&bob),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = s
        .h
        .post(
            "/api/v1/repository",
            Some(&bob),
            json!({"namespace": "bob", "repository": "own", "description": "", "visibility": "private"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let r =
        s.h.get(
            &format!("/api/v1/repository/bob/own/notification/{uuid}"),
            Some(&bob),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

#[actix_web::test]
async fn a_push_fires_repo_push_to_a_webhook() {
    let s = Setup::new().await;
    let hook = Receiver::start().await;
    s.notification("repo_push", "webhook", json!({"url": hook.url}))
        .await;
    // Another event's notification is not fired by a push.
    let other = Receiver::start().await;
    s.notification("build_success", "webhook", json!({"url": other.url}))
        .await;
    s.push(Some("v1")).await;
    // A push by digest changes no tag: no event.
    s.push(None).await;
    let report = s.deliver().await;
    assert_eq!(report.delivered, 1, "{report:?}");
    let got = hook.received();
    assert_eq!(
        got,
        [json!({
            "repository": "admin/app",
            "namespace": "admin",
            "name": "app",
            "docker_url": "localhost:8080/admin/app",
            "homepage": "http://localhost:8080/repository/admin/app",
            "updated_tags": ["v1"],
        })]
    );
    assert!(other.received().is_empty());
    // Delivered once only.
    assert_eq!(s.deliver().await, quay_notify::DeliveryReport::default());
}

#[actix_web::test]
async fn failures_count_up_stop_deliveries_and_are_reset() {
    let s = Setup::new().await;
    let hook = Receiver::start().await;
    hook.status.store(500, Ordering::SeqCst);
    let uuid = s
        .notification("repo_push", "webhook", json!({"url": hook.url}))
        .await;
    s.push(Some("v1")).await;
    let worker = &s.h.state.notification_worker;
    let now = Utc::now().timestamp_millis();
    let r = worker.run_at(now).await.unwrap();
    assert_eq!(r.failed, 1);
    assert_eq!(s.get(&uuid).await["number_of_failures"], 1);
    // The retry waits.
    assert_eq!(worker.run_at(now + 1000).await.unwrap().failed, 0);
    assert_eq!(worker.run_at(now + HOUR_MS).await.unwrap().failed, 1);
    assert_eq!(worker.run_at(now + 2 * HOUR_MS).await.unwrap().failed, 1);
    assert_eq!(s.get(&uuid).await["number_of_failures"], 3);
    assert_eq!(hook.received().len(), 3);
    // Three failures: Quay stops sending.
    let r = worker.run_at(now + 3 * HOUR_MS).await.unwrap();
    assert_eq!((r.failed, r.skipped), (0, 1));
    s.push(Some("v2")).await;
    let r = worker.run_at(now + 4 * HOUR_MS).await.unwrap();
    assert_eq!((r.delivered, r.skipped), (0, 1));
    assert_eq!(hook.received().len(), 3);

    let path = format!("/api/v1/repository/admin/app/notification/{uuid}");
    let r = s.h.post(&path, Some(&s.api), json!({})).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
    assert_eq!(s.get(&uuid).await["number_of_failures"], 0);
    let ns = s.h.namespace_id("admin").await;
    assert!(s
        .h
        .log_kinds(ns)
        .await
        .contains(&"reset_repo_notification".to_string()));
    // Working again; a success after a failure sets the count back to zero.
    hook.status.store(502, Ordering::SeqCst);
    s.push(Some("v3")).await;
    assert_eq!(worker.run_at(now + 5 * HOUR_MS).await.unwrap().failed, 1);
    assert_eq!(s.get(&uuid).await["number_of_failures"], 1);
    hook.status.store(204, Ordering::SeqCst);
    assert_eq!(worker.run_at(now + 6 * HOUR_MS).await.unwrap().delivered, 1);
    assert_eq!(s.get(&uuid).await["number_of_failures"], 0);
    assert_eq!(
        hook.received().last().unwrap()["updated_tags"],
        json!(["v3"])
    );
}

#[actix_web::test]
async fn test_notifications_carry_sample_data_to_slack() {
    let s = Setup::new().await;
    let slack = Receiver::start().await;
    let uuid = s
        .notification("repo_push", "slack", json!({"url": slack.url}))
        .await;
    let r =
        s.h.post(
            &format!("/api/v1/repository/admin/app/notification/{uuid}/test"),
            Some(&s.api),
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body, json!({}));
    assert_eq!(s.deliver().await.delivered, 1);
    let got = slack.received();
    assert_eq!(
        got,
        [json!({
            "text": "Repository admin/app updated",
            "username": "quayiobot",
            "attachments": [{
                "fallback": "Repository admin/app updated",
                "text": "Repository <http://localhost:8080/repository/admin/app|admin/app> has been pushed with the following tags updated: *latest*, *foo*",
                "color": "good",
                "mrkdwn_in": ["text"],
            }],
        })]
    );
}

#[actix_web::test]
async fn quay_notifications_reach_the_users_notifications() {
    let s = Setup::new().await;
    let (_, bob) = s.h.user("bob", ALL_SCOPES).await;
    s.notification(
        "repo_push",
        "quay_notification",
        json!({"target": {"kind": "user", "name": "bob"}}),
    )
    .await;
    s.push(Some("latest")).await;
    assert_eq!(s.deliver().await.delivered, 1);
    let r = s.h.get("/api/v1/user/notifications", Some(&bob)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let notes = r.body["notifications"].as_array().unwrap();
    assert_eq!(notes.len(), 1, "{}", r.body);
    assert_eq!(notes[0]["kind"], "repo_push");
    assert_eq!(notes[0]["metadata"]["repository"], "admin/app");
    assert_eq!(notes[0]["metadata"]["updated_tags"], json!(["latest"]));
    // Not to the owner.
    let r = s.h.get("/api/v1/user/notifications", Some(&s.api)).await;
    assert_eq!(r.body["notifications"], json!([]));
}

#[actix_web::test]
async fn email_goes_through_the_configured_smtp_server() {
    let smtp = SmtpServer::start().await;
    let s = Setup::with_config(Config {
        mail_server: "127.0.0.1".into(),
        mail_port: smtp.port,
        mail_use_tls: false,
        mail_default_sender: "quay@example.com".into(),
        ..config()
    })
    .await;
    s.notification("repo_push", "email", json!({"email": "dev@example.com"}))
        .await;
    s.push(Some("v1")).await;
    let report = s.deliver().await;
    assert_eq!(report.delivered, 1, "{report:?}");
    let messages = smtp.messages.lock().unwrap().clone();
    assert_eq!(messages.len(), 1);
    let (from, to, data) = &messages[0];
    assert_eq!(from, "<quay@example.com>");
    assert_eq!(to, "<dev@example.com>");
    assert!(
        data.contains("Subject: Repository admin/app updated"),
        "{data}"
    );
    assert!(data.contains("Content-Type: text/html"), "{data}");
    assert!(data.contains("admin/app"), "{data}");

    // Without a mail server the delivery fails and counts.
    let s = Setup::new().await;
    let uuid = s
        .notification("repo_push", "email", json!({"email": "dev@example.com"}))
        .await;
    s.push(Some("v1")).await;
    assert_eq!(s.deliver().await.failed, 1);
    assert_eq!(s.get(&uuid).await["number_of_failures"], 1);
}

#[actix_web::test]
async fn team_and_organization_targets_reach_members_and_administrators() {
    let s = Setup::new().await;
    let (_, bob) = s.h.user("bob", ALL_SCOPES).await;
    let (_, carol) = s.h.user("carol", ALL_SCOPES).await;
    for (method, path, body) in [
        (
            Method::POST,
            "/api/v1/organization/",
            json!({"name": "acme", "email": "acme@example.com"}),
        ),
        (
            Method::POST,
            "/api/v1/organization/",
            json!({"name": "other", "email": "other@example.com"}),
        ),
        (
            Method::POST,
            "/api/v1/repository",
            json!({"namespace": "acme", "repository": "app", "description": "", "visibility": "private"}),
        ),
        (
            Method::PUT,
            "/api/v1/organization/acme/team/devs",
            json!({"role": "member", "description": ""}),
        ),
        (
            Method::PUT,
            "/api/v1/organization/acme/team/devs/members/bob",
            json!({}),
        ),
    ] {
        let r =
            s.h.call(method, path, Some(&s.api), Some(&body.to_string()))
                .await;
        assert!(r.status.is_success(), "{path}: {}", r.body);
    }
    let create = |config: Value| json!({"event": "repo_push", "method": "quay_notification", "config": config, "eventConfig": {}});
    let path = "/api/v1/repository/acme/app/notification/";
    let r =
        s.h.post(
            path,
            Some(&s.api),
            create(json!({"target": {"kind": "org", "name": "other"}})),
        )
        .await;
    assert_error(
        &r,
        400,
        "invalid_request",
        "Organization name must match repository namespace",
    );
    for target in [
        json!({"kind": "team", "name": "devs"}),
        json!({"kind": "org", "name": "acme"}),
    ] {
        let r =
            s.h.post(path, Some(&s.api), create(json!({ "target": target })))
                .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    }
    let uuid = s.h.get(path, Some(&s.api)).await.body["notifications"][0]["uuid"]
        .as_str()
        .unwrap()
        .to_string();
    let r =
        s.h.post(&format!("{path}{uuid}/test"), Some(&s.api), json!({}))
            .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    // The test goes to the team only; both notifications get the push.
    let token = registry_token(
        &s.h,
        "admin",
        "password",
        &["repository:acme/app:pull,push"],
    )
    .await;
    let config = push_blob(&s.h, &token, "acme/app", b"{}").await;
    let body = serde_json::to_vec(&json!({
        "schemaVersion": 2, "mediaType": DOCKER,
        "config": {"mediaType": "application/vnd.docker.container.image.v1+json", "digest": config["digest"], "size": config["size"]},
        "layers": [],
    }))
    .unwrap();
    let r = push_manifest(&s.h, &token, "acme/app", "v1", DOCKER, &body).await;
    assert_eq!(r.status, StatusCode::CREATED);
    assert_eq!(s.deliver().await.delivered, 3);

    let kinds = |r: crate::common::Response| -> Vec<(String, Value)> {
        r.body["notifications"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| {
                (
                    n["kind"].as_str().unwrap().to_string(),
                    n["organization"].clone(),
                )
            })
            .collect()
    };
    let got = kinds(s.h.get("/api/v1/user/notifications", Some(&bob)).await);
    assert_eq!(got.len(), 2, "{got:?}");
    assert!(got.iter().all(|(k, o)| k == "repo_push" && o.is_null()));
    // The organization's notification: its administrators see it.
    let got = kinds(s.h.get("/api/v1/user/notifications", Some(&s.api)).await);
    assert_eq!(got, [("repo_push".to_string(), json!("acme"))]);
    let got = kinds(s.h.get("/api/v1/user/notifications", Some(&carol)).await);
    assert!(got.is_empty());
}

#[actix_web::test]
async fn deliveries_are_leased_and_test_data_follows_the_event_config() {
    use quay_notify::NotifyStore;
    let s = Setup::new().await;
    let hook = Receiver::start().await;
    // `level` filters by priority index (High is 2, Low 4).
    for level in ["2", "4"] {
        let r = s
            .create(json!({"event": "vulnerability_found", "method": "webhook", "config": {"url": hook.url}, "eventConfig": {"level": level}}))
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    }
    let list =
        s.h.get("/api/v1/repository/admin/app/notification/", Some(&s.api))
            .await;
    assert_eq!(
        list.body["notifications"][0]["event_config"],
        json!({"level": "2"})
    );
    for n in list.body["notifications"].as_array().unwrap() {
        let r =
            s.h.post(
                &format!(
                    "/api/v1/repository/admin/app/notification/{}/test",
                    n["uuid"].as_str().unwrap()
                ),
                Some(&s.api),
                json!({}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK);
    }
    // A claimed delivery is leased: nobody else gets it until the lease runs out, and
    // every claim takes one attempt.
    let store = quay_persistence::SqlStore::new(s.h.t.db.clone());
    let now = Utc::now().timestamp_millis();
    let first = store.claim_deliveries(now, now + 60_000, 10).await.unwrap();
    assert_eq!(first.len(), 2);
    assert!(first.iter().all(|d| d.retries_remaining == 4));
    assert!(store
        .claim_deliveries(now, now + 60_000, 10)
        .await
        .unwrap()
        .is_empty());
    let again = store
        .claim_deliveries(now + 60_000, now + 120_000, 10)
        .await
        .unwrap();
    assert_eq!(again.len(), 2);
    assert!(again.iter().all(|d| d.retries_remaining == 3));
    let report =
        s.h.state
            .notification_worker
            .run_at(now + 120_000)
            .await
            .unwrap();
    // Test notifications carry a vulnerability at the filter's own level: both pass.
    assert_eq!((report.delivered, report.skipped), (2, 0), "{report:?}");
    // Delivered in no particular order.
    let mut priorities: Vec<String> = hook
        .received()
        .iter()
        .map(|b| {
            b["vulnerability"]["priority"]
                .as_str()
                .unwrap_or("")
                .to_string()
        })
        .collect();
    priorities.sort();
    assert_eq!(priorities, ["High", "Low"]);
}

#[actix_web::test]
async fn a_deleted_repository_takes_its_notifications_and_queued_deliveries() {
    let s = Setup::new().await;
    let hook = Receiver::start().await;
    s.notification("repo_push", "webhook", json!({"url": hook.url}))
        .await;
    s.push(Some("v1")).await;
    let r =
        s.h.delete("/api/v1/repository/admin/app", Some(&s.api))
            .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
    assert_eq!(s.deliver().await, quay_notify::DeliveryReport::default());
    assert!(hook.received().is_empty());
}
