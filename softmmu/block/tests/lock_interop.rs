//! Image locking against QEMU: Mimic takes the same OFD lock bytes as
//! qemu-io/qemu-img (checked in /proc/locks), so a writer in one excludes
//! every other opener in the other (both ways), readers share with readers,
//! and `-U` opens read-only next to a writer.

mod common;
use common::*;
use std::collections::BTreeSet;
use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The byte ranges locked on `path`'s inode, from /proc/locks.
fn locked_bytes(path: &Path) -> BTreeSet<u64> {
    let ino = std::fs::metadata(path).unwrap().ino();
    let text = std::fs::read_to_string("/proc/locks").unwrap();
    let mut s = BTreeSet::new();
    for line in text.lines() {
        let f: Vec<&str> = line.split_whitespace().collect();
        // "N: OFDLCK ADVISORY READ PID MAJ:MIN:INODE START END"
        if f.len() < 8 || f[1] != "OFDLCK" {
            continue;
        }
        if f[5].rsplit(':').next() != Some(&ino.to_string()) {
            continue;
        }
        let (a, b): (u64, u64) = (f[6].parse().unwrap(), f[7].parse().unwrap());
        s.extend(a..=b);
    }
    s
}

/// qemu-io with the image open (interactive, waiting on stdin) until killed.
struct QemuIo(Child);

impl QemuIo {
    fn hold(path: &Path, args: &[&str]) -> QemuIo {
        let c = Command::new("qemu-io")
            .args(args)
            .arg(path)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("qemu-io");
        let t = Instant::now();
        while locked_bytes(path).is_empty() {
            assert!(
                t.elapsed() < Duration::from_secs(10),
                "qemu-io took no locks"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        QemuIo(c)
    }
}

impl Drop for QemuIo {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn err_of(r: block::Result<Box<dyn block::BlockDriver>>) -> String {
    match r {
        Ok(_) => panic!("open succeeded while the image is in use"),
        Err(e) => e.to_string(),
    }
}

fn image(dir: &TempDir, name: &str, fmt: &str) -> std::path::PathBuf {
    let p = dir.path(name);
    let (rc, o, e) = qemu_img(&["create", "-q", "-f", fmt, &p.to_string_lossy(), "4M"]);
    assert_eq!(rc, 0, "{o}{e}");
    p
}

#[test]
fn same_lock_bytes_as_qemu() {
    require_qemu();
    let dir = TempDir::new("lock-bytes");
    for fmt in ["qcow2", "raw"] {
        let p = image(&dir, &format!("b.{fmt}"), fmt);
        for ro in [false, true] {
            let theirs = {
                let mut args = vec!["-f", fmt];
                if ro {
                    args.push("-r");
                }
                let _q = QemuIo::hold(&p, &args);
                locked_bytes(&p)
            };
            let ours = {
                let _d = block::open_image(&p, Some(fmt), ro).unwrap();
                locked_bytes(&p)
            };
            assert_eq!(ours, theirs, "{fmt} read_only={ro}");
            assert!(locked_bytes(&p).is_empty(), "locks left after close");
        }
        let shared = {
            let _q = QemuIo::hold(&p, &["-f", fmt, "-r", "-U"]);
            locked_bytes(&p)
        };
        let ours = {
            let _s = block::lock::ForceShare::scope(true);
            let _d = block::open_image(&p, Some(fmt), true).unwrap();
            locked_bytes(&p)
        };
        assert_eq!(ours, shared, "{fmt} -U");
    }
}

#[test]
fn qemu_writer_excludes_mimic() {
    require_qemu();
    let dir = TempDir::new("lock-qemu-writer");
    let p = image(&dir, "w.qcow2", "qcow2");
    let s = p.to_string_lossy().into_owned();
    {
        let _q = QemuIo::hold(&p, &["-f", "qcow2"]);
        let e = err_of(block::open_image(&p, None, false));
        assert!(e.contains("Failed to get \"write\" lock"), "{e}");
        assert!(e.contains("Is another process using the image"), "{e}");
        let e = err_of(block::open_image(&p, None, true));
        assert!(e.contains("Failed to get shared \"write\" lock"), "{e}");
        assert_eq!(mimg(&["info", &s]), 1);
        assert_eq!(mimg(&["check", &s]), 1);
        assert_eq!(mimg(&["resize", &s, "8M"]), 1);
        assert_eq!(mimg(&["create", "-q", "-f", "qcow2", &s, "1M"]), 1);
        // -U: read-only opens share with the writer; read/write ones are refused.
        assert_eq!(mimg(&["info", "-U", &s]), 0);
        assert_eq!(mimg(&["map", "-U", &s]), 0);
        assert_eq!(mimg(&["snapshot", "-U", "-c", "s1", &s]), 1);
    }
    // The failed create did not truncate the image; after qemu-io is gone
    // everything opens.
    assert_eq!(mimg(&["check", "-q", &s]), 0);
    let d = block::open_image(&p, None, false).unwrap();
    assert_eq!(d.length(), 4 << 20);
    drop(d);
    // A raw image excludes nobody, in QEMU as here: a second writer and a
    // reader both open next to qemu-io's writer.
    let r = image(&dir, "w.raw", "raw");
    let _q = QemuIo::hold(&r, &["-f", "raw"]);
    let (rc, o, e) = run(
        "qemu-io",
        &["-f", "raw", "-c", "write 0 4k", &r.to_string_lossy()],
    );
    assert_eq!(rc, 0, "{o}{e}");
    let mut d = block::open_image(&r, Some("raw"), false).unwrap();
    d.write(0, b"x").unwrap();
    drop(d);
    assert_eq!(mimg(&["info", "-f", "raw", &r.to_string_lossy()]), 0);
}

#[test]
fn mimic_writer_excludes_qemu() {
    require_qemu();
    let dir = TempDir::new("lock-mimic-writer");
    let p = image(&dir, "m.qcow2", "qcow2");
    let s = p.to_string_lossy().into_owned();
    {
        let _d = block::open_image(&p, None, false).unwrap();
        let (rc, _, e) = qemu_img(&["info", &s]);
        assert_eq!(rc, 1);
        assert!(e.contains("Failed to get shared \"write\" lock"), "{e}");
        let (rc, _, e) = run("qemu-io", &["-c", "write 0 4k", &s]);
        assert_ne!(rc, 0);
        assert!(e.contains("Failed to get \"write\" lock"), "{e}");
        let (rc, o, e) = qemu_img(&["info", "-U", &s]);
        assert_eq!(rc, 0, "{o}{e}");
        // Another Mimic opener in the same process is excluded as well.
        let e = err_of(block::open_image(&p, None, false));
        assert!(e.contains("Failed to get \"write\" lock"), "{e}");
    }
    let (rc, o, e) = run("qemu-io", &["-c", "write 0 4k", &s]);
    assert_eq!(rc, 0, "{o}{e}");
}

#[test]
fn readers_share_with_readers_only() {
    require_qemu();
    let dir = TempDir::new("lock-readers");
    let p = image(&dir, "r.qcow2", "qcow2");
    let s = p.to_string_lossy().into_owned();
    {
        let _q = QemuIo::hold(&p, &["-f", "qcow2", "-r"]);
        let _d = block::open_image(&p, None, true).unwrap();
        assert_eq!(mimg(&["info", &s]), 0);
        let (rc, o, e) = qemu_img(&["info", &s]);
        assert_eq!(rc, 0, "{o}{e}");
        let e = err_of(block::open_image(&p, None, false));
        assert!(e.contains("Failed to get \"write\" lock"), "{e}");
        let (rc, _, e) = run("qemu-io", &["-c", "write 0 4k", &s]);
        assert_ne!(rc, 0);
        assert!(e.contains("Failed to get \"write\" lock"), "{e}");
    }
    // A backing file is opened read-only: two overlays over one base can be
    // written at the same time by the two tools.
    let o1 = dir.s("o1.qcow2");
    let o2 = dir.s("o2.qcow2");
    for o in [&o1, &o2] {
        let (rc, out, e) = qemu_img(&["create", "-q", "-f", "qcow2", "-b", &s, "-F", "qcow2", o]);
        assert_eq!(rc, 0, "{out}{e}");
    }
    let _q = QemuIo::hold(Path::new(&o1), &["-f", "qcow2"]);
    let mut d = block::open_image(Path::new(&o2), None, false).unwrap();
    d.write(0, b"x").unwrap();
    d.close().unwrap();
}
