//! `commit`: write the data of an image, and of every image between it and
//! the base, into the base (by default its immediate backing file; `-b BASE`
//! picks any image further down the chain). Without `-b` and without `-d` the
//! image is emptied afterwards; `-b` implies `-d` (emptying it would expose
//! the intermediate images' stale data). `-r` limits the copy rate in bytes
//! per second.
//!
//! Every image of the chain is opened on its own (without its backing
//! chain): the top read/write (it may be emptied), the intermediate images
//! read-only and the base read/write, so the image locks of one open never
//! conflict with another.

use super::{parse_size, progress, Args};
use crate::driver::{BlockDriver, Extent};
use crate::error::{BlockError, Result};
use crate::qcow2::resolve_backing;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Largest chunk copied at once.
const CHUNK: u64 = 4 << 20;

pub(crate) fn run(args: &[String]) -> Result<i32> {
    let a = Args::parse(args, "f:ht:b:dpqr:", &["object=", "image-opts"])?;
    let Some(path) = a.pos.first() else {
        return Err(BlockError::Other("Expecting one image file name".into()));
    };
    let rate = match a.get("r") {
        Some(r) => match parse_size(&r) {
            Ok(v) => Some(v).filter(|&v| v > 0),
            Err(_) => {
                return Err(BlockError::Other(format!(
                    "Invalid rate limit specified: '{r}'."
                )))
            }
        },
        None => None,
    };
    let open_one = |p: &Path, fmt: Option<&str>, ro: bool| {
        crate::open_image_no_backing(p, fmt, ro)
            .map_err(|e| BlockError::Other(format!("Could not open '{}': {e}", p.display())))
    };
    let top = open_one(Path::new(path), a.get("f").as_deref(), false)?;
    let Some((first, first_fmt)) = top.backing_file() else {
        return Err(BlockError::Other(
            "Image does not have a backing file".into(),
        ));
    };
    // Walk the chain down to the base: (path, format) of every backing image.
    let mut chain: Vec<(PathBuf, Option<String>)> = Vec::new();
    let mut cur = (resolve_backing(Path::new(path), &first), first_fmt);
    let want = a.get("b");
    let want_canon = want.as_ref().and_then(|b| std::fs::canonicalize(b).ok());
    let not_found = || {
        BlockError::Other(format!(
            "Did not find '{}' in the backing chain of '{path}'",
            want.clone().unwrap_or_default()
        ))
    };
    if want.is_some() && want_canon.is_none() {
        return Err(not_found());
    }
    loop {
        let found = match &want_canon {
            None => true,
            Some(w) => std::fs::canonicalize(&cur.0).ok().as_ref() == Some(w),
        };
        chain.push(cur.clone());
        if found {
            break;
        }
        if chain.len() > crate::MAX_CHAIN_DEPTH {
            return Err(BlockError::Other("backing chain too long (loop?)".into()));
        }
        let next = open_one(&cur.0, cur.1.as_deref(), true)?.backing_file();
        match next {
            Some((n, f)) => cur = (resolve_backing(&cur.0, &n), f),
            None => return Err(not_found()),
        }
    }
    let (bpath, bfmt) = chain.pop().expect("chain holds the base");
    // The layers above the base, top first.
    let mut layers: Vec<Box<dyn BlockDriver>> = vec![top];
    for (p, f) in &chain {
        layers.push(open_one(p, f.as_deref(), true)?);
    }
    // The base keeps its own backing chain (below it, read-only).
    let mut base = crate::open_image(&bpath, bfmt.as_deref(), false).map_err(|e| {
        BlockError::Other(format!(
            "Could not open backing file '{}': {e}",
            bpath.display()
        ))
    })?;
    let len = layers[0].length();
    if base.length() < len {
        base.resize(len, false)?;
    }
    let show = a.has("p") && !a.has("q");
    if show {
        progress(0.0);
    }
    let start = Instant::now();
    let mut copied = 0u64;
    let mut off = 0u64;
    while off < len {
        let (layer, e) = status_above_base(&mut layers, off, (len - off).min(1 << 30))?;
        let n = e.len;
        if let Some(l) = layer {
            if e.zero && !e.data {
                base.write_zeroes(off, n, true)?;
            } else {
                let mut p = 0;
                while p < n {
                    let k = (n - p).min(CHUNK);
                    let mut buf = vec![0u8; k as usize];
                    layers[l].read(off + p, &mut buf)?;
                    base.write(off + p, &buf)?;
                    p += k;
                    copied += k;
                    if let Some(r) = rate {
                        throttle(start, copied, r);
                    }
                }
            }
        }
        off += n;
        if show && off < len {
            progress(off as f64 * 100.0 / len as f64);
        }
    }
    base.close()?;
    if !a.has("d") && want.is_none() {
        layers[0].make_empty()?;
    }
    for l in layers.iter_mut() {
        l.close()?;
    }
    if show {
        progress(100.0);
        println!();
    }
    if !a.has("q") {
        println!("Image committed.");
    }
    Ok(0)
}

/// Which layer above the base decides the content at `off` (None: none of
/// them, the base shows through), and the extent it decides (at most `max`
/// bytes). Past a layer's end the content is zero (the layer above reads its
/// shorter backing file as zeroes there).
fn status_above_base(
    layers: &mut [Box<dyn BlockDriver>],
    off: u64,
    max: u64,
) -> Result<(Option<usize>, Extent)> {
    let mut n = max;
    for (i, l) in layers.iter_mut().enumerate() {
        let e = if off >= l.length() {
            Extent {
                len: n,
                allocated: true,
                data: false,
                zero: true,
                compressed: false,
                offset: None,
            }
        } else {
            l.block_status(off, n.min(l.length() - off))?
        };
        let len = e.len.clamp(1, n);
        if e.allocated {
            return Ok((Some(i), Extent { len, ..e }));
        }
        n = len;
    }
    Ok((None, Extent::unallocated(n)))
}

/// Sleeps until `copied` bytes are within `rate` bytes per second of `start`.
fn throttle(start: Instant, copied: u64, rate: u64) {
    let due = Duration::from_secs_f64(copied as f64 / rate as f64);
    let el = start.elapsed();
    if due > el {
        std::thread::sleep(due - el);
    }
}
