//! The per-instruction test harness: runs A32/T32 code (bytes) at `CODE`
//! on both tcg backends against a flat guest memory until BKPT.

#![allow(dead_code)]

use target_arm::cpu::{excp, flags};
use target_arm::{model, Arm, CpuState};
use tcg::exec::{BackendKind, Engine, GuestExit};
use tcg::CodeReader;

pub const CODE: u64 = 0x1000;
pub const STACK: u32 = 0xf000;
pub const MEM: usize = 0x10000;

struct Reader {
    base: u64,
}

impl CodeReader for Reader {
    fn read_u32(&self, addr: u64) -> Option<u32> {
        if addr.checked_add(4)? > MEM as u64 {
            return None;
        }
        // SAFETY: within the live guest buffer.
        Some(unsafe { ((self.base + addr) as *const u32).read_unaligned() })
    }
    fn read_u16(&self, addr: u64) -> Option<u16> {
        if addr.checked_add(2)? > MEM as u64 {
            return None;
        }
        // SAFETY: as above.
        Some(unsafe { ((self.base + addr) as *const u16).read_unaligned() })
    }
    fn read_u8(&self, addr: u64) -> Option<u8> {
        self.read_u16(addr).map(|h| h as u8)
    }
}

/// Runs `code` (bytes) at CODE until it leaves the cpu loop (BKPT, UDEF...)
/// on each backend; returns the exit, the cpu and the memory of each run.
pub fn run_to_exit(code: &[u8], thumb: bool) -> Vec<(GuestExit, Box<CpuState>, Vec<u8>)> {
    let mut out = Vec::new();
    for kind in [BackendKind::Interp, BackendKind::Jit] {
        let mut mem = vec![0u64; MEM / 8];
        // SAFETY: u64 storage viewed as bytes.
        let bytes = unsafe { std::slice::from_raw_parts_mut(mem.as_mut_ptr() as *mut u8, MEM) };
        bytes[CODE as usize..CODE as usize + code.len()].copy_from_slice(code);
        let base = mem.as_ptr() as u64;
        let mut e = Engine::new(
            Box::new(Arm { model: &model::MAX }),
            kind,
            Box::new(Reader { base }),
        );
        let mut cpu = Box::<CpuState>::default();
        cpu.common.guest_base = base;
        cpu.pc = CODE;
        cpu.r[13] = STACK;
        if thumb {
            cpu.common.cur_flags = flags::THUMB;
        }
        let env = &mut *cpu as *mut CpuState as *mut u8;
        let r = e.run(env);
        // SAFETY: as above.
        let bytes = unsafe { std::slice::from_raw_parts(mem.as_ptr() as *const u8, MEM) };
        out.push((r, cpu, bytes.to_vec()));
    }
    out
}

/// Runs `code` until BKPT on each backend; returns the cpu and the memory
/// of each run.
pub fn run(code: &[u8], thumb: bool) -> Vec<(Box<CpuState>, Vec<u8>)> {
    run_to_exit(code, thumb)
        .into_iter()
        .map(|(r, cpu, mem)| {
            assert_eq!(r, GuestExit::Guest(excp::BKPT), "stopped at {:#x}", cpu.pc);
            (cpu, mem)
        })
        .collect()
}

pub fn words(w: &[u32]) -> Vec<u8> {
    w.iter().flat_map(|x| x.to_le_bytes()).collect()
}

pub fn halves(h: &[u16]) -> Vec<u8> {
    h.iter().flat_map(|x| x.to_le_bytes()).collect()
}
