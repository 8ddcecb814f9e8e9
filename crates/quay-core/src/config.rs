//! Configuration with Quay's key names.
//!
//! Sources, later ones winning: built-in defaults, a YAML file (an existing Quay
//! `config.yaml` mostly works), then environment variables `QUAY_<KEY>` whose values are
//! parsed as YAML (`QUAY_SUPER_USERS='[admin]'`, `QUAY_FEATURE_ANONYMOUS_ACCESS=false`).
//! Keys we do not know are kept in [`Config::unknown`] and reported, never fatal.

use serde::Deserialize;
use serde_yaml::{Mapping, Value};
use std::collections::BTreeMap;

/// Where an override comes from in the process environment.
pub const ENV_PREFIX: &str = "QUAY_";

#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct Config {
    #[serde(rename = "SERVER_HOSTNAME", deserialize_with = "scalar_string")]
    pub server_hostname: String,
    #[serde(rename = "PREFERRED_URL_SCHEME", deserialize_with = "scalar_string")]
    pub preferred_url_scheme: String,
    /// `sqlite://...` or `postgresql://...`; unset means SQLite inside the data directory.
    #[serde(rename = "DB_URI", deserialize_with = "opt_scalar_string")]
    pub db_uri: Option<String>,
    /// Apply pending migrations when `serve` starts (ours; Quay runs Alembic separately).
    #[serde(rename = "DB_MIGRATE_ON_START")]
    pub db_migrate_on_start: bool,
    /// Signs session cookies and page tokens. Unset: a random key kept in the data directory.
    #[serde(rename = "SECRET_KEY", deserialize_with = "opt_scalar_string")]
    pub secret_key: Option<String>,
    /// Seals stored secrets the server reads back (robot tokens); falls back to the
    /// instance secret. Losing it makes those secrets unreadable.
    #[serde(rename = "DATABASE_SECRET_KEY", deserialize_with = "opt_scalar_string")]
    pub database_secret_key: Option<String>,
    #[serde(rename = "AUTHENTICATION_TYPE", deserialize_with = "scalar_string")]
    pub authentication_type: String,
    #[serde(rename = "REGISTRY_STATE", deserialize_with = "scalar_string")]
    pub registry_state: String,
    /// How long per-process caches of hot lookups (tokens, repository access) may serve
    /// an entry, in milliseconds; 0 disables them (ours).
    #[serde(rename = "CACHE_TTL_MS")]
    pub cache_ttl_ms: u64,

    #[serde(rename = "SUPER_USERS")]
    pub super_users: Vec<String>,
    #[serde(rename = "GLOBAL_READONLY_SUPER_USERS")]
    pub global_readonly_super_users: Vec<String>,
    #[serde(rename = "PUBLIC_NAMESPACES")]
    pub public_namespaces: Vec<String>,
    #[serde(rename = "LIBRARY_NAMESPACE", deserialize_with = "scalar_string")]
    pub library_namespace: String,
    #[serde(rename = "TAG_EXPIRATION_OPTIONS")]
    pub tag_expiration_options: Vec<String>,
    #[serde(rename = "DEFAULT_TAG_EXPIRATION", deserialize_with = "scalar_string")]
    pub default_tag_expiration: String,
    #[serde(rename = "CREATE_PRIVATE_REPO_ON_PUSH")]
    pub create_private_repo_on_push: bool,
    #[serde(rename = "CREATE_NAMESPACE_ON_PUSH")]
    pub create_namespace_on_push: bool,

    #[serde(rename = "FEATURE_USER_INITIALIZE")]
    pub feature_user_initialize: bool,
    #[serde(rename = "FEATURE_ANONYMOUS_ACCESS")]
    pub feature_anonymous_access: bool,
    #[serde(rename = "FEATURE_EXTENDED_REPOSITORY_NAMES")]
    pub feature_extended_repository_names: bool,
    #[serde(rename = "FEATURE_LIBRARY_SUPPORT")]
    pub feature_library_support: bool,
    #[serde(rename = "FEATURE_SUPER_USERS")]
    pub feature_super_users: bool,
    #[serde(rename = "FEATURE_SUPERUSERS_FULL_ACCESS")]
    pub feature_superusers_full_access: bool,
    #[serde(rename = "FEATURE_SUPERUSERS_ORG_CREATION_ONLY")]
    pub feature_superusers_org_creation_only: bool,
    /// Registry logins refuse plain passwords; users log in with a client key
    /// (`/api/v1/user/clientkey`) or a token.
    #[serde(rename = "FEATURE_REQUIRE_ENCRYPTED_BASIC_AUTH")]
    pub feature_require_encrypted_basic_auth: bool,
    /// Users may change their username (`PUT /api/v1/user/`).
    #[serde(rename = "FEATURE_USER_RENAME")]
    pub feature_user_rename: bool,
    #[serde(rename = "FEATURE_MAILING")]
    pub feature_mailing: bool,
    /// With `FEATURE_MAILING`, adding a non-member to a team invites them instead.
    #[serde(rename = "FEATURE_REQUIRE_TEAM_INVITE")]
    pub feature_require_team_invite: bool,
    /// Team syncing endpoints exist (they need a federated authentication backend).
    #[serde(rename = "FEATURE_TEAM_SYNCING")]
    pub feature_team_syncing: bool,
    /// Entity search (`/api/v1/entities`) completes user names from a prefix; without
    /// it, only an exact name finds a user.
    #[serde(rename = "FEATURE_PARTIAL_USER_AUTOCOMPLETE")]
    pub feature_partial_user_autocomplete: bool,
    /// Organization admins who are not superusers may set up team syncing.
    #[serde(rename = "FEATURE_NONSUPERUSER_TEAM_SYNCING_SETUP")]
    pub feature_nonsuperuser_team_syncing_setup: bool,
    #[serde(rename = "FEATURE_CHANGE_TAG_EXPIRATION")]
    pub feature_change_tag_expiration: bool,
    #[serde(rename = "FEATURE_USER_CREATION")]
    pub feature_user_creation: bool,
    #[serde(rename = "FEATURE_DIRECT_LOGIN")]
    pub feature_direct_login: bool,
    /// How recent a session's password entry must be for sensitive changes (`10m`).
    #[serde(rename = "FRESH_LOGIN_TIMEOUT", deserialize_with = "scalar_string")]
    pub fresh_login_timeout: String,
    /// Lifetime of a browser session (`31d`).
    #[serde(rename = "SESSION_TIMEOUT", deserialize_with = "scalar_string")]
    pub session_timeout: String,
    #[serde(rename = "FEATURE_APP_SPECIFIC_TOKENS")]
    pub feature_app_specific_tokens: bool,
    /// Lifetime of new app-specific tokens (`30d`, ...); unset: they never expire.
    #[serde(
        rename = "APP_SPECIFIC_TOKEN_EXPIRATION",
        deserialize_with = "opt_scalar_string"
    )]
    pub app_specific_token_expiration: Option<String>,
    /// Storage locations: name → `[driver, {params}]` (`LocalStorage`, `S3Storage`,
    /// `RadosGWStorage`). Unset: the local filesystem under the data directory.
    #[serde(rename = "DISTRIBUTED_STORAGE_CONFIG")]
    pub distributed_storage_config: Option<serde_json::Map<String, serde_json::Value>>,
    /// Location names in order of preference; the first is where blobs go.
    #[serde(rename = "DISTRIBUTED_STORAGE_PREFERENCE")]
    pub distributed_storage_preference: Vec<String>,
    /// Blob downloads stream through the server even where storage could serve them
    /// itself (a signed S3 URL, to which a `GET` is otherwise redirected).
    #[serde(rename = "FEATURE_PROXY_STORAGE")]
    pub feature_proxy_storage: bool,
    /// `/v2/_catalog` lists public repositories too, to anyone (Quay's default: off).
    #[serde(rename = "FEATURE_PUBLIC_CATALOG")]
    pub feature_public_catalog: bool,
    /// Page size of `/v2/_catalog` and `/v2/.../tags/list` when the client does not ask
    /// for one, and the most it may ask for.
    #[serde(rename = "V2_PAGINATION_SIZE")]
    pub v2_pagination_size: u64,
    /// How long a manifest pushed by digest stays without a tag or a parent index
    /// before it is gone (seconds). Artifacts with a `subject` stay until deleted.
    #[serde(rename = "PUSH_TEMP_TAG_EXPIRATION_SEC")]
    pub push_temp_tag_expiration_sec: u64,
    /// The shortest and longest expiry a tag can be given after its start (`1h`, `104w`).
    #[serde(
        rename = "LABELED_EXPIRATION_MINIMUM",
        deserialize_with = "scalar_string"
    )]
    pub labeled_expiration_minimum: String,
    #[serde(
        rename = "LABELED_EXPIRATION_MAXIMUM",
        deserialize_with = "scalar_string"
    )]
    pub labeled_expiration_maximum: String,
    /// `GET .../manifest/{manifestref}/security` exists. No scanner (Clair) is wired
    /// up yet, so it answers as Quay does without one.
    #[serde(rename = "FEATURE_SECURITY_SCANNER")]
    pub feature_security_scanner: bool,
    /// `POST .../tag/{tag}/expire` takes tags out of the time machine at once.
    #[serde(rename = "PERMANENTLY_DELETE_TAGS")]
    pub permanently_delete_tags: bool,
    /// Run the garbage collector in the server (Quay's `FEATURE_GARBAGE_COLLECTION`).
    #[serde(rename = "FEATURE_GARBAGE_COLLECTION")]
    pub feature_garbage_collection: bool,
    /// Seconds between collections.
    #[serde(rename = "GARBAGE_COLLECTION_FREQUENCY")]
    pub garbage_collection_frequency: u64,
    /// Seconds after which an upload not advanced is abandoned, its chunks deleted
    /// (Quay's blob upload cleanup: two days).
    #[serde(rename = "BLOB_UPLOAD_MAX_AGE_SEC")]
    pub blob_upload_max_age_sec: u64,
    /// Namespace and repository auto-prune policies: their endpoints and the worker.
    #[serde(rename = "FEATURE_AUTO_PRUNE")]
    pub feature_auto_prune: bool,
    /// The usage-log aggregates (`.../aggregatelogs`).
    #[serde(rename = "FEATURE_AGGREGATED_LOG_COUNT_RETRIEVAL")]
    pub feature_aggregated_log_count_retrieval: bool,
    /// Usage-log exports (`.../exportlogs`).
    #[serde(rename = "FEATURE_LOG_EXPORT")]
    pub feature_log_export: bool,
    /// Seconds between two passes of the auto-prune worker.
    #[serde(rename = "AUTO_PRUNING_POLL_PERIOD")]
    pub auto_pruning_poll_period: u64,
    /// How many tags the auto-prune worker deletes per transaction (at most 1000).
    #[serde(rename = "AUTOPRUNE_FETCH_TAGS_PAGE_LIMIT")]
    pub autoprune_fetch_tags_page_limit: u64,
    /// The SMTP server that e-mail notifications go through; unset: none are sent.
    #[serde(rename = "MAIL_SERVER", deserialize_with = "scalar_string")]
    pub mail_server: String,
    #[serde(rename = "MAIL_PORT")]
    pub mail_port: u16,
    /// STARTTLS before authenticating and sending.
    #[serde(rename = "MAIL_USE_TLS")]
    pub mail_use_tls: bool,
    #[serde(rename = "MAIL_USERNAME", deserialize_with = "opt_scalar_string")]
    pub mail_username: Option<String>,
    #[serde(rename = "MAIL_PASSWORD", deserialize_with = "opt_scalar_string")]
    pub mail_password: Option<String>,
    #[serde(rename = "MAIL_DEFAULT_SENDER", deserialize_with = "scalar_string")]
    pub mail_default_sender: String,
    /// Seconds one notification delivery (webhook, Slack, e-mail) may take.
    #[serde(rename = "NOTIFICATION_SEND_TIMEOUT")]
    pub notification_send_timeout: u64,
    /// Host names webhooks may not be sent to, besides Quay's `localhost` and `127.0.0.1`.
    #[serde(rename = "WEBHOOK_HOSTNAME_BLACKLIST")]
    pub webhook_hostname_blacklist: Vec<String>,
    /// Lets webhooks go to `localhost` and `127.0.0.1` (ours, off: Quay never allows
    /// them; for development setups and tests with a receiver on the same machine).
    #[serde(rename = "WEBHOOK_ALLOW_LOCALHOST")]
    pub webhook_allow_localhost: bool,

    /// Keys present in the sources that this version does not use.
    #[serde(skip)]
    pub unknown: Vec<String>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            server_hostname: "localhost:8080".into(),
            preferred_url_scheme: "http".into(),
            db_uri: None,
            db_migrate_on_start: true,
            secret_key: None,
            database_secret_key: None,
            authentication_type: "Database".into(),
            registry_state: "normal".into(),
            cache_ttl_ms: 2000,
            super_users: Vec::new(),
            global_readonly_super_users: Vec::new(),
            public_namespaces: Vec::new(),
            library_namespace: "library".into(),
            tag_expiration_options: ["0s", "1d", "1w", "2w", "4w"].map(String::from).to_vec(),
            default_tag_expiration: "2w".into(),
            create_private_repo_on_push: true,
            create_namespace_on_push: false,
            // Quay defaults this to false; we turn it on so that a fresh install can create
            // its first user with one call. It only ever works on an empty database.
            feature_user_initialize: true,
            feature_anonymous_access: true,
            feature_extended_repository_names: true,
            feature_library_support: true,
            feature_super_users: true,
            feature_superusers_full_access: false,
            feature_superusers_org_creation_only: false,
            feature_user_rename: false,
            feature_require_encrypted_basic_auth: false,
            // Quay defaults to true, which makes an e-mail address mandatory for users and
            // organizations; with no mail server configured that only gets in the way.
            feature_mailing: false,
            feature_require_team_invite: true,
            feature_team_syncing: false,
            feature_partial_user_autocomplete: true,
            feature_nonsuperuser_team_syncing_setup: false,
            feature_change_tag_expiration: true,
            feature_user_creation: true,
            feature_direct_login: true,
            fresh_login_timeout: "10m".into(),
            session_timeout: "31d".into(),
            feature_app_specific_tokens: true,
            app_specific_token_expiration: None,
            distributed_storage_config: None,
            distributed_storage_preference: Vec::new(),
            feature_proxy_storage: false,
            feature_public_catalog: false,
            v2_pagination_size: 100,
            push_temp_tag_expiration_sec: 3600,
            labeled_expiration_minimum: "1h".into(),
            labeled_expiration_maximum: "104w".into(),
            permanently_delete_tags: true,
            feature_garbage_collection: true,
            garbage_collection_frequency: 30,
            blob_upload_max_age_sec: 2 * 24 * 3600,
            feature_security_scanner: false,
            feature_auto_prune: false,
            feature_aggregated_log_count_retrieval: true,
            feature_log_export: true,
            auto_pruning_poll_period: 30,
            autoprune_fetch_tags_page_limit: 100,
            mail_server: String::new(),
            mail_port: 587,
            mail_use_tls: true,
            mail_username: None,
            mail_password: None,
            mail_default_sender: "example@projectquay.io".into(),
            notification_send_timeout: 10,
            webhook_hostname_blacklist: Vec::new(),
            webhook_allow_localhost: false,
            unknown: Vec::new(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("config file is not valid YAML: {0}")]
    Yaml(String),
    #[error("config file must be a YAML mapping of keys to values")]
    NotAMapping,
    #[error("environment variable {var}: {msg}")]
    Env { var: String, msg: String },
    #[error("invalid configuration: {0}")]
    Invalid(String),
}

/// Every key [`Config`] reads, for telling known keys from unknown ones.
const KNOWN_KEYS: &[&str] = &[
    "LABELED_EXPIRATION_MINIMUM",
    "LABELED_EXPIRATION_MAXIMUM",
    "PERMANENTLY_DELETE_TAGS",
    "FEATURE_GARBAGE_COLLECTION",
    "GARBAGE_COLLECTION_FREQUENCY",
    "BLOB_UPLOAD_MAX_AGE_SEC",
    "FEATURE_SECURITY_SCANNER",
    "FEATURE_AUTO_PRUNE",
    "FEATURE_AGGREGATED_LOG_COUNT_RETRIEVAL",
    "FEATURE_LOG_EXPORT",
    "AUTO_PRUNING_POLL_PERIOD",
    "AUTOPRUNE_FETCH_TAGS_PAGE_LIMIT",
    "MAIL_SERVER",
    "MAIL_PORT",
    "MAIL_USE_TLS",
    "MAIL_USERNAME",
    "MAIL_PASSWORD",
    "MAIL_DEFAULT_SENDER",
    "NOTIFICATION_SEND_TIMEOUT",
    "WEBHOOK_HOSTNAME_BLACKLIST",
    "WEBHOOK_ALLOW_LOCALHOST",
    "SERVER_HOSTNAME",
    "PREFERRED_URL_SCHEME",
    "DB_URI",
    "DB_MIGRATE_ON_START",
    "SECRET_KEY",
    "DATABASE_SECRET_KEY",
    "AUTHENTICATION_TYPE",
    "REGISTRY_STATE",
    "CACHE_TTL_MS",
    "SUPER_USERS",
    "GLOBAL_READONLY_SUPER_USERS",
    "PUBLIC_NAMESPACES",
    "LIBRARY_NAMESPACE",
    "TAG_EXPIRATION_OPTIONS",
    "DEFAULT_TAG_EXPIRATION",
    "CREATE_PRIVATE_REPO_ON_PUSH",
    "CREATE_NAMESPACE_ON_PUSH",
    "FEATURE_USER_INITIALIZE",
    "FEATURE_ANONYMOUS_ACCESS",
    "FEATURE_EXTENDED_REPOSITORY_NAMES",
    "FEATURE_LIBRARY_SUPPORT",
    "FEATURE_SUPER_USERS",
    "FEATURE_SUPERUSERS_FULL_ACCESS",
    "FEATURE_SUPERUSERS_ORG_CREATION_ONLY",
    "FEATURE_USER_RENAME",
    "FEATURE_REQUIRE_ENCRYPTED_BASIC_AUTH",
    "FEATURE_MAILING",
    "FEATURE_REQUIRE_TEAM_INVITE",
    "FEATURE_TEAM_SYNCING",
    "FEATURE_PARTIAL_USER_AUTOCOMPLETE",
    "FEATURE_NONSUPERUSER_TEAM_SYNCING_SETUP",
    "FEATURE_CHANGE_TAG_EXPIRATION",
    "FEATURE_APP_SPECIFIC_TOKENS",
    "FEATURE_DIRECT_LOGIN",
    "FEATURE_USER_CREATION",
    "FRESH_LOGIN_TIMEOUT",
    "SESSION_TIMEOUT",
    "APP_SPECIFIC_TOKEN_EXPIRATION",
    "DISTRIBUTED_STORAGE_CONFIG",
    "DISTRIBUTED_STORAGE_PREFERENCE",
    "FEATURE_PROXY_STORAGE",
    "FEATURE_PUBLIC_CATALOG",
    "V2_PAGINATION_SIZE",
    "PUSH_TEMP_TAG_EXPIRATION_SEC",
];

impl Config {
    /// Whether the server may send a request of its own (a webhook, a log export's
    /// callback) to `host`, the host of an already parsed URL: never to Quay's
    /// `localhost` and `127.0.0.1` (nor `::1`) unless `WEBHOOK_ALLOW_LOCALHOST`, never
    /// to a `WEBHOOK_HOSTNAME_BLACKLIST` name. A parsed host, so `127.1` or `LOCALHOST.`
    /// arrive here as the names they stand for.
    pub fn outbound_host_allowed(&self, host: &str) -> bool {
        let host = host
            .trim_end_matches('.')
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_ascii_lowercase();
        let loopback = ["localhost", "127.0.0.1", "::1"].contains(&host.as_str());
        let blocked = (loopback && !self.webhook_allow_localhost)
            || self
                .webhook_hostname_blacklist
                .iter()
                .any(|b| b.eq_ignore_ascii_case(&host));
        !blocked
    }

    /// Builds the configuration from an optional YAML document and environment pairs.
    /// Only variables starting with `QUAY_` are looked at; a value that is not valid
    /// YAML is taken as a plain string.
    pub fn load(
        yaml: Option<&str>,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Config, ConfigError> {
        let mut map = match yaml {
            Some(text) if !text.trim().is_empty() => {
                match serde_yaml::from_str::<Value>(text)
                    .map_err(|e| ConfigError::Yaml(e.to_string()))?
                {
                    Value::Mapping(m) => m,
                    Value::Null => Mapping::new(),
                    _ => return Err(ConfigError::NotAMapping),
                }
            }
            _ => Mapping::new(),
        };
        let mut env: BTreeMap<String, String> = env
            .into_iter()
            .filter(|(k, _)| k.starts_with(ENV_PREFIX) && k.len() > ENV_PREFIX.len())
            .collect();
        // Variables of the test harness and of tools are not configuration keys.
        env.retain(|k, _| !k.starts_with("QUAY_TEST_"));
        for (var, raw) in env {
            let key = var[ENV_PREFIX.len()..].to_string();
            let value = serde_yaml::from_str::<Value>(&raw).unwrap_or(Value::String(raw.clone()));
            // An empty variable means "unset", as `QUAY_DB_URI=` in a shell would.
            let value = if raw.is_empty() { Value::Null } else { value };
            map.insert(Value::String(key), value);
        }
        let unknown: Vec<String> = map
            .keys()
            .filter_map(Value::as_str)
            .filter(|k| !KNOWN_KEYS.contains(k))
            .map(String::from)
            .collect();
        // Nulls fall back to defaults rather than failing the typed fields.
        map.retain(|_, v| !v.is_null());
        let mut config: Config = serde_yaml::from_value(Value::Mapping(map))
            .map_err(|e| ConfigError::Invalid(e.to_string()))?;
        config.unknown = unknown;
        config.validate()?;
        Ok(config)
    }

    fn validate(&self) -> Result<(), ConfigError> {
        if !matches!(self.preferred_url_scheme.as_str(), "http" | "https") {
            return Err(ConfigError::Invalid(
                "PREFERRED_URL_SCHEME must be http or https".into(),
            ));
        }
        if self.server_hostname.is_empty() {
            return Err(ConfigError::Invalid(
                "SERVER_HOSTNAME must not be empty".into(),
            ));
        }
        if self.distributed_storage_config.is_some() && self.storage_location().is_none() {
            return Err(ConfigError::Invalid(
                "DISTRIBUTED_STORAGE_CONFIG: expected {location: [driver, {params}]}".into(),
            ));
        }
        for opt in &self.tag_expiration_options {
            parse_duration(opt).ok_or_else(|| {
                ConfigError::Invalid(format!("TAG_EXPIRATION_OPTIONS: invalid duration {opt:?}"))
            })?;
        }
        parse_duration(&self.default_tag_expiration).ok_or_else(|| {
            ConfigError::Invalid("DEFAULT_TAG_EXPIRATION: invalid duration".into())
        })?;
        for (key, value) in [
            ("FRESH_LOGIN_TIMEOUT", &self.fresh_login_timeout),
            ("SESSION_TIMEOUT", &self.session_timeout),
            (
                "LABELED_EXPIRATION_MINIMUM",
                &self.labeled_expiration_minimum,
            ),
            (
                "LABELED_EXPIRATION_MAXIMUM",
                &self.labeled_expiration_maximum,
            ),
        ] {
            parse_duration(value).ok_or_else(|| {
                ConfigError::Invalid(format!("{key}: invalid duration {value:?}"))
            })?;
        }
        if let Some(exp) = &self.app_specific_token_expiration {
            parse_duration(exp).ok_or_else(|| {
                ConfigError::Invalid(format!(
                    "APP_SPECIFIC_TOKEN_EXPIRATION: invalid duration {exp:?}"
                ))
            })?;
        }
        if self.auto_pruning_poll_period == 0 || self.autoprune_fetch_tags_page_limit == 0 {
            return Err(ConfigError::Invalid(
                "AUTO_PRUNING_POLL_PERIOD and AUTOPRUNE_FETCH_TAGS_PAGE_LIMIT must be positive"
                    .into(),
            ));
        }
        if !matches!(self.registry_state.as_str(), "normal" | "readonly") {
            return Err(ConfigError::Invalid(
                "REGISTRY_STATE must be normal or readonly".into(),
            ));
        }
        if self.authentication_type != "Database" {
            return Err(ConfigError::Invalid(format!(
                "AUTHENTICATION_TYPE {} is not supported (only Database)",
                self.authentication_type
            )));
        }
        Ok(())
    }

    /// `<scheme>://<hostname>`, the base of URLs Quay puts in bodies and headers.
    /// The storage location blobs are written to: `(driver, params)` of the first
    /// preferred location (or the only one); `None` when none is configured.
    pub fn storage_location(&self) -> Option<(String, serde_json::Value)> {
        let locations = self.distributed_storage_config.as_ref()?;
        let name = self
            .distributed_storage_preference
            .iter()
            .find(|n| locations.contains_key(*n))
            .or_else(|| locations.keys().next())?;
        let entry = locations.get(name)?.as_array()?;
        let driver = entry.first()?.as_str()?.to_string();
        let params = entry.get(1).cloned().unwrap_or(serde_json::Value::Null);
        Some((driver, params))
    }

    pub fn base_url(&self) -> String {
        format!("{}://{}", self.preferred_url_scheme, self.server_hostname)
    }

    pub fn is_superuser(&self, username: &str) -> bool {
        self.feature_super_users && self.super_users.iter().any(|u| u == username)
    }

    pub fn is_global_readonly_superuser(&self, username: &str) -> bool {
        self.global_readonly_super_users
            .iter()
            .any(|u| u == username)
    }

    /// The allowed values of a namespace's `tag_expiration_s`, in seconds.
    pub fn tag_expiration_seconds(&self) -> Vec<i64> {
        self.tag_expiration_options
            .iter()
            .filter_map(|o| parse_duration(o))
            .collect()
    }

    pub fn default_tag_expiration_seconds(&self) -> i64 {
        parse_duration(&self.default_tag_expiration).unwrap_or(1_209_600)
    }

    pub fn library_namespace(&self) -> Option<&str> {
        self.feature_library_support
            .then_some(self.library_namespace.as_str())
    }

    /// The bounds (seconds after a tag's start) its expiry is clamped to.
    pub fn labeled_expiration_bounds(&self) -> (i64, i64) {
        (
            parse_duration(&self.labeled_expiration_minimum).unwrap_or(3600),
            parse_duration(&self.labeled_expiration_maximum).unwrap_or(104 * 604_800),
        )
    }

    /// Lifetime of new app-specific tokens in seconds; `None`: no expiry.
    pub fn app_specific_token_expiration_seconds(&self) -> Option<i64> {
        self.app_specific_token_expiration
            .as_deref()
            .and_then(parse_duration)
    }

    pub fn fresh_login_timeout_seconds(&self) -> i64 {
        parse_duration(&self.fresh_login_timeout).unwrap_or(600)
    }

    pub fn session_timeout_seconds(&self) -> i64 {
        parse_duration(&self.session_timeout).unwrap_or(31 * 86_400)
    }

    pub fn cache_ttl(&self) -> std::time::Duration {
        std::time::Duration::from_millis(self.cache_ttl_ms)
    }

    pub fn is_readonly(&self) -> bool {
        self.registry_state == "readonly"
    }
}

/// Environment values are parsed as YAML, so `QUAY_SECRET_KEY=12345` arrives as a number;
/// a string-typed key takes any scalar as its text.
fn scalar_string<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    match Value::deserialize(d)? {
        Value::String(s) => Ok(s),
        Value::Number(n) => Ok(n.to_string()),
        Value::Bool(b) => Ok(b.to_string()),
        other => Err(serde::de::Error::custom(format!(
            "expected a string, got {other:?}"
        ))),
    }
}

fn opt_scalar_string<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    scalar_string(d).map(Some)
}

/// Parses Quay's duration strings (`30s`, `5m`, `2h`, `1d`, `2w`) into seconds.
pub fn parse_duration(s: &str) -> Option<i64> {
    let s = s.trim();
    let unit = s.chars().last()?;
    let n: i64 = s[..s.len() - unit.len_utf8()].parse().ok()?;
    let mult = match unit {
        's' => 1,
        'm' => 60,
        'h' => 3600,
        'd' => 86_400,
        'w' => 604_800,
        _ => return None,
    };
    (n >= 0).then(|| n.checked_mul(mult)).flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn defaults_need_no_file() {
        let c = Config::load(None, env(&[])).unwrap();
        assert_eq!(c.server_hostname, "localhost:8080");
        assert!(c.feature_anonymous_access);
        assert_eq!(
            c.tag_expiration_seconds(),
            vec![0, 86_400, 604_800, 1_209_600, 2_419_200]
        );
        assert!(c.unknown.is_empty());
    }

    #[test]
    fn file_then_env_with_yaml_values() {
        let yaml = "SERVER_HOSTNAME: quay.example.com\nSUPER_USERS: [alice]\nFOO_BAR: 1\n";
        let c = Config::load(
            Some(yaml),
            env(&[
                ("QUAY_SUPER_USERS", "[admin, bob]"),
                ("QUAY_SERVER_HOSTNAME", "localhost:8080"),
                ("QUAY_FEATURE_ANONYMOUS_ACCESS", "false"),
                ("QUAY_TEST_DATABASE_URL", "postgres://x"),
                ("HOME", "/root"),
            ]),
        )
        .unwrap();
        assert_eq!(c.super_users, vec!["admin", "bob"]);
        assert_eq!(c.server_hostname, "localhost:8080");
        assert!(!c.feature_anonymous_access);
        assert_eq!(c.unknown, vec!["FOO_BAR"]);
        assert!(c.is_superuser("bob") && !c.is_superuser("alice"));
        let c = Config::load(None, env(&[("QUAY_SECRET_KEY", "12345")])).unwrap();
        assert_eq!(c.secret_key.as_deref(), Some("12345"));
    }

    #[test]
    fn bad_values_are_reported() {
        assert!(matches!(
            Config::load(Some("- a\n- b\n"), env(&[])),
            Err(ConfigError::NotAMapping)
        ));
        assert!(Config::load(Some("SUPER_USERS: 5\n"), env(&[])).is_err());
        assert!(Config::load(None, env(&[("QUAY_TAG_EXPIRATION_OPTIONS", "[2x]")])).is_err());
        assert!(Config::load(None, env(&[("QUAY_PREFERRED_URL_SCHEME", "ftp")])).is_err());
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("2w"), Some(1_209_600));
        assert_eq!(parse_duration("0s"), Some(0));
        assert_eq!(parse_duration("90m"), Some(5400));
        assert_eq!(parse_duration("x"), None);
        assert_eq!(parse_duration("-1d"), None);
    }
}
