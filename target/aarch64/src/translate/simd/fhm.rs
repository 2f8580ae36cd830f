//! FEAT_FHM: FMLAL, FMLSL, FMLAL2, FMLSL2 (vector and by element):
//! half-precision products accumulated into single precision with one
//! rounding (the manual's FPMulAddH). The half-precision operands are
//! unpacked under FPCR.FZ16 and widen exactly to single precision (NaNs
//! keep their signalling bit and payload), so FPMulAddH is the
//! single-precision FPMulAdd on the widened values: the addend and the
//! result follow FPCR.FZ, NaN priority is (addend, Vn element, Vm element).

use super::lanes::{self, elem, set_elem, vget, vset_q, Desc};
use super::{need, Ctx};
use crate::decode::{Insn, Undef};
use crate::fpu::{arith, Fp, FPCR_FZ16, S};
use tcg::helper::{Env, ENV_FIELDS};

/// Desc.op bits.
const SUB: u32 = 1;
const UPPER: u32 = 2;

/// FMLAL/FMLSL (vector, U = 0, opcode 11101) and FMLAL2/FMLSL2 (U = 1,
/// opcode 11001) in the FP three-same group; bit 23 selects subtract,
/// bit 22 (sz) must be 0.
pub(crate) fn fmlal_vec(ctx: &mut Ctx, i: Insn) -> Result<(), Undef> {
    need(ctx.features.fhm)?;
    if i.bit(22) || i.bit(28) {
        return Err(Undef);
    }
    emit(ctx, i, i.rm(), None);
    Ok(())
}

/// The by-element forms: U = 0 opcode 0000/0100, U = 1 opcode 1000/1100,
/// size = 10; index H:L:M, Vm is V0-V15.
pub(crate) fn fmlal_elem(ctx: &mut Ctx, i: Insn) -> Result<(), Undef> {
    need(ctx.features.fhm)?;
    if i.bits(23, 22) != 2 || i.bit(28) {
        return Err(Undef);
    }
    let idx = (i.bit(11) as u32) << 2 | (i.bit(21) as u32) << 1 | i.bit(20) as u32;
    emit(ctx, i, i.bits(19, 16) as usize, Some(idx));
    Ok(())
}

fn emit(ctx: &mut Ctx, i: Insn, rm: usize, idx: Option<u32>) {
    // Vector forms: S is bit 23; by element: opcode bit 14.
    let sub = if idx.is_some() { i.bit(14) } else { i.bit(23) };
    let d = Desc {
        op: if sub { SUB } else { 0 } | if i.bit(29) { UPPER } else { 0 },
        size: 2,
        q: i.bit(30),
        rd: i.rd(),
        rn: i.rn(),
        rm,
        imm: idx.unwrap_or(0),
        by_elem: idx.is_some(),
        ..Desc::default()
    };
    lanes::call(ctx, &FMLAL, d);
}

/// Half to single precision, exact, NaNs kept signalling; a denormal input
/// is flushed to a signed zero when `fz16` (no IDC for half precision).
pub(crate) fn widen_h(x: u64, fz16: bool) -> u64 {
    let sign = (x >> 15 & 1) << 31;
    let exp = x >> 10 & 0x1f;
    let frac = x & 0x3ff;
    sign | match exp {
        0x1f => 0x7f80_0000 | frac << 13,
        0 if frac == 0 || fz16 => 0,
        0 => {
            // frac * 2^-24: normalise to 1.f * 2^e.
            let sh = frac.leading_zeros() - 53; // shifts to bring the top bit to bit 10
            let e = 127 - 14 - sh as u64; // biased single exponent
            e << 23 | ((frac << sh) & 0x3ff) << 13
        }
        _ => (exp + 112) << 23 | frac << 13,
    }
}

extern "C" fn fmlal(env: Env, desc: u64) -> u64 {
    let d = Desc::unpack(desc);
    let c = lanes::cpu(env);
    let mut fp = Fp::with_fpsr(c.fpcr, c.fpsr);
    let fz16 = fp.fpcr & FPCR_FZ16 != 0;
    let (a, b, acc) = (vget(c, d.rn), vget(c, d.rm), vget(c, d.rd));
    let n = if d.q { 4 } else { 2 };
    let part = if d.op & UPPER != 0 { n } else { 0 };
    let mut r = 0u128;
    for e in 0..n {
        let mut x = elem(a, part + e, 16);
        if d.op & SUB != 0 {
            x ^= 0x8000;
        }
        let y = if d.by_elem {
            elem(b, d.imm as usize, 16)
        } else {
            elem(b, part + e, 16)
        };
        let v = arith::fma(
            &mut fp,
            S,
            elem(acc, e, 32),
            widen_h(x, fz16),
            widen_h(y, fz16),
        );
        set_elem(&mut r, e, 32, v);
    }
    vset_q(c, d.rd, r, d.q);
    crate::translate::fp::helpers::accumulate(c, fp.flags);
    0
}
tcg::helper!(FMLAL, "adv_fmlal", A1(fmlal), ENV_FIELDS);

#[cfg(test)]
mod tests {
    use super::widen_h;

    #[test]
    fn widen_half() {
        assert_eq!(widen_h(0x3c00, false), 0x3f80_0000); // 1.0
        assert_eq!(widen_h(0xc000, false), 0xc000_0000); // -2.0
        assert_eq!(widen_h(0x0001, false), 0x3380_0000); // 2^-24
        assert_eq!(widen_h(0x03ff, false), 0x387f_c000); // largest denormal
        assert_eq!(widen_h(0x8001, true), 0x8000_0000); // flushed, sign kept
        assert_eq!(widen_h(0x7c00, false), 0x7f80_0000);
        assert_eq!(widen_h(0x7d01, false), 0x7fa0_2000); // sNaN stays signalling
    }
}
