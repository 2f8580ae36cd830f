//! The scalar instruction forms the A32/T32 generator draws from: one
//! template per encoding group of the manual (A32, T16, T32) with its
//! fix-up, which applies the form's constraints so that every instruction
//! generated is architecturally defined. `gen.rs` fills register fields
//! and conditions and builds the units; `vfp.rs` has the VFP forms.

use super::gen::{Br, Fix, Kind, Mem, Set, Tpl, G};

const fn t(set: Set, pat: &'static str, weight: u32, kind: Kind, fix: Fix) -> Tpl {
    Tpl {
        set,
        pat,
        weight,
        kind,
        fix,
    }
}

use Kind::Plain;
use Set::*;

fn ok(_: &mut G) -> bool {
    true
}

// ---- A32 fix-ups -------------------------------------------------------

fn a32_dp(g: &mut G) -> bool {
    let opc = g.get("opc");
    if (8..=11).contains(&opc) {
        g.set("s", 1);
        g.set("rd", 0);
    }
    if opc == 13 || opc == 15 {
        g.set("rn", 0);
    }
    true
}
fn a32_dp_imm(g: &mut G) -> bool {
    a32_dp(g);
    // ADR-like reads of the PC.
    if matches!(g.get("opc"), 2 | 4) && g.chance(1, 16) {
        g.set("rn", 15);
    }
    true
}
fn mul_sbz(g: &mut G) -> bool {
    // MUL: Ra is (0)(0)(0)(0).
    if g.get("a") == 0 {
        g.set("ra", 0);
    }
    true
}
fn smlaw_sbz(g: &mut G) -> bool {
    // SMULWy (bit 5 set): Ra is (0)(0)(0)(0).
    if g.get("a") == 1 {
        g.set("ra", 0);
    }
    true
}
fn a32_dp_reg(g: &mut G) -> bool {
    a32_dp(g);
    // Reads of the PC (PC + 8) as the shifted operand or the first one.
    if g.chance(1, 24) {
        g.set("rm", 15);
    } else if !matches!(g.get("opc"), 13 | 15) && g.chance(1, 24) {
        g.set("rn", 15);
    }
    true
}
/// Literal loads: small offsets keep the address in the code segment.
fn literal(g: &mut G) -> bool {
    let f = if g.has("imm12") { "imm12" } else { "imm8" };
    let v = g.below(256);
    g.set(f, v);
    true
}
fn a32_literal_extra(g: &mut G) -> bool {
    let o = 1 + g.below(3);
    g.set("op2", o);
    let v = g.below(16);
    g.set("imm4h", v);
    true
}
fn t32_literal(g: &mut G) -> bool {
    if g.get("sz") == 3 {
        let s = g.below(3);
        g.set("sz", s);
    }
    if g.get("s") == 1 {
        let s = g.get("sz") & 1;
        g.set("sz", s);
    }
    literal(g)
}
fn lo_ne_hi(g: &mut G) -> bool {
    g.distinct("rdhi", &["rdlo"]);
    true
}
fn ra_maybe_pc(g: &mut G) -> bool {
    if g.chance(1, 3) {
        g.set("ra", 15);
    }
    true
}
fn rn_maybe_pc(g: &mut G) -> bool {
    if g.chance(1, 3) {
        g.set("rn", 15);
    }
    true
}
fn a32_parallel(g: &mut G) -> bool {
    let a = g.pick(&[1, 2, 3, 5, 6, 7]);
    g.set("op1", a);
    let b = g.pick(&[0, 1, 2, 3, 4, 7]);
    g.set("op2", b);
    true
}
fn a32_extend(g: &mut G) -> bool {
    let o = g.pick(&[0, 2, 3, 4, 6, 7]);
    g.set("op", o);
    rn_maybe_pc(g)
}
fn bfi(g: &mut G) -> bool {
    let (msb, lsb) = (g.get("msb"), g.get("lsb"));
    if msb < lsb {
        g.set("msb", lsb);
        g.set("lsb", msb);
    }
    rn_maybe_pc(g)
}
fn a32_bfx(g: &mut G) -> bool {
    let lsb = g.get("lsb");
    let w = g.below(32 - lsb);
    g.set("wm1", w);
    true
}
fn mask_nonzero(g: &mut G) -> bool {
    if g.get("mask") == 0 {
        let m = 1 + g.below(3);
        g.set("mask", m);
    }
    true
}
fn t16_shift(g: &mut G) -> bool {
    if g.get("op") == 3 {
        let o = g.below(3);
        g.set("op", o);
    }
    // MOVS Rd, Rm (LSL #0) inside an IT block is UNPREDICTABLE.
    if g.in_it && g.get("op") == 0 && g.get("imm5") == 0 {
        g.set("imm5", 1);
    }
    true
}
fn t16_hireg(g: &mut G) -> bool {
    let op = g.below(3);
    g.set("op", op);
    let rm = if g.chance(1, 8) {
        13
    } else if op != 1 && g.chance(1, 10) {
        15 // ADD Rd, PC / MOV Rd, PC
    } else {
        g.reg()
    };
    g.set("rm", rm);
    let dn = g.get("d") << 3 | g.get("rdn");
    if dn == 15 {
        g.set("rdn", 6);
    }
    if op == 1 && g.get("d") == 0 && rm < 8 {
        g.set("d", 1);
        if g.get("rdn") == 7 {
            g.set("rdn", 6);
        }
    }
    // CMP SP or ADD/MOV to SP are fine; CMP with n == 13 too.
    true
}
fn t16_rev(g: &mut G) -> bool {
    if g.get("op") == 2 {
        g.set("op", 0);
    }
    true
}

// ---- T32 fix-ups -------------------------------------------------------

fn t32_dp_common(g: &mut G, ops: &[u32]) {
    let op = g.pick(ops);
    g.set("op", op);
    // TST/TEQ/CMN/CMP: Rd = PC with S.
    if matches!(op, 0 | 4 | 8 | 13) && g.chance(1, 5) {
        g.set("rd", 15);
        g.set("s", 1);
    }
    // MOV/MVN: Rn = PC.
    if matches!(op, 2 | 3) && g.chance(1, 4) {
        g.set("rn", 15);
    }
}
fn t32_modimm(g: &mut G) -> bool {
    t32_dp_common(g, &[0, 1, 2, 3, 4, 8, 10, 11, 13, 14]);
    // ThumbExpandImm: a replicated pattern (imm12<11:10> = 00, <9:8> != 00)
    // of imm8 = 0 is UNPREDICTABLE.
    let imm12 = g.get("i") << 11 | g.get("imm3") << 8 | g.get("imm8");
    if imm12 >> 10 == 0 && imm12 >> 8 & 3 != 0 && imm12 & 0xff == 0 {
        let v = 1 + g.below(255);
        g.set("imm8", v);
    }
    true
}
fn t32_shreg(g: &mut G) -> bool {
    t32_dp_common(g, &[0, 1, 2, 3, 4, 6, 8, 10, 11, 13, 14]);
    if g.get("op") == 6 {
        // PKHBT/PKHTB: S = 0, ty = tb:0.
        g.set("s", 0);
        let ty = g.get("ty") & 2;
        g.set("ty", ty);
    }
    true
}
fn t32_extend(g: &mut G) -> bool {
    let o = g.below(6);
    g.set("op", o);
    rn_maybe_pc(g)
}
fn t32_parallel(g: &mut G) -> bool {
    let a = g.pick(&[0, 1, 2, 4, 5, 6]);
    g.set("op1", a);
    let b = g.below(3);
    g.set("op2", b);
    true
}
fn t32_misc(g: &mut G) -> bool {
    let op1 = g.get("op1");
    if op1 >= 2 {
        g.set("op2", 0);
    }
    if op1 == 1 || op1 == 3 {
        let rm = g.get("rm");
        g.set("rn", rm);
    }
    true
}
fn t32_mul(g: &mut G) -> bool {
    let op1 = g.get("op1");
    if op1 != 1 {
        let o = g.get("op2") & 1;
        g.set("op2", if op1 == 7 { 0 } else { o });
    }
    let mls = op1 == 0 && g.get("op2") == 1;
    if op1 != 6 && !mls && g.chance(1, 3) {
        g.set("ra", 15);
    }
    true
}
fn t32_long(g: &mut G) -> bool {
    let (op1, op2) = *[
        (0, 0),
        (1, 15),
        (2, 0),
        (3, 15),
        (4, 0),
        (4, 8),
        (4, 9),
        (4, 10),
        (4, 11),
        (4, 12),
        (4, 13),
        (5, 12),
        (5, 13),
        (6, 0),
        (6, 6),
    ]
    .get(g.below(15) as usize)
    .unwrap();
    g.set("op1", op1);
    g.set("op2", op2);
    if op2 == 15 {
        g.set("rdlo", 15);
    } else {
        g.distinct("rdhi", &["rdlo"]);
    }
    true
}
fn t32_sat(g: &mut G) -> bool {
    if g.get("sh") == 1 && g.get("imm3") == 0 && g.get("imm2") == 0 {
        // SSAT16/USAT16: 4-bit saturate field.
        let s = g.get("sat") & 15;
        g.set("sat", s);
    }
    true
}
fn t32_bfx(g: &mut G) -> bool {
    let lsb = g.get("imm3") << 2 | g.get("imm2");
    let w = g.below(32 - lsb);
    g.set("wm1", w);
    true
}
fn t32_bfi(g: &mut G) -> bool {
    let lsb = g.get("imm3") << 2 | g.get("imm2");
    if g.get("msb") < lsb {
        let m = lsb + g.below(32 - lsb);
        g.set("msb", m);
    }
    rn_maybe_pc(g)
}

// ---- memory fix-ups (the address comes from `mem_info`) ---------------

fn a32_pw(g: &mut G) -> bool {
    // P = 0, W = 1 is the unprivileged form (LDRT...), the same at EL0.
    if g.get("p") == 0 && !g.chance(1, 6) {
        g.set("w", 0);
    }
    true
}
fn a32_extra(g: &mut G) -> bool {
    if g.get("op2") == 0 {
        let o = 1 + g.below(3);
        g.set("op2", o);
    }
    if g.get("i") == 0 {
        g.set("imm4h", 0);
    }
    if g.get("l") == 0 && g.get("op2") >= 2 {
        // LDRD/STRD: even Rt below r14; no unprivileged form.
        let r = 2 * g.below(7);
        g.set("rt", r);
        if g.get("p") == 0 {
            g.set("w", 0);
        }
    }
    a32_pw(g)
}
fn t32_ldst(g: &mut G) -> bool {
    if g.get("sz") == 3 {
        let s = g.below(3);
        g.set("sz", s);
    }
    if g.get("s") == 1 {
        g.set("l", 1);
        let s = g.get("sz") & 1;
        g.set("sz", s);
    }
    if g.has("p") {
        // P U W = 1 1 0 is the unprivileged form (LDRT...): kept sometimes.
        let (p, u, w) = (g.get("p"), g.get("u"), g.get("w"));
        if p == 0 || (u == 1 && w == 0 && !g.chance(1, 4)) {
            g.set("w", 1);
        }
    }
    true
}
fn t32_dual(g: &mut G) -> bool {
    if g.get("p") == 0 {
        g.set("w", 1);
    }
    if g.get("l") == 1 {
        g.distinct("rt2", &["rt"]);
    }
    true
}

// ---- branch fix-ups ----------------------------------------------------

fn cond_not_al(g: &mut G) -> bool {
    if g.get("cond") >= 14 {
        let c = g.below(14);
        g.set("cond", c);
    }
    true
}

pub static TEMPLATES: &[Tpl] = &[
    // A32 data processing.
    t(
        A32,
        "cond:4 001 opc:4 s:1 rn:4 rd:4 imm12:12",
        60,
        Plain,
        a32_dp_imm,
    ),
    t(
        A32,
        "cond:4 000 opc:4 s:1 rn:4 rd:4 imm5:5 ty:2 0 rm:4",
        60,
        Plain,
        a32_dp_reg,
    ),
    t(
        A32,
        "cond:4 000 opc:4 s:1 rn:4 rd:4 rs:4 0 ty:2 1 rm:4",
        30,
        Plain,
        a32_dp,
    ),
    t(A32, "cond:4 0011 0 x 00 imm4:4 rd:4 imm12:12", 8, Plain, ok), // MOVW/MOVT
    // Multiplies.
    t(
        A32,
        "cond:4 0000 00 a:1 s:1 rd:4 ra:4 rm:4 1001 rn:4",
        12,
        Plain,
        mul_sbz,
    ), // MUL/MLA
    t(
        A32,
        "cond:4 0000 0110 rd:4 ra:4 rm:4 1001 rn:4",
        4,
        Plain,
        ok,
    ), // MLS
    t(
        A32,
        "cond:4 0000 0100 rdhi:4 rdlo:4 rm:4 1001 rn:4",
        4,
        Plain,
        lo_ne_hi,
    ), // UMAAL
    t(
        A32,
        "cond:4 0000 1 u:1 a:1 s:1 rdhi:4 rdlo:4 rm:4 1001 rn:4",
        12,
        Plain,
        lo_ne_hi,
    ),
    t(
        A32,
        "cond:4 0001 0000 rd:4 ra:4 rm:4 1 m:1 n:1 0 rn:4",
        5,
        Plain,
        ok,
    ), // SMLAxy
    t(
        A32,
        "cond:4 0001 0010 rd:4 ra:4 rm:4 1 m:1 a:1 0 rn:4",
        5,
        Plain,
        smlaw_sbz,
    ), // SMLAWy/SMULWy
    t(
        A32,
        "cond:4 0001 0100 rdhi:4 rdlo:4 rm:4 1 m:1 n:1 0 rn:4",
        4,
        Plain,
        lo_ne_hi,
    ),
    t(
        A32,
        "cond:4 0001 0110 rd:4 0000 rm:4 1 m:1 n:1 0 rn:4",
        4,
        Plain,
        ok,
    ), // SMULxy
    t(
        A32,
        "cond:4 0111 0000 rd:4 ra:4 rm:4 0 x x 1 rn:4",
        6,
        Plain,
        ra_maybe_pc,
    ), // SMLAD/SMLSD
    t(
        A32,
        "cond:4 0111 0100 rdhi:4 rdlo:4 rm:4 0 x x 1 rn:4",
        4,
        Plain,
        lo_ne_hi,
    ),
    t(
        A32,
        "cond:4 0111 0101 rd:4 ra:4 rm:4 00 x 1 rn:4",
        4,
        Plain,
        ra_maybe_pc,
    ), // SMMLA/SMMUL
    t(
        A32,
        "cond:4 0111 0101 rd:4 ra:4 rm:4 11 x 1 rn:4",
        3,
        Plain,
        ok,
    ), // SMMLS
    t(
        A32,
        "cond:4 0111 00 x 1 rd:4 1111 rm:4 0001 rn:4",
        8,
        Plain,
        ok,
    ), // SDIV/UDIV
    // Saturating, media.
    t(
        A32,
        "cond:4 0001 0 x x 0 rn:4 rd:4 0000 0101 rm:4",
        8,
        Plain,
        ok,
    ), // QADD...
    t(
        A32,
        "cond:4 0110 1 x 1 x x x x x rd:4 imm5:5 x 01 rn:4",
        6,
        Plain,
        ok,
    ), // SSAT/USAT
    t(
        A32,
        "cond:4 0110 1 x 10 xxxx rd:4 1111 0011 rn:4",
        3,
        Plain,
        ok,
    ), // SSAT16/USAT16
    t(
        A32,
        "cond:4 0110 0 op1:3 rn:4 rd:4 1111 op2:3 1 rm:4",
        20,
        Plain,
        a32_parallel,
    ),
    t(
        A32,
        "cond:4 0110 1000 rn:4 rd:4 imm5:5 x 01 rm:4",
        3,
        Plain,
        ok,
    ), // PKH
    t(
        A32,
        "cond:4 0110 1000 rn:4 rd:4 1111 1011 rm:4",
        3,
        Plain,
        ok,
    ), // SEL
    t(
        A32,
        "cond:4 0110 1 x 11 1111 rd:4 1111 x 011 rm:4",
        5,
        Plain,
        ok,
    ), // REV...
    t(
        A32,
        "cond:4 0001 0110 1111 rd:4 1111 0001 rm:4",
        3,
        Plain,
        ok,
    ), // CLZ
    t(
        A32,
        "cond:4 0110 1 op:3 rn:4 rd:4 rot:2 00 0111 rm:4",
        10,
        Plain,
        a32_extend,
    ),
    t(
        A32,
        "cond:4 0111 1000 rd:4 ra:4 rm:4 0001 rn:4",
        3,
        Plain,
        ra_maybe_pc,
    ), // USAD8(A)
    t(
        A32,
        "cond:4 0111 110 msb:5 rd:4 lsb:5 001 rn:4",
        5,
        Plain,
        bfi,
    ),
    t(
        A32,
        "cond:4 0111 1 x 1 wm1:5 rd:4 lsb:5 101 rn:4",
        5,
        Plain,
        a32_bfx,
    ),
    // Status register access, hints, UDF.
    t(
        A32,
        "cond:4 0001 0000 1111 rd:4 0000 0000 0000",
        3,
        Plain,
        ok,
    ),
    t(
        A32,
        "cond:4 0001 0010 mask:2 00 1111 0000 0000 rn:4",
        3,
        Plain,
        mask_nonzero,
    ),
    t(
        A32,
        "cond:4 0011 0010 mask:2 00 1111 xxxx xxxx xxxx",
        3,
        Plain,
        mask_nonzero,
    ),
    t(
        A32,
        "cond:4 0011 0010 0000 1111 0000 0000 000 x",
        1,
        Plain,
        ok,
    ),
    t(
        A32,
        "1110 0111 1111 xxxx xxxx xxxx 1111 xxxx",
        1,
        Kind::Undef,
        ok,
    ),
    t(
        A32,
        "1111 0101 0111 1111 1111 0000 010 x xxxx",
        1,
        Plain,
        ok,
    ), // DSB, DMB
    t(
        A32,
        "1111 01 x 1 x x 01 rn:4 1111 xxxx xxxx xxxx",
        1,
        Plain,
        ok,
    ), // PLD, PLDW, PLI
    // Literal loads (A32, T16, T32): addresses inside the code.
    t(
        A32,
        "cond:4 010 1 x x 0 1 1111 rt:4 imm12:12",
        2,
        Plain,
        literal,
    ),
    t(
        A32,
        "cond:4 000 1 x 1 0 1 1111 rt:4 imm4h:4 1 op2:2 1 xxxx",
        2,
        Plain,
        a32_literal_extra,
    ),
    t(T16, "01001 xxx imm8:8", 2, Plain, literal),
    t(
        T32,
        "1111 100 s:1 x sz:2 1 1111 rt:4 imm12:12",
        2,
        Plain,
        t32_literal,
    ),
    t(
        A32,
        "1110 0001 0010 xxxx xxxx xxxx 0111 xxxx",
        1,
        Kind::Undef,
        ok,
    ), // BKPT
    t(T16, "1011 1110 xxxxxxxx", 1, Kind::Undef, ok), // BKPT
    // Linux's breakpoint instructions (UDF forms the kernel makes SIGTRAP).
    t(
        A32,
        "1110 0111 1111 0000 0000 0001 1111 0000",
        1,
        Kind::Undef,
        ok,
    ),
    t(T16, "1101 1110 0000 0001", 1, Kind::Undef, ok),
    t(
        T32,
        "1111 0111 1111 0000 1010 0000 0000 0000",
        1,
        Kind::Undef,
        ok,
    ),
    // A32 loads and stores.
    t(
        A32,
        "cond:4 010 p:1 u:1 b:1 w:1 l:1 rn:4 rt:4 imm12:12",
        25,
        Kind::Mem(Mem::A32Imm),
        a32_pw,
    ),
    t(
        A32,
        "cond:4 011 p:1 u:1 b:1 w:1 l:1 rn:4 rt:4 imm5:5 ty:2 0 rm:4",
        20,
        Kind::Mem(Mem::A32Reg),
        a32_pw,
    ),
    t(
        A32,
        "cond:4 000 p:1 u:1 i:1 w:1 l:1 rn:4 rt:4 imm4h:4 1 op2:2 1 rm:4",
        20,
        Kind::Mem(Mem::A32Extra),
        a32_extra,
    ),
    t(
        A32,
        "cond:4 100 p:1 u:1 0 w:1 l:1 rn:4 list:16",
        15,
        Kind::Mem(Mem::A32Ldm),
        ok,
    ),
    // A32 branches.
    t(A32, "cond:4 101 x imm24:24", 8, Kind::Branch(Br::A32), ok),
    // T16.
    t(T16, "000 op:2 imm5:5 rm:3 rd:3", 15, Plain, t16_shift),
    t(T16, "000 11 x x xxx xxx xxx", 15, Plain, ok), // ADD/SUB reg, imm3
    t(T16, "001 xx xxx xxxxxxxx", 15, Plain, ok),    // MOV/CMP/ADD/SUB imm8
    t(T16, "010000 xxxx xxx xxx", 30, Plain, ok),    // data processing
    t(T16, "010001 op:2 d:1 rm:4 rdn:3", 10, Plain, t16_hireg),
    t(T16, "1010 x xxx xxxxxxxx", 3, Plain, ok), // ADR, ADD Rd, SP, #imm
    t(T16, "1011 0000 x xxxxxxx", 2, Plain, ok), // ADD/SUB SP, #imm
    t(T16, "1011 0010 xx xxx xxx", 6, Plain, ok), // SXTH...
    t(T16, "1011 1010 op:2 xxx xxx", 5, Plain, t16_rev),
    t(T16, "1011 1111 000 x 0000", 1, Plain, ok), // NOP, YIELD
    t(T16, "1101 1110 xxxxxxxx", 1, Kind::Undef, ok), // UDF
    t(
        T16,
        "0101 op:3 rm:3 rn:3 rt:3",
        12,
        Kind::Mem(Mem::T16Reg),
        ok,
    ),
    t(
        T16,
        "011 b:1 l:1 imm5:5 rn:3 rt:3",
        12,
        Kind::Mem(Mem::T16Imm),
        ok,
    ),
    t(
        T16,
        "1000 l:1 imm5:5 rn:3 rt:3",
        6,
        Kind::Mem(Mem::T16Half),
        ok,
    ),
    t(T16, "1001 l:1 rt:3 imm8:8", 5, Kind::Mem(Mem::T16Sp), ok),
    t(T16, "1100 l:1 rn:3 list:8", 6, Kind::Mem(Mem::T16Ldm), ok),
    t(T16, "1011 010 m:1 list:8", 4, Kind::Mem(Mem::T16Push), ok),
    t(T16, "1011 110 0 list:8", 4, Kind::Mem(Mem::T16Pop), ok),
    t(
        T16,
        "1101 cond:4 imm8:8",
        5,
        Kind::Branch(Br::T16Cond),
        cond_not_al,
    ),
    t(T16, "11100 imm11:11", 3, Kind::Branch(Br::T16), ok),
    t(
        T16,
        "1011 x 0 x 1 imm5:5 rn:3",
        4,
        Kind::Branch(Br::Cbz),
        ok,
    ),
    // T32 data processing.
    t(
        T32,
        "11110 i:1 0 op:4 s:1 rn:4 0 imm3:3 rd:4 imm8:8",
        40,
        Plain,
        t32_modimm,
    ),
    t(
        T32,
        "11101 01 op:4 s:1 rn:4 0 xxx rd:4 xx ty:2 rm:4",
        40,
        Plain,
        t32_shreg,
    ),
    t(
        T32,
        "11111010 0 xx x rn:4 1111 rd:4 0000 rm:4",
        12,
        Plain,
        ok,
    ), // shift by register
    t(
        T32,
        "11110 x 10 000 0 rn:4 0 xxx rd:4 xxxxxxxx",
        3,
        Plain,
        ok,
    ), // ADDW
    t(
        T32,
        "11110 x 10 101 0 rn:4 0 xxx rd:4 xxxxxxxx",
        3,
        Plain,
        ok,
    ), // SUBW
    t(
        T32,
        "11110 x 10 x 100 xxxx 0 xxx rd:4 xxxxxxxx",
        6,
        Plain,
        ok,
    ), // MOVW/MOVT
    t(
        T32,
        "11110 0 11 x 0 sh:1 0 rn:4 0 imm3:3 rd:4 imm2:2 0 sat:5",
        6,
        Plain,
        t32_sat,
    ),
    t(
        T32,
        "11110 0 11 x 100 rn:4 0 imm3:3 rd:4 imm2:2 0 wm1:5",
        5,
        Plain,
        t32_bfx,
    ),
    t(
        T32,
        "11110 0 11 0110 rn:4 0 imm3:3 rd:4 imm2:2 0 msb:5",
        5,
        Plain,
        t32_bfi,
    ),
    t(
        T32,
        "11111010 0 op:3 rn:4 1111 rd:4 10 xx rm:4",
        10,
        Plain,
        t32_extend,
    ),
    t(
        T32,
        "11111010 1 op1:3 rn:4 1111 rd:4 0 x op2:2 rm:4",
        20,
        Plain,
        t32_parallel,
    ),
    t(
        T32,
        "11111010 10 op1:2 rn:4 1111 rd:4 10 op2:2 rm:4",
        12,
        Plain,
        t32_misc,
    ),
    t(
        T32,
        "11111011 0 op1:3 rn:4 ra:4 rd:4 00 op2:2 rm:4",
        20,
        Plain,
        t32_mul,
    ),
    t(
        T32,
        "11111011 1 op1:3 rn:4 rdlo:4 rdhi:4 op2:4 rm:4",
        14,
        Plain,
        t32_long,
    ),
    t(
        T32,
        "11110 0 1111 1 0 1111 10 0 0 rd:4 0000 0000",
        2,
        Plain,
        ok,
    ), // MRS
    t(
        T32,
        "11110 0 1110 0 0 rn:4 10 0 0 mask:2 00 0000 0000",
        3,
        Plain,
        mask_nonzero,
    ),
    t(
        T32,
        "11110 0 1110 1 0 1111 10 0 0 0000 0000 000 x",
        1,
        Plain,
        ok,
    ), // NOP.W
    t(
        T32,
        "1111 0111 1111 xxxx 1010 xxxx xxxx xxxx",
        1,
        Kind::Undef,
        ok,
    ), // UDF.W
    t(
        T32,
        "11110 0 1110 1 1 1111 10 0 0 1111 0 10 x xxxx",
        1,
        Plain,
        ok,
    ), // DSB, DMB (not SB: FEAT_SB is QEMU max only)
    t(
        T32,
        "1111 1000 10 x 1 rn:4 1111 xxxx xxxx xxxx",
        1,
        Plain,
        ok,
    ), // PLD, PLDW
    // T32 loads and stores.
    t(
        T32,
        "1111 100 s:1 1 sz:2 l:1 rn:4 rt:4 imm12:12",
        12,
        Kind::Mem(Mem::T32Imm12),
        t32_ldst,
    ),
    t(
        T32,
        "1111 100 s:1 0 sz:2 l:1 rn:4 rt:4 1 p:1 u:1 w:1 imm8:8",
        12,
        Kind::Mem(Mem::T32Imm8),
        t32_ldst,
    ),
    t(
        T32,
        "1111 100 s:1 0 sz:2 l:1 rn:4 rt:4 0 00000 imm2:2 rm:4",
        10,
        Kind::Mem(Mem::T32Reg),
        t32_ldst,
    ),
    t(
        T32,
        "1110 100 p:1 u:1 1 w:1 l:1 rn:4 rt:4 rt2:4 imm8:8",
        8,
        Kind::Mem(Mem::T32Dual),
        t32_dual,
    ),
    t(
        T32,
        "1110 100 op:2 0 w:1 l:1 rn:4 list:16",
        8,
        Kind::Mem(Mem::T32Ldm),
        ok,
    ),
    // T32 branches.
    t(
        T32,
        "11110 s:1 cond:4 imm6:6 10 j1:1 0 j2:1 imm11:11",
        4,
        Kind::Branch(Br::T32Cond),
        cond_not_al,
    ),
    t(
        T32,
        "11110 s:1 imm10:10 1 x j1:1 1 j2:1 imm11:11",
        4,
        Kind::Branch(Br::T32),
        ok,
    ),
];
