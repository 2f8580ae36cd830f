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
    ("savevm", "tag", "save a VM snapshot"),
    ("loadvm", "tag", "restore a VM snapshot from its tag"),
    ("delvm", "tag", "delete a VM snapshot from its tag"),
    (
        "block_resize",
        "device size",
        "resize a block image (size in bytes, or with K/M/G)",
    ),
];

/// `info` subcommands and their help.
pub const INFO: &[(&str, &str)] = &[
    ("status", "show the current VM status (running|paused)"),
    ("version", "show the version of Mimic"),
    ("block", "show the block devices"),
    ("snapshots", "show the currently saved VM snapshots"),
    ("cpus", "show infos for each CPU"),
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
        Some("block") => Ok(m
            .drives
            .iter()
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
            let name = one_arg(cmd, args)?;
            snapshots::savevm(m, name)?;
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
            vec!["block", "cpus", "snapshots", "status", "version"]
        );
        assert_eq!(complete("help lo"), vec!["loadvm"]);
        assert!(complete("savevm x").is_empty());
        assert!(complete("zz").is_empty());
        assert_eq!(complete("").len(), COMMANDS.len());
    }

    #[test]
    fn sizes_and_help() {
        assert_eq!(parse_size("64M"), Some(64 << 20));
        assert_eq!(parse_size("512"), Some(512));
        assert_eq!(parse_size("x"), None);
        assert!(help(None).contains("savevm tag -- save a VM snapshot"));
        assert!(help(Some("info")).contains("info snapshots"));
    }
}
