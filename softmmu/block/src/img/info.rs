//! `info`: describe an image (human or qemu's JSON), optionally the chain.

use super::{size_to_str, Args};
use crate::driver::{BlockDriver, SnapshotInfo};
use crate::error::{BlockError, Result};
use crate::json::Json;
use crate::qcow2::resolve_backing;
use std::path::{Path, PathBuf};

pub(crate) fn run(args: &[String]) -> Result<i32> {
    let a = Args::parse(
        args,
        "f:hqU",
        &[
            "output=",
            "backing-chain",
            "force-share",
            "object=",
            "image-opts",
            "limits",
        ],
    )?;
    let json = a.json()?;
    let _share = crate::lock::ForceShare::scope(a.force_share());
    let Some(path) = a.pos.first() else {
        return Err(BlockError::Other("Expecting one image file name".into()));
    };
    let mut infos = Vec::new();
    let mut cur = PathBuf::from(path);
    let mut fmt = a.get("f");
    loop {
        let d = crate::open_image_no_backing(&cur, fmt.as_deref(), true)
            .map_err(|e| BlockError::Other(format!("Could not open '{}': {e}", cur.display())))?;
        let mut d = d;
        let info = image_info(&cur, d.as_mut())?;
        let next = d.backing_file();
        infos.push(info);
        if !a.has("backing-chain") {
            break;
        }
        match next {
            Some((b, f)) => {
                cur = resolve_backing(&cur, &b);
                fmt = f;
            }
            None => break,
        }
        if infos.len() > crate::MAX_CHAIN_DEPTH {
            return Err(BlockError::Other("backing chain too long".into()));
        }
    }
    if json {
        if a.has("backing-chain") {
            println!("{}", Json::Arr(infos).pretty());
        } else {
            println!("{}", infos[0].pretty());
        }
    } else {
        let texts: Vec<String> = infos.iter().map(human).collect();
        print!("{}", texts.join("\n"));
    }
    Ok(0)
}

/// qemu's ImageInfo as JSON, members in qemu-img's output order.
pub fn image_info(path: &Path, d: &mut dyn BlockDriver) -> Result<Json> {
    let name = path.to_string_lossy().into_owned();
    if crate::nbd::is_nbd_url(&name) {
        return Ok(crate::nbd::client::info_json(&name, d.length()));
    }
    let file_path = d.file_path().unwrap_or_else(|| path.to_path_buf());
    let file_node = |name: &str, p: &Path| -> Result<(Json, u64)> {
        let meta = std::fs::metadata(p)?;
        let flen = meta.len().div_ceil(512) * 512;
        let actual = {
            use std::os::unix::fs::MetadataExt;
            meta.blocks() * 512
        };
        let node = Json::obj().with("name", name).with(
            "info",
            Json::obj()
                .with("children", Json::Arr(vec![]))
                .with("virtual-size", flen)
                .with("filename", p.to_string_lossy().into_owned())
                .with("format", "file")
                .with("actual-size", actual)
                .with(
                    "format-specific",
                    Json::obj().with("type", "file").with("data", Json::obj()),
                )
                .with("dirty-flag", false),
        );
        Ok((node, actual))
    };
    let mut children = Vec::new();
    let mut total_actual = 0;
    for (n, p) in d.extra_files() {
        let (c, a) = file_node(&n, &p)?;
        children.push(c);
        total_actual += a;
    }
    let (c, a) = file_node("file", &file_path)?;
    let _ = &name;
    children.push(c);
    total_actual += a;
    let actual = total_actual;
    let mut j = Json::obj().with("children", Json::Arr(children));
    let snaps = d.snapshot_list()?;
    if !snaps.is_empty() {
        j.push(
            "snapshots",
            Json::Arr(snaps.iter().map(snapshot_json).collect()),
        );
    }
    let backing = d.backing_file();
    if let Some((_, Some(f))) = &backing {
        j.push("backing-filename-format", f.as_str());
    }
    j.push("virtual-size", d.length());
    j.push("filename", name.as_str());
    if let Some(cs) = d.cluster_size() {
        j.push("cluster-size", cs);
    }
    j.push("format", d.format_name());
    j.push("actual-size", actual);
    if let Some(fs) = d.format_specific() {
        j.push(
            "format-specific",
            Json::obj().with("type", d.format_name()).with("data", fs),
        );
    }
    if let Some((b, _)) = &backing {
        let full = resolve_backing(path, b);
        j.push("full-backing-filename", full.to_string_lossy().into_owned());
        j.push("backing-filename", b.as_str());
    }
    j.push("dirty-flag", d.dirty());
    Ok(j)
}

fn snapshot_json(s: &SnapshotInfo) -> Json {
    let mut j = Json::obj();
    if let Some(i) = s.icount {
        j.push("icount", i);
    }
    j.push("vm-clock-nsec", s.vm_clock_nsec % 1_000_000_000);
    j.push("name", s.name.as_str());
    j.push("date-sec", s.date_sec);
    j.push("date-nsec", s.date_nsec);
    j.push("vm-clock-sec", s.vm_clock_nsec / 1_000_000_000);
    j.push("id", s.id.as_str());
    j.push("vm-state-size", s.vm_state_size);
    j
}

fn u(j: &Json, k: &str) -> u64 {
    match j.get(k) {
        Some(Json::UInt(v)) => *v,
        Some(Json::Int(v)) => *v as u64,
        _ => 0,
    }
}
fn s<'a>(j: &'a Json, k: &str) -> &'a str {
    match j.get(k) {
        Some(Json::Str(v)) => v,
        _ => "",
    }
}

/// "disk size": unavailable for protocols without one (NBD).
fn disk_size(j: &Json) -> String {
    match j.get("actual-size") {
        Some(_) => size_to_str(u(j, "actual-size")),
        None => "unavailable".into(),
    }
}

/// qemu-img's human-readable form of one image.
pub fn human(j: &Json) -> String {
    let mut o = String::new();
    o += &format!("image: {}\n", s(j, "filename"));
    o += &format!("file format: {}\n", s(j, "format"));
    let vs = u(j, "virtual-size");
    o += &format!("virtual size: {} ({} bytes)\n", size_to_str(vs), vs);
    o += &format!("disk size: {}\n", disk_size(j));
    if j.get("cluster-size").is_some() {
        o += &format!("cluster_size: {}\n", u(j, "cluster-size"));
    }
    if let Some(Json::Bool(true)) = j.get("dirty-flag") {
        o += "cleanly shut down: no\n";
    }
    if j.get("backing-filename").is_some() {
        let b = s(j, "backing-filename");
        let full = s(j, "full-backing-filename");
        o += &format!("backing file: {b}");
        if b != full {
            o += &format!(" (actual path: {full})");
        }
        o += "\n";
        if j.get("backing-filename-format").is_some() {
            o += &format!("backing file format: {}\n", s(j, "backing-filename-format"));
        }
    }
    if let Some(Json::Arr(sn)) = j.get("snapshots") {
        let list: Vec<SnapshotInfo> = sn
            .iter()
            .map(|x| SnapshotInfo {
                id: s(x, "id").into(),
                name: s(x, "name").into(),
                vm_state_size: u(x, "vm-state-size"),
                date_sec: u(x, "date-sec") as u32,
                date_nsec: u(x, "date-nsec") as u32,
                vm_clock_nsec: u(x, "vm-clock-sec") * 1_000_000_000 + u(x, "vm-clock-nsec"),
                icount: x.get("icount").map(|_| u(x, "icount")),
                disk_size: 0,
            })
            .collect();
        o += "Snapshot list:\n";
        o += &super::snapshot::table_text(&list);
    }
    if let Some(fs) = j.get("format-specific") {
        if let Some(Json::Obj(m)) = fs.get("data") {
            if !m.is_empty() {
                o += "Format specific information:\n";
                dump_obj(&mut o, m, 1);
            }
        }
    }
    if let Some(Json::Arr(ch)) = j.get("children") {
        for c in ch {
            if let Some(i) = c.get("info") {
                o += &format!("Child node '/{}':\n", s(c, "name"));
                o += &format!("    filename: {}\n", s(i, "filename"));
                o += &format!("    protocol type: {}\n", s(i, "format"));
                let l = u(i, "virtual-size");
                o += &format!("    file length: {} ({} bytes)\n", size_to_str(l), l);
                o += &format!("    disk size: {}\n", disk_size(i));
            }
        }
    }
    o
}

/// qemu's human dump of a QAPI object (nested objects and lists indented).
fn dump_obj(o: &mut String, m: &[(String, Json)], level: usize) {
    let ind = "    ".repeat(level);
    for (k, v) in m {
        let key = k.replace('-', " ");
        match v {
            Json::Obj(inner) => {
                *o += &format!("{ind}{key}:\n");
                dump_obj(o, inner, level + 1);
            }
            Json::Arr(items) => {
                *o += &format!("{ind}{key}:\n");
                dump_list(o, items, level + 1);
            }
            Json::Str(x) => *o += &format!("{ind}{key}: {x}\n"),
            other => *o += &format!("{ind}{key}: {}\n", other.compact()),
        }
    }
}

fn dump_list(o: &mut String, items: &[Json], level: usize) {
    let ind = "    ".repeat(level);
    for (i, v) in items.iter().enumerate() {
        match v {
            Json::Obj(inner) => {
                *o += &format!("{ind}[{i}]:\n");
                dump_obj(o, inner, level + 1);
            }
            Json::Str(x) => *o += &format!("{ind}[{i}]: {x}\n"),
            other => *o += &format!("{ind}[{i}]: {}\n", other.compact()),
        }
    }
}
