//! Zero detection for buffers (convert's `-S` sparse handling, compressed
//! clusters): the block layer's equivalent of a vectorised memcmp against
//! zeroes.

/// Whether every byte of `buf` is zero.
///
/// Works on 64-byte groups OR-ed together as 64-bit words with no early exit
/// inside a group, so the compiler turns each group into a few vector ops;
/// a byte-at-a-time `iter().all()` runs at about one byte per cycle.
pub fn is_zero(buf: &[u8]) -> bool {
    let mut groups = buf.chunks_exact(64);
    for g in &mut groups {
        let mut acc = 0u64;
        for w in g.chunks_exact(8) {
            acc |= u64::from_ne_bytes([w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7]]);
        }
        if acc != 0 {
            return false;
        }
    }
    groups.remainder().iter().all(|&b| b == 0)
}

#[cfg(test)]
mod tests {
    use super::is_zero;

    #[test]
    fn any_nonzero_byte_is_seen() {
        assert!(is_zero(&[]));
        for len in [1usize, 7, 63, 64, 65, 200, 4096, 4099] {
            let mut v = vec![0u8; len];
            assert!(is_zero(&v), "len {len}");
            for i in [0, len / 2, len - 1] {
                v[i] = 0x10;
                assert!(!is_zero(&v), "len {len}, byte {i}");
                assert!(is_zero(&v[..i]), "len {len}, prefix {i}");
                v[i] = 0;
            }
        }
    }
}
