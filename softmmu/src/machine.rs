//! State a machine's vCPU threads share: the physical bus, the interrupt
//! controller, per-cpu power state (PSCI), timer deadlines, the shutdown
//! request, and the ticker thread that kicks cpus whose timer expired.
//! The generic counter stands still while the machine is paused (as
//! QEMU's virtual clock does): `resume` sets it back to its value at the
//! pause.

use crate::devices::gic::Gic;
use crate::devices::pl061::Pl061;
use crate::drive::Drive;
use crate::irq::Kick;
use crate::memory::MemoryMap;
use crate::psci;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
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
    /// The monitor asked for a reset (QMP system_reset).
    HostReset,
    /// SIGINT, SIGTERM or SIGHUP.
    Signal,
}

impl Shutdown {
    /// Whether the guest caused it.
    pub fn guest(self) -> bool {
        matches!(self, Shutdown::PowerOff | Shutdown::Reset)
    }
    /// QMP's ShutdownCause.
    pub fn cause(self) -> &'static str {
        match self {
            Shutdown::PowerOff => "guest-shutdown",
            Shutdown::Reset => "guest-reset",
            Shutdown::Quit => "host-qmp-quit",
            Shutdown::HostReset => "host-qmp-system-reset",
            Shutdown::Signal => "host-signal",
        }
    }
    pub fn is_reset(self) -> bool {
        matches!(self, Shutdown::Reset | Shutdown::HostReset)
    }
}

/// Things the monitor reports as events.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// The machine stops for good (or for a reset with -no-reboot).
    Shutdown(Shutdown),
    /// The machine is reset and boots again.
    Reset(Shutdown),
    Stop,
    Resume,
    Powerdown,
    /// A guest request failed on the host (BLOCK_IO_ERROR).
    BlockIoError(crate::block_error::IoFailure),
    /// A detached dump-guest-memory ended (DUMP_COMPLETED).
    DumpCompleted(crate::dump::DumpStatus),
}

/// Whether the vCPUs run, and how many are parked while they do not.
#[derive(Default)]
struct RunCtl {
    paused: bool,
    parked: usize,
    /// Paused because a drive's error policy stopped the VM.
    io_error: bool,
}

type Listener = Box<dyn Fn(&Event) + Send>;

/// What a parking vCPU is asked to do with its state.
pub enum ParkStep<'a> {
    /// Encode it (kept while parked, for savevm).
    Save,
    /// Restore this (from loadvm) before running on.
    Load(&'a [u8]),
}

/// A vCPU's state while the machine is paused.
#[derive(Default)]
pub struct CpuSlot {
    /// Encoded when the cpu parked (or when a state was loaded).
    pub saved: Option<Vec<u8>>,
    /// To restore before the cpu runs again.
    pub load: Option<Vec<u8>>,
}

pub struct Machine {
    pub bus: Arc<MemoryMap>,
    pub gic: Arc<dyn Gic>,
    pub kicks: Vec<Arc<Kick>>,
    pub power: Mutex<Vec<Power>>,
    /// Per cpu: the counter value at which its next timer fires.
    pub deadlines: Vec<AtomicU64>,
    pub code_pages: Arc<CodePages>,
    /// Bumped by every TLBI: cpus flush their TLB when it moved (TLBI is
    /// broadcast to all cpus; the issuing cpu kicks the others).
    pub tlb_gen: AtomicU64,
    /// Per cpu: pages other cpus' TLBI-by-VA dropped, for it to drop too
    /// (`tlb_pages_pending` set when there are some).
    pub tlb_pages: Vec<Mutex<Vec<u64>>>,
    pub tlb_pages_pending: Vec<AtomicBool>,
    shutdown: Mutex<Option<Shutdown>>,
    run: Mutex<RunCtl>,
    run_cv: Condvar,
    listeners: Mutex<Vec<Listener>>,
    /// Host thread id of each vCPU (0 until it started).
    pub thread_ids: Vec<AtomicI64>,
    /// The disks, for the monitor.
    pub drives: Vec<Arc<Drive>>,
    /// The power button (PL061 input line), for system_powerdown.
    pub power_button: Option<(Arc<Mutex<Pl061>>, u32)>,
    /// A guest reset ends the run (-no-reboot).
    pub no_reboot: bool,
    /// Set once every vCPU thread runs (the monitor waits for it).
    started: Mutex<bool>,
    started_cv: Condvar,
    /// Per cpu, its state while parked (savevm/loadvm).
    pub cpu_slots: Vec<Mutex<CpuSlot>>,
    /// The generic counter, held still while paused or stopped by GDB.
    pub clock: Arc<crate::clock::GuestClock>,
    /// Block nodes added by blockdev-add.
    pub blockdevs: crate::blockdev::Nodes,
    /// The last dump-guest-memory (query-dump).
    pub dump: crate::dump::DumpState,
    /// `-gdb`: the debugger the vCPUs report to.
    pub debug: Option<crate::gdb::SystemDebug>,
    /// The netdevs' ids and links (`info usernet`).
    pub netdevs: Vec<(String, Arc<crate::net::NicLink>)>,
}

/// The machine's translated-code page set: a write to one (by a cpu or a
/// device) kicks every cpu so it drops the stale code.
pub fn code_pages(kicks: &[Arc<Kick>]) -> Arc<CodePages> {
    let mut code_pages = CodePages::default();
    let all = kicks.to_vec();
    code_pages.on_write = Some(Box::new(move || {
        for k in &all {
            k.kick();
        }
    }));
    Arc::new(code_pages)
}

impl Machine {
    pub fn new(
        bus: Arc<MemoryMap>,
        gic: Arc<dyn Gic>,
        kicks: Vec<Arc<Kick>>,
        code_pages: Arc<CodePages>,
    ) -> Machine {
        let n = kicks.len();
        Machine {
            bus,
            gic,
            kicks,
            power: Mutex::new(vec![Power::Off; n]),
            deadlines: (0..n).map(|_| AtomicU64::new(u64::MAX)).collect(),
            code_pages,
            tlb_gen: AtomicU64::new(0),
            tlb_pages: (0..n).map(|_| Mutex::new(Vec::new())).collect(),
            tlb_pages_pending: (0..n).map(|_| AtomicBool::new(false)).collect(),
            shutdown: Mutex::new(None),
            run: Mutex::new(RunCtl::default()),
            run_cv: Condvar::new(),
            listeners: Mutex::new(Vec::new()),
            thread_ids: (0..n).map(|_| AtomicI64::new(0)).collect(),
            drives: Vec::new(),
            power_button: None,
            no_reboot: false,
            started: Mutex::new(false),
            started_cv: Condvar::new(),
            cpu_slots: (0..n).map(|_| Mutex::new(CpuSlot::default())).collect(),
            clock: Default::default(),
            blockdevs: Default::default(),
            dump: Default::default(),
            debug: None,
            netdevs: Vec::new(),
        }
    }

    /// Sends the drives' failed requests to the monitor (BLOCK_IO_ERROR)
    /// and stops the machine when a policy says so.
    pub fn watch_drive_errors(self: &Arc<Self>) {
        for d in self.drives.iter().chain(&self.blockdevs.attached()) {
            let m = Arc::downgrade(self);
            d.set_error_handler(Box::new(move |f| {
                let Some(m) = m.upgrade() else { return };
                m.emit(Event::BlockIoError(f.clone()));
                if f.action == crate::block_error::Action::Stop && m.pause_for(true) {
                    m.emit(Event::Stop);
                }
            }));
        }
    }

    /// The generic counter as the guest sees it (frozen while paused).
    pub fn counter(&self) -> u64 {
        self.clock.read()
    }

    /// Sets the generic counter (a loaded snapshot); a paused machine
    /// goes on from this value when it resumes.
    pub fn set_counter(&self, v: u64) {
        let _r = self.run.lock();
        self.clock.set(v);
    }

    /// Whether a drive's error policy stopped the machine (query-status
    /// "io-error").
    pub fn io_error(&self) -> bool {
        self.run
            .lock()
            .map(|r| r.paused && r.io_error)
            .unwrap_or(false)
    }

    /// Calls `f` for every event from now on.
    pub fn listen(&self, f: Listener) {
        if let Ok(mut l) = self.listeners.lock() {
            l.push(f);
        }
    }

    pub fn emit(&self, e: Event) {
        if let Ok(l) = self.listeners.lock() {
            for f in l.iter() {
                f(&e);
            }
        }
    }

    /// Asks every vCPU to stop for `why`; the first request wins. The
    /// SHUTDOWN event goes out here (a reset that reboots sends RESET from
    /// the machine's run loop instead).
    pub fn request_shutdown(&self, why: Shutdown) {
        let first = match self.shutdown.lock() {
            Ok(mut s) => {
                let first = s.is_none();
                s.get_or_insert(why);
                first
            }
            Err(_) => false,
        };
        let reboots = why.is_reset() && !self.no_reboot;
        if first && !reboots {
            self.emit(Event::Shutdown(why));
        }
        for k in &self.kicks {
            k.kick();
        }
        self.run_cv.notify_all();
    }

    /// Back to power-on after a reset, once the vCPU threads ended:
    /// devices reset, every cpu off (the boot cpu is started again by the
    /// board), no timer deadlines, no shutdown request.
    pub fn reset(&self) {
        self.bus.reset_devices();
        if let Ok(mut p) = self.power.lock() {
            p.iter_mut().for_each(|x| *x = Power::Off);
        }
        for d in &self.deadlines {
            d.store(u64::MAX, Ordering::SeqCst);
        }
        if let Ok(mut s) = self.shutdown.lock() {
            *s = None;
        }
    }

    /// Waits (up to 2 s) until every vCPU thread published its thread id,
    /// then lets the monitor in.
    pub fn mark_started(&self) {
        let end = std::time::Instant::now() + Duration::from_secs(2);
        while self
            .thread_ids
            .iter()
            .any(|t| t.load(Ordering::SeqCst) == 0)
            && std::time::Instant::now() < end
        {
            std::thread::sleep(Duration::from_millis(1));
        }
        if let Ok(mut s) = self.started.lock() {
            *s = true;
            self.started_cv.notify_all();
        }
    }

    /// Blocks until `mark_started` (monitor commands see running vCPUs).
    pub fn wait_started(&self) {
        let Ok(mut s) = self.started.lock() else {
            return;
        };
        while !*s {
            match self.started_cv.wait(s) {
                Ok(g) => s = g,
                Err(_) => return,
            }
        }
    }

    /// Stops every vCPU at its next block boundary and waits (up to a
    /// second) until they all are parked. Returns false if it was paused.
    pub fn pause(&self) -> bool {
        self.pause_for(false)
    }

    /// `pause`; `io_error`: a drive's error policy asked for it.
    pub fn pause_for(&self, io_error: bool) -> bool {
        let Ok(mut r) = self.run.lock() else {
            return false;
        };
        if r.paused {
            return false;
        }
        r.paused = true;
        r.io_error = io_error;
        for k in &self.kicks {
            k.kick();
        }
        let deadline = std::time::Instant::now() + Duration::from_secs(1);
        while r.parked < self.kicks.len() && !self.shutdown_requested() {
            let now = std::time::Instant::now();
            if now >= deadline {
                break;
            }
            match self.run_cv.wait_timeout(r, deadline - now) {
                Ok((g, _)) => r = g,
                Err(_) => return true,
            }
        }
        // The last vCPU to park stops the counter (`park_if_paused`);
        // if one is late, it stops here for now and again when it parks.
        if r.parked < self.kicks.len() {
            self.clock.hold(crate::clock::PAUSE, false);
        }
        true
    }

    /// Lets the vCPUs run again. Returns false if it was running.
    pub fn resume(&self) -> bool {
        let Ok(mut r) = self.run.lock() else {
            return false;
        };
        let was = r.paused;
        if was {
            // The guest sees no time pass while paused.
            self.clock.release(crate::clock::PAUSE);
        }
        r.paused = false;
        r.io_error = false;
        self.run_cv.notify_all();
        was
    }

    pub fn paused(&self) -> bool {
        self.run.lock().map(|r| r.paused).unwrap_or(false)
    }

    /// Whether every vCPU is parked (its state in `cpu_slots`).
    pub fn all_parked(&self) -> bool {
        self.run
            .lock()
            .map(|r| r.paused && r.parked == self.kicks.len())
            .unwrap_or(false)
    }

    /// Called by vCPU `cpu` between blocks: waits while the machine is
    /// paused. `hook` encodes the cpu's state when it parks, and restores
    /// a state loaded meanwhile before it runs on.
    pub fn park_if_paused(&self, cpu: usize, hook: &mut dyn FnMut(ParkStep) -> Vec<u8>) {
        let Ok(mut r) = self.run.lock() else { return };
        if !r.paused {
            return;
        }
        if let Some(Ok(mut s)) = self.cpu_slots.get(cpu).map(|s| s.lock()) {
            s.saved = Some(hook(ParkStep::Save));
            s.load = None;
        }
        r.parked += 1;
        if r.parked == self.kicks.len() {
            // No vCPU runs any more: the guest's time stops here.
            self.clock.hold(crate::clock::PAUSE, true);
        }
        self.run_cv.notify_all();
        // (A timeout: shutdown requests notify without the lock.)
        while r.paused && !self.shutdown_requested() {
            match self.run_cv.wait_timeout(r, Duration::from_millis(50)) {
                Ok((g, _)) => r = g,
                Err(_) => return,
            }
        }
        r.parked -= 1;
        drop(r);
        let load = self
            .cpu_slots
            .get(cpu)
            .and_then(|s| s.lock().ok().and_then(|mut s| s.load.take()));
        if let Some(d) = load {
            hook(ParkStep::Load(&d));
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
