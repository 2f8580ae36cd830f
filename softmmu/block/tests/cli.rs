//! `mimic img` command lines: bad arguments give an error exit, never a panic;
//! size suffixes and size printing follow qemu.

mod common;

use common::*;

#[test]
fn bad_command_lines_fail_cleanly() {
    let dir = TempDir::new("cli");
    let img = dir.s("x.qcow2");
    assert_eq!(mimg(&["create", "-q", "-f", "qcow2", &img, "1M"]), 0);
    let missing = dir.s("missing.qcow2");
    let y = dir.s("y.qcow2");
    let o = dir.s("o.raw");
    let o2 = dir.s("o2.raw");
    let cases: Vec<Vec<&str>> = vec![
        vec![],
        vec!["nonsense"],
        vec!["create"],
        vec!["create", "-f", "qcow2", &missing],
        vec!["create", "-f", "qcow2", &missing, "1Z"],
        vec!["create", "-f", "qcow2", &missing, "-5"],
        vec!["create", "-f", "nope", &missing, "1M"],
        vec![
            "create",
            "-f",
            "qcow2",
            "-o",
            "cluster_size=3000",
            &missing,
            "1M",
        ],
        vec![
            "create",
            "-f",
            "qcow2",
            "-o",
            "compat=0.10,lazy_refcounts=on",
            &missing,
            "1M",
        ],
        vec![
            "create",
            "-f",
            "qcow2",
            "-o",
            "refcount_bits=3",
            &missing,
            "1M",
        ],
        vec!["create", "-f", "qcow2", "-o", "bogus=1", &missing, "1M"],
        vec!["create", "-f", "qcow2", "-b", &missing, &y],
        vec!["info"],
        vec!["info", &missing],
        vec!["info", "--output=xml", &img],
        vec!["map", "--start-offset", "zz", &img],
        vec!["check", "-r", "some", &img],
        vec!["convert", &img],
        vec!["convert", "-m", "99", &img, &o],
        vec!["convert", "-c", "-O", "raw", &img, &o],
        vec!["convert", "-s", "nosuch", "-O", "raw", &img, &o2],
        vec!["snapshot", "-a", "nosuch", &img],
        vec!["snapshot", "-d", "nosuch", &img],
        vec!["snapshot", "-c", "a", "-d", "b", &img],
        vec!["resize", &img],
        vec!["resize", &img, "-10M"],
        vec!["resize", &img, "abc"],
        vec!["rebase", &img],
        vec!["commit", &img],
        vec!["measure"],
        vec!["measure", "--size", "1G", &img],
        vec!["measure", "-O", "nope", "--size", "1G"],
        vec!["-x"],
        vec!["info", "--output"],
    ];
    for c in cases {
        let r = std::panic::catch_unwind(|| mimg(&c));
        match r {
            Ok(code) => assert_ne!(code, 0, "{c:?} should fail"),
            Err(_) => panic!("{c:?} panicked"),
        }
    }
    // compare uses exit code 2 for errors.
    assert_eq!(mimg(&["compare", &img]), 2);
    assert_eq!(mimg(&["compare", &img, &missing]), 2);
}

#[test]
fn sizes_parse_and_print_like_qemu() {
    use block::img::{parse_size, size_to_str};
    assert_eq!(parse_size("1G").unwrap(), 1 << 30);
    assert_eq!(parse_size("1.5M").unwrap(), 3 << 19);
    assert_eq!(parse_size("512").unwrap(), 512);
    assert_eq!(parse_size("4k").unwrap(), 4096);
    assert_eq!(parse_size("2T").unwrap(), 2 << 40);
    assert!(parse_size("1.5").is_err());
    assert!(parse_size("").is_err());
    assert!(parse_size("99999999999E").is_err());
    assert_eq!(size_to_str(0), "0 B");
    assert_eq!(size_to_str(67108864), "64 MiB");
    assert_eq!(size_to_str(475136), "464 KiB");
    assert_eq!(size_to_str(1265664), "1.21 MiB");
    assert_eq!(size_to_str(1000), "0.977 KiB");
    assert_eq!(size_to_str(999), "999 B");
    assert_eq!(size_to_str(1536 << 20), "1.5 GiB");
}
