//! `struct stat` (what `fstat`, `newfstatat` and `fstatat64` write) and
//! `struct statx` (the same layout in every ABI, only byte order differs).

use super::{f, Codec, Field};

/// Host-neutral file status, filled from the host's `struct stat`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct HostStat {
    pub dev: u64,
    pub ino: u64,
    pub mode: u32,
    pub nlink: u64,
    pub uid: u32,
    pub gid: u32,
    pub rdev: u64,
    pub size: i64,
    pub blksize: i64,
    pub blocks: i64,
    pub atime: i64,
    pub atime_nsec: i64,
    pub mtime: i64,
    pub mtime_nsec: i64,
    pub ctime: i64,
    pub ctime_nsec: i64,
}

impl From<&libc::stat> for HostStat {
    fn from(s: &libc::stat) -> HostStat {
        HostStat {
            dev: s.st_dev,
            ino: s.st_ino,
            mode: s.st_mode,
            nlink: s.st_nlink,
            uid: s.st_uid,
            gid: s.st_gid,
            rdev: s.st_rdev,
            size: s.st_size,
            blksize: s.st_blksize,
            blocks: s.st_blocks,
            atime: s.st_atime,
            atime_nsec: s.st_atime_nsec,
            mtime: s.st_mtime,
            mtime_nsec: s.st_mtime_nsec,
            ctime: s.st_ctime,
            ctime_nsec: s.st_ctime_nsec,
        }
    }
}

/// Where each field of a guest `struct stat` lives.
#[derive(Debug)]
pub struct StatLayout {
    pub size: usize,
    pub dev: Field,
    pub ino: Field,
    pub mode: Field,
    pub nlink: Field,
    pub uid: Field,
    pub gid: Field,
    pub rdev: Field,
    pub st_size: Field,
    pub blksize: Field,
    pub blocks: Field,
    pub atime: Field,
    pub atime_nsec: Field,
    pub mtime: Field,
    pub mtime_nsec: Field,
    pub ctime: Field,
    pub ctime_nsec: Field,
}

/// asm-generic `struct stat` for 64-bit ABIs (AArch64, RISC-V 64,
/// LoongArch): 128 bytes.
pub static GENERIC64: StatLayout = StatLayout {
    size: 128,
    dev: f(0, 8),
    ino: f(8, 8),
    mode: f(16, 4),
    nlink: f(20, 4),
    uid: f(24, 4),
    gid: f(28, 4),
    rdev: f(32, 8),
    // __pad1 at 40
    st_size: f(48, 8),
    blksize: f(56, 4),
    // __pad2 at 60
    blocks: f(64, 8),
    atime: f(72, 8),
    atime_nsec: f(80, 8),
    mtime: f(88, 8),
    mtime_nsec: f(96, 8),
    ctime: f(104, 8),
    ctime_nsec: f(112, 8),
    // __unused4, __unused5 at 120
};

/// ARM EABI `struct stat64` (what `fstat64`, `stat64`, `fstatat64` write):
/// 104 bytes, 64-bit fields 8-aligned, the full inode number at the end
/// (the truncated `__st_ino` at 12 is left zero, as glibc ignores it).
pub static ARM_EABI_STAT64: StatLayout = StatLayout {
    size: 104,
    dev: f(0, 8),
    ino: f(96, 8),
    mode: f(16, 4),
    nlink: f(20, 4),
    uid: f(24, 4),
    gid: f(28, 4),
    rdev: f(32, 8),
    st_size: f(48, 8),
    blksize: f(56, 4),
    blocks: f(64, 8),
    atime: f(72, 4),
    atime_nsec: f(76, 4),
    mtime: f(80, 4),
    mtime_nsec: f(84, 4),
    ctime: f(88, 4),
    ctime_nsec: f(92, 4),
};

/// x86-64 `struct stat`: 144 bytes, `st_nlink` before `st_mode`.
pub static X86_64: StatLayout = StatLayout {
    size: 144,
    dev: f(0, 8),
    ino: f(8, 8),
    nlink: f(16, 8),
    mode: f(24, 4),
    uid: f(28, 4),
    gid: f(32, 4),
    // __pad0 at 36
    rdev: f(40, 8),
    st_size: f(48, 8),
    blksize: f(56, 8),
    blocks: f(64, 8),
    atime: f(72, 8),
    atime_nsec: f(80, 8),
    mtime: f(88, 8),
    mtime_nsec: f(96, 8),
    ctime: f(104, 8),
    ctime_nsec: f(112, 8),
};

/// Encode `st` as the guest's `struct stat`.
pub fn encode_stat(layout: &StatLayout, c: &Codec, st: &HostStat) -> Vec<u8> {
    let mut b = vec![0u8; layout.size];
    let l = layout;
    l.dev.put(c, &mut b, st.dev);
    l.ino.put(c, &mut b, st.ino);
    l.mode.put(c, &mut b, st.mode.into());
    l.nlink.put(c, &mut b, st.nlink);
    l.uid.put(c, &mut b, st.uid.into());
    l.gid.put(c, &mut b, st.gid.into());
    l.rdev.put(c, &mut b, st.rdev);
    l.st_size.put(c, &mut b, st.size as u64);
    l.blksize.put(c, &mut b, st.blksize as u64);
    l.blocks.put(c, &mut b, st.blocks as u64);
    l.atime.put(c, &mut b, st.atime as u64);
    l.atime_nsec.put(c, &mut b, st.atime_nsec as u64);
    l.mtime.put(c, &mut b, st.mtime as u64);
    l.mtime_nsec.put(c, &mut b, st.mtime_nsec as u64);
    l.ctime.put(c, &mut b, st.ctime as u64);
    l.ctime_nsec.put(c, &mut b, st.ctime_nsec as u64);
    b
}

/// Size of `struct statx` (identical in every ABI).
pub const STATX_SIZE: usize = 256;

/// Encode a host `struct statx` in guest byte order.
pub fn encode_statx(c: &Codec, s: &libc::statx) -> Vec<u8> {
    let mut b = vec![0u8; STATX_SIZE];
    let ts = |b: &mut Vec<u8>, off: usize, t: &libc::statx_timestamp| {
        c.put(b, off, 8, t.tv_sec as u64);
        c.put(b, off + 8, 4, t.tv_nsec.into());
    };
    c.put(&mut b, 0, 4, s.stx_mask.into());
    c.put(&mut b, 4, 4, s.stx_blksize.into());
    c.put(&mut b, 8, 8, s.stx_attributes);
    c.put(&mut b, 16, 4, s.stx_nlink.into());
    c.put(&mut b, 20, 4, s.stx_uid.into());
    c.put(&mut b, 24, 4, s.stx_gid.into());
    c.put(&mut b, 28, 2, s.stx_mode.into());
    c.put(&mut b, 32, 8, s.stx_ino);
    c.put(&mut b, 40, 8, s.stx_size);
    c.put(&mut b, 48, 8, s.stx_blocks);
    c.put(&mut b, 56, 8, s.stx_attributes_mask);
    ts(&mut b, 64, &s.stx_atime);
    ts(&mut b, 80, &s.stx_btime);
    ts(&mut b, 96, &s.stx_ctime);
    ts(&mut b, 112, &s.stx_mtime);
    c.put(&mut b, 128, 4, s.stx_rdev_major.into());
    c.put(&mut b, 132, 4, s.stx_rdev_minor.into());
    c.put(&mut b, 136, 4, s.stx_dev_major.into());
    c.put(&mut b, 140, 4, s.stx_dev_minor.into());
    c.put(&mut b, 144, 8, s.stx_mnt_id);
    c.put(&mut b, 152, 4, s.stx_dio_mem_align.into());
    c.put(&mut b, 156, 4, s.stx_dio_offset_align.into());
    c.put(&mut b, 160, 8, s.stx_subvol);
    c.put(&mut b, 168, 4, s.stx_atomic_write_unit_min.into());
    c.put(&mut b, 172, 4, s.stx_atomic_write_unit_max.into());
    c.put(&mut b, 176, 4, s.stx_atomic_write_segments_max.into());
    c.put(&mut b, 180, 4, s.stx_dio_read_offset_align.into());
    c.put(&mut b, 184, 4, s.stx_atomic_write_unit_max_opt.into());
    b
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> HostStat {
        HostStat {
            dev: 0x0102,
            ino: 0x1122_3344_5566_7788,
            mode: 0o100644,
            nlink: 3,
            uid: 1000,
            gid: 100,
            rdev: 0,
            size: 4097,
            blksize: 4096,
            blocks: 16,
            atime: 1_700_000_000,
            atime_nsec: 5,
            mtime: 1_700_000_001,
            mtime_nsec: 6,
            ctime: 1_700_000_002,
            ctime_nsec: 7,
        }
    }

    #[test]
    fn generic64_bytes() {
        let b = encode_stat(&GENERIC64, &Codec::LE64, &sample());
        assert_eq!(b.len(), 128);
        assert_eq!(&b[0..8], &0x0102u64.to_le_bytes());
        assert_eq!(&b[8..16], &0x1122_3344_5566_7788u64.to_le_bytes());
        assert_eq!(&b[16..20], &0o100644u32.to_le_bytes());
        assert_eq!(&b[20..24], &3u32.to_le_bytes());
        assert_eq!(&b[24..28], &1000u32.to_le_bytes());
        assert_eq!(&b[28..32], &100u32.to_le_bytes());
        assert_eq!(&b[40..48], &[0; 8], "__pad1");
        assert_eq!(&b[48..56], &4097u64.to_le_bytes());
        assert_eq!(&b[56..60], &4096u32.to_le_bytes());
        assert_eq!(&b[64..72], &16u64.to_le_bytes());
        assert_eq!(&b[72..80], &1_700_000_000u64.to_le_bytes());
        assert_eq!(&b[80..88], &5u64.to_le_bytes());
        assert_eq!(&b[104..112], &1_700_000_002u64.to_le_bytes());
        assert_eq!(&b[112..120], &7u64.to_le_bytes());
        assert_eq!(&b[120..128], &[0; 8]);
    }

    #[test]
    fn generic64_big_endian() {
        let be = Codec {
            big_endian: true,
            word: 8,
            time64: false,
        };
        let b = encode_stat(&GENERIC64, &be, &sample());
        assert_eq!(&b[16..20], &0o100644u32.to_be_bytes());
        assert_eq!(&b[48..56], &4097u64.to_be_bytes());
    }

    #[test]
    fn x86_64_matches_host_struct() {
        // The host is x86-64: its libc `struct stat` is this layout.
        assert_eq!(std::mem::size_of::<libc::stat>(), X86_64.size);
        // SAFETY: an all-zero `struct stat` is a valid value.
        let mut host: libc::stat = unsafe { std::mem::zeroed() };
        host.st_ino = 42;
        host.st_nlink = 2;
        host.st_mode = 0o40755;
        host.st_size = 99;
        host.st_mtime_nsec = 77;
        let b = encode_stat(&X86_64, &Codec::LE64, &HostStat::from(&host));
        // SAFETY: `host` is a plain-data struct of exactly `b.len()` bytes.
        let raw =
            unsafe { std::slice::from_raw_parts(&host as *const libc::stat as *const u8, b.len()) };
        assert_eq!(b, raw);
    }

    #[test]
    fn statx_round_trip_little_endian() {
        assert_eq!(std::mem::size_of::<libc::statx>(), STATX_SIZE);
        // SAFETY: an all-zero `struct statx` is a valid value.
        let mut s: libc::statx = unsafe { std::mem::zeroed() };
        s.stx_mask = 0x7ff;
        s.stx_size = 1234;
        s.stx_mode = 0o644;
        s.stx_mtime.tv_sec = 55;
        s.stx_mtime.tv_nsec = 66;
        s.stx_dev_minor = 9;
        let b = encode_statx(&Codec::LE64, &s);
        // SAFETY: `s` is plain data of `STATX_SIZE` bytes.
        let raw = unsafe {
            std::slice::from_raw_parts(&s as *const libc::statx as *const u8, STATX_SIZE)
        };
        assert_eq!(b, raw);
    }
}
