//! Interrupt wiring: lines from devices to the interrupt controller, and
//! the per-cpu "kick" that makes a running or sleeping vCPU look at its
//! interrupt input.

use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

/// Wakes one vCPU: asks its running code to return to the cpu loop
/// (`CpuCommon::exit_request`) and ends a WFI sleep.
pub struct Kick {
    exit_request: &'static AtomicU32,
    woken: Mutex<bool>,
    cv: Condvar,
    /// The cpu's IRQ input as the interrupt controller drives it.
    pub irq: AtomicBool,
}

impl Kick {
    pub fn new(exit_request: &'static AtomicU32) -> Kick {
        Kick {
            exit_request,
            woken: Mutex::new(false),
            cv: Condvar::new(),
            irq: AtomicBool::new(false),
        }
    }
    pub fn kick(&self) {
        self.exit_request.store(1, Ordering::SeqCst);
        if let Ok(mut w) = self.woken.lock() {
            *w = true;
            self.cv.notify_all();
        }
    }
    /// Makes the cpu leave the guest code it runs, without waking it from
    /// WFI: for work its loop does before it runs guest code again (TLB
    /// maintenance), which a sleeping cpu need not do any sooner. (A boot
    /// with two cpus issues ~50k TLBIs; waking the idle cpu for each cost
    /// a host context switch.)
    pub fn nudge(&self) {
        self.exit_request.store(1, Ordering::SeqCst);
    }
    /// Sleeps until kicked or `timeout` passes (None: no limit).
    pub fn sleep(&self, timeout: Option<Duration>) {
        let Ok(mut w) = self.woken.lock() else { return };
        let deadline = timeout.map(|t| std::time::Instant::now() + t);
        while !*w {
            match deadline {
                Some(d) => {
                    let now = std::time::Instant::now();
                    if now >= d {
                        break;
                    }
                    match self.cv.wait_timeout(w, d - now) {
                        Ok((g, _)) => w = g,
                        Err(_) => return,
                    }
                }
                None => match self.cv.wait(w) {
                    Ok(g) => w = g,
                    Err(_) => return,
                },
            }
        }
        *w = false;
    }
    /// Forgets kicks that arrived while the cpu was running.
    pub fn clear(&self) {
        if let Ok(mut w) = self.woken.lock() {
            *w = false;
        }
    }
}

/// Something that takes interrupt lines (the GIC).
pub trait IrqSink: Send + Sync {
    fn set_level(&self, intid: u32, level: bool);
}

/// One interrupt line from a device.
#[derive(Clone)]
pub struct IrqLine {
    pub sink: Arc<dyn IrqSink>,
    pub intid: u32,
}

impl IrqLine {
    pub fn set(&self, level: bool) {
        self.sink.set_level(self.intid, level);
    }
}

thread_local! {
    static CURRENT_CPU: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// The index of the vCPU running on this thread (banked registers).
pub fn current_cpu() -> usize {
    CURRENT_CPU.with(|c| c.get())
}

pub fn set_current_cpu(i: usize) {
    CURRENT_CPU.with(|c| c.set(i));
}
