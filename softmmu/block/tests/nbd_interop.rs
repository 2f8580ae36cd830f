//! NBD interoperability: Mimic's server against qemu-img, qemu-io and
//! libnbd's nbdinfo; Mimic's client (through `mimic img` and the block
//! layer) against qemu-nbd; and Mimic against itself with many clients.

mod nbd_util;

use block::nbd::server::{ExportConfig, Listen};
use nbd_util::*;
use std::path::Path;

const SIZE: u64 = 8 << 20;

fn export(name: &str, path: &Path, fmt: &str) -> ExportConfig {
    let mut c = ExportConfig::new(name, path);
    c.format = Some(fmt.into());
    c
}

fn to_qcow2(raw: &Path, q: &Path) {
    let (rc, o, e) = qemu_img(&[
        "convert",
        "-f",
        "raw",
        "-O",
        "qcow2",
        &raw.to_string_lossy(),
        &q.to_string_lossy(),
    ]);
    assert_eq!(rc, 0, "qemu-img convert: {o}{e}");
}

#[test]
fn qemu_img_compare_and_convert_against_mimic_server() {
    require(&["qemu-img", "qemu-io"]);
    let d = TempDir::new("qimg");
    let data = make_sparse_raw(&d.path("r.raw"), SIZE, 1);
    std::fs::write(d.path("ref.raw"), &data).unwrap();
    to_qcow2(&d.path("r.raw"), &d.path("q.qcow2"));
    make_sparse_raw(&d.path("ro.raw"), SIZE, 1);
    make_sparse_raw(&d.path("tgt.raw"), SIZE, 99);
    let mut ro = export("ro", &d.path("ro.raw"), "raw");
    ro.read_only = true;
    let srv = Mimic::tcp(vec![
        export("raw", &d.path("r.raw"), "raw"),
        export("q", &d.path("q.qcow2"), "qcow2"),
        ro,
        export("tgt", &d.path("tgt.raw"), "raw"),
    ]);
    for name in ["raw", "q", "ro"] {
        let (rc, o, e) = qemu_img(&["compare", &srv.url(name), &d.s("ref.raw")]);
        assert_eq!(rc, 0, "qemu-img compare {name}: {o}{e}");
    }
    // From an export.
    let (rc, o, e) = qemu_img(&[
        "convert",
        "-f",
        "raw",
        "-O",
        "raw",
        &srv.url("q"),
        &d.s("out.raw"),
    ]);
    assert_eq!(rc, 0, "{o}{e}");
    assert!(std::fs::read(d.path("out.raw")).unwrap() == data);
    let (rc, o, e) = qemu_img(&[
        "convert",
        "-f",
        "raw",
        "-O",
        "qcow2",
        &srv.url("raw"),
        &d.s("out.qcow2"),
    ]);
    assert_eq!(rc, 0, "{o}{e}");
    let (rc, o, e) = qemu_img(&["compare", &d.s("out.qcow2"), &d.s("ref.raw")]);
    assert_eq!(rc, 0, "{o}{e}");
    // Into exports (raw file and qcow2 image), over existing content.
    let new = make_sparse_raw(&d.path("new.raw"), SIZE, 7);
    for name in ["tgt", "q"] {
        let (rc, o, e) = qemu_img(&[
            "convert",
            "-n",
            "-f",
            "raw",
            "-O",
            "raw",
            &d.s("new.raw"),
            &srv.url(name),
        ]);
        assert_eq!(rc, 0, "convert into {name}: {o}{e}");
        let (rc, o, e) = qemu_img(&["compare", &srv.url(name), &d.s("new.raw")]);
        assert_eq!(rc, 0, "compare {name} after convert: {o}{e}");
    }
    // Mimic's convert into a Mimic export, without -n (the export is
    // zeroed first, then holes are skipped).
    assert_eq!(
        mimg(&["convert", "-O", "raw", &d.s("ref.raw"), &srv.url("tgt")]),
        0
    );
    let (rc, o, e) = qemu_img(&["compare", &srv.url("tgt"), &d.s("ref.raw")]);
    assert_eq!(rc, 0, "mimic convert into tgt: {o}{e}");
    assert_ne!(
        mimg(&["convert", "-O", "qcow2", &d.s("ref.raw"), &srv.url("tgt")]),
        0
    );
    assert_eq!(
        mimg(&[
            "convert",
            "-n",
            "-O",
            "raw",
            &d.s("new.raw"),
            &srv.url("tgt")
        ]),
        0
    );
    // A read-only export refuses writes and keeps its content.
    let (rc, o, e) = qemu_io(&["-f", "raw", "-c", "write -P 0x55 0 4096", &srv.url("ro")]);
    assert!(
        rc != 0 || o.contains("failed") || e.contains("failed"),
        "write to ro: {o}{e}"
    );
    // qemu-io's FUA writes, zero writes, discards and flushes.
    let (rc, o, e) = qemu_io(&[
        "-f",
        "raw",
        "-c",
        "write -P 0x55 -f 4096 8192",
        "-c",
        "write -z 65536 65536",
        "-c",
        "write -z -u 262144 131072",
        "-c",
        "discard 1048576 65536",
        "-c",
        "flush",
        &srv.url("raw"),
    ]);
    assert!(
        rc == 0 && !o.contains("failed") && !e.contains("failed"),
        "{o}{e}"
    );
    let mut expect = data.clone();
    expect[4096..12288].fill(0x55);
    expect[65536..131072].fill(0);
    expect[262144..393216].fill(0);
    drop(srv);
    let now = std::fs::read(d.path("r.raw")).unwrap();
    // The discarded range may read as anything; all else must match.
    assert!(now[..1048576] == expect[..1048576]);
    assert!(now[1048576 + 65536..] == expect[1048576 + 65536..]);
    assert!(std::fs::read(d.path("ro.raw")).unwrap() == data);
    assert!(std::fs::read(d.path("tgt.raw")).unwrap() == new);
    let (rc, o, e) = qemu_img(&["check", "-f", "qcow2", &d.s("q.qcow2")]);
    assert_eq!(rc, 0, "{o}{e}");
    let (rc, o, e) = qemu_img(&["compare", "-f", "qcow2", &d.s("q.qcow2"), &d.s("new.raw")]);
    assert_eq!(rc, 0, "{o}{e}");
}

/// nbdinfo's `--map` lines as (start, length, type).
fn parse_map(out: &str) -> Vec<(u64, u64, u32)> {
    out.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            (
                f[0].parse().unwrap(),
                f[1].parse().unwrap(),
                f[2].parse().unwrap(),
            )
        })
        .collect()
}

fn merge(v: Vec<(u64, u64, u32)>) -> Vec<(u64, u64, u32)> {
    let mut out: Vec<(u64, u64, u32)> = Vec::new();
    for e in v {
        match out.last_mut() {
            Some(l) if l.2 == e.2 && l.0 + l.1 == e.0 => l.1 += e.1,
            _ => out.push(e),
        }
    }
    out
}

#[test]
fn nbdinfo_list_and_map_against_mimic_server() {
    require(&["nbdinfo", "qemu-img"]);
    let d = TempDir::new("nbdinfo");
    make_sparse_raw(&d.path("r.raw"), SIZE, 3);
    to_qcow2(&d.path("r.raw"), &d.path("q.qcow2"));
    let mut q = export("q", &d.path("q.qcow2"), "qcow2");
    q.description = "a qcow2 image".into();
    q.read_only = true;
    for listen in [
        Listen::Tcp("127.0.0.1:0".into()),
        Listen::Unix(d.path("sock")),
    ] {
        let srv = Mimic::start(
            listen,
            vec![export("raw", &d.path("r.raw"), "raw"), q.clone()],
        );
        let base = srv.url("");
        let (rc, o, e) = run("nbdinfo", &["--list", &base], LIMIT);
        assert_eq!(rc, 0, "nbdinfo --list: {o}{e}");
        assert!(o.contains("export=\"raw\""), "{o}");
        assert!(o.contains("export=\"q\""), "{o}");
        assert!(o.contains("description: a qcow2 image"), "{o}");
        assert!(o.contains(&format!("export-size: {SIZE}")), "{o}");
        assert!(o.contains("base:allocation"), "{o}");
        assert!(o.contains("is_read_only: true"), "{o}");
        // --map of the raw export: the file's data and holes.
        let (rc, o, e) = run("nbdinfo", &["--map", &srv.url("raw")], LIMIT);
        assert_eq!(rc, 0, "nbdinfo --map: {o}{e}");
        let want: Vec<(u64, u64, u32)> = file_allocation(&d.path("r.raw"))
            .into_iter()
            .map(|(s, l, data)| (s, l, if data { 0 } else { 3 }))
            .collect();
        assert_eq!(merge(parse_map(&o)), merge(want), "raw map");
        // --map of the qcow2 export: qemu-img's view of the image.
        let (rc, o, e) = run("nbdinfo", &["--map", &srv.url("q")], LIMIT);
        assert_eq!(rc, 0, "nbdinfo --map: {o}{e}");
        let (rc, qm, e) = qemu_img(&["map", "--output=json", "-f", "qcow2", &d.s("q.qcow2")]);
        assert_eq!(rc, 0, "{e}");
        let want: Vec<(u64, u64, u32)> = qm
            .lines()
            .map(|l| {
                let num = |k: &str| -> u64 {
                    let i = l.find(&format!("\"{k}\": ")).unwrap() + k.len() + 4;
                    l[i..]
                        .split(|c: char| !c.is_ascii_digit())
                        .next()
                        .unwrap()
                        .parse()
                        .unwrap()
                };
                let data = l.contains("\"data\": true");
                (num("start"), num("length"), if data { 0 } else { 3 })
            })
            .collect();
        assert_eq!(merge(parse_map(&o)), merge(want), "qcow2 map");
        // The export content as nbdinfo's peer (qemu-img) reads it.
        let (rc, o, e) = qemu_img(&["compare", &srv.url("q"), &d.s("r.raw")]);
        assert_eq!(rc, 0, "{o}{e}");
        assert!(
            srv.log.get().is_empty(),
            "unexpected log lines: {:?}",
            srv.log.get()
        );
    }
}

#[test]
fn mimic_client_against_qemu_nbd() {
    require(&["qemu-img", "qemu-nbd"]);
    let d = TempDir::new("client");
    let data = make_sparse_raw(&d.path("r.raw"), SIZE, 5);
    std::fs::write(d.path("ref.raw"), &data).unwrap();
    to_qcow2(&d.path("r.raw"), &d.path("q.qcow2"));
    let q = QemuNbd::start(&d.path("q.qcow2"), "qcow2", "disk", None, &[]);
    let url = q.url("disk");
    assert_eq!(mimg(&["compare", &url, &d.s("ref.raw")]), 0);
    assert_eq!(mimg(&["convert", "-O", "raw", &url, &d.s("out.raw")]), 0);
    assert!(std::fs::read(d.path("out.raw")).unwrap() == data);
    assert_eq!(
        mimg(&["convert", "-O", "qcow2", &url, &d.s("out.qcow2")]),
        0
    );
    let (rc, o, e) = qemu_img(&["compare", &d.s("out.qcow2"), &d.s("ref.raw")]);
    assert_eq!(rc, 0, "{o}{e}");
    assert!(read_url(&url) == data);
    // map --output=json is qemu-img's, byte for byte.
    let mut dr = block::open_image(Path::new(&url), None, true).unwrap();
    let ours = block::img::map_json(dr.as_mut()).unwrap();
    drop(dr);
    let (rc, theirs, e) = qemu_img(&["map", "--output=json", &url]);
    assert_eq!(rc, 0, "{e}");
    assert_eq!(like_qemu(&ours, &theirs).trim_end(), theirs.trim_end());
    // info, human and JSON, is qemu-img's.
    let mut dr = block::open_image(Path::new(&url), None, true).unwrap();
    let j = block::img::info_json(Path::new(&url), dr.as_mut()).unwrap();
    drop(dr);
    let (rc, theirs, e) = qemu_img(&["info", "--output=json", &url]);
    assert_eq!(rc, 0, "{e}");
    assert_eq!(
        like_qemu(&j.pretty(), &theirs).trim_end(),
        theirs.trim_end()
    );
    let (rc, theirs, e) = qemu_img(&["info", &url]);
    assert_eq!(rc, 0, "{e}");
    assert_eq!(
        like_qemu(&block::img::info_human(&j), &theirs).trim_end(),
        theirs.trim_end()
    );
    assert_eq!(mimg(&["info", &url]), 0);
    // A different compare is noticed.
    let mut other = data.clone();
    other[12345] ^= 1;
    std::fs::write(d.path("other.raw"), &other).unwrap();
    assert_eq!(mimg(&["compare", &url, &d.s("other.raw")]), 1);
    drop(q);

    // Writes through Mimic's client to qemu-nbd over a Unix socket.
    let q = QemuNbd::start(&d.path("r.raw"), "raw", "w", Some(&d.path("qsock")), &[]);
    let url = q.url("w");
    let mut expect = data.clone();
    {
        let mut c = block::open_image(Path::new(&url), None, false).unwrap();
        assert_eq!(c.length(), SIZE);
        let mut rng = Rng(11);
        for _ in 0..200 {
            let off = rng.below(SIZE - 70000);
            let len = 1 + rng.below(70000) as usize;
            let mut b = vec![0u8; len];
            rng.fill(&mut b);
            c.write(off, &b).unwrap();
            expect[off as usize..off as usize + len].copy_from_slice(&b);
        }
        // A large write split into several requests.
        let mut big = vec![0u8; 5 << 20];
        rng.fill(&mut big);
        c.write(1 << 20, &big).unwrap();
        expect[1 << 20..6 << 20].copy_from_slice(&big);
        c.write_zeroes(100_000, 300_000, true).unwrap();
        expect[100_000..400_000].fill(0);
        c.write_zeroes(7 << 20, 65536, false).unwrap();
        expect[7 << 20..(7 << 20) + 65536].fill(0);
        let mut back = vec![0u8; SIZE as usize];
        c.read(0, &mut back).unwrap();
        assert!(back == expect);
        c.flush().unwrap();
        c.close().unwrap();
    }
    std::fs::write(d.path("expect.raw"), &expect).unwrap();
    let (rc, o, e) = qemu_img(&["compare", &url, &d.s("expect.raw")]);
    assert_eq!(rc, 0, "{o}{e}");
    drop(q);
    assert!(std::fs::read(d.path("r.raw")).unwrap() == expect);
    // Errors: unknown export, nothing listening.
    assert_ne!(mimg(&["info", &format!("{url}x")]), 0);
    let dead = format!("nbd://127.0.0.1:{}/x", free_port());
    assert!(block::open_image(Path::new(&dead), None, true).is_err());
}

#[test]
fn many_clients_many_requests_against_mimic_server() {
    require(&["qemu-img"]);
    let d = TempDir::new("many");
    let size = 16u64 << 20;
    let f = std::fs::File::create(d.path("m.raw")).unwrap();
    f.set_len(size).unwrap();
    drop(f);
    std::fs::copy(d.path("m.raw"), d.path("m2.raw")).unwrap();
    let mut q = export("q", &d.path("m2.qcow2"), "qcow2");
    let (rc, o, e) = qemu_img(&["create", "-f", "qcow2", &d.s("m2.qcow2"), &size.to_string()]);
    assert_eq!(rc, 0, "{o}{e}");
    q.read_only = false;
    let srv = Mimic::tcp(vec![export("m", &d.path("m.raw"), "raw"), q]);
    let clients = 8u64;
    let region = size / clients;
    std::thread::scope(|sc| {
        for i in 0..clients {
            let srv = &srv;
            sc.spawn(move || {
                for name in ["m", "q"] {
                    let url = srv.url(name);
                    let mut c = block::open_image(Path::new(&url), None, false).unwrap();
                    let mut rng = Rng(100 + i);
                    let mut buf = vec![0u8; region as usize];
                    rng.fill(&mut buf);
                    c.write(i * region, &buf).unwrap();
                    let mut back = vec![0u8; region as usize];
                    c.read(i * region, &mut back).unwrap();
                    assert!(back == buf, "client {i} {name}");
                    c.close().unwrap();
                }
            });
        }
    });
    drop(srv);
    let all = std::fs::read(d.path("m.raw")).unwrap();
    let (rc, o, e) = qemu_img(&["convert", "-O", "raw", &d.s("m2.qcow2"), &d.s("q.raw")]);
    assert_eq!(rc, 0, "{o}{e}");
    let allq = std::fs::read(d.path("q.raw")).unwrap();
    for i in 0..clients {
        let mut rng = Rng(100 + i);
        let mut buf = vec![0u8; region as usize];
        rng.fill(&mut buf);
        let r = (i * region) as usize..((i + 1) * region) as usize;
        assert!(all[r.clone()] == buf[..], "region {i}");
        assert!(allq[r] == buf[..], "qcow2 region {i}");
    }
    let (rc, o, e) = qemu_img(&["check", "-f", "qcow2", &d.s("m2.qcow2")]);
    assert_eq!(rc, 0, "{o}{e}");
}

#[test]
fn qcow2_internal_snapshot_export() {
    require(&["qemu-img", "qemu-io"]);
    let d = TempDir::new("snap");
    let q = d.path("s.qcow2");
    let (rc, o, e) = qemu_img(&["create", "-f", "qcow2", &d.s("s.qcow2"), "4M"]);
    assert_eq!(rc, 0, "{o}{e}");
    let (rc, o, e) = qemu_io(&["-f", "qcow2", "-c", "write -P 0x11 0 1M", &d.s("s.qcow2")]);
    assert_eq!(rc, 0, "{o}{e}");
    let (rc, o, e) = qemu_img(&["snapshot", "-c", "before", &d.s("s.qcow2")]);
    assert_eq!(rc, 0, "{o}{e}");
    let (rc, o, e) = qemu_io(&["-f", "qcow2", "-c", "write -P 0x22 0 1M", &d.s("s.qcow2")]);
    assert_eq!(rc, 0, "{o}{e}");
    let mut old = export("old", &q, "qcow2");
    old.snapshot = Some("before".into());
    // Both exports read-only: two exports of one image file may only share
    // it when neither writes (QEMU's image locks, as in qemu-storage-daemon).
    let mut now = export("now", &q, "qcow2");
    now.read_only = true;
    let srv = Mimic::tcp(vec![old, now]);
    let a = read_url(&srv.url("old"));
    let b = read_url(&srv.url("now"));
    assert!(a[..1 << 20].iter().all(|&x| x == 0x11));
    assert!(b[..1 << 20].iter().all(|&x| x == 0x22));
    assert!(a[1 << 20..].iter().all(|&x| x == 0));
    // The snapshot export is read-only.
    let mut c = block::open_image(Path::new(&srv.url("old")), None, false).unwrap();
    assert!(c.write(0, b"x").is_err());
}

/// `convert -m 4` from a qemu-nbd that serves one client at a time: the
/// copy uses a single connection (more would wait forever for the first).
#[test]
fn convert_workers_from_single_client_qemu_nbd() {
    require(&["qemu-img", "qemu-nbd"]);
    let d = TempDir::new("nbd-one-client");
    let data = make_sparse_raw(&d.path("r.raw"), SIZE, 9);
    let q = QemuNbd::start(&d.path("r.raw"), "raw", "one", None, &["--shared=1"]);
    let url = q.url("one");
    let out = d.s("out.raw");
    let (tx, rx) = std::sync::mpsc::channel();
    let (u, o) = (url.clone(), out.clone());
    std::thread::spawn(move || {
        let _ = tx.send(mimg(&["convert", "-m", "4", "-O", "raw", &u, &o]));
    });
    let rc = rx
        .recv_timeout(std::time::Duration::from_secs(60))
        .expect("convert from a single-client NBD server hung");
    assert_eq!(rc, 0);
    assert!(std::fs::read(&out).unwrap() == data);
}
