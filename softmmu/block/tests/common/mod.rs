//! Shared helpers for the interop tests: the qemu-img peer, temp dirs, a
//! seeded PRNG.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

/// Panics (fails the test) when qemu-img/qemu-io are missing: interop tests
/// must never pass silently without their peer.
pub fn require_qemu() {
    for tool in ["qemu-img", "qemu-io"] {
        let ok = Command::new(tool)
            .arg("--version")
            .output()
            .map(|o| o.status.success())
            .unwrap_or(false);
        assert!(ok, "{tool} is not installed: run scripts/test (it installs qemu-utils) or `apt-get install -y qemu-utils`");
    }
}

/// Runs a command, returning (exit code, stdout, stderr).
pub fn run(cmd: &str, args: &[&str]) -> (i32, String, String) {
    let o = Command::new(cmd)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd}: {e}"));
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

pub fn qemu_img(args: &[&str]) -> (i32, String, String) {
    run("qemu-img", args)
}

pub fn qemu_io(fmt: &str, file: &Path, cmds: &[&str]) {
    let mut a: Vec<String> = vec!["-f".into(), fmt.into()];
    for c in cmds {
        a.push("-c".into());
        a.push(c.to_string());
    }
    a.push(file.to_string_lossy().into_owned());
    let args: Vec<&str> = a.iter().map(|s| s.as_str()).collect();
    let (rc, out, err) = run("qemu-io", &args);
    assert!(
        rc == 0 && !out.contains("failed") && !err.contains("failed"),
        "qemu-io {args:?}: {out}{err}"
    );
}

/// `mimic img ARGS` through the library entry point.
pub fn mimg(args: &[&str]) -> i32 {
    block::img::img_main(args.iter().map(|s| s.into()).collect())
}

/// A fresh directory under the system temp dir, removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let p = std::env::temp_dir().join(format!("mimic-block-{tag}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        TempDir(p)
    }
    pub fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
    pub fn s(&self, name: &str) -> String {
        self.path(name).to_string_lossy().into_owned()
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// xorshift64* with a fixed seed: reproducible "random" workloads.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    pub fn fill(&mut self, b: &mut [u8]) {
        for c in b.chunks_mut(8) {
            let v = self.next().to_le_bytes();
            c.copy_from_slice(&v[..c.len()]);
        }
    }
}

/// Writes `data` as a raw file.
pub fn write_raw(path: &Path, data: &[u8]) {
    std::fs::write(path, data).unwrap();
}

/// Reads a whole image through Mimic.
pub fn read_all(path: &Path, fmt: Option<&str>) -> Vec<u8> {
    let mut d = block::open_image(path, fmt, true)
        .unwrap_or_else(|e| panic!("open {}: {e}", path.display()));
    let mut v = vec![0u8; d.length() as usize];
    d.read(0, &mut v).unwrap();
    v
}

/// The image's content as qemu sees it (converted to raw by qemu-img).
pub fn qemu_read_all(path: &Path, fmt: &str, dir: &TempDir) -> Vec<u8> {
    let out = dir.path("qemu-read.raw");
    let (rc, o, e) = qemu_img(&[
        "convert",
        "-f",
        fmt,
        "-O",
        "raw",
        &path.to_string_lossy(),
        &out.to_string_lossy(),
    ]);
    assert_eq!(rc, 0, "qemu-img convert: {o}{e}");
    let v = std::fs::read(&out).unwrap();
    let _ = std::fs::remove_file(&out);
    v
}

/// `qemu-img check` must report a clean image.
pub fn assert_qemu_check_clean(path: &Path, fmt: &str) {
    let (rc, o, e) = qemu_img(&["check", "-f", fmt, &path.to_string_lossy()]);
    assert_eq!(rc, 0, "qemu-img check {}: {o}{e}", path.display());
}

/// `qemu-img compare` against a raw reference must say identical.
pub fn assert_qemu_compare(path: &Path, fmt: &str, reference: &Path) {
    let (rc, o, e) = qemu_img(&[
        "compare",
        "-f",
        fmt,
        "-F",
        "raw",
        &path.to_string_lossy(),
        &reference.to_string_lossy(),
    ]);
    assert_eq!(rc, 0, "qemu-img compare {}: {o}{e}", path.display());
}

/// Mimic's outputs follow current qemu-img (10.x). Older releases, such as
/// Debian 12's 7.2, print less: no `"compressed"` in `map --output=json`
/// (added in 8.2), no `"children"` in `info --output=json` (added in 8.0),
/// the pre-8.0 snapshot table, the older size error. `like_qemu` rewrites
/// Mimic's text into the older shape only when the peer's text shows it is
/// the older shape, so against a current qemu-img the comparison stays
/// byte for byte.
pub fn like_qemu(ours: &str, theirs: &str) -> String {
    let mut s = ours.to_string();
    if !theirs.contains("\"compressed\"") {
        s = s
            .replace(", \"compressed\": false", "")
            .replace(", \"compressed\": true", "");
    }
    if !theirs.contains("\"children\"") {
        s = strip_json_member(&s, "\"children\": [");
    }
    if !theirs.contains("Child node '") {
        s = strip_child_nodes(&s);
    }
    if theirs.contains("ID        TAG               VM SIZE") {
        s = old_snapshot_table(&s);
    }
    if theirs.contains("You may use k, M, G, T, P or E suffixes") {
        s = s.replace(
            "Must be between 0 and 9223372036854775807.",
            "You may use k, M, G, T, P or E suffixes for\nkilobytes, megabytes, gigabytes, terabytes, petabytes and exabytes.",
        );
    }
    s
}

/// Removes every pretty-printed member that starts with `key` (an array
/// or object opener) up to its matching closer, with the comma and line
/// that follow.
fn strip_json_member(s: &str, key: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(at) = rest.find(key) {
        // Start of the member's line (drop its indentation too).
        let line_start = rest[..at].rfind('\n').map(|i| i + 1).unwrap_or(0);
        out.push_str(&rest[..line_start]);
        let bytes = rest.as_bytes();
        let mut depth = 0i32;
        let mut i = at + key.len() - 1;
        let mut in_str = false;
        while i < bytes.len() {
            let c = bytes[i];
            if in_str {
                if c == b'\\' {
                    i += 1;
                } else if c == b'"' {
                    in_str = false;
                }
            } else if c == b'"' {
                in_str = true;
            } else if c == b'[' || c == b'{' {
                depth += 1;
            } else if c == b']' || c == b'}' {
                depth -= 1;
                if depth == 0 {
                    break;
                }
            }
            i += 1;
        }
        i += 1;
        if bytes.get(i) == Some(&b',') {
            i += 1;
        }
        if bytes.get(i) == Some(&b'\n') {
            i += 1;
        }
        rest = &rest[i.min(rest.len())..];
    }
    out.push_str(rest);
    out
}

/// Drops the human `info` "Child node '/file':" sections (indented lines
/// under the heading), which qemu-img prints since 8.0.
fn strip_child_nodes(s: &str) -> String {
    let mut out = String::new();
    let mut skipping = false;
    for line in s.split_inclusive('\n') {
        if line.starts_with("Child node '") {
            skipping = true;
            continue;
        }
        if skipping && line.starts_with(' ') {
            continue;
        }
        skipping = false;
        out.push_str(line);
    }
    out
}

/// qemu-img before 8.0 printed `snapshot -l` with a 10-column ID, spaces in
/// the headings and a two-digit hour in VM CLOCK.
fn old_snapshot_table(s: &str) -> String {
    let mut out = String::new();
    for line in s.split_inclusive('\n') {
        if line.starts_with("ID ") && line.contains("VM_SIZE") {
            out.push_str(&format!(
                "{:<10}{:<17}{:>8}{:>20}{:>13}{:>11}\n",
                "ID", "TAG", "VM SIZE", "DATE", "VM CLOCK", "ICOUNT"
            ));
            continue;
        }
        let f: Vec<&str> = line.split_whitespace().collect();
        // ID TAG SIZE UNIT DATE TIME CLOCK ICOUNT
        if f.len() == 8 && f[6].matches(':').count() == 2 {
            let clock = f[6];
            let (h, rest) = clock.split_once(':').unwrap();
            let clock = format!("{:02}:{rest}", h.parse::<u64>().unwrap_or(0));
            out.push_str(&format!(
                "{:<9} {:<16} {:>8} {:>19} {:>12} {:>10}\n",
                f[0],
                f[1],
                format!("{} {}", f[2], f[3]),
                format!("{} {}", f[4], f[5]),
                clock,
                f[7]
            ));
            continue;
        }
        out.push_str(line);
    }
    out
}
