//! RAM in a VM state: the size, a bitmap of the 64 KiB chunks that hold
//! anything but zeroes, and those chunks (an idle guest's RAM is mostly
//! zero, so the state stays near the size of what the guest uses).

use super::StateError;
use crate::memory::Ram;
use std::io::{Read, Write};

pub const CHUNK: usize = 64 << 10;

fn bytes(ram: &Ram) -> &[u8] {
    match ram.host_range(ram.base, ram.size) {
        // SAFETY: the mapping covers `size` bytes for the Ram's lifetime;
        // the vCPUs and devices are stopped while a state is saved.
        Some(p) => unsafe { std::slice::from_raw_parts(p, ram.size as usize) },
        None => &[],
    }
}

/// Bitmap of non-zero chunks and the section length it gives.
pub fn plan(ram: &Ram) -> (Vec<u8>, u64) {
    let b = bytes(ram);
    let n = b.len().div_ceil(CHUNK);
    let mut map = vec![0u8; n.div_ceil(8)];
    let mut used = 0u64;
    for (i, c) in b.chunks(CHUNK).enumerate() {
        if c.iter().any(|&x| x != 0) {
            map[i / 8] |= 1 << (i % 8);
            used += c.len() as u64;
        }
    }
    (map.clone(), 12 + map.len() as u64 + used)
}

pub fn save(ram: &Ram, map: &[u8], w: &mut dyn Write) -> Result<(), StateError> {
    w.write_all(&ram.size.to_le_bytes())?;
    w.write_all(&(CHUNK as u32).to_le_bytes())?;
    w.write_all(map)?;
    for (i, c) in bytes(ram).chunks(CHUNK).enumerate() {
        if map[i / 8] & (1 << (i % 8)) != 0 {
            w.write_all(c)?;
        }
    }
    Ok(())
}

/// Checks the section's header against this RAM and reads it in
/// (`len` is the section length from the stream).
pub fn load(ram: &Ram, len: u64, r: &mut dyn Read) -> Result<(), StateError> {
    let trunc = |e: std::io::Error| StateError(format!("VM state: RAM truncated: {e}"));
    let mut h = [0u8; 12];
    r.read_exact(&mut h).map_err(trunc)?;
    let size = u64::from_le_bytes(h[..8].try_into().unwrap_or_default());
    let chunk = u32::from_le_bytes(h[8..].try_into().unwrap_or_default()) as usize;
    if size != ram.size {
        return Err(StateError(format!(
            "VM state has {} MiB of RAM, this machine {} MiB (-m)",
            size >> 20,
            ram.size >> 20
        )));
    }
    if chunk != CHUNK {
        return Err(StateError(format!("VM state: RAM chunk size {chunk}")));
    }
    let n = ram.size.div_ceil(CHUNK as u64) as usize;
    let chunk_len = |i: usize| (ram.size - (i * CHUNK) as u64).min(CHUNK as u64);
    let mut map = vec![0u8; n.div_ceil(8)];
    r.read_exact(&mut map).map_err(trunc)?;
    let used: u64 = (0..n)
        .filter(|i| map[i / 8] & (1 << (i % 8)) != 0)
        .map(chunk_len)
        .sum();
    if 12 + map.len() as u64 + used != len {
        return Err(StateError(format!(
            "VM state: RAM section of {len} bytes does not match its bitmap"
        )));
    }
    let mut buf = vec![0u8; CHUNK];
    for i in 0..n {
        let c = &mut buf[..chunk_len(i) as usize];
        if map[i / 8] & (1 << (i % 8)) != 0 {
            r.read_exact(c).map_err(trunc)?;
        } else {
            c.fill(0);
        }
        ram.write(ram.base + (i * CHUNK) as u64, c);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sparse_round_trip() {
        let ram = Ram::new(0x4000_0000, 1 << 20).unwrap();
        ram.write(0x4000_0000 + 3 * CHUNK as u64 + 5, b"hello");
        let (map, len) = plan(&ram);
        assert_eq!(len, 12 + 2 + CHUNK as u64);
        let mut out = Vec::new();
        save(&ram, &map, &mut out).unwrap();
        assert_eq!(out.len() as u64, len);
        let other = Ram::new(0x4000_0000, 1 << 20).unwrap();
        other.write(0x4000_0000, b"junk");
        load(&other, len, &mut &out[..]).unwrap();
        assert_eq!(other.read(0x4000_0000, 4).unwrap(), vec![0; 4]);
        assert_eq!(
            other.read(0x4000_0000 + 3 * CHUNK as u64 + 5, 5).unwrap(),
            b"hello"
        );
        let small = Ram::new(0x4000_0000, 2 << 20).unwrap();
        assert!(load(&small, len, &mut &out[..])
            .unwrap_err()
            .0
            .contains("MiB"));
        assert!(load(&other, len - 1, &mut &out[..]).is_err());
        assert!(load(&other, len, &mut &out[..100]).is_err());
    }
}
