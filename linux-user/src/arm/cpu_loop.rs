//! 32-bit Arm's glue for the shared user-mode cpu loop
//! ([`crate::cpu_loop`]): EABI syscalls (number in r7, arguments in r0-r5
//! with 64-bit ones in even/odd register pairs, the result in r0), the ARM
//! private calls at 0xf0000 and the non-RT `sigreturn`, the A32/T32
//! instruction sizes for restarts, exceptions as signals with trap_no /
//! error_code in the frame, and the kuser helper page.

use super::signal::{restore_frame, setup_frame, FaultInfo, NR_SIGRETURN};
use crate::cpu_loop::{self, BadFrame, ThreadDebugger, UserGuest, CLONE_SETTLS};
use crate::elf::LoadedProgram;
use crate::errno::{self, Errno};
use crate::layout::misc::SigAction;
use crate::run::{RunError, RunOptions};
use crate::signal::{self as sig, SigInfo};
use crate::space::GuestSpace;
use crate::syscall::{Process, SyscallOutcome, ThreadRequest};
use crate::GuestAbi;
use std::sync::Arc;
use target_arm::cpu::{excp, flags};
use target_arm::{model, Arm, CpuModel, CpuState};
use tcg::cpu::CpuCommon;
use tcg::exec::MemFault;
use tcg::guest::Frontend;

/// The 32-bit Arm guest with its `-cpu` model.
#[derive(Clone)]
struct Guest {
    model: &'static CpuModel,
}

/// The guest address space: all 4 GiB (the kuser helpers and the stack
/// sit at its top).
const SPACE_SIZE: u64 = 1 << 32;

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
    cpu_loop::run(Guest { model }, &opts)
}

impl UserGuest for Guest {
    type Cpu = CpuState;
    type Fault = FaultInfo;
    const SVC: u32 = excp::SVC;

    fn abi(&self) -> &'static GuestAbi {
        if self.model.arch >= 7 {
            &super::ABI
        } else {
            &super::ABI_V6
        }
    }
    fn frontend(&self) -> Box<dyn Frontend + Send> {
        Box::new(Arm { model: self.model })
    }
    fn address_space(&self, opts: &RunOptions) -> Result<GuestSpace, RunError> {
        if opts.reserved_va.is_some_and(|r| r != SPACE_SIZE) {
            return Err(RunError::Other(
                "-R: a 32-bit Arm guest's address space is 4 GiB (0x100000000), \
                 the kuser helpers sit at its top"
                    .into(),
            ));
        }
        GuestSpace::with_layout(SPACE_SIZE, 4096, opts.guest_base)
            .map_err(|e| RunError::Other(format!("cannot reserve guest memory: {e}")))
    }
    fn prepare(&self, p: &Process) -> Result<(), RunError> {
        super::kuser::map(&p.space).map_err(RunError::Other)
    }
    fn cpuinfo(&self) -> String {
        super::cpuinfo(self.model)
    }
    fn start(&self, cpu: &mut CpuState, loaded: &LoadedProgram) {
        cpu.pc = loaded.entry & !1;
        if loaded.entry & 1 != 0 {
            cpu.common.cur_flags |= flags::THUMB;
        }
        cpu.r[13] = loaded.stack_pointer as u32;
    }
    fn debugger(
        &self,
        port: u16,
        _: &Arc<GuestSpace>,
    ) -> Result<Arc<dyn ThreadDebugger<CpuState>>, RunError> {
        Err(RunError::Other(format!(
            "-g {port}: debugging 32-bit Arm guests with GDB is not supported yet"
        )))
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
    fn syscall_args(cpu: &CpuState, abi: &GuestAbi) -> (u64, [u64; 6]) {
        let nr = u64::from(cpu.r[7]);
        let r = &cpu.r;
        let regs = [r[0], r[1], r[2], r[3], r[4], r[5]];
        (nr, pair_args(abi.syscalls.name(nr), regs))
    }
    fn own_syscall(cpu: &mut CpuState, p: &mut Process, nr: u64) -> Option<Option<SyscallOutcome>> {
        if nr >= ARM_NR_BASE {
            return Some(arm_private(cpu, p, nr));
        }
        if nr == u64::from(NR_SIGRETURN) {
            if restore_frame(cpu, p, false).is_err() {
                cpu_loop::sigreturn_failed::<Guest>(cpu, p);
            }
            return Some(None);
        }
        None
    }
    fn set_return(cpu: &mut CpuState, v: i64) {
        cpu.r[0] = v as u32;
    }
    fn step_svc(cpu: &mut CpuState, back: bool) {
        let size = if cpu.thumb() { 2 } else { 4 };
        if back {
            cpu.pc -= size;
        } else {
            cpu.pc += size;
        }
    }

    fn exception(cpu: &CpuState, p: &Process, code: u32) -> Option<(SigInfo, Option<FaultInfo>)> {
        // trap_no: 14 for aborts, 6 for undefined instructions.
        Some(match code {
            excp::YIELD => return None,
            excp::BKPT => {
                const TRAP_BRKPT: i32 = 1;
                (SigInfo::fault(sig::SIGTRAP, TRAP_BRKPT, cpu.pc), None)
            }
            excp::UDEF if linux_breakpoint(cpu, p) => {
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
                let fi = FaultInfo {
                    addr: a,
                    trap_no: 14,
                    error_code: 0,
                };
                (SigInfo::fault(sig::SIGSEGV, code, a), Some(fi))
            }
            excp::DATA_ABORT => {
                const BUS_ADRALN: i32 = 1;
                let a = cpu.fault_addr;
                let fi = FaultInfo {
                    addr: a,
                    trap_no: 14,
                    error_code: 0,
                };
                (SigInfo::fault(sig::SIGBUS, BUS_ADRALN, a), Some(fi))
            }
            _ => {
                const ILL_ILLOPC: i32 = 1;
                let fi = FaultInfo {
                    addr: 0,
                    trap_no: 6,
                    error_code: 0,
                };
                (SigInfo::fault(sig::SIGILL, ILL_ILLOPC, cpu.pc), Some(fi))
            }
        })
    }

    fn mem_fault(f: &MemFault, _: i32, _: bool) -> FaultInfo {
        // trap_no 14 (data abort); error_code bit 11 = write (FSR WnR).
        FaultInfo {
            addr: f.addr,
            trap_no: 14,
            error_code: u32::from(f.write) << 11,
        }
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
        restore_frame(cpu, p, true)
    }

    fn clone_cpu(parent: &CpuState, c: &mut CpuState, req: &ThreadRequest) {
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
    }
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
            cpu_loop::raise_sync::<Guest>(cpu, p, info);
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

/// Whether the undefined instruction at the pc is one of Linux's
/// breakpoint instructions, which the kernel's undef hooks turn into
/// SIGTRAP/TRAP_BRKPT (arch/arm/kernel/ptrace.c: A32 `0x07f001f0` under
/// mask `0x0fffffff`, T16 `0xde01`, T32 `0xf7f0a000`). Code is
/// little-endian (BE8 too).
fn linux_breakpoint(cpu: &CpuState, p: &Process) -> bool {
    let mut b = [0u8; 4];
    if !cpu.thumb() {
        return p.space.read(cpu.pc, &mut b).is_ok()
            && u32::from_le_bytes(b) & 0x0fff_ffff == 0x07f0_01f0;
    }
    if p.space.read(cpu.pc, &mut b[..2]).is_err() {
        return false;
    }
    let h1 = u16::from_le_bytes([b[0], b[1]]);
    if h1 == 0xde01 {
        return true;
    }
    p.space.read(cpu.pc + 2, &mut b[2..]).is_ok()
        && u32::from(h1) << 16 | u32::from(u16::from_le_bytes([b[2], b[3]])) == 0xf7f0_a000
}
