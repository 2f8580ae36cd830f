//! Interval and POSIX timers: `setitimer`, `getitimer`, `timer_create`,
//! `timer_settime`, `timer_gettime`, `timer_getoverrun`, `timer_delete`.
//!
//! They are the host's timers: their expiry signals reach the emulator,
//! whose host dispositions mirror the guest's (see [`crate::signal`]), and
//! thread-directed timers (`SIGEV_THREAD_ID`) name host tids, which are the
//! guest's. Converted here: `struct itimerval`, `struct itimerspec` and
//! `struct sigevent` (value, signal, notification kind, tid).

use super::{host, Handler, Process, SysResult};
use crate::errno::Errno;
use crate::layout::misc::TimePair;

pub(super) const HANDLERS: &[(&str, Handler)] = &[
    ("setitimer", sys_setitimer),
    ("getitimer", sys_getitimer),
    ("timer_create", sys_timer_create),
    ("timer_settime", sys_timer_settime),
    ("timer_gettime", sys_timer_gettime),
    ("timer_getoverrun", sys_timer_getoverrun),
    ("timer_delete", sys_timer_delete),
];

/// Reads two guest time pairs (interval, value) as host `timespec`s or
/// `timeval`s (`usec` selects the latter's unit check).
pub(super) fn read_pair2(p: &Process, addr: u64, usec: bool) -> Result<[TimePair; 2], Errno> {
    let c = p.codec();
    let n = TimePair::size(&c);
    let b = p.read_mem(addr, 2 * n)?;
    let t = [TimePair::decode(&c, &b[..n]), TimePair::decode(&c, &b[n..])];
    let lim = if usec { 1_000_000 } else { 1_000_000_000 };
    if t.iter().any(|t| t.sec < 0 || !(0..lim).contains(&t.frac)) {
        return Err(Errno::EINVAL);
    }
    Ok(t)
}

pub(super) fn write_pair2(p: &Process, addr: u64, t: [TimePair; 2]) -> Result<(), Errno> {
    if p.abi.ulong_arg(addr) == 0 {
        return Ok(());
    }
    let c = p.codec();
    let mut b = t[0].encode(&c);
    b.extend(t[1].encode(&c));
    p.write_mem(addr, &b)
}

fn tv(t: &libc::timeval) -> TimePair {
    TimePair {
        sec: t.tv_sec,
        frac: t.tv_usec,
    }
}

fn to_tv(t: TimePair) -> libc::timeval {
    libc::timeval {
        tv_sec: t.sec,
        tv_usec: t.frac,
    }
}

fn sys_setitimer(p: &mut Process, a: [u64; 6]) -> SysResult {
    let new = if p.abi.ulong_arg(a[1]) != 0 {
        let t = read_pair2(p, a[1], true)?;
        libc::itimerval {
            it_interval: to_tv(t[0]),
            it_value: to_tv(t[1]),
        }
    } else {
        // A null new value disarms (Linux accepts it).
        libc::itimerval {
            it_interval: to_tv(TimePair { sec: 0, frac: 0 }),
            it_value: to_tv(TimePair { sec: 0, frac: 0 }),
        }
    };
    // SAFETY: zeroed itimerval is valid.
    let mut old: libc::itimerval = unsafe { std::mem::zeroed() };
    // SAFETY: valid input and output itimervals.
    host(unsafe { libc::syscall(libc::SYS_setitimer, a[0] as i32, &new, &mut old) })?;
    write_pair2(p, a[2], [tv(&old.it_interval), tv(&old.it_value)])?;
    Ok(0)
}

fn sys_getitimer(p: &mut Process, a: [u64; 6]) -> SysResult {
    // SAFETY: zeroed itimerval is valid.
    let mut cur: libc::itimerval = unsafe { std::mem::zeroed() };
    // SAFETY: writable itimerval.
    host(unsafe { libc::syscall(libc::SYS_getitimer, a[0] as i32, &mut cur) })?;
    if p.abi.ulong_arg(a[1]) == 0 {
        return Err(Errno::EFAULT);
    }
    write_pair2(p, a[1], [tv(&cur.it_interval), tv(&cur.it_value)])?;
    Ok(0)
}

/// The kernel's `struct sigevent` (64 bytes on every ABI here).
#[repr(C)]
struct HostSigevent {
    value: u64,
    signo: i32,
    notify: i32,
    tid: i32,
    pad: [i32; 11],
}

const SIGEV_SIGNAL: i32 = 0;
const SIGEV_NONE: i32 = 1;
const SIGEV_THREAD_ID: i32 = 4;

fn sys_timer_create(p: &mut Process, a: [u64; 6]) -> SysResult {
    let ev = if p.abi.ulong_arg(a[1]) != 0 {
        let c = p.codec();
        let w = c.word;
        let b = p.read_mem(a[1], 2 * w + 12)?;
        // sigval is a word-sized union; signo and notify follow, then the
        // union holding the tid.
        let notify = c.get(&b, w + 4, 4) as i32;
        let signo = c.get(&b, w, 4) as i32;
        if !matches!(notify, SIGEV_SIGNAL | SIGEV_NONE | SIGEV_THREAD_ID) {
            return Err(Errno::EINVAL);
        }
        if notify != SIGEV_NONE && !(1..=64).contains(&signo) {
            return Err(Errno::EINVAL);
        }
        Some(HostSigevent {
            value: c.get(&b, 0, w),
            signo,
            notify,
            tid: c.get(&b, 2 * w, 4) as i32,
            pad: [0; 11],
        })
    } else {
        None
    };
    let evp = ev
        .as_ref()
        .map_or(std::ptr::null(), |e| e as *const HostSigevent);
    let mut id: i32 = 0;
    // SAFETY: valid sigevent (or null) and a writable timer id.
    host(unsafe { libc::syscall(libc::SYS_timer_create, a[0] as i32, evp, &mut id) })?;
    p.write_u32(a[2], id as u32)?;
    Ok(0)
}

pub(super) fn its(t: [TimePair; 2]) -> libc::itimerspec {
    libc::itimerspec {
        it_interval: t[0].to_timespec(),
        it_value: t[1].to_timespec(),
    }
}

pub(super) fn from_its(t: &libc::itimerspec) -> [TimePair; 2] {
    [
        TimePair::from_timespec(&t.it_interval),
        TimePair::from_timespec(&t.it_value),
    ]
}

fn sys_timer_settime(p: &mut Process, a: [u64; 6]) -> SysResult {
    let new = its(read_pair2(p, a[2], false)?);
    // SAFETY: zeroed itimerspec is valid.
    let mut old: libc::itimerspec = unsafe { std::mem::zeroed() };
    // SAFETY: valid input and output itimerspecs.
    host(unsafe {
        libc::syscall(
            libc::SYS_timer_settime,
            a[0] as i32,
            a[1] as i32,
            &new,
            &mut old,
        )
    })?;
    write_pair2(p, a[3], from_its(&old))?;
    Ok(0)
}

fn sys_timer_gettime(p: &mut Process, a: [u64; 6]) -> SysResult {
    // SAFETY: zeroed itimerspec is valid.
    let mut cur: libc::itimerspec = unsafe { std::mem::zeroed() };
    // SAFETY: writable itimerspec.
    host(unsafe { libc::syscall(libc::SYS_timer_gettime, a[0] as i32, &mut cur) })?;
    if p.abi.ulong_arg(a[1]) == 0 {
        return Err(Errno::EFAULT);
    }
    write_pair2(p, a[1], from_its(&cur))?;
    Ok(0)
}

fn sys_timer_getoverrun(_: &mut Process, a: [u64; 6]) -> SysResult {
    // SAFETY: integer argument.
    host(unsafe { libc::syscall(libc::SYS_timer_getoverrun, a[0] as i32) })
}

fn sys_timer_delete(_: &mut Process, a: [u64; 6]) -> SysResult {
    // SAFETY: integer argument.
    host(unsafe { libc::syscall(libc::SYS_timer_delete, a[0] as i32) })
}
