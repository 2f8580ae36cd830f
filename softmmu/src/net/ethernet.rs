//! Ethernet II frames and ARP (RFC 826) for IPv4 over Ethernet.

use std::net::Ipv4Addr;

pub type Mac = [u8; 6];
pub const BROADCAST: Mac = [0xff; 6];
pub const ETH_HLEN: usize = 14;
pub const TYPE_IPV4: u16 = 0x0800;
pub const TYPE_ARP: u16 = 0x0806;

/// The parts of a frame the backend looks at.
pub struct Frame<'a> {
    pub dst: Mac,
    pub src: Mac,
    pub ethertype: u16,
    pub payload: &'a [u8],
}

pub fn parse(f: &[u8]) -> Option<Frame<'_>> {
    if f.len() < ETH_HLEN {
        return None;
    }
    Some(Frame {
        dst: f[0..6].try_into().ok()?,
        src: f[6..12].try_into().ok()?,
        ethertype: u16::from_be_bytes([f[12], f[13]]),
        payload: &f[ETH_HLEN..],
    })
}

pub fn build(dst: Mac, src: Mac, ethertype: u16, payload: &[u8]) -> Vec<u8> {
    let mut f = Vec::with_capacity(ETH_HLEN + payload.len());
    f.extend_from_slice(&dst);
    f.extend_from_slice(&src);
    f.extend_from_slice(&ethertype.to_be_bytes());
    f.extend_from_slice(payload);
    // Short frames are padded to the 60-byte minimum, as a NIC does.
    if f.len() < 60 {
        f.resize(60, 0);
    }
    f
}

pub const ARP_REQUEST: u16 = 1;
pub const ARP_REPLY: u16 = 2;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Arp {
    pub op: u16,
    pub sha: Mac,
    pub spa: Ipv4Addr,
    pub tha: Mac,
    pub tpa: Ipv4Addr,
}

/// An Ethernet/IPv4 ARP packet; None for other hardware/protocol types.
pub fn parse_arp(p: &[u8]) -> Option<Arp> {
    if p.len() < 28 || p[0..6] != [0, 1, 8, 0, 6, 4] {
        return None;
    }
    let ip = |o: usize| Ipv4Addr::new(p[o], p[o + 1], p[o + 2], p[o + 3]);
    Some(Arp {
        op: u16::from_be_bytes([p[6], p[7]]),
        sha: p[8..14].try_into().ok()?,
        spa: ip(14),
        tha: p[18..24].try_into().ok()?,
        tpa: ip(24),
    })
}

pub fn build_arp(a: &Arp) -> Vec<u8> {
    let mut p = vec![0, 1, 8, 0, 6, 4];
    p.extend_from_slice(&a.op.to_be_bytes());
    p.extend_from_slice(&a.sha);
    p.extend_from_slice(&a.spa.octets());
    p.extend_from_slice(&a.tha);
    p.extend_from_slice(&a.tpa.octets());
    p
}
