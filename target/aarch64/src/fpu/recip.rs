//! Reciprocal and reciprocal square root estimates and Newton-Raphson steps
//! (FRECPE, FRSQRTE, FRECPS, FRSQRTS, FRECPX, URECPE, URSQRTE), following the
//! manual's integer estimate algorithms so results match hardware bit for bit.

use super::arith::add_exact;
use super::{Fmt, Fp, Kind, Round, FPSR_DZC, FPSR_IXC, FPSR_OFC, FPSR_UFC, H, S};

/// RecipEstimate: `a` in 256..512 (0.5 <= x < 1.0 in steps of 1/512).
pub fn recip_estimate(a: u32) -> u32 {
    let a = a * 2 + 1;
    let b = (1u32 << 19) / a;
    b.div_ceil(2)
}

/// RecipSqrtEstimate: `a` in 128..512 (0.25 <= x < 1.0).
pub fn rsqrt_estimate(a: u32) -> u32 {
    let a = if a < 256 {
        a * 2 + 1
    } else {
        (((a >> 1) << 1) + 1) << 1
    } as u64;
    let mut b: u64 = 512;
    while a * (b + 1) * (b + 1) < 1 << 28 {
        b += 1;
    }
    b.div_ceil(2) as u32
}

/// The operand's fraction widened to 52 bits and its biased exponent.
fn frac52(f: Fmt, x: u64) -> (u64, i64) {
    let frac = (x & f.frac_mask()) << (52 - f.fbits);
    let exp = ((x >> f.fbits) & f.emax_biased()) as i64;
    (frac, exp)
}

pub fn recpe(fp: &mut Fp, f: Fmt, x: u64) -> u64 {
    let u = fp.unpack(f, x);
    match u.kind {
        Kind::QNaN | Kind::SNaN => return fp.process_nan(f, &u),
        Kind::Inf => return f.zero(u.sign),
        Kind::Zero => {
            fp.raise(FPSR_DZC);
            return f.inf(u.sign);
        }
        Kind::Num => {}
    }
    let sign = u.sign;
    let abs = f.abs(x);
    // |x| < 2^-(bias+1): the reciprocal overflows.
    let tiny_lim = match f {
        H => 0x0100u64,             // 2^-16
        S => 0x0020_0000,           // 2^-128
        _ => 0x0004_0000_0000_0000, // 2^-1024
    };
    if abs < tiny_lim {
        let to_inf = match fp.rounding() {
            Round::TieEven | Round::TieAway => true,
            Round::PosInf => !sign,
            Round::NegInf => sign,
            _ => false,
        };
        fp.raise(FPSR_OFC | FPSR_IXC);
        return if to_inf {
            f.inf(sign)
        } else {
            f.max_normal(sign)
        };
    }
    let big_exp = match f {
        H => 14 + 15,
        S => 126 + 127,
        _ => 1022 + 1023,
    } as u64;
    if fp.fz(f) && (abs >> f.fbits) >= big_exp {
        fp.raise(FPSR_UFC);
        return f.zero(sign);
    }
    let (mut frac, mut exp) = frac52(f, abs);
    if exp == 0 {
        if frac >> 51 == 0 {
            exp = -1;
            frac = (frac << 2) & ((1 << 52) - 1);
        } else {
            frac = (frac << 1) & ((1 << 52) - 1);
        }
    }
    let scaled = (1 << 8 | (frac >> 44)) as u32;
    let mut result_exp = match f {
        H => 29 - exp,
        S => 253 - exp,
        _ => 2045 - exp,
    };
    let est = recip_estimate(scaled) as u64;
    let mut frac = (est & 0xff) << 44;
    if result_exp == 0 {
        frac = 1 << 51 | frac >> 1;
    } else if result_exp == -1 {
        frac = 1 << 50 | frac >> 2;
        result_exp = 0;
    }
    (sign as u64) << (f.width() - 1) | (result_exp as u64) << f.fbits | frac >> (52 - f.fbits)
}

pub fn rsqrte(fp: &mut Fp, f: Fmt, x: u64) -> u64 {
    let u = fp.unpack(f, x);
    match u.kind {
        Kind::QNaN | Kind::SNaN => return fp.process_nan(f, &u),
        Kind::Zero => {
            fp.raise(FPSR_DZC);
            return f.inf(u.sign);
        }
        _ if u.sign => return fp.invalid(f),
        Kind::Inf => return f.zero(false),
        Kind::Num => {}
    }
    let (mut frac, mut exp) = frac52(f, x);
    if exp == 0 {
        while frac >> 51 == 0 {
            frac <<= 1;
            exp -= 1;
        }
        frac = (frac << 1) & ((1 << 52) - 1);
    }
    let scaled = if exp & 1 == 0 {
        1 << 8 | (frac >> 44)
    } else {
        1 << 7 | (frac >> 45)
    } as u32;
    let result_exp = match f {
        H => (44 - exp).div_euclid(2),
        S => (380 - exp).div_euclid(2),
        _ => (3068 - exp).div_euclid(2),
    };
    let est = rsqrt_estimate(scaled) as u64;
    (result_exp as u64) << f.fbits | ((est & 0xff) << 44) >> (52 - f.fbits)
}

/// `(addend + (-op1) * op2) * 2^scale`, fused, for FRECPS/FRSQRTS; the
/// infinity-times-zero case gives `inf_zero`.
fn step(fp: &mut Fp, f: Fmt, op1: u64, op2: u64, addend: u64, scale: i32, inf_zero: u64) -> u64 {
    let op1 = f.neg(op1);
    let u1 = fp.unpack(f, op1);
    let u2 = fp.unpack(f, op2);
    if let Some(n) = fp.process_nans(f, &u1, &u2) {
        return n;
    }
    let (inf1, inf2) = (u1.kind == Kind::Inf, u2.kind == Kind::Inf);
    let (zero1, zero2) = (u1.kind == Kind::Zero, u2.kind == Kind::Zero);
    if (inf1 && zero2) || (zero1 && inf2) {
        return inf_zero;
    }
    if inf1 || inf2 {
        return f.inf(u1.sign ^ u2.sign);
    }
    let ua = fp.unpack(f, addend);
    let (pe, pm) = if zero1 || zero2 {
        (0, 0)
    } else {
        (u1.exp + u2.exp, u1.mant as u128 * u2.mant as u128)
    };
    let (s, e, m) = add_exact(u1.sign ^ u2.sign, pe, pm, false, ua.exp, ua.mant as u128);
    if m == 0 {
        return f.zero(fp.rounding() == Round::NegInf);
    }
    fp.round(f, s, e + scale, m)
}

pub fn recps(fp: &mut Fp, f: Fmt, a: u64, b: u64) -> u64 {
    let two = f.one(false) + (1 << f.fbits);
    step(fp, f, a, b, two, 0, two)
}

pub fn rsqrts(fp: &mut Fp, f: Fmt, a: u64, b: u64) -> u64 {
    let three = (f.one(false) + (1 << f.fbits)) | 1 << (f.fbits - 1);
    let one_five = f.one(false) | 1 << (f.fbits - 1);
    step(fp, f, a, b, three, -1, one_five)
}

pub fn recpx(fp: &mut Fp, f: Fmt, x: u64) -> u64 {
    let u = fp.unpack(f, x);
    if u.is_nan() {
        return fp.process_nan(f, &u);
    }
    let sign = (u.sign as u64) << (f.width() - 1);
    let exp = (x >> f.fbits) & f.emax_biased();
    if exp == 0 || u.kind == Kind::Zero {
        sign | (f.emax_biased() - 1) << f.fbits
    } else {
        sign | (!exp & f.emax_biased()) << f.fbits
    }
}

pub fn urecpe(x: u32) -> u32 {
    if x >> 31 == 0 {
        u32::MAX
    } else {
        recip_estimate(x >> 23) << 23
    }
}

pub fn ursqrte(x: u32) -> u32 {
    if x >> 30 == 0 {
        u32::MAX
    } else {
        rsqrt_estimate(x >> 23) << 23
    }
}

#[cfg(test)]
mod tests {
    use super::super::D;
    use super::*;

    #[test]
    fn estimates() {
        let mut fp = Fp::new(0);
        // frecpe(2.0f) = 0.499023 on hardware (0x3eff8000).
        assert_eq!(recpe(&mut fp, S, 2.0f32.to_bits() as u64), 0x3eff_8000);
        // frsqrte(4.0f) = 0.4990234375 (0x3eff8000).
        assert_eq!(rsqrte(&mut fp, S, 4.0f32.to_bits() as u64), 0x3eff_8000);
        assert_eq!(
            recps(&mut fp, D, 2.0f64.to_bits(), 0.5f64.to_bits()),
            1.0f64.to_bits()
        );
        assert_eq!(
            rsqrts(&mut fp, D, 1.0f64.to_bits(), 1.0f64.to_bits()),
            1.0f64.to_bits()
        );
        assert_eq!(recpx(&mut fp, D, 3.0f64.to_bits()), 1.0f64.to_bits());
    }
}
