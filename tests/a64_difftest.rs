//! Random-instruction differential test of the AArch64 frontend against
//! `qemu-aarch64 -cpu max` (framework in tests/difftest/, generator in
//! tests/difftest/a64/). CI runs a fixed seed and budget; locally:
//!
//! `MIMIC_DIFFTEST_SEED=0x1234 MIMIC_DIFFTEST_INSNS=1000000 cargo test
//! --release --test a64_difftest -- --nocapture`
//!
//! Skipped (with a message) when qemu-aarch64 is not installed.

mod common;
mod difftest;

const CI_SEED: u64 = 0x6d69_6d69_6330_0001;
const CI_INSNS: usize = 130_000;

fn have_qemu() -> bool {
    std::process::Command::new("qemu-aarch64")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

#[test]
fn a64_random_instructions_match_qemu() {
    if !have_qemu() {
        eprintln!(
            "a64_difftest: SKIPPED: qemu-aarch64 not found (scripts/test installs qemu-user)"
        );
        return;
    }
    let cfg = difftest::Config::from_env(CI_SEED, CI_INSNS);
    let s = difftest::run(&difftest::a64::A64, &cfg);
    eprintln!(
        "a64_difftest: seed {:#x}: {} random instructions ({} executed before a fault or the end) in {} cases ({} batches, {} ended by a signal) on {:?} vs QEMU in {:.1?}; {} unexplained disagreements",
        cfg.seed, s.random_insns, s.executed, s.cases, s.batches, s.faulting_cases, cfg.backends, s.elapsed, s.failures
    );
    for (name, n) in &s.known_hits {
        if *n > 0 {
            eprintln!("a64_difftest: known difference {name}: {n} cases");
        }
    }
    assert!(s.failures == 0, "{}", s.report);
}

#[test]
fn known_list_parses() {
    let l = difftest::Target::known(&difftest::a64::A64);
    for e in &l.entries {
        assert!(!e.fields.is_empty(), "{}: no fields", e.name);
    }
}
