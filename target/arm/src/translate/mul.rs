//! Multiplies (MUL/MLA/MLS, the long forms, UMAAL, the signed halfword and
//! most-significant-word forms, dual 16-bit multiplies), divides, and the
//! saturating arithmetic (QADD family, SSAT/USAT) shared by A32 and T32.

use super::{Ctx, I32Ext};
use crate::cpu::G_QF;
use crate::decode::Undef;
use crate::flags;
use crate::helpers;
use tcg::ir::{Cond, Temp};

type R = Result<(), Undef>;

fn no_pc(regs: &[usize]) -> R {
    if regs.contains(&15) {
        Err(Undef)
    } else {
        Ok(())
    }
}

/// MUL/MLA/MLS: `rd = [ra +/-] rn * rm`.
pub fn mul(
    ctx: &mut Ctx,
    s: bool,
    rd: usize,
    rn: usize,
    rm: usize,
    acc: Option<(usize, bool)>,
) -> R {
    no_pc(&[rd, rn, rm])?;
    let (a, b) = (ctx.reg(rn), ctx.reg(rm));
    let p = ctx.b.temp_i32();
    ctx.b.mul_i32(p, a, b);
    if let Some((ra, sub)) = acc {
        no_pc(&[ra])?;
        let c = ctx.reg(ra);
        if sub {
            ctx.b.sub_i32(p, c, p);
        } else {
            ctx.b.add_i32(p, c, p);
        }
    }
    if s {
        flags::set_nz(ctx, p);
    }
    ctx.set_reg(rd, p);
    Ok(())
}

fn ext64(ctx: &mut Ctx, v: Temp, signed: bool) -> Temp {
    let t = ctx.b.temp_i64();
    if signed {
        ctx.b.exts_i32_i64(t, v);
    } else {
        ctx.b.extu_i32_i64(t, v);
    }
    t
}

fn pair(ctx: &mut Ctx, lo: usize, hi: usize) -> Temp {
    let (l, h) = (ctx.reg(lo), ctx.reg(hi));
    let (l64, h64) = (ctx.b.temp_i64(), ctx.b.temp_i64());
    ctx.b.extu_i32_i64(l64, l);
    ctx.b.extu_i32_i64(h64, h);
    let v = ctx.b.temp_i64();
    ctx.b.deposit_i64(v, l64, h64, 32, 32);
    v
}

fn set_pair(ctx: &mut Ctx, lo: usize, hi: usize, v: Temp) {
    let (l, h) = (ctx.b.temp_i32(), ctx.b.temp_i32());
    ctx.b.extrl_i64_i32(l, v);
    ctx.b.extrh_i64_i32(h, v);
    ctx.set_reg(lo, l);
    ctx.set_reg(hi, h);
}

/// UMULL/SMULL/UMLAL/SMLAL: `rdhi:rdlo [+]= rn * rm`.
#[allow(clippy::too_many_arguments)]
pub fn mull(
    ctx: &mut Ctx,
    signed: bool,
    acc: bool,
    s: bool,
    rdlo: usize,
    rdhi: usize,
    rn: usize,
    rm: usize,
) -> R {
    no_pc(&[rdlo, rdhi, rn, rm])?;
    if rdlo == rdhi {
        return Err(Undef);
    }
    let (a, b) = (ctx.reg(rn), ctx.reg(rm));
    let (a, b) = (ext64(ctx, a, signed), ext64(ctx, b, signed));
    let p = ctx.b.temp_i64();
    ctx.b.mul_i64(p, a, b);
    if acc {
        let c = pair(ctx, rdlo, rdhi);
        ctx.b.add_i64(p, p, c);
    }
    if s {
        // N from bit 63, Z from the whole 64-bit result.
        let hi = ctx.b.temp_i32();
        ctx.b.extrh_i64_i32(hi, p);
        let zero = ctx.b.const_i64(0);
        let nz = ctx.b.temp_i64();
        ctx.b.setcond_i64(nz, p, zero, Cond::Ne);
        let z = ctx.b.temp_i32();
        ctx.b.extrl_i64_i32(z, nz);
        let (gn, gz) = (
            ctx.b.global(crate::cpu::G_NF),
            ctx.b.global(crate::cpu::G_ZF),
        );
        ctx.b.mov_i32(gn, hi);
        ctx.b.mov_i32(gz, z);
    }
    set_pair(ctx, rdlo, rdhi, p);
    Ok(())
}

/// UMAAL: `rdhi:rdlo = rn * rm + rdlo + rdhi`.
pub fn umaal(ctx: &mut Ctx, rdlo: usize, rdhi: usize, rn: usize, rm: usize) -> R {
    no_pc(&[rdlo, rdhi, rn, rm])?;
    if rdlo == rdhi {
        return Err(Undef);
    }
    let (a, b, l, h) = (ctx.reg(rn), ctx.reg(rm), ctx.reg(rdlo), ctx.reg(rdhi));
    let (a, b, l, h) = (
        ext64(ctx, a, false),
        ext64(ctx, b, false),
        ext64(ctx, l, false),
        ext64(ctx, h, false),
    );
    let p = ctx.b.temp_i64();
    ctx.b.mul_i64(p, a, b);
    ctx.b.add_i64(p, p, l);
    ctx.b.add_i64(p, p, h);
    set_pair(ctx, rdlo, rdhi, p);
    Ok(())
}

/// The signed top (`top`) or bottom halfword of `v`.
fn half(ctx: &mut Ctx, v: Temp, top: bool) -> Temp {
    let t = ctx.b.temp_i32();
    if top {
        ctx.b.sari_i32(t, v, 16);
    } else {
        ctx.b.ext16s_i32(t, v);
    }
    t
}

/// Sets Q when the 64-bit `wide` value differs from its 32-bit truncation.
fn q_if_overflow32(ctx: &mut Ctx, wide: Temp) {
    let lo = ctx.b.temp_i32();
    ctx.b.extrl_i64_i32(lo, wide);
    let back = ctx.b.temp_i64();
    ctx.b.exts_i32_i64(back, lo);
    let ov = ctx.b.temp_i64();
    ctx.b.setcond_i64(ov, back, wide, Cond::Ne);
    let o32 = ctx.b.temp_i32();
    ctx.b.extrl_i64_i32(o32, ov);
    let q = ctx.b.global(G_QF);
    ctx.b.or_i32(q, q, o32);
}

/// SMULxy/SMLAxy: 16x16 signed, optional 32-bit accumulate (sets Q).
#[allow(clippy::too_many_arguments)]
pub fn smulxy(
    ctx: &mut Ctx,
    rd: usize,
    rn: usize,
    rm: usize,
    ra: Option<usize>,
    nt: bool,
    mt: bool,
) -> R {
    no_pc(&[rd, rn, rm])?;
    let (a, b) = (ctx.reg(rn), ctx.reg(rm));
    let (a, b) = (half(ctx, a, nt), half(ctx, b, mt));
    let p = ctx.b.temp_i32();
    ctx.b.mul_i32(p, a, b);
    if let Some(ra) = ra {
        no_pc(&[ra])?;
        let c = ctx.reg(ra);
        let (p64, c64) = (ext64(ctx, p, true), ext64(ctx, c, true));
        let s = ctx.b.temp_i64();
        ctx.b.add_i64(s, p64, c64);
        q_if_overflow32(ctx, s);
        ctx.b.add_i32(p, p, c);
    }
    ctx.set_reg(rd, p);
    Ok(())
}

/// SMULWy/SMLAWy: 32x16 signed, the top 32 of 48 bits.
pub fn smulwy(ctx: &mut Ctx, rd: usize, rn: usize, rm: usize, ra: Option<usize>, mt: bool) -> R {
    no_pc(&[rd, rn, rm])?;
    let (a, b) = (ctx.reg(rn), ctx.reg(rm));
    let b = half(ctx, b, mt);
    let (a64, b64) = (ext64(ctx, a, true), ext64(ctx, b, true));
    let p = ctx.b.temp_i64();
    ctx.b.mul_i64(p, a64, b64);
    ctx.b.sari_i64(p, p, 16);
    let r = ctx.b.temp_i32();
    ctx.b.extrl_i64_i32(r, p);
    if let Some(ra) = ra {
        no_pc(&[ra])?;
        let c = ctx.reg(ra);
        let (r64, c64) = (ext64(ctx, r, true), ext64(ctx, c, true));
        let s = ctx.b.temp_i64();
        ctx.b.add_i64(s, r64, c64);
        q_if_overflow32(ctx, s);
        ctx.b.add_i32(r, r, c);
    }
    ctx.set_reg(rd, r);
    Ok(())
}

/// SMLALxy: 16x16 signed into a 64-bit accumulator.
pub fn smlalxy(
    ctx: &mut Ctx,
    rdlo: usize,
    rdhi: usize,
    rn: usize,
    rm: usize,
    nt: bool,
    mt: bool,
) -> R {
    no_pc(&[rdlo, rdhi, rn, rm])?;
    let (a, b) = (ctx.reg(rn), ctx.reg(rm));
    let (a, b) = (half(ctx, a, nt), half(ctx, b, mt));
    let p = ctx.b.temp_i32();
    ctx.b.mul_i32(p, a, b);
    let p64 = ext64(ctx, p, true);
    let c = pair(ctx, rdlo, rdhi);
    ctx.b.add_i64(p64, p64, c);
    set_pair(ctx, rdlo, rdhi, p64);
    Ok(())
}

/// SMUAD/SMUSD/SMLAD/SMLSD (`ra`), SMLALD/SMLSLD (`long`): dual 16-bit
/// multiplies, `x` swaps rm's halves, `sub` subtracts the top product.
#[allow(clippy::too_many_arguments)]
pub fn dual16(
    ctx: &mut Ctx,
    rd: usize,
    rn: usize,
    rm: usize,
    ra: Option<usize>,
    x: bool,
    sub: bool,
    long: Option<(usize, usize)>,
) -> R {
    no_pc(&[rn, rm])?;
    let (a, b) = (ctx.reg(rn), ctx.reg(rm));
    let (al, ah) = (half(ctx, a, false), half(ctx, a, true));
    let (bl, bh) = (half(ctx, b, x), half(ctx, b, !x));
    let (p1, p2) = (ctx.b.temp_i32(), ctx.b.temp_i32());
    ctx.b.mul_i32(p1, al, bl);
    ctx.b.mul_i32(p2, ah, bh);
    let (p1, p2) = (ext64(ctx, p1, true), ext64(ctx, p2, true));
    let s = ctx.b.temp_i64();
    if sub {
        ctx.b.sub_i64(s, p1, p2);
    } else {
        ctx.b.add_i64(s, p1, p2);
    }
    if let Some((lo, hi)) = long {
        no_pc(&[lo, hi])?;
        let c = pair(ctx, lo, hi);
        ctx.b.add_i64(s, s, c);
        set_pair(ctx, lo, hi, s);
        return Ok(());
    }
    no_pc(&[rd])?;
    if let Some(ra) = ra {
        let c = ctx.reg(ra);
        let c64 = ext64(ctx, c, true);
        ctx.b.add_i64(s, s, c64);
    }
    q_if_overflow32(ctx, s);
    let r = ctx.b.temp_i32();
    ctx.b.extrl_i64_i32(r, s);
    ctx.set_reg(rd, r);
    Ok(())
}

/// SMMUL/SMMLA/SMMLS (`round`: the R forms).
#[allow(clippy::too_many_arguments)]
pub fn smmul(
    ctx: &mut Ctx,
    rd: usize,
    rn: usize,
    rm: usize,
    ra: Option<usize>,
    sub: bool,
    round: bool,
) -> R {
    no_pc(&[rd, rn, rm])?;
    let (a, b) = (ctx.reg(rn), ctx.reg(rm));
    let (a, b) = (ext64(ctx, a, true), ext64(ctx, b, true));
    let p = ctx.b.temp_i64();
    ctx.b.mul_i64(p, a, b);
    if let Some(ra) = ra {
        no_pc(&[ra])?;
        let c = ctx.reg(ra);
        let c64 = ctx.b.temp_i64();
        ctx.b.extu_i32_i64(c64, c);
        ctx.b.shli_i64(c64, c64, 32);
        if sub {
            ctx.b.sub_i64(p, c64, p);
        } else {
            ctx.b.add_i64(p, p, c64);
        }
    }
    if round {
        let k = ctx.b.const_i64(0x8000_0000);
        ctx.b.add_i64(p, p, k);
    }
    let r = ctx.b.temp_i32();
    ctx.b.extrh_i64_i32(r, p);
    ctx.set_reg(rd, r);
    Ok(())
}

/// SDIV/UDIV (division by zero gives 0, as Linux configures it).
pub fn div(ctx: &mut Ctx, signed: bool, rd: usize, rn: usize, rm: usize) -> R {
    no_pc(&[rd, rn, rm])?;
    let (a, b) = (ctx.reg(rn), ctx.reg(rm));
    let (a64, b64) = (ext64(ctx, a, signed), ext64(ctx, b, signed));
    let q = ctx.b.temp_i64();
    // 64-bit division of the extended operands cannot overflow
    // (INT_MIN / -1 = 2^31, truncated to INT_MIN as the architecture says).
    let zero = ctx.b.const_i64(0);
    let one = ctx.b.const_i64(1);
    let safe = ctx.b.temp_i64();
    ctx.b.movcond_i64(safe, b64, zero, one, b64, Cond::Eq);
    if signed {
        ctx.b.divs_i64(q, a64, safe);
    } else {
        ctx.b.divu_i64(q, a64, safe);
    }
    ctx.b.movcond_i64(q, b64, zero, zero, q, Cond::Eq);
    let r = ctx.b.temp_i32();
    ctx.b.extrl_i64_i32(r, q);
    ctx.set_reg(rd, r);
    Ok(())
}

/// QADD/QSUB/QDADD/QDSUB: `op` 0..3 as the A32 op field (bits 22..21).
pub fn qaddsub(ctx: &mut Ctx, op: u32, rd: usize, rn: usize, rm: usize) -> R {
    no_pc(&[rd, rn, rm])?;
    let (a, b) = (ctx.reg(rm), ctx.reg(rn));
    let (a, b) = (ext64(ctx, a, true), ext64(ctx, b, true));
    let bb = if op & 2 != 0 {
        // Doubling saturates first.
        let d = ctx.b.temp_i64();
        ctx.b.add_i64(d, b, b);
        sat64(ctx, d, true)
    } else {
        b
    };
    let s = ctx.b.temp_i64();
    if op & 1 != 0 {
        ctx.b.sub_i64(s, a, bb);
    } else {
        ctx.b.add_i64(s, a, bb);
    }
    let r = sat64(ctx, s, true);
    let r32 = ctx.b.temp_i32();
    ctx.b.extrl_i64_i32(r32, r);
    ctx.set_reg(rd, r32);
    Ok(())
}

/// Saturates a 64-bit value to signed/unsigned 32 bits, setting Q.
fn sat64(ctx: &mut Ctx, v: Temp, signed: bool) -> Temp {
    let (lo, hi) = if signed {
        (i32::MIN as i64 as u64, i32::MAX as u64)
    } else {
        (0, u32::MAX as u64)
    };
    let (l, h) = (ctx.b.const_i64(lo), ctx.b.const_i64(hi));
    let r = ctx.b.temp_i64();
    ctx.b.movcond_i64(r, v, l, l, v, Cond::Lt);
    ctx.b.movcond_i64(r, v, h, h, r, Cond::Gt);
    let ne = ctx.b.temp_i64();
    ctx.b.setcond_i64(ne, r, v, Cond::Ne);
    let n32 = ctx.b.temp_i32();
    ctx.b.extrl_i64_i32(n32, ne);
    let q = ctx.b.global(G_QF);
    ctx.b.or_i32(q, q, n32);
    r
}

/// SSAT/USAT: saturate the shifted `rn` to `bits` (1..32 signed, 0..31 unsigned).
pub fn sat(
    ctx: &mut Ctx,
    unsigned: bool,
    bits: u32,
    rd: usize,
    rn: usize,
    sh_ty: u32,
    amount: u32,
) -> R {
    no_pc(&[rd, rn])?;
    let v = ctx.reg(rn);
    let (v, _) = super::dp::shift_imm(ctx, v, sh_ty & 2, amount, false);
    let v64 = ext64(ctx, v, true);
    let (lo, hi) = if unsigned {
        (0i64, ((1u64 << bits) - 1) as i64)
    } else {
        (-(1i64 << (bits - 1)), (1i64 << (bits - 1)) - 1)
    };
    let (l, h) = (ctx.b.const_i64(lo as u64), ctx.b.const_i64(hi as u64));
    let r = ctx.b.temp_i64();
    ctx.b.movcond_i64(r, v64, l, l, v64, Cond::Lt);
    ctx.b.movcond_i64(r, v64, h, h, r, Cond::Gt);
    let ne = ctx.b.temp_i64();
    ctx.b.setcond_i64(ne, r, v64, Cond::Ne);
    let n32 = ctx.b.temp_i32();
    ctx.b.extrl_i64_i32(n32, ne);
    let q = ctx.b.global(G_QF);
    ctx.b.or_i32(q, q, n32);
    let r32 = ctx.b.temp_i32();
    ctx.b.extrl_i64_i32(r32, r);
    ctx.set_reg(rd, r32);
    Ok(())
}

/// SSAT16/USAT16.
pub fn sat16(ctx: &mut Ctx, unsigned: bool, bits: u32, rd: usize, rn: usize) -> R {
    no_pc(&[rd, rn])?;
    let v = ctx.reg(rn);
    let v64 = ext64(ctx, v, false);
    let k = ctx.b.const_i64(u64::from(bits) | u64::from(unsigned) << 8);
    let out = ctx.b.temp_i64();
    ctx.b.call(&helpers::HELPER_SAT16, Some(out), &[v64, k]);
    let r = ctx.b.temp_i32();
    ctx.b.extrl_i64_i32(r, out);
    let qn = ctx.b.temp_i32();
    ctx.b.extrh_i64_i32(qn, out);
    let q = ctx.b.global(G_QF);
    ctx.b.or_i32(q, q, qn);
    ctx.set_reg(rd, r);
    Ok(())
}
