//! A small harness for the FP/SIMD per-instruction tests: guest memory in a
//! host buffer, code at `CODE`, data at `DATA`; runs hand-encoded words
//! (terminated with BRK #0) on the interpreter and on the JIT, and checks
//! that both leave the same state.
#![allow(dead_code)]

use target_aarch64::cpu::{excp, CpuState};
use tcg::exec::{BackendKind, Engine, GuestExit};
use tcg::CodeReader;

pub const CODE: u64 = 0x1000;
pub const DATA: u64 = 0x8000;
pub const MEM: usize = 0x20000;
pub const BRK: u32 = 0xd420_0000;

struct Reader {
    base: usize,
}

impl CodeReader for Reader {
    fn read_u32(&self, a: u64) -> Option<u32> {
        if (a as usize) + 4 > MEM {
            return None;
        }
        // SAFETY: the buffer outlives the engine (both owned by Machine).
        Some(unsafe { ((self.base + a as usize) as *const u32).read_unaligned() })
    }
    fn read_u16(&self, a: u64) -> Option<u16> {
        self.read_u32(a).map(|v| v as u16)
    }
    fn read_u8(&self, a: u64) -> Option<u8> {
        self.read_u32(a).map(|v| v as u8)
    }
}

pub struct Machine {
    pub cpu: Box<CpuState>,
    pub mem: Vec<u8>,
}

impl Default for Machine {
    fn default() -> Self {
        Self::new()
    }
}

impl Machine {
    pub fn new() -> Machine {
        Machine {
            cpu: Box::default(),
            mem: vec![0; MEM],
        }
    }
    pub fn set_v(&mut self, n: usize, v: u128) {
        self.cpu.v[n] = [v as u64, (v >> 64) as u64];
    }
    pub fn v(&self, n: usize) -> u128 {
        self.cpu.v[n][0] as u128 | (self.cpu.v[n][1] as u128) << 64
    }
    pub fn d(&self, n: usize) -> u64 {
        self.cpu.v[n][0]
    }
    pub fn set_d(&mut self, n: usize, x: f64) {
        self.set_v(n, x.to_bits() as u128);
    }
    pub fn set_s(&mut self, n: usize, x: f32) {
        self.set_v(n, x.to_bits() as u128);
    }
    pub fn fd(&self, n: usize) -> f64 {
        f64::from_bits(self.cpu.v[n][0])
    }
    pub fn fs(&self, n: usize) -> f32 {
        f32::from_bits(self.cpu.v[n][0] as u32)
    }
    pub fn write(&mut self, addr: u64, bytes: &[u8]) {
        self.mem[addr as usize..addr as usize + bytes.len()].copy_from_slice(bytes);
    }
    pub fn read(&self, addr: u64, n: usize) -> &[u8] {
        &self.mem[addr as usize..addr as usize + n]
    }

    /// Runs `code` (BRK #0 appended) at CODE on `kind`; panics unless it
    /// stops at the BRK.
    pub fn run_on(&mut self, code: &[u32], kind: BackendKind) {
        let exit = self.try_run(code, kind);
        // Until BRK is translated everywhere, its UNDEF exit counts too.
        let at_brk = exit == GuestExit::Guest(excp::BRK)
            || (exit == GuestExit::Guest(excp::UDEF) && self.cpu.syndrome == BRK as u64);
        assert!(
            at_brk,
            "exit {exit:?}, syndrome {:#x}, pc {:#x}",
            self.cpu.syndrome, self.cpu.pc
        );
    }

    pub fn try_run(&mut self, code: &[u32], kind: BackendKind) -> GuestExit {
        for (k, w) in code.iter().chain(std::iter::once(&BRK)).enumerate() {
            let a = CODE as usize + 4 * k;
            self.mem[a..a + 4].copy_from_slice(&w.to_le_bytes());
        }
        self.cpu.pc = CODE;
        self.cpu.common.guest_base = self.mem.as_mut_ptr() as u64;
        let reader = Reader {
            base: self.mem.as_ptr() as usize,
        };
        let mut engine = Engine::new(
            Box::new(target_aarch64::Aarch64 {
                model: &target_aarch64::model::MAX,
            }),
            kind,
            Box::new(reader),
        );
        engine.run(&mut *self.cpu as *mut CpuState as *mut u8)
    }

    fn snapshot(&self) -> (Vec<u64>, Vec<u8>) {
        let c = &self.cpu;
        let mut s: Vec<u64> = c.x.to_vec();
        s.extend([c.sp, c.pc, c.nzcv() as u64, c.fpsr, c.fpcr]);
        for v in &c.v {
            s.extend(v);
        }
        (s, self.mem[DATA as usize..].to_vec())
    }
}

/// Runs `code` after `setup` on both backends; checks they agree and
/// returns the interpreter's final machine for assertions.
pub fn run(code: &[u32], setup: impl Fn(&mut Machine)) -> Machine {
    let mut a = Machine::new();
    setup(&mut a);
    a.run_on(code, BackendKind::Interp);
    let mut b = Machine::new();
    setup(&mut b);
    b.run_on(code, BackendKind::Jit);
    assert!(a.snapshot() == b.snapshot(), "interpreter and JIT disagree");
    a
}

/// Expects an undefined-instruction exit for `word`.
pub fn expect_undef(word: u32) {
    let mut m = Machine::new();
    let exit = m.try_run(&[word], BackendKind::Interp);
    assert_eq!(
        exit,
        GuestExit::Guest(excp::UDEF),
        "{word:#010x} should be UNDEF"
    );
}

pub fn q(lo: u64, hi: u64) -> u128 {
    lo as u128 | (hi as u128) << 64
}
