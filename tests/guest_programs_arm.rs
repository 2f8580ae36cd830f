//! Runs the 32-bit Arm (armhf) builds of the guest programs under Mimic,
//! with each backend, and compares stdout and the exit status with the
//! native run of the same source (as `guest_programs.rs` does for AArch64):
//!
//! - `build/guest/armhf/NAME-arm` (`-marm -O2 -static`),
//! - `build/guest/armhf/NAME-thumb` (`-mthumb -O2 -static`),
//! - `build/guest/armhf/NAME-dyn` (`-mthumb -O2`, dynamic, run with
//!   `-L /usr/arm-linux-gnueabihf`),
//! - the NEON programs of `tests/guest/arm/` (`-arm`, `-thumb`);
//!
//! and the armel (soft-float EABI, ARMv5TE code) builds with `-cpu
//! arm1176` (ARMv6K, VFPv2, no NEON), against `qemu-arm -cpu arm1176`:
//!
//! - `build/guest/armel/NAME-static` (`arm-linux-gnueabi-gcc -O2 -static`),
//! - `build/guest/armel/NAME-dyn` (dynamic, `-L /usr/arm-linux-gnueabi`).
//!
//! The expected output is the native run's, except where `qemu-arm` is
//! installed: then it is QEMU's run of the same binary (programs print
//! `long`-sized values, which differ on a 32-bit ABI), except for the
//! programs of `NATIVE_REFERENCE`, where QEMU differs from Linux. Programs
//! that do not match yet are listed in `KNOWN_FAILING` with the reason,
//! and skipped (with a note).
//!
//! Programs marked `// guest-32bit: skip (why)` are not built for Arm.
//! Skips (with a note) when `scripts/build-guests` found no
//! `arm-linux-gnueabihf-gcc`. `MIMIC_TEST_RUNNER=qemu-arm` validates the
//! expectations against QEMU (the `NATIVE_REFERENCE` programs then fail,
//! for the reasons listed).

mod common;

use common::*;
use std::os::unix::process::ExitStatusExt;
use std::path::PathBuf;

/// Not matching the reference yet (open bugs, each with what is wrong).
const KNOWN_FAILING: &[(&str, &str)] = &[];

/// Programs whose output is the same on every ABI (no `long`-sized values)
/// and on which `qemu-arm` (7.2) itself differs from Linux: these compare
/// with the native run, as the AArch64 ones do.
const NATIVE_REFERENCE: &[(&str, &str)] = &[
    (
        "segv",
        "QEMU reports SIGBUS past a file mapping's end with a page-aligned si_addr",
    ),
    (
        "sockets_unix",
        "QEMU sizes SCM_RIGHTS space for the host, so a short control buffer is not truncated (no MSG_CTRUNC)",
    ),
    ("procfs", "QEMU's /proc/self/maps does not name the [heap]"),
    (
        "sockets_inet",
        "qemu-arm 7.2 aborts on it (cpu_exec assertion, exit 127)",
    ),
];

struct Case {
    name: String,
    bin: PathBuf,
    args: Vec<String>,
    dynamic: bool,
    want_stdout: Vec<u8>,
    want_status: i32,
}

fn read_args(name: &str) -> Vec<String> {
    let p = repo_root().join("tests/guest").join(format!("{name}.args"));
    match std::fs::read_to_string(&p) {
        Ok(s) => s.lines().map(str::to_string).collect(),
        Err(_) => Vec::new(),
    }
}

/// One 32-bit Arm ABI's builds: their directory under build/guest, the
/// cross sysroot of the dynamic ones, and the `-cpu` both Mimic and QEMU
/// run them with.
struct Abi {
    dir: &'static str,
    sysroot: &'static str,
    cpu: Option<&'static str>,
}

const ARMHF: Abi = Abi {
    dir: "armhf",
    sysroot: "/usr/arm-linux-gnueabihf",
    cpu: None,
};
const ARMEL: Abi = Abi {
    dir: "armel",
    sysroot: "/usr/arm-linux-gnueabi",
    cpu: Some("arm1176"),
};

fn cases(abi: &Abi) -> Option<Vec<Case>> {
    let dir = repo_root().join("build/guest");
    let arm = dir.join(abi.dir);
    if !arm.is_dir() {
        eprintln!(
            "{} is missing (no cross compiler when the guests were built): skipping",
            arm.display()
        );
        return None;
    }
    let mut bins: Vec<PathBuf> = std::fs::read_dir(&arm)
        .expect("read build/guest/armhf")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file() && !p.to_string_lossy().contains(".tmp."))
        .collect();
    bins.sort();
    let mut cases = Vec::new();
    for bin in bins {
        let file = bin.file_name().unwrap().to_string_lossy().into_owned();
        let Some((name, variant)) = file.rsplit_once('-') else {
            continue;
        };
        let out = dir.join("expected").join(format!("{name}.out"));
        let want_stdout = std::fs::read(&out)
            .unwrap_or_else(|_| panic!("{} is missing: run scripts/build-guests", out.display()));
        let want_status =
            std::fs::read_to_string(dir.join("expected").join(format!("{name}.status")))
                .ok()
                .and_then(|s| s.trim().parse().ok())
                .unwrap_or(0);
        let native = NATIVE_REFERENCE.iter().any(|(n, _)| *n == name);
        let (want_stdout, want_status) = match native {
            true => (want_stdout, want_status),
            false => qemu_reference(abi, &bin, name, variant == "dyn")
                .unwrap_or((want_stdout, want_status)),
        };
        cases.push(Case {
            name: format!("{}/{file}", abi.dir),
            bin,
            args: read_args(name),
            dynamic: variant == "dyn",
            want_stdout,
            want_status,
        });
    }
    Some(cases)
}

/// `qemu-arm`'s stdout and status for the binary, when qemu-arm exists.
fn qemu_reference(
    abi: &Abi,
    bin: &std::path::Path,
    name: &str,
    dynamic: bool,
) -> Option<(Vec<u8>, i32)> {
    let mut argv = vec!["qemu-arm".to_string()];
    if let Some(cpu) = abi.cpu {
        argv.push("-cpu".into());
        argv.push(cpu.into());
    }
    if dynamic {
        argv.push("-L".into());
        argv.push(abi.sysroot.into());
    }
    argv.push(bin.to_string_lossy().into_owned());
    argv.extend(read_args(name));
    let cwd = temp_dir("guest-arm-qemu");
    let out = std::process::Command::new(&argv[0])
        .args(&argv[1..])
        .current_dir(&cwd)
        .stdin(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .output()
        .ok();
    let _ = std::fs::remove_dir_all(&cwd);
    let out = out?;
    // 128 + N for death by signal N, as `common::run` reports Mimic's.
    let status = match (out.status.code(), out.status.signal()) {
        (Some(c), _) => c,
        (None, Some(s)) => 128 + s,
        (None, None) => 128,
    };
    Some((out.stdout, status))
}

#[test]
fn armhf_guest_programs() {
    run_abi(&ARMHF);
}

#[test]
fn armel_guest_programs() {
    run_abi(&ARMEL);
}

fn run_abi(abi: &Abi) {
    let Some(cases) = cases(abi) else { return };
    let sysroot = PathBuf::from(abi.sysroot);
    let runners = runners();
    let work: Vec<(&Case, &Runner)> = cases
        .iter()
        .filter(|c| filter_matches(&c.name))
        .filter(|c| !c.dynamic || sysroot.is_dir())
        .filter(|c| {
            let known = KNOWN_FAILING
                .iter()
                .find(|(n, _)| c.name.starts_with(&format!("{}/{n}-", abi.dir)));
            if let Some((_, why)) = known {
                eprintln!("skipped (known failure: {why}): {}", c.name);
            }
            known.is_none()
        })
        .flat_map(|c| runners.iter().map(move |r| (c, r)))
        .collect();
    let limit = timeout();
    let results = parallel_map(&work, jobs(), |(case, runner)| {
        let cwd = temp_dir("guest-arm");
        let mut argv = runner.argv.clone();
        if let Some(cpu) = abi.cpu {
            argv.push("-cpu".into());
            argv.push(cpu.into());
        }
        if case.dynamic {
            argv.push("-L".into());
            argv.push(sysroot.to_string_lossy().into_owned());
        }
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
    report(
        &format!("{} guest program runs", abi.dir),
        work.len(),
        &failures,
    );
}

/// glibc 2.34+ on armhf makes the 64-bit-time calls first
/// (`clock_gettime64`, `clock_nanosleep_time64`, `ppoll_time64`,
/// `futex_time64`...) and falls back to the old ones only on ENOSYS: they
/// must succeed, with 64-bit `timespec` fields.
#[test]
fn armhf_time64_syscalls() {
    let dir = repo_root().join("build/guest/armhf");
    let mut failures = Vec::new();
    let mut total = 0;
    for name in ["time_funcs", "timerfd_signalfd"] {
        let bin = dir.join(format!("{name}-arm"));
        assert!(
            bin.is_file(),
            "{} is missing: run scripts/build-guests",
            bin.display()
        );
        for runner in runners() {
            total += 1;
            let cwd = temp_dir("time64");
            let mut argv = runner.argv.clone();
            argv.push("-strace".into());
            argv.push(bin.to_string_lossy().into_owned());
            argv.extend(read_args(name));
            let out = run(&argv, &cwd, None, timeout());
            let _ = std::fs::remove_dir_all(&cwd);
            let log = String::from_utf8_lossy(&out.stderr);
            let calls: Vec<&str> = log.lines().filter(|l| l.contains("time64(")).collect();
            let ok = calls.iter().any(|l| !l.contains("errno="));
            let enosys: Vec<&&str> = calls.iter().filter(|l| l.contains("errno=38")).collect();
            if !ok || !enosys.is_empty() {
                failures.push(format!(
                    "{name} [{}]: a time64 call succeeded: {ok}; ENOSYS: {:?}",
                    runner.label,
                    enosys.iter().take(3).collect::<Vec<_>>()
                ));
            }
        }
    }
    report("armhf time64 syscalls", total, &failures);
}
