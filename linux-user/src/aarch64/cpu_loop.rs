//! The AArch64 user-mode cpu loop: runs guest code on the tcg engine and
//! turns guest exits into Linux behaviour (syscalls via SVC, SIGILL, SIGTRAP,
//! SIGSEGV).

use crate::elf::load_program;
use crate::run::{die_by_signal, RunError, RunOptions};
use crate::space::GuestSpace;
use crate::syscall::{Process, SyscallOutcome};
use target_aarch64::cpu::excp;
use target_aarch64::{model, Aarch64, CpuState};
use tcg::exec::{Engine, GuestExit};
use tcg::CodeReader;

/// Reads guest code from the address space, refusing non-executable pages.
struct SpaceCode {
    space: *const GuestSpace,
}

// SAFETY: the space outlives the engine (both owned by `run`), and code is
// only read while the engine runs, when no syscall mutates the space.
unsafe impl Send for SpaceCode {}
unsafe impl Sync for SpaceCode {}

impl SpaceCode {
    fn bytes<const N: usize>(&self, addr: u64) -> Option<[u8; N]> {
        // SAFETY: see the Send/Sync note.
        let space = unsafe { &*self.space };
        if !space.is_exec(addr) || !space.is_exec(addr + N as u64 - 1) {
            return None;
        }
        let mut b = [0u8; N];
        space.read(addr, &mut b).ok()?;
        Some(b)
    }
}

impl CodeReader for SpaceCode {
    fn read_u32(&self, addr: u64) -> Option<u32> {
        self.bytes::<4>(addr).map(u32::from_le_bytes)
    }
    fn read_u16(&self, addr: u64) -> Option<u16> {
        self.bytes::<2>(addr).map(u16::from_le_bytes)
    }
    fn read_u8(&self, addr: u64) -> Option<u8> {
        self.bytes::<1>(addr).map(|b| b[0])
    }
    fn translated(&self, start: u64, end: u64) {
        // SAFETY: see the Send/Sync note.
        let space = unsafe { &*self.space };
        let mut page = start & !0xfff;
        while page < end {
            crate::smc::protect(page, space.check(page, 1, libc::PROT_WRITE));
            page += 0x1000;
        }
    }
}

pub fn run(mut opts: RunOptions) -> Result<i32, RunError> {
    let name = opts.cpu.clone().unwrap_or_else(|| "max".into());
    let model = model::find(&name).ok_or_else(|| {
        let names: Vec<&str> = model::MODELS.iter().map(|m| m.name).collect();
        RunError::Other(format!(
            "unknown AArch64 cpu '{name}' (available: {})",
            names.join(", ")
        ))
    })?;
    let (hwcap, hwcap2) = model.hwcap();
    opts.load.hwcap = hwcap;
    opts.load.hwcap2 = hwcap2;
    let mut space = GuestSpace::new(40)
        .map_err(|e| RunError::Other(format!("cannot reserve guest memory: {e}")))?;
    let loaded = load_program(
        &mut space,
        &super::ABI,
        &opts.program,
        &opts.argv,
        &opts.envp,
        &opts.load,
    )?;
    let mut process = Box::new(Process::new(
        space,
        &super::ABI,
        loaded.exe_path.clone(),
        opts.load.ld_prefix.clone(),
    ));
    process.uname_release = opts.uname_release.clone();
    let mut cpu = Box::<CpuState>::default();
    cpu.common.guest_base = process.space.base() as u64;
    cpu.pc = loaded.entry;
    cpu.sp = loaded.stack_pointer;
    let code = SpaceCode {
        space: &process.space as *const GuestSpace,
    };
    let mut engine = Engine::new(Box::new(Aarch64 { model }), opts.backend, Box::new(code));
    engine.log = opts.log;
    if opts.one_insn_per_tb {
        engine.set_max_insns(1);
    }
    crate::smc::init(
        process.space.base(),
        process.space.size(),
        &cpu.common.exit_request,
    )
    .map_err(|e| RunError::Other(format!("cannot watch guest code: {e}")))?;
    let env = &mut *cpu as *mut CpuState as *mut u8;
    loop {
        let exit = engine.run(env);
        match crate::smc::take_written() {
            Some(pages) => {
                for p in pages {
                    engine.invalidate(p, p + 0x1000);
                }
            }
            None => engine.flush(),
        }
        match exit {
            GuestExit::Guest(excp::SVC) => {
                let nr = cpu.x[8];
                let args = [cpu.x[0], cpu.x[1], cpu.x[2], cpu.x[3], cpu.x[4], cpu.x[5]];
                let out = process.syscall(nr, args);
                if opts.strace {
                    crate::strace::log(process.abi, std::process::id(), nr, &args, out);
                }
                match out {
                    SyscallOutcome::Return(v) => cpu.x[0] = v as u64,
                    SyscallOutcome::Exit(code) => return Ok(code),
                }
                for (start, end) in process.space.take_invalidations() {
                    crate::smc::forget(start, end);
                    engine.invalidate(start, end);
                }
                if is_mapping_change(process.abi, nr) {
                    // The guest may have restored write access to code pages.
                    let (start, len) = (args[0] & !0xfff, args[1].saturating_add(0xfff) & !0xfff);
                    crate::smc::forget(start, start.saturating_add(len));
                    engine.invalidate(start, start.saturating_add(len));
                }
            }
            GuestExit::Guest(excp::YIELD) | GuestExit::Interrupted => {}
            GuestExit::Guest(excp::BRK) => die_by_signal(libc::SIGTRAP, cpu.pc),
            GuestExit::Guest(excp::PREFETCH_ABORT) | GuestExit::Guest(excp::DATA_ABORT) => {
                die_by_signal(libc::SIGSEGV, cpu.pc)
            }
            GuestExit::Guest(_) => die_by_signal(libc::SIGILL, cpu.pc),
        }
    }
}

/// mprotect/mremap/munmap may change what our page protection assumed.
fn is_mapping_change(abi: &crate::GuestAbi, nr: u64) -> bool {
    matches!(
        abi.syscalls.name(nr),
        Some("mprotect" | "munmap" | "mremap")
    )
}
