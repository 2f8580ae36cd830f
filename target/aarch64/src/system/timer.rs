//! The generic timer's EL1 physical and virtual timers (CNTP_*, CNTV_*).
//! The counter is the one CNTVCT_EL0 reads (`helpers::cntvct`: host
//! monotonic nanoseconds, CNTFRQ = 1 GHz); CNTVOFF is 0, so both timers
//! compare against the same count.

use crate::helpers::cntvct;

/// CNTx_CTL bits.
pub const CTL_ENABLE: u64 = 1;
pub const CTL_IMASK: u64 = 2;
pub const CTL_ISTATUS: u64 = 4;

/// GIC PPI numbers (INTIDs) of the timers on the `virt` machine.
pub const PPI_VIRT: u32 = 27;
pub const PPI_PHYS: u32 = 30;

#[repr(C)]
#[derive(Debug, Clone, Default)]
pub struct Timer {
    /// ENABLE and IMASK as written.
    pub ctl: u64,
    pub cval: u64,
}

impl Timer {
    /// CTL as read: with ISTATUS.
    pub fn read_ctl(&self, now: u64) -> u64 {
        let met = self.ctl & CTL_ENABLE != 0 && now >= self.cval;
        self.ctl & 3 | u64::from(met) << 2
    }
    /// The interrupt output.
    pub fn asserted(&self, now: u64) -> bool {
        self.ctl & (CTL_ENABLE | CTL_IMASK) == CTL_ENABLE && now >= self.cval
    }
    /// TVAL reads as the signed 32-bit distance to CVAL.
    pub fn read_tval(&self, now: u64) -> u64 {
        self.cval.wrapping_sub(now) as u32 as i32 as i64 as u64
    }
    pub fn write_tval(&mut self, now: u64, v: u64) {
        self.cval = now.wrapping_add(v as u32 as i32 as i64 as u64);
    }
    /// Nanoseconds until the output would assert (None: never).
    pub fn ns_until(&self, now: u64) -> Option<u64> {
        (self.ctl & (CTL_ENABLE | CTL_IMASK) == CTL_ENABLE).then(|| self.cval.saturating_sub(now))
    }
}

#[repr(C)]
#[derive(Debug, Clone, Default)]
pub struct Timers {
    pub phys: Timer,
    pub virt: Timer,
}

/// The current count.
pub fn now() -> u64 {
    cntvct(std::ptr::null_mut())
}

impl Timers {
    /// Nanoseconds until the earlier timer fires (None: neither armed).
    pub fn ns_until(&self, now: u64) -> Option<u64> {
        match (self.phys.ns_until(now), self.virt.ns_until(now)) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }
}
