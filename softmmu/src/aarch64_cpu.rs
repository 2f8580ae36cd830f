//! One AArch64 vCPU on its own host thread: the translation engine in
//! system mode, the cpu's softmmu, and the loop that turns guest exits
//! into exceptions (SVC, UNDEF, aborts), PSCI calls, ERET, WFI sleeps,
//! timer and GIC interrupts.

use crate::irq::Kick;
use crate::machine::{Machine, ParkStep, Power, Shutdown};
use crate::psci;
use mimic_gdb::Debugger;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;
use target_aarch64::cpu::excp;
use target_aarch64::gdb::{self as gdbregs, GdbRegs};
use target_aarch64::system::exception::{self, ec, syndrome, Kind};
use target_aarch64::system::{self as sys, mmu::Aarch64Walker, timer};
use target_aarch64::{Aarch64, CpuModel, CpuState};
use tcg::exec::{BackendKind, Engine, GuestExit, LogFlags};
use tcg::softmmu::{Access, SoftMmu, SystemCode, Walker};

pub struct Vcpu {
    pub index: usize,
    cpu: &'static mut CpuState,
    engine: Engine,
    mmu: Box<SoftMmu>,
    code_idx: &'static SystemCode,
    walker: Arc<Aarch64Walker>,
    kick: Arc<Kick>,
    machine: Arc<Machine>,
    /// Last timer levels given to the GIC (virtual, physical).
    timer_levels: (bool, bool),
    /// `Machine::tlb_gen` this cpu's TLB reflects.
    tlb_gen: u64,
    /// The debugger, while GDB is attached (`-gdb`).
    debug: Option<Arc<Debugger<GdbRegs>>>,
    /// Engine block executions when the debugger last looked.
    execs: u64,
}

// SAFETY: the raw pointers inside the cpu state (jump cache, guard
// buffer, softmmu) point at data this `Vcpu` owns and moves with it; a
// `Vcpu` runs on one thread at a time.
unsafe impl Send for Vcpu {}

/// Allocates a cpu state for the whole run (kicks refer to it).
pub fn new_state() -> &'static mut CpuState {
    Box::leak(Box::default())
}

impl Vcpu {
    pub fn new(
        index: usize,
        cpu: &'static mut CpuState,
        model: &'static CpuModel,
        backend: BackendKind,
        log: LogFlags,
        machine: Arc<Machine>,
    ) -> Vcpu {
        let walker = Arc::new(Aarch64Walker {
            bus: machine.bus.clone(),
        });
        let mut mmu = Box::new(SoftMmu::new(
            machine.bus.clone(),
            walker.clone(),
            machine.code_pages.clone(),
        ));
        mmu.install(&mut cpu.common);
        cpu.sys.reset(index as u64 | 0x8000_0000);
        sys::update_flags(cpu);
        let env = cpu as *mut CpuState as *mut u8;
        let code: &'static SystemCode = Box::leak(Box::new(SystemCode {
            env,
            mmu_idx: Default::default(),
        }));
        let mut engine = Engine::new(
            Box::new(Aarch64 { model }),
            backend,
            Box::new(CodeRef(code)),
        );
        engine.set_system(true);
        engine.log = log;
        let kick = machine.kicks[index].clone();
        Vcpu {
            index,
            cpu,
            engine,
            mmu,
            code_idx: code,
            walker,
            kick,
            machine,
            timer_levels: (false, false),
            tlb_gen: 0,
            debug: None,
            execs: 0,
        }
    }

    /// GDB's thread id of this cpu.
    fn tid(&self) -> u32 {
        self.index as u32 + 1
    }

    /// The registers GDB sees; the system registers are kept for the
    /// debugger's address translation.
    fn gdb_regs(&self) -> GdbRegs {
        if let Some(d) = &self.machine.debug {
            if let Some(slot) = d.regimes.get(self.index) {
                if let Ok(mut r) = slot.lock() {
                    *r = Some(self.cpu.sys.clone());
                }
            }
        }
        let mut r = gdbregs::read_regs(self.cpu);
        r.cpsr = sys::pstate(self.cpu) as u32;
        r
    }

    /// Before the next instruction while GDB is attached: breakpoints,
    /// steps and stops park here; registers GDB wrote are loaded.
    fn debug_point(&mut self) {
        let Some(d) = self.debug.clone() else { return };
        let now = self.engine.stats.interp_execs + self.engine.stats.jit_entries;
        let executed = now != self.execs;
        self.execs = now;
        let regs = self.gdb_regs();
        let r = d.before_insn(self.tid(), self.cpu.pc, executed, || regs);
        if let Some(regs) = r.regs {
            gdbregs::write_regs(self.cpu, &regs);
        }
        if d.detached() {
            // GDB is gone: full speed again.
            self.engine.set_single_block(false);
            self.engine.set_max_insns(512);
            self.debug = None;
        }
    }

    /// Reports to the debugger from now on if GDB connected (or `-S`):
    /// one instruction per block, back in the loop after each. Returns
    /// whether there is nothing more to wait for.
    fn start_debugging(&mut self) -> bool {
        let Some(d) = &self.machine.debug else {
            return true;
        };
        if d.dbg.detached() {
            return true;
        }
        if !d.start_stopped && !d.dbg.connected() {
            return false;
        }
        self.engine.set_max_insns(1);
        self.engine.set_single_block(true);
        self.execs = self.engine.stats.interp_execs + self.engine.stats.jit_entries;
        self.debug = Some(d.dbg.clone());
        true
    }

    /// Runs `f` (a sleep) as a blocking call GDB sees as stopped.
    fn blocking(&mut self, f: impl FnOnce(&mut Self)) {
        let Some(d) = self.debug.clone() else {
            return f(self);
        };
        let regs = self.gdb_regs();
        d.enter_syscall(self.tid(), || regs);
        f(self);
        d.leave_syscall(self.tid());
    }

    /// Boot state of the first cpu: pc, x0 (DTB) at EL1 with the MMU off.
    pub fn boot(&mut self, entry: u64, x0: u64) {
        self.cpu.pc = entry;
        self.cpu.x = [0; 31];
        self.cpu.x[0] = x0;
        self.machine
            .power
            .lock()
            .map(|mut p| p[self.index] = Power::On)
            .ok();
    }

    fn env(&mut self) -> *mut u8 {
        self.cpu as *mut CpuState as *mut u8
    }

    fn take_sync(&mut self, ret: u64, esr: u64, far: Option<u64>) {
        exception::take(self.cpu, Kind::Sync, ret, esr, far);
    }

    /// Publishes the timers' outputs to the GIC and the next deadline to
    /// the ticker.
    fn timers(&mut self) {
        let now = timer::now();
        let t = &self.cpu.sys.timer;
        let levels = (t.virt.asserted(now), t.phys.asserted(now));
        if levels != self.timer_levels {
            self.timer_levels = levels;
            self.machine
                .gic
                .set_ppi(self.index, timer::PPI_VIRT, levels.0);
            self.machine
                .gic
                .set_ppi(self.index, timer::PPI_PHYS, levels.1);
        }
        let next = t.ns_until(now).map_or(u64::MAX, |d| now.saturating_add(d));
        self.machine.deadlines[self.index].store(next, Ordering::SeqCst);
    }

    /// Power-on state again (machine reset): registers, TLB, translated
    /// code (RAM is reloaded) and timer outputs.
    /// Takes a saved state (loadvm): registers, then everything derived
    /// from them (decode flags, TLB, translated code, timer outputs).
    pub fn restore(&mut self, data: &[u8]) {
        if let Err(e) = crate::vmstate::cpu::load(self.cpu, data) {
            // The state was checked before it was handed over.
            tracing::warn!("cpu{}: {e}", self.index);
        }
        sys::update_flags(self.cpu);
        self.mmu.flush();
        self.engine.flush();
        self.tlb_gen = self.machine.tlb_gen.load(Ordering::SeqCst);
        let now = timer::now();
        let t = &self.cpu.sys.timer;
        self.timer_levels = (t.virt.asserted(now), t.phys.asserted(now));
        let gic = &self.machine.gic;
        gic.set_ppi(self.index, timer::PPI_VIRT, self.timer_levels.0);
        gic.set_ppi(self.index, timer::PPI_PHYS, self.timer_levels.1);
    }

    /// The process ends: leaks the translation cache (`Engine::forget_cache`).
    pub fn forget_cache(&mut self) {
        self.engine.forget_cache();
    }

    pub fn reset(&mut self) {
        let mpidr = self.cpu.sys.mpidr;
        self.cpu.sys.reset(mpidr);
        self.cpu.x = [0; 31];
        self.cpu.pc = 0;
        sys::update_flags(self.cpu);
        self.mmu.flush();
        self.engine.flush();
        self.timer_levels = (false, false);
        self.machine.gic.set_ppi(self.index, timer::PPI_VIRT, false);
        self.machine.gic.set_ppi(self.index, timer::PPI_PHYS, false);
    }

    /// Runs until the machine shuts down; hands the cpu back (for a reboot).
    pub fn run(mut self) -> Vcpu {
        crate::irq::set_current_cpu(self.index);
        if let Some(d) = &self.machine.debug {
            if !d.dbg.detached() {
                d.dbg.attach_thread(self.tid());
            }
        }
        let mut debug_pending = self.machine.debug.is_some();
        // SAFETY: gettid has no preconditions.
        let tid = unsafe { libc::gettid() };
        self.machine.thread_ids[self.index].store(tid as i64, Ordering::SeqCst);
        loop {
            let m = self.machine.clone();
            m.park_if_paused(self.index, &mut |step| match step {
                ParkStep::Save => crate::vmstate::cpu::save(self.cpu),
                ParkStep::Load(d) => {
                    self.restore(d);
                    Vec::new()
                }
            });
            if self.machine.shutdown_requested() {
                if let Some(d) = &self.machine.debug {
                    d.dbg.detach_thread(self.tid());
                }
                self.debug = None;
                return self;
            }
            if debug_pending {
                debug_pending = !self.start_debugging();
            }
            let power = self
                .machine
                .power
                .lock()
                .map(|p| p[self.index])
                .unwrap_or(Power::Off);
            match power {
                Power::Off => {
                    self.blocking(|v| v.kick.sleep(Some(Duration::from_millis(100))));
                    continue;
                }
                Power::Starting { entry, context } => {
                    let mpidr = self.cpu.sys.mpidr;
                    self.cpu.sys.reset(mpidr);
                    self.cpu.x = [0; 31];
                    self.cpu.x[0] = context;
                    self.cpu.pc = entry;
                    sys::update_flags(self.cpu);
                    self.mmu.flush();
                    self.engine.flush_jump_cache();
                    if let Ok(mut p) = self.machine.power.lock() {
                        p[self.index] = Power::On;
                    }
                }
                Power::On => {}
            }
            self.timers();
            self.cpu.sys.irq_line = self.kick.irq.load(Ordering::SeqCst);
            if let Some(k) = sys::interrupt_pending(self.cpu) {
                let pc = self.cpu.pc;
                exception::take(self.cpu, k, pc, 0, None);
            }
            let pending = &self.machine.tlb_pages_pending[self.index];
            // (A plain load first: the swap is a locked instruction.)
            if pending.load(Ordering::Relaxed) && pending.swap(false, Ordering::SeqCst) {
                let pages = match self.machine.tlb_pages[self.index].lock() {
                    Ok(mut q) => std::mem::take(&mut *q),
                    Err(_) => Vec::new(),
                };
                for page in pages {
                    self.flush_tlb_page(page);
                }
            }
            let g = self.machine.tlb_gen.load(Ordering::SeqCst);
            if g != self.tlb_gen {
                self.tlb_gen = g;
                self.mmu.flush();
                self.engine.flush_jump_cache();
            }
            for p in self.mmu.take_invalidations() {
                self.engine.invalidate_phys_page(p);
            }
            self.mmu.sync_code_pages();
            self.debug_point();
            self.code_idx
                .mmu_idx
                .store(self.cpu.sys.el as u32, Ordering::Relaxed);
            let env = self.env();
            self.kick.clear();
            let r = self.engine.run(env);
            match r {
                GuestExit::Interrupted => {
                    if let Some(f) = self.engine.take_fault() {
                        let esr = self.cpu.sys.pending_esr;
                        let far = self.cpu.fault_addr;
                        tracing::debug!(target: "int", "abort at pc={:#x} addr={:#x} esr={esr:#x}", f.pc, f.addr);
                        self.take_sync(f.pc, esr, Some(far));
                    }
                }
                GuestExit::Guest(reason) => self.guest_exit(reason),
            }
        }
    }

    /// Drops one page's translations and pc shortcuts (TLBI by VA).
    fn flush_tlb_page(&mut self, page: u64) {
        if self.mmu.flush_page(page) {
            self.engine.flush_jump_cache();
        } else {
            self.engine.flush_jump_cache_page(page);
        }
    }

    /// A TLBI by VA is broadcast: queues the page for every other cpu
    /// (or, when one has many queued already, has it flush everything)
    /// and nudges them.
    fn broadcast_tlb_page(&mut self, page: u64) {
        const MAX_QUEUED: usize = 64;
        let mut all = false;
        for (i, q) in self.machine.tlb_pages.iter().enumerate() {
            if i == self.index {
                continue;
            }
            match q.lock() {
                Ok(mut q) if q.len() < MAX_QUEUED => q.push(page),
                _ => all = true,
            }
            self.machine.tlb_pages_pending[i].store(true, Ordering::SeqCst);
        }
        if all {
            self.tlb_gen = self.machine.tlb_gen.fetch_add(1, Ordering::SeqCst) + 1;
        }
        self.nudge_others();
    }

    /// Makes the other cpus leave guest code for their loop's TLB work
    /// (see `Kick::nudge`).
    fn nudge_others(&self) {
        for (i, k) in self.machine.kicks.iter().enumerate() {
            if i != self.index {
                k.nudge();
            }
        }
    }

    fn guest_exit(&mut self, reason: u32) {
        let pc = self.cpu.pc;
        let imm = self.cpu.syndrome;
        tracing::debug!(target: "int", "exit {reason} pc={pc:#x} syndrome={imm:#x}");
        match reason {
            excp::SVC => self.take_sync(pc, syndrome(ec::SVC64, imm & 0xffff), None),
            excp::BRK => self.take_sync(pc, syndrome(ec::BRK64, imm & 0xffff), None),
            excp::UDEF | excp::HLT => {
                tracing::debug!(target: "unimp", "undefined instruction {imm:#010x} at {pc:#x}");
                self.take_sync(pc, syndrome(ec::UNKNOWN, 0), None)
            }
            excp::HVC => self.hvc(),
            excp::SMC => self.take_sync(pc, syndrome(ec::UNKNOWN, 0), None),
            excp::ERET => exception::eret(self.cpu),
            excp::SYSREG => {
                let flush = std::mem::take(&mut self.cpu.sys.tlb_flush);
                let page = std::mem::take(&mut self.cpu.sys.tlb_flush_page);
                if flush == 3 && page & 1 != 0 {
                    self.flush_tlb_page(page);
                    self.broadcast_tlb_page(page);
                } else if flush != 0 {
                    self.mmu.flush();
                    self.engine.flush_jump_cache();
                }
                if flush == 2 && self.machine.kicks.len() > 1 {
                    self.tlb_gen = self.machine.tlb_gen.fetch_add(1, Ordering::SeqCst) + 1;
                    self.nudge_others();
                }
                sys::update_flags(self.cpu);
            }
            excp::WFI => self.wfi(),
            excp::YIELD => std::thread::yield_now(),
            excp::PREFETCH_ABORT => {
                let va = self.cpu.fault_addr;
                let idx = self.cpu.sys.el as u32;
                let env = self.env();
                match self.walker.translate(env, va, Access::Exec, idx) {
                    // Mapped by now (the block was translated before the
                    // guest fixed the mapping): fetch again.
                    Ok(t) if self.machine.bus.ram_at(t.paddr).is_some() => {}
                    Ok(_) => {
                        // Mapped, but no RAM behind it: external abort.
                        self.walker.bus_fault(env, va, Access::Exec, idx);
                        let esr = self.cpu.sys.pending_esr;
                        self.take_sync(pc, esr, Some(va));
                    }
                    Err(_) => {
                        let esr = self.cpu.sys.pending_esr;
                        self.take_sync(pc, esr, Some(va));
                    }
                }
            }
            excp::DATA_ABORT => {
                let class = if self.cpu.sys.el == 0 {
                    ec::DATA_ABORT_LOWER
                } else {
                    ec::DATA_ABORT_SAME
                };
                let far = self.cpu.fault_addr;
                self.take_sync(pc, syndrome(class, 0x21), Some(far));
            }
            _ => {
                tracing::warn!(target: "unimp", "unexpected guest exit {reason} at {pc:#x}");
                self.take_sync(pc, syndrome(ec::UNKNOWN, 0), None);
            }
        }
    }

    fn wfi(&mut self) {
        self.timers();
        self.cpu.sys.irq_line = self.kick.irq.load(Ordering::SeqCst);
        // WFI wakes on a pending interrupt even when PSTATE masks it.
        if self.cpu.sys.irq_line || self.machine.shutdown_requested() {
            return;
        }
        let now = timer::now();
        let wait = self
            .cpu
            .sys
            .timer
            .ns_until(now)
            .map(Duration::from_nanos)
            .unwrap_or(Duration::from_millis(100));
        if !wait.is_zero() {
            self.blocking(|v| v.kick.sleep(Some(wait)));
        }
    }

    fn hvc(&mut self) {
        let x = [self.cpu.x[0], self.cpu.x[1], self.cpu.x[2], self.cpu.x[3]];
        let call = psci::decode(&x);
        tracing::debug!(target: "int", "cpu{} PSCI {call:?}", self.index);
        let r: i64 = match call {
            psci::Call::Version => psci::VERSION_1_0 as i64,
            psci::Call::Features { func } => psci::features(func),
            psci::Call::MigrateInfoType => 2,
            psci::Call::CpuSuspend => {
                self.wfi();
                psci::SUCCESS
            }
            psci::Call::CpuOff => {
                if let Ok(mut p) = self.machine.power.lock() {
                    p[self.index] = Power::Off;
                }
                psci::SUCCESS
            }
            psci::Call::CpuOn {
                mpidr,
                entry,
                context,
            } => self.machine.cpu_on(mpidr, entry, context),
            psci::Call::AffinityInfo { mpidr } => self.machine.affinity_info(mpidr),
            psci::Call::SystemOff => {
                self.machine.request_shutdown(Shutdown::PowerOff);
                psci::SUCCESS
            }
            psci::Call::SystemReset => {
                self.machine.request_shutdown(Shutdown::Reset);
                psci::SUCCESS
            }
            psci::Call::Unknown => psci::NOT_SUPPORTED,
        };
        self.cpu.x[0] = r as u64;
    }
}

/// The engine's code reader: the leaked `SystemCode` of this cpu.
struct CodeRef(&'static SystemCode);

impl tcg::CodeReader for CodeRef {
    fn read_u32(&self, a: u64) -> Option<u32> {
        self.0.read_u32(a)
    }
    fn read_u16(&self, a: u64) -> Option<u16> {
        self.0.read_u16(a)
    }
    fn read_u8(&self, a: u64) -> Option<u8> {
        self.0.read_u8(a)
    }
    fn translated(&self, s: u64, e: u64) {
        self.0.translated(s, e)
    }
    fn phys_key(&self, pc: u64) -> u64 {
        self.0.phys_key(pc)
    }
}
