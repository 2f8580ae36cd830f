//! AdvSIMD copy and immediate forms: DUP (element, general, scalar), INS
//! (element, general), UMOV, SMOV, and the modified-immediate group (MOVI,
//! MVNI, ORR/BIC immediate, FMOV vector immediate). All inline IR.

use super::{dup64, vclear_high, vread, vread_lane, vwrite, vwrite_lane, Ctx};
use crate::decode::{pat, Insn, Pattern, Undef};
use tcg::ir::Temp;

pub const PATTERNS: &[Pattern] = &[
    pat(
        "adv_copy",
        "0 q:1 op:1 01110000 imm5:5 0 imm4:4 1 rn:5 rd:5",
        copy,
    ),
    pat(
        "adv_s_dup",
        "01 0 11110000 imm5:5 0 0000 1 rn:5 rd:5",
        dup_scalar,
    ),
    pat(
        "adv_modimm",
        "0 q:1 op:1 0111100000 abc:3 cmode:4 o2:1 1 defgh:5 rd:5",
        modimm,
    ),
];

/// Element size (log2 bytes) and index from imm5.
fn size_index(imm5: u32) -> Result<(u32, usize), Undef> {
    if imm5 & 0xf == 0 {
        return Err(Undef);
    }
    let size = imm5.trailing_zeros();
    Ok((size, (imm5 >> (size + 1)) as usize))
}

/// Writes `v` (a 64-bit pattern) to both halves, or the low half with the
/// upper zeroed.
fn write_rep(ctx: &mut Ctx, rd: usize, v: Temp, q: bool) {
    vwrite(ctx, rd, 0, v);
    if q {
        vwrite(ctx, rd, 1, v);
    } else {
        vclear_high(ctx, rd);
    }
}

fn copy(ctx: &mut Ctx, i: Insn) -> Result<(), Undef> {
    let q = i.bit(30);
    let op = i.bit(29);
    let (size, index) = size_index(i.bits(20, 16))?;
    let imm4 = i.bits(14, 11);
    let (rd, rn) = (i.rd(), i.rn());
    if op {
        // INS (element)
        if !q {
            return Err(Undef);
        }
        let src = (imm4 >> size) as usize;
        let v = vread_lane(ctx, rn, src, size, false);
        vwrite_lane(ctx, rd, index, size, v);
        return Ok(());
    }
    match imm4 {
        0b0000 => {
            if size == 3 && !q {
                return Err(Undef);
            }
            let v = vread_lane(ctx, rn, index, size, false);
            let r = dup64(ctx, v, size);
            write_rep(ctx, rd, r, q);
        }
        0b0001 => {
            if size == 3 && !q {
                return Err(Undef);
            }
            let x = ctx.x(rn);
            let r = dup64(ctx, x, size);
            write_rep(ctx, rd, r, q);
        }
        0b0011 => {
            if !q {
                return Err(Undef);
            }
            let x = ctx.x(rn);
            vwrite_lane(ctx, rd, index, size, x);
        }
        0b0101 => {
            // SMOV
            if size >= 2 + q as u32 {
                return Err(Undef);
            }
            let v = vread_lane(ctx, rn, index, size, true);
            ctx.set_x_sf(rd, q, v);
        }
        0b0111 => {
            // UMOV
            if (q && size != 3) || (!q && size == 3) {
                return Err(Undef);
            }
            let v = vread_lane(ctx, rn, index, size, false);
            ctx.set_x(rd, v);
        }
        _ => return Err(Undef),
    }
    Ok(())
}

fn dup_scalar(ctx: &mut Ctx, i: Insn) -> Result<(), Undef> {
    let (size, index) = size_index(i.bits(20, 16))?;
    let v = vread_lane(ctx, i.rn(), index, size, false);
    super::vwrite_scalar(ctx, i.rd(), v);
    Ok(())
}

/// AdvSIMDExpandImm; `None` for the unallocated combinations.
pub(crate) fn expand_imm(op: bool, cmode: u32, imm8: u32, q: bool) -> Option<u64> {
    let imm = imm8 as u64;
    let rep2 = |x: u64| x | x << 32;
    let rep4 = |x: u64| x | x << 16 | x << 32 | x << 48;
    Some(match cmode >> 1 {
        0 => rep2(imm),
        1 => rep2(imm << 8),
        2 => rep2(imm << 16),
        3 => rep2(imm << 24),
        4 => rep4(imm),
        5 => rep4(imm << 8),
        6 => {
            if cmode & 1 == 0 {
                rep2(imm << 8 | 0xff)
            } else {
                rep2(imm << 16 | 0xffff)
            }
        }
        _ => match (cmode & 1, op) {
            (0, false) => imm * 0x0101_0101_0101_0101,
            (0, true) => {
                let mut r = 0u64;
                for k in 0..8 {
                    if imm >> k & 1 != 0 {
                        r |= 0xff << (8 * k);
                    }
                }
                r
            }
            (_, false) => {
                let b = imm >> 6 & 1;
                let imm32 = (imm >> 7) << 31
                    | (b ^ 1) << 30
                    | (if b == 1 { 0x1f } else { 0 }) << 25
                    | (imm & 0x3f) << 19;
                rep2(imm32)
            }
            (_, true) => {
                if !q {
                    return None;
                }
                let b = imm >> 6 & 1;
                (imm >> 7) << 63
                    | (b ^ 1) << 62
                    | (if b == 1 { 0xff } else { 0 }) << 54
                    | (imm & 0x3f) << 48
            }
        },
    })
}

fn modimm(ctx: &mut Ctx, i: Insn) -> Result<(), Undef> {
    let q = i.bit(30);
    let op = i.bit(29);
    let cmode = i.bits(15, 12);
    let o2 = i.bit(11);
    let imm8 = i.bits(18, 16) << 5 | i.bits(9, 5);
    let rd = i.rd();
    if o2 {
        // FMOV (vector, immediate), half precision.
        if cmode != 0b1111 || op || !ctx.features.fp16 {
            return Err(Undef);
        }
        let h = super::super::fp::vfp_expand_imm(imm8, 1);
        let v = ctx.b.const_i64(super::dup_const(h, 1));
        write_rep(ctx, rd, v, q);
        return Ok(());
    }
    let imm = expand_imm(op, cmode, imm8, q).ok_or(Undef)?;
    let is_orr_bic = cmode & 1 == 1 && cmode < 0b1100;
    if is_orr_bic {
        let c = ctx.b.const_i64(imm);
        for h in 0..if q { 2 } else { 1 } {
            let v = vread(ctx, rd, h);
            let r = ctx.b.temp_i64();
            if op {
                ctx.b.andc_i64(r, v, c);
            } else {
                ctx.b.or_i64(r, v, c);
            }
            vwrite(ctx, rd, h, r);
        }
        if !q {
            vclear_high(ctx, rd);
        }
        return Ok(());
    }
    // MOVI / MVNI / FMOV: MVNI for op=1 with cmode < 0b1110.
    let v = if op && cmode < 0b1110 { !imm } else { imm };
    let t = ctx.b.const_i64(v);
    write_rep(ctx, rd, t, q);
    Ok(())
}
