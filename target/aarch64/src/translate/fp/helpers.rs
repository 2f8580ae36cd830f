//! Helpers for scalar floating point, shared with the AdvSIMD scalar forms.
//! Each reads FPCR from env and ORs the exceptions it raised into FPSR, so
//! all are declared ENV_FIELDS; operand values are passed in and
//! the result returned (V registers are accessed by the caller's IR).
//!
//! Descriptor arguments pack the format as log2 of its byte size (1 = half,
//! 2 = single, 3 = double) and the operation, see each helper.

use crate::cpu::CpuState;
use crate::fpu::{self, conv, Bin, Fmt, Fp, Round, Un};
use tcg::helper::{Env, ENV_FIELDS};

/// The CPU state behind a helper's env pointer.
pub(crate) fn cpu<'a>(env: Env) -> &'a mut CpuState {
    // SAFETY: helpers of this frontend are only called by generated code
    // with env pointing at the CpuState the block runs on.
    unsafe { &mut *(env as *mut CpuState) }
}

/// Runs `f` with the CPU's FPCR and accumulates the flags it raised.
#[inline]
pub(crate) fn with_fp<R>(env: Env, f: impl FnOnce(&mut Fp) -> R) -> R {
    let c = cpu(env);
    let mut fp = Fp::with_fpsr(c.fpcr, c.fpsr);
    let r = f(&mut fp);
    accumulate(c, fp.flags);
    r
}

/// ORs exception flags into FPSR, skipping the store when they are already
/// set (the common case: IXC stays set once raised).
#[inline]
pub(crate) fn accumulate(c: &mut CpuState, flags: u32) {
    let f = flags as u64;
    if c.fpsr & f != f {
        c.fpsr |= f;
    }
}

pub(crate) fn fmt(log2: u64) -> Fmt {
    Fmt::from_log2(log2 as u32 & 3)
}

/// desc = op (Bin) | fmt << 8.
pub(crate) extern "C" fn fp2(env: Env, desc: u64, a: u64, b: u64) -> u64 {
    with_fp(env, |fp| {
        fpu::binop(fp, fmt(desc >> 8), Bin::from_u64(desc & 0xff), a, b)
    })
}
tcg::helper!(pub(crate) FP2, "fp2", A3(fp2), ENV_FIELDS);

/// desc = op (Un) | fmt << 8.
pub(crate) extern "C" fn fp1(env: Env, desc: u64, a: u64) -> u64 {
    with_fp(env, |fp| {
        fpu::unop(fp, fmt(desc >> 8), Un::from_u64(desc & 0xff), a)
    })
}
tcg::helper!(pub(crate) FP1, "fp1", A2(fp1), ENV_FIELDS);

/// addend + n * m, fused; desc = fmt.
pub(crate) extern "C" fn fma(env: Env, desc: u64, a: u64, n: u64, m: u64) -> u64 {
    with_fp(env, |fp| fpu::arith::fma(fp, fmt(desc), a, n, m))
}
tcg::helper!(pub(crate) FMA, "fma", A4(fma), ENV_FIELDS);

/// FCMP/FCMPE: NZCV in bits 3..0; desc = fmt | signal << 8.
pub(crate) extern "C" fn fcmp(env: Env, desc: u64, a: u64, b: u64) -> u64 {
    with_fp(env, |fp| {
        fpu::arith::compare(fp, fmt(desc), a, b, desc >> 8 & 1 != 0) as u64
    })
}
tcg::helper!(pub(crate) FCMP, "fcmp", A3(fcmp), ENV_FIELDS);

/// Rounding selector in descriptors: 0..=5 a fixed `Round`, 7 FPCR's mode.
pub(crate) const RM_FPCR: u64 = 7;

fn rmode(fp: &Fp, v: u64) -> Round {
    match v & 7 {
        0 => Round::TieEven,
        1 => Round::PosInf,
        2 => Round::NegInf,
        3 => Round::Zero,
        4 => Round::TieAway,
        5 => Round::Odd,
        _ => fp.rounding(),
    }
}

/// FCVT between formats; desc = from | to << 4 | rmode << 8.
pub(crate) extern "C" fn fcvt(env: Env, desc: u64, a: u64) -> u64 {
    with_fp(env, |fp| {
        let rm = rmode(fp, desc >> 8);
        conv::convert(fp, fmt(desc), fmt(desc >> 4), a, rm)
    })
}
tcg::helper!(pub(crate) FCVT, "fcvt", A2(fcvt), ENV_FIELDS);

/// FP to integer/fixed point; desc = fmt | rmode << 4 | unsigned << 8 |
/// width << 16 | fbits << 24.
pub(crate) extern "C" fn f2i(env: Env, desc: u64, a: u64) -> u64 {
    with_fp(env, |fp| {
        let rm = rmode(fp, desc >> 4);
        conv::to_fixed(
            fp,
            fmt(desc),
            a,
            (desc >> 24 & 0xff) as u32,
            desc >> 8 & 1 != 0,
            rm,
            (desc >> 16 & 0xff) as u32,
        )
    })
}
tcg::helper!(pub(crate) F2I, "f2i", A2(f2i), ENV_FIELDS);

/// Integer/fixed point to FP; desc = fmt | rmode << 4 | signed << 8 |
/// width << 16 | fbits << 24.
pub(crate) extern "C" fn i2f(env: Env, desc: u64, a: u64) -> u64 {
    with_fp(env, |fp| {
        let rm = rmode(fp, desc >> 4);
        conv::from_fixed(
            fp,
            fmt(desc),
            a,
            desc >> 8 & 1 != 0,
            (desc >> 16 & 0xff) as u32,
            (desc >> 24 & 0xff) as u32,
            rm,
        )
    })
}
tcg::helper!(pub(crate) I2F, "i2f", A2(i2f), ENV_FIELDS);

/// FJCVTZS: result in bits 31..0, Z in bit 32.
pub(crate) extern "C" fn fjcvtzs(env: Env, a: u64) -> u64 {
    with_fp(env, |fp| {
        let (r, z) = conv::fjcvtzs(fp, a);
        r as u64 | (z as u64) << 32
    })
}
tcg::helper!(pub(crate) FJCVTZS, "fjcvtzs", A1(fjcvtzs), ENV_FIELDS);
