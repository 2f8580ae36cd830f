//! The VMSAv8-64 stage-1 translation of the EL1&0 regime: TTBR0/TTBR1
//! selected by the address's top bits and T0SZ/T1SZ, 4K/16K/64K granules,
//! table and block/page descriptors, hierarchical APTable/UXNTable/
//! PXNTable, AP/UXN/PXN permissions, SCTLR.WXN, and the access flag (no
//! hardware AF update: ID_AA64MMFR1.HAFDBS reads 0, so AF = 0 faults).
//!
//! ASIDs and nG are not tagged in the TLB: every TTBR write and every TLBI
//! flushes the whole softmmu TLB, which is always correct.

use super::exception::{ec, syndrome};
use super::{MMU_EL0, MMU_EL1};
use crate::cpu::CpuState;
use std::sync::Arc;
use tcg::softmmu::{Access, GuestFault, PhysBus, Translation, Walker};

/// Fault status codes (ESR ISS.xFSC).
pub mod fsc {
    pub const ADDR_SIZE: u64 = 0x00;
    pub const TRANSLATION: u64 = 0x04;
    pub const ACCESS_FLAG: u64 = 0x08;
    pub const PERMISSION: u64 = 0x0c;
    pub const EXTERNAL: u64 = 0x10;
    pub const EXTERNAL_WALK: u64 = 0x14;
    pub const ALIGNMENT: u64 = 0x21;
}

/// Why a walk failed: the fault status code (level included).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Fault(pub u64);

/// Output addresses are limited to 48 bits (ID_AA64MMFR0.PARange = 5).
const OA_MASK: u64 = 0x0000_ffff_ffff_ffff;

/// Walks the EL1&0 stage-1 tables for `va`; `read` reads a 64-bit
/// descriptor at a physical address (None: nothing there).
pub fn walk(
    cpu: &CpuState,
    va: u64,
    access: Access,
    mmu_idx: u32,
    read: &dyn Fn(u64) -> Option<u64>,
) -> Result<Translation, Fault> {
    let s = &cpu.sys;
    if s.sctlr_el1 & 1 == 0 {
        // MMU off: flat, everything allowed (device/normal attributes do
        // not matter to an emulator).
        return Ok(Translation {
            paddr: va & OA_MASK,
            read: true,
            write: true,
            exec: true,
            page_bits: 64,
        });
    }
    let tcr = s.tcr_el1;
    let upper = va >> 55 & 1 != 0;
    let (tsz, tg, epd, ttbr, tbi) = if upper {
        let tg = match tcr >> 30 & 3 {
            1 => 14,
            3 => 16,
            _ => 12,
        };
        (
            tcr >> 16 & 0x3f,
            tg,
            tcr >> 23 & 1,
            s.ttbr1_el1,
            tcr >> 38 & 1,
        )
    } else {
        let tg = match tcr >> 14 & 3 {
            1 => 16,
            2 => 14,
            _ => 12,
        };
        (tcr & 0x3f, tg, tcr >> 7 & 1, s.ttbr0_el1, tcr >> 37 & 1)
    };
    let tsz = tsz.clamp(16, 39);
    let inputsize = 64 - tsz as u32;
    // The bits above the input size must all equal bit 55 (top byte
    // excluded under TBI for data accesses).
    let top = if tbi != 0 && access != Access::Exec {
        56
    } else {
        64
    };
    let check = if top > inputsize {
        let mask = (u64::MAX >> (64 - (top - inputsize))) << inputsize;
        va & mask == if upper { mask } else { 0 }
    } else {
        true
    };
    if !check || epd != 0 {
        return Err(Fault(fsc::TRANSLATION));
    }
    let g: u32 = tg;
    let stride = g - 3;
    // Levels: the last (3) resolves `g` bits, each earlier one `stride`.
    let mut level = 3 - (inputsize - g - 1) / stride;
    let mut table = ttbr & OA_MASK & !1;
    // (APTable bit 0: no EL0; bit 1: read-only), UXN/PXN from tables.
    let (mut ap_no_el0, mut ap_ro, mut uxn_t, mut pxn_t) = (false, false, false, false);
    loop {
        let shift = g + (3 - level) * stride;
        let bits = if shift + stride > inputsize {
            inputsize - shift
        } else {
            stride
        };
        let idx = (va >> shift) & ((1u64 << bits) - 1);
        let desc_addr = ((table & !7) + idx * 8) & OA_MASK;
        let desc = read(desc_addr).ok_or(Fault(fsc::EXTERNAL_WALK | level as u64))?;
        if desc & 1 == 0 {
            return Err(Fault(fsc::TRANSLATION | level as u64));
        }
        let is_table = desc & 2 != 0 && level < 3;
        if is_table {
            ap_no_el0 |= desc >> 61 & 1 != 0;
            ap_ro |= desc >> 62 & 1 != 0;
            uxn_t |= desc >> 60 & 1 != 0;
            pxn_t |= desc >> 59 & 1 != 0;
            table = desc & OA_MASK & !((1u64 << g) - 1);
            level += 1;
            continue;
        }
        // Leaf: a page at level 3 (bit 1 set), a block above.
        let block_ok = match g {
            12 => level == 1 || level == 2,
            _ => level == 2,
        };
        if level == 3 && desc & 2 == 0 || level < 3 && !block_ok {
            return Err(Fault(fsc::TRANSLATION | level as u64));
        }
        if desc & (1 << 10) == 0 {
            return Err(Fault(fsc::ACCESS_FLAG | level as u64));
        }
        let ap1 = desc >> 6 & 1 != 0 && !ap_no_el0;
        let ap2 = desc >> 7 & 1 != 0 || ap_ro;
        let uxn = desc >> 54 & 1 != 0 || uxn_t;
        let pxn = desc >> 53 & 1 != 0 || pxn_t;
        let wxn = s.sctlr_el1 >> 19 & 1 != 0;
        let (read_ok, write_ok, mut exec_ok) = if mmu_idx == MMU_EL0 {
            (ap1, ap1 && !ap2, !uxn)
        } else {
            // EL1 may not execute what EL0 may write.
            let el0_writable = ap1 && !ap2;
            (true, !ap2, !pxn && !el0_writable)
        };
        if wxn && write_ok {
            exec_ok = false;
        }
        let ok = match access {
            Access::Read => read_ok,
            Access::Write => write_ok,
            Access::Exec => exec_ok,
        };
        if !ok {
            return Err(Fault(fsc::PERMISSION | level as u64));
        }
        let out_mask = (1u64 << shift) - 1;
        let pa = (desc & OA_MASK & !out_mask) | (va & out_mask);
        return Ok(Translation {
            paddr: pa,
            read: read_ok,
            write: write_ok,
            exec: exec_ok,
            page_bits: shift,
        });
    }
}

/// The `tcg::softmmu::Walker` of an AArch64 cpu: walks through the
/// machine's physical bus and records faults in the cpu state
/// (`SysRegs::pending_esr`, `CpuState::fault_addr`) for the cpu loop.
pub struct Aarch64Walker {
    pub bus: Arc<dyn PhysBus>,
}

fn cpu<'a>(env: *mut u8) -> &'a mut CpuState {
    // SAFETY: the softmmu calls the walker with the running cpu's env,
    // which is a `CpuState`.
    unsafe { &mut *(env as *mut CpuState) }
}

impl Aarch64Walker {
    fn record(&self, env: *mut u8, va: u64, access: Access, fault: u64) {
        let c = cpu(env);
        let same = c.sys.el != 0;
        let (class, wnr) = match access {
            Access::Exec => (
                if same {
                    ec::INSN_ABORT_SAME
                } else {
                    ec::INSN_ABORT_LOWER
                },
                0,
            ),
            a => (
                if same {
                    ec::DATA_ABORT_SAME
                } else {
                    ec::DATA_ABORT_LOWER
                },
                u64::from(a == Access::Write) << 6,
            ),
        };
        c.sys.pending_esr = syndrome(class, wnr | fault);
        c.fault_addr = va;
    }
}

impl Walker for Aarch64Walker {
    fn translate(
        &self,
        env: *mut u8,
        va: u64,
        access: Access,
        mmu_idx: u32,
    ) -> Result<Translation, GuestFault> {
        let read = |pa: u64| -> Option<u64> {
            let p = self.bus.ram_ptr(pa)?;
            // SAFETY: `ram_ptr` is valid to the end of its page; descriptors
            // are 8-byte aligned, so the read stays inside it.
            Some(unsafe { (p as *const u64).read_unaligned() })
        };
        match walk(cpu(env), va, access, mmu_idx, &read) {
            Ok(t) => Ok(t),
            Err(Fault(f)) => {
                self.record(env, va, access, f);
                Err(GuestFault)
            }
        }
    }
    fn alignment_fault(&self, env: *mut u8, va: u64, access: Access, _mmu_idx: u32) {
        self.record(env, va, access, fsc::ALIGNMENT);
    }
    fn bus_fault(&self, env: *mut u8, va: u64, access: Access, _mmu_idx: u32) {
        self.record(env, va, access, fsc::EXTERNAL);
    }
    fn current_mmu_idx(&self, env: *mut u8) -> u32 {
        if cpu(env).sys.el == 0 {
            MMU_EL0
        } else {
            MMU_EL1
        }
    }
}
