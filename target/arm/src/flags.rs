//! NZCV in the unpacked representation of `CpuState`: N is bit 31 of `nf`,
//! Z is `zf == 0`, C is `cf` (0 or 1), V is bit 31 of `vf` (the same idea
//! as the AArch64 frontend's `flags.rs`, on 32-bit globals). Setting flags
//! is a few ops with no packing; every condition is one comparison.
//!
//! The `*_flags` functions compute flags into fresh temps and return the
//! result, and `set_nzcv` writes them, so callers can compute everything
//! before writing a destination that may alias a source.

use crate::cpu::{G_CF, G_NF, G_VF, G_ZF};
use crate::translate::{Ctx, I32Ext};
use tcg::ir::{Cond, Temp};

/// Flag values in the `CpuState` representation, held in temps.
#[derive(Copy, Clone, Debug)]
pub struct Nzcv {
    pub n: Temp,
    pub z: Temp,
    pub c: Temp,
    pub v: Temp,
}

/// A condition as one comparison of two i32 temps.
#[derive(Copy, Clone, Debug)]
pub struct Test {
    pub cond: Cond,
    pub a: Temp,
    pub b: Temp,
}

fn globals(ctx: &Ctx) -> (Temp, Temp, Temp, Temp) {
    (
        ctx.b.global(G_NF),
        ctx.b.global(G_ZF),
        ctx.b.global(G_CF),
        ctx.b.global(G_VF),
    )
}

pub fn set_nzcv(ctx: &mut Ctx, f: Nzcv) {
    let (gn, gz, gc, gv) = globals(ctx);
    ctx.b.mov_i32(gn, f.n);
    ctx.b.mov_i32(gz, f.z);
    ctx.b.mov_i32(gc, f.c);
    ctx.b.mov_i32(gv, f.v);
}

/// N and Z from `res`; C from `carry` when given; V unchanged (logical ops).
pub fn set_logic(ctx: &mut Ctx, res: Temp, carry: Option<Temp>) {
    let (gn, gz, gc, _) = globals(ctx);
    if let Some(c) = carry {
        ctx.b.mov_i32(gc, c);
    }
    ctx.b.mov_i32(gn, res);
    ctx.b.mov_i32(gz, res);
}

/// N and Z only (multiplies).
pub fn set_nz(ctx: &mut Ctx, res: Temp) {
    set_logic(ctx, res, None);
}

/// `a + b + carry` (carry: a 0/1 temp, or none) with flags.
pub fn add_flags(ctx: &mut Ctx, a: Temp, b: Temp, carry: Option<Temp>) -> (Temp, Nzcv) {
    let res = ctx.b.temp_i32();
    let c = ctx.b.temp_i32();
    match carry {
        None => {
            ctx.b.add_i32(res, a, b);
            ctx.b.setcond_i32(c, res, a, Cond::Ltu);
        }
        Some(ci) => {
            let t = ctx.b.temp_i32();
            let c1 = ctx.b.temp_i32();
            let c2 = ctx.b.temp_i32();
            ctx.b.add_i32(t, a, ci);
            ctx.b.setcond_i32(c1, t, a, Cond::Ltu);
            ctx.b.add_i32(res, t, b);
            ctx.b.setcond_i32(c2, res, t, Cond::Ltu);
            ctx.b.or_i32(c, c1, c2);
        }
    }
    let x = ctx.b.temp_i32();
    let y = ctx.b.temp_i32();
    let v = ctx.b.temp_i32();
    ctx.b.xor_i32(x, res, a);
    ctx.b.xor_i32(y, a, b);
    ctx.b.andc_i32(v, x, y);
    (
        res,
        Nzcv {
            n: res,
            z: res,
            c,
            v,
        },
    )
}

/// `a - b` with flags (C = no borrow).
pub fn sub_flags(ctx: &mut Ctx, a: Temp, b: Temp) -> (Temp, Nzcv) {
    let res = ctx.b.temp_i32();
    let c = ctx.b.temp_i32();
    ctx.b.sub_i32(res, a, b);
    ctx.b.setcond_i32(c, a, b, Cond::Geu);
    let x = ctx.b.temp_i32();
    let y = ctx.b.temp_i32();
    let v = ctx.b.temp_i32();
    ctx.b.xor_i32(x, res, a);
    ctx.b.xor_i32(y, a, b);
    ctx.b.and_i32(v, x, y);
    (
        res,
        Nzcv {
            n: res,
            z: res,
            c,
            v,
        },
    )
}

/// `a + ~b + carry` (SBC/RSC) with flags.
pub fn sbc_flags(ctx: &mut Ctx, a: Temp, b: Temp, carry: Temp) -> (Temp, Nzcv) {
    let nb = ctx.b.temp_i32();
    ctx.b.not_i32(nb, b);
    add_flags(ctx, a, nb, Some(carry))
}

/// The current C flag as a 0/1 temp.
pub fn carry(ctx: &Ctx) -> Temp {
    ctx.b.global(G_CF)
}

/// Evaluates condition code `cc` (0..15) on the current flags.
pub fn test_cc(ctx: &mut Ctx, cc: u32) -> Test {
    let (gn, gz, gc, gv) = globals(ctx);
    let zero = ctx.b.const_i32(0);
    let (cond, a, b) = match cc >> 1 {
        0 => (Cond::Eq, gz, zero),
        1 => (Cond::Ne, gc, zero),
        2 => (Cond::Lt, gn, zero),
        3 => (Cond::Lt, gv, zero),
        4 => {
            // HI: C && !Z  <=>  (-C & zf) != 0
            let m = ctx.b.temp_i32();
            ctx.b.neg_i32(m, gc);
            (Cond::TstNe, m, gz)
        }
        5 => {
            let t = ctx.b.temp_i32();
            ctx.b.xor_i32(t, gn, gv);
            (Cond::Ge, t, zero)
        }
        6 => {
            // GT: !Z && N == V  <=>  ((nf ^ vf) | (Z ? -1 : 0)) >= 0
            let t = ctx.b.temp_i32();
            let zb = ctx.b.temp_i32();
            let zm = ctx.b.temp_i32();
            ctx.b.xor_i32(t, gn, gv);
            ctx.b.setcond_i32(zb, gz, zero, Cond::Eq);
            ctx.b.neg_i32(zm, zb);
            let u = ctx.b.temp_i32();
            ctx.b.or_i32(u, t, zm);
            (Cond::Ge, u, zero)
        }
        _ => {
            return Test {
                cond: Cond::Always,
                a: zero,
                b: zero,
            }
        }
    };
    let cond = if cc & 1 != 0 && cc != 15 {
        cond.invert()
    } else {
        cond
    };
    Test { cond, a, b }
}

/// A 0/1 i32 temp holding the test's outcome.
pub fn test_to_bool(ctx: &mut Ctx, t: Test) -> Temp {
    let d = ctx.b.temp_i32();
    ctx.b.setcond_i32(d, t.a, t.b, t.cond);
    d
}

/// Packs the flags into NZCV format (bits 31..28).
pub fn read_nzcv(ctx: &mut Ctx) -> Temp {
    let (gn, gz, gc, gv) = globals(ctx);
    let zero = ctx.b.const_i32(0);
    let n = ctx.b.temp_i32();
    ctx.b.shri_i32(n, gn, 31);
    let z = ctx.b.temp_i32();
    ctx.b.setcond_i32(z, gz, zero, Cond::Eq);
    let v = ctx.b.temp_i32();
    ctx.b.shri_i32(v, gv, 31);
    let r = ctx.b.temp_i32();
    ctx.b.shli_i32(r, n, 1);
    ctx.b.or_i32(r, r, z);
    ctx.b.shli_i32(r, r, 1);
    ctx.b.or_i32(r, r, gc);
    ctx.b.shli_i32(r, r, 1);
    ctx.b.or_i32(r, r, v);
    ctx.b.shli_i32(r, r, 28);
    r
}

/// Unpacks an NZCV-format value (bits 31..28) into the flag globals.
pub fn write_nzcv(ctx: &mut Ctx, val: Temp) {
    let (gn, gz, gc, gv) = globals(ctx);
    let n = ctx.b.temp_i32();
    ctx.b.andi_i32(n, val, 1 << 31);
    let z = ctx.b.temp_i32();
    ctx.b.extract_i32(z, val, 30, 1);
    let one = ctx.b.const_i32(1);
    let zf = ctx.b.temp_i32();
    ctx.b.xor_i32(zf, z, one);
    let c = ctx.b.temp_i32();
    ctx.b.extract_i32(c, val, 29, 1);
    let v = ctx.b.temp_i32();
    ctx.b.shli_i32(v, val, 3);
    ctx.b.andi_i32(v, v, 1 << 31);
    ctx.b.mov_i32(gn, n);
    ctx.b.mov_i32(gz, zf);
    ctx.b.mov_i32(gc, c);
    ctx.b.mov_i32(gv, v);
}
