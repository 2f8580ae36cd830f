//! The human monitor as a server (`-monitor stdio`, `-monitor
//! unix:PATH,server,nowait`, `tcp:...`): a banner, a `(mimic) ` prompt,
//! one command per line (`hmp::run`). On a terminal the line is edited
//! here (the terminal in non-canonical mode without echo): backspace,
//! Ctrl-U, and Tab completing command names and `info` subcommands.

use super::server::{Listener, Stream};
use super::{commands, hmp, QmpSpec};
use crate::machine::Machine;
use std::io::{BufRead, BufReader, Read, Write};
use std::sync::Arc;

const BANNER: &str = "Mimic monitor - type 'help' for more information\n";
const PROMPT: &str = "(mimic) ";

/// A `-monitor` option.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MonitorSpec {
    Stdio,
    Socket(QmpSpec),
}

impl MonitorSpec {
    /// `none` gives None.
    pub fn parse(s: &str) -> Result<Option<MonitorSpec>, String> {
        match s {
            "none" => Ok(None),
            "stdio" => Ok(Some(MonitorSpec::Stdio)),
            _ => QmpSpec::parse(s)
                .map(|q| Some(MonitorSpec::Socket(q)))
                .map_err(|e| e.replacen("-qmp", "-monitor", 1)),
        }
    }
}

/// Restores the terminal's settings when dropped (machine exit).
pub struct TermGuard(Option<libc::termios>);

impl Drop for TermGuard {
    fn drop(&mut self) {
        if let Some(t) = &self.0 {
            // SAFETY: restores settings read from the same descriptor.
            unsafe { libc::tcsetattr(0, libc::TCSANOW, t) };
        }
    }
}

/// Puts stdin (a terminal) in non-canonical mode without echo.
fn raw_stdin() -> Option<libc::termios> {
    // SAFETY: plain termios calls on descriptor 0 with a zeroed struct.
    unsafe {
        if libc::isatty(0) != 1 {
            return None;
        }
        let mut t: libc::termios = std::mem::zeroed();
        if libc::tcgetattr(0, &mut t) != 0 {
            return None;
        }
        let saved = t;
        t.c_lflag &= !(libc::ICANON | libc::ECHO);
        t.c_cc[libc::VMIN] = 1;
        t.c_cc[libc::VTIME] = 0;
        (libc::tcsetattr(0, libc::TCSANOW, &t) == 0).then_some(saved)
    }
}

/// Starts the monitor; the guard restores the terminal at exit.
pub fn start(m: &Arc<Machine>, spec: &MonitorSpec) -> Result<TermGuard, String> {
    match spec {
        MonitorSpec::Stdio => {
            let saved = raw_stdin();
            let tty = saved.is_some();
            let m = m.clone();
            std::thread::Builder::new()
                .name("monitor".into())
                .spawn(move || {
                    session(
                        &m,
                        Box::new(std::io::stdin()),
                        Box::new(std::io::stdout()),
                        tty,
                    )
                })
                .map_err(|e| format!("-monitor: cannot start the monitor thread: {e}"))?;
            Ok(TermGuard(saved))
        }
        MonitorSpec::Socket(q) => {
            let l = Listener::bind(&q.addr).map_err(|e| e.replacen("-qmp", "-monitor", 1))?;
            let spawn = |m: &Arc<Machine>, (r, w): Stream| {
                let m = m.clone();
                std::thread::spawn(move || session(&m, r, w, false));
            };
            if q.wait {
                let s = l
                    .accept()
                    .map_err(|e| format!("-monitor: waiting for a client: {e}"))?;
                spawn(m, s);
            }
            let m = m.clone();
            std::thread::Builder::new()
                .name("monitor".into())
                .spawn(move || loop {
                    match l.accept() {
                        Ok(s) => spawn(&m, s),
                        Err(_) => std::thread::sleep(std::time::Duration::from_millis(100)),
                    }
                })
                .map_err(|e| format!("-monitor: cannot start the monitor thread: {e}"))?;
            Ok(TermGuard(None))
        }
    }
}

fn session(
    m: &Arc<Machine>,
    input: Box<dyn Read + Send>,
    mut out: Box<dyn Write + Send>,
    tty: bool,
) {
    let mut lines = BufReader::new(input);
    if out.write_all(BANNER.as_bytes()).is_err() {
        return;
    }
    loop {
        if out
            .write_all(PROMPT.as_bytes())
            .and_then(|_| out.flush())
            .is_err()
        {
            return;
        }
        let line = if tty {
            edit_line(&mut lines, &mut out, &|l: &str| hmp::complete_for(m, l))
        } else {
            let mut l = String::new();
            match lines.read_line(&mut l) {
                Ok(0) | Err(_) => None,
                Ok(_) => Some(l),
            }
        };
        let Some(line) = line else { return };
        m.wait_started();
        let o = hmp::run(m, line.trim());
        if out
            .write_all(o.text.as_bytes())
            .and_then(|_| out.flush())
            .is_err()
        {
            return;
        }
        if let Some(after) = o.after {
            commands::after_reply(m, after);
            if after == "quit" {
                return;
            }
        }
    }
}

/// Reads one line from a terminal, echoing and editing it; Tab completes
/// with `complete`'s candidates. None at end of input (or Ctrl-D on an
/// empty line).
pub fn edit_line(
    input: &mut dyn Read,
    out: &mut dyn Write,
    complete: &dyn Fn(&str) -> Vec<String>,
) -> Option<String> {
    let mut line = String::new();
    let mut b = [0u8; 1];
    loop {
        match input.read(&mut b) {
            Ok(1) => {}
            _ => return None,
        }
        let echo = match b[0] {
            b'\r' | b'\n' => {
                let _ = out.write_all(b"\n");
                return Some(line);
            }
            4 if line.is_empty() => return None,
            0x7f | 8 => {
                if line.pop().is_some() {
                    "\x08 \x08".to_string()
                } else {
                    String::new()
                }
            }
            0x15 => {
                let n = line.chars().count();
                line.clear();
                "\x08 \x08".repeat(n)
            }
            b'\t' => complete_in_place(&mut line, complete),
            0x1b => {
                // An escape sequence (arrow keys): skipped.
                let mut seq = [0u8; 2];
                let _ = input.read_exact(&mut seq);
                String::new()
            }
            c if (0x20..0x7f).contains(&c) => {
                line.push(c as char);
                (c as char).to_string()
            }
            _ => String::new(),
        };
        if out
            .write_all(echo.as_bytes())
            .and_then(|_| out.flush())
            .is_err()
        {
            return None;
        }
    }
}

/// Tab on `line`: one candidate completes the word (and adds a space);
/// several extend it to their common prefix and are listed. Returns the
/// text to echo.
fn complete_in_place(line: &mut String, complete: &dyn Fn(&str) -> Vec<String>) -> String {
    let c = complete(line);
    let word_start = line.rfind(char::is_whitespace).map_or(0, |i| i + 1);
    let typed = line.len() - word_start;
    match c.len() {
        0 => String::new(),
        1 => {
            let add = format!("{} ", &c[0][typed..]);
            line.push_str(&add);
            add
        }
        _ => {
            let first = &c[0];
            let common = (typed..=first.len())
                .rev()
                .find(|&n| c.iter().all(|x| x.len() >= n && x[..n] == first[..n]))
                .unwrap_or(typed);
            line.push_str(&first[typed..common]);
            format!("\n{}\n{PROMPT}{line}", c.join("  "))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn edit(keys: &[u8]) -> (Option<String>, String) {
        let mut out = Vec::new();
        let l = edit_line(&mut &keys[..], &mut out, &hmp::complete);
        (l, String::from_utf8_lossy(&out).into_owned())
    }

    #[test]
    fn line_editing_and_tab_completion() {
        assert_eq!(edit(b"sav\tx\n").0.as_deref(), Some("savevm x"));
        assert_eq!(edit(b"info sn\t\n").0.as_deref(), Some("info snapshots "));
        // Two candidates: the common prefix, and the list is shown.
        assert_eq!(edit(b"info st\t\n").0.as_deref(), Some("info status "));
        let (l, shown) = edit(b"info s\t\n");
        assert_eq!(l.as_deref(), Some("info s"));
        assert!(shown.contains("snapshots  status"), "{shown}");
        let (l, shown) = edit(b"sys\t\n");
        assert_eq!(l.as_deref(), Some("system_"));
        assert!(shown.contains("system_powerdown  system_reset"), "{shown}");
        assert_eq!(edit(b"stopx\x7f\n").0.as_deref(), Some("stop"));
        assert_eq!(edit(b"junk\x15cont\n").0.as_deref(), Some("cont"));
        assert_eq!(edit(b"\x1b[Ac\n").0.as_deref(), Some("c"));
        assert_eq!(edit(b"\x04").0, None);
        assert_eq!(edit(b"no newline").0, None);
    }

    #[test]
    fn parses_monitor_options() {
        assert_eq!(MonitorSpec::parse("none").unwrap(), None);
        assert_eq!(
            MonitorSpec::parse("stdio").unwrap(),
            Some(MonitorSpec::Stdio)
        );
        assert!(matches!(
            MonitorSpec::parse("unix:/tmp/m.sock,server,nowait").unwrap(),
            Some(MonitorSpec::Socket(_))
        ));
        assert!(MonitorSpec::parse("vc")
            .unwrap_err()
            .starts_with("-monitor"));
    }
}
