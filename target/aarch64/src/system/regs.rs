//! MRS/MSR of the EL1 system registers (and the EL0-accessible timer
//! registers in system mode). The translator asks `readable`/`writable`
//! at translation time (unknown or wrong-EL registers are UNDEF there) and
//! emits calls to `HELPER_READ`/`HELPER_WRITE` with the encoded key.
//! Writes end the block (`excp::SYSREG`) so the cpu loop sees translation,
//! mask and timer changes at once.

use super::{icc, timer, SysRegs};
use crate::cpu::CpuState;
use crate::model::CpuModel;
use tcg::helper::{Env, READS_ENV, WRITES_ENV};

/// Encodes (op0, op1, CRn, CRm, op2) as in the MRS/MSR instruction bits 20:5.
pub const fn key(op0: u32, op1: u32, crn: u32, crm: u32, op2: u32) -> u32 {
    op0 << 14 | op1 << 11 | crn << 7 | crm << 3 | op2
}

/// ID_AA64MMFR0_EL1: PARange 48 bits, 16-bit ASIDs, 4K/16K/64K granules.
pub const ID_AA64MMFR0: u64 = 0x0010_0025;

macro_rules! regs {
    ($($name:ident = ($a:expr, $b:expr, $c:expr, $d:expr, $e:expr);)*) => {
        $(pub const $name: u32 = key($a, $b, $c, $d, $e);)*
    };
}

regs! {
    SCTLR_EL1 = (3, 0, 1, 0, 0);
    ACTLR_EL1 = (3, 0, 1, 0, 1);
    CPACR_EL1 = (3, 0, 1, 0, 2);
    TTBR0_EL1 = (3, 0, 2, 0, 0);
    TTBR1_EL1 = (3, 0, 2, 0, 1);
    TCR_EL1 = (3, 0, 2, 0, 2);
    SPSR_EL1 = (3, 0, 4, 0, 0);
    ELR_EL1 = (3, 0, 4, 0, 1);
    SP_EL0 = (3, 0, 4, 1, 0);
    SPSEL = (3, 0, 4, 2, 0);
    CURRENT_EL = (3, 0, 4, 2, 2);
    DAIF = (3, 3, 4, 2, 1);
    AFSR0_EL1 = (3, 0, 5, 1, 0);
    AFSR1_EL1 = (3, 0, 5, 1, 1);
    ESR_EL1 = (3, 0, 5, 2, 0);
    FAR_EL1 = (3, 0, 6, 0, 0);
    PAR_EL1 = (3, 0, 7, 4, 0);
    MAIR_EL1 = (3, 0, 10, 2, 0);
    AMAIR_EL1 = (3, 0, 10, 3, 0);
    VBAR_EL1 = (3, 0, 12, 0, 0);
    ISR_EL1 = (3, 0, 12, 1, 0);
    CONTEXTIDR_EL1 = (3, 0, 13, 0, 1);
    TPIDR_EL1 = (3, 0, 13, 0, 4);
    CNTKCTL_EL1 = (3, 0, 14, 1, 0);
    CCSIDR_EL1 = (3, 1, 0, 0, 0);
    CLIDR_EL1 = (3, 1, 0, 0, 1);
    CSSELR_EL1 = (3, 2, 0, 0, 0);
    CNTP_TVAL_EL0 = (3, 3, 14, 2, 0);
    CNTP_CTL_EL0 = (3, 3, 14, 2, 1);
    CNTP_CVAL_EL0 = (3, 3, 14, 2, 2);
    CNTV_TVAL_EL0 = (3, 3, 14, 3, 0);
    CNTV_CTL_EL0 = (3, 3, 14, 3, 1);
    CNTV_CVAL_EL0 = (3, 3, 14, 3, 2);
    CNTPCT_EL0 = (3, 3, 14, 0, 1);
    MDSCR_EL1 = (2, 0, 0, 2, 2);
    MDCCINT_EL1 = (2, 0, 0, 2, 0);
    OSLAR_EL1 = (2, 0, 1, 0, 4);
    OSLSR_EL1 = (2, 0, 1, 1, 4);
    OSDLR_EL1 = (2, 0, 1, 3, 4);
    PMUSERENR_EL0 = (3, 3, 9, 14, 0);
}

fn is_debug_bp(k: u32) -> bool {
    // DBGBVR/DBGBCR/DBGWVR/DBGWCR<n>_EL1: op0=2, op1=0, CRn=0, op2=4..7.
    k >> 14 == 2 && (k >> 11 & 7) == 0 && (k >> 7 & 15) == 0 && (k & 7) >= 4
}

fn is_id(k: u32) -> bool {
    // op0=3, op1=0, CRn=0, CRm=0..7: identification registers.
    k >> 14 == 3 && (k >> 11 & 7) == 0 && (k >> 7 & 15) == 0 && (k >> 3 & 15) <= 7
}

/// Whether MRS of `k` is allowed at `el`. EL0 keeps the user-mode set
/// (counter reads included); the EL0 timer registers, which CNTKCTL_EL1
/// could open to it, UNDEF there (Linux keeps them closed).
pub fn readable(k: u32, el: u32) -> bool {
    if el == 0 {
        return false;
    }
    if k == SP_EL0 || k == ISR_EL1 || k == CURRENT_EL || k == OSLSR_EL1 || k == DAIF {
        return true;
    }
    is_id(k) || is_debug_bp(k) || known(k) || icc::readable(k)
}

/// Whether MSR of `k` is allowed at `el`.
pub fn writable(k: u32, el: u32) -> bool {
    if el == 0 {
        return false;
    }
    if matches!(
        k,
        CURRENT_EL | ISR_EL1 | CCSIDR_EL1 | CLIDR_EL1 | CNTPCT_EL0 | OSLSR_EL1
    ) || is_id(k)
    {
        return false;
    }
    k == OSLAR_EL1 || k == SP_EL0 || k == DAIF || is_debug_bp(k) || known(k) || icc::writable(k)
}

fn known(k: u32) -> bool {
    matches!(
        k,
        SCTLR_EL1
            | ACTLR_EL1
            | CPACR_EL1
            | TTBR0_EL1
            | TTBR1_EL1
            | TCR_EL1
            | SPSR_EL1
            | ELR_EL1
            | SPSEL
            | AFSR0_EL1
            | AFSR1_EL1
            | ESR_EL1
            | FAR_EL1
            | PAR_EL1
            | MAIR_EL1
            | AMAIR_EL1
            | VBAR_EL1
            | CONTEXTIDR_EL1
            | TPIDR_EL1
            | CNTKCTL_EL1
            | CCSIDR_EL1
            | CLIDR_EL1
            | CSSELR_EL1
            | CNTP_TVAL_EL0
            | CNTP_CTL_EL0
            | CNTP_CVAL_EL0
            | CNTV_TVAL_EL0
            | CNTV_CTL_EL0
            | CNTV_CVAL_EL0
            | CNTPCT_EL0
            | MDSCR_EL1
            | MDCCINT_EL1
            | OSDLR_EL1
            | PMUSERENR_EL0
    )
}

/// ID register values in system mode (EL1's view of the model).
pub fn id_reg(model: &CpuModel, mpidr: u64, crm: u32, op2: u32) -> u64 {
    match (crm, op2) {
        (0, 0) => model.midr,
        (0, 5) => mpidr,
        // GIC field: the GICv3 system register interface when installed.
        (4, 0) => model.id_aa64pfr0() | u64::from(icc::get().is_some()) << 24,
        // DebugVer v8, no PMU, 1 breakpoint/watchpoint pair.
        (5, 0) => 0x6,
        (6, 0) => model.id_aa64isar0(),
        (6, 1) => model.id_aa64isar1(),
        (7, 0) => ID_AA64MMFR0,
        _ => 0,
    }
}

fn cpu<'a>(env: Env) -> &'a mut CpuState {
    // SAFETY: helpers run on the cpu's own state (globals synced: the
    // helpers are declared READS_ENV / WRITES_ENV).
    unsafe { &mut *(env as *mut CpuState) }
}

/// The model of the running cpu (for ID registers).
static MODEL: std::sync::OnceLock<&'static CpuModel> = std::sync::OnceLock::new();

/// Sets the model the ID registers describe (system mode, once per run).
pub fn set_model(m: &'static CpuModel) {
    let _ = MODEL.set(m);
}

/// The env offset of a register whose MRS only reads its field (no side
/// effects, no computed bits): the translator loads it inline instead of
/// calling `HELPER_READ`. Linux reads SP_EL0 (`current`) constantly.
pub fn field_offset(k: u32) -> Option<u32> {
    use std::mem::offset_of;
    let f = match k {
        SCTLR_EL1 => offset_of!(SysRegs, sctlr_el1),
        ACTLR_EL1 => offset_of!(SysRegs, actlr_el1),
        CPACR_EL1 => offset_of!(SysRegs, cpacr_el1),
        TTBR0_EL1 => offset_of!(SysRegs, ttbr0_el1),
        TTBR1_EL1 => offset_of!(SysRegs, ttbr1_el1),
        TCR_EL1 => offset_of!(SysRegs, tcr_el1),
        SPSR_EL1 => offset_of!(SysRegs, spsr_el1),
        ELR_EL1 => offset_of!(SysRegs, elr_el1),
        SP_EL0 => offset_of!(SysRegs, sp_el0),
        SPSEL => offset_of!(SysRegs, spsel),
        DAIF => offset_of!(SysRegs, daif),
        AFSR0_EL1 => offset_of!(SysRegs, afsr0_el1),
        AFSR1_EL1 => offset_of!(SysRegs, afsr1_el1),
        ESR_EL1 => offset_of!(SysRegs, esr_el1),
        FAR_EL1 => offset_of!(SysRegs, far_el1),
        PAR_EL1 => offset_of!(SysRegs, par_el1),
        MAIR_EL1 => offset_of!(SysRegs, mair_el1),
        AMAIR_EL1 => offset_of!(SysRegs, amair_el1),
        VBAR_EL1 => offset_of!(SysRegs, vbar_el1),
        CONTEXTIDR_EL1 => offset_of!(SysRegs, contextidr_el1),
        TPIDR_EL1 => offset_of!(SysRegs, tpidr_el1),
        CNTKCTL_EL1 => offset_of!(SysRegs, cntkctl_el1),
        CSSELR_EL1 => offset_of!(SysRegs, csselr_el1),
        MDSCR_EL1 => offset_of!(SysRegs, mdscr_el1),
        OSLSR_EL1 => offset_of!(SysRegs, oslsr_el1),
        _ => return None,
    };
    Some((offset_of!(CpuState, sys) + f) as u32)
}

extern "C" fn read(env: Env, k: u64) -> u64 {
    let c = cpu(env);
    let s = &c.sys;
    let k = k as u32;
    // Only the timer registers need the count (a TSC read).
    let now = || timer::now();
    match k {
        SCTLR_EL1 => s.sctlr_el1,
        ACTLR_EL1 => s.actlr_el1,
        CPACR_EL1 => s.cpacr_el1,
        TTBR0_EL1 => s.ttbr0_el1,
        TTBR1_EL1 => s.ttbr1_el1,
        TCR_EL1 => s.tcr_el1,
        SPSR_EL1 => s.spsr_el1,
        ELR_EL1 => s.elr_el1,
        SP_EL0 => s.sp_el0,
        SPSEL => s.spsel,
        CURRENT_EL => s.el << 2,
        DAIF => s.daif,
        AFSR0_EL1 => s.afsr0_el1,
        AFSR1_EL1 => s.afsr1_el1,
        ESR_EL1 => s.esr_el1,
        FAR_EL1 => s.far_el1,
        PAR_EL1 => s.par_el1,
        MAIR_EL1 => s.mair_el1,
        AMAIR_EL1 => s.amair_el1,
        VBAR_EL1 => s.vbar_el1,
        ISR_EL1 => u64::from(s.irq_line) << 7 | u64::from(s.fiq_line) << 6,
        CONTEXTIDR_EL1 => s.contextidr_el1,
        TPIDR_EL1 => s.tpidr_el1,
        CNTKCTL_EL1 => s.cntkctl_el1,
        // One level of unified cache described as absent: CLIDR says no
        // caches (LoC = LoUU = 0), so set/way loops do nothing.
        CCSIDR_EL1 | CLIDR_EL1 => 0,
        CSSELR_EL1 => s.csselr_el1,
        CNTP_TVAL_EL0 => s.timer.phys.read_tval(now()),
        CNTP_CTL_EL0 => s.timer.phys.read_ctl(now()),
        CNTP_CVAL_EL0 => s.timer.phys.cval,
        CNTV_TVAL_EL0 => s.timer.virt.read_tval(now()),
        CNTV_CTL_EL0 => s.timer.virt.read_ctl(now()),
        CNTV_CVAL_EL0 => s.timer.virt.cval,
        CNTPCT_EL0 => now(),
        MDSCR_EL1 => s.mdscr_el1,
        OSLSR_EL1 => s.oslsr_el1,
        _ if icc::readable(k) => icc::get().map_or(0, |i| i.read(k)),
        _ if is_id(k) => {
            let m = MODEL.get().copied().unwrap_or(&crate::model::MAX);
            id_reg(m, s.mpidr, k >> 3 & 15, k & 7)
        }
        // Debug registers, MDCCINT, OSDLR, PMUSERENR: no debug or PMU
        // hardware behind them; they read as written-to-zero.
        _ => 0,
    }
}
tcg::helper!(pub HELPER_READ, "sysreg_read", A1(read), READS_ENV);

extern "C" fn write(env: Env, k: u64, v: u64) -> u64 {
    let c = cpu(env);
    let k = k as u32;
    let now = timer::now();
    let s = &mut c.sys;
    match k {
        SCTLR_EL1 => {
            s.sctlr_el1 = v;
            s.tlb_flush = 1;
        }
        ACTLR_EL1 => s.actlr_el1 = v,
        CPACR_EL1 => s.cpacr_el1 = v & 0x0030_0000,
        TTBR0_EL1 => {
            s.ttbr0_el1 = v;
            s.tlb_flush = 1;
        }
        TTBR1_EL1 => {
            s.ttbr1_el1 = v;
            s.tlb_flush = 1;
        }
        TCR_EL1 => {
            s.tcr_el1 = v;
            s.tlb_flush = 1;
        }
        SPSR_EL1 => s.spsr_el1 = v,
        ELR_EL1 => s.elr_el1 = v,
        SP_EL0 => s.sp_el0 = v,
        SPSEL => {
            super::save_sp(c);
            c.sys.spsel = v & 1;
            super::load_sp(c);
        }
        DAIF => s.daif = v & 0x3c0,
        AFSR0_EL1 => s.afsr0_el1 = v,
        AFSR1_EL1 => s.afsr1_el1 = v,
        ESR_EL1 => s.esr_el1 = v,
        FAR_EL1 => s.far_el1 = v,
        PAR_EL1 => s.par_el1 = v,
        MAIR_EL1 => s.mair_el1 = v,
        AMAIR_EL1 => s.amair_el1 = v,
        VBAR_EL1 => s.vbar_el1 = v & !0x7ff,
        CONTEXTIDR_EL1 => s.contextidr_el1 = v & 0xffff_ffff,
        TPIDR_EL1 => s.tpidr_el1 = v,
        CNTKCTL_EL1 => s.cntkctl_el1 = v & 0x3ff,
        CSSELR_EL1 => s.csselr_el1 = v & 0xf,
        CNTP_TVAL_EL0 => s.timer.phys.write_tval(now, v),
        CNTP_CTL_EL0 => s.timer.phys.ctl = v & 3,
        CNTP_CVAL_EL0 => s.timer.phys.cval = v,
        CNTV_TVAL_EL0 => s.timer.virt.write_tval(now, v),
        CNTV_CTL_EL0 => s.timer.virt.ctl = v & 3,
        CNTV_CVAL_EL0 => s.timer.virt.cval = v,
        MDSCR_EL1 => s.mdscr_el1 = v,
        OSLAR_EL1 => s.oslsr_el1 = (s.oslsr_el1 & !2) | (v & 1) << 1 | 8,
        _ if icc::writable(k) => {
            if let Some(i) = icc::get() {
                i.write(k, v);
            }
        }
        _ => {}
    }
    0
}
tcg::helper!(pub HELPER_WRITE, "sysreg_write", A2(write), READS_ENV | WRITES_ENV);

/// TLBI: `op` is the instruction's op1:CRm:op2 (`tlbi_op`), `xt` its
/// register. The EL1 by-VA forms (VAE1, VAAE1, VALE1, VAALE1, inner and
/// outer shareable or not) drop one page (`SysRegs::tlb_flush` = 3 with
/// `tlb_flush_page`); every other form flushes everything (2; ASIDs are
/// not tagged, so by-ASID forms do too). The cpu loop applies it to every
/// cpu.
extern "C" fn tlbi(env: Env, op: u64, xt: u64) -> u64 {
    let s = &mut cpu(env).sys;
    let (op1, crm, op2) = (op >> 7, op >> 3 & 0xf, op & 7);
    let by_va = op1 == 0 && matches!(crm, 1 | 3 | 7) && op2 & 1 == 1;
    if by_va && s.tlb_flush == 0 {
        // VA[55:12] in bits 43:0; bit 55 selects the upper range.
        let va = (xt & ((1 << 44) - 1)) << 12;
        s.tlb_flush_page = (((va << 8) as i64 >> 8) as u64) | 1;
        s.tlb_flush = 3;
    } else {
        s.tlb_flush = 2;
    }
    0
}
tcg::helper!(pub HELPER_TLBI, "tlbi", A2(tlbi), 0);

/// The `op` argument of `HELPER_TLBI`.
pub fn tlbi_op(op1: u32, crm: u32, op2: u32) -> u64 {
    (op1 as u64) << 7 | (crm as u64) << 3 | op2 as u64
}

/// AT S1E1R/S1E1W/S1E0R/S1E0W: translates `va` and sets PAR_EL1.
/// `op` bit 0: write, bit 1: EL0.
pub fn at(c: &mut CpuState, va: u64, op: u64, read: &dyn Fn(u64) -> Option<u64>) {
    let access = if op & 1 != 0 {
        tcg::softmmu::Access::Write
    } else {
        tcg::softmmu::Access::Read
    };
    let idx = if op & 2 != 0 {
        super::MMU_EL0
    } else {
        super::MMU_EL1
    };
    c.sys.par_el1 = match super::mmu::walk(c, va, access, idx, read) {
        Ok(t) => t.paddr & 0x0000_ffff_ffff_f000,
        Err(super::mmu::Fault(f)) => 1 | f << 1,
    };
}

extern "C" fn at_helper(env: Env, va: u64, op: u64) -> u64 {
    let bus = tcg::softmmu::bus(env);
    let read = |pa: u64| -> Option<u64> {
        let p = bus.ram_ptr(pa)?;
        // SAFETY: valid to the end of its page; descriptors are aligned.
        Some(unsafe { (p as *const u64).read_unaligned() })
    };
    at(cpu(env), va, op, &read);
    0
}
tcg::helper!(pub HELPER_AT, "at", A2(at_helper), READS_ENV);

/// MSR DAIFSet/DAIFClr/SPSel with an immediate: `field` 6 = DAIFSet,
/// 7 = DAIFClr, 5 = SPSel.
extern "C" fn pstate_imm(env: Env, field: u64, imm: u64) -> u64 {
    let c = cpu(env);
    match field {
        6 => c.sys.daif |= (imm & 0xf) << 6,
        7 => c.sys.daif &= !((imm & 0xf) << 6),
        5 => {
            super::save_sp(c);
            c.sys.spsel = imm & 1;
            super::load_sp(c);
        }
        _ => {}
    }
    0
}
tcg::helper!(pub HELPER_PSTATE_IMM, "pstate_imm", A2(pstate_imm), READS_ENV | WRITES_ENV);
