//! `sendmsg`, `recvmsg`, `sendmmsg`, `recvmmsg`: `struct msghdr` and its
//! ancillary data.
//!
//! The guest's `msghdr` is `{ void *name; u32 namelen; struct iovec *iov;
//! size_t iovlen; void *control; size_t controllen; int flags; }` (56
//! bytes on 64-bit ABIs, 28 on 32-bit ones); control messages are `{
//! size_t len; int level; int type; }` headers (16 or 12 bytes) followed by
//! data, each padded to the word size. Every control message is rebuilt
//! for the host and back: `SCM_RIGHTS` (an `int` array of fds),
//! `SCM_CREDENTIALS` (`struct ucred`, three `int`s), `SO_TIMESTAMP` (a
//! `timeval`, whose size follows the word size) and `SO_TIMESTAMPNS`
//! (`timespec`); other messages carry their data as bytes. When the guest's
//! control buffer is too small, `MSG_CTRUNC` is set and received fds that
//! did not fit are closed, as the kernel does.

use super::fdtrans;
use super::io::iovecs;
use super::socket::read_sockaddr;
use super::{Handler, Process, SysResult};
use crate::errno::Errno;
use crate::layout::misc::TimePair;
use crate::layout::net::HOST_SOL_SOCKET;
use crate::layout::sockaddr::{self, MAX_SOCKADDR};
use crate::layout::Codec;

pub(super) const HANDLERS: &[(&str, Handler)] = &[
    ("sendmsg", sys_sendmsg),
    ("recvmsg", sys_recvmsg),
    ("sendmmsg", sys_sendmmsg),
    ("recvmmsg", sys_recvmmsg),
];

const SCM_RIGHTS: u32 = 1;
const SCM_CREDENTIALS: u32 = 2;
const SO_TIMESTAMP_OLD: u32 = 29;
const SO_TIMESTAMPNS_OLD: u32 = 35;
const MSG_CTRUNC: u32 = 8;
const MSG_DONTWAIT: u32 = 0x40;
const MSG_WAITFORONE: u32 = 0x10000;

/// Largest control buffer handled (the kernel's `optmem_max` is smaller).
const MAX_CONTROL: usize = 64 * 1024;
/// Most messages one `sendmmsg`/`recvmmsg` handles (`UIO_MAXIOV`).
const MAX_MMSG: u64 = 1024;

/// A decoded guest `msghdr`.
#[derive(Clone, Copy, Debug)]
struct MsgHdr {
    name: u64,
    namelen: u32,
    iov: u64,
    iovlen: u64,
    control: u64,
    controllen: u64,
}

fn msghdr_size(c: &Codec) -> usize {
    7 * c.word
}

fn read_msghdr(p: &Process, addr: u64) -> Result<MsgHdr, Errno> {
    let c = p.codec();
    let w = c.word;
    let b = p.read_mem(addr, msghdr_size(&c))?;
    Ok(MsgHdr {
        name: c.get_word(&b, 0),
        namelen: c.get(&b, w, 4) as u32,
        iov: c.get_word(&b, 2 * w),
        iovlen: c.get_word(&b, 3 * w),
        control: c.get_word(&b, 4 * w),
        controllen: c.get_word(&b, 5 * w),
    })
}

/// Guest control header size, and the alignment of each message.
fn cmsg_hdr(c: &Codec) -> usize {
    c.word + 8
}

fn align(n: usize, a: usize) -> usize {
    (n + a - 1) & !(a - 1)
}

/// Host `CMSG_SPACE`-style sizes (x86-64: 16-byte header, 8-byte align).
const HOST_HDR: usize = 16;

fn host_cmsg(out: &mut Vec<u8>, level: u32, ty: u32, data: &[u8]) {
    let start = out.len();
    out.extend(((HOST_HDR + data.len()) as u64).to_ne_bytes());
    out.extend(level.to_ne_bytes());
    out.extend(ty.to_ne_bytes());
    out.extend(data);
    out.resize(start + align(HOST_HDR + data.len(), 8), 0);
}

/// The guest's control messages as a host control buffer.
fn control_to_host(p: &Process, m: &MsgHdr) -> Result<Vec<u8>, Errno> {
    let c = p.codec();
    let len = p.abi.ulong_arg(m.controllen) as usize;
    if len == 0 {
        return Ok(Vec::new());
    }
    if len > MAX_CONTROL {
        return Err(Errno::ENOBUFS);
    }
    let g = p.read_mem(m.control, len)?;
    let hdr = cmsg_hdr(&c);
    let mut out = Vec::new();
    let mut off = 0;
    while off + hdr <= g.len() {
        let clen = c.get_word(&g, off) as usize;
        if clen < hdr || off + clen > g.len() {
            return Err(Errno::EINVAL);
        }
        let level = p.abi.net.level_to_host(c.get(&g, off + c.word, 4) as u32);
        let mut ty = c.get(&g, off + c.word + 4, 4) as u32;
        let data = &g[off + hdr..off + clen];
        let host_data: Vec<u8> = if level == HOST_SOL_SOCKET {
            ty = p.abi.net.so_to_host(ty);
            match ty {
                SCM_RIGHTS | SCM_CREDENTIALS => data
                    .chunks_exact(4)
                    .flat_map(|i| (c.get(i, 0, 4) as u32).to_ne_bytes())
                    .collect(),
                _ => data.to_vec(),
            }
        } else {
            data.to_vec()
        };
        host_cmsg(&mut out, level, ty, &host_data);
        off += align(clen, c.word);
    }
    Ok(out)
}

/// Writes the host's received control messages to the guest buffer;
/// returns the bytes used and whether they were truncated.
fn control_to_guest(p: &Process, m: &MsgHdr, h: &[u8]) -> Result<(usize, bool), Errno> {
    let c = p.codec();
    let room = p.abi.ulong_arg(m.controllen) as usize;
    let hdr = cmsg_hdr(&c);
    let mut out = Vec::new();
    let mut trunc = false;
    let mut off = 0;
    while off + HOST_HDR <= h.len() {
        let clen = u64::from_ne_bytes(h[off..off + 8].try_into().unwrap_or([0; 8])) as usize;
        if clen < HOST_HDR || off + clen > h.len() {
            break;
        }
        let level = u32::from_ne_bytes(h[off + 8..off + 12].try_into().unwrap_or([0; 4]));
        let ty = u32::from_ne_bytes(h[off + 12..off + 16].try_into().unwrap_or([0; 4]));
        let data = &h[off + HOST_HDR..off + clen];
        off += align(clen, 8);
        let int_at = |i: usize| u32::from_ne_bytes(data[i..i + 4].try_into().unwrap_or([0; 4]));
        let mut gdata: Vec<u8> = match (level, ty) {
            (HOST_SOL_SOCKET, SCM_RIGHTS | SCM_CREDENTIALS) => {
                let mut v = vec![0u8; data.len() / 4 * 4];
                for i in (0..v.len()).step_by(4) {
                    c.put(&mut v, i, 4, int_at(i).into());
                }
                v
            }
            (HOST_SOL_SOCKET, SO_TIMESTAMP_OLD | SO_TIMESTAMPNS_OLD) if data.len() >= 16 => {
                let g = |o: usize| i64::from_ne_bytes(data[o..o + 8].try_into().unwrap_or([0; 8]));
                // The old timestamps are `long` pairs even in recvmmsg_time64.
                TimePair {
                    sec: g(0),
                    frac: g(8),
                }
                .encode(&crate::layout::Codec { time64: false, ..c })
            }
            _ => data.to_vec(),
        };
        let glevel = if level == HOST_SOL_SOCKET {
            p.abi.net.sol_socket
        } else {
            level
        };
        let gty = if level == HOST_SOL_SOCKET {
            p.abi
                .net
                .so_opts
                .iter()
                .find(|(_, h)| *h == ty)
                .map_or(ty, |&(g, _)| g)
        } else {
            ty
        };
        let avail = room.saturating_sub(out.len());
        if avail < hdr + gdata.len() {
            trunc = true;
            let fits = avail.saturating_sub(hdr);
            if (level, ty) == (HOST_SOL_SOCKET, SCM_RIGHTS) {
                // Fds that do not fit are closed, as the kernel does.
                let keep = fits / 4;
                for i in (keep * 4..data.len() / 4 * 4).step_by(4) {
                    // SAFETY: closing an fd received for the guest that it
                    // will never see.
                    unsafe { libc::close(int_at(i) as i32) };
                }
                gdata.truncate(keep * 4);
                if keep == 0 {
                    break;
                }
            } else {
                break;
            }
        }
        let start = out.len();
        out.resize(start + hdr, 0);
        c.put_word(&mut out, start, (hdr + gdata.len()) as u64);
        c.put(&mut out, start + c.word, 4, glevel.into());
        c.put(&mut out, start + c.word + 4, 4, gty.into());
        out.extend(&gdata);
        let padded = align(out.len(), c.word).min(room);
        out.resize(padded.max(out.len()), 0);
        if trunc {
            break;
        }
    }
    // Any further SCM_RIGHTS fds after a truncation are closed too.
    if trunc {
        close_rights_from(h, off);
    }
    if !out.is_empty() {
        p.write_mem(m.control, &out)?;
    }
    Ok((out.len(), trunc))
}

fn close_rights_from(h: &[u8], mut off: usize) {
    while off + HOST_HDR <= h.len() {
        let clen = u64::from_ne_bytes(h[off..off + 8].try_into().unwrap_or([0; 8])) as usize;
        if clen < HOST_HDR || off + clen > h.len() {
            break;
        }
        let level = u32::from_ne_bytes(h[off + 8..off + 12].try_into().unwrap_or([0; 4]));
        let ty = u32::from_ne_bytes(h[off + 12..off + 16].try_into().unwrap_or([0; 4]));
        if (level, ty) == (HOST_SOL_SOCKET, SCM_RIGHTS) {
            for fd in h[off + HOST_HDR..off + clen].chunks_exact(4) {
                // SAFETY: as above.
                unsafe { libc::close(i32::from_ne_bytes([fd[0], fd[1], fd[2], fd[3]])) };
            }
        }
        off += align(clen, 8);
    }
}

/// The guest iovecs, or one local buffer when the fd's data is converted.
struct Data {
    iov: Vec<libc::iovec>,
    local: Option<Vec<u8>>,
}

fn data(p: &Process, fd: i32, m: &MsgHdr, prot: i32) -> Result<Data, Errno> {
    let iov = iovecs(p, m.iov, p.abi.ulong_arg(m.iovlen), prot)?;
    if fdtrans::kind(fd).is_none() {
        return Ok(Data { iov, local: None });
    }
    let total: usize = iov.iter().map(|v| v.iov_len).sum::<usize>().min(1 << 20);
    let mut local = vec![0u8; total];
    if prot == libc::PROT_READ {
        let mut off = 0;
        for v in &iov {
            let n = v.iov_len.min(total - off);
            // SAFETY: each iovec was checked readable.
            let src = unsafe { std::slice::from_raw_parts(v.iov_base as *const u8, n) };
            local[off..off + n].copy_from_slice(src);
            off += n;
        }
    }
    Ok(Data {
        iov,
        local: Some(local),
    })
}

fn send_one(p: &mut Process, fd: i32, addr: u64, flags: u32) -> SysResult {
    let m = read_msghdr(p, addr)?;
    let name = if p.abi.ulong_arg(m.name) != 0 {
        Some(read_sockaddr(p, m.name, m.namelen.into())?)
    } else {
        None
    };
    let mut control = control_to_host(p, &m)?;
    let mut d = data(p, fd, &m, libc::PROT_READ)?;
    let c = p.codec();
    let mut one = [libc::iovec {
        iov_base: std::ptr::null_mut(),
        iov_len: 0,
    }];
    let mut conv;
    let (iov, iovlen) = match (&mut d.local, fdtrans::kind(fd)) {
        (Some(l), Some(k)) => {
            conv = fdtrans::to_host(k, &c, l);
            one[0] = libc::iovec {
                iov_base: conv.as_mut_ptr().cast(),
                iov_len: conv.len(),
            };
            (one.as_mut_ptr(), 1)
        }
        _ => (d.iov.as_mut_ptr(), d.iov.len()),
    };
    // SAFETY: zeroed msghdr is valid.
    let mut h: libc::msghdr = unsafe { std::mem::zeroed() };
    if let Some(n) = &name {
        h.msg_name = n.as_ptr() as *mut libc::c_void;
        h.msg_namelen = n.len() as u32;
    }
    h.msg_iov = iov;
    h.msg_iovlen = iovlen;
    if !control.is_empty() {
        h.msg_control = control.as_mut_ptr().cast();
        h.msg_controllen = control.len();
    }
    // SAFETY: every pointer in `h` is a local or checked guest memory.
    unsafe {
        crate::safe_syscall::call(
            p,
            libc::SYS_sendmsg,
            [
                fd as u64,
                &h as *const libc::msghdr as u64,
                flags.into(),
                0,
                0,
                0,
            ],
        )
    }
}

fn recv_one(p: &mut Process, fd: i32, addr: u64, flags: u32) -> SysResult {
    let m = read_msghdr(p, addr)?;
    if (m.namelen as i32) < 0 && p.abi.ulong_arg(m.name) != 0 {
        return Err(Errno::EINVAL);
    }
    let mut d = data(p, fd, &m, libc::PROT_WRITE)?;
    // The guest's length only bounds what it receives.
    let glen = (p.abi.ulong_arg(m.controllen) as usize).min(MAX_CONTROL);
    // Host headers are larger than a 32-bit guest's: leave room.
    let mut control = vec![0u8; if glen == 0 { 0 } else { glen * 2 + 64 }];
    let mut name = [0u8; MAX_SOCKADDR];
    let mut one = [libc::iovec {
        iov_base: std::ptr::null_mut(),
        iov_len: 0,
    }];
    let (iov, iovlen) = match &mut d.local {
        Some(l) => {
            one[0] = libc::iovec {
                iov_base: l.as_mut_ptr().cast(),
                iov_len: l.len(),
            };
            (one.as_mut_ptr(), 1)
        }
        None => (d.iov.as_mut_ptr(), d.iov.len()),
    };
    // SAFETY: zeroed msghdr is valid.
    let mut h: libc::msghdr = unsafe { std::mem::zeroed() };
    if p.abi.ulong_arg(m.name) != 0 {
        h.msg_name = name.as_mut_ptr().cast();
        h.msg_namelen = MAX_SOCKADDR as u32;
    }
    h.msg_iov = iov;
    h.msg_iovlen = iovlen;
    if !control.is_empty() {
        h.msg_control = control.as_mut_ptr().cast();
        h.msg_controllen = control.len();
    }
    // SAFETY: every pointer in `h` is a local or checked guest memory.
    let r = unsafe {
        crate::safe_syscall::call(
            p,
            libc::SYS_recvmsg,
            [
                fd as u64,
                &mut h as *mut libc::msghdr as u64,
                flags.into(),
                0,
                0,
                0,
            ],
        )
    }?;
    let c = p.codec();
    if let (Some(l), Some(k)) = (&d.local, fdtrans::kind(fd)) {
        let got = (r as usize).min(l.len());
        let conv = fdtrans::to_guest(k, &c, &l[..got]);
        let mut off = 0;
        for v in &d.iov {
            let n = v.iov_len.min(got - off);
            if n == 0 {
                break;
            }
            let base = v.iov_base as u64 - p.space.base() as u64;
            p.space.write(base, &conv[off..off + n])?;
            off += n;
        }
    }
    let w = c.word;
    let mut gflags = h.msg_flags as u32;
    let (clen, trunc) = control_to_guest(p, &m, &control[..h.msg_controllen.min(control.len())])?;
    if trunc {
        gflags |= MSG_CTRUNC;
    }
    if p.abi.ulong_arg(m.name) != 0 {
        let n = (m.namelen as usize).min(h.msg_namelen as usize);
        if n > 0 {
            p.write_mem(m.name, &sockaddr::to_guest(&c, &name[..n]))?;
        }
        p.write_u32(addr + w as u64, h.msg_namelen)?;
    }
    p.write_mem(addr + 5 * w as u64, &c.word_bytes(clen as u64))?;
    p.write_u32(addr + 6 * w as u64, gflags)?;
    Ok(r)
}

fn sys_sendmsg(p: &mut Process, a: [u64; 6]) -> SysResult {
    send_one(p, a[0] as i32, p.abi.ulong_arg(a[1]), a[2] as u32)
}

fn sys_recvmsg(p: &mut Process, a: [u64; 6]) -> SysResult {
    recv_one(p, a[0] as i32, p.abi.ulong_arg(a[1]), a[2] as u32)
}

/// `struct mmsghdr`: a `msghdr` and `unsigned int msg_len`, padded to the
/// word size.
fn mmsghdr_size(c: &Codec) -> u64 {
    align(msghdr_size(c) + 4, c.word) as u64
}

fn sys_sendmmsg(p: &mut Process, a: [u64; 6]) -> SysResult {
    let fd = a[0] as i32;
    let base = p.abi.ulong_arg(a[1]);
    let n = (a[2] & 0xffff_ffff).min(MAX_MMSG);
    let size = mmsghdr_size(&p.codec());
    let mut done = 0;
    while done < n {
        let at = base + done * size;
        match send_one(p, fd, at, a[3] as u32) {
            Ok(len) => p.write_u32(at + msghdr_size(&p.codec()) as u64, len as u32)?,
            Err(e) if done == 0 => return Err(e),
            Err(_) => break,
        }
        done += 1;
    }
    Ok(done)
}

fn sys_recvmmsg(p: &mut Process, a: [u64; 6]) -> SysResult {
    let fd = a[0] as i32;
    let base = p.abi.ulong_arg(a[1]);
    let n = (a[2] & 0xffff_ffff).min(MAX_MMSG);
    let mut flags = a[3] as u32;
    let c = p.codec();
    let deadline = if p.abi.ulong_arg(a[4]) != 0 {
        let t = TimePair::decode(&c, &p.read_mem(a[4], TimePair::size(&c))?);
        if t.sec < 0 || !(0..1_000_000_000).contains(&t.frac) {
            return Err(Errno::EINVAL);
        }
        Some(std::time::Instant::now() + std::time::Duration::new(t.sec as u64, t.frac as u32))
    } else {
        None
    };
    let size = mmsghdr_size(&c);
    let mut done = 0;
    while done < n {
        let at = base + done * size;
        match recv_one(p, fd, at, flags & !MSG_WAITFORONE) {
            Ok(len) => p.write_u32(at + msghdr_size(&c) as u64, len as u32)?,
            Err(e) if done == 0 => return Err(e),
            Err(_) => break,
        }
        done += 1;
        if flags & MSG_WAITFORONE != 0 {
            flags |= MSG_DONTWAIT;
        }
        if deadline.is_some_and(|d| std::time::Instant::now() >= d) {
            break;
        }
    }
    Ok(done)
}
