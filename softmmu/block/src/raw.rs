//! The raw format: the image file is the disk. Sparse aware: holes are found
//! with SEEK_DATA/SEEK_HOLE and discards punch holes.

use crate::driver::{check_range, BlockDriver, Extent};
use crate::error::{BlockError, Result};
use crate::file::HostFile;
use std::path::{Path, PathBuf};

pub struct Raw {
    file: HostFile,
    size: u64,
}

impl Raw {
    pub fn open(path: &Path, read_only: bool) -> Result<Raw> {
        let file = HostFile::open_raw(path, read_only)?;
        let size = file.len()?;
        Ok(Raw { file, size })
    }

    /// Creates a raw image of `size` bytes. `prealloc` is qemu's
    /// preallocation mode: off, falloc or full.
    pub fn create(path: &Path, size: u64, prealloc: &str) -> Result<()> {
        let f = HostFile::create(path)?;
        f.set_len(size)?;
        match prealloc {
            "off" | "metadata" => {
                // Like qemu, allocate the first block so alignment probing works.
                let n = size.min(4096);
                f.write_at(0, &vec![0u8; n as usize])?;
            }
            "falloc" => f.allocate(0, size)?,
            "full" => {
                let chunk = vec![0u8; 1 << 20];
                let mut off = 0;
                while off < size {
                    let n = (size - off).min(chunk.len() as u64) as usize;
                    f.write_at(off, &chunk[..n])?;
                    off += n as u64;
                }
            }
            other => return Err(BlockError::Invalid(format!("Invalid parameter '{other}'"))),
        }
        f.sync()?;
        Ok(())
    }
}

impl BlockDriver for Raw {
    fn format_name(&self) -> &'static str {
        "raw"
    }
    fn length(&self) -> u64 {
        self.size
    }
    fn read(&mut self, offset: u64, buf: &mut [u8]) -> Result<()> {
        check_range(offset, buf.len() as u64, self.size)?;
        self.file.read_at(offset, buf)
    }
    fn write(&mut self, offset: u64, buf: &[u8]) -> Result<()> {
        check_range(offset, buf.len() as u64, self.size)?;
        self.file.write_at(offset, buf)
    }
    fn flush(&mut self) -> Result<()> {
        self.file.sync()
    }
    fn discard(&mut self, offset: u64, len: u64) -> Result<()> {
        check_range(offset, len, self.size)?;
        if self.file.read_only {
            return Err(BlockError::ReadOnly);
        }
        self.file.punch_hole(offset, len)
    }
    fn write_zeroes(&mut self, offset: u64, len: u64, may_unmap: bool) -> Result<()> {
        check_range(offset, len, self.size)?;
        if self.file.read_only {
            return Err(BlockError::ReadOnly);
        }
        if may_unmap {
            self.file.punch_hole(offset, len)
        } else {
            self.file.zero_range(offset, len)
        }
    }
    fn block_status(&mut self, offset: u64, len: u64) -> Result<Extent> {
        check_range(offset, len, self.size)?;
        let (data, n) = self.file.data_status(offset, offset + len);
        Ok(Extent {
            len: n.max(1).min(len),
            allocated: true,
            data,
            zero: !data,
            compressed: false,
            offset: Some(offset),
        })
    }
    fn resize(&mut self, new_len: u64, allow_shrink: bool) -> Result<()> {
        if new_len < self.size && !allow_shrink {
            return Err(BlockError::Other(
                "Use the --shrink option to perform a shrink operation.".into(),
            ));
        }
        self.file.set_len(new_len)?;
        self.size = new_len;
        Ok(())
    }
    fn make_empty(&mut self) -> Result<()> {
        let n = self.size;
        self.write_zeroes(0, n, true)
    }
    fn set_unsafe_cache(&mut self, on: bool) {
        self.file.no_sync = on;
    }
    fn concurrent_writer(&self) -> Option<Result<Box<dyn BlockDriver>>> {
        if self.file.read_only {
            return None;
        }
        let size = self.size;
        let no_sync = self.file.no_sync;
        Some(
            HostFile::open_unlocked(&self.file.path, false).map(|mut file| {
                file.no_sync = no_sync;
                Box::new(Raw { file, size }) as Box<dyn BlockDriver>
            }),
        )
    }
    fn file_path(&self) -> Option<PathBuf> {
        Some(self.file.path.clone())
    }
}
