//! What makes one guest's Linux ABI differ from another's, as data.
//!
//! A [`GuestAbi`] is everything the guest-independent parts of linux-user
//! (loader, address space, syscall handlers) need to know about a guest:
//! word size and byte order, page size, syscall numbering, struct layouts and
//! the flag and errno numberings that differ from the host's. Each guest
//! defines one `static ABI: GuestAbi` in its `linux_user::<arch>` module.

use crate::errno::ErrnoMap;
use crate::flags::FlagMap;
use crate::layout::net::NetAbi;
use crate::layout::{Codec, StructLayout};
use crate::syscall::ioctl::IoctlOp;

/// One guest's Linux ABI.
#[derive(Debug)]
pub struct GuestAbi {
    /// Short name, as in `mimic-<name>` (`"aarch64"`).
    pub name: &'static str,
    /// `uname -m` (`"aarch64"`).
    pub uname_machine: &'static str,
    /// `e_machine` of the ELF files this ABI runs.
    pub elf_machine: u16,
    /// 32 or 64 (`EI_CLASS`, size of `long` and of pointers).
    pub bits: u32,
    pub big_endian: bool,
    /// The guest kernel's page size (`AT_PAGESZ`, `mmap` alignment).
    pub page_size: u64,
    /// Syscall numbers and names.
    pub syscalls: &'static syscall_tables::Table,
    /// Which layout each converted struct has.
    pub struct_layout: StructLayout,
    /// How errno values are numbered.
    pub errno: ErrnoMap,
    /// `open`/`fcntl(F_GETFL)` flag bits that differ from the host's.
    pub open_flags: FlagMap,
    /// `mmap` flag bits that differ from the host's.
    pub mmap_flags: FlagMap,
    /// The ioctl request numbers this guest uses for the ioctls linux-user
    /// knows how to convert.
    pub ioctls: &'static [(u32, IoctlOp)],
    /// Socket type, level and option numbering; `epoll_event` layout.
    pub net: &'static NetAbi,
    /// `AT_PLATFORM` string.
    pub platform: &'static str,
    /// `AT_MINSIGSTKSZ`, for ABIs that report it.
    pub minsigstksz: Option<u64>,
    /// Where a position-independent executable is loaded.
    pub et_dyn_base: u64,
    /// Argument order of `clone`.
    pub clone_args: CloneArgs,
    /// The lowest address `mmap` hands out without `MAP_FIXED`
    /// (the kernel's `vm.mmap_min_addr`).
    pub mmap_min_addr: u64,
}

/// The order of `clone`'s arguments after `flags` differs per architecture
/// (the kernel's `CONFIG_CLONE_BACKWARDS*`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CloneArgs {
    /// `flags, stack, parent_tid, tls, child_tid` (AArch64, ARM, PPC, MIPS,
    /// RISC-V, i386, ...).
    Backwards,
    /// `flags, stack, parent_tid, child_tid, tls` (x86-64, SPARC, M68K,
    /// SH, ...).
    Forwards,
    /// `stack, flags, parent_tid, child_tid, tls` (s390).
    Backwards2,
}

impl CloneArgs {
    /// `(flags, stack, parent_tid, child_tid, tls)` from the registers.
    pub fn decode(self, a: [u64; 6]) -> (u64, u64, u64, u64, u64) {
        match self {
            CloneArgs::Backwards => (a[0], a[1], a[2], a[4], a[3]),
            CloneArgs::Forwards => (a[0], a[1], a[2], a[3], a[4]),
            CloneArgs::Backwards2 => (a[1], a[0], a[2], a[3], a[4]),
        }
    }
}

impl GuestAbi {
    /// Byte order and word size for struct conversion.
    pub fn codec(&self) -> Codec {
        Codec {
            big_endian: self.big_endian,
            word: (self.bits / 8) as usize,
            time64: false,
        }
    }

    /// Size of a pointer / `long` in bytes.
    pub fn word(&self) -> u64 {
        u64::from(self.bits / 8)
    }

    /// A register value as a guest `int` argument (the low 32 bits,
    /// sign-extended), the way the kernel reads `int` parameters.
    pub fn int_arg(v: u64) -> i32 {
        v as u32 as i32
    }

    /// A register value as a guest pointer or `unsigned long` argument.
    pub fn ulong_arg(&self, v: u64) -> u64 {
        if self.bits == 32 {
            v & 0xffff_ffff
        } else {
            v
        }
    }

    /// A register value as a guest `long` argument.
    pub fn long_arg(&self, v: u64) -> i64 {
        self.codec().sext_word(v)
    }
}
