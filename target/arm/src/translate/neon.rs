//! Advanced SIMD (NEON) in A32 and T32: the "three registers of the same
//! length" group and some of "two registers miscellaneous" (VMVN, VCNT,
//! VCLZ, VCLS, VREV*, VABS, VNEG, VSWP, VTRN, VUZP, VZIP, VMOVN), VEXT,
//! VMLA/VMLS/VMUL by a scalar, shifts by an immediate (through
//! [`crate::neon`]), VMOV/VMVN/VORR/VBIC
//! (immediate), VDUP (scalar and core register) and VLD1/VST1 (multiple
//! registers, one lane, all lanes). The T32 encodings are the A32 ones with `111U 1111` for
//! `1111 001U` (data processing) and `1111 1001` for `1111 0100` (loads and
//! stores); handlers work on the A32 form. Other NEON encodings are still
//! undefined (HWCAP_NEON is not advertised until the set is complete).

use super::Ctx;
use crate::cpu::dreg_off;
use crate::decode::{pat, Insn, Pattern, Undef};
use crate::helpers;
use crate::neon::{expand_imm, EncScalar, Op2, Op3, OpSh};
use tcg::ir::{MemOp, Temp};

type R = Result<(), Undef>;

pub static A32_PATTERNS: &[Pattern] = &[
    pat(
        "neon_3same",
        "1111 001 u:1 0 d:1 size:2 vn:4 vd:4 opc:4 n:1 q:1 m:1 o1:1 vm:4",
        neon_3same,
    ),
    pat(
        "neon_1imm",
        "1111 001 i:1 1 d:1 000 imm3:3 vd:4 cmode:4 0 q:1 op:1 1 imm4:4",
        neon_1imm,
    ),
    pat(
        "neon_shift",
        "1111 001 u:1 1 d:1 imm6:6 vd:4 opc:4 l:1 q:1 m:1 1 vm:4",
        neon_shift,
    ),
    pat(
        "neon_scalar",
        "1111 001 q:1 1 d:1 size:2 vn:4 vd:4 opc:4 n:1 1 m:1 0 vm:4",
        neon_scalar,
    ),
    pat(
        "vdup_scalar",
        "1111 0011 1 d:1 11 imm4:4 vd:4 1100 0 q:1 m:1 0 vm:4",
        vdup_scalar,
    ),
    pat(
        "vext",
        "1111 0010 1 d:1 11 vn:4 vd:4 imm4:4 n:1 q:1 m:1 0 vm:4",
        vext,
    ),
    pat(
        "neon_2misc",
        "1111 0011 1 d:1 11 size:2 a:2 vd:4 0 b:4 q:1 m:1 0 vm:4",
        neon_2misc,
    ),
    pat(
        "vld1_vst1_multiple",
        "1111 0100 0 d:1 l:1 0 rn:4 vd:4 type:4 size:2 align:2 rm:4",
        vldst1_multiple,
    ),
    pat(
        "vld1_all_lanes",
        "1111 0100 1 d:1 10 rn:4 vd:4 1100 size:2 t:1 a:1 rm:4",
        vld1_all_lanes,
    ),
    pat(
        "vld1_vst1_lane",
        "1111 0100 1 d:1 l:1 0 rn:4 vd:4 size:2 00 ia:4 rm:4",
        vldst1_lane,
    ),
];

pub static T32_PATTERNS: &[Pattern] = &[
    pat(
        "neon_3same",
        "111 u:1 1111 0 d:1 size:2 vn:4 vd:4 opc:4 n:1 q:1 m:1 o1:1 vm:4",
        neon_3same,
    ),
    pat(
        "neon_1imm",
        "111 i:1 1111 1 d:1 000 imm3:3 vd:4 cmode:4 0 q:1 op:1 1 imm4:4",
        neon_1imm,
    ),
    pat(
        "neon_shift",
        "111 u:1 1111 1 d:1 imm6:6 vd:4 opc:4 l:1 q:1 m:1 1 vm:4",
        neon_shift,
    ),
    pat(
        "neon_scalar",
        "111 q:1 1111 1 d:1 size:2 vn:4 vd:4 opc:4 n:1 1 m:1 0 vm:4",
        neon_scalar,
    ),
    pat(
        "vdup_scalar",
        "1111 1111 1 d:1 11 imm4:4 vd:4 1100 0 q:1 m:1 0 vm:4",
        vdup_scalar,
    ),
    pat(
        "vext",
        "1110 1111 1 d:1 11 vn:4 vd:4 imm4:4 n:1 q:1 m:1 0 vm:4",
        vext,
    ),
    pat(
        "neon_2misc",
        "1111 1111 1 d:1 11 size:2 a:2 vd:4 0 b:4 q:1 m:1 0 vm:4",
        neon_2misc,
    ),
    pat(
        "vld1_vst1_multiple",
        "1111 1001 0 d:1 l:1 0 rn:4 vd:4 type:4 size:2 align:2 rm:4",
        vldst1_multiple,
    ),
    pat(
        "vld1_all_lanes",
        "1111 1001 1 d:1 10 rn:4 vd:4 1100 size:2 t:1 a:1 rm:4",
        vld1_all_lanes,
    ),
    pat(
        "vld1_vst1_lane",
        "1111 1001 1 d:1 l:1 0 rn:4 vd:4 size:2 00 ia:4 rm:4",
        vldst1_lane,
    ),
];

/// VDUP (ARM core register), in the coprocessor-11 space (conditional in
/// A32, `1110` in T32).
pub static VDUP_CORE_PATTERNS: &[Pattern] = &[pat(
    "vdup_core",
    "xxxx 1110 1 b:1 q:1 0 vd:4 rt:4 1011 d:1 0 e:1 1 0000",
    vdup_core,
)];

/// The A32 form of an instruction (T32 NEON encodings mapped).
fn a32(ctx: &Ctx, i: Insn) -> u32 {
    let w = i.0;
    if !ctx.thumb {
        return w;
    }
    if w >> 24 == 0xf9 {
        0xf400_0000 | (w & 0x00ff_ffff)
    } else {
        0xf200_0000 | (w >> 28 & 1) << 24 | (w & 0x00ff_ffff)
    }
}

fn dreg(v: u32, hi: bool) -> usize {
    (u32::from(hi) << 4 | v) as usize
}

fn write_d(ctx: &mut Ctx, r: usize, v: Temp) {
    ctx.b.st_env_i64(v, dreg_off(r), MemOp::UQ);
}

fn read_d(ctx: &mut Ctx, r: usize) -> Temp {
    let t = ctx.b.temp_i64();
    ctx.b.ld_env_i64(t, dreg_off(r), MemOp::UQ);
    t
}

fn neon_3same(ctx: &mut Ctx, i: Insn) -> R {
    let w = a32(ctx, i);
    Op3::decode(w).ok_or(Undef)?;
    let k = ctx.b.const_i64(u64::from(w));
    ctx.b.call(&helpers::HELPER_NEON_3SAME, None, &[k]);
    Ok(())
}

/// VSHR, VSRA, VRSHR, VRSRA, VSRI, VSHL, VSLI (immediate), VSHRN, VRSHRN,
/// VSHLL/VMOVL.
fn neon_shift(ctx: &mut Ctx, i: Insn) -> R {
    let w = a32(ctx, i);
    OpSh::decode(w).ok_or(Undef)?;
    let k = ctx.b.const_i64(u64::from(w));
    ctx.b.call(&helpers::HELPER_NEON_SHIFT, None, &[k]);
    Ok(())
}

/// VMLA, VMLS, VMUL (by scalar).
fn neon_scalar(ctx: &mut Ctx, i: Insn) -> R {
    let w = a32(ctx, i);
    EncScalar::decode(w).ok_or(Undef)?;
    let k = ctx.b.const_i64(u64::from(w));
    ctx.b.call(&helpers::HELPER_NEON_SCALAR, None, &[k]);
    Ok(())
}

fn neon_2misc(ctx: &mut Ctx, i: Insn) -> R {
    let w = a32(ctx, i);
    Op2::decode(w).ok_or(Undef)?;
    let k = ctx.b.const_i64(u64::from(w));
    ctx.b.call(&helpers::HELPER_NEON_2MISC, None, &[k]);
    Ok(())
}

/// VMOV, VMVN, VORR, VBIC (immediate).
fn neon_1imm(ctx: &mut Ctx, i: Insn) -> R {
    let w = Insn(a32(ctx, i));
    let (q, op, cmode) = (w.bit(6), w.bit(5), w.bits(11, 8));
    let imm8 = u32::from(w.bit(24)) << 7 | w.bits(18, 16) << 4 | w.bits(3, 0);
    let d = dreg(w.bits(15, 12), w.bit(22));
    if q && d & 1 != 0 {
        return Err(Undef);
    }
    let imm = expand_imm(op, cmode, imm8).ok_or(Undef)?;
    // cmode 0xx1 / 10x1: VORR (op 0) or VBIC (op 1); the rest move.
    let logical = cmode & 1 == 1 && cmode < 12;
    for r in d..d + 1 + usize::from(q) {
        let v = if !logical {
            let v = if op && cmode != 14 { !imm } else { imm };
            ctx.b.const_i64(v)
        } else {
            let old = read_d(ctx, r);
            let t = ctx.b.temp_i64();
            if op {
                ctx.b.andi_i64(t, old, !imm);
            } else {
                let c = ctx.b.const_i64(imm);
                ctx.b.or_i64(t, old, c);
            }
            t
        };
        write_d(ctx, r, v);
    }
    Ok(())
}

fn vdup_scalar(ctx: &mut Ctx, i: Insn) -> R {
    let w = Insn(a32(ctx, i));
    let imm4 = w.bits(19, 16);
    let (bits, index) = match imm4 {
        x if x & 1 == 1 => (8, x >> 1),
        x if x & 3 == 2 => (16, x >> 2),
        x if x & 7 == 4 => (32, x >> 3),
        _ => return Err(Undef),
    };
    let q = w.bit(6);
    let d = dreg(w.bits(15, 12), w.bit(22));
    let m = dreg(w.bits(3, 0), w.bit(5));
    if q && d & 1 != 0 {
        return Err(Undef);
    }
    let src = read_d(ctx, m);
    let e = ctx.b.temp_i64();
    ctx.b.shri_i64(e, src, index * bits);
    let v = replicate(ctx, e, bits);
    for r in d..d + 1 + usize::from(q) {
        write_d(ctx, r, v);
    }
    Ok(())
}

/// VEXT: bytes `imm4..` of the concatenation m:n (n lowest).
fn vext(ctx: &mut Ctx, i: Insn) -> R {
    let w = Insn(a32(ctx, i));
    let q = w.bit(6);
    let imm = w.bits(11, 8);
    let d = dreg(w.bits(15, 12), w.bit(22));
    let n = dreg(w.bits(19, 16), w.bit(7));
    let m = dreg(w.bits(3, 0), w.bit(5));
    if (q && (d | n | m) & 1 != 0) || (!q && imm > 7) {
        return Err(Undef);
    }
    let regs = 1 + usize::from(q);
    // Source bytes: n's registers then m's, as 64-bit words.
    let mut src = Vec::new();
    for r in (n..n + regs).chain(m..m + regs) {
        src.push(read_d(ctx, r));
    }
    let mut out = Vec::new();
    for k in 0..regs {
        // Result word k: source bytes imm + 8k .. imm + 8k + 8.
        let byte = imm as usize + 8 * k;
        let (wi, sh) = (byte / 8, (byte % 8) as u32 * 8);
        let lo = ctx.b.temp_i64();
        ctx.b.shri_i64(lo, src[wi], sh);
        let r = if sh == 0 {
            lo
        } else {
            let hi = ctx.b.temp_i64();
            ctx.b.shli_i64(hi, src[wi + 1], 64 - sh);
            let r = ctx.b.temp_i64();
            ctx.b.or_i64(r, lo, hi);
            r
        };
        out.push(r);
    }
    for (k, r) in out.into_iter().enumerate() {
        write_d(ctx, d + k, r);
    }
    Ok(())
}

/// The low `bits` of `e` repeated across 64 bits.
fn replicate(ctx: &mut Ctx, e: Temp, bits: u32) -> Temp {
    let v = ctx.b.temp_i64();
    ctx.b.andi_i64(v, e, (1u64 << bits) - 1);
    let mult = match bits {
        8 => 0x0101_0101_0101_0101,
        16 => 0x0001_0001_0001_0001,
        _ => 0x0000_0001_0000_0001,
    };
    let k = ctx.b.const_i64(mult);
    let r = ctx.b.temp_i64();
    ctx.b.mul_i64(r, v, k);
    r
}

fn vdup_core(ctx: &mut Ctx, i: Insn) -> R {
    if !ctx.thumb && i.bits(31, 28) == 15 {
        return Err(Undef);
    }
    let (b, e, q) = (i.bit(22), i.bit(5), i.bit(21));
    let bits = match (b, e) {
        (false, false) => 32,
        (false, true) => 16,
        (true, false) => 8,
        (true, true) => return Err(Undef),
    };
    let d = dreg(i.bits(19, 16), i.bit(7));
    let rt = i.bits(15, 12) as usize;
    if rt == 15 || (q && d & 1 != 0) {
        return Err(Undef);
    }
    let r32 = ctx.reg(rt);
    let r64 = ctx.b.temp_i64();
    ctx.b.extu_i32_i64(r64, r32);
    let v = replicate(ctx, r64, bits);
    for r in d..d + 1 + usize::from(q) {
        write_d(ctx, r, v);
    }
    Ok(())
}

/// VLD1/VST1 (multiple single elements): 1-4 consecutive D registers from
/// or to consecutive memory. On a little-endian guest the element size
/// does not change the bytes each register gets.
fn vldst1_multiple(ctx: &mut Ctx, i: Insn) -> R {
    let w = Insn(a32(ctx, i));
    let regs = match w.bits(11, 8) {
        0b0111 => 1,
        0b1010 => 2,
        0b0110 => 3,
        0b0010 => 4,
        _ => return Err(Undef), // VLD2-4 / VST2-4: not yet
    };
    let align = w.bits(5, 4);
    if (regs == 1 || regs == 3) && align & 2 != 0 {
        return Err(Undef);
    }
    let d = dreg(w.bits(15, 12), w.bit(22));
    let (rn, rm) = (w.bits(19, 16) as usize, w.bits(3, 0) as usize);
    if d + regs > 32 || rn == 15 || ctx.be {
        return Err(Undef);
    }
    let load = w.bit(21);
    let base = super::ldst::base(ctx, rn);
    // The alignment hint (64 << align bits) is checked only to 4 bytes, on
    // the first word (a coarser check than the hint's).
    let first = if align != 0 {
        MemOp::UL.aligned()
    } else {
        MemOp::UL
    };
    for k in 0..regs {
        let a = ctx.addi(base, 8 * k as u32);
        let a2 = ctx.addi(a, 4);
        let r = d + k;
        let m0 = if k == 0 { first } else { MemOp::UL };
        if load {
            let lo = ctx.load(a, m0);
            let hi = ctx.load(a2, MemOp::UL);
            ctx.b.st_env_i32(lo, dreg_off(r), MemOp::UL);
            ctx.b.st_env_i32(hi, dreg_off(r) + 4, MemOp::UL);
        } else {
            let (lo, hi) = (ctx.b.temp_i32(), ctx.b.temp_i32());
            ctx.b.ld_env_i32(lo, dreg_off(r), MemOp::UL);
            ctx.b.ld_env_i32(hi, dreg_off(r) + 4, MemOp::UL);
            ctx.store(lo, a, m0);
            ctx.store(hi, a2, MemOp::UL);
        }
    }
    writeback(ctx, rn, rm, base, 8 * regs as u32);
    Ok(())
}

/// The element and structure loads' base update: none (`rm` = 15), by
/// the bytes transferred (13), or by `rm`.
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

/// VLD1 (single element to all lanes): one element replicated into 1 or
/// 2 D registers.
fn vld1_all_lanes(ctx: &mut Ctx, i: Insn) -> R {
    let w = Insn(a32(ctx, i));
    let size = w.bits(7, 6);
    if size == 3 || (size == 0 && w.bit(4)) || ctx.be {
        return Err(Undef);
    }
    let regs = 1 + usize::from(w.bit(5));
    let d = dreg(w.bits(15, 12), w.bit(22));
    let (rn, rm) = (w.bits(19, 16) as usize, w.bits(3, 0) as usize);
    if d + regs > 32 || rn == 15 {
        return Err(Undef);
    }
    let base = super::ldst::base(ctx, rn);
    let m = elem_memop(size);
    let m = if w.bit(4) { m.aligned() } else { m };
    let v32 = ctx.load(base, m);
    let v = ctx.b.temp_i64();
    ctx.b.extu_i32_i64(v, v32);
    let v = replicate(ctx, v, 8 << size);
    for r in d..d + regs {
        write_d(ctx, r, v);
    }
    writeback(ctx, rn, rm, base, 1 << size);
    Ok(())
}

/// VLD1/VST1 (single element to/from one lane).
fn vldst1_lane(ctx: &mut Ctx, i: Insn) -> R {
    let w = Insn(a32(ctx, i));
    let size = w.bits(11, 10);
    let ia = w.bits(7, 4);
    // index, and whether the alignment bits ask for an aligned access
    let (index, aligned) = match size {
        0 if ia & 1 == 0 => (ia >> 1, false),
        1 if ia & 2 == 0 => (ia >> 2, ia & 1 != 0),
        2 if ia & 4 == 0 && (ia & 3 == 0 || ia & 3 == 3) => (ia >> 3, ia & 3 == 3),
        _ => return Err(Undef),
    };
    let d = dreg(w.bits(15, 12), w.bit(22));
    let (rn, rm) = (w.bits(19, 16) as usize, w.bits(3, 0) as usize);
    if rn == 15 || ctx.be {
        return Err(Undef);
    }
    let bits = 8u32 << size;
    let shift = index * bits;
    let base = super::ldst::base(ctx, rn);
    let m = elem_memop(size);
    let m = if aligned { m.aligned() } else { m };
    let old = read_d(ctx, d);
    if w.bit(21) {
        let v32 = ctx.load(base, m);
        let v = ctx.b.temp_i64();
        ctx.b.extu_i32_i64(v, v32);
        let placed = ctx.b.temp_i64();
        ctx.b.shli_i64(placed, v, shift);
        let kept = ctx.b.temp_i64();
        ctx.b.andi_i64(kept, old, !(((1u64 << bits) - 1) << shift));
        let r = ctx.b.temp_i64();
        ctx.b.or_i64(r, kept, placed);
        write_d(ctx, d, r);
    } else {
        let e = ctx.b.temp_i64();
        ctx.b.shri_i64(e, old, shift);
        let v32 = ctx.b.temp_i32();
        ctx.b.extrl_i64_i32(v32, e);
        ctx.store(v32, base, m);
    }
    writeback(ctx, rn, rm, base, 1 << size);
    Ok(())
}
