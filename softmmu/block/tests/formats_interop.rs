//! QED, VMDK and VHDX interop with qemu-img/qemu-io, the QED need-check
//! repair and the VHDX log replay.

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

/// Random writes and zero writes mirrored into `reference`.
fn workload(d: &mut dyn BlockDriver, reference: &mut [u8], rng: &mut Rng, ops: usize) {
    let size = reference.len() as u64;
    for _ in 0..ops {
        let big = rng.below(4) == 0;
        let len = 1 + rng.below(if big { 1 << 20 } else { 20_000 });
        let off = rng.below(size);
        let len = len.min(size - off);
        if rng.below(8) == 0 {
            d.write_zeroes(off, len, true).unwrap();
            reference[off as usize..(off + len) as usize].fill(0);
        } else {
            let mut buf = vec![0u8; len as usize];
            rng.fill(&mut buf);
            d.write(off, &buf).unwrap();
            reference[off as usize..(off + len) as usize].copy_from_slice(&buf);
        }
    }
}

fn mimic_written(fmt: &str, o: &[(&str, &str)], size: u64, seed: u64) {
    require_qemu();
    let dir = TempDir::new(&format!("w-{fmt}"));
    let img = dir.path(&format!("t.{fmt}"));
    block::img::create_image(fmt, &img, size, &opts(o)).unwrap();
    let mut reference = vec![0u8; size as usize];
    {
        let mut d = block::open_image(&img, Some(fmt), false).unwrap();
        workload(d.as_mut(), &mut reference, &mut Rng(seed), 120);
        d.close().unwrap();
    }
    let rawref = dir.path("ref.raw");
    write_raw(&rawref, &reference);
    assert_qemu_check_clean(&img, fmt);
    assert_qemu_compare(&img, fmt, &rawref);
    assert!(
        read_all(&img, Some(fmt)) == reference,
        "{fmt} {o:?}: Mimic reads back different data"
    );
    let mut d = block::open_image(&img, Some(fmt), true).unwrap();
    let ours = block::img::map_json(d.as_mut()).unwrap();
    let (_, theirs, _) = qemu_img(&["map", "--output=json", "-f", fmt, &img.to_string_lossy()]);
    assert_eq!(
        like_qemu(&ours, &theirs),
        theirs,
        "{fmt} {o:?}: map differs"
    );
}

#[test]
fn qed_mimic_written() {
    mimic_written("qed", &[], 40 << 20, 21);
    mimic_written(
        "qed",
        &[("cluster_size", "4096"), ("table_size", "2")],
        16 << 20,
        22,
    );
}

#[test]
fn vmdk_mimic_written() {
    mimic_written("vmdk", &[], 40 << 20, 23);
    mimic_written("vmdk", &[("subformat", "monolithicFlat")], 16 << 20, 24);
    mimic_written("vmdk", &[("zeroed_grain", "on")], 16 << 20, 25);
}

#[test]
fn vhdx_mimic_written() {
    mimic_written("vhdx", &[], 40 << 20, 26);
    mimic_written(
        "vhdx",
        &[("subformat", "fixed"), ("block_size", "1M")],
        8 << 20,
        27,
    );
}

fn qemu_written(fmt: &str, create_opts: &str, seed: u64) {
    require_qemu();
    let dir = TempDir::new(&format!("q-{fmt}"));
    let img = dir.path(&format!("q.{fmt}"));
    let mut args = vec!["create", "-q", "-f", fmt];
    if !create_opts.is_empty() {
        args.push("-o");
        args.push(create_opts);
    }
    let s = img.to_string_lossy().into_owned();
    args.push(&s);
    args.push("24M");
    let (rc, a, b) = qemu_img(&args);
    assert_eq!(rc, 0, "{a}{b}");
    let mut rng = Rng(seed);
    let mut cmds = Vec::new();
    for _ in 0..30 {
        let off = rng.below(24 << 20) / 512 * 512;
        let len = ((1 + rng.below(300 * 1024)) / 512 * 512).clamp(512, (24 << 20) - off);
        if rng.below(6) == 0 {
            cmds.push(format!("write -z {off} {len}"));
        } else {
            cmds.push(format!("write -P {} {off} {len}", 1 + rng.below(250)));
        }
    }
    let refs: Vec<&str> = cmds.iter().map(|s| s.as_str()).collect();
    qemu_io(fmt, &img, &refs);
    let theirs = qemu_read_all(&img, fmt, &dir);
    assert!(
        read_all(&img, Some(fmt)) == theirs,
        "{fmt} {create_opts}: Mimic reads a qemu-written image differently"
    );
    assert!(
        read_all(&img, None) == theirs,
        "{fmt} {create_opts}: probing failed"
    );
    let mut d = block::open_image(&img, None, true).unwrap();
    let ours = block::img::map_json(d.as_mut()).unwrap();
    let (_, tm, _) = qemu_img(&["map", "--output=json", &s]);
    assert_eq!(
        like_qemu(&ours, &tm),
        tm,
        "{fmt} {create_opts}: map differs"
    );
    assert_eq!(mimg(&["check", "-q", &s]), 0);
}

#[test]
fn qed_qemu_written() {
    qemu_written("qed", "", 31);
}

#[test]
fn vmdk_qemu_written() {
    qemu_written("vmdk", "", 32);
    qemu_written("vmdk", "subformat=monolithicFlat", 33);
    qemu_written("vmdk", "subformat=twoGbMaxExtentSparse", 34);
    qemu_written("vmdk", "subformat=twoGbMaxExtentFlat", 35);
    qemu_written("vmdk", "zeroed_grain=on", 36);
}

#[test]
fn vhdx_qemu_written() {
    qemu_written("vhdx", "", 37);
    qemu_written("vhdx", "subformat=fixed", 38);
    qemu_written("vhdx", "block_size=1M,log_size=2M", 39);
}

#[test]
fn vmdk_stream_optimized_both_ways() {
    require_qemu();
    let dir = TempDir::new("stream");
    let src = dir.path("src.raw");
    let mut data = vec![0u8; 5 << 20];
    let mut rng = Rng(41);
    rng.fill(&mut data[..1 << 20]);
    for (i, b) in data[2 << 20..3 << 20].iter_mut().enumerate() {
        *b = (i / 100) as u8;
    }
    write_raw(&src, &data);
    let s = src.to_string_lossy().into_owned();
    // Mimic writes a streamOptimized image (convert -c / subformat).
    for (i, extra) in [vec!["-c"], vec!["-o", "subformat=streamOptimized"]]
        .iter()
        .enumerate()
    {
        let out = dir.s(&format!("m{i}.vmdk"));
        let mut args = vec!["convert", "-q", "-O", "vmdk"];
        args.extend(extra.iter().copied());
        args.push(&s);
        args.push(&out);
        assert_eq!(mimg(&args), 0);
        assert_qemu_check_clean(Path::new(&out), "vmdk");
        assert_qemu_compare(Path::new(&out), "vmdk", &src);
        let (_, info, _) = qemu_img(&["info", &out]);
        assert!(info.contains("create type: streamOptimized"), "{info}");
    }
    // qemu writes one; Mimic reads it.
    let q = dir.path("q.vmdk");
    let (rc, a, b) = qemu_img(&[
        "convert",
        "-O",
        "vmdk",
        "-o",
        "subformat=streamOptimized",
        &s,
        &q.to_string_lossy(),
    ]);
    assert_eq!(rc, 0, "{a}{b}");
    assert!(read_all(&q, None) == data);
    let mut d = block::open_image(&q, None, true).unwrap();
    let ours = block::img::map_json(d.as_mut()).unwrap();
    let (_, tm, _) = qemu_img(&["map", "--output=json", &q.to_string_lossy()]);
    assert_eq!(like_qemu(&ours, &tm), tm);
}

#[test]
fn backing_files_for_qed_and_vmdk() {
    require_qemu();
    let dir = TempDir::new("backing2");
    // QED over qcow2.
    let base = dir.s("base.qcow2");
    assert_eq!(mimg(&["create", "-q", "-f", "qcow2", &base, "8M"]), 0);
    qemu_io("qcow2", Path::new(&base), &["write -P 5 0 8M"]);
    let top = dir.s("top.qed");
    assert_eq!(
        mimg(&[
            "create",
            "-q",
            "-f",
            "qed",
            "-b",
            "base.qcow2",
            "-F",
            "qcow2",
            &top
        ]),
        0
    );
    {
        let mut d = block::open_image(Path::new(&top), None, false).unwrap();
        d.write(1000, &[9u8; 3000]).unwrap();
        d.close().unwrap();
    }
    qemu_io(
        "qed",
        Path::new(&top),
        &[
            "read -P 5 0 1000",
            "read -P 9 1000 3000",
            "read -P 5 4000 100000",
        ],
    );
    assert_qemu_check_clean(Path::new(&top), "qed");
    // VMDK over VMDK.
    let vb = dir.s("vb.vmdk");
    let vt = dir.s("vt.vmdk");
    assert_eq!(mimg(&["create", "-q", "-f", "vmdk", &vb, "4M"]), 0);
    qemu_io("vmdk", Path::new(&vb), &["write -P 6 0 4M"]);
    assert_eq!(
        mimg(&["create", "-q", "-f", "vmdk", "-b", "vb.vmdk", "-F", "vmdk", &vt]),
        0
    );
    {
        let mut d = block::open_image(Path::new(&vt), None, false).unwrap();
        d.write(70000, &[7u8; 500]).unwrap();
        d.close().unwrap();
    }
    qemu_io(
        "vmdk",
        Path::new(&vt),
        &[
            "read -P 6 0 70000",
            "read -P 7 70000 500",
            "read -P 6 70500 100000",
        ],
    );
}

/// Sets a QED image's need-check feature bit, as a crash mid-allocation
/// leaves it; returns the open file and the 64-byte header read before.
fn qed_set_need_check(img: &Path) -> (std::fs::File, [u8; 64]) {
    use std::os::unix::fs::FileExt;
    let f = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(img)
        .unwrap();
    let mut h = [0u8; 64];
    f.read_exact_at(&mut h, 0).unwrap();
    let feats = u64::from_le_bytes(h[16..24].try_into().unwrap()) | 2;
    f.write_all_at(&feats.to_le_bytes(), 16).unwrap();
    (f, h)
}

#[test]
fn qed_need_check_repaired_on_open() {
    require_qemu();
    let dir = TempDir::new("qed-check");
    let img = dir.path("n.qed");
    block::img::create_image("qed", &img, 8 << 20, &opts(&[])).unwrap();
    {
        let mut d = block::open_image(&img, None, false).unwrap();
        d.write(0, &[1u8; 65536]).unwrap();
        d.write(1 << 20, &[2u8; 65536]).unwrap();
        d.close().unwrap();
    }
    // Simulate a crash: need-check set and an L2 entry pointing past EOF.
    use std::os::unix::fs::FileExt;
    let (f, h) = qed_set_need_check(&img);
    let l1 = u64::from_le_bytes(h[40..48].try_into().unwrap());
    let mut e = [0u8; 8];
    f.read_exact_at(&mut e, l1).unwrap();
    let l2 = u64::from_le_bytes(e);
    let bogus = 1u64 << 40;
    f.write_all_at(&bogus.to_le_bytes(), l2 + 16 * 8).unwrap(); // cluster 16 = 1 MiB
    drop(f);
    // A read-only open does not repair; a read/write open does.
    {
        let _ro = block::open_image(&img, None, true).unwrap();
    }
    {
        let mut d = block::open_image(&img, None, false).unwrap();
        let mut b = vec![0u8; 65536];
        d.read(0, &mut b).unwrap();
        assert!(b.iter().all(|&x| x == 1));
        d.read(1 << 20, &mut b).unwrap();
        assert!(
            b.iter().all(|&x| x == 0),
            "the corrupt entry must have been dropped"
        );
        d.close().unwrap();
    }
    // The cluster the dropped entry pointed to is leaked, nothing worse.
    let (rc, o, e) = qemu_img(&["check", &img.to_string_lossy()]);
    assert!(rc == 0 || rc == 3, "{o}{e}");
    assert_eq!(mimg(&["check", "-q", &img.to_string_lossy()]), rc);
    let b = std::fs::read(&img).unwrap();
    assert_eq!(
        u64::from_le_bytes(b[16..24].try_into().unwrap()) & 2,
        0,
        "need-check flag still set"
    );
}

/// A write that a crash cut short after appending its cluster but before
/// its table update leaves that cluster at the end of the file: the repair
/// of a read/write open gives it back (qemu-img check finds no leak).
#[test]
fn qed_repair_truncates_clusters_a_crash_left_behind() {
    require_qemu();
    let dir = TempDir::new("qed-tail");
    let img = dir.path("t.qed");
    block::img::create_image("qed", &img, 8 << 20, &opts(&[])).unwrap();
    {
        let mut d = block::open_image(&img, None, false).unwrap();
        d.write(0, &[7u8; 65536]).unwrap();
        d.close().unwrap();
    }
    let len = std::fs::metadata(&img).unwrap().len();
    use std::os::unix::fs::FileExt;
    let (f, _) = qed_set_need_check(&img);
    f.write_all_at(&[9u8; 65536], len).unwrap();
    drop(f);
    let (rc, _, _) = qemu_img(&["check", &img.to_string_lossy()]);
    assert_eq!(rc, 3, "the appended cluster is a leak before the repair");
    {
        let mut d = block::open_image(&img, None, false).unwrap();
        let mut b = vec![0u8; 65536];
        d.read(0, &mut b).unwrap();
        assert!(b.iter().all(|&x| x == 7));
        d.close().unwrap();
    }
    assert_eq!(std::fs::metadata(&img).unwrap().len(), len);
    assert_qemu_check_clean(&img, "qed");
}

#[test]
fn vhdx_log_replay() {
    require_qemu();
    let dir = TempDir::new("vhdx-log");
    for replayer in ["qemu", "mimic", "check"] {
        let img = dir.path(&format!("{replayer}.vhdx"));
        block::img::create_image("vhdx", &img, 32 << 20, &opts(&[("block_size", "1M")])).unwrap();
        {
            let mut v = block::vhdx::Vhdx::open(&img, false).unwrap();
            v.write(0, &[3u8; 4096]).unwrap();
            v.crash_point = block::vhdx::CrashPoint::AfterLogWrite;
            // The data is written, the BAT update only reaches the log.
            assert!(v.write(5 << 20, &[4u8; 8192]).is_err());
        }
        // Without replay the block is not mapped.
        let raw = std::fs::read(&img).unwrap();
        assert!(
            raw.windows(16)
                .any(|w| w == b"loge\0\0\0\0\0\0\0\0\0\0\0\0")
                || raw.windows(4).any(|w| w == b"loge")
        );
        // A read-only open refuses to replay, in QEMU as here, with the same
        // words.
        let e = match block::open_image(&img, Some("vhdx"), true) {
            Ok(_) => panic!("read-only open must refuse an unreplayed log"),
            Err(e) => e.to_string(),
        };
        let words = "opened read-only, but contains a log that needs to be replayed";
        assert!(e.contains(words), "{e}");
        let (rc, _, qe) = qemu_img(&["info", &img.to_string_lossy()]);
        assert_eq!(rc, 1);
        assert!(qe.contains(words), "{qe}");
        if replayer == "check" {
            // check -r all replays and counts one repaired corruption, like
            // qemu-img (same human and JSON reports).
            let copy = dir.path("check-copy.vhdx");
            std::fs::copy(&img, &copy).unwrap();
            let cs = copy.to_string_lossy().into_owned();
            let (rc, qjson, e) = qemu_img(&["check", "-r", "all", "--output=json", &cs]);
            assert_eq!(rc, 0, "{e}");
            std::fs::copy(&img, &copy).unwrap();
            let (rc, qhuman, e) = qemu_img(&["check", "-r", "all", &cs]);
            assert_eq!(rc, 0, "{e}");
            let o = block::qcow2::OpenOpts {
                read_only: false,
                allow_corrupt: true,
                no_backing: true,
                no_dirty_repair: true,
                depth: 0,
            };
            let mut d = block::open_with(&img, Some("vhdx"), &o, 0).unwrap();
            let first = d.check(block::Fix::All).unwrap();
            assert_eq!(first.corruptions_fixed, 1);
            let second = d.check(block::Fix::None).unwrap();
            let r = block::CheckReport {
                corruptions_fixed: first.corruptions_fixed,
                leaks_fixed: first.leaks_fixed,
                ..second
            };
            assert_eq!(block::img::report_human(&r), qhuman);
            assert_eq!(
                format!("{}\n", block::img::report_json(&cs, "vhdx", &r).pretty()),
                qjson
            );
            d.close().unwrap();
            drop(d);
            assert_qemu_check_clean(&img, "vhdx");
            qemu_io("vhdx", &img, &["read -P 3 0 4096", "read -P 4 5M 8192"]);
        } else if replayer == "qemu" {
            qemu_io(
                "vhdx",
                &img,
                &["read -P 3 0 4096", "read -P 4 5M 8192", "read -P 0 6M 4096"],
            );
            assert_qemu_check_clean(&img, "vhdx");
        } else {
            let mut d = block::open_image(&img, Some("vhdx"), false).unwrap();
            let mut b = vec![0u8; 8192];
            d.read(5 << 20, &mut b).unwrap();
            assert!(b.iter().all(|&x| x == 4), "replay did not map the block");
            d.close().unwrap();
            drop(d);
            assert_qemu_check_clean(&img, "vhdx");
            qemu_io("vhdx", &img, &["read -P 3 0 4096", "read -P 4 5M 8192"]);
        }
    }
}

#[test]
fn info_and_check_match_qemu_for_other_formats() {
    require_qemu();
    let dir = TempDir::new("info2");
    for (fmt, o) in [
        ("qed", ""),
        ("vmdk", ""),
        ("vmdk", "subformat=monolithicFlat"),
        ("vhdx", ""),
    ] {
        let img = dir.s(&format!("i.{fmt}"));
        let mut args = vec!["create", "-q", "-f", fmt];
        if !o.is_empty() {
            args.push("-o");
            args.push(o);
        }
        args.push(&img);
        args.push("20M");
        // twoGbMaxExtent* is read-only in Mimic: let qemu create it.
        if o.contains("twoGb") {
            assert_eq!(qemu_img(&args).0, 0);
        } else {
            assert_eq!(mimg(&args), 0);
        }
        qemu_io(fmt, Path::new(&img), &["write -P 1 0 1M"]);
        let mut d = block::open_image_no_backing(Path::new(&img), None, true).unwrap();
        let ours = block::img::info_json(Path::new(&img), d.as_mut())
            .unwrap()
            .pretty();
        let (_, theirs, _) = qemu_img(&["info", "--output=json", &img]);
        // The CID in VMDK descriptors is random per image but equal here.
        assert_eq!(
            like_qemu(&ours, &theirs).trim_end(),
            theirs.trim_end(),
            "info {fmt} {o}"
        );
        let j = block::img::info_json(Path::new(&img), d.as_mut()).unwrap();
        let (_, theirs, _) = qemu_img(&["info", &img]);
        assert_eq!(
            like_qemu(&block::img::info_human(&j), &theirs),
            theirs,
            "human info {fmt} {o}"
        );
        let (qrc, _, _) = qemu_img(&["check", &img]);
        assert_eq!(mimg(&["check", "-q", &img]), qrc, "check verdict {fmt} {o}");
        let _ = std::fs::remove_file(&img);
    }
}

#[test]
fn copy_on_read_and_qed_rebase() {
    require_qemu();
    let dir = TempDir::new("cor");
    let base = dir.s("base.qcow2");
    let top = dir.s("top.qed");
    assert_eq!(mimg(&["create", "-q", "-f", "qcow2", &base, "4M"]), 0);
    qemu_io("qcow2", Path::new(&base), &["write -P 8 0 4M"]);
    assert_eq!(
        mimg(&[
            "create",
            "-q",
            "-f",
            "qed",
            "-b",
            "base.qcow2",
            "-F",
            "qcow2",
            &top
        ]),
        0
    );
    {
        let d = block::open_image(Path::new(&top), None, false).unwrap();
        let mut c = block::cor::CopyOnRead::new(d);
        let mut b = vec![0u8; 200_000];
        c.read(100_000, &mut b).unwrap();
        assert!(b.iter().all(|&x| x == 8));
        let e = c.block_status(100_000, 1).unwrap();
        assert!(e.allocated, "copy-on-read did not populate the top image");
        c.close().unwrap();
    }
    // Cut the backing file loose (unsafe rebase): the copied part stays.
    assert_eq!(mimg(&["rebase", "-u", "-b", "", &top]), 0);
    qemu_io(
        "qed",
        Path::new(&top),
        &["read -P 8 100000 200000", "read -P 0 0 65536"],
    );
    assert_qemu_check_clean(Path::new(&top), "qed");
}

#[test]
fn raw_sparse_map_and_discard() {
    require_qemu();
    let dir = TempDir::new("raw");
    let img = dir.path("r.raw");
    block::img::create_image("raw", &img, 8 << 20, &opts(&[])).unwrap();
    let mut reference = vec![0u8; 8 << 20];
    {
        let mut d = block::open_image(&img, Some("raw"), false).unwrap();
        workload(d.as_mut(), &mut reference, &mut Rng(51), 60);
        d.discard(1 << 20, 1 << 20).unwrap();
        reference[1 << 20..2 << 20].fill(0);
        d.write_zeroes(3 << 20, 256 << 10, false).unwrap();
        reference[3 << 20..(3 << 20) + (256 << 10)].fill(0);
        d.close().unwrap();
    }
    assert!(std::fs::read(&img).unwrap() == reference);
    let mut d = block::open_image(&img, Some("raw"), true).unwrap();
    let ours = block::img::map_json(d.as_mut()).unwrap();
    let (_, theirs, _) = qemu_img(&["map", "--output=json", "-f", "raw", &img.to_string_lossy()]);
    assert_eq!(like_qemu(&ours, &theirs), theirs);
    assert!(
        ours.contains("\"zero\": true"),
        "the discarded range is not a hole: {ours}"
    );
}
