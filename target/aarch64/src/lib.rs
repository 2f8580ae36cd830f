//! The AArch64 guest: CPU state, decoder tables, translation to tcg IR,
//! helpers and the CPU models user mode can choose with `-cpu`. Knows nothing
//! about Linux or about how blocks are executed.

pub mod cpu;
pub mod decode;
pub mod disas;
pub mod flags;
pub mod fpu;
pub mod gdb;
pub mod helpers;
pub mod host_clock;
pub mod model;
pub mod system;
pub mod translate;

/// The AES/SHA primitives of the crypto extensions, for the AArch32
/// frontend's Advanced SIMD forms of the same instructions.
pub mod crypto {
    pub use crate::translate::simd::crypto::{
        compute, AESD, AESE, AESIMC, AESMC, SHA1C, SHA1H, SHA1M, SHA1P, SHA1SU0, SHA1SU1, SHA256H,
        SHA256H2, SHA256SU0, SHA256SU1,
    };
}

pub use cpu::CpuState;
pub use model::{CpuModel, Features};

use tcg::ir::{GlobalDef, IrBlock};
use tcg::{CodeReader, Frontend};

/// The AArch64 frontend for one CPU model.
pub struct Aarch64 {
    pub model: &'static CpuModel,
}

impl Frontend for Aarch64 {
    fn name(&self) -> &'static str {
        "aarch64"
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
        disas::disas(pc, bytes)
    }
}
