//! The GICv3's state as the "gic" section of a VM state: a version byte,
//! GICD_CTLR, the SPIs, then per cpu its private interrupts, redistributor
//! and CPU interface registers. Parsing checks every field (and the cpu
//! count) before anything is applied.

use super::{Cpu, Irq, State, MIN_BPR0, MIN_BPR1, NR_IRQS, PRI_MASK};
use crate::vmstate::wire::{Reader, Writer};
use crate::vmstate::StateError;

/// Distinguishes this layout from a GICv2's (which starts with GICD_CTLR).
const TAG: u32 = 0x4749_4333; // "GIC3"

fn save_irq(i: &Irq, w: &mut Writer) {
    let flags = i.enabled as u8
        | (i.pending as u8) << 1
        | (i.active as u8) << 2
        | (i.level as u8) << 3
        | (i.edge as u8) << 4
        | (i.group1 as u8) << 5;
    w.u8(flags).u8(i.priority).u64(i.route);
}

fn load_irq(r: &mut Reader) -> Result<Irq, StateError> {
    let f = r.u8()?;
    if f >> 6 != 0 {
        return Err(r.bad(&format!("interrupt flags {f:#x}")));
    }
    let priority = r.u8()?;
    if priority & !PRI_MASK != 0 {
        return Err(r.bad(&format!("priority {priority:#x}")));
    }
    Ok(Irq {
        enabled: f & 1 != 0,
        pending: f & 2 != 0,
        active: f & 4 != 0,
        level: f & 8 != 0,
        edge: f & 16 != 0,
        group1: f & 32 != 0,
        priority,
        route: r.u64()?,
    })
}

pub(super) fn save(s: &State) -> Vec<u8> {
    let mut w = Writer::default();
    w.u32(TAG).u32(s.ctlr).u32(s.spis.len() as u32);
    s.spis.iter().for_each(|i| save_irq(i, &mut w));
    w.u32(s.cpus.len() as u32);
    for c in &s.cpus {
        c.private.iter().for_each(|i| save_irq(i, &mut w));
        w.bool(c.sleep)
            .u8(c.pmr)
            .u8(c.bpr0)
            .u8(c.bpr1)
            .u64(c.ctlr)
            .bool(c.igrpen0)
            .bool(c.igrpen1)
            .u32(c.ap0)
            .u32(c.ap1);
    }
    w.finish()
}

pub(super) fn parse(data: &[u8], cpus: usize) -> Result<State, StateError> {
    let mut r = Reader::new("gicv3", data);
    if r.u32()? != TAG {
        return Err(r.bad("not a GICv3 state (the snapshot is of another gic-version)"));
    }
    let ctlr = r.u32()?;
    if ctlr & !3 != 0 {
        return Err(r.bad(&format!("GICD_CTLR {ctlr:#x}")));
    }
    let n = r.count(NR_IRQS)?;
    if n != NR_IRQS - 32 {
        return Err(r.bad(&format!("{n} SPIs, this GIC has {}", NR_IRQS - 32)));
    }
    let spis = (0..n)
        .map(|_| load_irq(&mut r))
        .collect::<Result<Vec<_>, _>>()?;
    let ncpu = r.count(512)?;
    if ncpu != cpus {
        return Err(r.bad(&format!("state of {ncpu} cpus, this machine has {cpus}")));
    }
    let mut out = Vec::new();
    for _ in 0..ncpu {
        let private = (0..32)
            .map(|_| load_irq(&mut r))
            .collect::<Result<Vec<_>, _>>()?;
        let c = Cpu {
            private,
            sleep: r.bool()?,
            pmr: r.u8()?,
            bpr0: r.u8()?,
            bpr1: r.u8()?,
            ctlr: r.u64()?,
            igrpen0: r.bool()?,
            igrpen1: r.bool()?,
            ap0: r.u32()?,
            ap1: r.u32()?,
        };
        if c.pmr & !PRI_MASK != 0
            || !(MIN_BPR0..8).contains(&c.bpr0)
            || !(MIN_BPR1..8).contains(&c.bpr1)
            || c.ctlr & !3 != 0
        {
            return Err(r.bad("CPU interface registers out of range"));
        }
        out.push(c);
    }
    r.end()?;
    Ok(State {
        ctlr,
        spis,
        cpus: out,
    })
}
