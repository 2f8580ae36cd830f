//! Inline IR for lane-wise operations on 64-bit halves (SIMD within a
//! register): add/sub, compare-equal-to-zero, ordered compares, pairwise
//! max/min/add and lane packing. Used for the ops hot in glibc's string functions and vector
//! loops, where a helper call would cost more than the arithmetic.

use super::lanes::{ones, Desc};
use super::{vread, vwrite, Ctx};
use tcg::ir::Temp;

fn halves(q: bool) -> usize {
    if q {
        2
    } else {
        1
    }
}

/// Per-lane high-bit mask for `bits`-wide lanes.
pub(crate) fn hmask(bits: u32) -> u64 {
    super::dup_const(1 << (bits - 1), bits.trailing_zeros() - 3)
}

/// Lane-wise add or subtract on a 64-bit half (SWAR).
pub(crate) fn swar_addsub(ctx: &mut Ctx, a: Temp, b: Temp, bits: u32, sub: bool) -> Temp {
    let r = ctx.b.temp_i64();
    if bits == 64 {
        if sub {
            ctx.b.sub_i64(r, a, b);
        } else {
            ctx.b.add_i64(r, a, b);
        }
        return r;
    }
    let h = ctx.b.const_i64(hmask(bits));
    let t1 = ctx.b.temp_i64();
    let t2 = ctx.b.temp_i64();
    if sub {
        // ((a | H) - (b & ~H)) ^ ((a ^ ~b) & H)
        ctx.b.or_i64(t1, a, h);
        ctx.b.andc_i64(t2, b, h);
        ctx.b.sub_i64(r, t1, t2);
        ctx.b.eqv_i64(t1, a, b);
    } else {
        // ((a & ~H) + (b & ~H)) ^ ((a ^ b) & H)
        ctx.b.andc_i64(t1, a, h);
        ctx.b.andc_i64(t2, b, h);
        ctx.b.add_i64(r, t1, t2);
        ctx.b.xor_i64(t1, a, b);
    }
    ctx.b.and_i64(t1, t1, h);
    ctx.b.xor_i64(r, r, t1);
    r
}

/// All-ones lanes where the lane of `x` is zero (SWAR).
pub(crate) fn swar_eqz(ctx: &mut Ctx, x: Temp, bits: u32) -> Temp {
    let r = ctx.b.temp_i64();
    if bits == 64 {
        let z = ctx.b.const_i64(0);
        ctx.b.setcond_i64(r, x, z, tcg::ir::Cond::Eq);
        ctx.b.neg_i64(r, r);
        return r;
    }
    let hm = hmask(bits);
    let l = ctx.b.const_i64(!hm);
    let t = ctx.b.temp_i64();
    ctx.b.and_i64(t, x, l);
    ctx.b.add_i64(t, t, l);
    ctx.b.or_i64(t, t, x); // top bit of each lane: lane nonzero
    ctx.b.not_i64(t, t);
    ctx.b.shri_i64(t, t, bits - 1);
    ctx.b.andi_i64(t, t, hm >> (bits - 1));
    let m = ctx.b.const_i64(ones(bits));
    ctx.b.mul_i64(r, t, m);
    r
}

/// All-ones lanes where the lane of `a` is at least (`strict`: greater
/// than) the lane of `b`, as signed or unsigned numbers (SWAR): CMHS, CMHI,
/// CMGE, CMGT, and the selection of max/min.
pub(crate) fn swar_cmp(
    ctx: &mut Ctx,
    a: Temp,
    b: Temp,
    bits: u32,
    signed: bool,
    strict: bool,
) -> Temp {
    if strict {
        // a > b is not (b >= a).
        let r = swar_cmp(ctx, b, a, bits, signed, false);
        ctx.b.not_i64(r, r);
        return r;
    }
    let r = ctx.b.temp_i64();
    if bits == 64 {
        let c = if signed {
            tcg::ir::Cond::Ge
        } else {
            tcg::ir::Cond::Geu
        };
        ctx.b.setcond_i64(r, a, b, c);
        ctx.b.neg_i64(r, r);
        return r;
    }
    let hm = hmask(bits);
    let h = ctx.b.const_i64(hm);
    let (a, b) = if signed {
        // Flipping the sign bits maps signed order onto unsigned order.
        let (x, y) = (ctx.b.temp_i64(), ctx.b.temp_i64());
        ctx.b.xor_i64(x, a, h);
        ctx.b.xor_i64(y, b, h);
        (x, y)
    } else {
        (a, b)
    };
    // Low bits of each lane: (a | H) - (b & !H) borrows nothing across
    // lanes, and its top bit says low(a) >= low(b).
    let t = ctx.b.temp_i64();
    let u = ctx.b.temp_i64();
    ctx.b.or_i64(t, a, h);
    ctx.b.andc_i64(u, b, h);
    ctx.b.sub_i64(t, t, u);
    // Top bits decide where they differ: a's set and b's clear.
    ctx.b.xor_i64(u, a, b);
    ctx.b.andc_i64(t, t, u);
    let w = ctx.b.temp_i64();
    ctx.b.andc_i64(w, a, b);
    ctx.b.or_i64(t, t, w);
    ctx.b.and_i64(t, t, h);
    // Spread each lane's top bit over the lane: H | (H - 1).
    ctx.b.shri_i64(u, t, bits - 1);
    ctx.b.sub_i64(u, t, u);
    ctx.b.or_i64(r, t, u);
    r
}

/// Packs the low `bits` of each `2*bits` lane of `y` (upper parts zero)
/// into the low 32 bits.
pub(crate) fn compress(ctx: &mut Ctx, y: Temp, bits: u32) -> Temp {
    let t = ctx.b.temp_i64();
    ctx.b.mov_i64(t, y);
    let mut b = bits;
    while b < 32 {
        let s = ctx.b.temp_i64();
        ctx.b.shri_i64(s, t, b);
        ctx.b.or_i64(t, t, s);
        // keep the packed 2b-bit groups at the bottom of each 4b lane
        let keep = super::dup_const(ones(2 * b), (4 * b).trailing_zeros() - 3);
        ctx.b.andi_i64(t, t, keep);
        b *= 2;
    }
    t
}

/// UMAXP/UMINP (unsigned, 8..32-bit) and ADDP on one 64-bit half: the
/// pairwise results packed into the low 32 bits.
fn pairwise_half(ctx: &mut Ctx, x: Temp, bits: u32, op: u32) -> Temp {
    let wl = (2 * bits).trailing_zeros() - 3; // log2 bytes of a pair
    let m = super::dup_const(ones(bits), wl);
    let ev = ctx.b.temp_i64();
    let od = ctx.b.temp_i64();
    ctx.b.andi_i64(ev, x, m);
    ctx.b.shri_i64(od, x, bits);
    ctx.b.andi_i64(od, od, m);
    let r = ctx.b.temp_i64();
    if op == 0b10111 {
        ctx.b.add_i64(r, ev, od);
        ctx.b.andi_i64(r, r, m);
    } else {
        // ev - od + 2^bits per pair: bit `bits` set iff ev >= od.
        let h = ctx.b.const_i64(super::dup_const(1 << bits, wl));
        let ge = ctx.b.temp_i64();
        ctx.b.or_i64(ge, ev, h);
        ctx.b.sub_i64(ge, ge, od);
        ctx.b.shri_i64(ge, ge, bits);
        ctx.b.andi_i64(ge, ge, super::dup_const(1, wl));
        let o = ctx.b.const_i64(ones(bits));
        ctx.b.mul_i64(ge, ge, o); // all-ones where ev >= od
        let (keep, other) = if op == 0b10100 { (ev, od) } else { (od, ev) };
        let t = ctx.b.temp_i64();
        ctx.b.and_i64(r, keep, ge);
        ctx.b.andc_i64(t, other, ge);
        ctx.b.or_i64(r, r, t);
    }
    if bits == 32 {
        return r;
    }
    compress(ctx, r, bits)
}

/// Pairwise ops inline: results of Vn's halves, then Vm's.
pub(crate) fn pairwise_inline(ctx: &mut Ctx, d: &Desc) {
    let bits = d.ebits();
    if bits == 64 {
        // ADDP .2d
        let mut res = vec![];
        for r in [d.rn, d.rm] {
            let lo = vread(ctx, r, 0);
            let hi = vread(ctx, r, 1);
            let t = ctx.b.temp_i64();
            ctx.b.add_i64(t, lo, hi);
            res.push(t);
        }
        vwrite(ctx, d.rd, 0, res[0]);
        vwrite(ctx, d.rd, 1, res[1]);
        return;
    }
    let nh = halves(d.q);
    let mut parts = vec![];
    let srcs = if d.rn == d.rm {
        vec![d.rn]
    } else {
        vec![d.rn, d.rm]
    };
    for &r in &srcs {
        let mut p = vec![];
        for h in 0..nh {
            let x = vread(ctx, r, h);
            p.push(pairwise_half(ctx, x, bits, d.op));
        }
        parts.push(p);
    }
    let join = |ctx: &mut Ctx, lo: Temp, hi: Temp| {
        let t = ctx.b.temp_i64();
        ctx.b.shli_i64(t, hi, 32);
        ctx.b.or_i64(t, t, lo);
        t
    };
    let pm = parts.len() - 1;
    if d.q {
        let a = join(ctx, parts[0][0], parts[0][1]);
        let b = if pm == 0 {
            a
        } else {
            join(ctx, parts[1][0], parts[1][1])
        };
        vwrite(ctx, d.rd, 0, a);
        vwrite(ctx, d.rd, 1, b);
    } else {
        let a = join(ctx, parts[0][0], parts[pm][0]);
        vwrite(ctx, d.rd, 0, a);
        super::vclear_high(ctx, d.rd);
    }
}
