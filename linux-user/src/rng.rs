//! `-seed N` / `QEMU_RAND_SEED`: the guest's randomness (`getrandom`, as
//! `AT_RANDOM` already is) comes from a deterministic generator
//! (splitmix64) instead of the host, so runs repeat exactly.

use std::sync::Mutex;

static STATE: Mutex<Option<u64>> = Mutex::new(None);

/// Makes `getrandom` deterministic from `seed` (distinct from the stream
/// `AT_RANDOM` uses).
pub fn seed(seed: u64) {
    *STATE.lock().unwrap_or_else(|e| e.into_inner()) = Some(seed ^ 0x6765_7472_616e_646d);
}

/// Whether `-seed` was given.
pub fn seeded() -> bool {
    STATE.lock().unwrap_or_else(|e| e.into_inner()).is_some()
}

/// Fills `buf` from the seeded generator; false when no seed was given.
pub fn fill(buf: &mut [u8]) -> bool {
    let mut st = STATE.lock().unwrap_or_else(|e| e.into_inner());
    let Some(s) = st.as_mut() else {
        return false;
    };
    for chunk in buf.chunks_mut(8) {
        *s = s.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = *s;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        let v = (z ^ (z >> 31)).to_le_bytes();
        chunk.copy_from_slice(&v[..chunk.len()]);
    }
    true
}
