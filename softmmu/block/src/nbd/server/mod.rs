//! The NBD server: listens on TCP or a Unix socket, negotiates with each
//! client on its own thread, then serves it (see [`transmit`]).
//!
//! Each connection's failures (protocol violations, disconnects, I/O
//! errors on the socket) end that connection only, with one log line; the
//! listener and the other clients carry on.

pub mod export;
pub mod negotiate;
pub mod splice;
pub mod transmit;

pub use export::{CacheMode, Export, ExportConfig};

use crate::error::{BlockError, Result};
use crate::nbd::stream::Stream;
use std::net::{TcpListener, ToSocketAddrs};
use std::os::unix::io::AsRawFd;
use std::os::unix::net::UnixListener;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

/// Set by `mimic nbd`'s SIGTERM/SIGINT/SIGHUP handler: every running
/// server stops accepting, lets its clients' requests finish and flushes.
pub static SIGNALLED: AtomicBool = AtomicBool::new(false);

extern "C" fn on_signal(_: libc::c_int) {
    SIGNALLED.store(true, Ordering::Release);
}

/// Routes SIGTERM, SIGINT and SIGHUP to [`SIGNALLED`] (for the command
/// line tool; a library user keeps its own signal handling).
pub fn install_signal_handlers() {
    for sig in [libc::SIGTERM, libc::SIGINT, libc::SIGHUP] {
        unsafe {
            let mut sa: libc::sigaction = std::mem::zeroed();
            sa.sa_sigaction = on_signal as *const () as usize;
            libc::sigemptyset(&mut sa.sa_mask);
            libc::sigaction(sig, &sa, std::ptr::null_mut());
        }
    }
}

/// Payload bytes in flight over all connections.
const GLOBAL_BUDGET: u64 = 1 << 30;

/// How long a client may take over the handshake.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(30);
/// How long a reply may wait for a client that does not read.
const WRITE_TIMEOUT: Duration = Duration::from_secs(300);

/// Where to listen.
#[derive(Debug, Clone)]
pub enum Listen {
    /// "host:port" (port 0 picks a free one).
    Tcp(String),
    Unix(PathBuf),
}

/// A log sink: one call per line.
pub type Log = Arc<dyn Fn(&str) + Send + Sync>;

/// The default log: stderr with the program's prefix.
pub fn stderr_log() -> Log {
    Arc::new(|l: &str| eprintln!("mimic-nbd: {l}"))
}

#[derive(Clone)]
pub struct ServerConfig {
    pub listen: Listen,
    pub exports: Vec<ExportConfig>,
    /// Keep serving after the last client leaves (`-t`).
    pub persistent: bool,
    /// Most clients at once (`--shared`); 0 = unlimited.
    pub shared: usize,
    /// Log each connection's start and clean end too.
    pub verbose: bool,
    pub log: Log,
}

enum Listener {
    Tcp(TcpListener),
    Unix(UnixListener, PathBuf),
}

/// A bound server, not yet accepting.
pub struct Server {
    listener: Listener,
    exports: Arc<Vec<Arc<Export>>>,
    cfg: ServerConfig,
    stop: Arc<AtomicBool>,
    conns: Arc<Mutex<Vec<(u64, Stream)>>>,
    budget: Arc<transmit::Budget>,
}

/// A server running on its own thread.
pub struct ServerHandle {
    stop: Arc<AtomicBool>,
    conns: Arc<Mutex<Vec<(u64, Stream)>>>,
    thread: Option<JoinHandle<()>>,
}

impl ServerHandle {
    /// Stops accepting, disconnects the clients and waits for the server.
    pub fn shutdown(mut self) {
        self.stop_now();
    }

    fn stop_now(&mut self) {
        self.stop.store(true, Ordering::Release);
        for (_, c) in self.conns.lock().unwrap_or_else(|p| p.into_inner()).iter() {
            c.shutdown();
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }

    /// Whether the server ended by itself (not persistent, last client gone).
    pub fn finished(&self) -> bool {
        self.thread.as_ref().is_none_or(|t| t.is_finished())
    }
}

impl Drop for ServerHandle {
    fn drop(&mut self) {
        self.stop_now();
    }
}

impl Server {
    /// Opens the exports and binds the listening socket.
    pub fn bind(cfg: ServerConfig) -> Result<Server> {
        if cfg.exports.is_empty() {
            return Err(BlockError::Other("no export to serve".into()));
        }
        let mut exports = Vec::new();
        for c in &cfg.exports {
            if exports.iter().any(|e: &Arc<Export>| e.name == c.name) {
                return Err(BlockError::Other(format!(
                    "duplicate export name '{}'",
                    c.name
                )));
            }
            let mut e = Export::open(c).map_err(|e| {
                BlockError::Other(format!("Failed to open '{}': {e}", c.path.display()))
            })?;
            // With one client at a time, a second connection would wait.
            e.multi_conn = cfg.shared != 1;
            exports.push(Arc::new(e));
        }
        let listener = match &cfg.listen {
            Listen::Tcp(a) => {
                let addrs: Vec<_> = a
                    .to_socket_addrs()
                    .map_err(|e| BlockError::Other(format!("bad address '{a}': {e}")))?
                    .collect();
                let l = TcpListener::bind(&addrs[..])
                    .map_err(|e| BlockError::Other(format!("Failed to bind {a}: {e}")))?;
                Listener::Tcp(l)
            }
            Listen::Unix(p) => {
                // A stale socket file from an earlier run is replaced, as qemu-nbd does.
                if std::fs::symlink_metadata(p)
                    .map(|m| {
                        use std::os::unix::fs::FileTypeExt;
                        m.file_type().is_socket()
                    })
                    .unwrap_or(false)
                {
                    let _ = std::fs::remove_file(p);
                }
                let l = UnixListener::bind(p).map_err(|e| {
                    BlockError::Other(format!("Failed to bind socket {}: {e}", p.display()))
                })?;
                Listener::Unix(l, p.clone())
            }
        };
        Ok(Server {
            listener,
            exports: Arc::new(exports),
            cfg,
            stop: Arc::new(AtomicBool::new(false)),
            conns: Arc::new(Mutex::new(Vec::new())),
            budget: Arc::new(transmit::Budget::new(GLOBAL_BUDGET)),
        })
    }

    /// "127.0.0.1:PORT" for TCP, the socket path for Unix.
    pub fn local_addr(&self) -> String {
        match &self.listener {
            Listener::Tcp(l) => l.local_addr().map(|a| a.to_string()).unwrap_or_default(),
            Listener::Unix(_, p) => p.display().to_string(),
        }
    }

    pub fn port(&self) -> Option<u16> {
        match &self.listener {
            Listener::Tcp(l) => l.local_addr().ok().map(|a| a.port()),
            Listener::Unix(..) => None,
        }
    }

    /// Runs the server on a new thread.
    pub fn spawn(self) -> ServerHandle {
        let stop = self.stop.clone();
        let conns = self.conns.clone();
        let thread = std::thread::Builder::new()
            .name("nbd-accept".into())
            .spawn(move || self.run())
            .ok();
        ServerHandle {
            stop,
            conns,
            thread,
        }
    }

    fn fd(&self) -> i32 {
        match &self.listener {
            Listener::Tcp(l) => l.as_raw_fd(),
            Listener::Unix(l, _) => l.as_raw_fd(),
        }
    }

    /// Waits up to `ms` for a connection to be pending.
    fn pending(&self, ms: i32) -> bool {
        let mut p = libc::pollfd {
            fd: self.fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        unsafe { libc::poll(&mut p, 1, ms) > 0 }
    }

    fn accept(&self) -> std::io::Result<Stream> {
        Ok(match &self.listener {
            Listener::Tcp(l) => Stream::Tcp(l.accept()?.0),
            Listener::Unix(l, _) => Stream::Unix(l.accept()?.0),
        })
    }

    /// Accepts and serves clients until stopped (or, unless persistent,
    /// until the last client has gone).
    pub fn run(self) {
        let active = Arc::new(AtomicUsize::new(0));
        let mut served_any = false;
        let mut next_id = 0u64;
        let mut threads: Vec<JoinHandle<()>> = Vec::new();
        while !self.stop.load(Ordering::Acquire) {
            if SIGNALLED.load(Ordering::Acquire) {
                (self.cfg.log)("signal received: finishing requests and flushing");
                self.stop.store(true, Ordering::Release);
                break;
            }
            threads.retain(|t| !t.is_finished());
            let n = active.load(Ordering::Acquire);
            if served_any && !self.cfg.persistent && n == 0 {
                break;
            }
            if self.cfg.shared > 0 && n >= self.cfg.shared {
                std::thread::sleep(Duration::from_millis(10));
                continue;
            }
            if !self.pending(100) {
                continue;
            }
            let s = match self.accept() {
                Ok(s) => s,
                Err(e) => {
                    (self.cfg.log)(&format!("accept failed: {e}"));
                    std::thread::sleep(Duration::from_millis(50));
                    continue;
                }
            };
            served_any = true;
            next_id += 1;
            let id = next_id;
            if let Ok(c) = s.try_clone() {
                self.conns
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .push((id, c));
            }
            active.fetch_add(1, Ordering::AcqRel);
            let exports = self.exports.clone();
            let log = self.cfg.log.clone();
            let verbose = self.cfg.verbose;
            let stop = self.stop.clone();
            let conns = self.conns.clone();
            let active2 = active.clone();
            let budget = self.budget.clone();
            let t = std::thread::Builder::new()
                .name(format!("nbd-conn-{id}"))
                .spawn(move || {
                    handle_client(s, &exports, &log, verbose, &stop, &budget);
                    conns
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .retain(|(i, _)| *i != id);
                    active2.fetch_sub(1, Ordering::AcqRel);
                });
            match t {
                Ok(t) => threads.push(t),
                Err(e) => {
                    active.fetch_sub(1, Ordering::AcqRel);
                    (self.cfg.log)(&format!("cannot start a connection thread: {e}"));
                }
            }
        }
        for (_, c) in self.conns.lock().unwrap_or_else(|p| p.into_inner()).iter() {
            c.shutdown();
        }
        for t in threads {
            let _ = t.join();
        }
        if let Listener::Unix(_, p) = &self.listener {
            let _ = std::fs::remove_file(p);
        }
    }
}

/// One client from accept to close. Logs one line when the connection
/// ends abnormally.
fn handle_client(
    s: Stream,
    exports: &[Arc<Export>],
    log: &Log,
    verbose: bool,
    stop: &AtomicBool,
    budget: &transmit::Budget,
) {
    let peer = s.peer();
    s.set_nodelay();
    let _ = s.set_read_timeout(Some(HANDSHAKE_TIMEOUT));
    let _ = s.set_write_timeout(Some(WRITE_TIMEOUT));
    let outcome = negotiate::negotiate(&s, exports);
    let n = match outcome {
        Ok(negotiate::Outcome::Transmit(n)) => n,
        Ok(negotiate::Outcome::Aborted) => {
            if verbose {
                log(&format!("{peer}: ended negotiation"));
            }
            s.shutdown();
            return;
        }
        Err(why) => {
            log(&format!("{peer}: closing connection: {why}"));
            s.shutdown();
            return;
        }
    };
    if verbose {
        log(&format!("{peer}: serving export '{}'", n.export.name));
    }
    let _ = s.set_read_timeout(None);
    match transmit::serve(s, n, stop, budget) {
        Ok(()) => {
            if verbose {
                log(&format!("{peer}: disconnected"));
            }
        }
        Err(why) => log(&format!("{peer}: closing connection: {why}")),
    }
}
