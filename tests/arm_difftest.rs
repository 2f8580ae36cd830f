//! Random-instruction differential test of the 32-bit Arm frontend (A32
//! and T32 with IT blocks, VFP) against `qemu-arm -cpu max` (framework in
//! tests/difftest/, generator in tests/difftest/a32/). CI runs a fixed
//! seed and budget; locally:
//!
//! `MIMIC_DIFFTEST_SEED=0x1234 MIMIC_DIFFTEST_INSNS=1000000 cargo test
//! --release --test arm_difftest -- --nocapture`
//!
//! plus `MIMIC_DIFFTEST_ISA=a32|t32` for one instruction set and
//! `MIMIC_DIFFTEST_NEON=W` to add the Advanced SIMD groups with weight W.
//! Skipped (with a message) when qemu-arm is not installed.

mod common;
mod difftest;

const CI_SEED: u64 = 0x6d69_6d69_6333_3201;
const CI_INSNS: usize = 48_000;

fn have_qemu() -> bool {
    std::process::Command::new("qemu-arm")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

#[test]
fn arm_random_instructions_match_qemu() {
    if !have_qemu() {
        eprintln!("arm_difftest: SKIPPED: qemu-arm not found (scripts/test installs qemu-user)");
        return;
    }
    let cfg = difftest::Config::from_env(CI_SEED, CI_INSNS);
    let s = difftest::run(&difftest::a32::A32, &cfg);
    eprintln!(
        "arm_difftest: seed {:#x}: {} random instructions ({} A32, {} T32; {} executed before a fault or the end) in {} cases ({} batches, {} ended by a signal) on {:?} vs QEMU in {:.1?}; {} unexplained disagreements",
        cfg.seed, s.random_insns, s.per_mode[0], s.per_mode[1], s.executed, s.cases, s.batches, s.faulting_cases, cfg.backends, s.elapsed, s.failures
    );
    for (name, n) in &s.known_hits {
        if *n > 0 {
            eprintln!("arm_difftest: known difference {name}: {n} cases");
        }
    }
    assert!(s.failures == 0, "{}", s.report);
}

#[test]
fn known_list_parses() {
    let l = difftest::Target::known(&difftest::a32::A32);
    for e in &l.entries {
        assert!(!e.fields.is_empty(), "{}: no fields", e.name);
    }
}
