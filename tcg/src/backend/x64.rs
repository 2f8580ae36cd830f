//! A small x86-64 instruction encoder for the template tier
//! (`template.rs`): the handful of instruction forms it emits, with memory
//! operands either in the env (`[rbx + disp]`) or in guest memory
//! (`[r12 + rax]`). Encodings from the Intel SDM, volume 2.

/// Host registers by their encoding number.
pub const RAX: u8 = 0;
pub const RCX: u8 = 1;
pub const RDX: u8 = 2;
pub const RBX: u8 = 3;
pub const RSI: u8 = 6;
pub const RDI: u8 = 7;
pub const R8: u8 = 8;
pub const R9: u8 = 9;
pub const R12: u8 = 12;
pub const R13: u8 = 13;
pub const R14: u8 = 14;
pub const R15: u8 = 15;

/// The r/m operand of an instruction.
#[derive(Clone, Copy)]
pub enum Rm {
    /// A register.
    Reg(u8),
    /// `[rbx + disp]`: a field of the env.
    Env(u32),
    /// `[r12 + rax]`: guest memory (r12 holds the guest base).
    Guest,
    /// `[rax]`.
    AtRax,
    /// `[base + disp]` for a base other than rsp and r12.
    Mem(u8, u32),
    /// `[base + disp8]` (an `Env` operand rebased on `Asm::bases`).
    Near(u8, i8),
}

/// Condition codes (the low nibble of Jcc/SETcc/CMOVcc).
pub mod cc {
    pub const B: u8 = 0x2;
    pub const AE: u8 = 0x3;
    pub const E: u8 = 0x4;
    pub const NE: u8 = 0x5;
    pub const BE: u8 = 0x6;
    pub const A: u8 = 0x7;
    pub const L: u8 = 0xc;
    pub const GE: u8 = 0xd;
    pub const LE: u8 = 0xe;
    pub const G: u8 = 0xf;
}

#[derive(Default)]
pub struct Asm {
    pub buf: Vec<u8>,
    /// Extra base registers for env operands: (register, env offset it
    /// holds). An `Rm::Env` operand within a signed byte of one of them is
    /// encoded against it with an 8-bit displacement instead of against
    /// rbx with a 32-bit one (three bytes less; the template tier's code is
    /// mostly such operands). Registers must not be rsp, rbp, r12 or r13.
    pub bases: [(u8, u32); 2],
}

impl Asm {
    pub fn byte(&mut self, b: u8) {
        self.buf.push(b);
    }
    pub fn bytes(&mut self, b: &[u8]) {
        self.buf.extend_from_slice(b);
    }
    pub fn u32(&mut self, v: u32) {
        self.buf.extend_from_slice(&v.to_le_bytes());
    }
    pub fn pos(&self) -> usize {
        self.buf.len()
    }

    /// One instruction: optional legacy prefix, REX (W = 64-bit operand),
    /// opcode bytes, ModRM with `reg` in the reg field (a register or an
    /// opcode extension) and `rm`.
    /// Assembled in a stack buffer and appended at once: one capacity
    /// check per instruction instead of one per byte (this is the template
    /// tier's hottest function while it translates).
    #[inline]
    pub fn op(&mut self, prefix: Option<u8>, w: bool, opc: &[u8], reg: u8, rm: Rm) {
        let mut i = [0u8; 16];
        let mut n = 0;
        let mut put = |b: u8| {
            i[n] = b;
            n += 1;
        };
        if let Some(p) = prefix {
            put(p);
        }
        // An env operand near one of the extra bases: [base + disp8].
        let rm = match rm {
            Rm::Env(d) => self
                .bases
                .iter()
                .find(|&&(r, at)| r != 0 && d.wrapping_sub(at).wrapping_add(128) <= 255)
                .map_or(Rm::Mem(RBX, d), |&(r, at)| {
                    Rm::Near(r, d.wrapping_sub(at) as i32 as i8)
                }),
            _ => rm,
        };
        let b = match rm {
            Rm::Reg(r) => r >> 3,
            Rm::Env(_) => unreachable!("rebased above"),
            Rm::AtRax => 0,
            Rm::Mem(b, _) | Rm::Near(b, _) => b >> 3,
            Rm::Guest => 1,
        };
        let rex = 0x40 | (w as u8) << 3 | (reg >> 3 & 1) << 2 | (b & 1);
        if rex != 0x40 {
            put(rex);
        }
        for &o in opc {
            put(o);
        }
        let r = (reg & 7) << 3;
        match rm {
            Rm::Reg(x) => put(0xc0 | r | (x & 7)),
            Rm::Env(_) => unreachable!("rebased above"),
            Rm::Guest => {
                // mod 00, rm 100 (SIB): base r12 (REX.B), index rax, scale 1.
                put(r | 4);
                put(0x04);
            }
            Rm::AtRax => put(r),
            Rm::Near(b, d) => {
                put(0x40 | r | (b & 7));
                put(d as u8);
            }
            Rm::Mem(b, 0) if b & 7 != 5 => {
                // [base] (rbp/r13 have no form without a displacement).
                debug_assert!(b & 7 != 4, "rsp/r12 bases need a SIB byte");
                put(r | (b & 7));
            }
            Rm::Mem(b, d) if d < 0x80 => {
                debug_assert!(b & 7 != 4, "rsp/r12 bases need a SIB byte");
                put(0x40 | r | (b & 7));
                put(d as u8);
            }
            Rm::Mem(b, d) => {
                debug_assert!(b & 7 != 4, "rsp/r12 bases need a SIB byte");
                put(0x80 | r | (b & 7));
                for x in d.to_le_bytes() {
                    put(x);
                }
            }
        }
        self.put16(i, n);
    }

    /// Appends the first `n` bytes of `i` with one fixed-size 16-byte copy
    /// (a variable-length `extend_from_slice` is a `memmove` call, which
    /// showed in profiles of the template tier's emission).
    #[inline]
    fn put16(&mut self, i: [u8; 16], n: usize) {
        debug_assert!(n <= 16);
        self.buf.reserve(16);
        let len = self.buf.len();
        // SAFETY: `reserve` left room for 16 more bytes; only the first `n`
        // of them become part of the vector (`u8` has no invalid values,
        // and the rest stay spare capacity).
        unsafe {
            std::ptr::copy_nonoverlapping(i.as_ptr(), self.buf.as_mut_ptr().add(len), 16);
            self.buf.set_len(len + n.min(16));
        }
    }

    /// `mov reg, rm` (8B /r).
    pub fn load(&mut self, w: bool, reg: u8, rm: Rm) {
        self.op(None, w, &[0x8b], reg, rm);
    }
    /// `mov rm, reg` (89 /r).
    pub fn store(&mut self, w: bool, reg: u8, rm: Rm) {
        self.op(None, w, &[0x89], reg, rm);
    }
    /// `mov reg, imm`: the shortest form that yields the 64-bit value.
    pub fn mov_imm(&mut self, reg: u8, v: u64) {
        if v <= u32::MAX as u64 {
            if reg >> 3 != 0 {
                self.byte(0x41);
            }
            self.byte(0xb8 + (reg & 7));
            self.u32(v as u32);
        } else if v as i64 == v as i32 as i64 {
            self.op(None, true, &[0xc7], 0, Rm::Reg(reg));
            self.u32(v as u32);
        } else {
            self.byte(0x48 | (reg >> 3));
            self.byte(0xb8 + (reg & 7));
            self.bytes(&v.to_le_bytes());
        }
    }
    /// Stores the 64-bit constant `v` at `rm` (through rax when it needs
    /// more than a sign-extended 32-bit immediate).
    pub fn store_imm64(&mut self, rm: Rm, v: u64) {
        if v as i64 == v as i32 as i64 {
            self.op(None, true, &[0xc7], 0, rm);
            self.u32(v as u32);
        } else {
            self.mov_imm(RAX, v);
            self.store(true, RAX, rm);
        }
    }
    /// A shift or rotate of `rm` by cl (D3 /ext: 0 rol, 1 ror, 4 shl,
    /// 5 shr, 7 sar).
    pub fn shift_cl(&mut self, w: bool, ext: u8, rm: Rm) {
        self.op(None, w, &[0xd3], ext, rm);
    }
    /// The same by an immediate count (C1 /ext ib).
    pub fn shift_imm(&mut self, w: bool, ext: u8, rm: Rm, n: u8) {
        self.op(None, w, &[0xc1], ext, rm);
        self.byte(n);
    }
    /// `bswap reg`.
    pub fn bswap(&mut self, w: bool, reg: u8) {
        let rex = 0x40 | (w as u8) << 3 | (reg >> 3);
        if rex != 0x40 {
            self.byte(rex);
        }
        self.bytes(&[0x0f, 0xc8 + (reg & 7)]);
    }
    /// `jcc rel32` with the displacement left 0; returns its position for
    /// `patch`.
    pub fn jcc(&mut self, c: u8) -> usize {
        self.bytes(&[0x0f, 0x80 | c]);
        self.u32(0);
        self.pos() - 4
    }
    /// `jmp rel32`, displacement to be patched.
    pub fn jmp(&mut self) -> usize {
        self.byte(0xe9);
        self.u32(0);
        self.pos() - 4
    }
    /// Points the rel32 at `at` to the code offset `target`.
    pub fn patch(&mut self, at: usize, target: usize) {
        let rel = (target as i64 - (at as i64 + 4)) as i32;
        self.buf[at..at + 4].copy_from_slice(&rel.to_le_bytes());
    }
    /// `setcc al; movzx eax, al`.
    pub fn setcc_eax(&mut self, c: u8) {
        self.bytes(&[0x0f, 0x90 | c, 0xc0, 0x0f, 0xb6, 0xc0]);
    }
    /// `call rax`.
    pub fn call_rax(&mut self) {
        self.bytes(&[0xff, 0xd0]);
    }
    /// `jmp rax`.
    pub fn jmp_rax(&mut self) {
        self.bytes(&[0xff, 0xe0]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enc(f: impl FnOnce(&mut Asm)) -> Vec<u8> {
        let mut a = Asm::default();
        f(&mut a);
        a.buf
    }

    /// Spot checks against encodings an assembler gives.
    #[test]
    fn encodings() {
        // mov rax, [rbx+0x10]
        assert_eq!(
            enc(|a| a.load(true, RAX, Rm::Env(0x10))),
            [0x48, 0x8b, 0x43, 0x10]
        );
        // mov ecx, [rbx+0x10110]
        assert_eq!(
            enc(|a| a.load(false, RCX, Rm::Env(0x10110))),
            [0x8b, 0x8b, 0x10, 0x01, 0x01, 0x00]
        );
        // mov r12, [rbx+8]
        assert_eq!(
            enc(|a| a.load(true, R12, Rm::Env(8))),
            [0x4c, 0x8b, 0x63, 0x08]
        );
        // mov rcx, [r12+rax]
        assert_eq!(
            enc(|a| a.load(true, RCX, Rm::Guest)),
            [0x49, 0x8b, 0x0c, 0x04]
        );
        // mov [r12+rax], cl
        assert_eq!(
            enc(|a| a.op(None, false, &[0x88], RCX, Rm::Guest)),
            [0x41, 0x88, 0x0c, 0x04]
        );
        // mov rbx, rdi
        assert_eq!(
            enc(|a| a.store(true, RDI, Rm::Reg(RBX))),
            [0x48, 0x89, 0xfb]
        );
        // xor r13d, r13d
        assert_eq!(
            enc(|a| a.op(None, false, &[0x31], R13, Rm::Reg(R13))),
            [0x45, 0x31, 0xed]
        );
        // shl rax, cl ; sar eax, 3
        assert_eq!(
            enc(|a| a.shift_cl(true, 4, Rm::Reg(RAX))),
            [0x48, 0xd3, 0xe0]
        );
        assert_eq!(
            enc(|a| a.shift_imm(false, 7, Rm::Reg(RAX), 3)),
            [0xc1, 0xf8, 0x03]
        );
        // bswap rcx ; bswap eax
        assert_eq!(enc(|a| a.bswap(true, RCX)), [0x48, 0x0f, 0xc9]);
        assert_eq!(enc(|a| a.bswap(false, RAX)), [0x0f, 0xc8]);
        // mov eax, 5 ; mov rax, -2 ; movabs rax, 0x555557c334
        assert_eq!(enc(|a| a.mov_imm(RAX, 5)), [0xb8, 5, 0, 0, 0]);
        assert_eq!(
            enc(|a| a.mov_imm(RAX, (-2i64) as u64)),
            [0x48, 0xc7, 0xc0, 0xfe, 0xff, 0xff, 0xff]
        );
        assert_eq!(
            enc(|a| a.mov_imm(RSI, 0x55_5557_c334)),
            [0x48, 0xbe, 0x34, 0xc3, 0x57, 0x55, 0x55, 0, 0, 0]
        );
        // add dword [rax], 1 ; cmp dword [rax], 1000
        assert_eq!(
            enc(|a| {
                a.op(None, false, &[0x83], 0, Rm::AtRax);
                a.byte(1);
                a.op(None, false, &[0x81], 7, Rm::AtRax);
                a.u32(1000);
            }),
            [0x83, 0x00, 0x01, 0x81, 0x38, 0xe8, 0x03, 0, 0]
        );
        // cmp rax, [rcx+8] ; mov rax, [rax+0x20] ; mov rax, [rax+0x2010]
        assert_eq!(
            enc(|a| a.op(None, true, &[0x3b], RAX, Rm::Mem(RCX, 8))),
            [0x48, 0x3b, 0x41, 8]
        );
        assert_eq!(
            enc(|a| a.load(true, RAX, Rm::Mem(RAX, 0x20))),
            [0x48, 0x8b, 0x40, 0x20]
        );
        assert_eq!(
            enc(|a| a.load(true, RAX, Rm::Mem(RAX, 0x2010))),
            [0x48, 0x8b, 0x80, 0x10, 0x20, 0, 0]
        );
        // mov rcx, [rcx] ; mov rax, [r13] (r13 needs a displacement byte)
        assert_eq!(
            enc(|a| a.load(true, RCX, Rm::Mem(RCX, 0))),
            [0x48, 0x8b, 0x09]
        );
        assert_eq!(
            enc(|a| a.load(true, RAX, Rm::Mem(R13, 0))),
            [0x49, 0x8b, 0x45, 0]
        );
        // Env operands near an extra base: mov rax, [r14+8] ; [r15-0x80] ;
        // out of reach of both: [rbx+disp32].
        let based = |f: &dyn Fn(&mut Asm)| {
            let mut a = Asm {
                bases: [(R14, 0x100), (R15, 0x10000)],
                ..Asm::default()
            };
            f(&mut a);
            a.buf
        };
        assert_eq!(
            based(&|a| a.load(true, RAX, Rm::Env(0x108))),
            [0x49, 0x8b, 0x46, 8]
        );
        assert_eq!(
            based(&|a| a.load(true, RCX, Rm::Env(0xff80))),
            [0x49, 0x8b, 0x4f, 0x80]
        );
        assert_eq!(
            based(&|a| a.load(true, RAX, Rm::Env(0x180))),
            [0x48, 0x8b, 0x83, 0x80, 1, 0, 0]
        );
        // mov qword [rbx+0x80], 7
        assert_eq!(
            enc(|a| a.store_imm64(Rm::Env(0x80), 7)),
            [0x48, 0xc7, 0x83, 0x80, 0, 0, 0, 7, 0, 0, 0]
        );
        // movsd xmm0, [rbx+0x20]
        assert_eq!(
            enc(|a| a.op(Some(0xf2), false, &[0x0f, 0x10], 0, Rm::Env(0x20))),
            [0xf2, 0x0f, 0x10, 0x43, 0x20]
        );
    }
}
