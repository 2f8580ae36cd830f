//! The few A64 encodings the harness code needs (prologues, epilogues, the
//! signal handler, the start and exit code), as plain functions.

pub const SP: u32 = 31;
pub const XZR: u32 = 31;

/// MOVZ/MOVK sequence loading a 64-bit constant into `rd`.
pub fn mov64(rd: u32, v: u64) -> Vec<u32> {
    let mut out = Vec::new();
    for hw in 0..4u32 {
        let chunk = ((v >> (16 * hw)) & 0xffff) as u32;
        if chunk == 0 && !(hw == 3 && out.is_empty()) {
            continue;
        }
        let base = if out.is_empty() {
            0xd280_0000
        } else {
            0xf280_0000
        };
        out.push(base | hw << 21 | chunk << 5 | rd);
    }
    out
}

/// MOVZ Xd, #imm16.
pub fn movz(rd: u32, imm: u32) -> u32 {
    0xd280_0000 | (imm & 0xffff) << 5 | rd
}
/// MOVN Xd, #imm16 (Xd = !imm).
pub fn movn(rd: u32, imm: u32) -> u32 {
    0x9280_0000 | (imm & 0xffff) << 5 | rd
}
/// LDR Xt, [Xn, #off] (off a multiple of 8).
pub fn ldr_x(rt: u32, rn: u32, off: u32) -> u32 {
    0xf940_0000 | (off / 8) << 10 | rn << 5 | rt
}
/// STR Xt, [Xn, #off].
pub fn str_x(rt: u32, rn: u32, off: u32) -> u32 {
    0xf900_0000 | (off / 8) << 10 | rn << 5 | rt
}
/// LDR Wt, [Xn, #off] (off a multiple of 4).
pub fn ldr_w(rt: u32, rn: u32, off: u32) -> u32 {
    0xb940_0000 | (off / 4) << 10 | rn << 5 | rt
}
/// LDP Xt, Xt2, [Xn, #off].
pub fn ldp_x(rt: u32, rt2: u32, rn: u32, off: u32) -> u32 {
    0xa940_0000 | ((off / 8) & 0x7f) << 15 | rt2 << 10 | rn << 5 | rt
}
/// STP Xt, Xt2, [Xn, #off].
pub fn stp_x(rt: u32, rt2: u32, rn: u32, off: u32) -> u32 {
    0xa900_0000 | ((off / 8) & 0x7f) << 15 | rt2 << 10 | rn << 5 | rt
}
/// LDP Qt, Qt2, [Xn], #32.
pub fn ldp_q_post32(rt: u32, rt2: u32, rn: u32) -> u32 {
    0xacc0_0000 | 2 << 15 | rt2 << 10 | rn << 5 | rt
}
/// STP Qt, Qt2, [Xn], #32.
pub fn stp_q_post32(rt: u32, rt2: u32, rn: u32) -> u32 {
    0xac80_0000 | 2 << 15 | rt2 << 10 | rn << 5 | rt
}
/// ADD Xd|SP, Xn|SP, #imm12.
pub fn add_imm(rd: u32, rn: u32, imm: u32) -> u32 {
    0x9100_0000 | (imm & 0xfff) << 10 | rn << 5 | rd
}
/// ADD Xd, Xn, Xm.
pub fn add_reg(rd: u32, rn: u32, rm: u32) -> u32 {
    0x8b00_0000 | rm << 16 | rn << 5 | rd
}
/// SUB Xd, Xn, Xm.
pub fn sub_reg(rd: u32, rn: u32, rm: u32) -> u32 {
    0xcb00_0000 | rm << 16 | rn << 5 | rd
}
/// MADD Xd, Xn, Xm, Xa.
pub fn madd(rd: u32, rn: u32, rm: u32, ra: u32) -> u32 {
    0x9b00_0000 | rm << 16 | ra << 10 | rn << 5 | rd
}
/// LDR Xt, [Xn, Xm, LSL #3].
pub fn ldr_x_idx(rt: u32, rn: u32, rm: u32) -> u32 {
    0xf860_7800 | rm << 16 | rn << 5 | rt
}
/// AND Xd, Xn, #0xf000_0000 (the NZCV bits of PSTATE).
pub fn and_nzcv(rd: u32, rn: u32) -> u32 {
    0x9240_0000 | 36 << 16 | 3 << 10 | rn << 5 | rd
}
/// CMP Xn, #0.
pub fn cmp0(rn: u32) -> u32 {
    0xf100_001f | rn << 5
}
pub fn br(rn: u32) -> u32 {
    0xd61f_0000 | rn << 5
}
pub const SVC0: u32 = 0xd400_0001;
pub const CLREX: u32 = 0xd503_305f;
/// B.cond to `off` bytes ahead.
pub fn b_cond(cond: u32, off: i64) -> u32 {
    0x5400_0000 | (((off / 4) as u32) & 0x7ffff) << 5 | cond
}
/// CBNZ Xt, `off`.
pub fn cbnz(rt: u32, off: i64) -> u32 {
    0xb500_0000 | (((off / 4) as u32) & 0x7ffff) << 5 | rt
}
pub const COND_LE: u32 = 0b1101;

/// System registers by their MSR/MRS encoding (op0:op1:CRn:CRm:op2 << 5).
pub const NZCV: u32 = 0x1b_4200;
pub const FPCR: u32 = 0x1b_4400;
pub const FPSR: u32 = 0x1b_4420;
pub const TPIDR_EL0: u32 = 0x1b_d040;
pub fn msr(sysreg: u32, rt: u32) -> u32 {
    0xd500_0000 | sysreg | rt
}
pub fn mrs(rt: u32, sysreg: u32) -> u32 {
    0xd520_0000 | sysreg | rt
}
