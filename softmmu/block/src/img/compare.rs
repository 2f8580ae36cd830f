//! `compare`: do two images have the same guest-visible content?
//! Exit 0 identical, 1 different, 2 error (qemu-img's codes).

use super::Args;
use crate::driver::BlockDriver;
use crate::error::Result;

pub(crate) fn run(args: &[String]) -> Result<i32> {
    let a = match Args::parse(
        args,
        "hf:F:T:pqsU",
        &["object=", "image-opts", "force-share"],
    ) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("mimic-img: {e}");
            return Ok(2);
        }
    };
    if a.pos.len() != 2 {
        eprintln!("mimic-img: Expecting two image file names");
        return Ok(2);
    }
    let quiet = a.has("q");
    let _share = crate::lock::ForceShare::scope(a.force_share());
    let f1 = a.get("f");
    let f2 = a.get("F").or_else(|| f1.clone());
    let mut d1 = match super::open(&a.pos[0], f1.as_deref(), true) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("mimic-img: {e}");
            return Ok(2);
        }
    };
    let mut d2 = match super::open(&a.pos[1], f2.as_deref(), true) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("mimic-img: {e}");
            return Ok(2);
        }
    };
    match compare(d1.as_mut(), d2.as_mut(), a.has("s")) {
        Ok(None) => {
            if !quiet {
                println!("Images are identical.");
            }
            Ok(0)
        }
        Ok(Some(msg)) => {
            if !quiet {
                println!("{msg}");
            }
            Ok(1)
        }
        Err(e) => {
            eprintln!("mimic-img: Error while comparing: {e}");
            Ok(2)
        }
    }
}

/// Compares guest contents; `Some(message)` describes the first difference.
pub fn compare(
    a: &mut dyn BlockDriver,
    b: &mut dyn BlockDriver,
    strict: bool,
) -> Result<Option<String>> {
    let (la, lb) = (a.length(), b.length());
    if strict && la != lb {
        return Ok(Some("Strict mode: Image size mismatch!".into()));
    }
    let common = la.min(lb);
    let chunk = 1u64 << 20;
    let mut off = 0;
    let mut ba = vec![0u8; chunk as usize];
    let mut bb = vec![0u8; chunk as usize];
    while off < common {
        let n = chunk.min(common - off) as usize;
        a.read(off, &mut ba[..n])?;
        b.read(off, &mut bb[..n])?;
        if ba[..n] != bb[..n] {
            let i = ba[..n]
                .iter()
                .zip(&bb[..n])
                .position(|(x, y)| x != y)
                .unwrap_or(0);
            let at = (off + i as u64) / 512 * 512;
            return Ok(Some(format!("Content mismatch at offset {at}!")));
        }
        off += n as u64;
    }
    if la != lb {
        let longer: &mut dyn BlockDriver = if la > lb { a } else { b };
        let end = la.max(lb);
        let mut off = common;
        while off < end {
            let n = chunk.min(end - off) as usize;
            longer.read(off, &mut ba[..n])?;
            if let Some(i) = ba[..n].iter().position(|&x| x != 0) {
                let at = (off + i as u64) / 512 * 512;
                eprintln!("Warning: Image size mismatch!");
                return Ok(Some(format!("Content mismatch at offset {at}!")));
            }
            off += n as u64;
        }
        eprintln!("Warning: Image size mismatch!");
    }
    Ok(None)
}
