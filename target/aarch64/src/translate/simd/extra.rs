//! AdvSIMD three same (extra), vector and scalar (bit 21 = 0, bit 15 = 1):
//! SQRDMLAH/SQRDMLSH (FEAT_RDM), SDOT/UDOT (FEAT_DotProd), USDOT and the
//! 8-bit matrix multiplies (FEAT_I8MM), FCMLA/FCADD (FEAT_FCMA) and the
//! BF16 forms (BFDOT, BFMMLA, BFMLALB/T). This module only decodes the group and hands each form to the
//! module that holds its semantics.

use super::Ctx;
use crate::decode::{pat, Insn, Pattern, Undef};

pub const PATTERNS: &[Pattern] = &[
    pat(
        "adv_3same_extra",
        "0 q:1 u:1 01110 size:2 0 rm:5 1 opcode:4 1 rn:5 rd:5",
        vector,
    ),
    pat(
        "adv_s_3same_extra",
        "01 u:1 11110 size:2 0 rm:5 1 opcode:4 1 rn:5 rd:5",
        scalar,
    ),
];

fn vector(ctx: &mut Ctx, i: Insn) -> Result<(), Undef> {
    let u = i.bit(29);
    match (u, i.bits(14, 11)) {
        (true, 0b0000 | 0b0001) => super::arith::rdm(ctx, i),
        (_, 0b0010) => super::dot::dot_vec(ctx, i),
        (false, 0b0011) => super::dot::usdot_vec(ctx, i),
        (_, 0b0100) | (false, 0b0101) => super::dot::mmla(ctx, i),
        (true, 0b1101 | 0b1111) if i.bit(22) => super::bf16::vector(ctx, i),
        (true, 0b1000..=0b1011) => super::complex::fcmla_vec(ctx, i),
        (true, 0b1100 | 0b1110) => super::complex::fcadd(ctx, i),
        _ => Err(Undef),
    }
}

fn scalar(ctx: &mut Ctx, i: Insn) -> Result<(), Undef> {
    match (i.bit(29), i.bits(14, 11)) {
        (true, 0b0000 | 0b0001) => super::arith::rdm(ctx, i),
        _ => Err(Undef),
    }
}
