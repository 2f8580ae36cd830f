//! NBD addresses as qemu spells them: the URI forms `nbd://host[:port]/name`,
//! `nbd+tcp://...`, `nbd+unix:///name?socket=PATH`, and the legacy
//! `nbd:host:port[:exportname=NAME]` / `nbd:unix:PATH[:exportname=NAME]`.

use crate::error::{BlockError, Result};
use std::path::PathBuf;

/// The IANA port for NBD.
pub const DEFAULT_PORT: u16 = 10809;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Addr {
    Tcp(String, u16),
    Unix(PathBuf),
}

/// Where to connect and which export to ask for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub addr: Addr,
    pub export: String,
}

/// Whether `s` names an NBD export rather than a file.
pub fn is_nbd_url(s: &str) -> bool {
    s.starts_with("nbd://")
        || s.starts_with("nbd+tcp://")
        || s.starts_with("nbd+unix://")
        || s.starts_with("nbd:unix:")
        || (s.starts_with("nbd:") && !s.starts_with("nbd:/"))
}

fn bad(s: &str, why: &str) -> BlockError {
    BlockError::Invalid(format!("invalid NBD address '{s}': {why}"))
}

/// Decodes %XX escapes.
fn percent_decode(s: &str, whole: &str) -> Result<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let h = b
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or_else(|| bad(whole, "bad percent escape"))?;
            out.push(h);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| bad(whole, "export name is not UTF-8"))
}

fn parse_port(p: &str, whole: &str) -> Result<u16> {
    p.parse::<u16>().map_err(|_| bad(whole, "bad port"))
}

/// Parses any of the accepted forms.
pub fn parse(s: &str) -> Result<Target> {
    if let Some(rest) = s.strip_prefix("nbd+unix://") {
        let (path_part, query) = match rest.split_once('?') {
            Some((p, q)) => (p, q),
            None => (rest, ""),
        };
        if !path_part.is_empty() && !path_part.starts_with('/') {
            return Err(bad(s, "a unix socket URI has no host"));
        }
        let export = percent_decode(path_part.strip_prefix('/').unwrap_or(""), s)?;
        let mut socket = None;
        for kv in query.split('&').filter(|x| !x.is_empty()) {
            match kv.split_once('=') {
                Some(("socket", v)) => socket = Some(percent_decode(v, s)?),
                _ => return Err(bad(s, "unknown query parameter")),
            }
        }
        let socket = socket.ok_or_else(|| bad(s, "missing ?socket=PATH"))?;
        return Ok(Target {
            addr: Addr::Unix(PathBuf::from(socket)),
            export,
        });
    }
    if let Some(rest) = s
        .strip_prefix("nbd://")
        .or_else(|| s.strip_prefix("nbd+tcp://"))
    {
        if rest.contains('?') {
            return Err(bad(s, "unexpected query in a TCP URI"));
        }
        let (hostport, path) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i + 1..]),
            None => (rest, ""),
        };
        let (host, port) = if let Some(h) = hostport.strip_prefix('[') {
            let (h, after) = h.split_once(']').ok_or_else(|| bad(s, "unclosed '['"))?;
            let port = match after.strip_prefix(':') {
                Some(p) => parse_port(p, s)?,
                None if after.is_empty() => DEFAULT_PORT,
                None => return Err(bad(s, "junk after host")),
            };
            (h.to_string(), port)
        } else {
            match hostport.rsplit_once(':') {
                Some((h, p)) => (h.to_string(), parse_port(p, s)?),
                None => (hostport.to_string(), DEFAULT_PORT),
            }
        };
        if host.is_empty() {
            return Err(bad(s, "missing host"));
        }
        return Ok(Target {
            addr: Addr::Tcp(host, port),
            export: percent_decode(path, s)?,
        });
    }
    if let Some(rest) = s.strip_prefix("nbd:") {
        // Legacy form: fields separated by ':', optional exportname=.
        let (main, export) = match rest.find(":exportname=") {
            Some(i) => (&rest[..i], rest[i + ":exportname=".len()..].to_string()),
            None => (rest, String::new()),
        };
        if let Some(path) = main.strip_prefix("unix:") {
            if path.is_empty() {
                return Err(bad(s, "missing socket path"));
            }
            return Ok(Target {
                addr: Addr::Unix(PathBuf::from(path)),
                export,
            });
        }
        let (host, port) = match main.rsplit_once(':') {
            Some((h, p)) => (h.to_string(), parse_port(p, s)?),
            None => (main.to_string(), DEFAULT_PORT),
        };
        if host.is_empty() {
            return Err(bad(s, "missing host"));
        }
        return Ok(Target {
            addr: Addr::Tcp(host, port),
            export,
        });
    }
    Err(bad(s, "not an nbd: address"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tcp(h: &str, p: u16, e: &str) -> Target {
        Target {
            addr: Addr::Tcp(h.into(), p),
            export: e.into(),
        }
    }

    #[test]
    fn forms() {
        assert_eq!(
            parse("nbd://127.0.0.1:1234/disk").unwrap(),
            tcp("127.0.0.1", 1234, "disk")
        );
        assert_eq!(parse("nbd://host").unwrap(), tcp("host", DEFAULT_PORT, ""));
        assert_eq!(parse("nbd://host/").unwrap(), tcp("host", DEFAULT_PORT, ""));
        assert_eq!(
            parse("nbd+tcp://[::1]:99/a%20b").unwrap(),
            tcp("::1", 99, "a b")
        );
        assert_eq!(parse("nbd://h:5/a/b").unwrap(), tcp("h", 5, "a/b"));
        assert_eq!(
            parse("nbd+unix:///x?socket=/tmp/s").unwrap(),
            Target {
                addr: Addr::Unix("/tmp/s".into()),
                export: "x".into()
            }
        );
        assert_eq!(
            parse("nbd:unix:/tmp/s:exportname=e").unwrap(),
            Target {
                addr: Addr::Unix("/tmp/s".into()),
                export: "e".into()
            }
        );
        assert_eq!(parse("nbd:localhost:10").unwrap(), tcp("localhost", 10, ""));
        for b in [
            "nbd://",
            "nbd://h:99999/x",
            "nbd+unix:///x",
            "nbd+unix://host/x?socket=/s",
            "nbd://h/x%zz",
            "nbd://[::1/x",
            "nbd+unix:///x?socket=/s&foo=1",
        ] {
            assert!(parse(b).is_err(), "{b}");
        }
        assert!(is_nbd_url("nbd://h/x"));
        assert!(is_nbd_url("nbd+unix:///x?socket=/s"));
        assert!(!is_nbd_url("disk.qcow2"));
        assert!(!is_nbd_url("nbd:/relative-looking-file"));
    }
}
