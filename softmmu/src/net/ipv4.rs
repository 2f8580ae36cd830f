//! IPv4 headers (RFC 791) and the Internet checksum (RFC 1071).

use std::net::Ipv4Addr;

pub const PROTO_ICMP: u8 = 1;
pub const PROTO_TCP: u8 = 6;
pub const PROTO_UDP: u8 = 17;

/// Adds `data` to a one's-complement sum (16-bit big-endian words).
pub fn sum(mut acc: u32, data: &[u8]) -> u32 {
    let mut chunks = data.chunks_exact(2);
    for c in &mut chunks {
        acc = acc.wrapping_add(u16::from_be_bytes([c[0], c[1]]) as u32);
        acc = (acc & 0xffff) + (acc >> 16);
    }
    if let [b] = chunks.remainder() {
        acc = acc.wrapping_add((*b as u32) << 8);
        acc = (acc & 0xffff) + (acc >> 16);
    }
    acc
}

/// The checksum field value for a sum.
pub fn fold(mut acc: u32) -> u16 {
    while acc >> 16 != 0 {
        acc = (acc & 0xffff) + (acc >> 16);
    }
    !(acc as u16)
}

pub fn checksum(data: &[u8]) -> u16 {
    fold(sum(0, data))
}

/// The TCP/UDP pseudo-header sum.
pub fn pseudo(src: Ipv4Addr, dst: Ipv4Addr, proto: u8, len: usize) -> u32 {
    let mut acc = sum(0, &src.octets());
    acc = sum(acc, &dst.octets());
    sum(acc, &[0, proto, (len >> 8) as u8, len as u8])
}

/// Checksum of a TCP/UDP segment with its pseudo-header; 0 when a
/// received segment's checksum is right.
pub fn l4_checksum(src: Ipv4Addr, dst: Ipv4Addr, proto: u8, seg: &[u8]) -> u16 {
    fold(sum(pseudo(src, dst, proto, seg.len()), seg))
}

pub struct Packet<'a> {
    pub src: Ipv4Addr,
    pub dst: Ipv4Addr,
    pub proto: u8,
    pub payload: &'a [u8],
}

/// A whole, unfragmented IPv4 packet with a valid header checksum;
/// None for anything else (fragments are not reassembled).
pub fn parse(p: &[u8]) -> Option<Packet<'_>> {
    if p.len() < 20 || p[0] >> 4 != 4 {
        return None;
    }
    let ihl = (p[0] & 15) as usize * 4;
    let total = u16::from_be_bytes([p[2], p[3]]) as usize;
    if ihl < 20 || total < ihl || total > p.len() || checksum(&p[..ihl]) != 0 {
        return None;
    }
    let frag = u16::from_be_bytes([p[6], p[7]]);
    if frag & 0x3fff != 0 {
        tracing::debug!(target: "unimp", "net: IPv4 fragment dropped");
        return None;
    }
    let ip = |o: usize| Ipv4Addr::new(p[o], p[o + 1], p[o + 2], p[o + 3]);
    Some(Packet {
        src: ip(12),
        dst: ip(16),
        proto: p[9],
        payload: &p[ihl..total],
    })
}

/// An IPv4 packet (no options, DF set, TTL 64).
pub fn build(src: Ipv4Addr, dst: Ipv4Addr, proto: u8, id: u16, payload: &[u8]) -> Vec<u8> {
    let total = 20 + payload.len();
    let mut p = Vec::with_capacity(total);
    p.extend_from_slice(&[0x45, 0]);
    p.extend_from_slice(&(total as u16).to_be_bytes());
    p.extend_from_slice(&id.to_be_bytes());
    p.extend_from_slice(&[0x40, 0, 64, proto, 0, 0]);
    p.extend_from_slice(&src.octets());
    p.extend_from_slice(&dst.octets());
    let c = checksum(&p[..20]);
    p[10..12].copy_from_slice(&c.to_be_bytes());
    p.extend_from_slice(payload);
    p
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_checksum_round_trip() {
        let p = build(
            Ipv4Addr::new(10, 0, 2, 2),
            Ipv4Addr::new(10, 0, 2, 15),
            PROTO_UDP,
            7,
            b"abc",
        );
        let q = parse(&p).expect("parses");
        assert_eq!(q.payload, b"abc");
        assert_eq!(q.dst, Ipv4Addr::new(10, 0, 2, 15));
        let mut bad = p.clone();
        bad[8] = 1; // TTL changed, checksum not
        assert!(parse(&bad).is_none());
        // RFC 1071's example words.
        assert_eq!(
            fold(sum(0, &[0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7])),
            !0xddf2
        );
    }
}
