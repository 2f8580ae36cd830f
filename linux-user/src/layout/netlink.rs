//! Netlink messages between host and guest byte order.
//!
//! A netlink buffer is a sequence of messages, each a `struct nlmsghdr`
//! (`u32 len; u16 type; u16 flags; u32 seq; u32 pid`) and a payload padded
//! to 4 bytes. Every integer is in the machine's byte order, so a
//! big-endian guest needs each field swapped; the sizes and alignment are
//! the same in every ABI (all fields are at most 4 bytes wide except the
//! 64-bit statistics, which are 8-byte fields at 4-byte-aligned offsets),
//! so conversion keeps the length. Converted here for `NETLINK_ROUTE`:
//! `NLMSG_ERROR`/`NLMSG_DONE`, `ifinfomsg` (links), `ifaddrmsg`
//! (addresses), `rtmsg` (routes) and their `rtattr` lists, with the
//! integer attributes `ip` and friends use; other attributes are bytes
//! (names, addresses) and pass unchanged. Other protocols' payloads pass
//! unchanged after the header.

use super::Codec;

const NLMSG_ERROR: u16 = 2;
const NLMSG_DONE: u16 = 3;
const RTM_NEWLINK: u16 = 16;
const RTM_GETLINK: u16 = 18;
const RTM_NEWADDR: u16 = 20;
const RTM_GETADDR: u16 = 22;
const RTM_NEWROUTE: u16 = 24;
const RTM_GETROUTE: u16 = 26;

/// Size of `struct nlmsghdr`.
pub const NLMSG_HDRLEN: usize = 16;

fn align4(n: usize) -> usize {
    (n + 3) & !3
}

struct Conv<'a> {
    src: &'a [u8],
    out: Vec<u8>,
    from: Codec,
    to: Codec,
}

impl Conv<'_> {
    fn field(&mut self, off: usize, size: usize) {
        if off + size <= self.src.len() {
            let v = self.from.get(self.src, off, size);
            self.to.put(&mut self.out, off, size, v);
        }
    }

    fn words(&mut self, off: usize, end: usize, size: usize) {
        let mut o = off;
        while o + size <= end {
            self.field(o, size);
            o += size;
        }
    }

    /// `struct nlmsghdr` at `off`.
    fn header(&mut self, off: usize) {
        self.field(off, 4);
        self.field(off + 4, 2);
        self.field(off + 6, 2);
        self.field(off + 8, 4);
        self.field(off + 12, 4);
    }

    /// The `rtattr` list in `off..end` of a message of type `ty`.
    fn attrs(&mut self, mut off: usize, end: usize, ty: u16) {
        while off + 4 <= end {
            let len = self.from.get(self.src, off, 2) as usize;
            let at = self.from.get(self.src, off + 2, 2) as u16;
            self.field(off, 2);
            self.field(off + 2, 2);
            if len < 4 || off + len > end {
                break;
            }
            let (p, pe) = (off + 4, off + len);
            // `at & 0x3fff` drops NLA_F_NESTED / NLA_F_NET_BYTEORDER.
            match (ty, at & 0x3fff) {
                // IFLA_MTU, IFLA_LINK, IFLA_MASTER, IFLA_TXQLEN, IFLA_WEIGHT,
                // IFLA_GROUP, IFLA_PROMISCUITY, IFLA_NUM_TX_QUEUES,
                // IFLA_NUM_RX_QUEUES, IFLA_CARRIER_CHANGES, IFLA_GSO_MAX_*...
                (RTM_NEWLINK..=RTM_GETLINK, 4 | 5 | 10 | 13 | 15 | 27 | 30 | 31 | 32 | 35)
                | (RTM_NEWLINK..=RTM_GETLINK, 40 | 41 | 47 | 48 | 49 | 50) => self.words(p, pe, 4),
                // IFLA_STATS: u32 counters; IFLA_STATS64: u64 counters.
                (RTM_NEWLINK..=RTM_GETLINK, 7) => self.words(p, pe, 4),
                (RTM_NEWLINK..=RTM_GETLINK, 23) => self.words(p, pe, 8),
                // IFA_CACHEINFO (four u32), IFA_FLAGS, IFA_RT_PRIORITY.
                (RTM_NEWADDR..=RTM_GETADDR, 6 | 8 | 9) => self.words(p, pe, 4),
                // RTA_IIF, RTA_OIF, RTA_PRIORITY, RTA_FLOW, RTA_TABLE, RTA_MARK.
                (RTM_NEWROUTE..=RTM_GETROUTE, 3 | 4 | 6 | 11 | 15 | 16) => self.words(p, pe, 4),
                _ => {}
            }
            off += align4(len);
        }
    }

    fn messages(&mut self) {
        let mut off = 0;
        while off + NLMSG_HDRLEN <= self.src.len() {
            let len = self.from.get(self.src, off, 4) as usize;
            let ty = self.from.get(self.src, off + 4, 2) as u16;
            self.header(off);
            if len < NLMSG_HDRLEN || off + len > self.src.len() {
                break;
            }
            let (p, end) = (off + NLMSG_HDRLEN, off + len);
            match ty {
                NLMSG_ERROR => {
                    // int error; struct nlmsghdr msg; (payload of msg)
                    self.field(p, 4);
                    if p + 4 + NLMSG_HDRLEN <= end {
                        self.header(p + 4);
                    }
                }
                NLMSG_DONE => self.field(p, 4),
                RTM_NEWLINK..=RTM_GETLINK => {
                    // ifinfomsg: u8 family, u8 pad, u16 type, i32 index,
                    // u32 flags, u32 change.
                    self.field(p + 2, 2);
                    self.words(p + 4, (p + 16).min(end), 4);
                    self.attrs(p + 16, end, ty);
                }
                RTM_NEWADDR..=RTM_GETADDR => {
                    // ifaddrmsg: u8 family, prefixlen, flags, scope; u32 index.
                    self.field(p + 4, 4);
                    self.attrs(p + 8, end, ty);
                }
                RTM_NEWROUTE..=RTM_GETROUTE => {
                    // rtmsg: eight u8 fields, u32 flags.
                    self.field(p + 8, 4);
                    self.attrs(p + 12, end, ty);
                }
                _ => {}
            }
            off += align4(len);
        }
    }
}

fn convert(src: &[u8], from: Codec, to: Codec) -> Vec<u8> {
    let mut c = Conv {
        src,
        out: src.to_vec(),
        from,
        to,
    };
    c.messages();
    c.out
}

/// Host-order netlink messages (as received) in guest order.
pub fn to_guest(c: &Codec, host: &[u8]) -> Vec<u8> {
    convert(host, Codec::LE64, *c)
}

/// Guest-order netlink messages (as sent) in host order.
pub fn to_host(c: &Codec, guest: &[u8]) -> Vec<u8> {
    convert(guest, *c, Codec::LE64)
}

#[cfg(test)]
mod tests {
    use super::*;

    const BE: Codec = Codec {
        big_endian: true,
        word: 4,
        time64: false,
    };

    /// An RTM_NEWADDR message with IFA_ADDRESS (bytes) and IFA_FLAGS (u32).
    fn newaddr() -> Vec<u8> {
        let mut m = Vec::new();
        let len = 16 + 8 + 8 + 8;
        m.extend((len as u32).to_le_bytes());
        m.extend(RTM_NEWADDR.to_le_bytes());
        m.extend(2u16.to_le_bytes()); // NLM_F_MULTI
        m.extend(7u32.to_le_bytes());
        m.extend(0x55u32.to_le_bytes());
        m.extend([2, 8, 0x80, 254]);
        m.extend(1u32.to_le_bytes()); // index
        m.extend(8u16.to_le_bytes());
        m.extend(1u16.to_le_bytes()); // IFA_ADDRESS
        m.extend([127, 0, 0, 1]);
        m.extend(8u16.to_le_bytes());
        m.extend(8u16.to_le_bytes()); // IFA_FLAGS
        m.extend(0x80u32.to_le_bytes());
        m
    }

    #[test]
    fn little_endian_guest_is_identity() {
        let m = newaddr();
        assert_eq!(to_guest(&Codec::LE64, &m), m);
    }

    #[test]
    fn big_endian_guest_swaps_fields_not_addresses() {
        let m = newaddr();
        let g = to_guest(&BE, &m);
        assert_eq!(&g[..4], &[0, 0, 0, 40]);
        assert_eq!(&g[4..6], &[0, 20]);
        assert_eq!(&g[16..20], &[2, 8, 0x80, 254]);
        assert_eq!(&g[20..24], &[0, 0, 0, 1]);
        assert_eq!(&g[24..28], &[0, 8, 0, 1]);
        assert_eq!(&g[28..32], &[127, 0, 0, 1]);
        assert_eq!(&g[36..40], &[0, 0, 0, 0x80]);
        assert_eq!(to_host(&BE, &g), m);
    }

    #[test]
    fn truncated_and_garbage_input_do_not_panic() {
        let m = newaddr();
        for n in 0..m.len() {
            let _ = to_guest(&BE, &m[..n]);
        }
        let _ = to_host(&BE, &[0xff; 64]);
        let _ = to_host(&BE, &[0; 40]);
    }
}
