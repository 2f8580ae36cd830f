//! Guest signals, the host side.
//!
//! Guest signal numbers are the host's (every Linux ABI supported here uses
//! the generic numbering), and guest threads are host threads, so the host
//! kernel does the routing: Mimic keeps the host's view of each signal in
//! step with the guest's.
//!
//! - **Dispositions.** A guest `SIG_DFL` or `SIG_IGN` becomes the same host
//!   disposition: the default action (terminate, core, stop, ignore) then
//!   happens to the emulator exactly as it would to the guest, and ignored
//!   signals stay ignored across `execve`. A guest handler becomes
//!   [`host_handler`], which records the signal for the thread it hit
//!   ([`crate::thread::record`]) and sets that thread's `exit_request`, so
//!   translated code returns to the cpu loop promptly even in a loop
//!   without syscalls; the cpu loop then builds the guest's signal frame.
//!   Host handlers are installed without `SA_RESTART`: a blocking host
//!   syscall returns `EINTR`, and the syscall layer restarts it or not by
//!   the guest's flags.
//! - **Masks.** Each host thread's mask is its guest thread's mask plus the
//!   signals recorded but not yet delivered (the handler blocks a signal
//!   as it records it, through the saved context's mask, so further
//!   instances queue in the host kernel). Process-directed signals then
//!   reach a thread that does not block them, blocked ones stay pending in
//!   the host kernel, and `sigsuspend`/`sigtimedwait` work on host masks.
//! - **SIGSEGV and SIGBUS** are never blocked or left to the host default:
//!   the host handler tells self-modifying-code write faults
//!   ([`crate::smc`]) and guest memory faults from `kill`-sent ones.
//!
//! Synchronous signals from guest instructions (undefined instruction,
//! BRK, aborts) do not involve the host: the cpu loop records them itself.

use crate::layout::Codec;
use crate::thread;
use std::sync::atomic::{AtomicUsize, Ordering};

pub const SIGHUP: i32 = 1;
pub const SIGILL: i32 = 4;
pub const SIGTRAP: i32 = 5;
pub const SIGBUS: i32 = 7;
pub const SIGFPE: i32 = 8;
pub const SIGKILL: i32 = 9;
pub const SIGSEGV: i32 = 11;
pub const SIGPIPE: i32 = 13;
pub const SIGCHLD: i32 = 17;
pub const SIGCONT: i32 = 18;
pub const SIGSTOP: i32 = 19;
pub const SIGTSTP: i32 = 20;
pub const SIGTTIN: i32 = 21;
pub const SIGTTOU: i32 = 22;
pub const SIGURG: i32 = 23;
pub const SIGWINCH: i32 = 28;

/// Guest `sa_handler` values.
pub const SIG_DFL: u64 = 0;
pub const SIG_IGN: u64 = 1;

/// Guest `sa_flags` bits (generic values; AArch64 uses them).
pub const SA_SIGINFO: u64 = 4;
pub const SA_ONSTACK: u64 = 0x0800_0000;
pub const SA_RESTART: u64 = 0x1000_0000;
pub const SA_NODEFER: u64 = 0x4000_0000;
pub const SA_RESETHAND: u64 = 0x8000_0000;
pub const SA_RESTORER: u64 = 0x0400_0000;

/// Signals that can be neither blocked nor caught.
pub const UNBLOCKABLE: u64 = bit(SIGKILL) | bit(SIGSTOP);
/// Signals the host must never block (faults would kill the emulator).
const NEVER_BLOCK_ON_HOST: u64 = bit(SIGSEGV) | bit(SIGBUS);

/// The mask bit of signal `sig` (1..=64).
pub const fn bit(sig: i32) -> u64 {
    1u64 << (sig - 1)
}

/// What the kernel does with a signal whose action is `SIG_DFL`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DefaultAction {
    Terminate,
    Core,
    Ignore,
    Stop,
    Continue,
}

/// The default action of `sig` (signal(7)).
pub fn default_action(sig: i32) -> DefaultAction {
    match sig {
        SIGCHLD | SIGURG | SIGWINCH => DefaultAction::Ignore,
        SIGCONT => DefaultAction::Continue,
        SIGSTOP | SIGTSTP | SIGTTIN | SIGTTOU => DefaultAction::Stop,
        3 | 4 | 5 | 6 | 7 | 8 | 11 | 24 | 25 | 31 => DefaultAction::Core,
        _ => DefaultAction::Terminate,
    }
}

/// Sets the calling host thread's signal mask (raw syscall: glibc's wrapper
/// would silently keep its own two real-time signals unblocked).
pub fn set_host_mask(mask: u64) {
    let m = mask & !NEVER_BLOCK_ON_HOST & !UNBLOCKABLE;
    // SAFETY: an 8-byte kernel sigset; no old mask requested.
    unsafe {
        libc::syscall(
            libc::SYS_rt_sigprocmask,
            libc::SIG_SETMASK,
            &m as *const u64,
            std::ptr::null_mut::<u64>(),
            8usize,
        );
    }
}

/// Blocks every signal the host may block; returns the previous mask.
pub fn block_all() -> u64 {
    let m = !NEVER_BLOCK_ON_HOST;
    let mut old = 0u64;
    // SAFETY: 8-byte kernel sigsets.
    unsafe {
        libc::syscall(
            libc::SYS_rt_sigprocmask,
            libc::SIG_SETMASK,
            &m as *const u64,
            &mut old as *mut u64,
            8usize,
        );
    }
    old
}

/// The calling thread's host mask.
pub fn host_mask() -> u64 {
    let mut old = 0u64;
    // SAFETY: 8-byte kernel sigset; no change requested.
    unsafe {
        libc::syscall(
            libc::SYS_rt_sigprocmask,
            libc::SIG_BLOCK,
            std::ptr::null::<u64>(),
            &mut old as *mut u64,
            8usize,
        );
    }
    old
}

/// Signals pending on the host for this thread or the process.
pub fn host_pending() -> u64 {
    let mut set = 0u64;
    // SAFETY: 8-byte kernel sigset.
    unsafe { libc::syscall(libc::SYS_rt_sigpending, &mut set as *mut u64, 8usize) };
    set
}

fn sigaction_raw(sig: i32, handler: usize, flags: i32) {
    // SAFETY: installing a disposition; the handler (when not DFL/IGN) only
    // touches atomics and async-signal-safe calls.
    unsafe {
        let mut sa: libc::sigaction = std::mem::zeroed();
        sa.sa_sigaction = handler;
        sa.sa_flags = flags;
        libc::sigfillset(&mut sa.sa_mask);
        libc::sigaction(sig, &sa, std::ptr::null_mut());
    }
}

/// Makes the host disposition of `sig` follow the guest's `handler`
/// (`SIG_DFL`, `SIG_IGN` or a guest address).
pub fn set_host_action(sig: i32, handler: u64) {
    if sig == SIGKILL || sig == SIGSTOP || sig == SIGSEGV || sig == SIGBUS {
        return;
    }
    match handler {
        SIG_DFL => sigaction_raw(sig, libc::SIG_DFL, 0),
        SIG_IGN => sigaction_raw(sig, libc::SIG_IGN, 0),
        _ => sigaction_raw(
            sig,
            host_handler as *const () as usize,
            libc::SA_SIGINFO | libc::SA_ONSTACK,
        ),
    }
}

/// Called for SIGSEGV/SIGBUS raised by an access of emulator code to
/// guest memory at host address `addr` that is not a self-modifying-code
/// write. Returns true when handled (execution resumes elsewhere).
pub type FaultHook = unsafe fn(sig: i32, info: *mut libc::siginfo_t, uc: *mut libc::c_void) -> bool;

static FAULT_HOOK: AtomicUsize = AtomicUsize::new(0);

/// Installs the hook that turns host faults in guest memory into guest
/// signals (see [`FaultHook`]).
pub fn set_fault_hook(h: FaultHook) {
    FAULT_HOOK.store(h as usize, Ordering::Release);
}

/// The [`FaultHook`] for precise guest faults: when the faulting thread
/// runs a block under the engine's fault guard (precise mode, see
/// `tcg::exec::Engine::set_precise`), record the fault in its cpu and make
/// the interrupted context resume in `tcg::guard`'s exit path; the engine
/// then returns to the cpu loop, which delivers the guest's signal.
///
/// # Safety
/// Only for use as the host SIGSEGV/SIGBUS handler's hook, with the
/// kernel's arguments.
pub unsafe fn guest_fault_hook(
    sig: i32,
    info: *mut libc::siginfo_t,
    uc: *mut libc::c_void,
) -> bool {
    let Some(slot) = thread::current() else {
        return false;
    };
    let common = thread::cpu_common(slot);
    if common.is_null() {
        return false;
    }
    // SAFETY: a registered cpu state stays allocated (see `thread`); the
    // fields written here are only read by this thread after the block.
    unsafe {
        if (*common).in_guard.load(Ordering::SeqCst) == 0 {
            return false;
        }
        let ucx = uc as *mut libc::ucontext_t;
        let gregs = &mut (*ucx).uc_mcontext.gregs;
        let write = gregs[libc::REG_ERR as usize] & 2 != 0;
        (*common).fault_host_addr = (*info).si_addr() as u64;
        (*common).fault_kind = u32::from(write) | (sig as u32) << 8;
        gregs[libc::REG_RIP as usize] = tcg::guard::leave_addr() as i64;
        gregs[libc::REG_RDI as usize] = (*common).guard as i64;
        gregs[libc::REG_RSI as usize] = tcg::cpu::exit::FAULT as i64;
    }
    true
}

/// The guest's starting state, inherited from whoever started Mimic.
pub struct Inherited {
    /// Blocked signals.
    pub mask: u64,
    /// Ignored signals.
    pub ignored: u64,
}

/// Installs the SIGSEGV/SIGBUS handler and reads the inherited mask and
/// ignored signals. Host SIGPIPE goes back to its default: the Rust
/// runtime ignores it, the guest must not.
pub fn init() -> Inherited {
    sigaction_raw(
        SIGSEGV,
        host_handler as *const () as usize,
        libc::SA_SIGINFO | libc::SA_NODEFER | libc::SA_ONSTACK,
    );
    sigaction_raw(
        SIGBUS,
        host_handler as *const () as usize,
        libc::SA_SIGINFO | libc::SA_NODEFER | libc::SA_ONSTACK,
    );
    sigaction_raw(SIGPIPE, libc::SIG_DFL, 0);
    let mut ignored = 0;
    for sig in 1..=64 {
        if sig == SIGKILL || sig == SIGSTOP || sig == SIGSEGV || sig == SIGBUS {
            continue;
        }
        // SAFETY: querying only.
        unsafe {
            let mut old: libc::sigaction = std::mem::zeroed();
            if libc::sigaction(sig, std::ptr::null(), &mut old) == 0
                && old.sa_sigaction == libc::SIG_IGN
            {
                ignored |= bit(sig);
            }
        }
    }
    Inherited {
        mask: host_mask() & !UNBLOCKABLE,
        ignored,
    }
}

/// The host handler for signals the guest catches, and for SIGSEGV/SIGBUS.
extern "C" fn host_handler(sig: libc::c_int, info: *mut libc::siginfo_t, uc: *mut libc::c_void) {
    // SAFETY: the kernel passes a valid siginfo and ucontext.
    let code = unsafe { (*info).si_code };
    if (sig == SIGSEGV || sig == SIGBUS) && code > 0 {
        // SAFETY: valid siginfo for a fault.
        let addr = unsafe { (*info).si_addr() } as usize;
        if sig == SIGSEGV && crate::smc::handle_fault(addr) {
            return;
        }
        let hook = FAULT_HOOK.load(Ordering::Acquire);
        if hook != 0 {
            // SAFETY: only `set_fault_hook` stores here, from a FaultHook.
            let h: FaultHook = unsafe { std::mem::transmute::<usize, FaultHook>(hook) };
            // SAFETY: forwarding the kernel's arguments.
            if unsafe { h(sig, info, uc) } {
                return;
            }
        }
        // A guest fault nobody handles (or an emulator bug): returning
        // re-executes the access, which then kills us with the signal.
        sigaction_raw(sig, libc::SIG_DFL, 0);
        return;
    }
    let Some(slot) = thread::current() else {
        // Not a guest thread (cannot happen: helpers block everything).
        return;
    };
    // SAFETY: valid siginfo from the kernel; we are the slot's thread.
    let fresh = unsafe { thread::record(slot, sig, info) };
    // A blocking call about to start leaves with EINTR instead.
    // SAFETY: `uc` is the kernel's ucontext for this handler.
    unsafe { crate::safe_syscall::rewind(uc) };
    if fresh && sig != SIGSEGV && sig != SIGBUS {
        // Keep further instances pending on the host until this one is
        // delivered (the kernel restores the mask from the context).
        // SAFETY: `uc` is the kernel's ucontext for this handler.
        unsafe { libc::sigaddset(&mut (*(uc as *mut libc::ucontext_t)).uc_sigmask, sig) };
    }
    thread::kick(slot);
}

/// A siginfo, decoded by kind (the union member the kernel fills).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SigInfo {
    pub signo: i32,
    pub errno: i32,
    pub code: i32,
    pub fields: SigFields,
}

/// The union part of a siginfo.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SigFields {
    Kill {
        pid: i32,
        uid: u32,
    },
    Timer {
        tid: i32,
        overrun: i32,
        value: u64,
    },
    Rt {
        pid: i32,
        uid: u32,
        value: u64,
    },
    Chld {
        pid: i32,
        uid: u32,
        status: i32,
        utime: i64,
        stime: i64,
    },
    Fault {
        addr: u64,
    },
    Poll {
        band: i64,
        fd: i32,
    },
    Sys {
        addr: u64,
        syscall: i32,
        arch: u32,
    },
}

pub const SI_USER: i32 = 0;
pub const SI_KERNEL: i32 = 0x80;
pub const SI_QUEUE: i32 = -1;
pub const SI_TIMER: i32 = -2;
pub const SI_MESGQ: i32 = -3;
pub const SI_TKILL: i32 = -6;

/// Size of `siginfo_t` on every Linux ABI.
pub const SIGINFO_SIZE: usize = 128;

impl SigInfo {
    /// A fault signal (SIGSEGV, SIGILL...) with `code` at `addr`.
    pub fn fault(signo: i32, code: i32, addr: u64) -> SigInfo {
        SigInfo {
            signo,
            errno: 0,
            code,
            fields: SigFields::Fault { addr },
        }
    }

    /// A signal sent by a user (`kill`, or the debugger, which the kernel
    /// reports as SI_USER from the tracer).
    pub fn user(signo: i32, pid: i32, uid: u32) -> SigInfo {
        SigInfo {
            signo,
            errno: 0,
            code: SI_USER,
            fields: SigFields::Kill { pid, uid },
        }
    }

    fn kind(signo: i32, code: i32) -> u8 {
        match code {
            SI_TIMER => b't',
            SI_USER | SI_TKILL | SI_KERNEL => b'k',
            c if c < 0 => b'r',
            _ => match signo {
                SIGCHLD => b'c',
                SIGILL | SIGFPE | SIGSEGV | SIGBUS | SIGTRAP => b'f',
                29 => b'p',
                31 => b's',
                _ => b'k',
            },
        }
    }

    /// Decodes a siginfo laid out per `c` (the host's is `Codec::LE64`).
    pub fn decode(c: &Codec, b: &[u8]) -> SigInfo {
        let w = c.word;
        let u = if w == 8 { 16 } else { 12 };
        let signo = c.get(b, 0, 4) as i32;
        let code = c.get(b, 8, 4) as i32;
        let i32_at = |o: usize| c.get(b, o, 4) as i32;
        let word_at = |o: usize| c.get(b, o, w);
        let sword_at = |o: usize| c.get_signed(b, o, w);
        let fields = match Self::kind(signo, code) {
            b't' => SigFields::Timer {
                tid: i32_at(u),
                overrun: i32_at(u + 4),
                value: word_at(u + 8),
            },
            b'r' => SigFields::Rt {
                pid: i32_at(u),
                uid: i32_at(u + 4) as u32,
                value: word_at(u + 8),
            },
            b'c' => {
                let t = (u + 12).next_multiple_of(w);
                SigFields::Chld {
                    pid: i32_at(u),
                    uid: i32_at(u + 4) as u32,
                    status: i32_at(u + 8),
                    utime: sword_at(t),
                    stime: sword_at(t + w),
                }
            }
            b'f' => SigFields::Fault { addr: word_at(u) },
            b'p' => SigFields::Poll {
                band: sword_at(u),
                fd: i32_at(u + w),
            },
            b's' => SigFields::Sys {
                addr: word_at(u),
                syscall: i32_at(u + w),
                arch: i32_at(u + w + 4) as u32,
            },
            _ => SigFields::Kill {
                pid: i32_at(u),
                uid: i32_at(u + 4) as u32,
            },
        };
        SigInfo {
            signo,
            errno: c.get(b, 4, 4) as i32,
            code,
            fields,
        }
    }

    /// Decodes a host siginfo.
    pub fn from_host(info: &libc::siginfo_t) -> SigInfo {
        // SAFETY: siginfo_t is 128 plain bytes.
        let b = unsafe {
            std::slice::from_raw_parts(info as *const libc::siginfo_t as *const u8, SIGINFO_SIZE)
        };
        Self::decode(&Codec::LE64, b)
    }

    /// Encodes for an ABI with codec `c` (128 bytes).
    pub fn encode(&self, c: &Codec) -> Vec<u8> {
        let w = c.word;
        let u = if w == 8 { 16 } else { 12 };
        let mut b = vec![0u8; SIGINFO_SIZE];
        c.put(&mut b, 0, 4, self.signo as u32 as u64);
        c.put(&mut b, 4, 4, self.errno as u32 as u64);
        c.put(&mut b, 8, 4, self.code as u32 as u64);
        let i32_put = |b: &mut Vec<u8>, o: usize, v: i32| c.put(b, o, 4, v as u32 as u64);
        match self.fields {
            SigFields::Kill { pid, uid } => {
                i32_put(&mut b, u, pid);
                i32_put(&mut b, u + 4, uid as i32);
            }
            SigFields::Timer {
                tid,
                overrun,
                value,
            } => {
                i32_put(&mut b, u, tid);
                i32_put(&mut b, u + 4, overrun);
                c.put(&mut b, u + 8, w, value);
            }
            SigFields::Rt { pid, uid, value } => {
                i32_put(&mut b, u, pid);
                i32_put(&mut b, u + 4, uid as i32);
                c.put(&mut b, u + 8, w, value);
            }
            SigFields::Chld {
                pid,
                uid,
                status,
                utime,
                stime,
            } => {
                let t = (u + 12).next_multiple_of(w);
                i32_put(&mut b, u, pid);
                i32_put(&mut b, u + 4, uid as i32);
                i32_put(&mut b, u + 8, status);
                c.put(&mut b, t, w, utime as u64);
                c.put(&mut b, t + w, w, stime as u64);
            }
            SigFields::Fault { addr } => c.put(&mut b, u, w, addr),
            SigFields::Poll { band, fd } => {
                c.put(&mut b, u, w, band as u64);
                i32_put(&mut b, u + w, fd);
            }
            SigFields::Sys {
                addr,
                syscall,
                arch,
            } => {
                c.put(&mut b, u, w, addr);
                i32_put(&mut b, u + w, syscall);
                i32_put(&mut b, u + w + 4, arch as i32);
            }
        }
        b
    }

    /// The host siginfo for this one (for `rt_sigqueueinfo`).
    pub fn to_host(&self) -> libc::siginfo_t {
        let b = self.encode(&Codec::LE64);
        // SAFETY: zeroed siginfo is valid; 128 bytes copied into it.
        unsafe {
            let mut info: libc::siginfo_t = std::mem::zeroed();
            std::ptr::copy_nonoverlapping(
                b.as_ptr(),
                &mut info as *mut libc::siginfo_t as *mut u8,
                SIGINFO_SIZE,
            );
            info
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn siginfo_round_trips_per_kind() {
        let cases = [
            SigInfo {
                signo: 10,
                errno: 0,
                code: SI_USER,
                fields: SigFields::Kill { pid: 42, uid: 1000 },
            },
            SigInfo {
                signo: 34,
                errno: 0,
                code: SI_QUEUE,
                fields: SigFields::Rt {
                    pid: 7,
                    uid: 0,
                    value: 0xdead_beef_1234,
                },
            },
            SigInfo {
                signo: SIGCHLD,
                errno: 0,
                code: 1,
                fields: SigFields::Chld {
                    pid: 9,
                    uid: 1,
                    status: 3,
                    utime: 5,
                    stime: 6,
                },
            },
            SigInfo::fault(SIGSEGV, 2, 0x1234_5678),
        ];
        for c in [
            Codec::LE64,
            Codec {
                big_endian: true,
                word: 4,
                time64: false,
            },
        ] {
            for i in &cases {
                let mut want = *i;
                if c.word == 4 {
                    if let SigFields::Rt { value, .. } = &mut want.fields {
                        *value &= 0xffff_ffff;
                    }
                }
                assert_eq!(SigInfo::decode(&c, &i.encode(&c)), want);
            }
        }
        // The host layout agrees with libc's accessors.
        let h = cases[2].to_host();
        // SAFETY: a SIGCHLD siginfo.
        unsafe {
            assert_eq!(h.si_pid(), 9);
            assert_eq!(h.si_status(), 3);
        }
        let f = cases[3].to_host();
        // SAFETY: a fault siginfo.
        assert_eq!(unsafe { f.si_addr() } as u64, 0x1234_5678);
    }

    #[test]
    fn default_actions() {
        assert_eq!(default_action(SIGCHLD), DefaultAction::Ignore);
        assert_eq!(default_action(SIGSEGV), DefaultAction::Core);
        assert_eq!(default_action(SIGTSTP), DefaultAction::Stop);
        assert_eq!(default_action(SIGHUP), DefaultAction::Terminate);
        assert_eq!(default_action(40), DefaultAction::Terminate);
    }
}
