//! `mimic img commit` against `qemu-img commit` on chains of 3+ images:
//! the same chain is committed by both tools (into the immediate backing
//! file, with `-b` into an image further down, with `-d`), then every image
//! must read the same and map the same (allocation, zero flags and depth;
//! host offsets may differ) in both copies and pass `qemu-img check`.

mod common;
use common::*;
use std::path::Path;

const SIZE: u64 = 4 << 20;

/// base <- c1 <- ... <- c{n-1}, each layer with random writes, zero writes
/// and discards by qemu-io. Backing names are relative, so the directory can
/// be copied.
fn make_chain(dir: &TempDir, n: usize, seed: u64) {
    let mut rng = Rng(seed);
    for i in 0..n {
        let name = format!("c{i}.qcow2");
        let mut args = vec!["create", "-q", "-f", "qcow2"];
        let prev = format!("c{}.qcow2", i.wrapping_sub(1));
        if i > 0 {
            args.extend(["-b", &prev, "-F", "qcow2"]);
        }
        let p = dir.s(&name);
        args.push(&p);
        args.push("4M");
        let (rc, o, e) = qemu_img(&args);
        assert_eq!(rc, 0, "{o}{e}");
        let mut cmds = Vec::new();
        for _ in 0..12 {
            let off = rng.below(SIZE - 300_000) & !511;
            let len = (1 + rng.below(300_000)) & !511;
            let len = len.max(512);
            match rng.below(5) {
                0 => cmds.push(format!("write -z {off} {len}")),
                1 if i > 0 => cmds.push(format!("discard {off} {len}")),
                _ => cmds.push(format!("write -P {} {off} {len}", 1 + rng.below(250))),
            }
        }
        let refs: Vec<&str> = cmds.iter().map(|s| s.as_str()).collect();
        qemu_io("qcow2", &dir.path(&name), &refs);
    }
}

fn copy_dir(from: &TempDir, to: &TempDir, n: usize) {
    for i in 0..n {
        let name = format!("c{i}.qcow2");
        std::fs::copy(from.path(&name), to.path(&name)).unwrap();
    }
}

/// `qemu-img map --output=json` without the host offsets, as (start,
/// length, other fields) with neighbours of equal fields merged (qemu-img
/// splits entries where the host offsets are not contiguous).
fn map_no_offsets(p: &Path) -> Vec<(u64, u64, String)> {
    let (rc, o, e) = qemu_img(&["map", "--output=json", &p.to_string_lossy()]);
    assert_eq!(rc, 0, "{o}{e}");
    let num = |line: &str, key: &str| -> u64 {
        let i = line.find(key).unwrap() + key.len();
        let t = &line[i..];
        t[..t.find(|c: char| !c.is_ascii_digit()).unwrap()]
            .parse()
            .unwrap()
    };
    let mut v: Vec<(u64, u64, String)> = Vec::new();
    for line in o.lines() {
        let start = num(line, "\"start\": ");
        let len = num(line, "\"length\": ");
        let d = line.find("\"depth\"").unwrap();
        let rest = &line[d..];
        let rest = rest[..rest.find(", \"offset\"").unwrap_or(rest.find('}').unwrap())].to_string();
        match v.last_mut() {
            Some(l) if l.2 == rest && l.0 + l.1 == start => l.1 += len,
            _ => v.push((start, len, rest)),
        }
    }
    v
}

/// Commits with both tools (`extra` before the file name; `-b` arguments
/// name images in the directory) and compares every image of the chain.
fn commit_both(n: usize, seed: u64, extra: &[&str]) {
    require_qemu();
    let q = TempDir::new("commit-qemu");
    let m = TempDir::new("commit-mimic");
    make_chain(&q, n, seed);
    copy_dir(&q, &m, n);
    let top = format!("c{}.qcow2", n - 1);
    let args_for = |d: &TempDir| -> Vec<String> {
        let mut v = vec!["commit".to_string(), "-q".to_string()];
        let mut it = extra.iter();
        while let Some(a) = it.next() {
            v.push(a.to_string());
            if *a == "-b" {
                v.push(d.s(it.next().unwrap()));
            }
        }
        v.push(d.s(&top));
        v
    };
    let qa = args_for(&q);
    let qa: Vec<&str> = qa.iter().map(|s| s.as_str()).collect();
    let (rc, o, e) = qemu_img(&qa);
    assert_eq!(rc, 0, "qemu-img {qa:?}: {o}{e}");
    let ma = args_for(&m);
    let ma: Vec<&str> = ma.iter().map(|s| s.as_str()).collect();
    assert_eq!(mimg(&ma), 0, "mimic img {ma:?}");
    for i in 0..n {
        let name = format!("c{i}.qcow2");
        let (qp, mp) = (q.path(&name), m.path(&name));
        assert_qemu_check_clean(&mp, "qcow2");
        let (rc, o, e) = qemu_img(&[
            "compare",
            "-f",
            "qcow2",
            "-F",
            "qcow2",
            &qp.to_string_lossy(),
            &mp.to_string_lossy(),
        ]);
        assert_eq!(rc, 0, "{extra:?}: {name} differs: {o}{e}");
        assert_eq!(
            map_no_offsets(&qp),
            map_no_offsets(&mp),
            "{extra:?}: map of {name} differs"
        );
    }
}

#[test]
fn commit_into_base_two_levels_down() {
    // c3 and c2 into c1: c3 keeps its data (-b implies -d).
    commit_both(4, 11, &["-b", "c1.qcow2"]);
}

#[test]
fn commit_into_bottom_of_five() {
    commit_both(5, 12, &["-b", "c0.qcow2"]);
}

#[test]
fn commit_default_empties_top_and_explicit_immediate_does_not() {
    commit_both(3, 13, &[]);
    commit_both(3, 14, &["-b", "c1.qcow2"]);
    commit_both(3, 15, &["-d"]);
}

#[test]
fn commit_errors_and_rate_limit() {
    require_qemu();
    let d = TempDir::new("commit-err");
    make_chain(&d, 3, 16);
    let top = d.s("c2.qcow2");
    let other = d.s("nothere.qcow2");
    let (rc, _, e) = qemu_img(&["commit", "-b", &other, &top]);
    assert_eq!(rc, 1);
    assert!(e.contains("Did not find"), "{e}");
    assert_eq!(mimg(&["commit", "-b", &other, &top]), 1);
    // The top itself is not in its own backing chain.
    assert_eq!(mimg(&["commit", "-b", &top, &top]), 1);
    // No backing file.
    assert_eq!(mimg(&["commit", &d.s("c0.qcow2")]), 1);
    assert_eq!(mimg(&["commit", "-r", "abc", &top]), 1);
    // -r: 2 MiB of data at 4 MiB/s takes at least about half a second.
    let p = d.path("c2.qcow2");
    qemu_io("qcow2", &p, &["write -P 7 0 2M"]);
    let t = std::time::Instant::now();
    assert_eq!(mimg(&["commit", "-q", "-r", "4M", &top]), 0);
    assert!(
        t.elapsed() >= std::time::Duration::from_millis(450),
        "rate limit ignored: {:?}",
        t.elapsed()
    );
    qemu_io("qcow2", &d.path("c1.qcow2"), &["read -P 7 0 2M"]);
    assert_qemu_check_clean(&d.path("c1.qcow2"), "qcow2");
}
