//! The VM state stream: an 8-byte magic, a format version, then sections
//! (name length u8, name, data length u64 LE, data) up to an empty name.
//! Every length is checked while reading, so a corrupt or foreign state is
//! an error naming what is wrong.

use super::StateError;
use std::io::{Read, Write};

pub const MAGIC: &[u8; 8] = b"MIMICVM\n";
pub const VERSION: u32 = 1;
/// Largest section other than RAM (which is streamed).
pub const MAX_SECTION: u64 = 64 << 20;

pub fn write_header(w: &mut dyn Write) -> Result<(), StateError> {
    w.write_all(MAGIC)?;
    w.write_all(&VERSION.to_le_bytes())?;
    Ok(())
}

pub fn read_header(r: &mut dyn Read) -> Result<(), StateError> {
    let mut h = [0u8; 12];
    r.read_exact(&mut h)
        .map_err(|e| StateError(format!("VM state header: {e}")))?;
    if &h[..8] != MAGIC {
        return Err(StateError(
            "the snapshot's VM state is not in Mimic's format (bad magic)".into(),
        ));
    }
    let v = u32::from_le_bytes([h[8], h[9], h[10], h[11]]);
    if v != VERSION {
        return Err(StateError(format!(
            "VM state format version {v}; this Mimic reads version {VERSION}"
        )));
    }
    Ok(())
}

/// Starts a section of `len` bytes (its data follows).
pub fn section_start(w: &mut dyn Write, name: &str, len: u64) -> Result<(), StateError> {
    if name.is_empty() || name.len() > 255 {
        return Err(StateError(format!("bad section name '{name}'")));
    }
    w.write_all(&[name.len() as u8])?;
    w.write_all(name.as_bytes())?;
    w.write_all(&len.to_le_bytes())?;
    Ok(())
}

pub fn section(w: &mut dyn Write, name: &str, data: &[u8]) -> Result<(), StateError> {
    section_start(w, name, data.len() as u64)?;
    w.write_all(data)?;
    Ok(())
}

pub fn write_end(w: &mut dyn Write) -> Result<(), StateError> {
    w.write_all(&[0])?;
    Ok(())
}

/// The next section's name and length; None at the end marker.
pub fn next_section(r: &mut dyn Read) -> Result<Option<(String, u64)>, StateError> {
    let trunc = |e: std::io::Error| StateError(format!("VM state truncated: {e}"));
    let mut n = [0u8; 1];
    r.read_exact(&mut n).map_err(trunc)?;
    if n[0] == 0 {
        return Ok(None);
    }
    let mut name = vec![0u8; n[0] as usize];
    r.read_exact(&mut name).map_err(trunc)?;
    let name = String::from_utf8(name)
        .map_err(|_| StateError("VM state: section name is not UTF-8".into()))?;
    let mut l = [0u8; 8];
    r.read_exact(&mut l).map_err(trunc)?;
    Ok(Some((name, u64::from_le_bytes(l))))
}

/// Reads a (non-RAM) section's data.
pub fn read_data(r: &mut dyn Read, name: &str, len: u64) -> Result<Vec<u8>, StateError> {
    if len > MAX_SECTION {
        return Err(StateError(format!(
            "VM state: section '{name}' of {len} bytes is too large"
        )));
    }
    let mut d = vec![0u8; len as usize];
    r.read_exact(&mut d)
        .map_err(|e| StateError(format!("VM state: section '{name}' truncated: {e}")))?;
    Ok(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stream_round_trip_and_corruption() {
        let mut out = Vec::new();
        write_header(&mut out).unwrap();
        section(&mut out, "a", b"xyz").unwrap();
        write_end(&mut out).unwrap();
        let mut r = &out[..];
        read_header(&mut r).unwrap();
        let (n, l) = next_section(&mut r).unwrap().unwrap();
        assert_eq!((n.as_str(), l), ("a", 3));
        assert_eq!(read_data(&mut r, &n, l).unwrap(), b"xyz");
        assert!(next_section(&mut r).unwrap().is_none());

        let mut bad = out.clone();
        bad[0] ^= 1;
        assert!(read_header(&mut &bad[..]).unwrap_err().0.contains("magic"));
        let mut bad = out.clone();
        bad[8] = 9;
        assert!(read_header(&mut &bad[..])
            .unwrap_err()
            .0
            .contains("version 9"));
        // Cut inside the section: an error, not a panic.
        let cut = &out[..out.len() - 3];
        let mut r = cut;
        read_header(&mut r).unwrap();
        let (n, l) = next_section(&mut r).unwrap().unwrap();
        assert!(read_data(&mut r, &n, l).is_err());
        // An absurd length is refused before allocating.
        let mut big = Vec::new();
        section_start(&mut big, "b", u64::MAX).unwrap();
        let mut r = &big[..];
        let (n, l) = next_section(&mut r).unwrap().unwrap();
        assert!(read_data(&mut r, &n, l)
            .unwrap_err()
            .0
            .contains("too large"));
    }
}
