//! AArch64 (`EM_AARCH64`, little-endian LP64) Linux ABI data.
//!
//! AArch64 uses the asm-generic syscall numbers, the generic 128-byte
//! `struct stat`, 4 KiB pages (what Debian's arm64 kernels use), the generic
//! errno numbering and generic `mmap` flags, but its own `open` flag values
//! for `O_DIRECTORY`, `O_NOFOLLOW`, `O_DIRECT` and `O_LARGEFILE`
//! (arch/arm64/include/uapi/asm/fcntl.h). The hwcap values are not here: the
//! caller supplies them in `LoadOptions` from what the translator implements.

pub mod cpu_loop;
pub mod signal;

use crate::abi::{CloneArgs, GuestAbi};
use crate::errno::ErrnoMap;
use crate::flags::FlagMap;
use crate::layout::net::NetAbi;
use crate::layout::{misc, stat, statfs, termios, StructLayout};
use crate::syscall::ioctl::GENERIC_IOCTLS;

/// `EM_AARCH64`.
pub const EM_AARCH64: u16 = 183;

/// AArch64 `O_*` values that differ from the host (x86-64) kernel's.
/// (Host values are spelled out: glibc defines `O_LARGEFILE` as 0 on
/// 64-bit hosts, but the kernel reports 0o100000 in `F_GETFL`.)
const OPEN_FLAGS: &[(u64, u64)] = &[
    (0o40000, 0o200000),  // O_DIRECTORY
    (0o100000, 0o400000), // O_NOFOLLOW
    (0o200000, 0o40000),  // O_DIRECT
    (0o400000, 0o100000), // O_LARGEFILE
];

/// The AArch64 Linux ABI.
pub static ABI: GuestAbi = GuestAbi {
    name: "aarch64",
    uname_machine: "aarch64",
    elf_machine: EM_AARCH64,
    bits: 64,
    big_endian: false,
    page_size: 4096,
    syscalls: &syscall_tables::aarch64::TABLE,
    struct_layout: StructLayout {
        stat: &stat::GENERIC64,
        statfs: &statfs::GENERIC64,
        termios: &termios::GENERIC,
        flock: &misc::FLOCK_GENERIC64,
    },
    errno: ErrnoMap::IDENTITY,
    open_flags: FlagMap(OPEN_FLAGS),
    mmap_flags: FlagMap::IDENTITY,
    ioctls: GENERIC_IOCTLS,
    net: &NetAbi::GENERIC,
    platform: "aarch64",
    // MINSIGSTKSZ from arch/arm64/include/uapi/asm/signal.h.
    minsigstksz: Some(5120),
    et_dyn_base: 0x55_5555_4000,
    mmap_min_addr: 0x1_0000,
    clone_args: CloneArgs::Backwards,
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn open_flags_translate() {
        let o_directory_guest = 0o40000;
        assert_eq!(
            ABI.open_flags.to_host(o_directory_guest | 0o2),
            libc::O_DIRECTORY as u64 | 0o2
        );
        assert_eq!(
            ABI.open_flags.to_guest(0o100000 | libc::O_CLOEXEC as u64),
            0o400000 | libc::O_CLOEXEC as u64
        );
        assert_eq!(ABI.open_flags.to_host(0o100000), libc::O_NOFOLLOW as u64);
        assert_eq!(ABI.open_flags.to_host(0o200000), libc::O_DIRECT as u64);
        assert_eq!(ABI.syscalls.name(56), Some("openat"));
    }
}
