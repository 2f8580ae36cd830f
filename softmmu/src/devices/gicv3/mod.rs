//! Arm GICv3 (Generic Interrupt Controller architecture v3, IHI 0069):
//! the distributor (GICD, `distributor.rs`), one redistributor per cpu
//! (GICR, `redistributor.rs`) and the CPU interface as system registers
//! (ICC_*_EL1, `cpu_interface.rs`). One security state (GICD_CTLR.DS = 1),
//! affinity routing always on (ARE and ICC_SRE_EL1.SRE read as one), no
//! LPIs or ITS, 5 bits of priority (the low three bits read as zero).
//! Group 1 interrupts signal IRQ; group 0 ones are kept and acknowledged
//! through the group 0 registers but never raise FIQ (the cpu has no FIQ
//! input wired).
//!
//! All frames share one state. Whenever it changes, every cpu's IRQ
//! input is recomputed and cpus whose input rose are kicked.

mod cpu_interface;
mod distributor;
mod irq_block;
mod redistributor;
mod state_io;

pub use cpu_interface::CpuIf;
pub use distributor::GicV3Dist;
pub use redistributor::GicV3Redist;

use crate::devices::gic::Gic;
use crate::irq::{IrqSink, Kick};
use crate::vmstate::StateError;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, MutexGuard};

/// Interrupt IDs supported: 32 private + 224 SPIs.
pub const NR_IRQS: usize = 256;
/// Size of one redistributor (RD_base and SGI_base frames).
pub const REDIST_STRIDE: u64 = 0x20000;
const SPURIOUS: u32 = 1023;
/// Implemented priority bits: [7:3].
const PRI_MASK: u8 = 0xf8;
/// Smallest BPR0 / BPR1 with 5 priority bits.
const MIN_BPR0: u8 = 2;
const MIN_BPR1: u8 = 3;

#[derive(Clone, Default, Debug, PartialEq)]
pub(crate) struct Irq {
    enabled: bool,
    /// Software or edge pending.
    pending: bool,
    active: bool,
    /// The input line (level-sensitive interrupts stay pending while high).
    level: bool,
    /// ICFGR: edge-triggered.
    edge: bool,
    /// IGROUPR: group 1 (else group 0).
    group1: bool,
    priority: u8,
    /// GICD_IROUTER (SPIs): Interrupt_Routing_Mode (bit 31) and affinity.
    route: u64,
}

impl Irq {
    fn is_pending(&self) -> bool {
        self.pending || (!self.edge && self.level)
    }
}

/// One cpu: its redistributor's private interrupts and its CPU interface.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Cpu {
    /// SGIs and PPIs.
    private: Vec<Irq>,
    /// GICR_WAKER.ProcessorSleep.
    sleep: bool,
    pmr: u8,
    bpr0: u8,
    bpr1: u8,
    /// ICC_CTLR_EL1's writable bits: CBPR (0), EOImode (1).
    ctlr: u64,
    igrpen0: bool,
    igrpen1: bool,
    /// Active priorities, one bit per group priority (priority >> 3).
    ap0: u32,
    ap1: u32,
}

#[derive(Debug, PartialEq)]
pub(crate) struct State {
    /// GICD_CTLR EnableGrp0 (bit 0), EnableGrp1 (bit 1).
    ctlr: u32,
    spis: Vec<Irq>,
    cpus: Vec<Cpu>,
}

pub struct GicV3 {
    state: Mutex<State>,
    kicks: Vec<Arc<Kick>>,
}

/// Affinity of cpu `c` as GICD_IROUTER and ICC_SGI1R_EL1 name it
/// (Aff3 in bits 39:32, Aff2.Aff1.Aff0 in 23:0): MPIDR's Aff0 is the index.
fn affinity(c: usize) -> u64 {
    c as u64
}

fn new_cpu() -> Cpu {
    Cpu {
        private: vec![Irq::default(); 32],
        sleep: true,
        pmr: 0,
        bpr0: MIN_BPR0,
        bpr1: MIN_BPR1,
        ctlr: 0,
        igrpen0: false,
        igrpen1: false,
        ap0: 0,
        ap1: 0,
    }
}

impl GicV3 {
    pub fn new(kicks: Vec<Arc<Kick>>) -> Arc<GicV3> {
        let n = kicks.len();
        let mut s = State {
            ctlr: 0,
            spis: vec![Irq::default(); NR_IRQS - 32],
            cpus: (0..n).map(|_| new_cpu()).collect(),
        };
        reset_state(&mut s);
        Arc::new(GicV3 {
            state: Mutex::new(s),
            kicks,
        })
    }

    pub fn cpus(&self) -> usize {
        self.kicks.len()
    }

    fn lock(&self) -> Option<MutexGuard<'_, State>> {
        self.state.lock().ok()
    }

    fn update(&self, s: &State) {
        for (c, k) in self.kicks.iter().enumerate() {
            let on = s.signalled(c, true).is_some();
            let was = k.irq.swap(on, Ordering::SeqCst);
            if on && !was {
                k.kick();
            }
        }
    }

    pub(crate) fn reset(&self) {
        if let Some(mut s) = self.lock() {
            reset_state(&mut s);
            self.update(&s);
        }
    }
}

fn reset_state(s: &mut State) {
    s.ctlr = 0;
    for i in s.spis.iter_mut() {
        *i = Irq {
            level: i.level,
            ..Irq::default()
        };
    }
    for c in s.cpus.iter_mut() {
        let levels: Vec<bool> = c.private.iter().map(|i| i.level).collect();
        *c = new_cpu();
        for (k, i) in c.private.iter_mut().enumerate() {
            i.level = levels[k];
            // SGIs are edge-triggered (ICFGR0 is read-only); PPIs level.
            i.edge = k < 16;
        }
    }
}

impl State {
    fn irq_mut(&mut self, cpu: usize, id: usize) -> Option<&mut Irq> {
        if id < 32 {
            self.cpus.get_mut(cpu)?.private.get_mut(id)
        } else {
            self.spis.get_mut(id - 32)
        }
    }

    /// Whether SPI `i` goes to cpu `c` (IRM = 1: any cpu may take it).
    fn routed_to(i: &Irq, c: usize) -> bool {
        i.route >> 31 & 1 != 0 || i.route & 0xff_00ff_ffff == affinity(c)
    }

    /// The highest-priority pending, enabled, inactive interrupt of
    /// `group1` for cpu `c` (lowest id among equals), ignoring masks.
    fn highest_pending(&self, c: usize, group1: bool) -> Option<(u32, u8)> {
        let grp_on = if group1 { 2 } else { 1 };
        if self.ctlr & grp_on == 0 {
            return None;
        }
        let cpu = self.cpus.get(c)?;
        let mut best: Option<(u32, u8)> = None;
        let spis = self.spis.iter().enumerate().map(|(k, i)| (k + 32, i));
        for (id, i) in cpu.private.iter().enumerate().chain(spis) {
            if !i.enabled || i.active || i.group1 != group1 || !i.is_pending() {
                continue;
            }
            if id >= 32 && !Self::routed_to(i, c) {
                continue;
            }
            if best.is_none_or(|(_, p)| i.priority < p) {
                best = Some((id as u32, i.priority));
            }
        }
        best
    }

    /// The interrupt of the group that cpu `c`'s interface signals now:
    /// group enabled at the interface, priority above PMR and its group
    /// priority above the running priority.
    fn signalled(&self, c: usize, group1: bool) -> Option<(u32, u8)> {
        let cpu = self.cpus.get(c)?;
        if !(if group1 { cpu.igrpen1 } else { cpu.igrpen0 }) {
            return None;
        }
        let (id, prio) = self.highest_pending(c, group1)?;
        if prio >= cpu.pmr || group_priority(cpu, prio, group1) >= running_priority(cpu) {
            return None;
        }
        Some((id, prio))
    }
}

/// The preemption (group) priority of `prio` under the cpu's binary point.
fn group_priority(cpu: &Cpu, prio: u8, group1: bool) -> u8 {
    // BPR1 = n: group priority [7:n]; BPR0 = n: [7:n+1]. With
    // ICC_CTLR_EL1.CBPR group 1 uses BPR0 as well.
    let shift = if group1 && cpu.ctlr & 1 == 0 {
        cpu.bpr1
    } else {
        cpu.bpr0 + 1
    };
    prio & (0xffu32 << shift.min(8)) as u8
}

/// The running priority: the highest active group priority, 0xff if none.
fn running_priority(cpu: &Cpu) -> u8 {
    let ap = cpu.ap0 | cpu.ap1;
    if ap == 0 {
        0xff
    } else {
        (ap.trailing_zeros() << 3) as u8
    }
}

impl IrqSink for GicV3 {
    fn set_level(&self, intid: u32, level: bool) {
        let Some(mut s) = self.lock() else { return };
        if let Some(i) = s.spis.get_mut((intid as usize).wrapping_sub(32)) {
            if i.edge && level && !i.level {
                i.pending = true;
            }
            i.level = level;
        }
        self.update(&s);
    }
}

impl Gic for GicV3 {
    fn set_ppi(&self, cpu: usize, intid: u32, level: bool) {
        let Some(mut s) = self.lock() else { return };
        if let Some(i) = s
            .cpus
            .get_mut(cpu)
            .and_then(|c| c.private.get_mut(intid as usize))
        {
            if i.edge && level && !i.level {
                i.pending = true;
            }
            i.level = level;
        }
        self.update(&s);
    }
    fn save(&self) -> Result<Vec<u8>, StateError> {
        let s = self
            .lock()
            .ok_or_else(|| StateError("gicv3: state lock poisoned".into()))?;
        Ok(state_io::save(&s))
    }
    fn check(&self, data: &[u8]) -> Result<(), StateError> {
        state_io::parse(data, self.cpus()).map(|_| ())
    }
    fn load(&self, data: &[u8]) -> Result<(), StateError> {
        let new = state_io::parse(data, self.cpus())?;
        let mut s = self
            .lock()
            .ok_or_else(|| StateError("gicv3: state lock poisoned".into()))?;
        *s = new;
        self.update(&s);
        Ok(())
    }
}

#[cfg(test)]
mod tests;
