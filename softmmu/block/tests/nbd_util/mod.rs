//! Helpers for the NBD tests: peers (qemu-img, qemu-nbd, nbdinfo) run with
//! time limits, an in-process Mimic server on a free 127.0.0.1 port or a
//! Unix socket in a temp dir, qemu-nbd as a child killed on drop.
#![allow(dead_code)]

// Temp dirs, the seeded PRNG and `mimg` are the interop tests' own.
#[path = "../common/mod.rs"]
mod common;
#[allow(unused_imports)]
pub use common::{like_qemu, mimg, Rng, TempDir};

use block::nbd::server::{ExportConfig, Listen, Server, ServerConfig, ServerHandle};
use std::io::Read;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Fails the test when a peer tool is missing: these tests never pass
/// silently without it.
pub fn require(tools: &[&str]) {
    for t in tools {
        let ok = Command::new(t)
            .arg("--version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .map(|s| s.success())
            .unwrap_or(false);
        assert!(
            ok,
            "{t} is not installed: run scripts/test (it installs qemu-utils and libnbd-bin), \
             or `apt-get install -y qemu-utils libnbd-bin`"
        );
    }
}

/// Runs a command with a time limit; returns (exit code, stdout, stderr).
pub fn run(cmd: &str, args: &[&str], limit: Duration) -> (i32, String, String) {
    let mut c = Command::new(cmd)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {cmd}: {e}"));
    let mut out = c.stdout.take().unwrap();
    let mut err = c.stderr.take().unwrap();
    let to = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = out.read_to_string(&mut s);
        s
    });
    let te = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = err.read_to_string(&mut s);
        s
    });
    let start = Instant::now();
    let code = loop {
        if let Some(st) = c.try_wait().unwrap() {
            break st.code().unwrap_or(-1);
        }
        if start.elapsed() > limit {
            let _ = c.kill();
            let _ = c.wait();
            panic!("{cmd} {args:?} did not finish within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    (code, to.join().unwrap(), te.join().unwrap())
}

pub const LIMIT: Duration = Duration::from_secs(120);

pub fn qemu_img(args: &[&str]) -> (i32, String, String) {
    run("qemu-img", args, LIMIT)
}

pub fn qemu_io(args: &[&str]) -> (i32, String, String) {
    run("qemu-io", args, LIMIT)
}

/// A sparse raw image of `size` bytes with random data in some 64 KiB
/// blocks (others left as holes); returns its content.
pub fn make_sparse_raw(path: &Path, size: u64, seed: u64) -> Vec<u8> {
    let mut rng = Rng(seed);
    let mut data = vec![0u8; size as usize];
    let f = std::fs::File::create(path).unwrap();
    f.set_len(size).unwrap();
    use std::os::unix::fs::FileExt;
    let blk = 65536u64;
    for b in 0..size / blk {
        if rng.below(3) == 0 {
            let s = (b * blk) as usize;
            rng.fill(&mut data[s..s + blk as usize]);
            f.write_all_at(&data[s..s + blk as usize], b * blk).unwrap();
        }
    }
    f.sync_all().unwrap();
    data
}

/// Collected log lines of an in-process server.
#[derive(Clone, Default)]
pub struct Lines(pub Arc<Mutex<Vec<String>>>);

impl Lines {
    pub fn get(&self) -> Vec<String> {
        self.0.lock().unwrap().clone()
    }
}

/// Mimic's server running in this process.
pub struct Mimic {
    pub handle: Option<ServerHandle>,
    pub port: Option<u16>,
    pub socket: Option<PathBuf>,
    pub log: Lines,
}

impl Mimic {
    pub fn start(listen: Listen, exports: Vec<ExportConfig>) -> Mimic {
        let log = Lines::default();
        let l2 = log.clone();
        let cfg = ServerConfig {
            listen: listen.clone(),
            exports,
            persistent: true,
            shared: 0,
            verbose: false,
            log: Arc::new(move |s: &str| {
                eprintln!("mimic-nbd (test): {s}");
                l2.0.lock().unwrap().push(s.to_string());
            }),
        };
        let srv = Server::bind(cfg).expect("bind");
        let port = srv.port();
        let socket = match listen {
            Listen::Unix(p) => Some(p),
            _ => None,
        };
        Mimic {
            handle: Some(srv.spawn()),
            port,
            socket,
            log,
        }
    }

    pub fn tcp(exports: Vec<ExportConfig>) -> Mimic {
        Mimic::start(Listen::Tcp("127.0.0.1:0".into()), exports)
    }

    pub fn url(&self, name: &str) -> String {
        match (&self.socket, self.port) {
            (Some(p), _) => format!("nbd+unix:///{name}?socket={}", p.display()),
            (None, Some(port)) => format!("nbd://127.0.0.1:{port}/{name}"),
            _ => unreachable!(),
        }
    }
}

impl Drop for Mimic {
    fn drop(&mut self) {
        if let Some(h) = self.handle.take() {
            h.shutdown();
        }
    }
}

/// A free TCP port on 127.0.0.1 (bound and released).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A child process killed (and reaped) when dropped.
pub struct ChildGuard(pub Child);

impl Drop for ChildGuard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// qemu-nbd serving `file` persistently; `Err` with its stderr if it
/// does not come up.
pub struct QemuNbd {
    pub child: ChildGuard,
    pub port: Option<u16>,
    pub socket: Option<PathBuf>,
}

impl QemuNbd {
    /// `extra` are more qemu-nbd options. With `socket` it listens there,
    /// else on a free 127.0.0.1 port.
    pub fn start(
        file: &Path,
        fmt: &str,
        name: &str,
        socket: Option<&Path>,
        extra: &[&str],
    ) -> QemuNbd {
        for _attempt in 0..5 {
            let port = free_port();
            let mut args: Vec<String> = vec![
                "-f".into(),
                fmt.into(),
                "-x".into(),
                name.into(),
                "-t".into(),
                "--shared=16".into(),
            ];
            match socket {
                Some(s) => {
                    args.push("-k".into());
                    args.push(s.to_string_lossy().into_owned());
                }
                None => {
                    args.push("-b".into());
                    args.push("127.0.0.1".into());
                    args.push("-p".into());
                    args.push(port.to_string());
                }
            }
            args.extend(extra.iter().map(|s| s.to_string()));
            args.push(file.to_string_lossy().into_owned());
            let child = Command::new("qemu-nbd")
                .args(&args)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("spawn qemu-nbd");
            let mut g = ChildGuard(child);
            let start = Instant::now();
            while start.elapsed() < Duration::from_secs(15) {
                if let Ok(Some(_)) = g.0.try_wait() {
                    break; // exited: port taken? retry
                }
                let up = match socket {
                    Some(s) => std::os::unix::net::UnixStream::connect(s).is_ok(),
                    None => TcpStream::connect(("127.0.0.1", port)).is_ok(),
                };
                if up {
                    return QemuNbd {
                        child: g,
                        port: socket.is_none().then_some(port),
                        socket: socket.map(Path::to_path_buf),
                    };
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        panic!("qemu-nbd did not start");
    }

    pub fn url(&self, name: &str) -> String {
        match (&self.socket, self.port) {
            (Some(p), _) => format!("nbd+unix:///{name}?socket={}", p.display()),
            (None, Some(port)) => format!("nbd://127.0.0.1:{port}/{name}"),
            _ => unreachable!(),
        }
    }
}

/// Reads a whole export through Mimic's client.
pub fn read_url(url: &str) -> Vec<u8> {
    let mut d =
        block::open_image(Path::new(url), None, true).unwrap_or_else(|e| panic!("open {url}: {e}"));
    let mut v = vec![0u8; d.length() as usize];
    d.read(0, &mut v).unwrap();
    v
}

/// Data/hole runs of a sparse file as (start, len, is_data), merged.
pub fn file_allocation(path: &Path) -> Vec<(u64, u64, bool)> {
    // Unlocked: the server under test holds the image open for writing.
    let f = block::file::HostFile::open_unlocked(path, true).unwrap();
    let size = f.len().unwrap();
    let mut v: Vec<(u64, u64, bool)> = Vec::new();
    let mut off = 0;
    while off < size {
        let (data, n) = f.data_status(off, size);
        let n = n.max(1);
        match v.last_mut() {
            Some(l) if l.2 == data => l.1 += n,
            _ => v.push((off, n, data)),
        }
        off += n;
    }
    v
}
