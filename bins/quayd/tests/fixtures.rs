//! `quayd fixtures load quay-test` on a fresh data directory, then `quayd serve` with the
//! fixtures' configuration: devtable signs in with `password` through `/api/v1/signin`.

mod common;

use std::path::Path;
use std::process::Command;

use common::*;

const CONFIG: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../fixtures/quay-test/config.yaml"
);

fn quayd(data: &Path, args: &[&str]) -> std::process::Output {
    Command::new(QUAYD)
        .args(["--data-dir", data.to_str().unwrap(), "--config", CONFIG])
        .args(args)
        .env_remove("QUAY_DB_URI")
        .output()
        .unwrap()
}

/// Signs in through a browser-style session (cookie jar + CSRF token) and returns what
/// `GET /api/v1/user/` then answers.
fn sign_in(port: u16, jar: &Path, username: &str, password: &str) -> (String, String) {
    let script = format!(
        r#"set -e
base=http://127.0.0.1:{port}
csrf=$(curl -s -c "$JAR" -b "$JAR" $base/csrf_token | sed 's/.*"csrf_token": *"\([^"]*\)".*/\1/')
curl -s -o /dev/null -w '%{{http_code}}\n' -c "$JAR" -b "$JAR" -X POST $base/api/v1/signin \
  -H "X-CSRF-Token: $csrf" -H 'Content-Type: application/json' \
  -d '{{"username": "{username}", "password": "{password}"}}'
curl -s -c "$JAR" -b "$JAR" $base/api/v1/user/
"#
    );
    let out = Command::new("bash")
        .arg("-c")
        .arg(script)
        .env("JAR", jar)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    let (status, body) = text.split_once('\n').unwrap();
    (status.to_string(), body.to_string())
}

#[test]
fn fixtures_load_then_devtable_signs_in() {
    if !have("curl") {
        eprintln!("skipping: curl is not installed");
        return;
    }
    let data = tempfile::tempdir().unwrap();
    let out = quayd(data.path(), &["fixtures", "load", "quay-test"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout)
        .starts_with("loaded quay-test: 7 users, 6 organizations"));

    // A loaded database is not loaded over, unless asked to start again.
    let out = quayd(data.path(), &["fixtures", "load", "quay-test"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--reset"));
    let out = quayd(data.path(), &["fixtures", "load", "quay-test", "--reset"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = quayd(data.path(), &["fixtures", "load", "no-such-set"]);
    assert!(!out.status.success());

    let port = free_port();
    let server = Server::start_with(data.path(), port, None, &[], &["--config", CONFIG]);
    let jar = data.path().join("cookies");
    let (status, user) = sign_in(port, &jar, "devtable", "password");
    assert_eq!(status, "200", "{user}");
    assert!(user.contains(r#""username":"devtable""#), "{user}");
    // devtable is the fixtures' superuser; a wrong password is refused.
    assert!(user.contains(r#""super_user":true"#), "{user}");
    let (status, _) = sign_in(port, &data.path().join("other"), "reader", "wrong");
    assert_eq!(status, "403");
    let (status, _) = server.terminate();
    assert!(status.success());
}
