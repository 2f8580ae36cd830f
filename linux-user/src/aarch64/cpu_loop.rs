//! AArch64's glue for the shared user-mode cpu loop ([`crate::cpu_loop`]):
//! `svc #0` with the number in x8 and arguments in x0-x5, the result in
//! x0; BRK, aborts and undefined instructions as signals with their ESR
//! in the frame; the `rt_sigframe` of [`super::signal`]; GDB's register
//! layout for `-g`.

use super::signal::{restore_frame, setup_frame, FaultInfo};
use crate::cpu_loop::{self, BadFrame, ThreadDebugger, UserGuest, CLONE_SETTLS};
use crate::elf::LoadedProgram;
use crate::layout::misc::SigAction;
use crate::run::{RunError, RunOptions};
use crate::signal::{self as sig, SigInfo};
use crate::space::GuestSpace;
use crate::syscall::{Process, ThreadRequest};
use crate::GuestAbi;
use mimic_gdb::Debugger;
use std::sync::Arc;
use target_aarch64::cpu::excp;
use target_aarch64::gdb::{self as gdbregs, GdbAarch64, GdbRegs};
use target_aarch64::{model, Aarch64, CpuModel, CpuState};
use tcg::cpu::CpuCommon;
use tcg::exec::MemFault;
use tcg::guest::Frontend;

/// The AArch64 guest with its `-cpu` model.
#[derive(Clone)]
struct Guest {
    model: &'static CpuModel,
}

pub fn run(mut opts: RunOptions) -> Result<i32, RunError> {
    let name = opts.cpu.clone().unwrap_or_else(|| "max".into());
    let model = model::find(&name).ok_or_else(|| {
        let names: Vec<&str> = model::MODELS.iter().map(|m| m.name).collect();
        RunError::Other(format!(
            "unknown AArch64 cpu '{name}' (available: {})",
            names.join(", ")
        ))
    })?;
    let (hwcap, hwcap2) = model.hwcap();
    opts.load.hwcap = hwcap;
    opts.load.hwcap2 = hwcap2;
    cpu_loop::run(Guest { model }, &opts)
}

impl UserGuest for Guest {
    type Cpu = CpuState;
    type Fault = FaultInfo;
    const SVC: u32 = excp::SVC;

    fn abi(&self) -> &'static GuestAbi {
        &super::ABI
    }
    fn frontend(&self) -> Box<dyn Frontend + Send> {
        Box::new(Aarch64 { model: self.model })
    }
    fn address_space(&self, opts: &RunOptions) -> Result<GuestSpace, RunError> {
        let size = opts.reserved_va.unwrap_or(1 << 40);
        GuestSpace::with_layout(size, 4096, opts.guest_base)
            .map_err(|e| RunError::Other(format!("cannot reserve guest memory: {e}")))
    }
    fn cpuinfo(&self) -> String {
        let (hwcap, hwcap2) = self.model.hwcap();
        crate::procfs::aarch64_cpuinfo(hwcap, hwcap2, self.model.midr)
    }
    fn start(&self, cpu: &mut CpuState, loaded: &LoadedProgram) {
        cpu.pc = loaded.entry;
        cpu.sp = loaded.stack_pointer;
    }

    /// `-g PORT`: binds the port, starts the server thread and returns the
    /// debugger; the first instruction waits until GDB resumes it.
    fn debugger(
        &self,
        port: u16,
        space: &Arc<GuestSpace>,
    ) -> Result<Arc<dyn ThreadDebugger<CpuState>>, RunError> {
        let listener = mimic_gdb::listen(port)
            .map_err(|e| RunError::Other(format!("-g {port}: cannot listen for GDB: {e}")))?;
        let dbg = Arc::new(Debugger::new(
            Box::new(crate::gdb::SpaceMemory(space.clone())),
            Box::new(crate::thread::kick_all),
        ));
        crate::gdb::set_session(dbg.clone());
        mimic_gdb::serve::<GdbAarch64>(listener, dbg.clone())
            .map_err(|e| RunError::Other(format!("cannot start the GDB server: {e}")))?;
        Ok(dbg)
    }

    fn common(cpu: &CpuState) -> &CpuCommon {
        &cpu.common
    }
    fn common_mut(cpu: &mut CpuState) -> &mut CpuCommon {
        &mut cpu.common
    }
    fn pc(cpu: &CpuState) -> u64 {
        cpu.pc
    }
    fn syscall_args(cpu: &CpuState, _: &GuestAbi) -> (u64, [u64; 6]) {
        let x = &cpu.x;
        (x[8], [x[0], x[1], x[2], x[3], x[4], x[5]])
    }
    fn set_return(cpu: &mut CpuState, v: i64) {
        cpu.x[0] = v as u64;
    }
    fn step_svc(cpu: &mut CpuState, back: bool) {
        if back {
            cpu.pc -= 4;
        } else {
            cpu.pc += 4;
        }
    }

    fn exception(cpu: &CpuState, p: &Process, code: u32) -> Option<(SigInfo, Option<FaultInfo>)> {
        Some(match code {
            excp::YIELD => return None,
            excp::BRK => {
                const TRAP_BRKPT: i32 = 1;
                (SigInfo::fault(sig::SIGTRAP, TRAP_BRKPT, cpu.pc), None)
            }
            excp::PREFETCH_ABORT => {
                const SEGV_MAPERR: i32 = 1;
                const SEGV_ACCERR: i32 = 2;
                let a = cpu.fault_addr;
                let code = if p.space.flags(a).is_some() {
                    SEGV_ACCERR
                } else {
                    SEGV_MAPERR
                };
                // EC 0x20: instruction abort from a lower EL; IFSC 0x07 /
                // 0x0f: translation / permission fault, level 3.
                let fsc = if code == SEGV_MAPERR { 0x07 } else { 0x0f };
                let esr = (0x20 << 26) | (1 << 25) | fsc;
                let info = SigInfo::fault(sig::SIGSEGV, code, a);
                (info, Some(FaultInfo { addr: a, esr }))
            }
            excp::DATA_ABORT => {
                const BUS_ADRALN: i32 = 1;
                let a = cpu.fault_addr;
                let info = SigInfo::fault(sig::SIGBUS, BUS_ADRALN, a);
                let esr = (0x24 << 26) | (1 << 25) | 0x21;
                (info, Some(FaultInfo { addr: a, esr }))
            }
            _ => {
                const ILL_ILLOPC: i32 = 1;
                (SigInfo::fault(sig::SIGILL, ILL_ILLOPC, cpu.pc), None)
            }
        })
    }

    fn mem_fault(f: &MemFault, signo: i32, mapped: bool) -> FaultInfo {
        // EC 0x24: data abort from a lower EL; WnR; DFSC translation /
        // permission fault, level 3 (or synchronous external abort for
        // SIGBUS).
        let dfsc = match (signo, mapped) {
            (sig::SIGBUS, _) => 0x10,
            (_, false) => 0x07,
            _ => 0x0f,
        };
        let esr = (0x24 << 26) | (1 << 25) | (u64::from(f.write) << 6) | dfsc;
        FaultInfo { addr: f.addr, esr }
    }

    fn setup_frame(
        cpu: &mut CpuState,
        p: &mut Process,
        info: &SigInfo,
        act: &SigAction,
        saved_mask: u64,
        fault: Option<FaultInfo>,
    ) -> Result<(), BadFrame> {
        setup_frame(cpu, p, info, act, saved_mask, fault)
    }
    fn restore_frame(cpu: &mut CpuState, p: &mut Process) -> Result<(), BadFrame> {
        restore_frame(cpu, p)
    }

    fn clone_cpu(parent: &CpuState, c: &mut CpuState, req: &ThreadRequest) {
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
    }
}

/// The debugger in terms of AArch64's state (GDB's register layout).
impl ThreadDebugger<CpuState> for Debugger<GdbRegs> {
    fn attach_thread(&self, tid: u32) {
        Debugger::attach_thread(self, tid);
    }
    fn detach_thread(&self, tid: u32) {
        Debugger::detach_thread(self, tid);
    }
    fn before_insn(&self, tid: u32, cpu: &mut CpuState, executed: bool) -> Option<i32> {
        let r = Debugger::before_insn(self, tid, cpu.pc, executed, || gdbregs::read_regs(cpu));
        if let Some(regs) = &r.regs {
            gdbregs::write_regs(cpu, regs);
        }
        r.signal
    }
    fn detached(&self) -> bool {
        Debugger::detached(self)
    }
    fn signal(&self, tid: u32, cpu: &mut CpuState, sig: i32) -> Option<i32> {
        let r = Debugger::signal(self, tid, sig, || gdbregs::read_regs(cpu));
        if let Some(regs) = &r.regs {
            gdbregs::write_regs(cpu, regs);
        }
        r.signal
    }
    fn enter_syscall(&self, tid: u32, cpu: &CpuState) {
        Debugger::enter_syscall(self, tid, || gdbregs::read_regs(cpu));
    }
    fn leave_syscall(&self, tid: u32) {
        Debugger::leave_syscall(self, tid);
    }
}
