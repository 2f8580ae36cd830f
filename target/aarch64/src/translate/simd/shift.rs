//! AdvSIMD shift by immediate, vector and scalar: SSHR/USHR/SSRA/USRA and
//! rounding forms, SRI/SHL/SLI, SQSHL/UQSHL/SQSHLU, the narrowing shifts
//! (SHRN, RSHRN, SQ[R]SHR[U]N, UQ[R]SHRN) and SSHLL/USHLL. Fixed-point
//! conversions of this group go to `fparith`.

use super::lanes::{self, elem, ones, sat, set_elem, shift, val, vget, vset, vset_q, Desc};
use super::Ctx;
use crate::decode::{pat, Insn, Pattern, Undef};
use tcg::helper::{Env, ENV_FIELDS};

pub const PATTERNS: &[Pattern] = &[
    pat(
        "adv_shift",
        "0 q:1 u:1 011110 immh:4 immb:3 opcode:5 1 rn:5 rd:5",
        shift_imm,
    ),
    pat(
        "adv_s_shift",
        "01 u:1 111110 immh:4 immb:3 opcode:5 1 rn:5 rd:5",
        shift_imm,
    ),
];

fn shift_imm(ctx: &mut Ctx, i: Insn) -> Result<(), Undef> {
    let immh = i.bits(22, 19);
    let scalar = i.bit(28);
    let q = i.bit(30) && !scalar;
    let u = i.bit(29);
    let opc = i.bits(15, 11);
    if immh == 0 {
        return Err(Undef);
    }
    if opc == 0b11100 || opc == 0b11111 {
        return super::fparith::fcvt_fixed_vec(ctx, i);
    }
    let size = 31 - immh.leading_zeros(); // log2 element bytes, 0..=3
    let esize = 8u32 << size;
    let immhb = i.bits(22, 16);
    let narrow = (0b10000..=0b10011).contains(&opc);
    let long = opc == 0b10100;
    let valid = match opc {
        0b00000 | 0b00010 | 0b00100 | 0b00110 => !scalar || size == 3,
        0b01000 => u && (!scalar || size == 3),
        0b01010 => !scalar || size == 3,
        0b01100 => u,
        0b01110 => true,
        0b10000 | 0b10001 => !scalar || u,
        0b10010 | 0b10011 => true,
        0b10100 => !scalar,
        _ => false,
    };
    if !valid || ((narrow || long) && size == 3) || (!narrow && !long && !scalar && size == 3 && !q)
    {
        return Err(Undef);
    }
    // Right shifts count from 2*esize down; left shifts up from esize.
    let left = matches!(opc, 0b01010 | 0b01100 | 0b01110 | 0b10100);
    let amount = if left {
        immhb - esize
    } else {
        2 * esize - immhb
    };
    if matches!(opc, 0b00000 | 0b00010 | 0b01000 | 0b01010) {
        shift_inline(ctx, i, opc, u, size, amount, q);
        return Ok(());
    }
    if opc == 0b10100 {
        shll_inline(ctx, i, u, size, amount);
        return Ok(());
    }
    if opc == 0b10000 && !u && !scalar && size < 2 {
        shrn_inline(ctx, i, size, amount);
        return Ok(());
    }
    let d = Desc {
        op: opc,
        size,
        q,
        u,
        rd: i.rd(),
        rn: i.rn(),
        imm: amount,
        scalar,
        ..Desc::default()
    };
    lanes::call(ctx, &SHIFT, d);
    Ok(())
}

/// SSHR/USHR, SSRA/USRA, SHL, SLI, SRI by immediate, inline on 64-bit
/// halves (vector forms, and the 64-bit scalar forms with `q` false).
fn shift_inline(ctx: &mut Ctx, i: Insn, opc: u32, u: bool, size: u32, n: u32, q: bool) {
    let e = 8u32 << size;
    let lane = |v: u64| super::dup_const(v, size);
    let halves = if q { 2 } else { 1 };
    let mut out = vec![];
    for h in 0..halves {
        let x = super::vread(ctx, i.rn(), h);
        let t = ctx.b.temp_i64();
        match (opc, u) {
            (0b01010, _) => {
                // SHL / SLI
                if n == 0 {
                    ctx.b.mov_i64(t, x);
                } else {
                    ctx.b.shli_i64(t, x, n);
                    ctx.b.andi_i64(t, t, lane((ones(e) << n) & ones(e)));
                }
                if u {
                    let d = super::vread(ctx, i.rd(), h);
                    let keep = ctx.b.temp_i64();
                    ctx.b.andi_i64(keep, d, lane(ones(n)));
                    ctx.b.or_i64(t, t, keep);
                }
            }
            (0b01000, _) => {
                // SRI: keep the top n bits of each destination lane
                let d = super::vread(ctx, i.rd(), h);
                if n >= e {
                    ctx.b.mov_i64(t, d);
                } else {
                    let lo = lane(ones(e) >> n);
                    ctx.b.shri_i64(t, x, n);
                    ctx.b.andi_i64(t, t, lo);
                    let keep = ctx.b.temp_i64();
                    ctx.b.andi_i64(keep, d, !lo);
                    ctx.b.or_i64(t, t, keep);
                }
            }
            _ => {
                // [SU]SHR, [SU]SRA: n is 1..=e
                if e == 64 {
                    if u {
                        if n >= 64 {
                            ctx.b.movi_i64(t, 0);
                        } else {
                            ctx.b.shri_i64(t, x, n);
                        }
                    } else {
                        ctx.b.sari_i64(t, x, n.min(63));
                    }
                } else {
                    if n >= e {
                        ctx.b.movi_i64(t, 0);
                    } else {
                        ctx.b.shri_i64(t, x, n);
                        ctx.b.andi_i64(t, t, lane(ones(e) >> n));
                    }
                    if !u {
                        // Fill the top n bits of negative lanes.
                        let s = ctx.b.temp_i64();
                        ctx.b.shri_i64(s, x, e - 1);
                        ctx.b.andi_i64(s, s, lane(1));
                        let fill = ctx
                            .b
                            .const_i64((ones(n.min(e)) << (e - n.min(e))) & ones(e));
                        ctx.b.mul_i64(s, s, fill);
                        ctx.b.or_i64(t, t, s);
                    }
                }
                if opc == 0b00010 {
                    let d = super::vread(ctx, i.rd(), h);
                    let r = super::swar::swar_addsub(ctx, d, t, e, false);
                    out.push(r);
                    continue;
                }
            }
        }
        out.push(t);
    }
    for (h, r) in out.into_iter().enumerate() {
        super::vwrite(ctx, i.rd(), h, r);
    }
    if !q {
        super::vclear_high(ctx, i.rd());
    }
}

/// [SU]SHLL(2) / [SU]XTL(2), inline: widen the half selected by Q.
fn shll_inline(ctx: &mut Ctx, i: Insn, u: bool, size: u32, sh: u32) {
    let e = 8u32 << size;
    let src = super::vread(ctx, i.rn(), i.bit(30) as usize);
    let wide = |v: u64| super::dup_const(v, size + 1);
    let mut out = vec![];
    for h in 0..2 {
        let t = ctx.b.temp_i64();
        if h == 0 {
            ctx.b.andi_i64(t, src, 0xffff_ffff);
        } else {
            ctx.b.shri_i64(t, src, 32);
        }
        // Spread e-bit lanes of the low 32 bits into 2e-bit lanes.
        let mut s = 16;
        while s >= e {
            let u2 = ctx.b.temp_i64();
            ctx.b.shli_i64(u2, t, s);
            ctx.b.or_i64(t, t, u2);
            ctx.b.andi_i64(
                t,
                t,
                super::dup_const(ones(s), (4 * s).trailing_zeros() - 3 - 1),
            );
            s /= 2;
        }
        if !u {
            let sg = ctx.b.temp_i64();
            ctx.b.shri_i64(sg, t, e - 1);
            ctx.b.andi_i64(sg, sg, wide(1));
            let fill = ctx.b.const_i64(ones(e) << e);
            ctx.b.mul_i64(sg, sg, fill);
            ctx.b.or_i64(t, t, sg);
        }
        if sh != 0 {
            // The shift carries each lane's top (sign) bits into the low
            // bits of the lane above: clear them.
            ctx.b.shli_i64(t, t, sh);
            ctx.b.andi_i64(t, t, wide(ones(2 * e) & !ones(sh)));
        }
        out.push(t);
    }
    super::vwrite(ctx, i.rd(), 0, out[0]);
    super::vwrite(ctx, i.rd(), 1, out[1]);
}

/// SHRN/SHRN2 from 16- or 32-bit lanes, inline.
fn shrn_inline(ctx: &mut Ctx, i: Insn, size: u32, sh: u32) {
    let bits = 8 << size;
    let m = super::dup_const(ones(bits), size + 1);
    let mut packed = vec![];
    for h in 0..2 {
        let x = super::vread(ctx, i.rn(), h);
        let t = ctx.b.temp_i64();
        ctx.b.shri_i64(t, x, sh);
        ctx.b.andi_i64(t, t, m);
        packed.push(super::swar::compress(ctx, t, bits));
    }
    let r = ctx.b.temp_i64();
    ctx.b.shli_i64(r, packed[1], 32);
    ctx.b.or_i64(r, r, packed[0]);
    if i.bit(30) {
        super::vwrite(ctx, i.rd(), 1, r);
    } else {
        super::vwrite(ctx, i.rd(), 0, r);
        super::vclear_high(ctx, i.rd());
    }
}

extern "C" fn shift_helper(env: Env, desc: u64) -> u64 {
    let d = Desc::unpack(desc);
    let c = lanes::cpu(env);
    let bits = d.ebits();
    let (a, old) = (vget(c, d.rn), vget(c, d.rd));
    let sh = d.imm as i64;
    let s = !d.u;
    let mut qc = false;
    let mut r = 0u128;
    match d.op {
        0b10000..=0b10011 => {
            // Narrowing: source elements are 2*bits wide.
            let wb = bits * 2;
            let n = if d.scalar { 1 } else { 64 / bits as usize };
            let round = d.op & 1 != 0;
            for k in 0..n {
                let v = match (d.op, d.u) {
                    (0b10000 | 0b10001, false) => {
                        shift(val(elem(a, k, wb), wb, false), -sh, round) as u64
                    }
                    // SQSHRUN/SQRSHRUN: signed source, unsigned saturation.
                    (0b10000 | 0b10001, true) => sat(
                        shift(val(elem(a, k, wb), wb, true), -sh, round),
                        bits,
                        false,
                        &mut qc,
                    ),
                    _ => sat(
                        shift(val(elem(a, k, wb), wb, s), -sh, round),
                        bits,
                        s,
                        &mut qc,
                    ),
                };
                set_elem(&mut r, k, bits, v);
            }
            if d.scalar {
                vset(c, d.rd, r & ones(bits) as u128);
            } else if d.q {
                vset(c, d.rd, r << 64 | (old & u64::MAX as u128));
            } else {
                vset(c, d.rd, r);
            }
        }
        0b10100 => {
            // SSHLL/USHLL (and SXTL/UXTL): from the half selected by Q.
            let n = 64 / bits as usize;
            let part = if d.q { n } else { 0 };
            for k in 0..n {
                let v = val(elem(a, part + k, bits), bits, s) << sh;
                set_elem(&mut r, k, bits * 2, v as u64);
            }
            vset(c, d.rd, r);
        }
        op => {
            let n = d.elems();
            for k in 0..n {
                let x = elem(a, k, bits);
                let o = elem(old, k, bits);
                let vx = val(x, bits, s);
                let m = ones(bits);
                let v = match op {
                    0b00000 => shift(vx, -sh, false) as u64,
                    0b00010 => (o as i128 + shift(vx, -sh, false)) as u64,
                    0b00100 => shift(vx, -sh, true) as u64,
                    0b00110 => (o as i128 + shift(vx, -sh, true)) as u64,
                    0b01000 => {
                        // SRI: insert x >> sh, keeping the top sh bits of the destination.
                        if sh as u32 >= bits {
                            o
                        } else {
                            let mask = m >> sh;
                            (o & !mask) | ((x & m) >> sh)
                        }
                    }
                    0b01010 => {
                        let v = (x << sh) & m;
                        if d.u {
                            // SLI: keep the low sh bits of the destination.
                            v | (o & ((1u64 << sh) - 1))
                        } else {
                            v
                        }
                    }
                    0b01100 => sat(shift(val(x, bits, true), sh, false), bits, false, &mut qc),
                    _ => sat(shift(vx, sh, false), bits, s, &mut qc),
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
tcg::helper!(SHIFT, "adv_shift", A1(shift_helper), ENV_FIELDS);
