//! AArch64 CPU state as the IR sees it, and the guest exit reasons.

use tcg::ir::{GlobalDef, Type};
use tcg::CpuCommon;

/// Architectural state of one AArch64 CPU (EL0 view for user mode).
///
/// NZCV are kept unpacked for cheap flag setting: N is bit 63 of `nf`, Z is
/// `zf == 0`, C is `cf` (0 or 1), V is bit 63 of `vf`. 32-bit flag-setting
/// ops sign-extend their 32-bit result/overflow into `nf`/`vf` and zero-extend
/// into `zf`.
#[repr(C)]
pub struct CpuState {
    pub common: CpuCommon,
    pub x: [u64; 31],
    pub sp: u64,
    pub pc: u64,
    pub nf: u64,
    pub zf: u64,
    pub cf: u64,
    pub vf: u64,
    /// Exclusive monitor: address (u64::MAX when clear) and the value(s) loaded.
    pub excl_addr: u64,
    pub excl_val: u64,
    pub excl_val2: u64,
    /// V0..V31, each 128 bits as two little-endian 64-bit halves ([0] = low).
    pub v: [[u64; 2]; 32],
    pub fpcr: u64,
    pub fpsr: u64,
    pub tpidr_el0: u64,
    pub tpidrro_el0: u64,
    /// Syndrome of the last exit: the SVC/BRK/HLT immediate, or the raw
    /// encoding of an undefined instruction.
    pub syndrome: u64,
    /// Fault address for prefetch aborts / data aborts.
    pub fault_addr: u64,
    /// System mode: EL1 registers and PSTATE beyond NZCV (unused in user mode).
    pub sys: crate::system::SysRegs,
}

impl Default for CpuState {
    fn default() -> Self {
        CpuState {
            common: CpuCommon::default(),
            x: [0; 31],
            sp: 0,
            pc: 0,
            nf: 0,
            zf: 1,
            cf: 0,
            vf: 0,
            excl_addr: u64::MAX,
            excl_val: 0,
            excl_val2: 0,
            v: [[0; 2]; 32],
            fpcr: 0,
            fpsr: 0,
            tpidr_el0: 0,
            tpidrro_el0: 0,
            syndrome: 0,
            fault_addr: 0,
            sys: Default::default(),
        }
    }
}

impl CpuState {
    /// NZCV packed as in the NZCV system register (bits 31..28).
    pub fn nzcv(&self) -> u32 {
        let n = (self.nf >> 63) as u32;
        let z = (self.zf == 0) as u32;
        let c = (self.cf & 1) as u32;
        let v = (self.vf >> 63) as u32;
        n << 31 | z << 30 | c << 29 | v << 28
    }
    pub fn set_nzcv(&mut self, nzcv: u32) {
        self.nf = if nzcv & (1 << 31) != 0 { u64::MAX } else { 0 };
        self.zf = (nzcv & (1 << 30) == 0) as u64;
        self.cf = (nzcv >> 29 & 1) as u64;
        self.vf = if nzcv & (1 << 28) != 0 { u64::MAX } else { 0 };
    }
}

/// Guest exit reasons (payload of `Terminal::Exit` / `exit` ops).
pub mod excp {
    /// SVC #imm: pc = next instruction, syndrome = imm16.
    pub const SVC: u32 = 1;
    /// Undefined/unimplemented instruction: pc = the instruction, syndrome = encoding.
    pub const UDEF: u32 = 2;
    /// BRK #imm: pc = the instruction, syndrome = imm16.
    pub const BRK: u32 = 3;
    /// Instruction fetch from an unmapped/non-executable address: pc = fault_addr.
    pub const PREFETCH_ABORT: u32 = 4;
    /// HLT #imm (semihosting in some setups; SIGILL in Linux user mode... see
    /// kernel: HLT is undefined at EL0 -> SIGILL).
    pub const HLT: u32 = 5;
    /// Data abort raised by a helper (alignment, exclusive misuse): fault_addr set.
    pub const DATA_ABORT: u32 = 6;
    /// WFI/WFE/YIELD: a hint to let other threads run (user mode: resume).
    pub const YIELD: u32 = 7;
    /// System mode: HVC #imm (pc = next instruction, syndrome = imm16).
    pub const HVC: u32 = 8;
    /// System mode: SMC #imm (pc = next instruction, syndrome = imm16).
    pub const SMC: u32 = 9;
    /// System mode: ERET (the cpu loop restores PSTATE from SPSR_EL1).
    pub const ERET: u32 = 10;
    /// System mode: a system register or PSTATE write that the cpu loop
    /// must look at (translation, interrupt masks, timers); pc = next.
    pub const SYSREG: u32 = 11;
    /// System mode: WFI/WFE (pc = next instruction).
    pub const WFI: u32 = 12;
}

macro_rules! off {
    ($($f:tt)*) => { std::mem::offset_of!(CpuState, $($f)*) as u32 };
}

/// Global indices: X0..X30 are 0..30, then these.
pub const G_SP: usize = 31;
pub const G_PC: usize = 32;
pub const G_NF: usize = 33;
pub const G_ZF: usize = 34;
pub const G_CF: usize = 35;
pub const G_VF: usize = 36;
pub const G_EXCL_ADDR: usize = 37;
pub const G_EXCL_VAL: usize = 38;
pub const G_EXCL_VAL2: usize = 39;

const fn g(name: &'static str, offset: u32) -> GlobalDef {
    GlobalDef {
        name,
        offset,
        ty: Type::I64,
    }
}

const XOFF: u32 = off!(x);

pub static GLOBALS: [GlobalDef; 40] = [
    g("x0", XOFF),
    g("x1", XOFF + 8),
    g("x2", XOFF + 16),
    g("x3", XOFF + 24),
    g("x4", XOFF + 32),
    g("x5", XOFF + 40),
    g("x6", XOFF + 48),
    g("x7", XOFF + 56),
    g("x8", XOFF + 64),
    g("x9", XOFF + 72),
    g("x10", XOFF + 80),
    g("x11", XOFF + 88),
    g("x12", XOFF + 96),
    g("x13", XOFF + 104),
    g("x14", XOFF + 112),
    g("x15", XOFF + 120),
    g("x16", XOFF + 128),
    g("x17", XOFF + 136),
    g("x18", XOFF + 144),
    g("x19", XOFF + 152),
    g("x20", XOFF + 160),
    g("x21", XOFF + 168),
    g("x22", XOFF + 176),
    g("x23", XOFF + 184),
    g("x24", XOFF + 192),
    g("x25", XOFF + 200),
    g("x26", XOFF + 208),
    g("x27", XOFF + 216),
    g("x28", XOFF + 224),
    g("x29", XOFF + 232),
    g("x30", XOFF + 240),
    g("sp", off!(sp)),
    g("pc", off!(pc)),
    g("nf", off!(nf)),
    g("zf", off!(zf)),
    g("cf", off!(cf)),
    g("vf", off!(vf)),
    g("excl_addr", off!(excl_addr)),
    g("excl_val", off!(excl_val)),
    g("excl_val2", off!(excl_val2)),
];

/// Env offset of V register `n`, 64-bit half `half` (0 = low).
pub const fn vreg_off(n: usize, half: usize) -> u32 {
    off!(v) + (n as u32) * 16 + (half as u32) * 8
}
pub const OFF_FPCR: u32 = off!(fpcr);
pub const OFF_FPSR: u32 = off!(fpsr);
pub const OFF_TPIDR_EL0: u32 = off!(tpidr_el0);
pub const OFF_TPIDRRO_EL0: u32 = off!(tpidrro_el0);
pub const OFF_SYNDROME: u32 = off!(syndrome);
pub const OFF_FAULT_ADDR: u32 = off!(fault_addr);
