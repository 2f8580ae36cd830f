//! Linux user-mode emulation: runs a foreign-architecture Linux program as a
//! host process.
//!
//! This crate owns everything between a guest program and the host kernel:
//! ELF loading ([`elf`], [`stack`]), the guest address space ([`space`],
//! [`pages`]), guest-to-host path mapping ([`path`]) and syscall translation
//! ([`syscall`]), with struct layouts ([`layout`]), flag and errno numbering
//! ([`flags`], [`errno`]) described per ABI ([`abi`]), guest threads
//! ([`thread`]: one host thread per guest thread) and signals ([`signal`]:
//! host dispositions and masks mirror the guest's; the cpu loop builds the
//! guest's frames).
//!
//! It knows nothing about instructions: the per-guest cpu loop (in
//! `<arch>/cpu_loop.rs`, built on tcg and the guest's target crate) runs
//! guest code, and calls [`syscall::Process::syscall`] when the guest traps
//! into the kernel. Per-guest ABI data lives in `<arch>/` modules
//! ([`aarch64`], [`arm`]).

pub mod aarch64;
pub mod abi;
pub mod arm;
pub mod binfmt;
pub mod cpu_loop;
pub mod elf;
pub mod errno;
pub mod flags;
pub mod gdb;
pub mod layout;
pub mod pages;
pub mod path;
pub mod procfs;
pub mod rng;
pub mod run;
pub mod safe_syscall;
pub mod signal;
pub mod smc;
pub mod space;
pub mod stack;
pub mod strace;
pub mod syscall;
pub mod thread;

pub use abi::GuestAbi;
pub use elf::{detect_arch, load_program, ElfArch, LoadError, LoadOptions, LoadedProgram};
pub use errno::{Efault, Errno};
pub use space::{GuestSpace, SpaceError};
pub use syscall::{Process, SyscallOutcome};
