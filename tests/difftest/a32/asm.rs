//! The few A32 and T32 encodings the harness code needs (prologue,
//! epilogue, signal handler, start and exit code) and the setup sequences
//! the generator puts before memory instructions.

/// A code buffer in one instruction set; T32 32-bit instructions are
/// written first halfword first.
pub struct Code {
    pub base: u32,
    pub bytes: Vec<u8>,
}

impl Code {
    pub fn pc(&self) -> u32 {
        self.base + self.bytes.len() as u32
    }
    /// An A32 word.
    pub fn a(&mut self, w: u32) {
        self.bytes.extend_from_slice(&w.to_le_bytes());
    }
    /// A T32 instruction as (size, value): 2 = one halfword, 4 = hw1 << 16 | hw2.
    pub fn t(&mut self, size: u8, w: u32) {
        if size == 4 {
            self.bytes
                .extend_from_slice(&((w >> 16) as u16).to_le_bytes());
        }
        self.bytes.extend_from_slice(&(w as u16).to_le_bytes());
    }
    /// An instruction of either set: `thumb` selects; (size, value) as `t`.
    pub fn put(&mut self, thumb: bool, size: u8, w: u32) {
        if thumb {
            self.t(size, w)
        } else {
            self.a(w)
        }
    }
    pub fn align4(&mut self) {
        while !self.bytes.len().is_multiple_of(4) {
            self.t(2, T16_NOP);
        }
    }
}

pub const T16_NOP: u32 = 0xbf00;
pub const A32_NOP: u32 = 0xe320_f000;

/// MOVW/MOVT pair (A32) loading `v` into `rd`.
pub fn a32_mov32(rd: u32, v: u32) -> Vec<u32> {
    let mut out = vec![0xe300_0000 | (v >> 12 & 0xf) << 16 | rd << 12 | (v & 0xfff)];
    if v >> 16 != 0 {
        let h = v >> 16;
        out.push(0xe340_0000 | (h >> 12) << 16 | rd << 12 | (h & 0xfff));
    }
    out
}

fn t32_imm16(base: u32, rd: u32, v: u32) -> u32 {
    let (imm4, i, imm3, imm8) = (v >> 12 & 0xf, v >> 11 & 1, v >> 8 & 7, v & 0xff);
    (base | i << 10 | imm4) << 16 | imm3 << 12 | rd << 8 | imm8
}

/// MOVW/MOVT pair (T32, 32-bit encodings) loading `v` into `rd`.
pub fn t32_mov32(rd: u32, v: u32) -> Vec<u32> {
    let mut out = vec![t32_imm16(0xf240, rd, v & 0xffff)];
    if v >> 16 != 0 {
        out.push(t32_imm16(0xf2c0, rd, v >> 16));
    }
    out
}

/// `rd = v` in either set: (size, value) pairs.
pub fn mov32(thumb: bool, rd: u32, v: u32) -> Vec<(u8, u32)> {
    if thumb {
        t32_mov32(rd, v).into_iter().map(|w| (4, w)).collect()
    } else {
        a32_mov32(rd, v).into_iter().map(|w| (4, w)).collect()
    }
}

/// LDR/STR Rt, [Rn, #imm12] (A32).
pub fn ldr(rt: u32, rn: u32, imm: u32) -> u32 {
    0xe590_0000 | rn << 16 | rt << 12 | imm
}
pub fn str(rt: u32, rn: u32, imm: u32) -> u32 {
    0xe580_0000 | rn << 16 | rt << 12 | imm
}
/// T32 LDR.W/STR.W Rt, [Rn, #imm12].
pub fn t_ldr(rt: u32, rn: u32, imm: u32) -> u32 {
    (0xf8d0 | rn) << 16 | rt << 12 | imm
}
pub fn t_str(rt: u32, rn: u32, imm: u32) -> u32 {
    (0xf8c0 | rn) << 16 | rt << 12 | imm
}
/// LDR Rt, [Rn, Rm, LSL #2] (A32).
pub fn ldr_idx4(rt: u32, rn: u32, rm: u32) -> u32 {
    0xe790_0100 | rn << 16 | rt << 12 | rm
}
/// LDM/STM Rn{!}, {list} (A32, increment after).
pub fn ldm(rn: u32, wb: bool, list: u32) -> u32 {
    0xe890_0000 | u32::from(wb) << 21 | rn << 16 | list
}
pub fn stm(rn: u32, wb: bool, list: u32) -> u32 {
    0xe880_0000 | u32::from(wb) << 21 | rn << 16 | list
}
/// T32 STM.W Rn, {list}.
pub fn t_stm(rn: u32, list: u32) -> u32 {
    (0xe880 | rn) << 16 | list
}
/// MSR APSR_nzcvqg, Rn.
pub fn msr_apsr(rn: u32) -> u32 {
    0xe12c_f000 | rn
}
/// MRS Rd, APSR (A32, T32).
pub fn mrs_apsr(rd: u32) -> u32 {
    0xe10f_0000 | rd << 12
}
pub fn t_mrs_apsr(rd: u32) -> u32 {
    0xf3ef_8000 | rd << 8
}
/// VMSR FPSCR, Rt / VMRS Rt, FPSCR (A32 encoding; T32 is the same word).
pub fn vmsr(rt: u32) -> u32 {
    0xeee1_0a10 | rt << 12
}
pub fn vmrs(rt: u32) -> u32 {
    0xeef1_0a10 | rt << 12
}
/// VLDM/VSTM Rn{!}, {d(16*hi)-d(16*hi+15)} (A32 = T32 word).
pub fn vldm16(rn: u32, wb: bool, hi: bool) -> u32 {
    0xec90_0b20 | u32::from(hi) << 22 | u32::from(wb) << 21 | rn << 16
}
pub fn vstm16(rn: u32, wb: bool, hi: bool) -> u32 {
    0xec80_0b20 | u32::from(hi) << 22 | u32::from(wb) << 21 | rn << 16
}
/// MCR/MRC p15, 0, Rt, c13, c0, 2 (TPIDRURW).
pub fn mcr_tpidrurw(rt: u32) -> u32 {
    0xee0d_0f50 | rt << 12
}
pub fn mrc_tpidrurw(rt: u32) -> u32 {
    0xee1d_0f50 | rt << 12
}
pub const CLREX: u32 = 0xf57f_f01f;
pub const SVC0: u32 = 0xef00_0000;
/// MLA Rd, Rn, Rm, Ra.
pub fn mla(rd: u32, rn: u32, rm: u32, ra: u32) -> u32 {
    0xe020_0090 | rd << 16 | ra << 12 | rm << 8 | rn
}
/// ADD Rd, Rn, #imm8 / ADD.W (ADDW) Rd, Rn, #imm12.
pub fn add_imm(rd: u32, rn: u32, imm: u32) -> u32 {
    0xe280_0000 | rn << 16 | rd << 12 | imm
}
pub fn t_addw(rd: u32, rn: u32, imm: u32) -> u32 {
    (0xf200 | (imm >> 11 & 1) << 10 | rn) << 16 | (imm >> 8 & 7) << 12 | rd << 8 | (imm & 0xff)
}
pub fn add_reg(rd: u32, rn: u32, rm: u32) -> u32 {
    0xe080_0000 | rn << 16 | rd << 12 | rm
}
pub fn sub_reg(rd: u32, rn: u32, rm: u32) -> u32 {
    0xe040_0000 | rn << 16 | rd << 12 | rm
}
pub fn and_reg(rd: u32, rn: u32, rm: u32) -> u32 {
    0xe000_0000 | rn << 16 | rd << 12 | rm
}
pub fn cmp0(rn: u32) -> u32 {
    0xe350_0000 | rn << 16
}
/// B<cond> from `at` to `to` (A32).
pub fn b_cond(cond: u32, at: u32, to: u32) -> u32 {
    cond << 28 | 0x0a00_0000 | (to.wrapping_sub(at + 8) >> 2 & 0xff_ffff)
}
pub const COND_NE: u32 = 1;
pub const COND_LE: u32 = 13;

/// BIC Rd, Rd, #0x003f0000 (clears FPSCR.Stride, FZ16 and Len in a value
/// bound for VMSR: no short vectors; FZ16 exists only with ARMv8.2 FP16,
/// which QEMU's max has and Mimic's AArch32 does not) as (size, value).
pub fn bic_len_stride(thumb: bool, rd: u32) -> (u8, u32) {
    if thumb {
        // 0x003f0000 = ROR(0xfc, 18): i:imm3:a = 18, bcdefgh = 0x7c.
        (4, (0xf420 | rd) << 16 | 1 << 12 | rd << 8 | 0x7c)
    } else {
        (4, 0xe3c0_083f | rd << 16 | rd << 12)
    }
}

/// MOV SP, Rm (T16).
pub fn t16_mov_sp(rm: u32) -> u32 {
    0x4685 | rm << 3
}
