//! Harness for the per-instruction tests: a guest memory buffer, a CPU,
//! and runners (the reference IR interpreter in `refinterp`; tcg's engine
//! backends once they exist).

#![allow(dead_code)]

pub mod refinterp;

use target_aarch64::cpu::excp;
use target_aarch64::{model, Aarch64, CpuModel, CpuState};
use tcg::exec::{BackendKind, Engine, GuestExit};
use tcg::{CodeReader, Frontend};

pub const CODE: u64 = 0x1000;
pub const DATA: u64 = 0x8000;
pub const STACK: u64 = 0xf000;
pub const MEM_SIZE: usize = 0x10000;
/// BRK #0
pub const BRK0: u32 = 0xd420_0000;

/// Guest memory: `MEM_SIZE` bytes at guest address 0, 16-byte aligned.
pub struct Mem {
    buf: Vec<u128>,
}

impl Mem {
    pub fn new() -> Mem {
        Mem {
            buf: vec![0; MEM_SIZE / 16],
        }
    }
    pub fn base(&self) -> u64 {
        self.buf.as_ptr() as u64
    }
    pub fn bytes(&self) -> &[u8] {
        // SAFETY: u128 storage viewed as bytes, same length.
        unsafe { std::slice::from_raw_parts(self.buf.as_ptr() as *const u8, MEM_SIZE) }
    }
    pub fn bytes_mut(&mut self) -> &mut [u8] {
        // SAFETY: as in bytes.
        unsafe { std::slice::from_raw_parts_mut(self.buf.as_mut_ptr() as *mut u8, MEM_SIZE) }
    }
    pub fn read(&self, addr: u64, n: usize) -> u64 {
        let mut b = [0u8; 8];
        b[..n].copy_from_slice(&self.bytes()[addr as usize..addr as usize + n]);
        u64::from_le_bytes(b)
    }
    pub fn write(&mut self, addr: u64, n: usize, v: u64) {
        self.bytes_mut()[addr as usize..addr as usize + n].copy_from_slice(&v.to_le_bytes()[..n]);
    }
}

/// Reads code from a `Mem` (by host address, so it is Send + Sync).
pub struct Reader {
    pub base: u64,
}

impl CodeReader for Reader {
    fn read_u32(&self, addr: u64) -> Option<u32> {
        if addr.checked_add(4)? > MEM_SIZE as u64 {
            return None;
        }
        // SAFETY: within the live guest buffer.
        Some(unsafe { ((self.base + addr) as *const u32).read_unaligned() })
    }
    fn read_u16(&self, addr: u64) -> Option<u16> {
        self.read_u32(addr).map(|w| w as u16)
    }
    fn read_u8(&self, addr: u64) -> Option<u8> {
        self.read_u32(addr).map(|w| w as u8)
    }
}

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Backend {
    /// tests/common/refinterp.rs, whole blocks (an oracle independent of tcg).
    Ref,
    /// The reference interpreter with one instruction per block.
    RefStep,
    /// tcg's interpreter backend.
    Interp,
    /// tcg's Cranelift backend (every block compiled).
    Jit,
    /// tcg's Cranelift backend, one instruction per block.
    JitStep,
    /// tcg's Cranelift backend, blocks of at most 32 instructions (for long
    /// straight-line tests: debug-built Cranelift is slow on huge blocks).
    JitShort,
}

/// Backends every case runs on. `JitStep` is left out: Cranelift in a
/// debug build costs milliseconds per block, and `RefStep` already checks
/// that block boundaries do not change results.
pub const BACKENDS: &[Backend] = &[
    Backend::Ref,
    Backend::RefStep,
    Backend::Interp,
    Backend::Jit,
];

/// Runs from `cpu.pc` until a guest exit; returns its reason.
pub fn run(cpu: &mut CpuState, mem: &Mem, model: &'static CpuModel, backend: Backend) -> u32 {
    cpu.common.guest_base = mem.base();
    let fe = Aarch64 { model };
    let reader = Reader { base: mem.base() };
    if let Some((kind, max)) = match backend {
        Backend::Interp => Some((BackendKind::Interp, 512)),
        Backend::Jit => Some((BackendKind::Jit, 512)),
        Backend::JitStep => Some((BackendKind::Jit, 1)),
        Backend::JitShort => Some((BackendKind::Jit, 32)),
        _ => None,
    } {
        let mut e = Engine::new(Box::new(fe), kind, Box::new(reader));
        e.set_max_insns(max);
        loop {
            match e.run(cpu as *mut CpuState as *mut u8) {
                GuestExit::Guest(r) => return r,
                GuestExit::Interrupted => continue,
            }
        }
    }
    let max = if backend == Backend::RefStep { 1 } else { 512 };
    for _ in 0..10_000 {
        let b = fe.translate(cpu.pc, 0, &reader, max);
        if let Err(e) = tcg::ir::verify(&b) {
            panic!("IR verify failed: {e}\n{b}");
        }
        match refinterp::run_block(&b, cpu as *mut CpuState as *mut u8, mem.base()) {
            refinterp::Exit::Jump(pc) => cpu.pc = pc,
            refinterp::Exit::Guest(r) => return r,
        }
    }
    panic!("guest did not exit");
}

pub fn default_model() -> &'static CpuModel {
    &model::MAX
}

pub const BRK: u32 = excp::BRK;
