//! Block nodes the monitor adds and removes (QMP blockdev-add,
//! blockdev-del, query-named-block-nodes). A format node (raw, qcow2,
//! qed, vmdk, vhdx) stands on a `file` node: either defined inline
//! (`"file": {"driver": "file", "filename": ...}`, which goes away with
//! its parent) or named (`"file": "NODE"`, which then is in use). Mimic's
//! format drivers open their host file themselves, so a file node used
//! by a parent holds no open image; on its own it is the file's bytes
//! (opened as raw). A `throttle` node stands on any other node and
//! counts its requests against a throttle group (`-object
//! throttle-group`). `-blockdev` adds nodes before the machine starts and
//! `-device virtio-blk-device,drive=NODE` attaches one (then it is in
//! use); virt's virtio-mmio slots are fixed, so nodes blockdev-add makes
//! later cannot be attached. Internal snapshots work on nodes.

use crate::drive::{Drive, DriveSpec, Interface};
use block::throttle::ThrottleGroup;
use serde_json::{Map, Value};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// The format drivers blockdev-add takes (besides the `file` protocol).
pub const FORMATS: &[&str] = &["raw", "qcow2", "qed", "vmdk", "vhdx"];

/// One node.
pub struct Node {
    pub name: String,
    /// "file", a format or "throttle".
    pub driver: String,
    pub filename: PathBuf,
    /// The image format this node's drive opens the file with.
    pub format: String,
    pub read_only: bool,
    /// The opened image (None while a parent stands on this node).
    pub drive: Option<Arc<Drive>>,
    /// The node this one stands on.
    pub child: Option<String>,
    /// Made inline by its parent's definition: deleted with it, and not
    /// the monitor's to delete.
    pub implicit: bool,
    /// A device uses the node (`-device ...,drive=NODE`).
    pub attached: bool,
    /// A throttle node's group.
    pub group: Option<ThrottleGroup>,
}

#[derive(Default)]
pub struct Nodes {
    nodes: Mutex<Vec<Node>>,
    /// `-object throttle-group`s, for throttle nodes.
    groups: Mutex<Vec<ThrottleGroup>>,
}

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

/// Opens node `n`'s image on its own.
fn open(n: &Node) -> Result<Drive, String> {
    Drive::open(&DriveSpec {
        id: n.name.clone(),
        file: n.filename.clone(),
        format: Some(n.format.clone()),
        interface: Interface::None,
        read_only: n.read_only,
        snapshot: false,
        serial: None,
        throttle: None,
        throttle_group: n.group.clone(),
        on_error: Default::default(),
    })
    .map_err(|e| e.1)
}

impl Nodes {
    fn lock(&self) -> Result<std::sync::MutexGuard<'_, Vec<Node>>, String> {
        self.nodes
            .lock()
            .map_err(|_| "node list lock poisoned".into())
    }

    /// The opened image of node `name`.
    pub fn drive(&self, name: &str) -> Option<Arc<Drive>> {
        let v = self.lock().ok()?;
        v.iter().find(|n| n.name == name)?.drive.clone()
    }

    pub fn contains(&self, name: &str) -> bool {
        self.lock()
            .map(|v| v.iter().any(|n| n.name == name))
            .unwrap_or(false)
    }

    /// Calls `f` on every node.
    pub fn each(&self, mut f: impl FnMut(&Node)) {
        if let Ok(v) = self.lock() {
            v.iter().for_each(&mut f);
        }
    }

    /// Adds a throttle group (`-object throttle-group,id=...`).
    pub fn add_group(&self, g: ThrottleGroup) -> Result<(), String> {
        let mut v = self.groups.lock().map_err(|_| "group list lock poisoned")?;
        if v.iter().any(|x| x.name == g.name) {
            return Err(format!("attempt to add duplicate property '{}'", g.name));
        }
        v.push(g);
        Ok(())
    }

    fn group(&self, name: &str) -> Option<ThrottleGroup> {
        let v = self.groups.lock().ok()?;
        v.iter().find(|g| g.name == name).cloned()
    }

    /// A device takes node `name` (`-device ...,drive=NODE`): its image,
    /// or why not (no such node, a parent stands on it, attached already).
    pub fn attach(&self, name: &str) -> Result<Option<Arc<Drive>>, String> {
        let mut v = self.lock()?;
        let Some(i) = v.iter().position(|n| n.name == name) else {
            return Ok(None);
        };
        if let Some(p) = v.iter().find(|n| n.child.as_deref() == Some(name)) {
            return Err(format!(
                "node '{name}' is in use (node '{}' stands on it)",
                p.name
            ));
        }
        let n = &mut v[i];
        if n.attached {
            return Err(format!("node '{name}' is already in use by a device"));
        }
        let d = n
            .drive
            .clone()
            .ok_or_else(|| format!("node '{name}' has no image open"))?;
        n.attached = true;
        Ok(Some(d))
    }

    /// The images devices use.
    pub fn attached(&self) -> Vec<Arc<Drive>> {
        let mut out = Vec::new();
        self.each(|n| {
            if let (true, Some(d)) = (n.attached, &n.drive) {
                out.push(d.clone());
            }
        });
        out
    }

    /// blockdev-add. `taken` says whether a name is a drive's id.
    pub fn add(
        &self,
        opts: Map<String, Value>,
        taken: &dyn Fn(&str) -> bool,
    ) -> Result<(), String> {
        let mut v = self.lock()?;
        let mut new = Vec::new();
        let groups = |g: &str| self.group(g);
        let name = parse(
            &v,
            opts,
            "",
            Role::Top,
            None,
            &Ctx {
                taken,
                groups: &groups,
            },
            &mut new,
        )?;
        let Some(top) = new.iter().position(|n| n.name == name) else {
            return Err(format!("node '{name}' was not defined"));
        };
        if new[top].drive.is_some() {
            // A lone file node, opened by `parse`.
            v.extend(new);
            return Ok(());
        }
        // A named node the new node stands on is in use now: its own
        // view closes (the new node's driver opens the file itself and
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
        match open(&new[top]) {
            Ok(d) => {
                new[top].drive = Some(Arc::new(d));
                v.extend(new);
                Ok(())
            }
            Err(e) => {
                if let Some(x) = closed {
                    x.drive = open(x).ok().map(Arc::new);
                }
                Err(e)
            }
        }
    }

    /// Flushes and closes every node's image (machine exit).
    pub fn close_all(&self) -> Vec<String> {
        let mut errs = Vec::new();
        if let Ok(v) = self.lock() {
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
        let mut v = self.lock()?;
        let Some(i) = v.iter().position(|n| n.name == name) else {
            if is_drive {
                return Err(format!("Node {name} is in use"));
            }
            return Err(format!("Failed to find node with node-name='{name}'"));
        };
        if v[i].implicit {
            return Err(format!("Node {name} is not owned by the monitor"));
        }
        if v[i].attached {
            return Err(format!("Node {name} is in use by a device"));
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
        let mut child = n.child;
        while let Some(c) = child.take() {
            let Some(j) = v.iter().position(|x| x.name == c) else {
                break;
            };
            if v[j].implicit {
                // Inline children go with their parent, all the way down.
                child = v.remove(j).child;
            } else {
                // A named node on its own again: its own view.
                let x = &mut v[j];
                x.drive = Some(Arc::new(open(x)?));
            }
        }
        Ok(())
    }
}

/// Where a node definition stands.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Role {
    /// blockdev-add's (or -blockdev's) own node.
    Top,
    /// A format node's inline `file`: a file node.
    FileOf,
    /// A throttle node's inline `file`: a file or format node.
    UnderFilter,
}

/// What `parse` looks names up in.
struct Ctx<'a> {
    /// Whether a name is a drive's id.
    taken: &'a dyn Fn(&str) -> bool,
    /// The throttle groups.
    groups: &'a dyn Fn(&str) -> Option<ThrottleGroup>,
}

/// Resolves a parent's `file` naming an existing node: it must be free
/// and, for a format parent (`need_file`), a file node.
fn named_child(existing: &[Node], r: &str, need_file: bool, read_only: bool) -> Result<(), String> {
    let c = existing
        .iter()
        .find(|n| n.name == r)
        .ok_or_else(|| err(format!("Cannot find device='' nor node-name='{r}'")))?;
    if need_file && c.driver != "file" {
        return Err(format!(
            "Node '{r}' is a {} node: Mimic's format drivers stand on a file node",
            c.driver
        ));
    }
    if c.attached || existing.iter().any(|n| n.child.as_deref() == Some(r)) {
        return Err(format!("Block device {r} is in use"));
    }
    if c.read_only && !read_only {
        return Err(format!("Block node '{r}' is read-only"));
    }
    Ok(())
}

/// Parses one node definition (and its inline children) into `new`;
/// returns its name. Only a top node is opened here (a lone file node,
/// as raw); the caller opens a top format or throttle node.
fn parse(
    existing: &[Node],
    mut o: Map<String, Value>,
    at: &str,
    role: Role,
    parent_ro: Option<bool>,
    ctx: &Ctx,
    new: &mut Vec<Node>,
) -> Result<String, String> {
    let top = role == Role::Top;
    let driver = take_str(&mut o, "driver", at)?
        .ok_or_else(|| err(format!("Parameter '{at}driver' is missing")))?;
    let name = match take_str(&mut o, "node-name", at)? {
        Some(n) => {
            if !well_formed(&n) {
                return Err(format!("Invalid node-name: '{n}'"));
            }
            if (ctx.taken)(&n) {
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
    let node = |driver: String, filename, format: &str, child, group| Node {
        name: name.clone(),
        driver,
        filename,
        format: format.to_string(),
        read_only,
        drive: None,
        child,
        implicit: !top,
        attached: false,
        group,
    };
    // A parent's `file`: a node name, or an inline definition.
    let child_of =
        |o: &mut Map<String, Value>, role: Role, new: &mut Vec<Node>| match o.remove("file") {
            None => Err(format!("Parameter '{at}file' is missing")),
            Some(Value::String(r)) => {
                named_child(existing, &r, role == Role::FileOf, read_only)?;
                Ok(r)
            }
            Some(Value::Object(c)) => parse(
                existing,
                c,
                &format!("{at}file."),
                role,
                Some(read_only),
                ctx,
                new,
            ),
            Some(_) => Err(format!(
                "Invalid parameter type for '{at}file', expected: BlockdevRef"
            )),
        };
    let child_node = |new: &[Node], c: &str| -> Option<(PathBuf, String)> {
        existing
            .iter()
            .chain(new.iter())
            .find(|n| n.name == c)
            .map(|n| (n.filename.clone(), n.format.clone()))
    };
    match driver.as_str() {
        "file" => {
            let filename = take_str(&mut o, "filename", at)?
                .ok_or_else(|| err(format!("Parameter '{at}filename' is missing")))?;
            finish(&o, at)?;
            let filename = PathBuf::from(filename);
            if let Some(e) = could_not_open(&filename) {
                return Err(e);
            }
            let mut n = node(driver, filename, "raw", None, None);
            if top {
                n.drive = Some(Arc::new(open(&n)?));
            }
            new.push(n);
            Ok(name)
        }
        f if FORMATS.contains(&f) => {
            if role == Role::FileOf {
                return Err(format!(
                    "'{at}': Mimic's format drivers open a host file, so 'file' must be a file node"
                ));
            }
            let child = child_of(&mut o, Role::FileOf, new)?;
            finish(&o, at)?;
            let (filename, _) = child_node(new, &child).unwrap_or_default();
            new.push(node(driver.clone(), filename, &driver, Some(child), None));
            Ok(name)
        }
        "throttle" => {
            if role == Role::FileOf {
                return Err(format!(
                    "'{at}': Mimic's format drivers open a host file, so 'file' must be a file node"
                ));
            }
            let g = take_str(&mut o, "throttle-group", at)?
                .ok_or_else(|| err(format!("Parameter '{at}throttle-group' is missing")))?;
            let group = (ctx.groups)(&g)
                .ok_or_else(|| err(format!("Throttle group '{g}' does not exist")))?;
            let child = child_of(&mut o, Role::UnderFilter, new)?;
            finish(&o, at)?;
            let (filename, format) = child_node(new, &child).unwrap_or_default();
            new.push(node(driver, filename, &format, Some(child), Some(group)));
            Ok(name)
        }
        "blkdebug" => Err(
            "blkdebug nodes are not implemented for blockdev-add; use -drive file=blkdebug:RULES:IMAGE"
                .into(),
        ),
        d => Err(format!("Parameter '{at}driver' does not accept value '{d}'")),
    }
}

/// `-blockdev`'s argument: a JSON object (`{"driver": ...}`) or the
/// dotted key=value form (`keyval`).
pub fn parse_cli(s: &str) -> Result<Map<String, Value>, String> {
    if s.trim_start().starts_with('{') {
        match serde_json::from_str::<Value>(s) {
            Ok(Value::Object(o)) => Ok(o),
            Ok(_) => Err("-blockdev: expected a JSON object".into()),
            Err(e) => Err(format!("-blockdev: bad JSON: {e}")),
        }
    } else {
        keyval(s).map_err(|e| format!("-blockdev: {e}"))
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
    fn throttle_nodes_groups_and_attach() {
        let dir = std::env::temp_dir().join(format!("blockdev-thr-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let img = dir.join("a.raw");
        std::fs::write(&img, vec![7u8; 1 << 20]).unwrap();
        let f = img.display().to_string();
        let nodes = Nodes::default();
        let mut cfg = block::throttle::ThrottleConfig::default();
        cfg.set(block::throttle::OPS_TOTAL, 1000, 0, 1);
        nodes
            .add_group(ThrottleGroup::new("tg0", cfg.clone()).unwrap())
            .unwrap();
        assert!(nodes
            .add_group(ThrottleGroup::new("tg0", cfg).unwrap())
            .is_err());
        let add = |v: Value| nodes.add(obj(v), &|_| false);
        // Errors: a missing or unknown group, no file, a file under a
        // format node that is not a file node.
        for (v, want) in [
            (
                json!({"driver": "throttle", "node-name": "t", "file": {"driver": "file", "filename": f}}),
                "'throttle-group' is missing",
            ),
            (
                json!({"driver": "throttle", "node-name": "t", "throttle-group": "nope",
                    "file": {"driver": "file", "filename": f}}),
                "'nope' does not exist",
            ),
            (
                json!({"driver": "throttle", "node-name": "t", "throttle-group": "tg0"}),
                "'file' is missing",
            ),
            (
                json!({"driver": "raw", "node-name": "t", "file": {"driver": "throttle",
                    "throttle-group": "tg0", "file": {"driver": "file", "filename": f}}}),
                "must be a file node",
            ),
            (
                json!({"driver": "throttle", "node-name": "t", "throttle-group": "tg0", "file": "nope"}),
                "Cannot find",
            ),
        ] {
            let e = add(v.clone()).unwrap_err();
            assert!(e.contains(want), "{v}: {e}");
        }
        assert!(!nodes.contains("t"));
        // Inline: throttle over raw over file.
        add(
            json!({"driver": "throttle", "node-name": "t1", "throttle-group": "tg0",
                   "file": {"driver": "raw", "file": {"driver": "file", "filename": f}}}),
        )
        .unwrap();
        let d = nodes.drive("t1").unwrap();
        assert_eq!(d.length(), 1 << 20);
        let mut b = [0u8; 512];
        d.driver.lock().unwrap().read(0, &mut b).unwrap();
        assert_eq!(b, [7u8; 512]);
        let mut count = 0;
        nodes.each(|_| count += 1);
        assert_eq!(count, 3);
        // Named: throttle over a named raw node, which closes meanwhile.
        add(json!({"driver": "file", "node-name": "f2", "filename": f})).unwrap();
        add(json!({"driver": "raw", "node-name": "r2", "file": "f2"})).unwrap();
        add(
            json!({"driver": "throttle", "node-name": "t2", "throttle-group": "tg0", "file": "r2"}),
        )
        .unwrap();
        assert!(nodes.drive("r2").is_none());
        assert!(nodes.attach("r2").err().unwrap().contains("in use"));
        // A device takes t2: no second device, no blockdev-del.
        assert!(nodes.attach("t2").unwrap().is_some());
        assert!(nodes.attach("t2").err().unwrap().contains("already in use"));
        assert!(nodes.attach("zz").unwrap().is_none());
        assert_eq!(nodes.attached().len(), 1);
        assert!(nodes.del("t2", false).unwrap_err().contains("in use"));
        // Deleting t1 takes its inline children along.
        nodes.del("t1", false).unwrap();
        let mut left = Vec::new();
        nodes.each(|n| left.push(n.name.clone()));
        assert_eq!(left, ["f2", "r2", "t2"]);
        // A parsed -blockdev in both forms.
        let k = parse_cli("driver=throttle,node-name=t3,throttle-group=tg0,file=f2").unwrap();
        let j = parse_cli(
            r#"{"driver": "throttle", "node-name": "t3", "throttle-group": "tg0", "file": "f2"}"#,
        )
        .unwrap();
        assert_eq!(k, j);
        assert!(parse_cli("{nope").unwrap_err().contains("bad JSON"));
        assert!(parse_cli("[1]").is_err());
        assert!(parse_cli("driver").is_err());
        nodes.close_all();
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
