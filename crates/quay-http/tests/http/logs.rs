//! Usage logs: pages across boundaries (ties included), time windows, the performer
//! filter, who may read them (401/403/404 in Quay's order), Quay's 400 for an inverted
//! window, aggregates per kind and day, the superuser panel's view, the feature gate.

use crate::common::*;
use actix_web::http::StatusCode;
use chrono::{DateTime, Duration, TimeZone, Utc};
use quay_core::config::Config;
use quay_logs::{LogKind, NewLogEntry};
use quay_persistence::SqlStore;
use serde_json::{json, Value};

/// Callbacks may reach the test's receiver on loopback.
fn config() -> Config {
    Config {
        super_users: vec!["admin".into()],
        webhook_allow_localhost: true,
        ..Config::default()
    }
}

/// `admin` (all scopes, a superuser) with the repository `admin/app` and the
/// organization `acme`; `bob` an outsider with all scopes.
struct Setup {
    h: Harness,
    api: String,
    admin: i64,
    acme: i64,
    bob: i64,
    bob_token: String,
    repo: i64,
}

impl Setup {
    async fn new(config: Config) -> Setup {
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
        let r = h
            .post(
                "/api/v1/organization/",
                Some(&api),
                json!({"name": "acme", "email": "acme@example.com"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        let (bob, bob_token) = h.user("bob", ALL_SCOPES).await;
        let admin = h.namespace_id("admin").await;
        let acme = h.namespace_id("acme").await;
        let r = h.get("/api/v1/repository/admin/app", Some(&api)).await;
        assert_eq!(r.status, StatusCode::OK);
        let repo = repo_id(&h, admin).await;
        Setup {
            h,
            api,
            admin,
            acme,
            bob,
            bob_token,
            repo,
        }
    }

    async fn import(&self, entries: Vec<(NewLogEntry, DateTime<Utc>)>) {
        SqlStore::new(self.h.t.db.clone())
            .import_logs(entries)
            .await
            .unwrap();
    }
}

/// The repository id from the `create_repo` entry the creation wrote.
async fn repo_id(h: &Harness, namespace: i64) -> i64 {
    use quay_logs::LogStore;
    SqlStore::new(h.t.db.clone())
        .namespace_logs(namespace, 100)
        .await
        .unwrap()
        .into_iter()
        .find(|l| l.kind == "create_repo")
        .and_then(|l| l.repository_id)
        .expect("create_repo entry")
}

fn entry(kind: LogKind, account: i64, performer: i64, n: usize) -> NewLogEntry {
    NewLogEntry {
        kind,
        account_id: Some(account),
        performer_id: Some(performer),
        repository_id: None,
        ip: Some("10.0.0.1".into()),
        metadata: json!({"n": n}),
    }
}

fn ns(r: &Value) -> Vec<i64> {
    r["logs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["metadata"]["n"].as_i64().unwrap_or(-1))
        .collect()
}

#[actix_web::test]
async fn pages_cross_boundaries_and_ties_newest_first() {
    let s = Setup::new(config()).await;
    let now = Utc::now();
    // 45 entries, every three sharing a second, so ties straddle page boundaries.
    let entries = (0..45)
        .map(|n| {
            let at = now - Duration::minutes(10) - Duration::seconds((n / 3) as i64);
            (entry(LogKind::PushRepo, s.acme, s.admin, n), at)
        })
        .collect();
    s.import(entries).await;
    let mut seen = Vec::new();
    let mut path = "/api/v1/organization/acme/logs".to_string();
    let mut pages = 0;
    loop {
        let r = s.h.get(&path, Some(&s.api)).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        pages += 1;
        let page = ns(&r.body);
        assert!(page.len() <= 20);
        seen.extend(page.into_iter().filter(|n| *n >= 0));
        match r.body.get("next_page").and_then(Value::as_str) {
            Some(t) => path = format!("/api/v1/organization/acme/logs?next_page={t}"),
            None => break,
        }
    }
    // The org's own create entry (org_create) is in the window too.
    assert_eq!(pages, 3);
    let mut expected: Vec<i64> = (0..45).collect();
    let mut sorted = seen.clone();
    sorted.sort_unstable();
    assert_eq!(sorted, expected, "every entry once");
    // Newest first: groups of a second, and in a group the later insert (higher id).
    expected = (0..15)
        .flat_map(|g| [3 * g + 2, 3 * g + 1, 3 * g])
        .collect();
    assert_eq!(seen, expected);
    // A forged token is the first page.
    let r =
        s.h.get(
            "/api/v1/organization/acme/logs?next_page=garbage",
            Some(&s.api),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["logs"].as_array().unwrap().len(), 20);
}

#[actix_web::test]
async fn windows_are_days_with_the_end_inclusive() {
    let s = Setup::new(config()).await;
    let at = |d, h, m| Utc.with_ymd_and_hms(2024, 1, d, h, m, 0).unwrap();
    s.import(vec![
        (entry(LogKind::PushRepo, s.admin, s.admin, 0), at(9, 23, 59)),
        (entry(LogKind::PushRepo, s.admin, s.admin, 1), at(10, 0, 0)),
        (
            entry(LogKind::PullRepo, s.admin, s.admin, 2),
            at(11, 23, 59),
        ),
        (entry(LogKind::PullRepo, s.admin, s.admin, 3), at(12, 0, 0)),
        // Service-key entries are not a user's business.
        (
            entry(LogKind::ServiceKeyCreate, s.admin, s.admin, 4),
            at(10, 5, 0),
        ),
    ])
    .await;
    let r =
        s.h.get(
            "/api/v1/user/logs?starttime=01/10/2024&endtime=01/11/2024",
            Some(&s.api),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["start_time"], "Wed, 10 Jan 2024 00:00:00 -0000");
    assert_eq!(r.body["end_time"], "Fri, 12 Jan 2024 00:00:00 -0000");
    assert_eq!(ns(&r.body), [2, 1]);
    assert!(r.body.get("next_page").is_none());
    let log = &r.body["logs"][0];
    let keys: Vec<&str> = log
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(keys, ["kind", "metadata", "ip", "datetime", "performer"]);
    assert_eq!(log["kind"], "pull_repo");
    assert_eq!(log["ip"], "10.0.0.1");
    assert_eq!(log["datetime"], "Thu, 11 Jan 2024 23:59:00 -0000");
    assert_eq!(log["performer"]["kind"], "user");
    assert_eq!(log["performer"]["name"], "admin");
    assert_eq!(log["performer"]["is_robot"], false);
    assert_eq!(log["performer"]["avatar"]["kind"], "user");

    // Aggregates over the same window: per kind and day, at midnight.
    let r =
        s.h.get(
            "/api/v1/user/aggregatelogs?starttime=01/09/2024&endtime=01/12/2024",
            Some(&s.api),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(
        r.body,
        json!({"aggregated": [
            {"kind": "push_repo", "count": 1, "datetime": "Tue, 09 Jan 2024 00:00:00 -0000"},
            {"kind": "push_repo", "count": 1, "datetime": "Wed, 10 Jan 2024 00:00:00 -0000"},
            {"kind": "pull_repo", "count": 1, "datetime": "Thu, 11 Jan 2024 00:00:00 -0000"},
            {"kind": "pull_repo", "count": 1, "datetime": "Fri, 12 Jan 2024 00:00:00 -0000"},
        ]})
    );

    // An unparseable date is Quay's default (a day back from now), not an error.
    let r =
        s.h.get("/api/v1/user/logs?starttime=2024-01-10", Some(&s.api))
            .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(ns(&r.body).iter().all(|n| *n < 0), "{}", r.body);

    // An inverted window is Quay's bare 400.
    for path in [
        "/api/v1/user/logs?starttime=01/12/2024&endtime=01/10/2024",
        "/api/v1/user/aggregatelogs?starttime=01/12/2024&endtime=01/10/2024",
        "/api/v1/organization/acme/logs?starttime=01/12/2024&endtime=01/10/2024",
        "/api/v1/repository/admin/app/logs?starttime=01/12/2024&endtime=01/10/2024",
    ] {
        let r = s.h.get(path, Some(&s.api)).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{path}: {}", r.body);
        assert_eq!(
            r.body["message"],
            "The browser (or proxy) sent a request that this server could not understand."
        );
    }
    // Aggregates cover less than four weeks.
    let r =
        s.h.get(
            "/api/v1/user/aggregatelogs?starttime=01/01/2024&endtime=01/28/2024",
            Some(&s.api),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    assert_eq!(r.body["message"], "Invalid date range for logs");
}

#[actix_web::test]
async fn performer_filters_and_repository_logs() {
    let s = Setup::new(config()).await;
    let now = Utc::now() - Duration::minutes(1);
    let mut in_repo = entry(LogKind::PushRepo, s.admin, s.bob, 2);
    in_repo.repository_id = Some(s.repo);
    s.import(vec![
        (entry(LogKind::PushRepo, s.acme, s.admin, 0), now),
        (entry(LogKind::PullRepo, s.acme, s.bob, 1), now),
        (in_repo, now),
    ])
    .await;
    let r =
        s.h.get("/api/v1/organization/acme/logs?performer=bob", Some(&s.api))
            .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(ns(&r.body), [1]);
    let r =
        s.h.get(
            "/api/v1/organization/acme/logs?performer=nobody",
            Some(&s.api),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["logs"], json!([]));
    let r =
        s.h.get(
            "/api/v1/organization/acme/aggregatelogs?performer=bob",
            Some(&s.api),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["aggregated"][0]["kind"], "pull_repo");
    assert_eq!(r.body["aggregated"].as_array().unwrap().len(), 1);

    let r =
        s.h.get("/api/v1/repository/admin/app/logs", Some(&s.api))
            .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let kinds: Vec<&str> = r.body["logs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["create_repo", "push_repo"]);
    assert!(r.body["logs"][1].get("namespace").is_none());
    assert_eq!(r.body["logs"][1]["performer"]["name"], "bob");

    // The superuser panel spans namespaces, so entries name theirs.
    let r = s.h.get("/api/v1/superuser/logs", Some(&s.api)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let first = &r.body["logs"][0];
    assert!(first.get("namespace").is_some(), "{}", r.body);
    let org = r.body["logs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["metadata"]["n"] == 1)
        .unwrap();
    assert_eq!(org["namespace"]["kind"], "org");
    assert_eq!(org["namespace"]["name"], "acme");
    assert_eq!(org["namespace"]["avatar"]["kind"], "org");
    let r =
        s.h.get("/api/v1/superuser/aggregatelogs", Some(&s.api))
            .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(!r.body["aggregated"].as_array().unwrap().is_empty());
}

#[actix_web::test]
async fn permission_comes_before_existence() {
    let s = Setup::new(config()).await;
    let bob = Some(s.bob_token.as_str());
    for path in [
        "/api/v1/user/logs",
        "/api/v1/organization/acme/logs",
        "/api/v1/repository/admin/app/logs",
        "/api/v1/organization/acme/aggregatelogs",
        "/api/v1/repository/admin/app/aggregatelogs",
        "/api/v1/superuser/logs",
    ] {
        let r = s.h.get(path, None).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{path}: {}", r.body);
    }
    for path in [
        "/api/v1/organization/acme/logs",
        "/api/v1/organization/nope/logs",
        "/api/v1/repository/admin/app/logs",
        "/api/v1/repository/admin/missing/logs",
        "/api/v1/organization/nope/aggregatelogs",
        "/api/v1/repository/admin/missing/aggregatelogs",
        "/api/v1/superuser/logs",
        "/api/v1/superuser/aggregatelogs",
    ] {
        let r = s.h.get(path, bob).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{path}: {}", r.body);
    }
    // Bob's own logs are his.
    let r = s.h.get("/api/v1/user/logs", bob).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    // A missing organization is one nobody administers (Quay's 403, superusers too
    // without full access); a missing repository of one's own is 404.
    let r =
        s.h.get("/api/v1/organization/nope/logs", Some(&s.api))
            .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    for path in [
        "/api/v1/repository/admin/missing/logs",
        "/api/v1/repository/admin/missing/aggregatelogs",
    ] {
        let r = s.h.get(path, Some(&s.api)).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{path}: {}", r.body);
    }
    // A token without the endpoint's scope.
    let narrow = s.h.token(s.admin, "repo:read").await;
    let r =
        s.h.get("/api/v1/organization/acme/logs", Some(&narrow))
            .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    let _ = s.bob;
}

#[actix_web::test]
async fn aggregates_are_feature_gated() {
    let s = Setup::new(Config {
        feature_aggregated_log_count_retrieval: false,
        ..config()
    })
    .await;
    for path in [
        "/api/v1/user/aggregatelogs",
        "/api/v1/organization/acme/aggregatelogs",
        "/api/v1/repository/admin/app/aggregatelogs",
    ] {
        let r = s.h.get(path, Some(&s.api)).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{path}: {}", r.body);
    }
    let r = s.h.get("/api/v1/user/logs", Some(&s.api)).await;
    assert_eq!(r.status, StatusCode::OK);
}

/// A one-shot HTTP listener on 127.0.0.1: answers 200 to the first request and hands
/// over its body.
fn callback_listener() -> (String, std::sync::mpsc::Receiver<Value>) {
    use std::io::{BufRead, BufReader, Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/done", listener.local_addr().unwrap());
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let (stream, _) = listener.accept().unwrap();
        let mut reader = BufReader::new(stream.try_clone().unwrap());
        let mut length = 0;
        loop {
            let mut line = String::new();
            reader.read_line(&mut line).unwrap();
            let line = line.trim_end().to_ascii_lowercase();
            if line.is_empty() {
                break;
            }
            if let Some(v) = line.strip_prefix("content-length:") {
                length = v.trim().parse().unwrap();
            }
        }
        let mut body = vec![0; length];
        reader.read_exact(&mut body).unwrap();
        let mut stream = stream;
        stream
            .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            .unwrap();
        tx.send(serde_json::from_slice(&body).unwrap()).unwrap();
    });
    (url, rx)
}

async fn received(rx: &std::sync::mpsc::Receiver<Value>) -> Value {
    for _ in 0..200 {
        if let Ok(v) = rx.try_recv() {
            return v;
        }
        actix_web::rt::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("no callback");
}

#[actix_web::test]
async fn exports_write_the_document_and_call_back() {
    let s = Setup::new(config()).await;
    let at = |d, h| Utc.with_ymd_and_hms(2024, 1, d, h, 0, 0).unwrap();
    s.import(vec![
        (entry(LogKind::PushRepo, s.acme, s.admin, 0), at(9, 12)),
        (entry(LogKind::PullRepo, s.acme, s.bob, 1), at(10, 12)),
        (entry(LogKind::PullRepo, s.acme, s.bob, 2), at(12, 12)),
    ])
    .await;
    let (url, rx) = callback_listener();
    let r =
        s.h.post(
            "/api/v1/organization/acme/exportlogs?starttime=01/09/2024&endtime=01/10/2024",
            Some(&s.api),
            json!({"callback_url": url}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let export_id = r.body["export_id"].as_str().unwrap().to_string();
    let got = received(&rx).await;
    assert_eq!(got["export_id"], export_id);
    assert_eq!(got["status"], "success");
    assert_eq!(got["namespace"], "acme");
    assert_eq!(got["repository"], Value::Null);
    assert_eq!(got["start_time"], "01/09/2024");
    assert_eq!(got["end_time"], "01/11/2024");
    let file = got["exported_data_url"].as_str().unwrap();
    let path = file.strip_prefix("http://localhost:8080").unwrap();
    let r = s.h.get(path, None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["export_id"], export_id);
    assert_eq!(r.body["details"]["namespace"], "acme");
    let ns: Vec<Value> = r.body["logs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["metadata"]["n"].clone())
        .collect();
    // Quay's worker adds the end's whole day again: the 11th is in, the 12th is not.
    assert_eq!(ns, [json!(1), json!(0), Value::Null]);
    assert_eq!(r.body["logs"][2], json!({"terminator": true}));
    // The file's key is its secret.
    let r = s.h.get(&format!("/exportedlogs/{export_id}"), None).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let kinds = s.h.log_kinds(s.acme).await;
    assert_eq!(kinds.last().unwrap(), "export_logs_success");

    // An e-mail is recorded as Quay would send it.
    let r =
        s.h.post(
            "/api/v1/repository/admin/app/exportlogs",
            Some(&s.api),
            json!({"callback_email": "admin@example.com"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let export_id = r.body["export_id"].as_str().unwrap().to_string();
    let mut mail = None;
    for _ in 0..200 {
        mail = s.h.state.exporter.sent_emails().into_iter().next();
        if mail.is_some() {
            break;
        }
        actix_web::rt::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let mail = mail.expect("an export e-mail");
    assert_eq!(mail.to, "admin@example.com");
    assert_eq!(mail.export_id, export_id);
    assert_eq!(mail.status, "success");
}

#[actix_web::test]
async fn export_callbacks_never_reach_loopback_or_blacklisted_hosts() {
    let s = Setup::new(Config {
        webhook_allow_localhost: false,
        webhook_hostname_blacklist: vec!["metadata.internal".into()],
        ..config()
    })
    .await;
    for url in [
        "http://localhost:8080/x",
        "http://LOCALHOST./x",
        "http://127.0.0.1/x",
        "http://127.1/x",
        "https://[::1]/x",
        "http://user@localhost/x",
        "http://Metadata.Internal/latest",
        "http://",
    ] {
        let r =
            s.h.post(
                "/api/v1/user/exportlogs",
                Some(&s.api),
                json!({ "callback_url": url }),
            )
            .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{url}: {}", r.body);
        assert_eq!(r.body["message"], "Invalid callback URL", "{url}");
    }
    let r =
        s.h.post(
            "/api/v1/user/exportlogs",
            Some(&s.api),
            json!({"callback_url": "https://example.com/done"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
}

#[actix_web::test]
async fn exports_refuse_as_quay() {
    let s = Setup::new(config()).await;
    for (body, message) in [
        (json!({"callback_url": "ftp://x"}), "Invalid callback URL"),
        (
            json!({"callback_email": "nobody"}),
            "Invalid callback e-mail",
        ),
    ] {
        let r =
            s.h.post("/api/v1/user/exportlogs", Some(&s.api), body)
                .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
        assert_eq!(r.body["message"], message);
    }
    let r =
        s.h.post(
            "/api/v1/user/exportlogs?starttime=01/12/2024&endtime=01/10/2024",
            Some(&s.api),
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    assert_eq!(r.body["message"], "Invalid time span selected");
    let r =
        s.h.post(
            "/api/v1/user/exportlogs",
            Some(&s.api),
            json!({"callback_url": 5}),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    let kinds = s.h.log_kinds(s.admin).await;
    assert_eq!(
        kinds.iter().filter(|k| *k == "export_logs_failure").count(),
        3
    );
    // Outsiders: 403 (logged for organizations, as Quay); a missing repository of
    // one's own: 404, logged.
    let bob = Some(s.bob_token.as_str());
    let r =
        s.h.post("/api/v1/organization/acme/exportlogs", bob, json!({}))
            .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    assert_eq!(
        s.h.log_kinds(s.acme).await.last().unwrap(),
        "export_logs_failure"
    );
    let r =
        s.h.post("/api/v1/repository/admin/app/exportlogs", bob, json!({}))
            .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    let r =
        s.h.post(
            "/api/v1/repository/admin/missing/exportlogs",
            Some(&s.api),
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
    let r = s.h.post("/api/v1/user/exportlogs", None, json!({})).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", r.body);

    let off = Harness::with_config(Config {
        feature_log_export: false,
        ..config()
    })
    .await;
    let api = off.initialize("admin").await;
    let r = off
        .post("/api/v1/user/exportlogs", Some(&api), json!({}))
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
}
