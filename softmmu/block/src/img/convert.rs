//! `convert`: copy one or more images (concatenated) into a new image of any
//! format, optionally compressed, out of an internal snapshot, into an
//! existing target (-n), with a progress bar (-p), with -m worker threads
//! and -W out-of-order writes (the copy itself is in `convert_copy`).

use super::convert_copy::{copy, CopyOpts};
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
    // -m N: N worker threads (qemu-img: N coroutines, default 8); by
    // default as many as there are CPUs, at most 8.
    let nworkers = match a.get("m") {
        Some(m) => match m.trim().parse::<i64>() {
            Ok(n) if (1..=16).contains(&n) => n as usize,
            Ok(_) => {
                return Err(BlockError::Other(
                    "Invalid number of coroutines specified. Must be between 1 and 16.".into(),
                ))
            }
            Err(_) => {
                return Err(BlockError::Other(format!(
                    "Invalid number of coroutines specified: '{m}'."
                )))
            }
        },
        None => std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
            .min(8),
    };
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
    // An NBD server may serve one client at a time (qemu-nbd's default):
    // a second connection would wait forever, so NBD sources get one worker.
    let nworkers = if srcs.iter().any(|s| crate::nbd::is_nbd_url(s)) {
        1
    } else {
        nworkers
    };
    // One set of source handles per worker (read-only opens share the
    // image locks).
    let mut sets: Vec<Vec<Box<dyn BlockDriver>>> = Vec::new();
    let share = crate::lock::ForceShare::scope(a.force_share());
    for _ in 0..nworkers {
        let mut sources: Vec<Box<dyn BlockDriver>> = Vec::new();
        for s in srcs {
            let mut d = super::open(s, a.get("f").as_deref(), true)?;
            if let Some(sn) = &snapshot {
                d.snapshot_load_readonly(sn)
                    .map_err(|e| BlockError::Other(format!("Failed to load snapshot: {e}")))?;
            }
            sources.push(d);
        }
        sets.push(sources);
    }
    drop(share);
    let total: u64 = sets[0].iter().map(|d| d.length()).sum();
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
    let o = CopyOpts {
        total,
        target_zero,
        sparse,
        compress,
        cs,
        out_of_order: a.has("W"),
        progress: show_progress,
        target_len: t.length(),
    };
    let mut t = copy(sets, t, &o)?;
    t.close()?;
    if show_progress {
        progress(100.0);
        println!();
    }
    Ok(0)
}
