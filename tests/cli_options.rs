//! QEMU's linux-user options keep their meaning: `-seed` makes AT_RANDOM
//! and getrandom repeat, `-s` sizes the stack, `-R` the guest address
//! space, `-B` places it, `-0` sets argv[0], `-version` names the program,
//! `-strace` decodes arguments and errors, and each has its `QEMU_*` /
//! `MIMIC_*` variable. Probe: tests/guest/cli/opts_probe.c, built here.
//! Both backends.

mod common;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn probe(dir: &Path) -> PathBuf {
    let src = common::repo_root().join("tests/guest/cli/opts_probe.c");
    let out = dir.join("opts_probe");
    let st = Command::new("aarch64-linux-gnu-gcc")
        .args(["-O2", "-static", "-o"])
        .arg(&out)
        .arg(&src)
        .status()
        .unwrap_or_else(|e| panic!("aarch64-linux-gnu-gcc: {e} (scripts/test installs it)"));
    assert!(st.success());
    out
}

fn mimic(backend: &str, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut c = Command::new(common::mimic_bin());
    c.args(["run", "--backend", backend]).args(args);
    for k in [
        "QEMU_RAND_SEED",
        "QEMU_STACK_SIZE",
        "QEMU_RESERVED_VA",
        "QEMU_GUEST_BASE",
        "QEMU_STRACE",
    ] {
        c.env_remove(k).env_remove(k.replacen("QEMU_", "MIMIC_", 1));
    }
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().expect("run mimic")
}

fn fields(o: &Output) -> HashMap<String, String> {
    assert!(
        o.status.success(),
        "status {:?}, stderr {}",
        o.status,
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout)
        .lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn stack(f: &HashMap<String, String>) -> (u64, u64) {
    let (lo, hi) = f["stack"].split_once('-').expect("stack line");
    (
        u64::from_str_radix(lo, 16).unwrap(),
        u64::from_str_radix(hi, 16).unwrap(),
    )
}

#[test]
fn seed_stack_reserved_va_base_and_argv0() {
    let dir = common::temp_dir("cli-options");
    let p = probe(&dir);
    let ps = p.to_str().unwrap();
    for backend in ["interp", "jit"] {
        // -seed: both sources repeat; another seed differs; no seed differs.
        let a = fields(&mimic(backend, &["-seed", "7", ps], &[]));
        let b = fields(&mimic(backend, &[ps], &[("QEMU_RAND_SEED", "7")]));
        let c = fields(&mimic(backend, &["-seed", "8", ps], &[]));
        let d = fields(&mimic(backend, &[ps], &[]));
        assert_eq!(a["at_random"], b["at_random"], "{backend}");
        assert_eq!(a["getrandom"], b["getrandom"], "{backend}");
        assert_ne!(a["at_random"], a["getrandom"], "{backend}");
        assert_ne!(a["getrandom"], c["getrandom"], "{backend}");
        assert_ne!(a["getrandom"], d["getrandom"], "{backend}");

        // -s: the stack mapping has that size (QEMU_STACK_SIZE too).
        let s = fields(&mimic(backend, &["-s", "1M", ps], &[]));
        let (lo, hi) = stack(&s);
        assert_eq!(hi - lo, 1 << 20, "{backend}: -s 1M gave {:?}", s["stack"]);
        let s = fields(&mimic(backend, &[ps], &[("MIMIC_STACK_SIZE", "2M")]));
        let (lo, hi) = stack(&s);
        assert_eq!(hi - lo, 2 << 20, "{backend}");

        // -R: the space ends at SIZE, so the stack sits just below it.
        let r = fields(&mimic(backend, &["-R", "256M", ps], &[]));
        let (_, hi) = stack(&r);
        assert_eq!(hi, 256 << 20, "{backend}");
        let local = u64::from_str_radix(&r["local"], 16).unwrap();
        assert!(local < 256 << 20);
        let r = fields(&mimic(
            backend,
            &[ps],
            &[("QEMU_RESERVED_VA", "0x20000000")],
        ));
        assert_eq!(stack(&r).1, 0x2000_0000, "{backend}");

        // -B: the guest runs with its memory at that host address.
        let o = mimic(backend, &["-B", "0x300000000000", ps], &[]);
        assert!(
            o.status.success(),
            "{backend}: -B: {}",
            String::from_utf8_lossy(&o.stderr)
        );

        // -0: argv[0].
        let z = fields(&mimic(backend, &["-0", "other-name", ps], &[]));
        assert_eq!(z["argv0"], "other-name");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn bad_values_get_one_line_errors() {
    let hello = common::repo_root().join("examples/aarch64/hello");
    let h = hello.to_str().unwrap();
    for (args, needle) in [
        (vec!["-R", "1k", h], "between 16 MiB and 1 TiB"),
        (vec!["-B", "0x1001", h], "cannot place guest memory"),
        (vec!["-B", "zz", h], "-B: invalid address 'zz'"),
        (vec!["-g", "notaport", h], "-g: invalid port 'notaport'"),
        (vec!["-seed", "x", h], "invalid seed 'x'"),
        (vec!["-s", "12Q", h], "invalid size"),
    ] {
        let o = mimic("interp", &args, &[]);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(1), "{args:?}: {err}");
        assert!(err.contains(needle), "{args:?}: {err}");
        assert_eq!(err.trim_end().lines().count(), 1, "{args:?}: {err}");
    }
}

#[test]
fn version_names_the_program() {
    let o = Command::new(common::mimic_bin())
        .args(["run", "-version"])
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success());
    assert!(
        out.starts_with(&format!("mimic version {}", env!("CARGO_PKG_VERSION"))),
        "{out}"
    );
}

#[test]
fn strace_decodes_arguments_and_errno_names() {
    let dir = common::temp_dir("cli-strace");
    let p = probe(&dir);
    for backend in ["interp", "jit"] {
        let o = mimic(backend, &["-strace", p.to_str().unwrap()], &[]);
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(o.status.success(), "{err}");
        assert!(
            err.contains(" openat(AT_FDCWD,\"/proc/self/maps\",O_RDONLY) = 3"),
            "{backend}: {err}"
        );
        assert!(err.contains(" getrandom(0x"), "{backend}: {err}");
        assert!(err.contains(" exit_group(0) = ?"), "{backend}: {err}");
        // A failing call: `-1 errno=N (message)`, as QEMU prints it.
        assert!(
            err.contains(
                " openat(AT_FDCWD,\"/nonexistent/mimic-probe\",O_RDONLY) = -1 errno=2 (No such file or directory)"
            ),
            "{backend}: {err}"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// A guest `execve` of a foreign program re-enters Mimic with the options
/// the process tree was started with: the child sees the same `-cpu`
/// model (in /proc/cpuinfo), `-r` release and `-strace`.
#[test]
fn exec_passes_options_on() {
    let bb = common::repo_root().join("build/cache/root/arm64/busybox-static/bin/busybox");
    assert!(
        bb.exists(),
        "{} is missing: run scripts/test (scripts/fetch-debian fetches it)",
        bb.display()
    );
    let bb = bb.to_string_lossy().into_owned();
    let script = format!("{bb} uname -r; {bb} cat /proc/cpuinfo");
    for backend in ["interp", "jit"] {
        let o = mimic(
            backend,
            &[
                "-cpu",
                "cortex-a53",
                "-r",
                "5.99.0-mimic",
                "-strace",
                &bb,
                "sh",
                "-c",
                &script,
            ],
            &[("QEMU_CPU", ""), ("QEMU_UNAME", "")],
        );
        let out = String::from_utf8_lossy(&o.stdout);
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(o.status.success(), "{backend}: {err}");
        assert!(out.starts_with("5.99.0-mimic\n"), "{backend}: {out}");
        // Cortex-A53: part 0xd03, no atomics (LSE) in the feature list.
        assert!(out.contains("CPU part\t: 0xd03"), "{backend}: {out}");
        assert!(!out.contains("atomics"), "{backend}: {out}");
        // The exec'd programs are traced too: each new image starts with
        // glibc's rseq registration (the shell's, then two programs').
        let starts = err.lines().filter(|l| l.contains(" rseq(")).count();
        assert!(
            starts >= 3,
            "{backend}: {starts} program starts traced: {err}"
        );
        // Each exec is logged before it replaces the process.
        let execs = err.lines().filter(|l| l.contains(" execve(\"")).count();
        assert!(execs >= 2, "{backend}: {execs} execve lines: {err}");
    }
}
