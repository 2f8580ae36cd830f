//! The block layer: Mimic's disk images.
//!
//! This crate owns everything between a guest's (or a tool's) byte-addressed
//! disk and the host files that store it:
//!
//! - [`BlockDriver`], the one trait every format and filter implements (read,
//!   write, flush, discard, write-zeroes, block status, length, resize,
//!   snapshots, check);
//! - the format drivers: [`raw`] (sparse aware), [`qcow2`] (v2/v3, all
//!   refcount widths, zero and compressed clusters, backing chains, internal
//!   snapshots, lazy refcounts, overlap checks and the corrupt flag, check and
//!   repair), [`qed`], [`vmdk`] (monolithicSparse/Flat, streamOptimized,
//!   twoGbMaxExtent*) and [`vhdx`] (dynamic/fixed, log replay);
//! - the filters: [`throttle`] (leaky-bucket I/O limits) and [`cor`]
//!   (copy-on-read);
//! - format probing and backing chains ([`open_image`]);
//! - image locking with QEMU's lock bytes ([`lock`]);
//! - `mimic img`, qemu-img's subcommands with qemu-img's output formats
//!   ([`img`]).
//!
//! QEMU's on-disk formats are the contract: images written here are read by
//! QEMU and pass `qemu-img check`, and the other way round (the tests in
//! `tests/` check both directions against qemu-img and qemu-io). The crate
//! knows nothing about CPUs or guests.

pub mod blkdebug;
pub mod cor;
pub mod driver;
pub mod error;
pub mod file;
pub mod img;
pub mod journal;
pub mod json;
pub mod lock;
pub mod nbd;
pub mod opts;
pub mod qcow2;
pub mod qed;
pub mod raw;
pub mod throttle;
pub mod vhdx;
pub mod vmdk;
pub mod zero;

pub use driver::{BlockDriver, CheckReport, Extent, Fix, SnapshotInfo};
pub use error::{BlockError, Result};

use std::path::Path;

/// Longest backing chain Mimic follows (guards against loops).
pub const MAX_CHAIN_DEPTH: usize = 64;

/// Guesses an image's format from its first bytes, as qemu does.
pub fn probe_format(path: &Path) -> Result<&'static str> {
    let f = file::HostFile::open_unlocked(path, true)?;
    let mut b = [0u8; 512];
    f.read_at(0, &mut b)?;
    Ok(probe_bytes(&b))
}

/// Format of an image whose first 512 bytes are `b`.
pub fn probe_bytes(b: &[u8]) -> &'static str {
    if b.len() >= 4 && b[..4] == [b'Q', b'F', b'I', 0xfb] {
        return "qcow2";
    }
    if b.len() >= 4 && b[..4] == *b"QED\0" {
        return "qed";
    }
    if b.len() >= 4 && b[..4] == *b"KDMV" {
        return "vmdk";
    }
    if b.len() >= 8 && b[..8] == *b"vhdxfile" {
        return "vhdx";
    }
    if b.starts_with(b"# Disk DescriptorFile") {
        return "vmdk";
    }
    "raw"
}

/// Opens an image (probing the format when `format` is None) with its
/// backing chain.
pub fn open_image(
    path: &Path,
    format: Option<&str>,
    read_only: bool,
) -> Result<Box<dyn BlockDriver>> {
    open_chain(path, format, read_only, 0)
}

/// Opens an image without its backing file.
pub fn open_image_no_backing(
    path: &Path,
    format: Option<&str>,
    read_only: bool,
) -> Result<Box<dyn BlockDriver>> {
    open_with(
        path,
        format,
        &qcow2::OpenOpts {
            read_only,
            no_backing: true,
            ..Default::default()
        },
        0,
    )
}

pub(crate) fn open_chain(
    path: &Path,
    format: Option<&str>,
    read_only: bool,
    depth: usize,
) -> Result<Box<dyn BlockDriver>> {
    open_with(
        path,
        format,
        &qcow2::OpenOpts {
            read_only,
            ..Default::default()
        },
        depth,
    )
}

/// Opens with explicit options (used by `check`, which may open corrupt
/// images read/write to repair them).
pub fn open_with(
    path: &Path,
    format: Option<&str>,
    o: &qcow2::OpenOpts,
    depth: usize,
) -> Result<Box<dyn BlockDriver>> {
    if let Some(url) = path.to_str().filter(|p| nbd::is_nbd_url(p)) {
        return Ok(Box::new(nbd::NbdClient::open_url(
            url,
            format,
            o.read_only,
        )?));
    }
    if depth > MAX_CHAIN_DEPTH {
        return Err(BlockError::Invalid("backing chain too long (loop?)".into()));
    }
    let fmt = match format {
        Some(f) => f.to_string(),
        None => probe_format(path)?.to_string(),
    };
    let o = &qcow2::OpenOpts { depth, ..o.clone() };
    match fmt.as_str() {
        "raw" => Ok(Box::new(raw::Raw::open(path, o.read_only)?)),
        "qcow2" => Ok(Box::new(qcow2::Qcow2::open(path, o)?)),
        "vmdk" => Ok(Box::new(vmdk::Vmdk::open(
            path,
            o.read_only,
            o.no_backing,
            depth,
        )?)),
        "vhdx" => Ok(Box::new(vhdx::Vhdx::open(path, o.read_only)?)),
        "qed" => Ok(Box::new(qed::Qed::open(
            path,
            o.read_only,
            o.no_backing,
            depth,
        )?)),
        other => Err(BlockError::Unsupported(format!("Unknown driver '{other}'"))),
    }
}
