//! The user-mode cpu loop every guest shares: runs guest code on the tcg
//! engine and turns guest exits into Linux behaviour: system calls, faults
//! to synchronous signals, pending signals to handler frames, threads
//! (`clone`), thread and process exit, and the debugger's stops. A guest
//! supplies only its ABI glue through [`UserGuest`]: where the syscall
//! number and arguments are, how a result returns, its exceptions, its
//! signal frame, how a new thread's registers start.
//!
//! Every guest thread runs `thread_loop` on its own host thread with its
//! own cpu state and `Engine`. After each return from the engine the
//! thread replays the shared invalidation log ([`crate::thread`]) on its
//! engine, so code dropped by another thread (munmap, mprotect,
//! self-modifying writes) is never run again.

use crate::elf::{load_program, LoadedProgram};
use crate::errno::{self, Errno};
use crate::run::{die_by_signal, RunError, RunOptions};
use crate::signal::{self as sig, DefaultAction, SigInfo};
use crate::space::GuestSpace;
use crate::syscall::signal::Disposition;
use crate::syscall::{lock, Process, SyscallOutcome, ThreadRequest};
use crate::thread::{self, Inval};
use crate::GuestAbi;
use std::any::Any;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Condvar, Mutex};
use tcg::cpu::CpuCommon;
use tcg::exec::{BackendKind, Engine, GuestExit, LogFlags, MemFault};
use tcg::guest::Frontend;
use tcg::CodeReader;

/// The signal frame could not be written or read back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BadFrame;

/// A guest's ABI glue for the shared loop. `Self` is a small value (the cpu
/// model) every thread's engine is made from.
pub trait UserGuest: Clone + Send + Sync + 'static {
    /// The guest state (`#[repr(C)]`, starting with [`CpuCommon`]).
    type Cpu: Default + 'static;
    /// What a synchronous signal's frame records about the fault.
    type Fault: Copy;

    fn abi(&self) -> &'static GuestAbi;
    fn frontend(&self) -> Box<dyn Frontend + Send>;
    /// The guest address space, sized by `-R`/`-B` where the guest allows.
    fn address_space(&self, opts: &RunOptions) -> Result<GuestSpace, RunError>;
    /// Things the guest maps before it runs (ARM's kuser helpers).
    fn prepare(&self, _p: &Process) -> Result<(), RunError> {
        Ok(())
    }
    fn cpuinfo(&self) -> String;
    /// The first thread's registers at the program's entry.
    fn start(&self, cpu: &mut Self::Cpu, loaded: &LoadedProgram);
    /// `-g`: the debugger, or a clear error when the guest has none.
    fn debugger(
        &self,
        port: u16,
        space: &Arc<GuestSpace>,
    ) -> Result<Arc<dyn ThreadDebugger<Self::Cpu>>, RunError>;

    fn common(cpu: &Self::Cpu) -> &CpuCommon;
    fn common_mut(cpu: &mut Self::Cpu) -> &mut CpuCommon;
    fn pc(cpu: &Self::Cpu) -> u64;
    /// The exit code of a system call instruction.
    const SVC: u32;
    /// The syscall number and its arguments (register pairs joined).
    fn syscall_args(cpu: &Self::Cpu, abi: &GuestAbi) -> (u64, [u64; 6]);
    /// Calls the guest handles itself (ARM's private calls, non-RT
    /// `sigreturn`): `Some(None)` when done with no result to return.
    fn own_syscall(
        _cpu: &mut Self::Cpu,
        _p: &mut Process,
        _nr: u64,
    ) -> Option<Option<SyscallOutcome>> {
        None
    }
    fn set_return(cpu: &mut Self::Cpu, v: i64);
    /// Moves pc back to the system call instruction (`back`), or past it.
    fn step_svc(cpu: &mut Self::Cpu, back: bool);
    /// The signal for a guest exception other than SVC (`None`: nothing,
    /// e.g. a yield).
    fn exception(cpu: &Self::Cpu, p: &Process, code: u32)
        -> Option<(SigInfo, Option<Self::Fault>)>;
    /// The frame detail of a host fault in guest memory (precise mode).
    fn mem_fault(f: &MemFault, signo: i32, mapped: bool) -> Self::Fault;
    fn setup_frame(
        cpu: &mut Self::Cpu,
        p: &mut Process,
        info: &SigInfo,
        act: &crate::layout::misc::SigAction,
        saved_mask: u64,
        fault: Option<Self::Fault>,
    ) -> Result<(), BadFrame>;
    /// `rt_sigreturn`.
    fn restore_frame(cpu: &mut Self::Cpu, p: &mut Process) -> Result<(), BadFrame>;
    /// A new thread's registers: the parent's, with the child's result,
    /// stack and TLS from `req`.
    fn clone_cpu(parent: &Self::Cpu, child: &mut Self::Cpu, req: &ThreadRequest);
}

/// What the loop asks of an attached debugger, in the guest's own state.
pub trait ThreadDebugger<C>: Send + Sync {
    fn attach_thread(&self, tid: u32);
    fn detach_thread(&self, tid: u32);
    /// Before each instruction (`executed`: one ran since the last call);
    /// may rewrite registers. Returns a signal GDB resumed the thread with
    /// (`signal SIG`), to deliver now.
    fn before_insn(&self, tid: u32, cpu: &mut C, executed: bool) -> Option<i32>;
    fn detached(&self) -> bool;
    /// The thread is about to take `sig`; returns the signal it takes
    /// instead (`None`: GDB discarded it).
    fn signal(&self, tid: u32, cpu: &mut C, sig: i32) -> Option<i32>;
    fn enter_syscall(&self, tid: u32, cpu: &C);
    fn leave_syscall(&self, tid: u32);
}

/// Reads guest code from the address space, refusing non-executable pages.
struct SpaceCode {
    space: Arc<GuestSpace>,
}

impl SpaceCode {
    fn bytes<const N: usize>(&self, addr: u64) -> Option<[u8; N]> {
        let space = &self.space;
        if !space.is_exec(addr) || !space.is_exec(addr + N as u64 - 1) {
            return None;
        }
        let mut b = [0u8; N];
        space.fetch(addr, &mut b).ok()?;
        Some(b)
    }
}

impl CodeReader for SpaceCode {
    fn read_u32(&self, addr: u64) -> Option<u32> {
        self.bytes::<4>(addr).map(u32::from_le_bytes)
    }
    fn read_u16(&self, addr: u64) -> Option<u16> {
        self.bytes::<2>(addr).map(u16::from_le_bytes)
    }
    fn read_u8(&self, addr: u64) -> Option<u8> {
        self.bytes::<1>(addr).map(|b| b[0])
    }
    fn translated(&self, start: u64, end: u64) {
        let mut page = start & !0xfff;
        while page < end {
            crate::smc::protect(page, self.space.check(page, 1, libc::PROT_WRITE));
            page += 0x1000;
        }
    }
}

/// What every thread's engine is built from.
struct Config<G: UserGuest> {
    guest: G,
    backend: BackendKind,
    log: LogFlags,
    one_insn_per_tb: bool,
    strace: bool,
    /// `-g`: the debugger every thread reports to.
    gdb: Option<Arc<dyn ThreadDebugger<G::Cpu>>>,
}

impl<G: UserGuest> Clone for Config<G> {
    fn clone(&self) -> Self {
        Config {
            guest: self.guest.clone(),
            backend: self.backend,
            log: self.log,
            one_insn_per_tb: self.one_insn_per_tb,
            strace: self.strace,
            gdb: self.gdb.clone(),
        }
    }
}

impl<G: UserGuest> Config<G> {
    fn engine(&self, space: &Arc<GuestSpace>) -> Engine {
        let code = SpaceCode {
            space: space.clone(),
        };
        let mut e = Engine::new(self.guest.frontend(), self.backend, Box::new(code));
        e.log = self.log;
        if self.one_insn_per_tb {
            e.set_max_insns(1);
        }
        e
    }
}

/// A cpu state that may move to another host thread.
struct Cpu<C>(Box<C>);

// SAFETY: the only non-Send field of a guest state is the jump cache
// pointer, which the engine of the thread running the cpu sets on every
// entry.
unsafe impl<C> Send for Cpu<C> {}

/// A pooled cpu state (one guest type per process).
struct Pooled(Box<dyn Any>);
// SAFETY: as for `Cpu`.
unsafe impl Send for Pooled {}

/// Cpu states of exited threads. They are reused, never freed: another
/// thread may still be kicking a state it found in the registry.
static CPU_POOL: Mutex<Vec<Pooled>> = Mutex::new(Vec::new());

fn alloc_cpu<C: Default + 'static>() -> Cpu<C> {
    if let Some(Pooled(b)) = lock(&CPU_POOL).pop() {
        if let Ok(mut c) = b.downcast::<C>() {
            *c = C::default();
            return Cpu(c);
        }
    }
    Cpu(Box::<C>::default())
}

fn free_cpu<C: 'static>(cpu: Cpu<C>) {
    lock(&CPU_POOL).push(Pooled(cpu.0));
}

/// Woken whenever a thread exits (the main thread may wait for the rest).
static EXITED: (Mutex<()>, Condvar) = (Mutex::new(()), Condvar::new());

/// Loads the program and runs it to the end; returns the exit status.
pub fn run<G: UserGuest>(guest: G, opts: &RunOptions) -> Result<i32, RunError> {
    if let Some(s) = opts.load.random_seed {
        crate::rng::seed(s);
    }
    let abi = guest.abi();
    let mut space = guest.address_space(opts)?;
    let loaded = load_program(
        &mut space,
        abi,
        &opts.program,
        &opts.argv,
        &opts.envp,
        &opts.load,
    )?;
    let mut process = Process::new(
        space,
        abi,
        loaded.exe_path.clone(),
        opts.load.ld_prefix.clone(),
    );
    process.uname_release = opts.uname_release.clone();
    process.exec_prefix.extend(opts.exec_args.iter().cloned());
    process.proc_info = Arc::new(crate::procfs::ProcInfo {
        auxv: read_auxv(&process.space, loaded.stack_pointer, abi.bits / 8),
        cmdline: opts
            .argv
            .iter()
            .flat_map(|a| a.iter().copied().chain([0]))
            .collect(),
        cpuinfo: guest.cpuinfo(),
        stack: (loaded.stack_low, loaded.stack_top),
        brk_start: loaded.brk,
    });
    guest.prepare(&process)?;
    let gdb = match opts.gdb_port {
        Some(port) => Some(guest.debugger(port, &process.space)?),
        None => None,
    };
    let cfg = Config {
        guest,
        backend: opts.backend,
        log: opts.log,
        one_insn_per_tb: opts.one_insn_per_tb,
        strace: opts.strace,
        gdb,
    };
    let Cpu(mut cpu) = alloc_cpu::<G::Cpu>();
    G::common_mut(&mut cpu).guest_base = process.space.base() as u64;
    cfg.guest.start(&mut cpu, &loaded);
    crate::smc::init(process.space.base(), process.space.size())
        .map_err(|e| RunError::Other(format!("cannot watch guest code: {e}")))?;
    let inherited = sig::init();
    sig::set_fault_hook(sig::guest_fault_hook);
    process.inherit_signals(&inherited);
    let slot = thread::register(&G::common(&cpu).exit_request)
        .ok_or_else(|| RunError::Other("no thread slot".into()))?;
    process.slot = Some(slot);
    process.sync_mask();
    let code = thread_loop(&cfg, Cpu(cpu), process, true);
    crate::gdb::report_exit(code);
    Ok(code)
}

/// The auxv pairs (up to and including `AT_NULL`) above the initial
/// stack's argv and envp, with `word`-byte (little-endian) words.
fn read_auxv(space: &GuestSpace, sp: u64, word: u32) -> Vec<u8> {
    let w = u64::from(word);
    let read = |a: u64| {
        let mut b = [0u8; 8];
        space
            .read(a, &mut b[..word as usize])
            .ok()
            .map(|()| u64::from_le_bytes(b))
    };
    let Some(argc) = read(sp) else {
        return Vec::new();
    };
    let mut a = sp + w * (argc + 2);
    while let Some(v) = read(a) {
        a += w;
        if v == 0 {
            break;
        }
    }
    let start = a;
    while let Some(t) = read(a) {
        a += 2 * w;
        if t == 0 || a - start > 4096 {
            break;
        }
    }
    space
        .read_vec(start, (a - start) as usize)
        .unwrap_or_default()
}

/// One thread's view of the debugger.
struct Gdb<C: 'static> {
    tid: u32,
    d: Option<Arc<dyn ThreadDebugger<C>>>,
}

thread_local! {
    /// Signals GDB told this thread to take (`signal SIG`): delivered
    /// without stopping for GDB again.
    static GDB_INJECTED: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

impl<C> Gdb<C> {
    /// GDB hears of signal `info` before the thread takes it (and may
    /// change its registers meanwhile). Returns the signal to deliver: the
    /// same, the one GDB substituted, or none when GDB discarded it
    /// (`handle SIG nopass`, `signal 0`), as a ptrace stop lets a debugger
    /// do.
    fn signal(&self, cpu: &mut C, info: SigInfo) -> Option<SigInfo> {
        let s = info.signo;
        let bit = sig::bit(s);
        let injected = GDB_INJECTED.with(|g| {
            let had = g.get() & bit != 0;
            g.set(g.get() & !bit);
            had
        });
        let Some(d) = self.d.as_ref().filter(|_| !injected) else {
            return Some(info);
        };
        match d.signal(self.tid, cpu, s) {
            Some(n) if n == s => Some(info),
            // SAFETY: getuid cannot fail.
            Some(n) => Some(SigInfo::user(n, 0, unsafe { libc::getuid() })),
            None => None,
        }
    }
}

/// GDB resumed this thread (stopped by a breakpoint, a step or Ctrl-C)
/// with signal `s`: it is queued for the thread like one sent to it.
fn gdb_inject(s: i32) {
    if !(1..=64).contains(&s) {
        return;
    }
    let Some(slot) = thread::current() else {
        return;
    };
    GDB_INJECTED.with(|g| g.set(g.get() | sig::bit(s)));
    // SAFETY: a zeroed siginfo is valid; the fields set are plain data.
    let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
    info.si_signo = s;
    info.si_code = sig::SI_USER;
    thread::post_signal(slot, info);
}

/// Runs one guest thread until it exits; returns the exit status (the
/// main thread's is the process's, once every thread is gone).
fn thread_loop<G: UserGuest>(
    cfg: &Config<G>,
    cpu: Cpu<G::Cpu>,
    mut process: Process,
    main: bool,
) -> i32 {
    let Cpu(mut cpu) = cpu;
    let mut engine = cfg.engine(&process.space);
    let mut seen = thread::log_position();
    let env = &mut *cpu as *mut G::Cpu as *mut u8;
    // SAFETY: gettid cannot fail.
    let tid = unsafe { libc::gettid() } as u32;
    let mut gdb = Gdb {
        tid,
        d: cfg.gdb.clone(),
    };
    if let Some(d) = &gdb.d {
        // One instruction per block, back in the loop after each.
        d.attach_thread(tid);
        engine.set_max_insns(1);
        engine.set_single_block(true);
    }
    let mut execs = 0;
    loop {
        if let Some(d) = gdb.d.clone() {
            let now = engine.stats.interp_execs + engine.stats.jit_entries;
            let injected = d.before_insn(tid, &mut cpu, now != execs);
            execs = now;
            if let Some(s) = injected {
                gdb_inject(s);
                deliver_signals::<G>(&mut cpu, &mut process, &gdb, false);
            }
            if d.detached() {
                // GDB is gone: full speed again.
                engine.set_single_block(false);
                if !cfg.one_insn_per_tb {
                    engine.set_max_insns(512);
                }
                gdb.d = None;
            }
        }
        let exit = engine.run(env);
        catch_up(&mut engine, &mut seen);
        let precise = process.shared.precise_faults.load(Ordering::Acquire);
        if precise != engine.precise() {
            engine.set_precise(precise);
        }
        if let Some(f) = engine.take_fault() {
            guest_fault::<G>(&mut cpu, &mut process, &gdb, f);
            deliver_signals::<G>(&mut cpu, &mut process, &gdb, false);
            continue;
        }
        let mut restarting = false;
        match exit {
            GuestExit::Guest(code) if code == G::SVC => {
                let (nr, args) = G::syscall_args(&cpu, process.abi);
                if let Some(d) = &gdb.d {
                    d.enter_syscall(tid, &cpu);
                }
                if cfg.strace {
                    // A successful exec never returns to log its line.
                    crate::strace::log_exec(process.abi, &process.space, tid, nr, &args);
                }
                let out = match G::own_syscall(&mut cpu, &mut process, nr) {
                    Some(out) => out,
                    None => Some(process.syscall(nr, args)),
                };
                if let Some(d) = &gdb.d {
                    d.leave_syscall(tid);
                }
                if let (Some(out), true) = (out, cfg.strace) {
                    crate::strace::log_decoded(process.abi, &process.space, tid, nr, &args, out);
                }
                match out {
                    None => {}
                    Some(SyscallOutcome::Return(v)) => G::set_return(&mut cpu, v),
                    Some(SyscallOutcome::Exit(code)) => {
                        crate::gdb::report_exit(code);
                        if main {
                            engine.forget_cache();
                            return code;
                        }
                        tcg::profile::report();
                        std::process::exit(code);
                    }
                    Some(SyscallOutcome::ThreadExit(code)) => {
                        if let Some(d) = &gdb.d {
                            d.detach_thread(tid);
                        }
                        return thread_exit(Cpu(cpu), process, main, code);
                    }
                    Some(SyscallOutcome::NewThread(req)) => {
                        let r = match spawn_thread(cfg, &cpu, &process, req) {
                            Ok(tid) => i64::from(tid),
                            Err(e) => errno::to_guest(&process.abi.errno, e),
                        };
                        G::set_return(&mut cpu, r);
                    }
                    Some(SyscallOutcome::Sigreturn)
                        if G::restore_frame(&mut cpu, &mut process).is_err() =>
                    {
                        bad_frame::<G>(&mut cpu, &mut process, &gdb);
                    }
                    Some(SyscallOutcome::Sigreturn) => {}
                    Some(SyscallOutcome::Restart) => {
                        G::step_svc(&mut cpu, true);
                        restarting = true;
                    }
                }
                post_invalidations(&process);
                catch_up(&mut engine, &mut seen);
            }
            GuestExit::Interrupted => {}
            GuestExit::Guest(code) => {
                if let Some((info, fault)) = G::exception(&cpu, &process, code) {
                    force_signal::<G>(&mut cpu, &mut process, &gdb, info, fault);
                }
            }
        }
        deliver_signals::<G>(&mut cpu, &mut process, &gdb, restarting);
    }
}

/// A guest memory access faulted on the host (precise mode): the guest's
/// SIGSEGV (unmapped: SEGV_MAPERR, protected: SEGV_ACCERR) or SIGBUS.
fn guest_fault<G: UserGuest>(cpu: &mut G::Cpu, p: &mut Process, gdb: &Gdb<G::Cpu>, f: MemFault) {
    const SEGV_MAPERR: i32 = 1;
    const SEGV_ACCERR: i32 = 2;
    const BUS_ADRERR: i32 = 2;
    let mapped = p.space.flags(f.addr).is_some();
    let (signo, code) = if f.signal == sig::SIGBUS {
        (sig::SIGBUS, BUS_ADRERR)
    } else if mapped {
        (sig::SIGSEGV, SEGV_ACCERR)
    } else {
        (sig::SIGSEGV, SEGV_MAPERR)
    };
    let fault = G::mem_fault(&f, signo, mapped);
    let info = SigInfo::fault(signo, code, f.addr);
    force_signal::<G>(cpu, p, gdb, info, Some(fault));
}

/// A bad signal frame at sigreturn: SIGSEGV.
fn bad_frame<G: UserGuest>(cpu: &mut G::Cpu, p: &mut Process, gdb: &Gdb<G::Cpu>) {
    let info = SigInfo {
        signo: sig::SIGSEGV,
        errno: 0,
        code: sig::SI_KERNEL,
        fields: sig::SigFields::Kill { pid: 0, uid: 0 },
    };
    force_signal::<G>(cpu, p, gdb, info, None);
}

/// A guest's `sigreturn` found a bad frame: SIGSEGV (for guests that
/// handle their own non-RT `sigreturn`).
pub fn sigreturn_failed<G: UserGuest>(cpu: &mut G::Cpu, p: &mut Process) {
    let gdb = Gdb::<G::Cpu> { tid: 0, d: None };
    bad_frame::<G>(cpu, p, &gdb);
}

/// Replays invalidations other threads (or this one) posted.
fn catch_up(engine: &mut Engine, seen: &mut u64) {
    if let Some(pages) = crate::smc::take_written() {
        if !pages.is_empty() {
            thread::post(pages.into_iter().map(|p| Inval::Range(p, p + 0x1000)));
        }
    } else {
        thread::post([Inval::All]);
    }
    thread::catch_up(seen, |i| match i {
        Inval::Range(s, e) => engine.invalidate(s, e),
        Inval::All => engine.flush(),
    });
}

/// Publishes the code a syscall made stale: [`crate::space::GuestSpace`]
/// records what munmap, mprotect and mremap invalidate.
fn post_invalidations(process: &Process) {
    let mut invs = Vec::new();
    for (start, end) in process.space.take_invalidations() {
        crate::smc::forget(start, end);
        invs.push(Inval::Range(start, end));
    }
    thread::post(invs);
}

/// Delivers every pending signal the thread does not block.
fn deliver_signals<G: UserGuest>(
    cpu: &mut G::Cpu,
    p: &mut Process,
    gdb: &Gdb<G::Cpu>,
    mut restarting: bool,
) {
    let Some(slot) = p.slot else { return };
    if thread::pending(slot) & !p.signals.mask == 0 && p.signals.saved_mask.is_none() {
        return;
    }
    while let Some(info) = p.next_signal() {
        let (info, s) = if p.is_ignored(info.signo) {
            (info, info.signo)
        } else {
            match gdb.signal(cpu, info) {
                Some(i) => (i, i.signo),
                None => continue,
            }
        };
        // Read once: taking the disposition of an SA_RESETHAND handler
        // resets it.
        let disposition = p.disposition(s);
        match disposition {
            Disposition::Ignore
            | Disposition::Default(DefaultAction::Ignore | DefaultAction::Continue) => {}
            Disposition::Default(DefaultAction::Stop) => {
                // SAFETY: stopping ourselves, as the guest's kernel would.
                unsafe { libc::kill(libc::getpid(), libc::SIGSTOP) };
            }
            Disposition::Default(_) => die_by_signal(s, G::pc(cpu)),
            Disposition::Handler(act) => {
                if restarting {
                    if act.flags & sig::SA_RESTART == 0 {
                        G::step_svc(cpu, false);
                        G::set_return(cpu, errno::to_guest(&p.abi.errno, Errno::EINTR));
                    }
                    restarting = false;
                }
                let saved = p.enter_handler(s, &act);
                if G::setup_frame(cpu, p, &info, &act, saved, None).is_err() {
                    die_by_signal(sig::SIGSEGV, G::pc(cpu));
                }
            }
        }
    }
    p.end_delivery();
}

/// A synchronous signal caused by the instruction at pc: delivered to the
/// guest's handler at once, or fatal when blocked, ignored or default.
fn force_signal<G: UserGuest>(
    cpu: &mut G::Cpu,
    p: &mut Process,
    gdb: &Gdb<G::Cpu>,
    info: SigInfo,
    fault: Option<G::Fault>,
) {
    let Some(info) = gdb.signal(cpu, info) else {
        // GDB discarded it: the instruction runs (and faults) again.
        return;
    };
    let fault = fault.filter(|_| info.code != sig::SI_USER);
    let s = info.signo;
    if p.is_blocked(s) {
        die_by_signal(s, G::pc(cpu));
    }
    match p.disposition(s) {
        Disposition::Handler(act) => {
            let saved = p.enter_handler(s, &act);
            if G::setup_frame(cpu, p, &info, &act, saved, fault).is_err() {
                die_by_signal(sig::SIGSEGV, G::pc(cpu));
            }
        }
        _ => die_by_signal(s, G::pc(cpu)),
    }
}

/// A synchronous signal a guest raises from its own syscall handling
/// (ARM's `breakpoint` call).
pub fn raise_sync<G: UserGuest>(cpu: &mut G::Cpu, p: &mut Process, info: SigInfo) {
    let gdb = Gdb::<G::Cpu> { tid: 0, d: None };
    force_signal::<G>(cpu, p, &gdb, info, None);
}

pub const CLONE_SETTLS: u64 = 0x8_0000;
const CLONE_PARENT_SETTID: u64 = 0x10_0000;
const CLONE_CHILD_CLEARTID: u64 = 0x20_0000;
const CLONE_CHILD_SETTID: u64 = 0x100_0000;

/// Starts a guest thread as a host thread; returns its tid.
fn spawn_thread<G: UserGuest>(
    cfg: &Config<G>,
    parent: &G::Cpu,
    p: &Process,
    req: ThreadRequest,
) -> Result<i32, Errno> {
    let Cpu(mut c) = alloc_cpu::<G::Cpu>();
    G::clone_cpu(parent, &mut c, &req);
    let clear = if req.flags & CLONE_CHILD_CLEARTID != 0 {
        req.child_tid
    } else {
        0
    };
    let mut child = p.new_thread(clear);
    let cfg = cfg.clone();
    let (tx, rx) = std::sync::mpsc::channel::<Result<i32, Errno>>();
    let cpu = Cpu(c);
    // The new host thread starts with everything blocked and takes its
    // guest mask once registered, so no signal reaches it unrecorded.
    let old = sig::block_all();
    let spawned = std::thread::Builder::new()
        .name("guest".into())
        .stack_size(16 << 20)
        .spawn(move || {
            let cpu = cpu;
            // SAFETY: gettid cannot fail.
            let tid = unsafe { libc::gettid() };
            let Some(slot) = thread::register(&G::common(&cpu.0).exit_request) else {
                free_cpu(cpu);
                let _ = tx.send(Err(Errno::EAGAIN));
                return;
            };
            if req.flags & CLONE_PARENT_SETTID != 0 {
                let _ = child.write_u32(req.parent_tid, tid as u32);
            }
            if req.flags & CLONE_CHILD_SETTID != 0 {
                let _ = child.write_u32(req.child_tid, tid as u32);
            }
            child.slot = Some(slot);
            let _ = tx.send(Ok(tid));
            child.sync_mask();
            thread_loop(&cfg, cpu, child, false);
        });
    sig::set_host_mask(old);
    if spawned.is_err() {
        return Err(Errno::EAGAIN);
    }
    rx.recv().unwrap_or(Err(Errno::EAGAIN))
}

/// The calling thread exits: `CLONE_CHILD_CLEARTID` is honoured, the slot
/// freed. The main thread waits for the others and returns the status.
fn thread_exit<C: 'static>(cpu: Cpu<C>, mut process: Process, main: bool, code: i32) -> i32 {
    let ctid = process.clear_child_tid;
    if ctid != 0 && process.write_u32(ctid, 0).is_ok() {
        let w = process.space.g2h(ctid);
        // SAFETY: a mapped guest word (just written); wakes one waiter.
        unsafe { libc::syscall(libc::SYS_futex, w, libc::FUTEX_WAKE, 1, 0, 0, 0) };
    }
    if let Some(slot) = process.slot.take() {
        let _ = sig::block_all();
        // Signals recorded for this thread but never delivered are lost,
        // as thread-directed ones are in Linux.
        thread::unregister(slot);
    }
    free_cpu(cpu);
    {
        let _g = lock(&EXITED.0);
        EXITED.1.notify_all();
    }
    if main {
        let mut g = lock(&EXITED.0);
        while thread::live() > 0 {
            g = EXITED
                .1
                .wait_timeout(g, std::time::Duration::from_millis(50))
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
    }
    code
}
