//! Scalar floating point: moves, arithmetic, fused multiply-add, compares,
//! conversions and rounding, with FPSR flags and FPCR modes.

mod simd_harness;
use simd_harness::*;

const IOC: u64 = 1;
const DZC: u64 = 2;
const OFC: u64 = 4;
const UFC: u64 = 8;
const IXC: u64 = 16;

#[test]
fn fmov_general_and_imm() {
    let m = run(
        &[
            0x9e670020, // fmov d0, x1
            0x9e660062, // fmov x2, d3
            0x1e2700a4, // fmov s4, w5
            0x1e2600e6, // fmov w6, s7
            0x9eaf0128, // fmov v8.d[1], x9
            0x9eae016a, // fmov x10, v11.d[1]
            0x1e6f100c, // fmov d12, #1.5
            0x1e38100d, // fmov s13, #-0.125
            0x1e6041ee, // fmov d14, d15
            0x1ee70041, // fmov h1, w2
        ],
        |m| {
            m.cpu.x[1] = 0x4009_21fb_5444_2d18;
            m.set_v(3, q(0x1234, 0x5678));
            m.cpu.x[5] = 0xffff_ffff_3f80_0000;
            m.set_v(7, q(0xaaaa_bbbb_cccc_dddd, 1));
            m.set_v(8, q(0x77, 0x99));
            m.cpu.x[9] = 0xdead;
            m.set_v(11, q(1, 0xbeef));
            m.set_v(12, u128::MAX);
            m.set_v(15, q(0x4000_0000_0000_0000, 0x1));
            m.cpu.x[2] = 0x1234_3c00;
        },
    );
    assert_eq!(m.v(0), 0x4009_21fb_5444_2d18);
    assert_eq!(m.cpu.x[2], 0x1234);
    assert_eq!(m.v(4), 0x3f80_0000);
    assert_eq!(m.cpu.x[6], 0xcccc_dddd);
    assert_eq!(m.v(8), q(0x77, 0xdead), "low half kept");
    assert_eq!(m.cpu.x[10], 0xbeef);
    assert_eq!(m.v(12), 1.5f64.to_bits() as u128);
    assert_eq!(m.v(13), (-0.125f32).to_bits() as u128);
    assert_eq!(m.v(14), 0x4000_0000_0000_0000);
    assert_eq!(m.v(1), 0x1234, "fmov h1, w2 takes the low 16 bits");
}

#[test]
fn fmov_to_general() {
    let m = run(&[0x9e660062], |m| m.set_v(3, q(0x1234, 0x5678))); // fmov x2, d3
    assert_eq!(m.cpu.x[2], 0x1234);
}

fn arith2(word: u32, a: f64, b: f64) -> Machine {
    run(&[word], |m| {
        m.set_d(1, a);
        m.set_d(2, b);
        m.set_s(4, a as f32);
        m.set_s(5, b as f32);
        m.set_d(7, a);
        m.set_d(8, b);
        m.set_d(10, a);
        m.set_d(11, b);
        m.set_s(13, a as f32);
        m.set_s(14, b as f32);
    })
}

#[test]
fn two_source_arithmetic() {
    let (a, b) = (1.0 / 3.0, -2.75);
    assert_eq!(arith2(0x1e622820, a, b).fd(0), a + b); // fadd d0, d1, d2
    assert_eq!(arith2(0x1e253883, a, b).fs(3), a as f32 - b as f32); // fsub s3, s4, s5
    assert_eq!(arith2(0x1e6808e6, a, b).fd(6), a * b); // fmul d6, d7, d8
    assert_eq!(arith2(0x1e6b1949, a, b).fd(9), a / b); // fdiv d9, d10, d11
    assert_eq!(arith2(0x1e2e89ac, a, b).fs(12), -(a as f32 * b as f32)); // fnmul
    assert_eq!(arith2(0x1e624820, a, b).fd(0), a); // fmax
    let m = arith2(0x1e622820, 1.0, 2.0);
    assert_eq!(m.cpu.fpsr, 0, "exact add raises nothing");
    let m = arith2(0x1e622820, a, b);
    assert_eq!(m.cpu.fpsr, IXC);
    assert_eq!(m.v(0) >> 64, 0, "upper half zeroed");
}

#[test]
fn exceptions() {
    let m = arith2(0x1e6b1949, 1.0, 0.0); // fdiv d9 = 1/0
    assert_eq!(m.fd(9), f64::INFINITY);
    assert_eq!(m.cpu.fpsr, DZC);
    let m = arith2(0x1e6b1949, 0.0, 0.0);
    assert_eq!(m.d(9), 0x7ff8_0000_0000_0000, "default NaN");
    assert_eq!(m.cpu.fpsr, IOC);
    let m = arith2(0x1e6808e6, 1e300, 1e300); // fmul overflow
    assert_eq!(m.fd(6), f64::INFINITY);
    assert_eq!(m.cpu.fpsr, OFC | IXC);
    let m = arith2(0x1e6808e6, 1e-300, 1e-300); // underflow
    assert_eq!(m.fd(6), 0.0);
    assert_eq!(m.cpu.fpsr, UFC | IXC);
}

#[test]
fn nan_propagation() {
    // fadd d0, d1, d2 with d1 = quiet NaN payload, d2 = signalling NaN.
    let m = run(&[0x1e622820], |m| {
        m.set_v(1, 0x7ff8_0000_0000_0001);
        m.set_v(2, 0x7ff0_0000_0000_0002);
    });
    assert_eq!(m.d(0), 0x7ff8_0000_0000_0002, "the SNaN wins, quieted");
    assert_eq!(m.cpu.fpsr, IOC);
    // With FPCR.DN the default NaN is returned.
    let m = run(&[0x1e622820], |m| {
        m.set_v(1, 0xfff8_0000_0000_0001);
        m.set_d(2, 1.0);
        m.cpu.fpcr = 1 << 25;
    });
    assert_eq!(m.d(0), 0x7ff8_0000_0000_0000);
}

#[test]
fn rounding_modes() {
    let cases = [
        (0u64, 1.0 / 3.0),
        (1, 0.33333333333333337),
        (2, 0.3333333333333333),
        (3, 0.3333333333333333),
    ];
    for (mode, want) in cases {
        let m = run(&[0x1e6b1949], |m| {
            m.set_d(10, 1.0);
            m.set_d(11, 3.0);
            m.cpu.fpcr = mode << 22;
        });
        assert_eq!(m.fd(9), want, "rmode {mode}");
        assert_eq!(m.cpu.fpsr, IXC);
    }
}

#[test]
fn fused_multiply_add() {
    let (a, n, mm) = (0.1, 3.0 + 1e-15, 7.0 / 3.0);
    let m = run(
        &[
            0x1f420c20, // fmadd d0, d1, d2, d3 : d3 + d1*d2
            0x1f469ca4, // fmsub d4, d5, d6, d7 : d7 - d5*d6
            0x1f2a2d28, // fnmadd s8, s9, s10, s11 : -s11 - s9*s10
            0x1f6ebdac, // fnmsub d12, d13, d14, d15 : -d15 + d13*d14
        ],
        |m| {
            for (r, v) in [
                (1, n),
                (2, mm),
                (3, a),
                (5, n),
                (6, mm),
                (7, a),
                (13, n),
                (14, mm),
                (15, a),
            ] {
                m.set_d(r, v);
            }
            m.set_s(9, n as f32);
            m.set_s(10, mm as f32);
            m.set_s(11, a as f32);
        },
    );
    assert_eq!(m.fd(0), n.mul_add(mm, a));
    assert_eq!(m.fd(4), (-n).mul_add(mm, a));
    assert_eq!(m.fs(8), (-(n as f32)).mul_add(mm as f32, -(a as f32)));
    assert_eq!(m.fd(12), n.mul_add(mm, -a));
}

#[test]
fn compares_set_nzcv() {
    let cmp = |a: f64, b: f64| {
        run(&[0x1e612000], |m| {
            m.set_d(0, a);
            m.set_d(1, b);
        })
    };
    assert_eq!(cmp(1.0, 2.0).cpu.nzcv() >> 28, 0b1000);
    assert_eq!(cmp(2.0, 2.0).cpu.nzcv() >> 28, 0b0110);
    assert_eq!(cmp(3.0, 2.0).cpu.nzcv() >> 28, 0b0010);
    let m = cmp(f64::NAN, 2.0);
    assert_eq!(m.cpu.nzcv() >> 28, 0b0011);
    assert_eq!(m.cpu.fpsr, 0, "fcmp is quiet");
    // fcmpe s2, #0.0 with a quiet NaN signals.
    let m = run(&[0x1e202058], |m| m.set_s(2, f32::NAN));
    assert_eq!(m.cpu.nzcv() >> 28, 0b0011);
    assert_eq!(m.cpu.fpsr, IOC);
}

#[test]
fn fccmp_and_fcsel() {
    // fccmp d3, d4, #4, eq ; Z clear -> flags = #4 (Z set)
    let m = run(&[0x1e640464], |m| {
        m.cpu.set_nzcv(0);
        m.set_d(3, 1.0);
        m.set_d(4, 2.0);
    });
    assert_eq!(m.cpu.nzcv() >> 28, 0b0100);
    // condition true: compare happens
    let m = run(&[0x1e640464], |m| {
        m.cpu.set_nzcv(0b0100 << 28);
        m.set_d(3, 1.0);
        m.set_d(4, 2.0);
    });
    assert_eq!(m.cpu.nzcv() >> 28, 0b1000);
    // fcsel d5, d6, d7, gt
    for (nzcv, want) in [(0u32, 6.0), (0b0100 << 28, 7.0), (0b1000 << 28, 7.0)] {
        let m = run(&[0x1e67ccc5], |m| {
            m.cpu.set_nzcv(nzcv);
            m.set_d(6, 6.0);
            m.set_d(7, 7.0);
        });
        assert_eq!(m.fd(5), want);
    }
}

#[test]
fn precision_conversions() {
    let m = run(
        &[
            0x1e624020, // fcvt s0, d1
            0x1ee2c062, // fcvt d2, h3
            0x1e23c0a4, // fcvt h4, s5
        ],
        |m| {
            m.set_d(1, 0.1);
            m.set_v(3, 0x3555); // ~0.333
            m.set_s(5, 65504.0);
        },
    );
    assert_eq!(m.fs(0), 0.1f32);
    assert_eq!(m.fd(2), 0.333251953125);
    assert_eq!(m.v(4), 0x7bff);
    assert_eq!(m.cpu.fpsr, IXC);
}

#[test]
fn float_to_int() {
    let m = run(
        &[
            0x1e780020, // fcvtzs w0, d1
            0x9e390062, // fcvtzu x2, s3
            0x9e6000a4, // fcvtns x4, d5
            0x1e6400e6, // fcvtas w6, d7
            0x9e700128, // fcvtms x8, d9
            0x1e28016a, // fcvtps w10, s11
            0x9e58e0e6, // fcvtzs x6, d7, #8  (x6 overwritten)
        ],
        |m| {
            m.set_d(1, -7.9);
            m.set_s(3, 3e9);
            m.set_d(5, 2.5);
            m.set_d(7, -2.5);
            m.set_d(9, -0.5);
            m.set_s(11, 1.25);
        },
    );
    assert_eq!(
        m.cpu.x[0],
        (-7i32) as u32 as u64,
        "32-bit result zero-extended"
    );
    assert_eq!(m.cpu.x[2], 3_000_000_000);
    assert_eq!(m.cpu.x[4], 2);
    assert_eq!(m.cpu.x[8], u64::MAX);
    assert_eq!(m.cpu.x[10], 2);
    assert_eq!(m.cpu.x[6], (-640i64) as u64);
    assert_eq!(m.cpu.fpsr, IXC);
    let m = run(&[0x1e780020], |m| m.set_d(1, 1e10)); // saturate
    assert_eq!(m.cpu.x[0], 0x7fff_ffff);
    assert_eq!(m.cpu.fpsr, IOC);
    let m = run(&[0x1e6400e6], |m| m.set_d(7, -2.5)); // fcvtas: ties away
    assert_eq!(m.cpu.x[6], (-3i32) as u32 as u64);
}

#[test]
fn int_to_float() {
    let m = run(
        &[
            0x9e620020, // scvtf d0, x1
            0x1e230062, // ucvtf s2, w3
            0x1e42f0a4, // scvtf d4, w5, #4
        ],
        |m| {
            m.cpu.x[1] = (-12345678901i64) as u64;
            m.cpu.x[3] = 0xffff_ffff_ffff_ffff;
            m.cpu.x[5] = 0xffff_fff8;
        },
    );
    assert_eq!(m.fd(0), -12345678901.0);
    assert_eq!(m.fs(2), 4294967295u32 as f32);
    assert_eq!(m.fd(4), -0.5);
    assert_eq!(m.cpu.fpsr, IXC);
}

#[test]
fn round_to_integral() {
    let m = run(
        &[
            0x1e644020, // frintn d0, d1
            0x1e664062, // frinta d2, d3
            0x1e6740a4, // frintx d4, d5
            0x1e25c0e6, // frintz s6, s7
            0x1e684128, // frint32z d8, d9
        ],
        |m| {
            m.set_d(1, 2.5);
            m.set_d(3, 2.5);
            m.set_d(5, -1.5);
            m.set_s(7, -3.7);
            m.set_d(9, 5e9);
        },
    );
    assert_eq!(m.fd(0), 2.0);
    assert_eq!(m.fd(2), 3.0);
    assert_eq!(m.fd(4), -2.0);
    assert_eq!(m.fs(6), -3.0);
    assert_eq!(m.fd(8), -2147483648.0);
    assert_eq!(m.cpu.fpsr, IXC | IOC);
}

#[test]
fn fjcvtzs_sets_z() {
    let m = run(&[0x1e7e0020], |m| m.set_d(1, -3.0)); // fjcvtzs w0, d1
    assert_eq!(m.cpu.x[0], (-3i32) as u32 as u64);
    assert_eq!(m.cpu.nzcv() >> 28, 0b0100);
    let m = run(&[0x1e7e0020], |m| m.set_d(1, 4294967297.5));
    assert_eq!(m.cpu.x[0], 1);
    assert_eq!(m.cpu.nzcv() >> 28, 0);
}

#[test]
fn half_precision_add() {
    let m = run(&[0x1ee22820], |m| {
        m.set_v(1, 0x3c00); // 1.0
        m.set_v(2, 0x4000); // 2.0
    });
    assert_eq!(m.v(0), 0x4200); // 3.0
}

#[test]
fn sqrt_abs_neg() {
    let m = run(
        &[
            0x1e60c0e6, // fabs d6, d7
            0x1e214128, // fneg s8, s9
            0x1e61c16a, // fsqrt d10, d11
        ],
        |m| {
            m.set_d(7, -4.5);
            m.set_s(9, 2.0);
            m.set_d(11, 2.0);
        },
    );
    assert_eq!(m.fd(6), 4.5);
    assert_eq!(m.fs(8), -2.0);
    assert_eq!(m.fd(10), 2f64.sqrt());
}

#[test]
fn unallocated_is_undef() {
    expect_undef(0x1ea22820); // fadd with ftype=10
}

#[test]
fn flush_to_zero() {
    const IDC: u64 = 1 << 7;
    const FZ: u64 = 1 << 24;
    // fadd d0, d1, d2 with a denormal input under FZ: treated as zero, IDC.
    let m = run(&[0x1e622820], |m| {
        m.set_v(1, 1); // smallest denormal
        m.set_d(2, 1.0);
        m.cpu.fpcr = FZ;
    });
    assert_eq!(m.fd(0), 1.0);
    assert_eq!(m.cpu.fpsr, IDC);
    // fmul d6, d7, d8 with a denormal result under FZ: flushed, UFC, no IXC.
    let m = run(&[0x1e6808e6], |m| {
        m.set_d(7, 1e-300);
        m.set_d(8, 1e-10);
        m.cpu.fpcr = FZ;
    });
    assert_eq!(m.d(6), 0);
    assert_eq!(m.cpu.fpsr, UFC);
    // Without FZ the denormal result is kept (exact here: no flags).
    let m = run(&[0x1e6808e6], |m| {
        m.set_d(7, f64::from_bits(4));
        m.set_d(8, 0.5);
    });
    assert_eq!(m.d(6), 2);
    assert_eq!(m.cpu.fpsr, 0);
}
