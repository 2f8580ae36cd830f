//! `mimic run -g PORT`: Debian's gdb-multiarch debugs an AArch64 program
//! (tests/guest/debug/gdb_target.c, built here with -g -O0) in batch mode on
//! both backends: break at `main`, continue, read registers (core and
//! FP/SIMD) and variables, step, a write watchpoint hit by a second thread,
//! the thread list, a breakpoint in a function with a backtrace, stepi, a
//! signal reported before its handler runs, and continuing to the exit
//! status. The JIT run takes its port from QEMU_GDB.
//!
//! Without gdb-multiarch or the cross compiler the test says so and is
//! skipped, except under CI=true (scripts/test installs both), where that
//! is a failure.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn have(tool: &str) -> bool {
    Command::new(tool)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Whether a missing tool skips the test (locally) or fails it (CI).
fn missing(what: &str) -> bool {
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("{what} is missing under CI (scripts/test installs it)");
    }
    eprintln!("SKIPPED: {what} is missing (scripts/test installs it)");
    true
}

fn build_target(dir: &Path) -> PathBuf {
    let src = common::repo_root().join("tests/guest/debug/gdb_target.c");
    let out = dir.join("gdb_target");
    let st = Command::new("aarch64-linux-gnu-gcc")
        .args(["-g", "-O0", "-static", "-o"])
        .arg(&out)
        .arg(&src)
        .arg("-lpthread")
        .status()
        .expect("aarch64-linux-gnu-gcc");
    assert!(st.success(), "compiling gdb_target.c failed");
    out
}

fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    l.local_addr().expect("addr").port()
}

struct Session {
    gdb: String,
    mimic_out: String,
    mimic_err: String,
    mimic_status: Option<i32>,
}

fn debug(backend: &str, prog: &Path, cmds: &[&str]) -> Session {
    let port = free_port();
    let mut mimic = Command::new(common::mimic_bin());
    mimic.args(["run", "--backend", backend]);
    // The interpreter run takes the port from -g, the JIT run from QEMU_GDB.
    if backend == "jit" {
        mimic.env("QEMU_GDB", port.to_string());
    } else {
        mimic.args(["-g", &port.to_string()]);
    }
    let mut mimic = mimic
        .arg(prog)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start mimic");
    let mut gdb = Command::new("gdb-multiarch");
    gdb.args(["-nx", "-batch", "-ex", "set pagination off"])
        .args(["-ex", "set confirm off"])
        .args(["-ex", &format!("target remote 127.0.0.1:{port}")]);
    for c in cmds {
        gdb.args(["-ex", c]);
    }
    gdb.arg(prog);
    let gdb_out = gdb.output().expect("run gdb-multiarch");
    let gdb_text = format!(
        "{}{}",
        String::from_utf8_lossy(&gdb_out.stdout),
        String::from_utf8_lossy(&gdb_out.stderr)
    );
    // mimic ends by itself once the guest exits; do not hang on a bug.
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        match mimic.try_wait().expect("wait mimic") {
            Some(s) => break s.code(),
            None if Instant::now() > deadline => {
                let _ = mimic.kill();
                let _ = mimic.wait();
                break None;
            }
            None => std::thread::sleep(Duration::from_millis(50)),
        }
    };
    let out = mimic.wait_with_output().expect("mimic output");
    Session {
        gdb: gdb_text,
        mimic_out: String::from_utf8_lossy(&out.stdout).into_owned(),
        mimic_err: String::from_utf8_lossy(&out.stderr).into_owned(),
        mimic_status: status,
    }
}

fn expect(s: &Session, what: &str, needle: &str) {
    assert!(
        s.gdb.contains(needle),
        "{what}: gdb output lacks {needle:?}\n--- gdb ---\n{}\n--- mimic stderr ---\n{}",
        s.gdb,
        s.mimic_err
    );
}

#[test]
fn gdb_multiarch_debugs_a_guest_program() {
    if !have("gdb-multiarch") && missing("gdb-multiarch") {
        return;
    }
    if !have("aarch64-linux-gnu-gcc") && missing("aarch64-linux-gnu-gcc") {
        return;
    }
    let dir = common::temp_dir("gdbstub");
    let prog = build_target(&dir);
    for r in common::runners() {
        let Some(backend) = r.argv.iter().skip_while(|a| *a != "--backend").nth(1) else {
            eprintln!("gdbstub test: runner {} is not mimic; skipped", r.label);
            continue;
        };
        let s = debug(
            backend,
            &prog,
            &[
                "break main",
                "continue",
                "next",
                "next",
                "print answer",
                "print f",
                "print $d0",
                "info registers pc sp x29",
                "info registers fpsr fpcr",
                "print $v0.d.f[0]",
                "watch counter",
                "continue",
                "info threads",
                "delete",
                "break square",
                "continue",
                "backtrace",
                "x/i $pc",
                "stepi",
                "x/i $pc",
                "step",
                "print v",
                "delete",
                "continue",
                "continue",
            ],
        );
        let w = format!("backend {backend}");
        expect(&s, &w, "Breakpoint 1, main () at");
        expect(&s, &w, "$1 = 42");
        expect(&s, &w, "$2 = 105");
        // f = scale * answer leaves the product in d0 (a union in GDB).
        expect(&s, &w, "$3 = {f = 105,");
        expect(&s, &w, "pc             0x");
        expect(&s, &w, "sp             0x");
        expect(&s, &w, "fpsr           0x0");
        expect(&s, &w, "fpcr           0x0");
        expect(&s, &w, "$4 = 105");
        // The watchpoint fires in the second thread; both are listed.
        expect(&s, &w, "Thread 2 hit Hardware watchpoint 2: counter");
        expect(&s, &w, "Old value = 0");
        expect(&s, &w, "New value = 7");
        expect(&s, &w, "* 2    Thread ");
        expect(&s, &w, "  1    Thread ");
        expect(&s, &w, "Thread 1 hit Breakpoint 3, square (v=42) at");
        expect(&s, &w, "#1  0x");
        expect(&s, &w, "in main () at");
        // stepi moves one instruction: the two `x/i $pc` lines are 4 apart.
        let pcs: Vec<u64> = s
            .gdb
            .lines()
            .filter_map(|l| l.strip_prefix("=> 0x"))
            .filter_map(|l| l.split_whitespace().next())
            .filter_map(|a| u64::from_str_radix(a, 16).ok())
            .collect();
        assert_eq!(pcs.len(), 2, "{w}: x/i lines\n{}", s.gdb);
        assert_eq!(pcs[1], pcs[0] + 4, "{w}: stepi\n{}", s.gdb);
        // step reaches the next source line of square.
        expect(&s, &w, "    return r;");
        expect(&s, &w, "$5 = 42");
        // raise(SIGUSR1): GDB stops first, then the handler runs.
        expect(&s, &w, "received signal SIGUSR1");
        expect(&s, &w, "exited with code 03");
        assert_eq!(
            s.mimic_out, "answer=42 f=105.0 counter=1764 usr1=1\n",
            "{w}: guest output; gdb:\n{}",
            s.gdb
        );
        assert_eq!(
            s.mimic_status,
            Some(3),
            "{w}: mimic status; stderr {}",
            s.mimic_err
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// GDB decides which signal a stopped thread takes, as over ptrace:
/// `handle SIGUSR1 nopass` discards the guest's raise(SIGUSR1) (its handler
/// never runs), and `signal SIGUSR1` at a breakpoint delivers one the guest
/// did not send (before the handler is installed: the default action kills
/// the process, and GDB hears so).
#[test]
fn gdb_discards_and_injects_signals() {
    if !have("gdb-multiarch") && missing("gdb-multiarch") {
        return;
    }
    if !have("aarch64-linux-gnu-gcc") && missing("aarch64-linux-gnu-gcc") {
        return;
    }
    let dir = common::temp_dir("gdbstub-signals");
    let prog = build_target(&dir);
    for r in common::runners() {
        let Some(backend) = r.argv.iter().skip_while(|a| *a != "--backend").nth(1) else {
            continue;
        };
        let w = format!("backend {backend}");
        let s = debug(
            backend,
            &prog,
            &["handle SIGUSR1 nostop noprint nopass", "continue"],
        );
        expect(&s, &w, "exited with code 03");
        assert_eq!(
            s.mimic_out, "answer=42 f=105.0 counter=1764 usr1=0\n",
            "{w}: nopass must discard SIGUSR1; gdb:\n{}",
            s.gdb
        );
        let s = debug(
            backend,
            &prog,
            &["break square", "continue", "signal SIGUSR1"],
        );
        expect(&s, &w, "Breakpoint 1, square (v=42) at");
        expect(&s, &w, "Program terminated with signal SIGUSR1");
        assert_eq!(s.mimic_out, "", "{w}: killed before printing");
        assert_eq!(
            s.mimic_status, None,
            "{w}: killed by SIGUSR1: {}",
            s.mimic_err
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}
