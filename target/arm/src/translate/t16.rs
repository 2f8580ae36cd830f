//! The 16-bit Thumb decode table (ARM ARM A6.2). Most data-processing
//! forms set flags outside IT blocks only; the IT instruction itself sets
//! the IT state for the following instructions.

use super::dp::{self, Op};
use super::{branch, ldst, media, system, Ctx};
use crate::decode::{pat16, Insn, Pattern, Undef};
use tcg::ir::MemOp;

type R = Result<(), Undef>;

pub static PATTERNS: &[Pattern] = &[
    pat16("add_reg", "0001100 rm:3 rn:3 rd:3", add_reg),
    pat16("sub_reg", "0001101 rm:3 rn:3 rd:3", sub_reg),
    pat16("add_imm3", "0001110 imm3:3 rn:3 rd:3", add_imm3),
    pat16("sub_imm3", "0001111 imm3:3 rn:3 rd:3", sub_imm3),
    pat16("shift_imm", "000 op:2 imm5:5 rm:3 rd:3", shift_imm),
    pat16("mov_imm", "00100 rd:3 imm8:8", mov_imm),
    pat16("cmp_imm", "00101 rn:3 imm8:8", cmp_imm),
    pat16("add_imm8", "00110 rdn:3 imm8:8", add_imm8),
    pat16("sub_imm8", "00111 rdn:3 imm8:8", sub_imm8),
    pat16("dp", "010000 op:4 rm:3 rdn:3", dp_),
    pat16("add_hi", "01000100 dn:1 rm:4 rdn:3", add_hi),
    pat16("cmp_hi", "01000101 n:1 rm:4 rn:3", cmp_hi),
    pat16("mov_hi", "01000110 d:1 rm:4 rd:3", mov_hi),
    pat16("bx", "010001110 rm:4 000", bx),
    pat16("blx", "010001111 rm:4 000", blx),
    pat16("ldr_lit", "01001 rt:3 imm8:8", ldr_lit),
    pat16("ldst_reg", "0101 op:3 rm:3 rn:3 rt:3", ldst_reg),
    pat16("ldst_imm", "011 b:1 l:1 imm5:5 rn:3 rt:3", ldst_imm),
    pat16("ldsth_imm", "1000 l:1 imm5:5 rn:3 rt:3", ldsth_imm),
    pat16("ldst_sp", "1001 l:1 rt:3 imm8:8", ldst_sp),
    pat16("adr", "10100 rd:3 imm8:8", adr),
    pat16("add_sp_imm", "10101 rd:3 imm8:8", add_sp_imm),
    pat16("add_sp", "101100000 imm7:7", add_sp),
    pat16("sub_sp", "101100001 imm7:7", sub_sp),
    pat16("cbz", "1011 op:1 0 i:1 1 imm5:5 rn:3", cbz),
    pat16("extend", "10110010 op:2 rm:3 rd:3", extend),
    pat16("push", "1011010 m:1 list:8", push),
    pat16("pop", "1011110 p:1 list:8", pop),
    pat16("setend", "10110110010 1 e:1 000", setend),
    pat16("cps", "10110110011 x xxxx", nop),
    pat16("rev", "10111010 op:2 rm:3 rd:3", rev),
    pat16("bkpt", "10111110 imm8:8", bkpt),
    pat16("hint", "10111111 op:4 0000", hint),
    pat16("it", "10111111 cond:4 mask:4", it),
    pat16("stm_ldm", "1100 l:1 rn:3 list:8", stm_ldm),
    pat16("udf", "11011110 imm8:8", udf),
    pat16("svc", "11011111 imm8:8", svc),
    pat16("b_cond", "1101 cond:4 imm8:8", b_cond),
    pat16("b", "11100 imm11:11", b),
];

fn r3(i: Insn, lo: u32) -> usize {
    i.bits(lo + 2, lo) as usize
}
/// Flags are set outside IT blocks.
fn setflags(ctx: &Ctx) -> bool {
    !ctx.in_it()
}

fn add_reg(ctx: &mut Ctx, i: Insn) -> R {
    let (a, b) = (ctx.reg(r3(i, 3)), ctx.reg(r3(i, 6)));
    let s = setflags(ctx);
    dp::alu(ctx, Op::Add, s, r3(i, 0), a, b, None)
}
fn sub_reg(ctx: &mut Ctx, i: Insn) -> R {
    let (a, b) = (ctx.reg(r3(i, 3)), ctx.reg(r3(i, 6)));
    let s = setflags(ctx);
    dp::alu(ctx, Op::Sub, s, r3(i, 0), a, b, None)
}
fn add_imm3(ctx: &mut Ctx, i: Insn) -> R {
    let a = ctx.reg(r3(i, 3));
    let b = ctx.b.const_i32(i.bits(8, 6));
    let s = setflags(ctx);
    dp::alu(ctx, Op::Add, s, r3(i, 0), a, b, None)
}
fn sub_imm3(ctx: &mut Ctx, i: Insn) -> R {
    let a = ctx.reg(r3(i, 3));
    let b = ctx.b.const_i32(i.bits(8, 6));
    let s = setflags(ctx);
    dp::alu(ctx, Op::Sub, s, r3(i, 0), a, b, None)
}
fn shift_imm(ctx: &mut Ctx, i: Insn) -> R {
    let op = i.bits(12, 11);
    if op == 3 {
        return Err(Undef);
    }
    let s = setflags(ctx);
    let v = ctx.reg(r3(i, 3));
    let (r, c) = dp::shift_imm(ctx, v, op, i.bits(10, 6), s);
    dp::alu(ctx, Op::Mov, s, r3(i, 0), r, r, c)
}
fn mov_imm(ctx: &mut Ctx, i: Insn) -> R {
    let v = ctx.b.const_i32(i.bits(7, 0));
    let s = setflags(ctx);
    dp::alu(ctx, Op::Mov, s, r3(i, 8), v, v, None)
}
fn cmp_imm(ctx: &mut Ctx, i: Insn) -> R {
    let a = ctx.reg(r3(i, 8));
    let v = ctx.b.const_i32(i.bits(7, 0));
    dp::alu(ctx, Op::Cmp, true, 0, a, v, None)
}
fn add_imm8(ctx: &mut Ctx, i: Insn) -> R {
    let a = ctx.reg(r3(i, 8));
    let v = ctx.b.const_i32(i.bits(7, 0));
    let s = setflags(ctx);
    dp::alu(ctx, Op::Add, s, r3(i, 8), a, v, None)
}
fn sub_imm8(ctx: &mut Ctx, i: Insn) -> R {
    let a = ctx.reg(r3(i, 8));
    let v = ctx.b.const_i32(i.bits(7, 0));
    let s = setflags(ctx);
    dp::alu(ctx, Op::Sub, s, r3(i, 8), a, v, None)
}
fn dp_(ctx: &mut Ctx, i: Insn) -> R {
    let op = i.bits(9, 6);
    let (rdn, rm) = (r3(i, 0), r3(i, 3));
    let s = setflags(ctx);
    let a = ctx.reg(rdn);
    let b = ctx.reg(rm);
    match op {
        0 => dp::alu(ctx, Op::And, s, rdn, a, b, None),
        1 => dp::alu(ctx, Op::Eor, s, rdn, a, b, None),
        2..=4 | 7 => {
            let ty = match op {
                2 => dp::LSL,
                3 => dp::LSR,
                4 => dp::ASR,
                _ => dp::ROR,
            };
            let (r, c) = dp::shift_reg(ctx, a, ty, b, s);
            dp::alu(ctx, Op::Mov, s, rdn, r, r, c)
        }
        5 => dp::alu(ctx, Op::Adc, s, rdn, a, b, None),
        6 => dp::alu(ctx, Op::Sbc, s, rdn, a, b, None),
        8 => dp::alu(ctx, Op::Tst, true, rdn, a, b, None),
        9 => {
            let z = ctx.b.const_i32(0);
            dp::alu(ctx, Op::Rsb, s, rdn, b, z, None)
        }
        10 => dp::alu(ctx, Op::Cmp, true, rdn, a, b, None),
        11 => dp::alu(ctx, Op::Cmn, true, rdn, a, b, None),
        12 => dp::alu(ctx, Op::Orr, s, rdn, a, b, None),
        13 => {
            let p = ctx.b.temp_i32();
            ctx.b.mul_i32(p, a, b);
            if s {
                crate::flags::set_nz(ctx, p);
            }
            ctx.set_reg(rdn, p);
            Ok(())
        }
        14 => dp::alu(ctx, Op::Bic, s, rdn, a, b, None),
        _ => dp::alu(ctx, Op::Mvn, s, rdn, b, b, None),
    }
}
fn add_hi(ctx: &mut Ctx, i: Insn) -> R {
    let rdn = (i.bits(7, 7) << 3 | i.bits(2, 0)) as usize;
    let rm = i.bits(6, 3) as usize;
    if rdn == 15 && !ctx.last_in_it_or_outside() {
        return Err(Undef);
    }
    let (a, b) = (ctx.reg(rdn), ctx.reg(rm));
    dp::alu(ctx, Op::Add, false, rdn, a, b, None)
}
fn cmp_hi(ctx: &mut Ctx, i: Insn) -> R {
    let rn = (i.bits(7, 7) << 3 | i.bits(2, 0)) as usize;
    let rm = i.bits(6, 3) as usize;
    let (a, b) = (ctx.reg(rn), ctx.reg(rm));
    dp::alu(ctx, Op::Cmp, true, 0, a, b, None)
}
fn mov_hi(ctx: &mut Ctx, i: Insn) -> R {
    let rd = (i.bits(7, 7) << 3 | i.bits(2, 0)) as usize;
    let rm = i.bits(6, 3) as usize;
    if rd == 15 && !ctx.last_in_it_or_outside() {
        return Err(Undef);
    }
    let v = ctx.reg(rm);
    dp::alu(ctx, Op::Mov, false, rd, v, v, None)
}
fn bx(ctx: &mut Ctx, i: Insn) -> R {
    branch::bx(ctx, i.bits(6, 3) as usize, false)
}
fn blx(ctx: &mut Ctx, i: Insn) -> R {
    branch::bx(ctx, i.bits(6, 3) as usize, true)
}
fn ldr_lit(ctx: &mut Ctx, i: Insn) -> R {
    let off = ctx.b.const_i32(i.bits(7, 0) << 2);
    ldst::single(ctx, true, MemOp::UL, r3(i, 8), 15, off, true, true, false)
}
fn ldst_reg(ctx: &mut Ctx, i: Insn) -> R {
    let (rt, rn, rm) = (r3(i, 0), r3(i, 3), r3(i, 6));
    let off = ctx.reg(rm);
    let (load, m) = match i.bits(11, 9) {
        0 => (false, MemOp::UL),
        1 => (false, MemOp::UW),
        2 => (false, MemOp::UB),
        3 => (true, MemOp::SB),
        4 => (true, MemOp::UL),
        5 => (true, MemOp::UW),
        6 => (true, MemOp::UB),
        _ => (true, MemOp::SW),
    };
    ldst::single(ctx, load, m, rt, rn, off, true, true, false)
}
fn ldst_imm(ctx: &mut Ctx, i: Insn) -> R {
    let byte = i.bit(12);
    let imm = i.bits(10, 6) << if byte { 0 } else { 2 };
    let off = ctx.b.const_i32(imm);
    let m = if byte { MemOp::UB } else { MemOp::UL };
    ldst::single(
        ctx,
        i.bit(11),
        m,
        r3(i, 0),
        r3(i, 3),
        off,
        true,
        true,
        false,
    )
}
fn ldsth_imm(ctx: &mut Ctx, i: Insn) -> R {
    let off = ctx.b.const_i32(i.bits(10, 6) << 1);
    ldst::single(
        ctx,
        i.bit(11),
        MemOp::UW,
        r3(i, 0),
        r3(i, 3),
        off,
        true,
        true,
        false,
    )
}
fn ldst_sp(ctx: &mut Ctx, i: Insn) -> R {
    let off = ctx.b.const_i32(i.bits(7, 0) << 2);
    ldst::single(
        ctx,
        i.bit(11),
        MemOp::UL,
        r3(i, 8),
        13,
        off,
        true,
        true,
        false,
    )
}
fn adr(ctx: &mut Ctx, i: Insn) -> R {
    let v = (ctx.pc_read() & !3).wrapping_add(i.bits(7, 0) << 2);
    let t = ctx.b.const_i32(v);
    ctx.set_reg(r3(i, 8), t);
    Ok(())
}
fn add_sp_imm(ctx: &mut Ctx, i: Insn) -> R {
    let sp = ctx.reg(13);
    let t = ctx.addi(sp, i.bits(7, 0) << 2);
    ctx.set_reg(r3(i, 8), t);
    Ok(())
}
fn add_sp(ctx: &mut Ctx, i: Insn) -> R {
    let sp = ctx.reg(13);
    let t = ctx.addi(sp, i.bits(6, 0) << 2);
    ctx.set_reg(13, t);
    Ok(())
}
fn sub_sp(ctx: &mut Ctx, i: Insn) -> R {
    let sp = ctx.reg(13);
    let t = ctx.addi(sp, (i.bits(6, 0) << 2).wrapping_neg());
    ctx.set_reg(13, t);
    Ok(())
}
fn cbz(ctx: &mut Ctx, i: Insn) -> R {
    let off = (i.bits(9, 9) << 6) | (i.bits(7, 3) << 1);
    branch::cbz(ctx, i.bit(11), r3(i, 0), off)
}
fn extend(ctx: &mut Ctx, i: Insn) -> R {
    // SXTH, SXTB, UXTH, UXTB
    let op = [3, 2, 7, 6][i.bits(7, 6) as usize];
    media::extend(ctx, op, r3(i, 0), 15, r3(i, 3), 0)
}
fn push(ctx: &mut Ctx, i: Insn) -> R {
    let list = i.bits(7, 0) | i.bits(8, 8) << 14;
    ldst::multiple(ctx, false, 13, list, false, true, true)
}
fn pop(ctx: &mut Ctx, i: Insn) -> R {
    let list = i.bits(7, 0) | i.bits(8, 8) << 15;
    if list >> 15 != 0 && !ctx.last_in_it_or_outside() {
        return Err(Undef);
    }
    ldst::multiple(ctx, true, 13, list, true, false, true)
}
fn setend(ctx: &mut Ctx, i: Insn) -> R {
    system::setend(ctx, i.bit(3))
}
fn nop(_ctx: &mut Ctx, _i: Insn) -> R {
    Ok(())
}
fn rev(ctx: &mut Ctx, i: Insn) -> R {
    let kind = match i.bits(7, 6) {
        0 => 0,
        1 => 1,
        3 => 3,
        _ => return Err(Undef),
    };
    media::rev(ctx, kind, r3(i, 0), r3(i, 3))
}
fn bkpt(ctx: &mut Ctx, i: Insn) -> R {
    system::bkpt(ctx, i.bits(7, 0))
}
fn hint(ctx: &mut Ctx, i: Insn) -> R {
    system::hint(ctx, i.bits(7, 4))
}
fn it(ctx: &mut Ctx, i: Insn) -> R {
    let (cond, mask) = (i.bits(7, 4), i.bits(3, 0));
    if cond == 15 || (cond == 14 && mask.count_ones() != 1) || ctx.in_it() {
        return Err(Undef);
    }
    ctx.new_it = Some(i.bits(7, 0));
    Ok(())
}
fn stm_ldm(ctx: &mut Ctx, i: Insn) -> R {
    let rn = r3(i, 8);
    let list = i.bits(7, 0);
    let load = i.bit(11);
    // LDM writes back unless the base is in the list.
    let wb = !load || list >> rn & 1 == 0;
    ldst::multiple(ctx, load, rn, list, true, false, wb)
}
fn udf(_ctx: &mut Ctx, _i: Insn) -> R {
    Err(Undef)
}
fn svc(ctx: &mut Ctx, i: Insn) -> R {
    system::svc(ctx, i.bits(7, 0))
}
fn b_cond(ctx: &mut Ctx, i: Insn) -> R {
    let cond = i.bits(11, 8);
    if ctx.in_it() {
        return Err(Undef);
    }
    // The block loop applies conditions from the A32 field or IT state;
    // this one is the instruction's own.
    let off = i.sbits(7, 0) << 1;
    let target = ctx.pc_read().wrapping_add(off as u32);
    if cond == 14 {
        return Err(Undef);
    }
    let t = crate::flags::test_cc(ctx, cond);
    ctx.cond_branch_to(t, target as u64);
    Ok(())
}
fn b(ctx: &mut Ctx, i: Insn) -> R {
    branch::b(ctx, i.sbits(10, 0) << 1, false)
}
