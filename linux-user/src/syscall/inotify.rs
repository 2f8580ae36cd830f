//! `inotify_init1`, `inotify_add_watch`, `inotify_rm_watch` (and the older
//! `inotify_init`).
//!
//! The instance is the host's; watched paths go through the guest's path
//! mapping. Its `struct inotify_event` records are converted on `read`
//! ([`super::fdtrans`]). `IN_*` event bits are the same in every ABI;
//! `IN_NONBLOCK`/`IN_CLOEXEC` are the guest's `O_*` values.

use super::fdtrans::{self, FdKind};
use super::{host, Handler, Process, SysResult};

pub(super) const HANDLERS: &[(&str, Handler)] = &[
    ("inotify_init1", sys_inotify_init1),
    ("inotify_init", sys_inotify_init),
    ("inotify_add_watch", sys_inotify_add_watch),
    ("inotify_rm_watch", sys_inotify_rm_watch),
];

fn sys_inotify_init1(p: &mut Process, a: [u64; 6]) -> SysResult {
    let flags = p.abi.open_flags.to_host(a[0] & 0xffff_ffff) as i32;
    // SAFETY: plain flags.
    let fd = host(unsafe { libc::inotify_init1(flags) })?;
    fdtrans::register(fd as i32, FdKind::Inotify);
    Ok(fd)
}

fn sys_inotify_init(p: &mut Process, _: [u64; 6]) -> SysResult {
    sys_inotify_init1(p, [0; 6])
}

fn sys_inotify_add_watch(p: &mut Process, a: [u64; 6]) -> SysResult {
    // IN_DONT_FOLLOW: watch a final symlink itself.
    let follow = a[2] as u32 & libc::IN_DONT_FOLLOW == 0;
    let path = p.path_arg_at(a[1], follow)?;
    // SAFETY: a NUL-terminated path; plain mask.
    host(unsafe { libc::inotify_add_watch(a[0] as i32, path.as_ptr(), a[2] as u32) })
}

fn sys_inotify_rm_watch(_: &mut Process, a: [u64; 6]) -> SysResult {
    // SAFETY: plain arguments.
    host(unsafe { libc::inotify_rm_watch(a[0] as i32, a[1] as i32) })
}
