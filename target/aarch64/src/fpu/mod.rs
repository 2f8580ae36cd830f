//! Arm floating point as a software model: FPCR rounding modes, flush-to-zero,
//! default NaN, NaN propagation and the FPSR cumulative exception flags.
//!
//! The approach: every operation unpacks its operands to sign, exponent and an
//! integer significand, computes the exact result (or one with a sticky bit
//! below all rounding positions) in `u128`, and rounds it once with
//! [`Fp::round`], which follows the manual's `FPRoundBase` (tininess detected
//! before rounding, FZ output flushing, overflow per rounding mode, AHP).
//! Because the result before rounding is exact, the flags are exact too.
//!
//! For speed, single and double precision add/sub/mul/div/sqrt take a host fast
//! path when FPCR selects round-to-nearest without flush-to-zero: the host
//! result is the correctly rounded one, and inexactness is decided exactly with
//! error-free transformations (TwoSum, or an FMA residual), falling back to the
//! soft path for NaN/infinite results and near the underflow range where those
//! transformations stop being exact. See `fast.rs`.
//!
//! Everything here is plain Rust on bit patterns (`u64` holding an f16, f32 or
//! f64), independent of the host's floating-point environment.

pub mod arith;
pub mod conv;
mod fast;
pub mod host_ir;
mod ops;
pub mod recip;

pub use ops::{binop, unop, Bin, Un};

pub const FPCR_AHP: u32 = 1 << 26;
pub const FPCR_DN: u32 = 1 << 25;
pub const FPCR_FZ: u32 = 1 << 24;
pub const FPCR_RMODE_SHIFT: u32 = 22;
pub const FPCR_FZ16: u32 = 1 << 19;

pub const FPSR_IOC: u32 = 1 << 0;
pub const FPSR_DZC: u32 = 1 << 1;
pub const FPSR_OFC: u32 = 1 << 2;
pub const FPSR_UFC: u32 = 1 << 3;
pub const FPSR_IXC: u32 = 1 << 4;
pub const FPSR_IDC: u32 = 1 << 7;
pub const FPSR_QC: u32 = 1 << 27;

/// Rounding modes (the first four are FPCR.RMode values).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Round {
    TieEven = 0,
    PosInf = 1,
    NegInf = 2,
    Zero = 3,
    TieAway = 4,
    /// Round to odd (FCVTXN).
    Odd = 5,
}

impl Round {
    pub fn from_rmode(r: u32) -> Round {
        match r & 3 {
            0 => Round::TieEven,
            1 => Round::PosInf,
            2 => Round::NegInf,
            _ => Round::Zero,
        }
    }
}

/// A binary interchange format.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Fmt {
    pub ebits: u32,
    pub fbits: u32,
}

pub const H: Fmt = Fmt {
    ebits: 5,
    fbits: 10,
};
pub const S: Fmt = Fmt {
    ebits: 8,
    fbits: 23,
};
pub const D: Fmt = Fmt {
    ebits: 11,
    fbits: 52,
};
/// BFloat16: single precision's exponent, 7 fraction bits.
pub const BF16: Fmt = Fmt { ebits: 8, fbits: 7 };

impl Fmt {
    /// From the A64 `ftype`/size encodings: 0 = H, 1 = S, 2 = D (log2 bytes - 1).
    pub fn from_log2(log2_bytes: u32) -> Fmt {
        match log2_bytes {
            1 => H,
            2 => S,
            _ => D,
        }
    }
    pub const fn width(self) -> u32 {
        1 + self.ebits + self.fbits
    }
    pub const fn bias(self) -> i32 {
        (1 << (self.ebits - 1)) - 1
    }
    /// Unbiased exponent of the smallest normal.
    pub const fn emin(self) -> i32 {
        1 - self.bias()
    }
    pub const fn emax_biased(self) -> u64 {
        (1 << self.ebits) - 1
    }
    pub const fn sign_bit(self) -> u64 {
        1 << (self.ebits + self.fbits)
    }
    pub const fn frac_mask(self) -> u64 {
        (1 << self.fbits) - 1
    }
    pub const fn mask(self) -> u64 {
        if self.width() == 64 {
            u64::MAX
        } else {
            (1 << self.width()) - 1
        }
    }
    pub const fn quiet_bit(self) -> u64 {
        1 << (self.fbits - 1)
    }
    pub const fn default_nan(self) -> u64 {
        self.emax_biased() << self.fbits | self.quiet_bit()
    }
    pub const fn inf(self, sign: bool) -> u64 {
        (sign as u64) << (self.width() - 1) | self.emax_biased() << self.fbits
    }
    pub const fn zero(self, sign: bool) -> u64 {
        (sign as u64) << (self.width() - 1)
    }
    pub const fn max_normal(self, sign: bool) -> u64 {
        (sign as u64) << (self.width() - 1)
            | (self.emax_biased() - 1) << self.fbits
            | self.frac_mask()
    }
    /// The encoding of `sign * 2^exp * m` for small exact values (constants).
    pub fn one(self, sign: bool) -> u64 {
        (sign as u64) << (self.width() - 1) | (self.bias() as u64) << self.fbits
    }
    pub fn is_nan(self, x: u64) -> bool {
        (x >> self.fbits) & self.emax_biased() == self.emax_biased() && x & self.frac_mask() != 0
    }
    pub fn is_snan(self, x: u64) -> bool {
        self.is_nan(x) && x & self.quiet_bit() == 0
    }
    pub fn neg(self, x: u64) -> u64 {
        x ^ self.sign_bit()
    }
    pub fn abs(self, x: u64) -> u64 {
        x & !self.sign_bit()
    }
}

/// Operand classes after unpacking.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Kind {
    Zero,
    Num,
    Inf,
    QNaN,
    SNaN,
}

/// An unpacked operand: for `Num`, value = (-1)^sign * mant * 2^exp.
#[derive(Copy, Clone, Debug)]
pub struct Unp {
    pub kind: Kind,
    pub sign: bool,
    pub exp: i32,
    pub mant: u64,
    pub bits: u64,
}

impl Unp {
    pub fn is_nan(&self) -> bool {
        matches!(self.kind, Kind::QNaN | Kind::SNaN)
    }
}

/// Floating-point context of one operation: the FPCR and the exception flags
/// raised so far (to be ORed into FPSR).
#[derive(Copy, Clone, Debug)]
pub struct Fp {
    pub fpcr: u32,
    pub flags: u32,
    /// Round to odd instead of FPCR.RMode (the BF16 dot products).
    pub odd: bool,
}

impl Fp {
    pub fn new(fpcr: u64) -> Fp {
        Fp {
            fpcr: fpcr as u32,
            flags: 0,
            odd: false,
        }
    }
    /// A context whose flags start as FPSR's cumulative bits, so fast paths
    /// can skip computing a flag that is already set.
    pub fn with_fpsr(fpcr: u64, fpsr: u64) -> Fp {
        Fp {
            fpcr: fpcr as u32,
            flags: fpsr as u32 & (FPSR_IOC | FPSR_DZC | FPSR_OFC | FPSR_UFC | FPSR_IXC | FPSR_IDC),
            odd: false,
        }
    }
    pub fn rounding(&self) -> Round {
        if self.odd {
            return Round::Odd;
        }
        Round::from_rmode(self.fpcr >> FPCR_RMODE_SHIFT)
    }
    pub fn dn(&self) -> bool {
        self.fpcr & FPCR_DN != 0
    }
    /// Flush-to-zero for arithmetic in format `f`.
    pub fn fz(&self, f: Fmt) -> bool {
        if f == H {
            self.fpcr & FPCR_FZ16 != 0
        } else {
            self.fpcr & FPCR_FZ != 0
        }
    }
    /// True when the host fast path may be used (round to nearest, no FZ).
    #[inline]
    pub fn fast(&self) -> bool {
        self.fpcr & (FPCR_FZ | 3 << FPCR_RMODE_SHIFT) == 0 && !self.odd
    }
    pub fn raise(&mut self, f: u32) {
        self.flags |= f;
    }

    /// FPUnpack: classifies `x`, flushing input denormals when FZ applies
    /// (`fz`), which raises IDC (not for half precision).
    pub fn unpack_fz(&mut self, f: Fmt, x: u64, fz: bool) -> Unp {
        let x = x & f.mask();
        let sign = x >> (f.width() - 1) != 0;
        let e = (x >> f.fbits) & f.emax_biased();
        let frac = x & f.frac_mask();
        let (kind, exp, mant) = if e == 0 {
            if frac == 0 {
                (Kind::Zero, 0, 0)
            } else if fz {
                // FPUnpackBase: half precision flushes under FZ16 without
                // raising Input Denormal; single/double raise IDC.
                if f != H {
                    self.raise(FPSR_IDC);
                }
                (Kind::Zero, 0, 0)
            } else {
                (Kind::Num, f.emin() - f.fbits as i32, frac)
            }
        } else if e == f.emax_biased() {
            if frac == 0 {
                (Kind::Inf, 0, 0)
            } else if frac & f.quiet_bit() != 0 {
                (Kind::QNaN, 0, 0)
            } else {
                (Kind::SNaN, 0, 0)
            }
        } else {
            (
                Kind::Num,
                e as i32 - f.bias() - f.fbits as i32,
                frac | 1 << f.fbits,
            )
        };
        Unp {
            kind,
            sign,
            exp,
            mant,
            bits: x,
        }
    }

    /// FPUnpack with the FPCR's flush-to-zero setting for arithmetic.
    pub fn unpack(&mut self, f: Fmt, x: u64) -> Unp {
        let fz = self.fz(f);
        self.unpack_fz(f, x, fz)
    }

    /// FPProcessNaN: quiets a signalling NaN (raising IOC), or gives the
    /// default NaN under FPCR.DN.
    pub fn process_nan(&mut self, f: Fmt, u: &Unp) -> u64 {
        if u.kind == Kind::SNaN {
            self.raise(FPSR_IOC);
        }
        if self.dn() {
            f.default_nan()
        } else {
            u.bits | f.quiet_bit()
        }
    }

    /// FPProcessNaNs for two operands: the first signalling NaN, else the
    /// first quiet NaN, processed; `None` if neither is a NaN.
    pub fn process_nans(&mut self, f: Fmt, a: &Unp, b: &Unp) -> Option<u64> {
        if a.kind == Kind::SNaN {
            Some(self.process_nan(f, a))
        } else if b.kind == Kind::SNaN {
            Some(self.process_nan(f, b))
        } else if a.kind == Kind::QNaN {
            Some(self.process_nan(f, a))
        } else if b.kind == Kind::QNaN {
            Some(self.process_nan(f, b))
        } else {
            None
        }
    }

    /// FPProcessNaNs3.
    pub fn process_nans3(&mut self, f: Fmt, a: &Unp, b: &Unp, c: &Unp) -> Option<u64> {
        for u in [a, b, c] {
            if u.kind == Kind::SNaN {
                return Some(self.process_nan(f, u));
            }
        }
        for u in [a, b, c] {
            if u.kind == Kind::QNaN {
                return Some(self.process_nan(f, u));
            }
        }
        None
    }

    /// Invalid operation: IOC and the default NaN.
    pub fn invalid(&mut self, f: Fmt) -> u64 {
        self.raise(FPSR_IOC);
        f.default_nan()
    }

    /// Rounds with the FPCR's mode and flush-to-zero setting.
    pub fn round(&mut self, f: Fmt, sign: bool, exp: i32, m: u128) -> u64 {
        let rm = self.rounding();
        let fz = self.fz(f);
        self.round_with(f, sign, exp, m, rm, fz, false)
    }

    /// FPRoundBase: rounds `(-1)^sign * m * 2^exp` to format `f`. `m` must be
    /// exact, or carry a sticky 1 in a bit position below the format's
    /// precision (at least two bits below the rounding point). `ahp`
    /// selects the alternative half-precision format (no infinities/NaNs).
    #[allow(clippy::too_many_arguments)]
    pub fn round_with(
        &mut self,
        f: Fmt,
        sign: bool,
        exp: i32,
        m: u128,
        rm: Round,
        fz: bool,
        ahp: bool,
    ) -> u64 {
        if m == 0 {
            return f.zero(sign);
        }
        let top = 127 - m.leading_zeros() as i32;
        let e = exp + top; // value in [2^e, 2^(e+1))
        let emin = f.emin();
        if e < emin && fz {
            self.raise(FPSR_UFC);
            return f.zero(sign);
        }
        let fb = f.fbits as i32;
        let lsb_exp = e.max(emin) - fb;
        let shift = lsb_exp - exp;
        // int_mant and the dropped part compared with half an ulp.
        let (mut im, err_cmp_half, inexact) = if shift <= 0 {
            (m << (-shift) as u32, std::cmp::Ordering::Less, false)
        } else if shift >= 128 {
            // Everything is below the rounding point; m > 0 is < half ulp
            // unless shift == ... (m < 2^128 <= 2^(shift-1) when shift > 128).
            let cmp = if shift == 128 {
                m.cmp(&(1u128 << 127))
            } else {
                std::cmp::Ordering::Less
            };
            (0, cmp, true)
        } else {
            let s = shift as u32;
            let rem = m & ((1u128 << s) - 1);
            let half = 1u128 << (s - 1);
            (m >> s, rem.cmp(&half), rem != 0)
        };
        let tiny = e < emin;
        if tiny && inexact {
            self.raise(FPSR_UFC);
        }
        use std::cmp::Ordering::*;
        let up = match rm {
            Round::TieEven => err_cmp_half == Greater || (err_cmp_half == Equal && im & 1 == 1),
            Round::TieAway => err_cmp_half != Less,
            Round::PosInf => inexact && !sign,
            Round::NegInf => inexact && sign,
            Round::Zero => false,
            Round::Odd => {
                if inexact {
                    im |= 1;
                }
                false
            }
        };
        let mut lsb_exp = lsb_exp;
        if up {
            im += 1;
            if im == 1u128 << (fb + 1) {
                im >>= 1;
                lsb_exp += 1;
            }
        }
        // Encode.
        let biased = if im >> fb == 0 {
            0u64
        } else {
            (lsb_exp + fb + f.bias()) as u64
        };
        let maxb = if ahp && f == H { 32 } else { f.emax_biased() };
        if biased >= maxb {
            if ahp && f == H {
                self.raise(FPSR_IOC);
                return (sign as u64) << 15 | 0x7fff;
            }
            self.raise(FPSR_OFC | FPSR_IXC);
            let to_inf = match rm {
                Round::TieEven | Round::TieAway => true,
                Round::PosInf => !sign,
                Round::NegInf => sign,
                Round::Zero | Round::Odd => false,
            };
            return if to_inf {
                f.inf(sign)
            } else {
                f.max_normal(sign)
            };
        }
        if inexact {
            self.raise(FPSR_IXC);
        }
        (sign as u64) << (f.width() - 1) | biased << f.fbits | (im as u64 & f.frac_mask())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_basics() {
        let mut fp = Fp::new(0);
        // 1.0 in double
        assert_eq!(fp.round(D, false, 0, 1), 1.0f64.to_bits());
        assert_eq!(fp.round(S, true, -1, 3), (-1.5f32).to_bits() as u64);
        assert_eq!(fp.flags, 0);
        // 1 + 2^-60 is inexact in double
        let r = fp.round(D, false, -60, (1u128 << 60) + 1);
        assert_eq!(r, 1.0f64.to_bits());
        assert_eq!(fp.flags, FPSR_IXC);
        // overflow
        let mut fp = Fp::new(0);
        assert_eq!(fp.round(S, false, 200, 1), f32::INFINITY.to_bits() as u64);
        assert_eq!(fp.flags, FPSR_OFC | FPSR_IXC);
        // smallest subnormal, exact
        let mut fp = Fp::new(0);
        assert_eq!(fp.round(D, false, -1074, 1), 1);
        assert_eq!(fp.flags, 0);
        // half of it rounds to zero, underflow + inexact
        assert_eq!(fp.round(D, false, -1075, 1), 0);
        assert_eq!(fp.flags, FPSR_UFC | FPSR_IXC);
    }
}
