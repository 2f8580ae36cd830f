//! Drives (`-drive`): an image opened through the block layer, with its
//! options (format, read-only, throttling, `-snapshot` overlay), shared by
//! the device that uses it and the monitor (query-block, block_resize).

use block::throttle::{RealClock, Throttle, ThrottleConfig};
use block::BlockDriver;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

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
    pub driver: Mutex<Box<dyn BlockDriver>>,
    /// Virtual size in bytes (read without taking the driver's lock).
    length: AtomicU64,
    on_resize: Mutex<Vec<Box<dyn Fn() + Send>>>,
}

#[derive(Debug, thiserror::Error)]
#[error("-drive {file}: {msg}", file = .0.display(), msg = .1)]
pub struct DriveError(pub PathBuf, pub String);

impl Drive {
    pub fn open(spec: &DriveSpec) -> Result<Drive, DriveError> {
        let e = |m: String| DriveError(spec.file.clone(), m);
        let fmt = match &spec.format {
            Some(f) => f.clone(),
            None => block::probe_format(&spec.file)
                .map_err(|x| e(x.to_string()))?
                .to_string(),
        };
        let base = block::open_image(&spec.file, Some(&fmt), spec.read_only || spec.snapshot)
            .map_err(|x| e(x.to_string()))?;
        let format = base.format_name();
        let mut driver = if spec.snapshot {
            overlay(&spec.file, &fmt, base.length()).map_err(e)?
        } else {
            base
        };
        if let Some(cfg) = &spec.throttle {
            driver = Box::new(
                Throttle::new(driver, cfg.clone(), Box::new(RealClock::default()))
                    .map_err(|x| e(x.to_string()))?,
            );
        }
        Ok(Drive {
            id: spec.id.clone(),
            file: spec.file.clone(),
            format,
            read_only: spec.read_only,
            snapshot: spec.snapshot,
            serial: spec.serial.clone().unwrap_or_default(),
            throttle: spec.throttle.clone(),
            length: AtomicU64::new(driver.length()),
            driver: Mutex::new(driver),
            on_resize: Mutex::new(Vec::new()),
        })
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
