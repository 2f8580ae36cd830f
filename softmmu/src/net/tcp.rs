//! The guest-facing TCP (RFC 9293) of the user network: every guest
//! connection is a host socket, and Mimic is the guest's TCP peer.
//!
//! - Guest connects out: its SYN starts a non-blocking host connect;
//!   when that succeeds the guest gets SYN-ACK (MSS option), when it
//!   fails a RST. `hostfwd` goes the other way: an accepted host
//!   connection sends the guest a SYN and waits for its SYN-ACK.
//! - Host to guest: bytes are read from the host socket only as far as
//!   the guest's advertised window (less what is in flight) allows, kept
//!   until acknowledged, and sent in segments of the guest's MSS. The
//!   link never loses frames, so retransmission is a plain go-back-N
//!   after a second without progress, backing off exponentially and
//!   giving up after 8 tries; nothing is resent while frames wait for
//!   the guest to take them.
//! - Guest to host: accepted bytes wait in a buffer until the host
//!   socket takes them; the window Mimic advertises is that buffer's free
//!   room, so a slow host reader slows the guest down and nothing is
//!   lost. A window update goes out when the buffer drains.
//! - FIN in both directions (the host's EOF becomes a FIN after the
//!   last byte; the guest's FIN a shutdown(SHUT_WR) after its last byte),
//!   RST both ways (a guest RST aborts the host socket).
//!
//! No window scaling, SACK or timestamps are offered: windows are at
//! most 64 KiB, which the virtual link fills easily.

use super::ipv4::{self, PROTO_TCP};
use super::sock;
use super::user::Addrs;
use std::collections::{HashMap, VecDeque};
use std::io::{ErrorKind, Read, Write};
use std::net::{Ipv4Addr, Shutdown, SocketAddrV4, TcpStream};
use std::os::fd::AsRawFd;
use std::time::{Duration, Instant};

const FIN: u8 = 1;
const SYN: u8 = 2;
const RST: u8 = 4;
const PSH: u8 = 8;
const ACK: u8 = 16;

/// The MSS Mimic announces (1500-byte MTU).
const OUR_MSS: u16 = 1460;
/// The MSS assumed when the guest sends none (RFC 9293).
const DEFAULT_MSS: usize = 536;
/// Guest-to-host bytes buffered per connection.
const TO_HOST_CAP: usize = 256 * 1024;
const RTO: Duration = Duration::from_secs(1);
const MAX_TRIES: u32 = 8;

/// A parsed segment.
#[derive(Debug, Clone)]
pub struct Segment<'a> {
    pub src_port: u16,
    pub dst_port: u16,
    pub seq: u32,
    pub ack: u32,
    pub flags: u8,
    pub window: u16,
    pub mss: Option<u16>,
    pub data: &'a [u8],
}

/// A TCP segment with a correct checksum.
pub fn parse(src: Ipv4Addr, dst: Ipv4Addr, seg: &[u8]) -> Option<Segment<'_>> {
    if seg.len() < 20 || ipv4::l4_checksum(src, dst, PROTO_TCP, seg) != 0 {
        return None;
    }
    let off = (seg[12] >> 4) as usize * 4;
    if off < 20 || off > seg.len() {
        return None;
    }
    let mut mss = None;
    let mut i = 20;
    while i < off {
        match seg[i] {
            0 => break,
            1 => i += 1,
            kind => {
                let len = *seg.get(i + 1)? as usize;
                if len < 2 || i + len > off {
                    return None;
                }
                if kind == 2 && len == 4 {
                    mss = Some(u16::from_be_bytes([seg[i + 2], seg[i + 3]]));
                }
                i += len;
            }
        }
    }
    Some(Segment {
        src_port: u16::from_be_bytes([seg[0], seg[1]]),
        dst_port: u16::from_be_bytes([seg[2], seg[3]]),
        seq: u32::from_be_bytes([seg[4], seg[5], seg[6], seg[7]]),
        ack: u32::from_be_bytes([seg[8], seg[9], seg[10], seg[11]]),
        flags: seg[13] & 0x3f,
        window: u16::from_be_bytes([seg[14], seg[15]]),
        mss,
        data: &seg[off..],
    })
}

/// Builds a segment (with the MSS option on SYNs).
#[allow(clippy::too_many_arguments)]
pub fn build(
    src: (Ipv4Addr, u16),
    dst: (Ipv4Addr, u16),
    seq: u32,
    ack: u32,
    flags: u8,
    window: u16,
    data: &[u8],
) -> Vec<u8> {
    let opt_len = if flags & SYN != 0 { 4 } else { 0 };
    let mut s = Vec::with_capacity(20 + opt_len + data.len());
    s.extend_from_slice(&src.1.to_be_bytes());
    s.extend_from_slice(&dst.1.to_be_bytes());
    s.extend_from_slice(&seq.to_be_bytes());
    s.extend_from_slice(&ack.to_be_bytes());
    s.push((((20 + opt_len) / 4) as u8) << 4);
    s.push(flags);
    s.extend_from_slice(&window.to_be_bytes());
    s.extend_from_slice(&[0, 0, 0, 0]);
    if opt_len != 0 {
        s.extend_from_slice(&[2, 4]);
        s.extend_from_slice(&OUR_MSS.to_be_bytes());
    }
    s.extend_from_slice(data);
    let c = ipv4::l4_checksum(src.0, dst.0, PROTO_TCP, &s);
    s[16..18].copy_from_slice(&c.to_be_bytes());
    s
}

/// a < b in sequence space.
fn lt(a: u32, b: u32) -> bool {
    (a.wrapping_sub(b) as i32) < 0
}

/// Guest endpoint and remote endpoint (as the guest sees it).
pub type Key = ((Ipv4Addr, u16), (Ipv4Addr, u16));

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Guest SYN seen, host connect in progress.
    Connecting,
    /// SYN-ACK sent to the guest.
    SynRcvd,
    /// hostfwd: SYN sent to the guest.
    SynSent,
    Open,
}

struct Conn {
    sock: TcpStream,
    phase: Phase,
    iss: u32,
    snd_una: u32,
    snd_nxt: u32,
    /// The guest's receive window.
    snd_wnd: u32,
    mss: usize,
    rcv_nxt: u32,
    /// Bytes from snd_una on: sent but unacknowledged, then unsent.
    unacked: VecDeque<u8>,
    to_host: VecDeque<u8>,
    host_eof: bool,
    fin_sent: bool,
    guest_fin: bool,
    host_shut: bool,
    need_ack: bool,
    last_wnd: u16,
    rtx_at: Option<Instant>,
    tries: u32,
    dead: bool,
    /// Made by a hostfwd listener (the host end connected first).
    forwarded: bool,
}

impl Conn {
    fn new(sock: TcpStream, phase: Phase, iss: u32) -> Conn {
        Conn {
            sock,
            phase,
            iss,
            snd_una: iss,
            snd_nxt: iss,
            snd_wnd: 0,
            mss: DEFAULT_MSS,
            rcv_nxt: 0,
            unacked: VecDeque::new(),
            to_host: VecDeque::new(),
            host_eof: false,
            fin_sent: false,
            guest_fin: false,
            host_shut: false,
            need_ack: false,
            last_wnd: 0,
            rtx_at: None,
            tries: 0,
            dead: false,
            forwarded: false,
        }
    }
    /// The connection's TCP state for `info usernet`.
    fn state(&self) -> &'static str {
        match self.phase {
            Phase::Connecting | Phase::SynSent => "SYN_SENT",
            Phase::SynRcvd => "SYN_RCVD",
            Phase::Open => match (self.guest_fin, self.fin_sent) {
                (false, false) => "ESTABLISHED",
                (true, false) => "CLOSE_WAIT",
                (false, true) => "FIN_WAIT_1",
                (true, true) => "LAST_ACK",
            },
        }
    }
    fn window(&self) -> u16 {
        (TO_HOST_CAP - self.to_host.len()).min(65535) as u16
    }
    fn fin_acked(&self) -> bool {
        self.fin_sent && self.snd_una == self.snd_nxt
    }
    /// Data bytes sent and not yet acknowledged.
    fn sent_data(&self) -> usize {
        let flight = self.snd_nxt.wrapping_sub(self.snd_una) as usize;
        flight - usize::from(self.fin_sent && !self.fin_acked())
    }
    /// How many more bytes the guest's window takes.
    fn window_room(&self) -> usize {
        (self.snd_wnd as usize).saturating_sub(self.snd_nxt.wrapping_sub(self.snd_una) as usize)
    }
    fn finished(&self) -> bool {
        self.dead || (self.guest_fin && self.host_shut && self.fin_acked())
    }
}

/// Frames produced: IPv4 (src, dst, TCP segment, GSO segment size or 0).
pub type Emit = Vec<(Ipv4Addr, Ipv4Addr, Vec<u8>, u16)>;

/// Most data in one frame when the NIC takes large frames (IPv4's
/// 64 KiB limit less the headers).
const BIG_SEGMENT: usize = 65535 - 40;

fn emit(out: &mut Emit, key: &Key, c: &mut Conn, seq: u32, flags: u8, data: &[u8]) {
    let w = c.window();
    c.last_wnd = w;
    let (guest, remote) = *key;
    let gso = if data.len() > c.mss { c.mss as u16 } else { 0 };
    out.push((
        remote.0,
        guest.0,
        build(remote, guest, seq, c.rcv_nxt, flags, w, data),
        gso,
    ));
}

/// A RST answering a segment that belongs to no connection.
fn reset_for(out: &mut Emit, src: (Ipv4Addr, u16), dst: (Ipv4Addr, u16), s: &Segment) {
    if s.flags & RST != 0 {
        return;
    }
    let len = s.data.len() as u32 + u32::from(s.flags & SYN != 0) + u32::from(s.flags & FIN != 0);
    let seg = if s.flags & ACK != 0 {
        build(dst, src, s.ack, 0, RST, 0, &[])
    } else {
        build(dst, src, 0, s.seq.wrapping_add(len), RST | ACK, 0, &[])
    };
    out.push((dst.0, src.0, seg, 0));
}

#[derive(Default)]
pub struct TcpNat {
    conns: HashMap<Key, Conn>,
    isn: u32,
    /// The NIC takes frames of up to 64 KiB (GSO): data segments are
    /// that large instead of one MSS.
    pub big: bool,
}

impl TcpNat {
    fn next_isn(&mut self) -> u32 {
        // Distinct per connection; nobody off this host sees them.
        let t = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        self.isn = self.isn.wrapping_add(0x0101_0101).wrapping_add(t);
        self.isn
    }

    pub fn len(&self) -> usize {
        self.conns.len()
    }
    pub fn is_empty(&self) -> bool {
        self.conns.is_empty()
    }

    /// A segment from the guest.
    pub fn input(&mut self, a: &Addrs, src: Ipv4Addr, dst: Ipv4Addr, s: &Segment, out: &mut Emit) {
        let key: Key = ((src, s.src_port), (dst, s.dst_port));
        if !self.conns.contains_key(&key) {
            if s.flags & (SYN | ACK | RST) != SYN {
                reset_for(out, key.0, key.1, s);
                return;
            }
            if a.restrict {
                return;
            }
            let Some(host) = super::udp::host_addr(a, dst) else {
                reset_for(out, key.0, key.1, s);
                return;
            };
            match sock::connect_nonblocking(SocketAddrV4::new(host, s.dst_port)) {
                Ok(sk) => {
                    let iss = self.next_isn();
                    let mut c = Conn::new(sk, Phase::Connecting, iss);
                    c.rcv_nxt = s.seq.wrapping_add(1);
                    c.snd_wnd = s.window as u32;
                    c.mss = s.mss.map_or(DEFAULT_MSS, |m| m.clamp(64, OUR_MSS) as usize);
                    self.conns.insert(key, c);
                }
                Err(e) => {
                    tracing::debug!(target: "unimp", "net: connect {host}:{}: {e}", s.dst_port);
                    reset_for(out, key.0, key.1, s);
                }
            }
            return;
        }
        let Some(c) = self.conns.get_mut(&key) else {
            return;
        };
        segment_arrives(&key, c, s, out);
        flush_to_host(&key, c, out);
        push(&key, c, out, self.big);
        if c.finished() {
            self.conns.remove(&key);
        }
    }

    /// hostfwd: a host connection to hand to the guest at `guest`.
    pub fn connect_guest(
        &mut self,
        sock: TcpStream,
        from: (Ipv4Addr, u16),
        guest: (Ipv4Addr, u16),
        out: &mut Emit,
    ) {
        if sock.set_nonblocking(true).is_err() {
            return;
        }
        let key: Key = (guest, from);
        if self.conns.contains_key(&key) {
            return; // the same host port twice: the old one is still open
        }
        let iss = self.next_isn();
        let mut c = Conn::new(sock, Phase::SynSent, iss);
        c.forwarded = true;
        emit(out, &key, &mut c, iss, SYN, &[]);
        c.snd_nxt = iss.wrapping_add(1);
        c.rtx_at = Some(Instant::now() + RTO);
        self.conns.insert(key, c);
    }

    /// `info usernet` rows: source is the side that connected (the
    /// guest, or for a hostfwd connection the host peer as the guest sees
    /// it); RecvQ the host's bytes the guest has not acknowledged, SendQ
    /// the guest's bytes not yet written to the host socket.
    pub fn rows(&self, out: &mut Vec<super::info::NatRow>) {
        let mut v: Vec<_> = self.conns.iter().filter(|(_, c)| !c.dead).collect();
        v.sort_by_key(|(k, _)| **k);
        for ((guest, remote), c) in v {
            let (src, dst) = if c.forwarded {
                (remote, guest)
            } else {
                (guest, remote)
            };
            out.push(super::info::NatRow {
                proto: "TCP",
                state: c.state().to_string(),
                src: super::info::end(src.0, src.1),
                dst: super::info::end(dst.0, dst.1),
                recv_q: c.unacked.len(),
                send_q: c.to_host.len(),
            });
        }
    }

    /// The sockets to poll, with the events each waits for.
    pub fn fds(&self) -> Vec<(i32, i16, Key)> {
        self.conns
            .iter()
            .filter_map(|(k, c)| {
                let mut ev = 0;
                match c.phase {
                    Phase::Connecting => ev |= libc::POLLOUT,
                    Phase::Open => {
                        if !c.host_eof
                            && c.window_room() > 0
                            && c.unacked.len() < c.snd_wnd as usize
                        {
                            ev |= libc::POLLIN;
                        }
                        if !c.to_host.is_empty() {
                            ev |= libc::POLLOUT;
                        }
                    }
                    _ => {}
                }
                (ev != 0).then(|| (c.sock.as_raw_fd(), ev, *k))
            })
            .collect()
    }

    /// The host socket of `key` is ready.
    pub fn ready(&mut self, key: &Key, revents: i16, out: &mut Emit) {
        let Some(c) = self.conns.get_mut(key) else {
            return;
        };
        if c.phase == Phase::Connecting {
            if revents & (libc::POLLOUT | libc::POLLERR | libc::POLLHUP) == 0 {
                return;
            }
            match c.sock.take_error() {
                Ok(None) => {
                    emit(out, key, c, c.iss, SYN | ACK, &[]);
                    c.snd_nxt = c.iss.wrapping_add(1);
                    c.phase = Phase::SynRcvd;
                    c.rtx_at = Some(Instant::now() + RTO);
                }
                _ => {
                    emit(out, key, c, 0, RST | ACK, &[]);
                    c.dead = true;
                }
            }
        } else {
            if revents & (libc::POLLIN | libc::POLLHUP | libc::POLLERR) != 0 {
                read_host(key, c, out);
            }
            flush_to_host(key, c, out);
            push(key, c, out, self.big);
        }
        if c.finished() {
            self.conns.remove(key);
        }
    }

    /// Retransmissions due; returns the time until the next one. While
    /// `backlog` (frames the guest has not taken yet) nothing is resent:
    /// the guest has not seen what is in flight.
    pub fn timers(&mut self, now: Instant, backlog: bool, out: &mut Emit) -> Option<Duration> {
        let mut next: Option<Duration> = None;
        let big = self.big;
        for (k, c) in self.conns.iter_mut() {
            let Some(at) = c.rtx_at else { continue };
            if backlog && at <= now {
                c.rtx_at = Some(now + RTO);
            }
            let Some(at) = c.rtx_at else { continue };
            if at > now {
                next = Some(next.map_or(at - now, |n| n.min(at - now)));
                continue;
            }
            c.tries += 1;
            if c.tries > MAX_TRIES {
                emit(out, k, c, c.snd_nxt, RST | ACK, &[]);
                c.dead = true;
                continue;
            }
            match c.phase {
                Phase::SynRcvd => emit(out, k, c, c.iss, SYN | ACK, &[]),
                Phase::SynSent => emit(out, k, c, c.iss, SYN, &[]),
                Phase::Open => {
                    // Go back to the first unacknowledged byte.
                    if c.fin_sent && !c.fin_acked() {
                        c.fin_sent = false;
                    }
                    c.snd_nxt = c.snd_una;
                    push(k, c, out, big);
                }
                Phase::Connecting => {}
            }
            // Exponential backoff: 1, 2, 4... seconds.
            let wait = RTO * (1 << c.tries.min(6));
            c.rtx_at = Some(now + wait);
            next = Some(next.map_or(wait, |n| n.min(wait)));
        }
        self.conns.retain(|_, c| !c.dead);
        next
    }
}

/// Handles one segment for an existing connection.
fn segment_arrives(key: &Key, c: &mut Conn, s: &Segment, out: &mut Emit) {
    if s.flags & RST != 0 {
        // Accept a RST in the window (RFC 5961's check, loosely).
        if c.phase == Phase::SynSent || s.seq == c.rcv_nxt || c.phase == Phase::Connecting {
            sock::abort_on_close(&c.sock);
            c.dead = true;
        }
        return;
    }
    match c.phase {
        Phase::Connecting => return, // a repeated SYN: the connect goes on
        Phase::SynSent => {
            if s.flags & (SYN | ACK) == SYN | ACK && s.ack == c.snd_nxt {
                c.rcv_nxt = s.seq.wrapping_add(1);
                c.snd_una = s.ack;
                c.snd_wnd = s.window as u32;
                c.mss = s.mss.map_or(DEFAULT_MSS, |m| m.clamp(64, OUR_MSS) as usize);
                c.phase = Phase::Open;
                c.rtx_at = None;
                c.tries = 0;
                c.need_ack = true;
            } else if s.flags & ACK != 0 && s.ack != c.snd_nxt {
                reset_for(out, key.0, key.1, s);
            }
            return;
        }
        Phase::SynRcvd => {
            if s.flags & SYN != 0 {
                emit(out, key, c, c.iss, SYN | ACK, &[]);
                return;
            }
            if s.flags & ACK == 0 {
                return;
            }
            if s.ack != c.snd_nxt {
                reset_for(out, key.0, key.1, s);
                return;
            }
            c.phase = Phase::Open;
            c.snd_una = s.ack;
            c.rtx_at = None;
            c.tries = 0;
        }
        Phase::Open => {
            if s.flags & SYN != 0 {
                c.need_ack = true;
                return;
            }
        }
    }
    if s.flags & ACK != 0 {
        if lt(c.snd_una, s.ack) && !lt(c.snd_nxt, s.ack) {
            let n = s.ack.wrapping_sub(c.snd_una) as usize;
            let data = n.min(c.unacked.len());
            c.unacked.drain(..data);
            c.snd_una = s.ack;
            c.tries = 0;
            c.rtx_at = (c.snd_una != c.snd_nxt).then(|| Instant::now() + RTO);
        }
        if !lt(s.ack, c.snd_una) {
            c.snd_wnd = s.window as u32;
        }
    }
    // Data and FIN, in order only (the link keeps order; anything else
    // is a duplicate and gets an ACK).
    let mut data = s.data;
    let mut seq = s.seq;
    if lt(seq, c.rcv_nxt) {
        let skip = c.rcv_nxt.wrapping_sub(seq) as usize;
        if skip > data.len() || (skip == data.len() && s.flags & FIN == 0) {
            if !data.is_empty() || s.flags & FIN != 0 {
                c.need_ack = true;
            }
            return;
        }
        data = &data[skip.min(data.len())..];
        seq = c.rcv_nxt;
    }
    if seq != c.rcv_nxt {
        c.need_ack = true;
        return;
    }
    if c.guest_fin {
        if !data.is_empty() {
            c.need_ack = true;
        }
        return;
    }
    let room = TO_HOST_CAP - c.to_host.len();
    let take = data.len().min(room);
    c.to_host.extend(&data[..take]);
    c.rcv_nxt = c.rcv_nxt.wrapping_add(take as u32);
    // Every data segment is answered, a zero-window probe (nothing
    // taken) too: the ACK tells the guest the window is still shut.
    if !data.is_empty() {
        c.need_ack = true;
    }
    if s.flags & FIN != 0 && take == data.len() {
        c.rcv_nxt = c.rcv_nxt.wrapping_add(1);
        c.guest_fin = true;
        c.need_ack = true;
    }
}

/// Reads from the host socket as far as the guest's window allows.
fn read_host(key: &Key, c: &mut Conn, out: &mut Emit) {
    if c.phase != Phase::Open || c.host_eof {
        return;
    }
    let room = (c.snd_wnd as usize).saturating_sub(c.unacked.len());
    if room == 0 {
        return;
    }
    let mut buf = vec![0u8; room.min(65536)];
    match c.sock.read(&mut buf) {
        Ok(0) => c.host_eof = true,
        Ok(n) => c.unacked.extend(&buf[..n]),
        Err(e) if e.kind() == ErrorKind::WouldBlock || e.kind() == ErrorKind::Interrupted => {}
        Err(_) => {
            emit(out, key, c, c.snd_nxt, RST | ACK, &[]);
            c.dead = true;
        }
    }
}

/// Writes buffered guest data to the host; shuts the host side down
/// after the guest's FIN; sends a window update when room opened up.
fn flush_to_host(key: &Key, c: &mut Conn, out: &mut Emit) {
    if c.phase != Phase::Open || c.dead {
        return;
    }
    while !c.to_host.is_empty() {
        let (a, _) = c.to_host.as_slices();
        match c.sock.write(a) {
            Ok(0) => break,
            Ok(n) => {
                c.to_host.drain(..n);
            }
            Err(e) if e.kind() == ErrorKind::WouldBlock || e.kind() == ErrorKind::Interrupted => {
                break
            }
            Err(_) => {
                emit(out, key, c, c.snd_nxt, RST | ACK, &[]);
                c.dead = true;
                return;
            }
        }
    }
    if c.guest_fin && c.to_host.is_empty() && !c.host_shut {
        let _ = c.sock.shutdown(Shutdown::Write);
        c.host_shut = true;
    }
    let w = c.window() as usize;
    let last = c.last_wnd as usize;
    if w > last && (w - last >= 2 * c.mss || last < c.mss) {
        c.need_ack = true;
    }
}

/// Sends what the guest's window takes (in MSS-sized segments, or
/// frames of up to 64 KiB when `big`), then FIN or a bare ACK if due.
fn push(key: &Key, c: &mut Conn, out: &mut Emit, big: bool) {
    if c.phase != Phase::Open || c.dead {
        return;
    }
    let mut sent_any = false;
    loop {
        let sent = c.sent_data();
        let unsent = c.unacked.len().saturating_sub(sent);
        let limit = if big {
            BIG_SEGMENT / c.mss * c.mss
        } else {
            c.mss
        };
        let n = unsent.min(limit).min(c.window_room());
        if n == 0 || c.fin_sent {
            break;
        }
        let chunk: Vec<u8> = c.unacked.range(sent..sent + n).copied().collect();
        let seq = c.snd_nxt;
        emit(out, key, c, seq, ACK | PSH, &chunk);
        c.snd_nxt = c.snd_nxt.wrapping_add(n as u32);
        sent_any = true;
    }
    if c.host_eof && !c.fin_sent && c.sent_data() == c.unacked.len() {
        let seq = c.snd_nxt;
        emit(out, key, c, seq, FIN | ACK, &[]);
        c.snd_nxt = c.snd_nxt.wrapping_add(1);
        c.fin_sent = true;
        sent_any = true;
    }
    if c.need_ack && !sent_any {
        let seq = c.snd_nxt;
        emit(out, key, c, seq, ACK, &[]);
    }
    c.need_ack = false;
    if c.snd_una != c.snd_nxt && c.rtx_at.is_none() {
        c.rtx_at = Some(Instant::now() + RTO);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::net::NetdevSpec;
    use std::net::TcpListener;

    const GUEST: (Ipv4Addr, u16) = (Ipv4Addr::new(10, 0, 2, 15), 40000);

    fn seg(
        from: (Ipv4Addr, u16),
        to: (Ipv4Addr, u16),
        seq: u32,
        ack: u32,
        flags: u8,
        win: u16,
        data: &[u8],
    ) -> Vec<u8> {
        build(from, to, seq, ack, flags, win, data)
    }

    /// Polls the connection's socket once (up to 2 s) and handles it.
    fn pump(nat: &mut TcpNat, out: &mut Emit) {
        for (fd, ev, k) in nat.fds() {
            let mut p = libc::pollfd {
                fd,
                events: ev,
                revents: 0,
            };
            // SAFETY: one live pollfd.
            if unsafe { libc::poll(&mut p, 1, 2000) } == 1 {
                nat.ready(&k, p.revents, out);
            }
        }
    }

    fn parsed(out: &Emit) -> Vec<(u32, u32, u8, usize, Vec<u8>)> {
        out.iter()
            .map(|(s, d, b, _)| {
                let p = parse(*s, *d, b).expect("valid segment");
                (p.seq, p.ack, p.flags, p.data.len(), p.data.to_vec())
            })
            .collect()
    }

    #[test]
    fn respects_the_guest_window_and_closes_both_ways() {
        let a = super::super::user::Addrs::new(&NetdevSpec::new("t")).unwrap();
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let remote = (a.gateway, l.local_addr().unwrap().port());
        let mut nat = TcpNat::default();
        let mut out = Vec::new();
        let input = |nat: &mut TcpNat, out: &mut Emit, b: Vec<u8>| {
            let s = parse(GUEST.0, remote.0, &b).unwrap();
            nat.input(&a, GUEST.0, remote.0, &s, out);
        };
        // SYN with a 1000-byte window and MSS 300.
        let mut syn = seg(GUEST, remote, 5000, 0, SYN, 1000, &[]);
        syn[12] = 6 << 4;
        syn.truncate(20);
        syn.extend_from_slice(&[2, 4, 1, 44]); // MSS 300
        syn[16] = 0;
        syn[17] = 0;
        let c = ipv4::l4_checksum(GUEST.0, remote.0, PROTO_TCP, &syn);
        syn[16..18].copy_from_slice(&c.to_be_bytes());
        input(&mut nat, &mut out, syn);
        let (mut host, _) = l.accept().unwrap();
        pump(&mut nat, &mut out);
        let p = parsed(&out);
        assert_eq!(p.len(), 1);
        assert_eq!(p[0].2, SYN | ACK);
        assert_eq!(p[0].1, 5001);
        let iss = p[0].0;
        out.clear();
        // ACK with data for the host.
        input(
            &mut nat,
            &mut out,
            seg(GUEST, remote, 5001, iss + 1, ACK | PSH, 1000, b"hello host"),
        );
        let mut b = [0u8; 64];
        let n = host.read(&mut b).unwrap();
        assert_eq!(&b[..n], b"hello host");
        assert!(
            parsed(&out).iter().any(|s| s.1 == 5011 && s.2 & ACK != 0),
            "data acknowledged"
        );
        out.clear();
        // 5000 bytes from the host: only 1000 (the window) in 300-byte
        // segments until the guest acknowledges.
        let data: Vec<u8> = (0..5000u32).map(|i| i as u8).collect();
        host.write_all(&data).unwrap();
        std::thread::sleep(Duration::from_millis(50));
        pump(&mut nat, &mut out);
        let p = parsed(&out);
        assert!(p.iter().all(|s| s.3 <= 300), "segments of the guest's MSS");
        assert_eq!(p.iter().map(|s| s.3).sum::<usize>(), 1000, "one window");
        out.clear();
        pump(&mut nat, &mut out);
        assert!(out.is_empty(), "nothing beyond the window");
        // Acknowledge with a zero window: still nothing; then open it.
        let mut got = Vec::new();
        for s in &p {
            got.extend_from_slice(&s.4);
        }
        input(
            &mut nat,
            &mut out,
            seg(GUEST, remote, 5011, iss + 1 + 1000, ACK, 0, &[]),
        );
        pump(&mut nat, &mut out);
        assert!(out.is_empty(), "zero window");
        let mut next = iss + 1 + 1000;
        while got.len() < 5000 {
            input(
                &mut nat,
                &mut out,
                seg(GUEST, remote, 5011, next, ACK, 4000, &[]),
            );
            pump(&mut nat, &mut out);
            let p = parsed(&out);
            out.clear();
            assert!(!p.is_empty(), "more data after the window opened");
            for s in &p {
                assert_eq!(s.0, next, "in order, no gaps");
                next = next.wrapping_add(s.3 as u32);
                got.extend_from_slice(&s.4);
            }
        }
        assert_eq!(got, data);
        // Host closes: FIN after the last byte.
        host.shutdown(Shutdown::Write).unwrap();
        input(
            &mut nat,
            &mut out,
            seg(GUEST, remote, 5011, next, ACK, 4000, &[]),
        );
        pump(&mut nat, &mut out);
        let p = parsed(&out);
        out.clear();
        assert!(
            p.iter().any(|s| s.2 & FIN != 0 && s.0 == next),
            "FIN: {p:?}"
        );
        // Guest acknowledges the FIN and sends its own.
        input(
            &mut nat,
            &mut out,
            seg(GUEST, remote, 5011, next + 1, ACK | FIN, 4000, &[]),
        );
        assert!(
            parsed(&out).iter().any(|s| s.1 == 5012),
            "guest FIN acknowledged"
        );
        assert_eq!(host.read(&mut b).unwrap(), 0, "the host sees EOF");
        assert!(nat.is_empty(), "connection gone after both FINs");
        // A segment for no connection is answered with RST.
        out.clear();
        input(
            &mut nat,
            &mut out,
            seg(GUEST, remote, 1, 77, ACK, 100, b"x"),
        );
        let p = parsed(&out);
        assert_eq!((p[0].0, p[0].2), (77, RST));
    }
}
