//! Dynamically linked AArch64 programs: the guest's ld.so comes from the
//! `-L` prefix (Debian's cross sysroot), via `mimic run -L`, via the binary
//! invoked as `mimic-aarch64`, and via `QEMU_LD_PREFIX`, on both backends.
//! Output must equal the native build's (build/guest/expected).

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

const SYSROOT: &str = "/usr/aarch64-linux-gnu";
const PROGRAMS: &[&str] = &["printf_all", "string_funcs", "math_funcs", "file_io"];

fn build(dir: &Path, name: &str) -> PathBuf {
    let src = common::repo_root()
        .join("tests/guest")
        .join(format!("{name}.c"));
    let out = dir.join(name);
    let st = Command::new("aarch64-linux-gnu-gcc")
        .args(["-O2", "-ffp-contract=off", "-o"])
        .arg(&out)
        .arg(&src)
        .arg("-lm")
        .status()
        .unwrap_or_else(|e| {
            panic!("aarch64-linux-gnu-gcc: {e} (run scripts/test, which installs it)")
        });
    assert!(st.success(), "compiling {name} failed");
    out
}

fn expected(name: &str) -> String {
    let p = common::repo_root().join(format!("build/guest/expected/{name}.out"));
    std::fs::read_to_string(&p).unwrap_or_else(|e| {
        panic!(
            "{}: {e} (run scripts/test to build guest programs)",
            p.display()
        )
    })
}

fn check(what: &str, cmd: &mut Command, want: &str) {
    let out = cmd.output().unwrap_or_else(|e| panic!("{what}: {e}"));
    let got = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && got == want,
        "{what}: status {:?}\nstderr: {}\nstdout differs: {}",
        out.status,
        String::from_utf8_lossy(&out.stderr),
        got != want
    );
}

#[test]
fn dynamic_programs_run_with_the_sysroot_prefix() {
    assert!(
        Path::new(SYSROOT)
            .join("lib/ld-linux-aarch64.so.1")
            .exists(),
        "{SYSROOT} has no ld-linux-aarch64.so.1: run scripts/test (installs gcc-aarch64-linux-gnu)"
    );
    let dir = std::env::temp_dir().join(format!("mimic-dyn-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mimic = common::mimic_bin();
    let alias = dir.join("mimic-aarch64");
    std::os::unix::fs::symlink(&mimic, &alias).unwrap();
    for name in PROGRAMS {
        let prog = build(&dir, name);
        let want = expected(name);
        // Some programs work in a scratch directory of their own.
        let cwd = dir.join(format!("{name}.cwd"));
        std::fs::create_dir_all(&cwd).unwrap();
        for backend in ["interp", "jit"] {
            check(
                &format!("{name} run -L [{backend}]"),
                Command::new(&mimic)
                    .current_dir(&cwd)
                    .args(["run", "--backend", backend, "-L", SYSROOT])
                    .arg(&prog),
                &want,
            );
            check(
                &format!("{name} as mimic-aarch64 -L [{backend}]"),
                Command::new(&alias)
                    .current_dir(&cwd)
                    .args(["--backend", backend, "-L", SYSROOT])
                    .arg(&prog),
                &want,
            );
        }
        check(
            &format!("{name} with QEMU_LD_PREFIX"),
            Command::new(&alias)
                .current_dir(&cwd)
                .env("QEMU_LD_PREFIX", SYSROOT)
                .arg(&prog),
            &want,
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}
