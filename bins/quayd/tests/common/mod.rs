//! A real `quayd` process for the binary's integration tests.
#![allow(dead_code)]

use std::fs::File;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

pub const QUAYD: &str = env!("CARGO_BIN_EXE_quayd");

/// A port for one test's server, below the kernel's ephemeral range (32768 and up), so
/// no outgoing connection (to PostgreSQL, from a client) can take it between this call
/// and the server's bind, and never the same one twice in a test binary, whose tests
/// run in parallel. Where a process starts depends on its id, so two test binaries
/// running at once start apart.
pub fn free_port() -> u16 {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    const FIRST: u32 = 20000;
    const SPAN: u32 = 12000;
    let start = std::process::id().wrapping_mul(97) % SPAN;
    loop {
        let port = (FIRST + (start + NEXT.fetch_add(1, Ordering::Relaxed)) % SPAN) as u16;
        if TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
}

pub fn have(tool: &str) -> bool {
    Command::new(tool)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok()
}

pub struct Server {
    child: Child,
    output: PathBuf,
}

impl Server {
    /// Starts `quayd serve` on `port` with `env` set; what it prints (stdout and stderr)
    /// goes to a file in `data_dir`, so a chatty log level never blocks it.
    pub fn start(data_dir: &Path, port: u16, db_url: Option<&str>, env: &[(&str, &str)]) -> Server {
        Self::start_with(data_dir, port, db_url, env, &[])
    }

    /// [`Server::start`] with more command-line arguments (e.g. `--config FILE`).
    pub fn start_with(
        data_dir: &Path,
        port: u16,
        db_url: Option<&str>,
        env: &[(&str, &str)],
        args: &[&str],
    ) -> Server {
        let output = data_dir.join("quayd.out");
        let out = File::create(&output).unwrap();
        let mut cmd = Command::new(QUAYD);
        cmd.args([
            "--data-dir",
            data_dir.to_str().unwrap(),
            "--bind",
            &format!("127.0.0.1:{port}"),
        ])
        .args(args)
        .env_remove("QUAY_DB_URI")
        .envs(env.iter().copied())
        .stdout(Stdio::from(out.try_clone().unwrap()))
        .stderr(Stdio::from(out));
        if let Some(url) = db_url {
            cmd.env("QUAY_DB_URI", url);
        }
        let child = cmd.spawn().expect("quayd starts");
        let deadline = Instant::now() + Duration::from_secs(30);
        let mut server = Server { child, output };
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            server.assert_running();
            assert!(Instant::now() < deadline, "quayd did not listen on {port}");
            std::thread::sleep(Duration::from_millis(50));
        }
        server.assert_running();
        server
    }

    /// Fails the test with what the server printed if it has exited (e.g. its port was
    /// taken after all), rather than letting requests reach nothing, or another server.
    fn assert_running(&mut self) {
        if let Some(status) = self.child.try_wait().unwrap() {
            let printed = std::fs::read_to_string(&self.output).unwrap_or_default();
            panic!("quayd exited ({status}) before serving:\n{printed}");
        }
    }

    /// SIGTERM, then the exit status and everything the server printed.
    pub fn terminate(mut self) -> (std::process::ExitStatus, String) {
        let pid = self.child.id().to_string();
        Command::new("kill").args(["-TERM", &pid]).status().unwrap();
        let status = self.child.wait().unwrap();
        (status, std::fs::read_to_string(&self.output).unwrap())
    }
}

/// A test that fails leaves no server behind, and shows the end of what it printed.
impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if std::thread::panicking() {
            let printed = std::fs::read_to_string(&self.output).unwrap_or_default();
            let lines: Vec<&str> = printed.lines().collect();
            let tail = lines[lines.len().saturating_sub(40)..].join("\n");
            eprintln!("the server's last lines:\n{tail}");
        }
    }
}
