//! Host fast paths for single and double precision in round-to-nearest
//! without flush-to-zero: the host's IEEE result is the correctly rounded
//! one, and inexactness is decided exactly with error-free transformations
//! (TwoSum, FMA residuals). Each returns `None` (use the soft path) for NaN,
//! infinite, subnormal or near-underflow cases where those stop being exact.
//! `need` false (IXC already set in FPSR) skips the inexactness check.

use super::{Fmt, D};

#[inline]
fn f64_exp(x: f64) -> u64 {
    (x.to_bits() >> 52) & 0x7ff
}

/// A double in the range where error-free transformations are exact.
#[inline]
fn safe64(x: f64) -> bool {
    let e = f64_exp(x);
    (0x80..0x780).contains(&e)
}

/// A single-precision result (computed through f64) that is normal or zero.
#[inline]
fn normal32(r: f32) -> bool {
    r.is_normal() || r == 0.0
}

pub(crate) fn two_sum_err(a: f64, b: f64, s: f64) -> f64 {
    let bb = s - a;
    (a - (s - bb)) + (b - bb)
}

#[inline]
pub fn add(f: Fmt, a: u64, b: u64, need: bool) -> Option<(u64, bool)> {
    if f == D {
        let (x, y) = (f64::from_bits(a), f64::from_bits(b));
        let s = x + y;
        if !s.is_finite() {
            return None;
        }
        Some((s.to_bits(), need && two_sum_err(x, y, s) != 0.0))
    } else {
        let (x, y) = (
            f32::from_bits(a as u32) as f64,
            f32::from_bits(b as u32) as f64,
        );
        let s = x + y;
        let r = s as f32;
        if !r.is_finite() || !normal32(r) {
            return None;
        }
        Some((
            r.to_bits() as u64,
            need && (two_sum_err(x, y, s) != 0.0 || r as f64 != s),
        ))
    }
}

#[inline]
pub fn mul(f: Fmt, a: u64, b: u64, need: bool) -> Option<(u64, bool)> {
    if f == D {
        let (x, y) = (f64::from_bits(a), f64::from_bits(b));
        let p = x * y;
        if p == 0.0 && (x == 0.0 || y == 0.0) && x.is_finite() && y.is_finite() {
            return Some((p.to_bits(), false));
        }
        if !safe64(p) {
            return None;
        }
        Some((p.to_bits(), need && x.mul_add(y, -p) != 0.0))
    } else {
        let (x, y) = (
            f32::from_bits(a as u32) as f64,
            f32::from_bits(b as u32) as f64,
        );
        let p = x * y; // exact
        let r = p as f32;
        if !r.is_finite() || !normal32(r) || (r == 0.0 && p != 0.0) {
            return None;
        }
        Some((r.to_bits() as u64, need && r as f64 != p))
    }
}

#[inline]
pub fn div(f: Fmt, a: u64, b: u64, need: bool) -> Option<(u64, bool)> {
    if f == D {
        let (x, y) = (f64::from_bits(a), f64::from_bits(b));
        let q = x / y;
        if x == 0.0 && safe64(y) {
            return Some((q.to_bits(), false));
        }
        if !safe64(q) || !safe64(x) || !safe64(y) {
            return None;
        }
        Some((q.to_bits(), need && (-q).mul_add(y, x) != 0.0))
    } else {
        let (x, y) = (
            f32::from_bits(a as u32) as f64,
            f32::from_bits(b as u32) as f64,
        );
        if !x.is_finite() || !y.is_finite() || y == 0.0 {
            return None;
        }
        let q = x / y;
        let r = q as f32;
        if !r.is_finite() || !normal32(r) || (r == 0.0 && x != 0.0) {
            return None;
        }
        Some((
            r.to_bits() as u64,
            need && ((-q).mul_add(y, x) != 0.0 || r as f64 != q),
        ))
    }
}

#[inline]
pub fn sqrt(f: Fmt, a: u64, need: bool) -> Option<(u64, bool)> {
    if f == D {
        let x = f64::from_bits(a);
        if x == 0.0 {
            return Some((a, false));
        }
        if !(x > 0.0 && safe64(x)) {
            return None;
        }
        let s = x.sqrt();
        Some((s.to_bits(), need && (-s).mul_add(s, x) != 0.0))
    } else {
        let x = f32::from_bits(a as u32) as f64;
        if x == 0.0 {
            return Some((a, false));
        }
        if !(x > 0.0 && x.is_finite()) {
            return None;
        }
        let s = x.sqrt();
        let r = s as f32;
        Some((
            r.to_bits() as u64,
            need && ((-s).mul_add(s, x) != 0.0 || r as f64 != s),
        ))
    }
}

/// a + n * m when the product is exact and the sum needs one rounding.
#[inline]
pub fn fma(f: Fmt, a: u64, n: u64, m: u64) -> Option<(u64, bool)> {
    if f == D {
        let (c, x, y) = (f64::from_bits(a), f64::from_bits(n), f64::from_bits(m));
        let p = x * y;
        if !safe64(p) || !c.is_finite() || x.mul_add(y, -p) != 0.0 {
            return None;
        }
        let s = p + c;
        if !s.is_finite() || (s != 0.0 && !safe64(s)) {
            return None;
        }
        Some((s.to_bits(), two_sum_err(p, c, s) != 0.0))
    } else {
        let c = f32::from_bits(a as u32) as f64;
        let x = f32::from_bits(n as u32) as f64;
        let y = f32::from_bits(m as u32) as f64;
        let p = x * y; // exact
        let s = p + c;
        if !s.is_finite() || two_sum_err(p, c, s) != 0.0 {
            return None;
        }
        let r = s as f32;
        if !r.is_finite() || !normal32(r) || (r == 0.0 && s != 0.0) {
            return None;
        }
        Some((r.to_bits() as u64, r as f64 != s))
    }
}
