//! `commit`: write an image's own data into its backing file, then (unless
//! -d) empty it.

use super::{progress, Args};
use crate::error::{BlockError, Result};
use crate::qcow2::resolve_backing;
use std::path::Path;

pub(crate) fn run(args: &[String]) -> Result<i32> {
    let a = Args::parse(args, "f:ht:b:dpqr:U", &["object=", "image-opts"])?;
    let Some(path) = a.pos.first() else {
        return Err(BlockError::Other("Expecting one image file name".into()));
    };
    let mut top = super::open(path, a.get("f").as_deref(), false)?;
    let Some((bname, bfmt)) = top.backing_file() else {
        return Err(BlockError::Other(format!(
            "Image '{path}' does not have a backing file"
        )));
    };
    let bpath = resolve_backing(Path::new(path), &bname);
    if let Some(b) = a.get("b") {
        let want = std::fs::canonicalize(b).ok();
        if want.is_none() || want != std::fs::canonicalize(&bpath).ok() {
            return Err(BlockError::Unsupported(
                "committing to a base other than the immediate backing file".into(),
            ));
        }
    }
    let mut base = crate::open_image(&bpath, bfmt.as_deref(), false).map_err(|e| {
        BlockError::Other(format!(
            "Could not open backing file '{}': {e}",
            bpath.display()
        ))
    })?;
    let len = top.length();
    if base.length() < len {
        base.resize(len, false)?;
    }
    let show = a.has("p") && !a.has("q");
    let mut off = 0u64;
    while off < len {
        let e = top.block_status(off, (len - off).min(1 << 30))?;
        let n = e.len;
        if e.allocated {
            if e.zero && !e.data {
                base.write_zeroes(off, n, false)?;
            } else {
                let mut p = 0;
                while p < n {
                    let k = (n - p).min(4 << 20);
                    let mut buf = vec![0u8; k as usize];
                    top.read(off + p, &mut buf)?;
                    base.write(off + p, &buf)?;
                    p += k;
                }
            }
        }
        off += n;
        if show {
            progress(off as f64 * 100.0 / len as f64);
        }
    }
    base.close()?;
    if !a.has("d") {
        top.make_empty()?;
    }
    top.close()?;
    if show {
        println!();
    }
    if !a.has("q") {
        println!("Image committed.");
    }
    Ok(0)
}
