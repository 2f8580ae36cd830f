//! The QMP monitor (`-qmp unix:PATH,server,nowait`, `-qmp
//! tcp:HOST:PORT,server,nowait`): `server.rs` listens and runs one session
//! per client (greeting, capabilities negotiation, replies, events),
//! `framing.rs` splits the input into JSON texts, `commands.rs` runs the
//! commands against the machine.

pub mod commands;
pub mod framing;
pub mod hmp;
pub mod hmp_server;
pub mod server;

use crate::machine::Machine;
use std::path::PathBuf;
use std::sync::Arc;

/// Where a monitor listens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QmpAddr {
    Unix(PathBuf),
    /// host:port
    Tcp(String),
}

/// A `-qmp` option.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QmpSpec {
    pub addr: QmpAddr,
    /// Wait for the first client before the machine starts (`wait=on`,
    /// QEMU's default for a server).
    pub wait: bool,
}

fn on_off(opt: &str, v: &str) -> Result<bool, String> {
    match v {
        "on" | "yes" | "true" => Ok(true),
        "off" | "no" | "false" => Ok(false),
        _ => Err(format!("-qmp: {opt}={v}: expected on or off")),
    }
}

impl QmpSpec {
    /// Parses QEMU's chardev shorthand: `unix:PATH` or `tcp:HOST:PORT`,
    /// then `server[=on]`, `nowait` / `wait=on|off`.
    pub fn parse(s: &str) -> Result<QmpSpec, String> {
        let mut parts = s.split(',');
        let addr = parts.next().unwrap_or("");
        let addr = if let Some(p) = addr.strip_prefix("unix:") {
            if p.is_empty() {
                return Err("-qmp unix: needs a socket path".into());
            }
            QmpAddr::Unix(PathBuf::from(p))
        } else if let Some(hp) = addr.strip_prefix("tcp:") {
            if !hp.contains(':') {
                return Err(format!("-qmp tcp:{hp}: expected HOST:PORT"));
            }
            let hp = match hp.strip_prefix(':') {
                Some(port) => format!("127.0.0.1:{port}"),
                None => hp.to_string(),
            };
            QmpAddr::Tcp(hp)
        } else {
            return Err(format!(
                "-qmp {addr}: only unix:PATH and tcp:HOST:PORT are implemented"
            ));
        };
        let (mut server, mut wait) = (false, true);
        for p in parts {
            match p.split_once('=') {
                None if p == "server" => server = true,
                None if p == "nowait" => wait = false,
                None if p == "wait" => wait = true,
                Some(("server", v)) => server = on_off("server", v)?,
                Some(("wait", v)) => wait = on_off("wait", v)?,
                _ => return Err(format!("-qmp: unknown option '{p}'")),
            }
        }
        if !server {
            return Err("-qmp: only server mode is implemented (add ',server,nowait')".into());
        }
        Ok(QmpSpec { addr, wait })
    }
}

/// A running monitor; dropping it (at machine exit) removes its unix
/// socket.
pub struct Monitor {
    socket: Option<PathBuf>,
}

impl Drop for Monitor {
    fn drop(&mut self) {
        if let Some(p) = &self.socket {
            let _ = std::fs::remove_file(p);
        }
    }
}

/// Starts a monitor on `spec` for the machine's lifetime.
pub fn start(m: &Arc<Machine>, spec: &QmpSpec) -> Result<Monitor, String> {
    server::start(m.clone(), spec)?;
    Ok(Monitor {
        socket: match &spec.addr {
            QmpAddr::Unix(p) => Some(p.clone()),
            QmpAddr::Tcp(_) => None,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_qemu_chardev_shorthand() {
        assert_eq!(
            QmpSpec::parse("unix:/tmp/q.sock,server,nowait"),
            Ok(QmpSpec {
                addr: QmpAddr::Unix("/tmp/q.sock".into()),
                wait: false
            })
        );
        assert_eq!(
            QmpSpec::parse("tcp::4444,server=on,wait=off"),
            Ok(QmpSpec {
                addr: QmpAddr::Tcp("127.0.0.1:4444".into()),
                wait: false
            })
        );
        assert!(QmpSpec::parse("tcp:localhost:1,server").unwrap().wait);
        assert!(QmpSpec::parse("unix:/x").is_err(), "client mode");
        assert!(QmpSpec::parse("stdio,server").is_err());
        assert!(QmpSpec::parse("unix:/x,server,bogus").is_err());
    }
}
