//! qcow2 interop with qemu-img/qemu-io: Mimic-written images pass
//! `qemu-img check` and compare equal to a raw reference; qemu-written images
//! read identically in Mimic; `map --output=json` and `check` agree.

mod common;

use block::BlockDriver;
use common::*;
use std::collections::BTreeMap;
use std::path::Path;

fn opts(kv: &[(&str, &str)]) -> BTreeMap<String, String> {
    kv.iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// Random writes, zero writes, discards and snapshots mirrored into `reference`.
/// Returns the snapshots taken: (name, content at that time).
fn workload(
    d: &mut dyn BlockDriver,
    reference: &mut [u8],
    rng: &mut Rng,
    ops: usize,
    max_snaps: usize,
) -> Vec<(String, Vec<u8>)> {
    let size = reference.len() as u64;
    let cs = d.cluster_size().unwrap_or(512);
    let mut snaps: Vec<(String, Vec<u8>)> = Vec::new();
    let mut n_snap = 0;
    for _ in 0..ops {
        let op = rng.below(100);
        let big = rng.below(4) == 0;
        let len = 1 + rng.below(if big { 512 * 1024 } else { 16 * 1024 });
        let off = rng.below(size);
        let len = len.min(size - off);
        if op < 65 {
            let mut buf = vec![0u8; len as usize];
            rng.fill(&mut buf);
            d.write(off, &buf).unwrap();
            reference[off as usize..(off + len) as usize].copy_from_slice(&buf);
        } else if op < 77 {
            d.write_zeroes(off, len, rng.below(2) == 0).unwrap();
            reference[off as usize..(off + len) as usize].fill(0);
        } else if op < 89 {
            d.discard(off, len).unwrap();
            let s = off.div_ceil(cs) * cs;
            let e = (off + len) / cs * cs;
            if e > s {
                reference[s as usize..e as usize].fill(0);
            }
        } else if op < 94 {
            d.flush().unwrap();
        } else if op < 98 && snaps.len() < max_snaps {
            n_snap += 1;
            let name = format!("snap{n_snap}");
            d.snapshot_create(&name).unwrap();
            snaps.push((name, reference.to_vec()));
        } else if !snaps.is_empty() && rng.below(3) == 0 {
            let i = rng.below(snaps.len() as u64) as usize;
            let (name, _) = snaps.remove(i);
            d.snapshot_delete(&name).unwrap();
        }
    }
    snaps
}

fn run_variant(tag: &str, size: u64, o: &[(&str, &str)], seed: u64, ops: usize, snapshots: usize) {
    require_qemu();
    let dir = TempDir::new(tag);
    let img = dir.path("t.qcow2");
    block::img::create_image("qcow2", &img, size, &opts(o)).unwrap();
    let mut reference = vec![0u8; size as usize];
    let mut rng = Rng(seed);
    let snaps = {
        let mut d = block::open_image(&img, Some("qcow2"), false).unwrap();
        let s = workload(d.as_mut(), &mut reference, &mut rng, ops, snapshots);
        d.close().unwrap();
        s
    };
    let rawref = dir.path("ref.raw");
    write_raw(&rawref, &reference);
    assert_qemu_check_clean(&img, "qcow2");
    assert_qemu_compare(&img, "qcow2", &rawref);
    assert!(
        read_all(&img, Some("qcow2")) == reference,
        "{tag}: Mimic reads back different data"
    );
    // Mimic's own check agrees.
    assert_eq!(
        mimg(&["check", "-q", &img.to_string_lossy()]),
        0,
        "{tag}: mimic check"
    );
    // Map is byte-identical to qemu-img's.
    let mut d = block::open_image(&img, Some("qcow2"), true).unwrap();
    let ours = block::img::map_json(d.as_mut()).unwrap();
    drop(d);
    let (_, theirs, _) = qemu_img(&[
        "map",
        "--output=json",
        "-f",
        "qcow2",
        &img.to_string_lossy(),
    ]);
    assert_eq!(
        like_qemu(&ours, &theirs),
        theirs,
        "{tag}: map --output=json differs"
    );
    // Snapshot contents survive: qemu reads each one as it was.
    for (name, content) in &snaps {
        let out = dir.path("snap.raw");
        let (rc, a, b) = qemu_img(&[
            "convert",
            "-l",
            &format!("snapshot.name={name}"),
            "-O",
            "raw",
            &img.to_string_lossy(),
            &out.to_string_lossy(),
        ]);
        assert_eq!(rc, 0, "{a}{b}");
        assert!(
            std::fs::read(&out).unwrap() == *content,
            "{tag}: snapshot {name} content differs in qemu"
        );
        let out2 = dir.s("snap2.raw");
        assert_eq!(
            mimg(&[
                "convert",
                "-q",
                "-s",
                name,
                "-O",
                "raw",
                &img.to_string_lossy(),
                &out2
            ]),
            0
        );
        assert!(
            std::fs::read(&out2).unwrap() == *content,
            "{tag}: snapshot {name} content differs in Mimic"
        );
    }
    // Applying the first snapshot restores it, and the image stays clean.
    if let Some((name, content)) = snaps.first() {
        assert_eq!(mimg(&["snapshot", "-a", name, &img.to_string_lossy()]), 0);
        assert_qemu_check_clean(&img, "qcow2");
        assert!(
            qemu_read_all(&img, "qcow2", &dir) == *content,
            "{tag}: snapshot -a {name} did not restore content"
        );
    }
}

#[test]
fn random_io_v3_64k() {
    run_variant("v3-64k", 24 << 20, &[], 1, 400, 3);
}

#[test]
fn random_io_v2_64k() {
    run_variant(
        "v2-64k",
        (20 << 20) + 1536,
        &[("compat", "0.10")],
        2,
        300,
        3,
    );
}

#[test]
fn random_io_v3_4k_refcount64() {
    run_variant(
        "v3-4k-rc64",
        8 << 20,
        &[("cluster_size", "4096"), ("refcount_bits", "64")],
        3,
        300,
        3,
    );
}

#[test]
fn random_io_v3_512b_refcount2() {
    run_variant(
        "v3-512-rc2",
        2 << 20,
        &[("cluster_size", "512"), ("refcount_bits", "2")],
        4,
        200,
        1,
    );
}

#[test]
fn random_io_v3_1bit_refcounts_no_snapshots() {
    run_variant(
        "v3-rc1",
        4 << 20,
        &[("cluster_size", "1024"), ("refcount_bits", "1")],
        5,
        200,
        0,
    );
}

#[test]
fn random_io_v3_lazy_refcounts_8bit() {
    run_variant(
        "v3-lazy",
        8 << 20,
        &[("lazy_refcounts", "on"), ("refcount_bits", "8")],
        6,
        300,
        3,
    );
}

#[test]
fn random_io_v3_2m_clusters() {
    run_variant(
        "v3-2m",
        16 << 20,
        &[("cluster_size", "2M"), ("refcount_bits", "32")],
        7,
        100,
        3,
    );
}

#[test]
fn refcount_table_growth() {
    // 512-byte clusters with 16-bit refcounts: a refcount block covers 128 KiB,
    // so writing 24 MiB forces many new blocks and several table moves.
    require_qemu();
    let dir = TempDir::new("growth");
    let img = dir.path("g.qcow2");
    block::img::create_image("qcow2", &img, 32 << 20, &opts(&[("cluster_size", "512")])).unwrap();
    let mut reference = vec![0u8; 32 << 20];
    let mut d = block::open_image(&img, Some("qcow2"), false).unwrap();
    let mut rng = Rng(99);
    for i in 0..48u64 {
        let mut buf = vec![0u8; 512 * 1024];
        rng.fill(&mut buf);
        let off = i * 512 * 1024;
        d.write(off, &buf).unwrap();
        reference[off as usize..off as usize + buf.len()].copy_from_slice(&buf);
    }
    d.close().unwrap();
    drop(d);
    let rawref = dir.path("ref.raw");
    write_raw(&rawref, &reference);
    assert_qemu_check_clean(&img, "qcow2");
    assert_qemu_compare(&img, "qcow2", &rawref);
}

#[test]
fn qemu_written_images_read_identically() {
    require_qemu();
    let dir = TempDir::new("qemu-written");
    for (i, o) in [
        "compat=1.1",
        "compat=0.10",
        "cluster_size=4096,refcount_bits=4",
        "cluster_size=512",
    ]
    .iter()
    .enumerate()
    {
        let img = dir.path(&format!("q{i}.qcow2"));
        let (rc, a, b) = qemu_img(&[
            "create",
            "-q",
            "-f",
            "qcow2",
            "-o",
            o,
            &img.to_string_lossy(),
            "8M",
        ]);
        assert_eq!(rc, 0, "{a}{b}");
        let mut rng = Rng(100 + i as u64);
        let mut cmds = Vec::new();
        for _ in 0..40 {
            let off = rng.below(8 << 20) / 512 * 512;
            let len = ((1 + rng.below(200 * 1024)) / 512 * 512).clamp(512, (8 << 20) - off);
            let kind = rng.below(10);
            cmds.push(match kind {
                0 => format!("write -z {off} {len}"),
                1 => format!("discard {off} {len}"),
                _ => format!("write -P {} {off} {len}", rng.below(255) + 1),
            });
        }
        cmds.push("write -P 7 1M 64k".into());
        let refs: Vec<&str> = cmds.iter().map(|s| s.as_str()).collect();
        qemu_io("qcow2", &img, &refs);
        if i == 0 {
            let (rc, a, b) = qemu_img(&["snapshot", "-c", "s1", &img.to_string_lossy()]);
            assert_eq!(rc, 0, "{a}{b}");
            qemu_io("qcow2", &img, &["write -P 9 0 3M"]);
        }
        let theirs = qemu_read_all(&img, "qcow2", &dir);
        assert!(
            read_all(&img, None) == theirs,
            "{o}: Mimic reads a qemu-written image differently"
        );
        let mut d = block::open_image(&img, None, true).unwrap();
        let ours = block::img::map_json(d.as_mut()).unwrap();
        let (_, tmap, _) = qemu_img(&["map", "--output=json", &img.to_string_lossy()]);
        assert_eq!(like_qemu(&ours, &tmap), tmap, "{o}: map differs");
    }
}

#[test]
fn compressed_clusters_both_ways() {
    require_qemu();
    let dir = TempDir::new("compressed");
    let src = dir.path("src.raw");
    let mut data = vec![0u8; 6 << 20];
    let mut rng = Rng(7);
    for (i, c) in data.chunks_mut(65536).enumerate() {
        match i % 4 {
            0 => rng.fill(c), // incompressible
            1 => c
                .iter_mut()
                .enumerate()
                .for_each(|(j, b)| *b = (j % 7) as u8), // compressible
            2 => {}           // zero
            _ => c[..1000].fill(0x55),
        }
    }
    write_raw(&src, &data);
    // Mimic compresses; qemu checks and reads.
    let ours = dir.s("ours.qcow2");
    assert_eq!(
        mimg(&[
            "convert",
            "-q",
            "-c",
            "-f",
            "raw",
            "-O",
            "qcow2",
            &src.to_string_lossy(),
            &ours
        ]),
        0
    );
    assert_qemu_check_clean(Path::new(&ours), "qcow2");
    assert_qemu_compare(Path::new(&ours), "qcow2", &src);
    let (_, j, _) = qemu_img(&["check", "--output=json", &ours]);
    assert!(
        j.contains("\"compressed-clusters\""),
        "no compressed clusters written: {j}"
    );
    {
        // check's counts (allocated, fragmented, compressed) are qemu's.
        let mut d = block::open_image(Path::new(&ours), None, true).unwrap();
        let r = d.check(block::Fix::None).unwrap();
        assert_eq!(
            block::img::report_json(&ours, "qcow2", &r).pretty() + "\n",
            j
        );
        let (_, h, _) = qemu_img(&["check", &ours]);
        assert_eq!(block::img::report_human(&r), h);
    }
    // qemu compresses; Mimic reads, maps and overwrites parts of it.
    let theirs = dir.path("theirs.qcow2");
    let (rc, a, b) = qemu_img(&[
        "convert",
        "-c",
        "-f",
        "raw",
        "-O",
        "qcow2",
        &src.to_string_lossy(),
        &theirs.to_string_lossy(),
    ]);
    assert_eq!(rc, 0, "{a}{b}");
    assert!(read_all(&theirs, None) == data);
    let mut d = block::open_image(&theirs, None, true).unwrap();
    let m = block::img::map_json(d.as_mut()).unwrap();
    drop(d);
    let (_, tm, _) = qemu_img(&["map", "--output=json", &theirs.to_string_lossy()]);
    assert_eq!(like_qemu(&m, &tm), tm);
    let mut d = block::open_image(&theirs, None, false).unwrap();
    let patch = vec![0xabu8; 5000];
    d.write(65536 + 3000, &patch).unwrap();
    data[65536 + 3000..65536 + 8000].copy_from_slice(&patch);
    d.close().unwrap();
    drop(d);
    write_raw(&src, &data);
    assert_qemu_check_clean(&theirs, "qcow2");
    assert_qemu_compare(&theirs, "qcow2", &src);
}

#[test]
fn backing_chain_cow_and_map() {
    require_qemu();
    let dir = TempDir::new("chain");
    let base = dir.path("base.qcow2");
    let size = 8u64 << 20;
    block::img::create_image("qcow2", &base, size, &opts(&[])).unwrap();
    let mut reference = vec![0u8; size as usize];
    let mut rng = Rng(11);
    {
        let mut d = block::open_image(&base, None, false).unwrap();
        workload(d.as_mut(), &mut reference, &mut rng, 80, 0);
        d.close().unwrap();
    }
    // mid: raw-backed is not allowed here; qcow2 over qcow2 over qcow2.
    let mid = dir.s("mid.qcow2");
    let top = dir.s("top.qcow2");
    assert_eq!(
        mimg(&[
            "create",
            "-q",
            "-f",
            "qcow2",
            "-b",
            "base.qcow2",
            "-F",
            "qcow2",
            &mid
        ]),
        0
    );
    {
        let mut d = block::open_image(Path::new(&mid), None, false).unwrap();
        workload(d.as_mut(), &mut reference, &mut rng, 80, 0);
        d.close().unwrap();
    }
    assert_eq!(
        mimg(&[
            "create",
            "-q",
            "-f",
            "qcow2",
            "-b",
            "mid.qcow2",
            "-F",
            "qcow2",
            &top
        ]),
        0
    );
    {
        let mut d = block::open_image(Path::new(&top), None, false).unwrap();
        // Partial-cluster writes over backing data exercise copy-on-write.
        for _ in 0..60 {
            let off = rng.below(size - 3000);
            let mut buf = vec![0u8; 1 + rng.below(3000) as usize];
            rng.fill(&mut buf);
            d.write(off, &buf).unwrap();
            reference[off as usize..off as usize + buf.len()].copy_from_slice(&buf);
        }
        d.write_zeroes(65536, 3 * 65536, true).unwrap();
        reference[65536..4 * 65536].fill(0);
        d.close().unwrap();
    }
    let rawref = dir.path("ref.raw");
    write_raw(&rawref, &reference);
    for f in [&base.to_string_lossy().into_owned(), &mid, &top] {
        assert_qemu_check_clean(Path::new(f), "qcow2");
    }
    assert_qemu_compare(Path::new(&top), "qcow2", &rawref);
    let mut d = block::open_image(Path::new(&top), None, true).unwrap();
    let ours = block::img::map_json(d.as_mut()).unwrap();
    drop(d);
    let (_, theirs, _) = qemu_img(&["map", "--output=json", &top]);
    assert_eq!(like_qemu(&ours, &theirs), theirs);
    // commit top into mid, then mid+top still read the same.
    assert_eq!(mimg(&["commit", "-q", &top]), 0);
    assert_qemu_check_clean(Path::new(&mid), "qcow2");
    assert_qemu_check_clean(Path::new(&top), "qcow2");
    assert_qemu_compare(Path::new(&top), "qcow2", &rawref);
    assert_qemu_compare(Path::new(&mid), "qcow2", &rawref);
    // Safe rebase of top onto base keeps the content.
    assert_eq!(
        mimg(&["rebase", "-q", "-b", "base.qcow2", "-F", "qcow2", &top]),
        0
    );
    assert_qemu_check_clean(Path::new(&top), "qcow2");
    assert_qemu_compare(Path::new(&top), "qcow2", &rawref);
    // Rebase onto nothing makes it standalone.
    assert_eq!(mimg(&["rebase", "-q", "-b", "", &top]), 0);
    let (_, info, _) = qemu_img(&["info", &top]);
    assert!(!info.contains("backing file"), "{info}");
    assert_qemu_compare(Path::new(&top), "qcow2", &rawref);
    // Unsafe rebase only rewrites the name.
    assert_eq!(
        mimg(&["rebase", "-u", "-b", "base.qcow2", "-F", "qcow2", &top]),
        0
    );
    let (_, info, _) = qemu_img(&["info", &top]);
    assert!(info.contains("backing file: base.qcow2"), "{info}");
}

fn refblock_offset(img: &Path) -> (u64, u64) {
    let b = std::fs::read(img).unwrap();
    let be64 = |o: usize| u64::from_be_bytes(b[o..o + 8].try_into().unwrap());
    let rt = be64(48);
    (rt, be64(rt as usize))
}

fn poke16(img: &Path, off: u64, v: u16) {
    use std::os::unix::fs::FileExt;
    let f = std::fs::OpenOptions::new().write(true).open(img).unwrap();
    f.write_all_at(&v.to_be_bytes(), off).unwrap();
}

#[test]
fn damaged_images_same_verdict_and_repair() {
    require_qemu();
    let dir = TempDir::new("damaged");
    // (description, cluster whose refcount is changed, new value)
    // Cluster u64::MAX: guest cluster 1's L2 entry is pointed at guest
    // cluster 0's data (double reference); u64::MAX-1: at the refcount block
    // (overlap with metadata).
    let cases: [(&str, u64, u16); 6] = [
        ("leak", 7, 1),
        ("overcount", 5, 3),
        ("zero refcount on data", 5, 0),
        ("zero refcount on L2", 4, 0),
        ("two L2 entries, one cluster", u64::MAX, 0),
        ("L2 entry pointing at a refcount block", u64::MAX - 1, 0),
    ];
    for (name, cluster, v) in cases {
        let img = dir.path("d.qcow2");
        let _ = std::fs::remove_file(&img);
        let (rc, a, b) = qemu_img(&["create", "-q", "-f", "qcow2", &img.to_string_lossy(), "64M"]);
        assert_eq!(rc, 0, "{a}{b}");
        qemu_io("qcow2", &img, &["write -P 3 0 128k", "write -P 4 4M 64k"]);
        let (_, rb) = refblock_offset(&img);
        if cluster >= u64::MAX - 1 {
            use std::os::unix::fs::FileExt;
            let f = std::fs::OpenOptions::new()
                .read(true)
                .write(true)
                .open(&img)
                .unwrap();
            let mut h = [0u8; 8];
            f.read_exact_at(&mut h, 40).unwrap();
            let mut e = [0u8; 8];
            f.read_exact_at(&mut e, u64::from_be_bytes(h)).unwrap();
            let l2 = u64::from_be_bytes(e) & 0x00ff_ffff_ffff_fe00;
            f.read_exact_at(&mut e, l2).unwrap();
            let target = if cluster == u64::MAX {
                u64::from_be_bytes(e)
            } else {
                rb | 1 << 63
            };
            f.write_all_at(&target.to_be_bytes(), l2 + 8).unwrap();
        } else {
            poke16(&img, rb + cluster * 2, v);
        }
        let s = img.to_string_lossy().into_owned();
        for fix in [None, Some("leaks"), Some("all")] {
            let a = dir.path("a.qcow2");
            let b = dir.path("b.qcow2");
            std::fs::copy(&img, &a).unwrap();
            std::fs::copy(&img, &b).unwrap();
            let mut args = vec!["check"];
            if let Some(f) = fix {
                args.push("-r");
                args.push(f);
            }
            let (q, qo, qe) = {
                let mut qa = args.clone();
                let bs = b.to_string_lossy().into_owned();
                qa.push(&bs);
                let r = qemu_img(&qa);
                (r.0, r.1, r.2)
            };
            let asx = a.to_string_lossy().into_owned();
            let mut ma = args.clone();
            ma.push("-q");
            ma.push(&asx);
            let m = mimg(&ma);
            assert_eq!(
                m, q,
                "{name} check {fix:?}: mimic exit {m}, qemu exit {q}: {qo}{qe}"
            );
            // Where no rebuild is involved, the report is qemu's, byte for byte.
            if !qe.contains("ebuild") && q != 1 {
                let c = dir.path("c.qcow2");
                let d2 = dir.path("d2.qcow2");
                std::fs::copy(&img, &c).unwrap();
                std::fs::copy(&img, &d2).unwrap();
                let mut qa = args.clone();
                let d2s = d2.to_string_lossy().into_owned();
                qa.push("--output=json");
                qa.push(&d2s);
                let (_, qjson, _) = qemu_img(&qa);
                let o = block::qcow2::OpenOpts {
                    read_only: fix.is_none(),
                    allow_corrupt: true,
                    no_backing: true,
                    no_dirty_repair: true,
                    depth: 0,
                };
                let mut d = block::open_with(&c, Some("qcow2"), &o, 0).unwrap();
                let f = match fix {
                    None => block::Fix::None,
                    Some("leaks") => block::Fix::Leaks,
                    _ => block::Fix::All,
                };
                let first = d.check(f).unwrap();
                let rep = if first.leaks_fixed + first.corruptions_fixed > 0 {
                    let second = d.check(block::Fix::None).unwrap();
                    block::CheckReport {
                        leaks_fixed: first.leaks_fixed,
                        corruptions_fixed: first.corruptions_fixed,
                        ..second
                    }
                } else {
                    first
                };
                let ours = block::img::report_json(&d2s, "qcow2", &rep).pretty() + "\n";
                assert_eq!(ours, qjson, "{name} check {fix:?}: JSON report differs");
            }
            if fix == Some("all") {
                assert_qemu_check_clean(&a, "qcow2");
                let want = qemu_read_all(&b, "qcow2", &dir);
                assert!(
                    qemu_read_all(&a, "qcow2", &dir) == want,
                    "{name}: repair changed data"
                );
            }
        }
        let _ = s;
    }
}

#[test]
fn info_json_and_human_match_qemu() {
    require_qemu();
    let dir = TempDir::new("info");
    let base = dir.s("base.qcow2");
    let top = dir.s("top.qcow2");
    let raw = dir.s("r.raw");
    assert_eq!(
        mimg(&[
            "create",
            "-q",
            "-f",
            "qcow2",
            "-o",
            "compat=0.10",
            &base,
            "4M"
        ]),
        0
    );
    assert_eq!(
        mimg(&["create", "-q", "-f", "qcow2", "-b", &base, "-F", "qcow2", &top]),
        0
    );
    assert_eq!(mimg(&["create", "-q", "-f", "raw", &raw, "1M"]), 0);
    let (rc, _, _) = qemu_img(&["info", "--output=json", &top]);
    assert_eq!(rc, 0);
    // Compare through the library: the JSON value Mimic builds vs qemu's text.
    for f in [&base, &top, &raw] {
        let mut d = block::open_image_no_backing(Path::new(f), None, true).unwrap();
        let ours = block::img::info_json(Path::new(f), d.as_mut())
            .unwrap()
            .pretty();
        let (_, theirs, _) = qemu_img(&["info", "--output=json", f]);
        assert_eq!(
            like_qemu(&ours, &theirs).trim_end(),
            theirs.trim_end(),
            "info --output=json {f}"
        );
    }
}

#[test]
fn resize_grow_and_shrink() {
    require_qemu();
    let dir = TempDir::new("resize");
    let img = dir.s("r.qcow2");
    assert_eq!(
        mimg(&[
            "create",
            "-q",
            "-f",
            "qcow2",
            "-o",
            "cluster_size=4096",
            &img,
            "3M"
        ]),
        0
    );
    qemu_io("qcow2", Path::new(&img), &["write -P 1 0 3M"]);
    assert_eq!(mimg(&["resize", "-q", &img, "+2G"]), 0);
    assert_qemu_check_clean(Path::new(&img), "qcow2");
    qemu_io(
        "qcow2",
        Path::new(&img),
        &["read -P 1 0 3M", "read -P 0 3M 1M", "write -P 2 2G 1M"],
    );
    assert_eq!(
        mimg(&["resize", "-q", &img, "1M"]),
        1,
        "shrinking without --shrink must fail"
    );
    assert_eq!(mimg(&["resize", "-q", "--shrink", &img, "1M"]), 0);
    assert_qemu_check_clean(Path::new(&img), "qcow2");
    qemu_io("qcow2", Path::new(&img), &["read -P 1 0 1M"]);
    let (_, info, _) = qemu_img(&["info", &img]);
    assert!(
        info.contains("virtual size: 1 MiB (1048576 bytes)"),
        "{info}"
    );
    assert_eq!(mimg(&["resize", "-q", &img, "+1M"]), 0);
    qemu_io(
        "qcow2",
        Path::new(&img),
        &["read -P 1 0 1M", "read -P 0 1M 1M"],
    );
}

#[test]
fn convert_and_compare_roundtrip() {
    require_qemu();
    let dir = TempDir::new("convert");
    let src = dir.path("src.qcow2");
    let (rc, a, b) = qemu_img(&["create", "-q", "-f", "qcow2", &src.to_string_lossy(), "16M"]);
    assert_eq!(rc, 0, "{a}{b}");
    qemu_io(
        "qcow2",
        &src,
        &[
            "write -P 1 0 1M",
            "write -z 2M 1M",
            "write -P 3 9M 5k",
            "write -P 4 15M 1M",
        ],
    );
    let s = src.to_string_lossy().into_owned();
    let raw = dir.s("out.raw");
    let q2 = dir.s("out.qcow2");
    assert_eq!(mimg(&["convert", "-q", "-O", "raw", &s, &raw]), 0);
    assert_eq!(
        mimg(&[
            "convert",
            "-q",
            "-W",
            "-m",
            "4",
            "-O",
            "qcow2",
            "-o",
            "cluster_size=16k,compat=0.10",
            &s,
            &q2
        ]),
        0
    );
    assert_qemu_check_clean(Path::new(&q2), "qcow2");
    assert_qemu_compare(Path::new(&q2), "qcow2", Path::new(&raw));
    assert_qemu_compare(&src, "qcow2", Path::new(&raw));
    assert_eq!(mimg(&["compare", "-q", &s, &q2]), 0);
    qemu_io("qcow2", Path::new(&q2), &["write -P 9 12345 1"]);
    assert_eq!(mimg(&["compare", "-q", &s, &q2]), 1);
    // -n into an existing (dirty) target overwrites everything.
    assert_eq!(mimg(&["convert", "-q", "-n", "-O", "qcow2", &s, &q2]), 0);
    assert_eq!(mimg(&["compare", "-q", &s, &q2]), 0);
    // A raw output is sparse where the source is zero.
    let meta = std::fs::metadata(&raw).unwrap();
    use std::os::unix::fs::MetadataExt;
    assert!(meta.blocks() * 512 < 8 << 20, "raw output not sparse");
}

#[test]
fn measure_matches_qemu() {
    require_qemu();
    let dir = TempDir::new("measure");
    let src = dir.path("m.qcow2");
    let (rc, a, b) = qemu_img(&["create", "-q", "-f", "qcow2", &src.to_string_lossy(), "64M"]);
    assert_eq!(rc, 0, "{a}{b}");
    qemu_io(
        "qcow2",
        &src,
        &["write -P 1 0 100k", "write -z 1M 128k", "write 5M 4k"],
    );
    let s = src.to_string_lossy().into_owned();
    for args in [
        vec!["measure", "-O", "qcow2", &s],
        vec!["measure", "--size", "1G", "-O", "qcow2"],
        vec!["measure", "-O", "raw", &s],
    ] {
        let (_, theirs, _) = qemu_img(&args);
        let ours = capture_measure(&args[1..]);
        assert_eq!(ours, theirs, "{args:?}");
    }
}

/// Every output format and option qemu-img measure takes (or refuses): the
/// same numbers, or the same error (qemu-img cannot measure QED, VMDK or
/// VHDX output; Mimic says the same words).
#[test]
fn measure_formats_options_and_errors_match_qemu() {
    require_qemu();
    let dir = TempDir::new("measure-fmts");
    let q = dir.s("m.qcow2");
    let e = dir.s("m.qed");
    for (f, p) in [("qcow2", &q), ("qed", &e)] {
        let (rc, a, b) = qemu_img(&["create", "-q", "-f", f, p, "64M"]);
        assert_eq!(rc, 0, "{a}{b}");
        qemu_io(f, Path::new(p), &["write -P 1 64k 3M", "write 40M 4k"]);
    }
    let cases: Vec<Vec<&str>> = vec![
        vec!["-O", "qcow2", "-o", "extended_l2=on", "--size", "1G"],
        vec![
            "-O",
            "qcow2",
            "-o",
            "extended_l2=on,cluster_size=2M",
            "--size",
            "5G",
        ],
        vec!["-O", "qcow2", "-o", "extended_l2=on,cluster_size=16k", &q],
        vec!["-O", "qcow2", "-o", "extended_l2=on,cluster_size=8k", &q],
        vec!["-O", "qcow2", "-o", "cluster_size=4k,refcount_bits=1", &e],
        vec!["-O", "qcow2", "-o", "cluster_size=3k", "--size", "1G"],
        vec!["-O", "qcow2", "-o", "refcount_bits=3", "--size", "1G"],
        vec!["-O", "qcow2", "-o", "preallocation=metadata", &e],
        vec!["-O", "qcow2", "--output=json", &e],
        vec!["-O", "raw", "-o", "preallocation=full", &q],
        vec!["-O", "qcow2", "--size", "-5"],
        vec!["-O", "qed", "--size", "1G"],
        vec!["-O", "vmdk", &q],
        vec!["-O", "vhdx", &e],
        vec!["-O", "vpc", "--size", "1G"],
        vec!["-O", "nosuchformat", "--size", "1G"],
    ];
    for args in cases {
        let mut full = vec!["measure"];
        full.extend(&args);
        let (rc, theirs, err) = qemu_img(&full);
        let a: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        match block::img::measure_text(&a) {
            Ok(ours) => {
                assert_eq!(rc, 0, "{args:?}: qemu-img failed: {err}");
                assert_eq!(ours, theirs, "{args:?}");
            }
            Err(ours) => {
                assert_eq!(rc, 1, "{args:?}: mimic failed ({ours}), qemu-img did not");
                let theirs = err.trim_end().replace("qemu-img: ", "");
                assert_eq!(
                    like_qemu(&ours.to_string().replace("mimic-img: ", ""), &theirs),
                    theirs,
                    "{args:?}"
                );
            }
        }
    }
}

fn capture_measure(args: &[&str]) -> String {
    let a: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    block::img::measure_text(&a).unwrap()
}

#[test]
fn overlap_check_marks_image_corrupt() {
    require_qemu();
    let dir = TempDir::new("corrupt");
    let img = dir.path("c.qcow2");
    let s = img.to_string_lossy().into_owned();
    let (rc, a, b) = qemu_img(&["create", "-q", "-f", "qcow2", &s, "64M"]);
    assert_eq!(rc, 0, "{a}{b}");
    qemu_io("qcow2", &img, &["write -P 3 0 64k"]);
    // Cluster 4 is the L2 table: claim it is free.
    let (_, rb) = refblock_offset(&img);
    poke16(&img, rb + 4 * 2, 0);
    {
        let mut d = block::open_image(&img, Some("qcow2"), false).unwrap();
        // The next allocation would land on the L2 table: refused.
        let e = d.write(8 << 20, &[1u8; 4096]).unwrap_err();
        assert!(matches!(e, block::BlockError::Corrupt(_)), "{e}");
        assert!(
            d.write(0, &[1u8; 512]).is_err(),
            "a corrupt image must stay read-only"
        );
    }
    // The corrupt bit is on disk: qemu sees it, a read/write open is refused.
    let (_, info, _) = qemu_img(&["info", &s]);
    assert!(info.contains("corrupt: true"), "{info}");
    let e = block::open_image(&img, Some("qcow2"), false)
        .err()
        .expect("read/write open of a corrupt image must fail");
    assert!(e.to_string().contains("check -r all"), "{e}");
    assert!(block::open_image(&img, Some("qcow2"), true).is_ok());
    // check -r all repairs and clears the flag; the data survives.
    assert_eq!(mimg(&["check", "-q", "-r", "all", &s]), 0);
    let (_, info, _) = qemu_img(&["info", &s]);
    assert!(info.contains("corrupt: false"), "{info}");
    assert_qemu_check_clean(&img, "qcow2");
    qemu_io("qcow2", &img, &["read -P 3 0 64k"]);
    let mut d = block::open_image(&img, Some("qcow2"), false).unwrap();
    d.write(8 << 20, &[1u8; 4096]).unwrap();
    d.close().unwrap();
    drop(d);
    assert_qemu_check_clean(&img, "qcow2");
    qemu_io("qcow2", &img, &["read -P 3 0 64k", "read -P 1 8M 4k"]);
}

#[test]
fn human_outputs_match_qemu() {
    require_qemu();
    let dir = TempDir::new("human");
    let img = dir.s("h.qcow2");
    let (rc, a, b) = qemu_img(&["create", "-q", "-f", "qcow2", &img, "64M"]);
    assert_eq!(rc, 0, "{a}{b}");
    qemu_io(
        "qcow2",
        Path::new(&img),
        &["write -P 1 0 100k", "write -z 1M 128k", "write 5M 4k"],
    );
    let (rc, a, b) = qemu_img(&["snapshot", "-c", "first", &img]);
    assert_eq!(rc, 0, "{a}{b}");
    // Compare the text the library produces for the same report.
    let mut d = block::open_image(Path::new(&img), None, true).unwrap();
    let r = d.check(block::Fix::None).unwrap();
    let (_, theirs, _) = qemu_img(&["check", &img]);
    assert_eq!(block::img::report_human(&r), theirs);
    let (_, theirs, _) = qemu_img(&["check", "--output=json", &img]);
    assert_eq!(
        block::img::report_json(&img, "qcow2", &r).pretty() + "\n",
        theirs
    );
    let (_, theirs, _) = qemu_img(&["snapshot", "-l", &img]);
    let ours = format!(
        "Snapshot list:\n{}",
        block::img::snapshot_table_text(&d.snapshot_list().unwrap())
    );
    assert_eq!(like_qemu(&ours, &theirs), theirs);
    let (_, theirs, _) = qemu_img(&["info", &img]);
    let j = block::img::info_json(Path::new(&img), d.as_mut()).unwrap();
    assert_eq!(like_qemu(&block::img::info_human(&j), &theirs), theirs);
}

#[test]
fn preallocation_modes_match_qemu() {
    require_qemu();
    let dir = TempDir::new("prealloc");
    for mode in ["metadata", "falloc", "full"] {
        let ours = dir.s(&format!("m-{mode}.qcow2"));
        let theirs = dir.s(&format!("q-{mode}.qcow2"));
        let o = format!("preallocation={mode}");
        assert_eq!(
            mimg(&["create", "-q", "-f", "qcow2", "-o", &o, &ours, "20M"]),
            0
        );
        let (rc, a, b) = qemu_img(&["create", "-q", "-f", "qcow2", "-o", &o, &theirs, "20M"]);
        assert_eq!(rc, 0, "{a}{b}");
        assert_qemu_check_clean(Path::new(&ours), "qcow2");
        assert_eq!(
            std::fs::metadata(&ours).unwrap().len(),
            std::fs::metadata(&theirs).unwrap().len(),
            "{mode}: file length"
        );
        let mut d = block::open_image(Path::new(&ours), None, true).unwrap();
        let m = block::img::map_json(d.as_mut()).unwrap();
        let (_, qm, _) = qemu_img(&["map", "--output=json", &ours]);
        assert_eq!(like_qemu(&m, &qm), qm, "{mode}: map");
        let (_, tm, _) = qemu_img(&["map", "--output=json", &theirs]);
        assert_eq!(
            like_qemu(&m, &tm).replace(&ours, ""),
            tm.replace(&theirs, ""),
            "{mode}: same layout as qemu's"
        );
    }
    for mode in ["falloc", "full"] {
        let r = dir.s(&format!("r-{mode}.raw"));
        assert_eq!(
            mimg(&[
                "create",
                "-q",
                "-f",
                "raw",
                "-o",
                &format!("preallocation={mode}"),
                &r,
                "4M"
            ]),
            0
        );
        use std::os::unix::fs::MetadataExt;
        assert!(
            std::fs::metadata(&r).unwrap().blocks() * 512 >= 4 << 20,
            "{mode}: raw not allocated"
        );
    }
}

#[test]
fn tiny_metadata_caches_write_back_correctly() {
    require_qemu();
    let dir = TempDir::new("tinycache");
    let img = dir.path("t.qcow2");
    // 4 KiB clusters: an L2 table covers 2 MiB, a refcount block 8 MiB.
    block::img::create_image("qcow2", &img, 48 << 20, &opts(&[("cluster_size", "4096")])).unwrap();
    let mut reference = vec![0u8; 48 << 20];
    let snaps = {
        let mut q = block::qcow2::Qcow2::open(&img, &Default::default()).unwrap();
        q.set_cache_limits(2, 1);
        let s = workload(&mut q, &mut reference, &mut Rng(77), 400, 2);
        q.close().unwrap();
        s
    };
    let rawref = dir.path("ref.raw");
    write_raw(&rawref, &reference);
    assert_qemu_check_clean(&img, "qcow2");
    assert_qemu_compare(&img, "qcow2", &rawref);
    for (name, content) in &snaps {
        let out = dir.s("s.raw");
        assert_eq!(
            mimg(&[
                "convert",
                "-q",
                "-l",
                &format!("snapshot.name={name}"),
                "-O",
                "raw",
                &img.to_string_lossy(),
                &out
            ]),
            0
        );
        assert!(std::fs::read(&out).unwrap() == *content, "snapshot {name}");
    }
}

#[test]
fn persistent_bitmaps_are_accounted_then_invalidated() {
    require_qemu();
    let dir = TempDir::new("bitmaps");
    let img = dir.s("b.qcow2");
    let (rc, a, b) = qemu_img(&["create", "-q", "-f", "qcow2", &img, "64M"]);
    assert_eq!(rc, 0, "{a}{b}");
    for args in [
        vec!["bitmap", "--add", &img, "b0"],
        vec!["bitmap", "--add", "-g", "512k", &img, "b1"],
    ] {
        let (rc, a, b) = qemu_img(&args);
        assert_eq!(rc, 0, "{a}{b}");
    }
    qemu_io("qcow2", Path::new(&img), &["write 0 1M", "write 8M 1M"]);
    // Valid bitmaps: their clusters are referenced, info lists them.
    assert_eq!(mimg(&["check", "-q", &img]), 0);
    let mut d = block::open_image_no_backing(Path::new(&img), None, true).unwrap();
    let ours = block::img::info_json(Path::new(&img), d.as_mut())
        .unwrap()
        .pretty();
    drop(d);
    let (_, theirs, _) = qemu_img(&["info", "--output=json", &img]);
    assert_eq!(like_qemu(&ours, &theirs).trim_end(), theirs.trim_end());
    // Repairing keeps them.
    assert_eq!(mimg(&["check", "-q", "-r", "all", &img]), 0);
    let (_, info, _) = qemu_img(&["info", &img]);
    assert!(info.contains("name: b1"), "{info}");
    // Writing invalidates them (autoclear bit): both tools see leaks only.
    let mut d = block::open_image(Path::new(&img), None, false).unwrap();
    d.write(0, &[1u8; 4096]).unwrap();
    d.close().unwrap();
    drop(d);
    let (q, _, _) = qemu_img(&["check", &img]);
    assert_eq!(q, 3);
    assert_eq!(mimg(&["check", "-q", &img]), 3);
    assert_eq!(mimg(&["check", "-q", "-r", "leaks", &img]), 0);
    assert_qemu_check_clean(Path::new(&img), "qcow2");
}

#[test]
fn qemu_written_backing_chain_reads_identically() {
    require_qemu();
    let dir = TempDir::new("qchain");
    let base = dir.s("base.raw");
    let mid = dir.s("mid.qcow2");
    let top = dir.s("top.qcow2");
    for args in [
        vec!["create", "-q", "-f", "raw", &base, "6M"],
        vec![
            "create",
            "-q",
            "-f",
            "qcow2",
            "-o",
            "compat=0.10",
            "-b",
            "base.raw",
            "-F",
            "raw",
            &mid,
            "8M",
        ],
        vec![
            "create",
            "-q",
            "-f",
            "qcow2",
            "-b",
            "mid.qcow2",
            "-F",
            "qcow2",
            &top,
        ],
    ] {
        let (rc, a, b) = qemu_img(&args);
        assert_eq!(rc, 0, "{a}{b}");
    }
    qemu_io("raw", Path::new(&base), &["write -P 1 0 6M"]);
    qemu_io(
        "qcow2",
        Path::new(&mid),
        &["write -P 2 1M 1M", "write -z 3M 100k"],
    );
    qemu_io(
        "qcow2",
        Path::new(&top),
        &[
            "write -P 3 1536k 1k",
            "write -z 5M 64k",
            "discard 1M 64k",
            "write -P 4 7M 512k",
        ],
    );
    let theirs = qemu_read_all(Path::new(&top), "qcow2", &dir);
    assert!(
        read_all(Path::new(&top), None) == theirs,
        "Mimic reads a qemu-written chain differently"
    );
    let mut d = block::open_image(Path::new(&top), None, true).unwrap();
    let ours = block::img::map_json(d.as_mut()).unwrap();
    let (_, tm, _) = qemu_img(&["map", "--output=json", &top]);
    assert_eq!(like_qemu(&ours, &tm), tm);
}

#[test]
fn vm_state_snapshot() {
    // A snapshot with VM state: qemu-img lists its VM SIZE and accepts the
    // image; applying it brings back both the disk and the state.
    require_qemu();
    let dir = TempDir::new("vmstate");
    let img = dir.path("v.qcow2");
    // A size that is not a multiple of an L1 entry's reach (32 MiB here).
    block::img::create_image("qcow2", &img, 40 << 20, &opts(&[])).unwrap();
    let mut rng = Rng(7);
    let mut state = vec![0u8; (3 << 20) + 777];
    rng.fill(&mut state);
    let mut d = block::open_image(&img, Some("qcow2"), false).unwrap();
    d.write(0, &[0xaa; 4096]).unwrap();
    d.vm_state_write(0, &state[..1 << 20]).unwrap();
    d.vm_state_write(1 << 20, &state[1 << 20..]).unwrap();
    d.snapshot_create_vm("vm1", state.len() as u64, 5_000_000_000)
        .unwrap();
    d.write(0, &[0xbb; 4096]).unwrap();
    // The active image no longer holds the state.
    let mut back = vec![1u8; 4096];
    d.vm_state_read(0, &mut back).unwrap();
    assert!(back.iter().all(|&b| b == 0));
    let snaps = d.snapshot_list().unwrap();
    assert_eq!(snaps[0].vm_state_size, state.len() as u64);
    assert_eq!(snaps[0].vm_clock_nsec, 5_000_000_000);
    d.close().unwrap();
    drop(d);
    assert_qemu_check_clean(&img, "qcow2");
    let (rc, o, e) = qemu_img(&["snapshot", "-l", &img.to_string_lossy()]);
    assert_eq!(rc, 0, "{e}");
    let line = o.lines().find(|l| l.contains("vm1")).expect(&o);
    assert!(line.contains("3 MiB"), "VM SIZE missing: {o}");

    let mut d = block::open_image(&img, Some("qcow2"), false).unwrap();
    d.snapshot_apply("vm1").unwrap();
    let mut back = vec![0u8; state.len()];
    d.vm_state_read(0, &mut back).unwrap();
    assert!(back == state, "VM state differs after apply");
    let mut disk = vec![0u8; 4096];
    d.read(0, &mut disk).unwrap();
    assert!(disk.iter().all(|&b| b == 0xaa));
    d.vm_state_discard(state.len() as u64).unwrap();
    d.close().unwrap();
    drop(d);
    assert_qemu_check_clean(&img, "qcow2");
}
