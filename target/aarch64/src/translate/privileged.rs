//! System mode: the privileged forms of the system-instruction group
//! (MRS/MSR of EL1 registers, MSR DAIFSet/DAIFClr/SPSel, TLBI, AT, the
//! set/way and invalidate cache operations, HVC, ERET, WFI). The
//! user-mode handlers in `system.rs` and `branch.rs` call these when the
//! block runs in system mode; they return `Err(Undef)` for what stays
//! undefined (wrong EL, unknown register).

use super::Ctx;
use crate::cpu::excp;
use crate::decode::Undef;
use crate::system::regs;
use tcg::ir::{MemOp, Terminal};

type R = Result<(), Undef>;

/// Ends the block after a state change the cpu loop must see.
fn end_sysreg(ctx: &mut Ctx) {
    ctx.end = Some(Terminal::Exit {
        pc: ctx.pc.wrapping_add(4),
        reason: excp::SYSREG,
    });
}

/// MRS (`read`) or MSR of an EL1 register; `Err` when not one.
pub fn mrs_msr(ctx: &mut Ctx, read: bool, k: u32, rt: usize) -> R {
    let el = ctx.el();
    if read {
        if !regs::readable(k, el) {
            return Err(Undef);
        }
        let t = if k == regs::CURRENT_EL {
            ctx.b.const_i64(u64::from(el) << 2)
        } else {
            let t = ctx.b.temp_i64();
            match regs::field_offset(k) {
                Some(off) => ctx.b.ld_env_i64(t, off, MemOp::UQ),
                None => {
                    let kv = ctx.b.const_i64(k as u64);
                    ctx.b.call(&regs::HELPER_READ, Some(t), &[kv]);
                }
            }
            t
        };
        ctx.set_x(rt, t);
        return Ok(());
    }
    if !regs::writable(k, el) {
        return Err(Undef);
    }
    let v = ctx.x(rt);
    let kv = ctx.b.const_i64(k as u64);
    ctx.b.call(&regs::HELPER_WRITE, None, &[kv, v]);
    end_sysreg(ctx);
    Ok(())
}

/// MSR (immediate) to PSTATE fields: DAIFSet, DAIFClr, SPSel.
pub fn msr_imm(ctx: &mut Ctx, op1: u32, op2: u32, crm: u32) -> R {
    if ctx.el() == 0 {
        return Err(Undef);
    }
    match (op1, op2) {
        (3, 6) | (3, 7) | (0, 5) => {
            let f = ctx.b.const_i64(op2 as u64);
            let imm = ctx.b.const_i64(crm as u64);
            ctx.b.call(&regs::HELPER_PSTATE_IMM, None, &[f, imm]);
            end_sysreg(ctx);
            Ok(())
        }
        _ => Err(Undef),
    }
}

/// SYS at EL1: TLBI, AT, IC IALLU(IS), DC by set/way and DC IVAC.
pub fn sys(ctx: &mut Ctx, op1: u32, crn: u32, crm: u32, op2: u32, rt: usize) -> R {
    if ctx.el() == 0 {
        return Err(Undef);
    }
    match (op1, crn, crm, op2) {
        (0, 8, _, _) | (4, 8, _, _) => {
            let op = ctx.b.const_i64(regs::tlbi_op(op1, crm, op2));
            let xt = ctx.x(rt);
            ctx.b.call(&regs::HELPER_TLBI, None, &[op, xt]);
            end_sysreg(ctx);
        }
        (0, 7, 8, 0..=3) => {
            let va = ctx.x(rt);
            let op = ctx.b.const_i64(op2 as u64);
            ctx.b.call(&regs::HELPER_AT, None, &[va, op]);
        }
        // IC IALLUIS / IALLU: translations follow code writes already.
        (0, 7, 1, 0) | (0, 7, 5, 0) => {}
        // DC IVAC, ISW, CSW, CISW: no caches to maintain.
        (0, 7, 6, 1) | (0, 7, 6, 2) | (0, 7, 10, 2) | (0, 7, 14, 2) => {}
        _ => return Err(Undef),
    }
    Ok(())
}

/// HVC at EL1 (PSCI calls on `virt`), SMC is undefined (no EL3).
pub fn hvc(ctx: &mut Ctx, imm: u64) -> R {
    if ctx.el() == 0 {
        return Err(Undef);
    }
    ctx.exit_with(excp::HVC, ctx.pc.wrapping_add(4), imm);
    Ok(())
}

/// ERET at EL1.
pub fn eret(ctx: &mut Ctx) -> R {
    if ctx.el() == 0 {
        return Err(Undef);
    }
    ctx.end = Some(Terminal::Exit {
        pc: ctx.pc,
        reason: excp::ERET,
    });
    Ok(())
}

/// WFI: sleep until an interrupt; WFE: a yield (events are not
/// modelled: SEV-based waiting loops re-check their condition).
pub fn wfx(ctx: &mut Ctx, wfi: bool) {
    ctx.end = Some(Terminal::Exit {
        pc: ctx.pc.wrapping_add(4),
        reason: if wfi { excp::WFI } else { excp::YIELD },
    });
}
