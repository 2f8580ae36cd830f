//! UDP (RFC 768): datagrams, and the NAT that carries the guest's
//! datagrams over host sockets. Each guest (address, port) gets its own
//! host socket, bound to an ephemeral port, for as long as it is used
//! (idle ones close after a minute); replies come back from the address
//! they came from, with the host's loopback shown as the gateway.
//! `hostfwd=udp:` listeners hand datagrams to the guest and the guest's
//! replies go back to the sender through the listener.

use super::ipv4::{self, PROTO_UDP};
use super::user::Addrs;
use super::HostFwd;
use std::collections::HashMap;
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4, UdpSocket};
use std::time::{Duration, Instant};

const IDLE: Duration = Duration::from_secs(60);

pub struct Datagram<'a> {
    pub src_port: u16,
    pub dst_port: u16,
    pub data: &'a [u8],
}

/// A UDP datagram with a correct (or absent) checksum.
pub fn parse(src: Ipv4Addr, dst: Ipv4Addr, seg: &[u8]) -> Option<Datagram<'_>> {
    if seg.len() < 8 {
        return None;
    }
    let len = u16::from_be_bytes([seg[4], seg[5]]) as usize;
    if len < 8 || len > seg.len() {
        return None;
    }
    let seg = &seg[..len];
    if seg[6..8] != [0, 0] && ipv4::l4_checksum(src, dst, PROTO_UDP, seg) != 0 {
        return None;
    }
    Some(Datagram {
        src_port: u16::from_be_bytes([seg[0], seg[1]]),
        dst_port: u16::from_be_bytes([seg[2], seg[3]]),
        data: &seg[8..],
    })
}

/// A UDP datagram with its checksum.
pub fn build(src: (Ipv4Addr, u16), dst: (Ipv4Addr, u16), data: &[u8]) -> Vec<u8> {
    let len = 8 + data.len();
    let mut s = Vec::with_capacity(len);
    s.extend_from_slice(&src.1.to_be_bytes());
    s.extend_from_slice(&dst.1.to_be_bytes());
    s.extend_from_slice(&(len as u16).to_be_bytes());
    s.extend_from_slice(&[0, 0]);
    s.extend_from_slice(data);
    let mut c = ipv4::l4_checksum(src.0, dst.0, PROTO_UDP, &s);
    if c == 0 {
        c = 0xffff;
    }
    s[6..8].copy_from_slice(&c.to_be_bytes());
    s
}

struct Binding {
    sock: UdpSocket,
    last: Instant,
}

/// A `hostfwd=udp:` listener.
pub struct Forward {
    pub sock: UdpSocket,
    pub rule: HostFwd,
}

/// A guest address and port.
pub type GuestEnd = (Ipv4Addr, u16);

/// A datagram for the guest: (source, destination, data).
pub type ToGuest = ((Ipv4Addr, u16), (Ipv4Addr, u16), Vec<u8>);

#[derive(Default)]
pub struct UdpNat {
    socks: HashMap<(Ipv4Addr, u16), Binding>,
    forwards: Vec<Forward>,
    /// (guest port, gateway port the guest sees) -> (listener, host peer).
    peers: HashMap<(u16, u16), (usize, SocketAddrV4)>,
}

/// What the guest's destination address means on the host.
pub fn host_addr(a: &Addrs, dst: Ipv4Addr) -> Option<Ipv4Addr> {
    if dst == a.gateway {
        Some(Ipv4Addr::LOCALHOST)
    } else if a.in_net(dst) || dst.is_broadcast() || dst.is_multicast() || dst.is_unspecified() {
        None
    } else {
        Some(dst)
    }
}

/// How a host address appears to the guest.
pub fn guest_addr(a: &Addrs, from: Ipv4Addr) -> Ipv4Addr {
    if from.is_loopback() {
        a.gateway
    } else {
        from
    }
}

impl UdpNat {
    pub fn new(forwards: Vec<Forward>) -> UdpNat {
        UdpNat {
            forwards,
            ..Default::default()
        }
    }

    /// A datagram from the guest to somewhere other than the virtual
    /// servers.
    pub fn output(&mut self, a: &Addrs, src: (Ipv4Addr, u16), dst: (Ipv4Addr, u16), data: &[u8]) {
        if dst.0 == a.gateway {
            if let Some(&(i, peer)) = self.peers.get(&(src.1, dst.1)) {
                if let Some(f) = self.forwards.get(i) {
                    let _ = f.sock.send_to(data, peer);
                    return;
                }
            }
        }
        if a.restrict {
            return;
        }
        let Some(to) = host_addr(a, dst.0) else {
            return;
        };
        let now = Instant::now();
        let b = match self.socks.entry(src) {
            std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
            std::collections::hash_map::Entry::Vacant(e) => {
                let sock = match UdpSocket::bind((Ipv4Addr::UNSPECIFIED, 0)) {
                    Ok(s) => s,
                    Err(err) => {
                        tracing::warn!(target: "unimp", "net: no UDP socket for the guest: {err}");
                        return;
                    }
                };
                if sock.set_nonblocking(true).is_err() {
                    return;
                }
                e.insert(Binding { sock, last: now })
            }
        };
        b.last = now;
        if let Err(e) = b.sock.send_to(data, SocketAddrV4::new(to, dst.1)) {
            tracing::debug!(target: "unimp", "net: UDP to {to}:{}: {e}", dst.1);
        }
    }

    /// The host sockets to poll: (fd, key) for NAT sockets, then the
    /// listeners by index.
    pub fn fds(&self) -> (Vec<(i32, GuestEnd)>, Vec<i32>) {
        use std::os::fd::AsRawFd;
        (
            self.socks
                .iter()
                .map(|(k, b)| (b.sock.as_raw_fd(), *k))
                .collect(),
            self.forwards.iter().map(|f| f.sock.as_raw_fd()).collect(),
        )
    }

    /// Reads the datagrams waiting on a NAT socket.
    pub fn readable(&mut self, a: &Addrs, key: (Ipv4Addr, u16), out: &mut Vec<ToGuest>) {
        let Some(b) = self.socks.get_mut(&key) else {
            return;
        };
        let mut buf = vec![0u8; 65536];
        for _ in 0..64 {
            match b.sock.recv_from(&mut buf) {
                Ok((n, SocketAddr::V4(from))) => {
                    b.last = Instant::now();
                    out.push((
                        (guest_addr(a, *from.ip()), from.port()),
                        key,
                        buf[..n].to_vec(),
                    ));
                }
                Ok(_) => {}
                Err(_) => return,
            }
        }
    }

    /// Reads the datagrams waiting on listener `i`.
    pub fn forward_readable(
        &mut self,
        a: &Addrs,
        i: usize,
        guest: Ipv4Addr,
        out: &mut Vec<ToGuest>,
    ) {
        let Some(f) = self.forwards.get(i) else {
            return;
        };
        let mut buf = vec![0u8; 65536];
        for _ in 0..64 {
            match f.sock.recv_from(&mut buf) {
                Ok((n, SocketAddr::V4(from))) => {
                    let gport = f.rule.guest_port;
                    let to = f.rule.guest_addr.unwrap_or(guest);
                    self.peers.insert((gport, from.port()), (i, from));
                    out.push(((a.gateway, from.port()), (to, gport), buf[..n].to_vec()));
                }
                Ok(_) => {}
                Err(_) => return,
            }
        }
    }

    /// Closes sockets idle for a minute; the time until the next check.
    /// `info usernet` rows: the hostfwd listeners, then each guest
    /// address/port with a host socket and the seconds before it closes
    /// idle (its destination varies per datagram: "*").
    pub fn rows(&self, now: Instant, out: &mut Vec<super::info::NatRow>) {
        use super::info::{end, NatRow};
        for f in &self.forwards {
            let dst = match f.rule.guest_addr {
                Some(a) => end(a, f.rule.guest_port),
                None => ("*".into(), f.rule.guest_port.to_string()),
            };
            out.push(NatRow {
                proto: "UDP",
                state: "HOST_FORWARD".into(),
                src: end(f.rule.host_addr, f.rule.host_port),
                dst,
                recv_q: 0,
                send_q: 0,
            });
        }
        let mut v: Vec<_> = self.socks.iter().collect();
        v.sort_by_key(|(k, _)| **k);
        for ((a, p), b) in v {
            let left = (b.last + IDLE).saturating_duration_since(now).as_secs();
            out.push(NatRow {
                proto: "UDP",
                state: format!("{left} sec"),
                src: end(a, *p),
                dst: ("*".into(), "*".into()),
                recv_q: 0,
                send_q: 0,
            });
        }
    }

    pub fn expire(&mut self, now: Instant) -> Option<Duration> {
        self.socks.retain(|_, b| now.duration_since(b.last) < IDLE);
        self.socks
            .values()
            .map(|b| (b.last + IDLE).saturating_duration_since(now))
            .min()
    }
}
