//! A64 encoding group: data processing (register). Logical and ADD/SUB
//! (shifted and extended register), ADC/SBC, flag manipulation (RMIF,
//! SETF8/16), conditional compare and select, 1-, 2- and 3-source.

use super::Ctx;
use crate::cpu::{G_CF, G_NF, G_VF, G_ZF};
use crate::decode::{pat, Insn, Pattern, Undef};
use crate::{flags, helpers};
use tcg::ir::{Cond, Temp};

pub static PATTERNS: &[Pattern] = &[
    pat(
        "log_shift",
        "sf:1 opc:2 01010 shift:2 N:1 rm:5 imm6:6 rn:5 rd:5",
        log_shift,
    ),
    pat(
        "addsub_shift",
        "sf:1 op:1 S:1 01011 shift:2 0 rm:5 imm6:6 rn:5 rd:5",
        addsub_shift,
    ),
    pat(
        "addsub_ext",
        "sf:1 op:1 S:1 01011 00 1 rm:5 option:3 imm3:3 rn:5 rd:5",
        addsub_ext,
    ),
    pat("adc", "sf:1 op:1 S:1 11010000 rm:5 000000 rn:5 rd:5", adc),
    pat("rmif", "1 0 1 11010000 imm6:6 00001 rn:5 0 mask:4", rmif),
    pat("setf", "0 0 1 11010000 000000 sz:1 0010 rn:5 0 1101", setf),
    pat(
        "ccmp",
        "sf:1 op:1 1 11010010 rm:5 cond:4 i:1 0 rn:5 0 nzcv:4",
        ccmp,
    ),
    pat(
        "csel",
        "sf:1 op:1 0 11010100 rm:5 cond:4 op2:2 rn:5 rd:5",
        csel,
    ),
    pat("dp2", "sf:1 0 0 11010110 rm:5 opcode:6 rn:5 rd:5", dp2),
    pat("dp1", "sf:1 1 0 11010110 00000 opcode:6 rn:5 rd:5", dp1),
    pat("dp3", "sf:1 00 11011 op31:3 rm:5 o0:1 ra:5 rn:5 rd:5", dp3),
];

type R = Result<(), Undef>;

/// `x` shifted by a constant: type 0 LSL, 1 LSR, 2 ASR, 3 ROR, at width `sf`.
/// For 32-bit operations only the low 32 bits of the result are meaningful.
pub fn shift_const(ctx: &mut Ctx, x: Temp, ty: u32, amt: u32, sf: bool) -> Temp {
    if amt == 0 {
        return x;
    }
    let d = ctx.b.temp_i64();
    match (ty, sf) {
        (0, _) => ctx.b.shli_i64(d, x, amt),
        (1, true) => ctx.b.shri_i64(d, x, amt),
        (2, true) => ctx.b.sari_i64(d, x, amt),
        (3, true) => ctx.b.rotri_i64(d, x, amt),
        (1, false) => ctx.b.extract_i64(d, x, amt, 32 - amt),
        (2, false) => ctx.b.sextract_i64(d, x, amt, 32 - amt),
        _ => {
            let a = ctx.b.temp_i32();
            ctx.b.extrl_i64_i32(a, x);
            let c = ctx.b.const_i32(amt);
            let r = ctx.b.temp_i32();
            ctx.b.rotr_i32(r, a, c);
            ctx.b.extu_i32_i64(d, r);
        }
    }
    d
}

/// Extended register operand: `option` as in ADD (extended register), then
/// shifted left by `sh`.
pub fn extend_reg(ctx: &mut Ctx, x: Temp, option: u32, sh: u32) -> Temp {
    let e = ctx.b.temp_i64();
    match option {
        0 => ctx.b.ext8u_i64(e, x),
        1 => ctx.b.ext16u_i64(e, x),
        2 => ctx.b.ext32u_i64(e, x),
        4 => ctx.b.ext8s_i64(e, x),
        5 => ctx.b.ext16s_i64(e, x),
        6 => ctx.b.ext32s_i64(e, x),
        _ => ctx.b.mov_i64(e, x),
    }
    if sh == 0 {
        return e;
    }
    let d = ctx.b.temp_i64();
    ctx.b.shli_i64(d, e, sh);
    d
}

fn log_shift(ctx: &mut Ctx, i: Insn) -> R {
    let sf = i.sf();
    let amt = i.bits(15, 10);
    if !sf && amt >= 32 {
        return Err(Undef);
    }
    let a = ctx.x(i.rn());
    let m = ctx.x(i.rm());
    let b = shift_const(ctx, m, i.bits(23, 22), amt, sf);
    let d = ctx.b.temp_i64();
    let opc = i.bits(30, 29);
    match (opc, i.bit(21)) {
        (0 | 3, false) => ctx.b.and_i64(d, a, b),
        (0 | 3, true) => ctx.b.andc_i64(d, a, b),
        (1, false) => ctx.b.or_i64(d, a, b),
        (1, true) => ctx.b.orc_i64(d, a, b),
        (_, false) => ctx.b.xor_i64(d, a, b),
        (_, true) => ctx.b.eqv_i64(d, a, b),
    }
    if opc == 3 {
        let f = flags::logic_flags(ctx, d, sf);
        flags::set_nzcv(ctx, f);
    }
    ctx.set_x_sf(i.rd(), sf, d);
    Ok(())
}

/// ADD/SUB(S) of `a` and `b`, result to `rd` (SP-able when `rd_sp`).
fn addsub(ctx: &mut Ctx, i: Insn, a: Temp, b: Temp, rd_sp: bool) {
    let sf = i.sf();
    let sub = i.bit(30);
    if i.bit(29) {
        let (res, f) = if sub {
            flags::sub_flags(ctx, a, b, sf)
        } else {
            flags::add_flags(ctx, a, b, sf)
        };
        flags::set_nzcv(ctx, f);
        ctx.set_x_sf(i.rd(), sf, res);
        return;
    }
    let d = ctx.b.temp_i64();
    if sub {
        ctx.b.sub_i64(d, a, b);
    } else {
        ctx.b.add_i64(d, a, b);
    }
    if rd_sp {
        ctx.set_x_sp_sf(i.rd(), sf, d);
    } else {
        ctx.set_x_sf(i.rd(), sf, d);
    }
}

fn addsub_shift(ctx: &mut Ctx, i: Insn) -> R {
    let sf = i.sf();
    let ty = i.bits(23, 22);
    let amt = i.bits(15, 10);
    if ty == 3 || (!sf && amt >= 32) {
        return Err(Undef);
    }
    let a = ctx.x(i.rn());
    let m = ctx.x(i.rm());
    let b = shift_const(ctx, m, ty, amt, sf);
    addsub(ctx, i, a, b, false);
    Ok(())
}

fn addsub_ext(ctx: &mut Ctx, i: Insn) -> R {
    let sh = i.bits(12, 10);
    if sh > 4 {
        return Err(Undef);
    }
    let a = ctx.x_sp(i.rn());
    let m = ctx.x(i.rm());
    let b = extend_reg(ctx, m, i.bits(15, 13), sh);
    addsub(ctx, i, a, b, !i.bit(29));
    Ok(())
}

fn adc(ctx: &mut Ctx, i: Insn) -> R {
    let sf = i.sf();
    let a = ctx.x(i.rn());
    let b = ctx.x(i.rm());
    let c = flags::carry(ctx);
    if i.bit(29) {
        let (res, f) = if i.bit(30) {
            flags::sub_carry_flags(ctx, a, b, c, sf)
        } else {
            flags::add_carry_flags(ctx, a, b, Some(c), sf)
        };
        flags::set_nzcv(ctx, f);
        ctx.set_x_sf(i.rd(), sf, res);
        return Ok(());
    }
    let bb = if i.bit(30) {
        let t = ctx.b.temp_i64();
        ctx.b.not_i64(t, b);
        t
    } else {
        b
    };
    let t = ctx.b.temp_i64();
    ctx.b.add_i64(t, a, bb);
    let d = ctx.b.temp_i64();
    ctx.b.add_i64(d, t, c);
    ctx.set_x_sf(i.rd(), sf, d);
    Ok(())
}

fn rmif(ctx: &mut Ctx, i: Insn) -> R {
    if !ctx.features.flagm {
        return Err(Undef);
    }
    let x = ctx.x(i.rn());
    let t = shift_const(ctx, x, 3, i.bits(20, 15), true);
    let mask = i.bits(3, 0);
    if mask & 8 != 0 {
        let g = ctx.b.global(G_NF);
        ctx.b.sextract_i64(g, t, 3, 1);
    }
    if mask & 4 != 0 {
        let z = ctx.b.temp_i64();
        ctx.b.extract_i64(z, t, 2, 1);
        let one = ctx.b.const_i64(1);
        let g = ctx.b.global(G_ZF);
        ctx.b.xor_i64(g, z, one);
    }
    if mask & 2 != 0 {
        let g = ctx.b.global(G_CF);
        ctx.b.extract_i64(g, t, 1, 1);
    }
    if mask & 1 != 0 {
        let g = ctx.b.global(G_VF);
        ctx.b.sextract_i64(g, t, 0, 1);
    }
    Ok(())
}

fn setf(ctx: &mut Ctx, i: Insn) -> R {
    if !ctx.features.flagm {
        return Err(Undef);
    }
    let bits = if i.bit(14) { 16 } else { 8 };
    let x = ctx.x(i.rn());
    let n = ctx.b.temp_i64();
    ctx.b.sextract_i64(n, x, 0, bits);
    let z = ctx.b.temp_i64();
    ctx.b.extract_i64(z, x, 0, bits);
    // V = x<bits> ^ x<bits-1>
    let s = ctx.b.temp_i64();
    ctx.b.shri_i64(s, x, 1);
    let t = ctx.b.temp_i64();
    ctx.b.xor_i64(t, x, s);
    let v = ctx.b.temp_i64();
    ctx.b.sextract_i64(v, t, bits - 1, 1);
    let (gn, gz, gv) = (ctx.b.global(G_NF), ctx.b.global(G_ZF), ctx.b.global(G_VF));
    ctx.b.mov_i64(gn, n);
    ctx.b.mov_i64(gz, z);
    ctx.b.mov_i64(gv, v);
    Ok(())
}

fn ccmp(ctx: &mut Ctx, i: Insn) -> R {
    let sf = i.sf();
    let test = flags::test_cc(ctx, i.bits(15, 12));
    let a = ctx.x(i.rn());
    let b = if i.bit(11) {
        ctx.b.const_i64(i.bits(20, 16) as u64)
    } else {
        ctx.x(i.rm())
    };
    let (_, f) = if i.bit(30) {
        flags::sub_flags(ctx, a, b, sf)
    } else {
        flags::add_flags(ctx, a, b, sf)
    };
    let g = flags::const_nzcv(ctx, i.bits(3, 0));
    flags::select_nzcv(ctx, test, f, g);
    Ok(())
}

fn csel(ctx: &mut Ctx, i: Insn) -> R {
    let sf = i.sf();
    let op2 = i.bits(11, 10);
    if op2 >= 2 {
        return Err(Undef);
    }
    let test = flags::test_cc(ctx, i.bits(15, 12));
    let n = ctx.x(i.rn());
    let m = ctx.x(i.rm());
    let f = match (i.bit(30), op2) {
        (false, 0) => m,
        (false, _) => {
            let t = ctx.b.temp_i64();
            ctx.b.addi_i64(t, m, 1);
            t
        }
        (true, 0) => {
            let t = ctx.b.temp_i64();
            ctx.b.not_i64(t, m);
            t
        }
        (true, _) => {
            let t = ctx.b.temp_i64();
            ctx.b.neg_i64(t, m);
            t
        }
    };
    let d = ctx.b.temp_i64();
    ctx.b.movcond_i64(d, test.a, test.b, n, f, test.cond);
    ctx.set_x_sf(i.rd(), sf, d);
    Ok(())
}

/// `a / b` with the architecture's division by zero (result 0) and the
/// signed overflow case (`MIN / -1 = MIN`) done without host traps.
fn divide(ctx: &mut Ctx, a: Temp, b: Temp, signed: bool, overflow: bool) -> Temp {
    let zero = ctx.b.const_i64(0);
    let one = ctx.b.const_i64(1);
    let safe = ctx.b.temp_i64();
    ctx.b.movcond_i64(safe, b, zero, one, b, Cond::Eq);
    let q = ctx.b.temp_i64();
    if signed && overflow {
        let m1 = ctx.b.const_i64(u64::MAX);
        let safe2 = ctx.b.temp_i64();
        ctx.b.movcond_i64(safe2, b, m1, one, safe, Cond::Eq);
        let q0 = ctx.b.temp_i64();
        ctx.b.divs_i64(q0, a, safe2);
        let na = ctx.b.temp_i64();
        ctx.b.neg_i64(na, a);
        let q1 = ctx.b.temp_i64();
        ctx.b.movcond_i64(q1, b, m1, na, q0, Cond::Eq);
        ctx.b.movcond_i64(q, b, zero, zero, q1, Cond::Eq);
    } else {
        let q0 = ctx.b.temp_i64();
        if signed {
            ctx.b.divs_i64(q0, a, safe);
        } else {
            ctx.b.divu_i64(q0, a, safe);
        }
        ctx.b.movcond_i64(q, b, zero, zero, q0, Cond::Eq);
    }
    q
}

fn dp2(ctx: &mut Ctx, i: Insn) -> R {
    let sf = i.sf();
    let opcode = i.bits(15, 10);
    let a = ctx.x(i.rn());
    let b = ctx.x(i.rm());
    let d = match opcode {
        2 | 3 => {
            let signed = opcode == 3;
            if sf {
                divide(ctx, a, b, signed, true)
            } else {
                let (a2, b2) = (ctx.b.temp_i64(), ctx.b.temp_i64());
                if signed {
                    ctx.b.ext32s_i64(a2, a);
                    ctx.b.ext32s_i64(b2, b);
                } else {
                    ctx.b.ext32u_i64(a2, a);
                    ctx.b.ext32u_i64(b2, b);
                }
                // 64-bit division of 32-bit values cannot overflow.
                divide(ctx, a2, b2, signed, false)
            }
        }
        8..=11 => {
            let amt = ctx.b.temp_i64();
            ctx.b.andi_i64(amt, b, if sf { 63 } else { 31 });
            let d = ctx.b.temp_i64();
            match (opcode, sf) {
                (8, _) => ctx.b.shl_i64(d, a, amt),
                (9, true) => ctx.b.shr_i64(d, a, amt),
                (10, true) => ctx.b.sar_i64(d, a, amt),
                (11, true) => ctx.b.rotr_i64(d, a, amt),
                (9, false) => {
                    let t = ctx.b.temp_i64();
                    ctx.b.ext32u_i64(t, a);
                    ctx.b.shr_i64(d, t, amt);
                }
                (10, false) => {
                    let t = ctx.b.temp_i64();
                    ctx.b.ext32s_i64(t, a);
                    ctx.b.sar_i64(d, t, amt);
                }
                _ => {
                    let (a32, n32, r32) = (ctx.b.temp_i32(), ctx.b.temp_i32(), ctx.b.temp_i32());
                    ctx.b.extrl_i64_i32(a32, a);
                    ctx.b.extrl_i64_i32(n32, amt);
                    ctx.b.rotr_i32(r32, a32, n32);
                    ctx.b.extu_i32_i64(d, r32);
                }
            }
            d
        }
        16..=23 => {
            let sz = opcode & 3;
            if !ctx.features.crc32 || sf != (sz == 3) {
                return Err(Undef);
            }
            let kind = sz as u64 | if opcode & 4 != 0 { 0x100 } else { 0 };
            let k = ctx.b.const_i64(kind);
            let acc = ctx.b.temp_i64();
            ctx.b.ext32u_i64(acc, a);
            let d = ctx.b.temp_i64();
            ctx.b.call(&helpers::HELPER_CRC32, Some(d), &[acc, b, k]);
            ctx.set_x_sf(i.rd(), false, d);
            return Ok(());
        }
        _ => return Err(Undef),
    };
    ctx.set_x_sf(i.rd(), sf, d);
    Ok(())
}

/// Count leading zeros of a 64-bit value, 64 for zero.
fn clz64(ctx: &mut Ctx, x: Temp) -> Temp {
    let c = ctx.b.temp_i64();
    ctx.b.clz_i64(c, x);
    let zero = ctx.b.const_i64(0);
    let sixty4 = ctx.b.const_i64(64);
    let d = ctx.b.temp_i64();
    ctx.b.movcond_i64(d, x, zero, sixty4, c, Cond::Eq);
    d
}

/// Count leading zeros of the low 32 bits (never feeds zero to `clz`).
fn clz32(ctx: &mut Ctx, x: Temp) -> Temp {
    let s = ctx.b.temp_i64();
    ctx.b.shli_i64(s, x, 32);
    let ones = ctx.b.const_i64(0xffff_ffff);
    let t = ctx.b.temp_i64();
    ctx.b.or_i64(t, s, ones);
    let c = ctx.b.temp_i64();
    ctx.b.clz_i64(c, t);
    c
}

fn dp1(ctx: &mut Ctx, i: Insn) -> R {
    let sf = i.sf();
    let x = ctx.x(i.rn());
    let d = match (i.bits(15, 10), sf) {
        (0, _) => {
            let r = ctx.b.temp_i64();
            ctx.b.call(&helpers::HELPER_RBIT, Some(r), &[x]);
            if sf {
                r
            } else {
                let d = ctx.b.temp_i64();
                ctx.b.shri_i64(d, r, 32);
                d
            }
        }
        (1, _) => {
            // REV16: swap the bytes of each halfword.
            let m = ctx.b.const_i64(0x00ff_00ff_00ff_00ff);
            let (hi, lo, h2, l2) = (
                ctx.b.temp_i64(),
                ctx.b.temp_i64(),
                ctx.b.temp_i64(),
                ctx.b.temp_i64(),
            );
            ctx.b.shri_i64(hi, x, 8);
            ctx.b.and_i64(h2, hi, m);
            ctx.b.and_i64(lo, x, m);
            ctx.b.shli_i64(l2, lo, 8);
            let d = ctx.b.temp_i64();
            ctx.b.or_i64(d, h2, l2);
            d
        }
        (2, true) => {
            // REV32: swap the bytes of each word.
            let s = ctx.b.temp_i64();
            ctx.b.bswap64_i64(s, x);
            let d = ctx.b.temp_i64();
            ctx.b.rotri_i64(d, s, 32);
            d
        }
        (2, false) | (3, true) => {
            let s = ctx.b.temp_i64();
            ctx.b.bswap64_i64(s, x);
            if sf {
                s
            } else {
                let d = ctx.b.temp_i64();
                ctx.b.shri_i64(d, s, 32);
                d
            }
        }
        (4, true) => clz64(ctx, x),
        (4, false) => clz32(ctx, x),
        (5, _) => {
            // CLS(x) = CLZ(x ^ (x >> 1, arithmetic)) - 1
            let s = ctx.b.temp_i64();
            let t = ctx.b.temp_i64();
            if sf {
                ctx.b.sari_i64(s, x, 1);
                ctx.b.xor_i64(t, x, s);
            } else {
                let e = ctx.b.temp_i64();
                ctx.b.ext32s_i64(e, x);
                ctx.b.sari_i64(s, e, 1);
                ctx.b.xor_i64(t, e, s);
            }
            let c = if sf { clz64(ctx, t) } else { clz32(ctx, t) };
            let d = ctx.b.temp_i64();
            ctx.b.addi_i64(d, c, u64::MAX);
            d
        }
        _ => return Err(Undef),
    };
    ctx.set_x_sf(i.rd(), sf, d);
    Ok(())
}

fn dp3(ctx: &mut Ctx, i: Insn) -> R {
    let sf = i.sf();
    let op31 = i.bits(23, 21);
    let sub = i.bit(15);
    let n = ctx.x(i.rn());
    let m = ctx.x(i.rm());
    let (a, b) = match (op31, sf) {
        (0, _) => (n, m),
        (1 | 5, true) => {
            let (a, b) = (ctx.b.temp_i64(), ctx.b.temp_i64());
            if op31 == 1 {
                ctx.b.ext32s_i64(a, n);
                ctx.b.ext32s_i64(b, m);
            } else {
                ctx.b.ext32u_i64(a, n);
                ctx.b.ext32u_i64(b, m);
            }
            (a, b)
        }
        (2 | 6, true) if !sub => {
            let d = ctx.b.temp_i64();
            if op31 == 2 {
                ctx.b.mulhs_i64(d, n, m);
            } else {
                ctx.b.mulhu_i64(d, n, m);
            }
            ctx.set_x(i.rd(), d);
            return Ok(());
        }
        _ => return Err(Undef),
    };
    let p = ctx.b.temp_i64();
    ctx.b.mul_i64(p, a, b);
    let acc = ctx.x(i.ra());
    let d = ctx.b.temp_i64();
    if sub {
        ctx.b.sub_i64(d, acc, p);
    } else {
        ctx.b.add_i64(d, acc, p);
    }
    ctx.set_x_sf(i.rd(), sf, d);
    Ok(())
}
