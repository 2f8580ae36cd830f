//! Conditions evaluated right after a compare in the same block use the
//! compare's operands directly (flags::test_cc). Check every condition,
//! 32- and 64-bit, over edge-value operands, against the architectural
//! definition from NZCV, for cset, csel and b.cond, on all backends.

mod common;

use common::*;
use target_aarch64::CpuState;

const EDGES: [u64; 10] = [
    0,
    1,
    2,
    0x7fff_ffff,
    0x8000_0000,
    0xffff_ffff,
    0x1_0000_0000,
    0x7fff_ffff_ffff_ffff,
    0x8000_0000_0000_0000,
    u64::MAX,
];

/// Architectural condition from the flags of `a - b` at width 32 or 64.
fn expected(cc: u32, a: u64, b: u64, sf: bool) -> bool {
    let (n, z, c, v) = if sf {
        let (r, borrow) = a.overflowing_sub(b);
        let v = ((a ^ b) & (a ^ r)) >> 63 != 0;
        (r >> 63 != 0, r == 0, !borrow, v)
    } else {
        let (a, b) = (a as u32, b as u32);
        let (r, borrow) = a.overflowing_sub(b);
        let v = ((a ^ b) & (a ^ r)) >> 31 != 0;
        (r >> 31 != 0, r == 0, !borrow, v)
    };
    let base = match cc >> 1 {
        0 => z,
        1 => c,
        2 => n,
        3 => v,
        4 => c && !z,
        5 => n == v,
        6 => !z && n == v,
        _ => true,
    };
    if cc & 1 != 0 && cc != 15 {
        !base
    } else {
        base
    }
}

fn program(mem: &mut Mem, words: &[u32]) {
    for (i, w) in words.iter().enumerate() {
        mem.write(CODE + 4 * i as u64, 4, *w as u64);
    }
}

#[test]
fn cset_csel_and_bcond_after_cmp() {
    let model = default_model();
    for backend in [Backend::Interp, Backend::Jit, Backend::Ref] {
        for sf in [true, false] {
            for cc in 0..14u32 {
                let cmp = if sf { 0xeb02_003f } else { 0x6b02_003f }; // cmp x1, x2 / cmp w1, w2
                let cset = 0x9a9f_07e0 | ((cc ^ 1) << 12); // cset x0, cc (csinc x0, xzr, xzr, !cc)
                let csel = 0x9a85_0083 | (cc << 12); // csel x3, x4, x5, cc
                                                     // b.cc +8 ; mov x6, #1 ; brk #0  (x6 = 1 when not taken)
                let bcond = 0x5400_0040 | cc;
                let words = [cmp, cset, csel, bcond, 0xd280_0026, BRK0];
                for &a in &EDGES {
                    for &b in &EDGES {
                        let mut mem = Mem::new();
                        program(&mut mem, &words);
                        let mut cpu = Box::<CpuState>::default();
                        cpu.pc = CODE;
                        cpu.x[1] = a;
                        cpu.x[2] = b;
                        cpu.x[4] = 0x44;
                        cpu.x[5] = 0x55;
                        let exit = run(&mut cpu, &mem, model, backend);
                        assert_eq!(exit, BRK, "{backend:?}");
                        let want = expected(cc, a, b, sf);
                        let ctx = format!("{backend:?} sf={sf} cc={cc} a={a:#x} b={b:#x}");
                        assert_eq!(cpu.x[0], want as u64, "cset {ctx}");
                        assert_eq!(cpu.x[3], if want { 0x44 } else { 0x55 }, "csel {ctx}");
                        assert_eq!(cpu.x[6], (!want) as u64, "b.cond {ctx}");
                    }
                }
            }
        }
    }
}
