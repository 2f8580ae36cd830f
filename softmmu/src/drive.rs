//! Drives (`-drive`): an image opened through the block layer, with its
//! options (format, read-only, throttling, `-snapshot` overlay, a
//! `blkdebug:RULES:IMAGE` fault injector, the werror/rerror policies),
//! shared by the device that uses it and the monitor (query-block,
//! block_resize, drive_del). A failed request goes through
//! `Drive::io_error`, which picks the policy's action and tells the
//! machine (BLOCK_IO_ERROR, a stop); `cont` calls `Drive::retry`.

use crate::block_error::{Action, ErrorPolicies, IoFailure, ENOSPC};
use block::throttle::{RealClock, Throttle, ThrottleConfig, ThrottleGroup};
use block::{BlockDriver, BlockError};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicU8, Ordering};
use std::sync::Mutex;

/// QMP's BlockDeviceIoStatus, as `Drive::io_status` keeps it.
pub const IO_OK: u8 = 0;
pub const IO_FAILED: u8 = 1;
pub const IO_NOSPACE: u8 = 2;

type ErrorHandler = Box<dyn Fn(&IoFailure) + Send>;

/// Where a drive is attached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Interface {
    /// `if=virtio`: a virtio-blk device of its own.
    Virtio,
    /// `if=none`: only through `-device ...,drive=ID`.
    None,
}

/// A `-drive` option, parsed.
#[derive(Debug, Clone)]
pub struct DriveSpec {
    pub id: String,
    pub file: PathBuf,
    pub format: Option<String>,
    pub interface: Interface,
    pub read_only: bool,
    /// Writes go to a temporary overlay (`snapshot=on` or `-snapshot`).
    pub snapshot: bool,
    pub serial: Option<String>,
    pub throttle: Option<ThrottleConfig>,
    /// A throttle group the drive's requests count against (a
    /// `driver=throttle` block node).
    pub throttle_group: Option<ThrottleGroup>,
    /// werror= / rerror=.
    pub on_error: ErrorPolicies,
}

/// An opened drive.
pub struct Drive {
    pub id: String,
    /// The image as named on the command line.
    pub file: PathBuf,
    pub format: &'static str,
    pub read_only: bool,
    pub snapshot: bool,
    pub serial: String,
    pub throttle: Option<ThrottleConfig>,
    pub on_error: ErrorPolicies,
    pub driver: Mutex<Box<dyn BlockDriver>>,
    /// Virtual size in bytes (read without taking the driver's lock).
    length: AtomicU64,
    on_resize: Mutex<Vec<Box<dyn Fn() + Send>>>,
    /// Called by `retry` (the device resubmits what a stop held back).
    on_retry: Mutex<Vec<Box<dyn Fn() + Send>>>,
    /// Told about every failed request (the machine: event, stop).
    error_handler: Mutex<Option<ErrorHandler>>,
    /// `IO_OK`, `IO_FAILED` or `IO_NOSPACE` (set by a stop, cleared by
    /// `retry`).
    io_status: AtomicU8,
    /// drive_del removed the image; requests fail with ENOMEDIUM.
    detached: AtomicBool,
}

#[derive(Debug, thiserror::Error)]
#[error("-drive {file}: {msg}", file = .0.display(), msg = .1)]
pub struct DriveError(pub PathBuf, pub String);

impl Drive {
    pub fn open(spec: &DriveSpec) -> Result<Drive, DriveError> {
        let e = |m: String| DriveError(spec.file.clone(), m);
        let fmt = match &spec.format {
            Some(f) => f.clone(),
            None if spec.file.to_string_lossy().starts_with("blkdebug:") => String::new(),
            None => block::probe_format(&spec.file)
                .map_err(|x| e(x.to_string()))?
                .to_string(),
        };
        let name = spec.file.to_string_lossy().into_owned();
        let (rules, image) = match block::blkdebug::split_filename(&name) {
            Some((r, i)) => (Some(r.to_string()), PathBuf::from(i)),
            None => (None, spec.file.clone()),
        };
        let fmt = if rules.is_some() && spec.format.is_none() {
            block::probe_format(&image)
                .map_err(|x| e(x.to_string()))?
                .to_string()
        } else {
            fmt
        };
        let base = block::open_image(&image, Some(&fmt), spec.read_only || spec.snapshot)
            .map_err(|x| e(x.to_string()))?;
        let format = base.format_name();
        let mut driver = if spec.snapshot {
            overlay(&image, &fmt, base.length()).map_err(e)?
        } else {
            base
        };
        match rules.as_deref() {
            None => {}
            Some("") => driver = Box::new(block::blkdebug::Blkdebug::new(driver, Vec::new())),
            Some(r) => {
                driver = Box::new(
                    block::blkdebug::Blkdebug::with_rules_file(driver, Path::new(r))
                        .map_err(|x| e(x.to_string()))?,
                )
            }
        }
        if let Some(cfg) = &spec.throttle {
            driver = Box::new(
                Throttle::new(driver, cfg.clone(), Box::new(RealClock::default()))
                    .map_err(|x| e(x.to_string()))?,
            );
        }
        if let Some(g) = &spec.throttle_group {
            driver = Box::new(g.filter(driver));
        }
        Ok(Drive {
            id: spec.id.clone(),
            file: spec.file.clone(),
            format,
            read_only: spec.read_only,
            snapshot: spec.snapshot,
            serial: spec.serial.clone().unwrap_or_default(),
            throttle: spec.throttle.clone(),
            on_error: spec.on_error,
            length: AtomicU64::new(driver.length()),
            driver: Mutex::new(driver),
            on_resize: Mutex::new(Vec::new()),
            on_retry: Mutex::new(Vec::new()),
            error_handler: Mutex::new(None),
            io_status: AtomicU8::new(IO_OK),
            detached: AtomicBool::new(false),
        })
    }

    /// Whether drive_del removed the image.
    pub fn detached(&self) -> bool {
        self.detached.load(Ordering::SeqCst)
    }

    /// QMP's io-status ("ok", "failed", "nospace").
    pub fn io_status(&self) -> &'static str {
        match self.io_status.load(Ordering::SeqCst) {
            IO_FAILED => "failed",
            IO_NOSPACE => "nospace",
            _ => "ok",
        }
    }

    /// Who hears of failed requests (the machine).
    pub fn set_error_handler(&self, f: ErrorHandler) {
        if let Ok(mut h) = self.error_handler.lock() {
            *h = Some(f);
        }
    }

    /// A guest request failed with `err`: picks the action from the
    /// policy and reports the failure (BLOCK_IO_ERROR; a stop pauses the
    /// machine before this returns). A detached drive only reports.
    pub fn io_error(&self, write: bool, err: &BlockError) -> Action {
        let errno = err.errno();
        let detached = self.detached();
        let policy = if write {
            self.on_error.werror
        } else {
            self.on_error.rerror
        };
        let action = if detached {
            Action::Report
        } else {
            policy.action(errno)
        };
        if action == Action::Stop {
            let st = if errno == ENOSPC {
                IO_NOSPACE
            } else {
                IO_FAILED
            };
            self.io_status.store(st, Ordering::SeqCst);
        }
        let f = IoFailure {
            device: if detached {
                String::new()
            } else {
                self.id.clone()
            },
            node_name: if detached {
                String::new()
            } else {
                self.id.clone()
            },
            write,
            action,
            nospace: errno == ENOSPC,
            reason: crate::block_error::strerror(errno),
        };
        if let Ok(h) = self.error_handler.lock() {
            if let Some(h) = h.as_ref() {
                h(&f);
            }
        }
        action
    }

    /// Calls `f` when the requests a stop held back are to be retried.
    pub fn on_retry(&self, f: Box<dyn Fn() + Send>) {
        if let Ok(mut v) = self.on_retry.lock() {
            v.push(f);
        }
    }

    /// The VM runs again (`cont`): clears the error status and lets the
    /// device resubmit the requests a stop held back.
    pub fn retry(&self) {
        self.io_status.store(IO_OK, Ordering::SeqCst);
        if let Ok(v) = self.on_retry.lock() {
            for f in v.iter() {
                f();
            }
        }
    }

    /// drive_del: flushes and closes the image (its locks go with it);
    /// the device keeps a drive whose every request fails (ENOMEDIUM).
    pub fn detach(&self) -> Result<(), String> {
        if self.detached.swap(true, Ordering::SeqCst) {
            return Err(format!("Device '{}' not found", self.id));
        }
        let mut d = self.driver.lock().map_err(|_| "drive lock poisoned")?;
        let old = std::mem::replace(&mut *d, Box::new(NoMedium(self.length())));
        drop(d);
        let mut old = old;
        old.close()
            .map_err(|e| format!("{}: {e}", self.file.display()))
    }

    pub fn length(&self) -> u64 {
        self.length.load(Ordering::SeqCst)
    }

    /// Calls `f` after every resize (the device tells its driver).
    pub fn on_resize(&self, f: Box<dyn Fn() + Send>) {
        if let Ok(mut v) = self.on_resize.lock() {
            v.push(f);
        }
    }

    /// Grows or shrinks the image (QMP block_resize).
    pub fn resize(&self, new_len: u64) -> Result<(), String> {
        if self.read_only {
            return Err("Block node is read-only".into());
        }
        {
            let mut d = self.driver.lock().map_err(|_| "drive lock poisoned")?;
            d.resize(new_len, true).map_err(|e| e.to_string())?;
            self.length.store(d.length(), Ordering::SeqCst);
        }
        if let Ok(v) = self.on_resize.lock() {
            for f in v.iter() {
                f();
            }
        }
        Ok(())
    }

    /// Takes the image's size again after it changed underneath (a
    /// snapshot applied); the device hears of a change as of a resize.
    pub fn refresh_length(&self) {
        let Ok(len) = self.driver.lock().map(|d| d.length()) else {
            return;
        };
        if self.length.swap(len, Ordering::SeqCst) != len {
            if let Ok(v) = self.on_resize.lock() {
                for f in v.iter() {
                    f();
                }
            }
        }
    }

    /// Flushes and closes the image at machine exit.
    pub fn close(&self) -> Result<(), String> {
        if self.detached() {
            return Ok(());
        }
        let mut d = self.driver.lock().map_err(|_| "drive lock poisoned")?;
        d.close()
            .map_err(|e| format!("{}: {e}", self.file.display()))
    }
}

/// A temporary qcow2 image over `file` that takes the writes; it is
/// unlinked once open, so it goes away with the process.
fn overlay(file: &Path, fmt: &str, size: u64) -> Result<Box<dyn BlockDriver>, String> {
    let abs = std::fs::canonicalize(file).map_err(|e| e.to_string())?;
    let tmp = std::env::temp_dir().join(format!(
        "mimic-snapshot-{}-{}.qcow2",
        std::process::id(),
        OVERLAYS.fetch_add(1, Ordering::SeqCst)
    ));
    let mut o = BTreeMap::new();
    o.insert("backing_file".to_string(), abs.display().to_string());
    o.insert("backing_fmt".to_string(), fmt.to_string());
    let r = block::img::create_image("qcow2", &tmp, size, &o)
        .and_then(|_| block::open_image(&tmp, Some("qcow2"), false));
    let _ = std::fs::remove_file(&tmp);
    r.map_err(|e| format!("cannot create the snapshot overlay: {e}"))
}

static OVERLAYS: AtomicU64 = AtomicU64::new(0);

/// What a drive holds after drive_del: no medium.
struct NoMedium(u64);

const ENOMEDIUM: i32 = 123;

fn no_medium<T>() -> block::Result<T> {
    Err(BlockError::Io(std::io::Error::from_raw_os_error(ENOMEDIUM)))
}

impl BlockDriver for NoMedium {
    fn format_name(&self) -> &'static str {
        "none"
    }
    fn length(&self) -> u64 {
        self.0
    }
    fn read(&mut self, _: u64, _: &mut [u8]) -> block::Result<()> {
        no_medium()
    }
    fn write(&mut self, _: u64, _: &[u8]) -> block::Result<()> {
        no_medium()
    }
    fn flush(&mut self) -> block::Result<()> {
        no_medium()
    }
    fn discard(&mut self, _: u64, _: u64) -> block::Result<()> {
        no_medium()
    }
    fn write_zeroes(&mut self, _: u64, _: u64, _: bool) -> block::Result<()> {
        no_medium()
    }
    fn block_status(&mut self, _: u64, _: u64) -> block::Result<block::Extent> {
        no_medium()
    }
    fn resize(&mut self, _: u64, _: bool) -> block::Result<()> {
        no_medium()
    }
    fn close(&mut self) -> block::Result<()> {
        Ok(())
    }
}
