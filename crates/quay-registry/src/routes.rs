//! The `/v2/{name}/...` routes, told apart by their last segments.
//!
//! As actix patterns (`/{name:.+}/blobs/{digest}` and five more) each request ran a
//! regular expression with capture groups over its path, several when the first ones
//! missed: about a tenth of the instructions of a small blob's pull (callgrind). The
//! six shapes end in fixed segments that no two share (`blobs/uploads/`,
//! `blobs/uploads/<uuid>`, `manifests/<reference>`, `tags/list`,
//! `referrers/<digest>`, `blobs/<digest>`), so the name is whatever comes before
//! them, exactly what the greedy `.+` captured. Values are decoded as actix's `Path`
//! extractor decodes its captures (the router's requoted path, then each value fully
//! percent-decoded), and a method a shape does not have is answered as an actix
//! resource answers it (405 with `Allow`).

use actix_router::Quoter;
use actix_web::guard::GuardContext;
use actix_web::http::{header, Method};
use actix_web::web::{Data, Path, Payload};
use actix_web::{HttpMessage, HttpRequest, HttpResponse};

use crate::error::RegistryError;
use crate::{blobs, manifests, RegistryState};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    /// `{name}/blobs/uploads/`
    StartUpload,
    /// `{name}/blobs/uploads/{uuid}`
    Upload,
    /// `{name}/manifests/{reference}`
    Manifest,
    /// `{name}/tags/list`
    Tags,
    /// `{name}/referrers/{digest}`
    Referrers,
    /// `{name}/blobs/{digest}`
    Blob,
}

impl Shape {
    /// The methods of the shape, in the order its actix resource listed them.
    fn methods(self) -> &'static [Method] {
        match self {
            Shape::StartUpload => &[Method::POST],
            Shape::Upload => &[Method::GET, Method::PATCH, Method::PUT, Method::DELETE],
            Shape::Manifest => &[Method::GET, Method::HEAD, Method::PUT, Method::DELETE],
            Shape::Tags | Shape::Referrers => &[Method::GET],
            Shape::Blob => &[Method::GET, Method::HEAD, Method::DELETE],
        }
    }
}

/// A recognized path, its values decoded; kept in the request's extensions by the
/// guard for the handler.
#[derive(Debug, Clone, PartialEq)]
struct RepositoryPath {
    shape: Shape,
    name: String,
    /// The last segment's value (uuid, reference or digest); empty where there is none.
    last: String,
}

/// The shape and raw values of `path`, the router's path after `/v2`.
fn recognize(path: &str) -> Option<(Shape, &str, &str)> {
    let rest = path.strip_prefix('/')?;
    let fixed = [
        ("/blobs/uploads/", Shape::StartUpload),
        ("/tags/list", Shape::Tags),
    ];
    for (suffix, shape) in fixed {
        if let Some(name) = rest.strip_suffix(suffix) {
            return (!name.is_empty()).then_some((shape, name, ""));
        }
    }
    let (before, last) = rest.rsplit_once('/')?;
    if last.is_empty() {
        return None;
    }
    let parents = [
        ("/blobs/uploads", Shape::Upload),
        ("/manifests", Shape::Manifest),
        ("/referrers", Shape::Referrers),
        ("/blobs", Shape::Blob),
    ];
    parents.into_iter().find_map(|(suffix, shape)| {
        before
            .strip_suffix(suffix)
            .filter(|name| !name.is_empty())
            .map(|name| (shape, name, last))
    })
}

thread_local! {
    /// actix's router's quoter: decodes all but `%`, `/` and `+`.
    static ROUTER_QUOTER: Quoter = Quoter::new(b"", b"%/+");
    /// actix's `Path` extractor's: decodes everything.
    static FULL_QUOTER: Quoter = Quoter::new(b"", b"");
}

fn requote(quoter: &'static std::thread::LocalKey<Quoter>, value: &str) -> Option<String> {
    quoter
        .with(|q| q.requote(value.as_bytes()))
        .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
}

fn decode(value: &str) -> String {
    requote(&FULL_QUOTER, value).unwrap_or_else(|| value.to_string())
}

/// The decoded route of a request path (as sent), if it is a repository's.
fn repository_path(uri_path: &str) -> Option<RepositoryPath> {
    let requoted = requote(&ROUTER_QUOTER, uri_path);
    let path = requoted.as_deref().unwrap_or(uri_path);
    let (shape, name, last) = recognize(path.strip_prefix("/v2")?)?;
    Some(RepositoryPath {
        shape,
        name: decode(name),
        last: decode(last),
    })
}

/// Lets a request through when its path is a repository's route, noting which.
pub(crate) fn guard(ctx: &GuardContext<'_>) -> bool {
    match repository_path(ctx.head().uri.path()) {
        Some(found) => {
            ctx.req_data_mut().insert(found);
            true
        }
        None => false,
    }
}

/// Calls the handler of the route [`guard`] recognized.
pub(crate) async fn dispatch(
    state: Data<RegistryState>,
    req: HttpRequest,
    body: Payload,
) -> Result<HttpResponse, RegistryError> {
    let found = req.extensions_mut().remove::<RepositoryPath>();
    let Some(RepositoryPath { shape, name, last }) = found else {
        return Err(RegistryError::internal(
            "a /v2 route was dispatched without its guard",
        ));
    };
    let method = req.method().clone();
    let both = || Path::from((name.clone(), last.clone()));
    match (shape, method) {
        (Shape::StartUpload, Method::POST) => {
            blobs::start_upload(state, req, Path::from(name), body).await
        }
        (Shape::Upload, Method::GET) => blobs::upload_status(state, req, both()).await,
        (Shape::Upload, Method::PATCH) => blobs::upload_chunk(state, req, both(), body).await,
        (Shape::Upload, Method::PUT) => blobs::finish_upload(state, req, both(), body).await,
        (Shape::Upload, Method::DELETE) => blobs::cancel_upload(state, req, both()).await,
        (Shape::Manifest, Method::GET | Method::HEAD) => {
            manifests::get_manifest(state, req, both()).await
        }
        (Shape::Manifest, Method::PUT) => manifests::put_manifest(state, req, both(), body).await,
        (Shape::Manifest, Method::DELETE) => manifests::delete_manifest(state, req, both()).await,
        (Shape::Tags, Method::GET) => manifests::list_tags(state, req, Path::from(name)).await,
        (Shape::Referrers, Method::GET) => manifests::list_referrers(state, req, both()).await,
        (Shape::Blob, Method::GET | Method::HEAD) => blobs::get_blob(state, req, both()).await,
        (Shape::Blob, Method::DELETE) => blobs::delete_blob(state, req, both()).await,
        (shape, _) => Ok(HttpResponse::MethodNotAllowed()
            .insert_header(header::Allow(shape.methods().to_vec()))
            .finish()),
    }
}

#[cfg(test)]
mod tests {
    use actix_router::ResourceDef;

    use super::*;

    /// The actix patterns these shapes replace.
    const PATTERNS: [(&str, Shape); 6] = [
        ("/{name:.+}/blobs/uploads/", Shape::StartUpload),
        ("/{name:.+}/blobs/uploads/{last}", Shape::Upload),
        ("/{name:.+}/manifests/{last}", Shape::Manifest),
        ("/{name:.+}/tags/list", Shape::Tags),
        ("/{name:.+}/referrers/{last}", Shape::Referrers),
        ("/{name:.+}/blobs/{last}", Shape::Blob),
    ];

    /// What the first of actix's patterns that matches `path` captured.
    fn by_actix(path: &str) -> Option<(Shape, String, String)> {
        PATTERNS.iter().find_map(|(pattern, shape)| {
            let def = ResourceDef::new(*pattern);
            let mut p = actix_router::Path::new(path);
            def.capture_match_info(&mut p).then(|| {
                let get = |k| p.get(k).unwrap_or("").to_string();
                (*shape, get("name"), get("last"))
            })
        })
    }

    #[test]
    fn shapes_match_what_the_actix_patterns_matched() {
        let paths = [
            "/a/b/blobs/uploads/",
            "/a/b/blobs/uploads/123-abc",
            "/a/b/blobs/sha256:abcd",
            "/a/b/manifests/latest",
            "/a/b/tags/list",
            "/a/b/referrers/sha256:ff",
            "/library/blobs/blobs/x",
            "/a/blobs/uploads/blobs/uploads/",
            "/a/manifests/b/blobs/c",
            "/a/b/c/d/manifests/v1",
            "/blobs/x",
            "//blobs/x",
            "/a/blobs/",
            "/a/b/blobs/uploads",
            "/a/b/tags/list/",
            "/a/b/manifests//x",
            "/a/b/manifests/x/",
            "/tags/list",
            "/a/tags/list/more",
            "/a\nb/manifests/x\ny",
            "/a%2Fb/blobs/x",
            "/a/b/other/x",
            "",
            "/",
        ];
        for path in paths {
            let ours = recognize(path).map(|(s, n, l)| (s, n.to_string(), l.to_string()));
            assert_eq!(ours, by_actix(path), "{path:?}");
        }
    }

    #[test]
    fn values_are_decoded_as_the_path_extractor_decoded_them() {
        let found = repository_path("/v2/a%2Fb/c%20d/manifests/l%61test").unwrap();
        assert_eq!(found.shape, Shape::Manifest);
        assert_eq!(found.name, "a/b/c d");
        assert_eq!(found.last, "latest");
        // The router decodes letters first, so an encoded shape segment is one.
        let found = repository_path("/v2/a/b/%62lobs/sha256:aa").unwrap();
        assert_eq!((found.shape, found.name.as_str()), (Shape::Blob, "a/b"));
        // An encoded slash is not a separator.
        assert_eq!(repository_path("/v2/a/b/blobs%2Fsha256:aa"), None);
        assert_eq!(repository_path("/v1/a/b/tags/list"), None);
    }
}
