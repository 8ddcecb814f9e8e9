//! An S3 service for tests: moto's server (`python3 -m moto.server`, from PyPI's
//! `moto[server]`), one process per test, so the S3 code paths run against a real S3
//! protocol peer on a machine without Docker.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running moto server, stopped when dropped.
pub struct S3Service {
    child: Child,
    port: u16,
}

impl S3Service {
    /// Starts one on a free port, or `None`, with the reason printed, where moto is not
    /// installed. With `QUAY_REQUIRE_S3` set (CI sets it) a missing moto fails the test
    /// instead.
    pub fn start() -> Option<S3Service> {
        // `python3 -m`, not the `moto_server` script: pyenv finds a new script only
        // after a rehash.
        let installed = Command::new("python3")
            .args(["-c", "import moto.server"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if !installed {
            assert!(
                std::env::var_os("QUAY_REQUIRE_S3").is_none(),
                "QUAY_REQUIRE_S3 is set but moto is not installed: pip install 'moto[server]'"
            );
            eprintln!(
                "skipping: moto is not installed (pip install 'moto[server]' runs these S3 tests)"
            );
            return None;
        }
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let child = Command::new("python3")
            .args([
                "-m",
                "moto.server",
                "-H",
                "127.0.0.1",
                "-p",
                &port.to_string(),
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("python3 starts");
        let mut service = S3Service { child, port };
        let deadline = Instant::now() + Duration::from_secs(30);
        while service.request("GET", "/").is_err() {
            if let Ok(Some(status)) = service.child.try_wait() {
                panic!("moto's server exited at start: {status}");
            }
            assert!(Instant::now() < deadline, "moto's server did not answer");
            std::thread::sleep(Duration::from_millis(50));
        }
        Some(service)
    }

    /// Creates bucket `bucket`; returns the parameters of a Quay `S3Storage` location
    /// in it, under `storage_path` (what `DISTRIBUTED_STORAGE_CONFIG` holds).
    pub fn bucket(&self, bucket: &str, storage_path: &str) -> serde_json::Value {
        let status = self
            .request("PUT", &format!("/{bucket}"))
            .expect("moto answers");
        assert!(
            status.starts_with("HTTP/1.1 200"),
            "creating {bucket}: {status}"
        );
        serde_json::json!({
            "s3_bucket": bucket,
            "s3_access_key": "testing",
            "s3_secret_key": "testing",
            "hostname": "127.0.0.1",
            "port": self.port,
            "is_secure": false,
            "storage_path": storage_path,
        })
    }

    /// Sends an empty request; returns the status line.
    fn request(&self, method: &str, path: &str) -> std::io::Result<String> {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port))?;
        stream.set_read_timeout(Some(Duration::from_secs(10)))?;
        write!(
            stream,
            "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            self.port
        )?;
        let mut answer = String::new();
        stream.read_to_string(&mut answer)?;
        Ok(answer.lines().next().unwrap_or_default().to_string())
    }
}

impl Drop for S3Service {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
