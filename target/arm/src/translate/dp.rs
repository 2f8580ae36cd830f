//! Data processing semantics shared by the A32 and T32 decoders: the
//! shifter (immediate and register shifts with carry out), modified
//! immediates, and the sixteen ALU operations with optional flag setting.

use super::{Ctx, I32Ext};
use crate::decode::Undef;
use crate::flags::{self, carry};
use crate::helpers;
use tcg::ir::Temp;

/// An ALU operation (the union of A32's and T32's opcode sets).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Op {
    And,
    Eor,
    Sub,
    Rsb,
    Add,
    Adc,
    Sbc,
    Rsc,
    Tst,
    Teq,
    Cmp,
    Cmn,
    Orr,
    Mov,
    Bic,
    Mvn,
    Orn,
}

impl Op {
    /// A32 opcode field (bits 24..21).
    pub fn a32(opc: u32) -> Op {
        use Op::*;
        [
            And, Eor, Sub, Rsb, Add, Adc, Sbc, Rsc, Tst, Teq, Cmp, Cmn, Orr, Mov, Bic, Mvn,
        ][opc as usize & 15]
    }
    /// Whether the operation's flags come from the shifter (logical ops).
    pub fn logical(self) -> bool {
        use Op::*;
        matches!(self, And | Eor | Tst | Teq | Orr | Mov | Bic | Mvn | Orn)
    }
    /// Compare-type ops write no register.
    pub fn test_only(self) -> bool {
        matches!(self, Op::Tst | Op::Teq | Op::Cmp | Op::Cmn)
    }
}

/// Shift types as encoded (LSL, LSR, ASR, ROR; RRX is ROR #0).
pub const LSL: u32 = 0;
pub const LSR: u32 = 1;
pub const ASR: u32 = 2;
pub const ROR: u32 = 3;

/// Shift by an immediate as A32/T32 encode it (`amount` 0 means 32 for
/// LSR/ASR, RRX for ROR). Returns the value and, when `want_carry`, the
/// shifter carry out (None: C unchanged).
pub fn shift_imm(
    ctx: &mut Ctx,
    v: Temp,
    ty: u32,
    amount: u32,
    want_carry: bool,
) -> (Temp, Option<Temp>) {
    let r = ctx.b.temp_i32();
    let mut c = None;
    let bit = |ctx: &mut Ctx, n: u32| {
        let t = ctx.b.temp_i32();
        ctx.b.extract_i32(t, v, n, 1);
        t
    };
    match (ty, amount) {
        (LSL, 0) => ctx.b.mov_i32(r, v),
        (LSL, n) => {
            if want_carry {
                c = Some(bit(ctx, 32 - n));
            }
            ctx.b.shli_i32(r, v, n);
        }
        (LSR, n) => {
            let n = if n == 0 { 32 } else { n };
            if want_carry {
                c = Some(bit(ctx, n - 1));
            }
            if n == 32 {
                ctx.b.movi_i32(r, 0);
            } else {
                ctx.b.shri_i32(r, v, n);
            }
        }
        (ASR, n) => {
            let n = if n == 0 { 32 } else { n };
            if want_carry {
                c = Some(bit(ctx, n - 1));
            }
            ctx.b.sari_i32(r, v, n.min(31));
        }
        (_, 0) => {
            // RRX
            if want_carry {
                c = Some(bit(ctx, 0));
            }
            let t = ctx.b.temp_i32();
            ctx.b.shri_i32(t, v, 1);
            let cf = carry(ctx);
            ctx.b.deposit_i32(r, t, cf, 31, 1);
        }
        (_, n) => {
            if want_carry {
                c = Some(bit(ctx, n - 1));
            }
            let k = ctx.b.const_i32(n);
            ctx.b.rotr_i32(r, v, k);
        }
    }
    (r, c)
}

/// Shift by a register (bottom byte of `amt`), with carry out.
pub fn shift_reg(
    ctx: &mut Ctx,
    v: Temp,
    ty: u32,
    amt: Temp,
    want_carry: bool,
) -> (Temp, Option<Temp>) {
    let v64 = ctx.b.temp_i64();
    let a64 = ctx.b.temp_i64();
    ctx.b.extu_i32_i64(v64, v);
    ctx.b.extu_i32_i64(a64, amt);
    let ty64 = ctx.b.const_i64(ty as u64);
    let cf = carry(ctx);
    let c64 = ctx.b.temp_i64();
    ctx.b.extu_i32_i64(c64, cf);
    let out = ctx.b.temp_i64();
    ctx.b
        .call(&helpers::HELPER_SHIFT_C, Some(out), &[ty64, v64, a64, c64]);
    let r = ctx.b.temp_i32();
    ctx.b.extrl_i64_i32(r, out);
    let c = if want_carry {
        let t = ctx.b.temp_i32();
        ctx.b.extrh_i64_i32(t, out);
        Some(t)
    } else {
        None
    };
    (r, c)
}

/// A32 modified immediate: imm8 rotated right by 2 * rot.
pub fn a32_imm(ctx: &mut Ctx, imm12: u32, want_carry: bool) -> (Temp, Option<Temp>) {
    let rot = (imm12 >> 8) * 2;
    let v = (imm12 & 0xff).rotate_right(rot);
    let t = ctx.b.const_i32(v);
    let c = (want_carry && rot != 0).then(|| ctx.b.const_i32(v >> 31));
    (t, c)
}

/// T32 modified immediate (ThumbExpandImm_C); None when UNPREDICTABLE.
pub fn t32_expand_imm(imm12: u32) -> Option<(u32, bool)> {
    let imm8 = imm12 & 0xff;
    if imm12 >> 10 == 0 {
        let v = match imm12 >> 8 & 3 {
            0 => imm8,
            1 if imm8 != 0 => imm8 << 16 | imm8,
            2 if imm8 != 0 => imm8 << 24 | imm8 << 8,
            3 if imm8 != 0 => imm8 * 0x0101_0101,
            _ => return None,
        };
        Some((v, false))
    } else {
        let v = (0x80 | (imm12 & 0x7f)).rotate_right(imm12 >> 7);
        Some((v, true))
    }
}

/// Runs ALU operation `op` on `rn` and `op2` (with the shifter's carry
/// out `sc`), writing `rd` and, with `s`, the flags.
pub fn alu(
    ctx: &mut Ctx,
    op: Op,
    s: bool,
    rd: usize,
    a: Temp,
    op2: Temp,
    sc: Option<Temp>,
) -> Result<(), Undef> {
    use Op::*;
    if s && rd == 15 && !op.test_only() {
        // Exception return forms (SUBS pc, lr...) are not user-mode code.
        return Err(Undef);
    }
    let res;
    if op.logical() {
        res = ctx.b.temp_i32();
        match op {
            And | Tst => ctx.b.and_i32(res, a, op2),
            Eor | Teq => ctx.b.xor_i32(res, a, op2),
            Orr => ctx.b.or_i32(res, a, op2),
            Orn => ctx.b.orc_i32(res, a, op2),
            Bic => ctx.b.andc_i32(res, a, op2),
            Mov => ctx.b.mov_i32(res, op2),
            _ => ctx.b.not_i32(res, op2),
        }
        if s {
            flags::set_logic(ctx, res, sc);
        }
    } else if s {
        let cf = ctx.b.temp_i32();
        let g = carry(ctx);
        ctx.b.mov_i32(cf, g);
        let (r, f) = match op {
            Add | Cmn => flags::add_flags(ctx, a, op2, None),
            Adc => flags::add_flags(ctx, a, op2, Some(cf)),
            Sub | Cmp => flags::sub_flags(ctx, a, op2),
            Rsb => flags::sub_flags(ctx, op2, a),
            Sbc => flags::sbc_flags(ctx, a, op2, cf),
            _ => flags::sbc_flags(ctx, op2, a, cf),
        };
        flags::set_nzcv(ctx, f);
        res = r;
    } else {
        res = ctx.b.temp_i32();
        match op {
            Add | Cmn => ctx.b.add_i32(res, a, op2),
            Sub | Cmp => ctx.b.sub_i32(res, a, op2),
            Rsb => ctx.b.sub_i32(res, op2, a),
            Adc => {
                let cf = carry(ctx);
                ctx.b.add_i32(res, a, op2);
                ctx.b.add_i32(res, res, cf);
            }
            Sbc | Rsc => {
                // x + ~y + C
                let (x, y) = if op == Sbc { (a, op2) } else { (op2, a) };
                let cf = carry(ctx);
                let ny = ctx.b.temp_i32();
                ctx.b.not_i32(ny, y);
                ctx.b.add_i32(res, x, ny);
                ctx.b.add_i32(res, res, cf);
            }
            _ => unreachable_op(),
        }
    }
    if !op.test_only() {
        ctx.set_reg_alu(rd, res);
    }
    Ok(())
}

/// Every `Op` is handled above; kept as a function so the match stays total.
fn unreachable_op() {}
