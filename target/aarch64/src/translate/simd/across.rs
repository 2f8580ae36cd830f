//! AdvSIMD across lanes (ADDV, [SU]ADDLV, [SU]MAXV, [SU]MINV) and the scalar
//! pairwise ADDP; the floating-point forms of both groups are in `fparith`.

use super::lanes::{self, elem, ones, val, vget, vset, Desc};
use super::Ctx;
use crate::decode::{pat, Insn, Pattern, Undef};
use tcg::helper::{Env, ENV_FIELDS};

pub const PATTERNS: &[Pattern] = &[
    pat(
        "adv_across",
        "0 q:1 u:1 01110 size:2 11000 opcode:5 10 rn:5 rd:5",
        across,
    ),
    pat(
        "adv_s_pairwise",
        "01 u:1 11110 size:2 11000 opcode:5 10 rn:5 rd:5",
        scalar_pairwise,
    ),
];

fn across(ctx: &mut Ctx, i: Insn) -> Result<(), Undef> {
    let q = i.bit(30);
    let u = i.bit(29);
    let size = i.bits(23, 22);
    let opc = i.bits(16, 12);
    if opc == 0b01100 || opc == 0b01111 {
        return super::fparith::fp_across(ctx, i);
    }
    match (opc, u) {
        (0b00011, _) | (0b01010, _) | (0b11010, _) | (0b11011, false) => {}
        _ => return Err(Undef),
    }
    if size == 3 || (size == 2 && !q) {
        return Err(Undef);
    }
    let d = Desc {
        op: opc,
        size,
        q,
        u,
        rd: i.rd(),
        rn: i.rn(),
        ..Desc::default()
    };
    lanes::call(ctx, &ACROSS, d);
    Ok(())
}

extern "C" fn across_helper(env: Env, desc: u64) -> u64 {
    let d = Desc::unpack(desc);
    let c = lanes::cpu(env);
    let bits = d.ebits();
    let a = vget(c, d.rn);
    let n = d.elems();
    let s = !d.u;
    let mut acc = val(elem(a, 0, bits), bits, s);
    for k in 1..n {
        let x = val(elem(a, k, bits), bits, s);
        acc = match d.op {
            0b01010 => acc.max(x),
            0b11010 => acc.min(x),
            _ => acc + x,
        };
    }
    let rbits = if d.op == 0b00011 { bits * 2 } else { bits };
    vset(c, d.rd, (acc as u64 & ones(rbits)) as u128);
    0
}
tcg::helper!(ACROSS, "adv_across", A1(across_helper), ENV_FIELDS);

fn scalar_pairwise(ctx: &mut Ctx, i: Insn) -> Result<(), Undef> {
    let u = i.bit(29);
    let size = i.bits(23, 22);
    let opc = i.bits(16, 12);
    if !u && opc == 0b11011 {
        if size != 3 {
            return Err(Undef);
        }
        let lo = super::vread(ctx, i.rn(), 0);
        let hi = super::vread(ctx, i.rn(), 1);
        let r = ctx.b.temp_i64();
        ctx.b.add_i64(r, lo, hi);
        super::vwrite_scalar(ctx, i.rd(), r);
        return Ok(());
    }
    super::fparith::fp_pairwise_scalar(ctx, i)
}
