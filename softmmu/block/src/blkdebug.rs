//! `blkdebug`, QEMU's fault-injection filter (docs: qemu-options, the
//! blkdebug rules file used by QEMU's iotests): requests fail with a
//! chosen errno when they match a rule. Mimic's filter wraps the opened
//! image, so the events are the guest's requests: `read_aio`,
//! `write_aio` and `flush_to_disk` (QEMU's metadata events such as
//! `l2_load` happen inside its format drivers and are refused here).
//!
//! Rules come from a config file (`blkdebug:RULES:IMAGE`) of
//! `[inject-error]` sections with `key = "value"` lines: `event`,
//! `errno` (default 5, EIO), `sector` (default -1: any request; else the
//! rule only hits requests covering that 512-byte sector), `once`
//! (default off: the rule is dropped after it fired), `immediately`
//! (accepted; every request here is synchronous) and `state` (only the
//! initial state 1: `[set-state]` is not implemented).

use crate::driver::{BlockDriver, Extent, SnapshotInfo};
use crate::error::{BlockError, Result};
use std::path::Path;

/// The request kinds a rule can hit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    ReadAio,
    WriteAio,
    FlushToDisk,
}

/// One `[inject-error]` rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    pub event: Event,
    pub errno: i32,
    /// The sector a request must cover (None: every request).
    pub sector: Option<u64>,
    pub once: bool,
}

fn bad(msg: impl Into<String>) -> BlockError {
    BlockError::Invalid(format!("blkdebug: {}", msg.into()))
}

fn bool_value(k: &str, v: &str) -> Result<bool> {
    match v {
        "on" | "yes" | "true" => Ok(true),
        "off" | "no" | "false" => Ok(false),
        _ => Err(bad(format!("{k} = \"{v}\": expected on or off"))),
    }
}

/// Builds a rule from its keys (config file or QMP `inject-error`).
pub fn rule(keys: &[(String, String)]) -> Result<Rule> {
    let mut r = Rule {
        event: Event::ReadAio,
        errno: libc_eio(),
        sector: None,
        once: false,
    };
    let mut event = None;
    for (k, v) in keys {
        match k.as_str() {
            "event" => {
                event = Some(match v.as_str() {
                    "read_aio" => Event::ReadAio,
                    "write_aio" => Event::WriteAio,
                    "flush_to_disk" => Event::FlushToDisk,
                    _ => {
                        return Err(bad(format!(
                            "event '{v}' is not available (Mimic's blkdebug sees read_aio, write_aio and flush_to_disk)"
                        )))
                    }
                })
            }
            "errno" => {
                r.errno = v
                    .parse()
                    .ok()
                    .filter(|e: &i32| *e > 0)
                    .ok_or_else(|| bad(format!("errno = \"{v}\": expected a positive number")))?
            }
            "sector" => {
                let s: i64 = v
                    .parse()
                    .map_err(|_| bad(format!("sector = \"{v}\": expected a number")))?;
                r.sector = u64::try_from(s).ok();
            }
            "once" => r.once = bool_value(k, v)?,
            "immediately" => {
                bool_value(k, v)?;
            }
            "state" if v == "1" => {}
            "state" => return Err(bad("states other than 1 need [set-state], which is not implemented")),
            _ => return Err(bad(format!("unknown key '{k}' in [inject-error]"))),
        }
    }
    r.event = event.ok_or_else(|| bad("[inject-error] needs an event"))?;
    Ok(r)
}

const fn libc_eio() -> i32 {
    5
}

/// Parses a rules file's text.
pub fn parse_rules(text: &str) -> Result<Vec<Rule>> {
    let mut rules = Vec::new();
    let mut section: Option<(String, Vec<(String, String)>)> = None;
    let mut finish = |s: Option<(String, Vec<(String, String)>)>| -> Result<()> {
        if let Some((name, keys)) = s {
            match name.as_str() {
                "inject-error" => rules.push(rule(&keys)?),
                "set-state" => return Err(bad("[set-state] is not implemented")),
                _ => return Err(bad(format!("unknown section [{name}]"))),
            }
        }
        Ok(())
    };
    for (n, line) in text.lines().enumerate() {
        let l = line.trim();
        if l.is_empty() || l.starts_with('#') {
            continue;
        }
        if let Some(name) = l.strip_prefix('[').and_then(|x| x.strip_suffix(']')) {
            finish(section.take())?;
            section = Some((name.trim().to_string(), Vec::new()));
            continue;
        }
        let Some((k, v)) = l.split_once('=') else {
            return Err(bad(format!("line {}: expected key = \"value\"", n + 1)));
        };
        let v = v.trim();
        let v = v
            .strip_prefix('"')
            .and_then(|x| x.strip_suffix('"'))
            .unwrap_or(v);
        match &mut section {
            Some((_, keys)) => keys.push((k.trim().to_string(), v.to_string())),
            None => return Err(bad(format!("line {}: key outside a section", n + 1))),
        }
    }
    finish(section)?;
    Ok(rules)
}

/// Splits a `blkdebug:RULES:IMAGE` filename (RULES may be empty).
pub fn split_filename(s: &str) -> Option<(&str, &str)> {
    s.strip_prefix("blkdebug:")?.split_once(':')
}

pub struct Blkdebug {
    inner: Box<dyn BlockDriver>,
    rules: Vec<Rule>,
}

impl Blkdebug {
    pub fn new(inner: Box<dyn BlockDriver>, rules: Vec<Rule>) -> Blkdebug {
        Blkdebug { inner, rules }
    }

    /// Opens `blkdebug:RULES:IMAGE` over an already opened image.
    pub fn with_rules_file(inner: Box<dyn BlockDriver>, rules: &Path) -> Result<Blkdebug> {
        let text = std::fs::read_to_string(rules)
            .map_err(|e| bad(format!("cannot read {}: {e}", rules.display())))?;
        Ok(Blkdebug::new(inner, parse_rules(&text)?))
    }

    /// Fails the request if a rule matches (dropping a `once` rule).
    fn check(&mut self, event: Event, offset: u64, len: u64) -> Result<()> {
        let hit = self.rules.iter().position(|r| {
            r.event == event
                && r.sector.is_none_or(|s| {
                    let at = s.saturating_mul(512);
                    at >= offset && at < offset.saturating_add(len.max(1))
                })
        });
        let Some(i) = hit else { return Ok(()) };
        let errno = self.rules[i].errno;
        if self.rules[i].once {
            self.rules.remove(i);
        }
        Err(BlockError::Io(std::io::Error::from_raw_os_error(errno)))
    }
}

impl BlockDriver for Blkdebug {
    fn format_name(&self) -> &'static str {
        self.inner.format_name()
    }
    fn length(&self) -> u64 {
        self.inner.length()
    }
    fn read(&mut self, offset: u64, buf: &mut [u8]) -> Result<()> {
        self.check(Event::ReadAio, offset, buf.len() as u64)?;
        self.inner.read(offset, buf)
    }
    fn write(&mut self, offset: u64, buf: &[u8]) -> Result<()> {
        self.check(Event::WriteAio, offset, buf.len() as u64)?;
        self.inner.write(offset, buf)
    }
    fn flush(&mut self) -> Result<()> {
        self.check(Event::FlushToDisk, 0, u64::MAX)?;
        self.inner.flush()
    }
    fn discard(&mut self, offset: u64, len: u64) -> Result<()> {
        self.check(Event::WriteAio, offset, len)?;
        self.inner.discard(offset, len)
    }
    fn write_zeroes(&mut self, offset: u64, len: u64, may_unmap: bool) -> Result<()> {
        self.check(Event::WriteAio, offset, len)?;
        self.inner.write_zeroes(offset, len, may_unmap)
    }
    fn block_status(&mut self, offset: u64, len: u64) -> Result<Extent> {
        self.inner.block_status(offset, len)
    }
    fn resize(&mut self, new_len: u64, allow_shrink: bool) -> Result<()> {
        self.inner.resize(new_len, allow_shrink)
    }
    fn cluster_size(&self) -> Option<u64> {
        self.inner.cluster_size()
    }
    fn close(&mut self) -> Result<()> {
        self.inner.close()
    }
    fn snapshot_list(&mut self) -> Result<Vec<SnapshotInfo>> {
        self.inner.snapshot_list()
    }
    fn snapshot_create(&mut self, name: &str) -> Result<()> {
        self.inner.snapshot_create(name)
    }
    fn snapshot_create_vm(&mut self, name: &str, size: u64, clock: u64) -> Result<()> {
        self.inner.snapshot_create_vm(name, size, clock)
    }
    fn snapshot_apply(&mut self, name: &str) -> Result<()> {
        self.inner.snapshot_apply(name)
    }
    fn snapshot_delete(&mut self, name: &str) -> Result<()> {
        self.inner.snapshot_delete(name)
    }
    fn vm_state_write(&mut self, offset: u64, buf: &[u8]) -> Result<()> {
        self.inner.vm_state_write(offset, buf)
    }
    fn vm_state_read(&mut self, offset: u64, buf: &mut [u8]) -> Result<()> {
        self.inner.vm_state_read(offset, buf)
    }
    fn vm_state_discard(&mut self, len: u64) -> Result<()> {
        self.inner.vm_state_discard(len)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_file_and_injection() {
        let rules = parse_rules(
            "# comment\n[inject-error]\nevent = \"read_aio\"\nerrno = \"5\"\nsector = \"8\"\n\n\
             [inject-error]\nevent = \"write_aio\"\nerrno = \"28\"\nonce = \"on\"\n",
        )
        .unwrap();
        assert_eq!(rules.len(), 2);
        assert_eq!(rules[0].sector, Some(8));
        assert!(rules[1].once);
        let dir = std::env::temp_dir().join(format!("blkdebug-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let img = dir.join("d.raw");
        std::fs::write(&img, vec![7u8; 64 << 10]).unwrap();
        let inner = crate::open_image(&img, Some("raw"), false).unwrap();
        let mut d = Blkdebug::new(inner, rules);
        let mut b = [0u8; 512];
        d.read(0, &mut b).unwrap();
        assert_eq!(b[0], 7);
        let e = d.read(8 * 512, &mut b).unwrap_err();
        assert!(
            matches!(&e, BlockError::Io(x) if x.raw_os_error() == Some(5)),
            "{e}"
        );
        // A request covering sector 8 fails too; one past it does not.
        assert!(d.read(0, &mut [0u8; 8192]).is_err());
        d.read(9 * 512, &mut b).unwrap();
        let e = d.write(0, &b).unwrap_err();
        assert!(matches!(&e, BlockError::Io(x) if x.raw_os_error() == Some(28)));
        d.write(0, &b).unwrap(); // `once`: the rule is gone
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn bad_rules_are_errors() {
        assert!(parse_rules("[inject-error]\nevent = \"l2_load\"\n").is_err());
        assert!(parse_rules("[inject-error]\nerrno = \"5\"\n").is_err());
        assert!(parse_rules("event = \"read_aio\"\n").is_err());
        assert!(parse_rules("[set-state]\nstate = \"1\"\n").is_err());
        assert!(parse_rules("[inject-error]\nevent = \"read_aio\"\nbogus = \"1\"\n").is_err());
        assert_eq!(
            split_filename("blkdebug:r.cfg:d.img"),
            Some(("r.cfg", "d.img"))
        );
        assert_eq!(split_filename("blkdebug::d.img"), Some(("", "d.img")));
        assert_eq!(split_filename("d.img"), None);
    }
}
