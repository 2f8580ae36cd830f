//! virtio-blk disks and the QMP monitor on `mimic system -M virt` with
//! Debian's arm64 kernel (its virtio_mmio, virtio_blk, gpio_keys and evdev
//! modules go into the initramfs), one boot per backend that checks:
//!
//! - three disks: a qcow2 image made by `mimic img create` (if=virtio), a
//!   raw image with `snapshot=on`, and a throttled raw image attached with
//!   `-drive if=none` + `-device virtio-blk-device`; the guest writes,
//!   reads back (page cache dropped), discards, zeroes out, reads the
//!   serial, syncs; a throttled write takes as long as the limit says;
//!   a fourth disk built from `-blockdev` nodes (a qcow2 node, a
//!   `throttle` node over it in an `-object throttle-group`) attached by
//!   node name with `-device virtio-blk-device,drive=NODE`: its write
//!   takes as long as the group's limit says and lands in the image;
//! - QMP over a unix socket while the kernel runs: greeting, negotiation,
//!   error replies for malformed JSON, unknown commands and bad arguments
//!   (the machine keeps running), query-version/status/block/cpus-fast,
//!   stop/cont with STOP/RESUME (the paused guest prints nothing),
//!   system_reset (the kernel boots a second time, RESET event),
//!   block_resize (the guest sees the new capacity), system_powerdown
//!   (the guest reads KEY_POWER from the gpio-keys input device, then
//!   powers off: POWERDOWN and SHUTDOWN events);
//! - afterwards `qemu-img check` accepts the qcow2 image, its size is the
//!   resized one, the host reads the guest's data back (qemu-img convert),
//!   `qemu-img map` shows the discarded and zeroed ranges as such, the
//!   snapshot disk is unchanged and the throttled disk has the guest's
//!   writes.
//!
//! Skipped with a message when the kernel or busybox is not in build/cache
//! (scripts/fetch-debian) or qemu-img is missing.

mod common;

use common::linux_guest::{backends, cross_build, debian_guest, have_qemu_img};
use common::qmp_client::{Console, Qmp};
use common::*;
use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const MODULES: &[&str] = &[
    "drivers/virtio/virtio_mmio.ko",
    "drivers/block/virtio_blk.ko",
    "drivers/input/keyboard/gpio_keys.ko",
    "drivers/input/evdev.ko",
];

const INIT: &str = r#"#!/bin/sh
B=/bin/busybox
$B mount -t proc proc /proc
$B mount -t sysfs sys /sys
$B mount -t devtmpfs dev /dev
for m in virtio_mmio virtio_blk gpio_keys evdev; do $B insmod /lib/$m.ko || echo INSMOD-FAILED $m; done
echo vda=$($B cat /sys/block/vda/size) vdb=$($B cat /sys/block/vdb/size) vdc=$($B cat /sys/block/vdc/size) serial=$($B cat /sys/block/vda/serial)
up() { $B cut -d' ' -f1 /proc/uptime; }
$B seq 1 20000 > /tmp/pat
L=$($B stat -c %s /tmp/pat)
$B dd if=/tmp/pat of=/dev/vda bs=4096 seek=256 conv=fsync 2>/dev/null
$B dd if=/tmp/pat of=/dev/vda bs=4096 seek=1024 conv=fsync 2>/dev/null
$B dd if=/tmp/pat of=/dev/vda bs=4096 seek=2048 conv=fsync 2>/dev/null
echo 3 > /proc/sys/vm/drop_caches
$B dd if=/dev/vda bs=4096 skip=256 count=27 2>/dev/null | $B head -c $L | $B cmp - /tmp/pat && echo READBACK-OK
$B blkdiscard -o 4194304 -l 131072 /dev/vda && echo DISCARD-DONE
/lib/blk_zeroout /dev/vda 8388608 131072 && echo ZEROOUT-DONE
echo 3 > /proc/sys/vm/drop_caches
echo discarded=$($B dd if=/dev/vda bs=4096 skip=1024 count=32 2>/dev/null | $B tr -d '\000' | $B wc -c) zeroed=$($B dd if=/dev/vda bs=4096 skip=2048 count=32 2>/dev/null | $B tr -d '\000' | $B wc -c)
S=$(up)
$B dd if=/dev/zero of=/dev/vda bs=1048576 seek=16 count=32 conv=fsync 2>/dev/null
E=$(up)
echo 3 > /proc/sys/vm/drop_caches
$B dd if=/dev/vda of=/dev/null bs=1048576 skip=16 count=32 2>/dev/null
echo speed=$S,$E,$(up)
echo BBBB | $B dd of=/dev/vdb conv=fsync 2>/dev/null
echo 3 > /proc/sys/vm/drop_caches
echo snap=$($B head -c 4 /dev/vdb)
S=$(up)
$B dd if=/dev/zero of=/dev/vdc bs=65536 count=32 conv=fsync 2>/dev/null
echo throttled=$S,$(up)
echo vdd=$($B cat /sys/block/vdd/size)
S=$(up)
$B dd if=/tmp/pat of=/dev/vdd bs=4096 seek=16 conv=fsync 2>/dev/null
$B dd if=/dev/zero of=/dev/vdd bs=65536 seek=16 count=32 conv=fsync 2>/dev/null
echo grouped=$S,$(up)
$B sync
echo MARK-RESIZE-WAIT
while [ "$($B cat /sys/block/vda/size)" = 131072 ]; do $B sleep 1; done
echo resized=$($B cat /sys/block/vda/size)
$B dd if=/dev/input/event0 of=/tmp/ev bs=24 count=1 2>/dev/null &
P=$!
while ! $B ls -l /proc/$P/fd 2>/dev/null | $B grep -q event0; do $B sleep 1; done
echo MARK-POWER-WAIT
wait
set -- $($B od -A n -t u2 -j 16 -N 4 /tmp/ev)
echo key=$1,$2
$B poweroff -f
"#;

fn expect(what: &str, got: &Value, want: &Value, errs: &mut Vec<String>) {
    if got != want {
        errs.push(format!("{what}: got {got}, want {want}"));
    }
}

fn error_class(v: &Value) -> String {
    v["error"]["class"].as_str().unwrap_or("").to_string()
}

/// The QMP conversation while the guest boots and runs its script.
fn drive_monitor(q: &mut Qmp, con: &Console, errs: &mut Vec<String>) -> Result<(), String> {
    let g = q.read()?;
    if g["QMP"]["version"]["qemu"]["major"].as_i64().is_none() {
        errs.push(format!("greeting: {g}"));
    }
    let r = q.cmd(json!({"execute": "query-status"}))?;
    expect(
        "before negotiation",
        &json!(error_class(&r)),
        &json!("CommandNotFound"),
        errs,
    );
    let r = q.cmd(json!({"execute": "qmp_capabilities", "id": 1}))?;
    expect(
        "qmp_capabilities",
        &r,
        &json!({"return": {}, "id": 1}),
        errs,
    );
    let r = q.cmd(json!({"execute": "qmp_capabilities"}))?;
    expect(
        "second negotiation",
        &json!(error_class(&r)),
        &json!("CommandNotFound"),
        errs,
    );
    for (what, text, class) in [
        ("malformed JSON", "{\"execute\": query-status}\n", "GenericError"),
        ("not an object", "[1, 2]\n", "GenericError"),
        ("stray bracket", "}\n", "GenericError"),
        ("no execute", "{\"arguments\": {}}\n", "GenericError"),
        ("unknown command", "{\"execute\": \"no-such-command\"}\n", "CommandNotFound"),
        ("missing argument", "{\"execute\": \"block_resize\", \"arguments\": {\"device\": \"virtio0\"}}\n", "GenericError"),
        ("mistyped argument", "{\"execute\": \"block_resize\", \"arguments\": {\"device\": \"virtio0\", \"size\": \"big\"}}\n", "GenericError"),
        ("unexpected argument", "{\"execute\": \"query-status\", \"arguments\": {\"x\": 1}}\n", "GenericError"),
        ("unknown device", "{\"execute\": \"block_resize\", \"arguments\": {\"device\": \"nope\", \"size\": 1048576}}\n", "GenericError"),
    ] {
        let r = q.raw(text)?;
        if error_class(&r) != class || r["error"]["desc"].as_str().is_none_or(|d| d.is_empty()) {
            errs.push(format!("{what}: got {r}, want a {class} error"));
        }
    }
    let r = q.cmd(json!({"execute": "query-status", "id": "s1"}))?;
    expect(
        "query-status",
        &r,
        &json!({"return": {"status": "running", "singlestep": false, "running": true}, "id": "s1"}),
        errs,
    );
    let r = q.cmd(json!({"execute": "query-version"}))?;
    if !r["return"]["qemu"]["minor"].is_i64() || !r["return"]["package"].is_string() {
        errs.push(format!("query-version: {r}"));
    }
    let r = q.cmd(json!({"execute": "query-cpus-fast"}))?;
    let cpus = r["return"].as_array().cloned().unwrap_or_default();
    if cpus.len() != 1
        || cpus[0]["cpu-index"] != 0
        || cpus[0]["thread-id"].as_i64().unwrap_or(0) <= 0
    {
        errs.push(format!("query-cpus-fast: {r}"));
    }
    let r = q.cmd(json!({"execute": "query-block"}))?;
    let blocks = r["return"].as_array().cloned().unwrap_or_default();
    let names: Vec<&str> = blocks.iter().filter_map(|b| b["device"].as_str()).collect();
    expect(
        "query-block devices",
        &json!(names),
        &json!(["virtio0", "virtio1", "thr"]),
        errs,
    );
    if let Some(b) = blocks.first() {
        expect(
            "virtio0 format",
            &b["inserted"]["drv"],
            &json!("qcow2"),
            errs,
        );
        expect(
            "virtio0 size",
            &b["inserted"]["image"]["virtual-size"],
            &json!(64 << 20),
            errs,
        );
    }
    if let Some(b) = blocks.get(2) {
        expect("thr bps", &b["inserted"]["bps"], &json!(1 << 20), errs);
    }

    // stop / cont while the kernel boots (earlycon prints all along):
    // nothing is printed while paused.
    if !con.wait_for("Booting Linux", Duration::from_secs(60)) {
        return Err("no early kernel output".into());
    }
    let r = q.cmd(json!({"execute": "stop"}))?;
    expect("stop", &r, &json!({"return": {}}), errs);
    q.event("STOP", Duration::from_secs(5))?;
    let r = q.cmd(json!({"execute": "query-status"}))?;
    expect(
        "paused status",
        &r["return"]["status"],
        &json!("paused"),
        errs,
    );
    std::thread::sleep(Duration::from_millis(300));
    let before = con.text().len();
    std::thread::sleep(Duration::from_millis(1500));
    if con.text().len() != before {
        errs.push("the guest printed while paused".into());
    }
    let r = q.cmd(json!({"execute": "cont"}))?;
    expect("cont", &r, &json!({"return": {}}), errs);
    q.event("RESUME", Duration::from_secs(5))?;

    // A reset reboots the kernel.
    let r = q.cmd(json!({"execute": "system_reset"}))?;
    expect("system_reset", &r, &json!({"return": {}}), errs);
    let e = q.event("RESET", Duration::from_secs(5))?;
    expect(
        "RESET data",
        &e["data"],
        &json!({"guest": false, "reason": "host-qmp-system-reset"}),
        errs,
    );

    if !con.wait_for("MARK-RESIZE-WAIT", Duration::from_secs(400)) {
        return Err("the guest never reached the resize step".into());
    }
    let r = q.cmd(
        json!({"execute": "block_resize", "arguments": {"device": "virtio0", "size": 128 << 20}}),
    )?;
    expect("block_resize", &r, &json!({"return": {}}), errs);
    let r = q.cmd(json!({"execute": "query-block"}))?;
    expect(
        "resized size",
        &r["return"][0]["inserted"]["image"]["virtual-size"],
        &json!(128 << 20),
        errs,
    );
    if !con.wait_for("MARK-POWER-WAIT", Duration::from_secs(120)) {
        return Err("the guest never saw the new capacity".into());
    }
    let r = q.cmd(json!({"execute": "system_powerdown"}))?;
    expect("system_powerdown", &r, &json!({"return": {}}), errs);
    q.event("POWERDOWN", Duration::from_secs(5))?;
    let e = q.event("SHUTDOWN", Duration::from_secs(120))?;
    expect(
        "SHUTDOWN data",
        &e["data"],
        &json!({"guest": true, "reason": "guest-shutdown"}),
        errs,
    );
    Ok(())
}

fn qemu_img(args: &[&str]) -> Result<String, String> {
    let o = Command::new("qemu-img")
        .args(args)
        .output()
        .map_err(|e| format!("qemu-img: {e}"))?;
    if !o.status.success() {
        return Err(format!(
            "qemu-img {args:?}: {}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        ));
    }
    Ok(String::from_utf8_lossy(&o.stdout).into_owned())
}

fn pattern() -> Vec<u8> {
    (1..=20000)
        .map(|i| format!("{i}\n"))
        .collect::<String>()
        .into_bytes()
}

/// Two `a,b` uptime figures from the guest's `name=a,b[,c]` line.
fn times(text: &str, name: &str) -> Option<Vec<f64>> {
    let l = text
        .lines()
        .find_map(|l| l.trim().strip_prefix(&format!("{name}=")))?;
    l.split(',').map(|x| x.trim().parse().ok()).collect()
}

/// The host's view after the guest powered off.
fn check_images(dir: &Path, errs: &mut Vec<String>) -> Result<(), String> {
    let disk = dir.join("disk.qcow2");
    let d = disk.to_string_lossy();
    qemu_img(&["check", &d])?;
    let info: Value = serde_json::from_str(&qemu_img(&["info", "--output=json", &d])?)
        .map_err(|e| e.to_string())?;
    expect(
        "image size after resize",
        &info["virtual-size"],
        &json!(128 << 20),
        errs,
    );
    let raw = dir.join("disk.raw");
    qemu_img(&["convert", "-O", "raw", &d, &raw.to_string_lossy()])?;
    let data = std::fs::read(&raw).map_err(|e| e.to_string())?;
    let p = pattern();
    if data.get(1 << 20..(1 << 20) + p.len()) != Some(&p[..]) {
        errs.push("the host does not read the guest's pattern at 1 MiB".into());
    }
    for (what, at) in [("discarded", 4u64 << 20), ("zeroed", 8 << 20)] {
        if data[at as usize..at as usize + 131072]
            .iter()
            .any(|&b| b != 0)
        {
            errs.push(format!("{what} range is not zero on the host"));
        }
    }
    let map: Value = serde_json::from_str(&qemu_img(&["map", "--output=json", &d])?)
        .map_err(|e| e.to_string())?;
    let at = |off: u64| {
        map.as_array()
            .and_then(|a| {
                a.iter().find(|e| {
                    let s = e["start"].as_u64().unwrap_or(u64::MAX);
                    off >= s && off < s + e["length"].as_u64().unwrap_or(0)
                })
            })
            .cloned()
            .unwrap_or(Value::Null)
    };
    if at(4 << 20)["data"] != json!(false) {
        errs.push(format!("discarded range still holds data: {}", at(4 << 20)));
    }
    if at(8 << 20)["data"] != json!(false) || at(8 << 20)["zero"] != json!(true) {
        errs.push(format!(
            "zeroed range is not a zero extent: {}",
            at(8 << 20)
        ));
    }
    let snap = std::fs::read(dir.join("snap.raw")).map_err(|e| e.to_string())?;
    if snap.iter().any(|&b| b != b'A') {
        errs.push("the snapshot=on disk was written on the host".into());
    }
    let grouped = dir.join("grouped.raw");
    qemu_img(&[
        "convert",
        "-O",
        "raw",
        &dir.join("grouped.qcow2").to_string_lossy(),
        &grouped.to_string_lossy(),
    ])?;
    let data = std::fs::read(&grouped).map_err(|e| e.to_string())?;
    if data.get(64 << 10..(64 << 10) + p.len()) != Some(&p[..]) {
        errs.push("the -blockdev disk does not hold the guest's pattern at 64 KiB".into());
    }
    let thr = std::fs::read(dir.join("thr.raw")).map_err(|e| e.to_string())?;
    if thr[..2 << 20].iter().any(|&b| b != 0) || thr[2 << 20..].iter().any(|&b| b != 0xff) {
        errs.push("the throttled disk does not hold exactly the guest's 2 MiB of zeroes".into());
    }
    Ok(())
}

fn one_boot(root: &Path, kernel: &Path, initrd: &Path, backend: &str) -> Option<String> {
    let dir = temp_dir(&format!("virtio-{backend}"));
    let disk = dir.join("disk.qcow2");
    for (img, size) in [(&disk, "64M"), (&dir.join("grouped.qcow2"), "8M")] {
        let out = run(
            &[
                mimic_bin().to_string_lossy().into_owned(),
                "img".into(),
                "create".into(),
                "-f".into(),
                "qcow2".into(),
                img.to_string_lossy().into_owned(),
                size.into(),
            ],
            root,
            None,
            Duration::from_secs(60),
        );
        if out.status != 0 {
            return Some(format!("[{backend}] mimic img create failed"));
        }
    }
    std::fs::write(dir.join("snap.raw"), vec![b'A'; 1 << 20]).ok()?;
    std::fs::write(dir.join("thr.raw"), vec![0xff; 4 << 20]).ok()?;
    let sock = dir.join("qmp.sock");
    let p = |f: &str| dir.join(f).to_string_lossy().into_owned();
    let mut child = Command::new(mimic_bin())
        .args([
            "system",
            "-M",
            "virt",
            "-cpu",
            "cortex-a57",
            "-m",
            "512",
            "-nographic",
        ])
        .args(["-backend", backend, "-kernel"])
        .arg(kernel)
        .arg("-initrd")
        .arg(initrd)
        .args([
            "-append",
            "console=ttyAMA0 earlycon=pl011,0x9000000 panic=-1",
        ])
        .arg("-drive")
        .arg(format!(
            "file={},format=qcow2,if=virtio,serial=MIMIC-SERIAL-1",
            p("disk.qcow2")
        ))
        .arg("-drive")
        .arg(format!(
            "file={},format=raw,if=virtio,snapshot=on",
            p("snap.raw")
        ))
        .arg("-drive")
        .arg(format!(
            "file={},format=raw,if=none,id=thr,throttling.bps-total=1048576",
            p("thr.raw")
        ))
        .args(["-device", "virtio-blk-device,drive=thr"])
        .args(["-object", "throttle-group,id=tg0,x-bps-total=1048576"])
        .arg("-blockdev")
        .arg(format!(
            "driver=qcow2,node-name=gq,file.driver=file,file.filename={}",
            p("grouped.qcow2")
        ))
        .args([
            "-blockdev",
            r#"{"driver": "throttle", "node-name": "gt", "throttle-group": "tg0", "file": "gq"}"#,
        ])
        .args(["-device", "virtio-blk-device,drive=gt"])
        .arg("-qmp")
        .arg(format!("unix:{},server,nowait", sock.display()))
        .current_dir(root)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .ok()?;
    let con = Console::start(&mut child);
    let mut errs = Vec::new();
    let talk = Qmp::connect(&sock, Duration::from_secs(30))
        .and_then(|mut q| drive_monitor(&mut q, &con, &mut errs));
    if let Err(e) = talk {
        errs.push(format!("monitor: {e}"));
    }
    // The guest powers off by itself; give it a minute, then kill it.
    let end = Instant::now() + Duration::from_secs(60);
    let status = loop {
        match child.try_wait() {
            Ok(Some(s)) => break s.code(),
            _ if Instant::now() > end => {
                let _ = child.kill();
                let _ = child.wait();
                errs.push("mimic did not exit after the guest powered off".into());
                break None;
            }
            _ => std::thread::sleep(Duration::from_millis(100)),
        }
    };
    std::thread::sleep(Duration::from_millis(200));
    let text = con.text();
    let mut stderr = String::new();
    if let Some(mut e) = child.stderr.take() {
        let _ = e.read_to_string(&mut stderr);
    }
    if status != Some(0) {
        errs.push(format!("exit status {status:?}"));
    }
    if sock.exists() {
        errs.push("the QMP socket was left behind".into());
    }
    for want in [
        "vda=131072 vdb=2048 vdc=8192 serial=MIMIC-SERIAL-1",
        "READBACK-OK",
        "DISCARD-DONE",
        "ZEROOUT-DONE",
        "discarded=0 zeroed=0",
        "snap=BBBB",
        "vdd=16384",
        "resized=262144",
        "key=1,116",
    ] {
        if !text.contains(want) {
            errs.push(format!("guest output lacks {want:?}"));
        }
    }
    if text.contains("INSMOD-FAILED") {
        errs.push("a module did not load".into());
    }
    let boots = text.matches("Booting Linux on physical CPU").count();
    if boots != 2 {
        errs.push(format!(
            "the kernel booted {boots} times, want 2 (system_reset)"
        ));
    }
    match times(&text, "throttled") {
        // 2 MiB at 1 MiB/s: at least ~1.9 s (the bucket lets 0.1 s through at once).
        Some(t) if t.len() == 2 && t[1] - t[0] >= 1.5 => {}
        t => errs.push(format!("throttled write took {t:?} (want >= 1.5 s)")),
    }
    match times(&text, "grouped") {
        // ~2.1 MiB through the group's 1 MiB/s.
        Some(t) if t.len() == 2 && t[1] - t[0] >= 1.5 => {}
        t => errs.push(format!(
            "write through the throttle group took {t:?} (want >= 1.5 s)"
        )),
    }
    if let Some(t) = times(&text, "speed").filter(|t| t.len() == 3) {
        eprintln!(
            "virtio [{backend}]: guest dd 32 MiB write+fsync {:.1} MB/s, read {:.1} MB/s",
            32.0 * 1.048576 / (t[1] - t[0]).max(0.01),
            32.0 * 1.048576 / (t[2] - t[1]).max(0.01)
        );
    }
    if status == Some(0) {
        if let Err(e) = check_images(&dir, &mut errs) {
            errs.push(e);
        }
    }
    if errs.is_empty() {
        let _ = std::fs::remove_dir_all(&dir);
        return None;
    }
    let tail: Vec<&str> = text.lines().rev().take(12).collect();
    Some(format!(
        "[{backend}] {}\n    last lines: {tail:?}{}",
        errs.join("\n    "),
        stderr_tail(stderr.as_bytes(), 6)
    ))
}

#[test]
fn virtio_disks_and_qmp_with_debian_kernel() {
    let root = repo_root();
    let Some(guest) = debian_guest(true) else {
        return;
    };
    if !have_qemu_img() {
        return;
    }
    let kernel = guest.kernel.clone();
    let dir = temp_dir("virtio-initrd");
    let extra = vec![(
        "lib/blk_zeroout".to_string(),
        cross_build(&dir, "blk_zeroout"),
    )];
    let initrd = guest.initrd(&dir, INIT, MODULES, extra);
    let backends = backends();
    let failures: Vec<String> =
        parallel_map(&backends, 2, |b| one_boot(&root, &kernel, &initrd, b))
            .into_iter()
            .flatten()
            .collect();
    report("virtio disks and QMP", backends.len(), &failures);
}

/// Bad `-drive`/`-device`/`-qmp` options end `mimic system` before the
/// guest runs, with one clear line on stderr and status 1.
#[test]
fn bad_disk_and_monitor_options_are_clear_errors() {
    let root = repo_root();
    let dir = temp_dir("virtio-errors");
    // A minimal arm64 Image: the header's magic is enough to load it.
    let mut image = vec![0u8; 4096];
    image[56..60].copy_from_slice(b"ARM\x64");
    let kernel = dir.join("Image");
    std::fs::write(&kernel, &image).unwrap();
    let raw = dir.join("d.raw");
    std::fs::write(&raw, vec![0u8; 1 << 20]).unwrap();
    let garbage = dir.join("bad.qcow2");
    std::fs::write(&garbage, b"QFI\xfbgarbage").unwrap();
    let r = raw.to_string_lossy().into_owned();
    let g = garbage.to_string_lossy().into_owned();
    let cases: Vec<(Vec<String>, &str)> = vec![
        (
            vec![
                "-drive".into(),
                "file=/nonexistent/disk.qcow2,format=qcow2".into(),
            ],
            "/nonexistent/disk.qcow2",
        ),
        (
            vec!["-drive".into(), format!("file={r},format=bogus")],
            "bogus",
        ),
        (
            vec!["-drive".into(), format!("file={g},format=qcow2")],
            "bad.qcow2",
        ),
        (vec!["-drive".into(), format!("file={r},if=ide")], "if=ide"),
        (
            vec!["-drive".into(), format!("file={r},cache=none")],
            "cache",
        ),
        (
            vec![
                "-drive".into(),
                format!("file={r},format=raw,if=none,id=a"),
                "-device".into(),
                "virtio-blk-device,drive=b".into(),
            ],
            "drive 'b' not found",
        ),
        (
            vec![
                "-drive".into(),
                format!("file={r},format=raw,id=a,readonly=on"),
                "-drive".into(),
                format!("file={r},format=raw,id=a,readonly=on"),
            ],
            "duplicate ID 'a'",
        ),
        (
            vec!["-device".into(), "virtio-gpu-device".into()],
            "virtio-gpu-device",
        ),
        (
            vec![
                "-qmp".into(),
                "unix:/nonexistent/q.sock,server,nowait".into(),
            ],
            "/nonexistent/q.sock",
        ),
        (vec!["-qmp".into(), "unix:/tmp/q.sock".into()], "server"),
        (
            vec![
                "-blockdev".into(),
                format!("driver=raw,node-name=n0,file.driver=file,file.filename={r}"),
                "-device".into(),
                "virtio-blk-device,drive=n1".into(),
            ],
            "drive 'n1' not found",
        ),
        (
            vec![
                "-blockdev".into(),
                format!("driver=file,node-name=f0,filename={r}"),
                "-blockdev".into(),
                "driver=raw,node-name=r0,file=f0".into(),
                "-device".into(),
                "virtio-blk-device,drive=f0".into(),
            ],
            "node 'f0' is in use",
        ),
        (
            vec![
                "-blockdev".into(),
                format!("driver=raw,node-name=n0,file.driver=file,file.filename={r}"),
                "-device".into(),
                "virtio-blk-device,drive=n0".into(),
                "-device".into(),
                "virtio-blk-device,drive=n0".into(),
            ],
            "already in use",
        ),
        (
            vec!["-blockdev".into(), "{\"driver\": ".into()],
            "bad JSON",
        ),
        (
            vec!["-blockdev".into(), "driver=raw,file.filename".into()],
            "needs a value",
        ),
        (
            vec![
                "-blockdev".into(),
                format!("driver=throttle,node-name=t,throttle-group=tg9,file.driver=file,file.filename={r}"),
            ],
            "Throttle group 'tg9' does not exist",
        ),
        (
            vec!["-blockdev".into(), "driver=nbd,node-name=x".into()],
            "does not accept value 'nbd'",
        ),
        (
            vec!["-object".into(), "throttle-group,id=g,x-bps-total=1,x-bps-read=1".into()],
            "cannot be used at the same time",
        ),
        (
            vec!["-object".into(), "iothread,id=io0".into()],
            "-object iothread",
        ),
        (
            vec![
                "-object".into(),
                "throttle-group,id=g,x-iops-total=5".into(),
                "-object".into(),
                "throttle-group,id=g,x-iops-total=5".into(),
            ],
            "duplicate",
        ),
    ];
    let mut failures = Vec::new();
    for (extra, want) in &cases {
        let mut argv = vec![
            mimic_bin().to_string_lossy().into_owned(),
            "system".into(),
            "-kernel".into(),
            kernel.to_string_lossy().into_owned(),
            "-serial".into(),
            "none".into(),
        ];
        argv.extend(extra.iter().cloned());
        let out = run(&argv, &root, None, Duration::from_secs(30));
        let err = String::from_utf8_lossy(&out.stderr);
        if out.status != 1
            || !err.contains(want)
            || err.contains("panicked")
            || err.lines().count() != 1
        {
            failures.push(format!(
                "{extra:?}: status {} stderr {err:?} (want {want:?})",
                out.status
            ));
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    report("bad disk/monitor options", cases.len(), &failures);
}

/// QMP over TCP on a machine whose only code is `b .`: negotiation, a
/// query, `quit` with its reply before the SHUTDOWN event, and a clean
/// exit; SIGTERM also exits cleanly with the disk closed; on each backend.
#[test]
fn qmp_over_tcp_and_sigterm_end_the_machine() {
    let dir = temp_dir("virtio-tcp");
    let mut image = vec![0u8; 4096];
    image[0..4].copy_from_slice(&0x1400_0000u32.to_le_bytes()); // b .
    image[56..60].copy_from_slice(b"ARM\x64");
    let kernel = dir.join("Image");
    std::fs::write(&kernel, &image).unwrap();
    let backends: Vec<String> = std::env::var("MIMIC_TEST_BACKENDS")
        .unwrap_or_else(|_| "interp,jit".into())
        .split(',')
        .map(str::to_string)
        .collect();
    let mut failures = Vec::new();
    for b in &backends {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .unwrap();
        let mut child = Command::new(mimic_bin())
            .args(["system", "-serial", "none", "-backend", b, "-kernel"])
            .arg(&kernel)
            .arg("-qmp")
            .arg(format!("tcp:127.0.0.1:{port},server,nowait"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let talk = || -> Result<Vec<String>, String> {
            let end = Instant::now() + Duration::from_secs(20);
            let s = loop {
                match std::net::TcpStream::connect(("127.0.0.1", port)) {
                    Ok(s) => break s,
                    Err(e) if Instant::now() > end => return Err(e.to_string()),
                    Err(_) => std::thread::sleep(Duration::from_millis(50)),
                }
            };
            s.set_read_timeout(Some(Duration::from_secs(20))).ok();
            let mut w = s.try_clone().map_err(|e| e.to_string())?;
            w.write_all(
                b"{\"execute\":\"qmp_capabilities\"}{\"execute\":\"query-status\"}\n{\"execute\":\"quit\",\"id\":\"q\"}\n",
            )
            .map_err(|e| e.to_string())?;
            Ok(BufReader::new(s).lines().map_while(Result::ok).collect())
        };
        let lines = talk();
        let status = child.wait().ok().and_then(|s| s.code());
        let lines = match lines {
            Ok(l) => l,
            Err(e) => {
                failures.push(format!("[{b}] {e}"));
                continue;
            }
        };
        let v: Vec<Value> = lines
            .iter()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect();
        let ok = v.len() == 5
            && v[0]["QMP"].is_object()
            && v[1] == json!({"return": {}})
            && v[2]["return"]["status"] == "running"
            && v[3] == json!({"return": {}, "id": "q"})
            && v[4]["event"] == "SHUTDOWN"
            && v[4]["data"] == json!({"guest": false, "reason": "host-qmp-quit"});
        if !ok || status != Some(0) {
            failures.push(format!("[{b}] status {status:?}, got {lines:?}"));
        }
    }
    // SIGTERM: an orderly shutdown that closes the disks.
    let img = dir.join("d.qcow2");
    for b in &backends {
        let created = Command::new(mimic_bin())
            .args(["img", "create", "-f", "qcow2", "-q"])
            .arg(&img)
            .arg("1M")
            .status();
        assert!(created.is_ok_and(|s| s.success()));
        let mut child = Command::new(mimic_bin())
            .args(["system", "-serial", "none", "-backend", b, "-kernel"])
            .arg(&kernel)
            .arg("-drive")
            .arg(format!("file={},format=qcow2", img.display()))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(500));
        // SAFETY: kill(2) on our own child.
        unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
        let status = child.wait().ok().and_then(|s| s.code());
        let mut err = String::new();
        let _ = child.stderr.take().map(|mut e| e.read_to_string(&mut err));
        let check = Command::new("qemu-img").arg("check").arg(&img).status();
        if status != Some(0)
            || !err.contains("terminating on signal 15")
            || !check.as_ref().is_ok_and(|s| s.success())
        {
            failures.push(format!(
                "[{b}] SIGTERM: status {status:?} stderr {err:?} check {check:?}"
            ));
        }
        let _ = std::fs::remove_file(&img);
    }
    let _ = std::fs::remove_dir_all(&dir);
    report("QMP over TCP and SIGTERM", 2 * backends.len(), &failures);
}
