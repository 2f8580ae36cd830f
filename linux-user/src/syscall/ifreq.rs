//! Network interface ioctls on sockets: `SIOCGIFNAME`, `SIOCGIFINDEX`,
//! `SIOCGIFFLAGS`/`SIOCSIFFLAGS`, `SIOCGIFADDR`, `SIOCGIFDSTADDR`,
//! `SIOCGIFBRDADDR`, `SIOCGIFNETMASK`, `SIOCGIFHWADDR`, `SIOCGIFMTU`,
//! `SIOCGIFCONF`, with `struct ifreq` and `struct ifconf` converted.
//!
//! `struct ifreq` is a 16-byte name and a union at offset 16 (a
//! `sockaddr`, a `short` of flags, an `int` index or MTU, a name, an
//! `ifmap` with two `unsigned long`s, a pointer): 40 bytes on 64-bit ABIs,
//! 32 on 32-bit ones. `struct ifconf` is `{ int len; union { char *buf;
//! struct ifreq *req; }; }`, and its `len` counts bytes of the caller's
//! `ifreq` array, so a 32-bit guest's length differs from the host's.

use super::{Process, SysResult};
use crate::errno::Errno;
use crate::layout::sockaddr;

/// What the union of a request's `ifreq` holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IfreqValue {
    /// A `sockaddr` (address, netmask, hardware address...).
    Addr,
    /// `short ifr_flags`.
    Flags,
    /// `int ifr_ifindex` / `ifr_mtu`.
    Int,
    /// In: `ifr_ifindex`; out: the name (`SIOCGIFNAME`).
    IndexToName,
}

const IFNAMSIZ: usize = 16;
const HOST_IFREQ: usize = 40;

/// Size of the guest's `struct ifreq`.
fn ifreq_size(p: &Process) -> usize {
    if p.abi.bits == 64 {
        40
    } else {
        32
    }
}

/// Guest `ifreq` bytes -> host bytes, for a request whose union holds `v`.
fn to_host(p: &Process, v: IfreqValue, g: &[u8]) -> [u8; HOST_IFREQ] {
    let c = p.codec();
    let mut h = [0u8; HOST_IFREQ];
    h[..IFNAMSIZ].copy_from_slice(&g[..IFNAMSIZ]);
    let u = &g[IFNAMSIZ..];
    match v {
        IfreqValue::Addr => h[16..32].copy_from_slice(&sockaddr::to_host(&c, &u[..16])),
        IfreqValue::Flags => h[16..18].copy_from_slice(&(c.get(u, 0, 2) as u16).to_ne_bytes()),
        IfreqValue::Int | IfreqValue::IndexToName => {
            h[16..20].copy_from_slice(&(c.get(u, 0, 4) as u32).to_ne_bytes())
        }
    }
    h
}

/// Host `ifreq` -> guest bytes of `size`.
fn to_guest(p: &Process, v: IfreqValue, h: &[u8], size: usize) -> Vec<u8> {
    let c = p.codec();
    let mut g = vec![0u8; size];
    g[..IFNAMSIZ].copy_from_slice(&h[..IFNAMSIZ]);
    let u = &h[IFNAMSIZ..];
    match v {
        IfreqValue::Addr => g[16..32].copy_from_slice(&sockaddr::to_guest(&c, &u[..16])),
        IfreqValue::Flags => c.put(&mut g, 16, 2, u16::from_ne_bytes([u[0], u[1]]).into()),
        IfreqValue::Int | IfreqValue::IndexToName => c.put(
            &mut g,
            16,
            4,
            u32::from_ne_bytes([u[0], u[1], u[2], u[3]]).into(),
        ),
    }
    g
}

/// An `ifreq` request `req` (host number) whose union holds `v`; `write`
/// says whether the kernel fills the struct in.
pub(super) fn ifreq(
    p: &Process,
    fd: i32,
    req: libc::c_ulong,
    v: IfreqValue,
    arg: u64,
    write: bool,
) -> SysResult {
    let size = ifreq_size(p);
    let g = p.space.read_vec(arg, size)?;
    let mut h = to_host(p, v, &g);
    // SAFETY: `h` is a host `struct ifreq`.
    let r = unsafe { libc::ioctl(fd, req, h.as_mut_ptr()) };
    if r < 0 {
        return Err(Errno::last());
    }
    if write {
        p.space.write(arg, &to_guest(p, v, &h, size))?;
    }
    Ok(r as u64)
}

/// `SIOCGIFCONF`.
pub(super) fn ifconf(p: &Process, fd: i32, arg: u64) -> SysResult {
    let c = p.codec();
    let w = c.word;
    let raw = p.space.read_vec(arg, 2 * w)?;
    let glen = c.get(&raw, 0, 4) as i32;
    let buf = c.get_word(&raw, w);
    let gsize = ifreq_size(p);
    #[repr(C)]
    struct HostIfconf {
        len: i32,
        buf: *mut u8,
    }
    if buf == 0 {
        // A size query: the host answers in host-sized entries.
        let mut q = HostIfconf {
            len: 0,
            buf: std::ptr::null_mut(),
        };
        // SAFETY: a host ifconf with no buffer.
        if unsafe { libc::ioctl(fd, libc::SIOCGIFCONF, &mut q) } < 0 {
            return Err(Errno::last());
        }
        let n = q.len.max(0) as usize / HOST_IFREQ;
        let mut out = raw.clone();
        c.put(&mut out, 0, 4, (n * gsize) as u64);
        p.space.write(arg, &out[..4])?;
        return Ok(0);
    }
    if glen < 0 {
        return Err(Errno::EINVAL);
    }
    let entries = (glen as usize / gsize).min(1024);
    let mut hbuf = vec![0u8; entries * HOST_IFREQ];
    let mut q = HostIfconf {
        len: hbuf.len() as i32,
        buf: hbuf.as_mut_ptr(),
    };
    // SAFETY: `q` describes `hbuf`.
    if unsafe { libc::ioctl(fd, libc::SIOCGIFCONF, &mut q) } < 0 {
        return Err(Errno::last());
    }
    let got = q.len.max(0) as usize / HOST_IFREQ;
    let mut out = Vec::with_capacity(got * gsize);
    for e in hbuf.chunks_exact(HOST_IFREQ).take(got) {
        out.extend(to_guest(p, IfreqValue::Addr, e, gsize));
    }
    p.space.write(buf, &out)?;
    let mut hdr = raw;
    c.put(&mut hdr, 0, 4, out.len() as u64);
    p.space.write(arg, &hdr[..4])?;
    Ok(0)
}
