//! Host file access shared by the format drivers: positioned I/O, sparse
//! queries (SEEK_DATA/SEEK_HOLE), hole punching and allocated size.

use crate::error::Result;
use crate::journal::Entry;
use std::fs::{File, OpenOptions};
use std::os::unix::fs::{FileExt, MetadataExt};
use std::os::unix::io::AsRawFd;
use std::path::{Path, PathBuf};

/// An image's host file.
#[derive(Debug)]
pub struct HostFile {
    pub file: File,
    pub path: PathBuf,
    pub read_only: bool,
    /// qemu's cache=unsafe: `sync` does nothing (order is still kept for
    /// crashes of the process, not of the host).
    pub no_sync: bool,
    /// Power-loss tests: where this file's changes are recorded.
    journal: Option<std::sync::Arc<crate::journal::Journal>>,
}

impl Drop for HostFile {
    /// Releases the image locks explicitly: the open file description may
    /// outlive this descriptor in a child forked meanwhile (until its exec),
    /// and its locks with it.
    fn drop(&mut self) {
        crate::lock::release(self.file.as_raw_fd());
    }
}

impl HostFile {
    /// Opens an image file and takes QEMU's image locks on it (see
    /// [`crate::lock`]): fails while another process uses it in a way this
    /// open does not share.
    pub fn open(path: &Path, read_only: bool) -> Result<HostFile> {
        HostFile::open_locked(path, read_only, false)
    }

    /// Opens a raw image's file: its locks announce the use but exclude
    /// nobody (see [`crate::lock::perms_for_raw`]).
    pub fn open_raw(path: &Path, read_only: bool) -> Result<HostFile> {
        HostFile::open_locked(path, read_only, true)
    }

    fn open_locked(path: &Path, read_only: bool, raw: bool) -> Result<HostFile> {
        let share = crate::lock::force_share();
        if share && !read_only {
            return Err(crate::error::BlockError::Other(
                "force-share=on can only be used with read-only images".into(),
            ));
        }
        let f = HostFile::open_unlocked(path, read_only)?;
        let (perm, shared) = if raw {
            crate::lock::perms_for_raw(read_only)
        } else {
            crate::lock::perms_for(read_only, share)
        };
        crate::lock::acquire(f.file.as_raw_fd(), perm, shared, path)?;
        Ok(f)
    }

    /// Opens without taking locks: for a glance at a file that is not kept
    /// open as an image (format probing).
    pub fn open_unlocked(path: &Path, read_only: bool) -> Result<HostFile> {
        let file = OpenOptions::new().read(true).write(!read_only).open(path)?;
        Ok(HostFile {
            file,
            path: path.to_path_buf(),
            read_only,
            no_sync: false,
            journal: crate::journal::current(),
        })
    }

    /// Creates (or empties) an image file, holding write locks first so an
    /// image another process has open is not truncated under it.
    pub fn create(path: &Path) -> Result<HostFile> {
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)?;
        let f = HostFile {
            file,
            path: path.to_path_buf(),
            read_only: false,
            no_sync: false,
            journal: crate::journal::current(),
        };
        let (perm, shared) = crate::lock::perms_for_create();
        crate::lock::acquire(f.file.as_raw_fd(), perm, shared, path)?;
        f.set_len(0)?;
        Ok(f)
    }

    pub fn len(&self) -> Result<u64> {
        Ok(self.file.metadata()?.len())
    }

    pub fn is_empty(&self) -> Result<bool> {
        Ok(self.len()? == 0)
    }

    /// Bytes actually allocated on the host (`st_blocks * 512`).
    pub fn allocated(&self) -> u64 {
        self.file.metadata().map(|m| m.blocks() * 512).unwrap_or(0)
    }

    /// Reads `buf.len()` bytes at `off`; bytes past end of file read as zero.
    pub fn read_at(&self, off: u64, buf: &mut [u8]) -> Result<()> {
        let mut done = 0;
        while done < buf.len() {
            let n = self.file.read_at(&mut buf[done..], off + done as u64)?;
            if n == 0 {
                buf[done..].fill(0);
                break;
            }
            done += n;
        }
        Ok(())
    }

    pub fn write_at(&self, off: u64, buf: &[u8]) -> Result<()> {
        if self.read_only {
            return Err(crate::error::BlockError::ReadOnly);
        }
        self.file.write_all_at(buf, off)?;
        self.record(|| Entry::Write {
            off,
            data: buf.to_vec(),
        });
        Ok(())
    }

    pub fn set_len(&self, len: u64) -> Result<()> {
        self.file.set_len(len)?;
        self.record(|| Entry::SetLen(len));
        Ok(())
    }

    pub fn sync(&self) -> Result<()> {
        if !self.read_only && !self.no_sync {
            self.file.sync_data()?;
            self.record(|| Entry::Sync);
        }
        Ok(())
    }

    fn record(&self, e: impl FnOnce() -> Entry) {
        if let Some(j) = &self.journal {
            j.push(e());
        }
    }

    /// Deallocates `[off, off+len)` (reads back as zeroes). Falls back to
    /// writing zeroes where the filesystem cannot punch holes.
    pub fn punch_hole(&self, off: u64, len: u64) -> Result<()> {
        if len == 0 {
            return Ok(());
        }
        let r = unsafe {
            libc::fallocate(
                self.file.as_raw_fd(),
                libc::FALLOC_FL_PUNCH_HOLE | libc::FALLOC_FL_KEEP_SIZE,
                off as libc::off_t,
                len as libc::off_t,
            )
        };
        if r != 0 {
            self.write_zeroes_explicit(off, len)?;
        } else {
            self.record(|| Entry::Zero {
                off,
                len,
                extend: false,
            });
        }
        Ok(())
    }

    /// Makes `[off, off+len)` read as zeroes, keeping it allocated.
    pub fn zero_range(&self, off: u64, len: u64) -> Result<()> {
        if len == 0 {
            return Ok(());
        }
        let r = unsafe {
            libc::fallocate(
                self.file.as_raw_fd(),
                libc::FALLOC_FL_ZERO_RANGE,
                off as libc::off_t,
                len as libc::off_t,
            )
        };
        if r != 0 {
            self.write_zeroes_explicit(off, len)?;
        } else {
            self.record(|| Entry::Zero {
                off,
                len,
                extend: true,
            });
        }
        Ok(())
    }

    /// Allocates `[off, off+len)` without writing (posix_fallocate semantics).
    pub fn allocate(&self, off: u64, len: u64) -> Result<()> {
        if len == 0 {
            return Ok(());
        }
        let r = unsafe {
            libc::fallocate(
                self.file.as_raw_fd(),
                0,
                off as libc::off_t,
                len as libc::off_t,
            )
        };
        if r != 0 {
            self.write_zeroes_explicit(off, len)?;
        } else {
            self.record(|| Entry::Extend(off + len));
        }
        Ok(())
    }

    fn write_zeroes_explicit(&self, off: u64, len: u64) -> Result<()> {
        let chunk = vec![0u8; len.min(1 << 20) as usize];
        let mut done = 0u64;
        while done < len {
            let n = (len - done).min(chunk.len() as u64) as usize;
            self.write_at(off + done, &chunk[..n])?;
            done += n as u64;
        }
        Ok(())
    }

    /// Whether `off` lies in a hole, and how far the hole/data run extends
    /// (at most to `end`). Past end of file counts as a hole.
    pub fn data_status(&self, off: u64, end: u64) -> (bool, u64) {
        let fd = self.file.as_raw_fd();
        let size = self.len().unwrap_or(0);
        if off >= size {
            return (false, end - off);
        }
        let data = unsafe { libc::lseek(fd, off as libc::off_t, libc::SEEK_DATA) };
        if data < 0 {
            // ENXIO: no data after off; other errors: assume data.
            let e = std::io::Error::last_os_error().raw_os_error();
            if e == Some(libc::ENXIO) {
                return (false, end - off);
            }
            return (true, end - off);
        }
        let data = data as u64;
        if data > off {
            return (false, data.min(end) - off);
        }
        let hole = unsafe { libc::lseek(fd, off as libc::off_t, libc::SEEK_HOLE) };
        if hole < 0 {
            return (true, end - off);
        }
        let hole = (hole as u64).max(off + 1);
        (true, hole.min(end) - off)
    }
}
