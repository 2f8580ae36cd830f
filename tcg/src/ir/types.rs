//! Value types, temps, labels, conditions and memory-operation descriptors.

use std::fmt;

/// The type of an IR value. The type is part of every op's name (`add_i64`).
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum Type {
    I32,
    I64,
    V128,
}

impl Type {
    pub fn bits(self) -> u32 {
        match self {
            Type::I32 => 32,
            Type::I64 => 64,
            Type::V128 => 128,
        }
    }
}

/// A temp: an IR value slot. Temps `0..n_globals` are the guest-state globals of
/// the block's guest; the rest are block-local and keep their value across labels.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Temp(pub u32);

impl Temp {
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// A branch target inside one block.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub struct Label(pub u32);

/// Comparison conditions for `brcond`, `setcond` and `movcond`.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum Cond {
    Never = 0,
    Always,
    Eq,
    Ne,
    Lt,
    Ge,
    Le,
    Gt,
    Ltu,
    Geu,
    Leu,
    Gtu,
    /// `(a & b) == 0`
    TstEq,
    /// `(a & b) != 0`
    TstNe,
}

impl Cond {
    pub const ALL: [Cond; 14] = [
        Cond::Never,
        Cond::Always,
        Cond::Eq,
        Cond::Ne,
        Cond::Lt,
        Cond::Ge,
        Cond::Le,
        Cond::Gt,
        Cond::Ltu,
        Cond::Geu,
        Cond::Leu,
        Cond::Gtu,
        Cond::TstEq,
        Cond::TstNe,
    ];

    pub fn from_u32(v: u32) -> Cond {
        Cond::ALL[v as usize % Cond::ALL.len()]
    }

    pub fn invert(self) -> Cond {
        use Cond::*;
        match self {
            Never => Always,
            Always => Never,
            Eq => Ne,
            Ne => Eq,
            Lt => Ge,
            Ge => Lt,
            Le => Gt,
            Gt => Le,
            Ltu => Geu,
            Geu => Ltu,
            Leu => Gtu,
            Gtu => Leu,
            TstEq => TstNe,
            TstNe => TstEq,
        }
    }

    /// Evaluates the condition on 64-bit values (32-bit operands are sign- or
    /// zero-extended by the caller as the type demands).
    #[inline(always)]
    pub fn eval64(self, a: u64, b: u64) -> bool {
        use Cond::*;
        match self {
            Never => false,
            Always => true,
            Eq => a == b,
            Ne => a != b,
            Lt => (a as i64) < (b as i64),
            Ge => (a as i64) >= (b as i64),
            Le => (a as i64) <= (b as i64),
            Gt => (a as i64) > (b as i64),
            Ltu => a < b,
            Geu => a >= b,
            Leu => a <= b,
            Gtu => a > b,
            TstEq => a & b == 0,
            TstNe => a & b != 0,
        }
    }

    #[inline(always)]
    pub fn eval32(self, a: u32, b: u32) -> bool {
        use Cond::*;
        match self {
            Lt | Ge | Le | Gt => self.eval64(a as i32 as i64 as u64, b as i32 as i64 as u64),
            _ => self.eval64(a as u64, b as u64),
        }
    }

    pub fn name(self) -> &'static str {
        use Cond::*;
        match self {
            Never => "never",
            Always => "always",
            Eq => "eq",
            Ne => "ne",
            Lt => "lt",
            Ge => "ge",
            Le => "le",
            Gt => "gt",
            Ltu => "ltu",
            Geu => "geu",
            Leu => "leu",
            Gtu => "gtu",
            TstEq => "tsteq",
            TstNe => "tstne",
        }
    }
}

/// Describes a guest memory access: size, signedness, byte order, alignment.
/// Packed into 16 bits so it fits an op's argument slot.
#[derive(Copy, Clone, PartialEq, Eq, Hash)]
pub struct MemOp(pub u16);

impl MemOp {
    const SIZE_MASK: u16 = 0x7;
    const SIGN: u16 = 0x8;
    const BE: u16 = 0x10;
    const ALIGN_SHIFT: u16 = 5;

    pub const UB: MemOp = MemOp(0);
    pub const SB: MemOp = MemOp(Self::SIGN);
    pub const UW: MemOp = MemOp(1);
    pub const SW: MemOp = MemOp(1 | Self::SIGN);
    pub const UL: MemOp = MemOp(2);
    pub const SL: MemOp = MemOp(2 | Self::SIGN);
    pub const UQ: MemOp = MemOp(3);

    /// An unsigned access of `1 << log2` bytes.
    pub fn size_log2(log2: u32) -> MemOp {
        MemOp(log2 as u16 & Self::SIZE_MASK)
    }
    pub fn signed(self) -> MemOp {
        MemOp(self.0 | Self::SIGN)
    }
    pub fn be(self) -> MemOp {
        MemOp(self.0 | Self::BE)
    }
    pub fn with_big_endian(self, be: bool) -> MemOp {
        if be {
            self.be()
        } else {
            self
        }
    }
    /// Require the access to be aligned to its size (faults otherwise).
    pub fn aligned(self) -> MemOp {
        MemOp(self.0 | (1 << Self::ALIGN_SHIFT))
    }
    pub fn log2(self) -> u32 {
        (self.0 & Self::SIZE_MASK) as u32
    }
    pub fn bytes(self) -> u32 {
        1 << self.log2()
    }
    pub fn is_signed(self) -> bool {
        self.0 & Self::SIGN != 0
    }
    pub fn is_be(self) -> bool {
        self.0 & Self::BE != 0
    }
    pub fn is_aligned(self) -> bool {
        self.0 >> Self::ALIGN_SHIFT & 1 != 0
    }
}

impl fmt::Debug for MemOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}{}{}{}",
            if self.is_signed() { "s" } else { "u" },
            self.bytes() * 8,
            if self.is_be() { "be" } else { "le" },
            if self.is_aligned() { "+al" } else { "" }
        )
    }
}
