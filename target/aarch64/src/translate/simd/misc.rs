//! AdvSIMD two-register miscellaneous (vector and scalar), integer side:
//! REV16/32/64, [SU]ADDLP, [SU]ADALP, SUQADD/USQADD, CLS/CLZ/CNT/RBIT/NOT,
//! SQABS/SQNEG/ABS/NEG, compares against zero, XTN/SQXTN/UQXTN/SQXTUN, SHLL.
//! The floating-point opcodes of the group are passed to `fparith`.

use super::lanes::{self, elem, ones, sat, set_elem, sx, val, vget, vset, vset_q, Desc};
use super::swar::{swar_addsub, swar_eqz};
use super::{vclear_high, vread, vwrite, Ctx};
use crate::decode::{pat, Insn, Pattern, Undef};
use tcg::helper::{Env, ENV_FIELDS};

pub const PATTERNS: &[Pattern] = &[
    pat(
        "adv_2misc",
        "0 q:1 u:1 01110 size:2 10000 opcode:5 10 rn:5 rd:5",
        misc,
    ),
    pat(
        "adv_s_2misc",
        "01 u:1 11110 size:2 10000 opcode:5 10 rn:5 rd:5",
        misc,
    ),
];

/// RBIT's private op number (its size field is not the element size).
const OP_RBIT: u32 = 0x20;

fn is_fp(opc: u32, size: u32) -> bool {
    match opc {
        0b01100..=0b01111 => size >= 2,
        0b10110 | 0b10111 => true,
        0b11000..=0b11111 => true,
        _ => false,
    }
}

fn misc(ctx: &mut Ctx, i: Insn) -> Result<(), Undef> {
    let u = i.bit(29);
    let scalar = i.bit(28);
    let q = i.bit(30) && !scalar;
    let size = i.bits(23, 22);
    let opc = i.bits(16, 12);
    if is_fp(opc, size) {
        return super::fparith::fp_misc(ctx, i);
    }
    let valid = match (u, opc) {
        (false, 0b00000) => size < 3,
        (true, 0b00000) => size < 2,
        (false, 0b00001) => size == 0,
        (_, 0b00010) | (_, 0b00110) => size < 3,
        (_, 0b00011) | (_, 0b00111) => true,
        (_, 0b00100) => size < 3,
        (false, 0b00101) => size == 0,
        (true, 0b00101) => size < 2,
        (_, 0b01000) | (_, 0b01001) | (false, 0b01010) | (_, 0b01011) => true,
        (_, 0b10010) | (_, 0b10100) => size < 3,
        (true, 0b10011) => size < 3,
        _ => false,
    };
    let scalar_ok = match opc {
        0b00011 | 0b00111 | 0b10100 => true,
        0b10010 => u,
        0b01000..=0b01011 => size == 3,
        _ => false,
    };
    if !valid || (scalar && !scalar_ok) {
        return Err(Undef);
    }
    let narrowing = matches!(opc, 0b10010 | 0b10100) || (u && opc == 0b10011);
    if !scalar && !narrowing && size == 3 && !q {
        return Err(Undef);
    }
    let ebits = 8u32 << size;
    let (rd, rn) = (i.rd(), i.rn());
    // Inline: REV16/32/64 as log2(container/element) swap steps.
    if !scalar && opc <= 1 {
        let container = if opc == 1 {
            16
        } else if u {
            32
        } else {
            64
        };
        let n = if q { 2 } else { 1 };
        let mut res = vec![];
        for h in 0..n {
            let mut x = vread(ctx, rn, h);
            let mut s = ebits;
            while s < container {
                let m = super::dup_const(ones(s), (2 * s).trailing_zeros() - 3);
                let a = ctx.b.temp_i64();
                let b = ctx.b.temp_i64();
                ctx.b.shri_i64(a, x, s);
                ctx.b.andi_i64(a, a, m);
                ctx.b.andi_i64(b, x, m);
                ctx.b.shli_i64(b, b, s);
                ctx.b.or_i64(a, a, b);
                x = a;
                s *= 2;
            }
            res.push(x);
        }
        for (h, r) in res.into_iter().enumerate() {
            vwrite(ctx, rd, h, r);
        }
        if !q {
            vclear_high(ctx, rd);
        }
        return Ok(());
    }
    // Inline: NOT, NEG, CMEQ #0.
    if !scalar
        && ((u && opc == 0b00101 && size == 0) || (u && opc == 0b01011) || (!u && opc == 0b01001))
    {
        let n = if q { 2 } else { 1 };
        let mut res = vec![];
        for h in 0..n {
            let a = vread(ctx, rn, h);
            let r = match opc {
                0b00101 => {
                    let t = ctx.b.temp_i64();
                    ctx.b.not_i64(t, a);
                    t
                }
                0b01011 => {
                    let z = ctx.b.const_i64(0);
                    swar_addsub(ctx, z, a, ebits, true)
                }
                _ => swar_eqz(ctx, a, ebits),
            };
            res.push(r);
        }
        for (h, r) in res.into_iter().enumerate() {
            vwrite(ctx, rd, h, r);
        }
        if !q {
            vclear_high(ctx, rd);
        }
        return Ok(());
    }
    let rbit = u && opc == 0b00101 && size == 1;
    let d = Desc {
        op: if rbit { OP_RBIT } else { opc },
        size: if rbit { 0 } else { size },
        q,
        u,
        rd,
        rn,
        scalar,
        ..Desc::default()
    };
    lanes::call(ctx, &MISC, d);
    Ok(())
}

fn rev_bits(x: u64, bits: u32) -> u64 {
    x.reverse_bits() >> (64 - bits)
}

extern "C" fn misc_helper(env: Env, desc: u64) -> u64 {
    let d = Desc::unpack(desc);
    let c = lanes::cpu(env);
    let bits = d.ebits();
    let (a, old) = (vget(c, d.rn), vget(c, d.rd));
    let m = ones(bits);
    let mut qc = false;
    let mut r = 0u128;
    let s = !d.u;
    match d.op {
        0b00000 | 0b00001 => {
            // REV64 (u=0, op 0), REV32 (u=1, op 0), REV16 (op 1): reverse
            // elements within containers.
            let container = if d.op == 1 {
                16
            } else if d.u {
                32
            } else {
                64
            };
            let per = (container / bits) as usize;
            let n = d.elems();
            for k in 0..n {
                let base = k / per * per;
                let j = base + (per - 1 - (k - base));
                set_elem(&mut r, k, bits, elem(a, j, bits));
            }
            vset_q(c, d.rd, r, d.q);
        }
        0b00010 | 0b00110 => {
            // [SU]ADDLP / [SU]ADALP
            let wb = bits * 2;
            let n = d.elems() / 2;
            for k in 0..n {
                let mut v =
                    val(elem(a, 2 * k, bits), bits, s) + val(elem(a, 2 * k + 1, bits), bits, s);
                if d.op == 0b00110 {
                    v += elem(old, k, wb) as i128;
                }
                set_elem(&mut r, k, wb, v as u64);
            }
            vset_q(c, d.rd, r, d.q);
        }
        0b10010..=0b10100 if d.op != 0b10011 || d.u => {
            if d.op == 0b10011 {
                // SHLL/SHLL2
                let n = 64 / bits as usize;
                let part = if d.q { n } else { 0 };
                for k in 0..n {
                    set_elem(&mut r, k, bits * 2, elem(a, part + k, bits) << bits);
                }
                vset(c, d.rd, r);
            } else {
                let wb = bits * 2;
                let n = if d.scalar { 1 } else { 64 / bits as usize };
                for k in 0..n {
                    let x = elem(a, k, wb);
                    let v = match (d.op, d.u) {
                        (0b10010, false) => x & m,                                       // XTN
                        (0b10010, true) => sat(sx(x, wb) as i128, bits, false, &mut qc), // SQXTUN
                        (_, false) => sat(sx(x, wb) as i128, bits, true, &mut qc),       // SQXTN
                        _ => sat(x as i128, bits, false, &mut qc),                       // UQXTN
                    };
                    set_elem(&mut r, k, bits, v);
                }
                if d.scalar {
                    vset(c, d.rd, r & m as u128);
                } else if d.q {
                    vset(c, d.rd, r << 64 | (old & u64::MAX as u128));
                } else {
                    vset(c, d.rd, r);
                }
            }
        }
        op => {
            let n = d.elems();
            for k in 0..n {
                let x = elem(a, k, bits);
                let vs = sx(x, bits) as i128;
                let v = match (d.u, op) {
                    (false, 0b00011) => {
                        // SUQADD: signed acc + unsigned operand, signed saturation
                        sat(
                            sx(elem(old, k, bits), bits) as i128 + x as i128,
                            bits,
                            true,
                            &mut qc,
                        )
                    }
                    (true, 0b00011) => {
                        // USQADD: unsigned acc + signed operand
                        sat(elem(old, k, bits) as i128 + vs, bits, false, &mut qc)
                    }
                    (false, 0b00100) => {
                        // CLS
                        let y = (x ^ (x >> 1)) & (m >> 1);
                        (y.leading_zeros() - (64 - bits) - 1) as u64 & m
                    }
                    (true, 0b00100) => (x.leading_zeros() - (64 - bits)) as u64,
                    (false, 0b00101) => x.count_ones() as u64,
                    (true, 0b00101) => !x,
                    (_, OP_RBIT) => rev_bits(x, 8),
                    (false, 0b00111) => sat(vs.abs(), bits, true, &mut qc),
                    (true, 0b00111) => sat(-vs, bits, true, &mut qc),
                    (false, 0b01000) => m * (vs > 0) as u64,
                    (true, 0b01000) => m * (vs >= 0) as u64,
                    (false, 0b01001) => m * (vs == 0) as u64,
                    (true, 0b01001) => m * (vs <= 0) as u64,
                    (false, 0b01010) => m * (vs < 0) as u64,
                    (false, 0b01011) => vs.unsigned_abs() as u64,
                    (true, 0b01011) => (-vs) as u64,
                    _ => 0,
                };
                set_elem(&mut r, k, bits, v & m);
            }
            vset_q(c, d.rd, r, d.q);
        }
    }
    if qc {
        lanes::set_qc(c);
    }
    0
}
tcg::helper!(MISC, "adv_2misc", A1(misc_helper), ENV_FIELDS);
