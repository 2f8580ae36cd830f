//! Conversions: between formats (FCVT), to and from integers and fixed point
//! (FCVT[NAPMZ][SU], SCVTF/UCVTF), round to integral (FRINT*), FJCVTZS.

use super::{Fmt, Fp, Kind, Round, FPCR_AHP, FPCR_FZ, FPSR_IOC, FPSR_IXC, H};

/// Flush-to-zero for a conversion operand or result in format `f`: half
/// precision is never flushed by conversions (FPUnpackCV / FPRoundCV).
fn cv_fz(fp: &Fp, f: Fmt) -> bool {
    f != H && fp.fpcr & FPCR_FZ != 0
}

/// FPConvert from `from` to `to` with rounding mode `rm`.
pub fn convert(fp: &mut Fp, from: Fmt, to: Fmt, x: u64, rm: Round) -> u64 {
    let ahp = fp.fpcr & FPCR_AHP != 0;
    let u = if from == H && ahp {
        // Alternative half precision: exponent 31 encodes normal numbers.
        let x = x & 0xffff;
        let sign = x >> 15 != 0;
        let e = (x >> 10) & 0x1f;
        let frac = x & 0x3ff;
        let (kind, exp, mant) = if e == 0 && frac == 0 {
            (Kind::Zero, 0, 0)
        } else if e == 0 {
            (Kind::Num, -24, frac)
        } else {
            (Kind::Num, e as i32 - 25, frac | 0x400)
        };
        super::Unp {
            kind,
            sign,
            exp,
            mant,
            bits: x,
        }
    } else {
        let fz = cv_fz(fp, from);
        fp.unpack_fz(from, x, fz)
    };
    let ahp_out = to == H && ahp;
    match u.kind {
        Kind::QNaN | Kind::SNaN => {
            if ahp_out {
                fp.raise(FPSR_IOC);
                return to.zero(u.sign);
            }
            if u.kind == Kind::SNaN {
                fp.raise(FPSR_IOC);
            }
            if fp.dn() {
                return to.default_nan();
            }
            // FPConvertNaN: keep the sign and the top fraction bits.
            let frac = u.bits & from.frac_mask();
            let frac = if to.fbits >= from.fbits {
                frac << (to.fbits - from.fbits)
            } else {
                frac >> (from.fbits - to.fbits)
            };
            to.inf(u.sign) | frac | to.quiet_bit()
        }
        Kind::Inf => {
            if ahp_out {
                fp.raise(FPSR_IOC);
                return (u.sign as u64) << 15 | 0x7fff;
            }
            to.inf(u.sign)
        }
        Kind::Zero => to.zero(u.sign),
        Kind::Num => {
            let fz = cv_fz(fp, to);
            fp.round_with(to, u.sign, u.exp, u.mant as u128, rm, fz, ahp_out)
        }
    }
}

/// Rounds the magnitude `mant * 2^exp` to an integer per `rm` (with the
/// value's `sign`), returning (integer magnitude, inexact). `None` when the
/// magnitude is 2^127 or more.
fn round_to_int(sign: bool, exp: i32, mant: u64, rm: Round) -> Option<(u128, bool)> {
    if exp >= 0 {
        if exp > 64 {
            return None;
        }
        return Some(((mant as u128) << exp, false));
    }
    let sh = (-exp) as u32;
    let m = mant as u128;
    let (int, rem, half) = if sh >= 100 {
        (0u128, m, None)
    } else {
        (m >> sh, m & ((1u128 << sh) - 1), Some(1u128 << (sh - 1)))
    };
    if rem == 0 {
        return Some((int, false));
    }
    use std::cmp::Ordering::*;
    let cmp = match half {
        Some(h) => rem.cmp(&h),
        None => Less,
    };
    let up = match rm {
        Round::TieEven => cmp == Greater || (cmp == Equal && int & 1 == 1),
        Round::TieAway => cmp != Less,
        Round::PosInf => !sign,
        Round::NegInf => sign,
        Round::Zero => false,
        Round::Odd => int & 1 == 0,
    };
    Some((int + up as u128, true))
}

/// FPToFixed: `x * 2^fbits` rounded per `rm` to a `width`-bit signed or
/// unsigned integer, saturating with IOC; returned zero-extended to 64 bits
/// (signed results are sign-extended within `width`, then masked).
pub fn to_fixed(
    fp: &mut Fp,
    f: Fmt,
    x: u64,
    fbits: u32,
    unsigned: bool,
    rm: Round,
    width: u32,
) -> u64 {
    let u = fp.unpack(f, x);
    let mask = if width == 64 {
        u64::MAX
    } else {
        (1u64 << width) - 1
    };
    let (max, min): (i128, i128) = if unsigned {
        ((1i128 << width) - 1, 0)
    } else {
        ((1i128 << (width - 1)) - 1, -(1i128 << (width - 1)))
    };
    let sat = |fp: &mut Fp, v: i128| -> u64 {
        fp.raise(FPSR_IOC);
        (v as u64) & mask
    };
    match u.kind {
        Kind::QNaN | Kind::SNaN => {
            fp.raise(FPSR_IOC);
            0
        }
        Kind::Zero => 0,
        Kind::Inf => sat(fp, if u.sign { min } else { max }),
        Kind::Num => match round_to_int(u.sign, u.exp + fbits as i32, u.mant, rm) {
            None => sat(fp, if u.sign { min } else { max }),
            Some((mag, inexact)) => {
                let v: i128 = if mag > (1u128 << 100) {
                    if u.sign {
                        i128::MIN
                    } else {
                        i128::MAX
                    }
                } else if u.sign {
                    -(mag as i128)
                } else {
                    mag as i128
                };
                if v > max {
                    sat(fp, max)
                } else if v < min {
                    sat(fp, min)
                } else {
                    if inexact {
                        fp.raise(FPSR_IXC);
                    }
                    (v as u64) & mask
                }
            }
        },
    }
}

/// FixedToFP: the `width`-bit integer `v` (signed or not) divided by
/// 2^fbits, rounded per `rm` to format `f`.
pub fn from_fixed(
    fp: &mut Fp,
    f: Fmt,
    v: u64,
    signed: bool,
    width: u32,
    fbits: u32,
    rm: Round,
) -> u64 {
    let v = if width == 32 {
        if signed {
            v as u32 as i32 as i64 as u64
        } else {
            v as u32 as u64
        }
    } else if width == 16 {
        if signed {
            v as u16 as i16 as i64 as u64
        } else {
            v as u16 as u64
        }
    } else {
        v
    };
    let (sign, mag) = if signed && (v as i64) < 0 {
        (true, (v as i64).unsigned_abs())
    } else {
        (false, v)
    };
    let fz = fp.fz(f);
    fp.round_with(f, sign, -(fbits as i32), mag as u128, rm, fz, false)
}

/// FPRoundInt: round to an integral value in the same format; `exact`
/// (FRINTX) raises IXC when the value changes.
pub fn round_int(fp: &mut Fp, f: Fmt, x: u64, rm: Round, exact: bool) -> u64 {
    let u = fp.unpack(f, x);
    match u.kind {
        Kind::QNaN | Kind::SNaN => fp.process_nan(f, &u),
        Kind::Inf => f.inf(u.sign),
        Kind::Zero => f.zero(u.sign),
        Kind::Num if u.exp >= 0 => u.bits,
        Kind::Num => {
            let Some((mag, inexact)) = round_to_int(u.sign, u.exp, u.mant, rm) else {
                return u.bits;
            };
            if inexact && exact {
                fp.raise(FPSR_IXC);
            }
            if mag == 0 {
                return f.zero(u.sign);
            }
            if !inexact {
                return u.bits;
            }
            // Exact in the format: the magnitude has at most fbits+1 bits.
            let mut tmp = Fp::new(0);
            tmp.round_with(f, u.sign, 0, mag, Round::Zero, false, false)
        }
    }
}

/// FPRoundIntN (FRINT32*/FRINT64*): like `round_int` but out-of-range values,
/// NaNs and infinities give the most negative `intsize`-bit integer with IOC.
pub fn round_int_n(fp: &mut Fp, f: Fmt, x: u64, rm: Round, intsize: u32) -> u64 {
    let u = fp.unpack(f, x);
    let most_neg = |fp: &mut Fp| {
        fp.raise(FPSR_IOC);
        let mut tmp = Fp::new(0);
        tmp.round_with(f, true, intsize as i32 - 1, 1, Round::Zero, false, false)
    };
    match u.kind {
        Kind::QNaN | Kind::SNaN | Kind::Inf => most_neg(fp),
        Kind::Zero => f.zero(u.sign),
        Kind::Num => {
            let Some((mag, inexact)) = round_to_int(u.sign, u.exp, u.mant, rm) else {
                return most_neg(fp);
            };
            let lim = 1u128 << (intsize - 1);
            if (u.sign && mag > lim) || (!u.sign && mag >= lim) {
                return most_neg(fp);
            }
            if inexact {
                fp.raise(FPSR_IXC);
            }
            if mag == 0 {
                return f.zero(u.sign);
            }
            let mut tmp = Fp::new(0);
            tmp.round_with(f, u.sign, 0, mag, Round::Zero, false, false)
        }
    }
}

/// FJCVTZS: double to int32 with JavaScript (modulo 2^32) semantics; returns
/// (result, Z flag).
pub fn fjcvtzs(fp: &mut Fp, x: u64) -> (u32, bool) {
    let f = super::D;
    let u = fp.unpack(f, x);
    match u.kind {
        Kind::QNaN | Kind::SNaN | Kind::Inf => {
            fp.raise(FPSR_IOC);
            (0, false)
        }
        Kind::Zero => {
            // -0 and a flushed denormal clear Z.
            let z = !u.sign && x & f.frac_mask() == 0;
            (0, z)
        }
        Kind::Num => {
            let (low, inexact, big) = if u.exp >= 0 {
                // A normal double with exponent >= 0 is at least 2^52.
                let big = true;
                let low = if u.exp >= 64 {
                    0
                } else {
                    ((u.mant as u128) << u.exp) as u64
                };
                (low, false, big)
            } else {
                let sh = (-u.exp) as u32;
                let (int, rem) = if sh >= 64 {
                    (0, u.mant)
                } else {
                    (u.mant >> sh, u.mant & ((1u64 << sh) - 1))
                };
                (int, rem != 0, int > 1 << 31)
            };
            let r = if u.sign {
                (low as u32).wrapping_neg()
            } else {
                low as u32
            };
            let out_of_range = big;
            let pos_overflow = !u.sign && low >= 1 << 31;
            if out_of_range || pos_overflow {
                fp.raise(FPSR_IOC);
                (r, false)
            } else if inexact {
                fp.raise(FPSR_IXC);
                (r, false)
            } else {
                (r, true)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::{D, S};
    use super::*;

    #[test]
    fn to_int() {
        let mut fp = Fp::new(0);
        let d = |x: f64| x.to_bits();
        assert_eq!(
            to_fixed(&mut fp, D, d(2.5), 0, false, Round::TieEven, 32),
            2
        );
        assert_eq!(fp.flags, FPSR_IXC);
        assert_eq!(
            to_fixed(&mut fp, D, d(-2.5), 0, false, Round::TieAway, 64),
            (-3i64) as u64
        );
        assert_eq!(
            to_fixed(&mut fp, D, d(-2.5), 0, false, Round::NegInf, 32),
            (-3i32) as u32 as u64
        );
        let mut fp = Fp::new(0);
        assert_eq!(
            to_fixed(&mut fp, D, d(1e20), 0, false, Round::Zero, 32),
            0x7fff_ffff
        );
        assert_eq!(fp.flags, FPSR_IOC);
        let mut fp = Fp::new(0);
        assert_eq!(to_fixed(&mut fp, D, d(-1.0), 0, true, Round::Zero, 64), 0);
        assert_eq!(fp.flags, FPSR_IOC);
        let mut fp = Fp::new(0);
        assert_eq!(to_fixed(&mut fp, D, d(-0.5), 0, true, Round::Zero, 64), 0);
        assert_eq!(fp.flags, FPSR_IXC);
        assert_eq!(to_fixed(&mut fp, D, d(1.5), 4, false, Round::Zero, 32), 24);
        assert_eq!(
            to_fixed(
                &mut fp,
                D,
                d(-9.223_372_036_854_776e18),
                0,
                false,
                Round::Zero,
                64
            ),
            i64::MIN as u64
        );
    }

    #[test]
    fn from_int() {
        let mut fp = Fp::new(0);
        assert_eq!(
            from_fixed(&mut fp, D, -5i64 as u64, true, 64, 0, Round::TieEven),
            (-5.0f64).to_bits()
        );
        assert_eq!(
            from_fixed(&mut fp, S, u64::MAX, false, 64, 0, Round::TieEven),
            (u64::MAX as f32).to_bits() as u64
        );
        assert_eq!(
            from_fixed(&mut fp, D, 3, true, 32, 1, Round::TieEven),
            1.5f64.to_bits()
        );
        assert_eq!(
            from_fixed(&mut fp, S, 0xffff_ffff, true, 32, 0, Round::TieEven),
            (-1.0f32).to_bits() as u64
        );
    }

    #[test]
    fn cvt_and_frint() {
        let mut fp = Fp::new(0);
        assert_eq!(
            convert(&mut fp, D, S, 0.1f64.to_bits(), Round::TieEven),
            0.1f32.to_bits() as u64
        );
        assert_eq!(fp.flags, FPSR_IXC);
        assert_eq!(
            convert(&mut fp, S, H, 1.0f32.to_bits() as u64, Round::TieEven),
            0x3c00
        );
        assert_eq!(
            convert(&mut fp, H, D, 0x3555, Round::TieEven),
            0.333251953125f64.to_bits()
        );
        assert_eq!(
            convert(&mut fp, D, S, 0x7ff4_0000_0000_0000, Round::TieEven),
            0x7fe0_0000
        );
        let mut fp = Fp::new(0);
        assert_eq!(
            round_int(&mut fp, D, 2.5f64.to_bits(), Round::TieEven, true),
            2.0f64.to_bits()
        );
        assert_eq!(fp.flags, FPSR_IXC);
        assert_eq!(
            round_int(&mut fp, D, (-0.3f64).to_bits(), Round::TieAway, false),
            (-0.0f64).to_bits()
        );
        assert_eq!(
            round_int(&mut fp, S, 2.5f32.to_bits() as u64, Round::TieAway, false),
            3.0f32.to_bits() as u64
        );
        assert_eq!(
            round_int(&mut fp, D, 1e300f64.to_bits(), Round::Zero, false),
            1e300f64.to_bits()
        );
        let mut fp = Fp::new(0);
        assert_eq!(
            round_int_n(&mut fp, D, 3e9f64.to_bits(), Round::Zero, 32),
            (-2147483648.0f64).to_bits()
        );
        assert_eq!(fp.flags, FPSR_IOC);
    }

    #[test]
    fn js() {
        let mut fp = Fp::new(0);
        assert_eq!(fjcvtzs(&mut fp, 3.0f64.to_bits()), (3, true));
        assert_eq!(fjcvtzs(&mut fp, (-3.5f64).to_bits()), (-3i32 as u32, false));
        assert_eq!(fjcvtzs(&mut fp, 4294967298.0f64.to_bits()), (2, false));
        assert_eq!(
            fjcvtzs(&mut fp, (-2147483648.0f64).to_bits()),
            (0x8000_0000, true)
        );
        assert_eq!(
            fjcvtzs(&mut fp, 2147483648.0f64.to_bits()),
            (0x8000_0000, false)
        );
    }
}
