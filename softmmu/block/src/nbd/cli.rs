//! `mimic nbd` and `mimic-nbd`: qemu-nbd's command line for one image, plus
//! any number of `--export name=NAME,file=PATH[,format=F][,readonly=on]
//! [,description=TEXT]`.

use super::server::{stderr_log, CacheMode, ExportConfig, Listen, Server, ServerConfig};
use std::ffi::OsString;
use std::path::PathBuf;

const USAGE: &str = "\
Usage: mimic-nbd [OPTIONS] [FILE]
       mimic-nbd [OPTIONS] --export name=NAME,file=PATH[,format=FMT][,readonly=on] ...
Serve FILE (or each --export) over the NBD protocol.

  -p, --port=PORT           port to listen on (default 10809)
  -b, --bind=ADDR           address to listen on (default 0.0.0.0)
  -k, --socket=PATH         listen on a Unix socket instead of TCP
  -x, --export-name=NAME    name of the export of FILE (default \"\")
  -D, --description=TEXT    description of the export of FILE
  -f, --format=FORMAT       format of FILE (probed when omitted)
  -r, --read-only           export read-only
  -l, --load-snapshot=NAME  serve an internal snapshot (read-only)
  -t, --persistent          keep serving after the last client disconnects
  -e, --shared=NUM          serve up to NUM clients at once (default 1; 0 = no limit)
      --cache=MODE          writeback|writethrough|none|directsync|unsafe
  -n, --nocache             same as --cache=none
      --discard=MODE        ignore|unmap (default ignore)
      --aio=MODE, --detect-zeroes=MODE   accepted, ignored
      --export SPEC         serve another image (repeatable); implies -t and -e 0
                            unless given
      --fork                return once the server is listening
      --pid-file=PATH       write the server's pid to PATH
  -v, --verbose             log each connection
  -h, --help, -V, --version";

/// Options that take an argument: (short, long).
const WITH_ARG: &[(&str, &str)] = &[
    ("p", "port"),
    ("b", "bind"),
    ("k", "socket"),
    ("x", "export-name"),
    ("D", "description"),
    ("f", "format"),
    ("l", "load-snapshot"),
    ("e", "shared"),
    ("", "cache"),
    ("", "discard"),
    ("", "aio"),
    ("", "detect-zeroes"),
    ("", "export"),
    ("", "pid-file"),
];
/// Flags: (short, long).
const FLAGS: &[(&str, &str)] = &[
    ("r", "read-only"),
    ("t", "persistent"),
    ("n", "nocache"),
    ("v", "verbose"),
    ("h", "help"),
    ("V", "version"),
    ("", "fork"),
];

/// The parsed command line.
#[derive(Debug, Default)]
pub struct Opts {
    /// (long name, value) in order.
    pub opts: Vec<(String, Option<String>)>,
    pub pos: Vec<String>,
}

impl Opts {
    pub fn parse(args: &[String]) -> Result<Opts, String> {
        let mut o = Opts::default();
        let mut i = 0;
        let long_of = |s: &str| {
            WITH_ARG
                .iter()
                .find(|(sh, _)| *sh == s)
                .map(|(_, l)| (*l, true))
                .or_else(|| {
                    FLAGS
                        .iter()
                        .find(|(sh, _)| *sh == s)
                        .map(|(_, l)| (*l, false))
                })
        };
        while i < args.len() {
            let a = &args[i];
            if a == "--" {
                o.pos.extend(args[i + 1..].iter().cloned());
                break;
            }
            if let Some(l) = a.strip_prefix("--") {
                let (name, val) = match l.split_once('=') {
                    Some((n, v)) => (n, Some(v.to_string())),
                    None => (l, None),
                };
                if WITH_ARG.iter().any(|(_, n)| *n == name) {
                    let v = match val {
                        Some(v) => v,
                        None => {
                            i += 1;
                            args.get(i)
                                .cloned()
                                .ok_or_else(|| format!("option '--{name}' requires an argument"))?
                        }
                    };
                    o.opts.push((name.into(), Some(v)));
                } else if FLAGS.iter().any(|(_, n)| *n == name) {
                    if val.is_some() {
                        return Err(format!("option '--{name}' doesn't allow an argument"));
                    }
                    o.opts.push((name.into(), None));
                } else {
                    return Err(format!("unrecognized option '--{name}'"));
                }
            } else if a.len() > 1 && a.starts_with('-') {
                let chars: Vec<char> = a[1..].chars().collect();
                let mut j = 0;
                while j < chars.len() {
                    let c = chars[j].to_string();
                    match long_of(&c) {
                        Some((l, false)) => o.opts.push((l.into(), None)),
                        Some((l, true)) => {
                            let rest: String = chars[j + 1..].iter().collect();
                            let v = if !rest.is_empty() {
                                rest
                            } else {
                                i += 1;
                                args.get(i).cloned().ok_or_else(|| {
                                    format!("option requires an argument -- '{c}'")
                                })?
                            };
                            o.opts.push((l.into(), Some(v)));
                            break;
                        }
                        None => return Err(format!("invalid option -- '{c}'")),
                    }
                    j += 1;
                }
            } else {
                o.pos.push(a.clone());
            }
            i += 1;
        }
        Ok(o)
    }

    pub fn has(&self, k: &str) -> bool {
        self.opts.iter().any(|(n, _)| n == k)
    }

    pub fn get(&self, k: &str) -> Option<&str> {
        self.opts
            .iter()
            .rev()
            .find(|(n, _)| n == k)
            .and_then(|(_, v)| v.as_deref())
    }

    pub fn all(&self, k: &str) -> Vec<&str> {
        self.opts
            .iter()
            .filter(|(n, _)| n == k)
            .filter_map(|(_, v)| v.as_deref())
            .collect()
    }
}

/// What the command line asks for.
pub struct Plan {
    pub cfg: ServerConfig,
    pub fork: bool,
    pub pid_file: Option<PathBuf>,
}

fn parse_bool(k: &str, v: &str) -> Result<bool, String> {
    match v {
        "on" | "yes" | "true" | "y" | "1" => Ok(true),
        "off" | "no" | "false" | "n" | "0" => Ok(false),
        _ => Err(format!("Parameter '{k}' expects 'on' or 'off'")),
    }
}

/// Parses `name=N,file=P,...` (",," is a literal comma).
fn parse_export(spec: &str, base: &ExportConfig) -> Result<ExportConfig, String> {
    let kv = crate::img::parse_opts(spec).map_err(|e| e.to_string())?;
    let mut c = base.clone();
    c.name = String::new();
    c.description = String::new();
    let mut file = None;
    let mut name = None;
    for (k, v) in &kv {
        match k.as_str() {
            "name" => name = Some(v.clone()),
            "file" => file = Some(PathBuf::from(v)),
            "format" => c.format = Some(v.clone()),
            "readonly" | "read-only" => c.read_only = parse_bool(k, v)?,
            "description" => c.description = v.clone(),
            "snapshot" => c.snapshot = Some(v.clone()),
            _ => return Err(format!("--export: unknown parameter '{k}'")),
        }
    }
    c.path = file.ok_or_else(|| format!("--export '{spec}': missing file="))?;
    c.name = name.ok_or_else(|| format!("--export '{spec}': missing name="))?;
    if c.name.len() > super::proto::MAX_STRING {
        return Err("export name is too long".into());
    }
    Ok(c)
}

/// Turns the command line into a server configuration. `Ok(None)` means
/// "done" (help or version printed).
pub fn plan(args: &[String]) -> Result<Option<Plan>, String> {
    let o = Opts::parse(args)?;
    if o.has("help") {
        println!("{USAGE}");
        return Ok(None);
    }
    if o.has("version") {
        println!("mimic-nbd {}", env!("CARGO_PKG_VERSION"));
        return Ok(None);
    }
    let cache = match o.get("cache") {
        None if o.has("nocache") => CacheMode::None,
        None => CacheMode::Writeback,
        Some(c) => CacheMode::parse(c).ok_or_else(|| format!("Invalid cache mode '{c}'"))?,
    };
    let discard = match o.get("discard") {
        None | Some("ignore") | Some("off") => false,
        Some("unmap") | Some("on") => true,
        Some(d) => return Err(format!("Invalid discard mode '{d}'")),
    };
    if let Some(a) = o.get("aio") {
        if !["threads", "native", "io_uring"].contains(&a) {
            return Err(format!("invalid aio mode '{a}'"));
        }
    }
    let base = ExportConfig {
        name: o.get("export-name").unwrap_or("").to_string(),
        path: PathBuf::new(),
        format: o.get("format").map(str::to_string),
        read_only: o.has("read-only"),
        description: o.get("description").unwrap_or("").to_string(),
        cache,
        discard,
        snapshot: o.get("load-snapshot").map(str::to_string),
    };
    let mut exports = Vec::new();
    match o.pos.len() {
        0 => {}
        1 => {
            let mut c = base.clone();
            c.path = PathBuf::from(&o.pos[0]);
            exports.push(c);
        }
        _ => return Err(format!("Unexpected argument '{}'", o.pos[1])),
    }
    let multi = !o.all("export").is_empty();
    let ebase = ExportConfig {
        format: None,
        snapshot: None,
        ..base.clone()
    };
    for spec in o.all("export") {
        exports.push(parse_export(spec, &ebase)?);
    }
    if exports.is_empty() {
        return Err("Expecting one image file name (or --export)".into());
    }
    let listen = match o.get("socket") {
        Some(p) => {
            if o.has("port") || o.has("bind") {
                return Err("-k cannot be combined with -p or -b".into());
            }
            Listen::Unix(PathBuf::from(p))
        }
        None => {
            let port: u16 = match o.get("port") {
                Some(p) => p.parse().map_err(|_| format!("Invalid port '{p}'"))?,
                None => super::uri::DEFAULT_PORT,
            };
            let host = o.get("bind").unwrap_or("0.0.0.0");
            let host = if host.contains(':') && !host.starts_with('[') {
                format!("[{host}]")
            } else {
                host.to_string()
            };
            Listen::Tcp(format!("{host}:{port}"))
        }
    };
    let shared = match o.get("shared") {
        Some(s) => s
            .parse::<usize>()
            .map_err(|_| format!("Invalid shared device number '{s}'"))?,
        None if multi => 0,
        None => 1,
    };
    Ok(Some(Plan {
        cfg: ServerConfig {
            listen,
            exports,
            persistent: o.has("persistent") || multi,
            shared,
            verbose: o.has("verbose"),
            log: stderr_log(),
        },
        fork: o.has("fork"),
        pid_file: o.get("pid-file").map(PathBuf::from),
    }))
}

/// Entry point for `mimic nbd ARGS...` and `mimic-nbd ARGS...` (`args`
/// excludes the program name). Returns the exit status.
pub fn nbd_main(args: Vec<OsString>) -> i32 {
    let args: Vec<String> = args
        .into_iter()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    let plan = match plan(&args) {
        Ok(Some(p)) => p,
        Ok(None) => return 0,
        Err(e) => {
            eprintln!("mimic-nbd: {e}\nTry 'mimic-nbd --help' for more information.");
            return 1;
        }
    };
    let server = match Server::bind(plan.cfg) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("mimic-nbd: {e}");
            return 1;
        }
    };
    if plan.fork {
        // The listener is bound: the parent may return and clients connect.
        match unsafe { libc::fork() } {
            -1 => {
                eprintln!(
                    "mimic-nbd: fork failed: {}",
                    std::io::Error::last_os_error()
                );
                return 1;
            }
            0 => unsafe {
                libc::setsid();
            },
            _ => return 0,
        }
    }
    if let Some(p) = &plan.pid_file {
        if let Err(e) = std::fs::write(p, format!("{}\n", std::process::id())) {
            eprintln!("mimic-nbd: cannot write pid file {}: {e}", p.display());
            return 1;
        }
    }
    super::server::install_signal_handlers();
    server.run();
    if let Some(p) = &plan.pid_file {
        let _ = std::fs::remove_file(p);
    }
    0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn qemu_nbd_style() {
        let p = plan(&s(&[
            "-f",
            "qcow2",
            "-x",
            "disk",
            "-p",
            "0",
            "-b",
            "127.0.0.1",
            "-r",
            "--cache=unsafe",
            "--discard=unmap",
            "-t",
            "--shared=4",
            "img.qcow2",
        ]))
        .unwrap()
        .unwrap();
        let c = &p.cfg;
        assert!(matches!(&c.listen, Listen::Tcp(a) if a == "127.0.0.1:0"));
        assert!(c.persistent);
        assert_eq!(c.shared, 4);
        let e = &c.exports[0];
        assert_eq!(e.name, "disk");
        assert_eq!(e.format.as_deref(), Some("qcow2"));
        assert!(e.read_only && e.discard);
        assert_eq!(e.cache, CacheMode::Unsafe);
    }

    #[test]
    fn named_exports() {
        let p = plan(&s(&[
            "-k",
            "/tmp/x.sock",
            "--export",
            "name=a,file=/a,,b.raw,readonly=on",
            "--export=name=b,file=/b.qcow2,format=qcow2",
        ]))
        .unwrap()
        .unwrap();
        let c = &p.cfg;
        assert!(c.persistent);
        assert_eq!(c.shared, 0);
        assert_eq!(c.exports.len(), 2);
        assert_eq!(c.exports[0].path, PathBuf::from("/a,b.raw"));
        assert!(c.exports[0].read_only);
        assert_eq!(c.exports[1].format.as_deref(), Some("qcow2"));
    }

    #[test]
    fn errors() {
        for a in [
            &["--bogus", "x"][..],
            &["-p"],
            &["-p", "99999", "x"],
            &[],
            &["a", "b"],
            &["--export", "name=a"],
            &["--cache=sometimes", "x"],
            &["-k", "/s", "-p", "1", "x"],
            &["--export", "name=a,file=/x,colour=blue"],
        ] {
            assert!(plan(&s(a)).is_err(), "{a:?}");
        }
    }
}
