//! Arithmetic: add, sub, mul, mulx, div, fused multiply-add, sqrt, min/max,
//! compares. Each takes operand bit patterns in format `f` and returns the
//! result's bit pattern, raising flags in `fp`.

use super::fast;
use super::{Fmt, Fp, Kind, Round, Unp, D, FPSR_DZC, FPSR_IOC, FPSR_IXC, S};

/// Exact sum of two unpacked magnitudes with signs (significands of at most
/// 106 bits). The result carries a sticky bit far below any rounding point.
pub(crate) fn add_exact(
    s1: bool,
    e1: i32,
    m1: u128,
    s2: bool,
    e2: i32,
    m2: u128,
) -> (bool, i32, u128) {
    if m1 == 0 {
        return (s2, e2, m2);
    }
    if m2 == 0 {
        return (s1, e1, m1);
    }
    let k1 = m1.leading_zeros() - 2;
    let k2 = m2.leading_zeros() - 2;
    let (mut s1, mut e1, mut m1) = (s1, e1 - k1 as i32, m1 << k1);
    let (mut s2, mut e2, mut m2) = (s2, e2 - k2 as i32, m2 << k2);
    if e1 < e2 {
        std::mem::swap(&mut s1, &mut s2);
        std::mem::swap(&mut e1, &mut e2);
        std::mem::swap(&mut m1, &mut m2);
    }
    let d = (e1 - e2) as u32;
    let m2 = if d >= 127 {
        1
    } else if d == 0 {
        m2
    } else {
        (m2 >> d) | ((m2 & ((1u128 << d) - 1)) != 0) as u128
    };
    if s1 == s2 {
        (s1, e1, m1 + m2)
    } else if m1 >= m2 {
        (s1, e1, m1 - m2)
    } else {
        (s2, e1, m2 - m1)
    }
}

/// Sign of an exact zero sum of operands with signs `s1`, `s2`.
fn zero_sum_sign(fp: &Fp, s1: bool, s2: bool) -> bool {
    if s1 == s2 {
        s1
    } else {
        fp.rounding() == Round::NegInf
    }
}

#[inline]
fn fast_ok(fp: &Fp, f: Fmt) -> bool {
    fp.fast() && (f == D || f == S)
}

#[inline]
fn take_fast(fp: &mut Fp, r: Option<(u64, bool)>) -> Option<u64> {
    let (v, inexact) = r?;
    if inexact {
        fp.raise(FPSR_IXC);
    }
    Some(v)
}

#[inline(never)]
fn add_sub(fp: &mut Fp, f: Fmt, a: u64, b: u64, negate_b: bool) -> u64 {
    let ua = fp.unpack(f, a);
    let ub = fp.unpack(f, b);
    if let Some(n) = fp.process_nans(f, &ua, &ub) {
        return n;
    }
    let sb = ub.sign ^ negate_b;
    match (ua.kind, ub.kind) {
        (Kind::Inf, Kind::Inf) if ua.sign != sb => fp.invalid(f),
        (Kind::Inf, _) => f.inf(ua.sign),
        (_, Kind::Inf) => f.inf(sb),
        (Kind::Zero, Kind::Zero) => f.zero(zero_sum_sign(fp, ua.sign, sb)),
        _ => {
            let (s, e, m) = add_exact(
                ua.sign,
                ua.exp,
                ua.mant as u128,
                sb,
                ub.exp,
                ub.mant as u128,
            );
            if m == 0 {
                return f.zero(fp.rounding() == Round::NegInf);
            }
            fp.round(f, s, e, m)
        }
    }
}

#[inline]
pub fn add(fp: &mut Fp, f: Fmt, a: u64, b: u64) -> u64 {
    if fast_ok(fp, f) {
        if let Some(v) = take_fast(fp, fast::add(f, a, b, fp.flags & FPSR_IXC == 0)) {
            return v;
        }
    }
    add_sub(fp, f, a, b, false)
}

#[inline]
pub fn sub(fp: &mut Fp, f: Fmt, a: u64, b: u64) -> u64 {
    if fast_ok(fp, f) {
        if let Some(v) = take_fast(
            fp,
            fast::add(f, a, b ^ f.sign_bit(), fp.flags & FPSR_IXC == 0),
        ) {
            return v;
        }
    }
    add_sub(fp, f, a, b, true)
}

#[inline(never)]
fn mul_impl(fp: &mut Fp, f: Fmt, a: u64, b: u64, mulx: bool) -> u64 {
    let ua = fp.unpack(f, a);
    let ub = fp.unpack(f, b);
    if let Some(n) = fp.process_nans(f, &ua, &ub) {
        return n;
    }
    let sign = ua.sign ^ ub.sign;
    match (ua.kind, ub.kind) {
        (Kind::Inf, Kind::Zero) | (Kind::Zero, Kind::Inf) => {
            if mulx {
                // FMULX: infinity * zero is 2.0 with the product's sign.
                f.one(sign) + (1 << f.fbits)
            } else {
                fp.invalid(f)
            }
        }
        (Kind::Inf, _) | (_, Kind::Inf) => f.inf(sign),
        (Kind::Zero, _) | (_, Kind::Zero) => f.zero(sign),
        _ => fp.round(f, sign, ua.exp + ub.exp, ua.mant as u128 * ub.mant as u128),
    }
}

#[inline]
pub fn mul(fp: &mut Fp, f: Fmt, a: u64, b: u64) -> u64 {
    if fast_ok(fp, f) {
        if let Some(v) = take_fast(fp, fast::mul(f, a, b, fp.flags & FPSR_IXC == 0)) {
            return v;
        }
    }
    mul_impl(fp, f, a, b, false)
}

pub fn mulx(fp: &mut Fp, f: Fmt, a: u64, b: u64) -> u64 {
    mul_impl(fp, f, a, b, true)
}

#[inline]
pub fn div(fp: &mut Fp, f: Fmt, a: u64, b: u64) -> u64 {
    if fast_ok(fp, f) {
        if let Some(v) = take_fast(fp, fast::div(f, a, b, fp.flags & FPSR_IXC == 0)) {
            return v;
        }
    }
    let ua = fp.unpack(f, a);
    let ub = fp.unpack(f, b);
    if let Some(n) = fp.process_nans(f, &ua, &ub) {
        return n;
    }
    let sign = ua.sign ^ ub.sign;
    match (ua.kind, ub.kind) {
        (Kind::Inf, Kind::Inf) | (Kind::Zero, Kind::Zero) => fp.invalid(f),
        (Kind::Inf, _) => f.inf(sign),
        (_, Kind::Zero) => {
            fp.raise(FPSR_DZC);
            f.inf(sign)
        }
        (Kind::Zero, _) | (_, Kind::Inf) => f.zero(sign),
        _ => {
            // Normalize both significands to 64 bits, then divide with 62
            // extra quotient bits and a sticky bit for the remainder.
            let ka = ua.mant.leading_zeros();
            let kb = ub.mant.leading_zeros();
            let na = (ua.mant << ka) as u128;
            let nb = (ub.mant << kb) as u128;
            let num = na << 62;
            let q = num / nb;
            let r = num % nb;
            let q = q << 1 | (r != 0) as u128;
            let exp = (ua.exp - ka as i32) - (ub.exp - kb as i32) - 63;
            fp.round(f, sign, exp, q)
        }
    }
}

fn isqrt(n: u128) -> u128 {
    if n == 0 {
        return 0;
    }
    // Newton iteration from an over-estimate.
    let bits = 128 - n.leading_zeros();
    let mut x: u128 = 1 << bits.div_ceil(2);
    loop {
        let y = (x + n / x) >> 1;
        if y >= x {
            return x;
        }
        x = y;
    }
}

#[inline]
pub fn sqrt(fp: &mut Fp, f: Fmt, a: u64) -> u64 {
    if fast_ok(fp, f) {
        if let Some(v) = take_fast(fp, fast::sqrt(f, a, fp.flags & FPSR_IXC == 0)) {
            return v;
        }
    }
    let ua = fp.unpack(f, a);
    match ua.kind {
        Kind::QNaN | Kind::SNaN => fp.process_nan(f, &ua),
        Kind::Zero => f.zero(ua.sign),
        _ if ua.sign => fp.invalid(f),
        Kind::Inf => f.inf(false),
        Kind::Num => {
            // Scale the significand to ~120 bits with an even exponent.
            let mut k = ua.mant.leading_zeros() as i32 + 56;
            if (ua.exp - k) & 1 != 0 {
                k += 1;
            }
            let m = (ua.mant as u128) << k;
            let r = isqrt(m);
            let sticky = (r * r != m) as u128;
            fp.round(f, false, (ua.exp - k) / 2 - 1, r << 1 | sticky)
        }
    }
}

/// FPMulAdd: `addend + op1 * op2`, fused (one rounding). Callers negate
/// operands (sign flip, NaNs included) for FMSUB/FNMADD/FNMSUB.
#[inline]
pub fn fma(fp: &mut Fp, f: Fmt, addend: u64, op1: u64, op2: u64) -> u64 {
    if fast_ok(fp, f) {
        if let Some(v) = take_fast(fp, fast::fma(f, addend, op1, op2)) {
            return v;
        }
    }
    let ua = fp.unpack(f, addend);
    let u1 = fp.unpack(f, op1);
    let u2 = fp.unpack(f, op2);
    let inf_zero = (u1.kind == Kind::Inf && u2.kind == Kind::Zero)
        || (u1.kind == Kind::Zero && u2.kind == Kind::Inf);
    let nan = fp.process_nans3(f, &ua, &u1, &u2);
    if ua.kind == Kind::QNaN && inf_zero {
        return fp.invalid(f);
    }
    if let Some(n) = nan {
        return n;
    }
    let sp = u1.sign ^ u2.sign;
    let inf_p = u1.kind == Kind::Inf || u2.kind == Kind::Inf;
    let zero_p = u1.kind == Kind::Zero || u2.kind == Kind::Zero;
    if inf_zero || (ua.kind == Kind::Inf && inf_p && ua.sign != sp) {
        return fp.invalid(f);
    }
    if ua.kind == Kind::Inf {
        return f.inf(ua.sign);
    }
    if inf_p {
        return f.inf(sp);
    }
    if ua.kind == Kind::Zero && zero_p {
        return f.zero(zero_sum_sign(fp, ua.sign, sp));
    }
    let (pe, pm) = if zero_p {
        (0, 0u128)
    } else {
        (u1.exp + u2.exp, u1.mant as u128 * u2.mant as u128)
    };
    let (s, e, m) = add_exact(sp, pe, pm, ua.sign, ua.exp, ua.mant as u128);
    if m == 0 {
        return f.zero(fp.rounding() == Round::NegInf);
    }
    fp.round(f, s, e, m)
}

/// Which of FMAX/FMIN/FMAXNM/FMINNM.
#[derive(Copy, Clone, PartialEq, Eq, Debug)]
pub enum MinMax {
    Max,
    Min,
    MaxNm,
    MinNm,
}

pub fn minmax(fp: &mut Fp, f: Fmt, a: u64, b: u64, op: MinMax) -> u64 {
    let mut ua = fp.unpack(f, a);
    let mut ub = fp.unpack(f, b);
    let is_max = matches!(op, MinMax::Max | MinMax::MaxNm);
    if matches!(op, MinMax::MaxNm | MinMax::MinNm) {
        // A quiet NaN against a number loses: replace it with the infinity
        // that the other operand always beats.
        let repl = |u: &mut Unp| {
            u.kind = Kind::Inf;
            u.sign = is_max;
            u.bits = f.inf(is_max);
        };
        if ua.kind == Kind::QNaN && !ub.is_nan() {
            repl(&mut ua);
        } else if ub.kind == Kind::QNaN && !ua.is_nan() {
            repl(&mut ub);
        }
    }
    if let Some(n) = fp.process_nans(f, &ua, &ub) {
        return n;
    }
    if ua.kind == Kind::Zero && ub.kind == Kind::Zero {
        let sign = if is_max {
            ua.sign && ub.sign
        } else {
            ua.sign || ub.sign
        };
        return f.zero(sign);
    }
    let ka = key(f, &ua);
    let kb = key(f, &ub);
    let pick_a = if is_max { ka > kb } else { ka < kb };
    let u = if pick_a { ua } else { ub };
    match u.kind {
        Kind::Zero => f.zero(u.sign),
        Kind::Inf => f.inf(u.sign),
        _ => u.bits,
    }
}

/// A totally ordered key for non-NaN operands (flushed denormals are zero).
fn key(f: Fmt, u: &Unp) -> i64 {
    let mag = match u.kind {
        Kind::Zero => 0,
        _ => (u.bits & !f.sign_bit()) as i64,
    };
    if u.sign {
        -mag
    } else {
        mag
    }
}

/// FPCompare: NZCV (bits 3..0) for FCMP/FCMPE/FCCMP; `signal` raises IOC for
/// quiet NaNs too.
pub fn compare(fp: &mut Fp, f: Fmt, a: u64, b: u64, signal: bool) -> u32 {
    if fp.fpcr & super::FPCR_FZ == 0 {
        // Without flush-to-zero, ordered operands compare as host floats.
        let ord = if f == D {
            f64::from_bits(a).partial_cmp(&f64::from_bits(b))
        } else if f == S {
            f32::from_bits(a as u32).partial_cmp(&f32::from_bits(b as u32))
        } else {
            None
        };
        if let Some(o) = ord {
            return match o {
                std::cmp::Ordering::Equal => 0b0110,
                std::cmp::Ordering::Less => 0b1000,
                std::cmp::Ordering::Greater => 0b0010,
            };
        }
    }
    let ua = fp.unpack(f, a);
    let ub = fp.unpack(f, b);
    if ua.is_nan() || ub.is_nan() {
        if signal || ua.kind == Kind::SNaN || ub.kind == Kind::SNaN {
            fp.raise(FPSR_IOC);
        }
        return 0b0011;
    }
    let (ka, kb) = (key(f, &ua), key(f, &ub));
    match ka.cmp(&kb) {
        std::cmp::Ordering::Equal => 0b0110,
        std::cmp::Ordering::Less => 0b1000,
        std::cmp::Ordering::Greater => 0b0010,
    }
}

/// Vector compare kinds (FCMEQ, FCMGE, FCMGT, FACGE, FACGT).
#[derive(Copy, Clone, PartialEq, Eq, Debug)]
pub enum Cmp {
    Eq,
    Ge,
    Gt,
}

/// FPCompareEQ/GE/GT: true/false; EQ is quiet, GE/GT signal on any NaN.
pub fn compare_cond(fp: &mut Fp, f: Fmt, a: u64, b: u64, c: Cmp) -> bool {
    let ua = fp.unpack(f, a);
    let ub = fp.unpack(f, b);
    if ua.is_nan() || ub.is_nan() {
        if c != Cmp::Eq || ua.kind == Kind::SNaN || ub.kind == Kind::SNaN {
            fp.raise(FPSR_IOC);
        }
        return false;
    }
    let (ka, kb) = (key(f, &ua), key(f, &ub));
    match c {
        Cmp::Eq => ka == kb,
        Cmp::Ge => ka >= kb,
        Cmp::Gt => ka > kb,
    }
}

#[cfg(test)]
mod tests {
    use super::super::{FPCR_DN, FPSR_OFC, FPSR_UFC, H};
    use super::*;

    fn d(x: f64) -> u64 {
        x.to_bits()
    }
    fn s(x: f32) -> u64 {
        x.to_bits() as u64
    }

    #[test]
    fn add_flags() {
        let mut fp = Fp::new(0);
        assert_eq!(add(&mut fp, D, d(1.0), d(2.0)), d(3.0));
        assert_eq!(fp.flags, 0);
        assert_eq!(add(&mut fp, D, d(1.0), d(1e-30)), d(1.0));
        assert_eq!(fp.flags, FPSR_IXC);
        let mut fp = Fp::new(0);
        assert_eq!(add(&mut fp, D, d(f64::MAX), d(f64::MAX)), d(f64::INFINITY));
        assert_eq!(fp.flags, FPSR_OFC | FPSR_IXC);
        let mut fp = Fp::new(0);
        assert_eq!(
            add(&mut fp, D, d(f64::INFINITY), d(f64::NEG_INFINITY)),
            D.default_nan()
        );
        assert_eq!(fp.flags, FPSR_IOC);
    }

    #[test]
    fn soft_matches_host() {
        let vals = [
            1.0f64,
            -2.5,
            3.0e10,
            1.0e-300,
            -7.25e-310,
            0.1,
            1.0 / 3.0,
            123456.789,
            -0.0,
            0.0,
            2.0f64.powi(-1074),
            1.7e308,
        ];
        for &a in &vals {
            for &b in &vals {
                for (op, host) in [
                    (0, a + b),
                    (1, a - b),
                    (2, a * b),
                    (3, a / b),
                    (4, a.mul_add(b, 0.75)),
                ] {
                    // FZ forces the soft path but would flush; use RMode=RN with
                    // an explicit soft call instead.
                    let mut fp = Fp::new(0);
                    let ua = fp.unpack(D, d(a));
                    let ub = fp.unpack(D, d(b));
                    let r = match op {
                        0 => add_sub(&mut fp, D, d(a), d(b), false),
                        1 => add_sub(&mut fp, D, d(a), d(b), true),
                        2 => mul_impl(&mut fp, D, d(a), d(b), false),
                        3 => {
                            let mut fp2 = Fp::new(3 << 22); // RZ: soft path, then compare loosely
                            let _ = div(&mut fp2, D, d(a), d(b));
                            div(&mut fp, D, d(a), d(b))
                        }
                        _ => fma(&mut fp, D, d(0.75), d(a), d(b)),
                    };
                    let _ = (ua, ub);
                    if host.is_nan() {
                        assert!(D.is_nan(r));
                    } else {
                        assert_eq!(r, d(host), "op {op} {a:e} {b:e}");
                    }
                }
            }
        }
    }

    #[test]
    fn rounding_modes() {
        // 1/3 in RZ and RP differ by one ulp.
        let z = div(&mut Fp::new(3 << 22), D, d(1.0), d(3.0));
        let p = div(&mut Fp::new(1 << 22), D, d(1.0), d(3.0));
        let n = div(&mut Fp::new(0), D, d(1.0), d(3.0));
        assert_eq!(n, d(1.0 / 3.0));
        assert_eq!(z + 1, p);
        assert_eq!(z, n);
        let m = add(&mut Fp::new(2 << 22), D, d(1.0), d(-1.0));
        assert_eq!(m, d(-0.0));
    }

    #[test]
    fn sqrt_and_fma() {
        let mut fp = Fp::new(0);
        assert_eq!(sqrt(&mut fp, D, d(2.0)), d(2f64.sqrt()));
        assert_eq!(fp.flags, FPSR_IXC);
        let mut fp = Fp::new(1 << 24); // FZ: soft path
        assert_eq!(sqrt(&mut fp, D, d(2.0)), d(2f64.sqrt()));
        assert_eq!(sqrt(&mut fp, S, s(2.0)), s(2f32.sqrt()));
        assert_eq!(sqrt(&mut fp, D, d(16.0)), d(4.0));
        let mut fp = Fp::new(0);
        assert_eq!(sqrt(&mut fp, D, d(-1.0)), D.default_nan());
        assert_eq!(fp.flags, FPSR_IOC);
        let a = 1.0 + 2f64.powi(-30);
        let mut fp = Fp::new(1 << 24);
        assert_eq!(fma(&mut fp, D, d(-1.0), d(a), d(a)), d(a.mul_add(a, -1.0)));
        assert_eq!(fp.flags, 0);
        let mut fp = Fp::new(0);
        assert_eq!(
            fma(&mut fp, S, s(1.0), s(0.1), s(0.3)),
            s(0.1f32.mul_add(0.3, 1.0))
        );
    }

    #[test]
    fn nans_and_underflow() {
        let snan = 0x7ff0_0000_0000_0001u64;
        let mut fp = Fp::new(0);
        assert_eq!(add(&mut fp, D, d(1.0), snan), 0x7ff8_0000_0000_0001);
        assert_eq!(fp.flags, FPSR_IOC);
        let mut fp = Fp::new(FPCR_DN as u64);
        assert_eq!(
            add(&mut fp, D, 0xfff8_0000_0000_0005, d(1.0)),
            D.default_nan()
        );
        let mut fp = Fp::new(0);
        let tiny = mul(&mut fp, D, d(1e-200), d(1e-200));
        assert_eq!(tiny, 0);
        assert_eq!(fp.flags, FPSR_UFC | FPSR_IXC);
        let mut fp = Fp::new(0);
        assert_eq!(div(&mut fp, S, s(1.0), s(0.0)), s(f32::INFINITY));
        assert_eq!(fp.flags, FPSR_DZC);
        // Half precision: 1 + 1 = 2
        let mut fp = Fp::new(0);
        assert_eq!(add(&mut fp, H, 0x3c00, 0x3c00), 0x4000);
    }

    #[test]
    fn minmax_and_cmp() {
        let mut fp = Fp::new(0);
        let qnan = D.default_nan();
        assert_eq!(minmax(&mut fp, D, qnan, d(1.0), MinMax::MaxNm), d(1.0));
        assert_eq!(minmax(&mut fp, D, qnan, d(1.0), MinMax::Max), qnan);
        assert_eq!(minmax(&mut fp, D, d(0.0), d(-0.0), MinMax::Min), d(-0.0));
        assert_eq!(minmax(&mut fp, D, d(-3.0), d(2.0), MinMax::Max), d(2.0));
        assert_eq!(fp.flags, 0);
        assert_eq!(compare(&mut fp, D, d(1.0), d(2.0), false), 0b1000);
        assert_eq!(compare(&mut fp, D, qnan, d(2.0), false), 0b0011);
        assert_eq!(fp.flags, 0);
        assert_eq!(compare(&mut fp, D, qnan, d(2.0), true), 0b0011);
        assert_eq!(fp.flags, FPSR_IOC);
    }
}
