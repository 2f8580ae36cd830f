//! Waiting for fds: `ppoll` and `pselect6`.
//!
//! The signal mask argument is recorded nowhere yet: no signals are
//! delivered to the guest, so waiting with or without it is the same.

use super::{host, Handler, Process, SysResult};
use crate::errno::Errno;
use crate::layout::misc::TimePair;

pub(super) const HANDLERS: &[(&str, Handler)] = &[("ppoll", sys_ppoll), ("pselect6", sys_pselect6)];

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

fn sys_ppoll(p: &mut Process, a: [u64; 6]) -> SysResult {
    let nfds = a[1] & 0xffff_ffff;
    if nfds > MAX_POLL_FDS {
        return Err(Errno::EINVAL);
    }
    let c = p.codec();
    // `struct pollfd { int fd; short events; short revents; }` everywhere.
    let raw = p.read_mem(a[0], nfds as usize * 8)?;
    let mut fds: Vec<libc::pollfd> = raw
        .chunks_exact(8)
        .map(|e| libc::pollfd {
            fd: c.get(e, 0, 4) as u32 as i32,
            events: c.get(e, 4, 2) as u16 as i16,
            revents: 0,
        })
        .collect();
    let mut t = timeout(p, a[2])?;
    let tp = t
        .as_mut()
        .map_or(std::ptr::null_mut(), |t| t as *mut libc::timespec);
    // SAFETY: `fds` holds `nfds` pollfds; `tp` is NULL or a local timespec;
    // no signal mask (NULL) is passed to the host.
    let n = host(unsafe {
        libc::syscall(
            libc::SYS_ppoll,
            fds.as_mut_ptr(),
            nfds,
            tp,
            std::ptr::null::<u8>(),
            8usize,
        )
    })?;
    let mut out = raw;
    for (i, f) in fds.iter().enumerate() {
        c.put(&mut out, i * 8 + 6, 2, f.revents as u16 as u64);
    }
    p.write_mem(a[0], &out)?;
    write_timeout(p, a[2], &t)?;
    Ok(n)
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

fn sys_pselect6(p: &mut Process, a: [u64; 6]) -> SysResult {
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
    let mut t = timeout(p, a[4])?;
    let ptr =
        |s: &mut Option<Vec<u64>>| s.as_mut().map_or(std::ptr::null_mut(), |v| v.as_mut_ptr());
    let (r, w, e) = {
        let [r, w, e] = &mut sets;
        (ptr(r), ptr(w), ptr(e))
    };
    let tp = t
        .as_mut()
        .map_or(std::ptr::null_mut(), |t| t as *mut libc::timespec);
    // SAFETY: each set is NULL or at least `n` bits of host words; `tp` is
    // NULL or a local timespec; no signal mask is passed.
    let ready =
        host(unsafe { libc::syscall(libc::SYS_pselect6, n, r, w, e, tp, std::ptr::null::<u8>()) })?;
    for (set, addr) in sets.iter().zip([a[1], a[2], a[3]]) {
        if let Some(s) = set {
            write_fdset(p, addr, n, s)?;
        }
    }
    write_timeout(p, a[4], &t)?;
    Ok(ready)
}
