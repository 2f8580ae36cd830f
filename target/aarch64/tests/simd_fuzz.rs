//! Random words from the scalar FP / AdvSIMD data-processing space must
//! translate to verified IR and execute without panicking (an unknown
//! encoding is an UNDEF exit, never a crash), with random register contents
//! and FPCR modes.

mod simd_harness;
use simd_harness::*;
use tcg::exec::{BackendKind, GuestExit};

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

struct One(u32);
impl tcg::CodeReader for One {
    fn read_u32(&self, a: u64) -> Option<u32> {
        if a == CODE {
            Some(self.0)
        } else {
            Some(BRK)
        }
    }
    fn read_u16(&self, _: u64) -> Option<u16> {
        None
    }
    fn read_u8(&self, _: u64) -> Option<u8> {
        None
    }
}

/// A random word with op0 = x111 (SIMD & FP data processing).
fn word(r: &mut Rng) -> u32 {
    let w = r.next() as u32;
    (w & !(0b0111 << 25)) | (0b0111 << 25)
}

#[test]
fn translate_random_words() {
    let mut r = Rng(0x1234_5678_9abc_def1);
    for _ in 0..200_000 {
        let w = word(&mut r);
        let b = target_aarch64::translate::translate_block(
            &target_aarch64::model::MAX.features,
            CODE,
            0,
            &One(w),
            1,
        );
        if let Err(e) = tcg::ir::verify(&b) {
            panic!("{w:#010x}: {e}");
        }
    }
}

#[test]
fn execute_random_words() {
    let seed = std::env::var("MIMIC_FUZZ_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0x0fed_cba9_8765_4321u64);
    let mut r = Rng(seed);
    let mut ran = 0;
    let n: usize = std::env::var("MIMIC_FUZZ_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20_000);
    for _ in 0..n {
        let w = word(&mut r);
        let mut m = Machine::new();
        for n in 0..32 {
            let v = q(r.next(), r.next());
            // Mix in some special FP values.
            let v = match r.next() % 6 {
                0 => v & 0x8000_0000_ffff_ffff_8000_0000_ffff_ffff,
                1 => q(0x7ff0_0000_0000_0001, 0x7fc0_0000_ff80_0000),
                _ => v,
            };
            m.set_v(n, v);
        }
        for n in 0..31 {
            m.cpu.x[n] = r.next();
        }
        m.cpu.fpcr = r.next() & (0xf << 22 | 1 << 19);
        let exit = m.try_run(&[w], BackendKind::Interp);
        if exit == GuestExit::Guest(target_aarch64::cpu::excp::BRK) || m.cpu.pc != CODE {
            ran += 1;
        }
    }
    assert!(ran > 1000, "only {ran} words executed");
}
