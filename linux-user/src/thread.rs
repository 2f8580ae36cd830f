//! Guest threads: what the threads of one guest process share outside the
//! [`crate::Process`] handle each of them owns.
//!
//! Every guest thread is a host thread with its own cpu state and its own
//! translation engine (per-thread translation caches: nothing in tcg is
//! shared between threads). Two things must nevertheless reach every
//! thread:
//!
//! - **The thread registry** ([`SLOTS`]): a fixed array of slots, one per
//!   live thread, holding its host tid, a pointer to its cpu's
//!   `exit_request` flag and the guest signals the host signal handler
//!   recorded for it. Everything in a slot is an atomic, so the host signal
//!   handler may use it.
//! - **The invalidation log** ([`post`], [`catch_up`]): code ranges whose
//!   translations are stale (munmap, mprotect, self-modifying writes), with
//!   a sequence number. Posting sets every thread's `exit_request`; each
//!   thread's cpu loop replays what it has not seen on its own engine
//!   before it runs guest code again.

use std::cell::UnsafeCell;
use std::collections::VecDeque;
use std::mem::MaybeUninit;
use std::sync::atomic::{AtomicI32, AtomicPtr, AtomicU32, AtomicU64, Ordering};
use std::sync::Mutex;

/// Most guest threads alive at once.
pub const MAX_THREADS: usize = 1024;

/// One live guest thread, as seen by signal handlers and other threads.
pub struct Slot {
    /// Host (= guest) tid of the owner; 0 when the slot is free.
    tid: AtomicI32,
    /// The owner's `CpuCommon::exit_request`, null when not registered.
    exit_request: AtomicPtr<AtomicU32>,
    /// Guest signals recorded for this thread and not yet delivered
    /// (bit n-1 = signal n).
    pending: AtomicU64,
    /// The host `siginfo` of each recorded signal. Written by the host
    /// handler before it sets the pending bit; read by the owner before it
    /// clears it. Signals other than SIGSEGV/SIGBUS stay blocked on the host
    /// while their bit is set, so no second instance overwrites the info
    /// (real-time signals keep queueing in the host kernel meanwhile).
    infos: [UnsafeCell<MaybeUninit<libc::siginfo_t>>; 64],
}

// SAFETY: all fields but `infos` are atomics; `infos` follows the
// single-writer protocol documented on the field.
unsafe impl Sync for Slot {}

impl Slot {
    const fn new() -> Slot {
        Slot {
            tid: AtomicI32::new(0),
            exit_request: AtomicPtr::new(std::ptr::null_mut()),
            pending: AtomicU64::new(0),
            infos: [const { UnsafeCell::new(MaybeUninit::uninit()) }; 64],
        }
    }
}

/// The registry of live guest threads.
pub static SLOTS: [Slot; MAX_THREADS] = [const { Slot::new() }; MAX_THREADS];

fn gettid() -> i32 {
    // SAFETY: gettid cannot fail and is async-signal-safe.
    unsafe { libc::gettid() }
}

/// Registers the calling host thread, whose cpu has `exit_request`.
/// Returns its slot, or `None` when [`MAX_THREADS`] are alive.
pub fn register(exit_request: &AtomicU32) -> Option<usize> {
    let tid = gettid();
    for (i, s) in SLOTS.iter().enumerate() {
        if s.tid
            .compare_exchange(0, tid, Ordering::AcqRel, Ordering::Relaxed)
            .is_ok()
        {
            s.pending.store(0, Ordering::Release);
            s.exit_request.store(
                exit_request as *const AtomicU32 as *mut AtomicU32,
                Ordering::Release,
            );
            return Some(i);
        }
    }
    None
}

/// Frees `slot` (the thread is exiting). The cpu state it pointed at must
/// stay allocated: a concurrent [`kick_all`] may still write to it.
pub fn unregister(slot: usize) {
    let s = &SLOTS[slot];
    s.exit_request
        .store(std::ptr::null_mut(), Ordering::Release);
    s.pending.store(0, Ordering::Release);
    s.tid.store(0, Ordering::Release);
}

/// In a forked child the calling thread has a new tid: point `slot` at it.
/// A child inherits no pending signals.
pub fn rebind(slot: usize) {
    SLOTS[slot].pending.store(0, Ordering::Release);
    SLOTS[slot].tid.store(gettid(), Ordering::Release);
}

/// In a forked child only the calling thread exists: free every other
/// slot (their cpu states stay allocated, as always).
pub fn forget_others() {
    let tid = gettid();
    for (i, s) in SLOTS.iter().enumerate() {
        let t = s.tid.load(Ordering::Acquire);
        if t != 0 && t != tid {
            unregister(i);
        }
    }
}

/// The slot of the calling thread (async-signal-safe).
pub fn current() -> Option<usize> {
    let tid = gettid();
    SLOTS
        .iter()
        .position(|s| s.tid.load(Ordering::Acquire) == tid)
}

/// Number of registered threads.
pub fn live() -> usize {
    SLOTS
        .iter()
        .filter(|s| s.tid.load(Ordering::Acquire) != 0)
        .count()
}

/// The cpu state of `slot`'s thread (its `CpuCommon`, whose first field is
/// the registered `exit_request`), or null.
pub fn cpu_common(slot: usize) -> *mut tcg::CpuCommon {
    SLOTS[slot].exit_request.load(Ordering::Acquire) as *mut tcg::CpuCommon
}

/// Asks the cpu of `slot` to return to its loop (async-signal-safe).
pub fn kick(slot: usize) {
    let p = SLOTS[slot].exit_request.load(Ordering::Acquire);
    if !p.is_null() {
        // SAFETY: cpu states are never freed while registered, and recycled
        // rather than freed afterwards (see `unregister`).
        unsafe { (*p).store(1, Ordering::SeqCst) };
    }
}

/// Asks every cpu to return to its loop (async-signal-safe).
pub fn kick_all() {
    for i in 0..MAX_THREADS {
        kick(i);
    }
}

/// Records guest signal `sig` with host `info` for `slot` (from the host
/// signal handler). Returns false when it was already pending.
///
/// # Safety
/// `info` must point to a valid siginfo; only the host signal handler of
/// the slot's own thread may call this.
pub unsafe fn record(slot: usize, sig: i32, info: *const libc::siginfo_t) -> bool {
    let s = &SLOTS[slot];
    let bit = 1u64 << (sig - 1);
    if s.pending.load(Ordering::Acquire) & bit != 0 {
        return false;
    }
    // SAFETY: the bit is clear, so the owner is not reading this entry, and
    // no other instance of `sig` is being handled (see `Slot::infos`).
    unsafe { (*s.infos[(sig - 1) as usize].get()).write(std::ptr::read(info)) };
    s.pending.fetch_or(bit, Ordering::AcqRel);
    true
}

/// Records a signal generated by the emulator itself for `slot` (no host
/// signal involved), with the given host-format siginfo.
pub fn post_signal(slot: usize, info: libc::siginfo_t) {
    // SAFETY: a valid local siginfo; the owner calls this on itself.
    unsafe { record(slot, info.si_signo, &info) };
}

/// The word of `slot`'s pending bits, for [`crate::safe_syscall`]'s check.
pub fn pending_word(slot: usize) -> *const u64 {
    SLOTS[slot].pending.as_ptr()
}

/// Guest signals pending for `slot`.
pub fn pending(slot: usize) -> u64 {
    SLOTS[slot].pending.load(Ordering::Acquire)
}

/// Takes recorded signal `sig` of `slot` (its owner only).
pub fn take(slot: usize, sig: i32) -> Option<libc::siginfo_t> {
    let s = &SLOTS[slot];
    let bit = 1u64 << (sig - 1);
    if s.pending.load(Ordering::Acquire) & bit == 0 {
        return None;
    }
    // SAFETY: the bit is set, so the entry was written and no writer
    // touches it until the bit is cleared below.
    let info = unsafe { (*s.infos[(sig - 1) as usize].get()).assume_init_read() };
    s.pending.fetch_and(!bit, Ordering::AcqRel);
    Some(info)
}

/// A stale range of translated code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Inval {
    /// Guest addresses `start..end`.
    Range(u64, u64),
    /// Everything.
    All,
}

/// Entries the log keeps; a thread further behind flushes everything.
const LOG_KEEP: usize = 4096;

static SEQ: AtomicU64 = AtomicU64::new(0);
/// (sequence number, invalidation), oldest first.
static LOG: Mutex<VecDeque<(u64, Inval)>> = Mutex::new(VecDeque::new());

/// The current log position (a new thread starts here with an empty cache).
pub fn log_position() -> u64 {
    SEQ.load(Ordering::Acquire)
}

/// Publishes invalidations for every thread and kicks them all.
pub fn post(invs: impl IntoIterator<Item = Inval>) {
    let mut log = LOG.lock().unwrap_or_else(|e| e.into_inner());
    let mut seq = SEQ.load(Ordering::Acquire);
    let mut any = false;
    for i in invs {
        seq += 1;
        log.push_back((seq, i));
        any = true;
    }
    if !any {
        return;
    }
    while log.len() > LOG_KEEP {
        log.pop_front();
    }
    SEQ.store(seq, Ordering::Release);
    drop(log);
    kick_all();
}

/// Replays on `apply` what was posted after `*seen`, and advances it.
pub fn catch_up(seen: &mut u64, mut apply: impl FnMut(Inval)) {
    if SEQ.load(Ordering::Acquire) == *seen {
        return;
    }
    let log = LOG.lock().unwrap_or_else(|e| e.into_inner());
    let now = SEQ.load(Ordering::Acquire);
    match log.front() {
        Some(&(first, _)) if first <= *seen + 1 => {
            for &(s, i) in log.iter() {
                if s > *seen {
                    apply(i);
                }
            }
        }
        _ => apply(Inval::All),
    }
    *seen = now;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_replays_in_order_and_flushes_when_behind() {
        let mut seen = log_position();
        post([Inval::Range(0x1000, 0x2000), Inval::Range(0x5000, 0x6000)]);
        let mut got = Vec::new();
        catch_up(&mut seen, |i| got.push(i));
        // Other tests may post concurrently; ours must be there, in order.
        let a = got.iter().position(|&i| i == Inval::Range(0x1000, 0x2000));
        let b = got.iter().position(|&i| i == Inval::Range(0x5000, 0x6000));
        assert!(a.is_some() && b.is_some() && a < b, "{got:?}");
        let mut far_behind = 0u64;
        post((0..LOG_KEEP as u64 + 10).map(|i| Inval::Range(i, i + 1)));
        let mut got = Vec::new();
        catch_up(&mut far_behind, |i| got.push(i));
        assert_eq!(got, vec![Inval::All]);
    }

    #[test]
    fn registry_records_and_takes_signals() {
        let flag = AtomicU32::new(0);
        let slot = register(&flag).unwrap();
        assert_eq!(current(), Some(slot));
        // SAFETY: zeroed siginfo is valid.
        let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
        info.si_signo = 10;
        post_signal(slot, info);
        assert_eq!(pending(slot), 1 << 9);
        kick(slot);
        assert_eq!(flag.load(Ordering::SeqCst), 1);
        assert_eq!(take(slot, 10).unwrap().si_signo, 10);
        assert!(take(slot, 10).is_none());
        unregister(slot);
        assert_eq!(current(), None);
    }
}
