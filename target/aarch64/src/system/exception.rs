//! Exception entry to EL1 and return (ERET), per the Arm ARM's
//! AArch64.TakeException / AArch64.ExceptionReturn for a cpu with EL0 and
//! EL1 only (no EL2/EL3: exceptions always target EL1).

use super::{load_sp, pstate, save_sp, update_flags, DAIF_A, DAIF_D, DAIF_F, DAIF_I};
use crate::cpu::CpuState;

/// Exception classes (ESR_ELx.EC) Mimic raises.
pub mod ec {
    pub const UNKNOWN: u64 = 0x00;
    pub const WFX: u64 = 0x01;
    pub const SVC64: u64 = 0x15;
    pub const HVC64: u64 = 0x16;
    pub const SMC64: u64 = 0x17;
    pub const SYSREG: u64 = 0x18;
    pub const INSN_ABORT_LOWER: u64 = 0x20;
    pub const INSN_ABORT_SAME: u64 = 0x21;
    pub const PC_ALIGN: u64 = 0x22;
    pub const DATA_ABORT_LOWER: u64 = 0x24;
    pub const DATA_ABORT_SAME: u64 = 0x25;
    pub const SP_ALIGN: u64 = 0x26;
    pub const BRK64: u64 = 0x3c;
}

/// ESR.IL: the trapped instruction was 32 bits.
pub const ESR_IL: u64 = 1 << 25;

/// Which vector an exception uses.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Kind {
    Sync,
    Irq,
    Fiq,
    SError,
}

/// Builds an ESR value.
pub fn syndrome(ec: u64, iss: u64) -> u64 {
    ec << 26 | ESR_IL | (iss & 0x1ff_ffff)
}

/// Takes an exception to EL1. `ret` is the preferred return address
/// (ELR_EL1); `esr`/`far` are written for synchronous exceptions (`far`
/// only when given).
pub fn take(cpu: &mut CpuState, kind: Kind, ret: u64, esr: u64, far: Option<u64>) {
    let from_el = cpu.sys.el;
    let spsr = pstate(cpu);
    save_sp(cpu);
    let base = cpu.sys.vbar_el1 & !0x7ff;
    let off = if from_el == 0 {
        0x400
    } else if cpu.sys.spsel != 0 {
        0x200
    } else {
        0
    } + match kind {
        Kind::Sync => 0,
        Kind::Irq => 0x80,
        Kind::Fiq => 0x100,
        Kind::SError => 0x180,
    };
    cpu.sys.spsr_el1 = spsr;
    cpu.sys.elr_el1 = ret;
    if kind == Kind::Sync {
        cpu.sys.esr_el1 = esr;
        if let Some(f) = far {
            cpu.sys.far_el1 = f;
        }
    }
    cpu.sys.el = 1;
    cpu.sys.spsel = 1;
    cpu.sys.daif = DAIF_D | DAIF_A | DAIF_I | DAIF_F;
    // An exception clears the exclusive monitor.
    cpu.excl_addr = u64::MAX;
    load_sp(cpu);
    cpu.pc = base.wrapping_add(off);
    update_flags(cpu);
}

/// ERET at EL1: restores PSTATE from SPSR_EL1 and branches to ELR_EL1. An
/// SPSR naming an unimplemented state (AArch32, EL2/EL3) is an illegal
/// return: PSTATE.IL is not modelled, so the return stays at EL1 with
/// SPSR's flags, as the Arm ARM's IllegalExceptionReturn keeps the EL.
pub fn eret(cpu: &mut CpuState) {
    let spsr = cpu.sys.spsr_el1;
    save_sp(cpu);
    let m = spsr & 0x1f;
    let (el, spsel) = match m {
        0b00000 => (0, 0),
        0b00100 => (1, 0),
        0b00101 => (1, 1),
        _ => (cpu.sys.el, cpu.sys.spsel),
    };
    cpu.set_nzcv(spsr as u32 & 0xf000_0000);
    cpu.sys.daif = spsr & (DAIF_D | DAIF_A | DAIF_I | DAIF_F);
    cpu.sys.el = el;
    cpu.sys.spsel = spsel;
    cpu.excl_addr = u64::MAX;
    load_sp(cpu);
    cpu.pc = cpu.sys.elr_el1;
    update_flags(cpu);
}
