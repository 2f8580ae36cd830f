//! Socket addresses between guest and host byte order.
//!
//! Every `struct sockaddr_*` starts with a `u16` family in the machine's
//! byte order; ports and IP addresses are in network order everywhere, so
//! only the family and the few host-order fields differ between a
//! big-endian guest and the host: `sin6_scope_id`, `nl_pid`/`nl_groups`,
//! `sll_ifindex`/`sll_hatype`. The family numbers themselves are the same
//! in every Linux ABI. Converted addresses keep their length.

use super::Codec;

pub const AF_UNIX: u16 = 1;
pub const AF_INET: u16 = 2;
pub const AF_INET6: u16 = 10;
pub const AF_NETLINK: u16 = 16;
pub const AF_PACKET: u16 = 17;

/// Largest address the kernel accepts (`sizeof(struct sockaddr_storage)`).
pub const MAX_SOCKADDR: usize = 128;

/// Host-order fields after the family: `(offset, size)` per family.
fn fields(family: u16) -> &'static [(usize, usize)] {
    match family {
        AF_INET6 => &[(24, 4)],
        AF_NETLINK => &[(4, 4), (8, 4)],
        AF_PACKET => &[(4, 4), (8, 2)],
        _ => &[],
    }
}

fn convert(b: &[u8], from: &Codec, to: &Codec) -> Vec<u8> {
    let mut out = b.to_vec();
    if b.len() < 2 {
        return out;
    }
    let family = from.get(b, 0, 2) as u16;
    to.put(&mut out, 0, 2, family.into());
    for &(off, size) in fields(family) {
        if off + size <= b.len() {
            to.put(&mut out, off, size, from.get(b, off, size));
        }
    }
    out
}

/// A guest `sockaddr` (as many bytes as the guest passed) in host order.
pub fn to_host(c: &Codec, guest: &[u8]) -> Vec<u8> {
    convert(guest, c, &Codec::LE64)
}

/// A host `sockaddr` in the guest's order.
pub fn to_guest(c: &Codec, host: &[u8]) -> Vec<u8> {
    convert(host, &Codec::LE64, c)
}

#[cfg(test)]
mod tests {
    use super::*;

    const BE: Codec = Codec {
        big_endian: true,
        word: 4,
        time64: false,
    };

    #[test]
    fn inet_keeps_network_order_and_swaps_family() {
        let host = [2, 0, 0x1f, 0x90, 127, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0];
        let g = to_guest(&BE, &host);
        assert_eq!(&g[..4], &[0, 2, 0x1f, 0x90]);
        assert_eq!(&g[4..8], &[127, 0, 0, 1]);
        assert_eq!(to_host(&BE, &g), host.to_vec());
        assert_eq!(to_guest(&Codec::LE64, &host), host.to_vec());
    }

    #[test]
    fn inet6_scope_and_netlink_pid() {
        let mut h6 = vec![0u8; 28];
        h6[0] = 10;
        h6[24..28].copy_from_slice(&3u32.to_le_bytes());
        let g = to_guest(&BE, &h6);
        assert_eq!(&g[24..28], &[0, 0, 0, 3]);
        let mut nl = vec![0u8; 12];
        nl[0] = 16;
        nl[4..8].copy_from_slice(&0x1234u32.to_le_bytes());
        let g = to_guest(&BE, &nl);
        assert_eq!(&g[..2], &[0, 16]);
        assert_eq!(&g[4..8], &[0, 0, 0x12, 0x34]);
        assert_eq!(to_host(&BE, &g), nl);
        // short or empty addresses pass through
        assert_eq!(to_host(&BE, &[1]), vec![1]);
    }
}
