//! FADD/FSUB/FMUL/FDIV take a host-FPU fast path when FPCR is default,
//! FPSR.IXC is already set and the result is normal (translate/fp.rs,
//! `host_fast2`). Differential check: with IXC preset (fast path eligible)
//! every result and the final FPSR must equal those of the exact helper
//! (IXC clear: always the slow path), over random and edge operands, for
//! single and double precision, on both backends.

mod common;

use common::*;
use target_aarch64::CpuState;

const IXC: u64 = 1 << 4;
const OPS: [(u32, &str); 8] = [
    (0x1e62_2820, "fadd d"),
    (0x1e62_3820, "fsub d"),
    (0x1e62_0820, "fmul d"),
    (0x1e62_1820, "fdiv d"),
    (0x1e22_2820, "fadd s"),
    (0x1e22_3820, "fsub s"),
    (0x1e22_0820, "fmul s"),
    (0x1e22_1820, "fdiv s"),
];

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

fn operand(r: &mut Rng, wide: bool) -> u64 {
    let specials64 = [
        0u64,
        1 << 63,
        0x7ff0_0000_0000_0000,
        0x7ff8_0000_0000_0001,
        0x7ff0_0000_0000_0001,
        1,
        0x0010_0000_0000_0000,
        0x0020_0000_0000_0000,
        0x7fef_ffff_ffff_ffff,
        0x3ff0_0000_0000_0000,
    ];
    let specials32 = [
        0u64,
        0x8000_0000,
        0x7f80_0000,
        0x7fc0_0001,
        0x7f80_0001,
        1,
        0x0080_0000,
        0x0100_0000,
        0x7f7f_ffff,
        0x3f80_0000,
    ];
    let x = r.next();
    match x % 8 {
        0 => {
            let s = if wide {
                &specials64[..]
            } else {
                &specials32[..]
            };
            s[(x >> 8) as usize % s.len()]
        }
        // Near the extremes of the exponent range (overflow/underflow edges).
        1 => {
            if wide {
                (x & 0x800f_ffff_ffff_ffff) | ((x >> 20) % 4) << 52
            } else {
                (x & 0x807f_ffff) | ((x >> 20) % 4) << 23
            }
        }
        2 => {
            if wide {
                (x & 0x800f_ffff_ffff_ffff) | (0x7fb + (x >> 20) % 4) << 52
            } else {
                (x & 0x807f_ffff) | (0xfb + (x >> 20) % 4) << 23
            }
        }
        _ => {
            if wide {
                x & 0xbfff_ffff_ffff_ffff
            } else {
                x & 0xbfff_ffff
            }
        }
    }
}

fn run_one(word: u32, a: u64, b: u64, fpsr: u64, backend: Backend) -> (u64, u64) {
    let mut mem = Mem::new();
    mem.write(CODE, 4, word as u64);
    mem.write(CODE + 4, 4, BRK0 as u64);
    let mut cpu = Box::<CpuState>::default();
    cpu.pc = CODE;
    cpu.v[1] = [a, 0];
    cpu.v[2] = [b, 0];
    cpu.fpsr = fpsr;
    assert_eq!(run(&mut cpu, &mem, default_model(), backend), BRK);
    (cpu.v[0][0], cpu.fpsr)
}

#[test]
fn fast_path_matches_exact_helper() {
    let mut r = Rng(0x1234_5678_9abc_def1);
    for backend in [Backend::Interp, Backend::Jit] {
        for (word, name) in OPS {
            let wide = name.ends_with('d');
            for _ in 0..300 {
                let (a, b) = (operand(&mut r, wide), operand(&mut r, wide));
                let (slow, slow_fpsr) = run_one(word, a, b, 0, backend);
                let (fast, fast_fpsr) = run_one(word, a, b, IXC, backend);
                assert_eq!(
                    (fast, fast_fpsr),
                    (slow, slow_fpsr | IXC),
                    "{name} {a:#x} {b:#x} [{backend:?}]"
                );
            }
        }
    }
}
