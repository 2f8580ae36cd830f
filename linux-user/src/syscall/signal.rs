//! Signal state syscalls: `rt_sigaction`, `rt_sigprocmask`, `sigaltstack`,
//! `rt_sigpending`.
//!
//! For now these *record* what the guest asks for and report it back
//! faithfully; no signal is delivered to guest handlers yet (that needs the
//! cpu loop to build guest signal frames: later work). Host signals keep
//! their host dispositions meanwhile.

use super::{Handler, Process, SysResult};
use crate::errno::Errno;
use crate::layout::misc::{decode_sigset, encode_sigset, SigAction, SigStack};

pub(super) const HANDLERS: &[(&str, Handler)] = &[
    ("rt_sigaction", sys_rt_sigaction),
    ("rt_sigprocmask", sys_rt_sigprocmask),
    ("sigaltstack", sys_sigaltstack),
    ("rt_sigpending", sys_rt_sigpending),
];

/// Number of signals (`_NSIG`).
pub const NSIG: usize = 64;
const SIGKILL: usize = 9;
const SIGSTOP: usize = 19;
/// Bits of SIGKILL and SIGSTOP, which can be neither blocked nor caught.
const UNBLOCKABLE: u64 = (1 << (SIGKILL - 1)) | (1 << (SIGSTOP - 1));

const SS_ONSTACK: i32 = 1;
const SS_DISABLE: i32 = 2;
const SS_AUTODISARM: i32 = 1 << 31;

/// The guest's recorded signal state.
#[derive(Clone, Debug)]
pub struct SignalState {
    /// Dispositions of signals 1..=64 (index = signal - 1).
    pub actions: [SigAction; NSIG],
    /// Blocked signals (bit n-1 = signal n).
    pub mask: u64,
    /// The alternate signal stack.
    pub altstack: SigStack,
}

impl Default for SignalState {
    fn default() -> Self {
        SignalState {
            actions: [SigAction::default(); NSIG],
            mask: 0,
            altstack: SigStack {
                sp: 0,
                flags: SS_DISABLE,
                size: 0,
            },
        }
    }
}

fn sys_rt_sigaction(p: &mut Process, a: [u64; 6]) -> SysResult {
    let sig = a[0] as i32 as i64;
    if a[3] != 8 || !(1..=NSIG as i64).contains(&sig) {
        return Err(Errno::EINVAL);
    }
    let idx = sig as usize - 1;
    let c = p.codec();
    let new = if p.abi.ulong_arg(a[1]) != 0 {
        let b = p.read_mem(a[1], SigAction::size_of(&c))?;
        Some(SigAction::decode(&c, &b))
    } else {
        None
    };
    if new.is_some() && (sig as usize == SIGKILL || sig as usize == SIGSTOP) {
        return Err(Errno::EINVAL);
    }
    let old = p.signals.actions[idx];
    if p.abi.ulong_arg(a[2]) != 0 {
        p.write_mem(a[2], &old.encode(&c))?;
    }
    if let Some(mut n) = new {
        n.mask &= !UNBLOCKABLE;
        p.signals.actions[idx] = n;
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
    // Nothing is ever pending for the guest yet.
    p.write_mem(a[0], &encode_sigset(&p.codec(), 0))?;
    Ok(0)
}
