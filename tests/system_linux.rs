//! Boots Debian's arm64 kernel (linux-image-*-arm64-unsigned, fetched by
//! scripts/fetch-debian into build/cache) on `mimic system -M virt` with an
//! initramfs built here (cpio newc: busybox-static as /bin/busybox, an /init
//! script, /dev/console), checks the commands' output on the serial console
//! and that the guest powers off (PSCI SYSTEM_OFF), with -smp 1 and 2 on
//! each backend, and with `gic-version=3` and -smp 2 (the kernel's GICv3
//! driver, timer interrupts and IPIs on both cpus). Skipped with a message when the kernel package is not in
//! the cache: `scripts/fetch-debian linux-image-6.1.0-56-arm64-unsigned:arm64`
//! (any linux-image-*-arm64-unsigned works; scripts/test does not fetch it
//! yet).

mod common;

use common::linux_guest::{backends, debian_guest};
use common::*;
use std::time::Duration;

const INIT: &str = "#!/bin/sh
/bin/busybox mount -t proc proc /proc
/bin/busybox mount -t sysfs sys /sys
echo MIMIC-SHELL-UP
echo sum=$((6 * 7))
/bin/busybox uname -m
echo cpus=$(/bin/busybox grep -c ^processor /proc/cpuinfo)
/bin/busybox cat /proc/interrupts
/bin/busybox echo hello > /tmp/f && /bin/busybox cat /tmp/f
/bin/busybox poweroff -f
";

#[test]
fn debian_kernel_boots_to_busybox() {
    let root = repo_root();
    let Some(guest) = debian_guest(false) else {
        return;
    };
    let kernel = guest.kernel.clone();
    let dir = temp_dir("linux");
    let initrd = guest.initrd(&dir, INIT, &[], Vec::new());
    let mut cases = Vec::new();
    for b in backends() {
        for (smp, gic) in [("1", "2"), ("2", "2"), ("2", "3")] {
            cases.push((b.to_string(), smp, gic));
        }
    }
    let failures: Vec<String> = parallel_map(&cases, 2, |(backend, smp, gic)| {
        let machine = format!("virt,gic-version={gic}");
        let argv: Vec<String> = [
            mimic_bin().to_string_lossy().as_ref(),
            "system",
            "-M",
            &machine,
            "-cpu",
            "cortex-a57",
            "-m",
            "512",
            "-smp",
            smp,
            "-nographic",
            "-no-reboot",
            "-backend",
            backend,
            "-kernel",
            kernel.to_string_lossy().as_ref(),
            "-initrd",
            initrd.to_string_lossy().as_ref(),
            "-append",
            "console=ttyAMA0 panic=-1",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let out = run(&argv, &root, Some(b""), Duration::from_secs(600));
        let text = String::from_utf8_lossy(&out.stdout);
        let want_cpus = format!("cpus={smp}");
        let mut missing: Vec<&str> = ["MIMIC-SHELL-UP", "sum=42", "aarch64", "hello"]
            .into_iter()
            .filter(|w| !text.contains(w))
            .collect();
        if !text.contains(&want_cpus) {
            missing.push(&want_cpus);
        }
        let gic_problem = if *gic == "3" {
            gicv3_problem(&text)
        } else {
            None
        };
        if missing.is_empty() && gic_problem.is_none() && out.status == 0 && !out.timed_out {
            eprintln!(
                "linux [{backend} -smp {smp} gic {gic}]: booted in {:?}",
                out.elapsed
            );
            None
        } else {
            let tail: Vec<&str> = text.lines().rev().take(8).collect();
            Some(format!(
                "[{backend} -smp {smp} gic {gic}] {gic_problem:?} status {} timed_out {} missing {missing:?}; last lines: {:?}{}",
                out.status,
                out.timed_out,
                tail,
                stderr_tail(&out.stderr, 4)
            ))
        }
    })
    .into_iter()
    .flatten()
    .collect();
    report("Linux boots", cases.len(), &failures);
}

/// What is wrong with a GICv3 boot's console (two cpus): the driver's
/// banner, /proc/interrupts naming the GICv3, and the arch timer and IPIs
/// counted on both cpus.
fn gicv3_problem(text: &str) -> Option<String> {
    if !text.contains("GICv3: 224 SPIs implemented")
        || !text.contains("GICv3: CPU1: found redistributor 1")
    {
        return Some("no GICv3 driver messages for both cpus".into());
    }
    // The two per-cpu counts of a /proc/interrupts line.
    let counts = |line: &str| -> Vec<u64> {
        line.split_whitespace()
            .skip(1)
            .take(2)
            .filter_map(|w| w.parse().ok())
            .collect()
    };
    let Some(timer) = text
        .lines()
        .find(|l| l.contains("GICv3") && l.contains("arch_timer"))
    else {
        return Some("/proc/interrupts has no GICv3 arch_timer line".into());
    };
    if counts(timer).len() != 2 || counts(timer).contains(&0) {
        return Some(format!("timer interrupts not on both cpus: {timer}"));
    }
    let mut ipis = [0u64; 2];
    for l in text.lines().filter(|l| l.trim_start().starts_with("IPI")) {
        for (k, n) in counts(l).into_iter().enumerate() {
            ipis[k] += n;
        }
    }
    if ipis.contains(&0) {
        return Some(format!("IPIs per cpu {ipis:?}"));
    }
    None
}
