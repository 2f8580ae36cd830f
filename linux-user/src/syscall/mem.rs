//! Memory syscalls: `brk`, `mmap`, `munmap`, `mprotect`, `mremap`,
//! `madvise`, `msync`, the `mlock` family. The work is in
//! [`crate::space::GuestSpace`]; this file translates guest flag numbering.

use super::{host, Handler, Process, SysResult};
use crate::errno::Errno;

pub(super) const HANDLERS: &[(&str, Handler)] = &[
    ("brk", sys_brk),
    ("mmap", sys_mmap),
    ("munmap", sys_munmap),
    ("mprotect", sys_mprotect),
    ("mremap", sys_mremap),
    ("madvise", sys_madvise),
    ("msync", sys_msync),
    ("mlock", sys_mlock),
    ("mlock2", sys_mlock),
    ("munlock", sys_mlock),
    ("mlockall", sys_mlock),
    ("munlockall", sys_mlock),
];

fn sys_brk(p: &mut Process, a: [u64; 6]) -> SysResult {
    Ok(p.space.brk(p.abi.ulong_arg(a[0])))
}

fn sys_mmap(p: &mut Process, a: [u64; 6]) -> SysResult {
    let addr = p.abi.ulong_arg(a[0]);
    let len = p.abi.ulong_arg(a[1]);
    let prot = a[2] as i32;
    let flags = p.abi.mmap_flags.to_host(a[3] & 0xffff_ffff) as i32;
    let fd = a[4] as i32;
    let off = a[5];
    p.space.mmap(addr, len, prot, flags, fd, off)
}

fn sys_munmap(p: &mut Process, a: [u64; 6]) -> SysResult {
    p.space
        .munmap(p.abi.ulong_arg(a[0]), p.abi.ulong_arg(a[1]))
        .map(|()| 0)
}

fn sys_mprotect(p: &mut Process, a: [u64; 6]) -> SysResult {
    p.space
        .mprotect(p.abi.ulong_arg(a[0]), p.abi.ulong_arg(a[1]), a[2] as i32)
        .map(|()| 0)
}

fn sys_mremap(p: &mut Process, a: [u64; 6]) -> SysResult {
    let u = |v| p.abi.ulong_arg(v);
    let (old, old_len, new_len, new_addr) = (u(a[0]), u(a[1]), u(a[2]), u(a[4]));
    p.space.mremap(old, old_len, new_len, a[3] as i32, new_addr)
}

fn sys_madvise(p: &mut Process, a: [u64; 6]) -> SysResult {
    p.space
        .madvise(p.abi.ulong_arg(a[0]), p.abi.ulong_arg(a[1]), a[2] as i32)
        .map(|()| 0)
}

fn sys_msync(p: &mut Process, a: [u64; 6]) -> SysResult {
    let (addr, len) = (p.abi.ulong_arg(a[0]), p.abi.ulong_arg(a[1]));
    if !addr.is_multiple_of(p.space.page_size()) {
        return Err(Errno::EINVAL);
    }
    if !p.space.check(addr, len, 0) {
        return Err(Errno::ENOMEM);
    }
    // SAFETY: the range is mapped guest memory inside the reservation.
    host(unsafe { libc::msync(p.space.g2h(addr).cast(), len as usize, a[2] as i32) })
}

/// Locking guest pages is accepted and ignored: it would pin the emulator's
/// memory, and a guest cannot tell the difference.
fn sys_mlock(_: &mut Process, _: [u64; 6]) -> SysResult {
    Ok(0)
}
