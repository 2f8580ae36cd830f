//! `mimic nbd` through its entry point (`nbd_main`, what `mimic nbd` and
//! `mimic-nbd` run): qemu-nbd's single-image usage (the server ends when
//! its client leaves), named exports with --export, and SIGTERM (requests
//! finish, data is flushed, the server returns 0). One test function: the
//! signal stops every server of the process.

mod nbd_util;

use nbd_util::*;
use std::path::Path;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

fn spawn(args: &[String]) -> JoinHandle<i32> {
    let a: Vec<std::ffi::OsString> = args.iter().map(|s| s.into()).collect();
    std::thread::spawn(move || block::nbd::nbd_main(a))
}

fn wait_socket(p: &Path) {
    let start = Instant::now();
    while std::os::unix::net::UnixStream::connect(p).is_err() {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "server did not start"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn join(t: JoinHandle<i32>, what: &str) -> i32 {
    let start = Instant::now();
    while !t.is_finished() {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "{what}: server did not end"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    t.join().unwrap()
}

#[test]
fn cli_single_image_named_exports_and_sigterm() {
    let d = TempDir::new("cli");
    let data = make_sparse_raw(&d.path("a.raw"), 2 << 20, 8);
    make_sparse_raw(&d.path("b.raw"), 1 << 20, 9);
    let s = |x: &str| x.to_string();

    // Bad command lines fail with status 1 and no server.
    for bad in [
        &["--bogus"][..],
        &[],
        &["-f", "qcow2", "-k"],
        &["/nonexistent/file"],
    ] {
        let a: Vec<String> = bad.iter().map(|x| s(x)).collect();
        assert_eq!(join(spawn(&a), "bad args"), 1, "{bad:?}");
    }

    // qemu-nbd style: one image, ends after its (probing) client leaves.
    // The probe itself is the one client, so connect once and read.
    let sock = d.path("one.sock");
    let t = spawn(&[
        s("-f"),
        s("raw"),
        s("-x"),
        s("disk"),
        s("-r"),
        s("-k"),
        d.s("one.sock"),
        d.s("a.raw"),
    ]);
    let start = Instant::now();
    while !sock.exists() {
        assert!(start.elapsed() < Duration::from_secs(10));
        std::thread::sleep(Duration::from_millis(10));
    }
    let url = format!("nbd+unix:///disk?socket={}", d.s("one.sock"));
    assert!(read_url(&url) == data);
    assert_eq!(join(t, "single image"), 0);
    assert!(!sock.exists(), "socket file removed");

    // Named exports, persistent: several clients, then SIGTERM.
    let t = spawn(&[
        s("-k"),
        d.s("multi.sock"),
        s("--export"),
        format!("name=a,file={},format=raw", d.s("a.raw")),
        s("--export"),
        format!("name=b,file={},readonly=on", d.s("b.raw")),
    ]);
    wait_socket(&d.path("multi.sock"));
    let ua = format!("nbd+unix:///a?socket={}", d.s("multi.sock"));
    let ub = format!("nbd+unix:///b?socket={}", d.s("multi.sock"));
    for _ in 0..3 {
        assert!(read_url(&ua) == data);
    }
    let mut c = block::open_image(Path::new(&ub), None, false).unwrap();
    assert!(c.write(0, b"x").is_err(), "read-only export");
    drop(c);
    let mut c = block::open_image(Path::new(&ua), None, false).unwrap();
    c.write(4096, b"hello").unwrap(); // acknowledged, not flushed by the client
    std::mem::forget(c); // no flush, no disconnect: the server must flush
    assert!(!t.is_finished());
    unsafe {
        libc::raise(libc::SIGTERM);
    }
    assert_eq!(join(t, "SIGTERM"), 0);
    let now = std::fs::read(d.path("a.raw")).unwrap();
    assert_eq!(&now[4096..4101], b"hello");
}
