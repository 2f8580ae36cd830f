//! Translation of A32 and T32 instructions to tcg IR.
//!
//! The decoders (`a32`, `t16`, `t32`, `vfp`) are pattern tables; their
//! handlers extract fields and call the shared semantic functions of `dp`
//! (data processing), `ldst` (loads, stores, LDM/STM, exclusives), `mul`
//! (multiplies, saturating, media), `branch` and `system`, so A32 and T32
//! encodings of one operation share one implementation.
//!
//! Conditional execution: an instruction whose condition (A32 `cond` field
//! or the current IT block's) is not AL is wrapped in a branch over its IR.
//! The IT state is a decode flag (`cpu::flags::IT_MASK`), so a block
//! that starts inside an IT block is translated (and cached) for that state;
//! a block that ends with a different Thumb/IT state than it started with
//! stores the new flags before leaving.

mod a32;
mod branch;
mod dp;
mod ldst;
mod media;
mod mul;
mod neon;
mod neon_ldst;
mod system;
mod t16;
mod t32;
mod vfp;

use crate::cpu::{excp, flags, GLOBALS, G_PC, OFF_CUR_FLAGS, OFF_FAULT_ADDR, OFF_SYNDROME};
use crate::decode::{DecodeTable, Insn, Undef};
use crate::flags::{test_cc, Test};
use std::sync::OnceLock;
use tcg::ir::{Builder, IrBlock, Label, MemOp, Temp, Terminal};
use tcg::CodeReader;

pub fn a32_table() -> &'static DecodeTable {
    static TABLE: OnceLock<DecodeTable> = OnceLock::new();
    TABLE.get_or_init(|| {
        DecodeTable::new(
            &[a32::PATTERNS, vfp::A32_PATTERNS, neon::VDUP_CORE_PATTERNS],
            24,
        )
    })
}
pub fn a32u_table() -> &'static DecodeTable {
    static TABLE: OnceLock<DecodeTable> = OnceLock::new();
    TABLE.get_or_init(|| {
        DecodeTable::new(
            &[a32::UNCOND, neon::A32_PATTERNS, neon_ldst::A32_PATTERNS],
            24,
        )
    })
}
pub fn t16_table() -> &'static DecodeTable {
    static TABLE: OnceLock<DecodeTable> = OnceLock::new();
    TABLE.get_or_init(|| DecodeTable::new(&[t16::PATTERNS], 12))
}
pub fn t32_table() -> &'static DecodeTable {
    static TABLE: OnceLock<DecodeTable> = OnceLock::new();
    TABLE.get_or_init(|| {
        DecodeTable::new(
            // NEON first: its `1111 1001 xxx0` loads/stores are UNDEFINED
            // byte/halfword stores in the integer groups.
            &[
                neon::T32_PATTERNS,
                neon_ldst::T32_PATTERNS,
                t32::PATTERNS,
                vfp::T32_PATTERNS,
                neon::VDUP_CORE_PATTERNS,
            ],
            24,
        )
    })
}

/// MMU index used for user-mode accesses.
pub const MMU_USER: u32 = 0;

/// How an instruction changed the pc.
#[derive(Copy, Clone, Debug)]
enum PcWrite {
    /// A direct branch to a known address in the same instruction set.
    Direct(u64),
    /// A computed target (64-bit temp, already cleared of the Thumb bit);
    /// `interwork`: the instruction stored the new Thumb state itself.
    Dynamic { npc: Temp, interwork: bool },
    /// A direct branch taken when `test` holds (B<cond> in T32, CBZ).
    CondDirect(Test, u64),
}

/// Per-block translation state handed to every handler.
pub struct Ctx<'a> {
    pub b: Builder,
    /// Address of the instruction being translated.
    pub pc: u64,
    /// Length of the current instruction (2 or 4).
    pub len: u64,
    pub thumb: bool,
    /// Data accesses are big-endian.
    pub be: bool,
    /// IT state before the current instruction (0: outside IT blocks).
    pub it: u32,
    /// IT state the IT instruction just set (applies from the next one).
    pub new_it: Option<u32>,
    pub features: &'a crate::Features,
    /// Set by a handler that ends the block with an exit.
    pub end: Option<Terminal>,
    pc_write: Option<PcWrite>,
    /// The current instruction is conditional (its skip label).
    cond_skip: Option<Label>,
}

impl Ctx<'_> {
    /// The value an instruction reads for the pc (A32: +8, T32: +4).
    pub fn pc_read(&self) -> u32 {
        (self.pc + if self.thumb { 4 } else { 8 }) as u32
    }
    /// Address of the next instruction.
    pub fn next_pc(&self) -> u64 {
        self.pc + self.len
    }
    /// Inside an IT block (16-bit Thumb ALU ops then do not set flags).
    pub fn in_it(&self) -> bool {
        self.it != 0
    }
    /// Last instruction of an IT block, or outside one (where branches may go).
    pub fn last_in_it_or_outside(&self) -> bool {
        self.it == 0 || self.it & 0xf == 8
    }
    /// Register `r` as a 32-bit source (r15 reads as the pc value).
    pub fn reg(&mut self, r: usize) -> Temp {
        if r == 15 {
            let v = self.pc_read();
            self.b.const_i32(v)
        } else {
            self.b.global(r)
        }
    }
    /// A copy of register `r` (safe across writes of `r`).
    pub fn reg_copy(&mut self, r: usize) -> Temp {
        let v = self.reg(r);
        let t = self.b.temp_i32();
        self.b.mov_i32(t, v);
        t
    }
    /// Align(PC, 4), for literal addressing.
    pub fn pc_aligned(&mut self) -> Temp {
        let v = self.pc_read() & !3;
        self.b.const_i32(v)
    }
    /// Writes r0-r14 (never r15; see `write_pc`).
    pub fn set_reg(&mut self, r: usize, v: Temp) {
        debug_assert!(r < 15);
        let g = self.b.global(r);
        self.b.mov_i32(g, v);
    }
    /// Writes a register as an ALU result: r15 branches (A32: interworking
    /// as ARMv7's ALUWritePC; T32: BranchWritePC).
    pub fn set_reg_alu(&mut self, r: usize, v: Temp) {
        if r == 15 {
            let inter = !self.thumb;
            self.write_pc(v, inter);
        } else {
            self.set_reg(r, v);
        }
    }
    /// Writes a register from a load: r15 branches with interworking.
    pub fn set_reg_load(&mut self, r: usize, v: Temp) {
        if r == 15 {
            self.write_pc(v, true);
        } else {
            self.set_reg(r, v);
        }
    }
    /// Branches to the 32-bit address in `v`. With `interwork`, bit 0
    /// selects Thumb (BXWritePC); otherwise the current state stays
    /// (bit 0 (T32) or bits 1..0 (A32) are cleared).
    pub fn write_pc(&mut self, v: Temp, interwork: bool) {
        let npc = self.b.temp_i64();
        let t = self.b.temp_i32();
        if interwork {
            let one = self.b.const_i32(1);
            let bit = self.b.temp_i32();
            self.b.and_i32(bit, v, one);
            // New flags: Thumb from bit 0, IT cleared, endianness kept.
            let keep = if self.be { flags::BE_DATA } else { 0 };
            let f = self.b.temp_i32();
            let k = self.b.const_i32(keep);
            self.b.or_i32(f, bit, k);
            self.b.st_env_i32(f, OFF_CUR_FLAGS, MemOp::UL);
            // Clear bit 0; an ARM-state target with bit 1 set is
            // UNPREDICTABLE (cleared here, as hardware that aligns does).
            let m = self.b.temp_i32();
            self.b.shli_i32(m, bit, 1);
            let mask = self.b.temp_i32();
            let three = self.b.const_i32(!3);
            self.b.or_i32(mask, m, three);
            self.b.and_i32(t, v, mask);
        } else {
            let mask = self.b.const_i32(if self.thumb { !1 } else { !3 });
            self.b.and_i32(t, v, mask);
        }
        self.b.extu_i32_i64(npc, t);
        self.pc_write = Some(PcWrite::Dynamic { npc, interwork });
    }
    /// A direct branch within the current instruction set.
    pub fn branch_to(&mut self, target: u64) {
        self.pc_write = Some(PcWrite::Direct(target & 0xffff_ffff));
    }
    /// A direct branch taken when `test` holds (outside IT blocks).
    pub fn cond_branch_to(&mut self, test: Test, target: u64) {
        let t = pin_test(self, test);
        self.pc_write = Some(PcWrite::CondDirect(t, target & 0xffff_ffff));
    }
    /// A direct branch that changes instruction set (BLX imm).
    pub fn branch_exchange_to(&mut self, target: u32, thumb: bool) {
        let v = self.b.const_i32(target | u32::from(thumb));
        self.write_pc(v, true);
    }
    /// The decode flags after the current instruction when it does not
    /// change them itself.
    fn static_flags(&self) -> u32 {
        let it = match self.new_it {
            Some(n) => n,
            None => advance_it(self.it),
        };
        self.flags_with_it(it)
    }
    fn flags_with_it(&self, it: u32) -> u32 {
        (u32::from(self.thumb) * flags::THUMB)
            | if self.be { flags::BE_DATA } else { 0 }
            | it << flags::IT_SHIFT
    }
    /// Ends the block with guest exit `reason` resuming at `pc`, storing
    /// `syndrome`. In a conditional instruction the exit is taken inside
    /// the block (the skip path continues).
    pub fn exit_with(&mut self, reason: u32, pc: u64, syndrome: u64) {
        let s = self.b.const_i64(syndrome);
        self.b.st_env_i64(s, OFF_SYNDROME, MemOp::UQ);
        if self.cond_skip.is_some() {
            let f = self.b.const_i32(self.static_flags());
            self.b.st_env_i32(f, OFF_CUR_FLAGS, MemOp::UL);
            let g = self.b.global(G_PC);
            self.b.movi_i64(g, pc);
            self.b.exit(reason as u64);
        } else {
            self.end = Some(Terminal::Exit { pc, reason });
        }
    }
    /// A 64-bit guest address from a 32-bit one.
    pub fn addr64(&mut self, a: Temp) -> Temp {
        let t = self.b.temp_i64();
        self.b.extu_i32_i64(t, a);
        t
    }
    fn memop(&self, m: MemOp) -> MemOp {
        m.with_big_endian(self.be && m.bytes() > 1)
    }
    /// Guest memory load (up to 4 bytes) into a new i32 temp.
    pub fn load(&mut self, addr: Temp, m: MemOp) -> Temp {
        let a = self.addr64(addr);
        let t = self.b.temp_i32();
        let m = self.memop(m);
        self.b.ld_i32(t, a, m, MMU_USER);
        t
    }
    /// Guest memory store (up to 4 bytes) of an i32 temp.
    pub fn store(&mut self, v: Temp, addr: Temp, m: MemOp) {
        let a = self.addr64(addr);
        let m = self.memop(m);
        self.b.st_i32(v, a, m, MMU_USER);
    }
    /// 64-bit load into an i64 temp.
    pub fn load64(&mut self, addr: Temp) -> Temp {
        let a = self.addr64(addr);
        let t = self.b.temp_i64();
        let m = self.memop(MemOp::UQ);
        self.b.ld_i64(t, a, m, MMU_USER);
        t
    }
    pub fn store64(&mut self, v: Temp, addr: Temp) {
        let a = self.addr64(addr);
        let m = self.memop(MemOp::UQ);
        self.b.st_i64(v, a, m, MMU_USER);
    }
    /// `a + imm` as a new i32 temp.
    pub fn addi(&mut self, a: Temp, imm: u32) -> Temp {
        let t = self.b.temp_i32();
        if imm == 0 {
            self.b.mov_i32(t, a);
        } else {
            let c = self.b.const_i32(imm);
            self.b.add_i32(t, a, c);
        }
        t
    }
}

/// The IT state after one instruction of the block (ITAdvance).
pub fn advance_it(it: u32) -> u32 {
    if it & 7 == 0 {
        0
    } else {
        (it & 0xe0) | ((it << 1) & 0x1f)
    }
}

/// Small IR conveniences on i32 temps.
pub trait I32Ext {
    fn shli_i32(&mut self, d: Temp, a: Temp, sh: u32);
    fn shri_i32(&mut self, d: Temp, a: Temp, sh: u32);
    fn sari_i32(&mut self, d: Temp, a: Temp, sh: u32);
    fn andi_i32(&mut self, d: Temp, a: Temp, imm: u32);
    fn ori_i32(&mut self, d: Temp, a: Temp, imm: u32);
}

impl I32Ext for Builder {
    fn shli_i32(&mut self, d: Temp, a: Temp, sh: u32) {
        let c = self.const_i32(sh);
        self.shl_i32(d, a, c);
    }
    fn shri_i32(&mut self, d: Temp, a: Temp, sh: u32) {
        let c = self.const_i32(sh);
        self.shr_i32(d, a, c);
    }
    fn sari_i32(&mut self, d: Temp, a: Temp, sh: u32) {
        let c = self.const_i32(sh);
        self.sar_i32(d, a, c);
    }
    fn andi_i32(&mut self, d: Temp, a: Temp, imm: u32) {
        let c = self.const_i32(imm);
        self.and_i32(d, a, c);
    }
    fn ori_i32(&mut self, d: Temp, a: Temp, imm: u32) {
        let c = self.const_i32(imm);
        self.or_i32(d, a, c);
    }
}

/// Fetches the instruction at `pc`: the word (T32: hw1 in the high half)
/// and its length, or `None` when not readable.
fn fetch(code: &dyn CodeReader, pc: u64, thumb: bool) -> Option<(u32, u64)> {
    if !thumb {
        return code.read_u32(pc).map(|w| (w, 4));
    }
    let hw1 = code.read_u16(pc)? as u32;
    if hw1 >> 11 >= 0x1d {
        let hw2 = code.read_u16(pc + 2)? as u32;
        Some((hw1 << 16 | hw2, 4))
    } else {
        Some((hw1, 2))
    }
}

/// Copies a test's operands so later writes cannot change its outcome.
fn pin_test(ctx: &mut Ctx, t: Test) -> Test {
    let a = ctx.b.temp_i32();
    let b = ctx.b.temp_i32();
    ctx.b.mov_i32(a, t.a);
    ctx.b.mov_i32(b, t.b);
    Test { cond: t.cond, a, b }
}

/// Translates one block starting at `pc` under decode flags `fl`.
pub fn translate_block(
    features: &crate::Features,
    pc: u64,
    fl: u32,
    code: &dyn CodeReader,
    max_insns: usize,
) -> IrBlock {
    let thumb = fl & flags::THUMB != 0;
    let mut ctx = Ctx {
        b: Builder::new(&GLOBALS, G_PC),
        pc,
        len: 4,
        thumb,
        be: fl & flags::BE_DATA != 0,
        it: (fl & flags::IT_MASK) >> flags::IT_SHIFT,
        new_it: None,
        features,
        end: None,
        pc_write: None,
        cond_skip: None,
    };
    let mut n = 0u32;
    let max_insns = max_insns.clamp(1, 512);
    let mut terminal = None;
    let mut covered = pc;
    loop {
        let insn_pc = ctx.pc;
        let Some((word, len)) = fetch(code, insn_pc, thumb) else {
            if n == 0 {
                let a = ctx.b.const_i64(insn_pc);
                ctx.b.st_env_i64(a, OFF_FAULT_ADDR, MemOp::UQ);
                terminal = Some(Terminal::Exit {
                    pc: insn_pc,
                    reason: excp::PREFETCH_ABORT,
                });
            }
            break;
        };
        ctx.len = len;
        ctx.b.insn_start(insn_pc);
        let cp = ctx.b.checkpoint();
        // The condition: A32's cond field, or the IT block's.
        let cond = if thumb {
            if ctx.it != 0 {
                ctx.it >> 4
            } else {
                14
            }
        } else {
            let c = word >> 28;
            if c == 15 {
                14
            } else {
                c
            }
        };
        let test = if cond < 14 {
            let t = test_cc(&mut ctx, cond);
            let t = pin_test(&mut ctx, t);
            let skip = ctx.b.new_label();
            ctx.b.brcond_i32(t.a, t.b, t.cond.invert(), skip);
            ctx.cond_skip = Some(skip);
            Some(t)
        } else {
            None
        };
        let table = if !thumb && word >> 28 == 15 {
            a32u_table()
        } else if !thumb {
            a32_table()
        } else if len == 2 {
            t16_table()
        } else {
            t32_table()
        };
        let ok = match table.lookup(word) {
            Some(p) => (p.handler)(&mut ctx, Insn(word)),
            None => Err(Undef),
        };
        n += 1;
        covered = insn_pc + len;
        if ok.is_err() {
            ctx.b.rollback(cp);
            ctx.pc_write = None;
            ctx.new_it = None;
            ctx.cond_skip = None;
            ctx.end = None;
            let f = ctx.flags_with_it(ctx.it);
            if f != fl {
                let c = ctx.b.const_i32(f);
                ctx.b.st_env_i32(c, OFF_CUR_FLAGS, MemOp::UL);
            }
            let s = ctx.b.const_i64(word as u64);
            ctx.b.st_env_i64(s, OFF_SYNDROME, MemOp::UQ);
            terminal = Some(Terminal::Exit {
                pc: insn_pc,
                reason: excp::UDEF,
            });
            break;
        }
        let after = ctx.static_flags();
        let next = insn_pc + len;
        let skip = ctx.cond_skip.take();
        let store_static = |ctx: &mut Ctx| {
            if after != fl {
                let c = ctx.b.const_i32(after);
                ctx.b.st_env_i32(c, OFF_CUR_FLAGS, MemOp::UL);
            }
        };
        if let Some(pw) = ctx.pc_write.take() {
            match pw {
                PcWrite::Direct(target) => {
                    if let Some(skip) = skip {
                        ctx.b.set_label(skip);
                    }
                    store_static(&mut ctx);
                    terminal = Some(match test {
                        Some(t) => Terminal::Cond {
                            cond: t.cond,
                            a: t.a,
                            b: t.b,
                            taken: target,
                            not_taken: next,
                        },
                        None => Terminal::Jump(target),
                    });
                }
                PcWrite::CondDirect(t, target) => {
                    if let Some(skip) = skip {
                        ctx.b.set_label(skip);
                    }
                    store_static(&mut ctx);
                    terminal = Some(Terminal::Cond {
                        cond: t.cond,
                        a: t.a,
                        b: t.b,
                        taken: target,
                        not_taken: next,
                    });
                }
                PcWrite::Dynamic { npc, interwork } => {
                    if !interwork {
                        store_static(&mut ctx);
                    }
                    if let Some(skip) = skip {
                        let done = ctx.b.new_label();
                        ctx.b.br(done);
                        ctx.b.set_label(skip);
                        ctx.b.movi_i64(npc, next);
                        if interwork {
                            store_static(&mut ctx);
                        }
                        ctx.b.set_label(done);
                    }
                    terminal = Some(Terminal::Indirect(npc));
                }
            }
            break;
        }
        if let Some(skip) = skip {
            ctx.b.set_label(skip);
        }
        if let Some(t) = ctx.end.take() {
            store_static(&mut ctx);
            terminal = Some(t);
            break;
        }
        ctx.it = after >> flags::IT_SHIFT & 0xff;
        ctx.new_it = None;
        ctx.pc = next;
        // Stop at the block size limits, but not inside an IT block
        // unless forced (one instruction per block).
        let limit = n as usize >= max_insns
            || ctx.b.n_temps() > tcg::cpu::MAX_TEMPS_PER_BLOCK - 512
            || ((ctx.pc & 0xfff) == 0 && ctx.it == 0);
        if limit {
            let f = ctx.flags_with_it(ctx.it);
            if f != fl {
                let c = ctx.b.const_i32(f);
                ctx.b.st_env_i32(c, OFF_CUR_FLAGS, MemOp::UL);
            }
            break;
        }
    }
    let terminal = terminal.unwrap_or(Terminal::Jump(ctx.pc));
    let size = covered.saturating_sub(pc).max(2);
    ctx.b.finish(pc, fl, size as u32, n, terminal)
}

/// The condition `cc` as a test (for handlers that select on it).
pub fn cond_test(ctx: &mut Ctx, cc: u32) -> Test {
    test_cc(ctx, cc)
}
