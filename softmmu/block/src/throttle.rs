//! The throttle filter: QEMU's leaky-bucket I/O limits (docs/throttle.txt)
//! for bytes and operations per second, total/read/write, with bursts.
//!
//! Each bucket has an average rate `avg` and optionally a burst rate `max`
//! sustained for `burst_length` seconds. Every request adds its size (or one
//! operation) to the levels of the buckets it concerns; the levels leak at
//! `avg` (and the burst level at `max`) per second. A request may start while
//! each level is within its bucket size (`avg/10` without a burst,
//! `max*burst_length` with one, and `max/10` for the burst level); otherwise
//! it waits `extra/avg` (or `extra/max`) seconds.

use crate::driver::{BlockDriver, Extent};
use crate::error::{BlockError, Result};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// One leaky bucket.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Bucket {
    pub avg: f64,
    pub max: f64,
    pub burst_length: u64,
    pub level: f64,
    pub burst_level: f64,
}

impl Bucket {
    fn leak(&mut self, dt_ns: u64) {
        let dt = dt_ns as f64 / 1e9;
        self.level = (self.level - self.avg * dt).max(0.0);
        if self.burst_length > 1 {
            self.burst_level = (self.burst_level - self.max * dt).max(0.0);
        }
    }

    /// Nanoseconds to wait before a request may start.
    fn wait_ns(&self) -> u64 {
        if self.avg == 0.0 {
            return 0;
        }
        let (size, burst_size) = if self.max == 0.0 {
            (self.avg / 10.0, 0.0)
        } else {
            (self.max * self.burst_length as f64, self.max / 10.0)
        };
        let extra = self.level - size;
        if extra > 0.0 {
            return (extra / self.avg * 1e9) as u64;
        }
        if self.burst_length > 1 {
            let extra = self.burst_level - burst_size;
            if extra > 0.0 {
                return (extra / self.max * 1e9) as u64;
            }
        }
        0
    }

    fn account(&mut self, units: f64) {
        if self.avg == 0.0 {
            return;
        }
        self.level += units;
        if self.burst_length > 1 {
            self.burst_level += units;
        }
    }
}

/// Indexes into `ThrottleConfig::buckets`.
pub const BPS_TOTAL: usize = 0;
pub const BPS_READ: usize = 1;
pub const BPS_WRITE: usize = 2;
pub const OPS_TOTAL: usize = 3;
pub const OPS_READ: usize = 4;
pub const OPS_WRITE: usize = 5;

/// Limits (qemu's throttling.* options).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ThrottleConfig {
    pub buckets: [Bucket; 6],
    /// Requests larger than this count as several operations (0: off).
    pub iops_size: u64,
}

impl ThrottleConfig {
    /// Sets one bucket: `avg` per second, optional burst `max` for
    /// `burst_length` seconds.
    pub fn set(&mut self, which: usize, avg: u64, max: u64, burst_length: u64) {
        self.buckets[which] = Bucket {
            avg: avg as f64,
            max: max as f64,
            burst_length: burst_length.max(1),
            level: 0.0,
            burst_level: 0.0,
        };
    }

    /// qemu's validity rules.
    pub fn validate(&self) -> Result<()> {
        let b = &self.buckets;
        if (b[BPS_TOTAL].avg > 0.0 && (b[BPS_READ].avg > 0.0 || b[BPS_WRITE].avg > 0.0))
            || (b[OPS_TOTAL].avg > 0.0 && (b[OPS_READ].avg > 0.0 || b[OPS_WRITE].avg > 0.0))
        {
            return Err(BlockError::Other(
                "bps/iops total and read/write limits cannot be used at the same time".into(),
            ));
        }
        for k in b {
            if k.max > 0.0 && k.avg == 0.0 {
                return Err(BlockError::Other(
                    "bps_max/iops_max require corresponding bps/iops values".into(),
                ));
            }
            if k.max > 0.0 && k.max < k.avg {
                return Err(BlockError::Other(
                    "bps_max/iops_max cannot be lower than bps/iops".into(),
                ));
            }
            if k.burst_length > 1 && k.max == 0.0 {
                return Err(BlockError::Other(
                    "burst length requires a max value".into(),
                ));
            }
            if k.avg > 0.0 && k.burst_length == 0 {
                return Err(BlockError::Other("the burst length cannot be 0".into()));
            }
        }
        Ok(())
    }
}

/// Time source (real, or virtual in tests).
pub trait Clock: Send {
    fn now_ns(&mut self) -> u64;
    fn sleep_ns(&mut self, ns: u64);
}

/// The wall clock.
pub struct RealClock(Instant);

impl Default for RealClock {
    fn default() -> Self {
        RealClock(Instant::now())
    }
}

impl RealClock {
    /// A clock counting from `t` (the filters of one group share it).
    pub fn since(t: Instant) -> Self {
        RealClock(t)
    }
}

impl Clock for RealClock {
    fn now_ns(&mut self) -> u64 {
        self.0.elapsed().as_nanos() as u64
    }
    fn sleep_ns(&mut self, ns: u64) {
        std::thread::sleep(Duration::from_nanos(ns));
    }
}

/// Throttling state shared by a group of requests.
pub struct ThrottleState {
    pub cfg: ThrottleConfig,
    last_leak: u64,
}

impl ThrottleState {
    pub fn new(cfg: ThrottleConfig, now_ns: u64) -> Result<ThrottleState> {
        cfg.validate()?;
        Ok(ThrottleState {
            cfg,
            last_leak: now_ns,
        })
    }

    fn relevant(write: bool) -> [usize; 4] {
        if write {
            [BPS_TOTAL, BPS_WRITE, OPS_TOTAL, OPS_WRITE]
        } else {
            [BPS_TOTAL, BPS_READ, OPS_TOTAL, OPS_READ]
        }
    }

    /// Leaks the buckets up to `now` and returns how long a request must wait.
    pub fn compute_wait(&mut self, write: bool, now_ns: u64) -> u64 {
        let dt = now_ns.saturating_sub(self.last_leak);
        for b in self.cfg.buckets.iter_mut() {
            b.leak(dt);
        }
        self.last_leak = now_ns;
        Self::relevant(write)
            .iter()
            .map(|&i| self.cfg.buckets[i].wait_ns())
            .max()
            .unwrap_or(0)
    }

    /// Charges a request of `bytes` to the buckets.
    pub fn account(&mut self, write: bool, bytes: u64) {
        let ops = if self.cfg.iops_size > 0 && bytes > self.cfg.iops_size {
            bytes as f64 / self.cfg.iops_size as f64
        } else {
            1.0
        };
        for i in Self::relevant(write) {
            let units = if i < OPS_TOTAL { bytes as f64 } else { ops };
            self.cfg.buckets[i].account(units);
        }
    }
}

/// A throttle group (QEMU's `-object throttle-group`): one state its
/// members' filters share, so their requests together keep its limits.
#[derive(Clone)]
pub struct ThrottleGroup {
    pub name: String,
    /// The limits as configured (levels at zero).
    pub cfg: ThrottleConfig,
    state: Arc<Mutex<ThrottleState>>,
    epoch: Instant,
}

impl std::fmt::Debug for ThrottleGroup {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ThrottleGroup({})", self.name)
    }
}

impl ThrottleGroup {
    pub fn new(name: &str, cfg: ThrottleConfig) -> Result<ThrottleGroup> {
        Ok(ThrottleGroup {
            name: name.to_string(),
            state: Arc::new(Mutex::new(ThrottleState::new(cfg.clone(), 0)?)),
            cfg,
            epoch: Instant::now(),
        })
    }

    /// A filter over `inner` that counts against this group.
    pub fn filter(&self, inner: Box<dyn BlockDriver>) -> Throttle {
        Throttle {
            inner,
            state: self.state.clone(),
            clock: Box::new(RealClock::since(self.epoch)),
        }
    }
}

/// A filter that delays requests to the configured limits.
pub struct Throttle {
    inner: Box<dyn BlockDriver>,
    state: Arc<Mutex<ThrottleState>>,
    clock: Box<dyn Clock>,
}

impl Throttle {
    pub fn new(
        inner: Box<dyn BlockDriver>,
        cfg: ThrottleConfig,
        mut clock: Box<dyn Clock>,
    ) -> Result<Throttle> {
        let now = clock.now_ns();
        Ok(Throttle {
            inner,
            state: Arc::new(Mutex::new(ThrottleState::new(cfg, now)?)),
            clock,
        })
    }

    fn gate(&mut self, write: bool, bytes: u64) {
        loop {
            let now = self.clock.now_ns();
            let w = {
                let mut s = self.state.lock().unwrap_or_else(|e| e.into_inner());
                let w = s.compute_wait(write, now);
                if w == 0 {
                    s.account(write, bytes);
                }
                w
            };
            if w == 0 {
                break;
            }
            self.clock.sleep_ns(w);
        }
    }

    pub fn into_inner(self) -> Box<dyn BlockDriver> {
        self.inner
    }
}

impl BlockDriver for Throttle {
    fn format_name(&self) -> &'static str {
        self.inner.format_name()
    }
    fn length(&self) -> u64 {
        self.inner.length()
    }
    fn read(&mut self, offset: u64, buf: &mut [u8]) -> Result<()> {
        self.gate(false, buf.len() as u64);
        self.inner.read(offset, buf)
    }
    fn write(&mut self, offset: u64, buf: &[u8]) -> Result<()> {
        self.gate(true, buf.len() as u64);
        self.inner.write(offset, buf)
    }
    fn flush(&mut self) -> Result<()> {
        self.inner.flush()
    }
    fn discard(&mut self, offset: u64, len: u64) -> Result<()> {
        self.inner.discard(offset, len)
    }
    fn write_zeroes(&mut self, offset: u64, len: u64, may_unmap: bool) -> Result<()> {
        self.gate(true, len);
        self.inner.write_zeroes(offset, len, may_unmap)
    }
    fn block_status(&mut self, offset: u64, len: u64) -> Result<Extent> {
        self.inner.block_status(offset, len)
    }
    fn resize(&mut self, new_len: u64, allow_shrink: bool) -> Result<()> {
        self.inner.resize(new_len, allow_shrink)
    }
    fn cluster_size(&self) -> Option<u64> {
        self.inner.cluster_size()
    }
    fn close(&mut self) -> Result<()> {
        self.inner.close()
    }
    // Snapshots and VM state are metadata operations of the image below:
    // forwarded unthrottled.
    fn snapshot_list(&mut self) -> Result<Vec<crate::driver::SnapshotInfo>> {
        self.inner.snapshot_list()
    }
    fn snapshot_create(&mut self, name: &str) -> Result<()> {
        self.inner.snapshot_create(name)
    }
    fn snapshot_create_vm(&mut self, name: &str, size: u64, clock: u64) -> Result<()> {
        self.inner.snapshot_create_vm(name, size, clock)
    }
    fn snapshot_apply(&mut self, name: &str) -> Result<()> {
        self.inner.snapshot_apply(name)
    }
    fn snapshot_delete(&mut self, name: &str) -> Result<()> {
        self.inner.snapshot_delete(name)
    }
    fn vm_state_write(&mut self, offset: u64, buf: &[u8]) -> Result<()> {
        self.inner.vm_state_write(offset, buf)
    }
    fn vm_state_read(&mut self, offset: u64, buf: &mut [u8]) -> Result<()> {
        self.inner.vm_state_read(offset, buf)
    }
    fn vm_state_discard(&mut self, len: u64) -> Result<()> {
        self.inner.vm_state_discard(len)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Virtual time: sleeping advances it.
    struct FakeClock(std::sync::Arc<std::sync::atomic::AtomicU64>);
    impl Clock for FakeClock {
        fn now_ns(&mut self) -> u64 {
            self.0.load(std::sync::atomic::Ordering::SeqCst)
        }
        fn sleep_ns(&mut self, ns: u64) {
            self.0.fetch_add(ns, std::sync::atomic::Ordering::SeqCst);
        }
    }

    fn run(cfg: ThrottleConfig, write: bool, req: u64, n: u64) -> f64 {
        let t = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
        let mut c = FakeClock(t.clone());
        let mut s = ThrottleState::new(cfg, 0).unwrap();
        for _ in 0..n {
            loop {
                let now = c.now_ns();
                let w = s.compute_wait(write, now);
                if w == 0 {
                    break;
                }
                c.sleep_ns(w);
            }
            s.account(write, req);
        }
        t.load(std::sync::atomic::Ordering::SeqCst) as f64 / 1e9
    }

    #[test]
    fn bps_limit_sets_throughput() {
        let mut cfg = ThrottleConfig::default();
        cfg.set(BPS_WRITE, 1 << 20, 0, 1);
        // 20 MiB at 1 MiB/s: ~20 s minus the initial bucket (avg/10).
        let secs = run(cfg.clone(), true, 64 << 10, 320);
        assert!((19.0..20.1).contains(&secs), "took {secs}s");
        // Reads are not limited by a write limit.
        assert_eq!(run(cfg, false, 64 << 10, 320), 0.0);
    }

    #[test]
    fn iops_total_limit() {
        let mut cfg = ThrottleConfig::default();
        cfg.set(OPS_TOTAL, 100, 0, 1);
        let secs = run(cfg, false, 4096, 1000);
        assert!((9.8..10.1).contains(&secs), "took {secs}s");
    }

    #[test]
    fn burst_allows_fast_start_then_average() {
        let mut cfg = ThrottleConfig::default();
        // 100 ops/s average, bursts of 1000 ops/s for 10 s.
        cfg.set(OPS_READ, 100, 1000, 10);
        // The first 1000 operations fit the bucket (max * burst_length =
        // 10000) but are held to the burst rate: about 1 s.
        let first = run(cfg.clone(), false, 512, 1000);
        assert!((0.8..1.2).contains(&first), "burst phase took {first}s");
        // Long run: the average dominates (20000 ops ~ (20000-10000)/100 s).
        let long = run(cfg, false, 512, 20000);
        assert!((95.0..115.0).contains(&long), "long run took {long}s");
    }

    #[test]
    fn iops_size_counts_large_requests_as_several() {
        let mut cfg = ThrottleConfig::default();
        cfg.set(OPS_WRITE, 10, 0, 1);
        cfg.iops_size = 4096;
        let secs = run(cfg, true, 40960, 10); // each request counts as 10 ops
        assert!((8.8..9.0).contains(&secs), "took {secs}s");
    }

    /// A disk that only counts.
    struct Null;
    impl BlockDriver for Null {
        fn format_name(&self) -> &'static str {
            "raw"
        }
        fn length(&self) -> u64 {
            1 << 30
        }
        fn read(&mut self, _: u64, _: &mut [u8]) -> Result<()> {
            Ok(())
        }
        fn write(&mut self, _: u64, _: &[u8]) -> Result<()> {
            Ok(())
        }
        fn flush(&mut self) -> Result<()> {
            Ok(())
        }
        fn discard(&mut self, _: u64, _: u64) -> Result<()> {
            Ok(())
        }
        fn write_zeroes(&mut self, _: u64, _: u64, _: bool) -> Result<()> {
            Ok(())
        }
        fn block_status(&mut self, _: u64, len: u64) -> Result<Extent> {
            Ok(Extent::unallocated(len))
        }
        fn resize(&mut self, _: u64, _: bool) -> Result<()> {
            Ok(())
        }
    }

    #[test]
    fn group_members_share_the_limit() {
        // 40 ops/s for the group (a bucket of 4): two members doing 12
        // reads each need (24 - 4) / 40 = 0.5 s together; alone, each
        // would need (12 - 4) / 40 = 0.2 s, so 0.2 s for both in parallel.
        let mut cfg = ThrottleConfig::default();
        cfg.set(OPS_TOTAL, 40, 0, 1);
        let g = ThrottleGroup::new("tg0", cfg).unwrap();
        let t0 = Instant::now();
        let threads: Vec<_> = (0..2)
            .map(|_| {
                let mut f = g.filter(Box::new(Null));
                std::thread::spawn(move || {
                    let mut b = [0u8; 512];
                    for _ in 0..12 {
                        f.read(0, &mut b).unwrap();
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        let secs = t0.elapsed().as_secs_f64();
        assert!((0.45..1.5).contains(&secs), "took {secs}s");
    }

    #[test]
    fn invalid_configs_rejected() {
        let mut cfg = ThrottleConfig::default();
        cfg.set(BPS_TOTAL, 100, 0, 1);
        cfg.set(BPS_READ, 100, 0, 1);
        assert!(cfg.validate().is_err());
        let mut cfg = ThrottleConfig::default();
        cfg.set(BPS_TOTAL, 100, 50, 1);
        assert!(cfg.validate().is_err());
        let mut cfg = ThrottleConfig::default();
        cfg.set(BPS_TOTAL, 100, 0, 5);
        assert!(cfg.validate().is_err());
    }
}
