//! The stop-the-world state shared by the guest's cpu threads and the GDB
//! server thread.
//!
//! Every guest thread calls [`Debugger::before_insn`] before each guest
//! instruction while a debugger is attached (the cpu loop runs one
//! instruction per block then), and brackets blocking calls with
//! [`Debugger::enter_syscall`] / [`Debugger::leave_syscall`]. A thread that
//! hits a breakpoint, finishes a step or sees a watched value change stops
//! the world: it records the event, asks every other cpu to return to its
//! loop (the `kick` callback), and parks. The server reports the event to
//! GDB once no thread runs guest code any more (threads blocked in a system
//! call count as stopped, with the registers they had at the call), then
//! serves register and memory requests from the parked threads' snapshots
//! until GDB resumes.

use gdbstub::arch::Registers;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};

/// Guest memory as the debugger sees it (reads and writes on GDB's behalf).
pub trait Memory: Send + Sync {
    /// Copies guest memory at `addr` into `buf`; returns how many bytes
    /// from the start were readable.
    fn read(&self, addr: u64, buf: &mut [u8]) -> usize;
    /// Writes `data` at `addr`; false if any byte is not writable. The
    /// implementation drops translations of the bytes it changed.
    fn write(&self, addr: u64, data: &[u8]) -> bool;
    /// GDB's accesses that follow are on behalf of thread `tid` (system
    /// mode: addresses go through that cpu's translation regime). One
    /// address space for all threads (user mode) ignores it.
    fn select_thread(&self, _tid: u32) {}
}

/// Why a thread stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StopKind {
    /// Reached a software breakpoint (before executing it).
    Breakpoint,
    /// Executed the one instruction it was asked to step.
    Step,
    /// A write watchpoint at this address saw its value change.
    Watch(u64),
    /// GDB sent Ctrl-C.
    Interrupt,
    /// The thread is about to get this signal (Linux numbering).
    Signal(i32),
}

/// What the server reports to GDB.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Event {
    Stopped {
        tid: u32,
        kind: StopKind,
    },
    /// The process exited with this status.
    Exited(i32),
    /// The process was killed by this (host) signal.
    Killed(i32),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Run {
    /// Running guest code (or about to).
    Guest,
    /// Parked at an instruction boundary, registers in the snapshot.
    Parked,
    /// Inside a blocking call; the snapshot is read-only.
    Syscall,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Action {
    Continue,
    Step,
    /// Stays stopped through this resume (GDB's scheduler locking).
    Hold,
}

struct Thread<R> {
    run: Run,
    regs: Option<R>,
    /// GDB changed `regs`; the thread applies them when it resumes.
    dirty: bool,
    action: Action,
    /// The pc the thread resumed at: a breakpoint there does not stop it
    /// again before it has executed that instruction.
    resumed_at: Option<u64>,
    /// Instructions executed since the last resume (a step ends after one).
    executed: u64,
    /// The signal (Linux numbering) GDB resumed the thread with (`C`/`S`
    /// actions), taken when the thread leaves its parking place.
    signal: Option<i32>,
}

/// How a parked thread goes on when GDB resumes it.
#[derive(Debug)]
pub struct Resumed<R> {
    /// Registers GDB wrote, which the cpu must load before going on.
    pub regs: Option<R>,
    /// The signal GDB resumed the thread with: for a thread stopped by a
    /// signal, the one to deliver instead (`None`: GDB discarded it, as
    /// `handle SIG nopass` or `signal 0` do); for a thread stopped
    /// otherwise, one to deliver now (`signal SIG`).
    pub signal: Option<i32>,
}

impl<R> Default for Resumed<R> {
    fn default() -> Self {
        Resumed {
            regs: None,
            signal: None,
        }
    }
}

struct Watch {
    addr: u64,
    len: usize,
    last: Vec<u8>,
}

struct State<R> {
    /// False while GDB holds the world stopped.
    running: bool,
    /// Bumped on every resume; parked threads wait for it to change.
    generation: u64,
    /// The event that stopped the world, until the server takes it.
    pending: Option<Event>,
    /// The server sent an exit event to GDB (the exiting thread may go).
    exit_reported: bool,
    /// No debugger any more (GDB detached or disconnected).
    detached: bool,
    threads: BTreeMap<u32, Thread<R>>,
    breakpoints: BTreeSet<u64>,
    watches: Vec<Watch>,
    /// Resume actions GDB set for the next resume (others continue).
    actions: BTreeMap<u32, Action>,
    /// Signals GDB resumes threads with in the next resume.
    action_signals: BTreeMap<u32, i32>,
    /// Threads GDB did not name stay stopped in the next resume.
    lock_others: bool,
}

/// The debugger state of one guest process (or machine). `R` is the
/// guest's register snapshot type (its `gdbstub::arch::Arch::Registers`).
pub struct Debugger<R> {
    state: Mutex<State<R>>,
    cond: Condvar,
    kick: Box<dyn Fn() + Send + Sync>,
    memory: Box<dyn Memory>,
    /// GDB has connected (a running system-mode guest starts reporting
    /// to the debugger from then on).
    connected: AtomicBool,
    /// Told `true` once no thread runs guest code while the world is
    /// stopped, `false` when it runs again (system mode holds the guest's
    /// clock still in between).
    world_hook: OnceLock<WorldHook>,
}

type WorldHook = Box<dyn Fn(bool) + Send + Sync>;

impl<R: Registers<ProgramCounter = u64> + Send> Debugger<R> {
    /// A debugger whose world starts stopped: the first thread parks before
    /// its first instruction until GDB resumes it. `kick` makes every cpu
    /// return to its loop soon (it must not block).
    pub fn new(memory: Box<dyn Memory>, kick: Box<dyn Fn() + Send + Sync>) -> Self {
        Debugger {
            state: Mutex::new(State {
                running: false,
                generation: 0,
                pending: None,
                exit_reported: false,
                detached: false,
                threads: BTreeMap::new(),
                breakpoints: BTreeSet::new(),
                watches: Vec::new(),
                actions: BTreeMap::new(),
                action_signals: BTreeMap::new(),
                lock_others: false,
            }),
            cond: Condvar::new(),
            kick,
            memory,
            connected: AtomicBool::new(false),
            world_hook: OnceLock::new(),
        }
    }

    /// Installs the hook told when the world has stopped (`true`: no
    /// thread runs guest code) and when it runs again (`false`). Called
    /// with the debugger's state locked: it must not call back in.
    pub fn set_world_hook(&self, f: Box<dyn Fn(bool) + Send + Sync>) {
        let _ = self.world_hook.set(f);
    }

    /// Tells the hook once the stopped world has no thread in guest code.
    fn note_stopped(&self, s: &State<R>) {
        if !s.running && !s.detached && s.threads.values().all(|t| t.run != Run::Guest) {
            if let Some(f) = self.world_hook.get() {
                f(true);
            }
        }
    }

    fn note_running(&self) {
        if let Some(f) = self.world_hook.get() {
            f(false);
        }
    }

    /// Whether GDB has connected (cheap: no lock).
    pub fn connected(&self) -> bool {
        self.connected.load(Ordering::Acquire)
    }

    fn lock(&self) -> MutexGuard<'_, State<R>> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    // ---- cpu thread side ----

    /// A guest thread starts (it will park at its first instruction while
    /// the world is stopped).
    pub fn attach_thread(&self, tid: u32) {
        let mut s = self.lock();
        s.threads.insert(
            tid,
            Thread {
                run: Run::Guest,
                regs: None,
                dirty: false,
                action: Action::Continue,
                resumed_at: None,
                executed: 0,
                signal: None,
            },
        );
        self.cond.notify_all();
    }

    /// A guest thread ends.
    pub fn detach_thread(&self, tid: u32) {
        let mut s = self.lock();
        s.threads.remove(&tid);
        self.cond.notify_all();
    }

    /// Whether the debugger is gone (the cpu loop may run at full speed).
    pub fn detached(&self) -> bool {
        self.lock().detached
    }

    /// Called before each guest instruction at `pc`. `executed` says
    /// whether an instruction ran since the previous call. Parks while the
    /// world is stopped; returns how the thread goes on (registers GDB
    /// wrote, a signal GDB resumed it with).
    pub fn before_insn(
        &self,
        tid: u32,
        pc: u64,
        executed: bool,
        regs: impl FnOnce() -> R,
    ) -> Resumed<R> {
        let mut s = self.lock();
        if s.detached {
            return Resumed::default();
        }
        let mut stop = None;
        let (watch_hit, has_bp) = {
            let hit = if executed && !s.watches.is_empty() {
                self.check_watches(&mut s)
            } else {
                None
            };
            (hit, s.breakpoints.contains(&pc))
        };
        if let Some(t) = s.threads.get_mut(&tid) {
            if executed {
                t.executed += 1;
                t.resumed_at = None;
            }
            if let Some(a) = watch_hit {
                stop = Some(StopKind::Watch(a));
            } else if t.action == Action::Step && t.executed > 0 {
                stop = Some(StopKind::Step);
            } else if has_bp && t.resumed_at != Some(pc) {
                stop = Some(StopKind::Breakpoint);
            }
        }
        if let Some(kind) = stop {
            self.stop_world(&mut s, Event::Stopped { tid, kind });
        }
        if s.running {
            return Resumed::default();
        }
        self.park(s, tid, regs())
    }

    /// The thread is about to take signal `sig` (a fault, or one sent to
    /// it): GDB hears of it first and says which signal the thread takes
    /// (`Resumed::signal`; `None`: none). Parks like `before_insn`.
    pub fn signal(&self, tid: u32, sig: i32, regs: impl FnOnce() -> R) -> Resumed<R> {
        let mut s = self.lock();
        if s.detached {
            return Resumed {
                regs: None,
                signal: Some(sig),
            };
        }
        // When another thread's event is already stopping the world, GDB
        // does not hear of this signal and cannot discard it: it is
        // delivered after the resume.
        let reported = s.running;
        self.stop_world(
            &mut s,
            Event::Stopped {
                tid,
                kind: StopKind::Signal(sig),
            },
        );
        let mut r = self.park(s, tid, regs());
        if !reported {
            r.signal = Some(sig);
        }
        r
    }

    /// Compares watched bytes with their last values; returns the first
    /// changed watchpoint's address (all of them take their new values).
    fn check_watches(&self, s: &mut State<R>) -> Option<u64> {
        let mut hit = None;
        for w in &mut s.watches {
            let mut now = vec![0u8; w.len];
            let n = self.memory.read(w.addr, &mut now);
            now.truncate(n);
            if now != w.last {
                w.last = now;
                hit.get_or_insert(w.addr);
            }
        }
        hit
    }

    /// Stops every thread for `ev` (unless the world is already stopping).
    fn stop_world(&self, s: &mut State<R>, ev: Event) {
        if s.running {
            s.running = false;
            s.pending = Some(ev);
            (self.kick)();
            self.note_stopped(s);
            self.cond.notify_all();
        }
    }

    fn park(&self, mut s: MutexGuard<'_, State<R>>, tid: u32, regs: R) -> Resumed<R> {
        let gen = s.generation;
        {
            let Some(t) = s.threads.get_mut(&tid) else {
                return Resumed::default();
            };
            t.run = Run::Parked;
            t.regs = Some(regs);
            t.dirty = false;
        }
        self.note_stopped(&s);
        self.cond.notify_all();
        let mut gen = gen;
        loop {
            if s.detached {
                break;
            }
            if s.generation != gen {
                let held = s
                    .threads
                    .get(&tid)
                    .is_some_and(|t| t.action == Action::Hold);
                if !held {
                    break;
                }
                gen = s.generation;
            }
            s = self.cond.wait(s).unwrap_or_else(|e| e.into_inner());
        }
        let Some(t) = s.threads.get_mut(&tid) else {
            return Resumed::default();
        };
        t.run = Run::Guest;
        let regs = t.regs.take();
        let dirty = std::mem::take(&mut t.dirty);
        Resumed {
            regs: if dirty { regs } else { None },
            signal: t.signal.take(),
        }
    }

    /// The thread enters a call that may block (a system call); `regs` is
    /// what GDB sees of it meanwhile.
    pub fn enter_syscall(&self, tid: u32, regs: impl FnOnce() -> R) {
        let mut s = self.lock();
        if s.detached {
            return;
        }
        let r = regs();
        if let Some(t) = s.threads.get_mut(&tid) {
            t.run = Run::Syscall;
            t.regs = Some(r);
        }
        self.note_stopped(&s);
        self.cond.notify_all();
    }

    /// The call returned; waits while the world is stopped.
    pub fn leave_syscall(&self, tid: u32) {
        let mut s = self.lock();
        while !s.detached
            && (!s.running
                || s.threads
                    .get(&tid)
                    .is_some_and(|t| t.action == Action::Hold))
        {
            s = self.cond.wait(s).unwrap_or_else(|e| e.into_inner());
        }
        if let Some(t) = s.threads.get_mut(&tid) {
            t.run = Run::Guest;
            t.regs = None;
        }
    }

    /// The process ends with `ev` (`Exited` or `Killed`): GDB is told
    /// before the caller exits (waits up to a few seconds for the server).
    pub fn process_exit(&self, ev: Event) {
        let mut s = self.lock();
        if s.detached {
            return;
        }
        s.running = false;
        s.pending = Some(ev);
        s.exit_reported = false;
        self.cond.notify_all();
        let deadline = Instant::now() + Duration::from_secs(5);
        while !s.detached && !s.exit_reported {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            s = self
                .cond
                .wait_timeout(s, left)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
    }

    // ---- server side ----

    /// Waits until the world has stopped (or the process ended) and
    /// returns why; `None` when `poll` (checked every few milliseconds)
    /// says GDB sent something first.
    pub fn wait_stop(&self, mut poll: impl FnMut() -> bool) -> Option<Event> {
        let mut s = self.lock();
        loop {
            if let Some(ev) = s.pending {
                let exit = matches!(ev, Event::Exited(_) | Event::Killed(_));
                if exit || s.threads.values().all(|t| t.run != Run::Guest) {
                    s.pending = None;
                    return Some(ev);
                }
            }
            s = self
                .cond
                .wait_timeout(s, Duration::from_millis(10))
                .unwrap_or_else(|e| e.into_inner())
                .0;
            if s.pending.is_none() {
                drop(s);
                if poll() {
                    return None;
                }
                s = self.lock();
            }
        }
    }

    /// Waits until at least one thread exists and none runs guest code (the
    /// initial stop, before GDB's first request).
    pub fn wait_stopped(&self) {
        let mut s = self.lock();
        while s.threads.is_empty() || s.threads.values().any(|t| t.run == Run::Guest) {
            if s.pending
                .is_some_and(|e| matches!(e, Event::Exited(_) | Event::Killed(_)))
            {
                return;
            }
            s = self
                .cond
                .wait_timeout(s, Duration::from_millis(10))
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
    }

    /// The exit event has been sent to GDB.
    pub fn exit_reported(&self) {
        let mut s = self.lock();
        s.exit_reported = true;
        self.cond.notify_all();
    }

    /// GDB pressed Ctrl-C: stop the world (reported by `wait_stop`).
    pub fn interrupt(&self) {
        let mut s = self.lock();
        let tid = s.threads.keys().next().copied().unwrap_or(0);
        self.stop_world(
            &mut s,
            Event::Stopped {
                tid,
                kind: StopKind::Interrupt,
            },
        );
    }

    /// GDB connected: a world that runs (system mode without `-S`) stops
    /// first, as if GDB had pressed Ctrl-C.
    pub fn stop_for_attach(&self) {
        self.connected.store(true, Ordering::Release);
        let mut s = self.lock();
        if s.running && !s.detached {
            let tid = s.threads.keys().next().copied().unwrap_or(0);
            self.stop_world(
                &mut s,
                Event::Stopped {
                    tid,
                    kind: StopKind::Interrupt,
                },
            );
        }
    }

    /// Forgets the actions of the previous resume.
    pub fn clear_actions(&self) {
        let mut s = self.lock();
        s.actions.clear();
        s.action_signals.clear();
        s.lock_others = false;
    }

    /// Threads without an action stay stopped in the next resume.
    pub fn lock_scheduler(&self) {
        self.lock().lock_others = true;
    }

    /// GDB's action for `tid` in the next resume: continue or step, with
    /// the signal (Linux numbering) it resumes the thread with, if any.
    pub fn set_action(&self, tid: u32, step: bool, signal: Option<i32>) {
        let a = if step { Action::Step } else { Action::Continue };
        let mut s = self.lock();
        s.actions.insert(tid, a);
        match signal {
            Some(sig) => s.action_signals.insert(tid, sig),
            None => s.action_signals.remove(&tid),
        };
    }

    /// Restarts every thread with its action (continue unless told to step).
    pub fn resume(&self) {
        let mut s = self.lock();
        let actions = std::mem::take(&mut s.actions);
        let signals = std::mem::take(&mut s.action_signals);
        let default = if std::mem::take(&mut s.lock_others) {
            Action::Hold
        } else {
            Action::Continue
        };
        for (tid, t) in s.threads.iter_mut() {
            t.action = actions.get(tid).copied().unwrap_or(default);
            t.signal = signals.get(tid).copied();
            t.executed = 0;
            t.resumed_at = t.regs.as_ref().map(|r| r.pc());
        }
        s.pending = None;
        s.running = true;
        s.generation += 1;
        self.note_running();
        self.cond.notify_all();
    }

    /// GDB went away: breakpoints and watchpoints go, every thread runs on
    /// undisturbed.
    pub fn detach(&self) {
        let mut s = self.lock();
        s.detached = true;
        s.breakpoints.clear();
        s.watches.clear();
        s.running = true;
        s.generation += 1;
        self.note_running();
        self.cond.notify_all();
    }

    /// Live guest threads, in tid order.
    pub fn threads(&self) -> Vec<u32> {
        self.lock().threads.keys().copied().collect()
    }

    /// A stopped thread's registers.
    pub fn regs(&self, tid: u32) -> Option<R> {
        self.lock().threads.get(&tid).and_then(|t| t.regs.clone())
    }

    /// Replaces a parked thread's registers; false for a thread that is
    /// running or blocked in a system call.
    pub fn set_regs(&self, tid: u32, regs: R) -> bool {
        let mut s = self.lock();
        match s.threads.get_mut(&tid) {
            Some(t) if t.run == Run::Parked => {
                t.regs = Some(regs);
                t.dirty = true;
                true
            }
            _ => false,
        }
    }

    /// Reads memory as thread `tid` sees it.
    pub fn read_memory(&self, tid: u32, addr: u64, buf: &mut [u8]) -> usize {
        self.memory.select_thread(tid);
        self.memory.read(addr, buf)
    }

    /// Writes memory as thread `tid` sees it.
    pub fn write_memory(&self, tid: u32, addr: u64, data: &[u8]) -> bool {
        self.memory.select_thread(tid);
        let ok = self.memory.write(addr, data);
        if ok {
            // Watched values GDB itself changed are not guest writes.
            let mut s = self.lock();
            let mem = &self.memory;
            for w in &mut s.watches {
                let mut now = vec![0u8; w.len];
                let n = mem.read(w.addr, &mut now);
                now.truncate(n);
                w.last = now;
            }
        }
        ok
    }

    pub fn add_breakpoint(&self, addr: u64) -> bool {
        self.lock().breakpoints.insert(addr);
        true
    }

    pub fn remove_breakpoint(&self, addr: u64) -> bool {
        self.lock().breakpoints.remove(&addr)
    }

    /// A write watchpoint on `len` bytes at `addr`.
    pub fn add_watch(&self, addr: u64, len: usize) -> bool {
        let mut last = vec![0u8; len];
        let n = self.memory.read(addr, &mut last);
        last.truncate(n);
        self.lock().watches.push(Watch { addr, len, last });
        true
    }

    pub fn remove_watch(&self, addr: u64, len: usize) -> bool {
        let mut s = self.lock();
        match s
            .watches
            .iter()
            .position(|w| w.addr == addr && w.len == len)
        {
            Some(i) => {
                s.watches.remove(i);
                true
            }
            None => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[derive(Debug, Default, Clone, PartialEq)]
    struct Regs {
        pc: u64,
    }

    impl Registers for Regs {
        type ProgramCounter = u64;
        fn pc(&self) -> u64 {
            self.pc
        }
        fn gdb_serialize(&self, mut w: impl FnMut(Option<u8>)) {
            self.pc.to_le_bytes().iter().for_each(|&b| w(Some(b)));
        }
        fn gdb_deserialize(&mut self, b: &[u8]) -> Result<(), ()> {
            self.pc = u64::from_le_bytes(b.try_into().map_err(|_| ())?);
            Ok(())
        }
    }

    struct NoMemory;
    impl Memory for NoMemory {
        fn read(&self, _: u64, _: &mut [u8]) -> usize {
            0
        }
        fn write(&self, _: u64, _: &[u8]) -> bool {
            false
        }
    }

    /// A fake cpu: runs straight-line 4-byte instructions from 0x100 until
    /// pc 0x140, calling the hooks as a cpu loop does.
    fn cpu(d: Arc<Debugger<Regs>>) -> std::thread::JoinHandle<Vec<u64>> {
        d.attach_thread(7);
        std::thread::spawn(move || {
            let mut pc = 0x100;
            let mut executed = false;
            let mut jumps = Vec::new();
            while pc < 0x140 {
                if let Some(r) = d.before_insn(7, pc, executed, || Regs { pc }).regs {
                    jumps.push(r.pc);
                    pc = r.pc;
                }
                pc += 4;
                executed = true;
            }
            d.detach_thread(7);
            jumps
        })
    }

    #[test]
    fn breakpoint_step_register_write_and_detach() {
        let d = Arc::new(Debugger::new(Box::new(NoMemory), Box::new(|| {})));
        let t = cpu(d.clone());
        d.wait_stopped();
        assert_eq!(d.threads(), vec![7]);
        assert_eq!(d.regs(7), Some(Regs { pc: 0x100 }));
        assert!(d.add_breakpoint(0x108));
        d.resume();
        let stop = d.wait_stop(|| false);
        assert_eq!(
            stop,
            Some(Event::Stopped {
                tid: 7,
                kind: StopKind::Breakpoint
            })
        );
        assert_eq!(d.regs(7).map(|r| r.pc), Some(0x108));
        // Stepping from the breakpoint executes it once and stops after.
        d.clear_actions();
        d.set_action(7, true, None);
        d.resume();
        assert_eq!(
            d.wait_stop(|| false),
            Some(Event::Stopped {
                tid: 7,
                kind: StopKind::Step
            })
        );
        assert_eq!(d.regs(7).map(|r| r.pc), Some(0x10c));
        // A register write moves the thread; then GDB goes away.
        assert!(d.set_regs(7, Regs { pc: 0x120 }));
        d.clear_actions();
        d.resume();
        d.detach();
        assert_eq!(t.join().unwrap(), vec![0x120]);
    }

    /// A thread about to take a signal: GDB discards it when it resumes
    /// without one, substitutes another when it names one.
    #[test]
    fn signals_are_suppressed_or_replaced_by_the_resume_action() {
        let d = Arc::new(Debugger::new(Box::new(NoMemory), Box::new(|| {})));
        d.attach_thread(9);
        let d2 = d.clone();
        let t = std::thread::spawn(move || {
            // Parks at the first instruction, then takes two signals.
            let first = d2.before_insn(9, 0x100, false, || Regs { pc: 0x100 });
            assert!(first.regs.is_none() && first.signal.is_none());
            let a = d2.signal(9, 10, || Regs { pc: 0x104 }).signal;
            let b = d2.signal(9, 12, || Regs { pc: 0x108 }).signal;
            d2.detach_thread(9);
            (a, b)
        });
        d.wait_stopped();
        d.resume();
        let stop = |sig| {
            Some(Event::Stopped {
                tid: 9,
                kind: StopKind::Signal(sig),
            })
        };
        assert_eq!(d.wait_stop(|| false), stop(10));
        d.clear_actions();
        d.set_action(9, false, None);
        d.resume();
        assert_eq!(d.wait_stop(|| false), stop(12));
        d.clear_actions();
        d.set_action(9, false, Some(15));
        d.resume();
        assert_eq!(t.join().unwrap(), (None, Some(15)));
    }
}
