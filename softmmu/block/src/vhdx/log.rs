//! The VHDX metadata log: writing entries (BAT updates go through it) and
//! replaying a log left behind by a crash.

use super::crc32c::{crc32c, crc32c_without};
use crate::error::{invalid, Result};
use crate::file::HostFile;

pub const ENTRY_SIG: u32 = 0x6567_6f6c; // "loge"
pub const DESC_SIG: u32 = 0x6373_6564; // "desc"
pub const ZERO_SIG: u32 = 0x6f72_657a; // "zero"
pub const DATA_SIG: u32 = 0x6174_6164; // "data"
const SECTOR: usize = 4096;

fn le32(b: &[u8], o: usize) -> u32 {
    u32::from_le_bytes(b[o..o + 4].try_into().unwrap())
}
fn le64(b: &[u8], o: usize) -> u64 {
    u64::from_le_bytes(b[o..o + 8].try_into().unwrap())
}

/// One 4 KiB write (data) or zeroing (zero) to replay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Op {
    Data { offset: u64, sector: Vec<u8> },
    Zero { offset: u64, len: u64 },
}

/// A parsed, validated log entry.
#[derive(Debug, Clone)]
pub struct Entry {
    pub at: u64,
    pub len: u64,
    pub tail: u64,
    pub seq: u64,
    pub flushed_end: u64,
    pub last_end: u64,
    pub ops: Vec<Op>,
}

/// Builds one entry holding `writes` (4 KiB-aligned, 4 KiB long each).
pub fn build_entry(
    seq: u64,
    tail: u32,
    guid: &[u8; 16],
    file_len: u64,
    writes: &[(u64, Vec<u8>)],
) -> Vec<u8> {
    let desc_bytes = 64 + 32 * writes.len();
    let head_len = desc_bytes.div_ceil(SECTOR) * SECTOR;
    let total = head_len + SECTOR * writes.len();
    let mut e = vec![0u8; total];
    e[0..4].copy_from_slice(&ENTRY_SIG.to_le_bytes());
    e[8..12].copy_from_slice(&(total as u32).to_le_bytes());
    e[12..16].copy_from_slice(&tail.to_le_bytes());
    e[16..24].copy_from_slice(&seq.to_le_bytes());
    e[24..28].copy_from_slice(&(writes.len() as u32).to_le_bytes());
    e[32..48].copy_from_slice(guid);
    e[48..56].copy_from_slice(&file_len.to_le_bytes());
    e[56..64].copy_from_slice(&file_len.to_le_bytes());
    for (i, (off, data)) in writes.iter().enumerate() {
        let d = 64 + 32 * i;
        e[d..d + 4].copy_from_slice(&DESC_SIG.to_le_bytes());
        e[d + 4..d + 8].copy_from_slice(&data[4092..4096]);
        e[d + 8..d + 16].copy_from_slice(&data[0..8]);
        e[d + 16..d + 24].copy_from_slice(&off.to_le_bytes());
        e[d + 24..d + 32].copy_from_slice(&seq.to_le_bytes());
        let s = head_len + SECTOR * i;
        e[s..s + 4].copy_from_slice(&DATA_SIG.to_le_bytes());
        e[s + 4..s + 8].copy_from_slice(&((seq >> 32) as u32).to_le_bytes());
        e[s + 8..s + 4092].copy_from_slice(&data[8..4092]);
        e[s + 4092..s + 4096].copy_from_slice(&(seq as u32).to_le_bytes());
    }
    let c = crc32c(&e);
    e[4..8].copy_from_slice(&c.to_le_bytes());
    e
}

/// Parses the entry at `at` inside the log (`log` is the whole log area).
fn parse_entry(log: &[u8], at: usize, guid: &[u8; 16]) -> Option<Entry> {
    if at + 64 > log.len() || le32(log, at) != ENTRY_SIG {
        return None;
    }
    let len = le32(log, at + 8) as usize;
    if len < SECTOR || !len.is_multiple_of(SECTOR) || at + len > log.len() {
        return None;
    }
    let e = &log[at..at + len];
    if crc32c_without(e, 4) != le32(e, 4) || e[32..48] != guid[..] {
        return None;
    }
    let seq = le64(e, 16);
    let count = le32(e, 24) as usize;
    let head_len = (64 + 32 * count).div_ceil(SECTOR) * SECTOR;
    if head_len > len {
        return None;
    }
    let mut ops = Vec::new();
    let mut data_i = 0usize;
    for i in 0..count {
        let d = 64 + 32 * i;
        let sig = le32(e, d);
        let off = le64(e, d + 16);
        if le64(e, d + 24) != seq {
            return None;
        }
        match sig {
            ZERO_SIG => ops.push(Op::Zero {
                offset: off,
                len: le64(e, d + 8),
            }),
            DESC_SIG => {
                let s = head_len + SECTOR * data_i;
                data_i += 1;
                if s + SECTOR > len || le32(e, s) != DATA_SIG {
                    return None;
                }
                if le32(e, s + 4) != (seq >> 32) as u32 || le32(e, s + 4092) != seq as u32 {
                    return None;
                }
                let mut sector = vec![0u8; SECTOR];
                sector[0..8].copy_from_slice(&e[d + 8..d + 16]);
                sector[8..4092].copy_from_slice(&e[s + 8..s + 4092]);
                sector[4092..4096].copy_from_slice(&e[d + 4..d + 8]);
                ops.push(Op::Data {
                    offset: off,
                    sector,
                });
            }
            _ => return None,
        }
    }
    if head_len + SECTOR * data_i != len {
        return None;
    }
    Some(Entry {
        at: at as u64,
        len: len as u64,
        tail: le32(e, 12) as u64,
        seq,
        flushed_end: le64(e, 48),
        last_end: le64(e, 56),
        ops,
    })
}

/// Finds the active sequence of the log (oldest first). Empty if none.
pub fn active_sequence(log: &[u8], guid: &[u8; 16]) -> Result<Vec<Entry>> {
    let mut entries: Vec<Entry> = Vec::new();
    let mut at = 0;
    while at + SECTOR <= log.len() {
        if let Some(e) = parse_entry(log, at, guid) {
            entries.push(e);
        }
        at += SECTOR;
    }
    entries.sort_by_key(|e| std::cmp::Reverse(e.seq));
    for head in &entries {
        // Walk from the head's tail to the head.
        let mut seq_list = Vec::new();
        let mut pos = head.tail as usize;
        let mut ok = false;
        for _ in 0..=log.len() / SECTOR {
            let Some(e) = parse_entry(log, pos, guid) else {
                break;
            };
            if let Some(prev) = seq_list.last() {
                let p: &Entry = prev;
                if e.seq != p.seq + 1 {
                    break;
                }
            }
            let done = e.seq == head.seq && e.at == head.at;
            pos = (e.at + e.len) as usize % log.len();
            seq_list.push(e);
            if done {
                ok = true;
                break;
            }
        }
        if ok {
            return Ok(seq_list);
        }
    }
    if entries.is_empty() {
        return Ok(Vec::new());
    }
    invalid("VHDX log has entries but no valid sequence")
}

/// Replays the log at `[log_off, log_off+log_len)`. Returns the number of
/// entries replayed.
pub fn replay(f: &HostFile, log_off: u64, log_len: u64, guid: &[u8; 16]) -> Result<usize> {
    if log_len > (1 << 32) {
        return invalid("VHDX log too large");
    }
    let mut log = vec![0u8; log_len as usize];
    f.read_at(log_off, &mut log)?;
    let seq = active_sequence(&log, guid)?;
    for e in &seq {
        for op in &e.ops {
            match op {
                Op::Data { offset, sector } => f.write_at(*offset, sector)?,
                Op::Zero { offset, len } => f.zero_range(*offset, *len)?,
            }
        }
    }
    if let Some(last) = seq.last() {
        if f.len()? < last.last_end {
            f.set_len(last.last_end)?;
        }
    }
    f.sync()?;
    Ok(seq.len())
}
