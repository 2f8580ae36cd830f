//! Syscall translation: guest number -> name (from syscall-tables) ->
//! handler.
//!
//! [`Process`] holds what the emulated kernel knows about the guest process
//! (its address space, ABI, path mapping, recorded signal state). Handlers
//! are registered by syscall *name* in the per-area modules (`fs`, `fd`,
//! `io`, `mem`, `time`, `proc_`, `signal`, `futex`, `ioctl`, `poll`,
//! `epoll`, `fdkinds`, `inotify`, `socket`, `sockopt`, `msghdr`);
//! [`Process::new`]
//! resolves them once into a table indexed by the guest's numbers. Each
//! handler reads its arguments as the guest ABI defines them, converts every
//! struct explicitly through [`crate::layout`], and returns host errno
//! values that [`Process::syscall`] turns into the guest's numbering.
//!
//! Unknown or unimplemented syscalls return `-ENOSYS` with one warning under
//! the `unimp` tracing target. Nothing a guest passes can panic the
//! emulator: bad pointers are `-EFAULT`.
//!
//! Threads: a `Process` is one guest thread's handle on the process. What
//! all threads share (address space, signal dispositions, limits) sits
//! behind `Arc`s and short-lived locks, never held across a blocking host
//! call; what is per thread (signal mask, alternate stack, tid pointers)
//! lives in the handle. Syscalls that need the cpu (thread creation,
//! `rt_sigreturn`, thread exit) hand back a [`SyscallOutcome`] for the
//! per-guest cpu loop to finish. Signals are delivered by the cpu loop
//! (see [`crate::signal`]); a blocking call interrupted by one comes back
//! as [`SyscallOutcome::Restart`].

pub mod compat32;
pub mod epoll;
pub mod exec;
pub mod fd;
pub mod fdkinds;
pub mod fdtrans;
pub mod fs;
pub mod futex;
pub mod ifreq;
pub mod inotify;
pub mod io;
pub mod ioctl;
pub mod legacy;
pub mod mem;
pub mod msghdr;
pub mod poll;
pub mod proc_;
pub mod signal;
pub mod socket;
pub mod sockopt;
pub mod time;
pub mod timer;

use std::ffi::CString;
use std::os::unix::ffi::OsStrExt;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use crate::abi::GuestAbi;
use crate::errno::{self, Errno};
use crate::layout::misc::SigAction;
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
    /// The process exits with this status (`exit_group`).
    Exit(i32),
    /// The calling thread exits with this status (`exit`).
    ThreadExit(i32),
    /// Start a thread (`clone` with `CLONE_VM`); the cpu loop returns its
    /// tid or an error.
    NewThread(ThreadRequest),
    /// `rt_sigreturn`: restore the cpu from the signal frame at its sp.
    Sigreturn,
    /// A signal interrupted a blocking call: deliver it, then run the
    /// syscall again unless the handler lacks `SA_RESTART` (then the result
    /// is `-EINTR`).
    Restart,
}

/// A `clone`/`clone3` that creates a thread.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ThreadRequest {
    pub flags: u64,
    /// New stack pointer (0: the parent's).
    pub stack: u64,
    pub parent_tid: u64,
    pub child_tid: u64,
    pub tls: u64,
}

/// What all threads of the guest process share besides the address space.
#[derive(Debug)]
pub struct Shared {
    /// Signal dispositions of signals 1..=64 (index = signal - 1).
    pub actions: Mutex<[SigAction; signal::NSIG]>,
    /// Resource limits the guest set that must not reach the host (they
    /// would constrain the emulator itself): `RLIMIT_AS`, `RLIMIT_DATA`,
    /// `RLIMIT_STACK`.
    pub(crate) fake_rlimits: Mutex<Vec<(u32, (u64, u64))>>,
    /// Guest address of the signal return trampoline (0: not mapped yet).
    pub sigreturn_tramp: Mutex<u64>,
    /// The guest handles SIGSEGV or SIGBUS: engines run in precise-fault
    /// mode so such faults reach the handler with exact state.
    pub precise_faults: std::sync::atomic::AtomicBool,
}

impl Default for Shared {
    fn default() -> Self {
        Shared {
            actions: Mutex::new([SigAction::default(); signal::NSIG]),
            fake_rlimits: Mutex::new(Vec::new()),
            sigreturn_tramp: Mutex::new(0),
            precise_faults: std::sync::atomic::AtomicBool::new(false),
        }
    }
}

/// Locks `m`, ignoring poisoning (a panicking thread has already failed
/// the run; the data stays usable).
pub fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// `PATH_MAX`.
pub const PATH_MAX: usize = 4096;

/// The emulated kernel's view of one guest process, as one of its threads
/// sees it.
pub struct Process {
    pub space: Arc<GuestSpace>,
    pub abi: &'static GuestAbi,
    /// Guest path -> host path (`-L`).
    pub paths: PathMapper,
    /// Host path of the running program (`/proc/self/exe`).
    pub exe_path: PathBuf,
    /// State shared by all threads.
    pub shared: Arc<Shared>,
    /// What the fake `/proc` files are made from.
    pub proc_info: Arc<crate::procfs::ProcInfo>,
    /// This thread's signal mask and alternate stack.
    pub signals: signal::SignalState,
    /// This thread's slot in [`crate::thread::SLOTS`] (none in unit tests).
    pub slot: Option<usize>,
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
    handlers: Arc<Vec<Option<Handler>>>,
    /// Set by handlers that finish in the cpu loop.
    outcome: Option<SyscallOutcome>,
    /// Set by handlers whose `EINTR` must reach the guest as is.
    no_restart: bool,
    /// A 32-bit ABI's `*_time64` call is running (`codec().time64`).
    pub(crate) time64: bool,
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
        .chain(timer::HANDLERS)
        .chain(epoll::HANDLERS)
        .chain(fdkinds::HANDLERS)
        .chain(inotify::HANDLERS)
        .chain(socket::HANDLERS)
        .chain(sockopt::HANDLERS)
        .chain(msghdr::HANDLERS)
        .chain(compat32::HANDLERS)
        .chain(legacy::HANDLERS)
}

/// The generic handler `name` (for calls defined by another one).
pub(super) fn generic(name: &str) -> Result<Handler, Errno> {
    all_handlers()
        .find(|(n, _)| *n == name)
        .map(|(_, h)| *h)
        .ok_or(Errno::ENOSYS)
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
            // 32-bit ABIs' variants of generic calls resolve to those.
            let name = compat32::ALIASES
                .iter()
                .find(|(a, _)| *a == name)
                .map_or(name, |(_, g)| *g);
            handlers[(nr - table.base) as usize] =
                all_handlers().find(|(n, _)| *n == name).map(|(_, h)| *h);
        }
        Process {
            space: Arc::new(space),
            abi,
            paths: PathMapper::new(ld_prefix),
            exe_path,
            shared: Arc::new(Shared::default()),
            proc_info: Arc::default(),
            signals: signal::SignalState::default(),
            slot: None,
            clear_child_tid: 0,
            robust_list: (0, 0),
            uname_release: None,
            exec_prefix: exec::default_prefix(prefix_for_exec.as_deref()),
            handlers: Arc::new(handlers),
            outcome: None,
            no_restart: false,
            time64: false,
        }
    }

    /// The handle of a new thread of this process (`clone` with `CLONE_VM`):
    /// same process, the caller's signal mask, no alternate stack.
    pub fn new_thread(&self, clear_child_tid: u64) -> Process {
        Process {
            space: self.space.clone(),
            abi: self.abi,
            paths: self.paths.clone(),
            exe_path: self.exe_path.clone(),
            shared: self.shared.clone(),
            proc_info: self.proc_info.clone(),
            signals: signal::SignalState {
                mask: self.signals.mask,
                ..Default::default()
            },
            slot: None,
            clear_child_tid,
            robust_list: (0, 0),
            uname_release: self.uname_release.clone(),
            exec_prefix: self.exec_prefix.clone(),
            handlers: self.handlers.clone(),
            outcome: None,
            no_restart: false,
            time64: false,
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
        if let Some(o) = self.outcome.take() {
            return o;
        }
        if r == Err(Errno::EINTR)
            && !std::mem::take(&mut self.no_restart)
            && self.slot.is_some_and(|s| crate::thread::pending(s) != 0)
        {
            return SyscallOutcome::Restart;
        }
        self.no_restart = false;
        SyscallOutcome::Return(match r {
            Ok(v) => v as i64,
            Err(e) => errno::to_guest(&self.abi.errno, e),
        })
    }

    /// Make the current syscall finish in the cpu loop with `o`.
    pub(crate) fn set_outcome(&mut self, o: SyscallOutcome) {
        self.outcome = Some(o);
    }

    /// The current syscall's `EINTR` is final (no restart after a handler).
    pub(crate) fn set_no_restart(&mut self) {
        self.no_restart = true;
    }

    pub(crate) fn codec(&self) -> Codec {
        Codec {
            time64: self.time64,
            ..self.abi.codec()
        }
    }

    /// A guest NUL-terminated string argument (at most `PATH_MAX` bytes).
    pub(crate) fn cstr_arg(&self, addr: u64) -> Result<Vec<u8>, Errno> {
        let s = self.space.read_cstr(self.abi.ulong_arg(addr), PATH_MAX)?;
        if s.len() >= PATH_MAX {
            return Err(Errno::ENAMETOOLONG);
        }
        Ok(s)
    }

    /// A guest path argument mapped to the host (`-L`, `/proc/self/exe`),
    /// for a syscall that follows a final symlink.
    pub(crate) fn path_arg(&self, addr: u64) -> Result<CString, Errno> {
        self.path_arg_at(addr, true)
    }

    /// A guest path argument mapped to the host; `follow`: whether the
    /// syscall follows a final symlink (see `PathMapper::lookup`).
    pub(crate) fn path_arg_at(&self, addr: u64, follow: bool) -> Result<CString, Errno> {
        let raw = self.cstr_arg(addr)?;
        let host = if self.is_self_exe(&raw) {
            self.exe_path.clone()
        } else {
            self.paths.lookup(&raw, follow)?
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
    pub fn write_u32(&self, addr: u64, v: u32) -> Result<(), Errno> {
        let mut b = [0u8; 4];
        self.codec().put(&mut b, 0, 4, v.into());
        self.write_mem(addr, &b)
    }

    /// Read a guest `int`/`u32`.
    pub fn read_u32(&self, addr: u64) -> Result<u32, Errno> {
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
mod net_tests;
#[cfg(test)]
pub(crate) mod tests;
