//! `mimic img`: qemu-img's subcommands over the block layer's drivers.
//! One file per subcommand; this one parses the command line and holds the
//! helpers they share (size suffixes, qemu's size printing, option lists).

pub mod check;
mod commit;
pub mod compare;
mod convert;
mod convert_copy;
mod create;
mod info;
pub mod map;
mod measure;
mod rebase;
mod resize;
pub mod snapshot;

use crate::error::{BlockError, Result};
use std::collections::BTreeMap;
use std::ffi::OsString;

pub use check::{exit_code, report_human, report_json};
pub use compare::compare;
pub use create::create_image;
pub use info::{human as info_human, image_info as info_json};
pub use map::{map_entries, map_json, MapEntry};
pub use measure::measure_text;
pub use snapshot::table_text as snapshot_table_text;

/// Entry point for `mimic img ARGS...` and `mimic-img ARGS...`. `args` excludes
/// the program name. Returns the process exit status (qemu-img's codes).
pub fn img_main(args: Vec<OsString>) -> i32 {
    let args: Vec<String> = args
        .into_iter()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    let Some(cmd) = args.first() else {
        eprintln!("mimic-img: Not enough arguments\nTry 'mimic-img --help' for more information");
        return 1;
    };
    let rest = &args[1..];
    let r = match cmd.as_str() {
        "create" => create::run(rest),
        "info" => info::run(rest),
        "map" => map::run(rest),
        "check" => check::run(rest),
        "convert" => convert::run(rest),
        "snapshot" => snapshot::run(rest),
        "resize" => resize::run(rest),
        "compare" => compare::run(rest),
        "rebase" => rebase::run(rest),
        "commit" => commit::run(rest),
        "measure" => measure::run(rest),
        "-h" | "--help" | "help" => {
            println!("{}", USAGE);
            Ok(0)
        }
        "-V" | "--version" => {
            println!("mimic-img version {}", env!("CARGO_PKG_VERSION"));
            Ok(0)
        }
        other => {
            eprintln!("mimic-img: Command not found: {other}");
            Ok(1)
        }
    };
    match r {
        Ok(code) => code,
        Err(e) => {
            eprintln!("mimic-img: {e}");
            1
        }
    }
}

const USAGE: &str = "usage: mimic-img [standard options] command [command options]
commands: create info map check convert snapshot resize compare rebase commit measure
(same flags as qemu-img)";

/// Parsed command line: options in order and positional arguments.
#[derive(Debug, Default)]
pub(crate) struct Args {
    pub opts: Vec<(String, Option<String>)>,
    pub pos: Vec<String>,
}

impl Args {
    /// `short` lists single-letter options, a ':' after one means it takes an
    /// argument; `long` lists long names, '=' suffix meaning an argument.
    pub fn parse(args: &[String], short: &str, long: &[&str]) -> Result<Args> {
        let mut a = Args::default();
        let takes = |c: char| {
            let i = short.find(c)?;
            Some(short[i + 1..].starts_with(':'))
        };
        let mut i = 0;
        while i < args.len() {
            let s = &args[i];
            if s == "--" {
                a.pos.extend(args[i + 1..].iter().cloned());
                break;
            }
            if let Some(l) = s.strip_prefix("--") {
                let (name, val) = match l.split_once('=') {
                    Some((n, v)) => (n, Some(v.to_string())),
                    None => (l, None),
                };
                let with_arg = long.contains(&format!("{name}=").as_str());
                if !with_arg && !long.contains(&name) {
                    return Err(BlockError::Other(format!("unrecognized option '--{name}'")));
                }
                let val = if with_arg && val.is_none() {
                    i += 1;
                    Some(args.get(i).cloned().ok_or_else(|| {
                        BlockError::Other(format!("option '--{name}' requires an argument"))
                    })?)
                } else {
                    val
                };
                a.opts.push((name.to_string(), val));
            } else if s.len() > 1 && s.starts_with('-') {
                let chars: Vec<char> = s[1..].chars().collect();
                let mut j = 0;
                while j < chars.len() {
                    let c = chars[j];
                    match takes(c) {
                        None => return Err(BlockError::Other(format!("invalid option -- '{c}'"))),
                        Some(false) => a.opts.push((c.to_string(), None)),
                        Some(true) => {
                            let rest: String = chars[j + 1..].iter().collect();
                            let v = if !rest.is_empty() {
                                rest
                            } else {
                                i += 1;
                                args.get(i).cloned().ok_or_else(|| {
                                    BlockError::Other(format!(
                                        "option requires an argument -- '{c}'"
                                    ))
                                })?
                            };
                            a.opts.push((c.to_string(), Some(v)));
                            break;
                        }
                    }
                    j += 1;
                }
            } else {
                a.pos.push(s.clone());
            }
            i += 1;
        }
        Ok(a)
    }

    pub fn has(&self, k: &str) -> bool {
        self.opts.iter().any(|(n, _)| n == k)
    }

    /// Last value of option `k`.
    pub fn get(&self, k: &str) -> Option<String> {
        self.opts
            .iter()
            .rev()
            .find(|(n, _)| n == k)
            .and_then(|(_, v)| v.clone())
    }

    /// All values of a repeatable option (`-o a=1 -o b=2`), joined by ','.
    pub fn joined(&self, k: &str) -> Option<String> {
        let v: Vec<String> = self
            .opts
            .iter()
            .filter(|(n, _)| n == k)
            .filter_map(|(_, v)| v.clone())
            .collect();
        (!v.is_empty()).then(|| v.join(","))
    }

    /// `-U`/`--force-share`.
    pub fn force_share(&self) -> bool {
        self.has("U") || self.has("force-share")
    }

    /// `--output=human|json`.
    pub fn json(&self) -> Result<bool> {
        match self.get("output").as_deref() {
            None | Some("human") => Ok(false),
            Some("json") => Ok(true),
            Some(o) => Err(BlockError::Other(format!(
                "--output must be used with human or json as argument. (got {o})"
            ))),
        }
    }
}

/// Parses qemu's size syntax: a number with an optional fraction and a
/// suffix b/k/M/G/T/P/E (binary multiples; none = bytes).
pub fn parse_size(s: &str) -> Result<u64> {
    let bad = || {
        BlockError::Other(format!("Invalid image size specified. You may use k, M, G, T, P or E suffixes for\nkilobytes, megabytes, gigabytes, terabytes, petabytes and exabytes. (got '{s}')"))
    };
    let s = s.trim();
    let split = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(s.len());
    let (num, suf) = s.split_at(split);
    if num.is_empty() {
        return Err(bad());
    }
    let mult: u64 = match suf {
        "" | "b" | "B" => 1,
        "k" | "K" => 1 << 10,
        "m" | "M" => 1 << 20,
        "g" | "G" => 1 << 30,
        "t" | "T" => 1 << 40,
        "p" | "P" => 1 << 50,
        "e" | "E" => 1 << 60,
        _ => return Err(bad()),
    };
    if let Some((i, f)) = num.split_once('.') {
        if mult == 1 && !f.chars().all(|c| c == '0') {
            return Err(bad());
        }
        let i: u64 = if i.is_empty() {
            0
        } else {
            i.parse().map_err(|_| bad())?
        };
        let frac: f64 = format!("0.{f}").parse().map_err(|_| bad())?;
        let v = i.checked_mul(mult).ok_or_else(bad)? + (frac * mult as f64) as u64;
        Ok(v)
    } else {
        num.parse::<u64>()
            .map_err(|_| bad())?
            .checked_mul(mult)
            .ok_or_else(bad)
    }
}

/// qemu's `size_to_str`: "0 B", "196 KiB", "1.5 GiB" (three significant digits).
pub fn size_to_str(v: u64) -> String {
    const SUF: [&str; 7] = ["", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"];
    let x = v as f64 / (1000.0 / 1024.0);
    // frexp exponent: smallest e with x < 2^e.
    let e = if x == 0.0 {
        0
    } else {
        x.log2().floor() as i64 + 1
    };
    let i = ((e - 1) / 10).clamp(0, 6) as usize;
    let div = (1u128 << (i * 10)) as f64;
    format!("{} {}B", fmt_g3(v as f64 / div), SUF[i])
}

/// C's `%0.3g` for values below 1000.
pub fn fmt_g3(v: f64) -> String {
    if v == 0.0 {
        return "0".into();
    }
    let digits = if v >= 100.0 {
        0
    } else if v >= 10.0 {
        1
    } else if v >= 1.0 {
        2
    } else {
        3
    };
    let mut s = format!("{v:.digits$}");
    if s.contains('.') {
        while s.ends_with('0') {
            s.pop();
        }
        if s.ends_with('.') {
            s.pop();
        }
    }
    if s == "1000" {
        return "1e+03".into();
    }
    s
}

/// Parses a `-o a=b,c=d` list (",," escapes a comma; a bare word is "on").
pub fn parse_opts(s: &str) -> Result<BTreeMap<String, String>> {
    Ok(crate::opts::split_opts(s)
        .into_iter()
        .map(|(k, v)| (k, v.unwrap_or_else(|| "on".to_string())))
        .collect())
}

/// on/off style booleans.
pub fn parse_bool(k: &str, v: &str) -> Result<bool> {
    match v {
        "on" | "yes" | "true" | "y" => Ok(true),
        "off" | "no" | "false" | "n" => Ok(false),
        _ => Err(BlockError::Other(format!(
            "Parameter '{k}' expects 'on' or 'off'"
        ))),
    }
}

/// Format of an image given on the command line (explicit or probed).
pub(crate) fn fmt_of(path: &str, f: Option<String>) -> Result<String> {
    match f {
        Some(f) => Ok(f),
        None => Ok(crate::probe_format(std::path::Path::new(path))
            .map_err(|e| BlockError::Other(format!("Could not open '{path}': {e}")))?
            .to_string()),
    }
}

/// Opens an image for a subcommand with qemu-img's error prefix.
pub(crate) fn open(path: &str, fmt: Option<&str>, ro: bool) -> Result<Box<dyn crate::BlockDriver>> {
    crate::open_image(std::path::Path::new(path), fmt, ro)
        .map_err(|e| BlockError::Other(format!("Could not open '{path}': {e}")))
}

/// Prints a progress line like qemu-img's `-p`.
pub(crate) fn progress(pct: f64) {
    use std::io::Write;
    print!("    ({pct:3.2}/100%)\r");
    let _ = std::io::stdout().flush();
}
