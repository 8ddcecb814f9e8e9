//! The floor under small blob pushes and pulls on this machine: an actix-web server,
//! set up as quayd's (same runtime, same workers, `TCP_NODELAY`), that answers
//! `registry_bench push-small` and `pull-small` with the least any registry must do.
//! `--store none` only receives a `POST /v2/{name}/blobs/uploads/?digest=` body;
//! `--store file` also hashes it, checks the digest and writes it to a file named by
//! its digest under `--dir` (create, write, close: what `cp` does per file), and
//! answers `HEAD`/`GET /v2/{name}/blobs/{digest}` from that file (open, read, send).
//! No token, repository, database or upload staging; `GET /v2/auth` hands out a token
//! nobody checks.
//!
//! It is a measuring instrument for `scripts/bench-registry.sh`, not a registry: what
//! quayd adds over it is what quayd's own code costs.

use std::path::PathBuf;

use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use clap::{Parser, ValueEnum};
use sha2::{Digest, Sha256};

#[derive(Clone, Copy, Debug, PartialEq, ValueEnum)]
enum Store {
    /// Receive the body and answer.
    None,
    /// Receive, hash, verify, and write the body to a file; serve it back.
    File,
}

#[derive(Parser)]
struct Args {
    #[arg(long)]
    bind: String,
    #[arg(long, value_enum)]
    store: Store,
    /// Where `--store file` keeps blobs (one file per digest).
    #[arg(long)]
    dir: Option<PathBuf>,
}

struct Floor {
    store: Store,
    dir: PathBuf,
}

impl Floor {
    /// The file of blob `digest` (`sha256:<hex>`), if the digest is well formed.
    fn file(&self, digest: &str) -> Option<PathBuf> {
        let hex = digest.strip_prefix("sha256:")?;
        (hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit())).then(|| self.dir.join(hex))
    }
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
        let Some(file) = floor.file(&expected).filter(|_| actual == expected) else {
            return HttpResponse::BadRequest().finish();
        };
        if let Err(e) = std::fs::write(file, &body) {
            return HttpResponse::InternalServerError().body(e.to_string());
        }
    }
    HttpResponse::Created()
        .insert_header(("Docker-Distribution-API-Version", "registry/2.0"))
        .insert_header(("Location", format!("{}{}", req.path(), expected)))
        .insert_header(("Docker-Content-Digest", expected))
        .finish()
}

async fn pull(
    floor: web::Data<Floor>,
    req: HttpRequest,
    path: web::Path<(String, String)>,
) -> HttpResponse {
    let (_, digest) = path.into_inner();
    let Some(file) = floor.file(&digest) else {
        return HttpResponse::NotFound().finish();
    };
    let found = if req.method() == actix_web::http::Method::HEAD {
        std::fs::metadata(file).map(|_| web::Bytes::new())
    } else {
        std::fs::read(file).map(web::Bytes::from)
    };
    match found {
        Ok(bytes) => HttpResponse::Ok()
            .insert_header(("Docker-Content-Digest", digest))
            .body(bytes),
        Err(_) => HttpResponse::NotFound().finish(),
    }
}

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    let args = Args::parse();
    let floor = web::Data::new(Floor {
        store: args.store,
        dir: args.dir.unwrap_or_else(std::env::temp_dir),
    });
    HttpServer::new(move || {
        App::new()
            .app_data(web::PayloadConfig::new(1 << 20))
            .app_data(floor.clone())
            .route("/v2/auth", web::get().to(token))
            .route("/v2/{name:.+}/blobs/uploads/", web::post().to(push))
            .service(
                web::resource("/v2/{name:.+}/blobs/{digest}")
                    .route(web::get().to(pull))
                    .route(web::head().to(pull)),
            )
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
