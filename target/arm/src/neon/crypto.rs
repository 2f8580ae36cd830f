//! The ARMv8 AArch32 crypto instructions (`Features::v8`): AESE, AESD,
//! AESMC, AESIMC, SHA1H, SHA1SU1, SHA256SU0 in "two registers misc" and
//! SHA1C/P/M/SU0, SHA256H/H2/SU1 in "three registers of the same length"
//! (opc 1100, Q = 1). They work on Q registers; the primitives are the
//! AArch64 frontend's ([`target_aarch64::crypto`]).

pub use target_aarch64::crypto as op;

fn q(regs: &[u64; 32], r: usize) -> u128 {
    u128::from(regs[r + 1]) << 64 | u128::from(regs[r])
}

/// Runs crypto operation `op` on Qd (`d`), Qn (`n`, the source of the
/// one-source forms) and Qm (`m`).
pub fn run(regs: &mut [u64; 32], op: u32, d: usize, n: usize, m: usize) {
    let r = op::compute(op, q(regs, d), q(regs, n), q(regs, m));
    regs[d] = r as u64;
    regs[d + 1] = (r >> 64) as u64;
}

/// The two-register-misc crypto form for `(a, b, bit 6, size)`, if any.
pub fn decode2(a: u32, b: u32, q: bool, size: u32) -> Option<u32> {
    Some(match (a, b, size) {
        (0, 6, 0) => [op::AESE, op::AESD][usize::from(q)],
        (0, 7, 0) => [op::AESMC, op::AESIMC][usize::from(q)],
        (1, 5, 2) if q => op::SHA1H,
        (2, 7, 2) => [op::SHA1SU1, op::SHA256SU0][usize::from(q)],
        _ => return None,
    })
}

/// The three-register crypto form for `U` and `size` (opc 1100, o1 = 0).
pub fn decode3(u: bool, size: u32) -> Option<u32> {
    Some(match (u, size) {
        (false, 0) => op::SHA1C,
        (false, 1) => op::SHA1P,
        (false, 2) => op::SHA1M,
        (false, _) => op::SHA1SU0,
        (true, 0) => op::SHA256H,
        (true, 1) => op::SHA256H2,
        (true, 2) => op::SHA256SU1,
        _ => return None,
    })
}
