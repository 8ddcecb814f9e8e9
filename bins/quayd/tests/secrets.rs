//! No secret leaves the server after the response that creates it: not in its logs (at
//! `RUST_LOG=debug`), not in later responses. Drives a real `quayd` with `curl`.

mod common;

use std::process::Command;

use common::*;
use quay_persistence::testing::TestDatabase;
use serde_json::Value;

struct Client {
    base: String,
    jar: std::path::PathBuf,
}

impl Client {
    /// `curl` with the cookie jar; returns (status, body).
    fn call(
        &self,
        method: &str,
        path: &str,
        headers: &[String],
        body: Option<&str>,
    ) -> (u16, String) {
        let mut cmd = Command::new("curl");
        cmd.args(["-s", "-o", "-", "-w", "\n%{http_code}", "-X", method])
            .arg("-b")
            .arg(&self.jar)
            .arg("-c")
            .arg(&self.jar);
        for h in headers {
            cmd.args(["-H", h]);
        }
        if let Some(b) = body {
            cmd.args(["-H", "Content-Type: application/json", "--data", b]);
        }
        let out = cmd.arg(format!("{}{path}", self.base)).output().unwrap();
        let text = String::from_utf8_lossy(&out.stdout).to_string();
        let (body, code) = text.rsplit_once('\n').unwrap();
        (code.parse().unwrap(), body.to_string())
    }

    fn json(&self, method: &str, path: &str, token: &str, body: Option<&str>) -> Value {
        let auth = format!("Authorization: Bearer {token}");
        let (status, text) = self.call(method, path, &[auth], body);
        assert!(status < 300, "{method} {path}: {status} {text}");
        serde_json::from_str(&text).unwrap()
    }
}

#[tokio::test]
async fn secrets_stay_out_of_logs_and_later_responses() {
    if !have("curl") {
        assert!(std::env::var("CI").is_err(), "CI must install curl");
        eprintln!("skipping: needs curl");
        return;
    }
    let db = TestDatabase::new().await;
    let data = tempfile::tempdir().unwrap();
    let port = free_port();
    let server = Server::start(
        data.path(),
        port,
        db.is_postgres().then(|| db.url()),
        &[("RUST_LOG", "debug"), ("QUAY_SUPER_USERS", "[admin]")],
    );
    let c = Client {
        base: format!("http://127.0.0.1:{port}"),
        jar: data.path().join("cookies"),
    };
    let password = "Vq8-unique-Passw0rd";
    let wrong_password = "Zx7-wrong-Passw0rd";

    let init = format!(
        r#"{{"username": "admin", "password": "{password}", "email": "a@example.com", "access_token": true}}"#
    );
    let (_, text) = c.call("POST", "/api/v1/user/initialize", &[], Some(&init));
    let token = serde_json::from_str::<Value>(&text).unwrap()["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    let robot = c.json("PUT", "/api/v1/user/robots/bot", &token, Some("{}"));
    let robot_token = robot["token"].as_str().unwrap().to_string();
    let app = c.json(
        "POST",
        "/api/v1/user/apptoken",
        &token,
        Some(r#"{"title": "t"}"#),
    );
    let app_code = app["token"]["token_code"].as_str().unwrap().to_string();
    let app_uuid = app["token"]["uuid"].as_str().unwrap().to_string();
    let created = c.json(
        "POST",
        "/api/v1/superuser/users/",
        &token,
        Some(r#"{"username": "newbie", "email": "n@example.com"}"#),
    );
    let generated = created["password"].as_str().unwrap().to_string();
    c.json(
        "POST",
        "/api/v1/organization/",
        &token,
        Some(r#"{"name": "acme", "email": "acme@example.com"}"#),
    );
    let application = c.json(
        "POST",
        "/api/v1/organization/acme/applications",
        &token,
        Some(r#"{"name": "app", "redirect_uri": "https://app.example/cb"}"#),
    );
    let client_secret = application["client_secret"].as_str().unwrap().to_string();

    // Password sign-ins, right then wrong (a failure starts the backoff), with CSRF.
    let (_, csrf) = c.call("GET", "/csrf_token", &[], None);
    let csrf = serde_json::from_str::<Value>(&csrf).unwrap()["csrf_token"]
        .as_str()
        .unwrap()
        .to_string();
    let header = format!("X-CSRF-Token: {csrf}");
    for (pw, expected) in [(password, 200), (wrong_password, 403)] {
        let body = format!(r#"{{"username": "admin", "password": "{pw}"}}"#);
        let (status, _) = c.call(
            "POST",
            "/api/v1/signin",
            std::slice::from_ref(&header),
            Some(&body),
        );
        assert_eq!(status, expected);
    }

    // Later reads never show the secrets again (robot tokens are shown to their
    // administrators by design, as in Quay).
    let mut later = String::new();
    // Query strings can carry credentials; they must not reach the access log.
    c.json(
        "GET",
        &format!("/api/v1/user/?_csrf_token={csrf}"),
        &token,
        None,
    );
    for path in [
        "/api/v1/user/",
        "/api/v1/user/apptoken",
        &format!("/api/v1/user/apptoken/{app_uuid}"),
        "/api/v1/superuser/users/",
        "/api/v1/superuser/users/newbie",
        "/api/v1/user/authorizations",
        "/api/v1/user/robots?token=false",
    ] {
        later.push_str(&c.json("GET", path, &token, None).to_string());
    }
    for secret in [password, &token, &app_code, &generated, &robot_token] {
        assert!(!later.contains(secret), "a later response shows a secret");
    }

    let (status, printed) = server.terminate();
    assert!(status.success());
    assert!(
        printed.contains("/api/v1/signin") && printed.contains("/api/v1/user/robots/bot"),
        "the access log shows the requests:\n{printed}"
    );
    for (what, secret) in [
        ("password", password),
        ("wrong password", wrong_password),
        ("OAuth token", &token),
        ("robot token", &robot_token),
        ("app token", &app_code),
        ("generated password", &generated),
        ("client secret", &client_secret),
        ("CSRF token", &csrf),
    ] {
        assert!(
            !printed.contains(secret),
            "the {what} appears in the server's output"
        );
    }
}
