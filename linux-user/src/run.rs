//! Starting a guest program: choose the guest from the ELF header, load it,
//! and hand it to that guest's cpu loop.

use crate::elf::{detect_arch, LoadError, LoadOptions};
use std::path::PathBuf;
use tcg::exec::{BackendKind, LogFlags};

/// Everything `mimic run` / `mimic-<arch>` decided from its command line and
/// environment.
#[derive(Clone, Debug)]
pub struct RunOptions {
    /// Host path of the program to run.
    pub program: PathBuf,
    /// Guest argv (argv[0] included).
    pub argv: Vec<Vec<u8>>,
    /// Guest environment.
    pub envp: Vec<Vec<u8>>,
    /// `-cpu`: a model name of the guest.
    pub cpu: Option<String>,
    /// The guest the binary was invoked as (`mimic-aarch64`), if any.
    pub forced_arch: Option<String>,
    pub backend: BackendKind,
    pub log: LogFlags,
    /// `-strace`.
    pub strace: bool,
    /// `-one-insn-per-tb`.
    pub one_insn_per_tb: bool,
    /// `-r`: the release `uname` reports.
    pub uname_release: Option<String>,
    /// `-g PORT`: wait for GDB on this TCP port before the first instruction.
    pub gdb_port: Option<u16>,
    /// `-B ADDR`: host address of guest address 0.
    pub guest_base: Option<u64>,
    /// `-R SIZE`: bytes of guest address space (default: the guest's own).
    pub reserved_va: Option<u64>,
    pub load: LoadOptions,
    /// Options a guest `execve` of a foreign program passes on to the
    /// emulator it re-enters (after `run` and `-L`): the CPU model, uname
    /// release, stack size, seed, backend, `-strace`, `-one-insn-per-tb`
    /// and `-R`, so the whole process tree runs as it was asked to.
    pub exec_args: Vec<std::ffi::OsString>,
}

#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("{0}")]
    Load(#[from] LoadError),
    #[error("mimic: {0}")]
    Other(String),
}

/// Runs the program to completion; returns the exit status the host process
/// should have (a guest killed by a signal kills the emulator with it).
pub fn run(opts: RunOptions) -> Result<i32, RunError> {
    let arch = detect_arch(&opts.program)?;
    match arch.machine {
        crate::aarch64::EM_AARCH64 if !arch.big_endian && arch.bits == 64 => {
            if let Some(f) = &opts.forced_arch {
                if f != "aarch64" {
                    return Err(LoadError::WrongArch {
                        path: opts.program.clone(),
                        found: "AArch64".into(),
                        expected: f.clone(),
                    }
                    .into());
                }
            }
            crate::aarch64::cpu_loop::run(opts)
        }
        crate::arm::EM_ARM if !arch.big_endian && arch.bits == 32 => {
            if let Some(f) = &opts.forced_arch {
                if f != "arm" {
                    return Err(LoadError::WrongArch {
                        path: opts.program.clone(),
                        found: "ARM".into(),
                        expected: f.clone(),
                    }
                    .into());
                }
            }
            crate::arm::cpu_loop::run(opts)
        }
        _ => Err(LoadError::unsupported(&opts.program, &arch).into()),
    }
}

/// Ends the emulator the way the guest died: by signal `sig`, after one line
/// in QEMU's style on stderr.
pub fn die_by_signal(sig: i32, pc: u64) -> ! {
    crate::gdb::report_killed(sig);
    // SAFETY: strsignal returns a static string for valid numbers.
    let name = unsafe {
        let p = libc::strsignal(sig);
        if p.is_null() {
            format!("signal {sig}")
        } else {
            std::ffi::CStr::from_ptr(p).to_string_lossy().into_owned()
        }
    };
    eprintln!("mimic: uncaught target signal {sig} ({name}) at pc {pc:#x}");
    tcg::profile::report();
    // SAFETY: restoring the default action and raising the signal on
    // ourselves; no Rust state needs to survive.
    unsafe {
        libc::signal(sig, libc::SIG_DFL);
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        libc::sigaddset(&mut set, sig);
        libc::sigprocmask(libc::SIG_UNBLOCK, &set, std::ptr::null_mut());
        libc::raise(sig);
    }
    std::process::exit(128 + sig);
}
