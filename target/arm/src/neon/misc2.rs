//! "Two registers miscellaneous" beyond the bit and permute forms: the
//! pairwise long adds (VPADDL/VPADAL), saturating VQABS/VQNEG/VQMOVN/
//! VQMOVUN, compares with zero, VSHLL by the element size, the
//! half-precision conversions, the estimates (VRECPE/VRSQRTE), the
//! float/integer conversions and the ARMv8 VRINT*/VCVT{A,N,P,M}. Float
//! operations use the Standard FPSCR value (FPSCR.AHP kept for the
//! half-precision conversions).

use super::{lane, mask, sat, sext, Enc2, Op2, STANDARD_FPSCR};
use target_aarch64::fpu::{self, conv, recip, Fp, Round};

/// The `bits`-bit elements of registers `r..r + n`.
pub(crate) fn get(regs: &[u64; 32], r: usize, n: usize, bits: u32) -> Vec<u64> {
    let lanes = 64 / bits;
    (0..n)
        .flat_map(|k| (0..lanes).map(move |i| (k, i)))
        .map(|(k, i)| lane(regs[r + k], i, bits))
        .collect()
}

/// Writes `v` (elements of `bits`) to registers from `r` on.
pub(crate) fn put(regs: &mut [u64; 32], r: usize, bits: u32, v: &[u64]) {
    let lanes = (64 / bits) as usize;
    for (k, chunk) in v.chunks(lanes).enumerate() {
        regs[r + k] = chunk
            .iter()
            .enumerate()
            .fold(0, |a, (i, &x)| a | (x & mask(bits)) << (i as u32 * bits));
    }
}

/// Runs one of the forms above; (saturated, FP flags).
pub fn run(regs: &mut [u64; 32], fpscr: u32, e: &Enc2) -> (bool, u32) {
    use Op2::*;
    let bits = 8u32 << e.size;
    let n = 1 + usize::from(e.q);
    let mut fp = Fp::new(STANDARD_FPSCR | u64::from(fpscr & (1 << 26)));
    let mut qc = false;
    let s = fpu::S;
    match e.op {
        Crypto(op) => super::crypto::run(regs, op, e.d, e.m, e.m),
        Paddl { u } | Padal { u } => {
            let src = get(regs, e.m, n, bits);
            let wide = 2 * bits;
            let acc = get(regs, e.d, n, wide);
            let ext = |x: u64| -> i128 {
                if u {
                    i128::from(x)
                } else {
                    i128::from(sext(x, bits))
                }
            };
            let out: Vec<u64> = src
                .chunks(2)
                .zip(acc)
                .map(|(p, a)| {
                    let v = (ext(p[0]) + ext(p[1])) as u64;
                    if matches!(e.op, Padal { .. }) {
                        v.wrapping_add(a)
                    } else {
                        v
                    }
                })
                .collect();
            put(regs, e.d, wide, &out);
        }
        Qmovn { src_u, dst_u } => {
            let src = get(regs, e.m, 2, 2 * bits);
            let out: Vec<u64> = src
                .iter()
                .map(|&x| {
                    let v = if src_u {
                        i128::from(x)
                    } else {
                        i128::from(sext(x, 2 * bits))
                    };
                    let (r, q) = sat(v, bits, dst_u);
                    qc |= q;
                    r
                })
                .collect();
            put(regs, e.d, bits, &out);
        }
        ShllMax => {
            let src = get(regs, e.m, 1, bits);
            let out: Vec<u64> = src.iter().map(|&x| x << bits).collect();
            put(regs, e.d, 2 * bits, &out);
        }
        CvtF16 => {
            let src = get(regs, e.m, 2, 32);
            let out: Vec<u64> = src
                .iter()
                .map(|&x| conv::convert(&mut fp, s, fpu::H, x, Round::TieEven))
                .collect();
            put(regs, e.d, 16, &out);
        }
        CvtF32 => {
            let src = get(regs, e.m, 1, 16);
            let out: Vec<u64> = src
                .iter()
                .map(|&x| conv::convert(&mut fp, fpu::H, s, x, Round::TieEven))
                .collect();
            put(regs, e.d, 32, &out);
        }
        _ => {
            let src = get(regs, e.m, n, bits);
            let out: Vec<u64> = src
                .iter()
                .map(|&x| {
                    let (r, q) = lanewise(&mut fp, e.op, x, bits);
                    qc |= q;
                    r
                })
                .collect();
            put(regs, e.d, bits, &out);
        }
    }
    (qc, fp.flags)
}

/// One element of a same-size form; (result, saturated).
fn lanewise(fp: &mut Fp, op: Op2, x: u64, bits: u32) -> (u64, bool) {
    use Op2::*;
    let s = fpu::S;
    let v = i128::from(sext(x, bits));
    let t = |c: bool| if c { mask(bits) } else { 0 };
    let r = match op {
        Qabs => return sat(v.abs(), bits, false),
        Qneg => return sat(-v, bits, false),
        CmpZ(k) => t([v > 0, v >= 0, v == 0, v <= 0, v < 0][k as usize]),
        FCmpZ(k) => {
            let u = [
                fpu::Un::CmGt0,
                fpu::Un::CmGe0,
                fpu::Un::CmEq0,
                fpu::Un::CmLe0,
                fpu::Un::CmLt0,
            ][k as usize];
            fpu::unop(fp, s, u, x)
        }
        Vrint(rm, exact) => conv::round_int(fp, s, x, rm, exact),
        VcvtR(rm, u) => conv::to_fixed(fp, s, x, 0, u, rm, 32),
        Urecpe => u64::from(recip::urecpe(x as u32)),
        Ursqrte => u64::from(recip::ursqrte(x as u32)),
        FRecpe => recip::recpe(fp, s, x),
        FRsqrte => recip::rsqrte(fp, s, x),
        CvtFromInt(u) => conv::from_fixed(fp, s, x, !u, 32, 0, Round::TieEven),
        CvtToInt(u) => conv::to_fixed(fp, s, x, 0, u, Round::Zero, 32),
        _ => x,
    };
    (r & mask(bits), false)
}
