//! `convert`: copy one or more images (concatenated) into a new image of any
//! format, optionally compressed, out of an internal snapshot, into an
//! existing target (-n), with a progress bar (-p).

use super::map::chain_status;
use super::{parse_opts, parse_size, progress, Args};
use crate::driver::BlockDriver;
use crate::error::{BlockError, Result};
use std::collections::BTreeMap;
use std::path::Path;

pub(crate) fn run(args: &[String]) -> Result<i32> {
    let a = Args::parse(
        args,
        "hf:O:B:CF:co:l:S:pt:T:qnm:WUr:s:",
        &[
            "object=",
            "image-opts",
            "target-image-opts",
            "target-is-zero",
            "bitmaps",
            "salvage",
            "force-share",
            "target-format=",
        ],
    )?;
    if a.pos.len() < 2 {
        return Err(BlockError::Other("Expecting image file name".into()));
    }
    let (srcs, out) = a.pos.split_at(a.pos.len() - 1);
    let out = &out[0];
    let out_fmt = a.get("O").unwrap_or_else(|| "raw".into());
    let compress = a.has("c");
    let show_progress = a.has("p") && !a.has("q");
    let no_create = a.has("n");
    let sparse = match a.get("S") {
        Some(s) => parse_size(&s)?,
        None => 4096,
    };
    if let Some(m) = a.get("m") {
        let n: u32 = m
            .parse()
            .map_err(|_| BlockError::Other(format!("Invalid number of coroutines: '{m}'")))?;
        if !(1..=16).contains(&n) {
            return Err(BlockError::Other(format!("Invalid number of coroutines. Allowed number of coroutines is between 1 and 16 (got {n})")));
        }
    }
    let snapshot = match (a.get("s"), a.get("l")) {
        (Some(s), _) => Some(s),
        (None, Some(l)) => {
            let o = parse_opts(&l)?;
            if let Some(v) = o.get("snapshot.name").or(o.get("snapshot.id")) {
                Some(v.clone())
            } else if o.len() == 1 && o.values().next().map(|v| v == "on").unwrap_or(false) {
                o.keys().next().cloned()
            } else {
                return Err(BlockError::Other(format!(
                    "Invalid snapshot parameter '{l}'"
                )));
            }
        }
        _ => None,
    };
    if snapshot.is_some() && srcs.len() > 1 {
        return Err(BlockError::Other(
            "No support for concatenating multiple snapshot".into(),
        ));
    }
    let mut sources: Vec<Box<dyn BlockDriver>> = Vec::new();
    let share = crate::lock::ForceShare::scope(a.force_share());
    for s in srcs {
        let mut d = super::open(s, a.get("f").as_deref(), true)?;
        if let Some(sn) = &snapshot {
            d.snapshot_load_readonly(sn)
                .map_err(|e| BlockError::Other(format!("Failed to load snapshot: {e}")))?;
        }
        sources.push(d);
    }
    drop(share);
    let total: u64 = sources.iter().map(|d| d.length()).sum();
    let mut opts: BTreeMap<String, String> = match a.joined("o") {
        Some(o) => parse_opts(&o)?,
        None => BTreeMap::new(),
    };
    if let Some(b) = a.get("B") {
        opts.insert("backing_file".into(), b);
        if let Some(f) = a.get("F") {
            opts.insert("backing_fmt".into(), f);
        }
    }
    if compress && !["qcow2", "vmdk"].contains(&out_fmt.as_str()) {
        return Err(BlockError::Other(
            "Compression not supported for this file format".into(),
        ));
    }
    if !no_create {
        if compress && out_fmt == "vmdk" {
            opts.entry("subformat".into())
                .or_insert_with(|| "streamOptimized".into());
        }
        if let Some(bf) = opts.get("backing_file").cloned() {
            if !opts.contains_key("backing_fmt") {
                let bp = crate::qcow2::resolve_backing(Path::new(out), &bf);
                if let Ok(f) = crate::probe_format(&bp) {
                    opts.insert("backing_fmt".into(), f.to_string());
                }
            }
        }
        super::create_image(&out_fmt, Path::new(out), total, &opts)?;
    }
    let mut t = crate::open_image(Path::new(out), Some(&out_fmt), false)
        .map_err(|e| BlockError::Other(format!("Could not open '{out}': {e}")))?;
    if t.length() < total {
        return Err(BlockError::Other(format!(
            "Target image is smaller than the source ({} < {total} bytes)",
            t.length()
        )));
    }
    // A freshly created target without backing reads as zero already.
    let target_zero = !no_create && !opts.contains_key("backing_file");
    // Like qemu-img, the target is written with cache=unsafe unless -t says
    // otherwise (data is flushed by the OS, not synced per step).
    match a.get("t").as_deref() {
        None | Some("unsafe") => t.set_unsafe_cache(true),
        Some("writeback" | "none" | "directsync" | "writethrough") => {}
        Some(o) => return Err(BlockError::Other(format!("Invalid cache option: {o}"))),
    }
    let cs = t.cluster_size().unwrap_or(65536).max(512);
    if show_progress {
        progress(0.0);
    }
    if compress {
        copy_compressed(
            &mut sources,
            t.as_mut(),
            total,
            target_zero,
            cs,
            show_progress,
        )?;
        t.close()?;
        if show_progress {
            progress(100.0);
            println!();
        }
        return Ok(0);
    }
    let mut base = 0u64;
    let mut done = 0u64;
    let mut last_pct = -1.0f64;
    for s in sources.iter_mut() {
        let len = s.length();
        let mut off = 0u64;
        while off < len {
            let (e, _, _) = chain_status(s.as_mut(), off, (len - off).min(1 << 30), 0)?;
            let mut n = e.len.clamp(1, len - off);
            let is_zero = e.zero && !e.data;
            if is_zero {
                if !target_zero {
                    t.write_zeroes(base + off, n, true)?;
                }
                off += n;
                done += n;
            } else {
                n = n.min(4 << 20);
                let mut buf = vec![0u8; n as usize];
                s.read(off, &mut buf)?;
                write_sparse(t.as_mut(), base + off, &buf, sparse, target_zero)?;
                off += n;
                done += n;
            }
            if show_progress && total > 0 {
                let pct = done as f64 * 100.0 / total as f64;
                if pct - last_pct >= 1.0 {
                    progress(pct);
                    last_pct = pct;
                }
            }
        }
        base += len;
    }
    t.close()?;
    if show_progress {
        progress(100.0);
        println!();
    }
    Ok(0)
}

/// Writes `buf` at `off`, skipping (or zeroing) `sparse`-sized all-zero blocks.
fn write_sparse(
    t: &mut dyn BlockDriver,
    off: u64,
    buf: &[u8],
    sparse: u64,
    target_zero: bool,
) -> Result<()> {
    if sparse == 0 {
        return t.write(off, buf);
    }
    let bs = sparse as usize;
    let mut i = 0usize;
    while i < buf.len() {
        // Blocks aligned to the target offset.
        let blk_end = (((off as usize + i) / bs + 1) * bs - off as usize).min(buf.len());
        let zero = buf[i..blk_end].iter().all(|&b| b == 0);
        let mut j = blk_end;
        while j < buf.len() {
            let e = (j + bs).min(buf.len());
            if buf[j..e].iter().all(|&b| b == 0) != zero {
                break;
            }
            j = e;
        }
        if zero {
            if !target_zero {
                t.write_zeroes(off + i as u64, (j - i) as u64, true)?;
            }
        } else {
            t.write(off + i as u64, &buf[i..j])?;
        }
        i = j;
    }
    Ok(())
}

/// Finds the source holding concatenated offset `off`: (index, local offset).
fn locate(sources: &[Box<dyn BlockDriver>], off: u64) -> (usize, u64) {
    let mut base = 0;
    for (i, s) in sources.iter().enumerate() {
        if off < base + s.length() {
            return (i, off - base);
        }
        base += s.length();
    }
    (sources.len(), 0)
}

fn read_concat(sources: &mut [Box<dyn BlockDriver>], mut off: u64, buf: &mut [u8]) -> Result<()> {
    let mut pos = 0;
    while pos < buf.len() {
        let (i, lo) = locate(sources, off);
        if i >= sources.len() {
            buf[pos..].fill(0);
            break;
        }
        let n = ((sources[i].length() - lo) as usize).min(buf.len() - pos);
        sources[i].read(lo, &mut buf[pos..pos + n])?;
        pos += n;
        off += n as u64;
    }
    Ok(())
}

/// Length of the zero run at concatenated offset `off` (0 if data).
fn zero_run(sources: &mut [Box<dyn BlockDriver>], off: u64, max: u64) -> Result<u64> {
    let (i, lo) = locate(sources, off);
    if i >= sources.len() {
        return Ok(max);
    }
    let l = sources[i].length();
    let (e, _, _) = chain_status(sources[i].as_mut(), lo, (l - lo).min(max), 0)?;
    Ok(if e.zero && !e.data { e.len.min(max) } else { 0 })
}

fn copy_compressed(
    sources: &mut [Box<dyn BlockDriver>],
    t: &mut dyn BlockDriver,
    total: u64,
    target_zero: bool,
    cs: u64,
    show_progress: bool,
) -> Result<()> {
    let mut off = 0u64;
    let mut last_pct = -1.0f64;
    while off < total {
        let n = cs.min(total - off);
        let z = zero_run(sources, off, total - off)?;
        if z >= n {
            let skip = if off + z >= total {
                total - off
            } else {
                z / cs * cs
            };
            if !target_zero {
                t.write_zeroes(off, skip, true)?;
            }
            off += skip;
            continue;
        }
        let mut buf = vec![0u8; n as usize];
        read_concat(sources, off, &mut buf)?;
        if buf.iter().all(|&b| b == 0) {
            if !target_zero {
                t.write_zeroes(off, n, true)?;
            }
        } else if n == cs || off + n == t.length() {
            t.write_compressed(off, &buf)?;
        } else {
            t.write(off, &buf)?;
        }
        off += n;
        if show_progress && total > 0 {
            let pct = off as f64 * 100.0 / total as f64;
            if pct - last_pct >= 1.0 {
                progress(pct);
                last_pct = pct;
            }
        }
    }
    Ok(())
}
