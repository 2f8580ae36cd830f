//! Crypto and dot-product instructions: AES-128 and SHA-256 known answers
//! computed by real instruction sequences, plus the SHA3, PMULL and dot
//! product forms against host references.

mod simd_harness;
use simd_harness::*;

/// SHA-256 compression of one block: x0 = state (8 words), x1 = block,
/// x2 = round constants. Generated with aarch64-linux-gnu-as from the usual
/// sha256h/sha256h2/sha256su0/sha256su1 sequence (see git history).
const SHA256_BLOCK: &[u32] = &[
    0x4c40a800, 0x4c402024, 0x6e200884, 0x6e2008a5, 0x6e2008c6, 0x6e2008e7, 0x4ea01c02, 0x4ea11c23,
    0x4cdf7850, 0x4ea48610, 0x4ea01c12, 0x5e104020, 0x5e105241, 0x5e2828a4, 0x5e0760c4, 0x4cdf7850,
    0x4ea58610, 0x4ea01c12, 0x5e104020, 0x5e105241, 0x5e2828c5, 0x5e0460e5, 0x4cdf7850, 0x4ea68610,
    0x4ea01c12, 0x5e104020, 0x5e105241, 0x5e2828e6, 0x5e056086, 0x4cdf7850, 0x4ea78610, 0x4ea01c12,
    0x5e104020, 0x5e105241, 0x5e282887, 0x5e0660a7, 0x4cdf7850, 0x4ea48610, 0x4ea01c12, 0x5e104020,
    0x5e105241, 0x5e2828a4, 0x5e0760c4, 0x4cdf7850, 0x4ea58610, 0x4ea01c12, 0x5e104020, 0x5e105241,
    0x5e2828c5, 0x5e0460e5, 0x4cdf7850, 0x4ea68610, 0x4ea01c12, 0x5e104020, 0x5e105241, 0x5e2828e6,
    0x5e056086, 0x4cdf7850, 0x4ea78610, 0x4ea01c12, 0x5e104020, 0x5e105241, 0x5e282887, 0x5e0660a7,
    0x4cdf7850, 0x4ea48610, 0x4ea01c12, 0x5e104020, 0x5e105241, 0x5e2828a4, 0x5e0760c4, 0x4cdf7850,
    0x4ea58610, 0x4ea01c12, 0x5e104020, 0x5e105241, 0x5e2828c5, 0x5e0460e5, 0x4cdf7850, 0x4ea68610,
    0x4ea01c12, 0x5e104020, 0x5e105241, 0x5e2828e6, 0x5e056086, 0x4cdf7850, 0x4ea78610, 0x4ea01c12,
    0x5e104020, 0x5e105241, 0x5e282887, 0x5e0660a7, 0x4cdf7850, 0x4ea48610, 0x4ea01c12, 0x5e104020,
    0x5e105241, 0x4cdf7850, 0x4ea58610, 0x4ea01c12, 0x5e104020, 0x5e105241, 0x4cdf7850, 0x4ea68610,
    0x4ea01c12, 0x5e104020, 0x5e105241, 0x4cdf7850, 0x4ea78610, 0x4ea01c12, 0x5e104020, 0x5e105241,
    0x4ea28400, 0x4ea38421, 0x4c00a800,
];

/// AES-128: encrypt v0 with round keys v20..v30, then decrypt it again with
/// aesd/aesimc (decryption keys made by aesimc in the program).
const AES128: &[u32] = &[
    0x4e284a80, 0x4e286800, 0x4e284aa0, 0x4e286800, 0x4e284ac0, 0x4e286800, 0x4e284ae0, 0x4e286800,
    0x4e284b00, 0x4e286800, 0x4e284b20, 0x4e286800, 0x4e284b40, 0x4e286800, 0x4e284b60, 0x4e286800,
    0x4e284b80, 0x4e286800, 0x4e284ba0, 0x6e3e1c00, 0x4e287aa1, 0x4e287ac2, 0x4e287ae3, 0x4e287b04,
    0x4e287b25, 0x4e287b46, 0x4e287b67, 0x4e287b88, 0x4e287ba9, 0x4ea01c0a, 0x4e285bc0, 0x4e287800,
    0x4e285920, 0x4e287800, 0x4e285900, 0x4e287800, 0x4e2858e0, 0x4e287800, 0x4e2858c0, 0x4e287800,
    0x4e2858a0, 0x4e287800, 0x4e285880, 0x4e287800, 0x4e285860, 0x4e287800, 0x4e285840, 0x4e287800,
    0x4e285820, 0x6e341c00,
];

const K256: [u32; 64] = [
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
];

#[test]
fn sha256_abc() {
    let m = run(SHA256_BLOCK, |m| {
        let h: [u32; 8] = [
            0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab,
            0x5be0cd19,
        ];
        let hb: Vec<u8> = h.iter().flat_map(|w| w.to_le_bytes()).collect();
        m.write(DATA, &hb);
        let mut block = [0u8; 64];
        block[..3].copy_from_slice(b"abc");
        block[3] = 0x80;
        block[63] = 24;
        m.write(DATA + 0x100, &block);
        let kb: Vec<u8> = K256.iter().flat_map(|w| w.to_le_bytes()).collect();
        m.write(DATA + 0x200, &kb);
        m.cpu.x[0] = DATA;
        m.cpu.x[1] = DATA + 0x100;
        m.cpu.x[2] = DATA + 0x200;
    });
    let out: Vec<u32> = (0..8)
        .map(|k| u32::from_le_bytes(m.read(DATA + 4 * k, 4).try_into().unwrap()))
        .collect();
    assert_eq!(
        out,
        [
            0xba7816bf, 0x8f01cfea, 0x414140de, 0x5dae2223, 0xb00361a3, 0x96177a9c, 0xb410ff61,
            0xf20015ad
        ]
    );
}

fn sbox() -> [u8; 256] {
    let gmul = |mut a: u8, mut b: u8| {
        let mut p = 0u8;
        while b != 0 {
            if b & 1 != 0 {
                p ^= a;
            }
            let hi = a & 0x80;
            a <<= 1;
            if hi != 0 {
                a ^= 0x1b;
            }
            b >>= 1;
        }
        p
    };
    let mut s = [0u8; 256];
    for (x, out) in s.iter_mut().enumerate() {
        let inv = if x == 0 {
            0
        } else {
            (1..256).find(|&y| gmul(x as u8, y as u8) == 1).unwrap() as u8
        };
        *out = inv
            ^ inv.rotate_left(1)
            ^ inv.rotate_left(2)
            ^ inv.rotate_left(3)
            ^ inv.rotate_left(4)
            ^ 0x63;
    }
    s
}

fn expand_key(key: [u8; 16]) -> Vec<[u8; 16]> {
    let s = sbox();
    let mut w: Vec<[u8; 4]> = key.chunks(4).map(|c| c.try_into().unwrap()).collect();
    let mut rcon = 1u8;
    for i in 4..44 {
        let mut t = w[i - 1];
        if i % 4 == 0 {
            t = [
                s[t[1] as usize] ^ rcon,
                s[t[2] as usize],
                s[t[3] as usize],
                s[t[0] as usize],
            ];
            rcon = if rcon & 0x80 != 0 {
                (rcon << 1) ^ 0x1b
            } else {
                rcon << 1
            };
        }
        let p = w[i - 4];
        w.push([p[0] ^ t[0], p[1] ^ t[1], p[2] ^ t[2], p[3] ^ t[3]]);
    }
    w.chunks(4)
        .map(|c| c.concat().try_into().unwrap())
        .collect()
}

fn hex16(s: &str) -> [u8; 16] {
    let v: Vec<u8> = (0..16)
        .map(|i| u8::from_str_radix(&s[2 * i..2 * i + 2], 16).unwrap())
        .collect();
    v.try_into().unwrap()
}

#[test]
fn aes128_fips197() {
    let keys = expand_key(hex16("000102030405060708090a0b0c0d0e0f"));
    let pt = hex16("00112233445566778899aabbccddeeff");
    let enc_len = 20; // 9 * 2 + 2 words of encryption
    let m = run(&AES128[..enc_len], |m| {
        m.set_v(0, u128::from_le_bytes(pt));
        for (r, k) in keys.iter().enumerate() {
            m.set_v(20 + r, u128::from_le_bytes(*k));
        }
    });
    assert_eq!(
        m.v(0).to_le_bytes(),
        hex16("69c4e0d86a7b0430d8cdb78070b4c55a")
    );
    let m = run(AES128, |m| {
        m.set_v(0, u128::from_le_bytes(pt));
        for (r, k) in keys.iter().enumerate() {
            m.set_v(20 + r, u128::from_le_bytes(*k));
        }
    });
    assert_eq!(m.v(0).to_le_bytes(), pt, "decrypts back");
    assert_eq!(
        m.v(10).to_le_bytes(),
        hex16("69c4e0d86a7b0430d8cdb78070b4c55a")
    );
}

const A: u128 = 0x0123_4567_89ab_cdef_fedc_ba98_7654_3210;
const B: u128 = 0x8899_aabb_ccdd_eeff_0011_2233_4455_6677;
const C: u128 = 0xf0f0_0f0f_ff00_00ff_1234_5678_9abc_def0;

fn op(word: u32) -> u128 {
    run(&[word], |m| {
        m.set_v(0, C);
        m.set_v(1, A);
        m.set_v(2, B);
        m.set_v(3, C);
    })
    .v(0)
}

fn hl(v: u128) -> (u64, u64) {
    ((v >> 64) as u64, v as u64)
}

#[test]
fn sha3_ops() {
    assert_eq!(op(0xce020c20), A ^ B ^ C); // eor3
    assert_eq!(op(0xce220c20), A ^ (B & !C)); // bcax
    let (bh, bl) = hl(B);
    let (ah, al) = hl(A);
    assert_eq!(
        op(0xce628c20),
        q(al ^ bl.rotate_left(1), ah ^ bh.rotate_left(1))
    ); // rax1
    assert_eq!(
        op(0xce822820),
        q((al ^ bl).rotate_right(10), (ah ^ bh).rotate_right(10))
    ); // xar #10
}

fn clmul(a: u64, b: u64) -> u128 {
    (0..64)
        .filter(|i| b >> i & 1 != 0)
        .fold(0, |r, i| r ^ (a as u128) << i)
}

#[test]
fn pmull() {
    assert_eq!(op(0x0ee2e020), clmul(A as u64, B as u64)); // pmull .1q
    assert_eq!(op(0x4ee2e020), clmul((A >> 64) as u64, (B >> 64) as u64)); // pmull2
    let want: Vec<u128> = (0..8)
        .map(|k| clmul((A >> (8 * k)) as u8 as u64, (B >> (8 * k)) as u8 as u64) << (16 * k))
        .collect();
    assert_eq!(op(0x0e22e020), want.iter().fold(0, |a, b| a | b)); // pmull .8h
}

#[test]
fn dot_product() {
    let bytes = |v: u128| v.to_le_bytes();
    let (a, b, c) = (bytes(A), bytes(B), bytes(C));
    let mut want = 0u128;
    for k in 0..4 {
        let mut s = u32::from_le_bytes(c[4 * k..4 * k + 4].try_into().unwrap());
        for j in 0..4 {
            s = s.wrapping_add((a[4 * k + j] as i8 as i32 * b[4 * k + j] as i8 as i32) as u32);
        }
        want |= (s as u128) << (32 * k);
    }
    assert_eq!(op(0x4e829420), want); // sdot .4s
    let mut want = 0u128;
    for k in 0..2 {
        let mut s = u32::from_le_bytes(c[4 * k..4 * k + 4].try_into().unwrap());
        for j in 0..4 {
            s = s.wrapping_add(a[4 * k + j] as u32 * b[4 * k + j] as u32);
        }
        want |= (s as u128) << (32 * k);
    }
    assert_eq!(op(0x2e829420), want); // udot .2s
    let mut want = 0u128;
    for k in 0..4 {
        let mut s = u32::from_le_bytes(c[4 * k..4 * k + 4].try_into().unwrap());
        for j in 0..4 {
            s = s.wrapping_add((a[4 * k + j] as i8 as i32 * b[12 + j] as i8 as i32) as u32);
        }
        want |= (s as u128) << (32 * k);
    }
    assert_eq!(op(0x4fa2e820), want); // sdot by element [3]
}

#[test]
fn sha1_small_ops() {
    assert_eq!(op(0x5e280820), ((A as u32).rotate_left(30)) as u128); // sha1h
    let (ah, al) = hl(A);
    let _ = ah;
    // sha1su0 v0, v1, v2: (v1.lo : v0.hi) ^ v0 ^ v2
    assert_eq!(op(0x5e023020), (q((C >> 64) as u64, al)) ^ C ^ B);
}

/// SHA-1 compression of one block (x0 = state a..d then e, x1 = block,
/// K constants replicated in v20..v23), the usual sha1c/p/m, sha1h,
/// sha1su0/sha1su1 sequence, generated with aarch64-linux-gnu-as.
const SHA1_BLOCK: &[u32] = &[
    0x3dc00000, 0xbd401001, 0x4c402024, 0x6e200884, 0x6e2008a5, 0x6e2008c6, 0x6e2008e7, 0x4ea01c02,
    0x4ea11c23, 0x4eb48491, 0x5e280810, 0x5e110020, 0x4eb484b1, 0x5e280801, 0x5e110200, 0x4eb484d1,
    0x5e280810, 0x5e110020, 0x4eb484f1, 0x5e280801, 0x5e110200, 0x5e0630a4, 0x5e2818e4, 0x4eb48491,
    0x5e280810, 0x5e110020, 0x5e0730c5, 0x5e281885, 0x4eb584b1, 0x5e280801, 0x5e111200, 0x5e0430e6,
    0x5e2818a6, 0x4eb584d1, 0x5e280810, 0x5e111020, 0x5e053087, 0x5e2818c7, 0x4eb584f1, 0x5e280801,
    0x5e111200, 0x5e0630a4, 0x5e2818e4, 0x4eb58491, 0x5e280810, 0x5e111020, 0x5e0730c5, 0x5e281885,
    0x4eb584b1, 0x5e280801, 0x5e111200, 0x5e0430e6, 0x5e2818a6, 0x4eb684d1, 0x5e280810, 0x5e112020,
    0x5e053087, 0x5e2818c7, 0x4eb684f1, 0x5e280801, 0x5e112200, 0x5e0630a4, 0x5e2818e4, 0x4eb68491,
    0x5e280810, 0x5e112020, 0x5e0730c5, 0x5e281885, 0x4eb684b1, 0x5e280801, 0x5e112200, 0x5e0430e6,
    0x5e2818a6, 0x4eb684d1, 0x5e280810, 0x5e112020, 0x5e053087, 0x5e2818c7, 0x4eb784f1, 0x5e280801,
    0x5e111200, 0x5e0630a4, 0x5e2818e4, 0x4eb78491, 0x5e280810, 0x5e111020, 0x5e0730c5, 0x5e281885,
    0x4eb784b1, 0x5e280801, 0x5e111200, 0x5e0430e6, 0x5e2818a6, 0x4eb784d1, 0x5e280810, 0x5e111020,
    0x5e053087, 0x5e2818c7, 0x4eb784f1, 0x5e280801, 0x5e111200, 0x4ea28400, 0x4ea38421, 0x3d800000,
    0xbd001001,
];

#[test]
fn sha1_abc() {
    let m = run(SHA1_BLOCK, |m| {
        let h: [u32; 5] = [0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476, 0xc3d2e1f0];
        let hb: Vec<u8> = h.iter().flat_map(|w| w.to_le_bytes()).collect();
        m.write(DATA, &hb);
        let mut block = [0u8; 64];
        block[..3].copy_from_slice(b"abc");
        block[3] = 0x80;
        block[63] = 24;
        m.write(DATA + 0x100, &block);
        for (r, k) in [0x5a827999u32, 0x6ed9eba1, 0x8f1bbcdc, 0xca62c1d6]
            .iter()
            .enumerate()
        {
            let k = *k as u128;
            m.set_v(20 + r, k | k << 32 | k << 64 | k << 96);
        }
        m.cpu.x[0] = DATA;
        m.cpu.x[1] = DATA + 0x100;
    });
    let out: Vec<u32> = (0..5)
        .map(|k| u32::from_le_bytes(m.read(DATA + 4 * k, 4).try_into().unwrap()))
        .collect();
    assert_eq!(
        out,
        [0xa9993e36, 0x4706816a, 0xba3e2571, 0x7850c26c, 0x9cd0d89d]
    );
}
