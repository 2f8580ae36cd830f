//! `struct statfs` as `statfs` and `fstatfs` write it.

use super::{f, Codec, Field};

/// The host kernel's `struct statfs` (x86-64; glibc's lacks `f_flags`).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct KernelStatfs {
    pub f_type: i64,
    pub f_bsize: i64,
    pub f_blocks: u64,
    pub f_bfree: u64,
    pub f_bavail: u64,
    pub f_files: u64,
    pub f_ffree: u64,
    pub f_fsid: [i32; 2],
    pub f_namelen: i64,
    pub f_frsize: i64,
    pub f_flags: i64,
    pub f_spare: [i64; 4],
}

/// Where each field of a guest `struct statfs` lives.
#[derive(Debug)]
pub struct StatfsLayout {
    pub size: usize,
    pub f_type: Field,
    pub bsize: Field,
    pub blocks: Field,
    pub bfree: Field,
    pub bavail: Field,
    pub files: Field,
    pub ffree: Field,
    pub fsid0: Field,
    pub fsid1: Field,
    pub namelen: Field,
    pub frsize: Field,
    pub flags: Field,
}

/// `struct statfs64` of 32-bit ABIs with 4-byte-aligned 64-bit fields
/// (ARM EABI's is `packed, aligned(4)`): 84 bytes.
pub static STATFS64_32: StatfsLayout = StatfsLayout {
    size: 84,
    f_type: f(0, 4),
    bsize: f(4, 4),
    blocks: f(8, 8),
    bfree: f(16, 8),
    bavail: f(24, 8),
    files: f(32, 8),
    ffree: f(40, 8),
    fsid0: f(48, 4),
    fsid1: f(52, 4),
    namelen: f(56, 4),
    frsize: f(60, 4),
    flags: f(64, 4),
};

/// asm-generic `struct statfs` with 64-bit `__statfs_word` (AArch64, x86-64,
/// RISC-V 64): 120 bytes.
pub static GENERIC64: StatfsLayout = StatfsLayout {
    size: 120,
    f_type: f(0, 8),
    bsize: f(8, 8),
    blocks: f(16, 8),
    bfree: f(24, 8),
    bavail: f(32, 8),
    files: f(40, 8),
    ffree: f(48, 8),
    fsid0: f(56, 4),
    fsid1: f(60, 4),
    namelen: f(64, 8),
    frsize: f(72, 8),
    flags: f(80, 8),
    // f_spare[4] at 88
};

/// Encode the host's `struct statfs` for the guest.
pub fn encode_statfs(l: &StatfsLayout, c: &Codec, s: &KernelStatfs) -> Vec<u8> {
    let mut b = vec![0u8; l.size];
    let fsid = s.f_fsid;
    l.f_type.put(c, &mut b, s.f_type as u64);
    l.bsize.put(c, &mut b, s.f_bsize as u64);
    l.blocks.put(c, &mut b, s.f_blocks);
    l.bfree.put(c, &mut b, s.f_bfree);
    l.bavail.put(c, &mut b, s.f_bavail);
    l.files.put(c, &mut b, s.f_files);
    l.ffree.put(c, &mut b, s.f_ffree);
    l.fsid0.put(c, &mut b, fsid[0] as u32 as u64);
    l.fsid1.put(c, &mut b, fsid[1] as u32 as u64);
    l.namelen.put(c, &mut b, s.f_namelen as u64);
    l.frsize.put(c, &mut b, s.f_frsize as u64);
    l.flags.put(c, &mut b, s.f_flags as u64);
    b
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generic64_matches_host() {
        assert_eq!(std::mem::size_of::<KernelStatfs>(), GENERIC64.size);
        let s = KernelStatfs {
            f_fsid: [7, -1],
            f_type: 0xef53,
            f_bsize: 4096,
            f_blocks: 1000,
            f_namelen: 255,
            f_flags: 0x20,
            ..KernelStatfs::default()
        };
        let b = encode_statfs(&GENERIC64, &Codec::LE64, &s);
        // SAFETY: plain data of `b.len()` bytes.
        let raw =
            unsafe { std::slice::from_raw_parts(&s as *const KernelStatfs as *const u8, b.len()) };
        assert_eq!(b, raw);
    }
}
