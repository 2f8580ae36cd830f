//! The user-mode network (`-netdev user` / `-nic user`) with virtio-net
//! on `mimic system -M virt`, booting Debian's arm64 kernel with its
//! virtio_mmio, failover, net_failover and virtio_net modules in the
//! initramfs; one boot per backend (interp: `-netdev` + `-device
//! virtio-net-device,mac=...`; jit: `-nic user`, default MAC). The guest:
//!
//! - gets 10.0.2.15, router 10.0.2.2 and DNS 10.0.2.3 from busybox
//!   `udhcpc` and shows the expected MAC; its driver negotiated
//!   GUEST_CSUM and GUEST_TSO4 (large received TCP frames);
//! - pings the gateway;
//! - fetches a 768 KiB page with busybox `wget` from an HTTP server the
//!   test runs on the host's 127.0.0.1 (as 10.0.2.2) and checks its
//!   sha256 (the download's throughput is printed);
//! - looks up `localhost` with `nslookup` at 10.0.2.3 and gets what the
//!   host's resolver says, and a `.invalid` name fails as on the host;
//! - does a UDP round trip with an echo server on the host;
//! - `info usernet` (QMP human-monitor-command) while the forwarded TCP
//!   connection is open lists both netdevs, the forward rules and it;
//! - serves `nc -l -p 8080` behind `hostfwd=tcp:127.0.0.1:PORT-:8080`:
//!   the test connects and reads the guest's copy of the page slowly
//!   (so Mimic's buffer fills and the guest's window shuts: nothing may
//!   be lost), then sends its own line, and the guest prints what it
//!   got; and answers a datagram behind
//!   `hostfwd=udp:127.0.0.1:PORT-:7777`;
//! - brings up a second NIC on its own netdev (`net=192.168.76.0/24,
//!   restrict=on`, default MAC): DHCP gives 192.168.76.15 and its
//!   gateway answers ping, but the HTTP server behind that gateway is
//!   out of reach.
//!
//! Bad `-netdev`/`-nic`/`-device` options are one-line errors, status 1.
//! Skipped with a message when the kernel or busybox is not in
//! build/cache (scripts/fetch-debian).

mod common;

use common::linux_guest::{backends, cross_build, debian_guest};
use common::qmp_client::{Console, Qmp};
use common::*;
use serde_json::json;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream, ToSocketAddrs, UdpSocket};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const MODULES: &[&str] = &[
    "drivers/virtio/virtio_mmio.ko",
    "net/core/failover.ko",
    "drivers/net/net_failover.ko",
    "drivers/net/virtio_net.ko",
];

const PAGE_BYTES: usize = 768 << 10;

const DHCP_SCRIPT: &str = r#"#!/bin/sh
B=/bin/busybox
case "$1" in
deconfig) $B ifconfig "$interface" 0.0.0.0 ;;
bound|renew)
  $B ifconfig "$interface" "$ip" netmask "${subnet:-255.255.255.0}" up
  if [ "$interface" = eth0 ]; then
    $B route add default gw "$router" dev "$interface"
    echo "nameserver $dns" > /etc/resolv.conf
  fi
  echo "LEASE $interface ip=$ip router=$router dns=$dns" ;;
esac
"#;

// HTTP and UDP come from the kernel command line (init's environment).
const INIT: &str = r#"#!/bin/sh
B=/bin/busybox
$B mount -t proc proc /proc
$B mount -t sysfs sys /sys
$B mount -t devtmpfs dev /dev
for m in virtio_mmio failover net_failover virtio_net; do $B insmod /lib/$m.ko || echo INSMOD-FAILED $m; done
$B ip link set lo up
$B ip link set eth0 up
echo MAC=$($B cat /sys/class/net/eth0/address)
echo FEAT=$($B cat /sys/class/net/eth0/device/features)
$B udhcpc -i eth0 -s /lib/dhcp.sh -q -n -t 5 -T 2 2>&1 | $B grep LEASE
$B ping -c 1 -W 5 10.0.2.2 >/dev/null && echo PING-OK
up() { $B cut -d' ' -f1 /proc/uptime; }
S=$(up)
$B wget -q -O /tmp/page http://10.0.2.2:$HTTP/page && echo WGET-OK
E=$(up)
echo page=$($B sha256sum /tmp/page | $B cut -c1-64) size=$($B stat -c %s /tmp/page) wget=$S,$E
S=$(up)
$B wget -q -O /dev/null http://10.0.2.2:$HTTP/page
echo warm=$S,$(up)
$B nslookup localhost 10.0.2.3 2>&1 | $B sed 's/^/NS1: /'
$B nslookup no-such-host.invalid 10.0.2.3 2>&1 | $B sed 's/^/NS2: /'
/lib/udp_echo send 10.0.2.2 $UDP udp-hello
$B nc -l -p 8080 < /tmp/page > /tmp/fwd &
/lib/udp_echo serve 7777 &
$B sleep 1
echo MARK-FWD-READY
wait
echo FWD-IN=$($B cat /tmp/fwd)
$B ip link set eth1 up
echo MAC1=$($B cat /sys/class/net/eth1/address)
$B udhcpc -i eth1 -s /lib/dhcp.sh -q -n -t 5 -T 2 2>&1 | $B grep LEASE
$B ping -c 1 -W 5 192.168.76.2 >/dev/null && echo PING1-OK
$B wget -q -T 3 -O /tmp/r http://192.168.76.2:$HTTP/page 2>/dev/null && echo RESTRICT-LEAK || echo RESTRICT-BLOCKED
$B poweroff -f
"#;

/// The page the HTTP server serves: deterministic bytes.
fn page() -> Vec<u8> {
    let mut x: u32 = 12345;
    (0..PAGE_BYTES)
        .map(|_| {
            x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
            (x >> 16) as u8
        })
        .collect()
}

/// A minimal HTTP/1.0 server on 127.0.0.1: every GET gets `body`.
fn http_server(body: Vec<u8>) -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for s in l.incoming().flatten() {
            let body = body.clone();
            std::thread::spawn(move || {
                let mut s = s;
                let mut req = Vec::new();
                let mut b = [0u8; 1024];
                while !req.windows(4).any(|w| w == b"\r\n\r\n") {
                    match s.read(&mut b) {
                        Ok(0) | Err(_) => return,
                        Ok(n) => req.extend_from_slice(&b[..n]),
                    }
                }
                let head = format!(
                    "HTTP/1.0 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: {}\r\n\r\n",
                    body.len()
                );
                let _ = s.write_all(head.as_bytes());
                let _ = s.write_all(&body);
            });
        }
    });
    port
}

/// A UDP echo server on 127.0.0.1 ("echo:" + the datagram).
fn udp_echo_server() -> u16 {
    let s = UdpSocket::bind("127.0.0.1:0").unwrap();
    let port = s.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let mut b = [0u8; 2048];
        while let Ok((n, from)) = s.recv_from(&mut b) {
            let mut r = b"echo:".to_vec();
            r.extend_from_slice(&b[..n]);
            let _ = s.send_to(&r, from);
        }
    });
    port
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap()
}

fn free_udp_port() -> u16 {
    UdpSocket::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap()
}

fn sha256_hex(data: &[u8], dir: &Path) -> String {
    let f = dir.join("page.bin");
    std::fs::write(&f, data).unwrap();
    let out = Command::new("sha256sum")
        .arg(&f)
        .output()
        .expect("sha256sum");
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .next()
        .unwrap_or("")
        .to_string()
}

/// Reads to EOF slowly (4 KiB every 10 ms through an 8 KiB receive
/// buffer), so the guest's data backs up in Mimic and its window shuts.
fn read_slowly(s: &mut TcpStream) -> Vec<u8> {
    use std::os::fd::AsRawFd;
    let size: libc::c_int = 8192;
    // SAFETY: setsockopt with a valid int on our own socket.
    unsafe {
        libc::setsockopt(
            s.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_RCVBUF,
            (&size as *const libc::c_int).cast(),
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        )
    };
    let mut got = Vec::new();
    let mut b = [0u8; 4096];
    loop {
        match s.read(&mut b) {
            Ok(0) | Err(_) => return got,
            Ok(n) => got.extend_from_slice(&b[..n]),
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Checks `info usernet` taken while the hostfwd connection was open:
/// both netdevs' tables, the TCP and UDP forward rules, and the
/// connection from the gateway to the guest's port 8080.
fn check_usernet(table: &str, tport: u16, uport: u16) -> Vec<String> {
    let mut errs = Vec::new();
    let rows: Vec<Vec<&str>> = table
        .lines()
        .map(|l| l.split_whitespace().collect())
        .collect();
    let has = |f: &dyn Fn(&[&str]) -> bool| rows.iter().any(|r| f(r));
    let tp = tport.to_string();
    let up = uport.to_string();
    if table.matches("Hub -1 (").count() != 2 || !has(&|r| r.first() == Some(&"Protocol[State]")) {
        errs.push("info usernet: want a header per netdev".into());
    }
    if !has(&|r| {
        r == [
            "TCP[HOST_FORWARD]",
            "-",
            "127.0.0.1",
            &tp,
            "10.0.2.15",
            "8080",
            "0",
            "0",
        ]
    }) {
        errs.push("info usernet: no TCP forward row".into());
    }
    if !has(&|r| r.len() == 8 && r[0] == "UDP[HOST_FORWARD]" && r[2] == "127.0.0.1" && r[3] == up) {
        errs.push("info usernet: no UDP forward row".into());
    }
    if !has(&|r| {
        r.len() == 8
            && r[0].starts_with("TCP[")
            && r[0] != "TCP[HOST_FORWARD]"
            && r[2] == "10.0.2.2"
            && r[4] == "10.0.2.15"
            && r[5] == "8080"
    }) {
        errs.push("info usernet: no row for the forwarded connection".into());
    }
    if !errs.is_empty() {
        errs.push(format!("info usernet said:\n{table}"));
    }
    errs
}

/// Host side of the hostfwd checks: TCP (the guest's copy of the page
/// in, read slowly; our line out) and UDP (a datagram and its echo).
/// `during` runs once while the first TCP connection is open.
fn hostfwd_exchange(
    tport: u16,
    uport: u16,
    page: &[u8],
    during: &mut dyn FnMut() -> Result<(), String>,
) -> Result<(), String> {
    let mut last = String::new();
    for i in 0..5 {
        let mut s = match TcpStream::connect(("127.0.0.1", tport)) {
            Ok(s) => s,
            Err(e) => return Err(format!("connect to hostfwd port: {e}")),
        };
        if i == 0 {
            during()?;
        }
        s.set_read_timeout(Some(Duration::from_secs(60))).ok();
        // The guest's nc sends the page, then shuts its side down.
        let t0 = Instant::now();
        let got = read_slowly(&mut s);
        if got == page {
            eprintln!(
                "net: {} KiB from the guest through hostfwd (host reading at most 400 KB/s) in {:.2} s",
                got.len() >> 10,
                t0.elapsed().as_secs_f64()
            );
            s.write_all(b"from-host-over-hostfwd\n")
                .map_err(|e| e.to_string())?;
            s.shutdown(std::net::Shutdown::Write)
                .map_err(|e| e.to_string())?;
            last.clear();
            break;
        }
        last = format!(
            "hostfwd: got {} bytes from the guest, want the {}-byte page{}",
            got.len(),
            page.len(),
            got.iter()
                .zip(page)
                .position(|(a, b)| a != b)
                .map(|i| format!(" (differs at {i})"))
                .unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(500));
    }
    if !last.is_empty() {
        return Err(last);
    }
    let u = UdpSocket::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    u.set_read_timeout(Some(Duration::from_secs(20))).ok();
    u.send_to(b"dgram-from-host", ("127.0.0.1", uport))
        .map_err(|e| e.to_string())?;
    let mut b = [0u8; 256];
    let n = u
        .recv(&mut b)
        .map_err(|e| format!("no UDP reply through hostfwd: {e}"))?;
    if &b[..n] != b"echo:dgram-from-host" {
        return Err(format!(
            "UDP hostfwd reply {:?}",
            String::from_utf8_lossy(&b[..n])
        ));
    }
    Ok(())
}

struct Servers {
    http: u16,
    udp: u16,
    sha: String,
    page: Vec<u8>,
}

fn one_boot(
    root: &Path,
    kernel: &Path,
    initrd: &Path,
    backend: &str,
    sv: &Servers,
) -> Option<String> {
    let tport = free_port();
    let uport = free_udp_port();
    let qdir = temp_dir(&format!("net-qmp-{backend}"));
    let sock = qdir.join("qmp.sock");
    let fwd = format!("hostfwd=tcp:127.0.0.1:{tport}-:8080,hostfwd=udp:127.0.0.1:{uport}-:7777");
    // interp: -netdev + -device with a MAC; jit: -nic with the default.
    // A second NIC on its own network (192.168.76.0/24) without mac=.
    let (net_args, want_mac, want_mac1): (Vec<String>, &str, &str) = if backend == "interp" {
        (
            vec![
                "-netdev".into(),
                format!("user,id=n0,{fwd}"),
                "-device".into(),
                "virtio-net-device,netdev=n0,mac=52:54:00:ab:cd:ef".into(),
                "-netdev".into(),
                "user,id=n1,net=192.168.76.0/24,restrict=on".into(),
                "-device".into(),
                "virtio-net-device,netdev=n1".into(),
            ],
            "52:54:00:ab:cd:ef",
            "52:54:00:12:34:56",
        )
    } else {
        (
            vec![
                "-nic".into(),
                format!("user,{fwd}"),
                "-nic".into(),
                "user,net=192.168.76.0/24,restrict=on".into(),
            ],
            "52:54:00:12:34:56",
            "52:54:00:12:34:57",
        )
    };
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
        .args(["-backend", backend, "-kernel"])
        .arg(kernel)
        .arg("-initrd")
        .arg(initrd)
        .arg("-append")
        .arg(format!(
            "console=ttyAMA0 panic=-1 HTTP={} UDP={}",
            sv.http, sv.udp
        ))
        .args(&net_args)
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
    if con.wait_for("MARK-FWD-READY", Duration::from_secs(600)) {
        // `info usernet` (human-monitor-command) while the forwarded
        // connection is open.
        let mut table = String::new();
        let mut ask = || -> Result<(), String> {
            let mut q = Qmp::connect(&sock, Duration::from_secs(10))?;
            q.read()?;
            q.cmd(json!({"execute": "qmp_capabilities"}))?;
            let r = q.cmd(json!({"execute": "human-monitor-command",
                "arguments": {"command-line": "info usernet"}}))?;
            table = r["return"].as_str().unwrap_or_default().to_string();
            Ok(())
        };
        if let Err(e) = hostfwd_exchange(tport, uport, &sv.page, &mut ask) {
            errs.push(e);
        }
        errs.extend(check_usernet(&table, tport, uport));
    } else {
        errs.push("the guest never got to the hostfwd step".into());
    }
    let end = Instant::now() + Duration::from_secs(120);
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
    let want_page = format!("page={} size={PAGE_BYTES}", sv.sha);
    for want in [
        format!("MAC={want_mac}"),
        "LEASE eth0 ip=10.0.2.15 router=10.0.2.2 dns=10.0.2.3".into(),
        format!("MAC1={want_mac1}"),
        "LEASE eth1 ip=192.168.76.15 router=192.168.76.2 dns=192.168.76.3".into(),
        "PING1-OK".into(),
        "RESTRICT-BLOCKED".into(),
        "PING-OK".into(),
        "WGET-OK".into(),
        want_page,
        "UDP-REPLY=echo:udp-hello".into(),
        "UDP-SERVED=dgram-from-host".into(),
        "FWD-IN=from-host-over-hostfwd".into(),
    ] {
        if !text.contains(&want) {
            errs.push(format!("guest output lacks {want:?}"));
        }
    }
    // The driver took GUEST_CSUM (bit 1) and GUEST_TSO4 (bit 7), so the
    // downloads above came in large frames.
    match text.lines().find_map(|l| l.strip_prefix("FEAT=")) {
        Some(f) if f.as_bytes().get(1) == Some(&b'1') && f.as_bytes().get(7) == Some(&b'1') => {}
        f => errs.push(format!(
            "negotiated features {f:?}: want GUEST_CSUM and GUEST_TSO4"
        )),
    }
    if text.contains("INSMOD-FAILED") {
        errs.push("a module did not load".into());
    }
    // DNS: what the host's resolver says about the same names.
    let host_v4: Vec<String> = ("localhost", 0)
        .to_socket_addrs()
        .map(|a| {
            a.filter(|a| a.is_ipv4())
                .map(|a| a.ip().to_string())
                .collect()
        })
        .unwrap_or_default();
    let ns1: Vec<&str> = text.lines().filter(|l| l.starts_with("NS1:")).collect();
    if host_v4.is_empty() {
        errs.push("the host does not resolve localhost".into());
    }
    for a in &host_v4 {
        if !ns1
            .iter()
            .any(|l| l.contains("Address:") && l.trim_end().ends_with(a.as_str()))
        {
            errs.push(format!("nslookup localhost lacks {a}: {ns1:?}"));
        }
    }
    let host_knows_invalid = ("no-such-host.invalid", 0).to_socket_addrs().is_ok();
    let ns2_failed = text
        .lines()
        .any(|l| l.starts_with("NS2:") && l.contains("can't find"));
    if ns2_failed == host_knows_invalid {
        errs.push(format!(
            "nslookup no-such-host.invalid: guest failed {ns2_failed}, host resolves it {host_knows_invalid}"
        ));
    }
    for (tag, what) in [("wget=", "first"), ("warm=", "again, to /dev/null")] {
        let Some(l) = text.lines().find(|l| l.contains(tag)) else {
            continue;
        };
        let t: Vec<f64> = l
            .rsplit(tag)
            .next()
            .unwrap_or("")
            .trim()
            .split(',')
            .filter_map(|x| x.parse().ok())
            .collect();
        if t.len() == 2 {
            eprintln!(
                "net [{backend}]: guest wget of {} KiB ({what}) in {:.2} s: {:.2} MB/s",
                PAGE_BYTES >> 10,
                t[1] - t[0],
                PAGE_BYTES as f64 / 1e6 / (t[1] - t[0]).max(0.01)
            );
        }
    }
    if errs.is_empty() {
        return None;
    }
    let tail: Vec<&str> = text.lines().rev().take(25).collect();
    Some(format!(
        "[{backend}] {}\n    last lines: {tail:?}{}",
        errs.join("\n    "),
        stderr_tail(stderr.as_bytes(), 6)
    ))
}

#[test]
fn user_network_with_debian_kernel() {
    let root = repo_root();
    let Some(guest) = debian_guest(true) else {
        return;
    };
    let kernel = guest.kernel.clone();
    let dir = temp_dir("net-initrd");
    let extra = vec![
        ("lib/udp_echo".to_string(), cross_build(&dir, "udp_echo")),
        ("lib/dhcp.sh".to_string(), DHCP_SCRIPT.as_bytes().to_vec()),
        ("etc/resolv.conf".to_string(), Vec::new()),
    ];
    let initrd = guest.initrd(&dir, INIT, MODULES, extra);
    let body = page();
    let sv = Servers {
        sha: sha256_hex(&body, &dir),
        page: body.clone(),
        http: http_server(body),
        udp: udp_echo_server(),
    };
    let backends = backends();
    let failures: Vec<String> =
        parallel_map(&backends, 2, |b| one_boot(&root, &kernel, &initrd, b, &sv))
            .into_iter()
            .flatten()
            .collect();
    if failures.is_empty() {
        let _ = std::fs::remove_dir_all(&dir);
    }
    report("user network", backends.len(), &failures);
}

/// Bad network options end `mimic system` before the guest runs, with
/// one clear line on stderr and status 1.
#[test]
fn bad_network_options_are_clear_errors() {
    let root = repo_root();
    let dir = temp_dir("net-errors");
    let mut image = vec![0u8; 4096];
    image[56..60].copy_from_slice(b"ARM\x64");
    let kernel = dir.join("Image");
    std::fs::write(&kernel, &image).unwrap();
    // A port that is taken for the hostfwd-in-use case.
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let tport = taken.local_addr().unwrap().port();
    let s = |v: &str| v.to_string();
    let cases: Vec<(Vec<String>, String)> = vec![
        (vec![s("-netdev"), s("user")], s("id=ID is required")),
        (vec![s("-netdev"), s("user,id=n,bogus=1")], s("'bogus'")),
        (
            vec![s("-netdev"), s("tap,id=n")],
            s("-netdev tap: not implemented"),
        ),
        (
            vec![s("-netdev"), s("user,id=n,net=10.0.2.0/33")],
            s("prefix"),
        ),
        (
            vec![s("-netdev"), s("user,id=n,host=192.168.9.2")],
            s("host=192.168.9.2"),
        ),
        (
            vec![s("-netdev"), s("user,id=n,hostfwd=tcp::99999-:22")],
            s("bad port"),
        ),
        (
            vec![s("-netdev"), s("user,id=n,hostfwd=icmp::1-:2")],
            s("protocol 'icmp'"),
        ),
        (
            vec![
                s("-netdev"),
                s("user,id=n"),
                s("-device"),
                s("virtio-net-device,netdev=m"),
            ],
            s("netdev 'm' not found"),
        ),
        (
            vec![s("-device"), s("virtio-net-device")],
            s("netdev=ID is required"),
        ),
        (
            vec![
                s("-netdev"),
                s("user,id=n"),
                s("-device"),
                s("virtio-net-device,netdev=n,mac=01:02:03:04:05:06"),
            ],
            s("multicast"),
        ),
        (
            vec![
                s("-netdev"),
                s("user,id=n"),
                s("-device"),
                s("virtio-net-device,netdev=n"),
                s("-device"),
                s("virtio-net-device,netdev=n"),
            ],
            s("netdev 'n' is already in use"),
        ),
        (
            vec![s("-netdev"), s("user,id=n"), s("-netdev"), s("user,id=n")],
            s("duplicate ID 'n'"),
        ),
        (vec![s("-nic"), s("user,model=e1000")], s("model 'e1000'")),
        (
            vec![s("-device"), s("virtio-net-pci,netdev=n")],
            s("virtio-net-pci"),
        ),
        (
            vec![s("-nic"), format!("user,hostfwd=tcp:127.0.0.1:{tport}-:22")],
            format!("127.0.0.1:{tport}"),
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
            || !err.contains(want.as_str())
            || err.contains("panicked")
            || err.lines().count() != 1
        {
            failures.push(format!(
                "{extra:?}: status {} stderr {err:?} (want {want:?})",
                out.status
            ));
        }
    }
    drop(taken);
    let _ = std::fs::remove_dir_all(&dir);
    report("bad network options", cases.len(), &failures);
}
