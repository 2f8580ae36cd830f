//! `convert -m N` (worker threads) and `-W` (out-of-order writes): every
//! output passes `qemu-img check` and compares equal to the source; with
//! ordered writes the output is byte-identical to the single-worker one
//! (the target's allocations happen in the same order), compressed or not.

mod common;
use common::*;

const SIZE: u64 = 24 << 20;

/// A qcow2 source with a backing file: random data, compressible text,
/// written zeroes, discarded ranges and holes, some of it in the backing.
fn source(dir: &TempDir) -> String {
    let base = dir.s("base.qcow2");
    let top = dir.s("src.qcow2");
    let (rc, o, e) = qemu_img(&["create", "-q", "-f", "qcow2", &base, "24M"]);
    assert_eq!(rc, 0, "{o}{e}");
    let (rc, o, e) = qemu_img(&[
        "create", "-q", "-f", "qcow2", "-b", &base, "-F", "qcow2", &top,
    ]);
    assert_eq!(rc, 0, "{o}{e}");
    let mut rng = Rng(0xc0417);
    let mut d = block::open_image(std::path::Path::new(&base), None, false).unwrap();
    for _ in 0..40 {
        let off = rng.below(SIZE - (1 << 20));
        let mut b = vec![0u8; 1 + rng.below(1 << 20) as usize];
        if rng.below(2) == 0 {
            rng.fill(&mut b);
        } else {
            for (i, x) in b.iter_mut().enumerate() {
                *x = b"mimic convert workers "[i % 22];
            }
        }
        d.write(off, &b).unwrap();
    }
    d.close().unwrap();
    drop(d);
    let mut d = block::open_image(std::path::Path::new(&top), None, false).unwrap();
    for _ in 0..40 {
        let off = rng.below(SIZE - (1 << 20));
        let n = 1 + rng.below(1 << 20);
        match rng.below(4) {
            0 => d.write_zeroes(off, n, rng.below(2) == 0).unwrap(),
            1 => d.discard(off, n).unwrap(),
            _ => {
                let mut b = vec![0u8; n as usize];
                rng.fill(&mut b);
                d.write(off, &b).unwrap();
            }
        }
    }
    d.close().unwrap();
    top
}

fn convert(dir: &TempDir, src: &str, fmt: &str, name: &str, extra: &[&str]) -> String {
    let out = dir.s(name);
    let mut a = vec!["convert", "-O", fmt];
    a.extend(extra);
    a.extend([src, &out]);
    assert_eq!(mimg(&a), 0, "mimic img {a:?}");
    let (rc, o, e) = qemu_img(&["check", "-f", fmt, &out]);
    assert!(
        rc == 0 || (rc == 63 && fmt == "raw"),
        "qemu-img check {a:?}: {o}{e}"
    );
    let (rc, o, e) = qemu_img(&["compare", "-f", fmt, "-F", "qcow2", &out, src]);
    assert_eq!(rc, 0, "{a:?}: output differs from the source: {o}{e}");
    out
}

#[test]
fn workers_and_out_of_order_writes() {
    require_qemu();
    let dir = TempDir::new("convert-workers");
    let src = source(&dir);
    for (fmt, comp) in [("qcow2", false), ("qcow2", true), ("raw", false)] {
        let c: &[&str] = if comp { &["-c"] } else { &[] };
        let ext = if comp { "c.qcow2" } else { fmt };
        let one = convert(
            &dir,
            &src,
            fmt,
            &format!("m1.{ext}"),
            &[c, &["-m", "1"]].concat(),
        );
        let four = convert(
            &dir,
            &src,
            fmt,
            &format!("m4.{ext}"),
            &[c, &["-m", "4"]].concat(),
        );
        let max = convert(
            &dir,
            &src,
            fmt,
            &format!("m16.{ext}"),
            &[c, &["-m", "16"]].concat(),
        );
        // Ordered writes: the same file as with one worker.
        let a = std::fs::read(&one).unwrap();
        assert!(
            a == std::fs::read(&four).unwrap(),
            "{fmt} -c={comp}: -m 4 file differs"
        );
        assert!(
            a == std::fs::read(&max).unwrap(),
            "{fmt} -c={comp}: -m 16 file differs"
        );
        // Out of order: same content (checked in convert), any layout.
        convert(
            &dir,
            &src,
            fmt,
            &format!("w.{ext}"),
            &[c, &["-m", "8", "-W"]].concat(),
        );
    }
    // The other formats through the same engine.
    convert(&dir, &src, "qed", "m4.qed", &["-m", "4", "-W"]);
    convert(&dir, &src, "vmdk", "m4.vmdk", &["-m", "4"]);
    convert(&dir, &src, "vhdx", "m4.vhdx", &["-m", "4", "-W"]);
    let s = convert(&dir, &src, "vmdk", "m4s.vmdk", &["-m", "3", "-c"]);
    assert!(std::fs::read(&s).unwrap().len() < 24 << 20);
    // Concatenated sources, split across workers.
    let out = dir.s("cat.raw");
    assert_eq!(
        mimg(&["convert", "-m", "4", "-O", "raw", &src, &src, &out]),
        0
    );
    let cat = std::fs::read(&out).unwrap();
    let one = read_all(std::path::Path::new(&src), None);
    assert_eq!(cat.len(), 2 * one.len());
    assert!(cat[..one.len()] == one[..] && cat[one.len()..] == one[..]);
}

#[test]
fn bad_worker_counts_are_refused() {
    let dir = TempDir::new("convert-m-bad");
    let src = dir.s("a.raw");
    write_raw(std::path::Path::new(&src), &[1u8; 4096]);
    let out = dir.s("b.raw");
    for m in ["0", "17", "x", "-1"] {
        assert_eq!(
            mimg(&["convert", "-m", m, "-O", "raw", &src, &out]),
            1,
            "-m {m}"
        );
    }
}
