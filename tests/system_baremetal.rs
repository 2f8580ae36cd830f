//! `mimic system -M virt` runs the bare-metal programs of
//! tests/guest/aarch64-system/ (built by scripts/build-guests into
//! build/guest/system/) on both backends and compares their whole UART
//! output with NAME.expected. The programs check exception entry/return,
//! the MMU, the timer and the GIC themselves and end with PSCI SYSTEM_OFF.
//! A `// mimic-args: ...` line in a program adds options after the
//! defaults (`-M virt,gic-version=3 -smp 2`).

mod common;

use common::*;
use std::time::Duration;

fn backends() -> Vec<String> {
    std::env::var("MIMIC_TEST_BACKENDS")
        .unwrap_or_else(|_| "interp,jit".into())
        .split(',')
        .map(str::to_string)
        .collect()
}

#[test]
fn baremetal_programs() {
    let src = repo_root().join("tests/guest/aarch64-system");
    let built = repo_root().join("build/guest/system");
    let mut cases = Vec::new();
    for e in std::fs::read_dir(&src).expect("tests/guest/aarch64-system") {
        let p = e.expect("dir entry").path();
        if p.extension().is_some_and(|x| x == "S") {
            let name = p.file_stem().unwrap().to_string_lossy().into_owned();
            if filter_matches(&name) {
                for b in backends() {
                    cases.push((name.clone(), b));
                }
            }
        }
    }
    assert!(!cases.is_empty() || std::env::var("MIMIC_TEST_FILTER").is_ok());
    let failures: Vec<String> = parallel_map(&cases, jobs(), |(name, backend)| {
        let prog = built.join(name);
        assert!(
            prog.exists(),
            "{} missing: run scripts/build-guests",
            prog.display()
        );
        let want = std::fs::read(src.join(format!("{name}.expected"))).expect("expected output");
        let source = std::fs::read_to_string(src.join(format!("{name}.S"))).expect("source");
        let extra = source
            .lines()
            .find_map(|l| l.strip_prefix("// mimic-args:"))
            .unwrap_or("")
            .split_whitespace()
            .map(str::to_string);
        let mut argv: Vec<String> = [
            mimic_bin().to_string_lossy().into_owned(),
            "system".into(),
            "-M".into(),
            "virt".into(),
            "-cpu".into(),
            "cortex-a57".into(),
            "-nographic".into(),
            "-backend".into(),
            backend.clone(),
            "-kernel".into(),
            prog.to_string_lossy().into_owned(),
        ]
        .to_vec();
        argv.extend(extra);
        let out = run(&argv, &repo_root(), Some(b""), Duration::from_secs(60));
        let runner = Runner {
            label: backend.clone(),
            argv: vec![],
        };
        check(name, &runner, &out, &want, 0)
    })
    .into_iter()
    .flatten()
    .collect();
    report("bare-metal system programs", cases.len(), &failures);
}
