//! Encodings as data: each instruction form is a bit pattern written as in
//! the architecture manual's encoding diagrams, with named fields, e.g.
//!
//! ```text
//! "sf:1 0 0 100010 sh:1 imm12:12 rn:5 rd:5"   // ADD (immediate)
//! ```
//!
//! Tokens are separated by spaces: runs of `0`/`1` are fixed bits, `x` is a
//! don't-care bit, `name:N` is an N-bit field (don't-care for matching). The
//! pattern must cover exactly 32 bits, most significant first; this is checked
//! at compile time. Handlers read fields with the accessors on `Insn`.

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

/// Builds a `Pattern` from a pattern string (see the module docs).
pub const fn pat(name: &'static str, pattern: &'static str, handler: Handler) -> Pattern {
    let (mask, bits) = parse(pattern);
    Pattern {
        name,
        mask,
        bits,
        handler,
    }
}

const fn parse(p: &str) -> (u32, u32) {
    let s = p.as_bytes();
    let mut i = 0;
    let mut pos: i32 = 32;
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
                panic!("pattern longer than 32 bits");
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
        // A field: name:N
        while i < s.len() && s[i] != b':' {
            if s[i] == b' ' {
                panic!("field without width");
            }
            i += 1;
        }
        i += 1; // ':'
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
            panic!("pattern longer than 32 bits");
        }
    }
    if pos != 0 {
        panic!("pattern shorter than 32 bits");
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
    /// Bits `hi..=lo`, sign-extended to i64.
    #[inline]
    pub fn sbits(self, hi: u32, lo: u32) -> i64 {
        let w = hi - lo + 1;
        ((self.bits(hi, lo) as i64) << (64 - w)) >> (64 - w)
    }
    #[inline]
    pub fn bit(self, n: u32) -> bool {
        self.0 >> n & 1 != 0
    }
    pub fn rd(self) -> usize {
        self.bits(4, 0) as usize
    }
    pub fn rt(self) -> usize {
        self.bits(4, 0) as usize
    }
    pub fn rn(self) -> usize {
        self.bits(9, 5) as usize
    }
    pub fn rt2(self) -> usize {
        self.bits(14, 10) as usize
    }
    pub fn ra(self) -> usize {
        self.bits(14, 10) as usize
    }
    pub fn rm(self) -> usize {
        self.bits(20, 16) as usize
    }
    pub fn rs(self) -> usize {
        self.bits(20, 16) as usize
    }
    /// Bit 31: 64-bit operation.
    pub fn sf(self) -> bool {
        self.bit(31)
    }
}

/// Patterns bucketed by bits 28..25 (the manual's top-level op0 field) so
/// decoding scans only the candidates of one encoding group.
pub struct DecodeTable {
    buckets: [Vec<&'static Pattern>; 16],
}

impl DecodeTable {
    pub fn new(groups: &[&'static [Pattern]]) -> DecodeTable {
        let mut buckets: [Vec<&'static Pattern>; 16] = Default::default();
        for group in groups {
            for p in group.iter() {
                for (op0, bucket) in buckets.iter_mut().enumerate() {
                    let op0 = (op0 as u32) << 25;
                    if (p.bits ^ op0) & p.mask & (0xf << 25) == 0 {
                        bucket.push(p);
                    }
                }
            }
        }
        DecodeTable { buckets }
    }

    /// First matching pattern, in the order the groups list them.
    pub fn lookup(&self, insn: u32) -> Option<&'static Pattern> {
        self.buckets[(insn >> 25 & 0xf) as usize]
            .iter()
            .find(|p| insn & p.mask == p.bits)
            .copied()
    }

    pub fn len(&self) -> usize {
        self.buckets.iter().map(|b| b.len()).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_add_imm() {
        let (mask, bits) = parse("sf:1 0 0 100010 sh:1 imm12:12 rn:5 rd:5");
        assert_eq!(mask, 0x7f80_0000);
        assert_eq!(bits, 0x1100_0000);
    }

    #[test]
    fn fields() {
        let i = Insn(0x9100_0420); // add x0, x1, #1
        assert_eq!(i.rd(), 0);
        assert_eq!(i.rn(), 1);
        assert_eq!(i.bits(21, 10), 1);
        assert!(i.sf());
        assert_eq!(Insn(0xffff_ffff).sbits(23, 5), -1);
    }
}
