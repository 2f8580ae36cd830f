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

/// Size of a fully allocated qcow2 image of `size` bytes (`extended_l2`:
/// 16-byte L2 entries with subcluster bitmaps).
pub fn qcow2_prealloc_size(size: u64, cs: u64, refcount_order: u32, extended_l2: bool) -> u64 {
    let aligned = size.div_ceil(cs) * cs;
    let mut meta = cs;
    let l2e = if extended_l2 { 16 } else { 8 };
    let per_l2 = cs / l2e;
    let nl2e = (aligned / cs).div_ceil(per_l2) * per_l2;
    meta += nl2e * l2e;
    let nl1e = (nl2e * l2e / cs).div_ceil(cs / 8) * (cs / 8);
    meta += nl1e * 8;
    meta += refcount_metadata_size((meta + aligned) / cs, cs, refcount_order);
    meta + aligned
}

/// Formats QEMU knows but cannot measure (qemu-img says so for them; any
/// other name is an unknown format).
const NOT_MEASURABLE: &[&str] = &["qed", "vmdk", "vhdx", "vdi", "vpc", "qcow", "parallels"];

fn unsupported(fmt: &str) -> BlockError {
    BlockError::Other(format!(
        "Block driver '{fmt}' does not support size measurement"
    ))
}

/// qemu-img's errors for an output format without measurement and for
/// options the format's creation does not take.
fn check_format_and_opts(fmt: &str, o: &std::collections::BTreeMap<String, String>) -> Result<()> {
    let known: &[&str] = match fmt {
        "raw" => &["size", "preallocation", "nocow", "extent_size_hint"],
        "qcow2" => &[
            "size",
            "compat",
            "backing_file",
            "backing_fmt",
            "data_file",
            "data_file_raw",
            "cluster_size",
            "preallocation",
            "lazy_refcounts",
            "refcount_bits",
            "compression_type",
            "extended_l2",
        ],
        f if NOT_MEASURABLE.contains(&f) => return Err(unsupported(f)),
        f => return Err(BlockError::Other(format!("Unknown file format '{f}'"))),
    };
    for k in o.keys() {
        if k == "encryption" || k.starts_with("encrypt.") {
            return Err(BlockError::Unsupported("encrypted images".into()));
        }
        if !known.contains(&k.as_str()) {
            return Err(BlockError::Other(format!(
                "Invalid parameter '{k}'\nmimic-img: Invalid options for file format '{fmt}'"
            )));
        }
    }
    Ok(())
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
    check_format_and_opts(&out_fmt, &o)?;
    let (size, mut src) = match (a.get("size"), a.pos.first()) {
        (Some(_), Some(_)) => {
            return Err(BlockError::Other(
                "--size N cannot be used together with a filename.".into(),
            ))
        }
        (Some(s), None) => {
            if s.trim_start().starts_with('-') {
                return Err(BlockError::Other(
                    "Invalid image size specified. Must be between 0 and 9223372036854775807."
                        .into(),
                ));
            }
            (parse_size(&s)?, None)
        }
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
            if !cs.is_power_of_two() || !(512..=2 << 20).contains(&cs) {
                return Err(BlockError::Other(
                    "Cluster size must be a power of two between 512 and 2048k".into(),
                ));
            }
            let rbits: u64 = match o.get("refcount_bits") {
                Some(r) => r.parse().unwrap_or(0),
                None => 16,
            };
            if !rbits.is_power_of_two() || rbits > 64 {
                return Err(BlockError::Other(
                    "Refcount width must be a power of two and may not exceed 64 bits".into(),
                ));
            }
            let order = rbits.trailing_zeros();
            let ext_l2 = match o.get("extended_l2").map(|s| s.as_str()) {
                None | Some("off") => false,
                Some("on") => true,
                Some(v) => {
                    return Err(BlockError::Other(format!(
                        "Parameter 'extended_l2' expects 'on' or 'off' (got '{v}')"
                    )))
                }
            };
            if ext_l2 && cs < 16384 {
                return Err(BlockError::Other(
                    "Extended L2 entries are only supported with cluster sizes of at least 16384 bytes".into(),
                ));
            }
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
            let full = qcow2_prealloc_size(size, cs, order, ext_l2);
            (full - vsize + req, full, bitmaps)
        }
        // check_format_and_opts let only raw and qcow2 through.
        other => return Err(unsupported(other)),
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
