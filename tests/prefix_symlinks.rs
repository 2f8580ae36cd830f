//! Absolute symlinks inside a `-L PREFIX` tree resolve inside the prefix,
//! for directories and files, in every lookup a guest makes (stat, lstat,
//! fstatat with AT_SYMLINK_NOFOLLOW, open with and without O_NOFOLLOW,
//! readlink, access, execve), following the final link exactly where the
//! syscall does; a link loop is ELOOP. Probe: tests/guest/prefix/path_probe.c
//! (static), built here. Both backends.
//!
//! Needs aarch64-linux-gnu-gcc (scripts/test installs it).

mod common;

use std::os::unix::fs::symlink;
use std::path::Path;
use std::process::Command;

fn build_probe(out: &Path) {
    let src = common::repo_root().join("tests/guest/prefix/path_probe.c");
    let st = Command::new("aarch64-linux-gnu-gcc")
        .args(["-O2", "-static", "-o"])
        .arg(out)
        .arg(&src)
        .status()
        .unwrap_or_else(|e| panic!("aarch64-linux-gnu-gcc: {e} (scripts/test installs it)"));
    assert!(st.success());
}

/// The prefix: a data file, a directory reached through an absolute
/// symlink (`/lib64 -> /lib`), absolute and relative file links, a dangling
/// link, a two-link loop, and the probe itself behind an absolute link.
fn make_prefix(p: &Path, probe: &Path) {
    for d in ["data", "lib", "opt", "bin"] {
        std::fs::create_dir_all(p.join(d)).unwrap();
    }
    std::fs::write(p.join("data/file.txt"), "in-prefix\n").unwrap();
    std::fs::write(p.join("lib/real.txt"), "real\n").unwrap();
    symlink("/lib", p.join("lib64")).unwrap();
    symlink("/data/file.txt", p.join("lib/abs.txt")).unwrap();
    symlink("../data/file.txt", p.join("lib/rel.txt")).unwrap();
    symlink("/lib64/abs.txt", p.join("data/chain.txt")).unwrap();
    symlink("/nonexistent", p.join("dangling")).unwrap();
    symlink("/loop2", p.join("loop1")).unwrap();
    symlink("/loop1", p.join("loop2")).unwrap();
    std::fs::copy(probe, p.join("opt/probe")).unwrap();
    symlink("/opt/probe", p.join("bin/probe")).unwrap();
}

const CASES: &[(&str, &str)] = &[
    ("stat:/lib64", "dir"),
    ("lstat:/lib64", "link 4"),
    ("readlink:/lib64", "\"/lib\""),
    ("stat:/lib64/real.txt", "file 5"),
    ("read:/lib64/real.txt", "\"real\""),
    ("read:/lib/abs.txt", "\"in-prefix\""),
    ("read:/lib64/abs.txt", "\"in-prefix\""),
    ("read:/lib64/rel.txt", "\"in-prefix\""),
    ("read:/data/chain.txt", "\"in-prefix\""),
    ("stat:/lib64/abs.txt", "file 10"),
    ("lstat:/lib64/abs.txt", "link 14"),
    ("nofollowat:/lib64/abs.txt", "link 14"),
    ("readlink:/lib64/abs.txt", "\"/data/file.txt\""),
    ("readnofollow:/lib64/abs.txt", "ELOOP"),
    ("readnofollow:/lib64/real.txt", "\"real\""),
    ("access:/lib64/abs.txt", "ok"),
    ("stat:/dangling", "ENOENT"),
    ("lstat:/dangling", "link 12"),
    ("stat:/loop1", "ELOOP"),
    ("lstat:/loop1", "link 6"),
    ("read:/loop1/x", "ELOOP"),
    ("exec:/bin/probe", "child ok"),
];

#[test]
fn absolute_symlinks_resolve_inside_the_prefix() {
    let dir = common::temp_dir("prefix-links");
    let probe = dir.join("path_probe");
    build_probe(&probe);
    let prefix = dir.join("prefix");
    make_prefix(&prefix, &probe);
    let args: Vec<&str> = CASES.iter().map(|c| c.0).collect();
    for backend in ["interp", "jit"] {
        let o = Command::new(common::mimic_bin())
            .args(["run", "--backend", backend, "-L"])
            .arg(&prefix)
            .arg(&probe)
            .args(&args)
            .env_remove("QEMU_LD_PREFIX")
            .env_remove("MIMIC_LD_PREFIX")
            .output()
            .expect("run mimic");
        let out = String::from_utf8_lossy(&o.stdout);
        assert!(
            o.status.success(),
            "{backend}: status {:?}, stdout {out}, stderr {}",
            o.status,
            String::from_utf8_lossy(&o.stderr)
        );
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines.len(), CASES.len(), "{backend}: {out}");
        for ((arg, want), line) in CASES.iter().zip(&lines) {
            let (op, path) = arg.split_once(':').unwrap();
            assert_eq!(*line, format!("{op} {path}: {want}"), "{backend}");
        }
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
