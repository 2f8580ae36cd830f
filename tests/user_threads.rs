//! Guest threads and signals under configurations the generic guest-program
//! run does not cover: the threads stress test on a CPU model without LSE
//! atomics (`-cpu cortex-a53`: libgcc's outline atomics then run
//! load-exclusive/store-exclusive loops under real concurrency), and the
//! precise-fault and signal tests with one instruction per block.
//! Expectations are the native runs' (build/guest/expected).

mod common;

use common::*;

fn case(name: &str, variant: &str, extra: &[&str], args: &[&str]) -> Vec<String> {
    let dir = repo_root().join("build/guest");
    let bin = dir.join("aarch64").join(format!("{name}-{variant}"));
    assert!(
        bin.is_file(),
        "{} is missing: run scripts/build-guests",
        bin.display()
    );
    let want = std::fs::read(dir.join("expected").join(format!("{name}.out")))
        .expect("expected output (run scripts/build-guests)");
    let status: i32 = std::fs::read_to_string(dir.join("expected").join(format!("{name}.status")))
        .map(|s| s.trim().parse().unwrap())
        .unwrap_or(0);
    let mut failures = Vec::new();
    for runner in runners() {
        let cwd = temp_dir("user-threads");
        let mut argv = runner.argv.clone();
        argv.extend(extra.iter().map(|s| s.to_string()));
        argv.push(bin.to_string_lossy().into_owned());
        argv.extend(args.iter().map(|s| s.to_string()));
        let out = run(&argv, &cwd, None, timeout());
        let _ = std::fs::remove_dir_all(&cwd);
        let label = format!("{name}-{variant} {}", extra.join(" "));
        failures.extend(check(&label, &runner, &out, &want, status));
    }
    failures
}

#[test]
fn threads_with_ll_sc_atomics() {
    let f = case("threads", "O2", &["-cpu", "cortex-a53"], &[]);
    report("threads on cortex-a53", 1, &f);
}

#[test]
fn faults_and_signals_one_insn_per_block() {
    let mut f = case("segv", "O2", &["-one-insn-per-tb"], &[]);
    f.extend(case("signals", "O0", &["-one-insn-per-tb"], &[]));
    report("segv and signals with -one-insn-per-tb", 2, &f);
}
