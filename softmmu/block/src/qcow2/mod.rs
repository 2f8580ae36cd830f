//! qcow2 v2/v3: read, write, cluster allocation, refcounts of every width,
//! zero and compressed clusters, backing files, internal snapshots, lazy
//! refcounts, corruption detection and repair.
//!
//! Metadata is cached (L2 tables, refcount blocks) and written back in a fixed
//! order: refcount blocks (and the refcount table), then L2 tables, then the L1
//! table, with a sync between each step. Clusters are only freed (refcount
//! decremented) after every table that referenced them has been rewritten, so a
//! crash can leak clusters but never leave a table entry pointing at a cluster
//! whose refcount does not count it.

mod bitmap;
mod check;
mod create;
pub mod header;
mod l2cache;
mod refcount;
mod snapshot;
mod vmstate;

pub use create::{create, CreateOpts};

use crate::driver::{check_range, BlockDriver, CheckReport, Extent, Fix, SnapshotInfo};
use crate::error::{BlockError, Result};
use crate::file::HostFile;
use crate::json::Json;
use header::*;
use l2cache::L2Cache;
use refcount::RbCache;
use snapshot::Snapshot;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

pub const OFLAG_COPIED: u64 = 1 << 63;
pub const OFLAG_COMPRESSED: u64 = 1 << 62;
pub const OFLAG_ZERO: u64 = 1;
pub const L1E_OFFSET_MASK: u64 = 0x00ff_ffff_ffff_fe00;
pub const L2E_OFFSET_MASK: u64 = 0x00ff_ffff_ffff_fe00;
pub const REFT_OFFSET_MASK: u64 = 0xffff_ffff_ffff_fe00;

/// What a cluster of the metadata map is used for (for the overlap check).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Meta {
    Header,
    L1,
    RefTable,
    RefBlock,
    L2,
    SnapTable,
    SnapL1,
}

/// Decoded L2 entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ct {
    Unalloc,
    ZeroPlain,
    ZeroAlloc(u64),
    Normal(u64),
    /// Host byte offset and byte count of the compressed stream.
    Compressed(u64, u64),
}

/// Options for opening.
#[derive(Debug, Clone, Default)]
pub struct OpenOpts {
    pub read_only: bool,
    /// Open an image marked corrupt read/write (for `check -r`).
    pub allow_corrupt: bool,
    /// Do not open the backing file.
    pub no_backing: bool,
    /// Do not repair a dirty (lazy refcounts) image on open (for `check`).
    pub no_dirty_repair: bool,
    /// Position in a backing chain (0 = top).
    pub depth: usize,
}

pub struct Qcow2 {
    pub(crate) f: HostFile,
    pub(crate) h: Header,
    pub(crate) cb: u32,
    pub(crate) cs: u64,
    pub(crate) l2_bits: u32,
    pub(crate) l1: Vec<u64>,
    pub(crate) l1_dirty: bool,
    pub(crate) l2c: L2Cache,
    pub(crate) rt: Vec<u64>,
    pub(crate) rt_dirty: bool,
    pub(crate) rbc: RbCache,
    pub(crate) rc_bits: u32,
    pub(crate) rb_entries: u64,
    pub(crate) free_hint: u64,
    pub(crate) meta: HashMap<u64, Meta>,
    pub(crate) snaps: Vec<Snapshot>,
    pub(crate) backing: Option<Box<dyn BlockDriver>>,
    pub(crate) ro: bool,
    pub(crate) corrupt: bool,
    pub(crate) dirty_marked: bool,
    pub(crate) comp_cursor: Option<u64>,
    pub(crate) decomp_cache: Option<(u64, Vec<u8>)>,
    pub(crate) snapshot_view: bool,
    /// Whether block status looks into the host file for holes (qemu does so
    /// only for images that look metadata-preallocated).
    pub(crate) recurse: Option<bool>,
    /// References to drop once the tables that stopped using them are on
    /// disk (applied at the end of `flush_meta`).
    pub(crate) pending_frees: Vec<Ct>,
    /// Write refcounts even while lazy refcounts defer them.
    pub(crate) rc_force: bool,
}

impl Qcow2 {
    pub fn open(path: &Path, opts: &OpenOpts) -> Result<Qcow2> {
        let f = HostFile::open(path, opts.read_only)?;
        let mut first = vec![0u8; 72];
        f.read_at(0, &mut first)?;
        if first[..4] != MAGIC.to_be_bytes() {
            return Err(BlockError::Invalid("not a qcow2 image (bad magic)".into()));
        }
        let cb0 = u32::from_be_bytes(first[20..24].try_into().unwrap());
        if !(MIN_CLUSTER_BITS..=MAX_CLUSTER_BITS).contains(&cb0) {
            return Err(BlockError::Invalid(format!(
                "unsupported cluster size: 2^{cb0}"
            )));
        }
        let cs = 1u64 << cb0;
        let mut c0 = vec![0u8; cs as usize];
        f.read_at(0, &mut c0)?;
        let h = Header::parse(&c0)?;
        let cb = h.cluster_bits;
        let file_len = f.len()?;
        // L1 table.
        let l1_bytes = h.l1_size as u64 * 8;
        if h.l1_size > 0 && h.l1_table_offset.saturating_add(l1_bytes) > file_len {
            return Err(BlockError::Invalid(
                "L1 table lies beyond the end of the file".into(),
            ));
        }
        let rt_end = h
            .refcount_table_offset
            .saturating_add(h.refcount_table_clusters as u64 * cs);
        if rt_end > file_len {
            return Err(BlockError::Invalid(
                "refcount table lies beyond the end of the file".into(),
            ));
        }
        let mut raw = vec![0u8; l1_bytes as usize];
        f.read_at(h.l1_table_offset, &mut raw)?;
        let l1: Vec<u64> = raw
            .chunks_exact(8)
            .map(|c| u64::from_be_bytes(c.try_into().unwrap()))
            .collect();
        // Refcount table.
        let rt_bytes = h.refcount_table_clusters as u64 * cs;
        let mut raw = vec![0u8; rt_bytes as usize];
        f.read_at(h.refcount_table_offset, &mut raw)?;
        let rt: Vec<u64> = raw
            .chunks_exact(8)
            .map(|c| u64::from_be_bytes(c.try_into().unwrap()))
            .collect();
        let rc_bits = 1u32 << h.refcount_order;
        let rb_entries = cs * 8 / rc_bits as u64;
        let corrupt = h.incompatible & INCOMPAT_CORRUPT != 0;
        if corrupt && !opts.read_only && !opts.allow_corrupt {
            return Err(BlockError::Corrupt(format!(
                "'{}' is marked corrupt and cannot be opened read/write",
                path.display()
            )));
        }
        let cache_tables = ((32u64 << 20) / cs).max(16) as usize;
        let mut q = Qcow2 {
            f,
            cb,
            cs,
            l2_bits: cb - 3,
            l1,
            l1_dirty: false,
            l2c: L2Cache::new(cache_tables),
            rt,
            rt_dirty: false,
            rbc: RbCache::new(cache_tables),
            rc_bits,
            rb_entries,
            free_hint: 0,
            meta: HashMap::new(),
            snaps: Vec::new(),
            backing: None,
            ro: opts.read_only,
            corrupt,
            dirty_marked: false,
            comp_cursor: None,
            decomp_cache: None,
            snapshot_view: false,
            recurse: None,
            pending_frees: Vec::new(),
            rc_force: false,
            h,
        };
        q.snaps = snapshot::read_table(&q)?;
        q.build_meta_map()?;
        if !opts.no_backing {
            if let Some(bf) = q.h.backing_file.clone() {
                let bpath = resolve_backing(path, &bf);
                let fmt = q.h.backing_format.clone();
                let b = crate::open_chain(&bpath, fmt.as_deref(), true, opts.depth + 1).map_err(
                    |e| {
                        BlockError::Other(format!(
                            "Could not open backing file '{}': {e}",
                            bpath.display()
                        ))
                    },
                )?;
                q.backing = Some(b);
            }
        }
        if !q.ro && q.h.incompatible & INCOMPAT_DIRTY != 0 && !opts.no_dirty_repair {
            // A crash with lazy refcounts: rebuild the refcounts now.
            let r = q.check(Fix::All)?;
            if r.corruptions > r.corruptions_fixed {
                return Err(BlockError::Corrupt("could not repair dirty image".into()));
            }
            q.h.incompatible &= !INCOMPAT_DIRTY;
            q.write_header()?;
        }
        Ok(q)
    }

    pub(crate) fn build_meta_map(&mut self) -> Result<()> {
        let cs = self.cs;
        let mut m = HashMap::new();
        m.insert(0, Meta::Header);
        let add = |m: &mut HashMap<u64, Meta>, off: u64, len: u64, k: Meta| {
            if len == 0 {
                return;
            }
            let n = len.div_ceil(cs).min(1 << 24);
            for i in 0..n {
                m.entry(off / cs + i).or_insert(k);
            }
        };
        add(
            &mut m,
            self.h.l1_table_offset,
            self.h.l1_size as u64 * 8,
            Meta::L1,
        );
        add(
            &mut m,
            self.h.refcount_table_offset,
            self.h.refcount_table_clusters as u64 * cs,
            Meta::RefTable,
        );
        for &e in &self.rt {
            let o = e & REFT_OFFSET_MASK;
            if o != 0 {
                add(&mut m, o, cs, Meta::RefBlock);
            }
        }
        for &e in &self.l1 {
            let o = e & L1E_OFFSET_MASK;
            if o != 0 {
                add(&mut m, o, cs, Meta::L2);
            }
        }
        if self.h.nb_snapshots > 0 {
            add(
                &mut m,
                self.h.snapshots_offset,
                snapshot::table_size(&self.snaps),
                Meta::SnapTable,
            );
        }
        for s in self.snaps.clone() {
            add(&mut m, s.l1_offset, s.l1_size as u64 * 8, Meta::SnapL1);
            for e in self.read_l1_at(s.l1_offset, s.l1_size)? {
                let o = e & L1E_OFFSET_MASK;
                if o != 0 {
                    add(&mut m, o, cs, Meta::L2);
                }
            }
        }
        self.meta = m;
        Ok(())
    }

    pub(crate) fn read_l1_at(&self, off: u64, n: u32) -> Result<Vec<u64>> {
        if n as u64 > MAX_L1_ENTRIES {
            return Err(BlockError::Invalid("snapshot L1 table too large".into()));
        }
        let mut raw = vec![0u8; n as usize * 8];
        self.f.read_at(off, &mut raw)?;
        Ok(raw
            .chunks_exact(8)
            .map(|c| u64::from_be_bytes(c.try_into().unwrap()))
            .collect())
    }

    /// Limits the metadata caches (in tables/blocks; at least 1). Small
    /// limits force write-back on eviction (used by tests).
    pub fn set_cache_limits(&mut self, l2_tables: usize, refcount_blocks: usize) {
        self.l2c.cap = l2_tables.max(1);
        self.rbc.cap = refcount_blocks.max(1);
    }

    pub fn header(&self) -> &Header {
        &self.h
    }

    /// Decodes an L2 entry.
    pub(crate) fn classify(&self, e: u64) -> Ct {
        if e & OFLAG_COMPRESSED != 0 {
            let x = 62 - (self.cb - 8);
            let off = e & ((1u64 << x) - 1);
            let nsec = ((e >> x) & ((1u64 << (self.cb - 8)) - 1)) + 1;
            let csize = (nsec * 512).saturating_sub(off & 511);
            return Ct::Compressed(off, csize);
        }
        let off = e & L2E_OFFSET_MASK;
        if self.h.version >= 3 && e & OFLAG_ZERO != 0 {
            return if off == 0 {
                Ct::ZeroPlain
            } else {
                Ct::ZeroAlloc(off)
            };
        }
        if off == 0 {
            Ct::Unalloc
        } else {
            Ct::Normal(off)
        }
    }

    /// L2 entry of virtual cluster `vc` (0 when unallocated).
    pub(crate) fn l2_entry(&mut self, vc: u64) -> Result<u64> {
        let l1i = (vc >> self.l2_bits) as usize;
        if l1i >= self.l1.len() {
            return Ok(0);
        }
        let l2off = self.l1[l1i] & L1E_OFFSET_MASK;
        if l2off == 0 {
            return Ok(0);
        }
        let idx = (vc & ((1 << self.l2_bits) - 1)) as usize;
        let t = self.l2_table(l2off)?;
        Ok(t[idx])
    }

    /// The run of clusters starting at byte `off` (at most `len` bytes) that
    /// share one kind with contiguous host offsets.
    pub(crate) fn map_run(&mut self, off: u64, len: u64) -> Result<(Ct, u64)> {
        let cs = self.cs;
        let vc = off >> self.cb;
        let in_off = off & (cs - 1);
        let first = self.l2_entry(vc)?;
        let ct = self.classify(first);
        let mut n = (cs - in_off).min(len);
        if let Ct::Compressed(..) = ct {
            return Ok((ct, n));
        }
        let mut k = 1u64;
        while n < len {
            let e = self.l2_entry(vc + k)?;
            let c2 = self.classify(e);
            let same = match (ct, c2) {
                (Ct::Unalloc, Ct::Unalloc) | (Ct::ZeroPlain, Ct::ZeroPlain) => true,
                (Ct::Normal(a), Ct::Normal(b)) | (Ct::ZeroAlloc(a), Ct::ZeroAlloc(b)) => {
                    b == a + k * cs
                }
                _ => false,
            };
            if !same {
                break;
            }
            n = (n + cs).min(len);
            k += 1;
        }
        let ct = match ct {
            Ct::Normal(h) => Ct::Normal(h + in_off),
            Ct::ZeroAlloc(h) => Ct::ZeroAlloc(h + in_off),
            c => c,
        };
        Ok((ct, n))
    }

    fn read_backing(&mut self, off: u64, buf: &mut [u8]) -> Result<()> {
        match &mut self.backing {
            Some(b) => {
                let blen = b.length();
                if off >= blen {
                    buf.fill(0);
                    return Ok(());
                }
                let n = ((blen - off) as usize).min(buf.len());
                b.read(off, &mut buf[..n])?;
                buf[n..].fill(0);
                Ok(())
            }
            None => {
                buf.fill(0);
                Ok(())
            }
        }
    }

    pub(crate) fn decompress(&mut self, coff: u64, csize: u64) -> Result<Vec<u8>> {
        if let Some((o, d)) = &self.decomp_cache {
            if *o == coff {
                return Ok(d.clone());
            }
        }
        if csize > 2 * self.cs + 512 {
            return Err(BlockError::Invalid("compressed cluster too large".into()));
        }
        let mut src = vec![0u8; csize as usize];
        self.f.read_at(coff, &mut src)?;
        let mut out = vec![0u8; self.cs as usize];
        let mut d = flate2::Decompress::new(false);
        match d.decompress(&src, &mut out, flate2::FlushDecompress::Finish) {
            Ok(_) if d.total_out() == self.cs => {}
            _ => {
                return Err(BlockError::Io(std::io::Error::other(
                    "could not decompress a compressed cluster",
                )))
            }
        }
        self.decomp_cache = Some((coff, out.clone()));
        Ok(out)
    }

    /// Whole content of virtual cluster `vc` whose entry is `e` (for COW).
    fn cluster_content(&mut self, vc: u64, e: u64) -> Result<Vec<u8>> {
        let cs = self.cs;
        let mut buf = vec![0u8; cs as usize];
        match self.classify(e) {
            Ct::Unalloc => self.read_backing(vc * cs, &mut buf)?,
            Ct::ZeroPlain | Ct::ZeroAlloc(_) => {}
            Ct::Normal(h) => self.f.read_at(h, &mut buf)?,
            Ct::Compressed(o, n) => buf = self.decompress(o, n)?,
        }
        Ok(buf)
    }

    /// Fails unless the image may be modified; before the first change,
    /// clears the autoclear feature bits (Mimic does not keep persistent
    /// bitmaps up to date, so it must invalidate them, as the spec says).
    fn writable(&mut self) -> Result<()> {
        if self.corrupt && self.ro {
            return Err(BlockError::Corrupt("the image is marked corrupt".into()));
        }
        if self.ro {
            return Err(BlockError::ReadOnly);
        }
        if self.h.autoclear != 0 {
            self.h.autoclear = 0;
            self.write_header()?;
        }
        Ok(())
    }

    /// Sets the dirty bit before the first modification when lazy refcounts
    /// are enabled.
    fn mark_dirty(&mut self) -> Result<()> {
        if self.h.compatible & COMPAT_LAZY_REFCOUNTS != 0
            && !self.dirty_marked
            && self.h.version >= 3
        {
            self.h.incompatible |= INCOMPAT_DIRTY;
            self.write_feature_bits()?;
            self.f.sync()?;
            self.dirty_marked = true;
        }
        Ok(())
    }

    pub(crate) fn write_feature_bits(&mut self) -> Result<()> {
        if self.h.version >= 3 {
            self.f.write_at(72, &self.h.incompatible.to_be_bytes())?;
        }
        Ok(())
    }

    /// Rewrites cluster 0 (header, extensions, backing name).
    pub(crate) fn write_header(&mut self) -> Result<()> {
        let buf = self.h.serialize()?;
        // Only the used part: the rest of cluster 0 is zero anyway.
        let used = buf
            .iter()
            .rposition(|&b| b != 0)
            .map(|p| p + 1)
            .unwrap_or(0);
        let used = used.div_ceil(512) * 512;
        self.f.write_at(0, &buf[..used.max(512).min(buf.len())])?;
        self.f.sync()
    }

    /// Records an inconsistency: marks the image corrupt on disk, makes it
    /// read-only and returns the error to report.
    pub(crate) fn mark_corrupt(&mut self, msg: String) -> BlockError {
        if !self.corrupt {
            eprintln!(
                "qcow2: Marking image as corrupt: {msg}; further corruption events will be suppressed"
            );
            if !self.f.read_only {
                self.h.incompatible |= INCOMPAT_CORRUPT;
                let _ = self.write_feature_bits();
                let _ = self.f.sync();
            }
        }
        self.corrupt = true;
        self.ro = true;
        BlockError::Corrupt(msg)
    }

    /// Overlap check: `off` is about to be written as metadata of kind `k`.
    pub(crate) fn check_meta_write(&mut self, off: u64, k: Meta) -> Result<()> {
        let c = off / self.cs;
        match self.meta.get(&c) {
            Some(&m) if m == k => Ok(()),
            other => Err(self.mark_corrupt(format!(
                "Preventing invalid write on metadata (overlaps with {:?}) at offset 0x{off:x} as {k:?}",
                other
            ))),
        }
    }

    /// Overlap check for guest data written at host offset `off`.
    pub(crate) fn check_data_write(&mut self, off: u64, len: u64) -> Result<()> {
        let first = off / self.cs;
        let last = (off + len.max(1) - 1) / self.cs;
        for c in first..=last {
            if let Some(&m) = self.meta.get(&c) {
                return Err(self.mark_corrupt(format!(
                    "Preventing invalid write on metadata (overlaps with {m:?}) at offset 0x{:x}",
                    c * self.cs
                )));
            }
        }
        Ok(())
    }

    /// Writes all dirty metadata in dependency order.
    pub(crate) fn flush_meta(&mut self) -> Result<()> {
        loop {
            self.flush_refcounts()?;
            self.flush_l2()?;
            if self.l1_dirty {
                self.write_l1()?;
            }
            if self.pending_frees.is_empty() {
                return Ok(());
            }
            // Every table on disk now points past these clusters; make that
            // durable before their refcounts drop.
            self.f.sync()?;
            let frees = std::mem::take(&mut self.pending_frees);
            self.comp_cursor = None;
            self.decomp_cache = None;
            for ct in frees {
                match ct {
                    Ct::Normal(h) | Ct::ZeroAlloc(h) => {
                        self.update_refcount(h, self.cs, -1, true)?
                    }
                    Ct::Compressed(o, n) => self.update_refcount(o, n, -1, true)?,
                    _ => {}
                }
            }
        }
    }

    pub(crate) fn write_l1(&mut self) -> Result<()> {
        let mut raw = Vec::with_capacity(self.l1.len() * 8);
        for e in &self.l1 {
            raw.extend_from_slice(&e.to_be_bytes());
        }
        if !raw.is_empty() {
            self.check_meta_write(self.h.l1_table_offset, Meta::L1)?;
            // The L2 tables it names are on disk first.
            self.f.sync()?;
            self.f.write_at(self.h.l1_table_offset, &raw)?;
        }
        self.l1_dirty = false;
        Ok(())
    }

    fn cow_write(&mut self, offset: u64, buf: &[u8]) -> Result<()> {
        let cs = self.cs;
        let mut frees: Vec<Ct> = Vec::new();
        let mut pos = 0usize;
        while pos < buf.len() {
            let cur = offset + pos as u64;
            let vc = cur >> self.cb;
            let in_off = cur & (cs - 1);
            let n = ((cs - in_off) as usize).min(buf.len() - pos);
            let l1i = vc >> self.l2_bits;
            self.l2_for_write(l1i)?;
            let e = self.l2_entry(vc)?;
            let ct = self.classify(e);
            match ct {
                Ct::Normal(h) if e & OFLAG_COPIED != 0 => {
                    // In place, extended over following in-place clusters.
                    let mut len = n;
                    let mut k = 1u64;
                    while pos + len < buf.len() && ((vc + k) >> self.l2_bits) == l1i {
                        let e2 = self.l2_entry(vc + k)?;
                        if e2 & OFLAG_COPIED == 0 || self.classify(e2) != Ct::Normal(h + k * cs) {
                            break;
                        }
                        len += (cs as usize).min(buf.len() - pos - len);
                        k += 1;
                    }
                    self.check_data_write(h + in_off, len as u64)?;
                    self.f.write_at(h + in_off, &buf[pos..pos + len])?;
                    pos += len;
                    continue;
                }
                Ct::ZeroAlloc(h) if e & OFLAG_COPIED != 0 => {
                    let mut c = vec![0u8; cs as usize];
                    c[in_off as usize..in_off as usize + n].copy_from_slice(&buf[pos..pos + n]);
                    self.check_data_write(h, cs)?;
                    self.f.write_at(h, &c)?;
                    self.set_l2_entry(vc, h | OFLAG_COPIED)?;
                }
                _ => {
                    // Count following fully-overwritten clusters that need no COW.
                    let mut k = 1u64;
                    if in_off == 0 && n as u64 == cs {
                        while k < 4096
                            && pos + ((k + 1) * cs) as usize <= buf.len()
                            && ((vc + k) >> self.l2_bits) == l1i
                        {
                            let e2 = self.l2_entry(vc + k)?;
                            if !matches!(self.classify(e2), Ct::Unalloc | Ct::ZeroPlain) {
                                break;
                            }
                            k += 1;
                        }
                    }
                    let new = self.alloc_clusters(k)?;
                    self.check_data_write(new, k * cs)?;
                    if k == 1 && (n as u64) < cs {
                        let mut c = self.cluster_content(vc, e)?;
                        c[in_off as usize..in_off as usize + n].copy_from_slice(&buf[pos..pos + n]);
                        self.f.write_at(new, &c)?;
                    } else {
                        self.f.write_at(new, &buf[pos..pos + (k * cs) as usize])?;
                    }
                    for i in 0..k {
                        self.set_l2_entry(vc + i, (new + i * cs) | OFLAG_COPIED)?;
                    }
                    if matches!(ct, Ct::Normal(_) | Ct::ZeroAlloc(_) | Ct::Compressed(..)) {
                        frees.push(ct);
                    }
                    pos += (k * cs) as usize - if k == 1 { cs as usize - n } else { 0 };
                    continue;
                }
            }
            pos += n;
        }
        self.release(frees)
    }

    /// Drops one reference to each cluster once no table on disk points at
    /// them any more (at the next metadata flush).
    pub(crate) fn release(&mut self, frees: Vec<Ct>) -> Result<()> {
        self.pending_frees.extend(frees);
        if self.pending_frees.len() > 4096 {
            self.flush_meta()?;
        }
        Ok(())
    }

    /// Changes the entries of whole clusters in `[off, off+len)` to `new`
    /// (0 = unallocated, OFLAG_ZERO = reads as zero, or keep-allocated zero
    /// when `keep_alloc`).
    pub(crate) fn set_clusters(
        &mut self,
        off: u64,
        len: u64,
        new: u64,
        keep_alloc: bool,
    ) -> Result<()> {
        let cs = self.cs;
        let first = off.div_ceil(cs);
        let end = (off + len) / cs;
        let mut frees = Vec::new();
        for vc in first..end {
            let l1i = vc >> self.l2_bits;
            let e = self.l2_entry(vc)?;
            let ct = self.classify(e);
            let target = match ct {
                Ct::Normal(h) | Ct::ZeroAlloc(h) if keep_alloc && e & OFLAG_COPIED != 0 => {
                    h | OFLAG_COPIED | OFLAG_ZERO
                }
                _ => new,
            };
            if e == target {
                continue;
            }
            if e == 0
                && (l1i as usize >= self.l1.len() || self.l1[l1i as usize] & L1E_OFFSET_MASK == 0)
                && target == 0
            {
                continue;
            }
            self.l2_for_write(l1i)?;
            self.set_l2_entry(vc, target)?;
            let keeps =
                matches!(ct, Ct::Normal(h) | Ct::ZeroAlloc(h) if target & L2E_OFFSET_MASK == h);
            if !keeps && matches!(ct, Ct::Normal(_) | Ct::ZeroAlloc(_) | Ct::Compressed(..)) {
                frees.push(ct);
            }
        }
        self.release(frees)
    }

    /// Host offset range used by the image file (end of the last cluster with a
    /// nonzero refcount).
    pub(crate) fn last_used_cluster(&mut self) -> Result<u64> {
        let nclusters = self.f.len()?.div_ceil(self.cs);
        let mut last = 0;
        for c in 0..nclusters {
            if self.refcount(c)? > 0 {
                last = c;
            }
        }
        Ok(last)
    }

    /// Grows the L1 table to at least `n` entries.
    pub(crate) fn grow_l1(&mut self, n: usize) -> Result<()> {
        if n <= self.l1.len() {
            return Ok(());
        }
        if n as u64 > MAX_L1_ENTRIES {
            return Err(BlockError::Other("L1 table would be too large".into()));
        }
        self.flush_meta()?;
        let old_off = self.h.l1_table_offset;
        let old_bytes = self.l1.len() as u64 * 8;
        let nclusters = (n as u64 * 8).div_ceil(self.cs);
        let new_off = self.alloc_clusters(nclusters)?;
        for i in 0..nclusters {
            self.meta.insert(new_off / self.cs + i, Meta::L1);
        }
        self.l1.resize(n, 0);
        let mut raw = vec![0u8; (nclusters * self.cs) as usize];
        for (i, e) in self.l1.iter().enumerate() {
            raw[i * 8..i * 8 + 8].copy_from_slice(&e.to_be_bytes());
        }
        self.flush_refcounts()?;
        self.f.write_at(new_off, &raw)?;
        self.f.sync()?;
        self.h.l1_table_offset = new_off;
        self.h.l1_size = n as u32;
        self.write_header()?;
        self.l1_dirty = false;
        if old_bytes > 0 {
            for i in 0..old_bytes.div_ceil(self.cs) {
                self.meta.remove(&(old_off / self.cs + i));
            }
            self.update_refcount(old_off, old_bytes, -1, true)?;
        }
        Ok(())
    }

    /// Allocates every cluster (and L2 table) of the image (preallocation).
    pub fn preallocate(&mut self, mode: &str) -> Result<()> {
        let cs = self.cs;
        let total = self.h.size.div_ceil(cs);
        let mut vc = 0;
        let mut max_end = 0u64;
        while vc < total {
            let l1i = vc >> self.l2_bits;
            self.l2_for_write(l1i)?;
            let end = ((l1i + 1) << self.l2_bits).min(total);
            let k = end - vc;
            let new = self.alloc_clusters(k)?;
            for i in 0..k {
                self.set_l2_entry(vc + i, (new + i * cs) | OFLAG_COPIED)?;
            }
            max_end = max_end.max(new + k * cs);
            vc = end;
        }
        self.flush_meta()?;
        let end = max_end.max(self.f.len()?);
        match mode {
            "metadata" if self.f.len()? < end => {
                self.f.set_len(end)?;
            }
            "falloc" => self.f.allocate(0, end)?,
            "full" => {
                let flen = self.f.len()?;
                if end > flen {
                    let z = vec![0u8; 1 << 20];
                    let mut o = flen;
                    while o < end {
                        let n = (end - o).min(z.len() as u64) as usize;
                        self.f.write_at(o, &z[..n])?;
                        o += n as u64;
                    }
                }
            }
            _ => {}
        }
        self.f.sync()
    }

    pub fn snapshot_table(&self) -> &[Snapshot] {
        &self.snaps
    }
}

/// Resolves a backing file name relative to the directory of the image.
pub fn resolve_backing(image: &Path, backing: &str) -> PathBuf {
    let b = Path::new(backing);
    if b.is_absolute()
        || backing.contains(':') && !Path::new(backing).exists() && backing.starts_with("json:")
    {
        return b.to_path_buf();
    }
    match image.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.join(b),
        _ => b.to_path_buf(),
    }
}

impl Qcow2 {
    /// Reads `buf` at image address `offset` through the L1/L2 mapping;
    /// unallocated clusters come from the backing file when `backing`, as
    /// zeros otherwise (the VM-state area has no backing).
    fn read_mapped(&mut self, offset: u64, buf: &mut [u8], backing: bool) -> Result<()> {
        let mut pos = 0usize;
        while pos < buf.len() {
            let cur = offset + pos as u64;
            let (ct, n) = self.map_run(cur, (buf.len() - pos) as u64)?;
            let n = n as usize;
            let dst = &mut buf[pos..pos + n];
            match ct {
                Ct::Unalloc if backing => self.read_backing(cur, dst)?,
                Ct::Unalloc | Ct::ZeroPlain | Ct::ZeroAlloc(_) => dst.fill(0),
                Ct::Normal(h) => self.f.read_at(h, dst)?,
                Ct::Compressed(o, c) => {
                    let d = self.decompress(o, c)?;
                    let in_off = (cur & (self.cs - 1)) as usize;
                    dst.copy_from_slice(&d[in_off..in_off + n]);
                }
            }
            pos += n;
        }
        Ok(())
    }
}

impl BlockDriver for Qcow2 {
    fn format_name(&self) -> &'static str {
        "qcow2"
    }
    fn length(&self) -> u64 {
        self.h.size
    }
    fn read(&mut self, offset: u64, buf: &mut [u8]) -> Result<()> {
        check_range(offset, buf.len() as u64, self.h.size)?;
        self.read_mapped(offset, buf, true)
    }
    fn write(&mut self, offset: u64, buf: &[u8]) -> Result<()> {
        self.writable()?;
        check_range(offset, buf.len() as u64, self.h.size)?;
        self.mark_dirty()?;
        self.decomp_cache = None;
        self.cow_write(offset, buf)
    }
    fn flush(&mut self) -> Result<()> {
        if self.ro {
            return Ok(());
        }
        self.flush_meta()?;
        self.f.sync()
    }
    fn discard(&mut self, offset: u64, len: u64) -> Result<()> {
        self.writable()?;
        check_range(offset, len, self.h.size)?;
        self.mark_dirty()?;
        let new = if self.backing.is_some() || self.h.backing_file.is_some() {
            if self.h.version < 3 {
                return Ok(());
            }
            OFLAG_ZERO
        } else {
            0
        };
        self.set_clusters(offset, len, new, false)
    }
    fn write_zeroes(&mut self, offset: u64, len: u64, may_unmap: bool) -> Result<()> {
        self.writable()?;
        check_range(offset, len, self.h.size)?;
        self.mark_dirty()?;
        let cs = self.cs;
        let end = offset + len;
        // The last cluster may be partial at the image end: treat it as whole.
        let full_end = if end == self.h.size {
            end.div_ceil(cs) * cs
        } else {
            end / cs * cs
        };
        let head_end = offset.div_ceil(cs) * cs;
        if self.h.version < 3 || head_end >= full_end {
            if self.h.version < 3 && self.backing.is_none() && may_unmap && head_end < full_end {
                self.zero_partial(offset, head_end.min(end))?;
                self.set_clusters(head_end, full_end - head_end, 0, false)?;
                if full_end < end {
                    self.zero_partial(full_end, end)?;
                }
                return Ok(());
            }
            return self.zero_partial(offset, end);
        }
        self.zero_partial(offset, head_end)?;
        self.set_clusters(head_end, full_end - head_end, OFLAG_ZERO, !may_unmap)?;
        if full_end < end {
            self.zero_partial(full_end, end)?;
        }
        Ok(())
    }
    fn block_status(&mut self, offset: u64, len: u64) -> Result<Extent> {
        check_range(offset, len, self.h.size)?;
        let (ct, n) = self.map_run(offset, len.min(1 << 40))?;
        Ok(match ct {
            Ct::Unalloc => Extent::unallocated(n),
            Ct::ZeroPlain => Extent {
                len: n,
                allocated: true,
                data: false,
                zero: true,
                compressed: false,
                offset: None,
            },
            Ct::ZeroAlloc(h) => Extent {
                len: n,
                allocated: true,
                data: false,
                zero: true,
                compressed: false,
                offset: Some(h),
            },
            Ct::Compressed(..) => Extent {
                len: n,
                allocated: true,
                data: true,
                zero: false,
                compressed: true,
                offset: None,
            },
            Ct::Normal(h) if !self.looks_preallocated()? => Extent {
                len: n,
                allocated: true,
                data: true,
                zero: false,
                compressed: false,
                offset: Some(h),
            },
            Ct::Normal(h) => {
                let (data, m) = self.f.data_status(h, h + n);
                Extent {
                    len: m.clamp(1, n),
                    allocated: true,
                    data: true,
                    zero: !data,
                    compressed: false,
                    offset: Some(h),
                }
            }
        })
    }
    fn resize(&mut self, new_len: u64, allow_shrink: bool) -> Result<()> {
        self.writable()?;
        if new_len < self.h.size {
            if !allow_shrink {
                return Err(BlockError::Other(
                    "Use the --shrink option to perform a shrink operation.".into(),
                ));
            }
            if !self.snaps.is_empty() {
                return Err(BlockError::Unsupported(
                    "Can't shrink an image with internal snapshots".into(),
                ));
            }
            let cs = self.cs;
            let start = new_len.div_ceil(cs) * cs;
            let old_end = self.h.size.div_ceil(cs) * cs;
            if start < old_end {
                self.set_clusters(start, old_end - start, 0, false)?;
            }
            if !new_len.is_multiple_of(cs) {
                // Zero the tail of the last cluster so growing again reads zeroes.
                let tail = start - new_len;
                self.zero_partial(new_len, new_len + tail.min(self.h.size - new_len))?;
            }
            // Free L2 tables beyond the new end.
            let keep = new_len.div_ceil(cs << self.l2_bits) as usize;
            let mut frees = Vec::new();
            for i in keep..self.l1.len() {
                let o = self.l1[i] & L1E_OFFSET_MASK;
                if o != 0 {
                    self.flush_l2()?;
                    self.l2c.remove(o);
                    self.meta.remove(&(o / cs));
                    self.l1[i] = 0;
                    self.l1_dirty = true;
                    frees.push(Ct::Normal(o));
                }
            }
            self.release(frees)?;
            self.h.size = new_len;
            self.write_header()?;
            self.flush_meta()?;
            let end = (self.last_used_cluster()? + 1) * cs;
            if self.f.len()? > end {
                self.f.sync()?;
                self.f.set_len(end)?;
            }
            return Ok(());
        }
        let need = new_len.div_ceil(self.cs << self.l2_bits) as usize;
        self.grow_l1(need)?;
        self.h.size = new_len;
        self.write_header()
    }
    fn cluster_size(&self) -> Option<u64> {
        Some(self.cs)
    }
    fn backing_file(&self) -> Option<(String, Option<String>)> {
        self.h
            .backing_file
            .clone()
            .map(|b| (b, self.h.backing_format.clone()))
    }
    fn backing(&mut self) -> Option<&mut dyn BlockDriver> {
        match &mut self.backing {
            Some(b) => Some(b.as_mut()),
            None => None,
        }
    }
    fn set_backing_file(&mut self, file: Option<&str>, fmt: Option<&str>) -> Result<()> {
        self.writable()?;
        self.flush_meta()?;
        self.h.backing_file = file.map(|s| s.to_string());
        self.h.backing_format = if file.is_some() {
            fmt.map(|s| s.to_string())
        } else {
            None
        };
        self.write_header()
    }
    fn write_compressed(&mut self, offset: u64, buf: &[u8]) -> Result<()> {
        self.writable()?;
        check_range(offset, buf.len() as u64, self.h.size)?;
        self.compressed_write(offset, buf)
    }
    fn compressor(&self) -> Option<crate::driver::Compressor> {
        Some(compress_cluster)
    }
    fn write_precompressed(&mut self, offset: u64, data: &[u8]) -> Result<()> {
        self.writable()?;
        check_range(offset, 1, self.h.size)?;
        self.store_compressed(offset, data)
    }
    fn make_empty(&mut self) -> Result<()> {
        self.writable()?;
        let end = self.h.size.div_ceil(self.cs) * self.cs;
        self.set_clusters(0, end, 0, false)
    }
    fn snapshot_list(&mut self) -> Result<Vec<SnapshotInfo>> {
        Ok(self.snaps.iter().map(|s| s.info()).collect())
    }
    fn snapshot_create(&mut self, name: &str) -> Result<()> {
        self.writable()?;
        self.snap_create(name)
    }
    fn snapshot_create_vm(&mut self, name: &str, size: u64, clock: u64) -> Result<()> {
        self.writable()?;
        self.snap_create_vm(name, size, clock)
    }
    fn vm_state_write(&mut self, offset: u64, buf: &[u8]) -> Result<()> {
        self.writable()?;
        self.vm_write(offset, buf)
    }
    fn vm_state_read(&mut self, offset: u64, buf: &mut [u8]) -> Result<()> {
        self.vm_read(offset, buf)
    }
    fn vm_state_discard(&mut self, len: u64) -> Result<()> {
        self.writable()?;
        self.vm_discard(len)
    }
    fn snapshot_apply(&mut self, name: &str) -> Result<()> {
        self.writable()?;
        self.snap_apply(name)
    }
    fn snapshot_delete(&mut self, name: &str) -> Result<()> {
        self.writable()?;
        self.snap_delete(name)
    }
    fn snapshot_load_readonly(&mut self, name: &str) -> Result<()> {
        self.snap_load_ro(name)
    }
    fn check(&mut self, fix: Fix) -> Result<CheckReport> {
        self.run_check(fix)
    }
    fn format_specific(&self) -> Option<Json> {
        let mut d = Json::obj();
        if self.h.version >= 3 {
            d.push("compat", "1.1");
            d.push("compression-type", "zlib");
            d.push(
                "lazy-refcounts",
                self.h.compatible & COMPAT_LAZY_REFCOUNTS != 0,
            );
            if let Some(b) = self.bitmaps_json() {
                d.push("bitmaps", b);
            }
            d.push("refcount-bits", self.rc_bits);
            d.push("corrupt", self.h.incompatible & INCOMPAT_CORRUPT != 0);
            d.push("extended-l2", false);
        } else {
            d.push("compat", "0.10");
            d.push("compression-type", "zlib");
            d.push("refcount-bits", self.rc_bits);
        }
        Some(d)
    }
    fn set_unsafe_cache(&mut self, on: bool) {
        self.f.no_sync = on;
    }
    fn dirty(&self) -> bool {
        self.h.incompatible & INCOMPAT_DIRTY != 0
    }
    fn file_path(&self) -> Option<PathBuf> {
        Some(self.f.path.clone())
    }
    fn close(&mut self) -> Result<()> {
        if self.ro {
            return Ok(());
        }
        self.rc_force = true;
        let r = self.flush_meta();
        self.rc_force = false;
        r?;
        self.f.sync()?;
        if self.dirty_marked {
            self.h.incompatible &= !INCOMPAT_DIRTY;
            self.write_feature_bits()?;
            self.f.sync()?;
            self.dirty_marked = false;
        }
        Ok(())
    }
}

impl Qcow2 {
    /// qemu's heuristic for metadata preallocation: clearly more clusters
    /// are referenced than the host file has allocated.
    fn looks_preallocated(&mut self) -> Result<bool> {
        if let Some(r) = self.recurse {
            return Ok(r);
        }
        let cs = self.cs;
        let flen = self.f.len()?;
        let real = self.f.allocated().div_ceil(cs);
        let threshold = (real * 10 / 9).max(flen / cs / 4);
        let mut n = 0;
        let end = flen.div_ceil(cs);
        let mut c = 0;
        while c < end && n <= threshold {
            if self.refcount(c)? > 0 {
                n += 1;
            }
            c += 1;
        }
        let r = n > threshold;
        self.recurse = Some(r);
        Ok(r)
    }

    fn zero_partial(&mut self, start: u64, end: u64) -> Result<()> {
        if end > start {
            let z = vec![0u8; (end - start) as usize];
            self.cow_write(start, &z)?;
        }
        Ok(())
    }

    fn compressed_write(&mut self, offset: u64, buf: &[u8]) -> Result<()> {
        let cs = self.cs;
        if !offset.is_multiple_of(cs)
            || (buf.len() as u64 != cs && offset + buf.len() as u64 != self.h.size)
        {
            return Err(BlockError::Other(
                "compressed writes must cover exactly one cluster".into(),
            ));
        }
        match compress_cluster(cs, buf) {
            Some(c) => self.store_compressed(offset, &c),
            None => {
                self.mark_dirty()?;
                self.cow_write(offset, buf)
            }
        }
    }

    /// Stores one cluster's data compressed by [`compress_cluster`] at
    /// cluster-aligned guest `offset`.
    fn store_compressed(&mut self, offset: u64, out: &[u8]) -> Result<()> {
        let cs = self.cs;
        let clen = out.len();
        if !offset.is_multiple_of(cs) || clen as u64 >= cs - 512 || clen == 0 {
            return Err(BlockError::Other(
                "compressed data must fit one cluster at a cluster boundary".into(),
            ));
        }
        self.mark_dirty()?;
        let vc = offset / cs;
        self.l2_for_write(vc >> self.l2_bits)?;
        let old = self.l2_entry(vc)?;
        let place = match self.comp_cursor {
            Some(cur) if (cur % cs) + clen as u64 <= cs && cur % cs != 0 => {
                self.update_refcount(cur, 1, 1, false)?;
                cur
            }
            _ => self.alloc_clusters(1)?,
        };
        self.check_data_write(place, clen as u64)?;
        self.f.write_at(place, &out[..clen])?;
        let end = place + clen as u64;
        self.comp_cursor = if !end.is_multiple_of(cs) {
            Some(end)
        } else {
            None
        };
        let x = 62 - (self.cb - 8);
        let nsec = ((place & 511) + clen as u64).div_ceil(512);
        let entry = OFLAG_COMPRESSED | ((nsec - 1) << x) | place;
        self.set_l2_entry(vc, entry)?;
        let ct = self.classify(old);
        if matches!(ct, Ct::Normal(_) | Ct::ZeroAlloc(_) | Ct::Compressed(..)) {
            self.release(vec![ct])?;
        }
        Ok(())
    }
}

/// Compresses one cluster (`buf` up to `cs` bytes, zero-padded) as qcow2
/// stores it: raw deflate with a 4 KiB window. None when it does not save
/// at least one sector (the cluster is then written uncompressed).
pub fn compress_cluster(cs: u64, buf: &[u8]) -> Option<Vec<u8>> {
    let mut full = buf.to_vec();
    full.resize(cs as usize, 0);
    let mut c = flate2::Compress::new_with_window_bits(flate2::Compression::default(), false, 12);
    let mut out = vec![0u8; cs as usize + 1024];
    let st = c.compress(&full, &mut out, flate2::FlushCompress::Finish);
    let clen = c.total_out() as usize;
    if !matches!(st, Ok(flate2::Status::StreamEnd)) || clen as u64 >= cs - 512 {
        return None;
    }
    out.truncate(clen);
    Some(out)
}

impl Drop for Qcow2 {
    fn drop(&mut self) {
        let _ = BlockDriver::close(self);
    }
}
