//! `-netdev user`: QEMU's user-mode network, written from the RFCs.
//!
//! The guest sees a network (10.0.2.0/24 by default) with the gateway
//! at .2 (the host: connections to it go to the host's 127.0.0.1), a DNS
//! server at .3 (`dns.rs`) and a DHCP server handing out .15 and up
//! (`dhcp.rs`). The gateway answers ARP and ICMP echo; the guest's UDP
//! and TCP to any address are carried over host sockets (`udp.rs`,
//! `tcp.rs`); `hostfwd` rules forward host ports into the guest.
//! `restrict=on` confines the guest: only ARP, DHCP, DNS, ICMP echo to
//! the virtual servers and the `hostfwd` connections work, anything it
//! sends elsewhere is dropped.
//!
//! One thread per netdev polls the host sockets, the device's wakeup fd
//! and the DNS helpers' answers; it never spins (the poll timeout is the
//! next TCP retransmission or UDP expiry, or none).

use super::dhcp::{self, Leases};
use super::dns::{self, Resolver};
use super::ethernet::{self, Arp, Mac, BROADCAST, TYPE_ARP, TYPE_IPV4};
use super::ipv4::{self, PROTO_ICMP, PROTO_TCP, PROTO_UDP};
use super::tcp::{self, TcpNat};
use super::udp::{self, UdpNat};
use super::{icmp, HostFwd, NetdevSpec, NicLink};
use std::collections::VecDeque;
use std::net::{Ipv4Addr, SocketAddr, TcpListener};
use std::os::fd::AsRawFd;
use std::sync::Arc;
use std::time::Instant;

/// The MAC the gateway and the virtual servers answer from.
pub const GATEWAY_MAC: Mac = [0x52, 0x55, 0x0a, 0x00, 0x02, 0x02];
/// Frames waiting for the guest beyond which UDP sockets are not read.
const QUEUE_LIMIT: usize = 1024;

/// The virtual network's addresses.
#[derive(Debug, Clone)]
pub struct Addrs {
    pub net: Ipv4Addr,
    pub mask: Ipv4Addr,
    pub gateway: Ipv4Addr,
    pub dns: Ipv4Addr,
    pub dhcp_start: Ipv4Addr,
    pub restrict: bool,
}

impl Addrs {
    pub fn new(s: &NetdevSpec) -> Result<Addrs, String> {
        if !(1..=30).contains(&s.prefix) {
            return Err(format!(
                "-netdev {}: net=/{}: the prefix must be 1 to 30",
                s.id, s.prefix
            ));
        }
        let mask = u32::MAX << (32 - s.prefix);
        let net = u32::from(s.net);
        if net & !mask != 0 {
            return Err(format!(
                "-netdev {}: net={}/{}: host bits are set",
                s.id, s.net, s.prefix
            ));
        }
        let a = Addrs {
            net: s.net,
            mask: Ipv4Addr::from(mask),
            gateway: s.host.unwrap_or(Ipv4Addr::from(net | 2)),
            dns: s.dns.unwrap_or(Ipv4Addr::from(net | 3)),
            dhcp_start: s.dhcp_start.unwrap_or(Ipv4Addr::from(net | 15)),
            restrict: s.restrict,
        };
        for (what, ip) in [
            ("host", a.gateway),
            ("dns", a.dns),
            ("dhcpstart", a.dhcp_start),
        ] {
            let host = u32::from(ip) & !mask;
            if !a.in_net(ip) || host == 0 || host == !mask {
                return Err(format!(
                    "-netdev {}: {what}={ip} is not a host address in {}/{}",
                    s.id, s.net, s.prefix
                ));
            }
        }
        if a.gateway == a.dns {
            return Err(format!("-netdev {}: host and dns must differ", s.id));
        }
        Ok(a)
    }
    pub fn in_net(&self, ip: Ipv4Addr) -> bool {
        u32::from(ip) & u32::from(self.mask) == u32::from(self.net)
    }
    fn net_broadcast(&self) -> Ipv4Addr {
        Ipv4Addr::from(u32::from(self.net) | !u32::from(self.mask))
    }
}

/// The protocol state of one user network.
pub struct Stack {
    pub a: Addrs,
    guest_mac: Option<Mac>,
    guest_ip: Option<Ipv4Addr>,
    leases: Leases,
    ip_id: u16,
    /// Frames for the guest, oldest first, with their GSO segment size.
    pub to_guest: VecDeque<(Vec<u8>, u16)>,
    udp: UdpNat,
    tcp: TcpNat,
    dns: Resolver,
    listeners: Vec<(TcpListener, HostFwd)>,
}

impl Stack {
    pub fn new(spec: &NetdevSpec, link: Arc<NicLink>) -> Result<Stack, String> {
        let a = Addrs::new(spec)?;
        let (listeners, forwards) = super::hostfwd::bind(&spec.id, &spec.hostfwd)?;
        Ok(Stack {
            a,
            guest_mac: None,
            guest_ip: None,
            leases: Leases::default(),
            ip_id: 0,
            to_guest: VecDeque::new(),
            udp: UdpNat::new(forwards),
            tcp: TcpNat::default(),
            dns: Resolver::new(link),
            listeners,
        })
    }

    /// The NAT table for `info usernet`: TCP hostfwd listeners, TCP
    /// connections, then UDP.
    pub fn nat_rows(&self) -> Vec<super::info::NatRow> {
        use super::info::{end, NatRow};
        let mut out = Vec::new();
        for (_, f) in &self.listeners {
            let guest = f.guest_addr.unwrap_or(self.guest_target());
            out.push(NatRow {
                proto: "TCP",
                state: "HOST_FORWARD".into(),
                src: end(f.host_addr, f.host_port),
                dst: end(guest, f.guest_port),
                recv_q: 0,
                send_q: 0,
            });
        }
        self.tcp.rows(&mut out);
        self.udp.rows(Instant::now(), &mut out);
        out
    }

    /// Where hostfwd traffic goes when its rule names no address.
    fn guest_target(&self) -> Ipv4Addr {
        self.guest_ip.unwrap_or(self.a.dhcp_start)
    }

    fn send_ip(&mut self, src: Ipv4Addr, dst: Ipv4Addr, proto: u8, payload: &[u8]) {
        self.send_ip_gso(src, dst, proto, payload, 0);
    }

    fn send_ip_gso(&mut self, src: Ipv4Addr, dst: Ipv4Addr, proto: u8, payload: &[u8], gso: u16) {
        self.ip_id = self.ip_id.wrapping_add(1);
        let p = ipv4::build(src, dst, proto, self.ip_id, payload);
        let to = if dst.is_broadcast() {
            BROADCAST
        } else {
            self.guest_mac.unwrap_or(BROADCAST)
        };
        self.to_guest
            .push_back((ethernet::build(to, GATEWAY_MAC, TYPE_IPV4, &p), gso));
    }

    fn send_udp(&mut self, src: (Ipv4Addr, u16), dst: (Ipv4Addr, u16), data: &[u8]) {
        let seg = udp::build(src, dst, data);
        self.send_ip(src.0, dst.0, PROTO_UDP, &seg);
    }

    fn send_tcp(&mut self, emitted: tcp::Emit) {
        for (src, dst, seg, gso) in emitted {
            self.send_ip_gso(src, dst, PROTO_TCP, &seg, gso);
        }
    }

    /// A frame from the guest.
    pub fn input(&mut self, frame: &[u8]) {
        let Some(f) = ethernet::parse(frame) else {
            return;
        };
        if f.src[0] & 1 == 0 {
            self.guest_mac = Some(f.src);
        }
        if f.dst != BROADCAST && f.dst != GATEWAY_MAC {
            return;
        }
        match f.ethertype {
            TYPE_ARP => self.arp(f.payload),
            TYPE_IPV4 => self.ipv4(f.payload),
            _ => {}
        }
    }

    fn arp(&mut self, p: &[u8]) {
        let Some(req) = ethernet::parse_arp(p) else {
            return;
        };
        if self.a.in_net(req.spa) && req.spa != self.a.gateway && req.spa != self.a.dns {
            self.guest_ip = Some(req.spa);
        }
        if req.op != ethernet::ARP_REQUEST || (req.tpa != self.a.gateway && req.tpa != self.a.dns) {
            return;
        }
        let reply = ethernet::build_arp(&Arp {
            op: ethernet::ARP_REPLY,
            sha: GATEWAY_MAC,
            spa: req.tpa,
            tha: req.sha,
            tpa: req.spa,
        });
        self.to_guest
            .push_back((ethernet::build(req.sha, GATEWAY_MAC, TYPE_ARP, &reply), 0));
    }

    fn ipv4(&mut self, p: &[u8]) {
        let Some(ip) = ipv4::parse(p) else {
            return;
        };
        let server = ip.dst == self.a.gateway || ip.dst == self.a.dns;
        match ip.proto {
            PROTO_ICMP if server => {
                if let Some(r) = icmp::echo_reply(ip.payload) {
                    self.send_ip(ip.dst, ip.src, PROTO_ICMP, &r);
                }
            }
            PROTO_UDP => {
                let Some(d) = udp::parse(ip.src, ip.dst, ip.payload) else {
                    return;
                };
                if d.dst_port == dhcp::SERVER_PORT
                    && (ip.dst.is_broadcast() || ip.dst == self.a.gateway)
                {
                    if let Some(r) = dhcp::handle(&self.a, &mut self.leases, d.data) {
                        if let Some(l) = r.leased {
                            self.guest_ip = Some(l);
                        }
                        self.send_udp(
                            (self.a.gateway, dhcp::SERVER_PORT),
                            (r.to, dhcp::CLIENT_PORT),
                            &r.payload,
                        );
                    }
                    return;
                }
                if ip.dst.is_broadcast() || ip.dst == self.a.net_broadcast() {
                    return;
                }
                self.learn_ip(ip.src);
                if ip.dst == self.a.dns {
                    if d.dst_port == dns::PORT {
                        match dns::parse(d.data, (ip.src, d.src_port)) {
                            Ok(q) => {
                                if let Some((q, ans)) = self.dns.ask(q) {
                                    self.send_udp((self.a.dns, dns::PORT), q.from, &ans);
                                }
                            }
                            Err(Some(ans)) => {
                                self.send_udp((self.a.dns, dns::PORT), (ip.src, d.src_port), &ans)
                            }
                            Err(None) => {}
                        }
                    }
                    return;
                }
                self.udp
                    .output(&self.a, (ip.src, d.src_port), (ip.dst, d.dst_port), d.data);
            }
            PROTO_TCP => {
                let Some(s) = tcp::parse(ip.src, ip.dst, ip.payload) else {
                    return;
                };
                self.learn_ip(ip.src);
                let mut out = Vec::new();
                self.tcp.input(&self.a, ip.src, ip.dst, &s, &mut out);
                self.send_tcp(out);
            }
            _ => {}
        }
    }

    fn learn_ip(&mut self, src: Ipv4Addr) {
        if self.a.in_net(src) && src != self.a.gateway && src != self.a.dns {
            self.guest_ip = Some(src);
        }
    }

    /// DNS answers from the helper threads.
    fn dns_answers(&mut self) {
        for (q, ans) in self.dns.done() {
            self.send_udp((self.a.dns, dns::PORT), q.from, &ans);
        }
    }

    fn accept(&mut self, i: usize) {
        loop {
            let Some((l, rule)) = self.listeners.get(i) else {
                return;
            };
            let (sock, peer) = match l.accept() {
                Ok((s, SocketAddr::V4(p))) => (s, p),
                Ok(_) => continue,
                Err(_) => return,
            };
            let guest = (
                rule.guest_addr.unwrap_or(self.guest_target()),
                rule.guest_port,
            );
            if self.guest_mac.is_none() {
                // The guest has not said anything yet: nobody to connect to.
                super::sock::abort_on_close(&sock);
                continue;
            }
            let mut out = Vec::new();
            self.tcp
                .connect_guest(sock, (self.a.gateway, peer.port()), guest, &mut out);
            self.send_tcp(out);
        }
    }
}

enum Token {
    Wake,
    Listener(usize),
    UdpNat((Ipv4Addr, u16)),
    UdpFwd(usize),
    Tcp(tcp::Key),
}

/// Binds the netdev's listeners and starts its thread.
pub fn start(spec: &NetdevSpec, link: Arc<NicLink>) -> Result<(), String> {
    let st = Stack::new(spec, link.clone())?;
    std::thread::Builder::new()
        .name(format!("netdev {}", spec.id))
        .spawn(move || run(st, link))
        .map_err(|e| format!("-netdev {}: cannot start its thread: {e}", spec.id))?;
    Ok(())
}

/// Moves frames between the NIC and the stack; true if any moved.
fn exchange(st: &mut Stack, link: &NicLink) -> bool {
    let mut moved = false;
    loop {
        let frames = link
            .with_port(|p| {
                let mut v = Vec::new();
                while v.len() < 256 {
                    match p.take_frame() {
                        Some(f) => v.push(f),
                        None => break,
                    }
                }
                p.finish();
                v
            })
            .unwrap_or_default();
        if frames.is_empty() {
            break;
        }
        moved = true;
        for f in frames {
            st.input(&f);
        }
    }
    st.dns_answers();
    if !st.to_guest.is_empty() {
        let q = &mut st.to_guest;
        let n0 = q.len();
        link.with_port(|p| {
            while let Some((f, gso)) = q.front() {
                if !p.give_frame(f, *gso) {
                    break;
                }
                q.pop_front();
            }
            p.finish();
        });
        moved |= q.len() != n0;
    }
    moved
}

fn run(mut st: Stack, link: Arc<NicLink>) {
    let mut fds: Vec<libc::pollfd> = Vec::new();
    let mut tokens: Vec<Token> = Vec::new();
    loop {
        st.tcp.big = link.gso();
        link.answer_info(|| st.nat_rows());
        while exchange(&mut st, &link) {}
        let now = Instant::now();
        let mut out = Vec::new();
        let backlog = !st.to_guest.is_empty();
        let t_tcp = st.tcp.timers(now, backlog, &mut out);
        st.send_tcp(out);
        let t_udp = st.udp.expire(now);
        if !st.to_guest.is_empty() {
            exchange(&mut st, &link);
        }
        let timeout = match (t_tcp, t_udp) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
        .map_or(-1, |d| d.as_millis().clamp(1, 60_000) as i32);

        fds.clear();
        tokens.clear();
        let mut add = |fd: i32, events: i16, t: Token| {
            fds.push(libc::pollfd {
                fd,
                events,
                revents: 0,
            });
            tokens.push(t);
        };
        add(link.waker.raw(), libc::POLLIN, Token::Wake);
        for (i, (l, _)) in st.listeners.iter().enumerate() {
            add(l.as_raw_fd(), libc::POLLIN, Token::Listener(i));
        }
        if st.to_guest.len() < QUEUE_LIMIT {
            let (nat, fwd) = st.udp.fds();
            for (fd, k) in nat {
                add(fd, libc::POLLIN, Token::UdpNat(k));
            }
            for (i, fd) in fwd.into_iter().enumerate() {
                add(fd, libc::POLLIN, Token::UdpFwd(i));
            }
        }
        for (fd, ev, k) in st.tcp.fds() {
            add(fd, ev, Token::Tcp(k));
        }
        // SAFETY: `fds` is a live array of pollfd of the given length.
        let n = unsafe { libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, timeout) };
        if n <= 0 {
            continue;
        }
        for (pfd, t) in fds.iter().zip(&tokens) {
            if pfd.revents == 0 {
                continue;
            }
            match t {
                Token::Wake => link.waker.drain(),
                Token::Listener(i) => st.accept(*i),
                Token::UdpNat(k) => {
                    let mut v = Vec::new();
                    st.udp.readable(&st.a, *k, &mut v);
                    for (src, dst, data) in v {
                        st.send_udp(src, dst, &data);
                    }
                }
                Token::UdpFwd(i) => {
                    let mut v = Vec::new();
                    let g = st.guest_target();
                    st.udp.forward_readable(&st.a, *i, g, &mut v);
                    for (src, dst, data) in v {
                        st.send_udp(src, dst, &data);
                    }
                }
                Token::Tcp(k) => {
                    let mut out = Vec::new();
                    st.tcp.ready(k, pfd.revents, &mut out);
                    st.send_tcp(out);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GUEST_MAC: Mac = [0x52, 0x54, 0, 0x12, 0x34, 0x56];
    const GUEST: Ipv4Addr = Ipv4Addr::new(10, 0, 2, 15);

    fn stack(spec: NetdevSpec) -> Stack {
        Stack::new(&spec, NicLink::new().unwrap()).unwrap()
    }

    fn ip_frame(dst: Ipv4Addr, proto: u8, payload: &[u8]) -> Vec<u8> {
        ethernet::build(
            GATEWAY_MAC,
            GUEST_MAC,
            TYPE_IPV4,
            &ipv4::build(GUEST, dst, proto, 1, payload),
        )
    }

    #[test]
    fn gateway_answers_arp_and_ping() {
        let mut st = stack(NetdevSpec::new("n"));
        let req = ethernet::build_arp(&Arp {
            op: ethernet::ARP_REQUEST,
            sha: GUEST_MAC,
            spa: GUEST,
            tha: [0; 6],
            tpa: Ipv4Addr::new(10, 0, 2, 2),
        });
        st.input(&ethernet::build(BROADCAST, GUEST_MAC, TYPE_ARP, &req));
        let (f, _) = st.to_guest.pop_front().expect("ARP reply");
        let e = ethernet::parse(&f).unwrap();
        let r = ethernet::parse_arp(e.payload).unwrap();
        assert_eq!(
            (r.op, r.sha, r.spa, r.tpa),
            (
                ethernet::ARP_REPLY,
                GATEWAY_MAC,
                Ipv4Addr::new(10, 0, 2, 2),
                GUEST
            )
        );
        // No answer for an address nobody has.
        let other = ethernet::build_arp(&Arp {
            tpa: Ipv4Addr::new(10, 0, 2, 77),
            ..ethernet::parse_arp(&req).unwrap()
        });
        st.input(&ethernet::build(BROADCAST, GUEST_MAC, TYPE_ARP, &other));
        assert!(st.to_guest.is_empty());

        let mut echo = vec![8, 0, 0, 0, 0, 7, 0, 1, 1, 2, 3];
        let c = ipv4::checksum(&echo);
        echo[2..4].copy_from_slice(&c.to_be_bytes());
        st.input(&ip_frame(Ipv4Addr::new(10, 0, 2, 2), PROTO_ICMP, &echo));
        let (f, _) = st.to_guest.pop_front().expect("echo reply");
        let e = ethernet::parse(&f).unwrap();
        assert_eq!(e.dst, GUEST_MAC);
        let ip = ipv4::parse(e.payload).unwrap();
        assert_eq!(
            (ip.src, ip.dst, ip.proto),
            (Ipv4Addr::new(10, 0, 2, 2), GUEST, PROTO_ICMP)
        );
        assert_eq!(ip.payload[0], 0);
    }

    #[test]
    fn tcp_to_a_closed_host_port_is_reset_and_restrict_drops_it() {
        // A port nobody listens on: bind, note the port, close.
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let gw = Ipv4Addr::new(10, 0, 2, 2);
        let syn = tcp::build((GUEST, 40000), (gw, port), 1000, 0, 2, 65535, &[]);
        let mut st = stack(NetdevSpec::new("n"));
        st.input(&ip_frame(gw, PROTO_TCP, &syn));
        // The connect fails on the host: poll the socket until the RST.
        let deadline = Instant::now() + std::time::Duration::from_secs(5);
        while st.to_guest.is_empty() && Instant::now() < deadline {
            for (fd, ev, k) in st.tcp.fds() {
                let mut p = libc::pollfd {
                    fd,
                    events: ev,
                    revents: 0,
                };
                // SAFETY: one live pollfd.
                if unsafe { libc::poll(&mut p, 1, 100) } == 1 {
                    let mut out = Vec::new();
                    st.tcp.ready(&k, p.revents, &mut out);
                    st.send_tcp(out);
                }
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        let (f, _) = st.to_guest.pop_front().expect("a RST");
        let ip = ipv4::parse(ethernet::parse(&f).unwrap().payload).unwrap();
        let s = tcp::parse(ip.src, ip.dst, ip.payload).unwrap();
        assert_eq!(s.flags & 4, 4, "RST");
        assert_eq!(s.ack, 1001);
        assert!(st.tcp.is_empty());

        let mut spec = NetdevSpec::new("r");
        spec.restrict = true;
        let mut st = stack(spec);
        st.input(&ip_frame(gw, PROTO_TCP, &syn));
        assert!(
            st.to_guest.is_empty() && st.tcp.is_empty(),
            "restrict=on drops it"
        );
    }

    #[test]
    fn bad_addresses_are_refused() {
        let mut s = NetdevSpec::new("n");
        s.host = Some(Ipv4Addr::new(192, 168, 1, 1));
        assert!(Addrs::new(&s).unwrap_err().contains("host=192.168.1.1"));
        let mut s = NetdevSpec::new("n");
        s.net = Ipv4Addr::new(10, 0, 2, 1);
        assert!(Addrs::new(&s).is_err());
        let mut s = NetdevSpec::new("n");
        s.net = Ipv4Addr::new(192, 168, 7, 0);
        let a = Addrs::new(&s).unwrap();
        assert_eq!(
            (a.gateway, a.dns, a.dhcp_start),
            (
                Ipv4Addr::new(192, 168, 7, 2),
                Ipv4Addr::new(192, 168, 7, 3),
                Ipv4Addr::new(192, 168, 7, 15)
            )
        );
    }
}

#[cfg(test)]
mod fuzz {
    use super::*;

    /// splitmix64: repeatable pseudo-random numbers.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            z ^ (z >> 31)
        }
        fn bytes(&mut self, n: usize) -> Vec<u8> {
            (0..n).map(|_| self.next() as u8).collect()
        }
    }

    /// Random frames, mostly well-formed up to the layer being tested
    /// (right IPv4 and often right TCP/UDP checksums, so the parsers
    /// behind them see garbage too), never panic the stack, and what it
    /// answers is well-formed.
    #[test]
    fn random_frames_never_panic_and_answers_are_well_formed() {
        let mut st = Stack::new(&NetdevSpec::new("fuzz"), NicLink::new().unwrap()).unwrap();
        let mut r = Rng(42);
        let guest = Ipv4Addr::new(10, 0, 2, 15);
        // Destinations that need no host sockets: the virtual servers,
        // broadcast, and addresses in the virtual net nobody has.
        let dsts = [
            Ipv4Addr::new(10, 0, 2, 2),
            Ipv4Addr::new(10, 0, 2, 3),
            Ipv4Addr::BROADCAST,
            Ipv4Addr::new(10, 0, 2, 99),
        ];
        for i in 0..20000 {
            let kind = r.next() % 8;
            let len = (r.next() % 600) as usize;
            let frame = match kind {
                0 => r.bytes(len),
                1 => ethernet::build(
                    BROADCAST,
                    [0x52, 0x54, 0, 1, 2, 3],
                    TYPE_ARP,
                    &r.bytes(len % 40),
                ),
                _ => {
                    let mut dst = dsts[(r.next() % 4) as usize];
                    let proto = [PROTO_ICMP, PROTO_TCP, PROTO_UDP, 99][(r.next() % 4) as usize];
                    if proto != PROTO_ICMP && dst == dsts[0] {
                        // TCP/UDP to the gateway would reach the host's
                        // real 127.0.0.1 ports.
                        dst = dsts[1];
                    }
                    let mut l4 = r.bytes(len);
                    // Often a plausible header with the right checksum.
                    if r.next().is_multiple_of(2) {
                        match proto {
                            PROTO_UDP if l4.len() >= 8 => {
                                let port = [67u16, 53, 53, 9][(r.next() % 4) as usize];
                                l4[2..4].copy_from_slice(&port.to_be_bytes());
                                let n = l4.len() as u16;
                                l4[4..6].copy_from_slice(&n.to_be_bytes());
                                l4[6..8].copy_from_slice(&[0, 0]);
                                if port == 67 && l4.len() > 248 {
                                    l4[8] = 1;
                                    l4[9] = 1;
                                    l4[10] = 6;
                                    l4[244..248].copy_from_slice(&[99, 130, 83, 99]);
                                }
                                if port == 53 && l4.len() > 12 {
                                    // A query (QR clear), so it is parsed.
                                    l4[10] &= 0x7f;
                                }
                            }
                            PROTO_TCP if l4.len() >= 20 => {
                                l4[12] = (5 + (r.next() % 11) as u8) << 4;
                                l4[16..18].copy_from_slice(&[0, 0]);
                                let c = ipv4::l4_checksum(guest, dst, PROTO_TCP, &l4);
                                l4[16..18].copy_from_slice(&c.to_be_bytes());
                            }
                            PROTO_ICMP if l4.len() >= 8 => {
                                l4[0] = 8;
                                l4[1] = 0;
                                l4[2..4].copy_from_slice(&[0, 0]);
                                let c = ipv4::checksum(&l4);
                                l4[2..4].copy_from_slice(&c.to_be_bytes());
                            }
                            _ => {}
                        }
                    }
                    let mut p = ipv4::build(guest, dst, proto, i as u16, &l4);
                    if r.next().is_multiple_of(16) {
                        let at = (r.next() as usize) % p.len().max(1);
                        p[at] ^= 1 << (r.next() % 8);
                    }
                    ethernet::build(GATEWAY_MAC, [0x52, 0x54, 0, 1, 2, 3], TYPE_IPV4, &p)
                }
            };
            st.input(&frame);
            while let Some((f, _)) = st.to_guest.pop_front() {
                let e = ethernet::parse(&f).expect("an Ethernet frame");
                if e.ethertype == TYPE_IPV4 {
                    let ip = ipv4::parse(e.payload).expect("a valid IPv4 packet");
                    match ip.proto {
                        PROTO_TCP => {
                            tcp::parse(ip.src, ip.dst, ip.payload).expect("a valid TCP segment");
                        }
                        PROTO_UDP => {
                            udp::parse(ip.src, ip.dst, ip.payload).expect("a valid UDP datagram");
                        }
                        PROTO_ICMP => assert_eq!(ipv4::checksum(ip.payload), 0),
                        p => panic!("answered with protocol {p}"),
                    }
                }
            }
        }
        assert!(
            st.tcp.is_empty(),
            "nothing to connect to, so no connections"
        );
    }
}
