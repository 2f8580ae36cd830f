//! Loader tests: error messages, hand-made ELF images (ET_EXEC, ET_DYN,
//! PT_INTERP through a prefix, unaligned segments) and the committed
//! AArch64 example binaries.

use super::*;
use crate::aarch64::{ABI, EM_AARCH64};
use crate::pages::{PAGE_EXEC, PAGE_READ, PAGE_WRITE};
use crate::stack::at;
use std::fs;

const EM_RISCV: u16 = 243;

struct Seg {
    vaddr: u64,
    flags: u32,
    data: Vec<u8>,
    memsz: u64,
    /// Force a file offset that is *not* congruent to the address.
    misalign: bool,
}

fn seg(vaddr: u64, flags: u32, data: &[u8], memsz: u64) -> Seg {
    Seg {
        vaddr,
        flags,
        data: data.to_vec(),
        memsz,
        misalign: false,
    }
}

/// A little-endian ELF64 image with the given segments.
fn build_elf(etype: u16, machine: u16, entry: u64, segs: &[Seg], interp: Option<&str>) -> Vec<u8> {
    let nph = segs.len() + usize::from(interp.is_some());
    let mut f = vec![0u8; 64 + 56 * nph];
    f[..4].copy_from_slice(b"\x7fELF");
    f[4] = 2;
    f[5] = 1;
    f[6] = 1;
    f[16..18].copy_from_slice(&etype.to_le_bytes());
    f[18..20].copy_from_slice(&machine.to_le_bytes());
    f[20..24].copy_from_slice(&1u32.to_le_bytes());
    f[24..32].copy_from_slice(&entry.to_le_bytes());
    f[32..40].copy_from_slice(&64u64.to_le_bytes());
    f[52..54].copy_from_slice(&64u16.to_le_bytes());
    f[54..56].copy_from_slice(&56u16.to_le_bytes());
    f[56..58].copy_from_slice(&(nph as u16).to_le_bytes());
    let mut ph = Vec::new();
    if let Some(i) = interp {
        let off = f.len() as u64;
        f.extend_from_slice(i.as_bytes());
        f.push(0);
        ph.push((
            PT_INTERP,
            PF_R,
            off,
            0,
            i.len() as u64 + 1,
            i.len() as u64 + 1,
        ));
    }
    for s in segs {
        let mut off = f.len().next_multiple_of(4096) as u64 + s.vaddr % 4096;
        if s.misalign {
            off += 8;
        }
        f.resize(off as usize, 0);
        f.extend_from_slice(&s.data);
        ph.push((PT_LOAD, s.flags, off, s.vaddr, s.data.len() as u64, s.memsz));
    }
    for (i, (t, fl, off, va, fsz, msz)) in ph.into_iter().enumerate() {
        let e = 64 + 56 * i;
        f[e..e + 4].copy_from_slice(&t.to_le_bytes());
        f[e + 4..e + 8].copy_from_slice(&fl.to_le_bytes());
        f[e + 8..e + 16].copy_from_slice(&off.to_le_bytes());
        f[e + 16..e + 24].copy_from_slice(&va.to_le_bytes());
        f[e + 24..e + 32].copy_from_slice(&va.to_le_bytes());
        f[e + 32..e + 40].copy_from_slice(&fsz.to_le_bytes());
        f[e + 40..e + 48].copy_from_slice(&msz.to_le_bytes());
        f[e + 48..e + 56].copy_from_slice(&4096u64.to_le_bytes());
    }
    f
}

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("mimic-elf-{}", std::process::id()));
    fs::create_dir_all(&d).unwrap();
    d.join(name)
}

fn write_tmp(name: &str, data: &[u8]) -> PathBuf {
    let p = tmp(name);
    fs::write(&p, data).unwrap();
    p
}

fn load(path: &Path) -> Result<(GuestSpace, LoadedProgram), LoadError> {
    let mut s = GuestSpace::new(40).unwrap();
    let argv = vec![path.as_os_str().as_bytes().to_vec()];
    let envp = vec![b"HOME=/".to_vec()];
    let l = load_program(&mut s, &ABI, path, &argv, &envp, &LoadOptions::default())?;
    Ok((s, l))
}

fn err_line(path: &Path) -> String {
    load(path).map(|_| ()).unwrap_err().to_string()
}

fn example(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../examples/aarch64")
        .join(name)
}

#[test]
fn missing_file_message() {
    let e = err_line(Path::new("/nonexistent/prog"));
    assert_eq!(e, "mimic: /nonexistent/prog: No such file or directory");
    let e = detect_arch(Path::new("/nonexistent/prog")).unwrap_err();
    assert_eq!(
        e.to_string(),
        "mimic: /nonexistent/prog: No such file or directory"
    );
    let dir = std::env::temp_dir();
    assert!(err_line(&dir).ends_with(": Is a directory"));
}

#[test]
fn not_elf_message() {
    let p = write_tmp("script", b"#!/bin/sh\necho hi\n");
    assert_eq!(
        err_line(&p),
        format!("mimic: {}: not an ELF file", p.display())
    );
    let empty = write_tmp("empty", b"");
    assert_eq!(
        err_line(&empty),
        format!("mimic: {}: not an ELF file", empty.display())
    );
}

#[test]
fn truncated_messages() {
    let good = build_elf(
        ET_EXEC,
        EM_AARCH64,
        0x40_0000,
        &[seg(0x40_0000, PF_R | PF_X, &[0; 64], 64)],
        None,
    );
    let p = write_tmp("trunc-hdr", &good[..30]);
    assert_eq!(
        err_line(&p),
        format!("mimic: {}: truncated ELF file (header)", p.display())
    );
    let p = write_tmp("trunc-ph", &good[..100]);
    assert_eq!(
        err_line(&p),
        format!(
            "mimic: {}: truncated ELF file (program headers)",
            p.display()
        )
    );
    let p = write_tmp("trunc-seg", &good[..good.len() - 10]);
    let e = err_line(&p);
    assert!(
        e.starts_with(&format!(
            "mimic: {}: truncated ELF file (segment",
            p.display()
        )),
        "{e}"
    );
}

#[test]
fn corrupt_and_wrong_type() {
    let mut bad = build_elf(
        ET_EXEC,
        EM_AARCH64,
        0,
        &[seg(0x40_0000, PF_R, &[0; 8], 8)],
        None,
    );
    bad[4] = 7;
    let p = write_tmp("badclass", &bad);
    assert_eq!(
        err_line(&p),
        format!("mimic: {}: corrupt ELF file: bad EI_CLASS", p.display())
    );
    let rel = build_elf(1, EM_AARCH64, 0, &[seg(0x40_0000, PF_R, &[0; 8], 8)], None);
    let p = write_tmp("rel", &rel);
    assert_eq!(
        err_line(&p),
        format!(
            "mimic: {}: not an executable ELF file (type 1)",
            p.display()
        )
    );
    let big = build_elf(
        ET_EXEC,
        EM_AARCH64,
        0,
        &[seg(0x40_0000, PF_R, &[0; 8], 4)],
        None,
    );
    let p = write_tmp("filesz", &big);
    assert!(err_line(&p).contains("filesz > memsz"));
}

#[test]
fn wrong_machine_messages() {
    let rv = build_elf(
        ET_EXEC,
        EM_RISCV,
        0,
        &[seg(0x1_0000, PF_R, &[0; 8], 8)],
        None,
    );
    let p = write_tmp("riscv", &rv);
    let arch = detect_arch(&p).unwrap();
    assert_eq!((arch.machine, arch.bits, arch.big_endian), (243, 64, false));
    assert_eq!(arch.machine_name(), Some("RISC-V"));
    assert_eq!(
        LoadError::unsupported(&p, &arch).to_string(),
        format!(
            "mimic: {}: is an ELF for RISC-V (machine 243), 64-bit little-endian, which mimic cannot run",
            p.display()
        )
    );
    assert_eq!(
        err_line(&p),
        format!(
            "mimic: {}: is an ELF for RISC-V (machine 243), 64-bit little-endian, not for aarch64",
            p.display()
        )
    );
}

#[test]
fn static_exec_segments_bss_and_auxv() {
    let code: Vec<u8> = (0..100u8).collect();
    let data = [0xaau8; 0x30];
    let img = build_elf(
        ET_EXEC,
        EM_AARCH64,
        0x40_0010,
        &[
            seg(0x40_0000, PF_R | PF_X, &code, code.len() as u64),
            seg(0x41_1f00, PF_R | PF_W, &data, 0x3000),
        ],
        None,
    );
    let p = write_tmp("static", &img);
    let (s, l) = load(&p).unwrap();
    assert_eq!(l.entry, 0x40_0010);
    assert_eq!(l.program_entry, 0x40_0010);
    assert_eq!(l.load_bias, 0);
    assert_eq!(l.interp_base, None);
    assert_eq!(
        s.flags(0x40_0000),
        Some(PAGE_READ | PAGE_EXEC | crate::pages::PAGE_FILE)
    );
    assert!(s.is_exec(0x40_0050));
    let mut b = [0u8; 100];
    s.read(0x40_0000, &mut b).unwrap();
    assert_eq!(b.to_vec(), code);
    // Data, then .bss zeroed both in the file-backed page and after it.
    let mut d = vec![0u8; 0x3000];
    s.read(0x41_1f00, &mut d).unwrap();
    assert!(d[..0x30].iter().all(|&x| x == 0xaa));
    assert!(d[0x30..].iter().all(|&x| x == 0), "bss is zero");
    assert!(s.flags(0x41_4000).unwrap() & PAGE_WRITE != 0);
    assert!(!s.is_exec(0x41_2000));
    assert_eq!(l.brk, 0x41_5000);
    assert_eq!(s.current_brk(), 0x41_5000);
    // PT_PHDR is absent and the headers are not inside a PT_LOAD here.
    assert_eq!(l.phdr, 0);
    // Stack: 16-byte aligned, argc = 1, at the top of the space.
    assert_eq!(l.stack_pointer % 16, 0);
    assert_eq!(l.stack_top, s.size());
    let mut argc = [0u8; 8];
    s.read(l.stack_pointer, &mut argc).unwrap();
    assert_eq!(u64::from_le_bytes(argc), 1);
    let aux: std::collections::HashMap<u64, u64> = l.auxv.iter().copied().collect();
    assert_eq!(aux[&at::ENTRY], 0x40_0010);
    assert_eq!(aux[&at::BASE], 0);
    assert_eq!(aux[&at::PHENT], 56);
    assert_eq!(aux[&at::PHNUM], 2);
    assert_eq!(aux[&at::PAGESZ], 4096);
}

#[test]
fn static_pie_is_placed_at_the_et_dyn_base() {
    let code = [0x1fu8, 0x20, 0x03, 0xd5];
    let img = build_elf(
        ET_DYN,
        EM_AARCH64,
        0x100,
        &[
            seg(0, PF_R | PF_X, &code, 0x200),
            seg(0x1_0000, PF_R | PF_W, &[1, 2, 3], 0x1_0000),
        ],
        None,
    );
    let p = write_tmp("pie", &img);
    let (s, l) = load(&p).unwrap();
    assert_eq!(l.load_bias, ABI.et_dyn_base);
    assert_eq!(l.entry, ABI.et_dyn_base + 0x100);
    // The headers are in no segment of this hand-made image: AT_PHDR is
    // the bias, as Linux computes it.
    assert_eq!(l.phdr, ABI.et_dyn_base);
    assert_eq!(l.brk, ABI.et_dyn_base + 0x2_0000);
    assert!(s.is_exec(ABI.et_dyn_base));
    let mut d = [0u8; 4];
    s.read(ABI.et_dyn_base + 0x1_0000, &mut d).unwrap();
    assert_eq!(d, [1, 2, 3, 0]);
}

#[test]
fn misaligned_segment_is_copied() {
    let mut sg = seg(0x40_0000, PF_R | PF_W, b"copied!", 0x20);
    sg.misalign = true;
    let img = build_elf(ET_EXEC, EM_AARCH64, 0x40_0000, &[sg], None);
    let p = write_tmp("misaligned", &img);
    let (s, _) = load(&p).unwrap();
    let mut d = [0u8; 9];
    s.read(0x40_0000, &mut d).unwrap();
    assert_eq!(&d, b"copied!\0\0");
}

#[test]
fn interpreter_through_prefix_with_absolute_symlink() {
    let root = tmp("sysroot");
    let _ = fs::remove_dir_all(&root);
    fs::create_dir_all(root.join("lib/aarch64-linux-gnu")).unwrap();
    let ld = build_elf(
        ET_DYN,
        EM_AARCH64,
        0x40,
        &[seg(0, PF_R | PF_X, &[0xd5; 0x80], 0x80)],
        None,
    );
    fs::write(root.join("lib/aarch64-linux-gnu/ld-test.so.1"), ld).unwrap();
    std::os::unix::fs::symlink(
        "/lib/aarch64-linux-gnu/ld-test.so.1",
        root.join("lib/ld-linux-test.so.1"),
    )
    .unwrap();
    let main = build_elf(
        ET_EXEC,
        EM_AARCH64,
        0x40_0000,
        &[seg(0x40_0000, PF_R | PF_X, &[0; 16], 16)],
        Some("/lib/ld-linux-test.so.1"),
    );
    let p = write_tmp("dynamic", &main);
    let mut s = GuestSpace::new(40).unwrap();
    let opts = LoadOptions {
        ld_prefix: Some(root.clone()),
        ..LoadOptions::default()
    };
    let l = load_program(&mut s, &ABI, &p, &[b"dynamic".to_vec()], &[], &opts).unwrap();
    let base = l.interp_base.expect("interpreter loaded");
    assert_eq!(l.entry, base + 0x40);
    assert_eq!(l.program_entry, 0x40_0000);
    assert!(
        base > l.brk && base < l.stack_low,
        "interp below the stack: {base:#x}"
    );
    let aux: std::collections::HashMap<u64, u64> = l.auxv.iter().copied().collect();
    assert_eq!(aux[&at::BASE], base);
    assert_eq!(aux[&at::ENTRY], 0x40_0000);
    assert_eq!(
        l.interp_path.as_deref(),
        Some(root.join("lib/aarch64-linux-gnu/ld-test.so.1").as_path())
    );
    assert!(s.is_exec(base));

    // Without the prefix, the interpreter is missing on this host.
    let e = load(&p).map(|_| ()).unwrap_err().to_string();
    assert_eq!(
        e,
        format!(
            "mimic: {}: interpreter /lib/ld-linux-test.so.1: No such file or directory",
            p.display()
        )
    );
}

#[test]
fn example_hello_asm_loads() {
    let p = example("hello");
    if !p.exists() {
        eprintln!("skipped: {} not present", p.display());
        return;
    }
    let arch = detect_arch(&p).unwrap();
    assert_eq!((arch.machine, arch.bits, arch.elf_type), (183, 64, ET_EXEC));
    let (s, l) = load(&p).unwrap();
    assert!(s.is_exec(l.entry));
    let mut insn = [0u8; 4];
    s.read(l.entry, &mut insn).unwrap();
    let bytes = fs::read(&p).unwrap();
    let e_entry = u64::from_le_bytes(bytes[24..32].try_into().unwrap());
    assert_eq!(l.entry, e_entry);
}

#[test]
fn example_hello_c_loads_with_tls_and_phdr() {
    let p = example("hello-c");
    if !p.exists() {
        eprintln!("skipped: {} not present", p.display());
        return;
    }
    let (s, l) = load(&p).unwrap();
    assert!(s.is_exec(l.entry));
    assert_ne!(l.phdr, 0, "glibc needs AT_PHDR to find PT_TLS");
    let file = fs::read(&p).unwrap();
    let phoff = u64::from_le_bytes(file[32..40].try_into().unwrap()) as usize;
    let mut m = [0u8; 56];
    s.read(l.phdr, &mut m).unwrap();
    assert_eq!(
        &m[..],
        &file[phoff..phoff + 56],
        "AT_PHDR points at the headers"
    );
}
