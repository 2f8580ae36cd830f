//! `measure`: how large would a new image be (qemu's formulas).

use super::map::chain_status;
use super::{parse_opts, parse_size, Args};
use crate::error::{BlockError, Result};
use crate::json::Json;

/// Refcount table + block clusters needed to count `clusters` clusters
/// (fixed point, as qemu computes it).
pub fn refcount_metadata_size(clusters: u64, cs: u64, refcount_order: u32) -> u64 {
    let per_table = cs / 8;
    let per_block = cs * 8 / (1u64 << refcount_order);
    let (mut table, mut blocks, mut n) = (0u64, 0u64, 0u64);
    loop {
        let last = n;
        blocks = (clusters + table + blocks).div_ceil(per_block);
        table = blocks.div_ceil(per_table);
        n = clusters + blocks + table;
        if n == last {
            break;
        }
    }
    (blocks + table) * cs
}

/// Size of a fully allocated qcow2 image of `size` bytes.
pub fn qcow2_prealloc_size(size: u64, cs: u64, refcount_order: u32) -> u64 {
    let aligned = size.div_ceil(cs) * cs;
    let mut meta = cs;
    let per_l2 = cs / 8;
    let nl2e = (aligned / cs).div_ceil(per_l2) * per_l2;
    meta += nl2e * 8;
    let nl1e = (nl2e * 8 / cs).div_ceil(cs / 8) * (cs / 8);
    meta += nl1e * 8;
    meta += refcount_metadata_size((meta + aligned) / cs, cs, refcount_order);
    meta + aligned
}

pub(crate) fn run(args: &[String]) -> Result<i32> {
    print!("{}", measure_text(args)?);
    Ok(0)
}

/// The text `measure ARGS` prints.
pub fn measure_text(args: &[String]) -> Result<String> {
    let a = Args::parse(
        args,
        "hf:O:o:l:s:U",
        &["output=", "size=", "object=", "image-opts", "force-share"],
    )?;
    let json = a.json()?;
    let _share = crate::lock::ForceShare::scope(a.force_share());
    let out_fmt = a.get("O").unwrap_or_else(|| "raw".into());
    let o = match a.joined("o") {
        Some(o) => parse_opts(&o)?,
        None => Default::default(),
    };
    let (size, mut src) = match (a.get("size"), a.pos.first()) {
        (Some(_), Some(_)) => {
            return Err(BlockError::Other(
                "--size N cannot be used together with a filename.".into(),
            ))
        }
        (Some(s), None) => (parse_size(&s)?, None),
        (None, Some(p)) => {
            let mut d = super::open(p, a.get("f").as_deref(), true)?;
            if let Some(sn) = a.get("l").or(a.get("s")) {
                d.snapshot_load_readonly(&sn)?;
            }
            (d.length(), Some(d))
        }
        (None, None) => {
            return Err(BlockError::Other(
                "Either --size N or one filename must be specified.".into(),
            ))
        }
    };
    let (required, full, bitmaps) = match out_fmt.as_str() {
        "raw" => (size, size, None),
        "qcow2" => {
            let cs = o
                .get("cluster_size")
                .map(|c| parse_size(c))
                .transpose()?
                .unwrap_or(65536);
            let rbits: u64 = o
                .get("refcount_bits")
                .map(|r| r.parse().unwrap_or(16))
                .unwrap_or(16);
            let order = rbits.trailing_zeros();
            let v3 = o
                .get("compat")
                .map(|c| c != "0.10" && c != "v2")
                .unwrap_or(true);
            let vsize = size.div_ceil(cs) * cs;
            let prealloc = o.get("preallocation").map(|s| s.as_str()).unwrap_or("off");
            let mut req = if prealloc == "full" || prealloc == "falloc" {
                vsize
            } else {
                0
            };
            let mut bitmaps = None;
            if let Some(d) = src.as_mut() {
                req = 0;
                let mut off = 0;
                while off < size {
                    let (e, _, _) = chain_status(d.as_mut(), off, size - off, 0)?;
                    let mut pnum = e.len;
                    if !e.zero && e.data && e.allocated {
                        pnum = (off + pnum).div_ceil(cs) * cs - off;
                        req += off % cs + pnum;
                    }
                    off += pnum.max(1);
                }
                if prealloc == "full" || prealloc == "falloc" {
                    req = vsize;
                }
                if v3 && d.format_name() == "qcow2" {
                    bitmaps = Some(0u64);
                }
            }
            let full = qcow2_prealloc_size(size, cs, order);
            (full - vsize + req, full, bitmaps)
        }
        other => {
            return Err(BlockError::Unsupported(format!(
                "measure for format {other}"
            )))
        }
    };
    let mut out = String::new();
    if json {
        let mut j = Json::obj();
        if let Some(b) = bitmaps {
            j.push("bitmaps", b);
        }
        j.push("required", required);
        j.push("fully-allocated", full);
        out += &j.pretty();
        out.push('\n');
    } else {
        out += &format!("required size: {required}\nfully allocated size: {full}\n");
        if let Some(b) = bitmaps {
            out += &format!("bitmaps size: {b}\n");
        }
    }
    Ok(out)
}
