//! The human monitor's commands (`-monitor`, QMP `human-monitor-command`):
//! a line is a command name and its arguments; output is text. Commands
//! that QMP also has run through `commands::execute`, so both behave the
//! same. `complete` gives the tab completions of a partial line.

use super::commands::{self, Args};
use crate::machine::Machine;
use crate::snapshots;
use serde_json::{json, Map, Value};
use std::sync::Arc;

/// (name, arguments, help), as `help` lists them.
pub const COMMANDS: &[(&str, &str, &str)] = &[
    ("help", "[cmd]", "show the help"),
    (
        "info",
        "[subcommand]",
        "show various information about the system state",
    ),
    ("stop", "", "stop emulation"),
    ("cont", "", "resume emulation"),
    ("system_reset", "", "reset the system"),
    ("system_powerdown", "", "send system power down event"),
    ("quit", "", "quit the emulator"),
    (
        "savevm",
        "[tag]",
        "save a VM snapshot (without a tag: vm-YYYYMMDDhhmmss)",
    ),
    ("loadvm", "tag", "restore a VM snapshot from its tag"),
    ("delvm", "tag", "delete a VM snapshot from its tag"),
    (
        "block_resize",
        "device size",
        "resize a block image (size in bytes, or with K/M/G)",
    ),
    ("drive_del", "device", "remove host block device"),
    (
        "blockdev_add",
        "options",
        "add a block node (driver=qcow2,node-name=N,file.driver=file,file.filename=F[,read-only=on])",
    ),
    (
        "blockdev_del",
        "node",
        "delete a block node added by blockdev_add",
    ),
    (
        "dump-guest-memory",
        "[-d] filename [begin length]",
        "dump guest memory into file 'filename' as an ELF core (-d: in the background, see 'info dump')",
    ),
];

/// `info` subcommands and their help.
pub const INFO: &[(&str, &str)] = &[
    ("status", "show the current VM status (running|paused)"),
    ("version", "show the version of Mimic"),
    ("block", "show the block devices"),
    ("snapshots", "show the currently saved VM snapshots"),
    ("cpus", "show infos for each CPU"),
    ("dump", "display the latest dump status"),
    ("usernet", "show user network stack connection states"),
];

/// The result of one line: text to print, and the QMP command whose
/// after-reply action follows (quit, system_reset).
pub struct Output {
    pub text: String,
    pub after: Option<&'static str>,
}

fn text(s: impl Into<String>) -> Output {
    Output {
        text: s.into(),
        after: None,
    }
}

fn qmp(m: &Arc<Machine>, name: &str, args: Value) -> Result<Value, String> {
    let a = match args {
        Value::Object(o) => o,
        _ => Map::new(),
    };
    commands::execute(m, name, Args::new(a))
        .map(|(v, _)| v)
        .map_err(|e| e.desc)
}

fn parse_size(s: &str) -> Option<u64> {
    let (num, mul) = match s.chars().last()? {
        'k' | 'K' => (&s[..s.len() - 1], 1u64 << 10),
        'm' | 'M' => (&s[..s.len() - 1], 1 << 20),
        'g' | 'G' => (&s[..s.len() - 1], 1 << 30),
        't' | 'T' => (&s[..s.len() - 1], 1 << 40),
        _ => (s, 1),
    };
    num.parse::<u64>().ok()?.checked_mul(mul)
}

/// A decimal or 0x-prefixed hexadecimal number.
fn parse_num(s: &str) -> Option<u64> {
    match s.strip_prefix("0x") {
        Some(h) => u64::from_str_radix(h, 16).ok(),
        None => s.parse().ok(),
    }
}

fn help(topic: Option<&str>) -> String {
    let mut o = String::new();
    for (n, a, h) in COMMANDS {
        if topic.is_none_or(|t| t == *n) {
            o += &format!("{n} {a} -- {h}\n");
        }
    }
    if topic == Some("info") || topic.is_none() && o.is_empty() {
        for (n, h) in INFO {
            o += &format!("info {n} -- {h}\n");
        }
    }
    o
}

fn info(m: &Arc<Machine>, what: Option<&str>) -> Result<String, String> {
    match what {
        None => Ok(INFO
            .iter()
            .map(|(n, h)| format!("info {n} -- {h}\n"))
            .collect()),
        Some("status") => {
            let s = qmp(m, "query-status", json!({}))?;
            Ok(format!(
                "VM status: {}\n",
                s["status"].as_str().unwrap_or("?")
            ))
        }
        Some("version") => Ok(format!("{} (mimic)\n", env!("CARGO_PKG_VERSION"))),
        Some("dump") => {
            let s = m.dump.get();
            Ok(format!(
                "Status: {}\nCompleted: {} bytes of {}\n",
                s.status, s.completed, s.total
            ))
        }
        Some("block") => Ok(m
            .drives
            .iter()
            .filter(|d| !d.detached())
            .map(|d| {
                format!(
                    "{} ({}): {} ({}{})\n",
                    d.id,
                    d.id,
                    d.file.display(),
                    d.format,
                    if d.read_only { ", read-only" } else { "" }
                )
            })
            .collect()),
        Some("snapshots") => snapshots::info(m),
        Some("usernet") => {
            let mut o = String::new();
            for (id, link) in &m.netdevs {
                let rows = link
                    .nat_table(std::time::Duration::from_secs(2))
                    .ok_or_else(|| format!("netdev {id} did not answer"))?;
                o.push_str(&crate::net::info::format(id, &rows));
            }
            Ok(o)
        }
        Some("cpus") => Ok(m
            .thread_ids
            .iter()
            .enumerate()
            .map(|(i, t)| {
                format!(
                    "{}CPU #{i}: thread_id={}\n",
                    if i == 0 { "* " } else { "  " },
                    t.load(std::sync::atomic::Ordering::SeqCst)
                )
            })
            .collect()),
        Some(x) => Err(format!("unknown info subcommand '{x}' (try 'help info')")),
    }
}

/// Runs one line. Errors come back as text starting with "Error: ", as
/// QEMU's monitor prints them.
pub fn run(m: &Arc<Machine>, line: &str) -> Output {
    match run_inner(m, line) {
        Ok(o) => o,
        Err(e) => text(format!("Error: {e}\n")),
    }
}

fn one_arg<'a>(cmd: &str, args: &[&'a str]) -> Result<&'a str, String> {
    match args {
        [a] => Ok(a),
        [] => Err(format!("{cmd}: missing argument (try 'help {cmd}')")),
        _ => Err(format!("{cmd}: too many arguments")),
    }
}

fn no_args(cmd: &str, args: &[&str]) -> Result<(), String> {
    if args.is_empty() {
        Ok(())
    } else {
        Err(format!("{cmd}: too many arguments"))
    }
}

fn run_inner(m: &Arc<Machine>, line: &str) -> Result<Output, String> {
    let words: Vec<&str> = line.split_whitespace().collect();
    let Some((&cmd, args)) = words.split_first() else {
        return Ok(text(""));
    };
    match cmd {
        "help" | "?" => Ok(text(help(args.first().copied()))),
        "info" if args == ["block", "-n"] => {
            let nodes = qmp(m, "query-named-block-nodes", json!({}))?;
            Ok(text(
                nodes
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|n| {
                        format!(
                            "{}: {} ({}{})\n    Virtual size: {} bytes\n",
                            n["node-name"].as_str().unwrap_or(""),
                            n["file"].as_str().unwrap_or(""),
                            n["drv"].as_str().unwrap_or(""),
                            if n["ro"] == true { ", read-only" } else { "" },
                            n["image"]["virtual-size"]
                        )
                    })
                    .collect::<String>(),
            ))
        }
        "info" => {
            if args.len() > 1 {
                return Err("info: too many arguments".into());
            }
            info(m, args.first().copied()).map(text)
        }
        "stop" | "cont" | "c" | "system_powerdown" => {
            no_args(cmd, args)?;
            let name = if cmd == "c" { "cont" } else { cmd };
            qmp(m, name, json!({}))?;
            Ok(text(""))
        }
        "system_reset" | "quit" | "q" => {
            no_args(cmd, args)?;
            Ok(Output {
                text: String::new(),
                after: Some(if cmd == "system_reset" {
                    "system_reset"
                } else {
                    "quit"
                }),
            })
        }
        "savevm" => {
            let name = match args {
                [] => snapshots::default_name(),
                _ => one_arg(cmd, args)?.to_string(),
            };
            snapshots::savevm(m, &name)?;
            Ok(text(""))
        }
        "drive_del" => {
            commands::drive_del(m, one_arg(cmd, args)?).map_err(|e| e.desc)?;
            Ok(text(""))
        }
        "blockdev_add" => {
            let opts = crate::blockdev::keyval(one_arg(cmd, args)?)?;
            qmp(m, "blockdev-add", Value::Object(opts))?;
            Ok(text(""))
        }
        "blockdev_del" => {
            qmp(
                m,
                "blockdev-del",
                json!({ "node-name": one_arg(cmd, args)? }),
            )?;
            Ok(text(""))
        }
        "dump-guest-memory" => {
            let mut a = json!({ "paging": false });
            let mut rest = Vec::new();
            for w in args {
                match *w {
                    "-p" => a["paging"] = json!(true),
                    "-d" => a["detach"] = json!(true),
                    "-z" => a["format"] = json!("kdump-zlib"),
                    "-l" => a["format"] = json!("kdump-lzo"),
                    "-s" => a["format"] = json!("kdump-snappy"),
                    "-w" => a["format"] = json!("win-dmp"),
                    f if f.starts_with('-') => {
                        return Err(format!("dump-guest-memory: unknown option '{f}'"))
                    }
                    x => rest.push(x),
                }
            }
            match rest[..] {
                [f] => a["protocol"] = json!(format!("file:{f}")),
                [f, b, l] => {
                    a["protocol"] = json!(format!("file:{f}"));
                    let n = |x: &str| {
                        parse_num(x).ok_or_else(|| format!("dump-guest-memory: bad number '{x}'"))
                    };
                    a["begin"] = json!(n(b)?);
                    a["length"] = json!(n(l)?);
                }
                _ => return Err("dump-guest-memory: expects a filename [begin length]".into()),
            }
            qmp(m, "dump-guest-memory", a)?;
            Ok(text(""))
        }
        "loadvm" => {
            snapshots::loadvm(m, one_arg(cmd, args)?)?;
            Ok(text(""))
        }
        "delvm" => {
            snapshots::delvm(m, one_arg(cmd, args)?)?;
            Ok(text(""))
        }
        "block_resize" => {
            let [dev, size] = args else {
                return Err("block_resize: expects a device and a size".into());
            };
            let n = parse_size(size).ok_or_else(|| format!("block_resize: bad size '{size}'"))?;
            qmp(m, "block_resize", json!({ "device": dev, "size": n }))?;
            Ok(text(""))
        }
        _ => Err(format!("unknown command: '{cmd}'")),
    }
}

/// Completions of the last word of `line`: command names for the first
/// word, `info` subcommands after `info`.
pub fn complete(line: &str) -> Vec<String> {
    let words: Vec<&str> = line.split_whitespace().collect();
    let ends_space = line.ends_with(char::is_whitespace);
    let (prefix, pos) = if ends_space || words.is_empty() {
        ("", words.len())
    } else {
        (words[words.len() - 1], words.len() - 1)
    };
    let mut out: Vec<String> = match pos {
        0 => COMMANDS
            .iter()
            .map(|c| c.0)
            .filter(|n| n.starts_with(prefix))
            .map(str::to_string)
            .collect(),
        1 if words[0] == "info" => INFO
            .iter()
            .map(|c| c.0)
            .filter(|n| n.starts_with(prefix))
            .map(str::to_string)
            .collect(),
        1 if words[0] == "help" => COMMANDS
            .iter()
            .map(|c| c.0)
            .filter(|n| n.starts_with(prefix))
            .map(str::to_string)
            .collect(),
        _ => Vec::new(),
    };
    out.sort();
    out
}

/// `complete`, plus the arguments only the machine knows: drive ids
/// after drive_del and block_resize, node names after blockdev_del.
pub fn complete_for(m: &Machine, line: &str) -> Vec<String> {
    let words: Vec<&str> = line.split_whitespace().collect();
    let ends_space = line.ends_with(char::is_whitespace);
    let (cmd, prefix) = match (words.as_slice(), ends_space) {
        ([c], true) => (*c, ""),
        ([c, p], false) => (*c, *p),
        _ => return complete(line),
    };
    let mut names: Vec<String> = match cmd {
        "drive_del" | "block_resize" => m
            .drives
            .iter()
            .filter(|d| !d.detached())
            .map(|d| d.id.clone())
            .collect(),
        "blockdev_del" => {
            let mut v = Vec::new();
            m.blockdevs.each(|n| {
                if !n.implicit {
                    v.push(n.name.clone())
                }
            });
            v
        }
        _ => return complete(line),
    };
    names.retain(|n| n.starts_with(prefix));
    names.sort();
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn completes_commands_and_info_subcommands() {
        assert_eq!(complete("sa"), vec!["savevm"]);
        assert_eq!(
            complete("s"),
            vec!["savevm", "stop", "system_powerdown", "system_reset"]
        );
        assert_eq!(complete("info s"), vec!["snapshots", "status"]);
        assert_eq!(
            complete("info "),
            vec![
                "block",
                "cpus",
                "dump",
                "snapshots",
                "status",
                "usernet",
                "version"
            ]
        );
        assert_eq!(complete("drive"), vec!["drive_del"]);
        assert_eq!(complete("blockdev_"), vec!["blockdev_add", "blockdev_del"]);
        assert_eq!(complete("dump"), vec!["dump-guest-memory"]);
        assert_eq!(complete("help lo"), vec!["loadvm"]);
        assert!(complete("savevm x").is_empty());
        assert!(complete("zz").is_empty());
        assert_eq!(complete("").len(), COMMANDS.len());
    }

    #[test]
    fn completes_drive_and_node_names() {
        use crate::devices::gicv2::GicV2;
        use crate::drive::{Drive, DriveSpec, Interface};
        use crate::irq::Kick;
        use crate::memory::MemoryMap;
        let flag: &'static std::sync::atomic::AtomicU32 = Box::leak(Box::default());
        let kicks = vec![Arc::new(Kick::new(flag))];
        let gic = GicV2::new(kicks.clone());
        let cp = crate::machine::code_pages(&kicks);
        let mut m = Machine::new(Arc::new(MemoryMap::default()), gic, kicks, cp);
        let dir = std::env::temp_dir().join(format!("mimic-hmp-complete-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let img = dir.join("d.raw");
        std::fs::write(&img, vec![0u8; 65536]).unwrap();
        m.drives = vec![Arc::new(
            Drive::open(&DriveSpec {
                id: "disk0".into(),
                file: img.clone(),
                format: Some("raw".into()),
                interface: Interface::Virtio,
                read_only: true,
                snapshot: false,
                serial: None,
                throttle: None,
                throttle_group: None,
                on_error: Default::default(),
            })
            .unwrap(),
        )];
        let node =
            json!({"driver": "file", "node-name": "nodeA", "filename": img, "read-only": true});
        let Value::Object(o) = node else {
            unreachable!()
        };
        m.blockdevs.add(o, &|_| false).unwrap();
        assert_eq!(complete_for(&m, "drive_del "), vec!["disk0"]);
        assert_eq!(complete_for(&m, "block_resize di"), vec!["disk0"]);
        assert!(complete_for(&m, "drive_del x").is_empty());
        assert_eq!(complete_for(&m, "blockdev_del "), vec!["nodeA"]);
        assert_eq!(complete_for(&m, "drive_"), vec!["drive_del"]);
        assert_eq!(complete_for(&m, "info d"), vec!["dump"]);
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn sizes_and_help() {
        assert_eq!(parse_size("64M"), Some(64 << 20));
        assert_eq!(parse_size("512"), Some(512));
        assert_eq!(parse_size("x"), None);
        assert!(help(None).contains("savevm [tag] -- save a VM snapshot"));
        assert!(help(Some("drive_del")).contains("remove host block device"));
        assert_eq!(parse_num("0x40000000"), Some(0x4000_0000));
        assert!(help(Some("info")).contains("info snapshots"));
    }
}
