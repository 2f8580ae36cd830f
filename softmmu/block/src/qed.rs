//! QED (QEMU Enhanced Disk): little-endian header, L1 -> L2 -> data, no
//! refcounts (clusters are appended at the end of the file), entry 1 means a
//! zero cluster, and a need-check flag that marks an image whose tables may be
//! inconsistent after a crash (checked and cleared on open).

use crate::driver::{check_range, BlockDriver, CheckReport, Extent, Fix};
use crate::error::{invalid, BlockError, Result};
use crate::file::HostFile;
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

pub const MAGIC: u32 = 0x0044_4551; // "QED\0" little-endian
const F_BACKING_FILE: u64 = 1;
const F_NEED_CHECK: u64 = 2;
const F_BACKING_NO_PROBE: u64 = 4;
const F_KNOWN: u64 = F_BACKING_FILE | F_NEED_CHECK | F_BACKING_NO_PROBE;
const ZERO_CLUSTER: u64 = 1;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QedHeader {
    pub cluster_size: u32,
    pub table_size: u32,
    pub header_size: u32,
    pub features: u64,
    pub compat_features: u64,
    pub autoclear_features: u64,
    pub l1_table_offset: u64,
    pub image_size: u64,
    pub backing_filename_offset: u32,
    pub backing_filename_size: u32,
}

fn le32(b: &[u8], o: usize) -> u32 {
    u32::from_le_bytes(b[o..o + 4].try_into().unwrap())
}
fn le64(b: &[u8], o: usize) -> u64 {
    u64::from_le_bytes(b[o..o + 8].try_into().unwrap())
}

impl QedHeader {
    pub fn parse(b: &[u8]) -> Result<QedHeader> {
        if b.len() < 64 || le32(b, 0) != MAGIC {
            return invalid("not a QED image");
        }
        let h = QedHeader {
            cluster_size: le32(b, 4),
            table_size: le32(b, 8),
            header_size: le32(b, 12),
            features: le64(b, 16),
            compat_features: le64(b, 24),
            autoclear_features: le64(b, 32),
            l1_table_offset: le64(b, 40),
            image_size: le64(b, 48),
            backing_filename_offset: le32(b, 56),
            backing_filename_size: le32(b, 60),
        };
        let cs = h.cluster_size as u64;
        if !cs.is_power_of_two() || !(4096..=(64 << 20)).contains(&cs) {
            return invalid("QED cluster size out of range");
        }
        if !h.table_size.is_power_of_two() || !(1..=16).contains(&h.table_size) {
            return invalid("QED table size out of range");
        }
        if h.header_size == 0 || h.header_size as u64 * cs > (1 << 30) {
            return invalid("QED header size out of range");
        }
        if h.features & !F_KNOWN != 0 {
            return Err(BlockError::Unsupported(format!(
                "QED features 0x{:x}",
                h.features & !F_KNOWN
            )));
        }
        if !h.l1_table_offset.is_multiple_of(cs) || h.l1_table_offset < h.header_size as u64 * cs {
            return invalid("QED L1 table offset invalid");
        }
        let entries = h.table_size as u64 * cs / 8;
        let max = entries.saturating_mul(entries).saturating_mul(cs);
        if h.image_size > max || !h.image_size.is_multiple_of(512) {
            return invalid("QED image size invalid");
        }
        if h.features & F_BACKING_FILE != 0 {
            let end = h.backing_filename_offset as u64 + h.backing_filename_size as u64;
            if end > h.header_size as u64 * cs || h.backing_filename_size > 1023 {
                return invalid("QED backing file name out of range");
            }
        }
        Ok(h)
    }

    pub fn serialize(&self) -> [u8; 64] {
        let mut b = [0u8; 64];
        b[0..4].copy_from_slice(&MAGIC.to_le_bytes());
        b[4..8].copy_from_slice(&self.cluster_size.to_le_bytes());
        b[8..12].copy_from_slice(&self.table_size.to_le_bytes());
        b[12..16].copy_from_slice(&self.header_size.to_le_bytes());
        b[16..24].copy_from_slice(&self.features.to_le_bytes());
        b[24..32].copy_from_slice(&self.compat_features.to_le_bytes());
        b[32..40].copy_from_slice(&self.autoclear_features.to_le_bytes());
        b[40..48].copy_from_slice(&self.l1_table_offset.to_le_bytes());
        b[48..56].copy_from_slice(&self.image_size.to_le_bytes());
        b[56..60].copy_from_slice(&self.backing_filename_offset.to_le_bytes());
        b[60..64].copy_from_slice(&self.backing_filename_size.to_le_bytes());
        b
    }
}

pub struct Qed {
    f: HostFile,
    h: QedHeader,
    cs: u64,
    entries: u64,
    l1: Vec<u64>,
    l2: HashMap<u64, Vec<u64>>,
    backing_name: Option<String>,
    backing_fmt: Option<String>,
    backing: Option<Box<dyn BlockDriver>>,
    ro: bool,
    need_check_set: bool,
    file_end: u64,
}

/// Creates a QED image (qemu's defaults: 64 KiB clusters, 4-cluster tables).
pub fn create(
    path: &Path,
    size: u64,
    cluster_size: u64,
    table_size: u32,
    backing: Option<(&str, Option<&str>)>,
) -> Result<()> {
    let h = QedHeader {
        cluster_size: cluster_size as u32,
        table_size,
        header_size: 1,
        features: if backing.is_some() { F_BACKING_FILE } else { 0 }
            | if matches!(backing, Some((_, Some("raw")))) {
                F_BACKING_NO_PROBE
            } else {
                0
            },
        compat_features: 0,
        autoclear_features: 0,
        l1_table_offset: cluster_size,
        image_size: size.div_ceil(512) * 512,
        backing_filename_offset: if backing.is_some() { 64 } else { 0 },
        backing_filename_size: backing.map(|(b, _)| b.len() as u32).unwrap_or(0),
    };
    let mut hb = h.serialize().to_vec();
    if let Some((b, _)) = backing {
        hb.extend_from_slice(b.as_bytes());
    }
    QedHeader::parse(&{
        let mut c = hb.clone();
        c.resize(cluster_size as usize, 0);
        c
    })?;
    let f = HostFile::create(path)?;
    f.write_at(0, &hb)?;
    let l1_bytes = table_size as u64 * cluster_size;
    f.write_at(cluster_size, &vec![0u8; l1_bytes as usize])?;
    f.sync()?;
    Ok(())
}

impl Qed {
    pub fn open(path: &Path, read_only: bool, no_backing: bool, depth: usize) -> Result<Qed> {
        let f = HostFile::open(path, read_only)?;
        let mut b = vec![0u8; 64];
        f.read_at(0, &mut b)?;
        let h = QedHeader::parse(&b)?;
        let cs = h.cluster_size as u64;
        let entries = h.table_size as u64 * cs / 8;
        let mut backing_name = None;
        if h.features & F_BACKING_FILE != 0 {
            let mut nb = vec![0u8; h.backing_filename_size as usize];
            f.read_at(h.backing_filename_offset as u64, &mut nb)?;
            backing_name = Some(String::from_utf8_lossy(&nb).into_owned());
        }
        let backing_fmt = if h.features & F_BACKING_NO_PROBE != 0 {
            Some("raw".to_string())
        } else {
            None
        };
        let file_end = f.len()?.div_ceil(cs) * cs;
        if h.l1_table_offset.saturating_add(entries * 8) > file_end {
            return invalid("QED table offset is invalid");
        }
        let mut q = Qed {
            l1: Vec::new(),
            l2: HashMap::new(),
            cs,
            entries,
            h,
            backing_name,
            backing_fmt,
            backing: None,
            ro: read_only,
            need_check_set: false,
            file_end,
            f,
        };
        q.l1 = q.read_table(q.h.l1_table_offset)?;
        if !no_backing {
            if let Some(bn) = q.backing_name.clone() {
                let bp = crate::qcow2::resolve_backing(path, &bn);
                let b = crate::open_chain(&bp, q.backing_fmt.as_deref(), true, depth + 1).map_err(
                    |e| {
                        BlockError::Other(format!(
                            "Could not open backing file '{}': {e}",
                            bp.display()
                        ))
                    },
                )?;
                q.backing = Some(b);
            }
        }
        if !read_only && q.h.features & F_NEED_CHECK != 0 {
            let r = q.check(Fix::All)?;
            if r.corruptions > r.corruptions_fixed {
                return Err(BlockError::Corrupt("QED image needs repair".into()));
            }
        }
        Ok(q)
    }

    fn read_table(&self, off: u64) -> Result<Vec<u64>> {
        let mut raw = vec![0u8; (self.entries * 8) as usize];
        self.f.read_at(off, &mut raw)?;
        Ok(raw
            .chunks_exact(8)
            .map(|c| u64::from_le_bytes(c.try_into().unwrap()))
            .collect())
    }

    fn table_ok(&self, off: u64) -> bool {
        off.is_multiple_of(self.cs)
            && off >= self.cs
            && off + self.entries * 8 <= self.file_end.max(off + 1)
            && off < self.file_end
    }

    fn l2(&mut self, off: u64) -> Result<&mut Vec<u64>> {
        if !self.l2.contains_key(&off) {
            if !self.table_ok(off) {
                return Err(BlockError::Corrupt(format!(
                    "QED L2 table offset 0x{off:x} invalid"
                )));
            }
            if self.l2.len() > 64 {
                self.l2.clear();
            }
            let t = self.read_table(off)?;
            self.l2.insert(off, t);
        }
        Ok(self.l2.get_mut(&off).unwrap())
    }

    fn idx(&self, pos: u64) -> (usize, usize) {
        let c = pos / self.cs;
        ((c / self.entries) as usize, (c % self.entries) as usize)
    }

    /// Data cluster entry for `pos` (0 unallocated, 1 zero, else offset).
    fn lookup(&mut self, pos: u64) -> Result<u64> {
        let (i1, i2) = self.idx(pos);
        let l2off = *self.l1.get(i1).unwrap_or(&0);
        if l2off == 0 {
            return Ok(0);
        }
        let e = self.l2(l2off)?[i2];
        if e > 1 && (!e.is_multiple_of(self.cs) || e >= self.file_end) {
            return Err(BlockError::Corrupt(format!(
                "QED data cluster offset 0x{e:x} invalid"
            )));
        }
        Ok(e)
    }

    fn set_need_check(&mut self) -> Result<()> {
        if !self.need_check_set {
            self.h.features |= F_NEED_CHECK;
            self.f.write_at(16, &self.h.features.to_le_bytes())?;
            self.f.sync()?;
            self.need_check_set = true;
        }
        Ok(())
    }

    fn alloc(&mut self, n: u64) -> u64 {
        let o = self.file_end;
        self.file_end += n * self.cs;
        o
    }

    /// Sets the L2 entry for `pos`, allocating the L2 table if needed.
    fn set_entry(&mut self, pos: u64, v: u64) -> Result<()> {
        let (i1, i2) = self.idx(pos);
        if i1 >= self.l1.len() {
            return Err(BlockError::Corrupt(
                "QED position beyond the L1 table".into(),
            ));
        }
        let mut l2off = self.l1[i1];
        if l2off == 0 {
            l2off = self.alloc(self.h.table_size as u64);
            let mut t = vec![0u64; self.entries as usize];
            t[i2] = v;
            let raw: Vec<u8> = t.iter().flat_map(|e| e.to_le_bytes()).collect();
            self.f.write_at(l2off, &raw)?;
            self.l2.insert(l2off, t);
            self.l1[i1] = l2off;
            self.f
                .write_at(self.h.l1_table_offset + i1 as u64 * 8, &l2off.to_le_bytes())?;
            return Ok(());
        }
        self.l2(l2off)?[i2] = v;
        self.f.write_at(l2off + i2 as u64 * 8, &v.to_le_bytes())
    }

    fn read_backing(&mut self, off: u64, buf: &mut [u8]) -> Result<()> {
        buf.fill(0);
        if let Some(b) = &mut self.backing {
            let bl = b.length();
            if off < bl {
                let n = ((bl - off) as usize).min(buf.len());
                b.read(off, &mut buf[..n])?;
            }
        }
        Ok(())
    }

    fn run(&mut self, pos: u64, len: u64) -> Result<(u64, u64)> {
        let e = self.lookup(pos)?;
        let in_off = pos % self.cs;
        let mut n = (self.cs - in_off).min(len);
        let mut k = 1;
        while n < len {
            let e2 = self.lookup(pos - in_off + k * self.cs)?;
            let same = match (e, e2) {
                (0, 0) | (1, 1) => true,
                (a, b) if a > 1 && b > 1 => b == a + k * self.cs,
                _ => false,
            };
            if !same {
                break;
            }
            n = (n + self.cs).min(len);
            k += 1;
        }
        Ok((if e > 1 { e + in_off } else { e }, n))
    }
}

impl BlockDriver for Qed {
    fn format_name(&self) -> &'static str {
        "qed"
    }
    fn length(&self) -> u64 {
        self.h.image_size
    }
    fn read(&mut self, offset: u64, buf: &mut [u8]) -> Result<()> {
        check_range(offset, buf.len() as u64, self.h.image_size)?;
        let mut p = 0usize;
        while p < buf.len() {
            let (e, n) = self.run(offset + p as u64, (buf.len() - p) as u64)?;
            let d = &mut buf[p..p + n as usize];
            match e {
                0 => self.read_backing(offset + p as u64, d)?,
                1 => d.fill(0),
                h => self.f.read_at(h, d)?,
            }
            p += n as usize;
        }
        Ok(())
    }
    fn write(&mut self, offset: u64, buf: &[u8]) -> Result<()> {
        if self.ro {
            return Err(BlockError::ReadOnly);
        }
        check_range(offset, buf.len() as u64, self.h.image_size)?;
        let cs = self.cs;
        let mut p = 0usize;
        while p < buf.len() {
            let pos = offset + p as u64;
            let in_off = pos % cs;
            let n = ((cs - in_off) as usize).min(buf.len() - p);
            let e = self.lookup(pos)?;
            if e > 1 {
                self.f.write_at(e + in_off, &buf[p..p + n])?;
            } else {
                self.set_need_check()?;
                let mut c = vec![0u8; cs as usize];
                if e == 0 && n < cs as usize {
                    self.read_backing(pos - in_off, &mut c)?;
                }
                c[in_off as usize..in_off as usize + n].copy_from_slice(&buf[p..p + n]);
                let h = self.alloc(1);
                self.f.write_at(h, &c)?;
                self.set_entry(pos, h)?;
            }
            p += n;
        }
        Ok(())
    }
    fn flush(&mut self) -> Result<()> {
        if self.ro {
            return Ok(());
        }
        self.f.sync()
    }
    fn discard(&mut self, offset: u64, len: u64) -> Result<()> {
        // QED has no way to free clusters: leave the content unchanged.
        check_range(offset, len, self.h.image_size)
    }
    fn write_zeroes(&mut self, offset: u64, len: u64, _may_unmap: bool) -> Result<()> {
        if self.ro {
            return Err(BlockError::ReadOnly);
        }
        check_range(offset, len, self.h.image_size)?;
        let cs = self.cs;
        let end = offset + len;
        let mut pos = offset;
        while pos < end {
            let in_off = pos % cs;
            let n = (cs - in_off).min(end - pos);
            let e = self.lookup(pos)?;
            if n == cs && e <= 1 {
                if e == 0 {
                    self.set_need_check()?;
                    self.set_entry(pos, ZERO_CLUSTER)?;
                }
            } else if e == 1 {
            } else {
                self.write(pos, &vec![0u8; n as usize])?;
            }
            pos += n;
        }
        Ok(())
    }
    fn block_status(&mut self, offset: u64, len: u64) -> Result<Extent> {
        check_range(offset, len, self.h.image_size)?;
        let (e, n) = self.run(offset, len)?;
        Ok(match e {
            0 => Extent::unallocated(n),
            1 => Extent {
                len: n,
                allocated: true,
                data: false,
                zero: true,
                compressed: false,
                offset: None,
            },
            h => Extent {
                len: n,
                allocated: true,
                data: true,
                zero: false,
                compressed: false,
                offset: Some(h),
            },
        })
    }
    fn resize(&mut self, new_len: u64, allow_shrink: bool) -> Result<()> {
        if self.ro {
            return Err(BlockError::ReadOnly);
        }
        if new_len < self.h.image_size {
            let _ = allow_shrink;
            return Err(BlockError::Unsupported("shrinking QED images".into()));
        }
        let max = self.entries * self.entries * self.cs;
        if new_len > max || !new_len.is_multiple_of(512) {
            return Err(BlockError::Other("Invalid image size specified".into()));
        }
        self.h.image_size = new_len;
        self.f.write_at(48, &new_len.to_le_bytes())?;
        self.f.sync()
    }
    fn cluster_size(&self) -> Option<u64> {
        Some(self.cs)
    }
    fn backing_file(&self) -> Option<(String, Option<String>)> {
        self.backing_name
            .clone()
            .map(|b| (b, self.backing_fmt.clone()))
    }
    fn backing(&mut self) -> Option<&mut dyn BlockDriver> {
        match &mut self.backing {
            Some(b) => Some(b.as_mut()),
            None => None,
        }
    }
    fn set_backing_file(&mut self, file: Option<&str>, fmt: Option<&str>) -> Result<()> {
        if self.ro {
            return Err(BlockError::ReadOnly);
        }
        let name = file.unwrap_or("");
        if 64 + name.len() as u64 > self.h.header_size as u64 * self.cs || name.len() > 1023 {
            return Err(BlockError::Other("backing file name too long".into()));
        }
        self.h.features &= !(F_BACKING_FILE | F_BACKING_NO_PROBE);
        self.h.backing_filename_offset = 0;
        self.h.backing_filename_size = 0;
        if file.is_some() {
            self.h.features |= F_BACKING_FILE;
            if fmt == Some("raw") {
                self.h.features |= F_BACKING_NO_PROBE;
            }
            self.h.backing_filename_offset = 64;
            self.h.backing_filename_size = name.len() as u32;
            self.f.write_at(64, name.as_bytes())?;
        }
        self.f.write_at(0, &self.h.serialize())?;
        self.f.sync()?;
        self.backing_name = file.map(|s| s.to_string());
        self.backing_fmt = if fmt == Some("raw") {
            Some("raw".into())
        } else {
            None
        };
        Ok(())
    }
    fn make_empty(&mut self) -> Result<()> {
        if self.ro {
            return Err(BlockError::ReadOnly);
        }
        self.l1.iter_mut().for_each(|e| *e = 0);
        self.l2.clear();
        let raw = vec![0u8; (self.entries * 8) as usize];
        self.f.write_at(self.h.l1_table_offset, &raw)?;
        self.f.set_len(self.h.l1_table_offset + self.entries * 8)?;
        self.file_end = self.f.len()?.div_ceil(self.cs) * self.cs;
        self.f.sync()
    }
    fn check(&mut self, fix: Fix) -> Result<CheckReport> {
        let cs = self.cs;
        let nclusters = self.f.len()?.div_ceil(cs);
        self.file_end = nclusters * cs;
        let mut r = CheckReport {
            total_clusters: Some(self.h.image_size.div_ceil(cs)),
            ..Default::default()
        };
        let mut used: HashSet<u64> = HashSet::new();
        for c in 0..self.h.header_size as u64 + self.h.table_size as u64 {
            used.insert(
                c + if c >= self.h.header_size as u64 {
                    self.h.l1_table_offset / cs - self.h.header_size as u64
                } else {
                    0
                },
            );
        }
        let can_fix = fix == Fix::All && !self.f.read_only;
        let mut alloc = 0u64;
        let mut frag = 0u64;
        let mut next = 0u64;
        self.l2.clear();
        for i in 0..self.l1.len() {
            let l2off = self.l1[i];
            if l2off == 0 {
                continue;
            }
            if !self.table_ok(l2off) || l2off + self.h.table_size as u64 * cs > self.file_end {
                r.corruptions += 1;
                r.messages
                    .push(format!("ERROR invalid L2 table offset 0x{l2off:x}"));
                if can_fix {
                    self.l1[i] = 0;
                    self.f
                        .write_at(self.h.l1_table_offset + i as u64 * 8, &0u64.to_le_bytes())?;
                    r.corruptions_fixed += 1;
                }
                continue;
            }
            for k in 0..self.h.table_size as u64 {
                used.insert(l2off / cs + k);
            }
            let t = self.read_table(l2off)?;
            for (j, &e) in t.iter().enumerate() {
                if e <= 1 {
                    continue;
                }
                if !e.is_multiple_of(cs) || e >= self.file_end {
                    r.corruptions += 1;
                    r.messages
                        .push(format!("ERROR invalid cluster offset 0x{e:x}"));
                    if can_fix {
                        self.f.write_at(l2off + j as u64 * 8, &0u64.to_le_bytes())?;
                        r.corruptions_fixed += 1;
                    }
                    continue;
                }
                alloc += 1;
                if next != 0 && e != next {
                    frag += 1;
                }
                next = e + cs;
                used.insert(e / cs);
            }
        }
        self.l2.clear();
        // Clusters past the last one in use were allocated by a write
        // that a crash cut short before its table update (allocation
        // appends): a repair gives them back by truncating the file.
        let end = used.iter().max().map_or(0, |&c| c + 1);
        if fix != Fix::None && !self.f.read_only && end < nclusters {
            self.f.set_len(end * cs)?;
            self.f.sync()?;
            r.leaks_fixed += nclusters - end;
            self.file_end = end * cs;
        }
        for c in 0..self.file_end / cs {
            if !used.contains(&c) {
                r.leaks += 1;
            }
        }
        r.allocated_clusters = Some(alloc);
        r.fragmented_clusters = Some(frag);
        r.compressed_clusters = Some(0);
        if !self.f.read_only && fix != Fix::None && r.corruptions == r.corruptions_fixed {
            self.h.features &= !F_NEED_CHECK;
            self.f.write_at(16, &self.h.features.to_le_bytes())?;
            self.f.sync()?;
            self.need_check_set = false;
        }
        Ok(r)
    }
    fn dirty(&self) -> bool {
        false
    }
    fn set_unsafe_cache(&mut self, on: bool) {
        self.f.no_sync = on;
    }
    fn file_path(&self) -> Option<PathBuf> {
        Some(self.f.path.clone())
    }
    fn close(&mut self) -> Result<()> {
        if self.ro {
            return Ok(());
        }
        self.f.sync()?;
        if self.need_check_set {
            self.h.features &= !F_NEED_CHECK;
            self.f.write_at(16, &self.h.features.to_le_bytes())?;
            self.f.sync()?;
            self.need_check_set = false;
        }
        Ok(())
    }
}

impl Drop for Qed {
    fn drop(&mut self) {
        let _ = BlockDriver::close(self);
    }
}
