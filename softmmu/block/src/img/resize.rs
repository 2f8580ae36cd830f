//! `resize`: grow or (with --shrink) shrink an image; `+N`/`-N` are relative.

use super::{parse_size, Args};
use crate::error::{BlockError, Result};

pub(crate) fn run(args: &[String]) -> Result<i32> {
    // A leading "-" size would look like an option: pull it out first.
    let mut args = args.to_vec();
    let mut size_arg = None;
    if let Some(last) = args.last() {
        if last.starts_with('-')
            && last.len() > 1
            && last[1..].starts_with(|c: char| c.is_ascii_digit())
        {
            size_arg = args.pop();
        }
    }
    let a = Args::parse(
        &args,
        "f:hqU",
        &["object=", "image-opts", "shrink", "preallocation="],
    )?;
    let (path, size) = match (a.pos.len(), size_arg) {
        (1, Some(s)) => (a.pos[0].clone(), s),
        (2, None) => (a.pos[0].clone(), a.pos[1].clone()),
        _ => {
            return Err(BlockError::Other(
                "Expecting image file name and size".into(),
            ))
        }
    };
    let mut d = super::open(&path, a.get("f").as_deref(), false)?;
    let cur = d.length();
    let new = if let Some(r) = size.strip_prefix('+') {
        cur.checked_add(parse_size(r)?)
            .ok_or_else(|| BlockError::Other("Image size too large".into()))?
    } else if let Some(r) = size.strip_prefix('-') {
        cur.checked_sub(parse_size(r)?)
            .ok_or_else(|| BlockError::Other("New image size must be positive".into()))?
    } else {
        parse_size(&size)?
    };
    if new < cur && !a.has("shrink") {
        return Err(BlockError::Other(
            "Use the --shrink option to perform a shrink operation.".into(),
        ));
    }
    d.resize(new, a.has("shrink"))?;
    d.close()?;
    if !a.has("q") {
        println!("Image resized.");
    }
    Ok(0)
}
