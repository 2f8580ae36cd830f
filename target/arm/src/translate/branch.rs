//! Branches shared by A32 and T32: B, BL, BLX (immediate and register), BX,
//! and the Thumb compare-and-branch (CBZ/CBNZ) and table branches (TBB/TBH).

use super::Ctx;
use crate::decode::Undef;
use tcg::ir::{Cond, MemOp};

type R = Result<(), Undef>;

/// The link value: the return address, with bit 0 set in Thumb state.
fn link(ctx: &Ctx) -> u32 {
    (ctx.next_pc() as u32) | u32::from(ctx.thumb)
}

/// B / BL to `pc_read + off`.
pub fn b(ctx: &mut Ctx, off: i32, bl: bool) -> R {
    if !ctx.last_in_it_or_outside() {
        return Err(Undef);
    }
    if bl {
        let l = link(ctx);
        let t = ctx.b.const_i32(l);
        ctx.set_reg(14, t);
    }
    let target = ctx.pc_read().wrapping_add(off as u32);
    ctx.branch_to(target as u64);
    Ok(())
}

/// BLX (immediate): call switching instruction set.
pub fn blx_imm(ctx: &mut Ctx, off: i32) -> R {
    if !ctx.last_in_it_or_outside() {
        return Err(Undef);
    }
    let l = link(ctx);
    let t = ctx.b.const_i32(l);
    ctx.set_reg(14, t);
    let base = if ctx.thumb {
        ctx.pc_read() & !3
    } else {
        ctx.pc_read()
    };
    let target = base.wrapping_add(off as u32);
    let to_thumb = !ctx.thumb;
    ctx.branch_exchange_to(target, to_thumb);
    Ok(())
}

/// BX / BLX (register).
pub fn bx(ctx: &mut Ctx, rm: usize, with_link: bool) -> R {
    if !ctx.last_in_it_or_outside() || (with_link && rm == 15) {
        return Err(Undef);
    }
    let v = ctx.reg_copy(rm);
    if with_link {
        let l = link(ctx);
        let t = ctx.b.const_i32(l);
        ctx.set_reg(14, t);
    }
    ctx.write_pc(v, true);
    Ok(())
}

/// CBZ / CBNZ.
pub fn cbz(ctx: &mut Ctx, nonzero: bool, rn: usize, off: u32) -> R {
    if ctx.in_it() {
        return Err(Undef);
    }
    let v = ctx.reg(rn);
    let zero = ctx.b.const_i32(0);
    let target = ctx.pc_read().wrapping_add(off);
    let cond = if nonzero { Cond::Ne } else { Cond::Eq };
    let t = crate::flags::Test {
        cond,
        a: v,
        b: zero,
    };
    ctx.cond_branch_to(t, target as u64);
    Ok(())
}

/// TBB / TBH: branch forward by twice a table entry.
pub fn tbb(ctx: &mut Ctx, half: bool, rn: usize, rm: usize) -> R {
    if !ctx.last_in_it_or_outside() || rm == 13 || rm == 15 || rn == 13 {
        return Err(Undef);
    }
    let base = ctx.reg(rn);
    let idx = ctx.reg(rm);
    let a = ctx.b.temp_i32();
    if half {
        ctx.b.add_i32(a, idx, idx);
        ctx.b.add_i32(a, a, base);
    } else {
        ctx.b.add_i32(a, base, idx);
    }
    let m = if half { MemOp::UW } else { MemOp::UB };
    let e = ctx.load(a, m);
    let off = ctx.b.temp_i32();
    ctx.b.add_i32(off, e, e);
    let p = ctx.b.const_i32(ctx.pc_read());
    let t = ctx.b.temp_i32();
    ctx.b.add_i32(t, p, off);
    ctx.write_pc(t, false);
    Ok(())
}
