//! VFP (VFPv3-D32 / VFPv4) in A32 and T32: the encodings are the same in
//! both instruction sets (T32 has 1110 where A32 has the condition), so one
//! table serves both; handlers refuse the 1111 (unconditional / T32
//! coprocessor-2) variants. Arithmetic runs on the shared software FPU
//! through helpers (FPSCR's control and cumulative-flag bits are the
//! AArch64 FPCR/FPSR bits); moves and loads/stores are plain IR.

use super::{Ctx, I32Ext};
use crate::cpu::{dreg_off, sreg_off, OFF_FPSCR};
use crate::decode::{pat, Insn, Pattern, Undef};
use crate::helpers;
use tcg::ir::{MemOp, Temp};

type R = Result<(), Undef>;

pub static A32_PATTERNS: &[Pattern] = &[
    pat(
        "vmov_imm",
        "xxxx 1110 1 d:1 11 imm4h:4 vd:4 101 sz:1 0000 imm4l:4",
        vmov_imm,
    ),
    pat(
        "vfp_misc",
        "xxxx 1110 1 d:1 11 opc2:4 vd:4 101 sz:1 op:1 1 m:1 0 vm:4",
        vfp_misc,
    ),
    pat(
        "vfp_3op",
        "xxxx 1110 opc1:4 vn:4 vd:4 101 sz:1 n:1 op:1 m:1 0 vm:4",
        vfp_3op,
    ),
    pat(
        "vmov_core_s",
        "xxxx 1110 000 op:1 vn:4 rt:4 1010 n:1 00 1 0000",
        vmov_core_s,
    ),
    pat("vmsr", "xxxx 1110 1110 reg:4 rt:4 1010 0001 0000", vmsr),
    pat("vmrs", "xxxx 1110 1111 reg:4 rt:4 1010 0001 0000", vmrs),
    pat(
        "vmov_to_scalar",
        "xxxx 1110 0 opc1:2 0 vd:4 rt:4 1011 d:1 opc2:2 1 0000",
        vmov_to_scalar,
    ),
    pat(
        "vmov_from_scalar",
        "xxxx 1110 u:1 opc1:2 1 vn:4 rt:4 1011 n:1 opc2:2 1 0000",
        vmov_from_scalar,
    ),
    pat(
        "vmov_2core",
        "xxxx 1100 010 op:1 rt2:4 rt:4 101 dp:1 00 m:1 1 vm:4",
        vmov_2core,
    ),
    pat(
        "vldr_vstr",
        "xxxx 1101 u:1 d:1 0 l:1 rn:4 vd:4 101 sz:1 imm8:8",
        vldr_vstr,
    ),
    pat(
        "vldm_vstm",
        "xxxx 110 p:1 u:1 d:1 w:1 l:1 rn:4 vd:4 101 sz:1 imm8:8",
        vldm_vstm,
    ),
];
pub static T32_PATTERNS: &[Pattern] = A32_PATTERNS;

fn check(ctx: &Ctx, i: Insn) -> R {
    let _ = ctx;
    if i.bits(31, 28) == 15 {
        return Err(Undef);
    }
    Ok(())
}

/// Register numbers: single Vx:b, double b:Vx.
fn sreg(v: u32, b: bool) -> usize {
    (v << 1 | u32::from(b)) as usize
}
fn dreg(v: u32, b: bool) -> usize {
    (u32::from(b) << 4 | v) as usize
}
fn vd(i: Insn, dp: bool) -> usize {
    if dp {
        dreg(i.bits(15, 12), i.bit(22))
    } else {
        sreg(i.bits(15, 12), i.bit(22))
    }
}
fn vn(i: Insn, dp: bool) -> usize {
    if dp {
        dreg(i.bits(19, 16), i.bit(7))
    } else {
        sreg(i.bits(19, 16), i.bit(7))
    }
}
fn vm(i: Insn, dp: bool) -> usize {
    if dp {
        dreg(i.bits(3, 0), i.bit(5))
    } else {
        sreg(i.bits(3, 0), i.bit(5))
    }
}

/// Reads an S (zero-extended) or D register into an i64 temp.
fn read(ctx: &mut Ctx, r: usize, dp: bool) -> Temp {
    let t = ctx.b.temp_i64();
    if dp {
        ctx.b.ld_env_i64(t, dreg_off(r), MemOp::UQ);
    } else {
        ctx.b.ld_env_i64(t, sreg_off(r), MemOp::UL);
    }
    t
}
fn write(ctx: &mut Ctx, r: usize, dp: bool, v: Temp) {
    if dp {
        ctx.b.st_env_i64(v, dreg_off(r), MemOp::UQ);
    } else {
        ctx.b.st_env_i64(v, sreg_off(r), MemOp::UL);
    }
}
fn k(ctx: &mut Ctx, v: u64) -> Temp {
    ctx.b.const_i64(v)
}

fn vmov_imm(ctx: &mut Ctx, i: Insn) -> R {
    check(ctx, i)?;
    let dp = i.bit(8);
    let imm8 = i.bits(19, 16) << 4 | i.bits(3, 0);
    let (a, b, c) = (imm8 >> 7 & 1, imm8 >> 6 & 1, imm8 & 0x3f);
    let bits = if dp {
        let e = if b != 0 { 0xffu64 } else { 0x100 };
        (a as u64) << 63 | e << 54 | (c as u64) << 48
    } else {
        let e = if b != 0 { 0x1fu64 } else { 0x20 };
        (a as u64) << 31 | e << 25 | (c as u64) << 19
    };
    let bits = if dp {
        bits | ((1 - b as u64) << 62)
    } else {
        bits | ((1 - b as u64) << 30)
    };
    let t = k(ctx, bits);
    write(ctx, vd(i, dp), dp, t);
    Ok(())
}

/// FPSCR bits that must be clear for the host fast path: FZ (24), RMode
/// (23:22), Stride (21:20), Len (18:16) and the trap enables (15, 12:8).
const FAST_GATE: target_aarch64::fpu::host_ir::FastGate = target_aarch64::fpu::host_ir::FastGate {
    mode_off: OFF_FPSCR,
    mode_memop: MemOp::UL,
    mode_mask: 0x01f7_9f00,
    status_off: OFF_FPSCR,
    status_memop: MemOp::UL,
    ixc: 1 << 4,
};

fn vfp_3op(ctx: &mut Ctx, i: Insn) -> R {
    check(ctx, i)?;
    let dp = i.bit(8);
    let opc1 = i.bits(23, 20) & 0b1011;
    let op = i.bit(6);
    let (d, n, m) = (vd(i, dp), vn(i, dp), vm(i, dp));
    let a = read(ctx, n, dp);
    let b = read(ctx, m, dp);
    let dpk = k(ctx, u64::from(dp));
    let r = ctx.b.temp_i64();
    use target_aarch64::fpu::Bin;
    let bin = |ctx: &mut Ctx, bop: Bin| {
        if matches!(bop, Bin::Add | Bin::Sub | Bin::Mul | Bin::Div) {
            // The host FPU when FPSCR allows it (`fpu::host_ir`).
            let f = target_aarch64::fpu::host_ir::fast_bin(
                &mut ctx.b,
                &FAST_GATE,
                bop,
                dp,
                a,
                b,
                |bld, fr| {
                    let o = bld.const_i64(bop as u64);
                    bld.call(&helpers::HELPER_VFP_BIN, Some(fr), &[o, dpk, a, b]);
                },
            );
            ctx.b.mov_i64(r, f);
            return;
        }
        let o = k(ctx, bop as u64);
        ctx.b
            .call(&helpers::HELPER_VFP_BIN, Some(r), &[o, dpk, a, b]);
    };
    match opc1 {
        0b0000 | 0b0001 | 0b1001 | 0b1010 => {
            // VMLA/VMLS (d + n*m, d - n*m), VNMLA/VNMLS (-d - n*m,
            // -d + n*m), VFMA/VFMS, VFNMA/VFNMS (fused): op negates the
            // product in all four, opc1 bit 0 the accumulator.
            let (neg_p, neg_acc, fused) = match opc1 {
                0b0000 => (op, false, false),
                0b0001 => (op, true, false),
                0b1010 => (op, false, true),
                _ => (op, true, true),
            };
            let acc = read(ctx, d, dp);
            let kk = k(
                ctx,
                u64::from(neg_p) | u64::from(neg_acc) << 1 | u64::from(fused) << 2,
            );
            if fused {
                ctx.b
                    .call(&helpers::HELPER_VFP_MAC, Some(r), &[kk, dpk, acc, a, b]);
            } else {
                // Unfused: the host FPU when FPSCR allows it.
                let f = target_aarch64::fpu::host_ir::fast_mul_add(
                    &mut ctx.b,
                    &FAST_GATE,
                    dp,
                    acc,
                    a,
                    b,
                    neg_p,
                    neg_acc,
                    |bld, fr| {
                        bld.call(&helpers::HELPER_VFP_MAC, Some(fr), &[kk, dpk, acc, a, b]);
                    },
                );
                ctx.b.mov_i64(r, f);
            }
        }
        0b0010 => bin(ctx, if op { Bin::Nmul } else { Bin::Mul }),
        0b0011 => bin(ctx, if op { Bin::Sub } else { Bin::Add }),
        0b1000 if !op => bin(ctx, Bin::Div),
        _ => return Err(Undef),
    }
    write(ctx, d, dp, r);
    Ok(())
}

fn vfp_misc(ctx: &mut Ctx, i: Insn) -> R {
    check(ctx, i)?;
    let dp = i.bit(8);
    let opc2 = i.bits(19, 16);
    let op = i.bit(7);
    let dpk = k(ctx, u64::from(dp));
    match (opc2, op) {
        (0, false) | (0, true) | (1, false) | (1, true) => {
            // VMOV reg, VABS, VNEG, VSQRT
            let (d, m) = (vd(i, dp), vm(i, dp));
            let v = read(ctx, m, dp);
            let sign = if dp { 1u64 << 63 } else { 1 << 31 };
            let r = ctx.b.temp_i64();
            match (opc2, op) {
                (0, false) => ctx.b.mov_i64(r, v),
                (0, true) => ctx.b.andi_i64(r, v, !sign),
                (1, false) => {
                    let s = k(ctx, sign);
                    ctx.b.xor_i64(r, v, s);
                }
                _ => {
                    let o = k(ctx, target_aarch64::fpu::Un::Sqrt as u64);
                    ctx.b.call(&helpers::HELPER_VFP_UN, Some(r), &[o, dpk, v]);
                }
            }
            write(ctx, d, dp, r);
        }
        (2 | 3, _) => {
            // VCVTB/VCVTT between half and single/double.
            let top = i.bit(7);
            let to_half = opc2 == 3;
            if to_half {
                let (d, m) = (sreg(i.bits(15, 12), i.bit(22)), vm(i, dp));
                let v = read(ctx, m, dp);
                let kk = k(ctx, 1 | u64::from(dp) << 1);
                let h = ctx.b.temp_i64();
                ctx.b.call(&helpers::HELPER_VFP_CVT_HALF, Some(h), &[kk, v]);
                let old = read(ctx, d, false);
                let r = ctx.b.temp_i64();
                ctx.b.deposit_i64(r, old, h, if top { 16 } else { 0 }, 16);
                write(ctx, d, false, r);
            } else {
                let (d, m) = (vd(i, dp), sreg(i.bits(3, 0), i.bit(5)));
                let v = read(ctx, m, false);
                let hv = ctx.b.temp_i64();
                ctx.b.extract_i64(hv, v, if top { 16 } else { 0 }, 16);
                let kk = k(ctx, u64::from(dp) << 1);
                let r = ctx.b.temp_i64();
                ctx.b
                    .call(&helpers::HELPER_VFP_CVT_HALF, Some(r), &[kk, hv]);
                write(ctx, d, dp, r);
            }
        }
        (4 | 5, e) => {
            // VCMP/VCMPE (5: with zero)
            let (d, m) = (vd(i, dp), vm(i, dp));
            if opc2 == 5 && i.bits(5, 0) != 0 {
                return Err(Undef);
            }
            let a = read(ctx, d, dp);
            let b = if opc2 == 5 {
                k(ctx, 0)
            } else {
                read(ctx, m, dp)
            };
            let sig = k(ctx, u64::from(e));
            let r = ctx.b.temp_i64();
            ctx.b
                .call(&helpers::HELPER_VFP_CMP, Some(r), &[dpk, a, b, sig]);
            let r32 = ctx.b.temp_i32();
            ctx.b.extrl_i64_i32(r32, r);
            let f = ctx.b.temp_i32();
            ctx.b.ld_env_i32(f, OFF_FPSCR, MemOp::UL);
            let f2 = ctx.b.temp_i32();
            let lo = ctx.b.temp_i32();
            ctx.b.andi_i32(lo, f, 0x0fff_ffff);
            ctx.b.or_i32(f2, lo, r32);
            ctx.b.st_env_i32(f2, OFF_FPSCR, MemOp::UL);
        }
        (7, true) => {
            // VCVT between double and single
            let d = if dp {
                sreg(i.bits(15, 12), i.bit(22))
            } else {
                dreg(i.bits(15, 12), i.bit(22))
            };
            let m = vm(i, dp);
            let v = read(ctx, m, dp);
            let to = k(ctx, u64::from(!dp));
            let r = ctx.b.temp_i64();
            ctx.b.call(&helpers::HELPER_VFP_CVT_FMT, Some(r), &[to, v]);
            write(ctx, d, !dp, r);
        }
        (8, signed) => {
            // VCVT int -> float (source is an S register)
            let (d, m) = (vd(i, dp), sreg(i.bits(3, 0), i.bit(5)));
            let v = read(ctx, m, false);
            let kk = k(ctx, u64::from(signed) << 8);
            let r = ctx.b.temp_i64();
            ctx.b
                .call(&helpers::HELPER_VFP_FROM_INT, Some(r), &[kk, dpk, v]);
            write(ctx, d, dp, r);
        }
        (12 | 13, rz) => {
            // VCVT{R} float -> int (result in an S register)
            let (d, m) = (sreg(i.bits(15, 12), i.bit(22)), vm(i, dp));
            let v = read(ctx, m, dp);
            let unsigned = opc2 == 12;
            let kk = k(ctx, u64::from(unsigned) << 8 | u64::from(rz) << 9);
            let r = ctx.b.temp_i64();
            ctx.b
                .call(&helpers::HELPER_VFP_TO_INT, Some(r), &[kk, dpk, v]);
            write(ctx, d, false, r);
        }
        (10 | 11 | 14 | 15, sx) => {
            // VCVT between float and fixed point, in place.
            let to_fixed = opc2 & 4 != 0;
            let unsigned = opc2 & 1 != 0;
            let size = if sx { 32 } else { 16 };
            let imm = i.bits(3, 0) << 1 | u32::from(i.bit(5));
            let fbits = size - imm;
            let d = vd(i, dp);
            let v = read(ctx, d, dp);
            let r = ctx.b.temp_i64();
            if to_fixed {
                // Saturated to `size` bits and extended to the register:
                // S[d] to 32 bits, D[d] to 64 (sign- or zero-).
                let half = u64::from(size == 16) << 13;
                let kk = k(
                    ctx,
                    u64::from(fbits) | u64::from(unsigned) << 8 | 1 << 9 | half,
                );
                ctx.b
                    .call(&helpers::HELPER_VFP_TO_INT, Some(r), &[kk, dpk, v]);
                if !unsigned && dp {
                    let t = ctx.b.temp_i64();
                    ctx.b.ext32s_i64(t, r);
                    ctx.b.mov_i64(r, t);
                }
            } else {
                let src = ctx.b.temp_i64();
                match (size, unsigned) {
                    (16, false) => ctx.b.ext16s_i64(src, v),
                    (16, true) => ctx.b.ext16u_i64(src, v),
                    _ => ctx.b.ext32u_i64(src, v),
                }
                let kk = k(ctx, u64::from(fbits) | u64::from(!unsigned) << 8 | 1 << 9);
                ctx.b
                    .call(&helpers::HELPER_VFP_FROM_INT, Some(r), &[kk, dpk, src]);
            }
            write(ctx, d, dp, r);
        }
        _ => return Err(Undef),
    }
    Ok(())
}

fn vmov_core_s(ctx: &mut Ctx, i: Insn) -> R {
    check(ctx, i)?;
    let n = sreg(i.bits(19, 16), i.bit(7));
    let rt = i.rd();
    if rt == 15 || rt == 13 && ctx.thumb {
        return Err(Undef);
    }
    if i.bit(20) {
        let t = ctx.b.temp_i32();
        ctx.b.ld_env_i32(t, sreg_off(n), MemOp::UL);
        ctx.set_reg(rt, t);
    } else {
        let v = ctx.reg(rt);
        ctx.b.st_env_i32(v, sreg_off(n), MemOp::UL);
    }
    Ok(())
}

/// MVFR0/MVFR1 and FPSID for VFPv4-D32 (VMRS of the ID registers).
fn id_reg(ctx: &Ctx, reg: u32) -> Option<u32> {
    let _ = ctx;
    match reg {
        0 => Some(0x4103_4000),
        7 => Some(0x1011_0222),
        6 => Some(0x0000_0011),
        8 => Some(0x4000_0000),
        _ => None,
    }
}

fn vmrs(ctx: &mut Ctx, i: Insn) -> R {
    check(ctx, i)?;
    let rt = i.rd();
    let reg = i.bits(19, 16);
    if reg == 1 {
        let f = ctx.b.temp_i32();
        ctx.b.ld_env_i32(f, OFF_FPSCR, MemOp::UL);
        if rt == 15 {
            crate::flags::write_nzcv(ctx, f);
        } else {
            ctx.set_reg(rt, f);
        }
        return Ok(());
    }
    if rt == 15 {
        return Err(Undef);
    }
    let v = id_reg(ctx, reg).ok_or(Undef)?;
    let t = ctx.b.const_i32(v);
    ctx.set_reg(rt, t);
    Ok(())
}

fn vmsr(ctx: &mut Ctx, i: Insn) -> R {
    check(ctx, i)?;
    let rt = i.rd();
    if rt == 15 {
        return Err(Undef);
    }
    match i.bits(19, 16) {
        1 => {
            let v = ctx.reg(rt);
            let m = ctx.b.temp_i32();
            // Writable: NZCV, QC, AHP, DN, FZ, RMode, cumulative flags.
            ctx.b.andi_i32(m, v, 0xffc0_009f);
            ctx.b.st_env_i32(m, OFF_FPSCR, MemOp::UL);
            Ok(())
        }
        8 => Ok(()), // FPEXC: EN stays set in user mode
        _ => Err(Undef),
    }
}

fn scalar(i: Insn, opc1: u32, opc2: u32, reg: usize) -> Option<(u32, u32, usize)> {
    // (byte offset within D, size log2, D register)
    let x = opc1 << 2 | opc2;
    let (off, sz) = if x & 0b1000 != 0 {
        ((x & 7), 0)
    } else if x & 0b1001 == 1 {
        ((x >> 1 & 3) * 2, 1)
    } else if x & 0b1011 == 0 {
        ((x >> 2 & 1) * 4, 2)
    } else {
        return None;
    };
    let _ = i;
    Some((off, sz, reg))
}

fn vmov_to_scalar(ctx: &mut Ctx, i: Insn) -> R {
    check(ctx, i)?;
    let d = dreg(i.bits(19, 16), i.bit(7));
    let (off, sz, d) = scalar(i, i.bits(22, 21), i.bits(6, 5), d).ok_or(Undef)?;
    let rt = i.rd();
    if rt == 15 {
        return Err(Undef);
    }
    let v = ctx.reg(rt);
    ctx.b.st_env_i32(v, dreg_off(d) + off, MemOp::size_log2(sz));
    Ok(())
}

fn vmov_from_scalar(ctx: &mut Ctx, i: Insn) -> R {
    check(ctx, i)?;
    let d = dreg(i.bits(19, 16), i.bit(7));
    let (off, sz, d) = scalar(i, i.bits(22, 21), i.bits(6, 5), d).ok_or(Undef)?;
    let rt = i.rd();
    if rt == 15 || (sz == 2 && i.bit(23)) {
        return Err(Undef);
    }
    let m = MemOp::size_log2(sz);
    let m = if i.bit(23) { m } else { m.signed() };
    let m = if sz == 2 { MemOp::UL } else { m };
    let t = ctx.b.temp_i32();
    ctx.b.ld_env_i32(t, dreg_off(d) + off, m);
    ctx.set_reg(rt, t);
    Ok(())
}

fn vmov_2core(ctx: &mut Ctx, i: Insn) -> R {
    check(ctx, i)?;
    let (rt, rt2) = (i.rd(), i.rn());
    let to_core = i.bit(20);
    if rt == 15 || rt2 == 15 || (to_core && rt == rt2) {
        return Err(Undef);
    }
    let (o1, o2) = if i.bit(8) {
        let d = dreg(i.bits(3, 0), i.bit(5));
        (dreg_off(d), dreg_off(d) + 4)
    } else {
        let m = sreg(i.bits(3, 0), i.bit(5));
        if m == 31 {
            return Err(Undef);
        }
        (sreg_off(m), sreg_off(m + 1))
    };
    if to_core {
        let (a, b) = (ctx.b.temp_i32(), ctx.b.temp_i32());
        ctx.b.ld_env_i32(a, o1, MemOp::UL);
        ctx.b.ld_env_i32(b, o2, MemOp::UL);
        ctx.set_reg(rt, a);
        ctx.set_reg(rt2, b);
    } else {
        let (a, b) = (ctx.reg(rt), ctx.reg(rt2));
        ctx.b.st_env_i32(a, o1, MemOp::UL);
        ctx.b.st_env_i32(b, o2, MemOp::UL);
    }
    Ok(())
}

/// Loads/stores one S or D register at `addr` (D: two words, so the
/// word order is the memory order in either endianness).
fn xfer(ctx: &mut Ctx, load: bool, r: usize, dp: bool, addr: Temp) {
    if dp {
        // Two word accesses; with big-endian data the word at the lower
        // address is the high half (the doubleword is big-endian as a
        // whole: VLDR/VSTR/VLDM/VSTM pseudocode, `if BigEndian()`).
        let a2 = ctx.addi(addr, 4);
        let (first, second) = if ctx.be {
            (dreg_off(r) + 4, dreg_off(r))
        } else {
            (dreg_off(r), dreg_off(r) + 4)
        };
        if load {
            let w0 = ctx.load(addr, MemOp::UL);
            let w1 = ctx.load(a2, MemOp::UL);
            ctx.b.st_env_i32(w0, first, MemOp::UL);
            ctx.b.st_env_i32(w1, second, MemOp::UL);
        } else {
            let (w0, w1) = (ctx.b.temp_i32(), ctx.b.temp_i32());
            ctx.b.ld_env_i32(w0, first, MemOp::UL);
            ctx.b.ld_env_i32(w1, second, MemOp::UL);
            ctx.store(w0, addr, MemOp::UL);
            ctx.store(w1, a2, MemOp::UL);
        }
    } else if load {
        let v = ctx.load(addr, MemOp::UL);
        ctx.b.st_env_i32(v, sreg_off(r), MemOp::UL);
    } else {
        let v = ctx.b.temp_i32();
        ctx.b.ld_env_i32(v, sreg_off(r), MemOp::UL);
        ctx.store(v, addr, MemOp::UL);
    }
}

fn vldr_vstr(ctx: &mut Ctx, i: Insn) -> R {
    check(ctx, i)?;
    let dp = i.bit(8);
    let d = vd(i, dp);
    let base = super::ldst::base(ctx, i.rn());
    let off = i.bits(7, 0) << 2;
    let off = if i.bit(23) { off } else { off.wrapping_neg() };
    let addr = ctx.addi(base, off);
    xfer(ctx, i.bit(20), d, dp, addr);
    Ok(())
}

fn vldm_vstm(ctx: &mut Ctx, i: Insn) -> R {
    check(ctx, i)?;
    let (p, u, w) = (i.bit(24), i.bit(23), i.bit(21));
    if p == u || (p && !w) {
        return Err(Undef);
    }
    let dp = i.bit(8);
    let imm8 = i.bits(7, 0);
    let (first, count) = if dp {
        (vd(i, true), imm8 / 2)
    } else {
        (vd(i, false), imm8)
    };
    let limit = 32;
    if count == 0 || first + count as usize > limit || (dp && count > 16) {
        return Err(Undef);
    }
    let rn = i.rn();
    if rn == 15 && w {
        return Err(Undef);
    }
    let base = super::ldst::base(ctx, rn);
    let bytes = imm8 << 2;
    let start = if u {
        ctx.addi(base, 0)
    } else {
        ctx.addi(base, bytes.wrapping_neg())
    };
    let step = if dp { 8 } else { 4 };
    for k in 0..count {
        let a = ctx.addi(start, k * step);
        xfer(ctx, i.bit(20), first + k as usize, dp, a);
    }
    if w {
        let nb = if u {
            ctx.addi(base, bytes)
        } else {
            ctx.addi(base, bytes.wrapping_neg())
        };
        ctx.set_reg(rn, nb);
    }
    Ok(())
}
