//! The floor under a small blob push on this machine: an actix-web server, set up as
//! quayd's (same runtime, same workers, `TCP_NODELAY`), that answers
//! `registry_bench push-small` with the least any registry must do for
//! `POST /v2/{name}/blobs/uploads/?digest=`. `--store none` only receives the body;
//! `--store file` also hashes it, checks the digest and writes it to a new file under
//! `--dir` (create, write, close: what `cp` does per file). No token, repository,
//! database or content-addressed layout; `GET /v2/auth` hands out a token nobody checks.
//!
//! It is a measuring instrument for `scripts/bench-registry.sh`, not a registry: what
//! quayd adds over it is what quayd's own code costs.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};

use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use clap::{Parser, ValueEnum};
use sha2::{Digest, Sha256};

#[derive(Clone, Copy, Debug, PartialEq, ValueEnum)]
enum Store {
    /// Receive the body and answer.
    None,
    /// Receive, hash, verify, and write the body to a new file.
    File,
}

#[derive(Parser)]
struct Args {
    #[arg(long)]
    bind: String,
    #[arg(long, value_enum)]
    store: Store,
    /// Where `--store file` writes (one new file per push).
    #[arg(long)]
    dir: Option<PathBuf>,
}

struct Floor {
    store: Store,
    dir: PathBuf,
    next: AtomicU64,
}

async fn token() -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({ "token": "floor" }))
}

async fn push(floor: web::Data<Floor>, req: HttpRequest, body: web::Bytes) -> HttpResponse {
    let expected = req
        .query_string()
        .split('&')
        .find_map(|p| p.strip_prefix("digest="))
        .unwrap_or("")
        .replace("%3A", ":");
    if floor.store == Store::File {
        let actual = format!("sha256:{}", hex::encode(Sha256::digest(&body)));
        if actual != expected {
            return HttpResponse::BadRequest().finish();
        }
        let n = floor.next.fetch_add(1, Ordering::Relaxed);
        if let Err(e) = std::fs::write(floor.dir.join(n.to_string()), &body) {
            return HttpResponse::InternalServerError().body(e.to_string());
        }
    }
    HttpResponse::Created()
        .insert_header(("Docker-Distribution-API-Version", "registry/2.0"))
        .insert_header(("Location", format!("{}{}", req.path(), expected)))
        .insert_header(("Docker-Content-Digest", expected))
        .finish()
}

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    let args = Args::parse();
    let floor = web::Data::new(Floor {
        store: args.store,
        dir: args.dir.unwrap_or_else(std::env::temp_dir),
        next: AtomicU64::new(0),
    });
    HttpServer::new(move || {
        App::new()
            .app_data(web::PayloadConfig::new(1 << 20))
            .app_data(floor.clone())
            .route("/v2/auth", web::get().to(token))
            .route("/v2/{name:.+}/blobs/uploads/", web::post().to(push))
    })
    .on_connect(|conn, _| {
        if let Some(tcp) = conn.downcast_ref::<actix_web::rt::net::TcpStream>() {
            let _ = tcp.set_nodelay(true);
        }
    })
    .bind(&args.bind)?
    .run()
    .await
}
