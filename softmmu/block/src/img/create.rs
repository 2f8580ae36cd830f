//! `create`: make a new image.

use super::{parse_bool, parse_opts, parse_size, Args};
use crate::error::{BlockError, Result};
use std::collections::BTreeMap;
use std::path::Path;

pub(crate) fn run(args: &[String]) -> Result<i32> {
    let a = Args::parse(args, "f:o:b:F:uqhU", &["object=", "help"])?;
    let fmt = a.get("f").unwrap_or_else(|| "raw".into());
    let mut opts = match a.joined("o") {
        Some(o) => parse_opts(&o)?,
        None => BTreeMap::new(),
    };
    if let Some(b) = a.get("b") {
        opts.insert("backing_file".into(), b);
    }
    if let Some(f) = a.get("F") {
        opts.insert("backing_fmt".into(), f);
    }
    let Some(path) = a.pos.first() else {
        return Err(BlockError::Other("Expecting image file name".into()));
    };
    if a.pos.len() > 2 {
        return Err(BlockError::Other("Unexpected argument".into()));
    }
    let mut size = match a.pos.get(1) {
        Some(s) => Some(parse_size(s)?),
        None => opts.get("size").map(|s| parse_size(s)).transpose()?,
    };
    if let Some(bf) = opts.get("backing_file").cloned() {
        let bpath = crate::qcow2::resolve_backing(Path::new(path), &bf);
        if !opts.contains_key("backing_fmt") {
            // qemu-img refuses this (the probed format is only a hint).
            let hint = match crate::probe_format(&bpath) {
                Ok(f) => format!("\nDetected format of {f}."),
                Err(_) => String::new(),
            };
            return Err(BlockError::Other(format!(
                "{path}: Backing file specified without backing format{hint}"
            )));
        }
        if size.is_none() || !a.has("u") {
            let b = crate::open_image(&bpath, opts.get("backing_fmt").map(|s| s.as_str()), true);
            match b {
                Ok(b) => {
                    if size.is_none() {
                        size = Some(b.length());
                    }
                }
                Err(e) if size.is_none() => {
                    return Err(BlockError::Other(format!(
                        "Could not open backing image: {e}"
                    )));
                }
                Err(_) => {}
            }
        }
    }
    let Some(size) = size else {
        return Err(BlockError::Other(
            "Image creation needs a size parameter".into(),
        ));
    };
    if !a.has("q") {
        println!(
            "Formatting '{path}', fmt={fmt} {}",
            describe(&fmt, size, &opts)
        );
    }
    create_image(&fmt, Path::new(path), size, &opts)?;
    Ok(0)
}

/// The option summary qemu-img prints after "Formatting".
fn describe(fmt: &str, size: u64, o: &BTreeMap<String, String>) -> String {
    let mut v: Vec<String> = Vec::new();
    let g = |k: &str| o.get(k).cloned();
    match fmt {
        "qcow2" => {
            v.push(format!(
                "cluster_size={}",
                g("cluster_size")
                    .map(|c| parse_size(&c).unwrap_or(0))
                    .unwrap_or(65536)
            ));
            if let Some(c) = g("compat") {
                v.push(format!("compat={c}"));
            }
            v.push("extended_l2=off".into());
            v.push("compression_type=zlib".into());
            v.push(format!("size={size}"));
            if let Some(b) = g("backing_file") {
                v.push(format!("backing_file={b}"));
            }
            if let Some(b) = g("backing_fmt") {
                v.push(format!("backing_fmt={b}"));
            }
            if let Some(p) = g("preallocation") {
                v.push(format!("preallocation={p}"));
            }
            v.push(format!(
                "lazy_refcounts={}",
                g("lazy_refcounts").unwrap_or_else(|| "off".into())
            ));
            v.push(format!(
                "refcount_bits={}",
                g("refcount_bits").unwrap_or_else(|| "16".into())
            ));
        }
        "vmdk" => {
            v.push(format!("size={size}"));
            for k in ["backing_file", "backing_fmt"] {
                if let Some(b) = g(k) {
                    v.push(format!("{k}={b}"));
                }
            }
            if g("backing_file").is_none() {
                v.push(format!(
                    "compat6={}",
                    g("compat6").unwrap_or_else(|| "off".into())
                ));
                v.push(format!(
                    "hwversion={}",
                    g("hwversion").unwrap_or_else(|| "undefined".into())
                ));
            }
            for k in ["adapter_type", "subformat", "zeroed_grain"] {
                if let Some(b) = g(k) {
                    v.push(format!("{k}={b}"));
                }
            }
        }
        "vhdx" => {
            v.push(format!("size={size}"));
            let sz = |k: &str, d: u64| g(k).map(|x| parse_size(&x).unwrap_or(0)).unwrap_or(d);
            v.push(format!("log_size={}", sz("log_size", 1 << 20)));
            v.push(format!("block_size={}", sz("block_size", 0)));
            for k in ["subformat", "block_state_zero"] {
                if let Some(b) = g(k) {
                    v.push(format!("{k}={b}"));
                }
            }
        }
        "qed" => {
            v.push(format!("size={size}"));
            for k in ["backing_file", "backing_fmt"] {
                if let Some(b) = g(k) {
                    v.push(format!("{k}={b}"));
                }
            }
            v.push(format!(
                "cluster_size={}",
                g("cluster_size")
                    .map(|c| parse_size(&c).unwrap_or(0))
                    .unwrap_or(65536)
            ));
            if let Some(t) = g("table_size") {
                v.push(format!("table_size={t}"));
            }
        }
        _ => {
            v.push(format!("size={size}"));
            for (k, val) in o {
                if k != "size" {
                    v.push(format!("{k}={val}"));
                }
            }
        }
    }
    v.join(" ")
}

/// Creates an image of format `fmt` (qemu's `-o` option names).
pub fn create_image(fmt: &str, path: &Path, size: u64, o: &BTreeMap<String, String>) -> Result<()> {
    if let Some(url) = path.to_str().filter(|p| crate::nbd::is_nbd_url(p)) {
        return crate::nbd::client::create_on_export(url, fmt, size);
    }
    let known: &[&str] = match fmt {
        "raw" => &["size", "preallocation"],
        "qcow2" => &[
            "size",
            "compat",
            "backing_file",
            "backing_fmt",
            "cluster_size",
            "preallocation",
            "lazy_refcounts",
            "refcount_bits",
            "compression_type",
            "extended_l2",
            "encryption",
        ],
        "vmdk" => &[
            "size",
            "backing_file",
            "backing_fmt",
            "subformat",
            "adapter_type",
            "hwversion",
            "toolsversion",
            "zeroed_grain",
            "compat6",
        ],
        "vhdx" => &[
            "size",
            "subformat",
            "block_size",
            "log_size",
            "block_state_zero",
        ],
        "qed" => &[
            "size",
            "backing_file",
            "backing_fmt",
            "cluster_size",
            "table_size",
        ],
        other => return Err(BlockError::Other(format!("Unknown file format '{other}'"))),
    };
    for k in o.keys() {
        if !known.contains(&k.as_str()) {
            return Err(BlockError::Other(format!("Invalid parameter '{k}'")));
        }
    }
    let prealloc = o
        .get("preallocation")
        .cloned()
        .unwrap_or_else(|| "off".into());
    match fmt {
        "raw" => crate::raw::Raw::create(path, size, &prealloc),
        "qcow2" => {
            let mut c = crate::qcow2::CreateOpts {
                size,
                preallocation: prealloc,
                ..Default::default()
            };
            if let Some(v) = o.get("compat") {
                c.version = match v.as_str() {
                    "0.10" | "v2" => 2,
                    "1.1" | "v3" => 3,
                    _ => {
                        return Err(BlockError::Other(format!(
                            "Invalid compatibility level: '{v}'"
                        )))
                    }
                };
            }
            if let Some(v) = o.get("cluster_size") {
                c.cluster_size = parse_size(v)?;
            }
            if let Some(v) = o.get("lazy_refcounts") {
                c.lazy_refcounts = parse_bool("lazy_refcounts", v)?;
            }
            if let Some(v) = o.get("refcount_bits") {
                c.refcount_bits = v
                    .parse()
                    .map_err(|_| BlockError::Other("Invalid refcount_bits".into()))?;
            }
            if let Some(v) = o.get("compression_type") {
                if v != "zlib" {
                    return Err(BlockError::Unsupported(format!("compression_type={v}")));
                }
            }
            if let Some(v) = o.get("extended_l2") {
                if parse_bool("extended_l2", v)? {
                    return Err(BlockError::Unsupported("extended_l2=on".into()));
                }
            }
            if let Some(v) = o.get("encryption") {
                if parse_bool("encryption", v)? {
                    return Err(BlockError::Unsupported("encryption".into()));
                }
            }
            c.backing_file = o.get("backing_file").cloned();
            c.backing_format = o.get("backing_fmt").cloned();
            crate::qcow2::create(path, &c)
        }
        "vmdk" => {
            let mut hw = o.get("hwversion").cloned().unwrap_or_else(|| "4".into());
            if o.get("compat6")
                .map(|v| parse_bool("compat6", v))
                .transpose()?
                .unwrap_or(false)
            {
                hw = "6".into();
            }
            let c = crate::vmdk::CreateOpts {
                size,
                subformat: o
                    .get("subformat")
                    .cloned()
                    .unwrap_or_else(|| "monolithicSparse".into()),
                adapter_type: o
                    .get("adapter_type")
                    .cloned()
                    .unwrap_or_else(|| "ide".into()),
                hwversion: hw,
                zeroed_grain: o
                    .get("zeroed_grain")
                    .map(|v| parse_bool("zeroed_grain", v))
                    .transpose()?
                    .unwrap_or(false),
                backing: o.get("backing_file").cloned(),
            };
            crate::vmdk::create(path, &c)
        }
        "vhdx" => {
            let c = crate::vhdx::CreateOpts {
                size,
                block_size: o
                    .get("block_size")
                    .map(|b| parse_size(b))
                    .transpose()?
                    .unwrap_or(0),
                log_size: o
                    .get("log_size")
                    .map(|b| parse_size(b))
                    .transpose()?
                    .unwrap_or(1 << 20),
                fixed: match o.get("subformat").map(|s| s.as_str()) {
                    None | Some("dynamic") => false,
                    Some("fixed") => true,
                    Some(other) => {
                        return Err(BlockError::Other(format!("Invalid subformat '{other}'")))
                    }
                },
                block_state_zero: o
                    .get("block_state_zero")
                    .map(|v| parse_bool("block_state_zero", v))
                    .transpose()?
                    .unwrap_or(true),
            };
            crate::vhdx::create(path, &c)
        }
        "qed" => {
            let cs = o
                .get("cluster_size")
                .map(|c| parse_size(c))
                .transpose()?
                .unwrap_or(65536);
            let ts: u32 = o
                .get("table_size")
                .map(|t| t.parse().unwrap_or(0))
                .unwrap_or(4);
            let b = o
                .get("backing_file")
                .map(|b| (b.as_str(), o.get("backing_fmt").map(|s| s.as_str())));
            crate::qed::create(path, size, cs, ts, b)
        }
        _ => unreachable!(),
    }
}
