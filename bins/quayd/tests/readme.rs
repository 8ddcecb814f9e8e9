//! The README's walkthrough, replayed verbatim against a real `quayd` process (on SQLite,
//! or on a fresh PostgreSQL database when `QUAY_TEST_DATABASE_URL` is set), and the
//! command-line subcommands.

mod common;

use std::path::Path;
use std::process::Command;

use common::*;
use quay_persistence::testing::TestDatabase;

/// The shell block that follows the walkthrough marker in README.md.
fn walkthrough() -> String {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../README.md"))
            .unwrap();
    let after = &readme[readme.find("<!-- walkthrough").expect("walkthrough marker")..];
    let start = after.find("```sh\n").unwrap() + 6;
    let end = after[start..].find("```").unwrap() + start;
    after[start..end].to_string()
}

#[tokio::test]
async fn readme_walkthrough_works_verbatim() {
    if !have("curl") || !have("jq") {
        assert!(std::env::var("CI").is_err(), "CI must install curl and jq");
        eprintln!("skipping: the walkthrough needs curl and jq");
        return;
    }
    let db = TestDatabase::new().await;
    let data = tempfile::tempdir().unwrap();
    let port = free_port();
    let server = Server::start(data.path(), port, db.is_postgres().then(|| db.url()), &[]);

    let script = walkthrough().replace("localhost:8080", &format!("127.0.0.1:{port}"));
    let out = Command::new("bash")
        .args(["-euo", "pipefail", "-c", &script])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "walkthrough failed: {stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for expected in [
        "\"Created\"",
        r#"{"namespace":"myorg","name":"myrepo","kind":"image"}"#,
        r#"{"repositories":[{"namespace":"myorg","name":"myrepo","description":"My first repository","is_public":false,"kind":"image","state":"NORMAL","is_starred":false}]}"#,
        "}]}myorg+deployer\n",
    ] {
        assert!(
            stdout.contains(expected),
            "missing {expected} in:\n{stdout}"
        );
    }

    // SIGTERM stops the server cleanly.
    let (status, printed) = server.terminate();
    assert!(status.success(), "quayd exited with {status}");
    assert!(
        printed.contains("No users yet"),
        "first start prints how to create a user:\n{printed}"
    );
}

#[test]
fn migrate_then_config_check() {
    let data = tempfile::tempdir().unwrap();
    let dir = data.path().to_str().unwrap();
    let run = |args: &[&str], config: Option<&Path>| {
        let mut cmd = Command::new(QUAYD);
        cmd.args(["--data-dir", dir])
            .args(args)
            .env_remove("QUAY_DB_URI");
        if let Some(c) = config {
            cmd.args(["--config", c.to_str().unwrap()]);
        }
        cmd.output().unwrap()
    };
    let out = run(&["migrate"], None);
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "applied 16 migration(s)"
    );
    let out = run(&["migrate"], None);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "applied 0 migration(s)"
    );

    let config = data.path().join("config.yaml");
    std::fs::write(
        &config,
        "SERVER_HOSTNAME: quay.example.com\nFEATURE_SOMETHING_NEW: true\n",
    )
    .unwrap();
    let out = run(&["config", "check"], Some(&config));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success());
    assert!(
        stdout.contains("SERVER_HOSTNAME: quay.example.com"),
        "{stdout}"
    );
    assert!(
        stdout.contains("unused key: FEATURE_SOMETHING_NEW"),
        "{stdout}"
    );

    std::fs::write(&config, "SUPER_USERS: not-a-list\n").unwrap();
    let out = run(&["config", "check"], Some(&config));
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("invalid configuration"));
}
