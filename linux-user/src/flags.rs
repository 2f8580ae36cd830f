//! Bit-flag translation between a guest's numbering and the host's.
//!
//! `open` flags, `mmap` flags, termios flags and the like are the same idea
//! with different bit values per architecture. A [`FlagMap`] lists the bits
//! that differ as `(guest, host)` pairs; bits no pair mentions on either side
//! pass through unchanged (so an unknown bit still reaches the host kernel,
//! which rejects it as it would reject it from a native program).

/// `(guest bits, host bits)` pairs for every flag whose value differs.
#[derive(Debug)]
pub struct FlagMap(pub &'static [(u64, u64)]);

impl FlagMap {
    /// Guest and host agree on every bit.
    pub const IDENTITY: FlagMap = FlagMap(&[]);

    /// Translate guest flags to host flags.
    pub fn to_host(&self, guest: u64) -> u64 {
        self.translate(guest, |&(g, h)| (g, h))
    }

    /// Translate host flags to guest flags.
    pub fn to_guest(&self, host: u64) -> u64 {
        self.translate(host, |&(g, h)| (h, g))
    }

    fn translate(&self, v: u64, dir: impl Fn(&(u64, u64)) -> (u64, u64)) -> u64 {
        let mut covered = 0;
        let mut out = 0;
        for e in self.0 {
            let (from, to) = dir(e);
            covered |= from;
            if v & from == from && from != 0 {
                out |= to;
            }
        }
        out | (v & !covered)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn swaps_differing_bits_and_passes_others() {
        // AArch64's O_DIRECTORY is the host's O_DIRECT and so on.
        let m = FlagMap(&[(0o40000, 0o200000), (0o200000, 0o40000)]);
        assert_eq!(m.to_host(0o40000 | 0o2), 0o200000 | 0o2);
        assert_eq!(m.to_host(0o200000), 0o40000);
        assert_eq!(m.to_guest(0o200000 | 0o100), 0o40000 | 0o100);
        assert_eq!(FlagMap::IDENTITY.to_host(0xdead), 0xdead);
    }
}
