//! The GICv3 distributor frame (GICD_*, 64 KiB): global enables, the SPIs'
//! configuration and their affinity routing (GICD_IROUTER). With affinity
//! routing the private interrupts' registers here are RAZ/WI (they live in
//! the redistributors).

use super::{irq_block, GicV3, NR_IRQS};
use crate::device::Device;
use crate::vmstate::StateError;
use std::sync::Arc;

/// GICD_CTLR: EnableGrp0, EnableGrp1, ARE (RAO/WI), DS (RAO/WI).
const CTLR_ENABLES: u32 = 3;
const CTLR_ARE: u32 = 1 << 4;
const CTLR_DS: u32 = 1 << 6;
/// GICD_IIDR: implementer Arm (JEP106 0x43b), product 0, revision 0.
const IIDR: u64 = 0x0000_043b;
/// PIDR2: JEP106 bits and ArchRev 3 (GICv3).
const PIDR2: u64 = 0x3b;

pub struct GicV3Dist(pub Arc<GicV3>);

impl GicV3Dist {
    fn typer(&self) -> u64 {
        // ITLinesNumber, CPUNumber (ignored with ARE), IDbits = 10 - 1;
        // no LPIs, no MBIs, no security extension, Aff3 not supported.
        let cpus = self.0.cpus().min(8) as u64;
        (NR_IRQS / 32 - 1) as u64 | (cpus - 1) << 5 | 9 << 19
    }
}

impl Device for GicV3Dist {
    fn name(&self) -> &'static str {
        "gicv3-dist"
    }
    fn read(&mut self, off: u64, size: u32) -> u64 {
        let Some(s) = self.0.lock() else { return 0 };
        match off {
            0x0000 => (s.ctlr | CTLR_ARE | CTLR_DS) as u64,
            0x0004 => self.typer(),
            0x0008 => IIDR,
            0x6100..=0x7fdf => {
                // GICD_IROUTER<n>, 64 bits each (32-bit halves allowed).
                let n = ((off - 0x6000) / 8) as usize;
                let r = s.spis.get(n - 32).map_or(0, |i| i.route);
                if off % 8 == 4 {
                    r >> 32
                } else if size == 8 {
                    r
                } else {
                    r & 0xffff_ffff
                }
            }
            0xffe8 => PIDR2,
            _ => irq_block::read(&s.spis, 32, off, size).unwrap_or(0),
        }
    }
    fn write(&mut self, off: u64, size: u32, v: u64) {
        let gic = self.0.clone();
        let Some(mut s) = gic.lock() else { return };
        match off {
            0x0000 => s.ctlr = v as u32 & CTLR_ENABLES,
            0x6100..=0x7fdf => {
                let n = ((off - 0x6000) / 8) as usize;
                if let Some(i) = s.spis.get_mut(n - 32) {
                    // Interrupt_Routing_Mode and Aff2.Aff1.Aff0 (Aff3 is
                    // not supported: GICD_TYPER.A3V = 0).
                    const MASK: u64 = 0x8000_0000 | 0xff_ffff;
                    i.route = if off % 8 == 4 {
                        (i.route & 0xffff_ffff) | (v << 32 & MASK)
                    } else if size == 8 {
                        v & MASK
                    } else {
                        (i.route & !0xffff_ffff) | (v & MASK & 0xffff_ffff)
                    };
                }
            }
            _ => {
                irq_block::write(&mut s.spis, 32, off, size, v);
            }
        }
        gic.update(&s);
    }
    fn reset(&mut self) {
        self.0.reset();
    }
    // The controller's state is the machine's "gic" section.
    fn save(&mut self) -> Result<Vec<u8>, StateError> {
        Ok(Vec::new())
    }
    fn load(&mut self, _data: &[u8]) -> Result<(), StateError> {
        Ok(())
    }
}
