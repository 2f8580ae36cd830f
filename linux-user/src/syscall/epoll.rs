//! `epoll_create1`, `epoll_ctl`, `epoll_pwait`, `epoll_pwait2` (and the
//! older `epoll_create`, `epoll_wait`).
//!
//! The epoll instance is the host's; `struct epoll_event` is converted
//! through the ABI's [`crate::layout::net::NetAbi`] (12 bytes packed on
//! x86-64, 16 elsewhere, in the guest's byte order). The guest's `data`
//! word is stored in the host event unchanged and comes back as it was.

use super::poll::with_sigmask;
use super::{host, Handler, Process, SysResult};
use crate::errno::Errno;
use crate::layout::misc::TimePair;

pub(super) const HANDLERS: &[(&str, Handler)] = &[
    ("epoll_create1", sys_epoll_create1),
    ("epoll_create", sys_epoll_create),
    ("epoll_ctl", sys_epoll_ctl),
    ("epoll_pwait", sys_epoll_pwait),
    ("epoll_pwait2", sys_epoll_pwait2),
    ("epoll_wait", sys_epoll_wait),
];

/// Most events one wait returns here (a guest asking for more gets at most
/// this many, which epoll allows).
const MAX_BATCH: usize = 1024;
const EPOLL_CTL_DEL: i32 = 2;

fn sys_epoll_create1(p: &mut Process, a: [u64; 6]) -> SysResult {
    // EPOLL_CLOEXEC is O_CLOEXEC.
    let flags = p.abi.open_flags.to_host(a[0] & 0xffff_ffff) as i32;
    // SAFETY: plain flags.
    host(unsafe { libc::epoll_create1(flags) })
}

fn sys_epoll_create(_: &mut Process, a: [u64; 6]) -> SysResult {
    if a[0] as i32 <= 0 {
        return Err(Errno::EINVAL);
    }
    // SAFETY: plain arguments.
    host(unsafe { libc::epoll_create1(0) })
}

fn sys_epoll_ctl(p: &mut Process, a: [u64; 6]) -> SysResult {
    let (epfd, op, fd) = (a[0] as i32, a[1] as i32, a[2] as i32);
    let net = p.abi.net;
    let mut ev = libc::epoll_event { events: 0, u64: 0 };
    if op != EPOLL_CTL_DEL {
        let b = p.read_mem(a[3], net.epoll_event_size())?;
        let (events, data) = net.decode_epoll_event(&p.codec(), &b);
        ev = libc::epoll_event { events, u64: data };
    }
    // SAFETY: a local epoll_event.
    host(unsafe { libc::epoll_ctl(epfd, op, fd, &mut ev) })
}

/// Waits with `timeout` (a host `timespec`, `None` = forever) and writes
/// the events to the guest.
fn wait(
    p: &mut Process,
    a: [u64; 6],
    timeout: Option<libc::timespec>,
    mask: (u64, u64),
) -> SysResult {
    let max = a[2] as i32;
    let net = p.abi.net;
    let size = net.epoll_event_size();
    if max <= 0 || max as usize > (i32::MAX as usize) / size {
        return Err(Errno::EINVAL);
    }
    let addr = p.abi.ulong_arg(a[1]);
    if !p
        .space
        .check(addr, max as u64 * size as u64, libc::PROT_WRITE)
    {
        return Err(Errno::EFAULT);
    }
    let n = (max as usize).min(MAX_BATCH);
    let mut evs = vec![libc::epoll_event { events: 0, u64: 0 }; n];
    let tp = timeout
        .as_ref()
        .map_or(std::ptr::null(), |t| t as *const libc::timespec);
    let got = with_sigmask(p, mask.0, mask.1, |m| {
        // SAFETY: `evs` has room for `n` events; `tp` and `m` are NULL or
        // locals.
        host(unsafe {
            libc::syscall(
                libc::SYS_epoll_pwait2,
                a[0] as i32,
                evs.as_mut_ptr(),
                n as i32,
                tp,
                m,
                8usize,
            )
        })
    })? as usize;
    let c = p.codec();
    let mut out = Vec::with_capacity(got * size);
    for e in &evs[..got] {
        let (events, data) = (e.events, e.u64);
        out.extend(net.encode_epoll_event(&c, events, data));
    }
    p.write_mem(addr, &out)?;
    Ok(got as u64)
}

fn ms_timeout(ms: i32) -> Option<libc::timespec> {
    (ms >= 0).then(|| libc::timespec {
        tv_sec: i64::from(ms / 1000),
        tv_nsec: i64::from(ms % 1000) * 1_000_000,
    })
}

fn sys_epoll_pwait(p: &mut Process, a: [u64; 6]) -> SysResult {
    wait(p, a, ms_timeout(a[3] as i32), (a[4], a[5]))
}

fn sys_epoll_wait(p: &mut Process, a: [u64; 6]) -> SysResult {
    wait(p, a, ms_timeout(a[3] as i32), (0, 0))
}

fn sys_epoll_pwait2(p: &mut Process, a: [u64; 6]) -> SysResult {
    let t = if p.abi.ulong_arg(a[3]) != 0 {
        let c = p.codec();
        let t = TimePair::decode(&c, &p.read_mem(a[3], TimePair::size(&c))?);
        if t.sec < 0 || !(0..1_000_000_000).contains(&t.frac) {
            return Err(Errno::EINVAL);
        }
        Some(t.to_timespec())
    } else {
        None
    };
    wait(p, a, t, (a[4], a[5]))
}
