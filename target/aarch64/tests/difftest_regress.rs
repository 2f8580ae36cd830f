//! Regression tests for bugs found by the random-instruction differential
//! test against QEMU (tests/a64_difftest.rs), one per bug, each checked
//! against the Arm ARM pseudocode.

mod simd_harness;
use simd_harness::*;

const IDC: u64 = 1 << 7;
const FZ16: u64 = 1 << 19;
const FZ: u64 = 1 << 24;

/// FPUnpackBase: a half-precision denormal flushed under FPCR.FZ16 does not
/// raise Input Denormal (single and double under FZ do).
#[test]
fn fz16_flush_raises_no_idc() {
    // fmadd h0, h1, h2, h3 with a denormal h1.
    let m = run(&[0x1fc20c20], |m| {
        m.cpu.fpcr = FZ16;
        m.set_v(1, 0x0001);
        m.set_v(2, 0x3c00);
        m.set_v(3, 0x3c00);
    });
    assert_eq!(m.v(0), 0x3c00, "denormal flushed: 0 * 1 + 1");
    assert_eq!(m.cpu.fpsr & IDC, 0, "no IDC for half precision");
    // The same with single precision under FZ raises IDC.
    let m = run(&[0x1f020c20], |m| {
        m.cpu.fpcr = FZ;
        m.set_v(1, 0x0000_0001);
        m.set_v(2, 0x3f80_0000);
        m.set_v(3, 0x3f80_0000);
    });
    assert_eq!(m.v(0), 0x3f80_0000);
    assert_eq!(m.cpu.fpsr & IDC, IDC);
}

/// SSHLL/SSHLL2 with a nonzero shift: a negative lane's sign bits must not
/// spill into the lane above (inline widening shifted the packed word).
#[test]
fn sshll_shift_keeps_lanes_apart() {
    // sshll v0.4s, v1.4h, #13 ; sshll2 v2.4s, v1.8h, #12 ; sshll v3.2d, v1.2s, #31
    // sshll v4.8h, v1.8b, #7
    let m = run(&[0x0f1da420, 0x4f1ca422, 0x0f3fa423, 0x0f0fa424], |m| {
        m.set_v(1, q(0x8001_ffff_7fff_ffff, 0x8000_0001_ffff_0003));
    });
    let lanes32 = |x: &[i64]| {
        x.iter()
            .enumerate()
            .fold(0u128, |a, (k, &v)| a | ((v as u32 as u128) << (32 * k)))
    };
    assert_eq!(
        m.v(0),
        lanes32(&[-1 << 13, 0x7fff << 13, -1 << 13, -0x7fff << 13])
    );
    assert_eq!(
        m.v(2),
        lanes32(&[3 << 12, -1 << 12, 1 << 12, -0x8000 << 12])
    );
    assert_eq!(
        m.v(3),
        q(
            (0x7fff_ffffi64 << 31) as u64,
            ((0x8001_ffffu32 as i32 as i64) << 31) as u64
        )
    );
    let b: [i8; 8] = [-1, -1, -1, 0x7f, -1, -1, 0x01, -0x80];
    let want = b.iter().enumerate().fold(0u128, |a, (k, &v)| {
        a | (((v as i16) << 7) as u16 as u128) << (16 * k)
    });
    assert_eq!(m.v(4), want);
}
