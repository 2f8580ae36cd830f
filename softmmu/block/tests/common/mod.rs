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
