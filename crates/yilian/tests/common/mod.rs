//! What the binary's end-to-end tests share: running the CLI on a database, a server
//! process on a free port, and plain HTTP/1.1 requests to it.
#![allow(dead_code)] // each test binary uses its own part

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output};
use std::time::{Duration, Instant};

/// A database the binary runs on, with its key file.
#[derive(Debug, Clone)]
pub(crate) struct Db {
    /// A SQLite path or a `postgres://` URL.
    pub(crate) url: String,
    /// The key file.
    pub(crate) key: PathBuf,
}

impl Db {
    /// A SQLite file, its key file beside it.
    pub(crate) fn sqlite(path: &Path) -> Db {
        Db {
            url: path.to_string_lossy().into_owned(),
            key: path.with_extension("key"),
        }
    }

    /// The binary with `--db` and `--key-file` set, ready for a subcommand.
    pub(crate) fn command(&self) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_yilian"));
        c.arg("--db")
            .arg(&self.url)
            .arg("--key-file")
            .arg(&self.key);
        c
    }

    /// Runs a subcommand to completion.
    pub(crate) fn run(&self, args: &[&str]) -> Output {
        self.command().args(args).output().unwrap()
    }
}

/// The CLI on the SQLite file `db`, with its key file beside it.
pub(crate) fn yilian(db: &Path, args: &[&str]) -> Output {
    Db::sqlite(db).run(args)
}

/// A `yilian serve` process on `db`, on a free port of 127.0.0.1.
pub(crate) struct Server {
    pub(crate) port: u16,
    child: Child,
}

impl Server {
    /// Starts the server, logging to `log`, and waits until it accepts connections.
    pub(crate) fn start(db: &Db, log: &Path, env: &[(&str, &str)]) -> Server {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        Server::start_on(db, log, env, port)
    }

    /// The same on a given port (a restart keeps its port).
    pub(crate) fn start_on(db: &Db, log: &Path, env: &[(&str, &str)], port: u16) -> Server {
        let out = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(log)
            .unwrap();
        let child = db
            .command()
            .args(["serve", "--addr", &format!("127.0.0.1:{port}")])
            .envs(env.iter().copied())
            .stdout(out.try_clone().unwrap())
            .stderr(out)
            .spawn()
            .unwrap();
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "the server did not start"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        Server { port, child }
    }

    /// `kill -9`: no shutdown, no flush, requests in flight cut off.
    pub(crate) fn kill_9(mut self) {
        self.child.kill().unwrap(); // SIGKILL on Unix
        self.child.wait().unwrap();
    }

    /// Stops it (the same signal: these tests need no graceful end).
    pub(crate) fn stop(self) {
        self.kill_9();
    }
}

/// One HTTP/1.1 exchange with a local server: the status and the body, or the error of a
/// connection the server cut (or never answered).
pub(crate) fn http(
    port: u16,
    method: &str,
    path: &str,
    token: &str,
    body: &str,
) -> std::io::Result<(u16, String)> {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port))?;
    s.set_read_timeout(Some(Duration::from_secs(30)))?;
    let req = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    s.write_all(req.as_bytes())?;
    let mut reply = String::new();
    s.read_to_string(&mut reply)?;
    let status = reply
        .get(9..12)
        .and_then(|c| c.parse().ok())
        .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "no status line"))?;
    let body = reply
        .split_once("\r\n\r\n")
        .map_or("", |(_, b)| b)
        .to_owned();
    Ok((status, body))
}
