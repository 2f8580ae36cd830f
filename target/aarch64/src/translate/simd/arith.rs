//! AdvSIMD integer arithmetic: three same (vector and scalar), three
//! different (widening, narrowing, long multiply, PMULL), and the integer
//! vector-by-element forms. Logic ops, ADD/SUB and CMEQ are emitted inline
//! on 64-bit halves; everything else goes through `int3`/`int3diff`.

use super::lanes::{
    self, clmul, elem, ones, sat, set_elem, shift, sx, val, vget, vset, vset_q, Desc,
};
use super::swar::{pairwise_inline, swar_addsub, swar_cmp, swar_eqz};
use super::{need, vread, vwrite, Ctx};
use crate::decode::{pat, Insn, Pattern, Undef};
use tcg::helper::{Env, ENV_FIELDS};
use tcg::ir::Temp;

pub const PATTERNS: &[Pattern] = &[
    pat(
        "adv_3same",
        "0 q:1 u:1 01110 size:2 1 rm:5 0 opc:4 1 rn:5 rd:5",
        three_same,
    ),
    pat(
        "adv_3same_hi",
        "0 q:1 u:1 01110 size:2 1 rm:5 10 opc:3 1 rn:5 rd:5",
        three_same,
    ),
    pat(
        "adv_s_3same",
        "01 u:1 11110 size:2 1 rm:5 0 opc:4 1 rn:5 rd:5",
        three_same,
    ),
    pat(
        "adv_s_3same_hi",
        "01 u:1 11110 size:2 1 rm:5 10 opc:3 1 rn:5 rd:5",
        three_same,
    ),
    pat(
        "adv_3diff",
        "0 q:1 u:1 01110 size:2 1 rm:5 opcode:4 00 rn:5 rd:5",
        three_diff,
    ),
    pat(
        "adv_s_3diff",
        "01 u:1 11110 size:2 1 rm:5 opcode:4 00 rn:5 rd:5",
        three_diff,
    ),
    pat(
        "adv_elem",
        "0 q:1 u:1 01111 size:2 l:1 m:1 rm:4 opcode:4 h:1 0 rn:5 rd:5",
        by_elem,
    ),
    pat(
        "adv_s_elem",
        "01 u:1 11111 size:2 l:1 m:1 rm:4 opcode:4 h:1 0 rn:5 rd:5",
        by_elem,
    ),
];

fn desc3(i: Insn, op: u32) -> Desc {
    Desc {
        op,
        size: i.bits(23, 22),
        q: i.bit(30),
        u: i.bit(29),
        rd: i.rd(),
        rn: i.rn(),
        rm: i.rm(),
        scalar: i.bit(28),
        ..Desc::default()
    }
}

fn halves(q: bool) -> usize {
    if q {
        2
    } else {
        1
    }
}

/// Emits `f(a_half, b_half)` for each half and writes Vd (upper zeroed for 64-bit forms).
fn inline2(ctx: &mut Ctx, d: &Desc, f: impl Fn(&mut Ctx, Temp, Temp, usize) -> Temp) {
    let n = halves(d.q);
    let mut res = vec![];
    for h in 0..n {
        let a = vread(ctx, d.rn, h);
        let b = vread(ctx, d.rm, h);
        res.push(f(ctx, a, b, h));
    }
    for (h, r) in res.into_iter().enumerate() {
        vwrite(ctx, d.rd, h, r);
    }
    if !d.q {
        super::vclear_high(ctx, d.rd);
    }
}

fn logic(ctx: &mut Ctx, d: &Desc) {
    let (u, sz, rd) = (d.u, d.size, d.rd);
    inline2(ctx, d, |ctx, a, b, h| {
        let r = ctx.b.temp_i64();
        match (u, sz) {
            (false, 0) => ctx.b.and_i64(r, a, b),
            (false, 1) => ctx.b.andc_i64(r, a, b),
            (false, 2) => ctx.b.or_i64(r, a, b),
            (false, 3) => ctx.b.orc_i64(r, a, b),
            (true, 0) => ctx.b.xor_i64(r, a, b),
            _ => {
                // BSL: d = (d & n) | (~d & m); BIT: d = (n & m) | (d & ~m);
                // BIF: d = (n & ~m) | (d & m). All are x ^ ((x ^ y) & sel).
                let dv = vread(ctx, rd, h);
                let (x, y, sel) = match sz {
                    1 => (b, a, dv),
                    2 => (dv, a, b),
                    _ => (a, dv, b),
                };
                ctx.b.xor_i64(r, x, y);
                ctx.b.and_i64(r, r, sel);
                ctx.b.xor_i64(r, r, x);
            }
        }
        r
    });
}

/// INT3 ops beyond the three-same opcodes: FEAT_RDM.
const SQRDMLAH: u32 = 0x20;
const SQRDMLSH: u32 = 0x21;

/// SQRDMLAH/SQRDMLSH (vector and scalar), from the three-same-extra group.
pub(crate) fn rdm(ctx: &mut Ctx, i: Insn) -> Result<(), Undef> {
    need(ctx.features.rdm)?;
    let d = desc3(i, SQRDMLAH + i.bit(11) as u32);
    if !(d.size == 1 || d.size == 2) {
        return Err(Undef);
    }
    lanes::call(ctx, &INT3, d);
    Ok(())
}

fn three_same(ctx: &mut Ctx, i: Insn) -> Result<(), Undef> {
    let opc = i.bits(15, 11);
    let d = desc3(i, opc);
    let ebits = d.ebits();
    if d.scalar {
        // Scalar forms: saturating ops at any size, the rest only 64-bit.
        match opc {
            0b00001 | 0b00101 | 0b01001 | 0b01011 => {}
            0b10110 if d.size == 1 || d.size == 2 => {}
            0b00110 | 0b00111 | 0b01000 | 0b01010 | 0b10000 | 0b10001 if d.size == 3 => {}
            _ => return Err(Undef),
        }
        lanes::call(ctx, &INT3, d);
        return Ok(());
    }
    if d.size == 3 && !d.q && opc != 0b00011 {
        return Err(Undef);
    }
    match opc {
        0b00011 => logic(ctx, &d),
        0b10000 => inline2(ctx, &d, |ctx, a, b, _| swar_addsub(ctx, a, b, ebits, d.u)),
        0b10100 | 0b10101 if d.u && d.size < 3 => pairwise_inline(ctx, &d),
        0b10111 if !d.u => pairwise_inline(ctx, &d),
        0b10001 if d.u => inline2(ctx, &d, |ctx, a, b, _| {
            let x = ctx.b.temp_i64();
            ctx.b.xor_i64(x, a, b);
            swar_eqz(ctx, x, ebits)
        }),
        // CMTST: lanes where a & b is not zero.
        0b10001 => inline2(ctx, &d, |ctx, a, b, _| {
            let x = ctx.b.temp_i64();
            ctx.b.and_i64(x, a, b);
            let r = swar_eqz(ctx, x, ebits);
            ctx.b.not_i64(r, r);
            r
        }),
        // CMGT, CMHI (strict); CMGE, CMHS.
        0b00110 | 0b00111 => inline2(ctx, &d, |ctx, a, b, _| {
            swar_cmp(ctx, a, b, ebits, !d.u, opc == 0b00110)
        }),
        // SMAX/UMAX, SMIN/UMIN: a where it wins, else b.
        0b01100 | 0b01101 if d.size < 3 => inline2(ctx, &d, |ctx, a, b, _| {
            let ge = swar_cmp(ctx, a, b, ebits, !d.u, false);
            let (x, r) = (ctx.b.temp_i64(), ctx.b.temp_i64());
            ctx.b.xor_i64(x, a, b);
            ctx.b.and_i64(x, x, ge);
            // max: b ^ ((a ^ b) & ge); min: a ^ ((a ^ b) & ge).
            ctx.b.xor_i64(r, if opc == 0b01100 { b } else { a }, x);
            r
        }),
        _ => {
            let ok = match opc {
                0b10011 if d.u => d.size == 0,
                0b10010 | 0b10011 | 0b01111 | 0b01110 | 0b00000 | 0b00010 | 0b00100 => d.size < 3,
                0b10110 => d.size == 1 || d.size == 2,
                0b10111 => !d.u,
                0b10100 | 0b10101 => d.size < 3,
                0b01100 | 0b01101 => d.size < 3,
                _ => true,
            };
            if !ok {
                return Err(Undef);
            }
            lanes::call(ctx, &INT3, d);
        }
    }
    Ok(())
}

/// One lane of a three-same integer op (opcode `op`, U = `u`).
fn int3_lane(op: u32, u: bool, bits: u32, a: u64, b: u64, d: u64, qc: &mut bool) -> u64 {
    let s = !u;
    let (va, vb) = (val(a, bits, s), val(b, bits, s));
    let m = ones(bits);
    let sh = sx(b, 8);
    let r: i128 = match op {
        0b00000 => (va + vb) >> 1,
        0b00001 => return sat(va + vb, bits, s, qc),
        0b00010 => (va + vb + 1) >> 1,
        0b00100 => (va - vb) >> 1,
        0b00101 => return sat(va - vb, bits, s, qc),
        0b00110 => -((va > vb) as i128),
        0b00111 => -((va >= vb) as i128),
        // SSHL/USHL, SRSHL/URSHL: a left shift keeps the low bits (shift()
        // saturates large left shifts for the Q forms).
        0b01000 | 0b01010 if sh >= 0 => {
            if sh >= bits as i64 {
                0
            } else {
                (a << sh) as i128
            }
        }
        0b01000 => shift(va, sh, false),
        0b01001 => return sat(shift(va, sh, false), bits, s, qc),
        0b01010 => shift(va, sh, true),
        0b01011 => return sat(shift(va, sh, true), bits, s, qc),
        0b01100 => va.max(vb),
        0b01101 => va.min(vb),
        0b01110 => (va - vb).abs(),
        0b01111 => d as i128 + (va - vb).abs(),
        0b10000 => {
            if u {
                va.wrapping_sub(vb)
            } else {
                va.wrapping_add(vb)
            }
        }
        0b10001 => {
            if u {
                -((a & m == b & m) as i128)
            } else {
                -((a & b & m != 0) as i128)
            }
        }
        0b10010 => {
            let p = (a as i128).wrapping_mul(b as i128);
            if u {
                (d as i128).wrapping_sub(p)
            } else {
                (d as i128).wrapping_add(p)
            }
        }
        0b10011 => {
            if u {
                clmul(a & m, b & m) as i128
            } else {
                (a as i128).wrapping_mul(b as i128)
            }
        }
        0b10100 => va.max(vb),
        0b10101 => va.min(vb),
        0b10110 => {
            let (sa, sb) = (sx(a, bits) as i128, sx(b, bits) as i128);
            let round = if u { 1i128 << (bits - 1) } else { 0 };
            return sat((2 * sa * sb + round) >> bits, bits, true, qc);
        }
        0b10111 => va.wrapping_add(vb),
        SQRDMLAH | SQRDMLSH => {
            // (acc << esize) +/- 2 * a * b, rounded, high half saturated.
            let (sa, sb, sd) = (
                sx(a, bits) as i128,
                sx(b, bits) as i128,
                sx(d, bits) as i128,
            );
            let p = 2 * sa * sb;
            let acc = (sd << bits) + if op == SQRDMLAH { p } else { -p } + (1i128 << (bits - 1));
            return sat(acc >> bits, bits, true, qc);
        }
        _ => 0,
    };
    r as u64 & m
}

extern "C" fn int3(env: Env, desc: u64) -> u64 {
    let d = Desc::unpack(desc);
    let c = lanes::cpu(env);
    let bits = d.ebits();
    let (a, mut b, acc) = (vget(c, d.rn), vget(c, d.rm), vget(c, d.rd));
    if d.by_elem {
        let e = elem(b, d.imm as usize, bits);
        for k in 0..128 / bits as usize {
            set_elem(&mut b, k, bits, e);
        }
    }
    let n = d.elems();
    let mut qc = false;
    let mut r = 0u128;
    if matches!(d.op, 0b10100 | 0b10101 | 0b10111) && !d.scalar {
        // Pairwise: lanes of a then b, combined two by two.
        for k in 0..n {
            let (src, j) = if k < n / 2 {
                (a, 2 * k)
            } else {
                (b, 2 * (k - n / 2))
            };
            let x = elem(src, j, bits);
            let y = elem(src, j + 1, bits);
            set_elem(
                &mut r,
                k,
                bits,
                int3_lane(d.op, d.u, bits, x, y, 0, &mut qc),
            );
        }
    } else {
        for k in 0..n {
            let x = int3_lane(
                d.op,
                d.u,
                bits,
                elem(a, k, bits),
                elem(b, k, bits),
                elem(acc, k, bits),
                &mut qc,
            );
            set_elem(&mut r, k, bits, x);
        }
    }
    vset_q(c, d.rd, r, d.q && !d.scalar);
    if qc {
        lanes::set_qc(c);
    }
    0
}
tcg::helper!(INT3, "adv_int3", A1(int3), ENV_FIELDS);

fn three_diff(ctx: &mut Ctx, i: Insn) -> Result<(), Undef> {
    let opc = i.bits(15, 12);
    let d = desc3(i, opc);
    if d.scalar {
        // SQDMLAL, SQDMLSL, SQDMULL (scalar), 16 and 32-bit sources.
        if !(opc == 0b1001 || opc == 0b1011 || opc == 0b1101)
            || d.u
            || !(d.size == 1 || d.size == 2)
        {
            return Err(Undef);
        }
    } else {
        match opc {
            0b1111 => return Err(Undef),
            0b1110 => {
                if d.u || d.size == 1 || d.size == 2 {
                    return Err(Undef);
                }
                if d.size == 3 {
                    need(ctx.features.pmull)?;
                }
            }
            0b1001 | 0b1011 | 0b1101 if d.u || d.size == 0 || d.size == 3 => return Err(Undef),
            _ if d.size == 3 => return Err(Undef),
            _ => {}
        }
    }
    lanes::call(ctx, &INT3DIFF, d);
    Ok(())
}

/// Long/wide/narrow three-different ops and their by-element forms.
fn diff_lane(op: u32, u: bool, bits: u32, a: i128, b: i128, acc: i128, qc: &mut bool) -> i128 {
    let wb = bits * 2;
    match op {
        0b0000 | 0b0001 => a + b,
        0b0010 | 0b0011 => a - b,
        0b0101 => acc + (a - b).abs(),
        0b0111 => (a - b).abs(),
        0b1000 => acc.wrapping_add(a * b),
        0b1010 => acc.wrapping_sub(a * b),
        0b1100 => a * b,
        0b1001 | 0b1011 | 0b1101 => {
            let p = sat(2 * a * b, wb, true, qc);
            let p = sx(p, wb) as i128;
            let r = match op {
                0b1001 => acc + p,
                0b1011 => acc - p,
                _ => p,
            };
            sx(sat(r, wb, true, qc), wb) as i128
        }
        _ => {
            let _ = u;
            0
        }
    }
}

extern "C" fn int3diff(env: Env, desc: u64) -> u64 {
    let d = Desc::unpack(desc);
    let c = lanes::cpu(env);
    let bits = d.ebits();
    let wb = bits * 2;
    let (a, mut b, acc) = (vget(c, d.rn), vget(c, d.rm), vget(c, d.rd));
    if d.by_elem {
        let e = elem(b, d.imm as usize, bits);
        for k in 0..128 / bits as usize {
            set_elem(&mut b, k, bits, e);
        }
    }
    let s = !d.u;
    let mut qc = false;
    let mut r = 0u128;
    let part = if d.q && !d.scalar {
        64 / bits as usize
    } else {
        0
    };
    let n = if d.scalar { 1 } else { 64 / bits as usize };
    match d.op {
        0b0100 | 0b0110 => {
            // ADDHN/SUBHN (+ rounding with U): high halves of wide results.
            for k in 0..n {
                let (x, y) = (elem(a, k, wb) as i128, elem(b, k, wb) as i128);
                let mut v = if d.op == 0b0100 { x + y } else { x - y };
                if d.u {
                    v += 1 << (bits - 1);
                }
                set_elem(&mut r, k, bits, (v >> bits) as u64);
            }
            let res = if d.q {
                (r << 64) | (acc & u64::MAX as u128)
            } else {
                r
            };
            vset_q(c, d.rd, res, d.q);
            return 0;
        }
        0b1110 => {
            // PMULL/PMULL2: 8x8->16 per lane, or 64x64->128.
            if bits == 64 {
                let (x, y) = (elem(a, part, 64), elem(b, part, 64));
                vset(c, d.rd, clmul(x, y));
            } else {
                for k in 0..n {
                    let p = clmul(elem(a, part + k, 8), elem(b, part + k, 8));
                    set_elem(&mut r, k, 16, p as u64);
                }
                vset(c, d.rd, r);
            }
            return 0;
        }
        _ => {}
    }
    for k in 0..n {
        let x = if d.op == 0b0001 || d.op == 0b0011 {
            val(elem(a, k, wb), wb, s)
        } else {
            val(elem(a, part + k, bits), bits, s)
        };
        let y = val(elem(b, part + k, bits), bits, s);
        let accv = val(elem(acc, k, wb), wb, true);
        let v = diff_lane(d.op, d.u, bits, x, y, accv, &mut qc);
        set_elem(&mut r, k, wb, v as u64);
    }
    vset_q(c, d.rd, r, !d.scalar);
    if d.scalar {
        vset(c, d.rd, r & ones(wb) as u128);
    }
    if qc {
        lanes::set_qc(c);
    }
    0
}
tcg::helper!(INT3DIFF, "adv_int3diff", A1(int3diff), ENV_FIELDS);

fn by_elem(ctx: &mut Ctx, i: Insn) -> Result<(), Undef> {
    let u = i.bit(29);
    let scalar = i.bit(28);
    let size = i.bits(23, 22);
    let opc = i.bits(15, 12);
    // FP forms and dot products live elsewhere.
    match (u, opc) {
        (true, 0b0001 | 0b0011 | 0b0101 | 0b0111) => return super::complex::fcmla_elem(ctx, i),
        (false, 0b0000 | 0b0100) | (true, 0b1000 | 0b1100) => {
            return super::fhm::fmlal_elem(ctx, i)
        }
        (_, 0b0001) | (_, 0b0101) | (_, 0b1001) => return super::fparith::fp_by_elem(ctx, i),
        (_, 0b1110) => return super::dot::dot_elem(ctx, i),
        (false, 0b1111) if size == 0 || size == 2 => return super::dot::dot_elem(ctx, i),
        (false, 0b1111) => return super::bf16::by_elem(ctx, i),
        _ => {}
    }
    let (l, m, h) = (i.bit(21) as u32, i.bit(20) as u32, i.bit(11) as u32);
    let (idx, rm) = match size {
        1 => (h << 2 | l << 1 | m, i.bits(19, 16) as usize),
        2 => (h << 1 | l, (m << 4 | i.bits(19, 16)) as usize),
        _ => return Err(Undef),
    };
    let mut d = desc3(i, 0);
    d.rm = rm;
    d.imm = idx;
    d.by_elem = true;
    let (helper, op, u2) = match (u, opc) {
        (false, 0b1000) if !scalar => (&INT3, 0b10011, false),
        (true, 0b0000) if !scalar => (&INT3, 0b10010, false),
        (true, 0b0100) if !scalar => (&INT3, 0b10010, true),
        (false, 0b1100) => (&INT3, 0b10110, false),
        (false, 0b1101) => (&INT3, 0b10110, true),
        (_, 0b0010) if !scalar => (&INT3DIFF, 0b1000, u),
        (_, 0b0110) if !scalar => (&INT3DIFF, 0b1010, u),
        (_, 0b1010) if !scalar => (&INT3DIFF, 0b1100, u),
        (false, 0b0011) => (&INT3DIFF, 0b1001, false),
        (false, 0b0111) => (&INT3DIFF, 0b1011, false),
        (false, 0b1011) => (&INT3DIFF, 0b1101, false),
        (true, 0b1101) | (true, 0b1111) => {
            need(ctx.features.rdm)?;
            (&INT3, SQRDMLAH + (opc >> 1 & 1), false)
        }
        _ => return Err(Undef),
    };
    d.op = op;
    d.u = u2;
    lanes::call(ctx, helper, d);
    Ok(())
}
