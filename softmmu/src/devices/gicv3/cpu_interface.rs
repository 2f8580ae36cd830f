//! The GICv3 CPU interface: the ICC_*_EL1 system registers of the vCPU
//! on the calling thread (`irq::current_cpu`), reached from MRS/MSR
//! through `target_aarch64::system::icc`.

use super::{affinity, group_priority, running_priority, GicV3, State};
use super::{MIN_BPR0, MIN_BPR1, PRI_MASK, SPURIOUS};
use crate::irq::current_cpu;
use std::sync::Arc;
use target_aarch64::system::icc::{self, *};

/// ICC_CTLR_EL1 read-only fields: PRIbits = 5 - 1, IDbits = 16 bits,
/// no SEIS, no A3V, no RSS, no extended INTID range.
const CTLR_RO: u64 = 4 << 8;
/// ICC_SRE_EL1: SRE, DFB, DIB set and fixed (no legacy interface).
const SRE: u64 = 7;

/// The registers as seen by this machine's cpus.
pub struct CpuIf(pub Arc<GicV3>);

impl CpuIf {
    /// Makes this GIC the owner of the ICC registers (once per process).
    pub fn install(gic: &Arc<GicV3>) -> bool {
        icc::install(Box::leak(Box::new(CpuIf(gic.clone()))))
    }
}

/// Acknowledges the interrupt cpu `c` signals for the group (IAR0/IAR1):
/// it becomes active and the running priority rises to its group priority.
fn acknowledge(s: &mut State, c: usize, group1: bool) -> u32 {
    let Some((id, prio)) = s.signalled(c, group1) else {
        return SPURIOUS;
    };
    if let Some(i) = s.irq_mut(c, id as usize) {
        i.pending = false;
        i.active = true;
    }
    let cpu = &mut s.cpus[c];
    let bit = 1u32 << (group_priority(cpu, prio, group1) >> 3);
    if group1 {
        cpu.ap1 |= bit;
    } else {
        cpu.ap0 |= bit;
    }
    id
}

/// EOIR0/EOIR1: drops the highest active priority of the group and, with
/// EOImode = 0, deactivates the interrupt too.
fn end_of_interrupt(s: &mut State, c: usize, group1: bool, id: u32) {
    let cpu = &mut s.cpus[c];
    let ap = if group1 { &mut cpu.ap1 } else { &mut cpu.ap0 };
    if *ap == 0 {
        return;
    }
    *ap &= *ap - 1;
    if cpu.ctlr & 2 == 0 {
        deactivate(s, c, id);
    }
}

fn deactivate(s: &mut State, c: usize, id: u32) {
    if (1020..1024).contains(&id) {
        return;
    }
    if let Some(i) = s.irq_mut(c, id as usize) {
        i.active = false;
    }
}

/// ICC_SGI0R/SGI1R_EL1: makes SGI INTID pending on the target cpus
/// (IRM: every cpu but this one; else Aff3.Aff2.Aff1 plus a TargetList
/// of Aff0 values RS*16 .. RS*16+15) for those that have it in `group1`.
fn generate_sgi(s: &mut State, c: usize, v: u64, group1: bool) {
    let id = (v >> 24 & 15) as usize;
    let irm = v >> 40 & 1 != 0;
    let upper = (v >> 48 & 0xff) << 32 | (v >> 32 & 0xff) << 16 | (v >> 16 & 0xff) << 8;
    let rs = v >> 44 & 15;
    for t in 0..s.cpus.len() {
        let aff = affinity(t);
        let hit = if irm {
            t != c
        } else {
            aff & !0xff == upper && (aff & 0xff) >> 4 == rs && v >> (aff & 15) & 1 != 0
        };
        if !hit {
            continue;
        }
        let i = &mut s.cpus[t].private[id];
        if i.group1 == group1 {
            i.pending = true;
        }
    }
}

impl icc::CpuInterface for CpuIf {
    fn read(&self, key: u32) -> u64 {
        let c = current_cpu();
        let Some(mut s) = self.0.lock() else { return 0 };
        if c >= s.cpus.len() {
            return 0;
        }
        let v = match key {
            ICC_IAR1_EL1 => acknowledge(&mut s, c, true) as u64,
            ICC_IAR0_EL1 => acknowledge(&mut s, c, false) as u64,
            ICC_HPPIR1_EL1 => s.highest_pending(c, true).map_or(SPURIOUS, |h| h.0) as u64,
            ICC_HPPIR0_EL1 => s.highest_pending(c, false).map_or(SPURIOUS, |h| h.0) as u64,
            _ => {
                let cpu = &s.cpus[c];
                match key {
                    ICC_PMR_EL1 => cpu.pmr as u64,
                    ICC_BPR0_EL1 => cpu.bpr0 as u64,
                    ICC_BPR1_EL1 if cpu.ctlr & 1 != 0 => (cpu.bpr0 + 1).min(7) as u64,
                    ICC_BPR1_EL1 => cpu.bpr1 as u64,
                    ICC_CTLR_EL1 => cpu.ctlr | CTLR_RO,
                    ICC_SRE_EL1 => SRE,
                    ICC_IGRPEN0_EL1 => cpu.igrpen0 as u64,
                    ICC_IGRPEN1_EL1 => cpu.igrpen1 as u64,
                    ICC_AP0R0_EL1 => cpu.ap0 as u64,
                    ICC_AP1R0_EL1 => cpu.ap1 as u64,
                    ICC_RPR_EL1 => running_priority(cpu) as u64,
                    // AP0R1-3, AP1R1-3: not implemented with 5 priority bits.
                    _ => 0,
                }
            }
        };
        self.0.update(&s);
        v
    }

    fn write(&self, key: u32, v: u64) {
        let c = current_cpu();
        let gic = self.0.clone();
        let Some(mut s) = gic.lock() else { return };
        if c >= s.cpus.len() {
            return;
        }
        let id = (v & 0xff_ffff) as u32;
        match key {
            ICC_EOIR1_EL1 => end_of_interrupt(&mut s, c, true, id),
            ICC_EOIR0_EL1 => end_of_interrupt(&mut s, c, false, id),
            ICC_DIR_EL1 => deactivate(&mut s, c, id),
            ICC_SGI1R_EL1 => generate_sgi(&mut s, c, v, true),
            ICC_SGI0R_EL1 => generate_sgi(&mut s, c, v, false),
            // Group 1 of the other security state: none with DS = 1.
            ICC_ASGI1R_EL1 => {}
            _ => {
                let cpu = &mut s.cpus[c];
                match key {
                    ICC_PMR_EL1 => cpu.pmr = v as u8 & PRI_MASK,
                    ICC_BPR0_EL1 => cpu.bpr0 = (v as u8 & 7).max(MIN_BPR0),
                    ICC_BPR1_EL1 if cpu.ctlr & 1 != 0 => {}
                    ICC_BPR1_EL1 => cpu.bpr1 = (v as u8 & 7).max(MIN_BPR1),
                    ICC_CTLR_EL1 => cpu.ctlr = v & 3,
                    ICC_IGRPEN0_EL1 => cpu.igrpen0 = v & 1 != 0,
                    ICC_IGRPEN1_EL1 => cpu.igrpen1 = v & 1 != 0,
                    ICC_AP0R0_EL1 => cpu.ap0 = v as u32,
                    ICC_AP1R0_EL1 => cpu.ap1 = v as u32,
                    // SRE is fixed; AP*R1-3 are not implemented.
                    _ => {}
                }
            }
        }
        gic.update(&s);
    }
}
