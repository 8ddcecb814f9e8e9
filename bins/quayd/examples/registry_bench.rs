//! Registry throughput against a running `quayd`: pushes and pulls of one large blob or
//! of many small ones, by several clients at once, as `scripts/bench-registry.sh` runs
//! them. The blobs are held in this process's memory (read before the clock starts), so
//! what is measured is the server: the network stack, hashing, storage and database.
//!
//! Prints one JSON object per run: bytes, seconds, MB/s, operations/s, and, with
//! `--watch-pid`, the server's resident memory before and at its peak during the run.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine;
use bytes::Bytes;
use clap::{Parser, ValueEnum};
use futures_util::StreamExt;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

#[derive(Clone, Copy, Debug, ValueEnum)]
enum Mode {
    /// Each client pushes `--file` once: POST a session, PATCH the bytes, PUT the digest
    /// (how docker and skopeo push layers).
    PushLarge,
    /// Each client pulls the blob of `--file` once.
    PullLarge,
    /// The clients share the files of `--dir` and push each with one monolithic
    /// `POST ?digest=`.
    PushSmall,
    /// The clients share the files of `--dir` and pull each.
    PullSmall,
}

#[derive(Parser)]
struct Args {
    #[arg(value_enum)]
    mode: Mode,
    #[arg(long)]
    url: String,
    #[arg(long)]
    user: String,
    #[arg(long)]
    password: String,
    /// `namespace/name`; created by the first push.
    #[arg(long)]
    repo: String,
    #[arg(long)]
    file: Option<PathBuf>,
    #[arg(long)]
    dir: Option<PathBuf>,
    #[arg(long, default_value_t = 1)]
    clients: usize,
    /// The server's pid: its VmRSS is sampled every 20 ms during the run.
    #[arg(long)]
    watch_pid: Option<u32>,
    /// Milliseconds to wait between the setup (which checks, and pushes if missing,
    /// every blob a pull asks for) and the clock's start: longer than the server's
    /// `CACHE_TTL_MS`, the pulls find nothing the setup left remembered, as for blobs
    /// nobody asked for lately.
    #[arg(long, default_value_t = 0)]
    settle_ms: u64,
}

fn digest(bytes: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(bytes)))
}

fn rss_kb(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

struct Client {
    http: reqwest::Client,
    url: String,
    repo: String,
    token: String,
}

impl Client {
    async fn new(args: &Args) -> Client {
        let http = reqwest::Client::builder()
            .pool_max_idle_per_host(64)
            .build()
            .unwrap();
        let basic = base64::engine::general_purpose::STANDARD
            .encode(format!("{}:{}", args.user, args.password));
        let host = args.url.trim_start_matches("http://");
        let res = http
            .get(format!(
                "{}/v2/auth?service={host}&scope=repository:{}:pull,push",
                args.url, args.repo
            ))
            .header("Authorization", format!("Basic {basic}"))
            .send()
            .await
            .unwrap();
        assert!(res.status().is_success(), "token: {}", res.status());
        let body: Value = serde_json::from_slice(&res.bytes().await.unwrap()).unwrap();
        Client {
            http,
            url: args.url.clone(),
            repo: args.repo.clone(),
            token: body["token"].as_str().unwrap().to_string(),
        }
    }

    fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        let url = if path.starts_with('/') {
            format!("{}{path}", self.url)
        } else {
            format!("{}/v2/{}/{path}", self.url, self.repo)
        };
        self.http
            .request(method, url)
            .header("Authorization", format!("Bearer {}", self.token))
    }

    async fn push_session(&self, blob: Blob) {
        let res = self
            .request(reqwest::Method::POST, "blobs/uploads/")
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 202, "start upload");
        let location = res.headers()["location"].to_str().unwrap().to_string();
        let res = self
            .request(reqwest::Method::PATCH, &location)
            .header("Content-Type", "application/octet-stream")
            .header("Content-Length", blob.len().to_string())
            .body(blob.body())
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 202, "chunk");
        let location = res.headers()["location"].to_str().unwrap().to_string();
        let res = self
            .request(
                reqwest::Method::PUT,
                &format!("{location}?digest={}", blob.digest),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 201, "finish upload");
    }

    async fn push_monolithic(&self, blob: Blob) {
        let res = self
            .request(
                reqwest::Method::POST,
                &format!("blobs/uploads/?digest={}", blob.digest),
            )
            .header("Content-Type", "application/octet-stream")
            .header("Content-Length", blob.len().to_string())
            .body(blob.body())
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 201, "monolithic upload");
    }

    async fn exists(&self, digest: &str) -> bool {
        let res = self
            .request(reqwest::Method::HEAD, &format!("blobs/{digest}"))
            .send()
            .await
            .unwrap();
        res.status() == 200
    }

    /// Streams the blob to nowhere; returns its length.
    async fn pull(&self, digest: &str) -> u64 {
        let res = self
            .request(reqwest::Method::GET, &format!("blobs/{digest}"))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "pull");
        let mut stream = res.bytes_stream();
        let mut n = 0;
        while let Some(piece) = stream.next().await {
            n += piece.unwrap().len() as u64;
        }
        n
    }
}

/// Blobs up to this size are made one buffer.
const SMALL_CONTIGUOUS: usize = 1 << 20;

/// A blob: an optional prefix before shared content (no copy of the content).
#[derive(Clone)]
struct Blob {
    prefix: Bytes,
    content: Bytes,
    digest: String,
}

impl Blob {
    fn plain(content: Bytes) -> Blob {
        let digest = digest(&content);
        Blob {
            prefix: Bytes::new(),
            content,
            digest,
        }
    }

    /// `content` behind a random prefix: a blob no push has sent before. A small one is
    /// one buffer, sent with one write as a client sends a file it has read; a large one
    /// shares `content` (eight copies of 1 GiB would not fit beside the server).
    fn fresh(content: &Bytes) -> Blob {
        let prefix = rand::random::<[u8; 16]>();
        if content.len() <= SMALL_CONTIGUOUS {
            return Blob::plain(Bytes::from([&prefix[..], content].concat()));
        }
        let mut h = Sha256::new();
        h.update(prefix);
        h.update(content);
        Blob {
            prefix: Bytes::copy_from_slice(&prefix),
            content: content.clone(),
            digest: format!("sha256:{}", hex::encode(h.finalize())),
        }
    }

    fn len(&self) -> usize {
        self.prefix.len() + self.content.len()
    }

    fn body(&self) -> reqwest::Body {
        if self.prefix.is_empty() {
            return reqwest::Body::from(self.content.clone());
        }
        let pieces = [self.prefix.clone(), self.content.clone()]
            .into_iter()
            .filter(|p| !p.is_empty())
            .map(Ok::<_, std::io::Error>);
        reqwest::Body::wrap_stream(futures_util::stream::iter(pieces))
    }
}

fn read_contents(args: &Args) -> Vec<Bytes> {
    match args.mode {
        Mode::PushLarge | Mode::PullLarge => {
            let bytes = Bytes::from(std::fs::read(args.file.as_ref().expect("--file")).unwrap());
            vec![bytes; args.clients]
        }
        Mode::PushSmall | Mode::PullSmall => {
            let mut paths: Vec<PathBuf> = std::fs::read_dir(args.dir.as_ref().expect("--dir"))
                .unwrap()
                .map(|e| e.unwrap().path())
                .collect();
            paths.sort();
            paths
                .into_iter()
                .map(|p| Bytes::from(std::fs::read(p).unwrap()))
                .collect()
        }
    }
}

#[tokio::main]
async fn main() {
    let args = Args::parse();
    let contents = read_contents(&args);
    let client = Arc::new(Client::new(&args).await);
    let blobs: Vec<Blob> = match args.mode {
        Mode::PushLarge | Mode::PushSmall => {
            // On every core: eight 1 GiB blobs take a while to hash.
            std::thread::scope(|s| {
                let hashing: Vec<_> = contents
                    .iter()
                    .map(|c| s.spawn(move || Blob::fresh(c)))
                    .collect();
                hashing.into_iter().map(|h| h.join().unwrap()).collect()
            })
        }
        Mode::PullLarge | Mode::PullSmall => {
            let mut blobs = Vec::new();
            for content in contents {
                let blob = Blob::plain(content);
                if !client.exists(&blob.digest).await {
                    client.push_monolithic(blob.clone()).await;
                }
                blobs.push(blob);
            }
            blobs
        }
    };
    tokio::time::sleep(Duration::from_millis(args.settle_ms)).await;
    let total_bytes: u64 = blobs.iter().map(|b| b.len() as u64).sum();
    let ops = blobs.len();
    let queue = Arc::new(std::sync::Mutex::new(blobs));

    let watching = Arc::new(AtomicBool::new(true));
    let peak = Arc::new(AtomicU64::new(0));
    let before = args.watch_pid.map(rss_kb);
    let watcher = args.watch_pid.map(|pid| {
        let (watching, peak) = (watching.clone(), peak.clone());
        tokio::spawn(async move {
            while watching.load(Ordering::Relaxed) {
                peak.fetch_max(rss_kb(pid), Ordering::Relaxed);
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
    });

    let started = Instant::now();
    let mut workers = Vec::new();
    for _ in 0..args.clients {
        let (client, queue, mode) = (client.clone(), queue.clone(), args.mode);
        workers.push(tokio::spawn(async move {
            loop {
                let Some(blob) = queue.lock().unwrap().pop() else {
                    break;
                };
                match mode {
                    Mode::PushLarge => client.push_session(blob).await,
                    Mode::PushSmall => client.push_monolithic(blob).await,
                    Mode::PullLarge | Mode::PullSmall => {
                        let n = client.pull(&blob.digest).await;
                        assert_eq!(n, blob.len() as u64, "pulled length");
                    }
                }
            }
        }));
    }
    for w in workers {
        w.await.unwrap();
    }
    let seconds = started.elapsed().as_secs_f64();
    watching.store(false, Ordering::Relaxed);
    if let Some(w) = watcher {
        w.await.unwrap();
    }
    let mut out = json!({
        "mode": format!("{:?}", args.mode),
        "clients": args.clients,
        "operations": ops,
        "bytes": total_bytes,
        "seconds": seconds,
        "mb_per_s": total_bytes as f64 / 1e6 / seconds,
        "ops_per_s": ops as f64 / seconds,
        "settle_ms": args.settle_ms,
    });
    if let Some(before) = before {
        out["rss_before_kb"] = json!(before);
        out["rss_peak_kb"] = json!(peak.load(Ordering::Relaxed));
    }
    println!("{out}");
}
