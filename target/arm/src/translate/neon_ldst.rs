//! Advanced SIMD element and structure loads and stores, VLD1-4/VST1-4,
//! in their three forms: multiple structures (`1111 0100 0D L0 ...`),
//! one lane (`1111 0100 1D L0 ... size nn index_align`) and all lanes
//! (`1111 0100 1D10 ... 11 nn size T a`); T32 has `1111 1001` for
//! `1111 0100`. Elements are moved one by one between guest memory and
//! the D registers (VLD1/VST1 of whole registers as 64-bit accesses: on a
//! little-endian guest the element size does not change the bytes). The
//! alignment the encoding asks for is checked before any access (SIGBUS,
//! BUS_ADRALN); writeback by the bytes transferred (`rm` = 13) or by `rm`.

use super::neon::{a32, dreg};
use super::Ctx;
use crate::cpu::{dreg_off, excp, G_PC, OFF_CUR_FLAGS, OFF_FAULT_ADDR};
use crate::decode::{pat, Insn, Pattern, Undef};
use tcg::ir::{Cond, MemOp, Temp};

type R = Result<(), Undef>;

pub static A32_PATTERNS: &[Pattern] = &[
    pat(
        "vldn_vstn_multiple",
        "1111 0100 0 d:1 l:1 0 rn:4 vd:4 type:4 size:2 align:2 rm:4",
        vldn_multiple,
    ),
    pat(
        "vldn_all_lanes",
        "1111 0100 1 d:1 10 rn:4 vd:4 11 nn:2 size:2 t:1 a:1 rm:4",
        vldn_all_lanes,
    ),
    pat(
        "vldn_vstn_lane",
        "1111 0100 1 d:1 l:1 0 rn:4 vd:4 size:2 nn:2 ia:4 rm:4",
        vldn_lane,
    ),
];

pub static T32_PATTERNS: &[Pattern] = &[
    pat(
        "vldn_vstn_multiple",
        "1111 1001 0 d:1 l:1 0 rn:4 vd:4 type:4 size:2 align:2 rm:4",
        vldn_multiple,
    ),
    pat(
        "vldn_all_lanes",
        "1111 1001 1 d:1 10 rn:4 vd:4 11 nn:2 size:2 t:1 a:1 rm:4",
        vldn_all_lanes,
    ),
    pat(
        "vldn_vstn_lane",
        "1111 1001 1 d:1 l:1 0 rn:4 vd:4 size:2 nn:2 ia:4 rm:4",
        vldn_lane,
    ),
];

/// Raises the alignment fault unless `base` is a multiple of `bytes`.
fn check_align(ctx: &mut Ctx, base: Temp, bytes: u32) {
    if bytes <= 1 {
        return;
    }
    let t = ctx.b.temp_i32();
    let k = ctx.b.const_i32(bytes - 1);
    ctx.b.and_i32(t, base, k);
    let zero = ctx.b.const_i32(0);
    let ok = ctx.b.new_label();
    ctx.b.brcond_i32(t, zero, Cond::Eq, ok);
    let a = ctx.addr64(base);
    ctx.b.st_env_i64(a, OFF_FAULT_ADDR, MemOp::UQ);
    let f = ctx.b.const_i32(ctx.flags_with_it(ctx.it));
    ctx.b.st_env_i32(f, OFF_CUR_FLAGS, MemOp::UL);
    let g = ctx.b.global(G_PC);
    ctx.b.movi_i64(g, ctx.pc);
    ctx.b.exit(u64::from(excp::DATA_ABORT));
    ctx.b.set_label(ok);
}

/// The base register, refusing the forms Mimic does not take (pc base,
/// big-endian data).
fn base_reg(ctx: &mut Ctx, rn: usize) -> Result<Temp, Undef> {
    if rn == 15 || ctx.be {
        return Err(Undef);
    }
    Ok(super::ldst::base(ctx, rn))
}

/// The base update: none (`rm` = 15), by the bytes transferred (13), or
/// by `rm`.
fn writeback(ctx: &mut Ctx, rn: usize, rm: usize, base: Temp, bytes: u32) {
    match rm {
        15 => {}
        13 => {
            let nb = ctx.addi(base, bytes);
            ctx.set_reg(rn, nb);
        }
        _ => {
            let off = ctx.reg(rm);
            let nb = ctx.b.temp_i32();
            ctx.b.add_i32(nb, base, off);
            ctx.set_reg(rn, nb);
        }
    }
}

fn elem_memop(size: u32) -> MemOp {
    [MemOp::UB, MemOp::UW, MemOp::UL][size as usize]
}

/// Moves one element (`size` < 3) between `addr` and byte `off` of the
/// register file.
fn move_elem(ctx: &mut Ctx, load: bool, addr: Temp, env_off: u32, size: u32) {
    let m = elem_memop(size);
    if load {
        let v = ctx.load(addr, m);
        ctx.b.st_env_i32(v, env_off, m);
    } else {
        let v = ctx.b.temp_i32();
        ctx.b.ld_env_i32(v, env_off, m);
        ctx.store(v, addr, m);
    }
}

/// VLDn/VSTn (multiple n-element structures).
fn vldn_multiple(ctx: &mut Ctx, i: Insn) -> R {
    let w = Insn(a32(ctx, i)?);
    let (size, align) = (w.bits(7, 6), w.bits(5, 4));
    // (elements per structure, registers per element, register spacing)
    let (nst, regs, inc) = match w.bits(11, 8) {
        0b0111 => (1, 1, 1),
        0b1010 => (1, 2, 1),
        0b0110 => (1, 3, 1),
        0b0010 => (1, 4, 1),
        0b1000 => (2, 1, 1),
        0b1001 => (2, 1, 2),
        0b0011 => (2, 2, 2),
        0b0100 => (3, 1, 1),
        0b0101 => (3, 1, 2),
        0b0000 => (4, 1, 1),
        0b0001 => (4, 1, 2),
        _ => return Err(Undef),
    };
    let bad = match nst {
        1 => (regs % 2 == 1 && align & 2 != 0) || (regs == 2 && align == 3),
        2 => size == 3 || (regs == 1 && align == 3),
        3 => size == 3 || align & 2 != 0,
        _ => size == 3,
    };
    let d = dreg(w.bits(15, 12), w.bit(22));
    if bad || d + (nst - 1) * inc + regs > 32 {
        return Err(Undef);
    }
    let (rn, rm) = (w.bits(19, 16) as usize, w.bits(3, 0) as usize);
    let base = base_reg(ctx, rn)?;
    let align_bytes = match (nst, align) {
        (_, 0) => 1,
        (3, _) => 8,
        _ => 4 << align,
    };
    check_align(ctx, base, align_bytes);
    let load = w.bit(21);
    let mut off = 0u32;
    if nst == 1 {
        for r in d..d + regs {
            let a = ctx.addi(base, off);
            if load {
                let v = ctx.load64(a);
                ctx.b.st_env_i64(v, dreg_off(r), MemOp::UQ);
            } else {
                let v = ctx.b.temp_i64();
                ctx.b.ld_env_i64(v, dreg_off(r), MemOp::UQ);
                ctx.store64(v, a);
            }
            off += 8;
        }
    } else {
        let ebytes = 1u32 << size;
        for r in 0..regs {
            for e in 0..8 / ebytes {
                for s in 0..nst {
                    let reg = d + r + s * inc;
                    let a = ctx.addi(base, off);
                    move_elem(ctx, load, a, dreg_off(reg) + e * ebytes, size);
                    off += ebytes;
                }
            }
        }
    }
    writeback(ctx, rn, rm, base, off);
    Ok(())
}

/// VLDn/VSTn (single n-element structure to or from one lane).
fn vldn_lane(ctx: &mut Ctx, i: Insn) -> R {
    let w = Insn(a32(ctx, i)?);
    let size = w.bits(11, 10);
    let nst = w.bits(9, 8) as usize + 1;
    let ia = w.bits(7, 4);
    if size == 3 {
        return Err(Undef);
    }
    let ebytes = 1u32 << size;
    let (index, inc) = match size {
        0 => (ia >> 1, 1),
        1 => (ia >> 2, 1 + usize::from(ia & 2 != 0)),
        _ => (ia >> 3, 1 + usize::from(ia & 4 != 0)),
    };
    // Reserved index_align bits, and the alignment asked for.
    let a = ia & 1 != 0;
    let (bad, align) = match (nst, size) {
        (1, 0) => (a, 1),
        (1, 1) => (ia & 2 != 0, if a { 2 } else { 1 }),
        (1, _) => (
            ia & 4 != 0 || (ia & 3 != 0 && ia & 3 != 3),
            if a { 4 } else { 1 },
        ),
        (2, 0) => (false, if a { 2 } else { 1 }),
        (2, 1) => (false, if a { 4 } else { 1 }),
        (2, _) => (ia & 2 != 0, if a { 8 } else { 1 }),
        (3, 0) | (3, 1) => (a, 1),
        (3, _) => (ia & 3 != 0, 1),
        (_, 0) => (false, if a { 4 } else { 1 }),
        (_, 1) => (false, if a { 8 } else { 1 }),
        (_, _) => (ia & 3 == 3, if ia & 3 == 0 { 1 } else { 4 << (ia & 3) }),
    };
    let d = dreg(w.bits(15, 12), w.bit(22));
    if bad || d + (nst - 1) * inc >= 32 {
        return Err(Undef);
    }
    let (rn, rm) = (w.bits(19, 16) as usize, w.bits(3, 0) as usize);
    let base = base_reg(ctx, rn)?;
    check_align(ctx, base, align);
    let load = w.bit(21);
    for s in 0..nst {
        let a = ctx.addi(base, s as u32 * ebytes);
        let reg = d + s * inc;
        move_elem(ctx, load, a, dreg_off(reg) + index * ebytes, size);
    }
    writeback(ctx, rn, rm, base, nst as u32 * ebytes);
    Ok(())
}

/// VLDn (single n-element structure to all lanes).
fn vldn_all_lanes(ctx: &mut Ctx, i: Insn) -> R {
    let w = Insn(a32(ctx, i)?);
    let nst = w.bits(9, 8) as usize + 1;
    let size = w.bits(7, 6);
    let (t, a) = (w.bit(5), w.bit(4));
    // (registers per element, spacing, bytes per element, alignment)
    let (regs, inc, ebytes, align): (usize, usize, u32, u32) = match (nst, size) {
        (_, 3) if nst < 4 => return Err(Undef),
        (1, 0) if a => return Err(Undef),
        (1, _) => (
            1 + usize::from(t),
            1,
            1 << size,
            if a { 1 << size } else { 1 },
        ),
        (2, _) => (
            1,
            1 + usize::from(t),
            1 << size,
            if a { 2 << size } else { 1 },
        ),
        (3, _) if a => return Err(Undef),
        (3, _) => (1, 1 + usize::from(t), 1 << size, 1),
        (_, 3) if !a => return Err(Undef),
        (_, 3) => (1, 1 + usize::from(t), 4, 16),
        (_, 2) => (1, 1 + usize::from(t), 4, if a { 8 } else { 1 }),
        (_, _) => (
            1,
            1 + usize::from(t),
            1 << size,
            if a { 4 << size } else { 1 },
        ),
    };
    let esize = ebytes.trailing_zeros();
    let d = dreg(w.bits(15, 12), w.bit(22));
    if d + (nst - 1) * inc + regs > 32 {
        return Err(Undef);
    }
    let (rn, rm) = (w.bits(19, 16) as usize, w.bits(3, 0) as usize);
    let base = base_reg(ctx, rn)?;
    check_align(ctx, base, align);
    for s in 0..nst {
        let addr = ctx.addi(base, s as u32 * ebytes);
        let v32 = ctx.load(addr, elem_memop(esize));
        let v = ctx.b.temp_i64();
        ctx.b.extu_i32_i64(v, v32);
        let v = super::neon::replicate(ctx, v, 8 * ebytes);
        for r in 0..regs {
            ctx.b.st_env_i64(v, dreg_off(d + s * inc + r), MemOp::UQ);
        }
    }
    writeback(ctx, rn, rm, base, nst as u32 * ebytes);
    Ok(())
}
