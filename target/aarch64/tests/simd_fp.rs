//! AdvSIMD floating point: arithmetic, FMLA/FMLS, compares, conversions,
//! rounding, pairwise and across-lane reductions, by-element forms and the
//! reciprocal estimate/step instructions, against host f32/f64.

mod simd_harness;
use simd_harness::*;

const A4: [f32; 4] = [1.5, -2.25, 3.0e10, 0.1];
const B4: [f32; 4] = [0.5, 4.0, -1e-3, 0.3];
const D4: [f32; 4] = [2.0, -1.0, 7.0, 0.7];
const A2: [f64; 2] = [1.0 / 3.0, -7.5];
const B2: [f64; 2] = [3.0, 0.25];
const D2: [f64; 2] = [10.0, -0.125];

fn v4(x: [f32; 4]) -> u128 {
    x.iter()
        .enumerate()
        .fold(0, |a, (k, f)| a | (f.to_bits() as u128) << (32 * k))
}
fn v2(x: [f64; 2]) -> u128 {
    x[0].to_bits() as u128 | (x[1].to_bits() as u128) << 64
}
fn f4(v: u128) -> [f32; 4] {
    [0, 1, 2, 3].map(|k| f32::from_bits((v >> (32 * k)) as u32))
}
fn f2(v: u128) -> [f64; 2] {
    [0, 1].map(|k| f64::from_bits((v >> (64 * k)) as u64))
}
fn u4(v: u128) -> [u32; 4] {
    [0, 1, 2, 3].map(|k| (v >> (32 * k)) as u32)
}

fn run4(word: u32) -> Machine {
    run(&[word], |m| {
        m.set_v(0, v4(D4));
        m.set_v(1, v4(A4));
        m.set_v(2, v4(B4));
    })
}
fn run2(word: u32) -> Machine {
    run(&[word], |m| {
        m.set_v(0, v2(D2));
        m.set_v(1, v2(A2));
        m.set_v(2, v2(B2));
    })
}
fn map4(f: impl Fn(f32, f32, f32) -> f32) -> [f32; 4] {
    [0, 1, 2, 3].map(|k| f(A4[k], B4[k], D4[k]))
}
fn map2(f: impl Fn(f64, f64, f64) -> f64) -> [f64; 2] {
    [0, 1].map(|k| f(A2[k], B2[k], D2[k]))
}

#[test]
fn arithmetic() {
    assert_eq!(f4(run4(0x4e22d420).v(0)), map4(|a, b, _| a + b)); // fadd .4s
    assert_eq!(f2(run2(0x4ee2d420).v(0)), map2(|a, b, _| a - b)); // fsub .2d
    let m = run4(0x2e22dc20); // fmul .2s
    assert_eq!(m.v(0) >> 64, 0);
    assert_eq!(f4(m.v(0))[..2], map4(|a, b, _| a * b)[..2]);
    assert_eq!(f4(run4(0x6e22fc20).v(0)), map4(|a, b, _| a / b)); // fdiv
    assert_eq!(f2(run2(0x4e62cc20).v(0)), map2(|a, b, d| a.mul_add(b, d))); // fmla .2d
    assert_eq!(
        f4(run4(0x4ea2cc20).v(0)),
        map4(|a, b, d| (-a).mul_add(b, d))
    ); // fmls
    assert_eq!(f4(run4(0x4e22f420).v(0)), map4(|a, b, _| a.max(b))); // fmax
    assert_eq!(f2(run2(0x4ee2c420).v(0)), map2(|a, b, _| a.min(b))); // fminnm
    assert_eq!(f4(run4(0x4ea0f820).v(0)), map4(|a, _, _| a.abs())); // fabs
    assert_eq!(f2(run2(0x6ee0f820).v(0)), map2(|a, _, _| -a)); // fneg
    assert_eq!(f4(run4(0x6ea2d420).v(0)), map4(|a, b, _| (a - b).abs())); // fabd
    assert_eq!(f4(run4(0x4e22dc20).v(0)), map4(|a, b, _| a * b)); // fmulx
    let m = run4(0x6ea1f820); // fsqrt: NaN for negative lane, IOC
    let r = f4(m.v(0));
    assert_eq!(r[0], 1.5f32.sqrt());
    assert!(r[1].is_nan());
    assert_eq!(m.cpu.fpsr & 1, 1);
}

#[test]
fn compares() {
    let t = |c: bool| if c { u32::MAX } else { 0 };
    assert_eq!(
        u4(run4(0x4e22e420).v(0)),
        [0, 1, 2, 3].map(|k| t(A4[k] == B4[k]))
    ); // fcmeq
    let m = run2(0x6ee2e420); // fcmgt .2d
    assert_eq!(m.v(0), q(0, 0));
    assert_eq!(
        u4(run4(0x6ea0c820).v(0)),
        [0, 1, 2, 3].map(|k| t(A4[k] >= 0.0))
    ); // fcmge #0
    assert_eq!(
        u4(run4(0x4ea0e820).v(0)),
        [0, 1, 2, 3].map(|k| t(A4[k] < 0.0))
    ); // fcmlt #0
    assert_eq!(
        u4(run4(0x6ea2ec20).v(0)),
        [0, 1, 2, 3].map(|k| t(A4[k].abs() > B4[k].abs()))
    ); // facgt
}

#[test]
fn conversions() {
    let m = run4(0x4ea1b820); // fcvtzs .4s (3e10 saturates)
    assert_eq!(u4(m.v(0)), [1, (-2i32) as u32, i32::MAX as u32, 0]);
    assert_eq!(m.cpu.fpsr & 0x11, 0x11);
    let m = run2(0x6ee1b820); // fcvtzu .2d
    assert_eq!(m.v(0), q(0, 0));
    let m = run(&[0x4e21d820], |m| {
        m.set_v(1, q(0xffff_ffff_0000_0007, 0x8000_0000_7fff_ffff))
    });
    assert_eq!(f4(m.v(0)), [7.0, -1.0, i32::MAX as f32, i32::MIN as f32]); // scvtf .4s
    let m = run(&[0x6e61d820], |m| m.set_v(1, q(u64::MAX, 12345)));
    assert_eq!(f2(m.v(0)), [u64::MAX as f64, 12345.0]); // ucvtf .2d
    assert_eq!(
        u4(run4(0x4e21a820).v(0)),
        [2, (-2i32) as u32, i32::MAX as u32, 0]
    ); // fcvtns
    assert_eq!(f4(run4(0x4e219820).v(0)), map4(|a, _, _| a.floor())); // frintm
    assert_eq!(
        u4(run4(0x4f3cfc20).v(0)),
        [24, (-36i32) as u32, i32::MAX as u32, 1]
    ); // fcvtzs #4
    let m = run(&[0x4f78e420], |m| m.set_v(1, q(512, (-256i64) as u64))); // scvtf #8
    assert_eq!(f2(m.v(0)), [2.0, -1.0]);
    let m = run(&[0x5ea1b820], |m| m.set_s(1, -3.9)); // fcvtzs s0, s1
    assert_eq!(m.v(0), (-3i32) as u32 as u128);
    let m = run(&[0x5e61d820], |m| m.set_v(1, (-5i64) as u64 as u128)); // scvtf d0, d1
    assert_eq!(m.fd(0), -5.0);
}

#[test]
fn precision_changes() {
    let m = run4(0x0e617820); // fcvtl .2d <- .2s
    assert_eq!(f2(m.v(0)), [A4[0] as f64, A4[1] as f64]);
    let m = run(&[0x4e217820], |m| m.set_v(1, q(0, 0x4000_3c00_c000_3555))); // fcvtl2 .4s <- .8h
    assert_eq!(f4(m.v(0)), [0.333_251_95, -2.0, 1.0, 2.0]);
    let m = run2(0x0e616820); // fcvtn .2s <- .2d
    assert_eq!(m.v(0), v4([A2[0] as f32, A2[1] as f32, 0.0, 0.0]));
    let m = run(&[0x4e216820], |m| {
        m.set_v(0, 0x1234);
        m.set_v(1, v4([1.0, 2.0, -2.0, 65504.0]));
    }); // fcvtn2 .8h
    assert_eq!(m.v(0), q(0x1234, 0x7bff_c000_4000_3c00));
    let m = run(&[0x7e616820], |m| m.set_d(1, 1.0 + 2f64.powi(-30))); // fcvtxn: round to odd
    assert_eq!(m.v(0), (1.0f32.to_bits() | 1) as u128);
}

#[test]
fn pairwise_and_reductions() {
    let p = run4(0x6e22d420); // faddp .4s
    assert_eq!(
        f4(p.v(0)),
        [A4[0] + A4[1], A4[2] + A4[3], B4[0] + B4[1], B4[2] + B4[3]]
    );
    assert_eq!(run4(0x7e30d820).fs(0), A4[0] + A4[1]); // faddp s0, v1.2s
    assert_eq!(run2(0x7e70f820).fd(0), A2[0].max(A2[1])); // fmaxp d0
    assert_eq!(run4(0x6e30f820).fs(0), 3.0e10); // fmaxv
    assert_eq!(run4(0x6eb0c820).fs(0), -2.25); // fminnmv
    let m = run(&[0x6e30f820], |m| m.set_v(1, v4([1.0, f32::NAN, 3.0, 2.0])));
    assert!(m.fs(0).is_nan(), "fmaxv propagates NaN");
}

#[test]
fn by_element() {
    let s3 = B4[3];
    assert_eq!(f4(run4(0x4fa21820).v(0)), map4(|a, _, d| a.mul_add(s3, d))); // fmla by s[3]
    let m = run2(0x5fc29820); // fmul d0, d1, v2.d[1]
    assert_eq!(m.v(0), (A2[0] * B2[1]).to_bits() as u128);
    assert_eq!(f2(run2(0x4fc29020).v(0)), map2(|a, _, _| a * B2[0])); // fmul by d[0]
}

#[test]
fn reciprocal_steps() {
    let m = run(&[0x4ea1d820, 0x4e22fc23, 0x6ee1d824, 0x4ee2fc25], |m| {
        // frecpe v0, v1 ; frecps v3, v1, v2 ; frsqrte v4, v1 ; frsqrts v5, v1, v2
        m.set_v(1, v4([2.0, 4.0, 0.0, -1.0]));
        m.set_v(2, v4([0.5, 0.25, 1.0, 1.0]));
    });
    let r = u4(m.v(0));
    assert_eq!(r[0], 0x3eff_8000); // ~0.499
    assert_eq!(f32::from_bits(r[2]), f32::INFINITY);
    assert_eq!(f4(m.v(3))[..2], [1.0, 1.0]); // 2 - 2*0.5
    assert_ne!(m.cpu.fpsr & 2, 0, "DZC from frecpe(0)");
    let m = run(&[0x6ee1d824, 0x4ee2fc25], |m| {
        m.set_v(1, v2([4.0, 0.25]));
        m.set_v(2, v2([1.0, 4.0]));
    });
    let r = f2(m.v(4));
    assert!(
        (r[0] - 0.5).abs() < 0.002 && (r[1] - 2.0).abs() < 0.01,
        "{r:?}"
    );
    assert_eq!(f2(m.v(5)), [(3.0 - 4.0) / 2.0, (3.0 - 1.0) / 2.0]);
}

#[test]
fn half_precision_and_scalar_compare() {
    let m = run(&[0x4e421420], |m| {
        m.set_v(1, q(0x4000_3c00_3c00_3c00, 0));
        m.set_v(2, q(0x3c00_3c00_4000_0000, 0));
    }); // fadd .8h
    assert_eq!(m.v(0), q(0x4200_4000_4200_3c00, 0));
    let m = run(&[0x5e22e420], |m| {
        m.set_s(1, 1.0);
        m.set_s(2, 1.0);
    }); // fcmeq s0, s1, s2
    assert_eq!(m.v(0), 0xffff_ffff);
}

#[test]
fn half_precision_misc() {
    // lanes: 1.0, -2.0, 2.5, 4.0 (and zeros above for the .4h forms)
    let h = q(0x4400_4100_c000_3c00, 0x0000_3c00_bc00_4200);
    let m = run(&[0x4ef8f820], |m| m.set_v(1, h)); // fabs .8h
    assert_eq!(m.v(0), q(0x4400_4100_4000_3c00, 0x0000_3c00_3c00_4200));
    let m = run(&[0x0ef9b820], |m| m.set_v(1, h)); // fcvtzs .4h
    assert_eq!(m.v(0), q(0x0004_0002_fffe_0001, 0));
    let m = run(&[0x5e79d820], |m| m.set_v(1, 0xfffd)); // scvtf h0, h1
    assert_eq!(m.v(0), 0xc200); // -3.0
    let m = run(&[0x6ef9f820], |m| m.set_v(1, q(0x4400, 0))); // fsqrt .8h
    assert_eq!(m.v(0), 0x4000);
    let m = run(&[0x4e798820], |m| m.set_v(1, h)); // frintn .8h: 2.5 -> 2.0
    assert_eq!(m.v(0), q(0x4400_4000_c000_3c00, 0x0000_3c00_bc00_4200));
    let m = run(&[0x4ef8c820], |m| m.set_v(1, h)); // fcmgt #0
    assert_eq!(m.v(0), q(0xffff_ffff_0000_ffff, 0x0000_ffff_0000_ffff));
}
