//! Shared helpers for the root package's integration tests: finding the
//! repository's build products, running a program with a timeout and
//! capturing its output, choosing the runner (`mimic run --backend B` or the
//! `MIMIC_TEST_RUNNER` override), running many cases on a few threads and
//! reporting every failure at once.
//!
//! Environment variables understood by the tests:
//! - `MIMIC_TEST_RUNNER`: a command (split on whitespace) that replaces
//!   `mimic run --backend B`, e.g. `qemu-aarch64`, to validate the harness
//!   and the expectations themselves. Backends are then not iterated.
//! - `MIMIC_TEST_BACKENDS`: comma-separated backends (default `interp,jit`).
//! - `MIMIC_TEST_FILTER`: only cases whose name contains this string.
//! - `MIMIC_TEST_JOBS`: parallel guest processes (default: min(4, CPUs)).
//! - `MIMIC_TEST_TIMEOUT`: seconds before a guest is killed (default 60).

#![allow(dead_code)]

pub mod linux_guest;
pub mod qmp_client;

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn mimic_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_mimic"))
}

/// How a guest program is started.
#[derive(Clone, Debug)]
pub struct Runner {
    /// Label used in reports: the backend name, or the override command.
    pub label: String,
    /// Program and leading arguments; the guest path and its arguments follow.
    pub argv: Vec<String>,
}

/// The runners to test with: `mimic run --backend B` for each backend, or
/// the single `MIMIC_TEST_RUNNER` override.
pub fn runners() -> Vec<Runner> {
    if let Ok(cmd) = std::env::var("MIMIC_TEST_RUNNER") {
        let argv: Vec<String> = cmd.split_whitespace().map(str::to_string).collect();
        if !argv.is_empty() {
            return vec![Runner {
                label: cmd.clone(),
                argv,
            }];
        }
    }
    let backends =
        std::env::var("MIMIC_TEST_BACKENDS").unwrap_or_else(|_| "interp,jit".to_string());
    backends
        .split(',')
        .map(str::trim)
        .filter(|b| !b.is_empty())
        .map(|b| Runner {
            label: b.to_string(),
            argv: vec![
                mimic_bin().to_string_lossy().into_owned(),
                "run".to_string(),
                "--backend".to_string(),
                b.to_string(),
            ],
        })
        .collect()
}

pub fn filter_matches(name: &str) -> bool {
    match std::env::var("MIMIC_TEST_FILTER") {
        Ok(f) if !f.is_empty() => name.contains(&f),
        _ => true,
    }
}

pub fn jobs() -> usize {
    if let Some(n) = std::env::var("MIMIC_TEST_JOBS")
        .ok()
        .and_then(|s| s.parse().ok())
    {
        return std::cmp::max(1, n);
    }
    let cpus = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2);
    cpus.clamp(2, 4)
}

pub fn timeout() -> Duration {
    let secs = std::env::var("MIMIC_TEST_TIMEOUT")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(60u64);
    Duration::from_secs(secs)
}

/// The result of running one process.
#[derive(Debug)]
pub struct Outcome {
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
    /// Exit code, or 128 + N for death by signal N (the shell convention,
    /// which is also what `mimic run` reports for a guest killed by N).
    pub status: i32,
    pub timed_out: bool,
    pub elapsed: Duration,
}

/// A fresh empty directory under the system temp dir.
pub fn temp_dir(tag: &str) -> PathBuf {
    static N: AtomicUsize = AtomicUsize::new(0);
    let n = N.fetch_add(1, Ordering::Relaxed);
    let d = std::env::temp_dir().join(format!("mimic-test-{}-{}-{}", tag, std::process::id(), n));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("create temp dir");
    d
}

/// Runs `argv` in `cwd` with stdin from /dev/null (or `stdin` bytes), no
/// core dumps, killed after `limit`.
pub fn run(argv: &[String], cwd: &Path, stdin: Option<&[u8]>, limit: Duration) -> Outcome {
    run_env(argv, cwd, stdin, None, limit)
}

/// Like `run`, with the environment replaced by `env` when given.
pub fn run_env(
    argv: &[String],
    cwd: &Path,
    stdin: Option<&[u8]>,
    env: Option<&[(&str, &str)]>,
    limit: Duration,
) -> Outcome {
    use std::os::unix::process::CommandExt;
    use std::os::unix::process::ExitStatusExt;

    let mut cmd = Command::new(&argv[0]);
    if let Some(env) = env {
        cmd.env_clear();
        for (k, v) in env {
            cmd.env(k, v);
        }
    }
    cmd.args(&argv[1..])
        .current_dir(cwd)
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    // SAFETY: setrlimit is async-signal-safe; the closure touches nothing
    // else between fork and exec.
    unsafe {
        cmd.pre_exec(|| {
            let zero = libc::rlimit {
                rlim_cur: 0,
                rlim_max: 0,
            };
            libc::setrlimit(libc::RLIMIT_CORE, &zero);
            Ok(())
        });
    }
    let start = Instant::now();
    let mut child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => {
            return Outcome {
                stdout: Vec::new(),
                stderr: format!("failed to start {}: {e}", argv[0]).into_bytes(),
                status: -1,
                timed_out: false,
                elapsed: start.elapsed(),
            }
        }
    };
    let stdin_thread = stdin.map(|data| {
        let data = data.to_vec();
        let mut pipe = child.stdin.take().expect("stdin pipe");
        std::thread::spawn(move || {
            use std::io::Write;
            let _ = pipe.write_all(&data);
        })
    });
    let mut out_pipe = child.stdout.take().expect("stdout pipe");
    let mut err_pipe = child.stderr.take().expect("stderr pipe");
    let out_thread = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = out_pipe.read_to_end(&mut v);
        v
    });
    let err_thread = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = err_pipe.read_to_end(&mut v);
        v
    });
    let mut timed_out = false;
    let status = loop {
        match child.try_wait() {
            Ok(Some(st)) => break st,
            Ok(None) => {
                if start.elapsed() > limit {
                    timed_out = true;
                    let _ = child.kill();
                    break child.wait().expect("wait after kill");
                }
                std::thread::sleep(Duration::from_millis(5));
            }
            Err(e) => panic!("wait failed: {e}"),
        }
    };
    let elapsed = start.elapsed();
    if let Some(t) = stdin_thread {
        let _ = t.join();
    }
    // A guest may leave children holding the pipes; don't hang on them.
    let stdout = join_with_deadline(out_thread, Duration::from_secs(5));
    let stderr = join_with_deadline(err_thread, Duration::from_secs(5));
    let code = match (status.code(), status.signal()) {
        (Some(c), _) => c,
        (None, Some(s)) => 128 + s,
        _ => -1,
    };
    Outcome {
        stdout,
        stderr,
        status: code,
        timed_out,
        elapsed,
    }
}

fn join_with_deadline(t: std::thread::JoinHandle<Vec<u8>>, d: Duration) -> Vec<u8> {
    let start = Instant::now();
    while !t.is_finished() {
        if start.elapsed() > d {
            return b"<output pipe still open after exit>".to_vec();
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    t.join().unwrap_or_default()
}

/// Runs `f` over `items` on `jobs` threads; returns the results in order.
pub fn parallel_map<T: Sync, R: Send>(
    items: &[T],
    jobs: usize,
    f: impl Fn(&T) -> R + Sync,
) -> Vec<R> {
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<R>>> = Mutex::new((0..items.len()).map(|_| None).collect());
    std::thread::scope(|s| {
        for _ in 0..jobs.max(1) {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= items.len() {
                    break;
                }
                let r = f(&items[i]);
                results.lock().unwrap()[i] = Some(r);
            });
        }
    });
    results
        .into_inner()
        .unwrap()
        .into_iter()
        .map(|r| r.expect("every item ran"))
        .collect()
}

/// A short human-readable account of how `actual` differs from `expected`.
pub fn diff_summary(expected: &[u8], actual: &[u8]) -> String {
    let e = String::from_utf8_lossy(expected);
    let a = String::from_utf8_lossy(actual);
    let el: Vec<&str> = e.split_inclusive('\n').collect();
    let al: Vec<&str> = a.split_inclusive('\n').collect();
    let first = el
        .iter()
        .zip(al.iter())
        .position(|(x, y)| x != y)
        .unwrap_or(el.len().min(al.len()));
    let mut s = format!(
        "stdout differs at line {} (expected {} lines/{} bytes, got {} lines/{} bytes)",
        first + 1,
        el.len(),
        expected.len(),
        al.len(),
        actual.len()
    );
    let show = |l: Option<&&str>| match l {
        Some(l) => format!("{:?}", truncate(l, 200)),
        None => "<end of output>".to_string(),
    };
    s.push_str(&format!("\n      expected: {}", show(el.get(first))));
    s.push_str(&format!("\n      actual:   {}", show(al.get(first))));
    s
}

pub fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let t: String = s.chars().take(n).collect();
        format!("{t}...")
    }
}

/// The last `n` lines of stderr, for failure reports.
pub fn stderr_tail(stderr: &[u8], n: usize) -> String {
    let s = String::from_utf8_lossy(stderr);
    let lines: Vec<&str> = s.lines().collect();
    let start = lines.len().saturating_sub(n);
    lines[start..]
        .iter()
        .map(|l| format!("\n      stderr: {}", truncate(l, 200)))
        .collect()
}

/// Compares one run against expectations; None when it matches.
pub fn check(
    name: &str,
    runner: &Runner,
    out: &Outcome,
    want_stdout: &[u8],
    want_status: i32,
) -> Option<String> {
    let mut problems = Vec::new();
    if out.timed_out {
        problems.push(format!("timed out after {:?}", out.elapsed));
    }
    if out.status != want_status {
        problems.push(format!(
            "exit status {} (expected {})",
            out.status, want_status
        ));
    }
    if out.stdout != want_stdout {
        problems.push(diff_summary(want_stdout, &out.stdout));
    }
    if problems.is_empty() {
        return None;
    }
    Some(format!(
        "{name} [{}]: {}{}",
        runner.label,
        problems.join("; "),
        stderr_tail(&out.stderr, 4)
    ))
}

/// Prints a summary and panics listing every failure.
pub fn report(what: &str, total: usize, failures: &[String]) {
    eprintln!("{what}: {}/{} passed", total - failures.len(), total);
    if !failures.is_empty() {
        let mut msg = format!("{} of {} {what} failed:\n", failures.len(), total);
        for f in failures {
            msg.push_str("  ");
            msg.push_str(f);
            msg.push('\n');
        }
        panic!("{msg}");
    }
}
