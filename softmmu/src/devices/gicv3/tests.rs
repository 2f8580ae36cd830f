use super::cpu_interface::CpuIf;
use super::*;
use crate::device::Device;
use crate::irq::set_current_cpu;
use std::sync::atomic::AtomicU32;
use target_aarch64::system::icc::{CpuInterface, *};

fn gic(n: usize) -> Arc<GicV3> {
    let kicks = (0..n)
        .map(|_| {
            let r: &'static AtomicU32 = Box::leak(Box::new(AtomicU32::new(0)));
            Arc::new(Kick::new(r))
        })
        .collect();
    GicV3::new(kicks)
}

fn irq_line(g: &GicV3, c: usize) -> bool {
    g.kicks[c].irq.load(Ordering::SeqCst)
}

/// Distributor and cpu interfaces on, as Linux sets them up.
fn enable(g: &Arc<GicV3>) -> (GicV3Dist, GicV3Redist, CpuIf) {
    let (mut d, mut r, i) = (
        GicV3Dist(g.clone()),
        GicV3Redist(g.clone()),
        CpuIf(g.clone()),
    );
    d.write(0, 4, 0x13);
    for c in 0..g.cpus() {
        let rd = c as u64 * REDIST_STRIDE;
        r.write(rd + 0x14, 4, 0);
        assert_eq!(r.read(rd + 0x14, 4), 0, "awake after ProcessorSleep = 0");
        r.write(rd + 0x10080, 4, u32::MAX as u64); // group 1
        r.write(rd + 0x10100, 4, u32::MAX as u64); // enable SGIs/PPIs
        set_current_cpu(c);
        i.write(ICC_PMR_EL1, 0xf0);
        i.write(ICC_IGRPEN1_EL1, 1);
    }
    set_current_cpu(0);
    (d, r, i)
}

#[test]
fn identification_and_redistributor_frames() {
    let g = gic(2);
    let (mut d, mut r) = (GicV3Dist(g.clone()), GicV3Redist(g.clone()));
    assert_eq!(d.read(0xffe8, 4) >> 4 & 15, 3, "ArchRev 3");
    assert_eq!(d.read(0x4, 4) & 0x1f, 7, "256 interrupt ids");
    assert_eq!(d.read(0x4, 4) >> 17 & 1, 0, "no LPIs");
    assert_eq!(d.read(0, 4) & 0x50, 0x50, "ARE and DS read as one");
    let t0 = r.read(0x8, 8);
    let t1 = r.read(REDIST_STRIDE + 0x8, 8);
    assert_eq!((t0 >> 32, t0 >> 4 & 1), (0, 0));
    assert_eq!((t1 >> 32, t1 >> 4 & 1, t1 >> 8 & 0xffff), (1, 1, 1));
    assert_eq!(
        r.read(REDIST_STRIDE + 0xc, 4),
        1,
        "upper half of GICR_TYPER"
    );
    assert_eq!(r.read(0x14, 4), 6, "asleep at reset");
    assert_eq!(r.read(0x1_ffe8, 4), 0, "SGI frame has no PIDR2");
    assert_eq!(r.read(0xffe8, 4) >> 4 & 15, 3);
}

#[test]
fn sgi_target_list_and_irm() {
    let g = gic(3);
    let (_d, mut r, i) = enable(&g);
    r.write(REDIST_STRIDE + 0x10400 + 5, 1, 0xa0);
    // SGI 5 to cpus 1 and 2 by target list (Aff1..3 = 0, RS = 0).
    i.write(ICC_SGI1R_EL1, 5 << 24 | 0b110);
    assert!(!irq_line(&g, 0) && irq_line(&g, 1) && irq_line(&g, 2));
    set_current_cpu(1);
    assert_eq!(i.read(ICC_IAR1_EL1), 5);
    assert!(!irq_line(&g, 1), "active SGI is not signalled again");
    assert_eq!(i.read(ICC_RPR_EL1), 0xa0);
    i.write(ICC_EOIR1_EL1, 5);
    assert_eq!(i.read(ICC_RPR_EL1), 0xff);
    assert_eq!(i.read(ICC_IAR1_EL1), 1023, "nothing left");
    // IRM from cpu 1: every other cpu.
    i.write(ICC_SGI1R_EL1, 1 << 40 | 3 << 24);
    assert!(irq_line(&g, 0) && !irq_line(&g, 1));
    set_current_cpu(0);
    assert_eq!(i.read(ICC_HPPIR1_EL1), 3);
    // Another Aff1 names nobody here; RS = 1 names Aff0 16.. (none).
    i.write(ICC_SGI1R_EL1, 1 << 16 | 7 << 24 | 1);
    i.write(ICC_SGI1R_EL1, 1 << 44 | 7 << 24 | 1);
    set_current_cpu(2);
    // Equal priorities: the lower id first.
    assert_eq!(i.read(ICC_IAR1_EL1), 3);
    i.write(ICC_EOIR1_EL1, 3);
    assert_eq!(i.read(ICC_IAR1_EL1), 5, "cpu 2 still has the first SGI");
    i.write(ICC_EOIR1_EL1, 5);
    assert_eq!(i.read(ICC_IAR1_EL1), 1023, "SGI 7 went nowhere");
}

#[test]
fn priority_pmr_preemption_and_eoimode() {
    let g = gic(1);
    let (mut d, _r, i) = enable(&g);
    // SPIs 40 (priority 0x80) and 41 (0x40), both to cpu 0, group 1.
    d.write(0x84, 4, 0x300);
    d.write(0x400 + 40, 1, 0x80);
    d.write(0x400 + 41, 1, 0x47);
    assert_eq!(d.read(0x400 + 41, 1), 0x40, "low priority bits RAZ");
    d.write(0x6000 + 8 * 40, 8, 0);
    d.write(0x6000 + 8 * 41, 8, 0);
    d.write(0x104, 4, 0x300);
    g.set_level(40, true);
    assert!(irq_line(&g, 0));
    i.write(ICC_PMR_EL1, 0x80);
    assert!(!irq_line(&g, 0), "priority 0x80 is not above PMR 0x80");
    i.write(ICC_PMR_EL1, 0xf0);
    assert_eq!(i.read(ICC_IAR1_EL1), 40);
    assert!(!irq_line(&g, 0));
    g.set_level(41, true);
    assert!(irq_line(&g, 0), "0x40 preempts running priority 0x80");
    assert_eq!(i.read(ICC_IAR1_EL1), 41);
    assert_eq!(i.read(ICC_AP1R0_EL1), 1 << (0x80 >> 3) | 1 << (0x40 >> 3));
    g.set_level(41, false);
    i.write(ICC_EOIR1_EL1, 41);
    assert_eq!(i.read(ICC_RPR_EL1), 0x80);
    // EOImode = 1: EOIR only drops priority; DIR deactivates.
    i.write(ICC_CTLR_EL1, 2);
    g.set_level(40, false);
    i.write(ICC_EOIR1_EL1, 40);
    assert_eq!(i.read(ICC_RPR_EL1), 0xff);
    assert_eq!(d.read(0x304, 4) >> 8 & 1, 1, "still active");
    i.write(ICC_DIR_EL1, 40);
    assert_eq!(d.read(0x304, 4) >> 8 & 1, 0);
    // Routed elsewhere (Aff0 = 1, no such cpu): never signalled.
    d.write(0x6000 + 8 * 40, 8, 1);
    g.set_level(40, true);
    assert!(!irq_line(&g, 0));
    // IRM = 1: any cpu.
    d.write(0x6000 + 8 * 40, 4, 1 << 31);
    assert!(irq_line(&g, 0));
    // Group 0 interrupts never raise IRQ and IAR1 does not take them.
    d.write(0x84, 4, 0);
    assert!(!irq_line(&g, 0));
    assert_eq!(i.read(ICC_IAR1_EL1), 1023);
    assert_eq!(i.read(ICC_HPPIR1_EL1), 1023);
}

#[test]
fn state_round_trip_and_bad_states() {
    let g = gic(2);
    let (mut d, _r, i) = enable(&g);
    d.write(0x400 + 33, 1, 0x20);
    i.write(ICC_SGI1R_EL1, 2 << 24 | 0b11);
    assert_eq!(i.read(ICC_IAR1_EL1), 2);
    let saved = g.save().unwrap();
    let h = gic(2);
    h.check(&saved).unwrap();
    h.load(&saved).unwrap();
    assert_eq!(*g.state.lock().unwrap(), *h.state.lock().unwrap());
    assert!(irq_line(&h, 1), "cpu 1's pending SGI signals after a load");
    assert!(gic(3).load(&saved).is_err(), "cpu count differs");
    assert!(h.check(&saved[..saved.len() - 1]).is_err());
    let mut bad = saved.clone();
    bad[0] ^= 1;
    assert!(h.check(&bad).is_err(), "GICv2 or garbage");
    let mut bad = saved;
    bad[8] = 0x80; // GICD_CTLR with stray bits
    assert!(h.check(&bad).is_err());
}
