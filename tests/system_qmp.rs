//! The block and machine commands of the monitor on `mimic system -M
//! virt -smp 2` with Debian's arm64 kernel, one boot per backend:
//!
//! - blockdev-add / blockdev-del / query-named-block-nodes (QMP and the
//!   human monitor's blockdev_add/blockdev_del): a qcow2 node over an
//!   inline file node, a raw node over a named file node; errors for a
//!   duplicate node name, an unknown driver, a missing file, deleting a
//!   node in use; block_resize by node name; an internal snapshot on a
//!   node that `mimic img
//!   snapshot -l` (and qemu-img's) finds afterwards;
//! - `-drive file=blkdebug:RULES:IMAGE,werror=stop,rerror=report`: a
//!   guest read of the sector a rule fails gets an I/O error
//!   (BLOCK_IO_ERROR action report); a write failing with ENOSPC stops
//!   the VM (BLOCK_IO_ERROR action stop nospace, STOP, query-status
//!   io-error, query-block io-status nospace, no guest progress), and
//!   `cont` retries it: the guest's write succeeds and reads back;
//! - drive_del (human-monitor-command): query-block drops the drive, the
//!   guest's next read of that disk fails with an I/O error, the machine
//!   keeps running;
//! - stop ... cont: the guest's clock does not jump by the stopped time;
//! - dump-guest-memory (QMP, and the human monitor's `-d` detached form):
//!   an ELF core with NT_PRSTATUS and NT_PRFPREG notes per vCPU and a PT_LOAD at the
//!   RAM's physical address holding the kernel's banner where the kernel
//!   was loaded and a string the guest computed; query-dump and
//!   DUMP_COMPLETED; refusals of paging, kdump formats and fd: protocols.
//!
//! Skipped with a message when the kernel or busybox is not in
//! build/cache (scripts/fetch-debian); qemu-img, when installed, checks
//! the node's image too.

mod common;

use common::linux_guest::{backends, debian_guest};
use common::qmp_client::{Console, Qmp};
use common::*;
use serde_json::{json, Value};
use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const MODULES: &[&str] = &[
    "drivers/virtio/virtio_mmio.ko",
    "drivers/block/virtio_blk.ko",
];

const SMP: usize = 2;
/// How long the test stops the VM while the guest sleeps 2 s.
const STOP_SECS: u64 = 10;

const INIT: &str = r#"#!/bin/sh
B=/bin/busybox
$B mount -t proc proc /proc
$B mount -t sysfs sys /sys
$B mount -t devtmpfs dev /dev
for m in virtio_mmio virtio_blk; do $B insmod /lib/$m.ko || echo INSMOD-FAILED $m; done
up() { $B cut -d' ' -f1 /proc/uptime; }
echo vda=$($B cat /sys/block/vda/size) vdb=$($B cat /sys/block/vdb/size)
echo MARK-READ
echo 3 > /proc/sys/vm/drop_caches
$B dd if=/dev/vda of=/dev/null bs=4096 skip=256 count=1 2>/dev/null; echo rerr=$?
$B dd if=/dev/vda of=/dev/null bs=4096 skip=8 count=1 2>/dev/null; echo rok=$?
echo MARK-WRITE
echo STOPPED-WRITE | $B dd of=/dev/vda bs=4096 seek=512 conv=fsync 2>/dev/null; echo werr=$?
echo 3 > /proc/sys/vm/drop_caches
echo back=$($B dd if=/dev/vda bs=4096 skip=512 count=1 2>/dev/null | $B head -c 13)
echo before-del=$($B head -c 4 /dev/vdb)
echo MARK-DEL
n=0
while $B dd if=/dev/vdb of=/dev/null bs=4096 count=1 2>/dev/null && [ $n -lt 60 ]; do
  echo 3 > /proc/sys/vm/drop_caches; $B sleep 1; n=$((n+1))
done
echo del-read-failed n=$n
echo dmesg-ioerr=$($B dmesg | $B grep -c 'I/O error, dev vdb')
S=$(up)
$B sleep 2
echo ctrl=$S,$(up)
S=$(up)
echo MARK-STOPME
$B sleep 2
echo gap=$S,$(up)
X=MIMIC-DUMP-$((12345*3))-MARK
echo MARK-DUMP $X
$B sleep 4
echo END
$B poweroff -f
"#;

/// blkdebug rules: reads of sector 2048 fail with EIO (always), the first
/// write of sector 4096 with ENOSPC.
const RULES: &str = "# Mimic test rules\n\
[inject-error]\nevent = \"read_aio\"\nerrno = \"5\"\nsector = \"2048\"\n\n\
[inject-error]\nevent = \"write_aio\"\nerrno = \"28\"\nsector = \"4096\"\nonce = \"on\"\n";

fn error_desc(v: &Value) -> String {
    if v["error"]["class"] != "GenericError" {
        return String::new();
    }
    v["error"]["desc"].as_str().unwrap_or("").to_string()
}

fn hmp(q: &mut Qmp, line: &str) -> Result<String, String> {
    let r =
        q.cmd(json!({"execute": "human-monitor-command", "arguments": {"command-line": line}}))?;
    r["return"]
        .as_str()
        .map(str::to_string)
        .ok_or_else(|| format!("{line}: {r}"))
}

fn want_error(
    q: &mut Qmp,
    what: &str,
    cmd: Value,
    text: &str,
    errs: &mut Vec<String>,
) -> Result<(), String> {
    let r = q.cmd(cmd)?;
    if !error_desc(&r).contains(text) {
        errs.push(format!(
            "{what}: got {r}, want a GenericError with {text:?}"
        ));
    }
    Ok(())
}

fn node_names(q: &mut Qmp) -> Result<Vec<String>, String> {
    let r = q.cmd(json!({"execute": "query-named-block-nodes"}))?;
    Ok(r["return"]
        .as_array()
        .ok_or_else(|| format!("query-named-block-nodes: {r}"))?
        .iter()
        .filter_map(|n| n["node-name"].as_str().map(str::to_string))
        .collect())
}

/// blockdev-add and friends (no guest involvement).
fn blockdev(q: &mut Qmp, dir: &Path, errs: &mut Vec<String>) -> Result<(), String> {
    let qcow = dir.join("node.qcow2").display().to_string();
    let raw = dir.join("node.raw").display().to_string();
    let r = q.cmd(json!({"execute": "blockdev-add", "arguments": {
        "driver": "qcow2", "node-name": "n1",
        "file": {"driver": "file", "filename": qcow}}}))?;
    if r != json!({"return": {}}) {
        errs.push(format!("blockdev-add qcow2: {r}"));
    }
    want_error(
        q,
        "duplicate node",
        json!({"execute": "blockdev-add", "arguments": {
        "driver": "raw", "node-name": "n1", "file": {"driver": "file", "filename": raw}}}),
        "Duplicate nodes with node-name='n1'",
        errs,
    )?;
    want_error(
        q,
        "unknown driver",
        json!({"execute": "blockdev-add", "arguments": {
        "driver": "floppy9", "node-name": "x"}}),
        "'driver' does not accept value 'floppy9'",
        errs,
    )?;
    want_error(
        q,
        "missing file",
        json!({"execute": "blockdev-add", "arguments": {
        "driver": "raw", "node-name": "x",
        "file": {"driver": "file", "filename": dir.join("nope.raw")}}}),
        "No such file or directory",
        errs,
    )?;
    want_error(
        q,
        "name of a drive",
        json!({"execute": "blockdev-add", "arguments": {
        "driver": "raw", "node-name": "virtio1", "file": {"driver": "file", "filename": raw}}}),
        "conflicting with a device id",
        errs,
    )?;
    let nodes = q.cmd(json!({"execute": "query-named-block-nodes"}))?;
    let n1 = nodes["return"]
        .as_array()
        .and_then(|a| a.iter().find(|n| n["node-name"] == "n1").cloned())
        .unwrap_or_default();
    if n1["drv"] != "qcow2" || n1["image"]["virtual-size"] != json!(16 << 20) || n1["ro"] != false {
        errs.push(format!("query-named-block-nodes n1: {n1}"));
    }
    let r = q.cmd(json!({"execute": "blockdev-snapshot-internal-sync",
        "arguments": {"device": "n1", "name": "node-snap"}}))?;
    if r != json!({"return": {}}) {
        errs.push(format!("snapshot on a node: {r}"));
    }
    let r = q.cmd(json!({"execute": "block_resize",
        "arguments": {"node-name": "n1", "size": 32 << 20}}))?;
    let nodes = q.cmd(json!({"execute": "query-named-block-nodes"}))?;
    let size = nodes["return"]
        .as_array()
        .and_then(|a| a.iter().find(|n| n["node-name"] == "n1"))
        .map(|n| n["image"]["virtual-size"].clone());
    if r != json!({"return": {}}) || size != Some(json!(32 << 20)) {
        errs.push(format!("block_resize of node n1: {r}, size now {size:?}"));
    }
    // The human monitor's keyval form; a format node on a named file node.
    let out = hmp(
        q,
        &format!("blockdev_add driver=file,node-name=f2,filename={raw}"),
    )?;
    if !out.is_empty() {
        errs.push(format!("blockdev_add: {out:?}"));
    }
    let r = q.cmd(json!({"execute": "blockdev-add", "arguments": {
        "driver": "raw", "node-name": "r2", "file": "f2", "read-only": true}}))?;
    if r != json!({"return": {}}) {
        errs.push(format!("blockdev-add raw over f2: {r}"));
    }
    want_error(
        q,
        "delete a file node in use",
        json!({"execute": "blockdev-del",
        "arguments": {"node-name": "f2"}}),
        "is in use",
        errs,
    )?;
    want_error(
        q,
        "delete a drive's node",
        json!({"execute": "blockdev-del",
        "arguments": {"node-name": "virtio0"}}),
        "is in use",
        errs,
    )?;
    want_error(
        q,
        "delete an unknown node",
        json!({"execute": "blockdev-del",
        "arguments": {"node-name": "zz"}}),
        "Failed to find node with node-name='zz'",
        errs,
    )?;
    let names = node_names(q)?;
    for n in ["virtio0", "virtio1", "n1", "f2", "r2"] {
        if !names.iter().any(|x| x == n) {
            errs.push(format!("query-named-block-nodes lacks {n}: {names:?}"));
        }
    }
    let info = hmp(q, "info block -n")?;
    if !info.contains("r2:") || !info.contains("read-only") {
        errs.push(format!("info block -n: {info:?}"));
    }
    for cmd in [
        json!({"execute": "blockdev-del", "arguments": {"node-name": "r2"}}),
        json!({"execute": "blockdev-del", "arguments": {"node-name": "n1"}}),
    ] {
        let r = q.cmd(cmd.clone())?;
        if r != json!({"return": {}}) {
            errs.push(format!("{cmd}: {r}"));
        }
    }
    let out = hmp(q, "blockdev_del f2")?;
    if !out.is_empty() {
        errs.push(format!("blockdev_del f2: {out:?}"));
    }
    let names = node_names(q)?;
    if names != ["virtio0", "virtio1"] {
        errs.push(format!("nodes after blockdev-del: {names:?}"));
    }
    Ok(())
}

fn wait(con: &Console, mark: &str, secs: u64) -> Result<(), String> {
    if con.wait_for(mark, Duration::from_secs(secs)) {
        Ok(())
    } else {
        Err(format!("the guest never printed {mark:?}"))
    }
}

/// Waits for the BLOCK_IO_ERROR `want`; earlier repeats of a reported
/// read error (the kernel retries a failed read page by page) are
/// skipped.
fn io_event(q: &mut Qmp, what: &str, want: Value, errs: &mut Vec<String>) -> Result<(), String> {
    loop {
        let e = q.event("BLOCK_IO_ERROR", Duration::from_secs(120))?;
        if e["data"] == want {
            return Ok(());
        }
        if e["data"]["operation"] == "read"
            && e["data"]["action"] == "report"
            && want["operation"] != "read"
        {
            continue;
        }
        if e["data"]["operation"] == "read"
            && e["data"] != want
            && want["device"] == ""
            && e["data"]["device"] == "virtio0"
        {
            continue;
        }
        errs.push(format!(
            "{what} BLOCK_IO_ERROR: got {}, want {want}",
            e["data"]
        ));
        return Ok(());
    }
}

/// The guest-driven part: I/O errors, drive_del, the clock, the dump.
fn guest(q: &mut Qmp, con: &Console, dir: &Path, errs: &mut Vec<String>) -> Result<(), String> {
    wait(con, "MARK-READ", 600)?;
    io_event(
        q,
        "read",
        json!({"device": "virtio0", "node-name": "virtio0",
        "operation": "read", "action": "report", "nospace": false,
        "reason": "Input/output error"}),
        errs,
    )?;
    wait(con, "MARK-WRITE", 120)?;
    io_event(
        q,
        "write",
        json!({"device": "virtio0", "node-name": "virtio0",
        "operation": "write", "action": "stop", "nospace": true,
        "reason": "No space left on device"}),
        errs,
    )?;
    q.event("STOP", Duration::from_secs(10))?;
    let r = q.cmd(json!({"execute": "query-status"}))?;
    if r["return"]["status"] != "io-error" || r["return"]["running"] != false {
        errs.push(format!("query-status after the stop: {r}"));
    }
    let r = q.cmd(json!({"execute": "query-block"}))?;
    if r["return"][0]["io-status"] != "nospace" {
        errs.push(format!("query-block io-status: {}", r["return"][0]));
    }
    std::thread::sleep(Duration::from_millis(1500));
    if con.text().contains("werr=") {
        errs.push("the guest's write completed while the VM was stopped".into());
    }
    let r = q.cmd(json!({"execute": "cont"}))?;
    if r != json!({"return": {}}) {
        errs.push(format!("cont: {r}"));
    }
    q.event("RESUME", Duration::from_secs(10))?;
    wait(con, "MARK-DEL", 120)?;
    let out = hmp(q, "drive_del virtio1")?;
    if !out.is_empty() {
        errs.push(format!("drive_del: {out:?}"));
    }
    let r = q.cmd(json!({"execute": "query-block"}))?;
    let devs: Vec<&str> = r["return"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|b| b["device"].as_str())
        .collect();
    if devs != ["virtio0"] {
        errs.push(format!("query-block after drive_del: {devs:?}"));
    }
    let out = hmp(q, "drive_del virtio1")?;
    if !out.contains("Device 'virtio1' not found") {
        errs.push(format!("second drive_del: {out:?}"));
    }
    io_event(
        q,
        "after drive_del",
        json!({"device": "", "node-name": "",
        "operation": "read", "action": "report", "nospace": false,
        "reason": "No medium found"}),
        errs,
    )?;

    wait(con, "MARK-STOPME", 120)?;
    let r = q.cmd(json!({"execute": "stop"}))?;
    if r != json!({"return": {}}) {
        errs.push(format!("stop: {r}"));
    }
    std::thread::sleep(Duration::from_secs(STOP_SECS));
    q.cmd(json!({"execute": "cont"}))?;

    wait(con, "MARK-DUMP", 120)?;
    let core = dir.join("core");
    let t = Instant::now();
    let r = q.cmd(json!({"execute": "dump-guest-memory",
        "arguments": {"paging": false, "protocol": format!("file:{}", core.display())}}))?;
    if r != json!({"return": {}}) {
        errs.push(format!("dump-guest-memory: {r}"));
    }
    eprintln!(
        "qmp: dump-guest-memory of 256 MiB (2 vCPUs) took {:.2} s",
        t.elapsed().as_secs_f64()
    );
    let e = q.event("DUMP_COMPLETED", Duration::from_secs(60))?;
    let total = 256u64 << 20;
    if e["data"]["result"] != json!({"status": "completed", "completed": total, "total": total}) {
        errs.push(format!("DUMP_COMPLETED: {e}"));
    }
    let r = q.cmd(json!({"execute": "query-dump"}))?;
    if r["return"]["status"] != "completed" {
        errs.push(format!("query-dump: {r}"));
    }
    want_error(
        q,
        "paging",
        json!({"execute": "dump-guest-memory",
        "arguments": {"paging": true, "protocol": "file:/dev/null"}}),
        "paging",
        errs,
    )?;
    want_error(
        q,
        "kdump",
        json!({"execute": "dump-guest-memory",
        "arguments": {"paging": false, "protocol": "file:/dev/null", "format": "kdump-zlib"}}),
        "not implemented",
        errs,
    )?;
    want_error(
        q,
        "fd protocol",
        json!({"execute": "dump-guest-memory",
        "arguments": {"paging": false, "protocol": "fd:x"}}),
        "getfd",
        errs,
    )?;
    // The human monitor's detached dump of the first 64 MiB.
    let core2 = dir.join("core2");
    let out = hmp(
        q,
        &format!(
            "dump-guest-memory -d {} 0x40000000 0x4000000",
            core2.display()
        ),
    )?;
    if !out.is_empty() {
        errs.push(format!("hmp dump-guest-memory: {out:?}"));
    }
    let e = q.event("DUMP_COMPLETED", Duration::from_secs(60))?;
    if e["data"]["result"]["status"] != "completed"
        || e["data"]["result"]["total"] != json!(64 << 20)
    {
        errs.push(format!("detached DUMP_COMPLETED: {e}"));
    }
    let info = hmp(q, "info dump")?;
    if !info.contains("Status: completed") {
        errs.push(format!("info dump: {info:?}"));
    }
    if std::fs::metadata(&core2).map(|m| m.len()).unwrap_or(0) < 64 << 20 {
        errs.push("the detached dump is short".into());
    }
    wait(con, "END", 120)?;
    q.event("SHUTDOWN", Duration::from_secs(60))?;
    Ok(())
}

fn u16le(b: &[u8], o: usize) -> u64 {
    u16::from_le_bytes([b[o], b[o + 1]]) as u64
}
fn u32le(b: &[u8], o: usize) -> u64 {
    u32::from_le_bytes(b[o..o + 4].try_into().unwrap()) as u64
}
fn u64le(b: &[u8], o: usize) -> u64 {
    u64::from_le_bytes(b[o..o + 8].try_into().unwrap())
}

/// The "CORE" notes (type, descriptor) in the PT_NOTE ranges `notes`.
fn parse_notes(d: &[u8], notes: &[(usize, usize)]) -> Vec<(u32, Vec<u8>)> {
    let mut out = Vec::new();
    for &(off, len) in notes {
        let mut p = off;
        while p + 12 <= off + len {
            let (namesz, descsz, kind) = (
                u32le(d, p) as usize,
                u32le(d, p + 4) as usize,
                u32le(d, p + 8) as u32,
            );
            let name = &d[p + 12..p + 12 + namesz];
            let desc = p + 12 + namesz.div_ceil(4) * 4;
            if name == b"CORE\0" {
                out.push((kind, d[desc..desc + descsz].to_vec()));
            }
            p = desc + descsz.div_ceil(4) * 4;
        }
    }
    out
}

/// The PT_NOTE ranges (offset, size) of an ELF64 core.
fn note_ranges(d: &[u8]) -> Vec<(usize, usize)> {
    let (phoff, phnum) = (u64le(d, 32) as usize, u16le(d, 56) as usize);
    (0..phnum)
        .map(|i| phoff + 56 * i)
        .filter(|&p| u32le(d, p) == 4)
        .map(|p| (u64le(d, p + 8) as usize, u64le(d, p + 32) as usize))
        .collect()
}

/// dump-guest-memory of the bare-metal `freeze` program while it holds
/// a pattern in V7 and FPCR: the NT_PRFPREG note has them.
#[test]
fn dump_holds_the_guests_simd_registers() {
    let prog = repo_root().join("build/guest/system/freeze");
    assert!(prog.exists(), "run scripts/build-guests first");
    let failures: Vec<String> = parallel_map(&backends(), 2, |backend| {
        let dir = temp_dir(&format!("qmp-fpdump-{backend}"));
        let sock = dir.join("qmp.sock");
        let core = dir.join("core");
        let mut child = Command::new(mimic_bin())
            .args(["system", "-M", "virt", "-nographic", "-backend", backend])
            .arg("-kernel")
            .arg(&prog)
            .arg("-qmp")
            .arg(format!("unix:{},server,nowait", sock.display()))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start mimic");
        let con = Console::start(&mut child);
        let talk = || -> Result<Vec<(u32, Vec<u8>)>, String> {
            let mut q = Qmp::connect(&sock, Duration::from_secs(30))?;
            q.read()?;
            q.cmd(json!({"execute": "qmp_capabilities"}))?;
            if !con.wait_for("simd set", Duration::from_secs(30)) {
                return Err("the guest did not set its registers".into());
            }
            let r = q.cmd(json!({"execute": "dump-guest-memory",
                "arguments": {"paging": false, "protocol": format!("file:{}", core.display())}}))?;
            if r != json!({"return": {}}) {
                return Err(format!("dump-guest-memory: {r}"));
            }
            let d = std::fs::read(&core).map_err(|e| e.to_string())?;
            Ok(parse_notes(&d, &note_ranges(&d)))
        };
        let res = talk();
        let end = Instant::now() + Duration::from_secs(30);
        while child.try_wait().ok().flatten().is_none() && Instant::now() < end {
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = child.kill();
        let _ = child.wait();
        let err = match res {
            Err(e) => Some(e),
            Ok(notes) => {
                let fp: Vec<&Vec<u8>> = notes
                    .iter()
                    .filter(|(k, _)| *k == 2)
                    .map(|(_, n)| n)
                    .collect();
                match fp.as_slice() {
                    [n] if n.len() == 528 => {
                        let v7 = u128::from_le_bytes(n[16 * 7..16 * 8].try_into().unwrap());
                        let fpcr = u32le(n, 516);
                        (v7 != 0xfedc_ba98_7654_3210_0123_4567_89ab_cdef || fpcr != 0x02c0_0000)
                            .then(|| format!("NT_PRFPREG has V7 {v7:#x}, FPCR {fpcr:#x}"))
                    }
                    _ => Some(format!(
                        "want one 528-byte NT_PRFPREG note, got {} notes",
                        fp.len()
                    )),
                }
            }
        };
        let text = con.text();
        let err = err.or_else(|| {
            (!text.contains("ALL OK")).then(|| "the guest did not finish with ALL OK".to_string())
        });
        if err.is_none() {
            let _ = std::fs::remove_dir_all(&dir);
        }
        err.map(|e| format!("[{backend}] {e}\n--- console ---\n{text}"))
    })
    .into_iter()
    .flatten()
    .collect();
    report(
        "NT_PRFPREG in dump-guest-memory",
        backends().len(),
        &failures,
    );
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Checks the ELF core: notes, the RAM segment, the banner where the
/// kernel was loaded, the guest's string.
fn check_core(core: &Path, kernel: &Path, errs: &mut Vec<String>) -> Result<(), String> {
    let d = std::fs::read(core).map_err(|e| format!("{}: {e}", core.display()))?;
    if d.len() < 64
        || &d[..4] != b"\x7fELF"
        || d[4] != 2
        || u16le(&d, 16) != 4
        || u16le(&d, 18) != 183
    {
        return Err("the dump is not an ELF64 aarch64 core".into());
    }
    let (phoff, phnum) = (u64le(&d, 32) as usize, u16le(&d, 56) as usize);
    let mut notes = Vec::new();
    let mut loads = Vec::new();
    for i in 0..phnum {
        let p = phoff + 56 * i;
        let (kind, off, paddr, filesz) = (
            u32le(&d, p),
            u64le(&d, p + 8),
            u64le(&d, p + 24),
            u64le(&d, p + 32),
        );
        match kind {
            4 => notes.push((off as usize, filesz as usize)),
            1 => loads.push((off as usize, paddr, filesz as usize)),
            _ => {}
        }
    }
    let all = parse_notes(&d, &notes);
    let prstatus: Vec<Vec<u8>> = all
        .iter()
        .filter(|(k, n)| *k == 1 && n.len() == 392)
        .map(|(_, n)| n.clone())
        .collect();
    if prstatus.len() != SMP {
        errs.push(format!("{} NT_PRSTATUS notes, want {SMP}", prstatus.len()));
    }
    // Each vCPU's NT_PRSTATUS is followed by its NT_PRFPREG
    // (user_fpsimd_state, 528 bytes); Linux leaves FPCR's reserved bits 0.
    let kinds: Vec<(u32, usize)> = all.iter().map(|(k, n)| (*k, n.len())).collect();
    if kinds != [(1, 392), (2, 528)].repeat(SMP) {
        errs.push(format!(
            "notes (type, size) {kinds:?}, want PRSTATUS+PRFPREG per vCPU"
        ));
    }
    // pr_reg at 112: x0-x30, sp, pc, pstate.
    let pcs: Vec<u64> = prstatus.iter().map(|n| u64le(n, 112 + 32 * 8)).collect();
    let els: Vec<u64> = prstatus
        .iter()
        .map(|n| (u64le(n, 112 + 33 * 8) >> 2) & 3)
        .collect();
    if !pcs.iter().any(|&pc| pc >= 0xffff_0000_0000_0000) || els.iter().any(|&e| e > 1) {
        errs.push(format!("vCPU registers: pcs {pcs:x?}, ELs {els:?}"));
    }
    let Some(&(ram_off, ram_base, ram_len)) = loads.first() else {
        return Err("no PT_LOAD".into());
    };
    if loads.len() != 1 || ram_base != 0x4000_0000 || ram_len != 256 << 20 {
        errs.push(format!(
            "PT_LOADs {loads:x?}, want one of 256 MiB at 0x40000000"
        ));
    }
    let ram = &d[ram_off..ram_off + ram_len.min(d.len() - ram_off)];
    // The banner, at the physical address the kernel's Image put it.
    let img = std::fs::read(kernel).map_err(|e| e.to_string())?;
    let text_offset = u64le(&img, 8);
    let at = find(&img, b"Linux version ").ok_or("no banner in the kernel image")?;
    let phys = (ram_base + 0x1f_ffff) & !0x1f_ffff;
    let want = &img[at..at + 64];
    let o = (phys + text_offset - ram_base) as usize + at;
    if ram.get(o..o + 64) != Some(want) {
        errs.push(format!(
            "the banner is not at {:#x} in the dump",
            phys + text_offset + at as u64
        ));
    }
    if find(ram, b"MIMIC-DUMP-37035-MARK").is_none() {
        errs.push("the guest's string is not in the dump".into());
    }
    Ok(())
}

/// Runs `mimic img ARGS`, or `qemu-img ARGS` when `qemu` (None if it
/// is not installed).
fn img(qemu: bool, args: &[&str]) -> Option<Result<String, String>> {
    let mut c = if qemu {
        Command::new("qemu-img")
    } else {
        let mut c = Command::new(mimic_bin());
        c.arg("img");
        c
    };
    let o = match c.args(args).output() {
        Ok(o) => o,
        Err(_) if qemu => return None,
        Err(e) => return Some(Err(e.to_string())),
    };
    Some(if o.status.success() {
        Ok(String::from_utf8_lossy(&o.stdout).into_owned())
    } else {
        Err(format!(
            "{} img {args:?}: {}",
            if qemu { "qemu" } else { "mimic" },
            String::from_utf8_lossy(&o.stderr)
        ))
    })
}

fn one_boot(root: &Path, kernel: &Path, initrd: &Path, backend: &str) -> Option<String> {
    let dir = temp_dir(&format!("qmp-{backend}"));
    let p = |f: &str| dir.join(f).display().to_string();
    std::fs::write(dir.join("err.raw"), vec![0u8; 8 << 20]).ok()?;
    std::fs::write(dir.join("del.raw"), vec![b'D'; 1 << 20]).ok()?;
    std::fs::write(dir.join("node.raw"), vec![0u8; 1 << 20]).ok()?;
    std::fs::write(dir.join("rules.cfg"), RULES).ok()?;
    if let Some(Err(e)) = img(
        false,
        &["create", "-q", "-f", "qcow2", &p("node.qcow2"), "16M"],
    ) {
        return Some(format!("[{backend}] {e}"));
    }
    let sock = dir.join("qmp.sock");
    let mut child = Command::new(mimic_bin())
        .args([
            "system",
            "-M",
            "virt",
            "-cpu",
            "cortex-a57",
            "-m",
            "256",
            "-nographic",
        ])
        .args(["-smp", &SMP.to_string(), "-backend", backend, "-kernel"])
        .arg(kernel)
        .arg("-initrd")
        .arg(initrd)
        .args(["-append", "console=ttyAMA0 panic=-1"])
        .arg("-drive")
        .arg(format!(
            "file=blkdebug:{}:{},format=raw,if=virtio,werror=stop,rerror=report",
            p("rules.cfg"),
            p("err.raw")
        ))
        .arg("-drive")
        .arg(format!("file={},format=raw,if=virtio", p("del.raw")))
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
    let talk = Qmp::connect(&sock, Duration::from_secs(30)).and_then(|mut q| {
        q.read()?;
        q.cmd(json!({"execute": "qmp_capabilities"}))?;
        blockdev(&mut q, &dir, &mut errs)?;
        guest(&mut q, &con, &dir, &mut errs)
    });
    if let Err(e) = talk {
        errs.push(format!("monitor: {e}"));
    }
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
    for want in [
        "vda=16384 vdb=2048",
        "rerr=1",
        "rok=0",
        "werr=0",
        "back=STOPPED-WRITE",
        "before-del=DDDD",
        "MARK-DUMP MIMIC-DUMP-37035-MARK",
        "END",
    ] {
        if !text.contains(want) {
            errs.push(format!("guest output lacks {want:?}"));
        }
    }
    if text.contains("INSMOD-FAILED") {
        errs.push("a module did not load".into());
    }
    match text
        .lines()
        .find_map(|l| l.trim().strip_prefix("del-read-failed n="))
    {
        Some(n) if n.parse::<u32>().is_ok_and(|n| n < 60) => {}
        n => errs.push(format!(
            "the guest's reads after drive_del did not fail (n={n:?})"
        )),
    }
    match text
        .lines()
        .find_map(|l| l.trim().strip_prefix("dmesg-ioerr="))
    {
        Some(n) if n.parse::<u32>().is_ok_and(|n| n > 0) => {}
        n => errs.push(format!(
            "no 'I/O error, dev vdb' in the guest's dmesg ({n:?})"
        )),
    }
    // The guest slept 2 s around a 10 s stop: its clock must not count the
    // stop. The same sleep without a stop (`ctrl=`) is the yardstick for
    // the guest's own overhead (a slow backend under load takes a while
    // to start `sleep` and `cut`).
    let span = |name: &str| -> Option<f64> {
        let l = text.lines().find_map(|l| l.trim().strip_prefix(name))?;
        let t: Vec<f64> = l.split(',').filter_map(|x| x.parse().ok()).collect();
        match t[..] {
            [s, e] => Some(e - s),
            _ => None,
        }
    };
    match (span("ctrl="), span("gap=")) {
        (Some(c), Some(g)) if g >= 1.9 && g < c + 4.0 => eprintln!(
            "qmp [{backend}]: a 2 s guest sleep took {c:.2} s of guest time, {g:.2} s around a {STOP_SECS} s stop"
        ),
        (c, g) => errs.push(format!(
            "guest time of a 2 s sleep: {c:?} without, {g:?} around a {STOP_SECS} s stop (the stop must not count)"
        )),
    }
    if let Err(e) = check_core(&dir.join("core"), kernel, &mut errs) {
        errs.push(e);
    }
    // The node's snapshot, as mimic img and (if installed) qemu-img see it.
    for qemu in [false, true] {
        match img(qemu, &["snapshot", "-l", &p("node.qcow2")]) {
            None => {}
            Some(Ok(l)) if l.contains("node-snap") => {}
            r => errs.push(format!("img snapshot -l node.qcow2: {r:?}")),
        }
        if let Some(Err(e)) = img(qemu, &["check", "-q", &p("node.qcow2")]) {
            errs.push(e);
        }
    }
    // cont retried the held-back write: it is in the image.
    let img = std::fs::read(dir.join("err.raw")).unwrap_or_default();
    if img.get(2 << 20..(2 << 20) + 13) != Some(b"STOPPED-WRITE".as_slice()) {
        errs.push("the retried write is not in the image".into());
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
fn block_nodes_io_errors_drive_del_clock_and_dump() {
    let root = repo_root();
    let Some(guest) = debian_guest(true) else {
        return;
    };
    let kernel = guest.kernel.clone();
    let dir = temp_dir("qmp-initrd");
    let initrd = guest.initrd(&dir, INIT, MODULES, Vec::new());
    let backends = backends();
    let failures: Vec<String> =
        parallel_map(&backends, 2, |b| one_boot(&root, &kernel, &initrd, b))
            .into_iter()
            .flatten()
            .collect();
    report(
        "QMP block nodes, I/O errors, drive_del, clock, dump",
        backends.len(),
        &failures,
    );
}
