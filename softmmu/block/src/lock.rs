//! Image locking, with QEMU's protocol so that Mimic and QEMU exclude each
//! other.
//!
//! QEMU describes what an opener of an image file does with four permission
//! bits (bit 0 "consistent read", 1 "write", 2 "write unchanged", 3
//! "resize") and which of them it lets others have at the same time ("shared"
//! permissions). It publishes both as open-file-description (OFD) read locks
//! on single bytes of the image file:
//!
//! - byte `100 + i` is locked while the opener *uses* permission `i`;
//! - byte `200 + i` is locked while the opener does *not share* permission
//!   `i`.
//!
//! After taking its own locks, an opener tests (F_OFD_GETLK with a write
//! lock) byte `200 + i` for every permission it uses — someone else forbids
//! it: `Failed to get "write" lock` — and byte `100 + i` for every permission
//! it does not share — someone else uses it: `Failed to get shared "write"
//! lock`. Read locks never conflict with each other, so the locks themselves
//! always succeed; only the tests fail. Two openers racing both see each
//! other and both fail, which is safe.
//!
//! What QEMU's tools take for a format with metadata in the file (qcow2,
//! QED, VMDK, VHDX; observed in /proc/locks): a read-only open uses
//! consistent read and shares everything but write and resize (bytes 100,
//! 201, 203); a read/write open uses consistent read, write and resize and
//! shares consistent read and write unchanged (100, 101, 103, 201, 203); with
//! `-U`/`--force-share` (read-only opens only) a reader shares everything
//! (100 only). Backing files are read-only opens. A raw image shares
//! everything (100, plus 101 when written), see [`perms_for_raw`].
//!
//! `-U` reaches [`crate::file::HostFile::open`] through a thread-local flag
//! ([`ForceShare`]), so the drivers need no extra parameter.

use crate::error::{BlockError, Result};
use std::cell::Cell;
use std::os::unix::io::RawFd;
use std::path::Path;

/// Byte offset of the "permission in use" locks.
pub const PERM_BASE: u64 = 100;
/// Byte offset of the "permission not shared" locks.
pub const SHARED_BASE: u64 = 200;

pub const CONSISTENT_READ: u8 = 1 << 0;
pub const WRITE: u8 = 1 << 1;
pub const WRITE_UNCHANGED: u8 = 1 << 2;
pub const RESIZE: u8 = 1 << 3;
/// Every permission bit the protocol knows.
pub const ALL: u8 = 0x0f;

const NAMES: [&str; 4] = ["consistent read", "write", "write unchanged", "resize"];

thread_local! {
    static FORCE_SHARE: Cell<bool> = const { Cell::new(false) };
}

/// While alive, every image file this thread opens gets `-U` semantics
/// (`on`): read-only opens share every permission; read/write opens are
/// refused. Dropping it restores the previous setting.
pub struct ForceShare(bool);

impl ForceShare {
    pub fn scope(on: bool) -> ForceShare {
        ForceShare(FORCE_SHARE.with(|c| c.replace(on)))
    }
}

impl Drop for ForceShare {
    fn drop(&mut self) {
        FORCE_SHARE.with(|c| c.set(self.0));
    }
}

/// Whether opens on this thread currently force sharing.
pub fn force_share() -> bool {
    FORCE_SHARE.with(|c| c.get())
}

/// The (used, shared) permissions of an open of a raw image: QEMU's raw
/// format keeps no metadata in the file and passes its users' sharing
/// through, and the tools share everything, so a raw image only announces
/// its use (bytes 100, and 101 when writing) and never excludes anyone.
pub fn perms_for_raw(read_only: bool) -> (u8, u8) {
    if read_only {
        (CONSISTENT_READ, ALL)
    } else {
        (CONSISTENT_READ | WRITE, ALL)
    }
}

/// The permissions taken while creating an image file: creation writes and
/// resizes it, and (as in QEMU) forbids nothing to others.
pub fn perms_for_create() -> (u8, u8) {
    (WRITE | RESIZE, ALL)
}

/// The (used, shared) permissions of an open of an image file that holds
/// format metadata (qcow2, QED, VMDK, VHDX), as QEMU's tools choose them.
pub fn perms_for(read_only: bool, force_share: bool) -> (u8, u8) {
    if read_only {
        if force_share {
            (CONSISTENT_READ, ALL)
        } else {
            (CONSISTENT_READ, ALL & !(WRITE | RESIZE))
        }
    } else {
        (
            CONSISTENT_READ | WRITE | RESIZE,
            CONSISTENT_READ | WRITE_UNCHANGED,
        )
    }
}

fn flock(ty: i32, byte: u64) -> libc::flock {
    // SAFETY: flock is plain data; all-zero is a valid value.
    let mut fl: libc::flock = unsafe { std::mem::zeroed() };
    fl.l_type = ty as libc::c_short;
    fl.l_whence = libc::SEEK_SET as libc::c_short;
    fl.l_start = byte as libc::off_t;
    fl.l_len = 1;
    fl
}

/// Takes a shared OFD lock on one byte. `Ok(false)`: the file system does not
/// support OFD locks (locking is then skipped, as QEMU does).
fn lock_byte(fd: RawFd, byte: u64) -> Result<bool> {
    let mut fl = flock(libc::F_RDLCK, byte);
    // SAFETY: fd is open; fl is a valid flock.
    let r = unsafe { libc::fcntl(fd, libc::F_OFD_SETLK, &mut fl) };
    if r == 0 {
        return Ok(true);
    }
    let e = std::io::Error::last_os_error();
    match e.raw_os_error() {
        Some(libc::EINVAL) | Some(libc::ENOLCK) | Some(libc::ENOSYS) => Ok(false),
        _ => Err(BlockError::Other(format!(
            "Failed to lock byte {byte}: {e}"
        ))),
    }
}

/// Whether some other open file description holds a lock on `byte`.
fn byte_taken(fd: RawFd, byte: u64) -> Result<bool> {
    let mut fl = flock(libc::F_WRLCK, byte);
    // SAFETY: fd is open; fl is a valid flock.
    let r = unsafe { libc::fcntl(fd, libc::F_OFD_GETLK, &mut fl) };
    if r != 0 {
        let e = std::io::Error::last_os_error();
        return Err(BlockError::Other(format!(
            "Failed to get lock status of byte {byte}: {e}"
        )));
    }
    Ok(fl.l_type != libc::F_UNLCK as libc::c_short)
}

/// Drops every lock of the protocol held through `fd`'s open file
/// description.
pub fn release(fd: RawFd) {
    let mut fl = flock(libc::F_UNLCK, PERM_BASE);
    fl.l_len = (SHARED_BASE + 8 - PERM_BASE) as libc::off_t;
    // SAFETY: fd is open; fl is a valid flock. Failure leaves the locks to
    // the close.
    unsafe { libc::fcntl(fd, libc::F_OFD_SETLK, &mut fl) };
}

/// Publishes `perm`/`shared` on `fd` and checks them against the other
/// openers of the file. On error the caller closes `fd`, which drops the
/// locks taken.
pub fn acquire(fd: RawFd, perm: u8, shared: u8, path: &Path) -> Result<()> {
    for i in 0..NAMES.len() as u64 {
        let bit = 1u8 << i;
        if perm & bit != 0 && !lock_byte(fd, PERM_BASE + i)? {
            return Ok(());
        }
        if shared & bit == 0 && !lock_byte(fd, SHARED_BASE + i)? {
            return Ok(());
        }
    }
    let busy = |what: String| {
        BlockError::Other(format!(
            "Failed to get {what} lock\nIs another process using the image [{}]?",
            path.display()
        ))
    };
    for (i, name) in NAMES.iter().enumerate() {
        if perm & (1 << i) != 0 && byte_taken(fd, SHARED_BASE + i as u64)? {
            return Err(busy(format!("\"{name}\"")));
        }
    }
    for (i, name) in NAMES.iter().enumerate() {
        if shared & (1 << i) == 0 && byte_taken(fd, PERM_BASE + i as u64)? {
            return Err(busy(format!("shared \"{name}\"")));
        }
    }
    Ok(())
}
