//! The L2 table cache: tables keyed by host offset, written back in LRU order
//! after the refcount blocks they depend on.

use super::{Ct, Meta, Qcow2, L1E_OFFSET_MASK, L2E_OFFSET_MASK, OFLAG_COMPRESSED, OFLAG_COPIED};
use crate::error::{BlockError, Result};
use std::collections::HashMap;

pub struct CachedL2 {
    pub t: Vec<u64>,
    pub dirty: bool,
    pub used: u64,
}

pub struct L2Cache {
    pub map: HashMap<u64, CachedL2>,
    pub tick: u64,
    pub cap: usize,
}

impl L2Cache {
    pub fn new(cap: usize) -> L2Cache {
        L2Cache {
            map: HashMap::new(),
            tick: 0,
            cap,
        }
    }
    pub fn remove(&mut self, off: u64) {
        self.map.remove(&off);
    }
}

impl Qcow2 {
    /// The L2 table at host offset `off` (loaded into the cache if needed).
    pub(crate) fn l2_table(&mut self, off: u64) -> Result<&mut Vec<u64>> {
        if !off.is_multiple_of(self.cs) {
            return Err(self.mark_corrupt(format!("L2 table offset 0x{off:x} unaligned")));
        }
        self.l2c.tick += 1;
        let tick = self.l2c.tick;
        if !self.l2c.map.contains_key(&off) {
            if self.l2c.map.len() >= self.l2c.cap {
                self.evict_l2()?;
            }
            let mut raw = vec![0u8; self.cs as usize];
            self.f.read_at(off, &mut raw)?;
            let t = raw
                .chunks_exact(8)
                .map(|c| u64::from_be_bytes(c.try_into().unwrap()))
                .collect();
            self.l2c.map.insert(
                off,
                super::l2cache::CachedL2 {
                    t,
                    dirty: false,
                    used: tick,
                },
            );
        }
        let e = self.l2c.map.get_mut(&off).unwrap();
        e.used = tick;
        Ok(&mut e.t)
    }

    fn evict_l2(&mut self) -> Result<()> {
        let victim = self
            .l2c
            .map
            .iter()
            .min_by_key(|(_, v)| v.used)
            .map(|(k, _)| *k);
        if let Some(off) = victim {
            if self.l2c.map[&off].dirty {
                self.flush_refcounts()?;
                self.f.sync()?;
                self.write_l2(off)?;
            }
            self.l2c.map.remove(&off);
        }
        Ok(())
    }

    fn write_l2(&mut self, off: u64) -> Result<()> {
        self.check_meta_write(off, Meta::L2)?;
        let raw: Vec<u8> = self.l2c.map[&off]
            .t
            .iter()
            .flat_map(|e| e.to_be_bytes())
            .collect();
        self.f.write_at(off, &raw)?;
        self.l2c.map.get_mut(&off).unwrap().dirty = false;
        Ok(())
    }

    /// Writes every dirty L2 table (refcounts must already be on disk).
    pub(crate) fn flush_l2(&mut self) -> Result<()> {
        let dirty: Vec<u64> = self
            .l2c
            .map
            .iter()
            .filter(|(_, v)| v.dirty)
            .map(|(k, _)| *k)
            .collect();
        if dirty.is_empty() {
            return Ok(());
        }
        self.flush_refcounts()?;
        // Guest data and refcounts reach the disk before the tables naming them.
        self.f.sync()?;
        for off in dirty {
            self.write_l2(off)?;
        }
        Ok(())
    }

    /// Makes the L2 table of L1 index `l1i` exist and be exclusively owned by
    /// the active L1 (allocating or copying it), so entries can be changed.
    pub(crate) fn l2_for_write(&mut self, l1i: u64) -> Result<()> {
        let l1i = l1i as usize;
        if l1i >= self.l1.len() {
            return Err(self.mark_corrupt(format!("L1 index {l1i} beyond the L1 table")));
        }
        let e = self.l1[l1i];
        let old = e & L1E_OFFSET_MASK;
        if old != 0 && e & OFLAG_COPIED != 0 {
            return Ok(());
        }
        if old != 0 {
            let rc = self.refcount(old / self.cs)?;
            if rc == 1 {
                self.l1[l1i] |= OFLAG_COPIED;
                self.l1_dirty = true;
                return Ok(());
            }
            if rc == 0 {
                return Err(self.mark_corrupt(format!("L2 table at 0x{old:x} has refcount 0")));
            }
        }
        let new = self.alloc_clusters(1)?;
        self.meta.insert(new / self.cs, Meta::L2);
        let mut t = if old != 0 {
            self.l2_table(old)?.clone()
        } else {
            vec![0u64; 1 << self.l2_bits]
        };
        if old != 0 {
            for ent in t.iter_mut() {
                if *ent & OFLAG_COMPRESSED == 0 && *ent & OFLAG_COPIED != 0 {
                    let h = *ent & L2E_OFFSET_MASK;
                    if self.refcount(h / self.cs)? != 1 {
                        *ent &= !OFLAG_COPIED;
                    }
                }
            }
        }
        self.l2c.tick += 1;
        if self.l2c.map.len() >= self.l2c.cap {
            self.evict_l2()?;
        }
        let tick = self.l2c.tick;
        self.l2c.map.insert(
            new,
            CachedL2 {
                t,
                dirty: true,
                used: tick,
            },
        );
        self.l1[l1i] = new | OFLAG_COPIED;
        self.l1_dirty = true;
        if old != 0 {
            // The old table stays referenced by a snapshot.
            self.release(vec![Ct::Normal(old)])?;
            if self.refcount(old / self.cs)? == 0 {
                self.meta.remove(&(old / self.cs));
            }
        }
        Ok(())
    }

    /// Sets the L2 entry of virtual cluster `vc`; `l2_for_write` must have run.
    pub(crate) fn set_l2_entry(&mut self, vc: u64, v: u64) -> Result<()> {
        let l1i = (vc >> self.l2_bits) as usize;
        let off = self.l1[l1i] & L1E_OFFSET_MASK;
        if off == 0 {
            return Err(BlockError::Other("internal: L2 table missing".into()));
        }
        let idx = (vc & ((1 << self.l2_bits) - 1)) as usize;
        self.l2_table(off)?[idx] = v;
        self.l2c.map.get_mut(&off).unwrap().dirty = true;
        Ok(())
    }
}
