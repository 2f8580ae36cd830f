//! 8-bit integer dot products and matrix multiplies: SDOT/UDOT (FEAT_DotProd,
//! vector and by element), USDOT (vector, by element) and SUDOT (by
//! element), SMMLA/UMMLA/USMMLA (FEAT_I8MM). Every form sums four (dot) or
//! eight (matrix) byte products into a 32-bit lane, modulo 2^32.

use super::lanes::{self, elem, set_elem, vget, vset_q, Desc};
use super::{need, Ctx};
use crate::decode::{Insn, Undef};
use tcg::helper::{Env, ENV_FIELDS};

/// Helper ops. The signedness of the Vn and Vm bytes is in `Desc::imm`'s
/// upper bits for the mixed forms (`Desc::u` for SDOT/UDOT).
const DOT: u32 = 0x40;
const MMLA: u32 = 0x41;

/// Byte signedness of (Vn, Vm).
#[derive(Copy, Clone)]
enum Signs {
    Both(bool),
    UnsignedBySigned,
    SignedByUnsigned,
}

impl Signs {
    fn pack(self) -> (bool, u32) {
        match self {
            Signs::Both(u) => (u, 0),
            Signs::UnsignedBySigned => (false, 1 << 8),
            Signs::SignedByUnsigned => (false, 2 << 8),
        }
    }
    fn unpack(d: &Desc) -> (bool, bool) {
        match d.imm >> 8 {
            1 => (false, true),
            2 => (true, false),
            _ => (!d.u, !d.u),
        }
    }
}

fn emit(ctx: &mut Ctx, i: Insn, op: u32, s: Signs, rm: usize, idx: Option<u32>) {
    let (u, sflags) = s.pack();
    let d = Desc {
        op,
        size: 2,
        q: i.bit(30),
        u,
        rd: i.rd(),
        rn: i.rn(),
        rm,
        imm: sflags | idx.unwrap_or(0),
        by_elem: idx.is_some(),
        ..Desc::default()
    };
    lanes::call(ctx, &DOTH, d);
}

/// SDOT/UDOT (vector), from the three-same-extra group (`extra.rs`).
pub(crate) fn dot_vec(ctx: &mut Ctx, i: Insn) -> Result<(), Undef> {
    if i.bits(23, 22) != 2 {
        return Err(Undef);
    }
    need(ctx.features.dotprod)?;
    emit(ctx, i, DOT, Signs::Both(i.bit(29)), i.rm(), None);
    Ok(())
}

/// USDOT (vector): three-same-extra, U = 0, opcode 0011, size 10.
pub(crate) fn usdot_vec(ctx: &mut Ctx, i: Insn) -> Result<(), Undef> {
    need(ctx.features.i8mm)?;
    if i.bits(23, 22) != 2 {
        return Err(Undef);
    }
    emit(ctx, i, DOT, Signs::UnsignedBySigned, i.rm(), None);
    Ok(())
}

/// SMMLA (U = 0, opcode 0100), UMMLA (U = 1, 0100), USMMLA (U = 0, 0101):
/// Q = 1, size 10 only.
pub(crate) fn mmla(ctx: &mut Ctx, i: Insn) -> Result<(), Undef> {
    need(ctx.features.i8mm)?;
    if i.bits(23, 22) != 2 || !i.bit(30) {
        return Err(Undef);
    }
    let s = match (i.bit(29), i.bit(11)) {
        (u, false) => Signs::Both(u),
        (false, true) => Signs::UnsignedBySigned,
        (true, true) => return Err(Undef),
    };
    emit(ctx, i, MMLA, s, i.rm(), None);
    Ok(())
}

/// The by-element group's opcode 1110 (SDOT/UDOT, size 10) and, with U = 0,
/// opcode 1111 size 00 (SUDOT) and size 10 (USDOT). Index H:L of a 32-bit
/// group of Vm (M:Rm). Sizes 01/11 of opcode 1111 are BF16 (`bf16.rs`).
pub(crate) fn dot_elem(ctx: &mut Ctx, i: Insn) -> Result<(), Undef> {
    if i.bit(28) {
        return Err(Undef);
    }
    let s = match (i.bits(15, 12), i.bits(23, 22), i.bit(29)) {
        (0b1110, 2, u) => {
            need(ctx.features.dotprod)?;
            Signs::Both(u)
        }
        (0b1111, 0, false) => {
            need(ctx.features.i8mm)?;
            Signs::SignedByUnsigned
        }
        (0b1111, 2, false) => {
            need(ctx.features.i8mm)?;
            Signs::UnsignedBySigned
        }
        _ => return Err(Undef),
    };
    let idx = (i.bit(11) as u32) << 1 | i.bit(21) as u32;
    emit(ctx, i, DOT, s, i.rm(), Some(idx));
    Ok(())
}

fn byte(v: u128, k: usize, signed: bool) -> i32 {
    let b = elem(v, k, 8) as u8;
    if signed {
        b as i8 as i32
    } else {
        b as i32
    }
}

extern "C" fn dot_helper(env: Env, desc: u64) -> u64 {
    let d = Desc::unpack(desc);
    let c = lanes::cpu(env);
    let (sn, sm) = Signs::unpack(&d);
    let (a, mut b, acc) = (vget(c, d.rn), vget(c, d.rm), vget(c, d.rd));
    let mut r = 0u128;
    if d.op == MMLA {
        // Vd (2x2 of i32) += Vn (2x8 bytes, row major) * Vm^T (2x8 bytes).
        for row in 0..2 {
            for col in 0..2 {
                let mut s = elem(acc, 2 * row + col, 32) as u32;
                for k in 0..8 {
                    let p = byte(a, 8 * row + k, sn) * byte(b, 8 * col + k, sm);
                    s = s.wrapping_add(p as u32);
                }
                set_elem(&mut r, 2 * row + col, 32, s as u64);
            }
        }
        vset_q(c, d.rd, r, true);
        return 0;
    }
    if d.by_elem {
        let e = elem(b, (d.imm & 3) as usize, 32);
        b = 0;
        for k in 0..4 {
            set_elem(&mut b, k, 32, e);
        }
    }
    let n = if d.q { 4 } else { 2 };
    for k in 0..n {
        let mut s = elem(acc, k, 32) as u32;
        for j in 0..4 {
            let p = byte(a, 4 * k + j, sn) * byte(b, 4 * k + j, sm);
            s = s.wrapping_add(p as u32);
        }
        set_elem(&mut r, k, 32, s as u64);
    }
    vset_q(c, d.rd, r, d.q);
    0
}
tcg::helper!(DOTH, "adv_dot", A1(dot_helper), ENV_FIELDS);
