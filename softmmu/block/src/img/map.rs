//! `map`: the allocation map of an image and its backing chain, in
//! qemu-img's human and JSON forms.

use super::{parse_size, Args};
use crate::driver::{BlockDriver, Extent};
use crate::error::{BlockError, Result};
use std::path::PathBuf;

/// One merged map entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MapEntry {
    pub start: u64,
    pub length: u64,
    pub depth: usize,
    pub present: bool,
    pub zero: bool,
    pub data: bool,
    pub compressed: bool,
    pub offset: Option<u64>,
    pub filename: Option<PathBuf>,
}

/// Status of `[off, off+len)` resolved through the backing chain.
pub fn chain_status(
    d: &mut dyn BlockDriver,
    off: u64,
    len: u64,
    depth: usize,
) -> Result<(Extent, usize, Option<PathBuf>)> {
    let e = d.block_status(off, len)?;
    if e.allocated {
        return Ok((e, depth, d.file_path()));
    }
    let fp = d.file_path();
    match d.backing() {
        None => Ok((Extent { zero: true, ..e }, depth, fp)),
        Some(b) => {
            let bl = b.length();
            if off >= bl {
                return Ok((Extent { zero: true, ..e }, depth, fp));
            }
            let n = e.len.min(bl - off);
            chain_status(b, off, n, depth + 1)
        }
    }
}

fn mergeable(a: &MapEntry, b: &MapEntry, human: bool) -> bool {
    if a.length == 0 || a.start + a.length != b.start {
        return false;
    }
    if (a.zero, a.data, a.compressed, a.depth, a.present)
        != (b.zero, b.data, b.compressed, b.depth, b.present)
    {
        return false;
    }
    if a.offset.is_some() != b.offset.is_some() {
        return false;
    }
    if let (Some(x), Some(y)) = (a.offset, b.offset) {
        if x + a.length != y {
            return false;
        }
    }
    !human || a.filename == b.filename
}

/// The merged map of `[start, end)`.
pub fn map_entries(
    d: &mut dyn BlockDriver,
    start: u64,
    end: u64,
    human: bool,
) -> Result<Vec<MapEntry>> {
    let mut out: Vec<MapEntry> = Vec::new();
    let mut off = start;
    while off < end {
        let len = (end - off).min(1 << 30);
        let (e, depth, fname) = chain_status(d, off, len, 0)?;
        let n = e.len.clamp(1, len);
        let ent = MapEntry {
            start: off,
            length: n,
            depth,
            present: e.allocated,
            zero: e.zero,
            data: e.data,
            compressed: e.compressed,
            offset: e.offset,
            filename: fname,
        };
        match out.last_mut() {
            Some(last) if mergeable(last, &ent, human) => last.length += n,
            _ => out.push(ent),
        }
        off += n;
    }
    Ok(out)
}

/// qemu-img's JSON line for one entry.
pub fn entry_json(e: &MapEntry) -> String {
    let mut s = format!(
        "{{ \"start\": {}, \"length\": {}, \"depth\": {}, \"present\": {}, \"zero\": {}, \"data\": {}, \"compressed\": {}",
        e.start, e.length, e.depth, e.present, e.zero, e.data, e.compressed
    );
    if let Some(o) = e.offset {
        s += &format!(", \"offset\": {o}");
    }
    s += "}";
    s
}

/// The full `map --output=json` text.
pub fn map_json(d: &mut dyn BlockDriver) -> Result<String> {
    let len = d.length();
    let ents = map_entries(d, 0, len, false)?;
    let lines: Vec<String> = ents.iter().map(entry_json).collect();
    Ok(format!("[{}]\n", lines.join(",\n")))
}

pub(crate) fn run(args: &[String]) -> Result<i32> {
    let a = Args::parse(
        args,
        "f:hU",
        &[
            "output=",
            "object=",
            "image-opts",
            "force-share",
            "start-offset=",
            "max-length=",
        ],
    )?;
    let json = a.json()?;
    let _share = crate::lock::ForceShare::scope(a.force_share());
    let Some(path) = a.pos.first() else {
        return Err(BlockError::Other("Expecting one image file name".into()));
    };
    let mut d = super::open(path, a.get("f").as_deref(), true)?;
    let len = d.length();
    let start = a
        .get("start-offset")
        .map(|s| parse_size(&s))
        .transpose()?
        .unwrap_or(0)
        .min(len);
    let end = match a.get("max-length") {
        Some(m) => (start + parse_size(&m)?).min(len),
        None => len,
    };
    if json {
        let ents = map_entries(d.as_mut(), start, end, false)?;
        let lines: Vec<String> = ents.iter().map(entry_json).collect();
        println!("[{}]", lines.join(",\n"));
    } else {
        let ents = map_entries(d.as_mut(), start, end, true)?;
        println!("{:<16}{:<16}{:<16}File", "Offset", "Length", "Mapped to");
        for e in ents {
            if e.data && e.offset.is_none() {
                return Err(BlockError::Other(
                    "File contains external, encrypted or compressed clusters.".into(),
                ));
            }
            if e.data && !e.zero {
                let f = e
                    .filename
                    .map(|p| p.to_string_lossy().into_owned())
                    .unwrap_or_default();
                println!(
                    "{:<16}{:<16}{:<16}{}",
                    hex(e.start),
                    hex(e.length),
                    hex(e.offset.unwrap_or(0)),
                    f
                );
            }
        }
    }
    Ok(0)
}

/// C's `%#x`: "0" for zero, "0x.." otherwise.
fn hex(v: u64) -> String {
    if v == 0 {
        "0".into()
    } else {
        format!("{v:#x}")
    }
}
