//! The 32-bit Thumb decode table (ARM ARM A6.3), the first halfword in
//! bits 31..16. Field positions below are those of the 32-bit word.

use super::dp::{self, Op};
use super::{branch, ldst, media, mul, system, Ctx};
use crate::decode::{pat, Insn, Pattern, Undef};
use tcg::ir::{MemOp, Temp};

type R = Result<(), Undef>;

pub static PATTERNS: &[Pattern] = &[
    // ---- load/store multiple, dual, exclusive, table branch
    pat("strex", "1110 1000 0100 rn:4 rt:4 rd:4 imm8:8", strex),
    pat("ldrex", "1110 1000 0101 rn:4 rt:4 1111 imm8:8", ldrex),
    pat("tbb", "1110 1000 1101 rn:4 1111 0000 000 h:1 rm:4", tbb),
    pat(
        "strexbhd",
        "1110 1000 1100 rn:4 rt:4 rt2:4 01 sz:2 rd:4",
        strexbhd,
    ),
    pat(
        "ldrexbhd",
        "1110 1000 1101 rn:4 rt:4 rt2:4 01 sz:2 1111",
        ldrexbhd,
    ),
    pat(
        "ldst_dual",
        "1110 100 p:1 u:1 1 w:1 l:1 rn:4 rt:4 rt2:4 imm8:8",
        ldst_dual,
    ),
    pat("ldm_stm", "1110 100 op:2 0 w:1 l:1 rn:4 list:16", ldm_stm),
    // ---- data processing (shifted register)
    pat(
        "dp_shreg",
        "1110 101 op:4 s:1 rn:4 0 imm3:3 rd:4 imm2:2 ty:2 rm:4",
        dp_shreg,
    ),
    // ---- branches and miscellaneous control
    pat(
        "msr",
        "1111 0011 100 x rn:4 10 x 0 mask:2 00 xxxx xxxx",
        msr,
    ),
    pat("hint", "1111 0011 1010 1111 10 x 0 x 000 op:8", hint),
    pat("clrex", "1111 0011 1011 1111 10 x 0 1111 0010 xxxx", clrex),
    pat(
        "dsb_dmb",
        "1111 0011 1011 1111 10 x 0 1111 010 x opt:4",
        dmb,
    ),
    pat("isb", "1111 0011 1011 1111 10 x 0 1111 0110 opt:4", isb),
    pat("mrs", "1111 0011 111 x 1111 10 x 0 rd:4 xxxx xxxx", mrs),
    pat("udf", "1111 0111 1111 imm4:4 1010 imm12:12", udf),
    pat(
        "b_cond",
        "11110 s:1 cond:4 imm6:6 10 j1:1 0 j2:1 imm11:11",
        b_cond,
    ),
    pat("b", "11110 s:1 imm10:10 10 j1:1 1 j2:1 imm11:11", b),
    pat("blx", "11110 s:1 imm10:10 11 j1:1 0 j2:1 imm11:11", blx),
    pat("bl", "11110 s:1 imm10:10 11 j1:1 1 j2:1 imm11:11", bl),
    // ---- data processing (immediates)
    pat(
        "dp_modimm",
        "11110 i:1 0 op:4 s:1 rn:4 0 imm3:3 rd:4 imm8:8",
        dp_modimm,
    ),
    pat("addw", "11110 i:1 1 0000 0 rn:4 0 imm3:3 rd:4 imm8:8", addw),
    pat("subw", "11110 i:1 1 0101 0 rn:4 0 imm3:3 rd:4 imm8:8", subw),
    pat(
        "movw",
        "11110 i:1 1 0010 0 imm4:4 0 imm3:3 rd:4 imm8:8",
        movw,
    ),
    pat(
        "movt",
        "11110 i:1 1 0110 0 imm4:4 0 imm3:3 rd:4 imm8:8",
        movt,
    ),
    pat(
        "sat",
        "11110 0 1 1 u:1 0 sh:1 0 rn:4 0 imm3:3 rd:4 imm2:2 0 sat:5",
        sat,
    ),
    pat(
        "bfx",
        "11110 0 1 1 u:1 1 0 0 rn:4 0 imm3:3 rd:4 imm2:2 0 wm1:5",
        bfx,
    ),
    pat(
        "bfi",
        "11110 0 1 1 0 1 1 0 rn:4 0 imm3:3 rd:4 imm2:2 0 msb:5",
        bfi,
    ),
    // ---- loads and stores (single)
    pat("pld", "1111 100 x x 0 x 1 rn:4 1111 xxxx xxxx xxxx", pld),
    pat(
        "ldst_lit",
        "1111 100 s:1 u:1 sz:2 l:1 1111 rt:4 imm12:12",
        ldst_lit,
    ),
    pat(
        "ldst_imm12",
        "1111 100 s:1 1 sz:2 l:1 rn:4 rt:4 imm12:12",
        ldst_imm12,
    ),
    pat(
        "ldst_imm8",
        "1111 100 s:1 0 sz:2 l:1 rn:4 rt:4 1 p:1 u:1 w:1 imm8:8",
        ldst_imm8,
    ),
    pat(
        "ldst_reg",
        "1111 100 s:1 0 sz:2 l:1 rn:4 rt:4 0 00000 imm2:2 rm:4",
        ldst_reg,
    ),
    // ---- data processing (register), media, multiplies
    pat(
        "shift_reg",
        "1111 1010 0 ty:2 s:1 rn:4 1111 rd:4 0000 rm:4",
        shift_reg,
    ),
    pat(
        "extend",
        "1111 1010 0 op:3 rn:4 1111 rd:4 10 rot:2 rm:4",
        extend,
    ),
    pat(
        "parallel",
        "1111 1010 1 op:3 rn:4 1111 rd:4 0 pre:3 rm:4",
        parallel,
    ),
    pat(
        "misc",
        "1111 1010 10 op1:2 rn:4 1111 rd:4 10 op2:2 rm:4",
        misc,
    ),
    pat(
        "mul",
        "1111 1011 0 op1:3 rn:4 ra:4 rd:4 op2:4 rm:4",
        mul_group,
    ),
    pat(
        "mull",
        "1111 1011 1 op1:3 rn:4 rdlo:4 rdhi:4 op2:4 rm:4",
        mull_group,
    ),
    // ---- coprocessor 15 (the A32 encoding with cond = 1110)
    pat(
        "mcr_mrc",
        "1110 1110 opc1:3 l:1 crn:4 rt:4 1111 opc2:3 1 crm:4",
        super::a32::cp15,
    ),
];

fn rn(i: Insn) -> usize {
    i.bits(19, 16) as usize
}
fn rt(i: Insn) -> usize {
    i.bits(15, 12) as usize
}
fn rd8(i: Insn) -> usize {
    i.bits(11, 8) as usize
}
fn rm(i: Insn) -> usize {
    i.bits(3, 0) as usize
}
/// SP or PC where T32 forbids them.
fn bad(r: usize) -> bool {
    r == 13 || r == 15
}

fn strex(ctx: &mut Ctx, i: Insn) -> R {
    ldst::strex(ctx, 2, rd8(i), rt(i), 15, rn(i), i.bits(7, 0) << 2)
}
fn ldrex(ctx: &mut Ctx, i: Insn) -> R {
    ldst::ldrex(ctx, 2, rt(i), 15, rn(i), i.bits(7, 0) << 2)
}
fn tbb(ctx: &mut Ctx, i: Insn) -> R {
    branch::tbb(ctx, i.bit(4), rn(i), rm(i))
}
fn strexbhd(ctx: &mut Ctx, i: Insn) -> R {
    let size = match i.bits(5, 4) {
        0 => 0,
        1 => 1,
        3 => 3,
        _ => return Err(Undef),
    };
    if size != 3 && rd8(i) != 15 {
        return Err(Undef);
    }
    ldst::strex(ctx, size, rm(i), rt(i), rd8(i), rn(i), 0)
}
fn ldrexbhd(ctx: &mut Ctx, i: Insn) -> R {
    let size = match i.bits(5, 4) {
        0 => 0,
        1 => 1,
        3 => 3,
        _ => return Err(Undef),
    };
    if size != 3 && rd8(i) != 15 {
        return Err(Undef);
    }
    ldst::ldrex(ctx, size, rt(i), rd8(i), rn(i), 0)
}
fn ldst_dual(ctx: &mut Ctx, i: Insn) -> R {
    let (p, w) = (i.bit(24), i.bit(21));
    if !p && !w {
        return Err(Undef);
    }
    let off = ctx.b.const_i32(i.bits(7, 0) << 2);
    ldst::dual(ctx, i.bit(20), rt(i), rd8(i), rn(i), off, i.bit(23), p, w)
}
fn ldm_stm(ctx: &mut Ctx, i: Insn) -> R {
    let op = i.bits(24, 23);
    let list = i.bits(15, 0);
    let load = i.bit(20);
    if (op != 1 && op != 2) || list & (1 << 13) != 0 || (!load && list & (1 << 15) != 0) {
        return Err(Undef);
    }
    if load && list >> 14 & 3 == 3 {
        return Err(Undef);
    }
    if load && list >> 15 != 0 && !ctx.last_in_it_or_outside() {
        return Err(Undef);
    }
    ldst::multiple(ctx, load, rn(i), list, op == 1, op == 2, i.bit(21))
}

fn dp_shreg(ctx: &mut Ctx, i: Insn) -> R {
    let opc = i.bits(24, 21);
    let s = i.bit(20);
    let (rn, rd, rm) = (rn(i), rd8(i), rm(i));
    let amount = i.bits(14, 12) << 2 | i.bits(7, 6);
    let ty = i.bits(5, 4);
    if opc == 6 {
        // PKHBT / PKHTB
        if s || ty & 1 != 0 {
            return Err(Undef);
        }
        return media::pkh(ctx, ty & 2 != 0, rd, rn, rm, amount);
    }
    let (op, test) = match opc {
        0 => (Op::And, Op::Tst),
        1 => (Op::Bic, Op::Bic),
        2 => (Op::Orr, Op::Orr),
        3 => (Op::Orn, Op::Orn),
        4 => (Op::Eor, Op::Teq),
        8 => (Op::Add, Op::Cmn),
        10 => (Op::Adc, Op::Adc),
        11 => (Op::Sbc, Op::Sbc),
        13 => (Op::Sub, Op::Cmp),
        14 => (Op::Rsb, Op::Rsb),
        _ => return Err(Undef),
    };
    let op = if rd == 15 && s && test != op {
        test
    } else {
        op
    };
    let op = match (op, rn) {
        (Op::Orr, 15) => Op::Mov,
        (Op::Orn, 15) => Op::Mvn,
        (o, _) => o,
    };
    if rm == 15 || (rd == 15 && !op.test_only()) || (rn == 15 && !matches!(op, Op::Mov | Op::Mvn)) {
        return Err(Undef);
    }
    let want = s && op.logical();
    let v = ctx.reg(rm);
    let (op2, c) = dp::shift_imm(ctx, v, ty, amount, want);
    let a = if matches!(op, Op::Mov | Op::Mvn) {
        op2
    } else {
        ctx.reg(rn)
    };
    dp::alu(ctx, op, s, rd, a, op2, c)
}

fn msr(ctx: &mut Ctx, i: Insn) -> R {
    // R (SPSR) and mask == 0 are not user-level forms.
    if i.bit(20) || i.bits(11, 10) == 0 {
        return Err(Undef);
    }
    let v = ctx.reg(rn(i));
    system::msr(ctx, i.bits(11, 10), v)
}
fn hint(ctx: &mut Ctx, i: Insn) -> R {
    system::hint(ctx, i.bits(7, 0))
}
fn clrex(ctx: &mut Ctx, _i: Insn) -> R {
    ldst::clrex(ctx)
}
fn dmb(ctx: &mut Ctx, _i: Insn) -> R {
    system::barrier(ctx, false)
}
fn isb(ctx: &mut Ctx, _i: Insn) -> R {
    system::barrier(ctx, true)
}
fn mrs(ctx: &mut Ctx, i: Insn) -> R {
    if i.bit(20) {
        return Err(Undef);
    }
    system::mrs(ctx, rd8(i))
}
fn udf(_ctx: &mut Ctx, _i: Insn) -> R {
    Err(Undef)
}
/// The T32 branch offset: S:I1:I2:imm10:imm11:0 with I = NOT(J xor S).
fn branch_off(i: Insn) -> i32 {
    let s = i.bits(26, 26);
    let i1 = !(i.bits(13, 13) ^ s) & 1;
    let i2 = !(i.bits(11, 11) ^ s) & 1;
    let v = s << 24 | i1 << 23 | i2 << 22 | i.bits(25, 16) << 12 | i.bits(10, 0) << 1;
    (v << 7) as i32 >> 7
}
fn b_cond(ctx: &mut Ctx, i: Insn) -> R {
    let cond = i.bits(25, 22);
    if cond >= 14 || ctx.in_it() {
        return Err(Undef);
    }
    let s = i.bits(26, 26);
    let v = s << 20
        | i.bits(11, 11) << 19
        | i.bits(13, 13) << 18
        | i.bits(21, 16) << 12
        | i.bits(10, 0) << 1;
    let off = (v << 11) as i32 >> 11;
    let target = ctx.pc_read().wrapping_add(off as u32);
    let t = crate::flags::test_cc(ctx, cond);
    ctx.cond_branch_to(t, target as u64);
    Ok(())
}
fn b(ctx: &mut Ctx, i: Insn) -> R {
    branch::b(ctx, branch_off(i), false)
}
fn bl(ctx: &mut Ctx, i: Insn) -> R {
    branch::b(ctx, branch_off(i), true)
}
fn blx(ctx: &mut Ctx, i: Insn) -> R {
    if i.bit(0) {
        return Err(Undef);
    }
    branch::blx_imm(ctx, branch_off(i))
}

fn imm12(i: Insn) -> u32 {
    i.bits(26, 26) << 11 | i.bits(14, 12) << 8 | i.bits(7, 0)
}
fn dp_modimm(ctx: &mut Ctx, i: Insn) -> R {
    let opc = i.bits(24, 21);
    let s = i.bit(20);
    let (rn, rd) = (rn(i), rd8(i));
    let (val, rotated) = dp::t32_expand_imm(imm12(i)).ok_or(Undef)?;
    let (op, test) = match opc {
        0 => (Op::And, Op::Tst),
        1 => (Op::Bic, Op::Bic),
        2 => (Op::Orr, Op::Orr),
        3 => (Op::Orn, Op::Orn),
        4 => (Op::Eor, Op::Teq),
        8 => (Op::Add, Op::Cmn),
        10 => (Op::Adc, Op::Adc),
        11 => (Op::Sbc, Op::Sbc),
        13 => (Op::Sub, Op::Cmp),
        14 => (Op::Rsb, Op::Rsb),
        _ => return Err(Undef),
    };
    let op = if rd == 15 && s && test != op {
        test
    } else {
        op
    };
    let op = match (op, rn) {
        (Op::Orr, 15) => Op::Mov,
        (Op::Orn, 15) => Op::Mvn,
        (o, _) => o,
    };
    if (rd == 15 && !op.test_only()) || (rn == 15 && !matches!(op, Op::Mov | Op::Mvn)) {
        return Err(Undef);
    }
    let op2 = ctx.b.const_i32(val);
    let c = (s && op.logical() && rotated).then(|| ctx.b.const_i32(val >> 31));
    let a = if matches!(op, Op::Mov | Op::Mvn) {
        op2
    } else {
        ctx.reg(rn)
    };
    dp::alu(ctx, op, s, rd, a, op2, c)
}
fn addw(ctx: &mut Ctx, i: Insn) -> R {
    let rd = rd8(i);
    if rd == 15 {
        return Err(Undef);
    }
    let a = if rn(i) == 15 {
        ctx.pc_aligned()
    } else {
        ctx.reg(rn(i))
    };
    let t = ctx.addi(a, imm12(i));
    ctx.set_reg(rd, t);
    Ok(())
}
fn subw(ctx: &mut Ctx, i: Insn) -> R {
    let rd = rd8(i);
    if rd == 15 {
        return Err(Undef);
    }
    let a = if rn(i) == 15 {
        ctx.pc_aligned()
    } else {
        ctx.reg(rn(i))
    };
    let t = ctx.addi(a, imm12(i).wrapping_neg());
    ctx.set_reg(rd, t);
    Ok(())
}
fn imm16(i: Insn) -> u32 {
    i.bits(19, 16) << 12 | imm12(i)
}
fn movw(ctx: &mut Ctx, i: Insn) -> R {
    if bad(rd8(i)) {
        return Err(Undef);
    }
    let v = ctx.b.const_i32(imm16(i));
    ctx.set_reg(rd8(i), v);
    Ok(())
}
fn movt(ctx: &mut Ctx, i: Insn) -> R {
    let rd = rd8(i);
    if bad(rd) {
        return Err(Undef);
    }
    let d = ctx.reg(rd);
    let hi = ctx.b.const_i32(imm16(i));
    let r = ctx.b.temp_i32();
    ctx.b.deposit_i32(r, d, hi, 16, 16);
    ctx.set_reg(rd, r);
    Ok(())
}
fn sat(ctx: &mut Ctx, i: Insn) -> R {
    let u = i.bit(23);
    let amount = i.bits(14, 12) << 2 | i.bits(7, 6);
    let sh = i.bit(21);
    if sh && amount == 0 {
        // SSAT16 / USAT16
        let bits = i.bits(3, 0) + u32::from(!u);
        return mul::sat16(ctx, u, bits, rd8(i), rn(i));
    }
    let bits = i.bits(4, 0) + u32::from(!u);
    mul::sat(ctx, u, bits, rd8(i), rn(i), if sh { 2 } else { 0 }, amount)
}
fn bfx(ctx: &mut Ctx, i: Insn) -> R {
    let lsb = i.bits(14, 12) << 2 | i.bits(7, 6);
    media::bfx(ctx, !i.bit(23), rd8(i), rn(i), lsb, i.bits(4, 0) + 1)
}
fn bfi(ctx: &mut Ctx, i: Insn) -> R {
    let lsb = i.bits(14, 12) << 2 | i.bits(7, 6);
    media::bfi(ctx, rd8(i), rn(i), lsb, i.bits(4, 0))
}

fn pld(_ctx: &mut Ctx, i: Insn) -> R {
    // PLD/PLI (byte and halfword loads into PC are preload hints).
    if i.bits(22, 21) == 2 {
        return Err(Undef);
    }
    Ok(())
}
fn memop(i: Insn) -> Result<MemOp, Undef> {
    let signed = i.bit(24);
    let m = match (i.bits(22, 21), signed) {
        (0, false) => MemOp::UB,
        (1, false) => MemOp::UW,
        (2, false) => MemOp::UL,
        (0, true) => MemOp::SB,
        (1, true) => MemOp::SW,
        _ => return Err(Undef),
    };
    if signed && !i.bit(20) {
        return Err(Undef);
    }
    Ok(m)
}
fn ldst_lit(ctx: &mut Ctx, i: Insn) -> R {
    if !i.bit(20) {
        return Err(Undef);
    }
    let m = memop(i)?;
    let off = ctx.b.const_i32(i.bits(11, 0));
    ldst::single(ctx, true, m, rt(i), 15, off, i.bit(23), true, false)
}
fn ldst_imm12(ctx: &mut Ctx, i: Insn) -> R {
    let m = memop(i)?;
    let off = ctx.b.const_i32(i.bits(11, 0));
    ldst::single(ctx, i.bit(20), m, rt(i), rn(i), off, true, true, false)
}
fn ldst_imm8(ctx: &mut Ctx, i: Insn) -> R {
    let m = memop(i)?;
    let (p, u, w) = (i.bit(10), i.bit(9), i.bit(8));
    if !p && !w {
        return Err(Undef);
    }
    let off = ctx.b.const_i32(i.bits(7, 0));
    ldst::single(ctx, i.bit(20), m, rt(i), rn(i), off, u, p, w)
}
fn ldst_reg(ctx: &mut Ctx, i: Insn) -> R {
    let m = memop(i)?;
    if bad(rm(i)) {
        return Err(Undef);
    }
    let v = ctx.reg(rm(i));
    let (off, _) = dp::shift_imm(ctx, v, dp::LSL, i.bits(5, 4), false);
    ldst::single(ctx, i.bit(20), m, rt(i), rn(i), off, true, true, false)
}

fn shift_reg(ctx: &mut Ctx, i: Insn) -> R {
    let (rd, rn, rm) = (rd8(i), rn(i), rm(i));
    if bad(rd) || bad(rn) || bad(rm) {
        return Err(Undef);
    }
    let s = i.bit(20);
    let v = ctx.reg(rn);
    let amt = ctx.reg(rm);
    let (r, c) = dp::shift_reg(ctx, v, i.bits(22, 21), amt, s);
    dp::alu(ctx, Op::Mov, s, rd, r, r, c)
}
fn extend(ctx: &mut Ctx, i: Insn) -> R {
    // T32 op (bits 22..20): 000 SXTAH 001 UXTAH 010 SXTAB16 011 UXTAB16
    // 100 SXTAB 101 UXTAB; mapped to the A32 numbering.
    let op = match i.bits(22, 20) {
        0 => 3,
        1 => 7,
        2 => 0,
        3 => 4,
        4 => 2,
        5 => 6,
        _ => return Err(Undef),
    };
    media::extend(ctx, op, rd8(i), rn(i), rm(i), i.bits(5, 4))
}
fn parallel(ctx: &mut Ctx, i: Insn) -> R {
    // T32: op1 (bits 22..20) is the operation, bits 6..4 the prefix
    // (000 S, 001 Q, 010 SH, 100 U, 101 UQ, 110 UH).
    let op = match i.bits(22, 20) {
        1 => 0, // ADD16
        2 => 1, // ASX
        6 => 2, // SAX
        5 => 3, // SUB16
        0 => 4, // ADD8
        4 => 7, // SUB8
        _ => return Err(Undef),
    };
    let pre = match i.bits(6, 4) {
        0 => 1,
        1 => 2,
        2 => 3,
        4 => 5,
        5 => 6,
        6 => 7,
        _ => return Err(Undef),
    };
    media::parallel(ctx, pre, op, rd8(i), rn(i), rm(i))
}
fn misc(ctx: &mut Ctx, i: Insn) -> R {
    let (op1, op2) = (i.bits(21, 20), i.bits(5, 4));
    let (rd, rn, rm) = (rd8(i), rn(i), rm(i));
    match (op1, op2) {
        (0, q) => mul::qaddsub(ctx, [0, 2, 1, 3][q as usize], rd, rn, rm),
        (1, k) => media::rev(ctx, [0, 1, 2, 3][k as usize], rd, rm),
        (2, 0) => media::sel(ctx, rd, rn, rm),
        (3, 0) => media::clz(ctx, rd, rm),
        _ => Err(Undef),
    }
}
fn mul_group(ctx: &mut Ctx, i: Insn) -> R {
    let (op1, op2) = (i.bits(22, 20), i.bits(7, 4));
    let (rn, ra, rd, rm) = (rn(i), rt(i), rd8(i), rm(i));
    let acc = (ra != 15).then_some(ra);
    match (op1, op2) {
        (0, 0) => mul::mul(ctx, false, rd, rn, rm, acc.map(|r| (r, false))),
        (0, 1) => mul::mul(ctx, false, rd, rn, rm, Some((ra, true))),
        (1, 0..=3) => mul::smulxy(ctx, rd, rn, rm, acc, i.bit(5), i.bit(4)),
        (2 | 4, 0 | 1) => mul::dual16(ctx, rd, rn, rm, acc, i.bit(4), op1 == 4, None),
        (3, 0 | 1) => mul::smulwy(ctx, rd, rn, rm, acc, i.bit(4)),
        (5, 0 | 1) => mul::smmul(ctx, rd, rn, rm, acc, false, i.bit(4)),
        (6, 0 | 1) => mul::smmul(ctx, rd, rn, rm, Some(ra), true, i.bit(4)),
        (7, 0) => media::usad8(ctx, rd, rn, rm, ra),
        _ => Err(Undef),
    }
}
fn mull_group(ctx: &mut Ctx, i: Insn) -> R {
    let (op1, op2) = (i.bits(22, 20), i.bits(7, 4));
    let (rn, lo, hi, rm) = (rn(i), rt(i), rd8(i), rm(i));
    match (op1, op2) {
        (0, 0) => mul::mull(ctx, true, false, false, lo, hi, rn, rm),
        (1, 15) => mul::div(ctx, true, hi, rn, rm),
        (2, 0) => mul::mull(ctx, false, false, false, lo, hi, rn, rm),
        (3, 15) => mul::div(ctx, false, hi, rn, rm),
        (4, 0) => mul::mull(ctx, true, true, false, lo, hi, rn, rm),
        (4, 8..=11) => mul::smlalxy(ctx, lo, hi, rn, rm, i.bit(5), i.bit(4)),
        (4, 12 | 13) => mul::dual16(ctx, 0, rn, rm, None, i.bit(4), false, Some((lo, hi))),
        (5, 12 | 13) => mul::dual16(ctx, 0, rn, rm, None, i.bit(4), true, Some((lo, hi))),
        (6, 0) => mul::mull(ctx, false, true, false, lo, hi, rn, rm),
        (6, 6) => mul::umaal(ctx, lo, hi, rn, rm),
        _ => Err(Undef),
    }
}

#[allow(dead_code)]
fn unused(_: Temp) {}
