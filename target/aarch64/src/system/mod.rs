//! The AArch64 system-mode parts: EL1/EL0 state (PSTATE beyond NZCV, the
//! EL1 system registers, the generic timer), exception entry and return,
//! the stage-1 page-table walk and the system-register accessors that MRS
//! and MSR call at EL1. User mode never sets `flags::SYSTEM`, so none of
//! this is reachable from it.

pub mod exception;
pub mod icc;
pub mod mmu;
pub mod regs;
pub mod timer;

use crate::cpu::CpuState;

/// Decode flags (`CpuCommon::cur_flags`) of system mode.
pub mod flags {
    /// The cpu runs in system mode (privileged instructions decode; memory
    /// goes through the softmmu).
    pub const SYSTEM: u32 = 1 << 8;
    /// Current exception level (0 or 1) in bits 1:0.
    pub const EL_MASK: u32 = 3;
}

/// MMU index of EL0 accesses (and LDTR/STTR at EL1).
pub const MMU_EL0: u32 = 0;
/// MMU index of EL1 accesses.
pub const MMU_EL1: u32 = 1;

/// PSTATE.DAIF bits as in the DAIF register (bits 9:6).
pub const DAIF_D: u64 = 1 << 9;
pub const DAIF_A: u64 = 1 << 8;
pub const DAIF_I: u64 = 1 << 7;
pub const DAIF_F: u64 = 1 << 6;

/// EL1 system registers and the parts of PSTATE that are not NZCV.
#[repr(C)]
#[derive(Debug, Clone, Default)]
pub struct SysRegs {
    /// PSTATE.EL (0 or 1).
    pub el: u64,
    /// PSTATE.SPSel (1: EL1 uses SP_EL1).
    pub spsel: u64,
    /// PSTATE.DAIF in register layout (bits 9:6).
    pub daif: u64,
    /// The stack pointer not currently in `CpuState::sp`.
    pub sp_el0: u64,
    pub sp_el1: u64,
    pub spsr_el1: u64,
    pub elr_el1: u64,
    pub esr_el1: u64,
    pub far_el1: u64,
    pub vbar_el1: u64,
    pub sctlr_el1: u64,
    pub tcr_el1: u64,
    pub ttbr0_el1: u64,
    pub ttbr1_el1: u64,
    pub mair_el1: u64,
    pub amair_el1: u64,
    pub contextidr_el1: u64,
    pub tpidr_el1: u64,
    pub cpacr_el1: u64,
    pub par_el1: u64,
    pub mdscr_el1: u64,
    pub csselr_el1: u64,
    pub afsr0_el1: u64,
    pub afsr1_el1: u64,
    pub actlr_el1: u64,
    pub oslsr_el1: u64,
    pub cntkctl_el1: u64,
    pub timer: timer::Timers,
    /// MPIDR_EL1 (affinity of this cpu).
    pub mpidr: u64,
    /// Level-sensitive interrupt inputs from the interrupt controller.
    pub irq_line: bool,
    pub fiq_line: bool,
    /// Set by system-register writes that change address translation
    /// (TTBR*, TCR, SCTLR: 1, this cpu) and by TLBI (2: every cpu; 3: the
    /// page `tlb_flush_page` on every cpu): the cpu loop flushes TLB and
    /// jump cache.
    pub tlb_flush: u64,
    /// A page-granular TLBI: virtual address (bit 0 set when pending).
    pub tlb_flush_page: u64,
    /// ESR of a fault the softmmu walker recorded (delivered by the cpu
    /// loop with `CpuState::fault_addr` as FAR).
    pub pending_esr: u64,
}

/// SCTLR_EL1 reset value: MMU and caches off, RES1 bits set.
pub const SCTLR_RESET: u64 = 0x30d0_0800;

impl SysRegs {
    pub fn reset(&mut self, mpidr: u64) {
        *self = SysRegs {
            el: 1,
            spsel: 1,
            daif: DAIF_D | DAIF_A | DAIF_I | DAIF_F,
            sctlr_el1: SCTLR_RESET,
            mpidr,
            ..SysRegs::default()
        };
    }
}

/// The decode flags for the cpu's current state.
pub fn cur_flags(cpu: &CpuState) -> u32 {
    flags::SYSTEM | (cpu.sys.el as u32 & flags::EL_MASK)
}

/// Recomputes `cur_flags` after a PSTATE change.
pub fn update_flags(cpu: &mut CpuState) {
    cpu.common.cur_flags = cur_flags(cpu);
}

/// PSTATE packed as SPSR_ELx holds it (AArch64 state).
pub fn pstate(cpu: &CpuState) -> u64 {
    let m = cpu.sys.el << 2 | (cpu.sys.spsel & (cpu.sys.el != 0) as u64);
    cpu.nzcv() as u64 | cpu.sys.daif | m
}

/// Stores the live SP into the banked slot of the current (EL, SPSel).
pub fn save_sp(cpu: &mut CpuState) {
    if cpu.sys.el == 0 || cpu.sys.spsel == 0 {
        cpu.sys.sp_el0 = cpu.sp;
    } else {
        cpu.sys.sp_el1 = cpu.sp;
    }
}

/// Loads the live SP from the banked slot of the current (EL, SPSel).
pub fn load_sp(cpu: &mut CpuState) {
    cpu.sp = if cpu.sys.el == 0 || cpu.sys.spsel == 0 {
        cpu.sys.sp_el0
    } else {
        cpu.sys.sp_el1
    };
}

/// Whether an IRQ (or FIQ) is pending and not masked.
pub fn interrupt_pending(cpu: &CpuState) -> Option<exception::Kind> {
    if cpu.sys.irq_line && cpu.sys.daif & DAIF_I == 0 {
        return Some(exception::Kind::Irq);
    }
    if cpu.sys.fiq_line && cpu.sys.daif & DAIF_F == 0 {
        return Some(exception::Kind::Fiq);
    }
    None
}
