//! FEAT_SM3 (SM3SS1, SM3TT1A/1B/2A/2B, SM3PARTW1/2) and FEAT_SM4 (SM4E,
//! SM4EKEY), per the manual's pseudocode. Vectors are 128-bit values with
//! 32-bit lane `i` at bits `32*i+31:32*i`. The S-box is the one of the SM4
//! standard (GB/T 32907-2016); `tests` checks the published vectors.

use super::lanes::{self, vget, vset, Desc};
use super::{need, Ctx};
use crate::decode::{pat, Insn, Pattern, Undef};
use tcg::helper::{Env, ENV_FIELDS};

pub const PATTERNS: &[Pattern] = &[pat(
    "sm3tt",
    "11001110010 rm:5 10 imm2:2 opcode:2 rn:5 rd:5",
    sm3tt_insn,
)];

/// Helper ops (`Desc::op`); SM3TT* carry imm2 in `Desc::imm`.
const SS1: u32 = 0;
const TT1A: u32 = 1;
const TT1B: u32 = 2;
const TT2A: u32 = 3;
const TT2B: u32 = 4;
const PARTW1: u32 = 5;
const PARTW2: u32 = 6;
const SM4E: u32 = 7;
const SM4EKEY: u32 = 8;

fn emit(ctx: &mut Ctx, i: Insn, op: u32, imm: u32) {
    let d = Desc {
        op,
        rd: i.rd(),
        rn: i.rn(),
        rm: i.rm(),
        ra: i.ra(),
        imm,
        ..Desc::default()
    };
    lanes::call(ctx, &SM, d);
}

fn sm3tt_insn(ctx: &mut Ctx, i: Insn) -> Result<(), Undef> {
    need(ctx.features.sm3)?;
    emit(ctx, i, TT1A + i.bits(11, 10), i.bits(13, 12));
    Ok(())
}

/// SM3SS1 (crypto four-register, op0 = 10).
pub(crate) fn sm3ss1(ctx: &mut Ctx, i: Insn) -> Result<(), Undef> {
    need(ctx.features.sm3)?;
    emit(ctx, i, SS1, 0);
    Ok(())
}

/// The SHA512 three-register group with O = 1: SM3PARTW1 (opcode 00),
/// SM3PARTW2 (01), SM4EKEY (10).
pub(crate) fn three_reg(ctx: &mut Ctx, i: Insn) -> Result<(), Undef> {
    match i.bits(11, 10) {
        0 | 1 => {
            need(ctx.features.sm3)?;
            emit(ctx, i, PARTW1 + i.bits(11, 10), 0);
        }
        2 => {
            need(ctx.features.sm4)?;
            emit(ctx, i, SM4EKEY, 0);
        }
        _ => return Err(Undef),
    }
    Ok(())
}

/// SM4E (SHA512 two-register group, opcode 01).
pub(crate) fn sm4e(ctx: &mut Ctx, i: Insn) -> Result<(), Undef> {
    need(ctx.features.sm4)?;
    emit(ctx, i, SM4E, 0);
    Ok(())
}

fn lane(v: u128, i: usize) -> u32 {
    (v >> (32 * i)) as u32
}

fn from_lanes(l: [u32; 4]) -> u128 {
    l.iter()
        .enumerate()
        .fold(0, |acc, (i, &x)| acc | (x as u128) << (32 * i))
}

pub(crate) fn sm3ss1_op(n: u128, m: u128, a: u128) -> u128 {
    let v = lane(n, 3)
        .rotate_left(12)
        .wrapping_add(lane(m, 3))
        .wrapping_add(lane(a, 3));
    (v.rotate_left(7) as u128) << 96
}

/// SM3TT1A/1B/2A/2B: `op` as the helper's, `i` the Vm lane.
pub(crate) fn sm3tt_op(op: u32, d: u128, n: u128, m: u128, i: usize) -> u128 {
    let (x, y, z, w) = (lane(d, 3), lane(d, 2), lane(d, 1), lane(d, 0));
    let f = match op {
        TT1A | TT2A => x ^ y ^ z,
        TT1B => (x & y) | (x & z) | (y & z),
        _ => (x & y) | (!x & z),
    };
    if op == TT1A || op == TT1B {
        // TT1 = FF(A, B, C) + D + SS2 + W'j, SS2 = SS1 ^ ROL(A, 12).
        let ss2 = lane(n, 3) ^ x.rotate_left(12);
        let t = f.wrapping_add(w).wrapping_add(ss2).wrapping_add(lane(m, i));
        from_lanes([z, y.rotate_left(9), x, t])
    } else {
        // TT2 = GG(E, F, G) + H + SS1 + Wj; the new E is P0(TT2).
        let t = f
            .wrapping_add(w)
            .wrapping_add(lane(n, 3))
            .wrapping_add(lane(m, i));
        from_lanes([
            z,
            y.rotate_left(19),
            x,
            t ^ t.rotate_left(9) ^ t.rotate_left(17),
        ])
    }
}

fn p1(x: u32) -> u32 {
    x ^ x.rotate_left(15) ^ x.rotate_left(23)
}

pub(crate) fn sm3partw1_op(d: u128, n: u128, m: u128) -> u128 {
    let dn = d ^ n;
    let mut r = [0u32; 4];
    for (i, ri) in r.iter_mut().enumerate().take(3) {
        *ri = p1(lane(dn, i) ^ lane(m, i + 1).rotate_left(15));
    }
    r[3] = p1(lane(dn, 3) ^ r[0].rotate_left(15));
    from_lanes(r)
}

pub(crate) fn sm3partw2_op(d: u128, n: u128, m: u128) -> u128 {
    let mut tmp = [0u32; 4];
    for (i, t) in tmp.iter_mut().enumerate() {
        *t = lane(n, i) ^ lane(m, i).rotate_left(7);
    }
    let mut r = [0u32; 4];
    for i in 0..4 {
        r[i] = lane(d, i) ^ tmp[i];
    }
    r[3] ^= p1(tmp[0].rotate_left(15));
    from_lanes(r)
}

static SBOX: [u8; 256] = [
    0xd6, 0x90, 0xe9, 0xfe, 0xcc, 0xe1, 0x3d, 0xb7, 0x16, 0xb6, 0x14, 0xc2, 0x28, 0xfb, 0x2c, 0x05,
    0x2b, 0x67, 0x9a, 0x76, 0x2a, 0xbe, 0x04, 0xc3, 0xaa, 0x44, 0x13, 0x26, 0x49, 0x86, 0x06, 0x99,
    0x9c, 0x42, 0x50, 0xf4, 0x91, 0xef, 0x98, 0x7a, 0x33, 0x54, 0x0b, 0x43, 0xed, 0xcf, 0xac, 0x62,
    0xe4, 0xb3, 0x1c, 0xa9, 0xc9, 0x08, 0xe8, 0x95, 0x80, 0xdf, 0x94, 0xfa, 0x75, 0x8f, 0x3f, 0xa6,
    0x47, 0x07, 0xa7, 0xfc, 0xf3, 0x73, 0x17, 0xba, 0x83, 0x59, 0x3c, 0x19, 0xe6, 0x85, 0x4f, 0xa8,
    0x68, 0x6b, 0x81, 0xb2, 0x71, 0x64, 0xda, 0x8b, 0xf8, 0xeb, 0x0f, 0x4b, 0x70, 0x56, 0x9d, 0x35,
    0x1e, 0x24, 0x0e, 0x5e, 0x63, 0x58, 0xd1, 0xa2, 0x25, 0x22, 0x7c, 0x3b, 0x01, 0x21, 0x78, 0x87,
    0xd4, 0x00, 0x46, 0x57, 0x9f, 0xd3, 0x27, 0x52, 0x4c, 0x36, 0x02, 0xe7, 0xa0, 0xc4, 0xc8, 0x9e,
    0xea, 0xbf, 0x8a, 0xd2, 0x40, 0xc7, 0x38, 0xb5, 0xa3, 0xf7, 0xf2, 0xce, 0xf9, 0x61, 0x15, 0xa1,
    0xe0, 0xae, 0x5d, 0xa4, 0x9b, 0x34, 0x1a, 0x55, 0xad, 0x93, 0x32, 0x30, 0xf5, 0x8c, 0xb1, 0xe3,
    0x1d, 0xf6, 0xe2, 0x2e, 0x82, 0x66, 0xca, 0x60, 0xc0, 0x29, 0x23, 0xab, 0x0d, 0x53, 0x4e, 0x6f,
    0xd5, 0xdb, 0x37, 0x45, 0xde, 0xfd, 0x8e, 0x2f, 0x03, 0xff, 0x6a, 0x72, 0x6d, 0x6c, 0x5b, 0x51,
    0x8d, 0x1b, 0xaf, 0x92, 0xbb, 0xdd, 0xbc, 0x7f, 0x11, 0xd9, 0x5c, 0x41, 0x1f, 0x10, 0x5a, 0xd8,
    0x0a, 0xc1, 0x31, 0x88, 0xa5, 0xcd, 0x7b, 0xbd, 0x2d, 0x74, 0xd0, 0x12, 0xb8, 0xe5, 0xb4, 0xb0,
    0x89, 0x69, 0x97, 0x4a, 0x0c, 0x96, 0x77, 0x7e, 0x65, 0xb9, 0xf1, 0x09, 0xc5, 0x6e, 0xc6, 0x84,
    0x18, 0xf0, 0x7d, 0xec, 0x3a, 0xdc, 0x4d, 0x20, 0x79, 0xee, 0x5f, 0x3e, 0xd7, 0xcb, 0x39, 0x48,
];

fn sbox32(x: u32) -> u32 {
    u32::from_le_bytes(x.to_le_bytes().map(|b| SBOX[b as usize]))
}

/// Four SM4 rounds on `state` (lane 0 = X0) with the four 32-bit words
/// of `keys`; `linear` is L (encryption) or L' (key expansion).
fn sm4_rounds(mut state: u128, keys: u128, linear: fn(u32) -> u32) -> u128 {
    for k in 0..4 {
        let t = lane(state, 3) ^ lane(state, 2) ^ lane(state, 1) ^ lane(keys, k);
        let x = linear(sbox32(t)) ^ lane(state, 0);
        state = state >> 32 | (x as u128) << 96;
    }
    state
}

pub(crate) fn sm4e_op(d: u128, n: u128) -> u128 {
    sm4_rounds(d, n, |b| {
        b ^ b.rotate_left(2) ^ b.rotate_left(10) ^ b.rotate_left(18) ^ b.rotate_left(24)
    })
}

pub(crate) fn sm4ekey_op(n: u128, m: u128) -> u128 {
    sm4_rounds(n, m, |b| b ^ b.rotate_left(13) ^ b.rotate_left(23))
}

extern "C" fn sm_helper(env: Env, desc: u64) -> u64 {
    let d = Desc::unpack(desc);
    let c = lanes::cpu(env);
    let (vd, vn, vm) = (vget(c, d.rd), vget(c, d.rn), vget(c, d.rm));
    let r = match d.op {
        SS1 => sm3ss1_op(vn, vm, vget(c, d.ra)),
        TT1A..=TT2B => sm3tt_op(d.op, vd, vn, vm, d.imm as usize),
        PARTW1 => sm3partw1_op(vd, vn, vm),
        PARTW2 => sm3partw2_op(vd, vn, vm),
        SM4E => sm4e_op(vd, vn),
        _ => sm4ekey_op(vn, vm),
    };
    vset(c, d.rd, r);
    0
}
tcg::helper!(SM, "crypto_sm", A1(sm_helper), ENV_FIELDS);

#[cfg(test)]
mod tests {
    use super::*;

    fn v(w: &[u32]) -> u128 {
        from_lanes([w[0], w[1], w[2], w[3]])
    }

    /// GB/T 32907-2016 example 1: key = plaintext = 0123...3210.
    #[test]
    fn sm4_known_answer() {
        const FK: [u32; 4] = [0xa3b1_bac6, 0x56aa_3350, 0x677d_9197, 0xb270_22dc];
        let mk = [0x0123_4567u32, 0x89ab_cdef, 0xfedc_ba98, 0x7654_3210];
        let ck = |i: usize| -> u32 {
            (0..4).fold(0, |acc, j| acc << 8 | ((4 * i + j) * 7 % 256) as u32)
        };
        let mut k = v(&[mk[0] ^ FK[0], mk[1] ^ FK[1], mk[2] ^ FK[2], mk[3] ^ FK[3]]);
        let mut rks = Vec::new();
        for r in 0..8 {
            k = sm4ekey_op(
                k,
                v(&[ck(4 * r), ck(4 * r + 1), ck(4 * r + 2), ck(4 * r + 3)]),
            );
            rks.push(k);
        }
        let mut x = v(&mk);
        for rk in &rks {
            x = sm4e_op(x, *rk);
        }
        let out = [lane(x, 3), lane(x, 2), lane(x, 1), lane(x, 0)];
        assert_eq!(out, [0x681e_df34, 0xd206_965e, 0x86b3_e94f, 0x536e_4246]);
    }

    /// SM3("abc") (GB/T 32905-2016 example 1), compressed with SM3SS1 and
    /// SM3TT*, its message schedule checked against SM3PARTW1/2.
    #[test]
    fn sm3_known_answer() {
        let mut blk = [0u8; 64];
        blk[..3].copy_from_slice(b"abc");
        blk[3] = 0x80;
        blk[63] = 24;
        let mut w = [0u32; 68];
        for j in 0..16 {
            w[j] = u32::from_be_bytes(blk[4 * j..4 * j + 4].try_into().unwrap());
        }
        for j in 16..68 {
            w[j] = p1(w[j - 16] ^ w[j - 9] ^ w[j - 3].rotate_left(15))
                ^ w[j - 13].rotate_left(7)
                ^ w[j - 6];
        }
        for j in (16..68).step_by(4) {
            let t = sm3partw1_op(v(&w[j - 16..]), v(&w[j - 9..]), v(&w[j - 4..]));
            let r = sm3partw2_op(t, v(&w[j - 6..]), v(&w[j - 13..]));
            assert_eq!(r, v(&w[j..]), "W{j}..");
        }
        let iv = [
            0x7380_166fu32,
            0x4914_b2b9,
            0x1724_42d7,
            0xda8a_0600,
            0xa96f_30bc,
            0x1631_38aa,
            0xe38d_ee4d,
            0xb0fb_0e4e,
        ];
        let mut abcd = v(&[iv[3], iv[2], iv[1], iv[0]]);
        let mut efgh = v(&[iv[7], iv[6], iv[5], iv[4]]);
        for j in 0..64 {
            let t: u32 = if j < 16 { 0x79cc_4519 } else { 0x7a87_9d8a };
            let ss1 = sm3ss1_op(abcd, efgh, (t.rotate_left(j as u32 % 32) as u128) << 96);
            let wp = v(&[w[j] ^ w[j + 4], 0, 0, 0]);
            let wj = v(&[0, w[j], 0, 0]);
            let (o1, o2) = if j < 16 { (TT1A, TT2A) } else { (TT1B, TT2B) };
            let a = sm3tt_op(o1, abcd, ss1, wp, 0);
            efgh = sm3tt_op(o2, efgh, ss1, wj, 1);
            abcd = a;
        }
        let h: Vec<u32> = [3, 2, 1, 0]
            .iter()
            .map(|&i| lane(abcd, i))
            .chain([3, 2, 1, 0].iter().map(|&i| lane(efgh, i)))
            .zip(iv)
            .map(|(x, y)| x ^ y)
            .collect();
        assert_eq!(
            h,
            [
                0x66c7_f0f4,
                0x62ee_edd9,
                0xd1f2_d46b,
                0xdc10_e4e2,
                0x4167_c487,
                0x5cf2_f7a2,
                0x297d_a02b,
                0x8f4b_a8e0
            ]
        );
    }
}
