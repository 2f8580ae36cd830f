//! Signal syscalls: `rt_sigaction`, `rt_sigprocmask`, `sigaltstack`,
//! `rt_sigpending`, `rt_sigsuspend`, `rt_sigtimedwait`, `rt_sigqueueinfo`,
//! `rt_tgsigqueueinfo`, `rt_sigreturn`; and the per-thread bookkeeping the
//! cpu loop uses to deliver signals ([`Process::next_signal`],
//! [`Process::disposition`], [`Process::enter_handler`]).
//!
//! Dispositions are process-wide ([`super::Shared::actions`]) and mirrored
//! on the host; masks are per thread and mirrored on the host thread (see
//! [`crate::signal`] for why).

use super::{lock, Handler, Process, SysResult, SyscallOutcome};
use crate::errno::Errno;
use crate::layout::misc::{decode_sigset, encode_sigset, SigAction, SigStack, TimePair};
use crate::signal::{self as sig, DefaultAction, SigInfo, SIGINFO_SIZE, UNBLOCKABLE};
use crate::thread;

pub(super) const HANDLERS: &[(&str, Handler)] = &[
    ("rt_sigaction", sys_rt_sigaction),
    ("rt_sigprocmask", sys_rt_sigprocmask),
    ("sigaltstack", sys_sigaltstack),
    ("rt_sigpending", sys_rt_sigpending),
    ("rt_sigsuspend", sys_rt_sigsuspend),
    ("rt_sigtimedwait", sys_rt_sigtimedwait),
    ("rt_sigqueueinfo", sys_rt_sigqueueinfo),
    ("rt_tgsigqueueinfo", sys_rt_tgsigqueueinfo),
    ("rt_sigreturn", sys_rt_sigreturn),
];

/// Number of signals (`_NSIG`).
pub const NSIG: usize = 64;
const SIGKILL: usize = 9;
const SIGSTOP: usize = 19;

pub const SS_ONSTACK: i32 = 1;
pub const SS_DISABLE: i32 = 2;
pub const SS_AUTODISARM: i32 = 1 << 31;

/// One thread's signal state.
#[derive(Clone, Debug)]
pub struct SignalState {
    /// Blocked signals (bit n-1 = signal n).
    pub mask: u64,
    /// The alternate signal stack.
    pub altstack: SigStack,
    /// The mask to restore once a signal was handled (`rt_sigsuspend`).
    pub saved_mask: Option<u64>,
}

impl Default for SignalState {
    fn default() -> Self {
        SignalState {
            mask: 0,
            altstack: SigStack {
                sp: 0,
                flags: SS_DISABLE,
                size: 0,
            },
            saved_mask: None,
        }
    }
}

/// What to do with a signal about to be delivered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Disposition {
    Ignore,
    Default(DefaultAction),
    Handler(SigAction),
}

impl Process {
    /// Makes the host thread's mask match the guest's (plus the signals
    /// recorded and not yet delivered).
    pub fn sync_mask(&self) {
        if let Some(slot) = self.slot {
            sig::set_host_mask(self.signals.mask | thread::pending(slot));
        }
    }

    /// Sets up the process's initial dispositions and this thread's mask
    /// from what the emulator inherited.
    pub fn inherit_signals(&mut self, inh: &sig::Inherited) {
        let mut acts = lock(&self.shared.actions);
        for s in 1..=NSIG as i32 {
            if inh.ignored & sig::bit(s) != 0 {
                acts[s as usize - 1].handler = sig::SIG_IGN;
            }
        }
        drop(acts);
        self.signals.mask = inh.mask;
    }

    /// The next recorded signal this thread can take now (lowest number
    /// first), removed from the pending set.
    pub fn next_signal(&mut self) -> Option<SigInfo> {
        let slot = self.slot?;
        let ready = thread::pending(slot) & !self.signals.mask;
        if ready == 0 {
            return None;
        }
        let s = ready.trailing_zeros() as i32 + 1;
        let info = thread::take(slot, s)?;
        Some(SigInfo::from_host(&info))
    }

    /// Whether signal `s` is blocked in this thread.
    pub fn is_blocked(&self, s: i32) -> bool {
        self.signals.mask & sig::bit(s) != 0
    }

    /// Whether signal `s` is ignored (SIG_IGN), without taking its
    /// disposition.
    pub fn is_ignored(&self, s: i32) -> bool {
        lock(&self.shared.actions)[s as usize - 1].handler == sig::SIG_IGN
    }

    /// How signal `s` is to be delivered now (`SA_RESETHAND` takes effect
    /// here).
    pub fn disposition(&self, s: i32) -> Disposition {
        let mut acts = lock(&self.shared.actions);
        let a = &mut acts[s as usize - 1];
        match a.handler {
            sig::SIG_IGN => Disposition::Ignore,
            sig::SIG_DFL => Disposition::Default(sig::default_action(s)),
            _ => {
                let act = *a;
                if act.flags & sig::SA_RESETHAND != 0 {
                    *a = SigAction::default();
                    sig::set_host_action(s, sig::SIG_DFL);
                }
                Disposition::Handler(act)
            }
        }
    }

    /// A handler for `s` with action `act` is being entered: returns the
    /// mask its frame must save, and blocks what the handler runs with.
    pub fn enter_handler(&mut self, s: i32, act: &SigAction) -> u64 {
        let saved = self.signals.saved_mask.take().unwrap_or(self.signals.mask);
        let mut m = self.signals.mask | act.mask;
        if act.flags & sig::SA_NODEFER == 0 {
            m |= sig::bit(s);
        }
        self.signals.mask = m & !UNBLOCKABLE;
        self.sync_mask();
        saved
    }

    /// Delivery is over for now: a mask saved by `rt_sigsuspend` that no
    /// handler took comes back.
    pub fn end_delivery(&mut self) {
        if let Some(m) = self.signals.saved_mask.take() {
            self.signals.mask = m;
        }
        self.sync_mask();
    }

    /// The `uc_stack` a signal frame records for stack pointer `sp`, and
    /// whether `sp` is on the alternate stack.
    pub fn altstack_for_frame(&self, sp: u64) -> (SigStack, bool) {
        let a = self.signals.altstack;
        let on = self.on_altstack(sp);
        let flags = if a.flags & SS_DISABLE != 0 || a.size == 0 {
            SS_DISABLE
        } else if on {
            SS_ONSTACK
        } else {
            a.flags & SS_AUTODISARM
        };
        (SigStack { flags, ..a }, on)
    }

    /// Whether `sp` lies on the alternate signal stack.
    pub fn on_altstack(&self, sp: u64) -> bool {
        let a = self.signals.altstack;
        a.flags & SS_DISABLE == 0 && a.size != 0 && sp > a.sp && sp - a.sp <= a.size
    }

    /// Where a handler with flags `flags` starts its frame when the
    /// interrupted code's stack pointer is `sp` (`SS_AUTODISARM` applies).
    pub fn signal_stack_top(&mut self, sp: u64, flags: u64) -> u64 {
        let a = self.signals.altstack;
        if flags & sig::SA_ONSTACK != 0
            && a.flags & SS_DISABLE == 0
            && a.size != 0
            && !self.on_altstack(sp)
        {
            if a.flags & SS_AUTODISARM != 0 {
                self.signals.altstack = SignalState::default().altstack;
            }
            return a.sp + a.size;
        }
        sp
    }

    /// `rt_sigreturn` restores `uc_stack` (errors are ignored, as Linux
    /// does).
    pub fn restore_altstack(&mut self, s: SigStack, sp: u64) {
        if self.on_altstack(sp) {
            return;
        }
        let mode = s.flags & !SS_AUTODISARM;
        let min = self.abi.minsigstksz.unwrap_or(2048);
        if mode == SS_DISABLE {
            self.signals.altstack = SignalState::default().altstack;
        } else if (mode == 0 || mode == SS_ONSTACK) && s.size >= min {
            self.signals.altstack = SigStack {
                flags: s.flags & SS_AUTODISARM,
                ..s
            };
        }
    }

    /// Sets the mask restored by `rt_sigreturn`.
    pub fn set_mask(&mut self, m: u64) {
        self.signals.mask = m & !UNBLOCKABLE;
        self.sync_mask();
    }
}

fn sys_rt_sigaction(p: &mut Process, a: [u64; 6]) -> SysResult {
    let s = a[0] as i32 as i64;
    if a[3] != 8 || !(1..=NSIG as i64).contains(&s) {
        return Err(Errno::EINVAL);
    }
    let idx = s as usize - 1;
    let c = p.codec();
    let new = if p.abi.ulong_arg(a[1]) != 0 {
        let b = p.read_mem(a[1], SigAction::size_of(&c))?;
        Some(SigAction::decode(&c, &b))
    } else {
        None
    };
    if new.is_some() && (s as usize == SIGKILL || s as usize == SIGSTOP) {
        return Err(Errno::EINVAL);
    }
    let old = lock(&p.shared.actions)[idx];
    if p.abi.ulong_arg(a[2]) != 0 {
        p.write_mem(a[2], &old.encode(&c))?;
    }
    if let Some(mut n) = new {
        n.mask &= !UNBLOCKABLE;
        lock(&p.shared.actions)[idx] = n;
        if n.handler > sig::SIG_IGN && (s as i32 == sig::SIGSEGV || s as i32 == sig::SIGBUS) {
            p.shared
                .precise_faults
                .store(true, std::sync::atomic::Ordering::Release);
            if p.slot.is_some() {
                thread::kick_all();
            }
        }
        if p.slot.is_some() {
            sig::set_host_action(s as i32, n.handler);
            // Ignoring a signal discards its pending instance.
            let ignored = n.handler == sig::SIG_IGN
                || n.handler == sig::SIG_DFL
                    && sig::default_action(s as i32) == DefaultAction::Ignore;
            if ignored {
                if let Some(slot) = p.slot {
                    thread::take(slot, s as i32);
                    p.sync_mask();
                }
            }
        }
    }
    Ok(0)
}

const SIG_BLOCK: u64 = 0;
const SIG_UNBLOCK: u64 = 1;
const SIG_SETMASK: u64 = 2;

fn sys_rt_sigprocmask(p: &mut Process, a: [u64; 6]) -> SysResult {
    if a[3] != 8 {
        return Err(Errno::EINVAL);
    }
    let c = p.codec();
    let set = if p.abi.ulong_arg(a[1]) != 0 {
        Some(decode_sigset(&c, &p.read_mem(a[1], 8)?))
    } else {
        None
    };
    let old = p.signals.mask;
    if let Some(set) = set {
        let m = match a[0] as u32 as u64 {
            SIG_BLOCK => old | set,
            SIG_UNBLOCK => old & !set,
            SIG_SETMASK => set,
            _ => return Err(Errno::EINVAL),
        };
        p.signals.mask = m & !UNBLOCKABLE;
        p.sync_mask();
    }
    if p.abi.ulong_arg(a[2]) != 0 {
        p.write_mem(a[2], &encode_sigset(&c, old))?;
    }
    Ok(0)
}

fn sys_sigaltstack(p: &mut Process, a: [u64; 6]) -> SysResult {
    let c = p.codec();
    let old = p.signals.altstack;
    if p.abi.ulong_arg(a[0]) != 0 {
        let n = SigStack::decode(&c, &p.read_mem(a[0], SigStack::size_of(&c))?);
        let mode = n.flags & !SS_AUTODISARM;
        if mode != 0 && mode != SS_DISABLE && mode != SS_ONSTACK {
            return Err(Errno::EINVAL);
        }
        let min = p.abi.minsigstksz.unwrap_or(2048);
        if mode != SS_DISABLE && n.size < min {
            return Err(Errno::ENOMEM);
        }
        p.signals.altstack = if mode == SS_DISABLE {
            SigStack {
                sp: 0,
                flags: SS_DISABLE,
                size: 0,
            }
        } else {
            SigStack {
                flags: n.flags & SS_AUTODISARM,
                ..n
            }
        };
    }
    if p.abi.ulong_arg(a[1]) != 0 {
        p.write_mem(a[1], &old.encode(&c))?;
    }
    Ok(0)
}

fn sys_rt_sigpending(p: &mut Process, a: [u64; 6]) -> SysResult {
    if a[1] != 8 {
        return Err(Errno::EINVAL);
    }
    let recorded = p.slot.map_or(0, thread::pending);
    let host = if p.slot.is_some() {
        sig::host_pending()
    } else {
        0
    };
    let set = (recorded | host) & p.signals.mask;
    p.write_mem(a[0], &encode_sigset(&p.codec(), set))?;
    Ok(0)
}

fn sys_rt_sigsuspend(p: &mut Process, a: [u64; 6]) -> SysResult {
    if a[1] != 8 {
        return Err(Errno::EINVAL);
    }
    let new = decode_sigset(&p.codec(), &p.read_mem(a[0], 8)?);
    suspend(p, new)
}

/// Waits with the signal mask `new` until a handler runs (`rt_sigsuspend`;
/// `pause` passes the current mask): always `EINTR`, never restarted, and
/// the old mask comes back after the handler.
pub(super) fn suspend(p: &mut Process, new: u64) -> SysResult {
    let new = new & !UNBLOCKABLE;
    p.set_no_restart();
    let Some(slot) = p.slot else {
        return Err(Errno::EINTR);
    };
    // With everything blocked, nothing can slip in between the check and
    // the wait; the host sigsuspend unblocks atomically.
    let _ = sig::block_all();
    let recorded = thread::pending(slot);
    if recorded & !new == 0 {
        let m = new | recorded;
        // SAFETY: an 8-byte kernel sigset; returns when a handler ran.
        unsafe { libc::syscall(libc::SYS_rt_sigsuspend, &m as *const u64, 8usize) };
    }
    p.signals.saved_mask = Some(p.signals.mask);
    p.signals.mask = new;
    p.sync_mask();
    Err(Errno::EINTR)
}

fn write_siginfo(p: &Process, addr: u64, info: &SigInfo) -> Result<(), Errno> {
    if p.abi.ulong_arg(addr) != 0 {
        p.write_mem(addr, &info.encode(&p.codec()))?;
    }
    Ok(())
}

fn sys_rt_sigtimedwait(p: &mut Process, a: [u64; 6]) -> SysResult {
    if a[3] != 8 {
        return Err(Errno::EINVAL);
    }
    let c = p.codec();
    let set = decode_sigset(&c, &p.read_mem(a[0], 8)?) & !UNBLOCKABLE;
    if let Some(slot) = p.slot {
        let ready = thread::pending(slot) & set;
        if ready != 0 {
            let s = ready.trailing_zeros() as i32 + 1;
            if let Some(info) = thread::take(slot, s) {
                p.sync_mask();
                write_siginfo(p, a[1], &SigInfo::from_host(&info))?;
                return Ok(s as u64);
            }
        }
    }
    let ts = if p.abi.ulong_arg(a[2]) != 0 {
        let t = TimePair::decode(&c, &p.read_mem(a[2], TimePair::size(&c))?);
        if t.sec < 0 || !(0..1_000_000_000).contains(&t.frac) {
            return Err(Errno::EINVAL);
        }
        Some(t.to_timespec())
    } else {
        None
    };
    // SAFETY: zeroed siginfo is valid.
    let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
    let tsp = ts
        .as_ref()
        .map_or(std::ptr::null(), |t| t as *const libc::timespec);
    // SAFETY: valid set, siginfo and optional timespec.
    let r = unsafe {
        libc::syscall(
            libc::SYS_rt_sigtimedwait,
            &set as *const u64,
            &mut info,
            tsp,
            8usize,
        )
    };
    if r < 0 {
        let e = Errno::last();
        if e == Errno::EINTR {
            p.set_no_restart();
        }
        return Err(e);
    }
    write_siginfo(p, a[1], &SigInfo::from_host(&info))?;
    Ok(r as u64)
}

fn read_siginfo(p: &Process, addr: u64) -> Result<SigInfo, Errno> {
    Ok(SigInfo::decode(
        &p.codec(),
        &p.read_mem(addr, SIGINFO_SIZE)?,
    ))
}

fn sys_rt_sigqueueinfo(p: &mut Process, a: [u64; 6]) -> SysResult {
    let s = super::proc_::host_signal(a[1])?;
    let mut info = read_siginfo(p, a[2])?;
    info.signo = s;
    let h = info.to_host();
    // SAFETY: valid siginfo; plain integers.
    super::host(unsafe {
        libc::syscall(
            libc::SYS_rt_sigqueueinfo,
            a[0] as i32,
            s,
            &h as *const libc::siginfo_t,
        )
    })
}

fn sys_rt_tgsigqueueinfo(p: &mut Process, a: [u64; 6]) -> SysResult {
    let s = super::proc_::host_signal(a[2])?;
    let mut info = read_siginfo(p, a[3])?;
    info.signo = s;
    let h = info.to_host();
    // SAFETY: valid siginfo; plain integers.
    super::host(unsafe {
        libc::syscall(
            libc::SYS_rt_tgsigqueueinfo,
            a[0] as i32,
            a[1] as i32,
            s,
            &h as *const libc::siginfo_t,
        )
    })
}

fn sys_rt_sigreturn(p: &mut Process, _: [u64; 6]) -> SysResult {
    p.set_outcome(SyscallOutcome::Sigreturn);
    Ok(0)
}
