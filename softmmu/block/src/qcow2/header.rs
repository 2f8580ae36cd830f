//! qcow2 header and header extensions (docs/interop/qcow2.txt layout).

use crate::error::{invalid, Result};

pub const MAGIC: u32 = 0x5146_49fb; // "QFI\xfb"
pub const EXT_END: u32 = 0;
pub const EXT_BACKING_FORMAT: u32 = 0xE279_2ACA;
pub const EXT_FEATURE_TABLE: u32 = 0x6803_f857;
pub const EXT_DATA_FILE: u32 = 0x4441_5441;

pub const INCOMPAT_DIRTY: u64 = 1 << 0;
pub const INCOMPAT_CORRUPT: u64 = 1 << 1;
pub const INCOMPAT_DATA_FILE: u64 = 1 << 2;
pub const INCOMPAT_COMPRESSION: u64 = 1 << 3;
pub const INCOMPAT_EXTL2: u64 = 1 << 4;
pub const INCOMPAT_KNOWN: u64 = INCOMPAT_DIRTY | INCOMPAT_CORRUPT | INCOMPAT_COMPRESSION;
pub const COMPAT_LAZY_REFCOUNTS: u64 = 1 << 0;

pub const MIN_CLUSTER_BITS: u32 = 9;
pub const MAX_CLUSTER_BITS: u32 = 21;
/// Upper bound on the L1 table size qemu accepts (32 MiB of entries).
pub const MAX_L1_ENTRIES: u64 = 32 * 1024 * 1024 / 8;
/// Upper bound on the refcount table size (8 MiB, as qemu).
pub const MAX_REFTABLE_BYTES: u64 = 8 * 1024 * 1024;

/// The fixed header fields plus the extensions Mimic interprets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    pub version: u32,
    pub backing_file_offset: u64,
    pub backing_file_size: u32,
    pub cluster_bits: u32,
    pub size: u64,
    pub crypt_method: u32,
    pub l1_size: u32,
    pub l1_table_offset: u64,
    pub refcount_table_offset: u64,
    pub refcount_table_clusters: u32,
    pub nb_snapshots: u32,
    pub snapshots_offset: u64,
    pub incompatible: u64,
    pub compatible: u64,
    pub autoclear: u64,
    pub refcount_order: u32,
    pub header_length: u32,
    pub compression_type: u8,
    /// Backing file name (stored outside the header proper).
    pub backing_file: Option<String>,
    pub backing_format: Option<String>,
    /// Extensions Mimic does not interpret, kept verbatim: (type, data).
    pub unknown_ext: Vec<(u32, Vec<u8>)>,
}

fn be32(b: &[u8], o: usize) -> u32 {
    u32::from_be_bytes(b[o..o + 4].try_into().unwrap())
}
fn be64(b: &[u8], o: usize) -> u64 {
    u64::from_be_bytes(b[o..o + 8].try_into().unwrap())
}

impl Header {
    /// Parses cluster 0 (or at least its first `cluster_size` bytes; a shorter
    /// buffer is fine when the file is short).
    pub fn parse(buf: &[u8]) -> Result<Header> {
        if buf.len() < 72 {
            return invalid("qcow2 header too short");
        }
        if be32(buf, 0) != MAGIC {
            return invalid("not a qcow2 image (bad magic)");
        }
        let version = be32(buf, 4);
        if version != 2 && version != 3 {
            return invalid(format!("unsupported qcow2 version {version}"));
        }
        let mut h = Header {
            version,
            backing_file_offset: be64(buf, 8),
            backing_file_size: be32(buf, 16),
            cluster_bits: be32(buf, 20),
            size: be64(buf, 24),
            crypt_method: be32(buf, 32),
            l1_size: be32(buf, 36),
            l1_table_offset: be64(buf, 40),
            refcount_table_offset: be64(buf, 48),
            refcount_table_clusters: be32(buf, 56),
            nb_snapshots: be32(buf, 60),
            snapshots_offset: be64(buf, 64),
            incompatible: 0,
            compatible: 0,
            autoclear: 0,
            refcount_order: 4,
            header_length: 72,
            compression_type: 0,
            backing_file: None,
            backing_format: None,
            unknown_ext: Vec::new(),
        };
        if !(MIN_CLUSTER_BITS..=MAX_CLUSTER_BITS).contains(&h.cluster_bits) {
            return invalid(format!("unsupported cluster size: 2^{}", h.cluster_bits));
        }
        let cs = 1u64 << h.cluster_bits;
        if version == 3 {
            if buf.len() < 104 {
                return invalid("qcow2 v3 header too short");
            }
            h.incompatible = be64(buf, 72);
            h.compatible = be64(buf, 80);
            h.autoclear = be64(buf, 88);
            h.refcount_order = be32(buf, 96);
            h.header_length = be32(buf, 100);
            if h.header_length < 104
                || h.header_length as u64 > cs
                || h.header_length as usize > buf.len()
            {
                return invalid("qcow2 header length out of range");
            }
            if h.header_length > 104 {
                h.compression_type = buf[104];
            }
        }
        if h.refcount_order > 6 {
            return invalid("refcount width too large");
        }
        if h.crypt_method != 0 {
            return Err(crate::error::BlockError::Unsupported(
                "encrypted qcow2 images".into(),
            ));
        }
        let unknown = h.incompatible & !INCOMPAT_KNOWN;
        if unknown != 0 {
            return Err(crate::error::BlockError::Unsupported(format!(
                "qcow2 incompatible features 0x{unknown:x} (external data file / extended L2)"
            )));
        }
        if h.incompatible & INCOMPAT_COMPRESSION != 0 && h.compression_type != 0 {
            return Err(crate::error::BlockError::Unsupported(
                "zstd compression".into(),
            ));
        }
        if h.size > (1u64 << 62) {
            return invalid("image size too large");
        }
        if h.l1_size as u64 > MAX_L1_ENTRIES {
            return invalid("L1 table too large");
        }
        let l2_bits = h.cluster_bits - 3;
        let need = h.size.div_ceil(1u64 << (h.cluster_bits + l2_bits));
        if (h.l1_size as u64) < need {
            return invalid("L1 table is too small for the image size");
        }
        if !h.l1_table_offset.is_multiple_of(cs) && h.l1_size > 0 {
            return invalid("L1 table offset is not cluster aligned");
        }
        if !h.refcount_table_offset.is_multiple_of(cs) || h.refcount_table_offset == 0 {
            return invalid("refcount table offset is invalid");
        }
        if h.refcount_table_clusters as u64 * cs > MAX_REFTABLE_BYTES.max(cs) {
            return invalid("refcount table too large");
        }
        if h.nb_snapshots > 65536 {
            return invalid("too many snapshots");
        }
        if h.nb_snapshots > 0 && !h.snapshots_offset.is_multiple_of(cs) {
            return invalid("snapshot table offset is not cluster aligned");
        }
        // Extensions.
        let mut off = h.header_length as usize;
        let ext_end = if h.backing_file_offset > 0 && (h.backing_file_offset as usize) < buf.len() {
            h.backing_file_offset as usize
        } else {
            buf.len()
        };
        loop {
            if off + 8 > ext_end {
                break;
            }
            let ty = be32(buf, off);
            let len = be32(buf, off + 4) as usize;
            off += 8;
            if ty == EXT_END {
                break;
            }
            if off + len > ext_end {
                return invalid("header extension runs past the header");
            }
            let data = &buf[off..off + len];
            match ty {
                EXT_BACKING_FORMAT => {
                    h.backing_format = Some(String::from_utf8_lossy(data).into_owned())
                }
                EXT_FEATURE_TABLE => {}
                EXT_DATA_FILE => {
                    return Err(crate::error::BlockError::Unsupported(
                        "external data files".into(),
                    ))
                }
                _ => h.unknown_ext.push((ty, data.to_vec())),
            }
            off += len.div_ceil(8) * 8;
        }
        if h.backing_file_offset != 0 {
            let (o, l) = (h.backing_file_offset, h.backing_file_size as u64);
            if l > 1023 || o + l > cs || (o + l) as usize > buf.len() {
                return invalid("backing file name out of range");
            }
            h.backing_file =
                Some(String::from_utf8_lossy(&buf[o as usize..(o + l) as usize]).into_owned());
        }
        Ok(h)
    }

    /// Serializes the header, its extensions and the backing file name into one
    /// cluster-sized buffer (fails if it does not fit).
    pub fn serialize(&mut self) -> Result<Vec<u8>> {
        let cs = 1usize << self.cluster_bits;
        let mut b = Vec::with_capacity(cs);
        let hl = if self.version == 3 { 112 } else { 72 };
        self.header_length = hl;
        b.extend_from_slice(&MAGIC.to_be_bytes());
        b.extend_from_slice(&self.version.to_be_bytes());
        b.extend_from_slice(&0u64.to_be_bytes()); // backing offset, patched below
        b.extend_from_slice(&0u32.to_be_bytes());
        b.extend_from_slice(&self.cluster_bits.to_be_bytes());
        b.extend_from_slice(&self.size.to_be_bytes());
        b.extend_from_slice(&self.crypt_method.to_be_bytes());
        b.extend_from_slice(&self.l1_size.to_be_bytes());
        b.extend_from_slice(&self.l1_table_offset.to_be_bytes());
        b.extend_from_slice(&self.refcount_table_offset.to_be_bytes());
        b.extend_from_slice(&self.refcount_table_clusters.to_be_bytes());
        b.extend_from_slice(&self.nb_snapshots.to_be_bytes());
        b.extend_from_slice(&self.snapshots_offset.to_be_bytes());
        if self.version == 3 {
            b.extend_from_slice(&self.incompatible.to_be_bytes());
            b.extend_from_slice(&self.compatible.to_be_bytes());
            b.extend_from_slice(&self.autoclear.to_be_bytes());
            b.extend_from_slice(&self.refcount_order.to_be_bytes());
            b.extend_from_slice(&hl.to_be_bytes());
            b.push(self.compression_type);
            b.resize(112, 0);
        }
        let push_ext = |b: &mut Vec<u8>, ty: u32, data: &[u8]| {
            b.extend_from_slice(&ty.to_be_bytes());
            b.extend_from_slice(&(data.len() as u32).to_be_bytes());
            b.extend_from_slice(data);
            b.resize(b.len().div_ceil(8) * 8, 0);
        };
        if let Some(f) = &self.backing_format {
            if self.backing_file.is_some() {
                push_ext(&mut b, EXT_BACKING_FORMAT, f.as_bytes());
            }
        }
        if self.version == 3 {
            push_ext(&mut b, EXT_FEATURE_TABLE, &feature_table());
        }
        for (ty, d) in &self.unknown_ext {
            push_ext(&mut b, *ty, d);
        }
        push_ext(&mut b, EXT_END, &[]);
        if let Some(bf) = &self.backing_file {
            self.backing_file_offset = b.len() as u64;
            self.backing_file_size = bf.len() as u32;
            b[8..16].copy_from_slice(&self.backing_file_offset.to_be_bytes());
            b[16..20].copy_from_slice(&self.backing_file_size.to_be_bytes());
            b.extend_from_slice(bf.as_bytes());
        } else {
            self.backing_file_offset = 0;
            self.backing_file_size = 0;
        }
        if b.len() > cs {
            return invalid("header and backing file name do not fit in the first cluster");
        }
        b.resize(cs, 0);
        Ok(b)
    }
}

/// qemu's feature name table (48-byte entries: type, bit, name).
fn feature_table() -> Vec<u8> {
    let feats: [(u8, u8, &str); 8] = [
        (0, 0, "dirty bit"),
        (0, 1, "corrupt bit"),
        (0, 2, "external data file"),
        (0, 3, "compression type"),
        (0, 4, "extended L2 entries"),
        (1, 0, "lazy refcounts"),
        (2, 0, "bitmaps"),
        (2, 1, "raw external data"),
    ];
    let mut v = Vec::new();
    for (t, bit, name) in feats {
        let mut e = [0u8; 48];
        e[0] = t;
        e[1] = bit;
        e[2..2 + name.len()].copy_from_slice(name.as_bytes());
        v.extend_from_slice(&e);
    }
    v
}
