//! The GICv3 redistributors (GICR_*): one per cpu, `REDIST_STRIDE` apart,
//! each an RD_base frame (control, GICR_TYPER with the cpu's affinity and
//! the Last bit, GICR_WAKER) and an SGI_base frame 64 KiB later (the
//! cpu's SGI and PPI registers). One MMIO device covers them all; the
//! frame an access falls in names the cpu, whichever cpu accesses it.

use super::{irq_block, GicV3, REDIST_STRIDE};
use crate::device::Device;
use crate::vmstate::StateError;
use std::sync::Arc;

const IIDR: u64 = 0x0000_043b;
const PIDR2: u64 = 0x3b;
/// GICR_WAKER: ProcessorSleep, ChildrenAsleep.
const WAKER_SLEEP: u64 = 1 << 1;
const WAKER_ASLEEP: u64 = 1 << 2;

pub struct GicV3Redist(pub Arc<GicV3>);

impl GicV3Redist {
    fn typer(&self, cpu: usize) -> u64 {
        let last = u64::from(cpu + 1 == self.0.cpus()) << 4;
        // Affinity (Aff3.Aff2.Aff1.Aff0 in 63:32), Processor_Number, Last;
        // no physical or virtual LPIs.
        (super::affinity(cpu) << 32) | (cpu as u64) << 8 | last
    }
}

impl Device for GicV3Redist {
    fn name(&self) -> &'static str {
        "gicv3-redist"
    }
    fn read(&mut self, off: u64, size: u32) -> u64 {
        let cpu = (off / REDIST_STRIDE) as usize;
        let off = off % REDIST_STRIDE;
        let Some(s) = self.0.lock() else { return 0 };
        let Some(c) = s.cpus.get(cpu) else { return 0 };
        match off {
            0x0000 => 0, // GICR_CTLR: no LPIs, RWP never set.
            0x0004 => IIDR,
            0x0008 if size == 8 => self.typer(cpu),
            0x0008 => self.typer(cpu) & 0xffff_ffff,
            0x000c => self.typer(cpu) >> 32,
            0x0014 if c.sleep => WAKER_SLEEP | WAKER_ASLEEP,
            0x0014 => 0,
            0xffe8 => PIDR2,
            0x10000.. => irq_block::read(&c.private, 0, off - 0x10000, size).unwrap_or(0),
            _ => 0,
        }
    }
    fn write(&mut self, off: u64, size: u32, v: u64) {
        let cpu = (off / REDIST_STRIDE) as usize;
        let off = off % REDIST_STRIDE;
        let gic = self.0.clone();
        let Some(mut s) = gic.lock() else { return };
        let Some(c) = s.cpus.get_mut(cpu) else { return };
        match off {
            0x0014 => c.sleep = v & WAKER_SLEEP != 0,
            0x10000.. => {
                irq_block::write(&mut c.private, 0, off - 0x10000, size, v);
            }
            _ => {}
        }
        gic.update(&s);
    }
    // The distributor resets the whole controller.
    fn reset(&mut self) {}
    fn save(&mut self) -> Result<Vec<u8>, StateError> {
        Ok(Vec::new())
    }
    fn load(&mut self, _data: &[u8]) -> Result<(), StateError> {
        Ok(())
    }
}
