//! Exclusives (LDXR/STXR families incl. pairs), acquire/release (LDAR,
//! STLR, LDLAR, STLLR, LDAPR) and the LSE atomics (CAS, CASP, LDADD ...
//! SWP). The monitor is the `excl_addr`/`excl_val` globals; STXR and the LSE
//! operations are helpers doing host atomics on guest memory, so guest
//! threads on host threads see single-copy atomicity.
//!
//! Alignment (user mode; `Ctx::check_align`): exclusives must be aligned
//! to their whole size (a pair to both registers'); acquire/release and
//! atomic accesses too without FEAT_LSE2, and with it must not cross a
//! 16-byte boundary (Linux leaves SCTLR_EL1.nAA clear). Otherwise SIGBUS
//! with BUS_ADRALN at the instruction.

use super::super::{Align, Ctx};
use crate::cpu::{G_EXCL_ADDR, G_EXCL_VAL, G_EXCL_VAL2};
use crate::decode::{Insn, Undef};
use crate::helpers;
use tcg::ir::{MemOp, Temp};

type R = Result<(), Undef>;

fn clear_monitor(ctx: &mut Ctx) {
    let g = ctx.b.global(G_EXCL_ADDR);
    ctx.b.movi_i64(g, u64::MAX);
}

/// The exclusive / ordered / compare-and-swap group.
pub fn excl(ctx: &mut Ctx, i: Insn) -> R {
    let size = i.bits(31, 30);
    let load = i.bit(22);
    match (i.bit(23), i.bit(21)) {
        (false, false) => {
            if load {
                ldxr(ctx, i, size)
            } else {
                stxr(ctx, i, size)
            }
        }
        (false, true) if size >= 2 => {
            if load {
                ldxp(ctx, i, size)
            } else {
                stxp(ctx, i, size)
            }
        }
        (false, true) => casp(ctx, i, size),
        (true, false) => {
            let addr = ctx.x_sp(i.rn());
            let al = ctx.atomic_align();
            ctx.check_align(addr, 1 << size, al);
            let m = ctx.system_aligned(MemOp::size_log2(size));
            if load {
                // LDAR / LDLAR: loads are acquire on the host.
                let v = ctx.load(addr, m);
                ctx.set_x(i.rt(), v);
            } else {
                // STLR / STLLR: the store, then a full barrier so a later
                // LDAR cannot pass it (RCsc).
                let v = ctx.x(i.rt());
                ctx.store(v, addr, m);
                ctx.b.call(&helpers::HELPER_MB, None, &[]);
            }
            Ok(())
        }
        (true, true) => cas(ctx, i, size),
    }
}

fn ldxr(ctx: &mut Ctx, i: Insn, size: u32) -> R {
    let base = ctx.x_sp(i.rn());
    let addr = ctx.b.temp_i64();
    ctx.b.mov_i64(addr, base);
    ctx.check_align(addr, 1 << size, Align::Natural);
    let v = ctx.load(addr, MemOp::size_log2(size).aligned());
    let (ga, gv) = (ctx.b.global(G_EXCL_ADDR), ctx.b.global(G_EXCL_VAL));
    ctx.b.mov_i64(ga, addr);
    ctx.b.mov_i64(gv, v);
    ctx.set_x(i.rt(), v);
    Ok(())
}

/// Calls the STXR helper for a `1 << size`-byte value; returns the status.
fn store_exclusive(ctx: &mut Ctx, addr: Temp, v: Temp, size: u32) -> Temp {
    let (ga, gv) = (ctx.b.global(G_EXCL_ADDR), ctx.b.global(G_EXCL_VAL));
    let sz = ctx.b.const_i64(size as u64);
    let st = ctx.b.temp_i64();
    ctx.b
        .call(&helpers::HELPER_STXR, Some(st), &[addr, ga, gv, v, sz]);
    st
}

fn stxr(ctx: &mut Ctx, i: Insn, size: u32) -> R {
    let base = ctx.x_sp(i.rn());
    let addr = ctx.b.temp_i64();
    ctx.b.mov_i64(addr, base);
    ctx.check_align(addr, 1 << size, Align::Natural);
    let v = ctx.x(i.rt());
    let st = store_exclusive(ctx, addr, v, size);
    clear_monitor(ctx);
    ctx.set_x(i.rs(), st);
    Ok(())
}

fn ldxp(ctx: &mut Ctx, i: Insn, size: u32) -> R {
    let base = ctx.x_sp(i.rn());
    let addr = ctx.b.temp_i64();
    ctx.b.mov_i64(addr, base);
    // A pair must be aligned to its total size.
    ctx.check_align(addr, 2 << size, Align::Natural);
    let (ga, gv, gv2) = (
        ctx.b.global(G_EXCL_ADDR),
        ctx.b.global(G_EXCL_VAL),
        ctx.b.global(G_EXCL_VAL2),
    );
    if size == 2 {
        // Two words: one 8-byte access.
        let v = ctx.load(addr, MemOp::UQ.aligned());
        ctx.b.mov_i64(ga, addr);
        ctx.b.mov_i64(gv, v);
        let (lo, hi) = (ctx.b.temp_i64(), ctx.b.temp_i64());
        ctx.b.ext32u_i64(lo, v);
        ctx.b.shri_i64(hi, v, 32);
        ctx.set_x(i.rt(), lo);
        ctx.set_x(i.rt2(), hi);
    } else {
        let lo = ctx.load(addr, MemOp::UQ.aligned());
        let a2 = ctx.b.temp_i64();
        ctx.b.addi_i64(a2, addr, 8);
        let hi = ctx.load(a2, MemOp::UQ);
        ctx.b.mov_i64(ga, addr);
        ctx.b.mov_i64(gv, lo);
        ctx.b.mov_i64(gv2, hi);
        ctx.set_x(i.rt(), lo);
        ctx.set_x(i.rt2(), hi);
    }
    Ok(())
}

fn stxp(ctx: &mut Ctx, i: Insn, size: u32) -> R {
    let base = ctx.x_sp(i.rn());
    let addr = ctx.b.temp_i64();
    ctx.b.mov_i64(addr, base);
    ctx.check_align(addr, 2 << size, Align::Natural);
    let lo = ctx.x(i.rt());
    let hi = ctx.x(i.rt2());
    let st = if size == 2 {
        let v = ctx.b.temp_i64();
        ctx.b.deposit_i64(v, lo, hi, 32, 32);
        store_exclusive(ctx, addr, v, 3)
    } else {
        let st = ctx.b.temp_i64();
        ctx.b
            .call(&helpers::HELPER_STXP128, Some(st), &[addr, lo, hi]);
        st
    };
    clear_monitor(ctx);
    ctx.set_x(i.rs(), st);
    Ok(())
}

fn cas(ctx: &mut Ctx, i: Insn, size: u32) -> R {
    if !ctx.features.lse {
        return Err(Undef);
    }
    let addr = ctx.x_sp(i.rn());
    let al = ctx.atomic_align();
    ctx.check_align(addr, 1 << size, al);
    let exp = ctx.x(i.rs());
    let new = ctx.x(i.rt());
    let sz = ctx.b.const_i64(size as u64);
    let old = ctx.b.temp_i64();
    ctx.b
        .call(&helpers::HELPER_CAS, Some(old), &[addr, exp, new, sz]);
    ctx.set_x(i.rs(), old);
    Ok(())
}

fn casp(ctx: &mut Ctx, i: Insn, size: u32) -> R {
    let (rs, rt) = (i.rs(), i.rt());
    if !ctx.features.lse || rs & 1 != 0 || rt & 1 != 0 {
        return Err(Undef);
    }
    let addr = ctx.x_sp(i.rn());
    let al = ctx.atomic_align();
    ctx.check_align(addr, 8 << size, al);
    if size == 0 {
        // Two words: one 8-byte compare-and-swap.
        let (s0, s1, t0, t1) = (ctx.x(rs), ctx.x(rs + 1), ctx.x(rt), ctx.x(rt + 1));
        let (exp, new) = (ctx.b.temp_i64(), ctx.b.temp_i64());
        ctx.b.deposit_i64(exp, s0, s1, 32, 32);
        ctx.b.deposit_i64(new, t0, t1, 32, 32);
        let sz = ctx.b.const_i64(3);
        let old = ctx.b.temp_i64();
        ctx.b
            .call(&helpers::HELPER_CAS, Some(old), &[addr, exp, new, sz]);
        let (lo, hi) = (ctx.b.temp_i64(), ctx.b.temp_i64());
        ctx.b.ext32u_i64(lo, old);
        ctx.b.shri_i64(hi, old, 32);
        ctx.set_x(rs, lo);
        ctx.set_x(rs + 1, hi);
    } else {
        let a = ctx.b.temp_i64();
        ctx.b.mov_i64(a, addr);
        let (cs, ct) = (ctx.b.const_i64(rs as u64), ctx.b.const_i64(rt as u64));
        ctx.b.call(&helpers::HELPER_CASP128, None, &[a, cs, ct]);
    }
    Ok(())
}

/// The atomic memory operations group: LDADD..LDUMIN, SWP, LDAPR.
pub fn atomic(ctx: &mut Ctx, i: Insn) -> R {
    let size = i.bits(31, 30);
    let o3 = i.bit(15);
    let opc = i.bits(14, 12);
    let addr = ctx.x_sp(i.rn());
    if o3 && opc == 4 && i.bits(23, 22) == 2 && i.rs() == 31 {
        // LDAPR
        if !ctx.features.rcpc {
            return Err(Undef);
        }
        let al = ctx.atomic_align();
        ctx.check_align(addr, 1 << size, al);
        let m = ctx.system_aligned(MemOp::size_log2(size));
        let v = ctx.load(addr, m);
        ctx.set_x(i.rt(), v);
        return Ok(());
    }
    if !ctx.features.lse || (o3 && opc != 0) {
        return Err(Undef);
    }
    let kind = if o3 {
        helpers::ATOMIC_SWP
    } else {
        (opc as u64) << 4
    } | size as u64;
    let al = ctx.atomic_align();
    ctx.check_align(addr, 1 << size, al);
    let v = ctx.x(i.rs());
    let k = ctx.b.const_i64(kind);
    let old = ctx.b.temp_i64();
    ctx.b
        .call(&helpers::HELPER_ATOMIC_RMW, Some(old), &[addr, v, k]);
    ctx.set_x(i.rt(), old);
    Ok(())
}

/// LDAPUR*/STLUR* (FEAT_LRCPC2): acquire/release with an unscaled signed
/// 9-bit offset and no writeback. Sizes and sign extension as LDUR/STUR
/// (LDAPURSB/SH/SW); the forms LDUR would use for prefetch or that have no
/// 32-bit sign-extending variant are unallocated. Alignment as LDAR's.
pub fn ldapur_stlur(ctx: &mut Ctx, i: Insn) -> R {
    if !ctx.features.lrcpc2 {
        return Err(Undef);
    }
    let (size, opc) = (i.bits(31, 30), i.bits(23, 22));
    if size == 3 && opc >= 2 {
        return Err(Undef);
    }
    let k = super::kind(size, opc)?;
    let base = ctx.x_sp(i.rn());
    let addr = ctx.b.temp_i64();
    ctx.b.addi_i64(addr, base, i.sbits(20, 12) as u64);
    let bytes = match k {
        super::Kind::Load(m, _) | super::Kind::Store(m) => m.bytes() as u64,
        super::Kind::Prefetch => return Err(Undef),
    };
    let al = ctx.atomic_align();
    ctx.check_align(addr, bytes, al);
    match k {
        super::Kind::Load(m, sf) => {
            // Load-AcquirePC: host loads are acquire.
            let v = ctx.load(addr, ctx.system_aligned(m));
            ctx.set_x_sf(i.rt(), sf, v);
        }
        super::Kind::Store(m) => {
            // Store-release, ordered before a later LDAR as STLR is.
            let v = ctx.x(i.rt());
            let m = ctx.system_aligned(m);
            ctx.store(v, addr, m);
            ctx.b.call(&helpers::HELPER_MB, None, &[]);
        }
        super::Kind::Prefetch => return Err(Undef),
    }
    Ok(())
}
