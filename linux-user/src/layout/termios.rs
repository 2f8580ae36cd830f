//! The kernel's `struct termios` (not glibc's larger one) as terminal ioctls
//! (`TCGETS`, `TCSETS`, `TCSETSW`, `TCSETSF`) exchange it, and `struct winsize`.

use super::{f, Codec, Field};
use crate::flags::FlagMap;

/// Number of control characters in the host kernel's `struct termios`.
pub const HOST_NCCS: usize = 19;

/// The host kernel's `struct termios` (x86-64 and asm-generic).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct KernelTermios {
    pub c_iflag: u32,
    pub c_oflag: u32,
    pub c_cflag: u32,
    pub c_lflag: u32,
    pub c_line: u8,
    pub c_cc: [u8; HOST_NCCS],
}

/// Where a guest keeps each termios field and how its bits and control
/// character slots are numbered.
#[derive(Debug)]
pub struct TermiosLayout {
    pub size: usize,
    pub iflag: Field,
    pub oflag: Field,
    pub cflag: Field,
    pub lflag: Field,
    pub line: Field,
    pub cc_off: usize,
    /// For each guest `c_cc` slot, the host slot it means (`None`: unused).
    pub cc_map: &'static [Option<u8>],
    pub iflag_map: FlagMap,
    pub oflag_map: FlagMap,
    pub cflag_map: FlagMap,
    pub lflag_map: FlagMap,
}

const IDENT_CC: [Option<u8>; HOST_NCCS] = {
    let mut m = [None; HOST_NCCS];
    let mut i = 0;
    while i < HOST_NCCS {
        m[i] = Some(i as u8);
        i += 1;
    }
    m
};

/// asm-generic termios (AArch64, ARM, x86, RISC-V, ...): 36 bytes.
pub static GENERIC: TermiosLayout = TermiosLayout {
    size: 36,
    iflag: f(0, 4),
    oflag: f(4, 4),
    cflag: f(8, 4),
    lflag: f(12, 4),
    line: f(16, 1),
    cc_off: 17,
    cc_map: &IDENT_CC,
    iflag_map: FlagMap::IDENTITY,
    oflag_map: FlagMap::IDENTITY,
    cflag_map: FlagMap::IDENTITY,
    lflag_map: FlagMap::IDENTITY,
};

/// Encode a host termios for the guest.
pub fn encode(l: &TermiosLayout, c: &Codec, t: &KernelTermios) -> Vec<u8> {
    let mut b = vec![0u8; l.size];
    l.iflag
        .put(c, &mut b, l.iflag_map.to_guest(t.c_iflag.into()));
    l.oflag
        .put(c, &mut b, l.oflag_map.to_guest(t.c_oflag.into()));
    l.cflag
        .put(c, &mut b, l.cflag_map.to_guest(t.c_cflag.into()));
    l.lflag
        .put(c, &mut b, l.lflag_map.to_guest(t.c_lflag.into()));
    l.line.put(c, &mut b, t.c_line.into());
    for (gi, hi) in l.cc_map.iter().enumerate() {
        if let Some(hi) = hi {
            b[l.cc_off + gi] = t.c_cc[*hi as usize];
        }
    }
    b
}

/// Decode a guest termios (`b` is `l.size` bytes) into the host's.
pub fn decode(l: &TermiosLayout, c: &Codec, b: &[u8]) -> KernelTermios {
    let mut t = KernelTermios {
        c_iflag: l.iflag_map.to_host(l.iflag.get(c, b)) as u32,
        c_oflag: l.oflag_map.to_host(l.oflag.get(c, b)) as u32,
        c_cflag: l.cflag_map.to_host(l.cflag.get(c, b)) as u32,
        c_lflag: l.lflag_map.to_host(l.lflag.get(c, b)) as u32,
        c_line: l.line.get(c, b) as u8,
        c_cc: [0; HOST_NCCS],
    };
    for (gi, hi) in l.cc_map.iter().enumerate() {
        if let Some(hi) = hi {
            t.c_cc[*hi as usize] = b[l.cc_off + gi];
        }
    }
    t
}

/// `struct winsize`: four `unsigned short`s in every ABI.
pub const WINSIZE_SIZE: usize = 8;

/// Convert a `struct winsize` between byte orders (`from` -> `to`).
pub fn convert_winsize(from: &Codec, to: &Codec, b: &[u8]) -> [u8; WINSIZE_SIZE] {
    let mut out = [0u8; WINSIZE_SIZE];
    for i in 0..4 {
        to.put(&mut out, 2 * i, 2, from.get(b, 2 * i, 2));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generic_round_trip_and_offsets() {
        assert_eq!(std::mem::size_of::<KernelTermios>(), 36);
        let mut t = KernelTermios {
            c_iflag: 0x500,
            c_oflag: 0x5,
            c_cflag: 0xbf,
            c_lflag: 0x8a3b,
            c_line: 0,
            c_cc: [0; HOST_NCCS],
        };
        t.c_cc[0] = 3; // VINTR
        t.c_cc[6] = 1; // VMIN
        let b = encode(&GENERIC, &Codec::LE64, &t);
        assert_eq!(&b[0..4], &0x500u32.to_le_bytes());
        assert_eq!(&b[12..16], &0x8a3bu32.to_le_bytes());
        assert_eq!(b[17], 3);
        assert_eq!(b[23], 1);
        assert_eq!(decode(&GENERIC, &Codec::LE64, &b), t);
    }

    #[test]
    fn winsize_byte_swap() {
        let be = Codec {
            big_endian: true,
            word: 4,
            time64: false,
        };
        let host = [24u8, 0, 80, 0, 0, 0, 0, 0];
        assert_eq!(
            convert_winsize(&Codec::LE64, &be, &host),
            [0, 24, 0, 80, 0, 0, 0, 0]
        );
    }
}
