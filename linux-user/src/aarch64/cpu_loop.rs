//! The AArch64 user-mode cpu loop: runs guest code on the tcg engine and
//! turns guest exits into Linux behaviour: SVC to syscalls, faults to
//! synchronous signals, and pending signals to handler frames.
//!
//! Every guest thread runs [`thread_loop`] on its own host thread with its
//! own `CpuState` and `Engine`. After each return from the engine the
//! thread replays the shared invalidation log ([`crate::thread`]) on its
//! engine, so code dropped by another thread (munmap, mprotect,
//! self-modifying writes) is never run again.

use super::signal::{restore_frame, setup_frame, FaultInfo};
use crate::elf::load_program;
use crate::errno::{self, Errno};
use crate::run::{die_by_signal, RunError, RunOptions};
use crate::signal::{self as sig, DefaultAction, SigInfo};
use crate::space::GuestSpace;
use crate::syscall::signal::Disposition;
use crate::syscall::{lock, Process, SyscallOutcome, ThreadRequest};
use crate::thread::{self, Inval};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Condvar, Mutex};
use target_aarch64::cpu::excp;
use target_aarch64::{model, Aarch64, CpuModel, CpuState};
use tcg::exec::{BackendKind, Engine, GuestExit, LogFlags};
use tcg::CodeReader;

use mimic_gdb::Debugger;
use target_aarch64::gdb::{self as gdbregs, GdbAarch64, GdbRegs};

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
#[derive(Clone)]
struct Config {
    model: &'static CpuModel,
    backend: BackendKind,
    log: LogFlags,
    one_insn_per_tb: bool,
    strace: bool,
    /// `-g`: the debugger every thread reports to.
    gdb: Option<Arc<Debugger<GdbRegs>>>,
}

impl Config {
    fn engine(&self, space: &Arc<GuestSpace>) -> Engine {
        let code = SpaceCode {
            space: space.clone(),
        };
        let mut e = Engine::new(
            Box::new(Aarch64 { model: self.model }),
            self.backend,
            Box::new(code),
        );
        e.log = self.log;
        if self.one_insn_per_tb {
            e.set_max_insns(1);
        }
        e
    }
}

thread_local! {
    /// This thread's debugger and tid while GDB is attached (`-g`).
    static GDB_THREAD: std::cell::RefCell<Option<(Arc<Debugger<GdbRegs>>, u32)>> =
        const { std::cell::RefCell::new(None) };
}

thread_local! {
    /// Signals GDB told this thread to take (`signal SIG`): delivered
    /// without stopping for GDB again.
    static GDB_INJECTED: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

/// GDB hears of signal `info` before the thread takes it (and may change
/// its registers meanwhile). Returns the signal to deliver: the same, the
/// one GDB substituted, or none when GDB discarded it (`handle SIG
/// nopass`, `signal 0`), as a ptrace stop lets a debugger do.
fn gdb_signal(cpu: &mut CpuState, info: SigInfo) -> Option<SigInfo> {
    let s = info.signo;
    let bit = sig::bit(s);
    if GDB_INJECTED.with(|g| {
        let had = g.get() & bit != 0;
        g.set(g.get() & !bit);
        had
    }) {
        return Some(info);
    }
    let Some((d, tid)) = GDB_THREAD.with(|g| g.borrow().clone()) else {
        return Some(info);
    };
    let r = d.signal(tid, s, || gdbregs::read_regs(cpu));
    if let Some(regs) = &r.regs {
        gdbregs::write_regs(cpu, regs);
    }
    match r.signal {
        Some(n) if n == s => Some(info),
        // SAFETY: getuid cannot fail.
        Some(n) => Some(SigInfo::user(n, 0, unsafe { libc::getuid() })),
        None => None,
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

/// A cpu state that may move to another host thread.
struct Cpu(Box<CpuState>);

// SAFETY: the only non-Send field is the jump cache pointer, which the
// engine of the thread running the cpu sets on every entry.
unsafe impl Send for Cpu {}

/// Cpu states of exited threads. They are reused, never freed: another
/// thread may still be kicking a state it found in the registry.
static CPU_POOL: Mutex<Vec<Cpu>> = Mutex::new(Vec::new());

fn alloc_cpu() -> Cpu {
    match lock(&CPU_POOL).pop() {
        Some(mut c) => {
            *c.0 = CpuState::default();
            c
        }
        None => Cpu(Box::<CpuState>::default()),
    }
}

/// Woken whenever a thread exits (the main thread may wait for the rest).
static EXITED: (Mutex<()>, Condvar) = (Mutex::new(()), Condvar::new());

pub fn run(mut opts: RunOptions) -> Result<i32, RunError> {
    let name = opts.cpu.clone().unwrap_or_else(|| "max".into());
    let model = model::find(&name).ok_or_else(|| {
        let names: Vec<&str> = model::MODELS.iter().map(|m| m.name).collect();
        RunError::Other(format!(
            "unknown AArch64 cpu '{name}' (available: {})",
            names.join(", ")
        ))
    })?;
    if let Some(s) = opts.load.random_seed {
        crate::rng::seed(s);
    }
    let (hwcap, hwcap2) = model.hwcap();
    opts.load.hwcap = hwcap;
    opts.load.hwcap2 = hwcap2;
    let size = opts.reserved_va.unwrap_or(1 << 40);
    let mut space = GuestSpace::with_layout(size, 4096, opts.guest_base)
        .map_err(|e| RunError::Other(format!("cannot reserve guest memory: {e}")))?;
    let loaded = load_program(
        &mut space,
        &super::ABI,
        &opts.program,
        &opts.argv,
        &opts.envp,
        &opts.load,
    )?;
    let mut process = Process::new(
        space,
        &super::ABI,
        loaded.exe_path.clone(),
        opts.load.ld_prefix.clone(),
    );
    process.uname_release = opts.uname_release.clone();
    process.proc_info = Arc::new(crate::procfs::ProcInfo {
        auxv: read_auxv(&process.space, loaded.stack_pointer),
        cmdline: opts
            .argv
            .iter()
            .flat_map(|a| a.iter().copied().chain([0]))
            .collect(),
        cpuinfo: crate::procfs::aarch64_cpuinfo(hwcap, hwcap2, model.midr),
        stack: (loaded.stack_low, loaded.stack_top),
        brk_start: loaded.brk,
    });
    let cfg = Config {
        model,
        backend: opts.backend,
        log: opts.log,
        one_insn_per_tb: opts.one_insn_per_tb,
        strace: opts.strace,
        gdb: None,
    };
    let mut cfg = cfg;
    if let Some(port) = opts.gdb_port {
        cfg.gdb = Some(start_gdb(port, &process.space)?);
    }
    let Cpu(mut cpu) = alloc_cpu();
    cpu.common.guest_base = process.space.base() as u64;
    cpu.pc = loaded.entry;
    cpu.sp = loaded.stack_pointer;
    crate::smc::init(process.space.base(), process.space.size())
        .map_err(|e| RunError::Other(format!("cannot watch guest code: {e}")))?;
    let inherited = sig::init();
    sig::set_fault_hook(sig::guest_fault_hook);
    process.inherit_signals(&inherited);
    let slot = thread::register(&cpu.common.exit_request)
        .ok_or_else(|| RunError::Other("no thread slot".into()))?;
    process.slot = Some(slot);
    process.sync_mask();
    let code = thread_loop(&cfg, Cpu(cpu), process, true);
    crate::gdb::report_exit(code);
    Ok(code)
}

/// `-g PORT`: binds the port, starts the server thread and returns the
/// debugger; the first instruction waits until GDB resumes it.
fn start_gdb(port: u16, space: &Arc<GuestSpace>) -> Result<Arc<Debugger<GdbRegs>>, RunError> {
    let listener = mimic_gdb::listen(port)
        .map_err(|e| RunError::Other(format!("-g {port}: cannot listen for GDB: {e}")))?;
    let dbg = Arc::new(Debugger::new(
        Box::new(crate::gdb::SpaceMemory(space.clone())),
        Box::new(thread::kick_all),
    ));
    crate::gdb::set_session(dbg.clone());
    mimic_gdb::serve::<GdbAarch64>(listener, dbg.clone())
        .map_err(|e| RunError::Other(format!("cannot start the GDB server: {e}")))?;
    Ok(dbg)
}

/// The auxv pairs (up to and including `AT_NULL`) above the initial
/// stack's argv and envp.
fn read_auxv(space: &GuestSpace, sp: u64) -> Vec<u8> {
    let word = |a: u64| {
        let mut b = [0u8; 8];
        space.read(a, &mut b).ok().map(|()| u64::from_le_bytes(b))
    };
    let Some(argc) = word(sp) else {
        return Vec::new();
    };
    let mut a = sp + 8 * (argc + 2);
    while let Some(v) = word(a) {
        a += 8;
        if v == 0 {
            break;
        }
    }
    let start = a;
    while let Some(t) = word(a) {
        a += 16;
        if t == 0 || a - start > 4096 {
            break;
        }
    }
    space
        .read_vec(start, (a - start) as usize)
        .unwrap_or_default()
}

/// Runs one guest thread until it exits; returns the exit status (the
/// main thread's is the process's, once every thread is gone).
fn thread_loop(cfg: &Config, cpu: Cpu, mut process: Process, main: bool) -> i32 {
    let Cpu(mut cpu) = cpu;
    let mut engine = cfg.engine(&process.space);
    let mut seen = thread::log_position();
    let env = &mut *cpu as *mut CpuState as *mut u8;
    // SAFETY: gettid cannot fail.
    let tid = unsafe { libc::gettid() } as u32;
    let mut gdb = cfg.gdb.clone();
    if let Some(d) = &gdb {
        // One instruction per block, back in the loop after each.
        d.attach_thread(tid);
        GDB_THREAD.with(|g| *g.borrow_mut() = Some((d.clone(), tid)));
        engine.set_max_insns(1);
        engine.set_single_block(true);
    }
    let mut execs = 0;
    loop {
        if let Some(d) = gdb.clone() {
            let now = engine.stats.interp_execs + engine.stats.jit_entries;
            let r = d.before_insn(tid, cpu.pc, now != execs, || gdbregs::read_regs(&cpu));
            if let Some(regs) = &r.regs {
                gdbregs::write_regs(&mut cpu, regs);
            }
            if let Some(s) = r.signal {
                gdb_inject(s);
                deliver_signals(&mut cpu, &mut process, false);
            }
            execs = now;
            if d.detached() {
                // GDB is gone: full speed again.
                GDB_THREAD.with(|g| *g.borrow_mut() = None);
                engine.set_single_block(false);
                if !cfg.one_insn_per_tb {
                    engine.set_max_insns(512);
                }
                gdb = None;
            }
        }
        let exit = engine.run(env);
        catch_up(&mut engine, &mut seen);
        let precise = process.shared.precise_faults.load(Ordering::Acquire);
        if precise != engine.precise() {
            engine.set_precise(precise);
        }
        if let Some(f) = engine.take_fault() {
            guest_fault(&mut cpu, &mut process, f);
            deliver_signals(&mut cpu, &mut process, false);
            continue;
        }
        let mut restarting = false;
        match exit {
            GuestExit::Guest(excp::SVC) => {
                let nr = cpu.x[8];
                let args = [cpu.x[0], cpu.x[1], cpu.x[2], cpu.x[3], cpu.x[4], cpu.x[5]];
                if let Some(d) = &gdb {
                    d.enter_syscall(tid, || gdbregs::read_regs(&cpu));
                }
                let out = process.syscall(nr, args);
                if let Some(d) = &gdb {
                    d.leave_syscall(tid);
                }
                if cfg.strace {
                    // SAFETY: gettid cannot fail.
                    let tid = unsafe { libc::gettid() } as u32;
                    crate::strace::log_decoded(process.abi, &process.space, tid, nr, &args, out);
                }
                match out {
                    SyscallOutcome::Return(v) => cpu.x[0] = v as u64,
                    SyscallOutcome::Exit(code) => {
                        crate::gdb::report_exit(code);
                        if main {
                            return code;
                        }
                        tcg::profile::report();
                        std::process::exit(code);
                    }
                    SyscallOutcome::ThreadExit(code) => {
                        if let Some(d) = &gdb {
                            d.detach_thread(tid);
                        }
                        return thread_exit(cpu, process, main, code);
                    }
                    SyscallOutcome::NewThread(req) => {
                        cpu.x[0] = match spawn_thread(cfg, &cpu, &process, req) {
                            Ok(tid) => tid as u64,
                            Err(e) => errno::to_guest(&process.abi.errno, e) as u64,
                        }
                    }
                    SyscallOutcome::Sigreturn => {
                        if restore_frame(&mut cpu, &mut process).is_err() {
                            let info = SigInfo {
                                signo: sig::SIGSEGV,
                                errno: 0,
                                code: sig::SI_KERNEL,
                                fields: sig::SigFields::Kill { pid: 0, uid: 0 },
                            };
                            force_signal(&mut cpu, &mut process, info, None);
                        }
                    }
                    SyscallOutcome::Restart => {
                        cpu.pc -= 4;
                        restarting = true;
                    }
                }
                post_invalidations(&process);
                catch_up(&mut engine, &mut seen);
            }
            GuestExit::Guest(excp::YIELD) | GuestExit::Interrupted => {}
            GuestExit::Guest(excp::BRK) => {
                const TRAP_BRKPT: i32 = 1;
                let info = SigInfo::fault(sig::SIGTRAP, TRAP_BRKPT, cpu.pc);
                force_signal(&mut cpu, &mut process, info, None);
            }
            GuestExit::Guest(excp::PREFETCH_ABORT) => {
                const SEGV_MAPERR: i32 = 1;
                const SEGV_ACCERR: i32 = 2;
                let a = cpu.fault_addr;
                let code = if process.space.flags(a).is_some() {
                    SEGV_ACCERR
                } else {
                    SEGV_MAPERR
                };
                // EC 0x20: instruction abort from a lower EL; IFSC 0x07 /
                // 0x0f: translation / permission fault, level 3.
                let fsc = if code == SEGV_MAPERR { 0x07 } else { 0x0f };
                let esr = (0x20 << 26) | (1 << 25) | fsc;
                let info = SigInfo::fault(sig::SIGSEGV, code, a);
                force_signal(
                    &mut cpu,
                    &mut process,
                    info,
                    Some(FaultInfo { addr: a, esr }),
                );
            }
            GuestExit::Guest(excp::DATA_ABORT) => {
                const BUS_ADRALN: i32 = 1;
                let a = cpu.fault_addr;
                let info = SigInfo::fault(sig::SIGBUS, BUS_ADRALN, a);
                let esr = (0x24 << 26) | (1 << 25) | 0x21;
                force_signal(
                    &mut cpu,
                    &mut process,
                    info,
                    Some(FaultInfo { addr: a, esr }),
                );
            }
            GuestExit::Guest(_) => {
                const ILL_ILLOPC: i32 = 1;
                let info = SigInfo::fault(sig::SIGILL, ILL_ILLOPC, cpu.pc);
                force_signal(&mut cpu, &mut process, info, None);
            }
        }
        deliver_signals(&mut cpu, &mut process, restarting);
    }
}

/// A guest memory access faulted on the host (precise mode): the guest's
/// SIGSEGV (unmapped: SEGV_MAPERR, protected: SEGV_ACCERR) or SIGBUS.
fn guest_fault(cpu: &mut CpuState, p: &mut Process, f: tcg::exec::MemFault) {
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
    // EC 0x24: data abort from a lower EL; WnR; DFSC translation /
    // permission fault, level 3 (or synchronous external abort for SIGBUS).
    let dfsc = match (signo, mapped) {
        (sig::SIGBUS, _) => 0x10,
        (_, false) => 0x07,
        _ => 0x0f,
    };
    let esr = (0x24 << 26) | (1 << 25) | (u64::from(f.write) << 6) | dfsc;
    let info = SigInfo::fault(signo, code, f.addr);
    force_signal(cpu, p, info, Some(FaultInfo { addr: f.addr, esr }));
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
fn deliver_signals(cpu: &mut CpuState, p: &mut Process, mut restarting: bool) {
    let Some(slot) = p.slot else { return };
    if thread::pending(slot) & !p.signals.mask == 0 && p.signals.saved_mask.is_none() {
        return;
    }
    while let Some(info) = p.next_signal() {
        let s = info.signo;
        // Read once: taking the disposition of an SA_RESETHAND handler
        // resets it.
        let (info, s) = if p.is_ignored(s) {
            (info, s)
        } else {
            match gdb_signal(cpu, info) {
                Some(i) => (i, i.signo),
                None => continue,
            }
        };
        let disposition = p.disposition(s);
        match disposition {
            Disposition::Ignore
            | Disposition::Default(DefaultAction::Ignore | DefaultAction::Continue) => {}
            Disposition::Default(DefaultAction::Stop) => {
                // SAFETY: stopping ourselves, as the guest's kernel would.
                unsafe { libc::kill(libc::getpid(), libc::SIGSTOP) };
            }
            Disposition::Default(_) => die_by_signal(s, cpu.pc),
            Disposition::Handler(act) => {
                if restarting {
                    if act.flags & sig::SA_RESTART == 0 {
                        cpu.pc += 4;
                        cpu.x[0] = errno::to_guest(&p.abi.errno, Errno::EINTR) as u64;
                    }
                    restarting = false;
                }
                let saved = p.enter_handler(s, &act);
                if setup_frame(cpu, p, &info, &act, saved, None).is_err() {
                    die_by_signal(sig::SIGSEGV, cpu.pc);
                }
            }
        }
    }
    p.end_delivery();
}

/// A synchronous signal caused by the instruction at pc: delivered to the
/// guest's handler at once, or fatal when blocked, ignored or default.
fn force_signal(cpu: &mut CpuState, p: &mut Process, info: SigInfo, fault: Option<FaultInfo>) {
    let Some(info) = gdb_signal(cpu, info) else {
        // GDB discarded it: the instruction runs (and faults) again.
        return;
    };
    let fault = fault.filter(|_| info.code != sig::SI_USER);
    let s = info.signo;
    if p.is_blocked(s) {
        die_by_signal(s, cpu.pc);
    }
    match p.disposition(s) {
        Disposition::Handler(act) => {
            let saved = p.enter_handler(s, &act);
            if setup_frame(cpu, p, &info, &act, saved, fault).is_err() {
                die_by_signal(sig::SIGSEGV, cpu.pc);
            }
        }
        _ => die_by_signal(s, cpu.pc),
    }
}

const CLONE_SETTLS: u64 = 0x8_0000;
const CLONE_PARENT_SETTID: u64 = 0x10_0000;
const CLONE_CHILD_CLEARTID: u64 = 0x20_0000;
const CLONE_CHILD_SETTID: u64 = 0x100_0000;

/// Starts a guest thread as a host thread; returns its tid.
fn spawn_thread(
    cfg: &Config,
    parent: &CpuState,
    p: &Process,
    req: ThreadRequest,
) -> Result<i32, Errno> {
    let Cpu(mut c) = alloc_cpu();
    c.common.guest_base = parent.common.guest_base;
    c.common.cur_flags = parent.common.cur_flags;
    c.x = parent.x;
    c.sp = parent.sp;
    c.pc = parent.pc;
    c.nf = parent.nf;
    c.zf = parent.zf;
    c.cf = parent.cf;
    c.vf = parent.vf;
    c.v = parent.v;
    c.fpcr = parent.fpcr;
    c.fpsr = parent.fpsr;
    c.tpidr_el0 = parent.tpidr_el0;
    c.tpidrro_el0 = parent.tpidrro_el0;
    c.x[0] = 0;
    if req.stack != 0 {
        c.sp = req.stack;
    }
    if req.flags & CLONE_SETTLS != 0 {
        c.tpidr_el0 = req.tls;
    }
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
            let Some(slot) = thread::register(&cpu.0.common.exit_request) else {
                lock(&CPU_POOL).push(cpu);
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
fn thread_exit(cpu: Box<CpuState>, mut process: Process, main: bool, code: i32) -> i32 {
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
    lock(&CPU_POOL).push(Cpu(cpu));
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
