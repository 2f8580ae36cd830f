//! A64 encoding group: loads and stores of general-purpose registers.
//! Literal, pairs (offset, pre/post-index, non-temporal, LDPSW), single
//! registers (unsigned offset, unscaled, pre/post-index, unprivileged,
//! register offset), PRFM (NOP). Exclusives, acquire/release and LSE atomics
//! (incl. LDAPUR/STLUR) are in `ldst/atomic.rs`. Every pattern here fixes V = 0: the SIMD&FP
//! register forms fall through to fp.rs/simd.rs.

mod atomic;

use super::data_reg::extend_reg;
use super::Ctx;
use crate::decode::{pat, Insn, Pattern, Undef};
use tcg::ir::{MemOp, Temp};

pub static PATTERNS: &[Pattern] = &[
    pat(
        "excl",
        "size:2 001000 o2:1 l:1 o1:1 rs:5 o0:1 rt2:5 rn:5 rt:5",
        atomic::excl,
    ),
    pat("ldr_lit", "opc:2 011 0 00 imm19:19 rt:5", ldr_lit),
    pat(
        "ldapur_stlur",
        "size:2 011001 opc:2 0 imm9:9 00 rn:5 rt:5",
        atomic::ldapur_stlur,
    ),
    pat(
        "ldst_pair",
        "opc:2 101 0 0 mode:2 l:1 imm7:7 rt2:5 rn:5 rt:5",
        ldst_pair,
    ),
    pat(
        "ldst_imm9",
        "size:2 111 0 00 opc:2 0 imm9:9 idx:2 rn:5 rt:5",
        ldst_imm9,
    ),
    pat(
        "ldst_reg",
        "size:2 111 0 00 opc:2 1 rm:5 option:3 s:1 10 rn:5 rt:5",
        ldst_reg,
    ),
    pat(
        "atomic",
        "size:2 111 0 00 a:1 r:1 1 rs:5 o3:1 opc:3 00 rn:5 rt:5",
        atomic::atomic,
    ),
    pat(
        "ldst_uimm",
        "size:2 111 0 01 opc:2 imm12:12 rn:5 rt:5",
        ldst_uimm,
    ),
];

type R = Result<(), Undef>;

/// What a single-register load/store does, from its size and opc fields.
#[derive(Copy, Clone, PartialEq, Eq, Debug)]
enum Kind {
    Store(MemOp),
    /// Load into the register; `sf`: 64-bit destination (else the 32-bit
    /// result is zero-extended).
    Load(MemOp, bool),
    Prefetch,
}

fn kind(size: u32, opc: u32) -> Result<Kind, Undef> {
    let m = MemOp::size_log2(size);
    Ok(match opc {
        0 => Kind::Store(m),
        1 => Kind::Load(m, true),
        2 if size == 3 => Kind::Prefetch,
        2 => Kind::Load(m.signed(), true),
        _ if size >= 2 => return Err(Undef),
        _ => Kind::Load(m.signed(), false),
    })
}

/// Performs a single-register access at `addr`, then writes `wb` (if any)
/// to the base register `rn` (SP-able). Loads write the destination last.
fn access(ctx: &mut Ctx, k: Kind, rt: usize, addr: Temp, wb: Option<(usize, Temp)>) {
    match k {
        Kind::Store(m) => {
            let v = ctx.x(rt);
            ctx.store(v, addr, m);
            if let Some((rn, t)) = wb {
                ctx.set_x_sp(rn, t);
            }
        }
        Kind::Load(m, sf) => {
            let v = ctx.load(addr, m);
            if let Some((rn, t)) = wb {
                ctx.set_x_sp(rn, t);
            }
            ctx.set_x_sf(rt, sf, v);
        }
        Kind::Prefetch => {
            if let Some((rn, t)) = wb {
                ctx.set_x_sp(rn, t);
            }
        }
    }
}

fn ldr_lit(ctx: &mut Ctx, i: Insn) -> R {
    let addr = ctx.pc.wrapping_add((i.sbits(23, 5) << 2) as u64);
    let m = match i.bits(31, 30) {
        0 => MemOp::UL,
        1 => MemOp::UQ,
        2 => MemOp::SL,
        _ => return Ok(()), // PRFM (literal)
    };
    let a = ctx.b.const_i64(addr);
    let v = ctx.load(a, m);
    ctx.set_x(i.rt(), v);
    Ok(())
}

fn ldst_pair(ctx: &mut Ctx, i: Insn) -> R {
    let opc = i.bits(31, 30);
    let mode = i.bits(24, 23);
    let load = i.bit(22);
    let m = match (opc, load) {
        (0, _) => MemOp::UL,
        (1, true) if mode != 0 => MemOp::SL, // LDPSW
        (2, _) => MemOp::UQ,
        _ => return Err(Undef), // STGP, LDNP of signed words, opc 11
    };
    let bytes = m.bytes() as u64;
    let off = (i.sbits(21, 15) as u64).wrapping_mul(bytes);
    let base = ctx.x_sp(i.rn());
    let moved = ctx.b.temp_i64();
    ctx.b.addi_i64(moved, base, off);
    let addr = if mode == 1 { base } else { moved };
    let wb = matches!(mode, 1 | 3);
    let addr2 = ctx.b.temp_i64();
    ctx.b.addi_i64(addr2, addr, bytes);
    let (rt, rt2) = (i.rt(), i.rt2());
    // FEAT_LSE2: a 16-byte aligned pair of X registers is one single-copy
    // atomic access.
    let atomic16 = ctx.features.lse2 && m == MemOp::UQ;
    if load && atomic16 {
        let (v1, v2) = (ctx.b.temp_i64(), ctx.b.temp_i64());
        ctx.b.ld2_i64(v1, v2, addr, m, ctx.mmu_idx);
        if wb {
            ctx.set_x_sp(i.rn(), moved);
        }
        ctx.set_x(rt, v1);
        ctx.set_x(rt2, v2);
    } else if atomic16 {
        let v1 = ctx.x(rt);
        let v2 = ctx.x(rt2);
        ctx.b.st2_i64(v1, v2, addr, m, ctx.mmu_idx);
        if wb {
            ctx.set_x_sp(i.rn(), moved);
        }
    } else if load {
        let v1 = ctx.load(addr, m);
        let v2 = ctx.load(addr2, m);
        if wb {
            ctx.set_x_sp(i.rn(), moved);
        }
        ctx.set_x(rt, v1);
        ctx.set_x(rt2, v2);
    } else {
        let v1 = ctx.x(rt);
        let v2 = ctx.x(rt2);
        ctx.store(v1, addr, m);
        ctx.store(v2, addr2, m);
        if wb {
            ctx.set_x_sp(i.rn(), moved);
        }
    }
    Ok(())
}

fn ldst_imm9(ctx: &mut Ctx, i: Insn) -> R {
    let size = i.bits(31, 30);
    let idx = i.bits(11, 10);
    let k = kind(size, i.bits(23, 22))?;
    if k == Kind::Prefetch && idx != 0 {
        return Err(Undef);
    }
    let base = ctx.x_sp(i.rn());
    let moved = ctx.b.temp_i64();
    ctx.b.addi_i64(moved, base, i.sbits(20, 12) as u64);
    match idx {
        // Unscaled (LDUR/STUR/PRFUM) and unprivileged (LDTR/STTR: EL0
        // accesses like any other at EL0).
        0 => access(ctx, k, i.rt(), moved, None),
        2 => {
            // LDTR/STTR at EL1 access with EL0's permissions.
            let saved = ctx.mmu_idx;
            if ctx.system() {
                ctx.mmu_idx = crate::system::MMU_EL0;
            }
            access(ctx, k, i.rt(), moved, None);
            ctx.mmu_idx = saved;
        }
        1 => access(ctx, k, i.rt(), base, Some((i.rn(), moved))),
        _ => access(ctx, k, i.rt(), moved, Some((i.rn(), moved))),
    }
    Ok(())
}

fn ldst_reg(ctx: &mut Ctx, i: Insn) -> R {
    let size = i.bits(31, 30);
    let option = i.bits(15, 13);
    if option & 2 == 0 {
        return Err(Undef);
    }
    let k = kind(size, i.bits(23, 22))?;
    let base = ctx.x_sp(i.rn());
    let m = ctx.x(i.rm());
    let off = extend_reg(ctx, m, option, if i.bit(12) { size } else { 0 });
    let addr = ctx.b.temp_i64();
    ctx.b.add_i64(addr, base, off);
    access(ctx, k, i.rt(), addr, None);
    Ok(())
}

fn ldst_uimm(ctx: &mut Ctx, i: Insn) -> R {
    let size = i.bits(31, 30);
    let k = kind(size, i.bits(23, 22))?;
    let base = ctx.x_sp(i.rn());
    let addr = ctx.b.temp_i64();
    ctx.b.addi_i64(addr, base, (i.bits(21, 10) as u64) << size);
    access(ctx, k, i.rt(), addr, None);
    Ok(())
}
