//! Advanced SIMD (NEON) data processing in A32 and T32: the "three
//! registers of the same length", "of different lengths", "two registers
//! and a scalar", "two registers and a shift amount" and "two registers
//! miscellaneous" groups (helpers running [`crate::neon`]'s element
//! semantics on the D registers), VTBL/VTBX, and in IR VEXT,
//! VMOV/VMVN/VORR/VBIC (immediate) and VDUP (scalar and core register).
//! The T32 encodings are the A32 ones with `111U 1111` for `1111 001U`
//! (data processing) and `1111 1001` for `1111 0100` (loads and stores,
//! `neon_ldst.rs`); handlers work on the A32 form. Models without NEON
//! (`Features::neon`) get UNDEFINED, and the ARMv8 additions need
//! `Features::v8`.

use super::Ctx;
use crate::cpu::dreg_off;
use crate::decode::{pat, Insn, Pattern, Undef};
use crate::helpers;
use crate::neon::long::EncL;
use crate::neon::table::EncTbl;
use crate::neon::{expand_imm, EncScalar, Op2, Op3, OpSh};
use tcg::ir::{MemOp, Temp};

type R = Result<(), Undef>;

pub static A32_PATTERNS: &[Pattern] = &[
    // The size = 11 encodings first: the 3-different and by-scalar
    // patterns below would also match them.
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
        "vtbl_vtbx",
        "1111 0011 1 d:1 11 vn:4 vd:4 10 len:2 n:1 op:1 m:1 0 vm:4",
        vtbl,
    ),
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
        "neon_3diff",
        "1111 001 u:1 1 d:1 size:2 vn:4 vd:4 opc:4 n:1 0 m:1 0 vm:4",
        neon_3diff,
    ),
];

pub static T32_PATTERNS: &[Pattern] = &[
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
        "vtbl_vtbx",
        "1111 1111 1 d:1 11 vn:4 vd:4 10 len:2 n:1 op:1 m:1 0 vm:4",
        vtbl,
    ),
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
        "neon_3diff",
        "111 u:1 1111 1 d:1 size:2 vn:4 vd:4 opc:4 n:1 0 m:1 0 vm:4",
        neon_3diff,
    ),
];

/// VDUP (ARM core register), in the coprocessor-11 space (conditional in
/// A32, `1110` in T32).
pub static VDUP_CORE_PATTERNS: &[Pattern] = &[pat(
    "vdup_core",
    "xxxx 1110 1 b:1 q:1 0 vd:4 rt:4 1011 d:1 0 e:1 1 0000",
    vdup_core,
)];

/// The A32 form of an instruction (T32 NEON encodings mapped); UNDEFINED
/// on models without Advanced SIMD.
pub(super) fn a32(ctx: &Ctx, i: Insn) -> Result<u32, Undef> {
    if !ctx.features.neon {
        return Err(Undef);
    }
    let w = i.0;
    if !ctx.thumb {
        return Ok(w);
    }
    Ok(if w >> 24 == 0xf9 {
        0xf400_0000 | (w & 0x00ff_ffff)
    } else {
        0xf200_0000 | (w >> 28 & 1) << 24 | (w & 0x00ff_ffff)
    })
}

pub(super) fn dreg(v: u32, hi: bool) -> usize {
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
    let w = a32(ctx, i)?;
    let e = Op3::decode(w).ok_or(Undef)?;
    if e.op.is_v8() && !ctx.features.v8 {
        return Err(Undef);
    }
    let k = ctx.b.const_i64(u64::from(w));
    ctx.b.call(&helpers::HELPER_NEON_3SAME, None, &[k]);
    Ok(())
}

/// VSHR, VSRA, VRSHR, VRSRA, VSRI, VSHL, VSLI (immediate), VSHRN, VRSHRN,
/// VSHLL/VMOVL.
fn neon_shift(ctx: &mut Ctx, i: Insn) -> R {
    let w = a32(ctx, i)?;
    OpSh::decode(w).ok_or(Undef)?;
    let k = ctx.b.const_i64(u64::from(w));
    ctx.b.call(&helpers::HELPER_NEON_SHIFT, None, &[k]);
    Ok(())
}

/// The "two registers and a scalar" group: the lengthening forms (opc
/// 2, 3, 6, 7, 10, 11) are `long.rs`'s.
fn neon_scalar(ctx: &mut Ctx, i: Insn) -> R {
    let w = a32(ctx, i)?;
    if matches!(w >> 8 & 15, 2 | 3 | 6 | 7 | 10 | 11) {
        return neon_3diff(ctx, i);
    }
    EncScalar::decode(w).ok_or(Undef)?;
    let k = ctx.b.const_i64(u64::from(w));
    ctx.b.call(&helpers::HELPER_NEON_SCALAR, None, &[k]);
    Ok(())
}

fn neon_2misc(ctx: &mut Ctx, i: Insn) -> R {
    let w = a32(ctx, i)?;
    let e = Op2::decode(w).ok_or(Undef)?;
    if e.op.is_v8() && !ctx.features.v8 {
        return Err(Undef);
    }
    let k = ctx.b.const_i64(u64::from(w));
    ctx.b.call(&helpers::HELPER_NEON_2MISC, None, &[k]);
    Ok(())
}

/// "Three registers of different lengths" and the lengthening by-scalar
/// forms.
fn neon_3diff(ctx: &mut Ctx, i: Insn) -> R {
    let w = a32(ctx, i)?;
    let e = EncL::decode(w).ok_or(Undef)?;
    if e.is_v8() && !ctx.features.v8 {
        return Err(Undef);
    }
    let k = ctx.b.const_i64(u64::from(w));
    ctx.b.call(&helpers::HELPER_NEON_LONG, None, &[k]);
    Ok(())
}

/// VTBL, VTBX.
fn vtbl(ctx: &mut Ctx, i: Insn) -> R {
    let w = a32(ctx, i)?;
    EncTbl::decode(w).ok_or(Undef)?;
    let k = ctx.b.const_i64(u64::from(w));
    ctx.b.call(&helpers::HELPER_NEON_TBL, None, &[k]);
    Ok(())
}

/// VMOV, VMVN, VORR, VBIC (immediate).
fn neon_1imm(ctx: &mut Ctx, i: Insn) -> R {
    let w = Insn(a32(ctx, i)?);
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
    let w = Insn(a32(ctx, i)?);
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
    let w = Insn(a32(ctx, i)?);
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
pub(super) fn replicate(ctx: &mut Ctx, e: Temp, bits: u32) -> Temp {
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
    if !ctx.features.neon || (!ctx.thumb && i.bits(31, 28) == 15) {
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
