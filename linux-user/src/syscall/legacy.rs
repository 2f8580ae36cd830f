//! Calls the generic syscall table (asm-generic, AArch64's) dropped but
//! older ABIs still number (ARM EABI, i386, x86-64): the pre-`*at` path
//! calls, `creat`, `pipe`, `dup2`, `getpgrp`, `pause`, `fork`, `vfork`.
//! Each is defined by the generic call that replaced it, with the
//! arguments the kernel's own wrapper passes; ABIs without the number
//! never reach these.

use super::{generic, Handler, Process, SysResult};
use crate::errno::Errno;

pub(super) const HANDLERS: &[(&str, Handler)] = &[
    ("mkdir", sys_mkdir),
    ("rmdir", sys_rmdir),
    ("unlink", sys_unlink),
    ("access", sys_access),
    ("readlink", sys_readlink),
    ("rename", sys_rename),
    ("chmod", sys_chmod),
    ("symlink", sys_symlink),
    ("link", sys_link),
    ("open", sys_open),
    ("creat", sys_creat),
    ("mknod", sys_mknod),
    ("pipe", sys_pipe),
    ("dup2", sys_dup2),
    ("getpgrp", sys_getpgrp),
    ("pause", sys_pause),
    ("fork", sys_fork),
    ("vfork", sys_vfork),
];

/// `AT_FDCWD` as a register value.
pub(super) const AT_FDCWD: u64 = (-100i64) as u64;

fn sys_mkdir(p: &mut Process, a: [u64; 6]) -> SysResult {
    generic("mkdirat")?(p, [AT_FDCWD, a[0], a[1], 0, 0, 0])
}
fn sys_rmdir(p: &mut Process, a: [u64; 6]) -> SysResult {
    const AT_REMOVEDIR: u64 = 0x200;
    generic("unlinkat")?(p, [AT_FDCWD, a[0], AT_REMOVEDIR, 0, 0, 0])
}
fn sys_unlink(p: &mut Process, a: [u64; 6]) -> SysResult {
    generic("unlinkat")?(p, [AT_FDCWD, a[0], 0, 0, 0, 0])
}
fn sys_access(p: &mut Process, a: [u64; 6]) -> SysResult {
    generic("faccessat")?(p, [AT_FDCWD, a[0], a[1], 0, 0, 0])
}
fn sys_readlink(p: &mut Process, a: [u64; 6]) -> SysResult {
    generic("readlinkat")?(p, [AT_FDCWD, a[0], a[1], a[2], 0, 0])
}
fn sys_rename(p: &mut Process, a: [u64; 6]) -> SysResult {
    generic("renameat")?(p, [AT_FDCWD, a[0], AT_FDCWD, a[1], 0, 0])
}
fn sys_chmod(p: &mut Process, a: [u64; 6]) -> SysResult {
    generic("fchmodat")?(p, [AT_FDCWD, a[0], a[1], 0, 0, 0])
}
fn sys_symlink(p: &mut Process, a: [u64; 6]) -> SysResult {
    generic("symlinkat")?(p, [a[0], AT_FDCWD, a[1], 0, 0, 0])
}
fn sys_link(p: &mut Process, a: [u64; 6]) -> SysResult {
    generic("linkat")?(p, [AT_FDCWD, a[0], AT_FDCWD, a[1], 0, 0])
}
fn sys_open(p: &mut Process, a: [u64; 6]) -> SysResult {
    generic("openat")?(p, [AT_FDCWD, a[0], a[1], a[2], 0, 0])
}

/// `creat(path, mode)` is `open(path, O_CREAT | O_WRONLY | O_TRUNC, mode)`
/// (these three flags have the same values in every Linux ABI).
fn sys_creat(p: &mut Process, a: [u64; 6]) -> SysResult {
    const O_WRONLY_CREAT_TRUNC: u64 = 0o1 | 0o100 | 0o1000;
    generic("openat")?(p, [AT_FDCWD, a[0], O_WRONLY_CREAT_TRUNC, a[1], 0, 0])
}

fn sys_mknod(p: &mut Process, a: [u64; 6]) -> SysResult {
    generic("mknodat")?(p, [AT_FDCWD, a[0], a[1], a[2], 0, 0])
}

fn sys_pipe(p: &mut Process, a: [u64; 6]) -> SysResult {
    generic("pipe2")?(p, [a[0], 0, 0, 0, 0, 0])
}

/// `dup2(fd, fd)` returns `fd` when it is open (`dup3` refuses equal fds).
fn sys_dup2(p: &mut Process, a: [u64; 6]) -> SysResult {
    let (old, new) = (a[0] as i32, a[1] as i32);
    if old == new {
        // SAFETY: F_GETFD on a plain fd.
        return if unsafe { libc::fcntl(old, libc::F_GETFD) } < 0 {
            Err(Errno::EBADF)
        } else {
            Ok(new as u64)
        };
    }
    generic("dup3")?(p, [a[0], a[1], 0, 0, 0, 0])
}

fn sys_getpgrp(p: &mut Process, _: [u64; 6]) -> SysResult {
    generic("getpgid")?(p, [0; 6])
}

/// `pause()`: `rt_sigsuspend` with the current mask.
fn sys_pause(p: &mut Process, _: [u64; 6]) -> SysResult {
    let mask = p.signals.mask;
    super::signal::suspend(p, mask)
}

const SIGCHLD: u64 = 17;
const CLONE_VM: u64 = 0x100;
const CLONE_VFORK: u64 = 0x4000;

fn sys_fork(p: &mut Process, _: [u64; 6]) -> SysResult {
    super::exec::clone_common(p, 0, SIGCHLD, 0, 0, 0, 0)
}

fn sys_vfork(p: &mut Process, _: [u64; 6]) -> SysResult {
    super::exec::clone_common(p, CLONE_VM | CLONE_VFORK, SIGCHLD, 0, 0, 0, 0)
}
