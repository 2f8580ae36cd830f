//! Fds of special kinds: `eventfd2`, `timerfd_create`/`_settime`/
//! `_gettime`, `signalfd4` and `memfd_create` (plus the older `eventfd`
//! and `signalfd` entry points some ABIs have).
//!
//! They are host fds; the ones whose reads carry kernel-formatted data are
//! registered with [`super::fdtrans`] so `read`/`write` convert it. Flags
//! (`EFD_*`, `TFD_*`, `SFD_*`) are the `O_NONBLOCK`/`O_CLOEXEC` bits, in
//! the guest's `open` numbering.
//!
//! signalfd and the emulator's own signal handling: a guest reads a
//! signal from a signalfd only while it blocks that signal, and the host
//! thread's mask is the guest's (see [`crate::signal`]), so such signals
//! stay pending in the host kernel and the host signalfd returns them. A
//! signal that reached the emulator's handler before the guest blocked it
//! is recorded for the thread instead; reads take those first.

use super::fdtrans::{self, FdKind};
use super::timer::{from_its, its, read_pair2, write_pair2};
use super::{host, Handler, Process, SysResult};
use crate::errno::Errno;
use crate::layout::misc::decode_sigset;
use crate::signal::{SigFields, SigInfo, UNBLOCKABLE};
use crate::thread;

pub(super) const HANDLERS: &[(&str, Handler)] = &[
    ("eventfd2", sys_eventfd2),
    ("eventfd", sys_eventfd),
    ("timerfd_create", sys_timerfd_create),
    ("timerfd_settime", sys_timerfd_settime),
    ("timerfd_gettime", sys_timerfd_gettime),
    ("signalfd4", sys_signalfd4),
    ("signalfd", sys_signalfd),
    ("memfd_create", sys_memfd_create),
];

/// Guest `O_NONBLOCK | O_CLOEXEC` (and other open bits) in host numbering.
fn fd_flags(p: &Process, f: u64) -> i32 {
    p.abi.open_flags.to_host(f & 0xffff_ffff) as i32
}

fn registered(r: SysResult, kind: FdKind) -> SysResult {
    let fd = r?;
    fdtrans::register(fd as i32, kind);
    Ok(fd)
}

fn sys_eventfd2(p: &mut Process, a: [u64; 6]) -> SysResult {
    let flags = fd_flags(p, a[1]);
    // SAFETY: plain arguments.
    registered(
        host(unsafe { libc::syscall(libc::SYS_eventfd2, a[0] as u32, flags) }),
        FdKind::Eventfd,
    )
}

fn sys_eventfd(p: &mut Process, a: [u64; 6]) -> SysResult {
    sys_eventfd2(p, [a[0], 0, 0, 0, 0, 0])
}

fn sys_timerfd_create(p: &mut Process, a: [u64; 6]) -> SysResult {
    let flags = fd_flags(p, a[1]);
    // SAFETY: plain arguments.
    registered(
        host(unsafe { libc::syscall(libc::SYS_timerfd_create, a[0] as i32, flags) }),
        FdKind::Timerfd,
    )
}

fn sys_timerfd_settime(p: &mut Process, a: [u64; 6]) -> SysResult {
    let new = its(read_pair2(p, a[2], false)?);
    // SAFETY: zeroed itimerspec is valid.
    let mut old: libc::itimerspec = unsafe { std::mem::zeroed() };
    // SAFETY: valid input and output itimerspecs; TFD_TIMER_* flags are
    // the same in every ABI.
    host(unsafe {
        libc::syscall(
            libc::SYS_timerfd_settime,
            a[0] as i32,
            a[1] as i32,
            &new,
            &mut old,
        )
    })?;
    write_pair2(p, a[3], from_its(&old))?;
    Ok(0)
}

fn sys_timerfd_gettime(p: &mut Process, a: [u64; 6]) -> SysResult {
    // SAFETY: zeroed itimerspec is valid.
    let mut cur: libc::itimerspec = unsafe { std::mem::zeroed() };
    // SAFETY: writable itimerspec.
    host(unsafe { libc::syscall(libc::SYS_timerfd_gettime, a[0] as i32, &mut cur) })?;
    if p.abi.ulong_arg(a[1]) == 0 {
        return Err(Errno::EFAULT);
    }
    write_pair2(p, a[1], from_its(&cur))?;
    Ok(0)
}

fn sys_signalfd4(p: &mut Process, a: [u64; 6]) -> SysResult {
    if a[2] != 8 {
        return Err(Errno::EINVAL);
    }
    let mask = decode_sigset(&p.codec(), &p.read_mem(a[1], 8)?) & !UNBLOCKABLE;
    let flags = fd_flags(p, a[3]);
    // SAFETY: an 8-byte kernel sigset; plain flags.
    registered(
        host(unsafe {
            libc::syscall(
                libc::SYS_signalfd4,
                a[0] as i32,
                &mask as *const u64,
                8usize,
                flags,
            )
        }),
        FdKind::Signalfd,
    )
}

fn sys_signalfd(p: &mut Process, a: [u64; 6]) -> SysResult {
    sys_signalfd4(p, [a[0], a[1], a[2], 0, 0, 0])
}

fn sys_memfd_create(p: &mut Process, a: [u64; 6]) -> SysResult {
    let name = std::ffi::CString::new(p.cstr_arg(a[0])?).map_err(|_| Errno::EINVAL)?;
    // SAFETY: a NUL-terminated name; MFD_* flags are the same in every ABI.
    host(unsafe { libc::syscall(libc::SYS_memfd_create, name.as_ptr(), a[1] as u32) })
}

/// The signals a host signalfd waits for (`/proc/self/fdinfo`'s
/// `sigmask:` line).
fn signalfd_mask(fd: i32) -> Option<u64> {
    let info = std::fs::read_to_string(format!("/proc/self/fdinfo/{fd}")).ok()?;
    let line = info.lines().find_map(|l| l.strip_prefix("sigmask:"))?;
    u64::from_str_radix(line.trim(), 16).ok()
}

/// A `signalfd_siginfo` in host order for a signal the emulator recorded.
fn signalfd_record(info: &SigInfo) -> Vec<u8> {
    let mut b = vec![0u8; fdtrans::SIGNALFD_SIZE];
    let mut put = |off: usize, size: usize, v: u64| {
        b[off..off + size].copy_from_slice(&v.to_le_bytes()[..size]);
    };
    put(0, 4, info.signo as u32 as u64);
    put(4, 4, info.errno as u32 as u64);
    put(8, 4, info.code as u32 as u64);
    match info.fields {
        SigFields::Kill { pid, uid } => {
            put(12, 4, pid as u32 as u64);
            put(16, 4, uid.into());
        }
        SigFields::Rt { pid, uid, value } => {
            put(12, 4, pid as u32 as u64);
            put(16, 4, uid.into());
            put(44, 4, value & 0xffff_ffff);
            put(48, 8, value);
        }
        SigFields::Timer {
            tid,
            overrun,
            value,
        } => {
            put(24, 4, tid as u32 as u64);
            put(32, 4, overrun as u32 as u64);
            put(44, 4, value & 0xffff_ffff);
            put(48, 8, value);
        }
        SigFields::Chld {
            pid,
            uid,
            status,
            utime,
            stime,
        } => {
            put(12, 4, pid as u32 as u64);
            put(16, 4, uid.into());
            put(40, 4, status as u32 as u64);
            put(56, 8, utime as u64);
            put(64, 8, stime as u64);
        }
        SigFields::Fault { addr } => put(72, 8, addr),
        SigFields::Poll { band, fd } => {
            put(28, 4, band as u64 & 0xffff_ffff);
            put(20, 4, fd as u32 as u64);
        }
        SigFields::Sys {
            addr,
            syscall,
            arch,
        } => {
            put(88, 8, addr);
            put(84, 4, syscall as u32 as u64);
            put(96, 4, arch.into());
        }
    }
    b
}

/// Records for signals in `fd`'s set that the emulator already took from
/// the host for this thread (at most `room` of them).
pub(super) fn recorded_signals(p: &mut Process, fd: i32, room: usize) -> Vec<u8> {
    let mut out = Vec::new();
    let Some(slot) = p.slot else { return out };
    if thread::pending(slot) == 0 || room == 0 {
        return out;
    }
    let Some(mask) = signalfd_mask(fd) else {
        return out;
    };
    while out.len() / fdtrans::SIGNALFD_SIZE < room {
        let ready = thread::pending(slot) & mask & p.signals.mask;
        if ready == 0 {
            break;
        }
        let s = ready.trailing_zeros() as i32 + 1;
        let Some(info) = thread::take(slot, s) else {
            break;
        };
        out.extend(signalfd_record(&SigInfo::from_host(&info)));
    }
    p.sync_mask();
    out
}
