//! AdvSIMD floating-point two-register misc (vector and scalar): compares
//! against zero, FABS/FNEG/FSQRT, FRINT*, FCVT[NPMZA][SU], [SU]CVTF,
//! FRECPE/FRSQRTE/FRECPX, URECPE/URSQRTE, FCVTN/FCVTXN/FCVTL; and the
//! fixed-point conversions of the shift-by-immediate group.

use super::lanes::{self, elem, set_elem, vget, vset, vset_q, Desc};
use super::{need, Ctx};
use crate::decode::{Insn, Undef};
use crate::fpu::{self, conv, recip, Fmt, Fp, Round, Un};
use tcg::helper::{Env, ENV_FIELDS};

/// Fixed-point conversion ops (op field), `| 2` for unsigned.
const OP_FIXED_TO_INT: u32 = 0x80;
const OP_INT_TO_FIXED: u32 = 0x81;

fn misc_op(u: bool, a: bool, opc: u32) -> u32 {
    (u as u32) << 6 | (a as u32) << 5 | opc
}

/// Called from `misc` for the FP opcodes of the two-register misc groups.
pub(crate) fn fp_misc(ctx: &mut Ctx, i: Insn) -> Result<(), Undef> {
    let scalar = i.bit(28);
    let q = i.bit(30) && !scalar;
    let u = i.bit(29);
    let a = i.bit(23);
    let sz = i.bit(22) as u32;
    let opc = i.bits(16, 12);
    if (u, a, opc) == (false, true, 0b10110) {
        return super::bf16::bfcvtn(ctx, i);
    }
    let op = misc_op(u, a, opc);
    let mut log2 = 2 + sz;
    let valid_vec = match (u, a, opc) {
        (_, true, 0b01100) | (_, true, 0b01101) | (false, true, 0b01110) => true,
        (_, true, 0b01111) => true,
        (false, false, 0b10110) | (false, false, 0b10111) => true,
        (true, false, 0b10110) => sz == 1,
        (false, _, 0b11000) | (false, _, 0b11001) | (true, false, 0b11000) | (true, _, 0b11001) => {
            true
        }
        (_, _, 0b11010) | (_, _, 0b11011) | (_, false, 0b11100) | (_, _, 0b11101) => true,
        (_, true, 0b11100) => {
            // URECPE/URSQRTE: 32-bit integer lanes.
            if sz != 0 || scalar {
                return Err(Undef);
            }
            true
        }
        (true, true, 0b11111) => true,
        (_, false, 0b11110) | (_, false, 0b11111) => {
            need(ctx.features.frint)?;
            true
        }
        (false, true, 0b11111) => scalar, // FRECPX
        _ => false,
    };
    let scalar_ok = matches!(
        (u, a, opc),
        (_, true, 0b01100)
            | (_, true, 0b01101)
            | (false, true, 0b01110)
            | (_, _, 0b11010)
            | (_, _, 0b11011)
            | (_, false, 0b11100)
            | (_, _, 0b11101)
            | (false, true, 0b11111)
            | (true, false, 0b10110)
    );
    if !valid_vec || (scalar && !scalar_ok) {
        return Err(Undef);
    }
    let narrow_or_long = matches!(opc, 0b10110 | 0b10111);
    if !scalar && !narrow_or_long && sz == 1 && !q {
        return Err(Undef);
    }
    if narrow_or_long {
        log2 = 2 + sz; // the wide format
    }
    let d = Desc {
        op,
        size: log2,
        q,
        rd: i.rd(),
        rn: i.rn(),
        scalar,
        ..Desc::default()
    };
    lanes::call(ctx, &FPMISC, d);
    Ok(())
}

/// The half-precision two-register misc groups (FEAT_FP16): the same
/// operations as `fp_misc` minus the precision changes and URECPE/URSQRTE.
pub(crate) fn fp16_misc(ctx: &mut Ctx, i: Insn) -> Result<(), Undef> {
    need(ctx.features.fp16)?;
    let scalar = i.bit(28);
    let q = i.bit(30) && !scalar;
    let (u, a, opc) = (i.bit(29), i.bit(23), i.bits(16, 12));
    let vec_ok = match (u, a, opc) {
        (_, true, 0b01100) | (_, true, 0b01101) | (false, true, 0b01110) | (_, true, 0b01111) => {
            true
        }
        (false, _, 0b11000) | (false, _, 0b11001) | (true, false, 0b11000) | (true, _, 0b11001) => {
            true
        }
        (_, _, 0b11010) | (_, _, 0b11011) | (_, false, 0b11100) | (_, _, 0b11101) => true,
        (true, true, 0b11111) => true,
        (false, true, 0b11111) => scalar,
        _ => false,
    };
    let scalar_ok = matches!(
        (u, a, opc),
        (_, true, 0b01100)
            | (_, true, 0b01101)
            | (false, true, 0b01110)
            | (_, _, 0b11010)
            | (_, _, 0b11011)
            | (_, false, 0b11100)
            | (_, _, 0b11101)
            | (false, true, 0b11111)
    );
    if !vec_ok || (scalar && !scalar_ok) {
        return Err(Undef);
    }
    let d = Desc {
        op: misc_op(u, a, opc),
        size: 1,
        q,
        rd: i.rd(),
        rn: i.rn(),
        scalar,
        ..Desc::default()
    };
    lanes::call(ctx, &FPMISC, d);
    Ok(())
}

/// SCVTF/UCVTF/FCVTZS/FCVTZU (vector and scalar, fixed-point).
pub(crate) fn fcvt_fixed_vec(ctx: &mut Ctx, i: Insn) -> Result<(), Undef> {
    let scalar = i.bit(28);
    let q = i.bit(30) && !scalar;
    let u = i.bit(29);
    let immh = i.bits(22, 19);
    let log2 = match immh {
        0b0010 | 0b0011 => {
            need(ctx.features.fp16)?;
            1
        }
        0b0100..=0b0111 => 2,
        0b1000..=0b1111 => 3,
        _ => return Err(Undef),
    };
    if !scalar && log2 == 3 && !q {
        return Err(Undef);
    }
    let esize = 8u32 << log2;
    let fbits = 2 * esize - i.bits(22, 16);
    let to_int = i.bits(15, 11) == 0b11111;
    let d = Desc {
        op: if to_int {
            OP_FIXED_TO_INT
        } else {
            OP_INT_TO_FIXED
        },
        size: log2,
        q,
        u,
        rd: i.rd(),
        rn: i.rn(),
        imm: fbits,
        scalar,
        ..Desc::default()
    };
    lanes::call(ctx, &FPMISC, d);
    Ok(())
}

fn un(op: u32) -> Option<Un> {
    let a = op >> 5 & 1 != 0;
    let u = op >> 6 & 1 != 0;
    Some(match (u, a, op & 0x1f) {
        (false, true, 0b01100) => Un::CmGt0,
        (true, true, 0b01100) => Un::CmGe0,
        (false, true, 0b01101) => Un::CmEq0,
        (true, true, 0b01101) => Un::CmLe0,
        (false, true, 0b01110) => Un::CmLt0,
        (false, false, 0b11000) => Un::RintN,
        (false, true, 0b11000) => Un::RintP,
        (false, false, 0b11001) => Un::RintM,
        (false, true, 0b11001) => Un::RintZ,
        (true, false, 0b11000) => Un::RintA,
        (true, false, 0b11001) => Un::RintX,
        (true, true, 0b11001) => Un::RintI,
        (false, true, 0b11101) => Un::Recpe,
        (true, true, 0b11101) => Un::Rsqrte,
        (true, true, 0b11111) => Un::Sqrt,
        (false, false, 0b11110) => Un::Rint32Z,
        (false, false, 0b11111) => Un::Rint64Z,
        (true, false, 0b11110) => Un::Rint32X,
        (true, false, 0b11111) => Un::Rint64X,
        (false, true, 0b11111) => Un::Recpx,
        _ => return None,
    })
}

fn lane_op(fp: &mut Fp, d: &Desc, f: Fmt, x: u64) -> u64 {
    let bits = f.width();
    if d.op == OP_FIXED_TO_INT {
        return conv::to_fixed(fp, f, x, d.imm, d.u, Round::Zero, bits);
    }
    if d.op == OP_INT_TO_FIXED {
        let rm = fp.rounding();
        return conv::from_fixed(fp, f, x, !d.u, bits, d.imm, rm);
    }
    let u = d.op >> 6 & 1 != 0;
    let a = d.op >> 5 & 1 != 0;
    match (a, d.op & 0x1f) {
        (true, 0b01111) => {
            if u {
                f.neg(x)
            } else {
                f.abs(x)
            }
        }
        (_, 0b11010) | (_, 0b11011) | (false, 0b11100) => {
            let rm = match (a, d.op & 0x1f) {
                (false, 0b11010) => Round::TieEven,
                (true, 0b11010) => Round::PosInf,
                (false, 0b11011) => Round::NegInf,
                (true, 0b11011) => Round::Zero,
                _ => Round::TieAway,
            };
            conv::to_fixed(fp, f, x, 0, u, rm, bits)
        }
        (false, 0b11101) => {
            let rm = fp.rounding();
            conv::from_fixed(fp, f, x, !u, bits, 0, rm)
        }
        (true, 0b11100) => {
            if u {
                recip::ursqrte(x as u32) as u64
            } else {
                recip::urecpe(x as u32) as u64
            }
        }
        _ => match un(d.op) {
            Some(o) => fpu::unop(fp, f, o, x),
            None => 0,
        },
    }
}

extern "C" fn fpmisc(env: Env, desc: u64) -> u64 {
    let d = Desc::unpack(desc);
    let c = lanes::cpu(env);
    let mut fp = Fp::with_fpsr(c.fpcr, c.fpsr);
    let src = vget(c, d.rn);
    let old = vget(c, d.rd);
    let opc = d.op & 0x1f;
    let mut r = 0u128;
    if d.op < 0x80 && (opc == 0b10110 || opc == 0b10111) {
        let wide = Fmt::from_log2(d.size);
        let narrow = Fmt::from_log2(d.size - 1);
        let n = if d.scalar {
            1
        } else {
            128 / wide.width() as usize
        };
        if opc == 0b10110 {
            // FCVTN(2) / FCVTXN(2): narrow into the half selected by Q.
            let xn = d.op >> 6 & 1 != 0;
            let rm = if xn { Round::Odd } else { fp.rounding() };
            for k in 0..n {
                let v = conv::convert(&mut fp, wide, narrow, elem(src, k, wide.width()), rm);
                set_elem(&mut r, k, narrow.width(), v);
            }
            let res = if d.q {
                r << 64 | (old & u64::MAX as u128)
            } else {
                r
            };
            vset(c, d.rd, res);
        } else {
            // FCVTL(2): widen the half selected by Q.
            let part = if d.q { n } else { 0 };
            let rm = fp.rounding();
            for k in 0..n {
                let v = conv::convert(
                    &mut fp,
                    narrow,
                    wide,
                    elem(src, part + k, narrow.width()),
                    rm,
                );
                set_elem(&mut r, k, wide.width(), v);
            }
            vset(c, d.rd, r);
        }
    } else {
        let f = Fmt::from_log2(d.size);
        let bits = f.width();
        let n = if d.scalar {
            1
        } else {
            (if d.q { 128 } else { 64 }) / bits as usize
        };
        for k in 0..n {
            let v = lane_op(&mut fp, &d, f, elem(src, k, bits));
            set_elem(&mut r, k, bits, v);
        }
        vset_q(c, d.rd, r, d.q && !d.scalar);
    }
    crate::translate::fp::helpers::accumulate(c, fp.flags);
    0
}
tcg::helper!(FPMISC, "adv_fpmisc", A1(fpmisc), ENV_FIELDS);
