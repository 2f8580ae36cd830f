//! AdvSIMD permutes: UZP1/2, TRN1/2, ZIP1/2, EXT, TBL, TBX (one helper).

use super::lanes::{self, elem, set_elem, vget, vset_q, Desc};
use super::Ctx;
use crate::decode::{pat, Insn, Pattern, Undef};
use tcg::helper::{Env, ENV_FIELDS};

pub const PATTERNS: &[Pattern] = &[
    pat(
        "adv_perm",
        "0 q:1 001110 size:2 0 rm:5 0 opc:3 10 rn:5 rd:5",
        perm,
    ),
    pat(
        "adv_ext",
        "0 q:1 101110 00 0 rm:5 0 imm4:4 0 rn:5 rd:5",
        ext,
    ),
    pat(
        "adv_tbl",
        "0 q:1 001110 00 0 rm:5 0 len:2 op:1 00 rn:5 rd:5",
        tbl,
    ),
];

const OP_EXT: u32 = 8;
const OP_TBL: u32 = 9;
const OP_TBX: u32 = 10;

fn desc(i: Insn, op: u32, size: u32, imm: u32) -> Desc {
    Desc {
        op,
        size,
        q: i.bit(30),
        rd: i.rd(),
        rn: i.rn(),
        rm: i.rm(),
        imm,
        ..Desc::default()
    }
}

fn perm(ctx: &mut Ctx, i: Insn) -> Result<(), Undef> {
    let opc = i.bits(14, 12);
    let size = i.bits(23, 22);
    if opc == 0 || opc == 4 || (size == 3 && !i.bit(30)) {
        return Err(Undef);
    }
    lanes::call(ctx, &PERM, desc(i, opc, size, 0));
    Ok(())
}

fn ext(ctx: &mut Ctx, i: Insn) -> Result<(), Undef> {
    let imm4 = i.bits(14, 11);
    if !i.bit(30) && imm4 >= 8 {
        return Err(Undef);
    }
    lanes::call(ctx, &PERM, desc(i, OP_EXT, 0, imm4));
    Ok(())
}

fn tbl(ctx: &mut Ctx, i: Insn) -> Result<(), Undef> {
    let op = if i.bit(12) { OP_TBX } else { OP_TBL };
    lanes::call(ctx, &PERM, desc(i, op, 0, i.bits(14, 13)));
    Ok(())
}

extern "C" fn perm_helper(env: Env, desc: u64) -> u64 {
    let d = Desc::unpack(desc);
    let c = lanes::cpu(env);
    let (a, b) = (vget(c, d.rn), vget(c, d.rm));
    let bits = d.ebits();
    let n = d.elems();
    let mut r = 0u128;
    match d.op {
        OP_EXT => {
            let bytes = if d.q { 16 } else { 8 };
            for k in 0..bytes {
                let j = k + d.imm as usize;
                let v = if j < bytes {
                    elem(a, j, 8)
                } else {
                    elem(b, j - bytes, 8)
                };
                set_elem(&mut r, k, 8, v);
            }
        }
        OP_TBL | OP_TBX => {
            let regs = d.imm as usize + 1;
            let idx = vget(c, d.rm);
            let old = vget(c, d.rd);
            let bytes = if d.q { 16 } else { 8 };
            for k in 0..bytes {
                let ix = elem(idx, k, 8) as usize;
                let v = if ix < 16 * regs {
                    elem(vget(c, (d.rn + ix / 16) % 32), ix % 16, 8)
                } else if d.op == OP_TBX {
                    elem(old, k, 8)
                } else {
                    0
                };
                set_elem(&mut r, k, 8, v);
            }
        }
        op => {
            let part = (op >> 2) as usize; // 1 for the "2" variants
            for k in 0..n {
                let v = match op & 3 {
                    1 => {
                        // UZP: even (or odd) elements of a:b
                        let j = 2 * k + part;
                        if j < n {
                            elem(a, j, bits)
                        } else {
                            elem(b, j - n, bits)
                        }
                    }
                    2 => {
                        // TRN
                        let base = k & !1;
                        if k & 1 == 0 {
                            elem(a, base + part, bits)
                        } else {
                            elem(b, base + part, bits)
                        }
                    }
                    _ => {
                        // ZIP: interleave halves
                        let j = part * n / 2 + k / 2;
                        if k & 1 == 0 {
                            elem(a, j, bits)
                        } else {
                            elem(b, j, bits)
                        }
                    }
                };
                set_elem(&mut r, k, bits, v);
            }
        }
    }
    vset_q(c, d.rd, r, d.q);
    0
}
tcg::helper!(PERM, "adv_perm", A1(perm_helper), ENV_FIELDS);
