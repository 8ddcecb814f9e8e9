//! `endpoints/api/secscan.py`: the security status of a manifest.

use actix_web::web::{Data, Path};
use actix_web::HttpResponse;

use crate::error::ApiResult;
use crate::extract::AnyCaller;
use crate::handlers::repository::repository_name;
use crate::AppState;

/// Quay's `@anon_allowed`: anonymous callers may ask about public repositories even with
/// anonymous access off.
pub async fn get_repo_manifest_security(
    state: Data<AppState>,
    AnyCaller(caller): AnyCaller,
    path: Path<(String, String)>,
) -> ApiResult<HttpResponse> {
    let (repo, digest) = path.into_inner();
    let repo = repository_name(&repo)?;
    let report = state.manifests.security(&caller, &repo, &digest).await?;
    match report {}
}
