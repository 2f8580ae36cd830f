//! Encodings as data: each instruction form is a bit pattern written as in
//! the architecture manual's encoding diagrams, with named fields, e.g.
//!
//! ```text
//! "cond:4 00 1 opc:4 s:1 rn:4 rd:4 imm12:12"   // data processing (immediate)
//! ```
//!
//! Tokens are separated by spaces: runs of `0`/`1` are fixed bits, `x` is a
//! don't-care bit, `name:N` is an N-bit field (don't-care for matching). A
//! pattern covers exactly 32 bits (A32, T32 with the first halfword in bits
//! 31..16) or exactly 16 bits (16-bit Thumb), most significant first; this is
//! checked at compile time. Handlers read fields with the accessors on `Insn`.

use crate::translate::Ctx;

/// A handler emits IR for one instruction. `Err(Undef)` makes it the guest's
/// undefined instruction (anything emitted for it is rolled back).
pub type Handler = fn(&mut Ctx, Insn) -> Result<(), Undef>;

/// The instruction is unallocated or not implemented: SIGILL for the guest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Undef;

pub struct Pattern {
    /// Manual mnemonic plus form (`add_imm`, `ldr_lit`).
    pub name: &'static str,
    pub mask: u32,
    pub bits: u32,
    pub handler: Handler,
}

/// A 32-bit pattern (A32, or T32 with hw1 in the high half).
pub const fn pat(name: &'static str, pattern: &'static str, handler: Handler) -> Pattern {
    let (mask, bits) = parse(pattern, 32);
    Pattern {
        name,
        mask,
        bits,
        handler,
    }
}

/// A 16-bit Thumb pattern.
pub const fn pat16(name: &'static str, pattern: &'static str, handler: Handler) -> Pattern {
    let (mask, bits) = parse(pattern, 16);
    Pattern {
        name,
        mask,
        bits,
        handler,
    }
}

const fn parse(p: &str, width: i32) -> (u32, u32) {
    let s = p.as_bytes();
    let mut i = 0;
    let mut pos: i32 = width;
    let mut mask = 0u32;
    let mut bits = 0u32;
    while i < s.len() {
        let c = s[i];
        if c == b' ' || c == b'_' {
            i += 1;
            continue;
        }
        if c == b'0' || c == b'1' || c == b'x' {
            pos -= 1;
            if pos < 0 {
                panic!("pattern too long");
            }
            if c != b'x' {
                mask |= 1 << pos;
                if c == b'1' {
                    bits |= 1 << pos;
                }
            }
            i += 1;
            continue;
        }
        while i < s.len() && s[i] != b':' {
            if s[i] == b' ' {
                panic!("field without width");
            }
            i += 1;
        }
        i += 1;
        let mut n = 0i32;
        while i < s.len() && s[i] >= b'0' && s[i] <= b'9' {
            n = n * 10 + (s[i] - b'0') as i32;
            i += 1;
        }
        if n == 0 {
            panic!("field width missing");
        }
        pos -= n;
        if pos < 0 {
            panic!("pattern too long");
        }
    }
    if pos != 0 {
        panic!("pattern too short");
    }
    (mask, bits)
}

/// An instruction word with field accessors.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Insn(pub u32);

impl Insn {
    /// Bits `hi..=lo`, zero-extended.
    #[inline]
    pub fn bits(self, hi: u32, lo: u32) -> u32 {
        (self.0 >> lo) & (u32::MAX >> (31 - (hi - lo)))
    }
    /// Bits `hi..=lo`, sign-extended.
    #[inline]
    pub fn sbits(self, hi: u32, lo: u32) -> i32 {
        let w = hi - lo + 1;
        ((self.bits(hi, lo) as i32) << (32 - w)) >> (32 - w)
    }
    #[inline]
    pub fn bit(self, n: u32) -> bool {
        self.0 >> n & 1 != 0
    }
    /// A32 register fields.
    pub fn rn(self) -> usize {
        self.bits(19, 16) as usize
    }
    pub fn rd(self) -> usize {
        self.bits(15, 12) as usize
    }
    pub fn rs(self) -> usize {
        self.bits(11, 8) as usize
    }
    pub fn rm(self) -> usize {
        self.bits(3, 0) as usize
    }
}

/// A list of patterns scanned in order, bucketed by a few bits so decoding
/// looks at the candidates of one encoding group only.
pub struct DecodeTable {
    shift: u32,
    buckets: Vec<Vec<&'static Pattern>>,
}

impl DecodeTable {
    /// Buckets by the 4 bits at `shift` (A32: 25..=28 would mix conditions,
    /// so callers pick bits every pattern of the set mostly fixes).
    pub fn new(groups: &[&'static [Pattern]], shift: u32) -> DecodeTable {
        let mut buckets: Vec<Vec<&'static Pattern>> = vec![Vec::new(); 16];
        for group in groups {
            for p in group.iter() {
                for (k, bucket) in buckets.iter_mut().enumerate() {
                    let key = (k as u32) << shift;
                    if (p.bits ^ key) & p.mask & (0xf << shift) == 0 {
                        bucket.push(p);
                    }
                }
            }
        }
        DecodeTable { shift, buckets }
    }

    /// First matching pattern, in the order the groups list them.
    pub fn lookup(&self, insn: u32) -> Option<&'static Pattern> {
        self.buckets[(insn >> self.shift & 0xf) as usize]
            .iter()
            .find(|p| insn & p.mask == p.bits)
            .copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses() {
        let (mask, bits) = parse("cond:4 00 1 opc:4 s:1 rn:4 rd:4 imm12:12", 32);
        assert_eq!(mask, 0x0e00_0000);
        assert_eq!(bits, 0x0200_0000);
        let (mask, bits) = parse("010001 11 0 rm:4 000", 16);
        assert_eq!(mask, 0xff87);
        assert_eq!(bits, 0x4700);
    }

    #[test]
    fn fields() {
        let i = Insn(0xe281_0001); // add r0, r1, #1
        assert_eq!(i.rd(), 0);
        assert_eq!(i.rn(), 1);
        assert_eq!(i.sbits(23, 0), -0x7e_ffff);
    }
}
