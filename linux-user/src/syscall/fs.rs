//! Path-based file system syscalls and file metadata: `openat`, the `stat`
//! family, directories, links, permissions, times, `statfs`.

use std::ffi::CString;

use super::{host, Handler, Process, SysResult};
use crate::abi::GuestAbi;
use crate::errno::Errno;
use crate::layout::misc::{convert_dirent64, TimePair};
use crate::layout::stat::{encode_stat, encode_statx, HostStat};
use crate::layout::statfs::{encode_statfs, KernelStatfs};

pub(super) const HANDLERS: &[(&str, Handler)] = &[
    ("openat", sys_openat),
    ("newfstatat", sys_newfstatat),
    ("fstat", sys_fstat),
    ("statx", sys_statx),
    ("getdents64", sys_getdents64),
    ("readlinkat", sys_readlinkat),
    ("faccessat", sys_faccessat),
    ("faccessat2", sys_faccessat2),
    ("unlinkat", sys_unlinkat),
    ("mkdirat", sys_mkdirat),
    ("mknodat", sys_mknodat),
    ("renameat", sys_renameat),
    ("renameat2", sys_renameat2),
    ("symlinkat", sys_symlinkat),
    ("linkat", sys_linkat),
    ("truncate", sys_truncate),
    ("getcwd", sys_getcwd),
    ("chdir", sys_chdir),
    ("fchdir", sys_fchdir),
    ("chroot", sys_chroot),
    ("umask", sys_umask),
    ("utimensat", sys_utimensat),
    ("fchmod", sys_fchmod),
    ("fchmodat", sys_fchmodat),
    ("fchown", sys_fchown),
    ("fchownat", sys_fchownat),
    ("statfs", sys_statfs),
    ("fstatfs", sys_fstatfs),
    ("getxattr", sys_getxattr),
    ("lgetxattr", sys_lgetxattr),
    ("fgetxattr", sys_fgetxattr),
    ("listxattr", sys_listxattr),
    ("llistxattr", sys_llistxattr),
    ("flistxattr", sys_flistxattr),
];

fn dirfd(v: u64) -> i32 {
    GuestAbi::int_arg(v)
}

/// A path argument that may be empty (for `AT_EMPTY_PATH`); `follow` as
/// in `Process::path_arg_at`.
fn path_or_empty(p: &Process, addr: u64, follow: bool) -> Result<CString, Errno> {
    let raw = p.cstr_arg(addr)?;
    if raw.is_empty() {
        return Ok(CString::default());
    }
    p.path_arg_at(addr, follow)
}

/// Whether `*at` flags ask to follow a final symlink (no
/// `AT_SYMLINK_NOFOLLOW`, 0x100 on every Linux ABI).
fn at_follow(flags: u64) -> bool {
    flags as u32 & libc::AT_SYMLINK_NOFOLLOW as u32 == 0
}

fn sys_openat(p: &mut Process, a: [u64; 6]) -> SysResult {
    let flags = p.abi.open_flags.to_host(a[2] & 0xffff_ffff) as i32;
    let raw = p.cstr_arg(a[1])?;
    if raw.starts_with(b"/proc/") {
        if let Some(r) = crate::procfs::open(p, &raw) {
            let fd = r?;
            if flags & libc::O_CLOEXEC != 0 {
                // SAFETY: our fresh fd.
                unsafe { libc::fcntl(fd as i32, libc::F_SETFD, libc::FD_CLOEXEC) };
            }
            return Ok(fd);
        }
    }
    // O_NOFOLLOW and O_CREAT|O_EXCL act on a final symlink itself.
    let excl = libc::O_CREAT | libc::O_EXCL;
    let follow = flags & libc::O_NOFOLLOW == 0 && flags & excl != excl;
    let path = p.path_arg_at(a[1], follow)?;
    let mode = a[3] as libc::mode_t;
    // SAFETY: `path` is a valid NUL-terminated string.
    host(unsafe { libc::openat(dirfd(a[0]), path.as_ptr(), flags, mode) })
}

fn write_stat(p: &Process, addr: u64, st: &libc::stat) -> SysResult {
    let b = encode_stat(p.abi.struct_layout.stat, &p.codec(), &HostStat::from(st));
    p.write_mem(addr, &b)?;
    Ok(0)
}

fn sys_newfstatat(p: &mut Process, a: [u64; 6]) -> SysResult {
    let path = path_or_empty(p, a[1], at_follow(a[3]))?;
    // SAFETY: zeroed `struct stat` is valid; fstatat fills it.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    // SAFETY: valid path string and a writable `struct stat`.
    host(unsafe { libc::fstatat(dirfd(a[0]), path.as_ptr(), &mut st, a[3] as i32) })?;
    write_stat(p, a[2], &st)
}

fn sys_fstat(p: &mut Process, a: [u64; 6]) -> SysResult {
    // SAFETY: zeroed `struct stat` is valid.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    // SAFETY: writable `struct stat`.
    host(unsafe { libc::fstat(a[0] as i32, &mut st) })?;
    write_stat(p, a[1], &st)
}

fn sys_statx(p: &mut Process, a: [u64; 6]) -> SysResult {
    let path = path_or_empty(p, a[1], at_follow(a[2]))?;
    // SAFETY: zeroed `struct statx` is valid.
    let mut st: libc::statx = unsafe { std::mem::zeroed() };
    // SAFETY: valid path string and a writable `struct statx`.
    host(unsafe {
        libc::statx(
            dirfd(a[0]),
            path.as_ptr(),
            a[2] as i32,
            a[3] as u32,
            &mut st,
        )
    })?;
    p.write_mem(a[4], &encode_statx(&p.codec(), &st))?;
    Ok(0)
}

fn sys_getdents64(p: &mut Process, a: [u64; 6]) -> SysResult {
    let count = (a[2] as u32 as usize).min(1 << 20);
    let mut buf = vec![0u8; count];
    // SAFETY: `buf` is `count` writable bytes.
    let n =
        host(unsafe { libc::syscall(libc::SYS_getdents64, a[0] as i32, buf.as_mut_ptr(), count) })?
            as usize;
    let out = convert_dirent64(&p.codec(), &buf[..n]);
    p.write_mem(a[1], &out)?;
    Ok(n as u64)
}

fn sys_readlinkat(p: &mut Process, a: [u64; 6]) -> SysResult {
    let size = a[3] as i32;
    if size <= 0 {
        return Err(Errno::EINVAL);
    }
    let raw = p.cstr_arg(a[1])?;
    let target = if p.is_self_exe(&raw) {
        use std::os::unix::ffi::OsStrExt;
        p.exe_path.as_os_str().as_bytes().to_vec()
    } else {
        let path = p.path_arg_at(a[1], false)?;
        let mut buf = vec![0u8; size as usize];
        // SAFETY: valid path; `buf` has `size` writable bytes.
        let n = host(unsafe {
            libc::readlinkat(
                dirfd(a[0]),
                path.as_ptr(),
                buf.as_mut_ptr().cast(),
                buf.len(),
            )
        } as i64)?;
        buf.truncate(n as usize);
        buf
    };
    let n = target.len().min(size as usize);
    p.write_mem(a[2], &target[..n])?;
    Ok(n as u64)
}

fn sys_faccessat(p: &mut Process, a: [u64; 6]) -> SysResult {
    let path = p.path_arg(a[1])?;
    // SAFETY: valid path string.
    host(unsafe { libc::syscall(libc::SYS_faccessat, dirfd(a[0]), path.as_ptr(), a[2] as i32) })
}

fn sys_faccessat2(p: &mut Process, a: [u64; 6]) -> SysResult {
    let path = path_or_empty(p, a[1], at_follow(a[3]))?;
    // SAFETY: valid path string.
    host(unsafe {
        libc::syscall(
            libc::SYS_faccessat2,
            dirfd(a[0]),
            path.as_ptr(),
            a[2] as i32,
            a[3] as i32,
        )
    })
}

fn sys_unlinkat(p: &mut Process, a: [u64; 6]) -> SysResult {
    let path = p.path_arg_at(a[1], false)?;
    // SAFETY: valid path string.
    host(unsafe { libc::unlinkat(dirfd(a[0]), path.as_ptr(), a[2] as i32) })
}

fn sys_mkdirat(p: &mut Process, a: [u64; 6]) -> SysResult {
    let path = p.path_arg_at(a[1], false)?;
    // SAFETY: valid path string.
    host(unsafe { libc::mkdirat(dirfd(a[0]), path.as_ptr(), a[2] as libc::mode_t) })
}

fn sys_mknodat(p: &mut Process, a: [u64; 6]) -> SysResult {
    let path = p.path_arg_at(a[1], false)?;
    // SAFETY: valid path string.
    host(unsafe {
        libc::mknodat(
            dirfd(a[0]),
            path.as_ptr(),
            a[2] as libc::mode_t,
            a[3] as u32 as u64,
        )
    })
}

fn sys_renameat(p: &mut Process, a: [u64; 6]) -> SysResult {
    sys_renameat2(p, [a[0], a[1], a[2], a[3], 0, 0])
}

fn sys_renameat2(p: &mut Process, a: [u64; 6]) -> SysResult {
    let old = p.path_arg_at(a[1], false)?;
    let new = p.path_arg_at(a[3], false)?;
    // SAFETY: valid path strings.
    host(unsafe {
        libc::syscall(
            libc::SYS_renameat2,
            dirfd(a[0]),
            old.as_ptr(),
            dirfd(a[2]),
            new.as_ptr(),
            a[4] as u32,
        )
    })
}

fn sys_symlinkat(p: &mut Process, a: [u64; 6]) -> SysResult {
    // The link's content is stored as the guest wrote it, unmapped.
    let target = CString::new(p.cstr_arg(a[0])?).map_err(|_| Errno::EINVAL)?;
    let link = p.path_arg_at(a[2], false)?;
    // SAFETY: valid path strings.
    host(unsafe { libc::symlinkat(target.as_ptr(), dirfd(a[1]), link.as_ptr()) })
}

fn sys_linkat(p: &mut Process, a: [u64; 6]) -> SysResult {
    // The old name is followed only with AT_SYMLINK_FOLLOW (0x400).
    let old = path_or_empty(p, a[1], a[4] as u32 & libc::AT_SYMLINK_FOLLOW as u32 != 0)?;
    let new = p.path_arg_at(a[3], false)?;
    // SAFETY: valid path strings.
    host(unsafe {
        libc::linkat(
            dirfd(a[0]),
            old.as_ptr(),
            dirfd(a[2]),
            new.as_ptr(),
            a[4] as i32,
        )
    })
}

fn sys_truncate(p: &mut Process, a: [u64; 6]) -> SysResult {
    let path = p.path_arg(a[0])?;
    let len = p.abi.long_arg(a[1]);
    // SAFETY: valid path string.
    host(unsafe { libc::truncate(path.as_ptr(), len) })
}

fn sys_getcwd(p: &mut Process, a: [u64; 6]) -> SysResult {
    let size = p.abi.ulong_arg(a[1]) as usize;
    let mut buf = vec![0u8; size.min(super::PATH_MAX * 2)];
    // SAFETY: `buf` has `buf.len()` writable bytes; the raw syscall returns
    // the length including the NUL.
    let n = host(unsafe { libc::syscall(libc::SYS_getcwd, buf.as_mut_ptr(), buf.len()) })?;
    p.write_mem(a[0], &buf[..n as usize])?;
    Ok(n)
}

/// The working directory is a host directory (relative paths are never
/// rewritten, and `getcwd` reports it as is), so `chdir` takes the host's
/// directory when there is one, as QEMU does, and the `-L` prefix's only
/// for a directory the host lacks: `chdir("/")` then `getcwd` gives `/`,
/// not the prefix.
fn sys_chdir(p: &mut Process, a: [u64; 6]) -> SysResult {
    let raw = p.cstr_arg(a[0])?;
    let plain = CString::new(raw).map_err(|_| Errno::EINVAL)?;
    // SAFETY: valid path string.
    if unsafe { libc::chdir(plain.as_ptr()) } == 0 {
        return Ok(0);
    }
    let path = p.path_arg(a[0])?;
    // SAFETY: valid path string.
    host(unsafe { libc::chdir(path.as_ptr()) })
}

fn sys_fchdir(_: &mut Process, a: [u64; 6]) -> SysResult {
    // SAFETY: plain fd argument.
    host(unsafe { libc::fchdir(a[0] as i32) })
}

fn sys_chroot(p: &mut Process, a: [u64; 6]) -> SysResult {
    let path = p.path_arg(a[0])?;
    // SAFETY: valid path string.
    host(unsafe { libc::chroot(path.as_ptr()) })
}

fn sys_umask(_: &mut Process, a: [u64; 6]) -> SysResult {
    // SAFETY: umask cannot fail.
    Ok(unsafe { libc::umask(a[0] as libc::mode_t & 0o777) }.into())
}

fn sys_utimensat(p: &mut Process, a: [u64; 6]) -> SysResult {
    let c = p.codec();
    let path = if p.abi.ulong_arg(a[1]) == 0 {
        None
    } else {
        Some(path_or_empty(p, a[1], at_follow(a[3]))?)
    };
    let times = if p.abi.ulong_arg(a[2]) == 0 {
        None
    } else {
        let n = TimePair::size(&c);
        let b = p.read_mem(a[2], 2 * n)?;
        Some([
            TimePair::decode(&c, &b[..n]).to_timespec(),
            TimePair::decode(&c, &b[n..]).to_timespec(),
        ])
    };
    let pp = path.as_ref().map_or(std::ptr::null(), |s| s.as_ptr());
    let tp = times.as_ref().map_or(std::ptr::null(), |t| t.as_ptr());
    // SAFETY: `pp` is NULL or a valid string; `tp` NULL or two timespecs.
    // The raw syscall accepts a NULL path (futimens semantics).
    host(unsafe { libc::syscall(libc::SYS_utimensat, dirfd(a[0]), pp, tp, a[3] as i32) })
}

fn sys_fchmod(_: &mut Process, a: [u64; 6]) -> SysResult {
    // SAFETY: plain arguments.
    host(unsafe { libc::fchmod(a[0] as i32, a[1] as libc::mode_t) })
}

fn sys_fchmodat(p: &mut Process, a: [u64; 6]) -> SysResult {
    let path = p.path_arg(a[1])?;
    // SAFETY: valid path string (raw syscall: no flags argument).
    host(unsafe {
        libc::syscall(
            libc::SYS_fchmodat,
            dirfd(a[0]),
            path.as_ptr(),
            a[2] as libc::mode_t,
        )
    })
}

fn sys_fchown(_: &mut Process, a: [u64; 6]) -> SysResult {
    // SAFETY: plain arguments.
    host(unsafe { libc::fchown(a[0] as i32, a[1] as u32, a[2] as u32) })
}

fn sys_fchownat(p: &mut Process, a: [u64; 6]) -> SysResult {
    let path = path_or_empty(p, a[1], at_follow(a[4]))?;
    // SAFETY: valid path string.
    host(unsafe {
        libc::fchownat(
            dirfd(a[0]),
            path.as_ptr(),
            a[2] as u32,
            a[3] as u32,
            a[4] as i32,
        )
    })
}

fn write_statfs(p: &Process, addr: u64, s: &KernelStatfs) -> SysResult {
    let b = encode_statfs(p.abi.struct_layout.statfs, &p.codec(), s);
    p.write_mem(addr, &b)?;
    Ok(0)
}

fn sys_statfs(p: &mut Process, a: [u64; 6]) -> SysResult {
    let path = p.path_arg(a[0])?;
    let mut s = KernelStatfs::default();
    // SAFETY: valid path and a writable kernel `struct statfs`.
    host(unsafe { libc::syscall(libc::SYS_statfs, path.as_ptr(), &mut s) })?;
    write_statfs(p, a[1], &s)
}

fn sys_fstatfs(p: &mut Process, a: [u64; 6]) -> SysResult {
    let mut s = KernelStatfs::default();
    // SAFETY: a writable kernel `struct statfs`.
    host(unsafe { libc::syscall(libc::SYS_fstatfs, a[0] as i32, &mut s) })?;
    write_statfs(p, a[1], &s)
}

/// Largest extended attribute value or list (the kernel's `XATTR_SIZE_MAX`).
const XATTR_SIZE_MAX: usize = 65536;

/// Run a get/list xattr call into a host buffer of the guest's size and copy
/// the result out (`size == 0` asks only for the length).
fn xattr_out(
    p: &Process,
    buf: u64,
    size: u64,
    call: impl FnOnce(*mut u8, usize) -> i64,
) -> SysResult {
    let size = (size as usize).min(XATTR_SIZE_MAX);
    let mut v = vec![0u8; size];
    let n = host(call(v.as_mut_ptr(), size))?;
    if size > 0 {
        p.write_mem(buf, &v[..n as usize])?;
    }
    Ok(n)
}

fn xattr_name(p: &Process, addr: u64) -> Result<CString, Errno> {
    let n = p.space.read_cstr(p.abi.ulong_arg(addr), 256)?;
    if n.len() >= 256 {
        return Err(Errno::ERANGE);
    }
    CString::new(n).map_err(|_| Errno::EINVAL)
}

fn sys_getxattr(p: &mut Process, a: [u64; 6]) -> SysResult {
    let (path, name) = (p.path_arg(a[0])?, xattr_name(p, a[1])?);
    // SAFETY: valid strings; the buffer has `n` writable bytes.
    xattr_out(p, a[2], a[3], |b, n| unsafe {
        libc::getxattr(path.as_ptr(), name.as_ptr(), b.cast(), n) as i64
    })
}

fn sys_lgetxattr(p: &mut Process, a: [u64; 6]) -> SysResult {
    let (path, name) = (p.path_arg_at(a[0], false)?, xattr_name(p, a[1])?);
    // SAFETY: valid strings; the buffer has `n` writable bytes.
    xattr_out(p, a[2], a[3], |b, n| unsafe {
        libc::lgetxattr(path.as_ptr(), name.as_ptr(), b.cast(), n) as i64
    })
}

fn sys_fgetxattr(p: &mut Process, a: [u64; 6]) -> SysResult {
    let name = xattr_name(p, a[1])?;
    // SAFETY: valid name; the buffer has `n` writable bytes.
    xattr_out(p, a[2], a[3], |b, n| unsafe {
        libc::fgetxattr(a[0] as i32, name.as_ptr(), b.cast(), n) as i64
    })
}

fn sys_listxattr(p: &mut Process, a: [u64; 6]) -> SysResult {
    let path = p.path_arg(a[0])?;
    // SAFETY: valid path; the buffer has `n` writable bytes.
    xattr_out(p, a[1], a[2], |b, n| unsafe {
        libc::listxattr(path.as_ptr(), b.cast(), n) as i64
    })
}

fn sys_llistxattr(p: &mut Process, a: [u64; 6]) -> SysResult {
    let path = p.path_arg_at(a[0], false)?;
    // SAFETY: valid path; the buffer has `n` writable bytes.
    xattr_out(p, a[1], a[2], |b, n| unsafe {
        libc::llistxattr(path.as_ptr(), b.cast(), n) as i64
    })
}

fn sys_flistxattr(p: &mut Process, a: [u64; 6]) -> SysResult {
    // SAFETY: the buffer has `n` writable bytes.
    xattr_out(p, a[1], a[2], |b, n| unsafe {
        libc::flistxattr(a[0] as i32, b.cast(), n) as i64
    })
}
