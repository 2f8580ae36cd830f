//! IR for the host fast path of the four basic operations, shared by the
//! A64 and the AArch32 VFP translators: the host FPU's IEEE result is the
//! architectural one when the mode is round-to-nearest without
//! flush-to-zero (IEEE 754 fixes the bits of every result), and it raises
//! nothing new when the cumulative inexact flag is already set and the
//! result is a normal number with an exponent above the minimum (so no
//! overflow, underflow (tininess is detected before rounding), invalid or
//! divide-by-zero, and inexact is already recorded). Anything else (NaN,
//! infinity, zero, subnormal, other modes, IXC clear) takes the exact
//! helper, which the caller emits.

use super::Bin;
use tcg::ir::{Builder, Cond, MemOp, Temp};

/// Where a guest keeps the state the fast path depends on.
#[derive(Clone, Copy, Debug)]
pub struct FastGate {
    /// Env offset and access of the control word (FPCR, FPSCR).
    pub mode_off: u32,
    pub mode_memop: MemOp,
    /// Control bits that must all be clear (rounding mode, flush-to-zero,
    /// anything else that changes a normal result).
    pub mode_mask: u64,
    /// Env offset and access of the status word holding IXC (FPSR, FPSCR).
    pub status_off: u32,
    pub status_memop: MemOp,
    pub ixc: u64,
}

/// `op` (Add, Sub, Mul or Div) of single (`wide` false) or double
/// precision bit patterns `a` and `b`: the host result when the gate
/// allows it, else whatever `slow` computes into the returned temp.
pub fn fast_bin(
    b: &mut Builder,
    gate: &FastGate,
    op: Bin,
    wide: bool,
    x: Temp,
    y: Temp,
    slow: impl FnOnce(&mut Builder, Temp),
) -> Temp {
    let r = b.temp_i64();
    match (op, wide) {
        (Bin::Add, true) => b.fadd_f64(r, x, y),
        (Bin::Sub, true) => b.fsub_f64(r, x, y),
        (Bin::Mul, true) => b.fmul_f64(r, x, y),
        (Bin::Div, true) => b.fdiv_f64(r, x, y),
        (Bin::Add, false) => b.fadd_f32(r, x, y),
        (Bin::Sub, false) => b.fsub_f32(r, x, y),
        (Bin::Mul, false) => b.fmul_f32(r, x, y),
        _ => b.fdiv_f32(r, x, y),
    }
    let slow_l = b.new_label();
    gate_checks(b, gate, wide, &[r], slow_l);
    let done = b.new_label();
    b.br(done);
    b.set_label(slow_l);
    slow(b, r);
    b.set_label(done);
    r
}

/// VMLA/VMLS/VNMLA/VNMLS (unfused: the product is rounded, then added):
/// `(±acc) + (±(x * y))` on the host when both the product and the sum
/// are normal and the gate allows it, else `slow`. A denormal `acc` is
/// fine: without flush-to-zero the host adds it exactly and no flag
/// arises from it.
#[allow(clippy::too_many_arguments)]
pub fn fast_mul_add(
    b: &mut Builder,
    gate: &FastGate,
    wide: bool,
    acc: Temp,
    x: Temp,
    y: Temp,
    neg_product: bool,
    neg_acc: bool,
    slow: impl FnOnce(&mut Builder, Temp),
) -> Temp {
    let sign = if wide { 1u64 << 63 } else { 1 << 31 };
    let p = b.temp_i64();
    let r = b.temp_i64();
    if wide {
        b.fmul_f64(p, x, y);
    } else {
        b.fmul_f32(p, x, y);
    }
    let flip = |b: &mut Builder, v: Temp, on: bool| {
        if !on {
            return v;
        }
        let (t, s) = (b.temp_i64(), b.const_i64(sign));
        b.xor_i64(t, v, s);
        t
    };
    let p2 = flip(b, p, neg_product);
    let a2 = flip(b, acc, neg_acc);
    if wide {
        b.fadd_f64(r, a2, p2);
    } else {
        b.fadd_f32(r, a2, p2);
    }
    let slow_l = b.new_label();
    gate_checks(b, gate, wide, &[p, r], slow_l);
    let done = b.new_label();
    b.br(done);
    b.set_label(slow_l);
    slow(b, r);
    b.set_label(done);
    r
}

/// Branches to `slow` unless every value in `vals` is normal with an
/// exponent above the minimum, the control bits are default and IXC is set.
fn gate_checks(b: &mut Builder, gate: &FastGate, wide: bool, vals: &[Temp], slow: tcg::ir::Label) {
    let (fbits, emax) = if wide { (52, 0x7ff) } else { (23, 0xff) };
    for &v in vals {
        // exponent in [2, emax - 1]  <=>  exponent - 2 <u emax - 2
        let e = b.temp_i64();
        b.extract_i64(e, v, fbits, if wide { 11 } else { 8 });
        let e2 = b.temp_i64();
        b.addi_i64(e2, e, (-2i64) as u64);
        b.brcondi_i64(Cond::Geu, e2, emax - 2, slow);
    }
    let ctl = b.temp_i64();
    b.ld_env_i64(ctl, gate.mode_off, gate.mode_memop);
    let status = if gate.status_off == gate.mode_off {
        ctl
    } else {
        let s = b.temp_i64();
        b.ld_env_i64(s, gate.status_off, gate.status_memop);
        s
    };
    let mode = b.temp_i64();
    b.andi_i64(mode, ctl, gate.mode_mask);
    let ixc = b.temp_i64();
    b.andi_i64(ixc, status, gate.ixc);
    b.brcondi_i64(Cond::Ne, mode, 0, slow);
    b.brcondi_i64(Cond::Eq, ixc, 0, slow);
}
