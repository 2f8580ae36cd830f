//! FEAT_BF16: BFCVT (scalar), BFCVTN/BFCVTN2, BFDOT (vector, by element),
//! BFMMLA, BFMLALB/BFMLALT (vector, by element).
//!
//! The rules differ per instruction (Arm ARM, Armv8.6 BF16 without
//! FEAT_EBF16):
//! - BFCVT/BFCVTN round single precision to BF16 as any FP conversion does:
//!   FPCR rounding mode, FZ, DN, exception flags (FPConvertBF).
//! - BFMLALB/T widen the bottom/top BF16 elements to single precision
//!   exactly and use the ordinary fused FPMulAdd (FPCR applies in full).
//! - BFDOT and BFMMLA use BFMul/BFAdd: products and sums rounded to single
//!   precision with round-to-odd, denormal inputs and results flushed to
//!   zero, any NaN giving the default NaN, overflow giving infinity, and no
//!   exception flags, whatever FPCR holds.

use super::lanes::{self, elem, set_elem, vget, vset, vset_q, Desc};
use super::{need, Ctx};
use crate::decode::{Insn, Undef};
use crate::fpu::{arith, conv, Fp, BF16, FPCR_DN, FPCR_FZ, FPSR_OFC, S};
use tcg::helper::{Env, ENV_FIELDS};

/// Helper ops.
const CVTN: u32 = 0;
const DOT: u32 = 1;
const MMLA: u32 = 2;
const MLAL: u32 = 3;
const CVT: u32 = 4;

/// BFCVT <Hd>, <Sn> (FP data-processing 1 source, ftype 01, opcode 000110).
pub(crate) fn bfcvt(ctx: &mut Ctx, i: Insn) -> Result<(), Undef> {
    need(ctx.features.bf16)?;
    emit(ctx, i, CVT, false, None);
    Ok(())
}

/// BFCVTN/BFCVTN2 (two-register misc, U = 0, size 10, opcode 10110).
pub(crate) fn bfcvtn(ctx: &mut Ctx, i: Insn) -> Result<(), Undef> {
    need(ctx.features.bf16)?;
    if i.bits(23, 22) != 2 || i.bit(28) {
        return Err(Undef);
    }
    emit(ctx, i, CVTN, i.bit(30), None);
    Ok(())
}

/// Three-same-extra, U = 1: BFDOT (size 01, opcode 1111), BFMLALB/T (size
/// 11, opcode 1111, Q selects top), BFMMLA (size 01, opcode 1101, Q = 1).
pub(crate) fn vector(ctx: &mut Ctx, i: Insn) -> Result<(), Undef> {
    need(ctx.features.bf16)?;
    let op = match (i.bits(23, 22), i.bits(14, 11)) {
        (1, 0b1111) => DOT,
        (3, 0b1111) => MLAL,
        (1, 0b1101) if i.bit(30) => MMLA,
        _ => return Err(Undef),
    };
    emit(ctx, i, op, i.bit(30), None);
    Ok(())
}

/// By element, U = 0, opcode 1111: BFDOT (size 01, index H:L of a pair of
/// Vm = M:Rm) and BFMLALB/T (size 11, index H:L:M of Vm = V0-V15).
pub(crate) fn by_elem(ctx: &mut Ctx, i: Insn) -> Result<(), Undef> {
    need(ctx.features.bf16)?;
    if i.bit(28) {
        return Err(Undef);
    }
    let (h, l, m) = (i.bit(11) as u32, i.bit(21) as u32, i.bit(20) as u32);
    match i.bits(23, 22) {
        1 => emit(ctx, i, DOT, i.bit(30), Some((h << 1 | l, i.rm()))),
        3 => emit(
            ctx,
            i,
            MLAL,
            i.bit(30),
            Some((h << 2 | l << 1 | m, i.bits(19, 16) as usize)),
        ),
        _ => return Err(Undef),
    }
    Ok(())
}

fn emit(ctx: &mut Ctx, i: Insn, op: u32, q: bool, idx: Option<(u32, usize)>) {
    let d = Desc {
        op,
        q,
        rd: i.rd(),
        rn: i.rn(),
        rm: idx.map_or(i.rm(), |x| x.1),
        imm: idx.map_or(0, |x| x.0),
        by_elem: idx.is_some(),
        ..Desc::default()
    };
    lanes::call(ctx, &BF16H, d);
}

/// The BF16 dot products' arithmetic context: round to odd, FZ, DN; its
/// flags are dropped.
fn dot_fp() -> Fp {
    let mut fp = Fp::new(u64::from(FPCR_FZ | FPCR_DN));
    fp.odd = true;
    fp
}

/// BFRound's overflow gives infinity (round to odd alone would give the
/// largest normal).
fn overflow_to_inf(fp: &Fp, r: u64) -> u64 {
    if fp.flags & FPSR_OFC != 0 {
        S.inf(r >> 31 != 0)
    } else {
        r
    }
}

/// BFMul: the single-precision product of two BF16 values.
pub(crate) fn bf_mul(a: u64, b: u64) -> u64 {
    let mut fp = dot_fp();
    let r = arith::mul(&mut fp, S, a << 16, b << 16);
    overflow_to_inf(&fp, r)
}

/// BFAdd: the sum of two single-precision values.
pub(crate) fn bf_add(a: u64, b: u64) -> u64 {
    let mut fp = dot_fp();
    let r = arith::add(&mut fp, S, a, b);
    overflow_to_inf(&fp, r)
}

/// BFDotAdd: addend + (a1 * b1 + a2 * b2).
pub(crate) fn bf_dot_add(addend: u64, a1: u64, a2: u64, b1: u64, b2: u64) -> u64 {
    bf_add(addend, bf_add(bf_mul(a1, b1), bf_mul(a2, b2)))
}

extern "C" fn bf16_helper(env: Env, desc: u64) -> u64 {
    let d = Desc::unpack(desc);
    let c = lanes::cpu(env);
    let (a, b, acc) = (vget(c, d.rn), vget(c, d.rm), vget(c, d.rd));
    let mut r = 0u128;
    match d.op {
        CVT | CVTN => {
            let mut fp = Fp::with_fpsr(c.fpcr, c.fpsr);
            let rm = fp.rounding();
            if d.op == CVT {
                let v = conv::convert(&mut fp, S, BF16, elem(a, 0, 32), rm);
                vset(c, d.rd, v as u128);
            } else {
                for e in 0..4 {
                    let v = conv::convert(&mut fp, S, BF16, elem(a, e, 32), rm);
                    set_elem(&mut r, e, 16, v);
                }
                // Vpart[d, Q]: BFCVTN2 keeps the low half, BFCVTN zeroes the high.
                let v = if d.q {
                    (acc & u64::MAX as u128) | r << 64
                } else {
                    r
                };
                vset(c, d.rd, v);
            }
            crate::translate::fp::helpers::accumulate(c, fp.flags);
            return 0;
        }
        DOT => {
            let n = if d.q { 4 } else { 2 };
            for e in 0..n {
                let p = if d.by_elem { d.imm as usize } else { e };
                let v = bf_dot_add(
                    elem(acc, e, 32),
                    elem(a, 2 * e, 16),
                    elem(a, 2 * e + 1, 16),
                    elem(b, 2 * p, 16),
                    elem(b, 2 * p + 1, 16),
                );
                set_elem(&mut r, e, 32, v);
            }
            vset_q(c, d.rd, r, d.q);
        }
        MMLA => {
            // Vd (2x2 single) += Vn (2x4 BF16, row major) * Vm^T (2x4).
            for row in 0..2 {
                for col in 0..2 {
                    let mut s = elem(acc, 2 * row + col, 32);
                    for k in 0..2 {
                        let x = 4 * row + 2 * k;
                        let y = 4 * col + 2 * k;
                        s = bf_dot_add(
                            s,
                            elem(a, x, 16),
                            elem(a, x + 1, 16),
                            elem(b, y, 16),
                            elem(b, y + 1, 16),
                        );
                    }
                    set_elem(&mut r, 2 * row + col, 32, s);
                }
            }
            vset(c, d.rd, r);
        }
        _ => {
            // BFMLALB/T: bottom (even) or top (odd) elements, 128-bit only.
            let mut fp = Fp::with_fpsr(c.fpcr, c.fpsr);
            let sel = d.q as usize;
            for e in 0..4 {
                let x = elem(a, 2 * e + sel, 16) << 16;
                let y = if d.by_elem {
                    elem(b, d.imm as usize, 16)
                } else {
                    elem(b, 2 * e + sel, 16)
                } << 16;
                let v = arith::fma(&mut fp, S, elem(acc, e, 32), x, y);
                set_elem(&mut r, e, 32, v);
            }
            vset(c, d.rd, r);
            crate::translate::fp::helpers::accumulate(c, fp.flags);
        }
    }
    0
}
tcg::helper!(BF16H, "adv_bf16", A1(bf16_helper), ENV_FIELDS);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bf16_dot_rules() {
        let one = 0x3f80; // 1.0 in BF16
        let two = 0x4000;
        // 1*2 + 1*2 + 1.0 = 5.0
        assert_eq!(
            bf_dot_add(0x3f80_0000, one, one, two, two),
            5.0f32.to_bits() as u64
        );
        // Overflow gives infinity, not the largest normal.
        let big = 0x7f7f; // ~3.39e38
        assert_eq!(bf_mul(big, two), 0x7f80_0000);
        // Denormal inputs are zero; NaN is the default NaN.
        assert_eq!(bf_mul(0x0001, 0x3f80), 0);
        assert_eq!(bf_mul(0x7fa0, 0x3f80), 0x7fc0_0000);
        // Round to odd: 1 + 2^-30 keeps a sticky last bit.
        assert_eq!(bf_add(0x3f80_0000, 0x3080_0000), 0x3f80_0001);
    }
}
