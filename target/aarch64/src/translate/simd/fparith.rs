//! AdvSIMD floating point: three same (vector and scalar, incl. pairwise and
//! FMLA/FMLS), by element (FMLA, FMLS, FMUL, FMULX), across lanes
//! (FMAXV...), scalar pairwise (FADDP...). Two-register misc and fixed-point
//! forms are in `fpmisc`. Lanes go through the `fpu` model in one helper.

use super::lanes::{self, elem, set_elem, vget, vset, vset_q, Desc};
use super::{need, Ctx};
use crate::decode::{pat, Insn, Pattern, Undef};
use crate::fpu::{self, arith, Bin, Fmt, Fp};
use tcg::helper::{Env, ENV_FIELDS};

pub(crate) use super::fpmisc::{fcvt_fixed_vec, fp16_misc, fp_misc};

pub const PATTERNS: &[Pattern] = &[
    pat(
        "adv_fp3same",
        "0 q:1 u:1 01110 a:1 sz:1 1 rm:5 11 opc:3 1 rn:5 rd:5",
        three_same,
    ),
    pat(
        "adv_s_fp3same",
        "01 u:1 11110 a:1 sz:1 1 rm:5 11 opc:3 1 rn:5 rd:5",
        three_same,
    ),
    pat(
        "adv_fp16_3same",
        "0 q:1 u:1 01110 a:1 10 rm:5 00 opc:3 1 rn:5 rd:5",
        three_same_h,
    ),
    pat(
        "adv_s_fp16_3same",
        "01 u:1 11110 a:1 10 rm:5 00 opc:3 1 rn:5 rd:5",
        three_same_h,
    ),
    pat(
        "adv_fp16_2misc",
        "0 q:1 u:1 01110 a:1 1111 00 opcode:5 10 rn:5 rd:5",
        fp16_misc,
    ),
    pat(
        "adv_s_fp16_2misc",
        "01 u:1 11110 a:1 1111 00 opcode:5 10 rn:5 rd:5",
        fp16_misc,
    ),
];

const PAIRWISE: u32 = 1 << 5;
const FMLA: u32 = 1 << 6;
const FMLS: u32 = 1 << 7;

/// Maps (U, a, opcode) of the FP three-same group to a helper op; also says
/// whether the scalar form exists.
fn map3(u: bool, a: bool, opc: u32) -> Option<(u32, bool)> {
    let b = |x: Bin| x as u32;
    Some(match (u, a, opc) {
        (false, false, 0b000) => (b(Bin::MaxNm), false),
        (false, false, 0b001) => (FMLA, false),
        (false, false, 0b010) => (b(Bin::Add), false),
        (false, false, 0b011) => (b(Bin::Mulx), true),
        (false, false, 0b100) => (b(Bin::CmEq), true),
        (false, false, 0b110) => (b(Bin::Max), false),
        (false, false, 0b111) => (b(Bin::Recps), true),
        (false, true, 0b000) => (b(Bin::MinNm), false),
        (false, true, 0b001) => (FMLS, false),
        (false, true, 0b010) => (b(Bin::Sub), false),
        (false, true, 0b110) => (b(Bin::Min), false),
        (false, true, 0b111) => (b(Bin::Rsqrts), true),
        (true, false, 0b000) => (PAIRWISE | b(Bin::MaxNm), false),
        (true, false, 0b010) => (PAIRWISE | b(Bin::Add), false),
        (true, false, 0b011) => (b(Bin::Mul), false),
        (true, false, 0b100) => (b(Bin::CmGe), true),
        (true, false, 0b101) => (b(Bin::AcGe), true),
        (true, false, 0b110) => (PAIRWISE | b(Bin::Max), false),
        (true, false, 0b111) => (b(Bin::Div), false),
        (true, true, 0b000) => (PAIRWISE | b(Bin::MinNm), false),
        (true, true, 0b010) => (b(Bin::Abd), true),
        (true, true, 0b100) => (b(Bin::CmGt), true),
        (true, true, 0b101) => (b(Bin::AcGt), true),
        (true, true, 0b110) => (PAIRWISE | b(Bin::Min), false),
        _ => return None,
    })
}

fn emit3(ctx: &mut Ctx, i: Insn, log2: u32) -> Result<(), Undef> {
    let scalar = i.bit(28);
    let q = i.bit(30) && !scalar;
    let (op, scalar_ok) = map3(i.bit(29), i.bit(23), i.bits(13, 11)).ok_or(Undef)?;
    if (scalar && !scalar_ok) || (!scalar && log2 == 3 && !q) {
        return Err(Undef);
    }
    let d = Desc {
        op,
        size: log2,
        q,
        rd: i.rd(),
        rn: i.rn(),
        rm: i.rm(),
        scalar,
        ..Desc::default()
    };
    lanes::call(ctx, &FPVEC, d);
    Ok(())
}

fn three_same(ctx: &mut Ctx, i: Insn) -> Result<(), Undef> {
    // FMLAL/FMLSL (U = 0, opc 101) and FMLAL2/FMLSL2 (U = 1, opc 001).
    if matches!((i.bit(29), i.bits(13, 11)), (false, 0b101) | (true, 0b001)) {
        return super::fhm::fmlal_vec(ctx, i);
    }
    emit3(ctx, i, 2 + i.bit(22) as u32)
}

fn three_same_h(ctx: &mut Ctx, i: Insn) -> Result<(), Undef> {
    need(ctx.features.fp16)?;
    emit3(ctx, i, 1)
}

/// Reads element `k` of operand `v` as format-`f` bits.
fn el(v: u128, k: usize, f: Fmt) -> u64 {
    elem(v, k, f.width())
}

extern "C" fn fpvec(env: Env, desc: u64) -> u64 {
    let d = Desc::unpack(desc);
    let c = lanes::cpu(env);
    let mut fp = Fp::with_fpsr(c.fpcr, c.fpsr);
    let f = Fmt::from_log2(d.size);
    let bits = f.width();
    let a = vget(c, d.rn);
    let mut b = vget(c, d.rm);
    let acc = vget(c, d.rd);
    if d.by_elem {
        let e = el(b, d.imm as usize, f);
        for k in 0..128 / bits as usize {
            set_elem(&mut b, k, bits, e);
        }
    }
    let n = if d.scalar {
        1
    } else {
        (if d.q { 128 } else { 64 }) / bits as usize
    };
    let mut r = 0u128;
    let bin = Bin::from_u64((d.op & 0x1f) as u64);
    for k in 0..n {
        let v = if d.op & PAIRWISE != 0 {
            let (src, j) = if k < n / 2 {
                (a, 2 * k)
            } else {
                (b, 2 * (k - n / 2))
            };
            fpu::binop(&mut fp, f, bin, el(src, j, f), el(src, j + 1, f))
        } else if d.op & (FMLA | FMLS) != 0 {
            let mut x = el(a, k, f);
            if d.op & FMLS != 0 {
                x = f.neg(x);
            }
            arith::fma(&mut fp, f, el(acc, k, f), x, el(b, k, f))
        } else {
            fpu::binop(&mut fp, f, bin, el(a, k, f), el(b, k, f))
        };
        set_elem(&mut r, k, bits, v);
    }
    vset_q(c, d.rd, r, d.q && !d.scalar);
    crate::translate::fp::helpers::accumulate(c, fp.flags);
    0
}
tcg::helper!(FPVEC, "adv_fpvec", A1(fpvec), ENV_FIELDS);

/// FMLA, FMLS, FMUL, FMULX (by element), vector and scalar.
pub(crate) fn fp_by_elem(ctx: &mut Ctx, i: Insn) -> Result<(), Undef> {
    let scalar = i.bit(28);
    let q = i.bit(30) && !scalar;
    let u = i.bit(29);
    let (l, m, h) = (i.bit(21) as u32, i.bit(20) as u32, i.bit(11) as u32);
    let (log2, idx, rm) = match i.bits(23, 22) {
        0 => {
            need(ctx.features.fp16)?;
            (1, h << 2 | l << 1 | m, i.bits(19, 16) as usize)
        }
        2 => (2, h << 1 | l, (m << 4 | i.bits(19, 16)) as usize),
        3 => {
            if l != 0 || (!scalar && !q) {
                return Err(Undef);
            }
            (3, h, (m << 4 | i.bits(19, 16)) as usize)
        }
        _ => return Err(Undef),
    };
    let op = match (u, i.bits(15, 12)) {
        (false, 0b0001) => FMLA,
        (false, 0b0101) => FMLS,
        (false, 0b1001) => Bin::Mul as u32,
        (true, 0b1001) => Bin::Mulx as u32,
        _ => return Err(Undef),
    };
    let d = Desc {
        op,
        size: log2,
        q,
        rd: i.rd(),
        rn: i.rn(),
        rm,
        imm: idx,
        scalar,
        by_elem: true,
        ..Desc::default()
    };
    lanes::call(ctx, &FPVEC, d);
    Ok(())
}

/// Reduce(): pairwise tree reduction as the manual defines it.
fn reduce(fp: &mut Fp, f: Fmt, op: Bin, v: &[u64]) -> u64 {
    if v.len() == 1 {
        return v[0];
    }
    let h = v.len() / 2;
    let lo = reduce(fp, f, op, &v[..h]);
    let hi = reduce(fp, f, op, &v[h..]);
    fpu::binop(fp, f, op, lo, hi)
}

extern "C" fn fpreduce(env: Env, desc: u64) -> u64 {
    let d = Desc::unpack(desc);
    let c = lanes::cpu(env);
    let mut fp = Fp::with_fpsr(c.fpcr, c.fpsr);
    let f = Fmt::from_log2(d.size);
    let a = vget(c, d.rn);
    let n = d.imm as usize;
    let v: Vec<u64> = (0..n).map(|k| el(a, k, f)).collect();
    let r = reduce(&mut fp, f, Bin::from_u64(d.op as u64), &v);
    vset(c, d.rd, r as u128);
    crate::translate::fp::helpers::accumulate(c, fp.flags);
    0
}
tcg::helper!(FPREDUCE, "adv_fpreduce", A1(fpreduce), ENV_FIELDS);

fn minmax_op(opc: u32, min: bool) -> Bin {
    match (opc, min) {
        (0b01100, false) => Bin::MaxNm,
        (0b01100, true) => Bin::MinNm,
        (_, false) => Bin::Max,
        (_, true) => Bin::Min,
    }
}

/// FMAXNMV, FMINNMV, FMAXV, FMINV.
pub(crate) fn fp_across(ctx: &mut Ctx, i: Insn) -> Result<(), Undef> {
    let q = i.bit(30);
    let opc = i.bits(16, 12);
    let min = i.bit(23);
    let log2 = if i.bit(29) {
        if i.bit(22) || !q {
            return Err(Undef);
        }
        2
    } else {
        need(ctx.features.fp16)?;
        if i.bit(22) {
            return Err(Undef);
        }
        1
    };
    let n = (if q { 128 } else { 64 }) >> (3 + log2);
    let d = Desc {
        op: minmax_op(opc, min) as u32,
        size: log2,
        rd: i.rd(),
        rn: i.rn(),
        imm: n,
        ..Desc::default()
    };
    lanes::call(ctx, &FPREDUCE, d);
    Ok(())
}

/// FADDP, FMAXP, FMINP, FMAXNMP, FMINNMP (scalar): elements 0 and 1 of Vn.
pub(crate) fn fp_pairwise_scalar(ctx: &mut Ctx, i: Insn) -> Result<(), Undef> {
    let opc = i.bits(16, 12);
    let min = i.bit(23);
    let log2 = if i.bit(29) {
        2 + i.bit(22) as u32
    } else {
        need(ctx.features.fp16)?;
        if i.bit(22) {
            return Err(Undef);
        }
        1
    };
    let op = match opc {
        0b01101 if !min => Bin::Add,
        0b01100 | 0b01111 => minmax_op(opc, min),
        _ => return Err(Undef),
    };
    let d = Desc {
        op: op as u32,
        size: log2,
        rd: i.rd(),
        rn: i.rn(),
        imm: 2,
        ..Desc::default()
    };
    lanes::call(ctx, &FPREDUCE, d);
    Ok(())
}
