//! The A32 decode table (ARM ARM A5: the top-level groups by op1, then
//! each group's forms). Handlers extract fields and call the shared
//! semantics; the condition field is applied by the block loop.

use super::dp::{self, Op};
use super::{branch, ldst, media, mul, system, Ctx};
use crate::decode::{pat, Insn, Pattern, Undef};
use tcg::ir::MemOp;

type R = Result<(), Undef>;

/// The unconditional space (cond = 1111).
pub static UNCOND: &[Pattern] = &[
    pat("clrex", "1111 0101 0111 1111 1111 0000 0001 1111", clrex),
    pat("dsb", "1111 0101 0111 1111 1111 0000 0100 opt:4", dmb),
    pat("dmb", "1111 0101 0111 1111 1111 0000 0101 opt:4", dmb),
    pat("isb", "1111 0101 0111 1111 1111 0000 0110 opt:4", isb),
    pat(
        "pld_pli",
        "1111 01 x x x x 01 rn:4 1111 xxxx xxxx xxxx",
        pld_pli,
    ),
    pat(
        "setend",
        "1111 0001 0000 0001 0000 00 e:1 0 0000 0000",
        setend,
    ),
    pat("blx_imm", "1111 101 h:1 imm24:24", blx_imm),
];

/// Conditional instructions (cond != 1111).
pub static PATTERNS: &[Pattern] = &[
    // ---- multiplies and synchronization (before the data-processing forms)
    pat("mul", "cond:4 0000 000 s:1 rd:4 0000 rm:4 1001 rn:4", mul_),
    pat("mla", "cond:4 0000 001 s:1 rd:4 ra:4 rm:4 1001 rn:4", mla),
    pat(
        "umaal",
        "cond:4 0000 0100 rdhi:4 rdlo:4 rm:4 1001 rn:4",
        umaal,
    ),
    pat("mls", "cond:4 0000 0110 rd:4 ra:4 rm:4 1001 rn:4", mls),
    pat(
        "mull",
        "cond:4 0000 1 u:1 a:1 s:1 rdhi:4 rdlo:4 rm:4 1001 rn:4",
        mull,
    ),
    pat("swp", "cond:4 0001 0 b:1 00 rn:4 rt:4 0000 1001 rt2:4", swp),
    pat(
        "ldrex",
        "cond:4 0001 1 sz:2 1 rn:4 rt:4 1111 1001 1111",
        ldrex,
    ),
    pat(
        "strex",
        "cond:4 0001 1 sz:2 0 rn:4 rd:4 1111 1001 rt:4",
        strex,
    ),
    // ---- extra loads/stores (halfword, signed, dual)
    pat(
        "ldst_extra",
        "cond:4 000 p:1 u:1 i:1 w:1 l:1 rn:4 rt:4 imm4h:4 1 op2:2 1 rm:4",
        ldst_extra,
    ),
    // ---- miscellaneous (op = 10xx0, bit 7 = 0) and halfword multiplies
    pat("mrs", "cond:4 0001 0000 1111 rd:4 0000 0000 0000", mrs),
    pat(
        "msr_reg",
        "cond:4 0001 0010 mask:2 00 1111 0000 0000 rn:4",
        msr_reg,
    ),
    pat("bx", "cond:4 0001 0010 1111 1111 1111 0001 rm:4", bx),
    pat(
        "blx_reg",
        "cond:4 0001 0010 1111 1111 1111 0011 rm:4",
        blx_reg,
    ),
    pat("clz", "cond:4 0001 0110 1111 rd:4 1111 0001 rm:4", clz),
    pat(
        "qaddsub",
        "cond:4 0001 0 op:2 0 rn:4 rd:4 0000 0101 rm:4",
        qaddsub,
    ),
    pat("bkpt", "cond:4 0001 0010 imm12:12 0111 imm4:4", bkpt),
    pat(
        "smlaxy",
        "cond:4 0001 0000 rd:4 ra:4 rm:4 1 m:1 n:1 0 rn:4",
        smlaxy,
    ),
    pat(
        "smlawy",
        "cond:4 0001 0010 rd:4 ra:4 rm:4 1 m:1 0 0 rn:4",
        smlawy,
    ),
    pat(
        "smulwy",
        "cond:4 0001 0010 rd:4 0000 rm:4 1 m:1 1 0 rn:4",
        smulwy,
    ),
    pat(
        "smlalxy",
        "cond:4 0001 0100 rdhi:4 rdlo:4 rm:4 1 m:1 n:1 0 rn:4",
        smlalxy,
    ),
    pat(
        "smulxy",
        "cond:4 0001 0110 rd:4 0000 rm:4 1 m:1 n:1 0 rn:4",
        smulxy,
    ),
    // ---- data processing
    pat(
        "dp_reg",
        "cond:4 000 opc:4 s:1 rn:4 rd:4 imm5:5 ty:2 0 rm:4",
        dp_reg,
    ),
    pat(
        "dp_rsr",
        "cond:4 000 opc:4 s:1 rn:4 rd:4 rs:4 0 ty:2 1 rm:4",
        dp_rsr,
    ),
    pat("movw", "cond:4 0011 0000 imm4:4 rd:4 imm12:12", movw),
    pat("movt", "cond:4 0011 0100 imm4:4 rd:4 imm12:12", movt),
    pat("hint", "cond:4 0011 0010 0000 1111 0000 op:8", hint),
    pat(
        "msr_imm",
        "cond:4 0011 0010 mask:2 00 1111 imm12:12",
        msr_imm,
    ),
    pat("dp_imm", "cond:4 001 opc:4 s:1 rn:4 rd:4 imm12:12", dp_imm),
    // ---- media (op1 = 011, bit 4 = 1)
    pat("udf", "cond:4 0111 1111 imm12:12 1111 imm4:4", udf),
    pat(
        "parallel",
        "cond:4 0110 0 pre:3 rn:4 rd:4 1111 op:3 1 rm:4",
        parallel,
    ),
    pat("pkh", "cond:4 0110 1000 rn:4 rd:4 imm5:5 tb:1 01 rm:4", pkh),
    pat(
        "sat",
        "cond:4 0110 1 u:1 1 sat:5 rd:4 imm5:5 sh:1 01 rn:4",
        sat,
    ),
    pat(
        "sat16",
        "cond:4 0110 1 u:1 10 sat:4 rd:4 1111 0011 rn:4",
        sat16,
    ),
    pat("sel", "cond:4 0110 1000 rn:4 rd:4 1111 1011 rm:4", sel),
    pat("rev", "cond:4 0110 1011 1111 rd:4 1111 0011 rm:4", rev),
    pat("rev16", "cond:4 0110 1011 1111 rd:4 1111 1011 rm:4", rev16),
    pat("rbit", "cond:4 0110 1111 1111 rd:4 1111 0011 rm:4", rbit),
    pat("revsh", "cond:4 0110 1111 1111 rd:4 1111 1011 rm:4", revsh),
    pat(
        "extend",
        "cond:4 0110 1 op:3 rn:4 rd:4 rot:2 00 0111 rm:4",
        extend,
    ),
    pat(
        "smlad",
        "cond:4 0111 0000 rd:4 ra:4 rm:4 0 sub:1 swap:1 1 rn:4",
        smlad,
    ),
    pat("sdiv", "cond:4 0111 0001 rd:4 1111 rm:4 0001 rn:4", sdiv),
    pat("udiv", "cond:4 0111 0011 rd:4 1111 rm:4 0001 rn:4", udiv),
    pat(
        "smlald",
        "cond:4 0111 0100 rdhi:4 rdlo:4 rm:4 0 sub:1 swap:1 1 rn:4",
        smlald,
    ),
    pat(
        "smmla",
        "cond:4 0111 0101 rd:4 ra:4 rm:4 00 r:1 1 rn:4",
        smmla,
    ),
    pat(
        "smmls",
        "cond:4 0111 0101 rd:4 ra:4 rm:4 11 r:1 1 rn:4",
        smmls,
    ),
    pat("usad8", "cond:4 0111 1000 rd:4 ra:4 rm:4 0001 rn:4", usad8),
    pat("bfi", "cond:4 0111 110 msb:5 rd:4 lsb:5 001 rn:4", bfi),
    pat("bfx", "cond:4 0111 1 u:1 1 wm1:5 rd:4 lsb:5 101 rn:4", bfx),
    // ---- loads and stores
    pat(
        "ldst_imm",
        "cond:4 010 p:1 u:1 b:1 w:1 l:1 rn:4 rt:4 imm12:12",
        ldst_imm,
    ),
    pat(
        "ldst_reg",
        "cond:4 011 p:1 u:1 b:1 w:1 l:1 rn:4 rt:4 imm5:5 ty:2 0 rm:4",
        ldst_reg,
    ),
    pat(
        "ldm_stm",
        "cond:4 100 p:1 u:1 0 w:1 l:1 rn:4 list:16",
        ldm_stm,
    ),
    // ---- branches, coprocessor, SVC
    pat("b", "cond:4 1010 imm24:24", b),
    pat("bl", "cond:4 1011 imm24:24", bl),
    pat(
        "mcr_mrc",
        "cond:4 1110 opc1:3 l:1 crn:4 rt:4 1111 opc2:3 1 crm:4",
        cp15,
    ),
    pat("svc", "cond:4 1111 imm24:24", svc),
];

fn clrex(ctx: &mut Ctx, _i: Insn) -> R {
    ldst::clrex(ctx)
}
fn dmb(ctx: &mut Ctx, _i: Insn) -> R {
    system::barrier(ctx, false)
}
fn isb(ctx: &mut Ctx, _i: Insn) -> R {
    system::barrier(ctx, true)
}
fn nop(_ctx: &mut Ctx, _i: Insn) -> R {
    Ok(())
}
fn setend(ctx: &mut Ctx, i: Insn) -> R {
    system::setend(ctx, i.bit(9))
}
fn blx_imm(ctx: &mut Ctx, i: Insn) -> R {
    let off = (i.sbits(23, 0) << 2) | (i.bit(24) as i32) << 1;
    branch::blx_imm(ctx, off)
}

fn mul_(ctx: &mut Ctx, i: Insn) -> R {
    mul::mul(ctx, i.bit(20), i.rn(), i.rm(), i.rs(), None)
}
fn mla(ctx: &mut Ctx, i: Insn) -> R {
    mul::mul(
        ctx,
        i.bit(20),
        i.rn(),
        i.rm(),
        i.rs(),
        Some((i.rd(), false)),
    )
}
fn mls(ctx: &mut Ctx, i: Insn) -> R {
    mul::mul(ctx, false, i.rn(), i.rm(), i.rs(), Some((i.rd(), true)))
}
fn umaal(ctx: &mut Ctx, i: Insn) -> R {
    mul::umaal(ctx, i.rd(), i.rn(), i.rm(), i.rs())
}
fn mull(ctx: &mut Ctx, i: Insn) -> R {
    mul::mull(
        ctx,
        i.bit(22),
        i.bit(21),
        i.bit(20),
        i.rd(),
        i.rn(),
        i.rm(),
        i.rs(),
    )
}
fn swp(ctx: &mut Ctx, i: Insn) -> R {
    ldst::swp(ctx, i.bit(22), i.rd(), i.rm(), i.rn())
}
/// sz: 0 word, 1 doubleword, 2 byte, 3 halfword.
fn excl_size(sz: u32) -> u32 {
    [2, 3, 0, 1][sz as usize]
}
fn ldrex(ctx: &mut Ctx, i: Insn) -> R {
    let size = excl_size(i.bits(22, 21));
    let rt = i.rd();
    if size == 3 && rt & 1 != 0 {
        return Err(Undef);
    }
    ldst::ldrex(ctx, size, rt, rt + 1, i.rn(), 0)
}
fn strex(ctx: &mut Ctx, i: Insn) -> R {
    let size = excl_size(i.bits(22, 21));
    let rt = i.rm();
    if size == 3 && rt & 1 != 0 {
        return Err(Undef);
    }
    ldst::strex(ctx, size, i.rd(), rt, rt + 1, i.rn(), 0)
}

fn ldst_extra(ctx: &mut Ctx, i: Insn) -> R {
    let op2 = i.bits(6, 5);
    let (p, u, imm, w, l) = (i.bit(24), i.bit(23), i.bit(22), i.bit(21), i.bit(20));
    if op2 == 0 {
        return Err(Undef);
    }
    if !p && w {
        // LDRHT etc. (unprivileged): the same as the plain forms in user mode.
    }
    let wb = !p || w;
    let off = if imm {
        ctx.b.const_i32(i.bits(11, 8) << 4 | i.bits(3, 0))
    } else {
        ctx.reg(i.rm())
    };
    let (rt, rn) = (i.rd(), i.rn());
    match (l, op2) {
        (false, 1) => ldst::single(ctx, false, MemOp::UW, rt, rn, off, u, p, wb),
        (true, 1) => ldst::single(ctx, true, MemOp::UW, rt, rn, off, u, p, wb),
        (true, 2) => ldst::single(ctx, true, MemOp::SB, rt, rn, off, u, p, wb),
        (true, 3) => ldst::single(ctx, true, MemOp::SW, rt, rn, off, u, p, wb),
        (load, _) => {
            // LDRD (op2 = 2, L = 0) / STRD (op2 = 3, L = 0)
            if rt & 1 != 0 || load {
                return Err(Undef);
            }
            ldst::dual(ctx, op2 == 2, rt, rt + 1, rn, off, u, p, wb)
        }
    }
}

fn mrs(ctx: &mut Ctx, i: Insn) -> R {
    system::mrs(ctx, i.rd())
}
fn msr_reg(ctx: &mut Ctx, i: Insn) -> R {
    let v = ctx.reg(i.rm());
    system::msr(ctx, i.bits(19, 18), v)
}
fn msr_imm(ctx: &mut Ctx, i: Insn) -> R {
    let (v, _) = dp::a32_imm(ctx, i.bits(11, 0), false);
    system::msr(ctx, i.bits(19, 18), v)
}
fn bx(ctx: &mut Ctx, i: Insn) -> R {
    branch::bx(ctx, i.rm(), false)
}
fn blx_reg(ctx: &mut Ctx, i: Insn) -> R {
    branch::bx(ctx, i.rm(), true)
}
fn clz(ctx: &mut Ctx, i: Insn) -> R {
    media::clz(ctx, i.rd(), i.rm())
}
fn qaddsub(ctx: &mut Ctx, i: Insn) -> R {
    mul::qaddsub(ctx, i.bits(22, 21), i.rd(), i.rn(), i.rm())
}
fn bkpt(ctx: &mut Ctx, i: Insn) -> R {
    system::bkpt(ctx, i.bits(19, 8) << 4 | i.bits(3, 0))
}
fn smlaxy(ctx: &mut Ctx, i: Insn) -> R {
    mul::smulxy(
        ctx,
        i.rn(),
        i.rm(),
        i.rs(),
        Some(i.rd()),
        i.bit(5),
        i.bit(6),
    )
}
fn smulxy(ctx: &mut Ctx, i: Insn) -> R {
    mul::smulxy(ctx, i.rn(), i.rm(), i.rs(), None, i.bit(5), i.bit(6))
}
fn smlawy(ctx: &mut Ctx, i: Insn) -> R {
    mul::smulwy(ctx, i.rn(), i.rm(), i.rs(), Some(i.rd()), i.bit(6))
}
fn smulwy(ctx: &mut Ctx, i: Insn) -> R {
    mul::smulwy(ctx, i.rn(), i.rm(), i.rs(), None, i.bit(6))
}
fn smlalxy(ctx: &mut Ctx, i: Insn) -> R {
    mul::smlalxy(ctx, i.rd(), i.rn(), i.rm(), i.rs(), i.bit(5), i.bit(6))
}

fn dp_op(ctx: &mut Ctx, i: Insn, op2: tcg::ir::Temp, c: Option<tcg::ir::Temp>) -> R {
    let op = Op::a32(i.bits(24, 21));
    let s = i.bit(20);
    if op.test_only() && !s {
        return Err(Undef);
    }
    let a = if matches!(op, Op::Mov | Op::Mvn) {
        op2
    } else {
        ctx.reg(i.rn())
    };
    dp::alu(ctx, op, s, i.rd(), a, op2, c)
}
fn dp_reg(ctx: &mut Ctx, i: Insn) -> R {
    let want = i.bit(20) && Op::a32(i.bits(24, 21)).logical();
    let v = ctx.reg(i.rm());
    let (op2, c) = dp::shift_imm(ctx, v, i.bits(6, 5), i.bits(11, 7), want);
    dp_op(ctx, i, op2, c)
}
fn dp_rsr(ctx: &mut Ctx, i: Insn) -> R {
    if i.rd() == 15 || i.rm() == 15 || i.rs() == 15 || i.rn() == 15 {
        return Err(Undef);
    }
    let want = i.bit(20) && Op::a32(i.bits(24, 21)).logical();
    let v = ctx.reg(i.rm());
    let amt = ctx.reg(i.rs());
    let (op2, c) = dp::shift_reg(ctx, v, i.bits(6, 5), amt, want);
    dp_op(ctx, i, op2, c)
}
fn dp_imm(ctx: &mut Ctx, i: Insn) -> R {
    let want = i.bit(20) && Op::a32(i.bits(24, 21)).logical();
    let (op2, c) = dp::a32_imm(ctx, i.bits(11, 0), want);
    dp_op(ctx, i, op2, c)
}
fn movw(ctx: &mut Ctx, i: Insn) -> R {
    if i.rd() == 15 {
        return Err(Undef);
    }
    let v = ctx.b.const_i32(i.bits(19, 16) << 12 | i.bits(11, 0));
    ctx.set_reg(i.rd(), v);
    Ok(())
}
fn movt(ctx: &mut Ctx, i: Insn) -> R {
    if i.rd() == 15 {
        return Err(Undef);
    }
    let d = ctx.reg(i.rd());
    let hi = ctx.b.const_i32(i.bits(19, 16) << 12 | i.bits(11, 0));
    let r = ctx.b.temp_i32();
    ctx.b.deposit_i32(r, d, hi, 16, 16);
    ctx.set_reg(i.rd(), r);
    Ok(())
}
fn hint(ctx: &mut Ctx, i: Insn) -> R {
    system::hint(ctx, i.bits(7, 0))
}
/// PLD, PLDW, PLI (and the unallocated hints that behave as NOPs): no
/// effect in user mode. The register forms have bit 4 = 0; with bit 4 set
/// the encoding is unallocated (UNDEFINED).
fn pld_pli(ctx: &mut Ctx, i: Insn) -> R {
    if i.bit(25) && i.bit(4) {
        return Err(Undef);
    }
    nop(ctx, i)
}

fn udf(ctx: &mut Ctx, _i: Insn) -> R {
    let _ = ctx;
    Err(Undef)
}
fn parallel(ctx: &mut Ctx, i: Insn) -> R {
    media::parallel(ctx, i.bits(22, 20), i.bits(7, 5), i.rd(), i.rn(), i.rm())
}
fn pkh(ctx: &mut Ctx, i: Insn) -> R {
    media::pkh(ctx, i.bit(6), i.rd(), i.rn(), i.rm(), i.bits(11, 7))
}
fn sat(ctx: &mut Ctx, i: Insn) -> R {
    let u = i.bit(22);
    let bits = i.bits(20, 16) + u32::from(!u);
    mul::sat(
        ctx,
        u,
        bits,
        i.rd(),
        i.rm(),
        if i.bit(6) { 2 } else { 0 },
        i.bits(11, 7),
    )
}
fn sat16(ctx: &mut Ctx, i: Insn) -> R {
    let u = i.bit(22);
    let bits = i.bits(19, 16) + u32::from(!u);
    mul::sat16(ctx, u, bits, i.rd(), i.rm())
}
fn sel(ctx: &mut Ctx, i: Insn) -> R {
    media::sel(ctx, i.rd(), i.rn(), i.rm())
}
fn rev(ctx: &mut Ctx, i: Insn) -> R {
    media::rev(ctx, 0, i.rd(), i.rm())
}
fn rev16(ctx: &mut Ctx, i: Insn) -> R {
    media::rev(ctx, 1, i.rd(), i.rm())
}
fn rbit(ctx: &mut Ctx, i: Insn) -> R {
    media::rev(ctx, 2, i.rd(), i.rm())
}
fn revsh(ctx: &mut Ctx, i: Insn) -> R {
    media::rev(ctx, 3, i.rd(), i.rm())
}
fn extend(ctx: &mut Ctx, i: Insn) -> R {
    media::extend(ctx, i.bits(22, 20), i.rd(), i.rn(), i.rm(), i.bits(11, 10))
}
fn smlad(ctx: &mut Ctx, i: Insn) -> R {
    let ra = i.rd();
    let ra = (ra != 15).then_some(ra);
    mul::dual16(ctx, i.rn(), i.rm(), i.rs(), ra, i.bit(5), i.bit(6), None)
}
fn smlald(ctx: &mut Ctx, i: Insn) -> R {
    mul::dual16(
        ctx,
        0,
        i.rm(),
        i.rs(),
        None,
        i.bit(5),
        i.bit(6),
        Some((i.rd(), i.rn())),
    )
}
fn sdiv(ctx: &mut Ctx, i: Insn) -> R {
    mul::div(ctx, true, i.rn(), i.rm(), i.rs())
}
fn udiv(ctx: &mut Ctx, i: Insn) -> R {
    mul::div(ctx, false, i.rn(), i.rm(), i.rs())
}
fn smmla(ctx: &mut Ctx, i: Insn) -> R {
    let ra = i.rd();
    let ra = (ra != 15).then_some(ra);
    mul::smmul(ctx, i.rn(), i.rm(), i.rs(), ra, false, i.bit(5))
}
fn smmls(ctx: &mut Ctx, i: Insn) -> R {
    mul::smmul(ctx, i.rn(), i.rm(), i.rs(), Some(i.rd()), true, i.bit(5))
}
fn usad8(ctx: &mut Ctx, i: Insn) -> R {
    media::usad8(ctx, i.rn(), i.rm(), i.rs(), i.rd())
}
fn bfi(ctx: &mut Ctx, i: Insn) -> R {
    media::bfi(ctx, i.rd(), i.rm(), i.bits(11, 7), i.bits(20, 16))
}
fn bfx(ctx: &mut Ctx, i: Insn) -> R {
    media::bfx(
        ctx,
        !i.bit(22),
        i.rd(),
        i.rm(),
        i.bits(11, 7),
        i.bits(20, 16) + 1,
    )
}

fn ldst_mem(b: bool) -> MemOp {
    if b {
        MemOp::UB
    } else {
        MemOp::UL
    }
}
fn ldst_imm(ctx: &mut Ctx, i: Insn) -> R {
    let (p, w) = (i.bit(24), i.bit(21));
    let off = ctx.b.const_i32(i.bits(11, 0));
    ldst::single(
        ctx,
        i.bit(20),
        ldst_mem(i.bit(22)),
        i.rd(),
        i.rn(),
        off,
        i.bit(23),
        p,
        !p || w,
    )
}
fn ldst_reg(ctx: &mut Ctx, i: Insn) -> R {
    let (p, w) = (i.bit(24), i.bit(21));
    if i.rm() == 15 {
        return Err(Undef);
    }
    let v = ctx.reg(i.rm());
    let (off, _) = dp::shift_imm(ctx, v, i.bits(6, 5), i.bits(11, 7), false);
    ldst::single(
        ctx,
        i.bit(20),
        ldst_mem(i.bit(22)),
        i.rd(),
        i.rn(),
        off,
        i.bit(23),
        p,
        !p || w,
    )
}
fn ldm_stm(ctx: &mut Ctx, i: Insn) -> R {
    ldst::multiple(
        ctx,
        i.bit(20),
        i.rn(),
        i.bits(15, 0),
        i.bit(23),
        i.bit(24),
        i.bit(21),
    )
}

fn b(ctx: &mut Ctx, i: Insn) -> R {
    branch::b(ctx, i.sbits(23, 0) << 2, false)
}
fn bl(ctx: &mut Ctx, i: Insn) -> R {
    branch::b(ctx, i.sbits(23, 0) << 2, true)
}
pub(super) fn cp15(ctx: &mut Ctx, i: Insn) -> R {
    if i.bits(11, 8) != 15 {
        return Err(Undef);
    }
    system::cp15(
        ctx,
        i.bit(20),
        i.bits(23, 21),
        i.bits(19, 16),
        i.bits(3, 0),
        i.bits(7, 5),
        i.rd(),
    )
}
fn svc(ctx: &mut Ctx, i: Insn) -> R {
    system::svc(ctx, i.bits(23, 0))
}
