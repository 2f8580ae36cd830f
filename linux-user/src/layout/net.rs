//! The socket layer's per-ABI numbering and the `epoll_event` layout.
//!
//! Most Linux ABIs use the asm-generic values ([`NetAbi::GENERIC`]); MIPS
//! swaps `SOCK_STREAM`/`SOCK_DGRAM`, MIPS, Alpha, PA-RISC and SPARC renumber
//! `SOL_SOCKET` and the `SO_*` options, and x86-64 packs `struct
//! epoll_event` to 12 bytes. A guest whose values differ lists the pairs
//! that differ, as [`crate::flags::FlagMap`] does for flag bits.

use super::Codec;

/// One ABI's socket numbering and `epoll_event` shape.
#[derive(Debug)]
pub struct NetAbi {
    /// `(guest, host)` socket types (`SOCK_STREAM`...) that differ.
    pub sock_types: &'static [(u32, u32)],
    /// `SOCK_NONBLOCK` and `SOCK_CLOEXEC` as the guest numbers them.
    pub sock_nonblock: u32,
    pub sock_cloexec: u32,
    /// The guest's `SOL_SOCKET`.
    pub sol_socket: u32,
    /// `(guest, host)` `SO_*` option numbers that differ.
    pub so_opts: &'static [(u32, u32)],
    /// `struct epoll_event` is 12 bytes: packed (x86-64) or on an ABI whose
    /// `u64` is 4-byte aligned (i386, ARM OABI). Otherwise 16 bytes, with
    /// `data` at offset 8.
    pub epoll_packed: bool,
}

/// Host (x86-64) `SOCK_NONBLOCK`, `SOCK_CLOEXEC`, `SOL_SOCKET`.
pub const HOST_SOCK_NONBLOCK: u32 = 0o4000;
pub const HOST_SOCK_CLOEXEC: u32 = 0o2000000;
pub const HOST_SOL_SOCKET: u32 = 1;

impl NetAbi {
    /// asm-generic numbering with a naturally aligned `epoll_event` (ARM
    /// EABI, AArch64, RISC-V, PowerPC for everything but a few `SO_*`...).
    pub const GENERIC: NetAbi = NetAbi {
        sock_types: &[],
        sock_nonblock: HOST_SOCK_NONBLOCK,
        sock_cloexec: HOST_SOCK_CLOEXEC,
        sol_socket: HOST_SOL_SOCKET,
        so_opts: &[],
        epoll_packed: false,
    };

    /// A guest `type` argument of `socket`/`socketpair` (with its
    /// `SOCK_NONBLOCK`/`SOCK_CLOEXEC` bits) in host numbering.
    pub fn sock_type_to_host(&self, t: u32) -> u32 {
        let flags = t & (self.sock_nonblock | self.sock_cloexec);
        let base = t & !flags;
        let base = self
            .sock_types
            .iter()
            .find(|(g, _)| *g == base)
            .map_or(base, |&(_, h)| h);
        let mut out = base;
        if flags & self.sock_nonblock != 0 {
            out |= HOST_SOCK_NONBLOCK;
        }
        if flags & self.sock_cloexec != 0 {
            out |= HOST_SOCK_CLOEXEC;
        }
        out
    }

    /// A host socket type (`SO_TYPE`) in guest numbering.
    pub fn sock_type_to_guest(&self, t: u32) -> u32 {
        self.sock_types
            .iter()
            .find(|(_, h)| *h == t)
            .map_or(t, |&(g, _)| g)
    }

    /// A guest socket option level in host numbering.
    pub fn level_to_host(&self, level: u32) -> u32 {
        if level == self.sol_socket {
            HOST_SOL_SOCKET
        } else {
            level
        }
    }

    /// A guest `SO_*` option in host numbering.
    pub fn so_to_host(&self, opt: u32) -> u32 {
        self.so_opts
            .iter()
            .find(|(g, _)| *g == opt)
            .map_or(opt, |&(_, h)| h)
    }

    /// Size of a guest `struct epoll_event`.
    pub fn epoll_event_size(&self) -> usize {
        if self.epoll_packed {
            12
        } else {
            16
        }
    }

    /// Decodes a guest `epoll_event`: `(events, data)`.
    pub fn decode_epoll_event(&self, c: &Codec, b: &[u8]) -> (u32, u64) {
        let data_off = self.epoll_event_size() - 8;
        (c.get(b, 0, 4) as u32, c.get(b, data_off, 8))
    }

    /// Encodes a guest `epoll_event`.
    pub fn encode_epoll_event(&self, c: &Codec, events: u32, data: u64) -> Vec<u8> {
        let n = self.epoll_event_size();
        let mut b = vec![0u8; n];
        c.put(&mut b, 0, 4, events.into());
        c.put(&mut b, n - 8, 8, data);
        b
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generic_types_and_epoll() {
        let n = NetAbi::GENERIC;
        assert_eq!(
            n.sock_type_to_host(1 | 0o4000 | 0o2000000),
            1 | 0o4000 | 0o2000000
        );
        let c = Codec::LE64;
        assert_eq!(n.epoll_event_size(), 16);
        let e = n.encode_epoll_event(&c, 0x1d, 0x1122_3344_5566_7788);
        assert_eq!(&e[8..], &0x1122_3344_5566_7788u64.to_le_bytes());
        assert_eq!(n.decode_epoll_event(&c, &e), (0x1d, 0x1122_3344_5566_7788));
        let packed = NetAbi {
            epoll_packed: true,
            ..NetAbi::GENERIC
        };
        assert_eq!(packed.epoll_event_size(), 12);
        let be32 = Codec {
            big_endian: true,
            word: 4,
            time64: false,
        };
        let e = NetAbi::GENERIC.encode_epoll_event(&be32, 1, 2);
        assert_eq!(e, [0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2]);
    }

    #[test]
    fn mips_style_renumbering() {
        // MIPS: SOCK_DGRAM 1, SOCK_STREAM 2, SOCK_NONBLOCK 0x80, SOL_SOCKET 0xffff.
        let m = NetAbi {
            sock_types: &[(1, 2), (2, 1)],
            sock_nonblock: 0x80,
            sock_cloexec: 0o2000000,
            sol_socket: 0xffff,
            so_opts: &[(0x1006, 20)],
            epoll_packed: false,
        };
        assert_eq!(m.sock_type_to_host(2 | 0x80), 1 | HOST_SOCK_NONBLOCK);
        assert_eq!(m.sock_type_to_guest(2), 1);
        assert_eq!(m.level_to_host(0xffff), 1);
        assert_eq!(m.so_to_host(0x1006), 20);
        assert_eq!(m.so_to_host(7), 7);
    }
}
