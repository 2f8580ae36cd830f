//! Bad input to `mimic run` gets one clear line on stderr and exit status 1,
//! never a panic, a backtrace or a usage dump: a file that is not ELF, a
//! truncated ELF, an ELF for a machine Mimic does not emulate, a missing
//! file. Each message must name the file it is about.

mod common;

use common::*;
use std::path::Path;
use std::time::Duration;

/// A minimal ELF header (64 bytes, no program headers).
fn elf_header(class64: bool, big_endian: bool, machine: u16) -> Vec<u8> {
    let mut h = vec![0u8; if class64 { 64 } else { 52 }];
    h[0..4].copy_from_slice(b"\x7fELF");
    h[4] = if class64 { 2 } else { 1 };
    h[5] = if big_endian { 2 } else { 1 };
    h[6] = 1; // EV_CURRENT
    let put16 = |h: &mut Vec<u8>, off: usize, v: u16| {
        let b = if big_endian {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        };
        h[off..off + 2].copy_from_slice(&b);
    };
    put16(&mut h, 16, 2); // ET_EXEC
    put16(&mut h, 18, machine);
    let b = if big_endian {
        1u32.to_be_bytes()
    } else {
        1u32.to_le_bytes()
    };
    h[20..24].copy_from_slice(&b); // e_version
    if class64 {
        put16(&mut h, 52, 64); // e_ehsize
        put16(&mut h, 54, 56); // e_phentsize
    } else {
        put16(&mut h, 40, 52);
        put16(&mut h, 42, 32);
    }
    h
}

fn expect_one_line_error(what: &str, prog: &Path) {
    let dir = temp_dir("cli");
    let argv = vec![
        mimic_bin().to_string_lossy().into_owned(),
        "run".to_string(),
        prog.to_string_lossy().into_owned(),
    ];
    let out = run(&argv, &dir, None, Duration::from_secs(30));
    let _ = std::fs::remove_dir_all(&dir);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let lines: Vec<&str> = stderr.lines().collect();
    let name = prog.file_name().unwrap().to_string_lossy();
    let mut problems = Vec::new();
    if out.timed_out {
        problems.push("timed out".to_string());
    }
    if out.status != 1 {
        problems.push(format!("exit status {} (expected 1)", out.status));
    }
    if lines.len() != 1 || lines[0].trim().is_empty() {
        problems.push(format!(
            "expected exactly one non-empty stderr line, got {}",
            lines.len()
        ));
    }
    if stderr.contains("panicked") || stderr.contains("RUST_BACKTRACE") {
        problems.push("stderr shows a panic".to_string());
    }
    if !stderr.contains(name.as_ref()) {
        problems.push(format!("the message does not name the file {name:?}"));
    }
    if !out.stdout.is_empty() {
        problems.push(format!(
            "unexpected stdout {:?}",
            String::from_utf8_lossy(&out.stdout)
        ));
    }
    assert!(
        problems.is_empty(),
        "{what}: {}\nstderr was:\n{stderr}",
        problems.join("; ")
    );
}

fn write_file(name: &str, bytes: &[u8]) -> std::path::PathBuf {
    let dir = temp_dir("cli-input");
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

#[test]
fn not_an_elf_file() {
    let p = write_file("script.sh", b"#!/bin/sh\necho this is not an ELF file\n");
    expect_one_line_error("non-ELF file", &p);
}

#[test]
fn empty_file() {
    let p = write_file("empty-file", b"");
    expect_one_line_error("empty file", &p);
}

#[test]
fn truncated_elf_header() {
    let hello =
        std::fs::read(repo_root().join("examples/aarch64/hello")).expect("examples/aarch64/hello");
    let p = write_file("truncated-header", &hello[..40]);
    expect_one_line_error("ELF cut inside its header", &p);
}

#[test]
fn truncated_elf_segments() {
    // complete header and program headers, but the file ends before the
    // segment data they describe
    let hello =
        std::fs::read(repo_root().join("examples/aarch64/hello")).expect("examples/aarch64/hello");
    let cut = 64 + 56; // one program header
    let p = write_file("truncated-segments", &hello[..cut]);
    expect_one_line_error("ELF cut before its segments", &p);
}

#[test]
fn unsupported_machine_riscv() {
    let p = write_file("riscv64-prog", &elf_header(true, false, 243)); // EM_RISCV
    expect_one_line_error("RISC-V ELF", &p);
}

#[test]
fn unsupported_machine_s390() {
    let p = write_file("s390x-prog", &elf_header(true, true, 22)); // EM_S390, big-endian
    expect_one_line_error("s390x ELF", &p);
}

#[test]
fn missing_file() {
    let dir = temp_dir("cli-missing");
    let p = dir.join("no-such-program");
    expect_one_line_error("missing file", &p);
}

#[test]
fn directory_instead_of_file() {
    let dir = temp_dir("cli-dir");
    let p = dir.join("a-directory");
    std::fs::create_dir(&p).unwrap();
    expect_one_line_error("directory", &p);
}
