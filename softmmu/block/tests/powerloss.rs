//! Power loss (not just a killed process): a qcow2, QED or VHDX workload
//! runs with every change to the image file recorded (`block::journal`).
//! For many cut points, the disk content after a power failure is rebuilt:
//! everything up to the last completed host flush, plus a random subset of
//! the writes made after it (the page cache writes back in any order). Each
//! such image must pass `qemu-img check` without corruptions (leaks allowed;
//! with lazy refcounts after `check -r all`; QED and VHDX after Mimic opened
//! them, which runs QED's check or replays VHDX's log), and every guest
//! write acknowledged by a completed `flush()` must read back, unless a
//! later write covers it.

mod common;
use block::journal::{Journal, Record};
use common::*;
use std::path::Path;

const SIZE: u64 = 8 << 20;

/// One guest modification: the journal length when it began, its range.
struct Op {
    at: usize,
    off: u64,
    len: u64,
}

fn run(tag: &str, create: &[(&str, &str)], seed: u64, cuts: usize) {
    run_fmt("qcow2", tag, create, seed, cuts)
}

fn run_fmt(fmt: &str, tag: &str, create: &[(&str, &str)], seed: u64, cuts: usize) {
    require_qemu();
    let dir = TempDir::new(tag);
    let img = dir.path(&format!("p.{fmt}"));
    let o = create
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    block::img::create_image(fmt, &img, SIZE, &o).unwrap();
    let base = std::fs::read(&img).unwrap();
    let journal = Journal::new();
    let mut rng = Rng(seed);
    let mut reference = vec![0u8; SIZE as usize];
    // (journal length after the flush returned, reference at that point)
    let mut flushes: Vec<(usize, Vec<u8>)> = vec![(0, reference.clone())];
    let mut ops = Vec::new();
    {
        let _rec = Record::scope(journal.clone());
        let mut d = block::open_image(&img, Some(fmt), false).unwrap();
        for i in 0..240 {
            let off = rng.below(SIZE - 1);
            let len = (1 + rng.below(96 << 10)).min(SIZE - off);
            ops.push(Op {
                at: journal.len(),
                off,
                len,
            });
            if rng.below(6) == 0 {
                d.write_zeroes(off, len, rng.below(2) == 0).unwrap();
                reference[off as usize..(off + len) as usize].fill(0);
            } else {
                let mut b = vec![0u8; len as usize];
                rng.fill(&mut b);
                d.write(off, &b).unwrap();
                reference[off as usize..(off + len) as usize].copy_from_slice(&b);
            }
            if i % 7 == 6 || rng.below(5) == 0 {
                d.flush().unwrap();
                flushes.push((journal.len(), reference.clone()));
            }
        }
        // No close: power fails before a clean shutdown.
        std::mem::forget(d);
    }
    let total = journal.len();
    assert!(total > 100, "the workload recorded only {total} changes");
    let cut_img = dir.path(&format!("cut.{fmt}"));
    let cs = cut_img.to_string_lossy().into_owned();
    let lazy = create.contains(&("lazy_refcounts", "on"));
    for c in 0..cuts {
        let cut = if c == cuts - 1 {
            total
        } else {
            rng.below(total as u64 + 1) as usize
        };
        let mut keep_rng = Rng(seed ^ ((c as u64 + 1) * 0x9e37));
        let disk = journal.replay(&base, cut, |_| keep_rng.below(2) == 0);
        std::fs::write(&cut_img, &disk).unwrap();
        if fmt != "qcow2" {
            // QED's need-check flag and VHDX's log are dealt with when
            // Mimic opens the image read/write; then it must be clean.
            let mut d = block::open_image(&cut_img, Some(fmt), false)
                .unwrap_or_else(|e| panic!("cut {cut}/{total}: open: {e}"));
            d.close().unwrap();
            drop(d);
            let (rc, o, e) = qemu_img(&["check", "-f", fmt, &cs]);
            assert!(
                rc == 0 || rc == 3,
                "cut {cut}/{total}: corrupt after power loss: {o}{e}"
            );
        } else if lazy {
            let (rc, o, e) = qemu_img(&["check", "-r", "all", &cs]);
            assert!(rc == 0, "cut {cut}/{total}: check -r all failed: {o}{e}");
        } else {
            let (rc, o, e) = qemu_img(&["check", &cs]);
            assert!(
                rc == 0 || rc == 3,
                "cut {cut}/{total}: corrupt after power loss: {o}{e}"
            );
        }
        // The content acknowledged by the last flush that completed.
        let (fat, want) = flushes.iter().rev().find(|(at, _)| *at <= cut).unwrap();
        let mut masked = vec![false; SIZE as usize];
        for op in ops.iter().filter(|op| op.at >= *fat && op.at < cut) {
            masked[op.off as usize..(op.off + op.len) as usize].fill(true);
        }
        let got = read_all(Path::new(&cut_img), Some(fmt));
        if let Some(i) = (0..SIZE as usize).find(|&i| !masked[i] && got[i] != want[i]) {
            panic!(
                "cut {cut}/{total}: byte {i:#x} is {:#x}, acknowledged {:#x}",
                got[i], want[i]
            );
        }
        let (rc, o, e) = qemu_img(&["check", "-f", fmt, "-r", "all", &cs]);
        // qemu-img cannot repair QED leaks (QED has no refcounts to fix).
        assert!(
            rc == 0 || (fmt == "qed" && rc == 3),
            "cut {cut}/{total}: not repairable: {o}{e}"
        );
    }
}

#[test]
fn power_loss_keeps_flushed_writes() {
    run("powerloss", &[], 0x9017, 24);
}

#[test]
fn power_loss_small_clusters_refcount_bits_1() {
    run(
        "powerloss-small",
        &[("cluster_size", "4096"), ("refcount_bits", "1")],
        0x9018,
        16,
    );
}

#[test]
fn power_loss_lazy_refcounts() {
    run("powerloss-lazy", &[("lazy_refcounts", "on")], 0x9019, 16);
}

#[test]
fn power_loss_qed() {
    run_fmt("qed", "powerloss-qed", &[], 0x901a, 12);
}

#[test]
fn power_loss_vhdx() {
    run_fmt(
        "vhdx",
        "powerloss-vhdx",
        &[("block_size", "1M")],
        0x901b,
        16,
    );
}
