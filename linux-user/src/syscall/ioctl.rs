//! `ioctl`: the requests linux-user knows how to convert, by meaning.
//!
//! Each ABI maps its own request numbers to an [`IoctlOp`] (the numbers
//! differ on PowerPC, MIPS, SPARC and Alpha); the handler then issues the
//! host's request with an explicitly converted argument. Requests not in the
//! ABI's table get `-ENOTTY` (what the kernel says to an unknown request)
//! and a warning under `unimp`. Terminal requests convert `termios` and
//! `winsize` here; socket interface requests go through [`super::ifreq`].

use super::ifreq::{self, IfreqValue};
use super::{Process, SysResult};
use crate::errno::Errno;
use crate::layout::termios::{self, KernelTermios, WINSIZE_SIZE};
use crate::layout::Codec;

/// An ioctl request by meaning.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IoctlOp {
    Tcgets,
    Tcsets,
    Tcsetsw,
    Tcsetsf,
    Tiocgwinsz,
    Tiocswinsz,
    Fionread,
    Tiocgpgrp,
    Tiocspgrp,
    Tiocsctty,
    Tiocnotty,
    Tiocgsid,
    Tiocoutq,
    Tcflsh,
    Tcxonc,
    Tcsbrk,
    Fionbio,
    Fioclex,
    Fionclex,
    Fioasync,
    Tiocgptn,
    Tiocsptlck,
    Siocgifname,
    Siocgifconf,
    Siocgifflags,
    Siocsifflags,
    Siocgifaddr,
    Siocgifdstaddr,
    Siocgifbrdaddr,
    Siocgifnetmask,
    Siocgifmtu,
    Siocgifhwaddr,
    Siocgifindex,
    Siocatmark,
}

/// Request numbers of asm-generic (and x86) for the ops above.
pub static GENERIC_IOCTLS: &[(u32, IoctlOp)] = &[
    (0x5401, IoctlOp::Tcgets),
    (0x5402, IoctlOp::Tcsets),
    (0x5403, IoctlOp::Tcsetsw),
    (0x5404, IoctlOp::Tcsetsf),
    (0x5409, IoctlOp::Tcsbrk),
    (0x540A, IoctlOp::Tcxonc),
    (0x540B, IoctlOp::Tcflsh),
    (0x540E, IoctlOp::Tiocsctty),
    (0x540F, IoctlOp::Tiocgpgrp),
    (0x5410, IoctlOp::Tiocspgrp),
    (0x5411, IoctlOp::Tiocoutq),
    (0x5413, IoctlOp::Tiocgwinsz),
    (0x5414, IoctlOp::Tiocswinsz),
    (0x541B, IoctlOp::Fionread),
    (0x5422, IoctlOp::Tiocnotty),
    (0x5421, IoctlOp::Fionbio),
    (0x5450, IoctlOp::Fionclex),
    (0x5451, IoctlOp::Fioclex),
    (0x5452, IoctlOp::Fioasync),
    (0x5429, IoctlOp::Tiocgsid),
    (0x8004_5430, IoctlOp::Tiocgptn),
    (0x4004_5431, IoctlOp::Tiocsptlck),
    (0x8905, IoctlOp::Siocatmark),
    (0x8910, IoctlOp::Siocgifname),
    (0x8912, IoctlOp::Siocgifconf),
    (0x8913, IoctlOp::Siocgifflags),
    (0x8914, IoctlOp::Siocsifflags),
    (0x8915, IoctlOp::Siocgifaddr),
    (0x8917, IoctlOp::Siocgifdstaddr),
    (0x8919, IoctlOp::Siocgifbrdaddr),
    (0x891b, IoctlOp::Siocgifnetmask),
    (0x8921, IoctlOp::Siocgifmtu),
    (0x8927, IoctlOp::Siocgifhwaddr),
    (0x8933, IoctlOp::Siocgifindex),
];

fn host_ioctl(fd: i32, req: libc::c_ulong, arg: *mut libc::c_void) -> SysResult {
    // SAFETY: `arg` points at a local of the size this request expects (or
    // is a plain integer for requests that take one).
    let r = unsafe { libc::ioctl(fd, req, arg) };
    if r < 0 {
        Err(Errno::last())
    } else {
        Ok(r as u64)
    }
}

/// Host `int`-argument ioctl with the result written back as a guest `int`.
fn int_out(p: &Process, fd: i32, req: libc::c_ulong, arg: u64) -> SysResult {
    let mut v: i32 = 0;
    let r = host_ioctl(fd, req, (&mut v as *mut i32).cast())?;
    let c = p.abi.codec();
    let mut b = [0u8; 4];
    c.put(&mut b, 0, 4, v as u32 as u64);
    p.space.write(arg, &b)?;
    Ok(r)
}

/// Host `int`-argument ioctl reading a guest `int`.
fn int_in(p: &Process, fd: i32, req: libc::c_ulong, arg: u64) -> SysResult {
    let b = p.space.read_vec(arg, 4)?;
    let mut v = p.abi.codec().get(&b, 0, 4) as u32 as i32;
    host_ioctl(fd, req, (&mut v as *mut i32).cast())
}

pub(super) fn sys_ioctl(p: &mut Process, a: [u64; 6]) -> SysResult {
    let fd = a[0] as i32;
    let req = a[1] as u32;
    let arg = p.abi.ulong_arg(a[2]);
    let c: Codec = p.abi.codec();
    let Some(&(_, op)) = p.abi.ioctls.iter().find(|(n, _)| *n == req) else {
        tracing::warn!(target: "unimp", "ioctl {req:#x} on fd {fd}: not supported");
        return Err(Errno::ENOTTY);
    };
    use IoctlOp::*;
    match op {
        Tcgets => {
            let mut t = KernelTermios::default();
            host_ioctl(fd, libc::TCGETS, (&mut t as *mut KernelTermios).cast())?;
            let b = termios::encode(p.abi.struct_layout.termios, &c, &t);
            p.space.write(arg, &b)?;
            Ok(0)
        }
        Tcsets | Tcsetsw | Tcsetsf => {
            let l = p.abi.struct_layout.termios;
            let b = p.space.read_vec(arg, l.size)?;
            let mut t = termios::decode(l, &c, &b);
            let req = match op {
                Tcsets => libc::TCSETS,
                Tcsetsw => libc::TCSETSW,
                _ => libc::TCSETSF,
            };
            host_ioctl(fd, req, (&mut t as *mut KernelTermios).cast())
        }
        Tiocgwinsz => {
            let mut w = [0u8; WINSIZE_SIZE];
            host_ioctl(fd, libc::TIOCGWINSZ, w.as_mut_ptr().cast())?;
            let host = Codec::LE64;
            p.space
                .write(arg, &termios::convert_winsize(&host, &c, &w))?;
            Ok(0)
        }
        Tiocswinsz => {
            let g = p.space.read_vec(arg, WINSIZE_SIZE)?;
            let mut w = termios::convert_winsize(&c, &Codec::LE64, &g);
            host_ioctl(fd, libc::TIOCSWINSZ, w.as_mut_ptr().cast())
        }
        Fionread => int_out(p, fd, libc::FIONREAD, arg),
        Tiocoutq => int_out(p, fd, libc::TIOCOUTQ, arg),
        Tiocgpgrp => int_out(p, fd, libc::TIOCGPGRP, arg),
        Tiocgsid => int_out(p, fd, libc::TIOCGSID, arg),
        Tiocgptn => int_out(p, fd, libc::TIOCGPTN, arg),
        Tiocspgrp => int_in(p, fd, libc::TIOCSPGRP, arg),
        Fionbio => int_in(p, fd, libc::FIONBIO, arg),
        Fioasync => int_in(p, fd, libc::FIOASYNC, arg),
        Tiocsptlck => int_in(p, fd, libc::TIOCSPTLCK, arg),
        Tiocsctty => host_ioctl(fd, libc::TIOCSCTTY, arg as usize as *mut libc::c_void),
        Tcflsh => host_ioctl(fd, libc::TCFLSH, arg as usize as *mut libc::c_void),
        Tcxonc => host_ioctl(fd, libc::TCXONC, arg as usize as *mut libc::c_void),
        Tcsbrk => host_ioctl(fd, libc::TCSBRK, arg as usize as *mut libc::c_void),
        Tiocnotty => host_ioctl(fd, libc::TIOCNOTTY, std::ptr::null_mut()),
        Fioclex => host_ioctl(fd, libc::FIOCLEX, std::ptr::null_mut()),
        Fionclex => host_ioctl(fd, libc::FIONCLEX, std::ptr::null_mut()),
        Siocatmark => int_out(p, fd, 0x8905, arg),
        Siocgifconf => ifreq::ifconf(p, fd, arg),
        Siocgifname => ifreq::ifreq(p, fd, libc::SIOCGIFNAME, IfreqValue::IndexToName, arg, true),
        Siocgifflags => ifreq::ifreq(p, fd, libc::SIOCGIFFLAGS, IfreqValue::Flags, arg, true),
        Siocsifflags => ifreq::ifreq(p, fd, libc::SIOCSIFFLAGS, IfreqValue::Flags, arg, false),
        Siocgifaddr => ifreq::ifreq(p, fd, libc::SIOCGIFADDR, IfreqValue::Addr, arg, true),
        Siocgifdstaddr => ifreq::ifreq(p, fd, libc::SIOCGIFDSTADDR, IfreqValue::Addr, arg, true),
        Siocgifbrdaddr => ifreq::ifreq(p, fd, libc::SIOCGIFBRDADDR, IfreqValue::Addr, arg, true),
        Siocgifnetmask => ifreq::ifreq(p, fd, libc::SIOCGIFNETMASK, IfreqValue::Addr, arg, true),
        Siocgifhwaddr => ifreq::ifreq(p, fd, libc::SIOCGIFHWADDR, IfreqValue::Addr, arg, true),
        Siocgifmtu => ifreq::ifreq(p, fd, libc::SIOCGIFMTU, IfreqValue::Int, arg, true),
        Siocgifindex => ifreq::ifreq(p, fd, libc::SIOCGIFINDEX, IfreqValue::Int, arg, true),
    }
}
