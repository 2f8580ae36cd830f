//! NZCV computation for the unpacked flag representation of `CpuState`:
//! N is bit 63 of `nf`, Z is `zf == 0`, C is `cf` (0 or 1), V is bit 63 of
//! `vf`. 32-bit operations sign-extend their result and overflow word into
//! `nf`/`vf` and zero-extend their result into `zf`, so every condition is
//! one or two 64-bit comparisons whatever the operand size was.
//!
//! The `*_flags` functions compute flags into fresh temps (`Nzcv`) and return
//! the result; `set_nzcv` writes them to the globals. Keeping the two apart
//! lets CCMP select between computed and immediate flags, and lets callers
//! compute everything before writing a destination that may alias a source.

use crate::cpu::{G_CF, G_NF, G_VF, G_ZF};
use crate::translate::Ctx;
use tcg::ir::{Cond, Temp};

/// Flag values in the `CpuState` representation, held in temps.
#[derive(Copy, Clone, Debug)]
pub struct Nzcv {
    pub n: Temp,
    pub z: Temp,
    pub c: Temp,
    pub v: Temp,
    /// Set when these flags are those of a compare `a - b` (SUBS/CMP), so
    /// conditions can compare the operands directly.
    pub cmp: Option<Compare>,
}

/// The operands of the compare that produced the current flags (copies, so
/// later writes of the source registers do not affect them).
#[derive(Copy, Clone, Debug)]
pub struct Compare {
    pub a: Temp,
    pub b: Temp,
    pub sf: bool,
    /// Op index right after the flags were written.
    pub at: usize,
}

/// A condition as one comparison of two i64 temps: usable in
/// `Terminal::Cond`, `brcond_i64`, `setcond_i64` and `movcond_i64`.
#[derive(Copy, Clone, Debug)]
pub struct Test {
    pub cond: Cond,
    pub a: Temp,
    pub b: Temp,
}

/// Writes flag temps to the NZCV globals.
pub fn set_nzcv(ctx: &mut Ctx, f: Nzcv) {
    let (gn, gz, gc, gv) = globals(ctx);
    ctx.b.mov_i64(gn, f.n);
    ctx.b.mov_i64(gz, f.z);
    ctx.b.mov_i64(gc, f.c);
    ctx.b.mov_i64(gv, f.v);
    ctx.last_cmp = f.cmp.map(|c| Compare {
        at: ctx.b.len(),
        ..c
    });
}

/// The condition as one comparison of the last compare's operands, when
/// the flags still are that compare's (nothing wrote them since).
fn fused_test(ctx: &mut Ctx, cc: u32) -> Option<Test> {
    let cmp = ctx.last_cmp?;
    let (gn, gz, gc, gv) = globals(ctx);
    if ctx.b.written_since(cmp.at, &[gn, gz, gc, gv]) {
        return None;
    }
    let (cond, signed) = match cc {
        0 => (Cond::Eq, false),
        1 => (Cond::Ne, false),
        2 => (Cond::Geu, false),
        3 => (Cond::Ltu, false),
        8 => (Cond::Gtu, false),
        9 => (Cond::Leu, false),
        10 => (Cond::Ge, true),
        11 => (Cond::Lt, true),
        12 => (Cond::Gt, true),
        13 => (Cond::Le, true),
        _ => return None,
    };
    if cmp.sf {
        return Some(Test {
            cond,
            a: cmp.a,
            b: cmp.b,
        });
    }
    let a = ctx.b.temp_i64();
    let b = ctx.b.temp_i64();
    if signed {
        ctx.b.ext32s_i64(a, cmp.a);
        ctx.b.ext32s_i64(b, cmp.b);
    } else {
        ctx.b.ext32u_i64(a, cmp.a);
        ctx.b.ext32u_i64(b, cmp.b);
    }
    Some(Test { cond, a, b })
}

fn globals(ctx: &Ctx) -> (Temp, Temp, Temp, Temp) {
    (
        ctx.b.global(G_NF),
        ctx.b.global(G_ZF),
        ctx.b.global(G_CF),
        ctx.b.global(G_VF),
    )
}

/// Flags for the constant `nzcv` (bits 3..0 = N, Z, C, V as in CCMP's field).
pub fn const_nzcv(ctx: &mut Ctx, nzcv: u32) -> Nzcv {
    let n = ctx.b.const_i64(if nzcv & 8 != 0 { u64::MAX } else { 0 });
    let z = ctx.b.const_i64(u64::from(nzcv & 4 == 0));
    let c = ctx.b.const_i64(u64::from(nzcv >> 1 & 1));
    let v = ctx.b.const_i64(if nzcv & 1 != 0 { u64::MAX } else { 0 });
    Nzcv {
        n,
        z,
        c,
        v,
        cmp: None,
    }
}

/// N and Z from a result of width `sf`; C and V cleared (logical ops).
pub fn logic_flags(ctx: &mut Ctx, res: Temp, sf: bool) -> Nzcv {
    let (n, z) = nz(ctx, res, sf);
    let c = ctx.b.const_i64(0);
    Nzcv {
        n,
        z,
        c,
        v: c,
        cmp: None,
    }
}

fn nz(ctx: &mut Ctx, res: Temp, sf: bool) -> (Temp, Temp) {
    if sf {
        (res, res)
    } else {
        let n = ctx.b.temp_i64();
        let z = ctx.b.temp_i64();
        ctx.b.ext32s_i64(n, res);
        ctx.b.ext32u_i64(z, res);
        (n, z)
    }
}

/// `a + b` with flags; the returned result is 64-bit (callers narrow 32-bit
/// results when writing them).
pub fn add_flags(ctx: &mut Ctx, a: Temp, b: Temp, sf: bool) -> (Temp, Nzcv) {
    add_carry_flags(ctx, a, b, None, sf)
}

/// `a - b` with flags.
pub fn sub_flags(ctx: &mut Ctx, a: Temp, b: Temp, sf: bool) -> (Temp, Nzcv) {
    let ac = ctx.b.temp_i64();
    let bc = ctx.b.temp_i64();
    ctx.b.mov_i64(ac, a);
    ctx.b.mov_i64(bc, b);
    let cmp = Some(Compare {
        a: ac,
        b: bc,
        sf,
        at: 0,
    });
    let res = ctx.b.temp_i64();
    let c = ctx.b.temp_i64();
    let x = ctx.b.temp_i64();
    let y = ctx.b.temp_i64();
    if sf {
        ctx.b.sub_i64(res, a, b);
        ctx.b.setcond_i64(c, a, b, Cond::Geu);
        ctx.b.xor_i64(x, res, a);
        ctx.b.xor_i64(y, a, b);
        let v = ctx.b.temp_i64();
        ctx.b.and_i64(v, x, y);
        return (
            res,
            Nzcv {
                n: res,
                z: res,
                c,
                v,
                cmp,
            },
        );
    }
    let a32 = ctx.b.temp_i64();
    let b32 = ctx.b.temp_i64();
    ctx.b.ext32u_i64(a32, a);
    ctx.b.ext32u_i64(b32, b);
    ctx.b.sub_i64(res, a32, b32);
    ctx.b.setcond_i64(c, a32, b32, Cond::Geu);
    ctx.b.xor_i64(x, res, a32);
    ctx.b.xor_i64(y, a32, b32);
    let v64 = ctx.b.temp_i64();
    ctx.b.and_i64(v64, x, y);
    let v = ctx.b.temp_i64();
    ctx.b.ext32s_i64(v, v64);
    let (n, z) = nz(ctx, res, false);
    (res, Nzcv { n, z, c, v, cmp })
}

/// `a + b + carry` (carry: a 0/1 temp, or none) with flags.
pub fn add_carry_flags(
    ctx: &mut Ctx,
    a: Temp,
    b: Temp,
    carry: Option<Temp>,
    sf: bool,
) -> (Temp, Nzcv) {
    let res = ctx.b.temp_i64();
    let c = ctx.b.temp_i64();
    let x = ctx.b.temp_i64();
    let y = ctx.b.temp_i64();
    if sf {
        match carry {
            None => {
                ctx.b.add_i64(res, a, b);
                ctx.b.setcond_i64(c, res, a, Cond::Ltu);
            }
            Some(ci) => {
                // Carry out of a + ci, then of (a + ci) + b; at most one is set.
                let t = ctx.b.temp_i64();
                let c1 = ctx.b.temp_i64();
                let c2 = ctx.b.temp_i64();
                ctx.b.add_i64(t, a, ci);
                ctx.b.setcond_i64(c1, t, a, Cond::Ltu);
                ctx.b.add_i64(res, t, b);
                ctx.b.setcond_i64(c2, res, t, Cond::Ltu);
                ctx.b.or_i64(c, c1, c2);
            }
        }
        ctx.b.xor_i64(x, res, a);
        ctx.b.xor_i64(y, a, b);
        let v = ctx.b.temp_i64();
        ctx.b.andc_i64(v, x, y);
        return (
            res,
            Nzcv {
                n: res,
                z: res,
                c,
                v,
                cmp: None,
            },
        );
    }
    // 32-bit: the 64-bit sum of zero-extended operands has the carry in bit 32.
    let a32 = ctx.b.temp_i64();
    let b32 = ctx.b.temp_i64();
    ctx.b.ext32u_i64(a32, a);
    ctx.b.ext32u_i64(b32, b);
    ctx.b.add_i64(res, a32, b32);
    if let Some(ci) = carry {
        ctx.b.add_i64(res, res, ci);
    }
    ctx.b.extract_i64(c, res, 32, 1);
    ctx.b.xor_i64(x, res, a32);
    ctx.b.xor_i64(y, a32, b32);
    let v64 = ctx.b.temp_i64();
    ctx.b.andc_i64(v64, x, y);
    let v = ctx.b.temp_i64();
    ctx.b.ext32s_i64(v, v64);
    let (n, z) = nz(ctx, res, false);
    (
        res,
        Nzcv {
            n,
            z,
            c,
            v,
            cmp: None,
        },
    )
}

/// `a + ~b + carry` (SBC/SBCS) with flags.
pub fn sub_carry_flags(ctx: &mut Ctx, a: Temp, b: Temp, carry: Temp, sf: bool) -> (Temp, Nzcv) {
    let nb = ctx.b.temp_i64();
    ctx.b.not_i64(nb, b);
    add_carry_flags(ctx, a, nb, Some(carry), sf)
}

/// The current C flag as a 0/1 temp.
pub fn carry(ctx: &Ctx) -> Temp {
    ctx.b.global(G_CF)
}

/// Evaluates A64 condition code `cc` (0..15) on the current flags.
///
/// The returned operands may be the flag globals themselves: consume the
/// test before writing flags (or materialize it with `test_to_bool`).
pub fn test_cc(ctx: &mut Ctx, cc: u32) -> Test {
    if let Some(t) = fused_test(ctx, cc) {
        return t;
    }
    let (gn, gz, gc, gv) = globals(ctx);
    let zero = ctx.b.const_i64(0);
    let base = cc >> 1;
    let (cond, a) = match base {
        0 => (Cond::Eq, gz), // EQ: Z
        1 => (Cond::Ne, gc), // CS: C
        2 => (Cond::Lt, gn), // MI: N
        3 => (Cond::Lt, gv), // VS: V
        4 => {
            // HI: C && !Z  <=>  (-C & zf) != 0
            let m = ctx.b.temp_i64();
            let t = ctx.b.temp_i64();
            ctx.b.neg_i64(m, gc);
            ctx.b.and_i64(t, m, gz);
            (Cond::Ne, t)
        }
        5 => {
            // GE: N == V  <=>  (nf ^ vf) >= 0
            let t = ctx.b.temp_i64();
            ctx.b.xor_i64(t, gn, gv);
            (Cond::Ge, t)
        }
        6 => {
            // GT: !Z && N == V  <=>  ((nf ^ vf) | (Z ? -1 : 0)) >= 0
            let t = ctx.b.temp_i64();
            let zb = ctx.b.temp_i64();
            let zm = ctx.b.temp_i64();
            ctx.b.xor_i64(t, gn, gv);
            ctx.b.setcond_i64(zb, gz, zero, Cond::Eq);
            ctx.b.neg_i64(zm, zb);
            let u = ctx.b.temp_i64();
            ctx.b.or_i64(u, t, zm);
            (Cond::Ge, u)
        }
        _ => {
            return Test {
                cond: Cond::Always,
                a: zero,
                b: zero,
            }
        }
    };
    let cond = if cc & 1 != 0 { cond.invert() } else { cond };
    Test { cond, a, b: zero }
}

/// A 0/1 i64 temp holding the test's outcome.
pub fn test_to_bool(ctx: &mut Ctx, t: Test) -> Temp {
    let d = ctx.b.temp_i64();
    ctx.b.setcond_i64(d, t.a, t.b, t.cond);
    d
}

/// Packs the flags into NZCV register format (bits 31..28).
pub fn read_nzcv(ctx: &mut Ctx) -> Temp {
    let (gn, gz, gc, gv) = globals(ctx);
    let zero = ctx.b.const_i64(0);
    let n = ctx.b.temp_i64();
    ctx.b.shri_i64(n, gn, 63);
    let z = ctx.b.temp_i64();
    ctx.b.setcond_i64(z, gz, zero, Cond::Eq);
    let v = ctx.b.temp_i64();
    ctx.b.shri_i64(v, gv, 63);
    let r = ctx.b.temp_i64();
    ctx.b.shli_i64(r, n, 1);
    ctx.b.or_i64(r, r, z);
    ctx.b.shli_i64(r, r, 1);
    ctx.b.or_i64(r, r, gc);
    ctx.b.shli_i64(r, r, 1);
    ctx.b.or_i64(r, r, v);
    ctx.b.shli_i64(r, r, 28);
    r
}

/// Unpacks an NZCV-format value (bits 31..28) into the flag globals.
pub fn write_nzcv(ctx: &mut Ctx, val: Temp) {
    let (gn, gz, gc, gv) = globals(ctx);
    let n = ctx.b.temp_i64();
    ctx.b.sextract_i64(n, val, 31, 1);
    let z = ctx.b.temp_i64();
    ctx.b.extract_i64(z, val, 30, 1);
    let one = ctx.b.const_i64(1);
    let zf = ctx.b.temp_i64();
    ctx.b.xor_i64(zf, z, one);
    let c = ctx.b.temp_i64();
    ctx.b.extract_i64(c, val, 29, 1);
    let v = ctx.b.temp_i64();
    ctx.b.sextract_i64(v, val, 28, 1);
    ctx.b.mov_i64(gn, n);
    ctx.b.mov_i64(gz, zf);
    ctx.b.mov_i64(gc, c);
    ctx.b.mov_i64(gv, v);
}

/// Writes each flag as `test ? f : g` (CCMP/CCMN).
pub fn select_nzcv(ctx: &mut Ctx, t: Test, f: Nzcv, g: Nzcv) {
    let c = test_to_bool(ctx, t);
    let zero = ctx.b.const_i64(0);
    let (gn, gz, gc, gv) = globals(ctx);
    for (dst, x, y) in [
        (gn, f.n, g.n),
        (gz, f.z, g.z),
        (gc, f.c, g.c),
        (gv, f.v, g.v),
    ] {
        ctx.b.movcond_i64(dst, c, zero, x, y, Cond::Ne);
    }
}
