//! The AdvSIMD instructions glibc's string and memory functions use
//! (compares, logic, pairwise max/min/add, SHRN, EXT, DUP/INS/UMOV, MOVI,
//! TBL, REV, CNT, across-lane reductions), checked lane by lane against
//! reference computations on the host.

mod simd_harness;
use simd_harness::*;

const A: u128 = 0x8000_7fff_0000_ff01_4142_0043_0044_00ff;
const B: u128 = 0x8000_7ffe_1100_ff01_4100_4343_0044_0100;
const D: u128 = 0x0123_4567_89ab_cdef_fedc_ba98_7654_3210;

fn lanes(v: u128, bits: u32) -> Vec<u64> {
    let m = if bits == 64 {
        u64::MAX
    } else {
        (1u64 << bits) - 1
    };
    (0..128 / bits)
        .map(|k| (v >> (k * bits)) as u64 & m)
        .collect()
}

fn pack(l: &[u64], bits: u32) -> u128 {
    let m = if bits == 64 {
        u64::MAX
    } else {
        (1u64 << bits) - 1
    };
    l.iter().enumerate().fold(0u128, |acc, (k, &x)| {
        acc | ((x & m) as u128) << (k as u32 * bits)
    })
}

fn sx(x: u64, bits: u32) -> i64 {
    ((x << (64 - bits)) as i64) >> (64 - bits)
}

/// Runs `word` (Vd=0, Vn=1, Vm=2, Vd preset to D) and returns V0.
fn op3(word: u32, a: u128, b: u128) -> u128 {
    run(&[word], |m| {
        m.set_v(0, D);
        m.set_v(1, a);
        m.set_v(2, b);
    })
    .v(0)
}

fn lanewise(a: u128, b: u128, bits: u32, f: impl Fn(u64, u64) -> u64) -> u128 {
    let (la, lb) = (lanes(a, bits), lanes(b, bits));
    pack(
        &la.iter()
            .zip(&lb)
            .map(|(&x, &y)| f(x, y))
            .collect::<Vec<_>>(),
        bits,
    )
}

fn ones(bits: u32) -> u64 {
    if bits == 64 {
        u64::MAX
    } else {
        (1 << bits) - 1
    }
}

#[test]
fn compares() {
    assert_eq!(
        op3(0x6e228c20, A, B),
        lanewise(A, B, 8, |x, y| if x == y { 0xff } else { 0 })
    ); // cmeq .16b
    assert_eq!(
        op3(0x4e209820, A, B),
        lanewise(A, 0, 8, |x, _| if x == 0 { 0xff } else { 0 })
    ); // cmeq #0
    assert_eq!(
        op3(0x6e623420, A, B),
        lanewise(A, B, 16, |x, y| if x > y { 0xffff } else { 0 })
    ); // cmhi .8h
    assert_eq!(
        op3(0x6ea23c20, A, B),
        lanewise(A, B, 32, |x, y| if x >= y { ones(32) } else { 0 })
    ); // cmhs .4s
    assert_eq!(
        op3(0x4e223420, A, B),
        lanewise(A, B, 8, |x, y| if sx(x, 8) > sx(y, 8) { 0xff } else { 0 })
    ); // cmgt
    assert_eq!(
        op3(0x4ee23c20, A, B),
        lanewise(A, B, 64, |x, y| if sx(x, 64) >= sx(y, 64) {
            ones(64)
        } else {
            0
        })
    ); // cmge .2d
    assert_eq!(
        op3(0x4e228c20, A, B),
        lanewise(A, B, 8, |x, y| if x & y != 0 { 0xff } else { 0 })
    ); // cmtst
    assert_eq!(
        op3(0x4e60a820, A, B),
        lanewise(A, 0, 16, |x, _| if sx(x, 16) < 0 { 0xffff } else { 0 })
    ); // cmlt #0
}

#[test]
fn logic() {
    assert_eq!(op3(0x4e221c20, A, B), A & B);
    assert_eq!(
        op3(0x0ea21c20, A, B),
        (A | B) as u64 as u128,
        "64-bit form zeroes the top"
    );
    assert_eq!(op3(0x4e621c20, A, B), A & !B);
    assert_eq!(op3(0x4ee21c20, A, B), A | !B);
    assert_eq!(op3(0x6e221c20, A, B), A ^ B);
    assert_eq!(op3(0x6e621c20, A, B), (D & A) | (!D & B)); // bsl
    assert_eq!(op3(0x6ea21c20, A, B), (D & !B) | (A & B)); // bit
    assert_eq!(op3(0x6ee21c20, A, B), (D & B) | (A & !B)); // bif
    assert_eq!(op3(0x6e205820, A, B), !A); // not
}

#[test]
fn add_sub() {
    assert_eq!(
        op3(0x4e628420, A, B),
        lanewise(A, B, 16, |x, y| x.wrapping_add(y))
    );
    assert_eq!(
        op3(0x2ea28420, A, B),
        lanewise(A, B, 32, |x, y| x.wrapping_sub(y)) as u64 as u128
    );
    assert_eq!(
        op3(0x5ee28420, A, B),
        (A as u64).wrapping_add(B as u64) as u128
    ); // add d0
}

fn pairwise(a: u128, b: u128, bits: u32, f: impl Fn(u64, u64) -> u64) -> u128 {
    let mut all = lanes(a, bits);
    all.extend(lanes(b, bits));
    let r: Vec<u64> = all.chunks(2).map(|p| f(p[0], p[1])).collect();
    pack(&r, bits)
}

#[test]
fn pairwise_ops() {
    assert_eq!(op3(0x4e22bc20, A, B), pairwise(A, B, 8, |x, y| x + y)); // addp
    assert_eq!(op3(0x6e22a420, A, B), pairwise(A, B, 8, |x, y| x.max(y))); // umaxp
    assert_eq!(op3(0x6ea2ac20, A, B), pairwise(A, B, 32, |x, y| x.min(y))); // uminp .4s
    assert_eq!(
        op3(0x5ef1b820, A, B),
        ((A as u64).wrapping_add((A >> 64) as u64)) as u128
    ); // addp d0
}

#[test]
fn narrowing_shift() {
    let want: Vec<u64> = lanes(A, 16).iter().map(|&x| (x >> 4) & 0xff).collect();
    let lo = pack(&want, 8);
    assert_eq!(op3(0x0f0c8420, A, B), lo); // shrn
    assert_eq!(op3(0x4f0c8420, A, B), lo << 64 | (D as u64 as u128)); // shrn2
}

#[test]
fn ext_and_tbl() {
    let mut bytes = A.to_le_bytes().to_vec();
    bytes.extend(B.to_le_bytes());
    let want = u128::from_le_bytes(bytes[3..19].try_into().unwrap());
    assert_eq!(op3(0x6e021820, A, B), want);
    let idx: u128 = 0x00_01_1f_20_ff_10_0f_05_03_11_12_13_14_15_16_17;
    let m = run(&[0x4e032020, 0x0e031024], |m| {
        // tbl v0.16b, {v1,v2}, v3 ; tbx v4.8b, {v1}, v3
        m.set_v(1, A);
        m.set_v(2, B);
        m.set_v(3, idx);
        m.set_v(4, D);
    });
    let tb = |i: u64| if i < 32 { bytes[i as usize] as u64 } else { 0 };
    assert_eq!(
        m.v(0),
        pack(&lanes(idx, 8).iter().map(|&i| tb(i)).collect::<Vec<_>>(), 8)
    );
    let d = lanes(D, 8);
    let want4: Vec<u64> = lanes(idx, 8)[..8]
        .iter()
        .enumerate()
        .map(|(k, &i)| {
            if i < 16 {
                bytes[i as usize] as u64
            } else {
                d[k]
            }
        })
        .collect();
    assert_eq!(m.v(4), pack(&want4, 8));
}

#[test]
fn dup_ins_umov_smov() {
    let m = run(
        &[
            0x4e010c20, // dup v0.16b, w1
            0x4e140425, // dup v5.4s, v1.s[2]
            0x4e0c1c26, // mov v6.s[1], w1
            0x6e0e6427, // mov v7.h[3], v1.h[6]
            0x0e0f3c22, // umov w2, v1.b[7]
            0x4e0a2c23, // smov x3, v1.h[2]
            0x4e183c24, // mov x4, v1.d[1]
        ],
        |m| {
            m.cpu.x[1] = 0x1234_5678_9abc_defa;
            m.set_v(1, A);
            m.set_v(6, D);
            m.set_v(7, D);
        },
    );
    assert_eq!(m.v(0), u128::from_le_bytes([0xfa; 16]));
    let s2 = lanes(A, 32)[2];
    assert_eq!(m.v(5), pack(&[s2; 4], 32));
    let mut d = lanes(D, 32);
    d[1] = 0x9abc_defa;
    assert_eq!(m.v(6), pack(&d, 32));
    let mut h = lanes(D, 16);
    h[3] = lanes(A, 16)[6];
    assert_eq!(m.v(7), pack(&h, 16));
    assert_eq!(m.cpu.x[2], lanes(A, 8)[7]);
    assert_eq!(m.cpu.x[3], sx(lanes(A, 16)[2], 16) as u64);
    assert_eq!(m.cpu.x[4], (A >> 64) as u64);
}

/// Runs one word with Vd preset to D, returning Vd.
fn op_d(word: u32) -> u128 {
    run(&[word], |m| m.set_v(0, D)).v(0)
}

#[test]
fn modified_immediates() {
    assert_eq!(op_d(0x4f02e400), u128::from_le_bytes([0x40; 16])); // movi .16b
    assert_eq!(op_d(0x6f05e540), pack(&[0xff00_ff00_ff00_ff00; 2], 64)); // movi .2d
    assert_eq!(op_d(0x6f002640), pack(&[!0x1200u64 & 0xffff_ffff; 4], 32)); // mvni
    assert_eq!(op_d(0x4f005420), lanewise(D, 0, 32, |x, _| x | 0x1_0000)); // orr imm
    assert_eq!(op_d(0x6f0797e0), lanewise(D, 0, 16, |x, _| x & !0xff)); // bic imm
    assert_eq!(op_d(0x4f03f600), pack(&[1.0f32.to_bits() as u64; 4], 32)); // fmov .4s
}

fn op1(word: u32, a: u128) -> u128 {
    run(&[word], |m| {
        m.set_v(0, D);
        m.set_v(1, a);
    })
    .v(0)
}

#[test]
fn rev_cnt_clz() {
    let rev = |a: u128, bits: u32, container: u32| {
        let l = lanes(a, bits);
        let per = (container / bits) as usize;
        let r: Vec<u64> = l
            .chunks(per)
            .flat_map(|c| c.iter().rev().copied().collect::<Vec<_>>())
            .collect();
        pack(&r, bits)
    };
    assert_eq!(op1(0x4e200820, A), rev(A, 8, 64)); // rev64 .16b
    assert_eq!(op1(0x6e600820, A), rev(A, 16, 32)); // rev32 .8h
    assert_eq!(op1(0x4e201820, A), rev(A, 8, 16)); // rev16 .16b
    assert_eq!(
        op1(0x4e205820, A),
        lanewise(A, 0, 8, |x, _| x.count_ones() as u64)
    ); // cnt
    assert_eq!(
        op1(0x6ea04820, A),
        lanewise(A, 0, 32, |x, _| (x as u32).leading_zeros() as u64)
    ); // clz
    assert_eq!(
        op1(0x4e604820, A),
        lanewise(A, 0, 16, |x, _| {
            let v = x as u16 as i16;
            (if v < 0 {
                (!v).leading_zeros()
            } else {
                v.leading_zeros()
            } - 1) as u64
        })
    ); // cls
    assert_eq!(
        op1(0x6e605820, A),
        lanewise(A, 0, 8, |x, _| (x as u8).reverse_bits() as u64)
    ); // rbit
}

#[test]
fn across_lanes() {
    let sum8: u64 = lanes(A, 8).iter().sum();
    assert_eq!(op1(0x6e303820, A), sum8 as u128); // uaddlv h0
    assert_eq!(op1(0x4e31b820, A), (sum8 & 0xff) as u128); // addv b0
    assert_eq!(
        op1(0x6e30a820, A),
        *lanes(A, 8).iter().max().unwrap() as u128
    ); // umaxv
    assert_eq!(
        op1(0x6eb1a820, A),
        *lanes(A, 32).iter().min().unwrap() as u128
    ); // uminv s0
    let smax = lanes(A, 16).iter().map(|&x| sx(x, 16)).max().unwrap();
    assert_eq!(op1(0x4e70a820, A), (smax as u64 & 0xffff) as u128); // smaxv h0
    let ssum: i64 = lanes(A, 32).iter().map(|&x| sx(x, 32)).sum();
    assert_eq!(op1(0x4eb03820, A), ssum as u64 as u128); // saddlv d0
}

/// Pairwise over the low `bytes` of a and b (64-bit forms use 8 bytes).
fn pairwise_n(a: u128, b: u128, bits: u32, q: bool, f: impl Fn(u64, u64) -> u64) -> u128 {
    let n = if q { 128 / bits } else { 64 / bits } as usize;
    let mut all = lanes(a, bits)[..n].to_vec();
    all.extend(&lanes(b, bits)[..n]);
    let r: Vec<u64> = all.chunks(2).map(|p| f(p[0], p[1]) & ones(bits)).collect();
    pack(&r, bits)
}

#[test]
fn pairwise_inline_forms() {
    assert_eq!(
        op3(0x6e21a420, A, B),
        pairwise_n(A, A, 8, true, |x, y| x.max(y))
    ); // umaxp v,v,v
    assert_eq!(
        op3(0x2e22a420, A, B),
        pairwise_n(A, B, 8, false, |x, y| x.max(y))
    ); // umaxp .8b
    assert_eq!(
        op3(0x6e62ac20, A, B),
        pairwise_n(A, B, 16, true, |x, y| x.min(y))
    ); // uminp .8h
    assert_eq!(
        op3(0x6e22ac20, A, B),
        pairwise_n(A, B, 8, true, |x, y| x.min(y))
    ); // uminp .16b
    assert_eq!(
        op3(0x4ea2bc20, A, B),
        pairwise_n(A, B, 32, true, |x, y| x + y)
    ); // addp .4s
    assert_eq!(
        op3(0x4ee2bc20, A, B),
        pairwise_n(A, B, 64, true, |x, y| x.wrapping_add(y))
    ); // addp .2d
    assert_eq!(
        op3(0x0e62bc20, A, B),
        pairwise_n(A, B, 16, false, |x, y| x + y)
    ); // addp .4h
    let want: Vec<u64> = lanes(A, 32).iter().map(|&x| (x >> 9) & 0xffff).collect();
    assert_eq!(op3(0x0f178420, A, B), pack(&want, 16)); // shrn .4h, #9
}
