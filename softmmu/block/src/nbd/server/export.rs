//! One served image: how it is opened (raw files directly, so requests run
//! in parallel with positioned I/O; other formats through their driver
//! behind a mutex), what it advertises, and the operations the
//! transmission phase performs on it, with errors already mapped to NBD
//! error values.

use crate::driver::BlockDriver;
use crate::error::BlockError;
use crate::file::HostFile;
use crate::nbd::proto::*;
use std::os::unix::io::AsRawFd;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

/// qemu-nbd's `--cache` modes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CacheMode {
    /// Host page cache, flush on request (qemu's default "writeback").
    Writeback,
    /// Every write is flushed before it is acknowledged.
    Writethrough,
    /// qemu opens with O_DIRECT; Mimic treats it as writeback.
    None,
    /// Like writethrough.
    Directsync,
    /// Flushes are ignored.
    Unsafe,
}

impl CacheMode {
    pub fn parse(s: &str) -> Option<CacheMode> {
        Some(match s {
            "writeback" => CacheMode::Writeback,
            "writethrough" => CacheMode::Writethrough,
            "none" | "off" => CacheMode::None,
            "directsync" => CacheMode::Directsync,
            "unsafe" => CacheMode::Unsafe,
            _ => return None,
        })
    }
}

/// How to open one export.
#[derive(Debug, Clone)]
pub struct ExportConfig {
    pub name: String,
    pub path: PathBuf,
    /// None probes the format.
    pub format: Option<String>,
    pub read_only: bool,
    pub description: String,
    pub cache: CacheMode,
    /// `--discard=unmap`: TRIM and WRITE_ZEROES may deallocate.
    pub discard: bool,
    /// Internal snapshot to serve (read-only), `-l`.
    pub snapshot: Option<String>,
}

impl ExportConfig {
    pub fn new(name: &str, path: impl Into<PathBuf>) -> ExportConfig {
        ExportConfig {
            name: name.into(),
            path: path.into(),
            format: None,
            read_only: false,
            description: String::new(),
            cache: CacheMode::Writeback,
            discard: true,
            snapshot: None,
        }
    }
}

enum Backend {
    /// A raw file: positioned I/O from any thread.
    File(HostFile),
    /// Any other format: one request at a time.
    Driver(Mutex<Box<dyn BlockDriver>>),
}

/// An NBD error value with a message for structured error chunks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NbdErr {
    pub code: u32,
    pub msg: String,
}

impl NbdErr {
    pub fn new(code: u32, msg: impl Into<String>) -> NbdErr {
        NbdErr {
            code,
            msg: msg.into(),
        }
    }
}

impl From<BlockError> for NbdErr {
    fn from(e: BlockError) -> NbdErr {
        let code = match &e {
            BlockError::ReadOnly => EPERM,
            BlockError::OutOfRange { .. } => EINVAL,
            BlockError::Unsupported(_) => ENOTSUP,
            BlockError::Io(io) => match io.raw_os_error() {
                Some(libc::ENOSPC) | Some(libc::EDQUOT) | Some(libc::EFBIG) => ENOSPC,
                Some(libc::EPERM) | Some(libc::EACCES) | Some(libc::EROFS) => EPERM,
                Some(libc::ENOMEM) => ENOMEM,
                Some(libc::EINVAL) => EINVAL,
                _ => EIO,
            },
            _ => EIO,
        };
        NbdErr::new(code, e.to_string())
    }
}

pub type NbdResult<T> = std::result::Result<T, NbdErr>;

/// One block-status extent as NBD reports it for `base:allocation`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Status {
    pub len: u64,
    /// STATE_HOLE / STATE_ZERO bits.
    pub flags: u32,
}

pub struct Export {
    pub name: String,
    pub description: String,
    pub size: u64,
    pub read_only: bool,
    pub format: String,
    /// Advertise NBD_FLAG_CAN_MULTI_CONN (all connections share one
    /// driver and one cache, so flushes are visible to all).
    pub multi_conn: bool,
    backend: Backend,
    cache: CacheMode,
    discard: bool,
    /// Something was written since the last flush.
    dirty: AtomicBool,
    /// Serializes writes to a raw file.
    write_lock: Mutex<()>,
    /// A raw file known to have no holes (block status and reads skip
    /// the SEEK_DATA/SEEK_HOLE queries). Cleared when a hole may appear.
    dense: AtomicBool,
}

/// Whether `off` in the file is data, and how far that run goes (at most
/// to `end`, which is within the file).
fn file_status(fd: i32, off: u64, end: u64) -> (bool, u64) {
    let data = unsafe { libc::lseek(fd, off as libc::off_t, libc::SEEK_DATA) };
    if data < 0 {
        // ENXIO: only a hole follows; other errors: say data.
        let e = std::io::Error::last_os_error().raw_os_error();
        return (e != Some(libc::ENXIO), end - off);
    }
    let data = data as u64;
    if data > off {
        return (false, data.min(end) - off);
    }
    let hole = unsafe { libc::lseek(fd, off as libc::off_t, libc::SEEK_HOLE) };
    if hole < 0 {
        return (true, end - off);
    }
    (true, (hole as u64).max(off + 1).min(end) - off)
}

impl Export {
    pub fn open(c: &ExportConfig) -> crate::Result<Export> {
        let fmt = match &c.format {
            Some(f) => f.clone(),
            None => crate::probe_format(&c.path)?.to_string(),
        };
        let read_only = c.read_only || c.snapshot.is_some();
        let mut dense = false;
        let (backend, size) = if fmt == "raw" && c.snapshot.is_none() {
            let f = HostFile::open_raw(&c.path, read_only)?;
            let size = f.len()?;
            dense = size == 0 || file_status(f.file.as_raw_fd(), 0, size) == (true, size);
            (Backend::File(f), size)
        } else {
            let mut d = crate::open_image(&c.path, Some(&fmt), read_only)?;
            if let Some(s) = &c.snapshot {
                d.snapshot_load_readonly(s)?;
            }
            let size = d.length();
            (Backend::Driver(Mutex::new(d)), size)
        };
        Ok(Export {
            name: c.name.clone(),
            description: c.description.clone(),
            size,
            read_only,
            format: fmt,
            multi_conn: true,
            backend,
            cache: c.cache,
            discard: c.discard,
            dirty: AtomicBool::new(false),
            dense: AtomicBool::new(dense),
            write_lock: Mutex::new(()),
        })
    }

    /// The host file of a raw export (for zero-copy reads).
    pub fn raw_fd(&self) -> Option<i32> {
        match &self.backend {
            Backend::File(f) => Some(f.file.as_raw_fd()),
            Backend::Driver(_) => None,
        }
    }

    /// The transmission flags for this export.
    pub fn transmission_flags(&self, structured: bool) -> u16 {
        let mut f = FLAG_HAS_FLAGS
            | FLAG_SEND_FLUSH
            | FLAG_SEND_FUA
            | FLAG_SEND_TRIM
            | FLAG_SEND_WRITE_ZEROES
            | FLAG_SEND_FAST_ZERO
            | FLAG_SEND_CACHE;
        if self.multi_conn {
            f |= FLAG_CAN_MULTI_CONN;
        }
        if self.read_only {
            f |= FLAG_READ_ONLY;
        }
        if structured {
            f |= FLAG_SEND_DF;
        }
        f
    }

    fn with_driver<T>(
        &self,
        m: &Mutex<Box<dyn BlockDriver>>,
        f: impl FnOnce(&mut dyn BlockDriver) -> crate::Result<T>,
    ) -> NbdResult<T> {
        let mut g = m.lock().unwrap_or_else(|p| p.into_inner());
        f(g.as_mut()).map_err(NbdErr::from)
    }

    fn check_range(&self, offset: u64, len: u64, code: u32) -> NbdResult<()> {
        match offset.checked_add(len) {
            Some(end) if end <= self.size => Ok(()),
            _ => Err(NbdErr::new(
                code,
                format!(
                    "request [{offset}, +{len}) is beyond the end of the export ({} bytes)",
                    self.size
                ),
            )),
        }
    }

    fn check_writable(&self) -> NbdResult<()> {
        if self.read_only {
            return Err(NbdErr::new(EPERM, "export is read-only"));
        }
        Ok(())
    }

    pub fn read(&self, offset: u64, buf: &mut [u8]) -> NbdResult<()> {
        self.check_range(offset, buf.len() as u64, EINVAL)?;
        match &self.backend {
            Backend::File(f) => f.read_at(offset, buf).map_err(NbdErr::from),
            Backend::Driver(m) => self.with_driver(m, |d| d.read(offset, buf)),
        }
    }

    /// Flushes after a write when FUA was asked for or the cache mode
    /// requires it.
    fn after_write(&self, fua: bool) -> NbdResult<()> {
        self.dirty.store(true, Ordering::Release);
        let sync = fua || matches!(self.cache, CacheMode::Writethrough | CacheMode::Directsync);
        if sync && self.cache != CacheMode::Unsafe {
            self.flush()?;
        }
        Ok(())
    }

    pub fn write(&self, offset: u64, data: &[u8], fua: bool) -> NbdResult<()> {
        self.check_writable()?;
        self.check_range(offset, data.len() as u64, ENOSPC)?;
        match &self.backend {
            Backend::File(f) => {
                // Buffered writes to one file are serialized by the kernel
                // (inode lock) anyway; waiting here sleeps instead of
                // spinning on that lock.
                let _g = self.write_lock.lock().unwrap_or_else(|p| p.into_inner());
                f.write_at(offset, data).map_err(NbdErr::from)?
            }
            Backend::Driver(m) => self.with_driver(m, |d| d.write(offset, data))?,
        }
        self.after_write(fua)
    }

    pub fn flush(&self) -> NbdResult<()> {
        if self.read_only || self.cache == CacheMode::Unsafe {
            return Ok(());
        }
        self.dirty.store(false, Ordering::Release);
        let r = match &self.backend {
            Backend::File(f) => f.sync().map_err(NbdErr::from),
            Backend::Driver(m) => self.with_driver(m, |d| d.flush()),
        };
        if r.is_err() {
            self.dirty.store(true, Ordering::Release);
        }
        r
    }

    /// Flushes if anything was written since the last flush (on disconnect).
    pub fn flush_if_dirty(&self) -> NbdResult<()> {
        if self.dirty.load(Ordering::Acquire) {
            self.flush()
        } else {
            Ok(())
        }
    }

    pub fn trim(&self, offset: u64, len: u64, fua: bool) -> NbdResult<()> {
        self.check_writable()?;
        self.check_range(offset, len, EINVAL)?;
        if !self.discard || len == 0 {
            return Ok(());
        }
        match &self.backend {
            Backend::File(f) => {
                self.dense.store(false, Ordering::Release);
                f.punch_hole(offset, len).map_err(NbdErr::from)?
            }
            Backend::Driver(m) => self.with_driver(m, |d| d.discard(offset, len))?,
        }
        self.after_write(fua)
    }

    pub fn write_zeroes(
        &self,
        offset: u64,
        len: u64,
        no_hole: bool,
        fast: bool,
        fua: bool,
    ) -> NbdResult<()> {
        self.check_writable()?;
        self.check_range(offset, len, ENOSPC)?;
        let unmap = self.discard && !no_hole;
        match &self.backend {
            Backend::File(f) => {
                if unmap {
                    self.dense.store(false, Ordering::Release);
                }
                if fast {
                    // Only what the filesystem does without writing data.
                    let mode = if unmap {
                        libc::FALLOC_FL_PUNCH_HOLE | libc::FALLOC_FL_KEEP_SIZE
                    } else {
                        libc::FALLOC_FL_ZERO_RANGE
                    };
                    let r = unsafe {
                        libc::fallocate(
                            f.file.as_raw_fd(),
                            mode,
                            offset as libc::off_t,
                            len as libc::off_t,
                        )
                    };
                    if r != 0 && len != 0 {
                        return Err(NbdErr::new(ENOTSUP, "fast zeroing is not available"));
                    }
                } else if unmap {
                    f.punch_hole(offset, len).map_err(NbdErr::from)?
                } else {
                    f.zero_range(offset, len).map_err(NbdErr::from)?
                }
            }
            Backend::Driver(m) => {
                if fast && self.format != "qcow2" {
                    return Err(NbdErr::new(ENOTSUP, "fast zeroing is not available"));
                }
                self.with_driver(m, |d| d.write_zeroes(offset, len, unmap))?
            }
        }
        self.after_write(fua)
    }

    /// CACHE: ask the kernel to read the range ahead.
    pub fn cache(&self, offset: u64, len: u64) -> NbdResult<()> {
        self.check_range(offset, len, EINVAL)?;
        if let Backend::File(f) = &self.backend {
            unsafe {
                libc::posix_fadvise(
                    f.file.as_raw_fd(),
                    offset as libc::off_t,
                    len as libc::off_t,
                    libc::POSIX_FADV_WILLNEED,
                );
            }
        }
        Ok(())
    }

    /// Allocation status of `[offset, offset+len)`: at most `max` extents,
    /// covering the range (the last may stop short when `max` is reached).
    pub fn block_status(&self, offset: u64, len: u64, max: usize) -> NbdResult<Vec<Status>> {
        self.check_range(offset, len, EINVAL)?;
        if len == 0 || max == 0 {
            return Ok(Vec::new());
        }
        let mut out: Vec<Status> = Vec::new();
        let end = offset + len;
        let mut off = offset;
        let push = |out: &mut Vec<Status>, n: u64, flags: u32| match out.last_mut() {
            Some(l) if l.flags == flags => l.len += n,
            _ => out.push(Status { len: n, flags }),
        };
        match &self.backend {
            Backend::File(_) if self.dense.load(Ordering::Acquire) => {
                out.push(Status { len, flags: 0 })
            }
            Backend::File(f) => {
                while off < end && out.len() < max {
                    let (data, n) = file_status(f.file.as_raw_fd(), off, end);
                    let n = n.clamp(1, end - off);
                    push(&mut out, n, if data { 0 } else { STATE_HOLE | STATE_ZERO });
                    off += n;
                }
            }
            Backend::Driver(m) => {
                let mut g = m.lock().unwrap_or_else(|p| p.into_inner());
                while off < end && out.len() < max {
                    let (e, _, _) = crate::img::map::chain_status(g.as_mut(), off, end - off, 0)
                        .map_err(NbdErr::from)?;
                    let n = e.len.clamp(1, end - off);
                    let mut flags = 0;
                    if !e.data {
                        flags |= STATE_HOLE;
                    }
                    if e.zero {
                        flags |= STATE_ZERO;
                    }
                    push(&mut out, n, flags);
                    off += n;
                }
            }
        }
        if out.len() > max {
            out.truncate(max);
        }
        Ok(out)
    }
}

impl Drop for Export {
    fn drop(&mut self) {
        match &self.backend {
            Backend::File(f) => {
                if self.dirty.load(Ordering::Acquire) {
                    let _ = f.sync();
                }
            }
            Backend::Driver(m) => {
                let mut g = m.lock().unwrap_or_else(|p| p.into_inner());
                if !self.read_only {
                    let _ = g.close();
                }
            }
        }
    }
}
