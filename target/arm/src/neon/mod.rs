//! Advanced SIMD (NEON) data processing on the D registers, element by
//! element: the "three registers of the same length" group (integer
//! arithmetic, logic, compares, shifts by register, saturating and
//! doubling forms, and single-precision arithmetic under the Standard
//! FPSCR value: round to nearest, flush to zero, default NaN; cumulative
//! flags go to FPSCR), "two registers misc" (`misc2.rs` for the
//! saturating, pairwise, converting and estimating forms), shifts by an
//! immediate, and by-scalar forms; `long.rs` holds the "three registers of
//! different lengths" group, `table.rs` VTBL/VTBX. Each `decode` is shared
//! by the translator (to refuse what is UNDEFINED) and the helper (to run
//! it).

pub mod crypto;
pub mod long;
pub mod misc2;
pub mod table;

use target_aarch64::fpu::arith::{self, Cmp};
use target_aarch64::fpu::{self, Fp, Round};

/// One "3 registers same length" operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Op3 {
    Hadd,
    Qadd,
    Rhadd,
    And,
    Bic,
    Orr,
    Orn,
    Eor,
    Bsl,
    Bit,
    Bif,
    Hsub,
    Qsub,
    Cgt,
    Cge,
    Shl,
    Max,
    Min,
    Abd,
    Aba,
    Add,
    Sub,
    Tst,
    Ceq,
    Mla,
    Mls,
    Mul,
    Pmax,
    Pmin,
    Padd,
    /// VQSHL, VRSHL, VQRSHL (register).
    Qshl,
    Rshl,
    Qrshl,
    /// VMUL.P8.
    Pmul,
    /// VQDMULH, VQRDMULH.
    Qdmulh,
    Qrdmulh,
    FAdd,
    FSub,
    FPadd,
    FAbd,
    FMla,
    FMls,
    FMul,
    FCeq,
    FCge,
    FCgt,
    FMax,
    FMin,
    FPmax,
    FPmin,
    /// VFMA, VFMS (fused).
    FFma,
    FFms,
    /// VACGE, VACGT (absolute compares).
    FAcge,
    FAcgt,
    Recps,
    Rsqrts,
    /// VMAXNM, VMINNM (ARMv8).
    FMaxNm,
    FMinNm,
    /// SHA1C/P/M/SU0, SHA256H/H2/SU1 (ARMv8 crypto; the operation).
    Sha(u32),
}

impl Op3 {
    /// An ARMv8 addition (only on models with `v8`).
    pub fn is_v8(self) -> bool {
        matches!(self, Op3::FMaxNm | Op3::FMinNm | Op3::Sha(_))
    }
}

/// The fields of an A32 "3 registers same length" encoding
/// (`1111 001U 0Dss nnnn dddd oooo NQMo mmmm`).
#[derive(Clone, Copy, Debug)]
pub struct Enc3 {
    pub op: Op3,
    pub unsigned: bool,
    /// log2 of the element size in bytes (0..=3).
    pub size: u32,
    pub q: bool,
    pub d: usize,
    pub n: usize,
    pub m: usize,
}

impl Op3 {
    /// Decodes an A32 encoding; `None` for UNDEFINED or not implemented.
    pub fn decode(insn: u32) -> Option<Enc3> {
        let bit = |n: u32| insn >> n & 1 != 0;
        let u = bit(24);
        let size = insn >> 20 & 3;
        let opc = insn >> 8 & 15;
        let o1 = bit(4);
        let q = bit(6);
        let d = ((insn >> 22 & 1) << 4 | (insn >> 12 & 15)) as usize;
        let n = ((insn >> 7 & 1) << 4 | (insn >> 16 & 15)) as usize;
        let m = ((insn >> 5 & 1) << 4 | (insn & 15)) as usize;
        let fsz = size & 1 == 0; // single precision (size<0> = 0)
        use Op3::*;
        let op = match (opc, o1, u) {
            (0, false, _) if size < 3 => Hadd,
            (0, true, _) => Qadd,
            (1, false, _) if size < 3 => Rhadd,
            (1, true, false) => [And, Bic, Orr, Orn][size as usize],
            (1, true, true) => [Eor, Bsl, Bit, Bif][size as usize],
            (2, false, _) if size < 3 => Hsub,
            (2, true, _) => Qsub,
            (3, false, _) if size < 3 => Cgt,
            (3, true, _) if size < 3 => Cge,
            (4, false, _) => Shl,
            (4, true, _) => Qshl,
            (5, false, _) => Rshl,
            (5, true, _) => Qrshl,
            (6, false, _) if size < 3 => Max,
            (6, true, _) if size < 3 => Min,
            (7, false, _) if size < 3 => Abd,
            (7, true, _) if size < 3 => Aba,
            (8, false, false) => Add,
            (8, false, true) => Sub,
            (8, true, false) if size < 3 => Tst,
            (8, true, true) if size < 3 => Ceq,
            (9, false, false) if size < 3 => Mla,
            (9, false, true) if size < 3 => Mls,
            (9, true, false) if size < 3 => Mul,
            (9, true, true) if size == 0 => Pmul,
            (12, false, _) if q => Sha(crypto::decode3(u, size)?),
            (11, false, false) if size == 1 || size == 2 => Qdmulh,
            (11, false, true) if size == 1 || size == 2 => Qrdmulh,
            (12, true, false) if fsz => {
                if size & 2 == 0 {
                    FFma
                } else {
                    FFms
                }
            }
            (14, true, true) if fsz => {
                if size & 2 == 0 {
                    FAcge
                } else {
                    FAcgt
                }
            }
            (15, false, true) if fsz && !q => {
                if size & 2 == 0 {
                    FPmax
                } else {
                    FPmin
                }
            }
            (15, true, false) if fsz => {
                if size & 2 == 0 {
                    Recps
                } else {
                    Rsqrts
                }
            }
            (15, true, true) if fsz => {
                if size & 2 == 0 {
                    FMaxNm
                } else {
                    FMinNm
                }
            }
            (10, false, _) if size < 3 && !q => Pmax,
            (10, true, _) if size < 3 && !q => Pmin,
            (11, true, false) if size < 3 && !q => Padd,
            (13, false, false) if fsz => {
                if size & 2 == 0 {
                    FAdd
                } else {
                    FSub
                }
            }
            (13, false, true) if fsz => {
                if size & 2 == 0 {
                    if q {
                        return None;
                    }
                    FPadd
                } else {
                    FAbd
                }
            }
            (13, true, false) if fsz => {
                if size & 2 == 0 {
                    FMla
                } else {
                    FMls
                }
            }
            (13, true, true) if fsz && size & 2 == 0 => FMul,
            (14, false, false) if fsz && size & 2 == 0 => FCeq,
            (14, false, true) if fsz => {
                if size & 2 == 0 {
                    FCge
                } else {
                    FCgt
                }
            }
            (15, false, false) if fsz => {
                if size & 2 == 0 {
                    FMax
                } else {
                    FMin
                }
            }
            _ => return None,
        };
        // Quadword operations name even D registers.
        if q && (d | n | m) & 1 != 0 {
            return None;
        }
        let size = if op >= FAdd && !matches!(op, Sha(_)) {
            2
        } else {
            size
        };
        Some(Enc3 {
            op,
            unsigned: u,
            size,
            q,
            d,
            n,
            m,
        })
    }
}

/// FPSCR.FZ and FPSCR.DN, round to nearest: the Standard FPSCR value.
pub(crate) const STANDARD_FPSCR: u64 = 1 << 24 | 1 << 25;

pub(crate) fn sext(v: u64, bits: u32) -> i64 {
    ((v << (64 - bits)) as i64) >> (64 - bits)
}

pub(crate) fn mask(bits: u32) -> u64 {
    if bits == 64 {
        u64::MAX
    } else {
        (1u64 << bits) - 1
    }
}

/// Signed or unsigned saturation of `v` to `bits`; (value, saturated).
pub(crate) fn sat(v: i128, bits: u32, unsigned: bool) -> (u64, bool) {
    let (lo, hi) = if unsigned {
        (0i128, (1i128 << bits) - 1)
    } else {
        (-(1i128 << (bits - 1)), (1i128 << (bits - 1)) - 1)
    };
    let c = v.clamp(lo, hi);
    (c as u64 & mask(bits), c != v)
}

/// Shift by a signed count in the bottom byte of `by` (VSHL register).
fn shl(x: u64, by: u64, bits: u32, unsigned: bool) -> u64 {
    let s = by as u8 as i8 as i32;
    let r = if s >= 0 {
        if s >= bits as i32 {
            0
        } else {
            x << s
        }
    } else {
        let s = (-s) as u32;
        if unsigned {
            if s >= bits {
                0
            } else {
                x >> s
            }
        } else {
            (sext(x, bits) >> s.min(bits - 1)) as u64
        }
    };
    r & mask(bits)
}

/// `x` (a `bits`-bit element) shifted by the signed count `s` (left when
/// positive): VRSHL/VQRSHL round right shifts, VQSHL/VQRSHL saturate left
/// shifts (signed or unsigned by `unsigned`); (result, saturated).
pub(crate) fn shift_reg(
    x: u64,
    s: i32,
    bits: u32,
    unsigned: bool,
    round: bool,
    saturate: bool,
) -> (u64, bool) {
    let v: i128 = if unsigned {
        i128::from(x)
    } else {
        i128::from(sext(x, bits))
    };
    if s >= 0 {
        if !saturate {
            return (
                if s >= bits as i32 {
                    0
                } else {
                    (x << s) & mask(bits)
                },
                false,
            );
        }
        if v == 0 {
            return (0, false);
        }
        if s >= bits as i32 {
            let big = if v < 0 { -(1i128 << 80) } else { 1i128 << 80 };
            return sat(big, bits, unsigned);
        }
        return sat(v << s, bits, unsigned);
    }
    let n = (-s).min(100) as u32;
    let r = if round {
        (v + (1i128 << (n - 1))) >> n
    } else {
        v >> n
    };
    (r as u64 & mask(bits), false)
}

/// Carry-less (polynomial) product of two values of up to 64 bits.
pub(crate) fn clmul(a: u64, b: u64) -> u128 {
    let mut r = 0u128;
    for i in 0..64 {
        if b >> i & 1 != 0 {
            r ^= u128::from(a) << i;
        }
    }
    r
}

/// The lanes of a 64-bit register of `bits`-bit elements.
pub(crate) fn lane(v: u64, i: u32, bits: u32) -> u64 {
    (v >> (i * bits)) & mask(bits)
}

/// Runs `e` on the register file `regs` (D0-D31); returns whether a
/// saturating operation saturated (FPSCR.QC) and the FP flags raised.
pub fn run3(regs: &mut [u64; 32], fpscr: u32, e: &Enc3) -> (bool, u32) {
    use Op3::*;
    let bits = 8u32 << e.size;
    let lanes = 64 / bits;
    let regs_n = if e.q { 2 } else { 1 };
    let mut fp = Fp::new(STANDARD_FPSCR | u64::from(fpscr & (1 << 26)));
    let mut qc = false;
    let src_n: Vec<u64> = (0..regs_n).map(|k| regs[e.n + k]).collect();
    let src_m: Vec<u64> = (0..regs_n).map(|k| regs[e.m + k]).collect();
    let src_d: Vec<u64> = (0..regs_n).map(|k| regs[e.d + k]).collect();
    if let Sha(op) = e.op {
        crypto::run(regs, op, e.d, e.n, e.m);
        return (false, 0);
    }
    if matches!(e.op, Pmax | Pmin | Padd | FPadd | FPmax | FPmin) {
        // Pairwise: the low half of the result from n's pairs, the high
        // half from m's (64-bit only).
        let (n, m) = (src_n[0], src_m[0]);
        let mut r = 0u64;
        for i in 0..lanes {
            let src = if i < lanes / 2 { n } else { m };
            let j = (i % (lanes / 2)) * 2;
            let (a, b) = (lane(src, j, bits), lane(src, j + 1, bits));
            let v = pair(e, &mut fp, a, b, bits);
            r |= v << (i * bits);
        }
        regs[e.d] = r;
        return (false, fp.flags);
    }
    for k in 0..regs_n {
        let (n, m, d) = (src_n[k], src_m[k], src_d[k]);
        let r = match e.op {
            And => n & m,
            Bic => n & !m,
            Orr => n | m,
            Orn => n | !m,
            Eor => n ^ m,
            Bsl => (n & d) | (m & !d),
            Bit => (n & m) | (d & !m),
            Bif => (n & !m) | (d & m),
            _ => {
                let mut r = 0u64;
                for i in 0..lanes {
                    let (a, b, acc) = (lane(n, i, bits), lane(m, i, bits), lane(d, i, bits));
                    let (v, q) = elem(e, &mut fp, a, b, acc, bits);
                    qc |= q;
                    r |= (v & mask(bits)) << (i * bits);
                }
                r
            }
        };
        regs[e.d + k] = r;
    }
    (qc, fp.flags)
}

/// One pairwise element.
fn pair(e: &Enc3, fp: &mut Fp, a: u64, b: u64, bits: u32) -> u64 {
    use Op3::*;
    let u = e.unsigned;
    let (sa, sb) = (sext(a, bits), sext(b, bits));
    match e.op {
        Padd => a.wrapping_add(b) & mask(bits),
        Pmax if u => a.max(b),
        Pmax => sa.max(sb) as u64 & mask(bits),
        Pmin if u => a.min(b),
        Pmin => sa.min(sb) as u64 & mask(bits),
        FPmax => fpu::binop(fp, fpu::S, fpu::Bin::Max, a, b),
        FPmin => fpu::binop(fp, fpu::S, fpu::Bin::Min, a, b),
        _ => arith::add(fp, fpu::S, a, b),
    }
}

/// One element of a lane-wise operation; (result, saturated).
fn elem(e: &Enc3, fp: &mut Fp, a: u64, b: u64, acc: u64, bits: u32) -> (u64, bool) {
    use Op3::*;
    let u = e.unsigned;
    let (sa, sb) = (sext(a, bits), sext(b, bits));
    // Operands widened by signedness.
    let (wa, wb) = if u {
        (i128::from(a), i128::from(b))
    } else {
        (i128::from(sa), i128::from(sb))
    };
    let all = mask(bits);
    let t = |c: bool| if c { all } else { 0 };
    let f = fpu::S;
    let r = match e.op {
        Hadd => ((wa + wb) >> 1) as u64,
        Rhadd => ((wa + wb + 1) >> 1) as u64,
        Hsub => ((wa - wb) >> 1) as u64,
        Qadd => return sat(wa + wb, bits, u),
        Qsub => return sat(wa - wb, bits, u),
        Cgt => t(wa > wb),
        Cge => t(wa >= wb),
        // VSHL Vd, Vm, Vn: the elements of Vm (here b) by those of Vn (a).
        Shl => shl(b, a, bits, u),
        Qshl => return shift_reg(b, a as u8 as i8 as i32, bits, u, false, true),
        Rshl => return shift_reg(b, a as u8 as i8 as i32, bits, u, true, false),
        Qrshl => return shift_reg(b, a as u8 as i8 as i32, bits, u, true, true),
        Pmul => clmul(a, b) as u64 & all,
        Qdmulh | Qrdmulh => {
            let round = if e.op == Qrdmulh {
                1i128 << (bits - 1)
            } else {
                0
            };
            let p = 2 * i128::from(sa) * i128::from(sb) + round;
            return sat(p >> bits, bits, false);
        }
        Max => wa.max(wb) as u64,
        Min => wa.min(wb) as u64,
        Abd => (wa - wb).unsigned_abs() as u64,
        Aba => acc.wrapping_add((wa - wb).unsigned_abs() as u64),
        Add => a.wrapping_add(b),
        Sub => a.wrapping_sub(b),
        Tst => t(a & b != 0),
        Ceq => t(a == b),
        Mla => acc.wrapping_add(a.wrapping_mul(b)),
        Mls => acc.wrapping_sub(a.wrapping_mul(b)),
        Mul => a.wrapping_mul(b),
        FAdd => arith::add(fp, f, a, b),
        FSub => arith::sub(fp, f, a, b),
        FAbd => f.abs(arith::sub(fp, f, a, b)),
        FMul => arith::mul(fp, f, a, b),
        // Unfused: the product is rounded first.
        FMla => {
            let p = arith::mul(fp, f, a, b);
            arith::add(fp, f, acc, p)
        }
        FMls => {
            let p = arith::mul(fp, f, a, b);
            arith::sub(fp, f, acc, p)
        }
        FCeq => t(arith::compare_cond(fp, f, a, b, Cmp::Eq)),
        FCge => t(arith::compare_cond(fp, f, a, b, Cmp::Ge)),
        FCgt => t(arith::compare_cond(fp, f, a, b, Cmp::Gt)),
        FMax => fpu::binop(fp, f, fpu::Bin::Max, a, b),
        FMin => fpu::binop(fp, f, fpu::Bin::Min, a, b),
        FMaxNm => fpu::binop(fp, f, fpu::Bin::MaxNm, a, b),
        FMinNm => fpu::binop(fp, f, fpu::Bin::MinNm, a, b),
        FFma => arith::fma(fp, f, acc, a, b),
        FFms => arith::fma(fp, f, acc, f.neg(a), b),
        FAcge => fpu::binop(fp, f, fpu::Bin::AcGe, a, b),
        FAcgt => fpu::binop(fp, f, fpu::Bin::AcGt, a, b),
        Recps => fpu::binop(fp, f, fpu::Bin::Recps, a, b),
        Rsqrts => fpu::binop(fp, f, fpu::Bin::Rsqrts, a, b),
        And | Bic | Orr | Orn | Eor | Bsl | Bit | Bif | Pmax | Pmin | Padd | FPadd | FPmax
        | FPmin | Sha(_) => 0,
    };
    (r & all, false)
}

/// `VMOV`/`VMVN`/`VORR`/`VBIC` (immediate): the 64-bit value AdvSIMDExpandImm
/// gives for `op`, `cmode` and `imm8`; `None` when UNDEFINED or not a move.
pub fn expand_imm(op: bool, cmode: u32, imm8: u32) -> Option<u64> {
    let i = u64::from(imm8);
    let rep32 = |v: u64| v | v << 32;
    let rep16 = |v: u64| rep32(v | v << 16);
    Some(match cmode >> 1 {
        0 => rep32(i),
        1 => rep32(i << 8),
        2 => rep32(i << 16),
        3 => rep32(i << 24),
        4 => rep16(i),
        5 => rep16(i << 8),
        6 if cmode & 1 == 0 => rep32(i << 8 | 0xff),
        6 => rep32(i << 16 | 0xffff),
        _ => match (cmode & 1, op) {
            (0, false) => i * 0x0101_0101_0101_0101,
            (0, true) => {
                let mut v = 0u64;
                for b in 0..8 {
                    if imm8 >> b & 1 != 0 {
                        v |= 0xff << (8 * b);
                    }
                }
                v
            }
            (1, false) => {
                // VMOV.F32: aBbbbbbc defgh000 0000...
                let a = (i >> 7) & 1;
                let b = (i >> 6) & 1;
                let f = a << 31 | (if b != 0 { 0x1f } else { 0x20 }) << 25 | (i & 0x3f) << 19;
                rep32(f)
            }
            _ => return None,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn saturating_and_halving() {
        assert_eq!(sat(200, 8, false), (127, true));
        assert_eq!(sat(-200, 8, false), (0x80, true));
        assert_eq!(sat(-1, 8, true), (0, true));
        assert_eq!(shl(0x80, 0xff, 8, false), 0xc0); // signed >> 1
        assert_eq!(shl(0x80, 0xff, 8, true), 0x40);
        assert_eq!(shl(1, 8, 8, true), 0);
    }

    /// VSWP/VTRN/VUZP/VZIP.8 on d0 = bytes 0..8, d1 = bytes 8..16 and
    /// VMOVN.I16 of q1 (2-register-misc encodings built by hand).
    #[test]
    fn permutes() {
        let enc =
            |b: u32, size: u32, d: u32, m: u32| 0xf3b2_0000 | size << 18 | d << 12 | b << 7 | m;
        let start = |regs: &mut [u64; 32]| {
            regs[0] = 0x0706_0504_0302_0100;
            regs[1] = 0x0f0e_0d0c_0b0a_0908;
        };
        let mut r = [0u64; 32];
        let cases = [
            (0, (0x0f0e_0d0c_0b0a_0908, 0x0706_0504_0302_0100)),
            (1, (0x0e06_0c04_0a02_0800, 0x0f07_0d05_0b03_0901)),
            (2, (0x0e0c_0a08_0604_0200, 0x0f0d_0b09_0705_0301)),
            (3, (0x0b03_0a02_0901_0800, 0x0f07_0e06_0d05_0c04)),
        ];
        for (b, want) in cases {
            start(&mut r);
            let e = Op2::decode(enc(b, 0, 0, 1)).unwrap();
            run2(&mut r, 0, &e);
            assert_eq!((r[0], r[1]), want, "b={b}");
        }
        r[2] = 0x0003_0002_0001_1000;
        r[3] = 0x0107_0006_0005_0004;
        let e = Op2::decode(enc(4, 0, 4, 2)).unwrap();
        run2(&mut r, 0, &e);
        assert_eq!(r[4], 0x0706_0504_0302_0100);
        assert!(Op2::decode(enc(4, 0, 4, 3)).is_none(), "odd Qm");
    }

    /// vmul.i16 d0, d1, d2[3] and vmla.f32 q2, q3, d9[1] (GNU as).
    #[test]
    fn by_scalar() {
        let mut r = [0u64; 32];
        r[1] = 0x0004_0003_0002_0001;
        r[2] = 0x0010_0000_0000_0000;
        let e = EncScalar::decode(0xf291_086a).unwrap();
        let _ = run_scalar(&mut r, 0, &e);
        assert_eq!(r[0], 0x0040_0030_0020_0010);
        let f = |x: f32| u64::from(x.to_bits());
        r[4] = f(1.0) | f(2.0) << 32;
        r[5] = f(3.0) | f(4.0) << 32;
        r[6] = f(0.5) | f(-1.0) << 32;
        r[7] = f(2.0) | f(0.25) << 32;
        r[9] = f(9.0) | f(2.0) << 32;
        let e = EncScalar::decode(0xf3a6_4169).unwrap();
        let _ = run_scalar(&mut r, 0, &e);
        assert_eq!((r[4], r[5]), (f(2.0) | f(0.0) << 32, f(7.0) | f(4.5) << 32));
        assert_eq!(r[9], f(9.0) | f(2.0) << 32, "scalar register kept");
    }

    #[test]
    fn immediates() {
        assert_eq!(expand_imm(false, 0b1110, 0xab), Some(0xabab_abab_abab_abab));
        assert_eq!(expand_imm(false, 0b1111, 0x70), Some(0x3f80_0000_3f80_0000));
        assert_eq!(expand_imm(true, 0b1110, 0x81), Some(0xff00_0000_0000_00ff));
        assert_eq!(expand_imm(false, 0b1100, 0x12), Some(0x0000_12ff_0000_12ff));
        assert_eq!(expand_imm(true, 0b1111, 0x12), None);
    }
}

/// One "2 registers miscellaneous" operation (VMOVN and the permutes
/// write d, and m too for VSWP/VTRN/VUZP/VZIP).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op2 {
    Rev64,
    Rev32,
    Rev16,
    Cls,
    Clz,
    Cnt,
    Mvn,
    Abs,
    Neg,
    FAbs,
    FNeg,
    Swp,
    Trn,
    Uzp,
    Zip,
    Movn,
    /// VPADDL, VPADAL (`u`: unsigned).
    Paddl {
        u: bool,
    },
    Padal {
        u: bool,
    },
    Qabs,
    Qneg,
    /// VCGT, VCGE, VCEQ, VCLE, VCLT #0 (k = 0..=4), integer or float.
    CmpZ(u8),
    FCmpZ(u8),
    /// VQMOVN (`src_u` = `dst_u`), VQMOVUN (signed to unsigned).
    Qmovn {
        src_u: bool,
        dst_u: bool,
    },
    /// VSHLL with the shift equal to the element size.
    ShllMax,
    /// VCVT.F16.F32 (Qm to Dd), VCVT.F32.F16 (Dm to Qd).
    CvtF16,
    CvtF32,
    /// VRINT{N,X,A,Z,M,P} (ARMv8).
    Vrint(Round, bool),
    /// VCVT{A,N,P,M}.{S32,U32}.F32 (ARMv8).
    VcvtR(Round, bool),
    /// VRECPE, VRSQRTE (U32 and F32).
    Urecpe,
    Ursqrte,
    FRecpe,
    FRsqrte,
    /// VCVT.F32.{S32,U32} (`true`: unsigned) and VCVT.{S32,U32}.F32.
    CvtFromInt(bool),
    CvtToInt(bool),
    /// AESE/AESD/AESMC/AESIMC, SHA1H, SHA1SU1, SHA256SU0 (ARMv8 crypto,
    /// Q registers; the operation).
    Crypto(u32),
}

impl Op2 {
    /// An ARMv8 addition (only on models with `v8`).
    pub fn is_v8(self) -> bool {
        matches!(self, Op2::Vrint(..) | Op2::VcvtR(..) | Op2::Crypto(_))
    }
}

/// The fields of an A32 "2 registers miscellaneous" encoding
/// (`1111 0011 1D11 ssAA dddd 0BBB BQM0 mmmm`).
#[derive(Clone, Copy, Debug)]
pub struct Enc2 {
    pub op: Op2,
    pub size: u32,
    pub q: bool,
    pub d: usize,
    pub m: usize,
}

impl Op2 {
    /// Decodes an A32 encoding; `None` for UNDEFINED or not implemented.
    pub fn decode(insn: u32) -> Option<Enc2> {
        let size = insn >> 18 & 3;
        let a = insn >> 16 & 3;
        let b = insn >> 7 & 15;
        let q = insn >> 6 & 1 != 0;
        let d = ((insn >> 22 & 1) << 4 | (insn >> 12 & 15)) as usize;
        let m = ((insn >> 5 & 1) << 4 | (insn & 15)) as usize;
        use Op2::*;
        let ok = |op| Some(Enc2 { op, size, q, d, m });
        // Narrowing (Qm to Dd) and lengthening (Dm to Qd) forms.
        let narrow = |op| if m & 1 != 0 { None } else { ok(op) };
        let widen = |op| if d & 1 != 0 { None } else { ok(op) };
        let rm = [Round::TieAway, Round::TieEven, Round::PosInf, Round::NegInf];
        if let Some(c) = crypto::decode2(a, b, q, size) {
            if (d | m) & 1 != 0 {
                return None;
            }
            return ok(Crypto(c));
        }
        let op = match (a, b) {
            (0, 0) if size < 3 => Rev64,
            (0, 1) if size < 2 => Rev32,
            (0, 2) if size == 0 => Rev16,
            (0, 4 | 5) if size < 3 => Paddl { u: b & 1 != 0 },
            (0, 8) if size < 3 => Cls,
            (0, 9) if size < 3 => Clz,
            (0, 10) if size == 0 => Cnt,
            (0, 11) if size == 0 => Mvn,
            (0, 12 | 13) if size < 3 => Padal { u: b & 1 != 0 },
            (0, 14) if size < 3 => Qabs,
            (0, 15) if size < 3 => Qneg,
            (1, 0..=4) if size < 3 => CmpZ(b as u8),
            (1, 6) if size < 3 => Abs,
            (1, 7) if size < 3 => Neg,
            (1, 8..=12) if size == 2 => FCmpZ(b as u8 - 8),
            (1, 14) if size == 2 => FAbs,
            (1, 15) if size == 2 => FNeg,
            (2, 0) if size == 0 => Swp,
            (2, 1) if size < 3 => Trn,
            (2, 2) if size < 3 && (q || size < 2) => Uzp,
            (2, 3) if size < 3 && (q || size < 2) => Zip,
            (2, 4) if size < 3 && !q => return narrow(Movn),
            (2, 4) if size < 3 => {
                return narrow(Qmovn {
                    src_u: false,
                    dst_u: true,
                })
            }
            (2, 5) if size < 3 => return narrow(Qmovn { src_u: q, dst_u: q }),
            (2, 6) if size < 3 && !q => return widen(ShllMax),
            (2, 8) if size == 2 => Vrint(Round::TieEven, false),
            (2, 9) if size == 2 => Vrint(Round::TieEven, true),
            (2, 10) if size == 2 => Vrint(Round::TieAway, false),
            (2, 11) if size == 2 => Vrint(Round::Zero, false),
            (2, 13) if size == 2 => Vrint(Round::NegInf, false),
            (2, 15) if size == 2 => Vrint(Round::PosInf, false),
            (2, 12) if size == 1 && !q => return narrow(CvtF16),
            (2, 14) if size == 1 && !q => return widen(CvtF32),
            (3, 0..=7) if size == 2 => VcvtR(rm[(b >> 1) as usize], b & 1 != 0),
            (3, 8) if size == 2 => Urecpe,
            (3, 9) if size == 2 => Ursqrte,
            (3, 10) if size == 2 => FRecpe,
            (3, 11) if size == 2 => FRsqrte,
            (3, 12 | 13) if size == 2 => CvtFromInt(b & 1 != 0),
            (3, 14 | 15) if size == 2 => CvtToInt(b & 1 != 0),
            _ => return None,
        };
        if q && (d | m) & 1 != 0 {
            return None;
        }
        Some(Enc2 { op, size, q, d, m })
    }
}

/// Runs `e` on the register file; (saturated: FPSCR.QC, FP flags).
pub fn run2(regs: &mut [u64; 32], fpscr: u32, e: &Enc2) -> (bool, u32) {
    use Op2::*;
    let bits = 8u32 << e.size;
    let lanes = 64 / bits;
    let n = if e.q { 2 } else { 1 };
    if matches!(e.op, Swp | Trn | Uzp | Zip | Movn) {
        permute(regs, e, bits, n);
        return (false, 0);
    }
    if !matches!(
        e.op,
        Rev64 | Rev32 | Rev16 | Cls | Clz | Cnt | Mvn | Abs | Neg | FAbs | FNeg
    ) {
        return misc2::run(regs, fpscr, e);
    }
    let src: Vec<u64> = (0..n).map(|k| regs[e.m + k]).collect();
    for (k, &v) in src.iter().enumerate() {
        let r = match e.op {
            Mvn => !v,
            Rev64 | Rev32 | Rev16 => {
                let group = match e.op {
                    Rev64 => 64,
                    Rev32 => 32,
                    _ => 16,
                } / bits;
                let mut r = 0u64;
                for i in 0..lanes {
                    let j = i / group * group + (group - 1 - i % group);
                    r |= lane(v, j, bits) << (i * bits);
                }
                r
            }
            _ => {
                let mut r = 0u64;
                for i in 0..lanes {
                    let x = lane(v, i, bits);
                    let s = sext(x, bits);
                    let y = match e.op {
                        Cls => {
                            let t = if s < 0 { !x & mask(bits) } else { x };
                            u64::from(t.leading_zeros() - (64 - bits)).saturating_sub(1)
                        }
                        Clz => u64::from(x.leading_zeros() - (64 - bits)),
                        Cnt => u64::from(x.count_ones()),
                        Abs => s.unsigned_abs(),
                        Neg => s.wrapping_neg() as u64,
                        FAbs => x & !(1 << 31),
                        _ => x ^ (1 << 31),
                    };
                    r |= (y & mask(bits)) << (i * bits);
                }
                r
            }
        };
        regs[e.d + k] = r;
    }
    (false, 0)
}

/// One "two registers and a shift amount" operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OpSh {
    /// VSHR, VSRA, VRSHR, VRSRA (`round`, `acc`).
    Shr {
        round: bool,
        acc: bool,
    },
    Sri,
    Shl,
    Sli,
    /// VSHRN, VRSHRN: narrowing from a Q register.
    Shrn {
        round: bool,
    },
    /// VSHLL (VMOVL with a 0 shift): lengthening into a Q register.
    Shll,
    /// VQSHL (`src_u` = `dst_u`), VQSHLU (signed to unsigned) by an
    /// immediate.
    Qshl {
        src_u: bool,
        dst_u: bool,
    },
    /// VQSHRN, VQRSHRN (`src_u` = `dst_u`), VQSHRUN, VQRSHRUN (signed to
    /// unsigned): saturating narrowing from a Q register.
    Qshrn {
        round: bool,
        src_u: bool,
        dst_u: bool,
    },
    /// VCVT between F32 and 32-bit fixed point (`shift` fraction bits).
    CvtFixed {
        to_fixed: bool,
    },
}

/// The fields of an A32 "two registers and a shift amount" encoding
/// (`1111 001U 1Dii iiii dddd oooo LQM1 mmmm`).
#[derive(Clone, Copy, Debug)]
pub struct EncSh {
    pub op: OpSh,
    pub unsigned: bool,
    /// Element bits (of the result for VSHRN, of the source for VSHLL:
    /// VSHRN's imm6 names the result size).
    pub bits: u32,
    pub shift: u32,
    pub q: bool,
    pub d: usize,
    pub m: usize,
}

impl OpSh {
    /// Decodes an A32 encoding; `None` for UNDEFINED or not implemented.
    pub fn decode(insn: u32) -> Option<EncSh> {
        let u = insn >> 24 & 1 != 0;
        let imm6 = insn >> 16 & 63;
        let l = insn >> 7 & 1 != 0;
        let q = insn >> 6 & 1 != 0;
        let opc = insn >> 8 & 15;
        let d = ((insn >> 22 & 1) << 4 | (insn >> 12 & 15)) as usize;
        let m = ((insn >> 5 & 1) << 4 | (insn & 15)) as usize;
        let bits = match (l, imm6) {
            (true, _) => 64,
            (false, 32..) => 32,
            (false, 16..) => 16,
            (false, 8..) => 8,
            _ => return None, // one register and a modified immediate
        };
        // Right shifts: 2*esize - imm6 (L = 0), 64 - imm6 (L = 1); left:
        // imm6 - esize (L = 0), imm6 (L = 1).
        let right = if l { 64 - imm6 } else { 2 * bits - imm6 };
        let left = imm6 - if l { 0 } else { bits };
        let (op, shift) = match (opc, u) {
            (0..=3, _) => (
                OpSh::Shr {
                    round: opc & 2 != 0,
                    acc: opc & 1 != 0,
                },
                right,
            ),
            (4, true) => (OpSh::Sri, right),
            (5, false) => (OpSh::Shl, left),
            (5, true) => (OpSh::Sli, left),
            (8, false) if !l && !q => (OpSh::Shrn { round: false }, right),
            (8, false) if !l && q => (OpSh::Shrn { round: true }, right),
            (10, _) if !l && !q => (OpSh::Shll, left),
            (6, true) => (
                OpSh::Qshl {
                    src_u: false,
                    dst_u: true,
                },
                left,
            ),
            (7, _) => (OpSh::Qshl { src_u: u, dst_u: u }, left),
            (8, true) if !l => (
                OpSh::Qshrn {
                    round: q,
                    src_u: false,
                    dst_u: true,
                },
                right,
            ),
            (9, _) if !l => (
                OpSh::Qshrn {
                    round: q,
                    src_u: u,
                    dst_u: u,
                },
                right,
            ),
            (14 | 15, _) if !l && bits == 32 => (
                OpSh::CvtFixed {
                    to_fixed: opc == 15,
                },
                right,
            ),
            _ => return None,
        };
        let narrowing = matches!(op, OpSh::Shrn { .. } | OpSh::Qshrn { .. });
        let narrow_or_long = narrowing || op == OpSh::Shll;
        if narrow_or_long {
            // Shrn: Qm -> Dd (results of `bits / 2`); Shll: Dm -> Qd.
            if narrowing && (m & 1 != 0 || bits == 64) {
                return None;
            }
            if op == OpSh::Shll && d & 1 != 0 {
                return None;
            }
        } else if q && (d | m) & 1 != 0 {
            return None;
        }
        Some(EncSh {
            op,
            unsigned: u,
            bits,
            shift,
            q,
            d,
            m,
        })
    }
}

/// `x` (a `bits`-bit element) shifted right by `n` (1..=bits), signed or
/// unsigned, rounded when `round`.
fn shr_elem(x: u64, n: u32, bits: u32, unsigned: bool, round: bool) -> u64 {
    let v: i128 = if unsigned {
        i128::from(x)
    } else {
        i128::from(sext(x, bits))
    };
    let v = if round { v + (1i128 << (n - 1)) } else { v };
    (v >> n) as u64 & mask(bits)
}

/// Runs `e` on the register file; (saturated: FPSCR.QC, FP flags).
pub fn run_shift(regs: &mut [u64; 32], fpscr: u32, e: &EncSh) -> (bool, u32) {
    let bits = e.bits;
    let u = e.unsigned;
    let mut qc = false;
    let mut fp = Fp::new(STANDARD_FPSCR | u64::from(fpscr & (1 << 26)));
    match e.op {
        OpSh::Qshrn {
            round,
            src_u,
            dst_u,
        } => {
            let src = misc2::get(regs, e.m, 2, 2 * bits);
            let out: Vec<u64> = src
                .iter()
                .map(|&x| {
                    let v = if src_u {
                        i128::from(x)
                    } else {
                        i128::from(sext(x, 2 * bits))
                    };
                    let n = e.shift;
                    let v = if round {
                        (v + (1i128 << (n - 1))) >> n
                    } else {
                        v >> n
                    };
                    let (r, q) = sat(v, bits, dst_u);
                    qc |= q;
                    r
                })
                .collect();
            misc2::put(regs, e.d, bits, &out);
        }
        OpSh::Qshl { src_u, dst_u } => {
            let n = 1 + usize::from(e.q);
            let src = misc2::get(regs, e.m, n, bits);
            let out: Vec<u64> = src
                .iter()
                .map(|&x| {
                    let v = if src_u {
                        i128::from(x)
                    } else {
                        i128::from(sext(x, bits))
                    };
                    let (r, q) = sat(v << e.shift, bits, dst_u);
                    qc |= q;
                    r
                })
                .collect();
            misc2::put(regs, e.d, bits, &out);
        }
        OpSh::CvtFixed { to_fixed } => {
            let n = 1 + usize::from(e.q);
            let src = misc2::get(regs, e.m, n, 32);
            let out: Vec<u64> = src
                .iter()
                .map(|&x| {
                    if to_fixed {
                        fpu::conv::to_fixed(&mut fp, fpu::S, x, e.shift, u, Round::Zero, 32)
                    } else {
                        fpu::conv::from_fixed(&mut fp, fpu::S, x, !u, 32, e.shift, Round::TieEven)
                    }
                })
                .collect();
            misc2::put(regs, e.d, 32, &out);
        }
        OpSh::Shrn { round } => {
            // Source elements of 2*bits from Qm, results of bits in Dd.
            let (src, out) = (2 * bits, bits);
            let mut r = 0u64;
            let lanes = 64 / out;
            for i in 0..lanes {
                let per = 64 / src;
                let v = lane(regs[e.m + (i / per) as usize], i % per, src);
                let s = shr_elem(v, e.shift, src, true, round);
                r |= (s & mask(out)) << (i * out);
            }
            regs[e.d] = r;
        }
        OpSh::Shll => {
            let src = regs[e.m];
            let wide = 2 * bits;
            let per = 64 / wide;
            for k in 0..2 {
                let mut r = 0u64;
                for j in 0..per {
                    let x = lane(src, k * per + j, bits);
                    let x = if u { x } else { sext(x, bits) as u64 };
                    r |= ((x << e.shift) & mask(wide)) << (j * wide);
                }
                regs[e.d + k as usize] = r;
            }
        }
        _ => {
            let lanes = 64 / bits;
            for k in 0..1 + usize::from(e.q) {
                let (src, dst) = (regs[e.m + k], regs[e.d + k]);
                let mut r = 0u64;
                for i in 0..lanes {
                    let (x, old) = (lane(src, i, bits), lane(dst, i, bits));
                    let n = e.shift;
                    let v = match e.op {
                        OpSh::Shr { round, acc } => {
                            let s = shr_elem(x, n, bits, u, round);
                            if acc {
                                old.wrapping_add(s)
                            } else {
                                s
                            }
                        }
                        OpSh::Sri => {
                            let keep = if n == bits {
                                mask(bits)
                            } else {
                                !(mask(bits) >> n)
                            };
                            let s = if n == bits { 0 } else { x >> n };
                            (old & keep) | s
                        }
                        OpSh::Shl => x << n,
                        _ => (old & mask(n)) | (x << n),
                    };
                    r |= (v & mask(bits)) << (i * bits);
                }
                regs[e.d + k] = r;
            }
        }
    }
    (qc, fp.flags)
}

/// VSWP, VTRN, VUZP, VZIP (on `n` registers from d and from m) and VMOVN.
fn permute(regs: &mut [u64; 32], e: &Enc2, bits: u32, n: usize) {
    use Op2::*;
    let lanes = 64 / bits;
    let get = |regs: &[u64; 32], r: usize| -> Vec<u64> {
        (0..n)
            .flat_map(|k| (0..lanes).map(move |i| (k, i)))
            .map(|(k, i)| lane(regs[r + k], i, bits))
            .collect()
    };
    let put = |regs: &mut [u64; 32], r: usize, v: &[u64]| {
        for k in 0..n {
            regs[r + k] = (0..lanes as usize)
                .map(|i| v[k * lanes as usize + i] << (i as u32 * bits))
                .fold(0, |a, b| a | b);
        }
    };
    if e.op == Movn {
        // Qm's elements of 2*bits, truncated into Dd.
        let wide = 2 * bits;
        let per = 64 / wide;
        regs[e.d] = (0..lanes)
            .map(|i| {
                (lane(regs[e.m + (i / per) as usize], i % per, wide) & mask(bits)) << (i * bits)
            })
            .fold(0, |a, b| a | b);
        return;
    }
    let (mut d, mut m) = (get(regs, e.d), get(regs, e.m));
    let len = d.len();
    match e.op {
        Swp => std::mem::swap(&mut d, &mut m),
        Trn => {
            for i in (0..len).step_by(2) {
                std::mem::swap(&mut d[i + 1], &mut m[i]);
            }
        }
        Zip => {
            let all: Vec<u64> = (0..len).flat_map(|i| [d[i], m[i]]).collect();
            d = all[..len].to_vec();
            m = all[len..].to_vec();
        }
        _ => {
            let all: Vec<u64> = d.iter().chain(m.iter()).copied().collect();
            d = all.iter().step_by(2).copied().collect();
            m = all.iter().skip(1).step_by(2).copied().collect();
        }
    }
    put(regs, e.d, &d);
    put(regs, e.m, &m);
}

/// The same-length "two registers and a scalar" forms: VMLA, VMLS, VMUL
/// (integer, and F32 with `float`), VQDMULH, VQRDMULH of every element of
/// Vn by one element of Dm (`1111 001Q 1Dss nnnn dddd oooo N1M0 mmmm`;
/// the lengthening ones are `long.rs`).
#[derive(Clone, Copy, Debug)]
pub struct EncScalar {
    pub op: Op3,
    pub size: u32,
    pub q: bool,
    pub d: usize,
    pub n: usize,
    /// The D register and element index of the scalar.
    pub m: usize,
    pub index: u32,
}

impl EncScalar {
    pub fn decode(insn: u32) -> Option<EncScalar> {
        let q = insn >> 24 & 1 != 0;
        let size = insn >> 20 & 3;
        let opc = insn >> 8 & 15;
        let d = ((insn >> 22 & 1) << 4 | (insn >> 12 & 15)) as usize;
        let n = ((insn >> 7 & 1) << 4 | (insn >> 16 & 15)) as usize;
        let (vm, mbit) = (insn & 15, insn >> 5 & 1);
        let float = opc & 1 != 0 && opc < 12;
        let op = match (opc, float) {
            (0 | 1, _) => [Op3::Mla, Op3::FMla][usize::from(float)],
            (4 | 5, _) => [Op3::Mls, Op3::FMls][usize::from(float)],
            (8 | 9, _) => [Op3::Mul, Op3::FMul][usize::from(float)],
            (12, _) => Op3::Qdmulh,
            (13, _) => Op3::Qrdmulh,
            _ => return None,
        };
        // 16-bit scalars: Dm = Vm<2:0>, index M:Vm<3>; 32-bit: Dm = Vm,
        // index M. F16 (size 01 float) is not implemented.
        let (m, index) = match size {
            1 if !float => ((vm & 7) as usize, mbit << 1 | vm >> 3),
            2 => (vm as usize, mbit),
            _ => return None,
        };
        if q && (d | n) & 1 != 0 {
            return None;
        }
        Some(EncScalar {
            op,
            size,
            q,
            d,
            n,
            m,
            index,
        })
    }
}

/// Runs `e`: the scalar is replicated, then the lane-wise operation runs;
/// (saturated, FP flags).
pub fn run_scalar(regs: &mut [u64; 32], fpscr: u32, e: &EncScalar) -> (bool, u32) {
    let bits = 8u32 << e.size;
    let x = lane(regs[e.m], e.index, bits);
    let rep = (0..64 / bits).fold(0u64, |a, i| a | x << (i * bits));
    let mut tmp = *regs;
    // Put the replicated scalar where an Enc3's m can name it: a register
    // the operation does not otherwise read or write.
    let spare = (0..31)
        .find(|&r| {
            let busy = |b: usize, c: usize| r + 1 >= b && r < b + c;
            let c = 1 + usize::from(e.q);
            !busy(e.d, c) && !busy(e.n, c)
        })
        .unwrap_or(0);
    tmp[spare] = rep;
    tmp[spare + 1] = rep;
    let e3 = Enc3 {
        op: e.op,
        unsigned: false,
        size: e.size,
        q: e.q,
        d: e.d,
        n: e.n,
        m: spare,
    };
    let r = run3(&mut tmp, fpscr, &e3);
    for k in 0..1 + usize::from(e.q) {
        regs[e.d + k] = tmp[e.d + k];
    }
    r
}
