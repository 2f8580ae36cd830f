//! System-level instructions user mode can execute: SVC, BKPT, UDF, the
//! hints (NOP, YIELD, WFE, WFI, SEV), barriers, MRS/MSR of the APSR,
//! coprocessor 15 thread-ID registers (TPIDRURW, TPIDRURO) and the
//! counter/ID registers Linux lets EL0 read, and SETEND.

use super::{Ctx, I32Ext};
use crate::cpu::{excp, G_GE, G_QF, OFF_TPIDRURO, OFF_TPIDRURW};
use crate::decode::Undef;
use crate::flags;
use tcg::ir::MemOp;

type R = Result<(), Undef>;

pub fn svc(ctx: &mut Ctx, imm: u32) -> R {
    let next = ctx.next_pc();
    ctx.exit_with(excp::SVC, next, imm as u64);
    Ok(())
}

pub fn bkpt(ctx: &mut Ctx, imm: u32) -> R {
    let pc = ctx.pc;
    ctx.exit_with(excp::BKPT, pc, imm as u64);
    Ok(())
}

/// Hints: YIELD/WFE/WFI let other threads run; the rest are NOPs.
pub fn hint(ctx: &mut Ctx, op: u32) -> R {
    if (1..=3).contains(&op) {
        let next = ctx.next_pc();
        ctx.exit_with(excp::YIELD, next, 0);
    }
    Ok(())
}

/// DMB/DSB (a host full fence); ISB ends the block (code may have changed).
pub fn barrier(ctx: &mut Ctx, isb: bool) -> R {
    ctx.b.call(&target_aarch64::helpers::HELPER_MB, None, &[]);
    if isb && ctx.end.is_none() {
        let next = ctx.next_pc();
        ctx.branch_to(next);
    }
    Ok(())
}

/// MRS rd, APSR.
pub fn mrs(ctx: &mut Ctx, rd: usize) -> R {
    if rd == 15 {
        return Err(Undef);
    }
    let r = flags::read_nzcv(ctx);
    let q = ctx.b.global(G_QF);
    let t = ctx.b.temp_i32();
    ctx.b.shli_i32(t, q, 27);
    ctx.b.or_i32(r, r, t);
    let ge = ctx.b.global(G_GE);
    let g = ctx.b.temp_i32();
    ctx.b.shli_i32(g, ge, 16);
    ctx.b.or_i32(r, r, g);
    // Mode bits: USR; the T and E bits read as zero through MRS... except
    // that the A32 ARM ARM says they read as zero from APSR (user view).
    ctx.b.ori_i32(r, r, 0x10);
    ctx.set_reg(rd, r);
    Ok(())
}

/// MSR APSR_<mask>, value (`mask` bit 1: nzcvq, bit 0: g).
pub fn msr(ctx: &mut Ctx, mask: u32, v: tcg::ir::Temp) -> R {
    if mask & 2 != 0 {
        flags::write_nzcv(ctx, v);
        let q = ctx.b.global(G_QF);
        ctx.b.extract_i32(q, v, 27, 1);
    }
    if mask & 1 != 0 {
        let ge = ctx.b.global(G_GE);
        ctx.b.extract_i32(ge, v, 16, 4);
    }
    Ok(())
}

/// MRC/MCR p15 (`load`: MRC). Thread-ID registers and the ones EL0 may read.
#[allow(clippy::too_many_arguments)]
pub fn cp15(ctx: &mut Ctx, load: bool, opc1: u32, crn: u32, crm: u32, opc2: u32, rt: usize) -> R {
    if rt == 15 {
        return Err(Undef);
    }
    match (opc1, crn, crm, opc2) {
        (0, 13, 0, 2) => {
            // TPIDRURW
            if load {
                let t = ctx.b.temp_i32();
                ctx.b.ld_env_i32(t, OFF_TPIDRURW, MemOp::UL);
                ctx.set_reg(rt, t);
            } else {
                let v = ctx.reg(rt);
                ctx.b.st_env_i32(v, OFF_TPIDRURW, MemOp::UL);
            }
            Ok(())
        }
        (0, 13, 0, 3) if load => {
            let t = ctx.b.temp_i32();
            ctx.b.ld_env_i32(t, OFF_TPIDRURO, MemOp::UL);
            ctx.set_reg(rt, t);
            Ok(())
        }
        (0, 7, 10, 5) | (0, 7, 5, 4) if !load => {
            // CP15DMB / CP15ISB (deprecated barrier encodings).
            barrier(ctx, opc2 == 4)
        }
        (0, 7, 10, 4) if !load => barrier(ctx, false),
        _ => Err(Undef),
    }
}

/// SETEND: switches the data endianness (a decode flag).
pub fn setend(ctx: &mut Ctx, be: bool) -> R {
    if ctx.in_it() {
        return Err(Undef);
    }
    if be != ctx.be {
        ctx.be = be;
        let next = ctx.next_pc();
        ctx.branch_to(next);
    }
    Ok(())
}
