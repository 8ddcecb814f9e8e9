//! `ServiceKeyStore`: the public halves of registry-token signing keys.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use quay_auth::registry_token::{ServiceKey, ServiceKeyStore};
use quay_core::{DomainError, DomainResult};
use sea_orm::FromQueryResult;

use crate::{execute, query_all, SqlStore};

#[async_trait]
impl ServiceKeyStore for SqlStore {
    async fn find_service_key(&self, kid: &str) -> DomainResult<Option<ServiceKey>> {
        #[derive(FromQueryResult)]
        struct Row {
            kid: String,
            service: String,
            name: Option<String>,
            jwk_json: String,
            created: DateTime<Utc>,
            expires_at: Option<DateTime<Utc>>,
            approval_type: Option<String>,
        }
        let rows: Vec<Row> = query_all(
            &self.db,
            &self.db.conn,
            "SELECT kid, service, name, jwk_json, created, expires_at, approval_type \
             FROM service_key WHERE kid = ?",
            vec![kid.into()],
        )
        .await?;
        rows.into_iter()
            .next()
            .map(|r| {
                Ok(ServiceKey {
                    jwk: serde_json::from_str(&r.jwk_json).map_err(|e| {
                        DomainError::Internal(format!("service key {}: {e}", r.kid))
                    })?,
                    kid: r.kid,
                    service: r.service,
                    name: r.name,
                    created: r.created,
                    expires_at: r.expires_at,
                    approval_type: r.approval_type,
                })
            })
            .transpose()
    }

    async fn register_service_key(&self, key: ServiceKey) -> DomainResult<()> {
        let txn = self.db.begin_write().await?;
        let approved_at = key.approval_type.as_ref().map(|_| Utc::now());
        let renewed = execute(
            &self.db,
            &*txn,
            "UPDATE service_key SET expires_at = ?, approval_type = ?, approved_at = ? WHERE kid = ?",
            vec![
                key.expires_at.into(),
                key.approval_type.clone().into(),
                approved_at.into(),
                key.kid.clone().into(),
            ],
        )
        .await?;
        if renewed == 0 {
            execute(
                &self.db,
                &*txn,
                "INSERT INTO service_key (kid, service, name, jwk_json, metadata_json, created, \
                 expires_at, approval_type, approved_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                vec![
                    key.kid.into(),
                    key.service.into(),
                    key.name.into(),
                    key.jwk.to_string().into(),
                    "{}".into(),
                    key.created.into(),
                    key.expires_at.into(),
                    key.approval_type.into(),
                    approved_at.into(),
                ],
            )
            .await?;
        }
        txn.commit().await
    }
}
