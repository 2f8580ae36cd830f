//! A64 scalar floating point: FMOV (register, immediate, general), the one-,
//! two- and three-source arithmetic, compares (FCMP/FCMPE/FCCMP), FCSEL,
//! precision conversions, conversions to and from integers and fixed point,
//! rounding to integral, FJCVTZS. Arithmetic is done by helpers (`helpers.rs`)
//! on top of the `fpu` software model, which honours FPCR and sets FPSR.

pub(crate) mod helpers;

use super::simd::{vread, vwrite_scalar};
use super::Ctx;
use crate::cpu::{G_CF, G_NF, G_VF, G_ZF, OFF_FPCR, OFF_FPSR};
use crate::decode::{pat, Insn, Pattern, Undef};
use crate::fpu::{Bin, Un};
use tcg::ir::{Cond, MemOp, Temp};

pub static PATTERNS: &[Pattern] = &[
    pat(
        "fmov_general",
        "sf:1 0 0 11110 ftype:2 1 rmode:2 11 op:1 000000 rn:5 rd:5",
        fmov_general,
    ),
    pat(
        "fcvt_int",
        "sf:1 0 0 11110 ftype:2 1 rmode:2 opcode:3 000000 rn:5 rd:5",
        fcvt_int,
    ),
    pat(
        "fcvt_fixed",
        "sf:1 0 0 11110 ftype:2 0 rmode:2 opcode:3 scale:6 rn:5 rd:5",
        fcvt_fixed,
    ),
    pat(
        "fp_1src",
        "000 11110 ftype:2 1 opcode:6 10000 rn:5 rd:5",
        fp_1src,
    ),
    pat("fcmp", "000 11110 ftype:2 1 rm:5 00 1000 rn:5 opc:5", fcmp),
    pat(
        "fmov_imm",
        "000 11110 ftype:2 1 imm8:8 100 00000 rd:5",
        fmov_imm,
    ),
    pat(
        "fccmp",
        "000 11110 ftype:2 1 rm:5 cond:4 01 rn:5 op:1 nzcv:4",
        fccmp,
    ),
    pat(
        "fp_2src",
        "000 11110 ftype:2 1 rm:5 opcode:4 10 rn:5 rd:5",
        fp_2src,
    ),
    pat(
        "fcsel",
        "000 11110 ftype:2 1 rm:5 cond:4 11 rn:5 rd:5",
        fcsel,
    ),
    pat(
        "fp_3src",
        "000 11111 ftype:2 o1:1 rm:5 o0:1 ra:5 rn:5 rd:5",
        fp_3src,
    ),
];

/// log2 of the operand size for `ftype` (bits 23..22): S, D, or H with FP16.
pub(crate) fn ftype_log2(ctx: &Ctx, ftype: u32) -> Result<u32, Undef> {
    match ftype {
        0 => Ok(2),
        1 => Ok(3),
        3 if ctx.features.fp16 => Ok(1),
        _ => Err(Undef),
    }
}

/// Low `8 << log2` bits of V`n`.
pub(crate) fn fread(ctx: &mut Ctx, n: usize, log2: u32) -> Temp {
    let v = vread(ctx, n, 0);
    if log2 < 3 {
        let t = ctx.b.temp_i64();
        ctx.b.andi_i64(t, v, (1u64 << (8 << log2)) - 1);
        t
    } else {
        v
    }
}

pub(crate) fn call2(ctx: &mut Ctx, op: Bin, log2: u32, a: Temp, b: Temp) -> Temp {
    if matches!(op, Bin::Add | Bin::Sub | Bin::Mul | Bin::Div) && (log2 == 2 || log2 == 3) {
        return host_fast2(ctx, op, log2, a, b);
    }
    let d = ctx.b.const_i64(op as u64 | (log2 as u64) << 8);
    let r = ctx.b.temp_i64();
    ctx.b.call(&helpers::FP2, Some(r), &[d, a, b]);
    r
}

/// FPCR bits that change a normal result: RMode (23:22) and FZ (24).
const FPCR_NOT_DEFAULT: u64 = 0b111 << 22;

/// FADD/FSUB/FMUL/FDIV in single or double precision on the host FPU
/// (`fpu::host_ir`), with the exact helper as the slow path.
fn host_fast2(ctx: &mut Ctx, op: Bin, log2: u32, a: Temp, b: Temp) -> Temp {
    let gate = crate::fpu::host_ir::FastGate {
        mode_off: OFF_FPCR,
        mode_memop: MemOp::UQ,
        mode_mask: FPCR_NOT_DEFAULT,
        status_off: OFF_FPSR,
        status_memop: MemOp::UQ,
        ixc: crate::fpu::FPSR_IXC as u64,
    };
    crate::fpu::host_ir::fast_bin(&mut ctx.b, &gate, op, log2 == 3, a, b, |bld, r| {
        let d = bld.const_i64(op as u64 | (log2 as u64) << 8);
        bld.call(&helpers::FP2, Some(r), &[d, a, b]);
    })
}

pub(crate) fn call1(ctx: &mut Ctx, op: Un, log2: u32, a: Temp) -> Temp {
    let d = ctx.b.const_i64(op as u64 | (log2 as u64) << 8);
    let r = ctx.b.temp_i64();
    ctx.b.call(&helpers::FP1, Some(r), &[d, a]);
    r
}

/// A condition code as an IR comparison `(cond, a, b)` on the flag globals.
pub(crate) fn cond_cmp(ctx: &mut Ctx, cc: u32) -> (Cond, Temp, Temp) {
    let zero = ctx.b.const_i64(0);
    let nf = ctx.b.global(G_NF);
    let zf = ctx.b.global(G_ZF);
    let cf = ctx.b.global(G_CF);
    let vf = ctx.b.global(G_VF);
    let (c, a) = match cc >> 1 {
        0 => (Cond::Eq, zf),
        1 => (Cond::Ne, cf),
        2 => (Cond::Lt, nf),
        3 => (Cond::Lt, vf),
        4 => {
            // HI: C && !Z
            let t1 = ctx.b.temp_i64();
            let t2 = ctx.b.temp_i64();
            ctx.b.setcond_i64(t1, cf, zero, Cond::Ne);
            ctx.b.setcond_i64(t2, zf, zero, Cond::Ne);
            ctx.b.and_i64(t1, t1, t2);
            (Cond::Ne, t1)
        }
        5 => {
            // GE: N == V
            let t = ctx.b.temp_i64();
            ctx.b.xor_i64(t, nf, vf);
            (Cond::Ge, t)
        }
        6 => {
            // GT: !Z && N == V
            let t = ctx.b.temp_i64();
            let t2 = ctx.b.temp_i64();
            ctx.b.xor_i64(t, nf, vf);
            ctx.b.setcond_i64(t, t, zero, Cond::Ge);
            ctx.b.setcond_i64(t2, zf, zero, Cond::Ne);
            ctx.b.and_i64(t, t, t2);
            (Cond::Ne, t)
        }
        _ => return (Cond::Always, zero, zero),
    };
    if cc & 1 != 0 && cc != 15 {
        (c.invert(), a, zero)
    } else {
        (c, a, zero)
    }
}

/// Sets NZCV from a 4-bit value in a temp.
pub(crate) fn set_nzcv(ctx: &mut Ctx, r: Temp) {
    let nf = ctx.b.global(G_NF);
    let zf = ctx.b.global(G_ZF);
    let cf = ctx.b.global(G_CF);
    let vf = ctx.b.global(G_VF);
    ctx.b.shli_i64(nf, r, 60);
    ctx.b.sari_i64(nf, nf, 63);
    ctx.b.shri_i64(zf, r, 2);
    let one = ctx.b.const_i64(1);
    ctx.b.and_i64(zf, zf, one);
    ctx.b.xor_i64(zf, zf, one);
    ctx.b.shri_i64(cf, r, 1);
    ctx.b.and_i64(cf, cf, one);
    ctx.b.shli_i64(vf, r, 63);
}

fn fmov_general(ctx: &mut Ctx, i: Insn) -> Result<(), Undef> {
    let sf = i.sf();
    let ftype = i.bits(23, 22);
    let rmode = i.bits(20, 19);
    let to_fp = i.bit(16);
    let (rd, rn) = (i.rd(), i.rn());
    match (sf, ftype, rmode) {
        (false, 0, 0) | (true, 1, 0) | (_, 3, 0) => {
            let log2 = match ftype {
                0 => 2,
                1 => 3,
                _ => {
                    super::simd::need(ctx.features.fp16)?;
                    1
                }
            };
            if to_fp {
                let x = ctx.x(rn);
                let t = ctx.b.temp_i64();
                if log2 < 3 {
                    ctx.b.andi_i64(t, x, (1u64 << (8 << log2)) - 1);
                } else {
                    ctx.b.mov_i64(t, x);
                }
                vwrite_scalar(ctx, rd, t);
            } else {
                let v = fread(ctx, rn, log2);
                ctx.set_x(rd, v);
            }
        }
        (true, 2, 1) => {
            if to_fp {
                let x = ctx.x(rn);
                super::simd::vwrite(ctx, rd, 1, x);
            } else {
                let v = vread(ctx, rn, 1);
                ctx.set_x(rd, v);
            }
        }
        _ => return fcvt_int(ctx, i),
    }
    Ok(())
}

fn fcvt_int(ctx: &mut Ctx, i: Insn) -> Result<(), Undef> {
    let sf = i.sf();
    let ftype = i.bits(23, 22);
    let rmode = i.bits(20, 19);
    let opcode = i.bits(18, 16);
    if rmode == 3 && opcode == 0b110 {
        // FJCVTZS
        if sf || ftype != 1 || !ctx.features.jscvt {
            return Err(Undef);
        }
        let v = fread(ctx, i.rn(), 3);
        let r = ctx.b.temp_i64();
        ctx.b.call(&helpers::FJCVTZS, Some(r), &[v]);
        let res = ctx.b.temp_i64();
        ctx.b.ext32u_i64(res, r);
        ctx.set_x(i.rd(), res);
        // NZCV = 0Z00
        let z = ctx.b.temp_i64();
        ctx.b.shri_i64(z, r, 32);
        ctx.b.shli_i64(z, z, 2);
        set_nzcv(ctx, z);
        return Ok(());
    }
    let log2 = ftype_log2(ctx, ftype)?;
    let width = if sf { 64 } else { 32 };
    match opcode {
        0b000 | 0b001 | 0b100 | 0b101 => {
            let rm = match (opcode >> 2, rmode) {
                (1, 0) => 4, // FCVTA*: ties away
                (1, _) => return Err(Undef),
                (_, r) => [0, 1, 2, 3][r as usize],
            };
            let unsigned = opcode & 1;
            let v = fread(ctx, i.rn(), log2);
            let d = ctx
                .b
                .const_i64(log2 as u64 | rm << 4 | (unsigned as u64) << 8 | (width as u64) << 16);
            let r = ctx.b.temp_i64();
            ctx.b.call(&helpers::F2I, Some(r), &[d, v]);
            ctx.set_x(i.rd(), r);
        }
        0b010 | 0b011 if rmode == 0 => {
            let signed = opcode & 1 == 0;
            let x = ctx.x(i.rn());
            let d = ctx.b.const_i64(
                log2 as u64 | helpers::RM_FPCR << 4 | (signed as u64) << 8 | (width as u64) << 16,
            );
            let r = ctx.b.temp_i64();
            ctx.b.call(&helpers::I2F, Some(r), &[d, x]);
            vwrite_scalar(ctx, i.rd(), r);
        }
        _ => return Err(Undef),
    }
    Ok(())
}

fn fcvt_fixed(ctx: &mut Ctx, i: Insn) -> Result<(), Undef> {
    let sf = i.sf();
    let log2 = ftype_log2(ctx, i.bits(23, 22))?;
    let scale = i.bits(15, 10);
    if !sf && scale < 32 {
        return Err(Undef);
    }
    let fbits = 64 - scale as u64;
    let width = if sf { 64u64 } else { 32 };
    match (i.bits(20, 19), i.bits(18, 16)) {
        (3, op @ (0 | 1)) => {
            let v = fread(ctx, i.rn(), log2);
            let d = ctx
                .b
                .const_i64(log2 as u64 | 3 << 4 | (op as u64) << 8 | width << 16 | fbits << 24);
            let r = ctx.b.temp_i64();
            ctx.b.call(&helpers::F2I, Some(r), &[d, v]);
            ctx.set_x(i.rd(), r);
        }
        (0, op @ (2 | 3)) => {
            let signed = op == 2;
            let x = ctx.x(i.rn());
            let d = ctx.b.const_i64(
                log2 as u64
                    | helpers::RM_FPCR << 4
                    | (signed as u64) << 8
                    | width << 16
                    | fbits << 24,
            );
            let r = ctx.b.temp_i64();
            ctx.b.call(&helpers::I2F, Some(r), &[d, x]);
            vwrite_scalar(ctx, i.rd(), r);
        }
        _ => return Err(Undef),
    }
    Ok(())
}

fn fp_1src(ctx: &mut Ctx, i: Insn) -> Result<(), Undef> {
    let ftype = i.bits(23, 22);
    let opcode = i.bits(20, 15);
    let (rd, rn) = (i.rd(), i.rn());
    if ftype == 1 && opcode == 0b000110 {
        return super::simd::bf16::bfcvt(ctx, i);
    }
    if opcode >> 2 == 0b0001 {
        // FCVT between precisions: opc (16..15) is the target type.
        let from = ftype_log2_cvt(ftype)?;
        let to = ftype_log2_cvt(opcode & 3)?;
        if from == to {
            return Err(Undef);
        }
        let v = fread(ctx, rn, from);
        let d = ctx
            .b
            .const_i64(from as u64 | (to as u64) << 4 | helpers::RM_FPCR << 8);
        let r = ctx.b.temp_i64();
        ctx.b.call(&helpers::FCVT, Some(r), &[d, v]);
        vwrite_scalar(ctx, rd, r);
        return Ok(());
    }
    let log2 = ftype_log2(ctx, ftype)?;
    let sign = 1u64 << ((8 << log2) - 1);
    let v = fread(ctx, rn, log2);
    let r = match opcode {
        0b000000 => v,
        0b000001 => {
            let t = ctx.b.temp_i64();
            ctx.b.andi_i64(t, v, !sign);
            t
        }
        0b000010 => {
            let t = ctx.b.temp_i64();
            let c = ctx.b.const_i64(sign);
            ctx.b.xor_i64(t, v, c);
            t
        }
        _ => {
            let op = match opcode {
                0b000011 => Un::Sqrt,
                0b001000 => Un::RintN,
                0b001001 => Un::RintP,
                0b001010 => Un::RintM,
                0b001011 => Un::RintZ,
                0b001100 => Un::RintA,
                0b001110 => Un::RintX,
                0b001111 => Un::RintI,
                0b010000..=0b010011 => {
                    if !ctx.features.frint || log2 == 1 {
                        return Err(Undef);
                    }
                    [Un::Rint32Z, Un::Rint32X, Un::Rint64Z, Un::Rint64X][(opcode & 3) as usize]
                }
                _ => return Err(Undef),
            };
            call1(ctx, op, log2, v)
        }
    };
    vwrite_scalar(ctx, rd, r);
    Ok(())
}

/// FCVT's type fields: half precision conversions exist without FP16.
fn ftype_log2_cvt(t: u32) -> Result<u32, Undef> {
    match t {
        0 => Ok(2),
        1 => Ok(3),
        3 => Ok(1),
        _ => Err(Undef),
    }
}

fn fcmp(ctx: &mut Ctx, i: Insn) -> Result<(), Undef> {
    let log2 = ftype_log2(ctx, i.bits(23, 22))?;
    let opc = i.bits(4, 0);
    if opc & 0b00111 != 0 {
        return Err(Undef);
    }
    let a = fread(ctx, i.rn(), log2);
    let b = if opc & 0b01000 != 0 {
        if i.rm() != 0 {
            return Err(Undef);
        }
        ctx.b.const_i64(0)
    } else {
        fread(ctx, i.rm(), log2)
    };
    let signal = (opc >> 4) & 1;
    let d = ctx.b.const_i64(log2 as u64 | (signal as u64) << 8);
    let r = ctx.b.temp_i64();
    ctx.b.call(&helpers::FCMP, Some(r), &[d, a, b]);
    set_nzcv(ctx, r);
    Ok(())
}

fn fccmp(ctx: &mut Ctx, i: Insn) -> Result<(), Undef> {
    let log2 = ftype_log2(ctx, i.bits(23, 22))?;
    let signal = i.bit(4) as u64;
    let (c, ca, cb) = cond_cmp(ctx, i.bits(15, 12));
    let r = ctx.b.temp_i64();
    let l_false = ctx.b.new_label();
    let l_end = ctx.b.new_label();
    ctx.b.brcond_i64(ca, cb, c.invert(), l_false);
    let a = fread(ctx, i.rn(), log2);
    let b = fread(ctx, i.rm(), log2);
    let d = ctx.b.const_i64(log2 as u64 | signal << 8);
    ctx.b.call(&helpers::FCMP, Some(r), &[d, a, b]);
    ctx.b.br(l_end);
    ctx.b.set_label(l_false);
    ctx.b.movi_i64(r, i.bits(3, 0) as u64);
    ctx.b.set_label(l_end);
    set_nzcv(ctx, r);
    Ok(())
}

/// VFPExpandImm.
pub(crate) fn vfp_expand_imm(imm8: u32, log2: u32) -> u64 {
    let (e, f) = match log2 {
        1 => (5, 10),
        2 => (8, 23),
        _ => (11, 52),
    };
    let sign = (imm8 >> 7) as u64;
    let b6 = (imm8 >> 6) & 1;
    // exp = NOT(b6) : Replicate(b6, E-3) : imm8<5:4>
    let mut exp = ((b6 ^ 1) as u64) << (e - 1);
    if b6 == 1 {
        exp |= ((1u64 << (e - 3)) - 1) << 2;
    }
    exp |= ((imm8 >> 4) & 3) as u64;
    let frac = ((imm8 & 0xf) as u64) << (f - 4);
    sign << (e + f) | exp << f | frac
}

fn fmov_imm(ctx: &mut Ctx, i: Insn) -> Result<(), Undef> {
    let log2 = ftype_log2(ctx, i.bits(23, 22))?;
    let v = ctx.b.const_i64(vfp_expand_imm(i.bits(20, 13), log2));
    vwrite_scalar(ctx, i.rd(), v);
    Ok(())
}

fn fp_2src(ctx: &mut Ctx, i: Insn) -> Result<(), Undef> {
    let log2 = ftype_log2(ctx, i.bits(23, 22))?;
    let op = match i.bits(15, 12) {
        0 => Bin::Mul,
        1 => Bin::Div,
        2 => Bin::Add,
        3 => Bin::Sub,
        4 => Bin::Max,
        5 => Bin::Min,
        6 => Bin::MaxNm,
        7 => Bin::MinNm,
        8 => Bin::Nmul,
        _ => return Err(Undef),
    };
    let a = fread(ctx, i.rn(), log2);
    let b = fread(ctx, i.rm(), log2);
    let r = call2(ctx, op, log2, a, b);
    vwrite_scalar(ctx, i.rd(), r);
    Ok(())
}

fn fcsel(ctx: &mut Ctx, i: Insn) -> Result<(), Undef> {
    let log2 = ftype_log2(ctx, i.bits(23, 22))?;
    let (c, ca, cb) = cond_cmp(ctx, i.bits(15, 12));
    let a = fread(ctx, i.rn(), log2);
    let b = fread(ctx, i.rm(), log2);
    let r = ctx.b.temp_i64();
    ctx.b.movcond_i64(r, ca, cb, a, b, c);
    vwrite_scalar(ctx, i.rd(), r);
    Ok(())
}

fn fp_3src(ctx: &mut Ctx, i: Insn) -> Result<(), Undef> {
    let log2 = ftype_log2(ctx, i.bits(23, 22))?;
    let sign = 1u64 << ((8 << log2) - 1);
    let o1 = i.bit(21);
    let o0 = i.bit(15);
    let mut a = fread(ctx, i.ra(), log2);
    let mut n = fread(ctx, i.rn(), log2);
    let m = fread(ctx, i.rm(), log2);
    let sc = ctx.b.const_i64(sign);
    // FMSUB: -n; FNMADD: -a, -n; FNMSUB: -a.
    if o1 {
        let t = ctx.b.temp_i64();
        ctx.b.xor_i64(t, a, sc);
        a = t;
    }
    if o0 != o1 {
        let t = ctx.b.temp_i64();
        ctx.b.xor_i64(t, n, sc);
        n = t;
    }
    let d = ctx.b.const_i64(log2 as u64);
    let r = ctx.b.temp_i64();
    ctx.b.call(&helpers::FMA, Some(r), &[d, a, n, m]);
    vwrite_scalar(ctx, i.rd(), r);
    Ok(())
}
