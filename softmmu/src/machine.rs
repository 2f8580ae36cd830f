//! State a machine's vCPU threads share: the physical bus, the interrupt
//! controller, per-cpu power state (PSCI), timer deadlines, the shutdown
//! request, and the ticker thread that kicks cpus whose timer expired.

use crate::devices::gicv2::GicV2;
use crate::irq::Kick;
use crate::memory::MemoryMap;
use crate::psci;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tcg::softmmu::CodePages;

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Power {
    Off,
    /// CPU_ON was called: start at `entry` with x0 = `context`.
    Starting {
        entry: u64,
        context: u64,
    },
    On,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Shutdown {
    PowerOff,
    Reset,
    /// The user asked (monitor `quit`, signal).
    Quit,
}

pub struct Machine {
    pub bus: Arc<MemoryMap>,
    pub gic: Arc<GicV2>,
    pub kicks: Vec<Arc<Kick>>,
    pub power: Mutex<Vec<Power>>,
    /// Per cpu: the counter value at which its next timer fires.
    pub deadlines: Vec<AtomicU64>,
    pub code_pages: Arc<CodePages>,
    /// Bumped by every TLBI: cpus flush their TLB when it moved (TLBI is
    /// broadcast to all cpus; the issuing cpu kicks the others).
    pub tlb_gen: AtomicU64,
    shutdown: Mutex<Option<Shutdown>>,
}

impl Machine {
    pub fn new(bus: Arc<MemoryMap>, gic: Arc<GicV2>, kicks: Vec<Arc<Kick>>) -> Machine {
        let n = kicks.len();
        let mut code_pages = CodePages::default();
        let all = kicks.clone();
        code_pages.on_write = Some(Box::new(move || {
            for k in &all {
                k.kick();
            }
        }));
        Machine {
            bus,
            gic,
            kicks,
            power: Mutex::new(vec![Power::Off; n]),
            deadlines: (0..n).map(|_| AtomicU64::new(u64::MAX)).collect(),
            code_pages: Arc::new(code_pages),
            tlb_gen: AtomicU64::new(0),
            shutdown: Mutex::new(None),
        }
    }

    pub fn request_shutdown(&self, why: Shutdown) {
        if let Ok(mut s) = self.shutdown.lock() {
            s.get_or_insert(why);
        }
        for k in &self.kicks {
            k.kick();
        }
    }

    pub fn shutdown_requested(&self) -> bool {
        self.shutdown.lock().map(|s| s.is_some()).unwrap_or(true)
    }

    pub fn shutdown_reason(&self) -> Option<Shutdown> {
        self.shutdown.lock().ok().and_then(|s| *s)
    }

    fn cpu_of(&self, mpidr: u64) -> Option<usize> {
        // Aff0 is the cpu index; the higher affinity levels are 0.
        let i = (mpidr & 0xff_00ff_ffff) as usize;
        (i < self.kicks.len()).then_some(i)
    }

    pub fn cpu_on(&self, mpidr: u64, entry: u64, context: u64) -> i64 {
        let Some(i) = self.cpu_of(mpidr) else {
            return psci::INVALID_PARAMETERS;
        };
        let Ok(mut p) = self.power.lock() else {
            return psci::INVALID_PARAMETERS;
        };
        if p[i] != Power::Off {
            return psci::ALREADY_ON;
        }
        p[i] = Power::Starting { entry, context };
        drop(p);
        self.kicks[i].kick();
        psci::SUCCESS
    }

    /// AFFINITY_INFO: 0 on, 1 off, 2 on pending.
    pub fn affinity_info(&self, mpidr: u64) -> i64 {
        let Some(i) = self.cpu_of(mpidr) else {
            return psci::INVALID_PARAMETERS;
        };
        match self.power.lock().map(|p| p[i]) {
            Ok(Power::On) => 0,
            Ok(Power::Off) => 1,
            Ok(Power::Starting { .. }) => 2,
            Err(_) => psci::INVALID_PARAMETERS,
        }
    }

    /// Kicks cpus whose timer deadline passed, every millisecond, until
    /// shutdown.
    pub fn spawn_ticker(self: &Arc<Self>) -> std::thread::JoinHandle<()> {
        let m = self.clone();
        std::thread::spawn(move || {
            while !m.shutdown_requested() {
                std::thread::sleep(Duration::from_millis(1));
                let now = target_aarch64::system::timer::now();
                for (i, d) in m.deadlines.iter().enumerate() {
                    if d.load(Ordering::SeqCst) <= now {
                        d.store(u64::MAX, Ordering::SeqCst);
                        m.kicks[i].kick();
                    }
                }
            }
        })
    }
}
