//! Block nodes the monitor adds and removes (QMP blockdev-add,
//! blockdev-del, query-named-block-nodes). A format node (raw, qcow2,
//! qed, vmdk, vhdx) stands on a `file` node: either defined inline
//! (`"file": {"driver": "file", "filename": ...}`, which goes away with
//! its parent) or named (`"file": "NODE"`, which then is in use). Mimic's
//! format drivers open their host file themselves, so a file node used
//! by a parent holds no open image; on its own it is the file's bytes
//! (opened as raw). Nodes are not attached to devices (virt's
//! virtio-mmio slots are fixed); internal snapshots work on them.

use crate::drive::{Drive, DriveSpec, Interface};
use serde_json::{Map, Value};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// The format drivers blockdev-add takes (besides the `file` protocol).
pub const FORMATS: &[&str] = &["raw", "qcow2", "qed", "vmdk", "vhdx"];

/// One node.
pub struct Node {
    pub name: String,
    /// "file" or a format.
    pub driver: String,
    pub filename: PathBuf,
    pub read_only: bool,
    /// The opened image (None while a parent stands on this file node).
    pub drive: Option<Arc<Drive>>,
    /// The file node this one stands on.
    pub child: Option<String>,
    /// Made inline by its parent's definition: deleted with it, and not
    /// the monitor's to delete.
    pub implicit: bool,
}

#[derive(Default)]
pub struct Nodes(Mutex<Vec<Node>>);

static AUTO: AtomicU64 = AtomicU64::new(0);

fn err(s: impl Into<String>) -> String {
    s.into()
}

/// QEMU's rule for ids and node names: a letter, then letters, digits,
/// '-', '.', '_'.
fn well_formed(n: &str) -> bool {
    let mut c = n.chars();
    c.next().is_some_and(|f| f.is_ascii_alphabetic())
        && c.all(|x| x.is_ascii_alphanumeric() || "-._".contains(x))
}

fn take_str(o: &mut Map<String, Value>, k: &str, at: &str) -> Result<Option<String>, String> {
    match o.remove(k) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(format!(
            "Invalid parameter type for '{at}{k}', expected: string"
        )),
    }
}

fn take_bool(o: &mut Map<String, Value>, k: &str, at: &str) -> Result<Option<bool>, String> {
    match o.remove(k) {
        None => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(b)),
        Some(_) => Err(format!(
            "Invalid parameter type for '{at}{k}', expected: boolean"
        )),
    }
}

fn finish(o: &Map<String, Value>, at: &str) -> Result<(), String> {
    match o.keys().next() {
        Some(k) => Err(format!("Parameter '{at}{k}' is unexpected")),
        None => Ok(()),
    }
}

fn could_not_open(path: &std::path::Path) -> Option<String> {
    match std::fs::metadata(path) {
        Ok(_) => None,
        Err(e) => Some(format!(
            "Could not open '{}': {}",
            path.display(),
            crate::block_error::strerror(e.raw_os_error().unwrap_or(5))
        )),
    }
}

fn open(name: &str, file: &std::path::Path, fmt: &str, read_only: bool) -> Result<Drive, String> {
    Drive::open(&DriveSpec {
        id: name.to_string(),
        file: file.to_path_buf(),
        format: Some(fmt.to_string()),
        interface: Interface::None,
        read_only,
        snapshot: false,
        serial: None,
        throttle: None,
        on_error: Default::default(),
    })
    .map_err(|e| e.1)
}

impl Nodes {
    /// The opened image of node `name`.
    pub fn drive(&self, name: &str) -> Option<Arc<Drive>> {
        let v = self.0.lock().ok()?;
        v.iter().find(|n| n.name == name)?.drive.clone()
    }

    pub fn contains(&self, name: &str) -> bool {
        self.0
            .lock()
            .map(|v| v.iter().any(|n| n.name == name))
            .unwrap_or(false)
    }

    /// Calls `f` on every node.
    pub fn each(&self, mut f: impl FnMut(&Node)) {
        if let Ok(v) = self.0.lock() {
            v.iter().for_each(&mut f);
        }
    }

    /// blockdev-add. `taken` says whether a name is a drive's id.
    pub fn add(
        &self,
        opts: Map<String, Value>,
        taken: &dyn Fn(&str) -> bool,
    ) -> Result<(), String> {
        let mut v = self.0.lock().map_err(|_| "node list lock poisoned")?;
        let mut new = Vec::new();
        let name = parse(&v, opts, "", true, None, taken, &mut new)?;
        let Some(top) = new.iter().position(|n| n.name == name) else {
            return Err(format!("node '{name}' was not defined"));
        };
        if new[top].drive.is_some() {
            // A lone file node, opened by `parse`.
            v.extend(new);
            return Ok(());
        }
        // A named file node the new node stands on is in use now: its
        // raw view closes (the format driver opens the file itself and
        // takes the image locks), and comes back if the open fails.
        let mut closed = None;
        if let Some(c) = new[top].child.clone() {
            if let Some(x) = v.iter_mut().find(|n| n.name == c) {
                if let Some(d) = x.drive.take() {
                    d.close()?;
                    closed = Some(x);
                }
            }
        }
        let n = &new[top];
        match open(&n.name, &n.filename, &n.driver, n.read_only) {
            Ok(d) => {
                new[top].drive = Some(Arc::new(d));
                v.extend(new);
                Ok(())
            }
            Err(e) => {
                if let Some(x) = closed {
                    x.drive = open(&x.name, &x.filename, "raw", x.read_only)
                        .ok()
                        .map(Arc::new);
                }
                Err(e)
            }
        }
    }

    /// Flushes and closes every node's image (machine exit).
    pub fn close_all(&self) -> Vec<String> {
        let mut errs = Vec::new();
        if let Ok(v) = self.0.lock() {
            for d in v.iter().filter_map(|n| n.drive.as_ref()) {
                if let Err(e) = d.close() {
                    errs.push(e);
                }
            }
        }
        errs
    }

    /// blockdev-del.
    pub fn del(&self, name: &str, is_drive: bool) -> Result<(), String> {
        let mut v = self.0.lock().map_err(|_| "node list lock poisoned")?;
        let Some(i) = v.iter().position(|n| n.name == name) else {
            if is_drive {
                return Err(format!("Node {name} is in use"));
            }
            return Err(format!("Failed to find node with node-name='{name}'"));
        };
        if v[i].implicit {
            return Err(format!("Node {name} is not owned by the monitor"));
        }
        if let Some(p) = v.iter().find(|n| n.child.as_deref() == Some(name)) {
            return Err(format!(
                "Block device {name} is in use (node '{}' stands on it)",
                p.name
            ));
        }
        let n = v.remove(i);
        if let Some(d) = &n.drive {
            d.close()?;
        }
        if let Some(c) = &n.child {
            if let Some(j) = v.iter().position(|x| &x.name == c) {
                if v[j].implicit {
                    v.remove(j);
                } else {
                    // A named file node on its own again: its raw view.
                    let x = &mut v[j];
                    x.drive = Some(Arc::new(open(&x.name, &x.filename, "raw", x.read_only)?));
                }
            }
        }
        Ok(())
    }
}

/// Parses one node definition (and an inline file child) into `new`;
/// returns its name. The file child is opened by the caller's format
/// node, a lone file node as raw here.
fn parse(
    existing: &[Node],
    mut o: Map<String, Value>,
    at: &str,
    top: bool,
    parent_ro: Option<bool>,
    taken: &dyn Fn(&str) -> bool,
    new: &mut Vec<Node>,
) -> Result<String, String> {
    let driver = take_str(&mut o, "driver", at)?
        .ok_or_else(|| err(format!("Parameter '{at}driver' is missing")))?;
    let name = match take_str(&mut o, "node-name", at)? {
        Some(n) => {
            if !well_formed(&n) {
                return Err(format!("Invalid node-name: '{n}'"));
            }
            if taken(&n) {
                return Err(format!("node-name={n} is conflicting with a device id"));
            }
            if existing.iter().chain(new.iter()).any(|x| x.name == n) {
                return Err(format!("Duplicate nodes with node-name='{n}'"));
            }
            n
        }
        None if top => return Err("'node-name' must be specified for the root node".into()),
        None => format!("#block{}", AUTO.fetch_add(1, Ordering::SeqCst) + 100),
    };
    let read_only = take_bool(&mut o, "read-only", at)?
        .or(parent_ro)
        .unwrap_or(false);
    match driver.as_str() {
        "file" => {
            let filename = take_str(&mut o, "filename", at)?
                .ok_or_else(|| err(format!("Parameter '{at}filename' is missing")))?;
            finish(&o, at)?;
            let filename = PathBuf::from(filename);
            if let Some(e) = could_not_open(&filename) {
                return Err(e);
            }
            let drive = if top {
                Some(Arc::new(open(&name, &filename, "raw", read_only)?))
            } else {
                None
            };
            new.push(Node {
                name: name.clone(),
                driver,
                filename,
                read_only,
                drive,
                child: None,
                implicit: !top,
            });
            Ok(name)
        }
        f if FORMATS.contains(&f) => {
            if !top {
                return Err(format!(
                    "'{at}': Mimic's format drivers open a host file, so 'file' must be a file node"
                ));
            }
            let child = match o.remove("file") {
                None => return Err(format!("Parameter '{at}file' is missing")),
                Some(Value::String(r)) => {
                    let c = existing
                        .iter()
                        .find(|n| n.name == r)
                        .ok_or_else(|| err(format!("Cannot find device='' nor node-name='{r}'")))?;
                    if c.driver != "file" {
                        return Err(format!(
                            "Node '{r}' is a {} node: Mimic's format drivers stand on a file node",
                            c.driver
                        ));
                    }
                    if existing.iter().any(|n| n.child.as_deref() == Some(&r)) {
                        return Err(format!("Block device {r} is in use"));
                    }
                    if c.read_only && !read_only {
                        return Err(format!("Block node '{r}' is read-only"));
                    }
                    r
                }
                Some(Value::Object(c)) => {
                    parse(existing, c, &format!("{at}file."), false, Some(read_only), taken, new)?
                }
                Some(_) => {
                    return Err(format!(
                        "Invalid parameter type for '{at}file', expected: BlockdevRef"
                    ))
                }
            };
            finish(&o, at)?;
            let filename = existing
                .iter()
                .chain(new.iter())
                .find(|n| n.name == child)
                .map(|n| n.filename.clone())
                .unwrap_or_default();
            new.push(Node {
                name: name.clone(),
                driver,
                filename,
                read_only,
                drive: None,
                child: Some(child),
                implicit: false,
            });
            Ok(name)
        }
        "blkdebug" => Err(
            "blkdebug nodes are not implemented for blockdev-add; use -drive file=blkdebug:RULES:IMAGE"
                .into(),
        ),
        d => Err(format!("Parameter '{at}driver' does not accept value '{d}'")),
    }
}

/// The human monitor's form of blockdev-add: QEMU's -blockdev key=value
/// list with dotted keys for nested objects (`file.filename=...`);
/// read-only and other boolean keys take on/off.
pub fn keyval(s: &str) -> Result<Map<String, Value>, String> {
    const BOOLS: &[&str] = &["read-only", "auto-read-only", "force-share"];
    let mut top = Map::new();
    for (k, v) in block::opts::split_opts(s) {
        let v = v.ok_or_else(|| format!("'{k}' needs a value (key=value)"))?;
        let mut parts: Vec<&str> = k.split('.').collect();
        let last = parts.pop().unwrap_or_default();
        let mut o = &mut top;
        for p in parts {
            let e = o
                .entry(p.to_string())
                .or_insert_with(|| Value::Object(Map::new()));
            o = match e {
                Value::Object(m) => m,
                _ => return Err(format!("'{k}': '{p}' is not an object")),
            };
        }
        let val = if BOOLS.contains(&last) {
            match v.as_str() {
                "on" | "true" | "yes" => Value::Bool(true),
                "off" | "false" | "no" => Value::Bool(false),
                _ => return Err(format!("'{k}={v}': expected on or off")),
            }
        } else {
            Value::String(v)
        };
        if o.insert(last.to_string(), val).is_some() {
            return Err(format!("'{k}' given twice"));
        }
    }
    Ok(top)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn obj(v: Value) -> Map<String, Value> {
        match v {
            Value::Object(o) => o,
            _ => unreachable!(),
        }
    }

    #[test]
    fn add_query_del_and_errors() {
        let dir = std::env::temp_dir().join(format!("blockdev-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let img = dir.join("a.raw");
        std::fs::write(&img, vec![0u8; 1 << 20]).unwrap();
        let f = img.display().to_string();
        let nodes = Nodes::default();
        let add = |v: Value| nodes.add(obj(v), &|n| n == "drv0");
        add(json!({"driver": "raw", "node-name": "r1",
                   "file": {"driver": "file", "filename": f}}))
        .unwrap();
        assert!(nodes.drive("r1").is_some());
        assert_eq!(nodes.drive("r1").unwrap().length(), 1 << 20);
        for (v, want) in [
            (
                json!({"driver": "raw", "node-name": "r1", "file": {"driver": "file", "filename": f}}),
                "Duplicate",
            ),
            (
                json!({"driver": "raw", "node-name": "drv0", "file": {"driver": "file", "filename": f}}),
                "conflicting",
            ),
            (
                json!({"driver": "bogus", "node-name": "x"}),
                "does not accept value 'bogus'",
            ),
            (
                json!({"driver": "raw", "node-name": "x", "file": {"driver": "file", "filename": "/nonexistent/x"}}),
                "No such file",
            ),
            (
                json!({"driver": "raw", "node-name": "x"}),
                "'file' is missing",
            ),
            (json!({"driver": "raw", "file": "r1"}), "node-name"),
            (
                json!({"driver": "raw", "node-name": "9x", "file": "r1"}),
                "Invalid node-name",
            ),
            (
                json!({"driver": "qcow2", "node-name": "x", "file": {"driver": "file", "filename": f}}),
                "",
            ),
            (
                json!({"driver": "raw", "node-name": "x", "file": {"driver": "file", "filename": f}, "zz": 1}),
                "unexpected",
            ),
        ] {
            let e = add(v.clone()).unwrap_err();
            assert!(e.contains(want), "{v}: {e}");
        }
        // A named file node, a format node on it; the file node is busy.
        add(json!({"driver": "file", "node-name": "f1", "filename": f})).unwrap();
        add(json!({"driver": "raw", "node-name": "r2", "file": "f1"})).unwrap();
        assert!(nodes.del("f1", false).unwrap_err().contains("in use"));
        let inline_child = {
            let mut c = None;
            nodes.each(|n| {
                if n.name == "r1" {
                    c = n.child.clone()
                }
            });
            c.unwrap()
        };
        assert!(nodes
            .del(&inline_child, false)
            .unwrap_err()
            .contains("not owned"));
        assert!(nodes
            .del("nope", false)
            .unwrap_err()
            .contains("Failed to find"));
        assert!(nodes.del("drv0", true).unwrap_err().contains("in use"));
        nodes.del("r2", false).unwrap();
        nodes.del("f1", false).unwrap();
        nodes.del("r1", false).unwrap();
        assert!(!nodes.contains(&inline_child));
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn keyval_nests_dotted_keys() {
        let o =
            keyval("driver=qcow2,node-name=n,file.driver=file,file.filename=/a,,b,read-only=on")
                .unwrap();
        assert_eq!(
            Value::Object(o),
            json!({"driver": "qcow2", "node-name": "n", "read-only": true,
                   "file": {"driver": "file", "filename": "/a,b"}})
        );
        assert!(keyval("driver").is_err());
        assert!(keyval("read-only=maybe").is_err());
        assert!(keyval("a=1,a=2").is_err());
    }
}
