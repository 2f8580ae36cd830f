//! The AdvSIMD integer set gcc's autovectorizer uses: multiply(-accumulate),
//! by-element forms, shifts, widening/narrowing, saturating arithmetic,
//! min/max/abs, permutes and pairwise long adds, against host references.

mod simd_harness;
use simd_harness::*;

const A: u128 = 0x8000_7fff_0001_ff01_4142_80c3_7f44_00ff;
const B: u128 = 0x7fff_8000_ffff_0102_c100_4343_8044_0180;
const D: u128 = 0x0123_4567_89ab_cdef_fedc_ba98_7654_3210;

fn ones(bits: u32) -> u64 {
    if bits == 64 {
        u64::MAX
    } else {
        (1 << bits) - 1
    }
}
fn lanes(v: u128, bits: u32) -> Vec<u64> {
    (0..128 / bits)
        .map(|k| (v >> (k * bits)) as u64 & ones(bits))
        .collect()
}
fn pack(l: &[u64], bits: u32) -> u128 {
    l.iter().enumerate().fold(0, |acc, (k, &x)| {
        acc | ((x & ones(bits)) as u128) << (k as u32 * bits)
    })
}
fn sx(x: u64, bits: u32) -> i64 {
    ((x << (64 - bits)) as i64) >> (64 - bits)
}
fn lo64(v: u128) -> u128 {
    v as u64 as u128
}

fn op3(word: u32) -> u128 {
    run(&[word], |m| {
        m.set_v(0, D);
        m.set_v(1, A);
        m.set_v(2, B);
    })
    .v(0)
}

/// Lane-wise f(a, b, d).
fn lw(bits: u32, f: impl Fn(u64, u64, u64) -> u64) -> u128 {
    let (a, b, d) = (lanes(A, bits), lanes(B, bits), lanes(D, bits));
    pack(
        &(0..a.len())
            .map(|k| f(a[k], b[k], d[k]))
            .collect::<Vec<_>>(),
        bits,
    )
}

/// Widening: f over the lanes of the selected half, results 2*bits wide.
fn wide(bits: u32, upper: bool, f: impl Fn(u64, u64, u64, usize) -> u64) -> u128 {
    let n = (64 / bits) as usize;
    let off = if upper { n } else { 0 };
    let (a, b) = (lanes(A, bits), lanes(B, bits));
    let d = lanes(D, bits * 2);
    pack(
        &(0..n)
            .map(|k| f(a[off + k], b[off + k], d[k], k))
            .collect::<Vec<_>>(),
        bits * 2,
    )
}

fn sat_s(v: i128, bits: u32) -> u64 {
    let (lo, hi) = (-(1i128 << (bits - 1)), (1i128 << (bits - 1)) - 1);
    v.clamp(lo, hi) as u64 & ones(bits)
}
fn sat_u(v: i128, bits: u32) -> u64 {
    v.clamp(0, (1i128 << bits) - 1) as u64
}

#[test]
fn multiply() {
    assert_eq!(op3(0x4ea29c20), lw(32, |a, b, _| a.wrapping_mul(b))); // mul .4s
    assert_eq!(op3(0x4e629420), lw(16, |a, b, d| d.wrapping_add(a * b))); // mla .8h
    assert_eq!(op3(0x6e229420), lw(8, |a, b, d| d.wrapping_sub(a * b))); // mls .16b
    let s1 = lanes(B, 32)[1];
    assert_eq!(op3(0x4fa28020), lw(32, |a, _, _| a.wrapping_mul(s1))); // mul by s[1]
    let h5 = lanes(B, 16)[5];
    assert_eq!(op3(0x6f520820), lw(16, |a, _, d| d.wrapping_add(a * h5))); // mla by h[5]
}

#[test]
fn shifts() {
    assert_eq!(op3(0x4f235420), lw(32, |a, _, _| a << 3)); // shl #3
    assert_eq!(op3(0x6f1b0420), lw(16, |a, _, _| a >> 5)); // ushr
    assert_eq!(op3(0x4f0e0420), lw(8, |a, _, _| (sx(a, 8) >> 2) as u64)); // sshr
    assert_eq!(
        op3(0x4f392420),
        lw(32, |a, _, _| ((sx(a, 32) + 64) >> 7) as u64)
    ); // srshr #7
    assert_eq!(op3(0x6f771420), lw(64, |a, _, d| d.wrapping_add(a >> 9))); // usra #9
    assert_eq!(op3(0x6f285420), lw(32, |a, _, d| (a << 8) | (d & 0xff))); // sli #8
    assert_eq!(op3(0x6f1c4420), lw(16, |a, _, d| (a >> 4) | (d & 0xf000))); // sri #4
    let shl = |a: i128, s: i64, bits: u32| -> u64 {
        if s >= 0 {
            if s >= bits as i64 {
                0
            } else {
                (a << s) as u64
            }
        } else if -s >= bits as i64 {
            (a < 0) as u64 * ones(bits)
        } else {
            (a >> -s) as u64
        }
    };
    assert_eq!(
        op3(0x6ea24420),
        lw(32, |a, b, _| shl(a as i128, sx(b, 8), 32))
    ); // ushl
    assert_eq!(
        op3(0x4e624420),
        lw(16, |a, b, _| shl(sx(a, 16) as i128, sx(b, 8), 16))
    ); // sshl
}

#[test]
fn widen_narrow() {
    let n8: Vec<u64> = lanes(A, 16).iter().map(|&x| x & 0xff).collect();
    assert_eq!(op3(0x0e212820), pack(&n8, 8)); // xtn .8b
    let n32: Vec<u64> = lanes(A, 64).iter().map(|&x| x & 0xffff_ffff).collect();
    assert_eq!(op3(0x4ea12820), pack(&n32, 32) << 64 | lo64(D)); // xtn2 .4s
    assert_eq!(op3(0x2f08a420), wide(8, false, |a, _, _, _| a)); // uxtl
    assert_eq!(
        op3(0x4f10a420),
        wide(16, true, |a, _, _, _| sx(a, 16) as u64)
    ); // sxtl2
    assert_eq!(op3(0x2f23a420), wide(32, false, |a, _, _, _| a << 3)); // ushll #3
    assert_eq!(op3(0x2e220020), wide(8, false, |a, b, _, _| a + b)); // uaddl
    assert_eq!(
        op3(0x4e620020),
        wide(16, true, |a, b, _, _| (sx(a, 16) + sx(b, 16)) as u64)
    ); // saddl2
    let aw = lanes(A, 16);
    assert_eq!(
        op3(0x2e221020),
        wide(8, false, |_, b, _, k| aw[k].wrapping_add(b))
    ); // uaddw
    assert_eq!(op3(0x2ea2c020), wide(32, false, |a, b, _, _| a * b)); // umull
    assert_eq!(
        op3(0x4e62c020),
        wide(16, true, |a, b, _, _| (sx(a, 16) * sx(b, 16)) as u64)
    ); // smull2
    assert_eq!(
        op3(0x2e228020),
        wide(8, false, |a, b, d, _| d.wrapping_add(a * b))
    ); // umlal
    let h2 = sx(lanes(B, 16)[2], 16);
    assert_eq!(
        op3(0x0f62a020),
        wide(16, false, |a, _, _, _| (sx(a, 16) * h2) as u64)
    ); // smull by elem
    let hn: Vec<u64> = lanes(A, 16)
        .iter()
        .zip(lanes(B, 16))
        .map(|(&a, b)| ((a + b) >> 8) & 0xff)
        .collect();
    assert_eq!(op3(0x0e224020), pack(&hn, 8)); // addhn
    let rs: Vec<u64> = lanes(A, 32)
        .iter()
        .map(|&a| ((a + 4) >> 3) & 0xffff)
        .collect();
    assert_eq!(op3(0x0f1d8c20), pack(&rs, 16)); // rshrn #3
    let sq: Vec<u64> = lanes(A, 16)
        .iter()
        .map(|&a| sat_s((sx(a, 16) >> 2) as i128, 8))
        .collect();
    assert_eq!(op3(0x0f0e9420), pack(&sq, 8)); // sqshrn #2
}

#[test]
fn saturating() {
    assert_eq!(
        op3(0x4e220c20),
        lw(8, |a, b, _| sat_s((sx(a, 8) + sx(b, 8)) as i128, 8))
    ); // sqadd
    assert_eq!(
        op3(0x6e620c20),
        lw(16, |a, b, _| sat_u(a as i128 + b as i128, 16))
    ); // uqadd
    assert_eq!(
        op3(0x4ea22c20),
        lw(32, |a, b, _| sat_s((sx(a, 32) - sx(b, 32)) as i128, 32))
    ); // sqsub
    assert_eq!(
        op3(0x6e222c20),
        lw(8, |a, b, _| sat_u(a as i128 - b as i128, 8))
    ); // uqsub
    assert_eq!(
        op3(0x4e62b420),
        lw(16, |a, b, _| sat_s(
            (2 * sx(a, 16) as i128 * sx(b, 16) as i128) >> 16,
            16
        ))
    ); // sqdmulh
    assert_eq!(
        op3(0x6ea2b420),
        lw(32, |a, b, _| sat_s(
            (2 * sx(a, 32) as i128 * sx(b, 32) as i128 + (1 << 31)) >> 32,
            32
        ))
    ); // sqrdmulh
    let m = run(&[0x4e220c20], |m| {
        m.set_v(1, A);
        m.set_v(2, B);
    });
    assert_ne!(m.cpu.fpsr & (1 << 27), 0, "QC set on saturation");
    let f = |s: fn(u64) -> u64, bits: u32| {
        pack(
            &lanes(A, bits * 2).iter().map(|&x| s(x)).collect::<Vec<_>>(),
            bits,
        )
    };
    assert_eq!(op3(0x0e214820), f(|x| sat_s(sx(x, 16) as i128, 8), 8)); // sqxtn
    assert_eq!(op3(0x2e614820), f(|x| sat_u(x as i128, 16), 16)); // uqxtn
    assert_eq!(op3(0x2e212820), f(|x| sat_u(sx(x, 16) as i128, 8), 8)); // sqxtun
    assert_eq!(
        op3(0x6f247420),
        lw(32, |a, _, _| sat_u((a as i128) << 4, 32))
    ); // uqshl #4
    assert_eq!(
        op3(0x6f0b6420),
        lw(8, |a, _, _| sat_u((sx(a, 8) as i128) << 3, 8))
    ); // sqshlu #3
}

#[test]
fn minmax_abs() {
    assert_eq!(
        op3(0x4ea26420),
        lw(32, |a, b, _| sx(a, 32).max(sx(b, 32)) as u64)
    ); // smax
    assert_eq!(op3(0x6e226c20), lw(8, |a, b, _| a.min(b))); // umin
    assert_eq!(op3(0x4e60b820), lw(16, |a, _, _| sx(a, 16).unsigned_abs())); // abs
    assert_eq!(op3(0x6ea0b820), lw(32, |a, _, _| a.wrapping_neg())); // neg
    assert_eq!(
        op3(0x4e227420),
        lw(8, |a, b, _| (sx(a, 8) - sx(b, 8)).unsigned_abs())
    ); // sabd
    assert_eq!(
        op3(0x6e627c20),
        lw(16, |a, b, d| d.wrapping_add(a.abs_diff(b)))
    ); // uaba
    assert_eq!(op3(0x6e220420), lw(8, |a, b, _| (a + b) >> 1)); // uhadd
    assert_eq!(op3(0x6e621420), lw(16, |a, b, _| (a + b + 1) >> 1)); // urhadd
}

#[test]
fn permutes() {
    type Pick<'a> = &'a dyn Fn(&[u64], &[u64], usize) -> u64;
    let perm = |bits: u32, f: Pick| {
        let (a, b) = (lanes(A, bits), lanes(B, bits));
        pack(
            &(0..a.len()).map(|k| f(&a, &b, k)).collect::<Vec<_>>(),
            bits,
        )
    };
    let uzp = |p: usize| {
        move |a: &[u64], b: &[u64], k: usize| {
            let n = a.len();
            let j = 2 * k + p;
            if j < n {
                a[j]
            } else {
                b[j - n]
            }
        }
    };
    assert_eq!(op3(0x4e021820), perm(8, &uzp(0))); // uzp1 .16b
    assert_eq!(op3(0x4e425820), perm(16, &uzp(1))); // uzp2 .8h
    let zip = |p: usize| {
        move |a: &[u64], b: &[u64], k: usize| {
            let j = p * a.len() / 2 + k / 2;
            if k.is_multiple_of(2) {
                a[j]
            } else {
                b[j]
            }
        }
    };
    assert_eq!(op3(0x4e823820), perm(32, &zip(0))); // zip1 .4s
    assert_eq!(op3(0x4e027820), perm(8, &zip(1))); // zip2 .16b
    let trn = |p: usize| {
        move |a: &[u64], b: &[u64], k: usize| {
            if k.is_multiple_of(2) {
                a[k + p]
            } else {
                b[k - 1 + p]
            }
        }
    };
    assert_eq!(op3(0x4e422820), perm(16, &trn(0))); // trn1 .8h
    assert_eq!(op3(0x4e826820), perm(32, &trn(1))); // trn2 .4s
}

#[test]
fn pairwise_long() {
    let h = lanes(A, 16);
    let want: Vec<u64> = h
        .chunks(2)
        .map(|p| (sx(p[0], 16) + sx(p[1], 16)) as u64)
        .collect();
    assert_eq!(op3(0x4e602820), pack(&want, 32)); // saddlp .4s
    let s = lanes(A, 32);
    let d = lanes(D, 64);
    let want: Vec<u64> = s
        .chunks(2)
        .zip(d)
        .map(|(p, d)| d.wrapping_add(p[0] + p[1]))
        .collect();
    assert_eq!(op3(0x6ea06820), pack(&want, 64)); // uadalp .2d
}

/// Every element size and edge shift amounts of the inline shift forms.
#[test]
fn shift_immediates_all_sizes() {
    for size in 0..4u32 {
        let e = 8u32 << size;
        for &n in &[1, 2, e / 2, e - 1, e] {
            for (opc, u, right) in [
                (0u32, false, true),
                (0, true, true),
                (2, false, true),
                (2, true, true),
                (8, true, true),
                (10, false, false),
                (10, true, false),
            ] {
                let n = if right { n } else { n % e };
                let immhb = if right { 2 * e - n } else { e + n };
                let word = 0x4f00_0400 | (u as u32) << 29 | immhb << 16 | opc << 11 | 1 << 5;
                let got = op3(word);
                let want = lw(e, |a, _, d| {
                    let m = ones(e);
                    let sa = sx(a, e) as i128;
                    let sh = |v: i128| -> u64 {
                        if n >= 128 {
                            0
                        } else {
                            (v >> n) as u64
                        }
                    };
                    match (opc, u) {
                        (0, false) => sh(sa),
                        (0, true) => sh(a as i128),
                        (2, false) => d.wrapping_add(sh(sa)),
                        (2, true) => d.wrapping_add(sh(a as i128)),
                        (8, _) => {
                            if n >= e {
                                d
                            } else {
                                (a >> n) | (d & !(m >> n))
                            }
                        }
                        (10, false) => ((a as u128) << n) as u64,
                        _ => (((a as u128) << n) as u64 & m) | (d & ((1u64 << n) - 1)),
                    }
                });
                assert_eq!(got, want, "size {size} n {n} opc {opc} u {u}");
            }
        }
    }
}

#[test]
fn rev_and_widen_forms() {
    let rev = |v: u128, bits: u32, container: u32, q: bool| {
        let l = lanes(v, bits);
        let per = (container / bits) as usize;
        let n = if q { l.len() } else { l.len() / 2 };
        let r: Vec<u64> = l[..n]
            .chunks(per)
            .flat_map(|c| c.iter().rev().copied().collect::<Vec<_>>())
            .collect();
        pack(&r, bits)
    };
    assert_eq!(op3(0x6e200820), rev(A, 8, 32, true)); // rev32 .16b
    assert_eq!(op3(0x4ea00820), rev(A, 32, 64, true)); // rev64 .4s
    assert_eq!(op3(0x0e200820), rev(A, 8, 64, false)); // rev64 .8b
    assert_eq!(op3(0x0e201820), rev(A, 8, 16, false)); // rev16 .8b
    assert_eq!(op3(0x2e600820), rev(A, 16, 32, false)); // rev32 .4h
    assert_eq!(op3(0x6f08a420), wide(8, true, |a, _, _, _| a)); // uxtl2
    assert_eq!(
        op3(0x0f08a420),
        wide(8, false, |a, _, _, _| sx(a, 8) as u64)
    ); // sxtl
    assert_eq!(op3(0x6f15a420), wide(16, true, |a, _, _, _| a << 5)); // ushll2 #5
    assert_eq!(
        op3(0x0f3fa420),
        wide(32, false, |a, _, _, _| (sx(a, 32) << 31) as u64)
    ); // sshll #31
    assert_eq!(
        op3(0x4f20a420),
        wide(32, true, |a, _, _, _| sx(a, 32) as u64)
    ); // sxtl2 .2d
}

/// The ordered compares, CMTST and max/min (inline SWAR code) against
/// lane-by-lane references, every lane size, both widths, values near the
/// lane boundaries and random ones.
#[test]
fn compares_and_minmax_every_size() {
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    let mut rnd = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    // (opcode, U, name): CMGT CMHI CMGE CMHS CMTST SMAX UMAX SMIN UMIN.
    let ops: [(u32, u32, &str); 9] = [
        (0b00110, 0, "cmgt"),
        (0b00110, 1, "cmhi"),
        (0b00111, 0, "cmge"),
        (0b00111, 1, "cmhs"),
        (0b10001, 0, "cmtst"),
        (0b01100, 0, "smax"),
        (0b01100, 1, "umax"),
        (0b01101, 0, "smin"),
        (0b01101, 1, "umin"),
    ];
    let edge = [
        0u64,
        1,
        0x7f,
        0x80,
        0xff,
        0x7fff,
        0x8000,
        0xffff_ffff,
        u64::MAX,
    ];
    for round in 0..24 {
        let mut val = || {
            let mut v = 0u128;
            for k in 0..16 {
                let byte = if round % 3 == 0 {
                    rnd() as u8
                } else {
                    (edge[(rnd() % edge.len() as u64) as usize] >> (8 * (k % 8))) as u8
                };
                v |= (byte as u128) << (8 * k);
            }
            v
        };
        let (a, b) = (val(), val());
        for &(opc, u, name) in &ops {
            for size in 0..4u32 {
                if size == 3 && (opc == 0b01100 || opc == 0b01101) {
                    continue;
                }
                // (64-bit lanes need the 128-bit form.)
                let widths: &[bool] = if size == 3 { &[true] } else { &[false, true] };
                for &q in widths {
                    let word = (q as u32) << 30
                        | u << 29
                        | 0b01110 << 24
                        | size << 22
                        | 1 << 21
                        | 2 << 16
                        | opc << 11
                        | 1 << 10
                        | 1 << 5;
                    let got = run(&[word], |m| {
                        m.set_v(0, D);
                        m.set_v(1, a);
                        m.set_v(2, b);
                    })
                    .v(0);
                    let bits = 8 << size;
                    let (la, lb) = (lanes(a, bits), lanes(b, bits));
                    let lane = |x: u64, y: u64| -> u64 {
                        let (sa, sb) = (sx(x, bits), sx(y, bits));
                        let t = |c: bool| if c { ones(bits) } else { 0 };
                        match name {
                            "cmgt" => t(sa > sb),
                            "cmhi" => t(x > y),
                            "cmge" => t(sa >= sb),
                            "cmhs" => t(x >= y),
                            "cmtst" => t(x & y != 0),
                            "smax" => sa.max(sb) as u64,
                            "umax" => x.max(y),
                            "smin" => sa.min(sb) as u64,
                            _ => x.min(y),
                        }
                    };
                    let want = pack(
                        &(0..la.len())
                            .map(|k| lane(la[k], lb[k]))
                            .collect::<Vec<_>>(),
                        bits,
                    );
                    let want = if q { want } else { lo64(want) };
                    assert_eq!(
                        got, want,
                        "{name} size {size} q {q}: a {a:#034x} b {b:#034x}"
                    );
                }
            }
        }
    }
}
