//! Refcount table and block cache (every width from 1 to 64 bits), cluster
//! allocation, and refcount table growth.

use super::{Meta, Qcow2, REFT_OFFSET_MASK};
use crate::error::{BlockError, Result};
use std::collections::HashMap;

pub struct CachedRb {
    pub data: Vec<u8>,
    pub dirty: bool,
    pub used: u64,
}

pub struct RbCache {
    pub map: HashMap<u64, CachedRb>,
    pub tick: u64,
    pub cap: usize,
}

impl RbCache {
    pub fn new(cap: usize) -> RbCache {
        RbCache {
            map: HashMap::new(),
            tick: 0,
            cap,
        }
    }
}

/// Reads entry `i` of a refcount block of `bits`-wide entries.
pub fn rb_get(data: &[u8], bits: u32, i: u64) -> u64 {
    match bits {
        1 | 2 | 4 => {
            let bit = i * bits as u64;
            let byte = data[(bit / 8) as usize];
            ((byte >> (bit % 8)) as u64) & ((1u64 << bits) - 1)
        }
        _ => {
            let n = (bits / 8) as usize;
            let o = i as usize * n;
            data[o..o + n]
                .iter()
                .fold(0u64, |a, &b| (a << 8) | b as u64)
        }
    }
}

/// Writes entry `i` of a refcount block.
pub fn rb_set(data: &mut [u8], bits: u32, i: u64, v: u64) {
    match bits {
        1 | 2 | 4 => {
            let bit = i * bits as u64;
            let mask = (((1u16 << bits) - 1) as u8) << (bit % 8);
            let b = &mut data[(bit / 8) as usize];
            *b = (*b & !mask) | (((v as u8) << (bit % 8)) & mask);
        }
        _ => {
            let n = (bits / 8) as usize;
            let o = i as usize * n;
            let bytes = v.to_be_bytes();
            data[o..o + n].copy_from_slice(&bytes[8 - n..]);
        }
    }
}

impl Qcow2 {
    pub(crate) fn max_refcount(&self) -> u64 {
        if self.rc_bits == 64 {
            u64::MAX
        } else {
            (1u64 << self.rc_bits) - 1
        }
    }

    fn rb_load(&mut self, off: u64) -> Result<&mut CachedRb> {
        self.rbc.tick += 1;
        let tick = self.rbc.tick;
        if !self.rbc.map.contains_key(&off) {
            if self.rbc.map.len() >= self.rbc.cap {
                let victim = self
                    .rbc
                    .map
                    .iter()
                    .min_by_key(|(_, v)| v.used)
                    .map(|(k, _)| *k);
                if let Some(v) = victim {
                    if self.rbc.map[&v].dirty {
                        self.write_rb(v)?;
                    }
                    self.rbc.map.remove(&v);
                }
            }
            let mut data = vec![0u8; self.cs as usize];
            self.f.read_at(off, &mut data)?;
            self.rbc.map.insert(
                off,
                CachedRb {
                    data,
                    dirty: false,
                    used: tick,
                },
            );
        }
        let e = self.rbc.map.get_mut(&off).unwrap();
        e.used = tick;
        Ok(e)
    }

    fn write_rb(&mut self, off: u64) -> Result<()> {
        self.check_meta_write(off, Meta::RefBlock)?;
        let e = self.rbc.map.get_mut(&off).unwrap();
        e.dirty = false;
        let d = e.data.clone();
        self.f.write_at(off, &d)
    }

    /// Writes dirty refcount blocks, then the refcount table if it changed.
    pub(crate) fn flush_refcounts(&mut self) -> Result<()> {
        // Lazy refcounts: while the dirty bit is set, refcount updates stay
        // in memory until close (a crash is repaired from the tables).
        if self.dirty_marked && !self.rc_force {
            return Ok(());
        }
        let dirty: Vec<u64> = self
            .rbc
            .map
            .iter()
            .filter(|(_, v)| v.dirty)
            .map(|(k, _)| *k)
            .collect();
        for off in &dirty {
            self.write_rb(*off)?;
        }
        if self.rt_dirty {
            self.f.sync()?;
            let mut raw = vec![0u8; (self.h.refcount_table_clusters as u64 * self.cs) as usize];
            for (i, e) in self.rt.iter().enumerate() {
                raw[i * 8..i * 8 + 8].copy_from_slice(&e.to_be_bytes());
            }
            self.check_meta_write(self.h.refcount_table_offset, Meta::RefTable)?;
            self.f.write_at(self.h.refcount_table_offset, &raw)?;
            self.rt_dirty = false;
        }
        Ok(())
    }

    /// On-disk (cached) refcount of host cluster `c`.
    pub(crate) fn refcount(&mut self, c: u64) -> Result<u64> {
        let rti = c / self.rb_entries;
        if rti >= self.rt.len() as u64 {
            return Ok(0);
        }
        let off = self.rt[rti as usize] & REFT_OFFSET_MASK;
        if off == 0 {
            return Ok(0);
        }
        if !off.is_multiple_of(self.cs) {
            return Err(self.mark_corrupt(format!("refcount block offset 0x{off:x} unaligned")));
        }
        let bits = self.rc_bits;
        let i = c % self.rb_entries;
        let e = self.rb_load(off)?;
        Ok(rb_get(&e.data, bits, i))
    }

    pub(crate) fn set_refcount(&mut self, c: u64, v: u64) -> Result<()> {
        self.ensure_refblock(c)?;
        let rti = (c / self.rb_entries) as usize;
        let off = self.rt[rti] & REFT_OFFSET_MASK;
        let bits = self.rc_bits;
        let i = c % self.rb_entries;
        let e = self.rb_load(off)?;
        rb_set(&mut e.data, bits, i, v);
        e.dirty = true;
        Ok(())
    }

    /// Adds `delta` to the refcount of every cluster touched by
    /// `[off, off+len)`. Freed clusters are punched out of the file if `punch`.
    pub(crate) fn update_refcount(
        &mut self,
        off: u64,
        len: u64,
        delta: i64,
        punch: bool,
    ) -> Result<()> {
        if len == 0 {
            return Ok(());
        }
        let first = off / self.cs;
        let last = (off + len - 1) / self.cs;
        for c in first..=last {
            let r = self.refcount(c)?;
            let nv = if delta < 0 {
                match r.checked_sub(delta.unsigned_abs()) {
                    Some(v) => v,
                    None => {
                        return Err(self.mark_corrupt(format!(
                            "Cannot decrement refcount of cluster 0x{:x} below zero",
                            c * self.cs
                        )))
                    }
                }
            } else {
                match r.checked_add(delta as u64) {
                    Some(v) if v <= self.max_refcount() => v,
                    _ => {
                        return Err(BlockError::Other(format!(
                            "refcount overflow for cluster 0x{:x} (refcount_bits={})",
                            c * self.cs,
                            self.rc_bits
                        )))
                    }
                }
            };
            self.set_refcount(c, nv)?;
            if nv == 0 {
                self.free_hint = self.free_hint.min(c);
                if self.meta.get(&c) == Some(&Meta::L2) || self.meta.get(&c) == Some(&Meta::SnapL1)
                {
                    self.meta.remove(&c);
                    self.l2c.remove(c * self.cs);
                }
                if punch {
                    let _ = self.f.punch_hole(c * self.cs, self.cs);
                }
            }
        }
        Ok(())
    }

    /// Makes sure the refcount block covering cluster `c` exists. A new block
    /// is placed at the first cluster it covers (which is necessarily free).
    fn ensure_refblock(&mut self, c: u64) -> Result<()> {
        let rti = c / self.rb_entries;
        if rti >= self.rt.len() as u64 {
            self.grow_reftable(rti + 1)?;
        }
        if self.rt[rti as usize] & REFT_OFFSET_MASK != 0 {
            return Ok(());
        }
        let b = rti * self.rb_entries;
        if self.meta.contains_key(&b) {
            return Err(self.mark_corrupt(format!(
                "cluster 0x{:x} is in use but not covered by a refcount block",
                b * self.cs
            )));
        }
        let off = b * self.cs;
        self.meta.insert(b, Meta::RefBlock);
        let mut data = vec![0u8; self.cs as usize];
        rb_set(&mut data, self.rc_bits, 0, 1);
        self.rbc.tick += 1;
        let tick = self.rbc.tick;
        self.rbc.map.insert(
            off,
            CachedRb {
                data,
                dirty: true,
                used: tick,
            },
        );
        self.rt[rti as usize] = off;
        self.rt_dirty = true;
        if self.f.len()? < off + self.cs {
            self.f.set_len(off + self.cs)?;
        }
        Ok(())
    }

    /// Moves the refcount table to a larger place covering `need` blocks.
    fn grow_reftable(&mut self, need: u64) -> Result<()> {
        let per_cluster = self.cs / 8;
        let new_entries =
            (need.max(self.rt.len() as u64 * 2) + 8).div_ceil(per_cluster) * per_cluster;
        let new_clusters = new_entries / per_cluster;
        if new_clusters * self.cs > super::header::MAX_REFTABLE_BYTES.max(self.cs * 4) {
            return Err(BlockError::Other(
                "refcount table would be too large".into(),
            ));
        }
        let old_off = self.h.refcount_table_offset;
        let old_clusters = self.h.refcount_table_clusters as u64;
        self.rt.resize(new_entries as usize, 0);
        let new_off = self.alloc_clusters(new_clusters)?;
        for i in 0..new_clusters {
            self.meta.insert(new_off / self.cs + i, Meta::RefTable);
        }
        for i in 0..old_clusters {
            self.meta.remove(&(old_off / self.cs + i));
        }
        self.h.refcount_table_offset = new_off;
        self.h.refcount_table_clusters = new_clusters as u32;
        self.rt_dirty = true;
        self.rc_force = true;
        let r = self.flush_refcounts();
        self.rc_force = false;
        r?;
        self.f.sync()?;
        self.write_header()?;
        self.update_refcount(old_off, old_clusters * self.cs, -1, false)?;
        Ok(())
    }

    /// Allocates `n` contiguous clusters with refcount 1; returns the offset.
    pub(crate) fn alloc_clusters(&mut self, n: u64) -> Result<u64> {
        if self.corrupt {
            return Err(BlockError::Corrupt("image is marked corrupt".into()));
        }
        let mut start = self.free_hint;
        'search: loop {
            for i in 0..n {
                if self.refcount(start + i)? != 0 {
                    start = start + i + 1;
                    continue 'search;
                }
            }
            let flen = self.f.len()?;
            if start.saturating_mul(self.cs) > flen.saturating_add((n * self.cs).max(1 << 30)) {
                return Err(self.mark_corrupt(format!(
                    "cluster allocation at 0x{:x}, far beyond the end of the file: refcounts are inconsistent",
                    start.saturating_mul(self.cs)
                )));
            }
            // Make sure the covering refcount blocks exist; they may take
            // clusters of this run.
            for i in 0..n {
                self.ensure_refblock(start + i)?;
            }
            for i in 0..n {
                if self.refcount(start + i)? != 0 {
                    start += i + 1;
                    continue 'search;
                }
            }
            break;
        }
        for i in 0..n {
            let c = start + i;
            if let Some(&m) = self.meta.get(&c) {
                return Err(self.mark_corrupt(format!(
                    "Preventing invalid allocation of cluster 0x{:x}: in use as {m:?} but its refcount is 0",
                    c * self.cs
                )));
            }
            self.set_refcount(c, 1)?;
        }
        if n == 1 || start == self.free_hint {
            self.free_hint = start + n;
        }
        Ok(start * self.cs)
    }
}
