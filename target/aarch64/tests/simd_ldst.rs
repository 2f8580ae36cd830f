//! SIMD&FP register loads and stores in every addressing mode.

mod simd_harness;
use simd_harness::*;

fn pattern(m: &mut Machine) {
    let bytes: Vec<u8> = (0..256u32).map(|i| (i * 7 + 3) as u8).collect();
    m.write(DATA, &bytes);
    m.cpu.x[1] = DATA;
}

fn mem_u128(m: &Machine, a: u64) -> u128 {
    u128::from_le_bytes(m.read(a, 16).try_into().unwrap())
}

fn mem_u64(m: &Machine, a: u64) -> u64 {
    u64::from_le_bytes(m.read(a, 8).try_into().unwrap())
}

#[test]
fn ldr_q_and_d_preindex() {
    let m = run(
        &[
            0x3dc00020, // ldr q0, [x1]
            0xfc408c21, // ldr d1, [x1, #8]!
        ],
        |m| {
            pattern(m);
            m.set_v(1, u128::MAX);
        },
    );
    assert_eq!(m.v(0), mem_u128(&m, DATA));
    assert_eq!(m.v(1), mem_u64(&m, DATA + 8) as u128, "upper half zeroed");
    assert_eq!(m.cpu.x[1], DATA + 8);
}

#[test]
fn str_s_postindex_and_small_loads() {
    let m = run(
        &[
            0xbc1fc422, // str s2, [x1], #-4
            0x7c403023, // ldur h3, [x1, #3]
            0x3c626824, // ldr b4, [x1, x2]
        ],
        |m| {
            pattern(m);
            m.cpu.x[1] = DATA + 16;
            m.cpu.x[2] = 5;
            m.set_v(2, 0x1111_2222_3333_4444_5555_6666_DEAD_BEEF);
            m.set_v(3, u128::MAX);
            m.set_v(4, u128::MAX);
        },
    );
    assert_eq!(m.cpu.x[1], DATA + 12);
    assert_eq!(m.read(DATA + 16, 4), &0xDEAD_BEEFu32.to_le_bytes());
    let h = u16::from_le_bytes(m.read(DATA + 15, 2).try_into().unwrap());
    assert_eq!(m.v(3), h as u128);
    assert_eq!(m.v(4), m.read(DATA + 17, 1)[0] as u128);
}

#[test]
fn str_q_register_offset() {
    let m = run(
        &[0x3ca27825], // str q5, [x1, x2, lsl #4]
        |m| {
            m.cpu.x[1] = DATA;
            m.cpu.x[2] = 3;
            m.set_v(5, q(0x0123_4567_89ab_cdef, 0xfedc_ba98_7654_3210));
        },
    );
    assert_eq!(
        mem_u128(&m, DATA + 48),
        q(0x0123_4567_89ab_cdef, 0xfedc_ba98_7654_3210)
    );
}

#[test]
fn pairs() {
    let m = run(
        &[
            0xad411c26, // ldp q6, q7, [x1, #32]
            0x6dbf2428, // stp d8, d9, [x1, #-16]!
            0x2c402c2a, // ldnp s10, s11, [x1]
        ],
        |m| {
            pattern(m);
            m.cpu.x[1] = DATA + 64;
            m.set_v(8, 0xaaaa_aaaa_aaaa_aaaa);
            m.set_v(9, 0xbbbb_bbbb_bbbb_bbbb);
        },
    );
    assert_eq!(m.v(6), mem_u128(&m, DATA + 96));
    assert_eq!(m.v(7), mem_u128(&m, DATA + 112));
    assert_eq!(m.cpu.x[1], DATA + 48);
    assert_eq!(mem_u64(&m, DATA + 48), 0xaaaa_aaaa_aaaa_aaaa);
    assert_eq!(mem_u64(&m, DATA + 56), 0xbbbb_bbbb_bbbb_bbbb);
    assert_eq!(m.v(10), 0xaaaa_aaaa);
    assert_eq!(m.v(11), 0xaaaa_aaaa);
}

#[test]
fn ld1_multiple_postindex() {
    let m = run(
        &[
            0x4c407020, // ld1 {v0.16b}, [x1]
            0x4cdf2020, // ld1 {v0.16b-v3.16b}, [x1], #64
        ],
        pattern,
    );
    for r in 0..4 {
        assert_eq!(m.v(r), mem_u128(&m, DATA + 16 * r as u64));
    }
    assert_eq!(m.cpu.x[1], DATA + 64);
}

#[test]
fn ld2_deinterleaves() {
    let m = run(&[0x4c408420], pattern); // ld2 {v0.8h, v1.8h}, [x1]
    let mem = m.read(DATA, 32).to_vec();
    for e in 0..8 {
        let h0 = u16::from_le_bytes([mem[4 * e], mem[4 * e + 1]]);
        let h1 = u16::from_le_bytes([mem[4 * e + 2], mem[4 * e + 3]]);
        assert_eq!((m.v(0) >> (16 * e)) as u16, h0);
        assert_eq!((m.v(1) >> (16 * e)) as u16, h1);
    }
}

#[test]
fn st4_interleaves_with_register_postindex() {
    let m = run(
        &[0x4c820824], // st4 {v4.4s-v7.4s}, [x1], x2
        |m| {
            m.cpu.x[1] = DATA;
            m.cpu.x[2] = 100;
            for r in 4..8 {
                let lanes: Vec<u32> = (0..4).map(|e| (r * 16 + e) as u32).collect();
                let v = lanes
                    .iter()
                    .enumerate()
                    .fold(0u128, |acc, (k, &x)| acc | (x as u128) << (32 * k));
                m.set_v(r, v);
            }
        },
    );
    for e in 0..4u64 {
        for s in 0..4u64 {
            let a = DATA + (e * 4 + s) * 4;
            let w = u32::from_le_bytes(m.read(a, 4).try_into().unwrap());
            assert_eq!(w as u64, (4 + s) * 16 + e);
        }
    }
    assert_eq!(m.cpu.x[1], DATA + 100);
}

#[test]
fn single_lane_and_replicate() {
    let m = run(
        &[
            0x4d409020, // ld1 {v0.s}[3], [x1]
            0x4d40c821, // ld1r {v1.4s}, [x1]
            0x0d9f1422, // st1 {v2.b}[5], [x1], #1
            0x0dc2e023, // ld3r {v3.8b-v5.8b}, [x1], x2
        ],
        |m| {
            pattern(m);
            m.cpu.x[2] = 16;
            m.set_v(0, u128::MAX);
            m.set_v(2, 0x0000_4200_0000_0000);
            m.set_v(5, u128::MAX);
        },
    );
    let w = u32::from_le_bytes([3, 10, 17, 24]) as u128; // before the st1
    assert_eq!(m.v(0), (w << 96) | ((1u128 << 96) - 1), "other lanes kept");
    assert_eq!(m.v(1), w | w << 32 | w << 64 | w << 96);
    assert_eq!(m.read(DATA, 1)[0], 0x42);
    let b = m.read(DATA + 1, 3).to_vec();
    assert_eq!(m.v(3), u64::from_le_bytes([b[0]; 8]) as u128);
    assert_eq!(m.v(4), u64::from_le_bytes([b[1]; 8]) as u128);
    assert_eq!(m.v(5), u64::from_le_bytes([b[2]; 8]) as u128);
    assert_eq!(m.cpu.x[1], DATA + 17);
}

#[test]
fn ldr_literal_q() {
    let m = run(
        &[
            0x9c000049, // ldr q9, pc+8
            BRK,
            0x1111_1111,
            0x2222_2222,
            0x3333_3333,
            0x4444_4444,
        ],
        |_| {},
    );
    assert_eq!(m.v(9), 0x4444_4444_3333_3333_2222_2222_1111_1111);
}
