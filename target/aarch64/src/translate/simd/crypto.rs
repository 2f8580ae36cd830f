//! Crypto extensions (AES, SHA1, SHA256, SHA512, SHA3), each gated on the
//! model's feature; the SM3/SM4 encodings of these groups go to `sm.rs`.
//! Semantics follow the manual's pseudocode; the AES tables are computed at
//! compile time from the field arithmetic.

use super::lanes::{self, elem, set_elem, vget, vset, Desc};
use super::{need, vread, vwrite, Ctx};
use crate::decode::{pat, Insn, Pattern, Undef};
use tcg::helper::{Env, ENV_FIELDS};

pub const PATTERNS: &[Pattern] = &[
    pat("aes", "01001110 size:2 10100 opcode:5 10 rn:5 rd:5", aes),
    pat(
        "sha_3reg",
        "01011110 size:2 0 rm:5 0 opcode:3 00 rn:5 rd:5",
        sha3reg,
    ),
    pat(
        "sha_2reg",
        "01011110 size:2 10100 opcode:5 10 rn:5 rd:5",
        sha2reg,
    ),
    pat(
        "sha512_3reg",
        "11001110011 rm:5 1 o:1 00 opcode:2 rn:5 rd:5",
        sha512_3reg,
    ),
    pat(
        "sha512_2reg",
        "11001110110000001000 opcode:2 rn:5 rd:5",
        sha512_2reg,
    ),
    pat(
        "crypto_4reg",
        "110011100 op0:2 rm:5 0 ra:5 rn:5 rd:5",
        eor3_bcax,
    ),
    pat("xar", "11001110100 rm:5 imm6:6 rn:5 rd:5", xar),
];

// ---- AES

const fn gmul(mut a: u8, mut b: u8) -> u8 {
    let mut p = 0u8;
    while b != 0 {
        if b & 1 != 0 {
            p ^= a;
        }
        let hi = a & 0x80;
        a <<= 1;
        if hi != 0 {
            a ^= 0x1b;
        }
        b >>= 1;
    }
    p
}

const fn sbox() -> [u8; 256] {
    let mut s = [0u8; 256];
    let mut x = 0usize;
    while x < 256 {
        // inverse = x^254
        let mut inv = 1u8;
        let mut k = 0;
        while k < 254 {
            inv = gmul(inv, x as u8);
            k += 1;
        }
        if x == 0 {
            inv = 0;
        }
        let b = inv;
        s[x] = b ^ b.rotate_left(1) ^ b.rotate_left(2) ^ b.rotate_left(3) ^ b.rotate_left(4) ^ 0x63;
        x += 1;
    }
    s
}

const fn inv_sbox(s: &[u8; 256]) -> [u8; 256] {
    let mut r = [0u8; 256];
    let mut x = 0;
    while x < 256 {
        r[s[x] as usize] = x as u8;
        x += 1;
    }
    r
}

static SBOX: [u8; 256] = sbox();
static INV_SBOX: [u8; 256] = inv_sbox(&SBOX);

fn aes_round(state: u128, op: u32) -> u128 {
    let b = state.to_le_bytes();
    let mut r = [0u8; 16];
    match op {
        0b00100 | 0b00101 => {
            let enc = op == 0b00100;
            for c in 0..4 {
                for row in 0..4 {
                    let src = if enc {
                        (c + row) % 4
                    } else {
                        (c + 4 - row) % 4
                    };
                    let v = b[4 * src + row];
                    r[4 * c + row] = if enc {
                        SBOX[v as usize]
                    } else {
                        INV_SBOX[v as usize]
                    };
                }
            }
        }
        _ => {
            let k: [u8; 4] = if op == 0b00110 {
                [2, 3, 1, 1]
            } else {
                [14, 11, 13, 9]
            };
            for c in 0..4 {
                let a = &b[4 * c..4 * c + 4];
                for row in 0..4 {
                    let mut v = 0;
                    for j in 0..4 {
                        v ^= gmul(a[(row + j) % 4], k[j]);
                    }
                    r[4 * c + row] = v;
                }
            }
        }
    }
    u128::from_le_bytes(r)
}

fn aes(ctx: &mut Ctx, i: Insn) -> Result<(), Undef> {
    need(ctx.features.aes)?;
    let op = i.bits(16, 12);
    if i.bits(23, 22) != 0 || !(0b00100..=0b00111).contains(&op) {
        return Err(Undef);
    }
    call(ctx, op, i);
    Ok(())
}

fn call(ctx: &mut Ctx, op: u32, i: Insn) {
    let d = Desc {
        op,
        rd: i.rd(),
        rn: i.rn(),
        rm: i.rm(),
        ..Desc::default()
    };
    lanes::call(ctx, &CRYPTO, d);
}

// op numbers inside the crypto helper (and `compute`): the AES opcodes,
// then the SHA ones
pub const AESE: u32 = 0b00100;
pub const AESD: u32 = 0b00101;
pub const AESMC: u32 = 0b00110;
pub const AESIMC: u32 = 0b00111;
pub const SHA1C: u32 = 0x10;
pub const SHA1P: u32 = 0x11;
pub const SHA1M: u32 = 0x12;
pub const SHA1SU0: u32 = 0x13;
pub const SHA256H: u32 = 0x14;
pub const SHA256H2: u32 = 0x15;
pub const SHA256SU1: u32 = 0x16;
pub const SHA1H: u32 = 0x20;
pub const SHA1SU1: u32 = 0x21;
pub const SHA256SU0: u32 = 0x22;
pub const SHA512H: u32 = 0x30;
pub const SHA512H2: u32 = 0x31;
pub const SHA512SU1: u32 = 0x32;
pub const SHA512SU0: u32 = 0x34;

fn sha3reg(ctx: &mut Ctx, i: Insn) -> Result<(), Undef> {
    let op = i.bits(14, 12);
    if i.bits(23, 22) != 0 || op == 7 {
        return Err(Undef);
    }
    need(if op < 4 {
        ctx.features.sha1
    } else {
        ctx.features.sha2
    })?;
    call(ctx, SHA1C + op, i);
    Ok(())
}

fn sha2reg(ctx: &mut Ctx, i: Insn) -> Result<(), Undef> {
    let op = i.bits(16, 12);
    if i.bits(23, 22) != 0 || op > 2 {
        return Err(Undef);
    }
    need(if op < 2 {
        ctx.features.sha1
    } else {
        ctx.features.sha2
    })?;
    call(ctx, SHA1H + op, i);
    Ok(())
}

fn sha512_3reg(ctx: &mut Ctx, i: Insn) -> Result<(), Undef> {
    let op = i.bits(11, 10);
    if i.bit(14) {
        return super::sm::three_reg(ctx, i);
    }
    if op == 3 {
        // RAX1: Vd = Vn ^ ROL(Vm, 1) per 64-bit lane.
        need(ctx.features.sha3)?;
        for h in 0..2 {
            let n = vread(ctx, i.rn(), h);
            let m = vread(ctx, i.rm(), h);
            let t = ctx.b.temp_i64();
            ctx.b.rotri_i64(t, m, 63);
            ctx.b.xor_i64(t, t, n);
            vwrite(ctx, i.rd(), h, t);
        }
        return Ok(());
    }
    need(ctx.features.sha512)?;
    call(ctx, SHA512H + op, i);
    Ok(())
}

fn sha512_2reg(ctx: &mut Ctx, i: Insn) -> Result<(), Undef> {
    match i.bits(11, 10) {
        0 => {}
        1 => return super::sm::sm4e(ctx, i),
        _ => return Err(Undef),
    }
    need(ctx.features.sha512)?;
    call(ctx, SHA512SU0, i);
    Ok(())
}

fn eor3_bcax(ctx: &mut Ctx, i: Insn) -> Result<(), Undef> {
    let op = i.bits(22, 21);
    if op == 2 {
        return super::sm::sm3ss1(ctx, i);
    }
    if op > 1 {
        return Err(Undef);
    }
    need(ctx.features.sha3)?;
    for h in 0..2 {
        let n = vread(ctx, i.rn(), h);
        let m = vread(ctx, i.rm(), h);
        let a = vread(ctx, i.ra(), h);
        let t = ctx.b.temp_i64();
        if op == 0 {
            ctx.b.xor_i64(t, n, m);
        } else {
            ctx.b.andc_i64(t, m, a);
            ctx.b.xor_i64(t, n, t);
            vwrite(ctx, i.rd(), h, t);
            continue;
        }
        ctx.b.xor_i64(t, t, a);
        vwrite(ctx, i.rd(), h, t);
    }
    Ok(())
}

fn xar(ctx: &mut Ctx, i: Insn) -> Result<(), Undef> {
    need(ctx.features.sha3)?;
    let sh = i.bits(15, 10);
    for h in 0..2 {
        let n = vread(ctx, i.rn(), h);
        let m = vread(ctx, i.rm(), h);
        let t = ctx.b.temp_i64();
        ctx.b.xor_i64(t, n, m);
        if sh != 0 {
            ctx.b.rotri_i64(t, t, sh);
        }
        vwrite(ctx, i.rd(), h, t);
    }
    Ok(())
}

fn choose(x: u32, y: u32, z: u32) -> u32 {
    ((y ^ z) & x) ^ z
}
fn parity(x: u32, y: u32, z: u32) -> u32 {
    x ^ y ^ z
}
fn majority(x: u32, y: u32, z: u32) -> u32 {
    (x & y) | ((x | y) & z)
}
fn w32(v: u128, e: usize) -> u32 {
    elem(v, e, 32) as u32
}

fn sha1_hash(mut x: u128, mut y: u32, w: u128, f: fn(u32, u32, u32) -> u32) -> u128 {
    for e in 0..4 {
        let t = f(w32(x, 1), w32(x, 2), w32(x, 3));
        y = y
            .wrapping_add(w32(x, 0).rotate_left(5))
            .wrapping_add(t)
            .wrapping_add(w32(w, e));
        let x1 = w32(x, 1).rotate_left(30);
        set_elem(&mut x, 1, 32, x1 as u64);
        // ROL(Y:X, 32)
        let top = w32(x, 3);
        x = x << 32 | y as u128;
        y = top;
    }
    x
}

fn sha256_hash(mut x: u128, mut y: u128, w: u128, part1: bool) -> u128 {
    for e in 0..4 {
        let chs = choose(w32(y, 0), w32(y, 1), w32(y, 2));
        let maj = majority(w32(x, 0), w32(x, 1), w32(x, 2));
        let y0 = w32(y, 0);
        let sigma1 = y0.rotate_right(6) ^ y0.rotate_right(11) ^ y0.rotate_right(25);
        let t = w32(y, 3)
            .wrapping_add(sigma1)
            .wrapping_add(chs)
            .wrapping_add(w32(w, e));
        let x3 = t.wrapping_add(w32(x, 3));
        set_elem(&mut x, 3, 32, x3 as u64);
        let x0 = w32(x, 0);
        let sigma0 = x0.rotate_right(2) ^ x0.rotate_right(13) ^ x0.rotate_right(22);
        let y3 = t.wrapping_add(sigma0).wrapping_add(maj);
        set_elem(&mut y, 3, 32, y3 as u64);
        // ROL(Y:X, 32)
        let (xt, yt) = (w32(x, 3), w32(y, 3));
        x = x << 32 | yt as u128;
        y = y << 32 | xt as u128;
    }
    if part1 {
        x
    } else {
        y
    }
}

fn sha256_su1(op1: u128, op2: u128, op3: u128) -> u128 {
    let t0 = (op3 & 0xffff_ffff) << 96 | op2 >> 32;
    let mut t1 = op3 >> 64;
    let mut r = 0u128;
    for e in 0..4 {
        if e == 2 {
            t1 = r & u64::MAX as u128;
        }
        let elt = w32(t1, e % 2);
        let elt = elt.rotate_right(17) ^ elt.rotate_right(19) ^ (elt >> 10);
        let elt = elt.wrapping_add(w32(op1, e)).wrapping_add(w32(t0, e));
        set_elem(&mut r, e, 32, elt as u64);
    }
    r
}

fn hi(v: u128) -> u64 {
    (v >> 64) as u64
}
fn lo(v: u128) -> u64 {
    v as u64
}
fn q2(h: u64, l: u64) -> u128 {
    (h as u128) << 64 | l as u128
}

extern "C" fn crypto_helper(env: Env, desc: u64) -> u64 {
    let d = Desc::unpack(desc);
    let c = lanes::cpu(env);
    let (vd, vn, vm) = (vget(c, d.rd), vget(c, d.rn), vget(c, d.rm));
    vset(c, d.rd, compute(d.op, vd, vn, vm));
    0
}
tcg::helper!(CRYPTO, "crypto", A1(crypto_helper), ENV_FIELDS);

/// The new value of the destination of crypto operation `op` (one of the
/// constants above) from the destination's old value and the two sources
/// (AArch32's Qd, Qn, Qm; the one-source forms read `vn`). Shared with the
/// AArch32 frontend.
pub fn compute(op: u32, vd: u128, vn: u128, vm: u128) -> u128 {
    match op {
        AESE | AESD => aes_round(vd ^ vn, op),
        AESMC | AESIMC => aes_round(vn, op),
        SHA1C => sha1_hash(vd, w32(vn, 0), vm, choose),
        SHA1P => sha1_hash(vd, w32(vn, 0), vm, parity),
        SHA1M => sha1_hash(vd, w32(vn, 0), vm, majority),
        SHA1SU0 => ((lo(vn) as u128) << 64 | vd >> 64) ^ vd ^ vm,
        SHA256H => sha256_hash(vd, vn, vm, true),
        SHA256H2 => sha256_hash(vn, vd, vm, false),
        SHA256SU1 => sha256_su1(vd, vn, vm),
        SHA1H => w32(vn, 0).rotate_left(30) as u128,
        SHA1SU1 => {
            let t = vd ^ (vn >> 32);
            let mut r = 0u128;
            for e in 0..3 {
                set_elem(&mut r, e, 32, w32(t, e).rotate_left(1) as u64);
            }
            set_elem(
                &mut r,
                3,
                32,
                (w32(t, 3).rotate_left(1) ^ w32(t, 0).rotate_left(2)) as u64,
            );
            r
        }
        SHA256SU0 => {
            let t = (vn & 0xffff_ffff) << 96 | vd >> 32;
            let mut r = 0u128;
            for e in 0..4 {
                let x = w32(t, e);
                let x = x.rotate_right(7) ^ x.rotate_right(18) ^ (x >> 3);
                set_elem(&mut r, e, 32, x.wrapping_add(w32(vd, e)) as u64);
            }
            r
        }
        SHA512H => {
            let (x, y, w) = (vn, vm, vd);
            let s1 = |v: u64| v.rotate_right(14) ^ v.rotate_right(18) ^ v.rotate_right(41);
            let th = ((hi(y) & lo(x)) ^ (!hi(y) & hi(x)))
                .wrapping_add(s1(hi(y)))
                .wrapping_add(hi(w));
            let tmp = th.wrapping_add(lo(y));
            let tl = ((tmp & hi(y)) ^ (!tmp & lo(x)))
                .wrapping_add(s1(tmp))
                .wrapping_add(lo(w));
            q2(th, tl)
        }
        SHA512H2 => {
            let (x, y, w) = (vn, vm, vd);
            let s0 = |v: u64| v.rotate_right(28) ^ v.rotate_right(34) ^ v.rotate_right(39);
            let th = ((lo(x) & hi(y)) ^ (lo(x) & lo(y)) ^ (hi(y) & lo(y)))
                .wrapping_add(s0(lo(y)))
                .wrapping_add(hi(w));
            let tl = ((th & lo(y)) ^ (th & hi(y)) ^ (hi(y) & lo(y)))
                .wrapping_add(s0(th))
                .wrapping_add(lo(w));
            q2(th, tl)
        }
        SHA512SU1 => {
            let s1 = |v: u64| v.rotate_right(19) ^ v.rotate_right(61) ^ (v >> 6);
            let h = hi(vd).wrapping_add(s1(hi(vn))).wrapping_add(hi(vm));
            let l = lo(vd).wrapping_add(s1(lo(vn))).wrapping_add(lo(vm));
            q2(h, l)
        }
        SHA512SU0 => {
            let s0 = |v: u64| v.rotate_right(1) ^ v.rotate_right(8) ^ (v >> 7);
            let l = lo(vd).wrapping_add(s0(hi(vd)));
            let h = hi(vd).wrapping_add(s0(lo(vn)));
            q2(h, l)
        }
        _ => vd,
    }
}
