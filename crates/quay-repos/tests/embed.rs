//! Runs `examples/embed.rs`: the service works embedded, without HTTP.

#[path = "../examples/embed.rs"]
mod embed;

#[tokio::test]
async fn embedding_example_creates_and_lists_repositories() {
    let dir = tempfile::tempdir().unwrap();
    let names = embed::run(&dir.path().join("embed.db")).await.unwrap();
    assert_eq!(names, ["api", "worker"]);
}
