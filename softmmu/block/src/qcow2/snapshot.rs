//! qcow2 internal snapshots: the snapshot table and create/apply/delete.

use super::{Ct, Meta, Qcow2, L1E_OFFSET_MASK, L2E_OFFSET_MASK, OFLAG_COPIED};
use crate::driver::SnapshotInfo;
use crate::error::{invalid, BlockError, Result};

/// Largest snapshot table Mimic reads (qemu's limit too).
const MAX_TABLE: u64 = 64 << 20;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
    pub l1_offset: u64,
    pub l1_size: u32,
    pub id: String,
    pub name: String,
    pub date_sec: u32,
    pub date_nsec: u32,
    pub vm_clock_nsec: u64,
    pub vm_state_size: u64,
    pub disk_size: Option<u64>,
    pub icount: Option<u64>,
    /// Extra data beyond the fields Mimic knows, preserved.
    pub extra_rest: Vec<u8>,
}

impl Snapshot {
    pub fn info(&self) -> SnapshotInfo {
        SnapshotInfo {
            id: self.id.clone(),
            name: self.name.clone(),
            vm_state_size: self.vm_state_size,
            date_sec: self.date_sec,
            date_nsec: self.date_nsec,
            vm_clock_nsec: self.vm_clock_nsec,
            icount: self.icount.filter(|&i| i != u64::MAX),
            disk_size: self.disk_size.unwrap_or(0),
        }
    }

    fn encode(&self, out: &mut Vec<u8>) {
        let start = out.len();
        out.extend_from_slice(&self.l1_offset.to_be_bytes());
        out.extend_from_slice(&self.l1_size.to_be_bytes());
        out.extend_from_slice(&(self.id.len() as u16).to_be_bytes());
        out.extend_from_slice(&(self.name.len() as u16).to_be_bytes());
        out.extend_from_slice(&self.date_sec.to_be_bytes());
        out.extend_from_slice(&self.date_nsec.to_be_bytes());
        out.extend_from_slice(&self.vm_clock_nsec.to_be_bytes());
        out.extend_from_slice(&(self.vm_state_size.min(u32::MAX as u64) as u32).to_be_bytes());
        let extra = 24 + self.extra_rest.len() as u32;
        out.extend_from_slice(&extra.to_be_bytes());
        out.extend_from_slice(&self.vm_state_size.to_be_bytes());
        out.extend_from_slice(&self.disk_size.unwrap_or(0).to_be_bytes());
        out.extend_from_slice(&self.icount.unwrap_or(u64::MAX).to_be_bytes());
        out.extend_from_slice(&self.extra_rest);
        out.extend_from_slice(self.id.as_bytes());
        out.extend_from_slice(self.name.as_bytes());
        let len = out.len() - start;
        out.resize(start + len.div_ceil(8) * 8, 0);
    }
}

fn be32(b: &[u8], o: usize) -> u32 {
    u32::from_be_bytes(b[o..o + 4].try_into().unwrap())
}
fn be64(b: &[u8], o: usize) -> u64 {
    u64::from_be_bytes(b[o..o + 8].try_into().unwrap())
}

/// Bytes the encoded table takes.
pub fn table_size(snaps: &[Snapshot]) -> u64 {
    encode_table(snaps).len() as u64
}

fn encode_table(snaps: &[Snapshot]) -> Vec<u8> {
    let mut v = Vec::new();
    for s in snaps {
        s.encode(&mut v);
    }
    v
}

/// Parses the snapshot table of an opened image.
pub fn read_table(q: &Qcow2) -> Result<Vec<Snapshot>> {
    let n = q.h.nb_snapshots;
    let mut off = q.h.snapshots_offset;
    let end_limit = off.saturating_add(MAX_TABLE);
    let mut out = Vec::with_capacity(n.min(1024) as usize);
    for _ in 0..n {
        let mut h = [0u8; 40];
        if off + 40 > end_limit || off + 40 > q.f.len()? {
            return invalid("snapshot table too large or beyond the end of the file");
        }
        q.f.read_at(off, &mut h)?;
        let l1_offset = be64(&h, 0);
        let l1_size = be32(&h, 8);
        let id_len = u16::from_be_bytes([h[12], h[13]]) as u64;
        let name_len = u16::from_be_bytes([h[14], h[15]]) as u64;
        let extra_len = be32(&h, 36) as u64;
        if extra_len > 1024 {
            return invalid("snapshot extra data too large");
        }
        if !l1_offset.is_multiple_of(q.cs) {
            return invalid("snapshot L1 table offset not aligned");
        }
        if l1_size as u64 > super::header::MAX_L1_ENTRIES
            || l1_offset.saturating_add(l1_size as u64 * 8) > q.f.len()?
        {
            return invalid("snapshot L1 table invalid");
        }
        let total = 40 + extra_len + id_len + name_len;
        if off + total > end_limit {
            return invalid("snapshot table too large");
        }
        let mut rest = vec![0u8; (total - 40) as usize];
        q.f.read_at(off + 40, &mut rest)?;
        let extra = &rest[..extra_len as usize];
        let mut vm_state_size = be32(&h, 32) as u64;
        let mut disk_size = None;
        let mut icount = None;
        if extra.len() >= 8 {
            vm_state_size = be64(extra, 0);
        }
        if extra.len() >= 16 {
            disk_size = Some(be64(extra, 8));
        }
        if extra.len() >= 24 {
            icount = Some(be64(extra, 16));
        }
        let extra_rest = if extra.len() > 24 {
            extra[24..].to_vec()
        } else {
            Vec::new()
        };
        let e = extra_len as usize;
        let id = String::from_utf8_lossy(&rest[e..e + id_len as usize]).into_owned();
        let name = String::from_utf8_lossy(&rest[e + id_len as usize..]).into_owned();
        out.push(Snapshot {
            l1_offset,
            l1_size,
            id,
            name,
            date_sec: be32(&h, 16),
            date_nsec: be32(&h, 20),
            vm_clock_nsec: be64(&h, 24),
            vm_state_size,
            disk_size,
            icount,
            extra_rest,
        });
        off += total.div_ceil(8) * 8;
    }
    Ok(out)
}

impl Qcow2 {
    fn find_snapshot(&self, name: &str) -> Result<usize> {
        self.snaps
            .iter()
            .position(|s| s.id == name)
            .or_else(|| self.snaps.iter().position(|s| s.name == name))
            .ok_or_else(|| BlockError::Other(format!("Can't find the snapshot '{name}'")))
    }

    /// Adds `delta` to the refcount of every cluster reachable from an L1
    /// table (its L2 tables and their data clusters).
    fn update_tree(&mut self, l1: &[u64], delta: i64) -> Result<()> {
        for &e in l1 {
            let l2 = e & L1E_OFFSET_MASK;
            if l2 == 0 {
                continue;
            }
            let t = self.l2_table(l2)?.clone();
            for ent in t {
                match self.classify(ent) {
                    Ct::Normal(h) | Ct::ZeroAlloc(h) => {
                        self.update_refcount(h, self.cs, delta, true)?
                    }
                    Ct::Compressed(o, n) => self.update_refcount(o, n, delta, true)?,
                    _ => {}
                }
            }
            self.update_refcount(l2, self.cs, delta, true)?;
        }
        Ok(())
    }

    /// Fails (before changing anything) if one more reference to the tree
    /// would overflow a refcount.
    fn check_tree_headroom(&mut self, l1: &[u64]) -> Result<()> {
        let max = self.max_refcount();
        let mut seen = std::collections::HashMap::<u64, u64>::new();
        for &e in l1 {
            let l2 = e & L1E_OFFSET_MASK;
            if l2 == 0 {
                continue;
            }
            *seen.entry(l2 / self.cs).or_default() += 1;
            let t = self.l2_table(l2)?.clone();
            for ent in t {
                match self.classify(ent) {
                    Ct::Normal(h) | Ct::ZeroAlloc(h) => *seen.entry(h / self.cs).or_default() += 1,
                    Ct::Compressed(o, n) => {
                        for c in o / self.cs..=(o + n.max(1) - 1) / self.cs {
                            *seen.entry(c).or_default() += 1;
                        }
                    }
                    _ => {}
                }
            }
        }
        for (c, add) in seen {
            if self.refcount(c)?.saturating_add(add) > max {
                return Err(BlockError::Other(format!(
                    "refcount overflow: cluster 0x{:x} cannot get another reference (refcount_bits={})",
                    c * self.cs,
                    self.rc_bits
                )));
            }
        }
        Ok(())
    }

    /// Sets each COPIED flag of the active tables to "refcount == 1".
    pub(crate) fn fix_copied(&mut self) -> Result<u64> {
        let mut fixed = 0;
        for i in 0..self.l1.len() {
            let e = self.l1[i];
            let l2 = e & L1E_OFFSET_MASK;
            if l2 == 0 {
                continue;
            }
            let one = self.refcount(l2 / self.cs)? == 1;
            let ne = if one {
                e | OFLAG_COPIED
            } else {
                e & !OFLAG_COPIED
            };
            if ne != e {
                self.l1[i] = ne;
                self.l1_dirty = true;
                fixed += 1;
            }
            let t = self.l2_table(l2)?.clone();
            let mut changed = false;
            let mut nt = t.clone();
            for (j, ent) in t.iter().enumerate() {
                if let Ct::Normal(h) | Ct::ZeroAlloc(h) = self.classify(*ent) {
                    let one = self.refcount(h / self.cs)? == 1;
                    let n = if one {
                        ent | OFLAG_COPIED
                    } else {
                        ent & !OFLAG_COPIED
                    };
                    if n != *ent {
                        nt[j] = n;
                        changed = true;
                        fixed += 1;
                    }
                }
            }
            if changed {
                *self.l2_table(l2)? = nt;
                self.l2c.map.get_mut(&l2).unwrap().dirty = true;
            }
        }
        Ok(fixed)
    }

    /// Writes a new snapshot table and points the header at it.
    fn write_snapshot_table(&mut self) -> Result<()> {
        let old_off = self.h.snapshots_offset;
        let old_len = if self.h.nb_snapshots > 0 {
            table_size(&self.snaps_on_disk()?)
        } else {
            0
        };
        let raw = encode_table(&self.snaps);
        let (new_off, n) = if raw.is_empty() {
            (0, 0)
        } else {
            let n = (raw.len() as u64).div_ceil(self.cs);
            let o = self.alloc_clusters(n)?;
            for i in 0..n {
                self.meta.insert(o / self.cs + i, Meta::SnapTable);
            }
            (o, n)
        };
        let _ = n;
        self.flush_meta()?;
        if !raw.is_empty() {
            self.check_meta_write(new_off, Meta::SnapTable)?;
            self.f.write_at(new_off, &raw)?;
        }
        self.f.sync()?;
        self.h.snapshots_offset = new_off;
        self.h.nb_snapshots = self.snaps.len() as u32;
        self.write_header()?;
        if old_len > 0 {
            for i in 0..old_len.div_ceil(self.cs) {
                self.meta.remove(&(old_off / self.cs + i));
            }
            self.update_refcount(old_off, old_len, -1, true)?;
        }
        Ok(())
    }

    fn snaps_on_disk(&self) -> Result<Vec<Snapshot>> {
        read_table(self)
    }

    pub(crate) fn snap_create(&mut self, name: &str) -> Result<()> {
        self.snap_create_with(name, 0, 0)
    }

    /// Creates a snapshot recording `vm_state_size` bytes of VM state
    /// (already written to the VM state area of the active L1).
    pub(crate) fn snap_create_with(
        &mut self,
        name: &str,
        vm_state_size: u64,
        vm_clock_nsec: u64,
    ) -> Result<()> {
        if self.snaps.iter().any(|s| s.name == name) {
            return Err(BlockError::Other(format!(
                "a snapshot named '{name}' already exists"
            )));
        }
        self.flush_meta()?;
        let id = self
            .snaps
            .iter()
            .filter_map(|s| s.id.parse::<u64>().ok())
            .max()
            .unwrap_or(0)
            + 1;
        // Copy of the active L1.
        let l1: Vec<u64> = self.l1.iter().map(|e| e & !OFLAG_COPIED).collect();
        self.check_tree_headroom(&l1)?;
        let bytes = l1.len() as u64 * 8;
        let l1_off = if bytes > 0 {
            let n = bytes.div_ceil(self.cs);
            let o = self.alloc_clusters(n)?;
            for i in 0..n {
                self.meta.insert(o / self.cs + i, Meta::SnapL1);
            }
            o
        } else {
            0
        };
        self.update_tree(&l1.clone(), 1)?;
        self.fix_copied()?;
        self.flush_meta()?;
        if bytes > 0 {
            let raw: Vec<u8> = l1.iter().flat_map(|e| e.to_be_bytes()).collect();
            self.check_meta_write(l1_off, Meta::SnapL1)?;
            self.f.write_at(l1_off, &raw)?;
        }
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        self.snaps.push(Snapshot {
            l1_offset: l1_off,
            l1_size: l1.len() as u32,
            id: id.to_string(),
            name: name.to_string(),
            date_sec: now.as_secs() as u32,
            date_nsec: now.subsec_nanos(),
            vm_clock_nsec,
            vm_state_size,
            disk_size: Some(self.h.size),
            icount: Some(0),
            extra_rest: Vec::new(),
        });
        self.write_snapshot_table()
    }

    pub(crate) fn snap_apply(&mut self, name: &str) -> Result<()> {
        let i = self.find_snapshot(name)?;
        let sn = self.snaps[i].clone();
        self.flush_meta()?;
        let sl1 = self.read_l1_at(sn.l1_offset, sn.l1_size)?;
        if sl1.len() > self.l1.len() {
            self.grow_l1(sl1.len())?;
        }
        let old = self.l1.clone();
        self.update_tree(&sl1, 1)?;
        self.flush_meta()?;
        let mut nl1 = sl1.clone();
        nl1.resize(self.l1.len(), 0);
        self.l1 = nl1.iter().map(|e| e & !OFLAG_COPIED).collect();
        self.write_l1()?;
        self.f.sync()?;
        self.update_tree(&old, -1)?;
        if let Some(ds) = sn.disk_size {
            if ds != self.h.size {
                self.h.size = ds;
                self.write_header()?;
            }
        }
        self.fix_copied()?;
        self.flush_meta()
    }

    pub(crate) fn snap_delete(&mut self, name: &str) -> Result<()> {
        let i = self.find_snapshot(name)?;
        let sn = self.snaps.remove(i);
        self.flush_meta()?;
        self.write_snapshot_table()?;
        let sl1 = self.read_l1_at(sn.l1_offset, sn.l1_size)?;
        self.update_tree(&sl1, -1)?;
        let bytes = sn.l1_size as u64 * 8;
        if bytes > 0 {
            for k in 0..bytes.div_ceil(self.cs) {
                self.meta.remove(&(sn.l1_offset / self.cs + k));
            }
            self.update_refcount(sn.l1_offset, bytes, -1, true)?;
        }
        self.build_meta_map()?;
        self.fix_copied()?;
        self.flush_meta()
    }

    pub(crate) fn snap_load_ro(&mut self, name: &str) -> Result<()> {
        let i = self.find_snapshot(name)?;
        let sn = self.snaps[i].clone();
        if !self.ro {
            self.flush_meta()?;
        }
        self.l1 = self.read_l1_at(sn.l1_offset, sn.l1_size)?;
        if let Some(ds) = sn.disk_size {
            self.h.size = ds;
        }
        self.ro = true;
        self.snapshot_view = true;
        let _ = L2E_OFFSET_MASK;
        Ok(())
    }
}
