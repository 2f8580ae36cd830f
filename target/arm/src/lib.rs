//! The 32-bit Arm guest (AArch32: A32 and T32 with IT blocks, VFPv3/v4):
//! CPU state, decoder tables, translation to tcg IR, helpers and the CPU
//! models user mode can choose with `-cpu`. Knows nothing about Linux or
//! about how blocks are executed. Shares the software FPU and the
//! host-atomic exclusive store with `target-aarch64`.

pub mod cpu;
pub mod decode;
pub mod disas;
pub mod flags;
pub mod helpers;
pub mod model;
pub mod neon;
pub mod translate;

pub use cpu::CpuState;
pub use model::{CpuModel, Features};

use tcg::ir::{GlobalDef, IrBlock};
use tcg::{CodeReader, Frontend};

/// The AArch32 frontend for one CPU model.
pub struct Arm {
    pub model: &'static CpuModel,
}

impl Frontend for Arm {
    fn name(&self) -> &'static str {
        "arm"
    }
    fn globals(&self) -> &'static [GlobalDef] {
        &cpu::GLOBALS
    }
    fn pc_global(&self) -> usize {
        cpu::G_PC
    }
    fn translate(&self, pc: u64, flags: u32, code: &dyn CodeReader, max_insns: usize) -> IrBlock {
        translate::translate_block(&self.model.features, pc, flags, code, max_insns)
    }
    fn disas(&self, pc: u64, bytes: &[u8]) -> String {
        // The Thumb bit of the block is not passed here; A32 words are
        // recognised by alignment and decode, Thumb is the common case for
        // Debian's armhf code.
        disas::disas(pc, bytes, pc & 2 != 0 || !bytes.len().is_multiple_of(4))
    }
}
