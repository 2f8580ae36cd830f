//! Data transfer: `read`/`write` and their positioned and vector forms,
//! `sendfile`, and the `ioctl` entry point.
//!
//! Guest buffers are passed to the host kernel in place (host address =
//! base + guest address) after checking the guest may access them. A
//! buffer that is only partly accessible is shortened to its accessible
//! prefix, so a short count or `EFAULT` comes out as on Linux. `read` and
//! `write` on fds whose data the kernel formats (eventfd, signalfd, ...)
//! convert it through [`super::fdtrans`].

use super::{fdtrans, host, ioctl, Handler, Process, SysResult};
use crate::errno::Errno;
use crate::layout::misc::decode_iovecs;
use crate::safe_syscall;

pub(super) const HANDLERS: &[(&str, Handler)] = &[
    ("read", sys_read),
    ("write", sys_write),
    ("pread64", sys_pread64),
    ("pwrite64", sys_pwrite64),
    ("readv", sys_readv),
    ("writev", sys_writev),
    ("preadv", sys_preadv),
    ("pwritev", sys_pwritev),
    ("preadv2", sys_preadv2),
    ("pwritev2", sys_pwritev2),
    ("sendfile", sys_sendfile),
    ("ioctl", ioctl::sys_ioctl),
];

/// `UIO_MAXIOV`.
const IOV_MAX: u64 = 1024;

/// Host pointer and usable length for a guest buffer of `len` bytes that
/// the host will write into (`prot = PROT_WRITE`) or read from.
fn buffer(
    p: &Process,
    addr: u64,
    len: u64,
    prot: i32,
) -> Result<(*mut libc::c_void, usize), Errno> {
    let addr = p.abi.ulong_arg(addr);
    if len == 0 {
        return Ok((p.space.g2h(addr).cast(), 0));
    }
    let n = p.space.accessible(addr, len, prot);
    if n == 0 {
        return Err(Errno::EFAULT);
    }
    Ok((p.space.g2h(addr).cast(), n as usize))
}

fn sys_read(p: &mut Process, a: [u64; 6]) -> SysResult {
    if let Some(k) = fdtrans::kind(a[0] as i32) {
        return fdtrans::read(p, a[0] as i32, k, a[1], a[2]);
    }
    let (buf, n) = buffer(p, a[1], a[2], libc::PROT_WRITE)?;
    // SAFETY: `buf` points at `n` guest bytes mapped writable.
    unsafe { safe_syscall::call(p, libc::SYS_read, [a[0], buf as u64, n as u64, 0, 0, 0]) }
}

fn sys_write(p: &mut Process, a: [u64; 6]) -> SysResult {
    if let Some(k) = fdtrans::kind(a[0] as i32) {
        return fdtrans::write(p, a[0] as i32, k, a[1], a[2]);
    }
    let (buf, n) = buffer(p, a[1], a[2], libc::PROT_READ)?;
    // SAFETY: `buf` points at `n` guest bytes mapped readable.
    unsafe { safe_syscall::call(p, libc::SYS_write, [a[0], buf as u64, n as u64, 0, 0, 0]) }
}

fn sys_pread64(p: &mut Process, a: [u64; 6]) -> SysResult {
    let (buf, n) = buffer(p, a[1], a[2], libc::PROT_WRITE)?;
    // SAFETY: as for read.
    host(unsafe { libc::pread(a[0] as i32, buf, n, a[3] as i64) } as i64)
}

fn sys_pwrite64(p: &mut Process, a: [u64; 6]) -> SysResult {
    let (buf, n) = buffer(p, a[1], a[2], libc::PROT_READ)?;
    // SAFETY: as for write.
    host(unsafe { libc::pwrite(a[0] as i32, buf, n, a[3] as i64) } as i64)
}

/// Decode and check a guest iovec array into host iovecs.
pub(super) fn iovecs(
    p: &Process,
    addr: u64,
    cnt: u64,
    prot: i32,
) -> Result<Vec<libc::iovec>, Errno> {
    if cnt > IOV_MAX {
        return Err(Errno::EINVAL);
    }
    let c = p.codec();
    let raw = p.read_mem(addr, cnt as usize * 2 * c.word)?;
    let mut out = Vec::with_capacity(cnt as usize);
    for (base, len) in decode_iovecs(&c, &raw) {
        if c.sext_word(len) < 0 {
            return Err(Errno::EINVAL);
        }
        if len != 0 && !p.space.check(base, len, prot) {
            return Err(Errno::EFAULT);
        }
        out.push(libc::iovec {
            iov_base: p.space.g2h(base).cast(),
            iov_len: len as usize,
        });
    }
    Ok(out)
}

/// The file offset of `preadv`-style calls: one register on 64-bit ABIs,
/// a low/high pair on 32-bit ones.
fn vec_pos(p: &Process, lo: u64, hi: u64) -> i64 {
    if p.abi.bits == 64 {
        lo as i64
    } else {
        ((hi << 32) | (lo & 0xffff_ffff)) as i64
    }
}

fn sys_readv(p: &mut Process, a: [u64; 6]) -> SysResult {
    let v = iovecs(p, a[1], a[2], libc::PROT_WRITE)?;
    // SAFETY: every iovec points at checked, writable guest memory.
    unsafe {
        safe_syscall::call(
            p,
            libc::SYS_readv,
            [a[0], v.as_ptr() as u64, v.len() as u64, 0, 0, 0],
        )
    }
}

fn sys_writev(p: &mut Process, a: [u64; 6]) -> SysResult {
    let v = iovecs(p, a[1], a[2], libc::PROT_READ)?;
    // SAFETY: every iovec points at checked, readable guest memory.
    unsafe {
        safe_syscall::call(
            p,
            libc::SYS_writev,
            [a[0], v.as_ptr() as u64, v.len() as u64, 0, 0, 0],
        )
    }
}

fn sys_preadv(p: &mut Process, a: [u64; 6]) -> SysResult {
    sys_preadv2(p, [a[0], a[1], a[2], a[3], a[4], 0])
}

fn sys_pwritev(p: &mut Process, a: [u64; 6]) -> SysResult {
    sys_pwritev2(p, [a[0], a[1], a[2], a[3], a[4], 0])
}

fn sys_preadv2(p: &mut Process, a: [u64; 6]) -> SysResult {
    let v = iovecs(p, a[1], a[2], libc::PROT_WRITE)?;
    let pos = vec_pos(p, a[3], a[4]);
    // SAFETY: checked iovecs; the raw syscall takes the offset split in two.
    host(unsafe {
        libc::syscall(
            libc::SYS_preadv2,
            a[0] as i32,
            v.as_ptr(),
            v.len(),
            pos as u64,
            0u64,
            a[5] as i32,
        )
    })
}

fn sys_pwritev2(p: &mut Process, a: [u64; 6]) -> SysResult {
    let v = iovecs(p, a[1], a[2], libc::PROT_READ)?;
    let pos = vec_pos(p, a[3], a[4]);
    // SAFETY: checked iovecs; the raw syscall takes the offset split in two.
    host(unsafe {
        libc::syscall(
            libc::SYS_pwritev2,
            a[0] as i32,
            v.as_ptr(),
            v.len(),
            pos as u64,
            0u64,
            a[5] as i32,
        )
    })
}

fn sys_sendfile(p: &mut Process, a: [u64; 6]) -> SysResult {
    let word = p.codec().word;
    sendfile_with(p, a, word)
}

/// `sendfile(out, in, offp, count)` with an `offp` of `off_size` bytes (a
/// `long`, or `sendfile64`'s `loff_t`).
pub(super) fn sendfile_with(p: &mut Process, a: [u64; 6], off_size: usize) -> SysResult {
    let off_addr = p.abi.ulong_arg(a[2]);
    let c = crate::layout::Codec {
        word: off_size,
        time64: false,
        ..p.codec()
    };
    let mut off: i64 = 0;
    if off_addr != 0 {
        let b = p.read_mem(off_addr, c.word)?;
        off = c.get_sword(&b, 0);
    }
    let offp = if off_addr == 0 {
        std::ptr::null_mut()
    } else {
        &mut off as *mut i64
    };
    // SAFETY: `offp` is NULL or points at a local.
    let r = host(unsafe { libc::sendfile(a[0] as i32, a[1] as i32, offp, a[3] as usize) } as i64)?;
    if off_addr != 0 {
        p.write_mem(off_addr, &c.word_bytes(off as u64))?;
    }
    Ok(r)
}
