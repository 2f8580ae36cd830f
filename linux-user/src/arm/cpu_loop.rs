//! The 32-bit Arm user-mode cpu loop (the AArch64 one's structure, with
//! ARM's register conventions): runs guest code on the tcg engine and
//! turns guest exits into Linux behaviour: SVC to syscalls (EABI: number
//! in r7, 64-bit arguments in even/odd register pairs, the ARM private
//! calls at 0xf0000), faults to synchronous signals, and pending signals
//! to handler frames.
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
use target_arm::cpu::{excp, flags};
use target_arm::{model, Arm, CpuModel, CpuState};
use tcg::exec::{BackendKind, Engine, GuestExit, LogFlags};
use tcg::CodeReader;

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
}

impl Config {
    fn engine(&self, space: &Arc<GuestSpace>) -> Engine {
        let code = SpaceCode {
            space: space.clone(),
        };
        let mut e = Engine::new(
            Box::new(Arm { model: self.model }),
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
            "unknown ARM cpu '{name}' (available: {})",
            names.join(", ")
        ))
    })?;
    let (hwcap, hwcap2) = model.hwcap();
    opts.load.hwcap = hwcap;
    opts.load.hwcap2 = hwcap2;
    opts.load.stack_top = Some(super::kuser::PAGE);
    let mut space = GuestSpace::new(32)
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
        cpuinfo: super::cpuinfo(model),
        stack: (loaded.stack_low, loaded.stack_top),
        brk_start: loaded.brk,
    });
    let cfg = Config {
        model,
        backend: opts.backend,
        log: opts.log,
        one_insn_per_tb: opts.one_insn_per_tb,
        strace: opts.strace,
    };
    super::kuser::map(&process.space).map_err(RunError::Other)?;
    let Cpu(mut cpu) = alloc_cpu();
    cpu.common.guest_base = process.space.base() as u64;
    cpu.pc = loaded.entry & !1;
    if loaded.entry & 1 != 0 {
        cpu.common.cur_flags |= flags::THUMB;
    }
    cpu.r[13] = loaded.stack_pointer as u32;
    crate::smc::init(process.space.base(), process.space.size())
        .map_err(|e| RunError::Other(format!("cannot watch guest code: {e}")))?;
    let inherited = sig::init();
    sig::set_fault_hook(sig::guest_fault_hook);
    process.inherit_signals(&inherited);
    let slot = thread::register(&cpu.common.exit_request)
        .ok_or_else(|| RunError::Other("no thread slot".into()))?;
    process.slot = Some(slot);
    process.sync_mask();
    Ok(thread_loop(&cfg, Cpu(cpu), process, true))
}

/// The auxv pairs (up to and including `AT_NULL`) above the initial
/// stack's argv and envp, as 32-bit words.
fn read_auxv(space: &GuestSpace, sp: u64) -> Vec<u8> {
    let word = |a: u64| {
        let mut b = [0u8; 4];
        space
            .read(a, &mut b)
            .ok()
            .map(|()| u64::from(u32::from_le_bytes(b)))
    };
    let Some(argc) = word(sp) else {
        return Vec::new();
    };
    let mut a = sp + 4 * (argc + 2);
    while let Some(v) = word(a) {
        a += 4;
        if v == 0 {
            break;
        }
    }
    let start = a;
    while let Some(t) = word(a) {
        a += 8;
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
    loop {
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
                let nr = u64::from(cpu.r[7]);
                let regs = [cpu.r[0], cpu.r[1], cpu.r[2], cpu.r[3], cpu.r[4], cpu.r[5]];
                let args = pair_args(process.abi.syscalls.name(nr), regs);
                let out = if nr >= ARM_NR_BASE {
                    arm_private(&mut cpu, &mut process, nr)
                } else if nr == u64::from(super::signal::NR_SIGRETURN) {
                    if restore_frame(&mut cpu, &mut process, false).is_err() {
                        bad_frame(&mut cpu, &mut process);
                    }
                    None
                } else {
                    Some(process.syscall(nr, args))
                };
                if let (Some(out), true) = (out, cfg.strace) {
                    // SAFETY: gettid cannot fail.
                    let tid = unsafe { libc::gettid() } as u32;
                    crate::strace::log(process.abi, tid, nr, &args, out);
                }
                match out {
                    None => {}
                    Some(SyscallOutcome::Return(v)) => cpu.r[0] = v as u32,
                    Some(SyscallOutcome::Exit(code)) => {
                        if main {
                            return code;
                        }
                        std::process::exit(code);
                    }
                    Some(SyscallOutcome::ThreadExit(code)) => {
                        return thread_exit(cpu, process, main, code);
                    }
                    Some(SyscallOutcome::NewThread(req)) => {
                        cpu.r[0] = match spawn_thread(cfg, &cpu, &process, req) {
                            Ok(tid) => tid as u32,
                            Err(e) => errno::to_guest(&process.abi.errno, e) as u32,
                        }
                    }
                    Some(SyscallOutcome::Sigreturn) => {
                        let restored = restore_frame(&mut cpu, &mut process, true);
                        if restored.is_err() {
                            bad_frame(&mut cpu, &mut process);
                        }
                    }
                    Some(SyscallOutcome::Restart) => {
                        cpu.pc -= if cpu.thumb() { 2 } else { 4 };
                        restarting = true;
                    }
                }
                post_invalidations(&process, nr, &args);
                catch_up(&mut engine, &mut seen);
            }
            GuestExit::Guest(excp::YIELD) | GuestExit::Interrupted => {}
            GuestExit::Guest(excp::BKPT) => {
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
                let info = SigInfo::fault(sig::SIGSEGV, code, a);
                let fi = FaultInfo {
                    addr: a,
                    trap_no: 14,
                    error_code: 0,
                };
                force_signal(&mut cpu, &mut process, info, Some(fi));
            }
            GuestExit::Guest(excp::DATA_ABORT) => {
                const BUS_ADRALN: i32 = 1;
                let a = cpu.fault_addr;
                let info = SigInfo::fault(sig::SIGBUS, BUS_ADRALN, a);
                let fi = FaultInfo {
                    addr: a,
                    trap_no: 14,
                    error_code: 0,
                };
                force_signal(&mut cpu, &mut process, info, Some(fi));
            }
            GuestExit::Guest(_) => {
                const ILL_ILLOPC: i32 = 1;
                let info = SigInfo::fault(sig::SIGILL, ILL_ILLOPC, cpu.pc);
                let fi = FaultInfo {
                    addr: 0,
                    trap_no: 6,
                    error_code: 0,
                };
                force_signal(&mut cpu, &mut process, info, Some(fi));
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
    // trap_no 14 (data abort); error_code bit 11 = write (FSR WnR).
    let fi = FaultInfo {
        addr: f.addr,
        trap_no: 14,
        error_code: u32::from(f.write) << 11,
    };
    let info = SigInfo::fault(signo, code, f.addr);
    force_signal(cpu, p, info, Some(fi));
}

/// A bad signal frame at sigreturn: SIGSEGV.
fn bad_frame(cpu: &mut CpuState, p: &mut Process) {
    let info = SigInfo {
        signo: sig::SIGSEGV,
        errno: 0,
        code: sig::SI_KERNEL,
        fields: sig::SigFields::Kill { pid: 0, uid: 0 },
    };
    force_signal(cpu, p, info, None);
}

/// `__ARM_NR_BASE`: the ARM private syscalls.
const ARM_NR_BASE: u64 = 0x0f_0000;

/// The ARM private syscalls: breakpoint (1), cacheflush (2), usr26 (3),
/// usr32 (4), set_tls (5), get_tls (6). `None` when it was handled as a
/// signal.
fn arm_private(cpu: &mut CpuState, p: &mut Process, nr: u64) -> Option<SyscallOutcome> {
    let r = match nr - ARM_NR_BASE {
        1 => {
            const TRAP_BRKPT: i32 = 1;
            let info = SigInfo::fault(sig::SIGTRAP, TRAP_BRKPT, cpu.pc);
            force_signal(cpu, p, info, None);
            return None;
        }
        // Translated code follows writes on its own (pages of translated
        // code are write-protected), so flushing has nothing to do.
        2 => 0,
        5 => {
            cpu.tpidruro = cpu.r[0];
            0
        }
        6 => i64::from(cpu.tpidruro),
        _ => errno::to_guest(&p.abi.errno, Errno::ENOSYS),
    };
    Some(SyscallOutcome::Return(r))
}

/// EABI passes 64-bit syscall arguments in an even/odd register pair
/// (skipping a register when needed); this rebuilds the generic
/// handlers' argument lists from the registers.
pub fn pair_args(name: Option<&str>, r: [u32; 6]) -> [u64; 6] {
    let w = |i: usize| u64::from(r[i]);
    let pair = |lo: usize| u64::from(r[lo]) | u64::from(r[lo + 1]) << 32;
    match name {
        Some("pread64" | "pwrite64") => [w(0), w(1), w(2), pair(4), 0, 0],
        Some("ftruncate64" | "truncate64") => [w(0), pair(2), 0, 0, 0, 0],
        Some("fallocate") => [w(0), w(1), pair(2), pair(4), 0, 0],
        Some("arm_fadvise64_64") => [w(0), pair(2), pair(4), w(1), 0, 0],
        Some("readahead") => [w(0), pair(2), w(4), 0, 0, 0],
        Some("arm_sync_file_range") => [w(0), pair(2), pair(4), w(1), 0, 0],
        Some("preadv" | "pwritev" | "preadv2" | "pwritev2") => {
            // (fd, iov, cnt, lo, hi[, flags]): the kernel's pos_from_hilo.
            [w(0), w(1), w(2), pair(3), w(5), 0]
        }
        _ => [w(0), w(1), w(2), w(3), w(4), w(5)],
    }
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

/// Publishes the code a syscall made stale (unmapped, re-protected).
fn post_invalidations(process: &Process, nr: u64, args: &[u64; 6]) {
    let mut invs = Vec::new();
    for (start, end) in process.space.take_invalidations() {
        crate::smc::forget(start, end);
        invs.push(Inval::Range(start, end));
    }
    if is_mapping_change(process.abi, nr) {
        // The guest may have restored write access to code pages.
        let (start, len) = (args[0] & !0xfff, args[1].saturating_add(0xfff) & !0xfff);
        crate::smc::forget(start, start.saturating_add(len));
        invs.push(Inval::Range(start, start.saturating_add(len)));
    }
    thread::post(invs);
}

/// mprotect/mremap/munmap may change what our page protection assumed.
fn is_mapping_change(abi: &crate::GuestAbi, nr: u64) -> bool {
    matches!(abi.syscalls.name(nr), Some("mprotect" | "mremap"))
}

/// Delivers every pending signal the thread does not block.
fn deliver_signals(cpu: &mut CpuState, p: &mut Process, mut restarting: bool) {
    let Some(slot) = p.slot else { return };
    if thread::pending(slot) & !p.signals.mask == 0 && p.signals.saved_mask.is_none() {
        return;
    }
    while let Some(info) = p.next_signal() {
        let s = info.signo;
        match p.disposition(s) {
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
                        cpu.pc += if cpu.thumb() { 2 } else { 4 };
                        cpu.r[0] = errno::to_guest(&p.abi.errno, Errno::EINTR) as u32;
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
    c.r = parent.r;
    c.pc = parent.pc;
    c.nf = parent.nf;
    c.zf = parent.zf;
    c.cf = parent.cf;
    c.vf = parent.vf;
    c.qf = parent.qf;
    c.ge = parent.ge;
    c.d = parent.d;
    c.fpscr = parent.fpscr;
    c.tpidrurw = parent.tpidrurw;
    c.tpidruro = parent.tpidruro;
    c.r[0] = 0;
    if req.stack != 0 {
        c.r[13] = req.stack as u32;
    }
    if req.flags & CLONE_SETTLS != 0 {
        c.tpidruro = req.tls as u32;
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
