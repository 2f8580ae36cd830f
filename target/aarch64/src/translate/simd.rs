//! A64 AdvSIMD: loads/stores of SIMD&FP registers and the AdvSIMD data
//! processing groups. One submodule per encoding class of the manual; each
//! exports a `const PATTERNS`, concatenated here in decode order.
//!
//! V registers live in the env (`CpuState::v`), not in globals: simple ops
//! read and write their 64-bit halves with `ld_env_i64`/`st_env_i64`
//! inline; lane-wise work calls helpers (`lanes.rs`) that take register
//! numbers and an operation descriptor and touch the registers through env.

mod across;
mod arith;
pub(crate) mod bf16;
mod complex;
mod copy;
pub(crate) mod crypto;
mod dot;
mod extra;
mod fhm;
mod fparith;
mod fpmisc;
pub(crate) mod lanes;
mod ldst;
mod misc;
mod perm;
mod shift;
mod sm;
mod swar;

use super::Ctx;
use crate::cpu::vreg_off;
use crate::decode::{Insn, Pattern, Undef};
use tcg::ir::{MemOp, Temp};

/// Concatenates pattern tables at compile time.
pub(crate) const fn concat<const N: usize>(parts: &[&[Pattern]]) -> [Pattern; N] {
    let mut out = [const {
        Pattern {
            name: "",
            mask: u32::MAX,
            bits: 0,
            handler: never,
        }
    }; N];
    let mut k = 0;
    let mut i = 0;
    while i < parts.len() {
        let mut j = 0;
        while j < parts[i].len() {
            let p = &parts[i][j];
            out[k] = Pattern {
                name: p.name,
                mask: p.mask,
                bits: p.bits,
                handler: p.handler,
            };
            k += 1;
            j += 1;
        }
        i += 1;
    }
    assert!(k == N);
    out
}

fn never(_: &mut Ctx, _: Insn) -> Result<(), Undef> {
    Err(Undef)
}

const PARTS: &[&[Pattern]] = &[
    ldst::PATTERNS,
    copy::PATTERNS,
    perm::PATTERNS,
    arith::PATTERNS,
    shift::PATTERNS,
    misc::PATTERNS,
    across::PATTERNS,
    fparith::PATTERNS,
    crypto::PATTERNS,
    extra::PATTERNS,
    sm::PATTERNS,
];

const N_PATTERNS: usize = {
    let mut n = 0;
    let mut i = 0;
    while i < PARTS.len() {
        n += PARTS[i].len();
        i += 1;
    }
    n
};

static ALL: [Pattern; N_PATTERNS] = concat(PARTS);

pub static PATTERNS: &[Pattern] = &ALL;

// ---- V register access from IR

/// Reads 64-bit half `half` of V`n`.
pub(crate) fn vread(ctx: &mut Ctx, n: usize, half: usize) -> Temp {
    let t = ctx.b.temp_i64();
    ctx.b.ld_env_i64(t, vreg_off(n, half), MemOp::UQ);
    t
}

/// Writes 64-bit half `half` of V`n`.
pub(crate) fn vwrite(ctx: &mut Ctx, n: usize, half: usize, v: Temp) {
    ctx.b.st_env_i64(v, vreg_off(n, half), MemOp::UQ);
}

/// Zeroes the upper 64 bits of V`n`.
pub(crate) fn vclear_high(ctx: &mut Ctx, n: usize) {
    let z = ctx.b.const_i64(0);
    vwrite(ctx, n, 1, z);
}

/// Writes a scalar of `1 << log2` bytes (zero-extended in `v`) to V`n`,
/// zeroing the rest of the register.
pub(crate) fn vwrite_scalar(ctx: &mut Ctx, n: usize, v: Temp) {
    vwrite(ctx, n, 0, v);
    vclear_high(ctx, n);
}

/// Reads element `idx` of `1 << log2` bytes of V`n`, zero- or sign-extended.
pub(crate) fn vread_lane(ctx: &mut Ctx, n: usize, idx: usize, log2: u32, signed: bool) -> Temp {
    let t = ctx.b.temp_i64();
    let mut mo = MemOp::size_log2(log2);
    if signed {
        mo = mo.signed();
    }
    ctx.b
        .ld_env_i64(t, vreg_off(n, 0) + ((idx as u32) << log2), mo);
    t
}

/// Writes element `idx` of `1 << log2` bytes of V`n` (other lanes kept).
pub(crate) fn vwrite_lane(ctx: &mut Ctx, n: usize, idx: usize, log2: u32, v: Temp) {
    ctx.b.st_env_i64(
        v,
        vreg_off(n, 0) + ((idx as u32) << log2),
        MemOp::size_log2(log2),
    );
}

/// Replicates the low `8 << log2` bits of `v` across 64 bits.
pub(crate) fn dup64(ctx: &mut Ctx, v: Temp, log2: u32) -> Temp {
    if log2 == 3 {
        return v;
    }
    let t = ctx.b.temp_i64();
    let mask = (1u64 << (8 << log2)) - 1;
    ctx.b.andi_i64(t, v, mask);
    let m = ctx.b.const_i64(u64::MAX / mask);
    ctx.b.mul_i64(t, t, m);
    t
}

/// Replicates a constant element across 64 bits.
pub(crate) fn dup_const(v: u64, log2: u32) -> u64 {
    if log2 == 3 {
        v
    } else {
        let mask = (1u64 << (8 << log2)) - 1;
        (v & mask).wrapping_mul(u64::MAX / mask)
    }
}

/// Fails unless the model has `feature`.
pub(crate) fn need(feature: bool) -> Result<(), Undef> {
    if feature {
        Ok(())
    } else {
        Err(Undef)
    }
}
