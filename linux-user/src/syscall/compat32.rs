//! Syscalls only 32-bit ABIs have (ARM EABI, i386, ...): the `*64` file
//! calls with 64-bit offsets or stat structs, `mmap2`, `_llseek`, the
//! `*32` uid/gid calls, `ugetrlimit`. Each is defined by the generic
//! syscall it is a variant of: an alias when the arguments are the same
//! (the ABI's struct layouts already describe the 32-bit structs), or a
//! small wrapper that rearranges arguments.

use super::legacy::AT_FDCWD;
use super::{generic, Process, SysResult};
use crate::errno::Errno;

/// 32-bit names that are the same call as a generic one.
pub(super) const ALIASES: &[(&str, &str)] = &[
    ("fstat64", "fstat"),
    ("fstatat64", "newfstatat"),
    ("getuid32", "getuid"),
    ("getgid32", "getgid"),
    ("geteuid32", "geteuid"),
    ("getegid32", "getegid"),
    ("setuid32", "setuid"),
    ("setgid32", "setgid"),
    ("setreuid32", "setreuid"),
    ("setregid32", "setregid"),
    ("setresuid32", "setresuid"),
    ("setresgid32", "setresgid"),
    ("getresuid32", "getresuid"),
    ("getresgid32", "getresgid"),
    ("getgroups32", "getgroups"),
    ("fchown32", "fchown"),
    ("ugetrlimit", "getrlimit"),
    ("ftruncate64", "ftruncate"),
    ("truncate64", "truncate"),
    // Register pairs already joined by the cpu loop (ARM's `pair_args`).
    ("arm_sync_file_range", "sync_file_range"),
];

pub(super) const HANDLERS: &[(&str, super::Handler)] = &[
    ("clock_gettime64", sys_clock_gettime64),
    ("clock_getres_time64", sys_clock_getres_time64),
    ("clock_nanosleep_time64", sys_clock_nanosleep_time64),
    ("timer_gettime64", sys_timer_gettime64),
    ("timer_settime64", sys_timer_settime64),
    ("timerfd_gettime64", sys_timerfd_gettime64),
    ("timerfd_settime64", sys_timerfd_settime64),
    ("utimensat_time64", sys_utimensat_time64),
    ("pselect6_time64", sys_pselect6_time64),
    ("ppoll_time64", sys_ppoll_time64),
    ("recvmmsg_time64", sys_recvmmsg_time64),
    ("rt_sigtimedwait_time64", sys_rt_sigtimedwait_time64),
    ("futex_time64", sys_futex_time64),
    ("mmap2", sys_mmap2),
    ("_llseek", sys_llseek),
    ("stat64", sys_stat64),
    ("lstat64", sys_lstat64),
    ("fcntl64", sys_fcntl64),
    ("statfs64", sys_statfs64),
    ("fstatfs64", sys_fstatfs64),
    ("sendfile64", sys_sendfile64),
    ("arm_fadvise64_64", sys_fadvise64_64),
    ("fadvise64_64", sys_fadvise64_64),
    ("chown32", sys_chown32),
    ("lchown32", sys_lchown32),
];

/// The 32-bit ABIs' `*_time64` calls: the generic call with 64-bit
/// `timespec` fields (every other struct keeps the ABI's layout).
macro_rules! time64 {
    ($($f:ident => $generic:literal),* $(,)?) => {$(
        fn $f(p: &mut Process, a: [u64; 6]) -> SysResult {
            let h = generic($generic)?;
            p.time64 = true;
            let r = h(p, a);
            p.time64 = false;
            r
        }
    )*};
}
time64! {
    sys_clock_gettime64 => "clock_gettime",
    sys_clock_getres_time64 => "clock_getres",
    sys_clock_nanosleep_time64 => "clock_nanosleep",
    sys_timer_gettime64 => "timer_gettime",
    sys_timer_settime64 => "timer_settime",
    sys_timerfd_gettime64 => "timerfd_gettime",
    sys_timerfd_settime64 => "timerfd_settime",
    sys_utimensat_time64 => "utimensat",
    sys_pselect6_time64 => "pselect6",
    sys_ppoll_time64 => "ppoll",
    sys_recvmmsg_time64 => "recvmmsg",
    sys_rt_sigtimedwait_time64 => "rt_sigtimedwait",
    sys_futex_time64 => "futex",
}

/// The guest's mmap2 unit: 4096 bytes whatever the page size.
const MMAP2_UNIT: u64 = 4096;

fn sys_mmap2(p: &mut Process, a: [u64; 6]) -> SysResult {
    let off = (a[5] & 0xffff_ffff) * MMAP2_UNIT;
    generic("mmap")?(p, [a[0], a[1], a[2], a[3], a[4], off])
}

fn sys_llseek(p: &mut Process, a: [u64; 6]) -> SysResult {
    let off = (a[1] & 0xffff_ffff) << 32 | (a[2] & 0xffff_ffff);
    let r = generic("lseek")?(p, [a[0], off, a[4], 0, 0, 0])?;
    let c = p.codec();
    let mut b = [0u8; 8];
    c.put(&mut b, 0, 8, r);
    p.space
        .write(p.abi.ulong_arg(a[3]), &b)
        .map_err(|_| Errno::EFAULT)?;
    Ok(0)
}

const AT_SYMLINK_NOFOLLOW: u64 = 0x100;

fn sys_stat64(p: &mut Process, a: [u64; 6]) -> SysResult {
    generic("newfstatat")?(p, [AT_FDCWD, a[0], a[1], 0, 0, 0])
}

fn sys_lstat64(p: &mut Process, a: [u64; 6]) -> SysResult {
    generic("newfstatat")?(p, [AT_FDCWD, a[0], a[1], AT_SYMLINK_NOFOLLOW, 0, 0])
}

fn sys_chown32(p: &mut Process, a: [u64; 6]) -> SysResult {
    generic("fchownat")?(p, [AT_FDCWD, a[0], a[1], a[2], 0, 0])
}

fn sys_lchown32(p: &mut Process, a: [u64; 6]) -> SysResult {
    generic("fchownat")?(p, [AT_FDCWD, a[0], a[1], a[2], AT_SYMLINK_NOFOLLOW, 0])
}

/// `fcntl64`: the `F_*LK64` commands (12..14) are the generic `F_*LK`
/// ones on `struct flock64`, which is the ABI's flock layout.
fn sys_fcntl64(p: &mut Process, a: [u64; 6]) -> SysResult {
    let cmd = match a[1] as u32 {
        12 => 5,
        13 => 6,
        14 => 7,
        c => u64::from(c),
    };
    generic("fcntl")?(p, [a[0], cmd, a[2], 0, 0, 0])
}

/// `statfs64(path, size, buf)`: `size` must be the struct's.
fn sys_statfs64(p: &mut Process, a: [u64; 6]) -> SysResult {
    if a[1] as usize != p.abi.struct_layout.statfs.size {
        return Err(Errno::EINVAL);
    }
    generic("statfs")?(p, [a[0], a[2], 0, 0, 0, 0])
}

fn sys_fstatfs64(p: &mut Process, a: [u64; 6]) -> SysResult {
    if a[1] as usize != p.abi.struct_layout.statfs.size {
        return Err(Errno::EINVAL);
    }
    generic("fstatfs")?(p, [a[0], a[2], 0, 0, 0, 0])
}

/// `sendfile64`: `sendfile` with a 64-bit `loff_t *`.
fn sys_sendfile64(p: &mut Process, a: [u64; 6]) -> SysResult {
    super::io::sendfile_with(p, a, 8)
}

/// `fadvise64_64(fd, offset, len, advice)` with 64-bit offset and length
/// (register pairs joined by the cpu loop; ARM's comes in that order too).
fn sys_fadvise64_64(_: &mut Process, a: [u64; 6]) -> SysResult {
    // SAFETY: plain arguments; posix_fadvise returns the error number.
    match unsafe { libc::posix_fadvise(a[0] as i32, a[1] as i64, a[2] as i64, a[3] as i32) } {
        0 => Ok(0),
        e => Err(Errno(e)),
    }
}
