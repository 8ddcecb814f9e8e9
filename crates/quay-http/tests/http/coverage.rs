//! Routing coverage against Quay's API catalog (`shared/spec/quay-api-v1.json`): every
//! registered `/api/v1` route must be a catalog operation, every catalog operation the
//! table lists must answer, and every other one must be unregistered (404/405).

use crate::common::*;
use actix_web::http::{Method, StatusCode};
use serde_json::Value;

const UNKNOWN_ROUTE: &str = "The requested URL was not found on the server. If you entered the URL manually please check your spelling and try again.";

fn load(path: std::path::PathBuf) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// A concrete URL for an OpenAPI path: every placeholder filled.
fn concrete(path: &str) -> String {
    let mut out = String::new();
    let mut rest = path;
    while let Some(start) = rest.find('{') {
        out.push_str(&rest[..start]);
        let end = rest[start..].find('}').unwrap() + start;
        out.push_str(match &rest[start + 1..end] {
            "repository" => "someone/somerepo",
            // `manifestref` routes match digests only.
            "manifestref" => {
                "sha256:0000000000000000000000000000000000000000000000000000000000000000"
            }
            _ => "somename",
        });
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    out
}

#[actix_web::test]
async fn registered_routes_are_catalog_operations_and_the_rest_is_unregistered() {
    let Some(dir) = spec_dir() else { return };
    let catalog = load(dir.join("quay-api-v1.json"));
    let seed = load(dir.join("seed-endpoints.json"));
    let ops: Vec<(String, String, bool)> = catalog["endpoints"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["method"].as_str().unwrap().to_string(),
                e["openapi_path"].as_str().unwrap().to_string(),
                e["in_seed_guide"] == true,
            )
        })
        .collect();
    // Feature-gated areas that are built are on, so their routes are checked too.
    let config = quay_core::config::Config {
        feature_auto_prune: true,
        ..Default::default()
    };
    let table = quay_http::routes::endpoints(&config);
    let registered: Vec<(String, String)> = table
        .iter()
        .map(|e| (e.method.to_string(), e.path.to_string()))
        .collect();
    let strays: Vec<_> = registered
        .iter()
        .filter(|(m, p)| !ops.iter().any(|(om, op, _)| om == m && op == p))
        .collect();
    assert!(
        strays.is_empty(),
        "registered routes missing from Quay's catalog: {strays:?}"
    );

    let in_seed = registered
        .iter()
        .filter(|(m, p)| ops.iter().any(|(om, op, s)| om == m && op == p && *s))
        .count();
    let seed_total = seed["endpoints"].as_array().unwrap().len();
    println!(
        "implemented {} of {} catalog endpoints ({} of the seed guide's {})",
        registered.len(),
        ops.len(),
        in_seed,
        seed_total
    );

    // Probe the live application with every catalog operation.
    let h = Harness::with_config(config).await;
    for (method, path, _) in &ops {
        let m = Method::from_bytes(method.as_bytes()).unwrap();
        let r = h.call(m, &concrete(path), None, Some("{}")).await;
        let unmatched = (r.status == StatusCode::NOT_FOUND && r.body["detail"] == UNKNOWN_ROUTE)
            || r.status == StatusCode::METHOD_NOT_ALLOWED;
        let implemented = registered.iter().any(|(rm, rp)| rm == method && rp == path);
        assert_eq!(
            !unmatched, implemented,
            "{method} {path} answered {} {}",
            r.status, r.body
        );
    }
}
