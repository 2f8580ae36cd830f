//! Real Debian arm64 programs under Mimic against the amd64 build of the
//! same package versions, on the same generated inputs: lua5.4, sqlite3,
//! xz-utils, python3.11 (with its standard library), perl-base, gawk and
//! jq, each dynamically linked against the packaged glibc and libraries.
//! stdout (byte for byte, including xz's compressed output) and the exit
//! status must be identical, for each backend. The lua5.4, sqlite3 and xz
//! cases also run Debian's 32-bit Arm packages: armhf (`-cpu max`, so
//! glibc takes its NEON paths) and armel (soft-float EABI, `-cpu
//! arm1176`).
//!
//! Both trees come from `scripts/fetch-debian` (run by `scripts/test`):
//! build/cache/sysroot/{arm64,amd64}. The guest runs as
//! `mimic run -L SYSROOT/arm64 SYSROOT/arm64/usr/bin/PROG`: its ld.so,
//! libraries and data files (Python's /usr/lib/python3.11, Perl's modules)
//! are found through the prefix, and the host's x86-64 /etc/ld.so.cache
//! (the prefix has none) must not mislead the guest's loader. The native
//! reference runs the amd64 package through its own loader with
//! `--inhibit-cache --library-path`, so neither side uses the host's
//! libraries.
//!
//! Scripts are in tests/debian/; inputs are generated into each case's
//! fresh working directory. See tests/common/mod.rs for MIMIC_TEST_*.

mod common;

use common::*;
use std::path::{Path, PathBuf};

fn sysroot(arch: &str) -> PathBuf {
    let p = repo_root().join(format!("build/cache/sysroot/{arch}"));
    if !p.join(".complete").is_file() {
        panic!(
            "{} is missing: run scripts/test (or scripts/fetch-debian) to download the Debian packages",
            p.display()
        );
    }
    p
}

/// A small deterministic generator so that inputs are the same everywhere.
struct Lcg(u64);
impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
}

const WORDS: &[&str] = &[
    "alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india", "juliet",
    "kilo", "lima", "mike", "november", "oscar", "papa", "quebec", "romeo", "sierra", "tango",
];

/// Input files every case finds in its working directory. `sample.xz` is
/// made by the native xz (see `main`), so it is passed in.
fn write_inputs(dir: &Path, sample_xz: &[u8]) {
    let mut r = Lcg(7);
    let mut nums = String::new();
    for i in 0..1500 {
        nums.push_str(&format!("{} {} w{}\n", i, r.next() % 100000, r.next() % 7));
    }
    std::fs::write(dir.join("nums.txt"), nums).unwrap();
    let depts = ["eng", "ops", "sales", "hr"];
    let mut csv = String::from("name,dept,salary,age\n");
    for i in 0..400 {
        csv.push_str(&format!(
            "{}{},{},{},{}\n",
            WORDS[(r.next() % WORDS.len() as u64) as usize],
            i,
            depts[(r.next() % 4) as usize],
            30000 + r.next() % 90000,
            20 + r.next() % 45
        ));
    }
    std::fs::write(dir.join("data.csv"), csv).unwrap();
    // ~150 KB of text with some redundancy, for xz
    let mut text = String::new();
    while text.len() < 150_000 {
        let n = 3 + r.next() % 10;
        for _ in 0..n {
            text.push_str(WORDS[(r.next() % WORDS.len() as u64) as usize]);
            text.push(' ');
        }
        text.push_str(&format!("{}\n", r.next() % 1000));
    }
    std::fs::write(dir.join("text.txt"), text).unwrap();
    let mut json = String::from("[");
    for i in 0..200 {
        if i > 0 {
            json.push(',');
        }
        json.push_str(&format!(
            r#"{{"id":{i},"name":"item{i}","price":{}.{},"qty":{},"tags":["t{}","{}"]}}"#,
            r.next() % 50,
            r.next() % 100,
            r.next() % 5,
            r.next() % 3,
            WORDS[(r.next() % 4) as usize]
        ));
    }
    json.push(']');
    std::fs::write(dir.join("doc.json"), json).unwrap();
    std::fs::write(dir.join("sample.xz"), sample_xz).unwrap();
    if !sample_xz.is_empty() {
        let mut bad = sample_xz.to_vec();
        let mid = bad.len() / 2;
        bad[mid] ^= 0x55;
        std::fs::write(dir.join("corrupt.xz"), bad).unwrap();
    }
}

struct Case {
    name: &'static str,
    /// Program path inside the sysroot.
    prog: &'static str,
    args: Vec<String>,
    /// A file of the working directory fed as stdin.
    stdin: Option<&'static str>,
    /// Exit status the native run must have.
    status: i32,
}

fn case(name: &'static str, prog: &'static str, args: &[&str]) -> Case {
    Case {
        name,
        prog,
        args: args.iter().map(|s| s.to_string()).collect(),
        stdin: None,
        status: 0,
    }
}

fn cases() -> Vec<Case> {
    let script = |f: &str| {
        repo_root()
            .join("tests/debian")
            .join(f)
            .to_string_lossy()
            .into_owned()
    };
    let with = |mut c: Case, args: &[String]| {
        c.args.extend(args.iter().cloned());
        c
    };
    let lua = "usr/bin/lua5.4";
    let py = "usr/bin/python3.11";
    let xz = "usr/bin/xz";
    vec![
        with(case("lua-tables", lua, &[]), &[script("tables.lua")]),
        with(case("lua-cpu", lua, &[]), &[script("cpu.lua")]),
        Case {
            stdin: Some("nums.txt"),
            ..with(case("lua-io", lua, &[]), &[script("io.lua"), "nums.txt".into()])
        },
        Case {
            status: 1,
            ..case("lua-error", lua, &["-e", "print('before') error('boom')"])
        },
        Case {
            stdin: Some("queries.sql"),
            ..case("sqlite3-memory", "usr/bin/sqlite3", &[":memory:"])
        },
        Case {
            stdin: Some("file.sql"),
            ..case("sqlite3-file", "usr/bin/sqlite3", &["db.sqlite"])
        },
        case("xz-6", xz, &["-6", "-c", "text.txt"]),
        case(
            "xz-threads",
            xz,
            &["-T2", "--block-size=64KiB", "-3", "-c", "text.txt"],
        ),
        case("xz-9e-check", xz, &["-9e", "--check=sha256", "-c", "nums.txt"]),
        case("xz-decompress", xz, &["-dc", "sample.xz"]),
        case("xz-list", xz, &["-lvv", "sample.xz"]),
        Case {
            status: 1,
            ..case("xz-corrupt", xz, &["-t", "corrupt.xz"])
        },
        with(case("python-stdlib", py, &[]), &[script("stdlib.py")]),
        with(case("python-cpu", py, &[]), &[script("cpu.py")]),
        case(
            "python-sys",
            py,
            &[
                "-c",
                "import sys, os, struct, math; print(sys.version_info[:3], sys.byteorder, struct.calcsize('P'), \
                 sys.maxsize, sys.getrecursionlimit(), math.factorial(30), sorted(os.listdir('.'))[:3], \
                 os.path.exists('/usr/lib/python3.11/json/__init__.py'))",
            ],
        ),
        Case {
            stdin: Some("nums.txt"),
            ..with(case("perl-text", "usr/bin/perl", &[]), &[script("text.pl")])
        },
        with(
            case("gawk-report", "usr/bin/gawk", &["-f"]),
            &[script("report.awk"), "data.csv".into()],
        ),
        case(
            "gawk-oneliner",
            "usr/bin/gawk",
            &[
                "{ s[$3] += $2 } END { n = asorti(s, k); for (i = 1; i <= n; i++) printf \"%s %d %.3e\\n\", k[i], s[k[i]], s[k[i]] / 7 }",
                "nums.txt",
            ],
        ),
        with(
            case("jq-filter", "usr/bin/jq", &["-S", "-f"]),
            &[script("filter.jq"), "doc.json".into()],
        ),
        case(
            "jq-stream",
            "usr/bin/jq",
            &[
                "-c",
                ".[] | select(.qty == 2) | [.id, .name, (.price * 100 | floor), (.tags | length)]",
                "doc.json",
            ],
        ),
    ]
}

/// The native (amd64) command for `c`, and its extra environment.
fn native_argv(root: &Path, c: &Case) -> Vec<String> {
    let lib = format!(
        "{0}/lib/x86_64-linux-gnu:{0}/usr/lib/x86_64-linux-gnu",
        root.display()
    );
    let mut argv = vec![
        root.join("lib64/ld-linux-x86-64.so.2")
            .to_string_lossy()
            .into_owned(),
        "--inhibit-cache".into(),
        "--library-path".into(),
        lib,
        root.join(c.prog).to_string_lossy().into_owned(),
    ];
    argv.extend(c.args.iter().cloned());
    argv
}

fn guest_argv(root: &Path, cpu: Option<&str>, runner: &Runner, c: &Case) -> Vec<String> {
    let mut argv = runner.argv.clone();
    if let Some(cpu) = cpu {
        argv.push("-cpu".into());
        argv.push(cpu.into());
    }
    argv.push("-L".into());
    argv.push(root.to_string_lossy().into_owned());
    argv.push(root.join(c.prog).to_string_lossy().into_owned());
    argv.extend(c.args.iter().cloned());
    argv
}

/// Prepares a working directory with the inputs and the case's SQL files.
fn workdir(tag: &str, sample_xz: &[u8]) -> PathBuf {
    let dir = temp_dir(tag);
    write_inputs(&dir, sample_xz);
    for f in ["queries.sql", "file.sql"] {
        std::fs::copy(repo_root().join("tests/debian").join(f), dir.join(f)).unwrap();
    }
    dir
}

fn run_case(argv: &[String], dir: &Path, c: &Case, env: &[(&str, &str)]) -> Outcome {
    let stdin = c.stdin.map(|f| std::fs::read(dir.join(f)).unwrap());
    // Real programs (Python's start-up alone is ~2 s of CPU under Mimic)
    // need more than a test program's default time, on a loaded machine too.
    run_env(argv, dir, stdin.as_deref(), Some(env), timeout() * 8)
}

#[test]
fn debian_programs_match_native() {
    run_arch("arm64", None, |_| true);
}

/// The programs of the 32-bit Arm sysroots (fetch-debian's SYSROOT_PKGS_32).
fn in_32bit_sysroot(c: &Case) -> bool {
    ["usr/bin/lua5.4", "usr/bin/sqlite3", "usr/bin/xz"].contains(&c.prog)
}

#[test]
fn debian_armhf_programs_match_native() {
    run_arch("armhf", None, in_32bit_sysroot);
}

#[test]
fn debian_armel_programs_match_native() {
    run_arch("armel", Some("arm1176"), in_32bit_sysroot);
}

/// Runs the cases `keep` selects from ARCH's sysroot (with `-cpu CPU`)
/// against the amd64 one.
fn run_arch(arch: &str, cpu: Option<&str>, keep: fn(&Case) -> bool) {
    let arm = sysroot(arch);
    let amd = sysroot("amd64");
    let runners = runners();
    let cases: Vec<Case> = cases()
        .into_iter()
        .filter(|c| keep(c) && filter_matches(c.name))
        .collect();

    let amd_perl = format!("{}/usr/lib/x86_64-linux-gnu/perl-base", amd.display());
    let amd_home = format!("{}/usr", amd.display());
    let common_env = [
        ("PATH", "/usr/bin:/bin"),
        ("LC_ALL", "C"),
        ("TZ", "UTC0"),
        ("HOME", "/tmp"),
        ("PYTHONHASHSEED", "0"),
        ("PYTHONDONTWRITEBYTECODE", "1"),
    ];
    let mut native_env = common_env.to_vec();
    native_env.push(("PYTHONHOME", &amd_home));
    native_env.push(("PERL5LIB", &amd_perl));
    // the guest's /usr is the prefix's
    let mut guest_env = common_env.to_vec();
    guest_env.push(("PYTHONHOME", "/usr"));

    // sample.xz: the native xz's output for nums.txt
    let sample = {
        let dir = workdir("deb-sample", &[]);
        let c = case("sample", "usr/bin/xz", &["-6", "-c", "nums.txt"]);
        let out = run_case(&native_argv(&amd, &c), &dir, &c, &native_env);
        let _ = std::fs::remove_dir_all(&dir);
        assert!(
            out.status == 0 && !out.stdout.is_empty(),
            "native xz failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        out.stdout
    };

    let expected = parallel_map(&cases, jobs(), |c| {
        let dir = workdir("deb-native", &sample);
        let out = run_case(&native_argv(&amd, c), &dir, c, &native_env);
        let _ = std::fs::remove_dir_all(&dir);
        // the reference run itself must be clean, or the case tests nothing
        assert!(
            !out.timed_out
                && out.status == c.status
                && (c.status != 0 || out.stderr.is_empty())
                && (c.status != 0 || !out.stdout.is_empty()),
            "native case {} is broken: status {} stderr {:?}",
            c.name,
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        out
    });

    let work: Vec<(usize, &Runner)> = (0..cases.len())
        .flat_map(|i| runners.iter().map(move |r| (i, r)))
        .collect();
    let results = parallel_map(&work, jobs(), |(i, runner)| {
        let c = &cases[*i];
        let dir = workdir("deb-guest", &sample);
        let out = run_case(&guest_argv(&arm, cpu, runner, c), &dir, c, &guest_env);
        let _ = std::fs::remove_dir_all(&dir);
        eprintln!("{} [{}]: {:.1?}", c.name, runner.label, out.elapsed);
        check(
            c.name,
            runner,
            &out,
            &expected[*i].stdout,
            expected[*i].status,
        )
    });
    let failures: Vec<String> = results.into_iter().flatten().collect();
    report(
        &format!("Debian {arch} program cases"),
        work.len(),
        &failures,
    );
}
