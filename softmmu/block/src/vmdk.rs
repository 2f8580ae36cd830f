//! VMDK: hosted sparse extents (monolithicSparse, streamOptimized with
//! compressed grains and markers, twoGbMaxExtentSparse), flat extents
//! (monolithicFlat, twoGbMaxExtentFlat) and zero extents, described by a
//! text descriptor (embedded in the sparse file or separate).

use crate::driver::{check_range, BlockDriver, CheckReport, Extent, Fix};
use crate::error::{invalid, BlockError, Result};
use crate::file::HostFile;
use crate::json::Json;
use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};

pub const MAGIC: u32 = 0x564d_444b; // "KDMV"
const FLAG_NL_DETECT: u32 = 1 << 0;
const FLAG_RGD: u32 = 1 << 1;
const FLAG_ZERO_GRAIN: u32 = 1 << 2;
const FLAG_COMPRESS: u32 = 1 << 16;
const FLAG_MARKER: u32 = 1 << 17;
const GD_AT_END: u64 = 0xffff_ffff_ffff_ffff;
const SECTOR: u64 = 512;
/// Largest descriptor Mimic parses.
const MAX_DESC: u64 = 1 << 20;

fn le32(b: &[u8], o: usize) -> u32 {
    u32::from_le_bytes(b[o..o + 4].try_into().unwrap())
}
fn le64(b: &[u8], o: usize) -> u64 {
    u64::from_le_bytes(b[o..o + 8].try_into().unwrap())
}

/// The 512-byte sparse extent header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SparseHeader {
    pub version: u32,
    pub flags: u32,
    pub capacity: u64,
    pub grain_size: u64,
    pub desc_offset: u64,
    pub desc_size: u64,
    pub num_gtes_per_gt: u32,
    pub rgd_offset: u64,
    pub gd_offset: u64,
    pub overhead: u64,
    pub compress_algorithm: u16,
}

impl SparseHeader {
    pub fn parse(b: &[u8]) -> Result<SparseHeader> {
        if b.len() < 512 || le32(b, 0) != MAGIC {
            return invalid("not a VMDK sparse extent");
        }
        let h = SparseHeader {
            version: le32(b, 4),
            flags: le32(b, 8),
            capacity: le64(b, 12),
            grain_size: le64(b, 20),
            desc_offset: le64(b, 28),
            desc_size: le64(b, 36),
            num_gtes_per_gt: le32(b, 44),
            rgd_offset: le64(b, 48),
            gd_offset: le64(b, 56),
            overhead: le64(b, 64),
            compress_algorithm: u16::from_le_bytes([b[77], b[78]]),
        };
        if !(1..=3).contains(&h.version) {
            return Err(BlockError::Unsupported(format!(
                "VMDK version {}",
                h.version
            )));
        }
        if !h.grain_size.is_power_of_two() || h.grain_size > 4096 {
            return invalid("VMDK grain size invalid");
        }
        if h.num_gtes_per_gt == 0 || h.num_gtes_per_gt > 64 * 1024 {
            return invalid("VMDK GTEs per GT invalid");
        }
        if h.capacity > (1u64 << 40) {
            return invalid("VMDK capacity too large");
        }
        if h.desc_size > MAX_DESC / SECTOR {
            return invalid("VMDK descriptor too large");
        }
        Ok(h)
    }

    pub fn serialize(&self) -> [u8; 512] {
        let mut b = [0u8; 512];
        b[0..4].copy_from_slice(&MAGIC.to_le_bytes());
        b[4..8].copy_from_slice(&self.version.to_le_bytes());
        b[8..12].copy_from_slice(&self.flags.to_le_bytes());
        b[12..20].copy_from_slice(&self.capacity.to_le_bytes());
        b[20..28].copy_from_slice(&self.grain_size.to_le_bytes());
        b[28..36].copy_from_slice(&self.desc_offset.to_le_bytes());
        b[36..44].copy_from_slice(&self.desc_size.to_le_bytes());
        b[44..48].copy_from_slice(&self.num_gtes_per_gt.to_le_bytes());
        b[48..56].copy_from_slice(&self.rgd_offset.to_le_bytes());
        b[56..64].copy_from_slice(&self.gd_offset.to_le_bytes());
        b[64..72].copy_from_slice(&self.overhead.to_le_bytes());
        b[72] = 0;
        b[73] = b'\n';
        b[74] = b' ';
        b[75] = b'\r';
        b[76] = b'\n';
        b[77..79].copy_from_slice(&self.compress_algorithm.to_le_bytes());
        b
    }
}

/// One hosted sparse extent.
struct Sparse {
    f: HostFile,
    h: SparseHeader,
    grain: u64,
    gd: Vec<u32>,
    rgd: Vec<u32>,
    gts: HashMap<u32, Vec<u32>>,
    compressed: bool,
    file_end: u64,
}

impl Sparse {
    fn open(path: &Path, ro: bool) -> Result<Sparse> {
        let f = HostFile::open(path, ro)?;
        let mut b = vec![0u8; 512];
        f.read_at(0, &mut b)?;
        let mut h = SparseHeader::parse(&b)?;
        let flen = f.len()?;
        if h.gd_offset == GD_AT_END {
            // streamOptimized with the footer holding the real header.
            if flen < 1536 {
                return invalid("VMDK stream footer missing");
            }
            let mut fb = vec![0u8; 512];
            f.read_at(flen - 1024, &mut fb)?;
            h = SparseHeader::parse(&fb)?;
            if h.gd_offset == GD_AT_END {
                return invalid("VMDK footer has no grain directory");
            }
        }
        let grain = h.grain_size * SECTOR;
        let gt_cover = h.num_gtes_per_gt as u64 * grain;
        let ngt = (h.capacity * SECTOR).div_ceil(gt_cover);
        if ngt > (1 << 24) || h.gd_offset.saturating_mul(SECTOR).saturating_add(ngt * 4) > flen {
            return invalid("VMDK grain directory too large or beyond the end of the file");
        }
        if h.flags & FLAG_RGD != 0
            && h.rgd_offset.saturating_mul(SECTOR).saturating_add(ngt * 4) > flen
        {
            return invalid("VMDK redundant grain directory beyond the end of the file");
        }
        let read_dir = |off: u64| -> Result<Vec<u32>> {
            let mut raw = vec![0u8; (ngt * 4) as usize];
            f.read_at(off * SECTOR, &mut raw)?;
            Ok(raw
                .chunks_exact(4)
                .map(|c| u32::from_le_bytes(c.try_into().unwrap()))
                .collect())
        };
        let gd = read_dir(h.gd_offset)?;
        let rgd = if h.flags & FLAG_RGD != 0 && h.rgd_offset != 0 {
            read_dir(h.rgd_offset)?
        } else {
            Vec::new()
        };
        let compressed = h.flags & FLAG_COMPRESS != 0;
        if compressed && h.compress_algorithm != 1 {
            return Err(BlockError::Unsupported("VMDK compression algorithm".into()));
        }
        Ok(Sparse {
            file_end: flen.div_ceil(SECTOR) * SECTOR,
            f,
            h,
            grain,
            gd,
            rgd,
            gts: HashMap::new(),
            compressed,
        })
    }

    fn gt(&mut self, sector: u32) -> Result<&mut Vec<u32>> {
        if !self.gts.contains_key(&sector) {
            if sector as u64 * SECTOR >= self.file_end {
                return Err(BlockError::Corrupt(format!(
                    "VMDK grain table at sector {sector} beyond end of file"
                )));
            }
            if self.gts.len() > 256 {
                self.gts.clear();
            }
            let mut raw = vec![0u8; self.h.num_gtes_per_gt as usize * 4];
            self.f.read_at(sector as u64 * SECTOR, &mut raw)?;
            let t = raw
                .chunks_exact(4)
                .map(|c| u32::from_le_bytes(c.try_into().unwrap()))
                .collect();
            self.gts.insert(sector, t);
        }
        Ok(self.gts.get_mut(&sector).unwrap())
    }

    /// Grain table entry for byte `pos` of the extent.
    fn lookup(&mut self, pos: u64) -> Result<u32> {
        let g = pos / self.grain;
        let n = self.h.num_gtes_per_gt as u64;
        let gdi = (g / n) as usize;
        let Some(&gts) = self.gd.get(gdi) else {
            return Ok(0);
        };
        if gts == 0 {
            return Ok(0);
        }
        Ok(self.gt(gts)?[(g % n) as usize])
    }

    fn read_grain_compressed(&mut self, sector: u32) -> Result<Vec<u8>> {
        let off = sector as u64 * SECTOR;
        let mut m = [0u8; 12];
        self.f.read_at(off, &mut m)?;
        let size = le32(&m, 8) as u64;
        if size > 2 * self.grain + 4096 {
            return Err(BlockError::Corrupt(
                "VMDK compressed grain too large".into(),
            ));
        }
        let mut src = vec![0u8; size as usize];
        self.f.read_at(off + 12, &mut src)?;
        let mut out = Vec::with_capacity(self.grain as usize);
        flate2::read::ZlibDecoder::new(&src[..])
            .take(self.grain)
            .read_to_end(&mut out)
            .map_err(|e| {
                BlockError::Io(std::io::Error::other(format!(
                    "VMDK grain decompression failed: {e}"
                )))
            })?;
        out.resize(self.grain as usize, 0);
        Ok(out)
    }

    fn alloc(&mut self, bytes: u64) -> u64 {
        let o = self.file_end;
        self.file_end += bytes.div_ceil(SECTOR) * SECTOR;
        o
    }

    /// Sets the grain table entry for `pos` (allocating tables if needed).
    fn set_entry(&mut self, pos: u64, v: u32) -> Result<()> {
        let g = pos / self.grain;
        let n = self.h.num_gtes_per_gt as u64;
        let gdi = (g / n) as usize;
        let idx = (g % n) as usize;
        if gdi >= self.gd.len() {
            return Err(BlockError::Corrupt(
                "VMDK position beyond the grain directory".into(),
            ));
        }
        let gt_bytes = n * 4;
        if self.gd[gdi] == 0 {
            for (dir, dir_off) in [(0, self.h.gd_offset), (1, self.h.rgd_offset)] {
                if dir == 1 && self.rgd.is_empty() {
                    continue;
                }
                let o = self.alloc(gt_bytes);
                self.f.write_at(
                    o,
                    &vec![0u8; gt_bytes.div_ceil(SECTOR) as usize * SECTOR as usize],
                )?;
                let s = (o / SECTOR) as u32;
                if dir == 0 {
                    self.gd[gdi] = s;
                } else {
                    self.rgd[gdi] = s;
                }
                self.f
                    .write_at(dir_off * SECTOR + gdi as u64 * 4, &s.to_le_bytes())?;
            }
        }
        let gts = self.gd[gdi];
        self.gt(gts)?[idx] = v;
        self.f
            .write_at(gts as u64 * SECTOR + idx as u64 * 4, &v.to_le_bytes())?;
        if let Some(&r) = self.rgd.get(gdi) {
            if r != 0 {
                self.f
                    .write_at(r as u64 * SECTOR + idx as u64 * 4, &v.to_le_bytes())?;
                self.gts.remove(&r);
            }
        }
        Ok(())
    }
}

enum Kind {
    Flat { f: HostFile, offset: u64 },
    Sparse(Box<Sparse>),
    Zero,
}

struct Ext {
    start: u64,
    len: u64,
    kind: Kind,
    name: String,
    /// Descriptor type ("SPARSE", "FLAT", ...), empty when embedded.
    ty: String,
}

pub struct Vmdk {
    path: PathBuf,
    exts: Vec<Ext>,
    size: u64,
    create_type: String,
    cid: u32,
    parent_cid: u32,
    parent_hint: Option<String>,
    backing: Option<Box<dyn BlockDriver>>,
    ro: bool,
    /// A separate descriptor file, held open for its image locks.
    _desc_file: Option<HostFile>,
}

/// Parsed descriptor: (key=value pairs, extent lines).
struct Descriptor {
    kv: HashMap<String, String>,
    extents: Vec<(String, u64, String, String, u64)>,
}

fn parse_descriptor(text: &str) -> Result<Descriptor> {
    let mut kv = HashMap::new();
    let mut extents = Vec::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if line.starts_with("RW ") || line.starts_with("RDONLY ") || line.starts_with("NOACCESS ") {
            let mut parts = line.splitn(3, ' ');
            let access = parts.next().unwrap_or("").to_string();
            let sectors: u64 = parts
                .next()
                .unwrap_or("")
                .parse()
                .map_err(|_| BlockError::Invalid("bad VMDK extent size".into()))?;
            let rest = parts.next().unwrap_or("").trim();
            let (ty, rest) = rest.split_once(' ').unwrap_or((rest, ""));
            let rest = rest.trim();
            let (name, tail) = if let Some(r) = rest.strip_prefix('"') {
                match r.split_once('"') {
                    Some((n, t)) => (n.to_string(), t.trim()),
                    None => return invalid("bad VMDK extent file name"),
                }
            } else {
                (String::new(), rest)
            };
            let off: u64 = if tail.is_empty() {
                0
            } else {
                tail.parse()
                    .map_err(|_| BlockError::Invalid("bad VMDK extent offset".into()))?
            };
            if sectors > (1 << 40) || off > (1 << 50) {
                return invalid("VMDK extent too large");
            }
            extents.push((access, sectors, ty.to_string(), name, off));
        } else if let Some((k, v)) = line.split_once('=') {
            kv.insert(k.trim().to_string(), v.trim().trim_matches('"').to_string());
        }
    }
    if extents.len() > 4096 {
        return invalid("too many VMDK extents");
    }
    Ok(Descriptor { kv, extents })
}

fn descriptor_text(
    create_type: &str,
    cid: u32,
    parent: Option<(u32, &str)>,
    extents: &[String],
    size: u64,
    adapter: &str,
    hw: &str,
) -> String {
    let mut s = String::new();
    s += "# Disk DescriptorFile\nversion=1\n";
    s += &format!("CID={cid:08x}\n");
    match parent {
        Some((pcid, hint)) => {
            s += &format!("parentCID={pcid:08x}\nparentFileNameHint=\"{hint}\"\n")
        }
        None => s += "parentCID=ffffffff\n",
    }
    s += &format!("createType=\"{create_type}\"\n\n# Extent description\n");
    for e in extents {
        s += e;
        s += "\n";
    }
    s += "\n# The Disk Data Base\n#DDB\n\n";
    s += &format!("ddb.virtualHWVersion = \"{hw}\"\n");
    s += &format!("ddb.geometry.cylinders = \"{}\"\n", size / (63 * 16 * 512));
    s += "ddb.geometry.heads = \"16\"\nddb.geometry.sectors = \"63\"\n";
    s += &format!("ddb.adapterType = \"{adapter}\"\n");
    s += "ddb.toolsVersion = \"2147483647\"\n";
    s
}

fn random_cid() -> u32 {
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    let mut x = t.as_nanos() as u64 ^ ((std::process::id() as u64) << 32);
    x ^= x >> 33;
    x = x.wrapping_mul(0xff51_afd7_ed55_8ccd);
    x ^= x >> 33;
    x as u32
}

/// Options for creating a VMDK image.
#[derive(Debug, Clone)]
pub struct CreateOpts {
    pub size: u64,
    /// monolithicSparse, monolithicFlat or streamOptimized.
    pub subformat: String,
    pub adapter_type: String,
    pub hwversion: String,
    pub zeroed_grain: bool,
    pub backing: Option<String>,
}

/// Writes a sparse extent file with qemu's layout (header, descriptor,
/// redundant GD+GTs, GD+GTs, grains from `overhead`).
fn create_sparse(
    path: &Path,
    sectors: u64,
    desc: Option<&str>,
    stream: bool,
    zeroed: bool,
) -> Result<()> {
    let grain = 128u64;
    let gtes = 512u64;
    let gt_count = sectors.div_ceil(grain * gtes);
    let gd_sectors = (gt_count * 4).div_ceil(SECTOR);
    let gt_sectors = gtes * 4 / SECTOR;
    let desc_offset = 1u64;
    let desc_size = 20u64;
    let rgd = desc_offset + desc_size;
    let gd = rgd + gd_sectors + gt_sectors * gt_count;
    let overhead = (gd + gd_sectors + gt_sectors * gt_count).div_ceil(grain) * grain;
    let mut flags = FLAG_NL_DETECT | FLAG_RGD;
    if zeroed {
        flags |= FLAG_ZERO_GRAIN;
    }
    if stream {
        flags |= FLAG_COMPRESS | FLAG_MARKER;
    }
    let h = SparseHeader {
        version: if stream {
            3
        } else if zeroed {
            2
        } else {
            1
        },
        flags,
        capacity: sectors,
        grain_size: grain,
        desc_offset,
        desc_size,
        num_gtes_per_gt: gtes as u32,
        rgd_offset: rgd,
        gd_offset: gd,
        overhead,
        compress_algorithm: if stream { 1 } else { 0 },
    };
    let f = HostFile::create(path)?;
    f.write_at(0, &h.serialize())?;
    if let Some(d) = desc {
        if d.len() as u64 > desc_size * SECTOR {
            return invalid("VMDK descriptor too long");
        }
        f.write_at(desc_offset * SECTOR, d.as_bytes())?;
    }
    for (dir, first_gt) in [(rgd, rgd + gd_sectors), (gd, gd + gd_sectors)] {
        let mut raw = Vec::with_capacity((gt_count * 4) as usize);
        for i in 0..gt_count {
            raw.extend_from_slice(&((first_gt + i * gt_sectors) as u32).to_le_bytes());
        }
        f.write_at(dir * SECTOR, &raw)?;
    }
    f.set_len(overhead * SECTOR)?;
    f.sync()
}

pub fn create(path: &Path, o: &CreateOpts) -> Result<()> {
    let sectors = o.size.div_ceil(SECTOR);
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let cid = random_cid();
    let parent = match &o.backing {
        Some(b) => {
            let bp = crate::qcow2::resolve_backing(path, b);
            let p = Vmdk::open(&bp, true, true, 1)
                .map_err(|e| BlockError::Other(format!("Could not open backing file: {e}")))?;
            Some((p.cid, b.as_str()))
        }
        None => None,
    };
    let zeroed = o.zeroed_grain;
    match o.subformat.as_str() {
        "monolithicSparse" | "streamOptimized" => {
            let stream = o.subformat == "streamOptimized";
            let ext = format!("RW {sectors} SPARSE \"{name}\"");
            let d = descriptor_text(
                &o.subformat,
                cid,
                parent,
                &[ext],
                o.size,
                &o.adapter_type,
                &o.hwversion,
            );
            create_sparse(path, sectors, Some(&d), stream, zeroed)
        }
        "monolithicFlat" => {
            let stem = name.strip_suffix(".vmdk").unwrap_or(&name);
            let flat = format!("{stem}-flat.vmdk");
            let ext = format!("RW {sectors} FLAT \"{flat}\" 0");
            let d = descriptor_text(
                &o.subformat,
                cid,
                parent,
                &[ext],
                o.size,
                &o.adapter_type,
                &o.hwversion,
            );
            let fp = path.with_file_name(&flat);
            let ff = HostFile::create(&fp)?;
            ff.set_len(sectors * SECTOR)?;
            std::fs::write(path, d)?;
            Ok(())
        }
        other => Err(BlockError::Unsupported(format!(
            "VMDK subformat '{other}' for create"
        ))),
    }
}

impl Vmdk {
    pub fn open(path: &Path, ro: bool, no_backing: bool, depth: usize) -> Result<Vmdk> {
        // Read unlocked: an embedded descriptor's file is locked as an extent.
        let f = HostFile::open_unlocked(path, true)?;
        let mut first = vec![0u8; 512];
        f.read_at(0, &mut first)?;
        let desc_file = if le32(&first, 0) == MAGIC {
            None
        } else {
            Some(HostFile::open(path, ro)?)
        };
        let text = if le32(&first, 0) == MAGIC {
            let h = SparseHeader::parse(&first)?;
            if h.desc_offset == 0 {
                // A bare sparse extent: describe it ourselves.
                format!(
                    "createType=\"monolithicSparse\"\nRW {} SPARSE \"{}\"\n",
                    h.capacity,
                    path.file_name().unwrap_or_default().to_string_lossy()
                )
            } else {
                let mut d = vec![0u8; (h.desc_size * SECTOR) as usize];
                let at = h
                    .desc_offset
                    .checked_mul(SECTOR)
                    .ok_or_else(|| BlockError::Invalid("VMDK descriptor offset invalid".into()))?;
                f.read_at(at, &mut d)?;
                let end = d.iter().position(|&c| c == 0).unwrap_or(d.len());
                String::from_utf8_lossy(&d[..end]).into_owned()
            }
        } else {
            let len = f.len()?;
            if len > MAX_DESC {
                return invalid("VMDK descriptor file too large");
            }
            let mut d = vec![0u8; len as usize];
            f.read_at(0, &mut d)?;
            let s = String::from_utf8_lossy(&d).into_owned();
            if !s.contains("createType") {
                return invalid("not a VMDK descriptor");
            }
            s
        };
        drop(f);
        let desc = parse_descriptor(&text)?;
        let dir = path.parent().map(|p| p.to_path_buf()).unwrap_or_default();
        let mut exts = Vec::new();
        let mut start = 0u64;
        for (access, sectors, ty, name, off) in &desc.extents {
            let ext_ro = ro || access != "RW";
            let fp = if Path::new(name).is_absolute() {
                PathBuf::from(name)
            } else {
                dir.join(name)
            };
            let len = sectors * SECTOR;
            let kind = match ty.as_str() {
                "FLAT" | "VMFS" => Kind::Flat {
                    f: HostFile::open(&fp, ext_ro)?,
                    offset: off * SECTOR,
                },
                "SPARSE" | "VMFSSPARSE" => {
                    let s = Sparse::open(&fp, ext_ro)?;
                    Kind::Sparse(Box::new(s))
                }
                "ZERO" => Kind::Zero,
                other => return Err(BlockError::Unsupported(format!("VMDK extent type {other}"))),
            };
            let embedded = fp.file_name() == path.file_name() && fp.parent() == path.parent();
            let ty = if embedded { String::new() } else { ty.clone() };
            exts.push(Ext {
                start,
                len,
                kind,
                name: fp.to_string_lossy().into_owned(),
                ty,
            });
            start += len;
        }
        if exts.is_empty() {
            return invalid("VMDK descriptor has no extents");
        }
        let hex = |k: &str| desc.kv.get(k).and_then(|v| u32::from_str_radix(v, 16).ok());
        let mut v = Vmdk {
            path: path.to_path_buf(),
            exts,
            size: start,
            create_type: desc.kv.get("createType").cloned().unwrap_or_default(),
            cid: hex("CID").unwrap_or(0),
            parent_cid: hex("parentCID").unwrap_or(0xffff_ffff),
            parent_hint: desc.kv.get("parentFileNameHint").cloned(),
            backing: None,
            ro,
            _desc_file: desc_file,
        };
        if !no_backing {
            if let Some(p) = v.parent_hint.clone() {
                let bp = crate::qcow2::resolve_backing(path, &p);
                v.backing = Some(
                    crate::open_chain(&bp, Some("vmdk"), true, depth + 1).map_err(|e| {
                        BlockError::Other(format!(
                            "Could not open backing file '{}': {e}",
                            bp.display()
                        ))
                    })?,
                );
            }
        }
        Ok(v)
    }

    fn ext_at(&self, pos: u64) -> usize {
        self.exts.partition_point(|e| e.start + e.len <= pos)
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

    /// One run inside one extent: (entry kind, host byte offset, len).
    fn run(&mut self, pos: u64, len: u64) -> Result<(u8, u64, u64)> {
        let i = self.ext_at(pos);
        let e = &mut self.exts[i];
        let rel = pos - e.start;
        let max = len.min(e.len - rel);
        match &mut e.kind {
            Kind::Flat { offset, .. } => Ok((3, *offset + rel, max)),
            Kind::Zero => Ok((1, 0, max)),
            Kind::Sparse(s) => {
                let g = s.grain;
                let in_off = rel % g;
                let first = s.lookup(rel)?;
                let zeroed = s.h.flags & FLAG_ZERO_GRAIN != 0;
                let kind = |v: u32, s: &Sparse| -> u8 {
                    if v == 0 {
                        0
                    } else if v == 1 && zeroed {
                        1
                    } else if s.compressed {
                        4
                    } else {
                        2
                    }
                };
                let k = kind(first, s);
                let mut n = (g - in_off).min(max);
                if k == 4 {
                    return Ok((4, first as u64 * SECTOR, n));
                }
                let mut j = 1u64;
                while n < max {
                    let v = s.lookup(rel - in_off + j * g)?;
                    let k2 = kind(v, s);
                    let same = k2 == k && (k != 2 || v as u64 == first as u64 + j * s.h.grain_size);
                    if !same {
                        break;
                    }
                    n = (n + g).min(max);
                    j += 1;
                }
                if k == 2 && first as u64 * SECTOR >= s.file_end {
                    return Err(BlockError::Corrupt(format!(
                        "VMDK grain at sector {first} beyond end of file"
                    )));
                }
                Ok((
                    k,
                    if k == 2 {
                        first as u64 * SECTOR + in_off
                    } else {
                        0
                    },
                    n,
                ))
            }
        }
    }
}

impl BlockDriver for Vmdk {
    fn format_name(&self) -> &'static str {
        "vmdk"
    }
    fn length(&self) -> u64 {
        self.size
    }
    fn read(&mut self, offset: u64, buf: &mut [u8]) -> Result<()> {
        check_range(offset, buf.len() as u64, self.size)?;
        let mut p = 0usize;
        while p < buf.len() {
            let pos = offset + p as u64;
            let (k, host, n) = self.run(pos, (buf.len() - p) as u64)?;
            let i = self.ext_at(pos);
            let d = &mut buf[p..p + n as usize];
            match k {
                0 => self.read_backing(pos, d)?,
                1 => d.fill(0),
                2 => match &self.exts[i].kind {
                    Kind::Sparse(s) => s.f.read_at(host, d)?,
                    _ => unreachable!(),
                },
                3 => match &self.exts[i].kind {
                    Kind::Flat { f, .. } => f.read_at(host, d)?,
                    _ => unreachable!(),
                },
                _ => {
                    let e = &mut self.exts[i];
                    let rel = pos - e.start;
                    if let Kind::Sparse(s) = &mut e.kind {
                        let g = s.read_grain_compressed((host / SECTOR) as u32)?;
                        let io = (rel % s.grain) as usize;
                        d.copy_from_slice(&g[io..io + n as usize]);
                    }
                }
            }
            p += n as usize;
        }
        Ok(())
    }
    fn write(&mut self, offset: u64, buf: &[u8]) -> Result<()> {
        if self.ro {
            return Err(BlockError::ReadOnly);
        }
        check_range(offset, buf.len() as u64, self.size)?;
        let mut p = 0usize;
        while p < buf.len() {
            let pos = offset + p as u64;
            let i = self.ext_at(pos);
            let (k, host, n) = self.run(pos, (buf.len() - p) as u64)?;
            let n = n as usize;
            let start = self.exts[i].start;
            match k {
                1 if matches!(self.exts[i].kind, Kind::Zero) => {
                    return Err(BlockError::Unsupported(
                        "writing to a VMDK zero extent".into(),
                    ))
                }
                2 | 3 => match &self.exts[i].kind {
                    Kind::Sparse(s) => s.f.write_at(host, &buf[p..p + n])?,
                    Kind::Flat { f, .. } => f.write_at(host, &buf[p..p + n])?,
                    Kind::Zero => unreachable!(),
                },
                _ => {
                    // New grain (or rewrite of a compressed/zeroed one).
                    let (g, rel) = match &self.exts[i].kind {
                        Kind::Sparse(s) => (s.grain, pos - start),
                        _ => unreachable!(),
                    };
                    let in_off = rel % g;
                    let n = n.min((g - in_off) as usize);
                    let mut grain = vec![0u8; g as usize];
                    if (n as u64) < g {
                        match k {
                            0 => {
                                let gstart = pos - in_off;
                                let gl = g.min(self.size - gstart) as usize;
                                self.read_backing(gstart, &mut grain[..gl])?;
                            }
                            4 => {
                                if let Kind::Sparse(s) = &mut self.exts[i].kind {
                                    grain = s.read_grain_compressed((host / SECTOR) as u32)?;
                                }
                            }
                            _ => {}
                        }
                    }
                    grain[in_off as usize..in_off as usize + n].copy_from_slice(&buf[p..p + n]);
                    if let Kind::Sparse(s) = &mut self.exts[i].kind {
                        let gstart_rel = rel - in_off;
                        if s.compressed {
                            let mut enc = flate2::write::ZlibEncoder::new(
                                Vec::new(),
                                flate2::Compression::default(),
                            );
                            std::io::Write::write_all(&mut enc, &grain)?;
                            let data = enc.finish()?;
                            let mut rec = Vec::with_capacity(12 + data.len());
                            rec.extend_from_slice(&(gstart_rel / SECTOR).to_le_bytes());
                            rec.extend_from_slice(&(data.len() as u32).to_le_bytes());
                            rec.extend_from_slice(&data);
                            rec.resize(rec.len().div_ceil(512) * 512, 0);
                            let o = s.alloc(rec.len() as u64);
                            s.f.write_at(o, &rec)?;
                            s.set_entry(gstart_rel, (o / SECTOR) as u32)?;
                        } else {
                            let o = s.alloc(g);
                            s.f.write_at(o, &grain)?;
                            s.set_entry(gstart_rel, (o / SECTOR) as u32)?;
                        }
                    }
                    p += n;
                    continue;
                }
            }
            p += n;
        }
        Ok(())
    }
    fn flush(&mut self) -> Result<()> {
        for e in &self.exts {
            match &e.kind {
                Kind::Flat { f, .. } => f.sync()?,
                Kind::Sparse(s) => s.f.sync()?,
                Kind::Zero => {}
            }
        }
        Ok(())
    }
    fn discard(&mut self, offset: u64, len: u64) -> Result<()> {
        check_range(offset, len, self.size)
    }
    fn write_zeroes(&mut self, offset: u64, len: u64, _may_unmap: bool) -> Result<()> {
        if self.ro {
            return Err(BlockError::ReadOnly);
        }
        check_range(offset, len, self.size)?;
        let end = offset + len;
        let mut pos = offset;
        while pos < end {
            let (k, _, n) = self.run(pos, end - pos)?;
            let n = n.min(1 << 20);
            let i = self.ext_at(pos);
            let zero_grain = match &self.exts[i].kind {
                Kind::Sparse(s) => s.h.flags & FLAG_ZERO_GRAIN != 0,
                _ => false,
            };
            let unalloc_no_backing = k == 0 && self.backing.is_none();
            if k == 1 || unalloc_no_backing {
                pos += n;
                continue;
            }
            if zero_grain && k == 0 {
                let rel = pos - self.exts[i].start;
                if let Kind::Sparse(s) = &mut self.exts[i].kind {
                    if rel.is_multiple_of(s.grain) && n >= s.grain {
                        s.set_entry(rel, 1)?;
                        pos += s.grain;
                        continue;
                    }
                }
            }
            self.write(pos, &vec![0u8; n as usize])?;
            pos += n;
        }
        Ok(())
    }
    fn block_status(&mut self, offset: u64, len: u64) -> Result<Extent> {
        check_range(offset, len, self.size)?;
        let (k, host, n) = self.run(offset, len)?;
        Ok(match k {
            0 => Extent::unallocated(n),
            1 => Extent {
                len: n,
                allocated: true,
                data: false,
                zero: true,
                compressed: false,
                offset: None,
            },
            2 => Extent {
                len: n,
                allocated: true,
                data: true,
                zero: false,
                compressed: false,
                offset: Some(host),
            },
            3 => {
                let i = self.ext_at(offset);
                let (data, m) = match &self.exts[i].kind {
                    Kind::Flat { f, .. } => f.data_status(host, host + n),
                    _ => (true, n),
                };
                Extent {
                    len: m.clamp(1, n),
                    allocated: true,
                    data: true,
                    zero: !data,
                    compressed: false,
                    offset: Some(host),
                }
            }
            _ => Extent {
                len: n,
                allocated: true,
                data: true,
                zero: false,
                compressed: true,
                offset: None,
            },
        })
    }
    fn resize(&mut self, _new_len: u64, _allow_shrink: bool) -> Result<()> {
        Err(BlockError::Unsupported("resizing VMDK images".into()))
    }
    fn cluster_size(&self) -> Option<u64> {
        match &self.exts[0].kind {
            Kind::Sparse(s) => Some(s.grain),
            _ => None,
        }
    }
    fn backing_file(&self) -> Option<(String, Option<String>)> {
        self.parent_hint.clone().map(|p| (p, None))
    }
    fn backing(&mut self) -> Option<&mut dyn BlockDriver> {
        match &mut self.backing {
            Some(b) => Some(b.as_mut()),
            None => None,
        }
    }
    fn write_compressed(&mut self, offset: u64, buf: &[u8]) -> Result<()> {
        self.write(offset, buf)
    }
    fn check(&mut self, _fix: Fix) -> Result<CheckReport> {
        let mut r = CheckReport::default();
        let size = self.size;
        let mut pos = 0;
        while pos < size {
            match self.run(pos, size - pos) {
                Ok((_, _, n)) => pos += n,
                Err(BlockError::Corrupt(m)) => {
                    r.corruptions += 1;
                    r.messages.push(format!("ERROR: {m}"));
                    let g = self.cluster_size().unwrap_or(65536);
                    pos = (pos / g + 1) * g;
                }
                Err(e) => return Err(e),
            }
        }
        Ok(r)
    }
    fn format_specific(&self) -> Option<Json> {
        let exts: Vec<Json> = self
            .exts
            .iter()
            .map(|e| {
                let mut j = Json::obj();
                if let Kind::Sparse(s) = &e.kind {
                    if s.compressed {
                        j.push("compressed", true);
                    }
                }
                j.push("virtual-size", e.len);
                j.push("filename", e.name.as_str());
                if let Kind::Sparse(s) = &e.kind {
                    j.push("cluster-size", s.grain);
                }
                j.push("format", e.ty.as_str());
                j
            })
            .collect();
        Some(
            Json::obj()
                .with("cid", self.cid)
                .with("parent-cid", self.parent_cid)
                .with("create-type", self.create_type.as_str())
                .with("extents", Json::Arr(exts)),
        )
    }
    fn file_path(&self) -> Option<PathBuf> {
        Some(self.path.clone())
    }
    fn set_unsafe_cache(&mut self, on: bool) {
        for e in self.exts.iter_mut() {
            match &mut e.kind {
                Kind::Flat { f, .. } => f.no_sync = on,
                Kind::Sparse(s) => s.f.no_sync = on,
                Kind::Zero => {}
            }
        }
    }
    fn extra_files(&self) -> Vec<(String, PathBuf)> {
        let me = self.path.to_string_lossy().into_owned();
        self.exts
            .iter()
            .enumerate()
            .filter(|(_, e)| !matches!(e.kind, Kind::Zero) && e.name != me)
            .map(|(i, e)| (format!("extents.{i}"), PathBuf::from(&e.name)))
            .rev()
            .collect()
    }
}
