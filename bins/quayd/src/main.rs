//! `quayd`: the one binary of the registry.
//!
//! - `quayd [serve]` (default): migrate (unless `DB_MIGRATE_ON_START: false`) and serve
//!   on `--bind` (127.0.0.1:8080) until SIGTERM or ctrl-c, finishing requests in flight;
//! - `quayd migrate`: apply pending migrations;
//! - `quayd config check`: validate the configuration and list keys it does not use;
//! - `quayd fixtures load <set> [--reset]`: build a named data set (`fixtures/`) in an
//!   empty database.
//!
//! Configuration: `--config FILE` (Quay's YAML keys), overridden by `QUAY_<KEY>`
//! environment variables; without `DB_URI`, SQLite in `--data-dir` (`./quay-data`).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use actix_web::web::Data;
use actix_web::HttpServer;
use clap::{Parser, Subcommand};
use quay_core::config::Config;
use quay_persistence::Database;
use tracing_subscriber::EnvFilter;

use quay_fixtures as fixtures;

#[derive(Parser)]
#[command(
    name = "quayd",
    version,
    about = "A Quay-compatible container registry"
)]
struct Cli {
    /// YAML configuration file with Quay's keys.
    #[arg(long, global = true, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Directory for the SQLite database and local data.
    #[arg(long, global = true, value_name = "DIR", default_value = "./quay-data")]
    data_dir: PathBuf,
    /// Address to listen on.
    #[arg(
        long,
        global = true,
        value_name = "ADDR:PORT",
        default_value = "127.0.0.1:8080"
    )]
    bind: String,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the API (the default).
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Configuration commands.
    Config {
        #[command(subcommand)]
        action: ConfigAction,
    },
    /// Named data sets for tests and demos.
    Fixtures {
        #[command(subcommand)]
        action: FixturesAction,
    },
}

#[derive(Subcommand)]
enum FixturesAction {
    /// Build a data set (`quay-test`: Quay's test database) in an empty database.
    Load {
        /// The set's name.
        set: String,
        /// Empty a non-empty database first (everything in it is lost).
        #[arg(long)]
        reset: bool,
    },
}

#[derive(Subcommand)]
enum ConfigAction {
    /// Validate the configuration and report keys this version does not use.
    Check,
}

fn load_config(cli: &Cli) -> Result<Config, String> {
    let text = match &cli.config {
        Some(path) => Some(
            std::fs::read_to_string(path)
                .map_err(|e| format!("cannot read {}: {e}", path.display()))?,
        ),
        None => None,
    };
    Config::load(text.as_deref(), std::env::vars()).map_err(|e| e.to_string())
}

fn database_url(config: &Config, data_dir: &Path) -> String {
    match &config.db_uri {
        Some(uri) => uri.clone(),
        None => format!("sqlite://{}?mode=rwc", data_dir.join("quay.db").display()),
    }
}

/// The key that signs page tokens: `SECRET_KEY`, or one generated once and kept in the
/// data directory (replicas sharing a database must configure `SECRET_KEY`).
fn secret(config: &Config, data_dir: &Path) -> Result<Vec<u8>, String> {
    if let Some(key) = &config.secret_key {
        return Ok(key.as_bytes().to_vec());
    }
    let path = data_dir.join("secret.key");
    if let Ok(existing) = std::fs::read_to_string(&path) {
        return Ok(existing.trim().as_bytes().to_vec());
    }
    let key = hex::encode(rand::random::<[u8; 32]>());
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&path)
        .map_err(|e| format!("cannot create {}: {e}", path.display()))?;
    file.write_all(key.as_bytes()).map_err(|e| e.to_string())?;
    Ok(key.into_bytes())
}

/// The key that signs registry tokens, kept in the data directory so tokens survive a
/// restart; generated on first start. Each replica has its own and registers it.
fn instance_key(data_dir: &Path) -> Result<quay_auth::registry_token::InstanceKey, String> {
    use quay_auth::registry_token::InstanceKey;
    let path = data_dir.join("instance_key.pem");
    if let Ok(pem) = std::fs::read_to_string(&path) {
        return InstanceKey::from_pem(&pem).map_err(|e| format!("{}: {e}", path.display()));
    }
    let key = InstanceKey::generate().map_err(|e| e.to_string())?;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options
        .open(&path)
        .map_err(|e| format!("cannot create {}: {e}", path.display()))?;
    file.write_all(key.pem().as_bytes())
        .map_err(|e| e.to_string())?;
    Ok(key)
}

async fn connect(config: &Config, data_dir: &Path) -> Result<Database, String> {
    std::fs::create_dir_all(data_dir)
        .map_err(|e| format!("cannot create data directory {}: {e}", data_dir.display()))?;
    Database::connect(&database_url(config, data_dir))
        .await
        .map_err(|e| format!("cannot connect to the database: {e}"))
}

async fn serve(cli: &Cli, config: Config) -> Result<(), String> {
    let db = connect(&config, &cli.data_dir).await?;
    if config.db_migrate_on_start {
        db.migrate()
            .await
            .map_err(|e| format!("migration failed: {e}"))?;
    } else {
        let pending = db.pending_migrations().await.map_err(|e| e.to_string())?;
        if !pending.is_empty() {
            return Err(format!(
                "{} migrations pending; run `quayd migrate`",
                pending.len()
            ));
        }
    }
    for key in &config.unknown {
        tracing::warn!(key, "configuration key not used by this version");
    }
    let secret = secret(&config, &cli.data_dir)?;
    let empty = !quay_persistence::has_users(&db)
        .await
        .map_err(|e| e.to_string())?;
    let base = config.base_url();
    let initialize = config.feature_user_initialize;
    let storage = quay_storage::BlobStore::for_server(config.storage_location(), &cli.data_dir)
        .map_err(|e| format!("cannot open blob storage: {e}"))?;
    let state = Data::new(
        quay_http::AppState::new(config, db, &secret, Some(cli.data_dir.clone()))
            .with_storage(storage),
    );
    state
        .registry_tokens
        .use_key(instance_key(&cli.data_dir)?)
        .await
        .map_err(|e| format!("cannot register the instance key: {e}"))?;
    let tokens = state.registry_tokens.clone();
    tokio::spawn(async move {
        let every = std::time::Duration::from_secs(quay_auth::registry_token::KEY_REFRESH_SECS);
        loop {
            tokio::time::sleep(every).await;
            if let Err(e) = tokens.refresh_registration().await {
                tracing::error!(error = %e, "renewing the instance key registration failed");
            }
        }
    });
    if state.config.feature_garbage_collection {
        let every =
            std::time::Duration::from_secs(state.config.garbage_collection_frequency.max(1));
        tokio::spawn(state.garbage_collector().run_every(every));
    }
    // Quay's autopruneworker: only with the feature, every `AUTO_PRUNING_POLL_PERIOD`.
    if state.config.feature_auto_prune {
        let pruner = state.autopruner.clone();
        let every = std::time::Duration::from_secs(state.config.auto_pruning_poll_period);
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(every).await;
                match pruner.run_once().await {
                    Ok(report) if report.pruned > 0 => tracing::info!(
                        repositories = report.repositories,
                        pruned = report.pruned,
                        "auto-prune pass"
                    ),
                    Ok(_) => {}
                    Err(e) => tracing::error!(error = %e, "auto-prune pass failed"),
                }
            }
        });
    }
    // Quay's notificationworker: delivers what events queued, every 10 s.
    tokio::spawn(
        state
            .notification_worker
            .clone()
            .run_every(quay_notify::POLL_PERIOD),
    );
    let server = HttpServer::new(move || quay_http::app(state.clone()))
        // A streamed response is written as headers, then body pieces: with Nagle's
        // algorithm a small blob's body waits for the client's delayed ACK (~40 ms).
        .on_connect(|conn, _| {
            if let Some(tcp) = conn.downcast_ref::<actix_web::rt::net::TcpStream>() {
                let _ = tcp.set_nodelay(true);
            }
        })
        .bind(&cli.bind)
        .map_err(|e| format!("cannot listen on {}: {e}", cli.bind))?
        .shutdown_timeout(30)
        .run();
    tracing::info!(bind = %cli.bind, url = %base, "quayd is serving");
    println!("quayd listening on http://{}", cli.bind);
    if empty && initialize {
        println!(
            "No users yet. Create the first one (it gets an OAuth token with every scope):\n  \
             curl -s -X POST http://{}/api/v1/user/initialize -H 'Content-Type: application/json' \\\n    \
             -d '{{\"username\": \"admin\", \"password\": \"<8+ characters>\", \"email\": \"admin@example.com\", \"access_token\": true}}'",
            cli.bind
        );
    }
    server.await.map_err(|e| e.to_string())
}

async fn load_fixtures(cli: &Cli, config: Config, set: &str, reset: bool) -> Result<(), String> {
    let text = fixtures::data(set).ok_or_else(|| format!("no fixture set named {set}"))?;
    let db = connect(&config, &cli.data_dir).await?;
    db.migrate()
        .await
        .map_err(|e| format!("migration failed: {e}"))?;
    let store = quay_persistence::SqlStore::new(db.clone());
    let occupied = quay_orgs::NamespaceStore::has_namespaces(&store)
        .await
        .map_err(|e| e.to_string())?;
    if occupied {
        if !reset {
            return Err("the database is not empty; pass --reset to empty it first".into());
        }
        db.reset().await.map_err(|e| format!("reset failed: {e}"))?;
    }
    let secret = secret(&config, &cli.data_dir)?;
    let state = quay_http::AppState::new(config, db, &secret, Some(cli.data_dir.clone()));
    let loaded = fixtures::load(&state, text).await?;
    println!(
        "loaded {set}: {} users, {} organizations, {} teams, {} repositories, {} auto-prune \
         policies (password: {})",
        loaded.users,
        loaded.organizations,
        loaded.teams,
        loaded.repositories,
        loaded.autoprune_policies,
        fixtures::PASSWORD
    );
    Ok(())
}

#[actix_web::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let config = match load_config(&cli) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let result = match &cli.command {
        None | Some(Command::Serve) => serve(&cli, config).await,
        Some(Command::Migrate) => match connect(&config, &cli.data_dir).await {
            Ok(db) => match db.pending_migrations().await {
                Ok(pending) => db.migrate().await.map_err(|e| e.to_string()).map(|()| {
                    println!("applied {} migration(s)", pending.len());
                }),
                Err(e) => Err(e.to_string()),
            },
            Err(e) => Err(e),
        },
        Some(Command::Config {
            action: ConfigAction::Check,
        }) => {
            println!("configuration is valid");
            println!("  SERVER_HOSTNAME: {}", config.server_hostname);
            println!(
                "  database: {}",
                if config.db_uri.is_some() {
                    "DB_URI"
                } else {
                    "SQLite in the data directory"
                }
            );
            for key in &config.unknown {
                println!("  unused key: {key}");
            }
            Ok(())
        }
        Some(Command::Fixtures {
            action: FixturesAction::Load { set, reset },
        }) => load_fixtures(&cli, config, set, *reset).await,
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
