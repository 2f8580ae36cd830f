//! Media instructions shared by A32 and T32: parallel add/subtract (with
//! the GE flags), SEL, byte reversal, RBIT, CLZ, the extend-and-add forms,
//! PKHBT/PKHTB, bitfields (BFC/BFI/UBFX/SBFX) and USAD8/USADA8.

use super::{Ctx, I32Ext};
use crate::cpu::G_GE;
use crate::decode::Undef;
use crate::helpers;

type R = Result<(), Undef>;

fn no_pc(regs: &[usize]) -> R {
    if regs.contains(&15) {
        Err(Undef)
    } else {
        Ok(())
    }
}

/// Parallel add/subtract: `prefix` 1 S, 2 Q, 3 SH, 5 U, 6 UQ, 7 UH;
/// `op` 0 ADD16, 1 ASX, 2 SAX, 3 SUB16, 4 ADD8, 7 SUB8 (A32 op2 numbering).
pub fn parallel(ctx: &mut Ctx, prefix: u32, op: u32, rd: usize, rn: usize, rm: usize) -> R {
    no_pc(&[rd, rn, rm])?;
    if !matches!(prefix, 1 | 2 | 3 | 5 | 6 | 7) || matches!(op, 5 | 6) {
        return Err(Undef);
    }
    let (a, b) = (ctx.reg(rn), ctx.reg(rm));
    let a64 = ctx.b.temp_i64();
    let b64 = ctx.b.temp_i64();
    ctx.b.extu_i32_i64(a64, a);
    ctx.b.extu_i32_i64(b64, b);
    let k = ctx.b.const_i64(u64::from(prefix << 4 | op));
    let out = ctx.b.temp_i64();
    ctx.b
        .call(&helpers::HELPER_PARALLEL, Some(out), &[k, a64, b64]);
    let r = ctx.b.temp_i32();
    ctx.b.extrl_i64_i32(r, out);
    if prefix == 1 || prefix == 5 {
        let ge = ctx.b.global(G_GE);
        ctx.b.extrh_i64_i32(ge, out);
    }
    ctx.set_reg(rd, r);
    Ok(())
}

/// SEL: bytes from rn where GE is set, else from rm.
pub fn sel(ctx: &mut Ctx, rd: usize, rn: usize, rm: usize) -> R {
    no_pc(&[rd, rn, rm])?;
    let (a, b) = (ctx.reg(rn), ctx.reg(rm));
    let ge = ctx.b.global(G_GE);
    // Expand GE[3:0] to a byte mask.
    let m = ctx.b.temp_i32();
    ctx.b.movi_i32(m, 0);
    for i in 0..4 {
        let bit = ctx.b.temp_i32();
        ctx.b.extract_i32(bit, ge, i, 1);
        let ff = ctx.b.temp_i32();
        let k = ctx.b.const_i32(0xff);
        ctx.b.mul_i32(ff, bit, k);
        ctx.b.shli_i32(ff, ff, 8 * i);
        ctx.b.or_i32(m, m, ff);
    }
    let (x, y) = (ctx.b.temp_i32(), ctx.b.temp_i32());
    ctx.b.and_i32(x, a, m);
    ctx.b.andc_i32(y, b, m);
    ctx.b.or_i32(x, x, y);
    ctx.set_reg(rd, x);
    Ok(())
}

/// REV (0), REV16 (1), RBIT (2), REVSH (3).
pub fn rev(ctx: &mut Ctx, kind: u32, rd: usize, rm: usize) -> R {
    no_pc(&[rd, rm])?;
    let v = ctx.reg(rm);
    let r = ctx.b.temp_i32();
    match kind {
        0 => ctx.b.bswap32_i32(r, v),
        1 => {
            let t = ctx.b.temp_i32();
            ctx.b.bswap32_i32(t, v);
            let k = ctx.b.const_i32(16);
            ctx.b.rotr_i32(r, t, k);
        }
        2 => {
            let v64 = ctx.b.temp_i64();
            ctx.b.extu_i32_i64(v64, v);
            let o = ctx.b.temp_i64();
            ctx.b
                .call(&target_aarch64::helpers::HELPER_RBIT, Some(o), &[v64]);
            ctx.b.extrh_i64_i32(r, o);
        }
        _ => {
            let t = ctx.b.temp_i32();
            ctx.b.bswap16_i32(t, v);
            ctx.b.ext16s_i32(r, t);
        }
    }
    ctx.set_reg(rd, r);
    Ok(())
}

pub fn clz(ctx: &mut Ctx, rd: usize, rm: usize) -> R {
    no_pc(&[rd, rm])?;
    let v = ctx.reg(rm);
    let r = ctx.b.temp_i32();
    ctx.b.clz_i32(r, v);
    ctx.set_reg(rd, r);
    Ok(())
}

/// SXTAB16.. UXTAH: `op` = A32 bits 22..20 (0 SXTB16, 2 SXTB, 3 SXTH,
/// 4 UXTB16, 6 UXTB, 7 UXTH); `rn` 15 means no add; `rot` in bytes.
pub fn extend(ctx: &mut Ctx, op: u32, rd: usize, rn: usize, rm: usize, rot: u32) -> R {
    no_pc(&[rd, rm])?;
    if op == 1 || op == 5 {
        return Err(Undef);
    }
    let v = ctx.reg(rm);
    let r = ctx.b.temp_i32();
    let k = ctx.b.const_i32(8 * rot);
    ctx.b.rotr_i32(r, v, k);
    let x = ctx.b.temp_i32();
    match op {
        2 => ctx.b.ext8s_i32(x, r),
        3 => ctx.b.ext16s_i32(x, r),
        6 => ctx.b.ext8u_i32(x, r),
        7 => ctx.b.ext16u_i32(x, r),
        0 | 4 => {
            // Two bytes (0 and 2) to two halfwords.
            let (lo, hi) = (ctx.b.temp_i32(), ctx.b.temp_i32());
            if op == 0 {
                ctx.b.sextract_i32(lo, r, 0, 8);
                ctx.b.sextract_i32(hi, r, 16, 8);
            } else {
                ctx.b.extract_i32(lo, r, 0, 8);
                ctx.b.extract_i32(hi, r, 16, 8);
            }
            if rn != 15 {
                let a = ctx.reg(rn);
                let (al, ah) = (ctx.b.temp_i32(), ctx.b.temp_i32());
                ctx.b.extract_i32(al, a, 0, 16);
                ctx.b.extract_i32(ah, a, 16, 16);
                ctx.b.add_i32(lo, lo, al);
                ctx.b.add_i32(hi, hi, ah);
            }
            ctx.b.deposit_i32(x, lo, hi, 16, 16);
            ctx.set_reg(rd, x);
            return Ok(());
        }
        _ => return Err(Undef),
    }
    if rn != 15 {
        let a = ctx.reg(rn);
        ctx.b.add_i32(x, x, a);
    }
    ctx.set_reg(rd, x);
    Ok(())
}

/// PKHBT (tb = false: bottom from rn, top from rm LSL) / PKHTB (ASR).
pub fn pkh(ctx: &mut Ctx, tb: bool, rd: usize, rn: usize, rm: usize, imm: u32) -> R {
    no_pc(&[rd, rn, rm])?;
    let (a, b) = (ctx.reg(rn), ctx.reg(rm));
    let ty = if tb { super::dp::ASR } else { super::dp::LSL };
    let (s, _) = super::dp::shift_imm(ctx, b, ty, imm, false);
    let r = ctx.b.temp_i32();
    if tb {
        ctx.b.deposit_i32(r, a, s, 0, 16);
    } else {
        // Bottom from rn, top from the shifted rm.
        let t = ctx.b.temp_i32();
        ctx.b.shri_i32(t, s, 16);
        ctx.b.deposit_i32(r, a, t, 16, 16);
    }
    ctx.set_reg(rd, r);
    Ok(())
}

/// BFC (rn = 15) / BFI.
pub fn bfi(ctx: &mut Ctx, rd: usize, rn: usize, lsb: u32, msb: u32) -> R {
    no_pc(&[rd])?;
    if msb < lsb {
        return Err(Undef);
    }
    let d = ctx.reg(rd);
    let src = if rn == 15 {
        ctx.b.const_i32(0)
    } else {
        ctx.reg(rn)
    };
    let r = ctx.b.temp_i32();
    ctx.b.deposit_i32(r, d, src, lsb, msb - lsb + 1);
    ctx.set_reg(rd, r);
    Ok(())
}

/// UBFX/SBFX.
pub fn bfx(ctx: &mut Ctx, signed: bool, rd: usize, rn: usize, lsb: u32, width: u32) -> R {
    no_pc(&[rd, rn])?;
    if lsb + width > 32 {
        return Err(Undef);
    }
    let v = ctx.reg(rn);
    let r = ctx.b.temp_i32();
    if signed {
        ctx.b.sextract_i32(r, v, lsb, width);
    } else {
        ctx.b.extract_i32(r, v, lsb, width);
    }
    ctx.set_reg(rd, r);
    Ok(())
}

/// USAD8/USADA8 (`ra` 15: no accumulate).
pub fn usad8(ctx: &mut Ctx, rd: usize, rn: usize, rm: usize, ra: usize) -> R {
    no_pc(&[rd, rn, rm])?;
    let (a, b) = (ctx.reg(rn), ctx.reg(rm));
    let sum = ctx.b.temp_i32();
    if ra == 15 {
        ctx.b.movi_i32(sum, 0);
    } else {
        let c = ctx.reg(ra);
        ctx.b.mov_i32(sum, c);
    }
    for i in 0..4 {
        let (x, y) = (ctx.b.temp_i32(), ctx.b.temp_i32());
        ctx.b.extract_i32(x, a, 8 * i, 8);
        ctx.b.extract_i32(y, b, 8 * i, 8);
        let (d, e) = (ctx.b.temp_i32(), ctx.b.temp_i32());
        ctx.b.sub_i32(d, x, y);
        ctx.b.sub_i32(e, y, x);
        let m = ctx.b.temp_i32();
        ctx.b.movcond_i32(m, x, y, d, e, tcg::ir::Cond::Geu);
        ctx.b.add_i32(sum, sum, m);
    }
    ctx.set_reg(rd, sum);
    Ok(())
}
