//! Helpers called from generated code: register-controlled shifts with
//! carry, SWP, 16-bit saturation, the parallel add/subtract family, and the
//! VFP arithmetic on the shared software FPU (`target_aarch64::fpu`, whose
//! FPCR/FPSR bits are FPSCR's).

use crate::cpu::CpuState;
use std::sync::atomic::{AtomicU32, AtomicU8, Ordering};
use target_aarch64::fpu::{self, arith, conv, Fmt, Fp, Round};
use tcg::helper::{Env, ENV_FIELDS, NO_SIDE_EFFECTS};

fn state(env: Env) -> *mut CpuState {
    env as *mut CpuState
}

/// Host address of guest address `addr`.
fn host(env: Env, addr: u64) -> *mut u8 {
    // SAFETY: env points at the running CpuState; only guest_base is read.
    let base = unsafe { (*state(env)).common.guest_base };
    base.wrapping_add(addr) as *mut u8
}

/// Shift `v` by the bottom byte of `amt` (type as encoded), with carry in
/// `cin`; returns the result in the low half and the carry out above.
extern "C" fn shift_c(_env: Env, ty: u64, v: u64, amt: u64, cin: u64) -> u64 {
    let v = v as u32;
    let n = (amt & 0xff) as u32;
    let (r, c) = if n == 0 {
        (v, cin as u32 & 1)
    } else {
        match ty {
            0 => match n {
                1..=31 => (v << n, v >> (32 - n) & 1),
                32 => (0, v & 1),
                _ => (0, 0),
            },
            1 => match n {
                1..=31 => (v >> n, v >> (n - 1) & 1),
                32 => (0, v >> 31),
                _ => (0, 0),
            },
            2 => {
                if n >= 32 {
                    (((v as i32) >> 31) as u32, v >> 31)
                } else {
                    (((v as i32) >> n) as u32, v >> (n - 1) & 1)
                }
            }
            _ => {
                let m = n & 31;
                let r = v.rotate_right(m);
                (r, r >> 31)
            }
        }
    };
    u64::from(r) | u64::from(c) << 32
}
tcg::helper!(pub HELPER_SHIFT_C, "shift_c", A4(shift_c), NO_SIDE_EFFECTS);

/// SWP/SWPB: atomic exchange; returns the old value.
extern "C" fn swp(env: Env, addr: u64, v: u64, size: u64) -> u64 {
    let p = host(env, addr);
    // SAFETY: user-mode guest memory is the host reservation at guest_base;
    // the access faults like any guest access when unmapped.
    unsafe {
        if size == 0 {
            (*(p as *const AtomicU8)).swap(v as u8, Ordering::SeqCst) as u64
        } else {
            (*(p as *const AtomicU32)).swap(v as u32, Ordering::SeqCst) as u64
        }
    }
}
tcg::helper!(pub HELPER_SWP, "swp", A3(swp), 0);

/// SSAT16/USAT16: `k` = bits | unsigned << 8; returns result | Q << 32.
extern "C" fn sat16(_env: Env, v: u64, k: u64) -> u64 {
    let bits = (k & 0xff) as u32;
    let unsigned = k & 0x100 != 0;
    let mut q = 0u64;
    let mut out = 0u32;
    for i in 0..2 {
        let h = (v >> (16 * i)) as u16 as i16 as i32;
        let (lo, hi) = if unsigned {
            (0, (1i32 << bits) - 1)
        } else {
            (-(1i32 << (bits - 1)), (1i32 << (bits - 1)) - 1)
        };
        let s = h.clamp(lo, hi);
        if s != h {
            q = 1;
        }
        out |= (s as u32 & 0xffff) << (16 * i);
    }
    u64::from(out) | q << 32
}
tcg::helper!(pub HELPER_SAT16, "sat16", A2(sat16), NO_SIDE_EFFECTS);

/// The parallel add/subtract family: `k` = prefix << 4 | op (see
/// `translate::media::parallel`); returns result | GE << 32.
extern "C" fn parallel(_env: Env, k: u64, a: u64, b: u64) -> u64 {
    let prefix = (k >> 4) as u32;
    let op = (k & 0xf) as u32;
    let (a, b) = (a as u32, b as u32);
    let signed = prefix < 4;
    let kind = prefix & 3; // 1 plain (GE), 2 saturating, 3 halving
    let mut res = 0u32;
    let mut ge = 0u32;
    let lanes16 = op < 4;
    let (n, w) = if lanes16 { (2, 16) } else { (4, 8) };
    let mask = (1u32 << w) - 1;
    for i in 0..n {
        let get = |x: u32, j: u32| -> i64 {
            let f = x >> (w * j) & mask;
            if signed {
                ((f << (32 - w)) as i32 >> (32 - w)) as i64
            } else {
                f as i64
            }
        };
        // Which operation this lane does and which lane of b it uses.
        let (add, bj) = match op {
            0 | 4 => (true, i),
            3 | 7 => (false, i),
            1 => (i == 1, 1 - i), // ASX: lo = a.lo - b.hi, hi = a.hi + b.lo
            _ => (i == 0, 1 - i), // SAX: lo = a.lo + b.hi, hi = a.hi - b.lo
        };
        let x = get(a, i);
        let y = get(b, bj);
        let r = if add { x + y } else { x - y };
        let v: i64 = match kind {
            1 => {
                let g = if signed {
                    r >= 0
                } else if add {
                    r >= 1 << w
                } else {
                    r >= 0
                };
                if g {
                    ge |= if lanes16 { 3 << (2 * i) } else { 1 << i };
                }
                r
            }
            2 => {
                if signed {
                    r.clamp(-(1 << (w - 1)), (1 << (w - 1)) - 1)
                } else {
                    r.clamp(0, (1 << w) - 1)
                }
            }
            _ => r >> 1,
        };
        res |= (v as u32 & mask) << (w * i);
    }
    u64::from(res) | u64::from(ge) << 32
}
tcg::helper!(pub HELPER_PARALLEL, "parallel", A3(parallel), NO_SIDE_EFFECTS);

// ---- VFP

/// FPSCR bits that are FPCR's (controls) and FPSR's (cumulative flags).
const FPSCR_CTRL: u32 = 0x07ff_9f00;
const FPSCR_EXC: u32 = 0x9f;

fn fp_begin(env: Env) -> Fp {
    // SAFETY: env is the running CpuState; fpscr is an env field.
    let fpscr = unsafe { (*state(env)).fpscr };
    Fp::new(u64::from(fpscr & FPSCR_CTRL))
}

fn fp_end(env: Env, fp: &Fp) {
    // SAFETY: as above.
    unsafe { (*state(env)).fpscr |= fp.flags & FPSCR_EXC };
}

fn fmt(dp: u64) -> Fmt {
    if dp != 0 {
        fpu::D
    } else {
        fpu::S
    }
}

/// VADD/VSUB/VMUL/VDIV/VNMUL, VMAXNM/VMINNM: `op` as `fpu::Bin`.
extern "C" fn vfp_bin(env: Env, op: u64, dp: u64, a: u64, b: u64) -> u64 {
    let mut fp = fp_begin(env);
    let r = fpu::binop(&mut fp, fmt(dp), fpu::Bin::from_u64(op), a, b);
    fp_end(env, &fp);
    r
}
tcg::helper!(pub HELPER_VFP_BIN, "vfp_bin", A4(vfp_bin), ENV_FIELDS);

/// VSQRT and the VRINT family: `op` as `fpu::Un`.
extern "C" fn vfp_un(env: Env, op: u64, dp: u64, a: u64) -> u64 {
    let mut fp = fp_begin(env);
    let r = fpu::unop(&mut fp, fmt(dp), fpu::Un::from_u64(op), a);
    fp_end(env, &fp);
    r
}
tcg::helper!(pub HELPER_VFP_UN, "vfp_un", A3(vfp_un), ENV_FIELDS);

/// VMLA/VMLS/VNMLA/VNMLS (`k` bit 0: negate product, bit 1: negate
/// accumulator; unfused: product rounded first) and VFMA/VFMS/VFNMA/VFNMS
/// (`k` bit 2: fused).
extern "C" fn vfp_mac(env: Env, k: u64, dp: u64, acc: u64, a: u64, b: u64) -> u64 {
    let f = fmt(dp);
    let mut fp = fp_begin(env);
    let acc = if k & 2 != 0 { f.neg(acc) } else { acc };
    let r = if k & 4 != 0 {
        let a = if k & 1 != 0 { f.neg(a) } else { a };
        arith::fma(&mut fp, f, acc, a, b)
    } else {
        let p = arith::mul(&mut fp, f, a, b);
        let p = if k & 1 != 0 { f.neg(p) } else { p };
        arith::add(&mut fp, f, acc, p)
    };
    fp_end(env, &fp);
    r
}
tcg::helper!(pub HELPER_VFP_MAC, "vfp_mac", A5(vfp_mac), ENV_FIELDS);

/// VCMP/VCMPE: returns NZCV in bits 31..28 (`signal`: VCMPE).
extern "C" fn vfp_cmp(env: Env, dp: u64, a: u64, b: u64, signal: u64) -> u64 {
    let mut fp = fp_begin(env);
    let r = arith::compare(&mut fp, fmt(dp), a, b, signal != 0);
    fp_end(env, &fp);
    u64::from(r) << 28
}
tcg::helper!(pub HELPER_VFP_CMP, "vfp_cmp", A4(vfp_cmp), ENV_FIELDS);

/// VCVT between single and double (`to_dp`).
extern "C" fn vfp_cvt_fmt(env: Env, to_dp: u64, a: u64) -> u64 {
    let mut fp = fp_begin(env);
    let rm = fp.rounding();
    let r = if to_dp != 0 {
        conv::convert(&mut fp, fpu::S, fpu::D, a, rm)
    } else {
        conv::convert(&mut fp, fpu::D, fpu::S, a, rm)
    };
    fp_end(env, &fp);
    r
}
tcg::helper!(pub HELPER_VFP_CVT_FMT, "vfp_cvt_fmt", A2(vfp_cvt_fmt), ENV_FIELDS);

/// VCVT between half and single/double: `k` bit 0 to half, bit 1 double,
/// bit 2 AHP ignored here (FPSCR.AHP decides).
extern "C" fn vfp_cvt_half(env: Env, k: u64, a: u64) -> u64 {
    let mut fp = fp_begin(env);
    let rm = fp.rounding();
    let f = if k & 2 != 0 { fpu::D } else { fpu::S };
    let r = if k & 1 != 0 {
        conv::convert(&mut fp, f, fpu::H, a, rm)
    } else {
        conv::convert(&mut fp, fpu::H, f, a & 0xffff, rm)
    };
    fp_end(env, &fp);
    r
}
tcg::helper!(pub HELPER_VFP_CVT_HALF, "vfp_cvt_half", A2(vfp_cvt_half), ENV_FIELDS);

/// Float to 32-bit (or with `k` bit 13, 16-bit) integer or fixed point,
/// saturated to that width and sign- or zero-extended to 32 bits: `k` =
/// fbits | unsigned << 8 | round_to_zero << 9 | rmode << 10 |
/// explicit_rmode << 12 | half << 13.
extern "C" fn vfp_to_int(env: Env, k: u64, dp: u64, a: u64) -> u64 {
    let mut fp = fp_begin(env);
    let rm = if k & (1 << 12) != 0 {
        match k >> 10 & 3 {
            0 => Round::TieAway,
            1 => Round::TieEven,
            2 => Round::PosInf,
            _ => Round::NegInf,
        }
    } else if k & (1 << 9) != 0 {
        Round::Zero
    } else {
        fp.rounding()
    };
    let width = if k & (1 << 13) != 0 { 16 } else { 32 };
    let unsigned = k & 0x100 != 0;
    let r = conv::to_fixed(&mut fp, fmt(dp), a, (k & 0xff) as u32, unsigned, rm, width);
    fp_end(env, &fp);
    let r = if unsigned {
        r
    } else {
        (((r << (64 - width)) as i64) >> (64 - width)) as u64
    };
    r & 0xffff_ffff
}
tcg::helper!(pub HELPER_VFP_TO_INT, "vfp_to_int", A3(vfp_to_int), ENV_FIELDS);

/// 32-bit integer or fixed point to float: `k` = fbits | signed << 8 |
/// tie_even << 9 (fixed point rounds to nearest even whatever FPSCR.RMode
/// says: FixedToFP(..., FPRounding_TIEEVEN); integers use FPSCR's mode).
extern "C" fn vfp_from_int(env: Env, k: u64, dp: u64, a: u64) -> u64 {
    let mut fp = fp_begin(env);
    let rm = if k & (1 << 9) != 0 {
        Round::TieEven
    } else {
        fp.rounding()
    };
    let r = conv::from_fixed(
        &mut fp,
        fmt(dp),
        a,
        k & 0x100 != 0,
        32,
        (k & 0xff) as u32,
        rm,
    );
    fp_end(env, &fp);
    r
}
tcg::helper!(pub HELPER_VFP_FROM_INT, "vfp_from_int", A3(vfp_from_int), ENV_FIELDS);

/// NEON "three registers of the same length" (`insn`: the A32 encoding,
/// already checked by [`crate::neon::Op3::decode`]); sets FPSCR.QC on
/// saturation and the cumulative FP flags.
extern "C" fn neon_3same(env: Env, insn: u64) -> u64 {
    let Some(e) = crate::neon::Op3::decode(insn as u32) else {
        return 0;
    };
    // SAFETY: env is the running CpuState; d and fpscr are env fields.
    let cpu = unsafe { &mut *state(env) };
    let (qc, flags) = crate::neon::run3(&mut cpu.d, cpu.fpscr, &e);
    cpu.fpscr |= flags & FPSCR_EXC | u32::from(qc) << 27;
    0
}
tcg::helper!(pub HELPER_NEON_3SAME, "neon_3same", A1(neon_3same), ENV_FIELDS);

/// NEON "two registers miscellaneous" (`insn`: the A32 encoding, checked
/// by [`crate::neon::Op2::decode`]); sets FPSCR.QC and the FP flags.
extern "C" fn neon_2misc(env: Env, insn: u64) -> u64 {
    if let Some(e) = crate::neon::Op2::decode(insn as u32) {
        // SAFETY: env is the running CpuState; d and fpscr are env fields.
        let cpu = unsafe { &mut *state(env) };
        let (qc, flags) = crate::neon::run2(&mut cpu.d, cpu.fpscr, &e);
        cpu.fpscr |= flags & FPSCR_EXC | u32::from(qc) << 27;
    }
    0
}
tcg::helper!(pub HELPER_NEON_2MISC, "neon_2misc", A1(neon_2misc), ENV_FIELDS);

/// NEON "two registers and a shift amount" (`insn`: the A32 encoding,
/// checked by [`crate::neon::OpSh::decode`]).
extern "C" fn neon_shift(env: Env, insn: u64) -> u64 {
    if let Some(e) = crate::neon::OpSh::decode(insn as u32) {
        // SAFETY: env is the running CpuState; d and fpscr are env fields.
        let cpu = unsafe { &mut *state(env) };
        let (qc, flags) = crate::neon::run_shift(&mut cpu.d, cpu.fpscr, &e);
        cpu.fpscr |= flags & FPSCR_EXC | u32::from(qc) << 27;
    }
    0
}
tcg::helper!(pub HELPER_NEON_SHIFT, "neon_shift", A1(neon_shift), ENV_FIELDS);

/// NEON same-length operations by a scalar (`insn`: the A32 encoding,
/// checked by [`crate::neon::EncScalar::decode`]).
extern "C" fn neon_scalar(env: Env, insn: u64) -> u64 {
    if let Some(e) = crate::neon::EncScalar::decode(insn as u32) {
        // SAFETY: env is the running CpuState; d and fpscr are env fields.
        let cpu = unsafe { &mut *state(env) };
        let (qc, flags) = crate::neon::run_scalar(&mut cpu.d, cpu.fpscr, &e);
        cpu.fpscr |= flags & FPSCR_EXC | u32::from(qc) << 27;
    }
    0
}
tcg::helper!(pub HELPER_NEON_SCALAR, "neon_scalar", A1(neon_scalar), ENV_FIELDS);

/// NEON "three registers of different lengths" and the lengthening
/// by-scalar forms (`insn`: the A32 encoding, checked by
/// [`crate::neon::long::EncL::decode`]).
extern "C" fn neon_long(env: Env, insn: u64) -> u64 {
    if let Some(e) = crate::neon::long::EncL::decode(insn as u32) {
        // SAFETY: env is the running CpuState; d and fpscr are env fields.
        let cpu = unsafe { &mut *state(env) };
        let qc = crate::neon::long::run(&mut cpu.d, &e);
        cpu.fpscr |= u32::from(qc) << 27;
    }
    0
}
tcg::helper!(pub HELPER_NEON_LONG, "neon_long", A1(neon_long), ENV_FIELDS);

/// VTBL/VTBX (`insn`: the A32 encoding, checked by
/// [`crate::neon::table::EncTbl::decode`]).
extern "C" fn neon_tbl(env: Env, insn: u64) -> u64 {
    if let Some(e) = crate::neon::table::EncTbl::decode(insn as u32) {
        // SAFETY: env is the running CpuState; d is an env field.
        let cpu = unsafe { &mut *state(env) };
        crate::neon::table::run(&mut cpu.d, &e);
    }
    0
}
tcg::helper!(pub HELPER_NEON_TBL, "neon_tbl", A1(neon_tbl), ENV_FIELDS);
