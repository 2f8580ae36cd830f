//! The virtual DNS server at 10.0.2.3 (RFC 1035 messages over UDP).
//!
//! A/AAAA questions are answered through the host's resolver: the name
//! goes to getaddrinfo(3) on a short-lived thread (so /etc/hosts names
//! such as `localhost` resolve as they do for host programs, and a slow
//! upstream server never stalls the network loop), and the addresses come
//! back as the answer. A name the host does not know is NXDOMAIN; other
//! resolver failures SERVFAIL; other question types NOTIMP.

use std::ffi::CString;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::Arc;

pub const PORT: u16 = 53;
const TYPE_A: u16 = 1;
const TYPE_AAAA: u16 = 28;
const CLASS_IN: u16 = 1;
const RCODE_FORMERR: u8 = 1;
const RCODE_SERVFAIL: u8 = 2;
const RCODE_NXDOMAIN: u8 = 3;
const RCODE_NOTIMP: u8 = 4;
const TTL: u32 = 60;
/// Lookups in flight at once; more are answered SERVFAIL.
const MAX_PENDING: usize = 32;

/// One question from the guest.
#[derive(Debug, Clone)]
pub struct Query {
    id: u16,
    rd: bool,
    /// The question section as sent (name, type, class).
    question: Vec<u8>,
    name: String,
    qtype: u16,
    qclass: u16,
    /// Where the answer goes: the guest's address and port.
    pub from: (Ipv4Addr, u16),
}

/// Parses a query; Err holds a ready FORMERR/NOTIMP answer (or nothing
/// to answer at all).
pub fn parse(msg: &[u8], from: (Ipv4Addr, u16)) -> Result<Query, Option<Vec<u8>>> {
    if msg.len() < 12 {
        return Err(None);
    }
    let id = u16::from_be_bytes([msg[0], msg[1]]);
    let flags = u16::from_be_bytes([msg[2], msg[3]]);
    if flags & 0x8000 != 0 {
        return Err(None); // a response: not for us
    }
    let rd = flags & 0x0100 != 0;
    let header_only = |rcode| Some(header(id, rd, rcode, 0, 0));
    let opcode = (flags >> 11) & 15;
    let qd = u16::from_be_bytes([msg[4], msg[5]]);
    if opcode != 0 {
        return Err(header_only(RCODE_NOTIMP));
    }
    if qd != 1 {
        return Err(header_only(RCODE_FORMERR));
    }
    let mut i = 12;
    let mut labels = Vec::new();
    loop {
        let Some(&len) = msg.get(i) else {
            return Err(header_only(RCODE_FORMERR));
        };
        i += 1;
        if len == 0 {
            break;
        }
        // Compression pointers and extended labels have no place in a
        // question that starts right after the header.
        if len & 0xc0 != 0 || i + len as usize > msg.len() {
            return Err(header_only(RCODE_FORMERR));
        }
        let l = &msg[i..i + len as usize];
        if l.contains(&0) || l.contains(&b'.') || !l.is_ascii() {
            return Err(header_only(RCODE_FORMERR));
        }
        labels.push(String::from_utf8_lossy(l).into_owned());
        i += len as usize;
    }
    if i + 4 > msg.len() || i - 12 > 255 {
        return Err(header_only(RCODE_FORMERR));
    }
    let qtype = u16::from_be_bytes([msg[i], msg[i + 1]]);
    let qclass = u16::from_be_bytes([msg[i + 2], msg[i + 3]]);
    Ok(Query {
        id,
        rd,
        question: msg[12..i + 4].to_vec(),
        name: labels.join("."),
        qtype,
        qclass,
        from,
    })
}

fn header(id: u16, rd: bool, rcode: u8, qd: u16, an: u16) -> Vec<u8> {
    let mut h = Vec::with_capacity(512);
    h.extend_from_slice(&id.to_be_bytes());
    // QR, RD as asked, RA (the host resolver recurses), rcode.
    h.push(0x80 | if rd { 1 } else { 0 });
    h.push(0x80 | rcode);
    h.extend_from_slice(&qd.to_be_bytes());
    h.extend_from_slice(&an.to_be_bytes());
    h.extend_from_slice(&[0, 0, 0, 0]);
    h
}

/// The answer to `q` from a lookup's result (Err: an rcode).
pub fn answer(q: &Query, result: Result<Vec<IpAddr>, u8>) -> Vec<u8> {
    let (rcode, addrs) = match result {
        Ok(a) => (0, a),
        Err(r) => (r, Vec::new()),
    };
    let mut rdata: Vec<Vec<u8>> = addrs
        .iter()
        .filter_map(|a| match (a, q.qtype) {
            (IpAddr::V4(v4), TYPE_A) => Some(v4.octets().to_vec()),
            (IpAddr::V6(v6), TYPE_AAAA) => Some(v6.octets().to_vec()),
            _ => None,
        })
        .collect();
    rdata.dedup();
    // Stay within a 512-byte UDP message.
    let per = 12 + rdata.first().map_or(0, |r| r.len());
    let room = (512usize.saturating_sub(12 + q.question.len())) / per.max(1);
    rdata.truncate(room);
    let mut m = header(q.id, q.rd, rcode, 1, rdata.len() as u16);
    m.extend_from_slice(&q.question);
    for r in &rdata {
        m.extend_from_slice(&[0xc0, 12]); // the name: pointer to the question
        m.extend_from_slice(&q.qtype.to_be_bytes());
        m.extend_from_slice(&CLASS_IN.to_be_bytes());
        m.extend_from_slice(&TTL.to_be_bytes());
        m.extend_from_slice(&(r.len() as u16).to_be_bytes());
        m.extend_from_slice(r);
    }
    m
}

/// The host's addresses for `name` (getaddrinfo, any family).
fn lookup(name: &str) -> Result<Vec<IpAddr>, u8> {
    let Ok(c) = CString::new(name) else {
        return Err(RCODE_FORMERR);
    };
    // SAFETY: an all-zero addrinfo is a valid "no hints" value.
    let mut hints: libc::addrinfo = unsafe { std::mem::zeroed() };
    hints.ai_family = libc::AF_UNSPEC;
    hints.ai_socktype = libc::SOCK_STREAM;
    let mut res: *mut libc::addrinfo = std::ptr::null_mut();
    // SAFETY: valid C string, hints and out pointer.
    let r = unsafe { libc::getaddrinfo(c.as_ptr(), std::ptr::null(), &hints, &mut res) };
    if r != 0 {
        return Err(if r == libc::EAI_NONAME {
            RCODE_NXDOMAIN
        } else {
            RCODE_SERVFAIL
        });
    }
    let mut out = Vec::new();
    let mut p = res;
    while !p.is_null() {
        // SAFETY: `p` walks the list getaddrinfo returned; each ai_addr
        // holds a sockaddr of the family it says.
        unsafe {
            let ai = &*p;
            if ai.ai_family == libc::AF_INET && !ai.ai_addr.is_null() {
                let sa = &*(ai.ai_addr as *const libc::sockaddr_in);
                out.push(IpAddr::V4(Ipv4Addr::from(sa.sin_addr.s_addr.to_ne_bytes())));
            } else if ai.ai_family == libc::AF_INET6 && !ai.ai_addr.is_null() {
                let sa = &*(ai.ai_addr as *const libc::sockaddr_in6);
                out.push(IpAddr::V6(Ipv6Addr::from(sa.sin6_addr.s6_addr)));
            }
            p = ai.ai_next;
        }
    }
    // SAFETY: `res` came from a successful getaddrinfo.
    unsafe { libc::freeaddrinfo(res) };
    Ok(out)
}

/// Lookups on helper threads; answers come back through `done`.
pub struct Resolver {
    tx: Sender<(Query, Vec<u8>)>,
    rx: Receiver<(Query, Vec<u8>)>,
    pending: usize,
    wake: Arc<super::NicLink>,
}

impl Resolver {
    pub fn new(wake: Arc<super::NicLink>) -> Resolver {
        let (tx, rx) = channel();
        Resolver {
            tx,
            rx,
            pending: 0,
            wake,
        }
    }

    /// Starts answering `q`; an immediate answer is returned.
    pub fn ask(&mut self, q: Query) -> Option<(Query, Vec<u8>)> {
        if q.qclass != CLASS_IN || (q.qtype != TYPE_A && q.qtype != TYPE_AAAA) {
            let a = answer(&q, Err(RCODE_NOTIMP));
            return Some((q, a));
        }
        if self.pending >= MAX_PENDING {
            let a = answer(&q, Err(RCODE_SERVFAIL));
            return Some((q, a));
        }
        let tx = self.tx.clone();
        let link = self.wake.clone();
        let q2 = q.clone();
        let spawned = std::thread::Builder::new()
            .name("net-dns".into())
            .spawn(move || {
                let a = answer(&q2, lookup(&q2.name));
                let _ = tx.send((q2, a));
                link.waker.wake();
            });
        match spawned {
            Ok(_) => {
                self.pending += 1;
                None
            }
            Err(_) => {
                let a = answer(&q, Err(RCODE_SERVFAIL));
                Some((q, a))
            }
        }
    }

    /// Answers that are ready.
    pub fn done(&mut self) -> Vec<(Query, Vec<u8>)> {
        let v: Vec<_> = self.rx.try_iter().collect();
        self.pending -= v.len().min(self.pending);
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(name: &str, qtype: u16) -> Vec<u8> {
        let mut m = vec![0xab, 0xcd, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0];
        for l in name.split('.') {
            m.push(l.len() as u8);
            m.extend_from_slice(l.as_bytes());
        }
        m.push(0);
        m.extend_from_slice(&qtype.to_be_bytes());
        m.extend_from_slice(&CLASS_IN.to_be_bytes());
        m
    }

    #[test]
    fn answers_with_the_addresses_of_the_asked_type() {
        let from = (Ipv4Addr::new(10, 0, 2, 15), 4000);
        let q = parse(&query("example.test", TYPE_A), from).expect("parses");
        assert_eq!(q.name, "example.test");
        let a = answer(
            &q,
            Ok(vec![
                IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1)),
                IpAddr::V6(Ipv6Addr::LOCALHOST),
            ]),
        );
        assert_eq!(&a[0..2], &[0xab, 0xcd]);
        assert_eq!(a[3] & 15, 0, "NOERROR");
        assert_eq!(u16::from_be_bytes([a[6], a[7]]), 1, "one A record");
        assert_eq!(&a[a.len() - 4..], &[192, 0, 2, 1]);
        let nx = answer(&q, Err(RCODE_NXDOMAIN));
        assert_eq!(nx[3] & 15, RCODE_NXDOMAIN);
        assert_eq!(u16::from_be_bytes([nx[6], nx[7]]), 0);
        // A compression pointer in the question is malformed.
        let mut bad = query("a.b", TYPE_A);
        bad[12] = 0xc0;
        match parse(&bad, from) {
            Err(Some(e)) => assert_eq!(e[3] & 15, RCODE_FORMERR),
            _ => panic!("want FORMERR"),
        }
        assert!(parse(&[1, 2, 3], from).is_err());
    }

    #[test]
    fn localhost_resolves_through_the_host() {
        let got = lookup("localhost").expect("localhost resolves");
        assert!(got.contains(&IpAddr::V4(Ipv4Addr::LOCALHOST)), "{got:?}");
    }
}
