//! Socket syscalls: `socket`, `socketpair`, `bind`, `connect`, `listen`,
//! `accept`/`accept4`, `getsockname`, `getpeername`, `sendto`/`recvfrom`
//! (and `send`/`recv` where an ABI has them), `shutdown`.
//! Options are in [`super::sockopt`], messages with ancillary data in
//! [`super::msghdr`].
//!
//! Sockets are host sockets. Addresses are converted through
//! [`crate::layout::sockaddr`], socket types and their
//! `SOCK_NONBLOCK`/`SOCK_CLOEXEC` bits through the ABI's
//! [`crate::layout::net::NetAbi`]. `MSG_*` flags are the same in every
//! ABI. Data buffers are passed in place, except on netlink sockets, whose
//! messages are converted ([`super::fdtrans`]).

use super::fdtrans::{self, FdKind};
use super::{host, Handler, Process, SysResult};
use crate::errno::Errno;
use crate::layout::sockaddr::{self, AF_NETLINK, MAX_SOCKADDR};

pub(super) const HANDLERS: &[(&str, Handler)] = &[
    ("socket", sys_socket),
    ("socketpair", sys_socketpair),
    ("bind", sys_bind),
    ("connect", sys_connect),
    ("listen", sys_listen),
    ("accept", sys_accept),
    ("accept4", sys_accept4),
    ("getsockname", sys_getsockname),
    ("getpeername", sys_getpeername),
    ("sendto", sys_sendto),
    ("recvfrom", sys_recvfrom),
    ("send", sys_send),
    ("recv", sys_recv),
    ("shutdown", sys_shutdown),
];

/// A guest socket address argument in host order.
pub(super) fn read_sockaddr(p: &Process, addr: u64, len: u64) -> Result<Vec<u8>, Errno> {
    let len = len as u32 as i32;
    if !(0..=MAX_SOCKADDR as i32).contains(&len) {
        return Err(Errno::EINVAL);
    }
    Ok(sockaddr::to_host(
        &p.codec(),
        &p.read_mem(addr, len as usize)?,
    ))
}

/// Writes a host address of `host_len` bytes to a guest `(addr, *len)`
/// pair, as the kernel does: at most the guest's `*len` bytes, and the
/// full length in `*len`.
pub(super) fn write_sockaddr(
    p: &Process,
    addr: u64,
    len_addr: u64,
    host_addr: &[u8],
    host_len: usize,
) -> Result<(), Errno> {
    if p.abi.ulong_arg(addr) == 0 || p.abi.ulong_arg(len_addr) == 0 {
        return Ok(());
    }
    let glen = p.read_u32(len_addr)? as i32;
    if glen < 0 {
        return Err(Errno::EINVAL);
    }
    let n = (glen as usize).min(host_len).min(host_addr.len());
    if n > 0 {
        p.write_mem(addr, &sockaddr::to_guest(&p.codec(), &host_addr[..n]))?;
    }
    p.write_u32(len_addr, host_len as u32)
}

/// The guest's `*len` for an address out-parameter, checked as the kernel
/// checks it before the call (negative: `EINVAL`).
fn check_len_arg(p: &Process, addr: u64, len_addr: u64) -> Result<(), Errno> {
    if p.abi.ulong_arg(addr) != 0 && (p.read_u32(len_addr)? as i32) < 0 {
        return Err(Errno::EINVAL);
    }
    Ok(())
}

fn sys_socket(p: &mut Process, a: [u64; 6]) -> SysResult {
    let domain = a[0] as i32;
    let ty = p.abi.net.sock_type_to_host(a[1] as u32) as i32;
    // SAFETY: plain arguments.
    let fd = host(unsafe { libc::socket(domain, ty, a[2] as i32) })?;
    if domain == i32::from(AF_NETLINK) {
        fdtrans::register(fd as i32, FdKind::Netlink);
    }
    Ok(fd)
}

fn sys_socketpair(p: &mut Process, a: [u64; 6]) -> SysResult {
    let ty = p.abi.net.sock_type_to_host(a[1] as u32) as i32;
    if !p.space.check(p.abi.ulong_arg(a[3]), 8, libc::PROT_WRITE) {
        return Err(Errno::EFAULT);
    }
    let mut sv = [0i32; 2];
    // SAFETY: `sv` has room for two fds.
    host(unsafe { libc::socketpair(a[0] as i32, ty, a[2] as i32, sv.as_mut_ptr()) })?;
    p.write_u32(a[3], sv[0] as u32)?;
    p.write_u32(a[3] + 4, sv[1] as u32)?;
    Ok(0)
}

fn sys_bind(p: &mut Process, a: [u64; 6]) -> SysResult {
    let sa = read_sockaddr(p, a[1], a[2])?;
    // SAFETY: `sa` holds `sa.len()` bytes of a host sockaddr.
    host(unsafe { libc::bind(a[0] as i32, sa.as_ptr().cast(), sa.len() as u32) })
}

fn sys_connect(p: &mut Process, a: [u64; 6]) -> SysResult {
    let sa = read_sockaddr(p, a[1], a[2])?;
    // SAFETY: as for bind.
    unsafe {
        crate::safe_syscall::call(
            p,
            libc::SYS_connect,
            [a[0], sa.as_ptr() as u64, sa.len() as u64, 0, 0, 0],
        )
    }
}

fn sys_listen(_: &mut Process, a: [u64; 6]) -> SysResult {
    // SAFETY: plain arguments.
    host(unsafe { libc::listen(a[0] as i32, a[1] as i32) })
}

fn sys_accept(p: &mut Process, a: [u64; 6]) -> SysResult {
    sys_accept4(p, [a[0], a[1], a[2], 0, 0, 0])
}

fn sys_accept4(p: &mut Process, a: [u64; 6]) -> SysResult {
    let flags = p.abi.net.sock_type_to_host(a[3] as u32) as i32;
    check_len_arg(p, a[1], a[2])?;
    let mut sa = [0u8; MAX_SOCKADDR];
    let mut len = MAX_SOCKADDR as u32;
    // SAFETY: `sa` has `len` bytes.
    let fd = unsafe {
        crate::safe_syscall::call(
            p,
            libc::SYS_accept4,
            [
                a[0],
                sa.as_mut_ptr() as u64,
                &mut len as *mut u32 as u64,
                flags as u64,
                0,
                0,
            ],
        )
    }?;
    if let Err(e) = write_sockaddr(p, a[1], a[2], &sa, len as usize) {
        // SAFETY: closing the fd we just made; the guest never saw it.
        unsafe { libc::close(fd as i32) };
        return Err(e);
    }
    Ok(fd)
}

type NameFn = unsafe extern "C" fn(i32, *mut libc::sockaddr, *mut u32) -> i32;

fn name_call(p: &mut Process, a: [u64; 6], f: NameFn) -> SysResult {
    check_len_arg(p, a[1], a[2])?;
    if p.abi.ulong_arg(a[1]) == 0 || p.abi.ulong_arg(a[2]) == 0 {
        return Err(Errno::EFAULT);
    }
    let mut sa = [0u8; MAX_SOCKADDR];
    let mut len = MAX_SOCKADDR as u32;
    // SAFETY: `sa` has `len` bytes.
    host(unsafe { f(a[0] as i32, sa.as_mut_ptr().cast(), &mut len) })?;
    write_sockaddr(p, a[1], a[2], &sa, len as usize)?;
    Ok(0)
}

fn sys_getsockname(p: &mut Process, a: [u64; 6]) -> SysResult {
    name_call(p, a, libc::getsockname)
}

fn sys_getpeername(p: &mut Process, a: [u64; 6]) -> SysResult {
    name_call(p, a, libc::getpeername)
}

/// The accessible prefix of a guest data buffer, as a host pointer.
fn data(p: &Process, addr: u64, len: u64, prot: i32) -> Result<(*mut u8, usize), Errno> {
    let addr = p.abi.ulong_arg(addr);
    let len = p.abi.ulong_arg(len);
    if len == 0 {
        return Ok((p.space.g2h(addr), 0));
    }
    match p.space.accessible(addr, len, prot) {
        0 => Err(Errno::EFAULT),
        n => Ok((p.space.g2h(addr), n as usize)),
    }
}

fn sys_sendto(p: &mut Process, a: [u64; 6]) -> SysResult {
    let fd = a[0] as i32;
    let dest = if p.abi.ulong_arg(a[4]) != 0 {
        Some(read_sockaddr(p, a[4], a[5])?)
    } else {
        None
    };
    let (dp, dl) = dest
        .as_ref()
        .map_or((std::ptr::null(), 0), |d| (d.as_ptr(), d.len() as u32));
    let (buf, n) = data(p, a[1], a[2], libc::PROT_READ)?;
    let converted = match fdtrans::kind(fd) {
        Some(k) => Some(fdtrans::to_host(k, &p.codec(), &p.read_mem(a[1], n)?)),
        None => None,
    };
    let buf = converted.as_ref().map_or(buf.cast_const(), |v| v.as_ptr());
    // SAFETY: `buf` has `n` readable bytes (guest memory or a local copy);
    // `dp` is NULL or a host sockaddr of `dl` bytes.
    unsafe {
        crate::safe_syscall::call(
            p,
            libc::SYS_sendto,
            [fd as u64, buf as u64, n as u64, a[3], dp as u64, dl.into()],
        )
    }
}

fn sys_send(p: &mut Process, a: [u64; 6]) -> SysResult {
    sys_sendto(p, [a[0], a[1], a[2], a[3], 0, 0])
}

fn sys_recvfrom(p: &mut Process, a: [u64; 6]) -> SysResult {
    let fd = a[0] as i32;
    check_len_arg(p, a[4], a[5])?;
    let (buf, n) = data(p, a[1], a[2], libc::PROT_WRITE)?;
    let kind = fdtrans::kind(fd);
    let mut local = vec![0u8; if kind.is_some() { n } else { 0 }];
    let dst = if kind.is_some() {
        local.as_mut_ptr()
    } else {
        buf
    };
    let mut sa = [0u8; MAX_SOCKADDR];
    let mut len = MAX_SOCKADDR as u32;
    let want_addr = p.abi.ulong_arg(a[4]) != 0;
    let (sp, lp) = if want_addr {
        (sa.as_mut_ptr(), &mut len as *mut u32)
    } else {
        (std::ptr::null_mut(), std::ptr::null_mut())
    };
    // SAFETY: `dst` has `n` writable bytes; `sp`/`lp` NULL or locals.
    let r = unsafe {
        crate::safe_syscall::call(
            p,
            libc::SYS_recvfrom,
            [fd as u64, dst as u64, n as u64, a[3], sp as u64, lp as u64],
        )
    }?;
    if let Some(k) = kind {
        // MSG_TRUNC may report more than was copied.
        let got = (r as usize).min(n);
        p.write_mem(a[1], &fdtrans::to_guest(k, &p.codec(), &local[..got]))?;
    }
    if want_addr {
        write_sockaddr(p, a[4], a[5], &sa, len as usize)?;
    }
    Ok(r)
}

fn sys_recv(p: &mut Process, a: [u64; 6]) -> SysResult {
    sys_recvfrom(p, [a[0], a[1], a[2], a[3], 0, 0])
}

fn sys_shutdown(_: &mut Process, a: [u64; 6]) -> SysResult {
    // SAFETY: plain arguments.
    host(unsafe { libc::shutdown(a[0] as i32, a[1] as i32) })
}
