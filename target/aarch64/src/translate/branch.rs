//! A64 encoding group: branches. B, BL, B.cond, CBZ/CBNZ, TBZ/TBNZ, BR, BLR,
//! RET. The pointer-authentication forms (BRAA, RETAA, ...) are UNDEF: PAC is
//! not implemented (its hint-space forms are NOPs, see system.rs).

use super::Ctx;
use crate::decode::{pat, Insn, Pattern, Undef};
use crate::flags;
use tcg::ir::{Cond, Terminal};

pub static PATTERNS: &[Pattern] = &[
    pat("b", "op:1 00101 imm26:26", b_imm),
    pat("b_cond", "0101010 0 imm19:19 0 cond:4", b_cond),
    pat("cbz", "sf:1 011010 op:1 imm19:19 rt:5", cbz),
    pat("tbz", "b5:1 011011 op:1 b40:5 imm14:14 rt:5", tbz),
    pat("br", "1101011 0000 11111 000000 rn:5 00000", br),
    pat("blr", "1101011 0001 11111 000000 rn:5 00000", blr),
    pat("ret", "1101011 0010 11111 000000 rn:5 00000", ret),
    pat("eret", "1101011 0100 11111 000000 11111 00000", eret),
];

type R = Result<(), Undef>;

fn b_imm(ctx: &mut Ctx, i: Insn) -> R {
    let target = ctx.pc.wrapping_add((i.sbits(25, 0) << 2) as u64);
    if i.bit(31) {
        let lr = ctx.b.const_i64(ctx.pc.wrapping_add(4));
        ctx.set_x(30, lr);
    }
    ctx.end = Some(Terminal::Jump(target));
    Ok(())
}

fn cond_branch(ctx: &mut Ctx, t: flags::Test, target: u64) {
    let next = ctx.pc.wrapping_add(4);
    ctx.end = Some(match t.cond {
        Cond::Always => Terminal::Jump(target),
        Cond::Never => Terminal::Jump(next),
        cond => Terminal::Cond {
            cond,
            a: t.a,
            b: t.b,
            taken: target,
            not_taken: next,
        },
    });
}

fn b_cond(ctx: &mut Ctx, i: Insn) -> R {
    let target = ctx.pc.wrapping_add((i.sbits(23, 5) << 2) as u64);
    let t = flags::test_cc(ctx, i.bits(3, 0));
    cond_branch(ctx, t, target);
    Ok(())
}

fn cbz(ctx: &mut Ctx, i: Insn) -> R {
    let target = ctx.pc.wrapping_add((i.sbits(23, 5) << 2) as u64);
    let x = ctx.x(i.rt());
    let a = if i.sf() {
        x
    } else {
        let t = ctx.b.temp_i64();
        ctx.b.ext32u_i64(t, x);
        t
    };
    let zero = ctx.b.const_i64(0);
    let cond = if i.bit(24) { Cond::Ne } else { Cond::Eq };
    cond_branch(ctx, flags::Test { cond, a, b: zero }, target);
    Ok(())
}

fn tbz(ctx: &mut Ctx, i: Insn) -> R {
    let target = ctx.pc.wrapping_add((i.sbits(18, 5) << 2) as u64);
    let bit = i.bits(31, 31) << 5 | i.bits(23, 19);
    let a = ctx.x(i.rt());
    let m = ctx.b.const_i64(1u64 << bit);
    let cond = if i.bit(24) { Cond::TstNe } else { Cond::TstEq };
    cond_branch(ctx, flags::Test { cond, a, b: m }, target);
    Ok(())
}

fn br(ctx: &mut Ctx, i: Insn) -> R {
    let t = ctx.b.temp_i64();
    let x = ctx.x(i.rn());
    ctx.b.mov_i64(t, x);
    ctx.end = Some(Terminal::Indirect(t));
    Ok(())
}

fn blr(ctx: &mut Ctx, i: Insn) -> R {
    // Read the target before writing X30 (BLR X30 is valid).
    let t = ctx.b.temp_i64();
    let x = ctx.x(i.rn());
    ctx.b.mov_i64(t, x);
    let lr = ctx.b.const_i64(ctx.pc.wrapping_add(4));
    ctx.set_x(30, lr);
    ctx.end = Some(Terminal::Indirect(t));
    Ok(())
}

fn ret(ctx: &mut Ctx, i: Insn) -> R {
    br(ctx, i)
}

/// ERET: system mode at EL1 only (UNDEF at EL0 and in user mode).
fn eret(ctx: &mut Ctx, _i: Insn) -> R {
    if !ctx.system() {
        return Err(Undef);
    }
    super::privileged::eret(ctx)
}
