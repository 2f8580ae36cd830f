//! AArch32 CPU state (user mode: the APSR/CPSR user view, r0-r15, VFP/NEON
//! registers, FPSCR, TPIDRURW/TPIDRURO) and the guest exit reasons.

use tcg::ir::{GlobalDef, Type};
use tcg::CpuCommon;

/// Architectural state of one AArch32 CPU.
///
/// r0-r14 are 32-bit globals; the pc is a 64-bit field (the core's pc
/// global is 64 bits wide) holding a 32-bit address. NZCV are unpacked:
/// N is bit 31 of `nf`, Z is `zf == 0`, C is `cf` (0 or 1), V is bit 31 of
/// `vf`. The Thumb bit and the IT state are not here: they are decode
/// flags and live in `common.cur_flags` (see [`flags`]).
#[repr(C)]
pub struct CpuState {
    pub common: CpuCommon,
    pub r: [u32; 15],
    pub nf: u32,
    pub zf: u32,
    pub cf: u32,
    pub vf: u32,
    /// The sticky Q flag (saturation), 0 or 1.
    pub qf: u32,
    /// APSR.GE[3:0] (SIMD greater-or-equal flags), bits 3..0.
    pub ge: u32,
    pub _pad: u32,
    pub pc: u64,
    /// Exclusive monitor: address (u64::MAX when clear) and the value loaded.
    pub excl_addr: u64,
    pub excl_val: u64,
    /// D0..D31 (Q registers are pairs), each a 64-bit little-endian value.
    pub d: [u64; 32],
    /// FPSCR as the guest sees it, except NZCV (bits 31..28) which VMRS
    /// reads from `fpscr_nzcv`... kept in the same word here.
    pub fpscr: u32,
    pub tpidrurw: u32,
    pub tpidruro: u32,
    pub _pad2: u32,
    /// Syndrome of the last exit: the SVC immediate, or the raw encoding of
    /// an undefined instruction (Thumb: first halfword in the high half).
    pub syndrome: u64,
    /// Fault address for prefetch aborts / data aborts.
    pub fault_addr: u64,
}

impl Default for CpuState {
    fn default() -> Self {
        CpuState {
            common: CpuCommon::default(),
            r: [0; 15],
            nf: 0,
            zf: 1,
            cf: 0,
            vf: 0,
            qf: 0,
            ge: 0,
            _pad: 0,
            pc: 0,
            excl_addr: u64::MAX,
            excl_val: 0,
            d: [0; 32],
            fpscr: 0,
            tpidrurw: 0,
            tpidruro: 0,
            _pad2: 0,
            syndrome: 0,
            fault_addr: 0,
        }
    }
}

/// Bits of `CpuCommon::cur_flags` (the decode flags of a block).
pub mod flags {
    /// Thumb state (CPSR.T).
    pub const THUMB: u32 = 1;
    /// Data accesses are big-endian (CPSR.E, BE8).
    pub const BE_DATA: u32 = 2;
    /// IT state (CPSR.IT[7:0]) in bits 15..8.
    pub const IT_SHIFT: u32 = 8;
    pub const IT_MASK: u32 = 0xff << IT_SHIFT;
}

impl CpuState {
    /// CPSR as user mode sees it: NZCVQ, IT, GE, E, T, mode USR.
    pub fn cpsr(&self) -> u32 {
        let n = self.nf >> 31;
        let z = (self.zf == 0) as u32;
        let c = self.cf & 1;
        let v = self.vf >> 31;
        let f = self.common.cur_flags;
        let it = (f & flags::IT_MASK) >> flags::IT_SHIFT;
        n << 31
            | z << 30
            | c << 29
            | v << 28
            | (self.qf & 1) << 27
            | (it & 3) << 25
            | (self.ge & 0xf) << 16
            | (it >> 2) << 10
            | u32::from(f & flags::BE_DATA != 0) << 9
            | u32::from(f & flags::THUMB != 0) << 5
            | 0x10
    }
    /// Writes the user-writable CPSR fields (what sigreturn restores).
    pub fn set_cpsr(&mut self, v: u32) {
        self.set_nzcv(v);
        self.qf = v >> 27 & 1;
        self.ge = v >> 16 & 0xf;
        let it = (v >> 25 & 3) | (v >> 10 & 0x3f) << 2;
        let mut f = self.common.cur_flags & !(flags::IT_MASK | flags::THUMB | flags::BE_DATA);
        f |= it << flags::IT_SHIFT;
        if v & (1 << 5) != 0 {
            f |= flags::THUMB;
        }
        if v & (1 << 9) != 0 {
            f |= flags::BE_DATA;
        }
        self.common.cur_flags = f;
    }
    pub fn nzcv(&self) -> u32 {
        self.cpsr() & 0xf000_0000
    }
    pub fn set_nzcv(&mut self, v: u32) {
        self.nf = v & (1 << 31);
        self.zf = u32::from(v & (1 << 30) == 0);
        self.cf = v >> 29 & 1;
        self.vf = (v << 3) & (1 << 31);
    }
    pub fn thumb(&self) -> bool {
        self.common.cur_flags & flags::THUMB != 0
    }
    /// Register `n` as the kernel sees it (r15 = the pc).
    pub fn reg(&self, n: usize) -> u32 {
        if n < 15 {
            self.r[n]
        } else {
            self.pc as u32
        }
    }
    pub fn sp(&self) -> u32 {
        self.r[13]
    }
}

/// Guest exit reasons (payload of `Terminal::Exit` / `exit` ops).
pub mod excp {
    /// SVC #imm: pc = next instruction, syndrome = imm.
    pub const SVC: u32 = 1;
    /// Undefined/unimplemented instruction: pc = the instruction, syndrome = encoding.
    pub const UDEF: u32 = 2;
    /// BKPT #imm: pc = the instruction.
    pub const BKPT: u32 = 3;
    /// Instruction fetch from an unmapped/non-executable address: fault_addr set.
    pub const PREFETCH_ABORT: u32 = 4;
    /// Data abort raised by a helper: fault_addr set.
    pub const DATA_ABORT: u32 = 6;
    /// WFI/WFE/YIELD: let other threads run.
    pub const YIELD: u32 = 7;
}

macro_rules! off {
    ($($f:tt)*) => { std::mem::offset_of!(CpuState, $($f)*) as u32 };
}

/// Global indices: r0..r14 are 0..14, then these.
pub const G_NF: usize = 15;
pub const G_ZF: usize = 16;
pub const G_CF: usize = 17;
pub const G_VF: usize = 18;
pub const G_PC: usize = 19;
pub const G_EXCL_ADDR: usize = 20;
pub const G_EXCL_VAL: usize = 21;
pub const G_QF: usize = 22;
pub const G_GE: usize = 23;

const fn g32(name: &'static str, offset: u32) -> GlobalDef {
    GlobalDef {
        name,
        offset,
        ty: Type::I32,
    }
}
const fn g64(name: &'static str, offset: u32) -> GlobalDef {
    GlobalDef {
        name,
        offset,
        ty: Type::I64,
    }
}

const R: u32 = off!(r);

pub static GLOBALS: [GlobalDef; 24] = [
    g32("r0", R),
    g32("r1", R + 4),
    g32("r2", R + 8),
    g32("r3", R + 12),
    g32("r4", R + 16),
    g32("r5", R + 20),
    g32("r6", R + 24),
    g32("r7", R + 28),
    g32("r8", R + 32),
    g32("r9", R + 36),
    g32("r10", R + 40),
    g32("r11", R + 44),
    g32("r12", R + 48),
    g32("sp", R + 52),
    g32("lr", R + 56),
    g32("nf", off!(nf)),
    g32("zf", off!(zf)),
    g32("cf", off!(cf)),
    g32("vf", off!(vf)),
    g64("pc", off!(pc)),
    g64("excl_addr", off!(excl_addr)),
    g64("excl_val", off!(excl_val)),
    g32("qf", off!(qf)),
    g32("ge", off!(ge)),
];

/// Env offset of D register `n`.
pub const fn dreg_off(n: usize) -> u32 {
    off!(d) + (n as u32) * 8
}
/// Env offset of S register `n` (the low or high half of D[n/2]; the host
/// is little-endian).
pub const fn sreg_off(n: usize) -> u32 {
    off!(d) + (n as u32) * 4
}
pub const OFF_FPSCR: u32 = off!(fpscr);
pub const OFF_TPIDRURW: u32 = off!(tpidrurw);
pub const OFF_TPIDRURO: u32 = off!(tpidruro);
pub const OFF_SYNDROME: u32 = off!(syndrome);
pub const OFF_FAULT_ADDR: u32 = off!(fault_addr);
pub const OFF_CUR_FLAGS: u32 = tcg::cpu::OFF_CUR_FLAGS as u32;
