//! Load/store semantics shared by the A32 and T32 decoders: single
//! (word, byte, halfword, signed), dual, multiple (LDM/STM, PUSH/POP),
//! and the exclusives (LDREX/STREX families, with STREX a host
//! compare-and-swap as the AArch64 frontend does it).

use super::Ctx;
use crate::cpu::{G_EXCL_ADDR, G_EXCL_VAL};
use crate::decode::Undef;
use tcg::ir::{MemOp, Temp};

type R = Result<(), Undef>;

/// The base register's value for addressing (r15: Align(PC, 4)).
pub fn base(ctx: &mut Ctx, rn: usize) -> Temp {
    if rn == 15 {
        ctx.pc_aligned()
    } else {
        ctx.reg_copy(rn)
    }
}

/// Addressing: returns (access address, written-back base).
pub fn address(ctx: &mut Ctx, b: Temp, off: Temp, add: bool, pre: bool) -> (Temp, Temp) {
    let moved = ctx.b.temp_i32();
    if add {
        ctx.b.add_i32(moved, b, off);
    } else {
        ctx.b.sub_i32(moved, b, off);
    }
    (if pre { moved } else { b }, moved)
}

/// LDR/STR/LDRB/STRB/LDRH/STRH/LDRSB/LDRSH (and their T variants).
#[allow(clippy::too_many_arguments)]
pub fn single(
    ctx: &mut Ctx,
    load: bool,
    m: MemOp,
    rt: usize,
    rn: usize,
    off: Temp,
    add: bool,
    pre: bool,
    wb: bool,
) -> R {
    if wb && (rn == 15 || (load && rn == rt)) {
        return Err(Undef);
    }
    let b = base(ctx, rn);
    let (addr, moved) = address(ctx, b, off, add, pre);
    if load {
        let v = ctx.load(addr, m);
        if wb {
            ctx.set_reg(rn, moved);
        }
        ctx.set_reg_load(rt, v);
    } else {
        let v = ctx.reg(rt);
        ctx.store(v, addr, m);
        if wb {
            ctx.set_reg(rn, moved);
        }
    }
    Ok(())
}

/// LDRD/STRD.
#[allow(clippy::too_many_arguments)]
pub fn dual(
    ctx: &mut Ctx,
    load: bool,
    rt: usize,
    rt2: usize,
    rn: usize,
    off: Temp,
    add: bool,
    pre: bool,
    wb: bool,
) -> R {
    if rt == 15 || rt2 == 15 || (wb && (rn == 15 || (load && (rn == rt || rn == rt2)))) {
        return Err(Undef);
    }
    let b = base(ctx, rn);
    let (addr, moved) = address(ctx, b, off, add, pre);
    let a2 = ctx.addi(addr, 4);
    if load {
        let v1 = ctx.load(addr, MemOp::UL);
        let v2 = ctx.load(a2, MemOp::UL);
        if wb {
            ctx.set_reg(rn, moved);
        }
        ctx.set_reg(rt, v1);
        ctx.set_reg(rt2, v2);
    } else {
        let v1 = ctx.reg(rt);
        let v2 = ctx.reg(rt2);
        ctx.store(v1, addr, MemOp::UL);
        ctx.store(v2, a2, MemOp::UL);
        if wb {
            ctx.set_reg(rn, moved);
        }
    }
    Ok(())
}

/// LDM/STM (IA, IB, DA, DB) and PUSH/POP.
pub fn multiple(
    ctx: &mut Ctx,
    load: bool,
    rn: usize,
    list: u32,
    inc: bool,
    before: bool,
    wb: bool,
) -> R {
    let n = list.count_ones();
    if n == 0 || rn == 15 {
        return Err(Undef);
    }
    let b = ctx.reg_copy(rn);
    // Lowest address of the transfer.
    let start = match (inc, before) {
        (true, false) => 0i64,
        (true, true) => 4,
        (false, false) => -4 * n as i64 + 4,
        (false, true) => -4 * n as i64,
    };
    let lo = ctx.addi(b, start as u32);
    let end = if inc { 4 * n } else { (4 * n).wrapping_neg() };
    let moved = ctx.addi(b, end);
    let mut k = 0u32;
    let mut loaded = Vec::new();
    for r in 0..16 {
        if list >> r & 1 == 0 {
            continue;
        }
        let a = ctx.addi(lo, 4 * k);
        k += 1;
        if load {
            let v = ctx.load(a, MemOp::UL);
            loaded.push((r, v));
        } else {
            let v = if r == rn { b } else { ctx.reg(r) };
            ctx.store(v, a, MemOp::UL);
        }
    }
    if wb && !(load && list >> rn & 1 != 0) {
        ctx.set_reg(rn, moved);
    }
    for (r, v) in loaded {
        ctx.set_reg_load(r, v);
    }
    Ok(())
}

fn clear_monitor(ctx: &mut Ctx) {
    let g = ctx.b.global(G_EXCL_ADDR);
    ctx.b.movi_i64(g, u64::MAX);
}

/// CLREX.
pub fn clrex(ctx: &mut Ctx) -> R {
    clear_monitor(ctx);
    Ok(())
}

/// LDREX{B,H,,D}: `size` log2 bytes (3: doubleword into rt, rt2).
pub fn ldrex(ctx: &mut Ctx, size: u32, rt: usize, rt2: usize, rn: usize, imm: u32) -> R {
    if rt == 15 || rn == 15 || (size == 3 && (rt2 == 15 || rt == rt2)) {
        return Err(Undef);
    }
    let b = ctx.reg(rn);
    let addr = ctx.addi(b, imm);
    let a64 = ctx.addr64(addr);
    let (ga, gv) = (ctx.b.global(G_EXCL_ADDR), ctx.b.global(G_EXCL_VAL));
    if size == 3 {
        let v = ctx.b.temp_i64();
        let m = MemOp::UQ.aligned();
        ctx.b.ld_i64(v, a64, m, super::MMU_USER);
        ctx.b.mov_i64(ga, a64);
        ctx.b.mov_i64(gv, v);
        let (lo, hi) = (ctx.b.temp_i32(), ctx.b.temp_i32());
        ctx.b.extrl_i64_i32(lo, v);
        ctx.b.extrh_i64_i32(hi, v);
        ctx.set_reg(rt, lo);
        ctx.set_reg(rt2, hi);
    } else {
        let v = ctx.load(addr, MemOp::size_log2(size).aligned());
        ctx.b.mov_i64(ga, a64);
        ctx.b.extu_i32_i64(gv, v);
        ctx.set_reg(rt, v);
    }
    Ok(())
}

/// STREX{B,H,,D}: status to `rd`.
pub fn strex(ctx: &mut Ctx, size: u32, rd: usize, rt: usize, rt2: usize, rn: usize, imm: u32) -> R {
    if rd == 15
        || rt == 15
        || rn == 15
        || rd == rn
        || rd == rt
        || (size == 3 && (rt2 == 15 || rd == rt2))
    {
        return Err(Undef);
    }
    let b = ctx.reg(rn);
    let addr = ctx.addi(b, imm);
    let a64 = ctx.addr64(addr);
    let v = ctx.b.temp_i64();
    if size == 3 {
        let (lo, hi) = (ctx.reg(rt), ctx.reg(rt2));
        let (l64, h64) = (ctx.b.temp_i64(), ctx.b.temp_i64());
        ctx.b.extu_i32_i64(l64, lo);
        ctx.b.extu_i32_i64(h64, hi);
        ctx.b.deposit_i64(v, l64, h64, 32, 32);
    } else {
        let t = ctx.reg(rt);
        ctx.b.extu_i32_i64(v, t);
    }
    // Big-endian data: the monitor compares and stores memory images.
    let (ga, gv) = (ctx.b.global(G_EXCL_ADDR), ctx.b.global(G_EXCL_VAL));
    let (vv, ev) = if ctx.be && size > 0 {
        let (x, y) = (ctx.b.temp_i64(), ctx.b.temp_i64());
        match size {
            1 => {
                ctx.b.bswap16_i64(x, v);
                ctx.b.bswap16_i64(y, gv);
            }
            2 => {
                ctx.b.bswap32_i64(x, v);
                ctx.b.bswap32_i64(y, gv);
            }
            _ => {
                ctx.b.bswap64_i64(x, v);
                ctx.b.bswap64_i64(y, gv);
            }
        }
        (x, y)
    } else {
        (v, gv)
    };
    let sz = ctx.b.const_i64(size as u64);
    let st = ctx.b.temp_i64();
    ctx.b.call(
        &target_aarch64::helpers::HELPER_STXR,
        Some(st),
        &[a64, ga, ev, vv, sz],
    );
    clear_monitor(ctx);
    let s32 = ctx.b.temp_i32();
    ctx.b.extrl_i64_i32(s32, st);
    ctx.set_reg(rd, s32);
    Ok(())
}

/// SWP/SWPB (deprecated but still in ARMv7 when enabled): an atomic exchange.
pub fn swp(ctx: &mut Ctx, byte: bool, rt: usize, rt2: usize, rn: usize) -> R {
    if rt == 15 || rt2 == 15 || rn == 15 || rn == rt || rn == rt2 {
        return Err(Undef);
    }
    let b = ctx.reg(rn);
    let a64 = ctx.addr64(b);
    let v = ctx.reg(rt2);
    let v64 = ctx.b.temp_i64();
    ctx.b.extu_i32_i64(v64, v);
    let sz = ctx.b.const_i64(if byte { 0 } else { 2 });
    let old = ctx.b.temp_i64();
    ctx.b
        .call(&crate::helpers::HELPER_SWP, Some(old), &[a64, v64, sz]);
    let o = ctx.b.temp_i32();
    ctx.b.extrl_i64_i32(o, old);
    ctx.set_reg(rt, o);
    Ok(())
}
