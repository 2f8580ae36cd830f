//! Per-instruction tests for the bugs the random differential test against
//! QEMU (tests/arm_difftest.rs) found, one test per fixed instruction form.
//! Encodings from GNU as, the source in comments; expected values from the
//! Arm architecture reference manual.

mod harness;

use harness::{halves, run};

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
