//! Per-instruction tests for the bugs the random differential test against
//! QEMU (tests/arm_difftest.rs) found, one test per fixed instruction form.
//! Encodings from GNU as, the source in comments; expected values from the
//! Arm architecture reference manual.

mod harness;

use harness::{halves, run, run_to_exit, words, CODE};
use target_arm::cpu::excp;
use tcg::exec::GuestExit;

#[test]
fn t32_msr_apsr_each_mask() {
    // T32 MSR (register) takes mask = hw2[11:10]; mask 01 (APSR_g) and 10
    // (APSR_nzcvq) were UNDEFINED.
    let code = halves(&[
        0xf44f, 0x2070, // mov.w r0, #0xf0000
        0xf380, 0x8400, // msr APSR_g, r0
        0xf3ef, 0x8100, // mrs r1, APSR
        0xf04f, 0x4270, // mov.w r2, #0xf0000000
        0xf382, 0x8800, // msr APSR_nzcvq, r2
        0xf3ef, 0x8300, // mrs r3, APSR
        0xbe00, // bkpt #0
    ]);
    for (c, _) in run(&code, true) {
        assert_eq!(c.r[1] & 0xf80f_0000, 0x000f_0000, "GE written alone");
        assert_eq!(c.r[3] & 0xf80f_0000, 0xf00f_0000, "NZCVQ written, GE kept");
    }
}

#[test]
fn vfp_vcvt_to_16bit_fixed_point() {
    // VCVT.{S,U}16.F{32,64} #fbits saturates to 16 bits and extends the
    // result to the register (S: 32 bits, D: 64); it was UNDEFINED.
    let code = words(&[
        0xe308_0000, // movw r0, #0x8000
        0xe34c_053b, // movt r0, #0xc53b      (-3000.0)
        0xee00_0a10, // vmov s0, r0
        0xeebe_0a46, // vcvt.s16.f32 s0, s0, #4   (-48000: saturates)
        0xe308_0000, // movw r0, #0x8000
        0xe344_02c9, // movt r0, #0x42c9      (100.75)
        0xee00_0a90, // vmov s1, r0
        0xeeff_0a67, // vcvt.u16.f32 s1, s1, #1   (201.5 -> 201)
        0xe3a0_0000, // mov r0, #0
        0xe300_1000, // movw r1, #0
        0xe34c_1004, // movt r1, #0xc004      (-2.5)
        0xec41_0b11, // vmov d1, r0, r1
        0xeebe_1b48, // vcvt.s16.f64 d1, d1, #0   (-2)
        0xe343_1fe0, // movt r1, #0x3fe0      (0.5)
        0xec41_0b12, // vmov d2, r0, r1
        0xeebf_2b40, // vcvt.u16.f64 d2, d2, #16  (0x8000)
        0xeef1_4a10, // vmrs r4, fpscr
        0xe120_0070, // bkpt #0
    ]);
    for (c, _) in run(&code, false) {
        assert_eq!(
            c.d[0], 0x0000_00c9_ffff_8000,
            "s0 saturated and sign-extended, s1"
        );
        assert_eq!(c.d[1], 0xffff_ffff_ffff_fffe, "sign-extended to 64 bits");
        assert_eq!(c.d[2], 0x8000);
        assert_eq!(c.r[4] & 0x9f, 0x11, "IOC (saturation) and IXC");
    }
}

#[test]
fn vfp_vcvt_from_fixed_point_rounds_to_nearest() {
    // VCVT from fixed point rounds to nearest even whatever FPSCR.RMode
    // (FixedToFP(..., FPRounding_TIEEVEN)); it used FPSCR's mode. The
    // integer form keeps FPSCR's mode.
    let code = words(&[
        0xe3a0_0503, // mov r0, #0xc00000     (RMode = round towards zero)
        0xeee1_0a10, // vmsr fpscr, r0
        0xe3e0_1000, // mvn r1, #0
        0xee00_1a10, // vmov s0, r1
        0xee00_1a90, // vmov s1, r1
        0xeebb_0aef, // vcvt.f32.u32 s0, s0, #1   (2147483647.5)
        0xeef8_0a60, // vcvt.f32.u32 s1, s1       (4294967295)
        0xe120_0070, // bkpt #0
    ]);
    for (c, _) in run(&code, false) {
        assert_eq!(c.d[0] as u32, 0x4f00_0000, "fixed point: nearest");
        assert_eq!((c.d[0] >> 32) as u32, 0x4f7f_ffff, "integer: FPSCR's RZ");
    }
}

#[test]
fn a32_pld_register_needs_bit4_clear() {
    // PLD (register) has bit 4 = 0; with bit 4 set the unconditional
    // encoding is unallocated (UNDEFINED). It ran as a NOP.
    let code = words(&[
        0xf7d1_f182, // pld [r1, r2, lsl #3]
        0xf7d1_fff1, // (unallocated)
        0xe120_0070, // bkpt #0
    ]);
    for (r, c, _) in run_to_exit(&code, false) {
        assert_eq!(r, GuestExit::Guest(excp::UDEF));
        assert_eq!(c.pc, CODE + 4);
    }
}

#[test]
fn vfp_doubleword_transfers_big_endian() {
    // With big-endian data (SETEND BE) a VLDR/VSTR/VLDM/VSTM doubleword is
    // big-endian as a whole: the word at the lower address is the high
    // half. Mimic kept the little-endian word order.
    let code = words(&[
        0xe302_1000, // movw r1, #0x2000
        0xe300_2201, // movw r2, #0x0201
        0xe340_2403, // movt r2, #0x0403
        0xe300_3605, // movw r3, #0x0605
        0xe340_3807, // movt r3, #0x0807
        0xe1c1_20f0, // strd r2, r3, [r1]      (bytes 01 02 .. 08)
        0xf101_0200, // setend be
        0xed91_0b00, // vldr d0, [r1]
        0xed81_0b02, // vstr d0, [r1, #8]
        0xec91_1b02, // vldmia r1, {d1}
        0xf101_0000, // setend le
        0xe120_0070, // bkpt #0
    ]);
    for (c, m) in run(&code, false) {
        assert_eq!(c.d[0], 0x0102_0304_0506_0708);
        assert_eq!(c.d[1], 0x0102_0304_0506_0708);
        assert_eq!(&m[0x2008..0x2010], &[1, 2, 3, 4, 5, 6, 7, 8]);
    }
}
