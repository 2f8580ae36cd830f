//! `check`: consistency check with qemu-img's output and exit codes
//! (0 clean, 1 check error, 2 corruption, 3 leaks only, 63 unsupported).

use super::Args;
use crate::driver::{CheckReport, Fix};
use crate::error::{BlockError, Result};
use crate::json::Json;
use std::path::Path;

pub(crate) fn run(args: &[String]) -> Result<i32> {
    let a = Args::parse(
        args,
        "f:hr:T:qU",
        &["output=", "object=", "image-opts", "force-share"],
    )?;
    let json = a.json()?;
    let _share = crate::lock::ForceShare::scope(a.force_share());
    let Some(path) = a.pos.first() else {
        return Err(BlockError::Other("Expecting one image file name".into()));
    };
    let fix = match a.get("r").as_deref() {
        None => Fix::None,
        Some("leaks") => Fix::Leaks,
        Some("all") => Fix::All,
        Some(o) => {
            return Err(BlockError::Other(format!(
                "Unknown option value for -r (expecting 'leaks' or 'all'): {o}"
            )))
        }
    };
    let quiet = a.has("q");
    let fmt = super::fmt_of(path, a.get("f"))?;
    let o = crate::qcow2::OpenOpts {
        read_only: fix == Fix::None,
        allow_corrupt: true,
        no_backing: true,
        no_dirty_repair: true,
        depth: 0,
    };
    let mut d = crate::open_with(Path::new(path), Some(&fmt), &o, 0)
        .map_err(|e| BlockError::Other(format!("Could not open '{path}': {e}")))?;
    let first = match d.check(fix) {
        Ok(r) => r,
        Err(BlockError::Unsupported(_)) => {
            if json {
                // qemu prints nothing on stdout in this case.
            }
            eprintln!("mimic-img: This image format does not support checks");
            return Ok(63);
        }
        Err(e) => {
            eprintln!("mimic-img: Check failed: {e}");
            return Ok(1);
        }
    };
    for m in &first.messages {
        eprintln!("{m}");
    }
    if let Some(f) = &first.failed {
        eprintln!("mimic-img: Check failed: {f}");
        return Ok(1);
    }
    let mut r = first.clone();
    if first.leaks_fixed > 0 || first.corruptions_fixed > 0 {
        let second = d.check(Fix::None)?;
        for m in &second.messages {
            eprintln!("{m}");
        }
        r = CheckReport {
            leaks_fixed: first.leaks_fixed,
            corruptions_fixed: first.corruptions_fixed,
            ..second
        };
    }
    d.close()?;
    if json {
        println!("{}", report_json(path, &fmt, &r).pretty());
    } else if !quiet {
        print!("{}", report_human(&r));
    }
    Ok(exit_code(&r))
}

pub fn exit_code(r: &CheckReport) -> i32 {
    if r.check_errors > 0 {
        1
    } else if r.corruptions > 0 {
        2
    } else if r.leaks > 0 {
        3
    } else {
        0
    }
}

pub fn report_human(r: &CheckReport) -> String {
    let mut o = String::new();
    if r.leaks_fixed > 0 || r.corruptions_fixed > 0 {
        o += &format!(
            "The following inconsistencies were found and repaired:\n\n    {} leaked clusters\n    {} corruptions\n\nDouble checking the fixed image now...\n",
            r.leaks_fixed, r.corruptions_fixed
        );
    }
    if r.corruptions == 0 && r.leaks == 0 && r.check_errors == 0 {
        o += "No errors were found on the image.\n";
    } else {
        if r.corruptions > 0 {
            o += &format!(
                "\n{} errors were found on the image.\nData may be corrupted, or further writes to the image may corrupt it.\n",
                r.corruptions
            );
        }
        if r.leaks > 0 {
            o += &format!(
                "\n{} leaked clusters were found on the image.\nThis means waste of disk space, but no harm to data.\n",
                r.leaks
            );
        }
        if r.check_errors > 0 {
            o += &format!(
                "\n{} internal errors have occurred during the check.\n",
                r.check_errors
            );
        }
    }
    let total = r.total_clusters.unwrap_or(0);
    let alloc = r.allocated_clusters.unwrap_or(0);
    if total != 0 && alloc != 0 {
        let frag = r.fragmented_clusters.unwrap_or(0);
        let comp = r.compressed_clusters.unwrap_or(0);
        o += &format!(
            "{}/{} = {:.2}% allocated, {:.2}% fragmented, {:.2}% compressed clusters\n",
            alloc,
            total,
            alloc as f64 * 100.0 / total as f64,
            frag as f64 * 100.0 / alloc as f64,
            comp as f64 * 100.0 / alloc as f64
        );
    }
    if let Some(e) = r.image_end_offset {
        if e != 0 {
            o += &format!("Image end offset: {e}\n");
        }
    }
    o
}

/// qemu's ImageCheck JSON (members present only when nonzero, qemu's order).
pub fn report_json(path: &str, fmt: &str, r: &CheckReport) -> Json {
    let mut j = Json::obj();
    let nz = |v: Option<u64>| v.filter(|&x| x != 0);
    if let Some(v) = nz(r.image_end_offset) {
        j.push("image-end-offset", v);
    }
    if let Some(v) = nz(r.compressed_clusters) {
        j.push("compressed-clusters", v);
    }
    if let Some(v) = nz(r.total_clusters) {
        j.push("total-clusters", v);
    }
    if r.corruptions > 0 {
        j.push("corruptions", r.corruptions);
    }
    if r.corruptions_fixed > 0 {
        j.push("corruptions-fixed", r.corruptions_fixed);
    }
    j.push("check-errors", r.check_errors);
    if r.leaks > 0 {
        j.push("leaks", r.leaks);
    }
    if r.leaks_fixed > 0 {
        j.push("leaks-fixed", r.leaks_fixed);
    }
    if let Some(v) = nz(r.allocated_clusters) {
        j.push("allocated-clusters", v);
    }
    j.push("filename", path);
    j.push("format", fmt);
    if let Some(v) = nz(r.fragmented_clusters) {
        j.push("fragmented-clusters", v);
    }
    j
}
