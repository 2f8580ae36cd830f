//! SHA-512 known-answer test through SHA512H/SHA512H2/SHA512SU0/SHA512SU1:
//! FIPS 180-4's "abc" digest computed two rounds at a time with the
//! instruction sequence the Arm ARM's SHA512 extension is designed for (the
//! same data flow as Linux's sha512-ce), state and schedule living in V
//! registers between steps.

mod simd_harness;
use simd_harness::*;

fn add2d(d: u32, n: u32, m: u32) -> u32 {
    0x4ee0_8400 | m << 16 | n << 5 | d
}
fn ext8(d: u32, n: u32, m: u32) -> u32 {
    0x6e00_4000 | m << 16 | n << 5 | d
}
fn sha512h(d: u32, n: u32, m: u32) -> u32 {
    0xce60_8000 | m << 16 | n << 5 | d
}
fn sha512h2(d: u32, n: u32, m: u32) -> u32 {
    0xce60_8400 | m << 16 | n << 5 | d
}
fn sha512su1(d: u32, n: u32, m: u32) -> u32 {
    0xce60_8800 | m << 16 | n << 5 | d
}
fn sha512su0(d: u32, n: u32) -> u32 {
    0xcec0_8000 | n << 5 | d
}

const K: [u64; 80] = [
    0x428a2f98d728ae22,
    0x7137449123ef65cd,
    0xb5c0fbcfec4d3b2f,
    0xe9b5dba58189dbbc,
    0x3956c25bf348b538,
    0x59f111f1b605d019,
    0x923f82a4af194f9b,
    0xab1c5ed5da6d8118,
    0xd807aa98a3030242,
    0x12835b0145706fbe,
    0x243185be4ee4b28c,
    0x550c7dc3d5ffb4e2,
    0x72be5d74f27b896f,
    0x80deb1fe3b1696b1,
    0x9bdc06a725c71235,
    0xc19bf174cf692694,
    0xe49b69c19ef14ad2,
    0xefbe4786384f25e3,
    0x0fc19dc68b8cd5b5,
    0x240ca1cc77ac9c65,
    0x2de92c6f592b0275,
    0x4a7484aa6ea6e483,
    0x5cb0a9dcbd41fbd4,
    0x76f988da831153b5,
    0x983e5152ee66dfab,
    0xa831c66d2db43210,
    0xb00327c898fb213f,
    0xbf597fc7beef0ee4,
    0xc6e00bf33da88fc2,
    0xd5a79147930aa725,
    0x06ca6351e003826f,
    0x142929670a0e6e70,
    0x27b70a8546d22ffc,
    0x2e1b21385c26c926,
    0x4d2c6dfc5ac42aed,
    0x53380d139d95b3df,
    0x650a73548baf63de,
    0x766a0abb3c77b2a8,
    0x81c2c92e47edaee6,
    0x92722c851482353b,
    0xa2bfe8a14cf10364,
    0xa81a664bbc423001,
    0xc24b8b70d0f89791,
    0xc76c51a30654be30,
    0xd192e819d6ef5218,
    0xd69906245565a910,
    0xf40e35855771202a,
    0x106aa07032bbd1b8,
    0x19a4c116b8d2d0c8,
    0x1e376c085141ab53,
    0x2748774cdf8eeb99,
    0x34b0bcb5e19b48a8,
    0x391c0cb3c5c95a63,
    0x4ed8aa4ae3418acb,
    0x5b9cca4f7763e373,
    0x682e6ff3d6b2b8a3,
    0x748f82ee5defb2fc,
    0x78a5636f43172f60,
    0x84c87814a1f0ab72,
    0x8cc702081a6439ec,
    0x90befffa23631e28,
    0xa4506cebde82bde9,
    0xbef9a3f7b2c67915,
    0xc67178f2e372532b,
    0xca273eceea26619c,
    0xd186b8c721c0c207,
    0xeada7dd6cde0eb1e,
    0xf57d4f7fee6ed178,
    0x06f067aa72176fba,
    0x0a637dc5a2c898a6,
    0x113f9804bef90dae,
    0x1b710b35131c471b,
    0x28db77f523047d84,
    0x32caab7b40c72493,
    0x3c9ebe0a15c9bebc,
    0x431d67c49c100d4c,
    0x4cc5d4becb3e42b6,
    0x597f299cfc657e2a,
    0x5fcb6fab3ad6faec,
    0x6c44198c4a475817,
];

const H0: [u64; 8] = [
    0x6a09e667f3bcc908,
    0xbb67ae8584caa73b,
    0x3c6ef372fe94f82b,
    0xa54ff53a5f1d36f1,
    0x510e527fade682d1,
    0x9b05688c2b3e6c1f,
    0x1f83d9abfb41bd6b,
    0x5be0cd19137e2179,
];

#[test]
fn sha512_abc() {
    // The padded one-block message "abc" as big-endian 64-bit words.
    let mut block = [0u8; 128];
    block[..3].copy_from_slice(b"abc");
    block[3] = 0x80;
    block[127] = 24;
    let w: Vec<u64> = block
        .chunks(8)
        .map(|c| u64::from_be_bytes(c.try_into().unwrap()))
        .collect();
    // V0-V3: working state (a,b) (c,d) (e,f) (g,h); V12-V19: schedule;
    // V20: the round-pair constants.
    let mut v = [0u128; 32];
    for k in 0..4 {
        v[k] = q(H0[2 * k], H0[2 * k + 1]);
    }
    for k in 0..8 {
        v[12 + k] = q(w[2 * k], w[2 * k + 1]);
    }
    let roles = [
        [0, 1, 2, 3, 4],
        [3, 0, 4, 2, 1],
        [2, 3, 1, 4, 0],
        [4, 2, 0, 1, 3],
        [1, 4, 3, 0, 2],
    ];
    for i in 0..40 {
        let [i0, i1, i2, i3, i4] = roles[i % 5];
        let inr = |k: usize| 12 + ((i + k) % 8) as u32;
        let (in0, in1, in2, in3, in4) = (inr(0), inr(1), inr(7), inr(4), inr(5));
        v[20] = q(K[2 * i], K[2 * i + 1]);
        let mut code = vec![
            add2d(5, 20, in0),
            ext8(6, i2, i3),
            ext8(5, 5, 5),
            ext8(7, i1, i2),
            add2d(i3, i3, 5),
        ];
        let schedule = i < 32;
        if schedule {
            code.push(ext8(5, in3, in4));
            code.push(sha512su0(in0, in1));
        }
        code.push(sha512h(i3, 6, 7));
        if schedule {
            code.push(sha512su1(in0, in2, 5));
        }
        code.push(add2d(i4, i1, i3));
        code.push(sha512h2(i3, i1, i0));
        let before = v;
        let m = run(&code, |m| {
            for (k, x) in before.iter().enumerate() {
                m.set_v(k, *x);
            }
        });
        for (k, x) in v.iter_mut().enumerate() {
            *x = m.v(k);
        }
    }
    let mut digest = Vec::new();
    for k in 0..4 {
        let h = q(H0[2 * k], H0[2 * k + 1]);
        let s = v[k];
        digest.push((h as u64).wrapping_add(s as u64));
        digest.push(((h >> 64) as u64).wrapping_add((s >> 64) as u64));
    }
    let hex: String = digest.iter().map(|x| format!("{x:016x}")).collect();
    assert_eq!(
        hex,
        concat!(
            "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a",
            "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f"
        )
    );
}
