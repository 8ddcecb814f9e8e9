//! The namespace quota hook: the registry asks it before a push adds bytes to a
//! namespace (an upload starting and finishing, a manifest). Quota management itself
//! (limits, usage, `/api/v1/.../quota`) plugs in here; until it is configured nothing is
//! refused, as in Quay with `FEATURE_QUOTA_MANAGEMENT` off (its default).

use async_trait::async_trait;
use quay_core::DomainResult;

#[async_trait]
pub trait NamespaceQuota: Send + Sync {
    /// Whether the namespace may take `additional_bytes` more (0: whether it is already
    /// over its reject limit).
    async fn allows(&self, namespace_id: i64, additional_bytes: u64) -> DomainResult<bool>;
}

/// No quota configured: every push is allowed.
pub struct NoQuota;

#[async_trait]
impl NamespaceQuota for NoQuota {
    async fn allows(&self, _namespace_id: i64, _additional_bytes: u64) -> DomainResult<bool> {
        Ok(true)
    }
}
