//! Loads and stores of SIMD&FP registers: LDR/STR (unsigned offset, pre/post
//! index, unscaled, register offset, literal) of B/H/S/D/Q, LDP/STP/LDNP/STNP
//! of S/D/Q, and the AdvSIMD structure loads/stores LD1-LD4/ST1-ST4 (multiple
//! and single structures) and LD1R-LD4R, with their post-index forms.

use super::{vclear_high, vread, vread_lane, vwrite, vwrite_lane, Ctx};
use crate::decode::{pat, Insn, Pattern, Undef};
use tcg::ir::{MemOp, Temp};

pub const PATTERNS: &[Pattern] = &[
    pat(
        "ldst_fp_uimm",
        "size:2 111101 opc:2 imm12:12 rn:5 rt:5",
        ldst_uimm,
    ),
    pat(
        "ldst_fp_imm9",
        "size:2 111100 opc:2 0 imm9:9 idx:2 rn:5 rt:5",
        ldst_imm9,
    ),
    pat(
        "ldst_fp_reg",
        "size:2 111100 opc:2 1 rm:5 option:3 s:1 10 rn:5 rt:5",
        ldst_reg,
    ),
    pat("ldr_fp_lit", "opc:2 011100 imm19:19 rt:5", ldr_lit),
    pat(
        "ldstp_fp",
        "opc:2 101 1 0 idx:2 l:1 imm7:7 rt2:5 rn:5 rt:5",
        ldstp,
    ),
    pat(
        "ldst_multi",
        "0 q:1 0011000 l:1 000000 opcode:4 size:2 rn:5 rt:5",
        ldst_multi,
    ),
    pat(
        "ldst_multi_post",
        "0 q:1 0011001 l:1 0 rm:5 opcode:4 size:2 rn:5 rt:5",
        ldst_multi,
    ),
    pat(
        "ldst_single",
        "0 q:1 0011010 l:1 r:1 00000 opcode:3 s:1 size:2 rn:5 rt:5",
        ldst_single,
    ),
    pat(
        "ldst_single_post",
        "0 q:1 0011011 l:1 r:1 rm:5 opcode:3 s:1 size:2 rn:5 rt:5",
        ldst_single,
    ),
];

/// Loads a register of `1 << scale` bytes (scale 0..=4) from `addr` into V`rt`.
fn load_reg(ctx: &mut Ctx, rt: usize, addr: Temp, scale: u32) {
    if scale == 4 {
        let lo = ctx.load(addr, MemOp::UQ);
        let a8 = ctx.b.temp_i64();
        ctx.b.addi_i64(a8, addr, 8);
        let hi = ctx.load(a8, MemOp::UQ);
        vwrite(ctx, rt, 0, lo);
        vwrite(ctx, rt, 1, hi);
    } else {
        let v = ctx.load(addr, MemOp::size_log2(scale));
        vwrite(ctx, rt, 0, v);
        vclear_high(ctx, rt);
    }
}

/// Stores the low `1 << scale` bytes of V`rt` to `addr`.
fn store_reg(ctx: &mut Ctx, rt: usize, addr: Temp, scale: u32) {
    let lo = vread(ctx, rt, 0);
    if scale == 4 {
        let hi = vread(ctx, rt, 1);
        ctx.store(lo, addr, MemOp::UQ);
        let a8 = ctx.b.temp_i64();
        ctx.b.addi_i64(a8, addr, 8);
        ctx.store(hi, a8, MemOp::UQ);
    } else {
        ctx.store(lo, addr, MemOp::size_log2(scale));
    }
}

/// Access size (log2 bytes) and direction of the single-register forms.
fn size_opc(i: Insn) -> Result<(u32, bool), Undef> {
    let size = i.bits(31, 30);
    let opc = i.bits(23, 22);
    let scale = (opc >> 1) << 2 | size;
    if scale > 4 {
        return Err(Undef);
    }
    Ok((scale, opc & 1 != 0))
}

fn xfer(ctx: &mut Ctx, rt: usize, addr: Temp, scale: u32, load: bool) {
    if load {
        load_reg(ctx, rt, addr, scale);
    } else {
        store_reg(ctx, rt, addr, scale);
    }
}

fn ldst_uimm(ctx: &mut Ctx, i: Insn) -> Result<(), Undef> {
    let (scale, load) = size_opc(i)?;
    let base = ctx.x_sp(i.rn());
    let addr = ctx.b.temp_i64();
    ctx.b.addi_i64(addr, base, (i.bits(21, 10) as u64) << scale);
    xfer(ctx, i.rt(), addr, scale, load);
    Ok(())
}

fn ldst_imm9(ctx: &mut Ctx, i: Insn) -> Result<(), Undef> {
    let (scale, load) = size_opc(i)?;
    let idx = i.bits(11, 10);
    if idx == 0b10 {
        return Err(Undef); // unprivileged forms have no SIMD&FP variant
    }
    let imm = i.sbits(20, 12) as u64;
    let base = ctx.x_sp(i.rn());
    let addr = ctx.b.temp_i64();
    if idx == 0b01 {
        ctx.b.mov_i64(addr, base); // post-index
    } else {
        ctx.b.addi_i64(addr, base, imm);
    }
    xfer(ctx, i.rt(), addr, scale, load);
    if idx != 0 {
        let nb = ctx.b.temp_i64();
        ctx.b.addi_i64(nb, base, imm);
        ctx.set_x_sp(i.rn(), nb);
    }
    Ok(())
}

/// ExtendReg for register-offset addressing.
pub(crate) fn extend_reg(ctx: &mut Ctx, rm: usize, option: u32, shift: u32) -> Result<Temp, Undef> {
    if option & 2 == 0 {
        return Err(Undef);
    }
    let m = ctx.x(rm);
    let t = ctx.b.temp_i64();
    match option {
        0b010 => ctx.b.ext32u_i64(t, m),
        0b110 => ctx.b.ext32s_i64(t, m),
        _ => ctx.b.mov_i64(t, m),
    }
    if shift != 0 {
        ctx.b.shli_i64(t, t, shift);
    }
    Ok(t)
}

fn ldst_reg(ctx: &mut Ctx, i: Insn) -> Result<(), Undef> {
    let (scale, load) = size_opc(i)?;
    let shift = if i.bit(12) { scale } else { 0 };
    let off = extend_reg(ctx, i.rm(), i.bits(15, 13), shift)?;
    let base = ctx.x_sp(i.rn());
    let addr = ctx.b.temp_i64();
    ctx.b.add_i64(addr, base, off);
    xfer(ctx, i.rt(), addr, scale, load);
    Ok(())
}

fn ldr_lit(ctx: &mut Ctx, i: Insn) -> Result<(), Undef> {
    let scale = match i.bits(31, 30) {
        0 => 2,
        1 => 3,
        2 => 4,
        _ => return Err(Undef),
    };
    let a = ctx.pc.wrapping_add((i.sbits(23, 5) << 2) as u64);
    let addr = ctx.b.const_i64(a);
    load_reg(ctx, i.rt(), addr, scale);
    Ok(())
}

fn ldstp(ctx: &mut Ctx, i: Insn) -> Result<(), Undef> {
    let scale = match i.bits(31, 30) {
        0 => 2,
        1 => 3,
        2 => 4,
        _ => return Err(Undef),
    };
    let idx = i.bits(24, 23); // 00 no-allocate, 01 post, 10 offset, 11 pre
    let load = i.bit(22);
    let imm = (i.sbits(21, 15) << scale) as u64;
    let base = ctx.x_sp(i.rn());
    let addr = ctx.b.temp_i64();
    if idx == 0b01 {
        ctx.b.mov_i64(addr, base);
    } else {
        ctx.b.addi_i64(addr, base, imm);
    }
    let a2 = ctx.b.temp_i64();
    ctx.b.addi_i64(a2, addr, 1 << scale);
    if load {
        // Load both before writing either (rt == rt2 is unpredictable anyway).
        load_reg(ctx, i.rt(), addr, scale);
        load_reg(ctx, i.rt2(), a2, scale);
    } else {
        store_reg(ctx, i.rt(), addr, scale);
        store_reg(ctx, i.rt2(), a2, scale);
    }
    if idx == 0b01 || idx == 0b11 {
        let nb = ctx.b.temp_i64();
        ctx.b.addi_i64(nb, base, imm);
        ctx.set_x_sp(i.rn(), nb);
    }
    Ok(())
}

/// Post-index writeback for the structure forms: Xm, or the transfer size
/// when Rm is 31. Only for the post-index encodings (bit 23).
fn struct_wb(ctx: &mut Ctx, i: Insn, base: Temp, total: u64) {
    if !i.bit(23) {
        return;
    }
    let nb = ctx.b.temp_i64();
    if i.rm() == 31 {
        ctx.b.addi_i64(nb, base, total);
    } else {
        let m = ctx.x(i.rm());
        ctx.b.add_i64(nb, base, m);
    }
    ctx.set_x_sp(i.rn(), nb);
}

fn ldst_multi(ctx: &mut Ctx, i: Insn) -> Result<(), Undef> {
    let q = i.bit(30);
    let load = i.bit(22);
    let size = i.bits(11, 10);
    let (rpt, selem) = match i.bits(15, 12) {
        0b0000 => (1, 4),
        0b0010 => (4, 1),
        0b0100 => (1, 3),
        0b0110 => (3, 1),
        0b0111 => (1, 1),
        0b1000 => (1, 2),
        0b1010 => (2, 1),
        _ => return Err(Undef),
    };
    if size == 3 && !q && selem != 1 {
        return Err(Undef);
    }
    let t = i.rt();
    let bytes = if q { 16 } else { 8 };
    let base = ctx.x_sp(i.rn());
    let base_copy = ctx.b.temp_i64();
    ctx.b.mov_i64(base_copy, base);
    let total = (bytes * rpt * selem) as u64;
    if selem == 1 {
        // Whole registers, in 8-byte pieces.
        for r in 0..rpt {
            let reg = (t + r) % 32;
            let addr = ctx.b.temp_i64();
            ctx.b.addi_i64(addr, base_copy, (r * bytes) as u64);
            xfer(ctx, reg, addr, if q { 4 } else { 3 }, load);
        }
    } else {
        let ebytes = 1usize << size;
        let elements = bytes / ebytes;
        if load && !q {
            for s in 0..selem {
                vclear_high(ctx, (t + s) % 32);
            }
        }
        let mo = MemOp::size_log2(size);
        let mut offs = 0u64;
        for e in 0..elements {
            for s in 0..selem {
                let reg = (t + s) % 32;
                let addr = ctx.b.temp_i64();
                ctx.b.addi_i64(addr, base_copy, offs);
                if load {
                    let v = ctx.load(addr, mo);
                    vwrite_lane(ctx, reg, e, size, v);
                } else {
                    let v = vread_lane(ctx, reg, e, size, false);
                    ctx.store(v, addr, mo);
                }
                offs += ebytes as u64;
            }
        }
    }
    struct_wb(ctx, i, base_copy, total);
    Ok(())
}

fn ldst_single(ctx: &mut Ctx, i: Insn) -> Result<(), Undef> {
    let q = i.bit(30);
    let load = i.bit(22);
    let opcode = i.bits(15, 13);
    let s = i.bit(12) as usize;
    let size = i.bits(11, 10);
    let selem = ((opcode & 1) << 1 | i.bit(21) as u32) as usize + 1;
    let mut scale = opcode >> 1;
    let mut replicate = false;
    let q_ = q as usize;
    let index = match scale {
        3 => {
            if !load || s != 0 {
                return Err(Undef);
            }
            scale = size;
            replicate = true;
            0
        }
        0 => q_ << 3 | s << 2 | size as usize,
        1 => {
            if size & 1 != 0 {
                return Err(Undef);
            }
            q_ << 2 | s << 1 | (size >> 1) as usize
        }
        _ => {
            if size & 2 != 0 {
                return Err(Undef);
            }
            if size & 1 == 0 {
                q_ << 1 | s
            } else {
                if s != 0 {
                    return Err(Undef);
                }
                scale = 3;
                q_
            }
        }
    };
    let t = i.rt();
    let ebytes = 1u64 << scale;
    let base = ctx.x_sp(i.rn());
    let base_copy = ctx.b.temp_i64();
    ctx.b.mov_i64(base_copy, base);
    let mo = MemOp::size_log2(scale);
    for k in 0..selem {
        let reg = (t + k) % 32;
        let addr = ctx.b.temp_i64();
        ctx.b.addi_i64(addr, base_copy, k as u64 * ebytes);
        if replicate {
            let v = ctx.load(addr, mo);
            let d = super::dup64(ctx, v, scale);
            vwrite(ctx, reg, 0, d);
            if q {
                vwrite(ctx, reg, 1, d);
            } else {
                vclear_high(ctx, reg);
            }
        } else if load {
            let v = ctx.load(addr, mo);
            vwrite_lane(ctx, reg, index, scale, v);
        } else {
            let v = vread_lane(ctx, reg, index, scale, false);
            ctx.store(v, addr, mo);
        }
    }
    struct_wb(ctx, i, base_copy, selem as u64 * ebytes);
    Ok(())
}
