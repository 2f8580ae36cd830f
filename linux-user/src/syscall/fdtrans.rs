//! Fds whose data the kernel formats, and the conversion of that data.
//!
//! Guest fds are host fds, and `read`/`write` pass guest buffers to the
//! host in place. That is wrong for fds whose reads produce kernel structs
//! or integers: eventfd and timerfd counters (`u64`), signalfd records
//! (`struct signalfd_siginfo`), inotify events (`struct inotify_event`) and
//! netlink messages are in the host's byte order. The syscalls that create
//! such fds register them here with their [`FdKind`]; `read`, `write`,
//! `recvfrom`, `sendto`, `recvmsg`, `sendmsg` on a registered fd go through
//! [`to_guest`]/[`to_host`]. `close`/`dup*` keep the table current; a
//! forked child inherits it with the address space. (An fd that survives
//! `execve` is forgotten by the new image, as in QEMU: its data is then
//! passed raw, which is still right for little-endian guests.)
//!
//! Signal numbers in signalfd records need no renumbering: every ABI here
//! uses the generic numbering (see [`crate::signal`]).

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::RwLock;

use super::{Process, SysResult};
use crate::errno::Errno;
use crate::layout::{netlink, Codec};

/// What kind of data an fd's reads and writes carry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FdKind {
    /// `eventfd`: reads and writes one `u64`.
    Eventfd,
    /// `timerfd`: reads one `u64` expiration count.
    Timerfd,
    /// `signalfd`: reads 128-byte `signalfd_siginfo` records.
    Signalfd,
    /// `inotify`: reads `inotify_event` records.
    Inotify,
    /// A netlink socket: datagrams of netlink messages.
    Netlink,
}

static KINDS: RwLock<BTreeMap<i32, FdKind>> = RwLock::new(BTreeMap::new());
/// Number of registered fds: lets the common case skip the lock.
static COUNT: AtomicUsize = AtomicUsize::new(0);

fn table_mut() -> std::sync::RwLockWriteGuard<'static, BTreeMap<i32, FdKind>> {
    KINDS.write().unwrap_or_else(|e| e.into_inner())
}

fn set(fd: i32, kind: Option<FdKind>) {
    let mut t = table_mut();
    match kind {
        Some(k) => t.insert(fd, k),
        None => t.remove(&fd),
    };
    COUNT.store(t.len(), Ordering::Release);
}

/// `fd` was just created as `kind`.
pub fn register(fd: i32, kind: FdKind) {
    set(fd, Some(kind));
}

/// `fd` was closed (or replaced).
pub fn forget(fd: i32) {
    if COUNT.load(Ordering::Acquire) != 0 {
        set(fd, None);
    }
}

/// `new` is now a duplicate of `old` (or, when `old` is plain, no longer
/// special).
pub fn duplicated(old: i32, new: i32) {
    if COUNT.load(Ordering::Acquire) != 0 {
        set(new, kind(old));
    }
}

/// Every fd in `first..=last` was closed.
pub fn forget_range(first: u32, last: u32) {
    if COUNT.load(Ordering::Acquire) == 0 {
        return;
    }
    let mut t = table_mut();
    t.retain(|&fd, _| !(first as i64..=last as i64).contains(&(fd as i64)));
    COUNT.store(t.len(), Ordering::Release);
}

/// The kind of `fd`, if it is special.
pub fn kind(fd: i32) -> Option<FdKind> {
    if COUNT.load(Ordering::Acquire) == 0 {
        return None;
    }
    KINDS
        .read()
        .unwrap_or_else(|e| e.into_inner())
        .get(&fd)
        .copied()
}

/// `struct signalfd_siginfo` fields as `(offset, size)`: signo, errno,
/// code, pid, uid, fd, tid, band, overrun, trapno, status, int, ptr,
/// utime, stime, addr, addr_lsb, syscall, call_addr, arch. The layout is
/// fixed-size and the same in every ABI.
const SIGNALFD_FIELDS: &[(usize, usize)] = &[
    (0, 4),
    (4, 4),
    (8, 4),
    (12, 4),
    (16, 4),
    (20, 4),
    (24, 4),
    (28, 4),
    (32, 4),
    (36, 4),
    (40, 4),
    (44, 4),
    (48, 8),
    (56, 8),
    (64, 8),
    (72, 8),
    (80, 2),
    (84, 4),
    (88, 8),
    (96, 4),
];
pub const SIGNALFD_SIZE: usize = 128;

fn convert_fields(
    src: &[u8],
    out: &mut [u8],
    base: usize,
    fields: &[(usize, usize)],
    from: &Codec,
    to: &Codec,
) {
    for &(off, size) in fields {
        if base + off + size <= src.len() {
            to.put(out, base + off, size, from.get(src, base + off, size));
        }
    }
}

fn convert(kind: FdKind, src: &[u8], from: &Codec, to: &Codec, reading: bool) -> Vec<u8> {
    let mut out = src.to_vec();
    match kind {
        FdKind::Eventfd | FdKind::Timerfd => convert_fields(src, &mut out, 0, &[(0, 8)], from, to),
        FdKind::Signalfd if reading => {
            for base in (0..src.len()).step_by(SIGNALFD_SIZE) {
                convert_fields(src, &mut out, base, SIGNALFD_FIELDS, from, to);
            }
        }
        FdKind::Inotify if reading => {
            // int wd; u32 mask; u32 cookie; u32 len; char name[len];
            let mut off = 0;
            while off + 16 <= src.len() {
                let len = from.get(src, off + 12, 4) as usize;
                convert_fields(
                    src,
                    &mut out,
                    off,
                    &[(0, 4), (4, 4), (8, 4), (12, 4)],
                    from,
                    to,
                );
                off = off.saturating_add(16 + len);
            }
        }
        FdKind::Netlink => {
            out = if reading {
                netlink::to_guest(to, src)
            } else {
                netlink::to_host(from, src)
            }
        }
        FdKind::Signalfd | FdKind::Inotify => {}
    }
    out
}

/// Data the host produced on an fd of `kind`, in the guest's order.
pub fn to_guest(kind: FdKind, c: &Codec, host: &[u8]) -> Vec<u8> {
    convert(kind, host, &Codec::LE64, c, true)
}

/// Data the guest writes to an fd of `kind`, in the host's order.
pub fn to_host(kind: FdKind, c: &Codec, guest: &[u8]) -> Vec<u8> {
    convert(kind, guest, c, &Codec::LE64, false)
}

/// Most bytes one converted `read`/`write` moves (a larger request is a
/// short transfer, as the kernel allows for these fds).
const MAX_IO: u64 = 1 << 20;

/// The accessible prefix of a guest buffer, or `EFAULT`.
fn guest_len(p: &Process, addr: u64, len: u64, prot: i32) -> Result<usize, Errno> {
    let len = len.min(MAX_IO);
    if len == 0 {
        return Ok(0);
    }
    match p.space.accessible(p.abi.ulong_arg(addr), len, prot) {
        0 => Err(Errno::EFAULT),
        n => Ok(n as usize),
    }
}

/// `read` on an fd of `kind`: the host's data, converted.
pub(super) fn read(p: &mut Process, fd: i32, kind: FdKind, addr: u64, len: u64) -> SysResult {
    let n = guest_len(p, addr, len, libc::PROT_WRITE)?;
    let c = p.codec();
    if kind == FdKind::Signalfd {
        let pre = super::fdkinds::recorded_signals(p, fd, n / SIGNALFD_SIZE);
        if !pre.is_empty() {
            p.write_mem(addr, &to_guest(kind, &c, &pre))?;
            return Ok(pre.len() as u64);
        }
    }
    let mut buf = vec![0u8; n];
    // SAFETY: `buf` has `n` writable bytes.
    let r = unsafe {
        crate::safe_syscall::call(
            p,
            libc::SYS_read,
            [fd as u64, buf.as_mut_ptr() as u64, n as u64, 0, 0, 0],
        )
    }? as usize;
    p.write_mem(addr, &to_guest(kind, &c, &buf[..r]))?;
    Ok(r as u64)
}

/// `write` on an fd of `kind`: the guest's data, converted.
pub(super) fn write(p: &mut Process, fd: i32, kind: FdKind, addr: u64, len: u64) -> SysResult {
    let n = guest_len(p, addr, len, libc::PROT_READ)?;
    let data = to_host(kind, &p.codec(), &p.read_mem(addr, n)?);
    // SAFETY: `data` has `n` readable bytes.
    unsafe {
        crate::safe_syscall::call(
            p,
            libc::SYS_write,
            [fd as u64, data.as_ptr() as u64, data.len() as u64, 0, 0, 0],
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BE: Codec = Codec {
        big_endian: true,
        word: 4,
        time64: false,
    };

    #[test]
    fn registry_follows_close_and_dup() {
        // fd numbers far above anything a test opens
        register(900_001, FdKind::Eventfd);
        assert_eq!(kind(900_001), Some(FdKind::Eventfd));
        duplicated(900_001, 900_002);
        assert_eq!(kind(900_002), Some(FdKind::Eventfd));
        forget(900_001);
        assert_eq!(kind(900_001), None);
        forget_range(900_000, 900_010);
        assert_eq!(kind(900_002), None);
    }

    #[test]
    fn counters_and_records_swap_for_big_endian() {
        let v = 5u64.to_le_bytes();
        assert_eq!(to_guest(FdKind::Eventfd, &BE, &v), 5u64.to_be_bytes());
        assert_eq!(to_host(FdKind::Eventfd, &BE, &5u64.to_be_bytes()), v);
        assert_eq!(to_guest(FdKind::Timerfd, &Codec::LE64, &v), v);
        let mut s = vec![0u8; SIGNALFD_SIZE];
        s[0] = 10;
        s[12] = 0x34;
        s[13] = 0x12;
        let g = to_guest(FdKind::Signalfd, &BE, &s);
        assert_eq!(&g[..4], &[0, 0, 0, 10]);
        assert_eq!(&g[12..16], &[0, 0, 0x12, 0x34]);
        let mut ev = vec![0u8; 32];
        ev[0] = 1;
        ev[4] = 0x2;
        ev[12] = 16;
        ev[16..19].copy_from_slice(b"abc");
        let g = to_guest(FdKind::Inotify, &BE, &ev);
        assert_eq!(&g[..4], &[0, 0, 0, 1]);
        assert_eq!(&g[12..16], &[0, 0, 0, 16]);
        assert_eq!(&g[16..19], b"abc");
        assert_eq!(to_guest(FdKind::Inotify, &Codec::LE64, &ev), ev);
    }
}
