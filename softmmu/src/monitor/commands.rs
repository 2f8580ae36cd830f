//! QMP commands against a running machine. Each checks its arguments
//! (missing, unexpected and mistyped members get QMP's GenericError
//! texts) and returns the command's `return` value or an error; none of
//! them can take the machine down.

use crate::drive::Drive;
use crate::machine::{Event, Machine, Shutdown};
use block::throttle::{BPS_READ, BPS_TOTAL, BPS_WRITE, OPS_READ, OPS_TOTAL, OPS_WRITE};
use serde_json::{json, Map, Value};
use std::sync::Arc;

/// A QMP error: its class and description.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QmpError {
    pub class: &'static str,
    pub desc: String,
}

pub fn generic(desc: impl Into<String>) -> QmpError {
    QmpError {
        class: "GenericError",
        desc: desc.into(),
    }
}

pub fn not_found(desc: impl Into<String>) -> QmpError {
    QmpError {
        class: "CommandNotFound",
        desc: desc.into(),
    }
}

/// The commands Mimic implements (query-commands lists them).
pub const COMMANDS: &[&str] = &[
    "qmp_capabilities",
    "query-commands",
    "query-version",
    "query-status",
    "query-block",
    "query-cpus-fast",
    "query-kvm",
    "stop",
    "cont",
    "quit",
    "system_powerdown",
    "system_reset",
    "block_resize",
    "human-monitor-command",
    "blockdev-snapshot-internal-sync",
    "blockdev-snapshot-delete-internal-sync",
    "blockdev-add",
    "blockdev-del",
    "query-named-block-nodes",
    "dump-guest-memory",
    "query-dump",
    "query-dump-guest-memory-capability",
];

/// A command's arguments, taken one by one; what is left is unexpected.
pub struct Args(Map<String, Value>);

impl Args {
    pub fn new(m: Map<String, Value>) -> Args {
        Args(m)
    }
    fn take(&mut self, name: &str) -> Option<Value> {
        self.0.remove(name)
    }
    pub fn opt_str(&mut self, name: &str) -> Result<Option<String>, QmpError> {
        match self.take(name) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(_) => Err(generic(format!(
                "Invalid parameter type for '{name}', expected: string"
            ))),
        }
    }
    pub fn int(&mut self, name: &str) -> Result<i64, QmpError> {
        match self.take(name) {
            None => Err(generic(format!("Parameter '{name}' is missing"))),
            Some(Value::Number(n)) if n.is_i64() => Ok(n.as_i64().unwrap_or(0)),
            Some(_) => Err(generic(format!(
                "Invalid parameter type for '{name}', expected: integer"
            ))),
        }
    }
    pub fn opt_int(&mut self, name: &str) -> Result<Option<i64>, QmpError> {
        match self.take(name) {
            None => Ok(None),
            Some(Value::Number(n)) if n.is_i64() => Ok(n.as_i64()),
            Some(_) => Err(generic(format!(
                "Invalid parameter type for '{name}', expected: integer"
            ))),
        }
    }
    pub fn opt_bool(&mut self, name: &str) -> Result<Option<bool>, QmpError> {
        match self.take(name) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(b)),
            Some(_) => Err(generic(format!(
                "Invalid parameter type for '{name}', expected: boolean"
            ))),
        }
    }
    /// Every argument left (commands whose arguments are a union,
    /// checked by their own parser).
    pub fn rest(self) -> Map<String, Value> {
        self.0
    }
    pub fn opt_str_list(&mut self, name: &str) -> Result<Vec<String>, QmpError> {
        let bad = || {
            generic(format!(
                "Invalid parameter type for '{name}', expected: array"
            ))
        };
        match self.take(name) {
            None => Ok(Vec::new()),
            Some(Value::Array(a)) => a
                .into_iter()
                .map(|v| match v {
                    Value::String(s) => Ok(s),
                    _ => Err(bad()),
                })
                .collect(),
            Some(_) => Err(bad()),
        }
    }
    /// Fails on the first argument no one took.
    pub fn finish(self) -> Result<(), QmpError> {
        match self.0.keys().next() {
            Some(k) => Err(generic(format!("Parameter '{k}' is unexpected"))),
            None => Ok(()),
        }
    }
}

/// Runs one command (after capabilities negotiation); returns its value
/// and the command whose `after_reply` action follows the reply (the
/// command itself, or what a human-monitor-command line asked for).
pub fn execute(
    m: &Arc<Machine>,
    name: &str,
    a: Args,
) -> Result<(Value, Option<&'static str>), QmpError> {
    if name == "human-monitor-command" {
        let mut a = a;
        let line = a
            .opt_str("command-line")?
            .ok_or_else(|| generic("Parameter 'command-line' is missing"))?;
        // The cpu a command applies to: Mimic's commands are machine-wide.
        a.opt_int("cpu-index")?;
        a.finish()?;
        let out = super::hmp::run(m, &line);
        return Ok((Value::String(out.text), out.after));
    }
    let after = match name {
        "quit" => Some("quit"),
        "system_reset" => Some("system_reset"),
        _ => None,
    };
    run(m, name, a).map(|v| (v, after))
}

/// drive_del (human monitor): the drive's image goes away; its device
/// stays, and every request to it fails from now on.
pub fn drive_del(m: &Machine, id: &str) -> Result<(), QmpError> {
    match m.drives.iter().find(|d| d.id == id && !d.detached()) {
        Some(d) => d.detach().map_err(generic),
        None if m.blockdevs.contains(id) => Err(generic(
            "Deleting device added with blockdev-add is not supported",
        )),
        None => Err(generic(format!("Device '{id}' not found"))),
    }
}

/// A drive by id, or a node added by blockdev-add by node name.
fn drive_by_name(m: &Machine, device: &str) -> Result<Arc<Drive>, QmpError> {
    m.drives
        .iter()
        .find(|d| d.id == device && !d.detached())
        .cloned()
        .or_else(|| m.blockdevs.drive(device))
        .ok_or_else(|| {
            generic(format!(
                "Cannot find device='{device}' nor node-name='{device}'"
            ))
        })
}

fn snapshot_json(s: &block::SnapshotInfo) -> Value {
    json!({
        "id": s.id,
        "name": s.name,
        "vm-state-size": s.vm_state_size,
        "date-sec": s.date_sec,
        "date-nsec": s.date_nsec,
        "vm-clock-sec": s.vm_clock_nsec / 1_000_000_000,
        "vm-clock-nsec": s.vm_clock_nsec % 1_000_000_000,
    })
}

fn run(m: &Arc<Machine>, name: &str, mut a: Args) -> Result<Value, QmpError> {
    match name {
        "blockdev-snapshot-internal-sync" => {
            let device = a
                .opt_str("device")?
                .ok_or_else(|| generic("Parameter 'device' is missing"))?;
            let sname = a
                .opt_str("name")?
                .ok_or_else(|| generic("Parameter 'name' is missing"))?;
            a.finish()?;
            let d = drive_by_name(m, &device)?;
            if d.read_only {
                return Err(generic(format!("Device '{device}' is read only")));
            }
            if sname.is_empty() {
                return Err(generic("Name is empty"));
            }
            let mut drv = d
                .driver
                .lock()
                .map_err(|_| generic("drive lock poisoned"))?;
            let l = drv.snapshot_list().map_err(|e| generic(e.to_string()))?;
            if l.iter().any(|s| s.name == sname) {
                return Err(generic(format!(
                    "Snapshot with name '{sname}' already exists on device '{device}'"
                )));
            }
            drv.flush()
                .and_then(|_| drv.snapshot_create(&sname))
                .and_then(|_| drv.flush())
                .map_err(|e| generic(e.to_string()))?;
            Ok(json!({}))
        }
        "blockdev-snapshot-delete-internal-sync" => {
            let device = a
                .opt_str("device")?
                .ok_or_else(|| generic("Parameter 'device' is missing"))?;
            let id = a.opt_str("id")?;
            let sname = a.opt_str("name")?;
            a.finish()?;
            if id.is_none() && sname.is_none() {
                return Err(generic("Name or id must be provided"));
            }
            let d = drive_by_name(m, &device)?;
            let mut drv = d
                .driver
                .lock()
                .map_err(|_| generic("drive lock poisoned"))?;
            let l = drv.snapshot_list().map_err(|e| generic(e.to_string()))?;
            let s = l
                .iter()
                .find(|s| {
                    id.as_ref().is_none_or(|i| &s.id == i)
                        && sname.as_ref().is_none_or(|n| &s.name == n)
                })
                .ok_or_else(|| {
                    generic(format!(
                        "Snapshot with id '{}' and name '{}' does not exist on device '{device}'",
                        id.as_deref().unwrap_or("(null)"),
                        sname.as_deref().unwrap_or("(null)")
                    ))
                })?
                .clone();
            drv.snapshot_delete(&s.id)
                .and_then(|_| drv.flush())
                .map_err(|e| generic(e.to_string()))?;
            Ok(snapshot_json(&s))
        }
        "query-commands" => {
            a.finish()?;
            Ok(Value::Array(
                COMMANDS.iter().map(|c| json!({ "name": c })).collect(),
            ))
        }
        "query-version" => {
            a.finish()?;
            let v: Vec<i64> = env!("CARGO_PKG_VERSION")
                .split('.')
                .map(|x| x.parse().unwrap_or(0))
                .chain(std::iter::repeat(0))
                .take(3)
                .collect();
            Ok(json!({
                "qemu": { "major": v[0], "minor": v[1], "micro": v[2] },
                "package": format!("mimic {}", env!("CARGO_PKG_VERSION")),
            }))
        }
        "query-status" => {
            a.finish()?;
            let (status, running) = if m.shutdown_requested() {
                ("shutdown", false)
            } else if m.io_error() {
                ("io-error", false)
            } else if m.paused() {
                ("paused", false)
            } else {
                ("running", true)
            };
            Ok(json!({ "status": status, "singlestep": false, "running": running }))
        }
        "query-kvm" => {
            a.finish()?;
            Ok(json!({ "enabled": false, "present": false }))
        }
        "stop" => {
            a.finish()?;
            if m.pause() {
                m.emit(Event::Stop);
            }
            Ok(json!({}))
        }
        "cont" => {
            a.finish()?;
            if m.resume() {
                m.emit(Event::Resume);
            }
            // Requests an error policy held back go again.
            for d in &m.drives {
                d.retry();
            }
            Ok(json!({}))
        }
        "blockdev-add" => {
            let taken = |n: &str| m.drives.iter().any(|d| d.id == n && !d.detached());
            m.blockdevs.add(a.rest(), &taken).map_err(generic)?;
            Ok(json!({}))
        }
        "blockdev-del" => {
            let node = a
                .opt_str("node-name")?
                .ok_or_else(|| generic("Parameter 'node-name' is missing"))?;
            a.finish()?;
            let is_drive = m.drives.iter().any(|d| d.id == node && !d.detached());
            m.blockdevs.del(&node, is_drive).map_err(generic)?;
            Ok(json!({}))
        }
        "query-named-block-nodes" => {
            a.opt_bool("flat")?;
            a.finish()?;
            let mut out: Vec<Value> = m
                .drives
                .iter()
                .filter(|d| !d.detached())
                .map(|d| inserted(d, &d.id))
                .collect();
            m.blockdevs.each(|n| out.push(node_info(n)));
            Ok(Value::Array(out))
        }
        "dump-guest-memory" => {
            let paging = a
                .opt_bool("paging")?
                .ok_or_else(|| generic("Parameter 'paging' is missing"))?;
            let protocol = a
                .opt_str("protocol")?
                .ok_or_else(|| generic("Parameter 'protocol' is missing"))?;
            let detach = a.opt_bool("detach")?.unwrap_or(false);
            let begin = a.opt_int("begin")?;
            let length = a.opt_int("length")?;
            let format = a.opt_str("format")?;
            a.finish()?;
            let range = match (begin, length) {
                (None, None) => None,
                (Some(b), Some(l)) if b >= 0 && l >= 0 => Some((b as u64, l as u64)),
                (Some(_), Some(_)) => return Err(generic("Invalid parameter 'begin'")),
                (Some(_), None) => return Err(generic("Parameter 'length' is missing")),
                (None, Some(_)) => return Err(generic("Parameter 'begin' is missing")),
            };
            let req = crate::dump::request(&protocol, paging, format.as_deref(), detach, range)
                .map_err(generic)?;
            crate::dump::dump(m, req).map_err(generic)?;
            Ok(json!({}))
        }
        "query-dump" => {
            a.finish()?;
            Ok(m.dump.get().json())
        }
        "query-dump-guest-memory-capability" => {
            a.finish()?;
            Ok(json!({ "formats": ["elf"] }))
        }
        "quit" => {
            a.finish()?;
            // The reply goes out first; the SHUTDOWN event follows when
            // the caller calls `after_reply`.
            Ok(json!({}))
        }
        "system_powerdown" => {
            a.finish()?;
            m.emit(Event::Powerdown);
            if let Some((gpio, line)) = &m.power_button {
                crate::devices::pl061::Pl061::press(gpio, *line);
            }
            Ok(json!({}))
        }
        "system_reset" => {
            a.finish()?;
            Ok(json!({}))
        }
        "query-block" => {
            a.finish()?;
            Ok(Value::Array(
                m.drives
                    .iter()
                    .filter(|d| !d.detached())
                    .map(|d| block_info(d))
                    .collect(),
            ))
        }
        "block_resize" => {
            let device = a.opt_str("device")?;
            let node = a.opt_str("node-name")?;
            let size = a.int("size")?;
            a.finish()?;
            let d = m
                .drives
                .iter()
                .filter(|d| !d.detached())
                .find(|d| Some(&d.id) == device.as_ref() || Some(&d.id) == node.as_ref())
                .cloned()
                .or_else(|| node.as_deref().and_then(|n| m.blockdevs.drive(n)))
                .ok_or_else(|| {
                    generic(format!(
                        "Cannot find device={} nor node-name={}",
                        device.as_deref().unwrap_or(""),
                        node.as_deref().unwrap_or("")
                    ))
                })?;
            if size < 0 {
                return Err(generic("Parameter 'size' expects a >0 size"));
            }
            if !(size as u64).is_multiple_of(512) {
                return Err(generic(
                    "The new size must be a multiple of 512 (the sector size)",
                ));
            }
            d.resize(size as u64).map_err(generic)?;
            Ok(json!({}))
        }
        "query-cpus-fast" => {
            a.finish()?;
            Ok(Value::Array(
                m.thread_ids
                    .iter()
                    .enumerate()
                    .map(|(i, t)| {
                        json!({
                            "cpu-index": i,
                            "qom-path": format!("/machine/unattached/device[{i}]"),
                            "thread-id": t.load(std::sync::atomic::Ordering::SeqCst),
                            "props": { "core-id": i, "thread-id": 0, "socket-id": 0 },
                            "target": "aarch64",
                        })
                    })
                    .collect(),
            ))
        }
        _ => Err(not_found(format!("The command {name} has not been found"))),
    }
}

/// What a command does once its reply was sent (quit and system_reset
/// stop the vCPUs; the SHUTDOWN or RESET event follows the reply).
pub fn after_reply(m: &Arc<Machine>, name: &str) {
    match name {
        "quit" => m.request_shutdown(Shutdown::Quit),
        "system_reset" => m.request_shutdown(Shutdown::HostReset),
        _ => {}
    }
}

/// QMP's BlockDeviceInfo of an opened image.
fn inserted(d: &Drive, node: &str) -> Value {
    let t = |i: usize| -> u64 { d.throttle.as_ref().map_or(0, |c| c.buckets[i].avg as u64) };
    json!({
        "file": d.file.display().to_string(),
        "node-name": node,
        "ro": d.read_only,
        "drv": d.format,
        "backing_file_depth": 0,
        "encrypted": false,
        "detect_zeroes": "off",
        "bps": t(BPS_TOTAL), "bps_rd": t(BPS_READ), "bps_wr": t(BPS_WRITE),
        "iops": t(OPS_TOTAL), "iops_rd": t(OPS_READ), "iops_wr": t(OPS_WRITE),
        "write_threshold": 0,
        "cache": { "writeback": true, "direct": false, "no-flush": false },
        "image": {
            "filename": d.file.display().to_string(),
            "format": d.format,
            "virtual-size": d.length(),
            "dirty-flag": false,
        },
    })
}

/// A blockdev-add node: its image, or (a file node a parent stands on)
/// the file.
fn node_info(n: &crate::blockdev::Node) -> Value {
    if let Some(d) = &n.drive {
        let mut v = inserted(d, &n.name);
        if n.driver == "file" || n.driver == "throttle" {
            v["drv"] = json!(n.driver);
            v["image"]["format"] = json!(n.driver);
        }
        return v;
    }
    let size = std::fs::metadata(&n.filename).map(|m| m.len()).unwrap_or(0);
    let f = n.filename.display().to_string();
    json!({
        "file": f, "node-name": n.name, "ro": n.read_only, "drv": n.driver,
        "backing_file_depth": 0, "encrypted": false, "detect_zeroes": "off",
        "bps": 0, "bps_rd": 0, "bps_wr": 0, "iops": 0, "iops_rd": 0, "iops_wr": 0,
        "write_threshold": 0,
        "cache": { "writeback": true, "direct": false, "no-flush": false },
        "image": { "filename": f, "format": n.driver, "virtual-size": size, "dirty-flag": false },
    })
}

fn block_info(d: &Drive) -> Value {
    json!({
        "device": d.id,
        "locked": false,
        "removable": false,
        "type": "unknown",
        "io-status": d.io_status(),
        "inserted": inserted(d, &d.id),
    })
}
