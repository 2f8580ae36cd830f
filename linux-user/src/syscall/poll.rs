//! Waiting for fds: `ppoll`, `pselect6`, and the older `poll`, `select`
//! and `_newselect` some ABIs keep.
//!
//! The signal mask argument of `ppoll`/`pselect6` (and `epoll_pwait`)
//! goes through [`with_sigmask`]: the host call waits with the guest's
//! temporary mask (plus the signals the emulator recorded), atomically, and
//! a handler that interrupts it runs with that mask before the old one
//! comes back, as on Linux.

use super::{host, Handler, Process, SysResult};
use crate::errno::Errno;
use crate::layout::misc::{decode_sigset, TimePair};
use crate::signal::{self as sig, UNBLOCKABLE};
use crate::thread;

pub(super) const HANDLERS: &[(&str, Handler)] = &[
    ("ppoll", sys_ppoll),
    ("pselect6", sys_pselect6),
    ("poll", sys_poll),
    ("select", sys_select),
    ("_newselect", sys_select),
];

/// Most fds `ppoll` accepts (the kernel's limit is RLIMIT_NOFILE).
const MAX_POLL_FDS: u64 = 1 << 20;

fn timeout(p: &Process, addr: u64) -> Result<Option<libc::timespec>, Errno> {
    if p.abi.ulong_arg(addr) == 0 {
        return Ok(None);
    }
    let c = p.codec();
    let t = TimePair::decode(&c, &p.read_mem(addr, TimePair::size(&c))?);
    if t.sec < 0 || !(0..1_000_000_000).contains(&t.frac) {
        return Err(Errno::EINVAL);
    }
    Ok(Some(t.to_timespec()))
}

/// Write back the remaining time, as Linux does for both calls.
fn write_timeout(p: &Process, addr: u64, t: &Option<libc::timespec>) -> Result<(), Errno> {
    if let Some(t) = t {
        p.write_mem(addr, &TimePair::from_timespec(t).encode(&p.codec()))?;
    }
    Ok(())
}

/// Runs the blocking host call `f` with the guest's temporary signal mask
/// at `addr` (a `sigset_t` of `size` bytes; none when `addr` is 0: the
/// thread's own). `f` gets the host mask to wait with (null only outside
/// a registered guest thread). The host call always swaps masks
/// atomically, so a guest signal recorded just before the wait makes it
/// return `EINTR` instead of being left undelivered while it blocks.
pub(super) fn with_sigmask(
    p: &mut Process,
    addr: u64,
    size: u64,
    f: impl FnOnce(*const u64) -> SysResult,
) -> SysResult {
    if p.abi.ulong_arg(addr) == 0 {
        let r = match p.slot {
            None => f(std::ptr::null()),
            Some(slot) => {
                // Everything blocked: nothing slips in between the check
                // and the wait.
                let _ = sig::block_all();
                let recorded = thread::pending(slot);
                let cur = p.signals.mask;
                let r = if recorded & !cur != 0 {
                    Err(Errno::EINTR)
                } else {
                    let m = cur | recorded;
                    f(&m)
                };
                p.sync_mask();
                r
            }
        };
        if r == Err(Errno::EINTR) {
            // Linux never restarts these waits after a handler.
            p.set_no_restart();
        }
        return r;
    }
    if size != 8 {
        return Err(Errno::EINVAL);
    }
    let new = decode_sigset(&p.codec(), &p.read_mem(addr, 8)?) & !UNBLOCKABLE;
    let Some(slot) = p.slot else {
        return f(&new);
    };
    // Everything blocked: nothing slips in between the check and the wait.
    let _ = sig::block_all();
    let recorded = thread::pending(slot);
    let r = if recorded & !new != 0 {
        Err(Errno::EINTR)
    } else {
        let m = new | recorded;
        f(&m)
    };
    if r == Err(Errno::EINTR) {
        // The handler runs with the temporary mask; the old one returns
        // after it (or at once if no handler runs).
        p.signals.saved_mask = Some(p.signals.mask);
        p.signals.mask = new;
        p.set_no_restart();
    }
    p.sync_mask();
    r
}

/// Polls the guest's `struct pollfd` array (`int fd; short events; short
/// revents;` in every ABI) and writes back `revents`.
fn poll_fds(
    p: &mut Process,
    addr: u64,
    nfds: u64,
    t: &mut Option<libc::timespec>,
    mask: (u64, u64),
) -> SysResult {
    if nfds > MAX_POLL_FDS {
        return Err(Errno::EINVAL);
    }
    let c = p.codec();
    let raw = p.read_mem(addr, nfds as usize * 8)?;
    let mut fds: Vec<libc::pollfd> = raw
        .chunks_exact(8)
        .map(|e| libc::pollfd {
            fd: c.get(e, 0, 4) as u32 as i32,
            events: c.get(e, 4, 2) as u16 as i16,
            revents: 0,
        })
        .collect();
    let tp = t
        .as_mut()
        .map_or(std::ptr::null_mut(), |t| t as *mut libc::timespec);
    let n = with_sigmask(p, mask.0, mask.1, |m| {
        // SAFETY: `fds` holds `nfds` pollfds; `tp` is NULL or a local
        // timespec; `m` is NULL or an 8-byte sigset.
        host(unsafe { libc::syscall(libc::SYS_ppoll, fds.as_mut_ptr(), nfds, tp, m, 8usize) })
    })?;
    let mut out = raw;
    for (i, f) in fds.iter().enumerate() {
        c.put(&mut out, i * 8 + 6, 2, f.revents as u16 as u64);
    }
    p.write_mem(addr, &out)?;
    Ok(n)
}

fn sys_ppoll(p: &mut Process, a: [u64; 6]) -> SysResult {
    let mut t = timeout(p, a[2])?;
    let n = poll_fds(p, a[0], a[1] & 0xffff_ffff, &mut t, (a[3], a[4]))?;
    write_timeout(p, a[2], &t)?;
    Ok(n)
}

/// `poll(fds, nfds, timeout_ms)`: a negative timeout waits forever.
fn sys_poll(p: &mut Process, a: [u64; 6]) -> SysResult {
    let ms = a[2] as i32;
    let mut t = (ms >= 0).then(|| libc::timespec {
        tv_sec: i64::from(ms / 1000),
        tv_nsec: i64::from(ms % 1000) * 1_000_000,
    });
    poll_fds(p, a[0], a[1] & 0xffff_ffff, &mut t, (0, 0))
}

/// Guest `fd_set` (an array of `long`s, bit `fd % bits` of word
/// `fd / bits`) to the host's.
fn read_fdset(p: &Process, addr: u64, n: usize) -> Result<Option<Vec<u64>>, Errno> {
    if p.abi.ulong_arg(addr) == 0 {
        return Ok(None);
    }
    let c = p.codec();
    let wbits = c.word * 8;
    let words = n.div_ceil(wbits);
    let b = p.read_mem(addr, words * c.word)?;
    let mut host = vec![0u64; n.div_ceil(64).max(1)];
    for fd in 0..n {
        let w = c.get_word(&b, (fd / wbits) * c.word);
        if w >> (fd % wbits) & 1 != 0 {
            host[fd / 64] |= 1 << (fd % 64);
        }
    }
    Ok(Some(host))
}

fn write_fdset(p: &Process, addr: u64, n: usize, host: &[u64]) -> Result<(), Errno> {
    let c = p.codec();
    let wbits = c.word * 8;
    let words = n.div_ceil(wbits);
    let mut b = vec![0u8; words * c.word];
    for i in 0..words {
        let mut w = 0u64;
        for bit in 0..wbits {
            let fd = i * wbits + bit;
            if fd < n && host[fd / 64] >> (fd % 64) & 1 != 0 {
                w |= 1 << bit;
            }
        }
        c.put_word(&mut b, i * c.word, w);
    }
    p.write_mem(addr, &b)
}

/// The common part of `pselect6` and `select`: sets at `a[1..4]`.
fn select_sets(
    p: &mut Process,
    a: [u64; 6],
    t: &mut Option<libc::timespec>,
    mask: (u64, u64),
) -> SysResult {
    let n = a[0] as i32;
    if !(0..=65536).contains(&n) {
        return Err(Errno::EINVAL);
    }
    let n = n as usize;
    let mut sets = [
        read_fdset(p, a[1], n)?,
        read_fdset(p, a[2], n)?,
        read_fdset(p, a[3], n)?,
    ];
    let ptr =
        |s: &mut Option<Vec<u64>>| s.as_mut().map_or(std::ptr::null_mut(), |v| v.as_mut_ptr());
    let (r, w, e) = {
        let [r, w, e] = &mut sets;
        (ptr(r), ptr(w), ptr(e))
    };
    let tp = t
        .as_mut()
        .map_or(std::ptr::null_mut(), |t| t as *mut libc::timespec);
    let ready = with_sigmask(p, mask.0, mask.1, |m| {
        // The kernel's pselect6 takes `{ const sigset_t *ss; size_t len; }`.
        let arg: [usize; 2] = [m as usize, 8];
        let argp = if m.is_null() {
            std::ptr::null()
        } else {
            arg.as_ptr()
        };
        // SAFETY: each set is NULL or at least `n` bits of host words;
        // `tp` is NULL or a local timespec; `argp` NULL or the pair above.
        host(unsafe { libc::syscall(libc::SYS_pselect6, n, r, w, e, tp, argp) })
    })?;
    for (set, addr) in sets.iter().zip([a[1], a[2], a[3]]) {
        if let Some(s) = set {
            write_fdset(p, addr, n, s)?;
        }
    }
    Ok(ready)
}

fn sys_pselect6(p: &mut Process, a: [u64; 6]) -> SysResult {
    let mut t = timeout(p, a[4])?;
    // a[5]: the guest's `{ const sigset_t *ss; size_t len; }` (or NULL).
    let mask = if p.abi.ulong_arg(a[5]) != 0 {
        let c = p.codec();
        let b = p.read_mem(a[5], 2 * c.word)?;
        (c.get_word(&b, 0), c.get_word(&b, c.word))
    } else {
        (0, 0)
    };
    let ready = select_sets(p, a, &mut t, mask)?;
    write_timeout(p, a[4], &t)?;
    Ok(ready)
}

/// `select(n, r, w, e, struct timeval *)`: the remaining time is written
/// back in microseconds.
fn sys_select(p: &mut Process, a: [u64; 6]) -> SysResult {
    let mut t = if p.abi.ulong_arg(a[4]) != 0 {
        let c = p.codec();
        let tv = TimePair::decode(&c, &p.read_mem(a[4], TimePair::size(&c))?);
        if tv.sec < 0 || !(0..1_000_000).contains(&tv.frac) {
            return Err(Errno::EINVAL);
        }
        Some(libc::timespec {
            tv_sec: tv.sec,
            tv_nsec: tv.frac * 1000,
        })
    } else {
        None
    };
    let ready = select_sets(p, a, &mut t, (0, 0))?;
    if let Some(ts) = t {
        let tv = TimePair {
            sec: ts.tv_sec,
            frac: ts.tv_nsec / 1000,
        };
        p.write_mem(a[4], &tv.encode(&p.codec()))?;
    }
    Ok(ready)
}
