//! `rebase`: change an image's backing file. Safe mode copies into the image
//! every cluster whose content would change; `-u` only rewrites the name.

use super::{progress, Args};
use crate::error::{BlockError, Result};
use crate::qcow2::resolve_backing;
use std::path::Path;

pub(crate) fn run(args: &[String]) -> Result<i32> {
    let a = Args::parse(
        args,
        "hf:F:b:upt:T:qU",
        &["object=", "image-opts", "force-share"],
    )?;
    let Some(path) = a.pos.first() else {
        return Err(BlockError::Other("Expecting one image file name".into()));
    };
    let Some(new_backing) = a.get("b") else {
        return Err(BlockError::Other(
            "Must specify backing file (-b) or use unsafe mode (-u)".into(),
        ));
    };
    let new_backing = if new_backing.is_empty() {
        None
    } else {
        Some(new_backing)
    };
    let mut new_fmt = a.get("F");
    if let (Some(nb), None) = (&new_backing, &new_fmt) {
        let p = resolve_backing(Path::new(path), nb);
        if let Ok(f) = crate::probe_format(&p) {
            new_fmt = Some(f.to_string());
        }
    }
    if a.has("u") {
        let mut d = crate::open_image_no_backing(Path::new(path), a.get("f").as_deref(), false)
            .map_err(|e| BlockError::Other(format!("Could not open '{path}': {e}")))?;
        d.set_backing_file(new_backing.as_deref(), new_fmt.as_deref())?;
        d.close()?;
        return Ok(0);
    }
    let mut d = super::open(path, a.get("f").as_deref(), false)?;
    let mut nb = match &new_backing {
        Some(b) => {
            let p = resolve_backing(Path::new(path), b);
            let _share = crate::lock::ForceShare::scope(a.force_share());
            Some(
                crate::open_image(&p, new_fmt.as_deref(), true).map_err(|e| {
                    BlockError::Other(format!(
                        "Could not open new backing file '{}': {e}",
                        p.display()
                    ))
                })?,
            )
        }
        None => None,
    };
    let len = d.length();
    let cs = d.cluster_size().unwrap_or(65536);
    let show = a.has("p") && !a.has("q");
    let mut off = 0u64;
    let mut old = vec![0u8; cs as usize];
    let mut new = vec![0u8; cs as usize];
    while off < len {
        let e = d.block_status(off, (len - off).min(cs - off % cs))?;
        let n = e.len;
        if !e.allocated {
            let old_len = d.backing().map(|b| b.length()).unwrap_or(0);
            read_or_zero(d.backing(), old_len, off, &mut old[..n as usize])?;
            let new_len = nb.as_ref().map(|b| b.length()).unwrap_or(0);
            match nb.as_mut() {
                Some(b) => read_or_zero(Some(b.as_mut()), new_len, off, &mut new[..n as usize])?,
                None => read_or_zero(None, new_len, off, &mut new[..n as usize])?,
            }
            if old[..n as usize] != new[..n as usize] {
                let data = old[..n as usize].to_vec();
                d.write(off, &data)?;
            }
        }
        off += n;
        if show {
            progress(off as f64 * 100.0 / len as f64);
        }
    }
    d.set_backing_file(new_backing.as_deref(), new_fmt.as_deref())?;
    d.close()?;
    if show {
        progress(100.0);
        println!();
    }
    Ok(0)
}

fn read_or_zero(
    d: Option<&mut dyn crate::BlockDriver>,
    dlen: u64,
    off: u64,
    buf: &mut [u8],
) -> Result<()> {
    buf.fill(0);
    if let Some(d) = d {
        if off < dlen {
            let n = ((dlen - off) as usize).min(buf.len());
            d.read(off, &mut buf[..n])?;
        }
    }
    Ok(())
}
