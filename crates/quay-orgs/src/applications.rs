//! OAuth applications of organizations (`/api/v1/organization/{orgname}/applications`):
//! [`ApplicationService`] over an [`ApplicationStore`].
//!
//! An application has a 20-character client id and a 40-character client secret
//! (`[A-Z0-9]`, as Quay generates them). Administrators read the secret back, so it is
//! sealed with the server's field key, like robot tokens.

use std::sync::Arc;

use async_trait::async_trait;
use quay_auth::cipher::FieldCipher;
use quay_auth::oauthflow::ClientApplication;
use quay_auth::secret::random_upper_alnum;
use quay_auth::Authorizer;
use quay_core::config::Config;
use quay_core::{Caller, DomainError, DomainResult};
use quay_logs::{LogKind, NewLogEntry};
use serde_json::{json, Value};

use crate::orgs::administered_org;
use crate::{Namespace, NamespaceStore};

const CLIENT_ID_LEN: usize = 20;
const CLIENT_SECRET_LEN: usize = 40;

/// What an administrator sets on an application.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ApplicationFields {
    pub name: String,
    pub description: String,
    pub application_uri: String,
    pub redirect_uri: String,
    pub avatar_email: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewApplication {
    pub org_id: i64,
    pub client_id: String,
    pub client_secret_sealed: String,
    pub fields: ApplicationFields,
}

/// Storage of applications (implemented by `quay-persistence`).
#[async_trait]
pub trait ApplicationStore: Send + Sync {
    /// The organization's applications, oldest first.
    async fn list_applications(&self, org_id: i64) -> DomainResult<Vec<ClientApplication>>;

    async fn find_application(&self, client_id: &str) -> DomainResult<Option<ClientApplication>>;

    async fn create_application(&self, app: NewApplication, log: NewLogEntry) -> DomainResult<()>;

    async fn update_application(
        &self,
        id: i64,
        fields: ApplicationFields,
        log: NewLogEntry,
    ) -> DomainResult<()>;

    async fn set_client_secret(
        &self,
        id: i64,
        sealed: String,
        log: NewLogEntry,
    ) -> DomainResult<()>;

    /// Deletes the application with its tokens and codes; writes `log`.
    async fn delete_application(&self, id: i64, log: NewLogEntry) -> DomainResult<()>;
}

/// An application as its organization's administrators see it.
#[derive(Debug, Clone, PartialEq)]
pub struct ApplicationDetails {
    pub application: ClientApplication,
    pub client_secret: Option<String>,
}

/// `GET /api/v1/app/{client_id}`: what anyone may learn about an application.
#[derive(Debug, Clone, PartialEq)]
pub struct PublicApplication {
    pub application: ClientApplication,
    pub organization: Namespace,
}

#[async_trait]
pub trait ApplicationService: Send + Sync {
    async fn list_applications(
        &self,
        caller: &Caller,
        orgname: &str,
    ) -> DomainResult<Vec<ApplicationDetails>>;

    async fn create_application(
        &self,
        caller: &Caller,
        orgname: &str,
        fields: ApplicationFields,
        request: Value,
    ) -> DomainResult<ApplicationDetails>;

    async fn get_application(
        &self,
        caller: &Caller,
        orgname: &str,
        client_id: &str,
    ) -> DomainResult<ApplicationDetails>;

    async fn update_application(
        &self,
        caller: &Caller,
        orgname: &str,
        client_id: &str,
        fields: ApplicationFields,
        request: Value,
    ) -> DomainResult<ApplicationDetails>;

    async fn delete_application(
        &self,
        caller: &Caller,
        orgname: &str,
        client_id: &str,
    ) -> DomainResult<()>;

    async fn reset_client_secret(
        &self,
        caller: &Caller,
        orgname: &str,
        client_id: &str,
    ) -> DomainResult<ApplicationDetails>;

    async fn public_application(&self, client_id: &str) -> DomainResult<PublicApplication>;
}

pub struct Applications {
    namespaces: Arc<dyn NamespaceStore>,
    store: Arc<dyn ApplicationStore>,
    cipher: FieldCipher,
    authz: Authorizer,
}

impl Applications {
    pub fn new(
        namespaces: Arc<dyn NamespaceStore>,
        store: Arc<dyn ApplicationStore>,
        cipher: FieldCipher,
        config: &Config,
    ) -> Self {
        Self {
            namespaces,
            store,
            cipher,
            authz: Authorizer::new(config),
        }
    }

    /// The application as an administrator (`admin`) or a global read-only superuser
    /// sees it: only administrators get the secret.
    fn details(
        &self,
        application: ClientApplication,
        admin: bool,
    ) -> DomainResult<ApplicationDetails> {
        let client_secret = application
            .client_secret_sealed
            .as_deref()
            .filter(|_| admin)
            .map(|s| self.cipher.decrypt(s))
            .transpose()?;
        Ok(ApplicationDetails {
            application,
            client_secret,
        })
    }

    /// The administered organization and its application `client_id`.
    /// The organization for reading its applications: (organization, is administrator).
    /// Global read-only superusers read every organization's applications, as in Quay.
    async fn readable_org(
        &self,
        caller: &Caller,
        orgname: &str,
    ) -> DomainResult<(Namespace, bool)> {
        match administered_org(&*self.namespaces, &self.authz, caller, orgname).await {
            Ok(org) => Ok((org, true)),
            Err(denied)
                if caller
                    .principal
                    .as_ref()
                    .is_some_and(|p| p.global_readonly_superuser) =>
            {
                let org = self
                    .namespaces
                    .find_namespace(orgname)
                    .await?
                    .filter(|n| n.organization)
                    .ok_or(denied)?;
                Ok((org, false))
            }
            Err(denied) => Err(denied),
        }
    }

    async fn find(
        &self,
        caller: &Caller,
        orgname: &str,
        client_id: &str,
    ) -> DomainResult<(Namespace, ClientApplication)> {
        let org = administered_org(&*self.namespaces, &self.authz, caller, orgname).await?;
        let app = self
            .store
            .find_application(client_id)
            .await?
            .filter(|a| a.org_id == org.id)
            .ok_or(DomainError::NotFound)?;
        Ok((org, app))
    }

    fn log(
        caller: &Caller,
        kind: LogKind,
        org: &Namespace,
        app_name: &str,
        client_id: &str,
        request: Option<Value>,
    ) -> NewLogEntry {
        let mut metadata = match request {
            Some(Value::Object(map)) => Value::Object(map),
            _ => json!({}),
        };
        metadata["application_name"] = json!(app_name);
        metadata["client_id"] = json!(client_id);
        NewLogEntry::new(kind, caller, Some(org.id), metadata)
    }
}

#[async_trait]
impl ApplicationService for Applications {
    async fn list_applications(
        &self,
        caller: &Caller,
        orgname: &str,
    ) -> DomainResult<Vec<ApplicationDetails>> {
        let (org, admin) = self.readable_org(caller, orgname).await?;
        self.store
            .list_applications(org.id)
            .await?
            .into_iter()
            .map(|a| self.details(a, admin))
            .collect()
    }

    async fn create_application(
        &self,
        caller: &Caller,
        orgname: &str,
        fields: ApplicationFields,
        request: Value,
    ) -> DomainResult<ApplicationDetails> {
        let org = administered_org(&*self.namespaces, &self.authz, caller, orgname).await?;
        let client_id = random_upper_alnum(CLIENT_ID_LEN);
        let log = Self::log(
            caller,
            LogKind::CreateApplication,
            &org,
            &fields.name,
            &client_id,
            Some(request),
        );
        self.store
            .create_application(
                NewApplication {
                    org_id: org.id,
                    client_id: client_id.clone(),
                    client_secret_sealed: self
                        .cipher
                        .encrypt(&random_upper_alnum(CLIENT_SECRET_LEN)),
                    fields,
                },
                log,
            )
            .await?;
        let app = self
            .store
            .find_application(&client_id)
            .await?
            .ok_or_else(|| DomainError::internal("application vanished after creation"))?;
        self.details(app, true)
    }

    async fn get_application(
        &self,
        caller: &Caller,
        orgname: &str,
        client_id: &str,
    ) -> DomainResult<ApplicationDetails> {
        let (org, admin) = self.readable_org(caller, orgname).await?;
        let app = self
            .store
            .find_application(client_id)
            .await?
            .filter(|a| a.org_id == org.id)
            .ok_or(DomainError::NotFound)?;
        self.details(app, admin)
    }

    async fn update_application(
        &self,
        caller: &Caller,
        orgname: &str,
        client_id: &str,
        fields: ApplicationFields,
        request: Value,
    ) -> DomainResult<ApplicationDetails> {
        let (org, app) = self.find(caller, orgname, client_id).await?;
        let log = Self::log(
            caller,
            LogKind::UpdateApplication,
            &org,
            &fields.name,
            client_id,
            Some(request),
        );
        self.store
            .update_application(app.id, fields.clone(), log)
            .await?;
        self.details(
            ClientApplication {
                name: fields.name,
                description: fields.description,
                application_uri: fields.application_uri,
                redirect_uri: fields.redirect_uri,
                avatar_email: fields.avatar_email,
                ..app
            },
            true,
        )
    }

    async fn delete_application(
        &self,
        caller: &Caller,
        orgname: &str,
        client_id: &str,
    ) -> DomainResult<()> {
        let (org, app) = self.find(caller, orgname, client_id).await?;
        let log = Self::log(
            caller,
            LogKind::DeleteApplication,
            &org,
            &app.name,
            client_id,
            None,
        );
        self.store.delete_application(app.id, log).await
    }

    async fn reset_client_secret(
        &self,
        caller: &Caller,
        orgname: &str,
        client_id: &str,
    ) -> DomainResult<ApplicationDetails> {
        let (org, app) = self.find(caller, orgname, client_id).await?;
        let log = Self::log(
            caller,
            LogKind::ResetApplicationClientSecret,
            &org,
            &app.name,
            client_id,
            None,
        );
        let secret = random_upper_alnum(CLIENT_SECRET_LEN);
        let sealed = self.cipher.encrypt(&secret);
        self.store
            .set_client_secret(app.id, sealed.clone(), log)
            .await?;
        Ok(ApplicationDetails {
            application: ClientApplication {
                client_secret_sealed: Some(sealed),
                ..app
            },
            client_secret: Some(secret),
        })
    }

    async fn public_application(&self, client_id: &str) -> DomainResult<PublicApplication> {
        let application = self
            .store
            .find_application(client_id)
            .await?
            .ok_or(DomainError::NotFound)?;
        let organization = self
            .namespaces
            .find_namespace(&application.org_name)
            .await?
            .filter(|n| n.organization)
            .ok_or(DomainError::NotFound)?;
        Ok(PublicApplication {
            application,
            organization,
        })
    }
}
