//! Process lifecycle: `clone` as fork, `execve`, `wait4`, `waitid`.
//!
//! `clone` without `CLONE_VM` forks the whole emulator: the child is a copy
//! with a copy of the guest address space and continues in the same cpu
//! loop with a 0 result. `vfork` (`CLONE_VM | CLONE_VFORK`) is run as a
//! fork too (the parent does not wait for the child's exec; well-behaved
//! vfork users cannot tell). Threads (`CLONE_VM` without `CLONE_VFORK`,
//! `CLONE_THREAD`) are later work: `EINVAL` and a warning under `unimp`.
//! The cpu loop must not have other host threads holding locks when a guest
//! forks (only the calling thread survives in the child).
//!
//! `execve` of a program for this host runs it natively; of a foreign ELF
//! re-enters the emulator through [`Process::exec_prefix`]; of a `#!`
//! script resolves the interpreter the same way (through `-L`), so a script
//! whose interpreter is foreign works.

use std::ffi::{CString, OsStr, OsString};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use super::proc_::encode_rusage;
use super::{host, Handler, Process, SysResult, SyscallOutcome, ThreadRequest};
use crate::errno::Errno;

pub(super) const HANDLERS: &[(&str, Handler)] = &[
    ("clone", sys_clone),
    ("clone3", sys_clone3),
    ("execve", sys_execve),
    ("wait4", sys_wait4),
    ("waitid", sys_waitid),
];

const CSIGNAL: u64 = 0xff;
const CLONE_VM: u64 = 0x100;
const CLONE_FS: u64 = 0x200;
const CLONE_FILES: u64 = 0x400;
const CLONE_SIGHAND: u64 = 0x800;
const CLONE_VFORK: u64 = 0x4000;
const CLONE_PARENT_SETTID: u64 = 0x10_0000;
const CLONE_CHILD_CLEARTID: u64 = 0x20_0000;
const CLONE_CHILD_SETTID: u64 = 0x100_0000;
const CLONE_THREAD: u64 = 0x1_0000;
const CLONE_SETTLS: u64 = 0x8_0000;

/// Most arguments a guest `execve` may pass (argv + envp entries).
const MAX_ARGS: usize = 1 << 17;
/// How many `#!` interpreters may chain.
const MAX_SHEBANG: usize = 4;

/// The default [`Process::exec_prefix`]: this executable with `run`, and
/// `-L PREFIX` when there is one.
pub fn default_prefix(ld_prefix: Option<&Path>) -> Vec<OsString> {
    let exe = std::env::current_exe().unwrap_or_else(|_| PathBuf::from("/proc/self/exe"));
    let mut v = vec![exe.into_os_string(), OsString::from("run")];
    if let Some(p) = ld_prefix {
        v.push("-L".into());
        v.push(p.as_os_str().to_os_string());
    }
    v
}

fn sys_clone(p: &mut Process, a: [u64; 6]) -> SysResult {
    let (flags, stack, ptid, ctid, tls) = p.abi.clone_args.decode(a);
    let sig = flags & CSIGNAL;
    clone_common(p, flags & !CSIGNAL, sig, stack, ptid, ctid, tls)
}

/// `struct clone_args` (all fields 64-bit in every ABI).
const CLONE_ARGS_SIZE_VER0: u64 = 64;

fn sys_clone3(p: &mut Process, a: [u64; 6]) -> SysResult {
    let size = a[1];
    if !(CLONE_ARGS_SIZE_VER0..=4096).contains(&size) {
        return Err(Errno::EINVAL);
    }
    let b = p.read_mem(a[0], size as usize)?;
    let c64 = crate::layout::Codec {
        big_endian: p.abi.big_endian,
        word: 8,
        time64: false,
    };
    let f = |i: usize| {
        if 8 * i + 8 <= b.len() {
            c64.get(&b, 8 * i, 8)
        } else {
            0
        }
    };
    let (flags, pidfd, child_tid, parent_tid, exit_signal) = (f(0), f(1), f(2), f(3), f(4));
    let (stack, stack_size, tls, set_tid_size) = (f(5), f(6), f(7), f(9));
    // Bytes past what we know must be zero (the kernel's rule).
    if b.len() > 88 && b[88..].iter().any(|&x| x != 0) {
        return Err(Errno::E2BIG);
    }
    if exit_signal > 64 || flags & CSIGNAL != 0 || set_tid_size != 0 {
        return Err(Errno::EINVAL);
    }
    if (stack == 0) != (stack_size == 0) {
        return Err(Errno::EINVAL);
    }
    const CLONE_PIDFD: u64 = 0x1000;
    if flags & CLONE_PIDFD != 0 || pidfd != 0 {
        tracing::warn!(target: "unimp", "clone3 with CLONE_PIDFD is not supported");
        return Err(Errno::EINVAL);
    }
    let sp = if stack != 0 {
        stack.wrapping_add(stack_size)
    } else {
        0
    };
    clone_common(p, flags, exit_signal, sp, parent_tid, child_tid, tls)
}

pub(super) fn clone_common(
    p: &mut Process,
    flags: u64,
    sig: u64,
    stack: u64,
    ptid: u64,
    ctid: u64,
    tls: u64,
) -> SysResult {
    let vfork = flags & (CLONE_VM | CLONE_VFORK) == CLONE_VM | CLONE_VFORK;
    // Linux's consistency rules (copy_process).
    if flags & CLONE_THREAD != 0 && flags & CLONE_SIGHAND == 0
        || flags & CLONE_SIGHAND != 0 && flags & CLONE_VM == 0
    {
        return Err(Errno::EINVAL);
    }
    if flags & CLONE_VM != 0 && !vfork {
        if flags & CLONE_THREAD == 0 {
            tracing::warn!(target: "unimp", "clone flags {flags:#x}: CLONE_VM without CLONE_THREAD is not supported");
            return Err(Errno::EINVAL);
        }
        p.set_outcome(SyscallOutcome::NewThread(ThreadRequest {
            flags,
            stack: p.abi.ulong_arg(stack),
            parent_tid: p.abi.ulong_arg(ptid),
            child_tid: p.abi.ulong_arg(ctid),
            tls,
        }));
        return Ok(0);
    }
    if flags & (CLONE_THREAD | CLONE_SIGHAND) != 0 || (stack != 0 && !vfork) {
        tracing::warn!(target: "unimp", "clone flags {flags:#x} with a new stack and no CLONE_VM are not supported");
        return Err(Errno::EINVAL);
    }
    let _ = CLONE_SETTLS;
    let _ = (CLONE_FS, CLONE_FILES);
    let sig = sig as i32;
    // SAFETY: fork duplicates this process; the child only continues the
    // cpu loop of the calling thread (other guest threads do not exist in
    // the child, as with a real fork).
    let pid = unsafe {
        if sig == libc::SIGCHLD {
            libc::fork()
        } else {
            libc::syscall(libc::SYS_clone, sig as u64, 0u64, 0u64, 0u64, 0u64) as libc::pid_t
        }
    };
    let pid = host(pid)? as libc::pid_t;
    if pid == 0 {
        // The child has only this thread; its new tid takes over our slot.
        if let Some(slot) = p.slot {
            crate::thread::rebind(slot);
        }
        crate::thread::forget_others();
        crate::gdb::forked_child();
        p.sync_mask();
        // SAFETY: gettid cannot fail.
        let tid = unsafe { libc::gettid() } as u32;
        if flags & CLONE_CHILD_SETTID != 0 {
            let _ = p.write_u32(ctid, tid);
        }
        if flags & CLONE_CHILD_CLEARTID != 0 {
            p.clear_child_tid = p.abi.ulong_arg(ctid);
        }
        return Ok(0);
    }
    if flags & CLONE_PARENT_SETTID != 0 {
        let _ = p.write_u32(ptid, pid as u32);
    }
    Ok(pid as u64)
}

/// Read a guest `char *[]` (NULL-terminated) into byte strings.
fn read_strv(p: &Process, addr: u64) -> Result<Vec<Vec<u8>>, Errno> {
    let mut out = Vec::new();
    if p.abi.ulong_arg(addr) == 0 {
        return Ok(out);
    }
    let c = p.codec();
    let w = c.word as u64;
    for i in 0.. {
        if i >= MAX_ARGS {
            return Err(Errno::E2BIG);
        }
        let b = p.read_mem(addr + i as u64 * w, c.word)?;
        let ptr = c.get_word(&b, 0);
        if ptr == 0 {
            break;
        }
        out.push(p.space.read_cstr(ptr, 1 << 17)?);
    }
    Ok(out)
}

fn cstrings(v: &[Vec<u8>]) -> Result<Vec<CString>, Errno> {
    v.iter()
        .map(|s| CString::new(s.clone()).map_err(|_| Errno::EINVAL))
        .collect()
}

/// What the host should execute for a guest `execve`.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct HostExec {
    pub path: PathBuf,
    pub argv: Vec<Vec<u8>>,
}

/// Whether `path` is an ELF this host runs natively.
fn is_host_elf(head: &[u8]) -> bool {
    const EM_X86_64: u16 = 62;
    head.len() >= 20
        && &head[..4] == b"\x7fELF"
        && head[4] == 2
        && head[5] == 1
        && u16::from_le_bytes([head[18], head[19]]) == EM_X86_64
}

/// Work out the host command for executing guest program `path` (already
/// mapped to the host) with guest `argv`.
pub(crate) fn plan_exec(
    p: &Process,
    path: &Path,
    argv: Vec<Vec<u8>>,
    depth: usize,
) -> Result<HostExec, Errno> {
    let mut head = [0u8; 256];
    let n = {
        let f = std::fs::File::open(path).map_err(|e| Errno::from_io(&e))?;
        use std::os::unix::fs::FileExt;
        f.read_at(&mut head, 0).map_err(|e| Errno::from_io(&e))?
    };
    let head = &head[..n];
    if head.starts_with(b"#!") {
        if depth >= MAX_SHEBANG {
            return Err(Errno::ELOOP);
        }
        let line_end = head.iter().position(|&b| b == b'\n').unwrap_or(head.len());
        let line = &head[2..line_end];
        let line = line.trim_ascii();
        let (interp, arg) = match line.iter().position(|b| b.is_ascii_whitespace()) {
            Some(i) => (&line[..i], Some(line[i..].trim_ascii())),
            None => (line, None),
        };
        if interp.is_empty() {
            return Err(Errno::ENOEXEC);
        }
        let mut new_argv = vec![interp.to_vec()];
        if let Some(a) = arg.filter(|a| !a.is_empty()) {
            new_argv.push(a.to_vec());
        }
        new_argv.push(path.as_os_str().as_bytes().to_vec());
        new_argv.extend(argv.into_iter().skip(1));
        let host_interp = p.paths.map(interp)?;
        return plan_exec(p, &host_interp, new_argv, depth + 1);
    }
    if head.starts_with(b"\x7fELF") && !is_host_elf(head) {
        let mut v: Vec<Vec<u8>> = p
            .exec_prefix
            .iter()
            .map(|s| s.as_bytes().to_vec())
            .collect();
        let argv0 = argv.first().cloned().unwrap_or_default();
        v.push(b"-0".to_vec());
        v.push(argv0);
        v.push(path.as_os_str().as_bytes().to_vec());
        v.extend(argv.into_iter().skip(1));
        let emu = PathBuf::from(OsStr::from_bytes(&v[0]));
        return Ok(HostExec { path: emu, argv: v });
    }
    Ok(HostExec {
        path: path.to_path_buf(),
        argv,
    })
}

fn sys_execve(p: &mut Process, a: [u64; 6]) -> SysResult {
    let raw = p.cstr_arg(a[0])?;
    let path = if p.is_self_exe(&raw) {
        p.exe_path.clone()
    } else {
        p.paths.map(&raw)?
    };
    let argv = read_strv(p, a[1])?;
    let envp = read_strv(p, a[2])?;
    // Permission and existence errors as the kernel reports them.
    let cpath = CString::new(path.as_os_str().as_bytes()).map_err(|_| Errno::EINVAL)?;
    // SAFETY: valid path string.
    host(unsafe { libc::access(cpath.as_ptr(), libc::X_OK) })?;
    let plan = plan_exec(p, &path, argv, 0)?;
    let prog = CString::new(plan.path.as_os_str().as_bytes()).map_err(|_| Errno::EINVAL)?;
    let argv_c = cstrings(&plan.argv)?;
    let envp_c = cstrings(&envp)?;
    let mut argv_p: Vec<*const libc::c_char> = argv_c.iter().map(|s| s.as_ptr()).collect();
    argv_p.push(std::ptr::null());
    let mut envp_p: Vec<*const libc::c_char> = envp_c.iter().map(|s| s.as_ptr()).collect();
    envp_p.push(std::ptr::null());
    // SAFETY: NULL-terminated arrays of valid strings that outlive the call;
    // on success this process image is replaced.
    host(unsafe { libc::execve(prog.as_ptr(), argv_p.as_ptr(), envp_p.as_ptr()) })
}

fn sys_wait4(p: &mut Process, a: [u64; 6]) -> SysResult {
    let mut status = 0i32;
    // SAFETY: zeroed rusage is valid.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: writable status and rusage.
    let pid = unsafe {
        crate::safe_syscall::call(
            p,
            libc::SYS_wait4,
            [
                a[0],
                &mut status as *mut i32 as u64,
                a[2],
                &mut ru as *mut libc::rusage as u64,
                0,
                0,
            ],
        )
    }?;
    // The status word encodes signal numbers, identical for generic ABIs.
    if p.abi.ulong_arg(a[1]) != 0 && pid != 0 {
        p.write_u32(a[1], status as u32)?;
    }
    if p.abi.ulong_arg(a[3]) != 0 {
        p.write_mem(a[3], &encode_rusage(&p.codec(), &ru))?;
    }
    Ok(pid)
}

fn sys_waitid(p: &mut Process, a: [u64; 6]) -> SysResult {
    // SAFETY: zeroed siginfo is valid.
    let mut si: libc::siginfo_t = unsafe { std::mem::zeroed() };
    // SAFETY: zeroed rusage is valid.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: writable siginfo and rusage; the raw syscall takes rusage.
    unsafe {
        crate::safe_syscall::call(
            p,
            libc::SYS_waitid,
            [
                a[0],
                a[1],
                &mut si as *mut libc::siginfo_t as u64,
                a[3],
                &mut ru as *mut libc::rusage as u64,
                0,
            ],
        )
    }?;
    if p.abi.ulong_arg(a[2]) != 0 {
        let c = p.codec();
        let mut b = vec![0u8; 128];
        // SAFETY: for SIGCHLD siginfo the pid/uid/status union members are
        // the valid ones (or all zero when nothing was waited for).
        let (pid, uid, status) = unsafe { (si.si_pid(), si.si_uid(), si.si_status()) };
        c.put(&mut b, 0, 4, si.si_signo as u32 as u64);
        c.put(&mut b, 4, 4, si.si_errno as u32 as u64);
        c.put(&mut b, 8, 4, si.si_code as u32 as u64);
        // The union starts after three ints, aligned to the word size.
        let u = if c.word == 8 { 16 } else { 12 };
        c.put(&mut b, u, 4, pid as u32 as u64);
        c.put(&mut b, u + 4, 4, uid as u64);
        c.put(&mut b, u + 8, 4, status as u32 as u64);
        p.write_mem(a[2], &b)?;
    }
    if p.abi.ulong_arg(a[4]) != 0 {
        p.write_mem(a[4], &encode_rusage(&p.codec(), &ru))?;
    }
    Ok(0)
}
