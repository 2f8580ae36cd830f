//! Runs every guest program built by `scripts/build-guests` under Mimic,
//! with each backend, and compares stdout and the exit status:
//!
//! - `build/guest/aarch64/NAME-{O0,O2,O3,pie}` against the native run of the
//!   same source (`build/guest/expected/NAME.out` / `.status`), with the
//!   arguments in `tests/guest/NAME.args` if present;
//! - `build/guest/asm/NAME` against the checked-in
//!   `tests/guest/aarch64/NAME.expected` (and `NAME.status`, default 0).
//!
//! Every case runs in its own empty temp directory with stdin from
//! /dev/null; failures are collected and reported together. See
//! tests/common/mod.rs for the environment variables (MIMIC_TEST_RUNNER=
//! qemu-aarch64 validates the expectations against QEMU).

mod common;

use common::*;
use std::path::{Path, PathBuf};

struct Case {
    name: String,
    bin: PathBuf,
    args: Vec<String>,
    want_stdout: Vec<u8>,
    want_status: i32,
}

fn guest_dir() -> PathBuf {
    let d = repo_root().join("build/guest");
    if !d.join("aarch64").is_dir() || !d.join("expected").is_dir() {
        panic!(
            "{} is missing: the guest programs are not built. Run scripts/test (or scripts/build-guests) first.",
            d.display()
        );
    }
    d
}

fn read_status(p: &Path) -> i32 {
    match std::fs::read_to_string(p) {
        Ok(s) => s
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("bad status file {}", p.display())),
        Err(_) => 0,
    }
}

fn read_args(name: &str) -> Vec<String> {
    let p = repo_root().join("tests/guest").join(format!("{name}.args"));
    match std::fs::read_to_string(&p) {
        Ok(s) => s.lines().map(str::to_string).collect(),
        Err(_) => Vec::new(),
    }
}

fn c_cases() -> Vec<Case> {
    let dir = guest_dir();
    let mut bins: Vec<PathBuf> = std::fs::read_dir(dir.join("aarch64"))
        .expect("read build/guest/aarch64")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file() && !p.to_string_lossy().contains(".tmp."))
        .collect();
    bins.sort();
    let mut cases = Vec::new();
    for bin in bins {
        let file = bin.file_name().unwrap().to_string_lossy().into_owned();
        let Some((name, _variant)) = file.rsplit_once('-') else {
            continue;
        };
        let out = dir.join("expected").join(format!("{name}.out"));
        let want_stdout = std::fs::read(&out).unwrap_or_else(|_| {
            panic!(
                "{} is missing: run scripts/build-guests (needs the native compiler)",
                out.display()
            )
        });
        let want_status = read_status(&dir.join("expected").join(format!("{name}.status")));
        cases.push(Case {
            name: file.clone(),
            bin,
            args: read_args(name),
            want_stdout,
            want_status,
        });
    }
    assert!(
        !cases.is_empty(),
        "no guest programs in {}: run scripts/build-guests",
        dir.join("aarch64").display()
    );
    cases
}

fn asm_cases() -> Vec<Case> {
    let dir = guest_dir().join("asm");
    let src = repo_root().join("tests/guest/aarch64");
    let mut names: Vec<String> = std::fs::read_dir(&src)
        .expect("read tests/guest/aarch64")
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            e.file_name()
                .to_str()
                .and_then(|n| n.strip_suffix(".S"))
                .map(str::to_string)
        })
        .collect();
    names.sort();
    let mut cases = Vec::new();
    for name in names {
        let bin = dir.join(&name);
        assert!(
            bin.is_file(),
            "{} is missing: run scripts/build-guests",
            bin.display()
        );
        let exp = src.join(format!("{name}.expected"));
        let want_stdout =
            std::fs::read(&exp).unwrap_or_else(|_| panic!("{} is missing", exp.display()));
        let want_status = read_status(&src.join(format!("{name}.status")));
        cases.push(Case {
            name: format!("asm/{name}"),
            bin,
            args: Vec::new(),
            want_stdout,
            want_status,
        });
    }
    assert!(!cases.is_empty(), "no assembly tests in {}", src.display());
    cases
}

fn run_cases(what: &str, cases: Vec<Case>) {
    run_cases_with(what, cases, runners());
}

fn run_cases_with(what: &str, cases: Vec<Case>, runners: Vec<Runner>) {
    let work: Vec<(&Case, &Runner)> = cases
        .iter()
        .filter(|c| filter_matches(&c.name))
        .flat_map(|c| runners.iter().map(move |r| (c, r)))
        .collect();
    let limit = timeout();
    let results = parallel_map(&work, jobs(), |(case, runner)| {
        let cwd = temp_dir("guest");
        let mut argv = runner.argv.clone();
        argv.push(case.bin.to_string_lossy().into_owned());
        argv.extend(case.args.iter().cloned());
        let out = run(&argv, &cwd, None, limit);
        let _ = std::fs::remove_dir_all(&cwd);
        check(
            &case.name,
            runner,
            &out,
            &case.want_stdout,
            case.want_status,
        )
    });
    let failures: Vec<String> = results.into_iter().flatten().collect();
    report(what, work.len(), &failures);
}

#[test]
fn c_guest_programs() {
    run_cases("C guest program runs", c_cases());
}

#[test]
fn asm_guest_programs() {
    run_cases("assembly guest program runs", asm_cases());
}

/// The default tiered backend with a compile threshold of 2, so even short
/// programs move blocks from the interpreter to the JIT mid-run and compile
/// hot loops as regions (several blocks in one function, see
/// tcg/src/exec.rs `region_members`): -O2 builds and the assembly tests.
#[test]
fn tiered_guest_programs() {
    run_o2_and_asm(
        "tiered",
        "auto,threshold=2",
        "MIMIC_JIT_THRESHOLD=2",
        "auto",
    );
}

/// The IR interpreter itself (`MIMIC_TEMPLATE=0`): tier 0 normally runs
/// blocks as template code, and the interpreter only when the template
/// arena is full, so the other tests here would not notice it breaking.
/// -O2 builds and the assembly tests.
#[test]
fn ir_interpreter_guest_programs() {
    run_o2_and_asm(
        "IR interpreter",
        "interp,MIMIC_TEMPLATE=0",
        "MIMIC_TEMPLATE=0",
        "interp",
    );
}

/// Runs the -O2 builds and the assembly tests with one `VAR=VALUE` in the
/// environment on `backend` (not with a `MIMIC_TEST_RUNNER` of the caller's).
fn run_o2_and_asm(what: &str, label: &str, var: &str, backend: &str) {
    if std::env::var_os("MIMIC_TEST_RUNNER").is_some() {
        return;
    }
    let runner = Runner {
        label: label.into(),
        argv: vec![
            "env".into(),
            var.into(),
            mimic_bin().to_string_lossy().into_owned(),
            "run".into(),
            "--backend".into(),
            backend.into(),
        ],
    };
    let mut cases: Vec<Case> = c_cases()
        .into_iter()
        .filter(|c| c.name.ends_with("-O2"))
        .collect();
    cases.extend(asm_cases());
    run_cases_with(&format!("{what} guest program runs"), cases, vec![runner]);
}
