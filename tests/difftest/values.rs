//! Random register, floating-point and memory contents shared by the
//! generators, biased to the values where implementations differ (zero,
//! all ones, sign boundaries, NaNs, infinities, denormals, halfway cases).

use super::Rng;

/// A random 64-bit register value, biased to edge cases.
pub fn int_value(rng: &mut Rng) -> u64 {
    match rng.below(12) {
        0 => 0,
        1 => 1,
        2 => u64::MAX,
        3 => [
            1u64 << 63,
            (1 << 63) - 1,
            0x8000_0000,
            0x7fff_ffff,
            0xffff_ffff,
            1 << 32,
            0xffff_ffff_8000_0000,
            0x8000,
            0xffff,
        ][rng.below(9) as usize],
        4 | 5 => rng.below(256),
        6 => rng.below(256).wrapping_neg(),
        7 => rng.next() & 0xffff_ffff,
        8 => fp64_value(rng),
        _ => rng.next(),
    }
}

pub fn fp64_value(rng: &mut Rng) -> u64 {
    const S: &[u64] = &[
        0,
        0x8000_0000_0000_0000,
        0x7ff0_0000_0000_0000,
        0xfff0_0000_0000_0000,
        0x7ff8_0000_0000_0000,
        0x7ff4_0000_0000_0001,
        0xfff8_0000_0000_1234,
        1,
        0x000f_ffff_ffff_ffff,
        0x0010_0000_0000_0000,
        0x7fef_ffff_ffff_ffff,
        0x3ff0_0000_0000_0000,
        0xbff0_0000_0000_0000,
        0x3fe0_0000_0000_0000,
        0x3ff8_0000_0000_0000,
        0x4004_0000_0000_0000,
        0x41e0_0000_0000_0000,
        0x43e0_0000_0000_0000,
        0xc3e0_0000_0000_0000,
        0x41df_ffff_ffc0_0000,
    ];
    match rng.below(3) {
        0 => S[rng.below(S.len() as u64) as usize],
        1 => (0x3c0u64 + rng.below(0x80)) << 52 | rng.next() >> 12 | (rng.next() & 1 << 63),
        _ => rng.next(),
    }
}

pub fn fp32_value(rng: &mut Rng) -> u32 {
    const S: &[u32] = &[
        0,
        0x8000_0000,
        0x7f80_0000,
        0xff80_0000,
        0x7fc0_0000,
        0x7fa0_0000,
        0xffc1_2345,
        1,
        0x007f_ffff,
        0x0080_0000,
        0x7f7f_ffff,
        0x3f80_0000,
        0xbf80_0000,
        0x3f00_0000,
        0x3fc0_0000,
        0x4020_0000,
        0x4f00_0000,
        0x5f00_0000,
        0xcf00_0000,
        0x4eff_ffff,
    ];
    match rng.below(3) {
        0 => S[rng.below(S.len() as u64) as usize],
        1 => {
            (0x70 + rng.below(0x20) as u32) << 23
                | (rng.next() as u32 >> 9)
                | (rng.next() as u32 & 1 << 31)
        }
        _ => rng.next() as u32,
    }
}

pub fn fp16_value(rng: &mut Rng) -> u16 {
    const S: &[u16] = &[
        0, 0x8000, 0x7c00, 0xfc00, 0x7e00, 0x7d00, 0xfe55, 1, 0x03ff, 0x0400, 0x7bff, 0x3c00,
        0xbc00, 0x3800, 0x3e00, 0x4100, 0x7800, 0x5640,
    ];
    match rng.below(3) {
        0 => S[rng.below(S.len() as u64) as usize],
        1 => (0xc + rng.below(8) as u16) << 10 | (rng.next() as u16 & 0x83ff),
        _ => rng.next() as u16,
    }
}

/// A random vector register value: lanes of one FP or integer size.
pub fn vec_value(rng: &mut Rng) -> [u8; 16] {
    let mut v = [0u8; 16];
    match rng.below(5) {
        0 => {
            for k in 0..2 {
                v[8 * k..8 * k + 8].copy_from_slice(&fp64_value(rng).to_le_bytes());
            }
        }
        1 => {
            for k in 0..4 {
                v[4 * k..4 * k + 4].copy_from_slice(&fp32_value(rng).to_le_bytes());
            }
        }
        2 => {
            for k in 0..8 {
                v[2 * k..2 * k + 2].copy_from_slice(&fp16_value(rng).to_le_bytes());
            }
        }
        3 => {
            for k in 0..2 {
                v[8 * k..8 * k + 8].copy_from_slice(&int_value(rng).to_le_bytes());
            }
        }
        _ => {
            for b in v.iter_mut() {
                *b = rng.next() as u8;
            }
        }
    }
    v
}

pub fn fill_scratch(rng: &mut Rng, mem: &mut [u8]) {
    for chunk in mem.chunks_mut(16) {
        let v = vec_value(rng);
        chunk.copy_from_slice(&v[..chunk.len()]);
    }
}
