//! Translation of A64 instructions to tcg IR. One module per encoding group
//! of the manual's top-level index; each exports `PATTERNS`, and `GROUPS`
//! lists them in decode order.

mod branch;
mod data_imm;
mod data_reg;
mod fp;
mod ldst;
mod privileged;
pub(crate) mod simd;
mod system;

use crate::cpu::{excp, GLOBALS, G_PC, G_SP, OFF_FAULT_ADDR, OFF_SYNDROME};
use crate::decode::{DecodeTable, Insn, Pattern, Undef};
use std::sync::OnceLock;
use tcg::ir::{Builder, IrBlock, MemOp, Temp, Terminal};
use tcg::CodeReader;

/// Every pattern group, in decode order.
pub static GROUPS: &[&[Pattern]] = &[
    branch::PATTERNS,
    system::PATTERNS,
    data_imm::PATTERNS,
    data_reg::PATTERNS,
    ldst::PATTERNS,
    fp::PATTERNS,
    simd::PATTERNS,
];

pub fn table() -> &'static DecodeTable {
    static TABLE: OnceLock<DecodeTable> = OnceLock::new();
    TABLE.get_or_init(|| DecodeTable::new(GROUPS))
}

/// MMU index used for user-mode accesses.
pub const MMU_USER: u32 = 0;

/// Alignment rules of accesses that must be aligned (see `Ctx::check_align`).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Align {
    /// A multiple of the access size.
    Natural,
    /// Not crossing a 16-byte boundary (FEAT_LSE2).
    Within16,
}

/// Per-block translation state handed to every handler.
pub struct Ctx<'a> {
    pub b: Builder,
    /// Address of the instruction being translated.
    pub pc: u64,
    /// The CPU model's features (handlers reject encodings it lacks).
    pub features: &'a crate::Features,
    /// Set by a handler that ends the block (branches, exceptions).
    pub end: Option<Terminal>,
    /// The compare whose flags are current, if any (see `flags::test_cc`).
    pub last_cmp: Option<crate::flags::Compare>,
    /// The block's decode flags (`crate::system::flags`; 0 in user mode).
    pub flags: u32,
    /// MMU index of ordinary loads and stores (system mode: the EL's).
    pub mmu_idx: u32,
}

impl Ctx<'_> {
    /// System mode (privileged state and instructions exist).
    pub fn system(&self) -> bool {
        self.flags & crate::system::flags::SYSTEM != 0
    }
    /// The exception level the block runs at (0 in user mode).
    pub fn el(&self) -> u32 {
        self.flags & crate::system::flags::EL_MASK
    }
    /// X register `r` as a source (31 reads as zero).
    pub fn x(&mut self, r: usize) -> Temp {
        if r == 31 {
            self.b.const_i64(0)
        } else {
            self.b.global(r)
        }
    }
    /// X register `r`, or SP for 31.
    pub fn x_sp(&mut self, r: usize) -> Temp {
        self.b.global(if r == 31 { G_SP } else { r })
    }
    /// Writes X register `r` (31 discards).
    pub fn set_x(&mut self, r: usize, v: Temp) {
        if r != 31 {
            let g = self.b.global(r);
            self.b.mov_i64(g, v);
        }
    }
    /// Writes X register `r`, or SP for 31.
    pub fn set_x_sp(&mut self, r: usize, v: Temp) {
        let g = self.b.global(if r == 31 { G_SP } else { r });
        self.b.mov_i64(g, v);
    }
    /// Writes a result of a 32-bit (`sf == false`) or 64-bit operation,
    /// zero-extending 32-bit results as the architecture requires.
    pub fn set_x_sf(&mut self, r: usize, sf: bool, v: Temp) {
        if r == 31 {
            return;
        }
        let g = self.b.global(r);
        if sf {
            self.b.mov_i64(g, v);
        } else {
            self.b.ext32u_i64(g, v);
        }
    }
    /// Like `set_x_sf` but register 31 is SP.
    pub fn set_x_sp_sf(&mut self, r: usize, sf: bool, v: Temp) {
        let g = self.b.global(if r == 31 { G_SP } else { r });
        if sf {
            self.b.mov_i64(g, v);
        } else {
            self.b.ext32u_i64(g, v);
        }
    }
    /// Ends the block with a guest exit at `pc`, storing `syndrome`.
    pub fn exit_with(&mut self, reason: u32, pc: u64, syndrome: u64) {
        let s = self.b.const_i64(syndrome);
        self.b.st_env_i64(s, OFF_SYNDROME, MemOp::UQ);
        self.end = Some(Terminal::Exit { pc, reason });
    }
    /// The alignment check of an access that must be aligned (exclusives,
    /// acquire/release, atomics): an Alignment fault (SIGBUS, BUS_ADRALN in
    /// user mode) at this instruction when `addr` is not a multiple of
    /// `bytes`, or, for `Align::Within16` (FEAT_LSE2's relaxation), when
    /// the access crosses a 16-byte boundary. Returns the memop flag the
    /// System mode checks natural alignment in the softmmu (the accesses
    /// carry `MemOp::aligned`), so this explicit test is user mode's.
    pub fn check_align(&mut self, addr: Temp, bytes: u64, align: Align) {
        if self.system() {
            return;
        }
        let t = self.b.temp_i64();
        match align {
            Align::Natural => self.b.andi_i64(t, addr, bytes - 1),
            Align::Within16 => {
                // (addr & 15) + bytes - 1 >= 16  <=>  bit 4 of that sum
                self.b.andi_i64(t, addr, 15);
                self.b.addi_i64(t, t, bytes - 1);
                self.b.andi_i64(t, t, 16);
            }
        }
        let ok = self.b.new_label();
        self.b.brcondi_i64(tcg::ir::Cond::Eq, t, 0, ok);
        self.b.st_env_i64(addr, OFF_FAULT_ADDR, MemOp::UQ);
        let g = self.b.global(G_PC);
        self.b.movi_i64(g, self.pc);
        self.b.exit(excp::DATA_ABORT as u64);
        self.b.set_label(ok);
    }
    /// `m`, required to be aligned in system mode (whose softmmu checks
    /// it; user mode checks with `check_align`).
    pub fn system_aligned(&self, m: MemOp) -> MemOp {
        if self.system() {
            m.aligned()
        } else {
            m
        }
    }
    /// The alignment rule of an acquire/release or atomic access of this
    /// model: natural without FEAT_LSE2, within 16 bytes with it.
    pub fn atomic_align(&self) -> Align {
        if self.features.lse2 {
            Align::Within16
        } else {
            Align::Natural
        }
    }
    /// Guest memory load into a new i64 temp.
    pub fn load(&mut self, addr: Temp, memop: MemOp) -> Temp {
        let t = self.b.temp_i64();
        self.b.ld_i64(t, addr, memop, self.mmu_idx);
        t
    }
    /// Guest memory store of an i64 temp (low bytes per `memop`).
    pub fn store(&mut self, v: Temp, addr: Temp, memop: MemOp) {
        self.b.st_i64(v, addr, memop, self.mmu_idx);
    }
}

/// Translates one block starting at `pc`.
pub fn translate_block(
    features: &crate::Features,
    pc: u64,
    flags: u32,
    code: &dyn CodeReader,
    max_insns: usize,
) -> IrBlock {
    let table = table();
    let mut ctx = Ctx {
        b: Builder::new(&GLOBALS, G_PC),
        pc,
        features,
        end: None,
        last_cmp: None,
        flags,
        mmu_idx: if flags & crate::system::flags::SYSTEM != 0 {
            flags & crate::system::flags::EL_MASK
        } else {
            MMU_USER
        },
    };
    let mut n = 0u32;
    let max_insns = max_insns.clamp(1, 512);
    loop {
        let insn_pc = ctx.pc;
        let Some(word) = code.read_u32(insn_pc) else {
            if n == 0 {
                let a = ctx.b.const_i64(insn_pc);
                ctx.b.st_env_i64(a, crate::cpu::OFF_FAULT_ADDR, MemOp::UQ);
                ctx.end = Some(Terminal::Exit {
                    pc: insn_pc,
                    reason: excp::PREFETCH_ABORT,
                });
            } else {
                ctx.end = Some(Terminal::Jump(insn_pc));
            }
            break;
        };
        ctx.b.insn_start(insn_pc);
        let cp = ctx.b.checkpoint();
        let ok = match table.lookup(word) {
            Some(p) => (p.handler)(&mut ctx, Insn(word)),
            None => Err(Undef),
        };
        n += 1;
        if ok.is_err() {
            ctx.b.rollback(cp);
            ctx.last_cmp = None;
            ctx.exit_with(excp::UDEF, insn_pc, word as u64);
            break;
        }
        ctx.pc = insn_pc + 4;
        if ctx.end.is_some()
            || n as usize >= max_insns
            || ctx.b.n_temps() > tcg::cpu::MAX_TEMPS_PER_BLOCK - 256
            || (ctx.pc & 0xfff) == 0
        {
            break;
        }
    }
    let terminal = ctx.end.take().unwrap_or(Terminal::Jump(ctx.pc));
    ctx.b
        .finish(pc, flags, (ctx.pc.max(pc + 4) - pc) as u32, n, terminal)
}
