//! A64 encoding group: branches, exception generating and system
//! instructions. SVC/BRK/HLT, hints (all NOPs, including the BTI and
//! pointer-authentication hint-space forms), barriers, CFINV/XAFLAG/AXFLAG,
//! MRS/MSR of the registers EL0 may touch, DC ZVA and the cache maintenance
//! operations (NOPs). Everything else here is UNDEF, as Linux makes it at EL0.

use super::Ctx;
use crate::cpu::{
    excp, G_CF, G_EXCL_ADDR, G_NF, G_VF, G_ZF, OFF_FPCR, OFF_FPSR, OFF_TPIDRRO_EL0, OFF_TPIDR_EL0,
};
use crate::decode::{pat, Insn, Pattern, Undef};
use crate::{flags, helpers, model};
use tcg::ir::{Cond, MemOp, Temp};

pub static PATTERNS: &[Pattern] = &[
    pat("exception", "11010100 opc:3 imm16:16 op2:3 ll:2", exception),
    pat("hint", "11010101000000110010 crm:4 op2:3 11111", hint),
    pat("barrier", "11010101000000110011 crm:4 op2:3 11111", barrier),
    pat(
        "msr_imm",
        "1101010100000 op1:3 0100 crm:4 op2:3 11111",
        msr_imm,
    ),
    pat("sys", "1101010100 l:1 01 op1:3 crn:4 crm:4 op2:3 rt:5", sys),
    pat(
        "mrs_msr",
        "1101010100 l:1 1 o0:1 op1:3 crn:4 crm:4 op2:3 rt:5",
        mrs_msr,
    ),
];

type R = Result<(), Undef>;

/// FPCR bits that exist without trapped FP exceptions: AHP, DN, FZ, RMode, FZ16.
const FPCR_MASK: u64 = 0x07c8_0000;
/// FPSR cumulative bits: QC, IDC, IXC, UFC, OFC, DZC, IOC.
const FPSR_MASK: u64 = 0x0800_009f;

fn exception(ctx: &mut Ctx, i: Insn) -> R {
    let imm = i.bits(20, 5) as u64;
    match (i.bits(23, 21), i.bits(4, 0)) {
        (0, 1) => ctx.exit_with(excp::SVC, ctx.pc.wrapping_add(4), imm),
        (1, 0) => ctx.exit_with(excp::BRK, ctx.pc, imm),
        (2, 0) => ctx.exit_with(excp::HLT, ctx.pc, imm),
        (0, 2) if ctx.system() => return super::privileged::hvc(ctx, imm),
        // HVC, SMC, DCPS*, TSTART...: not available at EL0.
        _ => return Err(Undef),
    }
    Ok(())
}

fn hint(ctx: &mut Ctx, i: Insn) -> R {
    if ctx.system() && i.bits(11, 8) == 0 && matches!(i.bits(7, 5), 2 | 3) {
        super::privileged::wfx(ctx, i.bits(7, 5) == 3);
        return Ok(());
    }
    // NOP, YIELD, WFE, WFI, SEV, SEVL, DGH, ESB, CSDB, BTI, and the PAC
    // hint-space forms (PACIASP, AUTIASP, XPACLRI...): with PAC not
    // implemented they are all NOPs, as unallocated hints are.
    Ok(())
}

fn barrier(ctx: &mut Ctx, i: Insn) -> R {
    let crm = i.bits(11, 8);
    match i.bits(7, 5) {
        2 => {
            // CLREX
            let g = ctx.b.global(G_EXCL_ADDR);
            ctx.b.movi_i64(g, u64::MAX);
        }
        4 | 5 => {
            // DSB / DMB. On a TSO host only store->load order needs a fence:
            // skip it for the load-only (LD) and store-only (ST) domains.
            let types = crm & 3;
            if types == 3 || (i.bits(7, 5) == 4 && crm == 0) {
                ctx.b.call(&helpers::HELPER_MB, None, &[]);
            }
        }
        6 => {} // ISB: blocks are re-translated on code change anyway.
        7 if crm == 0 && ctx.features.sb => {} // SB: nothing speculates here
        _ => return Err(Undef),
    }
    Ok(())
}

fn flag_bits(ctx: &mut Ctx) -> (Temp, Temp, Temp, Temp) {
    let n = ctx.b.temp_i64();
    let gn = ctx.b.global(G_NF);
    ctx.b.shri_i64(n, gn, 63);
    let z = ctx.b.temp_i64();
    let gz = ctx.b.global(G_ZF);
    let zero = ctx.b.const_i64(0);
    ctx.b.setcond_i64(z, gz, zero, Cond::Eq);
    let c = ctx.b.temp_i64();
    let gc = ctx.b.global(G_CF);
    ctx.b.mov_i64(c, gc);
    let v = ctx.b.temp_i64();
    let gv = ctx.b.global(G_VF);
    ctx.b.shri_i64(v, gv, 63);
    (n, z, c, v)
}

/// Writes flags given as 0/1 temps.
fn set_flag_bits(ctx: &mut Ctx, n: Temp, z: Temp, c: Temp, v: Temp) {
    let one = ctx.b.const_i64(1);
    let gn = ctx.b.global(G_NF);
    ctx.b.neg_i64(gn, n);
    let gz = ctx.b.global(G_ZF);
    ctx.b.xor_i64(gz, z, one);
    let gc = ctx.b.global(G_CF);
    ctx.b.mov_i64(gc, c);
    let gv = ctx.b.global(G_VF);
    ctx.b.neg_i64(gv, v);
}

fn msr_imm(ctx: &mut Ctx, i: Insn) -> R {
    if ctx.system() && !(i.bits(18, 16) == 0 && i.bits(7, 5) <= 2) {
        return super::privileged::msr_imm(ctx, i.bits(18, 16), i.bits(7, 5), i.bits(11, 8));
    }
    if i.bits(18, 16) != 0 || i.bits(11, 8) != 0 || !ctx.features.flagm {
        // PSTATE fields (DAIF, SPSel, PAN, UAO, SSBS, DIT, TCO...) are not
        // writable at EL0 (or not implemented).
        return Err(Undef);
    }
    if i.bits(7, 5) != 0 && !ctx.features.flagm2 {
        return Err(Undef);
    }
    match i.bits(7, 5) {
        0 => {
            // CFINV
            let gc = ctx.b.global(G_CF);
            let one = ctx.b.const_i64(1);
            ctx.b.xor_i64(gc, gc, one);
        }
        1 => {
            // XAFLAG
            let (_, z, c, _) = flag_bits(ctx);
            let one = ctx.b.const_i64(1);
            let nc = ctx.b.temp_i64();
            ctx.b.xor_i64(nc, c, one);
            let nz = ctx.b.temp_i64();
            ctx.b.xor_i64(nz, z, one);
            let n2 = ctx.b.temp_i64();
            ctx.b.and_i64(n2, nc, nz);
            let z2 = ctx.b.temp_i64();
            ctx.b.and_i64(z2, z, c);
            let c2 = ctx.b.temp_i64();
            ctx.b.or_i64(c2, c, z);
            let v2 = ctx.b.temp_i64();
            ctx.b.and_i64(v2, nc, z);
            set_flag_bits(ctx, n2, z2, c2, v2);
        }
        2 => {
            // AXFLAG
            let (_, z, c, v) = flag_bits(ctx);
            let zero = ctx.b.const_i64(0);
            let z2 = ctx.b.temp_i64();
            ctx.b.or_i64(z2, z, v);
            let c2 = ctx.b.temp_i64();
            ctx.b.andc_i64(c2, c, v);
            set_flag_bits(ctx, zero, z2, c2, zero);
        }
        _ => return Err(Undef),
    }
    Ok(())
}

fn sys(ctx: &mut Ctx, i: Insn) -> R {
    if i.bit(21) {
        return Err(Undef); // SYSL
    }
    let key = (i.bits(18, 16), i.bits(15, 12), i.bits(11, 8), i.bits(7, 5));
    match key {
        (3, 7, 4, 1) => {
            // DC ZVA: zero the aligned 64-byte block.
            let a = ctx.x(i.rt());
            let base = ctx.b.temp_i64();
            ctx.b.andi_i64(base, a, !(model::ZVA_BYTES - 1));
            let zero = ctx.b.const_i64(0);
            for k in 0..model::ZVA_BYTES / 8 {
                let p = ctx.b.temp_i64();
                ctx.b.addi_i64(p, base, k * 8);
                ctx.store(zero, p, MemOp::UQ);
            }
        }
        // DC CVAC, CVAU, CVAP, CVADP, CIVAC; IC IVAU: coherent by
        // construction (code changes are caught by page protection).
        (3, 7, 10..=14, 1) | (3, 7, 5, 1) => {}
        (op1, crn, crm, op2) if ctx.system() => {
            return super::privileged::sys(ctx, op1, crn, crm, op2, i.rt())
        }
        _ => return Err(Undef),
    }
    Ok(())
}

fn mrs_msr(ctx: &mut Ctx, i: Insn) -> R {
    let read = i.bit(21);
    let op0 = 2 + i.bits(19, 19);
    let key = (
        op0,
        i.bits(18, 16),
        i.bits(15, 12),
        i.bits(11, 8),
        i.bits(7, 5),
    );
    let rt = i.rt();
    if ctx.system() {
        let k = crate::system::regs::key(key.0, key.1, key.2, key.3, key.4);
        if super::privileged::mrs_msr(ctx, read, k, rt).is_ok() {
            return Ok(());
        }
        if !read && key == (3, 3, 13, 0, 3) && ctx.el() == 1 {
            // TPIDRRO_EL0 is writable at EL1.
            let v = ctx.x(rt);
            env_write(ctx, OFF_TPIDRRO_EL0, v, u64::MAX);
            return Ok(());
        }
    }
    let model = model::model_of(ctx.features);
    if read {
        let v = match key {
            (3, 3, 4, 2, 0) => flags::read_nzcv(ctx),
            (3, 3, 4, 4, 0) => env_read(ctx, OFF_FPCR),
            (3, 3, 4, 4, 1) => env_read(ctx, OFF_FPSR),
            (3, 3, 13, 0, 2) => env_read(ctx, OFF_TPIDR_EL0),
            (3, 3, 13, 0, 3) => env_read(ctx, OFF_TPIDRRO_EL0),
            (3, 3, 0, 0, 1) => ctx.b.const_i64(model.ctr),
            (3, 3, 0, 0, 7) => ctx.b.const_i64(model::DCZID),
            (3, 3, 14, 0, 0) => ctx.b.const_i64(helpers::CNTFRQ),
            (3, 3, 14, 0, 2) => {
                let t = ctx.b.temp_i64();
                ctx.b.call(&helpers::HELPER_CNTVCT, Some(t), &[]);
                t
            }
            (3, 0, 0, crm, op2) => {
                let v = model.id_reg(crm, op2).ok_or(Undef)?;
                ctx.b.const_i64(v)
            }
            _ => return Err(Undef),
        };
        ctx.set_x(rt, v);
        return Ok(());
    }
    let v = ctx.x(rt);
    match key {
        (3, 3, 4, 2, 0) => flags::write_nzcv(ctx, v),
        (3, 3, 4, 4, 0) => env_write(ctx, OFF_FPCR, v, FPCR_MASK),
        (3, 3, 4, 4, 1) => env_write(ctx, OFF_FPSR, v, FPSR_MASK),
        (3, 3, 13, 0, 2) => env_write(ctx, OFF_TPIDR_EL0, v, u64::MAX),
        _ => return Err(Undef),
    }
    Ok(())
}

fn env_read(ctx: &mut Ctx, off: u32) -> Temp {
    let t = ctx.b.temp_i64();
    ctx.b.ld_env_i64(t, off, MemOp::UQ);
    t
}

fn env_write(ctx: &mut Ctx, off: u32, v: Temp, mask: u64) {
    if mask == u64::MAX {
        ctx.b.st_env_i64(v, off, MemOp::UQ);
    } else {
        let t = ctx.b.temp_i64();
        ctx.b.andi_i64(t, v, mask);
        ctx.b.st_env_i64(t, off, MemOp::UQ);
    }
}
