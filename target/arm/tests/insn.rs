//! Per-instruction tests: short A32/T32 sequences (encodings from GNU as,
//! the source in comments) run on both tcg backends against a flat guest
//! memory, checking registers, flags and memory afterwards. Expected values
//! follow the Arm architecture reference manual.

mod harness;

use harness::{halves, run, words, CODE, STACK};
use target_arm::cpu::flags;
use target_arm::CpuState;

#[test]
fn a32_alu_flags_multiply_saturate() {
    let code = words(&[
        0xe3e0_0000, // mvn r0, #0
        0xe290_1001, // adds r1, r0, #1
        0xe10f_2000, // mrs r2, APSR
        0xe301_3234, // movw r3, #0x1234
        0xe348_3000, // movt r3, #0x8000
        0xe053_4083, // subs r4, r3, r3, lsl #1
        0x1080_5000, // addne r5, r0, r0
        0x03a0_5007, // moveq r5, #7
        0xe087_6393, // umull r6, r7, r3, r3
        0xe6a7_8013, // ssat r8, #8, r3
        0xe7e7_9253, // ubfx r9, r3, #4, #8
        0xe6ff_af33, // rbit r10, r3
        0xe120_0070, // bkpt #0
    ]);
    for (c, _) in run(&code, false) {
        assert_eq!(c.r[1], 0);
        assert_eq!(c.r[2], 0x6000_0010, "APSR after adds: Z and C");
        assert_eq!(c.r[4], 0x7fff_edcc);
        assert_eq!(c.nzcv(), 0x3000_0000, "subs: C and V");
        assert_eq!(c.r[5], 0xffff_fffe);
        assert_eq!((c.r[6], c.r[7]), (0x014b_5a90, 0x4000_1234));
        assert_eq!(c.r[8], 0xffff_ff80);
        assert_eq!(c.qf, 1, "ssat saturated");
        assert_eq!(c.r[9], 0x23);
        assert_eq!(c.r[10], 0x2c48_0001);
    }
}

#[test]
fn t32_it_blocks_and_wide_forms() {
    let code = halves(&[
        0x2005, // movs r0, #5
        0x2805, // cmp r0, #5
        0xbf0c, // ite eq
        0x2101, // moveq r1, #1
        0x2102, // movne r1, #2
        0xbf1c, // itt ne
        0x1c42, // addne r2, r0, #1
        0x1c43, // addne r3, r0, #1
        0xf04f, 0x14ff, // mov.w r4, #0x00ff00ff
        0xeb14, 0x2504, // adds.w r5, r4, r4, lsl #8
        0xfb94, 0xf6f0, // sdiv r6, r4, r0
        0xfab4, 0xf784, // clz r7, r4
        0xbe00, // bkpt #0
    ]);
    for (c, _) in run(&code, true) {
        assert_eq!(c.r[1], 1);
        assert_eq!((c.r[2], c.r[3]), (0, 0), "the ITT NE block is skipped");
        assert_eq!(c.r[4], 0x00ff_00ff);
        assert_eq!(c.r[5], 0xffff_ffff);
        assert_eq!(c.nzcv(), 0x8000_0000);
        assert_eq!(c.r[6], 0x0033_0033);
        assert_eq!(c.r[7], 8);
        assert_eq!(c.common.cur_flags & flags::IT_MASK, 0);
    }
}

#[test]
fn a32_loads_stores_multiple_exclusive() {
    let code = words(&[
        0xe3a0_0902, // mov r0, #0x8000
        0xe3a0_1001, // mov r1, #1
        0xe3a0_2002, // mov r2, #2
        0xe3a0_3003, // mov r3, #3
        0xe8a0_000e, // stmia r0!, {r1, r2, r3}
        0xe910_0070, // ldmdb r0, {r4, r5, r6}
        0xe3a0_4902, // mov r4, #0x8000
        0xe194_7f9f, // ldrex r7, [r4]
        0xe287_700a, // add r7, r7, #10
        0xe184_8f97, // strex r8, r7, [r4]
        0xe594_9000, // ldr r9, [r4]
        0xe1f4_a0b4, // ldrh r10, [r4, #4]!
        0xe154_b0d1, // ldrsb r11, [r4, #-1]
        0xe92d_0006, // push {r1, r2}
        0xe8bd_5000, // pop {r12, lr}
        0xe120_0070, // bkpt #0
    ]);
    for (c, m) in run(&code, false) {
        assert_eq!(c.r[0], 0x800c);
        assert_eq!((c.r[5], c.r[6]), (2, 3));
        assert_eq!(c.r[8], 0, "strex succeeded");
        assert_eq!(c.r[9], 11);
        assert_eq!((c.r[4], c.r[10], c.r[11]), (0x8004, 2, 0));
        assert_eq!((c.r[12], c.r[14], c.r[13]), (1, 2, STACK));
        assert_eq!(m[0x8000], 11);
    }
}

#[test]
fn vfp_arithmetic_compare_convert_fma() {
    let code = words(&[
        0xeeb7_0b08, // vmov.f64 d0, #1.5
        0xeeb0_1b00, // vmov.f64 d1, #2.0
        0xee30_2b01, // vadd.f64 d2, d0, d1
        0xee22_3b01, // vmul.f64 d3, d2, d1
        0xeebd_4bc3, // vcvt.s32.f64 s8, d3
        0xee14_0a10, // vmov r0, s8
        0xeeb4_0b41, // vcmp.f64 d0, d1
        0xeef1_fa10, // vmrs APSR_nzcv, fpscr
        0xb3a0_1001, // movlt r1, #1
        0xa3a0_1002, // movge r1, #2
        0xeeb6_5a00, // vmov.f32 s10, #0.5
        0xeeb7_6ac5, // vcvt.f64.f32 d6, s10
        0xeea0_6b01, // vfma.f64 d6, d0, d1
        0xec53_2b16, // vmov r2, r3, d6
        0xe120_0070, // bkpt #0
    ]);
    for (c, _) in run(&code, false) {
        assert_eq!(f64::from_bits(c.d[3]), 7.0);
        assert_eq!(c.r[0], 7);
        assert_eq!(c.r[1], 1);
        assert_eq!((c.r[2], c.r[3]), (0, 0x400c_0000));
    }
}

/// The eight multiply-accumulate forms with d = 10, n = 3, m = 2 (the
/// Arm ARM's VMLA d+nm, VMLS d-nm, VNMLA -d-nm, VNMLS -d+nm, and their
/// fused VFMA, VFMS, VFNMA, VFNMS).
#[test]
fn vfp_multiply_accumulate_signs() {
    let code = words(&[
        0xeeb0_1b08, // vmov.f64 d1, #3.0
        0xeeb0_2b00, // vmov.f64 d2, #2.0
        0xeeb2_4b04, // vmov.f64 d4, #10.0
        0xeeb2_5b04, // vmov.f64 d5, #10.0
        0xeeb2_6b04, // vmov.f64 d6, #10.0
        0xeeb2_7b04, // vmov.f64 d7, #10.0
        0xeeb2_8b04, // vmov.f64 d8, #10.0
        0xeeb2_9b04, // vmov.f64 d9, #10.0
        0xeeb2_ab04, // vmov.f64 d10, #10.0
        0xeeb2_bb04, // vmov.f64 d11, #10.0
        0xeeb0_0a08, // vmov.f32 s0, #3.0
        0xeef0_0a00, // vmov.f32 s1, #2.0
        0xeeb2_ca04, // vmov.f32 s24, #10.0
        0xeef2_ca04, // vmov.f32 s25, #10.0
        0xee01_4b02, // vmla.f64 d4, d1, d2
        0xee01_5b42, // vmls.f64 d5, d1, d2
        0xee11_6b42, // vnmla.f64 d6, d1, d2
        0xee11_7b02, // vnmls.f64 d7, d1, d2
        0xeea1_8b02, // vfma.f64 d8, d1, d2
        0xeea1_9b42, // vfms.f64 d9, d1, d2
        0xee91_ab42, // vfnma.f64 d10, d1, d2
        0xee91_bb02, // vfnms.f64 d11, d1, d2
        0xee10_ca60, // vnmla.f32 s24, s0, s1
        0xeed0_ca20, // vfnms.f32 s25, s0, s1
        0xe120_0070, // bkpt #0
    ]);
    for (c, _) in run(&code, false) {
        let d: Vec<f64> = (4..12).map(|i| f64::from_bits(c.d[i])).collect();
        assert_eq!(d, [16.0, 4.0, -16.0, -4.0, 16.0, 4.0, -16.0, -4.0]);
        let s24 = f32::from_bits(c.d[12] as u32);
        let s25 = f32::from_bits((c.d[12] >> 32) as u32);
        assert_eq!((s24, s25), (-16.0, -4.0));
    }
}

/// NEON moves, integer and float arithmetic, a saturating add (FPSCR.QC),
/// VDUP, VCNT/VREV and VLD1/VST1 with writeback, in A32 and T32: the
/// values follow the Arm ARM's pseudocode for each instruction.
fn check_neon(c: &CpuState, m: &[u8], code: &[u8]) {
    let rep = |v: u64| v | v << 32;
    assert_eq!(c.d[0], 0x8181_8181_8181_8181);
    assert_eq!((c.d[2], c.d[3]), (rep(0x00ab_0000), rep(0x00ab_0000)));
    assert_eq!(c.d[4], 0xffff_ffed_ffff_ffed);
    assert_eq!(c.d[5], 0x1234_1234_1234_1234);
    assert_eq!(c.d[6], 0x93b5_93b5_93b5_93b5);
    assert_eq!(c.d[7], u64::MAX);
    assert_ne!(c.fpscr & 1 << 27, 0, "QC");
    assert_eq!((c.d[8], c.d[9]), (0, 0));
    assert_eq!((c.d[10], c.d[11], c.d[12]), (u64::MAX, 0, c.d[5]));
    assert_eq!(c.d[14], 0x5a90_5a90_5a90_5a90);
    assert_eq!(c.d[15], 0x8181_8181_8181_8181);
    assert_eq!((c.d[16], c.d[17]), (0x0202_0202_0202_0202, c.d[0]));
    assert_eq!((c.d[18], c.d[19]), (rep(0x3fc0_0000), rep(0x3fc0_0000)));
    assert_eq!((c.d[20], c.d[21]), (rep(0x4040_0000), rep(0x4040_0000)));
    assert_eq!((c.d[22], c.d[23]), (rep(0x4010_0000), c.d[5]));
    for k in 0..3 {
        let want = u64::from_le_bytes(code[8 * k..8 * k + 8].try_into().unwrap());
        assert_eq!(c.d[24 + k], want, "d{}", 24 + k);
    }
    assert_eq!((c.r[0], c.r[2]), (CODE as u32 + 24, 0x8004));
    assert_eq!(&m[0x8000..0x8008], &c.d[5].to_le_bytes());
    assert_eq!(&m[0x8008..0x8010], &c.d[6].to_le_bytes());
}

#[test]
fn neon_a32() {
    let code = words(&[
        0xe3a0_0a01, // mov r0, #4096
        0xe301_1234, // movw r1, #4660
        0xe3a0_2902, // mov r2, #32768
        0xe3a0_3004, // mov r3, #4
        0xf380_0e11, // vmov.i8 d0, #129
        0xf382_245b, // vmov.i32 q1, #11206656
        0xf281_4032, // vmvn.i32 d4, #18
        0xee85_1b30, // vdup.16 d5, r1
        0xf200_6805, // vadd.i8 d6, d0, d5
        0xf300_7010, // vqadd.u8 d7, d0, d0
        0xf322_8842, // vsub.i32 q4, q1, q1
        0xf315_a815, // vceq.i16 d10, d5, d5
        0xf200_b305, // vcgt.s8 d11, d0, d5
        0xf31d_c405, // vshl.u16 d12, d5, d13
        0xf215_e915, // vmul.i16 d14, d5, d5
        0xf3b7_fc00, // vdup.8 d15, d0[3]
        0xf3f0_0500, // vcnt.8 d16, d0
        0xf3f0_1080, // vrev32.8 d17, d0
        0xf2c7_2f58, // vmov.f32 q9, #1.5
        0xf242_4de2, // vadd.f32 q10, q9, q9
        0xf242_6db2, // vmla.f32 d22, d18, d18
        0xf265_7115, // vorr d23, d5, d5
        0xf460_860d, // vld1.8 {d24-d26}, [r0]!
        0xf402_5a83, // vst1.32 {d5-d6}, [r2], r3
        0xe120_0070, // bkpt 0x0000
    ]);
    for (c, m) in run(&code, false) {
        check_neon(&c, &m, &code);
    }
}

#[test]
fn neon_t32() {
    let code = halves(&[
        0xf44f, 0x5080, // mov.w r0, #4096
        0xf241, 0x2134, // movw r1, #4660
        0xf44f, 0x4200, // mov.w r2, #32768
        0xf04f, 0x0304, // mov.w r3, #4
        0xff80, 0x0e11, // vmov.i8 d0, #129
        0xff82, 0x245b, // vmov.i32 q1, #11206656
        0xef81, 0x4032, // vmvn.i32 d4, #18
        0xee85, 0x1b30, // vdup.16 d5, r1
        0xef00, 0x6805, // vadd.i8 d6, d0, d5
        0xff00, 0x7010, // vqadd.u8 d7, d0, d0
        0xff22, 0x8842, // vsub.i32 q4, q1, q1
        0xff15, 0xa815, // vceq.i16 d10, d5, d5
        0xef00, 0xb305, // vcgt.s8 d11, d0, d5
        0xff1d, 0xc405, // vshl.u16 d12, d5, d13
        0xef15, 0xe915, // vmul.i16 d14, d5, d5
        0xffb7, 0xfc00, // vdup.8 d15, d0[3]
        0xfff0, 0x0500, // vcnt.8 d16, d0
        0xfff0, 0x1080, // vrev32.8 d17, d0
        0xefc7, 0x2f58, // vmov.f32 q9, #1.5
        0xef42, 0x4de2, // vadd.f32 q10, q9, q9
        0xef42, 0x6db2, // vmla.f32 d22, d18, d18
        0xef65, 0x7115, // vorr d23, d5, d5
        0xf960, 0x860d, // vld1.8 {d24-d26}, [r0]!
        0xf902, 0x5a83, // vst1.32 {d5-d6}, [r2], r3
        0xbe00, // bkpt 0x0000
    ]);
    for (c, m) in run(&code, true) {
        check_neon(&c, &m, &code);
    }
}

/// VLD1 to one lane and to all lanes, VST1 from one lane (the code's own
/// first bytes are the data).
fn check_neon_lanes(c: &CpuState, m: &[u8], code: &[u8]) {
    let h = u64::from(u16::from_le_bytes([code[0], code[1]]));
    let w = u64::from(u32::from_le_bytes(code[0..4].try_into().unwrap()));
    assert_eq!(c.d[1], 0xeeee_0000_eeee_eeee | h << 32);
    assert_eq!((c.d[2], c.d[3]), (w | w << 32, w | w << 32));
    assert_eq!(c.d[4], u64::from(code[4]) * 0x0101_0101_0101_0101);
    assert_eq!((c.r[0], c.r[2]), (CODE as u32 + 4, 0x8001));
    assert_eq!(m[0x8000], code[1]);
    assert_eq!(&m[0x8001..0x8005], &code[0..4]);
}

#[test]
fn neon_lanes_a32_t32() {
    let a32 = words(&[
        0xe3a0_0a01, // mov r0, #4096
        0xe3a0_2902, // mov r2, #32768
        0xf386_1e1e, // vmov.i8 d1, #238
        0xf4a0_148f, // vld1.16 {d1[2]}, [r0]
        0xf4a0_2cad, // vld1.32 {d2[]-d3[]}, [r0]!
        0xf4a0_4c0f, // vld1.8 {d4[]}, [r0]
        0xf482_10ad, // vst1.8 {d1[5]}, [r2]!
        0xf482_288f, // vst1.32 {d2[1]}, [r2]
        0xe120_0070, // bkpt 0x0000
    ]);
    for (c, m) in run(&a32, false) {
        check_neon_lanes(&c, &m, &a32);
    }
    let t32 = halves(&[
        0xf44f, 0x5080, // mov.w r0, #4096
        0xf44f, 0x4200, // mov.w r2, #32768
        0xff86, 0x1e1e, // vmov.i8 d1, #238
        0xf9a0, 0x148f, // vld1.16 {d1[2]}, [r0]
        0xf9a0, 0x2cad, // vld1.32 {d2[]-d3[]}, [r0]!
        0xf9a0, 0x4c0f, // vld1.8 {d4[]}, [r0]
        0xf982, 0x10ad, // vst1.8 {d1[5]}, [r2]!
        0xf982, 0x288f, // vst1.32 {d2[1]}, [r2]
        0xbe00, // bkpt 0x0000
    ]);
    for (c, m) in run(&t32, true) {
        check_neon_lanes(&c, &m, &t32);
    }
}

/// NEON shifts by an immediate: arithmetic right, accumulate, insert,
/// narrow, lengthen, rounding.
fn check_neon_shifts(c: &CpuState) {
    assert_eq!(c.d[1], 0xf9f9_f9f9_f9f9_f9f9);
    assert_eq!(c.d[2], 0x0090_0090_0090_0090);
    assert_eq!(c.d[3], 0x9090_90ff_9090_90ff);
    assert_eq!(c.d[6], 0x2020_2020_2020_2020);
    assert_eq!(
        (c.d[8], c.d[9]),
        (0x0090_0090_0090_0090, 0x0090_0090_0090_0090)
    );
    assert_eq!(c.d[10], 0x0505_0505_0505_0505);
}

#[test]
fn neon_shifts_a32_t32() {
    let a32 = words(&[
        0xf381_0e10, // vmov.i8 d0, #144
        0xf28c_1010, // vshr.s8 d1, d0, #4
        0xf380_2810, // vmov.i16 d2, #128
        0xf39d_2112, // vsra.u16 d2, d2, #3
        0xf387_301f, // vmov.i32 d3, #255
        0xf3a8_3510, // vsli.32 d3, d0, #8
        0xf281_4a52, // vmov.i16 q2, #4608
        0xf28c_6814, // vshrn.i16 d6, q2, #4
        0xf388_8a10, // vmovl.u8 q4, d0
        0xf38b_a210, // vrshr.u8 d10, d0, #5
        0xe120_0070, // bkpt 0x0000
    ]);
    for (c, _) in run(&a32, false) {
        check_neon_shifts(&c);
    }
    let t32 = halves(&[
        0xff81, 0x0e10, // vmov.i8 d0, #144
        0xef8c, 0x1010, // vshr.s8 d1, d0, #4
        0xff80, 0x2810, // vmov.i16 d2, #128
        0xff9d, 0x2112, // vsra.u16 d2, d2, #3
        0xff87, 0x301f, // vmov.i32 d3, #255
        0xffa8, 0x3510, // vsli.32 d3, d0, #8
        0xef81, 0x4a52, // vmov.i16 q2, #4608
        0xef8c, 0x6814, // vshrn.i16 d6, q2, #4
        0xff88, 0x8a10, // vmovl.u8 q4, d0
        0xff8b, 0xa210, // vrshr.u8 d10, d0, #5
        0xbe00, // bkpt 0x0000
    ]);
    for (c, _) in run(&t32, true) {
        check_neon_shifts(&c);
    }
}
