//! `-d stats`: where a run's time goes. Each engine with `LogFlags::stats`
//! keeps a [`Profile`] (time translating, compiling, interpreting, in JIT
//! code and outside the engine, i.e. in syscalls and signal delivery; block
//! and region counts; every compile's latency) and publishes it to a
//! process-wide registry whenever it returns to its caller. [`report`] sums
//! all engines (threads) and logs one summary under the `stats` target;
//! the user-mode loop calls it when the process ends.

use crate::exec::Stats;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Time and counts of one engine.
#[derive(Default, Debug, Clone)]
pub struct Profile {
    pub stats: Stats,
    /// Guest code to optimized IR and interpreter code.
    pub translate: Duration,
    /// Cranelift compilations (blocks and regions).
    pub compile: Duration,
    /// In tier 0: template-tier code, or the interpreter.
    pub interp: Duration,
    /// In compiled code (chained blocks included).
    pub jit: Duration,
    /// Between returns from the engine and the next entry: syscalls,
    /// signal delivery, the rest of the cpu loop.
    pub outside: Duration,
    /// Latency of each compilation, in microseconds.
    pub compile_us: Vec<u32>,
}

impl Profile {
    fn add(&mut self, o: &Profile) {
        let (s, t) = (&mut self.stats, &o.stats);
        s.translated += t.translated;
        s.compiled += t.compiled;
        s.jit_failures += t.jit_failures;
        s.interp_execs += t.interp_execs;
        s.jit_entries += t.jit_entries;
        s.chained += t.chained;
        s.flushes += t.flushes;
        s.invalidated += t.invalidated;
        s.regions += t.regions;
        s.region_blocks += t.region_blocks;
        s.templates += t.templates;
        s.template_bytes += t.template_bytes;
        self.translate += o.translate;
        self.compile += o.compile;
        self.interp += o.interp;
        self.jit += o.jit;
        self.outside += o.outside;
        self.compile_us.extend_from_slice(&o.compile_us);
    }

    /// The human summary `report` logs.
    pub fn summary(&self) -> String {
        let ms = |d: Duration| d.as_secs_f64() * 1e3;
        let total = self.translate + self.compile + self.interp + self.jit + self.outside;
        let pct = |d: Duration| {
            if total.is_zero() {
                0.0
            } else {
                100.0 * d.as_secs_f64() / total.as_secs_f64()
            }
        };
        let mut lat = self.compile_us.clone();
        lat.sort_unstable();
        let q = |p: f64| -> u32 {
            if lat.is_empty() {
                0
            } else {
                lat[((lat.len() - 1) as f64 * p).round() as usize]
            }
        };
        let s = &self.stats;
        let mut out = String::new();
        out.push_str(&format!("time total      {:10.1} ms\n", ms(total)));
        for (name, d) in [
            ("translate", self.translate),
            ("compile", self.compile),
            ("interpreter", self.interp), // template code included
            ("jit code", self.jit),
            ("outside", self.outside),
        ] {
            out.push_str(&format!("  {name:<13} {:10.1} ms {:5.1}%\n", ms(d), pct(d)));
        }
        out.push_str(&format!(
            "blocks          {} translated ({} as template code, {} KiB), {} compiled ({} regions of {} blocks), {} compile failures\n",
            s.translated, s.templates, s.template_bytes >> 10, s.compiled, s.regions, s.region_blocks, s.jit_failures
        ));
        out.push_str(&format!(
            "entries         {} interpreted, {} jit, {} chained links\n",
            s.interp_execs, s.jit_entries, s.chained
        ));
        out.push_str(&format!(
            "invalidation    {} blocks invalidated, {} flushes\n",
            s.invalidated, s.flushes
        ));
        out.push_str(&format!(
            "compile latency p50 {} us, p90 {} us, p99 {} us, max {} us",
            q(0.5),
            q(0.9),
            q(0.99),
            lat.last().copied().unwrap_or(0)
        ));
        out
    }
}

static ENABLED: AtomicBool = AtomicBool::new(false);
static REGISTRY: Mutex<Vec<Arc<Mutex<Profile>>>> = Mutex::new(Vec::new());

/// A slot in the registry for one engine.
pub(crate) fn register() -> Arc<Mutex<Profile>> {
    ENABLED.store(true, Ordering::Relaxed);
    let slot = Arc::new(Mutex::new(Profile::default()));
    if let Ok(mut r) = REGISTRY.lock() {
        r.push(slot.clone());
    }
    slot
}

/// The sum over all engines that profiled, or `None` if none did.
pub fn total() -> Option<Profile> {
    if !ENABLED.load(Ordering::Relaxed) {
        return None;
    }
    let mut sum = Profile::default();
    let r = REGISTRY.lock().ok()?;
    for slot in r.iter() {
        if let Ok(p) = slot.lock() {
            sum.add(&p);
        }
    }
    Some(sum)
}

/// Logs the summary under the `stats` target if any engine profiled.
pub fn report() {
    if let Some(p) = total() {
        tracing::info!(target: "stats", "Mimic profile (-d stats):\n{}", p.summary());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_has_percentiles_and_counts() {
        let p = Profile {
            compile_us: vec![10, 20, 30, 40, 1000],
            stats: Stats {
                compiled: 5,
                regions: 2,
                region_blocks: 7,
                ..Default::default()
            },
            jit: Duration::from_millis(30),
            outside: Duration::from_millis(10),
            ..Default::default()
        };
        let s = p.summary();
        assert!(s.contains("p50 30 us"), "{s}");
        assert!(s.contains("max 1000 us"), "{s}");
        assert!(s.contains("5 compiled (2 regions of 7 blocks)"), "{s}");
        assert!(s.contains("75.0%"), "{s}");
    }
}
