//! The `fpu` software model against the host on random operands: the soft
//! path (forced with FPCR.FZ on normal operands, where FZ changes nothing)
//! and the host fast path must give the host's round-to-nearest result and
//! agree on every flag; directed rounding of single precision is checked
//! against exact double-precision values.

use target_aarch64::fpu::{arith, Fp, D, FPSR_IXC, S};

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    /// A double with a moderate exponent (normal results, no overflow).
    fn f64(&mut self) -> f64 {
        let e = 1023 - 60 + self.next() % 120;
        f64::from_bits((self.next() & (1 << 63 | ((1 << 52) - 1))) | e << 52)
    }
    fn f32(&mut self) -> f32 {
        let e = 127 - 30 + (self.next() % 60) as u32;
        f32::from_bits((self.next() as u32 & 0x807f_ffff) | e << 23)
    }
}

const FZ: u64 = 1 << 24;

/// An expected host result and the model operation that should match it.
type Case<'a> = (f64, &'a dyn Fn(&mut Fp) -> u64);

#[test]
fn double_ops_match_host() {
    let mut r = Rng(0x9e37_79b9_7f4a_7c15);
    for _ in 0..20_000 {
        let (a, b, c) = (r.f64(), r.f64(), r.f64());
        let cases: [Case; 6] = [
            (a + b, &|fp| arith::add(fp, D, a.to_bits(), b.to_bits())),
            (a - b, &|fp| arith::sub(fp, D, a.to_bits(), b.to_bits())),
            (a * b, &|fp| arith::mul(fp, D, a.to_bits(), b.to_bits())),
            (a / b, &|fp| arith::div(fp, D, a.to_bits(), b.to_bits())),
            (a.abs().sqrt(), &|fp| arith::sqrt(fp, D, a.abs().to_bits())),
            (a.mul_add(b, c), &|fp| {
                arith::fma(fp, D, c.to_bits(), a.to_bits(), b.to_bits())
            }),
        ];
        for (k, (want, f)) in cases.iter().enumerate() {
            let mut fast = Fp::new(0);
            let mut soft = Fp::new(FZ);
            let rf = f(&mut fast);
            let rs = f(&mut soft);
            assert_eq!(rf, want.to_bits(), "op {k} fast {a:e} {b:e} {c:e}");
            assert_eq!(rs, want.to_bits(), "op {k} soft {a:e} {b:e} {c:e}");
            assert_eq!(fast.flags, soft.flags, "op {k} flags {a:e} {b:e} {c:e}");
        }
    }
}

/// Rounds the exact value `x` to single precision in `mode` (0 RN, 1 RP,
/// 2 RM, 3 RZ); `None` outside the normal range.
fn round32(x: f64, mode: u32) -> Option<(f32, bool)> {
    let n = x as f32;
    if !n.is_normal() && n != 0.0 {
        return None;
    }
    if n as f64 == x {
        return Some((n, false));
    }
    let (lo, hi) = if (n as f64) < x {
        (n, n.next_up())
    } else {
        (n.next_down(), n)
    };
    let r = match mode {
        0 => n,
        1 => hi,
        2 => lo,
        _ => {
            if x > 0.0 {
                lo
            } else {
                hi
            }
        }
    };
    Some((r, true))
}

#[test]
fn single_directed_rounding() {
    let mut r = Rng(0x0123_4567_89ab_cdef);
    for _ in 0..20_000 {
        let (a, b, c) = (r.f32(), r.f32(), r.f32());
        let (a6, b6, c6) = (a as f64, b as f64, c as f64);
        let prod = a6 * b6; // exact
        let sum = a6 + b6;
        let sum_exact = (sum - a6) == b6 && (sum - b6) == a6;
        let fma = prod + c6;
        let fma_exact = (fma - prod) == c6 && (fma - c6) == prod;
        for mode in 0..4u32 {
            let fpcr = (mode as u64) << 22;
            let mut fp = Fp::new(fpcr);
            let got = arith::mul(&mut fp, S, a.to_bits() as u64, b.to_bits() as u64);
            if let Some((want, inexact)) = round32(prod, mode) {
                assert_eq!(got, want.to_bits() as u64, "mul {a:e} {b:e} mode {mode}");
                assert_eq!(fp.flags & FPSR_IXC != 0, inexact);
            }
            if sum_exact {
                let mut fp = Fp::new(fpcr);
                let got = arith::add(&mut fp, S, a.to_bits() as u64, b.to_bits() as u64);
                if let Some((want, inexact)) = round32(sum, mode) {
                    assert_eq!(got, want.to_bits() as u64, "add {a:e} {b:e} mode {mode}");
                    assert_eq!(fp.flags & FPSR_IXC != 0, inexact);
                }
            }
            if fma_exact {
                let mut fp = Fp::new(fpcr);
                let got = arith::fma(
                    &mut fp,
                    S,
                    c.to_bits() as u64,
                    a.to_bits() as u64,
                    b.to_bits() as u64,
                );
                if let Some((want, inexact)) = round32(fma, mode) {
                    assert_eq!(
                        got,
                        want.to_bits() as u64,
                        "fma {a:e} {b:e} {c:e} mode {mode}"
                    );
                    assert_eq!(fp.flags & FPSR_IXC != 0, inexact);
                }
            }
        }
    }
}

#[test]
fn single_ops_match_host() {
    let mut r = Rng(0x5555_aaaa_3333_cccc);
    for _ in 0..20_000 {
        let (a, b) = (r.f32(), r.f32());
        let bits = |x: f32| x.to_bits() as u64;
        let cases: [(f32, u64); 4] = [
            (a + b, arith::add(&mut Fp::new(FZ), S, bits(a), bits(b))),
            (a * b, arith::mul(&mut Fp::new(FZ), S, bits(a), bits(b))),
            (a / b, arith::div(&mut Fp::new(FZ), S, bits(a), bits(b))),
            (
                a.abs().sqrt(),
                arith::sqrt(&mut Fp::new(FZ), S, bits(a.abs())),
            ),
        ];
        for (k, (want, got)) in cases.iter().enumerate() {
            assert_eq!(*got, bits(*want), "op {k} {a:e} {b:e}");
        }
    }
}
