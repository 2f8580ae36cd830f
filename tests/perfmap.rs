//! `-perfmap` writes perf's JIT map (/tmp/perf-PID.map): one `START SIZE
//! NAME` line (hex) per compiled block, named after the guest pc.

mod common;

use std::process::{Command, Stdio};

#[test]
fn perfmap_names_compiled_guest_blocks() {
    let hello = common::repo_root().join("examples/aarch64/hello-c");
    let child = Command::new(common::mimic_bin())
        .args(["run", "--backend", "jit", "-perfmap"])
        .arg(&hello)
        .stdout(Stdio::piped())
        .spawn()
        .expect("start mimic");
    let pid = child.id();
    let out = child.wait_with_output().expect("wait");
    assert!(out.status.success());
    let path = format!("/tmp/perf-{pid}.map");
    let map = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let _ = std::fs::remove_file(&path);
    let lines: Vec<&str> = map.lines().collect();
    assert!(lines.len() > 10, "only {} blocks in the map", lines.len());
    for l in lines {
        let f: Vec<&str> = l.split(' ').collect();
        assert_eq!(f.len(), 3, "bad line {l:?}");
        assert!(u64::from_str_radix(f[0], 16).is_ok() && u64::from_str_radix(f[1], 16).is_ok());
        let pc = f[2].strip_prefix("guest_").expect("name");
        assert!(u64::from_str_radix(pc, 16).is_ok(), "bad name {l:?}");
    }
}
