//! VHDX: create (dynamic and fixed), read, write, and replay of the metadata
//! log on open. Block allocation table updates are written through the log,
//! so a crash between the log write and the BAT write is repaired by replay.

pub mod crc32c;
pub mod log;

use crate::driver::{check_range, BlockDriver, CheckReport, Extent, Fix};
use crate::error::{invalid, BlockError, Result};
use crate::file::HostFile;
use crc32c::crc32c_without;
use std::path::{Path, PathBuf};

const MIB: u64 = 1 << 20;
const HEADER_SIG: u32 = 0x6461_6568; // "head"
const REGION_SIG: u32 = 0x6967_6572; // "regi"
const HDR1: u64 = 64 * 1024;
const HDR2: u64 = 128 * 1024;
const RT1: u64 = 192 * 1024;
const RT2: u64 = 256 * 1024;
const RT_SIZE: usize = 64 * 1024;

pub const BAT_GUID: &str = "2DC27766-F623-4200-9D64-115E9BFD4A08";
pub const METADATA_GUID: &str = "8B7CA206-4790-4B9A-B8FE-575F050F886E";
const FILE_PARAMS: &str = "CAA16737-FA36-4D43-B3B6-33F0AA44E76B";
const VDISK_SIZE: &str = "2FA54224-CD1B-4876-B211-5DBED83BF4B8";
const PAGE83: &str = "BECA12AB-B2E6-4523-93EF-C309E000C746";
const LOGICAL_SS: &str = "8141BF1D-A96F-4709-BA47-F233A8FAAB5F";
const PHYSICAL_SS: &str = "CDA348C7-445D-4471-9CC9-E9885251C556";
const PARENT_LOCATOR: &str = "A8D35F2D-B30B-454D-ABF7-D3D84834AB0C";

const ST_NOT_PRESENT: u64 = 0;
const ST_ZERO: u64 = 2;
const ST_FULLY_PRESENT: u64 = 6;
const ST_PARTIALLY_PRESENT: u64 = 7;

/// A GUID in VHDX's on-disk (mixed-endian) byte order.
pub fn guid(s: &str) -> [u8; 16] {
    let h: String = s.chars().filter(|c| *c != '-').collect();
    let mut b = [0u8; 16];
    for i in 0..16 {
        b[i] = u8::from_str_radix(&h[i * 2..i * 2 + 2], 16).unwrap_or(0);
    }
    b[0..4].reverse();
    b[4..6].reverse();
    b[6..8].reverse();
    b
}

fn random_guid() -> [u8; 16] {
    use std::sync::atomic::{AtomicU64, Ordering};
    static CTR: AtomicU64 = AtomicU64::new(0);
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default()
        .as_nanos() as u64;
    let mut out = [0u8; 16];
    let mut x = t
        ^ ((std::process::id() as u64) << 40)
        ^ CTR.fetch_add(0x9e37_79b9_7f4a_7c15, Ordering::Relaxed);
    for c in out.chunks_mut(8) {
        x ^= x >> 31;
        x = x.wrapping_mul(0xbf58_476d_1ce4_e5b9);
        x ^= x >> 29;
        c.copy_from_slice(&x.to_le_bytes());
    }
    out[7] = (out[7] & 0x0f) | 0x40;
    out
}

fn le32(b: &[u8], o: usize) -> u32 {
    u32::from_le_bytes(b[o..o + 4].try_into().unwrap())
}
fn le64(b: &[u8], o: usize) -> u64 {
    u64::from_le_bytes(b[o..o + 8].try_into().unwrap())
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    pub seq: u64,
    pub file_write_guid: [u8; 16],
    pub data_write_guid: [u8; 16],
    pub log_guid: [u8; 16],
    pub log_length: u32,
    pub log_offset: u64,
}

impl Header {
    pub fn parse(b: &[u8]) -> Option<Header> {
        if b.len() < 4096 || le32(b, 0) != HEADER_SIG || crc32c_without(&b[..4096], 4) != le32(b, 4)
        {
            return None;
        }
        if u16::from_le_bytes([b[66], b[67]]) != 1 {
            return None;
        }
        Some(Header {
            seq: le64(b, 8),
            file_write_guid: b[16..32].try_into().unwrap(),
            data_write_guid: b[32..48].try_into().unwrap(),
            log_guid: b[48..64].try_into().unwrap(),
            log_length: le32(b, 68),
            log_offset: le64(b, 72),
        })
    }
    pub fn serialize(&self) -> Vec<u8> {
        let mut b = vec![0u8; 4096];
        b[0..4].copy_from_slice(&HEADER_SIG.to_le_bytes());
        b[8..16].copy_from_slice(&self.seq.to_le_bytes());
        b[16..32].copy_from_slice(&self.file_write_guid);
        b[32..48].copy_from_slice(&self.data_write_guid);
        b[48..64].copy_from_slice(&self.log_guid);
        b[66..68].copy_from_slice(&1u16.to_le_bytes());
        b[68..72].copy_from_slice(&self.log_length.to_le_bytes());
        b[72..80].copy_from_slice(&self.log_offset.to_le_bytes());
        let c = crc32c::crc32c(&b);
        b[4..8].copy_from_slice(&c.to_le_bytes());
        b
    }
}

fn region_table(entries: &[([u8; 16], u64, u32)]) -> Vec<u8> {
    let mut b = vec![0u8; RT_SIZE];
    b[0..4].copy_from_slice(&REGION_SIG.to_le_bytes());
    b[8..12].copy_from_slice(&(entries.len() as u32).to_le_bytes());
    for (i, (g, off, len)) in entries.iter().enumerate() {
        let o = 16 + 32 * i;
        b[o..o + 16].copy_from_slice(g);
        b[o + 16..o + 24].copy_from_slice(&off.to_le_bytes());
        b[o + 24..o + 28].copy_from_slice(&len.to_le_bytes());
    }
    let c = crc32c::crc32c(&b);
    b[4..8].copy_from_slice(&c.to_le_bytes());
    b
}

/// A region table entry: GUID, file offset, length, flags.
type Region = ([u8; 16], u64, u32, u32);

fn parse_region_table(b: &[u8]) -> Option<Vec<Region>> {
    if le32(b, 0) != REGION_SIG || crc32c_without(b, 4) != le32(b, 4) {
        return None;
    }
    let n = le32(b, 8) as usize;
    if n > 2047 {
        return None;
    }
    Some(
        (0..n)
            .map(|i| {
                let o = 16 + 32 * i;
                (
                    b[o..o + 16].try_into().unwrap(),
                    le64(b, o + 16),
                    le32(b, o + 24),
                    le32(b, o + 28),
                )
            })
            .collect(),
    )
}

/// Where a simulated crash stops a BAT update (fault injection for tests).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CrashPoint {
    None,
    /// After the log entry is durable, before the BAT itself is written.
    AfterLogWrite,
}

pub struct Vhdx {
    f: HostFile,
    hdr: Header,
    /// Which header slot (0 or 1) holds the current header.
    cur_slot: usize,
    size: u64,
    block: u64,
    lss: u64,
    chunk_ratio: u64,
    bat_off: u64,
    bat: Vec<u64>,
    ro: bool,
    write_started: bool,
    log_seq: u64,
    log_head: u64,
    /// The open replayed a log left behind (check counts it as a repaired
    /// corruption, as qemu-img does).
    log_replayed: bool,
    pub crash_point: CrashPoint,
}

/// Creation options (qemu's names).
#[derive(Debug, Clone)]
pub struct CreateOpts {
    pub size: u64,
    pub block_size: u64,
    pub log_size: u64,
    pub fixed: bool,
    pub block_state_zero: bool,
}

/// qemu's automatic block size.
pub fn auto_block_size(size: u64) -> u64 {
    if size > (32u64 << 40) {
        64 * MIB
    } else if size > (100u64 << 30) {
        32 * MIB
    } else if size > (1u64 << 30) {
        16 * MIB
    } else {
        8 * MIB
    }
}

pub fn create(path: &Path, o: &CreateOpts) -> Result<()> {
    let bs = if o.block_size == 0 {
        auto_block_size(o.size)
    } else {
        o.block_size
    };
    if !bs.is_power_of_two() || !(MIB..=256 * MIB).contains(&bs) {
        return invalid("Block size must be a power of two between 1 MiB and 256 MiB");
    }
    if o.log_size < MIB || !o.log_size.is_multiple_of(MIB) || o.log_size > (1 << 32) - MIB {
        return invalid("Log size must be a multiple of 1 MB");
    }
    if o.size > (64u64 << 40) {
        return invalid("Image size too large; max of 64TB");
    }
    let size = o.size.div_ceil(512) * 512;
    let lss = 512u64;
    let chunk_ratio = (1u64 << 23) * lss / bs;
    let data_blocks = size.div_ceil(bs);
    let bat_entries = if data_blocks == 0 {
        0
    } else {
        data_blocks + (data_blocks - 1) / chunk_ratio
    };
    let log_off = MIB;
    let bat_off = log_off + o.log_size;
    let bat_len = (bat_entries * 8).div_ceil(MIB).max(1) * MIB;
    let meta_off = bat_off + bat_len;
    let meta_len = MIB;
    let payload = meta_off + meta_len;
    let f = HostFile::create(path)?;
    let mut ident = vec![0u8; 64 * 1024];
    ident[0..8].copy_from_slice(b"vhdxfile");
    for (i, c) in "Mimic".encode_utf16().enumerate() {
        ident[8 + i * 2..10 + i * 2].copy_from_slice(&c.to_le_bytes());
    }
    f.write_at(0, &ident)?;
    let fw = random_guid();
    for (slot, seq) in [(HDR1, 1u64), (HDR2, 2)] {
        let h = Header {
            seq,
            file_write_guid: fw,
            data_write_guid: random_guid(),
            log_guid: [0; 16],
            log_length: o.log_size as u32,
            log_offset: log_off,
        };
        f.write_at(slot, &h.serialize())?;
    }
    let rt = region_table(&[
        (guid(BAT_GUID), bat_off, bat_len as u32),
        (guid(METADATA_GUID), meta_off, meta_len as u32),
    ]);
    f.write_at(RT1, &rt)?;
    f.write_at(RT2, &rt)?;
    // Metadata table and items.
    let mut m = vec![0u8; 64 * 1024 + 64];
    m[0..8].copy_from_slice(b"metadata");
    let items: [(&str, u32, u32, u32); 5] = [
        (FILE_PARAMS, 0, 8, 4),
        (VDISK_SIZE, 8, 8, 6),
        (PAGE83, 16, 16, 6),
        (LOGICAL_SS, 32, 4, 6),
        (PHYSICAL_SS, 36, 4, 6),
    ];
    m[10..12].copy_from_slice(&(items.len() as u16).to_le_bytes());
    for (i, (g, off, len, flags)) in items.iter().enumerate() {
        let e = 32 + 32 * i;
        m[e..e + 16].copy_from_slice(&guid(g));
        m[e + 16..e + 20].copy_from_slice(&(64 * 1024 + off).to_le_bytes());
        m[e + 20..e + 24].copy_from_slice(&len.to_le_bytes());
        m[e + 24..e + 28].copy_from_slice(&flags.to_le_bytes());
    }
    let d = 64 * 1024;
    m[d..d + 4].copy_from_slice(&(bs as u32).to_le_bytes());
    m[d + 8..d + 16].copy_from_slice(&size.to_le_bytes());
    m[d + 16..d + 32].copy_from_slice(&random_guid());
    m[d + 32..d + 36].copy_from_slice(&(lss as u32).to_le_bytes());
    m[d + 36..d + 40].copy_from_slice(&512u32.to_le_bytes());
    f.write_at(meta_off, &m)?;
    // BAT.
    let mut bat = vec![0u8; (bat_entries * 8) as usize];
    let mut file_end = payload;
    let mut blk = 0u64;
    for i in 0..bat_entries {
        let is_bitmap = (i + 1) % (chunk_ratio + 1) == 0;
        let v = if is_bitmap {
            0
        } else if o.fixed {
            let off = payload + blk * bs;
            blk += 1;
            file_end = off + bs;
            (off / MIB) << 20 | ST_FULLY_PRESENT
        } else if o.block_state_zero {
            ST_ZERO
        } else {
            ST_NOT_PRESENT
        };
        bat[(i * 8) as usize..(i * 8 + 8) as usize].copy_from_slice(&v.to_le_bytes());
    }
    f.write_at(bat_off, &bat)?;
    f.set_len(file_end)?;
    f.sync()
}

impl Vhdx {
    pub fn open(path: &Path, ro: bool) -> Result<Vhdx> {
        let f = HostFile::open(path, ro)?;
        let mut sig = [0u8; 8];
        f.read_at(0, &mut sig)?;
        if &sig != b"vhdxfile" {
            return invalid("not a VHDX image");
        }
        let mut hb = vec![0u8; 4096];
        f.read_at(HDR1, &mut hb)?;
        let h1 = Header::parse(&hb);
        f.read_at(HDR2, &mut hb)?;
        let h2 = Header::parse(&hb);
        let (hdr, cur_slot) = match (h1, h2) {
            (Some(a), Some(b)) => {
                if a.seq >= b.seq {
                    (a, 0)
                } else {
                    (b, 1)
                }
            }
            (Some(a), None) => (a, 0),
            (None, Some(b)) => (b, 1),
            (None, None) => return invalid("no valid VHDX header found"),
        };
        let flen = f.len()?;
        if hdr.log_offset % MIB != 0
            || !(hdr.log_length as u64).is_multiple_of(MIB)
            || hdr.log_offset < MIB
            || hdr.log_offset.saturating_add(hdr.log_length as u64) > flen
        {
            return invalid("VHDX log location invalid");
        }
        let mut v = Vhdx {
            f,
            hdr,
            cur_slot,
            size: 0,
            block: 0,
            lss: 512,
            chunk_ratio: 1,
            bat_off: 0,
            bat: Vec::new(),
            ro,
            write_started: false,
            log_seq: 1,
            log_head: 0,
            log_replayed: false,
            crash_point: CrashPoint::None,
        };
        if v.hdr.log_guid != [0u8; 16] {
            if ro {
                // QEMU refuses too (a read-only open must not write the
                // replay), with the same words.
                let p = path.display();
                return Err(BlockError::Other(format!(
                    "VHDX image file '{p}' opened read-only, but contains a log that needs to be replayed\nTo replay the log, run:\nmimic-img check -r all '{p}'"
                )));
            }
            log::replay(
                &v.f,
                v.hdr.log_offset,
                v.hdr.log_length as u64,
                &v.hdr.log_guid,
            )?;
            let mut h = v.hdr.clone();
            h.log_guid = [0; 16];
            v.write_headers(h)?;
            v.log_replayed = true;
        }
        let mut rt = vec![0u8; RT_SIZE];
        v.f.read_at(RT1, &mut rt)?;
        let regions = match parse_region_table(&rt) {
            Some(r) => r,
            None => {
                v.f.read_at(RT2, &mut rt)?;
                parse_region_table(&rt)
                    .ok_or_else(|| BlockError::Invalid("no valid VHDX region table".into()))?
            }
        };
        let (bg, mg) = (guid(BAT_GUID), guid(METADATA_GUID));
        let mut bat_region = None;
        let mut meta_region = None;
        for (g, off, len, req) in regions {
            if g == bg {
                bat_region = Some((off, len));
            } else if g == mg {
                meta_region = Some((off, len));
            } else if req & 1 != 0 {
                return Err(BlockError::Unsupported(
                    "unknown required VHDX region".into(),
                ));
            }
        }
        let (bat_off, bat_len) =
            bat_region.ok_or_else(|| BlockError::Invalid("VHDX BAT region missing".into()))?;
        let (meta_off, meta_len) = meta_region
            .ok_or_else(|| BlockError::Invalid("VHDX metadata region missing".into()))?;
        if meta_len < 64 * 1024 || meta_off % MIB != 0 || bat_off % MIB != 0 {
            return invalid("VHDX region layout invalid");
        }
        let mut mt = vec![0u8; 64 * 1024];
        v.f.read_at(meta_off, &mut mt)?;
        if &mt[0..8] != b"metadata" {
            return invalid("VHDX metadata table signature invalid");
        }
        let n = u16::from_le_bytes([mt[10], mt[11]]) as usize;
        if n > 2047 {
            return invalid("too many VHDX metadata entries");
        }
        let item = |g: &str| -> Result<Option<Vec<u8>>> {
            let gb = guid(g);
            for i in 0..n {
                let e = 32 + 32 * i;
                if mt[e..e + 16] == gb {
                    let off = le32(&mt, e + 16) as u64;
                    let len = le32(&mt, e + 20) as u64;
                    if len > 64 * 1024 || off + len > meta_len as u64 {
                        return invalid("VHDX metadata item out of range");
                    }
                    let mut d = vec![0u8; len as usize];
                    v.f.read_at(meta_off + off, &mut d)?;
                    return Ok(Some(d));
                }
            }
            Ok(None)
        };
        let fp = item(FILE_PARAMS)?
            .filter(|d| d.len() >= 8)
            .ok_or_else(|| BlockError::Invalid("VHDX file parameters missing".into()))?;
        let vs = item(VDISK_SIZE)?
            .filter(|d| d.len() >= 8)
            .ok_or_else(|| BlockError::Invalid("VHDX disk size missing".into()))?;
        let ls = item(LOGICAL_SS)?
            .filter(|d| d.len() >= 4)
            .ok_or_else(|| BlockError::Invalid("VHDX sector size missing".into()))?;
        let block = le32(&fp, 0) as u64;
        let flags = le32(&fp, 4);
        if flags & 2 != 0 || item(PARENT_LOCATOR)?.is_some() {
            return Err(BlockError::Unsupported("differencing VHDX images".into()));
        }
        v.size = le64(&vs, 0);
        v.lss = le32(&ls, 0) as u64;
        if !block.is_power_of_two() || !(MIB..=256 * MIB).contains(&block) {
            return invalid("VHDX block size invalid");
        }
        if v.lss != 512 && v.lss != 4096 {
            return invalid("VHDX logical sector size invalid");
        }
        if v.size > (64u64 << 40) {
            return invalid("VHDX disk size too large");
        }
        v.block = block;
        v.chunk_ratio = (1u64 << 23) * v.lss / block;
        let data_blocks = v.size.div_ceil(block);
        let entries = if data_blocks == 0 {
            0
        } else {
            data_blocks + (data_blocks - 1) / v.chunk_ratio
        };
        if entries * 8 > bat_len as u64 || bat_off.saturating_add(entries * 8) > v.f.len()? {
            return invalid("VHDX BAT region too small or beyond the end of the file");
        }
        let mut raw = vec![0u8; (entries * 8) as usize];
        v.f.read_at(bat_off, &mut raw)?;
        v.bat = raw
            .chunks_exact(8)
            .map(|c| u64::from_le_bytes(c.try_into().unwrap()))
            .collect();
        v.bat_off = bat_off;
        Ok(v)
    }

    /// Writes `h` (with the next sequence number) into both header slots,
    /// the non-current one first.
    fn write_headers(&mut self, mut h: Header) -> Result<()> {
        for _ in 0..2 {
            h.seq = self.hdr.seq + 1;
            let slot = 1 - self.cur_slot;
            self.f
                .write_at(if slot == 0 { HDR1 } else { HDR2 }, &h.serialize())?;
            self.f.sync()?;
            self.cur_slot = slot;
            self.hdr = h.clone();
        }
        Ok(())
    }

    fn bat_index(&self, blk: u64) -> usize {
        (blk + blk / self.chunk_ratio) as usize
    }

    /// Host offset of the block holding `pos`, if it is present.
    fn host(&self, pos: u64) -> Result<Option<u64>> {
        let blk = pos / self.block;
        let e = *self.bat.get(self.bat_index(blk)).unwrap_or(&0);
        match e & 7 {
            ST_FULLY_PRESENT => {
                let off = (e >> 20) << 20;
                if off < 3 * MIB {
                    return Err(BlockError::Corrupt(format!(
                        "VHDX block {blk} points into the headers"
                    )));
                }
                Ok(Some(off + pos % self.block))
            }
            ST_PARTIALLY_PRESENT => Err(BlockError::Unsupported(
                "partially present VHDX blocks".into(),
            )),
            _ => Ok(None),
        }
    }

    fn begin_write(&mut self) -> Result<()> {
        if !self.write_started {
            let mut h = self.hdr.clone();
            h.file_write_guid = random_guid();
            h.data_write_guid = random_guid();
            h.log_guid = random_guid();
            self.write_headers(h)?;
            self.write_started = true;
            self.log_head = 0;
        }
        Ok(())
    }

    /// Sets a BAT entry through the log (log entry, then the BAT sector).
    fn set_bat(&mut self, idx: usize, v: u64) -> Result<()> {
        self.bat[idx] = v;
        let byte = self.bat_off + idx as u64 * 8;
        let sec = byte / 4096 * 4096;
        let mut sector = vec![0u8; 4096];
        let first = ((sec - self.bat_off) / 8) as usize;
        for i in 0..512 {
            if let Some(e) = self.bat.get(first + i) {
                sector[i * 8..i * 8 + 8].copy_from_slice(&e.to_le_bytes());
            }
        }
        // Keep the bytes of the sector beyond the BAT as they are on disk.
        if first + 512 > self.bat.len() {
            let keep = (self.bat.len() - first) * 8;
            let mut disk = vec![0u8; 4096 - keep];
            self.f.read_at(sec + keep as u64, &mut disk)?;
            sector[keep..].copy_from_slice(&disk);
        }
        let flen = self.f.len()?;
        let entry = log::build_entry(
            self.log_seq,
            self.log_head as u32,
            &self.hdr.log_guid,
            flen,
            &[(sec, sector.clone())],
        );
        let log_len = self.hdr.log_length as u64;
        if self.log_head + entry.len() as u64 > log_len {
            self.log_head = 0;
        }
        let entry = log::build_entry(
            self.log_seq,
            self.log_head as u32,
            &self.hdr.log_guid,
            flen,
            &[(sec, sector.clone())],
        );
        self.f
            .write_at(self.hdr.log_offset + self.log_head, &entry)?;
        self.f.sync()?;
        self.log_seq += 1;
        self.log_head += entry.len() as u64;
        if self.crash_point == CrashPoint::AfterLogWrite {
            return Err(BlockError::Other(
                "simulated crash after the log write".into(),
            ));
        }
        self.f.write_at(sec, &sector)?;
        self.f.sync()
    }
}

impl BlockDriver for Vhdx {
    fn format_name(&self) -> &'static str {
        "vhdx"
    }
    fn length(&self) -> u64 {
        self.size
    }
    fn read(&mut self, offset: u64, buf: &mut [u8]) -> Result<()> {
        check_range(offset, buf.len() as u64, self.size)?;
        let mut p = 0usize;
        while p < buf.len() {
            let pos = offset + p as u64;
            let n = ((self.block - pos % self.block) as usize).min(buf.len() - p);
            match self.host(pos)? {
                Some(h) => self.f.read_at(h, &mut buf[p..p + n])?,
                None => buf[p..p + n].fill(0),
            }
            p += n;
        }
        Ok(())
    }
    fn write(&mut self, offset: u64, buf: &[u8]) -> Result<()> {
        if self.ro {
            return Err(BlockError::ReadOnly);
        }
        check_range(offset, buf.len() as u64, self.size)?;
        self.begin_write()?;
        let mut p = 0usize;
        while p < buf.len() {
            let pos = offset + p as u64;
            let n = ((self.block - pos % self.block) as usize).min(buf.len() - p);
            let h = match self.host(pos)? {
                Some(h) => h,
                None => {
                    // New block at the end of the file, 1 MiB aligned; the
                    // extension reads as zeroes.
                    let off = self.f.len()?.div_ceil(MIB) * MIB;
                    self.f.set_len(off + self.block)?;
                    let blk = pos / self.block;
                    self.f.write_at(off + pos % self.block, &buf[p..p + n])?;
                    self.f.sync()?;
                    let idx = self.bat_index(blk);
                    self.set_bat(idx, (off >> 20) << 20 | ST_FULLY_PRESENT)?;
                    p += n;
                    continue;
                }
            };
            self.f.write_at(h, &buf[p..p + n])?;
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
            let n = (self.block - pos % self.block).min(end - pos);
            if let Some(h) = self.host(pos)? {
                self.begin_write()?;
                self.f.zero_range(h, n)?;
            }
            pos += n;
        }
        Ok(())
    }
    fn block_status(&mut self, offset: u64, len: u64) -> Result<Extent> {
        // Like qemu (no block-status support for VHDX): all data, no offset.
        check_range(offset, len, self.size)?;
        Ok(Extent {
            len,
            allocated: true,
            data: true,
            zero: false,
            compressed: false,
            offset: None,
        })
    }
    fn resize(&mut self, _new_len: u64, _allow_shrink: bool) -> Result<()> {
        Err(BlockError::Unsupported("resizing VHDX images".into()))
    }
    fn cluster_size(&self) -> Option<u64> {
        Some(self.block)
    }
    fn check(&mut self, fix: Fix) -> Result<CheckReport> {
        let mut r = CheckReport::default();
        if self.log_replayed && fix != Fix::None {
            r.corruptions_fixed = 1;
        }
        let flen = self.f.len()?;
        for (i, &e) in self.bat.iter().enumerate() {
            if e & 7 == ST_FULLY_PRESENT {
                let off = (e >> 20) << 20;
                if off + self.block > flen.div_ceil(MIB) * MIB + self.block || off < 3 * MIB {
                    r.corruptions += 1;
                    r.messages.push(format!(
                        "ERROR: BAT entry {i} points to 0x{off:x}, outside the image"
                    ));
                }
            }
        }
        Ok(r)
    }
    fn set_unsafe_cache(&mut self, on: bool) {
        self.f.no_sync = on;
    }
    fn file_path(&self) -> Option<PathBuf> {
        Some(self.f.path.clone())
    }
    fn close(&mut self) -> Result<()> {
        if self.ro || !self.write_started || self.crash_point != CrashPoint::None {
            return Ok(());
        }
        self.f.sync()?;
        let mut h = self.hdr.clone();
        h.log_guid = [0; 16];
        self.write_headers(h)?;
        self.write_started = false;
        Ok(())
    }
}

impl Drop for Vhdx {
    fn drop(&mut self) {
        let _ = BlockDriver::close(self);
    }
}
