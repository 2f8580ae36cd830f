//! Alignment faults of exclusives, acquire/release and atomic accesses, and
//! FEAT_LSE2 (tests/guest/aarch64-c/lse2.c), per CPU model and backend:
//! `max` has LSE2 (misaligned acquire/release and atomics inside a 16-byte
//! granule work and stay atomic; 16-byte aligned LDP/STP pairs are never
//! torn), `neoverse-n1` and `cortex-a72` do not (every misaligned one is
//! SIGBUS/BUS_ADRALN). The two models without LSE2 expect what
//! qemu-aarch64 7.2 prints, except LDAPR, whose alignment check QEMU 7.2
//! lacks; `max`'s expectation follows the architecture (QEMU 7.2 has no
//! LSE2).

mod common;

use common::*;

#[test]
fn lse2_and_alignment_faults() {
    let bin = repo_root().join("build/guest/aarch64-c/lse2");
    assert!(
        bin.is_file(),
        "{} is missing: run scripts/build-guests",
        bin.display()
    );
    let mut failures = Vec::new();
    let mut total = 0;
    for cpu in ["max", "neoverse-n1", "cortex-a72"] {
        let want =
            std::fs::read(repo_root().join(format!("tests/guest/aarch64-c/lse2.{cpu}.expected")))
                .expect("expected output");
        for runner in runners() {
            total += 1;
            let cwd = temp_dir("lse2");
            let mut argv = runner.argv.clone();
            argv.extend(["-cpu".to_string(), cpu.to_string()]);
            argv.push(bin.to_string_lossy().into_owned());
            let out = run(&argv, &cwd, None, timeout());
            let _ = std::fs::remove_dir_all(&cwd);
            failures.extend(check(&format!("lse2 -cpu {cpu}"), &runner, &out, &want, 0));
        }
    }
    report("lse2 alignment", total, &failures);
}
