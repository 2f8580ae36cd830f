//! FEAT_FCMA: complex-number FCMLA (vector and by element, rotations 0, 90,
//! 180, 270) and FCADD (rotations 90, 270) on half, single and double
//! precision pairs (even lane real, odd lane imaginary). Each lane is one
//! FPMulAdd / FPAdd of the `fpu` model, with FPNeg applied to the operand
//! the rotation negates, as the manual's pseudocode does.

use super::lanes::{self, elem, set_elem, vget, vset_q, Desc};
use super::{need, Ctx};
use crate::decode::{Insn, Undef};
use crate::fpu::{arith, Fmt, Fp};
use tcg::helper::{Env, ENV_FIELDS};

/// Helper ops: FCMLA rotation 0..=3, FCADD rotation 90 / 270.
const FCADD90: u32 = 4;
const FCADD270: u32 = 5;

/// Element size checks shared by the vector forms: size 01 (half, needs
/// FEAT_FP16), 10 (single), 11 (double, Q = 1 only).
fn vec_size(ctx: &Ctx, i: Insn) -> Result<u32, Undef> {
    let size = i.bits(23, 22);
    match size {
        1 => need(ctx.features.fp16)?,
        2 => {}
        3 if i.bit(30) => {}
        _ => return Err(Undef),
    }
    Ok(size)
}

/// FCMLA (vector): three-same-extra, U = 1, opcode 10 rot.
pub(crate) fn fcmla_vec(ctx: &mut Ctx, i: Insn) -> Result<(), Undef> {
    need(ctx.features.fcma)?;
    let size = vec_size(ctx, i)?;
    emit(ctx, i, i.bits(12, 11), size, None);
    Ok(())
}

/// FCADD: three-same-extra, U = 1, opcode 11 rot 0.
pub(crate) fn fcadd(ctx: &mut Ctx, i: Insn) -> Result<(), Undef> {
    need(ctx.features.fcma)?;
    let size = vec_size(ctx, i)?;
    emit(ctx, i, FCADD90 + i.bit(12) as u32, size, None);
    Ok(())
}

/// FCMLA (by element): U = 1, opcode 0 rot 1 of the by-element group.
/// Half precision: index H:L (H = 1 needs Q = 1); single: index H, L = 0,
/// Q = 1. The element pair comes from Vm (M:Rm).
pub(crate) fn fcmla_elem(ctx: &mut Ctx, i: Insn) -> Result<(), Undef> {
    need(ctx.features.fcma)?;
    let (q, h, l) = (i.bit(30), i.bit(11) as u32, i.bit(21) as u32);
    let size = i.bits(23, 22);
    let idx = match size {
        1 => {
            need(ctx.features.fp16)?;
            if h == 1 && !q {
                return Err(Undef);
            }
            h << 1 | l
        }
        2 if l == 0 && q => h,
        _ => return Err(Undef),
    };
    if i.bit(28) {
        return Err(Undef);
    }
    emit(ctx, i, i.bits(14, 13), size, Some(idx));
    Ok(())
}

fn emit(ctx: &mut Ctx, i: Insn, op: u32, size: u32, idx: Option<u32>) {
    let d = Desc {
        op,
        size,
        q: i.bit(30),
        rd: i.rd(),
        rn: i.rn(),
        rm: i.rm(),
        imm: idx.unwrap_or(0),
        by_elem: idx.is_some(),
        ..Desc::default()
    };
    lanes::call(ctx, &COMPLEX, d);
}

extern "C" fn complex(env: Env, desc: u64) -> u64 {
    let d = Desc::unpack(desc);
    let c = lanes::cpu(env);
    let mut fp = Fp::with_fpsr(c.fpcr, c.fpsr);
    let f = Fmt::from_log2(d.size);
    let bits = f.width();
    let (a, b, acc) = (vget(c, d.rn), vget(c, d.rm), vget(c, d.rd));
    let pairs = (if d.q { 128 } else { 64 }) / bits as usize / 2;
    let mut r = 0u128;
    for e in 0..pairs {
        // The Vm pair: this lane pair's, or the indexed one.
        let p = if d.by_elem { d.imm as usize } else { e };
        let (m_re, m_im) = (elem(b, 2 * p, bits), elem(b, 2 * p + 1, bits));
        let (n_re, n_im) = (elem(a, 2 * e, bits), elem(a, 2 * e + 1, bits));
        let (d_re, d_im) = (elem(acc, 2 * e, bits), elem(acc, 2 * e + 1, bits));
        let (re, im) = match d.op {
            FCADD90 => (
                arith::add(&mut fp, f, n_re, f.neg(m_im)),
                arith::add(&mut fp, f, n_im, m_re),
            ),
            FCADD270 => (
                arith::add(&mut fp, f, n_re, m_im),
                arith::add(&mut fp, f, n_im, f.neg(m_re)),
            ),
            rot => {
                // (element1, element2, element3, element4) of the pseudocode.
                let (e1, e2, e3, e4) = match rot {
                    0 => (m_re, n_re, m_im, n_re),
                    1 => (f.neg(m_im), n_im, m_re, n_im),
                    2 => (f.neg(m_re), n_re, f.neg(m_im), n_re),
                    _ => (m_im, n_im, f.neg(m_re), n_im),
                };
                (
                    arith::fma(&mut fp, f, d_re, e2, e1),
                    arith::fma(&mut fp, f, d_im, e4, e3),
                )
            }
        };
        set_elem(&mut r, 2 * e, bits, re);
        set_elem(&mut r, 2 * e + 1, bits, im);
    }
    vset_q(c, d.rd, r, d.q);
    crate::translate::fp::helpers::accumulate(c, fp.flags);
    0
}
tcg::helper!(COMPLEX, "adv_fcma", A1(complex), ENV_FIELDS);
