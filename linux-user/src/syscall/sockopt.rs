//! `setsockopt` and `getsockopt`, with each option's value converted by
//! its type.
//!
//! The level and `SO_*` names are renumbered through the ABI's
//! [`crate::layout::net::NetAbi`]. Values: `int` options (most of them)
//! convert as an `int` when they are 4 bytes long and pass as bytes when
//! shorter (the IP options that take a single byte); `SO_RCVTIMEO`/
//! `SO_SNDTIMEO` convert a guest `struct timeval` (two `long`s) or the
//! fixed 64-bit `__kernel_sock_timeval`; `SO_LINGER` and `SO_PEERCRED`
//! are arrays of `int`s; `SO_TYPE` is renumbered, `SO_ERROR` is an errno
//! in the guest's numbering; `ip_mreqn`/`ipv6_mreq` convert their
//! interface index; `SO_ATTACH_FILTER` copies the guest's classic BPF
//! program. Options whose value is bytes (device names, congestion
//! control names, IP options) pass unchanged. `TCP_INFO` and other
//! multi-field reports pass as the host wrote them, which is the guest's
//! layout on little-endian 64-bit and 32-bit ABIs alike (fixed-size
//! fields); a big-endian guest would see them unswapped.

use super::{host, Handler, Process, SysResult};
use crate::errno::Errno;
use crate::layout::misc::TimePair;
use crate::layout::net::HOST_SOL_SOCKET;

pub(super) const HANDLERS: &[(&str, Handler)] = &[
    ("setsockopt", sys_setsockopt),
    ("getsockopt", sys_getsockopt),
];

const SOL_IP: u32 = 0;
const SOL_TCP: u32 = 6;
const SOL_IPV6: u32 = 41;

const SO_TYPE: u32 = 3;
const SO_ERROR: u32 = 4;
const SO_LINGER: u32 = 13;
const SO_PEERCRED: u32 = 17;
const SO_RCVTIMEO_OLD: u32 = 20;
const SO_SNDTIMEO_OLD: u32 = 21;
const SO_ATTACH_FILTER: u32 = 26;
const SO_ATTACH_REUSEPORT_CBPF: u32 = 51;
const SO_RCVTIMEO_NEW: u32 = 66;
const SO_SNDTIMEO_NEW: u32 = 67;
const IP_MULTICAST_IF: u32 = 32;
const IP_ADD_MEMBERSHIP: u32 = 35;
const IP_DROP_MEMBERSHIP: u32 = 36;
const IPV6_ADD_MEMBERSHIP: u32 = 20;
const IPV6_DROP_MEMBERSHIP: u32 = 21;

/// Largest option value handled (the kernel's own limits are smaller for
/// everything but filters, which come through a pointer).
const MAX_OPTLEN: usize = 4096;

/// How an option's value is laid out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    /// An `int` when 4 bytes long, bytes otherwise.
    Int,
    /// A guest `struct timeval` (two `long`s).
    Timeval,
    /// `__kernel_sock_timeval`: two `s64`.
    SockTimeval,
    /// `int`s at every 4-byte offset (`linger`, `ucred`).
    Ints,
    /// Bytes, then an `int` at this offset (`ip_mreqn`, `ipv6_mreq`).
    IntAt(usize),
    /// `struct sock_fprog`.
    Fprog,
    /// Bytes (names, IP options) or a report passed as the host wrote it.
    Bytes,
}

fn kind(level: u32, name: u32) -> Kind {
    match (level, name) {
        (HOST_SOL_SOCKET, SO_RCVTIMEO_OLD | SO_SNDTIMEO_OLD) => Kind::Timeval,
        (HOST_SOL_SOCKET, SO_RCVTIMEO_NEW | SO_SNDTIMEO_NEW) => Kind::SockTimeval,
        (HOST_SOL_SOCKET, SO_LINGER | SO_PEERCRED) => Kind::Ints,
        (HOST_SOL_SOCKET, SO_ATTACH_FILTER | SO_ATTACH_REUSEPORT_CBPF) => Kind::Fprog,
        (SOL_IP, IP_ADD_MEMBERSHIP | IP_DROP_MEMBERSHIP | IP_MULTICAST_IF) => Kind::IntAt(8),
        (SOL_IPV6, IPV6_ADD_MEMBERSHIP | IPV6_DROP_MEMBERSHIP) => Kind::IntAt(16),
        // TCP_CONGESTION (13), TCP_ULP (31) are names; TCP_INFO (11) a report.
        (SOL_TCP, 11 | 13 | 31) => Kind::Bytes,
        // SO_BINDTODEVICE (25), SO_PEERSEC (31), SO_PEERGROUPS (59),
        // IP_OPTIONS (4): bytes.
        (HOST_SOL_SOCKET, 25 | 31 | 59) | (SOL_IP, 4) => Kind::Bytes,
        _ => Kind::Int,
    }
}

/// Guest value -> host value (for `setsockopt`).
fn to_host(p: &Process, k: Kind, g: &[u8]) -> Result<Vec<u8>, Errno> {
    let c = p.codec();
    let int = |b: &[u8], off: usize| c.get(b, off, 4) as u32;
    let mut out = g.to_vec();
    match k {
        Kind::Int => {
            if g.len() >= 4 {
                out[..4].copy_from_slice(&int(g, 0).to_ne_bytes());
            }
        }
        Kind::Timeval => {
            if g.len() < TimePair::size(&c) {
                return Err(Errno::EINVAL);
            }
            let t = TimePair::decode(&c, g);
            out = [t.sec.to_ne_bytes(), t.frac.to_ne_bytes()].concat();
        }
        Kind::SockTimeval => {
            if g.len() < 16 {
                return Err(Errno::EINVAL);
            }
            out = [c.get(g, 0, 8).to_ne_bytes(), c.get(g, 8, 8).to_ne_bytes()].concat();
        }
        Kind::Ints => {
            for off in (0..g.len() / 4 * 4).step_by(4) {
                out[off..off + 4].copy_from_slice(&int(g, off).to_ne_bytes());
            }
        }
        Kind::IntAt(off) => {
            if g.len() >= off + 4 {
                out[off..off + 4].copy_from_slice(&int(g, off).to_ne_bytes());
            }
        }
        // Converted by `set_filter`; bytes pass.
        Kind::Fprog | Kind::Bytes => {}
    }
    Ok(out)
}

/// Host value -> guest value (for `getsockopt`), for option `name` at host
/// level `level`.
fn to_guest(p: &Process, k: Kind, level: u32, name: u32, h: &[u8]) -> Vec<u8> {
    let c = p.codec();
    let int =
        |b: &[u8], off: usize| u32::from_ne_bytes(b[off..off + 4].try_into().unwrap_or([0; 4]));
    let put_int = |out: &mut Vec<u8>, off: usize, v: u32| c.put(out, off, 4, v.into());
    let mut out = h.to_vec();
    match k {
        Kind::Int => {
            if h.len() >= 4 {
                let mut v = int(h, 0);
                if level == HOST_SOL_SOCKET && name == SO_TYPE {
                    v = p.abi.net.sock_type_to_guest(v);
                } else if level == HOST_SOL_SOCKET && name == SO_ERROR && v != 0 {
                    v = p.abi.errno.to_guest(Errno(v as i32)) as u32;
                }
                put_int(&mut out, 0, v);
            }
        }
        Kind::Timeval => {
            let g = |o: usize| i64::from_ne_bytes(h[o..o + 8].try_into().unwrap_or([0; 8]));
            if h.len() >= 16 {
                out = TimePair {
                    sec: g(0),
                    frac: g(8),
                }
                .encode(&c);
            }
        }
        Kind::SockTimeval => {
            if h.len() >= 16 {
                for off in [0, 8] {
                    let v = u64::from_ne_bytes(h[off..off + 8].try_into().unwrap_or([0; 8]));
                    c.put(&mut out, off, 8, v);
                }
            }
        }
        Kind::Ints => {
            for off in (0..h.len() / 4 * 4).step_by(4) {
                put_int(&mut out, off, int(h, off));
            }
        }
        Kind::IntAt(off) => {
            if h.len() >= off + 4 {
                put_int(&mut out, off, int(h, off));
            }
        }
        Kind::Fprog | Kind::Bytes => {}
    }
    out
}

/// `SO_ATTACH_FILTER`: `struct sock_fprog { u16 len; struct sock_filter
/// *filter; }` with 8-byte `sock_filter { u16 code; u8 jt, jf; u32 k; }`.
fn set_filter(p: &Process, fd: i32, level: u32, name: u32, addr: u64, len: usize) -> SysResult {
    let c = p.codec();
    let w = c.word;
    if len < 2 * w {
        return Err(Errno::EINVAL);
    }
    let b = p.read_mem(addr, 2 * w)?;
    let count = c.get(&b, 0, 2) as usize;
    let prog = p.read_mem(c.get_word(&b, w), count * 8)?;
    let mut insns = Vec::with_capacity(count * 8);
    for i in prog.chunks_exact(8) {
        insns.extend((c.get(i, 0, 2) as u16).to_ne_bytes());
        insns.extend([i[2], i[3]]);
        insns.extend((c.get(i, 4, 4) as u32).to_ne_bytes());
    }
    #[repr(C)]
    struct Fprog {
        len: u16,
        filter: *const u8,
    }
    let f = Fprog {
        len: count as u16,
        filter: insns.as_ptr(),
    };
    // SAFETY: `f` points at `count` host-order filter instructions.
    host(unsafe {
        libc::setsockopt(
            fd,
            level as i32,
            name as i32,
            (&f as *const Fprog).cast(),
            std::mem::size_of::<Fprog>() as u32,
        )
    })
}

/// The host's level and name for a guest `(level, name)`.
fn host_names(p: &Process, level: u64, name: u64) -> (u32, u32) {
    let level = p.abi.net.level_to_host(level as u32);
    let name = if level == HOST_SOL_SOCKET {
        p.abi.net.so_to_host(name as u32)
    } else {
        name as u32
    };
    (level, name)
}

fn sys_setsockopt(p: &mut Process, a: [u64; 6]) -> SysResult {
    let fd = a[0] as i32;
    let (level, name) = host_names(p, a[1], a[2]);
    let len = a[4] as u32 as i32;
    if len < 0 {
        return Err(Errno::EINVAL);
    }
    let len = (len as usize).min(MAX_OPTLEN);
    let k = kind(level, name);
    if k == Kind::Fprog {
        return set_filter(p, fd, level, name, a[3], len);
    }
    let g = if len == 0 {
        Vec::new()
    } else {
        p.read_mem(a[3], len)?
    };
    let v = to_host(p, k, &g)?;
    let vp = if len == 0 && p.abi.ulong_arg(a[3]) == 0 {
        std::ptr::null()
    } else {
        v.as_ptr()
    };
    // SAFETY: `vp` is NULL or `v.len()` bytes.
    host(unsafe { libc::setsockopt(fd, level as i32, name as i32, vp.cast(), v.len() as u32) })
}

fn sys_getsockopt(p: &mut Process, a: [u64; 6]) -> SysResult {
    let fd = a[0] as i32;
    let (level, name) = host_names(p, a[1], a[2]);
    let glen = p.read_u32(a[4])? as i32;
    if glen < 0 {
        return Err(Errno::EINVAL);
    }
    let glen = glen as usize;
    let k = kind(level, name);
    let host_len = match k {
        Kind::Timeval | Kind::SockTimeval => 16,
        _ => glen.min(MAX_OPTLEN),
    };
    let mut v = vec![0u8; host_len];
    let mut len = host_len as u32;
    // SAFETY: `v` has `len` writable bytes.
    host(unsafe {
        libc::getsockopt(
            fd,
            level as i32,
            name as i32,
            v.as_mut_ptr().cast(),
            &mut len,
        )
    })?;
    let got = (len as usize).min(v.len());
    let mut out = to_guest(p, k, level, name, &v[..got]);
    // A timeval's guest size differs from the host's; never write more
    // than the guest asked for.
    out.truncate(glen);
    p.write_mem(a[3], &out)?;
    p.write_u32(a[4], out.len() as u32)?;
    Ok(0)
}
