//! savevm/loadvm with Debian's arm64 kernel on a 2-cpu `virt`, per backend:
//!
//! - run 1: the guest keeps a marker in a shell variable, a tmpfs file and
//!   the first sector of a qcow2 disk, and prints them once a second
//!   (`tick i=N v=.. m=.. d=..`), changing all three from ONE to TWO at
//!   tick 3. The host saves the VM (human-monitor-command `savevm s1`)
//!   while they are ONE, waits for TWO, loads s1: the guest prints ONE
//!   again and goes on (its timer, console and disk work: it reaches TWO
//!   once more and powers off). On the way: `info snapshots`, `help`,
//!   errors for unknown snapshots/commands (the machine keeps running),
//!   disk-only snapshots through blockdev-snapshot-internal-sync and
//!   -delete-internal-sync, delvm.
//! - `qemu-img check` accepts the image, `qemu-img snapshot -l` lists s1
//!   with a VM size;
//! - run 2: `-loadvm s1` starts from the snapshot (no kernel boot: the
//!   first lines are ticks with ONE), with a human monitor on a unix
//!   socket (`-monitor unix:...`).
//!
//! - run 3: `-loadvm` on a machine with less RAM, or with the other GIC
//!   version, is one clear error.
//!
//! Each backend runs this with GICv2 and with GICv3 (`gic-version=3`).
//!
//! The kernel is passed gzip'd (`-kernel Image.gz`).

mod common;

use common::linux_guest::{backends, debian_guest, have_qemu_img};
use common::qmp_client::{Console, Qmp};
use common::*;
use serde_json::json;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const MODULES: &[&str] = &[
    "drivers/virtio/virtio_mmio.ko",
    "drivers/block/virtio_blk.ko",
];

const INIT: &str = r#"#!/bin/sh
B=/bin/busybox
$B mount -t proc proc /proc
$B mount -t sysfs sys /sys
$B mount -t devtmpfs dev /dev
$B mount -t tmpfs tmp /tmp
for m in virtio_mmio virtio_blk; do $B insmod /lib/$m.ko || echo INSMOD-FAILED $m; done
V=ONE
echo ONE > /tmp/m
echo ONE | $B dd of=/dev/vda conv=fsync 2>/dev/null
echo SAVE-NOW
i=0
while true; do
  $B sleep 1
  i=$((i+1))
  echo 3 > /proc/sys/vm/drop_caches
  echo tick i=$i v=$V m=$($B cat /tmp/m) d=$($B head -c 3 /dev/vda)
  if [ $i = 3 ]; then
    V=TWO
    echo TWO > /tmp/m
    echo TWO | $B dd of=/dev/vda conv=fsync 2>/dev/null
  fi
  if [ $i = 7 ]; then $B poweroff -f; fi
done
"#;

fn hmp(q: &mut Qmp, line: &str) -> Result<String, String> {
    let r =
        q.cmd(json!({"execute": "human-monitor-command", "arguments": {"command-line": line}}))?;
    r["return"]
        .as_str()
        .map(str::to_string)
        .ok_or_else(|| format!("{line}: {r}"))
}

fn mimic(
    (backend, gic): (&str, &str),
    kernel: &Path,
    initrd: &Path,
    disk: &Path,
    extra: &[&str],
) -> Command {
    let mut c = Command::new(mimic_bin());
    c.args(["system", "-M", &format!("virt,gic-version={gic}")])
        .args(["-cpu", "cortex-a57", "-smp", "2", "-m", "256", "-nographic"])
        .args(["-backend", backend, "-kernel"])
        .arg(kernel)
        .arg("-initrd")
        .arg(initrd)
        .args(["-append", "console=ttyAMA0 panic=-1"])
        .arg("-drive")
        .arg(format!("file={},format=qcow2,if=virtio", disk.display()))
        .args(extra)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    c
}

/// The tick lines of `text`: (i, "v m d").
fn ticks(text: &str) -> Vec<(u32, String)> {
    text.lines()
        .filter_map(|l| {
            let t = l.trim().strip_prefix("tick i=")?;
            let (i, rest) = t.split_once(' ')?;
            Some((i.parse().ok()?, rest.to_string()))
        })
        .collect()
}

const ONE: &str = "v=ONE m=ONE d=ONE";
const TWO: &str = "v=TWO m=TWO d=TWO";

fn session(q: &mut Qmp, con: &Console, errs: &mut Vec<String>) -> Result<(), String> {
    q.read()?;
    q.cmd(json!({"execute": "qmp_capabilities"}))?;
    if !con.wait_for("SAVE-NOW", Duration::from_secs(300)) {
        return Err("the guest never got to SAVE-NOW".into());
    }
    let t = Instant::now();
    let out = hmp(q, "savevm s1")?;
    eprintln!("savevm took {:?}", t.elapsed());
    if !out.is_empty() {
        return Err(format!("savevm: {out}"));
    }
    let info = hmp(q, "info snapshots")?;
    if !info.lines().any(|l| l.contains("s1") && l.contains("MiB")) {
        errs.push(format!("info snapshots: {info}"));
    }
    let help = hmp(q, "help")?;
    for c in ["savevm", "loadvm", "delvm", "info", "block_resize"] {
        if !help.contains(c) {
            errs.push(format!("help lacks {c}: {help}"));
        }
    }
    for (line, want) in [
        ("loadvm nope", "Error: Snapshot 'nope' does not exist"),
        ("frobnicate", "Error: unknown command"),
        ("info bogus", "Error: unknown info subcommand"),
        ("savevm a b", "Error: savevm: too many arguments"),
    ] {
        let out = hmp(q, line)?;
        if !out.starts_with(want) {
            errs.push(format!("{line}: got {out:?}, want {want:?}"));
        }
    }
    // Disk-only snapshots over QMP.
    let r = q.cmd(json!({"execute": "blockdev-snapshot-internal-sync",
        "arguments": {"device": "virtio0", "name": "disk1"}}))?;
    if r != json!({"return": {}}) {
        errs.push(format!("blockdev-snapshot-internal-sync: {r}"));
    }
    let r = q.cmd(json!({"execute": "blockdev-snapshot-internal-sync",
        "arguments": {"device": "virtio0", "name": "disk1"}}))?;
    if r["error"]["class"] != "GenericError" {
        errs.push(format!("duplicate disk snapshot: {r}"));
    }
    let r = q.cmd(json!({"execute": "blockdev-snapshot-delete-internal-sync",
        "arguments": {"device": "virtio0", "name": "disk1"}}))?;
    if r["return"]["name"] != "disk1" || r["return"]["vm-state-size"] != 0 {
        errs.push(format!("blockdev-snapshot-delete-internal-sync: {r}"));
    }
    let r = q.cmd(json!({"execute": "blockdev-snapshot-delete-internal-sync",
        "arguments": {"device": "nope", "name": "disk1"}}))?;
    if r["error"]["class"] != "GenericError" {
        errs.push(format!("delete on unknown device: {r}"));
    }

    let end = Instant::now() + Duration::from_secs(120);
    while !ticks(&con.text()).iter().any(|(i, s)| *i >= 4 && s == TWO) {
        if Instant::now() > end {
            return Err(format!("never saw TWO: {:?}", ticks(&con.text())));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let before = con.text().len();
    let t = Instant::now();
    let out = hmp(q, "loadvm s1")?;
    eprintln!("loadvm took {:?}", t.elapsed());
    if !out.is_empty() {
        return Err(format!("loadvm: {out}"));
    }
    let r = q.cmd(json!({"execute": "human-monitor-command",
        "arguments": {"command-line": "info status", "cpu-index": 0}}))?;
    if r["return"] != "VM status: running\n" {
        errs.push(format!("info status with cpu-index: {r}"));
    }
    let r = q.cmd(json!({"execute": "query-status"}))?;
    if r["return"]["status"] != "running" {
        errs.push(format!("status after loadvm: {r}"));
    }
    // savevm without a name picks vm-YYYYMMDDhhmmss (as QEMU does); delvm.
    let out = hmp(q, "savevm")?;
    if !out.is_empty() {
        errs.push(format!("savevm without a name: {out:?}"));
    }
    let info = hmp(q, "info snapshots")?;
    let auto = info.split_whitespace().find(|w| {
        w.strip_prefix("vm-")
            .is_some_and(|d| d.len() == 14 && d.bytes().all(|b| b.is_ascii_digit()))
    });
    match auto {
        Some(name) => {
            let name = name.to_string();
            if !hmp(q, &format!("delvm {name}"))?.is_empty() {
                errs.push(format!("delvm {name} failed"));
            }
            if hmp(q, "info snapshots")?.contains(&name) {
                errs.push(format!("{name} still listed after delvm"));
            }
        }
        None => errs.push(format!(
            "no vm-YYYYMMDDhhmmss snapshot after savevm: {info}"
        )),
    }
    q.event("SHUTDOWN", Duration::from_secs(120))?;
    let after = ticks(&con.text()[before..]);
    match after.first() {
        Some((i, s)) if *i < 3 && s == ONE => {}
        _ => errs.push(format!(
            "after loadvm the guest did not show ONE: {after:?}"
        )),
    }
    if !after.iter().any(|(i, s)| *i >= 4 && s == TWO) || !after.iter().any(|(i, _)| *i == 7) {
        errs.push(format!("the guest did not run on after loadvm: {after:?}"));
    }
    Ok(())
}

fn one_backend(kernel: &Path, initrd: &Path, backend: &str, gic: &str) -> Option<String> {
    let dir = temp_dir(&format!("savevm-{backend}-gic{gic}"));
    let m = (backend, gic);
    let disk = dir.join("disk.qcow2");
    let st = Command::new(mimic_bin())
        .args(["img", "create", "-f", "qcow2"])
        .arg(&disk)
        .arg("16M")
        .status()
        .ok()?;
    if !st.success() {
        return Some(format!("[{backend}] mimic img create failed"));
    }
    let sock = dir.join("qmp.sock");
    let qmp_arg = format!("unix:{},server,nowait", sock.display());
    let mut child = mimic(m, kernel, initrd, &disk, &["-qmp", &qmp_arg])
        .spawn()
        .ok()?;
    let con = Console::start(&mut child);
    let mut errs = Vec::new();
    if let Err(e) = Qmp::connect(&sock, Duration::from_secs(30))
        .and_then(|mut q| session(&mut q, &con, &mut errs))
    {
        errs.push(e);
    }
    let _ = child.kill();
    let _ = child.wait();
    let d = disk.to_string_lossy().into_owned();
    match Command::new("qemu-img").args(["check", &d]).output() {
        Ok(o) if o.status.success() => {}
        Ok(o) => errs.push(format!(
            "qemu-img check: {}",
            String::from_utf8_lossy(&o.stdout)
        )),
        Err(e) => errs.push(format!("qemu-img: {e}")),
    }
    let list = Command::new("qemu-img")
        .args(["snapshot", "-l", &d])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        .unwrap_or_default();
    if !list.lines().any(|l| l.contains("s1") && l.contains("MiB")) || list.contains("s2") {
        errs.push(format!("qemu-img snapshot -l: {list}"));
    }

    // Run 2: straight from the snapshot, with a human monitor socket.
    let hsock = dir.join("hmp.sock");
    let mon = format!("unix:{},server,nowait", hsock.display());
    let mut child = mimic(
        m,
        kernel,
        initrd,
        &disk,
        &["-loadvm", "s1", "-monitor", &mon],
    )
    .spawn()
    .ok()?;
    let con2 = Console::start(&mut child);
    match human_session(&hsock) {
        Ok(t) => {
            for want in [
                "Mimic monitor",
                "(mimic) ",
                "VM status: running",
                "s1",
                "savevm [tag]",
            ] {
                if !t.contains(want) {
                    errs.push(format!("-monitor session lacks {want:?}: {t:?}"));
                }
            }
        }
        Err(e) => errs.push(format!("-monitor session: {e}")),
    }
    let end = Instant::now() + Duration::from_secs(120);
    let status = loop {
        if let Ok(Some(s)) = child.try_wait() {
            break Some(s);
        }
        if Instant::now() > end {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    std::thread::sleep(Duration::from_millis(200));
    let text = con2.text();
    let t = ticks(&text);
    if status.is_none_or(|s| !s.success())
        || text.contains("Booting Linux")
        || t.first().is_none_or(|(i, s)| *i >= 3 || s != ONE)
        || !t.iter().any(|(i, _)| *i == 7)
    {
        errs.push(format!("-loadvm run: status {status:?}, ticks {t:?}"));
    }
    // A machine that does not match the state is refused with a reason.
    match mimic(m, kernel, initrd, &disk, &["-loadvm", "s1", "-m", "128"]).output() {
        Ok(o) => {
            let e = String::from_utf8_lossy(&o.stderr);
            if o.status.code() != Some(1) || !e.contains("256 MiB of RAM") {
                errs.push(format!("-loadvm with other -m: {:?} {e}", o.status));
            }
        }
        Err(e) => errs.push(format!("-loadvm with other -m: {e}")),
    }
    let other = if gic == "3" { "2" } else { "3" };
    match mimic((backend, other), kernel, initrd, &disk, &["-loadvm", "s1"]).output() {
        Ok(o) => {
            let e = String::from_utf8_lossy(&o.stderr);
            if o.status.code() != Some(1) || !e.contains("gic-version") {
                errs.push(format!(
                    "-loadvm with gic-version={other}: {:?} {e}",
                    o.status
                ));
            }
        }
        Err(e) => errs.push(format!("-loadvm with gic-version={other}: {e}")),
    }
    if errs.is_empty() {
        return None;
    }
    let tail: Vec<String> = con
        .text()
        .lines()
        .rev()
        .take(8)
        .map(str::to_string)
        .collect();
    Some(format!(
        "[{backend} gic {gic}] {}\n    console tail: {tail:?}",
        errs.join("\n    ")
    ))
}

/// A few commands on the `-monitor unix:` socket; returns what it said.
fn human_session(path: &Path) -> Result<String, String> {
    use std::io::{Read, Write};
    let end = Instant::now() + Duration::from_secs(30);
    let mut s = loop {
        match std::os::unix::net::UnixStream::connect(path) {
            Ok(s) => break s,
            Err(e) if Instant::now() > end => return Err(e.to_string()),
            Err(_) => std::thread::sleep(Duration::from_millis(50)),
        }
    };
    s.write_all(b"info status\ninfo snapshots\nhelp savevm\n")
        .map_err(|e| e.to_string())?;
    s.set_read_timeout(Some(Duration::from_millis(500))).ok();
    let mut text = Vec::new();
    let stop = Instant::now() + Duration::from_secs(20);
    let mut buf = [0u8; 4096];
    while Instant::now() < stop && !String::from_utf8_lossy(&text).contains("save a VM snapshot") {
        if let Ok(n) = s.read(&mut buf) {
            text.extend_from_slice(&buf[..n]);
        }
    }
    Ok(String::from_utf8_lossy(&text).into_owned())
}

#[test]
fn savevm_loadvm_with_debian_kernel() {
    let Some(guest) = debian_guest(true) else {
        return;
    };
    if !have_qemu_img() {
        return;
    }
    let kernel = guest.kernel.clone();
    let dir = temp_dir("savevm-initrd");
    // The kernel goes in gzip'd (as an Image.gz): -kernel inflates it.
    let gz = dir.join("Image.gz");
    let st = Command::new("gzip")
        .args(["-1", "-c"])
        .arg(&kernel)
        .stdout(std::fs::File::create(&gz).expect("create Image.gz"))
        .status();
    assert!(st.is_ok_and(|s| s.success()), "gzip failed");
    let kernel = gz;
    let initrd = guest.initrd(&dir, INIT, MODULES, Vec::new());
    let backends = backends();
    let cases: Vec<(String, &str)> = backends
        .iter()
        .flat_map(|b| [(b.clone(), "2"), (b.clone(), "3")])
        .collect();
    let failures: Vec<String> =
        parallel_map(&cases, 2, |(b, gic)| one_backend(&kernel, &initrd, b, gic))
            .into_iter()
            .flatten()
            .collect();
    report("savevm/loadvm", cases.len(), &failures);
}

/// A -loadvm of a snapshot that is not there is one clear error line.
#[test]
fn loadvm_of_a_missing_snapshot_is_a_clear_error() {
    let dir = temp_dir("savevm-missing");
    let mut image = vec![0u8; 4096];
    image[56..60].copy_from_slice(b"ARM\x64");
    let kernel = dir.join("Image");
    std::fs::write(&kernel, &image).unwrap();
    let disk = dir.join("d.qcow2");
    let st = Command::new(mimic_bin())
        .args(["img", "create", "-f", "qcow2"])
        .arg(&disk)
        .arg("1M")
        .status()
        .unwrap();
    assert!(st.success());
    let o = mimic(
        ("interp", "2"),
        &kernel,
        &kernel,
        &disk,
        &["-loadvm", "nope"],
    )
    .output()
    .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(
        err.contains("-loadvm nope: Snapshot 'nope' does not exist"),
        "{err}"
    );
}

/// `-monitor stdio` reads commands from stdin (not a terminal here).
#[test]
fn monitor_on_stdio() {
    let dir = temp_dir("monitor-stdio");
    let mut image = vec![0u8; 4096];
    image[56..60].copy_from_slice(b"ARM\x64");
    let kernel = dir.join("Image");
    std::fs::write(&kernel, &image).unwrap();
    let o = run(
        &[
            mimic_bin().to_string_lossy().into_owned(),
            "system".into(),
            "-M".into(),
            "virt".into(),
            "-nographic".into(),
            "-kernel".into(),
            kernel.to_string_lossy().into_owned(),
            "-monitor".into(),
            "stdio".into(),
        ],
        &dir,
        Some(b"info status\nstop\ninfo status\ninfo version\nbogus\ninfo savevm\nquit\n"),
        Duration::from_secs(30),
    );
    let out = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status, 0, "{out}");
    for want in [
        "Mimic monitor - type 'help'",
        "VM status: running",
        "VM status: paused",
        env!("CARGO_PKG_VERSION"),
        "Error: unknown command: 'bogus'",
        "Error: unknown info subcommand 'savevm'",
    ] {
        assert!(out.contains(want), "{want:?} missing: {out}");
    }
}
