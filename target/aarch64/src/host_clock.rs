//! The host time behind the generic counter (CNTVCT, in nanoseconds since
//! the first read): the TSC scaled to nanoseconds once it is calibrated,
//! `Instant` until then and on hosts without an invariant TSC.
//!
//! Guests read the counter constantly (Linux's sched_clock, ktime, delay
//! loops), and `Instant::now` (a vDSO call plus conversions) cost ~3% of a
//! kernel boot; `rdtsc` and a multiply are a few nanoseconds.
//!
//! Calibration: for the first `CALIBRATE_NS` the count comes from
//! `Instant`; the first read after that measures TSC ticks against
//! elapsed nanoseconds and continues from that point, so the count never
//! goes back.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::OnceLock;
use std::time::Instant;

/// How long `Instant` is used before the TSC rate is measured.
const CALIBRATE_NS: u64 = 50_000_000;

struct Start {
    at: Instant,
    tsc: u64,
    /// Whether the TSC runs at a constant rate on every cpu.
    invariant: bool,
}

static START: OnceLock<Start> = OnceLock::new();
/// After calibration: nanoseconds per TSC tick as a 32.32 fixed-point
/// number (0 before).
static MULT: AtomicU64 = AtomicU64::new(0);
/// After calibration: the TSC value and count it continues from.
static BASE_TSC: AtomicU64 = AtomicU64::new(0);
static BASE_NS: AtomicU64 = AtomicU64::new(0);
/// Taken by the one thread that calibrates.
static CALIBRATING: AtomicBool = AtomicBool::new(false);

#[cfg(target_arch = "x86_64")]
fn tsc() -> u64 {
    // SAFETY: rdtsc has no preconditions on x86-64.
    unsafe { std::arch::x86_64::_rdtsc() }
}

#[cfg(not(target_arch = "x86_64"))]
fn tsc() -> u64 {
    0
}

fn invariant_tsc() -> bool {
    cfg!(target_arch = "x86_64")
        && std::fs::read_to_string("/proc/cpuinfo").is_ok_and(|s| {
            s.lines().find(|l| l.starts_with("flags")).is_some_and(|l| {
                let f: Vec<&str> = l.split_whitespace().collect();
                f.contains(&"constant_tsc") && f.contains(&"nonstop_tsc")
            })
        })
}

/// Nanoseconds since the first call.
pub fn now_ns() -> u64 {
    let start = START.get_or_init(|| Start {
        at: Instant::now(),
        tsc: tsc(),
        invariant: invariant_tsc(),
    });
    let mult = MULT.load(Ordering::Acquire);
    if mult != 0 {
        let ticks = tsc().saturating_sub(BASE_TSC.load(Ordering::Relaxed));
        let ns = (ticks as u128 * mult as u128) >> 32;
        return BASE_NS.load(Ordering::Relaxed) + ns as u64;
    }
    let t = tsc();
    let ns = start.at.elapsed().as_nanos() as u64;
    if start.invariant
        && ns >= CALIBRATE_NS
        && t > start.tsc
        && !CALIBRATING.swap(true, Ordering::AcqRel)
    {
        let m = ((ns as u128) << 32) / (t - start.tsc) as u128;
        if m > 0 && m < u64::MAX as u128 {
            // Continue from this (tsc, ns) pair.
            BASE_TSC.store(t, Ordering::Relaxed);
            BASE_NS.store(ns, Ordering::Relaxed);
            MULT.store(m as u64, Ordering::Release);
        }
    }
    ns
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_on_like_the_host_clock_after_calibration() {
        let t0 = Instant::now();
        let a = now_ns();
        // Past calibration.
        std::thread::sleep(std::time::Duration::from_nanos(CALIBRATE_NS + 5_000_000));
        let b = now_ns();
        assert!(b > a);
        let c0 = now_ns();
        let i0 = t0.elapsed().as_nanos() as u64;
        std::thread::sleep(std::time::Duration::from_millis(100));
        let c1 = now_ns();
        let i1 = t0.elapsed().as_nanos() as u64;
        // Within 2% of Instant over 100 ms, and never backwards.
        let (dc, di) = ((c1 - c0) as f64, (i1 - i0) as f64);
        assert!(
            (dc - di).abs() < di * 0.02,
            "counter {dc} ns vs host {di} ns"
        );
        let mut last = now_ns();
        for _ in 0..100_000 {
            let n = now_ns();
            assert!(n >= last);
            last = n;
        }
    }
}
