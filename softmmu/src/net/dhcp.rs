//! The virtual DHCP server (RFC 2131, options RFC 2132): leases from the
//! first DHCP address (10.0.2.15) up, one per guest MAC, 16 at most, for
//! a day; the router is the gateway and the DNS server the virtual one.

use super::ethernet::Mac;
use super::user::Addrs;
use std::net::Ipv4Addr;

pub const SERVER_PORT: u16 = 67;
pub const CLIENT_PORT: u16 = 68;
const COOKIE: [u8; 4] = [99, 130, 83, 99];
const MAX_LEASES: usize = 16;
const LEASE_SECS: u32 = 86400;

const DISCOVER: u8 = 1;
const OFFER: u8 = 2;
const REQUEST: u8 = 3;
const ACK: u8 = 5;
const NAK: u8 = 6;

const OPT_MASK: u8 = 1;
const OPT_ROUTER: u8 = 3;
const OPT_DNS: u8 = 6;
const OPT_REQUESTED_IP: u8 = 50;
const OPT_LEASE: u8 = 51;
const OPT_TYPE: u8 = 53;
const OPT_SERVER_ID: u8 = 54;
const OPT_END: u8 = 255;
const OPT_PAD: u8 = 0;

#[derive(Default)]
pub struct Leases {
    macs: Vec<Mac>,
}

impl Leases {
    fn lease(&mut self, a: &Addrs, mac: Mac) -> Option<Ipv4Addr> {
        let i = match self.macs.iter().position(|m| *m == mac) {
            Some(i) => i,
            None if self.macs.len() < MAX_LEASES => {
                self.macs.push(mac);
                self.macs.len() - 1
            }
            None => return None,
        };
        let ip = u32::from(a.dhcp_start).wrapping_add(i as u32);
        Some(Ipv4Addr::from(ip))
    }
}

/// A reply to send: the BOOTP payload, and whether it is broadcast.
pub struct Reply {
    pub payload: Vec<u8>,
    pub to: Ipv4Addr,
    /// The address the guest now has (for host forwarding).
    pub leased: Option<Ipv4Addr>,
}

fn options(msg: &[u8]) -> impl Iterator<Item = (u8, &[u8])> {
    let mut i = 240;
    std::iter::from_fn(move || loop {
        let code = *msg.get(i)?;
        match code {
            OPT_PAD => i += 1,
            OPT_END => return None,
            _ => {
                let len = *msg.get(i + 1)? as usize;
                let v = msg.get(i + 2..i + 2 + len)?;
                i += 2 + len;
                return Some((code, v));
            }
        }
    })
}

fn ip_of(v: &[u8]) -> Option<Ipv4Addr> {
    (v.len() == 4).then(|| Ipv4Addr::new(v[0], v[1], v[2], v[3]))
}

/// Handles a client message (UDP payload to port 67).
pub fn handle(a: &Addrs, leases: &mut Leases, msg: &[u8]) -> Option<Reply> {
    if msg.len() < 240 || msg[0] != 1 || msg[1] != 1 || msg[2] != 6 || msg[236..240] != COOKIE {
        return None;
    }
    let mac: Mac = msg[28..34].try_into().ok()?;
    let ciaddr = ip_of(&msg[12..16])?;
    let mut kind = None;
    let mut requested = None;
    let mut server = None;
    for (code, v) in options(msg) {
        match code {
            OPT_TYPE if v.len() == 1 => kind = Some(v[0]),
            OPT_REQUESTED_IP => requested = ip_of(v),
            OPT_SERVER_ID => server = ip_of(v),
            _ => {}
        }
    }
    let (reply, yiaddr) = match kind? {
        DISCOVER => (OFFER, leases.lease(a, mac)?),
        REQUEST => {
            if server.is_some_and(|s| s != a.gateway) {
                return None; // the client chose another server
            }
            let want = requested.unwrap_or(ciaddr);
            match leases.lease(a, mac) {
                Some(ip) if ip == want => (ACK, ip),
                _ => (NAK, Ipv4Addr::UNSPECIFIED),
            }
        }
        _ => return None, // RELEASE, DECLINE, INFORM: nothing to answer
    };
    let mut r = vec![0u8; 240];
    r[0] = 2; // BOOTREPLY
    r[1] = 1;
    r[2] = 6;
    r[4..8].copy_from_slice(&msg[4..8]); // xid
    r[10..12].copy_from_slice(&msg[10..12]); // flags
    r[16..20].copy_from_slice(&yiaddr.octets());
    r[20..24].copy_from_slice(&a.gateway.octets()); // siaddr
    r[28..44].copy_from_slice(&msg[28..44]); // chaddr
    r[236..240].copy_from_slice(&COOKIE);
    let mut opt = |code: u8, v: &[u8]| {
        r.push(code);
        r.push(v.len() as u8);
        r.extend_from_slice(v);
    };
    opt(OPT_TYPE, &[reply]);
    opt(OPT_SERVER_ID, &a.gateway.octets());
    if reply != NAK {
        opt(OPT_LEASE, &LEASE_SECS.to_be_bytes());
        opt(OPT_MASK, &a.mask.octets());
        opt(OPT_ROUTER, &a.gateway.octets());
        opt(OPT_DNS, &a.dns.octets());
    }
    r.push(OPT_END);
    // BOOTP's minimum message size.
    if r.len() < 300 {
        r.resize(300, 0);
    }
    let to = if ciaddr.is_unspecified() || reply == NAK {
        Ipv4Addr::BROADCAST
    } else {
        ciaddr
    };
    Some(Reply {
        payload: r,
        to,
        leased: (reply == ACK).then_some(yiaddr),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(kind: u8, mac: Mac, extra: &[(u8, Vec<u8>)]) -> Vec<u8> {
        let mut m = vec![0u8; 240];
        m[0] = 1;
        m[1] = 1;
        m[2] = 6;
        m[4..8].copy_from_slice(&[1, 2, 3, 4]);
        m[28..34].copy_from_slice(&mac);
        m[236..240].copy_from_slice(&COOKIE);
        m.extend_from_slice(&[OPT_TYPE, 1, kind]);
        for (c, v) in extra {
            m.push(*c);
            m.push(v.len() as u8);
            m.extend_from_slice(v);
        }
        m.push(OPT_END);
        m
    }

    fn reply_type(r: &Reply) -> Option<u8> {
        options(&r.payload)
            .find(|(c, _)| *c == OPT_TYPE)
            .map(|(_, v)| v[0])
    }

    #[test]
    fn offers_and_acks_the_first_address_per_mac() {
        let a = Addrs::new(&super::super::NetdevSpec::new("n")).unwrap();
        let mut l = Leases::default();
        let m1 = [0x52, 0x54, 0, 0x12, 0x34, 0x56];
        let r = handle(&a, &mut l, &request(DISCOVER, m1, &[])).expect("offer");
        assert_eq!(reply_type(&r), Some(OFFER));
        assert_eq!(&r.payload[16..20], &[10, 0, 2, 15]);
        assert_eq!(&r.payload[4..8], &[1, 2, 3, 4]);
        let ok = handle(
            &a,
            &mut l,
            &request(REQUEST, m1, &[(OPT_REQUESTED_IP, vec![10, 0, 2, 15])]),
        )
        .expect("ack");
        assert_eq!(reply_type(&ok), Some(ACK));
        assert_eq!(ok.leased, Some(Ipv4Addr::new(10, 0, 2, 15)));
        let routers: Vec<_> = options(&ok.payload)
            .filter(|(c, _)| *c == OPT_ROUTER)
            .collect();
        assert_eq!(routers, vec![(OPT_ROUTER, &[10u8, 0, 2, 2][..])]);
        let nak = handle(
            &a,
            &mut l,
            &request(REQUEST, m1, &[(OPT_REQUESTED_IP, vec![10, 0, 2, 99])]),
        )
        .expect("nak");
        assert_eq!(reply_type(&nak), Some(NAK));
        let m2 = [0x52, 0x54, 0, 0x12, 0x34, 0x57];
        let r2 = handle(&a, &mut l, &request(DISCOVER, m2, &[])).expect("offer");
        assert_eq!(&r2.payload[16..20], &[10, 0, 2, 16]);
        assert!(handle(&a, &mut l, &[1, 2, 3]).is_none(), "truncated");
    }
}
