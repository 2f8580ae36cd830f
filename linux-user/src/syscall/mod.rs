//! Syscall translation: guest number -> name (from syscall-tables) ->
//! handler.
//!
//! [`Process`] holds what the emulated kernel knows about the guest process
//! (its address space, ABI, path mapping, recorded signal state). Handlers
//! are registered by syscall *name* in the per-area modules (`fs`, `fd`,
//! `io`, `mem`, `time`, `proc_`, `signal`, `futex`, `ioctl`); [`Process::new`]
//! resolves them once into a table indexed by the guest's numbers. Each
//! handler reads its arguments as the guest ABI defines them, converts every
//! struct explicitly through [`crate::layout`], and returns host errno
//! values that [`Process::syscall`] turns into the guest's numbering.
//!
//! Unknown or unimplemented syscalls return `-ENOSYS` with one warning under
//! the `unimp` tracing target. Nothing a guest passes can panic the
//! emulator: bad pointers are `-EFAULT`.
//!
//! Signals: `rt_sigaction`, `rt_sigprocmask` and `sigaltstack` record the
//! guest's state and succeed, but nothing is delivered yet (later work:
//! delivery on the guest stack needs the cpu loop).

pub mod exec;
pub mod fd;
pub mod fs;
pub mod futex;
pub mod io;
pub mod ioctl;
pub mod mem;
pub mod poll;
pub mod proc_;
pub mod signal;
pub mod time;

use std::ffi::CString;
use std::os::unix::ffi::OsStrExt;
use std::path::PathBuf;

use crate::abi::GuestAbi;
use crate::errno::{self, Errno};
use crate::layout::Codec;
use crate::path::PathMapper;
use crate::space::GuestSpace;

/// What a handler returns: the non-negative result, or a host errno.
pub type SysResult = Result<u64, Errno>;

/// A syscall handler.
pub type Handler = fn(&mut Process, [u64; 6]) -> SysResult;

/// What the cpu loop should do after a syscall.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SyscallOutcome {
    /// Put this in the guest's result register: a value or `-errno` in the
    /// guest's numbering.
    Return(i64),
    /// The process exits with this status (`exit_group`, or `exit` of the
    /// only thread).
    Exit(i32),
}

/// `PATH_MAX`.
pub const PATH_MAX: usize = 4096;

/// The emulated kernel's view of one guest process.
pub struct Process {
    pub space: GuestSpace,
    pub abi: &'static GuestAbi,
    /// Guest path -> host path (`-L`).
    pub paths: PathMapper,
    /// Host path of the running program (`/proc/self/exe`).
    pub exe_path: PathBuf,
    /// Recorded signal dispositions, mask and alternate stack.
    pub signals: signal::SignalState,
    /// `set_tid_address` pointer (`clear_child_tid`).
    pub clear_child_tid: u64,
    /// `set_robust_list` head and length.
    pub robust_list: (u64, u64),
    /// `uname -r` override (`-r`); the host's release when `None`.
    pub uname_release: Option<String>,
    /// How to start the emulator again for `execve` of a foreign program:
    /// the host argv that precedes `-0 ARGV0 PROGRAM ARGS...` (by default
    /// this executable, `run`, and `-L PREFIX` if there is one).
    pub exec_prefix: Vec<std::ffi::OsString>,
    /// Resource limits the guest set that must not reach the host (they
    /// would constrain the emulator itself): `RLIMIT_AS`, `RLIMIT_DATA`,
    /// `RLIMIT_STACK`.
    pub(crate) fake_rlimits: Vec<(u32, (u64, u64))>,
    handlers: Vec<Option<Handler>>,
    exit: Option<i32>,
}

impl std::fmt::Debug for Process {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Process")
            .field("abi", &self.abi.name)
            .field("exe_path", &self.exe_path)
            .finish_non_exhaustive()
    }
}

/// Every handler, by syscall name.
fn all_handlers() -> impl Iterator<Item = &'static (&'static str, Handler)> {
    fs::HANDLERS
        .iter()
        .chain(fd::HANDLERS)
        .chain(io::HANDLERS)
        .chain(mem::HANDLERS)
        .chain(time::HANDLERS)
        .chain(proc_::HANDLERS)
        .chain(signal::HANDLERS)
        .chain(futex::HANDLERS)
        .chain(exec::HANDLERS)
        .chain(poll::HANDLERS)
}

impl Process {
    /// A process for a program loaded into `space`. `exe_path` is the host
    /// path `/proc/self/exe` reports; `ld_prefix` is `-L`.
    pub fn new(
        space: GuestSpace,
        abi: &'static GuestAbi,
        exe_path: PathBuf,
        ld_prefix: Option<PathBuf>,
    ) -> Process {
        let prefix_for_exec = ld_prefix.clone();
        let table = abi.syscalls;
        let mut handlers = vec![None; table.names.len()];
        for (nr, name) in table.entries() {
            handlers[(nr - table.base) as usize] =
                all_handlers().find(|(n, _)| *n == name).map(|(_, h)| *h);
        }
        Process {
            space,
            abi,
            paths: PathMapper::new(ld_prefix),
            exe_path,
            signals: signal::SignalState::default(),
            clear_child_tid: 0,
            robust_list: (0, 0),
            uname_release: None,
            exec_prefix: exec::default_prefix(prefix_for_exec.as_deref()),
            fake_rlimits: Vec::new(),
            handlers,
            exit: None,
        }
    }

    /// Whether this ABI's syscall `name` has a handler.
    pub fn implements(&self, name: &str) -> bool {
        self.abi
            .syscalls
            .number(name)
            .and_then(|nr| self.handler(u64::from(nr)))
            .is_some()
    }

    fn handler(&self, nr: u64) -> Option<Handler> {
        let idx = nr.checked_sub(u64::from(self.abi.syscalls.base))?;
        *self.handlers.get(usize::try_from(idx).ok()?)?
    }

    /// Run guest syscall `nr` with its six argument registers.
    pub fn syscall(&mut self, nr: u64, args: [u64; 6]) -> SyscallOutcome {
        let Some(h) = self.handler(nr) else {
            match self.abi.syscalls.name(nr) {
                Some(name) => tracing::warn!(target: "unimp", "unsupported syscall {name} ({nr})"),
                None => tracing::warn!(target: "unimp", "unknown syscall {nr}"),
            }
            return SyscallOutcome::Return(errno::to_guest(&self.abi.errno, Errno::ENOSYS));
        };
        let r = h(self, args);
        if let Some(code) = self.exit.take() {
            return SyscallOutcome::Exit(code);
        }
        SyscallOutcome::Return(match r {
            Ok(v) => v as i64,
            Err(e) => errno::to_guest(&self.abi.errno, e),
        })
    }

    /// Make the current syscall end the process with `code`.
    pub(crate) fn set_exit(&mut self, code: i32) {
        self.exit = Some(code);
    }

    pub(crate) fn codec(&self) -> Codec {
        self.abi.codec()
    }

    /// A guest NUL-terminated string argument (at most `PATH_MAX` bytes).
    pub(crate) fn cstr_arg(&self, addr: u64) -> Result<Vec<u8>, Errno> {
        let s = self.space.read_cstr(self.abi.ulong_arg(addr), PATH_MAX)?;
        if s.len() >= PATH_MAX {
            return Err(Errno::ENAMETOOLONG);
        }
        Ok(s)
    }

    /// A guest path argument mapped to the host (`-L`, `/proc/self/exe`).
    pub(crate) fn path_arg(&self, addr: u64) -> Result<CString, Errno> {
        let raw = self.cstr_arg(addr)?;
        let host = if self.is_self_exe(&raw) {
            self.exe_path.clone()
        } else {
            self.paths.map(&raw)
        };
        CString::new(host.as_os_str().as_bytes()).map_err(|_| Errno::EINVAL)
    }

    /// Whether a guest path names the running program's `/proc` link.
    pub(crate) fn is_self_exe(&self, raw: &[u8]) -> bool {
        if raw == b"/proc/self/exe" || raw == b"/proc/thread-self/exe" {
            return true;
        }
        let pid = std::process::id().to_string();
        raw.strip_prefix(b"/proc/")
            .and_then(|r| r.strip_prefix(pid.as_bytes()))
            .is_some_and(|r| r == b"/exe")
    }

    /// Read guest memory into a fresh vector.
    pub(crate) fn read_mem(&self, addr: u64, len: usize) -> Result<Vec<u8>, Errno> {
        Ok(self.space.read_vec(self.abi.ulong_arg(addr), len)?)
    }

    /// Write bytes to guest memory.
    pub(crate) fn write_mem(&self, addr: u64, b: &[u8]) -> Result<(), Errno> {
        Ok(self.space.write(self.abi.ulong_arg(addr), b)?)
    }

    /// Write a guest `int`/`u32`.
    pub(crate) fn write_u32(&self, addr: u64, v: u32) -> Result<(), Errno> {
        let mut b = [0u8; 4];
        self.codec().put(&mut b, 0, 4, v.into());
        self.write_mem(addr, &b)
    }

    /// Read a guest `int`/`u32`.
    pub(crate) fn read_u32(&self, addr: u64) -> Result<u32, Errno> {
        let b = self.read_mem(addr, 4)?;
        Ok(self.codec().get(&b, 0, 4) as u32)
    }
}

/// Convert a host libc return value (`-1` + `errno` on failure).
pub(crate) fn host<T: Into<i64>>(r: T) -> SysResult {
    let r = r.into();
    if r == -1 {
        Err(Errno::last())
    } else {
        Ok(r as u64)
    }
}

#[cfg(test)]
mod tests;
