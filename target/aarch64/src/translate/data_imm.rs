//! A64 encoding group: data processing (immediate). ADD/SUB (immediate),
//! logical (immediate), move wide, PC-relative addressing, bitfield, extract.

use super::Ctx;
use crate::decode::{pat, Insn, Pattern, Undef};
use crate::flags;

pub static PATTERNS: &[Pattern] = &[
    pat("adr", "op:1 immlo:2 10000 immhi:19 rd:5", adr),
    pat(
        "add_imm",
        "sf:1 op:1 S:1 100010 sh:1 imm12:12 rn:5 rd:5",
        add_imm,
    ),
    pat(
        "log_imm",
        "sf:1 opc:2 100100 N:1 immr:6 imms:6 rn:5 rd:5",
        log_imm,
    ),
    pat("movw", "sf:1 opc:2 100101 hw:2 imm16:16 rd:5", movw),
    pat("bfm", "sf:1 opc:2 100110 N:1 immr:6 imms:6 rn:5 rd:5", bfm),
    pat("extr", "sf:1 00 100111 N:1 0 rm:5 imms:6 rn:5 rd:5", extr),
];

type R = Result<(), Undef>;

fn adr(ctx: &mut Ctx, i: Insn) -> R {
    let imm = (i.sbits(23, 5) << 2) | i.bits(30, 29) as i64;
    let v = if i.bit(31) {
        (ctx.pc & !0xfff).wrapping_add((imm << 12) as u64)
    } else {
        ctx.pc.wrapping_add(imm as u64)
    };
    let t = ctx.b.const_i64(v);
    ctx.set_x(i.rd(), t);
    Ok(())
}

fn add_imm(ctx: &mut Ctx, i: Insn) -> R {
    let sf = i.sf();
    let sub = i.bit(30);
    let setflags = i.bit(29);
    let imm = (i.bits(21, 10) as u64) << if i.bit(22) { 12 } else { 0 };
    let a = ctx.x_sp(i.rn());
    if !setflags {
        let d = ctx.b.temp_i64();
        let v = if sub { imm.wrapping_neg() } else { imm };
        ctx.b.addi_i64(d, a, v);
        ctx.set_x_sp_sf(i.rd(), sf, d);
        return Ok(());
    }
    let b = ctx.b.const_i64(imm);
    let (res, f) = if sub {
        flags::sub_flags(ctx, a, b, sf)
    } else {
        flags::add_flags(ctx, a, b, sf)
    };
    flags::set_nzcv(ctx, f);
    ctx.set_x_sf(i.rd(), sf, res);
    Ok(())
}

/// The architecture's DecodeBitMasks: `(wmask, tmask)` for a `width`-bit
/// operation, or `None` for a reserved encoding. `immediate` rejects the
/// all-ones element that logical immediates cannot encode.
pub fn decode_bit_masks(
    n: u32,
    imms: u32,
    immr: u32,
    immediate: bool,
    width: u32,
) -> Option<(u64, u64)> {
    let combined = (n << 6) | (!imms & 0x3f);
    if combined == 0 {
        return None;
    }
    let len = 31 - combined.leading_zeros();
    if len < 1 || (1u32 << len) > width {
        return None;
    }
    let levels = (1u32 << len) - 1;
    if immediate && imms & levels == levels {
        return None;
    }
    let s = imms & levels;
    let r = immr & levels;
    let d = s.wrapping_sub(r) & levels;
    let esize = 1u32 << len;
    let emask = if esize == 64 {
        u64::MAX
    } else {
        (1u64 << esize) - 1
    };
    let ones = |k: u32| if k >= 64 { u64::MAX } else { (1u64 << k) - 1 };
    let welem = ones(s + 1);
    let telem = ones(d + 1);
    let rot = if r == 0 {
        welem
    } else {
        ((welem >> r) | (welem << (esize - r))) & emask
    };
    let mut wmask = 0u64;
    let mut tmask = 0u64;
    let mut pos = 0;
    while pos < width {
        wmask |= rot << pos;
        tmask |= telem << pos;
        pos += esize;
    }
    if width == 32 {
        wmask &= 0xffff_ffff;
        tmask &= 0xffff_ffff;
    }
    Some((wmask, tmask))
}

fn log_imm(ctx: &mut Ctx, i: Insn) -> R {
    let sf = i.sf();
    let n = i.bits(22, 22);
    if !sf && n != 0 {
        return Err(Undef);
    }
    let width = if sf { 64 } else { 32 };
    let (imm, _) = decode_bit_masks(n, i.bits(15, 10), i.bits(21, 16), true, width).ok_or(Undef)?;
    let a = ctx.x(i.rn());
    let c = ctx.b.const_i64(imm);
    let d = ctx.b.temp_i64();
    match i.bits(30, 29) {
        0 | 3 => ctx.b.and_i64(d, a, c),
        1 => ctx.b.or_i64(d, a, c),
        _ => ctx.b.xor_i64(d, a, c),
    }
    if i.bits(30, 29) == 3 {
        let f = flags::logic_flags(ctx, d, sf);
        flags::set_nzcv(ctx, f);
        ctx.set_x_sf(i.rd(), sf, d);
    } else {
        ctx.set_x_sp_sf(i.rd(), sf, d);
    }
    Ok(())
}

fn movw(ctx: &mut Ctx, i: Insn) -> R {
    let sf = i.sf();
    let hw = i.bits(22, 21);
    if !sf && hw >= 2 {
        return Err(Undef);
    }
    let pos = hw * 16;
    let imm = (i.bits(20, 5) as u64) << pos;
    match i.bits(30, 29) {
        0 => {
            // MOVN
            let v = if sf { !imm } else { !imm & 0xffff_ffff };
            let t = ctx.b.const_i64(v);
            ctx.set_x(i.rd(), t);
        }
        2 => {
            // MOVZ
            let t = ctx.b.const_i64(imm);
            ctx.set_x(i.rd(), t);
        }
        3 => {
            // MOVK
            let old = ctx.x(i.rd());
            let c = ctx.b.const_i64(i.bits(20, 5) as u64);
            let d = ctx.b.temp_i64();
            ctx.b.deposit_i64(d, old, c, pos, 16);
            ctx.set_x_sf(i.rd(), sf, d);
        }
        _ => return Err(Undef),
    }
    Ok(())
}

fn bfm(ctx: &mut Ctx, i: Insn) -> R {
    let sf = i.sf();
    let opc = i.bits(30, 29);
    let n = i.bit(22);
    let immr = i.bits(21, 16);
    let imms = i.bits(15, 10);
    let width = if sf { 64 } else { 32 };
    if opc == 3 || n != sf || immr >= width || imms >= width {
        return Err(Undef);
    }
    let src = ctx.x(i.rn());
    let d = ctx.b.temp_i64();
    if imms >= immr {
        // Extract bits imms..immr of the source to the bottom.
        let len = imms - immr + 1;
        match opc {
            0 => ctx.b.sextract_i64(d, src, immr, len),
            1 => {
                let dst = ctx.x(i.rd());
                let f = ctx.b.temp_i64();
                ctx.b.extract_i64(f, src, immr, len);
                ctx.b.deposit_i64(d, dst, f, 0, len);
            }
            _ => ctx.b.extract_i64(d, src, immr, len),
        }
    } else {
        // Insert the low imms+1 bits of the source at width-immr.
        let len = imms + 1;
        let pos = width - immr;
        match opc {
            0 => {
                let f = ctx.b.temp_i64();
                ctx.b.sextract_i64(f, src, 0, len);
                ctx.b.shli_i64(d, f, pos);
            }
            1 => {
                let dst = ctx.x(i.rd());
                ctx.b.deposit_i64(d, dst, src, pos, len);
            }
            _ => {
                let f = ctx.b.temp_i64();
                ctx.b.extract_i64(f, src, 0, len);
                ctx.b.shli_i64(d, f, pos);
            }
        }
    }
    ctx.set_x_sf(i.rd(), sf, d);
    Ok(())
}

fn extr(ctx: &mut Ctx, i: Insn) -> R {
    let sf = i.sf();
    let lsb = i.bits(15, 10);
    if i.bit(22) != sf || (!sf && lsb >= 32) {
        return Err(Undef);
    }
    let hi = ctx.x(i.rn());
    let lo = ctx.x(i.rm());
    let d = ctx.b.temp_i64();
    if sf {
        if lsb == 0 {
            ctx.b.mov_i64(d, lo);
        } else if i.rn() == i.rm() {
            ctx.b.rotri_i64(d, lo, lsb);
        } else {
            let a = ctx.b.temp_i64();
            let b = ctx.b.temp_i64();
            ctx.b.shri_i64(a, lo, lsb);
            ctx.b.shli_i64(b, hi, 64 - lsb);
            ctx.b.or_i64(d, a, b);
        }
    } else {
        let cat = ctx.b.temp_i64();
        ctx.b.deposit_i64(cat, lo, hi, 32, 32);
        ctx.b.shri_i64(d, cat, lsb);
    }
    ctx.set_x_sf(i.rd(), sf, d);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::decode_bit_masks;

    #[test]
    fn bit_masks() {
        // and x0, x0, #0xff: N=1 immr=0 imms=7
        assert_eq!(decode_bit_masks(1, 7, 0, true, 64).unwrap().0, 0xff);
        // orr w0, w0, #0x55555555: N=0 immr=0 imms=0b111100
        assert_eq!(
            decode_bit_masks(0, 0x3c, 0, true, 32).unwrap().0,
            0x5555_5555
        );
        // 0x8000000000000000: N=1 immr=1 imms=0
        assert_eq!(decode_bit_masks(1, 0, 1, true, 64).unwrap().0, 1 << 63);
        // all ones is reserved for immediates
        assert!(decode_bit_masks(1, 0x3f, 0, true, 64).is_none());
        assert!(decode_bit_masks(0, 0x3f, 0, true, 32).is_none());
        // 0xfffffffffffffffe: N=1 immr=63 imms=62
        assert_eq!(decode_bit_masks(1, 62, 63, true, 64).unwrap().0, !1);
    }
}
