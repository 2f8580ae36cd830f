//! Shared machinery of the AdvSIMD helpers: the operation descriptor passed
//! as a helper's only argument, V register access through env, element
//! access within a 128-bit value, saturation and shifts.

use crate::cpu::CpuState;
use crate::translate::Ctx;
use tcg::helper::Helper;

pub(crate) use crate::translate::fp::helpers::cpu;

/// Descriptor of a lane-wise operation. Layout (bits):
/// op 0..8, size 8..10 (log2 element bytes), q 10, u 11, rd 12..17,
/// rn 17..22, rm 22..27, ra 27..32, imm 32..48, scalar 48, idx flag 49.
#[derive(Copy, Clone, Debug, Default)]
pub(crate) struct Desc {
    pub op: u32,
    pub size: u32,
    pub q: bool,
    pub u: bool,
    pub rd: usize,
    pub rn: usize,
    pub rm: usize,
    pub ra: usize,
    pub imm: u32,
    pub scalar: bool,
    /// Operand 2 is element `imm` of Vm broadcast (by-element forms).
    pub by_elem: bool,
}

impl Desc {
    pub fn pack(&self) -> u64 {
        (self.op as u64 & 0xff)
            | (self.size as u64 & 3) << 8
            | (self.q as u64) << 10
            | (self.u as u64) << 11
            | (self.rd as u64 & 31) << 12
            | (self.rn as u64 & 31) << 17
            | (self.rm as u64 & 31) << 22
            | (self.ra as u64 & 31) << 27
            | (self.imm as u64 & 0xffff) << 32
            | (self.scalar as u64) << 48
            | (self.by_elem as u64) << 49
    }
    pub fn unpack(d: u64) -> Desc {
        Desc {
            op: (d & 0xff) as u32,
            size: (d >> 8 & 3) as u32,
            q: d >> 10 & 1 != 0,
            u: d >> 11 & 1 != 0,
            rd: (d >> 12 & 31) as usize,
            rn: (d >> 17 & 31) as usize,
            rm: (d >> 22 & 31) as usize,
            ra: (d >> 27 & 31) as usize,
            imm: (d >> 32 & 0xffff) as u32,
            scalar: d >> 48 & 1 != 0,
            by_elem: d >> 49 & 1 != 0,
        }
    }
    /// Element size in bits.
    pub fn ebits(&self) -> u32 {
        8 << self.size
    }
    /// Number of elements processed: 1 for scalar forms, else per Q.
    pub fn elems(&self) -> usize {
        if self.scalar {
            1
        } else {
            (if self.q { 128 } else { 64 }) / self.ebits() as usize
        }
    }
}

/// Emits a call of a descriptor-only helper.
pub(crate) fn call(ctx: &mut Ctx, h: &'static Helper, d: Desc) {
    let t = ctx.b.const_i64(d.pack());
    ctx.b.call(h, None, &[t]);
}

pub(crate) fn vget(c: &CpuState, n: usize) -> u128 {
    c.v[n][0] as u128 | (c.v[n][1] as u128) << 64
}

pub(crate) fn vset(c: &mut CpuState, n: usize, v: u128) {
    c.v[n][0] = v as u64;
    c.v[n][1] = (v >> 64) as u64;
}

/// Writes a result: all 128 bits for Q forms, else the low 64 with the
/// upper half zeroed (scalar forms pass their element-sized result).
pub(crate) fn vset_q(c: &mut CpuState, n: usize, v: u128, q: bool) {
    vset(c, n, if q { v } else { v as u64 as u128 });
}

#[inline]
pub(crate) fn ones(bits: u32) -> u64 {
    if bits >= 64 {
        u64::MAX
    } else {
        (1u64 << bits) - 1
    }
}

#[inline]
pub(crate) fn elem(v: u128, i: usize, bits: u32) -> u64 {
    (v >> (i as u32 * bits)) as u64 & ones(bits)
}

#[inline]
pub(crate) fn set_elem(v: &mut u128, i: usize, bits: u32, x: u64) {
    let sh = i as u32 * bits;
    let m = (ones(bits) as u128) << sh;
    *v = (*v & !m) | (((x & ones(bits)) as u128) << sh);
}

/// Sign-extends the low `bits` of `x`.
#[inline]
pub(crate) fn sx(x: u64, bits: u32) -> i64 {
    let s = 64 - bits;
    ((x << s) as i64) >> s
}

/// Element value as i128, signed or unsigned.
#[inline]
pub(crate) fn val(x: u64, bits: u32, signed: bool) -> i128 {
    if signed {
        sx(x, bits) as i128
    } else {
        (x & ones(bits)) as i128
    }
}

/// Saturates `v` to a `bits`-wide signed or unsigned integer; sets `*qc`
/// when it had to.
#[inline]
pub(crate) fn sat(v: i128, bits: u32, signed: bool, qc: &mut bool) -> u64 {
    let (lo, hi) = if signed {
        (-(1i128 << (bits - 1)), (1i128 << (bits - 1)) - 1)
    } else {
        (0, (1i128 << bits) - 1)
    };
    if v < lo {
        *qc = true;
        lo as u64 & ones(bits)
    } else if v > hi {
        *qc = true;
        hi as u64 & ones(bits)
    } else {
        v as u64 & ones(bits)
    }
}

/// `v << sh` for sh >= 0, else a right shift (arithmetic on the i128
/// value) by -sh, rounding to nearest (ties up) when `round`. Large left
/// shifts of nonzero values give a value beyond any 64-bit range.
#[inline]
pub(crate) fn shift(v: i128, sh: i64, round: bool) -> i128 {
    if sh >= 0 {
        if v == 0 {
            0
        } else if sh >= 64 || v.unsigned_abs() >> (126 - sh as u32) != 0 {
            v.signum() << 100
        } else {
            v << sh
        }
    } else {
        let n = (-sh).min(120) as u32;
        if round {
            (v + (1i128 << (n - 1))) >> n
        } else {
            v >> n
        }
    }
}

/// Polynomial (carry-less) multiply of two 64-bit values.
pub(crate) fn clmul(a: u64, b: u64) -> u128 {
    let mut r = 0u128;
    for i in 0..64 {
        if b >> i & 1 != 0 {
            r ^= (a as u128) << i;
        }
    }
    r
}

/// Sets FPSR.QC.
pub(crate) fn set_qc(c: &mut CpuState) {
    c.fpsr |= crate::fpu::FPSR_QC as u64;
}
