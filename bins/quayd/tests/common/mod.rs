//! A real `quayd` process for the binary's integration tests.
#![allow(dead_code)]

use std::fs::File;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const QUAYD: &str = env!("CARGO_BIN_EXE_quayd");

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
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
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "quayd did not listen on {port}");
            std::thread::sleep(Duration::from_millis(50));
        }
        Server { child, output }
    }

    /// SIGTERM, then the exit status and everything the server printed.
    pub fn terminate(mut self) -> (std::process::ExitStatus, String) {
        let pid = self.child.id().to_string();
        Command::new("kill").args(["-TERM", &pid]).status().unwrap();
        let status = self.child.wait().unwrap();
        (status, std::fs::read_to_string(&self.output).unwrap())
    }
}
