//! Syscalls on file descriptors as such: `close`, `dup*`, `pipe2`,
//! `fcntl`, `lseek`, syncing, truncation, locks and hints.
//!
//! Guest fds are host fds (the same numbers); later work may reserve a few
//! for the emulator (logs, the `-D` file).

use super::{fdtrans, host, Handler, Process, SysResult};
use crate::errno::Errno;
use crate::layout::misc::{decode_flock, encode_flock};

pub(super) const HANDLERS: &[(&str, Handler)] = &[
    ("close", sys_close),
    ("close_range", sys_close_range),
    ("dup", sys_dup),
    ("dup3", sys_dup3),
    ("pipe2", sys_pipe2),
    ("fcntl", sys_fcntl),
    ("lseek", sys_lseek),
    ("ftruncate", sys_ftruncate),
    ("fsync", sys_fsync),
    ("fdatasync", sys_fdatasync),
    ("sync", sys_sync),
    ("syncfs", sys_syncfs),
    ("flock", sys_flock),
    ("fallocate", sys_fallocate),
    ("fadvise64", sys_fadvise64),
    ("sync_file_range", sys_sync_file_range),
    ("readahead", sys_readahead),
];

fn sys_close(_: &mut Process, a: [u64; 6]) -> SysResult {
    // SAFETY: closing an fd number has no memory-safety impact on us beyond
    // that fd, which belongs to the guest.
    let r = host(unsafe { libc::close(a[0] as i32) });
    fdtrans::forget(a[0] as i32);
    r
}

fn sys_close_range(_: &mut Process, a: [u64; 6]) -> SysResult {
    // SAFETY: plain arguments.
    let r = host(unsafe {
        libc::syscall(libc::SYS_close_range, a[0] as u32, a[1] as u32, a[2] as u32)
    })?;
    // CLOSE_RANGE_CLOEXEC (4) only marks them.
    if a[2] & 4 == 0 {
        fdtrans::forget_range(a[0] as u32, a[1] as u32);
    }
    Ok(r)
}

fn sys_dup(_: &mut Process, a: [u64; 6]) -> SysResult {
    // SAFETY: plain fd argument.
    let new = host(unsafe { libc::dup(a[0] as i32) })?;
    fdtrans::duplicated(a[0] as i32, new as i32);
    Ok(new)
}

fn sys_dup3(p: &mut Process, a: [u64; 6]) -> SysResult {
    let flags = p.abi.open_flags.to_host(a[2] & 0xffff_ffff) as i32;
    // SAFETY: plain arguments.
    let new = host(unsafe { libc::dup3(a[0] as i32, a[1] as i32, flags) })?;
    fdtrans::duplicated(a[0] as i32, new as i32);
    Ok(new)
}

fn sys_pipe2(p: &mut Process, a: [u64; 6]) -> SysResult {
    let flags = p.abi.open_flags.to_host(a[1] & 0xffff_ffff) as i32;
    // Check the destination before creating fds we would have to close.
    if !p.space.check(p.abi.ulong_arg(a[0]), 8, libc::PROT_WRITE) {
        return Err(Errno::EFAULT);
    }
    let mut fds = [0i32; 2];
    // SAFETY: `fds` has room for two ints.
    host(unsafe { libc::pipe2(fds.as_mut_ptr(), flags) })?;
    p.write_u32(a[0], fds[0] as u32)?;
    p.write_u32(a[0] + 4, fds[1] as u32)?;
    Ok(0)
}

/// `struct f_owner_ex` (two `int`s in every ABI).
#[repr(C)]
struct FOwnerEx {
    type_: i32,
    pid: i32,
}

const F_DUPFD: i32 = 0;
const F_GETFD: i32 = 1;
const F_SETFD: i32 = 2;
const F_GETFL: i32 = 3;
const F_SETFL: i32 = 4;
const F_GETLK: i32 = 5;
const F_SETLK: i32 = 6;
const F_SETLKW: i32 = 7;
const F_SETOWN: i32 = 8;
const F_GETOWN: i32 = 9;
const F_SETSIG: i32 = 10;
const F_GETSIG: i32 = 11;
const F_SETOWN_EX: i32 = 15;
const F_GETOWN_EX: i32 = 16;
const F_OFD_GETLK: i32 = 36;
const F_OFD_SETLK: i32 = 37;
const F_OFD_SETLKW: i32 = 38;
const F_SETLEASE: i32 = 1024;
const F_GETLEASE: i32 = 1025;
const F_NOTIFY: i32 = 1026;
const F_DUPFD_CLOEXEC: i32 = 1030;
const F_SETPIPE_SZ: i32 = 1031;
const F_GETPIPE_SZ: i32 = 1032;
const F_ADD_SEALS: i32 = 1033;
const F_GET_SEALS: i32 = 1034;

fn sys_fcntl(p: &mut Process, a: [u64; 6]) -> SysResult {
    let fd = a[0] as i32;
    let cmd = a[1] as i32;
    let arg = a[2];
    // SAFETY (all calls below): fcntl with an integer argument or a pointer
    // to a local struct of the type the command expects.
    match cmd {
        F_DUPFD | F_DUPFD_CLOEXEC | F_SETFD | F_SETOWN | F_SETSIG | F_SETLEASE | F_NOTIFY
        | F_SETPIPE_SZ | F_ADD_SEALS => {
            let r = host(unsafe { libc::fcntl(fd, cmd, arg as i32) })?;
            if cmd == F_DUPFD || cmd == F_DUPFD_CLOEXEC {
                fdtrans::duplicated(fd, r as i32);
            }
            Ok(r)
        }
        F_GETFD | F_GETOWN | F_GETSIG | F_GETLEASE | F_GETPIPE_SZ | F_GET_SEALS => {
            host(unsafe { libc::fcntl(fd, cmd) })
        }
        F_GETFL => {
            let r = host(unsafe { libc::fcntl(fd, F_GETFL) })?;
            Ok(p.abi.open_flags.to_guest(r))
        }
        F_SETFL => {
            let fl = p.abi.open_flags.to_host(arg & 0xffff_ffff) as i32;
            host(unsafe { libc::fcntl(fd, F_SETFL, fl) })
        }
        F_GETLK | F_SETLK | F_SETLKW | F_OFD_GETLK | F_OFD_SETLK | F_OFD_SETLKW => {
            let l = p.abi.struct_layout.flock;
            let c = p.codec();
            let b = p.read_mem(arg, l.size)?;
            let mut fl = decode_flock(l, &c, &b);
            // SAFETY: a local flock; SETLKW may block (a guest signal
            // interrupts it).
            let r = unsafe {
                crate::safe_syscall::call(
                    p,
                    libc::SYS_fcntl,
                    [
                        fd as u64,
                        cmd as u64,
                        &mut fl as *mut libc::flock as u64,
                        0,
                        0,
                        0,
                    ],
                )
            }?;
            if cmd == F_GETLK || cmd == F_OFD_GETLK {
                p.write_mem(arg, &encode_flock(l, &c, &fl))?;
            }
            Ok(r)
        }
        F_GETOWN_EX | F_SETOWN_EX => {
            let b = p.read_mem(arg, 8)?;
            let c = p.codec();
            let mut ex = FOwnerEx {
                type_: c.get(&b, 0, 4) as i32,
                pid: c.get(&b, 4, 4) as i32,
            };
            let r = host(unsafe { libc::fcntl(fd, cmd, &mut ex as *mut FOwnerEx) })?;
            if cmd == F_GETOWN_EX {
                let mut o = [0u8; 8];
                c.put(&mut o, 0, 4, ex.type_ as u32 as u64);
                c.put(&mut o, 4, 4, ex.pid as u32 as u64);
                p.write_mem(arg, &o)?;
            }
            Ok(r)
        }
        _ => {
            tracing::warn!(target: "unimp", "fcntl command {cmd} not supported");
            Err(Errno::EINVAL)
        }
    }
}

fn sys_lseek(p: &mut Process, a: [u64; 6]) -> SysResult {
    let off = p.abi.long_arg(a[1]);
    // SAFETY: plain arguments.
    host(unsafe { libc::lseek(a[0] as i32, off, a[2] as i32) })
}

fn sys_ftruncate(p: &mut Process, a: [u64; 6]) -> SysResult {
    let len = p.abi.long_arg(a[1]);
    // SAFETY: plain arguments.
    host(unsafe { libc::ftruncate(a[0] as i32, len) })
}

fn sys_fsync(_: &mut Process, a: [u64; 6]) -> SysResult {
    // SAFETY: plain fd argument.
    host(unsafe { libc::fsync(a[0] as i32) })
}

fn sys_fdatasync(_: &mut Process, a: [u64; 6]) -> SysResult {
    // SAFETY: plain fd argument.
    host(unsafe { libc::fdatasync(a[0] as i32) })
}

fn sys_sync(_: &mut Process, _: [u64; 6]) -> SysResult {
    // SAFETY: no arguments.
    unsafe { libc::sync() };
    Ok(0)
}

fn sys_syncfs(_: &mut Process, a: [u64; 6]) -> SysResult {
    // SAFETY: plain fd argument.
    host(unsafe { libc::syncfs(a[0] as i32) })
}

fn sys_flock(p: &mut Process, a: [u64; 6]) -> SysResult {
    // SAFETY: plain arguments.
    unsafe { crate::safe_syscall::call(p, libc::SYS_flock, [a[0], a[1], 0, 0, 0, 0]) }
}

fn sys_fallocate(p: &mut Process, a: [u64; 6]) -> SysResult {
    let (off, len) = (p.abi.long_arg(a[2]), p.abi.long_arg(a[3]));
    // SAFETY: plain arguments.
    host(unsafe { libc::fallocate(a[0] as i32, a[1] as i32, off, len) })
}

fn sys_fadvise64(p: &mut Process, a: [u64; 6]) -> SysResult {
    let (off, len) = (p.abi.long_arg(a[1]), p.abi.long_arg(a[2]));
    // SAFETY: plain arguments; posix_fadvise returns the error number.
    match unsafe { libc::posix_fadvise(a[0] as i32, off, len, a[3] as i32) } {
        0 => Ok(0),
        e => Err(Errno(e)),
    }
}

/// `sync_file_range(fd, offset, nbytes, flags)`: 64-bit offsets (a register
/// pair on 32-bit ABIs, joined by the cpu loop).
fn sys_sync_file_range(_: &mut Process, a: [u64; 6]) -> SysResult {
    // SAFETY: plain arguments.
    host(unsafe { libc::sync_file_range(a[0] as i32, a[1] as i64, a[2] as i64, a[3] as u32) })
}

/// `readahead(fd, offset, count)`: a 64-bit offset, as above.
fn sys_readahead(p: &mut Process, a: [u64; 6]) -> SysResult {
    let count = p.abi.ulong_arg(a[2]) as usize;
    // SAFETY: plain arguments.
    host(unsafe { libc::readahead(a[0] as i32, a[1] as i64, count) } as i64)
}
