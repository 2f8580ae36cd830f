//! 32-bit Arm (`EM_ARM`, EABI, little-endian) Linux ABI data.
//!
//! ARM EABI uses its own syscall numbering (`r7`), the 32-bit variants of
//! the file calls (`fstat64` with ARM's `struct stat64`, `statfs64`,
//! `fcntl64`, `mmap2`, `_llseek`; see `syscall::compat32`), the generic
//! errno and `mmap` flags, and the same `open` flag values as AArch64
//! (arch/arm/include/uapi/asm/fcntl.h). 64-bit syscall arguments go in an
//! even/odd register pair (see `cpu_loop::pair_args`). The top 64 KiB of
//! the address space hold the kuser helper page ([`kuser`]), so the stack
//! ends below it.

pub mod cpu_loop;
pub mod kuser;
pub mod signal;

use crate::abi::{CloneArgs, GuestAbi};
use crate::errno::ErrnoMap;
use crate::flags::FlagMap;
use crate::layout::net::NetAbi;
use crate::layout::{misc, stat, statfs, termios, StructLayout};
use crate::syscall::ioctl::GENERIC_IOCTLS;

/// `EM_ARM`.
pub const EM_ARM: u16 = 40;

/// ARM `O_*` values that differ from the host (x86-64) kernel's (the same
/// as AArch64's).
const OPEN_FLAGS: &[(u64, u64)] = &[
    (0o40000, 0o200000),  // O_DIRECTORY
    (0o100000, 0o400000), // O_NOFOLLOW
    (0o200000, 0o40000),  // O_DIRECT
    (0o400000, 0o100000), // O_LARGEFILE
];

/// The ARM EABI Linux ABI (armhf and armel: the float ABI is a user-space
/// calling convention, the kernel interface is the same) on an ARMv7 CPU.
pub static ABI: GuestAbi = ABI_V7;

/// The same on an ARMv6 CPU (`-cpu arm1176`): `uname -m` says `armv6l`,
/// AT_PLATFORM `v6l`.
pub static ABI_V6: GuestAbi = GuestAbi {
    uname_machine: "armv6l",
    platform: "v6l",
    ..ABI_V7
};

const ABI_V7: GuestAbi = GuestAbi {
    name: "arm",
    uname_machine: "armv7l",
    elf_machine: EM_ARM,
    bits: 32,
    big_endian: false,
    page_size: 4096,
    syscalls: &syscall_tables::arm::TABLE,
    struct_layout: StructLayout {
        stat: &stat::ARM_EABI_STAT64,
        statfs: &statfs::STATFS64_32,
        termios: &termios::GENERIC,
        flock: &misc::FLOCK_GENERIC64,
    },
    errno: ErrnoMap::IDENTITY,
    open_flags: FlagMap(OPEN_FLAGS),
    mmap_flags: FlagMap::IDENTITY,
    ioctls: GENERIC_IOCTLS,
    platform: "v7l",
    minsigstksz: None,
    et_dyn_base: 0x0040_0000,
    mmap_min_addr: 0x8000,
    clone_args: CloneArgs::Backwards,
    net: &NetAbi::GENERIC,
};

/// `/proc/cpuinfo` for an ARMv7 or ARMv6 CPU model, one entry per host CPU.
pub fn cpuinfo(model: &target_arm::CpuModel) -> String {
    let cpus = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    let midr = model.midr;
    let name = if model.arch >= 7 {
        "ARMv7 Processor"
    } else {
        "ARMv6-compatible processor"
    };
    let plat = if model.arch >= 7 { "v7l" } else { "v6l" };
    let mut s = String::new();
    for i in 0..cpus {
        s.push_str(&format!(
            "processor\t: {i}\nmodel name\t: {name} rev {} ({plat})\nBogoMIPS\t: 50.00\n\
             Features\t: {}\nCPU implementer\t: {:#04x}\nCPU architecture: {}\n\
             CPU variant\t: {:#x}\nCPU part\t: {:#05x}\nCPU revision\t: {}\n\n",
            midr & 0xf,
            model.feature_names().join(" "),
            (midr >> 24) & 0xff,
            model.arch,
            (midr >> 20) & 0xf,
            (midr >> 4) & 0xfff,
            midr & 0xf
        ));
    }
    s.push_str("Hardware\t: Mimic user-mode ARM\nRevision\t: 0000\nSerial\t\t: 0000000000000000\n");
    s
}
