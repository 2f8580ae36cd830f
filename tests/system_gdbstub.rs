//! `mimic system -gdb tcp::PORT` (and `-S`): GDB debugs the guest machine,
//! vCPUs as threads, on both backends.
//!
//! - gdb-multiarch in batch mode on the bare-metal programs of
//!   tests/guest/aarch64-system (scripts/build-guests): with `-S` and two
//!   cpus, a hardware breakpoint, memory read at a register's address, a
//!   breakpoint hit by the second cpu (thread 2), stepi, register and
//!   memory writes, the thread list, and continuing to the guest's power
//!   off; with the MMU on, reads and writes of a virtual address that only
//!   the page tables map (the physical page shows the write).
//! - Debian's kernel booting with `-smp 2` and no `-S`: a client speaking
//!   the remote protocol attaches to the running machine (it stops), sees
//!   two threads with kernel virtual pcs, reads code at the pc, continues,
//!   interrupts with Ctrl-C (0x03), detaches, and the kernel boots on to
//!   its shell and powers off.

mod common;

use common::linux_guest::debian_guest;
use common::qmp_client::Console;
use common::*;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn have(tool: &str) -> bool {
    Command::new(tool)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    l.local_addr().expect("addr").port()
}

fn backends() -> Vec<String> {
    std::env::var("MIMIC_TEST_BACKENDS")
        .unwrap_or_else(|_| "interp,jit".into())
        .split(',')
        .map(str::to_string)
        .collect()
}

/// Runs `prog` under `mimic system -S -gdb` with `machine_args` and a
/// gdb-multiarch batch session of `cmds`; returns (gdb output, guest
/// console, mimic's exit status).
fn session(
    backend: &str,
    prog: &Path,
    machine_args: &[&str],
    cmds: &[&str],
) -> (String, String, Option<i32>) {
    let port = free_port();
    let mut mimic = Command::new(mimic_bin())
        .args(["system", "-nographic", "-backend", backend, "-S"])
        .args(["-gdb", &format!("tcp::{port}")])
        .args(machine_args)
        .arg("-kernel")
        .arg(prog)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start mimic");
    let mut gdb = Command::new("gdb-multiarch");
    gdb.args(["-nx", "-batch", "-ex", "set pagination off"])
        .args(["-ex", "set confirm off"])
        .args(["-ex", &format!("target remote 127.0.0.1:{port}")]);
    for c in cmds {
        gdb.args(["-ex", c]);
    }
    let out = gdb.arg(prog).output().expect("run gdb-multiarch");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        match mimic.try_wait().expect("wait mimic") {
            Some(s) => break s.code(),
            None if Instant::now() > deadline => {
                let _ = mimic.kill();
                let _ = mimic.wait();
                break None;
            }
            None => std::thread::sleep(Duration::from_millis(50)),
        }
    };
    let o = mimic.wait_with_output().expect("mimic output");
    let console = format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    (text, console, status)
}

fn missing_in(text: &str, wants: &[&str]) -> Vec<String> {
    wants
        .iter()
        .filter(|w| !text.contains(*w))
        .map(|w| w.to_string())
        .collect()
}

#[test]
fn gdb_multiarch_debugs_baremetal_programs() {
    if !have("gdb-multiarch") {
        eprintln!("SKIPPED: gdb-multiarch is missing (scripts/test installs it)");
        return;
    }
    let built = repo_root().join("build/guest/system");
    let gic = built.join("gicv3");
    let exc = built.join("exceptions");
    assert!(
        gic.exists() && exc.exists(),
        "run scripts/build-guests first"
    );
    let cases: Vec<(String, bool)> = backends()
        .into_iter()
        .flat_map(|b| [(b.clone(), true), (b, false)])
        .collect();
    let failures: Vec<String> = parallel_map(&cases, 2, |(backend, smp)| {
        let (gdb, console, status, wants): (String, String, Option<i32>, Vec<&str>) = if *smp {
            let (g, c, s) = session(
                backend,
                &gic,
                &["-M", "virt,gic-version=3", "-smp", "2"],
                &[
                    "info threads",
                    "hbreak print",
                    "continue",
                    "x/s $x0",
                    "delete",
                    "break cpu1_entry",
                    "continue",
                    "info threads",
                    "stepi",
                    "x/i $pc",
                    "set var $x5 = 0x1234",
                    "p/x $x5",
                    "set {long}0x40100000 = 0x55aa66bb",
                    "x/gx 0x40100000",
                    "delete",
                    "continue",
                ],
            );
            let wants = vec![
                "Thread 1.2",
                "Hardware assisted breakpoint 1",
                "in print ()",
                "\"gicv3 id ok\\n\"",
                "Thread 2 hit Breakpoint 2",
                "<cpu1_entry+4>",
                "$1 = 0x1234",
                "0x0000000055aa66bb",
                "exited normally",
            ];
            (g, c, s, wants)
        } else {
            let (g, c, s) = session(
                backend,
                &exc,
                &["-M", "virt"],
                &[
                    "break el0_back",
                    "continue",
                    "p/x $cpsr & 0xc",
                    "x/2xw 0x80000000",
                    "set {long}0x80000010 = 0xfeedf00d",
                    "x/gx (char *)&data_page + 0x10",
                    "x/gx 0x80000010",
                    "delete",
                    "continue",
                ],
            );
            let wants = vec![
                "Breakpoint 1, 0x",
                "$1 = 0x4",
                "0x80000000:\t0x",
                "0x00000000feedf00d",
                "0x80000010:\t0x00000000feedf00d",
                "exited normally",
            ];
            (g, c, s, wants)
        };
        let mut miss = missing_in(&gdb, &wants);
        if !console.contains("ALL OK") {
            miss.push("guest ALL OK".into());
        }
        if miss.is_empty() && status == Some(0) {
            None
        } else {
            Some(format!(
                "[{backend} smp={smp}] missing {miss:?}, status {status:?}\n--- gdb ---\n{gdb}\n--- console ---\n{}",
                truncate(&console, 2000)
            ))
        }
    })
    .into_iter()
    .flatten()
    .collect();
    report("gdb on bare-metal programs", cases.len(), &failures);
}

/// A GDB remote protocol client, just enough for the kernel test.
struct Rsp(TcpStream);

impl Rsp {
    fn connect(port: u16) -> Result<Rsp, String> {
        let end = Instant::now() + Duration::from_secs(30);
        loop {
            match TcpStream::connect(("127.0.0.1", port)) {
                Ok(s) => {
                    s.set_read_timeout(Some(Duration::from_secs(60))).ok();
                    return Ok(Rsp(s));
                }
                Err(e) if Instant::now() > end => return Err(format!("connect: {e}")),
                Err(_) => std::thread::sleep(Duration::from_millis(50)),
            }
        }
    }

    fn send(&mut self, body: &str) -> Result<(), String> {
        let sum = body.bytes().fold(0u8, |a, b| a.wrapping_add(b));
        self.0
            .write_all(format!("${body}#{sum:02x}").as_bytes())
            .map_err(|e| e.to_string())
    }

    /// The next packet's body (acks skipped, each packet acked, run-length
    /// encoding expanded: `X*N` is X and N - 29 more of it).
    fn recv(&mut self) -> Result<String, String> {
        let mut byte = [0u8; 1];
        let mut body = Vec::new();
        loop {
            self.0.read_exact(&mut byte).map_err(|e| e.to_string())?;
            if byte[0] == b'$' {
                break;
            }
        }
        loop {
            self.0.read_exact(&mut byte).map_err(|e| e.to_string())?;
            if byte[0] == b'#' {
                break;
            }
            body.push(byte[0]);
        }
        let mut sum = [0u8; 2];
        self.0.read_exact(&mut sum).map_err(|e| e.to_string())?;
        self.0.write_all(b"+").map_err(|e| e.to_string())?;
        let mut out = Vec::new();
        let mut i = 0;
        while i < body.len() {
            if body[i] == b'*' && i + 1 < body.len() {
                let last = out.last().copied().unwrap_or(b'0');
                let n = body[i + 1].saturating_sub(29) as usize;
                out.extend(std::iter::repeat_n(last, n));
                i += 2;
            } else {
                out.push(body[i]);
                i += 1;
            }
        }
        Ok(String::from_utf8_lossy(&out).into_owned())
    }

    fn ask(&mut self, body: &str) -> Result<String, String> {
        self.send(body)?;
        self.recv()
    }
}

/// The pc in a `g` reply (x0-x30 and sp before it, little-endian hex).
fn pc_of(g: &str) -> Option<u64> {
    let hex = g.get(2 * 8 * 32..2 * 8 * 33)?;
    let bytes: Vec<u8> = (0..8)
        .map(|i| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16))
        .collect::<Result<_, _>>()
        .ok()?;
    Some(u64::from_le_bytes(bytes.try_into().ok()?))
}

fn kernel_session(port: u16, log: &mut Vec<String>) -> Result<(), String> {
    let mut c = Rsp::connect(port)?;
    let stop = c.ask("?")?;
    log.push(format!("? -> {stop}"));
    if !stop.starts_with('T') && !stop.starts_with('S') {
        return Err(format!("attach: no stop reply: {stop}"));
    }
    let first = c.ask("qfThreadInfo")?;
    let rest = c.ask("qsThreadInfo")?;
    log.push(format!("threads {first} {rest}"));
    if first.trim_start_matches('m').split(',').count() != 2 || rest != "l" {
        return Err(format!("thread list {first} {rest}"));
    }
    for t in ["1", "2"] {
        let ok = c.ask(&format!("Hg{t}"))?;
        let g = c.ask("g")?;
        let pc = pc_of(&g).ok_or_else(|| format!("g reply {g}"))?;
        log.push(format!("thread {t}: Hg {ok}, pc {pc:#x}"));
        if pc >> 48 != 0xffff {
            return Err(format!("thread {t} pc {pc:#x} is not a kernel address"));
        }
        let code = c.ask(&format!("m{pc:x},4"))?;
        log.push(format!("code at pc: {code}"));
        if code.len() != 8 || code.starts_with('E') {
            return Err(format!("reading the pc's virtual address: {code}"));
        }
    }
    c.send("c")?;
    std::thread::sleep(Duration::from_millis(500));
    c.0.write_all(&[3]).map_err(|e| e.to_string())?;
    let stop = c.recv()?;
    log.push(format!("after ^C: {stop}"));
    if !stop.starts_with("T02") && !stop.starts_with("S02") {
        return Err(format!("Ctrl-C: stop reply {stop}"));
    }
    let d = c.ask("D")?;
    if d != "OK" {
        return Err(format!("detach: {d}"));
    }
    Ok(())
}

#[test]
fn remote_protocol_attaches_to_a_booting_kernel() {
    let Some(guest) = debian_guest(false) else {
        return;
    };
    let kernel = guest.kernel.clone();
    let init = "#!/bin/sh\necho MIMIC-SHELL-UP\n/bin/busybox poweroff -f\n";
    let dir = temp_dir("sysgdb");
    let initrd = guest.initrd(&dir, init, &[], Vec::new());
    let failures: Vec<String> = parallel_map(&backends(), 2, |backend| {
        let port = free_port();
        let mut child = Command::new(mimic_bin())
            .args(["system", "-M", "virt", "-cpu", "cortex-a57", "-m", "512"])
            .args(["-smp", "2", "-nographic", "-no-reboot", "-backend", backend])
            .args(["-gdb", &format!("tcp::{port}"), "-kernel"])
            .arg(&kernel)
            .arg("-initrd")
            .arg(&initrd)
            .args(["-append", "console=ttyAMA0 panic=-1"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start mimic");
        let con = Console::start(&mut child);
        let mut log = Vec::new();
        let mut err = if con.wait_for("smp: Brought up", Duration::from_secs(300)) {
            kernel_session(port, &mut log).err()
        } else {
            Some("the kernel did not bring up its cpus".into())
        };
        let end = Instant::now() + Duration::from_secs(300);
        let status = loop {
            if let Ok(Some(s)) = child.try_wait() {
                break s.code();
            }
            if Instant::now() > end {
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
            std::thread::sleep(Duration::from_millis(100));
        };
        std::thread::sleep(Duration::from_millis(200));
        let text = con.text();
        if err.is_none() && (status != Some(0) || !text.contains("MIMIC-SHELL-UP")) {
            err = Some(format!("after detach: status {status:?}, no shell"));
        }
        err.map(|e| {
            let tail: Vec<&str> = text.lines().rev().take(6).collect();
            format!("[{backend}] {e}\n    protocol: {log:?}\n    console tail: {tail:?}")
        })
    })
    .into_iter()
    .flatten()
    .collect();
    report(
        "gdb attach to a running kernel",
        backends().len(),
        &failures,
    );
}

/// The `$N = 0x...` values gdb printed, in order.
fn printed_values(gdb: &str) -> Vec<u64> {
    gdb.lines()
        .filter_map(|l| {
            let (lhs, v) = l.split_once(" = 0x")?;
            lhs.starts_with('$')
                .then(|| u64::from_str_radix(v.trim(), 16).ok())?
        })
        .collect()
}

#[test]
fn guest_clock_stands_still_while_gdb_holds_the_machine() {
    if !have("gdb-multiarch") {
        eprintln!("SKIPPED: gdb-multiarch is missing (scripts/test installs it)");
        return;
    }
    let prog = repo_root().join("build/guest/system/freeze");
    assert!(prog.exists(), "run scripts/build-guests first");
    // Stopped at `sampled` with the first counter samples in x1 (virtual)
    // and x2 (physical), GDB waits HOLD seconds before letting the guest
    // take the second samples.
    const HOLD: f64 = 2.0;
    let failures: Vec<String> = parallel_map(&backends(), 2, |backend| {
        let t0 = Instant::now();
        let (gdb, console, status) = session(
            backend,
            &prog,
            &["-M", "virt"],
            &[
                "break sampled",
                "continue",
                "p/x $x1",
                "p/x $x2",
                &format!("shell sleep {HOLD}"),
                "continue",
                "p/x $x1",
                "p/x $x2",
                "delete",
                "continue",
            ],
        );
        let wall = t0.elapsed().as_secs_f64();
        let v = printed_values(&gdb);
        let err = if v.len() != 4 {
            Some(format!("expected 4 printed values, got {v:?}"))
        } else {
            // CNTFRQ is 1 GHz: ticks are nanoseconds.
            let virt = v[2].wrapping_sub(v[0]) as f64 / 1e9;
            let phys = v[3].wrapping_sub(v[1]) as f64 / 1e9;
            if wall < HOLD {
                Some(format!("the session took {wall:.2} s, less than the hold"))
            } else if !(0.0..HOLD / 4.0).contains(&virt) || !(0.0..HOLD / 4.0).contains(&phys) {
                Some(format!(
                    "the guest saw CNTVCT advance {virt:.3} s and CNTPCT {phys:.3} s across a {HOLD} s stop"
                ))
            } else if !console.contains("ALL OK") || status != Some(0) {
                Some(format!("guest did not finish: status {status:?}"))
            } else {
                None
            }
        };
        err.map(|e| format!("[{backend}] {e}\n--- gdb ---\n{gdb}\n--- console ---\n{console}"))
    })
    .into_iter()
    .flatten()
    .collect();
    report(
        "guest clock while stopped under gdb",
        backends().len(),
        &failures,
    );
}
