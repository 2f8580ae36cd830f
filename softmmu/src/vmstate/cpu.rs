//! An AArch64 vCPU's architectural state: general and FP/SIMD registers,
//! flags, exclusive monitor, EL0/EL1 system registers and the timers'
//! CTL/CVAL. The field lists destructure the structs, so a new register
//! that is not saved does not compile.

use super::wire::{Reader, Writer};
use super::StateError;
use target_aarch64::system::timer::{Timer, Timers};
use target_aarch64::system::SysRegs;
use target_aarch64::CpuState;

/// Every saved register, in stream order (`irq_line`/`fiq_line` are
/// inputs the interrupt controller drives again; `common` is the
/// translator's scratch).
fn regs(c: &mut CpuState) -> Vec<&mut u64> {
    let CpuState {
        common: _,
        x,
        sp,
        pc,
        nf,
        zf,
        cf,
        vf,
        excl_addr,
        excl_val,
        excl_val2,
        v,
        fpcr,
        fpsr,
        tpidr_el0,
        tpidrro_el0,
        syndrome,
        fault_addr,
        sys,
    } = c;
    let SysRegs {
        el,
        spsel,
        daif,
        sp_el0,
        sp_el1,
        spsr_el1,
        elr_el1,
        esr_el1,
        far_el1,
        vbar_el1,
        sctlr_el1,
        tcr_el1,
        ttbr0_el1,
        ttbr1_el1,
        mair_el1,
        amair_el1,
        contextidr_el1,
        tpidr_el1,
        cpacr_el1,
        par_el1,
        mdscr_el1,
        csselr_el1,
        afsr0_el1,
        afsr1_el1,
        actlr_el1,
        oslsr_el1,
        cntkctl_el1,
        timer,
        mpidr,
        irq_line: _,
        fiq_line: _,
        tlb_flush,
        tlb_flush_page,
        pending_esr,
    } = sys;
    let Timers { phys, virt } = timer;
    let Timer {
        ctl: pctl,
        cval: pcval,
    } = phys;
    let Timer {
        ctl: vctl,
        cval: vcval,
    } = virt;
    let mut out: Vec<&mut u64> = x.iter_mut().collect();
    out.extend([
        sp,
        pc,
        nf,
        zf,
        cf,
        vf,
        excl_addr,
        excl_val,
        excl_val2,
        fpcr,
        fpsr,
        tpidr_el0,
        tpidrro_el0,
        syndrome,
        fault_addr,
    ]);
    out.extend(v.iter_mut().flatten());
    out.extend([
        el,
        spsel,
        daif,
        sp_el0,
        sp_el1,
        spsr_el1,
        elr_el1,
        esr_el1,
        far_el1,
        vbar_el1,
        sctlr_el1,
        tcr_el1,
        ttbr0_el1,
        ttbr1_el1,
        mair_el1,
        amair_el1,
        contextidr_el1,
        tpidr_el1,
        cpacr_el1,
        par_el1,
        mdscr_el1,
        csselr_el1,
        afsr0_el1,
        afsr1_el1,
        actlr_el1,
        oslsr_el1,
        cntkctl_el1,
        pctl,
        pcval,
        vctl,
        vcval,
        mpidr,
        tlb_flush,
        tlb_flush_page,
        pending_esr,
    ]);
    out
}

pub fn save(c: &mut CpuState) -> Vec<u8> {
    let r = regs(c);
    let mut w = Writer::default();
    w.u32(r.len() as u32);
    for v in r {
        w.u64(*v);
    }
    w.finish()
}

/// Restores `save`'s output into `c`; on error `c` is unchanged.
pub fn load(c: &mut CpuState, data: &[u8]) -> Result<(), StateError> {
    let mut r = Reader::new("cpu", data);
    let n = r.u32()? as usize;
    let mut vals = Vec::with_capacity(n.min(4096));
    for _ in 0..n {
        vals.push(r.u64()?);
    }
    r.end()?;
    let dst = regs(c);
    if n != dst.len() {
        return Err(r.bad(&format!("{n} registers saved, this cpu has {}", dst.len())));
    }
    let mut probe = CpuState::default();
    for (d, v) in regs(&mut probe).into_iter().zip(&vals) {
        *d = *v;
    }
    if probe.sys.el > 1 || probe.sys.spsel > 1 {
        return Err(r.bad(&format!(
            "exception level {} / SPSel {} out of range",
            probe.sys.el, probe.sys.spsel
        )));
    }
    for (d, v) in regs(c).into_iter().zip(vals) {
        *d = v;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let mut a = CpuState::default();
        a.x[5] = 0x1234;
        a.v[31] = [1, 2];
        a.sys.ttbr1_el1 = 0xdead_0000;
        a.sys.timer.virt.cval = 99;
        a.sys.el = 1;
        let s = save(&mut a);
        let mut b = CpuState::default();
        load(&mut b, &s).unwrap();
        assert_eq!(b.x[5], 0x1234);
        assert_eq!(b.v[31], [1, 2]);
        assert_eq!(b.sys.ttbr1_el1, 0xdead_0000);
        assert_eq!(b.sys.timer.virt.cval, 99);
        // Truncated, or a bad EL: refused, and the cpu is left alone.
        let mut c = CpuState::default();
        assert!(load(&mut c, &s[..s.len() - 1]).is_err());
        let mut bad = s.clone();
        let el_at = 4 + 8 * (31 + 15 + 64);
        bad[el_at] = 3;
        assert!(load(&mut c, &bad)
            .unwrap_err()
            .0
            .contains("exception level"));
        assert_eq!(c.x[5], 0);
    }
}
