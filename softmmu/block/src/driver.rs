//! The `BlockDriver` trait every format and filter implements.

use crate::error::{BlockError, Result};
use crate::json::Json;

/// The allocation status of one extent of an image, as one layer sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Extent {
    /// Length in bytes (> 0).
    pub len: u64,
    /// This layer determines the content (not falling through to a backing file).
    pub allocated: bool,
    /// The content is stored as data in this layer.
    pub data: bool,
    /// The content reads as zeroes.
    pub zero: bool,
    /// The data is compressed.
    pub compressed: bool,
    /// Offset of the data in the layer's own file, when it is stored contiguously.
    pub offset: Option<u64>,
}

impl Extent {
    pub fn unallocated(len: u64) -> Extent {
        Extent {
            len,
            allocated: false,
            data: false,
            zero: false,
            compressed: false,
            offset: None,
        }
    }
}

/// One internal snapshot.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SnapshotInfo {
    pub id: String,
    pub name: String,
    pub vm_state_size: u64,
    pub date_sec: u32,
    pub date_nsec: u32,
    pub vm_clock_nsec: u64,
    pub icount: Option<u64>,
    pub disk_size: u64,
}

/// What `check` may repair.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fix {
    None,
    Leaks,
    All,
}

/// Result of a consistency check (qemu-img's `ImageCheck` fields).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CheckReport {
    pub corruptions: u64,
    pub leaks: u64,
    pub check_errors: u64,
    pub corruptions_fixed: u64,
    pub leaks_fixed: u64,
    pub image_end_offset: Option<u64>,
    pub total_clusters: Option<u64>,
    pub allocated_clusters: Option<u64>,
    pub fragmented_clusters: Option<u64>,
    pub compressed_clusters: Option<u64>,
    /// Messages printed to stderr while checking (one per line).
    pub messages: Vec<String>,
    /// Whether a repair pass was run (qemu prints "Double checking...").
    pub repaired: bool,
    /// Counts found before the repair (for the "were found and repaired" text).
    pub pre_leaks: u64,
    pub pre_corruptions: u64,
    /// The check could not complete (qemu-img prints "Check failed" and exits 1).
    pub failed: Option<String>,
}

/// A format's cluster compressor: (cluster size, data) -> compressed bytes,
/// None when compressing does not pay.
pub type Compressor = fn(u64, &[u8]) -> Option<Vec<u8>>;

/// A block device: a format driver over a file, or a filter over a driver.
///
/// Offsets and lengths are in bytes; requests past `length()` fail with
/// `OutOfRange`. Drivers are single-threaded (`&mut self`); callers that share
/// one wrap it in a mutex.
pub trait BlockDriver: Send {
    /// qemu's name for the format ("raw", "qcow2", ...).
    fn format_name(&self) -> &'static str;
    /// Virtual disk size in bytes.
    fn length(&self) -> u64;
    fn read(&mut self, offset: u64, buf: &mut [u8]) -> Result<()>;
    fn write(&mut self, offset: u64, buf: &[u8]) -> Result<()>;
    /// Make every completed write durable, metadata included.
    fn flush(&mut self) -> Result<()>;
    /// Hint that the range is no longer needed. Its content afterwards is
    /// either unchanged, zero, or (without a backing file) unallocated.
    fn discard(&mut self, offset: u64, len: u64) -> Result<()>;
    /// Make the range read as zeroes, deallocating where `may_unmap` allows.
    fn write_zeroes(&mut self, offset: u64, len: u64, may_unmap: bool) -> Result<()>;
    /// Status of the extent starting at `offset`, at most `len` bytes long.
    fn block_status(&mut self, offset: u64, len: u64) -> Result<Extent>;
    fn resize(&mut self, new_len: u64, allow_shrink: bool) -> Result<()>;

    /// Allocation granularity (the format's cluster size), if any.
    fn cluster_size(&self) -> Option<u64> {
        None
    }
    /// The backing file as named in the image, and its format if recorded.
    fn backing_file(&self) -> Option<(String, Option<String>)> {
        None
    }
    /// The opened backing image, if any.
    fn backing(&mut self) -> Option<&mut dyn BlockDriver> {
        None
    }
    /// Change the backing file reference (metadata only: `rebase -u`).
    fn set_backing_file(&mut self, _file: Option<&str>, _fmt: Option<&str>) -> Result<()> {
        Err(BlockError::Unsupported(format!(
            "changing the backing file of a {} image",
            self.format_name()
        )))
    }
    /// Write one cluster-aligned range compressed (convert -c).
    fn write_compressed(&mut self, _offset: u64, _buf: &[u8]) -> Result<()> {
        Err(BlockError::Unsupported(format!(
            "compression with {}",
            self.format_name()
        )))
    }
    /// The format's cluster compressor (cluster size, data -> compressed
    /// bytes, None if not worth it), for writers that compress on other
    /// threads and store the result with `write_precompressed`.
    fn compressor(&self) -> Option<Compressor> {
        None
    }
    /// Store one cluster compressed beforehand by `compressor()`.
    fn write_precompressed(&mut self, _offset: u64, _data: &[u8]) -> Result<()> {
        Err(BlockError::Unsupported(format!(
            "compression with {}",
            self.format_name()
        )))
    }
    /// Drop every allocation so the image reads through to its backing file.
    fn make_empty(&mut self) -> Result<()> {
        Err(BlockError::Unsupported(format!(
            "emptying a {} image",
            self.format_name()
        )))
    }
    fn snapshot_list(&mut self) -> Result<Vec<SnapshotInfo>> {
        Ok(Vec::new())
    }
    fn snapshot_create(&mut self, _name: &str) -> Result<()> {
        Err(BlockError::Unsupported(format!(
            "internal snapshots with {}",
            self.format_name()
        )))
    }
    /// Creates a snapshot that also holds a VM state: the first
    /// `vm_state_size` bytes of the VM state area written beforehand with
    /// `vm_state_write` (the area is then dropped from the active image).
    fn snapshot_create_vm(
        &mut self,
        _name: &str,
        _vm_state_size: u64,
        _vm_clock_nsec: u64,
    ) -> Result<()> {
        Err(BlockError::Unsupported(format!(
            "VM state snapshots with {}",
            self.format_name()
        )))
    }
    /// Writes into the active image's VM state area (qcow2: the guest
    /// address space past the virtual disk, from the next L1 boundary).
    fn vm_state_write(&mut self, _offset: u64, _buf: &[u8]) -> Result<()> {
        Err(BlockError::Unsupported(format!(
            "VM state with {}",
            self.format_name()
        )))
    }
    /// Reads the active image's VM state area (after `snapshot_apply`,
    /// the applied snapshot's state); unallocated parts read as zeroes.
    fn vm_state_read(&mut self, _offset: u64, _buf: &mut [u8]) -> Result<()> {
        Err(BlockError::Unsupported(format!(
            "VM state with {}",
            self.format_name()
        )))
    }
    /// Drops the first `len` bytes of the VM state area from the active
    /// image (snapshots keep theirs).
    fn vm_state_discard(&mut self, _len: u64) -> Result<()> {
        Ok(())
    }
    /// Revert the active image to the snapshot named (by id or name).
    fn snapshot_apply(&mut self, _name: &str) -> Result<()> {
        Err(BlockError::Unsupported(format!(
            "internal snapshots with {}",
            self.format_name()
        )))
    }
    fn snapshot_delete(&mut self, _name: &str) -> Result<()> {
        Err(BlockError::Unsupported(format!(
            "internal snapshots with {}",
            self.format_name()
        )))
    }
    /// Switch a read-only image to show the snapshot's contents (convert -l).
    fn snapshot_load_readonly(&mut self, _name: &str) -> Result<()> {
        Err(BlockError::Unsupported(format!(
            "internal snapshots with {}",
            self.format_name()
        )))
    }
    /// Consistency check, optionally repairing.
    fn check(&mut self, _fix: Fix) -> Result<CheckReport> {
        Err(BlockError::Unsupported(format!(
            "checking {} images",
            self.format_name()
        )))
    }
    /// Format-specific information for `info` (qemu's `format-specific.data`).
    fn format_specific(&self) -> Option<Json> {
        None
    }
    /// The image's dirty flag (for `info`).
    fn dirty(&self) -> bool {
        false
    }
    /// Path of the file holding the image (for `info`'s child node).
    fn file_path(&self) -> Option<std::path::PathBuf> {
        None
    }
    /// Files other than `file_path` holding data (VMDK extents), named as
    /// qemu names its child nodes ("extents.0", ...).
    fn extra_files(&self) -> Vec<(String, std::path::PathBuf)> {
        Vec::new()
    }
    /// qemu's cache=unsafe: skip host flushes (convert's default target
    /// mode). Metadata is still written in order.
    fn set_unsafe_cache(&mut self, _on: bool) {}
    /// Another handle on the same image whose data writes may run on another
    /// thread at the same time as this handle's, for formats where a write
    /// changes no metadata (raw: positioned writes to the file). `None`:
    /// every write must go through this handle. The handle takes no image
    /// locks of its own; this one's cover it, so it must not outlive it.
    fn concurrent_writer(&self) -> Option<Result<Box<dyn BlockDriver>>> {
        None
    }
    /// Flush and mark the image cleanly closed.
    fn close(&mut self) -> Result<()> {
        self.flush()
    }
}

/// Checks that `[offset, offset+len)` lies inside a device of `size` bytes.
pub fn check_range(offset: u64, len: u64, size: u64) -> Result<()> {
    match offset.checked_add(len) {
        Some(end) if end <= size => Ok(()),
        _ => Err(BlockError::OutOfRange { offset, len, size }),
    }
}
