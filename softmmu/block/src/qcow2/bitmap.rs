//! Persistent dirty bitmaps (the bitmaps header extension): Mimic does not
//! maintain them (it clears the autoclear bit when it writes, as the spec
//! requires), but it accounts for their clusters in `check` and lists them in
//! `info` while they are valid.

use super::Qcow2;
use crate::error::{invalid, Result};
use crate::json::Json;

pub const EXT_BITMAPS: u32 = 0x2385_2875;
const AUTOCLEAR_BITMAPS: u64 = 1;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bitmap {
    pub name: String,
    pub flags: u32,
    pub granularity_bits: u8,
    pub table_offset: u64,
    pub table_size: u32,
}

fn be32(b: &[u8], o: usize) -> u32 {
    u32::from_be_bytes(b[o..o + 4].try_into().unwrap())
}
fn be64(b: &[u8], o: usize) -> u64 {
    u64::from_be_bytes(b[o..o + 8].try_into().unwrap())
}

impl Qcow2 {
    /// The bitmap directory location, if the extension is present and valid.
    pub(crate) fn bitmap_dir(&self) -> Option<(u32, u64, u64)> {
        if self.h.autoclear & AUTOCLEAR_BITMAPS == 0 {
            return None;
        }
        let (_, d) = self.h.unknown_ext.iter().find(|(t, _)| *t == EXT_BITMAPS)?;
        if d.len() < 24 {
            return None;
        }
        Some((be32(d, 0), be64(d, 8), be64(d, 16)))
    }

    pub(crate) fn bitmaps(&self) -> Result<Vec<Bitmap>> {
        let Some((n, size, off)) = self.bitmap_dir() else {
            return Ok(Vec::new());
        };
        if n > 65535 || size > (64 << 20) || off.saturating_add(size) > self.f.len()? {
            return invalid("bitmap directory invalid");
        }
        let mut d = vec![0u8; size as usize];
        self.f.read_at(off, &mut d)?;
        let mut out = Vec::new();
        let mut p = 0usize;
        for _ in 0..n {
            if p + 24 > d.len() {
                return invalid("bitmap directory truncated");
            }
            let name_size = u16::from_be_bytes([d[p + 18], d[p + 19]]) as usize;
            let extra = be32(&d, p + 20) as usize;
            let end = p + 24 + extra + name_size;
            if end > d.len() {
                return invalid("bitmap directory entry truncated");
            }
            out.push(Bitmap {
                table_offset: be64(&d, p),
                table_size: be32(&d, p + 8),
                flags: be32(&d, p + 12),
                granularity_bits: d[p + 17],
                name: String::from_utf8_lossy(&d[p + 24 + extra..end]).into_owned(),
            });
            p = end.div_ceil(8) * 8;
        }
        Ok(out)
    }

    /// Host ranges the bitmaps use: directory, tables and data clusters.
    pub(crate) fn bitmap_ranges(&self) -> Result<Vec<(u64, u64)>> {
        let Some((_, size, off)) = self.bitmap_dir() else {
            return Ok(Vec::new());
        };
        let mut v = vec![(off, size)];
        let flen = self.f.len()?;
        for b in self.bitmaps()? {
            let bytes = b.table_size as u64 * 8;
            if b.table_offset.saturating_add(bytes) > flen {
                return invalid("bitmap table beyond the end of the file");
            }
            v.push((b.table_offset, bytes));
            let mut t = vec![0u8; bytes as usize];
            self.f.read_at(b.table_offset, &mut t)?;
            for e in t.chunks_exact(8) {
                let o = u64::from_be_bytes(e.try_into().unwrap()) & 0x00ff_ffff_ffff_fe00;
                if o != 0 {
                    v.push((o, self.cs));
                }
            }
        }
        Ok(v)
    }

    /// `info`'s "bitmaps" list.
    pub(crate) fn bitmaps_json(&self) -> Option<Json> {
        let list = self.bitmaps().ok()?;
        self.bitmap_dir()?;
        Some(Json::Arr(
            list.iter()
                .map(|b| {
                    let mut flags = Vec::new();
                    if b.flags & 1 != 0 {
                        flags.push(Json::from("in-use"));
                    }
                    if b.flags & 2 != 0 {
                        flags.push(Json::from("auto"));
                    }
                    Json::obj()
                        .with("flags", Json::Arr(flags))
                        .with("name", b.name.as_str())
                        .with("granularity", 1u64 << b.granularity_bits.min(63))
                })
                .collect(),
        ))
    }
}
