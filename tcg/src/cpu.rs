//! The part of every guest's state struct that the core owns.
//!
//! Each guest's `#[repr(C)]` state struct starts with a `CpuCommon`, so the
//! env pointer handed to backends and helpers points at it.

use std::sync::atomic::{AtomicU32, Ordering};

/// Interpreter temps per block (the frontend ends a block before exceeding it).
pub const SCRATCH_SLOTS: usize = 8192;
/// Blocks stop growing at this many temps (leaves room for the optimizer).
pub const MAX_TEMPS_PER_BLOCK: usize = SCRATCH_SLOTS - 512;

/// Entries of the per-cpu jump cache (power of two).
pub const JMP_CACHE_SIZE: usize = 16384;

/// A direct-mapped jump cache entry: guest pc and flags to JIT code.
#[repr(C)]
#[derive(Copy, Clone, Default)]
pub struct JmpEntry {
    pub pc: u64,
    pub flags: u64,
    /// Host address of compiled code (0: none).
    pub code: usize,
    /// `*const Tb` of the entry.
    pub tb: usize,
}

#[repr(C)]
pub struct CpuCommon {
    /// Non-zero asks running code to return to the cpu loop at the next block
    /// start (signals, invalidation, other threads).
    pub exit_request: AtomicU32,
    /// Decode-relevant flags of the current cpu state (ISA mode etc.); the
    /// guest keeps this current whenever they change.
    pub cur_flags: u32,
    /// Host address of guest address 0 (user mode).
    pub guest_base: u64,
    /// The block that last exited through a chain slot (`*const Tb`).
    pub last_tb: u64,
    /// The per-cpu jump cache (`JMP_CACHE_SIZE` entries).
    pub jmp_cache: *mut JmpEntry,
    /// Precise-fault mode (see `exec::Engine::set_precise`): the guest pc of
    /// the instruction being executed, stored at the start of every
    /// instruction that can fault (`ir::IrBlock::sync_starts`).
    pub insn_pc: u64,
    /// Non-zero while a block runs under the fault guard (precise mode);
    /// a host fault handler may then leave the block with `guard::leave`.
    /// Written and read by the cpu's own thread only (and its signal
    /// handlers), so relaxed accesses behind compiler fences suffice.
    pub in_guard: AtomicU32,
    /// The guard buffer of the running engine.
    pub guard: *mut crate::guard::GuardBuf,
    /// Set by the host fault handler: the host address, and bit 0 = write,
    /// bits 8.. = the host signal number.
    pub fault_host_addr: u64,
    pub fault_kind: u32,
    /// System mode: the cpu's TLB, page-table walker and physical bus
    /// (`crate::softmmu`); null in user mode.
    pub softmmu: *mut crate::softmmu::SoftMmu,
    /// System mode: the softmmu's TLB (`MMU_INDICES` x `TLB_SIZE` entries,
    /// see `softmmu::tlb_offset`), read by the inline lookups.
    pub tlb: *mut crate::softmmu::TlbEntry,
    /// Interpreter temps.
    pub scratch: [u64; SCRATCH_SLOTS],
}

impl Default for CpuCommon {
    fn default() -> Self {
        CpuCommon {
            exit_request: AtomicU32::new(0),
            cur_flags: 0,
            guest_base: 0,
            last_tb: 0,
            jmp_cache: std::ptr::null_mut(),
            insn_pc: 0,
            in_guard: AtomicU32::new(0),
            guard: std::ptr::null_mut(),
            fault_host_addr: 0,
            fault_kind: 0,
            softmmu: std::ptr::null_mut(),
            tlb: std::ptr::null_mut(),
            scratch: [0; SCRATCH_SLOTS],
        }
    }
}

impl CpuCommon {
    pub fn request_exit(&self) {
        self.exit_request.store(1, Ordering::SeqCst);
    }
}

pub const OFF_EXIT_REQUEST: i32 = std::mem::offset_of!(CpuCommon, exit_request) as i32;
pub const OFF_CUR_FLAGS: i32 = std::mem::offset_of!(CpuCommon, cur_flags) as i32;
pub const OFF_GUEST_BASE: i32 = std::mem::offset_of!(CpuCommon, guest_base) as i32;
pub const OFF_LAST_TB: i32 = std::mem::offset_of!(CpuCommon, last_tb) as i32;
pub const OFF_JMP_CACHE: i32 = std::mem::offset_of!(CpuCommon, jmp_cache) as i32;
pub const OFF_INSN_PC: i32 = std::mem::offset_of!(CpuCommon, insn_pc) as i32;
pub const OFF_TLB: i32 = std::mem::offset_of!(CpuCommon, tlb) as i32;
pub const OFF_SCRATCH: u32 = std::mem::offset_of!(CpuCommon, scratch) as u32;

/// What a block execution returns to the cpu loop (encoded as a u64 by both
/// backends: low 8 bits the kind, high 32 bits a payload).
pub mod exit {
    /// Took direct-jump slot 0 (pc stored, `last_tb` set).
    pub const JUMP0: u64 = 0;
    /// Took direct-jump slot 1.
    pub const JUMP1: u64 = 1;
    /// Indirect jump that missed the jump cache (pc stored).
    pub const INDIRECT: u64 = 2;
    /// `exit_request` was set (pc stored).
    pub const REQUEST: u64 = 3;
    /// Guest exit; reason in the high 32 bits (pc stored).
    pub const GUEST: u64 = 4;
    /// A host fault in guest memory, or a guest MMU fault of the softmmu
    /// path, left the block (precise mode only; returned through
    /// `guard::leave`, never by code).
    pub const FAULT: u64 = 5;

    pub fn guest(reason: u32) -> u64 {
        GUEST | (reason as u64) << 32
    }
}
